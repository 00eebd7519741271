//! End to end: a real capture, decoded by wsdbg and by Wireshark.
//!
//! `dumpcap` records the loopback interface while Python's `websockets`
//! (a client and a server written elsewhere), and then Node's `ws` as a
//! client of the same server, talk over four connections on
//! 127.0.0.1, with permessage-deflate (context taken over), with it and no
//! context takeover either way, and without it: text and binary messages in
//! all three length forms (one of 76,800 bytes and one of 1 MiB, so spread
//! over many TCP segments; the same text twice, which deflate with context
//! takeover sends as a back-reference), fragmented messages (one with a
//! ping between its fragments), a ping and its pong, and a close with a
//! code and a reason. `wsdbg decode --json` and
//! `tshark -T json -x` then read the same file, and every frame must agree,
//! side by side in each direction of each connection: FIN, RSV, opcode,
//! MASK, the 7-bit length, the extended length, the masking key, the
//! payload as sent and unmasked, the close code and reason, the text
//! (inflated, for compressed messages), and the packet that completed it.
//!
//! Needs root (or the capture capability) for dumpcap, tshark, and Python 3
//! with `websockets` (`./test.sh` installs them); without them the test
//! fails, unless `WSDBG_SKIP_WIRESHARK=1` is set, in which case it says it
//! was skipped and passes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rustix::process::{kill_process, Pid, Signal};

use serde_json::Value;

/// Client and server, both of Python's websockets.
const TALK: &str = r#"
import asyncio, sys
from websockets.asyncio.server import serve
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

PORT = int(sys.argv[1])

async def echo(ws):
    try:
        async for m in ws:
            await ws.send(m)
    except Exception:
        pass

async def talk(compression):
    url = f"ws://127.0.0.1:{PORT}/e2e?c={compression}"
    if compression == "no-takeover":
        # Deflate with no context takeover either way: each message is
        # compressed on its own.
        options = dict(compression=None, extensions=[ClientPerMessageDeflateFactory(
            server_no_context_takeover=True, client_no_context_takeover=True)])
    else:
        options = dict(compression=compression)
    async with connect(url, max_size=None, **options) as ws:
        for m in ["hello", "é" * 100, bytes(range(256)) * 300, "x" * 70000,
                  bytes(range(256)) * 4096, "hello", "hello"]:
            await ws.send(m)
            await ws.recv()
        await ws.send(["frag", "ment", "ed ✓"])
        await ws.recv()
        await ws.send([b"\x01\x02", b"\x03"])
        await ws.recv()
        # A ping between the fragments of a message.
        async def fragments():
            yield "between"
            await asyncio.sleep(0.05)
            yield " pings"
        sending = asyncio.create_task(ws.send(fragments()))
        await asyncio.sleep(0.02)
        await ws.ping(b"mid-message")
        await sending
        await ws.recv()
        await ws.ping(b"are you there?")
        await asyncio.sleep(0.05)
        await ws.close(4000, "bye ✓")

async def talks():
    await talk("deflate")
    await talk(None)
    await talk("no-takeover")
    # A fourth connection from a client written in another language.
    node = await asyncio.create_subprocess_exec(
        "node", sys.argv[2], f"ws://127.0.0.1:{PORT}/node")
    assert await node.wait() == 0, "the Node client failed"

async def main():
    if sys.argv[3:] == ["external"]:
        # The server is another's (wsdbg serve --record).
        await talks()
        return
    async with serve(echo, "127.0.0.1", PORT, compression="deflate", max_size=None):
        await talks()

asyncio.run(main())
"#;

/// One frame as both tools describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Frame {
    fin: bool,
    rsv: u8,
    opcode: u8,
    masked: bool,
    len7: u64,
    ext_len: Option<u64>,
    masking_key: Option<String>,
    wire_hex: String,
    unmasked_hex: String,
    close: Option<(u64, String)>,
    /// Compared only where Wireshark gives one.
    text: Option<String>,
    /// The packet that completed the frame (Wireshark's frame number).
    packet: u64,
}

