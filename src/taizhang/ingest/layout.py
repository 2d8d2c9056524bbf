"""Find the header in a cell grid and map each column to a canonical field.

Village files put title and notes rows above the header, split headers over
two rows with merged group cells, and append footers and 合计 rows. This
module turns a grid into a `SheetLayout`: which rows are the header, what each
column means (by `headers`), which rows hold data, and which kind of sheet it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from taizhang.ingest.cell_kinds import place_by_cells
from taizhang.ingest.header_words import field_from_words
from taizhang.ingest.headers import (
    REGISTRATION,
    SLOT_WORDS,
    T2S,
    TEMPERATURES,
    embedded_test_number,
    header_date,
    header_slot,
    lookup_field,
    normalize_header,
)
from taizhang.ingest.kinds import detect_kind, settle_dates, used_fields
from taizhang.ingest.values import DateResult, clean_text

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
# (1月28日, 2022.1.28, 1.28), as well as ID- or phone-like text (_looks_like_data).
_DATE_TEXT_RE = re.compile(r"^\d{1,4}[年./-]\d{1,2}([月./-]\d{1,2}日?)?$|^\d{1,2}月\d{1,2}日$")


@dataclass(slots=True)
class Column:
    """One column of a sheet: its header as written and what it means."""

    index: int
    header: str
    field: str | None = None
    test_number: int | None = None  # embedded 第N次核酸 column
    test_part: str = "both"  # "date", "result" or "both" for embedded tests
    temp_date: DateResult | None = None  # wide temperature column
    temp_slot: str | None = None
    # why the column means what it does: config, alias, words, cells, or None
    source: str | None = None


@dataclass(slots=True)
class SheetLayout:
    """Where the header and data are, what each column means, the sheet kind."""

    header_start: int  # 0-based grid row of the first header row
    header_end: int  # 0-based grid row of the last header row
    columns: list[Column]
    kind: str | None
    title_lines: list[str] = field(default_factory=list)
    data_rows: list[int] = field(default_factory=list)  # 0-based grid rows

    def by_field(self) -> dict[str, Column]:
        """First column per canonical field (later duplicates are reported as unknown)."""
        found: dict[str, Column] = {}
        for col in self.columns:
            if col.field and col.field not in found:
                found[col.field] = col
        return found

    def kept_columns(self) -> list[Column]:
        """The columns whose cells nothing reads, kept with the person as written
        (SPEC §2): no field, a field's second column, a field this kind of sheet
        does not use, test columns outside a registration list, dated
        temperature columns outside a temperature sheet. Linear: a sheet may
        have 100,000 columns."""
        first = self.by_field()
        used = used_fields(self.kind, set(first))
        return [c for c in self.columns if c.header and not (
            (c.field and first[c.field] is c and c.field in used)
            or (c.test_number and self.kind == REGISTRATION)
            or (c.temp_date is not None and self.kind == TEMPERATURES))]

    @property
    def unknown_columns(self) -> list[str]:
        """Headers of `kept_columns`, once each, in order."""
        return list(dict.fromkeys(c.header for c in self.kept_columns()))


def fill_merged(grid: list[list[Any]], merged: Sequence[tuple[tuple[int, int], tuple[int, int]]]
                ) -> None:
    """Copy each merged range's top-left value into every cell of the range.

    A merged 村 cell over twenty data rows means the village of all twenty,
    and a date merged over 上午/下午 labels both columns.
    Ranges are cut to the grid and filled a row slice at a time.
    """
    for (r1, c1), (r2, c2) in merged:
        if r1 >= len(grid):
            continue
        value = grid[r1][c1] if c1 < len(grid[r1]) else None
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            row = grid[r]
            end = min(c2, len(row) - 1) + 1
            if end > c1:
                row[c1:end] = [value] * (end - c1)


def _row_texts(row: Sequence[Any]) -> list[str]:
    return [clean_text(v) for v in row]


def _row_score(texts: Sequence[str], declared: dict[str, str] | None = None) -> int:
    """How much a row looks like a header: recognised cells, counted once per
    field. Headers understood only from their words count when the row has a
    known header too (a row of data may hold words like 平阳村 or 核酸)."""
    fields = set()
    worded = set()
    extra = 0
    for t in texts:
        if not t:
            continue
        f = (declared.get(normalize_header(t)) if declared else None) or lookup_field(t)
        if f:
            fields.add(f)
        elif embedded_test_number(t):
            extra += 1
        elif not _looks_like_data(t) and (w := field_from_words(t)):
            worded.add(w)
    return len(fields) + min(extra, 2) + (len(worded - fields) if fields else 0)


def detect_layout(
    grid: list[list[Any]],
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
    kind: str | None = None,
    scan_rows: int = 30,
    declared: dict[str, str] | None = None,
) -> SheetLayout | None:
    """Find the header rows and the columns; None when no header can be found.

    `merged` are the sheet's merged ranges as 0-based ((r1, c1), (r2, c2)),
    used to tell a two-row header (vertical merges crossing both rows, or a
    group cell merged over sub-headers) from a title row merged across the top.
    `declared` is the config's `[columns]`, keyed by `normalize_header`.
    """
    texts_cache: dict[int, list[str]] = {}

    def texts(r: int) -> list[str]:
        if r not in texts_cache:
            texts_cache[r] = _row_texts(grid[r]) if 0 <= r < len(grid) else []
        return texts_cache[r]

    best_row, best_score = -1, 1
    for r in range(min(scan_rows, len(grid))):
        first = next((t for t in texts(r) if t), "")
        if first and _lead_kind(first) == "notes" and lookup_field(first) is None:
            continue  # 注意：必填项 | 姓名 | 身份证号 … names the header, it is not one
        score = _row_score(texts(r), declared)
        if score > best_score:
            best_row, best_score = r, score
    if best_row < 0:
        return None

    start = end = best_row
    if _is_header_pair(best_row - 1, best_row, texts, merged, groups_needed=2):
        start = best_row - 1
    elif _is_header_pair(best_row, best_row + 1, texts, merged, groups_needed=1):
        end = best_row + 1

    width = max((len(texts(r)) for r in range(start, end + 1)), default=0)
    columns: list[Column] = []
    for c in range(width):
        top_raw = grid[start][c] if c < len(grid[start]) else None
        sub_raw = grid[end][c] if c < len(grid[end]) else None
        columns.append(_make_column(c, top_raw, sub_raw, two_rows=end > start, declared=declared))

    title_lines = [" ".join(t for t in texts(r) if t) for r in range(start)]
    title_lines = [t for t in title_lines if t]
    layout = SheetLayout(start, end, columns, kind, title_lines)
    layout.data_rows = _data_rows(grid, end + 1, columns, texts)
    place_by_cells(grid, layout)
    if layout.kind is None:
        layout.kind = detect_kind(columns)
    settle_dates(layout)
    return layout


def _is_header_pair(
    top: int,
    sub: int,
    texts: Any,
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]],
    groups_needed: int,
) -> bool:
    """Whether rows `top` and `sub` form one two-row header.

    Evidence, strongest first: a header cell merged down over both rows; or
    group cells merged across sub-headers — at least two of them when the
    group row is above the best header row (one merged cell there is a title),
    or one whose sub-cells all look like header text when the candidate
    sub-row is below it (otherwise it is the first data row). Without merge
    information (CSV, HTML), only a row of 上午/下午 under dates counts.
    """
    if top < 0 or not any(texts(sub)) or not any(texts(top)):
        return False
    top_texts, sub_texts = texts(top), texts(sub)
    if any(_looks_like_data(t) for t in sub_texts):
        return False
    groups = 0
    for (r1, c1), (r2, c2) in merged:
        if r1 <= top and r2 >= sub:
            return True  # a header cell merged down over both rows
        if r1 == top and r2 == top and c2 > c1:
            under = [sub_texts[c] for c in range(c1, min(c2, len(sub_texts) - 1) + 1)]
            if sum(1 for u in under if u) >= 2 and all(_header_like(u) for u in under if u):
                groups += 1
    distinct = {t for t in top_texts if t}
    if groups >= max(groups_needed, 2) or (
        groups >= groups_needed and len(distinct) >= 2 and _row_score(sub_texts) >= 1
    ):
        return True
    if not merged:
        slots = sum(1 for t in sub_texts if t and normalize_header(t) in SLOT_WORDS)
        return slots >= 2
    return False


_DATA_LIKE_RE = re.compile(r"^[\d\s.+\-/:Xx]{7,}$")


def _looks_like_data(text: str) -> bool:
    """An ID number, phone or full date: a data row, never a header."""
    return bool(text) and bool(_DATA_LIKE_RE.match(text))


def _header_like(text: str) -> bool:
    """Sub-header text: a known field, a slot word, or short text that is not a value."""
    key = normalize_header(text)
    if lookup_field(text) or key in SLOT_WORDS or embedded_test_number(text):
        return True
    return 0 < len(key) <= 12 and not _looks_like_data(text) and not re.fullmatch(r"[\d.]+", key)


def _make_column(index: int, top_raw: Any, sub_raw: Any, two_rows: bool,
                 declared: dict[str, str] | None = None) -> Column:
    """A column from its header cells, understood by the config's `[columns]`,
    then the header patterns and the alias table, then the header's words."""
    top, sub = clean_text(top_raw), clean_text(sub_raw)
    if not two_rows or not sub or sub == top:
        header, parts = top, [top_raw]
    elif not top:
        header, parts = sub, [sub_raw]
    else:
        header, parts = f"{top}/{sub}", [top_raw, sub_raw]
    col = Column(index, header)
    if not header:
        return col
    candidates = [clean_text(p) for p in parts]
    # 0. the office's own declaration always wins
    if declared:
        for text in (header, *reversed(candidates)):
            fld = declared.get(normalize_header(text))
            if fld:
                col.field, col.source = fld, "config"
                return col
    col.source = "alias"
    # 1. embedded test columns: 第1次核酸 (optionally over 日期 / 结果 sub-headers)
    for text in candidates:
        number = embedded_test_number(text)
        if number:
            col.test_number = number
            if len(candidates) == 2:
                other = lookup_field(candidates[1]) or ""
                if other in ("sample_date", "date") or "日期" in candidates[1]:
                    col.test_part = "date"
                elif other == "result" or "结果" in candidates[1]:
                    col.test_part = "result"
            return col
    # 2. wide temperature columns: a date (and slot) in the header
    for raw in parts:
        found = header_date(raw)
        if found is not None:
            col.temp_date = found
            col.temp_slot = header_slot(header)
            return col
    # 3. ordinary fields: the sub-header names it more precisely than its group
    for text in reversed(candidates):
        fld = lookup_field(text)
        if fld:
            col.field = fld
            return col
    if len(candidates) == 2:
        col.field = lookup_field(header)
        if col.field:
            return col
    # 4. the header's words (申报时间, 联系手机, 目的地社区村 …)
    for text in reversed(candidates):
        fld = field_from_words(text)
        if fld:
            col.field, col.source = fld, "words"
            return col
    col.source = None
    return col


@lru_cache(maxsize=65536)
def _lead_kind(first_value: str) -> str | None:
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
    if _looks_like_data(lead) or _DATE_TEXT_RE.match(lead):
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
    if any(not isinstance(v, str) or _looks_like_data(t) or _DATE_TEXT_RE.match(t)
           for v, t in others):
        return False
    return lead == "notes" or not others or (lead == "item" and clean_text(raw_row[0]) == text)


def _data_rows(grid: list[list[Any]], first: int, columns: Sequence[Column], texts: Any
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
        lead = _lead_kind(first_value)
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
