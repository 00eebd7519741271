//! `wsdbg serve`'s test page in a real browser: Debian's chromium, headless,
//! driven by the npm package playwright-core (`tests/browser/page.mjs`)
//! against a server in broadcast mode on a free port. The page's greeting
//! must come back; text holding HTML and script, broadcast by an
//! independent client (tungstenite), must be shown as that text; the Close
//! button must close with the code typed in, as the server's output says;
//! and the page must log no error, no console error and no CSP violation.
//!
//! Waits are real time with deadlines (the page is polled), never a fixed
//! sleep. The server and node (which closes chromium) are stopped when the
//! test ends, also when it fails. Without chromium or the npm package the
//! test fails and says what to install (`./test.sh` installs both).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

use tungstenite::Message;

mod common;

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");
const CHROMIUM: &str = "/usr/bin/chromium";
/// The longest one step may take: starting chromium on a busy machine
/// takes seconds.
const PATIENCE: Duration = Duration::from_secs(45);
const GREETING: &str = "hello from the wsdbg test page";
const EVIL: &str =
    r#"<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>bold</b>"#;
/// The close code typed into the page.
const CODE: u16 = 4321;

/// A child process stopped when dropped: SIGTERM first (node then closes
/// chromium), SIGKILL when it does not go.
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = kill_process(Pid::from_child(&self.0), Signal::TERM);
            let until = Instant::now() + Duration::from_secs(5);
            while Instant::now() < until {
                if !matches!(self.0.try_wait(), Ok(None)) {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Copies what `from` yields into `into`.
fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    });
}

fn text(b: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&b.lock().unwrap()).into_owned()
}

/// What the test needs from outside, or a failure saying how to get it.
fn prerequisites(dir: &Path) {
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!(
            "{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node is missing: install Node.js 20 or later".to_string());
    }
    if !dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        missing.push(format!(
            "playwright-core is not installed: run `npm ci` in {}",
            dir.display()
        ));
    }
    assert!(
        missing.is_empty(),
        "the browser test cannot run (./test.sh installs what it needs):\n{}",
        missing.join("\n")
    );
}

/// `wsdbg serve ARGS` on a free port, once it listens: the guard, the port
/// and its stdout.
fn serve(args: &[&str]) -> (Stopped, u16, Arc<Mutex<Vec<u8>>>) {
    let mut all = vec!["serve", "--no-console"];
    all.extend_from_slice(args);
    wsdbg(&all)
}

/// `wsdbg ARGS --listen 127.0.0.1:0`, once it listens.
fn wsdbg(args: &[&str]) -> (Stopped, u16, Arc<Mutex<Vec<u8>>>) {
    wsdbg_with(args, &[])
}

