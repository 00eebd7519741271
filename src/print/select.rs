//! Choosing what a printer shows of a decode: only what breaks RFC 6455
//! (`--only violations`), or frames in a range of indexes (`--frames
//! 3..7`). The summary is always shown whole: it counts everything.

use std::io;

use super::{Closed, Meta, Opened, Printer, Refused, Rejected, Relayed, Served};
use crate::protocol::message::MessageRef;
use crate::protocol::payload::read::Shown;
use crate::protocol::stream::{FrameRecord, Gap, Head, Place, Summary};

/// A printer that passes on only the chosen events.
pub struct Select<P> {
    inner: P,
    only_violations: bool,
    frames: Option<(u64, u64)>,
    /// Added to every offset shown: where the input starts in its stream
    /// (a dump from an offset other than 0).
    base: u64,
}

impl<P: Printer> Select<P> {
    /// Shows through `inner` only frames and heads that break a rule (when
    /// `only_violations`), and only frames whose index is in `frames`
    /// (both ends included).
    pub fn new(inner: P, only_violations: bool, frames: Option<(u64, u64)>) -> Self {
        Self {
            inner,
            only_violations,
            frames,
            base: 0,
        }
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

    fn shows(&self, f: &FrameRecord) -> bool {
        (!self.only_violations || !f.violations.is_empty())
            && self
                .frames
                .is_none_or(|(first, last)| (first..=last).contains(&f.index))
    }
}

impl<P: Printer> Printer for Select<P> {
    fn head(&mut self, meta: &Meta, head: &Head) -> io::Result<()> {
        let clean = match head {
            Head::Request { issues, .. } | Head::Response { issues, .. } => issues.is_empty(),
            Head::Invalid { .. } => false,
        };
        if self.only_violations && clean || self.frames.is_some() {
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
        self.inner.http_head(meta, head)
    }

    fn frame(&mut self, meta: &Meta, frame: &FrameRecord) -> io::Result<()> {
        if !self.shows(frame) {
            return Ok(());
        }
        let mut frame = *frame;
        frame.offset += self.base;
        self.inner.frame(meta, &frame)
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
        self.inner.open(meta, o)
    }

    fn message(&mut self, meta: &Meta, m: &MessageRef, view: Option<&Shown>) -> io::Result<()> {
        self.inner.message(meta, m, view)
    }

    fn view(&mut self, meta: &Meta, v: &Shown) -> io::Result<()> {
        if self.only_violations && v.problems.is_empty() || self.frames.is_some() {
            return Ok(());
        }
        self.inner.view(meta, v)
    }

    fn control(&mut self, meta: &Meta, f: &FrameRecord) -> io::Result<()> {
        self.inner.control(meta, f)
    }

    fn closed(&mut self, meta: &Meta, c: &Closed) -> io::Result<()> {
        self.inner.closed(meta, c)
    }

    fn refused(&mut self, meta: &Meta, r: &Refused) -> io::Result<()> {
        self.inner.refused(meta, r)
    }

    fn served(&mut self, meta: &Meta, s: &Served) -> io::Result<()> {
        self.inner.served(meta, s)
    }

    fn tls(&mut self, meta: &Meta, t: &super::TlsShown) -> io::Result<()> {
        self.inner.tls(meta, t)
    }

    fn relayed(&mut self, meta: &Meta, r: &Relayed) -> io::Result<()> {
        self.inner.relayed(meta, r)
    }

    fn rejected(&mut self, meta: &Meta, r: &Rejected) -> io::Result<()> {
        self.inner.rejected(meta, r)
    }

    fn gap(&mut self, meta: &Meta, g: &Gap) -> io::Result<()> {
        if self.only_violations || self.frames.is_some() {
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
