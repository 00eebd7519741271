//! `wsdbg connect`: the client side. One thread does the I/O, waiting in
//! the event loop (`cmd/event.rs`) on the socket, woken by the console
//! thread (stdin lines); the connection itself is a
//! [`protocol::endpoint::Endpoint`](crate::protocol::endpoint::Endpoint)
//! in the client role, shown by the same code as `serve`'s.

use std::io;
use std::net::Shutdown;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::event::Loop;
use super::input::console::{self, Command};
use super::live::{queue, Book, Show, View};
use super::prompt::{self, Output};
use super::record;
use super::wire::{self, TlsError, Wire};
use super::{Failure, Outcome};
use crate::cli::{ConnectArgs, ConnectMode};
use crate::print::{Closed, Palette, Rejected};
use crate::protocol::endpoint::{
    CloseInfo, Closer, Endpoint, Note, Outbox, Settings, State, Transport,
};
use crate::protocol::handshake::{self, build_request_with, key_from_bytes};
use crate::protocol::http::{self, HeadParse};
use crate::protocol::message::Limits;
use crate::protocol::stream::{Event, Head};
use crate::protocol::url::WsUrl;
use crate::protocol::Role;

/// The most of a refused answer's body that is shown.
const MAX_BODY: usize = 64 << 10;

/// What the console thread hands over.
enum Input {
    Line(String),
    /// The end of piped input.
    End,
    /// Ctrl-C or Ctrl-D at the prompt.
    Interrupt,
}

/// Hands the console's lines to the I/O thread, waking it.
struct ConnectLines {
    tx: mpsc::Sender<Input>,
    wake: std::sync::Arc<mio::Waker>,
}

impl ConnectLines {
    fn send(&self, input: Input) -> bool {
        let sent = self.tx.send(input).is_ok();
        let _ = self.wake.wake();
        sent
    }
}

/// The event loop's tokens: the socket, and the console's waker.
const SOCKET: usize = 0;
const WAKE: usize = 1;

impl prompt::Lines for ConnectLines {
    fn line(&mut self, line: &str, _: bool) -> bool {
        self.send(Input::Line(line.to_string()))
    }

    fn interrupted(&mut self) {
        self.send(Input::Interrupt);
    }

    fn ended(&mut self, _: u64) {
        self.send(Input::End);
    }
}

