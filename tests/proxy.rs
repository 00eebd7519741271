//! End-to-end tests of `wsdbg proxy` between peers nobody here wrote: a
//! tungstenite or Python `websockets` client on one side, `wsdbg serve` or
//! a Python `websockets` server on the other. Every process listens on
//! 127.0.0.1 on a free port and is killed by a guard, also when a test
//! fails; every wait is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tungstenite::Message;

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");
const PATIENCE: Duration = Duration::from_secs(15);

/// A running process whose stdout and stderr are collected; killed when
/// dropped.
struct Proc {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
    port: u16,
}

fn collect(from: impl Read + Send + 'static, into: Arc<Mutex<String>>, tell: mpsc::Sender<()>) {
    thread::spawn(move || {
        let mut r = BufReader::new(from);
        let mut line = String::new();
        while r.read_line(&mut line).is_ok_and(|n| n > 0) {
            into.lock().unwrap().push_str(&line);
            line.clear();
            let _ = tell.send(());
        }
    });
}

impl Proc {
    /// `wsdbg ARGS --color never`, once it prints `listening on ws://127.0.0.1:PORT/`.
    fn wsdbg(args: &[&str]) -> Proc {
        let mut child = Command::new(WSDBG)
            .args(args)
            .args(["--color", "never"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wsdbg");
        let (out, err) = (
            Arc::new(Mutex::new(String::new())),
            Arc::new(Mutex::new(String::new())),
        );
        let (tx, rx) = mpsc::channel();
        collect(child.stdout.take().unwrap(), out.clone(), tx.clone());
        collect(child.stderr.take().unwrap(), err.clone(), tx);
        let mut p = Proc {
            child,
            out,
            err,
            port: 0,
        };
        let start = Instant::now();
        loop {
            let e = p.err.lock().unwrap().clone();
            if let Some(i) = e.find("listening on ws://127.0.0.1:") {
                let rest = &e[i + 28..];
                p.port = rest[..rest.find('/').unwrap()].parse().unwrap();
                return p;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "wsdbg {args:?} never listened: {e}"
            );
            let _ = rx.recv_timeout(Duration::from_millis(100));
        }
    }

    fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn wait_out(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let o = self.out();
            if ready(&o) {
                return o;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "stdout never showed {what}:\n{o}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wsdbg serve` upstream and `wsdbg proxy` in front of it, at `path`.
fn serve_and_proxy(path: &str) -> (Proc, Proc) {
    let upstream = Proc::wsdbg(&["serve", "--no-console", "--listen", "127.0.0.1:0"]);
    let url = format!("ws://127.0.0.1:{}{path}", upstream.port);
    let proxy = Proc::wsdbg(&["proxy", "--listen", "127.0.0.1:0", &url]);
    (upstream, proxy)
}

fn ws(port: u16, path: &str) -> tungstenite::WebSocket<TcpStream> {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    let (ws, resp) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}").as_str(), s)
        .expect("handshake through the proxy");
    assert_eq!(resp.status(), 101);
    ws
}

#[test]
fn tungstenite_through_the_proxy_to_serve_and_back() {
    let (upstream, proxy) = serve_and_proxy("/base");
    let mut c = ws(proxy.port, "/chat?x=1");
    c.send(Message::text("through")).unwrap();
    assert_eq!(c.read().unwrap(), Message::text("through"));
    c.send(Message::binary(vec![1, 2, 255])).unwrap();
    assert_eq!(c.read().unwrap(), Message::binary(vec![1, 2, 255]));
    c.close(None).unwrap();
    while c.read().is_ok() {}
    drop(c);
    // The upstream saw the URL's path with the client's after it.
    upstream.wait_out("the joined path", |o| {
        o.contains("#1 open") && o.contains(" /base/chat?x=1")
    });
    let out = proxy.wait_out("the closing line", |o| o.contains("#1 closed"));
    for want in [
        "#1 open 127.0.0.1:",
        "#1 client: text 7 bytes: \"through\"",
        "#1 server: text 7 bytes: \"through\"",
        "#1 client: binary 3 bytes: 01 02 ff",
        "#1 server: binary 3 bytes: 01 02 ff",
        "#1 closed by the client",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
}

/// 12 MiB each way, the client slow to read: what a side does not take at
/// once waits in the relay, in order, and every byte arrives.
#[test]
fn a_large_message_to_a_slow_reader_arrives_whole() {
    let (_upstream, proxy) = serve_and_proxy("/");
    let mut c = ws(proxy.port, "/");
    let big: Vec<u8> = (0..12 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
    c.send(Message::binary(big.clone())).unwrap();
    // The echo piles up behind a client that does not read yet.
    thread::sleep(Duration::from_millis(500));
    match c.read().unwrap() {
        Message::Binary(b) => assert!(b[..] == big[..], "the echo differs"),
        other => panic!("{other:?}"),
    }
    c.close(None).unwrap();
    while c.read().is_ok() {}
    let out = proxy.wait_out("the closing line", |o| o.contains("#1 closed"));
    assert!(out.contains("#1 client: binary 12582912 bytes"), "{out}");
    assert!(out.contains("#1 server: binary 12582912 bytes"), "{out}");
}

/// A broken frame reaches the upstream as it was sent: the upstream fails
/// the connection with 1002, and the proxy shows both the broken frame and
/// the answer.
#[test]
fn a_broken_frame_passes_unrepaired() {
    let (upstream, proxy) = serve_and_proxy("/");
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut b = [0u8; 1024];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut b).unwrap();
        assert!(n > 0, "the proxy hung up: {got:?}");
        got.extend_from_slice(&b[..n]);
    }
    assert!(
        got.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    assert!(String::from_utf8_lossy(&got).contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    // RSV2 set, masked "hi".
    s.write_all(&[0xa1, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2])
        .unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    drop(s);
    assert!(rest.starts_with(&[0x88]), "{rest:02x?}");
    assert_eq!(u16::from_be_bytes([rest[2], rest[3]]), 1002, "{rest:02x?}");
    upstream.wait_out("the upstream's failure", |o| o.contains("#1 failed"));
    let out = proxy.wait_out("the closing line", |o| o.contains("#1 closed"));
    assert!(
        out.contains("RSV2 is set but no extension was negotiated"),
        "{out}"
    );
    assert!(
        out.contains("#1 server: close 1002 (Protocol Error)"),
        "{out}"
    );
}

/// When one side has ended and the other stays, the other gets a few
/// seconds (the linger) and is then cut, so no connection or thread is
/// held forever; the closing line says no close frame passed.
#[test]
fn a_side_that_never_ends_is_cut_after_the_linger() {
    // An upstream that answers the upgrade and then never reads or ends.
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let up_port = upstream.local_addr().unwrap().port();
    let (done, release) = mpsc::channel::<()>();
    let held = thread::spawn(move || {
        let (mut s, _) = upstream.accept().unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut b).unwrap();
            assert!(n > 0);
            head.extend_from_slice(&b[..n]);
        }
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n").unwrap();
        // Held open and silent, even after the proxy passes the client's
        // end on, until the test is over.
        let _ = release.recv_timeout(PATIENCE);
        drop(s);
    });
    let proxy = Proc::wsdbg(&[
        "proxy",
        "--listen",
        "127.0.0.1:0",
        &format!("ws://127.0.0.1:{up_port}/"),
    ]);
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut b = [0u8; 1024];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut b).unwrap();
        assert!(n > 0, "the proxy hung up: {got:?}");
        got.extend_from_slice(&b[..n]);
    }
    // The client ends its side and waits; the upstream does not answer.
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let start = Instant::now();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("the proxy ends the client's side");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(9),
        "cut after {waited:?}"
    );
    let _ = done.send(());
    held.join().unwrap();
    let out = proxy.wait_out("the closing line", |o| o.contains("#1 closed"));
    assert!(out.contains("without a close frame"), "{out}");
}

#[test]
fn an_unreachable_upstream_gets_the_client_a_502_that_says_why() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let why = format!("cannot connect to 127.0.0.1 (127.0.0.1:{port})");
    for json in [false, true] {
        let url = format!("ws://127.0.0.1:{port}/");
        let mut args = vec!["proxy", "--listen", "127.0.0.1:0", &url];
        if json {
            args.push("--json");
        }
        let proxy = Proc::wsdbg(&args);
        let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
            "{answer}"
        );
        assert!(answer.contains(&why), "{answer}");
        if !json {
            let out = proxy.wait_out("the log line", |o| o.contains("answered 502"));
            assert!(out.contains(&why), "{out}");
            continue;
        }
        // The same as one JSON event among JSON Lines.
        let out = proxy.wait_out("the event", |o| o.contains("bad_gateway"));
        let event = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect(l))
            .find(|e| e["type"] == "proxy")
            .unwrap_or_else(|| panic!("{out}"));
        let data = &event["data"];
        assert_eq!(data["event"], "bad_gateway", "{event}");
        assert_eq!(data["status"], 502, "{event}");
        assert_eq!(data["conn"], 1, "{event}");
        assert!(
            data["why"].as_str().is_some_and(|w| w.contains(&why)),
            "{event}"
        );
    }
}

