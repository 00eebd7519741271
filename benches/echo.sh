#!/usr/bin/env bash
# Closed-loop WebSocket echo throughput of several servers, side by side, in
# one run on one machine: round trips per second at four load points and the
# ratios that matter for `wsdbg serve`.
#
# Usage: benches/echo.sh [--rounds N] [--duration SECS] [--warmup SECS]
#                        [--servers LIST] [--points LIST] [--pin MODE]
#                        [--quiet SECS] [--retries N] [--client plain|tungstenite]
#
#   --rounds N       measure every server at every point N times (default 3)
#                    and report the median; the order of the servers rotates
#                    from round to round
#   --duration SECS  counted seconds per measurement (default 5)
#   --warmup SECS    uncounted seconds before that (default 1)
#   --servers LIST   comma-separated, from: websocat,node-ws,bare-echo,
#                    wsdbg-q,wsdbg-trace (default: all), websocat-default,
#                    wsdbg-record-q (serve -q --record FILE: what recording
#                    costs), wsdbg-trace-raw (serve --trace --payload raw:
#                    with wsdbg-trace, what reading payloads costs) and
#                    wsdbg-before-q (WSDBG_BEFORE=/path/to/an/older/wsdbg:
#                    its serve -q, to measure a change before and after)
#   --points LIST    comma-separated SIZExCONNS (default 64x1,64x16,64x64,1Mx2;
#                    SIZE takes K and M suffixes for KiB and MiB)
#   --pin MODE       where the servers and the client run (taskset):
#                    none: wherever the scheduler puts them;
#                    split: servers on CPU 0, the client on CPU 1;
#                    same: both on CPU 0;
#                    auto (default): split at 1 connection, same above.
#                    See benches/README.md: on this VM a 1-connection echo
#                    is up to 14x faster when both share a CPU, unpinned
#                    runs land on either side by chance, and unpinned
#                    figures at 16 and 64 connections differ by up to 25%
#                    between two copies of the same server; with `same`
#                    they agree within 3%.
#   --quiet SECS     before each measurement, wait up to SECS (default 60;
#                    0: never) until other processes use under 15% of one
#                    core over half a second on the CPUs the measurement
#                    uses (the servers are idle then, so all that runs is
#                    other work)
#   --client KIND    the load client: plain (default; wsload's own framing,
#                    as cheap as it gets) or tungstenite (each connection a
#                    tungstenite 0.28 client: heavier per message, as real
#                    clients are)
#   --json           the plain client sends text messages of JSON (an
#                    object padded to SIZE, at least 50 bytes) instead of
#                    binary ones: what `serve --payload` reads as JSON
#   --retries N      measure again, up to N times (default 2), when other
#                    processes took over 10% of a core meanwhile on the CPUs
#                    the measurement uses; the cleanest try is kept
#
# Servers (benches/echo/servers.sh), each on a free 127.0.0.1 port, started
# at the start of each point (with that point's pinning) and stopped at its
# end, and always on an error or Ctrl-C:
#   websocat     websocat -B 4194304 -b ws-l:127.0.0.1:PORT mirror:
#                (installed into target/peers with cargo when missing)
#   websocat-default  the same without -B (not in the default list: its
#                64 KiB buffer splits 1 MiB messages, and the client says so)
#   node-ws      benches/echo/node/server.js, ws with perMessageDeflate off
#                (npm ci when node_modules is missing)
#   bare-echo    benches/echo/src/bare_echo.rs: thread per connection, no checks
#   wsdbg-q      target/release/wsdbg serve -q --listen 127.0.0.1:PORT
#   wsdbg-trace  target/release/wsdbg serve --trace --listen ... > file
# A server that cannot be had is skipped with a notice; the wsdbg entries are
# skipped while `wsdbg serve --help` fails.
#
# The load client is benches/echo/src/wsload.rs (plain std::net TCP, one
# thread per connection, TCP_NODELAY): each connection sends a masked binary
# message, waits for the whole echo, checks length and content, repeats.
# benches/echo/table.py turns the results into the markdown tables.
set -euo pipefail

