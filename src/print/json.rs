//! JSON Lines, one event per line in an envelope that every command
//! shares: `{"type": "frame", "data": {...}}` (ripgrep's shape). Scripts
//! depend on it: fields are only ever added. Every field is given raw (hex
//! of the bytes on the wire) and decoded.
//!
//! Objects are written straight into the writer from borrowed values, and
//! payloads are hex-encoded as they stream: a 64 MiB frame costs its hex
//! text in the output buffer, not a tree of values. Strings are escaped as
//! JSON requires, and further so that nothing a terminal acts on (DEL, C1
//! controls, bidi and zero-width characters) appears raw.

use std::io::{self, Write};

use super::escape::needs_escape;
use super::{
    close_of, expected_accept, payload_as_text, sentence, AsText, Closed, Meta, Opened, Printer,
    Refused, Rejected, Relayed, Served,
};
use crate::protocol::close::CloseCode;
use crate::protocol::endpoint::Closer;
use crate::protocol::handshake::Issue;
use crate::protocol::http::HeadError;
use crate::protocol::http::Header;
use crate::protocol::mask::apply_mask;
use crate::protocol::message::MessageKind;
use crate::protocol::message::MessageRef;
use crate::protocol::payload::read::Shown;
use crate::protocol::stream::{AfterGap, Finding, FrameRecord, Gap, Head, Place, Summary};
use crate::protocol::violation::{Broken, Violation};

/// Writes JSON Lines into any writer.
pub struct JsonPrinter<W: Write> {
    out: W,
}

/// Writes `s` as a JSON string.
pub fn write_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{08}' => Some(b"\\b"),
            '\u{0c}' => Some(b"\\f"),
            _ => None,
        };
        if esc.is_none() && !needs_escape(c) {
            continue;
        }
        out.write_all(&bytes[start..i])?;
        match esc {
            Some(e) => out.write_all(e)?,
            None => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(out, "\\u{u:04x}")?;
                }
            }
        }
        start = i + c.len_utf8();
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// Writes bytes as a JSON string of lower-case hex, masked with `mask`
/// (from offset 0) on the way, in pieces: no copy of the whole.
pub fn write_hex(out: &mut impl Write, bytes: &[u8], mask: Option<[u8; 4]>) -> io::Result<()> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.write_all(b"\"")?;
    let mut piece = [0u8; 2048];
    let mut text = [0u8; 4096];
    for (i, chunk) in bytes.chunks(piece.len()).enumerate() {
        let piece = &mut piece[..chunk.len()];
        piece.copy_from_slice(chunk);
        if let Some(key) = mask {
            // Pieces are a multiple of 4 bytes long, so the key restarts.
            debug_assert!(i == 0 || (i * 2048) % 4 == 0);
            apply_mask(piece, key, 0);
        }
        for (j, b) in piece.iter().enumerate() {
            text[2 * j] = DIGITS[usize::from(b >> 4)];
            text[2 * j + 1] = DIGITS[usize::from(b & 0x0f)];
        }
        out.write_all(&text[..2 * piece.len()])?;
    }
    out.write_all(b"\"")
}

/// Writes the bytes as a JSON string when they are UTF-8, else `null`.
fn write_text_or_null(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(bytes) {
        Ok(s) => write_str(out, s),
        Err(_) => out.write_all(b"null"),
    }
}

/// An object being written: keys and values in order.
struct Obj<'w, W: Write> {
    out: &'w mut W,
    first: bool,
}

impl<'w, W: Write> Obj<'w, W> {
    fn open(out: &'w mut W) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Self { out, first: true })
    }

