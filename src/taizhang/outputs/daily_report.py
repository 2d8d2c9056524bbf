"""The daily report, the notices and the unattended daily run (SPEC §6, §8).

`DailyData` gathers, once, what every output of a day needs (the ledger as
arrays, the due lists, the report numbers, the trend and the exceptions);
the writers turn it into text, Markdown, HTML, xlsx and JSON through the
templates. `run_daily` is the cron entry point: it holds a lock, imports the
inbox, writes everything into `out/D/` through temporary files, and logs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from taizhang.config import Config
from taizhang.errors import TaizhangError
from taizhang.ledger.snapshot import add_unregistered_fevers, load_arrays, unregistered_fevers, unregistered_readings
from taizhang.ledger.store import Store
from taizhang.outputs.export import _atomic_target, neutralise
from taizhang.outputs.report_numbers import exceptions, report_numbers, trend
from taizhang.outputs.templating import environment, load_labels, render
from taizhang.policy.arrays import NEVER, LedgerArrays
from taizhang.policy.calendar import calendar, later_tests
from taizhang.policy.due import due_lists
from taizhang.policy.engine import Engine
from taizhang.policy.model import Policy
from taizhang.privacy import mask_field

REPORT_FORMATS = ("text", "md", "html", "xlsx", "json")
REPORT_SUFFIX = {"text": "txt", "md": "md", "html": "html", "xlsx": "xlsx", "json": "json"}
NOTICE_KINDS = ("isolation", "test", "release")
Mask = Callable[[str, str], str] | None


@dataclass(slots=True)
class DailyData:
    date: date
    township: str
    arrays: LedgerArrays
    lists: dict[str, Any]
    report: dict[str, Any]
    trend: dict[str, Any]
    exceptions: dict[str, Any]
    config: Config
    extra_context: dict[str, Any] = field(default_factory=dict)


def submitted_villages(store: Store, t: date) -> set[str]:
    """Villages with at least one file dated t (its as-of date or import date)."""
    found: set[str] = set()
    day = t.isoformat()
    for (villages,) in store.db.execute(
        "SELECT village FROM batches WHERE village IS NOT NULL AND "
        "(as_of=? OR substr(imported_at, 1, 10)=?)", (day, day)
    ):
        found.update(v for v in villages.split("、") if v)
    return found


def unregistered_counts(store: Store, t: date, threshold: float) -> dict[str, dict[str, int]]:
    """Positives and fevers of people who appear only in test or temperature
    sheets, attributed to the village that sent the sheet: never lost."""
    extra: dict[str, dict[str, int]] = {}
    day = t.isoformat()
    for village, n in store.db.execute(
        "SELECT b.village, count(*) FROM tests t JOIN persons p ON p.id=t.person_id "
        "JOIN batches b ON b.id=t.batch_id WHERE p.registered=0 AND t.result='positive' "
        "AND t.sample_date=? AND t.retracted_by IS NULL GROUP BY b.village", (day,)
    ):
        extra.setdefault(village or "", {})["positives"] = n
    fevers = unregistered_readings(store, t.toordinal(), t.toordinal(), threshold)
    feverish: dict[str, set[int]] = {}
    for pid, row in zip(fevers.person.tolist(), fevers.row.tolist(), strict=True):
        feverish.setdefault(fevers.rows[row][8] or "", set()).add(pid)
    for village, people in feverish.items():
        extra.setdefault(village, {})["fever"] = len(people)
    return extra


def gather(store: Store, t: date, policy: Policy, config: Config, trend_days: int = 30
           ) -> DailyData:
    arrays = load_arrays(store, t, policy.fever_threshold)
    engine = Engine(arrays, t, policy, None)  # one computation shared by every number
    lists = due_lists(arrays, t, policy, engine=engine)
    add_unregistered_fevers(lists, unregistered_fevers(store, t, policy.fever_threshold))
    report = report_numbers(arrays, t, policy, config.township, config.villages,
                            submitted_villages(store, t),
                            unregistered_counts(store, t, policy.fever_threshold), lists, engine)
    return DailyData(t, config.township, arrays, lists, report,
                     trend(arrays, t, policy, trend_days, engine),
                     exceptions(arrays, t, policy, lists, report, engine), config)


def _masked_exceptions(data: DailyData, mask: Mask) -> dict[str, Any]:
    if mask is None:
        return data.exceptions
    return {key: ([{**e, "id_number": mask("id_number", e["id_number"])} if "id_number" in e
                   else e for e in value] if isinstance(value, list) and value
                  and isinstance(value[0], dict) else value)
            for key, value in data.exceptions.items()}


def text_context(config: Config) -> dict[str, str]:
    """Optional words from the config (reporter, reviewer, contact_phone, sample_site)."""
    from taizhang.config import TEXT_KEYS

    return {key: config.text.get(key, "") for key in TEXT_KEYS}


def report_context(data: DailyData, mask: Mask) -> dict[str, Any]:
    return {"report": data.report, "trend": data.trend,
            "exceptions": _masked_exceptions(data, mask), **text_context(data.config)}


def render_report(data: DailyData, fmt: str, mask: Mask, templates: Path | None) -> str | bytes:
    """The report in one format: text for stdout or a file, bytes for xlsx."""
    if fmt == "json":
        return json.dumps(data.report, ensure_ascii=False, indent=2) + "\n"
    env = environment(templates)
    context = report_context(data, mask)
    if fmt in ("text", "md", "html"):
        suffix = {"text": "txt", "md": "md", "html": "html"}[fmt]
        return render(env, f"daily_report.{suffix}.j2", **context)
    raise ValueError(fmt)


def write_report_xlsx(data: DailyData, out: Path, templates: Path | None) -> None:
    """The per-village table for upstream submission, and the trend with a chart."""
    import xlsxwriter

    env = environment(templates)
    labels = env.globals["labels"]
    columns = labels["report_columns"]
    words = labels["report"]
    tmp = _atomic_target(out)
    book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
    title_fmt = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                            "valign": "vcenter", "text_wrap": True})
    cell = book.add_format({"border": 1, "align": "center"})
    bold = book.add_format({"border": 1, "align": "center", "bold": True})
    report = data.report
    sheet = book.add_worksheet(words["sheet_villages"])
    title = (words["zero_title"] if report["zero_report"] else words["title"]).format(
        township=report["township"], date=report["date"])
    sheet.merge_range(0, 0, 0, len(columns) - 1, title, title_fmt)
    for c, label in enumerate(columns.values()):
        sheet.write_string(1, c, label, head)
        sheet.set_column(c, c, 14 if c == 0 else 9)

    def values(row: dict[str, Any], total: bool) -> list[Any]:
        out = []
        for key in columns:
            if key == "village":
                out.append(words["total_row"] if total else row["village"])
            elif key == "under_control":
                out.append(sum(row["under_control"].values()))
            elif key == "submitted":
                out.append(f"{row['submitted']}/{row['villages']}" if total else
                           (words["submitted_yes"] if row["submitted"] else words["submitted_no"]))
            else:
                out.append(row[key])
        return out

    for r, row in enumerate(report["villages"], start=2):
        for c, value in enumerate(values(row, False)):
            sheet.write(r, c, value, cell)
    last = 2 + len(report["villages"])
    for c, value in enumerate(values(report["totals"], True)):
        sheet.write(last, c, value, bold)
    sheet.freeze_panes(2, 1)
    series = data.trend
    chart_sheet = book.add_worksheet(words["sheet_trend"])
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
    os.replace(tmp, out)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    tmp = _atomic_target(path)
    tmp.write_bytes(text.encode(encoding))
    os.replace(tmp, path)


def write_report(data: DailyData, fmt: str, out_dir: Path, mask: Mask,
                 templates: Path | None) -> Path:
    target = out_dir / f"日报告_{data.date.isoformat()}.{REPORT_SUFFIX[fmt]}"
    if fmt == "xlsx":
        write_report_xlsx(data, target, templates)
    else:
        write_text(target, str(render_report(data, fmt, mask, templates)))
    return target


# ------------------------------------------------------------------ notices


def notice_people(store: Store, data: DailyData, kind: str, policy: Policy,
                  id_number: str | None, mask: Mask) -> list[dict[str, Any]]:
    """The people a notice of `kind` is for on the day, with what the template needs."""
    from taizhang.ingest.values import clean_id_text

    t = data.date
    arrays = data.arrays
    text = arrays.text
    if kind == "isolation":
        fast = Engine(arrays, t, policy, None)
        starts = (fast.start == t.toordinal()) & fast.valid & (fast.planned > fast.start)
        selected: list[tuple[int, dict[str, Any]]] = [(int(i), {}) for i in starts.nonzero()[0]]
    else:
        # list entries name a person by ID, name and village (IDs may be empty or
        # repeated for unverified people), so match all three, in order
        where: dict[tuple[str, str, str], list[int]] = {}
        for i, key in enumerate(zip(text["id_number"], text["name"], text["village"], strict=True)):
            where.setdefault(key, []).append(i)
        entries = data.lists["tests_due" if kind == "test" else "releases_due"]
        selected = []
        for e in entries:
            found = where.get((e["id_number"], e["name"], e["village"]), [])
            if found:
                selected.append((found[0] if len(found) == 1 else found.pop(0), e))
    if id_number:
        wanted = clean_id_text(id_number)
        selected = [(i, e) for i, e in selected if text["id_number"][i] == wanted]
    extra = _notice_fields(store, arrays, [i for i, _ in selected])
    return [_notice_context(arrays, i, entry, extra.get(i, {}), policy, t, mask)
            for i, entry in selected]


def _notice_fields(store: Store, arrays: LedgerArrays, positions: list[int]
                   ) -> dict[int, dict[str, Any]]:
    """Address, origin, 包保责任人 and 村医 of the selected people: one query."""
    if arrays.person_ids is None or not positions:
        return {}
    wanted = {int(arrays.person_ids[i]): i for i in positions}
    found = {}
    for row in store.db.execute(
        "SELECT id, address, origin, guardian, doctor, arrival_date FROM persons "
        "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(wanted)),)
    ):
        found[wanted[row["id"]]] = {k: row[k] or "" for k in row.keys() if k != "id"}
    return found


def _notice_context(arrays: LedgerArrays, i: int, entry: dict[str, Any], extra: dict[str, Any],
                    policy: Policy, t: date, mask: Mask) -> dict[str, Any]:
    from datetime import timedelta

    ident = arrays.text["id_number"][i]
    cal = calendar(arrays, i, t, policy)
    release = entry.get("release_date")
    end = date.fromisoformat(release or cal["planned_release_date"])
    start = date.fromisoformat(cal["control_start"])
    return {
        "name": arrays.text["name"][i], "village": arrays.text["village"][i],
        "id_number": mask("id_number", ident) if mask else ident,
        "address": extra.get("address", ""), "origin": extra.get("origin", ""),
        "guardian": extra.get("guardian", ""), "doctor": extra.get("doctor", ""),
        "arrival_date": extra.get("arrival_date", ""),
        "regime_name": cal["regime_name"],
        "phases": [list(phase) for phase in policy.regimes[cal["regime"]].phases],
        "test_days": [s["day"] for s in cal["tests"]],
        "start": cal["control_start"],
        "last_day": (end - timedelta(days=1)).isoformat(),
        "planned_release": cal["planned_release_date"],
        "release_date": release or "", "days_served": (end - start).days,
        "day": entry.get("day"), "due_date": entry.get("due_date"), "late": entry.get("late"),
        "later_tests": later_tests(cal, t),
        "site": "",
    }


def render_notices(people: list[dict[str, Any]], kind: str, data: DailyData,
                   templates: Path | None, extras: dict[str, Any]) -> list[str]:
    env = environment(templates)
    context = {**text_context(data.config), **extras}
    return [render(env, f"notice_{kind}.txt.j2", p=p, date=data.date.isoformat(),
                   township=data.township, **context) for p in people]


def safe_filename(name: str) -> str:
    """A file name every OS accepts: no path separators, Windows-reserved
    characters, control characters, or a leading dot."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).lstrip(". ")
    return cleaned[:150] or "_"


