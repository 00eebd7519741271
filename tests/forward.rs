//! `proxy --forward`: an HTTP proxy that clients nobody here wrote point
//! at (Python `websockets`' `proxy=`, `urllib`), reaching ws:// and wss://
//! servers through CONNECT and absolute URLs, passing what is not a
//! WebSocket through untouched, tunnelling hosts outside `--intercept`
//! blind, and answering bad input with the right status.

mod common;

use common::{ca_file, Server};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::thread;
use std::time::Duration;

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/forward/client.py");

/// `proxy --forward` on a free port with the CA under `data`.
fn forward(data: &Path, args: &[&str]) -> Server {
    let mut all = vec!["proxy", "--forward", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(&["--color", "never"]);
    all.extend_from_slice(args);
    Server::launch(&all, data, &[])
}

/// `serve` (plain, or with TLS and `cert`/`key`) on a free port.
fn upstream(data: &Path, tls: Option<(&str, &str)>) -> Server {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--no-console"];
    if let Some((cert, key)) = tls {
        all.extend_from_slice(&["--tls", "--cert", cert, "--key", key]);
    }
    Server::launch(&all, data, &[])
}

/// `client.py ARGS`; None (said on stderr) when Python's websockets is not
/// installed and CI is not set.
fn client(args: &[&str]) -> Option<Output> {
    let out = Command::new("python3")
        .arg(CLIENT)
        .args(args)
        .output()
        .expect("run python3");
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("No module named 'websockets'") && std::env::var_os("CI").is_none() {
        eprintln!("skipped: Python's websockets is not installed; ./test.sh installs it");
        return None;
    }
    Some(out)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Sends `request` to the proxy, ends the sending side, and returns all
/// that comes back.
fn ask(port: u16, request: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn python_websockets_reaches_ws_and_wss_servers_through_the_forward_proxy() {
    let data = tempfile::tempdir().unwrap();
    let (test_ca, cert, key) = common::certificate(data.path());
    let plain = upstream(data.path(), None);
    let tls = upstream(data.path(), Some((&cert, &key)));
    let recording = data.path().join("forward.pcapng");
    let proxy = forward(
        data.path(),
        &[
            "--cacert",
            &test_ca,
            "--record",
            recording.to_str().unwrap(),
        ],
    );
    assert!(proxy.err.contains("as a forward proxy"), "{}", proxy.err);
    let via = format!("http://127.0.0.1:{}", proxy.port);
    let wsdbg_ca = ca_file(data.path()).to_string_lossy().into_owned();

    // ws:// goes through CONNECT too (websockets' proxy= does that).
    let Some(out) = client(&["ws", &format!("ws://127.0.0.1:{}/plain", plain.port), &via]) else {
        return;
    };
    let (said, err) = text(&out);
    assert!(out.status.success(), "{said}\n{err}");
    assert_eq!(said, "one\ntwo\nthree\n");
    let shown = proxy.wait_for("/plain");
    assert!(
        shown.contains(&format!("→ server 127.0.0.1:{} /plain", plain.port)),
        "{shown}"
    );

    // wss://: the client trusts wsdbg's CA, the proxy the server's.
    let out = client(&[
        "ws",
        &format!("wss://localhost:{}/tls", tls.port),
        &via,
        &wsdbg_ca,
    ])
    .unwrap();
    let (said, err) = text(&out);
    assert!(out.status.success(), "{said}\n{err}");
    assert_eq!(said, "one\ntwo\nthree\n");
    proxy.wait_for("closed by the client");
    let shown = proxy.wait_for(&format!("→ server localhost:{} /tls", tls.port));
    assert!(
        shown.contains("TLS 1.3") && shown.contains("SNI localhost"),
        "{shown}"
    );
    for side in ["client", "server"] {
        for m in ["one", "two", "three"] {
            let line = format!("{side}: text {} bytes: \"{m}\"", m.len());
            assert_eq!(shown.matches(&line).count(), 2, "{line}\n{shown}");
        }
    }
    // The server saw the proxy as its client, with the client's path.
    tls.wait_for("/tls");
    recorded_both_legs_of_both(&recording, plain.port, tls.port);

    // A proxy that does not trust the server's certificate answers 502 and
    // says why, in words.
    let strict = forward(data.path(), &[]);
    let out = client(&[
        "ws",
        &format!("wss://localhost:{}/tls", tls.port),
        &format!("http://127.0.0.1:{}", strict.port),
        &wsdbg_ca,
    ])
    .unwrap();
    let (said, err) = text(&out);
    assert!(!out.status.success(), "{said}\n{err}");
    assert!(err.contains("502"), "{err}");
    let shown = strict.wait_for("502 Bad Gateway");
    assert!(shown.contains("certificate"), "{shown}");
    assert!(!shown.contains("UnknownIssuer"), "{shown}");
}

#[test]
fn an_absolute_url_upgrade_reaches_a_plain_ws_server_and_plain_http_passes_untouched() {
    let data = tempfile::tempdir().unwrap();
    let plain = upstream(data.path(), None);
    let proxy = forward(data.path(), &[]);

    // The upgrade, by hand: absolute-form target, then one masked frame.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "GET http://127.0.0.1:{}/abs?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        plain.port, plain.port
    );
    s.write_all(request.as_bytes()).unwrap();
    // MDN's masked "Hello".
    s.write_all(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ])
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"\x81\x05Hello") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&got);
    assert!(
        answer.starts_with("HTTP/1.1 101") && answer.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{answer}"
    );
    let shown = proxy.wait_for("client: text 5 bytes: \"Hello\"");
    assert!(
        shown.contains(&format!("→ server 127.0.0.1:{} /abs?x=1", plain.port)),
        "{shown}"
    );
    drop(s);

    // Three plain requests sent at once on one kept-alive connection
    // (a body with a length, one answer chunked): the same bytes as
    // straight from the server, one line each.
    let server = keep_alive_server();
    let requests = |prefix: &str| {
        format!(
            "GET {prefix}/ HTTP/1.1\r\nHost: h\r\n\r\n\
             POST {prefix}/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc\
             GET {prefix}/chunked HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        )
    };
    let direct = ask(server, requests("").as_bytes());
    assert!(direct.ends_with("0\r\nX-Trailer: t\r\n\r\n"), "{direct}");
    let through = ask(
        proxy.port,
        requests(&format!("http://127.0.0.1:{server}")).as_bytes(),
    );
    assert_eq!(through, direct);
    let shown = proxy.wait_for("/chunked → 200 OK");
    for line in [
        "GET 127.0.0.1:{}/ → 200 OK",
        "POST 127.0.0.1:{}/echo → 201 Created",
    ] {
        let line = line.replace("{}", &server.to_string());
        assert!(shown.contains(&line), "{line}\n{shown}");
    }

    // A server that closes a kept-alive connection after an answer: the
    // next request goes on a new connection, as a client would send it.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for path in ["/once", "/", "/once", "/"] {
        let request = format!("GET http://127.0.0.1:{server}{path} HTTP/1.1\r\nHost: h\r\n\r\n");
        s.write_all(request.as_bytes()).unwrap();
        let mut got = Vec::new();
        while !got.ends_with(b"page") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "{path}: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"), "{path}");
        thread::sleep(Duration::from_millis(50));
    }
    let shown = proxy.wait_for(&format!("{server}/once → 200 OK"));
    assert!(!shown.contains("no answer"), "{shown}");
}

