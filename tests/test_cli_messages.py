"""Messages in Chinese that say what to do (issue 16, point 4): OS errors,
`--out` with one meaning per command, Typer's own words, a global option
written after the command, date advice that fits the problem."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.errors import os_error_line, os_error_reason
from taizhang.ingest.values import parse_date

runner = CliRunner()
ENGLISH = ("Usage:", "Options:", "Arguments:", "Commands:", "Show this message", "Error:",
           "No such", "Missing", "Try '", "[default", "required]", "env var", "<str>", "<path>",
           "<list[", "<int", "Invalid value", "Got unexpected")


def cli(*args: str):
    return runner.invoke(app, list(args))


def no_english(text: str) -> None:
    found = [w for w in ENGLISH if w in text]
    assert found == [], text


# ---------------------------------------------------------------- OS errors


class WinError(PermissionError):
    def __init__(self, winerror: int) -> None:
        super().__init__(errno.EACCES, "另一个程序正在使用此文件，进程无法访问。")
        self.winerror = winerror


@pytest.mark.parametrize(("exc", "reading", "words"), [
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), True, ("文件不存在", "检查路径")),
    (PermissionError(errno.EACCES, "Permission denied"), True, ("没有权限", "Excel/WPS", "申请")),
    (PermissionError(errno.EACCES, "Permission denied"), False, ("没有权限", "申请")),
    (WinError(32), True, ("文件被占用", "Excel/WPS中关闭")),
    (OSError(errno.ENOSPC, "No space left on device"), False, ("磁盘已满", "清理")),
    (OSError(errno.EROFS, "Read-only file system"), False, ("只读", "可写的位置")),
    (IsADirectoryError(errno.EISDIR, "Is a directory"), True, ("文件夹", "文件名")),
    (OSError(errno.ENAMETOOLONG, "File name too long"), False, ("太长",)),
    (OSError(errno.EIO, "Input/output error"), True, ("磁盘读写出错", "U盘")),
    (OSError(errno.ELOOP, "Too many levels of symbolic links"), True, ("系统错误",)),
])
def test_each_os_error_in_chinese_with_what_to_do(exc: OSError, reading: bool, words: tuple[str, ...]) -> None:
    reason, advice = os_error_reason(exc, reading=reading)
    text = reason + advice
    assert all(w in text for w in words), text
    assert "No such file" not in text and "Permission denied" not in text
    assert os_error_line("无法读取文件a.xlsx", exc).startswith("无法读取文件a.xlsx（")


def test_a_missing_input_file_is_chinese(tmp_path: Path) -> None:
    result = cli("--db", str(tmp_path / "t.db"), "validate", str(tmp_path / "没有这个文件.xlsx"),
                 "--format", "json")
    assert "文件不存在" in result.output and "No such file" not in result.output


def test_a_config_that_cannot_be_read_is_chinese(tmp_path: Path) -> None:
    folder = tmp_path / "taizhang.toml"
    folder.mkdir()  # a folder where the config should be: reading it fails
    result = cli("--config", str(folder), "--db", str(tmp_path / "t.db"), "due-today")
    assert result.exit_code == 2
    assert "内部错误" not in result.output and "Errno" not in result.output


# ---------------------------------------------------------------- --out


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    from conftest import make_id

    csv = tmp_path / "平阳村登记.csv"
    csv.write_text("姓名,身份证号,联系电话,村,返乡日期\n"
                   f"张三,{make_id()},13800000000,平阳村,2022-02-01\n", encoding="utf-8")
    db = tmp_path / "t.db"
    assert cli("--db", str(db), "--as-of", "2022-02-08", "import", str(csv)).exit_code == 0
    return db


@pytest.mark.parametrize("args", [("due-today", "--format", "xlsx"), ("due-today", "--format", "csv"),
                                  ("export", "--format", "xlsx"), ("export", "--format", "csv")])
def test_out_is_a_file_for_due_today_and_export(ledger: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = cli("--db", str(ledger), "--as-of", "2022-02-08", *args, "--out", str(folder))
    assert result.exit_code == 2
    assert "--out 应为文件名" in result.output and "内部错误" not in result.output
    assert list(folder.iterdir()) == []
    result = cli("--db", str(ledger), "--as-of", "2022-02-08", *args, "--out", str(tmp_path / "名单"))
    assert result.exit_code == 2 and "没有扩展名" in result.output


def test_out_with_a_table_says_choose_a_file_format(ledger: Path, tmp_path: Path) -> None:
    result = cli("--db", str(ledger), "due-today", "--out", str(tmp_path / "名单.txt"))
    assert result.exit_code == 2 and "--format" in result.output
    assert not (tmp_path / "名单.txt").exists()


@pytest.mark.parametrize("args", [("daily-report", "--format", "html"), ("daily-report", "--format", "md"),
                                  ("notice", "test")])
def test_out_is_a_folder_for_daily_report_and_notice(ledger: Path, tmp_path: Path,
                                                     args: tuple[str, ...]) -> None:
    looks_like_a_file = tmp_path / "日报告.html"
    result = cli("--db", str(ledger), "--as-of", "2022-02-08", *args, "--out", str(looks_like_a_file))
    assert result.exit_code == 2
    assert "--out 应为文件夹" in result.output
    assert not looks_like_a_file.exists()  # no folder named 日报告.html
    a_file = tmp_path / "已有文件"
    a_file.write_text("x", encoding="utf-8")
    result = cli("--db", str(ledger), "--as-of", "2022-02-08", *args, "--out", str(a_file))
    assert result.exit_code == 2 and "--out 应为文件夹" in result.output
    assert a_file.read_text(encoding="utf-8") == "x"


def test_out_checked_before_the_ledger_is_opened(tmp_path: Path) -> None:
    """A wrong --out is named even without a ledger: before any work."""
    folder = tmp_path / "out"
    folder.mkdir()
    result = cli("--db", str(tmp_path / "none.db"), "export", "--out", str(folder))
    assert result.exit_code == 2 and "--out 应为文件名" in result.output


def test_each_out_meaning_is_in_the_help() -> None:
    for command, word in (("due-today", "文件"), ("export", "文件"), ("daily-report", "文件夹"),
                          ("notice", "文件夹")):
        text = cli(command, "--help").output
        assert re.search(rf"--out {word}\s", text), (command, text)


# ---------------------------------------------------------------- Typer's words


def test_unknown_option_in_chinese() -> None:
    result = cli("due-today", "--nope")
    assert result.exit_code == 2
    assert "没有这个选项：--nope" in result.output and "查看帮助：taizhang due-today --help" in result.output
    no_english(result.output)


def test_missing_argument_in_chinese() -> None:
    result = cli("import")
    assert result.exit_code == 2
    assert "缺少参数 文件或文件夹" in result.output
    no_english(result.output)


def test_unknown_command_extra_argument_and_bad_values_in_chinese() -> None:
    for args, words in ((("importt",), "没有这个命令：importt，是否是 import"),
                        (("batches", "多余"), "多余的参数：多余"),
                        (("import", "--jobs", "x", "a.csv"), "--jobs 的值不对：应为整数"),
                        (("import", "--jobs", "0", "a.csv"), "不能小于1"),
                        (("due-today", "--format"), "选项 --format 后面要写一个值"),
                        (("batches", "--no-mask=1"), "不带值")):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert words in result.output, (args, result.output)
        no_english(result.output)


@pytest.mark.parametrize("command", ["", "validate", "import", "due-today", "daily-report", "notice",
                                     "export", "person", "batches", "undo", "daily", "doctor", "init",
                                     "policy", "policy show", "columns", "demo"])
def test_help_has_no_english_boilerplate(command: str) -> None:
    result = cli(*command.split(), "--help")
    assert result.exit_code == 0
    assert result.output.startswith("用法：taizhang")
    assert "显示本帮助并退出" in result.output
    no_english(result.output)


def test_metavars_are_readable() -> None:
    text = cli("--help").output
    assert "--as-of 日期" in text and "--db 文件" in text and "2022-02-08" in text
    text = cli("due-today", "--help").output
    assert "--date 日期" in text and "--format 格式" in text and "2022-02-08" in text
    assert "用法：taizhang import [选项] 文件或文件夹..." in cli("import", "--help").output
    assert "--out 文件夹" in cli("notice", "--help").output


@pytest.mark.parametrize(("args", "fixed"), [
    (("due-today", "--as-of", "2022-02-08"), "taizhang --as-of 2022-02-08 due-today"),
    (("due-today", "--as-of=2022-02-08", "--no-mask"), "taizhang --as-of=2022-02-08 due-today --no-mask"),
    (("--db", "t.db", "export", "--debug", "--format", "csv"), "taizhang --db t.db --debug export --format csv"),
    (("policy", "show", "--policy", "p.toml"), "taizhang --policy p.toml policy show"),
    (("import", "--db", "t.db", "inbox"), "taizhang --db t.db import inbox"),
])
def test_a_global_option_after_the_command(args: tuple[str, ...], fixed: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "全局选项，要写在命令名前面" in result.output and fixed in result.output, result.output


def test_the_fixed_command_line_masks_ids() -> None:
    result = cli("person", "330681199001011234", "--as-of", "2022-02-08")
    assert "330681199001011234" not in result.output and "taizhang --as-of 2022-02-08 person" in result.output


# ---------------------------------------------------------------- dates


def test_date_advice_fits_the_problem() -> None:
    assert parse_date("2022-02-30").error.endswith("2月没有30日，请核对日期")
    assert "这样的格式" not in parse_date("2022-02-30").error
    assert "没有13月" in parse_date("2022/13/01").error
    assert "没有日" in parse_date("2022年1月").error and "2022-01-28" in parse_date("2022年1月").error
    assert "不是闰年" in parse_date("2021-02-29").error
    assert "这样的格式" in parse_date("二〇二二年").error


def test_date_option_advice(tmp_path: Path) -> None:
    result = cli("--as-of", "2022-02-30", "--db", str(tmp_path / "t.db"), "due-today")
    assert result.exit_code == 2 and "2月没有30日" in result.output and "请写成" not in result.output
    result = cli("--db", str(tmp_path / "t.db"), "due-today", "--date", "2022/13/01")
    assert result.exit_code == 2 and "没有13月" in result.output
    result = cli("--db", str(tmp_path / "t.db"), "due-today", "--date", "昨天")
    assert result.exit_code == 2 and "这样的格式" in result.output


def test_a_date_problem_in_a_file_has_fitting_advice(tmp_path: Path) -> None:
    from conftest import make_id

    csv = tmp_path / "平阳村登记.csv"
    csv.write_text("姓名,身份证号,联系电话,村,返乡日期\n"
                   f"张三,{make_id()},13800000000,平阳村,2022-02-30\n"
                   f"李四,{make_id(seq='124')},13800000001,平阳村,2022年1月\n", encoding="utf-8")
    result = cli("--as-of", "2022-02-08", "validate", str(csv), "--format", "json")
    import json

    messages = [p["message"] for p in json.loads(result.stdout)["problems"] if p["code"] == "date_invalid"]
    assert any("2月没有30日，请核对日期" in m and "这样的格式" not in m for m in messages), messages
    assert any("没有日" in m for m in messages), messages
