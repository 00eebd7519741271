//! Bytes written as they come, in one of three forms: hex (16 to a line),
//! escaped text, or raw. Chunks may split a line or a character anywhere.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::escape::{escape_bytes, incomplete_tail};

/// The form bytes are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesForm {
    /// Lower-case hex pairs, 16 to a line.
    Hex,
    /// Text with anything unprintable escaped, then a newline.
    Text,
    /// The bytes themselves.
    Raw,
}

/// Writes bytes in a [`BytesForm`], chunk by chunk, in constant memory.
pub struct BytesWriter<W: Write> {
    out: W,
    form: BytesForm,
    column: usize,
    pending: Vec<u8>,
    rendered: String,
}

impl<W: Write> BytesWriter<W> {
    /// A writer of `form` into `out`.
    pub fn new(out: W, form: BytesForm) -> Self {
        Self {
            out,
            form,
            column: 0,
            pending: Vec::new(),
            rendered: String::new(),
        }
    }

    /// Writes the next chunk.
    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        match self.form {
            BytesForm::Raw => self.out.write_all(chunk),
            BytesForm::Text => {
                self.pending.extend_from_slice(chunk);
                let cut = self.pending.len() - incomplete_tail(&self.pending);
                let text = escape_bytes(&self.pending[..cut]);
                self.pending.drain(..cut);
                self.out.write_all(text.as_bytes())
            }
            BytesForm::Hex => {
                self.rendered.clear();
                for b in chunk {
                    if self.column > 0 {
                        self.rendered.push(' ');
                    }
                    let _ = write!(self.rendered, "{b:02x}");
                    self.column += 1;
                    if self.column == 16 {
                        self.rendered.push('\n');
                        self.column = 0;
                    }
                }
                self.out.write_all(self.rendered.as_bytes())
            }
        }
    }

    /// Ends the output (the last line's newline, a held-back partial
    /// character) and gives the writer back, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        match self.form {
            BytesForm::Text => {
                let tail = escape_bytes(&std::mem::take(&mut self.pending));
                writeln!(self.out, "{tail}")?;
            }
            BytesForm::Hex if self.column > 0 => writeln!(self.out)?,
            _ => {}
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(form: BytesForm, chunks: &[&[u8]]) -> String {
        let mut w = BytesWriter::new(Vec::new(), form);
        for c in chunks {
            w.write(c).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn text_split_inside_a_character_stays_whole() {
        let text = "aκ€𝄞".as_bytes();
        for cut in 0..=text.len() {
            assert_eq!(
                written(BytesForm::Text, &[&text[..cut], &text[cut..]]),
                "aκ€𝄞\n",
                "cut at {cut}"
            );
        }
        assert_eq!(
            written(BytesForm::Text, &[&[0xff, b'a', 0xe2]]),
            "\\xffa\\xe2\n"
        );
    }

    #[test]
    fn hex_lines_of_sixteen_across_chunks() {
        let data: Vec<u8> = (0..20).collect();
        let whole = written(BytesForm::Hex, &[&data]);
        assert_eq!(
            whole,
            "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n10 11 12 13\n"
        );
        assert_eq!(written(BytesForm::Hex, &[&data[..7], &data[7..]]), whole);
        assert_eq!(written(BytesForm::Hex, &[b"MDN"]), "4d 44 4e\n");
        assert_eq!(written(BytesForm::Raw, &[b"a", b"b"]), "ab");
    }
}
