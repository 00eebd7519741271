//! `wsdbg replay`: a recorded connection played again. The file is read
//! once (`load`): every WebSocket connection is counted for the list,
//! and the one picked is made into a [`Script`] for the side played. Then
//! one loop (`play`) drives an [`Endpoint`] (a client dialling `--to`,
//! or a server that accepted a client) through the script's steps, paced
//! as `--timing` says, collecting what the other side sends; the answers
//! are compared with the recording's ([`diff::compare`]) and printed.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::net::TcpListener;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::event::Loop;
use super::input::capture::{Capture, CaptureError, Flow, Format, When};
use super::wire::{self, TlsError, Wire};
use super::{Failure, Outcome};
use crate::cli::{ReplayArgs, Timing};
use crate::print::replay::{Listed, ReplayPrinter, Start, Tally};
use crate::print::{plural, Palette};
use crate::protocol::diff::{self, Ignore, Verdict};
use crate::protocol::endpoint::{Endpoint, Note, Settings, State, Transport};
use crate::protocol::handshake::{build_request_with, key_from_bytes};
use crate::protocol::message::Limits;
use crate::protocol::opcode::OpCode;
use crate::protocol::replay::{Builder, Item, ItemKind, Script, Send};
use crate::protocol::stream::{Config, Decoder, Event, Head};
use crate::protocol::url::WsUrl;
use crate::protocol::Role;

/// The largest message a recording's connection or a replayed peer may
/// carry: a replay holds every message of the connection in memory.
const MAX_MESSAGE: u64 = 256 << 20;

/// Most bytes queued for the peer before the loop stops adding steps
/// (`--timing fast` waits for the socket there).
const MAX_QUEUED: usize = 1 << 20;

