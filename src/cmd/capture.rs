//! `wsdbg decode` of a capture file: the capture is read as it streams in
//! ([`input::capture`](super::input::capture)), each side of each
//! WebSocket connection goes through its own [`Decoder`], and the printers
//! render what they find with the connection's id, the side and the
//! packet's time, in capture order.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::time::SystemTime;

use super::input::capture::{Capture, CaptureError, Flow, Format, When};
use super::{stdout, warn, Failure, Outcome};
use crate::cli::DecodeArgs;
use crate::print::json::JsonPrinter;
use crate::print::text::TextPrinter;
use crate::print::{plural, Closed, Meta, Opened, Palette, Printer};
use crate::protocol::deflate::DeflateParams;
use crate::protocol::endpoint::{CloseInfo, Closer};
use crate::protocol::opcode::OpCode;
use crate::protocol::payload::read::{Reading, Shown};
use crate::protocol::stream::{Config, Decoder, Event, FrameRecord, Head, Summary};
use crate::protocol::Role;

/// A failure while reading: the capture's, or the output's.
enum Stop {
    Capture(CaptureError),
    Io(std::io::Error),
}

impl From<CaptureError> for Stop {
    fn from(e: CaptureError) -> Self {
        Self::Capture(e)
    }
}

/// Why feeding a side stopped early.
enum Halt {
    /// The handshake was refused: nothing after it is WebSocket.
    Refused,
    Io(std::io::Error),
}

impl From<std::io::Error> for Halt {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Where a capture comes from, for messages and the summary.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// What names it: a path, stdin.
    pub name: &'a str,
    /// What it was read as, when not the file's own format (packets pasted
    /// as `tshark -x` or `tcpdump -x` text).
    pub kind: Option<&'a str>,
    /// Whether its packets carry times (pasted ones do not).
    pub times: bool,
    /// The server's port when the caller settled it (else `--port`).
    pub port: Option<u16>,
    /// Whether packet numbers mean anything (not for packets made up to
    /// carry a conversation pasted as text).
    pub packets: bool,
    /// Names for addresses the caller made up (`node 0`), shown instead.
    pub aliases: &'a [(std::net::SocketAddr, &'a str)],
}

impl<'a> Source<'a> {
    /// A capture file named `name`.
    pub fn file(name: &'a str) -> Self {
        Self {
            name,
            kind: None,
            times: true,
            port: None,
            packets: true,
            aliases: &[],
        }
    }
}

/// Runs `decode` on a capture: `start` holds the first bytes of `input`,
/// read already to tell its `format`.
pub fn run(
    args: &DecodeArgs,
    palette: Palette,
    format: Format,
    start: Vec<u8>,
    input: impl Read,
    source: Source,
) -> Outcome {
    if args.from.is_some() {
        return Err(Failure::Input(
            "--from does not apply to a capture: each connection's client and server are known from it"
                .to_string(),
        ));
    }
    // What was printed is flushed before each read of the input, which
    // may wait (a live capture piped in): output keeps up with packets,
    // at the cost of a flush per buffer of input.
    let out = Rc::new(RefCell::new(stdout()));
    let input = FlushFirst {
        input,
        out: out.clone(),
    };
    let out = Shared(out);
    if args.json {
        decode(
            args,
            super::decode::select(args, JsonPrinter::new(out)),
            format,
            start,
            input,
            source,
        )
    } else {
        let options = super::decode::text_options(args);
        decode(
            args,
            super::decode::select(
                args,
                TextPrinter::new(super::decode::fit(out), palette, options),
            ),
            format,
            start,
            input,
            source,
        )
    }
}

/// The output, shared by the printer and [`FlushFirst`].
struct Shared<W>(Rc<RefCell<W>>);

impl<W: Write> Write for Shared<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.borrow_mut().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// Input that flushes the output before each read.
struct FlushFirst<R, W> {
    input: R,
    out: Rc<RefCell<W>>,
}

impl<R: Read, W: Write> Read for FlushFirst<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // A closed stdout shows at the next write, as a broken pipe.
        let _ = self.out.borrow_mut().flush();
        self.input.read(buf)
    }
}

