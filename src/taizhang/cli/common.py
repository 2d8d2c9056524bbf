"""What every command shares: the Typer app, the global options, the shared
option types, error handling and the two consoles (data to stdout,
diagnostics to stderr).

Library failures arrive as `TaizhangError` and become one Chinese line on
stderr and an exit code (0 ok, 1 data problems or failed files, 2 usage). No
traceback reaches the user without `--debug`, and tracebacks never show local
variables: they would hold ledger contents.
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
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.text import Text

from taizhang.cli import streams
from taizhang.cli.chinese import ChineseGroup
from taizhang.config import DEFAULT_CONFIG, Config, load_config, load_policy
from taizhang.errors import TaizhangError, UsageError
from taizhang.ingest.headers import KINDS
from taizhang.ingest.regular import require_regular
from taizhang.ingest.values import parse_date
from taizhang.policy.model import Policy
from taizhang.privacy import mask_text, mask_tree, mask_value

if TYPE_CHECKING:  # imported by the commands that read files (`make_validator`)
    from taizhang.ingest.validation import Validator

app = typer.Typer(
    name="taizhang",
    help="台账：乡镇疫情防控台账工具——导入村里报来的表格、校验、计算今日应检应解除人员、生成日报告。",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
    cls=ChineseGroup,  # help pages and usage errors in Chinese (cli/chinese.py)
    context_settings={"help_option_names": ["--help", "-h"]},
)


class MaskingConsole(Console):
    """A console that masks every string it is given (`mask_text`) unless the
    command runs with `--no-mask`: messages, notes, file names, table cells
    and titles all pass through `render_str` before rich lays them out, so an
    ID folded across two lines of a narrow column is masked too."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(mask_text(text) if state.mask else text, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._given_width: int | None = kwargs.get("width")

    @property
    def size(self) -> ConsoleDimensions:
        """A terminal's own width (or COLUMNS); anything else (`> 名单.txt`, a
        pipe, cron's mail) is written WHOLE_WIDTH wide, whatever COLUMNS
        says, so a table prints every value whole — an 18-digit ID, a file
        name, a date — one line per row, instead of cut with "…"."""
        size = super().size
        if self._given_width is None and not self.is_terminal:
            return ConsoleDimensions(WHOLE_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size
        self._given_width = new_size[0]


# Wide enough that no table a command prints is ever cut: rich sizes a table
# to its content, so a short table stays short; only a rule or a panel would
# stretch to this width, and the command line prints none.
WHOLE_WIDTH = 10_000


out = MaskingConsole(soft_wrap=True)
err = MaskingConsole(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(slots=True)
class State:
    """Global options, resolved once in the callback."""

    db: Path | None = None
    config_path: Path | None = None
    policy_path: Path | None = None
    as_of: date = field(default_factory=date.today)
    debug: bool = False
    mask: bool = True  # False only under a command's --no-mask (`show_all`)
    _config: Config | None = None
    _policy: Policy | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            require_regular(self.config_path or DEFAULT_CONFIG, "配置文件", "--config路径")
            self._config = load_config(self.config_path)
        return self._config

    def db_path(self) -> Path:
        """--db, then TAIZHANG_DB (both arrive in `db`), then the config, then ./taizhang.db."""
        return self.db or self.config.paths.get("db") or Path("taizhang.db")

    def may_create_db(self) -> bool:
        """`import` makes a new ledger only where the user said where it goes: a
        --db (or TAIZHANG_DB), or a workspace config that was found."""
        return self.db is not None or self.config.source is not None

    def workspace_db(self) -> Path:
        """The ledger an import may write to; a usage error outside a workspace."""
        path = self.db_path()
        if not path.exists() and not self.may_create_db():
            raise UsageError(
                f"没有找到工作目录配置 taizhang.toml，也没有用 --db 指定数据库，不会在 {path.resolve().parent} "
                "新建空台账：请先在工作目录运行 taizhang init，或用 taizhang --db 路径 import … 指定台账")
        return path

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            path = self.policy_path or self.config.paths.get("policy")
            if path is not None:
                require_regular(path, "政策文件", "--policy路径或taizhang.toml中的policy")
            self._policy = load_policy(path)
        return self._policy


state = State()


def parse_date_option(value: str | None, option: str) -> date | None:
    """A date given on the command line, in any form the readers accept."""
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed.value is None:
        # the reader's own advice: 2022-02-30 "2月没有30日", not "请写成…"
        why = parsed.error or f"没有年份：请写成{date.today().year}-{parsed.month:02d}-{parsed.day:02d}这样的日期"
        if not parsed.error and not parsed.yearless:
            why = "无法识别的日期格式：请写成2022-02-08这样的日期"
        raise UsageError(f"{option} 的日期“{value}”{why}")
    if not OPTION_YEARS[0] <= parsed.value.year <= OPTION_YEARS[1]:
        raise UsageError(f"{option} 的日期“{value}”不在{OPTION_YEARS[0]}—{OPTION_YEARS[1]}年之间：请检查年份，"
                         "如2022-02-08")
    return parsed.value


# The years a --date or --as-of may name: a day counted from 0001-01-01 or
# up to 9999-12-31 runs off the calendar, and no ledger holds such days.
OPTION_YEARS = (1900, 2199)


def handle_errors(func: F) -> F:
    """Turn library failures into one line and an exit code; hide tracebacks.
    The command's output is flushed here, so a full or closed stdout is
    reported (or, for a closed pipe, ends quietly) instead of failing at exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        streams.configure_streams()
        try:
            try:
                result = func(*args, **kwargs)
            except (typer.Exit, typer.Abort):
                sys.stdout.flush()
                raise
            sys.stdout.flush()
            return result
        except (typer.Exit, typer.Abort):
            raise
        except TaizhangError as exc:
            streams.settle_stdout()
            err.print(f"[red]错误：[/red]{escape(exc.message)}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("已中断。")
            raise typer.Exit(130) from None
        except OSError as exc:
            if (message := streams.os_failure_message(exc)) is not None:
                err.print(f"[red]错误：[/red]{escape(message)}", highlight=False)
            raise typer.Exit(1) from None
        except Exception as exc:
            streams.settle_stdout()
            fault = streams.ledger_fault(exc, state.db_path)
            if fault is not None:
                err.print(f"[red]错误：[/red]{escape(fault)}", highlight=False)
            elif state.debug:
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
        import taizhang

        out.print(f"taizhang {taizhang.__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[Path | None, typer.Option("--db", envvar="TAIZHANG_DB", metavar="文件",
                                            help="台账数据库文件（默认 ./taizhang.db）")] = None,
    config: Annotated[Path | None, typer.Option("--config", metavar="文件",
                                                help="配置文件（默认 ./taizhang.toml）")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", metavar="文件",
                                                help="政策文件（管控方案）")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="日期",
        help="把哪一天当作“今天”，如2022-02-08（默认今天）")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示程序调用栈（不含数据）")] = False,
    version: Annotated[bool, typer.Option("--version", callback=version_callback,
                                          is_eager=True, help="显示版本")] = False,
) -> None:
    """Global options come before the command name: taizhang --as-of 2022-02-08 due-today."""
    state.db = db
    state.config_path = config
    state.policy_path = policy
    state.debug = debug
    state.mask = True
    state._config = None
    state._policy = None
    try:
        state.as_of = parse_date_option(as_of, "--as-of") or date.today()
    except UsageError as exc:
        err.print(f"[red]错误：[/red]{exc.message}", highlight=False)
        raise typer.Exit(2) from None


# ---------------------------------------------------------------- shared options

FormatTableJson = Annotated[str, typer.Option("--format", metavar="格式", help="输出格式：table 或 json")]


def show_all(no_mask: bool) -> bool:
    """`--no-mask`, read before the command runs: everything the command then
    prints (JSON, tables, messages) is masked unless it was given."""
    state.mask = not no_mask
    return no_mask


NoMask = Annotated[bool, typer.Option("--no-mask", help="显示完整身份证号和电话（默认打码）",
                                      callback=show_all)]
KindOpt = Annotated[str | None, typer.Option("--kind", metavar="类型",
                                             help="表格类型：registration、tests、temperatures")]
VillageOpt = Annotated[str | None, typer.Option("--village", metavar="村名",
                                                help="所属村（社区），优先于表格中的信息")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", metavar="编码",
                                                 help="CSV编码（默认自动识别UTF-8/GBK）")]
Paths = Annotated[list[Path], typer.Argument(metavar="文件或文件夹...",
                                             help="要读取的表格，可写多个；文件夹会递归查找")]


def check_choice(value: str | None, choices: tuple[str, ...], option: str) -> None:
    if value is not None and value not in choices:
        raise UsageError(f"{option} 只能是 {'、'.join(choices)}，而不是“{value}”")


def check_village(village: str | None) -> None:
    """A --village the config does not list is a usage error naming the closest:
    a typo there would file everyone under a village that does not exist."""
    villages = state.config.villages
    if village is None or not villages or village in villages:
        return
    import difflib

    close = difflib.get_close_matches(village, villages, n=1, cutoff=0.0)
    hint = f"，是否是“{close[0]}”" if close else ""
    raise UsageError(f"--village “{village}”不在配置的村名单中{hint}：村名单是"
                     f"{'、'.join(villages)}（在 taizhang.toml 的 villages 中修改）")


def make_validator(kind: str | None, village: str | None, encoding: str | None) -> Validator:
    from taizhang.ingest.validation import Validator

    check_choice(kind, KINDS, "--kind")
    check_village(village)
    return Validator.from_settings(state.config, state.policy, state.as_of,
                                   village=village, kind=kind, encoding=encoding)


def masker(no_mask: bool) -> Callable[[str, str], str] | None:
    """The mask the outputs apply: every ID number and phone in every field
    (`mask_value`), or None under `--no-mask`."""
    return None if no_mask else mask_value


def shown(text: str) -> str:
    """Text printed outside the consoles and the JSON printer (a progress
    bar's file name), masked unless `--no-mask`."""
    return mask_text(text) if state.mask else text


def print_json(data: Any) -> None:
    """JSON to stdout, UTF-8, Chinese unescaped; every string in it masked
    (`mask_tree`: ID and phone fields by their rule, any other text for the
    IDs and phones in it) unless `--no-mask`."""
    if state.mask:
        data = mask_tree(data)
    sys.stdout.write(streams.fit_json(json.dumps(data, ensure_ascii=False, indent=2,
                                                 default=lambda o: shown(str(o))) + "\n"))
    sys.stdout.flush()


def print_notes(notes: list[str]) -> None:
    for note in notes:
        err.print(f"[yellow]提示：[/yellow]{escape(note)}", highlight=False)

DateOpt = Annotated[str | None, typer.Option("--date", metavar="日期",
                                             help="哪一天，如2022-02-08（默认 --as-of 或今天）")]


# ---------------------------------------------------------------- --out

# `--out` has one meaning per command, checked before any work: a FILE for
# due-today, export and template (the file written), a FOLDER for
# daily-report and notice (which name their files by date and person).
FILE_SUFFIXES = (".html", ".htm", ".md", ".txt", ".xlsx", ".xls", ".csv", ".json", ".docx", ".pdf")


def check_out_file(path: Path | None, example: str) -> None:
    """`--out` must name a file: not a folder, not a name without an extension."""
    if path is None:
        return
    if path.is_dir() or str(path).endswith(("/", "\\")):
        raise UsageError(f"--out 应为文件名，如 {example}，而“{path}”是一个文件夹：要写到这个文件夹里，"
                         f"请写 --out {path / example}")
    if not path.suffix:
        raise UsageError(f"--out 应为文件名，如 {example}，而“{path}”没有扩展名：请写完整的文件名"
                         f"（要写到文件夹“{path}”里，请写 --out {path / example}）")


def check_out_dir(path: Path | None, example: str) -> None:
    """`--out` must name a folder (one that exists, or one to be created):
    not an existing file, not a name that looks like a file."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out 应为文件夹（文件名由taizhang生成，如 {example}），而“{path}”是一个文件："
                         "请写一个文件夹，如 --out out")
    if not path.exists() and path.suffix.lower() in FILE_SUFFIXES:
        raise UsageError(f"--out 应为文件夹（文件名由taizhang生成，如 {example}），而“{path}”像是文件名，"
                         f"不会新建名为“{path.name}”的文件夹：请写一个文件夹，如 --out {path.parent / 'out'}")


def _write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write through a temporary file and rename, so readers never see half a file."""
    from taizhang.outputs.atomic import write_text

    write_text(path, text, encoding)




def _templates_dir() -> Path | None:
    return state.config.paths.get("templates")
