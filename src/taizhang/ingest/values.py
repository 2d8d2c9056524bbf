"""Normalise single cell values: text, dates, temperatures, test results, sex.

Every function here is pure and takes the raw cell as the reader produced it
(str, int, float, date, datetime or None), because the cell *type* carries
information: a date in a number cell is an Excel serial. Parsers return a
small result object rather than raising, so validation can turn every failure
into a `Problem` with the file, sheet, row and column the clerk needs. ID
numbers and phones, the cells that identify a person, are parsed in `ids`.

String parsers are cached: a column holds few distinct values (dates, results,
village names), and parsing each distinct value once is what keeps a
million-row import fast (TECH_NOTES "Dates").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

# --------------------------------------------------------------------------- text


def is_blank(raw: Any) -> bool:
    """True for None, NaN and strings that are only white space."""
    if type(raw) is str:  # the commonest cell, first
        return not raw.strip()
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not raw.strip()


def clean_text(raw: Any) -> str:
    """Trimmed text of a cell; numbers lose a spurious `.0` (Excel stores 3 as 3.0)."""
    if type(raw) is str:  # the commonest cell: blank text trims to "" too
        return raw.strip()
    if is_blank(raw):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


@lru_cache(maxsize=65536)
def normalize_identifier(text: str) -> str:
    """NFKC (full-width digits/letters to half-width) and all white space removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def raw_repr(raw: Any) -> str:
    """The value as the clerk would see it, for problem reports."""
    if isinstance(raw, float) and not raw.is_integer():
        return repr(raw)
    return clean_text(raw)


# --------------------------------------------------------------------------- dates

EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 20000, 60000  # 1954-10-03 .. 2064-04-08


@dataclass(frozen=True, slots=True)
class DateResult:
    """A parsed date. `value` is set for a full date; `month`/`day` alone for a
    date written without a year (resolved later against the sheet's other
    dates); `error` explains a value that cannot be read."""

    value: date | None = None
    month: int = 0
    day: int = 0
    error: str = ""

    @property
    def yearless(self) -> bool:
        return self.value is None and self.month > 0 and not self.error


_FULL_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T ]?\s*\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2}(?:\.\d+)?)?)?$"
)
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEARLESS_RE = re.compile(r"^(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*[日号]?$")
_SERIAL_RE = re.compile(r"^\d{5}(\.\d+)?$")
_NO_DATE = DateResult()


def parse_date(raw: Any) -> DateResult:
    """Read a date in any of the forms of SPEC §3 (see `_parse_date_text`)."""
    if isinstance(raw, bool) or is_blank(raw):
        return _NO_DATE
    if isinstance(raw, datetime):
        return _date_result(raw.date())
    if isinstance(raw, date):
        return _date_result(raw)
    if isinstance(raw, (int, float)):
        return _parse_date_number(float(raw))
    return _parse_date_text(str(raw))


@lru_cache(maxsize=65536)
def _date_result(value: date) -> DateResult:
    return DateResult(value)


@lru_cache(maxsize=65536)
def _parse_date_number(value: float) -> DateResult:
    if SERIAL_MIN <= value <= SERIAL_MAX:
        return DateResult(EXCEL_EPOCH + timedelta(days=int(value)))
    if value.is_integer() and 19000101 <= value <= 21001231:
        return _parse_date_text(str(int(value)))
    if 1 <= value < 13 and not value.is_integer():
        # "1.29" typed into a number cell: month.day. One fractional digit is
        # ambiguous (1.2 may have been 1.20), so ask instead of guessing.
        text = repr(value)
        month_text, day_text = text.split(".")
        day = int(day_text)
        if len(day_text) == 1 and day * 10 <= 31:
            return DateResult(
                error=f"数字{text}可能是{month_text}月{day}日或{month_text}月{day}0日：请把该列设为“文本”"
                      f"格式后写成{DATE_EXAMPLE}这样的日期"
            )
        return _yearless(int(month_text), day)
    return DateResult(error=f"不是日期：请改为{DATE_EXAMPLE}这样的格式")


