//! The Autobahn testsuite's cases 1-10 against `wsdbg serve` (echo mode)
//! and against `wsdbg connect --mode echo` (the client side).
//!
//! Server side: starts `wsdbg serve -q --listen 127.0.0.1:PORT` on a free
//! port, waits until the port accepts, and runs `python3
//! tests/autobahn/run.py ws://127.0.0.1:PORT`, which drives `wstest -m
//! fuzzingclient` and fails on any FAILED or UNIMPLEMENTED case; its summary
//! is printed.
//!
//! Client side: runs `python3 tests/autobahn/run.py --client WSDBG`, which
//! starts `wstest -m fuzzingserver` on a free 127.0.0.1 port and runs `wsdbg
//! connect -q --mode echo ws://…/runCase?case=N&agent=wsdbg` for each case,
//! and fails the same way, and on a case whose wsdbg hangs or crashes.
//!
//! Both keep their summary lines in `target/tmp/autobahn*/summary.txt`,
//! which `./test.sh` prints. They take turns (each wstest run gets the
//! machine's cores to itself).
//!
//! Needs `wstest` (Python 2.7), which `tests/autobahn/install.sh` installs
//! (`./test.sh` runs it when wstest is missing): without it the tests fail
//! when `CI` is set and are skipped, with a notice, otherwise.

use std::fs::File;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::process::{kill_process_group, Pid, Signal};

const WSDBG: &str = env!("CARGO_BIN_EXE_wsdbg");

/// How long the client side's run.py may take before it is stopped (it
/// takes under a minute; run.py's own limit is 600 s).
const CLIENT_DEADLINE: Duration = Duration::from_secs(900);

/// One wstest run at a time.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether to run: wstest is there. Without it the test fails under CI and
/// is skipped, with a notice, otherwise.
fn have_wstest(wstest: &Path) -> bool {
    if wstest.is_file() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "wstest is missing at {}: run ./test.sh, which installs it \
         (or tests/autobahn/install.sh)",
        wstest.display()
    );
    eprintln!(
        "autobahn: skipped: wstest is missing at {}; tests/autobahn/install.sh installs it",
        wstest.display()
    );
    false
}

