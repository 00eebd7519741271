//! `wsdbg mask`: XOR masking and unmasking, streaming; building frames.

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsFd;

use super::input::dump::{self, Format};
use super::{read_stdin, stdin_not_terminal, stdout, Failure, Outcome};
use crate::cli::{MaskArgs, OutputKind};
use crate::print::bytes::{BytesForm, BytesWriter};
use crate::print::escape::needs_escape;
use crate::protocol::compress::Deflater;
use crate::protocol::frame::{FrameSpec, LengthForm};
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
    let mut out = BytesWriter::new(stdout(), form(kind));
    out.write(data)?;
    out.finish()?;
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
    let mut rsv = [false; 3];
    for n in &args.rsv {
        rsv[usize::from(n - 1)] = true;
    }
    let data = if args.deflate {
        let mut compressed = Vec::new();
        Deflater::new(15, true).compress(&data, &mut compressed);
        rsv[0] = true;
        compressed
    } else {
        data
    };
    let spec = FrameSpec {
        fin: !args.no_fin,
        rsv,
        length: args.length,
        form: args.length_form.as_deref().and_then(LengthForm::parse),
        ..FrameSpec::new(opcode, mask)
    };
    let mut bytes = Vec::with_capacity(14 + data.len());
    spec.encode(&data, &mut bytes)
        .map_err(|e| Failure::Input(format!("--length-form: {e}")))?;
    let kind = match args.output {
        OutputKind::Auto => OutputKind::Hex,
        k => k,
    };
    write_whole(&bytes, kind)
}

/// Masks stdin to stdout in fixed-size chunks: constant memory for any size.
fn stream(key: [u8; 4], kind: OutputKind) -> Outcome {
    let mut input = io::stdin().lock();
    // Output goes straight to the file descriptor: `Stdout` is line
    // buffered and would scan every chunk for newlines.
    let out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let mut out = BytesWriter::new(out, form(kind));
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0usize;
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
        out.write(chunk)?;
    }
    out.finish()?;
    Ok(())
}

fn form(kind: OutputKind) -> BytesForm {
    match kind {
        OutputKind::Raw => BytesForm::Raw,
        OutputKind::Text => BytesForm::Text,
        OutputKind::Hex | OutputKind::Auto => BytesForm::Hex,
    }
}
