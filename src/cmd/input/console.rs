//! The console language of `serve` (and, without the ids, of `connect`):
//! one line in, one command out. No I/O here: the commands run elsewhere.
//!
//! A plain line is a text message to every client; `//text` sends `/text`.
//! Commands start with `/`; `ID` is a client id as shown (`1` or `#1`) or
//! `all`.

use std::fmt;

use super::dump::{self, Format};
use crate::protocol::frame::{FrameSpec, LengthForm};
use crate::protocol::hold::Release;
use crate::protocol::opcode::OpCode;

/// Whom a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every connected client.
    All,
    /// One client, by its id.
    Id(u64),
}

/// A masking key for a hand-built frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// As this end sends: a server unmasked, a client with a fresh random
    /// key.
    Default,
    /// Unmasked.
    None,
    /// This key.
    Key([u8; 4]),
    /// A fresh random key.
    Random,
}

/// Something to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Send {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping with this payload.
    Ping(Vec<u8>),
    /// A pong with this payload.
    Pong(Vec<u8>),
    /// A close frame: no code (an empty payload), or a code and a reason.
    Close(Option<(u16, String)>),
    /// Bytes on the socket as they are.
    Raw(Vec<u8>),
    /// A hand-built frame: `spec` with `mask` chosen at sending time.
    Frame {
        /// FIN, RSV, opcode, claimed length and its form.
        spec: FrameSpec,
        /// How it is masked.
        mask: Mask,
        /// The payload (before masking).
        payload: Vec<u8>,
    },
}

/// One console line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// An empty line.
    Nothing,
    /// Send something to one client or all.
    Send(Target, Send),
    /// List the clients.
    List,
    /// Show the commands (or one command's usage).
    Help(Option<&'static Usage>),
    /// Close every client with 1001 and stop.
    Quit,
}

/// A command's name, its arguments and what it does.
#[derive(Debug, PartialEq, Eq)]
pub struct Usage {
    /// The name, with its slash.
    pub name: &'static str,
    /// The arguments after `ID`.
    pub args: &'static str,
    /// What it does, in one line.
    pub what: &'static str,
}

/// Every command, in the order `/help` lists them.
pub const COMMANDS: &[Usage] = &[
    Usage {
        name: "/send",
        args: "TEXT",
        what: "a text message",
    },
    Usage {
        name: "/binary",
        args: "HEX",
        what: "a binary message (hex in any spelling decode reads: 01 02, 0x01,0x02, \\x01\\x02)",
    },
    Usage {
        name: "/ping",
        args: "[TEXT]",
        what: "a ping (at most 125 bytes; /frame sends a longer one)",
    },
    Usage {
        name: "/pong",
        args: "[TEXT]",
        what: "an unsolicited pong",
    },
    Usage {
        name: "/close",
        args: "[CODE [REASON]]",
        what: "start the closing handshake (no code: an empty close frame)",
    },
    Usage {
        name: "/raw",
        args: "HEX",
        what: "these bytes on the socket as they are",
    },
    Usage {
        name: "/frame",
        args: "[--opcode OP] [--no-fin] [--rsv N] [--length N] [--length-form 7|16|64] [--key HEX|--masked|--unmasked] [--hex] [--] [PAYLOAD]",
        what: "a hand-built frame, by default what this end would send (a server unmasked, a client masked)",
    },
    Usage {
        name: "/list",
        args: "",
        what: "the clients: id, address, path, state, messages each way, age",
    },
    Usage {
        name: "/help",
        args: "[COMMAND]",
        what: "this list, or one command's usage",
    },
    Usage {
        name: "/quit",
        args: "",
        what: "close every client with 1001 and stop",
    },
];

/// The commands that take an id.
fn takes_id(u: &Usage) -> bool {
    !matches!(u.name, "/list" | "/help" | "/quit")
}

