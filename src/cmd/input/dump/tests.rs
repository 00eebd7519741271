//! Tests of the dump reader, table-style.

use super::*;
use Format as F;
use Spelling as S;

/// How a literal of one part, with nothing checked, is spelled.
fn lit(kind: Literal) -> Spelling {
    Spelling::Literal {
        kind,
        parts: 1,
        signed: false,
        checked: Checked::None,
    }
}

const MDN: &[u8] = &[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d];
const LONG: &[u8] = b"\x81*0000  41 42 43 44  |x| 00000010: deadbeef";
const FRAME: &[u8] = b"\x81\x0800 11 22";
const WS: &[u8] = b"\x81\x1700 11 22 33 44 55 66 77";
const DIGITS: &[u8] = b"0123456789abcdef01234567";

#[track_caller]
fn ok(input: &str, format: Format, bytes: &[u8], spelling: Spelling) {
    let got = parse(input.as_bytes(), format).map_err(|e| e.to_string());
    let want = Dump {
        http_head: 0,
        http_answer: 0,
        bytes: bytes.to_vec(),
        spelling,
    };
    assert_eq!(got, Ok(want), "input {input:?}");
}

#[track_caller]
fn fail(input: &str, format: Format, (line, column): (usize, usize), message: &str) {
    let e = parse(input.as_bytes(), format).expect_err(input);
    assert_eq!((e.line, e.column), (line, column), "input {input:?}: {e}");
    assert!(e.message.contains(message), "input {input:?}: {e}");
}

/// A table of error cases, one per row: `input, format, line:column, part of the message;`.
macro_rules! errors {
    ($($input:expr, $format:ident, $line:literal : $column:literal, $message:expr;)*) => {
        $(fail($input, Format::$format, ($line, $column), $message);)*
    };
}

fn repeated() -> Vec<u8> {
    let mut v = vec![0x82, 0x7e, 0x00, 0x40];
    v.extend([0; 48]);
    v.extend(b"ABCDEFGHabcdefgh\x01\x02\x03");
    v
}

#[test]
fn plain_hex_spellings() {
    for s in [
        "81 83 3d 54 23 06 70 10 6d",
        "81 83 3D 54 23 06 70 10 6D",
        "8183 3d54 2306 7010 6d",
        "81833d5423067010 6d",
        "81833d5423067010\n6d\n",
        "0x81 0x83 0x3d 0x54 0x23 0x06 0x70 0x10 0x6d",
        "0x81,0x83,0x3d,0x54,0x23,0x06,0x70,0x10,0x6d",
        "0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d,",
        "{0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d};",
        "[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]",
        "[0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d]",
        "0X8183 0x3d542306 0x70106d",
        r"\x81\x83\x3d\x54\x23\x06\x70\x10\x6d",
        "81:83:3d:54:23:06:70:10:6d",
        "81-83-3d-54-23-06-70-10-6d",
        "%81%83%3d%54%23%06%70%10%6d",
        "<Buffer 81 83 3d 54 23 06 70 10 6d>",
        "\u{feff}81 83 3d 54\r\n23 06 70 10 6d\r\n",
        "# frame\n81 83 // FIN, text, masked, 3\n\n// mask\n3d 54 23 06\n70 10 6d # payload\n",
        "  81\t83 3d:54, 0x23 \\x06 [70 10] 6d",
    ] {
        ok(s, F::Hex, MDN, S::Hex);
        ok(s, F::Auto, MDN, S::Hex);
    }
}

