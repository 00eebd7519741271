//! Rendering of frames, handshakes and summaries as annotated text or
//! JSON into any writer. Colour is a value passed in, never decided here.

pub mod bytes;
pub mod escape;
pub mod json;
pub mod text;

use std::io;

use colored::Color;

use crate::protocol::transcript::{FrameRecord, Head, Item, Reader, Summary};

/// What every printer renders: heads, frames, and a closing summary. Text
/// and JSON implement the same calls, so they cannot disagree on what is
/// shown.
pub trait Printer {
    /// An HTTP upgrade head.
    fn head(&mut self, head: &Head) -> io::Result<()>;
    /// One frame.
    fn frame(&mut self, frame: &FrameRecord) -> io::Result<()>;
    /// The closing summary; `read_as` says how the input was read.
    fn summary(&mut self, s: &Summary, read_as: &str) -> io::Result<()>;
    /// Flushes the underlying writer.
    fn flush(&mut self) -> io::Result<()>;

    /// Prints everything a reader yields, item by item, then the summary.
    fn transcript(&mut self, reader: &mut Reader, read_as: &str) -> io::Result<()> {
        for item in reader.by_ref() {
            match item {
                Item::Head(h) => self.head(&h)?,
                Item::Frame(f) => self.frame(&f)?,
            }
        }
        self.summary(reader.summary(), read_as)?;
        self.flush()
    }
}

/// Whether to colour, decided once by the caller (terminal, `--color`,
/// `NO_COLOR`) and passed to every printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Palette {
    /// Emit ANSI colours.
    pub enabled: bool,
}

/// The roles text plays in the output, each with its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Frame and section headings.
    Heading,
    /// Field names.
    Name,
    /// Bytes and values from the input.
    Value,
    /// Explanations.
    Dim,
    /// Violations.
    Bad,
    /// Checks that passed.
    Good,
    /// Decoded text.
    Text,
}

impl Palette {
    /// `s` in the colour for `paint`, or unchanged when colour is off. The
    /// escape codes are written here, from `colored`'s colour table, so
    /// that nothing depends on `colored`'s global on/off state.
    pub fn paint(self, s: &str, paint: Paint) -> String {
        if !self.enabled || s.is_empty() {
            return s.to_string();
        }
        let (bold, dim, color) = match paint {
            Paint::Heading => (true, false, None),
            Paint::Name => (false, false, Some(Color::Cyan)),
            Paint::Value => (false, false, Some(Color::Yellow)),
            Paint::Dim => (false, true, None),
            Paint::Bad => (true, false, Some(Color::Red)),
            Paint::Good | Paint::Text => (false, false, Some(Color::Green)),
        };
        let mut codes = Vec::new();
        if bold {
            codes.push("1".into());
        }
        if dim {
            codes.push("2".into());
        }
        if let Some(c) = color {
            codes.push(c.to_fg_str());
        }
        format!("\x1b[{}m{s}\x1b[0m", codes.join(";"))
    }
}

/// "s" unless `n` is 1.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Bytes as lower-case hex pairs separated by spaces.
pub fn hex_spaced(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}
