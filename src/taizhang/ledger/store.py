"""The ledger: one SQLite file holding everything ever imported (SPEC §7).

Why SQLite: one file a clerk can copy, transactions that make a file all in or
all out, WAL so readers never block, and `BEGIN IMMEDIATE` + `busy_timeout` so
a second writer waits instead of corrupting (TECH_NOTES "Store").

Tables:
- `batches`: one per imported file version (path, sha256, size, as-of date,
  village, kind, time). A file whose sha256 is already here is `unchanged`.
- `persons`: one row per person key (valid ID, else name+phone, unverified),
  holding the *current* value of every field: the newest batch wins field by
  field.
- `person_rows`: every row ever seen about a person, its values as a JSON
  object {field: value}, with its batch, sheet and row: the history and the
  provenance of the current values. (Version 2 kept one row per value: 2.3
  million rows for a county, the biggest write of an import.)
- `tests`: de-duplicated on (person, date, result); each keeps the
  batch/sheet/row it came from.
- `temperature_rows`: the readings of one sheet row, packed (see `readings`);
  a reading sent twice is resolved when read, newest row first.
- A newer version of the same file retracts the tests and readings it no
  longer contains (they stay, marked `retracted_by`).
- `problems`, `rejected_rows`: what validation found, per batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from taizhang.errors import TaizhangError
from taizhang.ingest.packed import COLUMNS as READING_COLUMNS
from taizhang.ingest.validation import PERSON_FIELDS, FileResult, PersonKey, Problem

SCHEMA_VERSION = 3
KEY_FIELDS = ("name", "village", "arrival_date")
_KEY_POSITIONS = tuple(PERSON_FIELDS.index(f) for f in KEY_FIELDS)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    village TEXT,
    kind TEXT,
    imported_at TEXT NOT NULL,
    notes TEXT
);
CREATE INDEX IF NOT EXISTS batches_sha ON batches(sha256);
CREATE INDEX IF NOT EXISTS batches_path ON batches(path);
CREATE TABLE IF NOT EXISTS persons (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    verified INTEGER NOT NULL,
    registered INTEGER NOT NULL DEFAULT 0,
    {", ".join(f"{f} TEXT" for f in PERSON_FIELDS)},
    updated_batch INTEGER REFERENCES batches(id)
);
CREATE INDEX IF NOT EXISTS persons_unregistered ON persons(id) WHERE registered = 0;
CREATE TABLE IF NOT EXISTS person_rows (
    person_id INTEGER NOT NULL REFERENCES persons(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    vals TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS person_rows_person ON person_rows(person_id);
CREATE TABLE IF NOT EXISTS tests (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    sample_date TEXT,
    result TEXT,
    site TEXT,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    retracted_by INTEGER REFERENCES batches(id),
    UNIQUE (person_id, sample_date, result)
);
CREATE TABLE IF NOT EXISTS temperature_rows (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    n INTEGER NOT NULL,
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    days BLOB NOT NULL,
    slots TEXT NOT NULL,
    temps BLOB NOT NULL,
    retracted_by INTEGER REFERENCES batches(id)
);
CREATE INDEX IF NOT EXISTS temperature_rows_person ON temperature_rows(person_id);
CREATE INDEX IF NOT EXISTS temperature_rows_batch ON temperature_rows(batch_id);
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    person_id INTEGER REFERENCES persons(id),
    path TEXT, sheet TEXT, row INTEGER, col TEXT, field TEXT, code TEXT NOT NULL,
    severity TEXT NOT NULL, value TEXT, message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected_rows (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    cells TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


def _pack_per_sheet_row(db: sqlite3.Connection) -> None:
    """Version 3 keeps readings packed per sheet row (see `readings`) and a
    person's values per sheet row: move version 2's one-row-per-reading
    `temperatures` and one-row-per-value `person_values` over, then drop them."""
    from taizhang.ingest.packed import COLUMNS, pack

    groups: dict[tuple[Any, ...], list[tuple[int, str | None, float]]] = {}
    for pid, batch, sheet, row, retracted, day, slot, temp in db.execute(
        "SELECT person_id, batch_id, sheet, row, retracted_by, date, slot, temperature "
        "FROM temperatures WHERE date IS NOT NULL AND temperature IS NOT NULL ORDER BY id"
    ):
        groups.setdefault((pid, batch, sheet, row, retracted), []).append(
            (date.fromisoformat(day).toordinal(), slot, float(temp)))
    db.executemany(
        f"INSERT INTO temperature_rows({COLUMNS}, retracted_by) VALUES ({', '.join('?' * 11)})",
        [(pid, batch, sheet, row, *pack(*zip(*items, strict=True)), retracted)
         for (pid, batch, sheet, row, retracted), items in sorted(
             groups.items(), key=lambda g: (g[0][1], g[0][3]))])
    db.execute("DROP TABLE temperatures")
    db.execute("INSERT INTO person_rows(person_id, batch_id, sheet, row, vals) "
               "SELECT person_id, batch_id, sheet, row, json_group_object(field, value) "
               "FROM person_values GROUP BY person_id, batch_id, sheet, row ORDER BY min(rowid)")
    db.execute("DROP TABLE person_values")


# Migrations from version N to N+1, applied in order inside one transaction:
# SQL text, or a function for what SQL alone cannot do.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
    # 2: keep the reader's notes per file (hidden sheets skipped, extension lies, encodings)
    1: "ALTER TABLE batches ADD COLUMN notes TEXT",
    # 3: readings and person values packed per sheet row
    2: _pack_per_sheet_row,
}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def create_private_file(path: Path) -> None:
    """Create `path` readable by its owner only (0600) where the OS allows."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