#[test]
fn python_bytes_literals() {
    let bytes = lit(Literal::PythonBytes);
    ok(
        r#"b'a\'\"\\\n\r\t\0\x7F'"#,
        F::Hex,
        b"a'\"\\\n\r\t\0\x7f",
        bytes,
    );
    // With hex after it, the hex reader takes it.
    ok(r#"B"it's" 00"#, F::Hex, b"it's\0", S::Hex);
    ok(r"b'\0011\377\18'", F::Hex, b"\x011\xff\x018", bytes);
    errors! {
        r"b'\400'", Hex, 1:3, "octal escape above \\377 is not a byte";
        r"b'\q'", Hex, 1:3, "unknown escape '\\q' in a string";
        r"b'\x8'", Hex, 1:3, "'\\x' must be followed by two hex digits";
        "b'abc", Hex, 1:6, "bytes literal is not closed";
        "81 b'\u{e9}'", Hex, 1:6, "'é' cannot appear in a bytes literal";
    }
}

#[test]
fn dumps_of_the_mdn_frame() {
    for s in [
        // xxd, hexdump -C, od -A x -t x1z -v
        "00000000: 8183 3d54 2306 7010 6d                   ..=T#.p.m\n",
        "00000000  81 83 3d 54 23 06 70 10  6d                       |..=T#.p.m|\n00000009\n",
        "000000 81 83 3d 54 23 06 70 10 6d                       >..=T#.p.m<\n000009\n",
        // od -A x -t x1 (no ASCII column), od -t x1 (octal offsets)
        "000000 81 83 3d 54 23 06 70 10 6d\n000009\n",
        "0000000 81 83 3d 54 23 06 70 10 6d\n0000011\n",
        // xxd -g1 -c8, xxd -g4, xxd -u
        "00000000: 81 83 3d 54 23 06 70 10  ..=T#.p.\n00000008: 6d                       m\n",
        "00000000: 81833d54 23067010 6d                 ..=T#.p.m\n",
        "00000000: 8183 3D54 2306 7010 6D                   ..=T#.p.m\n",
        // tshark -x
        "0000  81 83 3d 54 23 06 70 10 6d                        ..=T#.p.m\n",
        // indented and after a comment, as pasted into a bug report
        "# client frame\n    00000000: 8183 3d54 2306 7010 6d                   ..=T#.p.m\n",
    ] {
        ok(s, F::Hex, MDN, S::OffsetHex { start: 0 });
        ok(s, F::Auto, MDN, S::OffsetHex { start: 0 });
    }
}

#[test]
fn real_dumps_with_hex_looking_ascii_columns() {
    let abcd = b"ab cd ef 12 34 56 78";
    for (dump, bytes) in [
        (XXD_ABCD, &abcd[..]),
        (HEXDUMP_ABCD, abcd),
        (OD_ABCD, abcd),
        (XXD_FRAME, FRAME),
        (HEXDUMP_FRAME, FRAME),
        (OD_FRAME, FRAME),
        (XXD_LONG, LONG),
        (HEXDUMP_LONG, LONG),
        (OD_LONG, LONG),
        (XXD_LONG_C32, LONG),
        (XXD_8_AFTER_16, DIGITS),
        (HEXDUMP_8_AFTER_16, DIGITS),
    ] {
        ok(dump, F::Auto, bytes, S::OffsetHex { start: 0 });
    }
}

#[test]
fn star_repeats_the_previous_line_up_to_the_next_offset() {
    let mut zeros = vec![0; 100];
    zeros.extend(b"AB");
    for (dump, bytes) in [
        (XXD_REP, repeated()),
        (HEXDUMP_REP, repeated()),
        (OD_REP, repeated()),
        (OD_OCTAL_REP, repeated()),
        (OD_DECIMAL_REP, repeated()),
        (XXD_ZEROS, zeros.clone()),
        (HEXDUMP_ZEROS, zeros.clone()),
        (OD_OCTAL_ZEROS, zeros.clone()),
        (OD_DECIMAL_ZEROS, zeros),
    ] {
        ok(dump, F::Auto, &bytes, S::OffsetHex { start: 0 });
    }
}

#[test]
fn wireshark_dumps() {
    // tshark -x: two packets, each starting again at 0000.
    let tshark = "\
0000  81 17 30 30 20 31 31 20 32 32 20 33 33 20 34 34   ..00 11 22 33 44
0010  20 35 35 20 36 36 20 37 37                         55 66 77

0000  81 83 3d 54 23 06 70 10 6d                        ..=T#.p.m
";
    ok(
        tshark,
        F::Auto,
        &[WS, MDN].concat(),
        S::OffsetHex { start: 0 },
    );
    // Copy as Hex Dump with a gap after 8 bytes, in both hex and ASCII columns.
    let copied = "\
0000   81 17 30 30 20 31 31 20  32 32 20 33 33 20 34 34   ..00 11  22 33 44
0010   20 35 35 20 36 36 20 37  37                         55 66 7 7
";
    ok(copied, F::Hex, WS, S::OffsetHex { start: 0 });
    let eight = "\
0000   30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66   0123456789abcdef
0010   30 31 32 33 34 35 36 37                            01234567
";
    ok(eight, F::Hex, DIGITS, S::OffsetHex { start: 0 });
}

#[test]
fn plain_hex_that_starts_like_an_offset_is_plain_hex() {
    ok("81833d54 23067010 6d", F::Auto, MDN, S::Hex);
    ok("00000000 81 83", F::Auto, &[0, 0, 0, 0, 0x81, 0x83], S::Hex);
    ok("0000 8183", F::Auto, &[0, 0, 0x81, 0x83], S::Hex);
    ok(
        "000000 81 83\n3d",
        F::Auto,
        &[0, 0, 0, 0x81, 0x83, 0x3d],
        S::Hex,
    );
    ok("dead: beef", F::Auto, &[0xde, 0xad, 0xbe, 0xef], S::Hex);
    // xxd -s 4 starts elsewhere than 0.
    ok(
        "00000004: 2306 7010 6d  #.p.m",
        F::Auto,
        &MDN[4..],
        S::OffsetHex { start: 4 },
    );
}

#[test]
fn decimal() {
    for s in [
        "129 131 61 84 35 6 112 16 109",
        "[129, 131, 61, 84, 35, 6, 112, 16, 109]",
        "129,131,61,84,35,6,112,16,109",
        "# comment\n129 131 61 84 35\n// more\n006 112 16 109\n",
    ] {
        ok(s, F::Dec, MDN, S::Dec);
    }
    errors! {
        "129 256 61", Dec, 1:5, "256 is not a byte (0-255)";
        "1\n2 9999999999999999999999999", Dec, 2:3, "9999999999999999…999999 is not";
        "129, 0x83", Dec, 1:7, "'x' is not a decimal digit (expected 0-9)";
        "129 -1", Dec, 1:5, "'-' is not a decimal digit";
        "129 (9) 131", Dec, 1:5, "'(9)' is a number in parentheses, as consoles print a count, not a byte";
        "(9)\n129, 131", Dec, 1:1, "'(9)' is a number in parentheses";
        "Uint16Array(2) [1, 2]", Dec, 1:1, "a Uint16Array holds 16-bit values, not bytes";
        // Decimal is never guessed: this is read as hex.
        "129 131", Auto, 1:3, "odd number of hex digits in '129'";
    }
}

#[test]
fn base64() {
    for s in ["gYM9VCMGcBBt", "gYM9\nVCMG\ncBBt\n", "  gYM9VCMGcBBt  "] {
        ok(s, F::Base64, MDN, S::Base64);
        ok(s, F::Auto, MDN, S::Base64);
    }
    // Padding optional; URL-safe alphabet; `//` is data, not a comment.
    ok("gYM9VA==", F::Base64, &MDN[..4], S::Base64);
    ok("gYM9VA", F::Base64, &MDN[..4], S::Base64);
    ok("gYM9VA==", F::Auto, &MDN[..4], S::Base64);
    ok("-_8=", F::Base64, &[0xfb, 0xff], S::Base64);
    ok("+/8", F::Auto, &[0xfb, 0xff], S::Base64);
    ok("//8=", F::Base64, &[0xff, 0xff], S::Base64);
    ok("# comment\ngYM9\n", F::Base64, &MDN[..3], S::Base64);
    // Only hex digits: Auto reads hex.
    ok("81833d54", F::Auto, &MDN[..4], S::Hex);
    errors! {
        "gYM9 VC!M", Base64, 1:8, "'!' is not a base64 character";
        "gYM9\nV", Base64, 2:1, "a lone character after the last group of 4";
        "gYM=9", Base64, 1:5, "'9' after '=' padding";
        "gYM9VA=", Base64, 1:7, "1 '=' do not pad 6 characters to a multiple of 4";
        "gY===", Base64, 1:5, "too much '=' padding";
        // Auto reports the hex error, with the base64 one as a hint.
        "gYM9V", Auto, 1:1, "'g' is not a hex digit (expected 0-9, a-f) (not base64";
    }
}

#[test]
fn raw_and_empty() {
    ok("\u{1} x", F::Raw, b"\x01 x", S::Raw);
    assert_eq!(
        parse(&[0xff, 0], F::Raw).map(|d| d.bytes),
        Ok(vec![0xff, 0])
    );
    let empty = "empty input: no bytes to decode";
    errors! {
        "", Auto, 1:1, empty;
        "", Hex, 1:1, empty;
        "", Dec, 1:1, empty;
        "", Base64, 1:1, empty;
        "", Raw, 1:1, empty;
        "  \n# nothing\n\n", Auto, 1:1, empty;
        "  \n# nothing\n\n", Dec, 1:1, empty;
        "  \n# nothing\n\n", Base64, 1:1, empty;
        "// nothing\n[]", Hex, 1:1, empty;
        "b''", Auto, 1:1, empty;
    }
}

#[test]
fn hex_errors_point_at_the_culprit() {
    let odd = "odd number of hex digits in '8183d' (each byte needs two digits)";
    let long_run = format!("{}1", "ab".repeat(100));
    errors! {
        "81 83 g3", Hex, 1:7, "'g' is not a hex digit (expected 0-9, a-f)";
        "81 83\n3d 54 2306 7010 6dz", Auto, 2:19, "'z' is not a hex digit";
        "81 83 3d 54\n8183d", Hex, 2:5, odd;
        "0x8183d", Hex, 1:7, "odd number of hex digits in '0x8183d'";
        "81 0x, 83", Hex, 1:6, "expected hex digits after '0x'";
        "%8183", Hex, 1:1, "'%' must be followed by exactly two hex digits";
        "810x83", Hex, 1:4, "'x' is not a hex digit";
        "81 818g", Hex, 1:7, "'g' is not a hex digit";
        &long_run, Hex, 1:201, "'abababababababab…babab1'";
        // Columns count characters, not bytes; quoted input is escaped.
        "é 81", Hex, 1:1, "'é' is not a hex digit";
        "81 ü\u{1b}", Hex, 1:4, "'ü' is not";
        "81 83 \u{1b}[31m", Hex, 1:7, "'\\u{1b}' is not a hex digit";
        "81\t\"\\n\"", Hex, 1:5, "'\\\\' is not a hex digit";
    }
}

#[test]
fn not_utf8() {
    let e = parse(b"81 83\n3d \xff 54", F::Hex).unwrap_err();
    assert_eq!((e.line, e.column, e.offset), (2, 4, 9));
    assert!(
        e.message.contains("0xff is not UTF-8") && e.message.contains("--raw"),
        "{e}"
    );
    let e = parse(b"\xff", F::Auto).unwrap_err();
    assert_eq!((e.line, e.column, e.offset), (1, 1, 0));
    let e = parse(b"\xc3\xa9\xc3", F::Base64).unwrap_err();
    assert_eq!((e.line, e.column, e.offset), (1, 2, 2));
}

#[test]
fn offset_errors() {
    let full = "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n";
    // A line one byte short: the next offset does not follow on.
    let short =
        "00000000  81 83 3d 54 23 06 70 10  6d 00 00 00 00 00 00     |.......|\n00000010  00\n";
    let uneven = format!("{full}*\n00000018\n");
    let huge = format!("{full}*\nffffffff0\n");
    errors! {
        short, Hex, 2:1, "offset 00000010 does not follow on from the bytes read so far (expected 0000000f)";
        "00000000: 8183\n00000004: 3d54\n", Hex, 2:1, "(expected 00000002)";
        "0000000 81 83\n0000003\n", Hex, 2:1, "offset 0000003 does not follow on";
        "00000000: 8183\n81 83\n", Hex, 2:1, "offset 81 does not follow on";
        "00000000: 8183\nxyz\n", Hex, 2:1, "expected an offset such as 00000010";
        "00000000: 81g3  ..\n", Hex, 1:13, "'g' is not a hex digit";
        "00000000: 818  ..\n", Hex, 1:13, "odd number of hex digits in '818'";
        HEXDUMP_WORDS, Auto, 1:9, "'7e82' is a group of 4 digits";
        "00000000  00 00\n*\n", Hex, 2:1, "'*' must be followed by the offset";
        "00000000:\n*\n00000010:\n", Hex, 2:1, "'*' repeats the previous line, but";
        &uneven, Hex, 3:1, "after '*', offset 00000018 should be 00000010 plus a whole";
        &huge, Hex, 2:1, "'*' would repeat 68719476704 bytes";
        "00000000: 00\n123456789abcdef012: 00\n", Hex, 2:1, "fits in 64 bits";
    }
}

#[test]
fn display_and_names() {
    let e = parse(b"81 83 3d\n81 8g", F::Hex).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2, column 5: 'g' is not a hex digit (expected 0-9, a-f)"
    );
    assert_eq!(e.offset, 13);
    let names = [
        S::Hex,
        S::OffsetHex { start: 0 },
        S::OffsetHex { start: 4 },
        S::OffsetHex { start: 0x40 },
        S::Dec,
        S::Base64,
        S::Raw,
    ]
    .map(Spelling::name);
    assert_eq!(
        names,
        [
            "hex",
            "hex dump",
            "hex dump starting at offset 0x4",
            "hex dump starting at offset 0x40 (64)",
            "decimal",
            "base64",
            "raw bytes",
        ]
    );
}

