//! wsload: closed-loop WebSocket echo load, and idle connections, for
//! benches/echo.sh and benches/idle.sh. Plain std::net, no WebSocket library:
//! the client should cost as little as it can, since it shares the CPUs with
//! the server it measures.
//!
//!   wsload ADDR [--conns N] [--size BYTES] [--warmup SECS] [--duration SECS]
//!               [--server-pid PID] [--cpus LIST] [--client plain|tungstenite]
//!       N connections (default 1), one thread each, TCP_NODELAY. Each sends
//!       one masked binary message of BYTES (default 64; K and M suffixes
//!       are KiB and MiB), waits for the whole echo, checks its length and
//!       every byte, and repeats. After the warm-up (default 1 s) it counts
//!       round trips for the duration (default 5 s) and prints one line:
//!         rt_per_s=... round_trips=... secs=... conns=... size=...
//!         conn_min=... conn_max=... client_cpu=...% [server_cpu=...%]
//!         machine_cpu=...% steal=...%
//!       With --json (plain client) the message is text: a JSON object of
//!       BYTES (at least 40) whose "seq" field counts the round trips,
//!       for servers that read JSON payloads (wsdbg serve --payload).
//!       With --client tungstenite each connection is a tungstenite 0.28
//!       client instead (its handshake, framing, masking and reading, with
//!       its defaults: heavier per message, as real clients are); the
//!       payload and the checks are the same.
//!       With --tls CAFILE the connection is TLS (rustls, trusting the
//!       certificates in CAFILE only) to the name --host gives (default
//!       localhost), through a tungstenite client; with --proxy PROXY
//!       too, each connection first asks the HTTP proxy at PROXY for
//!       `CONNECT HOST:PORT` (PORT: ADDR's) and speaks TLS inside it.
//!       (conn_min/max: round trips per second of the slowest and fastest
//!       connection; CPU: percent of one core over the counted interval,
//!       from /proc/PID/stat; machine_cpu: the CPUs of LIST (comma-separated
//!       numbers; default all) busy together, wall time x CPUs less their
//!       idle time in /proc/stat, so when client and server run on those
//!       CPUs only, machine - client - server is what other processes took
//!       there; steal: time the hypervisor gave to other guests). Exits 1
//!       with a reason when an echo is wrong,
//!       the server closes, or no echo comes within 10 s.
//!   wsload ADDR --idle N [--hold SECS]
//!       Opens N connections one after the other, completes each handshake,
//!       prints "ready N" and holds them open, silent, for SECS (default
//!       600) or until killed.
//!   wsload ADDR --wait SECS [--server-pid PID]
//!       Waits until ADDR accepts a TCP connection; exits 1 after SECS or as
//!       soon as process PID is gone.
//!   wsload --free-port
//!       Prints a TCP port on 127.0.0.1 that was free a moment ago.
//!
//! The payload is fixed per connection, masked once with one key per
//! connection; only its first 8 bytes change per message (a counter, masked
//! on the fly), so a stale or misplaced echo is caught without re-masking
//! the whole message each time. Servers unmask every message either way.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use wsdbg_bench_echo::{accept_key, apply_mask, base64, head_end};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("wsload: {e}");
        std::process::exit(1);
    }
}

struct Opts {
    addr: Option<SocketAddr>,
    conns: usize,
    size: usize,
    warmup: f64,
    duration: f64,
    server_pid: Option<u32>,
    cpus: Option<Vec<usize>>,
    idle: Option<usize>,
    hold: f64,
    wait: Option<f64>,
    free_port: bool,
    tungstenite: bool,
    /// TLS, trusting this CA file.
    tls: Option<String>,
    /// The server name for TLS (and CONNECT).
    host: String,
    /// An HTTP proxy to CONNECT through.
    proxy: Option<SocketAddr>,
    /// Text messages holding JSON instead of binary ones.
    json: bool,
}

