//! Sentences for people, rendered from the protocol's typed values: what a
//! peer did, with its numbers, and what the RFC asks instead. Text and JSON
//! printers use the same sentences, so they cannot disagree. Every byte
//! from the peer that a sentence quotes goes through [`escape_bytes`].

use crate::protocol::close::CloseCode;
use crate::protocol::deflate::InflateError;
use crate::protocol::frame::LengthForm;
use crate::protocol::handshake::{Issue, IssueKind, KeyProblem};
use crate::protocol::http::{HeadError, HeadKind, HeadPlace, HeadProblem, VersionPart};
use crate::protocol::stream::{AfterGap, Gap};
use crate::protocol::utf8::Utf8Error;
use crate::protocol::violation::{Broken, Kind, SizeOf, Utf8Place, Violation};

use super::escape::{escape_bytes, escape_cut};
use super::{plural, Rejected, Relayed};
use crate::protocol::http::status_reason;

/// The most bytes of a peer's value a sentence quotes.
const QUOTE_MAX: usize = 100;

/// Peer bytes for a sentence, to sit between double quotes: escaped, and
/// cut short if long.
fn quote(bytes: &[u8]) -> String {
    escape_cut(bytes, QUOTE_MAX)
}

/// The values of several headers of one name, quoted, joined like one list.
fn joined(values: &[Vec<u8>]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    quoted.join(", ")
}

/// A byte for a sentence: `' ' (0x20)`, `'\r' (0x0D)`, `byte 0xC3`.
fn describe(b: u8) -> String {
    if b.is_ascii() {
        format!("'{}' (0x{b:02X})", escape_bytes(&[b]))
    } else {
        format!("byte 0x{b:02X}")
    }
}

/// What the proxy did about a client, as one sentence.
pub fn relayed(r: &Relayed) -> String {
    match *r {
        Relayed::Refused { peer, status, why } => format!(
            "{}: refused with {status} {}: {why}",
            escape_bytes(peer.as_bytes()),
            status_reason(status)
        ),
        Relayed::BadGateway { peer, why } => format!(
            "{}: answered 502 Bad Gateway: {why}",
            escape_bytes(peer.as_bytes())
        ),
        Relayed::Forwarded { upstream } => format!(
            "forwarded upstream to {} as:",
            escape_bytes(upstream.as_bytes())
        ),
        Relayed::PassedOn { peer, status } => format!(
            "{}: the upstream answered {status} {}; passed on as it is",
            escape_bytes(peer.as_bytes()),
            status_reason(status)
        ),
        Relayed::ClientTlsFailed { peer, why } => format!(
            "{}: closed without an answer, its TLS failed: {why}",
            escape_bytes(peer.as_bytes())
        ),
        Relayed::UpstreamFailed { why } => format!("the upstream failed: {why}"),
        Relayed::Tunnel { peer, host } => format!(
            "{}: CONNECT {} tunnelled blind (not in --intercept): not decrypted, not shown",
            escape_bytes(peer.as_bytes()),
            escape_bytes(host.as_bytes())
        ),
        Relayed::TunnelEnded { host, up, down } => format!(
            "tunnel to {} ended: {up} bytes from the client, {down} from the server",
            escape_bytes(host.as_bytes())
        ),
        Relayed::Held {
            number,
            from,
            kind,
            len,
            preview,
        } => {
            let len = len.map_or("of unknown length".to_string(), |n| format!("{n} bytes"));
            let shown = if kind == "text" {
                format!("\"{}\"", escape_bytes(preview))
            } else {
                hex_preview(preview)
            };
            format!(
                "held [{number}]: {kind} {len} from the {}: {shown} (/forward {number}, /drop {number}, /edit {number} TEXT)",
                from.name()
            )
        }
        Relayed::Released {
            number,
            action,
            edit,
        } => match edit {
            Some(e) => format!(
                "[{number}] {action}: sent in its place: \"{}\" ({} bytes)",
                escape_bytes(e),
                e.len()
            ),
            None => format!("[{number}] {action}"),
        },
        Relayed::Injected { to, kind, payload } => {
            let what = match kind {
                "text" | "ping" | "pong" => format!(
                    "{kind} {} bytes: \"{}\"",
                    payload.len(),
                    escape_bytes(payload)
                ),
                "close" => {
                    let c = crate::protocol::close::ClosePayload::parse(payload);
                    match c.code {
                        Some(code) => {
                            format!("close {} \"{}\"", code.0, escape_bytes(c.reason))
                        }
                        None => "close (no code)".to_string(),
                    }
                }
                "raw" => format!("{} raw bytes: {}", payload.len(), hex_preview(payload)),
                "frame" => format!("a hand-built frame, {} bytes of payload", payload.len()),
                _ => format!("{kind} {} bytes: {}", payload.len(), hex_preview(payload)),
            };
            format!("sent to the {} from the console: {what}", to.name())
        }
        Relayed::Http {
            method,
            host,
            target,
            status,
        } => {
            let answer = match status {
                Some(s) => format!("{s} {}", status_reason(s)).trim_end().to_string(),
                None => "no answer".into(),
            };
            format!(
                "http {} {}{} → {answer}",
                escape_bytes(method.as_bytes()),
                escape_bytes(host.as_bytes()),
                escape_bytes(target.as_bytes())
            )
        }
    }
}

