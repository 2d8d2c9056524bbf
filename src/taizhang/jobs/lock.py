"""The daily run's lock and log file: one run at a time, and a record of what it did.

Both work the same on Windows and Linux: the lock is an exclusive SQLite
transaction (released by the OS when the process dies), the log a UTF-8 file
readable by its owner only, with IDs and phones masked.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taizhang.errors import TaizhangError, os_error_line, os_error_reason
from taizhang.ledger.faults import (
    BUSY,
    CANTOPEN,
    CORRUPT,
    FULL,
    IOERR,
    LOCKED,
    NOTADB,
    READONLY,
    sqlite_code,
)

LOCK_NAME = ".taizhang-daily.lock"


@contextmanager
def daily_lock(folder: Path, wait: float) -> Iterator[None]:
    """One daily run at a time, on every OS: an exclusive SQLite transaction on
    a lock file. The OS releases it when the process dies, so a killed run
    never leaves a stale lock. Only a lock another run holds is reported as
    another run; a lock file that cannot be made (read-only folder, full
    disk) says so."""
    path = folder / LOCK_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_lock(path, os_error_reason(exc)[0]) from None
    try:
        lock = sqlite3.connect(path, timeout=wait, isolation_level=None)
    except sqlite3.Error as exc:
        raise _cannot_lock(path, _why(exc)) from None
    try:
        try:
            lock.execute("BEGIN EXCLUSIVE")
        except sqlite3.Error as exc:
            code = sqlite_code(exc)
            if code in (BUSY, LOCKED):
                raise TaizhangError(
                    f"另一个 taizhang daily 正在运行（等待{int(wait)}秒后仍未结束），本次不运行："
                    "请稍后再试，或检查是否有卡住的任务") from None
            if code in (NOTADB, CORRUPT):
                raise TaizhangError(
                    f"daily的锁文件{path}已损坏（不是taizhang写的锁文件）：请确认没有taizhang daily在运行后"
                    "删除该文件，再重新运行") from None
            raise _cannot_lock(path, _why(exc)) from None
        yield
        lock.execute("ROLLBACK")
    finally:
        lock.close()


def _why(exc: sqlite3.Error) -> str:
    code = sqlite_code(exc)
    return {CANTOPEN: "无法创建或打开该文件", READONLY: "只读", FULL: "磁盘已满",
            IOERR: "磁盘读写出错"}.get(code or 0, str(exc))


def _cannot_lock(path: Path, why: str) -> TaizhangError:
    return TaizhangError(
        f"无法创建daily的锁文件{path}（{why}）：请检查文件夹{path.parent}是否可写（没有权限、只读磁盘）、"
        "磁盘是否已满；本次没有运行")


class _LogFile(logging.FileHandler):
    """A log file that never prints a traceback: a line that cannot be
    written (full disk) is remembered, and the run says so in its summary."""

    failure: str | None = None

    def handleError(self, record: logging.LogRecord) -> None:
        import sys

        exc = sys.exc_info()[1]
        if self.failure is None:
            self.failure = os_error_reason(exc)[0] if isinstance(exc, OSError) else str(exc)


@contextmanager
def file_logger(path: Path) -> Iterator[logging.Logger]:
    """A log file readable by the owner only, for one run; messages never
    contain full IDs. The handler is closed when the run ends. A log that
    cannot be opened stops the run with a message; one that fails later is
    reported by `log_failure`."""
    from taizhang.ledger.store import create_private_file

    try:
        create_private_file(path)
        handler = _LogFile(path, encoding="utf-8")
    except OSError as exc:
        raise TaizhangError(os_error_line(f"无法写入日志文件{path}", exc, reading=False)
                            + "；本次没有运行") from None
    logger = logging.getLogger(f"taizhang.daily.{path.resolve()}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        try:
            handler.close()
        except OSError:
            pass  # each line was flushed when written: a failure showed then


def log_failure(logger: logging.Logger, path: Path) -> str | None:
    """A sentence for the run's summary when lines of its log were lost."""
    failure = next((h.failure for h in logger.handlers if isinstance(h, _LogFile) and h.failure), None)
    if failure is None:
        return None
    return f"日志写入失败：{path}（{failure}）中缺少本次运行的部分记录：请检查磁盘空间"