/// The same, with `env` set (ws:// or wss://).
fn wsdbg_with(args: &[&str], env: &[(&str, &Path)]) -> (Stopped, u16, Arc<Mutex<Vec<u8>>>) {
    let mut command = Command::new(WSDBG);
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--color", "never"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsdbg serve");
    let (out, err) = (Arc::default(), Arc::default());
    collect(child.stdout.take().unwrap(), Arc::clone(&out));
    collect(child.stderr.take().unwrap(), Arc::clone(&err));
    let server = Stopped(child);
    let start = Instant::now();
    loop {
        let stderr = text(&err);
        let port = stderr
            .split_once("listening on ")
            .and_then(|(_, rest)| rest.split_once("127.0.0.1:"))
            .and_then(|(_, rest)| rest.split('/').next()?.parse().ok());
        if let Some(port) = port {
            return (server, port, out);
        }
        assert!(
            start.elapsed() < PATIENCE,
            "wsdbg serve did not listen; stderr:\n{stderr}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// `node SCRIPT ARGS` in `dir`, run to its end (up to `limit` seconds, then
/// stopped): its exit status (None: stopped), stdout and stderr.
fn node_script(
    dir: &Path,
    script: &str,
    args: &[&str],
    limit: u64,
) -> (Option<ExitStatus>, String, String) {
    let mut node = Command::new("node")
        .current_dir(dir)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let (said, err) = (Arc::default(), Arc::default());
    collect(node.stdout.take().unwrap(), Arc::clone(&said));
    collect(node.stderr.take().unwrap(), Arc::clone(&err));
    let mut node = Stopped(node);
    let status = wait_up_to(&mut node.0, Duration::from_secs(limit));
    (status, text(&said), text(&err))
}

/// The node script, talking line by line.
struct Driver {
    child: Stopped,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Driver {
    fn start(dir: &Path, url: &str, screenshot: Option<PathBuf>) -> Driver {
        let mut cmd = Command::new("node");
        cmd.current_dir(dir)
            .arg("page.mjs")
            .arg(url)
            .arg(CODE.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(path) = screenshot {
            cmd.arg(path);
        }
        let mut child = cmd.spawn().expect("start node");
        let stdout = child.stdout.take().unwrap();
        let stderr = Arc::default();
        collect(child.stderr.take().unwrap(), Arc::clone(&stderr));
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Driver {
            stdin: child.stdin.take(),
            child: Stopped(child),
            lines,
            stderr,
        }
    }

    /// Waits for the script to say `expected`; fails with what it said on
    /// stderr and what the server printed when it does not.
    fn expect(&mut self, expected: &str, server_out: &Arc<Mutex<Vec<u8>>>) {
        let got = self.lines.recv_timeout(PATIENCE);
        if got.as_deref() != Ok(expected) {
            // Give a failing script a moment to write its reason.
            wait_up_to(&mut self.child.0, Duration::from_secs(3));
            panic!(
                "the browser driver should say {expected:?}, got {got:?}\n\
                 its stderr:\n{}\nserver stdout:\n{}",
                text(&self.stderr),
                text(server_out)
            );
        }
    }

    fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
}

/// Waits up to `limit` for `child` to exit; its status if it did.
fn wait_up_to(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(None) if Instant::now() < until => thread::sleep(Duration::from_millis(20)),
            Ok(status) => return status,
            Err(_) => return None,
        }
    }
}

/// Waits until the server's stdout satisfies `ready`.
fn wait_out(out: &Arc<Mutex<Vec<u8>>>, what: &str, ready: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let s = text(out);
        if ready(&s) {
            return s;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "server stdout never showed {what}:\n{s}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// An independent client on `port` broadcasts text that would be markup
/// and script if the page took it for HTML; the page must show it as text
/// (the driver checks), then closes with [`CODE`] and the driver ends
/// well. The client is given back, still open.
fn broadcast_evil_then_close(
    driver: &mut Driver,
    port: u16,
    out: &Arc<Mutex<Vec<u8>>>,
) -> tungstenite::WebSocket<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}/").as_str(), stream)
        .expect("tungstenite handshake");
    ws.send(Message::text(EVIL)).unwrap();
    // Broadcast reaches the sender too: once it is back, the page has it
    // on the wire as well.
    loop {
        match ws.read().expect("the broadcast back") {
            Message::Text(t) if t.as_str() == EVIL => break,
            _ => {}
        }
    }
    driver.say(EVIL);
    driver.expect("shown", out);
    driver.expect(&format!("closed {CODE}"), out);
    let status = wait_up_to(&mut driver.child.0, PATIENCE);
    assert!(
        status.is_some_and(|s| s.success()),
        "the browser driver exited with {status:?}; its stderr:\n{}",
        text(&driver.stderr)
    );
    ws
}

#[test]
fn chromium_runs_the_test_page_against_a_broadcast_server() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    prerequisites(&dir);
    let (_server, port, out) = serve(&["--mode", "broadcast"]);
    let url = format!("http://127.0.0.1:{port}/");
    let screenshot = std::env::var_os("WSDBG_SCREENSHOT").map(PathBuf::from);
    let mut driver = Driver::start(&dir, &url, screenshot);

    driver.expect("ready", &out);
    // The server's lines may still be in the pipe: waited for.
    wait_out(&out, "the page served and the greeting", |o| {
        o.contains("\"GET /\": answered 200 OK (the test page)")
            && o.contains(&format!("client: text 30 bytes: \"{GREETING}\""))
    });

    let mut ws = broadcast_evil_then_close(&mut driver, port, &out);

    // The server saw the browser close with the code typed in.
    let out_now = wait_out(&out, "the browser's close", |o| {
        o.lines().any(|l| {
            l.contains(&format!("closed by the client; client sent {CODE} "))
                && l.contains("\"bye from chromium\", clean")
        })
    });
    assert!(
        out_now.contains(&format!("client: close {CODE}")),
        "{out_now}"
    );
    let _ = ws.close(None);
    let _ = ws.flush();
}

/// The page loaded through `wsdbg proxy` in front of `serve --deflate`:
/// Chromium offers permessage-deflate, the server agrees, the proxy
/// passes the frames as they are and shows them inflated.
#[test]
fn chromium_through_the_proxy_with_deflate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    prerequisites(&dir);
    let (_server, up, server_out) = serve(&["--mode", "broadcast", "--deflate"]);
    let upstream = format!("ws://127.0.0.1:{up}/");
    let record = tempfile::tempdir().unwrap();
    let file = record.path().join("chromium.pcapng");
    let file = file.to_str().unwrap();
    let (proxy, port, out) = wsdbg(&["proxy", "--trace", "--record", file, &upstream]);
    let mut driver = Driver::start(&dir, &format!("http://127.0.0.1:{port}/"), None);
    driver.expect("ready", &out);
    let shown = wait_out(&out, "the greeting, inflated", |o| {
        o.contains(&format!("inflated to 30 bytes: \"{GREETING}\""))
    });
    assert!(
        shown.contains("Sec-WebSocket-Extensions: permessage-deflate"),
        "{shown}"
    );
    assert!(
        shown.contains("RSV1    1    message is compressed"),
        "{shown}"
    );
    // The page itself came through the proxy from the server.
    wait_out(&server_out, "the page served", |o| {
        o.contains("\"GET /\": answered 200 OK (the test page)")
    });

    let mut ws = broadcast_evil_then_close(&mut driver, port, &out);
    let _ = ws.close(None);
    let _ = ws.flush();
    thread::sleep(Duration::from_millis(300));
    drop(proxy);
    replay_chromium(file);
}

