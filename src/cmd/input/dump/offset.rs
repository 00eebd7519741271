//! Dumps with offsets: xxd, hexdump -C, od, Wireshark and `tshark -x`.

use super::{content, hex_run, is_space, not_hex, odd_digits, push_hex, quote, DumpError, Line};

/// Most bytes that hexdump's `*` lines may expand to, so a few lines of input cannot ask
/// for gigabytes of memory.
const MAX_REPEAT: u64 = 64 << 20;

/// `*` may always expand this much, however short the dump.
const MIN_REPEAT_LIMIT: u64 = 1 << 20;

/// Beyond [`MIN_REPEAT_LIMIT`], `*` may expand by this many bytes per byte
/// of the dump.
const REPEAT_PER_INPUT_BYTE: u64 = 1024;

const HEX_ONLY: &[u32] = &[16];
const OD_7_DIGITS: &[u32] = &[8, 10, 16];

/// Splits off a line's leading hex digits (after any indentation).
fn leading_offset(text: &str) -> Option<(&str, &str)> {
    let t = text.trim_start_matches(is_space);
    let n = hex_run(t);
    (n > 0).then(|| t.split_at(n))
}

/// Decides from its first lines whether the dump has offsets, and which radixes those
/// offsets may be written in. Offset-style when the first line starts with
/// - 4 or more zeros, or 8 or more hex digits (xxd -s starts anywhere), and `: `, or
/// - at least 4 zeros and two spaces or a tab (hexdump -C, Wireshark), or
/// - 6 or 7 zeros and one space, and the second line starts with as many digits or is `*`
///   (od, whose last line is always an offset, so there is a second line).
///
/// A dump may also start at another offset (`hexdump -C -s 4`, `od -j 4`, an excerpt of
/// `tshark -x`). Such a first line could be plain hex too, so it is taken as an offset
/// only on evidence: the next line's offset is this one plus the bytes on the line, or the
/// line's ASCII column shows exactly its bytes. For od, that evidence also tells which
/// radix its 7-digit offsets are in.
pub(super) fn detect_offsets(text: &str) -> Option<&'static [u32]> {
    let mut lines = content(text, true);
    let first = lines.next()?;
    let (token, after) = leading_offset(first.text)?;
    if token.len() < 4 {
        return None;
    }
    let zero = token.bytes().all(|b| b == b'0');
    if let Some(rest) = after.strip_prefix(':') {
        let xxd = (zero || token.len() >= 8) && (rest.is_empty() || rest.starts_with(is_space));
        return xxd.then_some(HEX_ONLY);
    }
    let second = lines.next();
    if after.starts_with("  ") || after.starts_with('\t') {
        return (zero || follows_on(&first, token, second, HEX_ONLY).is_some()).then_some(HEX_ONLY);
    }
    if !(matches!(token.len(), 6 | 7) && after.starts_with(' ')) {
        return None;
    }
    let radixes = if token.len() == 6 {
        HEX_ONLY
    } else {
        OD_7_DIGITS
    };
    if !zero {
        return follows_on(&first, token, second, radixes);
    }
    let second = second?;
    let od_like = second.text.trim_matches(is_space) == "*"
        || leading_offset(second.text)
            .is_some_and(|(t, a)| t.len() == token.len() && (a.is_empty() || a.starts_with(' ')));
    od_like.then_some(radixes)
}

/// A refusal for a first line that starts the way a dump from an offset does (`000004
/// 23 06 70`: a 6-8 digit group, then single bytes; or 4 digits and two spaces, as
/// Wireshark) when nothing confirmed the offset (see [`detect_offsets`]): its first
/// group is an offset or data, and reading it either way could be wrong.
pub(super) fn unconfirmed_offset(text: &str) -> Option<DumpError> {
    let first = content(text, true).next()?;
    let (token, after) = leading_offset(first.text)?;
    let spaces = after.len() - after.trim_start_matches(' ').len();
    let shaped = match token.len() {
        4 => spaces >= 2,
        6..=8 => spaces >= 1,
        _ => false,
    };
    if !shaped || token.bytes().all(|b| b == b'0') {
        return None;
    }
    let at = first.skip_space(0);
    let mut bytes = Vec::new();
    read_hex_area(&first, at + token.len(), false, &mut bytes).ok()?;
    if bytes.is_empty() {
        return None;
    }
    let msg = format!(
        "'{}' stands where a dump from an offset (hexdump -C -s, od -j, an excerpt) has \
         its offset, but no line confirms one: paste the line after it too (od and \
         hexdump end with the offset after the last byte) or the ASCII column; if it is \
         data, write it as single bytes ({})",
        quote(token),
        token
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
    );
    Some(first.error(at, msg))
}

