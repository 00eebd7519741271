//! Reads one direction of a WebSocket conversation from a byte buffer: an
//! optional HTTP upgrade head (request, and a response after it), then
//! frames until the bytes run out. Every frame is kept, bad ones included,
//! with the rules it breaks; a frame cut short says how many bytes are
//! missing. This is what `decode` prints; `serve` uses the same pieces
//! (header parse, rules, assembler, handshake) on live sockets.

use super::deflate::{find_deflate, DeflateParams, Inflater};
use std::borrow::Cow;

use super::frame::{FrameHeader, HeaderParse};
use super::handshake::{self, Issue};
use super::http::{self, HeadParse};
use super::mask::apply_mask;
use super::message::{Assembler, Fragment, Message};
use super::rules::{check_header, Context, Rule, Violation};
use super::Role;

/// A frame as read from the buffer, complete or not. It borrows the
/// buffer; only a masked payload is copied, to unmask it.
#[derive(Debug, Clone)]
pub struct FrameRecord<'a> {
    /// 1-based position among the frames of the transcript.
    pub index: usize,
    /// Offset of its first byte in the buffer.
    pub offset: usize,
    /// The header, when all of it is present.
    pub header: Option<FrameHeader>,
    /// The header bytes present (all of them when `header` is Some).
    pub header_bytes: &'a [u8],
    /// The payload bytes present, as on the wire (masked if masked).
    pub wire_payload: &'a [u8],
    /// The payload bytes present, unmasked.
    pub payload: Cow<'a, [u8]>,
    /// Bytes the frame still needs (header or payload); 0 when complete.
    pub missing: u64,
    /// Rules the frame breaks, on its own and in its place in the stream.
    pub violations: Vec<Violation>,
    /// Its place in a data message.
    pub fragment: Option<Fragment>,
    /// The message it completes.
    pub message: Option<Message>,
}

impl FrameRecord<'_> {
    /// Total bytes of the frame present in the buffer.
    pub fn present(&self) -> usize {
        self.header_bytes.len() + self.wire_payload.len()
    }
}

/// An HTTP head found at the start of the buffer.
#[derive(Debug, Clone)]
pub enum Head {
    /// An upgrade request, with what is wrong with it.
    Request {
        /// Offset in the buffer.
        offset: usize,
        /// The raw head bytes.
        raw: Vec<u8>,
        /// The parsed request.
        request: http::Request,
        /// What breaks RFC 6455 §4.2.1.
        issues: Vec<Issue>,
    },
    /// An upgrade response, checked against the request's key when the
    /// request came first.
    Response {
        /// Offset in the buffer.
        offset: usize,
        /// The raw head bytes.
        raw: Vec<u8>,
        /// The parsed response.
        response: http::Response,
        /// What breaks RFC 6455 §4.1 / §4.2.2.
        issues: Vec<Issue>,
    },
    /// Bytes that start like HTTP but cannot be read as a head.
    Invalid {
        /// Offset in the buffer where the head started.
        offset: usize,
        /// What is wrong, and where (offset relative to the head).
        message: String,
        /// True when the head was merely cut short.
        truncated: bool,
    },
}

/// One thing read from the buffer, in order.
#[derive(Debug, Clone)]
pub enum Item<'a> {
    /// An HTTP head at the start.
    Head(Head),
    /// A frame.
    Frame(FrameRecord<'a>),
}

/// Where a listed violation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the HTTP head at this offset.
    Head {
        /// Offset of the head.
        offset: usize,
        /// "request", "response" or "HTTP head".
        what: &'static str,
    },
    /// In a frame.
    Frame {
        /// 1-based index of the frame.
        index: usize,
        /// Offset of the frame.
        offset: usize,
    },
}

/// Counts over everything read, and the first violations with where they
/// were. Its size is bounded whatever the input: only the first
/// [`Summary::MAX_LISTED`] violations are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Frames read, truncated ones included.
    pub frames: usize,
    /// Of those, control frames.
    pub control: usize,
    /// Data messages completed.
    pub messages: usize,
    /// Violations of frames and heads, all counted.
    pub violations: usize,
    /// The first violations, with where they were.
    pub listed: Vec<(Place, String)>,
    /// Who sent the frames, as given or as implied by the last head.
    pub from: Option<Role>,
    /// A data message still waiting for its final frame at the end:
    /// (kind name, frames, bytes).
    pub unfinished: Option<(&'static str, usize, usize)>,
}

