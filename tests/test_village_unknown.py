"""People you cannot place are shown, not hidden: people of a sheet without
any village, like those of a village name not on the list, count under
村名未知, last in the report, never as a village line of their own; a
--village not on the list is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
CONFIG = 'township = "青石镇"\nvillages = ["平阳村", "石门村"]\n'
HEADER = "姓名,身份证号,联系电话,返乡日期,登记日期\n"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taizhang.toml").write_text(CONFIG, encoding="utf-8")
    files = tmp_path / "files"
    files.mkdir()
    # no village anywhere: not in a column, the file name, the sheet name or a title
    (files / "新增人员(1).csv").write_text(
        HEADER + f"王伟,{make_id(seq='101')},13800000001,2022-02-08,2022-02-08\n"
                 f"李娜,{make_id(seq='102')},13800000002,2022-02-08,2022-02-08\n", encoding="utf-8")
    # a village column with a misspelt name, and one right one
    (files / "登记.csv").write_text(
        "姓名,身份证号,联系电话,村,返乡日期,登记日期\n"
        f"张伟,{make_id(seq='103')},13800000003,石们村,2022-02-08,2022-02-08\n"
        f"刘洋,{make_id(seq='104')},13800000004,石门村,2022-02-08,2022-02-08\n", encoding="utf-8")
    result = runner.invoke(app, ["--as-of", "2022-02-08", "import", "files", "--format", "json"])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_unplaced_people_count_under_cunming_weizhi_last(ws: Path) -> None:
    report = json.loads(runner.invoke(app, ["--as-of", "2022-02-08", "daily-report", "--format", "json"]).stdout)
    names = [v["village"] for v in report["villages"]]
    assert names == ["平阳村", "石门村", "村名未知"]  # no line for 石们村 or for ""
    unknown = report["villages"][-1]
    assert unknown["new_registrations"] == 3  # 王伟, 李娜 (no village) and 张伟 (石们村)
    assert report["villages"][1]["new_registrations"] == 1  # 刘洋
    assert report["totals"]["villages"] == 2  # 村名未知 is not a village that submits
    text = runner.invoke(app, ["--as-of", "2022-02-08", "daily-report"]).stdout
    assert "3. 村名未知：" in text and "村名未知（未报送）" not in text
    assert "【村名未知】3人找不到所属村（社区），来自新增人员(1).csv、登记.csv" in text
    not_sent = next(line for line in text.splitlines() if line.startswith("【未报送】"))
    assert "平阳村" in not_sent and "村名未知" not in not_sent  # 村名未知 is never asked to submit


def test_no_cunming_weizhi_row_when_everyone_is_placed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taizhang.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "石门村登记.csv").write_text(
        HEADER + f"刘洋,{make_id(seq='104')},13800000004,2022-02-08,2022-02-08\n", encoding="utf-8")
    assert runner.invoke(app, ["--as-of", "2022-02-08", "import", "石门村登记.csv"]).exit_code == 0
    report = json.loads(runner.invoke(app, ["--as-of", "2022-02-08", "daily-report", "--format", "json"]).stdout)
    assert [v["village"] for v in report["villages"]] == ["平阳村", "石门村"]
    assert "村名未知" not in runner.invoke(app, ["--as-of", "2022-02-08", "daily-report"]).stdout


@pytest.mark.parametrize("command", [["validate", "files"], ["import", "files"], ["due-today"]])
def test_a_village_option_not_on_the_list_names_the_closest(ws: Path, command: list[str]) -> None:
    result = runner.invoke(app, ["--as-of", "2022-02-08", *command, "--village", "石们村"])
    assert result.exit_code == 2
    assert "石们村" in result.output and "是否是“石门村”" in result.output


def test_the_xlsx_report_does_not_call_cunming_weizhi_unsubmitted(ws: Path) -> None:
    from python_calamine import CalamineWorkbook

    result = runner.invoke(app, ["--as-of", "2022-02-08", "daily-report", "--format", "xlsx", "--out", str(ws)])
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(ws / "日报告_2022-02-08.xlsx")).get_sheet_by_index(0).to_python()
    unknown = next(r for r in rows if r and r[0] == "村名未知")
    assert unknown[-1] == "—"
    assert next(r for r in rows if r and r[0] == "平阳村")[-1] == "未报送"
