//! `wsdbg mask`: XOR masking and unmasking, streaming; building frames.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::AsFd;

use super::{read_stdin, stdin_not_terminal, stdout, Failure, Outcome};
use crate::cli::{MaskArgs, OutputKind};
use crate::dump::{self, Format};
use crate::print::escape::{escape_bytes, needs_escape};
use crate::print::hex_spaced;
use crate::protocol::frame::{encode_frame, FrameHeader};
use crate::protocol::mask::apply_mask;
use crate::protocol::opcode::OpCode;

const CHUNK: usize = 256 * 1024;

/// Runs the command.
pub fn run(args: &MaskArgs) -> Outcome {
    let key = args.key.as_deref().map(parse_key).transpose()?;
    let payload_arg = (!args.payload.is_empty()).then(|| args.payload.join(" "));
    let from_stdin = matches!(payload_arg.as_deref(), None | Some("-"));
    if args.frame {
        return frame(args, payload_arg.as_deref(), key);
    }
    let Some(key) = key else {
        return Err(Failure::Input(
            "--key is required: 4 bytes as hex, e.g. --key 3d542306".into(),
        ));
    };
    if from_stdin && !args.hex_input {
        let kind = match args.output {
            OutputKind::Auto if io::stdout().is_terminal() => OutputKind::Hex,
            OutputKind::Auto => OutputKind::Raw,
            k => k,
        };
        stdin_not_terminal("payload")?;
        return stream(key, kind);
    }
    let mut data = payload(args, payload_arg.as_deref())?;
    apply_mask(&mut data, key, 0);
    let kind = match args.output {
        OutputKind::Auto if args.hex_input && readable(&data) => OutputKind::Text,
        OutputKind::Auto => OutputKind::Hex,
        k => k,
    };
    write_whole(&data, kind)
}

/// The payload from the argument (text, or hex with --hex) or stdin.
fn payload(args: &MaskArgs, arg: Option<&str>) -> Result<Vec<u8>, Failure> {
    let (raw, name) = match arg {
        None | Some("-") => (read_stdin("payload")?, "stdin"),
        Some(p) => (p.as_bytes().to_vec(), "the payload"),
    };
    if args.hex_input {
        dump::parse(&raw, Format::Hex)
            .map(|d| d.bytes)
            .map_err(|e| Failure::Input(format!("{name} is not hex: {e}")))
    } else {
        Ok(raw)
    }
}

/// Parses a masking key: 4 bytes in any hex spelling.
pub fn parse_key(s: &str) -> Result<[u8; 4], Failure> {
    let bytes = dump::parse(s.as_bytes(), Format::Hex)
        .map_err(|e| Failure::Input(format!("--key is not hex: {e}")))?
        .bytes;
    <[u8; 4]>::try_from(bytes.as_slice()).map_err(|_| {
        Failure::Input(format!(
            "--key must be 4 bytes (8 hex digits, e.g. 3d542306); got {} byte{}",
            bytes.len(),
            if bytes.len() == 1 { "" } else { "s" }
        ))
    })
}

fn readable(data: &[u8]) -> bool {
    std::str::from_utf8(data).is_ok_and(|s| {
        s.chars()
            .all(|c| matches!(c, '\n' | '\t') || !needs_escape(c))
    })
}

fn write_whole(data: &[u8], kind: OutputKind) -> Outcome {
    let mut out = stdout();
    match kind {
        OutputKind::Raw => out.write_all(data)?,
        OutputKind::Text => writeln!(out, "{}", escape_bytes(data))?,
        OutputKind::Hex | OutputKind::Auto => writeln!(out, "{}", hex_spaced(data))?,
    }
    out.flush()?;
    Ok(())
}

fn frame(args: &MaskArgs, arg: Option<&str>, key: Option<[u8; 4]>) -> Outcome {
    let opcode = OpCode::parse(&args.opcode).ok_or_else(|| {
        Failure::Input(format!(
            "--opcode {:?}: expected text, binary, close, ping, pong, continuation or a number 0-15",
            args.opcode
        ))
    })?;
    let data = payload(args, arg)?;
    let mask = if args.unmasked {
        None
    } else {
        match key {
            Some(k) => Some(k),
            None => {
                let mut k = [0u8; 4];
                getrandom::getrandom(&mut k)
                    .map_err(|e| Failure::Input(format!("no randomness available: {e}")))?;
                Some(k)
            }
        }
    };
    let header = FrameHeader::new(!args.no_fin, opcode, mask, data.len() as u64);
    let mut bytes = Vec::with_capacity(header.len() + data.len());
    encode_frame(&header, &data, &mut bytes);
    let kind = match args.output {
        OutputKind::Auto => OutputKind::Hex,
        k => k,
    };
    write_whole(&bytes, kind)
}

/// Masks stdin to stdout in fixed-size chunks: constant memory for any size.
fn stream(key: [u8; 4], kind: OutputKind) -> Outcome {
    let mut input = io::stdin().lock();
    // Raw output goes straight to the file descriptor: `Stdout` is line
    // buffered and would scan every chunk for newlines.
    let mut out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0usize;
    let mut text = TextCarry::default();
    let mut column = 0usize;
    let mut rendered = String::new();
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let chunk = &mut buf[..n];
        apply_mask(chunk, key, offset % 4);
        offset = offset.wrapping_add(n);
        match kind {
            OutputKind::Raw => out.write_all(chunk)?,
            OutputKind::Text => out.write_all(text.push(chunk).as_bytes())?,
            _ => {
                rendered.clear();
                for b in chunk.iter() {
                    rendered.push_str(if column == 0 { "" } else { " " });
                    rendered.push_str(&format!("{b:02x}"));
                    column += 1;
                    if column == 16 {
                        rendered.push('\n');
                        column = 0;
                    }
                }
                out.write_all(rendered.as_bytes())?;
            }
        }
    }
    match kind {
        OutputKind::Text => {
            let tail = text.finish();
            writeln!(out, "{tail}")?;
        }
        OutputKind::Hex | OutputKind::Auto if column > 0 => writeln!(out)?,
        _ => {}
    }
    Ok(())
}

/// How many bytes at the end of `bytes` start a UTF-8 character that the
/// next chunk may complete (0 to 3).
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let b = bytes[bytes.len() - back];
        let needs = match b {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            0x80..=0xbf => continue,
            _ => return 0,
        };
        return if needs > back { back } else { 0 };
    }
    0
}

/// Escapes text that arrives in chunks, keeping a character split across
/// two chunks whole.
#[derive(Default)]
struct TextCarry {
    pending: Vec<u8>,
}

impl TextCarry {
    fn push(&mut self, chunk: &[u8]) -> String {
        self.pending.extend_from_slice(chunk);
        let cut = self.pending.len() - incomplete_tail(&self.pending);
        let out = escape_bytes(&self.pending[..cut]);
        self.pending.drain(..cut);
        out
    }

    fn finish(&mut self) -> String {
        escape_bytes(&std::mem::take(&mut self.pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_split_inside_a_character_stays_whole() {
        let text = "aκ€𝄞".as_bytes();
        for cut in 0..=text.len() {
            let mut carry = TextCarry::default();
            let mut out = carry.push(&text[..cut]);
            out.push_str(&carry.push(&text[cut..]));
            out.push_str(&carry.finish());
            assert_eq!(out, "aκ€𝄞", "cut at {cut}");
        }
        let mut carry = TextCarry::default();
        let out = carry.push(&[0xff, b'a', 0xe2]) + &carry.finish();
        assert_eq!(out, "\\xffa\\xe2");
    }
}
