"""Which rows below a sheet's header hold data (SPEC §2): not blank rows,
footers (填表人…), 合计 rows, notes blocks (注意：1、…) or the header repeated.

`layout` finds the header and the columns; this module reads the rows under
them. A county's sheets have 1.4 million such rows, so a row led by a number,
or by a first cell already judged, is taken without a second look.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from taizhang.ingest.headers import T2S, normalize_header
from taizhang.ingest.values import clean_text

if TYPE_CHECKING:
    from taizhang.ingest.layout import Column

_FOOTER_RE = re.compile(r"^(填表人|填报人|审核人|制表人|统计人|负责人|联系电话|填表日期|填报日期|"
                        r"报送日期|村负责人|村医签字|签字)")
_ID_LIKE_RE = re.compile(r"^\d{15}(\d{2}[\dXx])?$")
_TOTAL_RE = re.compile(r"^(合计|总计|小计|共计|汇总)")
# Notes blocks (SPEC §2: "Notes blocks are not people"), matched on the NFKC text
# of a row's first cell: a note word (注意：, 填表说明, 备注：…), a numbered item
# (1、证件类型取值… / (2) / 三、), or a sentence (punctuation no name or value has).
_NOTES_RE = re.compile(r"^(?:(?:填表|填报|填写)(?:说明|须知|要求)|注意事项|温馨提示|特别提示|特别说明|"
                       r"(?:说明|注意|提示|备注|注)(?:$|[:0-9一二三四五六七八九十(]))")
_ITEM_RE = re.compile(r"^\(?(?:\d{1,2}|[一二三四五六七八九十]{1,3})[)、.](?![\d.])\S{4}")
_CIRCLED_RE = re.compile(r"\s*[①-⑳]")  # before NFKC, which makes ① a plain 1
_SENTENCE_RE = re.compile(r"[,。;!?]|(?<!\d):|:(?!\d)")
# What only a person's row holds besides its first text: a date written out
# (1月28日, 2022.1.28, 1.28), as well as ID- or phone-like text (looks_like_data).
_DATE_TEXT_RE = re.compile(r"^\d{1,4}[年./-]\d{1,2}([月./-]\d{1,2}日?)?$|^\d{1,2}月\d{1,2}日$")
_DATA_LIKE_RE = re.compile(r"^[\d\s.+\-/:Xx]{7,}$")


def looks_like_data(text: str) -> bool:
    """An ID number, phone or full date: a data row, never a header."""
    return bool(text) and bool(_DATA_LIKE_RE.match(text))


@lru_cache(maxsize=65536)
def lead_kind(first_value: str) -> str | None:
    """What a row's first text says the row is, or None for a value (cached:
    a sheet's first column repeats its names): "total" for 合计, "footer" for
    填表人/审核人…, "notes" for a note word (注意：…), "item" for a numbered
    item (1、证件类型取值…) and "sentence" for text with sentence punctuation,
    which no name, ID, phone or date has. The last three are notes only when
    the rest of the row agrees (`_is_note`)."""
    lead = unicodedata.normalize("NFKC", first_value).translate(T2S).replace(" ", "")
    if _TOTAL_RE.match(lead):
        return "total"
    if _FOOTER_RE.match(lead):
        return "footer"
    if _NOTES_RE.match(lead):
        return "notes"
    if lead.isalpha() and len(lead) < 8:
        return None  # a name: no digit, bracket, circled number or punctuation for the rest
    if looks_like_data(lead) or _DATE_TEXT_RE.match(lead):
        return None
    if _ITEM_RE.match(lead) or _CIRCLED_RE.match(first_value):
        return "item"
    if len(lead) >= 8 and _SENTENCE_RE.search(lead):
        return "sentence"
    return None


def _is_note(raw_row: Sequence[Any], texts: Sequence[str], first_value: str, lead: str) -> bool:
    """Whether a row led by a note word, a numbered item or a sentence is a
    notes row (SPEC §2) rather than a person whose first filled cell happens
    to read so. No other cell may hold an ID, a phone, a date or a number:
    those make it data. A note word then suffices; a sentence must also stand
    alone, in one cell or merged across the row (`fill_merged` copies it into
    every cell); a numbered item may also have fragments beside it in column
    A (a CSV line split at its commas)."""
    text = clean_text(first_value)
    others = [(v, t) for v, t in zip(raw_row, texts, strict=False) if t and t != text]
    if any(not isinstance(v, str) or looks_like_data(t) or _DATE_TEXT_RE.match(t)
           for v, t in others):
        return False
    return lead == "notes" or not others or (lead == "item" and clean_text(raw_row[0]) == text)


def data_rows(grid: list[list[Any]], first: int, columns: Sequence[Column], texts: Any
               ) -> list[int]:
    """Rows below the header that hold data: blank rows, footers (填表人…),
    合计 rows, notes blocks (注意：1、…, `_is_note`) and repeated header rows
    are not data."""
    header_keys = [normalize_header(c.header) for c in columns]
    header_set = set(header_keys)  # membership per row: a set, the sheet may be 100,000 wide
    rows = []
    # first cells found to make their row data whatever else it holds (a CSV's
    # 序号 "1", "2", … is text): such a row is taken without a second look
    plain: set[str] = set()
    for r in range(first, len(grid)):
        raw_row = grid[r]
        first_value = raw_row[0] if raw_row else None
        if type(first_value) is str:
            if first_value in plain:
                rows.append(r)
                continue
        elif first_value is not None:
            rows.append(r)  # a number or date first (序号): data, never a footer or 合计
            continue
        if not (type(first_value) is str and first_value and not first_value.isspace()):
            first_value = next((v for v in raw_row if v is not None and v != "" and
                                not (isinstance(v, str) and not v.strip())), None)
        if first_value is None:
            continue
        if not isinstance(first_value, str):
            rows.append(r)  # a number or date first after blank cells
            continue
        lead = lead_kind(first_value)
        if lead == "total":
            continue
        if lead in ("notes", "item", "sentence"):
            if _is_note(raw_row, texts(r), first_value, lead):
                continue
        elif lead == "footer":
            if not any(_ID_LIKE_RE.match(t) for t in texts(r) if t):
                continue  # 填表人/审核人 footers, also when spread over label and value cells
        elif (first_value.lower() if first_value.isascii() and first_value.isalnum()
              else normalize_header(first_value)) in header_set:  # (the same for 序号 "12")
            if [normalize_header(t) for t in texts(r)[: len(header_keys)]] == header_keys:
                continue  # the header repeated (tables pasted one under another)
        elif first_value is raw_row[0]:
            plain.add(first_value)
        rows.append(r)
    return rows