class Store:
    """An open ledger database."""

    def __init__(self, path: Path, timeout: float = 60.0) -> None:
        self.path = path
        create_private_file(path)
        try:
            self.db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise TaizhangError(f"无法打开台账数据库{path}：{exc}") from None
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise TaizhangError(f"{path}不是可用的台账数据库（{exc}）：请检查--db路径") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls everything back."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise TaizhangError(
                    f"台账数据库{self.path}正被另一个taizhang进程写入，等待超时：请等它结束后再运行"
                ) from None
            raise
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else SCHEMA_VERSION
            if version > SCHEMA_VERSION:
                raise TaizhangError(
                    f"台账数据库{self.path}由更新版本的taizhang创建（结构版本{version}，本程序支持"
                    f"{SCHEMA_VERSION}）：请升级taizhang后再使用"
                )
            while version < SCHEMA_VERSION:
                step = MIGRATIONS[version]
                if callable(step):
                    step(db)
                else:
                    for statement in step.split(";"):
                        if statement.strip():
                            db.execute(statement)
                version += 1
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                       (str(version),))

    # ------------------------------------------------------------------ queries

    def find_batch(self, sha256: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM batches WHERE sha256=? ORDER BY id DESC LIMIT 1",
                               (sha256,)).fetchone()

    def person(self, id_or_key: str) -> sqlite3.Row | None:
        """A person by ID number (18 or 15 digits), key, or database id."""
        from taizhang.ingest.values import clean_id_text, id_from_legacy

        text = clean_id_text(id_or_key)
        candidates = [text, "id:" + text]
        if len(text) == 15 and text.isdigit():
            candidates.append("id:" + id_from_legacy(text))
        for key in candidates:
            row = self.db.execute("SELECT * FROM persons WHERE key=?", (key,)).fetchone()
            if row is not None:
                return row
        return self.db.execute("SELECT * FROM persons WHERE id_number=? ORDER BY id LIMIT 1",
                               (text,)).fetchone()

    def provenance(self, person_id: int) -> list[dict[str, Any]]:
        """Every value seen for the person: field, value, sheet, row, path,
        batch_id and as_of, by field, then oldest batch first."""
        values = [
            {"field": fld, "value": value, "sheet": sheet, "row": row, "path": path,
             "batch_id": batch, "as_of": as_of}
            for vals, sheet, row, path, batch, as_of in self.db.execute(
                """SELECT r.vals, r.sheet, r.row, b.path, b.id, b.as_of
                   FROM person_rows r JOIN batches b ON b.id = r.batch_id
                   WHERE r.person_id=? ORDER BY r.rowid""", (person_id,))
            for fld, value in json.loads(vals).items()
        ]
        values.sort(key=lambda v: (v["field"], v["as_of"], v["batch_id"]))
        return values

    def counts(self) -> dict[str, int]:
        names = ("persons", "tests", "temperature_rows", "problems", "rejected_rows", "batches")
        result = {n: self.db.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}
        result["temperatures"] = self.db.execute(
            "SELECT coalesce(sum(n), 0) FROM temperature_rows").fetchone()[0]
        result["tests_active"] = self.db.execute(
            "SELECT count(*) FROM tests WHERE retracted_by IS NULL").fetchone()[0]
        return result

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@dataclass(slots=True)
class BatchOutcome:
    """What importing one file did."""

    path: str
    status: str  # imported / unchanged / failed
    error: str | None = None
    persons_new: int = 0
    persons_updated: int = 0
    rejected_rows: int = 0
    tests: int = 0
    temperatures: int = 0
    problems: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    affected: set[int] = field(default_factory=set)  # person ids whose ledger rows changed


