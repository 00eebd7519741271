//! Captures built in the test, read back through [`Capture`].

use std::net::SocketAddr;

use super::synth::{self, Flags, Link, Tcp};
use super::*;
use crate::protocol::Role;

/// A flow with its bytes owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Opened(u64, SocketAddr, SocketAddr, Option<String>),
    Data(u64, Role, Vec<u8>),
    Gap(u64, Role, u64),
    Ended(u64),
    MidStream(u64, Role),
}

fn read(file: &[u8], port: Option<u16>) -> Result<(Vec<Got>, Stats), CaptureError> {
    let format = Format::sniff(file).expect("a capture");
    let mut c = Capture::new(format, file[..4].to_vec(), &file[4..], port)?;
    let mut got: Vec<Got> = Vec::new();
    let mut sink = |_when, f: Flow<'_>| -> Result<(), CaptureError> {
        let g = match f {
            Flow::Opened {
                conn,
                client,
                server,
                target,
            } => Got::Opened(conn, client, server, target),
            Flow::Data { conn, from, bytes } => {
                // Consecutive data of one side is one stream.
                if let Some(Got::Data(c, r, b)) = got.last_mut() {
                    if *c == conn && *r == from {
                        b.extend_from_slice(bytes);
                        return Ok(());
                    }
                }
                Got::Data(conn, from, bytes.to_vec())
            }
            Flow::Gap { conn, from, len } => Got::Gap(conn, from, len),
            Flow::Ended { conn, .. } => Got::Ended(conn),
            Flow::MidStream { conn, from } => Got::MidStream(conn, from),
        };
        got.push(g);
        Ok(())
    };
    while c.step(&mut sink)? {}
    Ok((got, c.stats()))
}

fn addrs(v6: bool) -> (SocketAddr, SocketAddr) {
    if v6 {
        (
            "[2001:db8::1]:50000".parse().unwrap(),
            "[2001:db8::2]:8080".parse().unwrap(),
        )
    } else {
        (
            "10.0.0.1:50000".parse().unwrap(),
            "10.0.0.2:8080".parse().unwrap(),
        )
    }
}

/// The data one side sent, all of it, with gaps as `None`.
fn stream(got: &[Got], conn: u64, role: Role) -> Vec<Option<Vec<u8>>> {
    got.iter()
        .filter_map(|g| match g {
            Got::Data(c, r, b) if *c == conn && *r == role => Some(Some(b.clone())),
            Got::Gap(c, r, n) if *c == conn && *r == role => Some(None).filter(|_| *n > 0),
            _ => None,
        })
        .collect()
}

fn joined(got: &[Got], conn: u64, role: Role) -> Vec<u8> {
    stream(got, conn, role)
        .into_iter()
        .flatten()
        .flatten()
        .collect()
}

#[test]
fn every_link_type_both_ip_versions_pcap_and_pcapng() {
    let links = [
        Link::Ethernet,
        Link::Sll,
        Link::Sll2,
        Link::Null,
        Link::Loop,
        Link::Raw,
    ];
    for (i, link) in links.into_iter().enumerate() {
        for v6 in [false, true] {
            let ng = (i + usize::from(v6)) % 2 == 0;
            let (client, server) = addrs(v6);
            let mut t = Tcp::new(link, ng, client, server);
            let (req, resp) = synth::handshake(None, None);
            let hello = synth::client_frame(0x81, b"hello");
            let back = synth::server_frame(0x81, b"hello");
            t.open();
            t.send(0, &req);
            t.send(1, &resp);
            t.send(0, &hello);
            t.send(1, &back);
            t.close();
            let (got, stats) = read(&t.file, None).unwrap();
            let what = format!("{link:?}, v6 {v6}, pcapng {ng}");
            assert_eq!(
                got[0],
                Got::Opened(1, client, server, Some("/chat".into())),
                "{what}"
            );
            assert_eq!(
                joined(&got, 1, Role::Client),
                [req, hello].concat(),
                "{what}"
            );
            assert_eq!(
                joined(&got, 1, Role::Server),
                [resp, back].concat(),
                "{what}"
            );
            assert!(!got.iter().any(|g| matches!(g, Got::Gap(..))), "{what}");
            assert_eq!(got.last(), Some(&Got::Ended(1)), "{what}");
            assert_eq!((stats.connections, stats.websocket), (1, 1), "{what}");
        }
    }
}

