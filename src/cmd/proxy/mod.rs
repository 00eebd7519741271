//! `wsdbg proxy`: relays each client to the upstream server, byte for byte
//! once the upgrade is through, and shows both legs' handshakes and every
//! frame both ways, decoded by a [`Decoder`] per direction. Each client's
//! upgrade runs on a thread of its own; then one relay thread
//! (`relay`) moves the bytes of every client, whether its upstream is
//! plain TCP or TLS.

mod console;
mod forward;
mod relay;

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use super::event::wait_for;
use super::input::console::Intercept;
use super::live::{Book, Show, View};
use super::prompt::{self, Output};
use super::record::{self, Recording};
use super::signals;
use super::wire::{self, TlsError, Wire};
use super::{Failure, Outcome};
use crate::cli::ProxyArgs;
use crate::print::escape::escape_str;
use crate::print::{Closed, Palette, Relayed};
use crate::protocol::close::ClosePayload;
use crate::protocol::compress;
use crate::protocol::deflate::{find_deflate, DeflateParams};
use crate::protocol::endpoint::{CloseInfo, Closer, Note};
use crate::protocol::handshake::{build_forwarded_request, validate_request, validate_response};
use crate::protocol::hold::Compression;
use crate::protocol::http::{self, HeadParse};
use crate::protocol::message::Limits;
use crate::protocol::opcode::OpCode;
use crate::protocol::payload::read::Reading;
use crate::protocol::stream::{Config, Decoder, Event, Head};
use crate::protocol::url::WsUrl;
use crate::protocol::Role;

/// How long one side may stay after the other has ended.
const LINGER: Duration = Duration::from_secs(5);

/// The largest request or response head taken.
const MAX_HEAD: usize = 16 << 10;

/// What every client's thread shares.
struct Shared {
    /// The upstream (None: a forward proxy, where each request names it).
    url: Option<WsUrl>,
    /// TLS settings toward upstreams (for a wss:// URL, or a forward
    /// proxy's intercepted CONNECTs).
    tls: Option<Arc<ClientConfig>>,
    view: View,
    out: Output,
    limits: Limits,
    connect_timeout: Duration,
    /// Where upgraded clients go.
    relay: relay::Handle,
    /// TLS settings for clients, when listening with TLS.
    listen_tls: Option<Arc<rustls::ServerConfig>>,
    /// What a forward proxy needs.
    forward: Option<forward::Forward>,
    /// Messages held from the start (`--intercept-messages`).
    intercept: Option<Intercept>,
    /// A console reads commands: connections are followed frame by frame,
    /// so that it can hold and send.
    console: AtomicBool,
    /// `--record`: where both legs of every connection go too.
    record: Option<Arc<Recording>>,
}

impl Shared {
    /// Whether new connections are followed frame by frame.
    fn console_open(&self) -> bool {
        self.intercept.is_some() || self.console.load(Ordering::Relaxed)
    }
}

