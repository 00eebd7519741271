//! `wsdbg decode`: annotate every frame in a dump.

use std::fs::File;

use super::input::dump::{self, Dump, Format, Spelling};
use super::{read_bounded, read_stdin, stdout, Failure, Outcome};
use crate::cli::{DecodeArgs, InputFormat, Side};
use crate::print::escape::escape_str;
use crate::print::json::JsonPrinter;
use crate::print::text::{TextOptions, TextPrinter};
use crate::print::{self, plural, Palette};
use crate::protocol::deflate::DeflateParams;
use crate::protocol::stream::Config;
use crate::protocol::Role;

/// Runs the command.
pub fn run(args: &DecodeArgs, palette: Palette) -> Outcome {
    let joined = (!args.input.is_empty()).then(|| args.input.join(" "));
    let (input, name) = match (&args.file, joined.as_deref()) {
        (Some(path), _) if path.as_os_str() == "-" => (read_stdin("dump")?, "stdin".to_string()),
        (Some(path), _) => {
            let name = escape_str(&path.display().to_string());
            let f =
                File::open(path).map_err(|e| Failure::Input(format!("cannot open {name}: {e}")))?;
            (read_bounded(f, &name)?, name)
        }
        (None, Some("-") | None) => (read_stdin("dump")?, "stdin".to_string()),
        (None, Some(arg)) => (arg.as_bytes().to_vec(), "the argument".to_string()),
    };
    let format = if args.dec {
        Format::Dec
    } else if args.raw {
        Format::Raw
    } else if args.base64 {
        Format::Base64
    } else {
        match args.format {
            InputFormat::Auto => Format::Auto,
            InputFormat::Hex => Format::Hex,
            InputFormat::Dec => Format::Dec,
            InputFormat::Base64 => Format::Base64,
            InputFormat::Raw => Format::Raw,
        }
    };
    let dump = dump::parse_with_head(input, format)
        .map_err(|e| Failure::Input(format!("{name} is not a dump: {e}")))?;
    let read_as = how_read(&dump);
    let from = args.from.map(|s| match s {
        Side::Client => Role::Client,
        Side::Server => Role::Server,
    });
    let config = Config {
        from,
        deflate: args.deflate.then(DeflateParams::default),
        ..Config::default()
    };
    let mut bytes = dump.bytes;
    let out = stdout();
    let summary = if args.json {
        print::decode_all(JsonPrinter::new(out), config, &mut bytes, &read_as)?
    } else {
        let options = TextOptions {
            explain: args.explain,
            max_bytes: if args.full {
                None
            } else {
                TextOptions::default().max_bytes
            },
        };
        print::decode_all(
            TextPrinter::new(out, palette, options),
            config,
            &mut bytes,
            &read_as,
        )?
    };
    if summary.violations > 0 {
        Err(Failure::Violation)
    } else {
        Ok(())
    }
}

/// How a dump was read, for the summary: "read 9 bytes of hex".
pub fn how_read(dump: &Dump) -> String {
    let n = dump.bytes.len();
    if dump.http_head > 0 {
        format!(
            "read {n} byte{}: an HTTP head pasted as text (line ends taken as CRLF), then {}",
            plural(n as u64),
            dump.spelling.name()
        )
    } else if dump.spelling == Spelling::Raw {
        format!("read {n} byte{} as they are (raw)", plural(n as u64))
    } else {
        format!(
            "read {n} byte{} of {}",
            plural(n as u64),
            dump.spelling.name()
        )
    }
}