fn run(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    if o.free_port {
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        println!("{}", l.local_addr().unwrap().port());
        return Ok(());
    }
    let addr = o.addr.ok_or("no ADDR (HOST:PORT) given")?;
    if let Some(secs) = o.wait {
        return wait_listening(addr, secs, o.server_pid);
    }
    if let Some(n) = o.idle {
        return idle(addr, n, o.hold);
    }
    load(addr, &o)
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        addr: None,
        conns: 1,
        size: 64,
        warmup: 1.0,
        duration: 5.0,
        server_pid: None,
        cpus: None,
        idle: None,
        hold: 600.0,
        wait: None,
        free_port: false,
        tungstenite: false,
        tls: None,
        host: "localhost".into(),
        proxy: None,
        json: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--conns" => o.conns = num(val()?)?,
            "--size" => o.size = size(val()?)?,
            "--warmup" => o.warmup = num(val()?)?,
            "--duration" => o.duration = num(val()?)?,
            "--server-pid" => o.server_pid = Some(num(val()?)?),
            "--cpus" => o.cpus = Some(val()?.split(',').map(num).collect::<Result<_, _>>()?),
            "--idle" => o.idle = Some(num(val()?)?),
            "--hold" => o.hold = num(val()?)?,
            "--wait" => o.wait = Some(num(val()?)?),
            "--free-port" => o.free_port = true,
            "--json" => o.json = true,
            "--tls" => o.tls = Some(val()?.clone()),
            "--host" => o.host = val()?.clone(),
            "--proxy" => {
                let v = val()?;
                o.proxy = Some(v.parse().map_err(|_| format!("--proxy {v}: not HOST:PORT"))?)
            }
            "--client" => {
                o.tungstenite = match val()?.as_str() {
                    "plain" => false,
                    "tungstenite" => true,
                    c => return Err(format!("--client {c}: plain or tungstenite")),
                }
            }
            "-h" | "--help" => {
                println!("usage: see the top of benches/echo/src/wsload.rs");
                std::process::exit(0);
            }
            s if !s.starts_with('-') && o.addr.is_none() => {
                o.addr = Some(s.parse().map_err(|_| format!("{s}: not HOST:PORT"))?)
            }
            s => return Err(format!("unknown argument {s}")),
        }
    }
    if o.proxy.is_some() && o.tls.is_none() {
        return Err("--proxy needs --tls (the forward proxy's load is TLS inside CONNECT)".into());
    }
    if o.conns == 0 || o.duration <= 0.0 {
        return Err("--conns and --duration must be above 0".into());
    }
    Ok(o)
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("{s}: not a number"))
}

fn size(s: &str) -> Result<usize, String> {
    let (n, mul) = match s.trim_end_matches(['i', 'B']).char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1024),
        Some((i, 'M' | 'm')) => (&s[..i], 1024 * 1024),
        _ => (s, 1),
    };
    Ok(num::<usize>(n)? * mul)
}

/// xorshift64*: keys and payload bytes, nothing that needs to be secret.
struct Rng(u64);
impl Rng {
    fn new(salt: u64) -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Rng((t ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let w = self.next().to_le_bytes();
            c.copy_from_slice(&w[..c.len()]);
        }
    }
}

/// TCP connect and WebSocket handshake; checks the 101 and the accept key.
fn connect(addr: SocketAddr, rng: &mut Rng) -> Result<TcpStream, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut nonce = [0u8; 16];
    rng.fill(&mut nonce);
    let key = base64(&nonce);
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes())
        .map_err(|e| format!("handshake: {e}"))?;
    let mut buf = [0u8; 4096];
    let mut n = 0;
    let end = loop {
        if let Some(end) = head_end(&buf[..n]) {
            break end;
        }
        if n == buf.len() {
            return Err("handshake: response head over 4 KiB".into());
        }
        match s.read(&mut buf[n..]) {
            Ok(0) => return Err("handshake: server closed the connection".into()),
            Ok(k) => n += k,
            Err(e) => return Err(format!("handshake: {e}")),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    if !head.starts_with("HTTP/1.1 101") {
        let first = head.lines().next().unwrap_or("");
        return Err(format!("handshake: server answered {first:?}"));
    }
    let want = accept_key(key.as_bytes());
    let ok = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("sec-websocket-accept") && v.trim() == want
        })
    });
    if !ok {
        return Err("handshake: no or wrong Sec-WebSocket-Accept".into());
    }
    if end != n {
        return Err("handshake: data after the 101 before any message".into());
    }
    Ok(s)
}

