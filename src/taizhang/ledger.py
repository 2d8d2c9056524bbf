"""From the store to the pure policy functions: load people with their records.

The store keeps values as ISO text; here they become `date`s and the record
types of `due.py`. Loading is set-based (three queries, grouped in Python),
never one query per person.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
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


HOT_FLOOR = 37.0  # readings at or above this are kept in the snapshot for fever look-backs


def ledger_version(store: Store) -> str:
    row = store.db.execute("SELECT value FROM meta WHERE key='ledger_version'").fetchone()
    return row[0] if row else "0"


def _snapshot_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".snapshot.npz")


def _build_snapshot(store: Store, only: list[int] | None = None) -> dict[str, Any]:
    """Registered people, all active test records and the readings at or above
    HOT_FLOOR, as arrays: what every due-today and daily-report needs. With
    `only`, just those persons (to splice into an existing snapshot)."""
    import numpy as np

    from .due_fast import DATE_COLUMNS, RESULT_CODE, TEXT_COLUMNS

    subset, args = "", ()
    if only is not None:
        store.db.execute("CREATE TEMP TABLE IF NOT EXISTS snapshot_ids (id INTEGER PRIMARY KEY)")
        store.db.execute("DELETE FROM snapshot_ids")
        store.db.executemany("INSERT INTO snapshot_ids(id) VALUES (?)", [(i,) for i in only])
        subset = " AND {col} IN (SELECT id FROM snapshot_ids)"
    cols = ("id", *TEXT_COLUMNS, *DATE_COLUMNS)
    rows = store.db.execute(f"SELECT {', '.join(cols)} FROM persons WHERE registered=1"
                            f"{subset.format(col='id')} ORDER BY id", args).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(cols)
    ids = np.array(columns[0], dtype=np.int64)
    snap: dict[str, Any] = {"ids": ids}
    for i, c in enumerate(TEXT_COLUMNS):
        snap[f"text_{c}"] = np.array([v or "" for v in columns[1 + i]], dtype=str)
    for i, c in enumerate(DATE_COLUMNS):
        snap[f"date_{c}"] = _ordinals(list(columns[1 + len(TEXT_COLUMNS) + i]))
    index = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int64)
    index[ids] = np.arange(len(ids))

    def people(pids: Any) -> Any:
        found = np.asarray(pids, dtype=np.int64)
        mapped = np.full(len(found), -1, dtype=np.int64)
        inside = found < len(index)
        mapped[inside] = index[found[inside]]
        return mapped

    tests = store.db.execute("SELECT person_id, sample_date, result FROM tests "
                             "WHERE retracted_by IS NULL AND result IS NOT NULL"
                             f"{subset.format(col='person_id')}").fetchall()
    tp, td, tr = (list(c) for c in zip(*tests, strict=True)) if tests else ([], [], [])
    t_person = people(tp)
    keep = t_person >= 0
    snap["test_person"] = t_person[keep]
    snap["test_date"] = _ordinals(td)[keep]
    snap["test_result"] = np.array([RESULT_CODE.get(r, 2) for r in tr], dtype=np.int8)[keep]
    hot = store.db.execute(  # the literal matches the partial index temperatures_hot
        "SELECT person_id, date, slot, temperature FROM temperatures WHERE retracted_by IS NULL "
        f"AND temperature >= 37.0{subset.format(col='person_id')}").fetchall()
    hp, hd, hs, ht = (list(c) for c in zip(*hot, strict=True)) if hot else ([], [], [], [])
    h_person = people(hp)
    hkeep = h_person >= 0
    snap["hot_person"] = h_person[hkeep]
    snap["hot_date"] = _ordinals(hd)[hkeep]
    snap["hot_temp"] = np.array(ht, dtype=np.float64)[hkeep]
    snap["hot_slot"] = np.array([s or "" for s, k in zip(hs, hkeep, strict=True) if k], dtype=str)
    snap["index"] = index
    return snap


def _snapshot(store: Store) -> dict[str, Any]:
    """The snapshot for the ledger's current version, from the file beside the
    database when it is current, else rebuilt and saved (owner-only, written
    to a temporary name and renamed). Every import bumps the version."""
    import numpy as np

    version = ledger_version(store)
    path = _snapshot_path(store)
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["version"]) == version:
                return {k: data[k] for k in data.files}
    except (OSError, ValueError, KeyError):
        pass
    snap = _build_snapshot(store)
    _save_snapshot(store, snap)
    return snap


def _save_snapshot(store: Store, snap: dict[str, Any]) -> None:
    """Write the snapshot with the ledger's current version: owner-only, to a
    temporary name and renamed. A read-only folder just means no file."""
    import os

    import numpy as np

    from .store import create_private_file

    snap["version"] = np.array(ledger_version(store))
    path = _snapshot_path(store)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        create_private_file(tmp)
        with tmp.open("wb") as fh:
            np.savez(fh, **snap)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def refresh_snapshot(store: Store, since: str | None = None, affected: set[int] | None = None
                     ) -> None:
    """Bring the snapshot beside the database up to date after an import.

    When the saved snapshot is of version `since` (the ledger before this
    import), only the `affected` persons are re-read and spliced in: a one-file
    re-import then costs that file, not the county. Otherwise it is rebuilt."""
    import numpy as np

    path = _snapshot_path(store)
    if since is None or affected is None:
        _snapshot(store)
        return
    try:
        with np.load(path, allow_pickle=False) as data:
            old = {k: data[k] for k in data.files} if str(data["version"]) == since else None
    except (OSError, ValueError, KeyError):
        old = None
    if old is None:
        _snapshot(store)
        return
    fresh = _build_snapshot(store, sorted(affected))
    _save_snapshot(store, _splice(old, fresh, affected))


def _splice(old: dict[str, Any], fresh: dict[str, Any], affected: set[int]) -> dict[str, Any]:
    """`old` without the affected persons, plus `fresh` (their current rows), re-indexed."""
    import numpy as np

    gone = np.isin(old["ids"], np.fromiter(affected, dtype=np.int64, count=len(affected)))
    keep = ~gone
    ids = np.concatenate([old["ids"][keep], fresh["ids"]])
    order = np.argsort(ids, kind="stable")
    out: dict[str, Any] = {"ids": ids[order]}
    for key in old:
        if key.startswith(("text_", "date_")):
            out[key] = np.concatenate([old[key][keep], fresh[key]])[order]
    index = np.full(int(out["ids"].max()) + 1 if len(out["ids"]) else 1, -1, dtype=np.int64)
    index[out["ids"]] = np.arange(len(out["ids"]))
    out["index"] = index
    for prefix, person_key in (("test", "test_person"), ("hot", "hot_person")):
        old_ids = old["ids"][old[person_key]]
        stay = ~np.isin(old_ids, fresh["ids"]) & ~np.isin(old_ids, np.fromiter(
            affected, dtype=np.int64, count=len(affected)))
        new_ids = fresh["ids"][fresh[person_key]]
        out[person_key] = index[np.concatenate([old_ids[stay], new_ids])]
        for key in old:
            if key.startswith(prefix + "_") and key != person_key:
                out[key] = np.concatenate([old[key][stay], fresh[key]])
    return out


def load_arrays(store: Store, until: date, threshold: float, village: str | None = None) -> Any:
    """The ledger as columns for `due_fast`: registered people, their active test
    records dated ≤ `until`, and of the temperature readings only those the due
    lists can use — dated `until` or the day before, or at/above the fever
    threshold (for the release look-back).

    People and test records come from a snapshot kept beside the database and
    rebuilt only after an import, so a day's lists and reports do not re-read a
    county's million records each time. `village` is applied by the caller
    (`due_lists_fast(..., village)`), so the arrays are the same for all.
    """
    import numpy as np

    from .due_fast import DATE_COLUMNS, TEXT_COLUMNS, LedgerArrays

    del village  # filtered by due_lists_fast
    snap = _snapshot(store)
    text = {c: snap[f"text_{c}"].tolist() for c in TEXT_COLUMNS}
    dates = {c: snap[f"date_{c}"] for c in DATE_COLUMNS}
    index = snap["index"]
    t_ord = until.toordinal()
    keep = snap["test_date"] <= t_ord
    yesterday = date.fromordinal(t_ord - 1)
    # yesterday's readings are only counted (temperature duty), in the database
    counted = store.db.execute(
        "SELECT person_id, count(*) FROM temperatures WHERE retracted_by IS NULL "
        "AND temperature IS NOT NULL AND date = ? GROUP BY person_id",
        (yesterday.isoformat(),)).fetchall()
    day_counts = np.zeros(len(text["name"]), dtype=np.int64)
    if counted:
        cp, cn = (np.asarray(c, dtype=np.int64) for c in zip(*counted, strict=True))
        ok = cp < len(index)
        mapped = np.full(len(cp), -1, dtype=np.int64)
        mapped[ok] = index[cp[ok]]
        good = mapped >= 0
        day_counts[mapped[good]] = cn[good]
    # fevers of the last two days (the fever list), straight from the date index
    recent = store.db.execute(
        "SELECT person_id, date, slot, temperature FROM temperatures WHERE retracted_by IS NULL "
        "AND temperature >= ? AND date BETWEEN ? AND ?",
        (threshold, yesterday.isoformat(), until.isoformat())).fetchall()
    rp, rd, rs, rt = (list(c) for c in zip(*recent, strict=True)) if recent else ([], [], [], [])
    found = np.asarray(rp, dtype=np.int64)
    r_person = np.full(len(found), -1, dtype=np.int64)
    inside = found < len(index)
    r_person[inside] = index[found[inside]]
    rkeep = r_person >= 0
    if threshold >= HOT_FLOOR:
        hot = (snap["hot_date"] < yesterday.toordinal()) & (snap["hot_temp"] >= threshold)
        hot_person, hot_date = snap["hot_person"][hot], snap["hot_date"][hot]
        hot_temp, hot_slot = snap["hot_temp"][hot], [s or None for s in snap["hot_slot"][hot].tolist()]
    else:  # a policy with a low threshold: read the look-back from the database
        rows = store.db.execute(
            "SELECT person_id, date, slot, temperature FROM temperatures WHERE retracted_by IS NULL "
            "AND temperature >= ? AND date < ?", (threshold, yesterday.isoformat())).fetchall()
        hp, hd, hs, ht = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [])
        f = np.asarray(hp, dtype=np.int64)
        hot_person = np.full(len(f), -1, dtype=np.int64)
        ok = f < len(index)
        hot_person[ok] = index[f[ok]]
        good = hot_person >= 0
        hot_person, hot_date = hot_person[good], _ordinals(hd)[good]
        hot_temp = np.array(ht, dtype=np.float64)[good]
        hot_slot = [s for s, g in zip(hs, good, strict=True) if g]
    return LedgerArrays(
        text, dates, snap["test_person"][keep], snap["test_date"][keep], snap["test_result"][keep],
        np.concatenate([r_person[rkeep], hot_person]),
        np.concatenate([_ordinals(rd)[rkeep], hot_date]),
        np.concatenate([np.array(rt, dtype=np.float64)[rkeep], hot_temp]),
        [s for s, k in zip(rs, rkeep, strict=True) if k] + hot_slot,
        day_counts=day_counts, day_counts_date=yesterday.toordinal(), person_ids=snap["ids"],
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
