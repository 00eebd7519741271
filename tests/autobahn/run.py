#!/usr/bin/env python3
"""Run the Autobahn testsuite (wstest -m fuzzingclient) against a WebSocket echo server.

    python3 tests/autobahn/run.py ws://127.0.0.1:9001
    python3 tests/autobahn/run.py ws://127.0.0.1:9001 --cases '1.*,2.*' --strict

Writes a fuzzingclient spec, runs wstest under a timeout, reads the report's
index.json and prints one summary line with the count of each behaviour, the
close behaviour, then every case that is not OK, with the description,
expectation and result of the FAILED ones.

Exit status:
  0  every case OK, NON-STRICT or INFORMATIONAL (with --strict: no NON-STRICT)
  1  some case FAILED or UNIMPLEMENTED (or of a behaviour this script does not
     know), or NON-STRICT under --strict
  2  the harness itself failed: wstest missing, exited non-zero, timed out, or
     left no report, or a report short of cases (the server went away mid-run)

wstest is the Python 2.7 program that tests/autobahn/install.sh installs; it is
looked for at $WSTEST, else ${PYTHONUSERBASE:-~/.local}/bin/wstest. It needs no
port of its own: in fuzzingclient mode it only connects to the server.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CASES = ",".join(f"{n}.*" for n in range(1, 11))
# Behaviours that pass; NON-STRICT only without --strict.
PASSING = ("OK", "NON-STRICT", "INFORMATIONAL")
# The order of the summary line; any other behaviour found is appended.
BEHAVIOURS = ("OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED")
TEXT_LIMIT = 600


def say(msg=""):
    print(f"autobahn: {msg}" if msg else "", flush=True)


def default_wstest():
    if os.environ.get("WSTEST"):
        return os.environ["WSTEST"]
    base = os.environ.get("PYTHONUSERBASE") or os.path.expanduser("~/.local")
    return os.path.join(base, "bin", "wstest")


def case_key(case_id):
    return tuple(int(p) if p.isdigit() else p for p in case_id.split("."))


def clip(text):
    text = " ".join(re.sub(r"<br\s*/?>", " ", str(text)).split())
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + " [...]"


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Run Autobahn's fuzzingclient against a WebSocket echo server "
        "and fail on FAILED or UNIMPLEMENTED cases.",
        epilog="Exit status: 0 pass; 1 a case failed; 2 the harness failed.",
    )
    p.add_argument("url", help="the server under test, e.g. ws://127.0.0.1:9001")
    p.add_argument("--agent", default="wsdbg", help="agent name in the report (default: wsdbg)")
    p.add_argument(
        "--cases",
        default=DEFAULT_CASES,
        help="comma-separated case patterns (default: 1.*,...,10.*)",
    )
    p.add_argument("--exclude", default="", help="comma-separated case patterns to leave out")
    p.add_argument(
        "--outdir",
        type=Path,
        default=REPO / "target" / "autobahn",
        help="where the spec, wstest's log and the report go (default: target/autobahn); "
        "its report/ folder is emptied first",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds before wstest is stopped and the run fails (default: 600)",
    )
    p.add_argument("--wstest", default=default_wstest(), help="the wstest program (default: %(default)s)")
    p.add_argument("--strict", action="store_true", help="fail on NON-STRICT cases too")
    return p.parse_args(argv)


def patterns(text):
    return [c.strip() for c in text.split(",") if c.strip()]


def run_wstest(args, spec_path, log_path):
    """Run wstest; returns (exit code or None on timeout, seconds)."""
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [args.wstest, "-m", "fuzzingclient", "-s", str(spec_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=args.outdir,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=args.timeout)
        except BaseException:  # the timeout, or ^C: never leave wstest behind
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            code = None
            if sys.exc_info()[0] is not subprocess.TimeoutExpired:
                raise
    return code, time.monotonic() - start


def log_tail(log_path, lines=15):
    try:
        text = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return text[-lines:]


def main(argv):
    args = parse_args(argv)
    if not (os.path.isfile(args.wstest) and os.access(args.wstest, os.X_OK)):
        say(f"error: wstest not found at {args.wstest}; run tests/autobahn/install.sh")
        return 2

    args.outdir = args.outdir.resolve()
    report_dir = args.outdir / "report"
    args.outdir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(report_dir, ignore_errors=True)
    spec = {
        "outdir": str(report_dir),
        "servers": [{"agent": args.agent, "url": args.url}],
        "cases": patterns(args.cases),
        "exclude-cases": patterns(args.exclude),
        "exclude-agent-cases": {},
    }
    spec_path = args.outdir / "fuzzingclient.json"
    spec_path.write_text(json.dumps(spec, indent=2) + "\n")
    log_path = args.outdir / "wstest.log"

    code, seconds = run_wstest(args, spec_path, log_path)
    log = log_path.read_text(errors="replace")
    if code is None:
        running = re.findall(r"Running test case ID (\S+)", log)
        where = (
            f"; the last case started was {running[-1]}"
            if running
            else "; no case got past the opening handshake (wstest waits 5 s for each)"
        )
        say(f"error: wstest did not finish within {args.timeout:.0f} s{where} (log: {log_path})")
        return 2
    if code != 0:
        say(f"error: wstest exited with status {code} after {seconds:.1f} s (log: {log_path}):")
        for line in log_tail(log_path):
            print(f"    {line}")
        return 2

    index_path = report_dir / "index.json"
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError) as e:
        say(f"error: no readable report at {index_path}: {e} (log: {log_path})")
        return 2
    results = index.get(args.agent) or {}
    planned = re.search(r"will run (\d+) test cases", log)
    planned = int(planned.group(1)) if planned else None
    refused = re.findall(r"Connection to .* failed \(.*\)", log)
    if not results or (planned is not None and len(results) < planned):
        say(
            f"error: the report has {len(results)} of {planned if planned is not None else '?'} "
            f"cases for agent {args.agent!r} (log: {log_path})"
        )
        for line in refused:
            print(f"    {line}")
        if results:
            last = max(results, key=case_key)
            say(f"the last case in the report is {last}: the server may have gone away after it")
        return 2

    ids = sorted(results, key=case_key)
    counts = Counter(results[c]["behavior"] for c in ids)
    names = list(BEHAVIOURS) + sorted(set(counts) - set(BEHAVIOURS))
    say(
        f"{len(ids)} cases: "
        + ", ".join(f"{counts.get(n, 0)} {n}" for n in names)
        + f" ({seconds:.1f} s)"
    )
    close_counts = Counter(results[c]["behaviorClose"] for c in ids)
    not_ok = sum(n for b, n in close_counts.items() if b != "OK")
    detail = ", ".join(f"{n} {b}" for b, n in sorted(close_counts.items()) if b != "OK")
    say(
        f"close behaviour: {close_counts.get('OK', 0)} OK, {not_ok} not OK"
        + (f" ({detail})" if detail else "")
    )

    def fails(behaviour):
        return behaviour not in PASSING or (args.strict and behaviour == "NON-STRICT")

    def bad_close(close):
        return close not in ("OK", "INFORMATIONAL")

    # First the cases that fail, or whose close went wrong, each with why;
    # then the ids of the other cases that are not OK, by behaviour.
    failing = [c for c in ids if fails(results[c]["behavior"])]
    for c in ids:
        r = results[c]
        behaviour, close = r["behavior"], r["behaviorClose"]
        if not (fails(behaviour) or bad_close(close)):
            continue
        say(f"{c} {behaviour} (close: {close}, code {r.get('remoteCloseCode')}, {r.get('duration')} ms)")
        try:
            case = json.loads((report_dir / r["reportfile"]).read_text())
        except (OSError, ValueError, KeyError) as e:
            print(f"    (case report unreadable: {e})")
            continue
        if fails(behaviour):
            for field in ("description", "expectation", "result"):
                print(f"    {field}: {clip(case.get(field, ''))}")
            if case.get("remoteCloseCode") is not None:
                reason = case.get("remoteCloseReason")
                reason = f" {clip(reason)!r}" if reason else ""
                print(f"    server's close: {case['remoteCloseCode']}{reason}")
        if bad_close(close):
            print(f"    close: {clip(case.get('resultClose', ''))}")
    for name in names:
        others = [c for c in ids if results[c]["behavior"] == name and name != "OK" and not fails(name)]
        if others:
            say(f"{name}: " + " ".join(others))

    slowest = sorted(ids, key=lambda c: results[c].get("duration", 0), reverse=True)[:3]
    say("slowest: " + ", ".join(f"{c} {results[c].get('duration', 0)} ms" for c in slowest))
    say(f"report: {report_dir / 'index.html'}")
    if failing:
        what = "FAILED, UNIMPLEMENTED or NON-STRICT (--strict)" if args.strict else "FAILED or UNIMPLEMENTED"
        say(f"FAIL: {len(failing)} case(s) {what}: " + " ".join(failing))
        return 1
    say("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
