"""The command line's own words in Chinese: help pages, usage lines and the
messages of a command line that cannot be parsed.

Typer (and the Click inside it) speaks English and has no translation hook
for its messages ("No such option", "Missing argument", "Show this message
and exit."), so taizhang brings its own command classes: `ChineseGroup` is
the app's class (`typer.Typer(cls=...)`) and adopts every command and
sub-group Typer builds under it as `ChineseCommand`/`ChineseGroup`. They
write the help page themselves from the parameters (用法/参数/选项/命令,
metavars such as 日期、文件、文件夹, 默认、环境变量), and the group's `main`
turns a usage error into one Chinese line, the usage and where the help is,
exit 2. A global option written after the command name (`due-today --as-of
2022-02-08`) is answered with the command line as it should be written.
"""

from __future__ import annotations

import inspect
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from taizhang.cli import streams
from taizhang.privacy import mask_text

# the global options (SPEC §6): name -> takes a value
GLOBAL_OPTIONS = {"--db": True, "--config": True, "--policy": True, "--as-of": True, "--debug": False,
                  "--version": False}
HELP = "显示本帮助并退出"


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _is_click_error(exc: BaseException) -> bool:
    return "ClickException" in _names(exc)


# ---------------------------------------------------------------- help pages


def _usage_pieces(command: Any, ctx: Any) -> list[str]:
    pieces = ["[选项]"]
    for param in command.get_params(ctx):
        if param.param_type_name != "argument" or getattr(param, "hidden", False):
            continue
        name = param.metavar or (param.name or "").upper()
        if param.nargs != 1 and not name.endswith("..."):
            name += "..."
        pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, TyperGroup):
        pieces.append("命令 [参数]...")
    return pieces


def _default(param: Any) -> str | None:
    default = getattr(param, "default", None)
    if getattr(param, "is_flag", False) or not getattr(param, "show_default", True):
        return None
    if default is None or callable(default) or isinstance(default, (list, tuple, bool)):
        return None
    text = str(default)
    return text or None


def _record(param: Any, ctx: Any) -> tuple[str, str] | None:
    if getattr(param, "hidden", False):
        return None
    help_text = (param.help or "").strip()
    if param.param_type_name == "argument":
        left = param.metavar or (param.name or "").upper()
    else:
        left = " / ".join([*param.opts, *getattr(param, "secondary_opts", [])])
        if not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
            left += f" {param.metavar or '值'}"
    extra = []
    if (default := _default(param)) is not None:
        extra.append(f"默认：{default}")
    envvar = getattr(param, "envvar", None)
    if envvar and getattr(param, "show_envvar", True):
        extra.append(f"环境变量：{envvar if isinstance(envvar, str) else '、'.join(envvar)}")
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None:
        extra.append(f"最小：{low}")
    if high is not None:
        extra.append(f"最大：{high}")
    if param.required and param.param_type_name == "option":
        extra.append("必填")
    if extra:
        help_text = f"{help_text}  [{'；'.join(extra)}]" if help_text else f"[{'；'.join(extra)}]"
    return left, help_text


def _format_usage(self: Any, ctx: Any, formatter: Any) -> None:
    formatter.write_usage(ctx.command_path, " ".join(_usage_pieces(self, ctx)), prefix="用法：")


def _format_help_text(self: Any, ctx: Any, formatter: Any) -> None:
    text = inspect.cleandoc(self.help or "").partition("\f")[0]
    if text:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(text)


def _format_options(self: Any, ctx: Any, formatter: Any) -> None:
    args, opts = [], []
    for param in self.get_params(ctx):
        record = _record(param, ctx)
        if record is not None:
            (args if param.param_type_name == "argument" else opts).append(record)
    if args:
        _section(formatter, "参数", args)
    if opts:
        _section(formatter, "选项", opts)
    if isinstance(self, TyperGroup):
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=60)))
        if rows:
            _section(formatter, "命令", rows)


def _section(formatter: Any, title: str, rows: list[tuple[str, str]]) -> None:
    """A titled list of (name, help), the help column aligned by display
    width (a Chinese character takes two columns; Click counts it as one)."""
    formatter.write_paragraph()
    indent = " " * formatter.current_indent
    formatter.write(f"{indent}{title}：\n")
    column = min(max(_width(left) for left, _ in rows), 30) + 2
    for left, text in rows:
        pad = column - _width(left)
        if pad < 2:  # a long name: its help on the next line
            formatter.write(f"{indent}  {left}\n{indent}  {' ' * column}{text}\n")
        else:
            formatter.write(f"{indent}  {left}{' ' * pad}{text}".rstrip() + "\n")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _format_help(self: Any, ctx: Any, formatter: Any) -> None:
    self.format_usage(ctx, formatter)
    self.format_help_text(ctx, formatter)
    self.format_options(ctx, formatter)
    if self.epilog:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(inspect.cleandoc(self.epilog))


def _help_option(option: Any) -> Any:
    if option is not None:
        option.help = HELP
        option.opts = sorted(option.opts, key=lambda o: (not o.startswith("--"), o))  # --help / -h
    return option


# The help page and usage line, in Chinese, for a command and for a group.
# Plain subclasses without a mixin: `_adopt` changes the class of the objects
# Typer built, which Python allows only between classes of the same layout.
class ChineseCommand(TyperCommand):
    """A Typer command whose help page is in Chinese."""

    format_usage = _format_usage
    format_help_text = _format_help_text
    format_options = _format_options
    format_help = _format_help

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))