impl Usage {
    /// `/name ID args` (or without `ID` where none is taken).
    pub fn line(&self, ids: bool) -> String {
        let mut s = self.name.to_string();
        if ids && takes_id(self) {
            s.push_str(" ID");
        }
        if !self.args.is_empty() {
            s.push(' ');
            s.push_str(self.args);
        }
        s
    }
}

/// A line the console could not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleError {
    /// What is wrong.
    pub message: String,
    /// The command's usage line, when the command was known.
    pub usage: Option<String>,
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(u) = &self.usage {
            write!(f, " (usage: {u})")?;
        }
        Ok(())
    }
}

/// Understands one line. `ids`: whether commands name a client (serve) or
/// not (connect, which has one peer).
pub fn parse(line: &str, ids: bool) -> Result<Command, ConsoleError> {
    let line = line_of(line);
    if line.trim().is_empty() {
        return Ok(Command::Nothing);
    }
    if let Some(text) = line.strip_prefix("//") {
        return Ok(Command::Send(Target::All, Send::Text(format!("/{text}"))));
    }
    if !line.starts_with('/') {
        return Ok(Command::Send(Target::All, Send::Text(line.to_string())));
    }
    let (word, rest) = split_word(line);
    let usage = find_usage(
        word,
        COMMANDS,
        " (a line without / is sent as text; //text sends /text)",
    )?;
    let fail = |message: String| ConsoleError {
        message,
        usage: Some(usage.line(ids)),
    };
    match usage.name {
        "/list" => return no_args(usage, rest).map(|()| Command::List).map_err(fail),
        "/quit" => return no_args(usage, rest).map(|()| Command::Quit).map_err(fail),
        "/help" => return help_topic(rest, COMMANDS).map(Command::Help).map_err(fail),
        _ => {}
    }
    let (target, rest) = if ids {
        let (id, rest) = split_word(rest);
        if id.is_empty() {
            return Err(fail(format!(
                "{} needs a client id (1 or #1) or all",
                usage.name
            )));
        }
        (parse_target(id).map_err(fail)?, rest)
    } else {
        (Target::All, rest)
    };
    Ok(Command::Send(
        target,
        send_of(usage.name, rest).map_err(fail)?,
    ))
}

/// What a sending command (`/send`, `/binary`, `/ping`, `/pong`, `/close`,
/// `/raw`, `/frame`) sends, from its arguments.
fn send_of(name: &str, rest: &str) -> Result<Send, String> {
    let send = match name {
        "/send" => Send::Text(rest.to_string()),
        "/binary" => Send::Binary(hex(rest, "HEX", true)?),
        "/ping" | "/pong" => {
            if rest.len() > 125 {
                return Err(format!(
                    "a control frame carries at most 125 bytes, this one {}; /frame sends a longer one on purpose",
                    rest.len()
                ));
            }
            let data = rest.as_bytes().to_vec();
            if name == "/ping" {
                Send::Ping(data)
            } else {
                Send::Pong(data)
            }
        }
        "/close" => Send::Close(close(rest)?),
        "/raw" => Send::Raw(hex(rest, "HEX", false)?),
        "/frame" => frame(rest)?,
        other => unreachable!("{other} is handled above"),
    };
    Ok(send)
}

/// The first word and the rest after one run of spaces.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => {
            let rest = &s[i..];
            let rest = rest.strip_prefix(' ').unwrap_or(rest.trim_start());
            (&s[..i], rest)
        }
        None => (s, ""),
    }
}

/// The line without its line ending.
fn line_of(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// The command named `word` in `table`, or an error naming them all (and
/// `hint`).
fn find_usage(
    word: &str,
    table: &'static [Usage],
    hint: &str,
) -> Result<&'static Usage, ConsoleError> {
    table.iter().find(|u| u.name == word).ok_or_else(|| {
        let names: Vec<&str> = table.iter().map(|u| u.name).collect();
        ConsoleError {
            message: format!(
                "unknown command {}: the commands are {}{hint}",
                quote(word),
                names.join(" ")
            ),
            usage: None,
        }
    })
}