/// Chromium's own connection, recorded by the proxy (its leg, #1: the
/// page's greeting and its close, compressed as Chromium compressed them),
/// replayed by `wsdbg replay` against a fresh `serve --deflate` (echo):
/// deflate agreed again, the greeting and the close echoed as they were
/// recorded, and the other client's broadcast, which no replay of this
/// connection can bring, named missing.
fn replay_chromium(file: &str) {
    let (_echo, port, _) = serve(&["--deflate", "-q"]);
    let out = Command::new(WSDBG)
        .args(["replay", file, "--conn", "1", "--json", "--wait", "1"])
        .arg("--to")
        .arg(format!("ws://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!events.iter().any(|e| e["type"] == "note"), "{stdout}");
    let said: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "answer")
        .map(|e| {
            let e = &e["data"];
            let item = if e["expected"].is_null() {
                &e["got"]
            } else {
                &e["expected"]
            };
            (
                e["verdict"].as_str().unwrap().to_string(),
                item["text"]
                    .as_str()
                    .map_or_else(|| item["code"].to_string(), str::to_string),
            )
        })
        .collect();
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        said,
        [
            s("equal", GREETING),
            s("missing", EVIL),
            s("equal", &CODE.to_string())
        ],
        "{stdout}"
    );
}

/// The page at /?check against `serve --check`: Chromium's WebSocket goes
/// through every case of the client battery, one connection each, until
/// the server closes it with 4000; the server prints its report. Chromium
/// is expected to get every case right.
#[test]
fn chromium_through_the_client_battery() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    prerequisites(&dir);
    let (_server, port, out) = serve(&["--check"]);
    let url = format!("http://127.0.0.1:{port}/?check");
    let (status, said, err) = node_script(&dir, "check_page.mjs", &[&url], 120);
    assert!(
        status.is_some_and(|s| s.success()) && said.starts_with("done"),
        "the page did not get through ({status:?}): {said}\n{err}\nserver:\n{}",
        text(&out)
    );
    let report = wait_out(&out, "the client's summary", |o| o.contains("  total "));
    assert!(report.contains("HeadlessChrome"), "{report}");
    assert_eq!(report.matches("client 1 C.").count(), 21, "{report}");
    assert!(report.contains("✓ no case FAILED"), "{report}");
}

