"""The report counts what it lists, and the same words never name two numbers.

Every number in the rendered text report is checked against the JSON field it
names, village by village; the exception lines name exactly the people the
numbers count; the due list's heading for open tests is not the report's
"今日应检" (tests scheduled for today)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.ledger.store import Store

runner = CliRunner()
DAYS = ["2022-02-05", "2022-02-06", "2022-02-07", "2022-02-08"]
SUMMARY = {  # phrase in the summary sentence -> totals key
    r"今日新增登记(\d+)人": "new_registrations", r"今日解除(\d+)人": "released_today",
    r"累计解除(\d+)人": "released_total", r"今日应检(\d+)人次": "tests_due",
    r"已检(\d+)人次": "tests_done", r"逾期未检(\d+)人次": "tests_overdue",
    r"新增阳性(\d+)人": "positives", r"发热(\d+)人": "fever", r"失联(\d+)人": "lost_contact",
    r"(\d+)个村（社区）已报送": "submitted",
}
VILLAGE = {r"新增登记(\d+)人": "new_registrations", r"今日解除(\d+)人": "released_today",
           r"应检(\d+)人次": "tests_due", r"已检(\d+)人次": "tests_done"}
OPTIONAL = {r"逾期未检(\d+)人次": "tests_overdue", r"阳性(\d+)人": "positives", r"发热(\d+)人": "fever",
            r"失联(\d+)人": "lost_contact"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村,东溪村,桃源村,新桥社区,石门村"]).exit_code == 0
    db = ws / "taizhang.db"
    result = runner.invoke(app, ["--db", str(db), "--config", str(ws / "taizhang.toml"), "--as-of", "2022-02-08",
                                 "import", str(ROOT / "sample_data")])
    assert result.exit_code == 0, result.output
    return ws


def _run(ws: Path, *args: str) -> str:
    result = runner.invoke(app, ["--db", str(ws / "taizhang.db"), "--config", str(ws / "taizhang.toml"),
                                 "--as-of", "2022-02-08", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("day", DAYS)
def test_every_number_in_the_text_is_the_json_field_it_names(workspace: Path, day: str) -> None:
    report = json.loads(_run(workspace, "daily-report", "--date", day, "--format", "json"))
    text = _run(workspace, "daily-report", "--date", day, "--format", "text")
    summary = next(line for line in text.splitlines() if line.startswith("截至"))
    totals = report["totals"]
    assert int(re.search(r"全镇在管人员(\d+)人", summary)[1]) == sum(totals["under_control"].values())
    for phrase, key in SUMMARY.items():
        assert int(re.search(phrase, summary)[1]) == totals[key], (phrase, summary)
    lines = {m[1]: m[2] for m in re.finditer(r"^\d+\. (\S+?)(?:（未报送）)?：(.*)$", text, flags=re.M)}
    assert list(lines) == [v["village"] for v in report["villages"]]
    for v in report["villages"]:
        line = lines[v["village"]]
        assert int(re.match(r"在管(\d+)人", line)[1]) == sum(v["under_control"].values())
        for phrase, key in VILLAGE.items():
            assert int(re.search(phrase, line)[1]) == v[key], (phrase, line)
        for phrase, key in OPTIONAL.items():  # shown only when not zero
            found = re.search(phrase, line)
            assert (int(found[1]) if found else 0) == v[key], (phrase, line)
        assert ("零报告" in line) == (v["zero_report"] and v["submitted"])


def _section(text: str, tag: str) -> tuple[str, list[str], int | None]:
    """The 【tag】 exception of the text report: its heading, one line per
    person listed, and N of "…等N人，详见附件" when the list was cut."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"【{tag}】")), None)
    if start is None:
        return "", [], None
    people: list[str] = []
    for line in lines[start + 1:]:
        if not line or line.startswith("【"):
            break
        more = re.fullmatch(r"…等(\d+)人，详见附件", line)
        if more:
            return lines[start], people, int(more[1])
        people.append(line)
    return lines[start], people, None


