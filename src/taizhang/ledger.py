"""From the store to the pure policy functions: load people with their records.

The store keeps values as ISO text; here they become `date`s and the record
types of `due.py`. Loading is set-based (three queries, grouped in Python),
never one query per person.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .due import PersonData, Reading, TestRecord
from .store import PERSON_FIELDS, Store
from .validation import DATE_FIELDS


def _person_dict(row: Any) -> dict[str, Any]:
    person: dict[str, Any] = {f: row[f] for f in PERSON_FIELDS}
    for fld in DATE_FIELDS:
        if person.get(fld):
            person[fld] = date.fromisoformat(person[fld])
    person["_id"] = row["id"]
    return person


def load_people(store: Store, until: date, village: str | None = None,
                registered_only: bool = True) -> list[PersonData]:
    """Registered people with their active test records and readings dated ≤ `until`."""
    where = ["registered=1"] if registered_only else []
    args: list[Any] = []
    if village is not None:
        where.append("village=?")
        args.append(village)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    people: dict[int, PersonData] = {
        row["id"]: PersonData(_person_dict(row))
        for row in store.db.execute(f"SELECT * FROM persons {clause} ORDER BY id", args)
    }
    limit = until.isoformat()
    for pid, sample, result in store.db.execute(
        "SELECT person_id, sample_date, result FROM tests WHERE retracted_by IS NULL "
        "AND sample_date <= ? ORDER BY person_id, sample_date", (limit,)
    ):
        data = people.get(pid)
        if data is not None and result is not None:
            data.tests.append(TestRecord(date.fromisoformat(sample), result))
    for pid, day, slot, temp in store.db.execute(
        "SELECT person_id, date, slot, temperature FROM temperatures WHERE retracted_by IS NULL "
        "AND date <= ? ORDER BY person_id, date, slot", (limit,)
    ):
        data = people.get(pid)
        if data is not None and temp is not None:
            data.readings.append(Reading(date.fromisoformat(day), slot, float(temp)))
    return list(people.values())


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _ordinals(values: list[str | None]) -> Any:
    """ISO date strings to day ordinals (NEVER for empty) without a Python date per value."""
    import numpy as np

    from .due_fast import NEVER

    days = np.array([v or "NaT" for v in values], dtype="datetime64[D]")
    out = days.astype("int64") + _EPOCH_ORDINAL
    return np.where(np.isnat(days), NEVER, out)


def load_arrays(store: Store, until: date, threshold: float, village: str | None = None) -> Any:
    """The ledger as columns for `due_fast`: registered people, their active test
    records dated ≤ `until`, and of the temperature readings only those the due
    lists can use — dated `until` or the day before, or at/above the fever
    threshold (for the release look-back). Three queries, no object per record.
    """
    import numpy as np

    from .due_fast import DATE_COLUMNS, RESULT_CODE, TEXT_COLUMNS, LedgerArrays

    where, args = "WHERE registered=1", []
    if village is not None:
        where += " AND village=?"
        args.append(village)
    cols = ("id", *TEXT_COLUMNS, *DATE_COLUMNS)
    rows = store.db.execute(f"SELECT {', '.join(cols)} FROM persons {where} ORDER BY id",
                            args).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(cols)
    ids = np.array(columns[0], dtype=np.int64)
    text = {c: [v or "" for v in columns[1 + i]] for i, c in enumerate(TEXT_COLUMNS)}
    dates = {c: _ordinals(list(columns[1 + len(TEXT_COLUMNS) + i]))
             for i, c in enumerate(DATE_COLUMNS)}
    index = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int64)
    index[ids] = np.arange(len(ids))

    def people(pids: list[int]) -> Any:
        found = np.array(pids, dtype=np.int64)
        inside = found < len(index)
        mapped = np.full(len(found), -1, dtype=np.int64)
        mapped[inside] = index[found[inside]]
        return mapped

    limit = until.isoformat()
    tests = store.db.execute(
        "SELECT person_id, sample_date, result FROM tests WHERE retracted_by IS NULL "
        "AND sample_date <= ? AND result IS NOT NULL", (limit,)).fetchall()
    tp, td, tr = (list(c) for c in zip(*tests, strict=True)) if tests else ([], [], [])
    t_person = people(tp)
    keep = t_person >= 0
    t_date = _ordinals(td)
    t_result = np.array([RESULT_CODE.get(r, 2) for r in tr], dtype=np.int8)
    yesterday = date.fromordinal(until.toordinal() - 1).isoformat()
    reads = store.db.execute(
        "SELECT person_id, date, slot, temperature FROM temperatures WHERE retracted_by IS NULL "
        "AND temperature IS NOT NULL AND date <= ? AND (date >= ? OR temperature >= ?)",
        (limit, yesterday, threshold)).fetchall()
    rp, rd, rs, rt = (list(c) for c in zip(*reads, strict=True)) if reads else ([], [], [], [])
    r_person = people(rp)
    rkeep = r_person >= 0
    return LedgerArrays(
        text, dates, t_person[keep], t_date[keep], t_result[keep],
        r_person[rkeep], _ordinals(rd)[rkeep], np.array(rt, dtype=np.float64)[rkeep],
        [s for s, k in zip(rs, rkeep, strict=True) if k],
    )


def unregistered_fevers(store: Store, until: date, threshold: float,
                        village: str | None = None) -> list[dict[str, Any]]:
    """Fever readings (dated `until` or the day before) of people who appear
    only in temperature or test sheets: no schedule, but never left out. Their
    village is the one that sent the sheet."""
    yesterday = date.fromordinal(until.toordinal() - 1).isoformat()
    entries = []
    for ident, name, sent_by, day, slot, temp in store.db.execute(
        "SELECT p.id_number, p.name, b.village, r.date, r.slot, r.temperature "
        "FROM temperatures r JOIN persons p ON p.id = r.person_id JOIN batches b ON b.id = r.batch_id "
        "WHERE p.registered = 0 AND r.retracted_by IS NULL AND r.date BETWEEN ? AND ? "
        "AND r.temperature >= ?", (yesterday, until.isoformat(), threshold)
    ):
        if village is not None and sent_by != village:
            continue
        entries.append({"id_number": ident or "", "name": name or "", "village": sent_by or "",
                        "regime": "", "day": None, "date": day, "slot": slot, "temperature": temp})
    return entries


def add_unregistered_fevers(lists: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    lists["fever"].extend(entries)
    lists["fever"].sort(key=lambda e: (e["village"], e["name"], e["id_number"],
                                       e.get("due_date", ""), e.get("slot") or ""))
