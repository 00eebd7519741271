//! The judge on observations written out by hand.

use super::*;

fn find(id: &str) -> Case {
    server_cases().into_iter().find(|c| c.id == id).expect(id)
}

fn open() -> Answer {
    let response = crate::protocol::http::Response {
        version: "HTTP/1.1".into(),
        status: 101,
        reason: b"Switching Protocols".to_vec(),
        headers: Vec::new(),
        line_endings: crate::protocol::http::LineEndings::Crlf,
    };
    Answer::Response {
        response,
        issues: Vec::new(),
        unasked: Vec::new(),
    }
}

/// The checker closed with 1000 and the peer answered it.
fn closed_by_checker() -> Ending {
    Ending {
        first: Some(Closer::Checker),
        peer_close: Some((Some(1000), Vec::new())),
        clean: true,
        peer_hung_up: true,
        gave_up: None,
    }
}

/// The peer failed the connection with `code`.
fn failed_by_peer(code: u16) -> Ending {
    Ending {
        first: Some(Closer::Peer),
        peer_close: Some((Some(code), Vec::new())),
        clean: true,
        peer_hung_up: true,
        gave_up: None,
    }
}

fn seen(got: Vec<Got>, ending: Ending) -> Observed {
    Observed {
        answer: open(),
        got,
        ending,
        ..Observed::default()
    }
}

#[test]
fn an_echo_and_a_clean_close_is_ok() {
    let c = find("1.1.2");
    let j = judge(
        &c,
        &seen(
            vec![Got::Message(MessageKind::Text, vec![b'*'; 125])],
            closed_by_checker(),
        ),
    );
    assert_eq!(j.verdict, Verdict::Ok, "{:?}", j.findings);
    assert!(j.findings.is_empty());
}

#[test]
fn an_echo_with_other_bytes_of_the_same_length_fails() {
    // Autobahn's section 9 compares lengths only; wsdbg compares bytes.
    let c = find("9.1.1");
    let mut data = b"BAsd7&jh23".repeat(6554);
    data.truncate(64 << 10);
    data[100] ^= 1;
    let j = judge(
        &c,
        &seen(
            vec![Got::Message(MessageKind::Text, data)],
            closed_by_checker(),
        ),
    );
    assert_eq!(j.verdict, Verdict::Failed);
    assert!(matches!(j.findings[0], Finding::Differs { at: 1, .. }));
}

#[test]
fn no_echo_fails_and_says_what_was_expected() {
    let c = find("1.2.1");
    let mut e = closed_by_checker();
    e.gave_up = Some(Waited::Expected);
    let j = judge(&c, &seen(vec![], e));
    assert_eq!(j.verdict, Verdict::Failed);
    assert!(
        matches!(&j.findings[..], [Finding::Differs { at: 1, want: Some(Want::Message(MessageKind::Binary, p)), got: None }] if p.is_empty()),
        "{:?}",
        j.findings
    );
}

#[test]
fn a_peer_that_fails_before_echoing_the_good_message_is_non_strict() {
    let c = find("3.2");
    let ok = judge(
        &c,
        &seen(
            vec![Got::Message(MessageKind::Text, b"Hello, world!".to_vec())],
            failed_by_peer(1002),
        ),
    );
    assert_eq!(ok.verdict, Verdict::Ok, "{:?}", ok.findings);
    let ns = judge(&c, &seen(vec![], failed_by_peer(1002)));
    assert_eq!(ns.verdict, Verdict::NonStrict);
    // Echoing the frame with RSV2 set as well fails.
    let hello = || Got::Message(MessageKind::Text, b"Hello, world!".to_vec());
    let bad = judge(&c, &seen(vec![hello(), hello()], failed_by_peer(1002)));
    assert_eq!(bad.verdict, Verdict::Failed);
}

#[test]
fn a_peer_that_does_not_fail_the_connection_fails_the_case() {
    let c = find("3.1");
    let mut e = closed_by_checker();
    e.gave_up = Some(Waited::PeerClose);
    let j = judge(&c, &seen(vec![], e));
    assert_eq!(j.verdict, Verdict::Failed);
    assert_eq!(j.findings, vec![Finding::DidNotFail]);
    // Dropping the connection without a close frame is failing it.
    let dropped = Ending {
        peer_hung_up: true,
        ..Ending::default()
    };
    assert_eq!(judge(&c, &seen(vec![], dropped)).verdict, Verdict::Ok);
}

