"""Writing a file's test records: what a newer version of a file sends again
unchanged stays as it is.

Villages re-send their whole 核酸检测台账 every day with one more day of rows,
so nearly every test of a new version is one its older version holds already,
at the same sheet, row and site. Taking each over (an update of the row, of
the batch index, and a `test_claims` row kept for `undo`) was most of a
county's daily merge: a million rows rewritten and a million claims added a
day (issue 18). So such a test is left with the older version, meaning "sent
by this file from that version on"; only new and changed tests are written.

What that asks of the rest of the ledger:
- a newer version retracts the older versions' tests it does not send, found
  here by set difference (`TestsWritten.dropped`), not as "what is still the
  older versions'" (the kept tests are);
- `undo` of the version that holds a kept test passes it to the next live
  version of the file, which sent it too (`undo._undo_tests`);
- a test another file takes from a kept owner records in its claim whether it
  was retracted then and which batch took it, so an `undo` of that batch
  knows which versions of the owner's file had sent it
  (`test_claims.retracted_by` and `claimed_by`, schema version 6).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

# a test record as written: the dedup key (person, date, result), then site and provenance
TestRow = tuple[int, str, str, Any, int, str, int]


@dataclass(slots=True)
class TestsWritten:
    """What writing one file's test records did."""

    sent: int = 0  # rows of the file holding a test record (kept or written)
    dropped: list[tuple[int, int]] = field(default_factory=list)  # (test id, person id) retracted


def held_by(db: sqlite3.Connection, previous: list[int]) -> dict[tuple[int, str, str], tuple[Any, ...]]:
    """The live tests the older versions `previous` hold: (person, date,
    result) -> (test id, site, sheet, row). Read by batch (an index)."""
    if not previous:
        return {}
    marks = ",".join("?" * len(previous))
    return {(pid, day, result): (tid, site, sheet, row) for tid, pid, day, result, site, sheet, row in db.execute(
        f"SELECT id, person_id, sample_date, result, site, sheet, row FROM tests "
        f"WHERE batch_id IN ({marks}) AND retracted_by IS NULL", previous)}


def write_tests(db: sqlite3.Connection, batch: int, rows: list[TestRow], previous: list[int]) -> TestsWritten:
    """Write `rows` (every sheet's, in the file's order) for `batch`, whose
    older live versions are `previous`, and retract what they hold and it
    does not send.

    A test is kept when the last row sending it here (the row a plain upsert
    would leave as its provenance) has the site, sheet and row the older
    version's test has. Every other row is upserted: a test seen again takes
    the newer provenance, and the trigger keeps the one it replaces."""
    done = TestsWritten(sent=len(rows))
    before = held_by(db, previous)
    if before:
        last: dict[tuple[int, str, str], TestRow] = {}
        for row in rows:
            last[row[:3]] = row
        kept = {key for key, row in last.items()
                if (old := before.get(key)) is not None and old[1:] == (row[3], row[5], row[6])}
        if kept:
            rows = [row for row in rows if row[:3] not in kept]
        done.dropped = [(old[0], key[0]) for key, old in before.items() if key not in last]
        db.executemany("UPDATE tests SET retracted_by = ? WHERE id = ?",
                       [(batch, tid) for tid, _ in done.dropped])
    db.executemany(
        "INSERT INTO tests(person_id, sample_date, result, site, batch_id, sheet, row) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(person_id, sample_date, result) DO UPDATE SET "
        "site=excluded.site, batch_id=excluded.batch_id, sheet=excluded.sheet, row=excluded.row, "
        "retracted_by=NULL", rows)
    return done