/// Checks that a command that takes no arguments got none.
fn no_args(usage: &Usage, rest: &str) -> Result<(), String> {
    if rest.trim().is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} takes no arguments, got {}",
            usage.name,
            quote(rest.trim())
        ))
    }
}

/// `/help`'s topic: none, or a command of `table` (with or without its
/// slash).
fn help_topic(rest: &str, table: &'static [Usage]) -> Result<Option<&'static Usage>, String> {
    let topic = rest.trim();
    if topic.is_empty() {
        return Ok(None);
    }
    let slashed = if topic.starts_with('/') {
        topic.to_string()
    } else {
        format!("/{topic}")
    };
    table
        .iter()
        .find(|u| u.name == slashed)
        .map(Some)
        .ok_or_else(|| format!("no command {}", quote(topic)))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.escape_debug())
}

fn parse_target(word: &str) -> Result<Target, String> {
    if word.eq_ignore_ascii_case("all") {
        return Ok(Target::All);
    }
    let digits = word.strip_prefix('#').unwrap_or(word);
    match digits.parse::<u64>() {
        Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(Target::Id(n)),
        _ => Err(format!(
            "{} is not a client id: expected a number as shown (1 or #1) or all",
            quote(word)
        )),
    }
}

fn hex(s: &str, what: &str, empty_ok: bool) -> Result<Vec<u8>, String> {
    if s.trim().is_empty() {
        return if empty_ok {
            Ok(Vec::new())
        } else {
            Err(format!(
                "{what} is missing: give the bytes, e.g. 81 02 68 69"
            ))
        };
    }
    dump::parse(s.as_bytes(), Format::Hex)
        .map(|d| d.bytes)
        .map_err(|e| format!("{what} is not hex: column {}: {}", e.column, e.message))
}

fn close(rest: &str) -> Result<Option<(u16, String)>, String> {
    let (code, reason) = split_word(rest);
    if code.is_empty() {
        return Ok(None);
    }
    let code: u16 = code.parse().map_err(|_| {
        format!(
            "{} is not a close code: expected a number 0-65535 (1000 normal, 1001 going away, 4000-4999 private)",
            quote(code)
        )
    })?;
    if 2 + reason.len() > 125 {
        return Err(format!(
            "a close reason fits in 123 bytes, this one has {}",
            reason.len()
        ));
    }
    Ok(Some((code, reason.to_string())))
}

