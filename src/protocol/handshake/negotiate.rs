//! What a server decides from a valid request: which subprotocol to speak
//! (RFC 6455 §4.2.2, /subprotocol/) and whether the page's origin may
//! connect (/origin/, §10.2). permessage-deflate is negotiated in
//! [`crate::protocol::deflate`].

use super::issue::{Issue, IssueKind};
use crate::protocol::http::Request;

/// The subprotocol a server answers with in `Sec-WebSocket-Protocol`: the
/// first of its own `supported` list that the client `offered`, or `None`,
/// in which case the server must not send the header at all (§4.2.2).
///
/// The server's order decides: RFC 6455 §4.2.2 only requires a value "the
/// server is willing to use" from the client's list, so a server that
/// prefers `v2.chat` picks it even when the client listed `chat` first.
/// Names match case-sensitively: they are tokens compared as strings, as
/// RFC 7936 §2 (which updates RFC 6455 §11.5) spells out, so `Chat` is not
/// `chat`. `offered` is what [`Request::tokens`] returns for
/// `Sec-WebSocket-Protocol`; an empty name is never chosen, since §4.2.2
/// says the empty string is not a legal value.
///
/// [`Request::tokens`]: crate::protocol::http::Request::tokens
pub fn choose_protocol(offered: &[String], supported: &[String]) -> Option<String> {
    supported
        .iter()
        .find(|s| !s.is_empty() && offered.contains(s))
        .cloned()
}

/// Whether a request's `Origin` header value is on the server's allow-list
/// (RFC 6455 §4.2.2, /origin/, and §10.2).
///
/// An empty `allowed` list allows every request, with or without `Origin`:
/// a server that does not check origins "will accept connections from
/// anywhere". Otherwise the origin must be present and equal one entry.
/// Origins are compared as RFC 6455 §4.2.2 asks, "serialized to ASCII and
/// converted to lowercase": the ASCII serialization of RFC 6454 §6.2
/// (`scheme://host`, then `:port` unless it is the scheme's default, no
/// path), compared ASCII case-insensitively, so entries are written the
/// way a browser sends them (`https://example.com`, not
/// `https://example.com/` or `https://example.com:443`). An opaque origin
/// is sent as `null`, and matches only an entry `null`.
///
/// A request without `Origin` comes from a client that is not a browser
/// (browsers always send it, §4.1 item 8); it is refused when a list is
/// set, since it names no origin on the list.
pub fn origin_allowed(origin: Option<&[u8]>, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(origin) = origin else {
        return false;
    };
    let origin = origin.trim_ascii();
    allowed
        .iter()
        .any(|a| a.trim().as_bytes().eq_ignore_ascii_case(origin))
}