#[test]
fn no_input_panics() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    let alphabet = b"0123456789abcdefABx\\ :,*|>\n\n  =%b'\"g#/-0000\xc3\xa9\t";
    let mut pick = |n: usize| alphabet[next() % alphabet.len()] as usize % n.max(1);
    let _ = &mut pick;
    for round in 0..6000 {
        let len = next() % 80;
        let input: Vec<u8> = if round % 3 == 0 {
            (0..len).map(|_| next() as u8).collect()
        } else {
            (0..len)
                .map(|_| alphabet[next() % alphabet.len()])
                .collect()
        };
        for format in [F::Auto, F::Hex, F::Dec, F::Base64, F::Raw] {
            let _ = parse(&input, format);
        }
    }
    // Real dumps with a few characters changed.
    for round in 0..3000 {
        let dumps = [HEXDUMP_REP, XXD_LONG, OD_OCTAL_ZEROS];
        let mut input = dumps[round % dumps.len()].as_bytes().to_vec();
        for _ in 0..1 + round % 4 {
            let at = next() % input.len();
            input[at] = alphabet[next() % alphabet.len()];
        }
        let _ = parse(&input, F::Auto);
    }
}

#[test]
fn a_megabyte_of_hex_is_read_in_linear_time() {
    let spaced = "81 83 3d 54 23 06 70 10 6d\n".repeat(40_000);
    assert_eq!(
        parse(spaced.as_bytes(), F::Auto).map(|d| d.bytes.len()),
        Ok(360_000)
    );
    let one_run = "8183".repeat(250_000);
    assert_eq!(
        parse(one_run.as_bytes(), F::Hex).map(|d| d.bytes.len()),
        Ok(500_000)
    );
    let xxd: String = (0..20_000)
        .map(|i| {
            format!(
                "{:08x}: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n",
                i * 16
            )
        })
        .collect();
    assert_eq!(
        parse(xxd.as_bytes(), F::Auto).map(|d| d.bytes.len()),
        Ok(320_000)
    );
    // xxd -i of 200,000 bytes.
    let values: Vec<String> = (0..200_000).map(|i| format!("0x{:02x}", i % 256)).collect();
    let c = format!(
        "unsigned char big[] = {{\n  {}\n}};\nunsigned int big_len = 200000;\n",
        values.join(",\n  ")
    );
    assert_eq!(
        parse(c.as_bytes(), F::Auto).map(|d| d.bytes.len()),
        Ok(200_000)
    );
    // A long line that fails at its end.
    let bad = format!("{}zz", "ab ".repeat(350_000));
    assert_eq!(
        parse(bad.as_bytes(), F::Auto).map_err(|e| e.column),
        Err(1_050_001)
    );
}

// Real tool output (GNU od, util-linux hexdump, vim's xxd) for files holding:
// abcd.bin `ab cd ef 12 34 56 78`, frame.bin FRAME, long.bin LONG, rep.bin repeated(),
// z.bin 100 zeros then `AB`, e24.bin DIGITS.
// `xxd abcd.bin`
const XXD_ABCD: &str = r#"00000000: 6162 2063 6420 6566 2031 3220 3334 2035  ab cd ef 12 34 5
00000010: 3620 3738                                6 78
"#;
// `hexdump -C abcd.bin`
const HEXDUMP_ABCD: &str = r#"00000000  61 62 20 63 64 20 65 66  20 31 32 20 33 34 20 35  |ab cd ef 12 34 5|
00000010  36 20 37 38                                       |6 78|
00000014
"#;
// `od -A x -t x1z -v abcd.bin`
const OD_ABCD: &str = r#"000000 61 62 20 63 64 20 65 66 20 31 32 20 33 34 20 35  >ab cd ef 12 34 5<
000010 36 20 37 38                                      >6 78<
000014
"#;
// `xxd frame.bin`
const XXD_FRAME: &str = r#"00000000: 8108 3030 2031 3120 3232                 ..00 11 22
"#;
// `hexdump -C frame.bin`
const HEXDUMP_FRAME: &str = r#"00000000  81 08 30 30 20 31 31 20  32 32                    |..00 11 22|
0000000a
"#;
// `od -A x -t x1z -v frame.bin`
const OD_FRAME: &str = r#"000000 81 08 30 30 20 31 31 20 32 32                    >..00 11 22<
00000a
"#;
// `xxd long.bin`
const XXD_LONG: &str = r#"00000000: 812a 3030 3030 2020 3431 2034 3220 3433  .*0000  41 42 43
00000010: 2034 3420 207c 787c 2030 3030 3030 3031   44  |x| 0000001
00000020: 303a 2064 6561 6462 6565 66              0: deadbeef
"#;
// `hexdump -C long.bin`
const HEXDUMP_LONG: &str = r#"00000000  81 2a 30 30 30 30 20 20  34 31 20 34 32 20 34 33  |.*0000  41 42 43|
00000010  20 34 34 20 20 7c 78 7c  20 30 30 30 30 30 30 31  | 44  |x| 0000001|
00000020  30 3a 20 64 65 61 64 62  65 65 66                 |0: deadbeef|
0000002b
"#;
// `od -A x -t x1z -v long.bin`
const OD_LONG: &str = r#"000000 81 2a 30 30 30 30 20 20 34 31 20 34 32 20 34 33  >.*0000  41 42 43<
000010 20 34 34 20 20 7c 78 7c 20 30 30 30 30 30 30 31  > 44  |x| 0000001<
000020 30 3a 20 64 65 61 64 62 65 65 66                 >0: deadbeef<
00002b
"#;
// `xxd -c 32 long.bin`
const XXD_LONG_C32: &str = r#"00000000: 812a 3030 3030 2020 3431 2034 3220 3433 2034 3420 207c 787c 2030 3030 3030 3031  .*0000  41 42 43 44  |x| 0000001
00000020: 303a 2064 6561 6462 6565 66                                                      0: deadbeef
"#;
// `xxd rep.bin`
const XXD_REP: &str = r#"00000000: 827e 0040 0000 0000 0000 0000 0000 0000  .~.@............
00000010: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000020: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000030: 0000 0000 4142 4344 4546 4748 6162 6364  ....ABCDEFGHabcd
00000040: 6566 6768 0102 03                        efgh...
"#;
// `hexdump -C rep.bin`
const HEXDUMP_REP: &str = r#"00000000  82 7e 00 40 00 00 00 00  00 00 00 00 00 00 00 00  |.~.@............|
00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000030  00 00 00 00 41 42 43 44  45 46 47 48 61 62 63 64  |....ABCDEFGHabcd|
00000040  65 66 67 68 01 02 03                              |efgh...|
00000047
"#;
// `od -A x -t x1z rep.bin`
const OD_REP: &str = r#"000000 82 7e 00 40 00 00 00 00 00 00 00 00 00 00 00 00  >.~.@............<
000010 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  >................<
*
000030 00 00 00 00 41 42 43 44 45 46 47 48 61 62 63 64  >....ABCDEFGHabcd<
000040 65 66 67 68 01 02 03                             >efgh...<
000047
"#;
// `od -t x1 rep.bin`
const OD_OCTAL_REP: &str = r#"0000000 82 7e 00 40 00 00 00 00 00 00 00 00 00 00 00 00
0000020 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000060 00 00 00 00 41 42 43 44 45 46 47 48 61 62 63 64
0000100 65 66 67 68 01 02 03
0000107
"#;
// `od -A d -t x1 rep.bin`
const OD_DECIMAL_REP: &str = r#"0000000 82 7e 00 40 00 00 00 00 00 00 00 00 00 00 00 00
0000016 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000048 00 00 00 00 41 42 43 44 45 46 47 48 61 62 63 64
0000064 65 66 67 68 01 02 03
0000071
"#;
// `xxd -a z.bin`
const XXD_ZEROS: &str = r#"00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................
*
00000060: 0000 0000 4142                           ....AB
"#;
// `hexdump -C z.bin`
const HEXDUMP_ZEROS: &str = r#"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000060  00 00 00 00 41 42                                 |....AB|
00000066
"#;
// `hexdump rep.bin`
const HEXDUMP_WORDS: &str = r#"0000000 7e82 4000 0000 0000 0000 0000 0000 0000
0000010 0000 0000 0000 0000 0000 0000 0000 0000
*
0000030 0000 0000 4241 4443 4645 4847 6261 6463
0000040 6665 6867 0201 0003                    
0000047
"#;
// `xxd e24.bin`
const XXD_8_AFTER_16: &str = r#"00000000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef
00000010: 3031 3233 3435 3637                      01234567
"#;
// `hexdump -C e24.bin`
const HEXDUMP_8_AFTER_16: &str = r#"00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|
00000010  30 31 32 33 34 35 36 37                           |01234567|
00000018
"#;
// `od -t x1 z.bin`: the first offset that is not 0 comes after `*`.
const OD_OCTAL_ZEROS: &str = r#"0000000 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000140 00 00 00 00 41 42
0000146
"#;
// `od -A d -t x1 z.bin`
const OD_DECIMAL_ZEROS: &str = r#"0000000 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000096 00 00 00 00 41 42
0000102
"#;

