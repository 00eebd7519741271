//! The server battery: what `wsdbg check URL` sends, case by case. The
//! framing sections are Autobahn's fuzzingclient cases 1-10, numbered
//! alike and sending the same frames; `H` (the opening handshake) and `S`
//! (slow and split writes) are wsdbg's own. A case is a few lines of the
//! tables below: what is sent, what comes back, the rule.

use std::borrow::Cow;
use std::time::Duration;

use super::handshake::{HandshakeCase, HandshakeWant, RequestSpec};
use super::utf8::{self, KOSME};
use super::{Case, Chop, CloseWant, Closer, Expect, Frame, Needs, Payload, Rule, Step, Want};
use crate::protocol::message::MessageKind::{self, Binary, Text};
use crate::protocol::opcode::OpCode;

/// A case under construction.
pub(super) struct B(pub(super) Case);

/// Starts a case that sends frames and expects what `expect` says; by
/// default the checker closes (1000, clean) once it has what it expects.
pub(super) fn case(id: impl Into<String>, title: impl Into<String>, rule: Rule) -> B {
    B(Case {
        id: id.into(),
        title: title.into(),
        script: Vec::new(),
        expect: Expect::echo(Vec::new()),
        rule,
        needs: Needs::Nothing,
        weight: 1,
        handshake: None,
    })
}

impl B {
    /// Sends these frames in one write.
    pub(super) fn send(mut self, frames: Vec<Frame>) -> Self {
        self.0.script.push(Step::Frames(frames, Chop::Whole));
        self
    }

    /// Sends each frame in a write of its own (Autobahn's `sync`).
    pub(super) fn each(mut self, frames: Vec<Frame>) -> Self {
        for f in frames {
            self.0.script.push(Step::Frames(vec![f], Chop::Whole));
        }
        self
    }

    /// Sends these frames in writes of `n` bytes.
    pub(super) fn chopped(mut self, n: usize, frames: Vec<Frame>) -> Self {
        for f in frames {
            self.0.script.push(Step::Frames(vec![f], Chop::Every(n)));
        }
        self
    }

    pub(super) fn step(mut self, s: Step) -> Self {
        self.0.script.push(s);
        self
    }

    /// What a conforming peer sends back.
    pub(super) fn expect(mut self, wants: Vec<Want>) -> Self {
        self.0.expect.ok = wants;
        self
    }

    /// What a peer that is allowed but not strict sends back instead.
    pub(super) fn or_non_strict(mut self, wants: Vec<Want>) -> Self {
        self.0.expect.non_strict = Some(wants);
        self
    }

    /// The peer is to fail the connection (closing with one of `codes`,
    /// or dropping it).
    pub(super) fn fails(mut self, codes: &[u16]) -> Self {
        self.0.expect.close = CloseWant {
            by: Closer::Peer,
            codes: codes.to_vec(),
            clean: false,
            code_fatal: false,
        };
        self
    }

    /// The checker closes (in its script or once done); the peer answers
    /// with one of `codes`; both close frames must cross when `clean`.
    pub(super) fn answers(mut self, codes: &[u16], clean: bool) -> Self {
        self.0.expect.close = CloseWant {
            by: Closer::Checker,
            codes: codes.to_vec(),
            clean,
            code_fatal: true,
        };
        self
    }

    pub(super) fn informational(mut self) -> Self {
        self.0.expect.informational = true;
        self
    }

    pub(super) fn weight(mut self, w: u32) -> Self {
        self.0.weight = w;
        self
    }

    pub(super) fn done(self) -> Case {
        self.0
    }
}

fn msg(kind: MessageKind, p: Payload) -> Want {
    Want::Message(kind, p)
}

fn text(p: &'static [u8]) -> Payload {
    Payload::of(p)
}

fn fill(unit: &'static [u8], len: usize) -> Payload {
    Payload::Fill { unit, len }
}

fn frame(opcode: u8, payload: Payload) -> Frame {
    Frame::new(OpCode::from_bits(opcode), payload)
}

const HELLO: &[u8] = b"Hello, world!";

const ECHO: Rule = Rule {
    section: "RFC 6455 §5.6",
    should: "echo each message unchanged, type and payload (the battery needs an echo endpoint, as Autobahn's does)",
};
const PONG: Rule = Rule {
    section: "RFC 6455 §5.5.2",
    should: "answer each ping with a pong carrying the same payload, as soon as it can",
};
const CONTROL_SIZE: Rule = Rule {
    section: "RFC 6455 §5.5",
    should: "fail the connection (close 1002): a control frame carries at most 125 bytes",
};
const UNSOLICITED_PONG: Rule = Rule {
    section: "RFC 6455 §5.5.3",
    should: "ignore a pong nobody asked for, and answer the close",
};
const RSV: Rule = Rule {
    section: "RFC 6455 §5.2",
    should: "fail the connection (close 1002): RSV bits must be 0 unless an extension defines them, and none was agreed",
};
const OPCODE: Rule = Rule {
    section: "RFC 6455 §5.2",
    should: "fail the connection (close 1002): opcodes 3-7 and 11-15 are reserved",
};
const CONTROL_FRAGMENT: Rule = Rule {
    section: "RFC 6455 §5.5",
    should: "fail the connection (close 1002): control frames must not be fragmented",
};
const FRAGMENTS: Rule = Rule {
    section: "RFC 6455 §5.4",
    should: "put the fragments together into one message, answering control frames between them",
};
const CONTINUATION: Rule = Rule {
    section: "RFC 6455 §5.4",
    should: "fail the connection (close 1002): a continuation frame needs a message to continue, and a new message cannot start inside one",
};
const UTF8_OK: Rule = Rule {
    section: "RFC 6455 §8.1",
    should: "accept this valid UTF-8 (whatever the frame boundaries) and echo it",
};
const UTF8_BAD: Rule = Rule {
    section: "RFC 6455 §8.1",
    should: "fail the connection (close 1007): a text message must be valid UTF-8",
};
const UTF8_FAST: Rule = Rule {
    section: "RFC 6455 §8.1",
    should: "fail the connection (close 1007) at the first byte that cannot be UTF-8, without waiting for the rest of the message",
};
const CLOSE: Rule = Rule {
    section: "RFC 6455 §5.5.1",
    should: "answer a close frame with a close frame (echoing the code or with 1000) and then ignore anything after it",
};
const CLOSE_BAD: Rule = Rule {
    section: "RFC 6455 §5.5.1",
    should: "fail the connection (close 1002, or drop it): this close frame's payload is malformed",
};
const CLOSE_CODE_OK: Rule = Rule {
    section: "RFC 6455 §7.4",
    should: "accept this close code and answer the close (with it, or with 1000)",
};
const CLOSE_CODE_BAD: Rule = Rule {
    section: "RFC 6455 §7.4",
    should: "fail the connection (close 1002, or drop it): this close code may not be sent",
};
const CLOSE_OPEN: Rule = Rule {
    section: "RFC 6455 §7.4.2",
    should: "answer as it sees fit (the RFC says nothing of this case)",
};
const LARGE: Rule = Rule {
    section: "RFC 6455 §5.4",
    should: "echo the whole message unchanged (a limit below this size would have to refuse it with 1009, which fails the case)",
};
const SPLIT: Rule = Rule {
    section: "RFC 6455 §5.2",
    should: "read the frames whatever the size and timing of the writes that carry them",
};

