"""Normalise single cell values: ID numbers, phones, dates, temperatures, results.

Every function here is pure and takes the raw cell as the reader produced it
(str, int, float, date, datetime or None), because the cell *type* carries
information: an ID in a number cell has already lost digits. Parsers return a
small result object rather than raising, so validation can turn every failure
into a `Problem` with the file, sheet, row and column the clerk needs.

String parsers are cached: a column holds few distinct values (dates, results,
village names), and parsing each distinct value once is what keeps a
million-row import fast (TECH_NOTES "Dates").
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

# --------------------------------------------------------------------------- text


def is_blank(raw: Any) -> bool:
    """True for None, NaN and strings that are only white space."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not raw.strip()


def clean_text(raw: Any) -> str:
    """Trimmed text of a cell; numbers lose a spurious `.0` (Excel stores 3 as 3.0)."""
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


# --------------------------------------------------------------------------- ID numbers

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


_ID_WEIGHT_SUM_OF_ZEROS = ord("0") * sum(ID_WEIGHTS)


def id_check_char(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits."""
    if len(first17) != 17:
        raise ValueError("need 17 digits")
    # digit bytes minus ord("0"), weighted: map() over bytes runs in C
    total = sum(map(operator.mul, first17.encode("ascii"), ID_WEIGHTS)) - _ID_WEIGHT_SUM_OF_ZEROS
    return ID_CHECK_CHARS[total % 11]


@dataclass(frozen=True, slots=True)
class IdResult:
    """An ID number after cleaning.

    `text` is what is stored (cleaned, or the raw text when it cannot be
    cleaned); `valid` says it may serve as a person key; `code`/`detail`
    describe the first problem found, if any.
    """

    text: str
    valid: bool
    code: str | None = None
    detail: str = ""
    birth_date: date | None = None
    sex: str | None = None


# Blank cells are the commonest input; frozen results are immutable, so share one
# instead of building it per cell (a frozen dataclass costs a microsecond to make).
_NO_ID = IdResult("", False, "missing", "")

_SCI_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


def parse_id(raw: Any, as_of: date | None = None) -> IdResult:
    """Clean and check an ID number (SPEC §3).

    A number cell holding more than 15 digits, scientific notation, or 18
    digits ending in 000 with a wrong check digit are Excel damage: reported
    as `id_scientific`, never repaired, because the lost digits cannot be
    known.
    """
    if isinstance(raw, bool) or is_blank(raw):
        return _NO_ID
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not raw.is_integer():
            return IdResult(raw_repr(raw), False, "id_scientific", "被Excel存成了小数")
        digits = str(int(raw))
        if len(digits) > 15:
            return IdResult(
                f"{raw:.14E}" if isinstance(raw, float) else digits,
                False,
                "id_scientific",
                "存成了数字，Excel只保留15位有效数字，后几位已丢失",
            )
        return _check_id_text(digits, as_of)
    return _check_id_text(clean_id_text(str(raw)), as_of)


@lru_cache(maxsize=65536)
def clean_id_text(text: str) -> str:
    """Strip spaces and a leading apostrophe, full-width to half-width, x/× to X."""
    if text.isascii() and text.isalnum():  # the usual case: nothing to normalise
        return text.replace("x", "X")
    text = normalize_identifier(text).lstrip("'‘’`")
    return text.replace("x", "X").replace("×", "X")


@lru_cache(maxsize=262144)
def _check_id_text(text: str, as_of: date | None) -> IdResult:
    if _SCI_RE.match(text):
        return IdResult(text, False, "id_scientific", "是科学计数法，后几位已丢失")
    if len(text) == 18:
        # ASCII digits only: str.isdigit() also accepts ٣ and other scripts' digits
        if not (text.isascii() and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
            return IdResult(text, False, "id_length", "含有数字和末位X以外的字符")
        expected = id_check_char(text[:17])
        if text[17] != expected:
            if text.endswith("000"):
                return IdResult(
                    text, False, "id_scientific", "末尾为000且校验位不符，像是被Excel截断过"
                )
            return IdResult(text, False, "id_checksum", f"校验位应为{expected}")
        birth = _birth(text[6:14], as_of)
        if birth is None:
            return IdResult(text, False, "id_birthdate", f"出生日期{text[6:14]}不存在")
        sex = "男" if int(text[16]) % 2 == 1 else "女"
        return IdResult(text, True, None, "", birth, sex)
    if len(text) == 15:
        if not (text.isascii() and text.isdigit()):
            return IdResult(text, False, "id_length", "含有非数字字符")
        birth = _birth("19" + text[6:12], as_of)
        if birth is None:
            return IdResult(text, False, "id_birthdate", f"出生日期19{text[6:12]}不存在")
        sex = "男" if int(text[14]) % 2 == 1 else "女"
        return IdResult(text, True, "id_legacy", "是15位旧号码", birth, sex)
    return IdResult(text, False, "id_length", f"有{len(text)}位，应为18位")


@lru_cache(maxsize=65536)
def _birth(yyyymmdd: str, as_of: date | None) -> date | None:
    if len(yyyymmdd) != 8 or not yyyymmdd.isdigit():
        return None
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None
    if born.year < 1880 or (as_of is not None and born > as_of):
        return None
    return born


def id_from_legacy(text15: str) -> str:
    """The 18-digit form of a 15-digit ID (century 19 inserted, check digit added)."""
    first17 = text15[:6] + "19" + text15[6:]
    return first17 + id_check_char(first17)


# --------------------------------------------------------------------------- phones


@dataclass(frozen=True, slots=True)
class PhoneResult:
    text: str
    valid: bool
    kind: str = ""  # "mobile" or "landline"


_NO_PHONE = PhoneResult("", False)
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^(0\d{9,11}|[2-9]\d{6,7})$")


def parse_phone(raw: Any) -> PhoneResult:
    """Mobile `1[3-9]` + 9 digits or a landline; separators and +86 stripped."""
    if isinstance(raw, bool) or is_blank(raw):
        return _NO_PHONE
    return _parse_phone_text(clean_text(raw))


@lru_cache(maxsize=65536)
def _parse_phone_text(text: str) -> PhoneResult:
    first = re.split(r"[/、,，;；]", normalize_identifier(text))[0]
    digits = re.sub(r"[-—–()（）.]", "", first.lstrip("'"))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE_RE.match(digits):
        return PhoneResult(digits, True, "mobile")
    if _LANDLINE_RE.match(digits):
        return PhoneResult(digits, True, "landline")
    return PhoneResult(text, False)


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
                error=f"数字{text}可能是{month_text}月{day}日或{month_text}月{day}0日"
            )
        return _yearless(int(month_text), day)
    return DateResult(error="不是日期")


@lru_cache(maxsize=65536)
def _parse_date_text(text: str) -> DateResult:
    text = normalize_identifier(text).lstrip("'")
    if not text:
        return DateResult()
    m = _FULL_RE.match(text) or _COMPACT_RE.match(text)
    if m:
        return _full(int(m[1]), int(m[2]), int(m[3]))
    m = _YEARLESS_RE.match(text)
    if m:
        return _yearless(int(m[1]), int(m[2]))
    if _SERIAL_RE.match(text):
        return _parse_date_number(float(text))
    return DateResult(error="无法识别的日期格式")


def _full(year: int, month: int, day: int) -> DateResult:
    try:
        return DateResult(date(year, month, day))
    except (ValueError, OverflowError):
        return DateResult(error=f"不存在的日期（{year}年{month}月{day}日）")


def _yearless(month: int, day: int) -> DateResult:
    try:
        date(2000, month, day)  # a leap year admits 2月29日
    except (ValueError, OverflowError):
        return DateResult(error=f"不存在的日期（{month}月{day}日）")
    return DateResult(month=month, day=day)


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


def split_embedded_test(text: str) -> tuple[str, str]:
    """Split a `第N次核酸` cell such as `1.29阴` or `2022/1/29 阴性` into
    (date text, result text)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    m = _EMBEDDED_RE.match(cleaned)
    if not m:  # pragma: no cover - the pattern matches every string
        return cleaned, ""
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