/// `serve --tls` with a certificate signed by wsdbg's local CA, in
/// chromium that trusts the CA by the SPKI hash `wsdbg ca --spki` prints
/// (the way `wsdbg ca` tells users to): the page loads over https:// and
/// its greeting comes back over wss://; the server shows the browser's TLS
/// (ALPN http/1.1, SNI localhost).
#[test]
fn chromium_opens_the_page_over_https_trusting_the_local_ca_by_its_spki() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    prerequisites(&dir);
    let data = tempfile::tempdir().unwrap();
    let (_server, port, out) = wsdbg_with(
        &["serve", "--tls", "--no-console"],
        &[("XDG_DATA_HOME", data.path())],
    );
    let spki = Command::new(WSDBG)
        .args(["ca", "--spki"])
        .env("XDG_DATA_HOME", data.path())
        .output()
        .unwrap();
    let spki = String::from_utf8_lossy(&spki.stdout).trim().to_string();
    assert_eq!(spki.len(), 44, "{spki:?}");
    let url = format!("https://localhost:{port}/");
    let (status, said, err) = node_script(&dir, "tls_page.mjs", &[&url, &spki], 60);
    assert!(
        status.is_some_and(|s| s.success()) && said.trim() == "ready",
        "the page did not work over TLS ({status:?}): {said}\n{err}\nserver:\n{}",
        text(&out)
    );
    let shown = wait_out(&out, "the browser's TLS", |o| o.contains("ALPN http/1.1"));
    assert!(shown.contains("SNI localhost"), "{shown}");
    assert!(
        shown.contains("client: text 30 bytes: \"hello from the wsdbg test page\""),
        "{shown}"
    );
}

/// `tests/forward/page_server.py CERT KEY`: an https page and its wss://
/// echo served by Python's websockets, once it listens: the guard and its
/// port.
fn page_server(cert: &str, key: &str) -> (Stopped, u16) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forward/page_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args([cert, key])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python3");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Stopped(child);
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the page server did not listen: {line:?}"));
    (server, port)
}

/// The local CA's SPKI hash, as chromium's
/// `--ignore-certificate-errors-spki-list` takes it.
fn spki(data: &Path) -> String {
    let spki = Command::new(WSDBG)
        .args(["ca", "--spki"])
        .env("XDG_DATA_HOME", data)
        .output()
        .unwrap();
    let spki = String::from_utf8_lossy(&spki.stdout).trim().to_string();
    assert_eq!(spki.len(), 44, "{spki:?}");
    spki
}