fn wait_listening(addr: SocketAddr, secs: f64, pid: Option<u32>) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(pid) = pid {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return Err(format!(
                    "server process {pid} exited before listening on {addr}"
                ));
            }
        }
        if Instant::now() > deadline {
            return Err(format!("nothing listening on {addr} after {secs} s"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn idle(addr: SocketAddr, n: usize, hold: f64) -> Result<(), String> {
    let mut rng = Rng::new(0);
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        conns.push(connect(addr, &mut rng).map_err(|e| format!("connection {}: {e}", i + 1))?);
    }
    println!("ready {n}");
    io::stdout().flush().ok();
    thread::sleep(Duration::from_secs_f64(hold));
    Ok(())
}

/// A counter on a cache line of its own, written by one thread only.
#[repr(align(128))]
#[derive(Default)]
struct Count(AtomicU64);

struct Shared {
    counts: Vec<Count>,
    stop: AtomicBool,
    failed: AtomicBool,
    error: Mutex<Option<String>>,
}

/// One connection of the load: the plain client's socket, or a tungstenite
/// client.
enum Client {
    Plain(TcpStream),
    Tungstenite(Box<tungstenite::WebSocket<TcpStream>>),
    Tls(Box<tungstenite::WebSocket<TlsStream>>),
}

/// A TLS connection as the load client speaks it.
type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

fn load(addr: SocketAddr, o: &Opts) -> Result<(), String> {
    let mut streams = Vec::with_capacity(o.conns);
    let mut rng = Rng::new(1);
    let tls = match &o.tls {
        Some(ca) => Some(tls_config(ca)?),
        None => None,
    };
    for i in 0..o.conns {
        let c = if let Some(config) = &tls {
            tls_connect(addr, o, config.clone()).map(|ws| Client::Tls(Box::new(ws)))
        } else if o.tungstenite {
            tung_connect(addr).map(|ws| Client::Tungstenite(Box::new(ws)))
        } else {
            connect(addr, &mut rng).map(Client::Plain)
        };
        streams.push(c.map_err(|e| format!("connection {}: {e}", i + 1))?);
    }
    let shared = Arc::new(Shared {
        counts: (0..o.conns).map(|_| Count::default()).collect(),
        stop: AtomicBool::new(false),
        failed: AtomicBool::new(false),
        error: Mutex::new(None),
    });
    let barrier = Arc::new(Barrier::new(o.conns + 1));
    let mut handles = Vec::new();
    for (i, s) in streams.into_iter().enumerate() {
        let (shared, barrier, size, json) = (shared.clone(), barrier.clone(), o.size, o.json);
        let seed = rng.next();
        let h = thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                barrier.wait();
                let count = &shared.counts[i].0;
                let done = match s {
                    Client::Plain(s) => echo_loop(s, size, json, seed, count, &shared.stop),
                    Client::Tungstenite(ws) => tung_loop(*ws, size, seed, count, &shared.stop),
                    Client::Tls(ws) => tung_loop(*ws, size, seed, count, &shared.stop),
                };
                if let Err(e) = done {
                    shared
                        .error
                        .lock()
                        .unwrap()
                        .get_or_insert(format!("connection {}: {e}", i + 1));
                    shared.failed.store(true, Ordering::Relaxed);
                }
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        handles.push(h);
    }

    let sum = |s: &Shared| -> Vec<u64> {
        s.counts
            .iter()
            .map(|c| c.0.load(Ordering::Relaxed))
            .collect()
    };
    barrier.wait();
    sleep_unless_failed(&shared, o.warmup);
    let srv = || o.server_pid.map(|p| cpu_ticks(&p.to_string()));
    let (c0, t0, me0, srv0, all0) = (
        sum(&shared),
        Instant::now(),
        cpu_ticks("self"),
        srv(),
        machine_ticks(o.cpus.as_deref()),
    );
    sleep_unless_failed(&shared, o.duration);
    let (c1, t1, me1, srv1, all1) = (
        sum(&shared),
        Instant::now(),
        cpu_ticks("self"),
        srv(),
        machine_ticks(o.cpus.as_deref()),
    );
    shared.stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    if let Some(e) = shared.error.lock().unwrap().take() {
        return Err(e);
    }

    let secs = (t1 - t0).as_secs_f64();
    let per_conn: Vec<u64> = c1.iter().zip(&c0).map(|(a, b)| a - b).collect();
    let total: u64 = per_conn.iter().sum();
    let pct = |a: Option<u64>, b: Option<u64>| match (a, b) {
        // /proc/PID/stat counts in USER_HZ, 100 per second on Linux.
        (Some(a), Some(b)) => format!("{:.0}%", (b - a) as f64 / secs),
        _ => "?".into(),
    };
    let mut line = format!(
        "rt_per_s={:.1} round_trips={total} secs={secs:.3} conns={} size={} conn_min={:.1} conn_max={:.1} client_cpu={}",
        total as f64 / secs,
        o.conns,
        o.size,
        *per_conn.iter().min().unwrap() as f64 / secs,
        *per_conn.iter().max().unwrap() as f64 / secs,
        pct(me0, me1),
    );
    if let (Some(a), Some(b)) = (srv0, srv1) {
        line += &format!(" server_cpu={}", pct(a, b));
    }
    // Everything that ran on the machine, and what the hypervisor took:
    // minus client and server, the share of other work during the count.
    if let (Some(a), Some(b)) = (all0, all1) {
        let busy = secs * 100.0 * a.2 as f64 - (b.0 - a.0) as f64;
        line += &format!(
            " machine_cpu={:.0}% steal={}",
            busy / secs,
            pct(Some(a.1), Some(b.1))
        );
    }
    println!("{line}");
    Ok(())
}

fn sleep_unless_failed(shared: &Shared, secs: f64) {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    while !shared.failed.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= end {
            return;
        }
        thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// utime + stime of a process (all its threads), in USER_HZ ticks.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // After "pid (comm) ", field 3 (state) is f[0]; utime and stime are
    // fields 14 and 15.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Idle and stolen ticks of the CPUs in `cpus` (all when None) together,
/// and how many CPUs that is,
/// from /proc/stat. Busy time is taken as wall time x CPUs - idle: the
/// kernel measures idle time exactly (idle entry and exit), while its busy
/// fields are sampled at ticks and under-count a CPU that flips between busy
/// and idle thousands of times a second, as in a 1-connection echo.
fn machine_ticks(cpus: Option<&[usize]>) -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let (mut idle, mut steal, mut n) = (0, 0, 0);
    // Lines "cpuN user nice system idle iowait irq softirq steal ...".
    for line in stat.lines().skip(1) {
        let mut words = line.split_whitespace();
        let Some(cpu) = words.next()?.strip_prefix("cpu") else {
            break;
        };
        let n_cpu: usize = cpu.parse().ok()?;
        if cpus.is_some_and(|list| !list.contains(&n_cpu)) {
            continue;
        }
        let f: Vec<u64> = words.map(|x| x.parse().unwrap_or(0)).collect();
        idle += f.get(3)? + f.get(4)?;
        steal += *f.get(7)?;
        n += 1;
    }
    (n > 0).then_some((idle, steal, n))
}

/// One connection's closed loop until `stop`.
fn echo_loop(
    mut s: TcpStream,
    size: usize,
    json: bool,
    seed: u64,
    count: &AtomicU64,
    stop: &AtomicBool,
) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let mut expected = vec![0u8; size];
    rng.fill(&mut expected);
    let mut key = [0u8; 4];
    rng.fill(&mut key);
    // JSON: {"seq":"<16 hex digits>","n":[1,2.5,true,null],"data":"xxx..."}
    // padded with x to the size; the digits at 8..24 count.
    const HEAD: &[u8] = br#"{"seq":"0000000000000000","n":[1,2.5,true,null],"data":""#;
    if json {
        if size < HEAD.len() + 2 {
            return Err(format!("--json needs --size {} or more", HEAD.len() + 2));
        }
        expected[..HEAD.len()].copy_from_slice(HEAD);
        expected[HEAD.len()..size - 2].fill(b'x');
        expected[size - 2..].copy_from_slice(b"\"}");
    }
    let opcode = if json { 1 } else { 2 };

    // The whole frame, built and masked once.
    let mut frame = vec![0x80u8 | opcode];
    match size {
        0..=125 => frame.push(0x80 | size as u8),
        126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(size as u16).to_be_bytes());
        }
        _ => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(size as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&key);
    let p = frame.len();
    frame.extend_from_slice(&expected);
    apply_mask(&mut frame[p..], key);

    let mut rbuf = vec![0u8; (size + 14).clamp(4096, 4 << 20)];
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        if json {
            let digits = format!("{n:016x}");
            expected[8..24].copy_from_slice(digits.as_bytes());
            for i in 8..24 {
                frame[p + i] = expected[i] ^ key[i % 4];
            }
        } else if size >= 8 {
            let seq = n.to_le_bytes();
            expected[..8].copy_from_slice(&seq);
            for i in 0..8 {
                frame[p + i] = seq[i] ^ key[i % 4];
            }
        }
        s.write_all(&frame).map_err(|e| format!("send: {e}"))?;
        read_echo(&mut s, &mut rbuf, &expected, opcode)
            .map_err(|e| format!("round trip {n}: {e}"))?;
        count.store(n, Ordering::Relaxed);
    }
    // Close politely: a close frame (1000), then wait briefly for the
    // server's close or end of stream.
    let mut close = [0x88, 0x82, key[0], key[1], key[2], key[3], 0x03, 0xe8];
    apply_mask(&mut close[6..], key);
    if s.write_all(&close).is_ok() {
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let _ = s.read(&mut rbuf);
    }
    Ok(())
}

