"""The importer: reading in worker processes gives the ledger one process gives."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, make_id

from taizhang.config import load_policy
from taizhang.ingest.validation import Validator
from taizhang.ledger import importer
from taizhang.ledger.importer import import_paths
from taizhang.ledger.store import Store

SAMPLE = ROOT / "sample_data"
AS_OF = date(2022, 2, 8)
TABLES = {
    "persons": "SELECT * FROM persons ORDER BY id",
    "person_rows": "SELECT * FROM person_rows ORDER BY rowid",
    "tests": "SELECT * FROM tests ORDER BY id",
    "temperature_rows": "SELECT * FROM temperature_rows ORDER BY id",
    "problems": "SELECT batch_id, path, sheet, row, col, field, code, value, message FROM problems "
                "ORDER BY id",
    "batches": "SELECT id, path, sha256, village, kind, notes FROM batches ORDER BY id",
}


@pytest.fixture
def inbox(tmp_path: Path, write_csv) -> Path:
    """The sample villages' files plus two that disagree about one person's name,
    and a sheet that names someone twice: the checks across rows and files."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for path in SAMPLE.iterdir():
        if path.suffix in (".xlsx", ".xls", ".csv"):
            (folder / path.name).write_bytes(path.read_bytes())
    who = make_id(seq="517")
    (folder / "a平阳村补登.csv").write_bytes(write_csv("a.csv", [
        ["姓名", "身份证号", "村", "返乡日期"], ["周八", who, "平阳村", "2022-02-01"]]).read_bytes())
    (folder / "z平阳村核酸.csv").write_bytes(write_csv("z.csv", [
        ["姓名", "身份证号", "采样日期", "检测结果"], ["周捌", who, "2022-02-02", "阴性"],
        ["周捌", who, "2022-02-02", "阴性"]]).read_bytes())
    return folder


def ledger(db: Path, jobs: int, inbox: Path) -> dict[str, list[tuple]]:
    policy = load_policy()
    validator = Validator(as_of=AS_OF, villages=["平阳村", "东溪村", "新桥社区", "桃源村", "石门村"],
                          township="青石镇", find_regime=policy.find_regime,
                          regime_examples=policy.regime_examples())
    with Store(db, create=True) as store:
        report = import_paths(store, [inbox], validator, AS_OF, jobs=jobs)
        assert [o.status for o in report.outcomes] == ["imported"] * len(report.outcomes)
        return {name: [tuple(r) for r in store.db.execute(q)] for name, q in TABLES.items()}


def test_worker_processes_give_the_same_ledger(tmp_path: Path, inbox: Path, force_pool: list[int]) -> None:
    alone = ledger(tmp_path / "one.db", 1, inbox)
    pooled_ledger = ledger(tmp_path / "two.db", 2, inbox)
    assert force_pool == [2]  # the pool really ran
    for name in TABLES:
        assert pooled_ledger[name] == alone[name], name
    codes = {row[6] for row in alone["problems"]}
    assert "conflict" in codes and "duplicate_row" in codes  # the cross-row checks ran in both


def test_small_imports_stay_in_process(tmp_path: Path, inbox: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "_pooled", lambda *a: pytest.fail("pool started for 8 small files"))
    db = tmp_path / "t.db"
    ledger(db, 4, inbox)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM batches").fetchone()[0] == 8


def test_the_heap_is_unfrozen_after_an_import_even_a_failed_one(
        tmp_path: Path, inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """import freezes what each file leaves alive out of the garbage collector
    (gc.freeze); a program that imports through the library must get its
    collector back, also when the import stops with an exception."""
    import gc

    assert gc.get_freeze_count() == 0
    frozen_during: list[int] = []
    real = importer.write_batch

    def write_batch(*args, **kwargs):
        frozen_during.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "write_batch", write_batch)
    ledger(tmp_path / "one.db", 1, inbox)
    assert frozen_during[0] == 0 and frozen_during[-1] > 0  # frozen after the first file
    assert gc.get_freeze_count() == 0

    def failing_later(*args, **kwargs):  # the second file fails, once the first froze
        if frozen_during:
            raise RuntimeError("disk gone")
        return write_batch(*args, **kwargs)

    frozen_during.clear()
    monkeypatch.setattr(importer, "write_batch", failing_later)
    with pytest.raises(RuntimeError):
        ledger(tmp_path / "two.db", 1, inbox)
    assert len(frozen_during) == 1
    assert gc.get_freeze_count() == 0


def test_records_cross_from_a_reader_process_unchanged() -> None:
    """PersonKey, PersonRecord and TempRow are pickled as tuples of their fields
    (issue 18); what arrives equals what was sent, key and packed readings too:
    an 18-digit ID, a 15-digit one (its key is the 18-digit form), name and
    phone, the second 王伟 of a village."""
    import pickle

    from taizhang.ingest.records import PersonKey, PersonRecord, TempRow

    people = [PersonKey(make_id(), True, "张三", "13812345678", "平阳村"),
              PersonKey("330681900101123", True, "李四", "", "平阳村"),
              PersonKey("", False, "王五", "13912345678", "东溪村"),
              PersonKey("", False, "王伟", "", "平阳村", 2)]
    record = PersonRecord(3, people[0], "平阳村", {"date_assumed": True}, {"备注1": "x"})
    record.stored()
    row = TempRow(4, people[3], "平阳村", [738000, 738001], ["上午", "下午"], [36.5, 37.3], ["a", "b"])
    row.pack()
    back = pickle.loads(pickle.dumps([people, record, row], protocol=pickle.HIGHEST_PROTOCOL))
    assert back == [people, record, row]
    assert [p.key for p in back[0]] == [p.key for p in people]
    assert back[0][1].key.startswith("id:33068119") and back[0][3].key == "nv:王伟|平阳村#2"
    assert back[1].stored() == record.stored() and back[2].packed == row.packed


def test_stored_values_are_the_json_of_their_text() -> None:
    """PersonRecord.stored builds its JSON with values_json (issue 18): the same
    text json.dumps makes, for dates, numbers, quotes, backslashes and control
    characters, empty values left out, in field order."""
    import json

    from taizhang.ingest.records import PersonKey, PersonRecord

    fields = {"name": '王"五\\', "arrival_date": date(2022, 2, 1), "remarks": "a\u2028b\x01",
              "trip_no": 1234, "address": "", "sex": None, "unknown_field": "x"}
    record = PersonRecord(2, PersonKey("", False, '王"五\\', "", "平阳村"), "平阳村", fields)
    texts, as_json = record.stored()
    assert texts == {"name": '王"五\\', "arrival_date": "2022-02-01", "remarks": "a\u2028b\x01",
                     "trip_no": "1234", "village": "平阳村"}
    assert as_json == json.dumps(texts, ensure_ascii=False)
    assert list(json.loads(as_json)) == ["name", "arrival_date", "remarks", "trip_no", "village"]
