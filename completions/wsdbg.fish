# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wsdbg_global_optspecs
    string join \n color= h/help V/version
end

function __fish_wsdbg_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_wsdbg_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_wsdbg_using_subcommand
    set -l cmd (__fish_wsdbg_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c wsdbg -n "__fish_wsdbg_needs_command" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -s V -l version -d 'Print version'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "accept-key" -d 'Compute (or check) Sec-WebSocket-Accept for a Sec-WebSocket-Key'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "decode" -d 'Annotate every frame in a dump: bit fields, lengths, masking, payload, violations'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "mask" -d 'XOR-mask or unmask a payload with a 4-byte key, or build a whole frame'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "serve" -d 'Run a conformant WebSocket server that shows every handshake and frame it sees'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "connect" -d 'Connect to a WebSocket server and show everything both ways; stdin lines are messages and commands'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "proxy" -d 'Relay WebSocket clients to a server, showing the traffic both ways as it passes'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "check" -d 'Check a WebSocket server against RFC 6455, case by case (Autobahn\'s cases and more), and say which rules it breaks'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "replay" -d 'Play a recorded connection again, to its server (--to) or to its client (--serve), and compare the answers with the recording\'s'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "ca" -d 'Show wsdbg\'s local certificate authority, and how to trust it'
complete -c wsdbg -n "__fish_wsdbg_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand accept-key" -l expect -d 'Check that KEY gives this Sec-WebSocket-Accept (exit 1 if not)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand accept-key" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand accept-key" -s v -l verbose -d 'Show the four steps with every intermediate value'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand accept-key" -l generate -d 'Print a fresh random key (base64 of 16 random bytes) instead; with -v, its accept value too, step by step'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand accept-key" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -s f -l file -d 'Read the dump, or a pcap or pcapng capture, from a file (- for stdin)' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l format -d 'How the dump is spelled' -r -f -a "auto\t'Hex in any common spelling, or base64 when it cannot be hex'
hex\t'Hex only'
dec\t'Decimal bytes, as in MDN\'s guide'
base64\t'Base64'
raw\t'The bytes themselves'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l from -d 'Who sent the frames (decides the masking rule); implied by a leading handshake' -r -f -a "client\t'Frames from a client: each must be masked'
server\t'Frames from a server: none may be masked'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l port -d 'Capture files: take the connections to this port as WebSocket even without their handshake (a capture that starts mid-connection); the side with this source port is the server' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l conn -d 'Capture files: show only connection N (ids count from 1 in the order connections are found)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l skip -d 'Skip the first N bytes of the dump (headers of a packet that were not recognised, a prefix of a log line)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l only -d 'Show only one side, one kind of message, or what breaks a rule (violations: the frames, heads and views with one); the summary still counts and lists everything' -r -f -a "client\t'What the client sent'
server\t'What the server sent'
text\t'Text messages'
binary\t'Binary messages'
control\t'Control frames (close, ping, pong)'
violations\t'Frames, heads and messages that break RFC 6455 or the payload view\'s protocol'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l payload -d 'Read payloads as an application protocol, shown under each message (after its frames) beside the raw payload' -r -f -a "auto\t'From the agreed subprotocol, else from the first message (said once per connection)'
raw\t'As bytes or text only'
json\t'JSON, laid out'
socketio\t'Engine.IO v4 and Socket.IO v5'
graphql\t'GraphQL over WebSocket (graphql-transport-ws, subscriptions-transport-ws)'
stomp\t'STOMP 1.0-1.2'
mqtt\t'MQTT 3.1.1 and 5.0'
jsonrpc\t'JSON-RPC 2.0'
msgpack\t'MessagePack'
cbor\t'CBOR'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l grep -d 'Show only the messages (with their frames) whose text or decoded view matches this regular expression; the summary still counts all' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l frames -d 'Show only the frames FIRST..LAST (1-based; each side of a capture counts its own): 3..7, 3.., ..7 or 5' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l dec -d 'Same as --format dec'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l raw -d 'Same as --format raw'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l base64 -d 'Same as --format base64'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l deflate -d 'Read RSV1 as permessage-deflate\'s "compressed" bit and inflate messages (implied when the handshake negotiates it)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l json -d 'One JSON object per line: heads, frames, then a summary'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l explain -d 'Show the unmasking of each byte (70 ^ 3d = 4d \'M\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l full -d 'Show whole payloads (default: the first 64 bytes of each)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -l brief -d 'One line per frame (index, side, FIN and RSV, opcode, length, mask, a preview) and per head, with the violations under it'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -s k -l key -d 'The 4-byte masking key as hex (3d542306, "3d 54 23 06", 0x3d542306); random with --frame' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -s o -l output -d 'Output format' -r -f -a "auto\t'Hex for text input; text for hex input when it is readable; raw bytes for stdin to a pipe'
hex\t'Hex pairs separated by spaces'
text\t'Text, with anything unprintable escaped'
raw\t'The bytes themselves'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l opcode -d 'Opcode of the frame: text, binary, close, ping, pong, continuation, or 0-15' -r -f -a "text\t''
binary\t''
close\t''
ping\t''
pong\t''
continuation\t''"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l rsv -d 'Set a reserved bit: 1, 2 or 3 (repeatable, or comma-separated: --rsv 1,3)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l length -d 'The payload length the header claims, whatever the payload\'s own (a frame that lies)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l length-form -d 'How the length is written: 7, 16 or 64 bits (default: the shortest that holds it)' -r -f -a "7\t''
16\t''
64\t''"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l hex -d 'The payload (argument or stdin) is a hex dump, not text/bytes'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l frame -d 'Write a whole frame (header, key, masked payload) instead of the masked bytes'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l no-fin -d 'Clear FIN (a fragment that more frames continue)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l unmasked -d 'No mask, as a server sends'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -l deflate -d 'Compress the payload with permessage-deflate (RFC 7692) and set RSV1, as a first message with no context'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand mask" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -s l -l listen -d 'Address to listen on (port 0 picks a free one; the address is printed on stderr)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -s m -l mode -d 'What to do with received messages' -r -f -a "echo\t'Send each message back to its sender, with its type'
broadcast\t'Send each message to every connected client'
silent\t'Send nothing but protocol replies (pong, close)'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l timestamps -d 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection\'s previous one' -r -f -a "clock\t'The time of day (UTC)'
delta\t'Before each message, the time since the connection\'s previous one'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l payload -d 'Read payloads as an application protocol, shown under each message beside the raw payload' -r -f -a "auto\t'From the agreed subprotocol, else from the first message (said once per connection)'
raw\t'As bytes or text only'
json\t'JSON, laid out'
socketio\t'Engine.IO v4 and Socket.IO v5'
graphql\t'GraphQL over WebSocket (graphql-transport-ws, subscriptions-transport-ws)'
stomp\t'STOMP 1.0-1.2'
mqtt\t'MQTT 3.1.1 and 5.0'
jsonrpc\t'JSON-RPC 2.0'
msgpack\t'MessagePack'
cbor\t'CBOR'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l grep -d 'Show only messages whose text or decoded view matches this regular expression (all are still counted)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l only -d 'Show only this side, this kind of message, or what breaks a rule (all are still counted)' -r -f -a "client\t'What the client sent'
server\t'What the server sent'
text\t'Text messages'
binary\t'Binary messages'
control\t'Control frames (close, ping, pong)'
violations\t'Frames, heads and messages that break RFC 6455 or the payload view\'s protocol'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l conn -d 'Show only connection N (#N in the output)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l protocol -d 'A subprotocol to accept when the client offers it (repeatable; the first one offered in this order wins)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l origin -d 'Accept only these Origin values (repeatable; others get 403); default: any' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l max-message -d 'Largest message accepted (close 1009 beyond); a number with an optional K, M or G (KiB, MiB, GiB)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l max-frame -d 'Largest frame payload accepted (close 1009 beyond); default: --max-message' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l max-head -d 'Largest handshake request head (431 beyond)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l handshake-timeout -d 'Seconds a client has to complete its handshake' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l idle-timeout -d 'Close (1001) a client silent for this many seconds; 0: never' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l ping-interval -d 'Ping a client silent for this many seconds; 0: never' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l close-timeout -d 'Seconds to wait for a client\'s close frame, and for it to hang up after the close handshake' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l max-connections -d 'Most clients at once; more get 503' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l cert -d 'The certificate chain to present (PEM), with --tls' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l key -d 'The certificate\'s private key (PEM), with --tls' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l tls-name -d 'A name (or address) the made certificate is also for, beside localhost, 127.0.0.1 and ::1 (repeatable)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l threads -d 'Threads that drive the clients, each a share of them [default: one per core]' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l record -d 'Record every connection\'s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l cases -d 'With --check: which cases (C.1, C.10-style ids, comma-separated, * as a wildcard)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l case-timeout -d 'With --check: seconds to wait for what the client should do' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l report -d 'With --check: also write DIR/client-N.html for each client that completes the battery' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -s t -l trace -d 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l json -d 'Write events as JSON Lines (the envelope of decode --json)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -s q -l quiet -d 'Print only errors'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l full -d 'Show whole payloads in --trace (default: the first 64 bytes of each)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l tls -d 'Listen with TLS (wss:// and https://): with --cert and --key, or a certificate signed by wsdbg\'s local CA (see `wsdbg ca`)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l deflate -d 'Accept permessage-deflate (RFC 7692) when a client offers it: compress what is sent, inflate what arrives'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l no-console -d 'Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l no-page -d 'Answer a plain GET (no Upgrade) with 426 Upgrade Required instead of the test page (at /: a page that connects back here; 404 elsewhere)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -l check -d 'Check each client that connects instead of serving it: one case of the client battery per connection (reconnect until closed with 4000); a report per client'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -s H -l header -d 'An extra request header (repeatable), e.g. -H \'Cookie: a=b\'' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l protocol -d 'Offer this subprotocol (repeatable, in order of preference)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l origin -d 'Send this Origin header' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -s m -l mode -d 'What to do with received messages' -r -f -a "send\t'Show them; send what stdin says'
echo\t'Send each message back with its type (the connection lasts until the server closes it)'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l timestamps -d 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection\'s previous one' -r -f -a "clock\t'The time of day (UTC)'
delta\t'Before each message, the time since the connection\'s previous one'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l payload -d 'Read payloads as an application protocol, shown under each message beside the raw payload' -r -f -a "auto\t'From the agreed subprotocol, else from the first message (said once per connection)'
raw\t'As bytes or text only'
json\t'JSON, laid out'
socketio\t'Engine.IO v4 and Socket.IO v5'
graphql\t'GraphQL over WebSocket (graphql-transport-ws, subscriptions-transport-ws)'
stomp\t'STOMP 1.0-1.2'
mqtt\t'MQTT 3.1.1 and 5.0'
jsonrpc\t'JSON-RPC 2.0'
msgpack\t'MessagePack'
cbor\t'CBOR'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l grep -d 'Show only messages whose text or decoded view matches this regular expression (all are still counted)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l only -d 'Show only this side, this kind of message, or what breaks a rule (all are still counted)' -r -f -a "client\t'What the client sent'
server\t'What the server sent'
text\t'Text messages'
binary\t'Binary messages'
control\t'Control frames (close, ping, pong)'
violations\t'Frames, heads and messages that break RFC 6455 or the payload view\'s protocol'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l conn -d 'Show only connection N (#N in the output)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l max-message -d 'Largest message accepted from the server (close 1009 beyond); K, M or G suffixes' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l connect-timeout -d 'Seconds to wait for the TCP connection and the server\'s handshake answer' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l close-timeout -d 'Seconds to wait for the server\'s close frame after ours, and for it to hang up' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l ping-interval -d 'Ping the server once it has been silent this many seconds (each pong shows its round trip; the closing line gives min/avg/max); 0: never' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l cacert -d 'wss://: trust the CA certificates in this PEM file too (besides the system\'s)' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l record -d 'Record every connection\'s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -s t -l trace -d 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l json -d 'Write events as JSON Lines (the envelope of decode --json)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -s q -l quiet -d 'Print only errors'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l full -d 'Show whole payloads in --trace (default: the first 64 bytes of each)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l deflate -d 'Offer permessage-deflate (RFC 7692): compress what is sent, inflate what arrives, when the server agrees'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -l insecure -d 'wss://: do not check the server\'s certificate at all (anyone on the way can read and change the traffic)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -s l -l listen -d 'Address to listen on for clients [default: 127.0.0.1:8081, with --forward 127.0.0.1:8888] (port 0 picks a free one; the address is printed on stderr)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l intercept-messages -d 'Hold messages from the start, as the console\'s /intercept does: [client|server|both] [TEXT|/REGEX/] (alone: every message from both ends)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l record -d 'Record every connection\'s bytes both ways into FILE as they cross the wire: a pcapng that Wireshark, tshark and `wsdbg decode` read (TLS as its plaintext), written as it happens' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l intercept -d 'With --forward: decrypt and show only CONNECTs to hosts matching this pattern (`*` for any run of characters; repeatable; default all), tunnel the others blind' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l timestamps -d 'Prefix events with the time (UTC), or with --timestamps delta messages with the time since the connection\'s previous one' -r -f -a "clock\t'The time of day (UTC)'
delta\t'Before each message, the time since the connection\'s previous one'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l payload -d 'Read payloads as an application protocol, shown under each message beside the raw payload' -r -f -a "auto\t'From the agreed subprotocol, else from the first message (said once per connection)'
raw\t'As bytes or text only'
json\t'JSON, laid out'
socketio\t'Engine.IO v4 and Socket.IO v5'
graphql\t'GraphQL over WebSocket (graphql-transport-ws, subscriptions-transport-ws)'
stomp\t'STOMP 1.0-1.2'
mqtt\t'MQTT 3.1.1 and 5.0'
jsonrpc\t'JSON-RPC 2.0'
msgpack\t'MessagePack'
cbor\t'CBOR'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l grep -d 'Show only messages whose text or decoded view matches this regular expression (all are still counted)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l only -d 'Show only this side, this kind of message, or what breaks a rule (all are still counted)' -r -f -a "client\t'What the client sent'
server\t'What the server sent'
text\t'Text messages'
binary\t'Binary messages'
control\t'Control frames (close, ping, pong)'
violations\t'Frames, heads and messages that break RFC 6455 or the payload view\'s protocol'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l conn -d 'Show only connection N (#N in the output)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l max-message -d 'Largest message decoded for display (larger ones still pass, shown as over the limit)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l connect-timeout -d 'Seconds to wait for the upstream\'s TCP connection and handshake answer' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l cacert -d 'TLS upstreams: trust the CA certificates in this PEM file too' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l cert -d 'The certificate chain to present (PEM), with --tls' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l key -d 'The certificate\'s private key (PEM), with --tls' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l tls-name -d 'A name (or address) the made certificate is also for, beside localhost, 127.0.0.1 and ::1 (repeatable)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l forward -d 'Be an HTTP proxy for any host (CONNECT and absolute URLs) instead of relaying to one URL'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l no-console -d 'Do not read console commands from stdin (by default: a prompt on a terminal, or one command per line from a pipe)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -s t -l trace -d 'Show every handshake header, the accept-key computation and every frame annotated, both ways'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l json -d 'Write events as JSON Lines (the envelope of decode --json)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -s q -l quiet -d 'Print only errors'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l full -d 'Show whole payloads in --trace (default: the first 64 bytes of each)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l insecure -d 'TLS upstreams: do not check their certificates at all'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -l tls -d 'Listen with TLS (wss:// and https://): with --cert and --key, or a certificate signed by wsdbg\'s local CA (see `wsdbg ca`)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand proxy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l cases -d 'Which cases: ids or patterns, comma-separated, Autobahn\'s spelling (5.*,6.4.*,H.2)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l report -d 'Also write DIR/index.html: one self-contained page, each case expandable to its frames' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l case-timeout -d 'Seconds to wait for what the server should do (an echo, a close) before giving up on it' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l messages -d 'Messages in each round-trip case (9.7, 9.8, 12.*, 13.*; Autobahn sends 1000): fewer for a quick run' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -s j -l jobs -d 'How many cases run at once, each on its own connection (1: one after another)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -s H -l header -d 'An extra request header on every connection (repeatable), e.g. -H \'Cookie: a=b\'' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l cacert -d 'wss://: trust the CA certificates in this PEM file too (besides the system\'s)' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -s v -l verbose -d 'Show every head and frame of each case, annotated, both ways'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l json -d 'Write results as JSON Lines (the envelope of decode --json)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l list -d 'List the cases (id and title) without running them'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -l insecure -d 'wss://: do not check the server\'s certificate at all'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l to -d 'Play the client\'s side against this server: ws://HOST:PORT/PATH or wss://... (no path: the recorded one)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -s l -l listen -d 'With --serve, the address to listen on (port 0 picks a free one; it is printed on stderr)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l conn -d 'Which WebSocket connection of the file (numbered as decode numbers them; needed when it holds several)' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -s H -l header -d 'Change a recorded request header, or add one (repeatable): \'NAME: VALUE\'; \'NAME:\' removes it' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l timing -d 'When each recorded frame is sent' -r -f -a "answers\t'Once the other side has sent what it had sent before the frame in the recording (or --wait passed)'
original\t'With the recorded gaps'
fast\t'As fast as the other side takes them'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l wait -d 'Seconds to wait for an answer before going on without it' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l ignore -d 'Leave out of the comparison (repeatable): a regex over text messages, or a JSON path such as $.id or $..timestamp' -r
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l cacert -d 'wss://: trust the CA certificates in this PEM file too (besides the system\'s)' -r -F
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l serve -d 'Play the server\'s side to a client that connects'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -s v -l verbose -d 'Show the answers that are equal too'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l json -d 'JSON Lines: the connection, each answer, the summary'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -l insecure -d 'wss://: do not check the server\'s certificate at all'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand ca" -l color -d 'When to colour the output' -r -f -a "auto\t'Colour when stdout is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsdbg -n "__fish_wsdbg_using_subcommand ca" -l path -d 'Print the certificate\'s path only'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand ca" -l pem -d 'Print the certificate (PEM) only'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand ca" -l spki -d 'Print the SPKI SHA-256 (base64) only, as Chromium\'s --ignore-certificate-errors-spki-list takes it'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand ca" -l regenerate -d 'Make a new CA, replacing the old one (what trusted the old one no longer trusts what wsdbg signs)'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand ca" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "accept-key" -d 'Compute (or check) Sec-WebSocket-Accept for a Sec-WebSocket-Key'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "decode" -d 'Annotate every frame in a dump: bit fields, lengths, masking, payload, violations'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "mask" -d 'XOR-mask or unmask a payload with a 4-byte key, or build a whole frame'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "serve" -d 'Run a conformant WebSocket server that shows every handshake and frame it sees'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "connect" -d 'Connect to a WebSocket server and show everything both ways; stdin lines are messages and commands'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "proxy" -d 'Relay WebSocket clients to a server, showing the traffic both ways as it passes'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "check" -d 'Check a WebSocket server against RFC 6455, case by case (Autobahn\'s cases and more), and say which rules it breaks'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "replay" -d 'Play a recorded connection again, to its server (--to) or to its client (--serve), and compare the answers with the recording\'s'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "ca" -d 'Show wsdbg\'s local certificate authority, and how to trust it'
complete -c wsdbg -n "__fish_wsdbg_using_subcommand help; and not __fish_seen_subcommand_from accept-key decode mask serve connect proxy check replay ca help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