#[test]
fn pasted_http_head_then_hex() {
    let text = "GET /chat HTTP/1.1\nHost: a\n\n81 83 3d 54 23 06 70 10 6d\n";
    let d = parse_with_head(text.as_bytes().to_vec(), Format::Auto).unwrap();
    let head = b"GET /chat HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(d.http_head, head.len());
    assert_eq!(&d.bytes[..head.len()], head);
    assert_eq!(&d.bytes[head.len()..], MDN);
    assert_eq!(d.spelling, Spelling::Hex);
    // A head with no empty line after it gets one.
    let d = parse_with_head(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket".to_vec(),
        Format::Auto,
    )
    .unwrap();
    assert!(d.bytes.ends_with(b"Upgrade: websocket\r\n\r\n"));
    // Errors in the dump after the head count the head's lines.
    let e =
        parse_with_head(b"GET / HTTP/1.1\nHost: a\n\n81 8g\n".to_vec(), Format::Auto).unwrap_err();
    assert_eq!((e.line, e.column), (4, 5));
    // Not HTTP: the plain parser.
    assert_eq!(
        parse_with_head(b"81 83".to_vec(), Format::Auto)
            .unwrap()
            .http_head,
        0
    );
}

#[test]
fn a_head_is_told_by_the_same_check_as_the_transcript_uses() {
    // A lowercase method is still a request line: the head is kept as
    // bytes, and validation says the method must be GET.
    let text = "get /chat HTTP/1.1\nHost: a\n\n81 83 3d 54 23 06 70 10 6d\n";
    let d = parse_with_head(text.as_bytes().to_vec(), Format::Auto).unwrap();
    let head = b"get /chat HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(d.http_head, head.len());
    assert_eq!(&d.bytes[head.len()..], MDN);
    // Dumps of frames, in any spelling, are not heads.
    for dump in [
        "81 83 3d 54 23 06 70 10 6d",
        "00000000: 8183 3d54 2306 7010 6d  ....#.p.m",
        "0000  81 83 3d 54 23 06 70 10 6d",
        "gYM9VCMGcBBt",
        "129 131 61 84 35 6 112 16 109",
    ] {
        let format = if dump.starts_with("129") {
            Format::Dec
        } else {
            Format::Auto
        };
        let d = parse_with_head(dump.as_bytes().to_vec(), format).unwrap();
        assert_eq!((d.http_head, &d.bytes[..]), (0, MDN), "{dump}");
    }
}

#[test]
fn the_transcript_finds_a_head_where_the_dump_reader_found_one() {
    // The transcript asks looks_like_head of the bytes this reader
    // returns, with CRLF line ends added; it must agree with the
    // answer given for the text.
    for text in [
        "GET /chat HTTP/1.1\nHost: a\n\n81 00",
        "get /chat HTTP/1.1\nHost: a",
        "GET /chat http/1.1\n\n81 00",
        "HTTP/1.1 101 Switching Protocols\n\n81 00",
        "\u{feff}GET / HTTP/1.1\n\n81 00",
        "A B HTTP/",
        "GET /chat HTTP/",
        "GET /chat HTTP",
        "GET /chat",
        "GET ",
        "GET /chat\n81 00",
        "81 83 3d 54 23 06 70 10 6d",
    ] {
        let Ok(d) = parse_with_head(text.as_bytes().to_vec(), Format::Auto) else {
            continue;
        };
        assert_eq!(
            d.http_head > 0,
            looks_like_head(&d.bytes).is_some(),
            "{text:?}"
        );
    }
}

#[test]
fn hex_with_a_typo_is_not_taken_for_base64() {
    for typo in ["81833d5423067010GD", "zz", "0x810x83", "81 83 zz 54"] {
        let e = parse(typo.as_bytes(), Format::Auto).unwrap_err();
        assert!(e.message.contains("hex"), "{typo}: {}", e.message);
    }
    for b64 in ["gYM9VCMGcBBt", "gYM9VCMGcBBt/w==", "AAECAw=="] {
        assert_eq!(
            parse(b64.as_bytes(), Format::Auto).unwrap().spelling,
            Spelling::Base64,
            "{b64}"
        );
    }
}

#[test]
fn decimal_without_dec_gets_a_hint() {
    let e = parse(b"129 131 61 84 35 6 112 16 109", Format::Auto).unwrap_err();
    assert!(e.message.contains("--dec"), "{}", e.message);
    let e = parse(b"81 8g", Format::Auto).unwrap_err();
    assert!(!e.message.contains("--dec"), "{}", e.message);
}

#[test]
fn star_expansion_is_bounded_by_the_dump_size() {
    // 28 bytes claiming 64 MiB of zeros (32 million empty frames).
    let e = parse(b"00000000: 00\n*\n04000000: 00\n", Format::Auto).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1));
    assert!(e.message.contains("at most 1048576 bytes"), "{}", e.message);
    // Within the bound, one-byte lines expand by doubling, to the byte.
    let d = parse(b"00000000: 41\n*\n00080000: 42\n", Format::Auto).unwrap();
    assert_eq!(d.bytes.len(), 0x80001);
    assert!(d.bytes[..0x80000].iter().all(|&b| b == 0x41));
    assert_eq!(d.bytes[0x80000], 0x42);
}

