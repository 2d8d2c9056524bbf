"""The ledger store and `taizhang import`/`export`/`person` (SPEC §6–§7, issue 3)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.errors import TaizhangError
from taizhang.ingest.validation import Validator
from taizhang.ledger import merge
from taizhang.ledger.importer import import_paths
from taizhang.ledger.schema import SCHEMA_VERSION
from taizhang.ledger.store import Store

AS_OF = date(2022, 2, 8)
POLICY = load_policy()
HEADER = ["姓名", "性别", "身份证号", "联系电话", "村", "返乡日期", "登记日期", "备注"]
ZHANG = make_id(seq="123")
LI = make_id(seq="245")
runner = CliRunner()


def validator() -> Validator:
    return Validator(as_of=AS_OF, villages=["平阳村", "东溪村"], township="青石镇",
                     find_regime=POLICY.find_regime, regime_examples=POLICY.regime_examples())


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, for 'the ledger equals what it was' comparisons."""
    db = sqlite3.connect(db_path)
    tables = ["batches", "persons", "person_rows", "tests", "temperature_rows", "problems",
              "rejected_rows"]
    result = {t: sorted(map(tuple, db.execute(f"SELECT * FROM {t}"))) for t in tables}
    db.close()
    return result


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


def do_import(db_path: Path, *paths: Path, as_of: date = AS_OF):
    with Store(db_path, create=True) as store:
        return import_paths(store, list(paths), validator(), as_of)


def test_import_twice_second_is_unchanged(ledger: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村",
                                                "2022-01-28", "2022-01-29", ""]])
    first = do_import(ledger, path)
    assert [o.status for o in first.outcomes] == ["imported"]
    assert first.outcomes[0].persons_new == 1
    before = snapshot(ledger)
    second = do_import(ledger, path)
    assert [o.status for o in second.outcomes] == ["unchanged"]
    assert second.outcomes[0].persons_new == 0
    assert snapshot(ledger) == before


def test_corrected_file_updates_fields_and_keeps_history(
    ledger: Path, write_csv: Callable[..., Path]
) -> None:
    rows = [HEADER, ["张三", "男", ZHANG, "1381234567", "平阳村", "2022-01-28", "2022-01-29", ""]]
    path = write_csv("平阳村登记.csv", rows)
    do_import(ledger, path)
    rows[1][3] = "13812345678"  # the clerk fixes the phone
    write_csv("平阳村登记.csv", rows)
    report = do_import(ledger, path)
    assert report.outcomes[0].status == "imported"
    assert report.outcomes[0].persons_updated == 1
    with Store(ledger, create=True) as store:
        person = store.person(ZHANG)
        assert person is not None and person["phone"] == "13812345678"
        prov = [r for r in store.provenance(person["id"]) if r["field"] == "phone"]
        assert [r["value"] for r in prov] == ["13812345678"]  # the invalid phone was never a value
        names = [r for r in store.provenance(person["id"]) if r["field"] == "name"]
        assert len(names) == 2  # history: both batches recorded the name
        assert {r["batch_id"] for r in names} == {1, 2}


def test_newest_batch_wins_field_by_field(ledger: Path, write_csv: Callable[..., Path]) -> None:
    old = write_csv("a.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村", "2022-01-28",
                                        "2022-01-29", "旧备注"]])
    do_import(ledger, old, as_of=date(2022, 2, 1))
    new = write_csv("b.csv", [["姓名", "身份证号", "村", "返乡日期", "备注"],
                              ["张三", ZHANG, "平阳村", "2022-01-28", "新备注"]])
    do_import(ledger, new, as_of=date(2022, 2, 2))
    with Store(ledger, create=True) as store:
        person = store.person(ZHANG)
        assert person["remarks"] == "新备注"  # newer batch
        assert person["phone"] == "13812345678"  # only the older batch had it
        assert person["registration_date"] == "2022-01-29"
        history = [r["value"] for r in store.provenance(person["id"]) if r["field"] == "remarks"]
        assert history == ["旧备注", "新备注"]


