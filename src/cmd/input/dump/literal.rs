//! Code literals: bytes as C, C++, Go, Rust, Python, JavaScript, Java and C# write them,
//! and as browser consoles print them.
//!
//! A literal is read as its language reads it: a number without `0x` is decimal, a
//! negative one is a signed byte (two's complement), a string's escapes are bytes. Every
//! number that is not a byte value (a declared size, a console's count, a length
//! variable, a property such as `byteLength: 9`) is recognised and checked against the
//! bytes, or refused with its position; none is ever read as data.

use super::b64::parse_base64;
use super::{is_space, quote, Checked, DumpError, Literal, Spelling};

/// Reads `text` as a code literal, or returns `None` when it does not look like one (the
/// other readers then take it, as before).
pub(super) fn parse(text: &str) -> Option<Result<(Vec<u8>, Spelling), DumpError>> {
    // Dumps, plain hex and decimal start with a number, `\x`, `%` or `<Buffer`: decided
    // by the first token, without reading a megabyte of them as tokens.
    let first = match tokenize(text, 1) {
        Ok(toks) => toks.first()?.kind,
        // An unclosed string or comment: refused below when it starts like code.
        Err(_) => Kind::Word,
    };
    if !matches!(
        first,
        Kind::Word | Kind::Str { .. } | Kind::Define | Kind::Punct('(' | '&' | '{' | '[')
    ) {
        return None;
    }
    let toks = match tokenize(text, usize::MAX) {
        Ok(toks) => toks,
        // A literal that cannot even be split into tokens (an unclosed string or
        // comment) is refused only when it starts like one.
        Err(e) => return starts_like_code(text).then_some(Err(e)),
    };
    if !looks_like_literal(&toks) {
        return None;
    }
    Some(
        Parser {
            text,
            toks,
            pos: 0,
            constants: Vec::new(),
        }
        .parse(),
    )
}

/// Whether `text` starts with a word followed by code punctuation, as `unsigned char b[] =
/// {` or `bytes.fromhex('`; used only when it cannot be tokenized.
fn starts_like_code(text: &str) -> bool {
    let t = text.trim_start_matches(is_space);
    let word = t
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let first = t.chars().next();
    let code_word = word > 0 && !t.bytes().take(word).all(|b| b.is_ascii_hexdigit());
    (code_word || first == Some('"')) && t.contains(['{', '[', '(', '"', '\''])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Number,
    /// A quoted string; `bytes` when prefixed with `b` (Python, Rust).
    Str {
        bytes: bool,
    },
    Punct(char),
    /// `…` or `...`: a console's sign that it left values out.
    Ellipsis,
    /// `#define` at the start of a line.
    Define,
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    kind: Kind,
    /// Byte offset into the whole text.
    at: usize,
    text: &'a str,
    /// Whether whitespace (or a comment) comes right before it.
    spaced: bool,
}

impl Tok<'_> {
    fn is(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }

    fn word(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.text == w
    }

    /// The inside of a string token, and where it starts.
    fn body(&self) -> (&str, usize) {
        let skip = usize::from(matches!(self.kind, Kind::Str { bytes: true })) + 1;
        let body = self
            .text
            .get(skip..self.text.len().saturating_sub(1))
            .unwrap_or_default();
        (body, self.at + skip)
    }
}

/// A 1-based line and column for `at`, a byte offset into `text`.
pub(super) fn error_at(text: &str, at: usize, message: String) -> DumpError {
    let before = text.get(..at).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    DumpError {
        line: before.matches('\n').count() + 1,
        column: before.get(line_start..).unwrap_or_default().chars().count() + 1,
        offset: at,
        message,
    }
}

/// Splits `text` into at most `limit` tokens, leaving out spaces and comments.
fn tokenize(text: &str, limit: usize) -> Result<Vec<Tok<'_>>, DumpError> {
    let mut toks = Vec::new();
    let mut at = 0;
    let mut spaced = true;
    while let Some(c) = text
        .get(at..)
        .and_then(|r| r.chars().next())
        .filter(|_| toks.len() < limit)
    {
        let rest = text.get(at..).unwrap_or_default();
        if is_space(c) {
            at += c.len_utf8();
            spaced = true;
            continue;
        }
        // Only worked out for a `#`, so that long lines stay linear.
        let first_on_line = || {
            let line_start = text
                .get(..at)
                .map_or(0, |b| b.rfind('\n').map_or(0, |i| i + 1));
            text.get(line_start..at)
                .is_some_and(|b| b.chars().all(is_space))
        };
        if rest.starts_with("#define") && first_on_line() {
            // C's named constants, which sizes may use: `#define FRAME_LEN 9`.
            toks.push(Tok {
                kind: Kind::Define,
                at,
                text: "#define",
                spaced: true,
            });
            at += "#define".len();
            spaced = true;
            continue;
        }
        if c == '#' || rest.starts_with("//") {
            at += rest.find('\n').unwrap_or(rest.len());
            spaced = true;
            continue;
        }
        if rest.starts_with("/*") {
            let end = rest
                .find("*/")
                .ok_or_else(|| error_at(text, at, "comment '/*' is not closed".into()))?;
            at += end + 2;
            spaced = true;
            continue;
        }
        // A backslash at the end of a line continues it (Wireshark's "Copy as Escaped
        // String" puts one between its strings).
        if c == '\\' {
            let after = rest.get(1..).unwrap_or_default();
            let line_end = after.find('\n').unwrap_or(after.len());
            if after
                .get(..line_end)
                .unwrap_or_default()
                .chars()
                .all(is_space)
            {
                at += 1 + line_end;
                spaced = true;
                continue;
            }
        }
        let (kind, len) = if c.is_ascii_digit() {
            let n = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            (Kind::Number, n)
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let n = rest
                .char_indices()
                .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .map_or(rest.len(), |(i, _)| i);
            let word = rest.get(..n).unwrap_or_default();
            match rest.get(n..).and_then(|r| r.chars().next()) {
                Some(q @ ('"' | '\'')) if word == "b" || word == "B" => {
                    let len = string_len(text, at + n, q)?;
                    (Kind::Str { bytes: true }, n + len)
                }
                _ => (Kind::Word, n),
            }
        } else if c == '"' || c == '\'' {
            (Kind::Str { bytes: false }, string_len(text, at, c)?)
        } else if rest.starts_with("...") {
            (Kind::Ellipsis, 3)
        } else if c == '…' {
            (Kind::Ellipsis, c.len_utf8())
        } else {
            (Kind::Punct(c), c.len_utf8())
        };
        toks.push(Tok {
            kind,
            at,
            text: rest.get(..len).unwrap_or_default(),
            spaced,
        });
        at += len;
        spaced = false;
    }
    Ok(toks)
}

