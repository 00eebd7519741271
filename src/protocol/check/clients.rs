//! The client battery: what `wsdbg serve --check` does to each client
//! that connects, one case per connection. A client need not echo: what
//! it sends of its own (a greeting, echoes) is not judged but for its
//! masking; its pongs, its answers to the server's close and how it fails
//! the connection on a broken frame are. The rules are those Autobahn's
//! fuzzingserver tests from the client's side.

use std::borrow::Cow;

use super::battery::{case, B};
use super::{Case, Frame, Needs, Payload, Rule, Step, Want};
use crate::protocol::message::MessageKind::Text;
use crate::protocol::opcode::OpCode;

const CLOSE: Rule = Rule {
    section: "RFC 6455 §5.5.1",
    should: "answer the server's close frame with a close frame, then let the server end the TCP connection",
};
const MASK: Rule = Rule {
    section: "RFC 6455 §5.3",
    should: "mask every frame it sends, with a fresh unpredictable key",
};
const PONG: Rule = Rule {
    section: "RFC 6455 §5.5.2",
    should: "answer each ping with a pong carrying the same payload",
};
const VALID: Rule = Rule {
    section: "RFC 6455 §5.4",
    should: "take these frames as the valid message they are (pong the ping between them) and answer the close",
};
const UTF8: Rule = Rule {
    section: "RFC 6455 §8.1",
    should: "fail the connection (close 1007): a text message must be valid UTF-8",
};
const RSV: Rule = Rule {
    section: "RFC 6455 §5.2",
    should: "fail the connection (close 1002): no extension defines this RSV bit",
};
const OPCODE: Rule = Rule {
    section: "RFC 6455 §5.2",
    should: "fail the connection (close 1002): the opcode is reserved",
};
const MASKED: Rule = Rule {
    section: "RFC 6455 §5.1",
    should: "fail the connection (close 1002): a server must not mask its frames, and a client must close the connection when one is",
};
const CONTROL: Rule = Rule {
    section: "RFC 6455 §5.5",
    should: "fail the connection (close 1002): a control frame carries at most 125 bytes and is never fragmented",
};
const CONTINUATION: Rule = Rule {
    section: "RFC 6455 §5.4",
    should: "fail the connection (close 1002): there is no message to continue",
};
const CLOSE_BAD: Rule = Rule {
    section: "RFC 6455 §7.4",
    should: "fail the connection (close 1002, or drop it): this close frame may not be sent",
};

fn text(p: &'static [u8]) -> Payload {
    Payload::of(p)
}

fn frame(op: u8, p: Payload) -> Frame {
    Frame::new(OpCode::from_bits(op), p)
}

fn greeting() -> Frame {
    Frame::text(text(b"wsdbg serve --check: a text message"))
}

/// A client case: messages are not judged; by default the server closes
/// with 1000 once the script is done and the client must answer.
fn client_case(id: &str, title: &str, rule: Rule) -> B {
    let mut b = case(id, title, rule);
    b.0.expect.ignore_messages = true;
    b
}

