//! A recorded connection made into something to play again: what one side
//! sent, step by step (frames as they were, or a compressed message to
//! compress anew), and what the other side sent, as the items a replay
//! compares its answers with ([`super::diff`]).
//!
//! [`Builder`] takes the decoder's events of both sides in the order they
//! crossed the wire (a capture's order), so each step knows how many of the
//! other side's items came before it: the default pacing waits for as many.

use std::time::Duration;

use super::frame::FrameHeader;
use super::http;
use super::message::MessageKind;
use super::opcode::OpCode;
use super::stream::{Event, Extent, Head};
use super::Role;

/// What a side sent that a replay compares: a data message or a close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Text, binary or close.
    pub kind: ItemKind,
    /// The message's data (inflated when it was compressed), or the close
    /// frame's payload (code and reason).
    pub data: Vec<u8>,
}

/// What an [`Item`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemKind {
    /// A text message.
    Text,
    /// A binary message.
    Binary,
    /// A close frame.
    Close,
}

impl ItemKind {
    /// "text", "binary" or "close".
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Binary => "binary",
            Self::Close => "close",
        }
    }
}

impl From<MessageKind> for ItemKind {
    fn from(k: MessageKind) -> Self {
        match k {
            MessageKind::Text => Self::Text,
            MessageKind::Binary => Self::Binary,
        }
    }
}

/// One thing the played side sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Send {
    /// A frame as recorded (its bits, opcode and payload, unmasked), to
    /// be masked anew by a client: uncompressed data frames and control
    /// frames, broken ones included.
    Frame {
        /// The recorded header (its mask and length are replaced).
        header: FrameHeader,
        /// The payload, unmasked.
        payload: Vec<u8>,
    },
    /// A message that was compressed (permessage-deflate): compressed
    /// anew with what the new connection agreed (or sent plain when it
    /// agreed nothing), in as many frames as it had.
    Message {
        /// Text or binary.
        kind: MessageKind,
        /// Its data, inflated.
        data: Vec<u8>,
        /// How many frames carried it.
        frames: usize,
    },
}

/// A [`Send`] in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What to send.
    pub send: Send,
    /// How many of the other side's items had arrived before it.
    pub after: usize,
    /// When it was sent, from the opening of the connection (its
    /// handshake answer), when the capture has times.
    pub at: Option<Duration>,
}

/// A recorded connection, ready to be played from one side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// The client's upgrade request.
    pub request: Option<http::Request>,
    /// The server's answer.
    pub response: Option<http::Response>,
    /// What the played side sent, in order.
    pub steps: Vec<Step>,
    /// What the other side sent, in order.
    pub expected: Vec<Item>,
    /// Why the recording stops short of what the side sent (bytes the
    /// capture lacks, a frame cut by its end): the steps end there.
    pub cut: Option<String>,
}

/// Turns the decoded events of both sides into a [`Script`] for `played`.
#[derive(Debug)]
pub struct Builder {
    played: Role,
    script: Script,
    /// A compressed message of the played side is being read.
    compressing: bool,
    /// When the connection opened (the answer's time).
    opened: Option<Duration>,
}

impl Builder {
    /// A script for replaying what `played` sent.
    pub fn new(played: Role) -> Self {
        Self {
            played,
            script: Script::default(),
            compressing: false,
            opened: None,
        }
    }

