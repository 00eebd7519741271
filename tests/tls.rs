//! TLS where wsdbg listens: `wsdbg ca` (the local CA, made once, kept
//! private), `serve --tls` with a certificate the CA signs or one given with
//! --cert and --key, against clients nobody here wrote (tungstenite over
//! rustls, Python's `websockets` over OpenSSL) and `wsdbg connect`.

mod common;

use common::{ca_file, Server};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");
const PATIENCE: Duration = Duration::from_secs(20);

/// `wsdbg ARGS` with the CA kept under `data`; its exit code, stdout, stderr.
fn wsdbg(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(WSDBG)
        .args(args)
        .env("XDG_DATA_HOME", data)
        .stdin(Stdio::null())
        .output()
        .expect("run wsdbg");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A plain-text upgrade request to a TLS port: all that comes back until
/// the server ends the connection (up to 10 s).
fn plain_request(port: u16) -> Vec<u8> {
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")
        .unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    answer
}

/// A tungstenite client over rustls that trusts `ca` (PEM) only.
fn tungstenite_over_tls(
    port: u16,
    ca: &Path,
) -> tungstenite::WebSocket<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let stream = rustls::StreamOwned::new(conn, sock);
    let (ws, response) = tungstenite::client(format!("wss://localhost:{port}/tls"), stream)
        .expect("tungstenite's handshake over TLS");
    assert_eq!(response.status(), 101);
    ws
}

#[test]
fn the_local_ca_is_made_once_kept_private_and_shown_with_how_to_trust_it() {
    let data = tempfile::tempdir().unwrap();
    let (code, out, err) = wsdbg(data.path(), &["ca"]);
    assert_eq!(code, 0, "{err}");
    let ca = ca_file(data.path());
    assert!(out.contains("made now (first use)"), "{out}");
    assert!(out.contains(&ca.display().to_string()), "{out}");
    for client in [
        "Chromium",
        "Firefox",
        "curl",
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
        "update-ca-certificates",
    ] {
        assert!(out.contains(client), "no word for {client}:\n{out}");
    }
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(out.contains(pem.trim()), "{out}");
    let key = data.path().join("wsdbg").join("ca-key.pem");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The SPKI hash is what openssl computes from the certificate.
    let (_, spki, _) = wsdbg(data.path(), &["ca", "--spki"]);
    let script = format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
        ca.display()
    );
    let by_openssl = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert_eq!(
        spki.trim(),
        String::from_utf8_lossy(&by_openssl.stdout).trim()
    );
    assert!(out.contains(spki.trim()), "{out}");

    // Read back, not made again; --path alone; --regenerate replaces it.
    let (_, again, _) = wsdbg(data.path(), &["ca"]);
    assert!(again.contains("read from its files"), "{again}");
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), pem);
    let (_, path, _) = wsdbg(data.path(), &["ca", "--path"]);
    assert_eq!(path.trim(), ca.display().to_string());
    let (code, _, _) = wsdbg(data.path(), &["ca", "--regenerate"]);
    assert_eq!(code, 0);
    assert_ne!(std::fs::read_to_string(&ca).unwrap(), pem);

    // A name no certificate can hold is refused before anything listens.
    let (code, _, err) = wsdbg(data.path(), &["serve", "--tls", "--tls-name", "x y"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tls-name \"x y\": not a host name"), "{err}");

    // A key others can read is refused, with what to do.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = wsdbg(data.path(), &["ca"]);
    assert_eq!(code, 2);
    assert!(err.contains("readable by others"), "{err}");
}

