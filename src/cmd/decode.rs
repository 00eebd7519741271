//! `wsdbg decode`: annotate every frame in a dump.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::capture::{self, Source};
use super::input::capture::file::{pcap_of, replay};
use super::input::capture::{link, Format};
use super::input::dump::{self, Dump, Spelling};
use super::{read_bounded, stdin_not_terminal, stdout, Failure, Outcome, MAX_INPUT};
use crate::cli::{DecodeArgs, InputFormat, Side};
use crate::print::escape::escape_str;
use crate::print::json::JsonPrinter;
use crate::print::select::Select;
use crate::print::text::{TextOptions, TextPrinter};
use crate::print::wrap::{self, Wrap};
use crate::print::{self, plural, Palette};
use crate::protocol::deflate::DeflateParams;
use crate::protocol::payload::read::Reading;
use crate::protocol::stream::Config;
use crate::protocol::Role;
use pcap_parser::Linktype;

/// Runs the command.
pub fn run(args: &DecodeArgs, palette: Palette) -> Outcome {
    let joined = (!args.input.is_empty()).then(|| args.input.join(" "));
    // A capture is told by its first bytes wherever it comes from, unless
    // a dump format was named.
    let sniff = args.format == InputFormat::Auto && !(args.dec || args.raw || args.base64);
    let file = args.file.as_ref().filter(|p| p.as_os_str() != "-");
    let arg = match &args.file {
        // `--file -` is stdin, as `-` is.
        Some(_) if file.is_none() => Some("-"),
        _ => joined.as_deref(),
    };
    let (input, name) = match (file, arg) {
        (Some(path), _) => {
            let name = escape_str(&path.display().to_string());
            let f =
                File::open(path).map_err(|e| Failure::Input(format!("cannot open {name}: {e}")))?;
            (start_or_capture(args, palette, sniff, f, &name)?, name)
        }
        (None, Some("-") | None) => {
            stdin_not_terminal("dump")?;
            let name = "stdin".to_string();
            let stdin = io::stdin().lock();
            (start_or_capture(args, palette, sniff, stdin, &name)?, name)
        }
        (None, Some(arg)) => {
            let path = Path::new(arg);
            // A FIFO or /dev/fd/N (`<(tcpdump -w -)`) as well as a file.
            let names_file = args.input.len() == 1 && path.exists() && !path.is_dir();
            if sniff && names_file {
                let name = escape_str(arg);
                let mut f = File::open(path)
                    .map_err(|e| Failure::Input(format!("cannot open {name}: {e}")))?;
                let start = read_start(&mut f, &name)?;
                if let Some(format) = Format::sniff(&start) {
                    return capture::run(args, palette, format, start, f, Source::file(&name));
                }
            }
            // Not a capture: the argument is the dump, as always.
            let name = if names_file {
                format!(
                    "the argument (the name of a file that is not a capture: --file {} reads it)",
                    escape_str(arg)
                )
            } else {
                "the argument".to_string()
            };
            (Some(arg.as_bytes().to_vec()), name)
        }
    };
    let Some(input) = input else {
        return Ok(());
    };
    // Both sides of a conversation (Follow TCP Stream, hex view): read as
    // a capture of it, each side decoded as what it is.
    if sniff || args.format == InputFormat::Hex {
        if let Some(found) = std::str::from_utf8(&input)
            .ok()
            .and_then(dump::packet::follow)
        {
            let c = found.map_err(|e| Failure::Input(format!("{name} is not a dump: {e}")))?;
            return conversation(args, palette, &c, &name);
        }
    }
    // Whole packets pasted as tshark or tcpdump print them: read as a
    // capture of those packets.
    if sniff || args.format == InputFormat::Hex {
        if let Some(found) = std::str::from_utf8(&input)
            .ok()
            .and_then(dump::packet::read)
        {
            let p = found.map_err(|e| Failure::Input(format!("{name} is not a dump: {e}")))?;
            if let Some(outcome) = packets(args, palette, &p.packets, p.tool, p.derived, &name) {
                return outcome;
            }
        }
    }
    if args.port.is_some() || args.conn.is_some() {
        return Err(Failure::Input(format!(
            "--port and --conn apply to capture files (pcap, pcapng); {name} is not one"
        )));
    }
    let format = if args.dec {
        dump::Format::Dec
    } else if args.raw {
        dump::Format::Raw
    } else if args.base64 {
        dump::Format::Base64
    } else {
        match args.format {
            InputFormat::Auto => dump::Format::Auto,
            InputFormat::Hex => dump::Format::Hex,
            InputFormat::Dec => dump::Format::Dec,
            InputFormat::Base64 => dump::Format::Base64,
            InputFormat::Raw => dump::Format::Raw,
        }
    };
    let mut dump = dump::parse_with_head(input, format)
        .map_err(|e| Failure::Input(format!("{name} is not a dump: {e}")))?;
    let mut read_as = how_read(&dump);
    if let Some(n) = args.skip {
        if n >= dump.bytes.len() {
            return Err(Failure::Input(format!(
                "--skip {n}: {name} holds {} byte{}, so nothing would be left",
                dump.bytes.len(),
                plural(dump.bytes.len() as u64)
            )));
        }
        // Skipped bytes are no head any more, or part of one at most.
        dump.bytes.drain(..n);
        dump.http_head = dump.http_head.saturating_sub(n);
        dump.http_answer = 0;
        read_as = format!(
            "{read_as}; the first {n} skipped (--skip), the {} after them decoded",
            dump.bytes.len()
        );
    }
    // A request and its answer pasted before the frames: both sides. So
    // too bytes that hold a request and, right after its head, the
    // response (both sides run together, as a copy of Follow TCP Stream's
    // raw view gives them): one side cannot have sent both.
    if dump.http_answer == 0 && args.from.is_none() {
        if let Some((request, response)) = both_heads(&dump.bytes[dump.http_head..]) {
            if dump.http_head == 0 {
                dump.http_head = request;
                dump.http_answer = response;
            }
        }
    }
    if dump.http_answer > 0 {
        return pasted_conversation(args, palette, &dump, &name);
    }
    // One whole packet, in any spelling (a hex stream, tcpdump -xx
    // without its summary line): its headers are not WebSocket bytes.
    if dump.http_head == 0 {
        let spelling = format!("a packet in {}", dump.spelling.name());
        let one = std::slice::from_ref(&dump.bytes);
        if let Some(outcome) = packets(args, palette, one, &spelling, 0, &name) {
            return outcome;
        }
    }
    let from = args.from.map(|s| match s {
        Side::Client => Role::Client,
        Side::Server => Role::Server,
    });
    let config = Config {
        from,
        deflate: args.deflate.then(DeflateParams::default),
        ..Config::default()
    };
    // Offsets count in the dump's own numbering: from where it starts
    // (a dump from an offset), past what --skip left out.
    let base = match dump.spelling {
        Spelling::OffsetHex { start } => start,
        _ => 0,
    } + args.skip.unwrap_or(0) as u64;
    let mut bytes = dump.bytes;
    let out = stdout();
    let summary = if args.json {
        print::decode_all(
            select(args, JsonPrinter::new(out)).from_offset(base),
            config,
            &mut bytes,
            &read_as,
            Reading::new(args.payload.asked()),
        )?
    } else {
        print::decode_all(
            select(
                args,
                TextPrinter::new(fit(out), palette, text_options(args)),
            )
            .from_offset(base),
            config,
            &mut bytes,
            &read_as,
            Reading::new(args.payload.asked()),
        )?
    };
    if summary.violations > 0 || summary.payload_violations > 0 {
        Err(Failure::Violation)
    } else {
        Ok(())
    }
}