fn frame(rest: &str) -> Result<Send, String> {
    let mut spec = FrameSpec::new(OpCode::Text, None);
    let mut mask = None;
    let mut is_hex = false;
    let mut rest = rest;
    loop {
        let (word, after) = split_word(rest);
        if !word.starts_with("--") {
            break;
        }
        rest = after;
        if word == "--" {
            break;
        }
        let (name, inline) = match word.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (word, None),
        };
        let takes_value = matches!(
            name,
            "--opcode" | "--rsv" | "--length" | "--length-form" | "--key"
        );
        let value = if takes_value {
            match inline {
                Some(v) => v,
                None => {
                    let (v, after) = split_word(rest);
                    if v.is_empty() {
                        return Err(format!("{name} needs a value"));
                    }
                    rest = after;
                    v
                }
            }
        } else {
            if inline.is_some() {
                return Err(format!("{name} takes no value"));
            }
            ""
        };
        match name {
            "--opcode" => {
                spec.opcode = OpCode::parse(value).ok_or_else(|| {
                    format!(
                        "--opcode {}: expected text, binary, close, ping, pong, continuation or a number 0-15",
                        quote(value)
                    )
                })?;
            }
            "--no-fin" => spec.fin = false,
            "--rsv" => {
                for n in value.split(',') {
                    match n {
                        "1" | "2" | "3" => spec.rsv[usize::from(n.as_bytes()[0] - b'1')] = true,
                        _ => return Err(format!("--rsv {}: expected 1, 2 or 3", quote(n))),
                    }
                }
            }
            "--length" => {
                spec.length = Some(value.parse().map_err(|_| {
                    format!(
                        "--length {}: expected a number 0-18446744073709551615",
                        quote(value)
                    )
                })?);
            }
            "--length-form" => {
                spec.form = Some(LengthForm::parse(value).ok_or_else(|| {
                    format!("--length-form {}: expected 7, 16 or 64", quote(value))
                })?);
            }
            "--key" => {
                let key = hex(value, "--key", false)?;
                let key: [u8; 4] = key.as_slice().try_into().map_err(|_| {
                    format!(
                        "--key must be 4 bytes (8 hex digits, e.g. 3d542306); got {}",
                        key.len()
                    )
                })?;
                mask = Some(Mask::Key(key));
            }
            "--masked" => mask = Some(Mask::Random),
            "--unmasked" => mask = Some(Mask::None),
            "--hex" => is_hex = true,
            other => {
                return Err(format!(
                    "unknown option {}: the options are --opcode --no-fin --rsv --length --length-form --key --masked --unmasked --hex, and -- before a payload that starts with --",
                    quote(other)
                ))
            }
        }
    }
    let payload = if is_hex {
        hex(rest, "the payload", true)?
    } else {
        rest.as_bytes().to_vec()
    };
    let mask = mask.unwrap_or(Mask::Default);
    if let Mask::Key(k) = mask {
        spec.mask = Some(k);
    }
    // A spec that no header can carry is refused here, not at sending.
    spec.header(payload.len())
        .map_err(|e| format!("--length-form: {e}"))?;
    Ok(Send::Frame {
        spec,
        mask,
        payload,
    })
}

/// Which end of a relayed connection a proxy command sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    /// The client.
    Client,
    /// The upstream server.
    Server,
}

/// Whose messages the proxy holds: those the client sends, those the
/// server sends, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// From the client.
    Client,
    /// From the server.
    Server,
    /// From either.
    Both,
}

/// Which messages are held: all, those holding a text, or those a regular
/// expression finds something in (written `/.../`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Every data message.
    Any,
    /// Those whose payload holds this text.
    Text(String),
    /// Those where this regular expression matches.
    Regex(String),
}

/// What the proxy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intercept {
    /// Whose messages.
    pub from: Whose,
    /// Which.
    pub pattern: Pattern,
}

/// One line of the proxy's console, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyCommand {
    /// An empty line.
    Nothing,
    /// Send something to one end of a connection (or of all).
    Send(Target, Toward, Send),
    /// List the connections and the held messages.
    List,
    /// Hold matching messages from now on (None: stop, releasing all).
    Intercept(Option<Intercept>),
    /// Let a held message go, drop it, or send another in its place.
    Release(u64, Release),
    /// Show the commands (or one command's usage).
    Help(Option<&'static Usage>),
    /// Stop.
    Quit,
}

