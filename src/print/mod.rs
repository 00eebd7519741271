//! Rendering of frames, handshakes and summaries as annotated text or
//! JSON into any writer. Colour is a value passed in, never decided here.

pub mod bytes;
pub mod check;
pub mod escape;
pub mod json;
pub mod lines;
pub mod replay;
pub mod report;
pub mod select;
pub mod sentence;
pub mod text;
pub mod view;
pub mod wrap;

use std::io;
use std::time::{Duration, SystemTime};

use colored::Color;

use crate::protocol::close::ClosePayload;
use crate::protocol::endpoint::CloseInfo;
use crate::protocol::http::Request;
use crate::protocol::message::MessageKind;
use crate::protocol::message::MessageRef;
use crate::protocol::opcode::OpCode;
use crate::protocol::payload::read::{Reading, Shown};
use crate::protocol::stream::{Config, Decoder, Event, FrameRecord, Gap, Head, Summary};
use crate::protocol::Role;

/// Where and when an event happened. `decode` leaves it empty; `serve`
/// says which connection, who sent it and when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    /// The connection's id (`#1`, `#2`, ... in order of arrival).
    pub conn: Option<u64>,
    /// Who sent it.
    pub from: Option<Role>,
    /// When it happened, when the time is to be shown.
    pub time: Option<SystemTime>,
    /// The packet of a capture that completed it (1-based, as Wireshark
    /// numbers them).
    pub packet: Option<u64>,
    /// For a message or frame: the time since the connection's previous
    /// message (`--timestamps delta`).
    pub since: Option<Duration>,
    /// For a pong: the round trip of the ping it answers.
    pub round_trip: Option<Duration>,
}

/// A connection that opened.
#[derive(Debug, Clone, Copy)]
pub struct Opened<'a> {
    /// The peer's address (the client's, when `server` is given).
    pub peer: &'a str,
    /// The server's address, when this program is neither end (a
    /// connection read from a capture).
    pub server: Option<&'a str>,
    /// The request target (the path the client asked for).
    pub target: &'a str,
    /// The subprotocol agreed on.
    pub protocol: Option<&'a str>,
}

/// A connection that ended.
#[derive(Debug, Clone, Copy)]
pub struct Closed<'a> {
    /// How it ended.
    pub info: &'a CloseInfo,
    /// Which end this program is.
    pub local: Role,
    /// The peer's address.
    pub peer: &'a str,
    /// How long it lasted.
    pub duration: Duration,
    /// Data messages received.
    pub received: u64,
    /// Data messages sent.
    pub sent: u64,
    /// The round trips of its pings, when a pong answered one.
    pub round_trips: Option<crate::protocol::rtt::Figures>,
    /// Messages that broke the format of the application protocol the
    /// subprotocol agreed on (0 when none did, or none was read).
    pub payload_violations: u64,
}

/// A handshake this program refused.
#[derive(Debug, Clone, Copy)]
pub struct Refused<'a> {
    /// The peer's address.
    pub peer: &'a str,
    /// The request as read, when it could be.
    pub request: &'a Head,
    /// The status answered.
    pub status: u16,
}

/// A plain HTTP request this program answered without an upgrade: its
/// test page (200) or 404.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The peer's address.
    pub peer: &'a str,
    /// The request method (`GET`).
    pub method: &'a str,
    /// The request target, as sent.
    pub target: &'a str,
    /// The status answered.
    pub status: u16,
}

/// What TLS agreed on with a peer, once its handshake is done.
#[derive(Debug, Clone, Copy)]
pub struct TlsShown<'a> {
    /// The peer's address.
    pub peer: &'a str,
    /// The protocol version (`TLS 1.3`).
    pub version: &'a str,
    /// The cipher suite.
    pub suite: &'a str,
    /// The application protocol ALPN settled on.
    pub alpn: Option<&'a str>,
    /// The server name the client asked for (SNI).
    pub sni: Option<&'a str>,
}

