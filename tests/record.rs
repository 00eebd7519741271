//! `--record FILE` on serve, connect and proxy: the file is a pcapng that
//! `wsdbg decode` (and, in tests/capture_wireshark.rs, tshark) reads back
//! into the conversation that happened, written as it happens.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Kill, Server};
use serde_json::Value;
use tungstenite::{Message, WebSocket};

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");

/// `wsdbg decode --json --full FILE`: its events, and its exit code.
fn decode(file: &Path) -> (Vec<Value>, i32, String) {
    let out = Command::new(WSDBG)
        .args(["decode", "--json", "--full"])
        .arg(file)
        .output()
        .expect("run wsdbg decode");
    let events = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        events,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The texts of the whole messages decoded, as (connection, side, text).
fn texts(events: &[Value]) -> Vec<(u64, String, String)> {
    events
        .iter()
        .filter(|e| e["type"] == "frame" && e["data"]["message"]["kind"] == "text")
        .filter_map(|e| {
            let d = &e["data"];
            // A message of one uncompressed frame is that frame's text.
            let text = d["message"]["text"].as_str().or(d["text"].as_str())?;
            Some((
                d["conn"].as_u64()?,
                d["from"].as_str()?.to_string(),
                text.to_string(),
            ))
        })
        .collect()
}

/// `wsdbg serve -q` recording into `file`.
fn serve_recording(dir: &Path, file: &Path) -> Server {
    Server::launch(
        &[
            "serve",
            "-q",
            "--no-console",
            "--listen",
            "127.0.0.1:0",
            "--record",
            file.to_str().unwrap(),
        ],
        dir,
        &[],
    )
}

fn client(port: u16) -> WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>> {
    let (ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}/rec?x=1")).unwrap();
    ws
}

fn said(ws: &mut WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>, text: &str) {
    ws.send(Message::text(text)).unwrap();
    loop {
        match ws.read().unwrap() {
            Message::Text(t) => {
                assert_eq!(t.as_str(), text);
                return;
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected the echo of {text:?}, got {other:?}"),
        }
    }
}

#[test]
fn serve_records_what_its_clients_said_and_decode_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serve.pcapng");
    let server = serve_recording(dir.path(), &file);
    let mut ws = client(server.port);
    said(&mut ws, "first");
    ws.send(Message::binary(vec![7u8; 100_000])).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(vec![7u8; 100_000]));
    said(&mut ws, "second ✓");
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    let mut other = client(server.port);
    said(&mut other, "from the other");
    drop(other);
    std::thread::sleep(Duration::from_millis(300));
    // Read while the server still runs: what was said is there already.
    let (events, code, err) = decode(&file);
    assert_eq!(code, 0, "{err}");
    let texts = texts(&events);
    for (conn, text) in [(1, "first"), (1, "second ✓"), (2, "from the other")] {
        for side in ["client", "server"] {
            assert!(
                texts.contains(&(conn, side.to_string(), text.to_string())),
                "{text:?} from the {side} of {conn} not in {texts:?}"
            );
        }
    }
    let binaries = events
        .iter()
        .filter(|e| e["data"]["message"]["kind"] == "binary")
        .filter(|e| e["data"]["message"]["length"] == 100_000)
        .count();
    assert_eq!(binaries, 2, "the binary message both ways");
    // The first connection closed cleanly, both ways.
    let closes = events
        .iter()
        .filter(|e| e["type"] == "frame" && e["data"]["conn"] == 1)
        .filter(|e| e["data"]["opcode"] == 8)
        .count();
    assert_eq!(closes, 2, "a close frame each way");
}

