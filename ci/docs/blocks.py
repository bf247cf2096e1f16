#!/usr/bin/env python3
"""Runs the shell commands of Markdown pages and checks each exits as documented.

Usage: blocks.py [--marks plain,peers,clone] [--cwd DIR] [--port-map 8000=18400,...]
                 [--timeout SECS] [--clone-timeout SECS] [--log DIR] [--skip CMD] [--list] PAGE.md...

The convention (docs/README.md, "The commands in these pages are tested"): a ```sh block is run;
its fence may carry one mark, `peers` (needs the example peers), `clone` (needs a fresh clone and
cargo) or `norun` (never run). --marks chooses which blocks run (`plain`: blocks with no mark).
Lines ending in `\\` continue; `#` lines are comments; a trailing comment `# exit N ...` is the
status the command must exit with (default 0). Each command runs as `bash -c`, in its own
session, in the order of the pages, with a bounded time (the whole process group is killed at the
bound). --port-map replaces documented ports by the ones the peers were started on (whole
numbers only). Exit status: 0 all did as documented, 1 one did not, 2 usage.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

MARKS = {"peers", "clone", "norun"}


def blocks(path):
    """Yields (line, mark, body lines) for each ```sh block of a page."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if stripped.startswith("```"):
            info = stripped[3:].split()
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith("```"):
                body.append(lines[i])
                i += 1
            if info and info[0] == "sh":
                mark = info[1] if len(info) > 1 else "plain"
                if mark not in MARKS | {"plain"}:
                    raise SystemExit(f"{path}:{start}: unknown mark {mark!r} (one of {sorted(MARKS)})")
                yield start, mark, body
        i += 1


def split_comment(line):
    """The command and its trailing comment: the first ` #` outside quotes."""
    single = double = False
    for i, c in enumerate(line):
        if c == "'" and not double:
            single = not single
        elif c == '"' and not single:
            double = not double
        elif c == "#" and not single and not double and i > 0 and line[i - 1].isspace():
            return line[:i], line[i + 1:]
    return line, ""


def commands(body):
    """(command, expected status) of a block's lines."""
    pending = ""
    for line in body:
        t = line.strip()
        if not pending and (not t or t.startswith("#")):
            continue
        if t.endswith("\\"):
            pending += t[:-1] + " "
            continue
        cmd, comment = split_comment(pending + t)
        pending = ""
        m = re.match(r"\s*exit (\d+)", comment)
        yield cmd.strip(), int(m.group(1)) if m else 0


def remap(cmd, ports):
    for documented, real in ports.items():
        cmd = re.sub(rf"(?<![\d.]){documented}(?![\d])", real, cmd)
    return cmd


def run(cmd, cwd, timeout):
    """(status or None on timeout, output, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(["bash", "-c", cmd], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode("utf-8", "replace"), time.monotonic() - start
    except subprocess.TimeoutExpired:
        # The session's group: the command and whatever it started.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate()
        return None, out.decode("utf-8", "replace"), time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pages", nargs="+")
    ap.add_argument("--marks", default="plain,peers")
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--port-map", default="")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--clone-timeout", type=float, default=2400, help="bound for `clone` commands (builds)")
    ap.add_argument("--log", help="write each command's output here, one file per command")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--skip", action="append", default=[], metavar="TEXT",
                    help="leave out commands that are exactly TEXT, saying so (for trying a script, never in CI)")
    a = ap.parse_args()
    marks = set(a.marks.split(","))
    if not marks <= MARKS | {"plain"}:
        ap.error(f"--marks: one of plain, {', '.join(sorted(MARKS))}")
    ports = dict(p.split("=", 1) for p in a.port_map.split(",") if p)
    if a.log:
        os.makedirs(a.log, exist_ok=True)
    ran, failed = 0, []
    for page in a.pages:
        for line, mark, body in blocks(page):
            if mark not in marks:
                continue
            for cmd, expect in commands(body):
                real = remap(cmd, ports)
                shown = os.path.relpath(page, a.cwd) if os.path.abspath(page).startswith(os.path.abspath(a.cwd) + os.sep) else page
                where = f"{shown}:{line}"
                if a.list:
                    print(f"{where} [{mark}] {real}   # exit {expect}")
                    continue
                if cmd in a.skip:
                    print(f"skipped {where}  (--skip)  {real}", flush=True)
                    continue
                ran += 1
                limit = a.clone_timeout if mark == "clone" else a.timeout
                code, out, secs = run(real, a.cwd, limit)
                if a.log:
                    with open(os.path.join(a.log, f"{ran:02d}-{os.path.basename(page)}-{line}.txt"), "w", encoding="utf-8") as f:
                        f.write(f"# {where}\n$ {real}\n{out}\n# exit {code} after {secs:.1f}s\n")
                if code == expect:
                    print(f"ok      {where}  exit {code}  {secs:.1f}s  {real}", flush=True)
                    continue
                why = f"still running after {limit:.0f}s" if code is None else f"exited {code}, documented {expect}"
                print(f"FAILED  {where}  {why}  {secs:.1f}s  {real}", flush=True)
                print("\n".join("        " + l for l in out.splitlines()[-25:]), flush=True)
                failed.append(f"{where}: {real}: {why}")
    if a.list:
        return 0
    print(f"\n{ran - len(failed)} of {ran} documented commands did as documented")
    for f in failed:
        print(f"  FAILED {f}")
    return 1 if failed or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
