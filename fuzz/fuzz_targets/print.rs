#![no_main]
use libfuzzer_sys::fuzz_target;
use wsdbg::print::json::JsonPrinter;
use wsdbg::print::text::{TextOptions, TextPrinter};
use wsdbg::print::{decode_all, Palette};
use wsdbg::protocol::deflate::DeflateParams;
use wsdbg::protocol::stream::Config;

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

fn config(deflate: bool) -> Config {
    Config {
        deflate: deflate.then(DeflateParams::default),
        ..Config::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let options = TextOptions {
        explain: true,
        max_bytes: None,
    };
    // Plain, and with permessage-deflate so inflated messages are printed too.
    for deflate in [false, true] {
        let mut text = Vec::new();
        let printer = TextPrinter::new(&mut text, Palette::default(), options);
        decode_all(
            printer,
            config(deflate),
            &mut data.to_vec(),
            "read as fuzz input",
        )
        .unwrap();
        check(&text, "text");
        let mut json = Vec::new();
        decode_all(
            JsonPrinter::new(&mut json),
            config(deflate),
            &mut data.to_vec(),
            "read as fuzz input",
        )
        .unwrap();
        check(&json, "json");
    }
});
