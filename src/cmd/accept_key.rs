//! `wsdbg accept-key`: Sec-WebSocket-Accept for a key, step by step.

use std::io::Write;

use super::input::key;
use super::{read_stdin, stdout, warn, Failure, Outcome};
use crate::cli::AcceptKeyArgs;
use crate::print::escape::escape_str;
use crate::print::{sentence, text};
use crate::protocol::handshake;

/// Runs the command.
pub fn run(args: &AcceptKeyArgs) -> Outcome {
    let mut out = stdout();
    if args.generate {
        let mut random = [0u8; 16];
        getrandom::getrandom(&mut random)
            .map_err(|e| Failure::Input(format!("no randomness available: {e}")))?;
        let key = handshake::key_from_bytes(random);
        if args.verbose {
            // The key, then how a server answers it.
            let steps = handshake::accept_steps(&key);
            text::accept_steps(&mut out, &steps, "base64 of 16 random bytes")?;
        } else {
            writeln!(out, "{key}")?;
        }
        out.flush()?;
        return Ok(());
    }
    let raw = match args.key.as_deref() {
        Some("-") | None => {
            let bytes = read_stdin("key")?;
            String::from_utf8(bytes).map_err(|e| {
                Failure::Input(format!(
                    "the key on stdin is not UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                ))
            })?
        }
        Some(k) => k.to_string(),
    };
    let key = key::find(&raw).map_err(Failure::Input)?;
    if let key::Found::Header { line, .. } = key {
        if raw.lines().filter(|l| !l.trim().is_empty()).count() > 1 {
            eprintln!("wsdbg: the key is the Sec-WebSocket-Key header's, on line {line}");
        }
    }
    let steps = handshake::accept_steps(key.value());
    if steps.key.is_empty() {
        return Err(Failure::Input(
            "the Sec-WebSocket-Key header has no value".into(),
        ));
    }
    let problem = handshake::check_key(&steps.key).err();
    if args.verbose {
        let decoded = match &problem {
            None => "base64 of 16 bytes, as RFC 6455 §4.1 requires".to_string(),
            Some(p) => sentence::key_problem(p),
        };
        text::accept_steps(&mut out, &steps, &decoded)?;
    } else {
        writeln!(out, "{}", steps.accept)?;
    }
    out.flush()?;
    // A key that breaks RFC 6455 §4.1 is a warning: the accept value is
    // still what a server computes, and scripts capturing it keep working.
    // With --expect, the check alone decides the exit status.
    if let Some(p) = &problem {
        warn(&sentence::key_problem(p));
    }
    match &args.expect {
        Some(expected) if expected.trim() == steps.accept => {
            eprintln!("wsdbg: ✓ {} matches", escape_str(expected.trim()));
            Ok(())
        }
        Some(expected) => {
            eprintln!(
                "wsdbg: ✗ mismatch: the key gives {}, not {}",
                steps.accept,
                escape_str(expected.trim())
            );
            Err(Failure::Violation)
        }
        None => Ok(()),
    }
}
