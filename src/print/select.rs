//! Choosing what a printer shows: one side, one kind of message, what
//! breaks a rule (`--only`), messages whose text or decoded view matches
//! (`--grep`), one connection (`--conn`), or frames in a range of indexes
//! (`--frames 3..7`). The summary is always shown whole: it counts
//! everything, the events not shown included.

use std::io;

use super::{Closed, Meta, Opened, Printer, Refused, Rejected, Relayed, Served};
use crate::protocol::message::{MessageKind, MessageRef};
use crate::protocol::payload::read::{Shown, Value};
use crate::protocol::stream::{Extent, FrameRecord, Gap, Head, Place, Summary};
use crate::protocol::transcript::OwnedFrame;
use crate::protocol::Role;

/// What `--only` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// What the client sent.
    Client,
    /// What the server sent.
    Server,
    /// Text messages.
    Text,
    /// Binary messages.
    Binary,
    /// Control frames (close, ping, pong).
    Control,
    /// What breaks RFC 6455, or the protocol of the payload view.
    Violations,
}

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `--only`.
    pub only: Option<Only>,
    /// `--grep`: on a message's text, or its decoded view.
    pub grep: Option<regex::Regex>,
    /// `--conn`: one connection.
    pub conn: Option<u64>,
    /// `--frames`: frame indexes, both ends included.
    pub frames: Option<(u64, u64)>,
}

impl Filter {
    /// Whether it lets everything through.
    pub fn is_empty(&self) -> bool {
        self.only.is_none() && self.grep.is_none() && self.conn.is_none() && self.frames.is_none()
    }

    fn conn_ok(&self, meta: &Meta) -> bool {
        match (self.conn, meta.conn) {
            (Some(want), Some(c)) => want == c,
            _ => true,
        }
    }

    /// Whether a data message from `from` is shown.
    fn keeps_message(
        &self,
        meta: &Meta,
        from: Option<Role>,
        kind: MessageKind,
        data: &[u8],
        broken: bool,
        view: Option<&Shown>,
    ) -> bool {
        if !self.conn_ok(meta) {
            return false;
        }
        let only = match self.only {
            None => true,
            Some(Only::Client) => from == Some(Role::Client),
            Some(Only::Server) => from == Some(Role::Server),
            Some(Only::Text) => kind == MessageKind::Text,
            Some(Only::Binary) => kind == MessageKind::Binary,
            Some(Only::Control) => false,
            Some(Only::Violations) => broken || view.is_some_and(|v| !v.problems.is_empty()),
        };
        only && self.grep.as_ref().is_none_or(|re| {
            re.is_match(&String::from_utf8_lossy(data))
                || view.is_some_and(|v| re.is_match(&view_text(v)))
        })
    }

    /// Whether a control frame from `from` is shown.
    fn keeps_control(&self, meta: &Meta, from: Option<Role>, f: &FrameRecord) -> bool {
        if !self.conn_ok(meta) {
            return false;
        }
        let only = match self.only {
            None | Some(Only::Control) => true,
            Some(Only::Client) => from == Some(Role::Client),
            Some(Only::Server) => from == Some(Role::Server),
            Some(Only::Text | Only::Binary) => false,
            Some(Only::Violations) => !f.violations.is_empty(),
        };
        only && self
            .grep
            .as_ref()
            .is_none_or(|re| re.is_match(&String::from_utf8_lossy(f.payload)))
    }

    /// Whether a frame's index is in `--frames`.
    fn in_range(&self, f: &FrameRecord) -> bool {
        self.frames
            .is_none_or(|(first, last)| (first..=last).contains(&f.index))
    }
}

/// A view in plain words, for `--grep`: titles, fields and problems, JSON
/// on one line.
pub fn view_text(v: &Shown) -> String {
    let mut s = String::new();
    for p in &v.parts {
        s.push_str(&p.title);
        s.push('\n');
        for (name, value) in &p.fields {
            s.push_str(name);
            s.push_str(": ");
            match value {
                Value::Text(t) => s.push_str(t),
                Value::Num(n) => s.push_str(&n.to_string()),
                Value::Json(j) => s.push_str(&String::from_utf8_lossy(j)),
                Value::Bytes(b) => s.push_str(&super::hex_spaced(b)),
            }
            s.push('\n');
        }
    }
    for p in &v.problems {
        s.push_str(p);
        s.push('\n');
    }
    s
}

/// What a [`Select`] keeps between events: the frames of messages not
/// yet whole. A live connection keeps it between the printers it makes.
#[derive(Debug, Clone, Default)]
pub struct Held {
    frames: Vec<(Meta, OwnedFrame)>,
}

