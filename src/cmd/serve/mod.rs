//! `wsdbg serve`: a WebSocket server whose clients are driven by reactor
//! threads (one per core, each waiting on its share in the event loop),
//! each client through a
//! [`protocol::endpoint::Endpoint`](crate::protocol::endpoint::Endpoint),
//! printing what happens through the same printers as `decode`.
//!
//! Writing never blocks: what a full socket cannot take waits on the
//! client's endpoint and is written when the socket has room, and the
//! client is not read meanwhile; bytes for other clients (broadcast,
//! shutdown) wait the same way, up to a bound past which that client is
//! dropped as too slow.

mod conn;
mod console;
mod reactor;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::live::View;
use super::prompt::{self, Output};
use super::record::{self, Recording};
use super::signals;
use super::{Failure, Outcome};
use crate::cli::{ServeArgs, ServeMode};
use crate::print::Palette;
use crate::protocol::endpoint::Settings;
use crate::protocol::message::Limits;

use conn::Conn;

/// The test page a plain `GET /` gets: it connects back to the same server
/// and path, sends a greeting and shows what comes back.
const PAGE: &str = include_str!("page.html");

/// What every connection thread shares.
pub(crate) struct Shared {
    settings: Settings,
    mode: ServeMode,
    view: View,
    out: Output,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    reactors: Vec<reactor::Reactor>,
    /// TLS settings, when listening with TLS.
    tls: Option<Arc<rustls::ServerConfig>>,
    stopping: AtomicBool,
    /// Bytes a client may have waiting to be sent to it before it is
    /// dropped as too slow to read.
    max_pending: usize,
    /// `--record`: where every connection's bytes go too.
    record: Option<Arc<Recording>>,
}

impl Shared {
    /// Writes a rendered block in one piece, so that blocks from
    /// concurrent clients never interleave.
    fn emit(&self, block: &[u8]) {
        self.out.emit(block);
    }

    /// The connected clients, by id.
    fn clients(&self) -> Vec<Arc<Conn>> {
        let mut v: Vec<Arc<Conn>> = self
            .conns
            .lock()
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by_key(|c| c.id);
        v
    }
}

fn secs(what: &str, v: f64) -> Result<Option<Duration>, Failure> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(Failure::Input(format!(
            "--{what} {v}: expected a number of seconds, 0 or more"
        )));
    }
    Ok((v > 0.0).then(|| Duration::from_secs_f64(v)))
}

fn settings(args: &ServeArgs, view: &View) -> Result<Settings, Failure> {
    let need = |what: &str, v: f64| -> Result<Duration, Failure> {
        secs(what, v)?
            .ok_or_else(|| Failure::Input(format!("--{what} must be more than 0 seconds")))
    };
    Ok(Settings {
        limits: Limits {
            max_frame: Some(
                args.max_frame
                    .unwrap_or(args.max_message)
                    .min(args.max_message),
            ),
            max_message: Some(args.max_message),
        },
        max_head: usize::try_from(args.max_head).unwrap_or(usize::MAX),
        handshake_timeout: need("handshake-timeout", args.handshake_timeout)?,
        idle_timeout: secs("idle-timeout", args.idle_timeout)?,
        close_timeout: need("close-timeout", args.close_timeout)?,
        ping_interval: secs("ping-interval", args.ping_interval)?,
        protocols: args.protocols.clone(),
        origins: args.origins.clone(),
        decode_outgoing: !view.quiet,
        // Only --trace shows data frames; the other views show messages.
        plain_frames: view.trace,
        deflate: args.deflate,
        page: (!args.no_page).then(|| Arc::from(PAGE)),
        ..Settings::server()
    })
}

