"""The `template` command: blank workbooks for villages to fill."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from taizhang.cli.common import (
    _templates_dir,
    app,
    check_choice,
    check_out_file,
    check_village,
    err,
    handle_errors,
    parse_date_option,
    state,
)
from taizhang.errors import UsageError
from taizhang.ingest.headers import KINDS, TEMPERATURES


@app.command()
@handle_errors
def template(
    kind: Annotated[str, typer.Argument(
        metavar="KIND", help="registration（返乡人员登记表）、tests（核酸检测台账）或 temperatures（体温监测表）")],
    village: Annotated[str | None, typer.Option(
        "--village", help="给这个村（社区）用：标题和文件名带村名，村（社区）列只能选它")] = None,
    days: Annotated[int | None, typer.Option(
        "--days", min=1, max=92, help="体温监测表的天数（默认14）")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", help="体温监测表的第一天（默认 --as-of 或今天）")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="输出文件（默认当前文件夹的“村名+表名.xlsx”，如 平阳村返乡人员登记表.xlsx）")] = None,
) -> None:
    """生成给村（社区）填写的空白表格（.xlsx）：表头用taizhang最认得的列名，身份证号和电话为文本格式，
    日期列只能填日期，村名、管控措施、风险等级等为下拉选项，另附“填表说明”工作表。已有的文件不会被覆盖。"""
    from taizhang.outputs.template import default_name, write_template
    from taizhang.outputs.templating import load_labels

    check_choice(kind, KINDS, "KIND")
    check_village(village)
    check_out_file(out_file, "平阳村返乡人员登记表.xlsx")
    if kind != TEMPERATURES and (days is not None or on is not None):
        raise UsageError("--days 和 --date 只用于 temperatures（体温监测表）")
    start = parse_date_option(on, "--date") or state.as_of
    labels = load_labels(_templates_dir())
    target = out_file or Path(default_name(kind, labels, village))
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} 已存在（可能是村里填好的表格），不会覆盖：请用 --out 指定新文件名，或先移走该文件")
    config = state.config
    write_template(target, kind, state.policy, labels, township=config.township,
                   villages=config.villages, village=village, start=start, days=days or 14)
    err.print(f"已生成 {target}：请发给村（社区）填写，填好后放入收件箱导入", highlight=False, markup=False)
