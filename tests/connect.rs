//! End-to-end tests of `wsdbg connect` against servers nobody here wrote
//! (Python's `websockets`, tungstenite) and against bytes written by hand
//! on a plain `TcpListener` (a broken frame). Every server listens on
//! 127.0.0.1 on a free port and is stopped by a guard, also when a test
//! fails; every wait is bounded.

mod common;

use common::{certificate, collect_text, Kill};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");
const PATIENCE: Duration = Duration::from_secs(15);

/// What a finished `wsdbg connect` printed and how it exited.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `wsdbg connect --color never ARGS` with `input` on stdin; killed
/// after [`PATIENCE`].
fn connect(args: &[&str], input: &str) -> Run {
    run_connect(args, Stdin::Ends(input))
}

/// The same with a stdin that stays open (no end of input) while it runs.
fn connect_open(args: &[&str]) -> Run {
    run_connect(args, Stdin::Open)
}

/// The same, writing each step's line and then waiting (bounded) until
/// stdout shows the step's text before going on; stdin ends after the
/// last step.
fn connect_steps(args: &[&str], steps: &[(&str, &str)]) -> Run {
    run_connect(args, Stdin::Steps(steps))
}

/// What connect's stdin gets.
enum Stdin<'a> {
    /// This, then its end.
    Ends(&'a str),
    /// Nothing, and no end while connect runs.
    Open,
    /// Each line once stdout shows what the step before waited for.
    Steps(&'a [(&'a str, &'a str)]),
}

fn run_connect(args: &[&str], input: Stdin) -> Run {
    let mut child = Command::new(WSDBG)
        .args(["connect", "--color", "never"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsdbg connect");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut out = child.stdout.take().unwrap();
    let o = {
        let seen = seen.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let mut err = child.stderr.take().unwrap();
    let e = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdin = child.stdin.take().unwrap();
    let start = Instant::now();
    let mut kept = None;
    match input {
        Stdin::Ends(text) => {
            // From a thread: connect may stop reading before it is all in.
            let text = text.to_string();
            thread::spawn(move || {
                let _ = stdin.write_all(text.as_bytes());
            });
        }
        Stdin::Open => kept = Some(stdin),
        Stdin::Steps(steps) => {
            for (line, wait) in steps {
                writeln!(stdin, "{line}").unwrap();
                while !seen.lock().unwrap().contains(wait) {
                    if start.elapsed() > PATIENCE {
                        let _ = child.kill();
                        panic!("stdout never showed {wait:?}:\n{}", seen.lock().unwrap());
                    }
                    thread::sleep(Duration::from_millis(10));
                }
            }
            drop(stdin);
        }
    }
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "wsdbg connect {args:?} still running after {PATIENCE:?}; stdout:\n{}",
                seen.lock().unwrap()
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    drop(kept);
    o.join().unwrap();
    let stdout = seen.lock().unwrap().clone();
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: e.join().unwrap(),
    }
}

/// A Python `websockets` server in MODE (tests/connect/server.py), killed
/// when dropped.
struct PyServer {
    child: Child,
    port: u16,
    /// What it prints after its port.
    out: BufReader<std::process::ChildStdout>,
}

impl PyServer {
    fn start(mode: &str) -> Option<PyServer> {
        Self::start_with(&[mode])
    }

    fn start_with(args: &[&str]) -> Option<PyServer> {
        let ok = Command::new("python3")
            .args(["-c", "import websockets.sync.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 cannot import websockets: run ./test.sh, which installs it"
            );
            eprintln!("skipped: python3 has no websockets module; ./test.sh installs it");
            return None;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/connect/server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        let mut server = PyServer {
            child,
            port: 0,
            out,
        };
        server.port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the python server said {line:?}"));
        Some(server)
    }

    fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// Its next line of output (empty once it has ended).
    fn line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.out.read_line(&mut line);
        line
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sends_stdin_lines_and_commands_to_a_python_server_and_closes_at_the_end() {
    let Some(server) = PyServer::start("echo") else {
        return;
    };
    let r = connect_steps(
        &[&server.url("/chat?x=1")],
        &[
            ("héllo ✓", "server: text 10"),
            ("/binary 00 01 fe ff", "server: binary"),
            ("/ping are you there", "server: pong"),
            ("//slash", "server: text 6"),
        ],
    );
    assert_eq!(r.code, 0, "stderr: {}\nstdout: {}", r.stderr, r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let want = [
        format!("open 127.0.0.1:{} /chat?x=1", server.port),
        "client: text 10 bytes: \"héllo ✓\"".into(),
        "client: binary 4 bytes: 00 01 fe ff".into(),
        "client: ping 13 bytes: \"are you there\"".into(),
        "client: text 6 bytes: \"/slash\"".into(),
        "client: close 1000 (Normal Closure)".into(),
        "server: text 10 bytes: \"héllo ✓\"".into(),
        "server: binary 4 bytes: 00 01 fe ff".into(),
        "server: text 6 bytes: \"/slash\"".into(),
        "server: close 1000 (Normal Closure)".into(),
    ];
    for w in &want {
        assert!(
            lines.contains(&w.as_str()),
            "no line {w:?} in:\n{}",
            r.stdout
        );
    }
    // The pong answers our ping: it carries the round trip, and so does
    // the closing line.
    assert!(
        lines.iter().any(|l| l
            .starts_with("server: pong 13 bytes: \"are you there\" (round trip ")
            && l.ends_with(" ms)")),
        "{}",
        r.stdout
    );
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("closed by the client; client sent 1000 Normal Closure")
            && last.contains("clean")
            && last.contains("(3 messages in, 3 out); ping round trip min/avg/max ")
            && last.ends_with(" ms (1 pong)"),
        "{last}"
    );
}

#[test]
fn trace_shows_the_request_the_accept_check_and_masked_frames() {
    let Some(server) = PyServer::start("echo") else {
        return;
    };
    let r = connect_steps(
        &["--trace", "--protocol", "chat", &server.url("/")],
        &[("hi", "server · frame 1")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("handshake request · offset 0"), "{out}");
    assert!(out.contains("Sec-WebSocket-Protocol: chat"), "{out}");
    assert!(out.contains("✓ valid WebSocket upgrade response"), "{out}");
    // Our frames are masked, with their keys; the server's are not.
    let ours = &out[out.find("client · frame 1").expect("our frame")..];
    assert!(
        ours.contains("payload is masked") && ours.contains("masking key"),
        "{ours}"
    );
    let theirs = &out[out.find("server · frame 1").expect("the echo")..];
    assert!(theirs.contains("payload is not masked"), "{theirs}");
}

#[test]
fn a_refused_upgrade_shows_the_answer_and_exits_1() {
    let Some(server) = PyServer::start("refuse") else {
        return;
    };
    let r = connect(&[&server.url("/")], "");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("HTTP/1.1 403 Forbidden"),
        "the status line: {}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("the server answered 403 Forbidden instead of 101"),
        "{}",
        r.stdout
    );
    // The body, escaped: its ESC never reaches the terminal raw.
    assert!(
        r.stdout.contains("no entry for \\x1b[31myou"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('\u{1b}'));
    // With --json, stdout is JSON Lines only; the refusal is an event.
    let r = connect(&["--json", &server.url("/")], "");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let rejected = events
        .iter()
        .find(|e| e["type"] == "rejected")
        .unwrap_or_else(|| panic!("no rejected event: {}", r.stdout));
    assert_eq!(rejected["data"]["status"], 403, "{rejected}");
    assert!(
        rejected["data"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("no entry for \u{1b}[31myou")),
        "{rejected}"
    );
}

#[test]
fn a_16_mib_message_from_a_python_server() {
    let Some(server) = PyServer::start("big") else {
        return;
    };
    let r = connect_open(&["--max-message", "16M", &server.url("/")]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("server: binary 16777216 bytes: 00 01 02 03"),
        "{}",
        r.stdout
    );
}

/// Accepts one connection, answers its handshake as RFC 6455 §1.3 says,
/// then sends `frames` and reads until the client hangs up; what the
/// client sent after the handshake.
fn raw_server(frames: Vec<u8>) -> (u16, thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut b).unwrap(), 1, "the request ended early");
            head.push(b[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let key = head
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .expect("a key")
            .trim()
            .to_string();
        let accept = Command::new(WSDBG)
            .args(["accept-key", &key])
            .output()
            .unwrap();
        let accept = String::from_utf8(accept.stdout).unwrap();
        let accept = accept.split_whitespace().last().unwrap().to_string();
        write!(
            s,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .unwrap();
        s.write_all(&frames).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        rest
    });
    (port, handle)
}

#[test]
fn a_server_that_breaks_the_rules_is_failed_with_1002_and_exit_1() {
    // A text frame with RSV2 set, no extension negotiated.
    let (port, server) = raw_server(vec![0xa1, 0x02, b'h', b'i']);
    let r = connect_open(&[&format!("ws://127.0.0.1:{port}/")]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("RSV2 is set but no extension was negotiated"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("failed:"), "{}", r.stdout);
    // What it sent after the handshake: one masked close frame with 1002.
    let sent = server.join().unwrap();
    assert!(sent.len() >= 8, "{sent:02x?}");
    assert_eq!(sent[0], 0x88);
    assert_eq!(sent[1] & 0x80, 0x80, "a client masks its close frame");
    let key = [sent[2], sent[3], sent[4], sent[5]];
    let code = [sent[6] ^ key[0], sent[7] ^ key[1]];
    assert_eq!(u16::from_be_bytes(code), 1002);
}

/// The same from a server written by others: Python `websockets` sends a
/// text frame that is not UTF-8 (straight to its socket); connect fails the
/// connection with 1007, and the server itself reports that code.
#[test]
fn a_python_server_sending_bad_utf8_is_failed_with_1007() {
    let Some(mut server) = PyServer::start("broken") else {
        return;
    };
    let r = connect_open(&[&server.url("/")]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("server: text 5 bytes: \"hello\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("failed:"), "{}", r.stdout);
    assert!(r.stdout.contains("UTF-8"), "{}", r.stdout);
    assert_eq!(server.line().trim(), "closed 1007", "{}", r.stdout);
}

#[test]
fn a_tungstenite_server_echoes_what_connect_sends() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut ws = tungstenite::accept(s).expect("tungstenite's handshake");
        loop {
            match ws.read() {
                Ok(m) if m.is_text() || m.is_binary() => ws.send(m).unwrap(),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let r = connect(
        &[&format!("ws://127.0.0.1:{port}/t")],
        "one\n/frame --no-fin tw\n/frame --opcode continuation o\n",
    );
    server.join().unwrap();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("server: text 3 bytes: \"one\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("server: text 3 bytes: \"two\""),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_urls_and_unreachable_servers_exit_2_with_one_line() {
    let r = connect(&["http://127.0.0.1/"], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("use ws://"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    // A port nobody listens on: refused at once.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = connect(&[&format!("ws://127.0.0.1:{port}/")], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains(&format!("cannot connect to 127.0.0.1 (127.0.0.1:{port})"))
            && r.stderr.contains("refused"),
        "{}",
        r.stderr
    );
    let r = connect(&["ws://no-such-host.invalid/"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot resolve no-such-host.invalid"),
        "{}",
        r.stderr
    );
    let r = connect(&["-H", "Bad Header", "ws://127.0.0.1:1/"], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("expected 'Name: value'"), "{}", r.stderr);
}

/// `--mode echo` answers what the server sends, and does not close at the
/// end of input: the server does.
#[test]
fn echo_mode_answers_and_waits_for_the_server_to_close() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut ws = tungstenite::accept(s).expect("tungstenite's handshake");
        // Give the client's stdin time to end first.
        thread::sleep(Duration::from_millis(300));
        ws.send(tungstenite::Message::text("ping me back")).unwrap();
        let back = ws.read().unwrap();
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
        back
    });
    let r = connect(
        &["-q", "--mode", "echo", &format!("ws://127.0.0.1:{port}/")],
        "",
    );
    assert_eq!(
        server.join().unwrap(),
        tungstenite::Message::text("ping me back")
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

/// wss:// to a Python server whose certificate `openssl` made here:
/// trusted with --cacert, refused without it (naming why, exit 2), and
/// taken unchecked with --insecure, which says so.
#[test]
fn wss_with_a_private_ca_is_checked_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate(dir.path());
    let Some(server) = PyServer::start_with(&["tls", &cert, &key]) else {
        return;
    };
    let url = format!("wss://localhost:{}/secure", server.port);
    let r = connect_steps(
        &["--trace", "--cacert", &ca, &url],
        &[("over tls", "server · frame 1")],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Host: localhost:"), "{}", r.stdout);
    assert!(
        r.stdout.contains("unmasked: 6f 76 65 72 20 74 6c 73"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("closed by the client; client sent 1000"),
        "{}",
        r.stdout
    );

    let r = connect(&[&url], "never sent\n");
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("signed by an unknown issuer") && r.stderr.contains("--cacert"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("open "), "{}", r.stdout);

    let r = connect_steps(
        &["--insecure", &url],
        &[("unchecked", "server: text 9 bytes")],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("certificate is NOT checked"),
        "{}",
        r.stderr
    );
}

/// `wsdbg proxy` in front of a wss:// upstream (the Python server over TLS
/// with a CA made here): `connect` talks plain ws:// to the proxy, the
/// proxy TLS to the upstream.
#[test]
fn proxy_to_a_wss_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate(dir.path());
    let Some(server) = PyServer::start_with(&["tls", &cert, &key]) else {
        return;
    };
    let upstream = format!("wss://localhost:{}/", server.port);
    let mut proxy = Command::new(WSDBG)
        .args([
            "proxy",
            "--color",
            "never",
            "--listen",
            "127.0.0.1:0",
            "--cacert",
            &ca,
            &upstream,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsdbg proxy");
    let mut err = BufReader::new(proxy.stderr.take().unwrap());
    let (shown, reader) = collect_text(proxy.stdout.take().unwrap());
    let _guard = Kill(proxy);
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let port: u16 = line
        .split("listening on ws://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the proxy said {line:?}"));
    let r = connect_steps(
        &[&format!("ws://127.0.0.1:{port}/")],
        &[("through tls", "server: text 11 bytes")],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Larger than TLS records and the relay's reads, both ways: what TLS
    // holds decrypted must be relayed without a new event from the socket.
    let (mut ws, _) =
        tungstenite::connect(format!("ws://127.0.0.1:{port}/")).expect("through the proxy");
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    }
    let big: Vec<u8> = (0..(3 << 20) + 17)
        .map(|i: u32| (i * 7 % 251) as u8)
        .collect();
    for _ in 0..2 {
        ws.send(tungstenite::Message::binary(big.clone())).unwrap();
        let back = loop {
            match ws.read().unwrap() {
                tungstenite::Message::Binary(b) => break b,
                tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => {}
                other => panic!("expected the echo, got {other:?}"),
            }
        };
        assert!(back[..] == big[..], "the 3 MiB echo differs");
    }
    let _ = ws.close(None);
    drop(ws);
    let start = Instant::now();
    while !shown.lock().unwrap().contains("#2 closed") && start.elapsed() < Duration::from_secs(10)
    {
        thread::sleep(Duration::from_millis(20));
    }
    drop(_guard);
    reader.join().unwrap();
    let shown = shown.lock().unwrap().clone();
    assert!(
        shown.contains("#1 server: text 11 bytes: \"through tls\""),
        "{shown}"
    );
    assert_eq!(
        shown.matches("#2 server: binary 3145745 bytes").count(),
        2,
        "{shown}"
    );
}

/// permessage-deflate with a Python server that agrees to it: connect
/// offers it, compresses what it sends (RSV1 set), inflates what arrives.
#[test]
fn deflate_with_a_python_server() {
    let Some(server) = PyServer::start("deflate") else {
        return;
    };
    let r = connect_steps(
        &["--deflate", "--trace", &server.url("/")],
        &[("squeeze me squeeze me squeeze me", "server · frame 1")],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let out = &r.stdout;
    assert!(
        out.contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"),
        "{out}"
    );
    let ours = &out[out.find("client · frame 1").unwrap()..];
    assert!(ours.contains("RSV1    1"), "{ours}");
    let theirs = &out[out.find("server · frame 1").unwrap()..];
    assert!(theirs.contains("RSV1    1"), "{theirs}");
    assert!(
        theirs.contains("inflated to 32 bytes: \"squeeze me squeeze me squeeze me\""),
        "{theirs}"
    );
}