/// A printer that passes on only the chosen events.
pub struct Select<P> {
    inner: P,
    filter: Filter,
    held: Held,
    /// Added to every offset shown: where the input starts in its stream
    /// (a dump from an offset other than 0).
    base: u64,
}

impl<P: Printer> Select<P> {
    /// Shows through `inner` only what `filter` keeps.
    pub fn new(inner: P, filter: Filter) -> Self {
        Self::resume(inner, filter, Held::default())
    }

    /// As [`Select::new`], with the frames held by an earlier `Select` of
    /// the same stream ([`Select::into_held`]).
    pub fn resume(inner: P, filter: Filter, held: Held) -> Self {
        Self {
            inner,
            filter,
            held,
            base: 0,
        }
    }

    /// The frames held, for the next `Select` of the stream.
    pub fn into_held(self) -> Held {
        self.held
    }

    /// Shows offsets counted from `base` (the input's first byte is at
    /// `base` in its stream) rather than from 0.
    pub fn from_offset(mut self, base: u64) -> Self {
        self.base = base;
        self
    }

    fn shifted(&self, place: Place) -> Place {
        match place {
            Place::Head { offset, what } => Place::Head {
                offset: offset + self.base,
                what,
            },
            Place::Frame { index, offset } => Place::Frame {
                index,
                offset: offset + self.base,
            },
            other => other,
        }
    }

    fn pass_frame(
        &mut self,
        meta: &Meta,
        frame: &FrameRecord,
        view: Option<&Shown>,
    ) -> io::Result<()> {
        if !self.filter.in_range(frame) {
            return Ok(());
        }
        let mut frame = *frame;
        frame.offset += self.base;
        self.inner.frame_with(meta, &frame, view)
    }

    /// Who sent a frame: as the event says, else as its mask says.
    fn sender(meta: &Meta, f: &FrameRecord) -> Option<Role> {
        meta.from.or_else(|| {
            f.header.map(|h| {
                if h.mask.is_some() {
                    Role::Client
                } else {
                    Role::Server
                }
            })
        })
    }
}