/// The first bytes of a binary payload in hex (`01 02 …`).
fn hex_preview(bytes: &[u8]) -> String {
    let mut s: Vec<String> = bytes.iter().take(32).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 32 {
        s.push("…".into());
    }
    s.join(" ")
}

/// A server's refusal of the upgrade, with its body.
pub fn rejected(r: &Rejected) -> String {
    format!(
        "the server answered {} {} instead of 101 Switching Protocols; its body ({} byte{}): {}",
        r.status,
        status_reason(r.status),
        r.body.len(),
        plural(r.body.len() as u64),
        escape_bytes(r.body)
    )
}

/// What is wrong with a `Sec-WebSocket-Key`, with the RFC that says so.
pub fn key_problem(p: &KeyProblem) -> String {
    match p {
        KeyProblem::Empty => {
            "the key is empty; RFC 6455 §4.1 requires the base64 of 16 random bytes \
             (24 characters ending in \"==\")"
                .into()
        }
        KeyProblem::NotBase64 { index, found } => format!(
            "character {index} of the key is '{}', which is not base64 \
             (RFC 4648 §4: A-Z, a-z, 0-9, '+', '/', and '=' only as padding at the end)",
            escape_bytes(found.encode_utf8(&mut [0; 4]).as_bytes())
        ),
        KeyProblem::BadPadding { index } => format!(
            "'=' at character {index} of the key; base64 padding is one or two '=' \
             at the very end (RFC 4648 §4)"
        ),
        KeyProblem::BadLength { chars } => format!(
            "the key is {chars} characters, not a multiple of 4, so it is not padded \
             base64; RFC 6455 §4.1 keys are 24 characters ending in \"==\""
        ),
        KeyProblem::NonCanonical { index } => format!(
            "character {index} of the key sets bits that the '=' padding marks as \
             unused, so it is not canonical base64 (RFC 4648 §3.5)"
        ),
        KeyProblem::WrongLength { decoded } => {
            format!("the key decodes to {decoded} bytes, not the 16 RFC 6455 §4.1 requires")
        }
    }
}

/// "request line" or "status line".
fn start_line(head: HeadKind) -> &'static str {
    match head {
        HeadKind::Request => "request line",
        HeadKind::Response => "status line",
    }
}

/// "request" or "response".
fn head_name(head: HeadKind) -> &'static str {
    match head {
        HeadKind::Request => "request",
        HeadKind::Response => "response",
    }
}

