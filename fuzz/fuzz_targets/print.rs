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

fn reader(data: &[u8], deflate: bool) -> transcript::Reader<'_> {
    let reader = transcript::Reader::new(data, None);
    if deflate {
        reader.with_deflate()
    } else {
        reader
    }
}

fuzz_target!(|data: &[u8]| {
    let options = TextOptions { explain: true, max_bytes: None };
    // Plain, and with permessage-deflate so inflated messages are printed too.
    for deflate in [false, true] {
        let mut text = TextPrinter::new(Vec::new(), Palette::default(), options);
        text.transcript(&mut reader(data, deflate), "read as fuzz input").unwrap();
        check(&text.into_inner(), "text");
        let mut json = JsonPrinter::new(Vec::new());
        json.transcript(&mut reader(data, deflate), "read as fuzz input").unwrap();
        check(&json.into_inner(), "json");
    }
});
