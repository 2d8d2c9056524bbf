"""Days that run off the calendar (issue 15, cause 6): a --date or --as-of of
0001-01-01 or 9999-12-31 is a usage error (exit 2) naming the option, never an
internal OverflowError; the neighbours inside the range work."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dates") / "t.db"
    result = runner.invoke(app, ["--db", str(path), "--as-of", "2022-02-08", "import", str(ROOT / "sample_data")])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("args", [
    ["due-today", "--date", "0001-01-01"], ["due-today", "--date", "9999-12-31"],
    ["daily-report", "--date", "0001-01-02", "--format", "json"], ["person", "张三", "--date", "1899-12-31"],
])
def test_a_date_off_the_calendar_is_a_usage_error(db: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert "--date" in result.output and "年份" in result.output
    assert "内部错误" not in result.output


def test_as_of_off_the_calendar_is_a_usage_error(db: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "--as-of", "9999-12-31", "due-today"])
    assert result.exit_code == 2 and "--as-of" in result.output


@pytest.mark.parametrize("day", ["1900-01-01", "2199-12-31"])
def test_the_ends_of_the_range_work(db: Path, day: str) -> None:
    for args in (["due-today", "--date", day, "--format", "json"], ["daily-report", "--date", day, "--format", "json"]):
        result = runner.invoke(app, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