class PersonCache:
    """Persons' ids and current values, kept across the files of one import.

    Looking up and re-reading every person of every file was a fifth of a
    county import. The cache is filled from the database on first sight of a
    key, updated only after a file's transaction commits, and dropped when the
    ledger version shows another process wrote in between.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.rows: dict[int, tuple[Any, ...]] = {}  # PERSON_FIELDS as stored
        self.version: str | None = None
        # True when the cache holds every person of the ledger (it started
        # empty): a key it does not know is new, no need to ask the database
        self.complete = False

    def check(self, db: sqlite3.Connection) -> None:
        row = db.execute("SELECT value FROM meta WHERE key='ledger_version'").fetchone()
        version = row[0] if row else None
        if version != self.version or not self.ids:
            self.ids.clear()
            self.rows.clear()
            self.complete = db.execute("SELECT NOT EXISTS (SELECT 1 FROM persons)").fetchone()[0] == 1


def write_batch(store: Store, result: FileResult, path: Path, sha256: str, size: int,
                as_of: date, cache: PersonCache | None = None) -> BatchOutcome:
    """Merge one validated file into the ledger in a single transaction.

    Pass the same `cache` for every file of a run (see `PersonCache`)."""
    cache = cache if cache is not None else PersonCache()
    outcome = BatchOutcome(result.path, "imported", problems=list(result.problems))
    villages = {s.village for s in result.sheets if s.village}
    kinds = {s.kind for s in result.sheets if s.kind}
    with store.transaction() as db:
        cache.check(db)
        cur = db.execute(
            "INSERT INTO batches(path, sha256, size, as_of, village, kind, imported_at, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (result.path, sha256, size, as_of.isoformat(),
             "、".join(sorted(villages)) or None, "、".join(sorted(kinds)) or None,
             datetime.now().isoformat(timespec="seconds"), "\n".join(result.notes) or None),
        )
        batch = int(cur.lastrowid or 0)
        outcome.batch_id = batch
        previous, previous_kinds = [], set()
        for prev_id, prev_kind in db.execute(
                "SELECT id, kind FROM batches WHERE path=? AND id<>?", (result.path, batch)):
            previous.append(prev_id)
            previous_kinds.update((prev_kind or "").split("、"))
        merger = _Merger(db, batch, as_of, outcome, cache)
        keys: dict[str, bool] = {}
        for sheet in result.sheets:
            for rec in [*sheet.persons, *sheet.temp_rows]:
                keys.setdefault(rec.person.key, rec.person.id_valid)
            for person in sheet.test_table.people:
                keys.setdefault(person.key, person.id_valid)
        merger.prefetch(keys)
        named: set[str] = set()
        for sheet in result.sheets:
            for rec in sheet.persons:
                texts, as_json = rec.stored()
                merger.person(rec.person, texts, sheet.sheet, rec.row, registered=True,
                              as_json=as_json)
            table = sheet.test_table
            for person, row in [*zip(table.people, table.first_row, strict=True),
                                *((t.person, t.row) for t in sheet.temp_rows)]:
                if person.key not in named:  # once per person, not per record
                    named.add(person.key)
                    merger.person(person, {f: v for f in ("name", "id_number", "phone")
                                           if (v := getattr(person, f))}, sheet.sheet, row)
        merger.finish()
        if previous:
            marks = ",".join("?" * len(previous))
            # only the tables the older versions wrote to (tests has no index on batch_id)
            tables = [t for t, kinds in (("tests", {"tests", "registration"}),
                                         ("temperature_rows", {"temperatures"}))
                      if previous_kinds & kinds or "" in previous_kinds]
            for table in tables:
                outcome.affected.update(pid for (pid,) in db.execute(
                    f"UPDATE {table} SET retracted_by=? WHERE batch_id IN ({marks}) "
                    "AND retracted_by IS NULL RETURNING person_id", (batch, *previous)))
        for sheet in result.sheets:
            table = sheet.test_table
            pids = [merger.ids[p.key] for p in table.people]
            kept, iso = table.stored_columns()
            # rows assembled by zip/map/compress, in C: a county sends a million
            test_rows = compress(zip(map(pids.__getitem__, table.person), iso, table.result, table.site,
                                     repeat(batch), repeat(sheet.sheet), table.row), kept)
            outcome.tests += _upsert(db, "tests", ("sample_date", "result"), ("site",), test_rows)
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
        outcome.problems.extend(merger.conflicts)
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


def _upsert(db: sqlite3.Connection, table: str, keys: tuple[str, ...], extra: tuple[str, ...],
            rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert de-duplicated records; a record seen again takes the newer provenance."""
    cols = ("person_id", *keys, *extra, "batch_id", "sheet", "row")
    updates = ", ".join(f"{c}=excluded.{c}" for c in (*extra, "batch_id", "sheet", "row"))
    before = db.total_changes
    db.executemany(
        f"INSERT INTO {table}({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT(person_id, {', '.join(keys)}) DO UPDATE SET {updates}, retracted_by=NULL",
        rows,
    )
    return db.total_changes - before


