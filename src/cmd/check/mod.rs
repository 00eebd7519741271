//! `wsdbg check URL`: runs the server battery of
//! [`crate::protocol::check`] against a server, one case per connection
//! (`session`), and prints each case's verdict as it comes, then the
//! summary by group; `--report DIR` writes the same as one HTML page.

pub(crate) mod clients;
mod session;

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use super::live::View;
use super::{connect, wire, Failure, Outcome};
use crate::cli::CheckArgs;
use crate::print::check::{CaseResult, CheckSummary};
use crate::print::json::JsonPrinter;
use crate::print::report::Entry;
use crate::print::text::{TextOptions, TextPrinter};
use crate::print::{Palette, Printer};
use crate::protocol::check::{
    self, Answer, Case, CaseFilter, Expect, Frame, Needs, Observed, Payload, Rule, Step, Verdict,
    Want,
};
use crate::protocol::message::MessageKind;
use crate::protocol::url::WsUrl;

/// Runs the command.
pub fn run(args: &CheckArgs, palette: Palette) -> Outcome {
    let filter = match &args.cases {
        Some(p) => CaseFilter::parse(p).map_err(|e| Failure::Input(format!("--cases {e}")))?,
        None => CaseFilter::all(),
    };
    let all = check::server_cases_with(args.messages as usize);
    let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    let unmatched = filter.unmatched(&ids);
    if !unmatched.is_empty() {
        return Err(Failure::Input(format!(
            "--cases: no case matches {} (wsdbg check --list shows them)",
            unmatched.join(", ")
        )));
    }
    let cases: Vec<&Case> = all.iter().filter(|c| filter.picks(&c.id)).collect();
    if args.list {
        let mut out = super::stdout();
        for c in &cases {
            writeln!(out, "{:<8} {}", c.id, c.title)?;
        }
        out.flush()?;
        return Ok(());
    }
    let Some(raw_url) = &args.url else {
        return Err(Failure::Input("a URL is needed (or --list)".into()));
    };
    let url = WsUrl::parse(raw_url).map_err(|e| {
        Failure::Input(format!(
            "{}: {e}",
            crate::print::escape::escape_str(raw_url)
        ))
    })?;
    let tls = if url.secure {
        if args.insecure {
            eprintln!("wsdbg check: --insecure: the server's certificate is NOT checked");
        }
        Some(wire::client_config(args.cacert.as_deref(), args.insecure).map_err(Failure::Input)?)
    } else {
        None
    };
    let patience = connect::seconds("case-timeout", args.case_timeout)?;
    let extra = args
        .headers
        .iter()
        .map(|h| connect::header(h))
        .collect::<Result<Vec<_>, _>>()?;
    let traced = args.verbose || args.report.is_some();
    let trace_view = traced.then(|| View {
        quiet: false,
        trace: true,
        json: args.json && args.verbose,
        timestamps: false,
        // The report is HTML: its trace has no colour.
        palette: if args.report.is_some() {
            Palette::default()
        } else {
            palette
        },
        text: TextOptions::default(),
        // Test payloads are no application's.
        payload: crate::cli::Payload::Raw,
        filter: None,
        delta: false,
    });
    let target = session::Target {
        url: url.clone(),
        tls,
        extra,
        pace: session::Pace {
            patience,
            quiet: (patience / 4).min(Duration::from_millis(500)),
            trace: trace_view,
        },
    };
    let report_dir = match &args.report {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::Input(format!("--report {}: {e}", dir.display())))?;
            Some(dir.clone())
        }
        None => None,
    };

    let started = Instant::now();
    let shown = url.to_string();
    // Reachable at all? The answer to a plain upgrade says.
    let probe = session::run(&target, &probe_case());
    if let Some(why) = unreachable(&probe.observed) {
        return Err(Failure::Input(format!("cannot check {shown}: {why}")));
    }
    if !probe.observed.got.iter().any(|g| {
        matches!(g, check::Got::Message(MessageKind::Text, d) if d.as_slice() == PROBE.as_bytes())
    }) {
        super::warn(&format!(
            "{shown} did not echo a text message: the cases expect an echo endpoint (as Autobahn's do), so those that wait for an echo will fail"
        ));
    }
    let wants_deflate = cases.iter().any(|c| matches!(c.needs, Needs::Deflate(_)));
    let deflate = wants_deflate && {
        let mut p = probe_case();
        p.needs = Needs::Deflate(DEFLATE_PROBE);
        session::run(&target, &p).observed.deflate
    };

    let mut out = super::stdout();
    let render = |f: &mut dyn FnMut(&mut dyn Printer) -> io::Result<()>| -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        if args.json {
            f(&mut JsonPrinter::new(&mut buf))?;
        } else {
            f(&mut TextPrinter::new(
                &mut buf,
                palette,
                TextOptions::default(),
            ))?;
        }
        Ok(buf)
    };
    let progress = Progress::new(!args.json && io::stderr().is_terminal());
    // What the summary and the report need of each case; what the server
    // sent is dropped once the case is printed.
    let mut results: Vec<Entry> = Vec::new();
    let mut skipped = Vec::new();
    let mut runnable = Vec::new();
    for case in &cases {
        if matches!(case.needs, Needs::Deflate(_)) && !deflate {
            count_skip(&mut skipped, case);
        } else {
            runnable.push(*case);
        }
    }
    let mut failure = None;
    in_order(
        &target,
        &runnable,
        usize::from(args.jobs),
        &progress,
        |case, run| {
            let judgement = check::judge(case, &run.observed);
            let result = CaseResult {
                case,
                judgement: &judgement,
                observed: &run.observed,
                peer: "server",
                who: None,
            };
            let shown = (|| -> io::Result<()> {
                let line = render(&mut |p| p.case(&result))?;
                if args.verbose {
                    out.write_all(&run.trace)?;
                }
                out.write_all(&line)?;
                if args.verbose && !args.json {
                    out.write_all(b"\n")?;
                }
                out.flush()
            })();
            if let Err(e) = shown {
                failure.get_or_insert(e);
            }
            let explanation = report_dir
                .is_some()
                .then(|| crate::print::check::explanation(&result))
                .flatten();
            results.push(Entry {
                case,
                verdict: judgement.verdict,
                explanation,
                trace: if report_dir.is_some() {
                    run.trace
                } else {
                    Vec::new()
                },
            });
            failure.is_none()
        },
    );
    if let Some(e) = failure {
        return Err(e.into());
    }
    let summary = CheckSummary {
        target: &shown,
        verdicts: results
            .iter()
            .map(|e| (e.case.id.as_str(), e.verdict))
            .collect(),
        skipped,
        elapsed: started.elapsed(),
    };
    out.write_all(&render(&mut |p| p.check_summary(&summary))?)?;
    out.flush()?;
    if let Some(dir) = report_dir {
        let path = dir.join("index.html");
        let page = crate::print::report::page(&summary, &results, "server");
        std::fs::write(&path, page)
            .map_err(|e| Failure::Input(format!("--report: {}: {e}", path.display())))?;
        if !args.json {
            eprintln!("wsdbg check: report written to {}", path.display());
        }
    }
    if summary.failed().is_empty() {
        Ok(())
    } else {
        Err(Failure::Violation)
    }
}