/// An HTTP/1.1 server that keeps connections alive: `/` has a length,
/// `/echo` answers 201 with the request's body, `/chunked` comes in chunks
/// with a trailer, `/once` closes the connection after its answer without
/// saying so first. Its port; it lives as long as the test.
fn keep_alive_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&got[..end]).into_owned();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .map_or(0, |n| n.parse().unwrap());
                    while got.len() < end + 4 + length {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = got[end + 4..end + 4 + length].to_vec();
                    got.drain(..end + 4 + length);
                    let answer = if head.starts_with("POST /echo ") {
                        let mut a = format!(
                            "HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        a.extend_from_slice(&body);
                        a
                    } else if head.starts_with("GET /chunked ") {
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                          5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
                            .to_vec()
                    } else {
                        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npage".to_vec()
                    };
                    if conn.write_all(&answer).is_err() {
                        return;
                    }
                    if head.contains("Connection: close") || head.starts_with("GET /once ") {
                        let _ = conn.shutdown(std::net::Shutdown::Write);
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn urllib_gets_the_real_https_answer_byte_for_byte_through_the_proxy() {
    let data = tempfile::tempdir().unwrap();
    let (test_ca, cert, key) = common::certificate(data.path());
    let tls = upstream(data.path(), Some((&cert, &key)));
    let proxy = forward(data.path(), &["--cacert", &test_ca]);
    let wsdbg_ca = ca_file(data.path()).to_string_lossy().into_owned();
    for path in ["/", "/missing"] {
        let url = format!("https://localhost:{}{path}", tls.port);
        let Some(direct) = client(&["get", &url, "-", &test_ca]) else {
            return;
        };
        let through = client(&[
            "get",
            &url,
            &format!("http://127.0.0.1:{}", proxy.port),
            &wsdbg_ca,
        ])
        .unwrap();
        let (d, derr) = text(&direct);
        let (t, terr) = text(&through);
        assert!(
            direct.status.success() && through.status.success(),
            "{derr}\n{terr}"
        );
        assert!(d.len() > 40, "{d}");
        assert_eq!(t, d);
    }
    let shown = proxy.wait_for("/missing → 404");
    assert!(
        shown.contains(&format!("http GET localhost:{}/ → 200 OK", tls.port)),
        "{shown}"
    );
    assert!(shown.contains("SNI localhost"), "{shown}");
}

#[test]
fn a_host_outside_intercept_is_tunnelled_blind_and_keeps_its_own_certificate() {
    let data = tempfile::tempdir().unwrap();
    let (test_ca, cert, key) = common::certificate(data.path());
    let tls = upstream(data.path(), Some((&cert, &key)));
    let proxy = forward(data.path(), &["--intercept", "*.example.com"]);
    assert!(
        proxy.err.contains("decrypting *.example.com"),
        "{}",
        proxy.err
    );
    // The client trusts the test CA only: it gets through only if it
    // talks to the server itself, end to end.
    let Some(out) = client(&[
        "ws",
        &format!("wss://localhost:{}/blind", tls.port),
        &format!("http://127.0.0.1:{}", proxy.port),
        &test_ca,
    ]) else {
        return;
    };
    let (said, err) = text(&out);
    assert!(out.status.success(), "{said}\n{err}");
    assert_eq!(said, "one\ntwo\nthree\n");
    let shown = proxy.wait_for("ended:");
    assert!(
        shown.contains(&format!(
            "CONNECT localhost:{} tunnelled blind (not in --intercept)",
            tls.port
        )),
        "{shown}"
    );
    assert!(
        !shown.contains("open") && !shown.contains("text"),
        "{shown}"
    );
    tls.wait_for("/blind");
}

#[test]
fn bad_requests_get_clear_answers_and_the_proxy_goes_on() {
    let data = tempfile::tempdir().unwrap();
    let plain = upstream(data.path(), None);
    let proxy = forward(data.path(), &[]);

    let garbage = ask(proxy.port, b"\x01\x02 garbage\r\n\r\n");
    assert!(garbage.starts_with("HTTP/1.1 400 Bad Request"), "{garbage}");

    // A port nothing listens on (bound, then closed).
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let answer = ask(
        proxy.port,
        format!("CONNECT 127.0.0.1:{refused} HTTP/1.1\r\nHost: 127.0.0.1:{refused}\r\n\r\n")
            .as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 502 Bad Gateway"), "{answer}");
    assert!(answer.contains("refused"), "{answer}");

    let mut huge = b"GET http://127.0.0.1:1/ HTTP/1.1\r\nX: ".to_vec();
    huge.resize(2 << 20, b'a');
    let answer = ask(proxy.port, &huge);
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
        "{answer}"
    );

    let answer = ask(proxy.port, b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("absolute URL"), "{answer}");

    // A client that starts TLS inside CONNECT and gives up.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        format!(
            "CONNECT localhost:{0} HTTP/1.1\r\nHost: localhost:{0}\r\n\r\n",
            plain.port
        )
        .as_bytes(),
    )
    .unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    s.write_all(&[0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00])
        .unwrap();
    drop(s);
    proxy.wait_for("its TLS failed");

    // And it still relays.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "GET http://127.0.0.1:{0}/after HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        plain.port
    );
    s.write_all(request.as_bytes()).unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 101"), "{:?}", &buf[..n]);
    let shown = proxy.wait_for("/after");
    for status in ["400 Bad Request", "502 Bad Gateway", "431 Request Header"] {
        assert!(shown.contains(status), "{status}\n{shown}");
    }
}

