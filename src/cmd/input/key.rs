//! Finding the `Sec-WebSocket-Key` value in what the user gave: the value
//! alone, its header line pasted whole, or a whole request (on stdin).

/// Where the key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    /// The input is the value itself.
    Value(&'a str),
    /// The input held a `Sec-WebSocket-Key:` header line (1-based line
    /// number) with this value.
    Header {
        /// The value after the colon.
        value: &'a str,
        /// Which line held it.
        line: usize,
    },
}

impl<'a> Found<'a> {
    /// The key itself.
    pub fn value(&self) -> &'a str {
        match self {
            Found::Value(v) | Found::Header { value: v, .. } => v,
        }
    }
}

/// The key in `input`; an error says why none can be taken.
pub fn find(input: &str) -> Result<Found<'_>, String> {
    let lines: Vec<&str> = input.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut keys = input
        .lines()
        .enumerate()
        .filter_map(|(i, l)| header(l).map(|(n, v)| (i + 1, n, v)))
        .filter(|(_, n, _)| n == "sec-websocket-key");
    if let Some((line, _, value)) = keys.next() {
        if keys.next().is_some() {
            return Err("the input holds more than one Sec-WebSocket-Key header; give one".into());
        }
        return Ok(Found::Header { value, line });
    }
    match lines.as_slice() {
        [one] => match header(one) {
            Some((name, _)) if name == "sec-websocket-accept" => Err(
                "that is a Sec-WebSocket-Accept header (the server's answer); give the client's \
                 Sec-WebSocket-Key, or check an answer with KEY --expect ACCEPT"
                    .into(),
            ),
            // A header name here is letters, digits and hyphens only.
            Some((name, _)) => Err(format!("that is a {name} header, not Sec-WebSocket-Key")),
            None => Ok(Found::Value(one.trim())),
        },
        [] => Err("the key is empty".into()),
        many => Err(format!(
            "{} lines and none is a Sec-WebSocket-Key header; give the key, its header line, \
             or the whole request",
            many.len()
        )),
    }
}

/// A header line's name (lower case) and value; `None` when the line is
/// not one (a base64 key holds no colon at all).
fn header(line: &str) -> Option<(String, &str)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| (name.to_ascii_lowercase(), value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    #[test]
    fn the_value_alone_its_header_line_or_a_whole_request() {
        assert_eq!(find(RFC), Ok(Found::Value(RFC)));
        assert_eq!(find(&format!("  {RFC}\n")), Ok(Found::Value(RFC)));
        for line in [
            format!("Sec-WebSocket-Key: {RFC}"),
            format!("sec-websocket-key:{RFC}\r\n"),
            format!("SEC-WEBSOCKET-KEY :  {RFC}  "),
        ] {
            assert_eq!(find(&line).map(|f| f.value()), Ok(RFC), "{line:?}");
        }
        let request = format!(
            "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {RFC}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        assert_eq!(
            find(&request),
            Ok(Found::Header {
                value: RFC,
                line: 5
            })
        );
    }

    #[test]
    fn what_cannot_be_a_key_is_said() {
        let accept = find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").unwrap_err();
        assert!(accept.contains("Sec-WebSocket-Accept header"), "{accept}");
        let other = find("Host: example.com").unwrap_err();
        assert!(other.contains("a host header"), "{other}");
        let none = find("GET / HTTP/1.1\r\nHost: x\r\n").unwrap_err();
        assert!(none.contains("2 lines and none"), "{none}");
        assert!(find("").unwrap_err().contains("empty"));
        let two = find(&format!(
            "Sec-WebSocket-Key: {RFC}\nSec-WebSocket-Key: {RFC}"
        ))
        .unwrap_err();
        assert!(two.contains("more than one"), "{two}");
    }
}
