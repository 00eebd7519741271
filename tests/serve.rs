//! End-to-end tests of `wsdbg serve`: the built binary against clients
//! nobody here wrote (tungstenite, Python's `websockets`) and against bytes
//! written by hand on a plain `TcpStream` (refused handshakes, broken
//! frames, slow and vanishing peers, junk, escape sequences).
//!
//! Every test starts its own server on 127.0.0.1 port 0, reads the port
//! from the `listening on ws://127.0.0.1:PORT/` line on stderr, and holds it
//! in a [`Server`] guard that kills it when dropped, also when the test
//! panics. Every wait is bounded.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::frame::{CloseFrame, Frame};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Bytes, Message, WebSocket};

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");
/// RFC 6455 §1.3's key and the accept value it calls for.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
/// The longest any single wait may take before a test gives up.
const PATIENCE: Duration = Duration::from_secs(10);

// ------------------------------------------------------------------ server

/// A running `wsdbg serve`, killed when dropped (also when a test panics).
struct Server {
    child: Child,
    /// The console's input, for servers started with [`Server::start_console`].
    stdin: Option<ChildStdin>,
    port: u16,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    /// Its open descriptors with no client connected.
    idle_fds: usize,
}

/// Copies everything `from` yields into `into`, telling `tell` each time.
fn pump(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
    tell: Option<mpsc::Sender<()>>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    into.lock().unwrap().extend_from_slice(&buf[..n]);
                    if let Some(t) = &tell {
                        let _ = t.send(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    })
}

/// The port in `listening on ws://127.0.0.1:PORT/`, once that line is there.
fn listening_port(stderr: &str) -> Option<u16> {
    let rest = &stderr[stderr.find("listening on ws://127.0.0.1:")? + 28..];
    let end = rest.find('/')?;
    rest[..end].parse().ok()
}

impl Server {
    /// `wsdbg serve --listen 127.0.0.1:0 --color never ARGS`, once it listens.
    fn start(args: &[&str]) -> Server {
        Self::launch(args, None)
    }

    /// The same, with a pipe to its console on stdin.
    fn start_console(args: &[&str]) -> Server {
        Self::launch(args, Some(Stdio::piped()))
    }

    /// The same, with its console reading `stdin`.
    fn start_console_on(args: &[&str], stdin: Stdio) -> Server {
        Self::launch(args, Some(stdin))
    }

    fn launch(args: &[&str], console: Option<Stdio>) -> Server {
        let mut child = Command::new(WSDBG)
            .args(["serve", "--listen", "127.0.0.1:0", "--color", "never"])
            .args(args)
            // Without a console the threads are the accept loop, the
            // writer and one per client, which tests count.
            .args(if console.is_some() {
                None
            } else {
                Some("--no-console")
            })
            .env_remove("NO_COLOR")
            .stdin(console.unwrap_or_else(Stdio::null))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wsdbg serve");
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let readers = vec![
            pump(child.stdout.take().unwrap(), out.clone(), None),
            pump(child.stderr.take().unwrap(), err.clone(), Some(tx)),
        ];
        // The guard exists from here on: a panic below still kills it.
        let stdin = child.stdin.take();
        let mut server = Server {
            child,
            stdin,
            port: 0,
            out,
            err,
            readers,
            idle_fds: 0,
        };
        let start = Instant::now();
        loop {
            if let Some(port) = listening_port(&server.stderr()) {
                server.port = port;
                server.idle_fds = server.fds();
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!(
                    "wsdbg serve {args:?} exited ({status}) before listening; stderr:\n{}",
                    server.stderr()
                );
            }
            let left = PATIENCE.saturating_sub(start.elapsed());
            if left.is_zero() {
                panic!(
                    "wsdbg serve {args:?} printed no listening line within {PATIENCE:?}; stderr:\n{}",
                    server.stderr()
                );
            }
            let _ = rx.recv_timeout(left.min(Duration::from_millis(100)));
        }
    }

    /// Writes one line to the console.
    fn console(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("started with start_console");
        writeln!(stdin, "{line}").expect("write to the console");
        stdin.flush().unwrap();
    }

