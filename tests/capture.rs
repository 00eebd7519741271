//! `wsdbg decode` on capture files, run as the built binary: a real
//! capture (`tests/data/echo-deflate.pcapng`: dumpcap on `lo` while
//! Python's `websockets` 17.4 client and server echoed four messages with
//! permessage-deflate, then a ping and the close handshake), and captures
//! written here for the errors.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use etherparse::PacketBuilder;

const ECHO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/echo-deflate.pcapng"
);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn wsdbg(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wsdbg runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
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
    }
}

fn json(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn a_real_capture_from_a_path_a_file_or_stdin() {
    let by_path = wsdbg(&["decode", "--color", "never", ECHO], None);
    assert_eq!(by_path.code, 0, "{}", by_path.stderr);
    let by_file = wsdbg(&["decode", "--color", "never", "--file", ECHO], None);
    let by_stdin = wsdbg(
        &["decode", "--color", "never"],
        Some(std::fs::read(ECHO).unwrap()),
    );
    // The same but for the name in the summary.
    let rest = |s: &str| s.replace(ECHO, "NAME").replace("stdin", "NAME");
    assert_eq!(rest(&by_path.stdout), rest(&by_file.stdout));
    assert_eq!(rest(&by_path.stdout), rest(&by_stdin.stdout));
    let out = &by_path.stdout;
    assert!(out.contains("#1 open client 127.0.0.1:48794 → server 127.0.0.1:18765 /chat"));
    assert!(out.contains(
        "#1 client · frame 1 · packet 8 · offset 269 · 13 bytes · text, compressed, final, masked"
    ));
    assert!(out.contains("inflated to 5 bytes: \"hello\""));
    assert!(out.contains(
        "#1 server · frame 6 · packet 20 · offset 374 · 4 bytes · close, final, unmasked"
    ));
    assert!(out.contains(
        "summary: 12 frames (4 control), 8 messages complete; both directions of 1 connection"
    ));
    assert!(out.contains("24 packets, 1 TCP connection, 1 WebSocket"));
    assert!(out.contains("✓ no violations"));
}

#[test]
fn json_keeps_the_envelope_and_says_the_connection_and_side() {
    let run = wsdbg(&["decode", "--json", ECHO], None);
    assert_eq!(run.code, 0);
    let events = json(&run.stdout);
    for e in &events {
        let o = e.as_object().unwrap();
        assert_eq!(o.len(), 2, "{e}");
        assert!(o.contains_key("type") && o.contains_key("data"));
    }
    let frames: Vec<_> = events.iter().filter(|e| e["type"] == "frame").collect();
    assert_eq!(frames.len(), 12);
    // Both sides in time order: each echo follows its message.
    let sides: Vec<_> = frames
        .iter()
        .map(|f| f["data"]["from"].as_str().unwrap())
        .collect();
    assert_eq!(sides[..4], ["client", "server", "client", "server"]);
    for f in &frames {
        assert_eq!(f["data"]["conn"], 1);
        assert!(f["data"]["time"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-26T07:51:30"));
        assert_eq!(f["data"]["violations"], serde_json::json!([]));
    }
    // The open comes after the server's 101, as live commands show it.
    let types: Vec<_> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types[..3], ["request", "response", "open"]);
    assert_eq!(types[types.len() - 2..], ["close", "summary"]);
    let open = &events[2]["data"];
    assert_eq!(
        (&open["peer"], &open["server"], &open["target"]),
        (
            &serde_json::json!("127.0.0.1:48794"),
            &serde_json::json!("127.0.0.1:18765"),
            &serde_json::json!("/chat")
        )
    );
    let summary = &events.last().unwrap()["data"];
    assert_eq!(summary["connections"], 1);
    assert_eq!(summary["gaps"], 0);
}

/// A pcap file (Ethernet, little-endian) of TCP segments
/// `(from_client, seq, ack, payload)` between 10.0.0.1:40000 and
/// 10.0.0.2:8080.
fn pcap(segments: &[(bool, u32, u32, &[u8])]) -> Vec<u8> {
    let mut f = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for (i, &(client, seq, ack, payload)) in segments.iter().enumerate() {
        let (src, dst, sp, dp) = if client {
            ([10, 0, 0, 1], [10, 0, 0, 2], 40000, 8080)
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1], 8080, 40000)
        };
        let mut p = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65535)
            .ack(ack)
            .write_to_vec(&mut p, payload)
            .unwrap();
        for v in [1_790_000_000u32, i as u32, p.len() as u32, p.len() as u32] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(&p);
    }
    f
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_capture_that_breaks_the_rules_exits_1_and_a_lost_segment_is_no_violation() {
    let dir = tempfile::tempdir().unwrap();
    // Mid-connection (no handshake): an unmasked client frame breaks
    // RFC 6455 §5.1.
    let file = pcap(&[
        (true, 100, 500, b"\x81\x02hi"),
        (false, 500, 104, b"\x81\x02hi"),
    ]);
    let path = write_temp(dir.path(), "unmasked.pcap", &file);
    let run = wsdbg(&["decode", "--port", "8080", &path], None);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("frame from the client is not masked"),
        "{}",
        run.stdout
    );
    // Server frames with a segment lost between them: said, not a
    // violation.
    let file = pcap(&[
        (false, 500, 100, b"\x82\x01A"),
        (false, 503, 100, b"\x82\x01B"), // not captured below
        (false, 506, 100, b"\x82\x01C"),
        (true, 100, 509, b""),
    ]);
    let lost: Vec<u8> = {
        // Drop the second record: header 24 bytes, records of equal size.
        let record = (file.len() - 24 - (16 + 54)) / 3;
        [&file[..24 + record], &file[24 + 2 * record..]].concat()
    };
    let path = write_temp(dir.path(), "lost.pcap", &lost);
    let run = wsdbg(
        &["decode", "--port", "8080", "--color", "never", &path],
        None,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("3 bytes missing from the capture at offset 3"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("frames found again at offset 6"));
    assert!(run
        .stdout
        .contains("note: 1 gap in the capture, 3 bytes missing"));
}

