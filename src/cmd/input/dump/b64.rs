//! Base64, standard or URL-safe.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::{content, is_space, DumpError, Line};

/// Base64 in Auto: lines of nothing but base64 characters (no spaces inside), with at
/// least one character that hex does not use.
pub(super) fn looks_like_base64(text: &str) -> bool {
    // Hex with a typo in it ("8183zz54") must stay a hex error, so base64
    // is only guessed on evidence: '+', '/' or '=' padding, or at least
    // three letters that no hex spelling uses.
    let mut strong = false;
    let mut not_hex = 0;
    let mut seen = false;
    for line in content(text, false) {
        for c in line.text.trim_matches(is_space).chars() {
            if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=')) {
                return false;
            }
            strong |= matches!(c, '+' | '/' | '=');
            if !c.is_ascii_hexdigit() && c != '-' {
                not_hex += 1;
            }
            seen = true;
        }
    }
    seen && not_hex > 0 && (strong || not_hex >= 3)
}

pub(super) fn parse_base64(text: &str) -> Result<Vec<u8>, DumpError> {
    let mut data = String::new();
    let mut padding: Option<(Line, usize, usize)> = None;
    let mut last: Option<(Line, usize)> = None;
    for line in content(text, false) {
        for (at, c) in line.text.char_indices() {
            let digit = match c {
                _ if is_space(c) => continue,
                'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => c,
                // URL-safe alphabet, read as the standard one.
                '-' => '+',
                '_' => '/',
                '=' => {
                    let count = padding.map_or(0, |p| p.2) + 1;
                    if count > 2 {
                        return Err(line.error(at, "too much '=' padding (at most two)".into()));
                    }
                    padding = Some(padding.map_or((line, at, 1), |(l, a, _)| (l, a, count)));
                    continue;
                }
                _ => {
                    let msg = format!(
                        "'{}' is not a base64 character (A-Z, a-z, 0-9, +, /, -, _, =)",
                        c.escape_debug()
                    );
                    return Err(line.error(at, msg));
                }
            };
            if padding.is_some() {
                return Err(line.error(at, format!("'{}' after '=' padding", c.escape_debug())));
            }
            data.push(digit);
            last = Some((line, at));
        }
    }
    let Some((last_line, last_at)) = last else {
        return Ok(Vec::new());
    };
    if data.len() % 4 == 1 {
        let msg = "a lone character after the last group of 4 is not base64 (is it cut short?)";
        return Err(last_line.error(last_at, msg.into()));
    }
    if let Some((line, at, count)) = padding {
        if !(data.len() + count).is_multiple_of(4) {
            return Err(line.error(
                at,
                format!(
                    "{count} '=' do not pad {} characters to a multiple of 4",
                    data.len()
                ),
            ));
        }
    }
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(&base64::alphabet::STANDARD, config)
        .decode(&data)
        .map_err(|e| last_line.error(last_at, format!("invalid base64: {e}")))
}
