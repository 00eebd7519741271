//! Everything decoded from a buffer, collected into owned values: for
//! tests, fuzzing and small inputs. Commands stream through
//! [`stream::Decoder`](super::stream::Decoder) instead.

use super::frame::FrameHeader;
use super::mask::apply_mask;
use super::message::{Fragment, Message};
use super::stream::{Config, Decoder, Event, Extent, FrameRecord, Head, Summary};
use super::violation::Violation;
use super::Role;

/// A frame with its bytes owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedFrame {
    /// 1-based position among the frames.
    pub index: u64,
    /// Offset of its first byte.
    pub offset: u64,
    /// The header, when all of it is present.
    pub header: Option<FrameHeader>,
    /// The header bytes present.
    pub header_bytes: Vec<u8>,
    /// The payload present, unmasked.
    pub payload: Vec<u8>,
    /// Whether the frame is whole.
    pub extent: Extent,
    /// Rules the frame breaks.
    pub violations: Vec<Violation>,
    /// Its place in a data message.
    pub fragment: Option<Fragment>,
    /// The message it completes.
    pub message: Option<Message>,
}

impl OwnedFrame {
    /// Copies a record.
    pub fn from_record(r: &FrameRecord<'_>) -> Self {
        Self {
            index: r.index,
            offset: r.offset,
            header: r.header,
            header_bytes: r.header_bytes.to_vec(),
            payload: r.payload.to_vec(),
            extent: r.extent,
            violations: r.violations.to_vec(),
            fragment: r.fragment,
            message: r.message.map(|m| m.to_owned()),
        }
    }

    /// Bytes missing, 0 when complete.
    pub fn missing(&self) -> u64 {
        self.record().missing()
    }

    /// The payload as it was on the wire (masked again when masked).
    pub fn wire_payload(&self) -> Vec<u8> {
        let mut wire = self.payload.clone();
        if let Some(key) = self.header.and_then(|h| h.mask) {
            apply_mask(&mut wire, key, 0);
        }
        wire
    }

    /// A record borrowing this frame.
    pub fn record(&self) -> FrameRecord<'_> {
        FrameRecord {
            index: self.index,
            offset: self.offset,
            header: self.header,
            header_bytes: &self.header_bytes,
            payload: &self.payload,
            extent: self.extent,
            violations: &self.violations,
            fragment: self.fragment,
            message: None,
        }
    }
}

/// Everything read from a buffer.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// HTTP heads at the start, in order.
    pub heads: Vec<Head>,
    /// Frames after them.
    pub frames: Vec<OwnedFrame>,
    /// Counts and violations.
    pub summary: Summary,
}

/// Reads all of `bytes` (a copy: masked payloads are unmasked in place),
/// looking for heads at the start; `from` as in [`Config::from`].
pub fn read(bytes: &[u8], from: Option<Role>) -> Transcript {
    read_with(
        bytes,
        Config {
            from,
            ..Config::default()
        },
    )
}

