"""What the commands print to a terminal: rich tables and lines, in Chinese.

The command line (`cli.py`) computes, then hands its result and a Console to
one of these functions; machine-readable formats (JSON, CSV) never pass
through here. Values arrive masked unless the user gave `--no-mask`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from taizhang.ingest.headers import FIELD_LABELS, KIND_LABELS
from taizhang.outputs.templating import load_labels
from taizhang.policy.model import Policy

if TYPE_CHECKING:  # the command line imports ingest only for the commands that read files
    from taizhang.ingest.understanding import ColumnsReport
    from taizhang.ingest.validation import ValidationReport

Mask = Callable[[str, str], str] | None


def e(value: object) -> str:
    """Data as rich shows it literally: a name like 王[/red]伟 or a file named
    `[1].xlsx` is text, not markup (which would crash the print)."""
    return escape(str(value))


_SOURCE_LABELS = {"config": "配置[columns]", "alias": "别名表", "words": "表头用词",
                  "cells": "单元格内容", None: "—"}


def render_columns(out: Console, report: ColumnsReport) -> None:
    """One table per sheet (column, field, why), then the `[columns]` snippet
    for the columns nothing placed."""
    for sheet in report.sheets:
        title = f"{Path(sheet.path).name}“{sheet.sheet or '-'}”：{KIND_LABELS.get(sheet.kind or '', '类型未知')}"
        if sheet.error:
            out.print(f"{e(title)}：[red]{e(sheet.error)}[/red]", highlight=False)
            continue
        table = Table(title=e(title), title_justify="left")
        for header in ("列（表头原文）", "字段", "依据"):
            table.add_column(header)
        for col in sheet.columns:
            fld = col["field"]
            shown = f"{fld}（{FIELD_LABELS[fld]}）" if fld in FIELD_LABELS else "[yellow]未识别（原值保留）[/yellow]"
            table.add_row(e(col["column"]) or "（空表头）", shown, _SOURCE_LABELS.get(col["source"], "—"))
        out.print(table)
    snippet = report.snippet()
    if snippet:
        out.print(snippet, highlight=False, markup=False, soft_wrap=True)  # pasted: never wrapped
    else:
        out.print("所有列都已识别。")


def render_validation(out: Console, report: ValidationReport, mask: Mask) -> None:
    """The sheets read, their problems, and a one-line count."""
    files = Table(title="读取的工作表", show_lines=False)
    for header in ("文件", "工作表", "类型", "村（社区）", "村名来源", "数据行"):
        files.add_column(header)
    source_labels = {"option": "--village", "column": "村列", "title": "标题行",
                     "filename": "文件名", "sheet": "工作表名", None: "未知"}
    for f in report.files:
        for s in f.sheets:
            files.add_row(e(Path(f.path).name), e(s.sheet), KIND_LABELS.get(s.kind or "", "?"),
                          e(s.village or "（多个/未知）"), source_labels.get(s.village_source, "?"),
                          str(s.rows))
        if f.error:
            files.add_row(e(Path(f.path).name), "-", "[red]读取失败[/red]", "-", "-", "0")
        elif f.skipped:
            files.add_row(e(Path(f.path).name), "-", "[yellow]taizhang生成（跳过）[/yellow]",
                          "-", "-", "0")
    out.print(files)
    problems = report.problems
    render_problems(out, problems, mask)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    sheets = sum(len(f.sheets) for f in report.files)
    rows = sum(s.rows for f in report.files for s in f.sheets)
    skipped = sum(1 for f in report.files if f.skipped)
    out.print(f"共读取 {len(report.files) - len(report.failed) - skipped} 个文件、{sheets} 个工作表、"
              f"{rows} 行；错误 {errors} 条，警告 {warnings} 条，读取失败 {len(report.failed)} 个文件"
              + (f"，跳过taizhang生成的文件 {skipped} 个。" if skipped else "。"))




def render_import(out: Console, report: Any, mask: Mask) -> None:
    """Each file's outcome, then the problems."""
    labels = {"imported": "[green]已导入[/green]", "unchanged": "未变化（跳过）",
              "failed": "[red]失败[/red]", "skipped": "[yellow]跳过（非表格或taizhang生成，见提示）[/yellow]"}
    table = Table(title="导入结果")
    for header in ("文件", "状态", "新增人员", "更新人员", "核酸记录", "体温记录", "拒收行", "问题"):
        table.add_column(header)
    for o in report.outcomes:
        table.add_row(e(Path(o.path).name), labels[o.status], str(o.persons_new), str(o.persons_updated),
                      str(o.tests), str(o.temperatures), str(o.rejected_rows),
                      str(len(o.problems)) if o.status == "imported" else e(o.error or ""))
    out.print(table)
    render_problems(out, report.problems, mask)




