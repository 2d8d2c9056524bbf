"""Masked data is not data (issue 13).

Importing taizhang's own masked export or due list made a second person of
everyone, keyed by `330681********1234` (persons 47 → 92, overdue 2 → 63).
Two walls now: every file taizhang writes is recognised and skipped (xlsx and
HTML by a mark in the file, CSV by its header row), and a masked ID or phone
in any file (`id_masked`) never keys a person and is never stored.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ingest.ids import parse_id, parse_phone
from taizhang.ingest.validation import Validator
from taizhang.ledger.importer import import_paths
from taizhang.ledger.merge import write_batch
from taizhang.ledger.store import Store
from taizhang.privacy import mask_id

AS_OF = "2022-02-08"
POLICY = load_policy()
runner = CliRunner()


def tz(db: Path, *args: str):
    return runner.invoke(app, ["--db", str(db), "--as-of", AS_OF, *args])


def persons(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    rows = sorted(tuple(r) for r in con.execute(
        "SELECT key, verified, name, id_number, phone, village FROM persons"))
    con.close()
    return rows


# ------------------------------------------------------------------ taizhang's own files


@pytest.fixture
def own_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The sample data imported, then every spreadsheet taizhang writes, in one folder."""
    monkeypatch.chdir(ROOT)
    db, own = tmp_path / "t.db", tmp_path / "own"
    own.mkdir()
    assert tz(db, "import", "sample_data").exit_code == 0
    runs = [
        ("export", "--format", "xlsx", "--out", str(own / "汇总台账.xlsx")),
        ("export", "--format", "xlsx", "--no-mask", "--out", str(own / "汇总台账_不打码.xlsx")),
        ("export", "--format", "csv", "--out", str(own / "汇总台账.csv")),
        ("due-today", "--format", "csv", "--out", str(own / "今日名单.csv")),
        ("due-today", "--format", "xlsx", "--out", str(own / "今日名单.xlsx")),
        ("daily-report", "--format", "xlsx", "--out", str(own)),
        ("daily-report", "--format", "html", "--out", str(own)),
    ]
    for args in runs:
        result = tz(db, *args)
        assert result.exit_code == 0, (args, result.output)
    # what went to stdout, saved by the clerk (no BOM)
    (own / "export_stdout.csv").write_text(tz(db, "export", "--format", "csv").stdout, encoding="utf-8")
    (own / "due_stdout.csv").write_text(tz(db, "due-today", "--format", "csv").stdout, encoding="utf-8")
    # the HTML report saved as .xls, as web systems' "Excel" files are
    shutil.copy(own / f"日报告_{AS_OF}.html", own / "日报告.xls")
    return db, own


OWN_FILES = ["due_stdout.csv", "export_stdout.csv", "今日名单.csv", "今日名单.xlsx", "日报告.xls",
             f"日报告_{AS_OF}.xlsx", "汇总台账.csv", "汇总台账.xlsx", "汇总台账_不打码.xlsx"]


def test_importing_taizhang_outputs_changes_nothing(own_outputs: tuple[Path, Path]) -> None:
    db, own = own_outputs
    before = persons(db)
    due_before = tz(db, "due-today", "--format", "json").stdout
    assert len(before) == 47
    result = tz(db, "import", str(own), "--format", "json")
    assert result.exit_code == 0, result.output  # a skipped file is not a failure
    data = json.loads(result.stdout)
    # the HTML report is listed too: as taizhang's own, skipped (validate does not list it: no table)
    assert sorted(Path(f["path"]).name for f in data["files"]) == sorted([*OWN_FILES, f"日报告_{AS_OF}.html"])
    for entry in data["files"]:
        assert entry["status"] == "skipped", entry
        assert (entry["sheet"], entry["rows"]) == (None, 0)
        assert "taizhang自己生成的" in entry["skipped"] and "原始表格" in entry["skipped"]
        assert f"{Path(entry['path']).name}：这是taizhang自己生成的" in result.stderr
    assert (data["persons_new"], data["persons_updated"], data["problems"]) == (0, 0, [])
    assert persons(db) == before
    assert tz(db, "due-today", "--format", "json").stdout == due_before
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM batches WHERE path LIKE ?", (f"{own}%",)).fetchone()[0] == 0
    con.close()
    table = tz(db, "import", str(own))
    assert table.exit_code == 0 and "跳过（非表格或taizhang生成" in table.stdout


