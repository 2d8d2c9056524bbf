"""The annotated copy of a village's workbook (`原文件名_批注.xlsx`), for `feedback`.

The cells with open problems are filled (red for errors, yellow for warnings)
and carry a comment saying what to fix; everything else is as the village
wrote it. An .xlsx is edited in place with openpyxl, which keeps the
village's formatting, widths, merges and other sheets; an .xls, a CSV or an
HTML table becomes a plain .xlsx written from taizhang's own reader
(`ingest.files.read_workbook`), its cells typed as they were read.

A problem names its cell by sheet, the row Excel shows and the column header
as written; the header is found again the way validation found it
(`ingest.layout.detect_layout`). A problem without a column it can name (a
missing column, a date order) marks the row's first column; one without a
row (the whole sheet) is in the list only.

Masked unless `mask` is None: the comments, and every ID- or phone-like cell
(the copy travels through WeChat like the list). With `--no-mask` the copy
keeps the full values, so the village can correct them in it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from taizhang.errors import FileReadError, TaizhangError
from taizhang.ingest.files import RawWorkbook, read_workbook, sniff_format
from taizhang.ingest.layout import SheetLayout, detect_layout, fill_merged
from taizhang.outputs.atomic import atomic_write
from taizhang.privacy import Mask, mask_text

FILLS = {"error": "FFFF9C9C", "warning": "FFFFE699"}  # light red, light yellow: the text stays legible
_FILE_BAD_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
Cell = tuple[str, int, int]  # sheet, Excel row (1-based), column (0-based)


def unique_name(name: str, taken: set[str]) -> str:
    """A file or folder name every system accepts, not yet in `taken` (which it joins)."""
    clean = _FILE_BAD_RE.sub("_", name).strip(" .") or "_"
    stem, dot, ext = clean.rpartition(".") if "." in clean else (clean, "", "")
    candidate, n = clean, 1
    while candidate.casefold() in {t.casefold() for t in taken}:
        n += 1
        candidate = f"{stem}({n}){dot}{ext}"
    taken.add(candidate)
    return candidate


def find_original(path: str, file: str | None, sha256: str) -> tuple[Path | None, str]:
    """The village's file as it was imported: at its resolved path, else where
    it was typed. None and why (`missing`, `changed`: the bytes there are not
    the ones imported, so rows and cells may not match)."""
    changed = False
    for candidate in (Path(file) if file else None, Path(path)):
        if candidate is None or not candidate.is_file():
            continue
        try:
            digest = hashlib.sha256(candidate.read_bytes()).hexdigest()
        except OSError:
            continue
        if digest == sha256:
            return candidate, ""
        changed = True
    return None, "changed" if changed else "missing"


def _column(layout: SheetLayout | None, header: str | None, fld: str | None) -> int:
    """The 0-based column of a problem's header as written."""
    if layout is None or not layout.columns:
        return 0
    squeeze = re.compile(r"\s+")
    matches = [c for c in layout.columns if header and c.header == header]
    if not matches and header:
        matches = [c for c in layout.columns if squeeze.sub("", c.header) == squeeze.sub("", header)]
    if len(matches) > 1 and fld:
        matches = [c for c in matches if c.field == fld] or matches
    if not matches and fld:
        matches = [c for c in layout.columns if c.field == fld]
    return matches[0].index if matches else layout.columns[0].index


def locate(book: RawWorkbook, problems: list[Any], declared: dict[str, str]) -> dict[Cell, list[Any]]:
    """The cells of the problems (those that name a row), each with its problems in order."""
    layouts: dict[str, SheetLayout | None] = {}
    for raw in book.sheets:
        grid = [list(row) for row in raw.grid]  # fill_merged writes into the grid
        if raw.merged:
            fill_merged(grid, raw.merged)
        layouts[raw.name] = detect_layout(grid, raw.merged, declared=declared) if grid else None
    cells: dict[Cell, list[Any]] = {}
    for p in problems:
        if p.row is None or p.sheet not in layouts:
            continue
        cells.setdefault((p.sheet, p.row, _column(layouts[p.sheet], p.column, p.field)), []).append(p)
    return cells


def comment_text(problems: list[Any], words: dict[str, Any], mask: Mask | None) -> str:
    lines = [f"【{words[p.severity]}】{p.message}" for p in problems]
    text = "\n".join(lines)
    return text if mask is None else mask_text(text)


def _severity(problems: list[Any]) -> str:
    return "error" if any(p.severity == "error" for p in problems) else "warning"