    /// Waits until stderr satisfies `ready`.
    fn wait_err(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let err = self.stderr();
            if ready(&err) {
                return err;
            }
            if start.elapsed() > PATIENCE {
                panic!("server stderr never showed {what} within {PATIENCE:?}; stderr:\n{err}");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> Pid {
        Pid::from_child(&self.child)
    }

    fn out_bytes(&self) -> Vec<u8> {
        self.out.lock().unwrap().clone()
    }

    fn out(&self) -> String {
        String::from_utf8_lossy(&self.out_bytes()).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    /// Waits until stdout satisfies `ready`; panics with the output if it
    /// does not within [`PATIENCE`].
    fn wait_out(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let out = self.out();
            if ready(&out) {
                return out;
            }
            if start.elapsed() > PATIENCE {
                panic!("server stdout never showed {what} within {PATIENCE:?}; stdout:\n{out}");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` and waits up to `limit` for the process to exit; the
    /// exit status and how long it took. Its output is complete afterwards.
    fn signal_and_wait(&mut self, signal: Signal, limit: Duration) -> (ExitStatus, Duration) {
        let start = Instant::now();
        kill_process(self.pid(), signal).expect("kill");
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let took = start.elapsed();
                for r in self.readers.drain(..) {
                    let _ = r.join();
                }
                return (status, took);
            }
            if start.elapsed() > limit {
                panic!(
                    "wsdbg serve did not exit within {limit:?} of signal {signal:?}; stdout:\n{}\nstderr:\n{}",
                    self.out(),
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the process is still running.
    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn tasks(&self) -> usize {
        count_dir(&format!("/proc/{}/task", self.pid()))
    }

    fn fds(&self) -> usize {
        count_dir(&format!("/proc/{}/fd", self.pid()))
    }

    /// Resident memory in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// Waits until the server has no client left (every client's socket
    /// closed), so that every connection's last line is printed.
    fn wait_idle(&self) {
        let start = Instant::now();
        // Every client's socket closed: as many descriptors as at the start.
        while self.fds() > self.idle_fds {
            assert!(
                start.elapsed() < PATIENCE,
                "clients still connected after {PATIENCE:?}: {} descriptors, {} with none; stdout:\n{}",
                self.fds(),
                self.idle_fds,
                self.out()
            );
            thread::sleep(Duration::from_millis(20));
        }
        // A thread writes its last line as it ends, and the pipe to this
        // test may still hold it: wait until the output stops growing.
        let mut len = self.out_bytes().len();
        loop {
            thread::sleep(Duration::from_millis(60));
            let now = self.out_bytes().len();
            if now == len {
                break;
            }
            len = now;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count_dir(path: &str) -> usize {
    std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
        .count()
}

/// The lines of `out` that belong to connection `#id`.
fn lines_of(out: &str, id: u64) -> Vec<&str> {
    let prefix = format!("#{id} ");
    out.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// The id of the connection from local port `port`, from its open,
/// failed, closed or ended line (`#N ... 127.0.0.1:PORT ...`).
fn conn_id(out: &str, port: u16) -> u64 {
    let peer = format!("127.0.0.1:{port}");
    out.lines()
        .filter(|l| l.starts_with('#') && l.contains(&peer))
        .find_map(|l| l[1..].split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no line for peer {peer} in stdout:\n{out}"))
}

fn local_port(s: &TcpStream) -> u16 {
    s.local_addr().unwrap().port()
}

// -------------------------------------------------------------- tungstenite

type Ws = WebSocket<TcpStream>;

/// A tungstenite client on `path`, with room for 64 MiB messages.
fn ws_connect(port: u16, path: &str) -> Ws {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to wsdbg serve");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    let config = WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    let url = format!("ws://127.0.0.1:{port}{path}");
    match tungstenite::client::client_with_config(url.as_str(), stream, Some(config)) {
        Ok((ws, response)) => {
            assert_eq!(response.status(), 101);
            ws
        }
        Err(e) => panic!("tungstenite's handshake with {url} failed: {e}"),
    }
}

/// The next text, binary or close message (pings and pongs skipped).
fn next_data(ws: &mut Ws) -> Message {
    loop {
        match ws.read() {
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Ok(m) => return m,
            Err(e) => panic!("reading from wsdbg serve: {e}"),
        }
    }
}

/// Closes with `frame`, reads until the server ends the connection and
/// hangs up too (dropping the socket: until then the server, which waits
/// for the client's FIN after the close handshake, keeps the connection);
/// the code of the close frame the server answered with (None: no code).
fn close_and_drain(mut ws: Ws, frame: Option<CloseFrame>) -> Option<u16> {
    ws.close(frame).expect("send close");
    let mut answer = None;
    loop {
        match ws.read() {
            Ok(Message::Close(f)) => answer = Some(f.map(|f| u16::from(f.code))),
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("after sending close: {e}"),
        }
    }
    answer.expect("the server answered the close frame")
}

fn close_frame(code: u16, reason: &str) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }
}

/// `n` reproducible bytes (xorshift64 from `seed`).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------- raw TCP

/// A valid opening handshake for `target`, with `extra` header lines.
fn upgrade_request(target: &str, extra: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

fn raw_connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to wsdbg serve");
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.set_write_timeout(Some(PATIENCE)).unwrap();
    s
}

/// Reads a response head (up to the blank line, byte by byte so that
/// nothing after it is taken).
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) => panic!(
                "connection ended inside the response head: {:?}",
                String::from_utf8_lossy(&head)
            ),
            Err(e) => panic!(
                "reading the response head: {e}; so far {:?}",
                String::from_utf8_lossy(&head)
            ),
        }
    }
    String::from_utf8(head).expect("an ASCII head")
}

/// A raw connection whose handshake succeeded.
fn raw_open(port: u16, request: &[u8]) -> TcpStream {
    let mut s = raw_connect(port);
    s.write_all(request).unwrap();
    let head = read_head(&mut s);
    assert!(
        head.starts_with("HTTP/1.1 101 "),
        "expected 101, got:\n{head}"
    );
    assert!(
        head.contains(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n")),
        "{head}"
    );
    s
}

/// Everything until the server ends the connection (or resets it, or
/// `limit` passes): the bytes and whether it ended.
fn read_all(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (all, true),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if start.elapsed() > limit {
                    return (all, false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return (all, true),
        }
    }
}

/// A client frame: first byte `b0` (FIN, RSV, opcode), masked with a fixed
/// key, with the shortest length form.
fn client_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![b0];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n <= 0xffff => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// One frame from the server: (first byte, payload). Server frames are
/// never masked.
fn read_frame(s: &mut TcpStream) -> io::Result<(u8, Vec<u8>)> {
    let mut h = [0u8; 2];
    s.read_exact(&mut h)?;
    assert_eq!(h[1] & 0x80, 0, "the server masked a frame");
    let len = match h[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            s.read_exact(&mut b)?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            s.read_exact(&mut b)?;
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    s.read_exact(&mut payload)?;
    Ok((h[0], payload))
}

/// Reads frames until a close: its code and reason.
fn read_close(s: &mut TcpStream) -> (u16, String) {
    loop {
        let (b0, payload) = read_frame(s).expect("a close frame from the server");
        if b0 & 0x0f == 0x8 {
            assert_eq!(b0, 0x88, "close frame with FIN and no RSV");
            assert!(payload.len() >= 2, "close frame without a code");
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            let reason = String::from_utf8(payload[2..].to_vec()).expect("a UTF-8 reason");
            return (code, reason);
        }
    }
}

// ======================================================== tungstenite tests

#[test]
fn tungstenite_text_binary_and_fragmented_messages_are_echoed() {
    let server = Server::start(&[]);
    let mut ws = ws_connect(server.port, "/echo?x=1");

    ws.send(Message::text("hello, wsdbg")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("hello, wsdbg"));

    let all_bytes: Vec<u8> = (0..=255u8).collect();
    ws.send(Message::binary(all_bytes.clone())).unwrap();
    assert_eq!(next_data(&mut ws), Message::binary(all_bytes));

    ws.send(Message::text("")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text(""));

    // A text message in three frames, "✓" (e2 9c 93) split across the
    // last two, with a ping between fragments (RFC 6455 §5.4 allows it).
    let text = |b: &'static [u8], op: Data, fin: bool| {
        Message::Frame(Frame::message(Bytes::from_static(b), OpCode::Data(op), fin))
    };
    ws.send(text(b"frag", Data::Text, false)).unwrap();
    ws.send(text(b"mented \xe2\x9c", Data::Continue, false))
        .unwrap();
    ws.send(Message::Ping(Bytes::from_static(b"between")))
        .unwrap();
    ws.send(text(b"\x93 text", Data::Continue, true)).unwrap();
    match ws.read().unwrap() {
        Message::Pong(p) => assert_eq!(&p[..], b"between"),
        other => panic!("expected the pong before the echo, got {other:?}"),
    }
    assert_eq!(next_data(&mut ws), Message::text("fragmented ✓ text"));

    // A binary message in four frames, the middle ones empty.
    ws.send(text(b"\x00\x01", Data::Binary, false)).unwrap();
    ws.send(text(b"", Data::Continue, false)).unwrap();
    ws.send(text(b"", Data::Continue, false)).unwrap();
    ws.send(text(b"\xfe\xff", Data::Continue, true)).unwrap();
    assert_eq!(
        next_data(&mut ws),
        Message::binary(vec![0x00, 0x01, 0xfe, 0xff])
    );

    let answer = close_and_drain(ws, Some(close_frame(1000, "")));
    assert_eq!(answer, Some(1000));
    server.wait_idle();

    let out = server.out();
    let lines = lines_of(&out, 1);
    let expect = [
        "#1 open 127.0.0.1:",
        "#1 client: text 12 bytes: \"hello, wsdbg\"",
        "#1 server: text 12 bytes: \"hello, wsdbg\"",
        "#1 client: binary 256 bytes: 00 01 02 03",
        "#1 server: binary 256 bytes: 00 01 02 03",
        "#1 client: text 0 bytes",
        "#1 client: ping 7 bytes: \"between\"",
        "#1 server: pong 7 bytes: \"between\"",
        "#1 client: text 19 bytes (3 frames): \"fragmented ✓ text\"",
        "#1 server: text 19 bytes: \"fragmented ✓ text\"",
        "#1 client: binary 4 bytes (4 frames): 00 01 fe ff",
        "#1 server: binary 4 bytes: 00 01 fe ff",
        "#1 closed by the client; client sent 1000",
    ];
    for e in expect {
        assert!(
            lines.iter().any(|l| l.starts_with(e)),
            "no line starting {e:?} in stdout:\n{out}"
        );
    }
    assert!(
        out.contains("/echo?x=1"),
        "the open line names the target:\n{out}"
    );
    assert!(
        lines.last().unwrap().contains("(5 messages in, 5 out)"),
        "{out}"
    );
}

#[test]
fn tungstenite_ping_gets_a_pong_with_its_payload() {
    let server = Server::start(&[]);
    let mut ws = ws_connect(server.port, "/");
    for payload in [&b""[..], b"ping payload \x00\xff", &[0x55; 125]] {
        ws.send(Message::Ping(Bytes::copy_from_slice(payload)))
            .unwrap();
        loop {
            match ws.read().expect("read the pong") {
                Message::Pong(p) => {
                    assert_eq!(&p[..], payload);
                    break;
                }
                Message::Ping(_) => {}
                other => panic!("expected a pong, got {other:?}"),
            }
        }
    }
    assert_eq!(close_and_drain(ws, None), None);
    let out = server.wait_out("the closing line", |o| o.contains("#1 closed"));
    // Not UTF-8: shown as hex.
    let hex = "15 bytes: 70 69 6e 67 20 70 61 79 6c 6f 61 64 20 00 ff";
    assert!(out.contains(&format!("#1 client: ping {hex}\n")), "{out}");
    assert!(out.contains(&format!("#1 server: pong {hex}\n")), "{out}");
    assert!(out.contains("#1 client: ping 0 bytes"), "{out}");
    assert!(out.contains("#1 server: pong 125 bytes"), "{out}");
    // A close without a code is answered without one (RFC 6455 §5.5.1).
    assert!(
        out.contains("#1 closed by the client; no status code, clean"),
        "{out}"
    );
}

#[test]
fn tungstenite_close_codes_are_echoed_and_named() {
    let server = Server::start(&[]);
    let cases = [
        (1000, "", "normal closure"),
        (4000, "custom reason ✓", "private use"),
        (1001, "going", "going away"),
    ];
    for (i, (code, reason, _)) in cases.iter().enumerate() {
        let mut ws = ws_connect(server.port, "/");
        ws.send(Message::text(format!("message {i}"))).unwrap();
        assert_eq!(next_data(&mut ws), Message::text(format!("message {i}")));
        let answer = close_and_drain(ws, Some(close_frame(*code, reason)));
        assert_eq!(
            answer,
            Some(*code),
            "the server echoes the close code (RFC 6455 §5.5.1)"
        );
    }
    server.wait_idle();
    let out = server.out();
    for (i, (code, reason, name)) in cases.iter().enumerate() {
        let id = i as u64 + 1;
        let lines = lines_of(&out, id).join("\n").to_lowercase();
        let quoted = if reason.is_empty() {
            String::new()
        } else {
            format!(" \"{reason}\"")
        };
        let client_close = format!("#{id} client: close {code} ({name}"); // name's case aside
        assert!(
            lines.contains(&client_close.to_lowercase()),
            "no {client_close:?} in:\n{out}"
        );
        if !reason.is_empty() {
            assert!(
                lines.contains(&format!("{code} ({name}){quoted}").to_lowercase()),
                "the reason is shown: {quoted} in:\n{out}"
            );
        }
        assert!(
            lines.contains(&format!("#{id} server: close {code} ({name}")),
            "the server's answer is shown, in:\n{out}"
        );
        let closed =
            format!("#{id} closed by the client; client sent {code} {name}{quoted}, clean");
        assert!(
            lines.contains(&closed.to_lowercase()),
            "no {closed:?} in:\n{out}"
        );
    }
}

#[test]
fn tungstenite_16_mib_message_is_echoed_and_one_byte_more_is_refused_with_1009() {
    let server = Server::start(&[]);
    let data = noise(16, 16 << 20);
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::binary(data.clone())).unwrap();
    match next_data(&mut ws) {
        Message::Binary(got) => {
            assert_eq!(got.len(), data.len());
            assert!(got[..] == data[..], "the 16 MiB echo differs");
        }
        other => panic!("expected the binary echo, got {:?}", other.len()),
    }
    close_and_drain(ws, Some(close_frame(1000, "")));

    let mut too_big = data;
    too_big.push(0);
    let mut ws = ws_connect(server.port, "/");
    // The server may fail the connection as soon as it reads the header; it
    // keeps reading what follows, so the send completes either way.
    let _ = ws.send(Message::binary(too_big));
    match next_data(&mut ws) {
        Message::Close(Some(f)) => {
            assert_eq!(u16::from(f.code), 1009, "close code for a message too big");
            assert!(
                f.reason.contains("16777216"),
                "the reason names the limit: {:?}",
                f.reason
            );
        }
        other => panic!("expected close 1009, got {other:?}"),
    }
    drop(ws);
    let out = server.wait_out("the failed line", |o| o.contains("#2 failed"));
    assert!(out.contains("#2 server: close 1009"), "{out}");
    assert!(out.contains("#1 client: binary 16777216 bytes"), "{out}");
    assert!(out.contains("#1 server: binary 16777216 bytes"), "{out}");
}

#[test]
fn tungstenite_200_concurrent_clients_each_echo_20_messages() {
    const CLIENTS: usize = 200;
    const MESSAGES: usize = 20;
    let server = Server::start(&[]);
    let port = server.port;
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let barrier = barrier.clone();
            thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || -> Result<(), String> {
                    let mut ws = ws_connect(port, &format!("/client/{c}"));
                    // All 200 are connected at once before any sends.
                    barrier.wait();
                    for m in 0..MESSAGES {
                        let msg = if m % 2 == 0 {
                            Message::text(format!("client {c} message {m}"))
                        } else {
                            Message::binary(noise((c * 100 + m) as u64, 1 + (c + m) % 300))
                        };
                        ws.send(msg.clone())
                            .map_err(|e| format!("{c}/{m}: send {e}"))?;
                        let got = next_data(&mut ws);
                        if got != msg {
                            return Err(format!(
                                "client {c} message {m}: sent {msg:?}, got {got:?}"
                            ));
                        }
                    }
                    let answer = close_and_drain(ws, Some(close_frame(1000, "done")));
                    if answer != Some(1000) {
                        return Err(format!("client {c}: close answered with {answer:?}"));
                    }
                    Ok(())
                })
                .unwrap()
        })
        .collect();
    let errors: Vec<String> = clients
        .into_iter()
        .filter_map(|h| match h.join() {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some("a client thread panicked".to_string()),
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{} clients failed: {errors:#?}",
        errors.len()
    );
    server.wait_idle();
    let out = server.out();
    let opens = out
        .lines()
        .filter(|l| l.starts_with('#') && l.contains(" open 127.0.0.1:"))
        .count();
    let closes: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with('#') && l.contains(" closed by the client; client sent 1000"))
        .collect();
    assert_eq!(opens, CLIENTS, "open lines");
    assert_eq!(closes.len(), CLIENTS, "closing lines");
    assert!(
        closes
            .iter()
            .all(|l| l.contains(", clean;") && l.contains("(20 messages in, 20 out)")),
        "every close is clean, after 20 messages each way"
    );
    let messages = out
        .lines()
        .filter(|l| l.contains(" client: text ") || l.contains(" client: binary "))
        .count();
    assert_eq!(messages, CLIENTS * MESSAGES, "message lines from clients");
}

// ================================================================= python

/// Whether `python3` can import `websockets` (./test.sh installs it).
fn python_websockets() -> bool {
    Command::new("python3")
        .args(["-c", "import websockets.sync.client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn python_websockets_client_round_trip() {
    if !python_websockets() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 cannot import websockets: run ./test.sh, which installs it"
        );
        eprintln!("python_websockets_client_round_trip: skipped: python3 has no websockets module; ./test.sh installs it");
        return;
    }
    let server = Server::start(&[]);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/serve/websockets_client.py"
    );
    let run = Command::new("python3")
        .arg(script)
        .arg(server.port.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "the websockets client failed ({}):\n{stdout}\n{}\nserver stdout:\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr),
        server.out()
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "open 101",
            "text echoed",
            "binary echoed",
            "pong received",
            "closed 1000"
        ]
    );
    server.wait_idle();
    let out = server.out();
    let lines = lines_of(&out, 1);
    let expect = [
        "#1 open 127.0.0.1:",
        "#1 client: text 22 bytes: \"héllo from python ✓\"",
        "#1 server: text 22 bytes: \"héllo from python ✓\"",
        "#1 client: binary 7 bytes: 00 01 02 7f 80 fe ff",
        "#1 server: binary 7 bytes: 00 01 02 7f 80 fe ff",
        "#1 client: ping 14 bytes: \"are you there?\"",
        "#1 server: pong 14 bytes: \"are you there?\"",
        "#1 client: close 1000 (",
        "#1 server: close 1000 (",
        "#1 closed by the client; client sent 1000 ",
    ];
    assert_eq!(lines.len(), expect.len(), "stdout:\n{out}");
    for (line, e) in lines.iter().zip(expect) {
        assert!(
            line.starts_with(e),
            "expected {e:?}, got {line:?}; stdout:\n{out}"
        );
    }
    assert!(lines[0].ends_with(" /python?client=websockets"), "{out}");
    assert!(lines[7].ends_with(") \"bye from python\""), "{out}");
    assert!(
        lines[9].contains(" \"bye from python\", clean; 127.0.0.1:")
            && lines[9].ends_with("(2 messages in, 2 out)"),
        "{out}"
    );
}

// ====================================================== refused handshakes

