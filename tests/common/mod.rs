//! What several test files share: a CA and a server certificate made by
//! `openssl` for TLS tests.
#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");
/// How long a test waits for wsdbg to print what it expects.
const PATIENCE: Duration = Duration::from_secs(20);

/// A CA and a server certificate it signed for localhost and 127.0.0.1,
/// made by `openssl`: the CA's certificate, the server's chain and key.
pub fn certificate(dir: &std::path::Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let (ca, ca_key) = (path("ca.pem"), path("ca-key.pem"));
    let mut args = vec!["req", "-x509", "-days", "1", "-subj", "/CN=wsdbg test CA"];
    args.extend_from_slice(&ec);
    args.extend_from_slice(&["-keyout", &ca_key, "-out", &ca]);
    openssl(&args);
    let (csr, key, cert) = (
        path("server.csr"),
        path("server-key.pem"),
        path("server.pem"),
    );
    let mut args = vec!["req", "-subj", "/CN=localhost"];
    args.extend_from_slice(&ec);
    args.extend_from_slice(&["-keyout", &key, "-out", &csr]);
    openssl(&args);
    let ext = path("ext.cnf");
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &ext,
        "-out",
        &cert,
    ]);
    (ca, cert, key)
}

/// A child process killed (and reaped) when dropped, also when a test
/// fails.
pub struct Kill(pub std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Collects what `from` yields, as text, on a thread of its own: the text
/// so far, and the thread (which ends with `from`).
pub fn collect_text(
    mut from: impl std::io::Read + Send + 'static,
) -> (
    std::sync::Arc<std::sync::Mutex<String>>,
    std::thread::JoinHandle<()>,
) {
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = std::thread::spawn({
        let text = text.clone();
        move || {
            let mut buf = [0u8; 16 << 10];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 {
                    break;
                }
                text.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    (text, reader)
}

/// A wsdbg that listens (serve, proxy), killed when dropped.
pub struct Server {
    _child: Kill,
    pub port: u16,
    pub out: Arc<Mutex<String>>,
    /// Its stderr up to the line that says where it listens.
    pub err: String,
    /// Its stdin, when launched with a console.
    pub stdin: Option<std::process::ChildStdin>,
}

impl Server {
    /// `wsdbg serve --tls --listen 127.0.0.1:0 ARGS`, the CA under `data`.
    pub fn start(data: &Path, args: &[&str]) -> Server {
        let mut all = vec!["serve", "--tls", "--listen", "127.0.0.1:0", "--no-console"];
        all.extend_from_slice(&["--color", "never"]);
        all.extend_from_slice(args);
        Self::launch(&all, data, &[])
    }

    /// `wsdbg ARGS` with the CA under `data` and `env`, once it says where
    /// it listens.
    pub fn launch(args: &[&str], data: &Path, env: &[(&str, &Path)]) -> Server {
        Self::launch_with(args, data, env, false)
    }

    /// [`Server::launch`] with stdin a pipe (`console`) for the test to
    /// write commands into.
    pub fn launch_with(args: &[&str], data: &Path, env: &[(&str, &Path)], console: bool) -> Server {
        let mut command = Command::new(WSDBG);
        command.args(args).env("XDG_DATA_HOME", data);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .stdin(if console {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wsdbg");
        let stdin = child.stdin.take();
        let (out, _) = collect_text(child.stdout.take().unwrap());
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let child = Kill(child);
        let mut said = String::new();
        let port = loop {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("wsdbg {args:?} ended before listening; stderr:\n{said}");
            }
            said.push_str(&line);
            let port = line
                .split_once("listening on ")
                .and_then(|(_, rest)| rest.split_once("127.0.0.1:"))
                .and_then(|(_, rest)| rest.split('/').next()?.parse().ok());
            if let Some(p) = port {
                break p;
            }
        };
        // The rest of stderr is drained so that it never blocks on it.
        collect_text(err.into_inner());
        Server {
            _child: child,
            port,
            out,
            err: said,
            stdin,
        }
    }

    /// Writes a console line.
    pub fn say(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("launched with a console");
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// SIGKILL, and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self._child.0.kill();
        let _ = self._child.0.wait();
    }

    /// Its exit status once it ends, or None when it still runs after
    /// `limit`.
    pub fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self._child.0.try_wait().unwrap() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits until stdout holds `what`; all of stdout.
    pub fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let out = self.out.lock().unwrap().clone();
            if out.contains(what) {
                return out;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "wsdbg never printed {what:?}; stdout:\n{out}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The local CA's certificate when its data directory is `data`.
pub fn ca_file(data: &Path) -> PathBuf {
    data.join("wsdbg").join("ca.pem")
}

/// The first `proxy` event of `--json` output `shown` whose `event` is
/// `what` (its `data`); every line must be JSON.
pub fn proxy_event(shown: &str, what: &str) -> serde_json::Value {
    shown
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"))
        })
        .filter(|e| e["type"] == "proxy")
        .map(|e| e["data"].clone())
        .find(|e| e["event"] == what)
        .unwrap_or_else(|| panic!("no {what} event in {shown}"))
}

/// Whether Python's `websockets` (its asyncio server and its sync client
/// and server) can be imported: without it a test fails under CI and is
/// skipped, with a notice, otherwise.
pub fn python_websockets() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import websockets.asyncio.server, websockets.sync.client, websockets.sync.server",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 cannot import websockets: run ./test.sh, which installs it"
        );
        eprintln!("skipped: python3 has no websockets; ./test.sh installs it");
    }
    ok
}
