#!/usr/bin/env bash
# decode on a capture beside tshark, in one run on one machine: time and
# peak memory of `wsdbg decode --json` and `tshark -r F -Y websocket -T
# json` on the same pcap, their ratio; then wsdbg's peak memory on a
# capture of about 1 GiB (bounded by the largest message, not the file).
#
# Usage: benches/capture.sh [--runs N] [--messages N] [--mib M]
#
#   --runs N      runs of each tool on the small capture, interleaved
#                 (default 5); the medians are reported
#   --messages N  text messages each way in the small capture (default
#                 20000: 40,000 frames, about 6.5 MB)
#   --mib M       size of the large capture in MiB of 1 MiB messages
#                 (default 1024; 0 skips it)
#
# The captures are written by benches/capture/make.py (Ethernet, IPv4,
# TCP, the upgrade handshake, then the messages), so no capture privilege
# or WebSocket peer is needed. Each run's output goes to /dev/null; the
# frame counts of both tools are checked against what was written.
set -euo pipefail

RUNS=5
MESSAGES=20000
MIB=1024
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --messages) MESSAGES=$2; shift 2 ;;
        --mib) MIB=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "capture.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
command -v tshark >/dev/null || { echo "capture.sh: needs tshark (apt-get install tshark)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "capture.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
echo "== cargo build --release (wsdbg)"
cargo build --release --quiet
WSDBG=$ROOT/target/release/wsdbg
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

SMALL=$TMPD/small.pcap
python3 benches/capture/make.py small "$SMALL" --messages "$MESSAGES"
FRAMES=$((MESSAGES * 2))
echo "== $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(tshark --version | head -1), $(date -u +%FT%RZ)"
echo "== small capture: $(stat -c %s "$SMALL") bytes, $FRAMES frames"

# measure LABEL CMD...: seconds and peak KiB, output to /dev/null.
measure() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$TMPD/t" "$@" > "$TMPD/out" 2>/dev/null || true
    echo "$label $(cat "$TMPD/t")"
}
got=$("$WSDBG" decode --json "$SMALL" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["frames"])')
[ "$got" = "$FRAMES" ] || { echo "capture.sh: wsdbg found $got frames, not $FRAMES" >&2; exit 1; }
got=$(tshark -r "$SMALL" -Y websocket 2>/dev/null | wc -l)
[ "$got" = "$FRAMES" ] || { echo "capture.sh: tshark found $got frames, not $FRAMES" >&2; exit 1; }
for r in $(seq "$RUNS"); do
    measure wsdbg "$WSDBG" decode --json "$SMALL"
    measure tshark tshark -r "$SMALL" -Y websocket -T json
done | tee "$TMPD/runs"
python3 - "$TMPD/runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, secs, kib = line.split()
    runs.setdefault(label, []).append((float(secs), int(kib)))
med = {k: (statistics.median(s for s, _ in v), statistics.median(m for _, m in v)) for k, v in runs.items()}
print()
print("| small capture (median of %d) | seconds | peak RSS (MiB) |" % len(runs["wsdbg"]))
print("|---|---:|---:|")
print("| wsdbg decode --json | %.2f | %.1f |" % (med["wsdbg"][0], med["wsdbg"][1] / 1024))
print("| tshark -Y websocket -T json | %.2f | %.1f |" % (med["tshark"][0], med["tshark"][1] / 1024))
ratio = med["tshark"][0] / max(med["wsdbg"][0], 0.01)
print("| **tshark / wsdbg, time** | **%.0fx** | |" % ratio)
PY

if [ "$MIB" -gt 0 ]; then
    BIG=$TMPD/big.pcap
    python3 benches/capture/make.py big "$BIG" --mib "$MIB"
    echo
    echo "== large capture: $(stat -c %s "$BIG") bytes, $MIB messages of 1 MiB"
    /usr/bin/time -f "%e %M" -o "$TMPD/t" "$WSDBG" decode --json "$BIG" > "$TMPD/out"
    read -r secs kib < "$TMPD/t"
    frames=$(tail -1 "$TMPD/out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["frames"])')
    echo "| large capture | seconds | peak RSS (MiB) | frames |"
    echo "|---|---:|---:|---:|"
    printf '| wsdbg decode --json | %s | %.1f | %s |\n' "$secs" "$(echo "$kib / 1024" | bc -l)" "$frames"
fi