#[test]
fn json_names_each_passed_request_and_each_blind_tunnel() {
    let data = tempfile::tempdir().unwrap();
    let server = keep_alive_server();
    let proxy = forward(data.path(), &["--json", "--intercept", "nothing.example"]);
    let answer = ask(
        proxy.port,
        format!("GET http://127.0.0.1:{server}/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert!(answer.ends_with("page"), "{answer}");
    // A blind tunnel: what goes in comes back from the server as it is.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let connect = format!("CONNECT 127.0.0.1:{server} HTTP/1.1\r\nHost: x\r\n\r\n");
    s.write_all(connect.as_bytes()).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"HTTP/1.1 200 Connection established\r\n\r\n");
    let inner = b"GET /once HTTP/1.1\r\nHost: h\r\n\r\n";
    s.write_all(inner).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(got.ends_with(b"page"), "{}", String::from_utf8_lossy(&got));
    drop(s);
    let shown = proxy.wait_for("tunnel_ended");
    let find = |what: &str| common::proxy_event(&shown, what);
    let http = find("http");
    assert_eq!(http["method"], "GET");
    assert_eq!(http["host"], format!("127.0.0.1:{server}"));
    assert_eq!(http["target"], "/");
    assert_eq!(http["status"], 200);
    assert_eq!(find("tunnel")["host"], format!("127.0.0.1:{server}"));
    let ended = find("tunnel_ended");
    assert_eq!(ended["bytes_from_client"], inner.len() as u64);
    assert_eq!(ended["bytes_from_server"], got.len() as u64);
}

/// `--record` with `--forward`: both legs of the ws:// and the wss://
/// upgrade (the latter as its plaintext), each from its request on, with
/// the three messages each way; nothing of the CONNECTs before them.
fn recorded_both_legs_of_both(file: &std::path::Path, plain: u16, tls: u16) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .args(["decode", "--json"])
        .arg(file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let targets: Vec<(u64, String, String)> = events
        .iter()
        .filter(|e| e["type"] == "request")
        .map(|e| {
            (
                e["data"]["conn"].as_u64().unwrap(),
                e["data"]["method"].as_str().unwrap().to_string(),
                e["data"]["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = |t: &str| targets.iter().filter(|x| x.1 == "GET" && x.2 == t).count();
    assert_eq!((want("/plain"), want("/tls")), (2, 2), "{targets:?}");
    assert_eq!(targets.len(), 4, "no CONNECT recorded: {targets:?}");
    let servers: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "open")
        .map(|e| e["data"]["server"].as_str().unwrap().to_string())
        .collect();
    for port in [plain, tls] {
        assert!(
            servers.iter().any(|s| s.ends_with(&format!(":{port}"))),
            "the upstream leg to {port}: {servers:?}"
        );
    }
    for conn in 1..=4u64 {
        for side in ["client", "server"] {
            let texts: Vec<&str> = events
                .iter()
                .filter(|e| {
                    e["type"] == "frame" && e["data"]["conn"] == conn && e["data"]["from"] == side
                })
                .filter_map(|e| e["data"]["text"].as_str())
                .collect();
            assert_eq!(texts, ["one", "two", "three"], "#{conn} {side}");
        }
    }
}