/// One WebSocket connection being decoded.
struct Conn {
    /// The client's decoder, then the server's.
    sides: [Decoder; 2],
    /// The handshake was refused: what follows is not WebSocket.
    refused: bool,
    /// The client's and the server's addresses, as shown, and the target.
    names: (String, String, String),
    /// When its open was shown (the packet's time): after the server's
    /// 101, as a live command shows it, or at once for a connection found
    /// by its port.
    opened: Option<Option<SystemTime>>,
    /// What its close event says.
    ends: Ends,
    /// The time of its last packet.
    last: Option<SystemTime>,
    /// Its payloads read as an application protocol.
    reading: Reading,
}

/// What the application says in the message `f` ends, when it ends one
/// and there is something to show.
fn view_of(
    reading: &mut Reading,
    meta: &Meta,
    f: &FrameRecord,
    at: Option<SystemTime>,
    broken: &mut Summary,
) -> Option<Shown> {
    let at = at.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
    let v = reading.message(meta.from.unwrap_or(Role::Client), &f.message?, at)?;
    if let (Some(p), true) = (v.problems.first(), reading.binding()) {
        broken.payload_violation(p);
    }
    v.worth_showing().then_some(v)
}
/// What a connection's close event is made of.
#[derive(Default)]
struct Ends {
    /// The first close frame: who sent it, its code and reason.
    first: Option<(Role, Option<u16>, Vec<u8>)>,
    /// The close code each side sent (None inside: a close without one).
    closes: [Option<Option<u16>>; 2],
    /// Data messages each side sent.
    messages: [u64; 2],
}

impl Ends {
    /// Notes a frame of `from`.
    fn saw(&mut self, from: Role, f: &crate::protocol::stream::FrameRecord<'_>) {
        if f.message.is_some() {
            self.messages[side(from)] += 1;
        }
        if f.missing() > 0 || !f.header.is_some_and(|h| h.opcode == OpCode::Close) {
            return;
        }
        let (code, reason) = match crate::print::close_of(f) {
            Some(close) => (close.code.map(|c| c.0), close.reason.to_vec()),
            None => (None, Vec::new()),
        };
        self.closes[side(from)].get_or_insert(code);
        self.first.get_or_insert((from, code, reason));
    }

    /// How the connection ended, told as `serve` tells it (this end the
    /// server, the peer the client).
    fn info(&self) -> CloseInfo {
        let clean = self.closes.iter().all(Option::is_some);
        match &self.first {
            Some((by, code, reason)) => CloseInfo {
                by: if *by == Role::Client {
                    Closer::Peer
                } else {
                    Closer::Local
                },
                code: *code,
                reason: reason.clone(),
                clean,
                answer: match (by, self.closes[side(Role::Client)]) {
                    (Role::Server, Some(a)) if a != *code => Some(a),
                    _ => None,
                },
            },
            None => CloseInfo {
                by: Closer::Abnormal("the connection ended"),
                code: None,
                reason: Vec::new(),
                clean: false,
                answer: None,
            },
        }
    }
}

/// Shows a connection's open, once.
fn show_open(
    printer: &mut impl Printer,
    meta: &Meta,
    names: &(String, String, String),
    opened: &mut Option<Option<SystemTime>>,
    protocol: Option<&str>,
) -> io::Result<()> {
    if opened.is_some() {
        return Ok(());
    }
    *opened = Some(meta.time);
    printer.open(
        meta,
        &Opened {
            peer: &names.0,
            server: Some(&names.1),
            target: &names.2,
            protocol,
        },
    )
}

fn side(role: Role) -> usize {
    match role {
        Role::Client => 0,
        Role::Server => 1,
    }
}

