"""The ledger as arrays for the fast policy engine, kept in a file beside the database.

`load_arrays` hands `due_lists_fast` registered people, their test records
and the readings it can use, as numpy columns. People, tests and the
readings at or above HOT_FLOOR come from a snapshot (`<db>.snapshot.npz`)
that is rebuilt, or patched for the persons an import touched, only when the
ledger's version changes: a day's lists and reports do not re-read a
county's million records each time. The fevers of people nobody registered,
whom the arrays leave out, are read by `unregistered_fevers`.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from taizhang.ingest.packed import Readings
from taizhang.ledger import readings
from taizhang.ledger.store import Store

if TYPE_CHECKING:
    from concurrent.futures import Future

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# julianday('0001-01-01') is 1721425.5 and that day's ordinal is 1
JULIAN_ORDINAL_OFFSET = 1721424.5


def _ordinals(values: list[str | None]) -> Any:
    """ISO date strings to day ordinals (NEVER for empty) without a Python date per value."""
    from taizhang.policy.arrays import NEVER

    days = np.array([v or "NaT" for v in values], dtype="datetime64[D]")
    out = days.astype("int64") + _EPOCH_ORDINAL
    return np.where(np.isnat(days), NEVER, out)


HOT_FLOOR = 37.0  # readings at or above this are kept in the snapshot for fever look-backs

ACTIVE_TESTS = "retracted_by IS NULL AND result IS NOT NULL AND sample_date IS NOT NULL"


def _tests_as_ints() -> tuple[str, str, str]:
    """A test as three ints computed by SQLite — person, day ordinal, result
    code: a million tests come back as small ints, not as strings to parse."""
    from taizhang.policy.arrays import RESULT_CODE

    codes = " ".join(f"WHEN '{name}' THEN {code}" for name, code in RESULT_CODE.items())
    return ("person_id", f"CAST(julianday(sample_date) - {JULIAN_ORDINAL_OFFSET} AS INTEGER)",
            f"CASE result {codes} ELSE {RESULT_CODE['pending']} END")


# Bumped when the snapshot's arrays change, so a file of an older taizhang is rebuilt.
SNAPSHOT_FORMAT = "s2:"


def ledger_version(store: Store) -> str:
    row = store.db.execute("SELECT value FROM meta WHERE key='ledger_version'").fetchone()
    return row[0] if row else "0"


def _snapshot_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".snapshot.npz")


def _build_snapshot(store: Store, only: list[int] | None = None) -> dict[str, Any]:
    """Registered people, all active test records and the readings at or above
    HOT_FLOOR, as arrays: what every due-today and daily-report needs. With
    `only`, just those persons (to splice into an existing snapshot)."""
    from taizhang.policy.arrays import DATE_COLUMNS, TEXT_COLUMNS

    subset, args = "", ()
    later = _records_beside(store) if only is None else None  # read while the persons are
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

    if only is None:
        found, temps = (later.result() if later is not None else None) or _records(store.db)
    else:
        found = np.array(store.db.execute(f"SELECT {', '.join(_tests_as_ints())} FROM tests WHERE "
                                          f"{ACTIVE_TESTS}{subset.format(col='person_id')}").fetchall(),
                         dtype=np.int64).reshape(-1, 3)
        temps = readings.load(store.db, "WHERE r.retracted_by IS NULL"
                              f"{subset.format(col='r.person_id')}")
    t_person = people(found[:, 0])
    keep = t_person >= 0
    snap["test_person"] = t_person[keep]
    snap["test_date"] = found[keep, 1]
    snap["test_result"] = found[keep, 2].astype(np.int8)
    found = temps
    r_person = people(found.person)
    registered = r_person >= 0
    # every reading's (person, day): the temperature duty counts them per day
    snap["temp_person"] = r_person[registered].astype(np.int32)
    snap["temp_date"] = found.day[registered]
    # readings that can be fevers, with their slot and value, for the fever look-backs
    hot = registered & (found.tenths >= round(HOT_FLOOR * 10))
    snap["hot_person"] = r_person[hot]
    snap["hot_date"] = found.day[hot].astype(np.int64)
    snap["hot_temp"] = found.temperature[hot]
    names = found.slot_names
    snap["hot_slot"] = np.array([names[c] or "" for c in found.slot[hot].tolist()], dtype=str)
    snap["index"] = index
    return snap


def _records(db: sqlite3.Connection) -> tuple[Any, Readings]:
    """Every active test (`_tests_as_ints`) and every live reading."""
    return (_all_tests(db, _tests_as_ints(), ACTIVE_TESTS),
            readings.load(db, "WHERE r.retracted_by IS NULL"))


def _records_beside(store: Store) -> Future[tuple[Any, Readings] | None] | None:
    """`_records` read in a thread on a connection of its own, while the
    caller reads the persons: SQLite and numpy let go of the interpreter lock
    while they work, so a full rebuild — the end of a county's first import,
    its only serial part — takes the longer of the two instead of their sum.
    None (read in turn) for a ledger served read-only (`Store.read_only`) or
    in the middle of a transaction (another connection would not see it); the
    future's result is None when the second connection could not read."""
    if store.read_only or store.db.in_transaction:
        return None
    from concurrent.futures import ThreadPoolExecutor  # only for a rebuild: lists load the file

    uri = f"{store.path.resolve().as_uri()}?mode=ro"

    def read() -> tuple[Any, Readings] | None:
        try:
            db = sqlite3.connect(uri, uri=True, timeout=30)
        except sqlite3.Error:
            return None
        try:
            return _records(db)
        except sqlite3.Error:
            return None
        finally:
            db.close()

    pool = ThreadPoolExecutor(1, thread_name_prefix="snapshot")
    try:
        return pool.submit(read)
    finally:
        pool.shutdown(wait=False)


