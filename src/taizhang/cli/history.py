"""Commands over the ledger's import history: batches, undo.

A wrong file imported is put right by taking its batch out again
(`taizhang undo`), not by editing the database; the batch numbers come from
`taizhang batches`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from taizhang.cli.common import (
    FormatTableJson,
    NoMask,
    app,
    check_choice,
    handle_errors,
    out,
    print_json,
    state,
)
from taizhang.outputs.terminal import render_batches, render_undo

# ---------------------------------------------------------------- batches


@app.command()
@handle_errors
def batches(fmt: FormatTableJson = "table", no_mask: NoMask = False) -> None:
    """列出导入批次：每次导入的每个文件一个批次号（文件、数据日期、导入时间、数据行、是否已撤销）。
    文件名中的身份证号和电话默认打码。"""
    from taizhang.ledger.store import Store
    from taizhang.ledger.undo import list_batches

    check_choice(fmt, ("table", "json"), "--format")
    with Store(state.db_path()) as store:
        found = list_batches(store)
    if fmt == "json":
        print_json({"batches": [b.to_dict() for b in found]})
    else:
        render_batches(out, found)


# ---------------------------------------------------------------- undo


@app.command()
@handle_errors
def undo(
    numbers: Annotated[list[str], typer.Argument(metavar="批次号...",
                                                 help="批次号（taizhang batches 列出），可写多个")],
) -> None:
    """撤销导入：把批次的记录和数值从台账中去掉，如同从未导入（批次保留并标为已撤销）。已撤销的批次再撤销只提示，退出码0。"""
    from taizhang.ledger.store import Store
    from taizhang.ledger.undo import parse_batch_numbers, undo_batch

    with Store(state.db_path()) as store:
        for number in parse_batch_numbers(store, numbers):
            render_undo(out, undo_batch(store, number))
