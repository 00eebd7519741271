//! The proxy's console: holding messages (`/intercept`), letting them go,
//! dropping and editing them, and sending frames of its own to either end,
//! with a client nobody here wrote (Python's `websockets`, which offers
//! permessage-deflate) on one side and a server compressing with context
//! takeover on the other: the messages after an edit must still inflate.

mod common;

use common::Server;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/intercept/client.py");

/// `client.py` against the proxy at `port`, path `path`: its stdout and
/// stderr as they come, and the process (killed when dropped).
fn client(port: u16, path: &str, args: &[&str]) -> (Text, Text, common::Kill) {
    let mut child = Command::new("python3")
        .arg(CLIENT)
        .arg(format!("ws://127.0.0.1:{port}{path}"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let (said, _) = common::collect_text(child.stdout.take().unwrap());
    let (err, _) = common::collect_text(child.stderr.take().unwrap());
    (said, err, common::Kill(child))
}

/// Text a child printed so far.
type Text = std::sync::Arc<std::sync::Mutex<String>>;

/// Waits until `out` holds `what` (the client's stdout).
fn wait_text(out: &Text, what: &str) -> String {
    let start = Instant::now();
    loop {
        let text = out.lock().unwrap().clone();
        if text.contains(what) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the client never printed {what:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn held_messages_are_edited_dropped_and_let_go_and_the_console_sends_to_either_end() {
    let data = tempfile::tempdir().unwrap();
    let upstream = Server::launch(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-console",
            "--deflate",
        ],
        data.path(),
        &[],
    );
    let mut proxy = Server::launch_with(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--color",
            "never",
            &format!("ws://127.0.0.1:{}/", upstream.port),
        ],
        data.path(),
        &[],
        true,
    );
    proxy.say("/intercept client /^(edit|drop)/");
    proxy.wait_for("holding messages matching /^(edit|drop)/ from the client");

    let (said, err, client) = client(
        proxy.port,
        "/chat",
        &["5", "one", "edit me", "drop me", "two"],
    );
    if err.lock().unwrap().contains("No module named 'websockets'") {
        assert!(std::env::var_os("CI").is_none(), "CI installs websockets");
        eprintln!("skipped: Python's websockets is not installed; ./test.sh installs it");
        return;
    }
    // "one" passes; "edit me" and "drop me" are held, and "two" waits
    // behind them.
    let shown = proxy.wait_for("held [2]");
    assert!(
        shown.contains("held [1]: text 7 bytes from the client: \"edit me\""),
        "{shown}"
    );
    let text = wait_text(&said, "one\n");
    assert!(text.starts_with("deflate\n"), "both ends compress:\n{text}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        said.lock().unwrap().as_str(),
        "deflate\none\n",
        "nothing overtook the held"
    );

    proxy.say("/list");
    let shown = proxy.wait_for("[2] held from the client: text \"drop me\"");
    assert!(
        shown.contains("[1] held from the client: text \"edit me\""),
        "{shown}"
    );

    proxy.say("/edit 1 EDITED");
    proxy.wait_for("compressed again by the proxy from here on");
    proxy.say("/drop 2");
    wait_text(&said, "two\n");
    proxy.say("/send 1 client from the console");
    wait_text(&said, "from the console\n");
    proxy.say("/send #1 server to the server");
    let text = wait_text(&said, "after\n");
    assert_eq!(
        text,
        "deflate\none\nEDITED\ntwo\nfrom the console\nto the server\nafter\n",
        "stderr: {}",
        err.lock().unwrap()
    );
    let shown = proxy.wait_for("closed by the client");
    for line in [
        "[1] edited: sent in its place: \"EDITED\" (6 bytes)",
        "[2] dropped",
        "sent to the client from the console: text 16 bytes: \"from the console\"",
        "sent to the server from the console: text 13 bytes: \"to the server\"",
        // The server inflated what followed the edit, and answered it.
        "server: text 3 bytes (compressed): \"two\"",
        "server: text 13 bytes (compressed): \"to the server\"",
        "client sent 1000 Normal Closure",
    ] {
        assert!(shown.contains(line), "{line}\n{shown}");
    }
    // The dropped message never reached the server (it would have echoed it).
    assert!(
        !shown.contains("server: text 7 bytes (compressed): \"drop me\""),
        "{shown}"
    );
    drop(client);

    proxy.say("/intercept off");
    proxy.wait_for("interception off; 0 held messages let go");
}

#[test]
fn intercept_messages_holds_from_the_start_until_intercept_off() {
    let data = tempfile::tempdir().unwrap();
    let upstream = Server::launch(
        &["serve", "--listen", "127.0.0.1:0", "--no-console"],
        data.path(),
        &[],
    );
    let mut proxy = Server::launch_with(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--color",
            "never",
            "--intercept-messages",
            "server",
            &format!("ws://127.0.0.1:{}/", upstream.port),
        ],
        data.path(),
        &[],
        true,
    );
    let (said, _, _client) = client(proxy.port, "/", &["1", "ping me"]);
    // The server's echo is held: the client's own message went through.
    let shown = proxy.wait_for("held [1]: text 7 bytes from the server: \"ping me\"");
    assert!(
        shown.contains("client: text 7 bytes: \"ping me\""),
        "{shown}"
    );
    proxy.say("/forward 1");
    wait_text(&said, "ping me\n");
    // "after" is held too; /intercept off lets it go.
    proxy.wait_for("held [2]");
    proxy.say("/intercept off");
    wait_text(&said, "after\n");
    proxy.wait_for("interception off; 1 held message let go");
}

#[test]
fn json_marks_what_was_held_released_and_sent_from_the_console() {
    let data = tempfile::tempdir().unwrap();
    let upstream = Server::launch(
        &["serve", "--listen", "127.0.0.1:0", "--no-console"],
        data.path(),
        &[],
    );
    let mut proxy = Server::launch_with(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--json",
            "--intercept-messages",
            "client",
            &format!("ws://127.0.0.1:{}/", upstream.port),
        ],
        data.path(),
        &[],
        true,
    );
    let (said, _, _client) = client(proxy.port, "/", &["2", "change me"]);
    proxy.wait_for("\"event\":\"held\"");
    proxy.say("/edit 1 --hex 63 68 61 6e 67 65 64");
    // The server's echo of the edited message, before anything else is
    // sent to the client (the two would race).
    wait_text(&said, "changed\n");
    proxy.say("/send 1 client hi");
    wait_text(&said, "hi\n");
    proxy.say("/intercept off");
    wait_text(&said, "after\n");
    let shown = proxy.wait_for("[2] forwarded");
    let find = |what: &str| common::proxy_event(&shown, what);
    let held = find("held");
    assert_eq!(held["held"], 1);
    assert_eq!(held["from"], "client");
    assert_eq!(held["kind"], "text");
    assert_eq!(held["length"], 9);
    assert_eq!(held["preview"], "change me");
    let released = find("released");
    assert_eq!(released["held"], 1);
    assert_eq!(released["action"], "edited");
    assert_eq!(released["edit"], "changed");
    assert_eq!(released["edit_hex"], "6368616e676564");
    let injected = find("injected");
    assert_eq!(injected["to"], "client");
    assert_eq!(injected["kind"], "text");
    assert_eq!(injected["length"], 2);
    assert_eq!(injected["text"], "hi");
    assert_eq!(injected["hex"], "6869");
    // The server echoed the edited message, which the client got.
    assert_eq!(said.lock().unwrap().lines().nth(1), Some("changed"));
}

#[test]
fn quit_on_the_console_stops_the_proxy() {
    let data = tempfile::tempdir().unwrap();
    // Nothing listens upstream: /quit must not wait for a client either.
    let mut proxy = Server::launch_with(
        &["proxy", "--listen", "127.0.0.1:0", "ws://127.0.0.1:9/"],
        data.path(),
        &[],
        true,
    );
    proxy.say("/quit");
    let status = proxy
        .exit_within(Duration::from_secs(5))
        .expect("the proxy still runs 5 s after /quit");
    assert!(status.success(), "{status}");
}