/// Whether a first line that starts with `token` (not zero) is a line of a dump with
/// offsets: in which of `radixes` the next line's offset is this one plus the bytes on
/// the line (octal first, od's default, when several fit), or, failing that, whether its
/// ASCII column shows exactly its bytes (then the radix is the first of `radixes`).
fn follows_on(
    first: &Line,
    token: &str,
    second: Option<Line>,
    radixes: &'static [u32],
) -> Option<&'static [u32]> {
    let digits_end = first.skip_space(0) + token.len();
    let mut bytes = Vec::new();
    let column = read_hex_area(first, digits_end, false, &mut bytes).ok()?;
    if bytes.is_empty() {
        return None;
    }
    let next = second.and_then(|l| {
        let (t, a) = leading_offset(l.text)?;
        (t.len() == token.len() && a.chars().next().is_none_or(is_space)).then_some(t)
    });
    if let Some(next) = next {
        for (i, &r) in radixes.iter().enumerate() {
            let fits = match (u64::from_str_radix(token, r), u64::from_str_radix(next, r)) {
                (Ok(a), Ok(b)) => b.checked_sub(a) == Some(bytes.len() as u64),
                _ => false,
            };
            if fits {
                return radixes.get(i..=i);
            }
        }
    }
    ascii_column_matches(first.rest(column), &bytes).then(|| radixes.get(..1).unwrap_or(HEX_ONLY))
}

/// Whether `column` (the rest of a dump line after its hex part) is the ASCII rendering
/// of `bytes`: printable ASCII as itself, anything else as `.`, within `|...|` (hexdump
/// -C), `>...<` (od) or bare (xxd, Wireshark). Spaces are left out of the comparison, as
/// the gap that finds the column eats leading ones and Wireshark adds one in the middle.
fn ascii_column_matches(column: &str, bytes: &[u8]) -> bool {
    let column = column.trim_matches(is_space);
    let column = column
        .strip_prefix('|')
        .and_then(|c| c.strip_suffix('|'))
        .or_else(|| column.strip_prefix('>').and_then(|c| c.strip_suffix('<')))
        .unwrap_or(column);
    let shown: String = bytes
        .iter()
        .map(|&b| {
            if (0x21..0x7f).contains(&b) {
                b as char
            } else if b == b' ' {
                ' '
            } else {
                '.'
            }
        })
        .filter(|&c| c != ' ')
        .collect();
    !shown.is_empty() && column.chars().filter(|&c| !is_space(c)).eq(shown.chars())
}

/// A refusal for a heading line of `tshark -x`, such as `Frame (63 bytes):` or
/// `Unmasked data (3 bytes):`, which no hex spelling has.
pub(super) fn tshark_heading(line: &Line) -> Option<DumpError> {
    let at = line.skip_space(0);
    let text = line.rest(at).trim_end_matches(is_space);
    let (name, size) = text.strip_suffix(" bytes):")?.rsplit_once(" (")?;
    let plausible = !size.is_empty()
        && size.bytes().all(|b| b.is_ascii_digit())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if !plausible {
        return None;
    }
    let message = if name == "Frame" {
        format!(
            "'{}' heads tshark's dump of a whole packet, its link, IP and TCP headers \
             included, which are not WebSocket bytes: paste only the lines from where the \
             WebSocket bytes start (they are read by their offsets), or use Wireshark's \
             Copy > ...as Hex Dump on the WebSocket layer",
            quote(text)
        )
    } else {
        format!(
            "'{}' heads a block of bytes tshark derived from the packet, not bytes as they \
             were sent: paste the packet's own lines, without any heading",
            quote(text)
        )
    };
    Some(line.error(at, message))
}

fn format_offset(value: u64, radix: u32, width: usize) -> String {
    match radix {
        8 => format!("{value:0width$o}"),
        10 => format!("{value:0width$}"),
        _ => format!("{value:0width$x}"),
    }
}

