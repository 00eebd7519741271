#!/usr/bin/env bash
# Streams SIZE bytes (default 1G) through `cat` and through
# `wsdbg mask --key 3d542306 --output raw`, same source and same sink, and
# reports the mean times, the ratio cat_time / wsdbg_time (the issue requires
# >= 0.7) and wsdbg's peak resident memory on that input.
#
# Usage: benches/stream.sh [SIZE]      SIZE as `head -c` takes it: 1G, 256M, 1073741824
# Env:   RUNS (default 10), WARMUP (default 2)
set -euo pipefail

SIZE="${1:-1G}"
RUNS="${RUNS:-10}"
WARMUP="${WARMUP:-2}"
KEY=3d542306

cd "$(dirname "$0")/.."

missing=0
if ! command -v hyperfine >/dev/null 2>&1; then
    echo "hyperfine is missing: apt-get install hyperfine (or cargo install hyperfine)" >&2
    missing=1
fi
if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time is missing: apt-get install time" >&2
    missing=1
fi
if ! command -v jq >/dev/null 2>&1 && ! command -v python3 >/dev/null 2>&1; then
    echo "need jq or python3 to read hyperfine's JSON: apt-get install jq" >&2
    missing=1
fi
[ "$missing" -eq 0 ] || exit 1

echo "== cargo build --release"
cargo build --release --quiet
WSDBG="$PWD/target/release/wsdbg"
[ -x "$WSDBG" ] || { echo "no binary at $WSDBG" >&2; exit 1; }

# Sanity: masking twice gives the input back (odd length, so the key
# phase crosses chunk boundaries), and one pass does change it.
SAMPLE=$(mktemp /tmp/wsdbg-stream-sample.XXXXXX)
head -c 1000003 /dev/urandom >"$SAMPLE"
if ! "$WSDBG" mask --key "$KEY" --output raw <"$SAMPLE" \
        | "$WSDBG" mask --key "$KEY" --output raw | cmp -s - "$SAMPLE" \
    || "$WSDBG" mask --key "$KEY" --output raw <"$SAMPLE" | cmp -s - "$SAMPLE"; then
    rm -f "$SAMPLE"
    echo "FAIL: wsdbg mask does not round-trip" >&2
    exit 1
fi
rm -f "$SAMPLE"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== hyperfine: $SIZE from /dev/zero to /dev/null, $RUNS runs, $WARMUP warm-up"

JSON=$(mktemp /tmp/wsdbg-stream.XXXXXX.json)
trap 'rm -f "$JSON"' EXIT

hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$JSON" \
    -n cat "head -c $SIZE /dev/zero | cat > /dev/null" \
    -n wsdbg "head -c $SIZE /dev/zero | $WSDBG mask --key $KEY --output raw > /dev/null"

mean() {
    if command -v jq >/dev/null 2>&1; then
        jq -r ".results[] | select(.command == \"$1\") | .mean" "$JSON"
    else
        python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["command"] == sys.argv[2]: print(r["mean"])' "$JSON" "$1"
    fi
}
CAT_T=$(mean cat)
WS_T=$(mean wsdbg)
BYTES=$(head -c "$SIZE" /dev/zero | wc -c)

echo "== peak memory: /usr/bin/time -v on the wsdbg pipeline stage"
RSS_KB=$(head -c "$SIZE" /dev/zero \
    | /usr/bin/time -v "$WSDBG" mask --key "$KEY" --output raw 2>&1 >/dev/null \
    | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
CAT_RSS_KB=$(head -c "$SIZE" /dev/zero \
    | /usr/bin/time -v cat 2>&1 >/dev/null \
    | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')

awk -v c="$CAT_T" -v w="$WS_T" -v b="$BYTES" -v r="$RSS_KB" -v cr="$CAT_RSS_KB" 'BEGIN {
    printf "cat   mean: %.3f s  (%.2f GiB/s)\n", c, b / c / 1073741824
    printf "wsdbg mean: %.3f s  (%.2f GiB/s)\n", w, b / w / 1073741824
    printf "cat peak RSS: %.1f MiB\n", cr / 1024
    printf "throughput ratio (cat / wsdbg time): %.2f%s\n", c / w, (c / w >= 0.7 ? "" : "  (below the required 0.7)")
    printf "wsdbg peak RSS: %.1f MiB\n", r / 1024
}'