/// The proxy console's commands, in the order `/help` lists them.
pub const PROXY_COMMANDS: &[Usage] = &[
    Usage {
        name: "/send",
        args: "ID client|server TEXT",
        what: "a text message to the client or to the server",
    },
    Usage {
        name: "/binary",
        args: "ID client|server HEX",
        what: "a binary message",
    },
    Usage {
        name: "/ping",
        args: "ID client|server [TEXT]",
        what: "a ping",
    },
    Usage {
        name: "/pong",
        args: "ID client|server [TEXT]",
        what: "an unsolicited pong",
    },
    Usage {
        name: "/close",
        args: "ID client|server [CODE [REASON]]",
        what: "a close frame (the other end is not told)",
    },
    Usage {
        name: "/raw",
        args: "ID client|server HEX",
        what: "these bytes as they are, between two frames",
    },
    Usage {
        name: "/frame",
        args: "ID client|server [--opcode OP] [--no-fin] [--rsv N] [--length N] [--length-form 7|16|64] [--key HEX|--masked|--unmasked] [--hex] [--] [PAYLOAD]",
        what: "a hand-built frame (toward the server masked, toward the client not, by default)",
    },
    Usage {
        name: "/intercept",
        args: "[client|server|both] [TEXT|/REGEX/] | off",
        what: "hold the messages from that side (default both) that match (default all); off lets every held one go",
    },
    Usage {
        name: "/forward",
        args: "N",
        what: "let held message N go as it came",
    },
    Usage {
        name: "/drop",
        args: "N",
        what: "never send held message N",
    },
    Usage {
        name: "/edit",
        args: "N TEXT | N --hex HEX",
        what: "send this in place of held message N (framed anew)",
    },
    Usage {
        name: "/list",
        args: "",
        what: "the connections, and the messages held",
    },
    Usage {
        name: "/help",
        args: "[COMMAND]",
        what: "this list, or one command's usage",
    },
    Usage {
        name: "/quit",
        args: "",
        what: "stop the proxy",
    },
];

/// Understands one line of the proxy's console.
pub fn parse_proxy(line: &str) -> Result<ProxyCommand, ConsoleError> {
    let line = line_of(line);
    if line.trim().is_empty() {
        return Ok(ProxyCommand::Nothing);
    }
    if !line.starts_with('/') {
        return Err(ConsoleError {
            message: "a proxy has two ends: say which, as in /send 1 server TEXT (/help lists the commands)".into(),
            usage: None,
        });
    }
    let (word, rest) = split_word(line);
    let usage = find_usage(word, PROXY_COMMANDS, "")?;
    let fail = |message: String| ConsoleError {
        message,
        usage: Some(
            format!("{} {}", usage.name, usage.args)
                .trim_end()
                .to_string(),
        ),
    };
    match usage.name {
        "/list" => no_args(usage, rest)
            .map(|()| ProxyCommand::List)
            .map_err(fail),
        "/quit" => no_args(usage, rest)
            .map(|()| ProxyCommand::Quit)
            .map_err(fail),
        "/help" => help_topic(rest, PROXY_COMMANDS)
            .map(ProxyCommand::Help)
            .map_err(fail),
        "/intercept" => intercept(rest).map(ProxyCommand::Intercept).map_err(fail),
        "/forward" | "/drop" | "/edit" => {
            let (n, rest) = split_word(rest);
            let digits = n
                .strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .unwrap_or(n);
            let n = digits
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0 && digits.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    fail(format!(
                        "{} is not a held message's number: expected it as /list shows it (1 or [1])",
                        quote(n)
                    ))
                })?;
            let how = match usage.name {
                "/forward" | "/drop" if !rest.trim().is_empty() => {
                    return Err(fail(format!(
                        "{} takes only a number, got {} after it",
                        usage.name,
                        quote(rest.trim())
                    )))
                }
                "/forward" => Release::Forward,
                "/drop" => Release::Drop,
                _ => match rest.strip_prefix("--hex") {
                    Some(h) if h.is_empty() || h.starts_with(' ') => {
                        Release::Edit(hex(h, "HEX", true).map_err(fail)?)
                    }
                    _ => Release::Edit(rest.as_bytes().to_vec()),
                },
            };
            Ok(ProxyCommand::Release(n, how))
        }
        name => {
            let (id, rest) = split_word(rest);
            if id.is_empty() {
                return Err(fail(format!(
                    "{name} needs a connection id (1 or #1) or all, then client or server"
                )));
            }
            let target = parse_target(id).map_err(fail)?;
            let (side, rest) = split_word(rest);
            let toward = match side {
                "client" => Toward::Client,
                "server" => Toward::Server,
                other => {
                    return Err(fail(format!(
                        "{} is not an end: expected client or server",
                        quote(other)
                    )))
                }
            };
            Ok(ProxyCommand::Send(
                target,
                toward,
                send_of(name, rest).map_err(fail)?,
            ))
        }
    }
}