/// Runs the command until SIGINT or SIGTERM.
pub fn run(args: &ServeArgs, palette: Palette) -> Outcome {
    let view = View::new(&args.output, palette);
    let settings = settings(args, &view)?;
    let listener = TcpListener::bind(&args.listen).map_err(|e| {
        Failure::Input(format!(
            "cannot listen on {}: {e}",
            crate::print::escape::escape_str(&args.listen)
        ))
    })?;
    if args.check {
        return super::check::clients::run(args, palette, listener, settings);
    }
    let addr = listener.local_addr()?;
    let tls = super::ca::listener(&args.listen_tls, "serve").map_err(Failure::Input)?;
    // std listens with a backlog of 128: a burst of clients overflows it
    // and waits a second to retry. Listening again only changes the backlog.
    let _ = rustix::net::listen(&listener, 4096);
    let record = record::open(&args.record).map_err(Failure::Input)?;
    let signals = signals::install()?;
    let max_pending = usize::try_from(args.max_message.saturating_mul(2))
        .unwrap_or(usize::MAX)
        .max(4 << 20);
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let mut reactors = Vec::with_capacity(threads);
    let mut loops = Vec::with_capacity(threads);
    for _ in 0..threads {
        let (r, l) = reactor::Reactor::new()?;
        reactors.push(r);
        loops.push(l);
    }
    let shared = Arc::new(Shared {
        settings,
        mode: args.mode,
        view,
        out: Output::stdout(),
        conns: Mutex::new(HashMap::new()),
        reactors,
        tls,
        stopping: AtomicBool::new(false),
        max_pending,
        record,
    });
    for (i, l) in loops.into_iter().enumerate() {
        std::thread::Builder::new()
            .name(format!("reactor {i}"))
            .spawn({
                let shared = shared.clone();
                move || reactor::run(shared, i, l)
            })?;
    }

    let mode = match args.mode {
        ServeMode::Echo => "echo",
        ServeMode::Broadcast => "broadcast",
        ServeMode::Silent => "silent",
    };
    let scheme = if shared.tls.is_some() { "wss" } else { "ws" };
    eprintln!("wsdbg serve: listening on {scheme}://{addr}/ ({mode} mode); Ctrl-C to stop");
    if let Some(path) = &args.record.record {
        eprintln!(
            "wsdbg serve: recording every connection to {}",
            crate::print::escape::escape_str(&path.display().to_string())
        );
    }
    let terminal = console::start(prompt::kind(args.no_console), &shared)?;
    let next_id = AtomicU64::new(1);
    let mut served = 0u64;
    loop {
        match signals.wait(&listener) {
            signals::Wake::Signal => break,
            signals::Wake::Listener => {}
        }
        let (stream, peer) = match listener.accept() {
            Ok(x) => x,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Out of descriptors, say: the server stays up and says why.
                eprintln!("wsdbg: error: serve: cannot accept a connection: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        served += 1;
        let live = shared.conns.lock().map(|c| c.len()).unwrap_or(0);
        if live >= args.max_connections {
            refuse_busy(
                stream,
                &format!("{live} clients connected (--max-connections)"),
            );
            continue;
        }
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = conn::spawn(id, stream, peer, &shared) {
            eprintln!("wsdbg: error: serve: cannot start a thread for client #{id} ({peer}): {e}");
        }
    }
    shutdown(&shared);
    if let Some(t) = terminal {
        t.restore();
    }
    eprintln!(
        "wsdbg serve: stopped after {served} connection{}",
        crate::print::plural(served)
    );
    Ok(())
}

/// Answers 503 without waiting on the client, and hangs up.
fn refuse_busy(stream: TcpStream, why: &str) {
    let body = format!("the server is at its connection limit: {why}\n");
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.set_nonblocking(true);
    let _ = (&stream).write(answer.as_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// Closes every client with 1001, waits up to 2 s for them to answer.
fn shutdown(shared: &Arc<Shared>) {
    shared.stopping.store(true, Ordering::SeqCst);
    let conns: Vec<Arc<Conn>> = shared
        .conns
        .lock()
        .map(|c| c.values().cloned().collect())
        .unwrap_or_default();
    for c in &conns {
        c.close_from_outside(shared, 1001, b"server shutting down");
    }
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if shared.conns.lock().map(|c| c.is_empty()).unwrap_or(true) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let left: Vec<Arc<Conn>> = shared
        .conns
        .lock()
        .map(|c| c.values().cloned().collect())
        .unwrap_or_default();
    for c in &left {
        // Its socket hangs up; the reactor prints the connection's last line.
        c.hang_up();
    }
    // A moment for those lines; a thread stuck elsewhere is not waited for.
    let until = Instant::now() + Duration::from_millis(300);
    while !left.is_empty() && Instant::now() < until {
        if shared.conns.lock().map(|c| c.is_empty()).unwrap_or(true) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::io::stdout().flush();
}

#[cfg(test)]
mod tests {
    use super::PAGE;

    #[test]
    fn the_page_is_self_contained_and_inserts_no_html() {
        // Its policy allows no other resource and only its one script and
        // one style block by their hashes: no attribute handler, no style
        // attribute, nothing loaded, no HTML built from strings.
        assert_eq!(PAGE.matches("<script").count(), 1);
        assert_eq!(PAGE.matches("<style").count(), 1);
        for banned in [
            " src=",
            " href=",
            " style=",
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!PAGE.contains(banned), "the page has {banned:?}");
        }
        let handler = PAGE.split(" on").skip(1).find(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert!(handler.is_none(), "an inline handler: on{handler:?}");
        assert!(PAGE.contains("location.host + location.pathname"));
        assert!(PAGE.contains("\"hello from the wsdbg test page\""));
    }
}
