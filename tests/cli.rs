//! Integration tests that run the built binary.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    raw: Vec<u8>,
}

fn wsdbg_with(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsdbg"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("wsdbg runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out = child.wait_with_output().expect("wsdbg finishes");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "wsdbg panicked: {stderr}");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        raw: out.stdout,
    }
}

fn wsdbg(args: &[&str]) -> Run {
    wsdbg_with(args, None, &[])
}

/// Each line's envelope `{"type": T, "data": {...}}`, checked, and
/// flattened into `{"type": T, ...data}` for the assertions below.
fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            let envelope = v.as_object().expect("an object per line");
            assert_eq!(envelope.len(), 2, "only type and data: {l}");
            let mut flat = envelope["data"]
                .as_object()
                .expect("data is an object")
                .clone();
            assert!(!flat.contains_key("type"), "{l}");
            flat.insert("type".into(), envelope["type"].clone());
            serde_json::Value::Object(flat)
        })
        .collect()
}

fn frames(stdout: &str) -> Vec<serde_json::Value> {
    json_lines(stdout)
        .into_iter()
        .filter(|v| v["type"] == "frame")
        .collect()
}

const MDN_HEX: &str = "81 83 3d 54 23 06 70 10 6d";

// ---------------------------------------------------------------- accept-key