#[test]
fn connect_and_proxy_record_their_connections() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = Server::launch(
        &["serve", "-q", "--no-console", "--listen", "127.0.0.1:0"],
        dir.path(),
        &[],
    );
    let through = dir.path().join("proxy.pcapng");
    let proxy = Server::launch(
        &[
            "proxy",
            "-q",
            "--no-console",
            "--listen",
            "127.0.0.1:0",
            "--record",
            through.to_str().unwrap(),
            &format!("ws://127.0.0.1:{}/", upstream.port),
        ],
        dir.path(),
        &[],
    );
    let mine = dir.path().join("connect.pcapng");
    let mut connect = Command::new(WSDBG)
        .args(["connect", "-q", "--record"])
        .arg(&mine)
        .arg(format!("ws://127.0.0.1:{}/via", proxy.port))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    connect
        .stdin
        .take()
        .unwrap()
        .write_all(b"through the proxy\n")
        .unwrap();
    let mut err = connect.stderr.take().unwrap();
    let mut connect = Kill(connect);
    let status = connect.0.wait().unwrap();
    let mut said = String::new();
    std::io::Read::read_to_string(&mut err, &mut said).unwrap();
    assert!(status.success(), "{said}");
    std::thread::sleep(Duration::from_millis(300));
    // connect's file: its one connection, the line sent and its echo.
    let (events, code, err) = decode(&mine);
    assert_eq!(code, 0, "{err}");
    let t = texts(&events);
    assert!(
        t.contains(&(1, "client".into(), "through the proxy".into())),
        "{t:?}"
    );
    assert!(
        t.contains(&(1, "server".into(), "through the proxy".into())),
        "{t:?}"
    );
    // The proxy's: both legs, the client's and the upstream's, each with
    // the message both ways.
    let (events, code, err) = decode(&through);
    assert_eq!(code, 0, "{err}");
    let t = texts(&events);
    for conn in [1, 2] {
        for side in ["client", "server"] {
            assert!(
                t.contains(&(conn, side.into(), "through the proxy".into())),
                "leg {conn}, {side}: {t:?}"
            );
        }
    }
    // Each open shows once its 101 is answered: the upstream's first.
    let mut ports: Vec<(u64, u64)> = events
        .iter()
        .filter(|e| e["type"] == "open")
        .filter_map(|e| {
            let port = e["data"]["server"]
                .as_str()?
                .rsplit(':')
                .next()?
                .parse()
                .ok()?;
            Some((e["data"]["conn"].as_u64()?, port))
        })
        .collect();
    ports.sort();
    let ports: Vec<u64> = ports.into_iter().map(|p| p.1).collect();
    assert_eq!(
        ports,
        [u64::from(proxy.port), u64::from(upstream.port)],
        "the client's leg to the proxy, then the proxy's to the server"
    );
}

#[test]
fn a_killed_server_leaves_a_recording_readable_to_its_last_packet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("killed.pcapng");
    let mut server = serve_recording(dir.path(), &file);
    let mut ws = client(server.port);
    for i in 0..50 {
        said(&mut ws, &format!("message {i}"));
    }
    // An echo is recorded just after the socket took it: the client may
    // read it a moment before.
    std::thread::sleep(Duration::from_millis(200));
    server.kill();
    let (events, code, err) = decode(&file);
    assert_eq!(code, 0, "{err}");
    let t = texts(&events);
    assert!(
        t.contains(&(1, "server".into(), "message 49".into())),
        "{t:?}"
    );
}

#[test]
fn a_recording_that_cannot_be_written_is_refused_before_listening() {
    for cmd in [
        &["serve", "--no-console", "--listen", "127.0.0.1:0"][..],
        &[
            "proxy",
            "--no-console",
            "--listen",
            "127.0.0.1:0",
            "ws://127.0.0.1:9/",
        ],
        &["connect", "ws://127.0.0.1:9/"],
    ] {
        let out = Command::new(WSDBG)
            .args(cmd)
            .args(["--record", "/nonexistent/dir/x.pcapng"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(
            err.contains("cannot record to /nonexistent/dir/x.pcapng: No such file or directory"),
            "{cmd:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{cmd:?}: {err}");
    }
}
