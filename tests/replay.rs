//! `wsdbg replay`: a session of Python's `websockets` (client and server,
//! tests/replay/) recorded through `proxy --record`, played again against
//! the same server, a changed one, and to the same client as a mock
//! server; a real capture replayed; and the inputs it must refuse.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Kill, Server};
use serde_json::Value;

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/replay");

/// A Python server that prints `port N` first, killed when dropped.
struct Py(#[allow(dead_code)] Kill, u16);

impl Py {
    fn start(script: &str, mode: &str) -> Py {
        let mut child = Command::new("python3")
            .args([script, mode])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("port ")
            .unwrap_or_else(|| panic!("{script} {mode} said {line:?}"))
            .parse()
            .unwrap();
        Py(Kill(child), port)
    }

    /// tests/replay/server.py in `mode`.
    fn app(mode: &str) -> Py {
        Self::start(&format!("{DIR}/server.py"), mode)
    }
}

/// tests/replay/client.py against `url`: what it printed.
fn client(url: &str, other: bool) -> String {
    let mut args = vec![format!("{DIR}/client.py"), url.to_string()];
    if other {
        args.push("other".into());
    }
    let out = Command::new("python3").args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "client.py {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The session of client.py with server.py (normal), recorded through
/// `proxy --record` into DIR/session.pcapng: the file and what the client
/// printed.
fn record_session(dir: &Path) -> (PathBuf, String) {
    let py = Py::app("normal");
    let file = dir.join("session.pcapng");
    let proxy = Server::launch(
        &[
            "proxy",
            "-q",
            "--no-console",
            "--listen",
            "127.0.0.1:0",
            "--record",
            file.to_str().unwrap(),
            &format!("ws://127.0.0.1:{}/", py.1),
        ],
        dir,
        &[],
    );
    let said = client(&format!("ws://127.0.0.1:{}/app", proxy.port), false);
    assert!(said.ends_with("closed 1000\n"), "{said}");
    // What the last turn recorded is written before the proxy waits again.
    std::thread::sleep(Duration::from_millis(300));
    drop(proxy);
    (file, said)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn wsdbg(args: &[&str]) -> Run {
    let start = Instant::now();
    let out: Output = Command::new(WSDBG)
        .args(args)
        .args(["--color", "never"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// (verdict, recorded number, new number) of each answer line.
fn verdicts(events: &[Value]) -> Vec<(String, Option<u64>, Option<u64>)> {
    events
        .iter()
        .filter(|e| e["type"] == "answer")
        .map(|e| {
            (
                e["data"]["verdict"].as_str().unwrap().to_string(),
                e["data"]["recorded"].as_u64(),
                e["data"]["new"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn a_recorded_session_replays_equal_against_its_server_and_differs_against_a_changed_one() {
    if !common::python_websockets() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = record_session(dir.path());
    let file = file.to_str().unwrap();

    // Both legs were recorded: the list names them, and replaying needs one.
    let r = wsdbg(&["replay", file]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("holds 2 WebSocket connections"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("#1 ") && r.stdout.contains("#2 "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("client 5 messages"), "{}", r.stdout);

    let normal = Py::app("normal");
    let to = format!("ws://127.0.0.1:{}", normal.1);
    let r = wsdbg(&["replay", file, "--to", &to]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("2 WebSocket connections: pick one with --conn N"),
        "{}",
        r.stderr
    );

    // The same server: every answer equal once the time it puts in its
    // JSON is left out.
    let r = wsdbg(&[
        "replay", file, "--conn", "2", "--to", &to, "--ignore", "$..at", "--json",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let events = lines(&r.stdout);
    let v = verdicts(&events);
    assert_eq!(v.len(), 6, "five messages and the close: {v:?}");
    assert!(v.iter().all(|(v, _, _)| v == "equal"), "{v:?}");
    assert_eq!(events[0]["type"], "replay");
    let start = &events[0]["data"];
    assert_eq!(start["target"], "/app", "{start}");
    assert_eq!(
        start["peer"],
        format!("{to}/app"),
        "no path: the recorded one"
    );
    let summary = &events.last().unwrap()["data"];
    assert_eq!(summary["match"], true, "{summary}");
    // The ping is replayed, the pong is the endpoint's: hello, the add,
    // the binary, two fragments, the ping, bye and the close.
    assert_eq!(summary["sent"], 8, "{summary}");

    // Without --ignore, the time differs, named by its path.
    let r = wsdbg(&["replay", file, "--conn", "2", "--to", &to]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("~ server message 2: different text"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("    $.at: "), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("6 recorded server messages: 5 equal, 1 different, 0 missing; 0 extra"),
        "{}",
        r.stdout
    );

    // The changed server: one reply altered, one dropped, one extra.
    let changed = Py::app("changed");
    let to = format!("ws://127.0.0.1:{}/app", changed.1);
    let args = [
        "replay", file, "--conn", "2", "--to", &to, "--ignore", "$..at", "--wait", "0.5",
    ];
    let r = wsdbg(&args);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let out = &r.stdout;
    for want in [
        "~ server message 1: different text (9 B) \"hi there!\"\n    - hi there\n    + hi there!\n",
        "- server message 2: missing text",
        "+ new server message 3: extra text (8 B) \"surprise\"",
        "6 recorded server messages: 4 equal, 1 different, 1 missing; 1 extra",
        "the answers differ",
    ] {
        assert!(out.contains(want), "{want:?} not in\n{out}");
    }
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let r = wsdbg(&json_args);
    assert_eq!(r.code, 1);
    let e = |v: &str, a: Option<u64>, b: Option<u64>| (v.to_string(), a, b);
    assert_eq!(
        verdicts(&lines(&r.stdout)),
        [
            e("different", Some(1), Some(1)),
            e("missing", Some(2), None),
            e("equal", Some(3), Some(2)),
            e("extra", None, Some(3)),
            e("equal", Some(4), Some(4)),
            e("equal", Some(5), Some(5)),
            e("equal", Some(6), Some(6)),
        ]
    );
}

#[test]
fn replay_serve_plays_the_recorded_server_to_the_same_client() {
    if !common::python_websockets() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (file, said) = record_session(dir.path());
    let file = file.to_str().unwrap();
    let serve = |extra: &[&str]| {
        let mut args = vec![
            "replay",
            file,
            "--conn",
            "1",
            "--serve",
            "--listen",
            "127.0.0.1:0",
            "--wait",
            "1",
            "--color",
            "never",
        ];
        args.extend_from_slice(extra);
        Server::launch(&args, dir.path(), &[])
    };

    // The same client: it gets its recorded answers, the time in the JSON
    // included, and what it sent matches.
    let mut mock = serve(&[]);
    let again = client(&format!("ws://127.0.0.1:{}/app", mock.port), false);
    assert_eq!(again, said);
    let status = mock.exit_within(Duration::from_secs(20)).expect("ends");
    assert_eq!(status.code(), Some(0), "{}", mock.out.lock().unwrap());
    let out = mock.out.lock().unwrap().clone();
    assert!(
        out.contains("6 recorded client messages: 6 equal, 0 different, 0 missing; 0 extra"),
        "{out}"
    );

    // A client that says something else is shown what differs.
    let mut mock = serve(&[]);
    let answers = client(&format!("ws://127.0.0.1:{}/app", mock.port), true);
    assert_eq!(answers, said, "the recorded answers, whatever it sent");
    let status = mock.exit_within(Duration::from_secs(20)).expect("ends");
    assert_eq!(status.code(), Some(1));
    let out = mock.out.lock().unwrap().clone();
    for want in [
        "~ client message 1: different text (6 B) \"hello?\"\n    - hello\n    + hello?\n",
        "~ client message 2: different text",
        "    $.a: 1 -> 2\n    $.b: 2 -> 3\n",
        "4 equal, 2 different, 0 missing; 0 extra",
    ] {
        assert!(out.contains(want), "{want:?} not in\n{out}");
    }
}

/// A capture made by dumpcap of Python's websockets, client and server,
/// with permessage-deflate (tests/data/README.md), replayed against a
/// Python echo server with deflate: the messages are compressed anew and
/// every echo matches.
#[test]
fn a_real_capture_with_deflate_replays_against_an_echo() {
    if !common::python_websockets() {
        return;
    }
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/echo-deflate.pcapng"
    );
    let py = Py::start(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/connect/server.py"),
        "deflate",
    );
    let to = format!("ws://127.0.0.1:{}/", py.1);
    let r = wsdbg(&["replay", capture, "--to", &to, "--json", "--wait", "2"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let events = lines(&r.stdout);
    let v = verdicts(&events);
    assert!(v.len() >= 3, "{v:?}");
    assert!(v.iter().all(|(v, _, _)| v == "equal"), "{}", r.stdout);
    let compressed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "answer" && e["data"]["expected"]["kind"] == "text")
        .collect();
    assert!(!compressed.is_empty(), "{}", r.stdout);
    // The new connection agreed to deflate as the recorded one did (a
    // note says when not).
    assert!(!events.iter().any(|e| e["type"] == "note"), "{}", r.stdout);
    let py = Py::start(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/connect/server.py"),
        "echo",
    );
    let r = wsdbg(&[
        "replay",
        capture,
        "--to",
        &format!("ws://127.0.0.1:{}/", py.1),
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("note: extensions: the recording agreed permessage-deflate, this connection no extension"),
        "{}",
        r.stdout
    );
}

#[test]
fn pacing_waits_for_answers_keeps_recorded_gaps_or_goes_fast() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gaps.pcapng");
    let serve = Server::launch(
        &["serve", "-q", "--no-console", "--listen", "127.0.0.1:0"],
        dir.path(),
        &[],
    );
    let url = format!("ws://127.0.0.1:{}/gaps", serve.port);
    // Three messages 0.4 s apart, recorded by connect.
    let mut connect = Command::new(WSDBG)
        .args(["connect", "-q", "--record", file.to_str().unwrap(), &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = connect.stdin.take().unwrap();
        for (i, m) in ["one", "two", "three"].iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(400));
            }
            writeln!(stdin, "{m}").unwrap();
            stdin.flush().unwrap();
        }
    }
    assert!(connect.wait().unwrap().success());
    let file = file.to_str().unwrap();

    let r = wsdbg(&["replay", file, "--to", &url, "--timing", "original"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.took >= Duration::from_millis(800), "{:?}", r.took);
    let fast = wsdbg(&["replay", file, "--to", &url, "--timing", "fast"]);
    assert_eq!(fast.code, 0, "{}", fast.stdout);
    assert!(fast.took < r.took, "{:?} against {:?}", fast.took, r.took);

    // A server that never answers: each message waits --wait for the
    // answer before it, then goes; each answer is missing.
    let silent = Server::launch(
        &[
            "serve",
            "-q",
            "--no-console",
            "--mode",
            "silent",
            "--listen",
            "127.0.0.1:0",
        ],
        dir.path(),
        &[],
    );
    let url = format!("ws://127.0.0.1:{}/gaps", silent.port);
    let r = wsdbg(&["replay", file, "--to", &url, "--wait", "0.3", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let v = verdicts(&lines(&r.stdout));
    let missing = v.iter().filter(|(v, _, _)| v == "missing").count();
    assert_eq!(missing, 3, "{v:?}");
    // Two waits between the three messages, one after the last.
    assert!(r.took >= Duration::from_millis(900), "{:?}", r.took);
}

#[test]
fn bad_inputs_are_one_line_errors_with_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/echo-deflate.pcapng"
    );
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "GET / HTTP/1.1\r\n").unwrap();
    let bytes = std::fs::read(capture).unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let empty = dir.path().join("empty.pcapng");
    std::fs::write(&empty, b"").unwrap();
    let free = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let nobody = format!("ws://127.0.0.1:{free}/");
    let cases: [(&[&str], i32, &str); 8] = [
        (
            &["replay", text.to_str().unwrap()],
            2,
            "not a pcap or pcapng capture (it starts with 47 45 54 20)",
        ),
        (
            &["replay", empty.to_str().unwrap()],
            2,
            "it starts with nothing",
        ),
        (
            &["replay", cut.to_str().unwrap(), "--to", &nobody],
            2,
            "truncated or damaged capture: nothing was replayed",
        ),
        (
            &["replay", capture, "--conn", "5", "--to", &nobody],
            2,
            "--conn 5: ",
        ),
        (&["replay", capture, "--to", &nobody], 2, "refused"),
        (
            &["replay", capture, "--to", &nobody, "--ignore", "$.a[x]"],
            2,
            "--ignore $.a[x]: not a JSON path: at character 4",
        ),
        (
            &["replay", capture, "--to", &nobody, "--ignore", "(unclosed"],
            2,
            "--ignore (unclosed: not a regex",
        ),
        (
            &["replay", "/nonexistent/file.pcapng"],
            2,
            "cannot read /nonexistent/file.pcapng",
        ),
    ];
    for (args, code, want) in cases {
        let r = wsdbg(args);
        assert_eq!(r.code, code, "{args:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(
            r.stderr.lines().count(),
            1,
            "{args:?}: one line: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(want),
            "{args:?}: {want:?} not in {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}

#[test]
fn a_server_that_refuses_the_upgrade_is_one_line_and_exit_1() {
    if !common::python_websockets() {
        return;
    }
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/echo-deflate.pcapng"
    );
    let py = Py::start(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/connect/server.py"),
        "refuse",
    );
    let r = wsdbg(&[
        "replay",
        capture,
        "--to",
        &format!("ws://127.0.0.1:{}/", py.1),
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the server refused the upgrade with 403 (the recording has 101)"),
        "{}",
        r.stderr
    );
}

/// A wss:// session recorded by `connect` (its plaintext), replayed over
/// wss:// with the CA given, a header changed and one removed: the server
/// gets the recorded request's other headers, the new one, not the
/// removed one, and every answer matches.
#[test]
fn replay_over_wss_with_headers_changed() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Server::start(dir.path(), &["--trace", "--json"]);
    let ca = common::ca_file(dir.path());
    let ca = ca.to_str().unwrap();
    let url = format!("wss://localhost:{}/secure", serve.port);
    let file = dir.path().join("tls.pcapng");
    let mut connect = Command::new(WSDBG)
        .args(["connect", "-q", "--cacert", ca, "--record"])
        .arg(&file)
        .args(["-H", "X-Recorded: 1", "-H", "X-Kept: k", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = connect.stdin.take().unwrap();
        stdin.write_all(b"first\nsecond\n").unwrap();
    }
    assert!(connect.wait().unwrap().success());
    let file = file.to_str().unwrap();
    let base = format!("wss://localhost:{}", serve.port);
    let r = wsdbg(&[
        "replay",
        file,
        "--to",
        &base,
        "--cacert",
        ca,
        "-H",
        "X-Replayed: yes",
        "-H",
        "x-recorded:",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("3 recorded server messages: 3 equal"),
        "{}",
        r.stdout
    );
    let out = serve.wait_for("X-Replayed");
    let requests: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "request")
        .collect();
    assert_eq!(requests.len(), 2, "{out}");
    let names = |e: &Value| -> Vec<String> {
        e["data"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (first, again) = (names(&requests[0]), names(&requests[1]));
    assert!(first.contains(&"X-Recorded".to_string()), "{first:?}");
    assert!(again.contains(&"X-Kept".to_string()), "{again:?}");
    assert!(again.contains(&"X-Replayed".to_string()), "{again:?}");
    assert!(
        !again.iter().any(|n| n.eq_ignore_ascii_case("X-Recorded")),
        "{again:?}"
    );
    assert_eq!(requests[1]["data"]["target"], "/secure");
    // A fresh key, not the recorded one.
    let key = |e: &Value| {
        e["data"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == "Sec-WebSocket-Key")
            .map(|h| h["value"].clone())
    };
    assert_ne!(key(&requests[0]), key(&requests[1]));
}
