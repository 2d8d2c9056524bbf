"""Only regular files are read: a named pipe (FIFO), a device such as
/dev/zero or a socket given as a path would block a read forever or never
end, so it is skipped (an input) or refused (--db, --config, --policy)
before anything opens it. Folders are the callers' business.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from taizhang.errors import UsageError


def special_kind(path: Path) -> str | None:
    """What `path` is when it exists and is neither a regular file nor a
    folder (a symbolic link is judged by what it points to); None otherwise,
    also when it cannot be examined (the reader then says why)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "FIFO命名管道"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def skip_special(path: Path, notes: list[str]) -> bool:
    """True, with a note for the clerk, when an input path is not a regular file."""
    kind = special_kind(path)
    if kind is None:
        return False
    notes.append(f"{path}：不是普通文件，已跳过（这是{kind}，taizhang只读取表格文件）")
    return True


def require_regular(path: Path, what: str, option: str) -> None:
    """A usage error (exit 2) when `path` exists and is not a regular file:
    `what` is the file's role (台账数据库, 配置文件, 政策文件), `option` where
    it was named (--db路径)."""
    if path.is_dir():
        raise UsageError(f"{what}{path}是一个文件夹，不是文件：请检查{option}")
    kind = special_kind(path)
    if kind is not None:
        raise UsageError(f"{what}{path}不是普通文件（这是{kind}），taizhang不读取它：请检查{option}")
