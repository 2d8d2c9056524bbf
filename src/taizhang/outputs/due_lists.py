"""The due-today lists from the ledger, and their shapes for people: masking, CSV, xlsx.

`due_today` is what `taizhang due-today --format json` prints (before
masking) and what the library's `Ledger.due()` returns: the policy engine's
lists over the ledger's arrays, plus the fevers of people who appear only in
temperature sheets. List names, column titles and reason wording come from
`templates/labels.toml`, overridable like every template.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from taizhang.ledger.snapshot import add_unregistered_fevers, load_arrays, unregistered_fevers
from taizhang.ledger.store import Store
from taizhang.outputs.atomic import atomic_write
from taizhang.outputs.export import mark_workbook, neutralise, sheet_name
from taizhang.outputs.xlsx_layout import Widths, page_setup
from taizhang.policy.due import due_lists
from taizhang.policy.model import Policy
from taizhang.privacy import mask_tree

LIST_KEYS = ("tests_due", "tests_overdue", "releases_due", "releases_blocked",
             "temperature_missing", "fever")

LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "tests_due": ("village", "name", "id_number", "regime", "day", "due_date", "late"),
    "tests_overdue": ("village", "name", "id_number", "regime", "day", "due_date", "days_overdue"),
    "releases_due": ("village", "name", "id_number", "regime", "day", "release_date"),
    "releases_blocked": ("village", "name", "id_number", "regime", "day", "planned_release_date",
                         "reasons"),
    "temperature_missing": ("village", "name", "id_number", "regime", "day", "date", "readings"),
    "fever": ("village", "name", "id_number", "regime", "day", "date", "slot", "temperature"),
}


def due_today(store: Store, day: date, policy: Policy, village: str | None = None) -> dict[str, Any]:
    """The six lists of SPEC §6 for `day` (unmasked), as `due-today --format json` prints them."""
    arrays = load_arrays(store, day, policy.fever_threshold, village)
    strays = unregistered_fevers(store, day, policy.fever_threshold, village)
    lists = due_lists(arrays, day, policy, village)
    add_unregistered_fevers(lists, strays)
    return lists


def reason_label(reason: str, labels: dict[str, Any]) -> str:
    """`missing_test:day7` -> 第7天核酸未采样 (wording from labels.toml)."""
    from taizhang.outputs.templating import reason_text

    return reason_text(reason, labels)


def mask_lists(lists: dict[str, Any], mask: Callable[[str, str], str] | None) -> dict[str, Any]:
    """The lists as every format shows them: each string of each entry through
    `mask(field, text)` (`privacy.mask_value`: the ID as an ID, an ID typed
    into 姓名 or a phone in a village name as free text); None leaves them."""
    if mask is None:
        return lists
    return {"date": lists["date"], **{key: mask_tree(lists[key], mask) for key in LIST_KEYS}}


def cell_text(field: str, value: Any, regimes: dict[str, str], labels: dict[str, Any]) -> str:
    if value is None:
        return ""
    words = labels["list_columns"]
    if field == "late":
        return words["yes"] if value else words["no"]
    if field == "regime":
        return regimes.get(value, value)
    if field == "reasons":
        return "；".join(reason_label(r, labels) for r in value)
    return str(value)


def lists_csv(lists: dict[str, Any], regimes: dict[str, str], labels: dict[str, Any]) -> str:
    """One CSV: a 清单 column names the list, then the union of the fields."""
    words = labels["list_columns"]
    fields: list[str] = []
    for key in LIST_KEYS:
        fields.extend(f for f in LIST_FIELDS[key] if f not in fields)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([words["list"], *(words[f] for f in fields)])
    for key in LIST_KEYS:
        for entry in lists[key]:
            writer.writerow([labels["lists"][key],
                             *(neutralise(cell_text(f, entry.get(f), regimes, labels))
                               for f in fields)])
    return buffer.getvalue()


def write_lists_xlsx(lists: dict[str, Any], out: Path, title: str, regimes: dict[str, str],
                     labels: dict[str, Any]) -> None:
    """One sheet per list, rows grouped by village, ready to hand to village doctors."""
    with atomic_write(out) as tmp:
        _lists_xlsx(lists, tmp, title, regimes, labels)


def _lists_xlsx(lists: dict[str, Any], tmp: Path, title: str, regimes: dict[str, str],
                labels: dict[str, Any]) -> None:
    import xlsxwriter

    words = labels["list_columns"]
    book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False})
    mark_workbook(book, "due_lists")
    title_fmt = book.add_format({"bold": True, "font_size": 14})
    header_fmt = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    group_fmt = book.add_format({"bold": True, "bg_color": "#F2F2F2"})
    for key in LIST_KEYS:
        label = labels["lists"][key]
        sheet = book.add_worksheet(sheet_name(book, label, key))  # labels.toml may say anything
        fields = LIST_FIELDS[key]
        heading = f"{title} {label}（{lists['date']}）"
        sheet.write_string(0, 0, heading, title_fmt)
        widths = Widths()
        for c, fld in enumerate(fields):
            sheet.write_string(2, c, words[fld], header_fmt)
            widths.see(c, words[fld])
        row = 3
        current = None
        for entry in lists[key]:
            if entry["village"] != current:
                current = entry["village"]
                count = sum(1 for e in lists[key] if e["village"] == current)
                sheet.write_string(row, 0, (current or words["unknown_village"])
                                   + words["count"].format(n=count), group_fmt)
                row += 1
            for c, fld in enumerate(fields):
                text = cell_text(fld, entry.get(fld), regimes, labels)
                sheet.write_string(row, c, text)
                widths.see(c, text)
            row += 1
        if not lists[key]:
            sheet.write_string(row, 0, words["none"])
        for c in range(len(fields)):
            sheet.set_column(c, c, widths.width(c))
        sheet.freeze_panes(3, 0)
        page_setup(sheet, heading, (2, 2), widths.total(len(fields)))
    book.close()