/// A refusal as the client read it.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// Sends `request` on a new connection and reads the answer to the end.
fn refusal(port: u16, request: &[u8]) -> (Answer, u16) {
    let mut s = raw_connect(port);
    let lp = local_port(&s);
    s.write_all(request).unwrap();
    let (bytes, ended) = read_all(&mut s, Duration::from_secs(5));
    assert!(ended, "the server did not hang up after its answer");
    let text = String::from_utf8(bytes).expect("a UTF-8 answer");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {text:?}"));
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP/1.1 status line in {head:?}"));
    let length = format!("\r\nContent-Length: {}\r\n", body.len());
    assert!(
        head.contains(&length),
        "Content-Length matches the body: {head}"
    );
    assert!(
        head.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"),
        "{head}"
    );
    (
        Answer {
            status,
            head: format!("{head}\r\n"),
            body: body.to_string(),
        },
        lp,
    )
}

/// Checks that stdout shows the refusal of the client on `lp` with
/// `status` and a reason on the next line; returns that reason.
fn assert_refusal_shown(out: &str, lp: u16, status: u16) -> String {
    let peer = format!(" 127.0.0.1:{lp} ");
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(" refused") && l.contains(&peer))
        .unwrap_or_else(|| panic!("no refused line for{peer}in stdout:\n{out}"));
    assert!(
        lines[at].contains(&format!(": answered {status} ")),
        "{:?} should say it answered {status}",
        lines[at]
    );
    let reason = lines.get(at + 1).copied().unwrap_or_default();
    assert!(
        reason.starts_with("  ✗ "),
        "the reason follows the refused line; stdout:\n{out}"
    );
    reason.to_string()
}

#[test]
fn raw_handshake_refusals_name_what_is_wrong() {
    let server = Server::start(&[]);
    let good = upgrade_request("/chat", "");
    let key_line = format!("Sec-WebSocket-Key: {KEY}\r\n");
    // (what, request, status, words the body must have (a short reason
    // that quotes none of the peer's bytes), header the answer must have,
    // words stdout's full sentence must have)
    type Case<'a> = (&'a str, String, u16, &'a [&'a str], &'a str, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            "missing key",
            good.replace(&key_line, ""),
            400,
            &["no Sec-WebSocket-Key header"],
            "",
            &["no Sec-WebSocket-Key header"],
        ),
        (
            "bad key (10 bytes)",
            good.replace(KEY, "dGhlIHNhbXBsZQ=="),
            400,
            &["Sec-WebSocket-Key decodes to 10 bytes, not 16"],
            "",
            &["Sec-WebSocket-Key \"dGhlIHNhbXBsZQ==\" is invalid"],
        ),
        (
            "bad key (not base64)",
            good.replace(KEY, "not a key!"),
            400,
            &["of Sec-WebSocket-Key is not base64"],
            "",
            &["Sec-WebSocket-Key \"not a key!\" is invalid"],
        ),
        // Without Upgrade or Connection at all the server takes the request
        // for plain HTTP and answers 426 Upgrade Required (with the Upgrade
        // header RFC 9110 §15.5.22 requires); wrong tokens get 400.
        (
            "missing Upgrade",
            good.replace("Upgrade: websocket\r\n", ""),
            426,
            &["no Upgrade header"],
            "Upgrade: websocket",
            &["Upgrade"],
        ),
        (
            "bad Upgrade",
            good.replace("Upgrade: websocket", "Upgrade: h2c"),
            400,
            &["Upgrade header lacks the token websocket"],
            "",
            &["Upgrade", "h2c"],
        ),
        (
            "missing Connection",
            good.replace("Connection: Upgrade\r\n", ""),
            426,
            &["no Connection header"],
            "Upgrade: websocket",
            &["Connection"],
        ),
        (
            "bad Connection",
            good.replace("Connection: Upgrade", "Connection: keep-alive"),
            400,
            &["Connection header lacks the token Upgrade"],
            "",
            &["Connection", "keep-alive"],
        ),
        (
            "HTTP/1.0",
            good.replace("HTTP/1.1", "HTTP/1.0"),
            505,
            &["request line says HTTP/1.0", "HTTP/1.1"],
            "",
            &["HTTP/1.0", "HTTP/1.1"],
        ),
        (
            "no Host",
            good.replace("Host: 127.0.0.1\r\n", ""),
            400,
            &["no Host header"],
            "",
            &["no Host header"],
        ),
        (
            "POST",
            good.replace("GET /chat", "POST /chat"),
            405,
            &["method is not GET"],
            "Allow: GET",
            &["method is \"POST\"", "GET"],
        ),
        (
            "version 8",
            good.replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"),
            426,
            &["Sec-WebSocket-Version is not 13"],
            "Sec-WebSocket-Version: 13",
            &["Sec-WebSocket-Version is \"8\"", "13"],
        ),
    ];
    let mut seen = Vec::new();
    for (what, request, status, words, header, said) in &cases {
        let (answer, lp) = refusal(server.port, request.as_bytes());
        assert_eq!(answer.status, *status, "{what}: answer\n{}", answer.head);
        for w in *words {
            assert!(
                answer.body.contains(w),
                "{what}: the body should name {w:?}: {:?}",
                answer.body
            );
        }
        if !header.is_empty() {
            assert!(
                answer.head.contains(&format!("\r\n{header}\r\n")),
                "{what}: the answer should carry {header:?}:\n{}",
                answer.head
            );
        }
        assert!(!answer.head.contains("Sec-WebSocket-Accept"), "{what}");
        seen.push((lp, *status, *said));
    }
    let out = server.wait_out("every refusal", |o| {
        o.lines().filter(|l| l.contains(" refused ")).count() >= cases.len()
    });
    for (lp, status, said) in &seen {
        let reason = assert_refusal_shown(&out, *lp, *status);
        for w in *said {
            assert!(reason.contains(w), "stdout should name {w:?}: {reason:?}");
        }
    }
    // A refused client gets no open line, and no second line when it goes.
    assert!(!out.contains(" open "), "{out}");
    server.wait_idle();
    let out = server.out();
    assert_eq!(
        out.lines().filter(|l| l.starts_with('#')).count(),
        cases.len(),
        "one line (and its reasons) per refusal:\n{out}"
    );
}

#[test]
fn raw_handshake_over_max_head_gets_431() {
    let server = Server::start(&["--max-head", "1K"]);
    let padding = format!("X-Padding: {}\r\n", "a".repeat(2000));
    let (answer, lp) = refusal(server.port, upgrade_request("/", &padding).as_bytes());
    assert_eq!(answer.status, 431, "{}", answer.head);
    assert!(answer
        .head
        .starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    assert!(
        answer.body.contains("1024"),
        "the body names the limit: {:?}",
        answer.body
    );
    let out = server.wait_out("the refusal", |o| o.contains(" refused "));
    let reason = assert_refusal_shown(&out, lp, 431);
    assert!(reason.contains("1024"), "{reason}");
    // Just under the limit is fine.
    let padding = format!("X-Padding: {}\r\n", "a".repeat(800));
    let s = raw_open(server.port, upgrade_request("/", &padding).as_bytes());
    drop(s);
}

#[test]
fn raw_handshake_from_an_origin_not_listed_gets_403() {
    let server = Server::start(&["--origin", "https://good.example"]);
    let (answer, lp) = refusal(
        server.port,
        upgrade_request("/", "Origin: https://evil.example\r\n").as_bytes(),
    );
    assert_eq!(answer.status, 403, "{}", answer.head);
    // The body names the problem without reflecting the peer's bytes.
    assert!(answer.body.contains("allow-list"), "{:?}", answer.body);
    assert!(!answer.body.contains("evil"), "{:?}", answer.body);
    assert!(answer.body.contains("Origin"), "{:?}", answer.body);
    let (no_origin, lp2) = refusal(server.port, upgrade_request("/", "").as_bytes());
    assert_eq!(no_origin.status, 403, "{}", no_origin.head);
    assert!(no_origin.body.contains("Origin"), "{:?}", no_origin.body);
    let s = raw_open(
        server.port,
        upgrade_request("/", "Origin: https://good.example\r\n").as_bytes(),
    );
    drop(s);
    let out = server.wait_out("both refusals", |o| o.matches(" refused ").count() == 2);
    let reason = assert_refusal_shown(&out, lp, 403);
    assert!(reason.contains("https://evil.example"), "{reason}");
    let reason = assert_refusal_shown(&out, lp2, 403);
    assert!(reason.contains("Origin"), "{reason}");
}

// ============================================================ broken frames

#[test]
fn raw_broken_frames_are_closed_with_a_reason_naming_the_rule() {
    let server = Server::start(&[]);
    let ping126 = client_frame(0x89, &[b'a'; 126]);
    let mut unmasked = vec![0x81, 0x02];
    unmasked.extend_from_slice(b"hi");
    // (what, bytes, close code, words of the reason, words of the ✗ line in stdout)
    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        (
            "unmasked client frame",
            unmasked,
            1002,
            "not masked",
            "✗ RFC 6455 §5.1: frame from the client is not masked",
        ),
        (
            "reserved opcode 0x3",
            client_frame(0x83, b""),
            1002,
            "reserved opcode 0x3",
            "✗ RFC 6455 §5.2: opcode 0x3 is reserved",
        ),
        (
            "reserved control opcode 0xB",
            client_frame(0x8b, b""),
            1002,
            "reserved opcode 0xb",
            "✗ RFC 6455 §5.2: opcode 0xb is reserved",
        ),
        (
            "RSV1 without an extension",
            client_frame(0xc1, b"hi"),
            1002,
            "RSV1",
            "✗ RFC 6455 §5.2: RSV1 is set",
        ),
        (
            "control frame of 126 bytes",
            ping126,
            1002,
            "126 bytes",
            "✗ RFC 6455 §5.5: ping frame has a payload of 126 bytes",
        ),
        (
            "fragmented ping",
            client_frame(0x09, b"hi"),
            1002,
            "fragmented ping",
            "✗ RFC 6455 §5.5: ping frame has FIN=0",
        ),
        (
            "continuation with no message open",
            client_frame(0x80, b"hi"),
            1002,
            "continuation",
            "✗ RFC 6455 §5.4",
        ),
        (
            "invalid UTF-8 text",
            client_frame(0x81, b"ok \xff\xfe"),
            1007,
            "not UTF-8",
            "✗ RFC 6455 §8.1: text is not UTF-8",
        ),
        (
            "invalid UTF-8 across fragments",
            [client_frame(0x01, b"ok \xe2"), client_frame(0x80, b"(x")].concat(),
            1007,
            "not UTF-8",
            "✗ RFC 6455 §8.1: text message is not UTF-8: invalid UTF-8 at byte 4",
        ),
    ];
    let mut seen = Vec::new();
    for (what, bytes, code, reason_has, _) in &cases {
        let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
        let lp = local_port(&s);
        s.write_all(bytes).unwrap();
        let (got, reason) = read_close(&mut s);
        assert_eq!(got, *code, "{what}: close code (reason {reason:?})");
        assert!(
            reason.contains(reason_has),
            "{what}: the reason {reason:?} should name {reason_has:?}"
        );
        let (rest, ended) = read_all(&mut s, Duration::from_secs(3));
        assert!(
            ended && rest.is_empty(),
            "{what}: the server hangs up after its close"
        );
        seen.push(lp);
    }
    server.wait_idle();
    // Each failed line is written as its thread ends; reading may lag.
    let out = server.wait_out("every failed line", |o| {
        o.matches(" failed: ").count() >= cases.len()
    });
    for ((what, _, code, _, marker), lp) in cases.iter().zip(seen) {
        let id = conn_id(&out, lp);
        let lines = lines_of(&out, id);
        let block = out
            .split(&format!("#{id} client · frame "))
            .nth(1)
            .unwrap_or_else(|| panic!("{what}: no annotated frame for #{id} in:\n{out}"));
        let block = block.split("\n\n").next().unwrap();
        assert!(
            block.contains(marker),
            "{what}: the annotated frame should carry {marker:?}:\n{block}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("#{id} server: close {code} "))),
            "{what}: {out}"
        );
        let failed = lines
            .iter()
            .find(|l| l.starts_with(&format!("#{id} failed: RFC 6455 §")))
            .unwrap_or_else(|| panic!("{what}: no failed line for #{id}:\n{out}"));
        let rule = &marker["✗ ".len()..];
        assert!(
            failed.contains(rule) && failed.contains(&format!("server sent {code} ")),
            "{what}: {failed:?} should say {rule:?} and {code}"
        );
    }
}

