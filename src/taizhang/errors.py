"""One exception base for failures the user must see.

Library code raises `TaizhangError` (or a subclass) with a Chinese message that
says what to do; only `cli.py` turns it into a printed line and an exit code.
An OSError is put in words by `os_error_reason` (one wording for files read
and written: missing, no permission or held open in Excel/WPS, disk full…).
Problems found *in the data* are not exceptions: they are `Problem` records
collected by validation.
"""

from __future__ import annotations


class TaizhangError(Exception):
    """A failure the user can act on. `exit_code` follows SPEC §6 (1 data, 2 usage)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(TaizhangError):
    """Wrong options or configuration: exit 2."""

    exit_code = 2


class FileReadError(TaizhangError):
    """One input file cannot be read at all; the others are still processed."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}：{reason}")
        self.path = path
        self.reason = reason


# ---------------------------------------------------------------- OS errors in Chinese

# errno values the words below name; Windows gives its own codes in `winerror`:
# ERROR_HANDLE_DISK_FULL/ERROR_DISK_FULL, ERROR_SHARING_VIOLATION/ERROR_LOCK_VIOLATION
# (a file open in Excel/WPS), ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND/ERROR_PATH_NOT_FOUND
_EDQUOT = 122  # Linux; absent from `errno` on Windows
_WIN_FULL, _WIN_IN_USE, _WIN_DENIED, _WIN_MISSING = {39, 112}, {32, 33}, {5}, {2, 3}
CLOSE_IN_EXCEL = "请先在Excel/WPS中关闭该文件"


def os_error_reason(exc: OSError, replacing: bool = False, reading: bool = False) -> tuple[str, str]:
    """(what happened, what to do) for an OSError, in Chinese: the one wording
    of a disk or file fault, for files read and files written. `replacing`:
    the failure came when a finished output took the place of an existing
    file, which on Windows is how a file open in Excel/WPS shows; `reading`:
    the file was being read (advice: check the path, ask for access)."""
    import errno

    code, winerror = exc.errno, getattr(exc, "winerror", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", _EDQUOT)) or winerror in _WIN_FULL:
        return "磁盘已满", "请清理磁盘空间后重新运行"
    if code == errno.EROFS:
        return "磁盘或文件夹是只读的", "请换一个可写的位置后重新运行"
    if winerror in _WIN_IN_USE:
        return "文件被占用", f"{CLOSE_IN_EXCEL}后重新运行"
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT or winerror in _WIN_MISSING:
        if reading:
            return "文件不存在", "请检查路径和文件名是否写对（可把文件拖进命令行窗口得到完整路径）"
        return "文件夹不存在", "请检查路径是否写对"
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM) or winerror in _WIN_DENIED:
        if replacing or reading:
            what = "读取" if reading else "写入"
            return "文件被占用或没有权限", (f"如果该文件正在Excel/WPS中打开，{CLOSE_IN_EXCEL}后重新运行；"
                                     f"否则请向电脑管理员申请该文件和文件夹的{what}权限")
        return "没有权限", "请向电脑管理员申请该文件夹的写入权限，或换一个可写的位置"
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        return "这是一个文件夹", "请给出文件名"
    if code == errno.ENAMETOOLONG:
        return "路径或文件名太长", "请换一个短一些的文件夹或文件名"
    if code == errno.ENOTDIR or isinstance(exc, FileExistsError):
        return "路径中有一段不是文件夹", "请检查路径"
    if code == errno.EIO:
        return "磁盘读写出错", "请检查磁盘（U盘、移动硬盘是否已拔出）后重新运行"
    detail = exc.strerror or type(exc).__name__
    return f"系统错误：{detail}", "请检查路径、磁盘空间和文件夹权限后重新运行"


def os_error_text(exc: OSError, reading: bool = True) -> str:
    """"文件不存在，请检查路径…": what happened and what to do as one clause,
    for a message that already names the file."""
    reason, advice = os_error_reason(exc, reading=reading)
    return f"{reason}，{advice}"


def os_error_line(what: str, exc: OSError, reading: bool = True) -> str:
    """"无法读取文件X（文件不存在）：请检查路径…" — `what` names the action and the file."""
    reason, advice = os_error_reason(exc, reading=reading)
    return f"{what}（{reason}）：{advice}"
