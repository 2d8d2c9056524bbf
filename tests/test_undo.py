"""`taizhang batches` / `taizhang undo`, the daily backups, and retraction told (issue 13).

The promise of undo: import A, import B, undo B, and every output equals that
of importing A alone into a fresh ledger. A is `sample_data/`; B is what
villages really send: a corrected later version of files already imported
(values changed, tests added, rows dropped, so retraction is involved), or new
files bringing new persons and registering people A only knew from a
temperature sheet.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT, make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.ledger.store import Store

runner = CliRunner()
SAMPLE = ROOT / "sample_data"
TESTS_CSV = "东溪村核酸检测台账.csv"
PINGYANG = "平阳村返乡人员登记表.xlsx"
XINQIAO = "新桥社区体温监测表.xlsx"
DATES = ("2022-02-06", "2022-02-08", "2022-02-10")
NEW_A, NEW_B = make_id(seq="731"), make_id(area="330682", seq="842")


def cli(db: Path, *args: str, as_of: str = "2022-02-10"):
    return runner.invoke(app, ["--db", str(db), "--as-of", as_of, *args])


def workspace(root: Path) -> Path:
    """A copy of sample_data/ as the village files of a workspace."""
    files = root / "files"
    shutil.copytree(SAMPLE, files)
    (files / "README.md").unlink()
    return files


def import_(db: Path, *paths: Path, as_of: str) -> dict:
    result = cli(db, "import", *map(str, paths), "--format", "json", as_of=as_of)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def outputs(db: Path) -> dict[str, str]:
    """What other tools read: the master ledger, the due lists and the report, unmasked."""
    found = {"export": cli(db, "export", "--format", "csv", "--no-mask").stdout}
    for day in DATES:
        found[f"due {day}"] = cli(db, "due-today", "--date", day, "--format", "json", "--no-mask").stdout
    for day in ("2022-02-09", "2022-02-10"):  # B's as-of dates: an undone file was never sent
        found[f"report {day}"] = cli(db, "daily-report", "--date", day, "--format", "json").stdout
    assert all(text for text in found.values())
    return found


def fresh(tmp_path: Path, name: str, *steps: tuple[str, list[Path]]) -> dict[str, str]:
    """Outputs of a new ledger that imported only `steps` (as_of, paths)."""
    db = tmp_path / f"{name}.db"
    for as_of, paths in steps:
        import_(db, *paths, as_of=as_of)
    return outputs(db)


def batch_ids(db: Path) -> list[int]:
    return [b["batch"] for b in json.loads(cli(db, "batches", "--format", "json").stdout)["batches"]]


# ---------------------------------------------------------------- the corrected versions


def correct_tests_csv(files: Path, version: int = 2) -> None:
    """The clerk sends 东溪村核酸检测台账.csv again: a result corrected, a row
    dropped, the impossible date fixed, a new test; version 3 brings the
    dropped row back and drops another."""
    path = files / TESTS_CSV
    lines = (SAMPLE / TESTS_CSV).read_bytes().decode("gbk").split("\r\n")
    header, rows = lines[0], [line for line in lines[1:] if line]
    rows[0] = rows[0].replace("阴性", "阳性")  # 沈素芬 2022/1/11: now positive
    rows[16] = rows[16].replace("2022/1/72", "2022/1/27")  # the date typo fixed
    dropped = 5 if version == 2 else 7
    rows = [r for i, r in enumerate(rows) if i != dropped]
    rows.append("41,陈喆,33068219861208447X,2022-02-07,阴性,东溪村卫生室")
    path.write_bytes("\r\n".join([header, *rows, ""]).encode("gbk"))


def correct_registration(files: Path) -> None:
    """平阳村 sends its registration again: another regime, a new phone, a found arrival date."""
    book = openpyxl.load_workbook(SAMPLE / PINGYANG)
    sheet = book.active
    sheet["E5"] = "18606720000"  # 马海涛's phone
    sheet["O10"] = "居家隔离14天"  # 俞宇航: 7+7 before
    sheet["J15"] = sheet["K15"] = "2022-01-30"  # 应美玲's arrival, 待核实 before
    book.save(files / PINGYANG)


def correct_temperatures(files: Path) -> None:
    """新桥社区's sheet again: 谭俊's row gone, 王建军 feverish on 2月7日 afternoon."""
    book = openpyxl.load_workbook(SAMPLE / XINQIAO)
    sheet = book.active
    sheet["P4"] = 38.1
    sheet.delete_rows(10)
    book.save(files / XINQIAO)


def new_persons(files: Path) -> list[Path]:
    """Files bringing new persons: 新桥社区 registers two people A only knew
    from the temperature sheet and two newcomers, and another value for 马海涛;
    a test sheet for them."""
    registration = files / "新桥社区补报登记.csv"
    registration.write_text("\n".join([
        "姓名,性别,身份证号,联系电话,村,返乡日期,登记日期,管控措施,备注",
        "王建军,男,330681197005017530,13900000001,新桥社区,2022-02-01,2022-02-01,,",
        "丁德明,男,330681200410109417,13900000002,新桥社区,2022-02-02,2022-02-02,居家隔离14天,",
        f"林新,男,{NEW_A},13900000003,新桥社区,2022-02-07,2022-02-07,,",
        f"周来,男,{NEW_B},13900000004,新桥社区,2022-02-08,2022-02-08,7+7,",
        "马海涛,男,330681198003074456,18606724615,平阳村,2022-01-22,2022-01-22,,补报时核实",
    ]) + "\n", encoding="utf-8")
    tests = files / "新桥社区补报核酸.csv"
    tests.write_text("\n".join([
        "姓名,身份证号,采样日期,检测结果",
        f"林新,{NEW_A},2022-02-07,阴性",
        f"周来,{NEW_B},2022-02-08,阴性",
        "王建军,330681197005017530,2022-02-02,阴性",
    ]) + "\n", encoding="utf-8")
    return [registration, tests]


# ---------------------------------------------------------------- undo = never imported


def test_undo_of_a_corrected_version_equals_importing_a_alone(tmp_path: Path) -> None:
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    import_(db, files, as_of="2022-02-08")
    expected = fresh(tmp_path, "a_alone", ("2022-02-08", [workspace(tmp_path / "a")]))
    assert outputs(db) == expected
    correct_tests_csv(files)
    correct_registration(files)
    correct_temperatures(files)
    report = import_(db, files, as_of="2022-02-09")
    changed = {f["path"]: f for f in report["files"] if f["status"] == "imported"}
    assert set(changed) == {str(files / n) for n in (TESTS_CSV, PINGYANG, XINQIAO)}
    # retraction told: the dropped test row and the corrected result; 谭俊's 13 readings (one was blank)
    assert changed[str(files / TESTS_CSV)]["retracted"] == 2
    assert changed[str(files / XINQIAO)]["retracted"] == 13
    assert "retracted" not in changed[str(files / PINGYANG)]
    after_b = outputs(db)
    assert after_b != expected and after_b["export"] != expected["export"]
    assert after_b["due 2022-02-10"] != expected["due 2022-02-10"]

    undone = batch_ids(db)[-3:]
    result = cli(db, "undo", *map(str, undone))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("已撤销批次") == 3
    assert "恢复被该批次撤下的旧版本记录 2 条" in result.stdout
    assert outputs(db) == expected
    with Store(db) as store:
        assert store.integrity_ok()
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_undo_of_new_persons_removes_them_and_unregisters(tmp_path: Path) -> None:
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    import_(db, files, as_of="2022-02-08")
    added = import_(db, *new_persons(tmp_path), as_of="2022-02-10")
    assert added["persons_new"] == 2
    after_b = outputs(db)
    assert NEW_A in after_b["export"] and "补报时核实" in after_b["export"]
    result = cli(db, "undo", *map(str, batch_ids(db)[-2:]))
    assert result.exit_code == 0, result.output
    assert "删除只由该批次导入的人员 2 人" in result.stdout
    assert outputs(db) == fresh(tmp_path, "a_alone", ("2022-02-08", [workspace(tmp_path / "a")]))
    with Store(db) as store:
        assert store.person(NEW_A) is None and store.person(NEW_B) is None
        wang = store.person("330681197005017530")
        assert wang["registered"] == 0 and wang["phone"] is None  # only the temperature sheet again


def test_undo_of_a_batch_that_is_not_the_newest(tmp_path: Path) -> None:
    """A, then the test sheet's version 2, new persons, the test sheet's
    version 3; undoing version 2 equals A, new persons, version 3: what
    version 2 retracted passes to version 3 or comes back."""
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    import_(db, files, as_of="2022-02-08")
    correct_tests_csv(files, version=2)
    import_(db, files / TESTS_CSV, as_of="2022-02-09")
    version2 = batch_ids(db)[-1]
    extra = new_persons(tmp_path)
    import_(db, *extra, as_of="2022-02-10")
    correct_tests_csv(files, version=3)
    import_(db, files / TESTS_CSV, as_of="2022-02-10")
    assert cli(db, "undo", str(version2)).exit_code == 0

    other = workspace(tmp_path / "b")
    db2 = tmp_path / "expected.db"
    import_(db2, other, as_of="2022-02-08")
    import_(db2, *extra, as_of="2022-02-10")
    correct_tests_csv(other, version=3)
    import_(db2, other / TESTS_CSV, as_of="2022-02-10")
    assert outputs(db) == outputs(db2)


def test_undo_then_import_again_brings_the_file_back(tmp_path: Path) -> None:
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    import_(db, files, as_of="2022-02-08")
    before = outputs(db)
    last = batch_ids(db)[-1]
    assert cli(db, "undo", str(last)).exit_code == 0
    assert outputs(db) != before
    again = import_(db, files, as_of="2022-02-08")  # the undone bytes are imported anew
    assert [f["status"] for f in again["files"]].count("imported") >= 1
    assert outputs(db) == before


def test_undo_messages_and_exit_codes(tmp_path: Path) -> None:
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    import_(db, files, as_of="2022-02-08")
    before = outputs(db)
    unknown = cli(db, "undo", "1", "99")
    assert unknown.exit_code == 2
    assert "台账中没有批次 99" in unknown.output and "taizhang batches" in unknown.output
    assert "Traceback" not in unknown.output
    assert outputs(db) == before  # batch 1 was not undone either: the list is checked first
    words = cli(db, "undo", "最后一个")
    assert words.exit_code == 2 and "不是批次号" in words.output
    assert cli(db, "undo", "2").exit_code == 0
    twice = cli(db, "undo", "2")
    assert twice.exit_code == 0 and "撤销过，无需再撤销" in twice.stdout
    missing = cli(tmp_path / "none.db", "undo", "1")
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_batches_json_shape(tmp_path: Path) -> None:
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    report = import_(db, files, as_of="2022-02-08")
    rows: dict[str, int] = {}
    for entry in report["files"]:
        rows[entry["path"]] = rows.get(entry["path"], 0) + entry["rows"]
    assert cli(db, "undo", "3").exit_code == 0
    result = cli(db, "batches", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == ["batches"]
    found = data["batches"]
    assert [b["batch"] for b in found] == list(range(1, len(rows) + 1))
    for b in found:
        assert list(b) == ["batch", "path", "as_of", "imported_at", "rows", "undone"]
        assert type(b["batch"]) is int and type(b["rows"]) is int and type(b["undone"]) is bool
        assert b["as_of"] == "2022-02-08" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", b["imported_at"])
        assert b["rows"] == rows[b["path"]]
        assert b["undone"] is (b["batch"] == 3)
    assert rows[str(files / "石门村台账.xlsx")] == 9 + 17 + 31
    table = cli(db, "batches")
    assert table.exit_code == 0 and "已撤销" in table.stdout and "有效" in table.stdout


def test_a_ledger_of_the_previous_version_refuses_to_undo_its_old_batches(tmp_path: Path) -> None:
    """Batches imported before version 4 kept no replaced test provenance."""
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    import_(db, files / TESTS_CSV, as_of="2022-02-08")
    with sqlite3.connect(db) as raw:
        raw.execute("INSERT INTO meta(key, value) VALUES ('undo_from', '2')")
    raw.close()
    result = cli(db, "undo", "1")
    assert result.exit_code == 1 and "升级前" in result.output and "backups" in result.output


# ---------------------------------------------------------------- retraction told


def test_retraction_is_told_on_stderr_and_in_json(tmp_path: Path) -> None:
    files = workspace(tmp_path / "ws")
    db = tmp_path / "ws" / "taizhang.db"
    first = import_(db, files, as_of="2022-02-08")
    assert all("retracted" not in f for f in first["files"])
    correct_tests_csv(files)
    result = runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-09", "import", str(files)])
    assert result.exit_code == 0
    assert f"{files / TESTS_CSV} 是已导入文件的新版本" in result.stderr
    assert "不再有旧版本的 2 条记录（核酸记录 2 条）" in result.stderr
    with Store(db) as store:
        assert store.db.execute("SELECT count(*) FROM tests WHERE retracted_by IS NOT NULL"
                                ).fetchone()[0] == 2


def test_a_file_is_the_same_file_however_its_path_was_typed(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    files = workspace(root)
    monkeypatch.chdir(root)
    db = root / "taizhang.db"
    import_(db, Path("files") / TESTS_CSV, as_of="2022-02-08")
    correct_tests_csv(files)
    typed = str(Path(f"./files/../files/{TESTS_CSV}"))  # Path drops the "./", keeps the ".."
    second = import_(db, Path(typed), as_of="2022-02-09")
    assert second["files"][0]["path"] == typed == f"files/../files/{TESTS_CSV}"  # as typed
    assert second["files"][0]["retracted"] == 2
    correct_tests_csv(files, version=3)
    third = import_(db, files.resolve() / TESTS_CSV, as_of="2022-02-10")
    assert third["files"][0]["retracted"] == 1  # the row v3 drops (v2's dropped row is back)
    with Store(db) as store:
        active = store.db.execute("SELECT count(*) FROM tests WHERE retracted_by IS NULL").fetchone()[0]
    only_v3 = tmp_path / "v3.db"
    import_(only_v3, files / TESTS_CSV, as_of="2022-02-10")
    with Store(only_v3) as store:
        assert active == store.db.execute("SELECT count(*) FROM tests").fetchone()[0]
    paths = [b["path"] for b in json.loads(cli(db, "batches", "--format", "json").stdout)["batches"]]
    assert paths == [str(Path("files") / TESTS_CSV), typed, str(files.resolve() / TESTS_CSV)]


# ---------------------------------------------------------------- daily backups


def test_daily_keeps_the_last_seven_backups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(root), "--villages", "平阳村,东溪村"]).exit_code == 0
    monkeypatch.chdir(root)
    shutil.copy(SAMPLE / TESTS_CSV, root / "inbox" / TESTS_CSV)
    for day in range(1, 10):
        date = f"2022-02-{day:02d}"
        if day == 5:  # a new file on day 5: the backups before and after differ
            shutil.copy(SAMPLE / PINGYANG, root / "inbox" / PINGYANG)
        result = runner.invoke(app, ["--as-of", date, "daily", "--date", date])
        assert result.exit_code == 0, result.output
    backups = sorted((root / "backups").iterdir())
    assert [p.name for p in backups] == [f"taizhang-2022-02-{d:02d}.db" for d in range(3, 10)]
    for path in backups:
        if sys.platform != "win32":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file to copy back
        files = db.execute("SELECT count(*) FROM batches").fetchone()[0]
        db.close()
        assert files == (1 if path.name <= "taizhang-2022-02-05.db" else 2)  # as before that day's import
        with Store(path) as store:  # a backup is a ledger taizhang opens
            assert store.counts()["batches"] == files
    log = (root / "out" / "taizhang.log").read_text(encoding="utf-8")
    assert "导入前备份台账到" in log and "删除旧备份" in log
    again = runner.invoke(app, ["--as-of", "2022-02-09", "daily", "--date", "2022-02-09"])
    assert again.exit_code == 0
    assert (root / "backups" / "taizhang-2022-02-09-2.db").exists()
    assert len(os.listdir(root / "backups")) == 7