/// The length of the string whose opening quote `q` is at `open`, quotes included.
fn string_len(text: &str, open: usize, q: char) -> Result<usize, DumpError> {
    let body = text.get(open + 1..).unwrap_or_default();
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\n' => break,
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            _ if c == q => return Ok(i + 2),
            _ => {}
        }
    }
    Err(error_at(
        text,
        open,
        format!("string opened with {q} is not closed on its line"),
    ))
}

/// Whether the tokens are code rather than a plain hex spelling the other readers know
/// (`0x81, 0x83`, `{0x81, 0x83}`, `"\x81\x83"` stay theirs unless something only code
/// has is in them).
fn looks_like_literal(toks: &[Tok]) -> bool {
    let Some(first) = toks.first() else {
        return false;
    };
    let brackets = toks
        .iter()
        .any(|t| matches!(t.kind, Kind::Punct('{' | '[' | '(') | Kind::Str { .. }));
    match first.kind {
        Kind::Word => {
            // `dead: beef` is hex, `gYM9VCMGcBBt` base64: code has brackets or strings.
            brackets && !first.text.bytes().all(|b| b.is_ascii_hexdigit())
        }
        // `(9) [129, ...]`, as Chrome's console prints an array.
        Kind::Punct('(') => {
            matches!(toks.get(1).map(|t| t.kind), Some(Kind::Number))
                && toks.get(2).is_some_and(|t| t.is(')'))
                && toks.get(3).is_some_and(|t| t.is('['))
        }
        Kind::Punct('&') | Kind::Define => brackets,
        Kind::Str { bytes } => {
            // `b'..'` alone, `"\201\203"` or `"MDN"`: strings and nothing else. Quoted
            // hex digits without escapes, as a JSON log writes `"8183"`, stay hex.
            let strings = toks
                .iter()
                .all(|t| matches!(t.kind, Kind::Str { .. } | Kind::Punct('+' | ';')));
            let escapes = toks.iter().any(|t| t.text.contains('\\'));
            let hex = toks.iter().all(|t| {
                t.body()
                    .0
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || is_space(c))
            });
            strings && (bytes || escapes || !hex)
        }
        Kind::Punct('{' | '[') => {
            mixed_notation(toks).is_some()
                || toks.iter().enumerate().any(|(i, t)| match t.kind {
                    Kind::Number => code_number(t.text),
                    Kind::Word | Kind::Ellipsis | Kind::Str { .. } => true,
                    Kind::Punct('-') => toks
                        .get(i + 1)
                        .is_some_and(|n| n.kind == Kind::Number && !n.spaced),
                    _ => false,
                })
        }
        _ => false,
    }
}

/// In a list, the first number without `0x` when others have it (`{0x81, 0x83, 61}`):
/// code reads it as decimal, a hex dump as hex.
fn mixed_notation<'a>(toks: &[Tok<'a>]) -> Option<Tok<'a>> {
    let list = toks
        .iter()
        .position(|t| t.is(']') || t.is('}'))
        .map_or(toks, |end| toks.get(..end).unwrap_or(toks));
    let numbers = || list.iter().filter(|t| t.kind == Kind::Number);
    let prefixed = |t: &&Tok| {
        t.text
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("0x"))
    };
    if !numbers().any(|t| prefixed(&t)) {
        return None;
    }
    numbers().find(|t| !prefixed(t)).copied()
}

/// A number only code writes: a type suffix (`0x81u8`), `0b`/`0o`, or `_` in it.
fn code_number(s: &str) -> bool {
    split_number(s).is_some_and(|(radix, _, suffix)| {
        !suffix.is_empty() || radix == 2 || (radix == 8 && s.len() > 1) || s.contains('_')
    })
}

/// A number token's radix, digits and type suffix (`0x81u8`: 16, `81`, `u8`), with `_`
/// left out; `None` when it is not a number code writes (`3d` is hex, not a number).
fn split_number(s: &str) -> Option<(u32, String, String)> {
    let lower: String = s
        .chars()
        .filter(|&c| c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else {
        (10, lower.as_str())
    };
    let n = digits.chars().take_while(|c| c.is_digit(radix)).count();
    let (digits, suffix) = digits.split_at(n);
    let suffix_ok = matches!(
        suffix,
        "" | "u8"
            | "i8"
            | "u16"
            | "i16"
            | "u32"
            | "i32"
            | "u64"
            | "i64"
            | "usize"
            | "isize"
            | "u"
            | "l"
            | "ul"
            | "lu"
            | "ll"
            | "ull"
            | "llu"
    );
    (!digits.is_empty() && suffix_ok).then(|| (radix, digits.to_string(), suffix.to_string()))
}

/// What is recognised around the bytes of one literal.
#[derive(Default)]
struct Head<'a> {
    words: Vec<Tok<'a>>,
    /// A declared size: C's `[9]`, Rust's `[u8; 9]`, C++'s `std::array<uint8_t, 9>`.
    size: Option<(u64, Tok<'a>)>,
    /// A count printed before the values: Chrome's `(9)`, `Uint8Array(9)`.
    count: Option<(u64, Tok<'a>)>,
    /// `[]byte` or `[]uint8` (Go).
    go: bool,
    /// `[u8; N]` or `&[` (Rust).
    rust: bool,
    /// Calls still open around the bytes: `bytes(`, `Buffer.from(`.
    open: Vec<Tok<'a>>,
    /// The word before the first `:`, the name in `let b: [u8; 9]` or `const N: usize`.
    before_colon: Option<Tok<'a>>,
}

impl<'a> Head<'a> {
    fn has(&self, w: &str) -> bool {
        self.words.iter().any(|t| t.text == w)
    }

    /// The variable's name: the last word before `=`, when there is one.
    fn name(&self) -> Option<&'a str> {
        self.before_colon
            .or(self.words.last().copied())
            .map(|t| t.text)
    }
}

/// One literal read: what it was and how many bytes it gave.
struct Piece<'a> {
    kind: Literal,
    len: usize,
    name: Option<&'a str>,
    at: usize,
    /// How many literals it joined: adjacent strings count one each.
    parts: usize,
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Tok<'a>>,
    pos: usize,
    /// Named numbers seen so far, for sizes such as `b[FRAME_LEN]`.
    constants: Vec<Constant<'a>>,
}

