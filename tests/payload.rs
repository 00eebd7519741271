//! Payload views (`--payload`): what the application says inside the
//! messages, shown by decode, serve, connect and proxy beside the raw
//! payload, in text and in JSON.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::Server;

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");

/// `wsdbg ARGS`: exit code and stdout (stderr must hold no panic).
fn wsdbg(args: &[&str]) -> (i32, String) {
    let out = Command::new(WSDBG)
        .args(args)
        .args(["--color", "never"])
        .stdin(Stdio::null())
        .output()
        .expect("wsdbg runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// An unmasked frame (a server's) as a hex dump.
fn frame(b0: u8, payload: &[u8]) -> String {
    assert!(payload.len() < 126);
    let mut bytes = vec![b0, payload.len() as u8];
    bytes.extend_from_slice(payload);
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn decode_lays_json_out_under_its_frame_and_carries_it_exactly_in_json() {
    let payload = br#"{"id": 12345678901234567890, "b": [1.50, "x"]}"#;
    let dump = frame(0x81, payload);
    let (code, text) = wsdbg(&["decode", &dump]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("  payloads read as json: the first message is JSON\n"),
        "{text}"
    );
    // Laid out, keys in their order, the number exactly as sent.
    assert!(
        text.contains(concat!(
            "    value:\n",
            "      {\n",
            "        \"id\": 12345678901234567890,\n",
            "        \"b\": [\n",
            "          1.50,\n",
            "          \"x\"\n",
            "        ]\n",
            "      }\n"
        )),
        "{text}"
    );
    // The frame with its raw payload is still there, before the view.
    let frame_at = text.find("payload").expect("the frame's payload");
    assert!(frame_at < text.find("payloads read as").unwrap(), "{text}");

    let (_, brief) = wsdbg(&["decode", "--brief", &dump]);
    assert!(
        brief.contains(r#"value: {"id":12345678901234567890, "b":[1.50, "x"]}"#),
        "{brief}"
    );

    let (_, json) = wsdbg(&["decode", "--json", &dump]);
    let raw = json
        .lines()
        .find(|l| l.contains(r#""type":"view""#))
        .unwrap();
    assert!(
        raw.contains(r#""value":{"id":12345678901234567890, "b":[1.50, "x"]}"#),
        "{raw}"
    );
    let events = json_lines(&json);
    let view = events.iter().find(|e| e["type"] == "view").unwrap();
    assert_eq!(view["data"]["view"]["as"], "json");
    assert_eq!(view["data"]["view"]["problems"], serde_json::json!([]));

    // raw: no view at all.
    let (_, raw) = wsdbg(&["decode", "--payload", "raw", &dump]);
    assert!(!raw.contains("payloads read as"), "{raw}");
    assert!(!raw.contains("    value:"), "{raw}");
}

#[test]
fn bad_payloads_are_shown_as_far_as_they_go_with_what_is_wrong() {
    // An Engine.IO packet of an unknown type.
    let (code, text) = wsdbg(&["decode", "--payload", "socketio", &frame(0x81, b"9x")]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(
            "✗ not Engine.IO at byte 0: expected an Engine.IO packet type (0-6), found '9'"
        ),
        "{text}"
    );
    assert!(text.contains("\"9x\""), "the raw payload is shown: {text}");

    // JSON cut in half.
    let (_, text) = wsdbg(&[
        "decode",
        "--payload",
        "json",
        &frame(0x81, br#"{"a": [1, 2"#),
    ]);
    assert!(
        text.contains(r#"    value (as far as it is JSON): {"a":[1, 2"#),
        "{text}"
    );
    assert!(
        text.contains("✗ not JSON at byte 11: expected ',' or ']'"),
        "{text}"
    );

    // A truncated MQTT packet: PUBLISH QoS 1 to "a/b" that says 9 bytes
    // follow, of which 4 came.
    let cut = [0x32, 0x09, 0x00, 0x03, b'a', b'/'];
    let (_, text) = wsdbg(&["decode", "--payload", "mqtt", &frame(0x82, &cut)]);
    assert!(
        text.contains("bytes of a packet held for the next message: 6"),
        "{text}"
    );
    assert!(
        text.contains(
            "✗ the server's last MQTT packet (PUBLISH) is cut: 6 of its bytes came (11 bytes long)"
        ),
        "{text}"
    );
    // A remaining length past four bytes.
    let (_, text) = wsdbg(&[
        "decode",
        "--payload",
        "mqtt",
        &frame(0x82, &[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
    ]);
    assert!(
        text.contains(
            "✗ not MQTT at byte 4 of its packet: expected the remaining length within 4 bytes"
        ),
        "{text}"
    );
}

/// A request offering `protocol`, the 101 agreeing, then `frames`
/// (the client's, masked, and the server's), pasted as one conversation
/// into a file: its path.
fn conversation(dir: &std::path::Path, protocol: &str, frames: &[(bool, &[u8])]) -> String {
    let request = format!(
        "GET /app HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
    );
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
    );
    let mut bytes = Vec::new();
    bytes.extend_from_slice(request.as_bytes());
    bytes.extend_from_slice(response.as_bytes());
    for (client, payload) in frames {
        assert!(payload.len() < 126);
        if *client {
            let key = [1u8, 2, 3, 4];
            bytes.extend([0x81, 0x80 | payload.len() as u8]);
            bytes.extend_from_slice(&key);
            bytes.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        } else {
            bytes.extend([0x81, payload.len() as u8]);
            bytes.extend_from_slice(payload);
        }
    }
    let path = dir.join(format!("{protocol}.bin"));
    std::fs::write(&path, &bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn decode_reads_a_capture_s_payloads_as_its_subprotocol_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = conversation(
        dir.path(),
        "graphql-transport-ws",
        &[
            (true, br#"{"type":"connection_init"}"#),
            (false, br#"{"type":"connection_ack"}"#),
            (
                true,
                br#"{"type":"subscribe","id":"1","payload":{"query":"subscription Count { n }"}}"#,
            ),
            (
                false,
                br#"{"type":"next","id":"1","payload":{"data":{"n":3}}}"#,
            ),
            (
                false,
                br#"{"type":"next","id":"1","payload":{"data":{"n":2}}}"#,
            ),
            (false, br#"{"type":"complete","id":"1"}"#),
        ],
    );
    let (code, text) = wsdbg(&["decode", "--raw", "--file", &path]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("payloads read as graphql: the agreed subprotocol is graphql-transport-ws"),
        "{text}"
    );
    assert!(
        text.contains(
            "  graphql subscribe\n    id: 1\n    operation: subscription\n    name: Count\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  graphql next\n    id: 1\n    result: 2\n"),
        "{text}"
    );
    assert!(
        text.contains("  graphql complete\n    id: 1\n    results: 2\n"),
        "{text}"
    );
    assert!(!text.contains('✗'), "no problem in a clean session: {text}");
}

#[test]
fn what_breaks_the_agreed_subprotocol_is_a_violation() {
    let dir = tempfile::tempdir().unwrap();
    let path = conversation(
        dir.path(),
        "json",
        &[
            (true, br#"{"ok": true}"#),
            (true, br#"{"cut": [1,"#),
            (false, b"[}"),
        ],
    );
    let (code, text) = wsdbg(&["decode", "--raw", "--file", &path]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "✗ 2 messages break the application protocol the subprotocol agreed on (the first: not JSON at byte 11: "
        ),
        "{text}"
    );
    // Still conforming to RFC 6455: the frames are fine.
    assert!(
        text.contains("✓ no violations: conforms to RFC 6455"),
        "{text}"
    );
    let (_, json) = wsdbg(&["decode", "--raw", "--json", "--file", &path]);
    let summary = json_lines(&json)
        .into_iter()
        .find(|e| e["type"] == "summary")
        .unwrap();
    assert_eq!(summary["data"]["payload_violations"], 2, "{summary}");

    // Asked for, not agreed: what is wrong is shown, and is no violation.
    let plain = conversation(dir.path(), "chat", &[(true, br#"{"cut": [1,"#)]);
    let (code, text) = wsdbg(&["decode", "--raw", "--payload", "json", "--file", &plain]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("✗ not JSON at byte 11"), "{text}");
    assert!(!text.contains("break the application protocol"), "{text}");
}

/// A Python `websockets` client: connects to `url` offering
/// `subprotocol`, sends each message and reads each answer.
fn python_client(url: &str, subprotocol: Option<&str>, messages: &[&str]) {
    let script = r#"
import sys, json
from websockets.sync.client import connect
url, proto, msgs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with connect(url, subprotocols=[proto] if proto else None, open_timeout=10) as ws:
    for m in msgs:
        if m == "PING":
            ws.ping(b"rtt").wait(10)
            continue
        ws.send(m)
        ws.recv(timeout=10)
"#;
    let status = Command::new("python3")
        .args([
            "-c",
            script,
            url,
            subprotocol.unwrap_or(""),
            &serde_json::to_string(messages).unwrap(),
        ])
        .status()
        .expect("python3 runs");
    assert!(status.success(), "the Python client failed");
}

#[test]
fn serve_ties_a_json_rpc_answer_to_its_request_with_the_latency() {
    if !common::python_websockets() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = Server::launch(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-console",
            "--color",
            "never",
        ],
        data.path(),
        &[],
    );
    let url = format!("ws://127.0.0.1:{}/rpc", server.port);
    python_client(
        &url,
        None,
        &[
            r#"{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"2.0","result":3,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"note"}"#,
        ],
    );
    let out = server.wait_for(" closed ");
    assert!(
        out.contains("payloads read as jsonrpc: the first message is a JSON-RPC 2.0 object"),
        "{out}"
    );
    assert_eq!(
        out.matches("payloads read as").count(),
        1,
        "said once: {out}"
    );
    assert!(
        out.contains("  jsonrpc request\n    method: sum\n    id: 1\n"),
        "{out}"
    );
    // The echo of the request is the server's; the client's answer
    // answers it.
    let answer = out
        .split("  jsonrpc response\n")
        .nth(1)
        .expect("a response shown");
    assert!(
        answer.starts_with("    id: 1\n    answers: sum\n    latency: "),
        "{out}"
    );
    assert!(
        out.contains("  jsonrpc notification\n    method: note\n"),
        "{out}"
    );
}

#[test]
fn proxy_reads_both_ways_as_the_agreed_subprotocol_in_text_and_json() {
    if !common::python_websockets() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let upstream = Server::launch(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-console",
            "-q",
            "--protocol",
            "graphql-transport-ws",
        ],
        data.path(),
        &[],
    );
    let up = format!("ws://127.0.0.1:{}/", upstream.port);
    for json in [false, true] {
        let mut args = vec![
            "proxy",
            &up,
            "--listen",
            "127.0.0.1:0",
            "--no-console",
            "--color",
            "never",
        ];
        if json {
            args.push("--json");
        }
        let proxy = Server::launch(&args, data.path(), &[]);
        python_client(
            &format!("ws://127.0.0.1:{}/", proxy.port),
            Some("graphql-transport-ws"),
            &[
                r#"{"type":"connection_init"}"#,
                "PING",
                r#"{"type":"ping"}"#,
            ],
        );
        let out = proxy.wait_for(if json {
            r#""type":"close""#
        } else {
            " closed "
        });
        if !json {
            assert!(
                out.contains(
                    "payloads read as graphql: the agreed subprotocol is graphql-transport-ws"
                ),
                "{out}"
            );
            assert_eq!(
                out.matches("  graphql connection_init\n").count(),
                2,
                "{out}"
            );
            continue;
        }
        let events = json_lines(&out);
        let messages: Vec<_> = events.iter().filter(|e| e["type"] == "message").collect();
        assert_eq!(messages.len(), 4, "{out}");
        for m in &messages {
            assert_eq!(m["data"]["view"]["as"], "graphql", "{m}");
        }
        assert_eq!(
            messages[0]["data"]["view"]["chosen"],
            "payloads read as graphql: the agreed subprotocol is graphql-transport-ws"
        );
        assert!(messages[1]["data"]["view"].get("chosen").is_none());
        assert_eq!(
            messages[0]["data"]["view"]["parts"][0]["title"],
            "connection_init"
        );
        // The message itself as JSON, beside its hex.
        let fields = &messages[0]["data"]["view"]["parts"][0]["fields"];
        assert_eq!(fields[0]["name"], "message");
        assert_eq!(fields[0]["value"]["type"], "connection_init");
        assert!(messages[0]["data"]["hex"].is_string());
    }
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn grep_and_only_choose_what_decode_shows_and_the_summary_still_counts_all() {
    // "abc" + "def" in two fragments, a ping between them, then "hi".
    let dump = "01 03 61 62 63 89 00 80 03 64 65 66 81 02 68 69";
    let frames = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("frame "))
            .map(|l| l.split(" · ").next().unwrap().to_string())
            .collect()
    };
    let summary = "summary: 4 frames (1 control), 2 messages complete";
    // A match in the second fragment shows the whole message, both its
    // frames (the first held until the message was whole), and no more.
    let (code, out) = wsdbg(&["decode", "--grep", "de", dump]);
    assert_eq!(code, 0);
    assert_eq!(frames(&out), ["frame 1", "frame 3"], "{out}");
    assert!(out.contains(summary), "{out}");
    let (_, out) = wsdbg(&["decode", "--grep", "^hi$", dump]);
    assert_eq!(frames(&out), ["frame 4"], "{out}");
    let (_, out) = wsdbg(&["decode", "--grep", "nothing", dump]);
    assert!(frames(&out).is_empty(), "{out}");
    assert!(out.contains(summary), "counted though not shown: {out}");
    let (_, out) = wsdbg(&["decode", "--only", "control", dump]);
    assert_eq!(frames(&out), ["frame 2"], "{out}");
    let (_, out) = wsdbg(&["decode", "--only", "text", dump]);
    assert_eq!(frames(&out), ["frame 1", "frame 3", "frame 4"], "{out}");
    let (_, out) = wsdbg(&["decode", "--only", "binary", dump]);
    assert!(frames(&out).is_empty(), "{out}");
    // On the decoded view: the JSON is laid out, the match is on it.
    let json = frame(
        0x81,
        br#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":1}"#,
    );
    let (_, out) = wsdbg(&["decode", "--grep", "method: sum", &json]);
    assert_eq!(frames(&out), ["frame 1"], "{out}");
    // A bad pattern says where it is wrong.
    let (code, _) = wsdbg(&["decode", "--grep", "(", dump]);
    assert_eq!(code, 2);
}

#[test]
fn serve_shows_only_what_only_grep_and_conn_keep_and_counts_the_rest() {
    if !common::python_websockets() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = Server::launch(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-console",
            "--color",
            "never",
            "--only",
            "client",
            "--grep",
            "keep",
            "--conn",
            "2",
        ],
        data.path(),
        &[],
    );
    let url = format!("ws://127.0.0.1:{}/", server.port);
    python_client(&url, None, &["keep 1", "drop 1"]);
    python_client(&url, None, &["keep 2", "drop 2"]);
    let out = server.wait_for("#2 closed");
    let messages: Vec<&str> = out.lines().filter(|l| l.contains(": text ")).collect();
    assert_eq!(messages, [r#"#2 client: text 6 bytes: "keep 2""#], "{out}");
    assert!(!out.contains("#1 "), "connection 1 is not shown: {out}");
    // The closing line counts every message, shown or not.
    assert!(out.contains("(2 messages in, 2 out)"), "{out}");
}

/// `wsdbg connect URL ARGS` with `lines` on its stdin, sent after `wait`
/// (the console ends the connection when stdin ends): its stdout.
fn connect(url: &str, args: &[&str], lines: &str, wait: Duration) -> String {
    use std::io::Write;
    let mut child = Command::new(WSDBG)
        .arg("connect")
        .arg(url)
        .args(args)
        .args(["--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wsdbg connect runs");
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(wait);
    stdin.write_all(lines.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().expect("connect ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn connect_times_pings_and_messages() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::launch(
        &["serve", "--listen", "127.0.0.1:0", "--no-console", "-q"],
        data.path(),
        &[],
    );
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let out = connect(
        &url,
        &["--ping-interval", "0.3", "--timestamps", "delta"],
        "one\ntwo\n",
        Duration::from_millis(1300),
    );
    let pongs: Vec<&str> = out.lines().filter(|l| l.contains(": pong ")).collect();
    assert!(pongs.len() >= 2, "{out}");
    for p in &pongs {
        assert!(p.contains(r#"pong 5 bytes: "wsdbg" (round trip "#), "{out}");
    }
    // The first message has no previous one; the next ones say how long
    // after it they came.
    let texts: Vec<&str> = out.lines().filter(|l| l.contains(": text ")).collect();
    assert_eq!(texts.len(), 4, "{out}");
    assert!(texts[0].starts_with("client: text"), "{out}");
    for t in &texts[1..] {
        assert!(t.starts_with('+') && t.contains("s "), "{out}");
    }
    let closed = out.lines().find(|l| l.starts_with("closed ")).unwrap();
    assert!(
        closed.contains("; ping round trips min/avg/max ")
            && closed.ends_with(&format!("({} pongs)", pongs.len())),
        "{closed}"
    );

    let out = connect(
        &url,
        &["--ping-interval", "0.3", "--json"],
        "x\n",
        Duration::from_millis(800),
    );
    let events = json_lines(&out);
    let pong = events
        .iter()
        .find(|e| e["data"].get("round_trip_ms").is_some())
        .unwrap_or_else(|| panic!("no pong with its round trip: {out}"));
    assert_eq!(pong["data"]["from"], "server", "{pong}");
    assert!(
        pong["data"]["round_trip_ms"].as_f64().unwrap() >= 0.0,
        "{pong}"
    );
    let close = events.iter().find(|e| e["type"] == "close").unwrap();
    let trips = &close["data"]["round_trips"];
    assert!(trips["count"].as_u64().unwrap() >= 1, "{close}");
    assert!(trips["min_ms"].as_f64().unwrap() <= trips["max_ms"].as_f64().unwrap());
}

#[test]
fn the_closing_line_counts_the_messages_that_broke_the_agreed_subprotocol() {
    if !common::python_websockets() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let messages = [r#"{"type":"connection_init"}"#, "not json", "[}"];
    let serve = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--no-console",
        "--color",
        "never",
    ];
    for json in [false, true] {
        let mut args = serve.to_vec();
        args.extend(["--protocol", "graphql-transport-ws"]);
        if json {
            args.push("--json");
        }
        let server = Server::launch(&args, data.path(), &[]);
        let url = format!("ws://127.0.0.1:{}/", server.port);
        python_client(&url, Some("graphql-transport-ws"), &messages);
        // Two of the client's messages and their two echoes.
        if json {
            let out = server.wait_for(r#""type":"close""#);
            let events = json_lines(&out);
            let close = events.iter().find(|e| e["type"] == "close").unwrap();
            assert_eq!(close["data"]["payload_violations"], 4, "{close}");
        } else {
            let out = server.wait_for(" closed ");
            let closed = out.lines().find(|l| l.contains(" closed ")).unwrap();
            assert!(
                closed.ends_with(
                    "; ✗ 4 messages broke the application protocol the subprotocol agreed on"
                ),
                "{out}"
            );
        }
    }
    // Read as JSON because it was asked, not agreed: shown, not counted.
    let server = Server::launch(
        &[&serve[..], &["--payload", "json"]].concat(),
        data.path(),
        &[],
    );
    python_client(&format!("ws://127.0.0.1:{}/", server.port), None, &messages);
    let out = server.wait_for(" closed ");
    assert!(out.contains("✗ not JSON"), "{out}");
    assert!(!out.contains("broke the application protocol"), "{out}");
}