#[test]
fn raw_length_claims_of_2_pow_63_are_closed_at_once_without_memory() {
    let server = Server::start(&[]);
    // Warm up: one ordinary connection, so the baseline has its allocations.
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("warm")).unwrap();
    next_data(&mut ws);
    close_and_drain(ws, None);
    server.wait_idle();
    let before = server.rss_kib();
    let claims: [(&str, u64, u16); 3] = [
        ("2^63 (top bit set)", 1 << 63, 1002),
        ("2^63 - 1", (1 << 63) - 1, 1009),
        ("2^32", 1 << 32, 1009),
    ];
    for (what, claim, code) in claims {
        for _ in 0..3 {
            let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
            let mut frame = vec![0x82, 0xff];
            frame.extend_from_slice(&claim.to_be_bytes());
            frame.extend_from_slice(&[1, 2, 3, 4]);
            frame.extend_from_slice(&[0u8; 1024]);
            let start = Instant::now();
            s.write_all(&frame).unwrap();
            let (got, reason) = read_close(&mut s);
            let took = start.elapsed();
            assert_eq!(got, code, "{what}: {reason}");
            assert!(
                took < Duration::from_secs(1),
                "{what}: closed after {took:?}, not at once"
            );
        }
    }
    server.wait_idle();
    let after = server.rss_kib();
    assert!(
        after < before + 8 * 1024,
        "RSS grew from {before} KiB to {after} KiB after length claims"
    );
    let out = server.out();
    assert!(
        out.contains(
            "✗ RFC 6455 §5.2: 64-bit length 0x8000000000000000 has its most significant bit set"
        ),
        "{out}"
    );
    assert!(
        out.contains("frame announces 9223372036854775807 bytes of payload; this receiver takes at most 16777216"),
        "{out}"
    );
}

#[test]
fn max_message_limit_counts_fragments_too() {
    let server = Server::start(&["--max-message", "1K"]);
    let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
    s.write_all(&client_frame(0x82, &[7; 1024])).unwrap();
    let (b0, payload) = read_frame(&mut s).unwrap();
    assert_eq!((b0, payload.len()), (0x82, 1024), "1 KiB is echoed");
    // 600 + 600 bytes in two fragments: each fits, the message does not.
    s.write_all(&client_frame(0x02, &[1; 600])).unwrap();
    s.write_all(&client_frame(0x80, &[2; 600])).unwrap();
    let (code, reason) = read_close(&mut s);
    assert_eq!(code, 1009, "{reason}");
    assert!(reason.contains("1024"), "{reason}");
}

// ============================================================ slow clients

/// Sends `request` one byte every `gap`, watching for the server to hang
/// up; how long it took, or why not within `limit`.
fn trickle(port: u16, request: &[u8], gap: Duration, limit: Duration) -> Result<Duration, String> {
    let mut s = raw_connect(port);
    s.set_read_timeout(Some(gap)).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    for (i, b) in request.iter().enumerate() {
        if s.write_all(&[*b]).is_err() {
            return Ok(start.elapsed());
        }
        match s.read(&mut buf) {
            Ok(0) => return Ok(start.elapsed()),
            Ok(n) => {
                return Err(format!(
                    "the server answered {:?} after {i} bytes",
                    String::from_utf8_lossy(&buf[..n])
                ))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Ok(start.elapsed()),
        }
        if start.elapsed() > limit {
            return Err(format!(
                "still connected after {:?}, {} of {} bytes sent",
                start.elapsed(),
                i + 1,
                request.len()
            ));
        }
    }
    Err("the whole request went through".into())
}

#[test]
fn client_silent_during_the_handshake_is_cut_at_the_timeout() {
    let server = Server::start(&["--handshake-timeout", "1"]);
    let mut s = raw_connect(server.port);
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let start = Instant::now();
    let (bytes, ended) = read_all(&mut s, Duration::from_secs(4));
    let took = start.elapsed();
    assert!(ended, "still connected after {took:?}");
    assert!(
        bytes.is_empty() || bytes.starts_with(b"HTTP/1.1 4"),
        "{bytes:?}"
    );
    assert!(
        (Duration::from_millis(800)..Duration::from_millis(2500)).contains(&took),
        "cut after {took:?}, expected about 1 s"
    );
    let out = server.wait_out("the ended line", |o| o.contains("#1 ended"));
    assert!(
        out.contains("#1 ended: the handshake did not complete in time"),
        "{out}"
    );
}

#[test]
fn a_slow_handshake_does_not_hold_up_other_clients() {
    let server = Server::start(&[]);
    let port = server.port;
    let slow = thread::spawn(move || {
        trickle(
            port,
            upgrade_request("/", "").as_bytes(),
            Duration::from_millis(100),
            Duration::from_millis(900),
        )
    });
    thread::sleep(Duration::from_millis(150));
    for i in 0..3 {
        let start = Instant::now();
        let mut ws = ws_connect(port, "/");
        ws.send(Message::text(format!("not held up {i}"))).unwrap();
        assert_eq!(
            next_data(&mut ws),
            Message::text(format!("not held up {i}"))
        );
        let served = start.elapsed();
        close_and_drain(ws, None);
        assert!(
            served < Duration::from_millis(500),
            "client {i} served after {served:?}"
        );
    }
    // The slow client is still connected, mid-handshake, all along.
    let still = slow.join().unwrap();
    assert!(
        still
            .as_ref()
            .is_err_and(|e| e.starts_with("still connected")),
        "{still:?}"
    );
}

#[test]
fn slowloris_is_cut_at_the_handshake_timeout_while_others_are_served() {
    let server = Server::start(&["--handshake-timeout", "1"]);
    let port = server.port;
    let slow = thread::spawn(move || {
        trickle(
            port,
            upgrade_request("/", "").as_bytes(),
            Duration::from_millis(200),
            Duration::from_secs(4),
        )
    });
    thread::sleep(Duration::from_millis(300));
    // Meanwhile another client is served at once.
    let start = Instant::now();
    let mut ws = ws_connect(port, "/");
    ws.send(Message::text("not held up")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("not held up"));
    let served = start.elapsed();
    close_and_drain(ws, None);
    assert!(
        served < Duration::from_millis(500),
        "served after {served:?}"
    );
    let took = slow
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("slowloris: {e}"));
    assert!(
        (Duration::from_millis(800)..Duration::from_millis(2500)).contains(&took),
        "slowloris cut after {took:?}, expected about 1 s (--handshake-timeout 1)"
    );
    let out = server.wait_out("the ended line", |o| o.contains("#1 ended"));
    assert!(
        out.contains("#1 ended: the handshake did not complete in time"),
        "{out}"
    );
}

#[test]
fn trickling_after_a_failed_connection_is_cut_at_the_close_timeout() {
    let server = Server::start(&["--close-timeout", "1"]);
    let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
    // An unmasked frame: the server fails the connection with 1002.
    s.write_all(&[0x81, 0x00]).unwrap();
    let (code, _) = read_close(&mut s);
    assert_eq!(code, 1002);
    // The server now waits (at most --close-timeout) for the client to hang
    // up; this client sends a byte every 200 ms instead.
    let start = Instant::now();
    let cut = loop {
        if s.write_all(&[0]).is_err() {
            break true;
        }
        thread::sleep(Duration::from_millis(200));
        if server.out().contains("#1 failed") {
            break true;
        }
        if start.elapsed() > Duration::from_secs(4) {
            break false;
        }
    };
    let took = start.elapsed();
    assert!(
        cut && took < Duration::from_millis(2500),
        "the failed connection was still held {took:?} after the close (--close-timeout 1); stdout:\n{}",
        server.out()
    );
}

#[test]
fn chatty_client_ignoring_the_idle_close_is_cut_at_the_close_timeout() {
    let server = Server::start(&["--idle-timeout", "1", "--close-timeout", "1"]);
    let opened = Instant::now();
    let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
    let (code, reason) = read_close(&mut s);
    assert_eq!((code, reason.as_str()), (1001, "idle timeout"));
    // Watched from afar, an eighth of the timeout at a time: on time.
    let idle = opened.elapsed();
    assert!(
        idle >= Duration::from_millis(950) && idle < Duration::from_millis(1600),
        "the idle close came after {idle:?} (--idle-timeout 1)"
    );
    let start = Instant::now();
    let cut = loop {
        if s.write_all(&client_frame(0x89, b"ping")).is_err() {
            break true;
        }
        thread::sleep(Duration::from_millis(200));
        if server.out().contains("#1 closed") {
            break true;
        }
        if start.elapsed() > Duration::from_secs(4) {
            break false;
        }
    };
    let took = start.elapsed();
    assert!(
        cut && took < Duration::from_millis(2500),
        "the closing connection was still held {took:?} after the server's close \
         (--close-timeout 1); stdout:\n{}",
        server.out()
    );
}

// ======================================================== vanishing peers

/// Drops the connection with a TCP RST instead of a FIN.
fn reset(s: TcpStream) {
    rustix::net::sockopt::set_socket_linger(&s, Some(Duration::ZERO)).expect("SO_LINGER");
    drop(s);
}

#[test]
fn peers_vanishing_leave_no_thread_or_descriptor_behind() {
    let server = Server::start(&[]);
    let baseline = (server.tasks(), server.fds());
    let request = upgrade_request("/", "");
    let half_head = &request.as_bytes()[..request.len() / 2];
    // A frame announcing 100 bytes, of which 10 arrive.
    let half_frame = &client_frame(0x82, &[9; 100])[..16];
    type Connect<'a> = Box<dyn Fn(u16) -> TcpStream + 'a>;
    let scenarios: Vec<(&str, Connect)> = vec![
        ("connect, send nothing", Box::new(raw_connect)),
        (
            "half a handshake",
            Box::new(|port| {
                let mut s = raw_connect(port);
                s.write_all(half_head).unwrap();
                s
            }),
        ),
        (
            "half a frame",
            Box::new(|port| {
                let mut s = raw_open(port, request.as_bytes());
                s.write_all(half_frame).unwrap();
                s
            }),
        ),
    ];
    let mut clients = 0;
    for (what, make) in &scenarios {
        for rst in [false, true] {
            let s = make(server.port);
            clients += 1;
            // The client has a descriptor now, and no thread of its own:
            // the reactor serves every client.
            let start = Instant::now();
            while server.fds() <= baseline.1 {
                assert!(
                    start.elapsed() < PATIENCE,
                    "{what}: the server never took the connection"
                );
                thread::sleep(Duration::from_millis(5));
            }
            assert_eq!(server.tasks(), baseline.0, "{what}: a thread per client");
            thread::sleep(Duration::from_millis(50));
            if rst {
                reset(s);
            } else {
                drop(s);
            }
            let start = Instant::now();
            loop {
                let now = (server.tasks(), server.fds());
                if now == baseline {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(5),
                    "{what} ({}): {} tasks and {} descriptors 5 s after the peer vanished, \
                     {} and {} before; stdout:\n{}",
                    if rst { "RST" } else { "FIN" },
                    now.0,
                    now.1,
                    baseline.0,
                    baseline.1,
                    server.out()
                );
                thread::sleep(Duration::from_millis(20));
            }
        }
    }
    // The last line may still be in the pipe to this test.
    let ends = |out: &str| {
        out.lines()
            .filter(|l| l.contains(" ended: ") || l.contains(" closed abnormally: "))
            .count()
    };
    let out = server.wait_out("one last line per vanished client", |o| ends(o) >= clients);
    assert_eq!(
        ends(&out),
        clients,
        "one last line per vanished client:\n{out}"
    );
    assert!(
        out.contains("ended: the peer ended the connection during the handshake"),
        "{out}"
    );
    assert!(out.contains("closed abnormally:"), "{out}");
}

// ================================================================ junk

