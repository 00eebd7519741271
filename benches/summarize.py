#!/usr/bin/env python3
"""Reads `cargo bench --bench mask` output on stdin and prints each line's
throughput and the ratios the issue asks for:

    cargo bench --bench mask 2>&1 | python3 benches/summarize.py
"""
import re
import sys

name, res = None, {}
for line in sys.stdin:
    m = re.match(r"^([a-z-]+/[a-z/-]*\w+)\s*(time:.*)?$", line.rstrip())
    if m and not line.startswith("Benchmarking"):
        name = m.group(1)
    t = re.search(r"thrpt:\s+\[\S+ \S+ (\S+) (\S+)", line)
    if t and name and "%" not in line:
        res[name] = float(t.group(1)) * (1 / 1024 if t.group(2) == "MiB/s" else 1)
        name = None
if not res:
    sys.exit("no criterion results on stdin")
for k, v in res.items():
    print(f"{k:32} {v:7.1f} GiB/s")
for size in ["1KiB", "64KiB", "1MiB"]:
    try:
        enc = res[f"frame-encode/wsdbg/{size}"] / res[f"frame-encode/tungstenite/{size}"]
        inp = res[f"mask-in-place/wsdbg/{size}"] / res[f"memcpy/{size}"]
    except KeyError:
        continue
    print(f"{size:6} frame encode wsdbg/tungstenite {enc:.2f}   mask in place wsdbg/memcpy {inp:.2f}")