impl Summary {
    /// How many violations are kept with their place.
    pub const MAX_LISTED: usize = 100;

    fn note(&mut self, place: Place, message: String) {
        self.violations += 1;
        if self.listed.len() < Self::MAX_LISTED {
            self.listed.push((place, message));
        }
    }
}

fn looks_like_request(bytes: &[u8]) -> bool {
    http::looks_like_head(bytes) == Some(http::HeadKind::Request)
}

/// Reads `bytes` one item at a time, so that memory stays bounded by the
/// input whatever it holds: HTTP heads at the start, then frames. After
/// the last item, [`Reader::summary`] is complete.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    given: Option<Role>,
    in_heads: bool,
    key: Option<String>,
    ctx: Context,
    assembler: Assembler,
    summary: Summary,
    /// permessage-deflate as forced, offered or accepted by the heads.
    deflate: Option<DeflateParams>,
    /// Whether the response (not just the request) settled `deflate`.
    deflate_settled: bool,
    frames_started: bool,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`. `from` says who sent the frames; when None,
    /// a leading request implies the client and a response the server.
    pub fn new(bytes: &'a [u8], from: Option<Role>) -> Self {
        Self {
            bytes,
            at: 0,
            given: from,
            in_heads: true,
            key: None,
            ctx: Context {
                from,
                ..Context::default()
            },
            assembler: Assembler::new(),
            summary: Summary {
                from,
                ..Summary::default()
            },
            deflate: None,
            deflate_settled: false,
            frames_started: false,
        }
    }

    /// Reads the frames as compressed with permessage-deflate (RFC 7692)
    /// whatever the heads say, for dumps without their handshake.
    pub fn with_deflate(mut self) -> Self {
        self.deflate = Some(DeflateParams::default());
        self.deflate_settled = true;
        self
    }

    fn note_extensions(&mut self, headers: &[http::Header], response: bool) {
        if self.deflate_settled && !response {
            return;
        }
        let found = headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
            .find_map(|h| find_deflate(&h.value));
        if response {
            // The response decides: what it does not accept is off.
            if !self.deflate_settled || found.is_some() {
                self.deflate = found;
            }
            self.deflate_settled = true;
        } else {
            // An offer alone: frames that follow a request were sent after
            // an answer this dump does not show, so go by the offer.
            self.deflate = found;
        }
    }

    fn start_frames(&mut self) {
        self.frames_started = true;
        if let Some(params) = self.deflate {
            self.ctx.allowed_rsv[0] = true;
            let reset = match self.ctx.from {
                Some(Role::Client) => params.client_no_context_takeover,
                Some(Role::Server) => params.server_no_context_takeover,
                None => false,
            };
            self.assembler = Assembler::new().with_deflate(Inflater::new(reset));
        }
    }

    /// Counts and violations of what has been read so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    fn next_head(&mut self) -> Option<Head> {
        let rest = &self.bytes[self.at..];
        let is_response = rest.starts_with(b"HTTP/");
        let first = self.at == 0;
        if !(is_response || first && looks_like_request(rest)) {
            return None;
        }
        let at = self.at;
        // No limit: the whole buffer is already in memory.
        let limit = rest.len() + 1;
        let parsed = if is_response {
            http::parse_response(rest, limit).map(|p| match p {
                HeadParse::Complete { head, len } => {
                    let issues = handshake::validate_response(&head, self.key.as_deref());
                    self.note_extensions(&head.headers, true);
                    let raw = rest[..len].to_vec();
                    Some((
                        Head::Response {
                            offset: at,
                            raw,
                            response: head,
                            issues,
                        },
                        len,
                        Role::Server,
                    ))
                }
                HeadParse::Partial => None,
            })
        } else {
            http::parse_request(rest, limit).map(|p| match p {
                HeadParse::Complete { head, len } => {
                    let issues = handshake::validate_request(&head);
                    self.note_extensions(&head.headers, false);
                    self.key = head
                        .header("Sec-WebSocket-Key")
                        .map(|h| String::from_utf8_lossy(&h.value).into_owned());
                    let raw = rest[..len].to_vec();
                    Some((
                        Head::Request {
                            offset: at,
                            raw,
                            request: head,
                            issues,
                        },
                        len,
                        Role::Client,
                    ))
                }
                HeadParse::Partial => None,
            })
        };
        let head = match parsed {
            Ok(Some((head, len, role))) => {
                self.at += len;
                if self.given.is_none() {
                    self.ctx.from = Some(role);
                    self.summary.from = Some(role);
                }
                head
            }
            Ok(None) => {
                self.at = self.bytes.len();
                Head::Invalid {
                    offset: at,
                    message: format!(
                        "the input ends inside an HTTP {} head ({} bytes, no empty line after the headers)",
                        if is_response { "response" } else { "request" },
                        rest.len()
                    ),
                    truncated: true,
                }
            }
            Err(e) => {
                // Without a well-formed head there is no telling where
                // frames would start.
                self.at = self.bytes.len();
                Head::Invalid {
                    offset: at,
                    message: e.to_string(),
                    truncated: false,
                }
            }
        };
        match &head {
            Head::Request { issues, .. } | Head::Response { issues, .. } => {
                let what = if matches!(head, Head::Request { .. }) {
                    "request"
                } else {
                    "response"
                };
                for i in issues {
                    self.summary
                        .note(Place::Head { offset: at, what }, i.message.clone());
                }
            }
            Head::Invalid { message, .. } => {
                self.summary.note(
                    Place::Head {
                        offset: at,
                        what: "HTTP head",
                    },
                    message.clone(),
                );
            }
        }
        Some(head)
    }

    fn next_frame(&mut self) -> Option<FrameRecord<'a>> {
        if !self.frames_started {
            self.start_frames();
        }
        let bytes = self.bytes;
        let rest = &bytes[self.at..];
        if rest.is_empty() {
            return None;
        }
        let index = self.summary.frames + 1;
        let offset = self.at;
        let record = match FrameHeader::parse(rest) {
            HeaderParse::Partial { needed } => {
                self.at = self.bytes.len();
                FrameRecord {
                    index,
                    offset,
                    header: None,
                    header_bytes: rest,
                    wire_payload: &[],
                    payload: Cow::Borrowed(&[]),
                    missing: needed as u64,
                    violations: vec![Violation::new(
                        Rule::Truncated,
                        format!(
                            "the input ends inside a frame header: {} byte{} present, at least {} more needed",
                            rest.len(),
                            plural(rest.len() as u64),
                            needed
                        ),
                    )],
                    fragment: None,
                    message: None,
                }
            }
            HeaderParse::Complete(header) => self.frame(header, rest, index, offset),
        };
        self.summary.frames += 1;
        if record.header.is_some_and(|h| h.opcode.is_control()) {
            self.summary.control += 1;
        }
        if record.message.is_some() {
            self.summary.messages += 1;
        }
        for v in &record.violations {
            self.summary
                .note(Place::Frame { index, offset }, v.describe());
        }
        Some(record)
    }

    fn frame(
        &mut self,
        header: FrameHeader,
        rest: &'a [u8],
        index: usize,
        offset: usize,
    ) -> FrameRecord<'a> {
        let hlen = header.len();
        let body = &rest[hlen..];
        let take = usize::try_from(header.payload_len).map_or(body.len(), |n| n.min(body.len()));
        let wire_payload = &body[..take];
        let payload = match header.mask {
            Some(key) => {
                let mut plain = wire_payload.to_vec();
                apply_mask(&mut plain, key, 0);
                Cow::Owned(plain)
            }
            None => Cow::Borrowed(wire_payload),
        };
        let missing = header.payload_len - take as u64;
        let mut record = FrameRecord {
            index,
            offset,
            header: Some(header),
            header_bytes: &rest[..hlen],
            wire_payload,
            payload,
            missing,
            violations: check_header(&header, &self.ctx),
            fragment: None,
            message: None,
        };
        if missing > 0 {
            record.violations.push(Violation::new(
                Rule::Truncated,
                format!(
                    "frame is truncated: the header announces {} byte{} of payload, {} present ({} missing)",
                    header.payload_len,
                    plural(header.payload_len),
                    take,
                    missing
                ),
            ));
        } else {
            let pushed = self.assembler.push(&header, &record.payload);
            record.violations.extend(pushed.violations);
            record.fragment = pushed.fragment;
            record.message = pushed.message;
        }
        self.at += hlen + take;
        record
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.in_heads {
            if let Some(head) = self.next_head() {
                return Some(Item::Head(head));
            }
            self.in_heads = false;
        }
        let frame = self.next_frame();
        if frame.is_none() {
            self.summary.unfinished = self
                .assembler
                .open_message()
                .map(|(k, n, b)| (k.name(), n, b));
        }
        frame.map(Item::Frame)
    }
}

/// Everything read from a buffer, collected (for tests and small inputs;
/// [`Reader`] streams).
#[derive(Debug, Clone, Default)]
pub struct Transcript<'a> {
    /// HTTP heads at the start, in order.
    pub heads: Vec<Head>,
    /// Frames after them.
    pub frames: Vec<FrameRecord<'a>>,
    /// Counts and violations.
    pub summary: Summary,
}

/// Reads all of `bytes` at once; see [`Reader`].
pub fn read(bytes: &[u8], from: Option<Role>) -> Transcript<'_> {
    let mut reader = Reader::new(bytes, from);
    let mut t = Transcript::default();
    for item in reader.by_ref() {
        match item {
            Item::Head(h) => t.heads.push(h),
            Item::Frame(f) => t.frames.push(f),
        }
    }
    t.summary = reader.summary().clone();
    t
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mdn_frame() {
        let t = read(
            &[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d],
            Some(Role::Client),
        );
        assert_eq!(t.frames.len(), 1);
        let f = &t.frames[0];
        assert_eq!(&f.payload[..], b"MDN");
        assert_eq!(f.wire_payload, [0x70, 0x10, 0x6d]);
        assert_eq!(f.missing, 0);
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
        let mut reader = Reader::new(&bytes, None);
        assert_eq!(reader.by_ref().count(), 300);
        let s = reader.summary();
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
        assert_eq!(f.missing, 4);
        assert_eq!(f.violations.last().map(|v| v.rule), Some(Rule::Truncated));
        assert!(f.violations[0].message.contains("4 missing"));
    }

    #[test]
    fn truncated_header() {
        let t = read(
            &[0x81, 0x05, b'h', b'e', b'l', b'l', b'o', 0x82, 0xfe, 0x01],
            None,
        );
        assert_eq!(t.frames.len(), 2);
        assert!(t.frames[1].header.is_none());
        assert_eq!(t.frames[1].missing, 5);
    }

    #[test]
    fn huge_claimed_length_costs_nothing() {
        let t = read(
            &[
                0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1,
            ],
            None,
        );
        assert_eq!(t.frames[0].missing, 0x7fff_ffff_ffff_ffff - 1);
    }

    #[test]
    fn request_implies_client() {
        let mut bytes = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".to_vec();
        bytes.extend_from_slice(&[0x81, 0x05, b'h', b'e', b'l', b'l', b'o']);
        let t = read(&bytes, None);
        assert_eq!(t.heads.len(), 1);
        assert_eq!(t.summary.from, Some(Role::Client));
        assert_eq!(t.frames[0].violations[0].rule, Rule::UnmaskedClientFrame);
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
        let mut reader = Reader::new(
            &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            None,
        )
        .with_deflate();
        assert!(reader.by_ref().count() == 1 && reader.summary().violations == 0);
    }

    #[test]
    fn a_response_without_the_extension_turns_the_offer_off() {
        let bytes = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\xc1\x00";
        let t = read(bytes, None);
        assert_eq!(t.frames[0].violations[0].rule, Rule::ReservedBit);
    }
}