#[test]
fn junk_instead_of_a_handshake_is_refused_and_the_server_stays_up() {
    let mut server = Server::start(&["--handshake-timeout", "2"]);
    // A TLS 1.2 ClientHello's first bytes (record header 16 03 01, then a
    // handshake header 01 and the client version 03 03).
    let mut tls = vec![
        0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
    ];
    tls.extend(noise(0x7153, 32));
    tls.extend_from_slice(&[0x20]);
    tls.extend(noise(0x7154, 32));
    tls.extend_from_slice(&[0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    let mut inputs: Vec<(String, Vec<u8>)> = vec![("TLS ClientHello".into(), tls)];
    for seed in [1u64, 2, 3, 42, 0xdead_beef, 0x5eed] {
        let len = 1 + (seed as usize * 7919) % 700;
        inputs.push((
            format!("{len} random bytes, seed {seed:#x}"),
            noise(seed, len),
        ));
    }
    inputs.push(("SSH banner".into(), b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()));
    inputs.push(("NUL bytes".into(), vec![0; 64]));
    for (what, bytes) in &inputs {
        let mut s = raw_connect(server.port);
        let _ = s.write_all(bytes);
        let start = Instant::now();
        let (answer, ended) = read_all(&mut s, Duration::from_secs(4));
        assert!(ended, "{what}: still connected after {:?}", start.elapsed());
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 400 Bad Request\r\n"),
            "{what}: answered {:?}",
            String::from_utf8_lossy(&answer)
        );
        assert!(server.alive(), "{what}: the server died");
    }
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("still here?")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("still here?"));
    close_and_drain(ws, None);
    server.wait_idle();
    let out = server.out();
    let refused = out.lines().filter(|l| l.contains(" refused ")).count();
    assert_eq!(
        refused,
        inputs.len(),
        "each junk connection shows as refused:\n{out}"
    );
}

// ========================================================= terminal safety

/// Text with ESC/CSI, OSC, BEL, a C1 control (U+009B) and a bidi override.
const EVIL: &str = "A\x1b[2J B\x1b]0;pwned\x07 C\x07 D\u{9b}31m E\u{202e}gnp.exe";

/// The same, as bytes, with invalid UTF-8 and raw C1 bytes added.
fn evil_bytes() -> Vec<u8> {
    let mut b = EVIL.as_bytes().to_vec();
    b.extend_from_slice(b" \xff\xfe \x9b \x1b[0m");
    b
}

/// Panics if `bytes` holds ESC, BEL, U+009B or U+202E.
fn assert_no_terminal_controls(bytes: &[u8], what: &str) {
    let bad: [(&[u8], &str); 4] = [
        (b"\x1b", "ESC"),
        (b"\x07", "BEL"),
        (b"\xc2\x9b", "U+009B"),
        (b"\xe2\x80\xae", "U+202E"),
    ];
    for (needle, name) in bad {
        if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
            let from = at.saturating_sub(120);
            let to = (at + 120).min(bytes.len());
            panic!(
                "{what}: raw {name} at byte {at}: …{}…",
                bytes[from..to].escape_ascii()
            );
        }
    }
}

/// Every way a client's bytes reach the output, under `args`.
fn terminal_safety(args: &[&str]) {
    let server = Server::start(args);
    let port = server.port;
    let evil = evil_bytes();

    // tungstenite: text, binary, ping and a close reason.
    let mut ws = ws_connect(port, "/");
    ws.send(Message::text(EVIL)).unwrap();
    assert_eq!(next_data(&mut ws), Message::text(EVIL));
    ws.send(Message::binary(evil.clone())).unwrap();
    next_data(&mut ws);
    ws.send(Message::Ping(Bytes::copy_from_slice(EVIL.as_bytes())))
        .unwrap();
    ws.send(Message::text("ping sent")).unwrap();
    next_data(&mut ws);
    close_and_drain(ws, Some(close_frame(4000, EVIL)));

    // A text message and a close reason that are not UTF-8.
    let mut s = raw_open(port, upgrade_request("/", "").as_bytes());
    s.write_all(&client_frame(0x81, &evil)).unwrap();
    assert_eq!(read_close(&mut s).0, 1007);
    drop(s);
    let mut s = raw_open(port, upgrade_request("/", "").as_bytes());
    let mut close = vec![0x0f, 0xa0];
    close.extend_from_slice(&evil[..evil.len().min(120)]);
    s.write_all(&client_frame(0x88, &close)).unwrap();
    assert!(matches!(read_close(&mut s).0, 1007 | 1002));
    drop(s);
    // A fragmented text message, split inside U+202E.
    let mut s = raw_open(port, upgrade_request("/", "").as_bytes());
    let cut = EVIL.find('\u{202e}').unwrap() + 1;
    s.write_all(&client_frame(0x01, &EVIL.as_bytes()[..cut]))
        .unwrap();
    s.write_all(&client_frame(0x80, &EVIL.as_bytes()[cut..]))
        .unwrap();
    let (b0, echo) = read_frame(&mut s).unwrap();
    assert_eq!((b0, echo.as_slice()), (0x81, EVIL.as_bytes()));
    drop(s);

    // In a header value (User-Agent), in a header name, and in a
    // subprotocol offer: accepted or refused, the head is shown.
    let mut head = Vec::new();
    head.extend_from_slice(b"GET /ua HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ");
    head.extend_from_slice(&evil);
    head.extend_from_slice(
        b"\r\nX-\x1b[2J\x07: 1\r\nSec-WebSocket-Protocol: chat\x1b]0;pwned\x07\r\n",
    );
    head.extend_from_slice(
        format!("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .as_bytes(),
    );
    let mut s = raw_connect(port);
    s.write_all(&head).unwrap();
    read_all(&mut s, Duration::from_secs(3));
    drop(s);
    // Only a User-Agent with controls (the rest valid): if accepted, a frame.
    // (The head parser refuses control characters in a field value.)
    let mut head = b"GET /ua2 HTTP/1.1\r\nUser-Agent: ".to_vec();
    head.extend_from_slice(&evil);
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(&upgrade_request("/", "").as_bytes()["GET / HTTP/1.1\r\n".len()..]);
    let mut s = raw_connect(port);
    s.write_all(&head).unwrap();
    let (answer, _) = read_all(&mut s, Duration::from_millis(300));
    if answer.starts_with(b"HTTP/1.1 101") {
        s.write_all(&client_frame(0x81, EVIL.as_bytes())).unwrap();
        read_frame(&mut s).unwrap();
    }
    drop(s);

    // Bidi override and C1 as UTF-8 (obs-text, which HTTP allows in a
    // field value) in User-Agent and a subprotocol offer: accepted, and
    // the head is shown in --trace.
    let mut head =
        b"GET /obs-text HTTP/1.1\r\nUser-Agent: pwned\xe2\x80\xaegnp.exe\xc2\x9b31m\xff\r\n"
            .to_vec();
    head.extend_from_slice(b"Sec-WebSocket-Protocol: pwned\xe2\x80\xae\r\n");
    head.extend_from_slice(&upgrade_request("/", "").as_bytes()["GET / HTTP/1.1\r\n".len()..]);
    let mut s = raw_connect(port);
    s.write_all(&head).unwrap();
    let answer = read_head(&mut s);
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    s.write_all(&client_frame(0x88, b"\x03\xe8")).unwrap();
    read_close(&mut s);
    drop(s);

    // In the request target: raw controls (refused, surely), and valid
    // UTF-8 bidi and C1 characters only (maybe accepted).
    let mut target = b"GET /\x1b[2J\x1b]0;pwned\x07\xe2\x80\xae\xc2\x9b\xff".to_vec();
    target.extend_from_slice(&upgrade_request("", "").as_bytes()["GET ".len()..]);
    let mut s = raw_connect(port);
    s.write_all(&target).unwrap();
    read_all(&mut s, Duration::from_secs(3));
    drop(s);
    let mut target = b"GET /\xe2\x80\xaegnp.exe\xc2\x9b".to_vec();
    target.extend_from_slice(&upgrade_request("", "").as_bytes()["GET ".len()..]);
    let mut s = raw_connect(port);
    s.write_all(&target).unwrap();
    read_all(&mut s, Duration::from_millis(300));
    drop(s);

    // Not HTTP at all.
    let mut s = raw_connect(port);
    s.write_all(b"\x1b[2J\x1b]0;pwned\x07\xe2\x80\xae\xc2\x9b\r\n\r\n")
        .unwrap();
    read_all(&mut s, Duration::from_secs(3));
    drop(s);

    server.wait_idle();
    let out = server.out_bytes();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.matches("pwned").count() >= 8,
        "{args:?}: the payloads should be shown (escaped):\n{text}"
    );
    assert_no_terminal_controls(&out, &format!("stdout of serve {args:?}"));
    assert_no_terminal_controls(
        server.stderr().as_bytes(),
        &format!("stderr of serve {args:?}"),
    );
}

#[test]
fn terminal_safety_default_output() {
    terminal_safety(&[]);
}

#[test]
fn terminal_safety_trace_output() {
    terminal_safety(&["--trace", "--full"]);
}

#[test]
fn terminal_safety_json_output() {
    terminal_safety(&["--json"]);
}

// ================================================================ shutdown

#[test]
fn sigterm_closes_clients_with_1001_and_exits_0() {
    let mut server = Server::start(&[]);
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("before")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("before"));
    let client = thread::spawn(move || {
        let mut code = None;
        loop {
            match ws.read() {
                Ok(Message::Close(f)) => code = Some(f.map(|f| u16::from(f.code))),
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => break,
                Err(e) => panic!("reading after SIGTERM: {e}"),
            }
        }
        code
    });
    thread::sleep(Duration::from_millis(50));
    let (status, took) = server.signal_and_wait(Signal::TERM, Duration::from_secs(3));
    assert!(status.success(), "exit status {status}");
    assert_eq!(
        client.join().unwrap(),
        Some(Some(1001)),
        "the client receives close 1001 (Going Away)"
    );
    assert!(took < Duration::from_secs(3), "exited after {took:?}");
    let out = server.out();
    assert!(
        out.contains("#1 server: close 1001 (Going Away) \"server shutting down\""),
        "{out}"
    );
    assert!(
        out.contains(
            "#1 closed by the server; server sent 1001 Going Away \"server shutting down\", clean"
        ),
        "{out}"
    );
    assert!(
        server
            .stderr()
            .contains("wsdbg serve: stopped after 1 connection"),
        "{}",
        server.stderr()
    );
}

#[test]
fn sigterm_exits_0_within_3_s_when_a_client_never_answers() {
    let mut server = Server::start(&[]);
    // One client that never reads or answers, one mid-handshake, one idle.
    let mut deaf = raw_open(server.port, upgrade_request("/", "").as_bytes());
    let mut half = raw_connect(server.port);
    half.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let _ws = ws_connect(server.port, "/");
    server.wait_out("two open connections", |o| o.matches(" open ").count() == 2);
    let (status, took) = server.signal_and_wait(Signal::TERM, Duration::from_secs(3));
    assert!(status.success(), "exit status {status}");
    assert!(took < Duration::from_secs(3), "exited after {took:?}");
    assert_eq!(read_close(&mut deaf).0, 1001);
}

#[test]
fn sigint_exits_0_at_once_without_clients() {
    let mut server = Server::start(&[]);
    let (status, took) = server.signal_and_wait(Signal::INT, Duration::from_secs(3));
    assert!(status.success(), "exit status {status}");
    assert!(took < Duration::from_millis(500), "exited after {took:?}");
}

// =================================================================== modes

