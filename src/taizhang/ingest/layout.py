"""Find the header in a cell grid and map each column to a canonical field.

Village files put title and notes rows above the header, split headers over
two rows with merged group cells, and append footers and 合计 rows. This
module turns a grid into a `SheetLayout`: which rows are the header, what each
column means (by `headers`), which rows hold data, and which kind of sheet it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from taizhang.ingest.cell_kinds import place_by_cells
from taizhang.ingest.data_rows import data_rows, lead_kind, looks_like_data
from taizhang.ingest.header_words import field_from_words
from taizhang.ingest.headers import (
    REGISTRATION,
    SLOT_WORDS,
    TEMPERATURES,
    embedded_test_number,
    header_date,
    header_slot,
    lookup_field,
    normalize_header,
)
from taizhang.ingest.kinds import detect_kind, settle_dates, used_fields
from taizhang.ingest.values import DateResult, clean_text


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
        f = declared.get(normalize_header(t)) if declared else None
        role, found = ("field", f) if f else _cell_role(t)
        if role == "field":
            fields.add(found)
        elif role == "test":
            extra += 1
        elif role == "words":
            worded.add(found)
    return len(fields) + min(extra, 2) + (len(worded - fields) if fields else 0)


@lru_cache(maxsize=65536)
def _cell_role(text: str) -> tuple[str | None, str | None]:
    """What a cell's text is to `_row_score`: ("field", f) for a known header,
    ("test", None) for an embedded test's, ("words", f) for a header understood
    from its words, else (None, None). Cached: the 30 rows a sheet's header is
    looked for in hold mostly the same names, dates and readings in every file."""
    f = lookup_field(text)
    if f:
        return "field", f
    if embedded_test_number(text):
        return "test", None
    if not looks_like_data(text) and (w := field_from_words(text)):
        return "words", w
    return None, None


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
        if first and lead_kind(first) == "notes" and lookup_field(first) is None:
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
    layout.data_rows = data_rows(grid, end + 1, columns, texts)
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
    if any(looks_like_data(t) for t in sub_texts):
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


def _header_like(text: str) -> bool:
    """Sub-header text: a known field, a slot word, or short text that is not a value."""
    key = normalize_header(text)
    if lookup_field(text) or key in SLOT_WORDS or embedded_test_number(text):
        return True
    return 0 < len(key) <= 12 and not looks_like_data(text) and not re.fullmatch(r"[\d.]+", key)


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