def render_person(out: Console, view: dict[str, Any], templates: Path | None) -> None:
    """One person: values with their sources, records, calendar and problems."""
    fields = Table(title=e(f"{view['name'] or ''}（{view['id_number']}）"), show_header=True)
    for header in ("项目", "当前值", "来源", "历史值"):
        fields.add_column(header, overflow="fold")
    for item in view["fields"]:
        src = item["source"]
        where = f"{Path(src['path']).name}“{src['sheet']}”第{src['row']}行" if src else ""
        older = "；".join(f"{h['value']}（{Path(h['path']).name}第{h['row']}行）"
                         for h in item["history"] if h["value"] != item["value"])
        fields.add_row(e(item["label"]), e(item["value"] or ""), e(where), e(older))
    out.print(fields)
    for title, key in (("核酸记录", "tests"), ("体温记录", "temperatures")):
        if view[key]:
            out.print(f"{title}：{len(view[key])}条，最近："
                      + e("；".join(_record_text(r) for r in view[key][-5:])), highlight=False)
    render_calendar(out, view["calendar"], templates)
    render_problems_dicts(out, view["problems"])


def render_candidates(out: Console, people: list[dict[str, Any]]) -> None:
    """The people a `person` query matched, with what tells namesakes apart."""
    table = Table(title=f"找到{len(people)}人，请选择其一")
    for header in ("姓名", "身份证号", "村（社区）", "联系电话", "返乡日期", "登记日期"):
        table.add_column(header)
    for p in people:
        table.add_row(*(e(p[k] or "") for k in ("name", "id_number", "village", "phone",
                                                "arrival_date", "registration_date")))
    out.print(table)


def render_calendar(out: Console, cal: dict[str, Any] | None, templates: Path | None) -> None:
    """A person's calendar: regime, tests with their records, release or why blocked, phases."""
    from taizhang.outputs.due_lists import reason_label

    if not cal:
        return
    if "error" in cal:
        out.print(f"管控日历：{e(cal['error'])}", highlight=False)
        return
    labels = load_labels(templates)
    out.print(e(f"\n管控方案：{cal['regime_name']}（{cal['regime']}，依据{cal['regime_reason']}）；"
                f"第1天 {cal['base_date']}，管控开始 {cal['control_start']}，共{cal['days']}天，"
                f"应解除 {cal['planned_release_date']}"), highlight=False)
    if cal["no_control"]:
        out.print("已在外地满期，无需本地管控。")
    table = Table(title="核酸安排")
    for header in ("第几天", "应检日期", "实际采样", "结果", "影响解除"):
        table.add_column(header)
    results = {"negative": "阴性", "positive": "阳性", "pending": "待出"}
    for t in cal["tests"]:
        rec = t["record"] or {}
        table.add_row(str(t["day"]), t["due_date"], rec.get("sample_date", "未采样"),
                      results.get(rec.get("result", ""), ""), "是" if t["blocks_release"] else "否")
    out.print(table)
    for t in cal["dropped_tests"]:
        out.print(f"第{t['day']}天（{t['due_date']}）早于到达，填平补齐不再要求", highlight=False)
    if cal["release_date"]:
        out.print(f"解除日期：{cal['release_date']}", highlight=False)
    elif cal["blocked_reasons"]:
        out.print("解除受阻：" + e("；".join(reason_label(r, labels) for r in cal["blocked_reasons"])),
                  highlight=False)
    out.print("每天阶段：" + "，".join(f"{d['date'][5:]}第{d['day']}天{d['phase'] or '已结束'}"
                                     for d in cal["calendar"]), highlight=False)
    for note in cal["notes"]:
        out.print(f"[yellow]注意：[/yellow]{e(note)}", highlight=False)


def _record_text(record: dict[str, Any]) -> str:
    if "result" in record:
        return f"{record['sample_date']} {record['result_label']}"
    return f"{record['date']}{record['slot'] or ''} {record['temperature']}℃"


def render_problems(out: Console, problems: list[Any], mask: Mask) -> None:
    render_problems_dicts(out, [{**p.to_dict(), "value": mask(p.field, p.value) if mask else p.value}
                           for p in problems])


PROBLEMS_PER_SHEET = 30