#[test]
fn broadcast_mode_sends_each_message_to_every_client() {
    let server = Server::start(&["--mode", "broadcast"]);
    let mut clients: Vec<Ws> = (0..3).map(|_| ws_connect(server.port, "/")).collect();
    clients[0]
        .send(Message::text("to everyone from 1"))
        .unwrap();
    for (i, ws) in clients.iter_mut().enumerate() {
        assert_eq!(
            next_data(ws),
            Message::text("to everyone from 1"),
            "client {i}"
        );
    }
    clients[2].send(Message::binary(vec![1, 2, 3])).unwrap();
    for (i, ws) in clients.iter_mut().enumerate() {
        assert_eq!(next_data(ws), Message::binary(vec![1, 2, 3]), "client {i}");
    }
    for ws in clients {
        assert_eq!(close_and_drain(ws, Some(close_frame(1000, ""))), Some(1000));
    }
    server.wait_idle();
    let out = server.out();
    assert!(
        out.contains("#1 client: text 18 bytes: \"to everyone from 1\""),
        "{out}"
    );
    for id in 1..=3 {
        assert!(
            out.contains(&format!(
                "#{id} server: text 18 bytes: \"to everyone from 1\""
            )),
            "#{id} is shown receiving the broadcast:\n{out}"
        );
    }
}

#[test]
fn silent_mode_echoes_nothing_but_answers_pings() {
    let server = Server::start(&["--mode", "silent"]);
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("anyone?")).unwrap();
    ws.send(Message::binary(vec![0xab; 10])).unwrap();
    ws.send(Message::Ping(Bytes::from_static(b"still there")))
        .unwrap();
    match ws.read().unwrap() {
        Message::Pong(p) => assert_eq!(&p[..], b"still there"),
        other => panic!("expected only the pong, got {other:?}"),
    }
    ws.get_ref()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    match ws.read() {
        Err(tungstenite::Error::Io(e))
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) => {}
        other => panic!("silent mode sent something: {other:?}"),
    }
    ws.get_ref().set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(close_and_drain(ws, Some(close_frame(1000, ""))), Some(1000));
    let out = server.wait_out("the closing line", |o| o.contains("#1 closed"));
    assert!(
        out.contains("#1 client: text 7 bytes: \"anyone?\""),
        "{out}"
    );
    assert!(!out.contains("#1 server: text"), "{out}");
    assert!(!out.contains("#1 server: binary"), "{out}");
    assert!(
        out.contains("#1 server: pong 11 bytes: \"still there\""),
        "{out}"
    );
    assert!(out.contains("(2 messages in, 0 out)"), "{out}");
}

#[test]
fn quiet_prints_nothing_for_good_clients_and_the_failure_of_bad_ones() {
    let server = Server::start(&["-q"]);
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("hush")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("hush"));
    close_and_drain(ws, None);
    let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
    s.write_all(&[0x81, 0x00]).unwrap();
    assert_eq!(read_close(&mut s).0, 1002);
    drop(s);
    server.wait_idle();
    // The line is written as the thread ends; reading it may lag behind.
    let out = server.wait_out("the failed line", |o| o.contains("#2 failed"));
    assert!(!out.contains("hush"), "{out}");
    assert!(!out.contains(" open "), "{out}");
    assert!(out.contains("#2 failed: RFC 6455 §5.1"), "{out}");
}

#[test]
fn json_lines_all_parse_and_carry_conn_from_and_time() {
    let server = Server::start(&["--json"]);
    let mut ws = ws_connect(server.port, "/json");
    ws.send(Message::text("hi \"json\"\n")).unwrap();
    next_data(&mut ws);
    ws.send(Message::binary(vec![0, 255])).unwrap();
    next_data(&mut ws);
    ws.send(Message::Ping(Bytes::from_static(b"p"))).unwrap();
    ws.send(Message::text("after ping")).unwrap();
    next_data(&mut ws);
    close_and_drain(ws, Some(close_frame(4000, "json bye")));
    let (refused, _) = refusal(
        server.port,
        upgrade_request("/", "")
            .replace("Sec-WebSocket-Version: 13\r\n", "")
            .as_bytes(),
    );
    assert_eq!(refused.status, 426);
    let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
    s.write_all(&[0x81, 0x00]).unwrap();
    read_close(&mut s);
    drop(s);
    server.wait_idle();

    let out = server.out();
    let mut types = std::collections::BTreeMap::<String, usize>::new();
    for line in out.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let obj = v
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {line}"));
        assert_eq!(obj.len(), 2, "only type and data: {line}");
        let ty = obj["type"]
            .as_str()
            .unwrap_or_else(|| panic!("no type: {line}"));
        let data = obj["data"]
            .as_object()
            .unwrap_or_else(|| panic!("no data: {line}"));
        *types.entry(ty.to_string()).or_default() += 1;
        let conn = data.get("conn").and_then(|c| c.as_u64());
        assert!(conn.is_some_and(|c| (1..=3).contains(&c)), "conn in {line}");
        let time = data
            .get("time")
            .and_then(|t| t.as_str())
            .unwrap_or_default();
        assert!(
            time.len() == 24
                && time.starts_with("20")
                && time.ends_with('Z')
                && time.as_bytes()[10] == b'T',
            "time like 2026-01-01T00:00:00.000Z in {line}"
        );
        match ty {
            "message" | "frame" => {
                let from = data.get("from").and_then(|f| f.as_str());
                assert!(matches!(from, Some("client" | "server")), "from in {line}");
            }
            "open" => {
                assert!(
                    data["peer"].as_str().unwrap().starts_with("127.0.0.1:"),
                    "{line}"
                );
                assert!(data["target"].as_str().unwrap().starts_with('/'), "{line}");
            }
            "close" => {
                assert!(
                    data["by"].is_string() && data.contains_key("code"),
                    "{line}"
                );
            }
            "refused" => {
                assert_eq!(data["status"], 426, "{line}");
                assert!(
                    data["issues"].as_array().is_some_and(|i| !i.is_empty()),
                    "{line}"
                );
            }
            other => panic!("unexpected event type {other:?}: {line}"),
        }
    }
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |ty: &str, f: &dyn Fn(&serde_json::Value) -> bool| {
        lines.iter().any(|v| v["type"] == ty && f(&v["data"]))
    };
    assert!(
        find("message", &|d| d["from"] == "client"
            && d["text"] == "hi \"json\"\n"),
        "{out}"
    );
    assert!(
        find("message", &|d| d["from"] == "server" && d["hex"] == "00ff"),
        "{out}"
    );
    assert!(
        find("frame", &|d| d["from"] == "client"
            && d["opcode_name"] == "ping"),
        "{out}"
    );
    assert!(
        find("frame", &|d| d["from"] == "server"
            && d["opcode_name"] == "pong"),
        "{out}"
    );
    assert!(
        find("close", &|d| d["conn"] == 1
            && d["by"] == "client"
            && d["code"] == 4000
            && d["reason"] == "json bye"),
        "{out}"
    );
    assert!(
        find("close", &|d| d["conn"] == 3
            && d["by"] == "failed"
            && d["code"] == 1002),
        "{out}"
    );
    assert!(
        find("open", &|d| d["conn"] == 1 && d["target"] == "/json"),
        "{out}"
    );
    assert_eq!(types.get("open"), Some(&2), "{out}");
    assert_eq!(types.get("refused"), Some(&1), "{out}");
}

/// A client that sends and never reads: in echo mode its thread stops
/// reading once the socket cannot take the echoes (TCP pushes back), so
/// the server does not buffer without bound, and other clients are served
/// meanwhile.
#[test]
fn a_client_that_never_reads_is_held_back_not_buffered() {
    let server = Server::start(&[]);
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("warm")).unwrap();
    next_data(&mut ws);
    close_and_drain(ws, None);
    server.wait_idle();
    let before = server.rss_kib();

    let mut s = raw_open(server.port, upgrade_request("/", "").as_bytes());
    s.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // 1 MiB messages, written until the server stops taking them.
    let frame = client_frame(0x82, &vec![0x5a; 1 << 20]);
    let mut written = 0usize;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        match s.write(&frame[written % frame.len()..]) {
            Ok(n) => written += n,
            Err(_) => break,
        }
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the server kept reading {written} bytes from a client that never reads"
    );
    let rss = server.rss_kib();
    // The echoes wait in the socket buffers, not in the server: what it
    // holds is a message or two in flight, far less than what was sent.
    assert!(
        rss < before + 24 * 1024,
        "RSS grew from {before} KiB to {rss} KiB after {written} bytes unread"
    );
    // Others are served meanwhile.
    let mut other = ws_connect(server.port, "/");
    other.send(Message::text("still there?")).unwrap();
    assert_eq!(next_data(&mut other), Message::text("still there?"));
    close_and_drain(other, None);
    drop(s);
}

// ------------------------------------------------------------------ console

/// The console's commands reach a tungstenite client as the frames they
/// name; `/list` shows it; errors name what is wrong.
#[test]
fn console_drives_a_tungstenite_client_through_a_pipe() {
    let mut server = Server::start_console(&[]);
    let mut ws = ws_connect(server.port, "/room?x=1");
    server.wait_out("the open line", |o| o.contains("#1 open"));
    server.console("/list");
    let out = server.wait_out("the list", |o| o.contains("address"));
    let row = out
        .lines()
        .find(|l| l.starts_with("#1  "))
        .unwrap_or_else(|| panic!("no row for #1:\n{out}"));
    assert!(row.contains("/room?x=1") && row.contains("open"), "{row}");
    server.console("/send 1 hello  there");
    assert_eq!(next_data(&mut ws), Message::text("hello  there"));
    server.console("/binary #1 0xde,0xad,0xbe,0xef");
    assert_eq!(
        next_data(&mut ws),
        Message::binary(vec![0xde, 0xad, 0xbe, 0xef])
    );
    server.console("a plain line goes to everyone");
    assert_eq!(
        next_data(&mut ws),
        Message::text("a plain line goes to everyone")
    );
    server.console("/ping 1 are you there");
    assert_eq!(
        ws.read().unwrap(),
        Message::Ping(Bytes::from("are you there"))
    );
    server.console("/pong all unasked");
    assert_eq!(ws.read().unwrap(), Message::Pong(Bytes::from("unasked")));
    // Bytes as they are: a text frame "hi", then a fragmented message
    // built frame by frame.
    server.console("/raw 1 81 02 68 69");
    assert_eq!(next_data(&mut ws), Message::text("hi"));
    server.console("/frame 1 --no-fin Hel");
    server.console("/frame 1 --opcode continuation lo");
    assert_eq!(next_data(&mut ws), Message::text("Hello"));
    // Errors go to stderr and name what is wrong; nothing is sent.
    server.console("/send 9 nobody");
    server.console("/sned 1 typo");
    server.console("/close 1 notacode");
    let err = server.wait_err("three errors", |e| e.contains("notacode"));
    assert!(
        err.contains("console: no client #9; connected: #1"),
        "{err}"
    );
    assert!(err.contains("unknown command \"/sned\""), "{err}");
    assert!(err.contains("\"notacode\" is not a close code"), "{err}");
    assert!(err.contains("(usage: /close ID [CODE [REASON]])"), "{err}");
    // The pong came back and is shown; the counts are in the list.
    server.wait_out("the client's pong", |o| o.contains("#1 client: pong"));
    server.console("/list");
    let out = server.wait_out("a second list", |o| o.matches("address").count() == 2);
    let row = out.lines().rfind(|l| l.starts_with("#1  ")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    // id, address, path, state, in, out, age: 5 messages were sent (the
    // raw frame is not counted: it is not known to be one).
    assert_eq!(&cells[3..6], ["open", "0", "5"], "{row}");
    // A frame with a reserved bit set: tungstenite refuses it.
    server.console("/frame 1 --rsv 1 broken");
    match ws.read() {
        Err(tungstenite::Error::Protocol(p)) => {
            assert!(format!("{p}").to_lowercase().contains("reserved"), "{p}")
        }
        other => panic!("tungstenite took a frame with RSV1 set: {other:?}"),
    }
}

/// The end of the console's input leaves the server serving.
#[test]
fn console_end_of_input_keeps_the_server_running() {
    let mut server = Server::start_console(&[]);
    server.console("/list");
    server.wait_out("the empty list", |o| o.contains("no clients are connected"));
    server.stdin = None;
    server.wait_err("the end of input", |e| e.contains("end of input"));
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("still here")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("still here"));
    assert!(server.alive());
}

