"""The day's work per responsible person (issue 17, point 3), on a
hand-computed calendar.

平阳村, default regime 返乡人员健康监测 (14 days; tests on days 1, 7, 14;
temperatures twice a day): 李四 returned 02-01 (包保 张三, 村医 刘医生): on
02-07 his day-7 test is due, his day-1 test of 02-01 is 6 days overdue and
yesterday (02-06) he reported no temperature; 王五 returned 02-07 (张三):
day-1 test; 赵六 returned 02-07 with nobody responsible: 未分配."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ledger.store import Store
from taizhang.outputs.due_lists import LIST_KEYS, due_today
from taizhang.outputs.tasks import group_tasks, responsible_people, task_lines
from taizhang.outputs.templating import load_labels

LI, WANG, ZHAO = make_id(seq="113"), make_id(seq="123"), make_id(seq="133")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tasks")
    rows = ["姓名,身份证号,联系电话,村,返乡日期,包保责任人,村医",
            f"李四,{LI},13812345671,平阳村,2022-02-01,张三,刘医生",
            f"王五,{WANG},13812345672,平阳村,2022-02-07,张三,刘医生",
            f"赵六,{ZHAO},13812345673,平阳村,2022-02-07,,"]
    (folder / "平阳村.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = folder / "t.db"
    result = CliRunner().invoke(app, ["--db", str(path), "--as-of", "2022-02-07", "import",
                                      str(folder / "平阳村.csv")])
    assert result.exit_code == 0, result.output
    return path


def lines(db: Path, role: str) -> list[str]:
    labels = load_labels()
    with Store(db) as store:
        lists = due_today(store, date(2022, 2, 7), load_policy())
        return task_lines(group_tasks(lists, responsible_people(store, role), labels), role, labels)


def test_one_line_per_responsible_person_with_each_returnee_once(db: Path) -> None:
    assert lines(db, "guardian") == [
        "平阳村 张三（包保）今日：李四 第7天核酸、第1天核酸逾期6天、2月6日体温只报0次；王五 第1天核酸",
        "平阳村 未分配（包保）今日：赵六 第1天核酸",
    ]
    assert lines(db, "doctor")[0].startswith("平阳村 刘医生（村医）今日：李四 第7天核酸")


def test_every_entry_of_the_lists_is_someone_s_task(db: Path) -> None:
    labels = load_labels()
    with Store(db) as store:
        lists = due_today(store, date(2022, 2, 7), load_policy())
        groups = group_tasks(lists, responsible_people(store, "guardian"), labels)
    assert sum(len(d.tasks) for g in groups for d in g.duties.values()) == sum(
        len(lists[k]) for k in LIST_KEYS) == 5


def test_due_today_by_guardian_and_doctor(db: Path) -> None:
    import json

    runner = CliRunner()
    table = runner.invoke(app, ["--db", str(db), "due-today", "--date", "2022-02-07", "--by", "guardian"])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines() == lines(db, "guardian")
    data = json.loads(runner.invoke(app, ["--db", str(db), "due-today", "--date", "2022-02-07", "--by",
                                          "doctor", "--format", "json"]).stdout)
    assert (data["date"], data["by"]) == ("2022-02-07", "doctor")
    assert [(g["village"], g["doctor"], [p["name"] for p in g["people"]]) for g in data["groups"]] == [
        ("平阳村", "刘医生", ["李四", "王五"]), ("平阳村", None, ["赵六"])]
    assert data["groups"][0]["people"][0]["id_number"] == LI[:6] + "********" + LI[-4:]  # masked
    for bad in (["--by", "leader"], ["--by", "guardian", "--format", "csv"]):
        result = runner.invoke(app, ["--db", str(db), "due-today", *bad])
        assert result.exit_code == 2, result.output


def test_daily_writes_the_tasks_for_wechat(tmp_path: Path, db: Path) -> None:
    ws = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村"]).exit_code == 0
    (ws / "taizhang.db").write_bytes(db.read_bytes())
    result = runner.invoke(app, ["--config", str(ws / "taizhang.toml"), "--db", str(ws / "taizhang.db"),
                                 "daily", "--date", "2022-02-07"])
    assert result.exit_code == 0, result.output
    text = (ws / "out" / "2022-02-07" / "今日任务_2022-02-07.txt").read_text(encoding="utf-8")
    assert lines(db, "guardian")[0] in text and "刘医生（村医）" in text and "未分配（包保）" in text
