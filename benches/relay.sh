#!/usr/bin/env bash
# Relay throughput: `wsdbg proxy` beside websocat as a relay, in one run on
# one machine, with the same load client and the same echo upstream: round
# trips per second through each relay at the load points of echo.sh, and
# their ratio.
#
# Usage: benches/relay.sh [--rounds N] [--duration SECS] [--warmup SECS]
#                         [--points LIST]
#
#   --rounds N       each relay at each point N times (default 3), the order
#                    alternating from round to round; the median is reported
#   --duration SECS  counted seconds per measurement (default 5)
#   --warmup SECS    uncounted seconds before that (default 1)
#   --points LIST    comma-separated SIZExCONNS (default 64x1,64x16,64x64,1Mx2)
#
# The upstream is the bare echo of benches/echo (one blocking thread per
# connection, no checks), started once per point. The relays:
#   websocat  websocat -b -B 4194304 ws-l:127.0.0.1:PORT ws://127.0.0.1:UP/
#   wsdbg     target/release/wsdbg proxy -q --no-console --listen 127.0.0.1:PORT ws://127.0.0.1:UP/
#   wsdbg-before  the same with $WSDBG_BEFORE, when set: an older wsdbg, to
#             measure a change before and after in one run
# The load client is benches/echo/src/wsload.rs, against the relay's port.
# Everything runs on CPU 0 (taskset), as echo.sh's `--pin same`: on this VM
# unpinned figures wander by up to 25% between two runs of the same thing.
set -euo pipefail

ROUNDS=3
DURATION=5
WARMUP=1
POINTS=64x1,64x16,64x64,1Mx2
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --points) POINTS=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "relay.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
. benches/echo/servers.sh
build_tools
prepare_servers websocat bare-echo
echo "== cargo build --release (wsdbg)"
cargo build --release --quiet
PIN=(taskset -c 0)

TMPD=$(mktemp -d)
UP_PID=
RELAY_PID=
cleanup() {
    for p in $RELAY_PID $UP_PID; do
        kill -TERM "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_relay() { # NAME UPSTREAM_PORT: sets RELAY_PID and RELAY_PORT
    local port
    port=$("$WSLOAD" --free-port)
    case "$1" in
        websocat) "${PIN[@]}" "$WEBSOCAT" -b -B 4194304 "ws-l:127.0.0.1:$port" "ws://127.0.0.1:$2/" \
            >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg) "${PIN[@]}" "$WSDBG" proxy -q --no-console --listen "127.0.0.1:$port" "ws://127.0.0.1:$2/" \
            >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg-before) "${PIN[@]}" "$WSDBG_BEFORE" proxy -q --listen "127.0.0.1:$port" "ws://127.0.0.1:$2/" \
            >"$TMPD/$1.log" 2>&1 </dev/null & ;;
    esac
    RELAY_PID=$!
    "$WSLOAD" "127.0.0.1:$port" --wait 20 --server-pid "$RELAY_PID" >/dev/null
    RELAY_PORT=$port
}

stop_pid() {
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 30); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

RESULTS="$TMPD/results.tsv"
IFS=, read -r -a points <<<"$POINTS"
for point in "${points[@]}"; do
    size=${point%x*}
    conns=${point#*x}
    up=$("$WSLOAD" --free-port)
    "${PIN[@]}" "$BARE" "127.0.0.1:$up" </dev/null >"$TMPD/upstream.log" 2>&1 &
    UP_PID=$!
    "$WSLOAD" "127.0.0.1:$up" --wait 20 --server-pid "$UP_PID" >/dev/null
    for round in $(seq "$ROUNDS"); do
        order=(websocat wsdbg)
        [ $((round % 2)) -eq 0 ] && order=(wsdbg websocat)
        if [ -n "${WSDBG_BEFORE:-}" ]; then
            all=(websocat wsdbg wsdbg-before)
            order=("${all[@]:$((round % 3))}" "${all[@]:0:$((round % 3))}")
        fi
        for relay in "${order[@]}"; do
            start_relay "$relay" "$up"
            line=$("${PIN[@]}" "$WSLOAD" "127.0.0.1:$RELAY_PORT" --conns "$conns" --size "$size" \
                --warmup "$WARMUP" --duration "$DURATION" --server-pid "$RELAY_PID")
            rt=$(sed -n 's/.*rt_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
            printf '%s\t%s\t%s\t%s\n' "$relay" "$point" "$round" "$rt" >>"$RESULTS"
            echo "$relay $point round $round: $line"
            stop_pid "$RELAY_PID"
            RELAY_PID=
        done
    done
    stop_pid "$UP_PID"
    UP_PID=
done

python3 - "$RESULTS" "$POINTS" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
points = sys.argv[2].split(",")
med = {}
for relay, point, _, rt in rows:
    med.setdefault((relay, point), []).append(float(rt))
print()
print("| round trips/s (median) | " + " | ".join(p.replace("x", " B × ").replace("1M B", "1 MiB") for p in points) + " |")
print("|---|" + "---:|" * len(points))
for relay, name in (("websocat", "websocat -b -B 4194304 (relay)"), ("wsdbg", "wsdbg proxy -q"), ("wsdbg-before", "wsdbg proxy -q (before)")):
    if not any(r == relay for r, _ in med):
        continue
    cells = [f"{statistics.median(med[(relay, p)]):,.0f}" if (relay, p) in med else "–" for p in points]
    print(f"| {name} | " + " | ".join(cells) + " |")
ratios = []
for p in points:
    if ("websocat", p) in med and ("wsdbg", p) in med:
        ratios.append(f"{statistics.median(med[('wsdbg', p)]) / statistics.median(med[('websocat', p)]):.2f}")
    else:
        ratios.append("–")
print("| **wsdbg proxy / websocat** | " + " | ".join(f"**{r}**" for r in ratios) + " |")
EOF