def write_notices(people: list[dict[str, Any]], kind: str, data: DailyData, fmt: str,
                  out_dir: Path, templates: Path | None, extras: dict[str, Any]) -> list[Path]:
    """One printable html with page breaks, or one .docx per person."""
    texts = render_notices(people, kind, data, templates, extras)
    day = data.date.isoformat()
    words = load_labels(templates)["notices"]
    title = words[kind]
    if fmt == "html":
        env = environment(templates)
        target = out_dir / safe_filename(f"{title}_{day}.html")
        write_text(target, render(env, "notices.html.j2", notices=texts,
                                  title=f"{title}（{day}）", empty=words["none"]))
        return [target]
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    written = []
    for person, text in zip(people, texts, strict=True):
        lines = [line for line in text.strip().split("\n")]
        doc = Document()
        heading = doc.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = heading.add_run(lines[0])
        run.bold = True
        run.font.size = Pt(18)
        body = [line for line in lines[1:] if line.strip()]
        for n, line in enumerate(body):
            para = doc.add_paragraph(neutralise(line))
            if n >= len(body) - 2:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        target = out_dir / safe_filename(f"{title}_{day}_{person['village']}_{person['name']}.docx")
        tmp = _atomic_target(target)
        doc.save(str(tmp))
        os.replace(tmp, target)
        written.append(target)
    return written


