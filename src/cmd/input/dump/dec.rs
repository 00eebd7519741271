//! Decimal byte values.

use super::{content, is_space, quote, DumpError};

pub(super) fn parse_dec(text: &str) -> Result<Vec<u8>, DumpError> {
    let mut out = Vec::new();
    for line in content(text, true) {
        let mut at = 0;
        while let Some(c) = line.char_at(at) {
            let rest = line.rest(at);
            let digits = rest
                .get(1..)
                .map_or(0, |r| r.bytes().take_while(u8::is_ascii_digit).count());
            if c == '(' && digits > 0 && rest.as_bytes().get(digits + 1) == Some(&b')') {
                // A console's count, `(9) [...]`, is recognised by the literal reader;
                // a number in parentheses anywhere else is no plainer a byte.
                let token = rest.get(..digits + 2).unwrap_or_default();
                let msg = format!(
                    "'{}' is a number in parentheses, as consoles print a count, not a byte: \
                     leave it out, or paste the whole array as the console printed it",
                    quote(token)
                );
                return Err(line.error(at, msg));
            }
            if is_space(c) || matches!(c, ',' | ';' | '[' | ']' | '{' | '}' | '(' | ')') {
                at += c.len_utf8();
                continue;
            }
            let rest = line.rest(at);
            let word = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let name = rest.get(..word).unwrap_or_default();
            if c.is_ascii_alphabetic()
                && matches!(
                    name,
                    "Uint8Array" | "Array" | "Buffer" | "bytes" | "bytearray"
                )
            {
                // Skip the type and the length that browsers and Node print: `Uint8Array(9) [...]`.
                at += word;
                let after = line.rest(at);
                let count = after
                    .strip_prefix('(')
                    .map_or(0, |s| s.bytes().take_while(u8::is_ascii_digit).count());
                if count > 0 && after.as_bytes().get(count + 1) == Some(&b')') {
                    at += count + 2;
                }
                continue;
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let token = rest.get(..digits).unwrap_or_default();
            if digits == 0 {
                let msg = format!(
                    "'{}' is not a decimal digit (expected 0-9)",
                    c.escape_debug()
                );
                return Err(line.error(at, msg));
            }
            let value = token.bytes().fold(0u32, |v, d| {
                v.saturating_mul(10).saturating_add(u32::from(d - b'0'))
            });
            let byte = u8::try_from(value)
                .map_err(|_| line.error(at, format!("{} is not a byte (0-255)", quote(token))))?;
            out.push(byte);
            at += digits;
        }
    }
    Ok(out)
}