/// Keeps run.py's summary lines (those starting with `prefix`, but the
/// report's path) in DIR/summary.txt, where test.sh prints them from, since
/// cargo test hides what a passing test prints.
fn keep_summary(dir: &Path, stdout: &str, prefix: &str) {
    let summary: String = stdout
        .lines()
        .filter(|l| l.starts_with(prefix) && !l.starts_with(&format!("{prefix}report")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("summary.txt"), summary).expect("write the summary");
}

/// Where run.py and install.sh look for wstest: `$WSTEST`, else
/// `${PYTHONUSERBASE:-~/.local}/bin/wstest`.
fn wstest() -> PathBuf {
    if let Some(path) = std::env::var_os("WSTEST").filter(|p| !p.is_empty()) {
        return path.into();
    }
    let base = match std::env::var_os("PYTHONUSERBASE").filter(|p| !p.is_empty()) {
        Some(base) => PathBuf::from(base),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local"),
    };
    base.join("bin").join("wstest")
}

/// The server under test; killed when dropped, also when the test panics.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

fn start_server(port: u16, dir: &Path, extra: &[&str]) -> Server {
    let log = dir.join("serve.log");
    let out = File::create(&log).expect("create serve.log");
    let err = out.try_clone().expect("clone serve.log");
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(WSDBG)
        .args(["serve", "-q", "--no-console", "--listen", &listen])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start wsdbg serve");
    let mut server = Server { child, log };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let start = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().expect("poll wsdbg serve") {
            panic!(
                "wsdbg serve --listen {listen} exited ({status}) before accepting; its output:\n{}",
                server.log()
            );
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return server;
        }
        if start.elapsed() > Duration::from_secs(15) {
            panic!(
                "wsdbg serve --listen {listen} did not accept within 15 s; its output:\n{}",
                server.log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn autobahn_cases_1_to_10() {
    server_side("autobahn", &[], None, "autobahn: ");
}

/// Sections 12 and 13: permessage-deflate, against `serve --deflate`.
#[test]
fn autobahn_deflate_cases_12_and_13() {
    server_side(
        "autobahn-deflate",
        &["--deflate"],
        Some("12.*,13.*"),
        "autobahn deflate: ",
    );
}

/// run.py against `wsdbg serve EXTRA`, its cases (default 1-10), its
/// summary kept in target/tmp/DIR with its lines prefixed by `prefix`.
fn server_side(dir: &str, extra: &[&str], cases: Option<&str>, prefix: &str) {
    let wstest = wstest();
    if !have_wstest(&wstest) {
        return;
    }
    let _turn = turn();

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).expect("create the report folder");
    let port = free_port();
    let server = start_server(port, &dir, extra);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/autobahn/run.py");
    let url = format!("ws://127.0.0.1:{port}");
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg(&url)
        // NON-STRICT fails too: wsdbg gets none, and must keep it so.
        .args(["--strict", "--agent", "wsdbg", "--outdir"])
        .arg(&dir);
    if let Some(c) = cases {
        // Sections 12-13 take wstest itself about 8 minutes here.
        cmd.args(["--cases", c, "--timeout", "1500"]);
    }
    let out = cmd
        .env("WSTEST", &wstest)
        .stdin(Stdio::null())
        .output()
        .expect("run python3 tests/autobahn/run.py");
    let stdout = String::from_utf8_lossy(&out.stdout).replace("autobahn: ", prefix);
    // Printed first, so that a failure shows the summary at its top.
    print!("{stdout}");
    keep_summary(&dir, &stdout, prefix);
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "the Autobahn testsuite failed against wsdbg serve {extra:?} ({}); run.py's summary is above; \
         the server's output:\n{}",
        out.status,
        server.log()
    );
}

/// run.py on the client side, in a process group of its own (with the
/// pyenv shim that may stand for python3); when dropped before it ended,
/// SIGTERM to that group, on which run.py stops wstest and wsdbg, then
/// SIGKILL after 10 s.
struct Harness {
    child: Child,
}

impl Harness {
    /// Waits until it ends; None past the deadline.
    fn wait(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.child.try_wait().expect("poll run.py") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // The process group that spawn made for run.py.
        let group = Pid::from_child(&self.child);
        let _ = kill_process_group(group, Signal::TERM);
        if self
            .wait(Instant::now() + Duration::from_secs(10))
            .is_none()
        {
            let _ = kill_process_group(group, Signal::KILL);
            let _ = self.child.wait();
        }
    }
}

#[test]
fn autobahn_client_cases_1_to_10() {
    let wstest = wstest();
    if !have_wstest(&wstest) {
        return;
    }
    let _turn = turn();

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("autobahn-client");
    std::fs::create_dir_all(&dir).expect("create the report folder");
    let out_path = dir.join("run.out");
    let out = File::create(&out_path).expect("create run.out");
    let err = out.try_clone().expect("clone run.out");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/autobahn/run.py");
    let child = Command::new("python3")
        .arg(&script)
        .arg("--client")
        .arg(WSDBG)
        // No NON-STRICT either: wsdbg connect gets none, and must keep it so.
        .args(["--strict", "--agent", "wsdbg", "--outdir"])
        .arg(&dir)
        .env("WSTEST", &wstest)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .expect("run python3 tests/autobahn/run.py --client");
    let mut harness = Harness { child };
    let status = harness.wait(Instant::now() + CLIENT_DEADLINE);
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    // Printed first, so that a failure shows the summary at its top.
    print!("{stdout}");
    keep_summary(&dir, &stdout, "autobahn client: ");
    let Some(status) = status else {
        panic!(
            "run.py --client did not end within {} s; stopped (what it printed is above; \
             wsdbg's output per case: {})",
            CLIENT_DEADLINE.as_secs(),
            dir.join("connect.log").display()
        );
    };
    assert!(
        status.success(),
        "the Autobahn testsuite failed against wsdbg connect --mode echo ({status}); \
         run.py's summary is above; wsdbg's output per case: {}",
        dir.join("connect.log").display()
    );
}
