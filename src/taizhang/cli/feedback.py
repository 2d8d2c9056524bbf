"""`taizhang feedback`: what each village must fix in the files it sent (`outputs.feedback`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from taizhang.cli.common import (
    DateOpt,
    NoMask,
    _templates_dir,
    app,
    check_choice,
    check_out_dir,
    check_village,
    err,
    handle_errors,
    masker,
    parse_date_option,
    print_json,
    print_notes,
    state,
)


@app.command()
@handle_errors
def feedback(
    on: DateOpt = None,
    village: Annotated[str | None, typer.Option("--village", help="只给这个村（社区）")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="输出文件夹（每村一个子文件夹）")] = Path("退回修改"),
    fmt: Annotated[str, typer.Option("--format", help="输出格式：text 或 json")] = "text",
    no_mask: NoMask = False,
) -> None:
    """退回修改：每个有待改问题的村一个文件夹，内有问题清单、原表格的批注副本（问题单元格标红/标黄并加批注）
    和一段微信通知。只列每个文件最新一版（未撤销）中的问题。默认打码，--no-mask 保留完整号码。"""
    from taizhang.ingest.headers import declared_columns
    from taizhang.ledger.store import Store
    from taizhang.outputs.feedback import write_feedback

    check_choice(fmt, ("text", "json"), "--format")
    check_village(village)
    check_out_dir(out_dir, "平阳村/平阳村_问题清单.xlsx")
    day = parse_date_option(on, "--date") or state.as_of
    config = state.config
    with Store(state.db_path()) as store:
        results = write_feedback(store, day, out_dir, masker(no_mask), village, _templates_dir(),
                                 declared_columns(config.columns), config.township or "taizhang")
    if fmt == "json":
        print_json({"date": day.isoformat(), "villages": [r.to_dict() for r in results]})
    else:
        for r in results:
            sys.stdout.write(r.text + "\n")
    for r in results:
        print_notes(r.notes)
    if results:
        err.print(f"{len(results)} 个村有待改问题，已写入 {out_dir}", highlight=False, markup=False)
    else:
        err.print(f"{day.isoformat()}各村报送的表格中没有待改的问题，未生成文件。", highlight=False, markup=False)
