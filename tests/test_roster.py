"""Rosters without dates (SPEC §2, `date_assumed`): a registration list with no
返乡日期 and no 登记日期 column is read, each person's 登记日期 being the as-of
date of the first file that named them.

Hand-computed calendar (default regime returnee_monitor14: base = 返乡日期,
else 登记日期; 14 days; tests on days 1, 7, 14): a roster first imported with
--as-of 2022-02-01 puts its people on day 1 = 02-01, tests 02-01, 02-07,
02-14, planned release 02-15. The same people on a roster imported again on
02-03 stay on 02-01 (else nobody is ever released); a newcomer on that roster
starts on 02-03 (tests 02-03, 02-09, 02-16; release 02-17).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.ingest.validation import FileResult, Validator
from taizhang.ledger.roster import ASSUMED, merge_values
from taizhang.ledger.store import Store

runner = CliRunner()
WU, ZHENG, FENG = make_id(seq="124"), make_id(seq="133"), make_id(seq="143")
HEADER = ["姓名", "身份证号", "电话", "地址", "性别"]
WU_ROW = ["吴海燕", WU, 13805710600, "新桥社区1组", 2]
ZHENG_ROW = ["郑国强", ZHENG, 13805710601, "新桥社区2组", 1]
FENG_ROW = ["冯晓东", FENG, 13805710602, "新桥社区3组", 1]


def write_xlsx(path: Path, *sheets: tuple[str, list[list[Any]]]) -> Path:
    """A workbook as a system writes one: phones and 性别 codes as number cells."""
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets:
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    book.close()
    return path


def roster(path: Path, *rows: list[Any], title: str | None = None) -> Path:
    lines = [[title], HEADER, *rows] if title else [HEADER, *rows]
    return write_xlsx(path, ("花名册", lines))


def cli(db: Path, as_of: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", str(db), "--as-of", as_of, *args])
    assert result.exit_code in (0, 1), result.output
    return result


def person(db: Path, id_number: str, on: str = "2022-02-07") -> dict[str, Any]:
    result = runner.invoke(app, ["--db", str(db), "person", id_number, "--date", on, "--format", "json",
                                 "--no-mask"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def value(view: dict[str, Any], fld: str) -> Any:
    return next((f["value"] for f in view["fields"] if f["field"] == fld), None)


def schedule(view: dict[str, Any]) -> tuple[str, list[str], str]:
    cal = view["calendar"]
    return cal["base_date"], [t["due_date"] for t in cal["tests"]], cal["planned_release_date"]


def imported(db: Path, as_of: str, path: Path) -> dict[str, Any]:
    data = json.loads(cli(db, as_of, "import", str(path), "--format", "json").stdout)
    assert [f["status"] for f in data["files"]] == ["imported"] * len(data["files"]), data
    return data


# =========================================================================== reading a roster


def validate(path: Path, as_of: date = date(2022, 2, 1)) -> FileResult:
    return Validator(as_of=as_of, villages=["新桥社区"]).validate_file(path)


def test_a_roster_is_read_with_one_warning(tmp_path: Path) -> None:
    result = validate(roster(tmp_path / "新桥社区花名册.xlsx", WU_ROW, ZHENG_ROW, FENG_ROW))
    assert result.error is None
    assert [(p.row, p.code, p.severity, p.field) for p in result.problems] == [
        (1, "date_assumed", "warning", "registration_date")]
    message = result.problems[0].message
    assert "3人" in message and "2022-02-01" in message
    assert "返乡日期" in message and "登记日期" in message and "补填" in message
    persons = result.sheets[0].persons
    assert [p.fields["registration_date"] for p in persons] == [date(2022, 2, 1)] * 3
    assert [p.fields["sex"] for p in persons] == ["女", "男", "男"]
    assert [p.person.phone for p in persons] == ["13805710600", "13805710601", "13805710602"]


def test_the_warning_is_on_the_header_row_below_a_title(tmp_path: Path) -> None:
    result = validate(roster(tmp_path / "a.xlsx", WU_ROW, title="青石镇新桥社区返乡人员花名册"))
    assert [(p.row, p.code) for p in result.problems] == [(2, "date_assumed")]
    assert "1人" in result.problems[0].message


def test_a_blank_date_cell_is_still_missing(tmp_path: Path) -> None:
    """The sheet has the column: an empty cell is a gap to fill, not a roster."""
    path = write_xlsx(tmp_path / "新桥社区登记.xlsx", ("登记", [
        [*HEADER, "返乡日期"], [*WU_ROW, "2022-01-30"], [*ZHENG_ROW, None]]))
    result = validate(path)
    assert [(p.row, p.code, p.column) for p in result.problems] == [(3, "missing_required", "返乡日期")]
    assert "registration_date" not in result.sheets[0].persons[1].fields


def test_a_home_isolation_list_counts_from_its_control_start(tmp_path: Path) -> None:
    """A list with 管控开始日期 but no 返乡/登记日期: the warning says the regime
    counts from that column; the assumed 登记日期 only stands in where it is blank."""
    db = tmp_path / "t.db"
    path = write_xlsx(tmp_path / "新桥社区居家隔离.xlsx", ("居家隔离", [
        [*HEADER, "管控开始日期"], [*WU_ROW, "2022-01-30"], [*ZHENG_ROW, None]]))
    data = imported(db, "2022-02-01", path)
    [warning] = data["problems"]
    assert warning["code"] == "date_assumed" and "按“管控开始日期”计算" in warning["message"]
    wu = person(db, WU)
    assert (value(wu, "control_start"), value(wu, "registration_date")) == ("2022-01-30", "2022-02-01")
    assert schedule(wu) == ("2022-01-30", ["2022-01-30", "2022-02-05", "2022-02-12"], "2022-02-13")
    assert schedule(person(db, ZHENG))[0] == "2022-02-01"


def test_validate_exits_0_on_a_roster(tmp_path: Path) -> None:
    path = roster(tmp_path / "新桥社区花名册.xlsx", WU_ROW)
    result = runner.invoke(app, ["--as-of", "2022-02-01", "validate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == ["date_assumed"]


# =========================================================================== the first file's date


def test_the_first_file_gives_the_date_and_it_does_not_move(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    imported(db, "2022-02-01", roster(tmp_path / "新桥社区花名册0201.xlsx", WU_ROW, ZHENG_ROW))
    # the next day's list: the same people and a newcomer (a new file, not the same bytes)
    second = imported(db, "2022-02-03", roster(tmp_path / "新桥社区花名册0203.xlsx", WU_ROW, ZHENG_ROW,
                                              FENG_ROW))
    assert [p["code"] for p in second["problems"]] == ["date_assumed"]
    wu = person(db, WU)
    assert value(wu, "registration_date") == "2022-02-01"
    assert schedule(wu) == ("2022-02-01", ["2022-02-01", "2022-02-07", "2022-02-14"], "2022-02-15")
    feng = person(db, FENG)
    assert value(feng, "registration_date") == "2022-02-03"
    assert schedule(feng) == ("2022-02-03", ["2022-02-03", "2022-02-09", "2022-02-16"], "2022-02-17")
    # the due list of 02-07: day 7 of the first two; nobody has tested, so every
    # day-1 test is overdue: 02-07 − 02-01 = 6 days, the newcomer's 02-07 − 02-03 = 4
    due = json.loads(cli(db, "2022-02-07", "due-today", "--date", "2022-02-07", "--format", "json",
                         "--no-mask").stdout)
    assert sorted((e["name"], e["day"], e["due_date"]) for e in due["tests_due"]) == [
        ("吴海燕", 7, "2022-02-07"), ("郑国强", 7, "2022-02-07")]
    assert sorted((e["name"], e["day"], e["days_overdue"]) for e in due["tests_overdue"]) == [
        ("冯晓东", 1, 4), ("吴海燕", 1, 6), ("郑国强", 1, 6)]


def test_the_same_roster_sent_again_is_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    path = roster(tmp_path / "新桥社区花名册.xlsx", WU_ROW)
    imported(db, "2022-02-01", path)
    again = json.loads(cli(db, "2022-02-03", "import", str(path), "--format", "json").stdout)
    assert [f["status"] for f in again["files"]] == ["unchanged"]
    assert value(person(db, WU), "registration_date") == "2022-02-01"


def test_a_real_registration_date_wins(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    imported(db, "2022-02-01", roster(tmp_path / "新桥社区花名册.xlsx", WU_ROW))
    dated = write_xlsx(tmp_path / "新桥社区登记表.xlsx", ("登记", [
        [*HEADER, "登记日期"], [*WU_ROW, "2022-02-02"]]))
    imported(db, "2022-02-04", dated)
    wu = person(db, WU)
    assert value(wu, "registration_date") == "2022-02-02"
    assert schedule(wu) == ("2022-02-02", ["2022-02-02", "2022-02-08", "2022-02-15"], "2022-02-16")
    # a roster after that changes nothing
    imported(db, "2022-02-05", roster(tmp_path / "新桥社区花名册0205.xlsx", WU_ROW, ZHENG_ROW))
    assert value(person(db, WU), "registration_date") == "2022-02-02"


def test_a_real_arrival_date_replaces_the_assumed_one_and_undo_brings_it_back(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    imported(db, "2022-02-01", roster(tmp_path / "新桥社区花名册.xlsx", WU_ROW))
    dated = write_xlsx(tmp_path / "新桥社区返乡.xlsx", ("返乡", [
        [*HEADER, "返乡日期"], [*WU_ROW, "2022-01-28"]]))
    batch = imported(db, "2022-02-04", dated)
    assert batch["problems"] == []
    wu = person(db, WU)
    assert (value(wu, "arrival_date"), value(wu, "registration_date")) == ("2022-01-28", None)
    assert schedule(wu) == ("2022-01-28", ["2022-01-28", "2022-02-03", "2022-02-10"], "2022-02-11")
    # taken out again, the ledger is as before it: the roster's date is back
    with Store(db) as store:
        last = store.db.execute("SELECT max(id) FROM batches").fetchone()[0]
    assert runner.invoke(app, ["--db", str(db), "undo", str(last)]).exit_code == 0
    wu = person(db, WU)
    assert (value(wu, "arrival_date"), value(wu, "registration_date")) == (None, "2022-02-01")


def test_a_dated_sheet_beside_the_roster_in_one_workbook(tmp_path: Path) -> None:
    """Either sheet first: the real date wins within one file too."""
    dated = ("返乡", [[*HEADER, "返乡日期"], [*WU_ROW, "2022-01-29"]])
    names = ("花名册", [HEADER, WU_ROW, ZHENG_ROW])
    for order in ((names, dated), (dated, names)):
        db = tmp_path / f"{order[0][0]}.db"
        imported(db, "2022-02-01", write_xlsx(tmp_path / f"新桥社区{order[0][0]}.xlsx", *order))
        wu, zheng = person(db, WU), person(db, ZHENG)
        assert (value(wu, "arrival_date"), value(wu, "registration_date")) == ("2022-01-29", None)
        assert value(zheng, "registration_date") == "2022-02-01"


@pytest.mark.parametrize(("column", "cell", "arrival", "registered"), [
    ("登记日期", "2022-01-31", None, "2022-01-31"),
    ("返乡日期", "2022-01-30", "2022-01-30", None),
])
def test_an_older_file_imported_later_still_wins(tmp_path: Path, column: str, cell: str,
                                                 arrival: str | None, registered: str | None) -> None:
    """A roster of 02-03 first, then a delayed file of 02-01 with a real date:
    the ledger is merged again in as-of order, and the real date still wins."""
    db = tmp_path / "t.db"
    imported(db, "2022-02-03", roster(tmp_path / "新桥社区花名册.xlsx", WU_ROW))
    late = write_xlsx(tmp_path / "新桥社区登记.xlsx", ("登记", [[*HEADER, column], [*WU_ROW, cell]]))
    imported(db, "2022-02-01", late)
    wu = person(db, WU)
    assert (value(wu, "arrival_date"), value(wu, "registration_date")) == (arrival, registered)


def test_merge_values_keeps_the_first_assumed_date_and_gives_way_to_a_real_one() -> None:
    """The rule as rows are laid over each other in as-of order (`roster.merge_values`)."""
    values: dict[str, Any] = {}
    merge_values(values, {"name": "吴海燕", "registration_date": "2022-02-01", ASSUMED: "2022-02-01"})
    assert values["registration_date"] == "2022-02-01"
    merge_values(values, {"name": "吴海燕", ASSUMED: "2022-02-03"})  # the roster again
    merge_values(values, {"name": "吴海燕", "registration_date": "2022-02-03", ASSUMED: "2022-02-03"})
    assert values["registration_date"] == "2022-02-01"
    merge_values(values, {"arrival_date": "2022-01-28", "registration_date": None})  # a real date
    assert (values["arrival_date"], values["registration_date"]) == ("2022-01-28", None)
    merge_values(values, {ASSUMED: "2022-02-05"})
    assert values["registration_date"] is None
    # the first roster taken out (undo): the next one that remains gives the date
    alone: dict[str, Any] = {}
    merge_values(alone, {"name": "吴海燕", ASSUMED: "2022-02-03"})
    assert alone["registration_date"] == "2022-02-03"


def test_undoing_the_first_roster_leaves_the_next_one_s_date(tmp_path: Path) -> None:
    """Undo recomputes values by the same rule as the import: with the 02-01
    roster undone, 吴海燕 is on the 02-03 roster's date (the first remaining
    file that named her), not dateless and gone from the lists."""
    db = tmp_path / "t.db"
    imported(db, "2022-02-01", roster(tmp_path / "新桥社区花名册0201.xlsx", WU_ROW))
    imported(db, "2022-02-03", roster(tmp_path / "新桥社区花名册0203.xlsx", WU_ROW, ZHENG_ROW))
    assert value(person(db, WU), "registration_date") == "2022-02-01"
    assert cli(db, "2022-02-07", "undo", "1").exit_code == 0
    wu = person(db, WU)
    assert value(wu, "registration_date") == "2022-02-03"
    assert schedule(wu) == ("2022-02-03", ["2022-02-03", "2022-02-09", "2022-02-16"], "2022-02-17")