/// Runs the command.
pub fn run(args: &ReplayArgs, palette: Palette) -> Outcome {
    let ignore = args
        .ignore
        .iter()
        .map(|p| {
            Ignore::parse(p).map_err(|e| {
                Failure::Input(format!(
                    "--ignore {}: {e}",
                    crate::print::escape::escape_str(p)
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let wait = super::connect::seconds("wait", args.wait)?;
    let mut changes = Vec::new();
    for h in &args.headers {
        changes.push(super::connect::header(h)?);
    }
    let name = args.file.display().to_string();
    let played = if args.serve {
        Role::Server
    } else {
        Role::Client
    };
    let (listed, picked) = load(&args.file, &name, args.conn, played)?;
    let mut out = ReplayPrinter::new(super::stdout(), args.json, palette);
    out.verbose = args.verbose;
    if args.to.is_none() && !args.serve {
        out.list(&name, &listed)?;
        out.flush()?;
        return Ok(());
    }
    if listed.len() > 1 && args.conn.is_none() {
        out.list(&name, &listed)?;
        out.flush()?;
        return Err(Failure::Input(format!(
            "{}: {} WebSocket connections: pick one with --conn N",
            crate::print::escape::escape_str(&name),
            listed.len()
        )));
    }
    let Some((conn, script)) = picked else {
        unreachable!("load finds the connection or fails")
    };
    if script.response.as_ref().is_some_and(|r| r.status != 101) {
        return Err(Failure::Input(format!(
            "{}: connection #{}: the recorded server refused the upgrade ({}): nothing to replay",
            crate::print::escape::escape_str(&name),
            conn.conn,
            script.response.as_ref().map_or(0, |r| r.status)
        )));
    }
    if let Some(why) = &script.cut {
        super::warn(&format!(
            "connection #{}: {why}: the replay stops before that frame",
            conn.conn
        ));
    }
    let pace = Pace {
        timing: args.timing,
        wait,
    };
    let started = Instant::now();
    // Said once the peer is there (the server dialled, or the address
    // listened on, where a client is awaited).
    let announce = |peer: &str| {
        out.start(&Start {
            file: &name,
            conn: &conn,
            played,
            peer,
            steps: script.steps.len(),
            expected: script.expected.len(),
        })?;
        out.flush()
    };
    let (peer, played_out) = if args.serve {
        serve(args, &script, &pace, announce)?
    } else {
        client(args, &script, &changes, &pace, announce)?
    };
    let Played {
        received,
        sent,
        notes,
        refused,
    } = played_out;
    if let Some(status) = refused {
        out.flush()?;
        eprintln!(
            "wsdbg: error: {}: the server refused the upgrade with {status} (the recording has 101)",
            crate::print::escape::escape_str(&peer)
        );
        return Err(Failure::Violation);
    }
    for n in &notes {
        out.note(n)?;
    }
    let answers = diff::compare(&script.expected, &received, &ignore);
    let mut tally = Tally {
        sent,
        duration: started.elapsed(),
        ..Tally::default()
    };
    let from = played.other();
    for a in &answers {
        match a.verdict {
            Verdict::Equal => tally.equal += 1,
            Verdict::Different => tally.different += 1,
            Verdict::Missing => tally.missing += 1,
            Verdict::Extra => tally.extra += 1,
        }
        out.answer(a, &script.expected, &received, from)?;
    }
    out.summary(&tally, from)?;
    out.flush()?;
    if tally.matches() {
        Ok(())
    } else {
        Err(Failure::Violation)
    }
}

/// Every WebSocket connection of a file, and the one picked with its script.
type Loaded = (Vec<Listed>, Option<(Listed, Script)>);

/// Reads `path`: every WebSocket connection for the list, and the script
/// of connection `conn` (the first when None) for the `played` side.
fn load(
    path: &std::path::Path,
    name: &str,
    conn: Option<u64>,
    played: Role,
) -> Result<Loaded, Failure> {
    let shown = crate::print::escape::escape_str(name);
    let mut file =
        File::open(path).map_err(|e| Failure::Input(format!("cannot read {shown}: {e}")))?;
    let mut start = vec![0u8; 4];
    let mut got = 0;
    while got < 4 {
        match file.read(&mut start[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::Input(format!("cannot read {shown}: {e}"))),
        }
    }
    start.truncate(got);
    let Some(format) = Format::sniff(&start) else {
        return Err(Failure::Input(format!(
            "{shown}: not a pcap or pcapng capture (it starts with {}); record one with --record, or tcpdump -w",
            if start.is_empty() {
                "nothing".to_string()
            } else {
                crate::print::hex_spaced(&start)
            }
        )));
    };
    let want = conn.unwrap_or(1);
    let mut capture = Capture::new(format, start, file, None).map_err(|e| failed(&shown, e))?;
    let mut listed: Vec<Listed> = Vec::new();
    let mut open: HashMap<u64, Reading> = HashMap::new();
    let mut picked: Option<Script> = None;
    let since = |w: When| w.time.and_then(|t| t.duration_since(UNIX_EPOCH).ok());
    let mut step = |when: When, flow: Flow<'_>| -> Result<(), CaptureError> {
        match flow {
            Flow::Opened {
                conn,
                client,
                server,
                target,
            } => {
                listed.push(Listed {
                    conn,
                    client: client.to_string(),
                    server: server.to_string(),
                    target: target.unwrap_or_default(),
                    start: when.time,
                    ..Listed::default()
                });
                open.insert(
                    conn,
                    Reading {
                        sides: [Role::Client, Role::Server].map(|r| {
                            Decoder::new(Config {
                                from: Some(r),
                                limits: Limits {
                                    max_frame: Some(MAX_MESSAGE),
                                    max_message: Some(MAX_MESSAGE),
                                },
                                pieces: false,
                                ..Config::default()
                            })
                        }),
                        builder: (conn == want).then(|| Builder::new(played)),
                        last: when.time,
                    },
                );
            }
            Flow::Data { conn, from, bytes } => {
                let Some(r) = open.get_mut(&conn) else {
                    return Ok(());
                };
                r.last = when.time.or(r.last);
                let l = listed.iter_mut().rfind(|l| l.conn == conn).expect("listed");
                let i = usize::from(from == Role::Server);
                let mut key = None;
                let mut status = None;
                let t = since(when);
                let builder = &mut r.builder;
                r.sides[i]
                    .feed(bytes, &mut |e: Event<'_>| {
                        match &e {
                            Event::Head(Head::Request { request, .. }) => {
                                key = request
                                    .header("Sec-WebSocket-Key")
                                    .map(|k| k.value_lossy().into_owned());
                            }
                            Event::Head(Head::Response { response, .. }) => {
                                status = Some(response.status);
                            }
                            Event::Message(_) => l.messages[i] += 1,
                            Event::Frame(f) => l.bytes[i] += f.present(),
                            _ => {}
                        }
                        if let Some(b) = builder.as_mut() {
                            b.event(from, t, &e);
                        }
                        Ok::<_, ()>(())
                    })
                    .ok();
                if let Some(k) = key {
                    r.sides[1].set_request_key(Some(k));
                }
                if status.is_some() {
                    let agreed = r.sides[1].deflate();
                    r.sides[0].set_deflate(agreed);
                }
            }
            Flow::MidStream { conn, from } => {
                if let Some(r) = open.get_mut(&conn) {
                    r.sides[usize::from(from == Role::Server)].start_mid_stream();
                }
            }
            Flow::Gap { conn, from, len } => {
                if let Some(r) = open.get_mut(&conn) {
                    let t = since(when);
                    let builder = &mut r.builder;
                    r.sides[usize::from(from == Role::Server)]
                        .gap(len, &mut |e: Event<'_>| {
                            if let Some(b) = builder.as_mut() {
                                b.event(from, t, &e);
                            }
                            Ok::<_, ()>(())
                        })
                        .ok();
                }
            }
            Flow::Ended { conn, cut } => {
                let Some(mut r) = open.remove(&conn) else {
                    return Ok(());
                };
                let l = listed.iter_mut().rfind(|l| l.conn == conn).expect("listed");
                if let (Some(s), Some(e)) = (l.start, r.last) {
                    l.duration = e.duration_since(s).ok();
                }
                for (i, role) in [Role::Client, Role::Server].into_iter().enumerate() {
                    let builder = &mut r.builder;
                    let mut sink = |e: Event<'_>| {
                        match &e {
                            Event::Message(_) => l.messages[i] += 1,
                            Event::Frame(f) => l.bytes[i] += f.present(),
                            _ => {}
                        }
                        if let Some(b) = builder.as_mut() {
                            b.event(role, None, &e);
                        }
                        Ok::<_, ()>(())
                    };
                    if cut[i] {
                        r.sides[i].cut(&mut sink).ok();
                    }
                    r.sides[i].finish(&mut sink).ok();
                }
                if let Some(b) = r.builder.take() {
                    picked = Some(b.finish());
                }
            }
        }
        Ok(())
    };
    loop {
        match capture.step(&mut step) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(failed(&shown, e)),
        }
    }
    if listed.is_empty() {
        let stats = capture.stats();
        let tls = if stats.tls > 0 {
            format!(
                "; {} start{} with TLS (encrypted): record with wsdbg's --record, which keeps the plaintext",
                stats.tls,
                if stats.tls == 1 { "s" } else { "" }
            )
        } else {
            String::new()
        };
        return Err(Failure::Input(format!(
            "{shown}: no WebSocket connection (none of its {} TCP connection{} starts with an upgrade request){tls}",
            stats.connections,
            plural(stats.connections)
        )));
    }
    let found = listed.iter().find(|l| l.conn == want).cloned();
    match (found, picked) {
        (Some(l), Some(s)) => Ok((listed, Some((l, s)))),
        _ => Err(Failure::Input(format!(
            "--conn {want}: {shown} has {} WebSocket connection{} (#1 to #{})",
            listed.len(),
            plural(listed.len() as u64),
            listed.len()
        ))),
    }
}

/// A connection being read from the file.
struct Reading {
    sides: [Decoder; 2],
    /// For the connection picked.
    builder: Option<Builder>,
    last: Option<SystemTime>,
}

fn failed(name: &str, e: CaptureError) -> Failure {
    Failure::Input(format!(
        "{name}: {e}{}",
        match e {
            CaptureError::Malformed { .. } =>
                " (a truncated or damaged capture: nothing was replayed)",
            CaptureError::Read(_) => "",
        }
    ))
}

/// How steps are paced.
struct Pace {
    timing: Timing,
    wait: Duration,
}

/// What a replay collected.
struct Played {
    /// What the other side sent: its messages and its close.
    received: Vec<Item>,
    /// Steps sent.
    sent: usize,
    /// What differs outside the answers.
    notes: Vec<String>,
    /// The upgrade was refused with this status.
    refused: Option<u16>,
}

/// What the endpoint has told so far.
#[derive(Default)]
struct Seen {
    /// What the other side sent: its messages and its close.
    received: Vec<Item>,
    /// The upgrade was refused with this status.
    refused: Option<u16>,
    /// When the connection opened.
    opened: Option<Instant>,
    /// The subprotocol agreed, once open.
    protocol: Option<Option<String>>,
    /// Whether the 101 agreed to permessage-deflate.
    deflate: bool,
}

impl Seen {
    fn note(&mut self, n: Note<'_>) -> Result<(), std::convert::Infallible> {
        match n {
            Note::In(Event::Message(m)) => self.received.push(Item {
                kind: m.kind.into(),
                data: m.data.to_vec(),
            }),
            Note::In(Event::Frame(f)) if f.header.is_some_and(|h| h.opcode == OpCode::Close) => {
                self.received.push(Item {
                    kind: ItemKind::Close,
                    data: f.payload.to_vec(),
                });
            }
            Note::HeadIn(Head::Response { response, .. }) if response.status != 101 => {
                self.refused = Some(response.status);
            }
            Note::HeadIn(Head::Response { response, .. })
            | Note::HeadOut(Head::Response { response, .. }) => {
                self.deflate = response
                    .headers_named("Sec-WebSocket-Extensions")
                    .any(|h| h.value_lossy().contains("permessage-deflate"));
            }
            Note::Open { protocol, .. } => {
                self.opened = Some(Instant::now());
                self.protocol = Some(protocol.map(str::to_string));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Plays the client's side against `--to`.
fn client(
    args: &ReplayArgs,
    script: &Script,
    changes: &[(String, String)],
    pace: &Pace,
    announce: impl FnOnce(&str) -> io::Result<()>,
) -> Result<(String, Played), Failure> {
    let to = args.to.as_deref().expect("--to");
    let url = WsUrl::parse(to).map_err(|e| {
        Failure::Input(format!(
            "--to {}: {e}",
            crate::print::escape::escape_str(to)
        ))
    })?;
    let after_scheme = to.split_once("://").map_or(to, |(_, r)| r);
    let recorded = script.request.as_ref().map(|r| r.target.clone());
    let target = match recorded {
        Some(t) if !after_scheme.contains(['/', '?']) => t,
        _ => url.resource.clone(),
    };
    let tls = if url.secure {
        Some(wire::client_config(args.cacert.as_deref(), args.insecure).map_err(Failure::Input)?)
    } else {
        None
    };
    let stream = wire::dial(&url, Duration::from_secs(10)).map_err(Failure::Input)?;
    stream.set_nonblocking(true)?;
    let wire = match tls {
        Some(config) => wire::tls(stream, &url.host, config).map_err(Failure::Input)?,
        None => Wire::plain(stream),
    };
    let mut random = [0u8; 20];
    getrandom::getrandom(&mut random)
        .map_err(|e| Failure::Input(format!("no randomness available: {e}")))?;
    let key = key_from_bytes(random[..16].try_into().expect("16 bytes"));
    let seed = u32::from_le_bytes(random[16..].try_into().expect("4 bytes"));
    let extra = script.request_headers(changes);
    let offers_deflate = extra.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("Sec-WebSocket-Extensions") && v.contains("permessage-deflate")
    });
    let request = build_request_with(&url.host_header(), &target, &key, &extra);
    let settings = Settings {
        limits: limits(),
        deflate: offers_deflate,
        plain_frames: false,
        idle_timeout: None,
        ..Settings::client()
    };
    let endpoint = Endpoint::client(settings, &request, &key, seed, Instant::now());
    let peer = format!(
        "{}://{}{}",
        if url.secure { "wss" } else { "ws" },
        url.host_header(),
        target
    );
    announce(&peer)?;
    let played = play(wire, endpoint, script, pace)?;
    Ok((peer, played))
}

/// Plays the server's side to the first client that connects.
fn serve(
    args: &ReplayArgs,
    script: &Script,
    pace: &Pace,
    announce: impl FnOnce(&str) -> io::Result<()>,
) -> Result<(String, Played), Failure> {
    let listener = TcpListener::bind(&args.listen).map_err(|e| {
        Failure::Input(format!(
            "cannot listen on {}: {e}",
            crate::print::escape::escape_str(&args.listen)
        ))
    })?;
    let addr = listener.local_addr()?;
    eprintln!(
        "wsdbg replay: listening on ws://{addr}/ to play the recorded server to one client; Ctrl-C to stop"
    );
    announce(&format!("ws://{addr}/"))?;
    let (stream, _) = listener.accept()?;
    stream.set_nonblocking(true)?;
    let settings = Settings {
        limits: limits(),
        protocols: script.protocol().into_iter().collect(),
        deflate: script.deflate(),
        response_headers: script.response_headers(),
        plain_frames: false,
        idle_timeout: None,
        ..Settings::server()
    };
    let endpoint = Endpoint::server(settings, Instant::now());
    let played = play(Wire::plain(stream), endpoint, script, pace)?;
    Ok((format!("ws://{addr}/"), played))
}

fn limits() -> Limits {
    Limits {
        max_frame: Some(MAX_MESSAGE),
        max_message: Some(MAX_MESSAGE),
    }
}

/// Drives `endpoint` on `wire` through the script's steps until the
/// connection ends.
fn play(
    mut wire: Wire,
    mut endpoint: Endpoint,
    script: &Script,
    pace: &Pace,
) -> Result<Played, Failure> {
    const SOCKET: usize = 0;
    let mut events = Loop::new(16)?;
    events.watch(wire.fd(), SOCKET)?;
    let mut seen = Seen::default();
    let mut notes = Vec::new();
    let mut next = 0;
    let mut sent = 0;
    // When the step waiting now began to wait (for answers or its time).
    let mut waiting_since = Instant::now();
    let mut closing = false;
    let mut buf = vec![0u8; 64 << 10];
    let mut tls_failure = None;
    loop {
        let now = Instant::now();
        // The steps that are due.
        let mut due_at = None;
        if endpoint.state() == State::Open {
            let start = seen.opened.unwrap_or(now);
            while next < script.steps.len() && endpoint.outbox().pending().len() < MAX_QUEUED {
                let s = &script.steps[next];
                let when = match pace.timing {
                    Timing::Answers if seen.received.len() >= s.after => now,
                    Timing::Answers => waiting_since + pace.wait,
                    Timing::Original => start + s.at.unwrap_or_default(),
                    Timing::Fast => now,
                };
                if when > now {
                    due_at = Some(when);
                    break;
                }
                let o = endpoint.outbox();
                let ok = match &s.send {
                    Send::Frame { header, payload } => o.send_like(header, payload),
                    Send::Message { kind, data, frames } => o.send_split(*kind, data, *frames),
                };
                let is_close =
                    matches!(&s.send, Send::Frame { header, .. } if header.opcode == OpCode::Close);
                if !ok && !is_close {
                    break;
                }
                sent += usize::from(ok);
                next += 1;
                waiting_since = now;
            }
            if next == script.steps.len() && !closing && endpoint.state() == State::Open {
                // The script is done: wait for the rest of the answers,
                // then close as the recording did not.
                let until = waiting_since + pace.wait;
                if seen.received.len() >= script.expected.len() || now >= until {
                    endpoint.command(now, |o| o.close(Some(1000), b""));
                    closing = true;
                } else {
                    due_at = Some(until);
                }
            }
        }
        if !super::connect::write_pending(&mut wire, &mut endpoint, &mut |n, _| seen.note(n)) {
            endpoint.sent_all();
            let _ = endpoint.receive_eof(Instant::now(), &mut |n, _| seen.note(n));
        }
        match endpoint.transport() {
            Transport::Close => break,
            Transport::Shutdown => wire.shutdown_write(),
            Transport::Open => {}
        }
        let deadline = match (endpoint.deadline(), due_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut readable = false;
        for ready in events.wait(deadline)? {
            readable |= ready.read;
            if ready.write {
                let _ = wire.on_writable();
            }
        }
        let now = Instant::now();
        while readable && endpoint.transport() != Transport::Close {
            match wire.read(&mut buf) {
                Ok(0) => {
                    let _ = endpoint.receive_eof(now, &mut |n, _| seen.note(n));
                    break;
                }
                Ok(n) => {
                    let _ = endpoint.receive(&mut buf[..n], now, &mut |n, _| seen.note(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if let Some(t) = e.get_ref().and_then(|i| i.downcast_ref::<TlsError>()) {
                        tls_failure = Some(t.to_string());
                    }
                    let _ = endpoint.receive_eof(now, &mut |n, _| seen.note(n));
                    break;
                }
            }
        }
        if endpoint.deadline().is_some_and(|d| now >= d) {
            let _ = endpoint.on_timeout(now, &mut |n, _| seen.note(n));
        }
    }
    if let Some(why) = tls_failure {
        return Err(Failure::Input(why));
    }
    let Seen {
        received,
        refused,
        opened,
        protocol: agreed_protocol,
        deflate,
    } = seen;
    if refused.is_none() && opened.is_none() {
        return Err(Failure::Input(
            "the connection ended before the handshake completed".to_string(),
        ));
    }
    if let Some(agreed) = agreed_protocol {
        let recorded = script.protocol();
        if agreed != recorded {
            notes.push(format!(
                "subprotocol: the recording agreed {}, this connection {}",
                recorded
                    .as_deref()
                    .map_or("none".to_string(), |p| format!("\"{p}\"")),
                agreed
                    .as_deref()
                    .map_or("none".to_string(), |p| format!("\"{p}\"")),
            ));
        }
    }
    if opened.is_some() && deflate != script.deflate() {
        let said = |on: bool| {
            if on {
                "permessage-deflate"
            } else {
                "no extension"
            }
        };
        notes.push(format!(
            "extensions: the recording agreed {}, this connection {} (messages are compressed as this one agreed)",
            said(script.deflate()),
            said(deflate)
        ));
    }
    // A close left is the answer to the peer's, which the endpoint sent.
    let left = script.steps[next..]
        .iter()
        .filter(
            |s| !matches!(&s.send, Send::Frame { header, .. } if header.opcode == OpCode::Close),
        )
        .count();
    if left > 0 {
        notes.push(format!(
            "{left} recorded frame{} not sent: the connection ended first",
            plural(left as u64)
        ));
    }
    Ok(Played {
        received,
        sent,
        notes,
        refused,
    })
}