/// A console with no lines to read (stdin is /dev/null, as under a service
/// manager) says nothing about it; one that cannot read its stdin (a
/// directory) says why, once, and stops reading. The server serves on.
#[test]
fn console_on_an_empty_or_unreadable_stdin() {
    let mut server = Server::start_console_on(&[], Stdio::null());
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("served")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("served"));
    close_and_drain(ws, None);
    // The console read its end of input as the server started, before
    // this round trip.
    let (status, _) = server.signal_and_wait(Signal::TERM, PATIENCE);
    assert!(status.success());
    let err = server.stderr();
    assert!(!err.contains("end of input"), "{err}");

    let dir = std::fs::File::open(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut server = Server::start_console_on(&[], Stdio::from(dir));
    server.wait_err("why the console stopped", |e| {
        e.contains("console: cannot read stdin: ")
    });
    let mut ws = ws_connect(server.port, "/");
    ws.send(Message::text("still served")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("still served"));
    close_and_drain(ws, None);
    let (status, _) = server.signal_and_wait(Signal::TERM, PATIENCE);
    assert!(status.success());
    let err = server.stderr();
    assert_eq!(err.matches("cannot read stdin").count(), 1, "{err}");
}

/// Under -q echoes are written straight from where they were read; they
/// are counted all the same, small and large, as `/list` shows.
#[test]
fn console_list_counts_echoes_sent_straight() {
    let mut server = Server::start_console(&["-q"]);
    let mut ws = ws_connect(server.port, "/");
    let big = vec![7u8; 200 << 10];
    ws.send(Message::binary(big.clone())).unwrap();
    assert_eq!(next_data(&mut ws), Message::binary(big));
    ws.send(Message::text("small")).unwrap();
    assert_eq!(next_data(&mut ws), Message::text("small"));
    server.console("/list");
    let out = server.wait_out("the list", |o| o.contains("address"));
    let row = out
        .lines()
        .find(|l| l.starts_with("#1  "))
        .unwrap_or_else(|| panic!("no row for #1:\n{out}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[3..6], ["open", "2", "2"], "{row}");
}

/// A command for a client that cannot take it says why: its handshake is
/// not complete, it was sent a close frame already (/raw and /frame still
/// send then), or its connection is closed (a refused handshake). `/list` shows where
/// each one stands.
#[test]
fn console_says_why_a_client_cannot_be_sent_to() {
    let mut server = Server::start_console(&["--handshake-timeout", "30", "--close-timeout", "30"]);
    // #1 sends half a request, #2 a request without a key and reads the
    // refusal, #3 opens; each then stays connected and says nothing.
    let mut half = raw_connect(server.port);
    half.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let mut refused = raw_connect(server.port);
    refused
        .write_all(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .unwrap();
    assert!(read_head(&mut refused).starts_with("HTTP/1.1 400 "));
    let mut open = raw_open(server.port, upgrade_request("/", "").as_bytes());
    // Accepted in the order they connected: #3's line comes after the others.
    server.wait_out("the third client", |o| {
        o.contains("#2 refused") && o.contains("#3 open")
    });
    server.console("/list");
    let out = server.wait_out("the list", |o| o.contains("address"));
    let state = |id: u64| {
        let row = out
            .lines()
            .find(|l| l.starts_with(&format!("#{id}  ")))
            .unwrap_or_else(|| panic!("no row for #{id}:\n{out}"));
        row.split_whitespace().nth(3).unwrap().to_string()
    };
    assert_eq!(
        [state(1), state(2), state(3)],
        ["handshake", "closed", "open"]
    );

    server.console("/send 1 hi");
    server.console("/raw 1 00");
    server.wait_err("two answers for #1", |e| {
        e.matches("console: #1: its handshake is not complete\n")
            .count()
            == 2
    });
    server.console("/send 2 hi");
    server.wait_err("the answer for #2", |e| {
        e.contains("console: #2: its connection is closed\n")
    });
    server.console("/close 3 4000");
    assert_eq!(read_close(&mut open), (4000, String::new()));
    server.console("/send 3 late");
    server.wait_err("the answer for #3", |e| {
        e.contains(
            "console: #3: a close frame was sent to it already (/raw and /frame still send)\n",
        )
    });
    server.console("/raw 3 81 01 78");
    assert_eq!(read_frame(&mut open).unwrap(), (0x81, b"x".to_vec()));
    server.console("/frame 3 --opcode binary y");
    assert_eq!(read_frame(&mut open).unwrap(), (0x82, b"y".to_vec()));
    server.console("/list");
    let out = server.wait_out("a second list", |o| o.matches("address").count() == 2);
    let row = out.lines().rfind(|l| l.starts_with("#3  ")).unwrap();
    assert_eq!(row.split_whitespace().nth(3), Some("closing"), "{row}");
    // Nothing reached #1, still waiting for the rest of its request.
    half.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert!(half.read(&mut [0u8; 64]).is_err(), "#1 got bytes");
    // Held until here, so that #2 stayed in the list as a closing client.
    drop(refused);
}

/// `/close` waits for the client's close frame only as long as
/// --close-timeout says, even though the client's thread was asleep on the
/// idle timeout when the command came.
#[test]
fn console_close_gives_up_on_a_silent_client_at_the_close_timeout() {
    let mut server = Server::start_console(&["--close-timeout", "0.5", "--idle-timeout", "60"]);
    let mut raw = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    raw.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        raw,
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    server.wait_out("the open line", |o| o.contains("#1 open"));
    let start = Instant::now();
    server.console("/close 1 4000 go away");
    // The close frame, then nothing until the server hangs up.
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match raw.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading: {e} after {:?}", start.elapsed()),
        }
    }
    let took = start.elapsed();
    let close = [&[0x88u8, 9, 0x0f, 0xa0][..], b"go away"].concat();
    assert!(got.ends_with(&close), "{got:02x?}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "the server hung up after {took:?}, expected about 0.5 s"
    );
    let out = server.wait_out("the closing line", |o| o.contains("#1 closed"));
    assert!(out.contains("server sent 4000"), "{out}");
}

/// `/quit` closes every client with 1001 and stops, exit 0.
#[test]
fn console_quit_closes_everyone_with_1001() {
    let mut server = Server::start_console(&[]);
    let mut ws = ws_connect(server.port, "/");
    server.wait_out("the open line", |o| o.contains("#1 open"));
    server.console("/quit");
    match next_data(&mut ws) {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1001),
        other => panic!("expected close 1001, got {other:?}"),
    }
    let start = Instant::now();
    while server.alive() {
        assert!(start.elapsed() < PATIENCE, "still running after /quit");
        thread::sleep(Duration::from_millis(20));
    }
    assert!(server.child.wait().unwrap().success());
}

/// Under --trace, what the console sends is annotated like everything
/// else: a frame with RSV2 set and a mask, with both violations named.
#[test]
fn console_frames_are_traced_with_their_violations() {
    let mut server = Server::start_console(&["--trace"]);
    let mut ws = ws_connect(server.port, "/");
    server.wait_out("the open", |o| {
        o.contains("#1 server · frame") || o.contains("101")
    });
    server.console("/frame 1 --rsv 2 --key 01020304 hey");
    let _ = ws.read();
    let out = server.wait_out("the traced frame", |o| o.contains("unmasked: 68 65 79"));
    let at = out.find("#1 server · frame 1 ").expect("the frame's block");
    let b = &out[at..];
    let b = &b[..b.find("\n\n").unwrap_or(b.len())];
    assert!(
        b.contains("9 bytes · text, final, masked, 2 violations"),
        "{b}"
    );
    assert!(
        b.contains("RSV2 is set but no extension was negotiated"),
        "{b}"
    );
    assert!(b.contains("a server must not mask its frames"), "{b}");
    assert!(b.contains("01 02 03 04            masking key"), "{b}");
}

/// Python's websockets, driven from the console: a text to all, a binary,
/// and a close with a code and reason.
#[test]
fn console_drives_a_python_websockets_client() {
    if !python_websockets() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 cannot import websockets: run ./test.sh, which installs it"
        );
        eprintln!("console_drives_a_python_websockets_client: skipped: no websockets module");
        return;
    }
    let mut server = Server::start_console(&[]);
    let script = r#"
import sys
from websockets.sync.client import connect
from websockets.exceptions import ConnectionClosed
with connect(f"ws://127.0.0.1:{sys.argv[1]}/py", open_timeout=5) as ws:
    print("open", flush=True)
    try:
        while True:
            m = ws.recv(timeout=8)
            print(("text " + m) if isinstance(m, str) else ("binary " + m.hex()), flush=True)
    except ConnectionClosed as e:
        print("closed", e.rcvd.code, e.rcvd.reason, flush=True)
"#;
    let mut py = Command::new("python3")
        .args(["-c", script, &server.port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    server.wait_out("the open line", |o| o.contains("#1 open"));
    server.console("/send all héllo ✓");
    server.console("/binary 1 00 ff");
    server.console("/close 1 4001 done here");
    let run = wait_child(&mut py);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "open",
            "text héllo ✓",
            "binary 00ff",
            "closed 4001 done here"
        ],
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Waits (bounded) for a child to exit and takes its output.
fn wait_child(child: &mut Child) -> std::process::Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("a child did not exit within {PATIENCE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    std::process::Output {
        status: child.wait().unwrap(),
        stdout,
        stderr,
    }
}

/// `wsdbg serve` with a terminal (a pty) on stdin, stdout and stderr.
struct Pty {
    child: Child,
    master: std::fs::File,
    out: Arc<Mutex<Vec<u8>>>,
    port: u16,
}

impl Pty {
    /// `wsdbg serve` on a pty, once it listens and shows its prompt.
    fn start(args: &[&str]) -> Pty {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--color", "never"];
        all.extend_from_slice(args);
        let mut pty = Pty::spawn(&all);
        let text = pty.wait("the listening line and the prompt", |o| {
            listening_port(o).is_some() && o.contains("wsdbg> ")
        });
        pty.port = listening_port(&text).unwrap();
        pty
    }

