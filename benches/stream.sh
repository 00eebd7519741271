#!/usr/bin/env bash
# Streams SIZE bytes (default 1G) through `cat` and through
# `wsdbg mask --key 3d542306 --output raw`, same source and same sink, and
# reports the mean times, the ratio cat_time / wsdbg_time (the issue requires
# >= 0.7) and wsdbg's peak resident memory on that input.
#
# Usage: benches/stream.sh [SIZE]      SIZE as `head -c` takes it: 1G, 256M, 1073741824
# Env:   ROUNDS (default 10) hyperfine rounds of RUNS (default 3) runs each,
#        WARMUP (default 1) warm-up run per command and round.
#
# Pipe throughput on a small VM swings 2-3x from run to run and drifts over
# tens of seconds (scheduling, other load). One hyperfine call runs all of
# cat and then all of wsdbg, which turns drift into a bias of either sign,
# so the script alternates short rounds and pools all runs of each command.
set -euo pipefail

SIZE="${1:-1G}"
RUNS="${RUNS:-3}"
ROUNDS="${ROUNDS:-10}"
WARMUP="${WARMUP:-1}"
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
if ! command -v jq >/dev/null 2>&1; then
    echo "jq is missing (reads hyperfine's JSON): apt-get install jq" >&2
    missing=1
fi
[ "$missing" -eq 0 ] || exit 1

echo "== cargo build --release"
cargo build --release --quiet
WSDBG="$PWD/target/release/wsdbg"
[ -x "$WSDBG" ] || { echo "no binary at $WSDBG" >&2; exit 1; }

# Sanity: masking twice gives the input back, and one pass does change it.
# The second pass reads a pipe, in pieces of whatever size it delivers, and
# the length is odd, so the key phase has to carry across reads.
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
echo "== hyperfine: $SIZE from /dev/zero to /dev/null, $ROUNDS rounds of $RUNS runs (+$WARMUP warm-up) per command"

TMPD=$(mktemp -d /tmp/wsdbg-stream.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT

for round in $(seq 1 "$ROUNDS"); do
    hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMPD/$round.json" \
        -n cat "head -c $SIZE /dev/zero | cat > /dev/null" \
        -n wsdbg "head -c $SIZE /dev/zero | $WSDBG mask --key $KEY --output raw > /dev/null" \
        2>"$TMPD/hyperfine.err" || { cat "$TMPD/hyperfine.err" >&2; exit 1; }
    # (its stderr holds only "statistical outliers" warnings when it works:
    # expected here, and the reason for the pooling)
    jq -r --arg r "$round/$ROUNDS" '"round \($r): " + ([.results[] | "\(.command) \(.mean * 1000 | floor) ms"] | join(", "))' \
        "$TMPD/$round.json"
done

# stat COMMAND: "mean stddev median min" over the pooled runs of COMMAND.
stat() {
    jq -rs --arg c "$1" '
        [.[].results[] | select(.command == $c) | .times[]] | sort as $t
        | ($t | length) as $n | ($t | add / $n) as $m
        | [$m,
           (($t | map((. - $m) * (. - $m)) | add) / ($n - 1) | sqrt),
           (if $n % 2 == 1 then $t[($n - 1) / 2] else ($t[$n / 2 - 1] + $t[$n / 2]) / 2 end),
           $t[0]]
        | map(tostring) | join(" ")' "$TMPD"/*.json
}
read -r CAT_T CAT_SD CAT_MED CAT_MIN < <(stat cat)
read -r WS_T WS_SD WS_MED WS_MIN < <(stat wsdbg)
BYTES=$(head -c "$SIZE" /dev/zero | wc -c)

echo "== peak memory: /usr/bin/time -v on the wsdbg pipeline stage"
RSS_KB=$(head -c "$SIZE" /dev/zero \
    | /usr/bin/time -v "$WSDBG" mask --key "$KEY" --output raw 2>&1 >/dev/null \
    | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
# The same on 1 MiB: constant memory means the two peaks are about equal.
SMALL_RSS_KB=$(head -c 1M /dev/zero \
    | /usr/bin/time -v "$WSDBG" mask --key "$KEY" --output raw 2>&1 >/dev/null \
    | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
CAT_RSS_KB=$(head -c "$SIZE" /dev/zero \
    | /usr/bin/time -v cat 2>&1 >/dev/null \
    | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')

N=$((ROUNDS * RUNS))
awk -v n="$N" -v c="$CAT_T" -v w="$WS_T" -v cs="$CAT_SD" -v ws="$WS_SD" -v cm="$CAT_MED" -v wm="$WS_MED" \
    -v cmin="$CAT_MIN" -v wmin="$WS_MIN" \
    -v b="$BYTES" -v r="$RSS_KB" -v sr="$SMALL_RSS_KB" -v cr="$CAT_RSS_KB" 'BEGIN {
    printf "== %d runs each, pooled\n", n
    printf "cat   mean: %.3f s ± %.3f  median %.3f s  min %.3f s  (mean %.2f GiB/s)\n", c, cs, cm, cmin, b / c / 1073741824
    printf "wsdbg mean: %.3f s ± %.3f  median %.3f s  min %.3f s  (mean %.2f GiB/s)\n", w, ws, wm, wmin, b / w / 1073741824
    printf "cat peak RSS: %.1f MiB; wsdbg peak RSS on 1 MiB of input: %.1f MiB\n", cr / 1024, sr / 1024
    printf "median ratio (cat / wsdbg time): %.2f; min ratio: %.2f\n", cm / wm, cmin / wmin
    printf "throughput ratio (cat / wsdbg time): %.2f%s\n", c / w, (c / w >= 0.7 ? "" : "  (below the required 0.7)")
    printf "wsdbg peak RSS: %.1f MiB\n", r / 1024
}'