def render_problems_dicts(out: Console, problems: list[dict[str, Any]]) -> None:
    """Problems grouped by file and sheet; at most PROBLEMS_PER_SHEET lines per
    sheet (a clerk fixes the first ones and re-sends), then a count by code."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in problems:
        groups.setdefault((p["path"], p["sheet"]), []).append(p)
    for (path, sheet), items in groups.items():
        lines = [f"\n[bold]{e(Path(path).name)}[/bold]“{e(sheet)}”"]
        for p in items[:PROBLEMS_PER_SHEET]:
            level = "[red]错误[/red]" if p["severity"] == "error" else "[yellow]警告[/yellow]"
            shown = f"（值：{p['value']}）" if p["value"] else ""
            lines.append(f"  {level} {p['code']}：{e(p['message'])}{e(shown)}")
        if len(items) > PROBLEMS_PER_SHEET:
            counts: dict[str, int] = {}
            for p in items[PROBLEMS_PER_SHEET:]:
                counts[p["code"]] = counts.get(p["code"], 0) + 1
            summary = "、".join(f"{code} {n}条" for code, n in counts.items())
            lines.append(f"  ……还有{len(items) - PROBLEMS_PER_SHEET}条（{summary}），"
                         "全部问题请用 --format json 查看")
        out.print("\n".join(lines), highlight=False)




def render_due_lists(out: Console, lists: dict[str, Any], regimes: dict[str, str],
                     labels: dict[str, Any]) -> None:
    """The six lists as tables, a rule after each village's group."""
    from taizhang.outputs.due_lists import LIST_FIELDS, LIST_KEYS, cell_text

    words = labels["list_columns"]
    for key in LIST_KEYS:
        entries, label = lists[key], labels["lists"][key]
        table = Table(title=f"{label}（{len(entries)}）", title_justify="left")
        for fld in LIST_FIELDS[key]:
            table.add_column(words[fld])
        for i, entry in enumerate(entries):  # a rule after each village's group
            last = i + 1 == len(entries) or entries[i + 1]["village"] != entry["village"]
            table.add_row(*(e(cell_text(f, entry.get(f), regimes, labels)) for f in LIST_FIELDS[key]),
                          end_section=last)
        if entries:
            out.print(table)
        else:
            out.print(f"{label}：{words['none']}", highlight=False)


def render_policy(out: Console, policy: Policy) -> None:
    """The regimes, assignment rules and thresholds in force."""
    table = Table(title=e(f"管控方案（{policy.source}）"))
    for header in ("代码", "名称", "起算", "阶段", "共计", "核酸（第几天）", "别名"):
        table.add_column(header, overflow="fold")
    for r in policy.regimes.values():
        table.add_row(e(r.key), e(r.name), "返乡日期" if r.base == "arrival" else "离开风险地日期（填平补齐）",
                      e("+".join(f"{name}{days}天" for name, days in r.phases)), f"{r.days}天",
                      "、".join(str(t) for t in r.tests), e("、".join(r.aliases)))
    out.print(table)
    rules = [f"{i}. {a.field} {'等于' if a.values else '包含'} "
             f"{'/'.join(a.values or a.contains)} → {a.regime}"
             for i, a in enumerate(policy.assign, start=1)]
    out.print("分配规则（先明确的管控措施，再依次匹配，最后默认）：\n  " + e("\n  ".join(rules)
              + f"\n  否则 → {policy.default_regime}"), highlight=False)
    out.print(f"核酸可提前 {policy.early} 天、宽限 {policy.grace} 天；体温 ≥ {policy.fever_threshold}℃ 为发热；"
              f"需报体温的阶段：{e('、'.join(sorted(policy.temperature_phases)))}", highlight=False)


def render_batches(out: Console, batches: list[Any]) -> None:
    """Every imported file version with its batch number, the one `taizhang undo` takes."""
    table = Table(title="导入批次（撤销用 taizhang undo 批次号）")
    for header in ("批次", "文件", "村（社区）", "类型", "数据日期", "导入时间", "数据行", "状态"):
        table.add_column(header, overflow="fold")
    for b in batches:
        kinds = "、".join(KIND_LABELS.get(k, k) for k in (b.kind or "").split("、") if k)
        state = f"已撤销（{b.undone_at.replace('T', ' ')}）" if b.undone_at else "有效"
        table.add_row(str(b.batch), e(b.path), e(b.village or ""), kinds, b.as_of,
                      b.imported_at.replace("T", " "), str(b.rows), state)
    out.print(table)
    if not batches:
        out.print("台账中还没有导入任何文件。")


def render_undo(out: Console, result: Any) -> None:
    """What one undo took out and gave back, in the clerk's words."""
    head = e(f"批次 {result.batch}（{result.path}，数据日期 {result.as_of}）")
    if result.already:
        out.print(f"{head}已于 {result.undone_at.replace('T', ' ')} 撤销过，无需再撤销。", highlight=False)
        return
    parts = [f"删除只由该批次导入的人员 {result.persons_removed} 人",
             f"按其余批次重新合并人员信息 {result.persons_changed} 人",
             f"删除核酸记录 {result.tests_removed} 条"]
    if result.tests_returned:
        parts.append(f"另有 {result.tests_returned} 条核酸记录此前的文件也报过，保留并改记为来自那些文件")
    parts.append(f"删除体温记录 {result.readings_removed} 条")
    if result.records_restored:
        parts.append(f"恢复被该批次撤下的旧版本记录 {result.records_restored} 条")
    out.print(f"已撤销{head}：" + "；".join(parts) + "。", highlight=False)
