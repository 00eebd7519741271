//! Property tests: any frame the encoder builds decodes back to the same
//! fields and payload, whole or fed one byte at a time; and the stream
//! decoder gives the same events however its input is split.

use proptest::prelude::*;
use wsdbg::protocol::deflate::DeflateParams;
use wsdbg::protocol::frame::{encode_frame, FrameHeader, HeaderParse, LengthForm};
use wsdbg::protocol::message::Message;
use wsdbg::protocol::opcode::OpCode;
use wsdbg::protocol::stream::{Config, Decoder, Event, Extent, FrameStart, Head, Summary};
use wsdbg::protocol::transcript::{self, OwnedFrame};
use wsdbg::protocol::violation::Violation;
use wsdbg::protocol::Role;

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
        prop_assert_eq!(f.missing(), 0);
        prop_assert_eq!(&f.payload, &payload);
        prop_assert_eq!(&f.wire_payload()[..], &wire[h.len()..]);
        if h.mask.is_some() && !payload.is_empty() {
            prop_assert_ne!(&f.wire_payload(), &payload);
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
            prop_assert_eq!(f.offset, off as u64);
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
                prop_assert!(f.missing() >= 1 && cut as u64 + f.missing() <= h.len() as u64);
            } else {
                prop_assert_eq!(f.header, Some(h));
                prop_assert_eq!(f.missing(), (wire.len() - cut) as u64);
                prop_assert_eq!(&f.payload[..], &payload[..cut - h.len()]);
            }
            prop_assert_eq!(f.missing() == 0, cut == wire.len());
        }
    }

    #[test]
    fn any_bytes_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let t = transcript::read(&bytes, None);
        prop_assert_eq!(t.summary.frames, t.frames.len() as u64);
        let consumed: usize = t.frames.iter().map(|f| f.header_bytes.len() + f.payload.len()).sum::<usize>()
            + t.heads.iter().map(|h| match h {
                Head::Request { raw, .. } | Head::Response { raw, .. } => raw.len(),
                Head::Invalid { .. } => 0,
            }).sum::<usize>();
        prop_assert!(consumed <= bytes.len());
    }
}

/// An event with its bytes owned; consecutive payload chunks are joined, so
/// that only where the input was split can differ, and that is erased.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Head(Head),
    FrameStart(FrameStart),
    Payload(Vec<u8>),
    Violation(Violation),
    Frame(OwnedFrame),
    Message(Message),
}

/// Feeds `bytes` cut at `cuts` (sorted offsets) and returns the events and
/// the summary.
fn decode_split(bytes: &[u8], cuts: &[usize], config: Config) -> (Vec<Owned>, Summary) {
    decode_split_with(bytes, cuts, config, false)
}

/// As [`decode_split`]; with `rooms`, payload the decoder lends room for is
/// read into that room instead of fed.
fn decode_split_with(
    bytes: &[u8],
    cuts: &[usize],
    config: Config,
    rooms: bool,
) -> (Vec<Owned>, Summary) {
    let mut decoder = Decoder::new(config);
    let mut events: Vec<Owned> = Vec::new();
    let mut sink = |ev: Event<'_>| -> Result<(), ()> {
        let owned = match ev {
            Event::Head(h) => Owned::Head(h.clone()),
            Event::FrameStart(s) => Owned::FrameStart(s.clone()),
            Event::Payload(p) => {
                if let Some(Owned::Payload(prev)) = events.last_mut() {
                    prev.extend_from_slice(p);
                    return Ok(());
                }
                Owned::Payload(p.to_vec())
            }
            Event::Violation(v) => Owned::Violation(v.clone()),
            Event::Frame(f) => Owned::Frame(OwnedFrame::from_record(f)),
            Event::Message(m) => Owned::Message(m.to_owned()),
            // Only a capture's decoder is told of gaps; none here.
            Event::Gap(g) => panic!("a gap without one fed: {g:?}"),
        };
        // An empty payload chunk carries nothing.
        if owned != Owned::Payload(Vec::new()) {
            events.push(owned);
        }
        Ok(())
    };
    let mut buf = bytes.to_vec();
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let cut = cut.clamp(at, bytes.len());
        if rooms {
            // Where the decoder lends room, the bytes go there (as a socket
            // read would put them), up to the next cut.
            while at < cut {
                match decoder.take_room(cut - at) {
                    Some(mut room) => {
                        let dest = room.bytes_mut();
                        let n = dest.len().min(cut - at);
                        dest[..n].copy_from_slice(&bytes[at..at + n]);
                        decoder.feed_room(room, n, &mut sink).unwrap();
                        at += n;
                    }
                    None => {
                        // Up to the next frame boundary is unknown here:
                        // feed one byte, then ask again.
                        decoder.feed(&mut buf[at..at + 1], &mut sink).unwrap();
                        at += 1;
                    }
                }
            }
        } else {
            decoder.feed(&mut buf[at..cut], &mut sink).unwrap();
        }
        at = cut;
    }
    decoder.finish(&mut sink).unwrap();
    (events, decoder.summary().clone())
}

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

