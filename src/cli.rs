//! Command-line definitions. The same definitions generate the shell
//! completions in `completions/` and the man pages in `man/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Debug and inspect WebSocket (RFC 6455) traffic.
#[derive(Debug, Parser)]
#[command(
    name = "wsdbg",
    version,
    long_version = env!("WSDBG_LONG_VERSION"),
    about = "Debug and inspect WebSocket (RFC 6455) traffic",
    long_about = "Debug and inspect WebSocket (RFC 6455) traffic: run a conformant server that \
                  shows every handshake header and frame bit a client sends, annotate every bit \
                  of a frame dump, compute and check Sec-WebSocket-Accept, mask and build frames.",
    after_help = "Examples:\n  \
      wsdbg decode \"81 83 3d 54 23 06 70 10 6d\"\n  \
      wsdbg decode --dec \"129 131 61 84 35 6 112 16 109\"\n  \
      wsdbg accept-key dGhlIHNhbXBsZSBub25jZQ==\n  \
      wsdbg mask --key 3d542306 MDN\n  \
      wsdbg serve --trace\n\n\
      Exit status: 0 all well; 1 the input breaks RFC 6455 or a check failed; 2 usage error or unreadable input."
)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute (or check) Sec-WebSocket-Accept for a Sec-WebSocket-Key
    #[command(after_help = "Examples:\n  \
        wsdbg accept-key dGhlIHNhbXBsZSBub25jZQ==        # prints s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n  \
        wsdbg accept-key -v dGhlIHNhbXBsZQ==              # the four steps of MDN's guide\n  \
        wsdbg accept-key KEY --expect ACCEPT              # exit 1 when they do not match\n  \
        echo KEY | wsdbg accept-key -\n  \
        wsdbg accept-key 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='  # the header line, pasted\n  \
        wsdbg accept-key - < request.txt                  # the key of a whole request\n  \
        wsdbg accept-key --generate                       # a fresh random key\n  \
        wsdbg accept-key --generate -v                    # and its accept value\n\n\
        A key that is not base64 of 16 bytes (RFC 6455 §4.1) still gets its accept value, \
        with a warning on stderr.\n\n\
        Exit status: 0 printed (and matched); 1 --expect does not match; 2 usage error or \
        unreadable input.")]
    AcceptKey(AcceptKeyArgs),

    /// Annotate every frame in a dump: bit fields, lengths, masking, payload, violations
    #[command(after_help = "Examples:\n  \
        wsdbg decode \"81 83 3d 54 23 06 70 10 6d\"\n  \
        wsdbg decode --dec \"129 131 61 84 35 6 112 16 109\"\n  \
        wsdbg decode --explain 0x81,0x83,0x3d,0x54,0x23,0x06,0x70,0x10,0x6d\n  \
        xxd capture.bin | wsdbg decode\n  \
        hexdump -C -s 64 capture.bin | wsdbg decode      # a dump from offset 0x40 on\n  \
        xxd -i frame.bin | wsdbg decode                  # a C array; its _len is checked\n  \
        wsdbg decode \"new byte[]{(byte)0x81, -125, 61, 84, 35, 6, 112, 16, 109}\"\n  \
        wsdbg decode --raw --file frames.bin --from server --json\n  \
        wsdbg decode capture.pcapng                      # every WebSocket connection in a capture\n  \
        tcpdump -w - -U port 8080 | wsdbg decode --port 8080 --conn 1\n  \
        tcpdump -r capture.pcap -X | wsdbg decode          # packets as tcpdump or tshark -x print them\n  \
        wsdbg decode --brief --only violations capture.pcapng   # a line per broken frame\n\n\
        Hex may be spelled 81 83, 8183, 0x81,0x83, \\x81\\x83, 81:83, or be xxd / hexdump -C / od / \
        Wireshark output with offsets and ASCII columns, also from an offset other than 0; \
        base64 is recognised too. Code is read as its language reads it: C arrays (xxd -i), C \
        strings, Go []byte{...}, Rust vec![...] and b\"...\", Python b'...', bytearray(...) and \
        bytes.fromhex(...), Node Buffer.from(...), Java and C# byte arrays (negative values are \
        signed bytes), and consoles' (9) [129, ...]. A count, declared size or length that does \
        not match the values is refused, never read as a byte. An HTTP upgrade request or \
        response at the start is annotated and checked.\n\n\
        A pcap or pcapng capture (a path, --file or stdin; told by its first bytes) is read as \
        TCP: each connection that starts with a WebSocket upgrade (or, with --port, every \
        connection to that port) is reassembled and both sides decoded in time order, each \
        block marked with its connection (#1) and side. Bytes the capture lacks are said as a \
        gap of their size, never made up. Link types: Ethernet, Linux cooked (v1, v2), \
        loopback, raw IP; IPv4 and IPv6. Whole packets pasted as text (tshark -x, tcpdump -x, \
        -xx or -X, or one packet in any hex spelling) are read the same way: their link, IP and \
        TCP headers are skipped, never decoded as frames.\n\n\
        Exit status: 0 conforms; 1 breaks RFC 6455 (or is truncated); 2 not a dump.")]
    Decode(DecodeArgs),

    /// XOR-mask or unmask a payload with a 4-byte key, or build a whole frame
    #[command(after_help = "Examples:\n  \
        wsdbg mask --key 3d542306 MDN                   # 70 10 6d\n  \
        wsdbg mask --key 3d542306 --hex \"70 10 6d\"      # MDN\n  \
        wsdbg mask --frame --key 3d542306 MDN           # 81 83 3d 54 23 06 70 10 6d\n  \
        wsdbg mask --frame --opcode ping --unmasked hi | wsdbg decode\n  \
        wsdbg mask --key 3d542306 < in.bin > out.bin    # streams any size\n\n\
        D[i] = E[i] ^ M[i mod 4]: masking and unmasking are the same operation.\n\n\
        Exit status: 0 done; 2 a bad key, bad hex, a frame no header can carry, or unreadable \
        input.")]
    Mask(MaskArgs),

    /// Run a conformant WebSocket server that shows every handshake and frame it sees
    #[command(after_help = "Examples:\n  \
        wsdbg serve                                   # ws://127.0.0.1:8080/, echo\n  \
        wsdbg serve --trace                           # every header, the accept-key steps, every frame bit\n  \
        wsdbg serve --mode broadcast --timestamps     # each message to every client\n  \
        wsdbg serve --json > events.jsonl             # JSON Lines, the envelope of decode --json\n  \
        wsdbg serve --record session.pcapng           # keep every connection's bytes (wsdbg decode, Wireshark)\n  \
        wsdbg serve --listen 0.0.0.0:9001 --origin https://app.example --protocol chat\n  \
        wsdbg serve --check                           # check each client: open http://127.0.0.1:8080/?check\n\n\
        Point a client at ws://127.0.0.1:8080/ (any path). A client that breaks RFC 6455 is closed \
        with 1002 (1007 for bad UTF-8, 1009 for too big) and a reason naming the rule, and the \
        offending frame is shown annotated. Everything a client sends is printed escaped.\n\n\
        Console: on a terminal, a prompt (history, Tab completes commands and client ids) with \
        events printed above it; piped into stdin, one command per line (the end of input leaves \
        the server running). A line without / is a text message to every client. ID is 1 or #1 \
        (as shown) or all:\n  \
        /send ID TEXT   /binary ID HEX   /ping ID [TEXT]   /pong ID [TEXT]\n  \
        /close ID [CODE [REASON]]   /raw ID HEX (bytes as they are)   /list   /help   /quit\n  \
        /frame ID [--opcode OP] [--no-fin] [--rsv N] [--length N] [--length-form 7|16|64]\n         \
        [--key HEX|--masked|--unmasked] [--hex] [--] [PAYLOAD]   (a hand-built frame)\n\n\
        Scripted (clients connected within 5 s get a frame with RSV1 set):\n  \
        { sleep 5; echo '/frame all --rsv 1 broken'; } | wsdbg serve --trace\n\n\
        Ctrl-C (or /quit, or Ctrl-D at the prompt) closes every client with 1001 (Going Away), \
        waits up to 2 s, and exits 0.\n\n\
        --check turns the server into a checker of its clients: each connection gets the next \
        case of the client battery (C.*: masking, pongs, the close handshake, failing on bad \
        UTF-8, reserved bits and opcodes, masked or oversized frames), a client being known by \
        its address and User-Agent; a client reconnects until it is closed with 4000, then its \
        summary is printed (and with --report, DIR/client-N.html). The test page does so at /?check.\n\n\
        Exit status: 0 stopped (Ctrl-C, SIGTERM, /quit), with --check: and no client FAILED a \
        case; 1 with --check, a client FAILED a case; 2 it cannot listen, or an option is wrong.")]
    Serve(ServeArgs),

    /// Connect to a WebSocket server and show everything both ways; stdin lines are messages and commands
    #[command(after_help = "Examples:\n  \
        wsdbg connect ws://127.0.0.1:8080/chat              # type lines; each is a text message\n  \
        wsdbg connect --trace ws://127.0.0.1:8080/          # the request, the accept check, every frame\n  \
        echo hello | wsdbg connect ws://127.0.0.1:8080/     # send, close with 1000 at the end of input\n  \
        wsdbg connect -H 'Authorization: Bearer T' --protocol chat ws://host/\n  \
        wsdbg connect --record mine.pcapng ws://127.0.0.1:8080/  # keep the bytes both ways\n\n\
        Console (one command per line, as serve's without the ID): a line is a text message; \
        /binary HEX, /ping [TEXT], /pong [TEXT], /close [CODE [REASON]], /raw HEX, \
        /frame [--opcode OP] [--no-fin] [--rsv N] [--length N] [--length-form 7|16|64] \
        [--key HEX|--masked|--unmasked] [--hex] [--] [PAYLOAD] (masked by default, as a client \
        must), /help, /quit. At the end of input the connection is closed with 1000 and the \
        server's close awaited (--close-timeout).\n\n\
        Exit status: 0 the connection ended; 1 the server refused the upgrade (its answer is \
        shown) or broke RFC 6455 (the violation is shown, the connection failed with its close \
        code); 2 a bad URL, a name that does not resolve, a connection refused or timed out.")]
    Connect(ConnectArgs),

    /// Relay WebSocket clients to a server, showing the traffic both ways as it passes
    #[command(after_help = "Examples:\n  \
        wsdbg proxy ws://127.0.0.1:9001/                  # clients connect to ws://127.0.0.1:8081/...\n  \
        wsdbg proxy --trace --listen 127.0.0.1:7000 wss://echo.example/base\n  \
        wsdbg proxy --record both.pcapng ws://127.0.0.1:9001/  # both legs of every connection, as pcapng\n  \
        wsdbg proxy --forward                             # an HTTP proxy on 127.0.0.1:8888\n  \
        HTTPS_PROXY=http://127.0.0.1:8888 SSL_CERT_FILE=$(wsdbg ca --path) python3 app.py\n  \
        chromium --proxy-server=http://127.0.0.1:8888 \\\n      \
        --ignore-certificate-errors-spki-list=$(wsdbg ca --spki)\n  \
        wsdbg proxy --forward --intercept '*.example.com' # decrypt only these; tunnel the rest\n\n\
        Each client's upgrade request goes upstream with Host set for the upstream and the client's \
        path appended to the URL's path; the upstream's answer comes back as it is (101, or a \
        refusal with its body). Then frames pass both ways byte for byte as they arrive: no \
        re-framing, no repair, so a broken frame reaches the other side as it was sent and you see \
        what each side does about it. Both legs' handshakes and every frame are decoded and shown \
        (inflated when permessage-deflate was negotiated). An unreachable upstream gets the client \
        a 502 that says why.\n\n\
        The console (a prompt on a terminal, or one command per line on stdin; --no-console) \
        sends frames to either end (/send ID client|server TEXT, ...) and holds messages \
        (/intercept, or --intercept-messages from the start) until they are let go, dropped or \
        edited (/forward N, /drop N, /edit N TEXT); only what it changes is framed anew. /help \
        lists the commands.\n\n\
        With --forward, wsdbg is an HTTP/1.1 proxy that browsers, HTTPS_PROXY and libraries' proxy \
        options point at. A CONNECT is answered, TLS inside it is ended with a certificate for the \
        host signed by wsdbg's local CA (`wsdbg ca` says how to trust it), and the upstream is \
        reached with its certificate checked (--cacert, --insecure). Absolute URLs \
        (GET http://host/path) are taken for plain ws://. WebSocket upgrades are traced as above, \
        named by host; other requests pass through untouched, one line each. CONNECTs to hosts \
        outside --intercept are tunnelled without being decrypted.\n\n\
        Exit status: 0 stopped (Ctrl-C or SIGTERM); 2 a bad URL or certificate file, or it cannot \
        listen.")]
    Proxy(ProxyArgs),

    /// Check a WebSocket server against RFC 6455, case by case (Autobahn's cases and more), and say which rules it breaks
    #[command(after_help = "Examples:\n  \
        wsdbg check ws://127.0.0.1:9001/                  # every case; a line each, a summary by group\n  \
        wsdbg check --cases '5.*,6.4.*' ws://host:9001/   # some cases (Autobahn's numbering)\n  \
        wsdbg check -v --cases 3.1 ws://host:9001/        # with every frame of the case annotated\n  \
        wsdbg check --report report/ ws://host:9001/      # and report/index.html to share\n  \
        wsdbg check --json ws://host:9001/ | jq 'select(.type == \"case\")'\n  \
        wsdbg check --list                                # the cases, without running them\n\n\
        The server must echo what it receives (as Autobahn's fuzzingclient asks): every case \
        runs on a fresh connection, sends frames as its table says (any bits, split and timed \
        as the case says), and judges what comes back and how the connection ends. Groups: H \
        the opening handshake; 1-10 Autobahn's framing, pings, reserved bits, opcodes, \
        fragmentation, UTF-8, close handling, limits and auto-fragmentation; S slow and split \
        writes; 12-13 permessage-deflate, run when the server accepts it.\n\n\
        Verdicts: OK; NON-STRICT (allowed, not what the RFC recommends); FAILED (a MUST \
        broken); INFORMATIONAL (the RFC leaves it open); UNIMPLEMENTED (an optional feature \
        the server lacks).\n\n\
        Exit status: 0 no case FAILED; 1 a case FAILED; 2 the server could not be reached \
        (refused, TLS, the upgrade refused: said why) or a bad option.")]
    Check(CheckArgs),

    /// Play a recorded connection again, to its server (--to) or to its client (--serve), and compare the answers with the recording's
    #[command(after_help = "Examples:\n  \
        wsdbg proxy --record bug.pcapng ws://127.0.0.1:9001/   # record the session that fails\n  \
        wsdbg replay bug.pcapng                               # the connections it holds\n  \
        wsdbg replay bug.pcapng --conn 2 --to ws://127.0.0.1:9001/chat\n  \
        wsdbg replay bug.pcapng --to ws://127.0.0.1:9001 --ignore '$.id' --ignore '$..timestamp'\n  \
        wsdbg replay bug.pcapng --to ws://host/ -H 'Authorization: Bearer NEW' --timing original\n  \
        wsdbg replay bug.pcapng --serve --listen 127.0.0.1:9001  # a mock server made from it\n  \
        wsdbg replay app.pcap --to ws://127.0.0.1:8080/ --json   # a tcpdump -w of the real app\n\n\
        FILE is a recording made with --record, or any pcap or pcapng capture decode reads. \
        --to plays the client's side: its request headers (a fresh key; -H changes or adds one, \
        'Name:' removes it), its subprotocol and extension offer, then its frames in order as \
        they were (fragments, pings and closes, bits and all; masked anew; a compressed message \
        is compressed anew with what the new server agrees). A URL without a path takes the \
        recorded one. --serve plays the server's side to a client that connects: the recorded \
        answer's headers (with the accept value for the new key), then its frames.\n\n\
        Pacing (--timing): answers (the default) sends each frame once the other side has sent as \
        many messages as it had before that frame in the recording, or --wait seconds passed; \
        original keeps the recorded gaps; fast sends as fast as the peer takes them. Pongs are \
        not replayed: the endpoint answers pings itself.\n\n\
        The answers (data messages, inflated, and the close frame) are aligned with the recorded \
        ones and each named equal, different (text as a line diff, JSON as the paths whose values \
        differ, binary as the bytes around the first difference), missing or extra. --ignore \
        takes out what changes legitimately: a regex over text messages, or a JSON path ($.id, \
        $..timestamp, $.items[*].at).\n\n\
        Exit status: 0 every answer matches (or the list was shown); 1 they differ, or the \
        upgrade was refused; 2 not a capture, a truncated one, no such connection, a server \
        that cannot be reached, a bad option.")]
    Replay(ReplayArgs),

    /// Show wsdbg's local certificate authority, and how to trust it
    #[command(after_help = "Examples:\n  \
        wsdbg ca                  # where it is, its PEM, its SPKI hash, how each client trusts it\n  \
        wsdbg ca --path           # the certificate's path alone (for --cacert, NODE_EXTRA_CA_CERTS)\n  \
        chromium --ignore-certificate-errors-spki-list=$(wsdbg ca --spki) https://localhost:8080/\n  \
        wsdbg ca --regenerate     # a new key and certificate replace the old ones\n\n\
        The CA is made on first use (here or by serve --tls without --cert) in \
        $XDG_DATA_HOME/wsdbg/ (else ~/.local/share/wsdbg/): ca.pem, and ca-key.pem readable by you \
        alone. It signs the certificates serve --tls makes for localhost, 127.0.0.1, ::1 and the \
        names given with --tls-name. Trust it only on machines you control: anyone with its key \
        can impersonate any site to whatever trusts it. README.md, \"The local CA\", says how to \
        remove it.\n\n\
        Exit status: 0 shown; 2 it could not be read or made (said why).")]
    Ca(CaArgs),
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The server's URL: ws://HOST:PORT/PATH or wss://... (an echo endpoint)
    #[arg(value_name = "URL", required_unless_present = "list")]
    pub url: Option<String>,

    /// Which cases: ids or patterns, comma-separated, Autobahn's spelling (5.*,6.4.*,H.2)
    #[arg(long, value_name = "PATTERNS")]
    pub cases: Option<String>,

    /// Show every head and frame of each case, annotated, both ways
    #[arg(short, long)]
    pub verbose: bool,

    /// Write results as JSON Lines (the envelope of decode --json)
    #[arg(long)]
    pub json: bool,

    /// Also write DIR/index.html: one self-contained page, each case expandable to its frames
    #[arg(long, value_name = "DIR")]
    pub report: Option<std::path::PathBuf>,

    /// Seconds to wait for what the server should do (an echo, a close) before giving up on it
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub case_timeout: f64,

    /// List the cases (id and title) without running them
    #[arg(long)]
    pub list: bool,

    /// Messages in each round-trip case (9.7, 9.8, 12.*, 13.*; Autobahn sends 1000): fewer for a quick run
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub messages: u32,

    /// How many cases run at once, each on its own connection (1: one after another)
    #[arg(short, long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// An extra request header on every connection (repeatable), e.g. -H 'Cookie: a=b'
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,

    /// wss://: trust the CA certificates in this PEM file too (besides the system's)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,

    /// wss://: do not check the server's certificate at all
    #[arg(long)]
    pub insecure: bool,
}

