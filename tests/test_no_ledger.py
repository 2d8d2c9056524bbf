"""No ledger, no report: a command started in the wrong folder, or with a
mistyped --db, says so and exits 2; it never makes an empty ledger and never
reports a 零报告 about one."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
READERS = [
    ["due-today"], ["due-today", "--format", "json"], ["daily-report"],
    ["daily-report", "--format", "json"], ["notice", "test"], ["export", "--format", "csv"],
    ["person", "张三"],
]


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c))
def test_reading_commands_outside_a_workspace_exit_2_and_create_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TAIZHANG_DB", raising=False)
    result = runner.invoke(app, ["--as-of", "2022-02-08", *command])
    assert result.exit_code == 2, result.output
    assert "找不到台账数据库" in result.output and str(tmp_path) in result.output
    assert "零报告" not in result.output and "今日应检" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READERS[:4], ids=lambda c: " ".join(c))
def test_a_mistyped_db_is_named_and_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    wrong = tmp_path / "taizang.db"
    result = runner.invoke(app, ["--db", str(wrong), *command])
    assert result.exit_code == 2
    assert "taizang.db" in result.output
    assert not wrong.exists()


def test_a_mistyped_db_in_the_config_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["平阳村"]\ndb = "data/t.db"\n',
                                            encoding="utf-8")
    result = runner.invoke(app, ["daily-report", "--format", "json"])
    assert result.exit_code == 2 and "t.db" in result.output
    assert not (tmp_path / "data").exists()


def test_import_outside_a_workspace_without_db_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TAIZHANG_DB", raising=False)
    result = runner.invoke(app, ["--as-of", "2022-02-08", "import", str(ROOT / "sample_data")])
    assert result.exit_code == 2
    assert "taizhang init" in result.output and "--db" in result.output
    assert list(tmp_path.iterdir()) == []


def test_import_creates_the_ledger_where_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --db, or in a workspace, the first import makes the ledger; then the readers work."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "named.db"
    result = runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-08", "import",
                                 str(ROOT / "sample_data" / "石门村台账.xlsx")])
    assert result.exit_code == 0, result.output
    assert db.exists()
    assert runner.invoke(app, ["--db", str(db), "due-today", "--format", "json"]).exit_code == 0
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "石门村"]).exit_code == 0
    monkeypatch.chdir(ws)
    result = runner.invoke(app, ["--as-of", "2022-02-08", "import", str(ROOT / "sample_data" / "石门村台账.xlsx")])
    assert result.exit_code == 0, result.output
    assert (ws / "taizhang.db").exists()


def test_daily_outside_a_workspace_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--as-of", "2022-02-08", "daily"])
    assert result.exit_code == 2
    assert "不是工作目录" in result.output
    assert list(tmp_path.iterdir()) == []