@lru_cache(maxsize=65536)
def _parse_date_text(text: str) -> DateResult:
    # the time of day is cut off first, while the space before it still
    # separates it: without it "2022-1-5 14:30" read as 1月51日 4:30
    date_text, when = split_time(text)
    text = normalize_identifier(date_text).lstrip("'")
    if not text:
        return DateResult(error=f"只有时间，没有日期：请补上日期，如{DATE_EXAMPLE} 14:30") if when else DateResult()
    m = _FULL_RE.match(text) or _COMPACT_RE.match(text)
    if m:
        return _full(int(m[1]), int(m[2]), int(m[3]))
    m = _YEARLESS_RE.match(text)
    if m:
        return _yearless(int(m[1]), int(m[2]))
    if _SERIAL_RE.match(text):
        return _parse_date_number(float(text))
    if _MONTH_RE.match(text):
        return DateResult(error=f"只有年月（{text}），没有日：请写明是哪一天，如{DATE_EXAMPLE}")
    return DateResult(error=f"无法识别的日期格式：请改为{DATE_EXAMPLE}这样的格式")


# A date's problem says what is wrong and what to do (`DateResult.error`):
# the format's example only when the format is the problem.
DATE_EXAMPLE = "2022-01-28"
_MONTH_RE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*月?$")


def _full(year: int, month: int, day: int) -> DateResult:
    try:
        return DateResult(date(year, month, day))
    except (ValueError, OverflowError):
        return DateResult(error=f"不存在的日期（{year}年{month}月{day}日）：{_no_such_day(month, day, year)}")


def _yearless(month: int, day: int) -> DateResult:
    try:
        date(2000, month, day)  # a leap year admits 2月29日
    except (ValueError, OverflowError):
        return DateResult(error=f"不存在的日期（{month}月{day}日）：{_no_such_day(month, day)}")
    return DateResult(month=month, day=day)


def _no_such_day(month: int, day: int, year: int | None = None) -> str:
    """The advice for a date the calendar does not have: its format is fine."""
    if not 1 <= month <= 12:
        return f"没有{month}月，请核对月份（年、月、日的顺序应为2022-01-28）"
    if month == 2 and day == 29 and year is not None:
        return f"{year}年不是闰年，2月只有28日，请核对日期"
    if day == 0:
        return "没有0日，请核对日期"
    return f"{month}月没有{day}日，请核对日期"


# A time of day after a date: "2022-01-25 14:30:00", "2022/1/25 14:30",
# "2022-01-25T14:30", "2022年1月25日 14时30分", "1月25日 下午2:30"; or alone ("14:30").
_TIME_RE = re.compile(
    r"(?:^|\s+|(?<=\d)T|(?<=[日号]))\s*(?P<half>上午|下午|早上|晚上|中午|凌晨|AM|PM)?\s*"
    r"(?P<h>\d{1,2})(?:[:：](?P<m>\d{1,2})(?:[:：]\d{1,2}(?:\.\d+)?)?"
    r"|[时時点點](?:(?P<m2>\d{1,2})分?)?(?:\d{1,2}秒)?)\s*(?P<half2>AM|PM)?$",
    re.IGNORECASE,
)
_AFTERNOON = ("下午", "晚上", "中午", "pm")