/// Arguments of `accept-key`.
#[derive(Debug, Args)]
pub struct AcceptKeyArgs {
    /// The Sec-WebSocket-Key value, its header line pasted whole, or - to read either (or a
    /// whole request) from stdin
    #[arg(value_name = "KEY", required_unless_present = "generate")]
    pub key: Option<String>,

    /// Show the four steps with every intermediate value
    #[arg(short, long)]
    pub verbose: bool,

    /// Check that KEY gives this Sec-WebSocket-Accept (exit 1 if not)
    #[arg(long, value_name = "ACCEPT")]
    pub expect: Option<String>,

    /// Print a fresh random key (base64 of 16 random bytes) instead; with -v, its accept value
    /// too, step by step
    #[arg(long, conflicts_with_all = ["key", "expect"])]
    pub generate: bool,
}

/// What `--only` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    /// What the client sent
    Client,
    /// What the server sent
    Server,
    /// Text messages
    Text,
    /// Binary messages
    Binary,
    /// Control frames (close, ping, pong)
    Control,
    /// Frames, heads and messages that break RFC 6455 or the payload view's protocol
    Violations,
}

/// A `--grep` pattern, compiled (the error says where it is wrong).
fn grep_pattern(s: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(s).map_err(|e| format!("not a regular expression: {e}"))
}