#[test]
fn chromium_reaches_an_https_page_and_its_wss_through_the_forward_proxy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    prerequisites(&dir);
    let data = tempfile::tempdir().unwrap();
    let (test_ca, cert, key) = common::certificate(data.path());
    let (_page, page_port) = page_server(&cert, &key);
    let (_proxy, port, out) = wsdbg_with(
        &["proxy", "--forward", "--trace", "--cacert", &test_ca],
        &[("XDG_DATA_HOME", data.path())],
    );
    let spki = spki(data.path());
    let url = format!("https://localhost:{page_port}/");
    let proxy = format!("http://127.0.0.1:{port}");
    let (status, said, err) = node_script(&dir, "proxy_page.mjs", &[&url, &proxy, &spki], 60);
    assert!(
        status.is_some_and(|s| s.success()) && said.trim() == "ready",
        "the page did not work through the proxy ({status:?}): {said}\n{err}\nproxy:\n{}",
        text(&out)
    );
    let shown = wait_out(&out, "the close", |o| o.contains("closed by the client"));
    let host = format!("localhost:{page_port}");
    assert!(
        shown.contains(&format!("http GET {host}/ → 200 OK")),
        "{shown}"
    );
    assert!(
        shown.contains("ALPN http/1.1, SNI localhost"),
        "chromium spoke HTTP/1.1 over TLS with the proxy:\n{shown}"
    );
    assert!(
        shown.contains("open client 127.0.0.1:") && shown.contains(&format!("→ server {host} /ws")),
        "{shown}"
    );
    // Every frame, both ways, compressed as chromium and websockets agreed.
    assert!(
        shown.contains("Sec-WebSocket-Extensions: permessage-deflate"),
        "{shown}"
    );
    assert_eq!(
        shown
            .matches("inflated to 23 bytes: \"hello through the proxy\"")
            .count(),
        2,
        "the page's text, both ways:\n{shown}"
    );
    assert_eq!(
        shown.matches("RSV1    1    message is compressed").count(),
        4,
        "{shown}"
    );
    for frame in ["close, final, masked", "close, final, unmasked"] {
        assert!(shown.contains(frame), "{frame}\n{shown}");
    }
    assert!(
        shown.contains("client sent 1000 Normal Closure \"page done\", clean"),
        "{shown}"
    );
    // A request chromium sent again on its kept-alive connection, after
    // the server had closed it, got its answer from a new connection.
    assert!(!shown.contains("no answer"), "{shown}");

    // Without the CA's key on its list, chromium refuses the certificate
    // the proxy made: nothing is trusted that the user did not trust.
    let (status, said, err) = node_script(&dir, "proxy_page.mjs", &[&url, &proxy], 60);
    assert!(
        status.is_some_and(|s| s.success())
            && said.starts_with("refused:")
            && said.contains("net::ERR_CERT_AUTHORITY_INVALID"),
        "({status:?}) {said}\n{err}"
    );
}

#[test]
fn node_ws_goes_through_the_forward_proxy_with_an_https_agent_and_deflate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    prerequisites(&dir);
    let data = tempfile::tempdir().unwrap();
    let (test_ca, cert, key) = common::certificate(data.path());
    let (_server, up, server_out) = wsdbg_with(
        &[
            "serve",
            "--no-console",
            "--deflate",
            "--tls",
            "--cert",
            &cert,
            "--key",
            &key,
        ],
        &[],
    );
    let (_proxy, port, out) = wsdbg_with(
        &["proxy", "--forward", "--cacert", &test_ca],
        &[("XDG_DATA_HOME", data.path())],
    );
    let ca = data.path().join("wsdbg/ca.pem");
    let (status, said, err) = node_script(
        &dir,
        "proxy_client.mjs",
        &[
            &format!("wss://localhost:{up}/node"),
            &format!("http://127.0.0.1:{port}"),
            &ca.to_string_lossy(),
        ],
        30,
    );
    let greeting = "hello from node through the proxy ".repeat(4);
    assert!(
        status.is_some_and(|s| s.success())
            && said == format!("text {greeting}\nbinary 3000 bytes\n"),
        "({status:?}) {said}\n{err}\nproxy:\n{}",
        text(&out)
    );
    let shown = wait_out(&out, "the close", |o| o.contains("closed by the client"));
    assert!(
        shown.contains(&format!("→ server localhost:{up} /node")),
        "{shown}"
    );
    assert_eq!(
        shown.matches("compressed").count(),
        4,
        "both messages, both ways, compressed:\n{shown}"
    );
    wait_out(&server_out, "node's close", |o| o.contains("node done"));
}
