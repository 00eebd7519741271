//! Plain hex in its many spellings, and Python bytes literals.

use super::{hex_run, hex_val, is_space, not_hex, odd_digits, push_hex, quote, DumpError, Line};

pub(super) fn plain_hex_line(line: &Line, out: &mut Vec<u8>) -> Result<(), DumpError> {
    let mut at = 0;
    let mut after_space = true;
    while let Some(c) = line.char_at(at) {
        let rest = line.rest(at);
        if is_space(c) {
            at += c.len_utf8();
            after_space = true;
            continue;
        }
        if after_space && (c == '#' || rest.starts_with("//")) {
            break; // trailing comment
        }
        after_space = false;
        if matches!(
            c,
            ',' | ';' | ':' | '-' | '{' | '}' | '[' | ']' | '(' | ')' | '"' | '\'' | '>'
        ) {
            at += 1;
            continue;
        }
        if rest.starts_with("...") || c == '…' {
            let node = rest.contains("more byte");
            let msg = if node {
                "Node printed only the first 50 bytes ('... N more bytes'): the rest are \
                 missing; print buf.toString('hex') instead"
            } else {
                "'...' stands for bytes that were left out: paste all of them"
            };
            return Err(line.error(at, msg.into()));
        }
        if rest.starts_with("<Buffer") {
            at += "<Buffer".len();
            continue;
        }
        if matches!(c, 'b' | 'B') && matches!(rest.as_bytes().get(1), Some(b'\'' | b'"')) {
            at = bytes_literal(line, at + 1, out)?;
            continue;
        }
        let prefixed = rest
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("0x") || p.eq_ignore_ascii_case("\\x"));
        let digits = at + if prefixed { 2 } else { usize::from(c == '%') };
        let end = digits + hex_run(line.rest(digits));
        let token = line.text.get(at..end).unwrap_or_default();
        let n = end - digits;
        if n == 0 && digits == at {
            return Err(line.error(at, not_hex(c)));
        } else if n == 0 {
            return Err(line.error(
                digits,
                format!("expected hex digits after '{}'", quote(token)),
            ));
        } else if c == '%' && n != 2 {
            return Err(line.error(
                at,
                format!(
                    "'%' must be followed by exactly two hex digits in '{}'",
                    quote(token)
                ),
            ));
        } else if let Some(bad) = line.char_at(end).filter(|c| c.is_alphanumeric()) {
            // `818g` is more likely a typo for a digit than a missing one.
            return Err(line.error(end, not_hex(bad)));
        } else if n % 2 == 1 && !(n == 1 && prefixed) {
            return Err(line.error(end - 1, odd_digits(token)));
        }
        push_hex(
            line.rest(digits).as_bytes().get(..n).unwrap_or_default(),
            out,
        );
        at = end;
    }
    Ok(())
}

/// Reads a Python bytes literal whose opening quote is at `open`, as Python's `repr`
/// prints it: printable ASCII stands for itself, escapes for the rest. Returns the
/// position after the closing quote.
fn bytes_literal(line: &Line, open: usize, out: &mut Vec<u8>) -> Result<usize, DumpError> {
    let t = line.text.as_bytes();
    let quote_char = t.get(open).copied();
    let mut at = open + 1;
    loop {
        let Some(&b) = t.get(at) else {
            return Err(line.error(at, "bytes literal is not closed (missing quote)".into()));
        };
        if Some(b) == quote_char {
            return Ok(at + 1);
        }
        let (byte, len) = match b {
            b'\\' => match t.get(at + 1) {
                Some(b'x') => {
                    let pair = t
                        .get(at + 2..at + 4)
                        .filter(|p| p.iter().all(u8::is_ascii_hexdigit));
                    let pair = pair.ok_or_else(|| {
                        line.error(at, "'\\x' must be followed by two hex digits".into())
                    })?;
                    (pair.iter().fold(0, |acc, &d| (acc << 4) | hex_val(d)), 4)
                }
                Some(&e @ (b'\\' | b'\'' | b'"')) => (e, 2),
                Some(b'n') => (b'\n', 2),
                Some(b'r') => (b'\r', 2),
                Some(b't') => (b'\t', 2),
                Some(b'0'..=b'7') => {
                    let digits = t
                        .iter()
                        .skip(at + 1)
                        .take(3)
                        .take_while(|d| matches!(d, b'0'..=b'7'));
                    let (value, n) =
                        digits.fold((0u32, 0), |(v, n), &d| (v * 8 + u32::from(d - b'0'), n + 1));
                    let byte = u8::try_from(value).map_err(|_| {
                        line.error(at, "octal escape above \\377 is not a byte".into())
                    })?;
                    (byte, 1 + n)
                }
                Some(b'a') => (7, 2),
                Some(b'b') => (8, 2),
                Some(b'f') => (12, 2),
                Some(b'v') => (11, 2),
                _ => {
                    let e = line
                        .char_at(at + 1)
                        .map_or(String::new(), |c| c.escape_debug().to_string());
                    return Err(
                        line.error(at, format!("unknown escape '\\{e}' in a bytes literal"))
                    );
                }
            },
            0x20..=0x7e => (b, 1),
            _ => {
                let c = line.char_at(at).unwrap_or('?');
                let msg = format!(
                    "'{}' cannot appear in a bytes literal (only printable ASCII)",
                    c.escape_debug()
                );
                return Err(line.error(at, msg));
            }
        };
        out.push(byte);
        at += len;
    }
}
