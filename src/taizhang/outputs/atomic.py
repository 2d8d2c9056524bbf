"""Writing an output file: whole or not at all, and a clear message when the
disk says no.

Every file taizhang writes (lists, reports, notices, the export) is written
to a temporary name in the target's folder (`.NAME.tmp-PID`, readable by the
owner only) and renamed over the target with `os.replace`, so a reader never
sees half a file and a killed run leaves at most a temporary file that the
next `daily` deletes. On any failure the temporary file is removed, and an
OSError (full disk, no permission, read-only medium, a file open in
Excel/WPS on Windows) becomes a `TaizhangError` naming the file and saying
what to do, in the words of `taizhang.errors.os_error_reason` (shared with
the readers and the command line).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taizhang.errors import TaizhangError, UsageError, os_error_reason
from taizhang.ledger.store import create_private_file


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
