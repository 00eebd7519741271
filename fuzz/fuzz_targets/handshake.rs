#![no_main]
use libfuzzer_sys::fuzz_target;
use wsdbg::protocol::handshake::{
    build_refusal, build_response, validate_request, validate_response, Issue, IssueKind,
};
use wsdbg::protocol::http::{parse_request, parse_response, HeadParse};
use wsdbg::protocol::violation::{Broken, MAX_CLOSE_REASON};

/// Every issue's short reason fits a close frame and quotes nothing raw;
/// a refusal built from the issues parses back.
fn check(issues: &[Issue]) {
    for i in issues {
        let reason = i.reason();
        assert!(reason.len() <= MAX_CLOSE_REASON);
        assert!(reason.bytes().all(|b| b == b' ' || b.is_ascii_graphic()));
    }
    let refusal = build_refusal(issues);
    assert!(matches!(
        parse_response(&refusal, refusal.len() + 1),
        Ok(HeadParse::Complete { .. })
    ));
}

fuzz_target!(|data: &[u8]| {
    match parse_request(data, 8192) {
        Ok(HeadParse::Complete { head: req, .. }) => {
            check(&validate_request(&req));
            let _ = build_response(&req, None);
            let _ = build_response(&req, Some("chat"));
        }
        Ok(HeadParse::Partial) => {}
        Err(e) => check(&[Issue::request(IssueKind::BadHead(e))]),
    }
    if let Ok(HeadParse::Complete { head: resp, .. }) = parse_response(data, 8192) {
        check(&validate_response(&resp, Some("dGhlIHNhbXBsZSBub25jZQ==")));
        check(&validate_response(&resp, None));
    }
});
