#![no_main]
use libfuzzer_sys::fuzz_target;
use wsdbg::protocol::transcript::{self, Reader};
use wsdbg::protocol::Role;

fuzz_target!(|data: &[u8]| {
    let _ = transcript::read(data, None);
    let _ = transcript::read(data, Some(Role::Client));
    let mut reader = Reader::new(data, None).with_deflate();
    for item in reader.by_ref() {
        std::hint::black_box(&item);
    }
    std::hint::black_box(reader.summary());
});
