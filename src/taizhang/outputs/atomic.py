"""Writing an output file: whole or not at all, and a clear message when the
disk says no.

Every file taizhang writes (lists, reports, notices, the export) is written
to a temporary name in the target's folder (`.NAME.tmp-PID`, readable by the
owner only) and renamed over the target with `os.replace`, so a reader never
sees half a file and a killed run leaves at most a temporary file that the
next `daily` deletes. On any failure the temporary file is removed, and an
OSError (full disk, no permission, read-only medium, a file open in
Excel/WPS on Windows) becomes a `TaizhangError` naming the file and saying
what to do.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taizhang.errors import TaizhangError, UsageError
from taizhang.ledger.store import create_private_file

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# Windows: ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL; ERROR_SHARING_VIOLATION,
# ERROR_LOCK_VIOLATION (a file open in Excel/WPS); ERROR_ACCESS_DENIED
_WIN_FULL = {39, 112}
_WIN_IN_USE = {32, 33}
_WIN_DENIED = {5}
CLOSE_IN_EXCEL = "请先在Excel/WPS中关闭该文件"


def os_error_reason(exc: OSError, replacing: bool = False) -> tuple[str, str]:
    """(what happened, what to do), in Chinese. `replacing`: the failure came
    when the finished file took the place of an existing one, which on
    Windows is how a file open in Excel/WPS shows."""
    code, winerror = exc.errno, getattr(exc, "winerror", None)
    if code in _FULL or winerror in _WIN_FULL:
        return "磁盘已满", "请清理磁盘空间后重新运行"
    if code == errno.EROFS:
        return "磁盘或文件夹是只读的", "请换一个可写的位置后重新运行"
    if winerror in _WIN_IN_USE:
        return "文件被占用", f"{CLOSE_IN_EXCEL}后重新运行"
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM) or winerror in _WIN_DENIED:
        if replacing:
            return "文件被占用或没有权限", (f"如果该文件正在Excel/WPS中打开，{CLOSE_IN_EXCEL}后重新运行；"
                                     "否则请检查文件和文件夹的权限")
        return "没有权限", "请检查文件夹的权限，或换一个可写的位置"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹", "请给出文件名"
    if code == errno.ENAMETOOLONG:
        return "路径或文件名太长", "请换一个短一些的文件夹或文件名"
    if code == errno.ENOTDIR or isinstance(exc, FileExistsError):
        return "路径中有一段不是文件夹", "请检查路径"
    if code == errno.EIO:
        return "磁盘读写出错", "请检查磁盘（U盘、移动硬盘是否已拔出）后重新运行"
    return exc.strerror or str(exc), "请检查磁盘空间和文件夹权限"


def write_error(path: Path, exc: OSError, replacing: bool = False) -> TaizhangError:
    reason, advice = os_error_reason(exc, replacing)
    return TaizhangError(f"写入{path}失败（{reason}）：{advice}")


def _as_os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc`: itself, or the one a writer library wrapped
    (xlsxwriter raises FileCreateError from the OSError of its zip file)."""
    if isinstance(exc, TaizhangError):  # already says what to do
        return None
    context = None if exc.__suppress_context__ else exc.__context__
    for candidate in (exc, exc.__cause__, context, *exc.args[:1]):
        if isinstance(candidate, OSError):
            return candidate
    return None


def temp_name(out: Path) -> Path:
    return out.with_name(f".{out.name}.tmp-{os.getpid()}")


@contextmanager
def atomic_write(out: Path) -> Iterator[Path]:
    """Yield a temporary path beside `out` to write the whole file to; on
    success it replaces `out`. On any failure the temporary file is removed
    and `out` is left as it was; an OSError becomes a TaizhangError naming
    `out`."""
    if out.is_dir():
        raise UsageError(f"{out}是一个文件夹，不能写成文件：请给出文件名，如 {out / '名单.xlsx'}")
    tmp = temp_name(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        create_private_file(tmp)
    except OSError as exc:
        _remove(tmp)
        raise write_error(out, exc) from None
    replacing = False
    try:
        yield tmp
        replacing = True
        os.replace(tmp, out)
    except Exception as exc:
        _remove(tmp)
        cause = _as_os_error(exc)
        if cause is None:
            raise
        raise write_error(out, cause, replacing) from None
    except BaseException:  # Ctrl-C: no debris either
        _remove(tmp)
        raise


def _remove(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


def write_bytes(out: Path, data: bytes) -> None:
    with atomic_write(out) as tmp:
        tmp.write_bytes(data)


def write_text(out: Path, text: str, encoding: str = "utf-8") -> None:
    write_bytes(out, text.encode(encoding))