/// What the proxy did about one client, beside the frames it relayed.
#[derive(Debug, Clone, Copy)]
pub enum Relayed<'a> {
    /// The client's request could not be read: answered `status` and ended.
    Refused {
        /// The client's address.
        peer: &'a str,
        /// The status answered.
        status: u16,
        /// Why.
        why: &'a str,
    },
    /// The upstream could not be reached or gave no answer: 502.
    BadGateway {
        /// The client's address.
        peer: &'a str,
        /// Why.
        why: &'a str,
    },
    /// The request as forwarded upstream follows (under `--trace`).
    Forwarded {
        /// The upstream's address.
        upstream: &'a str,
    },
    /// The upstream answered other than 101; its answer went to the client
    /// as it was.
    PassedOn {
        /// The client's address.
        peer: &'a str,
        /// The upstream's status.
        status: u16,
    },
    /// The client's TLS failed before a request could be read: nothing
    /// was answered in HTTP, the connection was closed.
    ClientTlsFailed {
        /// The client's address.
        peer: &'a str,
        /// Why.
        why: &'a str,
    },
    /// The upstream connection failed after the upgrade.
    UpstreamFailed {
        /// Why.
        why: &'a str,
    },
    /// A forward proxy's CONNECT to a host outside `--intercept`: tunnelled
    /// blind, neither decrypted nor shown.
    Tunnel {
        /// The client's address.
        peer: &'a str,
        /// The `host:port` it asked for.
        host: &'a str,
    },
    /// A blind tunnel ended.
    TunnelEnded {
        /// The `host:port`.
        host: &'a str,
        /// Bytes from the client.
        up: u64,
        /// Bytes from the server.
        down: u64,
    },
    /// A message was held (`/intercept`) until the console releases it.
    Held {
        /// Its number on the console.
        number: u64,
        /// Who sent it.
        from: crate::protocol::Role,
        /// "text" or "binary".
        kind: &'a str,
        /// Its payload's length (inflated), when known.
        len: Option<usize>,
        /// Its payload's start (inflated), when known.
        preview: &'a [u8],
    },
    /// A held message was let go, dropped or replaced.
    Released {
        /// Its number.
        number: u64,
        /// "forwarded", "dropped" or "edited".
        action: &'a str,
        /// What was sent in its place (edited).
        edit: Option<&'a [u8]>,
    },
    /// The console sent something to one end.
    Injected {
        /// The end it went to.
        to: crate::protocol::Role,
        /// "text", "binary", "ping", "pong", "close", "raw" (bytes as they
        /// are) or "frame" (hand-built).
        kind: &'a str,
        /// The payload (a close's code and reason; the bytes themselves for
        /// raw).
        payload: &'a [u8],
    },
    /// A forward proxy passed a plain HTTP request (no upgrade) and its
    /// answer through untouched.
    Http {
        /// The method.
        method: &'a str,
        /// The `host:port` it went to.
        host: &'a str,
        /// The request target, in origin form.
        target: &'a str,
        /// The answer's status (None: no answer came).
        status: Option<u16>,
    },
}

/// A server that answered an upgrade with something else than 101.
#[derive(Debug, Clone, Copy)]
pub struct Rejected<'a> {
    /// The status it answered.
    pub status: u16,
    /// The body of the answer, as far as it was read.
    pub body: &'a [u8],
}