def test_a_late_import_of_an_older_file_does_not_win(ledger: Path, write_csv: Callable[..., Path]
                                                     ) -> None:
    """The newest as-of date wins, not the last import: the history is merged again."""
    new = write_csv("b.csv", [["姓名", "身份证号", "村", "返乡日期", "备注"],
                              ["张三", ZHANG, "平阳村", "2022-01-28", "新备注"]])
    do_import(ledger, new, as_of=date(2022, 2, 2))
    old = write_csv("a.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村", "2022-01-28",
                                        "2022-01-29", "旧备注"]])
    outcome = do_import(ledger, old, as_of=date(2022, 2, 1)).outcomes[0]
    with Store(ledger, create=True) as store:
        person = store.person(ZHANG)
        assert person["remarks"] == "新备注"  # the file of 2022-02-02, imported first
        assert person["phone"] == "13812345678"  # only the older file has it
        assert person["updated_batch"] == 2 and outcome.persons_updated == 1
        history = [r["value"] for r in store.provenance(person["id"]) if r["field"] == "remarks"]
        assert history == ["旧备注", "新备注"]  # by as-of date


def test_conflict_across_villages_names_both_sources(
    ledger: Path, write_csv: Callable[..., Path]
) -> None:
    first = write_csv("平阳村登记.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村",
                                                 "2022-01-28", "2022-01-29", ""]])
    do_import(ledger, first)
    second = write_csv("东溪村登记.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "东溪村",
                                                  "2022-01-28", "2022-01-29", ""]])
    report = do_import(ledger, second)
    conflicts = [p for p in report.problems if p.code == "conflict"]
    assert len(conflicts) == 1
    c = conflicts[0]
    assert (c.field, c.row, c.value) == ("village", 2, "东溪村")
    assert "平阳村登记.csv" in c.message and "平阳村" in c.message and "东溪村" in c.message
    with Store(ledger, create=True) as store:
        stored = store.db.execute("SELECT path, code FROM problems WHERE code='conflict'").fetchall()
        assert [tuple(r) for r in stored] == [(str(second), "conflict")]
        assert store.person(ZHANG)["village"] == "东溪村"  # newest wins, conflict reported


def test_tests_and_temperatures_are_deduplicated(ledger: Path, write_csv: Callable[..., Path]) -> None:
    tests = [["姓名", "身份证号", "采样日期", "检测结果"], ["张三", ZHANG, "2022-01-29", "阴性"]]
    do_import(ledger, write_csv("平阳村核酸1.csv", tests))
    do_import(ledger, write_csv("平阳村核酸2.csv", [*tests, ["张三", ZHANG, "2022-02-03", "阴"]]))
    with Store(ledger, create=True) as store:
        rows = store.db.execute("SELECT sample_date, result FROM tests ORDER BY sample_date").fetchall()
        assert [tuple(r) for r in rows] == [("2022-01-29", "negative"), ("2022-02-03", "negative")]


def test_corrected_file_retracts_records_it_no_longer_has(
    ledger: Path, write_csv: Callable[..., Path]
) -> None:
    header = ["姓名", "身份证号", "采样日期", "检测结果"]
    path = write_csv("平阳村核酸.csv", [header, ["张三", ZHANG, "2022-01-19", "阴性"]])
    do_import(ledger, path)
    write_csv("平阳村核酸.csv", [header, ["张三", ZHANG, "2022-01-29", "阴性"]])  # date typo fixed
    do_import(ledger, path)
    with Store(ledger, create=True) as store:
        rows = store.db.execute("SELECT sample_date, retracted_by FROM tests ORDER BY sample_date")
        assert [tuple(r) for r in rows] == [("2022-01-19", 2), ("2022-01-29", None)]


