
use builtin;
use str;

set edit:completion:arg-completer[wsdbg] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'wsdbg'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'wsdbg'= {
            cand --color 'When to colour the output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand accept-key 'Compute (or check) Sec-WebSocket-Accept for a Sec-WebSocket-Key'
            cand decode 'Annotate every frame in a dump: bit fields, lengths, masking, payload, violations'
            cand mask 'XOR-mask or unmask a payload with a 4-byte key, or build a whole frame'
            cand serve 'Run a conformant WebSocket server that shows every handshake and frame it sees'
            cand connect 'Connect to a WebSocket server and show everything both ways; stdin lines are messages and commands'
            cand proxy 'Relay WebSocket clients to a server, showing the traffic both ways as it passes'
            cand check 'Check a WebSocket server against RFC 6455, case by case (Autobahn''s cases and more), and say which rules it breaks'
            cand replay 'Play a recorded connection again, to its server (--to) or to its client (--serve), and compare the answers with the recording''s'
            cand ca 'Show wsdbg''s local certificate authority, and how to trust it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wsdbg;accept-key'= {
            cand --expect 'Check that KEY gives this Sec-WebSocket-Accept (exit 1 if not)'
            cand --color 'When to colour the output'
            cand -v 'Show the four steps with every intermediate value'
            cand --verbose 'Show the four steps with every intermediate value'
            cand --generate 'Print a fresh random key (base64 of 16 random bytes) instead; with -v, its accept value too, step by step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;decode'= {
            cand -f 'Read the dump, or a pcap or pcapng capture, from a file (- for stdin)'
            cand --file 'Read the dump, or a pcap or pcapng capture, from a file (- for stdin)'
            cand --format 'How the dump is spelled'
            cand --from 'Who sent the frames (decides the masking rule); implied by a leading handshake'
            cand --port 'Capture files: take the connections to this port as WebSocket even without their handshake (a capture that starts mid-connection); the side with this source port is the server'
            cand --conn 'Capture files: show only connection N (ids count from 1 in the order connections are found)'
            cand --skip 'Skip the first N bytes of the dump (headers of a packet that were not recognised, a prefix of a log line)'
            cand --only 'Show only one side, one kind of message, or what breaks a rule (violations: the frames, heads and views with one); the summary still counts and lists everything'
            cand --payload 'Read payloads as an application protocol, shown under each message (after its frames) beside the raw payload'
            cand --grep 'Show only the messages (with their frames) whose text or decoded view matches this regular expression; the summary still counts all'
            cand --frames 'Show only the frames FIRST..LAST (1-based; each side of a capture counts its own): 3..7, 3.., ..7 or 5'
            cand --color 'When to colour the output'
            cand --dec 'Same as --format dec'
            cand --raw 'Same as --format raw'
            cand --base64 'Same as --format base64'
            cand --deflate 'Read RSV1 as permessage-deflate''s "compressed" bit and inflate messages (implied when the handshake negotiates it)'
            cand --json 'One JSON object per line: heads, frames, then a summary'
            cand --explain 'Show the unmasking of each byte (70 ^ 3d = 4d ''M'')'
            cand --full 'Show whole payloads (default: the first 64 bytes of each)'
            cand --brief 'One line per frame (index, side, FIN and RSV, opcode, length, mask, a preview) and per head, with the violations under it'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;mask'= {
            cand -k 'The 4-byte masking key as hex (3d542306, "3d 54 23 06", 0x3d542306); random with --frame'
            cand --key 'The 4-byte masking key as hex (3d542306, "3d 54 23 06", 0x3d542306); random with --frame'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --opcode 'Opcode of the frame: text, binary, close, ping, pong, continuation, or 0-15'
            cand --rsv 'Set a reserved bit: 1, 2 or 3 (repeatable, or comma-separated: --rsv 1,3)'
            cand --length 'The payload length the header claims, whatever the payload''s own (a frame that lies)'
            cand --length-form 'How the length is written: 7, 16 or 64 bits (default: the shortest that holds it)'
            cand --color 'When to colour the output'
            cand --hex 'The payload (argument or stdin) is a hex dump, not text/bytes'
            cand --frame 'Write a whole frame (header, key, masked payload) instead of the masked bytes'
            cand --no-fin 'Clear FIN (a fragment that more frames continue)'
            cand --unmasked 'No mask, as a server sends'
            cand --deflate 'Compress the payload with permessage-deflate (RFC 7692) and set RSV1, as a first message with no context'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;serve'= {
            cand -l 'Address to listen on (port 0 picks a free one; the address is printed on stderr)'
            cand --listen 'Address to listen on (port 0 picks a free one; the address is printed on stderr)'
            cand -m 'What to do with received messages'
            cand --mode 'What to do with received messages'
            cand --timestamps 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection''s previous one'
            cand --payload 'Read payloads as an application protocol, shown under each message beside the raw payload'
            cand --grep 'Show only messages whose text or decoded view matches this regular expression (all are still counted)'
            cand --only 'Show only this side, this kind of message, or what breaks a rule (all are still counted)'
            cand --conn 'Show only connection N (#N in the output)'
            cand --protocol 'A subprotocol to accept when the client offers it (repeatable; the first one offered in this order wins)'
            cand --origin 'Accept only these Origin values (repeatable; others get 403); default: any'
            cand --max-message 'Largest message accepted (close 1009 beyond); a number with an optional K, M or G (KiB, MiB, GiB)'
            cand --max-frame 'Largest frame payload accepted (close 1009 beyond); default: --max-message'
            cand --max-head 'Largest handshake request head (431 beyond)'
            cand --handshake-timeout 'Seconds a client has to complete its handshake'
            cand --idle-timeout 'Close (1001) a client silent for this many seconds; 0: never'
            cand --ping-interval 'Ping a client silent for this many seconds; 0: never'
            cand --close-timeout 'Seconds to wait for a client''s close frame, and for it to hang up after the close handshake'
            cand --max-connections 'Most clients at once; more get 503'
            cand --cert 'The certificate chain to present (PEM), with --tls'
            cand --key 'The certificate''s private key (PEM), with --tls'
            cand --tls-name 'A name (or address) the made certificate is also for, beside localhost, 127.0.0.1 and ::1 (repeatable)'
            cand --threads 'Threads that drive the clients, each a share of them [default: one per core]'
            cand --record 'Record every connection''s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens'
            cand --cases 'With --check: which cases (C.1, C.10-style ids, comma-separated, * as a wildcard)'
            cand --case-timeout 'With --check: seconds to wait for what the client should do'
            cand --report 'With --check: also write DIR/client-N.html for each client that completes the battery'
            cand --color 'When to colour the output'
            cand -t 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
            cand --trace 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
            cand --json 'Write events as JSON Lines (the envelope of decode --json)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand --full 'Show whole payloads in --trace (default: the first 64 bytes of each)'
            cand --tls 'Listen with TLS (wss:// and https://): with --cert and --key, or a certificate signed by wsdbg''s local CA (see `wsdbg ca`)'
            cand --deflate 'Accept permessage-deflate (RFC 7692) when a client offers it: compress what is sent, inflate what arrives'
            cand --no-console 'Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)'
            cand --no-page 'Answer a plain GET (no Upgrade) with 426 Upgrade Required instead of the test page (at /: a page that connects back here; 404 elsewhere)'
            cand --check 'Check each client that connects instead of serving it: one case of the client battery per connection (reconnect until closed with 4000); a report per client'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;connect'= {
            cand -H 'An extra request header (repeatable), e.g. -H ''Cookie: a=b'''
            cand --header 'An extra request header (repeatable), e.g. -H ''Cookie: a=b'''
            cand --protocol 'Offer this subprotocol (repeatable, in order of preference)'
            cand --origin 'Send this Origin header'
            cand -m 'What to do with received messages'
            cand --mode 'What to do with received messages'
            cand --timestamps 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection''s previous one'
            cand --payload 'Read payloads as an application protocol, shown under each message beside the raw payload'
            cand --grep 'Show only messages whose text or decoded view matches this regular expression (all are still counted)'
            cand --only 'Show only this side, this kind of message, or what breaks a rule (all are still counted)'
            cand --conn 'Show only connection N (#N in the output)'
            cand --max-message 'Largest message accepted from the server (close 1009 beyond); K, M or G suffixes'
            cand --connect-timeout 'Seconds to wait for the TCP connection and the server''s handshake answer'
            cand --close-timeout 'Seconds to wait for the server''s close frame after ours, and for it to hang up'
            cand --ping-interval 'Ping the server once it has been silent this many seconds (each pong shows its round trip; the closing line gives min/avg/max); 0: never'
            cand --cacert 'wss://: trust the CA certificates in this PEM file too (besides the system''s)'
            cand --record 'Record every connection''s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens'
            cand --color 'When to colour the output'
            cand -t 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
            cand --trace 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
            cand --json 'Write events as JSON Lines (the envelope of decode --json)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand --full 'Show whole payloads in --trace (default: the first 64 bytes of each)'
            cand --deflate 'Offer permessage-deflate (RFC 7692): compress what is sent, inflate what arrives, when the server agrees'
            cand --insecure 'wss://: do not check the server''s certificate at all (anyone on the way can read and change the traffic)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;proxy'= {
            cand -l 'Address to listen on for clients [default: 127.0.0.1:8081, with --forward 127.0.0.1:8888] (port 0 picks a free one; the address is printed on stderr)'
            cand --listen 'Address to listen on for clients [default: 127.0.0.1:8081, with --forward 127.0.0.1:8888] (port 0 picks a free one; the address is printed on stderr)'
            cand --intercept-messages 'Hold messages from the start, as the console''s /intercept does: [client|server|both] [TEXT|/REGEX/] (alone: every message from both ends)'
            cand --record 'Record every connection''s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens'
            cand --intercept 'With --forward: decrypt and show only CONNECTs to hosts matching this pattern (`*` for any run of characters; repeatable; default all), tunnel the others blind'
            cand --timestamps 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection''s previous one'
            cand --payload 'Read payloads as an application protocol, shown under each message beside the raw payload'
            cand --grep 'Show only messages whose text or decoded view matches this regular expression (all are still counted)'
            cand --only 'Show only this side, this kind of message, or what breaks a rule (all are still counted)'
            cand --conn 'Show only connection N (#N in the output)'
            cand --max-message 'Largest message decoded for display (larger ones still pass, shown as over the limit)'
            cand --connect-timeout 'Seconds to wait for the upstream''s TCP connection and handshake answer'
            cand --cacert 'TLS upstreams: trust the CA certificates in this PEM file too'
            cand --cert 'The certificate chain to present (PEM), with --tls'
            cand --key 'The certificate''s private key (PEM), with --tls'
            cand --tls-name 'A name (or address) the made certificate is also for, beside localhost, 127.0.0.1 and ::1 (repeatable)'
            cand --color 'When to colour the output'
            cand --forward 'Be an HTTP proxy for any host (CONNECT and absolute URLs) instead of relaying to one URL'
            cand --no-console 'Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)'
            cand -t 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
            cand --trace 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
            cand --json 'Write events as JSON Lines (the envelope of decode --json)'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand --full 'Show whole payloads in --trace (default: the first 64 bytes of each)'
            cand --insecure 'TLS upstreams: do not check their certificates at all'
            cand --tls 'Listen with TLS (wss:// and https://): with --cert and --key, or a certificate signed by wsdbg''s local CA (see `wsdbg ca`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;check'= {
            cand --cases 'Which cases: ids or patterns, comma-separated, Autobahn''s spelling (5.*,6.4.*,H.2)'
            cand --report 'Also write DIR/index.html: one self-contained page, each case expandable to its frames'
            cand --case-timeout 'Seconds to wait for what the server should do (an echo, a close) before giving up on it'
            cand --messages 'Messages in each round-trip case (9.7, 9.8, 12.*, 13.*; Autobahn sends 1000): fewer for a quick run'
            cand -j 'How many cases run at once, each on its own connection (1: one after another)'
            cand --jobs 'How many cases run at once, each on its own connection (1: one after another)'
            cand -H 'An extra request header on every connection (repeatable), e.g. -H ''Cookie: a=b'''
            cand --header 'An extra request header on every connection (repeatable), e.g. -H ''Cookie: a=b'''
            cand --cacert 'wss://: trust the CA certificates in this PEM file too (besides the system''s)'
            cand --color 'When to colour the output'
            cand -v 'Show every head and frame of each case, annotated, both ways'
            cand --verbose 'Show every head and frame of each case, annotated, both ways'
            cand --json 'Write results as JSON Lines (the envelope of decode --json)'
            cand --list 'List the cases (id and title) without running them'
            cand --insecure 'wss://: do not check the server''s certificate at all'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;replay'= {
            cand --to 'Play the client''s side against this server: ws://HOST:PORT/PATH or wss://... (no path: the recorded one)'
            cand -l 'With --serve, the address to listen on (port 0 picks a free one; it is printed on stderr)'
            cand --listen 'With --serve, the address to listen on (port 0 picks a free one; it is printed on stderr)'
            cand --conn 'Which WebSocket connection of the file (numbered as decode numbers them; needed when it holds several)'
            cand -H 'Change a recorded request header, or add one (repeatable): ''NAME: VALUE''; ''NAME:'' removes it'
            cand --header 'Change a recorded request header, or add one (repeatable): ''NAME: VALUE''; ''NAME:'' removes it'
            cand --timing 'When each recorded frame is sent'
            cand --wait 'Seconds to wait for an answer before going on without it'
            cand --ignore 'Leave out of the comparison (repeatable): a regex over text messages, or a JSON path such as $.id or $..timestamp'
            cand --cacert 'wss://: trust the CA certificates in this PEM file too (besides the system''s)'
            cand --color 'When to colour the output'
            cand --serve 'Play the server''s side to a client that connects'
            cand -v 'Show the answers that are equal too'
            cand --verbose 'Show the answers that are equal too'
            cand --json 'JSON Lines: the connection, each answer, the summary'
            cand --insecure 'wss://: do not check the server''s certificate at all'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;ca'= {
            cand --color 'When to colour the output'
            cand --path 'Print the certificate''s path only'
            cand --pem 'Print the certificate (PEM) only'
            cand --spki 'Print the SPKI SHA-256 (base64) only, as Chromium''s --ignore-certificate-errors-spki-list takes it'
            cand --regenerate 'Make a new CA, replacing the old one (what trusted the old one no longer trusts what wsdbg signs)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'wsdbg;help'= {
            cand accept-key 'Compute (or check) Sec-WebSocket-Accept for a Sec-WebSocket-Key'
            cand decode 'Annotate every frame in a dump: bit fields, lengths, masking, payload, violations'
            cand mask 'XOR-mask or unmask a payload with a 4-byte key, or build a whole frame'
            cand serve 'Run a conformant WebSocket server that shows every handshake and frame it sees'
            cand connect 'Connect to a WebSocket server and show everything both ways; stdin lines are messages and commands'
            cand proxy 'Relay WebSocket clients to a server, showing the traffic both ways as it passes'
            cand check 'Check a WebSocket server against RFC 6455, case by case (Autobahn''s cases and more), and say which rules it breaks'
            cand replay 'Play a recorded connection again, to its server (--to) or to its client (--serve), and compare the answers with the recording''s'
            cand ca 'Show wsdbg''s local certificate authority, and how to trust it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wsdbg;help;accept-key'= {
        }
        &'wsdbg;help;decode'= {
        }
        &'wsdbg;help;mask'= {
        }
        &'wsdbg;help;serve'= {
        }
        &'wsdbg;help;connect'= {
        }
        &'wsdbg;help;proxy'= {
        }
        &'wsdbg;help;check'= {
        }
        &'wsdbg;help;replay'= {
        }
        &'wsdbg;help;ca'= {
        }
        &'wsdbg;help;help'= {
        }
    ]
    $completions[$command]
}