/// `/intercept`'s arguments (also `--intercept-messages`): None for off.
pub fn intercept(rest: &str) -> Result<Option<Intercept>, String> {
    let rest = rest.trim();
    if rest == "off" {
        return Ok(None);
    }
    let (word, after) = split_word(rest);
    let (from, pattern) = match word {
        "client" => (Whose::Client, after),
        "server" => (Whose::Server, after),
        "both" => (Whose::Both, after),
        _ => (Whose::Both, rest),
    };
    let pattern = pattern.trim();
    let pattern = if pattern.is_empty() {
        Pattern::Any
    } else if pattern.len() >= 2 && pattern.starts_with('/') && pattern.ends_with('/') {
        Pattern::Regex(pattern[1..pattern.len() - 1].to_string())
    } else {
        Pattern::Text(pattern.to_string())
    };
    Ok(Some(Intercept { from, pattern }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_commands_name_a_connection_and_an_end() {
        let p = |l: &str| parse_proxy(l).unwrap_or_else(|e| panic!("{l:?}: {e}"));
        assert_eq!(
            p("/send 2 server hi there"),
            ProxyCommand::Send(Target::Id(2), Toward::Server, Send::Text("hi there".into()))
        );
        assert_eq!(
            p("/ping all client"),
            ProxyCommand::Send(Target::All, Toward::Client, Send::Ping(Vec::new()))
        );
        assert_eq!(
            p("/close #1 client 4000 bye"),
            ProxyCommand::Send(
                Target::Id(1),
                Toward::Client,
                Send::Close(Some((4000, "bye".into())))
            )
        );
        assert_eq!(
            p("/intercept"),
            ProxyCommand::Intercept(Some(Intercept {
                from: Whose::Both,
                pattern: Pattern::Any
            }))
        );
        assert_eq!(
            p("/intercept server /^x+$/"),
            ProxyCommand::Intercept(Some(Intercept {
                from: Whose::Server,
                pattern: Pattern::Regex("^x+$".into())
            }))
        );
        assert_eq!(
            p("/intercept some text"),
            ProxyCommand::Intercept(Some(Intercept {
                from: Whose::Both,
                pattern: Pattern::Text("some text".into())
            }))
        );
        assert_eq!(p("/intercept off"), ProxyCommand::Intercept(None));
        assert_eq!(
            p("/forward [3]"),
            ProxyCommand::Release(3, Release::Forward)
        );
        assert_eq!(p("/drop 3"), ProxyCommand::Release(3, Release::Drop));
        assert_eq!(
            p("/edit 3 new text"),
            ProxyCommand::Release(3, Release::Edit(b"new text".to_vec()))
        );
        assert_eq!(
            p("/edit 3 --hex 01 ff"),
            ProxyCommand::Release(3, Release::Edit(vec![1, 0xff]))
        );
    }

    #[test]
    fn bad_proxy_commands_say_what_is_wrong() {
        let e = |l: &str| match parse_proxy(l) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("{l:?} parsed as {c:?}"),
        };
        assert!(e("hello").contains("say which"), "{}", e("hello"));
        assert!(e("/send 1 middle hi").contains("\"middle\" is not an end"));
        assert!(e("/send").contains("needs a connection id"));
        assert!(e("/forward x").contains("not a held message's number"));
        assert!(e("/drop 1 now").contains("takes only a number"));
        assert!(e("/edit 1 --hex zz").contains("not hex"));
        assert!(e("/nope").contains("unknown command"));
        // Each error carries the usage of its command.
        assert!(e("/send 1 middle hi").contains("(usage: /send ID client|server TEXT)"));
    }

    fn ok(line: &str) -> Command {
        parse(line, true).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    fn err(line: &str) -> String {
        match parse(line, true) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("{line:?} parsed as {c:?}"),
        }
    }

    #[test]
    fn plain_lines_are_text_to_everyone() {
        assert_eq!(
            ok("hello  there "),
            Command::Send(Target::All, Send::Text("hello  there ".into()))
        );
        assert_eq!(
            ok("//send is text\r\n"),
            Command::Send(Target::All, Send::Text("/send is text".into()))
        );
        assert_eq!(ok("   "), Command::Nothing);
        assert_eq!(ok(""), Command::Nothing);
    }

    #[test]
    fn ids_are_numbers_as_shown_or_all() {
        assert_eq!(
            ok("/send 1 hi"),
            Command::Send(Target::Id(1), Send::Text("hi".into()))
        );
        assert_eq!(
            ok("/send #12  two  spaces"),
            Command::Send(Target::Id(12), Send::Text(" two  spaces".into()))
        );
        assert_eq!(
            ok("/send ALL x"),
            Command::Send(Target::All, Send::Text("x".into()))
        );
        assert!(err("/send x hi").contains("\"x\" is not a client id"));
        assert!(err("/send 0 hi").contains("is not a client id"));
        assert!(err("/send +1 hi").contains("is not a client id"));
        let e = err("/send");
        assert!(e.contains("/send needs a client id"), "{e}");
        assert!(e.contains("(usage: /send ID TEXT)"), "{e}");
    }

    #[test]
    fn without_ids_everything_goes_to_the_one_peer() {
        assert_eq!(
            parse("/ping 1", false).unwrap(),
            Command::Send(Target::All, Send::Ping(b"1".to_vec()))
        );
        assert_eq!(COMMANDS[0].line(false), "/send TEXT");
        assert_eq!(COMMANDS[0].line(true), "/send ID TEXT");
        assert_eq!(COMMANDS[7].line(true), "/list");
    }

    #[test]
    fn binary_and_raw_read_hex_in_any_spelling() {
        for spelling in [
            "de ad be ef",
            "0xde,0xad,0xbe,0xef",
            "\\xde\\xad\\xbe\\xef",
            "DEADBEEF",
        ] {
            assert_eq!(
                ok(&format!("/binary 1 {spelling}")),
                Command::Send(Target::Id(1), Send::Binary(vec![0xde, 0xad, 0xbe, 0xef])),
                "{spelling}"
            );
        }
        assert_eq!(
            ok("/binary all"),
            Command::Send(Target::All, Send::Binary(Vec::new()))
        );
        assert_eq!(
            ok("/raw 2 81 02 68 69"),
            Command::Send(Target::Id(2), Send::Raw(vec![0x81, 2, b'h', b'i']))
        );
        assert!(err("/raw 2").contains("HEX is missing"));
        let e = err("/binary 1 de zz");
        assert!(e.starts_with("HEX is not hex: column 4:"), "{e}");
        assert!(e.ends_with("(usage: /binary ID HEX)"), "{e}");
    }

    #[test]
    fn control_frames_and_close() {
        assert_eq!(
            ok("/ping 3"),
            Command::Send(Target::Id(3), Send::Ping(Vec::new()))
        );
        assert_eq!(
            ok("/pong 3 a b"),
            Command::Send(Target::Id(3), Send::Pong(b"a b".to_vec()))
        );
        // RFC 6455 §5.5: a control frame's payload is 125 bytes at most.
        let most = "x".repeat(125);
        assert_eq!(
            ok(&format!("/ping 1 {most}")),
            Command::Send(Target::Id(1), Send::Ping(most.into_bytes()))
        );
        let long = "x".repeat(126);
        assert!(err(&format!("/ping 1 {long}")).contains("at most 125 bytes, this one 126"));
        assert_eq!(
            ok("/close 1"),
            Command::Send(Target::Id(1), Send::Close(None))
        );
        assert_eq!(
            ok("/close 1 4000 bye now"),
            Command::Send(Target::Id(1), Send::Close(Some((4000, "bye now".into()))))
        );
        // Codes a peer must reject can be sent on purpose.
        assert_eq!(
            ok("/close 1 1005"),
            Command::Send(Target::Id(1), Send::Close(Some((1005, String::new()))))
        );
        assert!(err("/close 1 abc").contains("\"abc\" is not a close code"));
        assert!(err("/close 1 70000").contains("is not a close code"));
        // The code's two bytes and a reason of 123 fill a control frame.
        let reason = "r".repeat(123);
        assert_eq!(
            ok(&format!("/close 1 1000 {reason}")),
            Command::Send(Target::Id(1), Send::Close(Some((1000, reason))))
        );
        assert!(err(&format!("/close 1 1000 {}", "r".repeat(124))).contains("123 bytes"));
    }

    #[test]
    fn frames_default_to_what_a_server_sends() {
        assert_eq!(
            ok("/frame 1 hi there"),
            Command::Send(
                Target::Id(1),
                Send::Frame {
                    spec: FrameSpec::new(OpCode::Text, None),
                    mask: Mask::Default,
                    payload: b"hi there".to_vec()
                }
            )
        );
    }

    #[test]
    fn frames_take_every_bit() {
        let c = ok("/frame all --opcode ping --no-fin --rsv 1,3 --length=300 --length-form 64 --key 3d542306 --hex 01 02");
        let Command::Send(
            Target::All,
            Send::Frame {
                spec,
                mask,
                payload,
            },
        ) = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(payload, [1, 2]);
        assert_eq!(mask, Mask::Key([0x3d, 0x54, 0x23, 0x06]));
        let h = spec.header(payload.len()).unwrap();
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(
            out,
            [0x59, 0xff, 0, 0, 0, 0, 0, 0, 1, 0x2c, 0x3d, 0x54, 0x23, 0x06]
        );
        let c = ok("/frame 1 --masked --opcode 11 -- --not an option");
        let Command::Send(
            _,
            Send::Frame {
                spec,
                mask,
                payload,
            },
        ) = c
        else {
            panic!("{c:?}")
        };
        assert_eq!((spec.opcode.bits(), mask), (11, Mask::Random));
        assert_eq!(payload, b"--not an option");
    }

    #[test]
    fn bad_frames_say_which_option() {
        assert!(err("/frame 1 --opcode 16 x").contains("--opcode \"16\": expected"));
        assert!(err("/frame 1 --rsv 4 x").contains("--rsv \"4\": expected 1, 2 or 3"));
        assert!(err("/frame 1 --length -1 x").contains("--length \"-1\""));
        assert!(err("/frame 1 --length-form 8").contains("expected 7, 16 or 64"));
        assert!(err("/frame 1 --key 0102").contains("--key must be 4 bytes"));
        assert!(err("/frame 1 --fin x").contains("unknown option \"--fin\""));
        assert!(err("/frame 1 --opcode").contains("--opcode needs a value"));
        assert!(err("/frame 1 --masked=1").contains("--masked takes no value"));
        assert!(
            err("/frame 1 --length 200 --length-form 7").contains("7-bit length holds at most 125")
        );
    }

    #[test]
    fn other_commands() {
        assert_eq!(ok("/list"), Command::List);
        assert_eq!(ok("/quit "), Command::Quit);
        assert_eq!(ok("/help"), Command::Help(None));
        assert_eq!(ok("/help raw"), Command::Help(Some(&COMMANDS[5])));
        assert_eq!(ok("/help /raw"), Command::Help(Some(&COMMANDS[5])));
        assert!(err("/help nope").contains("no command \"nope\""));
        assert!(err("/list 1").contains("/list takes no arguments"));
        let e = err("/sned 1 hi");
        assert!(
            e.starts_with("unknown command \"/sned\": the commands are /send /binary"),
            "{e}"
        );
        // Terminal controls in a bad command are never echoed raw.
        assert!(!err("/\u{1b}[2J").contains('\u{1b}'));
    }
}
