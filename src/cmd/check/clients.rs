//! `wsdbg serve --check`: the client battery of
//! [`crate::protocol::check::client_cases`] turned on whoever connects.
//! Each connection is one case (its handshake answered as `serve` answers
//! it, the test page included), a client being known by its address and
//! `User-Agent`: its next case runs, its line is printed, and once it has
//! had every case it gets its summary (and `--report`, a page of its own)
//! and is closed with 4000 when it connects again.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::session::{self, Pace};
use crate::cli::ServeArgs;
use crate::cmd::live::View;
use crate::cmd::signals::{self, Wake};
use crate::cmd::{connect, Failure, Outcome};
use crate::print::check::{CaseResult, CheckSummary};
use crate::print::json::JsonPrinter;
use crate::print::report::Entry;
use crate::print::text::{TextOptions, TextPrinter};
use crate::print::{Palette, Printer};
use crate::protocol::check::{self, Case, CaseFilter, Verdict};
use crate::protocol::endpoint::Settings;
use crate::protocol::http::Request;

/// The close code and reason of a client that has had every case.
const DONE: (u16, &str) = (4000, "wsdbg serve --check: every case has run");

/// One client, as known by its address and User-Agent.
struct Client {
    /// Its number, in order of first connection.
    number: usize,
    /// What it is called in the summary: its number, User-Agent and
    /// address.
    label: String,
    /// Cases handed out so far.
    next: usize,
    /// When it connected first.
    started: Instant,
    /// What the summary and report need of each case done.
    done: Vec<Entry<'static>>,
}

/// What the connection threads share.
struct Shared {
    cases: Vec<&'static Case>,
    clients: Mutex<HashMap<(String, String), Client>>,
    out: Mutex<io::Stdout>,
    json: bool,
    palette: Palette,
    pace: Pace,
    report: Option<std::path::PathBuf>,
    addr: String,
}

impl Shared {
    fn render(&self, f: impl FnOnce(&mut dyn Printer) -> io::Result<()>) -> Vec<u8> {
        let mut buf = Vec::new();
        let _ = if self.json {
            f(&mut JsonPrinter::new(&mut buf))
        } else {
            f(&mut TextPrinter::new(
                &mut buf,
                self.palette,
                TextOptions::default(),
            ))
        };
        buf
    }

    fn emit(&self, bytes: &[u8]) {
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(bytes);
            let _ = out.flush();
        }
    }

    /// The next case for the client that sent `request` from `ip`, if it
    /// has one left.
    fn pick(&self, ip: &str, request: &Request) -> Option<(usize, usize)> {
        let agent = request
            .header("User-Agent")
            .map_or_else(|| "no User-Agent".into(), |h| h.value_lossy().into_owned());
        let mut clients = self.clients.lock().ok()?;
        let number = clients.len() + 1;
        let key = (ip.to_string(), agent.clone());
        let c = clients.entry(key).or_insert_with(|| {
            let label = format!(
                "client {number} ({}, {ip})",
                crate::print::escape::escape_str(&agent)
            );
            if !self.json {
                self.emit(format!("{label}: its first case; the lines of its cases start with \"client {number}\"\n").as_bytes());
            }
            Client {
                number,
                label,
                next: 0,
                started: Instant::now(),
                done: Vec::new(),
            }
        });
        if c.next >= self.cases.len() {
            return None;
        }
        c.next += 1;
        Some((c.number, c.next - 1))
    }

    /// Records a case's verdict; prints the client's summary when it was
    /// its last.
    fn record(&self, number: usize, entry: Entry<'static>) {
        let Ok(mut clients) = self.clients.lock() else {
            return;
        };
        let Some(c) = clients.values_mut().find(|c| c.number == number) else {
            return;
        };
        c.done.push(entry);
        if c.done.len() == self.cases.len() {
            self.summary(c);
        }
    }

    /// A client's summary (and report page).
    fn summary(&self, c: &Client) {
        let target = format!("{} of ws://{}/", c.label, self.addr);
        let summary = CheckSummary {
            target: &target,
            verdicts: c
                .done
                .iter()
                .map(|e| (e.case.id.as_str(), e.verdict))
                .collect(),
            skipped: Vec::new(),
            elapsed: c.started.elapsed(),
        };
        let block = self.render(|p| p.check_summary(&summary));
        self.emit(&block);
        if let Some(dir) = &self.report {
            let path = dir.join(format!("client-{}.html", c.number));
            let page = crate::print::report::page(&summary, &c.done, "client");
            match std::fs::write(&path, page) {
                Ok(()) if !self.json => {
                    eprintln!("wsdbg serve --check: report written to {}", path.display())
                }
                Ok(()) => {}
                Err(e) => eprintln!("wsdbg: error: --report: {}: {e}", path.display()),
            }
        }
    }
}

