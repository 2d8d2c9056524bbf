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