fn show(out: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
            .chars()
            .take(2000)
            .collect::<String>(),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The text messages wsdbg found, by (connection, side), whole (inflated,
/// reassembled from their fragments).
fn wsdbg_texts(file: &Path) -> BTreeMap<(u64, String), Vec<String>> {
    let out = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "--json", "--full"])
        .arg(file)
        .output()
        .expect("run wsdbg");
    let mut by: BTreeMap<(u64, String), Vec<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let d = &e["data"];
        if e["type"] != "frame" || d["message"]["kind"] != "text" {
            continue;
        }
        // A message of one uncompressed frame is that frame's text.
        let text = d["message"]["text"].as_str().or(d["text"].as_str());
        if let Some(t) = text {
            let key = (
                d["conn"].as_u64().unwrap(),
                d["from"].as_str().unwrap().to_string(),
            );
            by.entry(key).or_default().push(t.to_string());
        }
    }
    by
}

/// Records `lo` while the Python peers talk on `port`.
fn record(dir: &Path, port: u16) -> std::path::PathBuf {
    let file = dir.join("talk.pcapng");
    // A 64 MiB capture buffer: the 1 MiB messages arrive faster than a
    // busy machine lets dumpcap write them, and a dropped packet would be
    // a gap in both decodes.
    let mut dumpcap = Command::new("dumpcap")
        .args(["-q", "-B", "64", "-i", "lo", "-f"])
        .arg(format!("tcp port {port}"))
        .arg("-w")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dumpcap");
    // dumpcap says "Capturing on ..." once it captures.
    let (tx, rx) = mpsc::channel();
    let stderr = dumpcap.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut said = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line.contains("Capturing on") => break,
            Ok(line) => said.push(line),
            Err(_) => {
                let _ = dumpcap.kill();
                panic!("dumpcap did not start capturing: {said:?}");
            }
        }
    }
    let out = talk(dir, port, false);
    // Let the last packets reach the capture before it stops.
    std::thread::sleep(Duration::from_millis(500));
    let _ = kill_process(Pid::from_child(&dumpcap), Signal::INT);
    let status = dumpcap.wait().unwrap();
    assert!(
        out.status.success(),
        "the Python peers failed: {}",
        show(&out)
    );
    assert!(status.success(), "dumpcap failed: {status}");
    file
}

/// Runs the Python peers on `port` (and Node's client), with their own
/// server or, `external`, against the one listening there.
fn talk(dir: &Path, port: u16, external: bool) -> Output {
    let script = dir.join("talk.py");
    std::fs::write(&script, TALK).unwrap();
    let node_client = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/ws_client.mjs");
    Command::new("python3")
        .arg(&script)
        .arg(port.to_string())
        .arg(node_client)
        .args(external.then_some("external"))
        .output()
        .expect("run python3")
}

fn hex_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

/// wsdbg's frames by (connection, side).
fn wsdbg_frames(file: &Path) -> BTreeMap<(u64, String), Vec<Frame>> {
    let out = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "--json", "--full"])
        .arg(file)
        .output()
        .expect("run wsdbg");
    assert!(out.status.success(), "wsdbg decode failed: {}", show(&out));
    let mut by = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        // A gap means dumpcap dropped packets: the comparison would only
        // show how each tool shows the loss.
        assert_ne!(e["type"], "gap", "the capture lost packets: {line}");
        if e["type"] != "frame" {
            continue;
        }
        let d = &e["data"];
        let ext_len = match d["length_form"].as_str().unwrap() {
            "7-bit" => None,
            _ => d["payload_length"].as_u64(),
        };
        let len7 = match d["length_form"].as_str().unwrap() {
            "7-bit" => d["payload_length"].as_u64().unwrap(),
            "16-bit" => 126,
            _ => 127,
        };
        let rsv = u8::from(d["rsv1"] == true) << 2
            | u8::from(d["rsv2"] == true) << 1
            | u8::from(d["rsv3"] == true);
        let text = if d["rsv1"] == true {
            d["message"]["text"].as_str().map(str::to_string)
        } else {
            d["text"].as_str().map(str::to_string)
        };
        let f = Frame {
            fin: d["fin"] == true,
            rsv,
            opcode: d["opcode"].as_u64().unwrap() as u8,
            masked: d["masked"] == true,
            len7,
            ext_len,
            masking_key: hex_field(d, "masking_key"),
            wire_hex: hex_field(d, "payload_hex").unwrap_or_default(),
            unmasked_hex: hex_field(d, "unmasked_hex").unwrap_or_default(),
            close: d.get("close").map(|c| {
                (
                    c["code"].as_u64().unwrap(),
                    c["reason"].as_str().unwrap_or_default().to_string(),
                )
            }),
            text,
            packet: d["packet"].as_u64().unwrap(),
        };
        let key = (
            d["conn"].as_u64().unwrap(),
            d["from"].as_str().unwrap().to_string(),
        );
        by.entry(key).or_insert_with(Vec::new).push(f);
    }
    by
}