/// A named number: `#define FRAME_LEN 9`, `const N: usize = 9;`.
struct Constant<'a> {
    name: &'a str,
    value: u64,
    at: usize,
    /// Whether a size used it (one that none uses is refused, like any lone number).
    used: bool,
}

/// Element types that appear inside `[...]` and `<...>` of a declaration, as in Rust's
/// `&[u8]`; any other word there is a size by name.
const TYPE_WORDS: &[&str] = &[
    "u8", "i8", "byte", "sbyte", "uint8", "int8", "uint8_t", "int8_t", "u_char", "char",
    "unsigned", "signed", "UInt8", "Int8", "Byte", "SByte",
];

/// Whether a variable's name says it holds a length: `b_len`, `frameLength`, `SIZE`.
fn ident_like_length(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["len", "length", "size", "count"]
        .iter()
        .any(|s| n.ends_with(s))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<Tok<'a>> {
        self.toks.get(self.pos + n).copied()
    }

    fn err(&self, at: usize, message: String) -> DumpError {
        error_at(self.text, at, message)
    }

    fn end(&self) -> usize {
        self.text.len()
    }

    fn unexpected(&self, t: Option<Tok>, expected: &str) -> DumpError {
        match t {
            Some(t) => self.err(
                t.at,
                format!("unexpected '{}': expected {expected}", quote(t.text)),
            ),
            None => self.err(self.end(), format!("the input ends: expected {expected}")),
        }
    }

    fn parse(mut self) -> Result<(Vec<u8>, Spelling), DumpError> {
        let mut out = Vec::new();
        let mut pieces: Vec<Piece> = Vec::new();
        let mut checked = Checked::None;
        let mut signed = false;
        while let Some(t) = self.peek() {
            if t.is(';') || t.is(',') {
                self.pos += 1;
                continue;
            }
            if t.kind == Kind::Define {
                self.define(t)?;
                continue;
            }
            let before = out.len();
            match self.item(&mut out, &mut signed, &pieces)? {
                Item::Bytes(piece, check) => {
                    if check != Checked::None {
                        checked = check;
                    }
                    if let (Some(prev), Some(name)) = (pieces.last(), piece.name) {
                        check_peers(&self, prev, name, piece.at)?;
                    }
                    pieces.push(Piece {
                        len: out.len() - before,
                        ..piece
                    });
                }
                Item::Length(n) => checked = Checked::LengthVar(n),
                Item::Derived | Item::Constant => {}
            }
        }
        for c in self.constants.iter().filter(|c| !c.used) {
            if !ident_like_length(c.name) {
                return Err(self.err(
                    c.at,
                    format!(
                        "'{}' is a number, not bytes, and no array's size uses it: leave \
                         it out",
                        quote(c.name)
                    ),
                ));
            }
            if c.value != out.len() as u64 {
                return Err(self.err(
                    c.at,
                    format!(
                        "{} is {}, but the bytes are {}: they were cut short or edited, or \
                         it is another array's length",
                        quote(c.name),
                        c.value,
                        out.len()
                    ),
                ));
            }
            checked = Checked::LengthVar(c.value);
        }
        let Some(first) = pieces.first() else {
            return Err(self.err(0, "no bytes in this code: only a length".into()));
        };
        let kind = if signed && first.kind == Literal::ByteArray {
            Literal::JavaBytes
        } else {
            first.kind
        };
        if let Some(other) = pieces.iter().find(|p| p.kind != first.kind) {
            return Err(self.err(
                other.at,
                format!(
                    "{} after {}: paste one kind of literal at a time",
                    other.kind.name(),
                    first.kind.name()
                ),
            ));
        }
        Ok((
            out,
            Spelling::Literal {
                kind,
                parts: u16::try_from(pieces.iter().map(|p| p.parts).sum::<usize>())
                    .unwrap_or(u16::MAX),
                signed,
                checked,
            },
        ))
    }

    /// One statement: a literal with what is around it, or a length variable.
    fn item(
        &mut self,
        out: &mut Vec<u8>,
        signed: &mut bool,
        pieces: &[Piece],
    ) -> Result<Item<'a>, DumpError> {
        let start = self.peek().map_or(self.end(), |t| t.at);
        let mut head = Head::default();
        let mut prev: Option<Tok> = None;
        loop {
            let Some(t) = self.peek() else {
                return Err(self.unexpected(None, "the bytes: a list in {} or [], or a string"));
            };
            match t.kind {
                Kind::Word if self.derived_length(prev, t) => {
                    // `b_len = sizeof(b)`, `n = b.length`: a length taken from the bytes.
                    while self.peek().is_some_and(|n| !n.is(';')) {
                        self.pos += 1;
                    }
                    self.pos += 1;
                    return Ok(Item::Derived);
                }
                Kind::Word => {
                    if let Some(k) = wide_array(t.text) {
                        return Err(self.err(
                            t.at,
                            format!("a {} holds {k}-bit values, not bytes", t.text),
                        ));
                    }
                    head.words.push(t);
                    self.pos += 1;
                }
                Kind::Punct('[') if self.type_group(prev, t) => {
                    self.type_group_into(&mut head)?;
                }
                Kind::Punct('<') if !head.words.is_empty() => self.generic(&mut head)?,
                Kind::Punct('(') => {
                    let count = matches!(self.peek_at(1).map(|t| t.kind), Some(Kind::Number))
                        && self.peek_at(2).is_some_and(|t| t.is(')'))
                        && self.peek_at(3).is_some_and(|t| t.is('['));
                    // Values right inside a call: `byteArrayOf(-127, 61)`,
                    // `Uint8Array.of(129, 131)`, Python's `bytes((129, 131))`.
                    let cast = self.peek_at(1).is_some_and(|n| n.is('('))
                        && self.peek_at(2).is_some_and(|n| n.kind == Kind::Word)
                        && self.peek_at(3).is_some_and(|n| n.is(')'));
                    // Only calls that take the values themselves: `new Uint8Array(9)`
                    // and `Buffer.alloc(9)` take a length.
                    let takes_values = prev.is_some_and(|p| {
                        p.is('(') || p.word("byteArrayOf") || p.word("ubyteArrayOf") || p.word("of")
                    });
                    let values = takes_values
                        && (cast
                            || self
                                .peek_at(1)
                                .is_some_and(|n| n.kind == Kind::Number || n.is('-')));
                    if count {
                        let n = self.peek_at(1).unwrap_or(t);
                        head.count = Some((self.count_value(n)?, n));
                        self.pos += 3;
                    } else if values {
                        break;
                    } else {
                        head.open.push(t);
                        self.pos += 1;
                    }
                }
                Kind::Punct(':') if head.before_colon.is_none() && !head.words.is_empty() => {
                    head.before_colon = head.words.last().copied();
                    self.pos += 1;
                }
                Kind::Punct('=' | ':' | '*' | '&' | '!' | '.' | '-' | '>') => {
                    head.rust |= t.is('&')
                        && self
                            .peek_at(1)
                            .is_some_and(|n| n.is('[') || n.kind == (Kind::Str { bytes: true }));
                    self.pos += 1;
                }
                Kind::Number if prev.is_some_and(|p| p.is('=')) => {
                    return self.length_statement(&head, t, pieces);
                }
                Kind::Number => {
                    return Err(self.err(
                        t.at,
                        format!(
                            "'{}' is a number where the bytes should start: a size or a \
                             count, perhaps; paste the literal itself",
                            quote(t.text)
                        ),
                    ))
                }
                // Python's `array('B', [...])`: the type code comes first.
                Kind::Str { bytes: false }
                    if head.has("array") && self.peek_at(1).is_some_and(|n| n.is(',')) =>
                {
                    let code = t.body().0;
                    if code != "B" && code != "b" {
                        return Err(self.err(
                            t.at,
                            format!(
                                "array type code '{}' is not bytes ('B', or 'b' signed)",
                                quote(code)
                            ),
                        ));
                    }
                    self.pos += 2;
                }
                Kind::Punct('{' | '[') | Kind::Str { .. } => break,
                _ => return Err(self.unexpected(Some(t), "a literal of bytes")),
            }
            prev = Some(t);
        }
        let payload = self
            .peek()
            .ok_or_else(|| self.unexpected(None, "the bytes"))?;
        let bare = head.words.is_empty() && head.open.is_empty() && head.count.is_none();
        if bare && (payload.is('{') || payload.is('[')) {
            if let Some(t) = mixed_notation(self.toks.get(self.pos..).unwrap_or_default()) {
                return Err(self.err(
                    t.at,
                    format!(
                        "'{}' has no 0x while other values here do: code reads it as \
                         decimal, a hex dump as hex; write every value with 0x, or paste \
                         the declaration with the list",
                        quote(t.text)
                    ),
                ));
            }
        }
        let before = out.len();
        let mut kind = kind_of(&head, payload);
        let strings = if matches!(payload.kind, Kind::Str { .. }) {
            self.strings()
        } else {
            let is_signed = self.list(out, &mut kind)?;
            *signed |= is_signed;
            Vec::new()
        };
        let encoding = self.close_calls(&head)?;
        if !strings.is_empty() {
            kind = self.read_strings(&strings, encoding, kind, out)?;
        }
        let len = out.len() - before;
        let mut checked = Checked::None;
        if let Some((n, tok)) = head.count {
            if n != len as u64 {
                return Err(self.err(
                    tok.at,
                    format!(
                        "({n}) is the count the console printed, but {len} value{} follow: \
                         some were left out or added; copy the whole array",
                        if len == 1 { "" } else { "s" }
                    ),
                ));
            }
            checked = Checked::Count(n);
        }
        if let Some((n, tok)) = head.size {
            let string_nul = !strings.is_empty() && n == len as u64 + 1;
            if n != len as u64 && !string_nul {
                let fill = if n > len as u64 {
                    format!(
                        " (the language fills the other {} with zeros)",
                        n - len as u64
                    )
                } else {
                    String::new()
                };
                return Err(self.err(
                    tok.at,
                    format!(
                        "the array is declared with {n} elements but {len} are given{fill}: \
                         make the size match, or leave it out"
                    ),
                ));
            }
            checked = Checked::Size(n);
        }
        Ok(Item::Bytes(
            Piece {
                kind,
                len,
                name: head.name(),
                at: start,
                parts: strings.len().max(1),
            },
            checked,
        ))
    }

    /// `[` right after a word, `]` or `)` (no space: `b[9]`, `byte[]`), empty (`[]byte`)
    /// or holding `;` (`[u8; 9]`) is part of a type, not a list of bytes.
    fn type_group(&self, prev: Option<Tok>, t: Tok) -> bool {
        let adjacent = !t.spaced
            && prev.is_some_and(|p| matches!(p.kind, Kind::Word | Kind::Punct(']' | ')')));
        let empty = self.peek_at(1).is_some_and(|n| n.is(']'));
        let rest = self.toks.get(self.pos..).unwrap_or_default();
        let close = rest.iter().position(|t| t.is(']'));
        let semicolon = rest
            .iter()
            .take(close.unwrap_or(rest.len()))
            .any(|t| t.is(';'));
        // Go's `[9]byte{...}` and `[...]byte{...}`: a type right after the `]`.
        let typed = close
            .and_then(|c| rest.get(c + 1))
            .is_some_and(|n| n.kind == Kind::Word && !n.spaced);
        adjacent || empty || semicolon || typed
    }

    fn type_group_into(&mut self, head: &mut Head<'a>) -> Result<(), DumpError> {
        self.pos += 1;
        let mut semicolon = false;
        let mut number = None;
        let mut named = None;
        loop {
            let t = self
                .peek()
                .ok_or_else(|| self.unexpected(None, "']' to close the '['"))?;
            self.pos += 1;
            match t.kind {
                Kind::Punct(']') => break,
                Kind::Punct(';') => semicolon = true,
                Kind::Number => number = Some(t),
                // A size by name: C's `b[FRAME_LEN]`, Rust's `[u8; N]`, Go's `[N]byte`.
                Kind::Word if semicolon || !TYPE_WORDS.contains(&t.text) => named = Some(t),
                Kind::Word | Kind::Ellipsis | Kind::Punct('*' | '+' | ':') => {}
                _ => return Err(self.unexpected(Some(t), "a size or a type in '[...]'")),
            }
        }
        head.rust |= semicolon;
        head.go |= self
            .peek()
            .is_some_and(|t| !t.spaced && (t.word("byte") || t.word("uint8")));
        if let Some(n) = number {
            head.size = Some((self.count_value(n)?, n));
        } else if let Some(n) = named {
            head.size = Some((self.named_size(n)?, n));
        }
        Ok(())
    }

    /// Whether `t` takes a length from the bytes: `sizeof(b)`, `len(b)`, `b.length`.
    fn derived_length(&self, prev: Option<Tok>, t: Tok) -> bool {
        let call = self.peek_at(1).is_some_and(|n| n.is('('));
        match t.text {
            "sizeof" => true,
            "len" => call,
            "length" | "byteLength" | "size" => prev.is_some_and(|p| p.is('.')),
            _ => false,
        }
    }

    /// `#define NAME 9`: a named number, which a size must use (or, for a length, the
    /// bytes must match); any other `#define` is passed over.
    fn define(&mut self, t: Tok<'a>) -> Result<(), DumpError> {
        let line_end = self
            .text
            .get(t.at..)
            .and_then(|r| r.find('\n'))
            .map_or(self.text.len(), |i| t.at + i);
        self.pos += 1;
        let name = self
            .peek()
            .filter(|n| n.kind == Kind::Word && n.at < line_end);
        let value = self
            .peek_at(1)
            .filter(|n| n.kind == Kind::Number && n.at < line_end);
        if let (Some(name), Some(value)) = (name, value) {
            let v = self.count_value(value)?;
            self.constants.push(Constant {
                name: name.text,
                value: v,
                at: value.at,
                used: false,
            });
        }
        while self.peek().is_some_and(|n| n.at < line_end) {
            self.pos += 1;
        }
        Ok(())
    }

    /// The value of a size written as a name, `b[FRAME_LEN]`, from a constant before it.
    fn named_size(&mut self, t: Tok) -> Result<u64, DumpError> {
        match self.constants.iter_mut().rev().find(|c| c.name == t.text) {
            Some(c) => {
                c.used = true;
                Ok(c.value)
            }
            None => Err(self.err(
                t.at,
                format!(
                    "the array's size is {}, which is not defined before it: paste its \
                     #define or const with the array, or leave the size out",
                    quote(t.text)
                ),
            )),
        }
    }

    /// `<...>` after a word (C++ `std::vector<uint8_t>`, `std::array<uint8_t, 9>`).
    fn generic(&mut self, head: &mut Head<'a>) -> Result<(), DumpError> {
        self.pos += 1;
        let mut depth = 1;
        while depth > 0 {
            let t = self
                .peek()
                .ok_or_else(|| self.unexpected(None, "'>' to close the '<'"))?;
            self.pos += 1;
            match t.kind {
                Kind::Punct('<') => depth += 1,
                Kind::Punct('>') => depth -= 1,
                Kind::Number => head.size = Some((self.count_value(t)?, t)),
                Kind::Word
                    if self
                        .toks
                        .get(self.pos.wrapping_sub(2))
                        .is_some_and(|p| p.is(',')) =>
                {
                    head.size = Some((self.named_size(t)?, t));
                }
                Kind::Word | Kind::Punct(',' | ':' | '*') => {}
                _ => return Err(self.unexpected(Some(t), "a type in '<...>'")),
            }
        }
        Ok(())
    }

    fn count_value(&self, t: Tok) -> Result<u64, DumpError> {
        let (v, _) = self.number(t, false)?;
        u64::try_from(v).map_err(|_| self.err(t.at, "a size cannot be negative".into()))
    }

    /// `NAME = 9;`: a length variable (xxd -i's `unsigned int b_len = 9;`), checked
    /// against the literal before it; any other lone number is refused.
    fn length_statement(
        &mut self,
        head: &Head<'a>,
        t: Tok,
        pieces: &[Piece],
    ) -> Result<Item<'a>, DumpError> {
        self.pos += 1;
        let name = head.name().unwrap_or_default();
        let value = self.count_value(t)?;
        if let Some(next) = self.peek().filter(|n| !n.is(';')) {
            return Err(self.unexpected(Some(next), "';' after the length"));
        }
        let prev = pieces.last().filter(|_| ident_like_length(name));
        let Some(prev) = prev else {
            // Before the bytes, or not a length by its name: a constant, which a size
            // must use (or, for a length, the bytes must match).
            self.constants.push(Constant {
                name,
                value,
                at: t.at,
                used: false,
            });
            return Ok(Item::Constant);
        };
        if value != prev.len as u64 {
            return Err(self.err(
                t.at,
                format!(
                    "{} = {value}, but the literal before it holds {} bytes: it was cut \
                     short or edited; copy it whole",
                    quote(name),
                    prev.len
                ),
            ));
        }
        Ok(Item::Length(value))
    }

    /// Reads a `{...}` or `[...]` list of byte values into `out`; returns whether a
    /// negative value or a signed cast was read.
    fn list(&mut self, out: &mut Vec<u8>, kind: &mut Literal) -> Result<bool, DumpError> {
        let open = self.peek().ok_or_else(|| self.unexpected(None, "a list"))?;
        let close = match open.kind {
            Kind::Punct('{') => '}',
            Kind::Punct('(') => ')',
            _ => ']',
        };
        self.pos += 1;
        let mut signed = false;
        let mut values = 0usize;
        let mut expect_value = true;
        loop {
            let t = self
                .peek()
                .ok_or_else(|| self.unexpected(None, &format!("'{close}' to close the list")))?;
            match t.kind {
                Kind::Punct(c) if c == close => {
                    self.pos += 1;
                    return Ok(signed);
                }
                Kind::Punct(',') if expect_value => {
                    return Err(self.err(
                        t.at,
                        "an empty element between two commas: a value is missing".into(),
                    ))
                }
                Kind::Punct(',') => {
                    self.pos += 1;
                    expect_value = true;
                }
                _ if !expect_value => {
                    return Err(self.unexpected(Some(t), &format!("',' or '{close}'")));
                }
                Kind::Ellipsis => return Err(self.truncated(t)),
                Kind::Word if self.property_follows() => {
                    self.property(t, values)?;
                    *kind = Literal::TypedArray;
                    expect_value = false;
                }
                Kind::Punct('(') => {
                    // A cast: `(byte)0x81`, `(uint8_t)129`.
                    let ty = self.peek_at(1).filter(|t| t.kind == Kind::Word);
                    let shut = self.peek_at(2).is_some_and(|t| t.is(')'));
                    let Some(ty) = ty.filter(|_| shut) else {
                        return Err(self.unexpected(Some(t), "a byte value"));
                    };
                    signed |= matches!(ty.text, "byte" | "sbyte" | "int8_t" | "i8" | "char");
                    self.pos += 3;
                }
                Kind::Punct(sign @ ('-' | '+')) => {
                    let n = self
                        .peek_at(1)
                        .filter(|n| n.kind == Kind::Number)
                        .ok_or_else(|| self.unexpected(self.peek_at(1), "a number"))?;
                    let (v, s) = self.number(n, sign == '-')?;
                    signed |= s || v < 0;
                    out.push(self.byte(v, t)?);
                    values += 1;
                    self.pos += 2;
                    signed |= self.conversion();
                    expect_value = false;
                }
                Kind::Number => {
                    let (v, s) = self.number(t, false)?;
                    self.pos += 1;
                    signed |= s | self.conversion();
                    self.pos -= 1;
                    if *kind == Literal::Array && code_number(t.text) && t.text.contains(['u', 'i'])
                    {
                        *kind = Literal::RustArray;
                    }
                    out.push(self.byte(v, t)?);
                    values += 1;
                    self.pos += 1;
                    expect_value = false;
                }
                Kind::Str { .. } => {
                    // A character literal: 'A', '\x81', b'A'.
                    let before = out.len();
                    let (body, at) = t.body();
                    unescape(self.text, body, at, StringKind::Escaped, out)?;
                    if out.len() - before != 1 {
                        return Err(self.err(
                            t.at,
                            format!(
                                "'{}' in a list must be one byte (a character literal)",
                                quote(t.text)
                            ),
                        ));
                    }
                    values += 1;
                    self.pos += 1;
                    expect_value = false;
                }
                _ => return Err(self.unexpected(Some(t), "a byte value")),
            }
        }
    }

    /// Passes over a conversion after a value, Kotlin's `0x81.toByte()`; returns whether
    /// it makes the value a signed byte.
    fn conversion(&mut self) -> bool {
        let call = self.peek().is_some_and(|t| t.is('.'))
            && self.peek_at(2).is_some_and(|t| t.is('('))
            && self.peek_at(3).is_some_and(|t| t.is(')'));
        match self.peek_at(1).filter(|_| call).map(|t| t.text) {
            Some(f @ ("toByte" | "toUByte")) => {
                self.pos += 4;
                f == "toByte"
            }
            _ => false,
        }
    }

    /// Whether a word (with a call after it, as `Symbol(Symbol.toStringTag)`) and a colon
    /// come next: a property, not a value.
    fn property_follows(&self) -> bool {
        let mut i = 1;
        if self.peek_at(1).is_some_and(|t| t.is('(')) {
            while let Some(t) = self.peek_at(i) {
                i += 1;
                if t.is(')') {
                    break;
                }
            }
        }
        self.peek_at(i).is_some_and(|t| t.is(':'))
    }

    /// A property Chrome prints after a typed array's values (`byteLength: 9`): a length
    /// is checked against the values, the others are passed over.
    fn property(&mut self, name: Tok, values: usize) -> Result<(), DumpError> {
        if !self.peek_at(1).is_some_and(|t| t.is(':')) {
            while self.peek().is_some_and(|t| !t.is(':')) {
                self.pos += 1;
            }
            self.pos += 1;
            return self.property_rest();
        }
        self.pos += 2;
        let value = self
            .peek()
            .ok_or_else(|| self.unexpected(None, "a value"))?;
        if matches!(name.text, "length" | "byteLength") {
            let n = if value.kind == Kind::Number {
                self.count_value(value)?
            } else {
                return Err(self.unexpected(Some(value), "a number"));
            };
            if n != values as u64 {
                return Err(self.err(
                    value.at,
                    format!(
                        "{}: {n} is the array's length, but {values} values come before it: \
                         copy the whole array",
                        name.text
                    ),
                ));
            }
            self.pos += 1;
            return Ok(());
        }
        self.property_rest()
    }

    /// Passes over a property's value (`buffer: ArrayBuffer(9)`, `byteOffset: 0`,
    /// `Symbol(Symbol.toStringTag): 'Uint8Array'`), up to the next comma or the end of
    /// the list.
    fn property_rest(&mut self) -> Result<(), DumpError> {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match t.kind {
                Kind::Punct('(' | '[' | '{') => depth += 1,
                Kind::Punct(')') if depth > 0 => depth -= 1,
                Kind::Punct(']' | '}') if depth == 0 => return Ok(()),
                Kind::Punct(']' | '}') => depth -= 1,
                Kind::Punct(',') if depth == 0 => return Ok(()),
                _ => {}
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn truncated(&self, t: Tok) -> DumpError {
        let more = self.peek_at(2).is_some_and(|w| w.word("more"));
        let how = if more {
            "Node printed only the first values ('... N more items')"
        } else {
            "the console printed only the first values ('…')"
        };
        self.err(
            t.at,
            format!(
                "{how}: the rest are missing; print them all, e.g. with \
                 JSON.stringify(Array.from(bytes)) or Buffer.from(bytes).toString('hex')"
            ),
        )
    }

    /// Parses a number token: its value and whether its type is signed (`i8`).
    fn number(&self, t: Tok, negative: bool) -> Result<(i64, bool), DumpError> {
        let Some((radix, digits, suffix)) = split_number(t.text) else {
            return Err(self.err(
                t.at,
                format!("'{}' is not a number a byte can be", quote(t.text)),
            ));
        };
        if radix == 10 && digits.len() > 1 && digits.starts_with('0') {
            let octal = u64::from_str_radix(&digits, 8).ok();
            let decimal = digits.parse::<u64>().ok();
            if octal != decimal {
                let octal = octal.map_or("and it is not octal".into(), |v| {
                    format!("here {v}, not {}", decimal.unwrap_or_default())
                });
                return Err(self.err(
                    t.at,
                    format!(
                        "'{}' starts with 0, which C, Java, Go and JavaScript read as octal \
                         ({octal}) and other languages refuse: write it without the \
                         leading 0, or with 0o",
                        quote(t.text)
                    ),
                ));
            }
        }
        let value = u64::from_str_radix(&digits, radix)
            .ok()
            .and_then(|v| i64::try_from(v).ok())
            .map(|v| if negative { -v } else { v })
            .unwrap_or(i64::MAX);
        Ok((value, suffix.starts_with('i')))
    }

    fn byte(&self, v: i64, t: Tok) -> Result<u8, DumpError> {
        if !(-128..=255).contains(&v) {
            let shown = if v == i64::MAX {
                "this value".to_string()
            } else {
                v.to_string()
            };
            return Err(self.err(
                t.at,
                format!(
                    "{shown} is not a byte: a byte is 0 to 255, or -128 to -1 as a signed byte"
                ),
            ));
        }
        Ok(v.rem_euclid(256) as u8)
    }

    /// Adjacent strings (`"\201" "\203"`, or joined with `+`), as C and Wireshark's "Copy
    /// as Escaped String" write a long one.
    fn strings(&mut self) -> Vec<Tok<'a>> {
        let mut strings = Vec::new();
        while let Some(t) = self.peek() {
            match t.kind {
                Kind::Str { .. } => strings.push(t),
                Kind::Punct('+') if strings.last().is_some() => {}
                _ => break,
            }
            self.pos += 1;
        }
        strings
    }

    /// Closes the calls opened before the bytes; returns a string encoding given as an
    /// argument (`Buffer.from('8183', 'hex')`).
    fn close_calls(&mut self, head: &Head) -> Result<Option<Tok<'a>>, DumpError> {
        let mut encoding = None;
        for _ in &head.open {
            if self.peek().is_some_and(|t| t.is(',')) {
                self.pos += 1;
                let enc = self
                    .peek()
                    .filter(|t| matches!(t.kind, Kind::Str { bytes: false }))
                    .ok_or_else(|| self.unexpected(self.peek(), "an encoding such as 'hex'"))?;
                encoding = Some(enc);
                self.pos += 1;
            }
            match self.peek() {
                Some(t) if t.is(')') => self.pos += 1,
                t => return Err(self.unexpected(t, "')' to close the call")),
            }
        }
        match self.peek() {
            None => {}
            Some(t) if t.is(';') || t.is(',') => self.pos += 1,
            // A next statement, as xxd -i's length line, must start on a new line.
            Some(t) if t.kind == Kind::Word && t.spaced => {}
            t => return Err(self.unexpected(t, "the end of the literal")),
        }
        Ok(encoding)
    }

    fn read_strings(
        &self,
        strings: &[Tok],
        encoding: Option<Tok>,
        kind: Literal,
        out: &mut Vec<u8>,
    ) -> Result<Literal, DumpError> {
        let enc = encoding.map(|t| (t, t.body().0.to_ascii_lowercase()));
        let (mode, kind) = match (&enc, kind) {
            (_, Literal::PythonFromHex) => (StringKind::Hex { spaces: true }, kind),
            (Some((_, e)), Literal::NodeBuffer) if e == "hex" => {
                (StringKind::Hex { spaces: false }, Literal::NodeBufferString)
            }
            (Some((_, e)), Literal::NodeBuffer) if e == "base64" || e == "base64url" => {
                (StringKind::Base64, Literal::NodeBufferString)
            }
            (Some((_, e)), Literal::NodeBuffer) if e == "latin1" || e == "binary" => {
                (StringKind::Latin1, Literal::NodeBufferString)
            }
            (Some((t, _)), _) => {
                return Err(self.err(
                    t.at,
                    format!(
                        "encoding '{}' is not one wsdbg reads here (hex, base64, latin1)",
                        quote(t.body().0)
                    ),
                ))
            }
            (None, Literal::NodeBuffer) => {
                let t = strings.first().map_or(0, |t| t.at);
                return Err(self.err(
                    t,
                    "Buffer.from(string) without an encoding holds the string's UTF-8, \
                     so each \\x80 and above becomes two bytes: add 'latin1' (or 'hex' for \
                     hex digits) as the second argument"
                        .into(),
                ));
            }
            _ => (StringKind::Escaped, kind),
        };
        for s in strings {
            let (body, at) = s.body();
            let mode = match (mode, s.kind) {
                (StringKind::Escaped, Kind::Str { bytes: true }) => StringKind::Bytes,
                (m, _) => m,
            };
            unescape(self.text, body, at, mode, out)?;
        }
        Ok(kind)
    }
}