/// Reads all of `bytes` with a decoder made from `config`.
pub fn read_with(bytes: &[u8], config: Config) -> Transcript {
    let mut decoder = Decoder::new(config);
    let mut t = Transcript::default();
    let mut sink = |ev: Event<'_>| -> Result<(), ()> {
        match ev {
            Event::Head(h) => t.heads.push(h.clone()),
            Event::Frame(f) => t.frames.push(OwnedFrame::from_record(f)),
            Event::Message(m) => {
                if let Some(f) = t.frames.last_mut() {
                    f.message = Some(m.to_owned());
                }
            }
            _ => {}
        }
        Ok(())
    };
    let mut buf = bytes.to_vec();
    let _ = decoder.feed(&mut buf, &mut sink);
    let _ = decoder.finish(&mut sink);
    t.summary = decoder.summary().clone();
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::stream::Place;
    use crate::protocol::violation::{Kind, Rule};

    #[test]
    fn mdn_frame() {
        let t = read(
            &[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d],
            Some(Role::Client),
        );
        assert_eq!(t.frames.len(), 1);
        let f = &t.frames[0];
        assert_eq!(&f.payload[..], b"MDN");
        assert_eq!(f.wire_payload(), [0x70, 0x10, 0x6d]);
        assert_eq!(f.missing(), 0);
        assert!(f.violations.is_empty());
        assert_eq!(
            f.message.as_ref().map(|m| m.data.as_slice()),
            Some(&b"MDN"[..])
        );
        assert_eq!(t.summary.messages, 1);
    }

    #[test]
    fn summary_lists_a_bounded_number_of_violations() {
        // 300 frames, each with RSV1 set: all counted, 100 listed.
        let bytes: Vec<u8> = [0xc1u8, 0x00].repeat(300);
        let t = read(&bytes, None);
        assert_eq!(t.frames.len(), 300);
        let s = &t.summary;
        assert_eq!(
            (s.frames, s.violations, s.listed.len()),
            (300, 300, Summary::MAX_LISTED)
        );
        assert_eq!(
            s.listed[99].0,
            Place::Frame {
                index: 100,
                offset: 198
            }
        );
    }

    #[test]
    fn rfc_fragments_and_ping_in_one_buffer() {
        let bytes = [
            0x01, 0x03, 0x48, 0x65, 0x6c, // "Hel"
            0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, // ping "Hello"
            0x80, 0x02, 0x6c, 0x6f, // "lo"
        ];
        let t = read(&bytes, Some(Role::Server));
        assert_eq!(t.frames.len(), 3);
        assert_eq!(
            t.frames.iter().map(|f| f.offset).collect::<Vec<_>>(),
            [0, 5, 12]
        );
        assert_eq!(t.summary.violations, 0);
        assert_eq!(
            t.frames[2].message.as_ref().map(|m| m.data.as_slice()),
            Some(&b"Hello"[..])
        );
        assert!(t.summary.unfinished.is_none());
    }

    #[test]
    fn truncated_payload_counts_missing_bytes() {
        let t = read(&[0x81, 0x85, 1, 2, 3, 4, 0x10], None);
        let f = &t.frames[0];
        assert_eq!(f.missing(), 4);
        assert_eq!(
            f.violations.last().map(|v| v.kind.clone()),
            Some(Kind::TruncatedPayload {
                announced: 5,
                present: 1
            })
        );
    }

    #[test]
    fn truncated_header() {
        let t = read(
            &[0x81, 0x05, b'h', b'e', b'l', b'l', b'o', 0x82, 0xfe, 0x01],
            None,
        );
        assert_eq!(t.frames.len(), 2);
        assert!(t.frames[1].header.is_none());
        assert_eq!(t.frames[1].missing(), 5);
    }

    #[test]
    fn huge_claimed_length_costs_nothing() {
        let t = read(
            &[
                0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1,
            ],
            None,
        );
        assert_eq!(t.frames[0].missing(), 0x7fff_ffff_ffff_ffff - 1);
    }

    #[test]
    fn request_implies_client() {
        let mut bytes = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".to_vec();
        bytes.extend_from_slice(&[0x81, 0x05, b'h', b'e', b'l', b'l', b'o']);
        let t = read(&bytes, None);
        assert_eq!(t.heads.len(), 1);
        assert_eq!(t.summary.from, Some(Role::Client));
        assert_eq!(t.frames[0].violations[0].rule(), Rule::UnmaskedClientFrame);
    }

    #[test]
    fn negotiated_deflate_allows_rsv1_and_inflates() {
        let mut bytes = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n".to_vec();
        // RFC 7692 §7.2.3.1: "Hello", compressed, from the server.
        bytes.extend_from_slice(&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        let t = read(&bytes, None);
        assert_eq!(t.summary.violations, 0, "{:?}", t.summary.listed);
        assert_eq!(
            t.frames[0].message.as_ref().map(|m| m.data.as_slice()),
            Some(&b"Hello"[..])
        );
        // Without the extension the same frame breaks two rules.
        let t = read(
            &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            None,
        );
        assert_eq!(t.summary.violations, 2, "RSV1 and not UTF-8");
        let t = read_with(
            &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            Config {
                deflate: Some(Default::default()),
                ..Config::default()
            },
        );
        assert!(t.frames.len() == 1 && t.summary.violations == 0);
    }

    #[test]
    fn a_response_without_the_extension_turns_the_offer_off() {
        let bytes = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\xc1\x00";
        let t = read(bytes, None);
        assert_eq!(t.frames[0].violations[0].rule(), Rule::ReservedBit);
    }
}