/// Frames that exercise the stream rules: fragments, control frames in
/// between, text with bad UTF-8 split anywhere, compressed messages,
/// closes, reserved bits and opcodes.
fn frame_strategy() -> impl Strategy<Value = Vec<u8>> {
    let payload = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        Just("κόσμε".as_bytes().to_vec()),
        Just(vec![
            0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80,
            b'x'
        ]),
        Just(vec![0x03, 0xe8, b'o', b'k']),
        Just(vec![0x03, 0xed]),
        Just(vec![0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]),
        Just(vec![0x41; 300]),
    ];
    (
        any::<bool>(),
        prop_oneof![Just(false), Just(false), Just(true)],
        prop_oneof![
            Just(0u8),
            Just(1),
            Just(2),
            Just(8),
            Just(9),
            Just(10),
            Just(3)
        ],
        proptest::option::of(any::<[u8; 4]>()),
        payload,
    )
        .prop_map(|(fin, rsv1, op, mask, payload)| {
            let mut h = FrameHeader::new(fin, OpCode::from_bits(op), mask, payload.len() as u64);
            h.rsv[0] = rsv1;
            let mut wire = Vec::new();
            encode_frame(&h, &payload, &mut wire);
            wire
        })
}

fn stream_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<usize>, Config)> {
    (
        prop_oneof![Just(0u8), Just(1), Just(2), Just(3)],
        proptest::collection::vec(frame_strategy(), 0..8),
        proptest::option::of(0usize..4000),
        proptest::collection::vec(0usize..4000, 0..12),
        prop_oneof![
            Just(None),
            Just(Some(Role::Client)),
            Just(Some(Role::Server))
        ],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(heads, frames, cut_at, mut cuts, from, deflate, stop)| {
            let mut bytes = Vec::new();
            if heads & 1 != 0 {
                bytes.extend_from_slice(REQUEST);
            }
            if heads & 2 != 0 {
                bytes.extend_from_slice(RESPONSE);
            }
            for f in frames {
                bytes.extend_from_slice(&f);
            }
            if let Some(c) = cut_at {
                bytes.truncate(c.min(bytes.len()));
            }
            cuts.sort_unstable();
            let config = Config {
                from,
                deflate: deflate.then(DeflateParams::default),
                stop_at_violation: stop,
                stop_after_close: stop,
                ..Config::default()
            };
            (bytes, cuts, config)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The gate of the stream decoder: whole, one byte at a time, and cut
    /// at random places, the same bytes give the same events.
    #[test]
    fn same_events_however_the_input_is_split((bytes, cuts, config) in stream_strategy()) {
        let whole = decode_split(&bytes, &[], config);
        let bytewise: Vec<usize> = (1..bytes.len()).collect();
        prop_assert_eq!(&decode_split(&bytes, &bytewise, config), &whole);
        prop_assert_eq!(&decode_split(&bytes, &cuts, config), &whole);
        prop_assert_eq!(&decode_split_with(&bytes, &cuts, config, true), &whole);
        // Without the pieces, the same events less the pieces.
        let (events, summary) = decode_split(&bytes, &cuts, Config { pieces: false, ..config });
        let wanted: Vec<Owned> = whole
            .0
            .iter()
            .filter(|e| !matches!(e, Owned::FrameStart(_) | Owned::Payload(_)))
            .cloned()
            .collect();
        prop_assert_eq!(&events, &wanted);
        prop_assert_eq!(&summary, &whole.1);
        // Without plain frames, those events less the frames that are a
        // clean whole message by themselves (their messages stay).
        let (events, summary) = decode_split(
            &bytes,
            &cuts,
            Config { pieces: false, plain_frames: false, ..config },
        );
        let plain = |f: &OwnedFrame| {
            f.extent == Extent::Complete
                && f.violations.is_empty()
                && f.message.as_ref().is_some_and(|m| m.frames == 1)
        };
        let wanted: Vec<Owned> = wanted
            .into_iter()
            .filter(|e| !matches!(e, Owned::Frame(f) if plain(f)))
            .collect();
        prop_assert_eq!(&events, &wanted);
        prop_assert_eq!(&summary, &whole.1);
        // And the decode path (owned transcript) agrees on the frames.
        let t = transcript::read_with(&bytes, config);
        let frames: Vec<&OwnedFrame> = whole.0.iter().filter_map(|e| match e {
            Owned::Frame(f) => Some(f),
            _ => None,
        }).collect();
        prop_assert_eq!(frames.len(), t.frames.len());
    }
}
