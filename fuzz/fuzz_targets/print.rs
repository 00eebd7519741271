#![no_main]
use libfuzzer_sys::fuzz_target;
use wsdbg::print::json::JsonPrinter;
use wsdbg::print::text::{TextOptions, TextPrinter};
use wsdbg::print::{Palette, Printer};
use wsdbg::protocol::transcript;

/// Bytes from the input must reach the output escaped: no ESC, no U+202E
/// (e2 80 ae). A plain scan: the output is ~250 bytes per input byte.
fn check(out: &[u8], what: &str) {
    for (i, &b) in out.iter().enumerate() {
        assert!(b != 0x1b, "{what} output contains ESC (0x1b) at {i}");
        if b == 0xe2 {
            assert!(
                out.get(i + 1..i + 3) != Some(&[0x80, 0xae][..]),
                "{what} output contains U+202E at {i}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let t = transcript::read(data, None);
    let options = TextOptions { explain: true, max_bytes: None };

    let mut text = TextPrinter::new(Vec::new(), Palette::default(), options);
    for h in &t.heads {
        text.head(h).unwrap();
    }
    for f in &t.frames {
        text.frame(f).unwrap();
    }
    text.summary(&t.summary, "read as fuzz input").unwrap();
    text.flush().unwrap();
    check(&text.into_inner(), "text");

    let mut json = JsonPrinter::new(Vec::new());
    for h in &t.heads {
        json.head(h).unwrap();
    }
    for f in &t.frames {
        json.frame(f).unwrap();
    }
    json.summary(&t.summary, "read as fuzz input").unwrap();
    json.flush().unwrap();
    check(&json.into_inner(), "json");

    // Inflated messages are printed too: the same, through Printer::transcript.
    let mut reader = transcript::Reader::new(data, None).with_deflate();
    let mut text = TextPrinter::new(Vec::new(), Palette::default(), options);
    text.transcript(&mut reader, "read as fuzz input").unwrap();
    check(&text.into_inner(), "text (deflate)");
    let mut reader = transcript::Reader::new(data, None).with_deflate();
    let mut json = JsonPrinter::new(Vec::new());
    json.transcript(&mut reader, "read as fuzz input").unwrap();
    check(&json.into_inner(), "json (deflate)");
});