/// Runs the command.
pub fn run(args: &ConnectArgs, palette: Palette) -> Outcome {
    let url = WsUrl::parse(&args.url).map_err(|e| {
        Failure::Input(format!(
            "{}: {e}",
            crate::print::escape::escape_str(&args.url)
        ))
    })?;
    let tls_config = if url.secure {
        if args.insecure {
            eprintln!(
                "wsdbg connect: --insecure: the server's certificate is NOT checked; anyone on the way can read and change this connection"
            );
        }
        Some(wire::client_config(args.cacert.as_deref(), args.insecure).map_err(Failure::Input)?)
    } else {
        None
    };
    let view = View::new(&args.output, palette);
    let connect_timeout = seconds("connect-timeout", args.connect_timeout)?;
    let close_timeout = seconds("close-timeout", args.close_timeout)?;
    let ping_interval = match args.ping_interval {
        0.0 => None,
        v => Some(seconds("ping-interval", v)?),
    };
    let mut extra = Vec::new();
    if !args.protocols.is_empty() {
        extra.push((
            "Sec-WebSocket-Protocol".to_string(),
            args.protocols.join(", "),
        ));
    }
    if let Some(o) = &args.origin {
        extra.push(("Origin".to_string(), o.clone()));
    }
    if args.deflate {
        extra.push((
            "Sec-WebSocket-Extensions".to_string(),
            crate::protocol::compress::CLIENT_OFFER.to_string(),
        ));
    }
    for h in &args.headers {
        extra.push(header(h)?);
    }

    // Before dialing: a file that cannot be written is said first.
    let recording = record::open(&args.record).map_err(Failure::Input)?;
    let stream = wire::dial(&url, connect_timeout).map_err(Failure::Input)?;
    let peer = stream
        .peer_addr()
        .map_or_else(|_| url.host_header(), |a| a.to_string());
    stream.set_nonblocking(true)?;
    let mut wire = match tls_config {
        Some(config) => wire::tls(stream, &url.host, config).map_err(Failure::Input)?,
        None => Wire::plain(stream),
    };
    if let Some(r) = &recording {
        wire.record(r, Role::Client);
    }
    let mut random = [0u8; 20];
    getrandom::getrandom(&mut random)
        .map_err(|e| Failure::Input(format!("no randomness available: {e}")))?;
    let key = key_from_bytes(random[..16].try_into().expect("16 bytes"));
    let seed = u32::from_le_bytes(random[16..].try_into().expect("4 bytes"));
    let request = build_request_with(&url.host_header(), &url.resource, &key, &extra);
    let settings = Settings {
        limits: Limits {
            max_frame: Some(args.max_message),
            max_message: Some(args.max_message),
        },
        handshake_timeout: connect_timeout,
        idle_timeout: None,
        close_timeout,
        decode_outgoing: view.decodes_outgoing(),
        // Only --trace shows data frames; the other views show messages.
        plain_frames: view.trace,
        deflate: args.deflate,
        ping_interval,
        ..Settings::client()
    };
    let started = Instant::now();
    let mut endpoint = Endpoint::client(settings, &request, &key, seed, started);
    let mut book = Book {
        path: Some(url.resource.clone()),
        ..Book::default()
    };
    let mut render = Vec::new();
    if view.trace {
        if let Ok(HeadParse::Complete { head, len }) = http::parse_request(&request, request.len())
        {
            let issues = handshake::validate_request(&head);
            let head = Head::Request {
                offset: 0,
                raw: request[..len].to_vec(),
                request: head,
                issues,
            };
            let mut show = show(&view, &peer, &mut render);
            let meta = show.meta(Some(Role::Client));
            show.print(|p| p.head(&meta, &head));
        }
    }
    let output = Output::stdout();
    emit(&output, &mut render);

    let mut events = Loop::new(16)?;
    events.watch(wire.fd(), SOCKET)?;
    let wake = events.waker(WAKE)?;
    let (tx, rx) = mpsc::channel();
    let terminal = prompt::start(
        prompt::kind(false),
        ConnectLines { tx, wake },
        prompt::Completion::names(console::COMMANDS, &["/list"]),
        &output,
        "console: a line is a text message; /help lists the commands; Ctrl-C or Ctrl-D closes with 1000\n",
    )?;
    let complain = |what: &str| {
        if output.is_prompt() {
            output.say(&format!("error: {what}\n"));
        } else {
            eprintln!("wsdbg: error: console: {what}");
        }
    };

    let mut tls_failure: Option<String> = None;
    let mut buf = vec![0u8; 64 << 10];
    let mut answer = Vec::new();
    let mut shut = false;
    let mut dropped: Option<&'static str> = None;
    let mut waiting = std::collections::VecDeque::new();
    loop {
        let mut handler = |n: Note<'_>, o: &mut Outbox| -> Result<(), std::convert::Infallible> {
            let mut show = show(&view, &peer, &mut render);
            show.note(&n, &mut book);
            if let (Note::In(Event::Message(m)), ConnectMode::Echo) = (n, args.mode) {
                o.send_message(m.kind, m.data);
            }
            Ok(())
        };
        if !write_pending(&mut wire, &mut endpoint, &mut handler) {
            dropped.get_or_insert("the connection was reset");
            endpoint.sent_all();
            let _ = endpoint.receive_eof(Instant::now(), &mut handler);
        }
        match endpoint.transport() {
            Transport::Close => break,
            Transport::Shutdown if !shut => {
                wire.shutdown_write();
                shut = true;
            }
            _ => {}
        }
        let mut readable = false;
        for ready in events.wait(endpoint.deadline())? {
            if ready.token == SOCKET {
                readable |= ready.read;
                if ready.write {
                    let _ = wire.on_writable();
                }
            }
        }
        let now = Instant::now();
        // Until the socket says WouldBlock (its readiness is an edge): TLS
        // may also hold decrypted bytes that the socket no longer signals.
        while readable && endpoint.transport() != Transport::Close {
            let handshaking = endpoint.state() == State::Handshake;
            match wire.read(&mut buf) {
                Ok(0) => {
                    let _ = endpoint.receive_eof(now, &mut handler);
                    break;
                }
                Ok(n) => {
                    if handshaking && answer.len() < MAX_BODY {
                        answer.extend_from_slice(&buf[..n.min(MAX_BODY - answer.len())]);
                    }
                    let _ = endpoint.receive(&mut buf[..n], now, &mut handler);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if let Some(t) = e.get_ref().and_then(|i| i.downcast_ref::<TlsError>()) {
                        tls_failure = Some(t.to_string());
                    } else {
                        dropped.get_or_insert("the connection was reset");
                    }
                    let _ = endpoint.receive_eof(now, &mut handler);
                    break;
                }
            }
        }
        waiting.extend(rx.try_iter());
        // What the console says waits for the handshake to complete.
        while matches!(endpoint.state(), State::Open | State::Closing) {
            let Some(input) = waiting.pop_front() else {
                break;
            };
            {
                let state = endpoint.state();
                match input {
                    Input::End if args.mode == ConnectMode::Send => {
                        endpoint.command(now, |o| o.close(Some(1000), b""));
                    }
                    Input::End => {}
                    Input::Interrupt => {
                        endpoint.command(now, |o| o.close(Some(1000), b""));
                    }
                    Input::Line(line) => match console::parse(&line, false) {
                        Err(e) => complain(&e.to_string()),
                        Ok(Command::Nothing) => {}
                        Ok(Command::Help(topic)) => output.emit(help(topic).as_bytes()),
                        Ok(Command::List) => complain("/list is serve's; connect has one peer"),
                        Ok(Command::Quit) => {
                            endpoint.command(now, |o| o.close(Some(1000), b""));
                        }
                        Ok(Command::Send(_, what)) => {
                            if let Err(why) =
                                endpoint.command(now, |o| queue(o, state, Role::Client, &what))
                            {
                                complain(&format!("not sent: {why}"));
                            }
                        }
                    },
                }
            }
        }
        if endpoint.deadline().is_some_and(|d| now >= d) {
            let _ = endpoint.on_timeout(now, &mut handler);
        }
        emit(&output, &mut render);
    }
    emit(&output, &mut render);
    let _ = wire.socket().shutdown(Shutdown::Both);
    if let Some(t) = terminal {
        t.restore();
    }

    let info = book
        .close
        .clone()
        .or_else(|| endpoint.close_info().cloned())
        .unwrap_or(CloseInfo {
            by: Closer::Abnormal("the connection ended"),
            code: None,
            reason: Vec::new(),
            clean: false,
            answer: None,
        });
    let unsent = waiting
        .iter()
        .filter(|i| matches!(i, Input::Line(l) if !l.trim().is_empty()))
        .count();
    if unsent > 0 {
        eprintln!(
            "wsdbg: error: console: {unsent} line{} not sent: {}",
            crate::print::plural(unsent as u64),
            if matches!(info.by, Closer::Handshake(_)) {
                "the connection never opened"
            } else {
                "the connection had ended"
            }
        );
    }
    if let Some(why) = tls_failure {
        return Err(Failure::Input(format!("cannot connect to {url}: {why}")));
    }
    let mut info = info;
    if let Some(why) = dropped {
        if !info.clean && !matches!(info.by, Closer::Failed(_)) {
            info.by = Closer::Abnormal(why);
        }
    }
    if let Some(status) = book.refused {
        if !view.trace {
            // The answer's head, as --trace shows it: status, headers,
            // what is wrong with it.
            if let Ok(HeadParse::Complete { head, len }) =
                http::parse_response(&answer, answer.len() + 1)
            {
                let issues = handshake::validate_response(&head, Some(&key));
                let head = Head::Response {
                    offset: 0,
                    raw: answer[..len].to_vec(),
                    response: head,
                    issues,
                };
                let mut show = show(&view, &peer, &mut render);
                let meta = show.meta(Some(Role::Server));
                show.print(|p| p.head(&meta, &head));
                emit(&output, &mut render);
            }
        }
        let body = refused_body(&answer, &mut wire, &mut events);
        let mut show = show(&view, &peer, &mut render);
        let meta = show.meta(Some(Role::Server));
        show.print(|p| {
            p.rejected(
                &meta,
                &Rejected {
                    status,
                    body: &body,
                },
            )
        });
        emit(&output, &mut render);
        return Err(Failure::Violation);
    }
    if !matches!(info.by, Closer::Handshake(_)) || !view.quiet {
        let mut show = show(&view, &peer, &mut render);
        let meta = show.meta(None);
        let c = Closed {
            info: &info,
            local: Role::Client,
            peer: &peer,
            duration: started.elapsed(),
            received: book.received,
            sent: if view.decodes_outgoing() {
                book.sent
            } else {
                endpoint.outbox().messages()
            },
            round_trips: book.pings.figures(),
            payload_violations: book.reading.as_ref().map_or(0, |(r, _)| r.violations()),
        };
        if !view.quiet || matches!(info.by, Closer::Failed(_)) {
            show.print(|p| p.closed(&meta, &c));
        }
        emit(&output, &mut render);
    }
    match info.by {
        Closer::Failed(_) | Closer::Handshake(_) => Err(Failure::Violation),
        _ => Ok(()),
    }
}