/// Every case of the server battery, in report order, with Autobahn's
/// 1000 messages in each round-trip case (9.7, 9.8, 12, 13).
pub fn server_cases() -> Vec<Case> {
    server_cases_with(AUTOBAHN_MESSAGES)
}

/// The messages of a round-trip case in Autobahn's battery.
pub const AUTOBAHN_MESSAGES: usize = 1000;

/// The battery with `messages` messages in each round-trip case (fewer
/// for a quick run; the cases keep their numbers).
pub fn server_cases_with(messages: usize) -> Vec<Case> {
    let mut all = handshake_cases();
    framing(&mut all);
    pings(&mut all);
    reserved(&mut all);
    fragments(&mut all);
    utf8_cases(&mut all);
    close(&mut all);
    limits(&mut all, messages);
    all.push(
        case(
            "10.1.1",
            "Text message of 65536 bytes in frames of 1300 bytes",
            FRAGMENTS,
        )
        .step(Step::Message {
            kind: Text,
            payload: fill(b"*", 65536),
            fragment: Some(1300),
        })
        .expect(vec![msg(Text, fill(b"*", 65536))])
        .done(),
    );
    split_writes(&mut all);
    all.extend(super::deflate::cases(messages));
    all
}

/// 1.1.x and 1.2.x: text and binary messages of every length encoding.
fn framing(all: &mut Vec<Case>) {
    let sizes: [(usize, Option<usize>); 8] = [
        (0, None),
        (125, None),
        (126, None),
        (127, None),
        (128, None),
        (65535, None),
        (65536, None),
        (65536, Some(997)),
    ];
    for (kind, sub, unit) in [(Text, 1, b"*"), (Binary, 2, b"\xfe")] {
        for (i, (len, chop)) in sizes.iter().enumerate() {
            let p = fill(unit, *len);
            let title = format!(
                "{} message of {len} bytes{}",
                if kind == Text { "Text" } else { "Binary" },
                chop.map_or(String::new(), |c| format!(", in writes of {c} bytes"))
            );
            let mut b = case(format!("1.{sub}.{}", i + 1), title, ECHO);
            let f = Frame::new(kind.opcode(), p.clone());
            b = match chop {
                Some(c) => b.chopped(*c, vec![f]),
                None => b.send(vec![f]),
            };
            all.push(b.expect(vec![msg(kind, p)]).done());
        }
    }
}

/// 2.x: pings and pongs.
fn pings(all: &mut Vec<Case>) {
    let ping = |p: Payload| frame(9, p);
    let simple: [(&str, &str, Payload); 4] = [
        ("2.1", "Ping without payload", Payload::EMPTY),
        ("2.2", "Ping with a text payload", text(HELLO)),
        (
            "2.3",
            "Ping with a binary payload",
            text(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),
        ),
        (
            "2.4",
            "Ping with a payload of 125 bytes",
            fill(b"\xfe", 125),
        ),
    ];
    for (id, title, p) in simple {
        all.push(
            case(id, title, PONG)
                .send(vec![ping(p.clone())])
                .expect(vec![Want::Pong(p)])
                .done(),
        );
    }
    all.push(
        case("2.5", "Ping with a payload of 126 bytes", CONTROL_SIZE)
            .send(vec![ping(fill(b"\xfe", 126))])
            .fails(&[1002])
            .done(),
    );
    all.push(
        case("2.6", "Ping of 125 bytes, written a byte at a time", PONG)
            .chopped(1, vec![ping(fill(b"\xfe", 125))])
            .expect(vec![Want::Pong(fill(b"\xfe", 125))])
            .done(),
    );
    for (id, title, p) in [
        ("2.7", "Unsolicited pong without payload", Payload::EMPTY),
        (
            "2.8",
            "Unsolicited pong with payload",
            text(b"unsolicited pong payload"),
        ),
    ] {
        all.push(
            case(id, title, UNSOLICITED_PONG)
                .send(vec![frame(10, p)])
                .step(Step::Close {
                    code: Some(1000),
                    reason: Payload::EMPTY,
                })
                .done(),
        );
    }
    all.push(
        case("2.9", "Unsolicited pong, then a ping", UNSOLICITED_PONG)
            .send(vec![
                frame(10, text(b"unsolicited pong payload")),
                ping(text(b"ping payload")),
            ])
            .expect(vec![Want::Pong(text(b"ping payload"))])
            .done(),
    );
    let ten: Vec<Frame> = (0..10)
        .map(|i| {
            ping(Payload::Bytes(Cow::Owned(
                format!("payload-{i}").into_bytes(),
            )))
        })
        .collect();
    let pongs: Vec<Want> = (0..10)
        .map(|i| {
            Want::Pong(Payload::Bytes(Cow::Owned(
                format!("payload-{i}").into_bytes(),
            )))
        })
        .collect();
    all.push(
        case("2.10", "Ten pings", PONG)
            .send(ten.clone())
            .expect(pongs.clone())
            .done(),
    );
    all.push(
        case("2.11", "Ten pings, written a byte at a time", PONG)
            .chopped(1, ten)
            .expect(pongs)
            .done(),
    );
}

