//! Annotated text: every header bit with its pattern, value and meaning,
//! violations marked on the line they concern, and a summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::escape::{ascii_char, escape_bytes, escape_into, sanitize};
use super::{
    close_of, expected_accept, hex_spaced, payload_as_text, plural, sentence, AsText, Closed, Meta,
    Opened, Paint, Palette, Printer, Refused, Rejected, Relayed, Served,
};
use crate::protocol::close::ClosePayload;
use crate::protocol::frame::{FrameHeader, LengthForm};
use crate::protocol::handshake::{self, AcceptSteps, Issue};
use crate::protocol::http::Header;
use crate::protocol::mask::apply_mask;
use crate::protocol::message::{MessageKind, MessageRef};
use crate::protocol::opcode::OpCode;
use crate::protocol::payload::read::Shown;
use crate::protocol::stream::{Extent, Finding, FrameRecord, Gap, Head, Place, Summary};
use crate::protocol::violation::{Field, Violation};

/// The four steps of RFC 6455 §4.2.2 (and MDN's guide) with every
/// intermediate value; `key_note` says what the key decodes to.
pub fn accept_steps(out: &mut impl Write, steps: &AcceptSteps, key_note: &str) -> io::Result<()> {
    writeln!(
        out,
        "1. take the Sec-WebSocket-Key value, without surrounding whitespace"
    )?;
    writeln!(out, "   {}", escape_bytes(steps.key.as_bytes()))?;
    writeln!(out, "   ({})", sanitize(key_note))?;
    writeln!(out, "2. append the GUID {}", handshake::GUID)?;
    writeln!(out, "   {}", escape_bytes(steps.concatenated.as_bytes()))?;
    writeln!(out, "3. SHA-1 of that string (20 bytes)")?;
    writeln!(out, "   {}", hex_spaced(&steps.sha1))?;
    writeln!(
        out,
        "4. base64 of the SHA-1: the Sec-WebSocket-Accept value"
    )?;
    writeln!(out, "   {}", steps.accept)
}

/// What to show beyond the fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Show the per-byte unmasking arithmetic.
    pub explain: bool,
    /// Show at most this many payload bytes per frame (None: all).
    pub max_bytes: Option<usize>,
    /// One line per frame and per head (`decode --brief`).
    pub brief: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            explain: false,
            max_bytes: Some(64),
            brief: false,
        }
    }
}

/// Writes annotated text into any writer.
pub struct TextPrinter<W: Write> {
    out: W,
    palette: Palette,
    options: TextOptions,
}

const PAD: &str = "            ";

