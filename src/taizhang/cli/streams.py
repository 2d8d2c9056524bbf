"""The command's own output streams and the faults under a command: a full
or closed stdout, a closed stderr, an OSError or SQLite failure no library
code turned into a message. `common.handle_errors` uses these.

A closed pipe (`taizhang export --format csv | head -1` once head has gone)
ends quietly; a full disk behind `>` is one line on stderr; a stream closed
before the start (`>&-` in a cron line) swallows what is printed, and the
command still does its work.

No character ends a command (`configure_streams`, at start-up): a stream
that is not a terminal (`> 名单.txt`, a pipe, Task Scheduler's log) is
written in UTF-8 whatever the console's code page, without a BOM; a
terminal keeps its encoding (a GBK console shows GBK, not mojibake) and a
name it cannot show (王䶮, 𠮷野) prints as "?" there; JSON on such a
terminal keeps the character as a \\u escape instead (`fit_json`).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from taizhang.ledger.faults import ledger_error
from taizhang.outputs.atomic import os_error_reason


def open_closed_streams() -> None:
    """Python sets a stream closed at the start to None: give it /dev/null."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")


def configure_streams() -> None:
    """Make stdout and stderr unable to fail on a character: UTF-8 (no BOM)
    when the stream is a file or a pipe, the terminal's own encoding with
    `errors="replace"` when it is a terminal. Why no BOM: a redirect is often
    appended to (`>>` under cron: a BOM in the middle of the file), piped on
    (JSON must not start with one) or read by a script; Notepad, WPS and
    VS Code open BOM-less UTF-8 as UTF-8. A stream that cannot be
    reconfigured (not a text file) is left as it is."""
    open_closed_streams()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            if is_terminal(stream):
                reconfigure(errors="replace")
            else:
                reconfigure(encoding="utf-8", errors="replace")
        except (OSError, ValueError, LookupError):  # closed, or a stream that refuses
            pass


def is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def fit_json(text: str) -> str:
    """JSON for stdout: as it is when stdout can encode every character (a
    file, a pipe, a UTF-8 terminal); on a terminal that cannot (a GBK
    console), each character it cannot show becomes its JSON escape
    (\\u4dee), so the JSON stays whole and valid."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        pass
    except LookupError:
        return text
    import json

    def fit(ch: str) -> str:
        try:
            ch.encode(encoding)
            return ch
        except UnicodeEncodeError:
            return json.dumps(ch)[1:-1]

    return "".join(fit(ch) if ord(ch) > 127 else ch for ch in text)


def settle_stdout() -> None:
    """Flush what the command printed; if stdout cannot take it, drop it, so
    that Python's own flush at exit does not fail a second time."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        discard_stdout()


def discard_stdout() -> None:
    """Point stdout's file descriptor at /dev/null: what is still buffered goes nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def closed_pipe(exc: OSError) -> bool:
    return isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE or (
        sys.platform == "win32" and exc.errno == errno.EINVAL and exc.filename is None)


def os_failure_message(exc: OSError) -> str | None:
    """The line for an OSError that reached the command; None for a closed
    pipe, which ends quietly (stdout is discarded)."""
    if closed_pipe(exc):
        discard_stdout()
        return None
    settle_stdout()
    reason, advice = os_error_reason(exc)
    if exc.filename is None:  # every file taizhang writes names itself: this is stdout
        return f"输出结果失败（{reason}）：如果结果被重定向到了文件（>），{advice}"
    return f"无法读写{exc.filename}（{reason}）：{advice}"


def ledger_fault(exc: BaseException, db_path: Callable[[], Path]) -> str | None:
    """What a SQLite failure that reached the command means (full disk,
    read-only or damaged ledger), or None for anything else (a bug)."""
    if not isinstance(exc, sqlite3.Error):
        return None
    try:
        path = db_path()
    except Exception:  # a broken config: the message still says what happened
        path = Path("taizhang.db")
    fault = ledger_error(exc, path)
    return fault.message if fault is not None else None