fn show<'a>(view: &View, peer: &'a str, render: &'a mut Vec<u8>) -> Show<'a> {
    Show {
        view: view.clone(),
        conn: None,
        local: Role::Client,
        peer,
        server: None,
        render,
    }
}

pub(crate) fn seconds(what: &str, v: f64) -> Result<Duration, Failure> {
    if v.is_finite() && v > 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(Failure::Input(format!(
            "--{what} {v}: expected a number of seconds above 0"
        )))
    }
}

/// `Name: value` from `--header`.
pub(crate) fn header(h: &str) -> Result<(String, String), Failure> {
    let bad = |why: &str| {
        Failure::Input(format!(
            "--header {}: {why}",
            crate::print::escape::escape_str(h)
        ))
    };
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| bad("expected 'Name: value'"))?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
    {
        return Err(bad("the name must be a token (letters, digits, -)"));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(bad("the value cannot hold control characters (CR, LF...)"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Sends what is pending without waiting; false when the connection broke.
pub(crate) fn write_pending(
    wire: &mut Wire,
    endpoint: &mut Endpoint,
    handler: &mut impl FnMut(Note<'_>, &mut Outbox) -> Result<(), std::convert::Infallible>,
) -> bool {
    loop {
        let pending = endpoint.outbox().pending();
        if pending.is_empty() {
            return true;
        }
        match wire.write(pending) {
            Ok(n) => {
                let _ = endpoint.sent(n, handler);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// The body of a refused answer: what came after its head, and what more
/// arrives within a second (up to [`MAX_BODY`] bytes or `Content-Length`).
fn refused_body(answer: &[u8], wire: &mut Wire, events: &mut Loop) -> Vec<u8> {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Vec::new();
    };
    let head = &answer[..end];
    let length = String::from_utf8_lossy(head).lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    let mut body = answer[end + 4..].to_vec();
    let want = length.unwrap_or(MAX_BODY).min(MAX_BODY);
    let until = Instant::now() + Duration::from_secs(1);
    let mut buf = [0u8; 4096];
    while body.len() < want {
        match wire.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&buf[..n.min(want - body.len())]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= until || events.wait(Some(until)).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    body.truncate(want);
    body
}

fn help(topic: Option<&'static console::Usage>) -> String {
    let mut s = String::new();
    match topic {
        Some(u) => s.push_str(&format!("{}\n    {}\n", u.line(false), u.what)),
        None => {
            s.push_str("A line without / is a text message (//text sends /text).\n");
            for u in console::COMMANDS.iter().filter(|u| u.name != "/list") {
                s.push_str(&format!("  {}\n      {}\n", u.line(false), u.what));
            }
        }
    }
    s
}

fn emit(output: &Output, render: &mut Vec<u8>) {
    output.emit(render);
    render.clear();
}