def _all_tests(db: sqlite3.Connection, columns: tuple[str, ...], where: str,
               chunk: int = 1_000_000) -> Any:
    """Every active test as rows of ints. SQLite joins a million rows into one
    text and numpy parses it: a third of the time of fetching a million tuples."""
    last = db.execute("SELECT coalesce(max(id), 0) FROM tests").fetchone()[0]
    parts = [np.zeros((0, len(columns)), dtype=np.int64)]
    joined = " || ',' || ".join(columns)
    for start in range(0, last + 1, chunk):
        text = db.execute(f"SELECT group_concat({joined}) FROM tests WHERE {where} "
                          "AND id >= ? AND id < ?", (start, start + chunk)).fetchone()[0]
        if text:
            parts.append(np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, len(columns)))
    return np.concatenate(parts)


def _snapshot(store: Store) -> dict[str, Any]:
    """The snapshot for the ledger's current version, from the file beside the
    database when it is current, else rebuilt and saved (owner-only, written
    to a temporary name and renamed). Every import bumps the version."""
    version = SNAPSHOT_FORMAT + ledger_version(store)
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

    from taizhang.ledger.store import create_private_file

    snap["version"] = np.array(SNAPSHOT_FORMAT + ledger_version(store))
    path = _snapshot_path(store)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        create_private_file(tmp)
        with tmp.open("wb") as fh:
            np.savez(fh, **snap)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # a read-only medium refuses even removing what is not there
            pass


def refresh_snapshot(store: Store, since: str | None = None, affected: set[int] | None = None
                     ) -> None:
    """Bring the snapshot beside the database up to date after an import.

    When the saved snapshot is of version `since` (the ledger before this
    import), only the `affected` persons are re-read and spliced in: a one-file
    re-import then costs that file, not the county. Otherwise it is rebuilt."""
    path = _snapshot_path(store)
    if since is None or affected is None:
        _snapshot(store)
        return
    try:
        with np.load(path, allow_pickle=False) as data:
            old = {k: data[k] for k in data.files} if str(data["version"]) == SNAPSHOT_FORMAT + since else None
    except (OSError, ValueError, KeyError):
        old = None
    if old is None:
        _snapshot(store)
        return
    fresh = _build_snapshot(store, sorted(affected))
    _save_snapshot(store, _splice(old, fresh, affected))