/// The MDN frame, RFC 6455 §5.7's unmasked and masked "Hello": what the dumps of
/// at40.bin (40 bytes of `x`, then these) show from offset 40.
const AT_40: &[u8] = b"\x81\x83\x3d\x54\x23\x06\x70\x10\x6d\x81\x05Hello\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";

#[test]
fn dumps_that_start_at_an_offset_are_read_by_their_offsets() {
    // Real output of each tool, for mdn.bin (the MDN frame) and at40.bin.
    let mdn_from_4 = [
        // hexdump -C -s 4 mdn.bin
        "00000004  23 06 70 10 6d                                    |#.p.m|\n00000009\n",
        // od -A x -t x1 -j 4 mdn.bin
        "000004 23 06 70 10 6d\n000009\n",
        // od -t x1 -j 4 mdn.bin (octal offsets)
        "0000004 23 06 70 10 6d\n0000011\n",
        // od -A d -t x1 -j 4 mdn.bin
        "0000004 23 06 70 10 6d\n0000009\n",
        // od -A x -t x1z -j 4 mdn.bin
        "000004 23 06 70 10 6d                                   >#.p.m<\n000009\n",
        // xxd -s 4 mdn.bin
        "00000004: 2306 7010 6d                             #.p.m\n",
    ];
    for dump in mdn_from_4 {
        ok(dump, F::Auto, &MDN[4..], S::OffsetHex { start: 4 });
        ok(dump, F::Hex, &MDN[4..], S::OffsetHex { start: 4 });
    }
    for dump in [
        // od -t x1 -j 40 at40.bin: octal offsets, told from decimal and hex by the
        // second line (0o70 - 0o50 = 16 bytes).
        "0000050 81 83 3d 54 23 06 70 10 6d 81 05 48 65 6c 6c 6f\n\
         0000070 81 85 37 fa 21 3d 7f 9f 4d 51 58\n0000103\n",
        // od -A d -t x1 -j 40 at40.bin
        "0000040 81 83 3d 54 23 06 70 10 6d 81 05 48 65 6c 6c 6f\n\
         0000056 81 85 37 fa 21 3d 7f 9f 4d 51 58\n0000067\n",
        // od -A x -t x1z -j 40 at40.bin
        "000028 81 83 3d 54 23 06 70 10 6d 81 05 48 65 6c 6c 6f  >..=T#.p.m..Hello<\n\
         000038 81 85 37 fa 21 3d 7f 9f 4d 51 58                 >..7.!=..MQX<\n000043\n",
        // hexdump -C -s 40 at40.bin
        "00000028  81 83 3d 54 23 06 70 10  6d 81 05 48 65 6c 6c 6f  |..=T#.p.m..Hello|\n\
         00000038  81 85 37 fa 21 3d 7f 9f  4d 51 58                 |..7.!=..MQX|\n00000043\n",
    ] {
        ok(dump, F::Auto, AT_40, S::OffsetHex { start: 40 });
    }
    // The lines of `tshark -x` from 0040 (a packet whose WebSocket bytes start at 0x36,
    // a 10-byte binary frame first): one line is enough, its ASCII column tells.
    let tshark = "\
0040  81 05 48 65 6c 6c 6f 81 85 37 fa 21 3d 7f 9f 4d   ..Hello..7.!=..M
0050  51 58                                             QX
";
    ok(tshark, F::Auto, &AT_40[9..], S::OffsetHex { start: 0x40 });
    let one = "0040  81 05 48 65 6c 6c 6f                              ..Hello\n";
    ok(one, F::Auto, &AT_40[9..16], S::OffsetHex { start: 0x40 });
    // One line of hexdump -C or od -t x1z, without the end offset after it.
    let hexdump = "00000004  23 06 70 10 6d                                    |#.p.m|";
    ok(hexdump, F::Auto, &MDN[4..], S::OffsetHex { start: 4 });
    let od = "000004 23 06 70 10 6d                                   >#.p.m<";
    ok(od, F::Auto, &MDN[4..], S::OffsetHex { start: 4 });
    // Without evidence either way, an offset-shaped first group is refused: it could be
    // an offset or data.
    let unconfirmed = "stands where a dump from an offset (hexdump -C -s, od -j, an excerpt) has its offset, but no line confirms one";
    errors! {
        "0040  81 83", Auto, 1:1, unconfirmed;
        "004000 81 83 3d\n", Auto, 1:1, "(00 40 00)";
        "  000004 23 06 70 10 6d", Hex, 1:3, unconfirmed;
        "00000004  23 06 70 10 6d\n3d", Auto, 1:1, unconfirmed;
    }
    // Other groups, and all-zero ones, are data as before.
    ok("81833d54 23067010 6d", F::Auto, MDN, S::Hex);
    ok("8183 3d54 2306 7010 6d", F::Auto, MDN, S::Hex);
    ok("0040 81 83", F::Auto, &[0, 0x40, 0x81, 0x83], S::Hex);
    // An offset that does not follow on is still refused at its line.
    errors! {
        "000004 23 06 70 10 6d\n000009\n000010 00\n", Auto, 3:1, "offset 000010 does not follow on";
    }
}

#[test]
fn tshark_headings_are_refused_with_what_to_paste() {
    // tshark -x on a capture: the whole packet, then the unmasked payload.
    let tshark = "\
Frame (63 bytes):
0000  20 52 45 43 56 00 20 53 45 4e 44 00 08 00 45 00    RECV. SEND...E.
0010  00 31 12 34 00 00 ff 06 92 8d 0a 01 01 01 0a 02   .1.4............
0020  02 02 13 88 1f 90 00 00 00 00 00 00 00 00 50 00   ..............P.
0030  20 00 86 cf 00 00 81 83 3d 54 23 06 70 10 6d       .......=T#.p.m
Unmasked data (3 bytes):
0000  4d 44 4e                                          MDN
";
    let excerpt: String = tshark.lines().skip(4).map(|l| format!("{l}\n")).collect();
    errors! {
        tshark, Auto, 1:1, "'Frame (63 bytes):' heads tshark's dump of a whole packet";
        &excerpt, Auto, 2:1, "'Unmasked data (3 bytes):' heads a block of bytes tshark derived";
        "  Reassembled TCP (120 bytes):\n", Hex, 1:3, "heads a block";
    }
    // Only the packet's WebSocket lines: read by their offsets.
    let first: String = excerpt.lines().take(1).map(|l| format!("{l}\n")).collect();
    ok(
        &first,
        F::Auto,
        b"\x20\x00\x86\xcf\x00\x00\x81\x83\x3d\x54\x23\x06\x70\x10\x6d",
        S::OffsetHex { start: 0x30 },
    );
}

fn literal(kind: Literal, checked: Checked, parts: u16, signed: bool) -> Spelling {
    Spelling::Literal {
        kind,
        parts,
        signed,
        checked,
    }
}

/// `xxd -i mdn.bin`, as xxd 2022-01-14 writes it.
const XXD_I: &str = "unsigned char mdn_bin[] = {
  0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d
};
unsigned int mdn_bin_len = 9;
";

/// `xxd -i -C mdn.bin`.
const XXD_I_CAPS: &str = "unsigned char MDN_BIN[] = {
  0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d
};
unsigned int MDN_BIN_LEN = 9;
";

