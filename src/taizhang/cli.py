"""The `taizhang` command line: a thin Typer shell over the library.

Each command parses options, calls one library function and formats its
result. Library failures arrive as `TaizhangError` and become one Chinese line
on stderr and an exit code (0 ok, 1 data problems or failed files, 2 usage).
No traceback reaches the user without `--debug`, and tracebacks never show
local variables: they would hold ledger contents.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from taizhang import __version__
from taizhang.config import Config, load_config, load_policy
from taizhang.errors import TaizhangError, UsageError
from taizhang.ingest.headers import KIND_LABELS, KINDS
from taizhang.ingest.validation import ValidationReport, Validator, validate_paths
from taizhang.ingest.values import parse_date
from taizhang.jobs.workspace import init_workspace
from taizhang.policy.model import Policy
from taizhang.privacy import mask_field

app = typer.Typer(
    name="taizhang",
    help="台账：乡镇疫情防控台账工具——导入村里报来的表格、校验、计算今日应检应解除人员、生成日报告。",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(slots=True)
class State:
    """Global options, resolved once in the callback."""

    db: Path | None = None
    config_path: Path | None = None
    policy_path: Path | None = None
    as_of: date = field(default_factory=date.today)
    debug: bool = False
    _config: Config | None = None
    _policy: Policy | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def db_path(self) -> Path:
        """--db, then TAIZHANG_DB (both arrive in `db`), then the config, then ./taizhang.db."""
        return self.db or self.config.paths.get("db") or Path("taizhang.db")

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            path = self.policy_path or self.config.paths.get("policy")
            self._policy = load_policy(path)
        return self._policy


state = State()


def parse_date_option(value: str | None, option: str) -> date | None:
    """A date given on the command line, in any form the readers accept."""
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed.value is None:
        raise UsageError(f"{option} 的日期“{value}”无法识别：请写成2022-02-08")
    return parsed.value


def handle_errors(func: F) -> F:
    """Turn library failures into one line and an exit code; hide tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except TaizhangError as exc:
            err.print(f"[red]错误：[/red]{exc.message}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("已中断。")
            raise typer.Exit(130) from None
        except Exception as exc:
            if state.debug:
                err.print("".join(traceback.format_exception(exc)), markup=False,
                          highlight=False)
            else:
                err.print(f"[red]内部错误[/red]（{type(exc).__name__}）：这是程序的问题，"
                          "不是您的操作问题。请加 --debug 重新运行，把输出发给维护人员。",
                          highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def version_callback(value: bool) -> None:
    if value:
        out.print(f"taizhang {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[Path | None, typer.Option("--db", envvar="TAIZHANG_DB",
                                            help="台账数据库文件（默认 ./taizhang.db）")] = None,
    config: Annotated[Path | None, typer.Option("--config",
                                                help="配置文件（默认 ./taizhang.toml）")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="政策文件（管控方案）")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of",
                                              help="判断日期是否“晚于今天”所用的日期，默认今天")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示程序调用栈（不含数据）")] = False,
    version: Annotated[bool, typer.Option("--version", callback=version_callback,
                                          is_eager=True, help="显示版本")] = False,
) -> None:
    """Global options come before the command name."""
    state.db = db
    state.config_path = config
    state.policy_path = policy
    state.debug = debug
    state._config = None
    state._policy = None
    try:
        state.as_of = parse_date_option(as_of, "--as-of") or date.today()
    except UsageError as exc:
        err.print(f"[red]错误：[/red]{exc.message}", highlight=False)
        raise typer.Exit(2) from None


# ---------------------------------------------------------------- shared options

FormatTableJson = Annotated[str, typer.Option("--format", help="输出格式：table 或 json")]
NoMask = Annotated[bool, typer.Option("--no-mask", help="显示完整身份证号和电话（默认打码）")]
KindOpt = Annotated[str | None, typer.Option("--kind",
                                             help="表格类型：registration、tests、temperatures")]
