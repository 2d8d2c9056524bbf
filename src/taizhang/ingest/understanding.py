"""`taizhang columns`: how each column of each sheet was understood, and why.

A clerk whose file is read wrongly needs to see which header taizhang took
for what — from the config's `[columns]`, the alias table, the header's words
or the column's cells — and, for the columns it could not place, a ready
`[columns]` snippet to paste into taizhang.toml. Nothing is validated or stored:
this reads the files the way `validate` does, up to the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taizhang.errors import FileReadError
from taizhang.ingest.files import find_input_files, read_workbook
from taizhang.ingest.headers import FIELD_ALIASES, FIELD_LABELS
from taizhang.ingest.layout import Column, SheetLayout, detect_layout, fill_merged
from taizhang.ingest.values import is_blank

if TYPE_CHECKING:
    from taizhang.ingest.validation import Validator


@dataclass(slots=True)
class SheetColumns:
    path: str
    sheet: str | None
    kind: str | None
    columns: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "sheet": self.sheet, "kind": self.kind,
                                 "columns": self.columns}
        if self.error:
            entry["error"] = self.error
        return entry

    @property
    def unplaced(self) -> list[str]:
        return [c["column"] for c in self.columns if c["field"] is None and c["column"]]


@dataclass(slots=True)
class ColumnsReport:
    sheets: list[SheetColumns]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of SPEC §6 `columns`."""
        return {"sheets": [s.to_dict() for s in self.sheets]}

    def snippet(self) -> str:
        """A `[columns]` table for every header no rule placed, to fill in and
        paste into taizhang.toml (an empty value keeps the column as it is)."""
        headers = list(dict.fromkeys(h for s in self.sheets for h in s.unplaced))
        if not headers:
            return ""
        names = "、".join(f"{f}（{FIELD_LABELS[f]}）" for f in FIELD_ALIASES if f != "seq")
        lines = ["# 复制到 taizhang.toml（已有 [columns] 时只复制带引号的行），在引号里填上字段名；"
                 "留空的列原样保留在台账中", "[columns]"]
        # on one line and without quotes: a header's spaces and line breaks do not
        # matter when it is matched (`headers.normalize_header`), but TOML needs one line
        lines += [f'"{_UNQUOTABLE_RE.sub("", h)}" = ""' for h in headers]
        lines.append(f"# 字段名：{names}")
        return "\n".join(lines)


_UNQUOTABLE_RE = re.compile(r'[\s"\\]+')


def column_field(col: Column, first: dict[str, Column]) -> tuple[str | None, str | None]:
    """(field, source) of a column as SPEC §6 `columns` shows it. An embedded
    test column is its result (or sample date), a wide temperature column a
    temperature; a second column of one field is not placed (kept as is)."""
    if col.test_number:
        return ("sample_date" if col.test_part == "date" else "result"), col.source
    if col.temp_date is not None:
        return "temperature", col.source
    if col.field and first.get(col.field) is col:
        return col.field, col.source
    return None, None


def describe_layout(path: str, sheet: str, layout: SheetLayout) -> SheetColumns:
    first = layout.by_field()
    columns = []
    for col in layout.columns:
        fld, source = column_field(col, first)
        if col.header or fld:
            columns.append({"column": col.header, "field": fld, "source": source})
    return SheetColumns(path, sheet, layout.kind, columns)


def describe_columns(paths: list[Path], validator: Validator) -> ColumnsReport:
    """How every sheet of these files and folders is understood (nothing stored)."""
    files, notes = find_input_files(paths)
    report = ColumnsReport([], notes)
    for path in files:
        name = str(path)
        try:
            book = read_workbook(path, validator.encoding)
        except FileReadError as exc:
            report.sheets.append(SheetColumns(name, None, None, error=exc.reason))
            continue
        from taizhang.ingest.validation import is_instructions_sheet

        report.notes.extend(book.notes)
        if book.output is not None:
            report.notes.append(f"{path.name}：taizhang生成的文件，不是村里的数据，已跳过")
            continue
        for raw in book.sheets:
            grid = raw.grid
            if is_instructions_sheet(raw.name) or not any(not is_blank(v) for row in grid for v in row):
                continue  # as validate: a 填表说明 sheet is no data
            if raw.merged:
                fill_merged(grid, raw.merged)
            layout = detect_layout(grid, raw.merged, kind=validator.kind,
                                   declared=validator.declared)
            if layout is None:
                report.sheets.append(SheetColumns(
                    name, raw.name, None, error="找不到表头（如姓名、身份证号）"))
                continue
            report.sheets.append(describe_layout(name, raw.name, layout))
    return report
