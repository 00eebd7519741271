//! WebSocket URIs (RFC 6455 §3): `ws://host[:port][/path][?query]` and
//! `wss://...`, taken apart for a client's connection and request.

use std::fmt;

/// A parsed `ws://` or `wss://` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    /// `wss://`: over TLS.
    pub secure: bool,
    /// The host: a name, an IPv4 address, or an IPv6 address without its
    /// brackets.
    pub host: String,
    /// The port, 80 or 443 by default.
    pub port: u16,
    /// Whether the port was written out.
    pub explicit_port: bool,
    /// The path and query: the request target (`/` when empty).
    pub resource: String,
}

/// What is wrong with a URI, and where (a 1-based character column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    /// Where the problem starts.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for UrlError {}

fn err(column: usize, message: impl Into<String>) -> UrlError {
    UrlError {
        column,
        message: message.into(),
    }
}

impl WsUrl {
    /// Parses a WebSocket URI; a scheme other than `ws` or `wss`, user
    /// information, a fragment, a missing host or a bad port is an error.
    pub fn parse(s: &str) -> Result<Self, UrlError> {
        let Some((scheme, rest)) = s.split_once("://") else {
            return Err(err(
                1,
                "expected ws://HOST[:PORT][/PATH] or wss://...: no \"://\" after a scheme",
            ));
        };
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "ws" => false,
            "wss" => true,
            "http" | "https" => {
                let s2 = if scheme.len() == 5 { "wss" } else { "ws" };
                return Err(err(
                    1,
                    format!(
                        "the scheme is {}, not a WebSocket scheme: use {s2}:// (RFC 6455 §3)",
                        scheme.escape_debug()
                    ),
                ));
            }
            _ => {
                return Err(err(
                    1,
                    format!("the scheme \"{}\" is not ws or wss", scheme.escape_debug()),
                ))
            }
        };
        let start = scheme.chars().count() + 4;
        if let Some(i) = rest.find('#') {
            return Err(err(
                start + rest[..i].chars().count(),
                "a WebSocket URI has no fragment (#...) (RFC 6455 §3)",
            ));
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(end);
        if authority.contains('@') {
            return Err(err(
                start,
                "user information (user@) is not sent in a WebSocket handshake; use --header 'Authorization: ...'",
            ));
        }
        let (host, port_text) = if let Some(inner) = authority.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return Err(err(start, "an IPv6 address in [ has no closing ]"));
            };
            let after = &inner[close + 1..];
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => {
                    return Err(err(
                        start + close + 2,
                        "expected :PORT or the path after the IPv6 address",
                    ))
                }
            };
            (&inner[..close], port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(err(start, "the host is missing"));
        }
        if let Some(bad) = host
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(err(
                start + host[..bad.0].chars().count(),
                format!("the host cannot hold {:?}", bad.1),
            ));
        }
        let default = if secure { 443 } else { 80 };
        let port = match port_text {
            None => default,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(err(
                        start + authority.chars().count() - p.chars().count(),
                        format!("the port \"{}\" is not a number 1-65535", p.escape_debug()),
                    ))
                }
            },
        };
        let resource = if resource.starts_with('?') {
            format!("/{resource}")
        } else if resource.is_empty() {
            "/".to_string()
        } else {
            resource.to_string()
        };
        Ok(Self {
            secure,
            host: host.to_string(),
            port,
            explicit_port: port_text.is_some(),
            resource,
        })
    }

    /// The `Host` header's value: the host, and the port unless it is the
    /// scheme's default (RFC 6455 §4.1).
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.secure { 443 } else { 80 };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl WsUrl {
    /// The target for a request a proxy forwards: this URL's path with the
    /// client's path after it, and both queries.
    pub fn join(&self, client_target: &str) -> String {
        let (base_path, base_query) = split_query(&self.resource);
        let (path, query) = split_query(client_target);
        let mut out = base_path.trim_end_matches('/').to_string();
        if !path.starts_with('/') {
            out.push('/');
        }
        out.push_str(path);
        let queries: Vec<&str> = [base_query, query].into_iter().flatten().collect();
        if !queries.is_empty() {
            out.push('?');
            out.push_str(&queries.join("&"));
        }
        out
    }
}

