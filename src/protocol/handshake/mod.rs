//! The WebSocket opening handshake (RFC 6455 §1.3, §4), on top of the HTTP
//! heads of [`super::http`]:
//!
//! - keys (`key.rs`): [`accept_key`] and its [`accept_steps`], [`check_key`],
//!   [`key_from_bytes`];
//! - checks (`validate.rs`): [`validate_request`] and [`validate_response`]
//!   list what breaks RFC 6455 as [`Issue`]s (`issue.rs`): typed values
//!   with their id, section, header and the status a server refuses with;
//! - what a server decides (`negotiate.rs`): [`choose_protocol`],
//!   [`origin_allowed`] and the issue it makes, [`check_origin`];
//! - heads to send (`build.rs`): [`build_response`], [`build_refusal`],
//!   [`build_request`]; and for a plain GET that asks for no upgrade
//!   ([`is_plain_get`]), the test page ([`build_page`] with its
//!   [`page_policy`]) or [`build_not_found`].
//!
//! Everything here is pure: bytes in, values out. No I/O, no clock, no
//! random source (callers pass random bytes in), no printing.

mod build;
mod issue;
mod key;
mod negotiate;
mod validate;

pub use build::{
    build_forwarded_request, build_not_found, build_page, build_refusal, build_request,
    build_request_with, build_response, build_response_with, page_policy,
};
pub use issue::{Issue, IssueKind};
pub use key::{accept_key, accept_steps, check_key, key_from_bytes, AcceptSteps, KeyProblem, GUID};
pub use negotiate::{check_origin, choose_protocol, origin_allowed};
pub use validate::{is_plain_get, target_path, validate_request, validate_response};

/// The only protocol version RFC 6455 defines (§4.1, §11.6): `Sec-WebSocket-Version: 13`.
pub const WEBSOCKET_VERSION: &str = "13";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::http::{parse_request, parse_response, HeadParse};
    use crate::protocol::violation::{Broken, MAX_CLOSE_REASON};

    /// Every short reason is printable ASCII that fits a close frame.
    fn check_reasons(issues: &[Issue]) {
        for i in issues {
            let reason = i.reason();
            assert!(reason.len() <= MAX_CLOSE_REASON, "{reason}");
            assert!(
                reason.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
                "{reason:?}"
            );
        }
    }

    /// Parse, validate and build together: a request that parses gets a
    /// refusal that parses, and an accepting answer that its own validation
    /// accepts, whatever the request held.
    fn check_round_trip(buf: &[u8], max: usize) {
        match parse_request(buf, max) {
            Ok(HeadParse::Complete { head, .. }) => {
                let issues = validate_request(&head);
                check_reasons(&issues);
                let refusal = build_refusal(&issues);
                assert!(matches!(
                    parse_response(&refusal, BIG),
                    Ok(HeadParse::Complete { .. })
                ));
                let accepted = build_response(&head, Some("chat\r\n"));
                let (resp, _) = complete_response(&accepted);
                let key = head
                    .header("Sec-WebSocket-Key")
                    .map(|h| h.value_lossy().into_owned());
                assert_eq!(validate_response(&resp, key.as_deref()), []);
            }
            Ok(HeadParse::Partial) => {}
            Err(e) => {
                let issue = Issue::request(IssueKind::BadHead(e));
                check_reasons(std::slice::from_ref(&issue));
                let refusal = build_refusal(&[issue]);
                assert!(matches!(
                    parse_response(&refusal, BIG),
                    Ok(HeadParse::Complete { .. })
                ));
            }
        }
        if let Ok(HeadParse::Complete { head, .. }) = parse_response(buf, max) {
            check_reasons(&validate_response(&head, Some(RFC_KEY)));
            check_reasons(&validate_response(&head, None));
        }
    }

    #[test]
    fn mutations_never_panic() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut request = RFC_REQUEST.as_bytes().to_vec();
        request.extend_from_slice(FRAME);
        let mut response = RFC_RESPONSE.as_bytes().to_vec();
        response.extend_from_slice(FRAME);
        let mut complete = 0;
        for round in 0..4000 {
            let base = if round % 2 == 0 { &request } else { &response };
            let buf = mutate(&mut rng, base.clone());
            for max in [BIG, 64, buf.len(), rng.below(buf.len() + 2)] {
                check_round_trip(&buf, max);
            }
            if matches!(parse_request(&buf, BIG), Ok(HeadParse::Complete { .. })) {
                complete += 1;
            }
            let _ = check_key(&String::from_utf8_lossy(&buf[..buf.len().min(30)]));
        }
        for _ in 0..500 {
            let buf: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            check_round_trip(&buf, BIG);
        }
        // Enough mutated requests still parsed for the loop to test something.
        assert!(complete > 100, "complete {complete}");
    }
}
