"""Versions of one file: which batches they are, and what a newer one retracts.

Villages send the same workbook again, corrected or grown. A file is named by
its resolved path, so `inbox/x.xlsx`, `./inbox/../inbox/x.xlsx` and the
absolute path are one file; the path as typed is kept in `batches.path` for
what is printed. Batches imported before the resolved path was recorded
(`file` is NULL) are matched by the typed path, as they always were.

A newer version retracts the tests and readings the older ones hold and it
does not (they stay, marked `retracted_by`; the tests in `sent_tests`); `undo`
hands a retraction on to the next version or lifts it (`next_version`).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from taizhang.ledger import readings

# the batches that are versions of a file, given its resolved path and typed path
SAME_FILE = "(file = :file OR (file IS NULL AND path IN (:path, :file)))"


# A batch `b` whose problems are still open: not undone, and no later live
# version of its file (a corrected file closes what the older version reported).
OPEN_BATCH = ("b.undone_at IS NULL AND NOT EXISTS (SELECT 1 FROM batches n WHERE n.undone_at IS NULL "
              "AND n.id > b.id AND coalesce(n.file, n.path) = coalesce(b.file, b.path))")


def file_identity(path: Path) -> str:
    """The file a path names, however it was typed: two imports of it are
    versions of one file."""
    return str(path.resolve())


def mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def record_sighting(db: sqlite3.Connection, batch: int, identity: str, mtime: int | None,
                    as_of: str, first: bool = False) -> None:
    """Note that a batch's bytes were found at `identity` with modification time
    `mtime` by the import of `as_of` (`first`: the import that made the batch).

    The inbox keeps yesterday's files, so finding known bytes again is no news:
    they were sent again only when found at a new path, or written anew there
    (a WeChat download, a copy) — then `arrived`, and the village counts as
    having sent that day. A batch of an older ledger has no first sighting; the
    first time it is found at its own path is taken as still lying there."""
    seen = db.execute("SELECT count(*), sum(file = ? AND mtime_ns IS ?) FROM sightings "
                      "WHERE batch_id = ?", (identity, mtime, batch)).fetchone()
    if seen[1]:
        return
    own = db.execute("SELECT file FROM batches WHERE id = ?", (batch,)).fetchone()[0]
    arrived = first or bool(seen[0]) or identity != own
    db.execute("INSERT OR IGNORE INTO sightings(batch_id, file, mtime_ns, as_of, seen_at, arrived) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               (batch, identity, mtime, as_of, datetime.now().isoformat(timespec="seconds"),
                int(arrived)))


def older_versions(db: sqlite3.Connection, identity: str, path: str, batch: int
                   ) -> tuple[list[int], set[str]]:
    """The live batches that are other versions of the file, and their kinds."""
    ids, kinds = [], set()
    for prev_id, prev_kind in db.execute(
            f"SELECT id, kind FROM batches WHERE {SAME_FILE} AND id <> :batch AND undone_at IS NULL",
            {"file": identity, "path": path, "batch": batch}):
        ids.append(prev_id)
        kinds.update((prev_kind or "").split("、"))
    return ids, kinds


def next_version(db: sqlite3.Connection, batch: int, since: int | None = None) -> int | None:
    """The first live batch after `batch` (after `since` when given) that is a
    version of the same file: the one that retracts what `batch` holds and it
    does not."""
    row = db.execute("SELECT file, path FROM batches WHERE id = ?", (batch,)).fetchone()
    if row is None:
        return None
    file, path = row[0], row[1]
    after = batch if since is None else since
    if file is not None:
        query = f"SELECT min(id) FROM batches WHERE {SAME_FILE} AND id > :after AND undone_at IS NULL"
        args: dict[str, Any] = {"file": file, "path": path, "after": after}
    else:  # imported before files were resolved: later imports typed the same path or resolved to it
        query = ("SELECT min(id) FROM batches WHERE (path = :path OR file = :path) "
                 "AND id > :after AND undone_at IS NULL")
        args = {"path": path, "after": after}
    return db.execute(query, args).fetchone()[0]


def retract(db: sqlite3.Connection, batch: int, previous: list[int], previous_kinds: set[str],
            outcome: Any) -> set[int]:
    """Retract the readings the older versions `previous` hold and `batch` does
    not; count them into `outcome.retracted_readings` and return the persons
    concerned. (Tests are retracted as they are written: `sent_tests`.)

    Readings are stored per sheet row and every row of the older versions is
    retracted; the dropped ones are the (person, day, slot) this version no
    longer has."""
    if not (previous_kinds & {"temperatures"} or "" in previous_kinds):
        return set()  # only if the older versions wrote readings
    marks = ",".join("?" * len(previous))
    pids = [pid for (pid,) in db.execute(
        f"UPDATE temperature_rows SET retracted_by=? WHERE batch_id IN ({marks}) "
        "AND retracted_by IS NULL RETURNING person_id", (batch, *previous))]
    if pids:
        outcome.retracted_readings = _dropped_readings(db, batch, previous)
    return set(pids)


def unregister_dropped(db: sqlite3.Connection, batch: int, previous: list[int]) -> set[int]:
    """A person the older versions `previous` knew only by name + phone (or
    name + village), because their ID was wrong, whom `batch` now registers
    under the fixed ID, is registered no more: otherwise they stay beside the
    person with the ID, counted and due twice.

    Only that case: someone a newer version simply leaves out stays
    registered — a village that reuses one file name for each day's new
    people must not make yesterday's people vanish from the lists (a wrong
    list means a test missed). Another live file's registration row keeps
    them too. Their rows stay: undoing `batch` recomputes the flag (`undo`).
    Returns the persons concerned."""
    marks = ",".join("?" * len(previous))
    return {pid for (pid,) in db.execute(
        f"""UPDATE persons SET registered = 0
            WHERE registered = 1 AND (key LIKE 'np:%' OR key LIKE 'nv:%')
              AND id IN (SELECT person_id FROM person_rows WHERE batch_id IN ({marks}) AND registers = 1)
              AND NOT EXISTS (
                  SELECT 1 FROM person_rows r JOIN batches b ON b.id = r.batch_id
                  WHERE r.person_id = persons.id AND (r.registers = 1 OR r.registers IS NULL)
                    AND b.undone_at IS NULL AND r.batch_id NOT IN ({marks}))
              AND EXISTS (
                  SELECT 1 FROM person_rows r JOIN persons q ON q.id = r.person_id
                  WHERE r.batch_id = ? AND r.registers = 1 AND q.key LIKE 'id:%'
                    AND q.name = persons.name
                    AND (q.phone = persons.phone OR q.village = persons.village))
            RETURNING id""", (*previous, *previous, batch))}


def _dropped_readings(db: sqlite3.Connection, batch: int, previous: list[int]) -> int:
    """Readings (person, day, slot) of the rows `batch` retracted that it does not send.

    The rows are found by batch (an index), not by `retracted_by` (none): the
    rows `batch` retracted are its older versions' rows it marked. A re-sent
    wide sheet's row is mostly yesterday's row with a day more at its end:
    when an older row's days and slots begin a row of the same person here,
    all its readings are still sent, and only the other persons' readings are
    decoded and compared (a county's daily step: 200,000 rows a day)."""
    marks = ",".join("?" * (len(previous) + 1))
    where = f"WHERE r.batch_id IN ({marks}) AND (r.retracted_by IS NULL OR r.retracted_by = ?)"
    args = (batch, *previous, batch)
    sent: dict[int, list[tuple[bytes, str]]] = {}
    older: list[tuple[int, bytes, str]] = []
    for pid, owner, days, slots in db.execute(
            f"SELECT r.person_id, r.batch_id, r.days, r.slots FROM temperature_rows r {where}", args):
        if owner == batch:
            sent.setdefault(pid, []).append((days, slots))
        else:
            older.append((pid, days, slots))
    unsure = {pid for pid, days, slots in older
              if not any(d.startswith(days) and s.startswith(slots) for d, s in sent.get(pid, ()))}
    if not unsure:
        return 0
    found = readings.load(db, f"{where} AND r.person_id IN (SELECT value FROM json_each(?))",
                          (*args, json.dumps(sorted(unsure))), extra=("r.batch_id",), latest=False)
    key = (found.person << 32) | (found.day.astype(np.int64) << 12) | found.slot.astype(np.int64)
    mine = np.fromiter((r[6] == batch for r in found.rows), dtype=bool, count=len(found.rows))
    new = mine[found.row]
    return int(np.isin(np.unique(key[~new]), key[new], invert=True).sum())
