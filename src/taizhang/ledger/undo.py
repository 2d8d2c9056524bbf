"""Undoing an import: a batch taken out of the ledger as if it had never come in.

A clerk who imported the wrong file (last week's workbook, another
township's, a half-edited copy) needs the ledger back as it was without it,
and the daily job may have imported more files since. So an undo is not a
restore of an older copy: it takes out what the batch brought and recomputes
what it changed, from what the other batches hold.

- its person rows, readings, the cells of unknown columns it kept and the
  tests only it sent are deleted; a test it sent again goes back to the batch
  that sent it before (`test_claims`);
- what it retracted from an older version of its file (tests, readings,
  unknown columns' cells) comes back, or passes to the next version of the
  file, which would have retracted it instead;
- the persons it touched get their values merged again from the remaining
  batches (newest wins field by field, as in `merge`); a person no other
  batch knows is deleted;
- the batch row stays, marked `undone_at`, with its problems and rejected
  rows, for audit; its bytes can be imported again.

Each batch is undone in its own transaction; the snapshot beside the
database is then patched for the persons concerned.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from taizhang.errors import TaizhangError, UsageError
from taizhang.ingest.records import PERSON_FIELDS
from taizhang.ledger.extras import undo_extras
from taizhang.ledger.history import ROW_COLUMNS, last_change
from taizhang.ledger.snapshot import ledger_version, refresh_snapshot
from taizhang.ledger.store import Store
from taizhang.ledger.versions import next_version, older_versions

# the fields a row that only names a person (a test or temperature sheet) holds
NAMING_FIELDS = ("name", "id_number", "phone")


@dataclass(slots=True)
class BatchInfo:
    """One imported file version, as `taizhang batches` lists it."""

    batch: int
    path: str
    as_of: str
    imported_at: str
    rows: int
    undone_at: str | None
    village: str | None
    kind: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON other tools read: exactly these keys."""
        return {"batch": self.batch, "path": self.path, "as_of": self.as_of,
                "imported_at": self.imported_at, "rows": self.rows,
                "undone": self.undone_at is not None}


@dataclass(slots=True)
class UndoResult:
    """What undoing one batch took out and gave back."""

    batch: int
    path: str
    as_of: str
    undone_at: str
    already: bool = False  # it had been undone before: nothing done
    persons_removed: int = 0  # only this batch knew them
    persons_changed: int = 0  # values or registration recomputed without it
    tests_removed: int = 0  # sent only by this batch
    tests_returned: int = 0  # sent before by another batch, theirs again
    readings_removed: int = 0
    extras_removed: int = 0  # sheet rows of unknown columns' cells (`extras`)
    records_restored: int = 0  # tests and reading rows it had retracted, active again


def list_batches(store: Store) -> list[BatchInfo]:
    """Every batch, undone ones included, by batch number."""
    return [BatchInfo(r["id"], r["path"], r["as_of"], r["imported_at"], r["rows"] or 0,
                      r["undone_at"], r["village"], r["kind"])
            for r in store.db.execute("SELECT id, path, as_of, imported_at, rows, undone_at, "
                                      "village, kind FROM batches ORDER BY id")]


def parse_batch_numbers(store: Store, texts: list[str]) -> list[int]:
    """The batch numbers given on the command line, all checked before any is
    undone: a typo must not leave half the list undone (exit 2)."""
    numbers = []
    for text in texts:
        cleaned = text.strip().lstrip("#")
        if not cleaned.isdigit():
            raise UsageError(f"“{text}”不是批次号：批次号是 taizhang batches 列出的数字，例如 taizhang undo 3")
        numbers.append(int(cleaned))
    known = {r[0] for r in store.db.execute("SELECT id FROM batches")}
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise UsageError(f"台账中没有批次 {'、'.join(map(str, unknown))}：请先运行 taizhang batches 查看批次号，"
                         "未撤销任何批次")
    return list(dict.fromkeys(numbers))


