#!/usr/bin/env python3
"""Run the Autobahn testsuite against a WebSocket echo server, or against wsdbg
connect as the client.

    python3 tests/autobahn/run.py ws://127.0.0.1:9001
    python3 tests/autobahn/run.py ws://127.0.0.1:9001 --cases '1.*,2.*' --strict
    python3 tests/autobahn/run.py --client target/release/wsdbg

The server side (a URL): writes a fuzzingclient spec, runs wstest under a
timeout, reads the report's index.json and prints one summary line with the
count of each behaviour, the close behaviour, then every case that is not OK,
with the description, expectation and result of the FAILED ones.

The client side (--client WSDBG): writes a fuzzingserver spec, starts
`wstest -m fuzzingserver` on a free 127.0.0.1 port, asks it for its case count
(/getCaseCount), runs `WSDBG connect -q --mode echo
ws://127.0.0.1:PORT/runCase?case=N&agent=AGENT` for each case in turn (stdin
from /dev/null, under --case-timeout), has it write the report
(/updateReports), stops it and prints the same summary, its lines starting
with "autobahn client:". What wsdbg printed for each case is kept in
OUTDIR/connect.log and shown under the cases that fail. A case whose wsdbg
run does not end within --case-timeout is killed and fails, named.

Exit status:
  0  every case OK, NON-STRICT or INFORMATIONAL (with --strict: no NON-STRICT)
  1  some case FAILED or UNIMPLEMENTED (or of a behaviour this script does not
     know), or NON-STRICT under --strict; client side: also a case whose wsdbg
     run hung or crashed (killed by a signal, or an exit status other than
     0, 1 or 2)
  2  the harness itself failed: wstest missing, exited non-zero, timed out, or
     left no report, or a report short of cases (the server went away mid-run);
     client side: also wsdbg missing, wstest not accepting, or wsdbg unable to
     connect (exit status 2)

wstest is the Python 2.7 program that tests/autobahn/install.sh installs; it is
looked for at $WSTEST, else ${PYTHONUSERBASE:-~/.local}/bin/wstest. On the
server side it needs no port of its own: in fuzzingclient mode it only
connects to the server. On the client side it listens on 127.0.0.1 only (its
Python is started with listenWS bound to that interface), with its web port
off.
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
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
# What each summary line starts with; "autobahn client" on the client side.
PREFIX = "autobahn"
# The most of wsdbg's output kept for one case under a failing case.
CONNECT_LINES = 6


def say(msg=""):
    print(f"{PREFIX}: {msg}" if msg else "", flush=True)


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
        description="Run Autobahn's fuzzingclient against a WebSocket echo server, "
        "or its fuzzingserver against wsdbg connect --mode echo (--client), "
        "and fail on FAILED or UNIMPLEMENTED cases.",
        epilog="Exit status: 0 pass; 1 a case failed; 2 the harness failed.",
    )
    p.add_argument("url", nargs="?", help="the server under test, e.g. ws://127.0.0.1:9001")
    p.add_argument(
        "--client",
        metavar="WSDBG",
        type=Path,
        help="test the client side instead: run WSDBG connect -q --mode echo for each case "
        "against wstest -m fuzzingserver (no URL then)",
    )
    p.add_argument(
        "--case-timeout",
        type=float,
        default=60,
        help="client side: seconds before one case's wsdbg is killed and the case fails "
        "(default: 60)",
    )
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
        help="where the spec, wstest's log and the report go (default: target/autobahn, "
        "with --client target/autobahn-client); its report/ folder is emptied first",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds before wstest is stopped and the run fails (default: 600)",
    )
    p.add_argument("--wstest", default=default_wstest(), help="the wstest program (default: %(default)s)")
    p.add_argument("--strict", action="store_true", help="fail on NON-STRICT cases too")
    args = p.parse_args(argv)
    if (args.url is None) == (args.client is None):
        p.error("give either the URL of a server to test or --client WSDBG")
    if args.outdir is None:
        args.outdir = REPO / "target" / ("autobahn-client" if args.client else "autobahn")
    return args


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
    if args.client:
        return client_main(args, report_dir)
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

    results = read_report(args, report_dir, log_path)
    if results is None:
        return 2
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
    return summarize(args, results, report_dir, seconds)


def read_report(args, report_dir, log_path):
    """The report's results for the agent ({} when none), or None (said why)."""
    index_path = report_dir / "index.json"
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError) as e:
        say(f"error: no readable report at {index_path}: {e} (log: {log_path})")
        return None
    return index.get(args.agent) or {}


