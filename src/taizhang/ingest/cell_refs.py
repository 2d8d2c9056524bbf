"""Cell references in a sheet's XML, for the extent check (`extent`): column
letters and numbers, and the patterns that find the references worth reading."""

from __future__ import annotations

import re
from functools import lru_cache


def col_number(letters: bytes) -> int:
    """The number of column `letters` (b"A" -> 1, b"XFD" -> 16384)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def column_letters(n: int) -> str:
    """Excel's letters of column `n` (1 -> A, 16384 -> XFD), for messages."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@lru_cache(maxsize=8)
def odd_cell(prefix: bytes) -> re.Pattern[bytes]:
    """A cell tag `<c` followed by anything but a space (`<c>`, `<c/>`, `<c\n`)."""
    return re.compile(b"<" + re.escape(prefix) + rb"c[>/\t\n\r]")


@lru_cache(maxsize=8)
def far_references(prefix: bytes) -> re.Pattern[bytes]:
    """References past ZZ99999 (or not references at all): the few worth reading."""
    return re.compile(b"<" + re.escape(prefix) + rb'c r="(?![A-Z]{1,2}[0-9]{1,5}")([^"]*)"')


@lru_cache(maxsize=2048)
def two_letters_after(prefix: bytes, widest: bytes) -> re.Pattern[bytes] | None:
    """References from AA1 to ZZ99999 whose column comes after `widest` (two
    letters, or b"" for any), capturing the column; None after ZZ."""
    if not widest:
        columns = b"[A-Z]{2}"
    else:
        first, second = widest[0], widest[1]
        later = [b"[%c-Z][A-Z]" % (first + 1)] if first < ord("Z") else []
        later += [b"%c[%c-Z]" % (first, second + 1)] if second < ord("Z") else []
        if not later:
            return None
        columns = b"(?:" + b"|".join(later) + b")"
    return re.compile(b"<" + re.escape(prefix) + b'c r="(' + columns + rb')[0-9]{1,5}"')