/// Refuses arrays from two peers of Wireshark's "Follow TCP Stream" as C arrays
/// (`peer0_0`, `peer1_0`): they are two directions, not one stream of frames.
fn check_peers(p: &Parser, prev: &Piece, name: &str, at: usize) -> Result<(), DumpError> {
    let peer = |n: &str| {
        n.strip_prefix("peer")
            .and_then(|r| r.split_once('_'))
            .map(|(p, _)| p.to_string())
    };
    match (prev.name.and_then(peer), peer(name)) {
        (Some(a), Some(b)) if a != b => Err(p.err(
            at,
            format!(
                "{name} is from peer {b}, the arrays before it from peer {a}: they are two \
                 directions of the connection; decode each peer's arrays on their own"
            ),
        )),
        _ => Ok(()),
    }
}

/// What a statement was.
enum Item<'a> {
    Bytes(Piece<'a>, Checked),
    Length(u64),
    /// A length computed from the bytes (`sizeof(b)`, `b.length`): nothing to check.
    Derived,
    /// A named number (`#define N 9`, `const N: usize = 9;`), which a size may use.
    Constant,
}

/// `Uint16Array` and its kin: their values are not bytes.
fn wide_array(word: &str) -> Option<u32> {
    match word {
        "Uint16Array" | "Int16Array" => Some(16),
        "Uint32Array" | "Int32Array" | "Float32Array" => Some(32),
        "Float64Array" | "BigInt64Array" | "BigUint64Array" => Some(64),
        _ => None,
    }
}

