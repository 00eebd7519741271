//! Masking throughput (RFC 6455 §5.3) at 1 KiB, 64 KiB and 1 MiB.
//!
//! Groups:
//! - `frame-encode/tungstenite`: tungstenite 0.28 `Frame::format` of a masked
//!   binary frame into a reused `Vec` (its `apply_mask` is private, so this
//!   public path is the only way to measure it). `format` copies the shared
//!   payload into a fresh `Vec`, masks it in place and writes it out.
//! - `frame-encode/wsdbg`: `encode_frame` of the same masked binary frame
//!   into a reused `Vec` (header, copy of the payload, `apply_mask` on it).
//! - `mask-in-place/wsdbg`: `apply_mask` on a buffer, in place.
//! - `mask-in-place/bytewise`: `apply_mask_bytewise`, the byte-at-a-time
//!   reference.
//! - `memcpy`: `copy_from_slice` between two buffers of the same size.
//!
//! Run with `cargo bench --bench mask`; see benches/README.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use tungstenite::protocol::frame::coding::{Data, OpCode as TOpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::Bytes;

use wsdbg::protocol::frame::{encode_frame, FrameHeader};
use wsdbg::protocol::mask::{apply_mask, apply_mask_bytewise};
use wsdbg::protocol::opcode::OpCode;

const KEY: [u8; 4] = [0x3d, 0x54, 0x23, 0x06];
const SIZES: [(usize, &str); 3] = [(1 << 10, "1KiB"), (64 << 10, "64KiB"), (1 << 20, "1MiB")];

fn payload(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect()
}

fn frame_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame-encode");
    for (n, name) in SIZES {
        g.throughput(Throughput::Bytes(n as u64));
        let data = payload(n);
        let shared = Bytes::from(data.clone());
        let mut out: Vec<u8> = Vec::with_capacity(n + 14);

        g.bench_with_input(
            BenchmarkId::new("tungstenite", name),
            &shared,
            |b, shared| {
                b.iter(|| {
                    out.clear();
                    // Cloning `Bytes` is a reference count; `format` then copies
                    // the payload into its own Vec to mask it.
                    let mut frame =
                        Frame::message(shared.clone(), TOpCode::Data(Data::Binary), true);
                    frame.header_mut().mask = Some(KEY);
                    frame.format(&mut out).unwrap();
                    black_box(out.len());
                })
            },
        );

        let mut out: Vec<u8> = Vec::with_capacity(n + 14);
        g.bench_with_input(BenchmarkId::new("wsdbg", name), &data, |b, data| {
            b.iter(|| {
                out.clear();
                let header = FrameHeader::new(true, OpCode::Binary, Some(KEY), data.len() as u64);
                encode_frame(&header, black_box(data), &mut out);
                black_box(out.len());
            })
        });
    }
    g.finish();
}

fn mask_in_place(c: &mut Criterion) {
    let mut g = c.benchmark_group("mask-in-place");
    for (n, name) in SIZES {
        g.throughput(Throughput::Bytes(n as u64));
        let mut buf = payload(n);
        g.bench_function(BenchmarkId::new("wsdbg", name), |b| {
            b.iter(|| apply_mask(black_box(&mut buf), KEY, 0))
        });
        g.bench_function(BenchmarkId::new("bytewise", name), |b| {
            b.iter(|| apply_mask_bytewise(black_box(&mut buf), KEY, 0))
        });
    }
    g.finish();
}

fn memcpy(c: &mut Criterion) {
    let mut g = c.benchmark_group("memcpy");
    for (n, name) in SIZES {
        g.throughput(Throughput::Bytes(n as u64));
        let src = payload(n);
        let mut dst = vec![0u8; n];
        g.bench_function(name, |b| {
            b.iter(|| black_box(&mut dst[..]).copy_from_slice(black_box(&src)))
        });
    }
    g.finish();
}

fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = criterion();
    targets = frame_encode, mask_in_place, memcpy
}
criterion_main!(benches);