/// What is wrong with a head: what was found, and what was expected there.
pub fn head_problem(p: &HeadProblem) -> String {
    use HeadPlace::*;
    let (found, at) = match p {
        HeadProblem::NoColon { name } => {
            return format!(
                "header line \"{}\" has no ':'; expected \"Name: value\"",
                quote(name)
            )
        }
        HeadProblem::TooLarge { head, limit } => {
            return format!(
                "{} head exceeds {limit} bytes without an empty line",
                head_name(*head)
            )
        }
        HeadProblem::Unfinished { head, len } => {
            return format!(
            "the input ends inside an HTTP {} head ({len} bytes, no empty line after the headers)",
            head_name(*head)
        )
        }
        HeadProblem::Unexpected { found, at } => (*found, *at),
    };
    let d = describe(found);
    match (at, found) {
        (RequestStart, b'\r' | b'\n') => {
            "empty line before the request line; expected a method such as GET".into()
        }
        (RequestStart, 0x16) => "found 0x16, the first byte of a TLS handshake (HTTPS/WSS sent to a plain-text port); expected a method such as GET".into(),
        (RequestStart, _) => {
            format!("request line starts with {d}; expected a method such as GET")
        }
        (Method, _) => format!(
            "request line: method contains {d}; expected a token character or ' ' after the method"
        ),
        (TargetStart, _) => format!(
            "request line: request target starts with {d}; expected a path such as /chat"
        ),
        (Target, b'\r' | b'\n') => {
            "request line ends after the target; expected ' ' and an HTTP version such as HTTP/1.1"
                .into()
        }
        (Target, _) => format!(
            "request line: request target contains {d}; expected visible ASCII (others must be percent-encoded) or ' '"
        ),
        (Version { head, part: VersionPart::Prefix }, _) => format!(
            "{}: found {d}; expected an HTTP version such as HTTP/1.1",
            start_line(head)
        ),
        (Version { head, part }, _) => {
            let what = match part {
                VersionPart::Major | VersionPart::Prefix => "a major version digit",
                VersionPart::Dot => "'.'",
                VersionPart::Minor => "a minor version digit",
            };
            format!(
                "{}: found {d} in the HTTP version; expected {what} (as in HTTP/1.1)",
                start_line(head)
            )
        }
        (AfterVersion { head: HeadKind::Request }, _) => format!(
            "request line: found {d} after the HTTP version; expected the end of the line (CRLF)"
        ),
        (AfterVersion { head: HeadKind::Response }, _) => format!(
            "status line: found {d} after the HTTP version; expected ' ' and a status code"
        ),
        (StatusCode, _) => {
            format!("status line: found {d}; expected a three-digit status code")
        }
        (AfterStatusCode, _) => format!(
            "status line: found {d} after the status code; expected ' ' and a reason phrase"
        ),
        (Reason, _) => format!(
            "status line: reason phrase contains {d}; control characters are not allowed"
        ),
        (AfterCr, _) => format!("CR (0x0D) followed by {d} instead of LF; lines end in CRLF"),
        (HeaderStart { first: true }, b' ' | b'\t') => "line starts with whitespace before the first header; expected \"Name: value\" (RFC 9112 §2.2)".into(),
        (HeaderStart { first: false }, b' ' | b'\t') => "line starts with whitespace: an obs-fold continuation line, which RFC 9112 §5.2 \
             forbids; expected a new \"Name: value\" header"
            .into(),
        (HeaderStart { .. }, b':') => {
            "header line starts with ':'; expected a header name before it".into()
        }
        (HeaderStart { .. }, _) => {
            format!("header line starts with {d}; expected a header name (a token)")
        }
        (HeaderName, _) => {
            format!("header name contains {d}; expected a token character or ':'")
        }
        (HeaderValue, _) => format!(
            "header value contains {d}; control characters are not allowed in header values"
        ),
    }
}

/// A head that cannot be read: "byte 22: header name contains ...", or,
/// for a head the input ends inside of, the sentence alone.
pub fn head_error(e: &HeadError) -> String {
    match e.problem {
        HeadProblem::Unfinished { .. } => head_problem(&e.problem),
        _ => format!("byte {}: {}", e.offset, head_problem(&e.problem)),
    }
}