fn python_websockets() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import websockets.sync.server"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 cannot import websockets: run ./test.sh"
        );
        eprintln!("skipped: python3 has no websockets module; ./test.sh installs it");
    }
    ok
}

/// A Python server from tests/connect/server.py in `mode`, killed when dropped.
struct Py(Child, u16);

impl Py {
    fn start(mode: &str) -> Py {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/connect/server.py");
        let mut child = Command::new("python3")
            .args([script, mode])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("port ").unwrap().parse().unwrap();
        Py(child, port)
    }
}

impl Drop for Py {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_refusal_comes_back_as_it_is() {
    if !python_websockets() {
        return;
    }
    let py = Py::start("refuse");
    let proxy = Proc::wsdbg(&[
        "proxy",
        "--listen",
        "127.0.0.1:0",
        &format!("ws://127.0.0.1:{}/", py.1),
    ]);
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
    assert!(
        answer.ends_with("no entry for \u{1b}[31myou\n"),
        "the body as it was: {answer:?}"
    );
    let out = proxy.wait_out("the log line", |o| o.contains("answered 403"));
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

/// Python's websockets on both ends with permessage-deflate: the frames
/// pass compressed, and the proxy shows their inflated text.
#[test]
fn deflate_between_two_python_peers_is_shown_inflated() {
    if !python_websockets() {
        return;
    }
    let py = Py::start("deflate");
    let proxy = Proc::wsdbg(&[
        "proxy",
        "--trace",
        "--listen",
        "127.0.0.1:0",
        &format!("ws://127.0.0.1:{}/", py.1),
    ]);
    let script = r#"
import sys
from websockets.sync.client import connect
with connect(f"ws://127.0.0.1:{sys.argv[1]}/", open_timeout=5) as ws:
    assert ws.protocol.extensions, "no extension negotiated"
    ws.send("squeeze me " * 20)
    print(ws.recv(timeout=5)[:10], flush=True)
"#;
    let run = Command::new("python3")
        .args(["-c", script, &proxy.port.to_string()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "squeeze me");
    let out = proxy.wait_out("the closing line", |o| o.contains("#1 closed"));
    assert!(out.contains("permessage-deflate"), "{out}");
    assert!(out.contains("RSV1    1"), "compressed frames: {out}");
    assert!(out.contains("squeeze me squeeze me"), "inflated: {out}");
}

#[test]
fn many_clients_at_once() {
    let (_upstream, proxy) = serve_and_proxy("/");
    let port = proxy.port;
    let threads: Vec<_> = (0..20)
        .map(|i| {
            thread::spawn(move || {
                let mut c = ws(port, &format!("/c{i}"));
                for j in 0..10 {
                    let m = Message::text(format!("{i}-{j}"));
                    c.send(m.clone()).unwrap();
                    assert_eq!(c.read().unwrap(), m);
                }
                c.close(None).unwrap();
                while c.read().is_ok() {}
                drop(c);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let out = proxy.wait_out("20 closing lines", |o| {
        o.matches(" closed by the client").count() == 20
    });
    assert_eq!(out.matches(" open 127.0.0.1:").count(), 20, "{out}");
}
