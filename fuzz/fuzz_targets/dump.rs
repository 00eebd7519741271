#![no_main]
use libfuzzer_sys::fuzz_target;
use wsdbg::cmd::input::dump::{parse, parse_with_head, Format};

fuzz_target!(|data: &[u8]| {
    for format in [Format::Auto, Format::Hex, Format::Dec, Format::Base64] {
        let _ = parse(data, format);
    }
    let _ = parse_with_head(data.to_vec(), Format::Auto);
});
