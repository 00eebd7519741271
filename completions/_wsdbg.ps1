
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'wsdbg' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'wsdbg'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'wsdbg' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('accept-key', 'accept-key', [CompletionResultType]::ParameterValue, 'Compute (or check) Sec-WebSocket-Accept for a Sec-WebSocket-Key')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Annotate every frame in a dump: bit fields, lengths, masking, payload, violations')
            [CompletionResult]::new('mask', 'mask', [CompletionResultType]::ParameterValue, 'XOR-mask or unmask a payload with a 4-byte key, or build a whole frame')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a conformant WebSocket server that shows every handshake and frame it sees')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect to a WebSocket server and show everything both ways; stdin lines are messages and commands')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Relay WebSocket clients to a server, showing the traffic both ways as it passes')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a WebSocket server against RFC 6455, case by case (Autobahn''s cases and more), and say which rules it breaks')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Play a recorded connection again, to its server (--to) or to its client (--serve), and compare the answers with the recording''s')
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Show wsdbg''s local certificate authority, and how to trust it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wsdbg;accept-key' {
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Check that KEY gives this Sec-WebSocket-Accept (exit 1 if not)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the four steps with every intermediate value')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the four steps with every intermediate value')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Print a fresh random key (base64 of 16 random bytes) instead; with -v, its accept value too, step by step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;decode' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read the dump, or a pcap or pcapng capture, from a file (- for stdin)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read the dump, or a pcap or pcapng capture, from a file (- for stdin)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How the dump is spelled')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Who sent the frames (decides the masking rule); implied by a leading handshake')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Capture files: take the connections to this port as WebSocket even without their handshake (a capture that starts mid-connection); the side with this source port is the server')
            [CompletionResult]::new('--conn', '--conn', [CompletionResultType]::ParameterName, 'Capture files: show only connection N (ids count from 1 in the order connections are found)')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Skip the first N bytes of the dump (headers of a packet that were not recognised, a prefix of a log line)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Show only one side, one kind of message, or what breaks a rule (violations: the frames, heads and views with one); the summary still counts and lists everything')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'Read payloads as an application protocol, shown under each message (after its frames) beside the raw payload')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Show only the messages (with their frames) whose text or decoded view matches this regular expression; the summary still counts all')
            [CompletionResult]::new('--frames', '--frames', [CompletionResultType]::ParameterName, 'Show only the frames FIRST..LAST (1-based; each side of a capture counts its own): 3..7, 3.., ..7 or 5')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--dec', '--dec', [CompletionResultType]::ParameterName, 'Same as --format dec')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Same as --format raw')
            [CompletionResult]::new('--base64', '--base64', [CompletionResultType]::ParameterName, 'Same as --format base64')
            [CompletionResult]::new('--deflate', '--deflate', [CompletionResultType]::ParameterName, 'Read RSV1 as permessage-deflate''s "compressed" bit and inflate messages (implied when the handshake negotiates it)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per line: heads, frames, then a summary')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Show the unmasking of each byte (70 ^ 3d = 4d ''M'')')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'Show whole payloads (default: the first 64 bytes of each)')
            [CompletionResult]::new('--brief', '--brief', [CompletionResultType]::ParameterName, 'One line per frame (index, side, FIN and RSV, opcode, length, mask, a preview) and per head, with the violations under it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;mask' {
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'The 4-byte masking key as hex (3d542306, "3d 54 23 06", 0x3d542306); random with --frame')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The 4-byte masking key as hex (3d542306, "3d 54 23 06", 0x3d542306); random with --frame')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--opcode', '--opcode', [CompletionResultType]::ParameterName, 'Opcode of the frame: text, binary, close, ping, pong, continuation, or 0-15')
            [CompletionResult]::new('--rsv', '--rsv', [CompletionResultType]::ParameterName, 'Set a reserved bit: 1, 2 or 3 (repeatable, or comma-separated: --rsv 1,3)')
            [CompletionResult]::new('--length', '--length', [CompletionResultType]::ParameterName, 'The payload length the header claims, whatever the payload''s own (a frame that lies)')
            [CompletionResult]::new('--length-form', '--length-form', [CompletionResultType]::ParameterName, 'How the length is written: 7, 16 or 64 bits (default: the shortest that holds it)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--hex', '--hex', [CompletionResultType]::ParameterName, 'The payload (argument or stdin) is a hex dump, not text/bytes')
            [CompletionResult]::new('--frame', '--frame', [CompletionResultType]::ParameterName, 'Write a whole frame (header, key, masked payload) instead of the masked bytes')
            [CompletionResult]::new('--no-fin', '--no-fin', [CompletionResultType]::ParameterName, 'Clear FIN (a fragment that more frames continue)')
            [CompletionResult]::new('--unmasked', '--unmasked', [CompletionResultType]::ParameterName, 'No mask, as a server sends')
            [CompletionResult]::new('--deflate', '--deflate', [CompletionResultType]::ParameterName, 'Compress the payload with permessage-deflate (RFC 7692) and set RSV1, as a first message with no context')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;serve' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free one; the address is printed on stderr)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free one; the address is printed on stderr)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'What to do with received messages')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'What to do with received messages')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection''s previous one')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'Read payloads as an application protocol, shown under each message beside the raw payload')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Show only messages whose text or decoded view matches this regular expression (all are still counted)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Show only this side, this kind of message, or what breaks a rule (all are still counted)')
            [CompletionResult]::new('--conn', '--conn', [CompletionResultType]::ParameterName, 'Show only connection N (#N in the output)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'A subprotocol to accept when the client offers it (repeatable; the first one offered in this order wins)')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Accept only these Origin values (repeatable; others get 403); default: any')
            [CompletionResult]::new('--max-message', '--max-message', [CompletionResultType]::ParameterName, 'Largest message accepted (close 1009 beyond); a number with an optional K, M or G (KiB, MiB, GiB)')
            [CompletionResult]::new('--max-frame', '--max-frame', [CompletionResultType]::ParameterName, 'Largest frame payload accepted (close 1009 beyond); default: --max-message')
            [CompletionResult]::new('--max-head', '--max-head', [CompletionResultType]::ParameterName, 'Largest handshake request head (431 beyond)')
            [CompletionResult]::new('--handshake-timeout', '--handshake-timeout', [CompletionResultType]::ParameterName, 'Seconds a client has to complete its handshake')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Close (1001) a client silent for this many seconds; 0: never')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping a client silent for this many seconds; 0: never')
            [CompletionResult]::new('--close-timeout', '--close-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a client''s close frame, and for it to hang up after the close handshake')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most clients at once; more get 503')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'The certificate chain to present (PEM), with --tls')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The certificate''s private key (PEM), with --tls')
            [CompletionResult]::new('--tls-name', '--tls-name', [CompletionResultType]::ParameterName, 'A name (or address) the made certificate is also for, beside localhost, 127.0.0.1 and ::1 (repeatable)')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads that drive the clients, each a share of them [default: one per core]')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Record every connection''s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens')
            [CompletionResult]::new('--cases', '--cases', [CompletionResultType]::ParameterName, 'With --check: which cases (C.1, C.10-style ids, comma-separated, * as a wildcard)')
            [CompletionResult]::new('--case-timeout', '--case-timeout', [CompletionResultType]::ParameterName, 'With --check: seconds to wait for what the client should do')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'With --check: also write DIR/client-N.html for each client that completes the battery')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show every handshake header, the accept-key computation and every frame annotated, both ways')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Show every handshake header, the accept-key computation and every frame annotated, both ways')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write events as JSON Lines (the envelope of decode --json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'Show whole payloads in --trace (default: the first 64 bytes of each)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Listen with TLS (wss:// and https://): with --cert and --key, or a certificate signed by wsdbg''s local CA (see `wsdbg ca`)')
            [CompletionResult]::new('--deflate', '--deflate', [CompletionResultType]::ParameterName, 'Accept permessage-deflate (RFC 7692) when a client offers it: compress what is sent, inflate what arrives')
            [CompletionResult]::new('--no-console', '--no-console', [CompletionResultType]::ParameterName, 'Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)')
            [CompletionResult]::new('--no-page', '--no-page', [CompletionResultType]::ParameterName, 'Answer a plain GET (no Upgrade) with 426 Upgrade Required instead of the test page (at /: a page that connects back here; 404 elsewhere)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check each client that connects instead of serving it: one case of the client battery per connection (reconnect until closed with 4000); a report per client')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;connect' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'An extra request header (repeatable), e.g. -H ''Cookie: a=b''')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'An extra request header (repeatable), e.g. -H ''Cookie: a=b''')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Send this Origin header')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'What to do with received messages')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'What to do with received messages')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection''s previous one')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'Read payloads as an application protocol, shown under each message beside the raw payload')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Show only messages whose text or decoded view matches this regular expression (all are still counted)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Show only this side, this kind of message, or what breaks a rule (all are still counted)')
            [CompletionResult]::new('--conn', '--conn', [CompletionResultType]::ParameterName, 'Show only connection N (#N in the output)')
            [CompletionResult]::new('--max-message', '--max-message', [CompletionResultType]::ParameterName, 'Largest message accepted from the server (close 1009 beyond); K, M or G suffixes')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the TCP connection and the server''s handshake answer')
            [CompletionResult]::new('--close-timeout', '--close-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the server''s close frame after ours, and for it to hang up')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Ping the server once it has been silent this many seconds (each pong shows its round trip; the closing line gives min/avg/max); 0: never')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'wss://: trust the CA certificates in this PEM file too (besides the system''s)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Record every connection''s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show every handshake header, the accept-key computation and every frame annotated, both ways')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Show every handshake header, the accept-key computation and every frame annotated, both ways')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write events as JSON Lines (the envelope of decode --json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'Show whole payloads in --trace (default: the first 64 bytes of each)')
            [CompletionResult]::new('--deflate', '--deflate', [CompletionResultType]::ParameterName, 'Offer permessage-deflate (RFC 7692): compress what is sent, inflate what arrives, when the server agrees')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'wss://: do not check the server''s certificate at all (anyone on the way can read and change the traffic)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;proxy' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Address to listen on for clients [default: 127.0.0.1:8081, with --forward 127.0.0.1:8888] (port 0 picks a free one; the address is printed on stderr)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on for clients [default: 127.0.0.1:8081, with --forward 127.0.0.1:8888] (port 0 picks a free one; the address is printed on stderr)')
            [CompletionResult]::new('--intercept-messages', '--intercept-messages', [CompletionResultType]::ParameterName, 'Hold messages from the start, as the console''s /intercept does: [client|server|both] [TEXT|/REGEX/] (alone: every message from both ends)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Record every connection''s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens')
            [CompletionResult]::new('--intercept', '--intercept', [CompletionResultType]::ParameterName, 'With --forward: decrypt and show only CONNECTs to hosts matching this pattern (`*` for any run of characters; repeatable; default all), tunnel the others blind')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection''s previous one')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'Read payloads as an application protocol, shown under each message beside the raw payload')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Show only messages whose text or decoded view matches this regular expression (all are still counted)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Show only this side, this kind of message, or what breaks a rule (all are still counted)')
            [CompletionResult]::new('--conn', '--conn', [CompletionResultType]::ParameterName, 'Show only connection N (#N in the output)')
            [CompletionResult]::new('--max-message', '--max-message', [CompletionResultType]::ParameterName, 'Largest message decoded for display (larger ones still pass, shown as over the limit)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the upstream''s TCP connection and handshake answer')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'TLS upstreams: trust the CA certificates in this PEM file too')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'The certificate chain to present (PEM), with --tls')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The certificate''s private key (PEM), with --tls')
            [CompletionResult]::new('--tls-name', '--tls-name', [CompletionResultType]::ParameterName, 'A name (or address) the made certificate is also for, beside localhost, 127.0.0.1 and ::1 (repeatable)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--forward', '--forward', [CompletionResultType]::ParameterName, 'Be an HTTP proxy for any host (CONNECT and absolute URLs) instead of relaying to one URL')
            [CompletionResult]::new('--no-console', '--no-console', [CompletionResultType]::ParameterName, 'Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show every handshake header, the accept-key computation and every frame annotated, both ways')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Show every handshake header, the accept-key computation and every frame annotated, both ways')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write events as JSON Lines (the envelope of decode --json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'Show whole payloads in --trace (default: the first 64 bytes of each)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'TLS upstreams: do not check their certificates at all')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Listen with TLS (wss:// and https://): with --cert and --key, or a certificate signed by wsdbg''s local CA (see `wsdbg ca`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;check' {
            [CompletionResult]::new('--cases', '--cases', [CompletionResultType]::ParameterName, 'Which cases: ids or patterns, comma-separated, Autobahn''s spelling (5.*,6.4.*,H.2)')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Also write DIR/index.html: one self-contained page, each case expandable to its frames')
            [CompletionResult]::new('--case-timeout', '--case-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for what the server should do (an echo, a close) before giving up on it')
            [CompletionResult]::new('--messages', '--messages', [CompletionResultType]::ParameterName, 'Messages in each round-trip case (9.7, 9.8, 12.*, 13.*; Autobahn sends 1000): fewer for a quick run')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many cases run at once, each on its own connection (1: one after another)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many cases run at once, each on its own connection (1: one after another)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'An extra request header on every connection (repeatable), e.g. -H ''Cookie: a=b''')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'An extra request header on every connection (repeatable), e.g. -H ''Cookie: a=b''')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'wss://: trust the CA certificates in this PEM file too (besides the system''s)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show every head and frame of each case, annotated, both ways')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show every head and frame of each case, annotated, both ways')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write results as JSON Lines (the envelope of decode --json)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the cases (id and title) without running them')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'wss://: do not check the server''s certificate at all')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;replay' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Play the client''s side against this server: ws://HOST:PORT/PATH or wss://... (no path: the recorded one)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'With --serve, the address to listen on (port 0 picks a free one; it is printed on stderr)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'With --serve, the address to listen on (port 0 picks a free one; it is printed on stderr)')
            [CompletionResult]::new('--conn', '--conn', [CompletionResultType]::ParameterName, 'Which WebSocket connection of the file (numbered as decode numbers them; needed when it holds several)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Change a recorded request header, or add one (repeatable): ''NAME: VALUE''; ''NAME:'' removes it')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Change a recorded request header, or add one (repeatable): ''NAME: VALUE''; ''NAME:'' removes it')
            [CompletionResult]::new('--timing', '--timing', [CompletionResultType]::ParameterName, 'When each recorded frame is sent')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Seconds to wait for an answer before going on without it')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'Leave out of the comparison (repeatable): a regex over text messages, or a JSON path such as $.id or $..timestamp')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'wss://: trust the CA certificates in this PEM file too (besides the system''s)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--serve', '--serve', [CompletionResultType]::ParameterName, 'Play the server''s side to a client that connects')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the answers that are equal too')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the answers that are equal too')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON Lines: the connection, each answer, the summary')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'wss://: do not check the server''s certificate at all')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;ca' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Print the certificate''s path only')
            [CompletionResult]::new('--pem', '--pem', [CompletionResultType]::ParameterName, 'Print the certificate (PEM) only')
            [CompletionResult]::new('--spki', '--spki', [CompletionResultType]::ParameterName, 'Print the SPKI SHA-256 (base64) only, as Chromium''s --ignore-certificate-errors-spki-list takes it')
            [CompletionResult]::new('--regenerate', '--regenerate', [CompletionResultType]::ParameterName, 'Make a new CA, replacing the old one (what trusted the old one no longer trusts what wsdbg signs)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'wsdbg;help' {
            [CompletionResult]::new('accept-key', 'accept-key', [CompletionResultType]::ParameterValue, 'Compute (or check) Sec-WebSocket-Accept for a Sec-WebSocket-Key')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Annotate every frame in a dump: bit fields, lengths, masking, payload, violations')
            [CompletionResult]::new('mask', 'mask', [CompletionResultType]::ParameterValue, 'XOR-mask or unmask a payload with a 4-byte key, or build a whole frame')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a conformant WebSocket server that shows every handshake and frame it sees')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect to a WebSocket server and show everything both ways; stdin lines are messages and commands')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Relay WebSocket clients to a server, showing the traffic both ways as it passes')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a WebSocket server against RFC 6455, case by case (Autobahn''s cases and more), and say which rules it breaks')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Play a recorded connection again, to its server (--to) or to its client (--serve), and compare the answers with the recording''s')
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Show wsdbg''s local certificate authority, and how to trust it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wsdbg;help;accept-key' {
            break
        }
        'wsdbg;help;decode' {
            break
        }
        'wsdbg;help;mask' {
            break
        }
        'wsdbg;help;serve' {
            break
        }
        'wsdbg;help;connect' {
            break
        }
        'wsdbg;help;proxy' {
            break
        }
        'wsdbg;help;check' {
            break
        }
        'wsdbg;help;replay' {
            break
        }
        'wsdbg;help;ca' {
            break
        }
        'wsdbg;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