/// Runs `cases` on `jobs` threads, and hands each case's run to `done` on
/// this thread in the order of `cases` (a case that ends early waits for
/// those before it); `done` returning false stops the run.
fn in_order<'c>(
    target: &session::Target,
    cases: &[&'c Case],
    jobs: usize,
    progress: &Progress,
    mut done: impl FnMut(&'c Case, session::Run) -> bool,
) {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, cases.len().max(1)) {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= cases.len() || stop.load(Ordering::Relaxed) {
                    return;
                }
                if tx.send((i, session::run(target, cases[i]))).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        if let Some(c) = cases.first() {
            progress.show(&c.id, &c.title);
        }
        for (i, run) in rx {
            waiting.insert(i, run);
            while let Some(run) = waiting.remove(&due) {
                progress.clear();
                if !done(cases[due], run) {
                    stop.store(true, Ordering::Relaxed);
                }
                due += 1;
                if let Some(c) = cases.get(due) {
                    progress.show(&c.id, &c.title);
                }
            }
        }
        progress.clear();
    });
}

/// Counts a case that was not run because the server does not accept
/// permessage-deflate.
fn count_skip(skipped: &mut Vec<(String, Verdict, usize, String)>, case: &Case) {
    let group = case.group().to_string();
    match skipped.iter_mut().find(|(g, ..)| *g == group) {
        Some((_, _, n, _)) => *n += 1,
        None => skipped.push((
            group,
            Verdict::Unimplemented,
            1,
            "the server did not accept permessage-deflate when offered".into(),
        )),
    }
}

/// Why the server cannot be checked at all, if it cannot.
fn unreachable(o: &Observed) -> Option<String> {
    match &o.answer {
        Answer::Nothing => Some("no answer".into()),
        Answer::Failed(why) => Some(why.clone()),
        Answer::NotHttp(why) => Some(format!("its answer to the upgrade is not HTTP: {why}")),
        Answer::Response { response, .. } if response.status != 101 => Some(format!(
            "it refused the upgrade with {} {}",
            response.status,
            crate::print::escape::escape_cut(&response.reason, 80)
        )),
        Answer::Response { .. } | Answer::Requested { .. } => None,
    }
}

const PROBE: &str = "wsdbg check: is this an echo server?";
const DEFLATE_PROBE: &str = "permessage-deflate; client_max_window_bits";

/// A first connection: a plain upgrade and one text message.
fn probe_case() -> Case {
    Case {
        id: "probe".into(),
        title: "probe".into(),
        script: vec![Step::Frames(
            vec![Frame::text(Payload::of(PROBE.as_bytes()))],
            check::Chop::Whole,
        )],
        expect: Expect::echo(vec![Want::Message(
            MessageKind::Text,
            Payload::of(PROBE.as_bytes()),
        )]),
        rule: Rule {
            section: "",
            should: "",
        },
        needs: Needs::Nothing,
        weight: 1,
        handshake: None,
    }
}

/// A line on the terminal naming the case that runs, rewritten in place.
struct Progress {
    on: bool,
}

impl Progress {
    fn new(on: bool) -> Self {
        Self { on }
    }

    fn show(&self, id: &str, title: &str) {
        if self.on {
            let title: String = title.chars().take(60).collect();
            eprint!(
                "\r\x1b[2K  running {id} {}",
                crate::print::escape::sanitize(&title)
            );
            let _ = io::stderr().flush();
        }
    }

    fn clear(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
            let _ = io::stderr().flush();
        }
    }
}
