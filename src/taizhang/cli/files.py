"""Commands over files: validate, init, import, export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from taizhang.cli.common import (
    EncodingOpt,
    FormatTableJson,
    KindOpt,
    NoMask,
    Paths,
    VillageOpt,
    app,
    check_choice,
    check_out_file,
    err,
    handle_errors,
    make_validator,
    masker,
    out,
    print_json,
    print_notes,
    shown,
    state,
)
from taizhang.jobs.workspace import init_workspace, packaged_templates, split_villages
from taizhang.outputs.terminal import render_columns, render_import, render_validation

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
    from taizhang.ingest.validation import validate_paths

    report = validate_paths(paths, make_validator(kind, village, encoding))
    print_notes(report.all_notes())
    for failed in report.failed:
        err.print(f"[red]读取失败：[/red]{escape(failed.path)}：{escape(failed.error or '')}", highlight=False)
    if fmt == "json":
        print_json(report.to_dict(masker(no_mask)))
    else:
        render_validation(out, report, masker(no_mask))
    if not report.ok:
        raise typer.Exit(1)


# ---------------------------------------------------------------- columns


@app.command()
@handle_errors
def columns(
    paths: Paths,
    fmt: FormatTableJson = "table",
    kind: KindOpt = None,
    encoding: EncodingOpt = None,
) -> None:
    """列出每个工作表的每一列被认作什么、依据是什么（配置、别名、表头用词、单元格内容），
    并给出无法识别的列的 [columns] 配置片段。不写入台账。"""
    check_choice(fmt, ("table", "json"), "--format")
    from taizhang.ingest.understanding import describe_columns

    report = describe_columns(paths, make_validator(kind, None, encoding))
    print_notes(report.notes)
    if fmt == "json":
        print_json(report.to_dict())
    else:
        render_columns(out, report)


# ---------------------------------------------------------------- init


@app.command()
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(metavar="文件夹", help="工作目录（默认当前目录）")] = Path("."),
    township: Annotated[str, typer.Option("--township", metavar="乡镇名", help="乡镇名称")] = "青石镇",
    villages: Annotated[str | None, typer.Option(
        "--villages", metavar="村名单", help="村（社区）名单，用顿号、逗号、分号或空格分隔")] = None,
    all_templates: Annotated[bool, typer.Option(
        "--templates", help="把全部内置模板复制到 templates/ 以便修改")] = False,
    template: Annotated[list[str] | None, typer.Option(
        "--template", metavar="文件名",
        help="只复制这一个内置模板（可重复），如 --template notice_test.txt.j2")] = None,
) -> None:
    """创建工作目录：taizhang.toml、inbox/out/templates文件夹、可编辑的政策文件；
    模板只在指定 --templates 或 --template 时复制。已有文件不会被覆盖。"""
    names = split_villages(villages) if villages is not None else []
    wanted = packaged_templates() if all_templates else list(template or [])
    created = init_workspace(directory, township, names, wanted)
    for path in created:
        out.print(f"已创建 {path}", highlight=False, markup=False)
    if not created:
        out.print("工作目录已存在，未覆盖任何文件。")
    if villages is not None and (directory / "taizhang.toml") not in created:
        err.print("提示：taizhang.toml 已存在，--villages 没有写入：请直接修改其中的 villages",
                  highlight=False, markup=False)
    if villages is None and (directory / "taizhang.toml") in created:
        err.print("提示：没有指定村名单：请在 taizhang.toml 的 villages 中填写本镇的村（社区），"
                  "或重新运行 taizhang init --villages \"平阳村、东溪村\"（先删除 taizhang.toml）",
                  highlight=False, markup=False)
    if all_templates:
        err.print("提示：templates/ 中的模板优先于内置模板：只保留要修改的，其余请删除，"
                  "以便升级 taizhang 后用上内置模板的修正", highlight=False, markup=False)


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
        "--jobs", min=1, metavar="进程数",
        help="读取表格的进程数（默认为CPU核数，最多4；数据量小时不另开进程）")] = None,
) -> None:
    """导入表格到台账：校验、合并，同一文件重复导入不会重复计数。有文件失败时退出码为1。"""
    from rich.progress import Progress

    from taizhang.ingest.files import find_input_files
    from taizhang.jobs.progress import ProgressLines
    from taizhang.ledger.importer import import_paths
    from taizhang.ledger.store import Store

    check_choice(fmt, ("table", "json"), "--format")
    validator = make_validator(kind, village, encoding)
    files, _ = find_input_files(paths)
    show = err.is_terminal and len(files) > 3  # a bar only when there is something to wait for
    # not on a terminal (cron, a redirect): a line every tenth of the files, on stderr
    lines = None if err.is_terminal else ProgressLines(
        len(files), lambda line: err.print(line, highlight=False, markup=False))
    with Store(state.workspace_db(), create=True) as store:
        with Progress(console=err, transient=True, disable=not show) as bar:
            task = bar.add_task("导入中", total=len(files))
            report = import_paths(store, paths, validator, state.as_of,
                                  progress=lines or (lambda name: bar.update(
                                      task, advance=1, description=shown(Path(name).name))), jobs=jobs)
    print_notes(report.notes)
    for failed in report.failed:
        err.print(f"[red]导入失败：[/red]{escape(failed.path)}：{escape(failed.error or '')}", highlight=False)
    if fmt == "json":
        print_json(report.to_dict(masker(no_mask)))
    else:
        render_import(out, report, masker(no_mask))
    if not report.ok:
        raise typer.Exit(1)


# ---------------------------------------------------------------- export


@app.command()
@handle_errors
def export(
    fmt: Annotated[str, typer.Option("--format", metavar="格式", help="xlsx 或 csv")] = "xlsx",
    out_file: Annotated[Path | None, typer.Option(
        "--out", metavar="文件", help="写入这个文件（文件名，如 汇总台账.xlsx；csv不指定则输出到屏幕，"
        "xlsx默认 汇总台账_日期.xlsx）")] = None,
    no_mask: NoMask = False,
) -> None:
    """导出汇总台账：每村一个工作表加“全镇”，身份证号和电话默认打码。"""
    from taizhang.ledger.store import Store
    from taizhang.outputs.export import export_rows, write_csv, write_xlsx

    check_choice(fmt, ("xlsx", "csv"), "--format")
    check_out_file(out_file, f"汇总台账.{fmt}")
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
    err.print(f"已导出 {len(rows)} 人到 {out_file}", highlight=False, markup=False)
