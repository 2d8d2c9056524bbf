"""The worker side of `sandbox`: a process that limits itself, then reads
files until told to stop, and never outlives the process that started it.

Kept apart from `sandbox` so that what runs in a worker is visible at a glance.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from multiprocessing import connection
from pathlib import Path
from typing import Any

from taizhang.ingest.records import FileResult

Task = Callable[[Path, str], FileResult]

# the worker's validator, for `validate_file` (set by `use_validator`)
_VALIDATOR: Any = None


def use_validator(validator: Any) -> None:
    """A worker initializer: the `Validator` (a copy from `for_worker`) its files are read with."""
    global _VALIDATOR
    _VALIDATOR = validator


def validate_file(path: Path, name: str) -> FileResult:
    """A worker task: `Validator.validate_file`, as `taizhang validate` runs it."""
    return _VALIDATOR.validate_file(path, name)


def worker_main(conn: Any, task: Task, initializer: Callable[..., None], initargs: tuple[Any, ...],
                memory_limit: int, log: str) -> None:
    """A worker's life: limit itself, then read files until told to stop."""
    _quiet(log)
    _watch_parent()
    _limit_memory(memory_limit)
    initializer(*initargs)
    conn.send(("started", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            message: tuple[str, Any] = ("ok", task(*job))
        except MemoryError:
            message = ("memory", None)
        except Exception as exc:
            message = ("error", exc)
        try:
            conn.send(message)
        except MemoryError:
            message = ("memory", None)
            conn.send(message)
        except Exception as exc:  # an exception that does not pickle
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        if message[0] == "memory":
            return


def _limit_memory(limit: int) -> None:
    """RLIMIT_AS on POSIX; Windows has no `resource` (only the time limit applies there)."""
    try:
        import resource
    except ImportError:
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # macOS does not enforce RLIMIT_AS and may refuse it
        pass


def _watch_parent() -> None:
    """Die with the parent: on Linux the kernel sends SIGKILL when it dies
    (PR_SET_PDEATHSIG), even while the reader holds the interpreter; on every
    system a thread also waits for the parent's sentinel and exits then."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if parent is not None and os.getppid() != parent.pid:  # it died before prctl
            os._exit(1)
    if parent is None:
        return

    def watch() -> None:
        with contextlib.suppress(Exception):
            connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="taizhang-parent-watch", daemon=True).start()


def _quiet(log: str) -> None:
    """The reader's own messages (Rust's "memory allocation … failed") go to
    a file the parent reads after a crash, never to the clerk's screen."""
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError:
        return
    sys.stderr.flush()
    os.dup2(fd, 2)
    os.close(fd)
    if sys.platform == "win32":  # native code writes to the Win32 handle, not to fd 2
        try:
            import ctypes
            import msvcrt

            ctypes.windll.kernel32.SetStdHandle(-12, msvcrt.get_osfhandle(2))  # type: ignore[attr-defined]
        except (OSError, AttributeError, ImportError):
            pass