impl<W: Write> TextPrinter<W> {
    /// A printer over `out`.
    pub fn new(out: W, palette: Palette, options: TextOptions) -> Self {
        Self {
            out,
            palette,
            options,
        }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn p<'a>(&self, s: &'a str, paint: Paint) -> std::borrow::Cow<'a, str> {
        self.palette.paint(s, paint)
    }

    pub(super) fn paint(&self, s: &str, paint: Paint) -> String {
        self.palette.paint(s, paint).into_owned()
    }

    /// `s` in the colour for `paint`, borrowed when colour is off.
    pub(super) fn tint<'a>(&self, s: &'a str, paint: Paint) -> std::borrow::Cow<'a, str> {
        self.palette.paint(s, paint)
    }

    pub(super) fn colour(&self) -> bool {
        self.palette.enabled
    }

    pub(super) fn out(&mut self) -> &mut W {
        &mut self.out
    }

    pub(super) fn max_bytes(&self) -> Option<usize> {
        self.options.max_bytes
    }

    fn mark(&mut self, violations: &[Violation], field: Field) -> io::Result<()> {
        for v in violations.iter().filter(|v| v.field == field) {
            let line = format!("✗ {}", sanitize(&sentence::violation(v)));
            writeln!(self.out, "  {PAD}{}", self.p(&line, Paint::Bad))?;
        }
        Ok(())
    }

    fn bits_line(
        &mut self,
        byte: Option<u8>,
        pattern: &str,
        name: &str,
        value: &str,
        meaning: &str,
    ) -> io::Result<()> {
        if !self.palette.enabled {
            // The common case (a pipe, a file), built in place: seven of
            // these lines make each frame.
            let mut l = Line::new();
            l.push(b"  ");
            if let Some(b) = byte {
                l.push(b"0x");
                l.hex(b);
                l.push(b" (");
                l.push(Decimal::new(u64::from(b)).as_bytes());
                l.push(b")");
            }
            l.pad(12);
            l.push(b"  ");
            l.push(pattern.as_bytes());
            l.push(b"  ");
            let at = l.len;
            l.push(name.as_bytes());
            l.pad(at + 7);
            l.push(b" ");
            let at = l.len;
            l.push(value.as_bytes());
            l.pad(at + 4);
            l.push(b" ");
            l.push(meaning.as_bytes());
            return self.out.write_all(l.finish());
        }
        let first = match byte {
            Some(b) => format!("{:<10}", format!("0x{b:02x} ({b})")),
            None => " ".repeat(10),
        };
        let line = format!(
            "  {}  {}  {} {} {}",
            self.p(&first, Paint::Value),
            pattern,
            self.p(&format!("{name:<7}"), Paint::Name),
            self.p(&format!("{value:<4}"), Paint::Value),
            self.p(meaning, Paint::Dim)
        );
        writeln!(self.out, "{}", line.trim_end())
    }

    fn bytes_line(&mut self, bytes: &[u8], label: &str) -> io::Result<()> {
        let hex = hex_spaced(bytes);
        writeln!(
            self.out,
            "  {} {}",
            self.p(&format!("{hex:<22}"), Paint::Value),
            self.p(label, Paint::Name)
        )
    }

    /// A head: title, first line, each header with the issues about it (and,
    /// in a request, the accept value its key calls for), then the verdict.
    fn head_block(
        &mut self,
        title: &str,
        first_line: &[u8],
        headers: &[Header],
        issues: &[Issue],
        what: &str,
        accept: Option<String>,
    ) -> io::Result<()> {
        writeln!(self.out, "{}", self.p(title, Paint::Heading))?;
        writeln!(self.out, "  {}", escape_bytes(first_line))?;
        self.issues(issues, None)?;
        let mut accept = accept;
        for (i, h) in headers.iter().enumerate() {
            self.header_line(h, &headers[..i], issues)?;
            if h.name.eq_ignore_ascii_case("sec-websocket-key") {
                // Under the first key: the one a server answers.
                if let Some(accept) = accept.take() {
                    let note = format!("↳ the server must answer Sec-WebSocket-Accept: {accept}");
                    writeln!(self.out, "      {}", self.p(&note, Paint::Dim))?;
                }
            }
        }
        self.verdict(issues, headers, what)
    }

    /// A header line, with the issues about that header under its first
    /// occurrence (`earlier` are the headers before it).
    fn header_line(&mut self, h: &Header, earlier: &[Header], issues: &[Issue]) -> io::Result<()> {
        writeln!(
            self.out,
            "  {}: {}",
            self.p(&escape_bytes(h.name.as_bytes()), Paint::Name),
            self.p(&escape_bytes(&h.value), Paint::Value)
        )?;
        if earlier.iter().any(|e| e.name.eq_ignore_ascii_case(&h.name)) {
            return Ok(());
        }
        self.issues(issues, Some(&h.name))
    }

    fn issue_line(&mut self, i: &Issue) -> io::Result<()> {
        let line = format!("✗ {}", sanitize(&sentence::issue(i)));
        writeln!(self.out, "    {}", self.p(&line, Paint::Bad))
    }

    fn issues(&mut self, issues: &[Issue], header: Option<&str>) -> io::Result<()> {
        for i in issues {
            let matches = match (i.header(), header) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            };
            if matches {
                self.issue_line(i)?;
            }
        }
        Ok(())
    }

    fn verdict(&mut self, issues: &[Issue], headers: &[Header], what: &str) -> io::Result<()> {
        // Issues about a header that is absent have no line to sit under.
        for i in issues {
            if let Some(name) = i.header() {
                if !headers.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
                    self.issue_line(i)?;
                }
            }
        }
        if issues.is_empty() {
            let ok = format!("✓ valid WebSocket upgrade {what}");
            writeln!(self.out, "  {}", self.p(&ok, Paint::Good))?;
        }
        writeln!(self.out)
    }

    fn frame_title(&self, f: &FrameRecord, packet: Option<u64>) -> String {
        let present = f.present();
        let mut t = String::with_capacity(96);
        let _ = write!(t, "frame {}", f.index);
        if let Some(p) = packet {
            let _ = write!(t, " · packet {p}");
        }
        let _ = write!(
            t,
            " · offset {} · {present} byte{}",
            f.offset,
            plural(present)
        );
        match f.extent {
            Extent::Complete => {}
            Extent::Truncated { missing } => {
                let _ = write!(t, " present, {missing} missing");
            }
            Extent::Abandoned { unread } => {
                let _ = write!(t, " read, {unread} not read");
            }
            Extent::Gap { missing } => {
                let _ = write!(t, " present, {missing} not in the capture");
            }
        }
        let Some(h) = f.header else {
            t.push_str(" · incomplete header");
            return t;
        };
        t.push_str(" · ");
        t.push_str(h.opcode.name());
        if let Some(frag) = f.fragment {
            if frag.number > 1 || !frag.last {
                let _ = write!(
                    t,
                    " (fragment {} of a {} message)",
                    frag.number,
                    frag.kind.name()
                );
            }
        }
        if f.fragment.is_some_and(|fr| fr.compressed && fr.number == 1) {
            t.push_str(", compressed");
        }
        t.push_str(if h.fin { ", final" } else { ", not final" });
        t.push_str(if h.mask.is_some() {
            ", masked"
        } else {
            ", unmasked"
        });
        if !f.violations.is_empty() {
            let n = f.violations.len();
            let _ = write!(t, ", {n} violation{}", plural(n as u64));
        }
        t
    }

    fn limit<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        match self.options.max_bytes {
            Some(n) if data.len() > n => &data[..n],
            _ => data,
        }
    }

    fn more(&self, len: usize) -> String {
        match self.options.max_bytes {
            Some(n) if len > n => format!(" … ({} more bytes; --full shows all)", len - n),
            _ => String::new(),
        }
    }

    fn payload(&mut self, f: &FrameRecord, h: &FrameHeader) -> io::Result<()> {
        let n = f.payload.len();
        if h.payload_len == 0 {
            return writeln!(
                self.out,
                "  {:<22} {}",
                "",
                self.p("no payload", Paint::Dim)
            );
        }
        if matches!(f.extent, Extent::Abandoned { .. }) && f.payload.is_empty() {
            let line = format!(
                "payload of {} byte{} not read: the connection failed on this frame",
                h.payload_len,
                plural(h.payload_len)
            );
            return writeln!(self.out, "  {:<22} {}", "", self.p(&line, Paint::Dim));
        }
        let label = match (h.mask.is_some(), f.missing() > 0) {
            (true, false) => format!("payload, masked, {n} byte{}", plural(n as u64)),
            (false, false) => format!("payload, {n} byte{}", plural(n as u64)),
            (true, true) => format!("payload, masked, {n} of {} bytes", h.payload_len),
            (false, true) => format!("payload, {n} of {} bytes", h.payload_len),
        };
        let plain = self.limit(f.payload);
        let more = self.more(n);
        if plain.len() <= 8 {
            let mut wire = [0u8; 8];
            let wire = &mut wire[..plain.len()];
            wire.copy_from_slice(plain);
            if let Some(key) = h.mask {
                apply_mask(wire, key, 0);
            }
            self.bytes_line(wire, &label)?;
        } else {
            writeln!(self.out, "  {}", self.p(&label, Paint::Name))?;
            self.hex_rows(plain, h.mask)?;
        }
        // Compressed payloads are DEFLATE data; their text is shown once the
        // message is complete and inflated.
        let show_text = match payload_as_text(f) {
            AsText::Always => true,
            AsText::IfUtf8 => std::str::from_utf8(plain).is_ok(),
            AsText::Never => false,
        };
        let mut text = String::new();
        if show_text {
            text.reserve(plain.len() + 2);
            text.push('"');
            escape_into(&mut text, plain);
            text.push('"');
        }
        let mut text_shown = false;
        if h.mask.is_some() {
            if plain.len() <= 8 {
                let mut line = format!("unmasked: {}", self.p(&hex_spaced(plain), Paint::Value));
                if show_text {
                    line = format!("{line}  {}", self.p(&text, Paint::Text));
                    text_shown = true;
                }
                writeln!(self.out, "  {:<22} {}", "", line)?;
            } else {
                writeln!(self.out, "  {}", self.p("unmasked", Paint::Name))?;
                self.hex_rows(plain, None)?;
            }
        }
        if show_text && !text_shown && h.opcode != OpCode::Close {
            writeln!(
                self.out,
                "  {:<22} {} {}",
                "",
                self.p("text", Paint::Name),
                self.p(&text, Paint::Text)
            )?;
        }
        if !more.is_empty() {
            writeln!(self.out, "  {:<22}{}", "", self.p(&more, Paint::Dim))?;
        }
        if self.options.explain {
            if let Some(key) = h.mask {
                self.explain(plain, key)?;
            }
        }
        if h.opcode == OpCode::Close {
            self.close(f.payload, close_of(f))?;
        }
        Ok(())
    }

    /// Rows of 16 bytes with offsets and an ASCII column; `mask` masks the
    /// (unmasked) bytes again, row by row, to show them as on the wire.
    fn hex_rows(&mut self, bytes: &[u8], mask: Option<[u8; 4]>) -> io::Result<()> {
        let mut row = [0u8; 16];
        for (i, chunk) in bytes.chunks(16).enumerate() {
            let row = &mut row[..chunk.len()];
            row.copy_from_slice(chunk);
            if let Some(key) = mask {
                // Rows start at multiples of 16, so the key starts afresh.
                apply_mask(row, key, 0);
            }
            if !self.palette.enabled {
                self.hex_row_plain(i * 16, row)?;
                continue;
            }
            let ascii: String = row.iter().map(|&b| ascii_char(b)).collect();
            writeln!(
                self.out,
                "    {}  {}  {}",
                self.p(&format!("{:04x}", i * 16), Paint::Dim),
                self.p(&format!("{:<47}", hex_spaced(row)), Paint::Value),
                self.p(&format!("|{ascii}|"), Paint::Dim)
            )?;
        }
        Ok(())
    }

    /// One hex row without colour, built by hand: a 64 MiB payload is four
    /// million of them.
    fn hex_row_plain(&mut self, offset: usize, row: &[u8]) -> io::Result<()> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut line = [b' '; 96];
        let mut n = 4;
        let _ = write!(&mut line[n..], "{offset:04x}");
        n += if offset > 0xffff {
            format!("{offset:x}").len()
        } else {
            4
        };
        n += 2;
        let hex_start = n;
        for (j, b) in row.iter().enumerate() {
            if j > 0 {
                n += 1;
            }
            line[n] = DIGITS[usize::from(b >> 4)];
            line[n + 1] = DIGITS[usize::from(b & 0x0f)];
            n += 2;
        }
        n = n.max(hex_start + 47) + 2;
        line[n] = b'|';
        n += 1;
        for &b in row {
            line[n] = ascii_char(b) as u8;
            n += 1;
        }
        line[n] = b'|';
        line[n + 1] = b'\n';
        self.out.write_all(&line[..n + 2])
    }

    fn explain(&mut self, plain: &[u8], key: [u8; 4]) -> io::Result<()> {
        writeln!(
            self.out,
            "  {}",
            self.p("unmasking: D[i] = E[i] ^ M[i mod 4]", Paint::Name)
        )?;
        for (i, d) in plain.iter().enumerate() {
            let e = d ^ key[i % 4];
            let shown = escape_bytes(std::slice::from_ref(d));
            let shown = if shown.len() == 1 {
                format!("'{shown}'")
            } else {
                shown
            };
            writeln!(
                self.out,
                "    {}  {:02x} ^ {:02x} = {}  {}",
                self.p(&format!("i={i:<3}"), Paint::Dim),
                e,
                key[i % 4],
                self.p(&format!("{d:02x}"), Paint::Value),
                shown
            )?;
        }
        Ok(())
    }

    fn close(&mut self, payload: &[u8], parsed: Option<ClosePayload>) -> io::Result<()> {
        if payload.len() < 2 {
            if payload.is_empty() {
                writeln!(
                    self.out,
                    "  {:<22} {}",
                    "",
                    self.p("close with no status code", Paint::Dim)
                )?;
            }
            return Ok(());
        }
        let c = parsed.unwrap_or_else(|| ClosePayload::parse(payload));
        if let Some(code) = c.code {
            writeln!(
                self.out,
                "  {:<22} {} {} {}",
                hex_spaced(&payload[..2]),
                self.p("close code", Paint::Name),
                self.p(&code.0.to_string(), Paint::Value),
                code.name()
            )?;
        }
        let reason = format!("\"{}\"", escape_bytes(self.limit(c.reason)));
        writeln!(
            self.out,
            "  {:<22} {} {}",
            "",
            self.p("reason", Paint::Name),
            self.p(&reason, Paint::Text)
        )
    }
}