/// Runs `serve --check` on `listener` until SIGINT or SIGTERM.
pub(crate) fn run(
    args: &ServeArgs,
    palette: Palette,
    listener: TcpListener,
    settings: Settings,
) -> Outcome {
    let filter = match &args.cases {
        Some(p) => CaseFilter::parse(p).map_err(|e| Failure::Input(format!("--cases {e}")))?,
        None => CaseFilter::all(),
    };
    // Shared by the connection threads for the life of the process.
    let all: &'static [Case] = Box::leak(check::client_cases().into_boxed_slice());
    let cases: Vec<&'static Case> = all.iter().filter(|c| filter.picks(&c.id)).collect();
    if cases.is_empty() {
        let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        return Err(Failure::Input(format!(
            "--cases: no client case matches {} (the cases: {})",
            filter.unmatched(&ids).join(", "),
            ids.join(", ")
        )));
    }
    let patience = connect::seconds("case-timeout", args.case_timeout)?;
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Input(format!("--report {}: {e}", dir.display())))?;
    }
    let view = View::new(&args.output, palette);
    let addr = listener.local_addr()?.to_string();
    let traced = args.output.trace || args.report.is_some();
    let shared = Arc::new(Shared {
        cases,
        clients: Mutex::new(HashMap::new()),
        out: Mutex::new(io::stdout()),
        json: args.output.json,
        palette,
        pace: Pace {
            patience,
            quiet: (patience / 4).min(Duration::from_millis(500)),
            trace: traced.then(|| View {
                trace: true,
                quiet: false,
                palette: if args.report.is_some() {
                    Palette::default()
                } else {
                    view.palette
                },
                ..view
            }),
        },
        report: args.report.clone(),
        addr: addr.clone(),
    });
    let signals = signals::install()?;
    eprintln!(
        "wsdbg serve --check: listening on ws://{addr}/: {} case{} for each client, one per connection \
         (a client reconnects until it is closed with 4000; the test page does at http://{addr}/?check); Ctrl-C to stop",
        shared.cases.len(),
        crate::print::plural(shared.cases.len() as u64)
    );
    listener.set_nonblocking(true)?;
    loop {
        match signals.wait(&listener) {
            Wake::Signal => break,
            Wake::Listener => {}
        }
        let Ok((stream, peer)) = listener.accept() else {
            continue;
        };
        let shared = shared.clone();
        let settings = settings.clone();
        let show_trace = args.output.trace;
        std::thread::spawn(move || {
            one(&shared, stream, peer.ip().to_string(), settings, show_trace);
        });
    }
    // Clients that had not finished: their summary as far as they went.
    let failed = {
        let clients = shared
            .clients
            .lock()
            .map_err(|_| Failure::Io(io::Error::other("a connection thread panicked")))?;
        let mut all: Vec<&Client> = clients.values().collect();
        all.sort_by_key(|c| c.number);
        for c in &all {
            if c.done.len() < shared.cases.len() {
                eprintln!(
                    "wsdbg serve --check: {} stopped after {} of {} cases",
                    c.label,
                    c.done.len(),
                    shared.cases.len()
                );
                if !c.done.is_empty() {
                    shared.summary(c);
                }
            }
        }
        all.iter()
            .any(|c| c.done.iter().any(|e| e.verdict == Verdict::Failed))
    };
    if failed {
        Err(Failure::Violation)
    } else {
        Ok(())
    }
}

/// One connection: its case, its line.
fn one(
    shared: &Shared,
    stream: std::net::TcpStream,
    ip: String,
    settings: Settings,
    show_trace: bool,
) {
    let mut picked = None;
    let Some((case, run)) = session::serve(
        &shared.pace,
        stream,
        settings,
        |request| {
            let (number, index) = shared.pick(&ip, request)?;
            picked = Some(number);
            Some(shared.cases[index])
        },
        DONE,
    ) else {
        return;
    };
    let Some(number) = picked else {
        return;
    };
    let label = format!("client {number}");
    let judgement = check::judge(case, &run.observed);
    let result = CaseResult {
        case,
        judgement: &judgement,
        observed: &run.observed,
        peer: "client",
        who: Some(&label),
    };
    let mut block = Vec::new();
    if show_trace {
        block.extend_from_slice(&run.trace);
    }
    block.extend(shared.render(|p| p.case(&result)));
    shared.emit(&block);
    let explanation = crate::print::check::explanation(&result);
    shared.record(
        number,
        Entry {
            case,
            verdict: judgement.verdict,
            explanation,
            trace: if shared.report.is_some() {
                run.trace
            } else {
                Vec::new()
            },
        },
    );
}
