"""Masking of ID numbers and phones (SPEC §9, 个人信息保护法).

Unless the user passed `--no-mask`, every text taizhang writes is masked —
not only the ID and phone fields: an ID typed into 日期, a phone in 体温 or in
包保责任人, 姓名 and 身份证号 swapped, an ID in a file name are personal data
too. Each kind of output masks at one place:

- `mask_field`: an ID or phone field by its rule (`330681********1234`,
  `138****5678`); `mask_value`: that, and any other field's text through
  `mask_text`; `mask_tree`: every string of a JSON-like structure (the JSON
  printer, the due lists, the report's data, a notice's person).
- `mask_text`: every ID-like and mobile-like digit run in free text (a
  message, a file name, a cell); dates, times, counts, temperatures and
  numbers already masked are left as they are.
- `SafeLogFilter`: a log record masked, and kept on one line (a newline in a
  file name must not forge log lines). Logs are masked even under `--no-mask`.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

PERSONAL_FIELDS = frozenset({"id_number", "phone"})


def mask_id(text: str) -> str:
    """`330681199001011234` -> `330681********1234`; short or damaged values
    keep at most their first 3 and last 2 characters."""
    if not text:
        return text
    if len(text) >= 18:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) >= 15:  # legacy numbers: hide the whole birth date (digits 7-12)
        return text[:6] + "*" * (len(text) - 9) + text[-3:]
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 5) + text[-2:]
    return "*" * len(text)


def mask_phone(text: str) -> str:
    """`13812345678` -> `138****5678`; landlines keep their area code and last 2 digits."""
    if not text:
        return text
    if len(text) == 11 and text.startswith("1"):
        return text[:3] + "****" + text[-4:]
    if len(text) >= 7:
        return text[:3] + "*" * (len(text) - 5) + text[-2:]
    return "*" * len(text)


def mask_field(field: str, value: str) -> str:
    """Mask `value` when `field` holds personal data; other fields pass through."""
    if field == "id_number":
        return mask_id(value)
    if field == "phone":
        return mask_phone(value)
    return value


# ID numbers and phones in free text. In order: an ID (18 digits, the last may
# be X, optionally grouped 6-8-4), a mobile written with +86/86 or grouped
# 3-4-4, a landline with its area code set apart, any other run of 7 or more
# digits (a landline, a damaged ID, a number written without separators).
_NUMBER_RE = re.compile(
    r"(?<!\d)\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx](?!\d)"
    r"|(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"
    r"|(?<!\d)(?:0\d{2,3}[ -]|[(（]0\d{2,3}[)）] ?)\d{7,8}(?!\d)"
    r"|(?<!\d)\d{7,}(?!\d)",
    re.ASCII,
)
_DATE_DIGITS_RE = re.compile(r"(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
# What every number above contains, in any script: a run of 7 digits, or
# digits grouped like 138 1234 5678. Text without one (a name, a date, a
# message quoting a row number) is returned after this one quick search.
_CANDIDATE_RE = re.compile(r"\d{7}|\d[ \-－\u3000]\d{4}[ \-－\u3000]?\d{4}")
# Digits of other scripts (full-width ０-９ …) and the full-width signs written
# between them, read as their ASCII twins, one character for one
_WIDE_RE = re.compile(r"(?![0-9])\d|[＋－\u3000]")
_WIDE_SIGNS = {"＋": "+", "－": "-", "\u3000": " "}


def _ascii_twin(m: re.Match[str]) -> str:
    char = m[0]
    return _WIDE_SIGNS.get(char) or str(unicodedata.digit(char))


def _masked_number(m: re.Match[str]) -> str:
    text = m[0]
    digits = re.sub(r"[^\dXx]", "", text)
    if len(digits) == 8 and text.isdigit() and _DATE_DIGITS_RE.fullmatch(digits):
        return text  # 20220129 is a date
    if len(digits) >= 15:
        return mask_id(digits)
    if len(digits) == 13 and digits.startswith("861"):  # +86 13812345678
        return "+86 " + mask_phone(digits[2:])
    return mask_phone(digits)


def mask_text(text: str) -> str:
    """Free text with every ID number and phone in it masked as taizhang masks
    them (`330681********1234`, `138****5678`), the rest as it was. Full-width
    digits count. One regex pass: no per-character Python work."""
    if not text or _CANDIDATE_RE.search(text) is None:
        return text
    plain = text if text.isascii() else _WIDE_RE.sub(_ascii_twin, text)  # same length
    parts: list[str] = []
    last = 0
    for m in _NUMBER_RE.finditer(plain):
        masked = _masked_number(m)
        if masked != m[0]:
            parts.append(text[last:m.start()])
            parts.append(masked)
            last = m.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def mask_value(field: str, value: str) -> str:
    """`value` as masked output shows it: an ID or phone field by its rule,
    any other field's text with every ID number and phone in it masked (an ID
    typed into 姓名 or 日期 is personal data too). The mask every output uses
    unless `--no-mask`."""
    if field in PERSONAL_FIELDS:
        return mask_field(field, value)
    return mask_text(value)


Mask = Callable[[str, str], str]


def mask_tree(data: Any, mask: Mask = mask_value, key: str = "") -> Any:
    """A copy of JSON-like `data` (dicts, lists, tuples, strings, numbers) with
    every string masked by `mask(key, text)`, `key` the nearest dict key (so
    `id_number` is masked as an ID, a name or a path as free text); dict keys
    as free text. Other values as they are. About a microsecond a string: the
    30,000 entries of a county's due lists take a fraction of a second."""
    kind = type(data)
    if kind is str:
        return mask(key, data)
    if kind is dict:
        out = {}
        for k, v in data.items():
            if type(k) is str:
                name, inner = _mask_key(k), k
            else:
                name, inner = k, key
            t = type(v)
            if t is str:
                out[name] = mask(inner, v)
            elif t in _PLAIN:
                out[name] = v
            else:
                out[name] = mask_tree(v, mask, inner)
        return out
    if kind is list or kind is tuple:
        return [mask_tree(v, mask, key) for v in data]
    if kind in _PLAIN:
        return data
    if isinstance(data, str):
        return mask(key, str(data))
    if isinstance(data, dict):
        return mask_tree(dict(data), mask, key)
    if isinstance(data, (list, tuple)):
        return mask_tree(list(data), mask, key)
    return data


_PLAIN = frozenset({int, float, bool, type(None)})
_mask_key = functools.lru_cache(maxsize=4096)(mask_text)  # keys repeat on every entry


# Characters that end or break a line for some reader (and other controls),
# shown escaped in a log line
_CONTROL_RE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
_CONTROL_NAMES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(m: re.Match[str]) -> str:
    char = m[0]
    code = ord(char)
    return _CONTROL_NAMES.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped (`\\n`,
    `\\r`, `\\x0b`, `\\u2028`): one log record stays one line."""
    return _CONTROL_RE.sub(_escaped, text)


class SafeLogFilter(logging.Filter):
    """Masks a log record's message (`mask_text`) and keeps it on one line
    (`one_line`): file names, sheet names, messages and values interpolated
    into a record can hold IDs, phones and newlines. Attach the shared
    `LOG_FILTER` to a logger: adding it twice is a no-op, and a record is
    rewritten once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "taizhang_safe", False):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # arguments that do not fit: logged, not raised
                message = f"{record.msg} {record.args}"
            record.msg = one_line(mask_text(message))
            record.args = ()
            record.taizhang_safe = True
        return True


LOG_FILTER = SafeLogFilter()