def undo_batch(store: Store, batch: int) -> UndoResult:
    """Take `batch` out of the ledger as if it had never been imported (see the
    module docstring); one transaction. Undoing an undone batch does nothing
    and says so (`already`)."""
    with store.transaction() as db:
        row = db.execute("SELECT * FROM batches WHERE id = ?", (batch,)).fetchone()
        if row is None:
            raise UsageError(f"台账中没有批次 {batch}：请先运行 taizhang batches 查看批次号")
        if row["undone_at"] is not None:
            return UndoResult(batch, row["path"], row["as_of"], row["undone_at"], already=True)
        first = db.execute("SELECT value FROM meta WHERE key = 'undo_from'").fetchone()
        if first is not None and batch < int(first[0]):
            raise TaizhangError(
                f"批次 {batch}（{row['path']}）是升级前的taizhang导入的，没有留下撤销所需的全部记录，"
                "不能撤销：请从 backups/ 文件夹中导入前的备份恢复，或把表格改正后重新导入")
        since = ledger_version(store)
        now = datetime.now().isoformat(timespec="seconds")
        result = UndoResult(batch, row["path"], row["as_of"], now)
        db.execute("UPDATE batches SET undone_at = ? WHERE id = ?", (now, batch))
        persons: set[int] = set()
        versions: dict[int, int | None] = {}

        def after(owner: int) -> int | None:  # the next live version of `owner`'s file
            if owner not in versions:
                versions[owner] = next_version(db, owner)
            return versions[owner]

        _undo_tests(db, batch, result, persons, after)
        _undo_readings(db, batch, result, persons, after)
        result.extras_removed = undo_extras(db, batch, after)
        persons.update(pid for (pid,) in db.execute(
            "DELETE FROM person_rows WHERE batch_id = ? RETURNING person_id", (batch,)).fetchall())
        persons.update(_registered_again(db, row, batch))
        _merge_again(db, persons, result)
        db.execute("INSERT INTO meta(key, value) VALUES ('ledger_version', ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   (f"undo{batch}-{secrets.token_hex(6)}",))
    refresh_snapshot(store, since, persons)
    return result


def _undo_tests(db: sqlite3.Connection, batch: int, result: UndoResult, persons: set[int],
                after: Any) -> None:
    """Tests it holds: to the next live version of its file when that one sent
    them again unchanged (`sent_tests`), else back to the newest earlier
    claim, or deleted; tests it retracted: to the next version of their file,
    or active again."""
    held = db.execute("SELECT id, person_id, retracted_by FROM tests WHERE batch_id = ?",
                      (batch,)).fetchall()
    retracted = db.execute("SELECT id, person_id FROM tests WHERE retracted_by = ?", (batch,)).fetchall()
    nxt = after(batch)
    # the next version sent them unless it (or one before it) retracted them
    passing = [tid for tid, _, gone in held if nxt is not None and (gone is None or gone > nxt)]
    db.executemany("UPDATE tests SET batch_id = ? WHERE id = ?", [(nxt, tid) for tid in passing])
    if nxt is not None:  # so do claims taken from it after the next version had sent the test too
        db.execute("UPDATE test_claims SET batch_id = ? WHERE batch_id = ? AND claimed_by > ? "
                   "AND (retracted_by IS NULL OR retracted_by > ?)", (nxt, batch, nxt, nxt))
    db.execute("DELETE FROM test_claims WHERE batch_id = ?", (batch,))  # the pass's own claims too
    db.execute("CREATE TEMP TABLE IF NOT EXISTS undo_tests (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM undo_tests")
    moved = set(passing)
    own = [tid for tid, _, _ in held if tid not in moved]
    db.executemany("INSERT INTO undo_tests(id) VALUES (?)", [(tid,) for tid in own])
    claims: dict[int, tuple[Any, ...]] = {}  # test id -> its newest earlier claim
    for claim in db.execute("SELECT c.rowid, c.test_id, c.batch_id, c.site, c.sheet, c.row, "
                            "c.retracted_by, c.claimed_by "
                            "FROM undo_tests u CROSS JOIN test_claims c ON c.test_id = u.id"):
        best = claims.get(claim[1])
        if best is None or claim[2] > best[2]:
            claims[claim[1]] = claim
    gone = [(tid,) for tid in own if tid not in claims]
    db.executemany("DELETE FROM tests WHERE id = ?", gone)
    # one lookup per (owner, retraction, claimer), not per test: an older ledger's
    # undo gives back a file's every re-sent test, all from one claim of one version
    retractors: dict[tuple[int, int | None, int | None], int | None] = {}
    for _, _, owner, _, _, _, was, by in claims.values():
        if (owner, was, by) not in retractors:
            retractors[owner, was, by] = _retracted_after(db, owner, was, by)
    db.executemany("UPDATE tests SET batch_id = ?, site = ?, sheet = ?, row = ?, retracted_by = ? "
                   "WHERE id = ?", [(owner, site, sheet, line, retractors[owner, was, by], tid)
                                    for _, tid, owner, site, sheet, line, was, by in claims.values()])
    db.executemany("DELETE FROM test_claims WHERE rowid = ?", [(c[0],) for c in claims.values()])
    passed = [(nxt, tid) for tid, _ in retracted]
    db.executemany("UPDATE tests SET retracted_by = ? WHERE id = ?", passed)
    persons.update(pid for _, pid, _ in held)
    persons.update(pid for _, pid in retracted)
    result.tests_removed = len(gone)
    result.tests_returned = len(claims)
    result.records_restored += len(passed) if nxt is None else 0


def _retracted_after(db: sqlite3.Connection, owner: int, was: int | None, claimer: int | None) -> int | None:
    """Who retracts a test given back to `owner` by undoing the batch that had
    claimed it: the first live version of the owner's file that did not send
    it. A claim of version 6 (`claimer` known) says which: the versions from
    the one that had retracted it (`was`) on, else those after the claimer —
    the ones before had sent it again unchanged (`sent_tests`); a later one
    that sent it would have taken it. An older claim was made when every
    version took its tests over: the first live version after the owner."""
    if claimer is None:
        return next_version(db, owner)
    return next_version(db, owner, since=was - 1 if was is not None else claimer)


def _undo_readings(db: sqlite3.Connection, batch: int, result: UndoResult, persons: set[int],
                   after: Any) -> None:
    """Its reading rows deleted; the rows it retracted passed on or active again."""
    for pid, n in db.execute("DELETE FROM temperature_rows WHERE batch_id = ? RETURNING person_id, n",
                             (batch,)).fetchall():
        persons.add(pid)
        result.readings_removed += n
    retracted = db.execute("SELECT id, person_id, batch_id FROM temperature_rows "
                           "WHERE retracted_by = ?", (batch,)).fetchall()
    passed = [(after(owner), rid) for rid, _, owner in retracted]
    db.executemany("UPDATE temperature_rows SET retracted_by = ? WHERE id = ?", passed)
    persons.update(pid for _, pid, _ in retracted)
    result.records_restored += sum(1 for nxt, _ in passed if nxt is None)


def _registered_again(db: sqlite3.Connection, row: sqlite3.Row, batch: int) -> set[int]:
    """People whom `batch`, a newer version of a file, no longer registered
    (`versions.unregister_dropped`) and an older version did: with `batch`
    undone, and no later version deciding otherwise, they are recomputed
    (and so registered again by the older version's rows)."""
    if next_version(db, batch) is not None:
        return set()
    older = [b for b in older_versions(db, row["file"] or row["path"], row["path"], batch)[0] if b < batch]
    if not older:
        return set()
    marks = ",".join("?" * len(older))
    return {pid for (pid,) in db.execute(
        f"SELECT DISTINCT r.person_id FROM person_rows r JOIN persons p ON p.id = r.person_id "
        f"WHERE r.batch_id IN ({marks}) AND r.registers = 1 AND p.registered = 0", older)}


def _merge_again(db: sqlite3.Connection, persons: set[int], result: UndoResult) -> None:
    """Each person's values merged again from the remaining batches, as an
    import in batch order would have left them (values, `registered`,
    `updated_batch`); persons with nothing left are deleted."""
    assignments = ", ".join(f"{f} = ?" for f in PERSON_FIELDS)
    for pid in sorted(persons):
        person = db.execute("SELECT * FROM persons WHERE id = ?", (pid,)).fetchone()
        if person is None:
            continue
        rows = db.execute(
            f"SELECT {ROW_COLUMNS}, r.registers FROM person_rows r "
            "JOIN batches b ON b.id = r.batch_id WHERE r.person_id = ?", (pid,)).fetchall()
        if not rows:
            first = db.execute(
                "SELECT batch_id, sheet, row FROM tests WHERE person_id = ? UNION ALL "
                "SELECT batch_id, sheet, row FROM temperature_rows WHERE person_id = ? UNION ALL "
                "SELECT batch_id, sheet, row FROM person_extras WHERE person_id = ? "
                "ORDER BY 1, 3 LIMIT 1", (pid, pid, pid)).fetchone()
            if first is None:
                db.execute("DELETE FROM persons WHERE id = ?", (pid,))
                result.persons_removed += 1
                continue
            # Only the undone batch named them, but another batch's test,
            # reading or unknown columns' cells are theirs: that batch names
            # them now, as it would have.
            named = json.dumps({f: person[f] for f in NAMING_FIELDS if person[f]}, ensure_ascii=False)
            cur = db.execute("INSERT INTO person_rows(person_id, batch_id, sheet, row, vals, registers) "
                             "VALUES (?, ?, ?, ?, ?, 0)", (pid, *first, named))
            as_of, file = db.execute("SELECT as_of, coalesce(file, path) FROM batches WHERE id = ?",
                                     (first[0],)).fetchone()
            rows = [(first[0], as_of, first[2], cur.lastrowid, named, file, 0)]
        values, registered, updated = _merged(rows)
        before = (tuple(person[f] for f in PERSON_FIELDS), person["registered"])
        if before != (values, registered):
            result.persons_changed += 1
        db.execute(f"UPDATE persons SET {assignments}, registered = ?, updated_batch = ? WHERE id = ?",
                   (*values, registered, updated, pid))


def _merged(rows: list[Any]) -> tuple[tuple[Any, ...], int, int]:
    """A person's values from their rows (batch, as_of, row, rowid, vals, file,
    registers), as the import merges them (`history`); whether any row
    registers them; and the last batch, in import order, that changed the
    values (as `merge` records it)."""
    parsed = [(batch, as_of, line, rowid, json.loads(vals), file)
              for batch, as_of, line, rowid, vals, file, _ in rows]
    registered = int(any(reg == 1 or (reg is None and set(json.loads(vals)) - set(NAMING_FIELDS))
                         for *_, vals, _, reg in rows))
    values, updated = last_change(parsed)
    return values, registered, updated