#[test]
fn accept_key_rfc_example_prints_exactly_the_accept() {
    let r = wsdbg(&["accept-key", "dGhlIHNhbXBsZSBub25jZQ=="]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n");
    assert_eq!(r.stderr, "");
}

#[test]
fn accept_key_mdn_example_warns_about_ten_bytes() {
    let r = wsdbg(&["accept-key", "dGhlIHNhbXBsZQ=="]);
    // printf 'dGhlIHNhbXBsZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11' | sha1sum | xxd -r -p | base64
    assert_eq!(r.stdout, "OEPSNnbvaxYns+EYSv7+c2kBj+o=\n");
    assert!(
        r.stderr.contains("10 bytes") && r.stderr.contains("16"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.code, 0,
        "a warning, not a failure: scripts capture the value"
    );
    let checked = wsdbg(&[
        "accept-key",
        "dGhlIHNhbXBsZQ==",
        "--expect",
        "OEPSNnbvaxYns+EYSv7+c2kBj+o=",
    ]);
    assert_eq!(
        checked.code, 0,
        "--expect alone decides: {}",
        checked.stderr
    );
    assert!(checked.stderr.contains("10 bytes") && checked.stderr.contains("matches"));
}

#[test]
fn accept_key_verbose_shows_four_steps() {
    let r = wsdbg(&["accept-key", "-v", "dGhlIHNhbXBsZSBub25jZQ=="]);
    assert_eq!(r.code, 0);
    for needle in [
        "1. ",
        "2. ",
        "3. ",
        "4. ",
        "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
        // RFC 6455 §1.3 gives the SHA-1 in hex.
        "b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea",
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    ] {
        assert!(
            r.stdout.contains(needle),
            "missing {needle:?} in\n{}",
            r.stdout
        );
    }
}

#[test]
fn accept_key_expect_and_stdin() {
    let ok = wsdbg(&[
        "accept-key",
        "dGhlIHNhbXBsZSBub25jZQ==",
        "--expect",
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    ]);
    assert_eq!(ok.code, 0);
    let bad = wsdbg(&[
        "accept-key",
        "dGhlIHNhbXBsZSBub25jZQ==",
        "--expect",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("mismatch"), "{}", bad.stderr);
    let stdin = wsdbg_with(
        &["accept-key", "-"],
        Some(b"  dGhlIHNhbXBsZSBub25jZQ==\n"),
        &[],
    );
    assert_eq!(
        (stdin.code, stdin.stdout.as_str()),
        (0, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n")
    );
}

#[test]
fn accept_key_generate_makes_fresh_valid_keys() {
    let a = wsdbg(&["accept-key", "--generate"]);
    let b = wsdbg(&["accept-key", "--generate"]);
    assert_eq!((a.code, b.code), (0, 0));
    let (ka, kb) = (a.stdout.trim(), b.stdout.trim());
    assert_eq!(ka.len(), 24);
    assert_ne!(ka, kb, "two keys should differ");
    let check = wsdbg(&["accept-key", ka]);
    assert_eq!(check.code, 0, "a generated key is valid: {}", check.stderr);
    assert_eq!(check.stderr, "");
}

#[test]
fn accept_key_errors() {
    assert_eq!(wsdbg(&["accept-key"]).code, 2);
    let junk = wsdbg(&["accept-key", "not base64!"]);
    assert_eq!(junk.code, 0);
    assert!(junk.stderr.contains("not base64"), "{}", junk.stderr);
    let empty = wsdbg(&["accept-key", "  "]);
    assert_eq!(empty.code, 2);
}

// ---------------------------------------------------------------- decode

#[test]
fn decode_mdn_example_annotates_every_field() {
    let r = wsdbg(&["decode", MDN_HEX]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for needle in [
        "frame 1 · offset 0 · 9 bytes · text, final, masked",
        "0x81 (129)  1... ....  FIN     1    final fragment",
        ".... 0001  opcode  1    text",
        "0x83 (131)  1... ....  MASK    1    payload is masked",
        ".000 0011  length  3    7-bit length",
        "3d 54 23 06",
        "masking key",
        "70 10 6d",
        "unmasked: 4d 44 4e  \"MDN\"",
    ] {
        assert!(
            r.stdout.contains(needle),
            "missing {needle:?} in\n{}",
            r.stdout
        );
    }
}

#[test]
fn decode_decimal_gives_the_same() {
    let hex = wsdbg(&["decode", MDN_HEX]);
    let dec = wsdbg(&["decode", "--dec", "129 131 61 84 35 6 112 16 109"]);
    assert_eq!(dec.code, 0);
    let without_input_line = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("read 9 bytes"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_input_line(&dec.stdout),
        without_input_line(&hex.stdout)
    );
    assert!(
        dec.stdout.contains("read 9 bytes of decimal"),
        "{}",
        dec.stdout
    );
}

#[test]
fn decode_reads_every_spelling_the_same() {
    let expected = frames(&wsdbg(&["decode", "--json", MDN_HEX]).stdout);
    let xxd = "00000000: 8183 3d54 2306 7010 6d                   ..=T#.p.m\n";
    let hexdump =
        "00000000  81 83 3d 54 23 06 70 10  6d                       |..=T#.p.m|\n00000009\n";
    let wireshark = "0000  81 83 3d 54 23 06 70 10 6d                        ..=T#.p.m\n";
    for spelling in [
        "8183 3d54 2306 7010 6d",
        "81833d54230670106d",
        "0x81,0x83,0x3d,0x54,0x23,0x06,0x70,0x10,0x6d",
        "\\x81\\x83\\x3d\\x54\\x23\\x06\\x70\\x10\\x6d",
        "81:83:3d:54:23:06:70:10:6d",
        "gYM9VCMGcBBt",
        xxd,
        hexdump,
        wireshark,
    ] {
        let r = wsdbg(&["decode", "--json", spelling]);
        assert_eq!(r.code, 0, "{spelling}: {}", r.stderr);
        assert_eq!(frames(&r.stdout), expected, "{spelling}");
    }
    let stdin = wsdbg_with(&["decode", "--json", "-"], Some(MDN_HEX.as_bytes()), &[]);
    assert_eq!(frames(&stdin.stdout), expected);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frame.bin");
    std::fs::write(
        &path,
        [0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d],
    )
    .unwrap();
    let raw = wsdbg(&[
        "decode",
        "--json",
        "--raw",
        "--file",
        path.to_str().unwrap(),
    ]);
    assert_eq!(frames(&raw.stdout), expected);
}

#[test]
fn decode_bad_input_names_line_and_column() {
    let odd = wsdbg(&["decode", "81 83 3"]);
    assert_eq!(odd.code, 2);
    assert!(odd.stderr.contains("line 1, column 7"), "{}", odd.stderr);
    assert!(odd.stderr.contains("odd"), "{}", odd.stderr);
    let junk = wsdbg(&["decode", "81 83\n3d 5g"]);
    assert_eq!(junk.code, 2);
    assert!(junk.stderr.contains("line 2, column 5"), "{}", junk.stderr);
    assert!(junk.stderr.contains("'g'"), "{}", junk.stderr);
    let empty = wsdbg(&["decode", ""]);
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("empty"), "{}", empty.stderr);
    let missing = wsdbg(&["decode", "--file", "/nonexistent/dump.txt"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/nonexistent/dump.txt"),
        "{}",
        missing.stderr
    );
    let typo = wsdbg(&["decode", "81833d5423067010GD"]);
    assert_eq!(
        typo.code, 2,
        "a hex typo is not read as base64: {}",
        typo.stdout
    );
    assert!(
        typo.stderr.contains("column 17") && typo.stderr.contains("'G'"),
        "{}",
        typo.stderr
    );
    let mdn = wsdbg(&["decode", "129 131 61 84 35 6 112 16 109"]);
    assert_eq!(mdn.code, 2);
    assert!(mdn.stderr.contains("use --dec"), "{}", mdn.stderr);
    let dec = wsdbg(&["decode", "--dec", "129 256"]);
    assert_eq!(dec.code, 2);
    assert!(dec.stderr.contains("column 5"), "{}", dec.stderr);
}

/// The summary's "read ..." line of a `decode --json` run.
fn read_as(r: &Run) -> String {
    json_lines(&r.stdout)
        .iter()
        .find(|v| v["type"] == "summary")
        .and_then(|v| v["input"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no summary in {}\n{}", r.stdout, r.stderr))
}

/// `xxd -i mdn.bin` (xxd 2022-01-14), where mdn.bin holds the MDN frame.
const XXD_I: &str = "unsigned char mdn_bin[] = {
  0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d
};
unsigned int mdn_bin_len = 9;
";

#[test]
fn decode_reads_code_literals_as_their_language_does() {
    let expected = frames(&wsdbg(&["decode", "--json", MDN_HEX]).stdout);
    for (literal, read) in [
        (
            XXD_I,
            "read 9 bytes of a C array, its length variable (9) checked",
        ),
        (
            "unsigned char bytes[] = {0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d};",
            "read 9 bytes of a C array",
        ),
        (r#""\201\203=T#\006p\020m""#, "read 9 bytes of a C string"),
        (
            "\"\\x81\\x83\\x3d\\x54\" \\\n\"\\x23\\x06\\x70\\x10\\x6d\"\n",
            "read 9 bytes of a C string (2 joined)",
        ),
        (
            "[]byte{0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d}",
            "read 9 bytes of a Go []byte",
        ),
        (
            r"bytearray(b'\x81\x83=T#\x06p\x10m')",
            "read 9 bytes of a Python bytearray",
        ),
        (
            "bytes.fromhex('81 83 3d 54 23 06 70 10 6d')",
            "read 9 bytes of Python's bytes.fromhex",
        ),
        (
            "vec![0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]",
            "read 9 bytes of a Rust vec!",
        ),
        (
            "[0x81u8, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]",
            "read 9 bytes of a Rust array",
        ),
        (
            "Buffer.from([0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d])",
            "read 9 bytes of a Node Buffer of a list",
        ),
        (
            "Buffer.from('81833d54230670106d', 'hex')",
            "read 9 bytes of a Node Buffer of a string",
        ),
        (
            "new byte[]{(byte)0x81, -125, 61, 84, 35, 6, 112, 16, 109}",
            "read 9 bytes of a Java byte array (signed)",
        ),
        (
            "new byte[] { 129, 131, 61, 84, 35, 6, 112, 16, 109 }",
            "read 9 bytes of a byte[] array (C# or Java)",
        ),
        (
            "(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]",
            "read 9 bytes of a console array, its count (9) checked",
        ),
    ] {
        // As an argument and on stdin.
        let arg = wsdbg(&["decode", "--json", literal]);
        assert_eq!(arg.code, 0, "{literal}: {}", arg.stderr);
        assert_eq!(frames(&arg.stdout), expected, "{literal}");
        assert_eq!(read_as(&arg), read, "{literal}");
        let stdin = wsdbg_with(&["decode", "--json"], Some(literal.as_bytes()), &[]);
        assert_eq!(frames(&stdin.stdout), expected, "{literal}");
    }
    // The text summary says it too, and --dec takes the console's array.
    let text = wsdbg(&[
        "decode",
        "--dec",
        "(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]",
    ]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("read 9 bytes of a console array, its count (9) checked"),
        "{}",
        text.stdout
    );
}

#[test]
fn decode_refuses_counts_sizes_and_lengths_that_disagree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frame.h");
    std::fs::write(&path, XXD_I.replace("= 9;", "= 12;")).unwrap();
    let nine = "0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d";
    let c16 = format!("unsigned char b[16] = {{{nine}}};");
    for (args, at, message) in [
        (
            vec!["decode", "(10) [129, 131, 61, 84, 35, 6, 112, 16, 109]"],
            "line 1, column 2",
            "(10) is the count the console printed, but 9 values follow",
        ),
        (
            vec!["decode", "--file", path.to_str().unwrap()],
            "line 4, column 28",
            "mdn_bin_len = 12, but the literal before it holds 9 bytes",
        ),
        (
            vec!["decode", &c16],
            "line 1, column 17",
            "declared with 16 elements but 9 are given (the language fills the other 7 with zeros)",
        ),
        (
            vec!["decode", "new byte[]{129, 256}"],
            "line 1, column 17",
            "256 is not a byte",
        ),
        (
            vec!["decode", "{0x81, 0x83, 61}"],
            "line 1, column 14",
            "'61' has no 0x while other values here do",
        ),
        (
            vec!["decode", "--dec", "129 (9) 131"],
            "line 1, column 5",
            "'(9)' is a number in parentheses",
        ),
    ] {
        let r = wsdbg(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(
            r.stderr.contains(at) && r.stderr.contains(message),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn decode_reads_dumps_that_start_at_an_offset_by_their_offsets() {
    // Real output for at40.bin: 40 bytes of `x`, then the MDN frame and RFC 6455 §5.7's
    // unmasked and masked "Hello".
    let hexdump = "\
00000028  81 83 3d 54 23 06 70 10  6d 81 05 48 65 6c 6c 6f  |..=T#.p.m..Hello|
00000038  81 85 37 fa 21 3d 7f 9f  4d 51 58                 |..7.!=..MQX|
00000043
";
    let od = "000028 81 83 3d 54 23 06 70 10 6d 81 05 48 65 6c 6c 6f\n\
              000038 81 85 37 fa 21 3d 7f 9f 4d 51 58\n000043\n";
    let od_octal = "0000050 81 83 3d 54 23 06 70 10 6d 81 05 48 65 6c 6c 6f\n\
                    0000070 81 85 37 fa 21 3d 7f 9f 4d 51 58\n0000103\n";
    for dump in [hexdump, od, od_octal] {
        let r = wsdbg_with(&["decode", "--json"], Some(dump.as_bytes()), &[]);
        assert_eq!(r.code, 0, "{dump}: {}", r.stderr);
        let f = frames(&r.stdout);
        assert_eq!(f.len(), 3, "{dump}: {}", r.stdout);
        assert_eq!(
            read_as(&r),
            "read 27 bytes of hex dump starting at offset 0x28 (40)"
        );
        // Frames at their offsets in the dump's numbering, not from 0.
        let offsets: Vec<u64> = f.iter().map(|f| f["offset"].as_u64().unwrap()).collect();
        assert_eq!(offsets, [40, 49, 56], "{dump}");
    }
    // od -A x -t x1 -j 4 mdn.bin: its offsets used to be read as bytes.
    let r = wsdbg_with(&["decode"], Some(b"000004 23 06 70 10 6d\n000009\n"), &[]);
    assert!(
        r.stdout
            .contains("read 5 bytes of hex dump starting at offset 0x4"),
        "{}",
        r.stdout
    );
    // tshark -x's lines from 0040; its heading is refused with what to paste.
    let excerpt = "0040  81 05 48 65 6c 6c 6f                              ..Hello\n";
    let r = wsdbg(&["decode", "--json", excerpt]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        read_as(&r),
        "read 7 bytes of hex dump starting at offset 0x40 (64)"
    );
    let heading = wsdbg(&["decode", &format!("Frame (71 bytes):\n{excerpt}")]);
    assert_eq!(heading.code, 2);
    assert!(
        heading.stderr.contains("line 1, column 1")
            && heading
                .stderr
                .contains("heads a whole packet, but its lines start at offset 0040"),
        "{}",
        heading.stderr
    );
}

#[test]
fn decode_truncated_frames_say_how_much_is_missing() {
    let payload = wsdbg(&["decode", "81 85 37 fa 21 3d 7f 9f"]);
    assert_eq!(payload.code, 1);
    assert!(payload.stdout.contains("3 missing"), "{}", payload.stdout);
    let header = wsdbg(&["decode", "81 fe 00"]);
    assert_eq!(header.code, 1);
    assert!(
        header.stdout.contains("at least 5 more"),
        "{}",
        header.stdout
    );
}

#[test]
fn decode_rfc_fragments_with_ping_between() {
    let r = wsdbg(&[
        "decode",
        "--from",
        "server",
        "01 03 48 65 6c 89 05 48 65 6c 6c 6f 80 02 6c 6f",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("message complete: text, 2 frames, 5 bytes: \"Hello\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("frame 3 · offset 12"), "{}", r.stdout);
    let j = frames(
        &wsdbg(&[
            "decode",
            "--json",
            "01 03 48 65 6c 89 05 48 65 6c 6c 6f 80 02 6c 6f",
        ])
        .stdout,
    );
    assert_eq!(j.len(), 3);
    assert_eq!(j[2]["message"]["text"], "Hello");
    assert_eq!(j[1]["opcode_name"], "ping");
}

#[test]
fn decode_lengths_16_and_64_bit() {
    let mut hex = String::from("82 7e 01 00 ");
    hex.push_str(&"aa ".repeat(256));
    let r = wsdbg(&["decode", "--json", &hex]);
    assert_eq!(r.code, 0);
    let f = &frames(&r.stdout)[0];
    assert_eq!(
        (f["payload_length"].as_u64(), f["length_form"].as_str()),
        (Some(256), Some("16-bit"))
    );
    let text = wsdbg(&["decode", &hex]).stdout;
    assert!(
        text.contains("01 00") && text.contains("16-bit extended length"),
        "{text}"
    );
    let mut hex = String::from("82 7f 00 00 00 00 00 01 00 00 ");
    hex.push_str(&"00".repeat(65536));
    // Too long for one argument (Linux caps one at 128 KiB): stdin.
    let f = &frames(&wsdbg_with(&["decode", "--json"], Some(hex.as_bytes()), &[]).stdout)[0];
    assert_eq!(
        (f["payload_length"].as_u64(), f["length_form"].as_str()),
        (Some(65536), Some("64-bit"))
    );
}

#[test]
fn decode_violations_marked_and_summarised() {
    // Unmasked frame from a client, RSV1 set, a fragmented ping, a bad close code.
    let r = wsdbg(&[
        "decode",
        "--from",
        "client",
        "c1 00 09 80 01 02 03 04 88 82 00 00 00 00 03 ed",
    ]);
    assert_eq!(r.code, 1);
    for needle in [
        "RSV1 is set",
        "not masked",
        "control frames must not be fragmented",
        "1005 (No Status Received)",
        "violations of RFC 6455",
    ] {
        assert!(
            r.stdout.contains(needle),
            "missing {needle:?} in\n{}",
            r.stdout
        );
    }
    let j = json_lines(&wsdbg(&["decode", "--json", "--from", "client", "c1 00"]).stdout);
    let rules: Vec<&str> = j[0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["reserved-bit", "unmasked-client-frame"]);
    assert_eq!(j.last().unwrap()["type"], "summary");
    assert_eq!(j.last().unwrap()["conforms"], false);
}

#[test]
fn decode_close_frame_shows_code_name_and_reason() {
    let r = wsdbg(&["decode", "88 05 03 e8 62 79 65"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("close code 1000 Normal Closure"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("reason \"bye\""), "{}", r.stdout);
}

#[test]
fn decode_explain_shows_each_xor() {
    let r = wsdbg(&["decode", "--explain", MDN_HEX]);
    assert!(r.stdout.contains("70 ^ 3d = 4d  'M'"), "{}", r.stdout);
    assert!(r.stdout.contains("6d ^ 23 = 4e  'N'"), "{}", r.stdout);
}

#[test]
fn decode_handshake_request_checked_with_accept() {
    let mut dump = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".to_vec();
    dump.extend_from_slice(&[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]);
    let r = wsdbg_with(&["decode", "--raw"], Some(&dump), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("from the client"), "{}", r.stdout);
    let bad = b"GET /chat HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    let r = wsdbg_with(&["decode", "--raw", "--json"], Some(bad), &[]);
    assert_eq!(r.code, 1);
    let head = &json_lines(&r.stdout)[0];
    assert_eq!(head["type"], "request");
    let rules: Vec<&str> = head["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rule"].as_str().unwrap())
        .collect();
    for rule in ["http-version", "bad-version", "bad-key"] {
        assert!(rules.contains(&rule), "{rule} not in {rules:?}");
    }
}

#[test]
fn decode_response_accept_checked_against_request_key() {
    let dump = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
    let r = wsdbg_with(&["decode", "--raw"], Some(dump), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{}",
        r.stdout
    );
}

#[test]
fn decode_escapes_everything_from_the_input() {
    // A text frame carrying an escape sequence, a bidi override and a BEL.
    let payload = "\u{1b}[2J\u{202e}evil\u{7}".as_bytes();
    let mut hex = format!("81 {:02x} ", payload.len());
    for b in payload {
        hex.push_str(&format!("{b:02x} "));
    }
    for args in [
        vec!["decode", hex.as_str()],
        vec!["decode", "--json", hex.as_str()],
    ] {
        let r = wsdbg(&args);
        assert!(
            !r.raw.contains(&0x1b),
            "raw ESC reached the output: {}",
            r.stdout
        );
        assert!(!r.raw.contains(&0x07), "raw BEL reached the output");
        assert!(
            !r.stdout.contains('\u{202e}'),
            "raw bidi override reached the output"
        );
    }
    let r = wsdbg(&["decode", hex.as_str()]);
    assert!(
        r.stdout.contains("\\x1b[2J\\u{202e}evil\\x07"),
        "{}",
        r.stdout
    );
}

#[test]
fn decode_long_payloads_are_elided_unless_full() {
    let mut hex = String::from("82 7e 00 c8 ");
    hex.push_str(&"41 ".repeat(200));
    let short = wsdbg(&["decode", &hex]);
    assert!(short.stdout.contains("136 more bytes"), "{}", short.stdout);
    let full = wsdbg(&["decode", "--full", &hex]);
    assert!(!full.stdout.contains("more bytes"));
    assert!(full.stdout.contains("00c0"), "{}", full.stdout);
}

// ---------------------------------------------------------------- mask

#[test]
fn mask_mdn_both_ways() {
    let r = wsdbg(&["mask", "--key", "3d542306", "MDN"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "70 10 6d\n"));
    let r = wsdbg(&["mask", "--key", "3d 54 23 06", "--hex", "70 10 6d"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "MDN\n"));
    let r = wsdbg(&[
        "mask",
        "--key",
        "0x3d542306",
        "-o",
        "hex",
        "--hex",
        "70106d",
    ]);
    assert_eq!(r.stdout, "4d 44 4e\n");
}

#[test]
fn mask_stdin_streams_raw_bytes_and_is_an_involution() {
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let once = wsdbg_with(&["mask", "--key", "01020304"], Some(&data), &[]);
    assert_eq!(once.code, 0, "{}", once.stderr);
    assert_eq!(once.raw.len(), data.len());
    for (i, (m, d)) in once.raw.iter().zip(&data).enumerate() {
        assert_eq!(*m, d ^ [1, 2, 3, 4][i % 4], "byte {i}");
    }
    let twice = wsdbg_with(&["mask", "--key", "01020304"], Some(&once.raw), &[]);
    assert!(twice.raw == data, "masking twice gives the input back");
}

#[test]
fn mask_bad_keys() {
    let short = wsdbg(&["mask", "--key", "3d5423", "MDN"]);
    assert_eq!(short.code, 2);
    assert!(
        short.stderr.contains("4 bytes") && short.stderr.contains("3 bytes"),
        "{}",
        short.stderr
    );
    let junk = wsdbg(&["mask", "--key", "zz542306", "MDN"]);
    assert_eq!(junk.code, 2);
    assert!(junk.stderr.contains("'z'"), "{}", junk.stderr);
    assert_eq!(
        wsdbg(&["mask", "MDN"]).code,
        2,
        "a key is required without --frame"
    );
}

#[test]
fn mask_frame_decodes_back_to_the_same_fields() {
    let r = wsdbg(&["mask", "--frame", "--key", "3d542306", "MDN"]);
    assert_eq!(r.stdout.trim(), MDN_HEX);
    let cases: &[&[&str]] = &[
        &["--opcode", "binary", "--hex", "00 01 02 ff"],
        &["--opcode", "ping", "--unmasked", "are you there"],
        &["--opcode", "text", "--no-fin", "Hel"],
        &["--opcode", "close", "--hex", "03 e8 62 79 65"],
    ];
    for extra in cases {
        let mut args = vec!["mask", "--frame"];
        args.extend_from_slice(extra);
        let built = wsdbg(&args);
        assert_eq!(built.code, 0, "{extra:?}: {}", built.stderr);
        let decoded = wsdbg(&["decode", "--json", built.stdout.trim()]);
        let f = &frames(&decoded.stdout)[0];
        let opcode = extra[1];
        assert_eq!(f["opcode_name"], opcode, "{extra:?}");
        assert_eq!(f["fin"], !extra.contains(&"--no-fin"));
        assert_eq!(f["masked"], !extra.contains(&"--unmasked"));
        assert_eq!(f["complete"], true);
        let payload = extra.last().unwrap();
        let expected = if extra.contains(&"--hex") {
            payload.replace(' ', "")
        } else {
            hex::encode(payload)
        };
        assert_eq!(f["unmasked_hex"], expected, "{extra:?}");
    }
    let big = "x".repeat(70_000);
    let built = wsdbg(&["mask", "--frame", "-o", "raw", &big]);
    let decoded = wsdbg_with(&["decode", "--raw", "--json"], Some(&built.raw), &[]);
    let f = &frames(&decoded.stdout)[0];
    assert_eq!(
        (f["payload_length"].as_u64(), f["length_form"].as_str()),
        (Some(70_000), Some("64-bit"))
    );
    assert_eq!(f["text"].as_str().map(str::len), Some(70_000));
}

#[test]
fn mask_frame_builds_frames_that_lie_and_decode_says_so() {
    // RSV1 and RSV3 set, a 64-bit length of 300 for a 2-byte payload.
    let built = wsdbg(&[
        "mask",
        "--frame",
        "--unmasked",
        "--opcode",
        "binary",
        "--rsv",
        "1,3",
        "--length",
        "300",
        "--length-form",
        "64",
        "ab",
    ]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    assert_eq!(built.stdout.trim(), "d2 7f 00 00 00 00 00 00 01 2c 61 62");
    let decoded = wsdbg(&["decode", "--json", built.stdout.trim()]);
    let f = &frames(&decoded.stdout)[0];
    assert_eq!(f["rsv1"], true);
    assert_eq!(f["rsv3"], true);
    assert_eq!(f["payload_length"].as_u64(), Some(300));
    assert_eq!(f["complete"], false);
    // A length in a form too short for it: exit 2, saying which.
    let r = wsdbg(&[
        "mask",
        "--frame",
        "--length",
        "126",
        "--length-form",
        "7",
        "x",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("7-bit length holds at most 125, not 126"),
        "{}",
        r.stderr
    );
    let r = wsdbg(&["mask", "--frame", "--rsv", "4", "x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn mask_frame_deflate_builds_rfc_7692_example() {
    // RFC 7692 §7.2.3.1: "Hello" compressed, in one unmasked frame.
    let r = wsdbg(&["mask", "--frame", "--deflate", "--unmasked", "Hello"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "c1 07 f2 48 cd c9 c9 07 00");
    let decoded = wsdbg(&["decode", "--deflate", "--json", r.stdout.trim()]);
    assert!(decoded.stdout.contains("\"Hello\""), "{}", decoded.stdout);
}

// ---------------------------------------------------------------- output

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = wsdbg(&["decode", MDN_HEX]);
    assert!(!plain.raw.contains(&0x1b), "no colour into a pipe");
    let always = wsdbg(&["--color", "always", "decode", MDN_HEX]);
    assert!(always.stdout.contains("\u{1b}["), "--color always colours");
    let never = wsdbg_with(
        &["--color", "never", "decode", MDN_HEX],
        None,
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(!never.raw.contains(&0x1b));
}

/// `script` gives the child a pseudo-terminal, so `--color auto` sees a
/// terminal; NO_COLOR must still turn colour off.
#[test]
fn colour_auto_on_a_terminal_and_no_color() {
    if Command::new("script").arg("--version").output().is_err() {
        panic!("`script` (util-linux) is needed to give wsdbg a terminal");
    }
    let bin = env!("CARGO_BIN_EXE_wsdbg");
    let run = |no_color: bool| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &format!("{bin} decode '{MDN_HEX}'"), "/dev/null"]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.stdin(Stdio::null()).output().expect("script runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tty = run(false);
    assert!(tty.contains("MDN"), "{tty}");
    assert!(tty.contains("\u{1b}["), "colour on a terminal");
    assert!(!run(true).contains("\u{1b}["), "NO_COLOR disables colour");
}

#[test]
fn closed_stdout_is_not_an_error() {
    let mut hex = String::new();
    for _ in 0..5000 {
        hex.push_str("81 85 37 fa 21 3d 7f 9f 4d 51 58\n");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        let _ = stdin.write_all(hex.as_bytes());
    });
    let mut first = [0u8; 100];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .as_mut()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn help_has_examples() {
    for sub in ["accept-key", "decode", "mask"] {
        let r = wsdbg(&[sub, "--help"]);
        assert_eq!(r.code, 0);
        assert!(
            r.stdout.contains("Examples:"),
            "{sub} --help has no examples"
        );
    }
    assert_eq!(wsdbg(&["frobnicate"]).code, 2);
}

#[test]
fn decode_pasted_http_head_then_hex() {
    let text = "GET /chat HTTP/1.1\nHost: server.example.com\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n81 83 3d 54 23 06 70 10 6d\n";
    let r = wsdbg_with(&["decode", "--json"], Some(text.as_bytes()), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let lines = json_lines(&r.stdout);
    assert_eq!(lines[0]["type"], "request");
    assert_eq!(lines[0]["expected_accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(lines[1]["text"], "MDN");
    let head = &text[..text.find("\n\n").unwrap() + 2];
    let with_crlf = head.len() + head.matches('\n').count();
    assert_eq!(
        lines[1]["offset"].as_u64(),
        Some(with_crlf as u64),
        "head re-read with CRLF"
    );
}

#[test]
fn decode_pasted_head_with_a_lowercase_method_is_a_request() {
    // Read as a frame until one check decided for both the dump reader and
    // the transcript: RSV bits, a reserved opcode, a truncation, all bogus.
    let text = "get /chat HTTP/1.1\nHost: server.example.com\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n81 83 3d 54 23 06 70 10 6d\n";
    let r = wsdbg_with(&["decode", "--json"], Some(text.as_bytes()), &[]);
    assert_eq!(r.code, 1, "the method breaks RFC 6455: {}", r.stdout);
    let lines = json_lines(&r.stdout);
    assert_eq!(lines[0]["type"], "request", "{}", r.stdout);
    assert_eq!(lines[0]["method"], "get");
    let rules: Vec<&str> = lines[0]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["method-not-get"]);
    assert!(
        lines[0]["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("requires GET"),
        "{}",
        lines[0]
    );
    let frames = frames(&r.stdout);
    assert_eq!(frames.len(), 1, "{}", r.stdout);
    assert_eq!(frames[0]["text"], "MDN");
    assert_eq!(frames[0]["violations"], serde_json::json!([]));
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["violations"], 1, "only the method: {summary}");
}

/// Peak resident memory of a running process, from /proc (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn mask_streams_in_constant_memory() {
    const TOTAL: usize = 128 << 20;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["mask", "--key", "01020304", "--output", "raw"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let block = vec![0u8; 1 << 20];
        for _ in 0..TOTAL / block.len() {
            stdin.write_all(&block).unwrap();
        }
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let (mut seen, mut peak) = (0usize, 0u64);
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for (i, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, [1, 2, 3, 4][(seen + i) % 4], "byte {}", seen + i);
        }
        seen += n;
        if let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
        }
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(seen, TOTAL);
    assert!(peak > 0, "could not read the process's memory from /proc");
    assert!(
        peak < 32 * 1024,
        "peak RSS {peak} KiB for a {} MiB stream",
        TOTAL >> 20
    );
}

#[test]
fn commands_needing_stdin_refuse_a_terminal_instead_of_waiting() {
    let bin = env!("CARGO_BIN_EXE_wsdbg");
    for cmd in ["mask --key 01020304", "decode", "accept-key -"] {
        // `timeout` turns a hang into a failure instead of a stuck test.
        let out = Command::new("timeout")
            .args(["10", "script", "-qec", &format!("{bin} {cmd}"), "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("timeout and script run");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("stdin is a terminal"), "{cmd}: {text}");
        assert_ne!(out.status.code(), Some(124), "{cmd} waited on the terminal");
    }
}

#[test]
fn unreadable_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let r = wsdbg(&["decode", "--file", path]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(path) && r.stderr.contains("directory"),
        "{}",
        r.stderr
    );
    let odd = dir.path().join("\u{1b}[31mred");
    let r = wsdbg(&["decode", "--file", odd.to_str().unwrap()]);
    assert!(
        !r.stderr.contains('\u{1b}') && r.stderr.contains("\\x1b[31mred"),
        "{}",
        r.stderr
    );
}

#[test]
fn unquoted_dump_arguments_are_joined() {
    let r = wsdbg(&[
        "decode", "--json", "81", "83", "3d", "54", "23", "06", "70", "10", "6d",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(frames(&r.stdout)[0]["text"], "MDN");
}

#[test]
fn decode_permessage_deflate() {
    // RFC 7692 §7.2.3.1: "Hello" compressed, unmasked (from a server).
    let frame = "c1 07 f2 48 cd c9 c9 07 00";
    let plain = wsdbg(&["decode", frame]);
    assert_eq!(
        plain.code, 1,
        "RSV1 without the extension: {}",
        plain.stdout
    );
    let r = wsdbg(&["decode", "--deflate", frame]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("inflated to 5 bytes: \"Hello\""),
        "{}",
        r.stdout
    );
    let mut dump = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n".to_vec();
    dump.extend_from_slice(&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    let r = wsdbg_with(&["decode", "--raw", "--json"], Some(&dump), &[]);
    assert_eq!(r.code, 0, "negotiated in the handshake: {}", r.stdout);
    assert_eq!(frames(&r.stdout)[0]["message"]["text"], "Hello");
    let bad = wsdbg(&["decode", "--deflate", "c1 04 ff ff ff ff"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.contains("RFC 7692"), "{}", bad.stdout);
}

#[test]
fn a_duplicate_header_issue_is_marked_once() {
    let dump = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let r = wsdbg_with(&["decode", "--raw"], Some(dump), &[]);
    assert_eq!(r.code, 1);
    let body = r.stdout.split("summary:").next().unwrap();
    let marks = body.lines().filter(|l| l.contains('✗')).count();
    assert_eq!(marks, 1, "{}", r.stdout);
}

#[test]
fn a_reason_phrase_is_escaped_once() {
    let dump = "HTTP/1.1 400 Bad\\Req \u{202e}\r\nX: y\r\n\r\n";
    let r = wsdbg_with(&["decode", "--raw"], Some(dump.as_bytes()), &[]);
    assert!(
        r.stdout.contains("HTTP/1.1 400 Bad\\\\Req \\u{202e}\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn deflate_never_invents_bytes_it_cannot_know() {
    // `ca 40 17 00 00` refers back before its own start: zlib says
    // "invalid distance too far back". Without the handshake the message
    // may refer into earlier messages: said so, no invented bytes, and
    // not called conforming.
    let r = wsdbg(&["decode", "--deflate", "c1 05 ca 40 17 00 00"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("refers back to earlier messages"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("conforms"), "{}", r.stdout);
    assert!(!r.stdout.contains("inflated to"), "{}", r.stdout);
    let j = json_lines(&wsdbg(&["decode", "--json", "--deflate", "c1 05 ca 40 17 00 00"]).stdout);
    let summary = j.last().unwrap();
    assert_eq!(
        (summary["conforms"].as_bool(), summary["unchecked"].as_u64()),
        (Some(false), Some(1))
    );
    assert_eq!(
        j[0]["message"]["inflate_error"]["id"],
        "needs-earlier-messages"
    );
    // With the handshake in the input, the same bytes are the sender's
    // error.
    let mut dump = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n".to_vec();
    dump.extend_from_slice(&[0xc1, 0x05, 0xca, 0x40, 0x17, 0x00, 0x00]);
    let r = wsdbg_with(&["decode", "--raw"], Some(&dump), &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("invalid distance too far back"),
        "{}",
        r.stdout
    );
}

#[test]
fn deflate_after_a_final_block_the_next_message_inflates() {
    // RFC 7692 §7.2.3.4: a message may end with a BFINAL=1 block; the next
    // message must still inflate.
    let r = wsdbg(&[
        "decode",
        "--json",
        "--deflate",
        "c1 08 f3 48 cd c9 c9 07 00 00 c1 07 f2 48 cd c9 c9 07 00",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let texts: Vec<_> = frames(&r.stdout)
        .iter()
        .map(|f| f["message"]["text"].clone())
        .collect();
    assert_eq!(
        texts,
        [serde_json::json!("Hello"), serde_json::json!("Hello")]
    );
}

#[test]
fn rsv1_without_a_handshake_hints_at_deflate() {
    let r = wsdbg(&["decode", "c1 07 f2 48 cd c9 c9 07 00"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("decode with --deflate"), "{}", r.stdout);
    let r = wsdbg(&["decode", "81 02 68 69"]);
    assert!(!r.stdout.contains("--deflate"), "{}", r.stdout);
}

/// Every error carries one prefix, clap's usage errors included; help and
/// version are not errors.
#[test]
fn every_error_has_one_prefix() {
    for args in [
        &["decode", "--bogus"][..],
        &["frobnicate"],
        &["decode", "zz"],
        &["mask", "--key", "xyz", "hi"],
    ] {
        let r = wsdbg(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("wsdbg: error: "),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("\nerror:"), "{args:?}: {}", r.stderr);
    }
    let r = wsdbg(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Usage: wsdbg"), "{}", r.stdout);
    // The version, and the commit when built from git (tests/package.rs).
    let r = wsdbg(&["-V"]);
    assert_eq!((r.code, r.stdout.trim()), (0, "wsdbg 0.1.0"));
    let r = wsdbg(&["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("wsdbg 0.1.0"), "{}", r.stdout);
}

/// `--file -` reads stdin, as `-` does.
#[test]
fn decode_file_dash_reads_stdin() {
    let r = wsdbg_with(
        &["decode", "--file", "-"],
        Some(b"81 83 3d 54 23 06 70 10 6d"),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("read 9 bytes of hex"), "{}", r.stdout);
}

/// The key's header line pasted whole, or a whole request on stdin, give
/// the key's accept; the server's Accept header is refused with why.
#[test]
fn accept_key_takes_the_header_line_or_a_request() {
    let rfc = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    let r = wsdbg(&["accept-key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]);
    assert_eq!((r.code, r.stdout.trim()), (0, rfc), "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let request = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
    let r = wsdbg_with(&["accept-key", "-"], Some(request), &[]);
    assert_eq!((r.code, r.stdout.trim()), (0, rfc), "{}", r.stderr);
    assert!(r.stderr.contains("on line 5"), "{}", r.stderr);
    let r = wsdbg(&["accept-key", &format!("Sec-WebSocket-Accept: {rfc}")]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("wsdbg: error: that is a Sec-WebSocket-Accept header"),
        "{}",
        r.stderr
    );
    // --generate -v: a fresh key and how a server answers it.
    let r = wsdbg(&["accept-key", "--generate", "-v"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let key = lines[1].trim();
    let accept = lines.last().unwrap().trim();
    let check = wsdbg(&["accept-key", key, "--expect", accept]);
    assert_eq!(check.code, 0, "{}\n{}", r.stdout, check.stderr);
}

/// --brief: a line per frame and per head; --only violations: only what
/// breaks a rule; --frames: a range of indexes. The summary stays whole.
#[test]
fn decode_brief_only_and_frames() {
    // MDN's frame, a ping, a frame with RSV2 set.
    let dump = "81 83 3d 54 23 06 70 10 6d 89 00 a1 02 68 69";
    let r = wsdbg(&["decode", "--brief", dump]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("   1  FIN     text")
            && lines[0].ends_with("masked 3d542306: \"MDN\""),
        "{}",
        r.stdout
    );
    assert!(lines[1].starts_with("   2  FIN     ping"), "{}", r.stdout);
    assert!(lines[2].starts_with("   3  FIN RSV2 text"), "{}", r.stdout);
    assert!(
        lines[3].contains("✗ RFC 6455 §5.2: RSV2 is set"),
        "{}",
        r.stdout
    );
    assert!(lines[4].starts_with("summary: 3 frames"), "{}", r.stdout);
    // Only the broken one, with the same summary.
    let only = wsdbg(&["decode", "--brief", "--only", "violations", dump]);
    assert_eq!(only.code, 1);
    assert!(
        only.stdout.starts_with("   3  FIN RSV2 text"),
        "{}",
        only.stdout
    );
    assert!(only.stdout.contains("summary: 3 frames"), "{}", only.stdout);
    // A range, in JSON too: frame events only for 2..3.
    let json = wsdbg(&["decode", "--json", "--frames", "2..", dump]);
    let idx: Vec<u64> = frames(&json.stdout)
        .iter()
        .map(|f| f["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, [2, 3], "{}", json.stdout);
    for (range, want) in [("1", vec![1]), ("..2", vec![1, 2]), ("2..3", vec![2, 3])] {
        let r = wsdbg(&["decode", "--json", "--frames", range, dump]);
        let idx: Vec<u64> = frames(&r.stdout)
            .iter()
            .map(|f| f["index"].as_u64().unwrap())
            .collect();
        assert_eq!(idx, want, "{range}");
    }
    for bad in ["0", "5..2", "x"] {
        let r = wsdbg(&["decode", "--frames", bad, dump]);
        assert_eq!(r.code, 2, "{bad}");
        assert!(r.stderr.starts_with("wsdbg: error: "), "{}", r.stderr);
    }
    // --brief is a text view.
    assert_eq!(wsdbg(&["decode", "--brief", "--json", dump]).code, 2);
}

/// On an 80-column terminal (COLUMNS=80) no line is wider than 80: the
/// violations and the summary continue under their column; to a pipe
/// without COLUMNS nothing is wrapped.
#[test]
fn decode_fits_the_terminal() {
    let dump = "a1 02 68 69 81 fe 00 05 68 65 6c 6c 6f 8a 7e 01 00";
    let r = wsdbg_with(&["decode", dump], None, &[("COLUMNS", "80")]);
    let wide: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.chars().count() > 80)
        .collect();
    assert!(wide.is_empty(), "{wide:#?}");
    assert!(
        r.stdout
            .contains("RSV2 is set but no extension was negotiated that\n"),
        "{}",
        r.stdout
    );
    let piped = wsdbg_with(&["decode", dump], None, &[("COLUMNS", "")]);
    assert!(
        piped.stdout.lines().any(|l| l.chars().count() > 80),
        "{}",
        piped.stdout
    );
    // The same words either way.
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(words(&r.stdout), words(&piped.stdout));
}

/// A request and its response pasted as text before the frames: each
/// side's head checked as that side's, each frame given to a side by its
/// MASK bit (which is said), no false masking violation.
#[test]
fn decode_a_pasted_request_response_and_frames() {
    let pasted = "GET /chat HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n\
HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n\
81 83 3d 54 23 06 70 10 6d 81 03 4d 44 4e\n";
    let r = wsdbg_with(&["decode", "--json"], Some(pasted.as_bytes()), &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("given to a side by their MASK bit"),
        "{}",
        r.stderr
    );
    let f = frames(&r.stdout);
    let sides: Vec<&str> = f.iter().map(|f| f["from"].as_str().unwrap()).collect();
    assert_eq!(sides, ["client", "server"], "{}", r.stdout);
    let heads: Vec<serde_json::Value> = json_lines(&r.stdout)
        .into_iter()
        .filter(|e| e["type"] == "request" || e["type"] == "response")
        .collect();
    assert_eq!(heads.len(), 2, "{}", r.stdout);
    assert_eq!(
        (&heads[0]["type"], &heads[0]["from"]),
        (&"request".into(), &"client".into())
    );
    assert_eq!(
        (&heads[1]["type"], &heads[1]["from"]),
        (&"response".into(), &"server".into())
    );
    assert_eq!(
        heads[1]["valid"], true,
        "the accept value checked against the key"
    );
}

/// --skip N leaves the first N bytes out, and says so.
#[test]
fn decode_skip_leaves_bytes_out() {
    let r = wsdbg(&["decode", "--skip", "2", "00 00 81 83 3d 54 23 06 70 10 6d"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "read 11 bytes of hex; the first 2 skipped (--skip), the 9 after them decoded"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"MDN\""), "{}", r.stdout);
    let r = wsdbg(&["decode", "--skip", "11", "00 00 81 83 3d 54 23 06 70 10 6d"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing would be left"), "{}", r.stderr);
}

#[test]
fn proxy_options_that_do_not_go_together_are_refused_before_listening() {
    for (args, says) in [
        (
            &["proxy", "--forward", "ws://127.0.0.1:1/"][..],
            "--forward",
        ),
        (
            &["proxy", "--intercept", "a.example", "ws://127.0.0.1:1/"],
            "--intercept",
        ),
        (&["proxy", "--forward", "--tls"], "--tls"),
        (
            &["proxy", "--forward", "--intercept", "a/b"],
            "host name pattern",
        ),
        (
            &["proxy", "--intercept-messages", "/[/", "ws://127.0.0.1:1/"],
            "not a regular expression",
        ),
    ] {
        let r = wsdbg_with(args, None, &[("XDG_DATA_HOME", "/nonexistent/wsdbg-test")]);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("listening"), "{args:?}: {}", r.stderr);
    }
}
