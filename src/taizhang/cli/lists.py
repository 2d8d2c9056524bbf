"""Commands that read the ledger for a date: person, due-today, policy show, daily-report, notice."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from taizhang.cli.common import (
    DateOpt,
    FormatTableJson,
    NoMask,
    _templates_dir,
    _write_text,
    app,
    check_choice,
    check_out_dir,
    check_out_file,
    check_village,
    err,
    handle_errors,
    masker,
    out,
    parse_date_option,
    print_json,
    state,
)
from taizhang.cli.streams import fit_json
from taizhang.errors import UsageError
from taizhang.outputs.terminal import (
    render_candidates,
    render_due_lists,
    render_person,
    render_policy,
)

# ---------------------------------------------------------------- person


@app.command()
@handle_errors
def person(
    query: Annotated[str, typer.Argument(
        metavar="身份证号或姓名",
        help="身份证号（完整的，或从名单复制的打码号码）、姓名，或电话号码后4位以上")],
    on: Annotated[str | None, typer.Option("--date", metavar="日期",
                                           help="计算日历的日期，如2022-02-08（默认 --as-of 或今天）")] = None,
    village: Annotated[str | None, typer.Option("--village", metavar="村名",
                                                help="只在这个村（社区）里找（重名时用）")] = None,
    fmt: FormatTableJson = "table",
    no_mask: NoMask = False,
) -> None:
    """查看一个人：合并记录及每个值的来源、管控日历（每天的阶段、应检与实检、解除日期或受阻原因）。
    找到多人时列出候选人（退出码1）。"""
    from taizhang.errors import TaizhangError
    from taizhang.ledger.people import load_person
    from taizhang.ledger.person_view import find_people, not_found_message, person_view, query_shown
    from taizhang.ledger.store import Store
    from taizhang.policy.arrays import LedgerArrays
    from taizhang.policy.calendar import calendar

    check_choice(fmt, ("table", "json"), "--format")
    day = parse_date_option(on, "--date") or state.as_of
    check_village(village)
    mask = masker(no_mask)
    with Store(state.db_path()) as store:
        found = [r for r in find_people(store, query) if village is None or r["village"] == village]
        order = {v: i for i, v in enumerate(state.config.villages)}  # villages as configured
        found.sort(key=lambda r: (order.get(r["village"], len(order)), r["village"] or "", r["id"]))
        if not found:
            where = f"（在{village}）" if village else ""
            raise TaizhangError(not_found_message(query, mask is not None) + where)
        if len(found) == 1:
            view = person_view(store, found[0], mask)
            data = load_person(store, found[0]["id"], day)
    if len(found) > 1:
        candidates = [{"id_number": mask("id_number", r["id_number"]) if mask and r["id_number"]
                       else r["id_number"], "name": r["name"], "village": r["village"]}
                      for r in found]
        if fmt == "json":
            print_json({"candidates": candidates})
        else:
            render_candidates(out, [{**c, "phone": mask("phone", r["phone"]) if mask and r["phone"]
                                     else r["phone"], "arrival_date": r["arrival_date"],
                                     "registration_date": r["registration_date"]}
                                    for c, r in zip(candidates, found, strict=True)])
        err.print(f"有{len(found)}人与“{query_shown(query, mask is not None)}”相符：请用完整身份证号查询"
                  "（加 --no-mask 显示完整号码），或用电话号码后4位以上，或加 --village 指定村（社区）",
                  highlight=False, markup=False)
        raise typer.Exit(1)
    view.pop("_id")
    view["calendar"] = (calendar(LedgerArrays.from_people([data]), 0, day, state.policy)
                        if data is not None else None)
    view["date"] = day.isoformat()
    if fmt == "json":
        print_json(view)
        return
    # the unknown columns' cells, as rows of the values table after the fields
    added = [{**e, "label": f"{e['header']}（未识别列）"} for e in view["extras"]]
    render_person(out, {**view, "fields": [*view["fields"], *added]}, _templates_dir())


# ---------------------------------------------------------------- due-today



@app.command("due-today")
@handle_errors
def due_today(
    on: DateOpt = None,
    village: Annotated[str | None, typer.Option("--village", metavar="村名", help="只列出这个村（社区）")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="格式", help="table、json、csv 或 xlsx")] = "table",
    out_file: Annotated[Path | None, typer.Option(
        "--out", metavar="文件", help="写入这个文件（文件名，如 今日名单.xlsx；json、csv不指定则输出到屏幕，"
        "xlsx默认 今日名单_日期.xlsx）")] = None,
    no_mask: NoMask = False,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="负责人", help="guardian（包保责任人）或 doctor（村医）：按负责人列出每人今日任务，"
        "一人一行，可直接发微信；没有负责人的列在“未分配”下")] = None,
) -> None:
    """今日名单：应检、逾期未检、应解除、解除受阻、体温缺报、发热，按村分组。"""
    from taizhang.ledger.store import Store
    from taizhang.outputs.due_lists import (
        due_today,
        lists_csv,
        mask_lists,
        write_lists_xlsx,
    )
    from taizhang.outputs.tasks import ROLES, group_tasks, responsible_people, task_lines
    from taizhang.outputs.templating import load_labels
    from taizhang.privacy import mask_text

    check_choice(fmt, ("table", "json", "csv", "xlsx"), "--format")
    if fmt == "table" and out_file is not None:
        raise UsageError("--format table 只显示在屏幕上，不写文件：要写入 --out 文件，请加 --format xlsx、csv 或 json")
    check_out_file(out_file, f"今日名单.{fmt}")
    if by is not None:
        check_choice(by, ROLES, "--by")
        if fmt not in ("table", "json") or out_file is not None:
            raise UsageError("--by 只用于 --format table 或 json（显示在屏幕上）")
    day = parse_date_option(on, "--date") or state.as_of
    policy = state.policy
    check_village(village)
    with Store(state.db_path()) as store:
        raw = due_today(store, day, policy, village)
        lists = mask_lists(raw, masker(no_mask))
        who = responsible_people(store, by) if by is not None else {}
    regimes = {k: r.name for k, r in policy.regimes.items()}
    labels = load_labels(_templates_dir())
    if by is not None:  # grouped on the unmasked lists (IDs find the responsible person), then masked
        groups = group_tasks(raw, who, labels)
        if fmt == "json":
            print_json({"date": raw["date"], "by": by, "groups": [g.to_dict(by) for g in groups]})
        else:
            for line in task_lines(groups, by, labels, None if no_mask else mask_text):
                out.print(line, highlight=False, markup=False)
        return
    title = state.config.township or "taizhang"
    if fmt == "json":
        text = json.dumps(lists, ensure_ascii=False, indent=2) + "\n"
        if out_file:
            _write_text(out_file, text)
        else:
            sys.stdout.write(fit_json(text))
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
        err.print(f"已写入 {target}", highlight=False, markup=False)
        return
    render_due_lists(out, lists, regimes, labels)


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
    render_policy(out, policy)


@app.command("daily-report")
@handle_errors
def daily_report(
    on: DateOpt = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", metavar="文件夹",
        help="写入这个文件夹，文件名为 日报告_日期.格式"
             "（不指定时 text/md/json 输出到屏幕，html/xlsx写入当前文件夹）")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="格式", help="text、md、html、xlsx 或 json")] = "text",
    no_mask: NoMask = False,
) -> None:
    """日报告/零报告：全镇和各村的在管、解除、检测、阳性、发热、失联情况及需处理事项。"""
    from taizhang.ledger.store import Store
    from taizhang.outputs.daily_data import gather
    from taizhang.outputs.daily_report import REPORT_FORMATS, render_report, write_report

    check_choice(fmt, REPORT_FORMATS, "--format")
    check_out_dir(out_dir, f"日报告_2022-02-08.{fmt}")
    day = parse_date_option(on, "--date") or state.as_of
    with Store(state.db_path()) as store:
        data = gather(store, day, state.policy, state.config)
    if out_dir is None and fmt in ("text", "md", "json"):
        sys.stdout.write(str(render_report(data, fmt, masker(no_mask), _templates_dir())))
        return
    target = write_report(data, fmt, out_dir or Path("."), masker(no_mask), _templates_dir())
    err.print(f"已写入 {target}", highlight=False, markup=False)


# ---------------------------------------------------------------- notice


@app.command()
@handle_errors
def notice(
    kind: Annotated[str, typer.Argument(
        metavar="种类",
        help="isolation（居家隔离告知书）、test（核酸检测通知）、release（解除通知书）")],
    on: DateOpt = None,
    id_number: Annotated[str | None, typer.Option("--id", metavar="身份证号", help="只给这个身份证号的人")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="格式",
                                     help="html（一个可打印文件）或 docx（每人一个）")] = "html",
    out_dir: Annotated[Path, typer.Option(
        "--out", metavar="文件夹",
        help="写入这个文件夹（不存在则新建；文件名由taizhang按种类、日期和姓名生成）")] = Path("."),
    no_mask: NoMask = False,
) -> None:
    """生成通知：当天开始管控者的告知书（措辞随其开始的阶段）、当天应检者的核酸通知、当天应解除者的解除通知书。
    没有需要发放的人时不生成文件。"""
    from taizhang.errors import TaizhangError
    from taizhang.ledger.person_view import find_by_id, query_shown
    from taizhang.ledger.store import Store
    from taizhang.outputs.daily_data import gather
    from taizhang.outputs.notices import NOTICE_KINDS, notice_people, write_notices
    from taizhang.outputs.templating import load_labels

    check_choice(kind, NOTICE_KINDS, "种类")
    check_choice(fmt, ("html", "docx"), "--format")
    check_out_dir(out_dir, f"通知.{fmt}")
    day = parse_date_option(on, "--date") or state.as_of
    title = load_labels(_templates_dir())["notices"][kind]
    when = f"今日（{day.isoformat()}）" if day == state.as_of else day.isoformat()
    with Store(state.db_path()) as store:
        data = gather(store, day, state.policy, state.config, trend_days=1)
        people = notice_people(store, data, kind, state.policy, id_number, masker(no_mask))
        known = find_by_id(store, id_number) if id_number and not people else []
    if id_number and not people:
        shown = query_shown(id_number, not no_mask)
        if not known:
            raise TaizhangError(f"台账中没有身份证号为{shown}的人员：请核对号码，或先导入该村的表格")
        who = "、".join(f"{r['name'] or ''}，{r['village'] or '村名未知'}" for r in known)
        why = {"isolation": "管控不是从这一天开始", "test": "这一天没有应检的核酸",
               "release": "这一天不是解除日期"}[kind]
        raise TaizhangError(f"{shown}（{who}）{when}不需要发放{title}（{why}），未写入任何文件："
                            f"请核对 --date，或用 taizhang person {shown} --date {day.isoformat()} 查看其管控日历")
    if not people:
        err.print(f"{when}没有需要发放的{title}，未生成文件。", highlight=False, markup=False)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_notices(people, kind, data, fmt, out_dir, _templates_dir(), {})
    err.print(f"{len(people)} 人，已写入 " + "、".join(str(p) for p in written), highlight=False, markup=False)
