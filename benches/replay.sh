#!/usr/bin/env bash
# Replay speed: a recording of N messages (default 10,000) played again by
# `wsdbg replay` against a local echo (wsdbg serve -q), beside the live
# session that made it and websocat sending the same lines, in one run on
# one machine: wall time of each, median of the rounds, and the ratio of
# each to the live session.
#
# Usage: benches/replay.sh [--rounds N] [--messages N]
#
#   --rounds N     each command N times (default 5), in turn; the median
#   --messages N   messages in the recording (default 10000)
#
# The commands, each against the same echo on a free 127.0.0.1 port:
#   session      seq ... | wsdbg connect -q URL   (the live session: each
#                line a text message, then close 1000 and wait for the
#                server's close)
#   replay       wsdbg replay REC --to URL   (default pacing: each message
#                waits for the echoes recorded before it; then every echo
#                compared with the recorded one)
#   replay-fast  the same with --timing fast
#   websocat     seq ... | websocat -q URL   (sends the lines; exits at the
#                end of its input, so it waits for no echo: a lower bound)
# The recording is made once, by `seq ... | wsdbg connect -q --record REC`.
set -euo pipefail

ROUNDS=5
MESSAGES=10000
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --messages) MESSAGES=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. benches/echo/servers.sh
build_tools
if [ -z "$WSDBG_GIVEN" ]; then
    echo "== cargo build --release (wsdbg)"
    cargo build --release --quiet
fi
prepare_servers websocat wsdbg-q
TMPD=$(mktemp -d)
trap 'stop_servers; rm -rf "$TMPD"' EXIT
start_server wsdbg-q "$TMPD"
URL="ws://127.0.0.1:${PORT[wsdbg-q]}/replay"
REC="$TMPD/rec.pcapng"

lines() { seq -f "message %g of the recording" "$MESSAGES"; }
lines | "$WSDBG" connect -q --record "$REC" "$URL" >/dev/null
echo "== recorded $MESSAGES messages into $(du -h "$REC" | cut -f1)B: $("$WSDBG" replay "$REC" --json | python3 -c 'import json,sys; c=json.loads(sys.stdin.readline())["data"]; print(c["messages"]["client"], "client messages,", c["messages"]["server"], "echoes")')"

run() {
    case "$1" in
        session) lines | "$WSDBG" connect -q "$URL" >/dev/null ;;
        replay) "$WSDBG" replay "$REC" --to "$URL" >"$TMPD/replay.out" ;;
        replay-fast) "$WSDBG" replay "$REC" --to "$URL" --timing fast >"$TMPD/replay.out" ;;
        websocat) lines | "$WEBSOCAT" -q "$URL" >/dev/null ;;
    esac
}

COMMANDS=(session replay replay-fast)
[ -x "$WEBSOCAT" ] && COMMANDS+=(websocat)
declare -A TIMES=()
for r in $(seq "$ROUNDS"); do
    for c in "${COMMANDS[@]}"; do
        start=$(date +%s%N)
        run "$c"
        end=$(date +%s%N)
        TIMES[$c]+="$(((end - start) / 1000)) "
        if [[ $c == replay* ]] && ! grep -q "every answer matches" "$TMPD/replay.out"; then
            echo "!! $c round $r: the answers differ:" >&2
            tail -n 3 "$TMPD/replay.out" >&2
            exit 1
        fi
    done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
session=$(echo "${TIMES[session]}" | median)
echo
echo "$MESSAGES messages, $ROUNDS rounds, median wall time (ms) and ratio to the live session:"
printf '| %-12s | %9s | %6s |\n' command ms ratio
printf '|%s|%s|%s|\n' "--------------" "----------:" "-------:"
for c in "${COMMANDS[@]}"; do
    m=$(echo "${TIMES[$c]}" | median)
    python3 -c 'import sys; c, m, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]); print(f"| {c:<12} | {m / 1000:9.1f} | {m / s:6.2f} |")' "$c" "$m" "$session"
done
