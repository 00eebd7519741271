//! STOMP 1.0-1.2 frames in WebSocket messages: the command, the headers in
//! their order (1.2's escapes undone in them), the body (as long as
//! `content-length` says, else up to the NUL), and heart-beats (a message
//! of end-of-lines alone). A message may carry several frames.

/// A STOMP frame, or a heart-beat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stomp<'a> {
    /// A frame.
    Frame(Frame<'a>),
    /// A heart-beat: end-of-lines alone.
    HeartBeat,
}

/// A STOMP frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The command (`CONNECT`, `SEND`, `MESSAGE`...).
    pub command: &'a str,
    /// The headers in their order, escapes undone (1.2): the first of a
    /// repeated name is the one that counts.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: &'a [u8],
}

impl Frame<'_> {
    /// The value of the first header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The commands STOMP 1.2 defines (clients' and servers').
pub const COMMANDS: [&str; 15] = [
    "CONNECT",
    "STOMP",
    "CONNECTED",
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "ACK",
    "NACK",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "DISCONNECT",
    "MESSAGE",
    "RECEIPT",
    "ERROR",
];

/// Why a message is not STOMP, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StompError {
    /// Byte offset in the message.
    pub offset: usize,
    /// What was expected and found.
    pub what: String,
}

/// Reads every frame of a message, in order; a frame that breaks the
/// format ends the reading with what is wrong (the frames before it are
/// kept).
pub fn read(message: &[u8]) -> (Vec<Stomp<'_>>, Option<StompError>) {
    let mut out = Vec::new();
    let mut at = 0;
    while at < message.len() {
        let eols = message[at..]
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .count();
        if eols > 0 {
            // EOLs alone are a heart-beat; after a frame, they may
            // follow it (STOMP 1.2, "Augmented BNF").
            if at == 0 && eols == message.len() {
                out.push(Stomp::HeartBeat);
            }
            at += eols;
            continue;
        }
        match frame(message, at) {
            Ok((f, next)) => {
                out.push(Stomp::Frame(f));
                at = next;
            }
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

fn line(message: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let end = message[at..].iter().position(|b| *b == b'\n')? + at;
    let text = &message[at..end];
    Some((text.strip_suffix(b"\r").unwrap_or(text), end + 1))
}

fn frame(message: &[u8], start: usize) -> Result<(Frame<'_>, usize), StompError> {
    let err = |offset, what: String| StompError { offset, what };
    let Some((command, mut at)) = line(message, start) else {
        return Err(err(
            start,
            "expected a command line ending in a newline, found the end of the message".into(),
        ));
    };
    let command = std::str::from_utf8(command)
        .ok()
        .filter(|c| COMMANDS.contains(c))
        .ok_or_else(|| {
            err(
                start,
                format!(
                    "expected a STOMP command (CONNECT, SEND, MESSAGE, ...), found \"{}\"",
                    String::from_utf8_lossy(&command[..command.len().min(20)]).escape_debug()
                ),
            )
        })?;
    let mut headers = Vec::new();
    loop {
        let Some((h, next)) = line(message, at) else {
            return Err(err(
                at,
                "expected a header or the blank line before the body, found the end of the message"
                    .into(),
            ));
        };
        if h.is_empty() {
            at = next;
            break;
        }
        let Some(colon) = h.iter().position(|b| *b == b':') else {
            return Err(err(
                at,
                "expected a header 'name:value', found no ':'".into(),
            ));
        };
        // CONNECT and CONNECTED are not escaped (STOMP 1.2, "Value Encoding").
        let escaped = !matches!(command, "CONNECT" | "CONNECTED");
        let decode = |b: &[u8], offset: usize| -> Result<String, StompError> {
            let s = String::from_utf8_lossy(b);
            if !escaped {
                return Ok(s.into_owned());
            }
            let mut out = String::new();
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                out.push(match chars.next() {
                    Some('r') => '\r',
                    Some('n') => '\n',
                    Some('c') => ':',
                    Some('\\') => '\\',
                    other => {
                        return Err(err(
                            offset,
                            format!(
                                "expected an escape (\\r \\n \\c \\\\), found \\{}",
                                other.map_or(String::new(), |c| c.to_string())
                            ),
                        ))
                    }
                });
            }
            Ok(out)
        };
        headers.push((decode(&h[..colon], at)?, decode(&h[colon + 1..], at)?));
        at = next;
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.trim().parse::<usize>());
    let end = match length {
        Some(Ok(n)) => {
            if message.len() < at + n + 1 {
                return Err(err(
                    message.len(),
                    format!(
                        "expected a body of {n} bytes (content-length) and a NUL, found {} bytes",
                        message.len() - at
                    ),
                ));
            }
            if message[at + n] != 0 {
                return Err(err(
                    at + n,
                    "expected the NUL that ends the frame after content-length bytes".into(),
                ));
            }
            at + n
        }
        Some(Err(_)) => return Err(err(at, "expected content-length to be a number".into())),
        None => match message[at..].iter().position(|b| *b == 0) {
            Some(p) => at + p,
            None => {
                return Err(err(
                    message.len(),
                    "expected the NUL that ends the frame, found the end of the message".into(),
                ))
            }
        },
    };
    Ok((
        Frame {
            command,
            headers,
            body: &message[at..end],
        },
        end + 1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_frames() {
        let connect = b"CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0";
        let (frames, e) = read(connect);
        assert_eq!(e, None);
        let Stomp::Frame(f) = &frames[0] else {
            panic!()
        };
        assert_eq!(f.command, "CONNECT");
        assert_eq!(f.header("host"), Some("stomp.github.org"));
        assert_eq!(f.body, b"");
        // A SEND with a body holding a NUL, by content-length, then a
        // heart-beat after it, CRLF line endings.
        let send = b"SEND\r\ndestination:/queue/a\r\ncontent-length:5\r\nweird\\cname:a\\nb\r\n\r\nhe\0lo\0\r\n";
        let (frames, e) = read(send);
        assert_eq!(e, None);
        let Stomp::Frame(f) = &frames[0] else {
            panic!()
        };
        assert_eq!(f.body, b"he\0lo");
        assert_eq!(f.header("weird:name"), Some("a\nb"));
        assert_eq!(
            frames.len(),
            1,
            "the EOLs after a frame are not a heart-beat"
        );
        assert_eq!(read(b"\n").0, [Stomp::HeartBeat]);
        // Two frames in one message.
        let (frames, _) = read(b"MESSAGE\nsubscription:0\n\nhi\0RECEIPT\nreceipt-id:7\n\n\0");
        assert_eq!(frames.len(), 2);
    }

    #[test]
    fn what_is_not_stomp_is_said_where_and_the_frames_before_it_kept() {
        let (frames, e) = read(b"SEND\ndestination:/q\n\nbody\0HELLO\n\n\0");
        assert_eq!(frames.len(), 1);
        let e = e.unwrap();
        assert_eq!(e.offset, 26);
        assert!(e.what.contains("found \"HELLO\""), "{}", e.what);
        for (bad, what) in [
            (&b"SEND\ndestination:/q\n\nno nul"[..], "expected the NUL"),
            (b"SEND\nbroken header\n\n\0", "found no ':'"),
            (
                b"SEND\ncontent-length:9\n\nshort\0",
                "expected a body of 9 bytes",
            ),
            (
                b"SEND\ncontent-length:x\n\n\0",
                "content-length to be a number",
            ),
            (b"SEND\na:\\t\n\n\0", "expected an escape"),
            (b"SEND", "command line"),
            (b"SEND\na:b\n", "the blank line"),
        ] {
            let (_, e) = read(bad);
            let e = e.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(bad)));
            assert!(
                e.what.contains(what),
                "{}: {}",
                String::from_utf8_lossy(bad),
                e.what
            );
        }
        // CONNECT's values are not escaped.
        let (frames, e) = read(b"CONNECT\nlogin:a\\tb\n\n\0");
        assert_eq!(e, None);
        let Stomp::Frame(f) = &frames[0] else {
            panic!()
        };
        assert_eq!(f.header("login"), Some("a\\tb"));
    }
}