/// The command line, with `--timestamps clock|delta` written as
/// `--timestamps=clock|delta`. The value is optional, so clap takes it only
/// after `=` (else `connect --timestamps ws://...` would take the URL for
/// it); a value it names is joined here, so that both spellings work.
pub fn args(raw: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out: Vec<std::ffi::OsString> = Vec::new();
    let mut rest = false;
    for a in raw {
        let joins = !rest
            && (a == "clock" || a == "delta")
            && out.last().is_some_and(|l| l == "--timestamps");
        rest |= a == "--";
        match out.last_mut() {
            Some(last) if joins => last.push(format!("={}", a.to_string_lossy())),
            _ => out.push(a),
        }
    }
    out
}

/// What `--timestamps` prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stamps {
    /// The time of day (UTC)
    Clock,
    /// Before each message, the time since the connection's previous one
    Delta,
}

/// How payloads are read (`--payload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Payload {
    /// From the agreed subprotocol, else from the first message (said once per connection)
    #[default]
    Auto,
    /// As bytes or text only
    Raw,
    /// JSON, laid out
    Json,
    /// Engine.IO v4 and Socket.IO v5
    Socketio,
    /// GraphQL over WebSocket (graphql-transport-ws, subscriptions-transport-ws)
    Graphql,
    /// STOMP 1.0-1.2
    Stomp,
    /// MQTT 3.1.1 and 5.0
    Mqtt,
    /// JSON-RPC 2.0
    Jsonrpc,
    /// MessagePack
    Msgpack,
    /// CBOR
    Cbor,
}