def _masked_number(value: Any) -> str | None:
    """A number cell that holds an ID or phone (digits, or a float Excel made of
    an ID), masked as text; None for any other number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (value.is_integer() and abs(value) >= 1e6):
        return None
    digits = str(int(value))
    masked = mask_text(digits)
    return masked if masked != digits else None


def annotate_file(original: Path, problems: list[Any], out: Path, mask: Mask | None,
                  words: dict[str, Any], declared: dict[str, str], author: str) -> list[str]:
    """Write the annotated copy of `original` to `out`; return notes for the clerk
    (a copy that could not be written is a note, never an exception)."""
    shown = mask_text(original.name) if mask is not None else original.name
    try:
        book = read_workbook(original)
    except FileReadError as exc:
        return [str(words["unreadable"]).format(file=shown, reason=exc.reason)]
    cells = locate(book, problems, declared)
    with original.open("rb") as fh:
        fmt = sniff_format(fh.read(8))
    note = ""
    if fmt == "xlsx":
        try:
            with atomic_write(out) as tmp:
                _annotate_xlsx(original, cells, tmp, mask, words, author)
            return []
        except TaizhangError:  # the disk said no: the caller reports it
            raise
        except Exception:  # a workbook openpyxl cannot keep: a plain copy instead
            note = str(words["plain_copy"]).format(file=shown)
    with atomic_write(out) as tmp:
        _plain_xlsx(book, cells, tmp, mask, words, author)
    return [note] if note else []


def _annotate_xlsx(original: Path, cells: dict[Cell, list[Any]], tmp: Path, mask: Mask | None,
                   words: dict[str, Any], author: str) -> None:
    from openpyxl import load_workbook
    from openpyxl.cell.cell import MergedCell
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    with original.open("rb") as fh:  # a file object: openpyxl checks no extension (.xls that is xlsx)
        wb = load_workbook(fh)
    if mask is not None:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell, MergedCell):
                        continue
                    value = cell.value
                    if isinstance(value, str) and cell.data_type != "f":
                        masked: str | None = mask_text(value)
                        masked = masked if masked != value else None
                    else:
                        masked = _masked_number(value)
                    if masked is not None:
                        cell.value = masked
                    if cell.comment is not None and cell.comment.text:
                        cell.comment.text = mask_text(cell.comment.text)
    for (sheet, row, col), found in cells.items():
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        cell = ws.cell(row=row, column=col + 1)
        if isinstance(cell, MergedCell):  # only a merged range's first cell takes a comment
            for rng in ws.merged_cells.ranges:
                if cell.coordinate in rng:
                    cell = ws.cell(row=rng.min_row, column=rng.min_col)
                    break
        color = FILLS[_severity(found)]
        cell.fill = PatternFill(fill_type="solid", start_color=color, end_color=color)
        text = comment_text(found, words, mask)
        if cell.comment is not None and cell.comment.text:
            text = cell.comment.text.rstrip() + "\n——\n" + text
        lines = sum(len(line) // 20 + 1 for line in text.splitlines())
        cell.comment = Comment(text, author, height=max(80, 18 * lines), width=320)
    wb.save(tmp)


def _plain_xlsx(book: RawWorkbook, cells: dict[Cell, list[Any]], tmp: Path, mask: Mask | None,
                words: dict[str, Any], author: str) -> None:
    import xlsxwriter

    from taizhang.outputs.export import sheet_name

    xl = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    fills = {k: xl.add_format({"bg_color": "#" + v[2:]}) for k, v in FILLS.items()}
    day_fmt = {k: xl.add_format({"num_format": "yyyy-mm-dd", **({"bg_color": "#" + v[2:]} if v else {})})
               for k, v in (("", ""), *FILLS.items())}
    stamp_fmt = xl.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for raw in book.sheets:
        # a CSV's sheet is named after its file, which may hold an ID or phone
        ws = xl.add_worksheet(sheet_name(xl, raw.name if mask is None else mask_text(raw.name)))
        width = max((len(r) for r in raw.grid), default=0)
        if width:
            ws.set_column(0, width - 1, 14)
        for r, row in enumerate(raw.grid):
            for c, value in enumerate(row):
                found = cells.get((raw.name, r + 1, c))
                sev = _severity(found) if found else ""
                fmt = fills[sev] if sev else None
                _write(ws, r, c, value, fmt, day_fmt[sev], stamp_fmt, mask)
                if found:
                    text = comment_text(found, words, mask)
                    ws.write_comment(r, c, text, {"author": author, "x_scale": 2.2,
                                                  "y_scale": max(1.0, len(text) / 60)})
        for (r1, c1), (r2, c2) in raw.merged:
            if (r1, c1) != (r2, c2):
                found = cells.get((raw.name, r1 + 1, c1))
                value = raw.grid[r1][c1] if r1 < len(raw.grid) and c1 < len(raw.grid[r1]) else None
                if isinstance(value, str) and mask is not None:
                    value = mask_text(value)
                ws.merge_range(r1, c1, r2, c2, "" if value is None else str(value),
                               fills[_severity(found)] if found else None)
    xl.close()


def _write(ws: Any, r: int, c: int, value: Any, fmt: Any, day_fmt: Any, stamp_fmt: Any,
           mask: Mask | None) -> None:
    if value is None or value == "":
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        masked = _masked_number(value) if mask is not None else None
        if masked is not None:
            ws.write_string(r, c, masked, fmt)
        else:
            ws.write_number(r, c, value, fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(r, c, value, stamp_fmt if fmt is None else fmt)
    elif isinstance(value, date):
        ws.write_datetime(r, c, value, day_fmt)
    elif isinstance(value, (time, timedelta)):
        ws.write_string(r, c, str(value), fmt)
    else:
        text = str(value)
        ws.write_string(r, c, mask_text(text) if mask is not None else text, fmt)