#[test]
fn a_truncated_or_malformed_capture_exits_2_saying_where() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(ECHO).unwrap();
    let path = write_temp(dir.path(), "cut.pcapng", &whole[..whole.len() - 30]);
    let run = wsdbg(&["decode", &path], None);
    assert_eq!(run.code, 2);
    // The last block is interface statistics, after the last packet.
    assert!(
        run.stderr.contains("byte 3436, after packet 24: the file ends inside a block of type 0x5 and 108 bytes: 78 bytes present (the capture is truncated)"),
        "{}",
        run.stderr
    );
    // From stdin too.
    let run = wsdbg(&["decode"], Some(whole[..700].to_vec()));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("wsdbg: error: stdin: packet 4, byte 596: the file ends inside a block of type 0x6 and 368 bytes: 104 bytes present"),
        "{}",
        run.stderr
    );
    let run = wsdbg(&["decode"], Some(whole[..100].to_vec()));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("byte 0: a pcapng file, but the file ends inside its header"),
        "{}",
        run.stderr
    );
    // A record that claims 4 GiB.
    let mut file = pcap(&[]);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&[0xff; 8]);
    let path = write_temp(dir.path(), "huge.pcap", &file);
    let run = wsdbg(&["decode", &path], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("packet 1, byte 24"), "{}", run.stderr);
}