VillageOpt = Annotated[str | None, typer.Option("--village", help="所属村（社区），优先于表格中的信息")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding",
                                                 help="CSV编码（默认自动识别UTF-8/GBK）")]
Paths = Annotated[list[Path], typer.Argument(help="文件或文件夹（文件夹会递归查找）")]


def check_choice(value: str | None, choices: tuple[str, ...], option: str) -> None:
    if value is not None and value not in choices:
        raise UsageError(f"{option} 只能是 {'、'.join(choices)}，而不是“{value}”")


def make_validator(kind: str | None, village: str | None, encoding: str | None) -> Validator:
    check_choice(kind, KINDS, "--kind")
    config, policy = state.config, state.policy
    return Validator(
        as_of=state.as_of,
        villages=config.villages,
        township=config.township,
        find_regime=policy.find_regime,
        regime_examples=policy.regime_examples(),
        village=village,
        kind=kind,
        encoding=encoding,
    )


def masker(no_mask: bool) -> Callable[[str, str], str] | None:
    return None if no_mask else mask_field


def print_json(data: Any) -> None:
    """JSON to stdout, UTF-8, Chinese unescaped."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_notes(notes: list[str]) -> None:
    for note in notes:
        err.print(f"[yellow]提示：[/yellow]{note}", highlight=False)


# ---------------------------------------------------------------- validate


@app.command()
@handle_errors
def validate(
    paths: Paths,
    fmt: FormatTableJson = "table",
    no_mask: NoMask = False,
    kind: KindOpt = None,
    village: VillageOpt = None,
    encoding: EncodingOpt = None,
) -> None:
    """读取并校验表格，逐行列出问题（不写入台账）。有错误时退出码为1。"""
    check_choice(fmt, ("table", "json"), "--format")
    report = validate_paths(paths, make_validator(kind, village, encoding))
    print_notes(report.all_notes())
    for failed in report.failed:
        err.print(f"[red]读取失败：[/red]{failed.path}：{failed.error}", highlight=False)
    if fmt == "json":
        print_json(report.to_dict(masker(no_mask)))
    else:
        render_validation(report, no_mask)
    if not report.ok:
        raise typer.Exit(1)


def render_validation(report: ValidationReport, no_mask: bool) -> None:
    files = Table(title="读取的工作表", show_lines=False)
    for header in ("文件", "工作表", "类型", "村（社区）", "村名来源", "数据行"):
        files.add_column(header)
    source_labels = {"option": "--village", "column": "村列", "title": "标题行",
                     "filename": "文件名", "sheet": "工作表名", None: "未知"}
    for f in report.files:
        for s in f.sheets:
            files.add_row(Path(f.path).name, s.sheet, KIND_LABELS.get(s.kind or "", "?"),
                          s.village or "（多个/未知）", source_labels.get(s.village_source, "?"),
                          str(s.rows))
        if f.error:
            files.add_row(Path(f.path).name, "-", "[red]读取失败[/red]", "-", "-", "0")
    out.print(files)
    problems = report.problems
    render_problems(problems, no_mask)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    sheets = sum(len(f.sheets) for f in report.files)
    rows = sum(s.rows for f in report.files for s in f.sheets)
    out.print(f"共读取 {len(report.files) - len(report.failed)} 个文件、{sheets} 个工作表、{rows} 行；"
              f"错误 {errors} 条，警告 {warnings} 条，读取失败 {len(report.failed)} 个文件。")


# ---------------------------------------------------------------- init


@app.command()
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="工作目录（默认当前目录）")] = Path("."),
    township: Annotated[str, typer.Option("--township", help="乡镇名称")] = "青石镇",
    villages: Annotated[str, typer.Option("--villages", help="村（社区）名单，用逗号分隔")] = "",
) -> None:
    """创建工作目录：taizhang.toml、inbox/out文件夹、可编辑的政策文件和模板。"""
    names = [v.strip() for v in villages.replace("，", ",").split(",") if v.strip()]
    created = init_workspace(directory, township, names)
    for path in created:
        out.print(f"已创建 {path}", highlight=False)
    if not created:
        out.print("工作目录已存在，未覆盖任何文件。")


# ---------------------------------------------------------------- import


@app.command("import")
@handle_errors
def import_(
    paths: Paths,
    fmt: FormatTableJson = "table",
    no_mask: NoMask = False,
    kind: KindOpt = None,
    village: VillageOpt = None,
    encoding: EncodingOpt = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", min=1, help="读取表格的进程数（默认为CPU核数，最多4；数据量小时不另开进程）")] = None,
) -> None:
    """导入表格到台账：校验、合并，同一文件重复导入不会重复计数。有文件失败时退出码为1。"""
    from rich.progress import Progress

    from taizhang.ingest.files import find_input_files
    from taizhang.ledger.importer import import_paths
    from taizhang.ledger.store import Store

    check_choice(fmt, ("table", "json"), "--format")
    validator = make_validator(kind, village, encoding)
    files, _ = find_input_files(paths)
    show = err.is_terminal and len(files) > 3  # a bar only when there is something to wait for
    with Store(state.db_path()) as store:
        with Progress(console=err, transient=True, disable=not show) as bar:
            task = bar.add_task("导入中", total=len(files))
            report = import_paths(store, paths, validator, state.as_of,
                                  progress=lambda name: bar.update(
                                      task, advance=1, description=Path(name).name), jobs=jobs)
    print_notes(report.notes)
    for failed in report.failed:
        err.print(f"[red]导入失败：[/red]{failed.path}：{failed.error}", highlight=False)
    if fmt == "json":
        print_json(report.to_dict(masker(no_mask)))
    else:
        render_import(report, no_mask)
    if not report.ok:
        raise typer.Exit(1)


def render_import(report: Any, no_mask: bool) -> None:
    labels = {"imported": "[green]已导入[/green]", "unchanged": "未变化（跳过）",
              "failed": "[red]失败[/red]"}
    table = Table(title="导入结果")
    for header in ("文件", "状态", "新增人员", "更新人员", "核酸记录", "体温记录", "拒收行", "问题"):
        table.add_column(header)
    for o in report.outcomes:
        table.add_row(Path(o.path).name, labels[o.status], str(o.persons_new), str(o.persons_updated),
                      str(o.tests), str(o.temperatures), str(o.rejected_rows),
                      str(len(o.problems)) if o.status == "imported" else (o.error or ""))
    out.print(table)
    render_problems(report.problems, no_mask)


# ---------------------------------------------------------------- export


@app.command()
@handle_errors
def export(
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 csv")] = "xlsx",
    out_file: Annotated[Path | None, typer.Option("--out", help="输出文件（csv不指定则输出到屏幕）")] = None,
    no_mask: NoMask = False,
) -> None:
    """导出汇总台账：每村一个工作表加“全镇”，身份证号和电话默认打码。"""
    from taizhang.ledger.store import Store
    from taizhang.outputs.export import export_rows, write_csv, write_xlsx

    check_choice(fmt, ("xlsx", "csv"), "--format")
    with Store(state.db_path()) as store:
        rows = export_rows(store, masker(no_mask))
    if fmt == "csv":
        text = write_csv(rows, out_file)
        if text is not None:
            sys.stdout.write(text)
            return
    else:
        target = out_file or Path(f"汇总台账_{state.as_of.isoformat()}.xlsx")
        write_xlsx(rows, target, f"{state.config.township}汇总台账")
        out_file = target
    err.print(f"已导出 {len(rows)} 人到 {out_file}", highlight=False)


# ---------------------------------------------------------------- person


@app.command()
@handle_errors
def person(
    id_number: Annotated[str, typer.Argument(help="身份证号")],
    on: Annotated[str | None, typer.Option("--date", help="计算日历的日期（默认 --as-of 或今天）")] = None,
    fmt: FormatTableJson = "table",
    no_mask: NoMask = False,
) -> None:
    """查看一个人：合并记录及每个值的来源、管控日历（每天的阶段、应检与实检、解除日期或受阻原因）。"""
    from taizhang.ledger.people import load_people
    from taizhang.ledger.person_view import person_view
    from taizhang.ledger.store import Store
    from taizhang.policy.arrays import LedgerArrays
    from taizhang.policy.calendar import calendar

    check_choice(fmt, ("table", "json"), "--format")
    day = parse_date_option(on, "--date") or state.as_of
    with Store(state.db_path()) as store:
        view = person_view(store, id_number, masker(no_mask))
        data = next((d for d in load_people(store, day, registered_only=False)
                     if d.person["_id"] == view["_id"]), None)
    view.pop("_id")
    view["calendar"] = (calendar(LedgerArrays.from_people([data]), 0, day, state.policy)
                        if data is not None else None)
    view["date"] = day.isoformat()
    if fmt == "json":
        print_json(view)
        return
    fields = Table(title=f"{view['name'] or ''}（{view['id_number']}）", show_header=True)
    for header in ("项目", "当前值", "来源", "历史值"):
        fields.add_column(header, overflow="fold")
    for item in view["fields"]:
        src = item["source"]
        where = f"{Path(src['path']).name}“{src['sheet']}”第{src['row']}行" if src else ""
        older = "；".join(f"{h['value']}（{Path(h['path']).name}第{h['row']}行）"
                         for h in item["history"] if h["value"] != item["value"])
        fields.add_row(item["label"], item["value"] or "", where, older)
    out.print(fields)
    for title, key in (("核酸记录", "tests"), ("体温记录", "temperatures")):
        if view[key]:
            out.print(f"{title}：{len(view[key])}条，最近："
                      + "；".join(_record_text(r) for r in view[key][-5:]), highlight=False)
    render_calendar(view["calendar"])
    render_problems_dicts(view["problems"])


def render_calendar(cal: dict[str, Any] | None) -> None:
    from taizhang.outputs.due_lists import reason_label
    from taizhang.outputs.templating import load_labels

    if not cal:
        return
    if "error" in cal:
        out.print(f"管控日历：{cal['error']}", highlight=False)
        return
    labels = load_labels(_templates_dir())
    out.print(f"\n管控方案：{cal['regime_name']}（{cal['regime']}，依据{cal['regime_reason']}）；"
              f"第1天 {cal['base_date']}，管控开始 {cal['control_start']}，共{cal['days']}天，"
              f"应解除 {cal['planned_release_date']}", highlight=False)
    if cal["no_control"]:
        out.print("已在外地满期，无需本地管控。")
    table = Table(title="核酸安排")
    for header in ("第几天", "应检日期", "实际采样", "结果", "影响解除"):
        table.add_column(header)
    labels = {"negative": "阴性", "positive": "阳性", "pending": "待出"}
    for t in cal["tests"]:
        rec = t["record"] or {}
        table.add_row(str(t["day"]), t["due_date"], rec.get("sample_date", "未采样"),
                      labels.get(rec.get("result", ""), ""), "是" if t["blocks_release"] else "否")
    out.print(table)
    for t in cal["dropped_tests"]:
        out.print(f"第{t['day']}天（{t['due_date']}）早于到达，填平补齐不再要求", highlight=False)
    if cal["release_date"]:
        out.print(f"解除日期：{cal['release_date']}", highlight=False)
    elif cal["blocked_reasons"]:
        out.print("解除受阻：" + "；".join(reason_label(r, labels) for r in cal["blocked_reasons"]),
                  highlight=False)
    out.print("每天阶段：" + "，".join(f"{d['date'][5:]}第{d['day']}天{d['phase'] or '已结束'}"
                                     for d in cal["calendar"]), highlight=False)
    for note in cal["notes"]:
        out.print(f"[yellow]注意：[/yellow]{note}", highlight=False)


def _record_text(record: dict[str, Any]) -> str:
    if "result" in record:
        return f"{record['sample_date']} {record['result_label']}"
    return f"{record['date']}{record['slot'] or ''} {record['temperature']}℃"


def render_problems(problems: list[Any], no_mask: bool) -> None:
    mask = masker(no_mask)
    render_problems_dicts([{**p.to_dict(), "value": mask(p.field, p.value) if mask else p.value}
                           for p in problems])


PROBLEMS_PER_SHEET = 30


def render_problems_dicts(problems: list[dict[str, Any]]) -> None:
    """Problems grouped by file and sheet; at most PROBLEMS_PER_SHEET lines per
    sheet (a clerk fixes the first ones and re-sends), then a count by code."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in problems:
        groups.setdefault((p["path"], p["sheet"]), []).append(p)
    for (path, sheet), items in groups.items():
        lines = [f"\n[bold]{Path(path).name}[/bold]“{sheet}”"]
        for p in items[:PROBLEMS_PER_SHEET]:
            level = "[red]错误[/red]" if p["severity"] == "error" else "[yellow]警告[/yellow]"
            shown = f"（值：{p['value']}）" if p["value"] else ""
            lines.append(f"  {level} {p['code']}：{p['message']}{shown}")
        if len(items) > PROBLEMS_PER_SHEET:
            counts: dict[str, int] = {}
            for p in items[PROBLEMS_PER_SHEET:]:
                counts[p["code"]] = counts.get(p["code"], 0) + 1
            summary = "、".join(f"{code} {n}条" for code, n in counts.items())
            lines.append(f"  ……还有{len(items) - PROBLEMS_PER_SHEET}条（{summary}），"
                         "全部问题请用 --format json 查看")
        out.print("\n".join(lines), highlight=False)


