"""Reading files in child processes under a memory and a time limit (issue 15).

A spreadsheet of a few KB can make a reader allocate hundreds of GB or run for
hours (a cell at XFD1048576, a shared-strings or merge bomb, an HTML table
with absurd spans). The checks before reading (`extent`, `html`, `files`)
refuse the shapes we know; whatever slips past them must still cost one
failed file, never the whole run. So every file that could hurt is read in a
worker process: a worker that runs out of memory, crashes or overruns its
time is killed and replaced, and only the file it was reading fails, with a
message for the clerk. Nothing is then read again in the main process.

Workers are long-lived (starting one costs about 0.3 s: an interpreter and
the reader's imports), each reads many files, one at a time, and sends back
the pickled `FileResult`. They are started with `spawn` on every system, so
Linux and Windows behave alike, and they never outlive the process that
started them (`_watch_parent`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import connection, get_context
from pathlib import Path
from typing import Any

from taizhang.ingest.files import sniff_format
from taizhang.ingest.records import FileResult
from taizhang.ingest.sandbox_worker import Task, worker_main


def _memory_limit() -> int:
    """Half the physical memory, between 1 and 3 GiB."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # Windows has no sysconf; the limit is unused there
        physical = 8 << 30
    return max(1 << 30, min(3 << 30, physical // 2))


MEMORY_LIMIT = _memory_limit()
"""Address space a reader process may use, in bytes (POSIX `RLIMIT_AS`).

Measured: a county registration list of 100,000 rows × 15 columns (7 MB of
xlsx, 1.5 million cells) peaks at 400 MB resident, 600 MB of address space
in a reader, so the limit leaves five times that; a sheet of some 8 million
filled cells or more (still under extent's 20,000,000) needs more and fails
with MEMORY_MESSAGE, and should be split. Past that a file is a bomb, and
without a limit the reader would take the machine's memory (and, in Rust,
abort the whole process). Half the physical memory, between 1 and 3 GiB, so
that one bad file cannot push a small township PC into swap. Windows has no
`resource` module: there only the time limit applies."""

READ_TIMEOUT = 120.0
"""Seconds a reader may spend on one file (plus READ_TIMEOUT_PER_MB per MB):
a county file is read in a few seconds, so this only stops files that would
never finish (a merge or span bomb), on any system."""
READ_TIMEOUT_PER_MB = 5.0
STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to start, before its first file's clock runs

INLINE_TEXT_BYTES = 2 << 20
INLINE_CELLS = 100_000
"""A CSV file below INLINE_TEXT_BYTES whose lines × widest line stay within
INLINE_CELLS is read in the calling process, without a worker (a village's
daily CSV). Size alone is no safeguard: 1 MB of commas on one line over
40,000 short lines keeps the column detection busy for hours, so such a file,
and every other file (xlsx, xls, HTML, a bigger CSV), is read by a worker."""

MEMORY_MESSAGE = ("读取时内存超过限制（{limit}）：文件可能损坏或是恶意构造的，请让村里用Excel打开后"
                  "另存为.xlsx再重新导出发送")
TIMEOUT_MESSAGE = ("读取超时（{seconds}秒仍未读完）：文件可能损坏或是恶意构造的，请让村里重新导出；"
                   "如确是很大的正常台账，请按村或按日期拆成几个文件")
CRASH_MESSAGE = ("读取程序崩溃：文件可能损坏或是恶意构造的，请让村里用Excel打开后另存为.xlsx再重新"
                 "导出发送")

def read_timeout(size: int) -> float:
    return READ_TIMEOUT + READ_TIMEOUT_PER_MB * size / (1 << 20)


def reads_inline(path: Path, size: int) -> bool:
    """True for a small CSV, which is read without a worker (INLINE_CELLS)."""
    if size > INLINE_TEXT_BYTES:
        return False
    try:
        data = path.read_bytes()
    except OSError:
        return True  # the reader says why, in this process as anywhere
    kind = sniff_format(data[:8192])
    if kind == "binary":
        return True  # refused from its first bytes
    if kind != "csv":
        return False
    lines = data.splitlines() or [b""]
    widest = max(max(line.count(sep) for sep in (b",", b"\t", b";", b"|")) for line in lines)
    return len(lines) * (widest + 1) <= INLINE_CELLS


class ReaderPool:
    """Up to `processes` worker processes that run `task(path, name)`, each
    started with `initializer(*initargs)`; `read` gives the results in order.

    One thread of this process hands out files, receives results (so a
    worker never waits for the caller), and kills a worker that overruns its
    time or replaces one that died. Workers are started on demand, by that
    thread (on Linux a worker dies with the thread that started it)."""

    def __init__(self, task: Task, initializer: Callable[..., None], initargs: tuple[Any, ...],
                 processes: int = 1) -> None:
        self._task, self._init, self._initargs = task, initializer, initargs
        self._processes = max(1, processes)
        self._context = get_context("spawn")
        self._lock = threading.Condition()
        self._queue: list[tuple[int, Path, str, int]] = []
        self._done: dict[int, tuple[str, Any]] = {}
        self._next_id = 0
        self._stopping = False
        self._failure: BaseException | None = None
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)
        self._logs = tempfile.mkdtemp(prefix="taizhang-readers-")
        self._thread = threading.Thread(target=self._run, name="taizhang-readers", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ caller side

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, path: Path, name: str, size: int) -> int:
        with self._lock:
            job = self._next_id
            self._next_id += 1
            self._queue.append((job, path, name, size))
        self._wake()
        return job

    def result(self, job: int) -> FileResult:
        """The result of a submitted file; an exception the task raised is raised here."""
        with self._lock:
            while job not in self._done and self._failure is None:
                self._lock.wait(0.5)
            if job not in self._done:
                assert self._failure is not None
                raise self._failure
            kind, value = self._done.pop(job)
        if kind == "error":
            raise value
        return value

    def read(self, jobs: Iterable[tuple[Path, str, int]], ahead: int | None = None
             ) -> Iterator[FileResult]:
        """Results in the order of `jobs`, with at most `ahead` files (default
        two per process) read but not yet taken, so memory stays that of a few files."""
        ahead = ahead or 2 * self._processes
        pending: list[int] = []
        source = iter(jobs)
        exhausted = False
        while True:
            while not exhausted and len(pending) < ahead:
                job = next(source, None)
                if job is None:
                    exhausted = True
                else:
                    pending.append(self.submit(*job))
            if not pending:
                return
            yield self.result(pending.pop(0))

    def close(self) -> None:
        with self._lock:
            self._stopping = True
        self._wake()
        self._thread.join()
        for conn in (self._wake_r, self._wake_w):
            conn.close()
        shutil.rmtree(self._logs, ignore_errors=True)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send_bytes(b"")

    # ------------------------------------------------------------ the thread

    def _run(self) -> None:
        workers: list[_Worker] = []
        try:
            self._serve(workers)
        except BaseException as exc:  # a bug here must not leave the caller waiting
            with self._lock:
                self._failure = exc
                self._lock.notify_all()
        finally:
            for worker in workers:
                worker.stop()

    def _serve(self, workers: list[_Worker]) -> None:
        while True:
            while self._wake_r.poll():
                self._wake_r.recv_bytes()
            with self._lock:
                stopping = self._stopping
                while self._queue and not stopping:
                    idle = next((w for w in workers if w.job is None), None)
                    if idle is None and len(workers) < self._processes:
                        idle = _Worker(self)
                        workers.append(idle)
                    if idle is None:
                        break
                    idle.give(self._queue.pop(0))
            if stopping:
                return
            busy = [w for w in workers if w.job is not None]
            now = time.monotonic()
            timeout = min([w.deadline - now for w in busy], default=None)
            handles = [self._wake_r, *(w.conn for w in busy), *(w.process.sentinel for w in workers)]
            ready = connection.wait(handles, None if timeout is None else max(0.0, timeout))
            for worker in list(workers):
                outcome = worker.check(ready, time.monotonic())
                if outcome is None:
                    continue
                job, kind, value, alive = outcome
                if not alive:
                    worker.stop()
                    workers.remove(worker)
                if job is not None:
                    with self._lock:
                        self._done[job] = (kind, value)
                        self._lock.notify_all()


class _Worker:
    """One worker process and the file it is reading."""

    def __init__(self, pool: ReaderPool) -> None:
        ctx = pool._context
        self.conn, child = ctx.Pipe()
        self.log = os.path.join(pool._logs, f"{id(self)}.log")
        self.process = ctx.Process(
            target=worker_main, daemon=True,
            args=(child, pool._task, pool._init, pool._initargs, MEMORY_LIMIT, self.log))
        with _without_main():
            self.process.start()
        child.close()
        self.job: int | None = None
        self.ready = False  # it said "started": its initializer ran
        self.name = ""
        self.deadline = 0.0
        self.limit = 0.0

    def give(self, item: tuple[int, Path, str, int]) -> None:
        job, path, name, size = item
        self.job, self.name = job, name
        self.limit = read_timeout(size)
        # a worker still starting gets time for that too; its file's clock starts when it is ready
        self.deadline = time.monotonic() + self.limit + (0 if self.ready else STARTUP_TIMEOUT)
        with contextlib.suppress(OSError):  # it died: its sentinel says so, and the file fails
            self.conn.send((path, name))

    def check(self, ready: list[Any], now: float) -> tuple[int | None, str, Any, bool] | None:
        """(job, kind, value, still alive) when something happened to this worker."""
        job = self.job
        if job is not None and self.conn in ready:
            try:
                kind, value = self.conn.recv()
            except (EOFError, OSError, MemoryError):  # died while sending: its file failed
                return self._failed(job, self._crash_message())
            except Exception as exc:  # a result that does not unpickle: a bug, raised to the caller
                self.job = None
                return job, "error", exc, True
            if kind == "started":
                self.ready = True
                self.deadline = now + self.limit
                return None
            self.job = None
            if kind == "memory":  # a fresh process after memory trouble
                return self._failed(job, _memory_message())
            return job, kind, value, True
        if self.process.sentinel in ready:
            self.process.join(1)
            return self._failed(job, self._crash_message()) if job is not None else (None, "", None,
                                                                                         False)
        if job is not None and now >= self.deadline:
            self.process.kill()
            return self._failed(job, TIMEOUT_MESSAGE.format(seconds=round(self.limit)))
        return None

    def _failed(self, job: int, message: str) -> tuple[int, str, Any, bool]:
        self.job = None
        return job, "ok", FileResult(self.name, error=message), False

    def _crash_message(self) -> str:
        """Memory when the reader said so (Rust writes "memory allocation of N
        bytes failed" before aborting), otherwise a crash."""
        self.process.join(1)
        try:
            with open(self.log, "rb") as fh:
                said = fh.read(1 << 20)  # a Rust backtrace may follow the message
        except OSError:
            said = b""
        if any(word in said for word in (b"memory allocation", b"MemoryError", b"out of memory")):
            return _memory_message()
        return CRASH_MESSAGE

    def stop(self) -> None:
        if self.job is not None:  # the run is over (or broken off): no need to finish this file
            self.process.kill()
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.conn.close()
        with contextlib.suppress(OSError):
            os.remove(self.log)


def _memory_message() -> str:
    return MEMORY_MESSAGE.format(limit=f"{MEMORY_LIMIT / (1 << 30):.1f}GB"
                                 if sys.platform != "win32" else "系统内存")


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """Start a worker without re-importing taizhang's command line in it.

    `spawn` runs the parent's `__main__` again in each child; for the
    `taizhang` command that is the whole CLI (typer, rich: about 0.4 s per
    worker) which a reader never uses. Only taizhang's own entry point is
    hidden: a user's script stays, since what is sent may refer to it."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    file = getattr(main, "__file__", None) or ""
    own = (spec is not None and spec.name.startswith("taizhang")) or (
        spec is None and Path(file).stem.lower() == "taizhang" and not file.endswith(".py"))
    if main is None or not own:
        yield
        return
    saved = vars(main).pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__spec__ = spec
        if saved is not None:
            main.__file__ = saved