/// The first bytes of `input`, enough to tell a capture by.
fn read_start(input: &mut impl Read, name: &str) -> Result<Vec<u8>, Failure> {
    let mut start = vec![0u8; 4];
    let mut n = 0;
    while n < start.len() {
        match input.read(&mut start[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::Input(format!("cannot read {name}: {e}"))),
        }
    }
    start.truncate(n);
    Ok(start)
}

/// Decodes `input` as a capture when it is one (Ok(None): done), or reads
/// it whole as a dump.
fn start_or_capture(
    args: &DecodeArgs,
    palette: Palette,
    sniff: bool,
    mut input: impl Read,
    name: &str,
) -> Result<Option<Vec<u8>>, Failure> {
    let mut start = read_start(&mut input, name)?;
    if sniff {
        if let Some(format) = Format::sniff(&start) {
            capture::run(args, palette, format, start, input, Source::file(name))?;
            return Ok(None);
        }
    }
    let rest = read_bounded(input.take(MAX_INPUT - start.len() as u64 + 1), name)?;
    start.extend_from_slice(&rest);
    if start.len() as u64 > MAX_INPUT {
        return Err(Failure::Input(format!(
            "{name} is larger than {} MiB; this command reads its input whole",
            MAX_INPUT >> 20
        )));
    }
    Ok(Some(start))
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

/// Decodes whole packets (link, IP and TCP headers and all) as a capture
/// of them: `None` when they are not all packets of one link type.
fn packets(
    args: &DecodeArgs,
    palette: Palette,
    packets: &[Vec<u8>],
    tool: &str,
    derived: usize,
    name: &str,
) -> Option<Outcome> {
    let link = link::guess(packets.first()?)?;
    if packets.iter().any(|p| link::guess(p) != Some(link)) {
        return None;
    }
    let mut port = None;
    let handshake = packets.iter().any(|p| {
        link::segment(link, p, p.len() as u32)
            .is_ok_and(|s| s.payload.starts_with(b"GET ") || s.payload.starts_with(b"HTTP/"))
    });
    if !handshake && args.port.is_none() {
        // Without a handshake, which side is the server is a guess: said
        // as one, with what settles it.
        let s = link::segment(link, &packets[0], packets[0].len() as u32).ok()?;
        let guessed = s.src.port().min(s.dst.port());
        port = Some(guessed);
        super::warn(&format!(
            "the packets hold no WebSocket handshake: port {guessed} is taken as the server's \
             (the lower of the first packet's two); --port N says otherwise"
        ));
    }
    if derived > 0 {
        super::warn(&format!(
            "left out {derived} block{} tshark derived from the packets (unmasked, \
             decompressed or reassembled data): not bytes as sent; the frames below are decoded \
             from the packets themselves",
            plural(derived as u64)
        ));
    }
    let kind = format!("{tool}, {}", link::name(link));
    let pcap = pcap_of(link, packets);
    let source = Source {
        name,
        kind: Some(&kind),
        times: false,
        port,
        packets: true,
        aliases: &[],
    };
    Some(capture::run(
        args,
        palette,
        Format::Pcap,
        pcap,
        io::empty(),
        source,
    ))
}

/// Decodes both sides of a conversation pasted as text, as a capture of
/// it: the packets that carry it are made up (and their numbers not
/// shown); the nodes' addresses are tshark's when it named them, else
/// `node 0` and `node 1` stand for them.
fn conversation(
    args: &DecodeArgs,
    palette: Palette,
    c: &dump::packet::Conversation,
    name: &str,
) -> Outcome {
    if let Some(guess) = c.guess {
        super::warn(guess);
    }
    conversation_as(args, palette, c, name, c.view)
}

fn conversation_as(
    args: &DecodeArgs,
    palette: Palette,
    c: &dump::packet::Conversation,
    name: &str,
    kind: &str,
) -> Outcome {
    use std::net::SocketAddr;
    let made_up: [SocketAddr; 2] = [
        "10.0.0.1:50000".parse().expect("an address"),
        "10.0.0.2:50001".parse().expect("an address"),
    ];
    let named: Option<[SocketAddr; 2]> = match &c.nodes {
        [Some(a), Some(b)] => a.parse().ok().zip(b.parse().ok()).map(|(a, b)| [a, b]),
        _ => None,
    };
    let nodes = named.unwrap_or(made_up);
    let aliases = [(made_up[0], "node 0"), (made_up[1], "node 1")];
    let handshake = c
        .chunks
        .iter()
        .any(|(_, b)| b.starts_with(b"GET ") || b.starts_with(b"HTTP/"));
    let mut port = None;
    if !handshake && args.port.is_none() {
        // Node 0 spoke first: most likely the client; said as a guess.
        port = Some(nodes[1].port());
        super::warn(&format!(
            "the conversation holds no WebSocket handshake: node 0 (which sent first) is taken as \
             the client and node 1 ({}) as the server; --port N names the server's port",
            if named.is_some() {
                nodes[1].to_string()
            } else {
                "port 50001 here".to_string()
            }
        ));
    }
    let packets = pcap_of(Linktype::RAW, &replay(nodes, &c.chunks));
    let source = Source {
        name,
        kind: Some(kind),
        times: false,
        port,
        packets: false,
        aliases: if named.is_some() { &[] } else { &aliases },
    };
    capture::run(args, palette, Format::Pcap, packets, io::empty(), source)
}

/// How the text printer renders for these arguments (`--brief`,
/// `--explain`, `--full`).
pub(super) fn text_options(args: &DecodeArgs) -> TextOptions {
    TextOptions {
        brief: args.brief,
        explain: args.explain,
        max_bytes: if args.full {
            None
        } else {
            TextOptions::default().max_bytes
        },
    }
}

/// `printer`, showing what `--only` and `--frames` choose.
pub(super) fn select<P: print::Printer>(args: &DecodeArgs, printer: P) -> Select<P> {
    let filter = super::live::filter(args.only, args.grep.as_ref(), None, args.frames);
    Select::new(printer, filter)
}

/// `out`, wrapped to the terminal's width when there is one (`COLUMNS`,
/// or stdout's terminal); as it is for a file or a pipe.
pub(super) fn fit<'a, W: io::Write + 'a>(out: W) -> Box<dyn io::Write + 'a> {
    use std::io::IsTerminal;
    let tty_width = rustix::termios::tcgetwinsize(io::stdout())
        .ok()
        .filter(|ws| ws.ws_col > 0)
        .map(|ws| usize::from(ws.ws_col));
    let columns = std::env::var("COLUMNS").ok();
    match wrap::terminal_width(io::stdout().is_terminal(), columns.as_deref(), tty_width) {
        Some(width) => Box::new(Wrap::new(out, width)),
        None => Box::new(out),
    }
}