#[test]
fn a_close_code_other_than_the_rules_is_non_strict_but_fails_section_7() {
    let j = judge(&find("3.1"), &seen(vec![], failed_by_peer(1000)));
    assert_eq!(j.verdict, Verdict::NonStrict);
    assert_eq!(
        j.findings,
        vec![Finding::WrongCode {
            got: 1000,
            want: vec![1002]
        }]
    );
    let mut e = closed_by_checker();
    e.peer_close = Some((Some(1000), Vec::new()));
    let j = judge(&find("7.9.1"), &seen(vec![], e));
    assert_eq!(j.verdict, Verdict::Failed, "1000 in answer to close code 0");
}

#[test]
fn fail_fast_and_late_failure() {
    let c = find("6.4.1");
    let fast = judge(&c, &seen(vec![Got::Mark("A")], failed_by_peer(1007)));
    assert_eq!(fast.verdict, Verdict::Ok, "{:?}", fast.findings);
    let late = judge(
        &c,
        &seen(vec![Got::Mark("A"), Got::Mark("B")], failed_by_peer(1007)),
    );
    assert_eq!(late.verdict, Verdict::NonStrict);
    assert_eq!(late.findings, vec![Finding::LateFailure]);
    let mut never = closed_by_checker();
    never.first = Some(Closer::Checker);
    let j = judge(&c, &seen(vec![Got::Mark("A"), Got::Mark("B")], never));
    assert_eq!(j.verdict, Verdict::Failed);
}

#[test]
fn an_unanswered_close_fails() {
    let c = find("7.3.3");
    let unanswered = Ending {
        first: Some(Closer::Checker),
        gave_up: Some(Waited::CloseAnswer),
        ..Ending::default()
    };
    let j = judge(&c, &seen(vec![], unanswered));
    assert_eq!(j.findings, vec![Finding::NoCloseAnswer]);
    // 7.3.2 (a malformed close) may be answered by dropping the connection.
    let dropped = Ending {
        first: Some(Closer::Checker),
        peer_hung_up: true,
        ..Ending::default()
    };
    assert_eq!(
        judge(&find("7.3.2"), &seen(vec![], dropped)).verdict,
        Verdict::Ok
    );
}

#[test]
fn deflate_cases_need_deflate() {
    let c = find("12.1.1");
    let j = judge(&c, &seen(vec![], closed_by_checker()));
    assert_eq!(j.verdict, Verdict::Unimplemented);
}

#[test]
fn informational_cases_are_informational_whatever_happened() {
    let j = judge(&find("7.13.1"), &seen(vec![], failed_by_peer(1002)));
    assert_eq!(j.verdict, Verdict::Informational);
}

fn client_case(id: &str) -> Case {
    client_cases().into_iter().find(|c| c.id == id).expect(id)
}

#[test]
fn a_deflate_case_judges_the_echoes_once_deflate_is_agreed() {
    let c = find("12.1.1");
    let mut s = seen(
        vec![Got::Echoes {
            right: 1000,
            sent: 1000,
            wrong: None,
        }],
        closed_by_checker(),
    );
    s.deflate = true;
    assert_eq!(judge(&c, &s).verdict, Verdict::Ok);
    // Not even open: the refusal, not the missing extension.
    s.answer = Answer::Failed("refused".into());
    assert!(matches!(judge(&c, &s).findings[..], [Finding::NotOpen(_)]));
}

#[test]
fn a_peer_that_closes_first_where_the_checker_should_fails() {
    let c = find("1.1.2");
    let j = judge(
        &c,
        &seen(
            vec![Got::Message(MessageKind::Text, vec![b'*'; 125])],
            failed_by_peer(1000),
        ),
    );
    assert_eq!(j.verdict, Verdict::Failed);
    assert_eq!(j.findings, vec![Finding::ClosedEarly]);
}

#[test]
fn a_malformed_close_left_unanswered_and_open_fails() {
    // 7.3.2 allows a drop, not silence.
    let silent = Ending {
        first: Some(Closer::Checker),
        gave_up: Some(Waited::CloseAnswer),
        ..Ending::default()
    };
    let j = judge(&find("7.3.2"), &seen(vec![], silent));
    assert_eq!(j.findings, vec![Finding::NoCloseAnswer]);
}