fn kind_of(head: &Head, payload: Tok) -> Literal {
    let string = matches!(payload.kind, Kind::Str { .. });
    let bytes_prefix = matches!(payload.kind, Kind::Str { bytes: true });
    let call = !head.open.is_empty();
    if head.count.is_some() && head.words.iter().all(|w| w.text == "Array") {
        Literal::ConsoleArray
    } else if head.go {
        Literal::GoSlice
    } else if head.has("byte") || head.has("sbyte") {
        Literal::ByteArray
    } else if head.has("byteArrayOf") {
        Literal::KotlinBytes
    } else if head.has("vec") {
        Literal::RustVec
    } else if call && head.has("Buffer") {
        Literal::NodeBuffer
    } else if ["Uint8Array", "Int8Array", "Uint8ClampedArray", "Array"]
        .iter()
        .any(|w| head.has(w))
    {
        Literal::TypedArray
    } else if call && head.has("fromhex") {
        Literal::PythonFromHex
    } else if call && head.has("bytearray") {
        Literal::PythonBytearray
    } else if call && (head.has("bytes") || head.has("array")) && !string {
        Literal::PythonList
    } else if head.rust || head.has("let") || head.has("u8") {
        if bytes_prefix {
            Literal::RustByteString
        } else {
            Literal::RustArray
        }
    } else if bytes_prefix {
        Literal::PythonBytes
    } else if string {
        Literal::CString
    } else if payload.is('{') {
        Literal::CArray
    } else {
        Literal::Array
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringKind {
    /// C, Go, JavaScript and Java strings: escapes are bytes, other characters their UTF-8.
    Escaped,
    /// Python and Rust `b'...'`: escapes and printable ASCII only.
    Bytes,
    /// Node's 'latin1': each character (up to U+00FF) one byte.
    Latin1,
    /// Hex digits (`bytes.fromhex`, whose spaces between bytes are allowed; Node's 'hex',
    /// which stops at the first space).
    Hex { spaces: bool },
    /// Base64 (Node's 'base64').
    Base64,
}

/// Reads the inside of a string, which starts at byte `at` of `text`.
fn unescape(
    text: &str,
    body: &str,
    at: usize,
    kind: StringKind,
    out: &mut Vec<u8>,
) -> Result<(), DumpError> {
    let err = |i: usize, m: String| error_at(text, at + i, m);
    match kind {
        StringKind::Hex { spaces } => {
            return hex_string(body, spaces, out).map_err(|(i, m)| err(i, m))
        }
        StringKind::Base64 => {
            let bytes = parse_base64(body).map_err(|e| err(e.offset, e.message))?;
            out.extend(bytes);
            return Ok(());
        }
        _ => {}
    }
    let b = body.as_bytes();
    let mut i = 0;
    while let Some(c) = body.get(i..).and_then(|r| r.chars().next()) {
        if c != '\\' {
            match kind {
                StringKind::Bytes if !c.is_ascii() => {
                    return Err(err(
                        i,
                        format!(
                            "'{}' cannot appear in a bytes literal (only ASCII)",
                            c.escape_debug()
                        ),
                    ))
                }
                StringKind::Latin1 => {
                    let v = u8::try_from(u32::from(c)).map_err(|_| {
                        err(
                            i,
                            format!("'{}' is not a latin1 character", c.escape_debug()),
                        )
                    })?;
                    out.push(v);
                }
                _ => {
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            i += c.len_utf8();
            continue;
        }
        let (byte, len) = match b.get(i + 1) {
            Some(b'x') => {
                let n = b
                    .iter()
                    .skip(i + 2)
                    .take(2)
                    .take_while(|d| d.is_ascii_hexdigit())
                    .count();
                if n == 0 || (kind == StringKind::Bytes && n != 2) {
                    return Err(err(i, "'\\x' must be followed by two hex digits".into()));
                }
                let digits = body.get(i + 2..i + 2 + n).unwrap_or_default();
                (u8::from_str_radix(digits, 16).unwrap_or(0), 2 + n)
            }
            Some(b'0'..=b'7') => {
                let n = b
                    .iter()
                    .skip(i + 1)
                    .take(3)
                    .take_while(|d| matches!(d, b'0'..=b'7'))
                    .count();
                let digits = body.get(i + 1..i + 1 + n).unwrap_or_default();
                let v = u32::from_str_radix(digits, 8).unwrap_or(0);
                let v = u8::try_from(v)
                    .map_err(|_| err(i, "octal escape above \\377 is not a byte".into()))?;
                (v, 1 + n)
            }
            Some(&e @ (b'\\' | b'\'' | b'"' | b'?')) => (e, 2),
            Some(b'n') => (b'\n', 2),
            Some(b'r') => (b'\r', 2),
            Some(b't') => (b'\t', 2),
            Some(b'a') => (7, 2),
            Some(b'b') => (8, 2),
            Some(b'f') => (12, 2),
            Some(b'v') => (11, 2),
            Some(b'e') => (0x1b, 2),
            Some(b'u' | b'U') => {
                return Err(err(
                    i,
                    "a \\u escape is a Unicode character, not a byte: write \\x escapes".into(),
                ))
            }
            _ => {
                let e = body
                    .get(i + 1..)
                    .and_then(|r| r.chars().next())
                    .map_or(String::new(), |c| c.escape_debug().to_string());
                return Err(err(i, format!("unknown escape '\\{e}' in a string")));
            }
        };
        out.push(byte);
        i += len;
    }
    Ok(())
}

/// Hex digits in a string, two per byte.
fn hex_string(body: &str, spaces: bool, out: &mut Vec<u8>) -> Result<(), (usize, String)> {
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            if !spaces {
                return Err((
                    i,
                    "Node reads hex only up to the first character that is not a hex \
                     digit, so the bytes after this space would be lost: remove the spaces"
                        .into(),
                ));
            }
            i += 1;
            continue;
        }
        let pair = b
            .get(i..i + 2)
            .filter(|p| p.iter().all(u8::is_ascii_hexdigit));
        let Some(pair) = pair else {
            let at = if c.is_ascii_hexdigit() { i + 1 } else { i };
            return Err(match body.get(at..).and_then(|r| r.chars().next()) {
                Some(ch) if !ch.is_whitespace() => (
                    at,
                    format!(
                        "'{}' is not a hex digit (expected 0-9, a-f)",
                        ch.escape_debug()
                    ),
                ),
                _ => (i, "odd number of hex digits (each byte needs two)".into()),
            });
        };
        let s = std::str::from_utf8(pair).unwrap_or("00");
        out.push(u8::from_str_radix(s, 16).unwrap_or(0));
        i += 2;
    }
    Ok(())
}