/// The issue a server with an origin allow-list finds in a request:
/// `origin-not-allowed` (403, RFC 6455 §4.2.2) when its `Origin` is absent
/// or not on the list, compared as [`origin_allowed`] compares. None when
/// the origin may connect, and always when `allowed` is empty.
pub fn check_origin(req: &Request, allowed: &[String]) -> Option<Issue> {
    let origin = req.header("Origin").map(|h| h.value.as_slice());
    if origin_allowed(origin, allowed) {
        return None;
    }
    Some(Issue::request(IssueKind::OriginNotAllowed {
        origin: origin.map(<[u8]>::to_vec),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::violation::Broken;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn choose_protocol_table() {
        // (offered by the client, supported by the server, chosen)
        let cases: &[(&[&str], &[&str], Option<&str>)] = &[
            // RFC 6455 §1.2: the client offers chat and superchat, the server picks chat.
            (&["chat", "superchat"], &["chat"], Some("chat")),
            // The server's order decides, not the client's.
            (
                &["chat", "superchat"],
                &["superchat", "chat"],
                Some("superchat"),
            ),
            (
                &["v1.chat", "v2.chat"],
                &["v2.chat", "v1.chat"],
                Some("v2.chat"),
            ),
            // Only what the client offered can be chosen.
            (&["chat"], &["superchat"], None),
            (&["chat"], &["superchat", "chat"], Some("chat")),
            // Case-sensitive (RFC 7936 §2).
            (&["Chat"], &["chat"], None),
            (&["chat"], &["CHAT"], None),
            (&["CHAT", "chat"], &["chat"], Some("chat")),
            // Nothing offered, nothing supported: no header in the answer.
            (&[], &["chat"], None),
            (&["chat"], &[], None),
            (&[], &[], None),
            // The empty string is never a subprotocol.
            (&[""], &["", "chat"], None),
            // No prefix or substring matches.
            (&["chat.example.com"], &["chat"], None),
            (&["chat"], &["chat.example.com"], None),
        ];
        for &(offered, supported, chosen) in cases {
            assert_eq!(
                choose_protocol(&strings(offered), &strings(supported)).as_deref(),
                chosen,
                "offered {offered:?}, supported {supported:?}"
            );
        }
    }

    #[test]
    fn choose_protocol_reads_the_rfc_request() {
        let (req, _) = complete_request(RFC_REQUEST.as_bytes());
        let offered = req.tokens("Sec-WebSocket-Protocol");
        assert_eq!(
            choose_protocol(&offered, &strings(&["superchat", "chat"])).as_deref(),
            Some("superchat")
        );
        let (req, _) = complete_request(
            edit(
                RFC_REQUEST,
                "Sec-WebSocket-Protocol: chat, superchat\r\n",
                "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: superchat\r\n",
            )
            .as_bytes(),
        );
        // Repeated headers are one list (RFC 6455 §11.3.4).
        let offered = req.tokens("Sec-WebSocket-Protocol");
        assert_eq!(
            choose_protocol(&offered, &strings(&["superchat"])).as_deref(),
            Some("superchat")
        );
    }

    #[test]
    fn origin_allowed_table() {
        let list = ["http://example.com", "https://app.example.org:8443", "null"];
        /// (Origin header value, allow-list, allowed)
        type Case<'a> = (Option<&'a [u8]>, &'a [&'a str], bool);
        let cases: &[Case] = &[
            // No allow-list: everything, with or without Origin.
            (Some(b"http://example.com"), &[], true),
            (Some(b"https://evil.example"), &[], true),
            (None, &[], true),
            // On the list (RFC 6455 §1.2's Origin).
            (Some(b"http://example.com"), &list, true),
            (Some(b"https://app.example.org:8443"), &list, true),
            // Lowercase serialization: case does not matter, either side.
            (Some(b"HTTP://EXAMPLE.COM"), &list, true),
            (Some(b"http://Example.Com"), &list, true),
            (Some(b"https://example.com"), &["HTTPS://Example.COM"], true),
            // Surrounding whitespace is not part of the value.
            (Some(b" http://example.com\t"), &list, true),
            (Some(b"http://example.com"), &[" http://example.com "], true),
            // Scheme, host and port must all match.
            (Some(b"https://example.com"), &list, false),
            (Some(b"http://example.com:8080"), &list, false),
            (Some(b"https://app.example.org"), &list, false),
            (Some(b"http://sub.example.com"), &list, false),
            (Some(b"http://example.com.evil.example"), &list, false),
            (Some(b"http://example.co"), &list, false),
            // A serialization has no path: an entry with one never matches.
            (Some(b"http://example.com"), &["http://example.com/"], false),
            // An opaque origin matches only "null".
            (Some(b"null"), &list, true),
            (Some(b"null"), &["http://example.com"], false),
            // No Origin: not a browser, and not on the list.
            (None, &list, false),
            (Some(b""), &list, false),
            // Bytes beyond ASCII compare exactly.
            (
                Some(b"http://b\xc3\xbccher.example"),
                &["http://b\u{fc}cher.example"],
                true,
            ),
            (
                Some(b"http://B\xc3\x9cCHER.example"),
                &["http://b\u{fc}cher.example"],
                false,
            ),
        ];
        for &(origin, allowed, expected) in cases {
            assert_eq!(
                origin_allowed(origin, &strings(allowed)),
                expected,
                "origin {:?}, allowed {allowed:?}",
                origin.map(|o| o.escape_ascii().to_string())
            );
        }
    }

    #[test]
    fn origin_allowed_reads_the_rfc_request() {
        let (req, _) = complete_request(RFC_REQUEST.as_bytes());
        let origin = req.header("Origin").map(|h| h.value.as_slice());
        assert!(origin_allowed(origin, &strings(&["http://example.com"])));
        assert!(!origin_allowed(origin, &strings(&["https://example.com"])));
    }

    #[test]
    fn check_origin_gives_a_typed_403() {
        let (req, _) = complete_request(RFC_REQUEST.as_bytes());
        assert_eq!(check_origin(&req, &[]), None);
        assert_eq!(check_origin(&req, &strings(&["HTTP://Example.com"])), None);
        let issue = check_origin(&req, &strings(&["https://example.com"])).unwrap();
        assert_eq!(
            issue.kind,
            IssueKind::OriginNotAllowed {
                origin: Some(b"http://example.com".to_vec())
            }
        );
        assert_eq!(
            (issue.id(), issue.status(), issue.header(), issue.section()),
            (
                "origin-not-allowed",
                Some(403),
                Some("Origin"),
                "RFC 6455 §4.2.2"
            )
        );
        let (req, _) =
            complete_request(edit(RFC_REQUEST, "Origin: http://example.com\r\n", "").as_bytes());
        assert_eq!(
            check_origin(&req, &strings(&["http://example.com"])).map(|i| i.kind),
            Some(IssueKind::OriginNotAllowed { origin: None })
        );
    }
}