def test_rejected_rows_are_stored_with_their_cells(ledger: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", [HEADER, ["", "男", "", "", "平阳村", "2022-01-28", "", "无名"]])
    report = do_import(ledger, path)
    assert report.to_dict()["rejected_rows"] == 1
    with Store(ledger, create=True) as store:
        row = store.db.execute("SELECT row, cells FROM rejected_rows").fetchone()
        assert row["row"] == 2
        assert json.loads(row["cells"])["备注"] == "无名"


def test_failing_file_leaves_the_database_as_before(
    ledger: Path, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = write_csv("a.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村", "2022-01-28",
                                        "", ""]])
    do_import(ledger, good)
    before = snapshot(ledger)
    calls = {"n": 0}
    real = merge.write_tests

    def failing(*args, **kwargs):
        calls["n"] += 1
        real(*args, **kwargs)
        raise TaizhangError("模拟写入失败")

    monkeypatch.setattr(merge, "write_tests", failing)
    bad = write_csv("b.csv", [HEADER, ["李四", "男", LI, "13912345678", "平阳村", "2022-01-30", "", ""]])
    report = do_import(ledger, bad)
    assert calls["n"] == 1
    assert [o.status for o in report.outcomes] == ["failed"]
    assert snapshot(ledger) == before


def test_one_bad_file_does_not_stop_the_others(ledger: Path, write_csv: Callable[..., Path],
                                               tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    write_csv("a.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村", "2022-01-28", "", ""]])
    report = do_import(ledger, tmp_path)
    statuses = {Path(o.path).name: o.status for o in report.outcomes}
    assert (statuses.pop("a.csv"), statuses.pop("empty.csv")) == ("imported", "failed")
    # the ledger's own files lie in the folder too: not tables, listed as skipped
    assert set(statuses.values()) <= {"skipped"}
    assert not report.ok