#[test]
fn capture_flags_are_checked() {
    let run = wsdbg(&["decode", "--conn", "2", ECHO], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("has 1 WebSocket connection"),
        "{}",
        run.stderr
    );
    let run = wsdbg(&["decode", "--from", "client", ECHO], None);
    assert_eq!(run.code, 2);
    let run = wsdbg(&["decode", "--port", "80", "81 00"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("apply to capture files"),
        "{}",
        run.stderr
    );
    // An explicit dump format reads the file's bytes as a dump.
    let run = wsdbg(&["decode", "--raw", "--file", ECHO], None);
    assert_ne!(run.stdout.find("handshake"), Some(0));
    assert!(!run.stdout.contains("both directions of"));
}

/// The capture's packets printed by tshark -x and by tcpdump -x, -xx and
/// -X (made from it by those tools, tests/data/README.md) decode to the
/// same frames and messages as the capture itself; a single packet pasted
/// as a hex stream decodes to its frame, its headers skipped.
#[test]
fn packets_printed_by_tshark_or_tcpdump_decode_as_the_capture() {
    let events = |r: &Run| -> Vec<serde_json::Value> {
        json(&r.stdout)
            .into_iter()
            .filter(|e| e["type"] != "summary")
            .map(|mut e| {
                // Pasted packets carry no times.
                if let Some(d) = e["data"].as_object_mut() {
                    d.remove("time");
                    d.remove("duration_ms");
                }
                e
            })
            .collect()
    };
    let capture = wsdbg(&["decode", "--json", ECHO], None);
    assert_eq!(capture.code, 0, "{}", capture.stderr);
    let want = events(&capture);
    assert_eq!(want.iter().filter(|e| e["type"] == "frame").count(), 12);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    for (file, tool, link) in [
        ("echo-deflate.tshark-x.txt", "tshark -x", "Ethernet"),
        ("echo-deflate.tcpdump-xx.txt", "tcpdump", "Ethernet"),
        ("echo-deflate.tcpdump-x.txt", "tcpdump", "raw IP"),
        ("echo-deflate.tcpdump-X.txt", "tcpdump", "raw IP"),
    ] {
        let path = format!("{data}{file}");
        let r = wsdbg(&["decode", "--json", "--file", &path], None);
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
        assert_eq!(events(&r), want, "{file}");
        let summary = json(&r.stdout).pop().unwrap();
        let read_as = summary["data"]["input"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            read_as.contains(tool) && read_as.contains("24 packets") && read_as.contains(link),
            "{file}: {summary}"
        );
    }
    // Without the handshake (tshark -Y websocket): the server's port is a
    // guess, said as one; the frames are the same ones.
    let path = format!("{data}echo-deflate.tshark-x-websocket.txt");
    let r = wsdbg(&["decode", "--deflate", "--file", &path], None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("port 18765 is taken as the server's")
            && r.stderr.contains("left out 14 blocks tshark derived"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.matches(" · frame ").count(), 12, "{}", r.stdout);
    // One packet as a hex stream (Wireshark's "Copy as Hex Stream"): its
    // Ethernet, IP and TCP headers are skipped, its frame decoded.
    let stream = "000000000000000000000000080045000041c99b4000400673197f0000017f0000\
01be9a494da9af02c26e18de4e80180040fe3500000101080a00df68970f8aefe3c1873e4448aaf40c8563f74348";
    let r = wsdbg(&["decode", "--deflate", stream], None);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("inflated to 5 bytes: \"hello\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(a packet in hex, Ethernet): 1 packet"),
        "{}",
        r.stdout
    );
}

/// Both sides of the conversation as Follow TCP Stream shows them (tshark
/// -z follow,tcp,hex, and as copied from Wireshark's window: no header,
/// node 1 indented with four spaces) decode as the capture does: each side
/// with its own direction and deflate state, no false masking violations.
#[test]
fn follow_tcp_stream_decodes_both_sides() {
    let frames = |r: &Run| -> Vec<serde_json::Value> {
        json(&r.stdout)
            .into_iter()
            .filter(|e| e["type"] == "frame")
            .map(|mut e| {
                let d = e["data"].as_object_mut().unwrap();
                // Made-up packets carry no numbers or times.
                d.remove("time");
                d.remove("packet");
                e
            })
            .collect()
    };
    let capture = wsdbg(&["decode", "--json", ECHO], None);
    let want = frames(&capture);
    assert_eq!(want.len(), 12);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/echo-deflate.follow-hex.txt"
    );
    let r = wsdbg(&["decode", "--json", "--file", path], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(frames(&r), want);
    let text = std::fs::read_to_string(path).unwrap();
    let copied: String = text
        .lines()
        .filter(|l| l.starts_with('0') || l.starts_with('\t'))
        .map(|l| format!("{}\n", l.replacen('\t', "    ", 1)))
        .collect();
    let r = wsdbg(&["decode", "--json", "-"], Some(copied.into_bytes()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(frames(&r), want);
    let open = json(&r.stdout)
        .into_iter()
        .find(|e| e["type"] == "open")
        .unwrap();
    assert_eq!(open["data"]["peer"], "node 0", "{open}");
    let summary = json(&r.stdout).pop().unwrap();
    let input = summary["data"]["input"].as_str().unwrap().to_string();
    assert!(
        input.contains("Follow TCP Stream") && !input.contains("packet"),
        "{input}"
    );
    // The raw view copied without its indentation (both sides run
    // together): a request with its response right after it cannot come
    // from one side, so the frames go to a side by their MASK bit.
    let raw = std::fs::read_to_string(format!(
        "{}/tests/data/echo-deflate.follow-raw.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let flat: String = raw
        .lines()
        .filter(|l| !l.is_empty() && l.trim_start().bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    let r = wsdbg(&["decode", "--json", "-"], Some(flat.into_bytes()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("by their MASK bit"), "{}", r.stderr);
    assert_eq!(frames(&r), want);
    // The raw view (tshark -z follow,tcp,raw: a hex line a run, node 1
    // indented) and the C Arrays view of the same conversation.
    for (file, view) in [
        ("echo-deflate.follow-raw.txt", "raw view"),
        ("echo-deflate.follow-carrays.txt", "C Arrays view"),
    ] {
        let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
        let r = wsdbg(&["decode", "--json", "--file", &path], None);
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
        assert_eq!(frames(&r), want, "{file}");
        let summary = json(&r.stdout).pop().unwrap();
        let input = summary["data"]["input"].as_str().unwrap().to_string();
        assert!(input.contains(view), "{file}: {input}");
    }
}
