"""`taizhang export`: the merged master ledger (汇总台账) as .xlsx or .csv.

One row per person, one sheet per village plus 全镇. The header uses the first
alias of each field, so an export re-imports to the same ledger; after the
standard columns comes one column per header of the columns villages added
that no alias names (`ledger.extras`: each person's current value, headers in
the order the ledger first saw them). ID and phone columns are written as
text (Excel would otherwise turn an ID into a float), masked unless the caller
passes `mask=None`; so is every ID number or phone in an added column,
whatever its header (`mask_text`). Text that Excel could evaluate
(= + - @, tab, CR at the start) is neutralised: xlsx cells are written as
strings, CSV cells get a leading apostrophe that the importer strips again.
Files are written to a temporary name and renamed, so an interrupted export
never leaves half a file. Every workbook taizhang writes is marked as its own
(`mark_workbook`), and the CSV's header row is recognised, so none is ever
imported back as village data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from taizhang.ingest.own import xlsx_properties
from taizhang.ingest.records import COLUMN_LABELS, DATE_FIELDS, PERSON_FIELDS
from taizhang.ledger.extras import current_extras, mask_text
from taizhang.ledger.store import Store, iter_persons
from taizhang.outputs.atomic import atomic_write, write_bytes
from taizhang.outputs.xlsx_layout import Widths, page_setup, text_width

EXPORT_FIELDS = tuple(f for f in COLUMN_LABELS if f in PERSON_FIELDS)
ALL_SHEET = "全镇"
UNKNOWN_SHEET = "村名未知"  # the people with no village, as the report counts them
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE_UNITS = 12  # yyyy-mm-dd
EXTRAS = "extras"  # a row's key for its unknown columns' cells: {header: value}


class ExportRows(list[dict[str, Any]]):
    """`export_rows`: one dict per person (`EXPORT_FIELDS`, and `EXTRAS`), and
    the headers of the unknown columns, in the order the ledger first saw them."""

    extra_headers: list[str]
    masked = False  # the headers are shown masked too (a phone in a header)


def neutralise(text: str) -> str:
    """Prefix formula-like text with an apostrophe so spreadsheets show, not run, it."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_rows(store: Store, mask: Callable[[str, str], str] | None) -> ExportRows:
    rows = ExportRows()
    rows.extra_headers, extras = current_extras(store.db)
    rows.masked = mask is not None
    for person in iter_persons(store):
        row: dict[str, Any] = {}
        for fld in EXPORT_FIELDS:
            value = person[fld]
            if value and mask is not None:
                value = mask(fld, value)
            if value and fld in DATE_FIELDS:
                value = date.fromisoformat(value)
            row[fld] = value
        more = extras.get(person["id"])
        if more:
            row[EXTRAS] = {h: mask_text(v) for h, v in more.items()} if mask is not None else more
        rows.append(row)
    return rows