def summarize(args, results, report_dir, seconds, client=None):
    """Prints the summary of a complete report; returns the exit status.

    client: on the client side, a dict of case id to its wsdbg run
    (Run): the slowest runs are then wsdbg's, what it printed is shown under
    the failing cases, and the runs that hung or crashed fail too.
    """
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
                peer = "client" if client is not None else "server"
                print(f"    {peer}'s close: {case['remoteCloseCode']}{reason}")
        if bad_close(close):
            print(f"    close: {clip(case.get('resultClose', ''))}")
        if client is not None and c in client:
            print(f"    wsdbg: {client[c].summary()}")
            for line in client[c].lines[:CONNECT_LINES]:
                print(f"      {line}")
    for name in names:
        others = [c for c in ids if results[c]["behavior"] == name and name != "OK" and not fails(name)]
        if others:
            say(f"{name}: " + " ".join(others))

    broken = []
    if client is None:
        slowest = sorted(ids, key=lambda c: results[c].get("duration", 0), reverse=True)[:3]
        say("slowest: " + ", ".join(f"{c} {results[c].get('duration', 0)} ms" for c in slowest))
    else:
        # The runs that hung or crashed fail whatever the report says.
        broken = [c for c in sorted(client, key=case_key) if client[c].broken()]
        for c in broken:
            run = client[c]
            say(f"{c}: wsdbg {run.summary()}")
            if c not in failing:  # else its output is shown above
                for line in run.lines[:CONNECT_LINES]:
                    print(f"    {line}")
        slowest = sorted(client, key=lambda c: client[c].seconds, reverse=True)[:3]
        say(
            "slowest wsdbg runs: "
            + ", ".join(f"{c} {client[c].seconds:.1f} s ({results.get(c, {}).get('duration', '?')} ms in wstest)" for c in slowest)
        )
    say(f"report: {report_dir / 'index.html'}")
    if failing or broken:
        what = "FAILED, UNIMPLEMENTED or NON-STRICT (--strict)" if args.strict else "FAILED or UNIMPLEMENTED"
        if failing:
            say(f"FAIL: {len(failing)} case(s) {what}: " + " ".join(failing))
        if broken:
            say(f"FAIL: {len(broken)} case(s) where wsdbg hung or crashed: " + " ".join(broken))
        return 1
    say("PASS")
    return 0


# The client side: wstest -m fuzzingserver, wsdbg connect for each case.