#[test]
fn client_cases_judge_pongs_not_messages() {
    // C.3: the client's own greeting and an echo do not count; the pong does.
    let c = client_case("C.3");
    let pong = Got::Pong(b"are you there?".to_vec());
    let hello = || Got::Message(MessageKind::Text, b"hello".to_vec());
    let j = judge(
        &c,
        &seen(vec![hello(), pong.clone(), hello()], closed_by_checker()),
    );
    assert_eq!(j.verdict, Verdict::Ok, "{:?}", j.findings);
    let j = judge(&c, &seen(vec![hello()], closed_by_checker()));
    assert_eq!(j.verdict, Verdict::Failed);
    // C.2 needs a message of the client's to judge its masking.
    let c = client_case("C.2");
    assert_eq!(
        judge(&c, &seen(vec![hello()], closed_by_checker())).verdict,
        Verdict::Ok
    );
    let silent = judge(&c, &seen(vec![], closed_by_checker()));
    assert_eq!(silent.verdict, Verdict::Informational);
    assert_eq!(silent.findings, vec![Finding::Silent]);
}

#[test]
fn the_checker_waits_for_what_is_still_to_come_and_no_longer() {
    let e = find("5.6").expect;
    let pong = Got::Pong(b"ping payload".to_vec());
    let whole = Got::Message(MessageKind::Text, b"fragment1fragment2".to_vec());
    assert!(waiting_for_more(&e, &[]));
    assert!(waiting_for_more(&e, std::slice::from_ref(&pong)));
    assert!(!waiting_for_more(&e, &[pong.clone(), whole.clone()]));
    // Something else came: no point waiting.
    assert!(!waiting_for_more(&e, std::slice::from_ref(&whole)));
    assert!(!waiting_for_more(&e, &[pong, whole.clone(), whole]));
    // A client case: the client's messages do not count.
    let c = client_case("C.3").expect;
    let hello = Got::Message(MessageKind::Text, b"hello".to_vec());
    assert!(waiting_for_more(&c, std::slice::from_ref(&hello)));
    assert!(!waiting_for_more(
        &c,
        &[hello, Got::Pong(b"are you there?".to_vec())]
    ));
}