    fn key(&mut self, k: &str) -> io::Result<&mut W> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        self.out.write_all(b"\"")?;
        self.out.write_all(k.as_bytes())?;
        self.out.write_all(b"\":")?;
        Ok(self.out)
    }

    fn str(&mut self, k: &str, v: &str) -> io::Result<()> {
        let out = self.key(k)?;
        write_str(out, v)
    }

    fn opt_str(&mut self, k: &str, v: Option<&str>) -> io::Result<()> {
        match v {
            Some(v) => self.str(k, v),
            None => self.null(k),
        }
    }

    fn num(&mut self, k: &str, v: u64) -> io::Result<()> {
        let out = self.key(k)?;
        write!(out, "{v}")
    }

    /// A duration in milliseconds, to a microsecond.
    fn ms(&mut self, k: &str, d: std::time::Duration) -> io::Result<()> {
        let out = self.key(k)?;
        write!(out, "{:.3}", d.as_secs_f64() * 1000.0)
    }

    fn bool(&mut self, k: &str, v: bool) -> io::Result<()> {
        let out = self.key(k)?;
        out.write_all(if v { b"true" } else { b"false" })
    }

    fn null(&mut self, k: &str) -> io::Result<()> {
        self.key(k)?.write_all(b"null")
    }

    fn hex(&mut self, k: &str, bytes: &[u8], mask: Option<[u8; 4]>) -> io::Result<()> {
        let out = self.key(k)?;
        write_hex(out, bytes, mask)
    }

    fn text_or_null(&mut self, k: &str, bytes: &[u8]) -> io::Result<()> {
        let out = self.key(k)?;
        write_text_or_null(out, bytes)
    }

    fn close(self) -> io::Result<()> {
        self.out.write_all(b"}")
    }
}

fn violations(out: &mut impl Write, vs: &[Violation]) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let mut o = Obj::open(out)?;
        o.str("rule", v.rule().id())?;
        o.str("section", v.rule().section())?;
        o.str("field", v.field.name())?;
        o.str("message", &sentence::message(v))?;
        o.close()?;
    }
    out.write_all(b"]")
}

fn issues(out: &mut impl Write, is: &[Issue]) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, issue) in is.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        issue_fields(out, issue)?;
    }
    out.write_all(b"]")
}

/// One issue as an object: `status` is 0 for an issue of a response, which
/// no one answers.
fn issue_fields(out: &mut impl Write, issue: &Issue) -> io::Result<()> {
    let mut o = Obj::open(out)?;
    o.str("rule", issue.id())?;
    o.opt_str("header", issue.header())?;
    o.str("message", &sentence::issue(issue))?;
    o.num("status", u64::from(issue.status().unwrap_or(0)))?;
    o.str("section", issue.section())?;
    o.close()
}

/// A head that cannot be read, as one issue of a refused request.
fn head_error_fields(out: &mut impl Write, e: &HeadError, status: u16) -> io::Result<()> {
    let mut o = Obj::open(out)?;
    o.str("rule", e.id())?;
    o.null("header")?;
    o.str("message", &sentence::head_error(e))?;
    o.num("status", u64::from(status))?;
    o.str("section", e.section())?;
    o.close()
}

fn headers(out: &mut impl Write, hs: &[Header]) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, h) in hs.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let mut o = Obj::open(out)?;
        o.str("name", &h.name)?;
        o.str("value", &String::from_utf8_lossy(&h.value))?;
        o.hex("value_hex", &h.value, None)?;
        o.close()?;
    }
    out.write_all(b"]")
}

/// Where and when, as the first fields of an event's data.
fn meta_fields<W: Write>(o: &mut Obj<'_, W>, meta: &Meta) -> io::Result<()> {
    if let Some(conn) = meta.conn {
        o.num("conn", conn)?;
    }
    if let Some(from) = meta.from {
        o.str("from", from.name())?;
    }
    if let Some(t) = meta.time {
        o.str("time", &super::rfc3339(t))?;
    }
    if let Some(p) = meta.packet {
        o.num("packet", p)?;
    }
    if let Some(d) = meta.since {
        o.ms("since_previous_ms", d)?;
    }
    if let Some(d) = meta.round_trip {
        o.ms("round_trip_ms", d)?;
    }
    Ok(())
}

impl<W: Write> JsonPrinter<W> {
    /// A printer over `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Opens an event line: `{"type":"...","data":{`.
    fn event(&mut self, kind: &str) -> io::Result<Obj<'_, W>> {
        self.out.write_all(b"{\"type\":\"")?;
        self.out.write_all(kind.as_bytes())?;
        self.out.write_all(b"\",\"data\":")?;
        Obj::open(&mut self.out)
    }

    fn end_event(&mut self) -> io::Result<()> {
        self.out.write_all(b"}\n")
    }
}