def test_kill_9_mid_import_leaves_a_consistent_ledger(
    ledger: Path, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    first = write_csv("a.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村", "2022-01-28",
                                         "", ""]])
    do_import(ledger, first)
    before = snapshot(ledger)
    second = write_csv("b.csv", [HEADER, ["李四", "男", LI, "13912345678", "平阳村", "2022-01-30",
                                          "", ""]])
    marker = tmp_path / "inside-transaction"
    script = textwrap.dedent(f"""
        import time
        from datetime import date
        from pathlib import Path
        from taizhang.ledger import merge, store
        from taizhang.ledger.importer import import_paths
        from taizhang.ingest.validation import Validator
        real = merge._Merger.finish
        def finish(self):
            real(self)
            Path({str(marker)!r}).write_text("x")
            time.sleep(60)  # killed here, inside the open transaction
        merge._Merger.finish = finish
        with store.Store(Path({str(ledger)!r}), create=True) as s:
            import_paths(s, [Path({str(second)!r})], Validator(as_of=date(2022, 2, 8)), date(2022, 2, 8))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the importer ended before reaching the transaction"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
        proc.wait()
    with Store(ledger, create=True) as store:
        assert store.integrity_ok()
    assert snapshot(ledger) == before
    report = do_import(ledger, second)  # the next run simply imports it
    assert [o.status for o in report.outcomes] == ["imported"]


def test_second_writer_waits_then_gives_a_clear_message(ledger: Path) -> None:
    Store(ledger, create=True).close()
    holder = sqlite3.connect(ledger, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store(ledger, timeout=0.3, create=True):
            pytest.fail("opening should have waited for the lock")  # pragma: no cover
    except TaizhangError as exc:
        assert "另一个taizhang进程" in exc.message
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_second_writer_proceeds_once_the_first_commits(ledger: Path) -> None:
    Store(ledger, create=True).close()
    holder = sqlite3.connect(ledger, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    timer.start()
    with Store(ledger, timeout=10, create=True) as store:
        assert store.integrity_ok()
    timer.join()
    holder.close()


def test_newer_schema_is_refused(ledger: Path) -> None:
    Store(ledger, create=True).close()
    db = sqlite3.connect(ledger)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(TaizhangError, match="更新版本"):
        Store(ledger, create=True)


def test_database_is_private(ledger: Path) -> None:
    Store(ledger, create=True).close()
    if sys.platform != "win32":
        assert ledger.stat().st_mode & 0o777 == 0o600


# ------------------------------------------------------------------ CLI


def cli(*args: str, db: Path) -> object:
    return runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-08", *args])


def test_cli_import_sample_data_json(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("import", "sample_data", "--format", "json", db=ledger)
    assert result.exit_code == 0, result.output  # data problems are reported, no file failed
    data = json.loads(result.stdout)
    assert {"files", "persons_new", "persons_updated", "rejected_rows", "problems"} <= set(data)
    status = {Path(f["path"]).name: f["status"] for f in data["files"]}
    assert status.pop("README.md") == "skipped"  # not a table: listed once, never failed
    assert set(status.values()) == {"imported"}
    assert data["persons_new"] + 0 == 47  # 46 people + the unrecoverable id_scientific row's key
    again = json.loads(cli("import", "sample_data", "--format", "json", db=ledger).stdout)
    assert {f["status"] for f in again["files"]} == {"unchanged", "skipped"}
    assert (again["persons_new"], again["persons_updated"], again["problems"]) == (0, 0, [])


def test_an_export_is_never_imported_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even unmasked, the export is taizhang's own file, not village data (issue 13);
    tests/test_masked.py checks it still holds the whole ledger."""
    monkeypatch.chdir(ROOT)
    first, second = tmp_path / "one.db", tmp_path / "two.db"
    cli("import", "sample_data", db=first)
    exported = tmp_path / "汇总台账.xlsx"
    result = cli("export", "--format", "xlsx", "--out", str(exported), "--no-mask", db=first)
    assert result.exit_code == 0, result.output
    result = cli("import", str(exported), "--kind", "registration", "--format", "json", db=second)
    assert result.exit_code == 0, result.output
    assert [f["status"] for f in json.loads(result.stdout)["files"]] == ["skipped"]
    with Store(second) as b:
        assert b.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


def test_export_csv_masks_and_neutralises(ledger: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村",
                                                "2022-01-28", "", "=HYPERLINK(\"x\")"]])
    cli("import", str(path), db=ledger)
    result = cli("export", "--format", "csv", db=ledger)
    assert result.exit_code == 0, result.output
    assert ZHANG not in result.stdout and "138****5678" in result.stdout
    assert "'=HYPERLINK" in result.stdout
    clear = cli("export", "--format", "csv", "--no-mask", db=ledger).stdout
    assert ZHANG in clear


def test_person_shows_provenance(ledger: Path, write_csv: Callable[..., Path]) -> None:
    path = write_csv("平阳村登记.csv", [HEADER, ["张三", "男", ZHANG, "13812345678", "平阳村",
                                                "2022-01-28", "", ""]])
    cli("import", str(path), db=ledger)
    result = cli("person", ZHANG, "--format", "json", db=ledger)
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["id_number"] == ZHANG[:6] + "********" + ZHANG[-4:]
    arrival = next(f for f in view["fields"] if f["field"] == "arrival_date")
    assert arrival["value"] == "2022-01-28"
    assert arrival["source"] == {"path": str(path), "sheet": "平阳村登记", "row": 2}
    missing = cli("person", LI, db=ledger)
    assert missing.exit_code == 1 and LI not in missing.output