/// Reads an xxd / hexdump -C / od / Wireshark dump, checking each line's offset against
/// the bytes read so far. An offset of 0 starts a new block (Wireshark prints one per
/// packet); `*` repeats the previous line up to the next offset.
///
/// Returns the bytes and the offset the dump starts at (that of its first line).
pub(super) fn parse_offset_dump(text: &str, radixes: &[u32]) -> Result<(Vec<u8>, u64), DumpError> {
    let first_radix = radixes.first().copied().unwrap_or(16);
    let mut radix = (radixes.len() == 1).then_some(first_radix);
    let mut out = Vec::new();
    let mut next: Option<u64> = None;
    let mut prev = 0..0;
    let mut star: Option<(Line, usize)> = None;
    let mut repeated = 0u64;
    let mut first = None;
    for line in content(text, true) {
        let start = line.skip_space(0);
        if line.rest(start).trim_end_matches(is_space) == "*" {
            if prev.is_empty() {
                return Err(line.error(
                    start,
                    "'*' repeats the previous line, but no line of bytes comes before it".into(),
                ));
            }
            star = Some((line, start));
            continue;
        }
        let digits = hex_run(line.rest(start));
        let token = line.rest(start).get(..digits).unwrap_or_default();
        let after = start + digits;
        let colon = line.char_at(after) == Some(':');
        if digits == 0 || !(colon || line.char_at(after).is_none_or(is_space)) {
            let msg =
                "expected an offset such as 00000010 at the start of the line, like the first";
            return Err(line.error(start, msg.into()));
        }
        if radix.is_none() && token.bytes().any(|b| b != b'0') {
            // od's 7-digit offsets are octal by default, decimal with -A d, hex with -A x:
            // the first one that is not zero tells which, as only one radix (or, after a
            // `*`, usually only octal) fits the bytes read so far.
            let (want, len) = (next.unwrap_or(0), prev.len() as u64);
            let fits = |r: &&u32| match u64::from_str_radix(token, **r) {
                Ok(v) if star.is_some() => v > want && (v - want) % len == 0,
                Ok(v) => v == want,
                Err(_) => false,
            };
            radix = Some(radixes.iter().find(fits).copied().unwrap_or(first_radix));
        }
        let r = radix.unwrap_or(16);
        let value = u64::from_str_radix(token, r).map_err(|_| {
            line.error(
                start,
                format!(
                    "offset '{}' is not a base-{r} number that fits in 64 bits",
                    quote(token)
                ),
            )
        })?;
        let expected = next.unwrap_or(value);
        first.get_or_insert(value);
        if let Some((star_line, star_at)) = star.take() {
            let len = prev.len() as u64;
            let fill = value
                .checked_sub(expected)
                .filter(|&f| f > 0 && f % len == 0)
                .ok_or_else(|| {
                    let expected = format_offset(expected, r, token.len());
                    let msg = format!(
                        "after '*', offset {token} should be {expected} plus a whole number \
                         of {len}-byte lines"
                    );
                    line.error(start, msg)
                })?;
            repeated = repeated.saturating_add(fill);
            // A few bytes of '*' can claim gigabytes, and every two bytes of
            // zeros is a frame to annotate: the expansion is bounded by the
            // size of the dump itself as well as by a fixed limit.
            let limit =
                MAX_REPEAT.min(MIN_REPEAT_LIMIT.max(REPEAT_PER_INPUT_BYTE * text.len() as u64));
            if repeated > limit {
                let msg = format!(
                    "'*' would repeat {fill} bytes; a {}-byte dump may expand by at most {limit} bytes",
                    text.len()
                );
                return Err(star_line.error(star_at, msg));
            }
            // Double the copied region instead of copying one line at a time.
            let start = out.len();
            let target = start + fill as usize;
            out.extend_from_within(prev.clone());
            while out.len() < target {
                let have = out.len() - start;
                let take = have.min(target - out.len());
                out.extend_from_within(start..start + take);
            }
        } else if value != expected && value != 0 {
            let expected = format_offset(expected, r, token.len());
            let msg = format!(
                "offset {token} does not follow on from the bytes read so far (expected {expected})"
            );
            return Err(line.error(start, msg));
        }
        let before = out.len();
        read_hex_area(&line, after + usize::from(colon), colon, &mut out)?;
        if out.len() > before {
            prev = before..out.len();
        }
        next = Some(value.saturating_add((out.len() - before) as u64));
    }
    if let Some((line, at)) = star {
        return Err(line.error(
            at,
            "'*' must be followed by the offset where the repeated lines end".into(),
        ));
    }
    Ok((out, first.unwrap_or(0)))
}

/// Reads the hex part of an offset line from `at`, stopping where the ASCII column starts:
/// at `|` (hexdump -C) or `>` (od), or at a gap of two or more spaces after the first byte.
/// The ASCII column can hold anything, hex-looking text included, so it is found by this
/// gap (every tool pads short lines so the column lines up) and never by its content. The
/// one gap inside the hex part is the two spaces after the 8th byte of hexdump -C and some
/// Wireshark versions. `groups` (xxd) allows groups of several bytes, as in `8183 3d54`.
/// Returns where the ASCII column starts (or the line ends).
fn read_hex_area(
    line: &Line,
    mut at: usize,
    groups: bool,
    out: &mut Vec<u8>,
) -> Result<usize, DumpError> {
    let mut count = 0;
    loop {
        let mut gap = 0;
        while let Some(c) = line.char_at(at).filter(|&c| is_space(c)) {
            gap += if c == '\t' { 2 } else { 1 };
            at += c.len_utf8();
        }
        let Some(c) = line.char_at(at) else {
            return Ok(at);
        };
        let middle = !groups && count == 8 && gap == 2;
        if c == '|' || c == '>' || (count > 0 && gap >= 2 && !middle) {
            return Ok(at);
        }
        let rest = line.rest(at);
        let token = rest
            .get(..rest.find(is_space).unwrap_or(rest.len()))
            .unwrap_or_default();
        if let Some((i, bad)) = token.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(line.error(at + i, not_hex(bad)));
        }
        if token.len() % 2 == 1 {
            return Err(line.error(at + token.len() - 1, odd_digits(token)));
        }
        if !groups && token.len() != 2 {
            let msg = format!(
                "'{}' is a group of {} digits: plain hexdump and od print 16-bit words in \
                 machine byte order; dump again with hexdump -C, od -t x1 or xxd",
                quote(token),
                token.len()
            );
            return Err(line.error(at, msg));
        }
        push_hex(token.as_bytes(), out);
        count += token.len() / 2;
        at += token.len();
    }
}