impl Payload {
    /// The view asked for; None for auto.
    pub fn asked(self) -> Option<crate::protocol::payload::View> {
        use crate::protocol::payload::View;
        Some(match self {
            Payload::Auto => return None,
            Payload::Raw => View::Raw,
            Payload::Json => View::Json,
            Payload::Socketio => View::SocketIo,
            Payload::Graphql => View::GraphQl,
            Payload::Stomp => View::Stomp,
            Payload::Mqtt => View::Mqtt,
            Payload::Jsonrpc => View::JsonRpc,
            Payload::Msgpack => View::MsgPack,
            Payload::Cbor => View::Cbor,
        })
    }
}

/// A range of frame indexes: `3..7`, `3..`, `..7`, `5` (both ends included).
fn frame_range(s: &str) -> Result<(u64, u64), String> {
    let num = |t: &str, default: u64| -> Result<u64, String> {
        if t.is_empty() {
            return Ok(default);
        }
        t.parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("'{t}' is not a frame index (1 or more)"))
    };
    let (first, last) = match s.split_once("..") {
        Some((a, b)) => (num(a, 1)?, num(b.trim_start_matches('='), u64::MAX)?),
        None => {
            let n = num(s, 0)?;
            (n, n)
        }
    };
    if first > last {
        return Err(format!(
            "{first}..{last} is empty: the first index comes after the last"
        ));
    }
    Ok((first, last))
}