def test_person_cache_survives_a_failed_file_and_another_writer(
    ledger: Path, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run-level person cache learns only from committed files, and is
    dropped when another process wrote to the ledger in between."""
    from taizhang.errors import TaizhangError
    from taizhang.ledger.merge import PersonCache, write_batch

    def batch(store: Store, name: str, rows: list[list[str]], cache: PersonCache | None):
        path = write_csv(name, rows)
        result = validator().validate_file(path)
        return write_batch(store, result, path, name, 1, AS_OF, cache)

    head = ["姓名", "身份证号", "采样日期", "检测结果"]
    cache = PersonCache()
    with Store(ledger, create=True) as store:
        real = merge.write_tests

        def failing(*args, **kwargs):
            raise TaizhangError("磁盘已满")

        monkeypatch.setattr(merge, "write_tests", failing)
        with pytest.raises(TaizhangError):  # rolled back after the person was inserted
            batch(store, "a.csv", [head, ["张三", ZHANG, "2022-01-29", "阴性"]], cache)
        assert not cache.ids and not cache.rows  # the rolled-back person id is not remembered
        monkeypatch.setattr(merge, "write_tests", real)
        batch(store, "b.csv", [head, ["张三", ZHANG, "2022-01-30", "阴性"]], cache)
        assert store.person(ZHANG)["name"] == "张三"
        with Store(ledger, create=True) as other:  # another process registers him meanwhile
            batch(other, "c.csv", [["姓名", "身份证号", "村", "返乡日期", "备注"],
                                   ["张三", ZHANG, "平阳村", "2022-01-28", "另一进程"]], None)
        batch(store, "d.csv", [["姓名", "身份证号", "返乡日期", "联系电话"],
                               ["张三", ZHANG, "2022-01-28", "13812345678"]], cache)
        person = store.person(ZHANG)
        assert (person["remarks"], person["phone"], person["village"]) == (
            "另一进程", "13812345678", "平阳村")
        assert store.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 1


def test_history_has_each_value_of_a_row_once(ledger: Path) -> None:
    """A 居家隔离台账 row registers a person and carries test columns: the row's
    values are history once, not again for the tests that name the person."""
    do_import(ledger, ROOT / "sample_data" / "东溪村居家隔离台账.xlsx")
    with Store(ledger, create=True) as store:
        person = store.person("33068219861208447X")
        seen = [(v["field"], v["value"], v["sheet"], v["row"]) for v in store.provenance(person["id"])]
        assert len(seen) == len(set(seen)) and ("name", "陈喆", "隔离台账", 4) in seen
        assert store.db.execute("SELECT count(*) FROM person_rows WHERE person_id=?",
                                (person["id"],)).fetchone()[0] == 1


def test_a_cache_of_the_whole_ledger_gives_the_same_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import of many files into a ledger with people starts its person
    cache with every person (`PersonCache(whole=True)`); the ledger is the same
    as when each file looks its people up. The second day here re-sends a
    grown file, fixes a name, registers a person a test sheet named first,
    brings someone new, and a supplementary list adds to a person's values."""
    from taizhang.ledger import importer

    QIAN = make_id(seq="391")

    def day(folder: Path, second: bool) -> None:
        folder.mkdir(exist_ok=True)
        reg = ["姓名,身份证号,联系电话,返乡日期,备注",
               f"张三,{ZHANG},13812345678,2022-01-28,居家", f"李四,{LI},13812345679,2022-01-29,复核"]
        tests = ["姓名,身份证号,采样日期,检测结果", f"张三,{ZHANG},2022-01-29,阴性",
                 f"王五,{make_id(seq='367')},2022-01-30,阴性"]
        if second:
            reg[2] = f"李思,{LI},13812345679,2022-01-29,"
            reg.append(f"王五,{make_id(seq='367')},13812345670,2022-01-30,")
            reg.append(f"赵六,{make_id(seq='389')},,2022-02-01,新来")
            tests.append(f"张三,{ZHANG},2022-01-31,阴性")
            # a supplementary list: 钱七's 备注 (yesterday's other file, not sent
            # again) comes from the cache's row, laid under the new address
            (folder / "平阳村补报.csv").write_text(f"姓名,身份证号,现住址\n钱七,{QIAN},平阳村3组\n",
                                                encoding="utf-8")
        else:
            (folder / "平阳村首批.csv").write_text(
                f"姓名,身份证号,返乡日期,备注\n钱七,{QIAN},2022-01-27,首批\n", encoding="utf-8")
        (folder / "平阳村登记.csv").write_text("\n".join(reg) + "\n", encoding="utf-8")
        (folder / "平阳村核酸.csv").write_text("\n".join(tests) + "\n", encoding="utf-8")

    def dump(db: Path) -> list[tuple]:
        with Store(db) as store:
            return [tuple(r) for r in store.db.execute(
                "SELECT * FROM persons ORDER BY id")] + [tuple(r) for r in store.db.execute(
                "SELECT person_id, sample_date, result, batch_id, retracted_by FROM tests ORDER BY id")]

    ledgers = []
    for whole in (False, True):
        monkeypatch.setattr(importer, "WHOLE_CACHE_FILES", 1 if whole else 10**9)
        db, inbox = tmp_path / f"{whole}.db", tmp_path / f"inbox{whole}"
        day(inbox, second=False)
        do_import(db, inbox)
        day(inbox, second=True)
        do_import(db, inbox)
        ledgers.append(dump(db))
    assert ledgers[0] == ledgers[1]
    assert any("李思" in row for row in ledgers[1]) and any("赵六" in row for row in ledgers[1])
    assert any("首批" in row and "平阳村3组" in row for row in ledgers[1])


def test_an_import_checkpoints_the_wal_less_often_and_restores_the_default(
        tmp_path: Path, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Store.bulk_writes (issue 18): during an import the WAL is checkpointed every
    BULK_CHECKPOINT_PAGES pages, after it SQLite's default of 1000 again."""
    from taizhang.ledger import store as store_module

    store = Store(tmp_path / "l.db", create=True)
    assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    seen: list[int] = []
    real_write = merge.write_batch

    def spy(st: Store, *args: object, **kwargs: object) -> object:
        seen.append(st.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        return real_write(st, *args, **kwargs)

    monkeypatch.setattr("taizhang.ledger.importer.write_batch", spy)
    path = write_csv("平阳村登记.csv", [["姓名", "身份证号", "返乡日期"], ["张三", make_id(), "2022-02-01"]])
    report = import_paths(store, [path], Validator(as_of=AS_OF), AS_OF)
    assert [o.status for o in report.outcomes] == ["imported"]
    assert seen == [store_module.BULK_CHECKPOINT_PAGES]
    assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    store.close()


def test_the_newest_as_of_date_is_read_from_an_index(ledger: Path, write_csv: Callable[..., Path]
                                                     ) -> None:
    """Every file an import merges asks for the newest as-of date of the other
    batches; a county's ledger gains 900 batches a day, and the scan it was
    made 900 queries cost seconds after a month. Read from batches_as_of's end,
    also in a ledger made before the index (created when it is opened)."""
    path = write_csv("a.csv", [HEADER, ["张三", "男", ZHANG, "13800000000", "平阳村", "2022-02-01",
                                        "2022-02-01", ""]])
    do_import(ledger, path)
    db = sqlite3.connect(ledger)
    db.execute("DROP INDEX batches_as_of")  # as a ledger of an older taizhang
    db.commit()
    db.close()
    with Store(ledger) as store:
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + merge.NEWEST_OTHER, (0,)))
        assert "batches_as_of" in plan, plan
        store.db.executemany("INSERT INTO batches(path, sha256, size, as_of, imported_at, undone_at) "
                             "VALUES ('x', 'y', 1, ?, 'z', ?)",
                             [("2022-02-09", None), ("2022-02-10", "2022-02-10T08:00:00")])
        newest = [store.db.execute(merge.NEWEST_OTHER, (b,)).fetchone()[0] for b in (1, 2, 3)]
        assert newest == ["2022-02-09", "2022-02-08", "2022-02-09"]  # undone ones never count