# ------------------------------------------------------------------ daily run


@contextmanager
def daily_lock(folder: Path, wait: float) -> Iterator[None]:
    """One daily run at a time, on every OS: an exclusive SQLite transaction on
    a lock file. The OS releases it when the process dies, so a killed run
    never leaves a stale lock."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = sqlite3.connect(folder / ".taizhang-daily.lock", timeout=wait, isolation_level=None)
    try:
        try:
            lock.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise TaizhangError(
                f"另一个 taizhang daily 正在运行（等待{int(wait)}秒后仍未结束），本次不运行："
                "请稍后再试，或检查是否有卡住的任务"
            ) from None
        yield
        lock.execute("ROLLBACK")
    finally:
        lock.close()


@contextmanager
def file_logger(path: Path) -> Iterator[logging.Logger]:
    """A log file readable by the owner only, for one run; messages never
    contain full IDs. The handler is closed when the run ends."""
    from taizhang.ledger.store import create_private_file

    create_private_file(path)
    logger = logging.getLogger(f"taizhang.daily.{path.resolve()}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()


def masked_problem_text(p: Any) -> str:
    return f"{p.path}“{p.sheet}”{p.code}：{p.message}（值：{mask_field(p.field, p.value)}）"


__all__ = ["NEVER", "REPORT_FORMATS", "DailyData", "daily_lock", "gather", "write_report"]