#[test]
fn out_of_order_and_retransmitted_segments_are_put_in_order_once() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Ethernet, false, client, server);
    let (req, resp) = synth::handshake(None, None);
    t.open();
    t.send(0, &req);
    t.send(1, &resp);
    let frame = synth::client_frame(0x82, &[7u8; 100]);
    let (a, rest) = frame.split_at(30);
    let (b, c) = rest.split_at(40);
    let s = t.seq[0];
    let ack = Flags {
        ack: Some(t.seq[1]),
        ..Flags::default()
    };
    t.raw(0, s, ack, a, 0);
    t.raw(0, s + 70, ack, c, 0); // early
    t.raw(0, s + 30, ack, b, 0); // fills the hole
    t.raw(0, s + 30, ack, b, 0); // retransmitted
    t.raw(0, s, ack, &frame, 0); // retransmitted whole
    t.seq[0] = s + frame.len() as u32;
    t.ack_all(0);
    let (got, _) = read(&t.file, None).unwrap();
    assert_eq!(joined(&got, 1, Role::Client), [req, frame].concat());
    assert!(!got.iter().any(|g| matches!(g, Got::Gap(..))));
}

#[test]
fn a_segment_missing_from_the_capture_is_a_gap_of_its_size() {
    let (client, server) = addrs(true);
    let mut t = Tcp::new(Link::Sll2, true, client, server);
    let (req, resp) = synth::handshake(None, None);
    t.open();
    t.send(0, &req);
    t.send(1, &resp);
    t.send(1, b"abc");
    t.skip(1, 1448);
    t.send(1, b"xyz");
    // The client acknowledges all: it had the bytes the capture lacks.
    t.ack_all(1);
    let (got, _) = read(&t.file, None).unwrap();
    assert_eq!(
        stream(&got, 1, Role::Server),
        [
            Some([resp, b"abc".to_vec()].concat()),
            None,
            Some(b"xyz".to_vec())
        ]
    );
    assert!(got.contains(&Got::Gap(1, Role::Server, 1448)));
}

#[test]
fn a_hole_never_acknowledged_is_a_gap_at_the_end_of_the_capture() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Raw, false, client, server);
    let (req, resp) = synth::handshake(None, None);
    t.open();
    t.send(0, &req);
    t.send(1, &resp);
    let s = t.skip(0, 10);
    t.raw(0, s + 10, Flags::default(), b"late", 0);
    let (got, _) = read(&t.file, None).unwrap();
    let gap = got.iter().position(|g| *g == Got::Gap(1, Role::Client, 10));
    let late = got
        .iter()
        .position(|g| *g == Got::Data(1, Role::Client, b"late".to_vec()));
    assert!(gap.is_some() && gap < late, "{got:?}");
}

#[test]
fn bytes_cut_by_the_snapshot_length_are_a_gap() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Ethernet, true, client, server);
    let (req, resp) = synth::handshake(None, None);
    t.open();
    t.send(0, &req);
    t.send(1, &resp);
    let s = t.seq[1];
    let ack = Flags {
        ack: Some(t.seq[0]),
        ..Flags::default()
    };
    t.raw(1, s, ack, &[9u8; 100], 60);
    t.seq[1] = s + 100;
    t.send(1, b"next");
    let (got, _) = read(&t.file, None).unwrap();
    assert_eq!(
        stream(&got, 1, Role::Server),
        [
            Some([resp, vec![9u8; 40]].concat()),
            None,
            Some(b"next".to_vec())
        ]
    );
    assert!(got.contains(&Got::Gap(1, Role::Server, 60)));
}

