"""Run one command and report its wall time and peak memory.

    python benchmarks/measure.py RESULT.json STDOUT STDERR [--timeout S] -- CMD...

Used by run.py so each benchmark step runs in its own process tree and the
measurement covers exactly that step:

- ``seconds``: wall time from start to exit of CMD (this wrapper's own start-up
  is not included);
- ``maxrss_mib``: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after CMD exits —
  the peak resident set of the largest single process in CMD's tree (CMD
  itself or any child it waited for);
- ``tree_peak_mib``: the largest *sum* of RSS over CMD and its descendants,
  sampled every 0.1 s from /proc (catches parallel workers whose peaks add
  up; may miss short spikes);
- ``cpu_seconds``: user + system CPU time of CMD and every descendant it
  waited for (reader processes included), from ``RUSAGE_CHILDREN``; with
  ``seconds`` it tells whether a step waits or is busy on every core;
- ``returncode``, or ``timeout: true`` when CMD was killed after --timeout.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return kids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo.extend(_children(pid))
    return total


def main(argv: list[str]) -> int:
    sep = argv.index("--")
    head, cmd = argv[:sep], argv[sep + 1:]
    timeout = None
    if "--timeout" in head:
        k = head.index("--timeout")
        timeout = float(head[k + 1])
        del head[k:k + 2]
    result_path, stdout_path, stderr_path = (Path(p) for p in head)
    peak = 0
    done = threading.Event()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.1):
                peak = max(peak, tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    maxrss_kib = usage.ru_maxrss  # KiB on Linux
    if sys.platform == "darwin":
        maxrss_kib //= 1024
    result = {"cmd": cmd, "seconds": round(seconds, 3), "maxrss_mib": round(maxrss_kib / 1024, 1),
              "tree_peak_mib": round(peak / 2**20, 1),
              "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2), "returncode": proc.returncode,
              "timeout": timed_out}
    result_path.write_text(json.dumps(result, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
