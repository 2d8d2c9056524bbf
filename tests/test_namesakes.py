"""Same names are different people (issue 13).

The merge rule: one person per valid ID; without one, name + phone (marked
unverified); without a phone either, name + village, and two rows of one
registration sheet with the same name and neither are two people
(`duplicate_row` on the later rows). A later file that names such a person
once, when the ledger holds several of that name in the village, goes to the
first of them (row order of the sheet that registered them) with a warning.
Notices never overwrite each other.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ingest.validation import Validator
from taizhang.ledger.importer import import_paths
from taizhang.ledger.store import Store

AS_OF = date(2022, 2, 8)
POLICY = load_policy()
HEADER = ["姓名", "身份证号", "联系电话", "村", "返乡日期"]
NO_VILLAGE = ["姓名", "身份证号", "联系电话", "返乡日期"]
runner = CliRunner()


def validator(village: str | None = None) -> Validator:
    return Validator(as_of=AS_OF, villages=["平阳村", "东溪村"], township="青石镇",
                     find_regime=POLICY.find_regime, regime_examples=POLICY.regime_examples(),
                     village=village)


def do_import(db: Path, *paths: Path, as_of: date = AS_OF, village: str | None = None):
    with Store(db, create=True) as store:
        return import_paths(store, list(paths), validator(village), as_of)


def persons(db: Path) -> list[tuple[str, str | None, str | None, int]]:
    """(name, village, arrival, verified) of every person, in id order."""
    con = sqlite3.connect(db)
    try:
        return [tuple(r) for r in con.execute(
            "SELECT name, village, arrival_date, verified FROM persons ORDER BY id")]
    finally:
        con.close()


def codes(report) -> list[tuple[int | None, str]]:
    return [(p.row, p.code) for o in report.outcomes for p in o.problems
            if p.code in ("duplicate_row", "conflict")]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


# ---------------------------------------------------------------- (a) two villages


def test_one_name_in_two_villages_of_one_file_is_two_people(
        db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("青石镇登记.csv", [HEADER, ["王伟", "", "", "平阳村", "2022-02-01"],
                                       ["王伟", "", "", "东溪村", "2022-02-03"]])
    report = do_import(db, path)
    assert persons(db) == [("王伟", "平阳村", "2022-02-01", 0), ("王伟", "东溪村", "2022-02-03", 0)]
    assert codes(report) == []  # two villages: nothing to warn about


def test_one_name_in_two_villages_files_is_two_people(
        db: Path, write_csv: Callable[..., Path]) -> None:
    a = write_csv("平阳村登记.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"]])
    b = write_csv("东溪村登记.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-03"]])
    report = do_import(db, a, b)
    assert persons(db) == [("王伟", "平阳村", "2022-02-01", 0), ("王伟", "东溪村", "2022-02-03", 0)]
    assert codes(report) == []


# ---------------------------------------------------------------- (b) one sheet


def test_three_namesakes_in_one_sheet_are_three_people_with_a_warning(
        db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"],
                                      ["王伟", "", "", "2022-02-02"], ["王伟", "", "", "2022-02-03"]])
    report = do_import(db, path)
    assert persons(db) == [("王伟", "平阳村", f"2022-02-0{d}", 0) for d in (1, 2, 3)]
    assert report.to_dict()["persons_new"] == 3
    warnings = [p for p in report.outcomes[0].problems if p.code == "duplicate_row"]
    assert [(p.row, p.severity, p.field) for p in warnings] == [(3, "warning", "name"),
                                                                (4, "warning", "name")]
    assert warnings[0].message.startswith("第3行与第2行同名（王伟）")
    assert warnings[1].message.startswith("第4行与第2、3行同名（王伟）")
    for p in warnings:  # kept apart, and what the village should do about it
        assert "分别" in p.message and "补填身份证号或联系电话" in p.message


def test_namesakes_in_a_file_read_again_are_the_same_three(
        db: Path, write_csv: Callable[..., Path]) -> None:
    """The next day's version of the list (another file) names them in the same
    order: the n-th 王伟 of the sheet is the n-th 王伟 of the village."""
    rows = [NO_VILLAGE, ["王伟", "", "", "2022-02-01"], ["王伟", "", "", "2022-02-02"],
            ["王伟", "", "", "2022-02-03"]]
    do_import(db, write_csv("平阳村登记0208.csv", rows))
    report = do_import(db, write_csv("平阳村登记0209.csv", rows), as_of=date(2022, 2, 9))
    assert report.to_dict()["persons_new"] == 0
    assert len(persons(db)) == 3


def test_rows_of_a_test_sheet_name_one_person(db: Path, write_csv: Callable[..., Path]) -> None:
    """A test sheet names a person once per sample: its rows are not people."""
    path = write_csv("平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                       ["王伟", "", "2022-02-01", "阴性"], ["王伟", "", "2022-02-02", "阴性"]])
    report = do_import(db, path)
    assert len(persons(db)) == 1
    assert codes(report) == []


def test_a_wide_temperature_sheet_has_a_person_per_row(
        db: Path, write_csv: Callable[..., Path]) -> None:
    """A wide 体温监测表 (a column per day and slot) has one row per person; a
    long one a row per reading."""
    wide = write_csv("平阳村体温.csv", [["姓名", "身份证号", "2月6日上午", "2月6日下午"],
                                       ["王伟", "", "36.5", "36.6"], ["王伟", "", "37.0", "38.1"]])
    report = do_import(db, wide)
    assert len(persons(db)) == 2
    assert codes(report) == [(3, "duplicate_row")]
    long = write_csv("东溪村体温.csv", [["姓名", "身份证号", "日期", "时段", "体温"],
                                       ["李强", "", "2022-02-06", "上午", "36.5"],
                                       ["李强", "", "2022-02-06", "下午", "36.6"]])
    report = do_import(db, long)
    assert len(persons(db)) == 3
    assert codes(report) == []


# ---------------------------------------------------------------- (c) the neighbours


def test_name_and_phone_in_two_villages_is_one_person_with_a_conflict(
        db: Path, write_csv: Callable[..., Path]) -> None:
    a = write_csv("平阳村登记.csv", [NO_VILLAGE, ["王伟", "", "13812345678", "2022-02-01"]])
    # the same row in columns of another order (identical bytes would be one file read once)
    b = write_csv("东溪村登记.csv", [["姓名", "联系电话", "身份证号", "返乡日期"],
                                     ["王伟", "13812345678", "", "2022-02-01"]])
    report = do_import(db, a, b)
    assert persons(db) == [("王伟", "东溪村", "2022-02-01", 0)]  # the newer file's village
    conflict = [p for o in report.outcomes for p in o.problems if p.code == "conflict"]
    # as for an ID: against the earlier file of the run, and against the ledger
    assert {(p.path, p.field, p.value) for p in conflict} == {(str(b), "village", "东溪村")}
    for p in conflict:
        assert p.message.startswith("第2行同一姓名和联系电话（无有效身份证号）的村（社区）“东溪村”")
        assert "如是两个人，请补填身份证号" in p.message


def test_name_and_phone_in_two_villages_of_one_sheet_is_a_conflict(
        db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("青石镇登记.csv", [HEADER, ["王伟", "", "13812345678", "平阳村", "2022-02-01"],
                                       ["王伟", "", "13812345678", "东溪村", "2022-02-01"]])
    report = do_import(db, path)
    assert len(persons(db)) == 1
    assert (3, "conflict") in codes(report)


def test_name_and_village_read_again_next_day_is_the_same_person(
        db: Path, write_csv: Callable[..., Path]) -> None:
    do_import(db, write_csv("平阳村登记0208.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"]]))
    report = do_import(db, write_csv("平阳村补登0209.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"]]),
                       as_of=date(2022, 2, 9))
    assert report.to_dict()["persons_new"] == 0
    assert persons(db) == [("王伟", "平阳村", "2022-02-01", 0)]
    assert codes(report) == []


def test_name_and_village_with_another_arrival_is_a_conflict_saying_what_to_do(
        db: Path, write_csv: Callable[..., Path]) -> None:
    do_import(db, write_csv("平阳村登记0208.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"]]))
    report = do_import(db, write_csv("平阳村补登0209.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-05"]]),
                       as_of=date(2022, 2, 9))
    conflict = [p for p in report.outcomes[0].problems if p.code == "conflict"]
    assert [(p.field, p.value) for p in conflict] == [("arrival_date", "2022-02-05")]
    assert "补填身份证号或联系电话" in conflict[0].message


def test_no_village_at_all_is_a_village_of_its_own(db: Path, write_csv: Callable[..., Path]) -> None:
    """No village column, file name, title or --village: '' is the village in
    the key, so the person is found again by the next such file, and never
    taken for a 王伟 whose village is known."""
    header = [*NO_VILLAGE, "备注"]  # each file's bytes differ: none is `unchanged`
    do_import(db, write_csv("登记表.csv", [header, ["王伟", "", "", "2022-02-01", "一"]]))
    do_import(db, write_csv("平阳村登记.csv", [header, ["王伟", "", "", "2022-02-01", "二"]]))
    report = do_import(db, write_csv("补登.csv", [header, ["王伟", "", "", "2022-02-01", "三"]]))
    assert [o.status for o in report.outcomes] == ["imported"]
    assert report.to_dict()["persons_new"] == 0
    assert persons(db) == [("王伟", None, "2022-02-01", 0), ("王伟", "平阳村", "2022-02-01", 0)]


def test_a_later_file_naming_one_of_three_goes_to_the_first_with_a_warning(
        db: Path, write_csv: Callable[..., Path]) -> None:
    do_import(db, write_csv("平阳村登记.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"],
                                               ["王伟", "", "", "2022-02-02"], ["王伟", "", "", "2022-02-03"]]))
    report = do_import(db, write_csv("平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                                        ["王伟", "", "2022-02-02", "阴性"],
                                                        ["王伟", "", "2022-02-03", "阴性"]]))
    con = sqlite3.connect(db)
    owners = con.execute("SELECT DISTINCT p.arrival_date FROM tests t JOIN persons p "
                         "ON p.id = t.person_id").fetchall()
    con.close()
    assert owners == [("2022-02-01",)]  # the first 王伟 of the registration sheet
    warnings = [p for p in report.outcomes[0].problems if p.code == "duplicate_row"]
    assert [(p.row, p.severity) for p in warnings] == [(2, "warning")]  # once per sheet
    assert "3个" in warnings[0].message and "第一个" in warnings[0].message
    assert "补填身份证号或联系电话" in warnings[0].message


def test_people_with_ids_are_untouched_by_namesakes(db: Path, write_csv: Callable[..., Path]) -> None:
    a, b = make_id(seq="123"), make_id(seq="245")
    path = write_csv("平阳村登记.csv", [NO_VILLAGE, ["王伟", a, "", "2022-02-01"],
                                      ["王伟", b, "", "2022-02-01"], ["王伟", a, "", "2022-02-01"]])
    report = do_import(db, path)
    assert len(persons(db)) == 2
    assert [p.message for o in report.outcomes for p in o.problems if p.code == "duplicate_row"] == [
        "第4行与第2行是同一人（王伟）的重复记录：请删除其中一行"]


def test_an_older_ledger_keyed_by_name_alone_is_rekeyed(db: Path, write_csv: Callable[..., Path]) -> None:
    """Schema 3 keyed a person without ID or phone by name alone (`np:王伟|`);
    opening it moves them to name + village, so the next file finds them."""
    do_import(db, write_csv("平阳村登记.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"]]))
    do_import(db, write_csv("东溪村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                               ["李强", "", "2022-02-01", "阴性"]]))
    con = sqlite3.connect(db)
    con.execute("UPDATE persons SET key = 'np:' || name || '|'")
    con.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    con.commit()
    con.close()
    report = do_import(db, write_csv("平阳村补登.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-01"]]),
                       write_csv("东溪村核酸2.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                                     ["李强", "", "2022-02-02", "阴性"]]))
    assert report.to_dict()["persons_new"] == 0
    con = sqlite3.connect(db)
    keys = [k for (k,) in con.execute("SELECT key FROM persons ORDER BY id")]
    con.close()
    assert keys == ["nv:王伟|平阳村", "nv:李强|东溪村"]


# ---------------------------------------------------------------- the command line


CONFIG = 'township = "青石镇"\nvillages = ["平阳村", "东溪村"]\ninbox = "inbox"\nout = "out"\n' \
         'db = "taizhang.db"\n'


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def write(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


def tz(*args: str):
    return runner.invoke(app, ["--as-of", "2022-02-10", *args])


def test_cli_import_keeps_namesakes_apart(workspace: Path) -> None:
    write(workspace / "inbox" / "青石镇登记.csv", [HEADER, ["王伟", "", "", "平阳村", "2022-02-01"],
                                                  ["王伟", "", "", "东溪村", "2022-02-01"]])
    write(workspace / "inbox" / "平阳村补登.csv", [NO_VILLAGE, ["王伟", "", "", "2022-02-05"],
                                                 ["王伟", "", "", "2022-02-06"]])
    result = tz("import", "inbox", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # 平阳村补登.csv (read first) registers two 王伟 of 平阳村; 青石镇登记.csv one of
    # 平阳村, the first of them, with a warning, and one of 东溪村
    assert out["persons_new"] == 3
    dup = [p for p in out["problems"] if p["code"] == "duplicate_row"]
    assert [(Path(p["path"]).name, p["row"]) for p in dup] == [("平阳村补登.csv", 3),
                                                               ("青石镇登记.csv", 2)]
    assert "平阳村有2个同名的人" in dup[1]["message"]


@pytest.mark.parametrize("fmt", ["docx", "html"])
def test_three_namesakes_due_the_same_day_get_three_notices(workspace: Path, fmt: str) -> None:
    write(workspace / "inbox" / "平阳村登记.csv", [[*NO_VILLAGE, "包保责任人"],
                                                 ["王伟", "", "", "2022-02-10", "陈干部"],
                                                 ["王伟", "", "", "2022-02-10", "刘干部"],
                                                 ["王伟", "", "", "2022-02-10", "周干部"]])
    assert tz("import", "inbox").exit_code == 0
    result = tz("notice", "test", "--format", fmt, "--out", "notices")
    assert result.exit_code == 0, result.output
    files = sorted((workspace / "notices").iterdir())
    assert result.output.startswith("3 人，已写入")
    if fmt == "docx":
        from docx import Document

        assert [f.name for f in files] == [
            "核酸检测通知_2022-02-10_平阳村_王伟.docx", "核酸检测通知_2022-02-10_平阳村_王伟_2.docx",
            "核酸检测通知_2022-02-10_平阳村_王伟_3.docx"]
        assert result.output.count(".docx") == 3 and all(f.name in result.output for f in files)
        texts = ["\n".join(p.text for p in Document(str(f)).paragraphs) for f in files]
        assert [next(g for g in ("陈干部", "刘干部", "周干部") if g in t) for t in texts] == [
            "陈干部", "刘干部", "周干部"]
    else:
        assert len(files) == 1
        html = files[0].read_text(encoding="utf-8")
        assert html.count("王伟（身份证号") == 3
        assert all(g in html for g in ("陈干部", "刘干部", "周干部"))


def test_each_namesake_notice_carries_its_own_details(workspace: Path) -> None:
    """Two 王伟 of one village due on the same day for different tests: the
    due list cannot tell them apart by ID, name and village (and lists the
    second one first: their test was due yesterday), yet each notice pairs the
    person with their own test day."""
    write(workspace / "inbox" / "平阳村登记.csv", [[*NO_VILLAGE, "管控措施", "包保责任人"],
                                                 ["王伟", "", "", "2022-02-10", "", "陈干部"],
                                                 ["王伟", "", "", "2022-02-03", "居家隔离14天", "刘干部"]])
    assert tz("import", "inbox").exit_code == 0
    result = tz("notice", "test", "--format", "docx", "--out", "notices")
    assert result.exit_code == 0, result.output
    from docx import Document

    texts = ["".join(p.text for p in Document(str(f)).paragraphs)
             for f in sorted((workspace / "notices").iterdir())]
    assert len(texts) == 2
    pairs = {("刘干部" in t, "陈干部" in t, "第7天" in t, "第1天" in t) for t in texts}
    assert pairs == {(True, False, True, False), (False, True, False, True)}