/// 3.x reserved bits and 4.x reserved opcodes.
fn reserved(all: &mut Vec<Case>) {
    let hello = || Frame::text(text(HELLO));
    let echo_then_fail = |id: &str, title: &str, rule: Rule, bad: Frame, how: Option<u8>| {
        let frames = vec![hello(), bad, frame(9, Payload::EMPTY)];
        let b = case(id, title, rule);
        let b = match how {
            None => b.send(frames),
            Some(0) => b.each(frames),
            Some(n) => b.chopped(usize::from(n), frames),
        };
        b.expect(vec![msg(Text, text(HELLO))])
            .or_non_strict(vec![])
            .fails(&[1002])
            .done()
    };
    all.push(
        case("3.1", "Text message with RSV = 1 (RSV3) set", RSV)
            .send(vec![hello().rsv(1)])
            .fails(&[1002])
            .done(),
    );
    all.push(echo_then_fail(
        "3.2",
        "Text message, then one with RSV = 2 (RSV2), then a ping",
        RSV,
        hello().rsv(2),
        None,
    ));
    all.push(echo_then_fail(
        "3.3",
        "The same with RSV = 3 (RSV2, RSV3), each frame in a write of its own",
        RSV,
        hello().rsv(3),
        Some(0),
    ));
    all.push(echo_then_fail(
        "3.4",
        "The same with RSV = 4 (RSV1), a byte at a time",
        RSV,
        hello().rsv(4),
        Some(1),
    ));
    all.push(
        case("3.5", "Binary message with RSV = 5 (RSV1, RSV3)", RSV)
            .send(vec![Frame::binary(text(
                b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff",
            ))
            .rsv(5)])
            .fails(&[1002])
            .done(),
    );
    all.push(
        case("3.6", "Ping with RSV = 6 (RSV1, RSV2)", RSV)
            .send(vec![frame(9, text(HELLO)).rsv(6)])
            .fails(&[1002])
            .done(),
    );
    all.push(
        case("3.7", "Close with RSV = 7 (all three)", RSV)
            .send(vec![frame(8, Payload::EMPTY).rsv(7)])
            .fails(&[1002])
            .done(),
    );
    for (group, ops) in [(1, [3u8, 4, 5, 6, 7]), (2, [11, 12, 13, 14, 15])] {
        for (i, op) in ops.iter().enumerate() {
            let id = format!("4.{group}.{}", i + 1);
            let kind = if group == 1 { "non-control" } else { "control" };
            let with = if i % 2 == 1 {
                text(b"reserved opcode payload")
            } else {
                Payload::EMPTY
            };
            if i < 2 {
                all.push(
                    case(id, format!("Reserved {kind} opcode {op}"), OPCODE)
                        .send(vec![frame(*op, with)])
                        .fails(&[1002])
                        .done(),
                );
            } else {
                let payload = if i >= 3 { text(HELLO) } else { Payload::EMPTY };
                let chop = if i == 4 { Some(1) } else { None };
                all.push(echo_then_fail(
                    &id,
                    &format!(
                        "Text message, then reserved {kind} opcode {op}, then a ping{}",
                        if chop.is_some() {
                            ", a byte at a time"
                        } else {
                            ""
                        }
                    ),
                    OPCODE,
                    frame(*op, payload),
                    chop,
                ));
            }
        }
    }
}