/// What every printer renders: heads, frames, messages, connections, and a
/// closing summary. Text and JSON implement the same calls, so they cannot
/// disagree on what is shown.
pub trait Printer {
    /// An HTTP upgrade head.
    fn head(&mut self, meta: &Meta, head: &Head) -> io::Result<()>;
    /// A plain HTTP head that asks for no upgrade, or answers one that did
    /// not (a page request and its answer): as it is, without the checks
    /// of a handshake.
    fn http_head(&mut self, meta: &Meta, head: &Head) -> io::Result<()>;
    /// One frame, at its end, annotated.
    fn frame(&mut self, meta: &Meta, frame: &FrameRecord) -> io::Result<()>;
    /// One frame, then, when it ends a message that has one, what the
    /// application says in that message (where frames are shown instead
    /// of messages: `--trace`, `decode`). Given together so that a
    /// filter judges the frame by its message.
    fn frame_with(
        &mut self,
        meta: &Meta,
        frame: &FrameRecord,
        view: Option<&Shown>,
    ) -> io::Result<()> {
        self.frame(meta, frame)?;
        match view {
            Some(v) => self.view(meta, v),
            None => Ok(()),
        }
    }
    /// The closing summary; `read_as` says how the input was read.
    fn summary(&mut self, s: &Summary, read_as: &str) -> io::Result<()>;
    /// The four steps of the accept value for a request's key.
    fn accept_steps(&mut self, meta: &Meta, key: &str) -> io::Result<()>;
    /// A connection opened.
    fn open(&mut self, meta: &Meta, o: &Opened) -> io::Result<()>;
    /// A data message, in one line, with what the application says in it
    /// when its payloads are read as a protocol (`--payload`).
    fn message(&mut self, meta: &Meta, m: &MessageRef, view: Option<&Shown>) -> io::Result<()>;
    /// What the application says in a message whose frames were just
    /// shown, or what a connection left unfinished at its end.
    fn view(&mut self, meta: &Meta, v: &Shown) -> io::Result<()>;
    /// A control frame, in one line.
    fn control(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()>;
    /// A connection ended.
    fn closed(&mut self, meta: &Meta, c: &Closed) -> io::Result<()>;
    /// A handshake was refused.
    fn refused(&mut self, meta: &Meta, r: &Refused) -> io::Result<()>;
    /// A plain HTTP request got the test page or 404.
    fn served(&mut self, meta: &Meta, s: &Served) -> io::Result<()>;
    /// A TLS handshake with a peer completed: what it agreed on.
    fn tls(&mut self, meta: &Meta, t: &TlsShown) -> io::Result<()>;
    /// What the proxy did about a client (always shown: it is why the
    /// client got what it got).
    fn relayed(&mut self, meta: &Meta, r: &Relayed) -> io::Result<()>;
    /// The server refused this client's upgrade.
    fn rejected(&mut self, meta: &Meta, r: &Rejected) -> io::Result<()>;
    /// Bytes the input lacks (a segment missing from a capture), or what
    /// decoding did after them.
    fn gap(&mut self, meta: &Meta, g: &Gap) -> io::Result<()>;
    /// A case of a conformance check, judged.
    fn case(&mut self, r: &check::CaseResult) -> io::Result<()>;
    /// The end of a conformance check: counts by group.
    fn check_summary(&mut self, s: &check::CheckSummary) -> io::Result<()>;
    /// Flushes the underlying writer.
    fn flush(&mut self) -> io::Result<()>;
}

/// How a frame's payload reads as text, decided once for every printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsText {
    /// Text by its type (an uncompressed text message): shown as text,
    /// escaped, even when it is not UTF-8.
    Always,
    /// Maybe text (a ping or pong payload): shown as text when UTF-8.
    IfUtf8,
    /// Bytes: binary, close (its reason is shown apart), or compressed
    /// (DEFLATE data; its text shows once the message is inflated).
    Never,
}

/// How `f`'s payload reads as text.
pub fn payload_as_text(f: &FrameRecord) -> AsText {
    let Some(h) = f.header else {
        return AsText::Never;
    };
    match f.fragment {
        Some(fr) if fr.kind == MessageKind::Text && !fr.compressed => AsText::Always,
        Some(_) => AsText::Never,
        None => match h.opcode {
            OpCode::Text => AsText::Always,
            OpCode::Ping | OpCode::Pong => AsText::IfUtf8,
            _ => AsText::Never,
        },
    }
}

/// The close frame's code and reason, when `f` is a whole close frame.
pub fn close_of<'a>(f: &FrameRecord<'a>) -> Option<ClosePayload<'a>> {
    let h = f.header?;
    (h.opcode == OpCode::Close && f.missing() == 0).then(|| ClosePayload::parse(f.payload))
}

/// The `Sec-WebSocket-Accept` a request's (first) key calls for.
pub fn expected_accept(request: &Request) -> Option<String> {
    request
        .header("Sec-WebSocket-Key")
        .map(|h| crate::protocol::handshake::accept_key(&h.value_lossy()))
}