/// What a handshake issue says: what the peer sent and what RFC 6455
/// expects, with the section.
pub fn issue(i: &Issue) -> String {
    use IssueKind::*;
    let request = i.head == HeadKind::Request;
    let section = i.section();
    match &i.kind {
        MethodNotGet { method } => format!(
            "method is \"{}\"; RFC 6455 §4.1 requires GET (methods are case-sensitive)",
            quote(method.as_bytes())
        ),
        HttpVersion { version } if request => format!(
            "request line says {}; RFC 6455 §4.1 requires HTTP/1.1 or higher",
            quote(version.as_bytes())
        ),
        HttpVersion { version } => format!(
            "status line says {}; RFC 6455 §4.1 expects HTTP/1.1",
            quote(version.as_bytes())
        ),
        BadTarget { target } => format!(
            "request target is \"{}\"; RFC 6455 §4.1 expects a resource name such as \"/chat\" \
             (or an absolute http(s) URI)",
            quote(target.as_bytes())
        ),
        BareLf { mixed } if request => format!(
            "{}request lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2, RFC 6455 §4.1)",
            if *mixed { "some " } else { "" }
        ),
        BareLf { .. } => {
            "response lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2)".into()
        }
        MissingHost => "no Host header; RFC 6455 §4.1 (and HTTP/1.1) requires one".into(),
        DuplicateHost { count } => format!(
            "Host header appears {count} times; HTTP/1.1 (RFC 9112 §3.2) allows exactly one"
        ),
        MissingUpgrade => format!("no Upgrade header; {section} requires \"Upgrade: websocket\""),
        MissingConnection => {
            format!("no Connection header; {section} requires \"Connection: Upgrade\"")
        }
        BadUpgrade { values } => format!(
            "Upgrade header is \"{}\"; {section} requires a token \"websocket\" \
             (case-insensitive, in a comma-separated list)",
            joined(values)
        ),
        BadConnection { values } => format!(
            "Connection header is \"{}\"; {section} requires a token \"Upgrade\" \
             (case-insensitive, in a comma-separated list)",
            joined(values)
        ),
        MissingVersion => "no Sec-WebSocket-Version header; RFC 6455 §4.2.1 requires \"Sec-WebSocket-Version: 13\"".into(),
        DuplicateVersion { count } => format!(
            "Sec-WebSocket-Version appears {count} times; RFC 6455 §11.3.5 allows it once in a request"
        ),
        BadVersion { values } => format!(
            "Sec-WebSocket-Version is \"{}\"; RFC 6455 §4.2.1 requires exactly 13, and a server \
             answers 426 with \"Sec-WebSocket-Version: 13\" (§4.2.2, §4.4)",
            joined(values)
        ),
        MissingKey => {
            "no Sec-WebSocket-Key header; RFC 6455 §4.2.1 requires one (base64 of 16 random bytes)"
                .into()
        }
        DuplicateKey { count } => {
            format!("Sec-WebSocket-Key appears {count} times; RFC 6455 §11.3.1 allows it once")
        }
        BadKey { key, problem } => format!(
            "Sec-WebSocket-Key \"{}\" is invalid: {}",
            quote(key),
            key_problem(problem)
        ),
        OriginNotAllowed { origin: Some(o) } => format!(
            "Origin \"{}\" is not on this server's allow-list (--origin); RFC 6455 §4.2.2 lets a server refuse it with 403",
            quote(o)
        ),
        OriginNotAllowed { origin: None } => {
            "no Origin header, and this server only accepts listed origins (--origin)".into()
        }
        BadHead(e) => head_error(e),
        StatusNot101 {
            status,
            reason,
            version,
        } => {
            let mut s = format!(
                "status is {status} \"{}\"; RFC 6455 §4.1 requires 101 (Switching Protocols): \
                 the server did not accept the upgrade",
                quote(reason)
            );
            if let Some(v) = version {
                s.push_str(&format!(" (it speaks Sec-WebSocket-Version \"{}\")", quote(v)));
            }
            s
        }
        MissingAccept => {
            "no Sec-WebSocket-Accept header; RFC 6455 §4.1 requires base64(SHA-1(key + GUID))"
                .into()
        }
        DuplicateAccept { count } => format!(
            "Sec-WebSocket-Accept appears {count} times; RFC 6455 §11.3.3 allows it once"
        ),
        BadAccept { got, expected, key } => format!(
            "Sec-WebSocket-Accept is \"{}\"; expected \"{}\", \
             base64(SHA-1(key + GUID)) for Sec-WebSocket-Key \"{}\" \
             (RFC 6455 §4.1, §4.2.2)",
            quote(got),
            quote(expected.as_bytes()),
            quote(key.as_bytes())
        ),
        AcceptNotDigest { got } => format!(
            "Sec-WebSocket-Accept is \"{}\", not the base64 of a 20-byte SHA-1 \
             digest (RFC 6455 §4.1, §4.2.2)",
            quote(got)
        ),
    }
}

/// "invalid UTF-8 at byte 4", or the character cut short at the end.
pub fn utf8_error(e: &Utf8Error) -> String {
    if e.incomplete {
        format!(
            "text ends inside a multi-byte character that starts at byte {}",
            e.offset
        )
    } else {
        format!("invalid UTF-8 at byte {}", e.offset)
    }
}

/// Why a compressed message did not inflate.
pub fn inflate_error(e: &InflateError) -> String {
    match *e {
        InflateError::TooBig { limit } => format!("the message inflates to more than {limit} bytes"),
        InflateError::Invalid { zlib_message, at } => format!(
            "the compressed data is not valid DEFLATE: {zlib_message} (compressed byte {at})"
        ),
        InflateError::NeedsEarlierMessages { at } => format!(
            "compressed byte {at} refers back to earlier messages of the connection (context takeover) that the input lacks; decode the connection from its start to see it"
        ),
        InflateError::Truncated { len } => format!(
            "the compressed data ({len} bytes) ends inside a DEFLATE block, not at a block boundary"
        ),
    }
}