#[test]
fn serve_tls_with_the_local_ca_echoes_large_messages_to_tungstenite_and_shows_the_tls() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--trace"]);
    assert!(
        server.err.contains("made wsdbg's local CA"),
        "{}",
        server.err
    );
    let mut ws = tungstenite_over_tls(server.port, &ca_file(data.path()));
    // Larger than a TLS record and than a read: what TLS holds decrypted
    // must be read without a new event from the socket.
    let big: Vec<u8> = (0..(3u32 << 20) + 5).map(|i| (i % 253) as u8).collect();
    for _ in 0..2 {
        ws.send(tungstenite::Message::binary(big.clone())).unwrap();
        let back = loop {
            match ws.read().unwrap() {
                tungstenite::Message::Binary(b) => break b,
                tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => {}
                other => panic!("expected the echo, got {other:?}"),
            }
        };
        assert!(back[..] == big[..], "the echo differs");
    }
    ws.send(tungstenite::Message::text("over tls")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("over tls"));
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    let out = server.wait_for("closed by the client");
    let tls = out
        .lines()
        .find(|l| l.starts_with("#1 tls 127.0.0.1:"))
        .unwrap_or_else(|| panic!("no tls line:\n{out}"));
    assert!(tls.contains("TLS 1.3, TLS13_"), "{tls}");
    assert!(tls.contains("no ALPN, SNI localhost"), "{tls}");
    // The TLS line comes before the upgrade request it carried.
    assert!(
        out.find("#1 tls").unwrap() < out.find("GET /tls HTTP/1.1").unwrap(),
        "{out}"
    );
    assert!(out.contains("unmasked: 6f 76 65 72 20 74 6c 73"), "{out}");

    // The CA made then is the one read now: a second server's certificate
    // is trusted through the same file.
    let again = Server::start(data.path(), &[]);
    assert!(
        !again.err.contains("made wsdbg's local CA"),
        "{}",
        again.err
    );
    let mut ws = tungstenite_over_tls(again.port, &ca_file(data.path()));
    ws.send(tungstenite::Message::text("again")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("again"));
}

#[test]
fn serve_tls_with_cert_and_key_talks_to_python_websockets_and_wsdbg_connect() {
    let data = tempfile::tempdir().unwrap();
    let (ca, cert, key) = common::certificate(data.path());
    let server = Server::start(data.path(), &["--cert", &cert, "--key", &key]);
    assert!(
        server.err.contains("the certificate of --cert"),
        "{}",
        server.err
    );
    assert!(
        !ca_file(data.path()).exists(),
        "no local CA is made with --cert"
    );

    let python = Command::new("python3")
        .args([
            "-c",
            "import ssl, sys\n\
             from websockets.sync.client import connect\n\
             ctx = ssl.create_default_context(cafile=sys.argv[2])\n\
             with connect(sys.argv[1], ssl=ctx, open_timeout=10) as ws:\n\
             \x20   ws.send('from python')\n\
             \x20   print(ws.recv(timeout=10))\n",
            &format!("wss://localhost:{}/py", server.port),
            &ca,
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&python.stdout);
    if String::from_utf8_lossy(&python.stderr).contains("No module named 'websockets'") {
        eprintln!("skipped the Python client: no websockets module; ./test.sh installs it");
    } else {
        assert!(
            python.status.success() && said.trim() == "from python",
            "{said}\n{}",
            String::from_utf8_lossy(&python.stderr)
        );
        server.wait_for("text 11 bytes: \"from python\"");
    }

    let mut connect = Command::new(WSDBG)
        .args(["connect", "--cacert", &ca])
        .arg(format!("wss://localhost:{}/connect", server.port))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    connect
        .stdin
        .take()
        .unwrap()
        .write_all(b"from connect\n")
        .unwrap();
    let out = connect.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shown}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.contains("server: text 12 bytes: \"from connect\""),
        "{shown}"
    );
    server.wait_for("\"from connect\"");
}

#[test]
fn a_client_that_does_not_speak_tls_is_told_apart_and_the_server_stays_up() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let answer = plain_request(server.port);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "answered in plain text: {answer:?}"
    );
    let out = server.wait_for("did not speak TLS");
    assert!(out.contains("#1 "), "{out}");
    let mut ws = tungstenite_over_tls(server.port, &ca_file(data.path()));
    ws.send(tungstenite::Message::text("still here")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("still here"));
}

#[test]
fn proxy_tls_takes_wss_from_the_client_and_relays_to_a_plain_upstream() {
    let data = tempfile::tempdir().unwrap();
    // The upstream: wsdbg serve, plain.
    let upstream = Server::launch(
        &["serve", "-q", "--no-console", "--listen", "127.0.0.1:0"],
        data.path(),
        &[],
    );
    let up = format!("ws://127.0.0.1:{}/", upstream.port);
    let proxy = Server::launch(
        &[
            "proxy",
            "--tls",
            "--color",
            "never",
            "--listen",
            "127.0.0.1:0",
            &up,
        ],
        data.path(),
        &[],
    );
    let port = proxy.port;
    let mut ws = tungstenite_over_tls(port, &ca_file(data.path()));
    let big: Vec<u8> = (0..(1u32 << 20) + 3).map(|i| (i % 249) as u8).collect();
    ws.send(tungstenite::Message::binary(big.clone())).unwrap();
    match ws.read().unwrap() {
        tungstenite::Message::Binary(b) => assert!(b[..] == big[..], "the echo differs"),
        other => panic!("expected the echo, got {other:?}"),
    }
    ws.send(tungstenite::Message::text("through")).unwrap();
    assert_eq!(ws.read().unwrap(), tungstenite::Message::text("through"));
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    drop(ws);
    let out = proxy.wait_for("#1 closed");
    assert!(out.contains("#1 tls 127.0.0.1:"), "{out}");
    assert!(out.contains("SNI localhost"), "{out}");
    assert!(
        out.contains("#1 server: text 7 bytes: \"through\""),
        "{out}"
    );
    assert!(out.contains("#1 closed by the client"), "{out}");

    // A client that does not speak TLS cannot be answered in HTTP: the
    // proxy says so, and does not claim an answer it could not give.
    let answer = plain_request(port);
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
    let out = proxy.wait_for("#2 127.0.0.1:");
    let line = out.lines().find(|l| l.starts_with("#2 ")).unwrap();
    assert!(
        line.contains("closed without an answer, its TLS failed: TLS: the peer sent something that is not TLS"),
        "{line}"
    );
    assert!(!out.contains("refused with 400"), "{out}");
}