#[test]
fn mid_connection_needs_the_port_and_the_port_names_the_server() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Null, false, client, server);
    // No SYN, no handshake: the server speaks first in the capture.
    let back = synth::server_frame(0x81, b"late");
    let ping = synth::client_frame(0x89, b"");
    t.send(1, &back);
    t.send(0, &ping);
    let (got, stats) = read(&t.file, None).unwrap();
    assert!(got.is_empty() && stats.websocket == 0, "{got:?}");
    assert_eq!(stats.connections, 1);
    // What --port would decode is found, to be suggested.
    assert_eq!(stats.frames_on_port, Some(8080));
    let (got, stats) = read(&t.file, Some(8080)).unwrap();
    assert_eq!(got[0], Got::Opened(1, client, server, None));
    assert_eq!(joined(&got, 1, Role::Server), back);
    assert_eq!(joined(&got, 1, Role::Client), ping);
    assert_eq!(stats.websocket, 1);
    // Another port: nothing.
    let (got, _) = read(&t.file, Some(9)).unwrap();
    assert!(got.is_empty());
}

#[test]
fn plain_http_is_not_websocket_and_keeps_nothing() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Ethernet, false, client, server);
    t.open();
    t.send(0, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    t.send(1, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    t.close();
    let (got, stats) = read(&t.file, None).unwrap();
    assert!(got.is_empty());
    assert_eq!((stats.connections, stats.websocket), (1, 0));
}

#[test]
fn connections_are_numbered_in_the_order_found() {
    let file = synth::two_connections(|i| format!("#{i}"));
    let (got, stats) = read(&file, None).unwrap();
    assert_eq!(stats.websocket, 2);
    assert!(joined(&got, 1, Role::Client).ends_with(&synth::client_frame(0x81, b"#1")));
    assert!(joined(&got, 2, Role::Client).ends_with(&synth::client_frame(0x81, b"#2")));
    // The capture ends with both open: they end in order.
    let ends: Vec<_> = got.iter().filter(|g| matches!(g, Got::Ended(_))).collect();
    assert_eq!(ends, [&Got::Ended(1), &Got::Ended(2)]);
}

#[test]
fn a_truncated_capture_names_the_packet_and_the_byte() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Ethernet, false, client, server);
    t.open();
    let at = t.file.len();
    t.send(0, b"GET / HTTP/1.1\r\n");
    let cut = &t.file[..at + 20];
    let err = read(cut, None).unwrap_err();
    assert_eq!(
        err,
        CaptureError::Malformed {
            packet: 4,
            in_packet: true,
            offset: at as u64,
            what: format!(
                "the file ends inside a packet record of 16 + {} bytes: 20 bytes present (the capture is truncated)",
                t.file.len() - at - 16
            )
        }
    );
    // A header cut short.
    let err = read(&t.file[..10], None).unwrap_err();
    assert!(err.to_string().contains("ends inside its header"), "{err}");
}