/// Runs the command until SIGINT or SIGTERM.
pub fn run(args: &ProxyArgs, palette: Palette) -> Outcome {
    let url = match &args.url {
        Some(u) => {
            Some(WsUrl::parse(u).map_err(|e| Failure::Input(format!("{}: {e}", escape_str(u))))?)
        }
        None => None,
    };
    let tls = if args.forward || url.as_ref().is_some_and(|u| u.secure) {
        if args.insecure {
            eprintln!(
                "wsdbg proxy: --insecure: the upstream's certificate is NOT checked; anyone on the way can read and change the traffic"
            );
        }
        Some(wire::client_config(args.cacert.as_deref(), args.insecure).map_err(Failure::Input)?)
    } else {
        None
    };
    let connect_timeout = if args.connect_timeout.is_finite() && args.connect_timeout > 0.0 {
        Duration::from_secs_f64(args.connect_timeout)
    } else {
        return Err(Failure::Input(format!(
            "--connect-timeout {}: expected a number of seconds above 0",
            args.connect_timeout
        )));
    };
    let view = View::new(&args.output, palette);
    let listen = args.listen.as_deref().unwrap_or(if args.forward {
        "127.0.0.1:8888"
    } else {
        "127.0.0.1:8081"
    });
    let forward = if args.forward {
        Some(forward::Forward::new(&args.intercept).map_err(Failure::Input)?)
    } else {
        None
    };
    let listener = TcpListener::bind(listen)
        .map_err(|e| Failure::Input(format!("cannot listen on {}: {e}", escape_str(listen))))?;
    let addr = listener.local_addr()?;
    let listen_tls = super::ca::listener(&args.listen_tls, "proxy").map_err(Failure::Input)?;
    let scheme = if listen_tls.is_some() { "wss" } else { "ws" };
    let record = record::open(&args.record).map_err(Failure::Input)?;
    let signals = signals::install()?;
    let intercept = match &args.intercept_messages {
        Some(spec) => {
            let i = crate::cmd::input::console::intercept(spec)
                .map_err(|e| Failure::Input(format!("--intercept-messages: {e}")))?;
            if let Some(i) = &i {
                relay::Rules::new(i)
                    .map_err(|e| Failure::Input(format!("--intercept-messages: {e}")))?;
            }
            i
        }
        None => None,
    };
    let kind = prompt::kind(args.no_console);
    let (handle, inbox, events) = relay::Handle::new()?;
    let shared = Arc::new(Shared {
        url,
        tls,
        view,
        out: Output::stdout(),
        limits: Limits {
            max_frame: Some(args.max_message),
            max_message: Some(args.max_message),
        },
        connect_timeout,
        relay: handle,
        listen_tls,
        forward,
        intercept,
        console: AtomicBool::new(kind != prompt::Kind::Off),
        record,
    });
    std::thread::Builder::new().name("relay".into()).spawn({
        let shared = shared.clone();
        move || relay::run(&shared, inbox, events)
    })?;
    match (&shared.url, &shared.forward) {
        (Some(url), _) => eprintln!(
            "wsdbg proxy: listening on {scheme}://{addr}/, relaying to {url}; Ctrl-C to stop"
        ),
        (None, Some(f)) => eprintln!(
            "wsdbg proxy: listening on http://{addr}/ as a forward proxy (HTTPS_PROXY=http://{addr}), {}; Ctrl-C to stop",
            f.scope()
        ),
        (None, None) => {}
    }
    if let Some(path) = &args.record.record {
        let what = if shared.forward.is_some() {
            "every WebSocket upgrade (from its request; other requests and tunnels not decrypted are not recorded)"
        } else {
            "every connection"
        };
        eprintln!(
            "wsdbg proxy: recording both legs of {what} to {}",
            escape_str(&path.display().to_string())
        );
    }
    let terminal = console::start(kind, &shared)?;
    let next = AtomicU64::new(1);
    loop {
        match signals.wait(&listener) {
            signals::Wake::Signal => break,
            signals::Wake::Listener => {}
        }
        let (stream, peer) = match listener.accept() {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => {
                eprintln!("wsdbg: error: proxy: cannot accept a connection: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let id = next.fetch_add(1, Ordering::Relaxed);
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("client-{id}"))
            .stack_size(256 << 10)
            .spawn(move || {
                if shared.forward.is_some() {
                    forward::client(&shared, id, stream, peer);
                } else {
                    relay(&shared, id, stream, peer);
                }
            });
        if let Err(e) = spawned {
            eprintln!("wsdbg: error: proxy: cannot start a thread for client #{id} ({peer}): {e}");
        }
    }
    if let Some(t) = terminal {
        t.restore();
    }
    eprintln!("wsdbg proxy: stopped");
    Ok(())
}

/// One client's way through: where its lines go.
struct Leg<'a> {
    shared: &'a Shared,
    id: u64,
    peer: String,
    render: Vec<u8>,
}

impl Leg<'_> {
    fn show(&mut self) -> Show<'_> {
        Show {
            view: self.shared.view.clone(),
            conn: Some(self.id),
            local: Role::Server,
            peer: &self.peer,
            server: None,
            render: &mut self.render,
        }
    }

    fn emit(&mut self) {
        self.shared.out.emit(&self.render);
        self.render.clear();
    }

    /// What the proxy did (always shown: it is why the client got what it
    /// got).
    fn say(&mut self, r: &Relayed) {
        let mut show = self.show();
        let meta = show.meta(None);
        show.print(|p| p.relayed(&meta, r));
        self.emit();
    }

    /// Answers the client with `status` and says why.
    fn refuse(&mut self, client: &mut Wire, status: u16, why: &str) {
        refuse(client, status, &format!("wsdbg proxy: {why}"));
        let peer = self.peer.clone();
        self.say(&if status == 502 {
            Relayed::BadGateway { peer: &peer, why }
        } else {
            Relayed::Refused {
                peer: &peer,
                status,
                why,
            }
        });
    }

    /// What TLS agreed on with the client (not under -q).
    fn tls(&mut self, a: &wire::TlsAgreed) {
        if self.shared.view.quiet {
            return;
        }
        let peer = self.peer.clone();
        let mut show = self.show();
        let meta = show.meta(None);
        show.print(|p| p.tls(&meta, &a.shown(&peer)));
        self.emit();
    }

    /// The client's TLS failed before a request could be read: there is no
    /// way to answer in HTTP; says so and closes.
    fn tls_failed(&mut self, client: &Wire, why: &str) {
        let peer = self.peer.clone();
        self.say(&Relayed::ClientTlsFailed { peer: &peer, why });
        let _ = client.socket().shutdown(Shutdown::Both);
    }

    /// Shows the client's upgrade request with its checks (under --trace).
    fn request(&mut self, request: &http::Request, raw: Vec<u8>) {
        if self.shared.view.trace {
            let issues = validate_request(request);
            self.head(
                Role::Client,
                &Head::Request {
                    offset: 0,
                    raw,
                    request: request.clone(),
                    issues,
                },
            );
        }
    }

    /// Shows a plain HTTP head that passed through (under --trace).
    fn http(&mut self, from: Role, head: impl FnOnce() -> Head) {
        if self.shared.view.trace {
            let head = head();
            let mut show = self.show();
            let meta = show.meta(Some(from));
            show.print(|p| p.http_head(&meta, &head));
            self.emit();
        }
    }

    fn head(&mut self, from: Role, head: &Head) {
        if self.shared.view.trace {
            let mut show = self.show();
            let meta = show.meta(Some(from));
            show.print(|p| p.head(&meta, head));
            self.emit();
        }
    }
}