/// Every case of the client battery, in order.
pub fn client_cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.push(
        client_case("C.1", "The server closes with 1000 and a reason", CLOSE)
            .step(Step::Close {
                code: Some(1000),
                reason: text(b"wsdbg serve --check: case over"),
            })
            .answers(&[1000], true)
            .done(),
    );
    let mut masking = client_case(
        "C.2",
        "The client's frames are masked (a text message sent to it; its reply, echo or its own, read)",
        MASK,
    )
    .send(vec![greeting()])
    .step(Step::Await(1));
    masking.0.needs = Needs::PeerSends;
    // Await counts what is judged too: a message of the client's.
    masking.0.expect.ignore_messages = true;
    all.push(masking.done());
    for (id, title, p) in [
        ("C.3", "A ping with a text payload", text(b"are you there?")),
        (
            "C.4",
            "A ping with 125 binary bytes",
            Payload::Fill {
                unit: b"\xfe",
                len: 125,
            },
        ),
        ("C.5", "A ping without payload", Payload::EMPTY),
    ] {
        all.push(
            client_case(id, title, PONG)
                .send(vec![frame(9, p.clone())])
                .expect(vec![Want::Pong(p)])
                .done(),
        );
    }
    all.push(
        client_case(
            "C.6",
            "A text message in three fragments, a ping between them",
            VALID,
        )
        .send(vec![
            Frame::text(text(b"frag")).fin(false),
            frame(9, text(b"between")),
            frame(0, text(b"ment")).fin(false),
            frame(0, text(b"s")),
        ])
        .expect(vec![Want::Pong(text(b"between"))])
        .done(),
    );
    all.push(
        client_case(
            "C.7",
            "Valid UTF-8 (κόσμε) in fragments of one byte, cut inside characters",
            VALID,
        )
        .step(Step::Message {
            kind: Text,
            payload: text(super::utf8::KOSME),
            fragment: Some(1),
        })
        .done(),
    );
    all.push(
        client_case("C.8", "A binary message of 1 MiB", VALID)
            .send(vec![Frame::binary(Payload::Fill {
                unit: b"\x00\xfe\x23\xfa\xf0",
                len: 1 << 20,
            })])
            .weight(2)
            .done(),
    );
    all.push(
        client_case("C.9", "An unsolicited pong", VALID)
            .send(vec![frame(10, text(b"unsolicited"))])
            .done(),
    );
    // Each: id, title, rule, what the server sends, the codes the client
    // may fail the connection with.
    type Fails = (&'static str, &'static str, Rule, Vec<Frame>, &'static [u16]);
    let fails: Vec<Fails> = vec![
        (
            "C.10",
            "A text message that is not UTF-8",
            UTF8,
            vec![Frame::text(text(
                b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            ))],
            &[1007],
        ),
        (
            "C.11",
            "Invalid UTF-8 split across two fragments",
            UTF8,
            vec![
                Frame::text(text(b"\xce\xba\xe1")).fin(false),
                frame(0, text(b"\xbd\xb9\xff")),
            ],
            &[1007],
        ),
        (
            "C.12",
            "A text frame with RSV1 set (no extension agreed)",
            RSV,
            vec![Frame::text(text(b"Hello")).rsv(4)],
            &[1002],
        ),
        (
            "C.13",
            "Reserved opcode 3",
            OPCODE,
            vec![frame(3, text(b"reserved"))],
            &[1002],
        ),
        (
            "C.14",
            "Reserved control opcode 11",
            OPCODE,
            vec![frame(11, Payload::EMPTY)],
            &[1002],
        ),
        (
            "C.15",
            "A masked frame from the server",
            MASKED,
            vec![Frame::text(text(b"masked by the server")).masked(true)],
            &[1002],
        ),
        (
            "C.16",
            "A ping of 126 bytes",
            CONTROL,
            vec![frame(
                9,
                Payload::Fill {
                    unit: b"\xfe",
                    len: 126,
                },
            )],
            &[1002],
        ),
        (
            "C.17",
            "A ping in two fragments",
            CONTROL,
            vec![frame(9, text(b"frag")).fin(false), frame(0, text(b"ment"))],
            &[1002],
        ),
        (
            "C.18",
            "A continuation frame with nothing to continue",
            CONTINUATION,
            vec![frame(0, text(b"nothing to continue"))],
            &[1002],
        ),
    ];
    for (id, title, rule, frames, codes) in fails {
        all.push(
            client_case(id, title, rule)
                .send(frames)
                .fails(codes)
                .done(),
        );
    }
    for (id, title, payload) in [
        (
            "C.19",
            "A close with code 1005, which may not be sent",
            Cow::Borrowed(&b"\x03\xed"[..]),
        ),
        (
            "C.20",
            "A close with a reason that is not UTF-8",
            Cow::Borrowed(&b"\x03\xe8\xed\xa0\x80"[..]),
        ),
        (
            "C.21",
            "A close with a payload of one byte",
            Cow::Borrowed(&b"\x03"[..]),
        ),
    ] {
        all.push(
            client_case(id, title, CLOSE_BAD)
                .step(Step::Frames(
                    vec![frame(8, Payload::Bytes(payload))],
                    super::Chop::Whole,
                ))
                .fails(&[1002, 1007])
                .done(),
        );
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_battery() {
        let all = client_cases();
        assert_eq!(all.len(), 21);
        assert!(all.iter().all(|c| c.id.starts_with("C.")));
        assert!(all.iter().all(|c| c.expect.ignore_messages));
        // Only the masked-frame case masks what the server sends.
        let masked: Vec<&str> = all
            .iter()
            .filter(|c| {
                c.script.iter().any(
                    |s| matches!(s, Step::Frames(f, _) if f.iter().any(|f| f.masked == Some(true))),
                )
            })
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(masked, ["C.15"]);
    }
}