/// Who sent the frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    /// Frames from a client: each must be masked.
    Client,
    /// Frames from a server: none may be masked.
    Server,
}

/// How a dump is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Hex in any common spelling, or base64 when it cannot be hex.
    Auto,
    /// Hex only.
    Hex,
    /// Decimal bytes, as in MDN's guide.
    Dec,
    /// Base64.
    Base64,
    /// The bytes themselves.
    Raw,
}

/// Arguments of `decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The dump (several arguments are joined with spaces), the path of a pcap or pcapng capture, or - for stdin (the default when no --file is given)
    #[arg(value_name = "DUMP", num_args = 0.., conflicts_with = "file")]
    pub input: Vec<String>,

    /// Read the dump, or a pcap or pcapng capture, from a file (- for stdin)
    #[arg(short, long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// How the dump is spelled
    #[arg(long, value_enum, default_value_t = InputFormat::Auto, value_name = "FORMAT")]
    pub format: InputFormat,

    /// Same as --format dec
    #[arg(long, conflicts_with_all = ["format", "raw", "base64"])]
    pub dec: bool,

    /// Same as --format raw
    #[arg(long, conflicts_with_all = ["format", "base64"])]
    pub raw: bool,

    /// Same as --format base64
    #[arg(long, conflicts_with = "format")]
    pub base64: bool,

    /// Who sent the frames (decides the masking rule); implied by a leading handshake
    #[arg(long, value_enum, value_name = "SIDE")]
    pub from: Option<Side>,

    /// Read RSV1 as permessage-deflate's "compressed" bit and inflate messages (implied when the handshake negotiates it)
    #[arg(long)]
    pub deflate: bool,

    /// One JSON object per line: heads, frames, then a summary
    #[arg(long, conflicts_with = "explain")]
    pub json: bool,

    /// Show the unmasking of each byte (70 ^ 3d = 4d 'M')
    #[arg(long)]
    pub explain: bool,

    /// Show whole payloads (default: the first 64 bytes of each)
    #[arg(long)]
    pub full: bool,

    /// Capture files: take the connections to this port as WebSocket even without their handshake (a capture that starts mid-connection); the side with this source port is the server
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Capture files: show only connection N (ids count from 1 in the order connections are found)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub conn: Option<u64>,

    /// Skip the first N bytes of the dump (headers of a packet that were not recognised, a
    /// prefix of a log line)
    #[arg(long, value_name = "N")]
    pub skip: Option<usize>,

    /// One line per frame (index, side, FIN and RSV, opcode, length, mask, a preview) and per
    /// head, with the violations under it
    #[arg(long, conflicts_with_all = ["json", "explain"])]
    pub brief: bool,

    /// Show only one side, one kind of message, or what breaks a rule (violations: the frames,
    /// heads and views with one); the summary still counts and lists everything
    #[arg(long, value_enum, value_name = "WHAT")]
    pub only: Option<Only>,

    /// Read payloads as an application protocol, shown under each message (after its frames) beside the raw payload
    #[arg(long, value_enum, default_value_t = Payload::Auto, value_name = "VIEW")]
    pub payload: Payload,

    /// Show only the messages (with their frames) whose text or decoded view matches this regular expression; the summary still counts all
    #[arg(long, value_name = "REGEX", value_parser = grep_pattern)]
    pub grep: Option<regex::Regex>,

    /// Show only the frames FIRST..LAST (1-based; each side of a capture counts its own):
    /// 3..7, 3.., ..7 or 5
    #[arg(long, value_name = "RANGE", value_parser = frame_range)]
    pub frames: Option<(u64, u64)>,
}

/// What `mask` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputKind {
    /// Hex for text input; text for hex input when it is readable; raw bytes for stdin to a pipe
    Auto,
    /// Hex pairs separated by spaces
    Hex,
    /// Text, with anything unprintable escaped
    Text,
    /// The bytes themselves
    Raw,
}

/// `--record FILE` (`serve`, `connect`, `proxy`).
#[derive(Debug, Args)]
pub struct Record {
    /// Record every connection's bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
}