# ---------------------------------------------------------------- due-today

DateOpt = Annotated[str | None, typer.Option("--date", help="日期（默认 --as-of 或今天）")]


@app.command("due-today")
@handle_errors
def due_today(
    on: DateOpt = None,
    village: Annotated[str | None, typer.Option("--village", help="只列出这个村（社区）")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table、json、csv 或 xlsx")] = "table",
    out_file: Annotated[Path | None, typer.Option("--out", help="输出文件")] = None,
    no_mask: NoMask = False,
) -> None:
    """今日名单：应检、逾期未检、应解除、解除受阻、体温缺报、发热，按村分组。"""
    from taizhang.ledger.snapshot import add_unregistered_fevers, load_arrays, unregistered_fevers
    from taizhang.ledger.store import Store
    from taizhang.outputs.due_lists import LIST_FIELDS, LIST_KEYS, cell_text, lists_csv, mask_lists, write_lists_xlsx
    from taizhang.outputs.templating import load_labels
    from taizhang.policy.due import due_lists

    check_choice(fmt, ("table", "json", "csv", "xlsx"), "--format")
    day = parse_date_option(on, "--date") or state.as_of
    policy = state.policy
    with Store(state.db_path()) as store:
        arrays = load_arrays(store, day, policy.fever_threshold, village)
        strays = unregistered_fevers(store, day, policy.fever_threshold, village)
    lists = due_lists(arrays, day, policy, village)
    add_unregistered_fevers(lists, strays)
    lists = mask_lists(lists, masker(no_mask))
    regimes = {k: r.name for k, r in policy.regimes.items()}
    labels = load_labels(_templates_dir())
    title = state.config.township or "taizhang"
    if fmt == "json":
        text = json.dumps(lists, ensure_ascii=False, indent=2) + "\n"
        if out_file:
            _write_text(out_file, text)
        else:
            sys.stdout.write(text)
        return
    if fmt == "csv":
        text = lists_csv(lists, regimes, labels)
        if out_file:
            _write_text(out_file, text, encoding="utf-8-sig")
        else:
            sys.stdout.write(text)
        return
    if fmt == "xlsx":
        target = out_file or Path(f"今日名单_{day.isoformat()}.xlsx")
        write_lists_xlsx(lists, target, title, regimes, labels)
        err.print(f"已写入 {target}", highlight=False)
        return
    words = labels["list_columns"]
    for key in LIST_KEYS:
        entries, label = lists[key], labels["lists"][key]
        table = Table(title=f"{label}（{len(entries)}）", title_justify="left")
        for fld in LIST_FIELDS[key]:
            table.add_column(words[fld])
        for i, entry in enumerate(entries):  # a rule after each village's group
            last = i + 1 == len(entries) or entries[i + 1]["village"] != entry["village"]
            table.add_row(*(cell_text(f, entry.get(f), regimes, labels) for f in LIST_FIELDS[key]),
                          end_section=last)
        if entries:
            out.print(table)
        else:
            out.print(f"{label}：{words['none']}", highlight=False)


def _write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write through a temporary file and rename, so readers never see half a file."""
    import os

    from taizhang.outputs.export import _atomic_target

    tmp = _atomic_target(path)
    tmp.write_bytes(text.encode(encoding))
    os.replace(tmp, path)


# ---------------------------------------------------------------- policy

policy_app = typer.Typer(help="管控政策", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("show")
@handle_errors
def policy_show(fmt: FormatTableJson = "table") -> None:
    """列出当前生效的管控方案、分配规则和阈值。"""
    check_choice(fmt, ("table", "json"), "--format")
    policy = state.policy
    if fmt == "json":
        print_json({
            "source": policy.source, "default_regime": policy.default_regime,
            "early": policy.early, "grace": policy.grace,
            "fever_threshold": policy.fever_threshold,
            "regimes": [{"key": r.key, "name": r.name, "aliases": list(r.aliases), "base": r.base,
                         "phases": [list(p) for p in r.phases], "days": r.days,
                         "tests": list(r.tests)} for r in policy.regimes.values()],
            "assign": [{"field": a.field, "values": list(a.values), "contains": list(a.contains),
                        "regime": a.regime} for a in policy.assign],
        })
        return
    table = Table(title=f"管控方案（{policy.source}）")
    for header in ("代码", "名称", "起算", "阶段", "共计", "核酸（第几天）", "别名"):
        table.add_column(header, overflow="fold")
    for r in policy.regimes.values():
        table.add_row(r.key, r.name, "返乡日期" if r.base == "arrival" else "离开风险地日期（填平补齐）",
                      "+".join(f"{name}{days}天" for name, days in r.phases), f"{r.days}天",
                      "、".join(str(t) for t in r.tests), "、".join(r.aliases))
    out.print(table)
    rules = [f"{i}. {a.field} {'等于' if a.values else '包含'} "
             f"{'/'.join(a.values or a.contains)} → {a.regime}"
             for i, a in enumerate(policy.assign, start=1)]
    out.print("分配规则（先明确的管控措施，再依次匹配，最后默认）：\n  " + "\n  ".join(rules)
              + f"\n  否则 → {policy.default_regime}", highlight=False)
    out.print(f"核酸可提前 {policy.early} 天、宽限 {policy.grace} 天；体温 ≥ {policy.fever_threshold}℃ 为发热；"
              f"需报体温的阶段：{'、'.join(sorted(policy.temperature_phases))}", highlight=False)


# ---------------------------------------------------------------- daily-report


def _templates_dir() -> Path | None:
    return state.config.paths.get("templates")


@app.command("daily-report")
@handle_errors
def daily_report(
    on: DateOpt = None,
    out_dir: Annotated[Path | None,
                       typer.Option("--out", help="输出文件夹（不指定时 text/md/json 输出到屏幕）")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text、md、html、xlsx 或 json")] = "text",
    no_mask: NoMask = False,
) -> None:
    """日报告/零报告：全镇和各村的在管、解除、检测、阳性、发热、失联情况及需处理事项。"""
    from taizhang.ledger.store import Store
    from taizhang.outputs.daily_report import REPORT_FORMATS, gather, render_report, write_report

    check_choice(fmt, REPORT_FORMATS, "--format")
    day = parse_date_option(on, "--date") or state.as_of
    with Store(state.db_path()) as store:
        data = gather(store, day, state.policy, state.config)
    if out_dir is None and fmt in ("text", "md", "json"):
        sys.stdout.write(str(render_report(data, fmt, masker(no_mask), _templates_dir())))
        return
    target = write_report(data, fmt, out_dir or Path("."), masker(no_mask), _templates_dir())
    err.print(f"已写入 {target}", highlight=False)


# ---------------------------------------------------------------- notice


@app.command()
@handle_errors
def notice(
    kind: Annotated[str, typer.Argument(
        help="isolation（居家隔离告知书）、test（核酸检测通知）、release（解除通知书）")],
    on: DateOpt = None,
    id_number: Annotated[str | None, typer.Option("--id", help="只给这个身份证号的人")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html（一个可打印文件）或 docx（每人一个）")] = "html",
    out_dir: Annotated[Path, typer.Option("--out", help="输出文件夹")] = Path("."),
    no_mask: NoMask = False,
) -> None:
    """生成通知：当天开始管控者的告知书、当天应检者的核酸通知、当天应解除者的解除通知书。"""
    from taizhang.ledger.store import Store
    from taizhang.outputs.daily_report import NOTICE_KINDS, gather, notice_people, write_notices

    check_choice(kind, NOTICE_KINDS, "KIND")
    check_choice(fmt, ("html", "docx"), "--format")
    day = parse_date_option(on, "--date") or state.as_of
    with Store(state.db_path()) as store:
        data = gather(store, day, state.policy, state.config, trend_days=1)
        people = notice_people(store, data, kind, state.policy, id_number, masker(no_mask))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_notices(people, kind, data, fmt, out_dir, _templates_dir(), {})
    err.print(f"{len(people)} 人，已写入 " + "、".join(str(p) for p in written), highlight=False)


# ---------------------------------------------------------------- daily


@app.command()
@handle_errors
def daily(
    on: DateOpt = None,
    wait: Annotated[float, typer.Option("--wait", help="另一个daily正在运行时最多等待的秒数")] = 600.0,
) -> None:
    """每日定时任务：导入inbox，输出今日名单、日报告（各种格式）和通知到 out/日期/，记录日志。"""
    from taizhang.jobs.daily import run_daily

    day = parse_date_option(on, "--date") or state.as_of
    result = run_daily(state.config, state.db_path(), state.policy, day, wait)
    for line in result.summary:
        out.print(line, highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
@handle_errors
def demo(
    directory: Annotated[Path | None, typer.Option("--dir", help="演示工作目录（默认临时目录）")] = None,
    on: Annotated[str, typer.Option("--date", help="演示日期（样例数据在2022年春节前后）")] = "2022-02-08",
) -> None:
    """演示：用内置样例数据建立临时工作目录，运行一次每日任务，显示输出在哪里。"""
    from taizhang.jobs.daily import run_demo

    day = parse_date_option(on, "--date")
    assert day is not None
    result = run_demo(directory, day)
    for line in result.summary:
        out.print(line, highlight=False)


# ---------------------------------------------------------------- doctor


@app.command()
@handle_errors
def doctor() -> None:
    """检查工作目录：配置、村名单、政策、模板、数据库完整性、文件夹、磁盘空间和权限，并说明怎么改。"""
    from taizhang.jobs.doctor import run_checks

    checks = run_checks(state.config_path, state.db, state.policy_path)
    for check in checks:
        if check.ok:
            mark = "[yellow]注意[/yellow]" if check.warning else "[green]正常[/green]"
            out.print(f"{mark} {check.what}", highlight=False)
        else:
            out.print(f"[red]需处理[/red] {check.what}：{check.fix}", highlight=False)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    import multiprocessing

    # `import` may start reader processes; in a frozen Windows build
    # (PyInstaller) each would otherwise start the whole CLI again
    multiprocessing.freeze_support()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