/// An answer with `status`, these headers, and what the handshake checks
/// make of it against a request with `key`.
fn answer(status: u16, headers: &[(&str, &str)], key: &str) -> Answer {
    let mut head = format!("HTTP/1.1 {status} X\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let crate::protocol::http::HeadParse::Complete { head: response, .. } =
        crate::protocol::http::parse_response(head.as_bytes(), 4096).unwrap()
    else {
        panic!("a whole head")
    };
    let request = RequestSpec {
        set: vec![("Sec-WebSocket-Protocol", "chat, superchat".into())],
        ..RequestSpec::default()
    };
    Answer::Response {
        issues: answer_issues(&response, key),
        unasked: unasked(&request, false, &response),
        response,
    }
}

fn handshake_seen(a: Answer) -> Observed {
    Observed {
        answer: a,
        ..Observed::default()
    }
}

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn switching(extra: &[(&'static str, &'static str)]) -> Answer {
    let mut h = vec![
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", ACCEPT),
    ];
    h.extend_from_slice(extra);
    answer(101, &h, KEY)
}

#[test]
fn handshake_answers_are_judged_by_the_rfc() {
    // A valid request: 101 with the right accept.
    let valid = find("H.1");
    assert_eq!(
        judge(&valid, &handshake_seen(switching(&[]))).verdict,
        Verdict::Ok
    );
    assert!(switching(&[]).is_open());
    let wrong = answer(
        101,
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", "AAAA"),
        ],
        KEY,
    );
    assert!(!wrong.is_open());
    let j = judge(&valid, &handshake_seen(wrong));
    assert!(matches!(
        j.findings[..],
        [Finding::Handshake(HandshakeFinding::BadAnswer(_))]
    ));
    let j = judge(&valid, &handshake_seen(answer(400, &[], KEY)));
    assert_eq!(
        j.findings,
        vec![Finding::Handshake(HandshakeFinding::Refused(400))]
    );

    // Subprotocols: one of those offered, or none; never another, never two.
    let offer = find("H.15");
    let chosen = switching(&[("Sec-WebSocket-Protocol", "superchat")]);
    assert!(chosen.is_open());
    assert_eq!(judge(&offer, &handshake_seen(chosen)).verdict, Verdict::Ok);
    for bad in ["other", "chat, superchat"] {
        let a = switching(&[("Sec-WebSocket-Protocol", bad)]);
        assert!(!a.is_open(), "{bad}");
        let j = judge(&offer, &handshake_seen(a));
        assert!(
            matches!(
                j.findings[..],
                [Finding::Handshake(HandshakeFinding::Unasked(_))]
            ),
            "{bad}"
        );
    }

    // Refusals: 426 with the version header; another 4xx non-strict; the
    // header missing FAILED; 101 or a 5xx FAILED.
    let version = find("H.7");
    let ok = answer(426, &[("Sec-WebSocket-Version", "13")], KEY);
    assert!(!ok.is_open());
    assert_eq!(judge(&version, &handshake_seen(ok)).verdict, Verdict::Ok);
    let j = judge(
        &version,
        &handshake_seen(answer(400, &[("Sec-WebSocket-Version", "13, 8")], KEY)),
    );
    assert_eq!(j.verdict, Verdict::NonStrict);
    assert_eq!(
        j.findings,
        vec![Finding::Handshake(HandshakeFinding::OtherStatus {
            got: 400,
            want: 426
        })]
    );
    let j = judge(&version, &handshake_seen(answer(426, &[], KEY)));
    assert_eq!(j.verdict, Verdict::Failed);
    assert_eq!(
        j.findings,
        vec![Finding::Handshake(HandshakeFinding::MissingHeader(
            "Sec-WebSocket-Version",
            "13"
        ))]
    );
    let j = judge(&version, &handshake_seen(switching(&[])));
    assert_eq!(
        j.findings,
        vec![Finding::Handshake(HandshakeFinding::Accepted)]
    );
    let no_key = find("H.5");
    let j = judge(&no_key, &handshake_seen(answer(500, &[], KEY)));
    assert_eq!(
        j.findings,
        vec![Finding::Handshake(HandshakeFinding::Status(500))]
    );
    // HTTP/1.0 may get 505, which is not a 4xx but the status named.
    let old = find("H.12");
    assert_eq!(
        judge(&old, &handshake_seen(answer(505, &[], KEY))).verdict,
        Verdict::Ok
    );

    // A head too large: a hang-up without an answer is allowed, less helpfully.
    let large = find("H.14");
    let hung = handshake_seen(Answer::Failed("closed".into()));
    assert_eq!(judge(&large, &hung).verdict, Verdict::NonStrict);
    assert_eq!(judge(&no_key, &hung).verdict, Verdict::Failed);

    // A frame sent with the request must be echoed once open.
    let with_frame = find("H.4");
    let mut s = handshake_seen(switching(&[]));
    assert_eq!(
        judge(&with_frame, &s).findings,
        vec![Finding::Handshake(HandshakeFinding::NoEcho)]
    );
    s.got = vec![Got::Message(
        MessageKind::Text,
        b"sent with the request".to_vec(),
    )];
    assert_eq!(judge(&with_frame, &s).verdict, Verdict::Ok);
}

#[test]
fn a_client_request_opens_when_nothing_is_wrong_with_it() {
    assert!(Answer::Requested { issues: Vec::new() }.is_open());
    let issue = crate::protocol::handshake::Issue::request(
        crate::protocol::handshake::IssueKind::MissingHost,
    );
    assert!(!Answer::Requested {
        issues: vec![issue]
    }
    .is_open());
}

#[test]
fn a_complete_non_strict_sequence_ends_the_wait() {
    let mut e = Expect::echo(vec![Want::Pong(Payload::of(b"a"))]);
    e.non_strict = Some(vec![Want::Pong(Payload::of(b"b"))]);
    assert!(!waiting_for_more(&e, &[Got::Pong(b"b".to_vec())]));
    assert!(waiting_for_more(&e, &[]));
}

#[test]
fn echoes_with_an_extra_message_do_not_match() {
    let c = find("9.7.1");
    let extra = Got::Echoes {
        right: 1000,
        sent: 1000,
        wrong: Some((1001, Box::new(Got::Message(MessageKind::Text, Vec::new())))),
    };
    assert_eq!(
        judge(&c, &seen(vec![extra], closed_by_checker())).verdict,
        Verdict::Failed
    );
}