class Run:
    """One case's run of wsdbg connect."""

    def __init__(self, number, status, seconds, output, timed_out):
        self.number = number
        self.status = status  # the exit status; negative: killed by a signal
        self.seconds = seconds
        self.lines = [line for line in output.splitlines() if line.strip()]
        self.timed_out = timed_out

    def broken(self):
        return self.timed_out or self.status not in (0, 1)

    def summary(self):
        if self.timed_out:
            return f"did not end within {self.seconds:.0f} s and was killed (case {self.number})"
        if self.status < 0:
            return f"killed by signal {-self.status} after {self.seconds:.1f} s (case {self.number})"
        return f"exit {self.status} after {self.seconds:.1f} s (case {self.number})"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ws_fetch(port, path, timeout=30):
    """The text messages that ws://127.0.0.1:PORT/PATH sends before closing.

    A plain-socket client, independent of the wsdbg under test: handshake,
    the server's frames until its close, our close, then the server's
    hang-up. Raises OSError (ConnectionError) on anything unexpected.
    """
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        buf = bytearray()

        def need(n):
            while len(buf) < n:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError(f"{path}: the server hung up before its close frame")
                buf.extend(chunk)
            out = bytes(buf[:n])
            del buf[:n]
            return out

        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(f"{path}: the server hung up during the handshake")
            buf.extend(chunk)
        end = buf.index(b"\r\n\r\n")
        status = bytes(buf[:end]).split(b"\r\n", 1)[0].decode("latin-1")
        del buf[: end + 4]
        if status.split()[1:2] != ["101"]:
            raise ConnectionError(f"{path}: the server answered {status!r}")
        messages, partial = [], b""
        while True:
            b0, b1 = need(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(need(2), "big")
            elif n == 127:
                n = int.from_bytes(need(8), "big")
            mask = need(4) if b1 & 0x80 else bytes(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(need(n)))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                # Our close, masked, with the server's code.
                body = payload[:2]
                mask = os.urandom(4)
                s.sendall(
                    bytes([0x88, 0x80 | len(body)])
                    + mask
                    + bytes(b ^ mask[i % 4] for i, b in enumerate(body))
                )
                break
            if opcode in (0x0, 0x1, 0x2):
                partial += payload
                if b0 & 0x80:
                    messages.append(partial.decode("utf-8", "replace"))
                    partial = b""
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
    return messages


def wstest_command(args, spec_path):
    """wstest -m fuzzingserver, with its listening socket bound to 127.0.0.1.

    wstest's fuzzingserver listens on every interface (listenWS's default);
    when wstest is a Python script, its Python runs it with listenWS bound
    to the loopback interface instead.
    """
    rest = ["-m", "fuzzingserver", "-s", str(spec_path), "--webport", "0"]
    try:
        with open(args.wstest, "rb") as f:
            first = f.readline().decode("utf-8", "replace").strip()
    except OSError:
        first = ""
    if not (first.startswith("#!") and "python" in first):
        return [args.wstest] + rest
    python = first[2:].split()
    boot = (
        "import sys, autobahntestsuite.fuzzing as f\n"
        "listen = f.listenWS\n"
        "f.listenWS = lambda factory, ctx=None: listen(factory, ctx, interface='127.0.0.1')\n"
        "from autobahntestsuite.wstest import run\n"
        "sys.argv[0] = 'wstest'\n"
        "sys.exit(run())\n"
    )
    return python + ["-c", boot] + rest


def stop(proc):
    """Stops wstest and everything it started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def run_case(args, port, number):
    url = f"ws://127.0.0.1:{port}/runCase?case={number}&agent={args.agent}"
    start = time.monotonic()
    proc = subprocess.Popen(
        [str(args.client), "connect", "-q", "--mode", "echo", url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=args.case_timeout)
    except BaseException:  # the timeout, or ^C: never leave wsdbg behind
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate()
        if sys.exc_info()[0] is not subprocess.TimeoutExpired:
            raise
        timed_out = True
    return Run(number, proc.returncode, time.monotonic() - start, out.decode("utf-8", "replace"), timed_out)


def client_main(args, report_dir):
    global PREFIX
    PREFIX = "autobahn client"
    # Stopped (by tests/autobahn.rs when it gives up): stop wstest and wsdbg
    # on the way out, as on ^C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if not (args.client.is_file() and os.access(args.client, os.X_OK)):
        say(f"error: no wsdbg program at {args.client}; cargo build first")
        return 2
    port = free_port()
    spec = {
        "url": f"ws://127.0.0.1:{port}",
        "outdir": str(report_dir),
        "cases": patterns(args.cases),
        "exclude-cases": patterns(args.exclude),
        "exclude-agent-cases": {},
    }
    spec_path = args.outdir / "fuzzingserver.json"
    spec_path.write_text(json.dumps(spec, indent=2) + "\n")
    log_path = args.outdir / "wstest.log"
    connect_log = args.outdir / "connect.log"

    start = time.monotonic()
    with open(log_path, "wb") as log, open(connect_log, "w") as clog:
        proc = subprocess.Popen(
            wstest_command(args, spec_path),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=args.outdir,
            start_new_session=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        try:
            return client_cases(args, proc, port, report_dir, log_path, clog, start)
        finally:
            stop(proc)


def client_cases(args, proc, port, report_dir, log_path, clog, start):
    def harness_error(msg):
        say(f"error: {msg} (log: {log_path})")
        if proc.poll() is not None:
            say(f"wstest exited with status {proc.returncode}; the end of its log:")
            for line in log_tail(log_path):
                print(f"    {line}")
        return 2

    # Until wstest accepts.
    while True:
        if proc.poll() is not None:
            return harness_error(f"wstest -m fuzzingserver ended before accepting on 127.0.0.1:{port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            pass
        if time.monotonic() - start > 30:
            return harness_error(f"wstest -m fuzzingserver did not accept on 127.0.0.1:{port} within 30 s")
        time.sleep(0.1)
    try:
        count = int(json.loads(ws_fetch(port, "/getCaseCount")[0]))
    except (OSError, ValueError, IndexError) as e:
        return harness_error(f"no case count from wstest's /getCaseCount: {e}")

    runs = {}  # case number to Run
    for number in range(1, count + 1):
        if proc.poll() is not None:
            return harness_error(f"wstest went away before case {number} of {count}")
        if time.monotonic() - start > args.timeout:
            return harness_error(f"the run did not finish within {args.timeout:.0f} s; it was at case {number} of {count}")
        run = run_case(args, port, number)
        runs[number] = run
        clog.write(f"== case {number}: {run.summary()}\n")
        clog.writelines(f"{line}\n" for line in run.lines)
        clog.flush()
        if run.status == 2 and not run.timed_out:
            if proc.poll() is not None:
                return harness_error(f"wstest went away during case {number} of {count}")
            say(f"error: wsdbg connect could not connect for case {number} (exit 2); it said:")
            for line in run.lines[:CONNECT_LINES]:
                print(f"    {line}")
            return 2
    seconds = time.monotonic() - start
    try:
        ws_fetch(port, f"/updateReports?agent={args.agent}", timeout=120)
    except OSError as e:
        return harness_error(f"wstest's /updateReports failed: {e}")

    results = read_report(args, report_dir, log_path)
    if results is None:
        return 2
    if len(results) < count:
        say(f"error: the report has {len(results)} of {count} cases for agent {args.agent!r} (log: {log_path})")
        for run in runs.values():
            if run.broken():
                say(f"wsdbg {run.summary()}")
        return 2
    # wstest runs its cases in the order of their ids: case N is the Nth.
    ids = sorted(results, key=case_key)
    client = {ids[n - 1]: run for n, run in runs.items()}
    return summarize(args, results, report_dir, seconds, client=client)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
