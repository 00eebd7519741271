//! What a forward proxy reads off a request (RFC 9112 §3.2): the
//! `host:port` of a CONNECT, an absolute-form target made origin-form,
//! whether the exchange keeps the connection alive, and whether it asks
//! for WebSocket. No I/O.

use super::Request;

/// `host:port` (or `[v6]:port`) split, the host without brackets.
pub fn authority(t: &str) -> Option<(String, u16)> {
    let (host, port) = match t.strip_prefix('[') {
        Some(rest) => rest.split_once("]:")?,
        None => t.rsplit_once(':')?,
    };
    if host.is_empty()
        || host.contains(|c: char| c.is_whitespace() || c.is_control() || "/@[]".contains(c))
        || (!t.starts_with('[') && host.contains(':'))
    {
        return None;
    }
    let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
    Some((host.to_string(), port))
}

/// `host:port` as written in a request, brackets around an IPv6 address.
pub fn name_of(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Whether a request asks to upgrade to WebSocket (its `Upgrade` header
/// names `websocket`).
pub fn asks_websocket(r: &Request) -> bool {
    r.tokens("Upgrade")
        .iter()
        .any(|t| t.eq_ignore_ascii_case("websocket"))
}

/// Whether a head asks to close the connection after this exchange.
pub fn closes(version: &str, connection: &[String]) -> bool {
    let has = |t: &str| connection.iter().any(|c| c.eq_ignore_ascii_case(t));
    has("close") || (version == "HTTP/1.0" && !has("keep-alive"))
}

/// The head `raw` with its request line's target replaced.
pub fn with_target(raw: &[u8], r: &Request, target: &str) -> Vec<u8> {
    let line_end = raw
        .iter()
        .position(|b| *b == b'\n')
        .map_or(raw.len(), |i| i + 1);
    let mut out = format!("{} {} {}\r\n", r.method, target, r.version).into_bytes();
    out.extend_from_slice(&raw[line_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::http::{parse_request, HeadParse};

    #[test]
    fn authorities_are_host_and_port() {
        assert_eq!(
            authority("example.com:443"),
            Some(("example.com".into(), 443))
        );
        assert_eq!(authority("[::1]:8443"), Some(("::1".into(), 8443)));
        for bad in [
            "example.com",
            "example.com:0",
            ":443",
            "a b:1",
            "::1:443",
            "h:x",
        ] {
            assert_eq!(authority(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_absolute_target_becomes_origin_form_and_nothing_else_changes() {
        let raw = b"GET http://h:1/p?q HTTP/1.1\r\nHost: h:1\r\nX: y\r\n\r\n";
        let r = match parse_request(raw, 1 << 16) {
            Ok(HeadParse::Complete { head, .. }) => head,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            with_target(raw, &r, "/p?q"),
            b"GET /p?q HTTP/1.1\r\nHost: h:1\r\nX: y\r\n\r\n"
        );
    }

    #[test]
    fn connection_tokens_decide_keep_alive() {
        assert!(!closes("HTTP/1.1", &[]));
        assert!(closes("HTTP/1.1", &["Close".into()]));
        assert!(closes("HTTP/1.0", &[]));
        assert!(!closes("HTTP/1.0", &["keep-alive".into()]));
    }
}