/// 5.x: fragmentation.
fn fragments(all: &mut Vec<Case>) {
    let f1 = || text(b"fragment1");
    let f2 = || text(b"fragment2");
    let whole = || msg(Text, text(b"fragment1fragment2"));
    all.push(
        case("5.1", "Ping in two fragments", CONTROL_FRAGMENT)
            .send(vec![frame(9, f1()).fin(false), frame(0, f2())])
            .fails(&[1002])
            .done(),
    );
    all.push(
        case("5.2", "Pong in two fragments", CONTROL_FRAGMENT)
            .send(vec![frame(10, f1()).fin(false), frame(0, f2())])
            .fails(&[1002])
            .done(),
    );
    let two = || vec![Frame::text(f1()).fin(false), frame(0, f2())];
    all.push(
        case("5.3", "Text message in two fragments", FRAGMENTS)
            .send(two())
            .expect(vec![whole()])
            .done(),
    );
    all.push(
        case(
            "5.4",
            "The same, each fragment in a write of its own",
            FRAGMENTS,
        )
        .each(two())
        .expect(vec![whole()])
        .done(),
    );
    all.push(
        case("5.5", "The same, a byte at a time", FRAGMENTS)
            .chopped(1, two())
            .expect(vec![whole()])
            .done(),
    );
    let with_ping = || {
        vec![
            Frame::text(f1()).fin(false),
            frame(9, text(b"ping payload")),
            frame(0, f2()),
        ]
    };
    let pong_then_whole = || vec![Want::Pong(text(b"ping payload")), whole()];
    all.push(
        case(
            "5.6",
            "Text message in two fragments, a ping between them",
            FRAGMENTS,
        )
        .send(with_ping())
        .expect(pong_then_whole())
        .done(),
    );
    all.push(
        case(
            "5.7",
            "The same, each frame in a write of its own",
            FRAGMENTS,
        )
        .each(with_ping())
        .expect(pong_then_whole())
        .done(),
    );
    all.push(
        case("5.8", "The same, a byte at a time", FRAGMENTS)
            .chopped(1, with_ping())
            .expect(pong_then_whole())
            .done(),
    );
    let stray = |fin: bool| {
        vec![
            frame(0, text(b"non-continuation payload")).fin(fin),
            Frame::text(text(HELLO)),
        ]
    };
    let how = [
        "",
        ", each frame in a write of its own",
        ", a byte at a time",
    ];
    for (n, fin) in [(9, true), (12, false)] {
        for (k, how) in how.iter().enumerate() {
            let title = format!(
                "Continuation with FIN {} and nothing to continue, then a text message{how}",
                u8::from(fin)
            );
            let b = case(format!("5.{}", n + k), title, CONTINUATION);
            let b = match k {
                0 => b.send(stray(fin)),
                1 => b.each(stray(fin)),
                _ => b.chopped(1, stray(fin)),
            };
            all.push(b.fails(&[1002]).done());
        }
    }
    all.push(
        case(
            "5.15",
            "Text message in two fragments, then a stray continuation, then a text message",
            CONTINUATION,
        )
        .send(vec![
            Frame::text(f1()).fin(false),
            frame(0, f2()),
            frame(0, text(b"fragment3")).fin(false),
            Frame::text(text(b"fragment4")),
        ])
        .expect(vec![whole()])
        .or_non_strict(vec![])
        .fails(&[1002])
        .done(),
    );
    for (id, first_fin) in [("5.16", false), ("5.17", true)] {
        let once = [
            frame(0, f1()).fin(first_fin),
            Frame::text(f2()).fin(false),
            frame(0, text(b"fragment3")),
        ];
        let frames: Vec<Frame> = once.iter().chain(once.iter()).cloned().collect();
        all.push(
            case(
                id,
                format!(
                    "Twice: a stray continuation (FIN {}), then a text message in two fragments",
                    u8::from(first_fin)
                ),
                CONTINUATION,
            )
            .send(frames)
            .fails(&[1002])
            .done(),
        );
    }
    all.push(
        case(
            "5.18",
            "A text message started inside another",
            CONTINUATION,
        )
        .send(vec![Frame::text(f1()).fin(false), Frame::text(f2())])
        .fails(&[1002])
        .done(),
    );
    for (id, each) in [("5.19", false), ("5.20", true)] {
        let frag = |n: u8| Payload::Bytes(Cow::Owned(format!("fragment{n}").into_bytes()));
        let part1 = vec![
            Frame::text(frag(1)).fin(false),
            frame(0, frag(2)).fin(false),
            frame(9, text(b"pongme 1!")),
        ];
        let part2 = vec![
            frame(0, frag(3)).fin(false),
            frame(0, frag(4)).fin(false),
            frame(9, text(b"pongme 2!")),
            frame(0, frag(5)),
        ];
        let title = format!(
            "Text message in five fragments with pings between, the first pong awaited before the rest{}",
            if each { ", each frame in a write of its own" } else { "" }
        );
        let mut b = case(id, title, FRAGMENTS);
        b = if each { b.each(part1) } else { b.send(part1) };
        b = b.step(Step::Await(1));
        b = if each { b.each(part2) } else { b.send(part2) };
        all.push(
            b.expect(vec![
                Want::Pong(text(b"pongme 1!")),
                Want::Pong(text(b"pongme 2!")),
                msg(Text, text(b"fragment1fragment2fragment3fragment4fragment5")),
            ])
            .done(),
        );
    }
}