/// A request and its response pasted as text, then frames: each side
/// decoded as what it is. The frames are given to a side by their MASK
/// bit (a client masks its frames, a server does not), which is said, as
/// it decides a side for a frame that breaks that rule.
fn pasted_conversation(args: &DecodeArgs, palette: Palette, dump: &Dump, name: &str) -> Outcome {
    use crate::protocol::frame::{FrameHeader, HeaderParse};
    let (head, rest) = dump.bytes.split_at(dump.http_head);
    let (answer, mut frames) = rest.split_at(dump.http_answer);
    let mut chunks: Vec<(usize, Vec<u8>)> = vec![(0, head.to_vec()), (1, answer.to_vec())];
    let push =
        |side: usize, bytes: &[u8], chunks: &mut Vec<(usize, Vec<u8>)>| match chunks.last_mut() {
            Some((s, b)) if *s == side => b.extend_from_slice(bytes),
            _ => chunks.push((side, bytes.to_vec())),
        };
    let mut split = false;
    while !frames.is_empty() {
        let (side, len) = match FrameHeader::parse(frames) {
            HeaderParse::Complete(h) => (
                usize::from(h.mask.is_none()),
                usize::try_from(h.len() as u64 + h.payload_len).unwrap_or(usize::MAX),
            ),
            // A header cut short: the rest goes with the frames before it.
            HeaderParse::Partial { .. } => (chunks.last().map_or(0, |c| c.0), frames.len()),
        };
        let len = len.min(frames.len());
        push(side, &frames[..len], &mut chunks);
        split = true;
        frames = &frames[len..];
    }
    if split {
        super::warn(
            "the frames after the request and its response are given to a side by their MASK bit \
             (a client masks its frames, a server does not), so one that breaks that rule is \
             shown as the other side's: decode one side's frames alone with --from to check its \
             masking",
        );
    }
    let conversation = dump::packet::Conversation {
        chunks,
        nodes: [None, None],
        view: "a request, its response and frames pasted",
        guess: None,
    };
    conversation_as(
        args,
        palette,
        &conversation,
        name,
        "a request, its response and frames pasted",
    )
}

/// The lengths of a request's head and of a response's head right after
/// it, when `bytes` start so.
fn both_heads(bytes: &[u8]) -> Option<(usize, usize)> {
    use crate::protocol::http::{parse_request, parse_response, HeadParse};
    let HeadParse::Complete { len: request, .. } = parse_request(bytes, 64 << 10).ok()? else {
        return None;
    };
    let rest = &bytes[request..];
    let HeadParse::Complete { len: response, .. } = parse_response(rest, 64 << 10).ok()? else {
        return None;
    };
    Some((request, response))
}
