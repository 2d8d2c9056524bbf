"""Writing the due-today lists: masking, CSV and the village doctors' workbook.

The lists themselves come from `due.due_lists`; this module only shapes them
for people. Column titles and reason labels are the vocabulary of the lists,
shared by every output format.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .export import _atomic_target, neutralise

LISTS: dict[str, str] = {
    "tests_due": "今日应检",
    "tests_overdue": "逾期未检",
    "releases_due": "今日应解除",
    "releases_blocked": "解除受阻",
    "temperature_missing": "体温缺报",
    "fever": "发热",
}

COLUMNS: dict[str, str] = {
    "village": "村（社区）", "name": "姓名", "id_number": "身份证号", "regime": "管控方案",
    "day": "第几天", "due_date": "应检日期", "late": "超过应检日", "days_overdue": "逾期天数",
    "release_date": "解除日期", "planned_release_date": "应解除日期", "reasons": "受阻原因",
    "date": "日期", "readings": "已报次数", "slot": "时段", "temperature": "体温",
}

LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "tests_due": ("village", "name", "id_number", "regime", "day", "due_date", "late"),
    "tests_overdue": ("village", "name", "id_number", "regime", "day", "due_date", "days_overdue"),
    "releases_due": ("village", "name", "id_number", "regime", "day", "release_date"),
    "releases_blocked": ("village", "name", "id_number", "regime", "day", "planned_release_date",
                         "reasons"),
    "temperature_missing": ("village", "name", "id_number", "regime", "day", "date", "readings"),
    "fever": ("village", "name", "id_number", "regime", "day", "date", "slot", "temperature"),
}


def reason_label(reason: str) -> str:
    """`missing_test:day7` -> 第7天核酸未采样, and so on."""
    m = re.fullmatch(r"(missing_test|pending_result):day(\d+)", reason)
    if m:
        return f"第{m[2]}天核酸" + ("未采样" if m[1] == "missing_test" else "结果未出")
    return {"positive": "核酸阳性", "fever": "近期发热"}.get(reason, reason)


def mask_lists(lists: dict[str, Any], mask: Callable[[str, str], str] | None) -> dict[str, Any]:
    if mask is None:
        return lists
    masked: dict[str, Any] = {"date": lists["date"]}
    for key in LISTS:
        masked[key] = [{**e, "id_number": mask("id_number", e["id_number"])} for e in lists[key]]
    return masked


def cell_text(field: str, value: Any, regimes: dict[str, str]) -> str:
    if value is None:
        return ""
    if field == "late":
        return "是" if value else "否"
    if field == "regime":
        return regimes.get(value, value)
    if field == "reasons":
        return "；".join(reason_label(r) for r in value)
    return str(value)


def lists_csv(lists: dict[str, Any], regimes: dict[str, str]) -> str:
    """One CSV: a 清单 column names the list, then the union of the fields."""
    fields: list[str] = []
    for key in LISTS:
        fields.extend(f for f in LIST_FIELDS[key] if f not in fields)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["清单", *(COLUMNS[f] for f in fields)])
    for key, label in LISTS.items():
        for entry in lists[key]:
            writer.writerow([label, *(neutralise(cell_text(f, entry.get(f), regimes))
                                      for f in fields)])
    return buffer.getvalue()


def write_lists_xlsx(lists: dict[str, Any], out: Path, title: str, regimes: dict[str, str]) -> None:
    """One sheet per list, rows grouped by village, ready to hand to village doctors."""
    import xlsxwriter

    tmp = _atomic_target(out)
    book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False})
    title_fmt = book.add_format({"bold": True, "font_size": 14})
    header_fmt = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    group_fmt = book.add_format({"bold": True, "bg_color": "#F2F2F2"})
    for key, label in LISTS.items():
        sheet = book.add_worksheet(label)
        fields = LIST_FIELDS[key]
        sheet.write_string(0, 0, f"{title} {label}（{lists['date']}）", title_fmt)
        for c, fld in enumerate(fields):
            sheet.write_string(2, c, COLUMNS[fld], header_fmt)
            sheet.set_column(c, c, 22 if fld in ("id_number", "reasons") else 12)
        row = 3
        current = None
        for entry in lists[key]:
            if entry["village"] != current:
                current = entry["village"]
                count = sum(1 for e in lists[key] if e["village"] == current)
                sheet.write_string(row, 0, f"{current or '村名未知'}（{count}人次）", group_fmt)
                row += 1
            for c, fld in enumerate(fields):
                sheet.write_string(row, c, cell_text(fld, entry.get(fld), regimes))
            row += 1
        if not lists[key]:
            sheet.write_string(row, 0, "无")
        sheet.freeze_panes(3, 0)
    book.close()
    os.replace(tmp, out)