/// 6.x: UTF-8.
fn utf8_cases(all: &mut Vec<Case>) {
    const MIXED: &[u8] = "Hello-µ@ßöäüàá-UTF-8!!".as_bytes();
    const MIXED_HEAD: usize = "Hello-µ@ßöä".len();
    all.push(
        case("6.1.1", "Empty text message", UTF8_OK)
            .send(vec![Frame::text(Payload::EMPTY)])
            .expect(vec![msg(Text, Payload::EMPTY)])
            .done(),
    );
    all.push(
        case(
            "6.1.2",
            "Empty text message in three empty fragments",
            UTF8_OK,
        )
        .send(vec![
            Frame::text(Payload::EMPTY).fin(false),
            frame(0, Payload::EMPTY).fin(false),
            frame(0, Payload::EMPTY),
        ])
        .expect(vec![msg(Text, Payload::EMPTY)])
        .done(),
    );
    all.push(
        case(
            "6.1.3",
            "Text message whose first and last fragments are empty",
            UTF8_OK,
        )
        .send(vec![
            Frame::text(Payload::EMPTY).fin(false),
            frame(0, text(b"middle frame payload")).fin(false),
            frame(0, Payload::EMPTY),
        ])
        .expect(vec![msg(Text, text(b"middle frame payload"))])
        .done(),
    );
    all.push(
        case("6.2.1", "Valid UTF-8 in one frame", UTF8_OK)
            .send(vec![Frame::text(text(MIXED))])
            .expect(vec![msg(Text, text(MIXED))])
            .done(),
    );
    all.push(
        case(
            "6.2.2",
            "Valid UTF-8 in two fragments cut at a character boundary",
            UTF8_OK,
        )
        .send(vec![
            Frame::text(text(&MIXED[..MIXED_HEAD])).fin(false),
            frame(0, text(&MIXED[MIXED_HEAD..])),
        ])
        .expect(vec![msg(Text, text(MIXED))])
        .done(),
    );
    for (id, payload) in [("6.2.3", MIXED), ("6.2.4", KOSME)] {
        all.push(
            case(
                id,
                "Valid UTF-8 in fragments of one byte, cut inside characters",
                UTF8_OK,
            )
            .step(Step::Message {
                kind: Text,
                payload: text(payload),
                fragment: Some(1),
            })
            .expect(vec![msg(Text, text(payload))])
            .done(),
        );
    }
    const BAD: &[u8] =
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";
    for (id, fragment) in [("6.3.1", None), ("6.3.2", Some(1))] {
        all.push(
            case(
                id,
                format!(
                    "Invalid UTF-8 (a surrogate) in {}",
                    if fragment.is_some() {
                        "fragments of one byte"
                    } else {
                        "one frame"
                    }
                ),
                UTF8_BAD,
            )
            .step(Step::Message {
                kind: Text,
                payload: text(BAD),
                fragment,
            })
            .fails(&[1007])
            .done(),
        );
    }
    // 6.4.x: the invalid part is sent, then the rest after a pause; a
    // peer that fails fast closes before the rest.
    const P1: &[u8] = KOSME;
    const P2: &[u8] = b"\xf4\x90\x80\x80";
    const P3: &[u8] = b"\x65\x64\x69\x74\x65\x64";
    const ALL: &[u8] =
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64";
    let fast = |b: B| {
        b.expect(vec![Want::Mark("A")])
            .or_non_strict(vec![Want::Mark("A"), Want::Mark("B")])
            .fails(&[1007])
            .done()
    };
    let frames = |a: &'static [u8], b: &'static [u8], c: &'static [u8]| {
        [
            Frame::text(text(a)).fin(false),
            frame(0, text(b)).fin(false),
            frame(0, text(c)),
        ]
    };
    for (id, (a, b, c), what) in [
        (
            "6.4.1",
            (P1, P2, P3),
            "a code point above U+10FFFF in the second of three frames",
        ),
        (
            "6.4.2",
            (&ALL[..12], &ALL[12..13], &ALL[13..]),
            "the byte that makes it invalid alone in the second of three frames",
        ),
    ] {
        let [f1, f2, f3] = frames(a, b, c);
        all.push(fast(
            case(
                id,
                format!("Invalid UTF-8, {what}, sent after a pause"),
                UTF8_FAST,
            )
            .send(vec![f1])
            .step(Step::Quiet("A"))
            .send(vec![f2])
            .step(Step::Quiet("B"))
            .send(vec![f3]),
        ));
    }
    for (id, cut1, cut2, what) in [
        (
            "6.4.3",
            P1.len(),
            P1.len() + P2.len(),
            "a code point above U+10FFFF",
        ),
        ("6.4.4", 12, 13, "the byte that makes it invalid"),
    ] {
        all.push(fast(
            case(
                id,
                format!("Invalid UTF-8 in one frame written in three parts, {what} in the second, sent after a pause"),
                UTF8_FAST,
            )
            .step(Step::Begin {
                frame: Frame::text(text(ALL)),
                first: cut1,
            })
            .step(Step::Quiet("A"))
            .step(Step::More(Some(cut2 - cut1)))
            .step(Step::Quiet("B"))
            .step(Step::More(None)),
        ));
    }
    for (g, group) in utf8::groups().into_iter().enumerate() {
        for (i, (valid, seq)) in group.sequences.into_iter().enumerate() {
            let id = format!("6.{}.{}", g + 5, i + 1);
            let p = Payload::Bytes(Cow::Owned(seq));
            let title = format!(
                "{}: {} ({})",
                group.title,
                super::hex(&p.bytes()),
                if valid { "valid" } else { "invalid" }
            );
            let b = case(id, title, if valid { UTF8_OK } else { UTF8_BAD })
                .send(vec![Frame::text(p.clone())]);
            all.push(if valid {
                b.expect(vec![msg(Text, p)]).done()
            } else {
                b.fails(&[1007]).done()
            });
        }
    }
}

