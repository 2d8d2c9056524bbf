"""Commands that run a whole job: daily, demo, doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from taizhang.cli.common import (
    DateOpt,
    app,
    handle_errors,
    out,
    parse_date_option,
    state,
)

# ---------------------------------------------------------------- daily


@app.command()
@handle_errors
def daily(
    on: DateOpt = None,
    wait: Annotated[float, typer.Option("--wait", metavar="秒数", help="另一个daily正在运行时最多等待的秒数")] = 600.0,
) -> None:
    """每日定时任务：导入inbox，输出今日名单、日报告（各种格式）和通知到 out/日期/，记录日志。"""
    from taizhang.jobs.daily import run_daily

    day = parse_date_option(on, "--date") or state.as_of
    result = run_daily(state.config, state.db_path(), state.policy, day, wait)
    for line in result.summary:
        out.print(line, highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
@handle_errors
def demo(
    directory: Annotated[Path | None, typer.Option("--dir", metavar="文件夹",
                                                   help="演示工作目录（默认临时目录）")] = None,
    on: Annotated[str, typer.Option("--date", metavar="日期",
                                    help="演示日期（样例数据在2022年春节前后）")] = "2022-02-08",
) -> None:
    """演示：用内置样例数据建立临时工作目录，运行一次每日任务，显示输出在哪里。"""
    from taizhang.jobs.demo import run_demo

    day = parse_date_option(on, "--date")
    assert day is not None
    result = run_demo(directory, day)
    for line in result.summary:
        out.print(line, highlight=False, markup=False)


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
            out.print(f"{mark} {escape(check.what)}", highlight=False)
        else:
            out.print(f"[red]需处理[/red] {escape(check.what)}：{escape(check.fix)}", highlight=False)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
