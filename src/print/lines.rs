//! One-line events for a live connection, as text: a connection opening or
//! ending, a message, a control frame, a refused handshake, a page served. Every byte from
//! the peer is escaped; long payloads are cut with the count of the rest.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::escape::{escape_bytes, sanitize};
use super::text::TextPrinter;
use super::{
    hex_spaced, plural, sentence, Closed, Meta, Opened, Paint, Refused, Rejected, Relayed, Served,
};
use crate::protocol::close::{CloseCode, ClosePayload};
use crate::protocol::endpoint::Closer;
use crate::protocol::message::{MessageKind, MessageRef};
use crate::protocol::opcode::OpCode;
use crate::protocol::stream::{FrameRecord, Head};
use crate::protocol::Role;

impl<W: Write> TextPrinter<W> {
    /// `01:20:58.123 #1 ` (each part only when known).
    pub(super) fn prefix(&self, meta: &Meta) -> String {
        let mut p = String::new();
        if let Some(d) = meta.since {
            p.push_str(&self.paint(&format!("+{:.3}s", d.as_secs_f64()), Paint::Dim));
            p.push(' ');
        } else if let Some(t) = meta.time {
            p.push_str(&self.paint(&super::clock(t), Paint::Dim));
            p.push(' ');
        }
        if let Some(c) = meta.conn {
            if self.colour() {
                p.push_str(&self.paint(&format!("#{c}"), Paint::Heading));
            } else {
                let _ = write!(p, "#{c}");
            }
            p.push(' ');
        }
        p
    }

    /// The payload as a short preview: text escaped in quotes, anything
    /// else as hex, cut at the display limit.
    fn preview(&self, bytes: &[u8], text: bool) -> String {
        let limit = self.max_bytes().unwrap_or(usize::MAX);
        let shown = &bytes[..bytes.len().min(limit)];
        let more = if bytes.len() > shown.len() {
            format!(" … ({} more bytes)", bytes.len() - shown.len())
        } else {
            String::new()
        };
        if bytes.is_empty() {
            return String::new();
        }
        let body = if text {
            self.paint(&format!("\"{}\"", escape_bytes(shown)), Paint::Text)
        } else {
            self.paint(&hex_spaced(shown), Paint::Value)
        };
        format!(": {body}{more}")
    }