/// 7.x: the closing handshake.
fn close(all: &mut Vec<Case>) {
    let close1000 = || Step::Close {
        code: Some(1000),
        reason: Payload::EMPTY,
    };
    all.push(
        case("7.1.1", "Text message, then a close", CLOSE)
            .send(vec![Frame::text(text(b"Hello World!"))])
            .expect(vec![msg(Text, text(b"Hello World!"))])
            .answers(&[1000], true)
            .done(),
    );
    let after: [(&str, &str, Vec<Frame>); 4] = [
        (
            "7.1.2",
            "Close, then a second close",
            vec![frame(8, Payload::EMPTY)],
        ),
        (
            "7.1.3",
            "Close, then a ping",
            vec![frame(9, Payload::EMPTY)],
        ),
        (
            "7.1.4",
            "Close, then a text message",
            vec![Frame::text(text(b"Hello World!"))],
        ),
        (
            "7.1.5",
            "First fragment, close, then the last fragment",
            vec![],
        ),
    ];
    for (id, title, frames) in after {
        let mut b = case(id, title, CLOSE);
        if id == "7.1.5" {
            b = b
                .send(vec![Frame::text(text(b"fragment1")).fin(false)])
                .step(close1000())
                .send(vec![frame(0, text(b"fragment2"))]);
        } else {
            b = b.step(close1000()).send(frames);
        }
        all.push(b.answers(&[1000], true).done());
    }
    all.push(
        case(
            "7.1.6",
            "Text message of 256 KiB, a text message, a close, a ping, back to back",
            CLOSE_OPEN,
        )
        .send(vec![
            Frame::text(fill(b"BAsd7&jh23", 256 << 10)),
            Frame::text(text(b"Hello World!")),
        ])
        .step(close1000())
        .send(vec![frame(9, Payload::EMPTY)])
        .expect(vec![msg(Text, text(b"Hello World!"))])
        .answers(&[1000], true)
        .informational()
        .done(),
    );
    let close_frame = |p: Payload| Step::Frames(vec![frame(8, p)], Chop::Whole);
    all.push(
        case("7.3.1", "Close with an empty payload", CLOSE)
            .step(Step::Close {
                code: None,
                reason: Payload::EMPTY,
            })
            .answers(&[1000], true)
            .done(),
    );
    all.push(
        case("7.3.2", "Close with a payload of one byte", CLOSE_BAD)
            .step(close_frame(text(b"a")))
            .answers(&[1002], false)
            .done(),
    );
    all.push(
        case("7.3.3", "Close with a code and no reason", CLOSE)
            .step(close1000())
            .answers(&[1000], true)
            .done(),
    );
    all.push(
        case("7.3.4", "Close with a code and a reason", CLOSE)
            .step(Step::Close {
                code: Some(1000),
                reason: text(b"Hello World!"),
            })
            .answers(&[1000], true)
            .done(),
    );
    all.push(
        case(
            "7.3.5",
            "Close with a reason of 123 bytes (the most there is room for)",
            CLOSE,
        )
        .step(Step::Close {
            code: Some(1000),
            reason: fill(b"*", 123),
        })
        .answers(&[1000], true)
        .done(),
    );
    all.push(
        case(
            "7.3.6",
            "Close with a reason of 124 bytes (a payload of 126)",
            CLOSE_BAD,
        )
        .step(Step::Close {
            code: Some(1000),
            reason: fill(b"*", 124),
        })
        .answers(&[1002], false)
        .done(),
    );
    all.push(
        case("7.5.1", "Close with a reason that is not UTF-8", CLOSE_BAD)
            .step(Step::Close {
                code: Some(1000),
                reason: text(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"),
            })
            .answers(&[1002, 1007], false)
            .done(),
    );
    const VALID: [u16; 13] = [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
    ];
    for (i, code) in VALID.iter().enumerate() {
        all.push(
            case(
                format!("7.7.{}", i + 1),
                format!("Close with code {code}"),
                CLOSE_CODE_OK,
            )
            .step(Step::Close {
                code: Some(*code),
                reason: Payload::EMPTY,
            })
            .answers(&[1000, *code], true)
            .done(),
        );
    }
    const INVALID: [u16; 9] = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
    for (i, code) in INVALID.iter().enumerate() {
        all.push(
            case(
                format!("7.9.{}", i + 1),
                format!("Close with code {code}, which may not be sent"),
                CLOSE_CODE_BAD,
            )
            .step(Step::Close {
                code: Some(*code),
                reason: Payload::EMPTY,
            })
            .answers(&[1002], false)
            .done(),
        );
    }
    for (id, code) in [("7.13.1", 5000u16), ("7.13.2", 65535)] {
        all.push(
            case(id, format!("Close with code {code}"), CLOSE_OPEN)
                .step(Step::Close {
                    code: Some(code),
                    reason: Payload::EMPTY,
                })
                .answers(&[1000, 1002], false)
                .informational()
                .done(),
        );
    }
}

/// 9.x: large messages, many fragments, many round trips.
fn limits(all: &mut Vec<Case>, messages: usize) {
    const SIZES: [(usize, &str); 6] = [
        (64 << 10, "64 KiB"),
        (256 << 10, "256 KiB"),
        (1 << 20, "1 MiB"),
        (4 << 20, "4 MiB"),
        (8 << 20, "8 MiB"),
        (16 << 20, "16 MiB"),
    ];
    for (sub, kind, unit) in [
        (1, Text, &b"BAsd7&jh23"[..]),
        (2, Binary, &b"\x00\xfe\x23\xfa\xf0"[..]),
    ] {
        for (i, (len, name)) in SIZES.iter().enumerate() {
            let p = fill(unit, *len);
            all.push(
                case(
                    format!("9.{sub}.{}", i + 1),
                    format!("{} message of {name}", kind_name(kind)),
                    LARGE,
                )
                .send(vec![Frame::new(kind.opcode(), p.clone())])
                .expect(vec![msg(kind, p)])
                .weight(weight(*len))
                .done(),
            );
        }
    }
    const FRAGS: [(usize, &str); 9] = [
        (64, "64 bytes"),
        (256, "256 bytes"),
        (1 << 10, "1 KiB"),
        (4 << 10, "4 KiB"),
        (16 << 10, "16 KiB"),
        (64 << 10, "64 KiB"),
        (256 << 10, "256 KiB"),
        (1 << 20, "1 MiB"),
        (4 << 20, "4 MiB"),
    ];
    for (sub, kind, unit) in [(3, Text, b"*"), (4, Binary, b"\xfe")] {
        for (i, (frag, name)) in FRAGS.iter().enumerate() {
            let p = fill(unit, 4 << 20);
            all.push(
                case(
                    format!("9.{sub}.{}", i + 1),
                    format!(
                        "{} message of 4 MiB in fragments of {name}",
                        kind_name(kind)
                    ),
                    LARGE,
                )
                .step(Step::Message {
                    kind,
                    payload: p.clone(),
                    fragment: Some(*frag),
                })
                .expect(vec![msg(kind, p)])
                .weight(weight(4 << 20))
                .done(),
            );
        }
    }
    for (sub, kind, unit) in [
        (5, Text, &b"BAsd7&jh23"[..]),
        (6, Binary, &b"\x00\xfe\x23\xfa\xf0"[..]),
    ] {
        for (i, chop) in [64usize, 128, 256, 512, 1024, 2048].iter().enumerate() {
            let p = fill(unit, 1 << 20);
            all.push(
                case(
                    format!("9.{sub}.{}", i + 1),
                    format!(
                        "{} message of 1 MiB in writes of {chop} bytes",
                        kind_name(kind)
                    ),
                    LARGE,
                )
                .chopped(*chop, vec![Frame::new(kind.opcode(), p.clone())])
                .expect(vec![msg(kind, p)])
                .weight(weight(1 << 20))
                .done(),
            );
        }
    }
    for (sub, kind, unit) in [(7, Text, b"*"), (8, Binary, b"\xfe")] {
        for (i, len) in [0usize, 16, 64, 256, 1024, 4096].iter().enumerate() {
            all.push(
                case(
                    format!("9.{sub}.{}", i + 1),
                    format!(
                        "{messages} {} messages of {len} bytes, one round trip each",
                        kind_name(kind).to_lowercase()
                    ),
                    ECHO,
                )
                .step(Step::Echoes {
                    kind,
                    payload: fill(unit, *len),
                    count: messages,
                })
                .expect(vec![Want::Echoes])
                .weight(4)
                .done(),
            );
        }
    }
}

fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        Text => "Text",
        Binary => "Binary",
    }
}