def test_validate_reports_taizhang_outputs_as_skipped(own_outputs: tuple[Path, Path]) -> None:
    _db, own = own_outputs
    result = tz(_db, "validate", str(own), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["problems"] == []
    assert sorted(Path(f["path"]).name for f in data["files"]) == OWN_FILES
    assert all(f["skipped"] and f["rows"] == 0 and "error" not in f for f in data["files"])
    table = tz(_db, "validate", str(own))
    assert "跳过taizhang生成的文件 9 个" in table.stdout


def test_the_mark_survives_another_program_saving_the_workbook(own_outputs: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    """Excel and WPS keep a workbook's document properties; openpyxl stands in for them."""
    import openpyxl

    _db, own = own_outputs
    resaved = tmp_path / "resaved"
    resaved.mkdir()
    book = openpyxl.load_workbook(own / "汇总台账.xlsx")
    book.save(resaved / "汇总台账_另存.xlsx")
    report = Validator(as_of=date(2022, 2, 8)).validate_file(resaved / "汇总台账_另存.xlsx")
    assert report.skipped and not report.sheets and report.error is None


def test_taizhang_csv_keeps_its_bytes(own_outputs: tuple[Path, Path]) -> None:
    """CSVs carry no added mark (other tools read them): the header row is recognised."""
    _db, own = own_outputs
    text = (own / "汇总台账.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("姓名,性别,身份证号,联系电话,村（社区）,") and "taizhang" not in text
    assert "taizhang" not in (own / "今日名单.csv").read_text(encoding="utf-8-sig")


def test_only_the_mark_keeps_the_export_out(own_outputs: tuple[Path, Path], tmp_path: Path) -> None:
    """An unmasked export holds the whole ledger: with its mark removed (as if the
    clerk copied the data into a new workbook) it imports to the same persons."""
    db, own = own_outputs
    plain = tmp_path / "复制的台账.xlsx"
    with zipfile.ZipFile(own / "汇总台账_不打码.xlsx") as src, zipfile.ZipFile(plain, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info).replace(b"taizhang_output", b"copied_output"))
    second = tmp_path / "second.db"
    result = tz(second, "import", str(plain), "--kind", "registration")
    assert result.exit_code == 0, result.output
    fields = ("name, sex, id_number, phone, village, arrival_date, registration_date, "
              "departure_date, regime, status, status_date, remarks")
    ours, theirs = ([tuple(r) for r in sqlite3.connect(d).execute(f"SELECT {fields} FROM persons")]
                    for d in (db, second))
    assert sorted(ours, key=str) == sorted(theirs, key=str)
    assert len(ours) == 47


def test_daily_skips_outputs_copied_into_the_inbox(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村,东溪村,桃源村,新桥社区,石门村"]
                         ).exit_code == 0
    for path in (ROOT / "sample_data").iterdir():
        if path.suffix != ".md":
            shutil.copy(path, ws / "inbox" / path.name)
    monkeypatch.chdir(ws)
    assert runner.invoke(app, ["--as-of", AS_OF, "import", "inbox"]).exit_code == 0
    first = runner.invoke(app, ["--as-of", AS_OF, "daily", "--date", AS_OF])
    assert first.exit_code == 0, first.output
    before = persons(ws / "taizhang.db")
    for path in (ws / "out" / AS_OF).iterdir():  # the day's outputs dropped into the inbox
        if path.is_file():  # every file, the texts too: none is read, none fails
            shutil.copy(path, ws / "inbox" / path.name)
    second = runner.invoke(app, ["--as-of", AS_OF, "daily", "--date", AS_OF])
    assert second.exit_code == 0, second.output
    assert "新文件 0 个" in second.output and "失败 0 个" in second.output
    assert "跳过非表格或taizhang生成的文件" in second.output
    assert persons(ws / "taizhang.db") == before
    log = (ws / "out" / "taizhang.log").read_text(encoding="utf-8")
    assert f"今日名单_{AS_OF}.csv：skipped（今日名单_{AS_OF}.csv：这是taizhang自己生成的今日名单" in log


# ------------------------------------------------------------------ masked values in village files

W = make_id(seq="457")  # 王五, stored with his full ID
HEADER = ["姓名", "身份证号", "联系电话", "村", "现住址", "返乡日期", "备注"]


def write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def validator() -> Validator:
    return Validator(as_of=date(2022, 2, 8), villages=["平阳村"], township="青石镇",
                     find_regime=POLICY.find_regime, regime_examples=POLICY.regime_examples())


def do_import(db: Path, path: Path):
    with Store(db, create=True) as store:
        return import_paths(store, [path], validator(), date(2022, 2, 8))


@pytest.fixture
def first_file(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "ledger.db"
    path = write(tmp_path / "平阳村登记.csv", [
        HEADER,
        ["王五", W, "13812345678", "平阳村", "", "2022-02-01", ""],
        ["赵六", "", "13912345678", "平阳村", "", "2022-02-01", ""],
        ["孙七", "", "", "平阳村", "", "2022-02-01", ""],
    ])
    assert do_import(db, path).ok
    return db, tmp_path


def test_masked_ids_and_phones_key_nobody_and_overwrite_nothing(first_file: tuple[Path, Path]) -> None:
    db, folder = first_file
    before = {row[2]: row for row in persons(db)}
    masked = write(folder / "平阳村登记_打码.csv", [
        HEADER,
        ["王五", W, "138****5678", "平阳村", "", "2022-02-01", ""],  # full ID, masked phone
        ["王五", mask_id(W), "138****5678", "平阳村", "", "2022-02-01", ""],  # both masked
        ["赵六", "330681********1234", "13912345678", "平阳村", "", "2022-02-01", ""],
        ["孙七", "330681＊＊＊＊＊＊＊＊5678", "", "平阳村", "幸福路**号", "2022-02-01", "电话***"],
    ])
    outcome = do_import(db, masked).outcomes[0]
    assert outcome.status == "imported"
    codes = [(p.row, p.field, p.code, p.severity) for p in outcome.problems]
    assert codes == [(2, "phone", "id_masked", "error"), (3, "id_number", "id_masked", "error"),
                     (3, "phone", "id_masked", "error"), (4, "id_number", "id_masked", "error"),
                     (5, "id_number", "id_masked", "error")]
    for p in outcome.problems:
        assert "未打码的原始表格" in p.message and W not in p.message
    after = persons(db)
    for key, _verified, _name, id_number, phone, _village in after:
        assert "*" not in key and "*" not in (id_number or "") and "*" not in (phone or "")
    by_name: dict[str, list[tuple]] = {}
    for row in after:
        by_name.setdefault(row[2], []).append(row)
    # the stored 王五 keeps his full ID and phone; the masked row could not be tied to
    # him and is an unverified 王五 of 平阳村 of its own
    wang = [r for r in by_name["王五"] if r[3] == W]
    assert wang == [before["王五"]]
    assert [(r[1], r[3], r[4]) for r in by_name["王五"] if r[3] != W] == [(0, None, None)]
    # 赵六 (name + phone) and 孙七 (name + village) are matched, still unverified
    assert by_name["赵六"] == [before["赵六"]] and by_name["孙七"] == [before["孙七"]]
    assert before["赵六"][1] == before["孙七"][1] == 0
    assert len(after) == len(before) + 1
    # masked-looking text in other columns is just text
    con = sqlite3.connect(db)
    assert con.execute("SELECT address, remarks FROM persons WHERE name='孙七'").fetchone() == (
        "幸福路**号", "电话***")
    con.close()


def test_a_row_with_only_a_masked_id_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "平阳村登记.csv", [HEADER, ["", "330681********1234", "138****5678",
                                                       "平阳村", "", "2022-02-01", ""]])
    result = validator().validate_file(path)
    sheet = result.sheets[0]
    assert [p.code for p in sheet.problems] == ["id_masked", "id_masked", "missing_required"]
    assert sheet.persons == [] and [r.row for r in sheet.rejected] == [2]


def test_masked_ids_on_a_test_sheet_key_nobody(tmp_path: Path) -> None:
    path = write(tmp_path / "平阳村核酸检测台账.csv", [
        ["姓名", "身份证号", "采样日期", "检测结果"],
        ["王五", "330681********1234", "2022-02-01", "阴性"],
        ["王五", "330681********1234", "2022-02-04", "阴性"]])
    sheet = validator().validate_file(path).sheets[0]
    assert [p.code for p in sheet.problems] == ["id_masked", "id_masked"]
    assert {t.person.id_number for t in sheet.tests} == {""}
    assert not any(t.person.id_valid for t in sheet.tests)


def test_the_merge_never_stores_a_masked_value(first_file: tuple[Path, Path]) -> None:
    """Defensive: should a masked phone or ID reach the merge, the stored one stays."""
    db, folder = first_file
    path = write(folder / "平阳村登记2.csv", [HEADER, ["王五", W, "13812345678", "平阳村", "",
                                                        "2022-02-01", "改过"]])
    result = validator().validate_file(path)
    record = result.sheets[0].persons[0]
    record.fields.update(phone="138****5678", id_number="330681********1234")
    with Store(db) as store:
        write_batch(store, result, path, "sha-of-a-tampered-file", 1, date(2022, 2, 8))
    con = sqlite3.connect(db)
    row = con.execute("SELECT id_number, phone, remarks FROM persons WHERE key=?", (f"id:{W}",)).fetchone()
    vals = con.execute("SELECT vals FROM person_rows ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    con.close()
    assert row == (W, "13812345678", "改过")
    assert "*" not in vals and "改过" in vals


X_ID = next(i for i in (make_id(seq=f"{n:03d}") for n in range(1000)) if i.endswith("X"))


@pytest.mark.parametrize(("raw", "code"), [
    ("330681********1234", "id_masked"),
    ("330681＊＊＊＊＊＊＊＊1234", "id_masked"),  # full-width asterisks
    (W[:17] + "*", "id_masked"),  # 18 characters: the right length, still masked
    ("3306****1234", "id_masked"),  # not id_length: masked first
    (" 330681********1234 ", "id_masked"),
    (X_ID[:17] + "×", None),  # × is how clerks type the X check digit, not a mask
    ("330681XXXXXXXX1234", "id_length"),  # letters are not a mask: invalid, and never a key
])
def test_masked_id_neighbours(raw: str, code: str | None) -> None:
    result = parse_id(raw, date(2022, 2, 8))
    assert result.code == code
    if code == "id_masked":
        assert (result.text, result.valid) == ("", False)


@pytest.mark.parametrize(("raw", "masked", "valid"), [
    ("138****5678", True, False),
    ("138＊＊＊＊5678", True, False),
    ("1381234567*", True, False),
    ("13812345678", False, True),
    ("138xxxx5678", False, False),  # invalid (phone_invalid), not masked
])
def test_masked_phone_neighbours(raw: str, masked: bool, valid: bool) -> None:
    result = parse_phone(raw)
    assert (result.masked, result.valid) == (masked, valid)