/// What the violation says, without its section.
pub fn message(v: &Violation) -> String {
    match &v.kind {
        Kind::ReservedBit { bit } => {
            format!("RSV{bit} is set but no extension was negotiated that defines it")
        }
        Kind::ReservedOpcode { opcode } => format!(
            "opcode 0x{opcode:x} is reserved for future {} frames",
            if opcode & 0x08 != 0 {
                "control"
            } else {
                "non-control"
            }
        ),
        Kind::ControlTooLong { opcode, len } => format!(
            "{} frame has a payload of {len} bytes; control frames carry at most 125",
            opcode.name()
        ),
        Kind::ControlFragmented { opcode } => format!(
            "{} frame has FIN=0; control frames must not be fragmented",
            opcode.name()
        ),
        Kind::NonMinimalLength { len, form } => format!(
            "length {len} is written in the {} form; the minimal number of bytes ({}) must be used",
            form.name(),
            LengthForm::minimal(*len).name()
        ),
        Kind::LengthTopBit { len } => format!(
            "64-bit length 0x{len:016x} has its most significant bit set; it must be 0"
        ),
        Kind::UnmaskedClientFrame => {
            "frame from the client is not masked; a client must mask every frame".into()
        }
        Kind::MaskedServerFrame => {
            "frame from the server is masked; a server must not mask its frames".into()
        }
        Kind::CloseLengthOne { byte } => format!(
            "close payload is 1 byte (0x{byte:02x}); it must be empty or start with a 2-byte status code"
        ),
        Kind::CloseCode { code } => {
            let c = CloseCode(*code);
            format!(
                "close code {code} ({}) may not be sent: {}",
                c.name(),
                c.why_not_allowed().unwrap_or("it is not allowed")
            )
        }
        Kind::CloseReasonUtf8 { error } => format!(
            "close reason is not UTF-8: {} of the reason (payload byte {})",
            utf8_error(error),
            error.offset + 2
        ),
        Kind::TextUtf8 { error, place } => match place {
            Utf8Place::OnlyFrame => format!("text is not UTF-8: {}", utf8_error(error)),
            Utf8Place::ThisFragment { byte } => format!(
                "text message is not UTF-8: {} of the message (byte {byte} of this frame's payload)",
                utf8_error(error)
            ),
            Utf8Place::EarlierFragment => format!(
                "text message is not UTF-8: {} of the message, in an earlier fragment",
                utf8_error(error)
            ),
            Utf8Place::Inflated => format!(
                "text message is not UTF-8 once inflated: {} of the inflated text",
                utf8_error(error)
            ),
        },
        Kind::ContinuationWithoutMessage => {
            "continuation frame with no message open; a message starts with a text or binary frame"
                .into()
        }
        Kind::DataInsideMessage { new, open, frames } => format!(
            "new {} frame while a fragmented {} message ({frames} frame{} so far) is still open; its fragments must continue with opcode 0x0",
            new.name(),
            open.name(),
            plural(*frames as u64)
        ),
        Kind::FrameAfterClose { opcode } => format!(
            "{} frame sent after this side's close frame; no data frame or second close may follow it",
            opcode.name()
        ),
        Kind::TruncatedHeader { present, needed } => format!(
            "the input ends inside a frame header: {present} byte{} present, at least {needed} more needed",
            plural(*present as u64)
        ),
        Kind::TruncatedPayload { announced, present } => format!(
            "frame is truncated: the header announces {announced} byte{} of payload, {present} present ({} missing)",
            plural(*announced),
            announced - present
        ),
        Kind::CompressedBitMisplaced { opcode } => format!(
            "RSV1 is set on a {} frame; permessage-deflate sets it only on the first frame of a data message",
            opcode.name()
        ),
        Kind::BadCompressedData { kind, error } => format!(
            "compressed {} message cannot be inflated: {}",
            kind.name(),
            inflate_error(error)
        ),
        Kind::FrameTooBig { len, limit } => format!(
            "frame announces {len} bytes of payload; this receiver takes at most {limit} per frame"
        ),
        Kind::MessageTooBig { of, len, limit } => match of {
            SizeOf::Message => format!(
                "message reaches {len} bytes; this receiver takes at most {limit} per message"
            ),
            SizeOf::Inflated => format!(
                "message inflates past {limit} bytes, the most this receiver takes per message"
            ),
        },
    }
}

/// The violation as one line: "RFC 6455 §5.2: ...".
pub fn violation(v: &Violation) -> String {
    format!("{}: {}", v.rule().section(), message(v))
}