/// Decodes a whole buffer (unmasking it in place) and prints its heads and
/// frames as each ends, with what the application says in each message
/// (as `reading` reads it), then the summary, which it returns.
pub fn decode_all(
    mut printer: impl Printer,
    config: Config,
    bytes: &mut [u8],
    read_as: &str,
    mut reading: Reading,
) -> io::Result<Summary> {
    let mut decoder = Decoder::new(config);
    let meta = Meta::default();
    // Messages that break the agreed subprotocol's format.
    let mut broken = Summary::default();
    // Who sent a message, for a reading that ties answers to questions:
    // the side asked for, else as its last frame's mask says.
    let mut from = config.from.unwrap_or(Role::Client);
    let mut sink = |ev: Event<'_>| match ev {
        Event::Head(h) => {
            if let Head::Response { response, .. } = h {
                if response.status == 101 {
                    let p = response.header("Sec-WebSocket-Protocol");
                    reading.agreed(p.map(|p| p.value_lossy()).as_deref());
                }
            }
            printer.head(&meta, h)
        }
        Event::Frame(f) => {
            if let (None, Some(h)) = (config.from, f.header) {
                from = if h.mask.is_some() {
                    Role::Client
                } else {
                    Role::Server
                };
            }
            let view = f
                .message
                .and_then(|m| reading.message(from, &m, None))
                .filter(Shown::worth_showing);
            if let Some(p) = view.as_ref().and_then(|v| v.problems.first()) {
                if reading.binding() {
                    broken.payload_violation(p);
                }
            }
            printer.frame_with(&meta, f, view.as_ref())
        }
        Event::Gap(g) => printer.gap(&meta, g),
        _ => Ok(()),
    };
    decoder.feed(bytes, &mut sink)?;
    decoder.finish(&mut sink)?;
    if let Some(v) = reading.ended() {
        printer.view(&meta, &v)?;
    }
    let mut summary = decoder.summary().clone();
    summary.payload_violations = broken.payload_violations;
    summary.payload_first = broken.payload_first;
    printer.summary(&summary, read_as)?;
    printer.flush()?;
    Ok(summary)
}

/// Whether to colour, decided once by the caller (terminal, `--color`,
/// `NO_COLOR`) and passed to every printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Palette {
    /// Emit ANSI colours.
    pub enabled: bool,
}

/// The roles text plays in the output, each with its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Frame and section headings.
    Heading,
    /// Field names.
    Name,
    /// Bytes and values from the input.
    Value,
    /// Explanations.
    Dim,
    /// Violations.
    Bad,
    /// Checks that passed.
    Good,
    /// Decoded text.
    Text,
}

impl Palette {
    /// `s` in the colour for `paint`, or unchanged when colour is off. The
    /// escape codes are written here, from `colored`'s colour table, so
    /// that nothing depends on `colored`'s global on/off state.
    pub fn paint(self, s: &str, paint: Paint) -> std::borrow::Cow<'_, str> {
        if !self.enabled || s.is_empty() {
            return std::borrow::Cow::Borrowed(s);
        }
        let (bold, dim, color) = match paint {
            Paint::Heading => (true, false, None),
            Paint::Name => (false, false, Some(Color::Cyan)),
            Paint::Value => (false, false, Some(Color::Yellow)),
            Paint::Dim => (false, true, None),
            Paint::Bad => (true, false, Some(Color::Red)),
            Paint::Good | Paint::Text => (false, false, Some(Color::Green)),
        };
        let mut codes = Vec::new();
        if bold {
            codes.push("1".into());
        }
        if dim {
            codes.push("2".into());
        }
        if let Some(c) = color {
            codes.push(c.to_fg_str());
        }
        std::borrow::Cow::Owned(format!("\x1b[{}m{s}\x1b[0m", codes.join(";")))
    }
}

/// A duration in milliseconds, to a thousandth: `1.234 ms`.
pub fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// "s" unless `n` is 1.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Bytes as lower-case hex pairs separated by spaces.
pub fn hex_spaced(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// A time as RFC 3339 in UTC with milliseconds: `2026-11-26T01:20:58.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The time of day of `t` in UTC, `01:20:58.123`, for text output.
pub fn clock(t: SystemTime) -> String {
    let full = rfc3339(t);
    full[11..23].to_string()
}

/// Year, month, day of a count of days since 1970-01-01 (the proleptic
/// Gregorian calendar, as in Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_in_utc() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_828_858_123);
        assert_eq!(rfc3339(t), "2026-11-28T01:20:58.123Z");
        assert_eq!(clock(t), "01:20:58.123");
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
