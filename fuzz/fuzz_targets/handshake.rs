#![no_main]
use libfuzzer_sys::fuzz_target;
use wsdbg::protocol::handshake::{build_response, validate_request, validate_response};
use wsdbg::protocol::http::{parse_request, parse_response, HeadParse};

fuzz_target!(|data: &[u8]| {
    if let Ok(HeadParse::Complete { head: req, .. }) = parse_request(data, 8192) {
        let _ = validate_request(&req);
        let _ = build_response(&req, None);
        let _ = build_response(&req, Some("chat"));
    }
    if let Ok(HeadParse::Complete { head: resp, .. }) = parse_response(data, 8192) {
        let _ = validate_response(&resp, Some("dGhlIHNhbXBsZSBub25jZQ=="));
        let _ = validate_response(&resp, None);
    }
});
