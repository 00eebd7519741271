//! A check's results as one self-contained HTML page (`check --report`):
//! the summary by group, then every case with its verdict, the rule and
//! what the peer did, expandable (`<details>`, no script) to the case's
//! annotated heads and frames. Nothing is loaded from anywhere; every
//! byte from the peer is escaped twice over: as the text printers escape
//! it, then for HTML.

use std::fmt::Write as _;

use super::check::CheckSummary;
use crate::protocol::check::{group_title, Case, Verdict};

/// What the report shows of a case.
#[derive(Debug)]
pub struct Entry<'a> {
    /// The case.
    pub case: &'a Case,
    /// Its verdict.
    pub verdict: Verdict,
    /// The rule and what the peer did ([`super::check::explanation`]),
    /// for anything but OK.
    pub explanation: Option<String>,
    /// Its heads and frames, rendered as text.
    pub trace: Vec<u8>,
}

const STYLE: &str = "
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: .2em; }
.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
details { border-bottom: 1px solid #eee; padding: .15em 0; }
summary { cursor: pointer; font-family: ui-monospace, monospace; }
.id { display: inline-block; min-width: 5.5em; }
.v { display: inline-block; min-width: 9.5em; font-weight: bold; }
.OK { color: #17803d; } .FAILED { color: #c62828; } .NON-STRICT { color: #b26a00; }
.INFORMATIONAL, .UNIMPLEMENTED { color: #1565c0; }
.why { margin: .3em 0 .3em 5.8em; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: 12px; margin-left: 5.8em; }
";

/// The page.
pub fn page(summary: &CheckSummary, results: &[Entry], peer: &str) -> String {
    let mut h = String::with_capacity(64 << 10);
    let (rows, total) = summary.table();
    let cases: usize = total.iter().sum();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>wsdbg check: {}</title><style>{STYLE}</style></head><body>\n",
        esc(summary.target)
    );
    let _ = write!(
        h,
        "<h1>wsdbg check: {}</h1>\n<p class=\"meta\">{cases} cases in {:.1} s · {} · wsdbg {}</p>\n",
        esc(summary.target),
        summary.elapsed.as_secs_f64(),
        super::rfc3339(std::time::SystemTime::now()),
        env!("CARGO_PKG_VERSION")
    );
    h.push_str("<table><tr><th>group</th>");
    for v in Verdict::ALL {
        let _ = write!(h, "<th class=\"{0}\">{0}</th>", v.name());
    }
    h.push_str("</tr>\n");
    for (group, counts) in rows
        .iter()
        .chain(std::iter::once(&("total".to_string(), total)))
    {
        let name = if group == "total" {
            "<b>total</b>".to_string()
        } else {
            format!("{} {}", esc(group), esc(group_title(group)))
        };
        let _ = write!(h, "<tr><td>{name}</td>");
        for n in counts {
            let _ = write!(h, "<td>{n}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    for (group, v, n, why) in &summary.skipped {
        let _ = writeln!(
            h,
            "<p>{}: {n} cases {} without running: {}</p>",
            esc(group),
            v.name(),
            esc(why)
        );
    }
    let failed = summary.failed();
    if failed.is_empty() {
        h.push_str("<p class=\"OK\">No case FAILED.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p class=\"FAILED\">{} FAILED: {}</p>",
            failed.len(),
            esc(&failed.join(", "))
        );
    }
    let mut group = "";
    for r in results {
        let g = r.case.group();
        if g != group {
            group = g;
            let _ = writeln!(h, "<h2>{} {}</h2>", esc(g), esc(group_title(g)));
        }
        let v = r.verdict.name();
        let open = if r.verdict == Verdict::Failed {
            " open"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<details{open}><summary><span class=\"id\">{}</span><span class=\"v {v}\">{v}</span>{}</summary>",
            esc(&r.case.id),
            esc(&r.case.title)
        );
        if let Some(why) = &r.explanation {
            let _ = write!(h, "<p class=\"why\">{}</p>", esc(why));
        } else {
            let _ = write!(
                h,
                "<p class=\"why\">{}: the {} did what the rule asks: {}.</p>",
                esc(r.case.rule.section),
                esc(peer),
                esc(r.case.rule.should)
            );
        }
        if !r.trace.is_empty() {
            let _ = write!(h, "<pre>{}</pre>", esc(&String::from_utf8_lossy(&r.trace)));
        }
        h.push_str("</details>\n");
    }
    h.push_str("</body></html>\n");
    h
}

/// Text made safe for HTML: markup characters as entities, and anything
/// a terminal or a page could act on escaped as the text printers do.
fn esc(s: &str) -> String {
    let s = super::escape::sanitize(s);
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_from_a_peer_stays_text() {
        assert_eq!(
            esc("<script>alert('x')</script> & \u{1b}[31m"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; \\u{1b}[31m"
        );
    }
}