/// A tungstenite client on `addr`, its handshake done.
fn tung_connect(addr: SocketAddr) -> Result<tungstenite::WebSocket<TcpStream>, String> {
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    let (ws, _) = tungstenite::client(format!("ws://{addr}/").as_str(), s)
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(ws)
}

/// The TLS settings of the load client: the certificates of `ca` only.
fn tls_config(ca: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(ca)
        .map_err(|e| format!("--tls {ca}: {e}"))?
    {
        roots
            .add(c.map_err(|e| format!("--tls {ca}: {e}"))?)
            .map_err(|e| format!("--tls {ca}: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A tungstenite client over TLS to `o.host` at `addr`'s port, through
/// `o.proxy` (CONNECT) when given; its handshake done.
fn tls_connect(
    addr: SocketAddr,
    o: &Opts,
    config: Arc<rustls::ClientConfig>,
) -> Result<tungstenite::WebSocket<TlsStream>, String> {
    let mut s = TcpStream::connect_timeout(&o.proxy.unwrap_or(addr), IO_TIMEOUT)
        .map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    let target = format!("{}:{}", o.host, addr.port());
    if o.proxy.is_some() {
        s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
            .map_err(|e| format!("CONNECT: {e}"))?;
        // The answer, byte by byte: nothing of the tunnel may be read here.
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match s.read(&mut b) {
                Ok(1) => head.push(b[0]),
                _ => return Err("CONNECT: the proxy closed".into()),
            }
        }
        if !head.starts_with(b"HTTP/1.1 200") {
            let first = String::from_utf8_lossy(&head);
            return Err(format!("CONNECT: {:?}", first.lines().next().unwrap_or("")));
        }
    }
    let name = rustls::pki_types::ServerName::try_from(o.host.clone())
        .map_err(|e| format!("--host {}: {e}", o.host))?;
    let conn = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let stream = rustls::StreamOwned::new(conn, s);
    let (ws, _) = tungstenite::client(format!("wss://{target}/").as_str(), stream)
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(ws)
}

/// [`echo_loop`] through tungstenite: each round trip a binary message
/// sent with its framing and masking, and one read of the echo, checked.
fn tung_loop<S: Read + Write>(
    mut ws: tungstenite::WebSocket<S>,
    size: usize,
    seed: u64,
    count: &AtomicU64,
    stop: &AtomicBool,
) -> Result<(), String> {
    use tungstenite::Message;
    let mut rng = Rng::new(seed);
    let mut expected = vec![0u8; size];
    rng.fill(&mut expected);
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        if size >= 8 {
            expected[..8].copy_from_slice(&n.to_le_bytes());
        }
        ws.send(Message::binary(expected.clone()))
            .map_err(|e| format!("send: {e}"))?;
        loop {
            match ws.read().map_err(|e| format!("round trip {n}: {e}"))? {
                Message::Binary(b) if b[..] == expected[..] => break,
                Message::Binary(b) => {
                    return Err(format!(
                        "round trip {n}: echo of {} bytes differs from the {} sent",
                        b.len(),
                        size
                    ))
                }
                Message::Close(_) => return Err(format!("round trip {n}: the server closed")),
                _ => {}
            }
        }
        count.store(n, Ordering::Relaxed);
    }
    let _ = ws.close(None);
    let _ = ws.flush();
    Ok(())
}

/// Reads one echoed message (any number of frames) and checks it against
/// `expected` as the bytes arrive.
fn read_echo(
    s: &mut TcpStream,
    rbuf: &mut [u8],
    expected: &[u8],
    opcode: u8,
) -> Result<(), String> {
    let mut hdr = [0u8; 10];
    let mut have = 0; // header bytes collected
    let mut need = 2; // header bytes needed, known once 2 are in
    let mut remaining: u64 = 0; // payload bytes of the current frame still to come
    let mut in_payload = false;
    let mut fin = false;
    let mut frames = 0;
    let mut got = 0usize; // payload bytes of the message checked so far
    loop {
        let k = match s.read(rbuf) {
            Ok(0) => {
                return Err(format!(
                    "server closed the connection after {got} of {} bytes",
                    expected.len()
                ))
            }
            Ok(k) => k,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!(
                    "no echo within {} s ({got} of {} bytes came)",
                    IO_TIMEOUT.as_secs(),
                    expected.len()
                ))
            }
            Err(e) => return Err(format!("read: {e}")),
        };
        let mut b = &rbuf[..k];
        while !b.is_empty() {
            if !in_payload {
                let take = (need - have).min(b.len());
                hdr[have..have + take].copy_from_slice(&b[..take]);
                have += take;
                b = &b[take..];
                if have == 2 && need == 2 {
                    if hdr[1] & 0x80 != 0 {
                        return Err("the server's frame is masked".into());
                    }
                    need = match hdr[1] & 0x7f {
                        126 => 4,
                        127 => 10,
                        _ => 2,
                    };
                }
                if have < need {
                    continue;
                }
                let op = hdr[0] & 0x0f;
                let want = if frames == 0 { opcode } else { 0 };
                if op != want || hdr[0] & 0x70 != 0 {
                    return Err(format!(
                        "frame {} of the echo has first byte {:#04x} (opcode {op}), expected opcode {want} and no RSV bits",
                        frames + 1,
                        hdr[0]
                    ));
                }
                fin = hdr[0] & 0x80 != 0;
                remaining = match need {
                    4 => u16::from_be_bytes([hdr[2], hdr[3]]) as u64,
                    10 => u64::from_be_bytes(hdr[2..10].try_into().unwrap()),
                    _ => (hdr[1] & 0x7f) as u64,
                };
                if got as u64 + remaining > expected.len() as u64 {
                    return Err(format!(
                        "echo longer than the {} bytes sent",
                        expected.len()
                    ));
                }
                in_payload = true;
            }
            let take = (remaining as usize).min(b.len());
            if b[..take] != expected[got..got + take] {
                return Err(format!(
                    "echo differs from what was sent within bytes {got}..{}",
                    got + take
                ));
            }
            got += take;
            remaining -= take as u64;
            b = &b[take..];
            if remaining == 0 {
                frames += 1;
                in_payload = false;
                have = 0;
                need = 2;
                if fin {
                    if got != expected.len() {
                        return Err(format!(
                            "echo is a message of {got} bytes, {} were sent (did the server split it?)",
                            expected.len()
                        ));
                    }
                    if !b.is_empty() {
                        return Err(format!("{} unexpected bytes after the echo", b.len()));
                    }
                    return Ok(());
                }
            }
        }
    }
}