/// What a gap in the input means, in one sentence.
pub fn gap(g: &Gap) -> String {
    match *g {
        Gap::Missing { offset, len, after } => {
            let then = match after {
                AfterGap::Resumes { skip: 0 } => {
                    "it ends where a frame ends: decoding goes on after it".to_string()
                }
                AfterGap::Resumes { skip } => format!(
                    "the frame it cuts ends {skip} byte{} after it: decoding goes on there",
                    plural(skip)
                ),
                AfterGap::Lost => "where the next frame starts is unknown: what follows is not decoded until whole frames are found again".to_string(),
            };
            format!(
                "{len} byte{} missing from the capture at offset {offset} (not captured); {then}",
                plural(len)
            )
        }
        Gap::Resumed {
            offset,
            undecoded: 0,
        } => format!(
            "frames found again at offset {offset}, right after the gap (a segment holds whole frames from its first byte to its last)"
        ),
        Gap::Resumed { offset, undecoded } => format!(
            "frames found at offset {offset}, after {undecoded} byte{} not decoded (a segment holds whole frames from its first byte to its last)",
            plural(undecoded)
        ),
        Gap::Undecoded { offset, len } => format!(
            "{len} byte{} from offset {offset} not decoded: no place where whole frames start was found",
            plural(len)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::handshake::{check_origin, validate_request, validate_response};
    use crate::protocol::opcode::OpCode;

    fn request_issues(text: &str) -> Vec<Issue> {
        validate_request(&complete_request(text.as_bytes()).0)
    }

    fn response_issues(text: &str, key: Option<&str>) -> Vec<Issue> {
        validate_response(&complete_response(text.as_bytes()).0, key)
    }

    fn one(issues: Vec<Issue>) -> String {
        assert_eq!(issues.len(), 1, "{issues:#?}");
        issue(&issues[0])
    }

    /// The sentences for RFC 6455's own request and response, each edited
    /// to break one rule: word for word what the checks said before they
    /// became typed values.
    #[test]
    fn issue_sentences_word_for_word() {
        let r = |from: &str, to: &str| one(request_issues(&edit(RFC_REQUEST, from, to)));
        let cases = [
            (
                r("GET /chat", "POST /chat"),
                "method is \"POST\"; RFC 6455 §4.1 requires GET (methods are case-sensitive)",
            ),
            (
                r("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost"),
                "request line says HTTP/1.0; RFC 6455 §4.1 requires HTTP/1.1 or higher",
            ),
            (
                r("GET /chat", "GET *"),
                "request target is \"*\"; RFC 6455 §4.1 expects a resource name such as \"/chat\" (or an absolute http(s) URI)",
            ),
            (
                one(request_issues(&RFC_REQUEST.replace("\r\n", "\n"))),
                "request lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2, RFC 6455 §4.1)",
            ),
            (
                r("Upgrade: websocket\r\n", "Upgrade: websocket\n"),
                "some request lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2, RFC 6455 §4.1)",
            ),
            (
                r("Host: server.example.com\r\n", ""),
                "no Host header; RFC 6455 §4.1 (and HTTP/1.1) requires one",
            ),
            (
                r("Host: server.example.com\r\n", "Host: a\r\nhost: b\r\n"),
                "Host header appears 2 times; HTTP/1.1 (RFC 9112 §3.2) allows exactly one",
            ),
            (
                r("Upgrade: websocket\r\n", ""),
                "no Upgrade header; RFC 6455 §4.2.1 requires \"Upgrade: websocket\"",
            ),
            (
                r("Upgrade: websocket", "Upgrade: h2c"),
                "Upgrade header is \"h2c\"; RFC 6455 §4.2.1 requires a token \"websocket\" (case-insensitive, in a comma-separated list)",
            ),
            (
                r("Connection: Upgrade\r\n", ""),
                "no Connection header; RFC 6455 §4.2.1 requires \"Connection: Upgrade\"",
            ),
            (
                r("Connection: Upgrade", "Connection: keep-alive\r\nConnection: close"),
                "Connection header is \"keep-alive, close\"; RFC 6455 §4.2.1 requires a token \"Upgrade\" (case-insensitive, in a comma-separated list)",
            ),
            (
                r("Sec-WebSocket-Version: 13\r\n", ""),
                "no Sec-WebSocket-Version header; RFC 6455 §4.2.1 requires \"Sec-WebSocket-Version: 13\"",
            ),
            (
                r("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13"),
                "Sec-WebSocket-Version appears 2 times; RFC 6455 §11.3.5 allows it once in a request",
            ),
            (
                r("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"),
                "Sec-WebSocket-Version is \"8\"; RFC 6455 §4.2.1 requires exactly 13, and a server answers 426 with \"Sec-WebSocket-Version: 13\" (§4.2.2, §4.4)",
            ),
            (
                r("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
                "no Sec-WebSocket-Key header; RFC 6455 §4.2.1 requires one (base64 of 16 random bytes)",
            ),
            (
                r("Origin", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin"),
                "Sec-WebSocket-Key appears 2 times; RFC 6455 §11.3.1 allows it once",
            ),
            (
                r(RFC_KEY, "dGhlIHNhbXBsZQ=="),
                "Sec-WebSocket-Key \"dGhlIHNhbXBsZQ==\" is invalid: the key decodes to 10 bytes, not the 16 RFC 6455 §4.1 requires",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }

        let s = |from: &str, to: &str| edit(RFC_RESPONSE, from, to);
        let cases = [
            (
                one(response_issues(&s("101 Switching Protocols", "404 Not \"Found\""), Some(RFC_KEY))),
                "status is 404 \"Not \\\"Found\\\"\"; RFC 6455 §4.1 requires 101 (Switching Protocols): the server did not accept the upgrade",
            ),
            (
                one(response_issues("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n", None)),
                "status is 426 \"Upgrade Required\"; RFC 6455 §4.1 requires 101 (Switching Protocols): the server did not accept the upgrade (it speaks Sec-WebSocket-Version \"13\")",
            ),
            (
                one(response_issues(&s("HTTP/1.1", "HTTP/1.0"), Some(RFC_KEY))),
                "status line says HTTP/1.0; RFC 6455 §4.1 expects HTTP/1.1",
            ),
            (
                one(response_issues(&RFC_RESPONSE.replace("\r\n", "\n"), Some(RFC_KEY))),
                "response lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2)",
            ),
            (
                one(response_issues(&s("Upgrade: websocket\r\n", ""), Some(RFC_KEY))),
                "no Upgrade header; RFC 6455 §4.1 requires \"Upgrade: websocket\"",
            ),
            (
                one(response_issues(&s("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""), Some(RFC_KEY))),
                "no Sec-WebSocket-Accept header; RFC 6455 §4.1 requires base64(SHA-1(key + GUID))",
            ),
            (
                one(response_issues(
                    &s("Sec-WebSocket-Protocol", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol"),
                    Some(RFC_KEY),
                )),
                "Sec-WebSocket-Accept appears 2 times; RFC 6455 §11.3.3 allows it once",
            ),
            (
                one(response_issues(RFC_RESPONSE, Some("dGhlIHNhbXBsZQ=="))),
                "Sec-WebSocket-Accept is \"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\"; expected \"OEPSNnbvaxYns+EYSv7+c2kBj+o=\", base64(SHA-1(key + GUID)) for Sec-WebSocket-Key \"dGhlIHNhbXBsZQ==\" (RFC 6455 §4.1, §4.2.2)",
            ),
            (
                one(response_issues(&s("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYG"), None)),
                "Sec-WebSocket-Accept is \"s3pPLMBiTxaQ9kYG\", not the base64 of a 20-byte SHA-1 digest (RFC 6455 §4.1, §4.2.2)",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }

        let (req, _) = complete_request(RFC_REQUEST.as_bytes());
        let refused = check_origin(&req, &["https://example.com".to_owned()]).unwrap();
        assert_eq!(
            issue(&refused),
            "Origin \"http://example.com\" is not on this server's allow-list (--origin); RFC 6455 §4.2.2 lets a server refuse it with 403"
        );
        let no_origin = Issue::request(IssueKind::OriginNotAllowed { origin: None });
        assert_eq!(
            issue(&no_origin),
            "no Origin header, and this server only accepts listed origins (--origin)"
        );
    }

    #[test]
    fn head_error_sentences() {
        for j in junk_requests() {
            let e = request_error(j.input);
            let s = head_error(&e);
            assert!(s.starts_with(&format!("byte {}: ", j.offset)), "{s}");
            assert!(s.contains(j.says), "{s:?} does not say {:?}", j.says);
            let i = Issue::request(IssueKind::BadHead(e));
            assert_eq!(issue(&i), s);
        }
        let e = request_error(b"GET /chat HTTP/1.1\r\nHo st: x");
        assert_eq!(
            head_error(&e),
            "byte 22: header name contains ' ' (0x20); expected a token character or ':'"
        );
        let too_large = HeadError {
            offset: 64,
            problem: HeadProblem::TooLarge {
                head: HeadKind::Request,
                limit: 64,
            },
        };
        assert_eq!(
            head_error(&too_large),
            "byte 64: request head exceeds 64 bytes without an empty line"
        );
        let cut = HeadError {
            offset: 30,
            problem: HeadProblem::Unfinished {
                head: HeadKind::Response,
                len: 30,
            },
        };
        assert_eq!(
            head_error(&cut),
            "the input ends inside an HTTP response head (30 bytes, no empty line after the headers)"
        );
        // A status line, wrong at each place.
        use crate::protocol::http::{parse_response, HeadParse};
        let says: &[(&[u8], &str)] = &[
            (b"GET / HTTP/1.1\r\n", "byte 0: status line: found 'G' (0x47); expected an HTTP version such as HTTP/1.1"),
            (b"HTTP/1.x", "byte 7: status line: found 'x' (0x78) in the HTTP version; expected a minor version digit (as in HTTP/1.1)"),
            (b"HTTP/1.1x", "byte 8: status line: found 'x' (0x78) after the HTTP version; expected ' ' and a status code"),
            (b"HTTP/1.1 abc", "byte 9: status line: found 'a' (0x61); expected a three-digit status code"),
            (b"HTTP/1.1 1011", "byte 12: status line: found '1' (0x31) after the status code; expected ' ' and a reason phrase"),
            (b"HTTP/1.1 101 Switching\x01", "byte 22: status line: reason phrase contains '\\x01' (0x01); control characters are not allowed"),
        ];
        for (input, want) in says {
            match parse_response(input, BIG) {
                Err(e) => assert_eq!(head_error(&e), *want),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            parse_response(b"HTTP/1.1 10", BIG),
            Ok(HeadParse::Partial)
        ));
    }

    #[test]
    fn key_problem_sentences() {
        assert_eq!(
            key_problem(&KeyProblem::WrongLength { decoded: 10 }),
            "the key decodes to 10 bytes, not the 16 RFC 6455 §4.1 requires"
        );
        let m = key_problem(&KeyProblem::NotBase64 {
            index: 3,
            found: '\n',
        });
        assert!(m.starts_with("character 3 of the key is '\\n'"), "{m}");
        let m = key_problem(&KeyProblem::NotBase64 {
            index: 0,
            found: '\u{7}',
        });
        assert!(m.contains("'\\x07'"), "{m}");
        for p in [
            KeyProblem::Empty,
            KeyProblem::BadPadding { index: 1 },
            KeyProblem::BadLength { chars: 3 },
            KeyProblem::NonCanonical { index: 2 },
        ] {
            assert!(key_problem(&p).contains("RFC "), "{p:?}");
        }
    }

    /// Peer bytes that would act on a terminal: ESC starting a sequence,
    /// BEL, a C1 control (CSI) and a right-to-left override.
    const HOSTILE: &str = "\u{1b}[2J\u{7}\u{9b}31m\u{202e}";

    fn assert_escaped(sentence: &str) {
        for raw in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(!sentence.contains(raw), "{raw:?} raw in {sentence:?}");
        }
        for escaped in ["\\x1b[2J", "\\x07", "\\u{9b}31m", "\\u{202e}"] {
            assert!(sentence.contains(escaped), "{escaped} not in {sentence:?}");
        }
    }

    #[test]
    fn every_sentence_that_quotes_a_value_escapes_it() {
        use IssueKind::*;
        let v = HOSTILE.as_bytes().to_vec();
        let s = HOSTILE.to_owned();
        let request = [
            MethodNotGet { method: s.clone() },
            HttpVersion { version: s.clone() },
            BadTarget { target: s.clone() },
            BadUpgrade {
                values: vec![b"h2c".to_vec(), v.clone()],
            },
            BadConnection {
                values: vec![v.clone()],
            },
            BadVersion {
                values: vec![v.clone()],
            },
            BadKey {
                key: v.clone(),
                problem: KeyProblem::WrongLength { decoded: 3 },
            },
            OriginNotAllowed {
                origin: Some(v.clone()),
            },
            BadHead(HeadError {
                offset: 20,
                problem: HeadProblem::NoColon { name: v.clone() },
            }),
        ];
        for kind in request {
            assert_escaped(&issue(&Issue::request(kind)));
        }
        let response = [
            HttpVersion { version: s.clone() },
            StatusNot101 {
                status: 400,
                reason: v.clone(),
                version: None,
            },
            StatusNot101 {
                status: 426,
                reason: b"Upgrade Required".to_vec(),
                version: Some(v.clone()),
            },
            BadAccept {
                got: v.clone(),
                expected: "OEPSNnbvaxYns+EYSv7+c2kBj+o=".into(),
                key: "x".into(),
            },
            BadAccept {
                got: b"x".to_vec(),
                expected: "OEPSNnbvaxYns+EYSv7+c2kBj+o=".into(),
                key: s.clone(),
            },
            AcceptNotDigest { got: v.clone() },
        ];
        for kind in response {
            assert_escaped(&issue(&Issue::response(kind)));
        }
        // A key's offending character, one at a time.
        for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            let m = key_problem(&KeyProblem::NotBase64 { index: 0, found: c });
            assert!(!m.contains(c) && m.contains("'\\"), "{m}");
        }
        // A head error's offending byte.
        for b in [0x1b, 0x07, 0x9b] {
            let e = HeadError {
                offset: 26,
                problem: HeadProblem::Unexpected {
                    found: b,
                    at: HeadPlace::HeaderValue,
                },
            };
            let m = head_error(&e);
            assert!(!m.contains(char::from(b)), "{m}");
        }
    }

    #[test]
    fn long_values_are_cut() {
        let long = "é".repeat(70);
        let i = Issue::request(IssueKind::BadUpgrade {
            values: vec![long.into_bytes()],
        });
        let s = issue(&i);
        assert!(
            s.starts_with(&format!("Upgrade header is \"{}...\"", "é".repeat(50))),
            "{s}"
        );
    }

    #[test]
    fn sentences_carry_the_numbers() {
        let v = Violation::new(Kind::ControlTooLong {
            opcode: OpCode::Ping,
            len: 130,
        });
        assert_eq!(
            violation(&v),
            "RFC 6455 §5.5: ping frame has a payload of 130 bytes; control frames carry at most 125"
        );
        let v = Violation::new(Kind::CloseCode { code: 1005 });
        assert!(
            message(&v).contains("1005 (No Status Received)"),
            "{}",
            message(&v)
        );
        let v = Violation::new(Kind::TruncatedPayload {
            announced: 5,
            present: 1,
        });
        assert!(message(&v).contains("(4 missing)"), "{}", message(&v));
    }
}
