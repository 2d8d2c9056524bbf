"""`taizhang validate` over a folder holding one good file and several bad ones
(SPEC §6): one bad file never stops the others, every file is accounted for,
exit 1, valid JSON on stdout, diagnostics on stderr, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from taizhang.cli import app

DATA = Path(__file__).resolve().parent / "data"

GOOD = "title_rows_merged_header.xlsx"
BAD = {
    "empty.csv": "文件为空（0字节），请让村里重新发送",
    "garbage.csv": "不是表格文件（内容是二进制数据），请确认发来的是Excel或CSV",
    "header_only.xlsx": "没有可读取的数据",
    "password_protected.xlsx": "文件设置了打开密码，请在Excel中取消密码后另存再发送",
    "truncated.xlsx": "文件已损坏或不完整（可能没有传完），请让村里重新发送",
    "empty_sheet.xlsx": "没有可读取的数据（所有工作表都是空的）",
}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A township folder: taizhang.toml and an inbox with one good and six bad files."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taizhang.toml").write_text(
        'township = "青石镇"\nvillages = ["平阳村", "东溪村", "桃源村", "新桥社区", "石门村"]\n',
        encoding="utf-8",
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (GOOD, *BAD):
        shutil.copy(DATA / name, inbox / name)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["--config", "taizhang.toml", "--as-of", "2022-02-08", *args])


def test_validate_json_lists_good_sheet_and_every_bad_file(workspace: Path) -> None:
    result = run("validate", "inbox", "--format", "json")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    data = json.loads(result.stdout)  # stdout is JSON only
    assert set(data) == {"files", "problems"}
    by_name = {Path(f["path"]).name: f for f in data["files"]}
    assert sorted(by_name) == sorted([GOOD, *BAD])
    assert len(data["files"]) == 7  # one sheet of the good file + one entry per failed file
    good = by_name[GOOD]
    assert good == {
        "path": str(Path("inbox") / GOOD), "sheet": "登记表", "kind": "registration",
        "village": "平阳村", "village_source": "title", "rows": 5,
    }
    for name, reason in BAD.items():
        entry = by_name[name]
        assert entry["error"] == reason, name
        assert (entry["sheet"], entry["rows"], entry["kind"]) == (None, 0, None)
    assert data["problems"] == []


def test_validate_files_in_folder_order(workspace: Path) -> None:
    result = run("validate", "inbox", "--format", "json")
    names = [Path(f["path"]).name for f in json.loads(result.stdout)["files"]]
    assert names == sorted([GOOD, *BAD])


def test_validate_reports_failures_on_stderr(workspace: Path) -> None:
    result = run("validate", "inbox", "--format", "json")
    for name, reason in BAD.items():
        assert f"读取失败：{Path('inbox') / name}：{reason}" in result.stderr
    assert "title_rows_merged_header.xlsx“登记表”：村（社区）取自标题行：平阳村" in result.stderr
    assert "header_only.xlsx“Sheet1”：只有表头没有数据行，已跳过" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_table_format(workspace: Path) -> None:
    result = run("validate", "inbox")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "读取失败" in result.stdout  # the failed files are rows of the table
    assert "共读取 1 个文件、1 个工作表、5 行；错误 0 条，警告 0 条，读取失败 6 个文件。" in result.stdout


def test_validate_good_file_alone_exits_0(workspace: Path) -> None:
    result = run("validate", str(Path("inbox") / GOOD), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(f["sheet"], f["rows"]) for f in data["files"]] == [("登记表", 5)]


@pytest.mark.parametrize("name", sorted(BAD))
def test_validate_each_bad_file_alone(workspace: Path, name: str) -> None:
    result = run("validate", str(Path("inbox") / name), "--format", "json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert data == {"files": [{"path": str(Path("inbox") / name), "sheet": None, "kind": None,
                               "village": None, "village_source": None, "rows": 0,
                               "error": BAD[name]}],
                    "problems": []}


def test_validate_missing_path(workspace: Path) -> None:
    result = run("validate", "inbox/nope.xlsx", "--format", "json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (entry,) = json.loads(result.stdout)["files"]
    assert "文件不存在" in entry["error"]