fn split_query(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    }
}

impl fmt::Display for WsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(f, "{scheme}://{}{}", self.host_header(), self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> WsUrl {
        WsUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn rfc_examples_and_defaults() {
        // RFC 6455 §1.3's handshake: ws://server.example.com/chat.
        let u = ok("ws://server.example.com/chat");
        assert_eq!(
            (u.secure, u.host.as_str(), u.port, u.resource.as_str()),
            (false, "server.example.com", 80, "/chat")
        );
        assert_eq!(u.host_header(), "server.example.com");
        assert!(!u.explicit_port);
        let u = ok("WSS://example.com");
        assert_eq!((u.secure, u.port, u.resource.as_str()), (true, 443, "/"));
        let u = ok("ws://127.0.0.1:9001/runCase?case=1&agent=wsdbg");
        assert_eq!(u.port, 9001);
        assert_eq!(u.resource, "/runCase?case=1&agent=wsdbg");
        assert_eq!(u.host_header(), "127.0.0.1:9001");
        assert_eq!(
            u.to_string(),
            "ws://127.0.0.1:9001/runCase?case=1&agent=wsdbg"
        );
        let u = ok("ws://h?x=1");
        assert_eq!(u.resource, "/?x=1");
        // The default port written out stays out of Host.
        assert_eq!(ok("wss://h:443/").host_header(), "h");
    }

    #[test]
    fn a_proxy_appends_the_client_path_and_keeps_both_queries() {
        let base = ok("ws://up:9001/base/");
        assert_eq!(base.join("/chat"), "/base/chat");
        assert_eq!(base.join("/"), "/base/");
        assert_eq!(ok("ws://up").join("/chat?x=1"), "/chat?x=1");
        assert_eq!(ok("ws://up/a?k=v").join("/b?x=1"), "/a/b?k=v&x=1");
        assert_eq!(ok("ws://up/a?k=v").join("/"), "/a/?k=v");
    }

    #[test]
    fn ipv6_hosts_keep_their_brackets_in_host() {
        let u = ok("ws://[::1]:8080/x");
        assert_eq!((u.host.as_str(), u.port), ("::1", 8080));
        assert_eq!(u.host_header(), "[::1]:8080");
        assert_eq!(ok("ws://[::1]").host_header(), "[::1]");
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = |s: &str| WsUrl::parse(s).unwrap_err().to_string();
        assert_eq!(
            e("http://h/"),
            "column 1: the scheme is http, not a WebSocket scheme: use ws:// (RFC 6455 §3)"
        );
        assert!(e("https://h/").contains("use wss://"));
        assert!(e("ftp://h").contains("\"ftp\" is not ws or wss"));
        assert!(e("localhost:8080").contains("no \"://\""));
        assert_eq!(
            e("ws://h/a#frag"),
            "column 9: a WebSocket URI has no fragment (#...) (RFC 6455 §3)"
        );
        assert!(e("ws://user:pw@h/").starts_with("column 6: user information"));
        assert_eq!(e("ws:///path"), "column 6: the host is missing");
        assert_eq!(
            e("ws://h:99999/"),
            "column 8: the port \"99999\" is not a number 1-65535"
        );
        assert!(e("ws://h:0/").contains("not a number 1-65535"));
        assert!(e("ws://h:+1/").contains("not a number 1-65535"));
        assert!(e("ws://[::1/").contains("no closing ]"));
        assert!(e("ws://[::1]x/").contains("expected :PORT"));
        assert!(e("ws://a b/").contains("the host cannot hold ' '"));
    }
}