@lru_cache(maxsize=65536)
def split_time(text: str) -> tuple[str, time | None]:
    """A cell's text as (the date part, the time of day or None). The date
    counts (SPEC §2); the time only says a reading's 时段 (`time_of_day`)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    m = _TIME_RE.search(cleaned)
    if m is None:
        return cleaned, None
    hour, minute = int(m["h"]), int(m["m"] or m["m2"] or 0)
    half = (m["half"] or m["half2"] or "").lower()
    if half in _AFTERNOON and hour < 12:
        hour += 12
    elif half and hour == 12 and half not in _AFTERNOON:  # 凌晨12点, 12:30 AM
        hour = 0
    if hour > 23 or minute > 59:
        return cleaned, None  # no time of day: left to the date's parser, as written
    return cleaned[:m.start()].rstrip(), time(hour, minute)


def time_of_day(raw: Any) -> time | None:
    """The time of day a cell states, or None: a datetime or time cell, an
    Excel serial with a fraction (44586.604 is 14:30), text with a time. A
    midnight is no time (date cells come back as datetimes at 00:00)."""
    if isinstance(raw, datetime):
        when: time | None = raw.time()
    elif isinstance(raw, time):
        when = raw
    elif isinstance(raw, (bool, date)) or is_blank(raw):
        return None
    elif isinstance(raw, (int, float)) or _SERIAL_RE.match(str(raw).strip()):
        value = float(raw)
        if not (0 <= value < 1 or SERIAL_MIN <= value <= SERIAL_MAX):
            return None
        seconds = round(value % 1 * 86400)
        when = time(seconds // 3600 % 24, seconds // 60 % 60)
    else:
        when = split_time(str(raw))[1]
    return when if when is not None and when != time(0) else None


def slot_of_time(when: time) -> str:
    """The 时段 of a reading taken at `when`: before 12:00 上午, else 下午 (SPEC §2)."""
    return "上午" if when < time(12) else "下午"


def resolve_year(month: int, day: int, reference: date) -> date | None:
    """The date with this month and day nearest to `reference` (SPEC §3)."""
    candidates = []
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda d: abs((d - reference).days))


# --------------------------------------------------------------------------- temperature

TEMP_MIN, TEMP_MAX = 34.0, 43.0


@dataclass(frozen=True, slots=True)
class TempResult:
    value: float | None = None
    error: str = ""


def parse_temperature(raw: Any) -> TempResult:
    """`36.5`, `36.5℃`, `36.5度`, `36.5°C`; plausible range 34.0–43.0."""
    if isinstance(raw, bool) or is_blank(raw):
        return TempResult()
    if isinstance(raw, (int, float)):
        return _check_temp(float(raw), raw_repr(raw))
    return _parse_temp_text(str(raw))


@lru_cache(maxsize=4096)
def _parse_temp_text(text: str) -> TempResult:
    cleaned = normalize_identifier(text)
    cleaned = re.sub(r"(℃|°C|°c|°|度|C|c)$", "", cleaned)
    try:
        value = float(cleaned)
    except ValueError:
        return TempResult(error="无法识别的体温")
    return _check_temp(value, text)


def _check_temp(value: float, text: str) -> TempResult:
    if math.isnan(value) or not TEMP_MIN <= value <= TEMP_MAX:
        return TempResult(error=f"体温{text}不在{TEMP_MIN}–{TEMP_MAX}℃之间")
    return TempResult(round(value, 1))


# --------------------------------------------------------------------------- test results

NEGATIVE, POSITIVE, PENDING = "negative", "positive", "pending"

_RESULT_WORDS = {
    NEGATIVE: ("阴性", "阴", "-", "−", "neg", "negative", "n", "阴性-", "未检出", "陰性", "陰",
               "陰性-", "未檢出"),
    POSITIVE: ("阳性", "阳", "+", "pos", "positive", "p", "阳性+", "检出", "陽性", "陽", "陽性+",
               "檢出"),
    PENDING: ("待出", "未出", "待检", "检测中", "结果未出", "待反馈", "待定", "未返回", "待檢",
              "檢測中", "結果未出"),
}
_RESULT_MAP = {word: result for result, words in _RESULT_WORDS.items() for word in words}

RESULT_LABELS = {NEGATIVE: "阴性", POSITIVE: "阳性", PENDING: "待出"}


@lru_cache(maxsize=4096)
def parse_result(text: str) -> str | None:
    """`negative`/`positive`/`pending`, or None when unreadable. Blank is pending."""
    cleaned = _BRACKETS_RE.sub("", normalize_identifier(text).lower())
    if not cleaned:
        return PENDING
    return _RESULT_MAP.get(cleaned)


_BRACKETS_RE = re.compile(r"[()（）\[\]【】]")
_EMBEDDED_RE = re.compile(
    r"^(?P<date>.*?)\s*(?P<result>阴性|阳性|陰性|陽性|阴|阳|陰|陽|待出|未出|待检|待檢|[-+−])?$")

_EMBEDDED_CODE_RE = re.compile(r"^(?P<date>.*\S)\s+(?P<result>[0-9A-Za-z]{1,4})$")


def split_embedded_test(text: str) -> tuple[str, str]:
    """Split a `第N次核酸` cell such as `1.29阴` or `2022/1/29 阴性` into
    (date text, result text)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    m = _EMBEDDED_RE.match(cleaned)
    if not m:  # pragma: no cover - the pattern matches every string
        return cleaned, ""
    if not m["result"] and (coded := _EMBEDDED_CODE_RE.match(cleaned)):
        # `2022/1/29 1`: a date and a system's code for the result (read via [values.result])
        found = parse_date(coded["date"])
        if found.value is not None or found.yearless:
            return coded["date"], coded["result"]
    return m["date"].strip(), (m["result"] or "")


# --------------------------------------------------------------------------- sex


def parse_sex(raw: Any) -> str | None:
    """男/女, or None when blank or unreadable."""
    text = normalize_identifier(clean_text(raw)).upper()
    if text in ("男", "男性", "M", "MALE"):
        return "男"
    if text in ("女", "女性", "F", "FEMALE"):
        return "女"
    return None
