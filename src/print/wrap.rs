//! Fitting text output to the terminal: a writer that breaks each line
//! wider than the terminal at spaces, continuing under the line's own
//! column (its indentation, and past a leading `✗ ` or `- ` marker), so
//! violation sentences and the summary stay readable on 80 columns. Colour
//! escapes take no width.

use std::io::{self, Write};

/// A writer that wraps lines at `width` columns.
pub struct Wrap<W: Write> {
    out: W,
    width: usize,
    line: Vec<u8>,
}

impl<W: Write> Wrap<W> {
    /// Wraps what is written to `out` at `width` columns (at least 20).
    pub fn new(out: W, width: usize) -> Self {
        Self {
            out,
            width: width.max(20),
            line: Vec::new(),
        }
    }

    fn emit_line(&mut self) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        let text = String::from_utf8_lossy(&line);
        if visible(&text) <= self.width {
            self.out.write_all(&line)?;
            return Ok(());
        }
        let body = text.trim_end_matches('\n');
        let indent = body.len() - body.trim_start_matches(' ').len();
        let rest = &body[indent..];
        let plain = strip(rest);
        let marker = ["✗ ", "✓ ", "- ", "↳ "]
            .iter()
            .find(|m| plain.starts_with(*m))
            .map(|m| m.chars().count())
            // `summary: ...`: continued past its label.
            .or_else(|| {
                let (label, _) = plain.split_once(": ")?;
                (indent == 0 && !label.contains(' ') && label.len() < 12)
                    .then(|| label.chars().count() + 2)
            })
            .unwrap_or(0);
        let hang = " ".repeat(indent + marker);
        let mut out = String::with_capacity(body.len() + 16);
        let mut col = 0;
        let mut first = true;
        for word in body.split(' ') {
            let w = visible(word);
            if !first && col + 1 + w > self.width && col > hang.len() {
                out.push('\n');
                out.push_str(&hang);
                col = hang.len();
            } else if !first {
                out.push(' ');
                col += 1;
            }
            // A word wider than a whole line (an escaped payload) is cut
            // where the line ends, and goes on under the column.
            let mut word = word.to_string();
            while col + visible(&word) > self.width
                && word.chars().count() > 1
                && word == strip(&word)
            {
                let room = self.width.saturating_sub(col).max(1);
                let cut: String = word.chars().take(room).collect();
                word = word.chars().skip(room).collect();
                out.push_str(&cut);
                out.push('\n');
                out.push_str(&hang);
                col = hang.len();
            }
            col += visible(&word);
            out.push_str(&word);
            first = false;
        }
        out.push('\n');
        self.out.write_all(out.as_bytes())
    }
}

/// The text without colour escapes.
fn strip(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Columns `s` takes on a terminal (colour escapes take none).
fn visible(s: &str) -> usize {
    strip(s).trim_end_matches('\n').chars().count()
}

impl<W: Write> Write for Wrap<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..=i]);
            self.emit_line()?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.emit_line()?;
        }
        self.out.flush()
    }
}

/// The terminal's width: `COLUMNS` when set, else the width of stdout when
/// it is a terminal; `None` otherwise (output to a file or a pipe is not
/// wrapped).
pub fn terminal_width(
    stdout_is_tty: bool,
    columns: Option<&str>,
    tty_width: Option<usize>,
) -> Option<usize> {
    if let Some(n) = columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    tty_width.filter(|_| stdout_is_tty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(text: &str, width: usize) -> String {
        let mut w = Wrap::new(Vec::new(), width);
        w.write_all(text.as_bytes()).unwrap();
        w.flush().unwrap();
        String::from_utf8(w.out).unwrap()
    }

    #[test]
    fn long_lines_continue_under_their_column() {
        let v = "              ✗ RFC 6455 §5.2: RSV2 is set but no extension was negotiated that defines it\n";
        let out = wrap(v, 80);
        for l in out.lines() {
            assert!(l.chars().count() <= 80, "{l:?}");
        }
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[1].starts_with(&" ".repeat(16)) && !lines[1].starts_with(&" ".repeat(17)));
        // The words are all there, in order.
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(words(&out), words(v));
        // A word wider than the line is cut where the line ends.
        let long = format!("  \"{}\"\n", "\\x81".repeat(40));
        let out = wrap(&long, 80);
        assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
        assert_eq!(out.replace(['\n', ' '], ""), long.replace(['\n', ' '], ""));
        // Short lines and colour escapes pass as they are.
        assert_eq!(wrap("  0x81  FIN\n", 80), "  0x81  FIN\n");
        let coloured = format!("\u{1b}[31m{}\u{1b}[0m\n", "x".repeat(78));
        assert_eq!(wrap(&coloured, 80), coloured);
    }

    #[test]
    fn the_width_comes_from_columns_or_the_terminal() {
        assert_eq!(terminal_width(false, Some("100"), None), Some(100));
        assert_eq!(terminal_width(true, None, Some(80)), Some(80));
        assert_eq!(terminal_width(false, None, Some(80)), None);
        assert_eq!(terminal_width(true, Some("x"), Some(90)), Some(90));
    }
}