    /// Takes one event of `from`'s stream; `time` is when its bytes were
    /// captured (from any fixed origin).
    pub fn event(&mut self, from: Role, time: Option<Duration>, event: &Event<'_>) {
        match event {
            Event::Head(Head::Request { request, .. }) => {
                self.script.request.get_or_insert_with(|| request.clone());
            }
            Event::Head(Head::Response { response, .. }) => {
                self.opened = time;
                self.script.response.get_or_insert_with(|| response.clone());
            }
            Event::Frame(f) if from == self.played => {
                if self.script.cut.is_some() {
                    return;
                }
                let Some(header) = f.header.filter(|_| f.extent == Extent::Complete) else {
                    self.script.cut = Some(format!(
                        "the {}'s frame {} lacks {} byte{} in the capture",
                        from.name(),
                        f.index,
                        f.missing(),
                        if f.missing() == 1 { "" } else { "s" }
                    ));
                    return;
                };
                match header.opcode {
                    OpCode::Text | OpCode::Binary => self.compressing = header.rsv[0],
                    // The endpoint answers pings itself.
                    OpCode::Pong => return,
                    _ => {}
                }
                if self.compressing && !header.opcode.is_control() {
                    if let Some(m) = f.message {
                        self.compressing = false;
                        let send = Send::Message {
                            kind: m.kind,
                            data: m.data.to_vec(),
                            frames: m.frames,
                        };
                        self.push(send, time);
                    }
                    return;
                }
                let send = Send::Frame {
                    header,
                    payload: f.payload.to_vec(),
                };
                self.push(send, time);
            }
            Event::Frame(f)
                if f.header.is_some_and(|h| h.opcode == OpCode::Close) && f.missing() == 0 =>
            {
                self.script.expected.push(Item {
                    kind: ItemKind::Close,
                    data: f.payload.to_vec(),
                });
            }
            Event::Message(m) if from != self.played => {
                self.script.expected.push(Item {
                    kind: m.kind.into(),
                    data: m.data.to_vec(),
                });
            }
            Event::Gap(_) if from == self.played && self.script.cut.is_none() => {
                self.script.cut = Some(format!("the capture lacks bytes the {} sent", from.name()));
            }
            _ => {}
        }
    }

    fn push(&mut self, send: Send, time: Option<Duration>) {
        let at = match (time, self.opened) {
            (Some(t), Some(o)) => Some(t.saturating_sub(o)),
            _ => None,
        };
        self.script.steps.push(Step {
            send,
            after: self.script.expected.len(),
            at,
        });
    }

    /// The script.
    pub fn finish(self) -> Script {
        self.script
    }
}

impl Script {
    /// The subprotocol the server agreed to in the recording.
    pub fn protocol(&self) -> Option<String> {
        self.response
            .as_ref()?
            .header("Sec-WebSocket-Protocol")
            .map(|h| h.value_lossy().into_owned())
    }

    /// The request's headers a replaying client sends again: all but those
    /// the handshake makes anew (Host, Upgrade, Connection, the key and the
    /// version), with `changes` replacing those of the same name (or
    /// added). An empty value in `changes` removes the header.
    pub fn request_headers(&self, changes: &[(String, String)]) -> Vec<(String, String)> {
        const FRESH: [&str; 5] = [
            "host",
            "upgrade",
            "connection",
            "sec-websocket-key",
            "sec-websocket-version",
        ];
        let mut out: Vec<(String, String)> = Vec::new();
        if let Some(r) = &self.request {
            for h in &r.headers {
                let lower = h.name.to_ascii_lowercase();
                if FRESH.contains(&lower.as_str())
                    || changes.iter().any(|(n, _)| n.eq_ignore_ascii_case(&h.name))
                {
                    continue;
                }
                out.push((h.name.clone(), h.value_lossy().into_owned()));
            }
        }
        for (n, v) in changes {
            if !v.is_empty() {
                out.push((n.clone(), v.clone()));
            }
        }
        out
    }

    /// The response's headers a replaying server sends again: all but
    /// those its handshake makes anew (Upgrade, Connection, the accept
    /// value, the subprotocol and the extensions, which follow the new
    /// client's offer).
    pub fn response_headers(&self) -> Vec<(String, String)> {
        const FRESH: [&str; 5] = [
            "upgrade",
            "connection",
            "sec-websocket-accept",
            "sec-websocket-protocol",
            "sec-websocket-extensions",
        ];
        self.response.as_ref().map_or_else(Vec::new, |r| {
            r.headers
                .iter()
                .filter(|h| !FRESH.contains(&h.name.to_ascii_lowercase().as_str()))
                .map(|h| (h.name.clone(), h.value_lossy().into_owned()))
                .collect()
        })
    }