def _check_exceptions(ws: Path, day: str, limit: int) -> None:
    report = json.loads(_run(ws, "daily-report", "--date", day, "--format", "json"))
    text = _run(ws, "daily-report", "--date", day, "--format", "text")
    due = json.loads(_run(ws, "due-today", "--date", day, "--format", "json"))
    # 发热: one line per person, every reading of that person on the line
    heading, lines, more = _section(text, "发热")
    people = {(e["village"], e["name"]) for e in due["fever"]}
    assert report["totals"]["fever"] == len(people)
    if people:
        assert int(re.match(r"【发热】(\d+)人", heading)[1]) == len(people)
    assert len(lines) == min(limit, len(people))
    assert more == (len(people) if len(people) > limit else None)  # 等N人 makes up the total
    assert {tuple(line.split("（")[0].split(" ", 1)) for line in lines} <= people
    if more is None:
        assert {tuple(line.split("（")[0].split(" ", 1)) for line in lines} == people
        assert sum(line.count("℃") for line in lines) == len(due["fever"])
    # 逾期未检: one line per person with all of that person's overdue tests
    heading, lines, more = _section(text, "逾期未检")
    people = {(e["village"], e["name"]) for e in due["tests_overdue"]}
    assert report["totals"]["tests_overdue"] == len(due["tests_overdue"])
    if people:
        found = re.match(r"【逾期未检】(\d+)人（(\d+)人次）", heading)
        assert (int(found[1]), int(found[2])) == (len(people), report["totals"]["tests_overdue"])
    assert len(lines) == min(limit, len(people))
    assert more == (len(people) if len(people) > limit else None)
    assert len({tuple(line.split("（")[0].split(" ", 1)) for line in lines}) == len(lines)
    if more is None:
        assert {tuple(line.split("（")[0].split(" ", 1)) for line in lines} == people
        assert sum(len(re.findall(r"第\d+天", line)) for line in lines) == len(due["tests_overdue"])
    for line in lines:
        name = tuple(line.split("（")[0].split(" ", 1))
        mine = [e for e in due["tests_overdue"] if (e["village"], e["name"]) == name]
        assert re.findall(r"第(\d+)天", line) == [str(e["day"]) for e in mine]
        assert f"逾期{max(e['days_overdue'] for e in mine)}天" in line


@pytest.mark.parametrize("day", DAYS)
def test_the_exceptions_name_the_people_the_numbers_count(workspace: Path, day: str) -> None:
    _check_exceptions(workspace, day, 10)


@pytest.mark.parametrize("day", ["2022-02-08", "2022-02-10"])
def test_a_capped_exception_list_counts_the_people_it_leaves_out(
        workspace: Path, tmp_path: Path, day: str) -> None:
    """With [wechat] limit = 1 in the office's labels.toml, each kind lists one
    person and "…等N人，详见附件" gives the total; the numbers stay the same."""
    ws = tmp_path / "ws"
    shutil.copytree(workspace, ws)
    (ws / "templates").mkdir(exist_ok=True)
    (ws / "templates" / "labels.toml").write_text("[wechat]\nlimit = 1\n", encoding="utf-8")
    _check_exceptions(ws, day, 1)
    text = _run(ws, "daily-report", "--date", day, "--format", "text")
    assert "…等" in text  # the sample has more than one person in some list on these days


def test_the_due_list_does_not_call_open_tests_today_s_tests(workspace: Path) -> None:
    """The report's 今日应检 counts tests scheduled for today (done or not); the due
    list shows the open ones, yesterday's late ones included: another heading."""
    due = json.loads(_run(workspace, "due-today", "--date", "2022-02-08", "--format", "json"))
    table = _run(workspace, "due-today", "--date", "2022-02-08")
    assert f"今日待检（含昨日应检未检）（{len(due['tests_due'])}）" in table
    assert "今日应检" not in table


def test_a_day_nobody_submitted_is_no_zero_report(workspace: Path) -> None:
    """The sample files are dated 2022-02-08: on 02-05 no village has sent anything."""
    text = _run(workspace, "daily-report", "--date", "2022-02-05", "--format", "text")
    title = text.splitlines()[0]
    assert "未报送" in title and "零报告" not in title
    assert "不能报零报告" in text
    md = _run(workspace, "daily-report", "--date", "2022-02-05", "--format", "md")
    assert "零报告（" not in md.splitlines()[0] and "未报送" in md.splitlines()[0]


def test_a_zero_report_names_the_villages_that_did_not_submit(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "桃源村,新桥社区"]).exit_code == 0
    base = ["--db", str(ws / "taizhang.db"), "--config", str(ws / "taizhang.toml"), "--as-of", "2022-02-08"]
    result = runner.invoke(app, [*base, "import", str(ROOT / "sample_data" / "桃源村返乡人员登记.xls")])
    assert result.exit_code == 0, result.output
    report = json.loads(runner.invoke(app, [*base, "daily-report", "--format", "json"]).stdout)
    assert report["zero_report"] and report["totals"]["submitted"] == 1  # the premise
    text = runner.invoke(app, [*base, "daily-report", "--format", "text"]).stdout
    assert text.splitlines()[0].startswith("青石镇疫情防控零报告")
    assert "零报告（新桥社区未报送，不在零报告之内）" in text
    assert "2. 新桥社区（未报送）：" in text and "零报告" not in text.split("2. 新桥社区")[1].split("\n")[0]


def _submitted(base: list[str], day: str) -> dict[str, bool]:
    result = runner.invoke(app, [*base, "daily-report", "--date", day, "--format", "json"])
    assert result.exit_code == 0, result.output
    return {v["village"]: v["submitted"] for v in json.loads(result.stdout)["villages"]}


