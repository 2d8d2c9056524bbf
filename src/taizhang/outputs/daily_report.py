"""The daily report (日报告 / 零报告) rendered: text, Markdown, HTML, xlsx and JSON (SPEC §6, §8).

The numbers come from `daily_data.gather`; every sentence comes from the
templates (`templates/daily_report.*.j2` and `templates/labels.toml`), which
an office can override one file at a time.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from taizhang.config import Config
from taizhang.ingest.own import mark_html
from taizhang.outputs.atomic import atomic_write, write_text
from taizhang.outputs.daily_data import DailyData, Mask
from taizhang.outputs.export import mark_workbook, sheet_name
from taizhang.outputs.report_numbers import UNKNOWN_VILLAGE
from taizhang.outputs.templating import environment, render
from taizhang.outputs.xlsx_layout import Widths, page_setup, text_width
from taizhang.privacy import mask_tree

REPORT_FORMATS = ("text", "md", "html", "xlsx", "json")
REPORT_SUFFIX = {"text": "txt", "md": "md", "html": "html", "xlsx": "xlsx", "json": "json"}
HEADING_UNITS = 8  # a heading wider than this wraps onto a second line


def masked(data: DailyData, mask: Mask) -> DailyData:
    """The day as the report shows it: every string of its numbers, trend and
    exceptions (names, IDs, village and file names) through `mask(field, text)`
    — data, not the rendered page, so the markup and the office's own words
    (contact_phone) stay as written. Done once per report, in every format."""
    if mask is None:
        return data
    return replace(data, report=mask_tree(data.report, mask), trend=mask_tree(data.trend, mask),
                   exceptions=mask_tree(data.exceptions, mask))


def text_context(config: Config) -> dict[str, str]:
    """Optional words from the config (reporter, reviewer, contact_phone, sample_site)."""
    from taizhang.config import TEXT_KEYS

    return {key: config.text.get(key, "") for key in TEXT_KEYS}


def report_context(data: DailyData, mask: Mask) -> dict[str, Any]:
    data = masked(data, mask)
    return {"report": data.report, "trend": data.trend, "exceptions": data.exceptions,
            **text_context(data.config)}


def render_report(data: DailyData, fmt: str, mask: Mask, templates: Path | None) -> str | bytes:
    """The report in one format: text for stdout or a file, bytes for xlsx."""
    return _render(masked(data, mask), fmt, templates)


def _render(data: DailyData, fmt: str, templates: Path | None) -> str:
    if fmt == "json":
        return json.dumps(data.report, ensure_ascii=False, indent=2) + "\n"
    env = environment(templates)
    context = report_context(data, None)
    if fmt in ("text", "md"):
        suffix = {"text": "txt", "md": "md"}[fmt]
        return render(env, f"daily_report.{suffix}.j2", **context)
    if fmt == "html":  # marked as taizhang's, in case someone saves the page as .xls
        return mark_html(render(env, "daily_report.html.j2", **context), "daily_report")
    raise ValueError(fmt)


def write_report_xlsx(data: DailyData, out: Path, templates: Path | None) -> None:
    """The per-village table for upstream submission, and the trend with a chart."""
    with atomic_write(out) as tmp:
        _report_xlsx(data, tmp, templates)


def _report_xlsx(data: DailyData, tmp: Path, templates: Path | None) -> None:
    import xlsxwriter

    env = environment(templates)
    labels = env.globals["labels"]
    columns = labels["report_columns"]
    words = labels["report"]
    book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
    mark_workbook(book, "daily_report")
    title_fmt = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                            "valign": "vcenter", "text_wrap": True})
    cell = book.add_format({"border": 1, "align": "center"})
    bold = book.add_format({"border": 1, "align": "center", "bold": True})
    report = data.report
    sheet = book.add_worksheet(sheet_name(book, words["sheet_villages"], "villages"))
    key = ("unsubmitted_title" if not report["totals"]["submitted"]
           else "zero_title" if report["zero_report"] else "title")
    title = words.get(key, words["title"]).format(
        township=report["township"], date=report["date"])
    sheet.merge_range(0, 0, 0, len(columns) - 1, title, title_fmt)
    widths = Widths()
    for c, label in enumerate(columns.values()):
        sheet.write_string(1, c, label, head)  # wraps: a long heading takes two lines

    def values(row: dict[str, Any], total: bool) -> list[Any]:
        out = []
        for key in columns:
            if key == "village":
                out.append(words["total_row"] if total else row["village"])
            elif key == "under_control":
                out.append(sum(row["under_control"].values()))
            elif key == "submitted":
                out.append(f"{row['submitted']}/{row['villages']}" if total else
                           "—" if row["village"] == UNKNOWN_VILLAGE else  # it submits nothing
                           (words["submitted_yes"] if row["submitted"] else words["submitted_no"]))
            else:
                out.append(row[key])
        return out

    for r, row in enumerate(report["villages"], start=2):
        for c, value in enumerate(values(row, False)):
            sheet.write(r, c, value, cell)
            widths.see(c, value)
    last = 2 + len(report["villages"])
    for c, value in enumerate(values(report["totals"], True)):
        sheet.write(last, c, value, bold)
        widths.see(c, value)
    for c, label in enumerate(columns.values()):
        sheet.set_column(c, c, widths.width(c, min(text_width(label), HEADING_UNITS) + 2))
    sheet.set_row(0, 24)
    sheet.set_row(1, 30)  # a heading wider than its column takes two lines
    sheet.freeze_panes(2, 1)
    page_setup(sheet, title, (1, 1), sum(widths.width(c, 8) for c in range(len(columns))))
    series = data.trend
    chart_sheet = book.add_worksheet(sheet_name(book, words["sheet_trend"], "trend"))
    chart_sheet.write_string(0, 0, words["trend_date"], head)
    for c, phase in enumerate(series["phases"], start=1):
        chart_sheet.write_string(0, c, phase, head)
    chart_sheet.write_string(0, len(series["phases"]) + 1, words["trend_total"], head)
    for r, day in enumerate(series["dates"], start=1):
        chart_sheet.write_string(r, 0, day)
        for c, phase in enumerate(series["phases"], start=1):
            chart_sheet.write_number(r, c, series["series"][phase][r - 1])
        chart_sheet.write_number(r, len(series["phases"]) + 1, series["totals"][r - 1])
    chart_sheet.set_column(0, 0, 12)
    for c, phase in enumerate(series["phases"], start=1):
        chart_sheet.set_column(c, c, max(8, text_width(phase) + 2))
    chart_sheet.set_column(len(series["phases"]) + 1, len(series["phases"]) + 1,
                           text_width(words["trend_total"]) + 2)
    page_setup(chart_sheet, f"{title} {words['sheet_trend']}", (0, 0), 200, landscape=True)
    if series["phases"]:
        chart = book.add_chart({"type": "column", "subtype": "stacked"})
        n = len(series["dates"])
        for c in range(1, len(series["phases"]) + 1):
            chart.add_series({"name": [chart_sheet.name, 0, c],
                              "categories": [chart_sheet.name, 1, 0, n, 0],
                              "values": [chart_sheet.name, 1, c, n, c]})
        chart.set_title({"name": words["sheet_trend"]})
        chart.set_size({"width": 760, "height": 320})
        chart_sheet.insert_chart(1, len(series["phases"]) + 3, chart)
    book.close()


def write_report(data: DailyData, fmt: str, out_dir: Path, mask: Mask,
                 templates: Path | None) -> Path:
    target = out_dir / f"日报告_{data.date.isoformat()}.{REPORT_SUFFIX[fmt]}"
    data = masked(data, mask)
    if fmt == "xlsx":
        write_report_xlsx(data, target, templates)
    else:
        write_text(target, _render(data, fmt, templates))
    return target