/// Answers the client with a plain-text error and ends its connection,
/// reading what it still sends for a while first: closing with unread
/// bytes would reset the connection, and the client might lose the answer.
fn refuse(client: &mut Wire, status: u16, body: &str) {
    let reason = http::status_reason(status);
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}\n",
        body.len() + 1
    );
    let until = Instant::now() + Duration::from_secs(5);
    let _ = send_all(client, answer.as_bytes(), Some(until));
    client.shutdown_write();
    let until = Instant::now() + Duration::from_secs(2);
    let mut sink = [0u8; 16 << 10];
    let mut left: usize = 8 << 20;
    while left > 0 {
        match read_until(client, &mut sink, until) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

/// Why a head could not be read: the status to answer, and a sentence.
struct HeadFailed {
    /// 400 for a malformed head or a connection that ended or failed
    /// inside it, 431 for one too large.
    status: u16,
    why: String,
    /// Nothing at all came before the connection ended.
    nothing: bool,
}

/// Reads one head (bounded in size and time) with `parse`, after the
/// bytes already in `buf`; the head and whatever came after it.
fn read_head<T>(
    mut buf: Vec<u8>,
    read: &mut dyn FnMut(&mut [u8]) -> io::Result<usize>,
    parse: impl Fn(&[u8]) -> Result<HeadParse<T>, http::HeadError>,
) -> Result<(T, Vec<u8>, Vec<u8>), HeadFailed> {
    let mut chunk = [0u8; 4096];
    let failed = |status, why: String| HeadFailed {
        status,
        why,
        nothing: false,
    };
    loop {
        match parse(&buf) {
            Ok(HeadParse::Complete { head, len }) => {
                let rest = buf.split_off(len);
                return Ok((head, buf, rest));
            }
            Ok(HeadParse::Partial) if buf.len() >= MAX_HEAD => {
                return Err(failed(
                    431,
                    format!("no complete head within {MAX_HEAD} bytes"),
                ))
            }
            Ok(HeadParse::Partial) => {}
            Err(e) => {
                let status = if e.too_large() { 431 } else { 400 };
                return Err(failed(status, crate::print::sentence::head_error(&e)));
            }
        }
        match read(&mut chunk) {
            Ok(0) if buf.is_empty() => {
                return Err(HeadFailed {
                    status: 400,
                    why: "the connection ended before a head".into(),
                    nothing: true,
                })
            }
            Ok(0) => return Err(failed(400, "the connection ended inside the head".into())),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(HeadFailed {
                    status: 400,
                    why: tls_or_io(&e),
                    nothing: buf.is_empty(),
                })
            }
        }
    }
}