def test_an_unchanged_file_sent_again_counts_as_sent(tmp_path: Path) -> None:
    """桃源村 sends its file on 02-07 and the same bytes again on 02-08: on 02-08
    it has sent, not 未报送; a file merely still lying in the inbox was not
    sent again; an undone file never was."""
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "桃源村,新桥社区"]).exit_code == 0
    base = ["--db", str(ws / "taizhang.db"), "--config", str(ws / "taizhang.toml")]
    inbox = ws / "inbox"
    sent = inbox / "桃源村返乡人员登记.xls"
    shutil.copy(ROOT / "sample_data" / sent.name, sent)
    first = runner.invoke(app, [*base, "--as-of", "2022-02-07", "import", str(inbox), "--format", "json"])
    assert first.exit_code == 0, first.output
    assert _submitted(base, "2022-02-08") == {"桃源村": False, "新桥社区": False}
    # still lying in the inbox the next day: not sent again
    lying = runner.invoke(app, [*base, "--as-of", "2022-02-08", "import", str(inbox), "--format", "json"])
    assert [f["status"] for f in json.loads(lying.stdout)["files"]] == ["unchanged"]
    assert _submitted(base, "2022-02-08") == {"桃源村": False, "新桥社区": False}
    # downloaded again over itself (a new modification time): sent on 02-08
    shutil.copy(ROOT / "sample_data" / sent.name, sent)
    os.utime(sent, ns=(sent.stat().st_atime_ns, sent.stat().st_mtime_ns + 10**9))
    again = runner.invoke(app, [*base, "--as-of", "2022-02-08", "import", str(inbox), "--format", "json"])
    assert [f["status"] for f in json.loads(again.stdout)["files"]] == ["unchanged"]
    assert _submitted(base, "2022-02-08") == {"桃源村": True, "新桥社区": False}
    assert _submitted(base, "2022-02-07") == {"桃源村": True, "新桥社区": False}
    assert _submitted(base, "2022-02-09") == {"桃源村": False, "新桥社区": False}
    text = runner.invoke(app, [*base, "daily-report", "--date", "2022-02-08", "--format", "text"]).stdout
    assert "桃源村（未报送）" not in text and "新桥社区（未报送）" in text
    # saved under another name on 02-09 ("(1)" of a second download): sent on 02-09
    shutil.copy(sent, inbox / "桃源村返乡人员登记(1).xls")
    assert runner.invoke(app, [*base, "--as-of", "2022-02-09", "import", str(inbox)]).exit_code == 0
    assert _submitted(base, "2022-02-09") == {"桃源村": True, "新桥社区": False}
    assert runner.invoke(app, [*base, "undo", "1"]).exit_code == 0
    assert _submitted(base, "2022-02-08") == {"桃源村": False, "新桥社区": False}


def test_a_file_naming_several_villages_is_no_village_s_submission(
        tmp_path: Path, write_csv) -> None:
    """A township or hospital list with rows of two villages does not tell the
    township that either village reported."""
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村,东溪村"]).exit_code == 0
    base = ["--db", str(ws / "taizhang.db"), "--config", str(ws / "taizhang.toml"), "--as-of", "2022-02-08"]
    both = write_csv("全镇返乡人员.csv", [
        ["姓名", "联系电话", "村", "返乡日期"],
        ["张三", "13812345678", "平阳村", "2022-02-08"], ["李四", "13912345678", "东溪村", "2022-02-08"]])
    one = write_csv("东溪村返乡人员.csv", [
        ["姓名", "联系电话", "返乡日期"], ["王五", "13712345678", "2022-02-08"]])
    assert runner.invoke(app, [*base, "import", str(both)]).exit_code == 0
    assert _submitted(base, "2022-02-08") == {"平阳村": False, "东溪村": False}
    assert runner.invoke(app, [*base, "import", str(one)]).exit_code == 0
    assert _submitted(base, "2022-02-08") == {"平阳村": False, "东溪村": True}


def test_a_file_of_an_older_ledger_lying_in_the_inbox_is_not_sent_again(tmp_path: Path) -> None:
    """Batches of a version-4 ledger have no sighting: found at their own path
    they are taken as lying there, found at another path as sent again."""
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "桃源村"]).exit_code == 0
    base = ["--db", str(ws / "taizhang.db"), "--config", str(ws / "taizhang.toml")]
    sent = ws / "inbox" / "桃源村返乡人员登记.xls"
    shutil.copy(ROOT / "sample_data" / sent.name, sent)
    assert runner.invoke(app, [*base, "--as-of", "2022-02-07", "import", str(sent)]).exit_code == 0
    with Store(ws / "taizhang.db") as store:
        store.db.execute("DELETE FROM sightings")  # as a version-4 ledger left it
    os.utime(sent, ns=(sent.stat().st_atime_ns, sent.stat().st_mtime_ns + 10**9))
    assert runner.invoke(app, [*base, "--as-of", "2022-02-08", "import", str(sent)]).exit_code == 0
    assert _submitted(base, "2022-02-08") == {"桃源村": False}
    os.utime(sent, ns=(sent.stat().st_atime_ns, sent.stat().st_mtime_ns + 10**9))
    assert runner.invoke(app, [*base, "--as-of", "2022-02-08", "import", str(sent)]).exit_code == 0
    assert _submitted(base, "2022-02-08") == {"桃源村": True}  # written anew after the first sighting