#[test]
fn a_pcapng_block_with_a_broken_length_is_an_error_not_a_panic() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Ethernet, true, client, server);
    t.open();
    let mut file = t.file.clone();
    // The last block's trailing length disagrees with its leading one.
    let n = file.len();
    file[n - 4] ^= 0x40;
    let err = read(&file, None).unwrap_err();
    assert!(
        matches!(err, CaptureError::Malformed { packet: 3, .. }),
        "{err:?}"
    );
    // A length that claims gigabytes.
    let mut file = synth::pcap(Link::Ethernet);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&u32::MAX.to_le_bytes());
    file.extend_from_slice(&u32::MAX.to_le_bytes());
    file.extend_from_slice(&[0; 64]);
    let err = read(&file, None).unwrap_err();
    assert!(
        matches!(
            err,
            CaptureError::Malformed {
                packet: 1,
                offset: 24,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn damaged_captures_give_errors_or_gaps_never_a_panic() {
    let (client, server) = addrs(false);
    let mut files = Vec::new();
    for (link, ng) in [
        (Link::Ethernet, false),
        (Link::Sll2, true),
        (Link::Null, true),
    ] {
        let mut t = Tcp::new(link, ng, client, server);
        let (req, resp) = synth::handshake(Some("permessage-deflate"), Some("permessage-deflate"));
        t.open();
        t.send(0, &req);
        t.send(1, &resp);
        t.send(0, &synth::client_frame(0x81, b"hello"));
        t.send(1, &synth::server_frame(0x82, &[1u8; 300]));
        t.close();
        files.push(t.file);
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..1000 {
        let mut f = files[round % files.len()].clone();
        // Flip a few bytes past the magic number, or cut the file short.
        for _ in 0..1 + next() % 4 {
            let at = 4 + (next() as usize) % (f.len() - 4);
            f[at] = next() as u8;
        }
        if round % 7 == 0 {
            f.truncate(4 + (next() as usize) % (f.len() - 4));
        }
        let _ = read(&f, (round % 2 == 0).then_some(8080));
    }
}

#[test]
fn tls_is_counted_and_not_kept() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Ethernet, false, client, server);
    t.open();
    t.send(0, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    let (got, stats) = read(&t.file, None).unwrap();
    assert!(got.is_empty());
    assert_eq!((stats.connections, stats.websocket, stats.tls), (1, 0, 1));
}

/// A pcap file in big-endian order with nanosecond timestamps, from a
/// little-endian microsecond one written by [`synth`].
fn big_endian_nanos(le: &[u8]) -> Vec<u8> {
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
    f.extend_from_slice(&2u16.to_be_bytes());
    f.extend_from_slice(&4u16.to_be_bytes());
    for at in [8, 12, 16, 20] {
        f.extend_from_slice(&u32_at(le, at).to_be_bytes());
    }
    let mut at = 24;
    while at < le.len() {
        let caplen = u32_at(le, at + 8) as usize;
        f.extend_from_slice(&u32_at(le, at).to_be_bytes());
        f.extend_from_slice(&(u32_at(le, at + 4) * 1000).to_be_bytes());
        f.extend_from_slice(&u32_at(le, at + 8).to_be_bytes());
        f.extend_from_slice(&u32_at(le, at + 12).to_be_bytes());
        f.extend_from_slice(&le[at + 16..at + 16 + caplen]);
        at += 16 + caplen;
    }
    f
}

#[test]
fn big_endian_pcap_with_nanoseconds_and_packet_times() {
    let (client, server) = addrs(true);
    let mut t = Tcp::new(Link::Raw, false, client, server);
    let (req, resp) = synth::handshake(None, None);
    t.open();
    t.send(0, &req);
    t.send(1, &resp);
    let be = big_endian_nanos(&t.file);
    for (file, what) in [(&t.file, "pcap"), (&be, "big-endian nanosecond pcap")] {
        let format = Format::sniff(file).unwrap();
        let mut c = Capture::new(format, file[..4].to_vec(), &file[4..], None).unwrap();
        let mut times = Vec::new();
        let mut sink = |when: When, f: Flow<'_>| -> Result<(), CaptureError> {
            if let Flow::Data { from, .. } = f {
                times.push((from, when.time));
                assert_eq!(when.packet, Some(if from == Role::Client { 4 } else { 5 }));
            }
            Ok(())
        };
        while c.step(&mut sink).unwrap() {}
        let epoch = |us: u64| Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(us));
        // Packets 4 and 5, a millisecond apart from the first.
        assert_eq!(
            times,
            [
                (Role::Client, epoch(1_790_000_000_004_000)),
                (Role::Server, epoch(1_790_000_000_005_000)),
            ],
            "{what}"
        );
    }
}

#[test]
fn bytes_held_out_of_order_are_bounded_over_all_connections() {
    // Ten connections each hold 7 MiB behind a hole: under the bound of
    // one side, over the bound of all together.
    let (req, resp) = synth::handshake(None, None);
    let chunk = vec![0x42u8; 60_000];
    let mut file = synth::pcap(Link::Raw);
    for i in 0..10u16 {
        let client: SocketAddr = format!("10.0.0.1:{}", 50000 + i).parse().unwrap();
        let mut t = Tcp::new(Link::Raw, false, client, "10.0.0.2:80".parse().unwrap());
        t.open();
        t.send(0, &req);
        t.send(1, &resp);
        t.skip(1, 10);
        for _ in 0..(7 << 20) / chunk.len() {
            t.send(1, &chunk);
        }
        file.extend_from_slice(&t.file[24..]);
    }
    let (got, stats) = read(&file, None).unwrap();
    assert_eq!(stats.websocket, 10);
    // The tenth connection went over the bound and gave up its hole while
    // the capture was read; the others keep theirs until it ends, when
    // they are declared in the order connections were found.
    let gaps: Vec<_> = got
        .iter()
        .filter_map(|g| match g {
            Got::Gap(c, Role::Server, 10) => Some(*c),
            _ => None,
        })
        .collect();
    assert_eq!(gaps, [10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

/// A recording's stream, as `--record` writes it, read back.
fn recorded(v6: bool, big: &[u8]) -> Vec<u8> {
    use crate::protocol::pcapng::{self, Stream};
    let (client, server) = addrs(v6);
    let mut f = pcapng::header("wsdbg test", "a recording\nof one connection");
    // Sequence numbers near the wrap, so that it is crossed.
    let mut s = Stream::new(client, server, [u32::MAX - 10, 7]);
    let t = 1_790_000_000_000_000;
    s.open(&mut f, t, Some("TLS: plaintext")).unwrap();
    let (ask, answer) = synth::handshake(None, None);
    s.data(&mut f, t + 1, Role::Client, &ask).unwrap();
    s.data(&mut f, t + 2, Role::Server, &answer).unwrap();
    s.data(&mut f, t + 3, Role::Client, big).unwrap();
    s.data(&mut f, t + 4, Role::Server, b"\x81\x02hi").unwrap();
    s.fin(&mut f, t + 5, Role::Server).unwrap();
    assert!(!s.is_over());
    s.fin(&mut f, t + 6, Role::Client).unwrap();
    assert!(s.is_over());
    f
}

#[test]
fn a_recording_reads_back_byte_for_byte_in_both_directions() {
    // Over two segments' worth, so that it is split.
    let big: Vec<u8> = (0..150_000u32).map(|i| (i * 7) as u8).collect();
    for v6 in [false, true] {
        let file = recorded(v6, &big);
        let (got, stats) = read(&file, None).unwrap();
        let (client, server) = addrs(v6);
        assert!(
            matches!(&got[0], Got::Opened(1, c, s, Some(t)) if *c == client && *s == server && t == "/chat"),
            "{:?}",
            got[0]
        );
        let (ask, answer) = synth::handshake(None, None);
        let mut sent = ask.clone();
        sent.extend_from_slice(&big);
        assert_eq!(joined(&got, 1, Role::Client), sent);
        let mut back = answer.clone();
        back.extend_from_slice(b"\x81\x02hi");
        assert_eq!(joined(&got, 1, Role::Server), back);
        assert!(!got.iter().any(|g| matches!(g, Got::Gap(..))), "{got:?}");
        assert_eq!(got.last(), Some(&Got::Ended(1)));
        assert_eq!(stats.connections, 1);
    }
}

#[test]
fn a_recording_names_its_writer_and_its_comment() {
    let file = recorded(false, b"x");
    let needle = |s: &[u8]| file.windows(s.len()).any(|w| w == s);
    assert!(needle(b"wsdbg test"));
    assert!(needle(b"a recording\nof one connection"));
    assert!(needle(b"TLS: plaintext"));
    // Every block's length is a multiple of 4 and its two copies agree.
    let mut at = 0;
    while at < file.len() {
        let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
        assert_eq!(len % 4, 0, "block at {at}");
        let tail = u32::from_le_bytes(file[at + len - 4..at + len].try_into().unwrap());
        assert_eq!(tail as usize, len, "block at {at}");
        at += len;
    }
    assert_eq!(at, file.len());
}

#[test]
fn a_section_header_of_a_bad_length_is_an_error_not_a_hang() {
    let (client, server) = addrs(false);
    let mut t = Tcp::new(Link::Raw, true, client, server);
    t.open();
    for len in [0u32, 10, 12, 26, 30] {
        let mut f = t.file.clone();
        f[4..8].copy_from_slice(&len.to_le_bytes());
        let e = read(&f, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("byte 0: a pcapng section header block of {len} bytes: it takes at least 28, a multiple of 4")
        );
    }
}