/// Reads what has arrived, waiting for it until `until` (then
/// `TimedOut`).
fn read_until(w: &mut Wire, buf: &mut [u8], until: Instant) -> io::Result<usize> {
    loop {
        match w.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // TLS may owe the peer handshake bytes that a full socket
                // did not take: the peer waits for them before it sends.
                if w.wants_write() {
                    w.on_writable()?;
                    if w.wants_write() && !wait_for(w.fd(), true, until) {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                    continue;
                }
                if !wait_for(w.fd(), false, until) {
                    return Err(io::ErrorKind::TimedOut.into());
                }
            }
            other => return other,
        }
    }
}

fn tls_or_io(e: &io::Error) -> String {
    match e.get_ref().and_then(|i| i.downcast_ref::<TlsError>()) {
        Some(t) => t.to_string(),
        None if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) =>
        {
            "no answer in time (--connect-timeout)".into()
        }
        None => e.to_string(),
    }
}

/// Writes all of `data` (to the upstream or the client), waiting for the
/// socket as needed, until `until` (None: an hour).
fn send_all(w: &mut Wire, mut data: &[u8], until: Option<Instant>) -> io::Result<()> {
    while !data.is_empty() || w.wants_write() {
        if data.is_empty() {
            w.on_writable()?;
            if w.wants_write() && !wait_for(w.fd(), true, until.unwrap_or_else(far)) {
                return Err(io::ErrorKind::TimedOut.into());
            }
            continue;
        }
        match w.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait_for(w.fd(), true, until.unwrap_or_else(far)) {
                    return Err(io::ErrorKind::TimedOut.into());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

fn relay(shared: &Shared, id: u64, client: TcpStream, peer: SocketAddr) {
    let _ = client.set_nodelay(true);
    let _ = client.set_nonblocking(true);
    let mut client = match &shared.listen_tls {
        Some(config) => match wire::accept_tls(client, config.clone()) {
            Ok(w) => w,
            Err(why) => {
                eprintln!("wsdbg: error: proxy: client #{id} ({peer}): {why}");
                return;
            }
        },
        None => Wire::plain(client),
    };
    if let Some(r) = &shared.record {
        client.record(r, Role::Server);
    }
    let started = Instant::now();
    let mut leg = Leg {
        shared,
        id,
        peer: peer.to_string(),
        render: Vec::new(),
    };
    let Some(up) = upgrade(&mut leg, &mut client) else {
        return;
    };
    if !up.rest.is_empty() && send_all(&mut client, &up.rest, None).is_err() {
        return;
    }
    shared.relay.hand(relay::Handed {
        id,
        peer: leg.peer,
        started,
        client,
        up: up.wire,
        deflate: up.deflate,
        rest: up.rest,
        early: up.early,
        blind: None,
        compression: up.compression,
        label: up.label,
        protocol: up.protocol,
    });
}

/// The two directions of a client's connection: from the client, then
/// from the upstream.
fn sides<'a>(
    shared: &'a Shared,
    id: u64,
    peer: &str,
    deflate: Option<DeflateParams>,
    protocol: Option<&str>,
) -> [Side<'a>; 2] {
    let config = |from| Config {
        from: Some(from),
        heads: false,
        deflate,
        limits: shared.limits,
        stop_at_violation: false,
        stop_after_close: false,
        pieces: false,
        // Only --trace shows data frames; the other views show messages.
        plain_frames: shared.view.trace,
    };
    let mut sides = [Role::Client, Role::Server].map(|from| Side {
        shared,
        id,
        peer: peer.to_string(),
        from_client: from == Role::Client,
        decoder: Decoder::new(config(from)),
        book: Book {
            relayed: true,
            ..Book::default()
        },
        render: Vec::new(),
        close: None,
    });
    if !shared.view.quiet {
        let mut reading = Reading::new(shared.view.payload.asked());
        reading.agreed(protocol);
        sides[0].book.reading = Some((reading, Instant::now()));
    }
    sides
}

/// Decodes and shows bytes that passed one way (`w`: 0 from the client,
/// 1 from the upstream). The two ways share one reading of the payloads
/// (an answer is tied to its request): it moves to the way that passes.
fn pass(sides: &mut [Side; 2], w: usize, bytes: &mut [u8], at: Instant) {
    let [a, b] = sides;
    if w == 0 {
        b.book.hand_to(&mut a.book);
    } else {
        a.book.hand_to(&mut b.book);
    }
    sides[w].passed(bytes, at);
}

/// Shows what both directions left unfinished (a frame cut off), and the
/// connection's closing line: who closed first, the code, the answer.
fn closing(shared: &Shared, id: u64, peer: &str, started: Instant, sides: &mut [Side; 2]) {
    for w in 0..2 {
        let [a, b] = &mut *sides;
        if w == 0 {
            b.book.hand_to(&mut a.book);
        } else {
            a.book.hand_to(&mut b.book);
        }
        sides[w].finish();
    }
    if shared.view.quiet {
        return;
    }
    let closes = [&sides[0].close, &sides[1].close];
    let first = match closes {
        [Some((a, _)), Some((b, _))] => Some(usize::from(b < a)),
        [Some(_), None] => Some(0),
        [None, Some(_)] => Some(1),
        [None, None] => None,
    };
    let info = match first {
        Some(side) => {
            let (code, reason) = closes[side].clone().map(|c| c.1).unwrap_or_default();
            let answered = closes[1 - side].as_ref().map(|(_, (c, _))| *c);
            CloseInfo {
                by: if side == 0 {
                    Closer::Peer
                } else {
                    Closer::Local
                },
                code,
                reason,
                clean: answered.is_some(),
                // Who closed first is the "peer" or "local" side of the
                // line; the other side's answer, when it differs.
                answer: answered.filter(|a| *a != code),
            }
        }
        None => CloseInfo {
            by: Closer::Abnormal("a side ended the connection without a close frame"),
            code: None,
            reason: Vec::new(),
            clean: false,
            answer: None,
        },
    };
    let mut render = Vec::new();
    let mut show = show(shared, id, peer, &mut render);
    let meta = show.meta(None);
    let [a, b] = sides;
    a.book.hand_to(&mut b.book);
    if let Some(v) = b.book.reading.as_mut().and_then(|(r, _)| r.ended()) {
        show.print(|p| p.view(&meta, &v));
    }
    let c = Closed {
        info: &info,
        local: Role::Server,
        peer,
        duration: started.elapsed(),
        received: sides[0].book.received,
        sent: sides[1].book.sent,
        round_trips: sides[1].book.pings.figures(),
        payload_violations: sides[1]
            .book
            .reading
            .as_ref()
            .map_or(0, |(r, _)| r.violations()),
    };
    show.print(|p| p.closed(&meta, &c));
    shared.out.emit(&render);
}

/// A client whose upgrade the upstream accepted.
struct Upgraded {
    /// The upstream connection.
    wire: Wire,
    /// What the upstream sent after its answer's head.
    rest: Vec<u8>,
    /// The permessage-deflate the two agreed on.
    deflate: Option<DeflateParams>,
    /// What the client sent after its request's head (passed upstream
    /// with it), to be decoded.
    early: Vec<u8>,
    /// How each direction compresses (client's, then server's).
    compression: [Option<Compression>; 2],
    /// The upstream's name (a forward proxy's) and the path.
    label: String,
    /// The subprotocol the upstream agreed to.
    protocol: Option<String>,
}

/// Reads the client's request, passes it to the URL's upstream and the
/// answer back; `None` when the connection ends there (a refusal of
/// either, already answered and shown).
fn upgrade(leg: &mut Leg<'_>, client: &mut Wire) -> Option<Upgraded> {
    let shared = leg.shared;
    let url = shared.url.as_ref()?;
    // 1. The client's request (and, over TLS, what TLS agreed on).
    let until = Instant::now() + shared.connect_timeout;
    let head = read_head(Vec::new(), &mut |b| read_until(client, b, until), |b| {
        http::parse_request(b, MAX_HEAD)
    });
    if let Some(a) = client.agreed() {
        leg.tls(&a);
    }
    let (request, raw, early) = match head {
        Ok(x) => x,
        // TLS never came up: there is no way to answer in HTTP.
        Err(f) if !client.is_plain() && client.agreed().is_none() => {
            leg.tls_failed(client, &f.why);
            return None;
        }
        Err(f) => {
            leg.refuse(client, f.status, &f.why);
            return None;
        }
    };
    leg.request(&request, raw);
    // 2. The upstream.
    let target = url.join(&request.target);
    let host = url.host_header();
    let stream = match wire::dial(url, shared.connect_timeout) {
        Ok(s) => s,
        Err(why) => {
            leg.refuse(client, 502, &why);
            return None;
        }
    };
    let upstream_addr = stream
        .peer_addr()
        .map_or_else(|_| host.clone(), |a| a.to_string());
    let _ = stream.set_nonblocking(true);
    let mut up = match &shared.tls {
        Some(config) if url.secure => match wire::tls(stream, &url.host, config.clone()) {
            Ok(w) => w,
            Err(why) => {
                leg.refuse(client, 502, &why);
                return None;
            }
        },
        _ => Wire::plain(stream),
    };
    if let Some(r) = &leg.shared.record {
        up.record(r, Role::Client);
    }
    let asked = Asked {
        request,
        early,
        target,
        host,
    };
    handshake(leg, client, asked, up, &upstream_addr, None)
}

/// A client's upgrade request, read and shown, and where it goes.
struct Asked {
    request: http::Request,
    /// What the client sent after the head.
    early: Vec<u8>,
    /// The target to ask the upstream for.
    target: String,
    /// The Host header to send it.
    host: String,
}

/// Passes an upgrade request to the upstream `up` (connected; TLS may
/// still have to shake hands) and the answer back; `None` when the
/// connection ends there. `named`: the upstream's name for the open line
/// (a forward proxy's host).
fn handshake(
    leg: &mut Leg<'_>,
    client: &mut Wire,
    asked: Asked,
    mut up: Wire,
    upstream_addr: &str,
    named: Option<&str>,
) -> Option<Upgraded> {
    let shared = leg.shared;
    let Asked {
        request,
        early,
        target,
        host,
    } = asked;
    let forwarded = build_forwarded_request(&request, &target, &host);
    if let Ok(HeadParse::Complete { head, len }) = http::parse_request(&forwarded, MAX_HEAD) {
        let issues = validate_request(&head);
        let shown = Head::Request {
            offset: 0,
            raw: forwarded[..len].to_vec(),
            request: head,
            issues,
        };
        if shared.view.trace {
            leg.say(&Relayed::Forwarded {
                upstream: upstream_addr,
            });
        }
        leg.head(Role::Client, &shown);
    }
    let until = Instant::now() + shared.connect_timeout;
    let sent = send_all(&mut up, &forwarded, Some(until))
        .and_then(|()| send_all(&mut up, &early, Some(until)));
    if let Err(e) = sent {
        let why = format!(
            "cannot send the request to {upstream_addr}: {}",
            tls_or_io(&e)
        );
        leg.refuse(client, 502, &why);
        return None;
    }
    // The upstream's answer, passed on as it is.
    let mut read_up = |b: &mut [u8]| read_until(&mut up, b, until);
    let key = request
        .header("Sec-WebSocket-Key")
        .map(|h| h.value_lossy().into_owned());
    let answer = read_head(Vec::new(), &mut read_up, |b| {
        http::parse_response(b, MAX_HEAD)
    });
    let (response, raw, rest) = match answer {
        Ok(x) => x,
        Err(f) => {
            let why = format!("the upstream {upstream_addr} gave no answer: {}", f.why);
            leg.refuse(client, 502, &why);
            return None;
        }
    };
    let status = response.status;
    let deflate = response
        .header("Sec-WebSocket-Extensions")
        .and_then(|h| find_deflate(&h.value));
    let values: Vec<&[u8]> = response
        .headers_named("Sec-WebSocket-Extensions")
        .map(|h| h.value.as_slice())
        .collect();
    let agreed = compress::check_answer(&values).ok().flatten();
    let compression = [Role::Client, Role::Server].map(|role| {
        agreed.map(|a| {
            let (window_bits, no_context_takeover) = a.sending(role);
            Compression {
                window_bits,
                no_context_takeover,
            }
        })
    });
    let protocol = response
        .header("Sec-WebSocket-Protocol")
        .map(|h| h.value_lossy().into_owned());
    let issues = validate_response(&response, key.as_deref());
    if send_all(client, &raw, None).is_err() {
        return None;
    }
    leg.head(
        Role::Server,
        &Head::Response {
            offset: 0,
            raw,
            response,
            issues,
        },
    );
    if status != 101 {
        let peer = leg.peer.clone();
        leg.say(&Relayed::PassedOn {
            peer: &peer,
            status,
        });
        // The body, as it comes, until the upstream ends.
        let _ = send_all(client, &rest, None);
        pass_rest(&mut up, client);
        client.shutdown_write();
        let _ = client.socket().shutdown(Shutdown::Both);
        return None;
    }
    if !shared.view.quiet {
        let peer = leg.peer.clone();
        let mut show = leg.show();
        let meta = show.meta(None);
        let o = crate::print::Opened {
            peer: &peer,
            server: named,
            target: &request.target,
            protocol: protocol.as_deref(),
        };
        show.print(|p| p.open(&meta, &o));
        leg.emit();
    }
    let label = match named {
        Some(n) => format!("{n} {}", request.target),
        None => request.target.clone(),
    };
    Some(Upgraded {
        wire: up,
        rest,
        deflate,
        early,
        compression,
        label,
        protocol,
    })
}

/// A close frame's code and reason.
type CloseSeen = (Option<u16>, Vec<u8>);

/// One direction of a relayed connection: its decoder and what it saw.
struct Side<'a> {
    shared: &'a Shared,
    id: u64,
    peer: String,
    /// From the client to the upstream, or back.
    from_client: bool,
    decoder: Decoder,
    book: Book,
    render: Vec<u8>,
    /// The first close frame this way, and when it passed.
    close: Option<(Instant, CloseSeen)>,
}

impl Side<'_> {
    /// Decodes bytes that passed this way, read `at` (before they were
    /// passed on, so that a close is timed before the answer it causes),
    /// and shows what they hold.
    fn passed(&mut self, bytes: &mut [u8], at: Instant) {
        let (from_client, mut close) = (self.from_client, self.close.take());
        let mut show = show(self.shared, self.id, &self.peer, &mut self.render);
        let book = &mut self.book;
        let mut sink = |ev: Event<'_>| -> Result<(), std::convert::Infallible> {
            if let Event::Frame(f) = &ev {
                if close.is_none() && f.header.is_some_and(|h| h.opcode == OpCode::Close) {
                    let c = ClosePayload::parse(f.payload);
                    close = Some((at, (c.code.map(|c| c.0), c.reason.to_vec())));
                }
            }
            let note = if from_client {
                Note::In(ev)
            } else {
                Note::Out(ev)
            };
            show.note(&note, book);
            Ok(())
        };
        let _ = self.decoder.feed(bytes, &mut sink);
        self.close = close;
        self.emit();
    }

    /// Shows what the stream left unfinished.
    fn finish(&mut self) {
        let from_client = self.from_client;
        let mut show = show(self.shared, self.id, &self.peer, &mut self.render);
        let book = &mut self.book;
        let _ = self
            .decoder
            .finish(&mut |ev| -> Result<(), std::convert::Infallible> {
                let note = if from_client {
                    Note::In(ev)
                } else {
                    Note::Out(ev)
                };
                show.note(&note, book);
                Ok(())
            });
        self.emit();
    }

    fn say(&mut self, r: &Relayed) {
        let mut show = show(self.shared, self.id, &self.peer, &mut self.render);
        let meta = show.meta(None);
        show.print(|p| p.relayed(&meta, r));
        self.emit();
    }

    fn emit(&mut self) {
        if !self.render.is_empty() {
            self.shared.out.emit(&self.render);
            self.render.clear();
        }
    }
}

/// Where a client's lines render.
fn show<'a>(shared: &Shared, id: u64, peer: &'a str, render: &'a mut Vec<u8>) -> Show<'a> {
    Show {
        view: shared.view.clone(),
        conn: Some(id),
        local: Role::Server,
        peer,
        server: None,
        render,
    }
}

/// The size of the buffer the relays read into.
const CHUNK: usize = 64 << 10;

/// Passes the rest of a refused answer to the client until the upstream
/// ends (bounded in time).
fn pass_rest(up: &mut Wire, client: &mut Wire) {
    let until = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 16 << 10];
    loop {
        match up.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if send_all(client, &buf[..n], None).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait_for(up.fd(), false, until) {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