#[test]
fn code_literals_of_the_mdn_frame() {
    use Checked as C;
    use Literal as L;
    let cases: &[(&str, Spelling)] = &[
        // C and C++: xxd -i, Wireshark's "Copy as C Array", hand-written.
        (XXD_I, literal(L::CArray, C::LengthVar(9), 1, false)),
        (XXD_I_CAPS, literal(L::CArray, C::LengthVar(9), 1, false)),
        (
            "unsigned char bytes[] = {0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d};",
            lit(L::CArray),
        ),
        (
            "uint8_t frame[9] = {0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d};",
            literal(L::CArray, C::Size(9), 1, false),
        ),
        (
            "static const u_char f[] = { 129, 131, 61, 84, 35, 6, 112, 16, 109 }; // MDN",
            lit(L::CArray),
        ),
        (
            "std::vector<uint8_t> v{0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d};",
            lit(L::CArray),
        ),
        (
            "std::array<uint8_t, 9> a = {0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d};",
            literal(L::CArray, C::Size(9), 1, false),
        ),
        // Wireshark's "Follow TCP Stream" as C arrays: two packets of one peer.
        (
            "char peer0_0[] = { /* Packet 4 */\n0x81, 0x83, 0x3d, 0x54 };\n\
             char peer0_1[] = { /* Packet 6 */\n0x23, 0x06, 0x70, 0x10, 0x6d };\n",
            literal(L::CArray, C::None, 2, false),
        ),
        // C strings: Wireshark's "Copy as C String" (octal), "as Escaped String" (lines of
        // \x escapes joined by a backslash), a declaration.
        (r#""\201\203=T#\006p\020m""#, lit(L::CString)),
        // A string without escapes is text, unless it is all hex digits.
        (
            r#""\x81\x83" "=T#" "\x06p\x10m""#,
            literal(L::CString, C::None, 3, false),
        ),
        (
            "\"\\x81\\x83\\x3d\\x54\" \\\n\"\\x23\\x06\\x70\\x10\\x6d\"\n",
            literal(L::CString, C::None, 2, false),
        ),
        (
            r#""\x81\x83\x3d\x54" "\x23\x06\x70\x10\x6d""#,
            literal(L::CString, C::None, 2, false),
        ),
        (
            r#"const char frame[10] = "\x81\x83=T#\x06p\x10m";"#,
            literal(L::CString, C::Size(10), 1, false),
        ),
        // Go: Wireshark's "Copy as Go literal" (single digits as 0x6), a declaration.
        (
            "[]byte{0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d}",
            lit(L::GoSlice),
        ),
        (
            "frame := []byte{129, 131, 61, 84, 35, 6, 112, 16, 109}",
            lit(L::GoSlice),
        ),
        (
            "[9]byte{0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d}",
            literal(L::GoSlice, C::Size(9), 1, false),
        ),
        (
            "var frame = [...]byte{0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d}",
            lit(L::GoSlice),
        ),
        // Python.
        (r"b'\x81\x83=T#\x06p\x10m'", lit(L::PythonBytes)),
        (r"frame = b'\x81\x83=T#\x06p\x10m'", lit(L::PythonBytes)),
        (
            r"bytearray(b'\x81\x83=T#\x06p\x10m')",
            lit(L::PythonBytearray),
        ),
        (
            "bytes([129, 131, 61, 84, 35, 6, 112, 16, 109])",
            lit(L::PythonList),
        ),
        (
            "bytes.fromhex('81 83 3d 54 23 06 70 10 6d')",
            lit(L::PythonFromHex),
        ),
        (
            "array('B', [129, 131, 61, 84, 35, 6, 112, 16, 109])",
            lit(L::PythonList),
        ),
        // Node's console.log of an Int8Array.
        (
            "Int8Array(9) [\n  -127, -125,  61, 84,\n    35,    6, 112, 16,\n   109\n]\n",
            literal(L::TypedArray, C::Count(9), 1, true),
        ),
        // Java's Arrays.toString.
        (
            "[-127, -125, 61, 84, 35, 6, 112, 16, 109]",
            literal(L::Array, C::None, 1, true),
        ),
        (
            "bytearray.fromhex(\"81833d54230670106d\")",
            lit(L::PythonFromHex),
        ),
        // Rust.
        (
            "vec![0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]",
            lit(L::RustVec),
        ),
        (
            "[0x81u8, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]",
            lit(L::RustArray),
        ),
        (
            "let frame: [u8; 9] = [0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d];",
            literal(L::RustArray, C::Size(9), 1, false),
        ),
        (
            "&[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]",
            lit(L::RustArray),
        ),
        (
            r#"b"\x81\x83\x3d\x54\x23\x06\x70\x10\x6d""#,
            lit(L::PythonBytes),
        ),
        (
            r#"let frame = b"\x81\x83=T#\x06p\x10m";"#,
            lit(L::RustByteString),
        ),
        // Node and browsers.
        (
            "Buffer.from([0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d])",
            lit(L::NodeBuffer),
        ),
        (
            "Buffer.from('81833d54230670106d', 'hex')",
            lit(L::NodeBufferString),
        ),
        (
            "Buffer.from('gYM9VCMGcBBt', 'base64')",
            lit(L::NodeBufferString),
        ),
        (
            r"Buffer.from('\x81\x83=T#\x06p\x10m', 'latin1')",
            lit(L::NodeBufferString),
        ),
        (
            "new Uint8Array([129, 131, 61, 84, 35, 6, 112, 16, 109])",
            lit(L::TypedArray),
        ),
        (
            "Uint8Array(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]",
            literal(L::TypedArray, C::Count(9), 1, false),
        ),
        // Node's console.log of a Uint8Array.
        (
            "Uint8Array(9) [\n  129, 131, 61, 84,\n  35, 6, 112, 16,\n  109\n]\n",
            literal(L::TypedArray, C::Count(9), 1, false),
        ),
        // Chrome's console, a typed array with its properties.
        (
            "Uint8Array(9) [129, 131, 61, 84, 35, 6, 112, 16, 109, buffer: ArrayBuffer(9), \
             byteLength: 9, byteOffset: 0, length: 9, Symbol(Symbol.toStringTag): 'Uint8Array']",
            literal(L::TypedArray, C::Count(9), 1, false),
        ),
        // Chrome's and Firefox's console, a plain array.
        (
            "(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]",
            literal(L::ConsoleArray, C::Count(9), 1, false),
        ),
        (
            "Array(9) [ 129, 131, 61, 84, 35, 6, 112, 16, 109 ]",
            literal(L::ConsoleArray, C::Count(9), 1, false),
        ),
        // Java's signed bytes, and C# (MDN's guide is in C#).
        (
            "new byte[]{(byte)0x81, -125, 61, 84, 35, 6, 112, 16, 109}",
            literal(L::JavaBytes, C::None, 1, true),
        ),
        (
            "byte[] frame = {(byte) 0x81, (byte) 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d};",
            literal(L::JavaBytes, C::None, 1, true),
        ),
        (
            "byte[] frame = {-127, -125, 61, 84, 35, 6, 112, 16, 109};",
            literal(L::JavaBytes, C::None, 1, true),
        ),
        (
            "new byte[] { 129, 131, 61, 84, 35, 6, 112, 16, 109 }",
            lit(L::ByteArray),
        ),
        (
            "byte[] frame = new byte[] { 0x81, 0x83, 0x3D, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6D };",
            lit(L::ByteArray),
        ),
        // Kotlin, and values right inside a call.
        (
            "byteArrayOf(0x81.toByte(), 0x83.toByte(), 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d)",
            literal(L::KotlinBytes, C::None, 1, true),
        ),
        (
            "val frame = byteArrayOf(-127, -125, 61, 84, 35, 6, 112, 16, 109)",
            literal(L::KotlinBytes, C::None, 1, true),
        ),
        (
            "Uint8Array.of(129, 131, 61, 84, 35, 6, 112, 16, 109)",
            lit(L::TypedArray),
        ),
        (
            "bytes((129, 131, 61, 84, 35, 6, 112, 16, 109))",
            lit(L::PythonList),
        ),
        // Signed in C too.
        (
            "signed char f[] = {-127, -125, 61, 84, 35, 6, 112, 16, 109};",
            literal(L::CArray, C::None, 1, true),
        ),
    ];
    for (input, spelling) in cases {
        ok(input, F::Auto, MDN, *spelling);
        ok(input, F::Hex, MDN, *spelling);
    }
    // --dec takes code too: its numbers say how they are written.
    ok(
        "(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]",
        F::Dec,
        MDN,
        literal(L::ConsoleArray, C::Count(9), 1, false),
    );
    ok(
        XXD_I,
        F::Dec,
        MDN,
        literal(L::CArray, C::LengthVar(9), 1, false),
    );
}

#[test]
fn code_literals_of_the_rfc_examples() {
    use Literal as L;
    // RFC 6455 §5.7: unmasked and masked "Hello", fragmented "Hel" "lo", a ping.
    let hello = b"\x81\x05Hello";
    let masked = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    let fragments = b"\x01\x03Hel\x80\x02lo";
    let ping = b"\x89\x05Hello";
    ok(r#""\x81\x05Hello""#, F::Auto, hello, lit(L::CString));
    ok(r#""\201\005Hello""#, F::Auto, hello, lit(L::CString));
    ok(
        "[]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}",
        F::Auto,
        masked,
        lit(L::GoSlice),
    );
    ok(
        "new byte[]{(byte)0x81, (byte)0x85, 0x37, (byte)0xfa, 0x21, 0x3d, 0x7f, (byte)0x9f, 0x4d, 0x51, 0x58}",
        F::Auto,
        masked,
        literal(L::JavaBytes, Checked::None, 1, true),
    );
    ok(
        "new byte[]{-127, -123, 55, -6, 33, 61, 127, -97, 77, 81, 88}",
        F::Auto,
        masked,
        literal(L::JavaBytes, Checked::None, 1, true),
    );
    ok(
        "vec![0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']",
        F::Auto,
        fragments,
        lit(L::RustVec),
    );
    ok(
        "{0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02, 'l', 'o'}",
        F::Auto,
        fragments,
        lit(L::CArray),
    );
    ok(r"b'\x89\x05Hello'", F::Auto, ping, lit(L::PythonBytes));
    // A string of text is its bytes; quoted hex digits stay hex, as a JSON log quotes them.
    ok(
        r#""\x89\x05" "Hello""#,
        F::Auto,
        ping,
        literal(L::CString, Checked::None, 2, false),
    );
    ok("\"Hello\"", F::Auto, b"Hello", lit(L::CString));
    ok("\"8905\"", F::Auto, &ping[..2], S::Hex);
    ok(
        "(7) [137, 5, 72, 101, 108, 108, 111]",
        F::Auto,
        ping,
        literal(L::ConsoleArray, Checked::Count(7), 1, false),
    );
}

#[test]
fn numbers_around_the_bytes_are_checked_never_read() {
    let xxd_wrong_len = XXD_I.replace("= 9;", "= 12;");
    let nine = "0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d";
    let c16 = format!("unsigned char b[16] = {{{nine}}};");
    let c4 = format!("unsigned char b[4] = {{{nine}}};");
    let rust8 = format!("let b: [u8; 8] = [{nine}];");
    let other = format!("unsigned char b[] = {{{nine}}};\nint x = 5;");
    let before = format!("int b_len = 8;\nunsigned char b[] = {{{nine}}};");
    let define12 = format!("#define FRAME_LEN 12\nunsigned char b[FRAME_LEN] = {{{nine}}};");
    let undefined = format!("unsigned char b[N] = {{{nine}}};");
    // Named sizes and lengths that agree, and lengths taken from the bytes.
    let agree = [
        (
            format!("#include <stdint.h>\n#define N 9\nuint8_t b[N] = {{{nine}}};"),
            Checked::Size(9),
        ),
        (
            format!("#define FRAME_LEN 9\nuint8_t b[] = {{{nine}}};"),
            Checked::LengthVar(9),
        ),
        (
            format!("const N: usize = 9;\nlet b: [u8; N] = [{nine}];"),
            Checked::Size(9),
        ),
        (
            format!("uint8_t b[] = {{{nine}}};\nconst size_t b_len = sizeof(b);"),
            Checked::None,
        ),
        (
            format!("const b = new Uint8Array([{nine}]);\nconst n = b.length;"),
            Checked::None,
        ),
    ];
    for (input, checked) in agree {
        let d = parse(input.as_bytes(), F::Auto).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(d.bytes, MDN, "{input}");
        let Spelling::Literal { checked: got, .. } = d.spelling else {
            panic!("{input}: {:?}", d.spelling);
        };
        assert_eq!(got, checked, "{input}");
    }
    errors! {
        // Chrome's count, a declared size, xxd -i's length: checked against the values.
        "(10) [129, 131, 61, 84, 35, 6, 112, 16, 109]", Auto, 1:2,
            "(10) is the count the console printed, but 9 values follow";
        "Uint8Array(8) [129, 131, 61, 84, 35, 6, 112, 16, 109]", Auto, 1:12,
            "(8) is the count the console printed, but 9 values follow";
        &c16, Auto, 1:17, "declared with 16 elements but 9 are given (the language fills the other 7 with zeros)";
        &c4, Auto, 1:17, "declared with 4 elements but 9 are given: make the size match";
        &rust8, Auto, 1:13, "declared with 8 elements but 9";
        &xxd_wrong_len, Auto, 4:28, "mdn_bin_len = 12, but the literal before it holds 9 bytes";
        &other, Auto, 2:9, "'x' is a number, not bytes, and no array's size uses it";
        &before, Auto, 1:13, "b_len is 8, but the bytes are 9";
        &define12, Auto, 2:17, "declared with 12 elements but 9 are given (the language fills the other 3 with zeros)";
        &undefined, Auto, 1:17, "the array's size is N, which is not defined before it";
        "Uint8Array(9) [129, 131, 61, 84, 35, 6, 112, 16, 109, byteLength: 10]", Auto, 1:67,
            "byteLength: 10 is the array's length, but 9 values come before it";
        // Values that are not bytes.
        "new byte[]{129, 256}", Auto, 1:17, "256 is not a byte: a byte is 0 to 255, or -128 to -1";
        "new byte[]{-129, 1}", Auto, 1:12, "-129 is not a byte";
        "vec![0x81, 0x100]", Auto, 1:12, "256 is not a byte";
        "vec![0x81, 99999999999999999999999]", Auto, 1:12, "this value is not a byte";
        "unsigned char b[] = {0x81, 010};", Auto, 1:28, "'010' starts with 0, which C, Java, Go and JavaScript read as octal (here 8, not 10)";
        "unsigned char b[] = {0x81, 09};", Auto, 1:28, "(and it is not octal)";
        "vec![0x81, 0x8g]", Auto, 1:12, "'0x8g' is not a number a byte can be";
        "Uint16Array(2) [1, 2]", Auto, 1:1, "a Uint16Array holds 16-bit values, not bytes";
        "array('H', [1, 2])", Auto, 1:7, "array type code 'H' is not bytes";
        "vec!['ab']", Auto, 1:6, "'\\'ab\\'' in a list must be one byte";
        // A list with and without 0x: decimal in code, hex in a dump.
        "{0x81, 0x83, 61}", Auto, 1:14, "'61' has no 0x while other values here do";
        "[0x81, 0x83, 3d, 54]", Auto, 1:14, "'3d' has no 0x";
        // Consoles that left values out.
        "(200) [129, 131, 61, …]", Auto, 1:22, "the console printed only the first values ('…')";
        "[\n  129, 131,\n  ... 98 more items\n]", Auto, 3:3, "Node printed only the first values ('... N more items')";
        "<Buffer 81 83 3d 54 ... 43 more bytes>", Auto, 1:21, "Node printed only the first 50 bytes";
        // Strings.
        "Buffer.from('81 83', 'hex')", Auto, 1:16, "Node reads hex only up to the first character that is not a hex digit";
        "Buffer.from('\\x81\\x83')", Auto, 1:13, "Buffer.from(string) without an encoding holds the string's UTF-8";
        "Buffer.from('8183', 'utf16le')", Auto, 1:21, "encoding 'utf16le' is not one wsdbg reads here";
        "bytes.fromhex('81 8')", Auto, 1:19, "odd number of hex digits";
        "bytes.fromhex('81 8g')", Auto, 1:20, "'g' is not a hex digit";
        "\"\\x81\\u00e9\"", Auto, 1:6, "a \\u escape is a Unicode character, not a byte";
        "\"\\x81\\x83", Auto, 1:1, "string opened with \" is not closed on its line";
        "b'\\x81' b'\\xq1'", Auto, 1:11, "'\\x' must be followed by two hex digits";
        // Structure.
        "[]byte{0x81, 0x83", Auto, 1:18, "the input ends: expected '}' to close the list";
        "vec![0x81,, 0x83]", Auto, 1:11, "an empty element between two commas";
        "vec![0x81 0x83]", Auto, 1:11, "unexpected '0x83': expected ',' or ']'";
        "new byte[9]", Auto, 1:12, "the input ends: expected the bytes";
        "Buffer.alloc(9)", Auto, 1:14, "'9' is a number where the bytes should start";
        "new Uint8Array(9)", Auto, 1:16, "'9' is a number where the bytes should start";
        "unsigned char b[] = {0x81 /* 0x83", Auto, 1:27, "comment '/*' is not closed";
        "char peer0_0[] = {0x81};\nchar peer1_0[] = {0x82};", Auto, 2:1,
            "peer1_0 is from peer 1, the arrays before it from peer 0";
    }
}

#[test]
fn literal_names_say_what_was_recognised() {
    let name = |input: &str| parse(input.as_bytes(), F::Auto).map(|d| d.spelling.name());
    assert_eq!(
        name(XXD_I).unwrap(),
        "a C array, its length variable (9) checked"
    );
    assert_eq!(
        name("(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]").unwrap(),
        "a console array, its count (9) checked"
    );
    assert_eq!(
        name("new byte[]{(byte)0x81, -125, 61, 84, 35, 6, 112, 16, 109}").unwrap(),
        "a Java byte array (signed)"
    );
    assert_eq!(
        name("char b[2] = {-127, -125};").unwrap(),
        "a C array (signed), its declared size [2] checked"
    );
    assert_eq!(
        name("\"\\201\" \"\\203\"").unwrap(),
        "a C string (2 joined)"
    );
}

#[test]
fn no_code_literal_panics_and_every_error_points_inside_the_input() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    let alphabet: Vec<char> =
        "0x81u8i_b'\"\\{}[]()<>;:=,.-+&!*/#…\n 9(byte)vec!Buffer.from'hex'\u{e9}"
            .chars()
            .collect();
    let samples = [
        XXD_I,
        "(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]",
        "new byte[]{(byte)0x81, -125, 61, 84, 35, 6, 112, 16, 109}",
        "\"\\x81\\x83\\x3d\\x54\" \\\n\"\\x23\\x06\\x70\\x10\\x6d\"\n",
        "Uint8Array(9) [129, 131, 61, 84, 35, 6, 112, 16, 109, buffer: ArrayBuffer(9), \
         byteLength: 9, byteOffset: 0, length: 9, Symbol(Symbol.toStringTag): 'Uint8Array']",
        "Buffer.from('81833d54230670106d', 'hex')",
        "let frame: [u8; 9] = [0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d];",
        "bytes.fromhex('81 83 3d 54 23 06 70 10 6d')",
    ];
    let check = |input: &str| {
        for format in [F::Auto, F::Hex, F::Dec] {
            if let Err(e) = parse(input.as_bytes(), format) {
                let lines = input.split('\n').count();
                assert!(e.line >= 1 && e.line <= lines, "{input:?}: {e}");
                assert!(e.offset <= input.len(), "{input:?}: {e}");
                assert!(e.column >= 1, "{input:?}: {e}");
            }
        }
    };
    for round in 0..4000 {
        let len = next() % 60;
        let random: String = (0..len)
            .map(|_| alphabet[next() % alphabet.len()])
            .collect();
        check(&random);
        // A real literal with a few characters changed, inserted or removed.
        let mut chars: Vec<char> = samples[round % samples.len()].chars().collect();
        for _ in 0..1 + round % 3 {
            let at = next() % chars.len().max(1);
            match next() % 3 {
                0 if !chars.is_empty() => {
                    chars.remove(at.min(chars.len() - 1));
                }
                1 => chars.insert(at, alphabet[next() % alphabet.len()]),
                _ if at < chars.len() => chars[at] = alphabet[next() % alphabet.len()],
                _ => {}
            }
        }
        check(&chars.into_iter().collect::<String>());
    }
}

/// The spellings of `bytes` that tools and languages print, as they print them.
fn spelled(bytes: &[u8]) -> Vec<(String, Literal)> {
    let hex: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
    let short: Vec<String> = bytes.iter().map(|b| format!("0x{b:x}")).collect();
    let dec: Vec<String> = bytes.iter().map(u8::to_string).collect();
    let signed: Vec<String> = bytes.iter().map(|&b| (b as i8).to_string()).collect();
    // Wireshark's "Copy as C String": printable ASCII as itself, the rest octal.
    let c_string: String = bytes
        .iter()
        .map(|&b| match b {
            b'"' => "\\\"".to_string(),
            b'\\' => "\\\\".to_string(),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\{b:03o}"),
        })
        .collect();
    // Python's repr of bytes.
    let python: String = bytes
        .iter()
        .map(|&b| match b {
            b'\'' => "\\'".to_string(),
            b'\\' => "\\\\".to_string(),
            b'\n' => "\\n".to_string(),
            b'\r' => "\\r".to_string(),
            b'\t' => "\\t".to_string(),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    // Wireshark's "Copy as Escaped String": 16 bytes a line, lines joined by `\`.
    let escaped = bytes
        .chunks(16)
        .map(|c| c.iter().map(|b| format!("\\x{b:02x}")).collect::<String>())
        .map(|l| format!("\"{l}\""))
        .collect::<Vec<_>>()
        .join(" \\\n");
    let xxd = format!(
        "unsigned char f_bin[] = {{\n  {}\n}};\nunsigned int f_bin_len = {};\n",
        hex.chunks(12)
            .map(|c| c.join(", "))
            .collect::<Vec<_>>()
            .join(",\n  "),
        bytes.len()
    );
    let n = bytes.len();
    vec![
        (xxd, Literal::CArray),
        (
            format!("unsigned char bytes[] = {{{}}};", short.join(", ")),
            Literal::CArray,
        ),
        (format!("\"{c_string}\""), Literal::CString),
        (escaped, Literal::CString),
        (format!("[]byte{{{}}}", short.join(", ")), Literal::GoSlice),
        (format!("b'{python}'"), Literal::PythonBytes),
        (format!("bytearray(b'{python}')"), Literal::PythonBytearray),
        (format!("vec![{}]", hex.join(", ")), Literal::RustVec),
        (
            format!("new byte[]{{{}}}", signed.join(", ")),
            Literal::ByteArray,
        ),
        (format!("({n}) [{}]", dec.join(", ")), Literal::ConsoleArray),
        (
            format!("Uint8Array({n}) [{}]", dec.join(", ")),
            Literal::TypedArray,
        ),
        (
            format!("Buffer.from('{}', 'hex')", ::hex::encode(bytes)),
            Literal::NodeBufferString,
        ),
    ]
}

#[test]
fn random_bytes_spelled_as_each_literal_read_back_the_same() {
    let mut state = 0x51f1_5eed_0bad_cafe_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let len = 1 + (next() % 70) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        for (text, kind) in spelled(&bytes) {
            // Quoted hex digits, without an escape, are read as hex (`"8183"` in a log).
            let quoted_hex = text.starts_with('"')
                && !text.contains('\\')
                && text
                    .trim_matches('"')
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b' ');
            if quoted_hex {
                continue;
            }
            let d = parse(text.as_bytes(), F::Auto).unwrap_or_else(|e| panic!("{text}\n{e}"));
            assert_eq!(d.bytes, bytes, "{text}");
            let Spelling::Literal { kind: got, .. } = d.spelling else {
                panic!("{text}: read as {:?}", d.spelling);
            };
            // A Java array with a negative value is Java's; without one, C#'s too.
            let expected = if kind == Literal::ByteArray && bytes.iter().any(|&b| b >= 0x80) {
                Literal::JavaBytes
            } else {
                kind
            };
            assert_eq!(got, expected, "{text}");
        }
    }
}