ROUNDS=3
DURATION=5
WARMUP=1
SERVERS=websocat,node-ws,bare-echo,wsdbg-q,wsdbg-trace
[ -n "${WSDBG_BEFORE:-}" ] && SERVERS="$SERVERS,wsdbg-before-q"
POINTS=64x1,64x16,64x64,1Mx2
PIN=auto
QUIET=60
RETRIES=2
OTHER_MAX=10
CLIENT=plain
JSON=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --servers) SERVERS="$2"; shift 2 ;;
        --points) POINTS="$2"; shift 2 ;;
        --pin) PIN="$2"; shift 2 ;;
        --quiet) QUIET="$2"; shift 2 ;;
        --retries) RETRIES="$2"; shift 2 ;;
        --client) CLIENT="$2"; shift 2 ;;
        --json) JSON=(--json); shift ;;
        -h|--help) usage 0 ;;
        *) echo "echo.sh: unknown argument $1" >&2; usage 2 >&2 ;;
    esac
done
case "$PIN" in auto|split|same|none) ;; *) echo "echo.sh: --pin is auto, none, split or same" >&2; exit 2 ;; esac
case "$CLIENT" in plain|tungstenite) ;; *) echo "echo.sh: --client is plain or tungstenite" >&2; exit 2 ;; esac
if [ ${#JSON[@]} -gt 0 ] && [ "$CLIENT" != plain ]; then echo "echo.sh: --json is for the plain client" >&2; exit 2; fi
if [ "$PIN" != none ] && { [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; }; then
    echo "echo.sh: --pin $PIN needs 2 CPUs and taskset (util-linux); use --pin none" >&2
    exit 2
fi

cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
. benches/echo/servers.sh

TMPD=$(mktemp -d /tmp/wsdbg-echo.XXXXXX)
CLIENT_PID=
cleanup() {
    [ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
    stop_servers
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'echo "echo.sh: interrupted" >&2; exit 130' INT TERM

build_tools
IFS=, read -r -a wanted <<<"$SERVERS"
prepare_servers "${wanted[@]}"
[ ${#READY[@]} -gt 0 ] || { echo "echo.sh: no server to measure" >&2; exit 1; }

# idle_ticks: idle + iowait ticks of the CPUs in $CPUS (all when empty) and
# how many CPUs that is, from /proc/stat (its idle time is exact, unlike
# its tick-sampled busy fields).
idle_ticks() {
    awk -v list=",$CPUS," '/^cpu[0-9]/ {
        if (list == ",," || index(list, "," substr($1, 4) ",")) { t += $5 + $6; n++ }
    } END { print t, n }' /proc/stat
}
# others_pct SECS: CPU used on those CPUs over SECS, in % of one core.
# Called while the servers are idle, it is other work.
others_pct() {
    local a b
    a=$(idle_ticks)
    sleep "$1"
    b=$(idle_ticks)
    echo "$1 $a $b" | awk '{ v = $3 * 100 - ($4 - $2) / $1; print (v < 0 ? 0 : int(v)) }'
}
wait_quiet() {
    local end=$((SECONDS + QUIET)) o said=
    while [ "$QUIET" -gt 0 ]; do
        o=$(others_pct 0.5)
        [ "$o" -lt 15 ] && return 0
        if [ -z "$said" ]; then
            echo "   (others use ${o}% of a core: waiting up to ${QUIET} s for a quiet machine)"
            said=yes
        fi
        if [ "$SECONDS" -ge "$end" ]; then
            echo "   (still busy after ${QUIET} s: measuring anyway)"
            return 0
        fi
    done
}

# measure SERVER POINT ROUND: one measurement, repeated when others took
# over OTHER_MAX % of a core; appends the cleanest try to $RESULTS.
measure() {
    local s=$1 point=$2 round=$3 size=${2%x*} conns=${2#*x} pid=${PID[$1]}
    local try status line cc sc mc other best="" best_other=""
    for try in $(seq 0 "$RETRIES"); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$point round $round $s: server is gone (see ${LOG[$s]})"
            break
        fi
        wait_quiet
        "${CLIENT_CPU[@]}" "$WSLOAD" "127.0.0.1:${PORT[$s]}" --conns "$conns" --size "$size" \
            --warmup "$WARMUP" --duration "$DURATION" --server-pid "$pid" ${CPUS:+--cpus "$CPUS"} --client "$CLIENT" "${JSON[@]}" \
            >"$TMPD/out" 2>"$TMPD/err" &
        CLIENT_PID=$!
        status=0
        wait "$CLIENT_PID" || status=$?
        CLIENT_PID=
        if [ "$status" -ne 0 ]; then
            echo "$point round $round $s: FAILED: $(cat "$TMPD/err")"
            break
        fi
        line=$(cat "$TMPD/out")
        get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$line"; }
        cc=$(get client_cpu) sc=$(get server_cpu) mc=$(get machine_cpu)
        # CPU that other processes took meanwhile, in % of one core.
        other=$((${mc%\%} - ${cc%\%} - ${sc%\%}))
        printf '%-6s round %s %-12s %10.0f rt/s  CPU: client %4s server %4s others %3s%%  per conn %s..%s\n' \
            "$point" "$round" "$s" "$(get rt_per_s)" "$cc" "$sc" "$other" \
            "$(get conn_min | cut -d. -f1)" "$(get conn_max | cut -d. -f1)"
        if [ -z "$best" ] || [ "$other" -lt "$best_other" ]; then
            best=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s' "$s" "$point" "$round" "$(get rt_per_s)" "$cc" "$sc" "$other")
            best_other=$other
        fi
        [ "$other" -le "$OTHER_MAX" ] && break
        [ "$try" -lt "$RETRIES" ] && echo "   (others took ${other}% of a core: measuring again)"
    done
    if [ -n "$best" ]; then
        echo "$best" >>"$RESULTS"
    else
        printf '%s\t%s\t%s\t-\t-\t-\t-\n' "$s" "$point" "$round" >>"$RESULTS"
    fi
}

IFS=, read -r -a points <<<"$POINTS"
RESULTS="$TMPD/results.tsv"
: >"$RESULTS"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $ROUNDS round(s) x ${#points[@]} point(s) x ${#READY[@]} server(s), ${WARMUP} s warm-up + ${DURATION} s each, pin: $PIN, client: $CLIENT${JSON:+, JSON text messages}"

for point in "${points[@]}"; do
    conns=${point#*x}
    pin=$PIN
    if [ "$pin" = auto ]; then
        if [ "$conns" = 1 ]; then pin="split"; else pin="same"; fi
    fi
    SERVER_CPU=()
    CLIENT_CPU=()
    CPUS= # the CPUs the measurement uses, where other work is looked for (empty: all)
    case "$pin" in
        split) SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1) ;;
        same) SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 0) CPUS=0 ;;
    esac
    RUNNING=()
    for s in "${READY[@]}"; do
        start_server "$s" "$TMPD" "${SERVER_CPU[@]}" || true
    done
    echo "== $point (pin: $pin): ${RUNNING[*]}"
    n=${#RUNNING[@]}
    for round in $(seq 1 "$ROUNDS"); do
        for i in $(seq 0 $((n - 1))); do
            measure "${RUNNING[$(((i + round - 1) % n))]}" "$point" "$round"
        done
    done
    if [ -n "${PID[wsdbg-trace]:-}" ]; then
        echo "== wsdbg --trace wrote $(du -h "$TRACE_FILE" | cut -f1) of trace at $point"
    fi
    stop_servers
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

mkdir -p "$ROOT/target/bench-echo"
KEEP="$ROOT/target/bench-echo/results-$(date -u +%Y%m%dT%H%M%SZ).tsv"
cp "$RESULTS" "$KEEP"
echo "== results kept in ${KEEP#"$ROOT"/}; tables again: python3 benches/echo/table.py FILE $POINTS '${READY[*]}' $ROUNDS $OTHER_MAX"
echo
python3 "$ROOT/benches/echo/table.py" "$RESULTS" "$POINTS" "${READY[*]}" "$ROUNDS" "$OTHER_MAX"