/// How many times the usual patience a message of `len` bytes may take.
fn weight(len: usize) -> u32 {
    (len >> 20).clamp(1, 16) as u32
}

/// S.x: slow and split writes.
fn split_writes(all: &mut Vec<Case>) {
    let slow = |n| Chop::Slowly(n, Duration::from_millis(5));
    let hello = || Frame::text(text(HELLO));
    all.push(
        case(
            "S.1",
            "A text frame written a byte at a time, 5 ms apart",
            SPLIT,
        )
        .step(Step::Frames(vec![hello()], slow(1)))
        .expect(vec![msg(Text, text(HELLO))])
        .done(),
    );
    all.push(
        case("S.2", "Two text frames in one write", SPLIT)
            .send(vec![
                Frame::text(text(b"first")),
                Frame::text(text(b"second")),
            ])
            .expect(vec![msg(Text, text(b"first")), msg(Text, text(b"second"))])
            .done(),
    );
    all.push(
        case(
            "S.3",
            "A frame whose 64-bit length arrives in two writes",
            SPLIT,
        )
        .step(Step::Begin {
            frame: Frame::binary(fill(b"\x01\x02", 70_000)),
            first: 0,
        })
        .step(Step::More(None))
        .expect(vec![msg(Binary, fill(b"\x01\x02", 70_000))])
        .done(),
    );
    let frags: Vec<Frame> = (0..16)
        .map(|i| {
            let f = if i == 0 {
                Frame::text(text(b"part"))
            } else {
                frame(0, text(b"part"))
            };
            f.fin(i == 15)
        })
        .collect();
    let mut sixteen = frags.clone();
    sixteen.insert(8, frame(9, text(b"halfway")));
    all.push(
        case(
            "S.4",
            "Sixteen fragments, a ping among them, 5 ms apart",
            SPLIT,
        )
        .step(Step::Frames(
            sixteen,
            Chop::Slowly(6, Duration::from_millis(5)),
        ))
        .expect(vec![
            Want::Pong(text(b"halfway")),
            msg(Text, fill(b"part", 64)),
        ])
        .done(),
    );
    all.push(
        case("S.5", "A ping written a byte at a time, 5 ms apart", SPLIT)
            .step(Step::Frames(vec![frame(9, text(b"slow ping"))], slow(1)))
            .expect(vec![Want::Pong(text(b"slow ping"))])
            .done(),
    );
}

/// H.x: the opening handshake.
fn handshake_cases() -> Vec<Case> {
    let refuse = |statuses: &'static [u16]| HandshakeWant::Refuse {
        statuses,
        header: None,
        hang_up_ok: false,
    };
    let set = |pairs: &[(&'static str, &'static str)]| -> Vec<(&'static str, Cow<'static, str>)> {
        pairs.iter().map(|(n, v)| (*n, Cow::Borrowed(*v))).collect()
    };
    let rows: Vec<(&str, &str, Rule, RequestSpec, HandshakeWant, Chop)> = vec![
        (
            "H.1",
            "A valid request",
            HS_ACCEPT,
            RequestSpec::default(),
            HandshakeWant::Upgrade,
            Chop::Whole,
        ),
        (
            "H.2",
            "Upgrade and Connection tokens in other cases, among other tokens",
            HS_ACCEPT,
            RequestSpec {
                set: set(&[
                    ("Upgrade", "WebSocket"),
                    ("Connection", "keep-alive, UPGRADE"),
                ]),
                ..RequestSpec::default()
            },
            HandshakeWant::Upgrade,
            Chop::Whole,
        ),
        (
            "H.3",
            "The request written a byte at a time",
            HS_ACCEPT,
            RequestSpec::default(),
            HandshakeWant::Upgrade,
            Chop::Slowly(1, Duration::from_millis(1)),
        ),
        (
            "H.4",
            "A text frame in the same write as the request",
            HS_ACCEPT,
            RequestSpec {
                then_text: Some("sent with the request"),
                ..RequestSpec::default()
            },
            HandshakeWant::Upgrade,
            Chop::Whole,
        ),
        (
            "H.5",
            "No Sec-WebSocket-Key",
            HS_REFUSE,
            RequestSpec {
                drop: &["Sec-WebSocket-Key"],
                ..RequestSpec::default()
            },
            refuse(&[400]),
            Chop::Whole,
        ),
        (
            "H.6",
            "A Sec-WebSocket-Key of 10 bytes, not 16",
            HS_REFUSE,
            RequestSpec {
                set: set(&[("Sec-WebSocket-Key", "dGhlIHNhbXBsZQ==")]),
                ..RequestSpec::default()
            },
            refuse(&[400]),
            Chop::Whole,
        ),
        (
            "H.7",
            "Sec-WebSocket-Version 8",
            HS_VERSION,
            RequestSpec {
                set: set(&[("Sec-WebSocket-Version", "8")]),
                ..RequestSpec::default()
            },
            HandshakeWant::Refuse {
                statuses: &[426],
                header: Some(("Sec-WebSocket-Version", "13")),
                hang_up_ok: false,
            },
            Chop::Whole,
        ),
        (
            "H.8",
            "No Sec-WebSocket-Version",
            HS_REFUSE,
            RequestSpec {
                drop: &["Sec-WebSocket-Version"],
                ..RequestSpec::default()
            },
            refuse(&[400, 426]),
            Chop::Whole,
        ),
        (
            "H.9",
            "No Upgrade header",
            HS_REFUSE,
            RequestSpec {
                drop: &["Upgrade"],
                ..RequestSpec::default()
            },
            refuse(&[400, 426]),
            Chop::Whole,
        ),
        (
            "H.10",
            "Connection without the Upgrade token",
            HS_REFUSE,
            RequestSpec {
                set: set(&[("Connection", "keep-alive")]),
                ..RequestSpec::default()
            },
            refuse(&[400, 426]),
            Chop::Whole,
        ),
        (
            "H.11",
            "POST instead of GET",
            HS_REFUSE,
            RequestSpec {
                method: "POST",
                ..RequestSpec::default()
            },
            refuse(&[405, 400]),
            Chop::Whole,
        ),
        (
            "H.12",
            "HTTP/1.0",
            HS_REFUSE,
            RequestSpec {
                version: "HTTP/1.0",
                ..RequestSpec::default()
            },
            refuse(&[400, 505]),
            Chop::Whole,
        ),
        (
            "H.13",
            "No Host header",
            HS_REFUSE,
            RequestSpec {
                drop: &["Host"],
                ..RequestSpec::default()
            },
            refuse(&[400]),
            Chop::Whole,
        ),
        (
            "H.14",
            "A head of 64 KiB",
            HS_LARGE,
            RequestSpec {
                pad: 64 << 10,
                ..RequestSpec::default()
            },
            HandshakeWant::Refuse {
                statuses: &[431, 400],
                header: None,
                hang_up_ok: true,
            },
            Chop::Whole,
        ),
        (
            "H.15",
            "Subprotocols offered: chat, superchat",
            HS_PROTOCOL,
            RequestSpec {
                set: set(&[("Sec-WebSocket-Protocol", "chat, superchat")]),
                ..RequestSpec::default()
            },
            HandshakeWant::Upgrade,
            Chop::Whole,
        ),
        (
            "H.16",
            "An unknown extension offered",
            HS_EXTENSION,
            RequestSpec {
                set: set(&[("Sec-WebSocket-Extensions", "x-wsdbg-unknown; level=3")]),
                ..RequestSpec::default()
            },
            HandshakeWant::Upgrade,
            Chop::Whole,
        ),
        (
            "H.17",
            "An Origin from another site",
            HS_ORIGIN,
            RequestSpec {
                set: set(&[("Origin", "http://evil.example")]),
                ..RequestSpec::default()
            },
            HandshakeWant::Either,
            Chop::Whole,
        ),
    ];
    rows.into_iter()
        .map(|(id, title, rule, request, want, chop)| {
            let informational = want == HandshakeWant::Either;
            let mut b = case(id, title, rule);
            b.0.handshake = Some(HandshakeCase {
                request,
                want,
                chop,
            });
            if informational {
                b = b.informational();
            }
            b.done()
        })
        .collect()
}

