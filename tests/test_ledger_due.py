"""due-today from the store: the array loader and the CLI agree with the oracle (tests/oracle.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import ROOT
from oracle import due_lists
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ledger.people import load_people
from taizhang.ledger.snapshot import load_arrays
from taizhang.ledger.store import Store
from taizhang.policy.due import due_lists as due_lists_fast
from taizhang.privacy import mask_id

runner = CliRunner()
POLICY = load_policy()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("ledger") / "sample.db"
    import os

    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        result = runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-08", "import", "sample_data"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize("offset", range(-20, 12, 3))
def test_arrays_from_the_store_give_the_reference_lists(sample_db: Path, offset: int) -> None:
    day = date(2022, 2, 8) + timedelta(days=offset)
    with Store(sample_db, create=True) as store:
        reference = due_lists(load_people(store, day), day, POLICY)
        fast = due_lists_fast(load_arrays(store, day, POLICY.fever_threshold), day, POLICY)
    assert fast == reference


def test_cli_due_today_json_is_masked_reference(sample_db: Path) -> None:
    result = runner.invoke(app, ["--db", str(sample_db), "due-today", "--date", "2022-02-08",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with Store(sample_db, create=True) as store:
        reference = due_lists(load_people(store, date(2022, 2, 8)), date(2022, 2, 8), POLICY)
    assert set(data) == {"date", "tests_due", "tests_overdue", "releases_due", "releases_blocked",
                         "temperature_missing", "fever"}
    for key in ("tests_due", "tests_overdue", "releases_blocked"):
        assert [e["id_number"] for e in data[key]] == [mask_id(e["id_number"]) for e in reference[key]]
        assert [{k: v for k, v in e.items() if k != "id_number"} for e in data[key]] == \
            [{k: v for k, v in e.items() if k != "id_number"} for e in reference[key]]


@pytest.mark.parametrize("fmt", ["table", "csv", "xlsx"])
def test_cli_due_today_formats(sample_db: Path, tmp_path: Path, fmt: str) -> None:
    args = ["--db", str(sample_db), "due-today", "--date", "2022-02-08", "--format", fmt]
    if fmt == "xlsx":
        args += ["--out", str(tmp_path / "due.xlsx")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    if fmt == "xlsx":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(tmp_path / "due.xlsx"))
        assert book.sheet_names == ["今日待检（含昨日应检未检）", "逾期未检", "今日应解除", "解除受阻",
                                    "体温缺报", "发热"]
    elif fmt == "csv":
        assert result.stdout.splitlines()[0].startswith("清单,")
        assert "*" in result.stdout
    else:
        assert "今日待检（含昨日应检未检）" in result.stdout


def test_sample_due_today_matches_the_hand_checked_lists(tmp_path: Path, monkeypatch) -> None:
    """sample_data/README.md derives each entry by hand; the command must agree."""
    monkeypatch.chdir(ROOT)
    db = tmp_path / "s.db"
    assert runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-08", "import", "sample_data"]
                         ).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "due-today", "--date", "2022-02-08", "--format",
                                 "json", "--no-mask"])
    assert result.exit_code == 0, result.output
    expected = json.loads((ROOT / "tests" / "data" / "sample_due_2022-02-08.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == expected


def test_fever_of_someone_only_in_a_temperature_sheet_is_listed(tmp_path: Path) -> None:
    sheet = tmp_path / "新桥社区体温.csv"
    sheet.write_text("姓名,身份证号,日期,时段,体温\n孤儿,11010519491231002X,2022-02-07,下午,38.4\n",
                     encoding="utf-8")
    db = tmp_path / "f.db"
    assert runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-08", "import", str(sheet)]
                         ).exit_code == 0
    data = json.loads(runner.invoke(app, ["--db", str(db), "due-today", "--date", "2022-02-08",
                                          "--format", "json"]).stdout)
    assert [(e["name"], e["village"], e["temperature"], e["day"]) for e in data["fever"]] == \
        [("孤儿", "新桥社区", 38.4, None)]
    report = json.loads(runner.invoke(app, ["--db", str(db), "daily-report", "--date", "2022-02-07",
                                            "--format", "json"]).stdout)
    assert report["totals"]["fever"] == 1


def test_incremental_snapshot_equals_a_full_rebuild(tmp_path: Path, write_csv) -> None:
    """Splicing the persons a batch touched into the saved snapshot gives the same
    arrays as rebuilding it: new people, corrected files (retracted records), a
    test-only person who becomes registered, and a fever."""
    import numpy as np
    from conftest import make_id

    from taizhang.ingest.validation import Validator
    from taizhang.ledger.importer import import_paths
    from taizhang.ledger.snapshot import _build_snapshot, _snapshot_path

    a, b, c = make_id(seq="113"), make_id(seq="225"), make_id(seq="337")
    db = tmp_path / "inc.db"
    steps = [
        ("登记.csv", [["姓名", "身份证号", "村", "返乡日期"], ["甲", a, "平阳村", "2022-01-28"],
                     ["乙", b, "平阳村", "2022-01-29"]]),
        ("核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"], ["甲", a, "2022-01-28", "阴性"],
                     ["丙", c, "2022-01-30", "阴性"]]),
        ("核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"], ["甲", a, "2022-01-29", "阴性"],
                     ["乙", b, "2022-02-03", "待出"]]),  # corrected: 01-28 retracted
        ("体温.csv", [["姓名", "身份证号", "日期", "时段", "体温"], ["乙", b, "2022-02-04", "上午", "38.1"]]),
        ("登记2.csv", [["姓名", "身份证号", "村", "返乡日期"], ["丙", c, "东溪村", "2022-01-30"]]),
        # the same reading sent again, lower: the newer one wins and the fever goes
        ("体温2.csv", [["姓名", "身份证号", "日期", "时段", "体温"], ["乙", b, "2022-02-04", "上午", "36.5"],
                      ["甲", a, "2022-02-05", "下午", "36.6"]]),
        # a corrected first sheet: 乙's old row is retracted, 甲 gets a fever
        ("体温.csv", [["姓名", "身份证号", "日期", "时段", "体温"], ["甲", a, "2022-02-06", "上午", "37.6"]]),
    ]
    with Store(db, create=True) as store:
        for name, rows in steps:
            path = write_csv(name, rows)
            import_paths(store, [path], Validator(as_of=date(2022, 2, 8)), date(2022, 2, 8))
            with np.load(_snapshot_path(store)) as saved:
                spliced = {k: saved[k] for k in saved.files if k != "version"}
            full = _build_snapshot(store)
            assert set(spliced) == set(full)
            for key in full:  # people: identical arrays, in id order
                if key == "ids" or key.startswith(("text_", "date_")) or key == "index":
                    assert np.array_equal(spliced[key], full[key]), (name, key)

            def records(snap: dict, prefix: str, person: str) -> list[tuple]:
                cols = [snap["ids"][snap[person]]] + [snap[k] for k in sorted(snap)
                                                      if k.startswith(prefix) and k != person]
                return sorted(zip(*(c.tolist() for c in cols), strict=True))

            for prefix, person in (("test_", "test_person"), ("hot_", "hot_person"),
                                   ("temp_", "temp_person")):
                assert records(spliced, prefix, person) == records(full, prefix, person), name
    with Store(db, create=True) as store:
        kept = store.db.execute("SELECT count(*) FROM tests WHERE retracted_by IS NULL").fetchone()[0]
        snap = _build_snapshot(store)
    assert kept == 2  # 甲 01-29 and 乙 02-03: the corrected file no longer has 甲 01-28 or 丙 01-30
    day = {d: date(2022, 2, d).toordinal() for d in (4, 5, 6)}
    assert records(snap, "hot_", "hot_person") == [(1, day[6], "上午", 37.6)]  # 甲's fever
    people = snap["ids"][snap["temp_person"]].tolist()
    assert sorted(zip(people, snap["temp_date"].tolist(), strict=True)) == [
        (1, day[5]), (1, day[6]), (2, day[4])]  # 乙's 02-04 reading once (36.5, the newer)


def test_all_tests_in_chunks_equals_one_query(tmp_path: Path, write_csv) -> None:
    """The snapshot reads a county's tests a million ids at a time, joined into
    text by SQLite; any chunk size gives the rows a plain query gives."""
    import numpy as np
    from conftest import make_id

    from taizhang.ingest.validation import Validator
    from taizhang.ledger.importer import import_paths
    from taizhang.ledger.snapshot import _all_tests

    rows = [["姓名", "身份证号", "采样日期", "检测结果"]] + [
        [f"人{i}", make_id(seq=f"{i:03d}"), f"2022-01-{10 + i % 19}", ("阴性", "阳性", "待出")[i % 3]]
        for i in range(1, 8)]
    with Store(tmp_path / "c.db", create=True) as store:
        import_paths(store, [write_csv("核酸.csv", rows)], Validator(as_of=date(2022, 2, 8)),
                     date(2022, 2, 8))
        columns = ("person_id", "CAST(julianday(sample_date) - 1721424.5 AS INTEGER)",
                   "CASE result WHEN 'negative' THEN 0 WHEN 'positive' THEN 1 ELSE 2 END")
        expected = sorted((p, date.fromisoformat(d).toordinal(), {"negative": 0, "positive": 1}.get(r, 2))
                          for p, d, r in store.db.execute("SELECT person_id, sample_date, result FROM tests"))
        for chunk in (1, 2, 3, 1_000_000):
            got = _all_tests(store.db, columns, "retracted_by IS NULL", chunk)
            assert got.dtype == np.int64 and sorted(map(tuple, got.tolist())) == expected, chunk
        assert len(expected) == 7


def test_the_records_read_beside_the_persons_give_the_same_snapshot(
        tmp_path: Path, write_csv, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full rebuild reads tests and readings on a second connection in a
    thread while it reads the persons (issue 18). The arrays are those of
    reading in turn, which is also what happens inside a transaction (another
    connection would not see its writes) and when the second connection
    cannot read (here: refused)."""
    import sqlite3

    import numpy as np
    from conftest import make_id

    from taizhang.ingest.validation import Validator
    from taizhang.ledger import snapshot
    from taizhang.ledger.importer import import_paths

    a, b = make_id(seq="113"), make_id(seq="225")
    files = [write_csv("登记.csv", [["姓名", "身份证号", "村", "返乡日期"], ["甲", a, "平阳村", "2022-01-28"],
                                   ["乙", b, "平阳村", "2022-01-29"]]),
             write_csv("核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"], ["甲", a, "2022-01-28", "阴性"],
                                   ["乙", b, "2022-01-30", "待出"]]),
             write_csv("体温.csv", [["姓名", "身份证号", "日期", "时段", "体温"],
                                   ["乙", b, "2022-02-04", "上午", "38.1"],
                                   ["甲", a, "2022-02-05", "下午", "36.6"]])]
    with Store(tmp_path / "t.db", create=True) as store:
        import_paths(store, files, Validator(as_of=date(2022, 2, 8)), date(2022, 2, 8))
        beside = snapshot._records_beside(store)
        assert beside is not None and beside.result() is not None  # the thread did read
        threaded = snapshot._build_snapshot(store)
        monkeypatch.setattr(snapshot, "_records_beside", lambda _store: None)
        in_turn = snapshot._build_snapshot(store)
        monkeypatch.undo()
        store.db.execute("BEGIN")
        assert snapshot._records_beside(store) is None  # in a transaction: read in turn
        store.db.execute("ROLLBACK")
        real_connect = sqlite3.connect

        def refuse(target: str, *args: object, **kwargs: object) -> sqlite3.Connection:
            if "mode=ro" in str(target):
                raise sqlite3.OperationalError("unable to open database file")
            return real_connect(target, *args, **kwargs)

        monkeypatch.setattr(sqlite3, "connect", refuse)
        refused = snapshot._build_snapshot(store)
    assert len(threaded["test_person"]) == 2 and len(threaded["hot_person"]) == 1
    for other in (in_turn, refused):
        assert set(other) == set(threaded)
        for key in threaded:
            assert np.array_equal(other[key], threaded[key]), key


@pytest.mark.parametrize("offset", [-3, -2, 0])
def test_a_low_fever_threshold_reads_the_fevers_from_the_database(
        sample_db: Path, tmp_path: Path, offset: int) -> None:
    """Below 37.0 the snapshot's hot readings are not enough: the readings come
    from the database, and the lists still equal the reference."""
    from taizhang.config import default_policy_text

    text = default_policy_text()
    assert "fever_threshold = 37.3" in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace("fever_threshold = 37.3", "fever_threshold = 36.6"), encoding="utf-8")
    policy = load_policy(path)
    day = date(2022, 2, 8) + timedelta(days=offset)
    with Store(sample_db, create=True) as store:
        reference = due_lists(load_people(store, day), day, policy)
        fast = due_lists_fast(load_arrays(store, day, policy.fever_threshold), day, policy)
    assert fast == reference
    assert reference["fever"]  # the low threshold really finds fevers