/// TLS where wsdbg listens (`serve`, `proxy`).
#[derive(Debug, Args)]
pub struct ListenTls {
    /// Listen with TLS (wss:// and https://): with --cert and --key, or a certificate signed by wsdbg's local CA (see `wsdbg ca`)
    #[arg(long)]
    pub tls: bool,

    /// The certificate chain to present (PEM), with --tls
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<std::path::PathBuf>,

    /// The certificate's private key (PEM), with --tls
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub key: Option<std::path::PathBuf>,

    /// A name (or address) the made certificate is also for, beside localhost, 127.0.0.1 and ::1 (repeatable)
    #[arg(long, value_name = "NAME", requires = "tls", conflicts_with = "cert")]
    pub tls_name: Vec<String>,
}

/// Arguments of `ca`.
#[derive(Debug, Args)]
pub struct CaArgs {
    /// Print the certificate's path only
    #[arg(long, conflicts_with_all = ["pem", "spki"])]
    pub path: bool,

    /// Print the certificate (PEM) only
    #[arg(long, conflicts_with = "spki")]
    pub pem: bool,

    /// Print the SPKI SHA-256 (base64) only, as Chromium's --ignore-certificate-errors-spki-list takes it
    #[arg(long)]
    pub spki: bool,

    /// Make a new CA, replacing the old one (what trusted the old one no longer trusts what wsdbg signs)
    #[arg(long)]
    pub regenerate: bool,
}

/// Arguments of `mask`.
#[derive(Debug, Args)]
pub struct MaskArgs {
    /// The payload as text (or hex with --hex); several arguments are joined with spaces; stdin bytes when absent or -
    #[arg(value_name = "PAYLOAD", num_args = 0..)]
    pub payload: Vec<String>,

    /// The 4-byte masking key as hex (3d542306, "3d 54 23 06", 0x3d542306); random with --frame
    #[arg(short, long, value_name = "HEX", required_unless_present_any = ["frame"])]
    pub key: Option<String>,

    /// The payload (argument or stdin) is a hex dump, not text/bytes
    #[arg(long = "hex")]
    pub hex_input: bool,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = OutputKind::Auto, value_name = "KIND")]
    pub output: OutputKind,

    /// Write a whole frame (header, key, masked payload) instead of the masked bytes
    #[arg(long)]
    pub frame: bool,

    /// Opcode of the frame: text, binary, close, ping, pong, continuation, or 0-15
    #[arg(
        long,
        requires = "frame",
        default_value = "text",
        value_name = "OPCODE",
        value_parser = OpcodeNames
    )]
    pub opcode: String,

    /// Clear FIN (a fragment that more frames continue)
    #[arg(long, requires = "frame")]
    pub no_fin: bool,

    /// No mask, as a server sends
    #[arg(long, requires = "frame", conflicts_with = "key")]
    pub unmasked: bool,

    /// Set a reserved bit: 1, 2 or 3 (repeatable, or comma-separated: --rsv 1,3)
    #[arg(long, requires = "frame", value_delimiter = ',', value_parser = clap::value_parser!(u8).range(1..=3), value_name = "N")]
    pub rsv: Vec<u8>,

    /// The payload length the header claims, whatever the payload's own (a frame that lies)
    #[arg(long, requires = "frame", value_name = "N")]
    pub length: Option<u64>,

    /// Compress the payload with permessage-deflate (RFC 7692) and set RSV1, as a first message with no context
    #[arg(long, requires = "frame")]
    pub deflate: bool,

    /// How the length is written: 7, 16 or 64 bits (default: the shortest that holds it)
    #[arg(long, requires = "frame", value_parser = ["7", "16", "64"], value_name = "BITS")]
    pub length_form: Option<String>,
}

/// What `serve` does with the messages it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServeMode {
    /// Send each message back to its sender, with its type
    Echo,
    /// Send each message to every connected client
    Broadcast,
    /// Send nothing but protocol replies (pong, close)
    Silent,
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one; the address is printed on stderr)
    #[arg(short, long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,

    /// What to do with received messages
    #[arg(short, long, value_enum, default_value_t = ServeMode::Echo, value_name = "MODE")]
    pub mode: ServeMode,

    /// How events are shown.
    #[command(flatten)]
    pub output: LiveOutput,

    /// A subprotocol to accept when the client offers it (repeatable; the first one offered in this order wins)
    #[arg(long = "protocol", value_name = "NAME")]
    pub protocols: Vec<String>,

    /// Accept only these Origin values (repeatable; others get 403); default: any
    #[arg(long = "origin", value_name = "ORIGIN")]
    pub origins: Vec<String>,

    /// Largest message accepted (close 1009 beyond); a number with an optional K, M or G (KiB, MiB, GiB)
    #[arg(long, default_value = "16M", value_parser = parse_size, value_name = "SIZE")]
    pub max_message: u64,

    /// Largest frame payload accepted (close 1009 beyond); default: --max-message
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub max_frame: Option<u64>,

    /// Largest handshake request head (431 beyond)
    #[arg(long, default_value = "16K", value_parser = parse_size, value_name = "SIZE")]
    pub max_head: u64,

    /// Seconds a client has to complete its handshake
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub handshake_timeout: f64,

    /// Close (1001) a client silent for this many seconds; 0: never
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    pub idle_timeout: f64,

    /// Ping a client silent for this many seconds; 0: never
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub ping_interval: f64,

    /// Seconds to wait for a client's close frame, and for it to hang up after the close handshake
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub close_timeout: f64,

    /// Most clients at once; more get 503
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_connections: usize,

    /// TLS where it listens.
    #[command(flatten)]
    pub listen_tls: ListenTls,

    /// Threads that drive the clients, each a share of them [default: one per core]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// Accept permessage-deflate (RFC 7692) when a client offers it: compress what is sent, inflate what arrives
    #[arg(long)]
    pub deflate: bool,

    /// Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)
    #[arg(long)]
    pub no_console: bool,

    /// Recording of every connection.
    #[command(flatten)]
    pub record: Record,

    /// Answer a plain GET (no Upgrade) with 426 Upgrade Required instead of the test page (at /: a page that connects back here; 404 elsewhere)
    #[arg(long)]
    pub no_page: bool,

    /// Check each client that connects instead of serving it: one case of the client battery per connection (reconnect until closed with 4000); a report per client
    #[arg(long, conflicts_with_all = ["mode", "no_page", "tls", "record"])]
    pub check: bool,

    /// With --check: which cases (C.1, C.10-style ids, comma-separated, * as a wildcard)
    #[arg(long, value_name = "PATTERNS", requires = "check")]
    pub cases: Option<String>,

    /// With --check: seconds to wait for what the client should do
    #[arg(long, default_value_t = 2.0, value_name = "SECS", requires = "check")]
    pub case_timeout: f64,

    /// With --check: also write DIR/client-N.html for each client that completes the battery
    #[arg(long, value_name = "DIR", requires = "check")]
    pub report: Option<std::path::PathBuf>,
}