impl<P: Printer> Printer for Select<P> {
    fn head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        let clean = match head {
            Head::Request { issues, .. } | Head::Response { issues, .. } => issues.is_empty(),
            Head::Invalid { .. } => false,
        };
        let only = self.filter.only;
        let shown = self.filter.conn_ok(meta)
            && self.filter.frames.is_none()
            && self.filter.grep.is_none()
            && match only {
                None => true,
                Some(Only::Violations) => !clean,
                Some(Only::Client) => meta.from != Some(Role::Server),
                Some(Only::Server) => meta.from != Some(Role::Client),
                Some(Only::Text | Only::Binary | Only::Control) => false,
            };
        if !shown {
            return Ok(());
        }
        if self.base == 0 {
            return self.inner.head(meta, head);
        }
        let mut head = head.clone();
        match &mut head {
            Head::Request { offset, .. }
            | Head::Response { offset, .. }
            | Head::Invalid { offset, .. } => *offset += self.base,
        }
        self.inner.head(meta, &head)
    }

    fn http_head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        if !self.filter.conn_ok(meta) || self.filter.only.is_some() || self.filter.grep.is_some() {
            return Ok(());
        }
        self.inner.http_head(meta, head)
    }

    fn frame(&mut self, meta: &Meta, frame: &FrameRecord) -> io::Result<()> {
        self.frame_with(meta, frame, None)
    }

    fn frame_with(&mut self, meta: &Meta, f: &FrameRecord, view: Option<&Shown>) -> io::Result<()> {
        if self.filter.is_empty() {
            return self.pass_frame(meta, f, view);
        }
        let from = Self::sender(meta, f);
        let control = f.header.is_some_and(|h| h.opcode.is_control());
        if control || f.header.is_none() {
            let keep = if control {
                self.filter.keeps_control(meta, from, f)
            } else {
                // A header cut short: no kind, no message; shown unless
                // only a kind of message or a match is asked for.
                self.filter.conn_ok(meta)
                    && !matches!(
                        self.filter.only,
                        Some(Only::Text | Only::Binary | Only::Control)
                    )
                    && self.filter.grep.is_none()
            };
            return if keep {
                self.pass_frame(meta, f, view)
            } else {
                Ok(())
            };
        }
        let same = |(m, _): &(Meta, OwnedFrame)| m.conn == meta.conn && m.from == meta.from;
        let Some(m) = f.message else {
            let Some(fragment) = f.fragment else {
                return Ok(());
            };
            if self.filter.grep.is_some() && f.extent == Extent::Complete && !fragment.last {
                // Whether it is shown depends on the rest of its message.
                self.held.frames.push((*meta, OwnedFrame::from_record(f)));
                return Ok(());
            }
            // A frame that ends without a message (cut short, or one
            // whose message failed): judged on what it is.
            let broken = !f.violations.is_empty();
            let keep =
                self.filter
                    .keeps_message(meta, from, fragment.kind, f.payload, broken, None);
            let held: Vec<_> = self.held.frames.extract_if(.., |h| same(h)).collect();
            if keep {
                for (m, h) in &held {
                    self.pass_frame(m, &h.record(), None)?;
                }
                self.pass_frame(meta, f, view)?;
            }
            return Ok(());
        };
        let held: Vec<_> = self.held.frames.extract_if(.., |h| same(h)).collect();
        let broken = !f.violations.is_empty() || held.iter().any(|(_, h)| !h.violations.is_empty());
        if !self
            .filter
            .keeps_message(meta, from, m.kind, m.data, broken, view)
        {
            return Ok(());
        }
        for (m, h) in &held {
            self.pass_frame(m, &h.record(), None)?;
        }
        self.pass_frame(meta, f, view)
    }

    fn summary(&mut self, s: &Summary, read_as: &str) -> io::Result<()> {
        if self.base == 0 {
            return self.inner.summary(s, read_as);
        }
        let mut s = s.clone();
        for (place, _) in &mut s.listed {
            *place = self.shifted(*place);
        }
        self.inner.summary(&s, read_as)
    }

    fn accept_steps(&mut self, meta: &Meta, key: &str) -> io::Result<()> {
        self.inner.accept_steps(meta, key)
    }

    fn open(&mut self, meta: &Meta, o: &Opened) -> io::Result<()> {
        if !self.filter.conn_ok(meta) {
            return Ok(());
        }
        self.inner.open(meta, o)
    }

    fn message(&mut self, meta: &Meta, m: &MessageRef, view: Option<&Shown>) -> io::Result<()> {
        let broken = m.kind == MessageKind::Text && !m.valid_utf8;
        if !self
            .filter
            .keeps_message(meta, meta.from, m.kind, m.data, broken, view)
        {
            return Ok(());
        }
        self.inner.message(meta, m, view)
    }

    fn view(&mut self, meta: &Meta, v: &Shown) -> io::Result<()> {
        let f = &self.filter;
        let shown = f.conn_ok(meta)
            && f.frames.is_none()
            && (f.only != Some(Only::Violations) || !v.problems.is_empty())
            && f.grep.as_ref().is_none_or(|re| re.is_match(&view_text(v)));
        if !shown {
            return Ok(());
        }
        self.inner.view(meta, v)
    }

    fn control(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        if !self.filter.keeps_control(meta, Self::sender(meta, f), f) {
            return Ok(());
        }
        self.inner.control(meta, f)
    }

    fn closed(&mut self, meta: &Meta, c: &Closed) -> io::Result<()> {
        if !self.filter.conn_ok(meta) {
            return Ok(());
        }
        self.inner.closed(meta, c)
    }

    fn refused(&mut self, meta: &Meta, r: &Refused) -> io::Result<()> {
        if !self.filter.conn_ok(meta) {
            return Ok(());
        }
        self.inner.refused(meta, r)
    }

    fn served(&mut self, meta: &Meta, s: &Served) -> io::Result<()> {
        if !self.filter.conn_ok(meta) {
            return Ok(());
        }
        self.inner.served(meta, s)
    }

    fn tls(&mut self, meta: &Meta, t: &super::TlsShown) -> io::Result<()> {
        if !self.filter.conn_ok(meta) {
            return Ok(());
        }
        self.inner.tls(meta, t)
    }

    fn relayed(&mut self, meta: &Meta, r: &Relayed) -> io::Result<()> {
        if !self.filter.conn_ok(meta) {
            return Ok(());
        }
        self.inner.relayed(meta, r)
    }

    fn rejected(&mut self, meta: &Meta, r: &Rejected) -> io::Result<()> {
        if !self.filter.conn_ok(meta) {
            return Ok(());
        }
        self.inner.rejected(meta, r)
    }

    fn gap(&mut self, meta: &Meta, g: &Gap) -> io::Result<()> {
        let f = &self.filter;
        if !f.conn_ok(meta) || f.only.is_some() || f.frames.is_some() || f.grep.is_some() {
            return Ok(());
        }
        self.inner.gap(meta, g)
    }

    fn case(&mut self, r: &super::check::CaseResult) -> io::Result<()> {
        self.inner.case(r)
    }

    fn check_summary(&mut self, s: &super::check::CheckSummary) -> io::Result<()> {
        self.inner.check_summary(s)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::json::JsonPrinter;
    use crate::print::{decode_all, Opened};
    use crate::protocol::payload::read::Reading;
    use crate::protocol::payload::View;
    use crate::protocol::stream::Config;

    /// "abc" + "def" in two fragments with a ping between, then "hi".
    const STREAM: &[u8] = &[
        0x01, 3, b'a', b'b', b'c', 0x89, 0, 0x80, 3, b'd', b'e', b'f', 0x81, 2, b'h', b'i',
    ];

    /// The indexes of the frames shown, and the views shown, through
    /// `filter`.
    fn shown(filter: Filter, bytes: &[u8], view: Option<View>) -> (Vec<u64>, usize) {
        let mut out = Vec::new();
        let mut bytes = bytes.to_vec();
        let p = Select::new(JsonPrinter::new(&mut out), filter);
        decode_all(p, Config::default(), &mut bytes, "test", Reading::new(view)).unwrap();
        let events: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let frames = events
            .iter()
            .filter(|e| e["type"] == "frame")
            .map(|e| e["data"]["index"].as_u64().unwrap())
            .collect();
        let views = events.iter().filter(|e| e["type"] == "view").count();
        (frames, views)
    }

    fn grep(re: &str) -> Filter {
        Filter {
            grep: Some(regex::Regex::new(re).unwrap()),
            ..Filter::default()
        }
    }

    fn only(o: Only) -> Filter {
        Filter {
            only: Some(o),
            ..Filter::default()
        }
    }

    #[test]
    fn grep_shows_a_whole_fragmented_message_or_none_of_it() {
        assert_eq!(shown(Filter::default(), STREAM, None).0, [1, 2, 3, 4]);
        assert_eq!(shown(grep("cd"), STREAM, None).0, [1, 3]);
        assert_eq!(shown(grep("ab"), STREAM, None).0, [1, 3]);
        assert_eq!(shown(grep("^hi$"), STREAM, None).0, [4]);
        assert!(shown(grep("nothing"), STREAM, None).0.is_empty());
    }

    #[test]
    fn only_keeps_a_side_or_a_kind() {
        assert_eq!(shown(only(Only::Control), STREAM, None).0, [2]);
        assert_eq!(shown(only(Only::Text), STREAM, None).0, [1, 3, 4]);
        assert!(shown(only(Only::Binary), STREAM, None).0.is_empty());
        // Unmasked: the server's frames.
        assert!(shown(only(Only::Client), STREAM, None).0.is_empty());
        assert_eq!(shown(only(Only::Server), STREAM, None).0, [1, 2, 3, 4]);
        let range = Filter {
            frames: Some((2, 3)),
            ..Filter::default()
        };
        assert_eq!(shown(range, STREAM, None).0, [2, 3]);
    }

    #[test]
    fn grep_and_only_violations_read_the_decoded_view() {
        let rpc = br#"{"jsonrpc":"2.0","method":"sum","id":1}"#;
        let mut frame = vec![0x81, rpc.len() as u8];
        frame.extend_from_slice(rpc);
        assert_eq!(shown(grep("method: sum"), &frame, None), (vec![1], 1));
        assert_eq!(shown(grep("method: mul"), &frame, None), (vec![], 0));
        // Clean JSON has nothing wrong; JSON cut short has.
        assert_eq!(shown(only(Only::Violations), &frame, None), (vec![], 0));
        let cut = [0x81, 4, b'{', b'"', b'a', b'"'];
        assert_eq!(
            shown(only(Only::Violations), &cut, Some(View::Json)),
            (vec![1], 1)
        );
        assert!(view_text(&Reading::new(Some(View::Json)).read(
            Role::Client,
            MessageKind::Text,
            b"[1]",
            None
        ))
        .contains("value: [1]"));
    }

    #[test]
    fn conn_keeps_one_connection_s_events() {
        let mut out = Vec::new();
        let mut p = Select::new(
            JsonPrinter::new(&mut out),
            Filter {
                conn: Some(2),
                ..Filter::default()
            },
        );
        let o = Opened {
            peer: "p",
            server: None,
            target: "/",
            protocol: None,
        };
        for conn in [1, 2, 3] {
            let meta = Meta {
                conn: Some(conn),
                ..Meta::default()
            };
            p.open(&meta, &o).unwrap();
        }
        drop(p);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains(r#""conn":2"#), "{text}");
    }
}