impl<W: Write> Printer for JsonPrinter<W> {
    fn accept_steps(&mut self, _meta: &Meta, _key: &str) -> io::Result<()> {
        // The request event carries `expected_accept`; the steps are text.
        Ok(())
    }

    fn open(&mut self, meta: &Meta, op: &Opened) -> io::Result<()> {
        let mut o = self.event("open")?;
        meta_fields(&mut o, meta)?;
        o.str("peer", op.peer)?;
        if let Some(server) = op.server {
            o.str("server", server)?;
        }
        o.str("target", op.target)?;
        o.opt_str("protocol", op.protocol)?;
        o.close()?;
        self.end_event()
    }

    fn view(&mut self, meta: &Meta, v: &Shown) -> io::Result<()> {
        let mut o = self.event("view")?;
        meta_fields(&mut o, meta)?;
        super::view::write_view(o.key("view")?, v)?;
        o.close()?;
        self.end_event()
    }

    fn message(&mut self, meta: &Meta, m: &MessageRef, view: Option<&Shown>) -> io::Result<()> {
        let mut o = self.event("message")?;
        meta_fields(&mut o, meta)?;
        o.str("kind", m.kind.name())?;
        o.num("frames", m.frames as u64)?;
        o.bool("compressed", m.compressed)?;
        o.num("length", m.data.len() as u64)?;
        o.hex("hex", m.data, None)?;
        if m.kind == MessageKind::Text {
            o.text_or_null("text", m.data)?;
        } else {
            o.null("text")?;
        }
        if let Some(v) = view {
            super::view::write_view(o.key("view")?, v)?;
        }
        o.close()?;
        self.end_event()
    }

    fn control(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        self.frame(meta, f)
    }

    fn closed(&mut self, meta: &Meta, c: &Closed) -> io::Result<()> {
        let info = c.info;
        let mut o = self.event("close")?;
        meta_fields(&mut o, meta)?;
        o.str("peer", c.peer)?;
        let by = match &info.by {
            Closer::Peer => match c.local {
                crate::protocol::Role::Server => "client",
                crate::protocol::Role::Client => "server",
            },
            Closer::Local => c.local.name(),
            Closer::Failed(_) => "failed",
            Closer::Abnormal(_) => "abnormal",
            Closer::Handshake(_) => "handshake",
        };
        o.str("by", by)?;
        match info.code {
            Some(code) => {
                o.num("code", u64::from(code))?;
                o.str("name", CloseCode(code).name())?;
            }
            None => {
                o.null("code")?;
                o.null("name")?;
            }
        }
        o.text_or_null("reason", &info.reason)?;
        o.hex("reason_hex", &info.reason, None)?;
        o.bool("clean", info.clean)?;
        match info.answer {
            Some(Some(a)) => o.num("answer_code", u64::from(a))?,
            Some(None) => o.null("answer_code")?,
            None => {}
        }
        match &info.by {
            Closer::Failed(v) => {
                let mut f = Obj::open(o.key("violation")?)?;
                f.str("rule", v.rule().id())?;
                f.str("section", v.rule().section())?;
                f.str("field", v.field.name())?;
                f.str("message", &sentence::message(v))?;
                f.close()?;
            }
            Closer::Abnormal(why) | Closer::Handshake(why) => o.str("why", why)?,
            _ => {}
        }
        o.num("duration_ms", c.duration.as_millis() as u64)?;
        o.num("messages_in", c.received)?;
        o.num("messages_out", c.sent)?;
        o.num("payload_violations", c.payload_violations)?;
        if let Some(r) = c.round_trips {
            let out = o.key("round_trips")?;
            write!(
                out,
                "{{\"count\":{},\"min_ms\":{:.3},\"avg_ms\":{:.3},\"max_ms\":{:.3}}}",
                r.count,
                r.min.as_secs_f64() * 1000.0,
                r.avg.as_secs_f64() * 1000.0,
                r.max.as_secs_f64() * 1000.0
            )?;
        }
        o.close()?;
        self.end_event()
    }

