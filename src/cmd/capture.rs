//! `wsdbg decode` of a capture file: the capture is read as it streams in
//! ([`input::capture`](super::input::capture)), each side of each
//! WebSocket connection goes through its own [`Decoder`], and the printers
//! render what they find with the connection's id, the side and the
//! packet's time, in capture order.

use std::collections::HashMap;
use std::io::Read;
use std::time::SystemTime;

use super::input::capture::{Capture, CaptureError, Flow, Format};
use super::{stdout, warn, Failure, Outcome};
use crate::cli::DecodeArgs;
use crate::print::json::JsonPrinter;
use crate::print::text::{TextOptions, TextPrinter};
use crate::print::{plural, Meta, Opened, Palette, Printer};
use crate::protocol::deflate::DeflateParams;
use crate::protocol::stream::{Config, Decoder, Event, Head, Summary};
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

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Runs `decode` on a capture: `start` holds the first bytes of `input`,
/// read already to tell its `format`; `name` names it in messages.
pub fn run(
    args: &DecodeArgs,
    palette: Palette,
    format: Format,
    start: Vec<u8>,
    input: impl Read,
    name: &str,
) -> Outcome {
    if args.from.is_some() {
        return Err(Failure::Input(
            "--from does not apply to a capture: each connection's client and server are known from it"
                .to_string(),
        ));
    }
    let out = stdout();
    if args.json {
        decode(args, JsonPrinter::new(out), format, start, input, name)
    } else {
        let options = TextOptions {
            explain: args.explain,
            max_bytes: if args.full {
                None
            } else {
                TextOptions::default().max_bytes
            },
        };
        decode(
            args,
            TextPrinter::new(out, palette, options),
            format,
            start,
            input,
            name,
        )
    }
}

/// One WebSocket connection being decoded.
struct Conn {
    /// The client's decoder, then the server's.
    sides: [Decoder; 2],
    /// The handshake was refused: what follows is not WebSocket.
    refused: bool,
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
    name: &str,
) -> Outcome {
    let failed = |e: CaptureError| Failure::Input(format!("{name}: {e}"));
    let mut capture = Capture::new(format, start, input, args.port).map_err(failed)?;
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
    let mut step = |time: Option<SystemTime>, flow: Flow<'_>| -> Result<(), Stop> {
        let meta = |conn, from| Meta {
            conn: Some(conn),
            from,
            time,
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
                let peer = format!("client {client} → server {server}");
                printer.open(
                    &meta(conn, None),
                    &Opened {
                        peer: &peer,
                        target: target.as_deref().unwrap_or(""),
                        protocol: None,
                    },
                )?;
                conns.insert(
                    conn,
                    Conn {
                        sides: [
                            Decoder::new(config(Role::Client)),
                            Decoder::new(config(Role::Server)),
                        ],
                        refused: false,
                    },
                );
            }
            Flow::Data { conn, from, bytes } => {
                let Some(c) = conns.get_mut(&conn) else {
                    return Ok(());
                };
                if c.refused {
                    return Ok(());
                }
                let m = meta(conn, Some(from));
                let mut key = None;
                let mut status = None;
                let mut sink = |ev: Event<'_>| -> std::io::Result<()> {
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
                            printer.head(&m, h)
                        }
                        Event::Frame(f) => printer.frame(&m, f),
                        Event::Gap(g) => printer.gap(&m, g),
                        _ => Ok(()),
                    }
                };
                c.sides[side(from)].feed(bytes, &mut sink)?;
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
                        Event::Frame(f) => printer.frame(&m, f),
                        Event::Gap(g) => printer.gap(&m, g),
                        _ => Ok(()),
                    }
                };
                c.sides[side(from)].gap(len, &mut sink)?;
            }
            Flow::Ended { conn } => {
                let Some(mut c) = conns.remove(&conn) else {
                    return Ok(());
                };
                for role in [Role::Client, Role::Server] {
                    let m = meta(conn, Some(role));
                    let d = &mut c.sides[side(role)];
                    let mut sink = |ev: Event<'_>| -> std::io::Result<()> {
                        match ev {
                            Event::Head(h) => printer.head(&m, h),
                            Event::Frame(f) => printer.frame(&m, f),
                            Event::Gap(g) => printer.gap(&m, g),
                            _ => Ok(()),
                        }
                    };
                    d.finish(&mut sink)?;
                    total.merge(d.summary(), conn, role);
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
    if stats.websocket == 0 {
        let hint = match args.port {
            Some(p) => format!("no TCP connection to or from port {p} carries data"),
            None => "none starts with a WebSocket upgrade request; if the capture starts after the handshake, name the server's port with --port".to_string(),
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
    let read_as = format!(
        "read {name} ({}): {} packet{}, {} TCP connection{}, {} WebSocket{shown}",
        capture.format().name(),
        capture.packets(),
        plural(capture.packets()),
        stats.connections,
        plural(stats.connections),
        stats.websocket,
    );
    printer.summary(&total, &read_as)?;
    printer.flush()?;
    if total.violations > 0 {
        Err(Failure::Violation)
    } else {
        Ok(())
    }
}
