#![no_main]
use libfuzzer_sys::fuzz_target;
use wsdbg::protocol::deflate::DeflateParams;
use wsdbg::protocol::stream::Config;
use wsdbg::protocol::transcript;
use wsdbg::protocol::Role;

fuzz_target!(|data: &[u8]| {
    let _ = transcript::read(data, None);
    let _ = transcript::read(data, Some(Role::Client));
    let t = transcript::read_with(
        data,
        Config {
            deflate: Some(DeflateParams::default()),
            ..Config::default()
        },
    );
    std::hint::black_box(&t.summary);
});