/// Runs `wsdbg connect ARGS URL` with one line on stdin; exit code, stdout,
/// stderr.
fn connect(args: &[&str], env: &[(&str, &Path)]) -> (i32, String, String) {
    let mut c = Command::new(WSDBG);
    c.arg("connect").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a line\n").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn connect_trusts_a_self_signed_certificate_given_with_cacert_and_says_tls_errors_in_words() {
    let data = tempfile::tempdir().unwrap();
    let (cert, key) = (
        data.path().join("self.pem"),
        data.path().join("self-key.pem"),
    );
    // What `openssl req -x509` makes: CA:TRUE, its own end entity.
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (c, k) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = Server::start(data.path(), &["--cert", c, "--key", k]);
    let url = format!("wss://localhost:{}/self", server.port);
    let (code, out, err) = connect(&["--cacert", c, &url], &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("server: text 6 bytes: \"a line\""), "{out}");

    // Its name is still checked; errors are sentences, not enum names.
    let by_ip = format!("wss://127.0.0.1:{}/self", server.port);
    let (code, _, err) = connect(&["--cacert", c, &by_ip], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not valid for this host name"), "{err}");
    // Not given: refused, with what to do about it.
    let (code, _, err) = connect(&[&url], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a CA's (CA:TRUE)") && err.contains("with --cacert"),
        "{err}"
    );
    for raw in [
        "CaUsedAsEndEntity",
        "UnknownIssuer",
        "NotValidForName",
        "InvalidCertificate",
    ] {
        assert!(!err.contains(raw), "a library's name in {err}");
    }
}

#[test]
fn sslkeylogfile_gets_the_secrets_of_both_ends_in_the_nss_format() {
    let data = tempfile::tempdir().unwrap();
    let (server_keys, client_keys) = (
        data.path().join("server.keys"),
        data.path().join("client.keys"),
    );
    let server = Server::launch(
        &[
            "serve",
            "--tls",
            "--listen",
            "127.0.0.1:0",
            "--no-console",
            "-q",
        ],
        data.path(),
        &[("SSLKEYLOGFILE", &server_keys)],
    );
    let (port, said) = (server.port, &server.err);
    assert!(said.contains("SSLKEYLOGFILE is set"), "{said}");
    let ca = ca_file(data.path());
    let url = format!("wss://localhost:{port}/");
    let (code, out, err) = connect(
        &["--cacert", ca.to_str().unwrap(), &url],
        &[("SSLKEYLOGFILE", &client_keys)],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("TLS secrets are appended to"), "{err}");
    let secrets = |p: &Path| -> Vec<(String, String)> {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (f.len() == 3 && f[1].len() == 64 && f[1].chars().all(|c| c.is_ascii_hexdigit()))
                    .then(|| (f[0].to_string(), f[1].to_string()))
            })
            .collect()
    };
    let start = Instant::now();
    while secrets(&server_keys).is_empty() && start.elapsed() < PATIENCE {
        thread::sleep(Duration::from_millis(20));
    }
    let (s, c) = (secrets(&server_keys), secrets(&client_keys));
    for label in ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"] {
        assert!(c.iter().any(|(l, _)| l == label), "{label} not in {c:?}");
        assert!(s.iter().any(|(l, _)| l == label), "{label} not in {s:?}");
    }
    // The same connection, seen from both ends: the same client random.
    assert!(c.iter().any(|x| s.contains(x)), "{c:?}\n{s:?}");
}