const HS_ACCEPT: Rule = Rule {
    section: "RFC 6455 §4.2.2",
    should: "answer 101 with Upgrade: websocket, Connection: Upgrade and the Sec-WebSocket-Accept the key calls for",
};
const HS_REFUSE: Rule = Rule {
    section: "RFC 6455 §4.2.1",
    should: "refuse the upgrade with an HTTP error (400 Bad Request, or the status named)",
};
const HS_VERSION: Rule = Rule {
    section: "RFC 6455 §4.2.2",
    should:
        "refuse with 426 Upgrade Required and Sec-WebSocket-Version: 13 (the versions it speaks)",
};
const HS_LARGE: Rule = Rule {
    section: "RFC 6585 §5",
    should: "refuse a head too large to handle (431 Request Header Fields Too Large) rather than buffer it or hang",
};
const HS_PROTOCOL: Rule = Rule {
    section: "RFC 6455 §4.2.2",
    should:
        "pick at most one of the subprotocols offered (or none), never one that was not offered",
};
const HS_EXTENSION: Rule = Rule {
    section: "RFC 6455 §9.1",
    should: "leave out an extension it does not know: only extensions offered can be agreed",
};
const HS_ORIGIN: Rule = Rule {
    section: "RFC 6455 §10.2",
    should: "accept it or refuse it (403), as its own policy says",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_autobahn_sections_have_autobahns_cases() {
        let all = server_cases();
        let count = |prefix: &str| all.iter().filter(|c| c.id.starts_with(prefix)).count();
        assert_eq!(count("1."), 16);
        assert_eq!(count("2."), 11);
        assert_eq!(count("3."), 7);
        assert_eq!(count("4."), 10);
        assert_eq!(count("5."), 20);
        assert_eq!(count("6."), 145);
        assert_eq!(count("7."), 37);
        assert_eq!(count("9."), 54);
        assert_eq!(count("10."), 1);
        let autobahn = ["1.", "2.", "3.", "4.", "5.", "6.", "7.", "9.", "10."]
            .iter()
            .map(|p| count(p))
            .sum::<usize>();
        assert_eq!(
            autobahn, 301,
            "Autobahn's fuzzingclient has 301 cases in 1-10"
        );
        let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "case ids are unique");
    }

    #[test]
    fn cases_send_what_autobahn_sends() {
        let all = server_cases();
        let find = |id: &str| all.iter().find(|c| c.id == id).unwrap();
        // 6.13.1: lonely start bytes C0..DE, each followed by a space.
        let Step::Frames(f, _) = &find("6.13.1").script[0] else {
            panic!("frames")
        };
        let b = f[0].payload.bytes();
        assert_eq!(b.len(), 2 * (0xdf - 0xc0));
        assert_eq!(&b[..4], b"\xc0 \xc1 ");
        // 4.2.5: echo, then opcode 15 with a payload, then a ping, a byte
        // at a time.
        let c = find("4.2.5");
        assert_eq!(c.script.len(), 3);
        assert!(
            matches!(c.script[1], Step::Frames(ref f, Chop::Every(1)) if f[0].opcode == OpCode::from_bits(15) && !f[0].payload.is_empty())
        );
        assert_eq!(c.expect.non_strict, Some(vec![]));
        // 7.9.x: invalid codes.
        assert!(matches!(
            find("7.9.3").script[0],
            Step::Close {
                code: Some(1004),
                ..
            }
        ));
        assert!(find("6.22.34").title.contains("f4 8f bf bf"));
    }
}