/// Parses a size: digits with an optional K, M or G (binary multiples) and
/// an optional B or iB: `16M`, `16MiB`, `1024`, `64k`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| {
        format!("\"{s}\" is not a size: expected digits, then K, M or G (e.g. 16M)")
    })?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "\"{s}\" has the unit \"{unit}\"; expected K, M or G (binary: 16M is 16 MiB)"
            ))
        }
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("\"{s}\" is too large"))
}

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn definitions_are_consistent() {
        super::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert!(parse_size("16X").unwrap_err().contains("unit"));
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999G")
            .unwrap_err()
            .contains("too large"));
    }
}

/// Arguments of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording: a pcapng made with --record, or a pcap or pcapng capture
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,

    /// Play the client's side against this server: ws://HOST:PORT/PATH or wss://... (no path: the recorded one)
    #[arg(long, value_name = "URL", conflicts_with = "serve")]
    pub to: Option<String>,

    /// Play the server's side to a client that connects
    #[arg(long)]
    pub serve: bool,

    /// With --serve, the address to listen on (port 0 picks a free one; it is printed on stderr)
    #[arg(
        short,
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8080",
        requires = "serve"
    )]
    pub listen: String,

    /// Which WebSocket connection of the file (numbered as decode numbers them; needed when it holds several)
    #[arg(long, value_name = "N")]
    pub conn: Option<u64>,

    /// Change a recorded request header, or add one (repeatable): 'NAME: VALUE'; 'NAME:' removes it
    #[arg(
        short = 'H',
        long = "header",
        value_name = "'NAME: VALUE'",
        requires = "to"
    )]
    pub headers: Vec<String>,

    /// When each recorded frame is sent
    #[arg(long, value_enum, default_value_t = Timing::Answers, value_name = "WHEN")]
    pub timing: Timing,

    /// Seconds to wait for an answer before going on without it
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub wait: f64,

    /// Leave out of the comparison (repeatable): a regex over text messages, or a JSON path such as $.id or $..timestamp
    #[arg(long, value_name = "PATTERN")]
    pub ignore: Vec<String>,

    /// Show the answers that are equal too
    #[arg(short, long)]
    pub verbose: bool,

    /// JSON Lines: the connection, each answer, the summary
    #[arg(long)]
    pub json: bool,

    /// wss://: trust the CA certificates in this PEM file too (besides the system's)
    #[arg(long, value_name = "FILE", requires = "to")]
    pub cacert: Option<std::path::PathBuf>,

    /// wss://: do not check the server's certificate at all
    #[arg(long, requires = "to")]
    pub insecure: bool,
}

/// When `replay` sends each recorded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Timing {
    /// Once the other side has sent what it had sent before the frame in the recording (or --wait passed)
    Answers,
    /// With the recorded gaps
    Original,
    /// As fast as the other side takes them
    Fast,
}

/// What `connect` does with the messages it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConnectMode {
    /// Show them; send what stdin says
    Send,
    /// Send each message back with its type (the connection lasts until the server closes it)
    Echo,
}

/// Arguments of `connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The server's URL: ws://HOST:PORT/PATH?QUERY or wss://... (port, path and query optional)
    #[arg(value_name = "URL")]
    pub url: String,

    /// An extra request header (repeatable), e.g. -H 'Cookie: a=b'
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,

    /// Offer this subprotocol (repeatable, in order of preference)
    #[arg(long = "protocol", value_name = "NAME")]
    pub protocols: Vec<String>,

    /// Send this Origin header
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Option<String>,

    /// What to do with received messages
    #[arg(short, long, value_enum, default_value_t = ConnectMode::Send, value_name = "MODE")]
    pub mode: ConnectMode,

    /// How events are shown.
    #[command(flatten)]
    pub output: LiveOutput,

    /// Largest message accepted from the server (close 1009 beyond); K, M or G suffixes
    #[arg(long, default_value = "64M", value_parser = parse_size, value_name = "SIZE")]
    pub max_message: u64,

    /// Seconds to wait for the TCP connection and the server's handshake answer
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub connect_timeout: f64,

    /// Seconds to wait for the server's close frame after ours, and for it to hang up
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub close_timeout: f64,

    /// Ping the server once it has been silent this many seconds (each pong shows its round trip; the closing line gives min/avg/max); 0: never
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub ping_interval: f64,

    /// Offer permessage-deflate (RFC 7692): compress what is sent, inflate what arrives, when the server agrees
    #[arg(long)]
    pub deflate: bool,

    /// wss://: trust the CA certificates in this PEM file too (besides the system's)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,

    /// wss://: do not check the server's certificate at all (anyone on the way can read and change the traffic)
    #[arg(long)]
    pub insecure: bool,

    /// Recording of the connection.
    #[command(flatten)]
    pub record: Record,
}