fn raw(v: &Value, name: &str) -> Option<String> {
    v.get(format!("{name}_raw"))
        .and_then(|r| r.get(0))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
}

fn num(v: &Value, name: &str) -> Option<u64> {
    v.get(name).and_then(Value::as_str).map(|s| {
        s.strip_prefix("0x").map_or_else(
            || s.parse().unwrap(),
            |h| u64::from_str_radix(h, 16).unwrap(),
        )
    })
}

/// Wireshark's frames by (connection, side): connections numbered from 1
/// by tcp.stream, the server being the side whose port is `port`.
fn wireshark_frames(dir: &Path, file: &Path, port: u16) -> BTreeMap<(u64, String), Vec<Frame>> {
    let config = dir.join("wireshark-config");
    std::fs::create_dir_all(&config).unwrap();
    let out = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", &config)
        .args(["-n", "-r"])
        .arg(file)
        .args(["-Y", "websocket", "-T", "json", "-x", "--no-duplicate-keys"])
        .args(["-J", "frame websocket tcp"])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed: {}", show(&out));
    let packets: Value = serde_json::from_slice(&out.stdout).expect("tshark JSON");
    let mut by = BTreeMap::new();
    for p in packets.as_array().unwrap() {
        let layers = &p["_source"]["layers"];
        let tcp = &layers["tcp"];
        let packet = num(&layers["frame"], "frame.number").unwrap();
        let conn = num(tcp, "tcp.stream").unwrap() + 1;
        let from = if num(tcp, "tcp.srcport") == Some(u64::from(port)) {
            "server"
        } else {
            "client"
        };
        let ws: Vec<&Value> = match &layers["websocket"] {
            Value::Array(a) => a.iter().collect(),
            o => vec![o],
        };
        for w in ws {
            let masked = num(w, "websocket.mask") == Some(1);
            let unmasked_hex = raw(w, "websocket.payload").unwrap_or_default();
            let payload = w.get("websocket.payload").filter(|p| p.is_object());
            let close = payload
                .and_then(|p| p.get("websocket.payload.close"))
                .filter(|c| c.is_object())
                .and_then(|c| {
                    Some((
                        num(c, "websocket.payload.close.status_code")?,
                        c.get("websocket.payload.close.reason")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    ))
                });
            let f = Frame {
                fin: num(w, "websocket.fin") == Some(1),
                rsv: num(w, "websocket.rsv").unwrap() as u8,
                opcode: num(w, "websocket.opcode").unwrap() as u8,
                masked,
                len7: num(w, "websocket.payload_length").unwrap(),
                ext_len: num(w, "websocket.payload_length_ext_16")
                    .or_else(|| num(w, "websocket.payload_length_ext_64")),
                masking_key: raw(w, "websocket.masking_key"),
                wire_hex: if masked {
                    raw(w, "websocket.masked_payload").unwrap_or_default()
                } else {
                    unmasked_hex.clone()
                },
                unmasked_hex,
                close,
                text: payload
                    .and_then(|p| p.get("websocket.payload.text"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                packet,
            };
            by.entry((conn, from.to_string()))
                .or_insert_with(Vec::new)
                .push(f);
        }
    }
    by
}

#[test]
fn a_real_capture_decodes_as_wireshark_decodes_it() {
    if std::env::var_os("WSDBG_SKIP_WIRESHARK").is_some_and(|v| v == "1") {
        eprintln!("capture_wireshark: SKIPPED because WSDBG_SKIP_WIRESHARK=1");
        return;
    }
    for tool in ["dumpcap", "tshark", "python3"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success()),
            "{tool} is missing: this test records a capture with dumpcap (as root), runs Python's \
             websockets and compares with tshark (./test.sh installs them; WSDBG_SKIP_WIRESHARK=1 \
             skips it)"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = record(dir.path(), port);
    let said = agree(dir.path(), &file, port);
    eprintln!("capture_wireshark: {said}");
    let said = replay_each(&file);
    eprintln!("capture_wireshark: {said}");
}

/// Each connection of the capture (Python's client with deflate, with no
/// context takeover, without it, and Node's) replayed by `wsdbg replay`
/// against a Python echo server that agrees to deflate: every echo
/// matches the recorded one (the messages compressed anew, the fragments,
/// the ping between them and the close as recorded).
fn replay_each(file: &Path) -> String {
    let mut answers = 0;
    for conn in 1..=4 {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/connect/server.py");
        let mut server = Command::new("python3")
            .args([script, "deflate"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the Python echo server");
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _stop = Stop(server);
        let port = line.trim().strip_prefix("port ").expect("port N");
        let out = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
            .args(["replay", "--json", "--conn", &conn.to_string(), "--to"])
            .arg(format!("ws://127.0.0.1:{port}"))
            .arg(file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "conn {conn}: {}", show(&out));
        let events: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let verdicts: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "answer")
            .map(|e| &e["data"]["verdict"])
            .collect();
        assert!(verdicts.len() >= 3, "conn {conn}: {stdout}");
        assert!(
            verdicts.iter().all(|v| *v == "equal"),
            "conn {conn}: {stdout}"
        );
        assert!(
            !events.iter().any(|e| e["type"] == "note"),
            "conn {conn}: the same extensions agreed: {stdout}"
        );
        answers += verdicts.len();
    }
    format!("4 connections replayed against a Python echo: {answers} answers, all equal")
}

/// wsdbg and tshark read the frames of `file` (the peers' talk on `port`)
/// alike; what was compared.
fn agree(dir: &Path, file: &Path, port: u16) -> String {
    let ours = wsdbg_frames(file);
    // The messages as sent (the script above) settle what each was, whatever
    // either tool shows of it: Wireshark leaves a fragmented compressed
    // message uninflated, so texts are compared with tshark only on frames
    // it shows whole.
    let python = [
        "hello",
        &"é".repeat(100),
        &"x".repeat(70000),
        "fragmented ✓",
        "between pings",
    ];
    let node = ["hello from node", "fragmented by node"];
    for (key, texts) in wsdbg_texts(file) {
        // Connections 1-3 are Python's client, 4 is Node's.
        let sent: &[&str] = if key.0 <= 3 { &python } else { &node };
        for want in sent {
            assert!(
                texts.iter().any(|t| t == want),
                "{key:?}: no message {:?} among {} texts",
                &want[..want.len().min(20)],
                texts.len()
            );
        }
    }
    let theirs = wireshark_frames(dir, file, port);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "the same connections and sides"
    );
    let mut compared = 0;
    let mut texts = 0;
    let mut settled = 0;
    for (key, mine) in &ours {
        let ws = &theirs[key];
        assert_eq!(mine.len(), ws.len(), "{key:?}: frame counts differ");
        for (i, (a, b)) in mine.iter().zip(ws).enumerate() {
            let (mut a, mut b) = (a.clone(), b.clone());
            // Wireshark does not inflate a fragmented compressed message:
            // it shows its DEFLATE bytes as the text of the last fragment.
            // Texts are compared on text frames only.
            if b.text.is_none() || b.opcode == 0 {
                (a.text, b.text) = (None, None);
            } else {
                texts += 1;
            }
            // tshark shows at most 256 KiB of an unmasked payload. Where
            // the two differ so, a third decoder settles it: the payload
            // as sent, unmasked here with its key.
            if b.unmasked_hex.len() < a.unmasked_hex.len()
                && a.unmasked_hex.starts_with(&b.unmasked_hex)
            {
                let wire = hex::decode(&a.wire_hex).unwrap();
                let mask = a.masking_key.as_ref().map(|k| hex::decode(k).unwrap());
                let unmasked: Vec<u8> = match &mask {
                    Some(k) => wire.iter().enumerate().map(|(i, b)| b ^ k[i % 4]).collect(),
                    None => wire,
                };
                assert_eq!(
                    hex::encode(unmasked),
                    a.unmasked_hex,
                    "{key:?} frame {}: wsdbg's unmasked payload",
                    i + 1
                );
                b.unmasked_hex.clone_from(&a.unmasked_hex);
                settled += 1;
            }
            assert_eq!(a, b, "{key:?} frame {}: wsdbg left, Wireshark right", i + 1);
            compared += 1;
        }
    }
    // Three connections of 12 exchanges each, both ways, and a pong.
    assert_eq!(ours.len(), 8, "four connections, two sides each");
    assert!(compared >= 70, "only {compared} frames compared");
    assert!(texts >= 10, "only {texts} texts compared");
    // The client's 1 MiB message on the connection without deflate: tshark
    // cut it (compressed, the others are far shorter).
    assert!(
        settled >= 1,
        "{settled} payloads settled by the third decoder"
    );
    format!(
        "{compared} frames ({texts} with text) agree with tshark, over {} directions; {settled} payloads tshark cut at 256 KiB checked by unmasking them here",
        ours.len()
    )
}

/// Stops the server when the test ends, also when it fails.
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_recording_of_serve_decodes_as_wireshark_decodes_it() {
    if std::env::var_os("WSDBG_SKIP_WIRESHARK").is_some_and(|v| v == "1") {
        eprintln!("capture_wireshark: SKIPPED because WSDBG_SKIP_WIRESHARK=1");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("served.pcapng");
    let live = dir.path().join("live.jsonl");
    let mut server = Stop(
        Command::new(env!("CARGO_BIN_EXE_wsdbg"))
            .args([
                "serve",
                "--trace",
                "--json",
                "--no-console",
                "--deflate",
                "--listen",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--record")
            .arg(&file)
            .stdout(std::fs::File::create(&live).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wsdbg serve"),
    );
    let mut err = BufReader::new(server.0.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("recording every connection to") {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "wsdbg serve ended: {said}"
        );
        said.push_str(&line);
    }
    let out = talk(dir.path(), port, true);
    assert!(
        out.status.success(),
        "the Python peers failed against wsdbg serve: {}",
        show(&out)
    );
    // The peers are gone, their last packets recorded; the file is read
    // while the server still runs, as a user would.
    let said = agree(dir.path(), &file, port);
    let _ = kill_process(Pid::from_child(&server.0), Signal::TERM);
    assert!(server.0.wait().unwrap().success());
    eprintln!("capture_wireshark (serve --record): {said}");
    let said = same_json(&file, &live);
    eprintln!("capture_wireshark (serve --record): {said}");
}

/// `wsdbg decode --json` of the recording says, event for event, what
/// `serve --trace --json` said live, apart from times (`time`,
/// `duration_ms`) and the packet numbers only a file has; decode's
/// closing summary has no live counterpart. Compared connection by
/// connection (connections overlap in time, and each output orders them
/// as it met them).
fn same_json(file: &Path, live: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let by_conn = |text: &str| {
        let mut by: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
        for line in text.lines() {
            let mut e: Value = serde_json::from_str(line).unwrap();
            if e["type"] == "summary" {
                continue;
            }
            let d = e["data"].as_object_mut().unwrap();
            for k in ["time", "packet", "duration_ms"] {
                d.remove(k);
            }
            let conn = d["conn"].as_u64().unwrap_or_else(|| panic!("{line}"));
            by.entry(conn).or_default().push(e);
        }
        by
    };
    let decoded = by_conn(&String::from_utf8_lossy(&out.stdout));
    let shown = by_conn(&std::fs::read_to_string(live).unwrap());
    assert_eq!(
        decoded.keys().collect::<Vec<_>>(),
        shown.keys().collect::<Vec<_>>()
    );
    let mut events = 0;
    for (conn, want) in &shown {
        let got = &decoded[conn];
        for (i, (a, b)) in want.iter().zip(got).enumerate() {
            assert_eq!(a, b, "#{conn} event {}: live left, decode right", i + 1);
        }
        assert_eq!(want.len(), got.len(), "#{conn}: as many events");
        events += want.len();
    }
    format!(
        "decode --json of the recording equals the live --trace --json: {events} events over {} connections",
        shown.len()
    )
}

/// A 16 MiB message each way, binary and text, recorded by `serve --trace
/// --json --record` (no deflate: 16 MiB frames on the wire, over some 260
/// segments each): tshark and `wsdbg decode` find the same frames (packet,
/// side, FIN, opcode, mask and key, the 64-bit length), decode's payloads
/// are the bytes the client sent, and its JSON is what the trace showed.
#[test]
fn a_16_mib_message_recorded_by_serve_decodes_as_wireshark_decodes_it() {
    if std::env::var_os("WSDBG_SKIP_WIRESHARK").is_some_and(|v| v == "1") {
        eprintln!("capture_wireshark: SKIPPED because WSDBG_SKIP_WIRESHARK=1");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("big.pcapng");
    let live = dir.path().join("big.jsonl");
    let mut server = Stop(
        Command::new(env!("CARGO_BIN_EXE_wsdbg"))
            .args(["serve", "--trace", "--json", "--no-console", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--record")
            .arg(&file)
            .stdout(std::fs::File::create(&live).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wsdbg serve"),
    );
    let mut err = BufReader::new(server.0.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("recording every connection to") {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "wsdbg serve ended: {said}"
        );
        said.push_str(&line);
    }
    let script = format!(
        r#"
from websockets.sync.client import connect
with connect("ws://127.0.0.1:{port}/big", max_size=None, compression=None) as ws:
    m = bytes(range(256)) * 65536
    ws.send(m)
    assert ws.recv(timeout=60) == m
    t = ("16 MiB of text " * ((16 << 20) // 15 + 1))[: 16 << 20]
    ws.send(t)
    assert ws.recv(timeout=60) == t
"#
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the Python client failed: {}",
        show(&out)
    );
    std::thread::sleep(Duration::from_millis(300));
    let _ = kill_process(Pid::from_child(&server.0), Signal::TERM);
    assert!(server.0.wait().unwrap().success());

    let theirs = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", dir.path())
        .args(["-n", "-r"])
        .arg(&file)
        .args(["-Y", "websocket", "-T", "fields", "-E", "separator=,"])
        .args([
            "-e",
            "frame.number",
            "-e",
            "tcp.srcport",
            "-e",
            "websocket.fin",
        ])
        .args(["-e", "websocket.opcode", "-e", "websocket.mask"])
        .args([
            "-e",
            "websocket.payload_length_ext_64",
            "-e",
            "websocket.masking_key",
        ])
        .output()
        .expect("run tshark");
    assert!(theirs.status.success(), "{}", show(&theirs));
    let theirs: Vec<String> = String::from_utf8_lossy(&theirs.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let ours = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "--json", "--full"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(ours.status.success(), "{}", show(&ours));
    let mut frames = Vec::new();
    let mut payloads = Vec::new();
    for line in String::from_utf8_lossy(&ours.stdout).lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["type"] != "frame" {
            continue;
        }
        let d = &e["data"];
        assert_eq!(d["complete"], true, "{}", &line[..200.min(line.len())]);
        let len = d["payload_length"].as_u64().unwrap();
        frames.push(format!(
            "{}/{}/{}/{}/{}/{}/{}",
            d["packet"],
            if d["from"] == "server" {
                port.to_string()
            } else {
                "client".into()
            },
            u8::from(d["fin"] == true),
            d["opcode"],
            u8::from(d["masked"] == true),
            if len > 65535 {
                len.to_string()
            } else {
                String::new()
            },
            d["masking_key"].as_str().unwrap_or(""),
        ));
        if len == 16 << 20 {
            payloads.push(d["unmasked_hex"].as_str().unwrap().to_string());
        }
    }
    // tshark names the client's port; wsdbg names the side.
    let theirs: Vec<String> = theirs
        .iter()
        .map(|l| {
            let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
            if f[1] != port.to_string() {
                f[1] = "client".into();
            }
            // As decode gives the opcode, in decimal.
            f[3] = match f[3].strip_prefix("0x") {
                Some(hex) => u8::from_str_radix(hex, 16).unwrap().to_string(),
                None => f[3].clone(),
            };
            f.join("/")
        })
        .collect();
    assert_eq!(frames, theirs, "wsdbg left, tshark right");
    assert_eq!(
        frames.len(),
        6,
        "two 16 MiB messages each way and the closes"
    );
    let binary = hex::encode(
        (0..16 << 20)
            .map(|i: u32| (i % 256) as u8)
            .collect::<Vec<u8>>(),
    );
    assert_eq!(payloads.len(), 4);
    assert_eq!(payloads[0], binary, "the client's binary message");
    assert_eq!(payloads[1], binary, "its echo");
    assert_eq!(payloads[2], payloads[3], "the text and its echo");
    eprintln!(
        "capture_wireshark (16 MiB): {} frames agree with tshark",
        frames.len()
    );
    // And with what serve's trace showed live.
    let said = same_json(&file, &live);
    eprintln!("capture_wireshark (16 MiB): {said}");
}