fn decode(
    args: &DecodeArgs,
    mut printer: impl Printer,
    format: Format,
    start: Vec<u8>,
    input: impl Read,
    source: Source,
) -> Outcome {
    let name = source.name;
    let failed = |e: CaptureError| Failure::Input(format!("{name}: {e}"));
    let port = source.port.or(args.port);
    let mut capture = Capture::new(format, start, input, port).map_err(failed)?;
    let config = |from| Config {
        from: Some(from),
        heads: true,
        deflate: args.deflate.then(DeflateParams::default),
        pieces: false,
        ..Config::default()
    };
    let mut conns: HashMap<u64, Conn> = HashMap::new();
    let mut total = Summary {
        connections: Some(0),
        ..Summary::default()
    };
    let mut step = |when: When, flow: Flow<'_>| -> Result<(), Stop> {
        let meta = |conn, from| Meta {
            conn: Some(conn),
            from,
            time: when.time.filter(|_| source.times),
            packet: when.packet.filter(|_| source.packets),
            ..Meta::default()
        };
        match flow {
            Flow::Opened {
                conn,
                client,
                server,
                target,
            } => {
                if args.conn.is_some_and(|c| c != conn) {
                    return Ok(());
                }
                let named = |a: std::net::SocketAddr| {
                    source
                        .aliases
                        .iter()
                        .find(|(x, _)| *x == a)
                        .map_or_else(|| a.to_string(), |(_, n)| n.to_string())
                };
                let (client, server) = (named(client), named(server));
                let by_port = target.is_none();
                let mut c = Conn {
                    sides: [
                        Decoder::new(config(Role::Client)),
                        Decoder::new(config(Role::Server)),
                    ],
                    refused: false,
                    names: (client, server, target.unwrap_or_default()),
                    opened: None,
                    ends: Ends::default(),
                    last: when.time,
                    reading: Reading::new(args.payload.asked()),
                };
                if by_port {
                    // No handshake to wait for: open as found.
                    show_open(
                        &mut printer,
                        &meta(conn, None),
                        &c.names,
                        &mut c.opened,
                        None,
                    )?;
                }
                conns.insert(conn, c);
            }
            Flow::Data { conn, from, bytes } => {
                let Some(c) = conns.get_mut(&conn) else {
                    return Ok(());
                };
                if c.refused {
                    return Ok(());
                }
                let m = meta(conn, Some(from));
                c.last = when.time.or(c.last);
                let mut key = None;
                let mut status = None;
                let open_meta = meta(conn, None);
                let mut sink = |ev: Event<'_>| -> Result<(), Halt> {
                    match ev {
                        Event::Head(h) => {
                            match h {
                                Head::Request { request, .. } => {
                                    key = Some(
                                        request
                                            .header("Sec-WebSocket-Key")
                                            .map(|k| k.value_lossy().into_owned()),
                                    );
                                }
                                Head::Response { response, .. } => {
                                    status = Some(response.status);
                                }
                                Head::Invalid { .. } => {}
                            }
                            printer.head(&m, h)?;
                            if let Head::Response { response, .. } = h {
                                if response.status == 101 {
                                    let protocol = response
                                        .header("Sec-WebSocket-Protocol")
                                        .map(|p| p.value_lossy().into_owned());
                                    c.reading.agreed(protocol.as_deref());
                                    show_open(
                                        &mut printer,
                                        &open_meta,
                                        &c.names,
                                        &mut c.opened,
                                        protocol.as_deref(),
                                    )?;
                                }
                            }
                            // What follows a refusal (a body, often) is
                            // not WebSocket: stop at once.
                            if status.is_some_and(|s| s != 101) {
                                return Err(Halt::Refused);
                            }
                            Ok(())
                        }
                        Event::Frame(f) => {
                            c.ends.saw(from, f);
                            let view = view_of(&mut c.reading, &m, f, when.time, &mut total);
                            Ok(printer.frame_with(&m, f, view.as_ref())?)
                        }
                        Event::Gap(g) => Ok(printer.gap(&m, g)?),
                        _ => Ok(()),
                    }
                };
                match c.sides[side(from)].feed(bytes, &mut sink) {
                    Ok(()) | Err(Halt::Refused) => {}
                    Err(Halt::Io(e)) => return Err(Stop::Io(e)),
                }
                if let Some(key) = key {
                    c.sides[1].set_request_key(key);
                }
                if let Some(status) = status {
                    // The client's frames follow the answer: its
                    // extensions settle permessage-deflate for both sides.
                    let agreed = c.sides[1].deflate();
                    c.sides[0].set_deflate(agreed);
                    c.refused = status != 101;
                }
            }
            Flow::MidStream { conn, from } => {
                if let Some(c) = conns.get_mut(&conn) {
                    c.sides[side(from)].start_mid_stream();
                }
            }
            Flow::Gap { conn, from, len } => {
                let Some(c) = conns.get_mut(&conn) else {
                    return Ok(());
                };
                if c.refused {
                    return Ok(());
                }
                let m = meta(conn, Some(from));
                let mut sink = |ev: Event<'_>| -> std::io::Result<()> {
                    match ev {
                        Event::Frame(f) => {
                            c.ends.saw(from, f);
                            let view = view_of(&mut c.reading, &m, f, when.time, &mut total);
                            printer.frame_with(&m, f, view.as_ref())
                        }
                        Event::Gap(g) => printer.gap(&m, g),
                        _ => Ok(()),
                    }
                };
                c.sides[side(from)].gap(len, &mut sink)?;
            }
            Flow::Ended { conn, cut } => {
                let Some(mut c) = conns.remove(&conn) else {
                    return Ok(());
                };
                for role in [Role::Client, Role::Server] {
                    let cut = cut[side(role)];
                    let m = meta(conn, Some(role));
                    let d = &mut c.sides[side(role)];
                    let ends = &mut c.ends;
                    let reading = &mut c.reading;
                    let mut sink = |ev: Event<'_>| -> std::io::Result<()> {
                        match ev {
                            Event::Head(h) => printer.head(&m, h),
                            Event::Frame(f) => {
                                ends.saw(role, f);
                                let view = view_of(reading, &m, f, when.time, &mut total);
                                printer.frame_with(&m, f, view.as_ref())
                            }
                            Event::Gap(g) => printer.gap(&m, g),
                            _ => Ok(()),
                        }
                    };
                    if cut {
                        // The capture stopped, not the side: a frame in
                        // progress is cut by it, no violation.
                        d.cut(&mut sink)?;
                    }
                    d.finish(&mut sink)?;
                    total.merge(d.summary(), conn, role);
                }
                if let Some(v) = c.reading.ended() {
                    printer.view(&meta(conn, None), &v)?;
                }
                if let Some(start) = c.opened {
                    // As serve says it: the client is the peer.
                    let info = c.ends.info();
                    let duration = match (start, when.time.or(c.last)) {
                        (Some(s), Some(e)) => e.duration_since(s).unwrap_or_default(),
                        _ => std::time::Duration::ZERO,
                    };
                    printer.closed(
                        &meta(conn, None),
                        &Closed {
                            info: &info,
                            local: Role::Server,
                            peer: &c.names.0,
                            duration,
                            received: c.ends.messages[side(Role::Client)],
                            sent: c.ends.messages[side(Role::Server)],
                            round_trips: None,
                            payload_violations: c.reading.violations(),
                        },
                    )?;
                }
                total.connections = total.connections.map(|n| n + 1);
            }
        }
        Ok(())
    };
    loop {
        match capture.step(&mut step) {
            Ok(true) => {}
            Ok(false) => break,
            Err(Stop::Capture(e)) => return Err(failed(e)),
            Err(Stop::Io(e)) => return Err(Failure::Io(e)),
        }
    }
    let stats = capture.stats();
    if let Some(n) = args.conn {
        if n > stats.websocket {
            return Err(Failure::Input(format!(
                "--conn {n}: {name} has {} WebSocket connection{}",
                stats.websocket,
                plural(stats.websocket)
            )));
        }
    }
    let skipped = capture.skipped();
    if let Some(t) = skipped.link_type {
        warn(&format!(
            "{} packet{} on link type {t} not read (read: Ethernet, Linux cooked v1 and v2, loopback, raw IP)",
            skipped.link,
            plural(skipped.link)
        ));
    }
    if skipped.fragments > 0 {
        warn(&format!(
            "{} IP fragment{} not reassembled: their TCP bytes count as missing",
            skipped.fragments,
            plural(skipped.fragments)
        ));
    }
    if stats.tls > 0 {
        warn(&format!(
            "{} TCP connection{} start{} with a TLS handshake (wss://, HTTPS): encrypted, not decoded; capture the traffic before TLS, or put `wsdbg proxy` in the path",
            stats.tls,
            plural(stats.tls),
            if stats.tls == 1 { "s" } else { "" }
        ));
    }
    if stats.websocket == 0 {
        let hint = match (port, stats.frames_on_port) {
            (Some(p), _) => format!("no TCP connection to or from port {p} carries data"),
            (None, Some(p)) => format!("none starts with a WebSocket upgrade request, but one on port {p} carries what look like WebSocket frames (it began before the capture): try --port {p}"),
            (None, None) => "none starts with a WebSocket upgrade request; if the capture starts after the handshake, name the server's port with --port".to_string(),
        };
        warn(&format!(
            "no WebSocket connection in {name}: {} TCP connection{}; {hint}",
            stats.connections,
            plural(stats.connections)
        ));
    }
    let shown = match args.conn {
        Some(n) => format!(", #{n} shown"),
        None => String::new(),
    };
    // Packets made up to carry a pasted conversation are not counted.
    let packets = if source.packets {
        format!(
            "{} packet{}, ",
            capture.packets(),
            plural(capture.packets())
        )
    } else {
        String::new()
    };
    let read_as = format!(
        "read {name} ({}): {packets}{} TCP connection{}, {} WebSocket{shown}",
        source.kind.unwrap_or(capture.format().name()),
        stats.connections,
        plural(stats.connections),
        stats.websocket,
    );
    printer.summary(&total, &read_as)?;
    printer.flush()?;
    if total.violations > 0 || total.payload_violations > 0 {
        Err(Failure::Violation)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::cmd::input::capture::synth::{self, Flags, Link, Tcp};
    use clap::Parser as _;
    use serde_json::Value;

    /// Runs `decode --json` with `flags` on `file`: the events, and how it
    /// ended.
    fn run_json(file: &[u8], flags: &[&str]) -> (Vec<Value>, Outcome) {
        let mut argv = vec!["wsdbg", "decode", "--json"];
        argv.extend_from_slice(flags);
        let Command::Decode(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not decode");
        };
        let mut out = Vec::new();
        let format = Format::sniff(file).unwrap();
        let outcome = decode(
            &args,
            JsonPrinter::new(&mut out),
            format,
            file[..4].to_vec(),
            &file[4..],
            Source::file("test.pcap"),
        );
        let events = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (events, outcome)
    }

    fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
        events.iter().filter(|e| e["type"] == t).collect()
    }

    /// "hello" compressed with permessage-deflate (the trailing 00 00 ff ff
    /// taken off, RFC 7692 §7.2.1).
    const HELLO_DEFLATED: &[u8] = &[0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    fn connection(link: Link, answer: Option<&str>) -> Tcp {
        let (client, server) = (
            "10.0.0.1:50000".parse().unwrap(),
            "10.0.0.2:80".parse().unwrap(),
        );
        let mut t = Tcp::new(link, false, client, server);
        let (req, resp) =
            synth::handshake(Some("permessage-deflate; client_max_window_bits"), answer);
        t.open();
        t.send(0, &req);
        t.send(1, &resp);
        t
    }

    #[test]
    fn deflate_negotiated_in_the_handshake_inflates_both_sides() {
        let mut t = connection(Link::Ethernet, Some("permessage-deflate"));
        t.send(0, &synth::client_frame(0xc1, HELLO_DEFLATED));
        t.send(1, &synth::server_frame(0xc1, HELLO_DEFLATED));
        t.close();
        let (events, outcome) = run_json(&t.file, &[]);
        assert!(outcome.is_ok(), "{events:?}");
        let frames = of_type(&events, "frame");
        assert_eq!(frames.len(), 2);
        for (f, from) in frames.iter().zip(["client", "server"]) {
            assert_eq!(f["data"]["conn"], 1);
            assert_eq!(f["data"]["from"], from);
            assert_eq!(f["data"]["message"]["inflated"], true, "{f}");
            assert_eq!(f["data"]["message"]["text"], "hello");
        }
        let summary = &of_type(&events, "summary")[0]["data"];
        assert_eq!(summary["violations"], 0);
        assert_eq!(summary["connections"], 1);
        assert_eq!(of_type(&events, "open")[0]["data"]["target"], "/chat");
    }

    #[test]
    fn deflate_declined_by_the_response_is_off_for_the_client_too() {
        // The client offered, the server said nothing: RSV1 breaks the rules.
        let mut t = connection(Link::Sll, None);
        t.send(0, &synth::client_frame(0xc1, HELLO_DEFLATED));
        let (events, outcome) = run_json(&t.file, &[]);
        assert!(matches!(outcome, Err(Failure::Violation)));
        // RSV1, and the payload read as text is not UTF-8.
        let summary = &of_type(&events, "summary")[0]["data"];
        assert_eq!(summary["violations"], 2);
        assert_eq!(summary["listed"][0]["rule"], "reserved-bit");
        assert_eq!(summary["listed"][0]["conn"], 1);
        assert_eq!(summary["listed"][0]["from"], "client");
        assert_eq!(summary["listed"][0]["place"], "frame");
    }

    #[test]
    fn conn_shows_one_connection_with_its_own_id() {
        // Their frames say their client ports: 50001, 50002.
        let file = synth::two_connections(|i| (50000 + i).to_string());
        let (events, outcome) = run_json(&file, &["--conn", "2"]);
        assert!(outcome.is_ok());
        let frames = of_type(&events, "frame");
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0]["data"]["conn"], 2);
        assert_eq!(frames[0]["data"]["text"], "50002");
        assert!(events
            .iter()
            .filter(|e| e["type"] != "summary")
            .all(|e| e["data"]["conn"] == 2));
        let (_, outcome) = run_json(&file, &["--conn", "3"]);
        assert!(
            matches!(&outcome, Err(Failure::Input(m)) if m.contains("has 2 WebSocket connections")),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_gap_is_shown_with_its_size_and_is_no_violation() {
        let mut t = connection(Link::Raw, Some("permessage-deflate"));
        // A 10-byte binary message, 4 of its bytes not captured, then a
        // ping whose place is certain.
        let frame = synth::server_frame(0x82, b"0123456789");
        let s = t.seq[1];
        let ack = Flags {
            ack: Some(t.seq[0]),
            ..Flags::default()
        };
        t.raw(1, s, ack, &frame[..5], 0);
        t.raw(1, s + 9, ack, &frame[9..], 0);
        t.seq[1] = s + frame.len() as u32;
        t.send(1, &synth::server_frame(0x89, b"p"));
        t.ack_all(1);
        let (events, outcome) = run_json(&t.file, &[]);
        assert!(outcome.is_ok(), "{events:?}");
        let gaps = of_type(&events, "gap");
        assert_eq!(gaps[0]["data"]["kind"], "missing");
        assert_eq!(gaps[0]["data"]["length"], 4);
        assert_eq!(gaps[0]["data"]["from"], "server");
        assert_eq!(gaps[0]["data"]["after"], "resumes");
        let frames = of_type(&events, "frame");
        assert_eq!(frames[0]["data"]["complete"], false);
        // The 4 bytes of the gap and the 3 after it, up to the frame's end.
        assert_eq!(frames[0]["data"]["missing"], 7);
        assert_eq!(frames[1]["data"]["opcode_name"], "ping");
        let summary = &of_type(&events, "summary")[0]["data"];
        assert_eq!(
            (
                &summary["gaps"],
                &summary["lost_bytes"],
                &summary["conforms"]
            ),
            (&Value::from(1), &Value::from(4), &Value::from(false))
        );
    }

    #[test]
    fn a_capture_from_mid_connection_with_its_port() {
        let (client, server) = (
            "[::1]:50000".parse().unwrap(),
            "[::1]:9001".parse().unwrap(),
        );
        let mut t = Tcp::new(Link::Loop, true, client, server);
        t.send(0, &synth::client_frame(0x81, b"hi"));
        t.send(1, &synth::server_frame(0x81, b"hi"));
        let (events, outcome) = run_json(&t.file, &[]);
        assert!(outcome.is_ok());
        assert!(of_type(&events, "frame").is_empty());
        let (events, outcome) = run_json(&t.file, &["--port", "9001"]);
        assert!(outcome.is_ok(), "{events:?}");
        let frames = of_type(&events, "frame");
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0]["data"]["from"], "client");
        assert_eq!(frames[0]["data"]["masked"], true);
        assert_eq!(frames[1]["data"]["from"], "server");
        assert_eq!(of_type(&events, "summary")[0]["data"]["violations"], 0);
    }

    #[test]
    fn after_a_refused_handshake_nothing_is_decoded() {
        let (client, server) = (
            "10.0.0.1:50000".parse().unwrap(),
            "10.0.0.2:80".parse().unwrap(),
        );
        let mut t = Tcp::new(Link::Ethernet, false, client, server);
        let (req, _) = synth::handshake(None, None);
        t.open();
        t.send(0, &req);
        t.send(
            1,
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nno!!!",
        );
        let (events, _) = run_json(&t.file, &[]);
        assert!(of_type(&events, "frame").is_empty(), "{events:?}");
        assert_eq!(of_type(&events, "response")[0]["data"]["status"], 403);
    }

    #[test]
    fn damaged_captures_never_panic_through_the_decoders() {
        let mut t = connection(Link::Ethernet, Some("permessage-deflate"));
        t.send(0, &synth::client_frame(0xc1, HELLO_DEFLATED));
        t.send(1, &synth::server_frame(0xc1, HELLO_DEFLATED));
        t.send(1, &synth::server_frame(0x02, &[5u8; 200]));
        t.send(1, &synth::server_frame(0x80, &[6u8; 300]));
        t.send(0, &synth::client_frame(0x88, b"\x03\xe8bye"));
        t.close();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let mut f = t.file.clone();
            for _ in 0..next() % 3 {
                let at = 24 + (next() as usize) % (f.len() - 24);
                f[at] = next() as u8;
            }
            // A whole record dropped: a gap wherever it falls.
            if round % 3 == 0 {
                let mut starts = vec![24];
                while let Some(&at) = starts.last() {
                    let Some(caplen) = f.get(at + 8..at + 12) else {
                        break;
                    };
                    let next_at = at + 16 + u32::from_le_bytes(caplen.try_into().unwrap()) as usize;
                    if next_at >= f.len() {
                        break;
                    }
                    starts.push(next_at);
                }
                let i = (next() as usize) % starts.len();
                let end = starts.get(i + 1).copied().unwrap_or(f.len());
                f.drain(starts[i]..end);
            }
            let flags: &[&str] = if round % 2 == 0 {
                &[]
            } else {
                &["--port", "80"]
            };
            let _ = run_json(&f, flags);
        }
    }

    #[test]
    fn a_frame_cut_by_the_end_of_the_capture_is_no_violation_but_one_cut_by_fin_is() {
        let frame = synth::server_frame(0x82, &[7u8; 50]);
        for fin in [false, true] {
            let mut t = connection(Link::Ethernet, None);
            let s = t.seq[1];
            let flags = Flags {
                ack: Some(t.seq[0]),
                fin,
                ..Flags::default()
            };
            t.raw(1, s, flags, &frame[..20], 0);
            let (events, outcome) = run_json(&t.file, &[]);
            let frames = of_type(&events, "frame");
            assert_eq!(frames[0]["data"]["missing"], 32, "fin {fin}");
            let summary = &of_type(&events, "summary")[0]["data"];
            if fin {
                // The server ended its stream inside the frame.
                assert!(matches!(outcome, Err(Failure::Violation)));
                assert_eq!(summary["listed"][0]["rule"], "truncated");
            } else {
                // The capture stopped while the server was sending.
                assert!(outcome.is_ok(), "{events:?}");
                assert_eq!(summary["violations"], 0);
            }
        }
    }

    #[test]
    fn mid_connection_the_first_bytes_may_be_inside_a_frame() {
        let (client, server) = (
            "10.0.0.1:50000".parse().unwrap(),
            "10.0.0.2:9001".parse().unwrap(),
        );
        let mut t = Tcp::new(Link::Ethernet, false, client, server);
        // The capture starts inside a 300-byte binary frame of the server:
        // its last 100 bytes, then whole frames.
        t.send(1, &[0x82u8; 100]);
        t.send(1, &synth::server_frame(0x81, b"whole"));
        let (events, outcome) = run_json(&t.file, &["--port", "9001"]);
        assert!(outcome.is_ok(), "{events:?}");
        let frames = of_type(&events, "frame");
        assert_eq!(frames.len(), 1, "{events:?}");
        assert_eq!(frames[0]["data"]["offset"], 100);
        assert_eq!(frames[0]["data"]["text"], "whole");
        let gaps = of_type(&events, "gap");
        assert_eq!(gaps[0]["data"]["kind"], "resumed");
        assert_eq!(gaps[0]["data"]["undecoded"], 100);
        // Taken up at a frame boundary at once: nothing to say.
        let mut t = Tcp::new(Link::Ethernet, false, client, server);
        t.send(1, &synth::server_frame(0x81, b"whole"));
        let (events, _) = run_json(&t.file, &["--port", "9001"]);
        assert!(of_type(&events, "gap").is_empty(), "{events:?}");
        assert_eq!(of_type(&events, "frame").len(), 1);
    }
}