def _splice(old: dict[str, Any], fresh: dict[str, Any], affected: set[int]) -> dict[str, Any]:
    """`old` without the affected persons, plus `fresh` (their current rows), re-indexed."""
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
    for prefix, person_key in (("test", "test_person"), ("hot", "hot_person"),
                               ("temp", "temp_person")):
        # records point at old positions; the fresh persons are all affected ones
        stay = ~gone[old[person_key]]
        old_ids = old["ids"][old[person_key][stay]]
        new_ids = fresh["ids"][fresh[person_key]]
        out[person_key] = index[np.concatenate([old_ids, new_ids])].astype(old[person_key].dtype)
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
    from taizhang.policy.arrays import DATE_COLUMNS, TEXT_COLUMNS, LedgerArrays

    del village  # filtered by due_lists_fast
    snap = _snapshot(store)
    text = {c: snap[f"text_{c}"].tolist() for c in TEXT_COLUMNS}
    dates = {c: snap[f"date_{c}"] for c in DATE_COLUMNS}
    index = snap["index"]
    t_ord = until.toordinal()
    keep = snap["test_date"] <= t_ord
    yesterday = date.fromordinal(t_ord - 1)
    # yesterday's readings are only counted (temperature duty)
    counted = snap["temp_date"] == yesterday.toordinal()
    day_counts = np.bincount(snap["temp_person"][counted].astype(np.int64),
                             minlength=len(text["name"])).astype(np.int64)
    if threshold >= HOT_FLOOR:  # fevers up to `until`: the last two days' and the look-back's
        hot = (snap["hot_date"] <= t_ord) & (snap["hot_temp"] >= threshold)
        hot_person, hot_date = snap["hot_person"][hot], snap["hot_date"][hot]
        hot_temp, hot_slot = snap["hot_temp"][hot], [s or None for s in snap["hot_slot"][hot].tolist()]
    else:  # a policy with a low threshold: read them from the database
        found = readings.load(store.db, "JOIN persons p ON p.id = r.person_id "
                              "WHERE p.registered = 1 AND r.retracted_by IS NULL AND r.first_day <= ?",
                              (t_ord,))
        found = found.take((found.day <= t_ord) & (found.temperature >= threshold))
        mapped = np.full(len(found), -1, dtype=np.int64)
        ok = found.person < len(index)
        mapped[ok] = index[found.person[ok]]
        found = found.take(mapped >= 0)
        hot_person, hot_date = mapped[mapped >= 0], found.day.astype(np.int64)
        hot_temp, hot_slot = found.temperature, found.slots_text()
    return LedgerArrays(
        text, dates, snap["test_person"][keep], snap["test_date"][keep], snap["test_result"][keep],
        hot_person, hot_date, hot_temp, hot_slot,
        day_counts=day_counts, day_counts_date=yesterday.toordinal(), person_ids=snap["ids"],
    )


def unregistered_fevers(store: Store, until: date, threshold: float,
                        village: str | None = None) -> list[dict[str, Any]]:
    """Fever readings (dated `until` or the day before) of people who appear
    only in temperature or test sheets: no schedule, but never left out. Their
    village is the one that sent the sheet."""
    found = unregistered_readings(store, until.toordinal() - 1, until.toordinal(), threshold)
    entries = []
    slots = found.slots_text()
    for i in np.lexsort((found.slot, found.day, found.row)).tolist():
        ident, name, sent_by = found.rows[int(found.row[i])][6:9]
        if village is not None and sent_by != village:
            continue
        entries.append({"id_number": ident or "", "name": name or "", "village": sent_by or "",
                        "regime": "", "day": None, "date": date.fromordinal(int(found.day[i])).isoformat(),
                        "slot": slots[i], "temperature": float(found.tenths[i]) / 10})
    return entries


def unregistered_readings(store: Store, first: int, last: int, threshold: float
                          ) -> Readings:
    """Fever readings dated `first`..`last` (ordinals) of people nobody
    registered; each row carries (id_number, name, village of the sending file)."""
    found = readings.load(
        store.db,
        "JOIN persons p ON p.id = r.person_id JOIN batches b ON b.id = r.batch_id "
        # the few unregistered persons first (a partial index), then their rows
        "WHERE r.person_id IN (SELECT id FROM persons WHERE registered = 0) "
        "AND r.retracted_by IS NULL AND r.last_day >= ? AND r.first_day <= ?",
        (first, last), extra=("p.id_number", "p.name", "b.village"))
    return found.take((found.day >= first) & (found.day <= last) & (found.temperature >= threshold))


def add_unregistered_fevers(lists: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    lists["fever"].extend(entries)
    lists["fever"].sort(key=lambda e: (e["village"], e["name"], e["id_number"],
                                       e.get("due_date", ""), e.get("slot") or ""))