class _Merger:
    """Person upserts within one batch: history rows, then current values
    recomputed for the touched persons (newest batch wins field by field)."""

    def __init__(self, db: sqlite3.Connection, batch: int, as_of: date, outcome: BatchOutcome,
                 cache: PersonCache) -> None:
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
               registered: bool = False, as_json: str | None = None) -> None:
        """Record a row's values (`texts`: as stored, see PersonRecord.stored)."""
        pid = self.ids[key.key]
        if registered:
            self._check_conflicts(pid, texts, sheet, row)
            self.registered.add(pid)
        elif pid not in self.new or pid in self.named or pid in self.registered:
            return  # test and temperature rows only name people nobody registered
        else:
            self.named.add(pid)
        self.value_rows.append((pid, sheet, row, texts, as_json))
        self.touched.add(pid)

    def _check_conflicts(self, pid: int, texts: dict[str, str], sheet: str, row: int) -> None:
        """Key fields that disagree with the ledger as earlier batches left it."""
        if pid in self.new:
            return
        current = self.current[pid]
        for fld, position in zip(KEY_FIELDS, _KEY_POSITIONS, strict=True):
            mine, theirs = texts.get(fld), current[position]
            if mine is None or theirs is None or mine == theirs:
                continue
            source = self.db.execute(
                """SELECT r.sheet, r.row, b.path FROM person_rows r
                   JOIN batches b ON b.id=r.batch_id
                   WHERE r.person_id=? AND json_extract(r.vals, ?)=? AND r.batch_id<>?
                   ORDER BY b.as_of DESC, b.id DESC LIMIT 1""",
                (pid, f"$.{fld}", theirs, self.batch),
            ).fetchone()
            if source is None or source["path"] == self.path:
                continue  # a newer version of the same file corrects itself
            label = {"name": "姓名", "village": "村（社区）", "arrival_date": "返乡日期"}[fld]
            where = f"{Path(source['path']).name}“{source['sheet']}”第{source['row']}行"
            self.conflicts.append(Problem(
                self.path, sheet, row, label, fld, "conflict", "error", mine,
                f"第{row}行同一身份证号的{label}“{mine}”与已导入的{where}的“{theirs}”不一致："
                "已按最新文件更新，请核对哪一个正确",
            ))

    def finish(self) -> None:
        """Write the batch's persons and their values. Current values: for each
        field the value of the newest batch (as-of date, then import order,
        then row) wins. When this batch is the newest of all — the everyday
        case — that is its values laid over the current ones; otherwise the
        touched persons' whole history is merged again, in one query."""
        self.outcome.persons_new = len(self.new)
        current = self.current
        newest_other = self.db.execute("SELECT max(as_of) FROM batches WHERE id <> ?",
                                       (self.batch,)).fetchone()[0]
        newest = newest_other is None or self.as_of.isoformat() >= newest_other
        merged: dict[int, dict[str, str]] = {}
        empty = (None,) * len(PERSON_FIELDS)
        if newest:
            for pid, _sheet, _row, vals, _json in sorted(self.value_rows, key=itemgetter(2)):
                values = merged.get(pid)
                if values is None:
                    before = current[pid]
                    merged[pid] = values = {} if before == empty else {
                        f: v for f, v in zip(PERSON_FIELDS, before, strict=True) if v is not None}
                values.update(vals)
        rows = {pid: tuple(map(values.get, PERSON_FIELDS)) for pid, values in merged.items()}
        self.db.executemany(  # new persons first: the rows below refer to them
            f"INSERT INTO persons(id, key, verified, registered, {', '.join(PERSON_FIELDS)}, "
            f"updated_batch) VALUES ({', '.join('?' * (len(PERSON_FIELDS) + 5))})",
            [(pid, self.keys[pid], int(self.verified[pid]), int(pid in self.registered),
              *rows.get(pid, empty), self.batch) for pid in sorted(self.new)])
        for pid in self.new:
            self.new_rows[pid] = rows.get(pid, empty)
        self.db.executemany(
            "INSERT INTO person_rows(person_id, batch_id, sheet, row, vals) VALUES (?, ?, ?, ?, ?)",
            [(pid, self.batch, sheet, row, as_json or json.dumps(vals, ensure_ascii=False))
             for pid, sheet, row, vals, as_json in self.value_rows])
        if not newest and self.touched:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id INTEGER PRIMARY KEY)")
            self.db.execute("DELETE FROM touched")
            self.db.executemany("INSERT INTO touched(id) VALUES (?)", [(p,) for p in self.touched])
            for pid, vals in self.db.execute(
                """SELECT r.person_id, r.vals FROM touched t
                   CROSS JOIN person_rows r ON r.person_id = t.id JOIN batches b ON b.id = r.batch_id
                   ORDER BY r.person_id, b.as_of, b.id, r.row"""
            ):
                merged.setdefault(pid, {}).update(json.loads(vals))
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
        self.db.executemany("UPDATE persons SET registered=1 WHERE id=?", [(p,) for p in registered])
        self.outcome.persons_updated = updated


def iter_persons(store: Store) -> Iterable[sqlite3.Row]:
    return store.db.execute("SELECT * FROM persons ORDER BY village, name, id")
