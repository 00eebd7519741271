//! Property tests: any frame the encoder builds decodes back to the same
//! fields and payload, whole or fed one byte at a time.

use proptest::prelude::*;
use wsdbg::protocol::frame::{encode_frame, FrameHeader, HeaderParse, LengthForm};
use wsdbg::protocol::opcode::OpCode;
use wsdbg::protocol::transcript;

fn header_strategy() -> impl Strategy<Value = (FrameHeader, Vec<u8>)> {
    let len = prop_oneof![
        0usize..=125,
        126usize..=300,
        65530usize..=65540,
        Just(70_000usize)
    ];
    (
        any::<bool>(),
        any::<[bool; 3]>(),
        0u8..16,
        proptest::option::of(any::<[u8; 4]>()),
        len,
        any::<u8>(),
    )
        .prop_map(|(fin, rsv, op, mask, len, seed)| {
            let payload: Vec<u8> = (0..len)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                .collect();
            let mut h = FrameHeader::new(fin, OpCode::from_bits(op), mask, len as u64);
            h.rsv = rsv;
            (h, payload)
        })
}

/// Feeds `bytes` one byte at a time: the header must stay Partial, with a
/// truthful count of missing bytes, until the last header byte arrives.
fn parse_bytewise(bytes: &[u8]) -> FrameHeader {
    for have in 0..=bytes.len() {
        match FrameHeader::parse(&bytes[..have]) {
            HeaderParse::Complete(h) => {
                assert_eq!(h.len(), have, "complete exactly when the header is");
                return h;
            }
            HeaderParse::Partial { needed } => {
                assert!(needed >= 1);
                assert!(have + needed <= 14, "a header is at most 14 bytes");
            }
        }
    }
    panic!("header never completed");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn encoded_frames_decode_to_the_same_fields((h, payload) in header_strategy()) {
        let mut wire = Vec::new();
        encode_frame(&h, &payload, &mut wire);
        prop_assert_eq!(h.length_form, LengthForm::minimal(payload.len() as u64));
        prop_assert_eq!(wire.len(), h.len() + payload.len());

        let whole = match FrameHeader::parse(&wire) {
            HeaderParse::Complete(p) => p,
            other => panic!("whole frame parsed as {other:?}"),
        };
        prop_assert_eq!(whole, h);
        prop_assert_eq!(parse_bytewise(&wire), h);

        let t = transcript::read(&wire, None);
        prop_assert_eq!(t.frames.len(), 1);
        let f = &t.frames[0];
        prop_assert_eq!(f.header, Some(h));
        prop_assert_eq!(f.missing, 0);
        prop_assert_eq!(&f.payload, &payload);
        if h.mask.is_some() && !payload.is_empty() {
            prop_assert_ne!(&f.wire_payload, &payload);
        }
    }

    #[test]
    fn streams_of_frames_split_at_frame_boundaries(frames in proptest::collection::vec(header_strategy(), 1..6)) {
        let mut wire = Vec::new();
        let mut offsets = Vec::new();
        for (h, p) in &frames {
            offsets.push(wire.len());
            encode_frame(h, p, &mut wire);
        }
        let t = transcript::read(&wire, None);
        prop_assert_eq!(t.frames.len(), frames.len());
        for ((f, (h, p)), off) in t.frames.iter().zip(&frames).zip(offsets) {
            prop_assert_eq!(f.offset, off);
            prop_assert_eq!(f.header, Some(*h));
            prop_assert_eq!(&f.payload, p);
        }
    }

    /// A frame cut at every byte: each prefix reads as one frame that says
    /// exactly how much is missing, with the payload present so far
    /// unmasked; the whole frame reads complete.
    #[test]
    fn every_prefix_of_a_frame_reads_as_truncated((h, payload) in header_strategy().prop_filter("small", |(_, p)| p.len() <= 140)) {
        let mut wire = Vec::new();
        encode_frame(&h, &payload, &mut wire);
        for cut in 1..=wire.len() {
            let t = transcript::read(&wire[..cut], None);
            prop_assert_eq!(t.frames.len(), 1);
            let f = &t.frames[0];
            if cut < h.len() {
                prop_assert!(f.header.is_none());
                prop_assert!(f.missing >= 1 && cut as u64 + f.missing <= h.len() as u64);
            } else {
                prop_assert_eq!(f.header, Some(h));
                prop_assert_eq!(f.missing, (wire.len() - cut) as u64);
                prop_assert_eq!(&f.payload[..], &payload[..cut - h.len()]);
            }
            prop_assert_eq!(f.missing == 0, cut == wire.len());
        }
    }

    #[test]
    fn any_bytes_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let t = transcript::read(&bytes, None);
        prop_assert_eq!(t.summary.frames, t.frames.len());
        let consumed: usize = t.frames.iter().map(|f| f.present()).sum::<usize>()
            + t.heads.iter().map(|h| match h {
                transcript::Head::Request { raw, .. } | transcript::Head::Response { raw, .. } => raw.len(),
                transcript::Head::Invalid { .. } => 0,
            }).sum::<usize>();
        prop_assert!(consumed <= bytes.len());
    }
}