class ChineseGroup(TyperGroup):
    """The app: Chinese help, and usage errors as one Chinese line (exit 2)."""

    format_usage = _format_usage
    format_help_text = _format_help_text
    format_options = _format_options
    format_help = _format_help

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            _adopt(command)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        streams.configure_streams()
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            sys.stderr.write("已中止。\n")
            sys.exit(1)
        except Exception as exc:
            if not _is_click_error(exc):
                raise
            show_usage_error(exc, argv)
            sys.exit(getattr(exc, "exit_code", 2))
        sys.exit(code if isinstance(code, int) else 0)


def _adopt(command: Any) -> None:
    """Make a command Typer built (TyperCommand, TyperGroup) speak Chinese."""
    if type(command) is TyperCommand:
        command.__class__ = ChineseCommand
    elif type(command) is TyperGroup:
        command.__class__ = ChineseGroup
        for sub in command.commands.values():
            _adopt(sub)


# ---------------------------------------------------------------- usage errors


def show_usage_error(exc: BaseException, argv: list[str]) -> None:
    """Print a usage error in Chinese: the message, the usage line, where the help is."""
    ctx = getattr(exc, "ctx", None)
    names = _names(exc)
    if "NoArgsIsHelpError" in names and ctx is not None:
        sys.stderr.write(ctx.get_help() + "\n")
        return
    message = usage_message(exc, argv)
    lines = [f"错误：{message}"]
    if ctx is not None:
        lines.append(ctx.get_usage())
        lines.append(f"查看帮助：{ctx.command_path} --help")
    sys.stderr.write("\n".join(lines) + "\n")


def usage_message(exc: BaseException, argv: list[str]) -> str:
    """One Chinese sentence for a Click usage error."""
    names = _names(exc)
    ctx = getattr(exc, "ctx", None)
    text = str(getattr(exc, "message", "") or exc)
    if "NoSuchOption" in names:
        option = getattr(exc, "option_name", "") or ""
        name = option.split("=", 1)[0]
        if name in GLOBAL_OPTIONS and ctx is not None and ctx.parent is not None:
            return f"{name} 是全局选项，要写在命令名前面：{global_first(ctx, argv)}"
        possible = sorted(getattr(exc, "possibilities", None) or [])
        hint = f"，是否是 {'、'.join(possible)}" if possible else ""
        return f"没有这个选项：{option}{hint}"
    if "MissingParameter" in names:
        param = getattr(exc, "param", None)
        if param is not None and param.param_type_name == "argument":
            what = param.metavar or (param.name or "").upper()
            helped = f"：{param.help}" if param.help else ""
            return f"缺少参数 {what}（写在命令名后面）{helped}"
        if param is not None:
            return f"缺少选项 {' / '.join(param.opts)}"
        return "缺少参数"
    if "BadOptionUsage" in names:
        option = getattr(exc, "option_name", "")
        if "requires" in text:
            return f"选项 {option} 后面要写一个值"
        if "does not take a value" in text:
            return f"选项 {option} 不带值：去掉“=”及其后面的内容"
        return f"选项 {option} 用法不对"
    if "BadParameter" in names:
        param = getattr(exc, "param", None)
        what = " / ".join(param.opts) if param is not None and param.opts else (
            param.metavar or param.name if param is not None else "参数")
        return f"{what} 的值不对：{_reason(text)}"
    if m := re.match(r"No such command '(.*)'\.(?: Did you mean (.*)\?)?", text):
        hint = f"，是否是 {m[2].replace(', ', '、')}".replace("'", "") if m[2] else ""
        return f"没有这个命令：{m[1]}{hint}（taizhang --help 列出全部命令）"
    if m := re.match(r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)", text):
        return (f"多余的参数：{_masked(m[1], argv)}：这个命令不需要它们；如果是带空格的文件名或文件夹名，"
                "请用英文双引号括起来")
    if text.startswith("Missing command"):
        return "缺少命令：请在后面写出命令名（taizhang --help 列出全部命令）"
    return f"命令行写得不对（{text}）"


def _reason(text: str) -> str:
    low = text.lower()
    if "integer" in low:
        return "应为整数"
    if "number" in low or "float" in low:
        return "应为数字"
    if m := re.search(r"greater than or equal to (\S+)", text):
        return f"不能小于{m[1]}"
    if m := re.search(r"less than or equal to (\S+)", text):
        return f"不能大于{m[1]}"
    if "range" in low:
        return f"超出允许的范围（{text}）"
    return text


def _masked(text: str, argv: list[str]) -> str:
    return text if "--no-mask" in argv else mask_text(text)


def global_first(ctx: Any, argv: list[str]) -> str:
    """The command line with the global options moved before the command name."""
    top = ctx
    while top.parent is not None and top.parent.parent is not None:
        top = top.parent
    root = top.parent or top
    name = top.info_name
    at = argv.index(name) if name in argv else 0
    before, after = argv[:at], argv[at + 1:]
    moved, rest = [], []
    i = 0
    while i < len(after):
        token = after[i]
        option = token.split("=", 1)[0]
        if option in GLOBAL_OPTIONS:
            moved.append(token)
            if GLOBAL_OPTIONS[option] and "=" not in token and i + 1 < len(after):
                moved.append(after[i + 1])
                i += 1
        else:
            rest.append(token)
        i += 1
    words = [root.info_name or "taizhang", *before, *moved, name, *rest]
    return _masked(" ".join(_quoted(w) for w in words), argv)


def _quoted(word: str) -> str:
    return f'"{word}"' if (not word or " " in word) else word
