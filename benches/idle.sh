#!/usr/bin/env bash
# Memory per idle WebSocket connection: opens N connections to a server, each
# completes the handshake and then sits idle, and reads the server process's
# resident memory (VmRSS in /proc/PID/status) before and after.
#
# Usage: benches/idle.sh [-n N] [SERVER...]
#
#   -n N     connections (default 10000)
#   SERVER   any of websocat, websocat-default, node-ws, bare-echo, wsdbg-q
#            (default: all of them; wsdbg-q is skipped while `wsdbg serve
#            --help` fails). websocat is the echo.sh entry, with -B 4194304;
#            websocat-default is the same without -B (64 KiB buffers), and
#            costs more memory: see benches/README.md.
#
# Each server is started fresh on a free 127.0.0.1 port (the same entries as
# benches/echo.sh, benches/echo/servers.sh), measured, and stopped. The
# client is `wsload --idle N` (benches/echo/src/wsload.rs): one thread opens
# the connections one after the other and holds them. Prints, per server,
# VmRSS before and after, (after - before) / N in KiB, the server's thread
# count, and the growth of the kernel's thread stacks (KernelStack in
# /proc/meminfo, machine-wide; the client adds no threads, so for a
# thread-per-connection server this is the kernel memory its threads cost,
# which VmRSS does not show).
#
# Needs N + 200 open files per process: the soft `ulimit -n` is raised up to
# the hard limit here when it is lower.
set -euo pipefail

N=10000
servers=()
while [ $# -gt 0 ]; do
    case "$1" in
        -n) N="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "idle.sh: unknown option $1" >&2; exit 2 ;;
        *) servers+=("$1"); shift ;;
    esac
done
[ ${#servers[@]} -gt 0 ] || servers=(websocat websocat-default node-ws bare-echo wsdbg-q)

cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
. benches/echo/servers.sh

need=$((N + 200))
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
    echo "idle.sh: $N connections need $need open files, the hard limit (ulimit -Hn) is $hard" >&2
    exit 1
fi
if [ "$soft" != unlimited ] && [ "$soft" -lt "$need" ]; then
    ulimit -Sn "$need"
    echo "== raised the soft limit of open files from $soft to $need"
fi

TMPD=$(mktemp -d /tmp/wsdbg-idle.XXXXXX)
CLIENT_PID=
cleanup() {
    [ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
    stop_servers
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'echo "idle.sh: interrupted" >&2; exit 130' INT TERM

build_tools
prepare_servers "${servers[@]}"
[ ${#READY[@]} -gt 0 ] || { echo "idle.sh: no server to measure" >&2; exit 1; }

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
meminfo_kib() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== $N idle connections per server; load average $(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for s in "${READY[@]}"; do
    start_server "$s" "$TMPD" || continue
    pid=${PID[$s]}
    sleep 1
    rss0=$(status_kib "$pid" VmRSS)
    kst0=$(meminfo_kib KernelStack)
    t0=$(date +%s.%N)
    "$WSLOAD" "127.0.0.1:${PORT[$s]}" --idle "$N" --hold 600 >"$TMPD/idle.out" 2>"$TMPD/idle.err" &
    CLIENT_PID=$!
    while ! grep -q '^ready' "$TMPD/idle.out"; do
        if ! kill -0 "$CLIENT_PID" 2>/dev/null; then
            echo "$s: the client failed: $(cat "$TMPD/idle.err")"
            break
        fi
        sleep 0.2
    done
    if grep -q '^ready' "$TMPD/idle.out"; then
        secs=$(echo "$(date +%s.%N) - $t0" | bc)
        sleep 2 # let the server settle
        if kill -0 "$pid" 2>/dev/null; then
            rss1=$(status_kib "$pid" VmRSS)
            kst1=$(meminfo_kib KernelStack)
            threads=$(status_kib "$pid" Threads)
            per=$(echo "scale=1; ($rss1 - $rss0) / $N" | bc)
            kper=$(echo "scale=1; ($kst1 - $kst0) / $N" | bc)
            printf '%s: VmRSS %s KiB -> %s KiB, %s KiB per connection; %s threads; kernel stacks +%s KiB per connection; connected in %.1f s\n' \
                "$s" "$rss0" "$rss1" "$per" "$threads" "$kper" "$secs"
            rows+=("$s|$rss0|$rss1|$per|$threads|$kper")
        else
            echo "$s: the server died with $N connections (see its log)"
            tail -n 5 "${LOG[$s]}" || true
        fi
    fi
    kill "$CLIENT_PID" 2>/dev/null || true
    wait "$CLIENT_PID" 2>/dev/null || true
    CLIENT_PID=
    stop_server "$s"
done

echo
echo "| $N idle connections | VmRSS before (KiB) | after (KiB) | **KiB per connection** | threads | kernel stacks, KiB per connection |"
echo "|---|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do
    IFS='|' read -r s a b per th k <<<"$r"
    echo "| $s | $a | $b | **$per** | $th | $k |"
done
