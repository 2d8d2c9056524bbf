"""What SQLite says when the disk, the file or the medium refuses, in words
a clerk can act on.

A statement that fails with SQLITE_FULL (the disk is full) may already have
rolled the transaction back; the other codes here are a second writer
(BUSY), a file or medium that cannot be written (READONLY), a disk that
failed (IOERR), a damaged file (CORRUPT, NOTADB) and one that cannot be
opened at all (CANTOPEN, PERM). Anything else is left to the caller: it may
be a mistake in the program, and hiding it would hide the bug.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from taizhang.errors import TaizhangError

# primary result codes (https://sqlite.org/rescode.html); an extended code's low byte
PERM, BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 3, 5, 6, 8, 10, 11, 13, 14, 26

# Python before 3.11 gives no code: the message texts SQLite uses for them
_TEXTS = (("database or disk is full", FULL), ("readonly database", READONLY),
          ("database is locked", BUSY), ("database table is locked", LOCKED),
          ("disk i/o error", IOERR), ("malformed", CORRUPT), ("file is not a database", NOTADB),
          ("unable to open database", CANTOPEN), ("access permission denied", PERM))


def sqlite_code(exc: BaseException) -> int | None:
    """The primary SQLite result code of `exc`, None when it is no SQLite error."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF
    text = str(exc).lower()
    return next((c for words, c in _TEXTS if words in text), None)


class LedgerReadOnly(TaizhangError):
    """The ledger's file or medium cannot be written."""


def backups_of(path: Path) -> Path:
    return path.parent / "backups"


def read_only_error(path: Path, undone: str) -> LedgerReadOnly:
    return LedgerReadOnly(
        f"台账数据库{path}是只读的（文件设了只读属性，或在只读的磁盘、光盘上），无法写入（{undone}）："
        "请取消只读属性，或把它复制到本机可写的文件夹后用--db指定")


def ledger_error(exc: BaseException, path: Path, again: str = "运行",
                 undone: str = "台账未作任何更改") -> TaizhangError | None:
    """The message for a SQLite failure on the ledger at `path`, or None when
    it is not one of the faults above. `again` is what to do again once the
    cause is fixed (导入, 运行), `undone` what was not done."""
    code = sqlite_code(exc)
    if code == FULL:
        return TaizhangError(f"磁盘空间已满，无法写入台账数据库{path}：请清理磁盘后重新{again}（{undone}）")
    if code in (BUSY, LOCKED):
        return TaizhangError(f"台账数据库{path}正被另一个taizhang进程写入，等待超时：请等它结束后再运行")
    if code == READONLY:
        return read_only_error(path, undone)
    if code == IOERR:
        return TaizhangError(f"读写台账数据库{path}时磁盘出错（{exc}）：请检查磁盘空间和磁盘"
                             f"（U盘、移动硬盘是否已拔出）后重新{again}（{undone}）")
    if code in (CORRUPT, NOTADB):
        return TaizhangError(f"台账数据库{path}已损坏或不是数据库文件（{exc}）：请检查--db路径；"
                             f"如果是台账，请用备份恢复（{backups_of(path)}文件夹）")
    if code in (CANTOPEN, PERM):
        return TaizhangError(f"无法打开台账数据库{path}（{exc}）：请检查文件和所在文件夹的权限，"
                             "以及磁盘是否可用")
    return None