/// A line of text built in a fixed buffer (a frame's lines are short):
/// bytes past its size are dropped rather than overflowing.
struct Line {
    buf: [u8; 256],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Self {
            buf: [b' '; 256],
            len: 0,
        }
    }

    fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - 1 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    fn hex(&mut self, b: u8) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        self.push(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]]);
    }

    /// Spaces up to column `width` (the buffer starts as spaces).
    fn pad(&mut self, width: usize) {
        self.len = self.len.max(width.min(self.buf.len() - 1));
    }

    /// The line without trailing spaces, and a newline.
    fn finish(&mut self) -> &[u8] {
        while self.len > 0 && self.buf[self.len - 1] == b' ' {
            self.len -= 1;
        }
        self.buf[self.len] = b'\n';
        &self.buf[..=self.len]
    }
}

/// " · packet 12" when the event came from a capture's packet.
fn packet_note(meta: &Meta) -> String {
    meta.packet
        .map_or_else(String::new, |p| format!(" · packet {p}"))
}

fn bit(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// The byte's bits under `mask`, others as dots: `1... ....`.
fn pattern(byte: u8, mask: u8) -> Pattern {
    let mut s = [b' '; 9];
    let mut at = 0;
    for i in (0..8).rev() {
        let m = 1u8 << i;
        s[at] = if mask & m == 0 {
            b'.'
        } else if byte & m != 0 {
            b'1'
        } else {
            b'0'
        };
        at += if i == 4 { 2 } else { 1 };
    }
    Pattern(s)
}

/// A bit pattern, `1... ....`, without allocating.
struct Pattern([u8; 9]);

impl std::ops::Deref for Pattern {
    type Target = str;

    fn deref(&self) -> &str {
        // Only '.', '0', '1' and ' ' are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// `n` in decimal, without allocating.
struct Decimal {
    buf: [u8; 20],
    start: usize,
}

impl Decimal {
    fn new(mut n: u64) -> Self {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self { buf, start }
    }
}

impl std::ops::Deref for Decimal {
    type Target = str;

    fn deref(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }
}

impl<W: Write> Printer for TextPrinter<W> {
    fn accept_steps(&mut self, meta: &Meta, key: &str) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let title = format!(
            "{prefix}{}",
            self.p(
                "Sec-WebSocket-Accept, step by step (RFC 6455 §4.2.2)",
                Paint::Heading
            )
        );
        writeln!(self.out, "{title}")?;
        let steps = handshake::accept_steps(key);
        let note = match handshake::check_key(key) {
            Ok(_) => "a valid key: base64 of 16 bytes".to_string(),
            Err(problem) => format!("not a valid key: {}", sentence::key_problem(&problem)),
        };
        let mut block = Vec::new();
        accept_steps(&mut block, &steps, &note)?;
        for line in String::from_utf8_lossy(&block).lines() {
            writeln!(self.out, "  {line}")?;
        }
        writeln!(self.out)
    }

    fn open(&mut self, meta: &Meta, o: &Opened) -> io::Result<()> {
        self.line_open(meta, o)
    }

    fn message(&mut self, meta: &Meta, m: &MessageRef, view: Option<&Shown>) -> io::Result<()> {
        self.line_message(meta, m)?;
        match view {
            Some(v) => self.lines_view(v, self.options.brief),
            None => Ok(()),
        }
    }

    fn view(&mut self, _meta: &Meta, v: &Shown) -> io::Result<()> {
        self.lines_view(v, self.options.brief)?;
        if self.options.brief {
            Ok(())
        } else {
            writeln!(self.out)
        }
    }

    fn control(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        self.line_control(meta, f)
    }

    fn closed(&mut self, meta: &Meta, c: &Closed) -> io::Result<()> {
        self.line_closed(meta, c)
    }

    fn refused(&mut self, meta: &Meta, r: &Refused) -> io::Result<()> {
        self.line_refused(meta, r)
    }

    fn served(&mut self, meta: &Meta, s: &Served) -> io::Result<()> {
        self.line_served(meta, s)
    }

    fn tls(&mut self, meta: &Meta, t: &super::TlsShown) -> io::Result<()> {
        self.line_tls(meta, t)
    }

    fn case(&mut self, r: &super::check::CaseResult) -> io::Result<()> {
        self.line_case(r)
    }

    fn check_summary(&mut self, s: &super::check::CheckSummary) -> io::Result<()> {
        self.line_check_summary(s)
    }

    fn relayed(&mut self, meta: &Meta, r: &Relayed) -> io::Result<()> {
        self.line_relayed(meta, r)
    }

    fn rejected(&mut self, meta: &Meta, r: &Rejected) -> io::Result<()> {
        self.line_rejected(meta, r)
    }

    fn gap(&mut self, meta: &Meta, g: &Gap) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let mut title = match g {
            Gap::Missing { .. } => "gap".to_string(),
            Gap::Resumed { .. } => "resumed".to_string(),
            Gap::Undecoded { .. } => "not decoded".to_string(),
        };
        if let Some(from) = meta.from {
            title = format!("{} · {title}", from.name());
        }
        writeln!(self.out, "{prefix}{}", self.p(&title, Paint::Heading))?;
        let line = sentence::gap(g);
        writeln!(self.out, "  {}", self.p(&line, Paint::Dim))?;
        writeln!(self.out)
    }

    fn http_head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        let prefix = self.prefix(meta);
        let (title, line, headers) = match head {
            Head::Request { raw, request, .. } => (
                format!(
                    "{prefix}HTTP request · {} bytes · from the client · no upgrade asked for",
                    raw.len()
                ),
                format!("{} {} {}", request.method, request.target, request.version).into_bytes(),
                &request.headers,
            ),
            Head::Response { raw, response, .. } => {
                let mut line = format!("{} {} ", response.version, response.status).into_bytes();
                line.extend_from_slice(&response.reason);
                let title = format!(
                    "{prefix}HTTP response · {} bytes · from the server · body not shown",
                    raw.len()
                );
                (title, line, &response.headers)
            }
            Head::Invalid { .. } => return self.head(meta, head),
        };
        writeln!(self.out, "{}", self.p(&title, Paint::Heading))?;
        writeln!(self.out, "  {}", escape_bytes(&line))?;
        for h in headers {
            self.header_line(h, &[], &[])?;
        }
        writeln!(self.out)
    }

    fn head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        if self.options.brief {
            return self.line_brief_head(meta, head);
        }
        let prefix = self.prefix(meta);
        match head {
            Head::Request {
                offset,
                raw,
                request,
                issues,
            } => {
                let title = format!(
                    "{prefix}handshake request{} · offset {offset} · {} bytes · from the client",
                    packet_note(meta),
                    raw.len()
                );
                let line = format!("{} {} {}", request.method, request.target, request.version);
                self.head_block(
                    &title,
                    line.as_bytes(),
                    &request.headers,
                    issues,
                    "request",
                    expected_accept(request),
                )
            }
            Head::Response {
                offset,
                raw,
                response,
                issues,
            } => {
                let title = format!(
                    "{prefix}handshake response{} · offset {offset} · {} bytes · from the server",
                    packet_note(meta),
                    raw.len()
                );
                let mut line = format!("{} {} ", response.version, response.status).into_bytes();
                line.extend_from_slice(&response.reason);
                self.head_block(&title, &line, &response.headers, issues, "response", None)
            }
            Head::Invalid { offset, error } => {
                let title = format!("{prefix}HTTP head · offset {offset}");
                writeln!(self.out, "{}", self.p(&title, Paint::Heading))?;
                let line = format!("✗ {}", sanitize(&sentence::head_error(error)));
                writeln!(self.out, "  {}", self.p(&line, Paint::Bad))?;
                writeln!(self.out)
            }
        }
    }

    fn frame(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        if self.options.brief {
            return self.line_brief_frame(meta, f);
        }
        let mut title = self.frame_title(f, meta.packet);
        if let Some(from) = meta.from {
            title = format!("{} · {title}", from.name());
        }
        if let Some(d) = meta.round_trip {
            title = format!("{title} · round trip {}", super::millis(d));
        }
        let prefix = self.prefix(meta);
        writeln!(self.out, "{prefix}{}", self.p(&title, Paint::Heading))?;
        let Some(h) = f.header else {
            self.bytes_line(f.header_bytes, "incomplete header")?;
            self.mark(f.violations, Field::Frame)?;
            return writeln!(self.out);
        };
        let v = &f.violations;
        let b0 = h.first_byte();
        self.bits_line(
            Some(b0),
            &pattern(b0, 0x80),
            "FIN",
            bit(h.fin),
            if h.fin {
                "final fragment"
            } else {
                "more fragments follow"
            },
        )?;
        self.mark(v, Field::Fin)?;
        for i in 0..3u8 {
            let mask = 0x40 >> i;
            let set = h.rsv[i as usize];
            self.bits_line(
                None,
                &pattern(b0, mask),
                &format!("RSV{}", i + 1),
                bit(set),
                match (
                    set,
                    i == 0 && f.fragment.is_some_and(|fr| fr.compressed && fr.number == 1),
                ) {
                    (true, true) => "message is compressed (permessage-deflate)",
                    (true, false) => "set (only an extension may set it)",
                    _ => "",
                },
            )?;
            self.mark(v, Field::Rsv(i))?;
        }
        self.bits_line(
            None,
            &pattern(b0, 0x0f),
            "opcode",
            &Decimal::new(u64::from(h.opcode.bits())),
            h.opcode.name(),
        )?;
        self.mark(v, Field::Opcode)?;
        let b1 = h.second_byte();
        self.bits_line(
            Some(b1),
            &pattern(b1, 0x80),
            "MASK",
            bit(h.mask.is_some()),
            if h.mask.is_some() {
                "payload is masked"
            } else {
                "payload is not masked"
            },
        )?;
        self.mark(v, Field::Mask)?;
        let len7 = b1 & 0x7f;
        let meaning = match h.length_form {
            LengthForm::Short => "7-bit length",
            LengthForm::Medium => "16-bit length follows",
            LengthForm::Long => "64-bit length follows",
        };
        self.bits_line(
            None,
            &pattern(b1, 0x7f),
            "length",
            &Decimal::new(u64::from(len7)),
            meaning,
        )?;
        let ext = &f.header_bytes[2..2 + h.length_form.extra_bytes()];
        if !ext.is_empty() {
            let label = format!(
                "{} {} {}-bit extended length",
                self.p("length", Paint::Name),
                self.p(&h.payload_len.to_string(), Paint::Value),
                ext.len() * 8
            );
            writeln!(
                self.out,
                "  {} {}",
                self.p(&format!("{:<22}", hex_spaced(ext)), Paint::Value),
                label
            )?;
        }
        self.mark(v, Field::Length)?;
        if let Some(key) = h.mask {
            self.bytes_line(&key, "masking key")?;
        }
        self.payload(f, &h)?;
        self.mark(v, Field::Payload)?;
        self.mark(v, Field::Frame)?;
        if let Some(m) = &f.message {
            if m.compressed && !m.inflated {
                let why = m
                    .inflate_error
                    .map_or_else(String::new, |e| sentence::inflate_error(&e));
                let line = format!(
                    "message complete: {}, {} frame{}, compressed (permessage-deflate), {} bytes of DEFLATE data, not inflated: {why}",
                    m.kind.name(),
                    m.frames,
                    plural(m.frames as u64),
                    m.data.len(),
                );
                let paint = if m.inflate_error.is_some_and(|e| e.is_violation()) {
                    Paint::Bad
                } else {
                    Paint::Dim
                };
                writeln!(self.out, "  {}", self.p(&line, paint))?;
            } else if m.frames > 1 || m.compressed {
                let shown = self.limit(m.data);
                let body = match m.kind {
                    MessageKind::Text => format!("\"{}\"", escape_bytes(shown)),
                    MessageKind::Binary => hex_spaced(shown),
                };
                let more = self.more(m.data.len());
                let how = if m.compressed {
                    "compressed (permessage-deflate), inflated to "
                } else {
                    ""
                };
                let line = format!(
                    "message complete: {}, {} frame{}, {how}{} bytes: {}{}",
                    m.kind.name(),
                    m.frames,
                    plural(m.frames as u64),
                    m.data.len(),
                    body,
                    more
                );
                writeln!(self.out, "  {}", self.p(&line, Paint::Text))?;
            }
        }
        writeln!(self.out)
    }

    fn summary(&mut self, s: &Summary, read_as: &str) -> io::Result<()> {
        let from = match (s.connections, s.from) {
            (Some(n), _) => format!("both directions of {n} connection{}", plural(n)),
            (None, Some(r)) => format!("from the {}", r.name()),
            (None, None) => {
                "direction unknown, masking not checked (--from client|server)".to_string()
            }
        };
        let line = format!(
            "summary: {} frame{} ({} control), {} message{} complete; {}",
            s.frames,
            plural(s.frames),
            s.control,
            s.messages,
            plural(s.messages),
            from
        );
        writeln!(self.out, "{}", self.p(&line, Paint::Heading))?;
        writeln!(self.out, "  {}", self.p(read_as, Paint::Dim))?;
        if let Some((kind, frames, bytes)) = s.unfinished {
            let note = format!(
                "note: a {} message is unfinished at the end ({frames} frame{}, {bytes} bytes, no final frame yet)",
                kind.name(),
                plural(frames as u64)
            );
            writeln!(self.out, "  {}", self.p(&note, Paint::Dim))?;
        }
        if s.gaps > 0 {
            let note = format!(
                "note: {} gap{} in the capture, {} byte{} missing; {} byte{} around them not decoded; what was decoded is checked, the rest is not",
                s.gaps,
                plural(s.gaps),
                s.lost,
                plural(s.lost),
                s.undecoded,
                plural(s.undecoded)
            );
            writeln!(self.out, "  {}", self.p(&note, Paint::Dim))?;
        }
        if s.rsv1_without_deflate {
            let hint = "hint: RSV1 is permessage-deflate's \"compressed\" bit; if the connection negotiated permessage-deflate (the handshake is not in this input), decode with --deflate";
            writeln!(self.out, "  {}", self.p(hint, Paint::Dim))?;
        }
        if s.payload_violations > 0 {
            let line = format!(
                "✗ {} message{} break{} the application protocol the subprotocol agreed on{}",
                s.payload_violations,
                plural(s.payload_violations),
                if s.payload_violations == 1 { "s" } else { "" },
                s.payload_first
                    .as_deref()
                    .map_or(String::new(), |p| format!(" (the first: {})", sanitize(p)))
            );
            writeln!(self.out, "  {}", self.p(&line, Paint::Bad))?;
        }
        let n = s.violations;
        if n == 0 && s.unchecked > 0 {
            let line = format!(
                "✓ no violations found, but {} compressed message{} could not be checked: {} back to earlier messages of the connection that the input lacks (context takeover); decode the connection from its start to check {}",
                s.unchecked,
                plural(s.unchecked),
                if s.unchecked == 1 { "it refers" } else { "they refer" },
                if s.unchecked == 1 { "it" } else { "them" },
            );
            return writeln!(self.out, "  {}", self.p(&line, Paint::Dim));
        }
        if s.connections == Some(0) {
            let none = "nothing decoded: no WebSocket connection";
            return writeln!(self.out, "  {}", self.p(none, Paint::Dim));
        }
        if n == 0 && s.gaps > 0 {
            let ok = "✓ no violations in what was decoded (what the gaps hide is not checked)";
            return writeln!(self.out, "  {}", self.p(ok, Paint::Good));
        }
        if n == 0 {
            let ok = "✓ no violations: conforms to RFC 6455";
            return writeln!(self.out, "  {}", self.p(ok, Paint::Good));
        }
        let title = format!("✗ {n} violation{} of RFC 6455:", plural(n));
        writeln!(self.out, "  {}", self.p(&title, Paint::Bad))?;
        for (place, finding) in &s.listed {
            let place = match place {
                Place::Head { offset, what } => format!("{what} (offset {offset})"),
                Place::Frame { index, offset } => format!("frame {index} (offset {offset})"),
                Place::Stream {
                    conn,
                    from,
                    what,
                    index,
                    offset,
                } => match index {
                    Some(i) => format!("#{conn} {} {what} {i} (offset {offset})", from.name()),
                    None => format!("#{conn} {} {what} (offset {offset})", from.name()),
                },
            };
            let message = match finding {
                Finding::Frame(v) => sentence::violation(v),
                Finding::Issue(i) => sentence::issue(i),
                Finding::Head(e) => sentence::head_error(e),
            };
            writeln!(self.out, "    {place}: {}", sanitize(&message))?;
        }
        let listed = s.listed.len() as u64;
        if n > listed {
            writeln!(
                self.out,
                "    … and {} more (each is marked on its frame above)",
                n - listed
            )?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_patterns() {
        assert_eq!(&*pattern(0x81, 0x80), "1... ....");
        assert_eq!(&*pattern(0x81, 0x0f), ".... 0001");
        assert_eq!(&*pattern(0x83, 0x7f), ".000 0011");
        assert_eq!(&*Decimal::new(0), "0");
        assert_eq!(&*Decimal::new(u64::MAX), "18446744073709551615");
    }

    fn render(f: impl FnOnce(&mut TextPrinter<&mut Vec<u8>>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut TextPrinter::new(
            &mut out,
            Palette::default(),
            TextOptions::default(),
        ))
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_page_served_is_one_line_with_the_target_escaped() {
        let meta = Meta {
            conn: Some(3),
            ..Meta::default()
        };
        let served = |target, status| Served {
            peer: "127.0.0.1:5000",
            method: "GET",
            target,
            status,
        };
        assert_eq!(
            render(|p| p.served(&meta, &served("/?x=1", 200))),
            "#3 page 127.0.0.1:5000 \"GET /?x=1\": answered 200 OK (the test page)\n"
        );
        let line = render(|p| p.served(&meta, &served("/\u{1b}[2J\u{202e}", 404)));
        assert_eq!(
            line,
            "#3 page 127.0.0.1:5000 \"GET /\\x1b[2J\\u{202e}\": answered 404 Not Found \
             (the test page is at /)\n"
        );
    }

    #[test]
    fn plain_http_heads_show_their_lines_without_handshake_checks() {
        let raw = b"GET /?q HTTP/1.1\r\nHost: a\r\n\r\n";
        let Ok(crate::protocol::http::HeadParse::Complete { head, len }) =
            crate::protocol::http::parse_request(raw, 1024)
        else {
            panic!("a request")
        };
        let head = Head::Request {
            offset: 0,
            raw: raw[..len].to_vec(),
            request: head,
            issues: Vec::new(),
        };
        let meta = Meta {
            conn: Some(1),
            ..Meta::default()
        };
        assert_eq!(
            render(|p| p.http_head(&meta, &head)),
            "#1 HTTP request · 29 bytes · from the client · no upgrade asked for\n  \
             GET /?q HTTP/1.1\n  Host: a\n\n"
        );
    }
}