def _extra_labels(rows: Iterable[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The unknown columns' headers of `rows` and their labels in the header row:
    the header as written, set apart when it is a standard column's label (a
    second 联系电话 column)."""
    headers = list(getattr(rows, "extra_headers", ()))
    taken = set(COLUMN_LABELS.values())
    labels = [f"{h}（另列）" if h in taken else h for h in headers]
    return headers, [mask_text(label) for label in labels] if getattr(rows, "masked", False) else labels


def mark_workbook(book: Any, kind: str) -> None:
    """Say in the xlsxwriter workbook's document properties that taizhang wrote
    it (`ingest.own`), so it is never imported back as village data."""
    props, name, value = xlsx_properties(kind)
    book.set_properties(props)
    book.set_custom_property(name, value)


def write_csv(rows: Iterable[dict[str, Any]], out: Path | None) -> str | None:
    """CSV in utf-8-sig (what Excel opens correctly); returns the text when `out` is None."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    extras, labels = _extra_labels(rows)
    writer.writerow([*(COLUMN_LABELS[f] for f in EXPORT_FIELDS), *labels])
    for row in rows:
        more = row.get(EXTRAS) or {}
        writer.writerow([*(_csv_cell(row[f]) for f in EXPORT_FIELDS),
                         *(_csv_cell(more.get(h)) for h in extras)])
    text = buffer.getvalue()
    if out is None:
        return text
    write_bytes(out, text.encode("utf-8-sig"))
    return None


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


# Characters Excel refuses in a sheet name, and controls (which the XML cannot hold)
_SHEET_BAD_RE = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
SHEET_UNITS = 31  # Excel's limit, in UTF-16 code units


def _fit_units(text: str, units: int) -> str:
    """`text` cut to at most `units` UTF-16 code units (an emoji takes two)."""
    if len(text) <= units // 2 or len(text.encode("utf-16-le")) // 2 <= units:
        return text
    out, used = [], 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            break
        out.append(char)
    return "".join(out)


def sheet_name(book: Any, name: str, fallback: str = UNKNOWN_SHEET) -> str:
    """A name Excel accepts for a new sheet of `book` named after `name` (a
    village, an office's label): forbidden characters as `_`, no apostrophe
    at either end, at most 31 UTF-16 units, never History (Excel's own); and
    unique with case ignored, as Excel compares: a clash is numbered `全镇(2)`,
    `abc(3)`, cut so that the number fits. Deterministic: the same names in
    the same order give the same sheets."""
    base = _fit_units(_SHEET_BAD_RE.sub("_", name).strip("'"), SHEET_UNITS).rstrip("'") or fallback
    taken = {"history"} | {s.name.casefold() for s in book.worksheets()}
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f"({n})"
        candidate = _fit_units(base, SHEET_UNITS - len(suffix)).rstrip("'") + suffix
    return candidate


def write_xlsx(rows: list[dict[str, Any]], out: Path, title: str = "") -> None:
    """全镇 first, then one sheet per village; frozen header, widths, autofilter."""
    with atomic_write(out) as tmp:
        _export_xlsx(rows, tmp, title)


def _export_xlsx(rows: list[dict[str, Any]], tmp: Path, title: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False})
    mark_workbook(book, "export")
    header_fmt = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                  "text_wrap": True, "valign": "vcenter"})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    text_fmt = book.add_format({"num_format": "@"})
    groups: dict[str, list[dict[str, Any]]] = {}  # a village may be called 全镇 too
    for row in rows:
        groups.setdefault(row.get("village") or UNKNOWN_SHEET, []).append(row)
    extras, labels = _extra_labels(rows)
    first = len(EXPORT_FIELDS)  # the unknown columns' cells follow, as text
    headings = [*(COLUMN_LABELS[f] for f in EXPORT_FIELDS), *labels]
    for name, members in [(ALL_SHEET, rows), *groups.items()]:
        sheet = book.add_worksheet(sheet_name(book, name))
        widths = Widths(cap=30)  # per sheet: a village's own sheet is as wide as its values
        for c, fld in enumerate(EXPORT_FIELDS):
            sheet.write_string(0, c, COLUMN_LABELS[fld], header_fmt)
        for c, label in enumerate(labels, start=first):
            sheet.write_string(0, c, label, header_fmt)
        for r, row in enumerate(members, start=1):
            for c, fld in enumerate(EXPORT_FIELDS):
                value = row[fld]
                if value is None or value == "":
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(r, c, _as_datetime(value), date_fmt)
                else:
                    sheet.write_string(r, c, str(value), text_fmt if fld in ("id_number", "phone")
                                       else None)
                    widths.see(c, value)
            more = row.get(EXTRAS)
            if more:
                for c, header in enumerate(extras, start=first):
                    if more.get(header):
                        sheet.write_string(r, c, more[header], text_fmt)
                        widths.see(c, more[header])
        total = 0
        for c, heading in enumerate(headings):  # a heading wraps onto two lines at most
            floor = _DATE_UNITS if c < first and EXPORT_FIELDS[c] in DATE_FIELDS else 0
            width = widths.width(c, max(floor, (text_width(heading) + 1) // 2 + 2))
            total += width
            sheet.set_column(c, c, width, text_fmt if c >= first or EXPORT_FIELDS[c] in
                             ("id_number", "phone") else None)
        sheet.set_row(0, 30)  # a heading wider than its column takes two lines
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(members), 1), first + len(extras) - 1)
        page_setup(sheet, f"{title} {name}".strip(), (0, 0), total, landscape=True)
    book.close()


def _as_datetime(value: date) -> Any:
    from datetime import datetime

    return datetime(value.year, value.month, value.day)