/// Arguments of `proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The upstream server: ws://HOST:PORT/PATH or wss://... (port and path optional; not with --forward)
    #[arg(value_name = "URL", required_unless_present = "forward")]
    pub url: Option<String>,

    /// Address to listen on for clients [default: 127.0.0.1:8081, with --forward 127.0.0.1:8888] (port 0 picks a free one; the address is printed on stderr)
    #[arg(short, long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Be an HTTP proxy for any host (CONNECT and absolute URLs) instead of relaying to one URL
    #[arg(long, conflicts_with_all = ["url", "tls"])]
    pub forward: bool,

    /// Hold messages from the start, as the console's /intercept does: [client|server|both] [TEXT|/REGEX/] (alone: every message from both ends)
    #[arg(long, value_name = "SPEC", num_args = 0..=1, default_missing_value = "both")]
    pub intercept_messages: Option<String>,

    /// Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)
    #[arg(long)]
    pub no_console: bool,

    /// Recording of every connection (both legs).
    #[command(flatten)]
    pub record: Record,

    /// With --forward: decrypt and show only CONNECTs to hosts matching this pattern (`*` for any run of characters; repeatable; default all), tunnel the others blind
    #[arg(
        long,
        value_name = "HOSTPATTERN",
        requires = "forward",
        conflicts_with = "url"
    )]
    pub intercept: Vec<String>,

    /// How events are shown.
    #[command(flatten)]
    pub output: LiveOutput,

    /// Largest message decoded for display (larger ones still pass, shown as over the limit)
    #[arg(long, default_value = "64M", value_parser = parse_size, value_name = "SIZE")]
    pub max_message: u64,

    /// Seconds to wait for the upstream's TCP connection and handshake answer
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub connect_timeout: f64,

    /// TLS upstreams: trust the CA certificates in this PEM file too
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,

    /// TLS upstreams: do not check their certificates at all
    #[arg(long)]
    pub insecure: bool,

    /// TLS where it listens.
    #[command(flatten)]
    pub listen_tls: ListenTls,
}

/// How a live connection is shown (serve, connect, proxy).
#[derive(Debug, Args)]
pub struct LiveOutput {
    /// Show every handshake header, the accept-key computation and every frame annotated, both ways
    #[arg(short, long, conflicts_with = "quiet")]
    pub trace: bool,

    /// Write events as JSON Lines (the envelope of decode --json)
    #[arg(long)]
    pub json: bool,

    /// Print only errors
    #[arg(short, long)]
    pub quiet: bool,

    /// Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection's previous one
    #[arg(long, value_enum, value_name = "HOW", num_args = 0..=1, require_equals = true, default_missing_value = "clock")]
    pub timestamps: Option<Stamps>,

    /// Show whole payloads in --trace (default: the first 64 bytes of each)
    #[arg(long)]
    pub full: bool,

    /// Read payloads as an application protocol, shown under each message beside the raw payload
    #[arg(long, value_enum, default_value_t = Payload::Auto, value_name = "VIEW")]
    pub payload: Payload,

    /// Show only messages whose text or decoded view matches this regular expression (all are still counted)
    #[arg(long, value_name = "REGEX", value_parser = grep_pattern)]
    pub grep: Option<regex::Regex>,

    /// Show only this side, this kind of message, or what breaks a rule (all are still counted)
    #[arg(long, value_enum, value_name = "WHAT")]
    pub only: Option<Only>,

    /// Show only connection N (#N in the output)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub conn: Option<u64>,
}

/// Takes any opcode as text (`mask` reads names and numbers 0-15 and says
/// what is wrong), and offers the names to shell completion and `--help`.
#[derive(Debug, Clone, Copy)]
pub struct OpcodeNames;

impl clap::builder::TypedValueParser for OpcodeNames {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let names = ["text", "binary", "close", "ping", "pong", "continuation"];
        Some(Box::new(
            names.into_iter().map(clap::builder::PossibleValue::new),
        ))
    }
}

#[cfg(test)]
mod args_tests {
    use super::*;

    fn joined(given: &[&str]) -> Vec<String> {
        args(given.iter().map(std::ffi::OsString::from))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn timestamps_takes_its_value_with_a_space_or_an_equals_sign() {
        assert_eq!(
            joined(&["wsdbg", "serve", "--timestamps", "delta"]),
            ["wsdbg", "serve", "--timestamps=delta"]
        );
        assert_eq!(
            joined(&["wsdbg", "connect", "--timestamps", "ws://x/"]),
            ["wsdbg", "connect", "--timestamps", "ws://x/"]
        );
        assert_eq!(
            joined(&["wsdbg", "mask", "--", "--timestamps", "clock"]),
            ["wsdbg", "mask", "--", "--timestamps", "clock"]
        );
        let cli = Cli::try_parse_from(args(
            ["wsdbg", "connect", "--timestamps", "ws://127.0.0.1/"].map(std::ffi::OsString::from),
        ))
        .unwrap();
        let Command::Connect(c) = cli.command else {
            panic!()
        };
        assert_eq!(c.output.timestamps, Some(Stamps::Clock));
    }
}
