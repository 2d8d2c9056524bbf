"""Merging one validated file into the ledger, in one transaction (SPEC §7).

The write side of the ledger, and the biggest part of an import's time: a
county sends millions of rows, so persons are resolved set-based (one query
per file, a cache across files), records are written with executemany, and a
person's current values are recomputed only for those the file touched.
The newest batch wins field by field; a newer version of the same file
retracts what it no longer contains (`versions`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from taizhang.ingest.packed import COLUMNS as READING_COLUMNS
from taizhang.ingest.problems import conflict_fields, message
from taizhang.ingest.records import values_json, without_masked
from taizhang.ingest.validation import PERSON_FIELDS, FileResult, PersonKey, Problem
from taizhang.ledger.extras import write_extras
from taizhang.ledger.history import ROW_COLUMNS, Row, current_values
from taizhang.ledger.namesakes import ambiguous_namesakes
from taizhang.ledger.person_cache import PersonCache
from taizhang.ledger.roster import ASSUMED, AssumedDates, merge_values
from taizhang.ledger.sent_tests import TestRow, write_tests
from taizhang.ledger.store import Store
from taizhang.ledger.versions import (
    file_identity,
    mtime_ns,
    older_versions,
    record_sighting,
    retract,
    unregister_dropped,
)

KEY_FIELDS = ("name", "village", "arrival_date")
_KEY_POSITIONS = tuple(PERSON_FIELDS.index(f) for f in KEY_FIELDS)
_DATES = (PERSON_FIELDS.index("registration_date"), PERSON_FIELDS.index("arrival_date"))
# the newest as-of date of the other live batches, asked once per file (index batches_as_of)
NEWEST_OTHER = "SELECT max(as_of) FROM batches WHERE id <> ? AND undone_at IS NULL"


@dataclass(slots=True)
class BatchOutcome:
    """What importing one file did."""

    path: str
    status: str  # imported / unchanged / failed / skipped (a file taizhang wrote)
    error: str | None = None
    persons_new: int = 0
    persons_updated: int = 0
    rejected_rows: int = 0
    tests: int = 0
    temperatures: int = 0
    problems: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    affected: set[int] = field(default_factory=set)  # person ids whose ledger rows changed
    note: str | None = None  # why a skipped file was not imported
    # what an older version of the same file held and this one no longer does (`versions`)
    retracted_tests: int = 0
    retracted_readings: int = 0

    @property
    def retracted(self) -> int:
        return self.retracted_tests + self.retracted_readings


def write_batch(store: Store, result: FileResult, path: Path, sha256: str, size: int,
                as_of: date, cache: PersonCache | None = None) -> BatchOutcome:
    """Merge one validated file into the ledger in a single transaction.

    Pass the same `cache` for every file of a run (see `PersonCache`)."""
    cache = cache if cache is not None else PersonCache()
    outcome = BatchOutcome(result.path, "imported", problems=list(result.problems))
    villages = {s.village for s in result.sheets if s.village}
    kinds = {s.kind for s in result.sheets if s.kind}
    identity = file_identity(path)
    with store.transaction(again="导入", undone="本文件未导入") as db:
        cache.check(db)
        cur = db.execute(
            "INSERT INTO batches(path, sha256, size, as_of, village, kind, imported_at, notes, "
            "file, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (result.path, sha256, size, as_of.isoformat(),
             "、".join(sorted(villages)) or None, "、".join(sorted(kinds)) or None,
             datetime.now().isoformat(timespec="seconds"), "\n".join(result.notes) or None,
             identity, sum(s.rows for s in result.sheets)),
        )
        batch = int(cur.lastrowid or 0)
        outcome.batch_id = batch
        record_sighting(db, batch, identity, mtime_ns(path), as_of.isoformat(), first=True)
        previous, previous_kinds = older_versions(db, identity, result.path, batch)
        merger = _Merger(db, batch, as_of, outcome, cache, identity, previous)
        keys: dict[str, bool] = {}
        for sheet in result.sheets:
            for rec in [*sheet.persons, *sheet.temp_rows, *sheet.extras]:
                keys.setdefault(rec.person.key, rec.person.id_valid)
            for person in sheet.test_table.people:
                keys.setdefault(person.key, person.id_valid)
        merger.prefetch(keys)
        namesakes = ambiguous_namesakes(db, result, keys)
        named: set[str] = set()
        for sheet in result.sheets:
            for rec in sheet.persons:
                texts, as_json = rec.stored()
                merger.person(rec.person, texts, sheet.sheet, rec.row, registered=True,
                              as_json=as_json, assumed=ASSUMED in rec.fields)
            table = sheet.test_table
            for person, row in [*zip(table.people, table.first_row, strict=True),
                                *((t.person, t.row) for t in [*sheet.temp_rows, *sheet.extras])]:
                if person.key not in named:  # once per person, not per record
                    named.add(person.key)
                    merger.named_only(person, sheet.sheet, row)
        merger.finish()
        test_rows: list[TestRow] = []
        for sheet in result.sheets:
            table = sheet.test_table
            pids = [merger.ids[p.key] for p in table.people]
            stored, iso = table.stored_columns()
            # rows assembled by zip/map/compress, in C: a county sends a million
            test_rows.extend(compress(zip(map(pids.__getitem__, table.person), iso, table.result,
                                          table.site, repeat(batch), repeat(sheet.sheet), table.row),
                                      stored))
        # a newer version's tests: only the new and changed ones written (`sent_tests`)
        written = write_tests(db, batch, test_rows, previous)
        outcome.tests = written.sent
        outcome.retracted_tests = len(written.dropped)
        outcome.affected.update(pid for _, pid in written.dropped)
        for sheet in result.sheets:
            temp_rows = [(merger.ids[t.person.key], batch, sheet.sheet, t.row, *packed)
                         for t in sheet.temp_rows if (packed := t.pack()) is not None]
            db.executemany(f"INSERT INTO temperature_rows({READING_COLUMNS}) "
                           f"VALUES ({', '.join('?' * 10)})", temp_rows)
            outcome.temperatures += sum(row[4] for row in temp_rows)
            for rej in sheet.rejected:
                db.execute("INSERT INTO rejected_rows(batch_id, sheet, row, cells, reason) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (batch, sheet.sheet, rej.row,
                            json.dumps(rej.cells, ensure_ascii=False), rej.reason))
                outcome.rejected_rows += 1
        write_extras(db, batch, result, merger.ids, previous)  # unknown columns' cells (`extras`)
        if previous:
            outcome.affected.update(retract(db, batch, previous, previous_kinds, outcome))
            outcome.affected.update(unregister_dropped(db, batch, previous))
        outcome.problems.extend(merger.conflicts)
        outcome.problems.extend(namesakes)
        outcome.affected.update(merger.ids.values())
        # every change to the ledger bumps its version: cached snapshots go stale
        version = f"{batch}-{sha256[:12]}"
        db.execute("INSERT INTO meta(key, value) VALUES ('ledger_version', ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (version,))
        db.executemany(
            "INSERT INTO problems(batch_id, path, sheet, row, col, field, code, severity, value, "
            "message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(batch, p.path, p.sheet, p.row, p.column, p.field, p.code, p.severity, p.value,
              p.message) for p in outcome.problems],
        )
    # committed: what this file did becomes the cache's truth
    cache.ids.update(merger.ids)
    cache.rows.update(merger.new_rows)
    cache.version = version
    return outcome


class _Merger:
    """Person upserts within one batch: history rows, then current values
    recomputed for the touched persons (newest batch wins field by field)."""

    def __init__(self, db: sqlite3.Connection, batch: int, as_of: date, outcome: BatchOutcome,
                 cache: PersonCache, identity: str, previous: list[int]) -> None:
        self.cache = cache
        self.new_rows: dict[int, tuple[Any, ...]] = {}  # into the cache once committed
        self.keys: dict[int, str] = {}  # of new persons
        self.verified: dict[int, bool] = {}  # of new persons
        self.db = db
        self.batch = batch
        self.as_of = as_of
        self.outcome = outcome
        self.ids: dict[str, int] = {}
        self.touched: set[int] = set()
        self.new: set[int] = set()
        self.named: set[int] = set()
        self.registered: set[int] = set()
        self.value_rows: list[tuple[Any, ...]] = []
        self.current: dict[int, tuple[Any, ...]] = {}
        self.conflicts: list[Problem] = []
        self.path = outcome.path
        self.file = identity
        self.assumed = AssumedDates(db)  # a roster's 登记日期 (`roster`)
        self.previous = previous  # the older versions of the file (`versions`)

    def prefetch(self, keys: dict[str, bool]) -> None:
        """Resolve every person key of the batch at once (key -> id_valid):
        from the cache, else existing persons in one query, the missing ones
        inserted in one statement. Set-based, not a query per row."""
        cache = self.cache
        unknown = [k for k in keys if k not in cache.ids]
        self.current = {}
        for k in keys:
            pid = cache.ids.get(k)
            if pid is not None:
                self.ids[k] = pid
                self.current[pid] = cache.rows[pid]
        if not unknown:
            return
        if not cache.complete:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS batch_keys (key TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM batch_keys")
            self.db.executemany("INSERT OR IGNORE INTO batch_keys(key) VALUES (?)",
                                [(k,) for k in unknown])
            # CROSS JOIN fixes the loop order: the batch's keys outside, a lookup in
            # persons' key index inside. Left to itself the planner (no statistics
            # on a temp table) scanned all persons once per file: quadratic.
            for pid, key, *fields in self.db.execute(
                f"SELECT p.id, p.key, {', '.join('p.' + f for f in PERSON_FIELDS)} FROM batch_keys k "
                "CROSS JOIN persons p ON p.key = k.key"
            ):
                self.ids[key] = pid
                self.current[pid] = tuple(fields)
        missing = [k for k in unknown if k not in self.ids]
        if missing:
            # New persons get their ids now and are inserted, with their values,
            # by `finish`: one write each instead of an insert and an update.
            # The write lock is held since BEGIN IMMEDIATE, so the ids are ours.
            first = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM persons").fetchone()[0]
            empty = (None,) * len(PERSON_FIELDS)
            for pid, key in enumerate(missing, start=first):
                self.ids[key] = pid
                self.new.add(pid)
                self.verified[pid] = keys[key]
                self.keys[pid] = key
                self.current[pid] = empty
        # the cache learns even the persons this file leaves as they were
        self.new_rows.update(self.current)

    def person(self, key: PersonKey, texts: dict[str, str], sheet: str, row: int,
               registered: bool = False, as_json: str | None = None, assumed: bool = False) -> None:
        """Record a row's values (`texts`: as stored, see PersonRecord.stored);
        `assumed`: its 登记日期 is a roster's as-of date (see `roster`)."""
        pid = self.ids[key.key]
        texts, as_json = without_masked(texts, as_json)  # never store `138****5678` over a number
        if registered:
            reg_date, arr_date = (self.current[pid][i] for i in _DATES)
            settled = self.assumed.values(pid, texts, assumed, reg_date, arr_date)
            if settled is not None:
                texts, as_json = settled, None
            self._check_conflicts(pid, key.key, texts, sheet, row)
            self.registered.add(pid)
        else:  # (asked by `named_only` for a person nobody registered)
            self.named.add(pid)
        self.value_rows.append((pid, sheet, row, texts, as_json, registered))
        self.touched.add(pid)

    def named_only(self, key: PersonKey, sheet: str, row: int) -> None:
        """A person a test or temperature row names: recorded (name, ID, phone)
        only when nobody registered them (see `person`), which is checked first:
        a county's files name 400,000 people so, nearly all registered."""
        pid = self.ids[key.key]
        if pid in self.new and pid not in self.named and pid not in self.registered:
            texts = {f: v for f in ("name", "id_number", "phone") if (v := getattr(key, f))}
            self.person(key, texts, sheet, row, as_json=values_json(texts))

    def _check_conflicts(self, pid: int, key: str, texts: dict[str, str], sheet: str,
                         row: int) -> None:
        """Key fields that disagree with the ledger as earlier batches left it."""
        if pid in self.new:
            return
        current = self.current[pid]
        for fld, position in zip(KEY_FIELDS, _KEY_POSITIONS, strict=True):
            mine, theirs = texts.get(fld), current[position]
            if mine is None or theirs is None or mine == theirs:
                continue
            source = self.db.execute(
                """SELECT r.sheet, r.row, b.path, b.file FROM person_rows r
                   JOIN batches b ON b.id=r.batch_id
                   WHERE r.person_id=? AND json_extract(r.vals, ?)=? AND r.batch_id<>?
                   ORDER BY b.as_of DESC, b.id DESC LIMIT 1""",
                (pid, f"$.{fld}", theirs, self.batch),
            ).fetchone()
            if source is None or source["file"] == self.file or (
                    source["file"] is None and source["path"] in (self.path, self.file)):
                continue  # a newer version of the same file corrects itself
            label = {"name": "姓名", "village": "村（社区）", "arrival_date": "返乡日期"}[fld]
            where = f"{Path(source['path']).name}“{source['sheet']}”第{source['row']}行"
            self.conflicts.append(Problem(
                self.path, sheet, row, label, fld, "conflict", "error", mine,
                message("conflict/ledger", row=row, label=label, value=mine, where=where,
                        other_value=theirs, **conflict_fields(key)),
            ))

    def finish(self) -> None:
        """Write the batch's persons and their values. Current values: for each
        field the value of the newest batch (as-of date, then import order,
        then row) wins. When this batch is the newest of all — the everyday
        case — that is its values laid over the current ones; otherwise the
        touched persons' whole history is merged again, in one query."""
        self.outcome.persons_new = len(self.new)
        current = self.current
        newest_other = self.db.execute(NEWEST_OTHER, (self.batch,)).fetchone()[0]
        newest = newest_other is None or self.as_of.isoformat() >= newest_other
        merged: dict[int, dict[str, str]] = {}
        empty = (None,) * len(PERSON_FIELDS)
        if newest:
            for pid, _sheet, _row, vals, _json, _reg in sorted(self.value_rows, key=itemgetter(2)):
                values = merged.get(pid)
                if values is None:
                    before = current[pid]
                    merged[pid] = values = {} if before == empty else {
                        f: v for f, v in zip(PERSON_FIELDS, before, strict=True) if v is not None}
                merge_values(values, vals)
        rows = {pid: tuple(map(values.get, PERSON_FIELDS)) for pid, values in merged.items()}
        self.db.executemany(  # new persons first: the rows below refer to them
            f"INSERT INTO persons(id, key, verified, registered, {', '.join(PERSON_FIELDS)}, "
            f"updated_batch) VALUES ({', '.join('?' * (len(PERSON_FIELDS) + 5))})",
            [(pid, self.keys[pid], int(self.verified[pid]), int(pid in self.registered),
              *rows.get(pid, empty), self.batch) for pid in sorted(self.new)])
        for pid in self.new:
            self.new_rows[pid] = rows.get(pid, empty)
        stored = [(pid, self.batch, sheet, row, as_json or json.dumps(vals, ensure_ascii=False), int(reg))
                  for pid, sheet, row, vals, as_json, reg in self.value_rows]
        self.db.executemany(
            "INSERT INTO person_rows(person_id, batch_id, sheet, row, vals, registers) "
            "VALUES (?, ?, ?, ?, ?, ?)", stored)
        again = self.touched if not newest else self._restated(stored)
        if again:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id INTEGER PRIMARY KEY)")
            self.db.execute("DELETE FROM touched")
            self.db.executemany("INSERT INTO touched(id) VALUES (?)", [(p,) for p in again])
            history: dict[int, list[Row]] = {}
            for pid, batch, as_of, line, rowid, vals, file in self.db.execute(
                f"""SELECT r.person_id, {ROW_COLUMNS} FROM touched t
                    CROSS JOIN person_rows r ON r.person_id = t.id JOIN batches b ON b.id = r.batch_id"""
            ):
                history.setdefault(pid, []).append((batch, as_of, line, rowid, json.loads(vals), file))
            merged.update((pid, current_values(found)) for pid, found in history.items())
            rows = {pid: tuple(map(values.get, PERSON_FIELDS)) for pid, values in merged.items()}
        updates = []
        updated = 0
        registered = self.registered - self.new  # new persons were inserted registered
        for pid, row in rows.items():
            before = self.new_rows[pid] if pid in self.new else current[pid]
            if before != row:
                # `registered` set in the same write (a test sheet named them first)
                updates.append((*row, self.batch, int(pid in registered), pid))
                registered.discard(pid)
                self.new_rows[pid] = row
                if pid not in self.new:
                    updated += 1
        assignments = ", ".join(f"{f}=?" for f in PERSON_FIELDS)
        self.db.executemany(f"UPDATE persons SET {assignments}, updated_batch=?, "
                            "registered=max(registered, ?) WHERE id=?", updates)
        # already registered (a re-sent 登记表: nearly all): found by the key, not written again
        self.db.executemany("UPDATE persons SET registered=1 WHERE id=? AND registered=0",
                            [(p,) for p in registered])
        self.outcome.persons_updated = updated

    def _restated(self, stored: list[tuple[Any, ...]]) -> set[int]:
        """Persons whose row in an older version of this file has a value their
        row here (`stored`, as written to person_rows) leaves blank: the value
        may have to go (`history`), so their values are merged again from all
        their rows. The others' values are this batch's laid over the current
        ones, which is the same and cheap. A row sent again unchanged is found
        by its text, without parsing it: the daily re-send of a county."""
        if not self.previous:
            return set()
        texts: dict[int, set[str]] = {}
        for pid, _batch, _sheet, _row, text, _reg in stored:
            texts.setdefault(pid, set()).add(text)
        here: dict[int, set[str]] = {}
        for pid, _sheet, _row, vals, _json, _reg in self.value_rows:
            here.setdefault(pid, set()).update(vals)
        marks = ",".join("?" * len(self.previous))
        return {pid for pid, text in self.db.execute(
                    f"SELECT person_id, vals FROM person_rows WHERE batch_id IN ({marks})",
                    self.previous)
                if pid in here and text not in texts[pid]
                and not here[pid].issuperset(json.loads(text))}
