"""Packed temperature readings: what goes in comes out, and the newest row wins."""

from __future__ import annotations

import sqlite3
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from taizhang.ingest import packed
from taizhang.ledger import readings
from taizhang.ledger.store import Store

D = date(2022, 2, 1).toordinal()


def rows_db(*rows: tuple[int, list[int], list[str | None], list[float]]) -> sqlite3.Connection:
    """An in-memory ledger holding the given (person, days, slots, temps) sheet rows."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE temperature_rows (id INTEGER PRIMARY KEY, person_id, batch_id, sheet, "
               "row, n, first_day, last_day, days, slots, temps, retracted_by)")
    for i, (person, days, slots, temps) in enumerate(rows):
        db.execute(f"INSERT INTO temperature_rows({packed.COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (person, 1, "体温", i + 2, *packed.pack(days, slots, temps)))
    return db


def as_tuples(found: packed.Readings) -> list[tuple]:
    return list(zip(found.person.tolist(), found.day.tolist(), found.slots_text(),
                    found.temperature.tolist(), strict=True))


def test_pack_keeps_days_slots_and_tenths_exactly() -> None:
    n, first, last, days, slots, temps = packed.pack([D + 1, D, D], ["下午", "上午", None],
                                                     [37.3, 36.5, 38.0])
    assert (n, first, last, slots) == (3, D, D + 1, "pa-")
    assert len(days) == 12 and len(temps) == 6  # int32 days, int16 tenths
    found = readings.load(rows_db((7, [D + 1, D, D], ["下午", "上午", None], [37.3, 36.5, 38.0])),
                          "", latest=False)
    assert as_tuples(found) == [(7, D + 1, "下午", 37.3), (7, D, "上午", 36.5), (7, D, None, 38.0)]
    assert (found.temperature >= 37.3).tolist() == [True, False, True]  # 37.3 is not 37.29999


def test_other_slot_words_survive() -> None:
    db = rows_db((1, [D], ["上午"], [36.5]), (2, [D, D], ["夜间", "下午"], [36.6, 36.7]))
    found = readings.load(db, "", latest=False)
    assert as_tuples(found) == [(1, D, "上午", 36.5), (2, D, "夜间", 36.6), (2, D, "下午", 36.7)]


def test_the_newest_row_wins_a_reading_sent_twice() -> None:
    db = rows_db((1, [D, D], ["上午", "下午"], [38.1, 36.5]),  # first file
                 (2, [D], ["上午"], [36.9]),  # someone else, same day and slot
                 (1, [D], ["上午"], [36.4]))  # the first person's reading sent again
    assert sorted(as_tuples(readings.load(db, ""))) == [
        (1, D, "上午", 36.4), (1, D, "下午", 36.5), (2, D, "上午", 36.9)]
    assert len(readings.load(db, "", latest=False)) == 4


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 3), st.sampled_from(["上午", "下午", None]),
                          st.integers(340, 430)), min_size=1, max_size=40))
def test_dedup_keeps_the_last_of_each_person_day_slot(items: list[tuple]) -> None:
    db = rows_db(*[(p, [D + d], [s], [t / 10]) for p, d, s, t in items])
    expected: dict[tuple, float] = {}
    for p, d, s, t in items:
        expected[(p, D + d, s)] = t / 10
    got = readings.load(db, "")
    assert sorted(as_tuples(got), key=str) == sorted(
        [(*k, v) for k, v in expected.items()], key=str)


def test_store_counts_readings(tmp_path, write_csv) -> None:
    from taizhang.ingest.validation import Validator
    from taizhang.ledger.importer import import_paths

    path = write_csv("平阳村体温.csv", [["姓名", "身份证号", "2月1日上午", "2月1日下午"],
                                      ["张三", "11010519491231002X", "36.5", "36.6"],
                                      ["李四", "11010519491231002X", "", ""]])
    with Store(tmp_path / "t.db", create=True) as store:
        report = import_paths(store, [path], Validator(as_of=date(2022, 2, 8)), date(2022, 2, 8))
        assert report.outcomes[0].temperatures == 2
        assert store.counts()["temperatures"] == 2 and store.counts()["temperature_rows"] == 1