    /// Whether the recorded answer agreed to permessage-deflate.
    pub fn deflate(&self) -> bool {
        self.response.as_ref().is_some_and(|r| {
            r.headers_named("Sec-WebSocket-Extensions")
                .any(|h| h.value_lossy().contains("permessage-deflate"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::stream::{Config, Decoder};

    /// A script for `played` from two streams, fed in turns of
    /// (side, bytes).
    fn script(played: Role, turns: &[(Role, &[u8])]) -> Script {
        let mut b = Builder::new(played);
        let mut sides = [Role::Client, Role::Server].map(|r| {
            Decoder::new(Config {
                from: Some(r),
                ..Config::default()
            })
        });
        for (i, (from, bytes)) in turns.iter().enumerate() {
            let d = &mut sides[usize::from(*from == Role::Server)];
            let mut bytes = bytes.to_vec();
            let t = Some(Duration::from_secs(i as u64));
            d.feed(&mut bytes, &mut |e| {
                b.event(*from, t, &e);
                Ok::<_, ()>(())
            })
            .unwrap();
        }
        b.finish()
    }

    const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\nCookie: x=1\r\n\r\n";
    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nSet-Cookie: y=2\r\n\r\n";
    /// MDN's masked "MDN".
    const MDN: &[u8] = &[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d];
    /// RFC 6455 §5.7: an unmasked "Hello" in two fragments, and a ping.
    const HEL: &[u8] = &[0x01, 0x03, 0x48, 0x65, 0x6c];
    const LO: &[u8] = &[0x80, 0x02, 0x6c, 0x6f];
    const HELLO: &[u8] = &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];

    #[test]
    fn the_client_side_keeps_frames_and_counts_what_came_before() {
        let s = script(
            Role::Client,
            &[
                (Role::Client, REQUEST),
                (Role::Server, RESPONSE),
                (Role::Client, MDN),
                (Role::Server, HEL),
                (Role::Server, LO),
                (Role::Client, MDN),
            ],
        );
        assert_eq!(s.request.as_ref().unwrap().target, "/chat");
        assert_eq!(s.protocol().as_deref(), Some("chat"));
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[0].after, 0);
        assert_eq!(s.steps[1].after, 1);
        assert_eq!(s.steps[0].at, Some(Duration::from_secs(1)));
        assert_eq!(s.steps[1].at, Some(Duration::from_secs(4)));
        let Send::Frame { header, payload } = &s.steps[0].send else {
            panic!("{:?}", s.steps[0])
        };
        assert_eq!(payload, b"MDN");
        assert_eq!(header.opcode, OpCode::Text);
        assert_eq!(
            s.expected,
            vec![Item {
                kind: ItemKind::Text,
                data: b"Hello".to_vec()
            }]
        );
        assert_eq!(s.cut, None);
    }

    #[test]
    fn the_server_side_keeps_each_fragment_and_expects_the_client_messages() {
        let s = script(
            Role::Server,
            &[
                (Role::Client, REQUEST),
                (Role::Server, RESPONSE),
                (Role::Client, MDN),
                (Role::Server, HEL),
                (Role::Server, &[0x89, 0x00]),
                (Role::Server, LO),
                (Role::Server, &[0x8a, 0x00]),
                (Role::Server, &[0x88, 0x02, 0x03, 0xe8]),
            ],
        );
        let opcodes: Vec<_> = s
            .steps
            .iter()
            .map(|s| match &s.send {
                Send::Frame { header, .. } => (header.opcode, header.fin),
                Send::Message { .. } => panic!("not compressed"),
            })
            .collect();
        // The pong is left to the endpoint.
        assert_eq!(
            opcodes,
            [
                (OpCode::Text, false),
                (OpCode::Ping, true),
                (OpCode::Continuation, true),
                (OpCode::Close, true)
            ]
        );
        assert!(s.steps.iter().all(|s| s.after == 1));
        assert_eq!(s.expected.len(), 1);
        assert_eq!(
            s.response_headers(),
            vec![("Set-Cookie".to_string(), "y=2".to_string())]
        );
    }

    #[test]
    fn the_other_sides_close_is_expected_with_its_code() {
        let s = script(
            Role::Client,
            &[
                (Role::Client, REQUEST),
                (Role::Server, RESPONSE),
                (Role::Server, HELLO),
                (Role::Server, &[0x88, 0x02, 0x03, 0xe9]),
            ],
        );
        assert_eq!(s.expected.len(), 2);
        assert_eq!(
            s.expected[1],
            Item {
                kind: ItemKind::Close,
                data: vec![0x03, 0xe9]
            }
        );
    }

    #[test]
    fn a_compressed_message_is_kept_inflated_with_its_frame_count() {
        let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
        // RFC 7692 §7.2.3.1: "Hello" compressed, unmasked, then the same
        // compressed bytes in two fragments (§7.2.3.3 style).
        let whole: &[u8] = &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        let first: &[u8] = &[0x41, 0x03, 0xf2, 0x48, 0xcd];
        let last: &[u8] = &[0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00];
        let mut b = Builder::new(Role::Server);
        let mut d = Decoder::new(Config {
            from: Some(Role::Server),
            ..Config::default()
        });
        d.set_deflate(Some(Default::default()));
        for bytes in [response.as_slice(), whole, first, last] {
            let mut bytes = bytes.to_vec();
            d.feed(&mut bytes, &mut |e| {
                b.event(Role::Server, None, &e);
                Ok::<_, ()>(())
            })
            .unwrap();
        }
        let s = b.finish();
        assert!(s.deflate());
        let sends: Vec<_> = s.steps.iter().map(|s| s.send.clone()).collect();
        assert_eq!(
            sends,
            [1, 2].map(|frames| Send::Message {
                kind: MessageKind::Text,
                data: b"Hello".to_vec(),
                frames
            })
        );
        assert_eq!(s.steps[0].at, None);
    }

    #[test]
    fn a_frame_the_capture_cuts_ends_the_steps_and_says_so() {
        let s = script(
            Role::Client,
            &[
                (Role::Client, REQUEST),
                (Role::Server, RESPONSE),
                (Role::Client, &MDN[..5]),
            ],
        );
        // Not finished: the frame is still in progress, no step yet.
        assert!(s.steps.is_empty());
        let mut b = Builder::new(Role::Client);
        let mut d = Decoder::new(Config {
            from: Some(Role::Client),
            heads: false,
            ..Config::default()
        });
        let mut bytes = MDN[..7].to_vec();
        let mut sink = |e: Event<'_>| {
            b.event(Role::Client, None, &e);
            Ok::<_, ()>(())
        };
        d.feed(&mut bytes, &mut sink).unwrap();
        d.cut(&mut sink).unwrap();
        d.finish(&mut sink).unwrap();
        let s = b.finish();
        assert!(s.steps.is_empty());
        assert_eq!(
            s.cut.as_deref(),
            Some("the client's frame 1 lacks 2 bytes in the capture")
        );
    }

    #[test]
    fn bytes_missing_from_the_played_side_end_the_steps_not_the_others() {
        let run = |gap_from: Role| {
            let mut b = Builder::new(Role::Client);
            for (from, bytes) in [(Role::Client, MDN), (Role::Server, HELLO)] {
                let mut d = Decoder::new(Config {
                    from: Some(from),
                    heads: false,
                    ..Config::default()
                });
                let mut sink = |e: Event<'_>| {
                    b.event(from, None, &e);
                    Ok::<_, ()>(())
                };
                d.feed(&mut bytes.to_vec(), &mut sink).unwrap();
                if from == gap_from {
                    d.gap(5, &mut sink).unwrap();
                    d.gap(7, &mut sink).unwrap();
                }
                d.finish(&mut sink).unwrap();
            }
            b.finish()
        };
        let s = run(Role::Client);
        assert_eq!(
            s.cut.as_deref(),
            Some("the capture lacks bytes the client sent")
        );
        assert_eq!(s.steps.len(), 1, "the frame before the gap");
        let s = run(Role::Server);
        assert_eq!(s.cut, None, "the server's gap is not the client's");
        assert_eq!(s.expected.len(), 1);
    }

    #[test]
    fn item_kinds_have_their_names() {
        assert_eq!(
            [ItemKind::Text, ItemKind::Binary, ItemKind::Close].map(ItemKind::name),
            ["text", "binary", "close"]
        );
    }

    #[test]
    fn request_headers_drop_what_the_handshake_makes_and_take_changes() {
        let s = script(Role::Client, &[(Role::Client, REQUEST)]);
        let h = s.request_headers(&[
            ("cookie".to_string(), "x=2".to_string()),
            ("X-New".to_string(), "1".to_string()),
        ]);
        assert_eq!(
            h,
            [
                ("Sec-WebSocket-Protocol", "chat"),
                ("cookie", "x=2"),
                ("X-New", "1")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let h = s.request_headers(&[("Cookie".to_string(), String::new())]);
        assert_eq!(h.len(), 1);
    }
}