    /// `wsdbg ARGS` on a pty.
    fn spawn(args: &[&str]) -> Pty {
        use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(std::ffi::OsStr::from_bytes(name.as_bytes()))
            .expect("open the pty's terminal end");
        let size = rustix::termios::Winsize {
            ws_row: 40,
            ws_col: 160,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&slave, size).expect("set the pty's size");
        let master = std::fs::File::from(master);
        // setsid -c: a session of its own whose controlling terminal is
        // this one (stdin), so that wsdbg is in the foreground as in a
        // shell; setsid execs, so the child's pid is wsdbg's.
        let mut cmd = Command::new("setsid");
        cmd.arg("-c")
            .arg(WSDBG)
            .args(args)
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        let child = cmd.spawn().expect("start wsdbg serve on a pty");
        drop(cmd);
        let out = Arc::new(Mutex::new(Vec::new()));
        pump(master.try_clone().unwrap(), out.clone(), None);
        Pty {
            child,
            master,
            out,
            port: 0,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn wait(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if ready(&t) {
                return t;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the terminal never showed {what}; it shows:\n{t:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_keys(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
    }

    /// Waits for the exit; its status.
    fn exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "still running; the terminal shows:\n{:?}",
                self.text()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal is back in line mode with echo.
    fn cooked(&self) -> bool {
        use rustix::termios::LocalModes;
        let t = rustix::termios::tcgetattr(&self.master).expect("tcgetattr");
        t.local_modes
            .contains(LocalModes::ICANON | LocalModes::ECHO)
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// On a terminal: a prompt, events printed above it and the prompt drawn
/// again below them, completion of commands and ids, and Ctrl-C closing
/// every client with 1001, exit 0, the terminal left as it was.
#[test]
fn console_prompt_on_a_terminal_and_ctrl_c() {
    let mut pty = Pty::start(&[]);
    assert!(
        !pty.cooked(),
        "the prompt should hold the terminal in raw mode"
    );
    let mut ws = ws_connect(pty.port, "/tty");
    let t = pty.wait("the open line", |t| t.contains("#1 open"));
    let after = &t[t.find("#1 open").unwrap()..];
    let shown = pty.wait("the prompt again below the open line", |t| {
        t[t.find("#1 open").unwrap()..].contains("wsdbg> ")
    });
    assert!(after.len() <= shown.len());
    // Completion: "/se" + Tab is "/send ", "#" + Tab... "1" is the one id.
    pty.type_keys("/se\t1 typed at the prompt\r");
    assert_eq!(next_data(&mut ws), Message::text("typed at the prompt"));
    pty.type_keys("/li\t\r");
    pty.wait("the list", |t| t.contains("address") && t.contains("/tty"));
    pty.type_keys("/nonsense\r");
    pty.wait("an error", |t| {
        t.contains("error: unknown command \"/nonsense\"")
    });
    pty.type_keys("\x03");
    match next_data(&mut ws) {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1001),
        other => panic!("expected close 1001, got {other:?}"),
    }
    // Sends tungstenite's answer to the close.
    let _ = ws.flush();
    assert!(pty.exit().success());
    assert!(pty.cooked(), "the terminal was left in raw mode");
    let t = pty.wait("the last line", |t| {
        t.contains("stopped after 1 connection")
    });
    assert!(t.contains("#1 closed by the server"), "{t:?}");
}

/// At the prompt, Tab completes a client id (`#1`, or `all`) where an id
/// goes and nothing elsewhere, and the up arrow brings back the last line.
#[test]
fn console_prompt_completes_ids_and_recalls_the_last_line() {
    let mut pty = Pty::start(&[]);
    let mut ws = ws_connect(pty.port, "/");
    pty.wait("the open line", |t| t.contains("#1 open"));
    pty.type_keys("/send a\tto all\r");
    assert_eq!(next_data(&mut ws), Message::text("to all"));
    pty.type_keys("/send #1\tby id\r");
    assert_eq!(next_data(&mut ws), Message::text("by id"));
    // After the id comes the text, which is not completed.
    pty.type_keys("/send 1 a\tb\r");
    assert_eq!(next_data(&mut ws), Message::text("ab"));
    pty.type_keys("\x1b[A\r");
    assert_eq!(next_data(&mut ws), Message::text("ab"));
    // /help takes a command's name, not an id.
    pty.type_keys("/help a\t\r");
    let t = pty.wait("the answer to /help", |t| t.contains("error: no command"));
    assert!(t.contains("error: no command \"a\""), "{t:?}");
}

/// SIGTERM while the prompt holds the terminal, in the middle of a line:
/// the server stops and leaves the terminal as it found it.
#[test]
fn console_sigterm_at_the_prompt_restores_the_terminal() {
    let mut pty = Pty::start(&[]);
    assert!(!pty.cooked());
    pty.type_keys("/li");
    pty.wait("the keys typed", |t| t.contains("/li"));
    kill_process(Pid::from_child(&pty.child), Signal::TERM).expect("kill");
    assert!(pty.exit().success());
    assert!(pty.cooked(), "the terminal was left in raw mode");
}

/// Ctrl-D at an empty prompt stops the server too.
#[test]
fn console_ctrl_d_on_a_terminal_stops_the_server() {
    let mut pty = Pty::start(&[]);
    pty.type_keys("\x04");
    assert!(pty.exit().success());
    assert!(pty.cooked());
    pty.wait("the last line", |t| {
        t.contains("stopped after 0 connections")
    });
}

// =============================================================== test page

const PAGE: &str = include_str!("../src/cmd/serve/page.html");

/// A plain HTTP GET of `target` (no upgrade asked for), read to the end:
/// status, head, body, and the local port.
fn http_get(port: u16, target: &str) -> (u16, String, Vec<u8>, u16) {
    let mut s = raw_connect(port);
    let lp = local_port(&s);
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n\r\n");
    s.write_all(request.as_bytes()).unwrap();
    let (bytes, ended) = read_all(&mut s, Duration::from_secs(5));
    assert!(ended, "the server did not hang up after answering {target}");
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {:?}", bytes.escape_ascii()));
    let head = String::from_utf8(bytes[..end + 4].to_vec()).expect("an ASCII head");
    let status = head[9..12].parse().expect("a status");
    (status, head, bytes[end + 4..].to_vec(), lp)
}

/// The value of header `name` in `head` (names as the server spells them).
fn header_value<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

/// `'sha256-…'` of the text of the first `<tag>` block of `html`.
fn inline_hash(html: &str, tag: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let start = html.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
    let end = start + html[start..].find(&format!("</{tag}>")).unwrap();
    let digest = sha2::Sha256::digest(&html[start..end]);
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[test]
fn a_plain_get_of_the_root_gets_the_test_page_with_a_strict_policy() {
    let server = Server::start(&[]);
    let mut seen = Vec::new();
    for target in ["/", "/?from=test"] {
        let (status, head, body, lp) = http_get(server.port, target);
        assert_eq!(status, 200, "{target}:\n{head}");
        assert_eq!(body, PAGE.as_bytes(), "{target}: the body is the page");
        assert_eq!(
            header_value(&head, "Content-Type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            header_value(&head, "Content-Length"),
            PAGE.len().to_string()
        );
        assert_eq!(header_value(&head, "X-Content-Type-Options"), "nosniff");
        assert_eq!(header_value(&head, "Referrer-Policy"), "no-referrer");
        assert_eq!(header_value(&head, "Cache-Control"), "no-store");
        assert_eq!(header_value(&head, "Connection"), "close");
        let csp = header_value(&head, "Content-Security-Policy");
        let script = inline_hash(PAGE, "script");
        let style = inline_hash(PAGE, "style");
        assert_eq!(
            csp,
            format!(
                "default-src 'none'; script-src {script}; style-src {style}; connect-src 'self'; \
                 base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
                 require-trusted-types-for 'script'; trusted-types 'none'"
            )
        );
        seen.push((lp, target));
    }
    let (status, head, body, lp_404) = http_get(server.port, "/nope");
    assert_eq!(status, 404, "{head}");
    assert_eq!(
        header_value(&head, "Content-Type"),
        "text/plain; charset=utf-8"
    );
    let body = String::from_utf8(body).unwrap();
    assert!(body.starts_with("not found: "), "{body}");
    assert!(!body.contains("nope"), "the 404 quotes nothing: {body}");

    server.wait_idle();
    let out = server.out();
    for (lp, target) in seen {
        let line =
            format!(" page 127.0.0.1:{lp} \"GET {target}\": answered 200 OK (the test page)");
        assert!(out.lines().any(|l| l.ends_with(&line)), "{line} in:\n{out}");
    }
    let line = format!(
        " page 127.0.0.1:{lp_404} \"GET /nope\": answered 404 Not Found (the test page is at /)"
    );
    assert!(out.lines().any(|l| l.ends_with(&line)), "{line} in:\n{out}");
    // One line each: no refusal, no closing line.
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(!out.contains("refused"), "{out}");
}

#[test]
fn no_page_answers_a_plain_get_with_426() {
    let server = Server::start(&["--no-page"]);
    let (status, head, body, lp) = http_get(server.port, "/");
    assert_eq!(status, 426, "{head}");
    assert_eq!(header_value(&head, "Upgrade"), "websocket");
    assert!(!head.contains("Content-Security-Policy"), "{head}");
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("no Upgrade header"), "{body}");
    let out = server.wait_out("the refusal", |o| o.contains(" refused "));
    assert_refusal_shown(&out, lp, 426);
    assert!(!out.contains(" page "), "{out}");
}

#[test]
fn pages_in_quiet_trace_and_json_output() {
    // -q: a page is no failure, and a 404 neither.
    let server = Server::start(&["-q"]);
    assert_eq!(http_get(server.port, "/").0, 200);
    assert_eq!(http_get(server.port, "/nope").0, 404);
    server.wait_idle();
    assert_eq!(server.out(), "");

    // --trace: both heads, not the body.
    let server = Server::start(&["--trace"]);
    let (_, _, _, lp) = http_get(server.port, "/");
    server.wait_idle();
    let out = server.out();
    assert!(
        out.contains("#1 HTTP request · ") && out.contains("  GET / HTTP/1.1\n"),
        "{out}"
    );
    assert!(
        out.contains("#1 HTTP response · ") && out.contains("  HTTP/1.1 200 OK\n"),
        "{out}"
    );
    assert!(
        out.contains("  Content-Security-Policy: default-src 'none'; "),
        "{out}"
    );
    assert!(!out.contains("doctype"), "the body is not shown:\n{out}");
    assert!(!out.contains('✗'), "no handshake issues for a page:\n{out}");
    assert!(
        out.ends_with(&format!(
            "#1 page 127.0.0.1:{lp} \"GET /\": answered 200 OK (the test page)\n"
        )),
        "{out}"
    );

    // --json: the page event in the envelope.
    let server = Server::start(&["--json"]);
    let (_, _, _, lp) = http_get(server.port, "/?q");
    server.wait_idle();
    let out = server.out();
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(events.len(), 1, "{out}");
    let data = &events[0]["data"];
    assert_eq!(events[0]["type"], "page");
    assert_eq!(data["conn"], 1);
    assert_eq!(data["peer"], format!("127.0.0.1:{lp}"));
    assert_eq!(data["method"], "GET");
    assert_eq!(data["target"], "/?q");
    assert_eq!(data["status"], 200);
    assert!(data["time"].is_string(), "{out}");
}

/// `wsdbg connect` on a terminal: its prompt, what arrives printed above
/// it, Tab completing a command, and Ctrl-D closing with 1000, exit 0, the
/// terminal restored.
#[test]
fn connect_prompt_on_a_terminal_and_ctrl_d() {
    let server = Server::start(&[]);
    let url = format!("ws://127.0.0.1:{}/tty", server.port);
    let mut pty = Pty::spawn(&["connect", "--color", "never", &url]);
    pty.wait("the prompt and the open line", |t| {
        t.contains("wsdbg> ") && t.contains("open 127.0.0.1")
    });
    pty.type_keys("typed here\r");
    let t = pty.wait("the echo", |t| {
        t.contains("server: text 10 bytes: \"typed here\"")
    });
    let after = &t[t.rfind("server: text 10 bytes").unwrap()..];
    pty.wait("the prompt again below the echo", |t| {
        t[t.rfind("server: text 10 bytes").unwrap()..].contains("wsdbg> ")
    });
    assert!(!after.is_empty());
    pty.type_keys("/pi\tfrom the prompt\r");
    pty.wait("the pong", |t| {
        t.contains("server: pong 15 bytes: \"from the prompt\"")
    });
    pty.type_keys("\x04");
    assert!(pty.exit().success(), "{:?}", pty.text());
    assert!(pty.cooked(), "the terminal was left in raw mode");
    let t = pty.wait("the closing line", |t| t.contains("closed by the client"));
    assert!(t.contains("client sent 1000 Normal Closure"), "{t:?}");
    server.wait_out("the server's closing line", |o| {
        o.contains("#1 closed by the client")
    });
}

/// `serve --deflate` with Python's websockets client, compression on: the
/// extension is agreed, messages of every size come back intact, and the
/// server's frames are compressed (RSV1).
#[test]
fn serve_deflate_with_a_python_client() {
    if !python_websockets() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 cannot import websockets"
        );
        return;
    }
    let server = Server::start(&["--deflate", "--trace"]);
    let script = r#"
import sys
from websockets.sync.client import connect
with connect(f"ws://127.0.0.1:{sys.argv[1]}/", compression="deflate", open_timeout=5) as ws:
    assert ws.protocol.extensions, "no extension agreed"
    for m in ["Hello", "Hello", "x" * 70000, bytes(range(256)) * 10, ""]:
        ws.send(m)
        assert ws.recv(timeout=5) == m
    print("ok", flush=True)
"#;
    let run = Command::new("python3")
        .args(["-c", script, &server.port.to_string()])
        .output()
        .expect("run python3");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "ok");
    let out = server.wait_out("the server's frames", |o| {
        o.matches("#1 server · frame").count() >= 5
    });
    assert!(
        out.contains("Sec-WebSocket-Extensions: permessage-deflate"),
        "{out}"
    );
    let server_frame = &out[out.find("#1 server · frame 1").unwrap()..];
    assert!(server_frame.contains("RSV1    1"), "{server_frame}");
}
