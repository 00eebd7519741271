//! TCP reassembly of one direction of a connection: segments in, the
//! stream's bytes out in order, with retransmissions dropped, segments that
//! came early held until the bytes before them arrive, and bytes the
//! capture lacks said as a gap of their size, never made up.
//!
//! A hole is declared a gap when it cannot fill any more: the receiver
//! acknowledged bytes past it (it had them, so they will not be sent
//! again), the stream ended, or the segments held behind it reach
//! [`MAX_HELD`] bytes.

use std::collections::BTreeMap;

/// Most bytes held out of order behind a hole before it is declared a gap.
pub const MAX_HELD: usize = 8 << 20;

/// What the stream delivers, in order.
#[derive(Debug)]
pub enum Chunk<'a> {
    /// The next bytes of the stream.
    Data(&'a mut [u8]),
    /// The next `n` bytes are missing from the capture.
    Gap(u64),
}

/// One direction's reassembly. Offsets count stream bytes from the first
/// one seen (after the SYN when the SYN was captured).
#[derive(Debug, Default)]
pub struct Half {
    /// Sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// Whether the stream was seen from its SYN.
    pub from_syn: bool,
    /// Offset of the next byte to deliver.
    next: u64,
    /// Segments that came early, by offset.
    held: BTreeMap<u64, Vec<u8>>,
    held_bytes: usize,
    /// Offset of the FIN, once seen.
    fin: Option<u64>,
    /// A RST was seen, or the FIN was reached.
    pub ended: bool,
}

impl Half {
    /// Offset of `seq` relative to the next byte expected: sequence
    /// numbers wrap, so a segment is placed within 2 GiB either side.
    fn offset_of(&self, base: u32, seq: u32) -> i128 {
        let next_seq = base.wrapping_add(self.next as u32);
        i128::from(self.next) + i128::from(seq.wrapping_sub(next_seq) as i32)
    }

    /// Bytes delivered or declared missing so far.
    pub fn delivered(&self) -> u64 {
        self.next
    }

    /// Whether a segment was seen (the stream's start is placed).
    pub fn started(&self) -> bool {
        self.base.is_some()
    }

    /// Bytes held out of order.
    pub fn held(&self) -> usize {
        self.held_bytes
    }