    fn refused(&mut self, meta: &Meta, r: &Refused) -> io::Result<()> {
        let mut o = self.event("refused")?;
        meta_fields(&mut o, meta)?;
        o.str("peer", r.peer)?;
        o.num("status", u64::from(r.status))?;
        match r.request {
            Head::Request { issues: is, .. } => issues(o.key("issues")?, is)?,
            Head::Invalid { error, .. } => {
                let out = o.key("issues")?;
                out.write_all(b"[")?;
                head_error_fields(out, error, r.status)?;
                out.write_all(b"]")?;
            }
            Head::Response { .. } => o.key("issues")?.write_all(b"[]")?,
        }
        o.close()?;
        self.end_event()
    }

    fn case(&mut self, r: &super::check::CaseResult) -> io::Result<()> {
        use crate::protocol::check::Closer as By;
        let o_ = r.observed;
        let mut o = self.event("case")?;
        if let Some(who) = r.who {
            o.str("client", who)?;
        }
        o.str("id", &r.case.id)?;
        o.str("group", r.case.group())?;
        o.str("title", &r.case.title)?;
        o.str("verdict", r.judgement.verdict.name())?;
        o.str("section", r.case.rule.section)?;
        o.str("should", r.case.rule.should)?;
        o.opt_str("explanation", super::check::explanation(r).as_deref())?;
        let out = o.key("findings")?;
        out.write_all(b"[")?;
        for (i, f) in r.judgement.findings.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_str(out, &super::check::finding(f, r))?;
        }
        out.write_all(b"]")?;
        match o_.answer.status() {
            Some(s) => o.num("status", u64::from(s))?,
            None => o.null("status")?,
        }
        o.num("received", o_.got.len() as u64)?;
        o.opt_str(
            "closed_first_by",
            o_.ending.first.map(|c| match c {
                By::Checker => "checker",
                By::Peer => r.peer,
            }),
        )?;
        match &o_.ending.peer_close {
            Some((Some(code), reason)) => {
                o.num("close_code", u64::from(*code))?;
                o.text_or_null("close_reason", reason)?;
            }
            _ => {
                o.null("close_code")?;
                o.null("close_reason")?;
            }
        }
        o.bool("clean", o_.ending.clean)?;
        o.num("duration_ms", o_.elapsed.as_millis() as u64)?;
        o.close()?;
        self.end_event()
    }

    fn check_summary(&mut self, s: &super::check::CheckSummary) -> io::Result<()> {
        let (rows, total) = s.table();
        let names = [
            "ok",
            "non_strict",
            "failed",
            "informational",
            "unimplemented",
        ];
        let counts = |out: &mut W, c: &[usize; 5]| -> io::Result<()> {
            out.write_all(b"{")?;
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write!(out, "\"{n}\":{}", c[i])?;
            }
            out.write_all(b"}")
        };
        let mut o = self.event("check_summary")?;
        o.str("target", s.target)?;
        o.num("cases", total.iter().sum::<usize>() as u64)?;
        let out = o.key("total")?;
        counts(out, &total)?;
        let out = o.key("groups")?;
        out.write_all(b"[")?;
        for (i, (group, c)) in rows.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"group\":")?;
            write_str(out, group)?;
            out.write_all(b",\"title\":")?;
            write_str(out, crate::protocol::check::group_title(group))?;
            out.write_all(b",\"counts\":")?;
            counts(out, c)?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]")?;
        let out = o.key("failed")?;
        out.write_all(b"[")?;
        for (i, id) in s.failed().iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_str(out, id)?;
        }
        out.write_all(b"]")?;
        let out = o.key("skipped")?;
        out.write_all(b"[")?;
        for (i, (group, v, n, why)) in s.skipped.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"group\":")?;
            write_str(out, group)?;
            write!(out, ",\"verdict\":\"{}\",\"cases\":{n},\"why\":", v.name())?;
            write_str(out, why)?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]")?;
        o.num("elapsed_ms", s.elapsed.as_millis() as u64)?;
        o.bool("conforms", s.failed().is_empty())?;
        o.close()?;
        self.end_event()
    }

    fn served(&mut self, meta: &Meta, s: &Served) -> io::Result<()> {
        let mut o = self.event("page")?;
        meta_fields(&mut o, meta)?;
        o.str("peer", s.peer)?;
        o.str("method", s.method)?;
        o.str("target", s.target)?;
        o.num("status", u64::from(s.status))?;
        o.close()?;
        self.end_event()
    }

    fn tls(&mut self, meta: &Meta, t: &super::TlsShown) -> io::Result<()> {
        let mut o = self.event("tls")?;
        meta_fields(&mut o, meta)?;
        o.str("peer", t.peer)?;
        o.str("version", t.version)?;
        o.str("cipher_suite", t.suite)?;
        match t.alpn {
            Some(a) => o.str("alpn", a)?,
            None => o.null("alpn")?,
        }
        match t.sni {
            Some(n) => o.str("sni", n)?,
            None => o.null("sni")?,
        }
        o.close()?;
        self.end_event()
    }

    fn relayed(&mut self, meta: &Meta, r: &Relayed) -> io::Result<()> {
        let mut o = self.event("proxy")?;
        meta_fields(&mut o, meta)?;
        let (what, peer, status, why) = match *r {
            Relayed::Refused { peer, status, why } => {
                ("refused", Some(peer), Some(status), Some(why))
            }
            Relayed::BadGateway { peer, why } => ("bad_gateway", Some(peer), Some(502), Some(why)),
            Relayed::Forwarded { .. } => ("forwarded", None, None, None),
            Relayed::PassedOn { peer, status } => ("passed_on", Some(peer), Some(status), None),
            Relayed::ClientTlsFailed { peer, why } => {
                ("client_tls_failed", Some(peer), None, Some(why))
            }
            Relayed::UpstreamFailed { why } => ("upstream_failed", None, None, Some(why)),
            Relayed::Tunnel { peer, .. } => ("tunnel", Some(peer), None, None),
            Relayed::TunnelEnded { .. } => ("tunnel_ended", None, None, None),
            Relayed::Http { status, .. } => ("http", None, status, None),
            Relayed::Held { .. } => ("held", None, None, None),
            Relayed::Released { .. } => ("released", None, None, None),
            Relayed::Injected { .. } => ("injected", None, None, None),
        };
        o.str("event", what)?;
        if let Some(peer) = peer {
            o.str("peer", peer)?;
        }
        match *r {
            Relayed::Forwarded { upstream } => o.str("upstream", upstream)?,
            Relayed::Tunnel { host, .. } => o.str("host", host)?,
            Relayed::TunnelEnded { host, up, down } => {
                o.str("host", host)?;
                o.num("bytes_from_client", up)?;
                o.num("bytes_from_server", down)?;
            }
            Relayed::Held {
                number,
                from,
                kind,
                len,
                preview,
            } => {
                o.num("held", number)?;
                o.str("from", from.name())?;
                o.str("kind", kind)?;
                match len {
                    Some(n) => o.num("length", n as u64)?,
                    None => o.null("length")?,
                }
                o.text_or_null("preview", preview)?;
                o.hex("preview_hex", preview, None)?;
            }
            Relayed::Released {
                number,
                action,
                edit,
            } => {
                o.num("held", number)?;
                o.str("action", action)?;
                if let Some(e) = edit {
                    o.text_or_null("edit", e)?;
                    o.hex("edit_hex", e, None)?;
                }
            }
            Relayed::Injected { to, kind, payload } => {
                o.str("to", to.name())?;
                o.str("kind", kind)?;
                o.num("length", payload.len() as u64)?;
                o.text_or_null("text", payload)?;
                o.hex("hex", payload, None)?;
            }
            Relayed::Http {
                method,
                host,
                target,
                status,
            } => {
                o.str("method", method)?;
                o.str("host", host)?;
                o.str("target", target)?;
                if status.is_none() {
                    o.null("status")?;
                }
            }
            _ => {}
        }
        if let Some(status) = status {
            o.num("status", u64::from(status))?;
        }
        if let Some(why) = why {
            o.str("why", why)?;
        }
        o.str("message", &sentence::relayed(r))?;
        o.close()?;
        self.end_event()
    }

    fn rejected(&mut self, meta: &Meta, r: &Rejected) -> io::Result<()> {
        let mut o = self.event("rejected")?;
        meta_fields(&mut o, meta)?;
        o.num("status", u64::from(r.status))?;
        o.text_or_null("body", r.body)?;
        o.hex("body_hex", r.body, None)?;
        o.str("message", &sentence::rejected(r))?;
        o.close()?;
        self.end_event()
    }

    fn http_head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        match head {
            Head::Request { raw, request, .. } => {
                let mut o = self.event("http_request")?;
                meta_fields(&mut o, meta)?;
                o.num("length", raw.len() as u64)?;
                o.str("method", &request.method)?;
                o.str("target", &request.target)?;
                o.str("version", &request.version)?;
                headers(o.key("headers")?, &request.headers)?;
                o.close()?;
            }
            Head::Response { raw, response, .. } => {
                let mut o = self.event("http_response")?;
                meta_fields(&mut o, meta)?;
                o.num("length", raw.len() as u64)?;
                o.str("version", &response.version)?;
                o.num("status", u64::from(response.status))?;
                o.str("reason", &String::from_utf8_lossy(&response.reason))?;
                headers(o.key("headers")?, &response.headers)?;
                o.close()?;
            }
            Head::Invalid { .. } => return self.head(meta, head),
        }
        self.end_event()
    }

    fn head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        match head {
            Head::Request {
                offset,
                raw,
                request,
                issues: is,
            } => {
                let accept = expected_accept(request);
                let mut o = self.event("request")?;
                meta_fields(&mut o, meta)?;
                o.num("offset", *offset)?;
                o.num("length", raw.len() as u64)?;
                o.str("method", &request.method)?;
                o.str("target", &request.target)?;
                o.str("version", &request.version)?;
                headers(o.key("headers")?, &request.headers)?;
                o.opt_str("expected_accept", accept.as_deref())?;
                o.bool("valid", is.is_empty())?;
                issues(o.key("issues")?, is)?;
                o.close()?;
            }
            Head::Response {
                offset,
                raw,
                response,
                issues: is,
            } => {
                let mut o = self.event("response")?;
                meta_fields(&mut o, meta)?;
                o.num("offset", *offset)?;
                o.num("length", raw.len() as u64)?;
                o.str("version", &response.version)?;
                o.num("status", u64::from(response.status))?;
                o.str("reason", &String::from_utf8_lossy(&response.reason))?;
                headers(o.key("headers")?, &response.headers)?;
                o.bool("valid", is.is_empty())?;
                issues(o.key("issues")?, is)?;
                o.close()?;
            }
            Head::Invalid { offset, error } => {
                let mut o = self.event("invalid_head")?;
                meta_fields(&mut o, meta)?;
                o.num("offset", *offset)?;
                o.bool("truncated", head.truncated())?;
                o.str("message", &sentence::head_error(error))?;
                o.close()?;
            }
        }
        self.end_event()
    }

    fn frame(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        let mut o = self.event("frame")?;
        meta_fields(&mut o, meta)?;
        o.num("index", f.index)?;
        o.num("offset", f.offset)?;
        o.num("length", f.present())?;
        o.bool("complete", f.missing() == 0)?;
        o.num("missing", f.missing())?;
        o.hex("header_hex", f.header_bytes, None)?;
        if let Some(h) = f.header {
            o.num("header_length", h.len() as u64)?;
            o.bool("fin", h.fin)?;
            o.bool("rsv1", h.rsv[0])?;
            o.bool("rsv2", h.rsv[1])?;
            o.bool("rsv3", h.rsv[2])?;
            o.num("opcode", u64::from(h.opcode.bits()))?;
            o.str("opcode_name", h.opcode.name())?;
            o.bool("masked", h.mask.is_some())?;
            match h.mask {
                Some(key) => o.hex("masking_key", &key, None)?,
                None => o.null("masking_key")?,
            }
            o.num("payload_length", h.payload_len)?;
            o.str("length_form", h.length_form.name())?;
            o.hex("payload_hex", f.payload, h.mask)?;
            o.hex("unmasked_hex", f.payload, None)?;
            if payload_as_text(f) != AsText::Never {
                o.text_or_null("text", f.payload)?;
            } else {
                o.null("text")?;
            }
            if let Some(c) = close_of(f) {
                let out = o.key("close")?;
                let mut close = Obj::open(out)?;
                match c.code {
                    Some(code) => {
                        close.num("code", u64::from(code.0))?;
                        close.str("name", code.name())?;
                    }
                    None => {
                        close.null("code")?;
                        close.null("name")?;
                    }
                }
                close.text_or_null("reason", c.reason)?;
                close.hex("reason_hex", c.reason, None)?;
                close.close()?;
            }
        }
        if let Some(fr) = f.fragment {
            let mut frag = Obj::open(o.key("fragment")?)?;
            frag.str("message_kind", fr.kind.name())?;
            frag.num("number", fr.number as u64)?;
            frag.bool("last", fr.last)?;
            frag.bool("compressed", fr.compressed)?;
            frag.close()?;
        }
        if let Some(msg) = &f.message {
            let mut m = Obj::open(o.key("message")?)?;
            m.str("kind", msg.kind.name())?;
            m.num("frames", msg.frames as u64)?;
            m.bool("compressed", msg.compressed)?;
            m.num("length", msg.data.len() as u64)?;
            m.bool("inflated", msg.inflated)?;
            match msg.inflate_error {
                Some(e) => {
                    let mut ie = Obj::open(m.key("inflate_error")?)?;
                    ie.str("id", e.id())?;
                    ie.str("section", e.section())?;
                    ie.bool("violation", e.is_violation())?;
                    ie.str("message", &sentence::inflate_error(&e))?;
                    ie.close()?;
                }
                None => m.null("inflate_error")?,
            }
            // A single uncompressed frame's message is its payload, already
            // given above; repeating it would double the output.
            if msg.frames > 1 || msg.compressed {
                m.hex("hex", msg.data, None)?;
                if msg.kind == MessageKind::Text {
                    m.text_or_null("text", msg.data)?;
                } else {
                    m.null("text")?;
                }
            }
            m.close()?;
        }
        violations(o.key("violations")?, f.violations)?;
        o.close()?;
        self.end_event()
    }

    fn gap(&mut self, meta: &Meta, g: &Gap) -> io::Result<()> {
        let mut o = self.event("gap")?;
        meta_fields(&mut o, meta)?;
        match *g {
            Gap::Missing { offset, len, after } => {
                o.str("kind", "missing")?;
                o.num("offset", offset)?;
                o.num("length", len)?;
                match after {
                    AfterGap::Resumes { skip } => {
                        o.str("after", "resumes")?;
                        o.num("skip", skip)?;
                    }
                    AfterGap::Lost => o.str("after", "lost")?,
                }
            }
            Gap::Resumed { offset, undecoded } => {
                o.str("kind", "resumed")?;
                o.num("offset", offset)?;
                o.num("undecoded", undecoded)?;
            }
            Gap::Undecoded { offset, len } => {
                o.str("kind", "undecoded")?;
                o.num("offset", offset)?;
                o.num("length", len)?;
            }
        }
        o.str("message", &sentence::gap(g))?;
        o.close()?;
        self.end_event()
    }

    fn summary(&mut self, s: &Summary, read_as: &str) -> io::Result<()> {
        let mut o = self.event("summary")?;
        o.str("input", read_as)?;
        o.num("frames", s.frames)?;
        o.num("control_frames", s.control)?;
        o.num("messages", s.messages)?;
        o.opt_str("from", s.from.map(|r| r.name()))?;
        o.num("violations", s.violations)?;
        o.num("payload_violations", s.payload_violations)?;
        o.num("unchecked", s.unchecked)?;
        o.bool(
            "conforms",
            s.violations == 0 && s.unchecked == 0 && s.gaps == 0 && s.connections != Some(0),
        )?;
        // Only a capture has these; a dump's summary keeps its old fields.
        if let Some(n) = s.connections {
            o.num("connections", n)?;
            o.num("gaps", s.gaps)?;
            o.num("lost_bytes", s.lost)?;
            o.num("undecoded_bytes", s.undecoded)?;
        }
        match s.unfinished {
            Some((kind, frames, len)) => {
                let mut u = Obj::open(o.key("unfinished_message")?)?;
                u.str("kind", kind.name())?;
                u.num("frames", frames as u64)?;
                u.num("length", len)?;
                u.close()?;
            }
            None => o.null("unfinished_message")?,
        }
        let out = o.key("listed")?;
        out.write_all(b"[")?;
        for (i, (place, finding)) in s.listed.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            let mut l = Obj::open(out)?;
            match place {
                Place::Head { offset, what } => {
                    l.str("place", what)?;
                    l.num("offset", *offset)?;
                }
                Place::Frame { index, offset } => {
                    l.str("place", "frame")?;
                    l.num("index", *index)?;
                    l.num("offset", *offset)?;
                }
                Place::Stream {
                    conn,
                    from,
                    what,
                    index,
                    offset,
                } => {
                    l.num("conn", *conn)?;
                    l.str("from", from.name())?;
                    l.str("place", what)?;
                    if let Some(i) = index {
                        l.num("index", *i)?;
                    }
                    l.num("offset", *offset)?;
                }
            }
            match finding {
                Finding::Frame(v) => {
                    l.str("rule", v.rule().id())?;
                    l.str("message", &sentence::violation(v))?;
                }
                Finding::Issue(i) => {
                    l.str("rule", i.id())?;
                    l.str("message", &sentence::issue(i))?;
                }
                Finding::Head(e) => {
                    l.str("rule", e.id())?;
                    l.str("message", &sentence::head_error(e))?;
                }
            }
            l.close()?;
        }
        out.write_all(b"]")?;
        o.close()?;
        self.end_event()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_for_json_and_terminals() {
        assert_eq!(s("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(s("\u{1b}[31m"), r#""\u001b[31m""#);
        assert_eq!(s("x\u{202e}y\u{7f}"), r#""x\u202ey\u007f""#);
        assert_eq!(s("κόσμε"), "\"κόσμε\"");
        let back: String = serde_json::from_str(&s("\u{9b}\u{2028}\t\u{1}")).unwrap();
        assert_eq!(back, "\u{9b}\u{2028}\t\u{1}");
    }

    #[test]
    fn hex_streams_and_masks() {
        let mut out = Vec::new();
        write_hex(&mut out, b"MDN", Some([0x3d, 0x54, 0x23, 0x06])).unwrap();
        assert_eq!(out, b"\"70106d\"");
        let big: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let mut out = Vec::new();
        write_hex(&mut out, &big, Some([1, 2, 3, 4])).unwrap();
        let mut masked = big.clone();
        apply_mask(&mut masked, [1, 2, 3, 4], 0);
        assert_eq!(out, format!("\"{}\"", hex::encode(&masked)).into_bytes());
    }

    #[test]
    fn a_page_served_and_its_heads_are_events_in_the_envelope() {
        let mut out = Vec::new();
        let meta = Meta {
            conn: Some(2),
            ..Meta::default()
        };
        let s = Served {
            peer: "127.0.0.1:5000",
            method: "GET",
            target: "/nope\u{1b}",
            status: 404,
        };
        JsonPrinter::new(&mut out).served(&meta, &s).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "page", "data": {"conn": 2, "peer": "127.0.0.1:5000",
                "method": "GET", "target": "/nope\u{1b}", "status": 404}})
        );
        assert!(!out.contains(&0x1b));

        let raw = b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n";
        let Ok(crate::protocol::http::HeadParse::Complete { head, len }) =
            crate::protocol::http::parse_response(raw, 1024)
        else {
            panic!("a response")
        };
        let head = Head::Response {
            offset: 0,
            raw: raw[..len].to_vec(),
            response: head,
            issues: Vec::new(),
        };
        let mut out = Vec::new();
        JsonPrinter::new(&mut out).http_head(&meta, &head).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["type"], "http_response");
        assert_eq!(v["data"]["status"], 404);
        assert_eq!(v["data"]["length"], raw.len());
        assert_eq!(v["data"]["headers"][0]["name"], "Connection");
    }
}
