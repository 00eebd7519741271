//! The payload views against implementations nobody here wrote, through
//! `wsdbg proxy`: python-socketio (server and client) and the npm
//! socket.io-client, the npm graphql-ws server and client, rpc-websockets
//! (JSON-RPC 2.0), stomp.py and @stomp/stompjs, paho-mqtt against Debian's
//! mosquitto, checked field by field against tshark's MQTT dissector.
//! The peers are in tests/payload (its README says what each sends);
//! tests/payload/install.sh installs them, as test.sh does.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::Server;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/payload")
}

/// Whether the peers are installed; under CI their absence fails.
fn installed() -> bool {
    let python = Command::new("python3")
        .args([
            "-c",
            "import socketio, engineio, aiohttp, websocket, paho.mqtt, stomp, websockets",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let node = [
        "graphql-ws",
        "rpc-websockets",
        "socket.io-client",
        "@stomp/stompjs",
        "ws",
    ]
    .iter()
    .all(|m| {
        dir()
            .join("node_modules")
            .join(m)
            .join("package.json")
            .exists()
    });
    let mosquitto = Command::new("sh")
        .args(["-c", "command -v mosquitto || test -x /usr/sbin/mosquitto"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let ok = python && node && mosquitto;
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "the payload peers are missing (python {python}, node {node}, mosquitto {mosquitto}): run tests/payload/install.sh"
        );
        eprintln!("skipped: the payload peers are missing; tests/payload/install.sh installs them");
    }
    ok
}

/// A peer server, stopped when dropped (its stdin closes, then a kill).
struct Peer {
    child: Child,
    port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program args` from tests/payload; its first line is its port.
fn peer(program: &str, args: &[&str]) -> Peer {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{program} {args:?} said {line:?}, not its port"));
    Peer { child, port }
}

/// Runs a peer client to its end: its stdout (it must succeed).
fn client(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `wsdbg proxy ws://127.0.0.1:PORT/` with `extra` arguments.
fn proxy(data: &Path, port: u16, extra: &[&str]) -> Server {
    let up = format!("ws://127.0.0.1:{port}/");
    let mut args = vec![
        "proxy",
        &up,
        "--listen",
        "127.0.0.1:0",
        "--no-console",
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    Server::launch(&args, data, &[])
}

/// Asserts that `out` holds each of `lines` (each a run of whole lines).
fn holds(out: &str, lines: &[&str]) {
    for l in lines {
        assert!(out.contains(l), "no {l:?} in:\n{out}");
    }
}

#[test]
fn socketio_events_acks_a_namespace_and_a_binary_attachment() {
    if !installed() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = peer("python3", &["socketio_server.py"]);
    for node in [false, true] {
        let proxy = proxy(data.path(), server.port, &[]);
        let url = format!("http://127.0.0.1:{}", proxy.port);
        let said = if node {
            client("node", &["socketio_client.mjs", &url])
        } else {
            client("python3", &["socketio_client.py", &url])
        };
        assert!(said.contains("download blob ff020100"), "{said}");
        let out = proxy.wait_for(" closed ");
        holds(
            &out,
            &[
                "  payloads read as socketio: the first message is an Engine.IO open packet\n  socketio open\n    sid: ",
                "    pingInterval: 1000\n    pingTimeout: 5000\n    maxPayload: 1000000\n",
                "  socketio message · CONNECT\n    namespace: /chat\n",
                "  socketio message · EVENT \"chat\"\n    namespace: /chat\n    data:\n",
                "  socketio message · EVENT \"reply\"\n    namespace: /chat\n",
                "  socketio ping\n",
                "  socketio pong\n",
            ],
        );
        let first_ack = if node { 0 } else { 1 };
        holds(
            &out,
            &[
                &format!("  socketio message · EVENT \"add\"\n    namespace: /\n    ack id: {first_ack}\n"),
                &format!("  socketio message · ACK\n    namespace: /\n    ack id: {first_ack}\n"),
                // The client's binary packet, then its attachment joined
                // to it; and the server's.
                "    attachments: 1\n    joined: the next 1 binary messages\n",
                "  socketio attachment\n    of: 1 of 1: the packet is whole\n    length: 4\n  socketio message · BINARY_EVENT \"upload\"\n",
                "    attachment 0: 4 bytes: 00 01 02 ff\n",
                "    attachment 0: 4 bytes: ff 02 01 00\n",
            ],
        );
        assert!(!out.contains('✗'), "{out}");
    }
}

#[test]
fn graphql_ws_query_subscription_and_error_tied_to_their_operations() {
    if !installed() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = peer("node", &["graphql_server.mjs"]);
    let proxy = proxy(data.path(), server.port, &[]);
    let said = client(
        "node",
        &[
            "graphql_client.mjs",
            &format!("ws://127.0.0.1:{}/", proxy.port),
        ],
    );
    assert!(said.contains("next 0\ncomplete\n"), "{said}");
    let out = proxy.wait_for(" closed ");
    holds(
        &out,
        &[
            "  payloads read as graphql: the agreed subprotocol is graphql-transport-ws\n  graphql connection_init\n",
            "  graphql connection_ack\n",
            "    operation: query\n    name: Hello\n",
            "    operation: subscription\n    name: Count\n",
            "  graphql next\n",
            "    result: 4\n    since the operation started: ",
            "  graphql complete\n",
            "    results: 4\n    the operation lasted: ",
            "    operation: query\n    name: Bad\n",
            "  graphql error\n",
            "  graphql ping\n",
            "  graphql pong\n",
        ],
    );
    assert!(!out.contains('✗'), "{out}");
}

#[test]
fn json_rpc_answers_tied_to_their_calls_and_a_non_standard_event_flagged() {
    if !installed() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = peer("node", &["jsonrpc_server.mjs"]);
    let proxy = proxy(data.path(), server.port, &["--json"]);
    client(
        "node",
        &[
            "jsonrpc_client.mjs",
            &format!("ws://127.0.0.1:{}/", proxy.port),
        ],
    );
    let out = proxy.wait_for(r#""type":"close""#);
    let views: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["type"] == "message")
        .map(|e| e["data"]["view"].clone())
        .collect();
    assert_eq!(views[0]["as"], "jsonrpc");
    assert_eq!(
        views[0]["chosen"],
        "payloads read as jsonrpc: the first message is a JSON-RPC 2.0 object"
    );
    let part = |v: &serde_json::Value| -> (String, Vec<(String, serde_json::Value)>) {
        let p = &v["parts"][0];
        let fields = p["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str().unwrap().to_string(), f["value"].clone()))
            .collect();
        (p["title"].as_str().unwrap().to_string(), fields)
    };
    let field = |fields: &[(String, serde_json::Value)], name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
    };
    let (title, f) = part(&views[1]);
    assert_eq!(title, "response");
    assert_eq!(field(&f, "answers"), "sum");
    assert!(field(&f, "latency").as_str().unwrap().ends_with(" ms"));
    assert_eq!(field(&f, "message")["result"], 5);
    let (title, f) = part(&views[3]);
    assert_eq!(title, "error");
    assert_eq!(field(&f, "code"), "-32001");
    assert_eq!(field(&f, "message"), "always fails");
    assert_eq!(field(&f, "answers"), "fail");
    let (title, f) = part(&views[6]);
    assert_eq!(title, "notification");
    assert_eq!(field(&f, "method"), "log");
    // rpc-websockets' events are not JSON-RPC: said so.
    let flagged: Vec<_> = views
        .iter()
        .filter(|v| !v["problems"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(flagged.len(), 1, "{out}");
    assert_eq!(flagged[0]["problems"][0], "expected \"jsonrpc\": \"2.0\"");
    assert_eq!(
        flagged[0]["parts"][0]["fields"][0]["value"]["notification"],
        "tick"
    );
}

#[test]
fn stomp_frames_headers_bodies_and_heart_beats() {
    if !installed() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = peer("python3", &["stomp_server.py"]);
    for node in [false, true] {
        let proxy = proxy(data.path(), server.port, &[]);
        let url = format!("ws://127.0.0.1:{}/", proxy.port);
        if node {
            client("node", &["stomp_client.mjs", &url]);
        } else {
            client("python3", &["stomp_client.py", &url]);
        }
        let out = proxy.wait_for(" closed ");
        let connect = if node {
            "  stomp CONNECT\n    accept-version: 1.2,1.1,1.0\n    heart-beat: 500,500\n"
        } else {
            "  stomp STOMP\n    accept-version: 1.2\n    heart-beat: 500,500\n"
        };
        holds(
            &out,
            &[
                "  payloads read as stomp: the agreed subprotocol is v12.stomp\n",
                connect,
                "  stomp CONNECTED\n    version: 1.2\n    heart-beat: 500,500\n",
                "  stomp SUBSCRIBE\n",
                "    destination: /queue/test\n",
                "  stomp SEND\n",
                "  stomp MESSAGE\n    subscription: sub-0\n",
                "    body: hello\n",
                "    content-length: 9\n",
                "  stomp heart-beat\n",
                "  stomp DISCONNECT\n    receipt: bye\n",
                "  stomp RECEIPT\n    receipt-id: bye\n",
            ],
        );
        assert!(!out.contains('✗'), "{out}");
    }
}

/// An MQTT packet's type, header byte, remaining length, packet id and
/// topic.
type Mqtt = (u8, u8, u64, Option<u64>, Option<String>);

/// tshark's MQTT fields of a capture, per packet.
fn tshark_mqtt(file: &Path) -> Vec<Mqtt> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .arg("-X")
        .arg(format!(
            "lua_script:{}",
            dir().join("mqtt_ws.lua").display()
        ))
        .args([
            "-Y",
            "mqtt",
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-E",
            "occurrence=a",
        ])
        .args([
            "-e",
            "mqtt.msgtype",
            "-e",
            "mqtt.hdrflags",
            "-e",
            "mqtt.len",
        ])
        .args(["-e", "mqtt.msgid", "-e", "mqtt.topic"])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut packets = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let cols: Vec<Vec<&str>> = line.split('|').map(|c| c.split(',').collect()).collect();
        // A segment may hold several MQTT packets: each field lists them.
        for i in 0..cols[0].len() {
            let get = |c: usize| cols[c].get(i).copied().filter(|s| !s.is_empty());
            let flags = get(1).unwrap();
            packets.push((
                get(0).unwrap().parse().unwrap(),
                u8::from_str_radix(flags.trim_start_matches("0x"), 16).unwrap(),
                get(2).unwrap().parse().unwrap(),
                get(3).map(|s| s.parse().unwrap()),
                get(4).map(str::to_string),
            ));
        }
    }
    packets
}

#[test]
fn mqtt_over_mosquitto_packet_by_packet_as_tshark_reads_it() {
    if !installed() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let broker = peer("bash", &["mqtt_broker.sh"]);
    let record = data.path().join("mqtt.pcapng");
    let proxy = proxy(
        data.path(),
        broker.port,
        &["--record", record.to_str().unwrap()],
    );
    let said = client(
        "python3",
        &[
            "mqtt_client.py",
            &format!("ws://127.0.0.1:{}/mqtt", proxy.port),
        ],
    );
    assert!(said.contains("pingresp"), "{said}");
    let out = proxy.wait_for(" closed ");
    holds(
        &out,
        &[
            "  payloads read as mqtt: the agreed subprotocol is mqtt\n  mqtt CONNECT\n    type: 1 CONNECT (bits 7-4 of byte 0: 0001)\n    flags: 0000\n    remaining length: 22 (1 byte of varint)\n",
            "    client identifier: \"wsdbg-peer\"\n",
            "  mqtt PUBLISH\n    type: 3 PUBLISH (bits 7-4 of byte 0: 0011)\n    flags: 0010 (DUP 0, QoS 1, RETAIN 0)\n",
            "    flags: 0100 (DUP 0, QoS 2, RETAIN 0)\n",
            "  mqtt PUBREL\n    type: 6 PUBREL (bits 7-4 of byte 0: 0110)\n    flags: 0010\n",
            "  mqtt PINGREQ\n",
            "  mqtt PINGRESP\n",
            "  mqtt DISCONNECT\n",
        ],
    );
    assert!(!out.contains('✗'), "{out}");
    drop(proxy);

    // The recording, decoded by wsdbg and by tshark: the same packets,
    // field by field, in the same order.
    let ours = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "--json"])
        .arg(&record)
        .output()
        .unwrap();
    let mut packets: Vec<Mqtt> = Vec::new();
    for line in String::from_utf8_lossy(&ours.stdout).lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        if e["type"] != "view" {
            continue;
        }
        for part in e["data"]["view"]["parts"].as_array().unwrap() {
            let field = |name: &str| {
                part["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["name"] == name)
                    .map(|f| f["value"].as_str().unwrap().to_string())
            };
            let Some(kind) = field("type") else { continue };
            let bits = field("flags").unwrap();
            let remaining = field("remaining length").unwrap();
            packets.push((
                kind.split(' ').next().unwrap().parse::<u8>().unwrap(),
                (kind.split(' ').next().unwrap().parse::<u8>().unwrap() << 4)
                    | u8::from_str_radix(&bits[..4], 2).unwrap(),
                remaining.split(' ').next().unwrap().parse::<u64>().unwrap(),
                field("packet identifier").map(|s| s.parse().unwrap()),
                // tshark's mqtt.topic is a PUBLISH's topic or a
                // SUBSCRIBE's filter.
                field("topic name")
                    .or_else(|| field("topic filter"))
                    .map(|s| s.trim_matches('"').to_string()),
            ));
        }
    }
    let theirs = tshark_mqtt(&record);
    assert!(theirs.len() >= 40, "both legs of 21 packets: {theirs:?}");
    assert_eq!(packets, theirs);
}
