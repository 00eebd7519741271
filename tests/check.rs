//! End-to-end tests of `wsdbg check`: against `wsdbg serve` (every case
//! OK, deflate too), against servers written here to break one rule each
//! (the case that guards the rule FAILED, with the rule and what the
//! server did), against servers that hang, refuse or flood (the run goes
//! on, or ends with exit 2 saying why), over TLS, and its outputs (JSON,
//! the HTML report, --list). Every server listens on 127.0.0.1 on a free
//! port and is stopped by a guard, also when a test fails.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

use serde_json::Value;
use wsdbg::protocol::frame::{FrameHeader, HeaderParse};
use wsdbg::protocol::handshake::accept_key;

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");

/// A child process killed when dropped.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until `port` accepts.
fn wait_for(port: u16, child: &mut Child) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server on {port} exited ({status}) before accepting");
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "nothing accepts on {port}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// `wsdbg serve -q` with `extra` on a free port.
fn serve(extra: &[&str]) -> (Kill, u16) {
    let port = free_port();
    let mut child = Command::new(WSDBG)
        .args(["serve", "-q", "--no-console", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wsdbg serve");
    wait_for(port, &mut child);
    (Kill(child), port)
}

/// What `wsdbg check` printed and how it exited.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `wsdbg check --color never ARGS`, killed after `limit`.
fn check(args: &[&str], limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = Command::new(WSDBG)
        .args(["check", "--color", "never"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsdbg check");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut child = Kill(child);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.0.kill();
            panic!(
                "wsdbg check {args:?} still running after {limit:?}; it printed:\n{}",
                o.join().unwrap()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
        took: start.elapsed(),
    }
}

/// The `case` events of a `--json` run, by id, and its summary.
fn cases(r: &Run) -> (Vec<Value>, Value) {
    let mut cases = Vec::new();
    let mut summary = Value::Null;
    for line in r.stdout.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{}", r.stderr));
        match v["type"].as_str() {
            Some("case") => cases.push(v["data"].clone()),
            Some("check_summary") => summary = v["data"].clone(),
            other => panic!("unexpected event type {other:?}: {line}"),
        }
    }
    (cases, summary)
}

fn verdict<'a>(cases: &'a [Value], id: &str) -> &'a Value {
    cases
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// Every case of H, 1-10 and S against wsdbg's own server: OK, but the
/// four the RFC leaves open (Autobahn's 7.1.6 and 7.13.x, and the Origin).
#[test]
fn every_case_is_ok_against_wsdbg_serve() {
    let (_serve, port) = serve(&[]);
    let url = format!("ws://127.0.0.1:{port}/");
    let r = check(
        &[
            "--json",
            "--cases",
            "H.*,1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,S.*",
            &url,
        ],
        Duration::from_secs(300),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let (cases, summary) = cases(&r);
    assert_eq!(cases.len(), 301 + 17 + 5, "{}", r.stdout);
    let open = ["7.1.6", "7.13.1", "7.13.2", "H.17"];
    for c in &cases {
        let want = if open.contains(&c["id"].as_str().unwrap()) {
            "INFORMATIONAL"
        } else {
            "OK"
        };
        assert_eq!(c["verdict"], want, "{c}");
    }
    assert_eq!(summary["total"]["ok"], 319);
    assert_eq!(summary["conforms"], true);
}

/// Sections 12 and 13 against `serve --deflate`, 50 messages a case (the
/// full 1000 of Autobahn are the README's figure).
#[test]
fn deflate_sections_are_ok_against_serve_deflate_and_unimplemented_without() {
    let (_serve, port) = serve(&["--deflate"]);
    let url = format!("ws://127.0.0.1:{port}/");
    let r = check(
        &["--json", "--messages", "50", "--cases", "12.*,13.*", &url],
        Duration::from_secs(600),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let (cases, summary) = cases(&r);
    assert_eq!(cases.len(), 216);
    assert!(cases.iter().all(|c| c["verdict"] == "OK"), "{}", r.stdout);
    assert!(verdict(&cases, "13.3.1")["title"]
        .as_str()
        .unwrap()
        .contains("50 messages"));
    assert_eq!(summary["total"]["ok"], 216);

    // Without --deflate the server declines: the sections are counted
    // UNIMPLEMENTED, once, without running.
    let (_plain, port) = serve(&[]);
    let r = check(
        &["--cases", "12.*,13.*", &format!("ws://127.0.0.1:{port}/")],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("12: 90 cases UNIMPLEMENTED without running: the server did not accept permessage-deflate"),
        "{}",
        r.stdout
    );
}

/// A server written here that echoes every frame back as it came, any
/// opcode and bits, and never fails a connection, never answers a close:
/// what a naive implementation of MDN's guide does.
fn naive_server() -> (thread::JoinHandle<()>, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = thread::spawn(move || {
        for s in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = naive_echo(s);
            });
        }
    });
    (h, port)
}

/// Reads an HTTP head a byte at a time (None: the connection ended).
fn read_head(s: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).ok()? == 0 {
            return None;
        }
        head.push(b[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Reads a client's upgrade request and answers 101 as a server must
/// (false: the connection ended first).
fn upgrade(s: &mut TcpStream) -> bool {
    let Some(head) = read_head(s) else {
        return false;
    };
    let key = head
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap_or("");
    write!(
        s,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key)
    )
    .is_ok()
}

fn naive_echo(mut s: TcpStream) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    if !upgrade(&mut s) {
        return Ok(());
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        while let HeaderParse::Complete(h) = FrameHeader::parse(&buf) {
            let total = h.len() + h.payload_len as usize;
            if buf.len() < total {
                break;
            }
            let mut payload = buf[h.len()..total].to_vec();
            if let Some(k) = h.mask {
                wsdbg::protocol::mask::apply_mask(&mut payload, k, 0);
            }
            buf.drain(..total);
            if h.opcode.bits() == 8 {
                continue;
            }
            let mut out = FrameHeader { mask: None, ..h };
            out.length_form = wsdbg::protocol::frame::LengthForm::minimal(out.payload_len);
            let mut frame = Vec::new();
            wsdbg::protocol::frame::encode_frame(&out, &payload, &mut frame);
            s.write_all(&frame)?;
        }
    }
}

/// The naive server: each rule it breaks is the FAILED case that guards
/// it, with the RFC section and a sentence of what it did and should
/// have done; the run ends with exit 1 and the failures listed.
#[test]
fn a_naive_server_fails_the_cases_of_the_rules_it_breaks() {
    let (_h, port) = naive_server();
    let url = format!("ws://127.0.0.1:{port}/");
    let r = check(
        &[
            "--json",
            "--case-timeout",
            "0.5",
            "--cases",
            "1.1.1,2.1,3.1,4.1.1,6.3.1,7.3.3",
            &url,
        ],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let (cases, summary) = cases(&r);
    let empty = verdict(&cases, "1.1.1");
    assert_eq!(empty["verdict"], "FAILED");
    assert!(
        empty["explanation"]
            .as_str()
            .unwrap()
            .contains("did not answer the checker's close frame"),
        "{empty}"
    );
    let rsv = verdict(&cases, "3.1");
    assert_eq!(rsv["verdict"], "FAILED");
    let why = rsv["explanation"].as_str().unwrap();
    assert!(why.starts_with("RFC 6455 §5.2: "), "{why}");
    assert!(
        why.contains("the server's own frame breaks RFC 6455 §5.2: RSV3 is set")
            && why.contains("did not fail the connection")
            && why.ends_with("it should fail the connection (close 1002): RSV bits must be 0 unless an extension defines them, and none was agreed"),
        "{why}"
    );
    let utf8 = verdict(&cases, "6.3.1")["explanation"].as_str().unwrap();
    assert!(
        utf8.contains("§8.1") && utf8.contains("close 1007"),
        "{utf8}"
    );
    let close = verdict(&cases, "7.3.3")["explanation"].as_str().unwrap();
    assert!(
        close.contains("did not answer the checker's close frame"),
        "{close}"
    );
    // The ping is echoed as a ping: no pong.
    let ping = verdict(&cases, "2.1")["explanation"].as_str().unwrap();
    assert!(ping.contains("a ping (empty) where a pong"), "{ping}");
    assert_eq!(summary["failed"].as_array().unwrap().len(), 6);

    // The text output: a line per case, the reason under it, the summary.
    let r = check(
        &["--case-timeout", "0.5", "--cases", "3.1", &url],
        Duration::from_secs(30),
    );
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("3.1      FAILED        Text message with RSV = 1 (RSV3) set"),
        "{}",
        r.stdout
    );
    assert!(
        lines[1].starts_with("         ✗ RFC 6455 §5.2: the server"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("✗ 1 case FAILED: 3.1"), "{}", r.stdout);
}

/// A server that cannot be checked at all: exit 2, saying why.
#[test]
fn unreachable_servers_exit_2_saying_why() {
    // Nothing listens.
    let port = free_port();
    let r = check(
        &[&format!("ws://127.0.0.1:{port}/")],
        Duration::from_secs(30),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot check ws://127.0.0.1:")
            && r.stderr.contains("Connection refused"),
        "{}",
        r.stderr
    );
    // Accepts, never answers.
    let quiet = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = quiet.local_addr().unwrap().port();
    let r = check(
        &["--case-timeout", "0.5", &format!("ws://127.0.0.1:{port}/")],
        Duration::from_secs(30),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no answer to the upgrade request within 0.5 s"),
        "{}",
        r.stderr
    );
    assert!(r.took < Duration::from_secs(5), "{:?}", r.took);
    // Refuses the upgrade.
    let refusing = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = refusing.local_addr().unwrap().port();
    let t = thread::spawn(move || {
        if let Ok((mut s, _)) = refusing.accept() {
            let mut b = [0u8; 4096];
            let _ = s.read(&mut b);
            let _ = s.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let r = check(
        &[&format!("ws://127.0.0.1:{port}/")],
        Duration::from_secs(30),
    );
    t.join().unwrap();
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("it refused the upgrade with 403 Forbidden"),
        "{}",
        r.stderr
    );
    // A bad URL and a bad pattern are usage errors.
    let r = check(&["http://x/"], Duration::from_secs(10));
    assert_eq!(r.code, 2);
    let r = check(&["--cases", "5.[1]", "ws://x/"], Duration::from_secs(10));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--cases '5.[1]'"), "{}", r.stderr);
    let r = check(&["--cases", "8.*", "ws://x/"], Duration::from_secs(10));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no case matches 8.*"), "{}", r.stderr);
}

/// A server that answers 101 and then floods, one that answers 101 and
/// then reads nothing, one gone right after the 101: every case still gets
/// its verdict, each within its time, and the run ends.
#[test]
fn hanging_and_flooding_servers_do_not_stall_the_run() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for (i, s) in listener.incoming().flatten().enumerate() {
            thread::spawn(move || {
                let mut s = s;
                if !upgrade(&mut s) {
                    return;
                }
                match i % 3 {
                    0 => {
                        // Flood: 64 KiB binary messages without end.
                        let mut frame = vec![0x82, 0x7e, 0xff, 0xff];
                        frame.extend(std::iter::repeat_n(b'x', 65535));
                        while s.write_all(&frame).is_ok() {}
                    }
                    1 => thread::sleep(Duration::from_secs(30)),
                    // Gone at once.
                    _ => drop(s),
                }
            });
        }
    });
    let r = check(
        &[
            "--json",
            "-j",
            "1",
            "--case-timeout",
            "0.5",
            "--cases",
            "1.1.1,1.1.2,2.1,1.2.1,2.2,2.3",
            &format!("ws://127.0.0.1:{port}/"),
        ],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let (cases, _) = cases(&r);
    assert_eq!(cases.len(), 6);
    assert!(
        cases.iter().all(|c| c["verdict"] == "FAILED"),
        "{}",
        r.stdout
    );
    // The server gone at once (1.1.2), silent (1.1.1), flooding (2.1).
    let why = |id| {
        verdict(&cases, id)["explanation"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        why("1.1.2").contains("dropped the connection without a close frame"),
        "{}",
        why("1.1.2")
    );
    assert!(
        why("1.1.1").contains("did not answer the checker's close frame"),
        "{}",
        why("1.1.1")
    );
    assert!(
        cases.iter().any(|c| c["explanation"]
            .as_str()
            .unwrap()
            .contains("kept sending until the checker stopped reading")),
        "{}",
        r.stdout
    );
    assert!(r.took < Duration::from_secs(30), "{:?}", r.took);
}

/// wss:// to a Python `websockets` echo server whose certificate openssl
/// made here: checked with --cacert; refused without it (exit 2, the
/// reason named).
#[test]
fn wss_with_cacert() {
    if !common::python_websockets() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = common::certificate(dir.path());
    let port = free_port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/echo_python.py");
    let mut child = Command::new("python3")
        .args([script, &port.to_string(), "--tls", &cert, &key])
        .stdin(Stdio::null())
        .spawn()
        .expect("start the Python echo server");
    wait_for(port, &mut child);
    let _server = Kill(child);
    let url = format!("wss://localhost:{port}/");
    let r = check(
        &["--cacert", &ca, "--cases", "H.1,1.1.*,2.*", &url],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1.1.8    OK"), "{}", r.stdout);
    let r = check(&["--cases", "1.1.1", &url], Duration::from_secs(30));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown issuer") && r.stderr.contains("--cacert"),
        "{}",
        r.stderr
    );
}

/// -v shows every frame of a case, annotated both ways, before its line;
/// --report writes one page with each case and its frames, escaped.
#[test]
fn verbose_and_the_html_report() {
    let (_serve, port) = serve(&[]);
    let url = format!("ws://127.0.0.1:{port}/");
    let r = check(&["-v", "--cases", "3.1", &url], Duration::from_secs(30));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let frame = r
        .stdout
        .find("client · frame 1")
        .expect("the client's frame");
    let rsv = r
        .stdout
        .find("RSV3 is set but no extension")
        .expect("its violation");
    let close = r
        .stdout
        .find("close code 1002 Protocol Error")
        .expect("the server's close");
    let line = r.stdout.find("3.1      OK").expect("the case line");
    assert!(frame < rsv && rsv < close && close < line, "{}", r.stdout);

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let (_h, naive) = naive_server();
    let r = check(
        &[
            "--report",
            report.to_str().unwrap(),
            "--case-timeout",
            "0.5",
            "--cases",
            "1.1.1,3.1,6.5.1",
            &format!("ws://127.0.0.1:{naive}/"),
        ],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
    assert!(page.contains("<details open><summary><span class=\"id\">3.1</span><span class=\"v FAILED\">FAILED</span>"), "{page}");
    assert!(
        page.contains("RSV3 is set but no extension"),
        "the frames are in the page"
    );
    assert!(
        page.contains("&quot;Hello, world!&quot;"),
        "escaped for HTML"
    );
}

/// --list names every case without connecting anywhere.
#[test]
fn list_names_every_case() {
    let r = check(&["--list"], Duration::from_secs(10));
    assert_eq!(r.code, 0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 17 + 301 + 5 + 216);
    assert!(lines.contains(&"6.4.3    Invalid UTF-8 in one frame written in three parts, a code point above U+10FFFF in the second, sent after a pause"));
    let r = check(&["--list", "--cases", "7.9.*"], Duration::from_secs(10));
    assert_eq!(r.stdout.lines().count(), 9);
}

/// `wsdbg serve --check` on a free port; its stdout collected.
struct Checking {
    child: Kill,
    port: u16,
    out: std::sync::Arc<std::sync::Mutex<String>>,
}

fn serve_check(extra: &[&str]) -> Checking {
    let port = free_port();
    let mut child = Command::new(WSDBG)
        .args(["serve", "--check", "--color", "never", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wsdbg serve --check");
    let mut pipe = child.stdout.take().unwrap();
    let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let o = out.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            o.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    wait_for(port, &mut child);
    Checking {
        child: Kill(child),
        port,
        out,
    }
}

impl Checking {
    /// Waits (bounded) until the output holds `what`.
    fn wait(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let out = self.out.lock().unwrap().clone();
            if out.contains(what) {
                return out;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "serve --check never printed {what:?}:\n{out}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM; its exit status.
    fn stop(mut self) -> i32 {
        let _ = kill_process(Pid::from_child(&self.child.0), Signal::TERM);
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.0.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "serve --check did not stop"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Python `websockets`' client, echoing and reconnecting until closed
/// with 4000, goes through the whole client battery: every case OK.
#[test]
fn serve_check_puts_python_websockets_client_through_every_case() {
    if !common::python_websockets() {
        return;
    }
    let server = serve_check(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/client_python.py");
    let status = Command::new("python3")
        .args([script, &format!("ws://127.0.0.1:{}/", server.port)])
        .stdout(Stdio::null())
        .status()
        .expect("run the Python client");
    assert!(status.success(), "the client never got its 4000");
    let out = server.wait("✓ no case FAILED");
    assert!(
        out.contains("client 1 (Python/3.11 websockets/17.4, 127.0.0.1): its first case")
            || out.contains("websockets/17.4"),
        "{out}"
    );
    assert_eq!(out.matches("client 1 C.").count(), 21, "{out}");
    assert!(
        out.contains("  C   Client behaviour                         21"),
        "{out}"
    );
    assert_eq!(server.stop(), 0);
}

/// A tungstenite client (a library nobody here wrote), echoing and
/// reconnecting: its report. It must pong, answer closes, fail on bad
/// UTF-8 and mask; what else it gets wrong is its own (the README lists it).
#[test]
fn serve_check_puts_a_tungstenite_client_through_every_case() {
    let server = serve_check(&["--json"]);
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let client = thread::spawn(move || {
        for _ in 0..100 {
            let Ok((mut ws, _)) = tungstenite::connect(url.as_str()) else {
                continue;
            };
            // Read on after the close: tungstenite answers it while it
            // reads, and the read ends once the server has hung up.
            let mut code = None;
            loop {
                match ws.read() {
                    Ok(m) if m.is_text() || m.is_binary() => {
                        let _ = ws.send(m);
                    }
                    Ok(tungstenite::Message::Close(f)) => {
                        code = f.map(|f| u16::from(f.code));
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            if code == Some(4000) {
                return true;
            }
        }
        false
    });
    assert!(client.join().unwrap(), "the client never got its 4000");
    let out = server.wait("\"type\":\"check_summary\"");
    let cases: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "case")
        .map(|v| v["data"].clone())
        .collect();
    assert_eq!(cases.len(), 21, "{out}");
    for id in ["C.1", "C.2", "C.3", "C.6", "C.10"] {
        assert_eq!(verdict(&cases, id)["verdict"], "OK", "{out}");
    }
    assert!(cases.iter().all(|c| c["client"] == "client 1"));
    server.stop();
}

/// A client written here that sends its frames unmasked: FAILED on the
/// masking case, with the rule.
#[test]
fn serve_check_fails_a_client_that_does_not_mask() {
    let server = serve_check(&["--cases", "C.2"]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nUser-Agent: raw\r\n\r\n"
    )
    .unwrap();
    let head = read_head(&mut s).expect("the server's answer");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // FIN, text, unmasked, "hi".
    s.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    let out = server.wait("✗ 1 case FAILED: C.2");
    assert!(
        out.contains("client 1 C.2      FAILED")
            && out.contains("RFC 6455 §5.3: the client's own frame breaks RFC 6455 §5.1: frame from the client is not masked"),
        "{out}"
    );
    assert_eq!(server.stop(), 1, "a client FAILED a case: exit 1");
}
