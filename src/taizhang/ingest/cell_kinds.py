"""What a column holds, from its cells, when neither the config, the alias
table nor the header's words place it (a blank header, `列1`, `Unnamed: 0`).

Each detector looks at the column's distinct non-blank values (a sample of
them: a column of 100,000 rows is judged on its first few hundred distinct
values, each parsed once) and says whether nearly all of them are of one kind:
ID numbers, mobile phones, dates, temperatures between 34 and 43, test results,
sexes, or Chinese personal names. A column is placed only when the evidence is
strong (`SHARE` of the values and at least `MIN_VALUES` of them) and the field
is not taken already by another column of the sheet; dates are recognised but
never placed, because which date a column holds cannot be seen in its cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from taizhang.ingest.ids import parse_id, parse_phone
from taizhang.ingest.values import (
    clean_text,
    is_blank,
    parse_date,
    parse_result,
    parse_sex,
    parse_temperature,
)

if TYPE_CHECKING:
    from taizhang.ingest.layout import SheetLayout

SAMPLE = 300  # distinct values looked at per column
SHARE = 0.9  # of them that must be of the kind
MIN_VALUES = 3  # fewer distinct values are no evidence (a column of one 阴性 is not a result column)

_NAME_RE = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,6}[·•][\u4e00-\u9fff]{1,8}$")
# words that look like names but are not (a column of 阴性/男/已解除 …)
_NOT_NAMES = frozenset(
    "阴性 阳性 待出 男性 女性 居家隔离 集中隔离 已解除 正常 异常 在管 失联 是否 绿码 黄码 红码 密接 次密接".split())
# place names end so: a column of 平阳村, 东溪村 is not a column of names
_PLACE_ENDS = ("村", "社区", "镇", "乡", "街道", "县", "市", "省", "区", "组", "院", "室", "站")


def distinct_values(cells: Iterable[Any], limit: int = SAMPLE) -> list[Any]:
    """Up to `limit` distinct non-blank cells, in order of appearance."""
    seen: dict[Any, None] = {}
    for value in cells:
        if is_blank(value):
            continue
        key = (type(value).__name__, value)
        if key not in seen:
            seen[key] = None
            if len(seen) >= limit:
                break
    return [v for _, v in seen]


def _is_id(v: Any) -> bool:
    return parse_id(v).valid


def _is_mobile(v: Any) -> bool:
    found = parse_phone(v)
    return found.valid and found.kind == "mobile"


def _is_date(v: Any) -> bool:
    if isinstance(v, (date, datetime)):
        return True
    if not isinstance(v, str):
        return False  # a bare number is no evidence of a date
    found = parse_date(v)
    return found.value is not None and not found.error


def _is_temperature(v: Any) -> bool:
    """36.5, "36.8℃": with a decimal or a unit (a column of ages 36, 40 is not one)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        return False
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer()) or (
            isinstance(v, str) and "." not in v and "℃" not in v and "度" not in v):
        return False
    found = parse_temperature(v)
    return found.value is not None and not found.error


def _is_result(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip()) and parse_result(v) is not None


def _is_sex(v: Any) -> bool:
    return isinstance(v, str) and parse_sex(v) is not None


def _is_name(v: Any) -> bool:
    text = clean_text(v).replace(" ", "")
    return bool(_NAME_RE.match(text)) and text not in _NOT_NAMES and not text.endswith(_PLACE_ENDS)


# (field, detector), strongest evidence first; "date" is recognised, never placed
DETECTORS = (
    ("id_number", _is_id),
    ("phone", _is_mobile),
    ("date", _is_date),
    ("temperature", _is_temperature),
    ("result", _is_result),
    ("sex", _is_sex),
    ("name", _is_name),
)
# Placed from cells alone. `sex` needs only 男/女 (two distinct values).
PLACEABLE = {"id_number", "phone", "temperature", "result", "sex", "name"}


def field_from_cells(values: list[Any]) -> str | None:
    """The field nearly all of these distinct values belong to, or None."""
    for fld, detector in DETECTORS:
        needed = 2 if fld == "sex" else MIN_VALUES
        if len(values) < needed:
            continue
        hits = sum(1 for v in values if detector(v))
        if hits >= needed and hits >= SHARE * len(values):
            return fld if fld in PLACEABLE else None
    return None


# A header that says nothing about its column: blank, `列1`, `Unnamed: 0`,
# `Column3`, `字段2`, a bare number. A header with words (目的地联系人电话,
# 备用信息) said what it is, even when nothing placed it: its cells never
# overrule it (someone else's phone is full of mobiles).
_GENERIC_HEADER_RE = re.compile(r"^(?:列|字段|栏|column|col|unnamed|field|f)?[\s:：_\-#.]*\d*$", re.IGNORECASE)


def says_nothing(header: str) -> bool:
    return bool(_GENERIC_HEADER_RE.match(header.strip()))


def place_by_cells(grid: list[list[Any]], layout: SheetLayout) -> None:
    """Columns nothing else placed (a blank header, `列1`) are read from their
    cells, each once: a field only one column may take, and only when no
    other column of the sheet has it already."""
    taken = {c.field for c in layout.columns if c.field}
    for col in layout.columns:
        if col.field or col.test_number or col.temp_date is not None or not says_nothing(col.header):
            continue
        index = col.index
        values = distinct_values(row[index] for r in layout.data_rows
                                 if index < len(row := grid[r]))
        fld = field_from_cells(values)
        if fld and fld not in taken:
            col.field, col.source = fld, "cells"
            taken.add(fld)