    fn who(meta: &Meta) -> &'static str {
        meta.from.map_or("?", Role::name)
    }

    pub(super) fn line_open(&mut self, meta: &Meta, o: &Opened) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let protocol = match o.protocol {
            Some(p) => format!(", subprotocol \"{}\"", escape_bytes(p.as_bytes())),
            None => String::new(),
        };
        let peer = match o.server {
            Some(server) => format!(
                "client {} → server {}",
                escape_bytes(o.peer.as_bytes()),
                escape_bytes(server.as_bytes())
            ),
            None => escape_bytes(o.peer.as_bytes()),
        };
        let line = format!(
            "{prefix}{} {peer} {}{protocol}",
            self.paint("open", Paint::Good),
            self.paint(&escape_bytes(o.target.as_bytes()), Paint::Value),
        );
        writeln!(self.out(), "{line}")
    }

    pub(super) fn line_message(&mut self, meta: &Meta, m: &MessageRef) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let mut how = Vec::new();
        if m.frames > 1 {
            how.push(format!("{} frames", m.frames));
        }
        if m.compressed {
            how.push("compressed".to_string());
        }
        if m.kind == MessageKind::Text && !m.valid_utf8 {
            how.push(self.paint("not UTF-8", Paint::Bad));
        }
        let how = if how.is_empty() {
            String::new()
        } else {
            format!(" ({})", how.join(", "))
        };
        let n = m.data.len() as u64;
        let line = format!(
            "{prefix}{}: {} {n} byte{}{how}{}",
            Self::who(meta),
            self.paint(m.kind.name(), Paint::Name),
            plural(n),
            self.preview(m.data, m.kind == MessageKind::Text)
        );
        writeln!(self.out(), "{line}")
    }

    pub(super) fn line_control(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        let Some(h) = f.header else {
            return Ok(());
        };
        let prefix = self.prefix(meta);
        let who = Self::who(meta);
        let line = if h.opcode == OpCode::Close {
            let c = super::close_of(f).unwrap_or_else(|| ClosePayload::parse(f.payload));
            let code = match c.code {
                Some(code) => format!(" {} ({})", code.0, code.name()),
                None => " (no status code)".to_string(),
            };
            let reason = if c.reason.is_empty() {
                String::new()
            } else {
                format!(
                    " {}",
                    self.paint(&format!("\"{}\"", escape_bytes(c.reason)), Paint::Text)
                )
            };
            format!(
                "{prefix}{who}: {}{code}{reason}",
                self.paint("close", Paint::Name)
            )
        } else {
            let n = f.payload.len() as u64;
            let text = std::str::from_utf8(f.payload).is_ok();
            let trip = meta.round_trip.map_or(String::new(), |d| {
                format!(" (round trip {})", super::millis(d))
            });
            format!(
                "{prefix}{who}: {} {n} byte{}{}{trip}",
                self.paint(h.opcode.name(), Paint::Name),
                plural(n),
                self.preview(f.payload, text)
            )
        };
        writeln!(self.out(), "{line}")
    }

    pub(super) fn line_closed(&mut self, meta: &Meta, c: &Closed) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let info = c.info;
        let peer = c.local.other().name();
        let us = c.local.name();
        let (what, paint) = match &info.by {
            Closer::Peer => (format!("closed by the {peer}"), Paint::Good),
            Closer::Local => (format!("closed by the {us}"), Paint::Good),
            Closer::Failed(v) => (
                format!("failed: {}", sanitize(&sentence::violation(v))),
                Paint::Bad,
            ),
            Closer::Abnormal(why) => (format!("closed abnormally: {why}"), Paint::Bad),
            Closer::Handshake(why) => (format!("ended: {why}"), Paint::Bad),
        };
        let code = match info.code {
            Some(code) => {
                let sent_by = match info.by {
                    Closer::Peer => peer,
                    _ => us,
                };
                let mut s = format!("; {sent_by} sent {} {}", code, CloseCode(code).name());
                if !info.reason.is_empty() {
                    s.push_str(&format!(" \"{}\"", escape_bytes(&info.reason)));
                }
                s
            }
            None if matches!(info.by, Closer::Peer | Closer::Local) => {
                "; no status code".to_string()
            }
            None => String::new(),
        };
        let answer = match (info.answer, &info.by) {
            (Some(a), Closer::Peer | Closer::Local) => {
                let answerer = if matches!(info.by, Closer::Peer) {
                    us
                } else {
                    peer
                };
                match a {
                    Some(a) => format!("; {answerer} answered {a} {}", CloseCode(a).name()),
                    None => format!("; {answerer} answered with no status code"),
                }
            }
            _ => String::new(),
        };
        let clean = match (&info.by, info.clean) {
            (Closer::Handshake(_), _) => "",
            (_, true) => ", clean",
            (_, false) => ", no close handshake",
        };
        let trips = c.round_trips.map_or(String::new(), |r| {
            format!(
                "; ping round trip{} min/avg/max {:.3}/{:.3}/{:.3} ms ({} pong{})",
                plural(r.count),
                r.min.as_secs_f64() * 1000.0,
                r.avg.as_secs_f64() * 1000.0,
                r.max.as_secs_f64() * 1000.0,
                r.count,
                plural(r.count)
            )
        });
        let broken = match c.payload_violations {
            0 => String::new(),
            n => {
                let said = format!(
                    "✗ {n} message{} broke the application protocol the subprotocol agreed on",
                    plural(n)
                );
                format!("; {}", self.paint(&said, Paint::Bad))
            }
        };
        let line = format!(
            "{prefix}{}{code}{answer}{clean}; {} after {:.3} s ({} message{} in, {} out){trips}{broken}",
            self.paint(&what, paint),
            escape_bytes(c.peer.as_bytes()),
            c.duration.as_secs_f64(),
            c.received,
            plural(c.received),
            c.sent,
        );
        writeln!(self.out(), "{line}")
    }

    pub(super) fn line_refused(&mut self, meta: &Meta, r: &Refused) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let (what, issues): (String, Vec<String>) = match r.request {
            Head::Request {
                request, issues, ..
            } => (
                format!(
                    "\"{} {} {}\"",
                    escape_bytes(request.method.as_bytes()),
                    escape_bytes(request.target.as_bytes()),
                    escape_bytes(request.version.as_bytes())
                ),
                issues.iter().map(sentence::issue).collect(),
            ),
            Head::Invalid { error, .. } => (
                "a request that cannot be read as HTTP".into(),
                vec![sentence::head_error(error)],
            ),
            Head::Response { .. } => ("a response".into(), Vec::new()),
        };
        let line = format!(
            "{prefix}{} {} {what}: answered {} {}",
            self.paint("refused", Paint::Bad),
            escape_bytes(r.peer.as_bytes()),
            r.status,
            crate::protocol::http::status_reason(r.status)
        );
        writeln!(self.out(), "{line}")?;
        for i in issues {
            let l = self.paint(&format!("  ✗ {}", sanitize(&i)), Paint::Bad);
            writeln!(self.out(), "{l}")?;
        }
        Ok(())
    }

    pub(super) fn line_served(&mut self, meta: &Meta, s: &Served) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let (paint, note) = match s.status {
            200 => (Paint::Good, " (the test page)"),
            404 => (Paint::Bad, " (the test page is at /)"),
            _ => (Paint::Value, ""),
        };
        let line = format!(
            "{prefix}{} {} \"{} {}\": answered {}{note}",
            self.paint("page", paint),
            escape_bytes(s.peer.as_bytes()),
            escape_bytes(s.method.as_bytes()),
            escape_bytes(s.target.as_bytes()),
            self.paint(
                &format!(
                    "{} {}",
                    s.status,
                    crate::protocol::http::status_reason(s.status)
                ),
                paint
            ),
        );
        writeln!(self.out(), "{line}")
    }

    pub(super) fn line_tls(&mut self, meta: &Meta, t: &super::TlsShown) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let mut line = format!(
            "{prefix}{} {} {}, {}",
            self.paint("tls", Paint::Good),
            escape_bytes(t.peer.as_bytes()),
            escape_bytes(t.version.as_bytes()),
            escape_bytes(t.suite.as_bytes()),
        );
        match t.alpn {
            Some(a) => {
                let _ = write!(line, ", ALPN {}", escape_bytes(a.as_bytes()));
            }
            None => line.push_str(", no ALPN"),
        }
        match t.sni {
            Some(n) => {
                let _ = write!(line, ", SNI {}", escape_bytes(n.as_bytes()));
            }
            None => line.push_str(", no SNI"),
        }
        writeln!(self.out(), "{line}")
    }

    pub(super) fn line_relayed(&mut self, meta: &Meta, r: &Relayed) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let text = sanitize(&sentence::relayed(r)).into_owned();
        let text = match r {
            Relayed::Forwarded { .. } | Relayed::TunnelEnded { .. } => text,
            Relayed::Held { .. } | Relayed::Released { .. } | Relayed::Injected { .. } => {
                self.paint(&text, Paint::Value)
            }
            Relayed::Tunnel { .. } => self.paint(&text, Paint::Value),
            Relayed::Http { status, .. } if status.is_some_and(|s| s < 400) => {
                self.paint(&text, Paint::Value)
            }
            _ => self.paint(&text, Paint::Bad),
        };
        writeln!(self.out(), "{prefix}{text}")
    }

    pub(super) fn line_rejected(&mut self, meta: &Meta, r: &Rejected) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let text = sanitize(&sentence::rejected(r)).into_owned();
        let text = self.paint(&text, Paint::Bad);
        writeln!(self.out(), "{prefix}{text}")
    }

    /// A frame in one line (`--brief`): index, side, FIN and RSV, opcode,
    /// length, mask, a preview, the violations.
    pub(super) fn line_brief_frame(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let side = meta
            .from
            .map_or(String::new(), |r| format!("{} ", r.name()));
        let Some(h) = f.header else {
            let line = format!(
                "{prefix}{side}{:>4}  header cut short: {} of its bytes present",
                f.index,
                f.header_bytes.len()
            );
            writeln!(self.out(), "{line}")?;
            return self.brief_violations(f);
        };
        let mut bits = String::from(if h.fin { "FIN" } else { "---" });
        for (i, set) in h.rsv.iter().enumerate() {
            if *set {
                let _ = write!(bits, " RSV{}", i + 1);
            }
        }
        let mask = match h.mask {
            Some(k) => format!("masked {}", hex::encode(k)),
            None => "unmasked".to_string(),
        };
        let missing = match f.missing() {
            0 => String::new(),
            n => format!(" ({n} missing)"),
        };
        let text = match super::payload_as_text(f) {
            super::AsText::Always => true,
            super::AsText::IfUtf8 => std::str::from_utf8(f.payload).is_ok(),
            super::AsText::Never => false,
        };
        let mut preview = self.preview(f.payload, text);
        if let Some(m) = f.message.filter(|m| m.inflated) {
            // A compressed message: what it inflates to.
            let shown = self.preview(m.data, m.kind == MessageKind::Text);
            preview = format!("{preview} → inflated {} B{shown}", m.data.len());
        }
        let line = format!(
            "{prefix}{side}{:>4}  {bits:<7} {:<12} {:>7} B{missing}  {mask}{preview}",
            f.index,
            h.opcode.name(),
            h.payload_len,
        );
        writeln!(self.out(), "{line}")?;
        self.brief_violations(f)
    }

    fn brief_violations(&mut self, f: &FrameRecord) -> io::Result<()> {
        for v in f.violations {
            let l = self.paint(
                &format!("        ✗ {}", sanitize(&sentence::violation(v))),
                Paint::Bad,
            );
            writeln!(self.out(), "{l}")?;
        }
        Ok(())
    }

    /// A head in one line (`--brief`): its first line and whether it holds.
    pub(super) fn line_brief_head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let (first, issues): (String, Vec<String>) = match head {
            Head::Request {
                request, issues, ..
            } => (
                format!(
                    "request {} {} {}",
                    escape_bytes(request.method.as_bytes()),
                    escape_bytes(request.target.as_bytes()),
                    escape_bytes(request.version.as_bytes())
                ),
                issues.iter().map(sentence::issue).collect(),
            ),
            Head::Response {
                response, issues, ..
            } => {
                let mut line =
                    format!("response {} {} ", response.version, response.status).into_bytes();
                line.extend_from_slice(&response.reason);
                (
                    escape_bytes(&line),
                    issues.iter().map(sentence::issue).collect(),
                )
            }
            Head::Invalid { error, .. } => (
                "a head that cannot be read as HTTP".into(),
                vec![sentence::head_error(error)],
            ),
        };
        let verdict = if issues.is_empty() { "✓" } else { "✗" };
        writeln!(self.out(), "{prefix}{first}  {verdict}")?;
        for i in issues {
            let l = self.paint(&format!("        ✗ {}", sanitize(&i)), Paint::Bad);
            writeln!(self.out(), "{l}")?;
        }
        Ok(())
    }
}
