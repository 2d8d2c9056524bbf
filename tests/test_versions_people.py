"""A newer version of a file that no longer registers someone (found by the
benchmark's daily step, issue 18): a person keyed by name + phone because the
first version's ID had a wrong check digit, whose ID the next version fixes,
must not stay registered beside the person with the ID — counted twice, due
twice. Undoing the newer version registers them again."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
GOOD = make_id(seq="315")
BAD = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")  # a wrong check digit
OTHER = make_id(seq="325")


def _run(db: Path, as_of: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", str(db), "--as-of", as_of, *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _due(db: Path) -> list[str]:
    data = json.loads(_run(db, "2022-02-08", "due-today", "--date", "2022-02-07", "--format", "json",
                           "--no-mask"))
    return sorted(e["name"] for e in data["tests_due"])


def _file(path: Path, ident: str) -> None:
    path.write_text("姓名,身份证号,联系电话,返乡日期\n"
                    f"汤德明,{ident},13905710001,2022-02-07\n"
                    f"方凤文,{OTHER},13905710002,2022-02-07\n", encoding="utf-8")


def test_a_fixed_id_leaves_one_person(tmp_path: Path) -> None:
    db, sent = tmp_path / "t.db", tmp_path / "平阳村登记.csv"
    _file(sent, BAD)
    _run(db, "2022-02-07", "import", str(sent))
    assert _due(db) == ["方凤文", "汤德明"]  # the unverified 汤德明 (name + phone) is due
    _file(sent, GOOD)  # the village fixes the check digit and sends the file again
    report = json.loads(_run(db, "2022-02-08", "import", str(sent), "--format", "json"))
    assert [f["status"] for f in report["files"]] == ["imported"]
    assert _due(db) == ["方凤文", "汤德明"]  # once, not twice
    report_json = json.loads(_run(db, "2022-02-08", "daily-report", "--date", "2022-02-07", "--format", "json"))
    assert report_json["totals"]["new_registrations"] == 2
    batches = json.loads(_run(db, "2022-02-08", "batches", "--format", "json"))["batches"]
    _run(db, "2022-02-08", "undo", str(batches[-1]["batch"]))  # back to the first version
    assert _due(db) == ["方凤文", "汤德明"]


def test_someone_registered_by_another_file_stays_registered(tmp_path: Path) -> None:
    """The neighbour: the person the newer version dropped is still registered
    by another village file: still registered, still due."""
    db, sent, other = tmp_path / "t.db", tmp_path / "平阳村登记.csv", tmp_path / "东溪村补报.csv"
    _file(sent, BAD)
    other.write_text(f"姓名,身份证号,联系电话,返乡日期\n汤德明,{BAD},13905710001,2022-02-07\n", encoding="utf-8")
    _run(db, "2022-02-07", "import", str(sent), str(other))
    sent.write_text(f"姓名,身份证号,联系电话,返乡日期\n方凤文,{OTHER},13905710002,2022-02-07\n", encoding="utf-8")
    _run(db, "2022-02-08", "import", str(sent))
    assert _due(db) == ["方凤文", "汤德明"]


def test_a_newer_version_that_leaves_people_out_keeps_them(tmp_path: Path) -> None:
    """A village that reuses one file name for each day's new people: the
    next day's file no longer holds yesterday's people, who stay registered
    and due (a wrong list means a test missed)."""
    db, sent = tmp_path / "t.db", tmp_path / "平阳村新增人员.csv"
    _file(sent, BAD)
    _run(db, "2022-02-07", "import", str(sent))
    sent.write_text(f"姓名,身份证号,联系电话,返乡日期\n李新,{make_id(seq='335')},13905710003,2022-02-07\n",
                    encoding="utf-8")
    _run(db, "2022-02-08", "import", str(sent))
    assert _due(db) == ["方凤文", "李新", "汤德明"]


# --- a cell the village empties in a newer version (issue 18's daily check) ---

def _person(db: Path) -> dict[str, str | None]:
    """汤德明's current values as `taizhang person` shows them (a field whose
    value is gone is listed with its history and no value)."""
    data = json.loads(_run(db, "2022-02-09", "person", GOOD, "--format", "json", "--no-mask"))
    return {f["field"]: f["value"] for f in data["fields"] if f["value"] is not None}


def _remarks(db: Path) -> str | None:
    return _person(db).get("remarks")


def _registration(path: Path, remarks: str, address: str = "平阳村3组") -> None:
    path.write_text("姓名,身份证号,联系电话,返乡日期,现住址,备注\n"
                    f"汤德明,{GOOD},13905710001,2022-02-07,{address},{remarks}\n"
                    f"方凤文,{OTHER},13905710002,2022-02-07,平阳村5组,\n", encoding="utf-8")


def test_a_value_emptied_in_a_newer_version_is_gone(tmp_path: Path) -> None:
    """The village clears 备注 and sends the file again: the ledger holds what
    a fresh import of the new version would (no 备注), and the address the
    row still has. Undoing the new version brings the 备注 back."""
    db, sent = tmp_path / "t.db", tmp_path / "平阳村登记.csv"
    _registration(sent, "居家观察三天")
    _run(db, "2022-02-07", "import", str(sent))
    assert _remarks(db) == "居家观察三天"
    _registration(sent, "")
    _run(db, "2022-02-08", "import", str(sent))
    assert _remarks(db) is None
    assert _person(db)["address"] == "平阳村3组"
    fresh = tmp_path / "fresh.db"
    _run(fresh, "2022-02-08", "import", str(sent))
    assert _person(fresh) == _person(db)
    batches = json.loads(_run(db, "2022-02-09", "batches", "--format", "json"))["batches"]
    _run(db, "2022-02-09", "undo", str(batches[-1]["batch"]))
    assert _remarks(db) == "居家观察三天"


def test_another_file_without_the_column_leaves_the_value(tmp_path: Path) -> None:
    """The neighbour: a test list has no 备注 column; its rows about the person
    erase nothing the registration says, also when it is sent again."""
    db, sent, tests = tmp_path / "t.db", tmp_path / "平阳村登记.csv", tmp_path / "平阳村核酸.csv"
    _registration(sent, "居家观察三天")
    tests.write_text(f"姓名,身份证号,采样日期,检测结果\n汤德明,{GOOD},2022-02-07,阴性\n", encoding="utf-8")
    _run(db, "2022-02-07", "import", str(sent), str(tests))
    tests.write_text(f"姓名,身份证号,采样日期,检测结果\n汤德明,{GOOD},2022-02-07,阴性\n"
                     f"汤德明,{GOOD},2022-02-08,阴性\n", encoding="utf-8")
    _run(db, "2022-02-08", "import", str(tests))
    assert _remarks(db) == "居家观察三天"


def test_a_value_another_file_gave_stays_when_a_version_empties_it(tmp_path: Path) -> None:
    """The other neighbour: the 备注 the first version had came also from a
    second registration file (a supplementary list). The first file's new
    version empties it, the second file still says it: it stays, as in a
    fresh import of both files. And undoing an unrelated later file does not
    bring back the emptied value of the replaced version."""
    db, sent = tmp_path / "t.db", tmp_path / "平阳村登记.csv"
    extra = tmp_path / "平阳村补报.csv"
    _registration(sent, "居家观察三天")
    extra.write_text(f"姓名,身份证号,联系电话,返乡日期,备注\n汤德明,{GOOD},13905710001,2022-02-07,补报\n",
                     encoding="utf-8")
    _run(db, "2022-02-07", "import", str(sent))
    _run(db, "2022-02-07", "import", str(extra))
    assert _remarks(db) == "补报"
    _registration(sent, "", address="平阳村4组")
    _run(db, "2022-02-08", "import", str(sent))
    assert _remarks(db) == "补报"  # the supplementary list still says it
    assert _person(db)["address"] == "平阳村4组"
    later = tmp_path / "东溪村核酸.csv"
    later.write_text(f"姓名,身份证号,采样日期,检测结果\n汤德明,{GOOD},2022-02-08,阴性\n", encoding="utf-8")
    _run(db, "2022-02-08", "import", str(later))
    batches = json.loads(_run(db, "2022-02-09", "batches", "--format", "json"))["batches"]
    _run(db, "2022-02-09", "undo", str(batches[-1]["batch"]))
    assert _remarks(db) == "补报" and _person(db)["address"] == "平阳村4组"


# --- readings a newer version of a wide temperature sheet drops ---

def _wide(path: Path, header: list[str], rows: list[list[object]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", *header])
    for row in rows:
        sheet.append(row)
    book.save(path)


def _retracted(db: Path, path: Path, as_of: str) -> int:
    report = json.loads(_run(db, as_of, "import", str(path), "--format", "json"))
    (entry,) = [f for f in report["files"] if f["status"] == "imported"]
    return int(entry.get("retracted", 0))


def test_a_grown_wide_sheet_drops_nothing_and_an_emptied_cell_is_counted(tmp_path: Path) -> None:
    """The daily re-send adds a day at the end of every row: nothing dropped
    (the rows are found to be yesterday's rows continued, `versions`). Its
    neighbours: a reading emptied in the middle of a row, and a person left
    out, are counted one by one."""
    db, sent = tmp_path / "t.db", tmp_path / "平阳村体温.xlsx"
    days = ["2月1日上午", "2月1日下午", "2月2日上午"]
    _wide(sent, days, [["汤德明", GOOD, 36.5, 36.6, 36.4], ["方凤文", OTHER, 36.7, None, 36.8]])
    assert _retracted(db, sent, "2022-02-02") == 0
    _wide(sent, [*days, "2月2日下午"], [["汤德明", GOOD, 36.5, 36.6, 36.4, 36.5],
                                      ["方凤文", OTHER, 36.7, None, 36.8, 36.6]])
    assert _retracted(db, sent, "2022-02-03") == 0
    _wide(sent, [*days, "2月2日下午"], [["汤德明", GOOD, 36.5, None, 36.4, 36.5],
                                      ["方凤文", OTHER, 36.7, None, 36.8, 36.6]])
    report = json.loads(_run(db, "2022-02-03", "import", str(sent), "--format", "json"))
    assert report["files"][0]["retracted"] == 1  # 汤德明's 2月1日下午
    _wide(sent, [*days, "2月2日下午"], [["汤德明", GOOD, 36.5, None, 36.4, 36.5]])
    assert _retracted(db, sent, "2022-02-03") == 3  # 方凤文's three readings


def test_the_person_shows_the_problems_of_the_newest_version_only(tmp_path: Path) -> None:
    """A problem the village fixed in a newer version is no longer the
    person's; one it sent again is listed once, not once per version."""
    db, sent = tmp_path / "t.db", tmp_path / "平阳村登记.csv"

    def send(phone: str, as_of: str) -> None:
        sent.write_text(f"姓名,身份证号,联系电话,返乡日期\n汤德明,{GOOD},{phone},2022-02-07\n", encoding="utf-8")
        _run(db, as_of, "import", str(sent))

    def codes() -> list[str]:
        data = json.loads(_run(db, "2022-02-09", "person", GOOD, "--format", "json"))
        return [p["code"] for p in data["problems"]]

    send("1390571000", "2022-02-07")  # a digit short
    assert codes() == ["phone_invalid"]
    # the next version: one more person, the wrong phone sent again
    sent.write_text(sent.read_text(encoding="utf-8") + "方凤文,,13905710002,2022-02-07\n",
                    encoding="utf-8")
    _run(db, "2022-02-08", "import", str(sent))
    assert codes() == ["phone_invalid"]  # once
    send("13905710001", "2022-02-09")  # fixed
    assert codes() == []
