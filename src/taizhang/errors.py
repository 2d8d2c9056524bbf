"""One exception base for failures the user must see.

Library code raises `TaizhangError` (or a subclass) with a Chinese message that
says what to do; only `cli.py` turns it into a printed line and an exit code.
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