    /// Takes a segment sent this way: its payload (`cut` more bytes were
    /// on the wire than captured), SYN and FIN. Delivers what is now in
    /// order to `out`, copying a payload that arrives in order through
    /// `scratch` (reused, so there is no allocation per packet).
    #[allow(clippy::too_many_arguments)]
    pub fn segment<E>(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        cut: u32,
        scratch: &mut Vec<u8>,
        out: &mut impl FnMut(Chunk<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let base = match self.base {
            Some(b) => b,
            None => {
                self.base = Some(data_seq);
                self.from_syn = syn;
                data_seq
            }
        };
        let start = self.offset_of(base, data_seq);
        let len = payload.len() as u64 + u64::from(cut);
        if fin {
            let end = start + i128::from(len);
            if end >= 0 {
                self.fin = Some(end as u64);
            }
        }
        if len == 0 || start + i128::from(len) <= i128::from(self.next) {
            // Nothing new: an ACK, or a retransmission of delivered bytes.
            return self.check_end();
        }
        if start <= i128::from(self.next) {
            let skip = (i128::from(self.next) - start) as u64;
            if skip < payload.len() as u64 {
                scratch.clear();
                scratch.extend_from_slice(&payload[skip as usize..]);
                self.next += scratch.len() as u64;
                out(Chunk::Data(scratch))?;
            }
            if cut > 0 {
                // Past `next`, so not negative, whatever `start` was.
                let end = (start + i128::from(len)) as u64;
                let missing = end - self.next;
                self.next = end;
                out(Chunk::Gap(missing))?;
            }
            self.drain(out)?;
        } else {
            // A part cut by the snapshot length stays a hole, declared
            // a gap like any other.
            self.hold(start as u64, payload);
            if self.held_bytes > MAX_HELD {
                self.fill_to(u64::MAX, out)?;
            }
        }
        self.check_end()
    }

    /// The receiver acknowledged everything before `ack`: a hole before
    /// it will not be filled, so it is a gap.
    pub fn acknowledged<E>(
        &mut self,
        ack: u32,
        out: &mut impl FnMut(Chunk<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(base) = self.base else {
            return Ok(());
        };
        let mut upto = self.offset_of(base, ack);
        if let Some(fin) = self.fin {
            // The FIN takes a sequence number of its own.
            upto = upto.min(i128::from(fin));
        }
        // An acknowledgment far ahead is not believed: no receiver takes
        // a gigabyte at once.
        if upto <= i128::from(self.next) || upto - i128::from(self.next) > (1 << 30) {
            return Ok(());
        }
        self.fill_to(upto as u64, out)?;
        let _ = self.check_end::<E>();
        Ok(())
    }

    /// The capture ended: every hole is a gap.
    pub fn finish<E>(&mut self, out: &mut impl FnMut(Chunk<'_>) -> Result<(), E>) -> Result<(), E> {
        self.fill_to(u64::MAX, out)
    }

    fn check_end<E>(&mut self) -> Result<(), E> {
        if self.fin.is_some_and(|f| self.next >= f) {
            self.ended = true;
        }
        Ok(())
    }

    fn hold(&mut self, at: u64, payload: &[u8]) {
        if payload.is_empty() {
            return;
        }
        let keep = self.held.get(&at).is_none_or(|h| h.len() < payload.len());
        if keep {
            let old = self
                .held
                .insert(at, payload.to_vec())
                .map_or(0, |h| h.len());
            self.held_bytes = self.held_bytes + payload.len() - old;
        }
    }

    /// Delivers the held segments that are now in order.
    fn drain<E>(&mut self, out: &mut impl FnMut(Chunk<'_>) -> Result<(), E>) -> Result<(), E> {
        while let Some(entry) = self.held.first_entry() {
            let at = *entry.key();
            if at > self.next {
                break;
            }
            let mut bytes = entry.remove();
            self.held_bytes -= bytes.len();
            let end = at + bytes.len() as u64;
            if end <= self.next {
                continue;
            }
            let skip = (self.next - at) as usize;
            self.next = end;
            out(Chunk::Data(&mut bytes[skip..]))?;
        }
        Ok(())
    }

    /// Declares holes before `upto` (or before every held segment) gaps,
    /// delivering the held segments between them.
    fn fill_to<E>(
        &mut self,
        upto: u64,
        out: &mut impl FnMut(Chunk<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        loop {
            self.drain(out)?;
            let next_held = self.held.keys().next().copied();
            let hole_end = match next_held {
                Some(at) if at <= upto => at,
                _ if upto == u64::MAX => break,
                _ => upto,
            };
            if hole_end <= self.next {
                break;
            }
            out(Chunk::Gap(hole_end - self.next))?;
            self.next = hole_end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a half delivers: data as bytes, gaps as their sizes.
    #[derive(Debug, PartialEq, Eq)]
    enum Got {
        D(Vec<u8>),
        G(u64),
    }

    impl Got {
        fn of(c: Chunk) -> Self {
            match c {
                Chunk::Data(d) => Got::D(d.to_vec()),
                Chunk::Gap(n) => Got::G(n),
            }
        }
    }

    struct Run {
        half: Half,
        scratch: Vec<u8>,
        got: Vec<Got>,
    }

    impl Run {
        fn new() -> Self {
            Self {
                half: Half::default(),
                scratch: Vec::new(),
                got: Vec::new(),
            }
        }

        fn seg(&mut self, seq: u32, payload: &[u8]) -> &mut Self {
            self.seg_with(seq, false, false, payload, 0)
        }

        fn seg_with(
            &mut self,
            seq: u32,
            syn: bool,
            fin: bool,
            payload: &[u8],
            cut: u32,
        ) -> &mut Self {
            let got = &mut self.got;
            self.half
                .segment(seq, syn, fin, payload, cut, &mut self.scratch, &mut |c| {
                    got.push(Got::of(c));
                    Ok::<(), ()>(())
                })
                .unwrap();
            self
        }

        fn ack(&mut self, ack: u32) -> &mut Self {
            let got = &mut self.got;
            self.half
                .acknowledged(ack, &mut |c| {
                    got.push(Got::of(c));
                    Ok::<(), ()>(())
                })
                .unwrap();
            self
        }

        fn finish(&mut self) -> &mut Self {
            let got = &mut self.got;
            self.half
                .finish(&mut |c| {
                    got.push(Got::of(c));
                    Ok::<(), ()>(())
                })
                .unwrap();
            self
        }
    }

    fn d(b: &[u8]) -> Got {
        Got::D(b.to_vec())
    }

    #[test]
    fn in_order_retransmitted_and_out_of_order_segments() {
        let mut r = Run::new();
        r.seg_with(99, true, false, b"", 0)
            .seg(100, b"abc")
            .seg(100, b"abc") // retransmitted
            .seg(106, b"ghi") // early
            .seg(103, b"def") // fills the hole
            .seg(104, b"efgh") // overlaps what was delivered
            .seg(109, b"j");
        assert_eq!(r.got, [d(b"abc"), d(b"def"), d(b"ghi"), d(b"j")]);
        assert!(r.half.from_syn);
    }

    #[test]
    fn a_hole_acknowledged_by_the_receiver_is_a_gap_of_its_size() {
        let mut r = Run::new();
        r.seg(1000, b"ab").seg(1010, b"xyz");
        assert_eq!(r.got, [d(b"ab")]);
        // The receiver had bytes up to 1013: the 8 between were lost to
        // the capture, not to the network.
        r.ack(1013);
        assert_eq!(r.got, [d(b"ab"), Got::G(8), d(b"xyz")]);
        // A tail acknowledged but never captured.
        r.ack(1020);
        assert_eq!(r.got.last(), Some(&Got::G(7)));
        assert_eq!(r.half.delivered(), 20);
    }

    #[test]
    fn the_end_of_the_capture_declares_the_holes_left() {
        let mut r = Run::new();
        r.seg(0xffff_fffe, b"ab").seg(4, b"c").finish();
        // Sequence numbers wrap: 0xfffffffe + 2 is 0, so 4 bytes missing.
        assert_eq!(r.got, [d(b"ab"), Got::G(4), d(b"c")]);
    }

    #[test]
    fn a_payload_cut_by_the_snapshot_length_is_a_gap_at_once() {
        let mut r = Run::new();
        r.seg_with(0, false, false, b"ab", 5).seg(7, b"z");
        assert_eq!(r.got, [d(b"ab"), Got::G(5), d(b"z")]);
    }

    #[test]
    fn fin_ends_the_direction_once_reached() {
        let mut r = Run::new();
        r.seg(0, b"a").seg_with(2, false, true, b"c", 0);
        assert!(!r.half.ended);
        r.seg(1, b"b");
        assert!(r.half.ended);
        assert_eq!(r.got, [d(b"a"), d(b"b"), d(b"c")]);
    }

    #[test]
    fn held_bytes_are_bounded() {
        let mut r = Run::new();
        r.seg(0, b"a");
        let big = vec![7u8; 1 << 20];
        for i in 0..9u32 {
            r.seg(10 + i * (1 << 20), &big);
        }
        // Past the bound the hole is given up on: 9 bytes missing.
        assert_eq!(r.got[1], Got::G(9));
        assert!(r.half.held_bytes <= MAX_HELD);
    }
}
