"""Unknown columns are kept (SPEC §2, issue 14): collected on every kind of
sheet, stored with the person with their provenance, exported, shown by
`person`, replaced by a newer version of their file, taken out by `undo`, and
an ID or phone in one is masked whatever the column is called (SPEC §9)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.ingest.validation import Validator, validate_paths
from taizhang.ledger.extras import mask_text
from taizhang.ledger.importer import import_paths
from taizhang.ledger.store import Store

runner = CliRunner()
ZHANG, LI, WANG, ZHAO = (make_id(seq=s) for s in ("123", "245", "367", "489"))
AGENT_ID = make_id(area="330682", birth="19850505", seq="531")  # 代理人的身份证号
DEST_PHONE = "13912345678"  # 目的地联系人电话: somebody else's mobile
OTHER_PHONE = "13700001111"
REG_HEADER = ["姓名", "性别", "身份证号", "联系电话", "村（社区）", "返乡日期",
              "邮政编码", "目的地联系人电话", "备用信息"]


def reg_rows(code: str = "322000", spare: str = f"代理人{AGENT_ID}") -> list[list[str]]:
    return [REG_HEADER,
            ["张三", "男", ZHANG, "13812345678", "平阳村", "2022-02-01", code, DEST_PHONE, spare],
            ["李四", "女", LI, "13812345679", "平阳村", "2022-02-02", "", "", "=HYPERLINK(\"x\")"]]


def cli(db: Path, *args: str, as_of: str = "2022-02-08"):
    return runner.invoke(app, ["--db", str(db), "--as-of", as_of, *args])


def imported(db: Path, *paths: Path, as_of: str = "2022-02-08") -> dict:
    result = cli(db, "import", *map(str, paths), "--format", "json", as_of=as_of)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def export_csv(db: Path, *options: str) -> list[dict[str, str]]:
    result = cli(db, "export", "--format", "csv", *options)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def person(db: Path, ident: str, *options: str) -> dict:
    result = cli(db, "person", ident, "--format", "json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def extras_of(view: dict) -> dict[str, str]:
    return {e["header"]: e["value"] for e in view["extras"]}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


# ---------------------------------------------------------------- stored, exported, shown


def test_registration_columns_are_stored_with_their_provenance(
        db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", reg_rows())
    imported(db, path)
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT p.name, e.batch_id, e.sheet, e.row, e.vals FROM person_extras e "
                           "JOIN persons p ON p.id = e.person_id ORDER BY e.row").fetchall()
    [(name, batch, sheet, row, vals), (name2, _, _, row2, vals2)] = rows
    assert (name, batch, sheet, row) == ("张三", 1, "平阳村登记", 2)
    stored = json.loads(vals)
    assert stored["邮政编码"] == "322000" and stored["备用信息"] == f"代理人{AGENT_ID}"
    assert stored.get("目的地联系人电话", DEST_PHONE) == DEST_PHONE  # unless it was understood
    assert (name2, row2, json.loads(vals2)) == ("李四", 3, {"备用信息": "=HYPERLINK(\"x\")"})


def test_export_csv_adds_a_column_per_header_masked(db: Path, write_csv: Callable[..., Path]) -> None:
    imported(db, write_csv("平阳村登记.csv", reg_rows()))
    result = cli(db, "export", "--format", "csv")
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header[header.index("备注") + 1:][:1] == ["邮政编码"]  # after the standard columns
    assert header[-1] == "备用信息" and "邮政编码" in header
    rows = {r["姓名"]: r for r in export_csv(db)}
    assert rows["张三"]["邮政编码"] == "322000"
    assert rows["张三"]["备用信息"] == f"代理人{AGENT_ID[:6]}********{AGENT_ID[-4:]}"
    assert rows["李四"]["备用信息"] == "'=HYPERLINK(\"x\")"  # neutralised like the other cells
    assert rows["李四"]["邮政编码"] == ""
    assert DEST_PHONE not in result.stdout and AGENT_ID not in result.stdout
    assert "139****5678" in result.stdout  # 目的地联系人电话, wherever it went
    plain = {r["姓名"]: r for r in export_csv(db, "--no-mask")}
    assert plain["张三"]["备用信息"] == f"代理人{AGENT_ID}"
    assert DEST_PHONE in json.dumps(plain, ensure_ascii=False)


def test_export_xlsx_reads_back(db: Path, tmp_path: Path, write_csv: Callable[..., Path]) -> None:
    imported(db, write_csv("平阳村登记.csv", reg_rows()))
    for options, spare in (((), f"代理人{AGENT_ID[:6]}********{AGENT_ID[-4:]}"),
                           (("--no-mask",), f"代理人{AGENT_ID}")):
        out = tmp_path / f"汇总{len(options)}.xlsx"
        result = cli(db, "export", "--out", str(out), *options)
        assert result.exit_code == 0, result.output
        book = openpyxl.load_workbook(out)
        assert book.sheetnames == ["全镇", "平阳村"]
        for sheet in book.worksheets:
            cells = [[c.value for c in row] for row in sheet.iter_rows()]
            header = cells[0]
            assert header.index("邮政编码") > header.index("备注")
            rows = {r[0]: dict(zip(header, r, strict=True)) for r in cells[1:]}
            assert rows["张三"]["邮政编码"] == "322000"  # text, not the number 322000
            assert rows["张三"]["备用信息"] == spare
            assert rows["李四"]["备用信息"] == "=HYPERLINK(\"x\")"  # a string, never a formula
            assert sheet.cell(3, header.index("备用信息") + 1).data_type == "s"
            text = json.dumps(cells, ensure_ascii=False, default=str)
            assert (DEST_PHONE in text) == bool(options) and (AGENT_ID in text) == bool(options)
            assert sheet.freeze_panes == "A2"


def test_person_shows_them_with_their_source(db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", reg_rows())
    imported(db, path)
    view = person(db, ZHANG)
    found = {e["header"]: e for e in view["extras"]}
    assert found["邮政编码"]["value"] == "322000"
    assert found["邮政编码"]["source"] == {"path": str(path), "sheet": "平阳村登记", "row": 2}
    assert found["备用信息"]["value"] == f"代理人{AGENT_ID[:6]}********{AGENT_ID[-4:]}"
    text = json.dumps(view, ensure_ascii=False)
    assert AGENT_ID not in text and DEST_PHONE not in text
    assert extras_of(person(db, ZHANG, "--no-mask"))["备用信息"] == f"代理人{AGENT_ID}"
    table = cli(db, "person", ZHANG)
    assert table.exit_code == 0, table.output
    assert "邮政编码（未识别列）" in table.output and "322000" in table.output
    assert AGENT_ID not in table.output and DEST_PHONE not in table.output
    assert AGENT_ID in cli(db, "person", ZHANG, "--no-mask").output


def test_messages_never_show_them_unmasked(db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", reg_rows())
    for command in ("validate", "import"):
        for fmt in ("table", "json"):
            result = cli(db, command, str(path), "--format", fmt)
            assert result.exit_code in (0, 1), result.output
            assert AGENT_ID not in result.output and DEST_PHONE not in result.output, command
    report = validate_paths([path], Validator(as_of=date(2022, 2, 8)))
    notes = [n for n in report.all_notes() if "未识别的列（已保留原值）" in n]
    assert len(notes) == 1 and "邮政编码" in notes[0] and "备用信息" in notes[0]


# ---------------------------------------------------------------- versions and undo


def test_a_newer_version_replaces_them_and_undo_takes_them_out(
        db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", reg_rows())
    imported(db, path)
    write_csv("平阳村登记.csv", reg_rows(code="322001", spare=""))  # corrected, 备用信息 emptied
    imported(db, path, as_of="2022-02-09")
    assert extras_of(person(db, ZHANG, "--no-mask")).get("备用信息") is None
    assert extras_of(person(db, ZHANG))["邮政编码"] == "322001"
    assert {r["姓名"]: r["邮政编码"] for r in export_csv(db)}["张三"] == "322001"
    history = {e["header"]: e["history"] for e in person(db, ZHANG)["extras"]}
    assert [h["value"] for h in history["邮政编码"]] == ["322001"]  # the old version's retracted

    undo = cli(db, "undo", "2")
    assert undo.exit_code == 0, undo.output
    assert extras_of(person(db, ZHANG, "--no-mask"))["邮政编码"] == "322000"  # back
    assert extras_of(person(db, ZHANG, "--no-mask"))["备用信息"] == f"代理人{AGENT_ID}"
    undo = cli(db, "undo", "1")
    assert undo.exit_code == 0, undo.output
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM person_extras").fetchone()[0] == 0
    header = next(csv.reader(io.StringIO(cli(db, "export", "--format", "csv").stdout)))
    assert "邮政编码" not in header and header[-1] == "备注"


def test_the_newest_batch_wins_per_header(db: Path, write_csv: Callable[..., Path]) -> None:
    a = write_csv("平阳村登记.csv", reg_rows(code="111111"))
    b = write_csv("平阳村补登.csv", [["姓名", "身份证号", "村（社区）", "返乡日期", "邮政编码"],
                                     ["张三", ZHANG, "平阳村", "2022-02-01", "222222"]])
    imported(db, b, as_of="2022-02-09")
    imported(db, a, as_of="2022-02-08")  # older as-of date, imported later: does not win
    view = extras_of(person(db, ZHANG, "--no-mask"))
    assert view["邮政编码"] == "222222" and view["备用信息"] == f"代理人{AGENT_ID}"


# ---------------------------------------------------------------- every kind of sheet


def test_test_and_temperature_sheets_keep_them_too(db: Path, write_csv: Callable[..., Path]) -> None:
    tests = write_csv("平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果", "试管条码", "备用信息"],
                                        ["王五", WANG, "2022-02-03", "阴性", "GZ0001", f"陪同{OTHER_PHONE}"],
                                        ["王五", WANG, "2022-02-05", "阴性", "GZ0002", f"陪同{OTHER_PHONE}"]])
    temps = write_csv("平阳村体温.csv", [["姓名", "身份证号", "2月6日上午", "2月6日下午", "备用信息"],
                                        ["王五", WANG, "36.5", "36.6", "体温正常"],
                                        ["赵六", ZHAO, "", "", "新来的"]])
    imported(db, tests, temps)
    wang = person(db, WANG)
    found = {e["header"]: e for e in wang["extras"]}
    assert found["试管条码"]["value"] == "GZ0002"  # the later row wins
    assert found["试管条码"]["source"]["row"] == 3
    assert [h["value"] for h in found["试管条码"]["history"]] == ["GZ0001", "GZ0002"]
    assert found["备用信息"]["value"] == "体温正常"  # the temperature sheet came later
    assert OTHER_PHONE not in json.dumps(wang, ensure_ascii=False)
    assert [h["value"] for h in found["备用信息"]["history"]] == ["陪同137****1111", "体温正常"]
    assert set(found) == {"试管条码", "备用信息"}  # a wide sheet's date columns are no unknown ones
    # a row with no reading still names its person: the cells are not dropped
    assert extras_of(person(db, ZHAO)) == {"备用信息": "新来的"}
    with sqlite3.connect(db) as con:  # the repeat of an unchanged row is not stored again
        rows = con.execute("SELECT sheet, row FROM person_extras ORDER BY rowid").fetchall()
    assert rows == [("平阳村核酸", 2), ("平阳村核酸", 3), ("平阳村体温", 2), ("平阳村体温", 3)]
    undo = cli(db, "undo", "2")  # the temperature sheet: 赵六 leaves with it
    assert undo.exit_code == 0, undo.output
    assert cli(db, "person", ZHAO).exit_code == 1
    assert extras_of(person(db, WANG))["备用信息"] == "陪同137****1111"


def test_embedded_test_columns_are_no_unknown_ones(db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村隔离台账.csv", [
        ["姓名", "身份证号", "联系电话", "村（社区）", "返乡日期", "第1次核酸", "备用信息"],
        ["张三", ZHANG, "13812345678", "平阳村", "2022-02-01", "2.3阴", "居家"]])
    imported(db, path)
    view = person(db, ZHANG)
    assert extras_of(view) == {"备用信息": "居家"}
    assert [(t["sample_date"], t["result"]) for t in view["tests"]] == [("2022-02-03", "negative")]


def test_a_person_named_only_by_cells_survives_the_undo_of_who_named_them_first(
        db: Path, write_csv: Callable[..., Path]) -> None:
    first = write_csv("平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                        ["赵六", ZHAO, "2022-02-03", "阴性"]])
    second = write_csv("平阳村体温.csv", [["姓名", "身份证号", "2月6日上午", "备用信息"],
                                         ["赵六", ZHAO, "", "新来的"]])
    imported(db, first)
    imported(db, second)
    assert cli(db, "undo", "1").exit_code == 0
    view = person(db, ZHAO)
    assert extras_of(view) == {"备用信息": "新来的"} and view["name"] == "赵六"


def test_same_header_twice_and_a_second_column_of_a_field(db: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", [
        ["姓名", "身份证号", "联系电话", "村（社区）", "返乡日期", "备用信息", "联系电话", "备用信息"],
        ["张三", ZHANG, "13812345678", "平阳村", "2022-02-01", "甲", OTHER_PHONE, "乙"]])
    imported(db, path)
    assert extras_of(person(db, ZHANG)) == {"备用信息": "甲", "联系电话": "137****1111",
                                          "备用信息（第8列）": "乙"}
    header = next(csv.reader(io.StringIO(cli(db, "export", "--format", "csv").stdout)))
    assert header[-3:] == ["备用信息", "联系电话（另列）", "备用信息（第8列）"]
    assert [r["联系电话"] for r in export_csv(db, "--no-mask")] == ["13812345678"]


def test_worker_processes_carry_them(tmp_path: Path, write_csv: Callable[..., Path],
                                     force_pool: list[int]) -> None:
    paths = [write_csv("平阳村登记.csv", reg_rows()),
             write_csv("平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果", "试管条码"],
                                          ["张三", ZHANG, "2022-02-03", "阴性", "GZ0001"]])]

    def stored(jobs: int) -> list[tuple]:
        path = tmp_path / f"{jobs}.db"
        with Store(path, create=True) as store:
            import_paths(store, paths, Validator(as_of=date(2022, 2, 8)), date(2022, 2, 8), jobs=jobs)
            return store.db.execute("SELECT person_id, batch_id, sheet, row, vals FROM person_extras "
                                    "ORDER BY rowid").fetchall()

    alone = [tuple(r) for r in stored(1)]
    assert [tuple(r) for r in stored(2)] == alone and force_pool == [2]  # the pool really ran
    assert len(alone) == 3


# ---------------------------------------------------------------- the ledger, the export file


def test_a_ledger_of_schema_5_without_the_table_gets_it(db: Path, write_csv: Callable[..., Path]) -> None:
    imported(db, write_csv("平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                              ["王五", WANG, "2022-02-03", "阴性"]]))
    with sqlite3.connect(db) as con:  # as yesterday's taizhang left it
        con.execute("DROP TABLE person_extras")
    imported(db, write_csv("平阳村登记.csv", reg_rows()))
    assert extras_of(person(db, ZHANG))["邮政编码"] == "322000"


def test_an_export_with_them_is_never_imported_back(db: Path, tmp_path: Path,
                                                    write_csv: Callable[..., Path]) -> None:
    imported(db, write_csv("平阳村登记.csv", reg_rows()))
    out = tmp_path / "out" / "汇总台账.csv"
    assert cli(db, "export", "--format", "csv", "--out", str(out)).exit_code == 0
    report = imported(db, out)
    assert [f["status"] for f in report["files"]] == ["skipped"]


@pytest.mark.parametrize(("text", "masked"), [
    ("13912345678", "139****5678"),
    ("联系人王五 139 1234 5678", "联系人王五 139****5678"),
    ("+86 139-1234-5678", "+86 139****5678"),
    ("8613912345678", "+86 139****5678"),
    ("代理人身份证330682198505055317", "代理人身份证330682********5317"),
    ("330682 19850505 531X", "330682********531X"),
    ("０５７１－８７６５４３２１", "057*******21"),
    ("（0571）87654321", "057*******21"),
    ("87654321", "876***21"),
    ("2022-01-29 08:30", "2022-01-29 08:30"),
    ("20220129", "20220129"),
    ("322000", "322000"),
    ("浙A12345", "浙A12345"),
    ("", ""),
])
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked
