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

from taizhang.errors import TaizhangError


@contextmanager
def daily_lock(folder: Path, wait: float) -> Iterator[None]:
    """One daily run at a time, on every OS: an exclusive SQLite transaction on
    a lock file. The OS releases it when the process dies, so a killed run
    never leaves a stale lock."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = sqlite3.connect(folder / ".taizhang-daily.lock", timeout=wait, isolation_level=None)
    try:
        try:
            lock.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise TaizhangError(
                f"另一个 taizhang daily 正在运行（等待{int(wait)}秒后仍未结束），本次不运行："
                "请稍后再试，或检查是否有卡住的任务"
            ) from None
        yield
        lock.execute("ROLLBACK")
    finally:
        lock.close()


@contextmanager
def file_logger(path: Path) -> Iterator[logging.Logger]:
    """A log file readable by the owner only, for one run; messages never
    contain full IDs. The handler is closed when the run ends."""
    from taizhang.ledger.store import create_private_file

    create_private_file(path)
    logger = logging.getLogger(f"taizhang.daily.{path.resolve()}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()
