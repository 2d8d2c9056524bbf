"""The ledger's tables (SPEC §7), their version, and the migrations from older versions.

Kept apart from `store` so the shape of the data can be read in one place,
and a change to it is a new SCHEMA_VERSION with its migration next to it.

Tables:
- `batches`: one per imported file version (path as typed, `file` the resolved
  path that names the file, sha256, size, as-of date, village, kind, time, data
  rows). A file whose sha256 is already here is `unchanged`. `taizhang undo`
  takes a batch's records out and sets `undone_at`; the row, its problems and
  rejected rows stay, for audit.
- `persons`: one row per person key (valid ID, else name+phone, else
  name+village; unverified without an ID: see `ingest.records.PersonKey`),
  holding the *current* value of every field: the newest batch wins field by
  field.
- `person_rows`: every row ever seen about a person, its values as a JSON
  object {field: value}, with its batch, sheet and row: the history and the
  provenance of the current values. `registers` tells a registration row (1)
  from a test or temperature row that only named the person (0), so an undo
  knows whether the person is still registered. (Version 2 kept one row per value: 2.3
  million rows for a county, the biggest write of an import.)
- `tests`: de-duplicated on (person, date, result); each keeps the
  batch/sheet/row it came from. When a later batch sends the same test again,
  a trigger keeps the provenance it replaces in `test_claims` (whether it was
  retracted, and by which batch it was taken), so undoing that batch gives
  the test back to the file that sent it before. A newer version of the same file that sends a test again at
  the same sheet, row and site leaves it with the older version: the batch is
  the first of the file's versions that sent it so (`sent_tests`, version 6).
- `temperature_rows`: the readings of one sheet row, packed (see `ingest.packed`);
  a reading sent twice is resolved when read, newest row first.
- A newer version of the same file retracts the tests and readings it no
  longer contains (they stay, marked `retracted_by`).
- `person_extras`: the cells of the columns the reader could not place
  (备用信息, 返乡车牌号 …), one row per sheet row that names the person and
  has any, as a JSON object {header as written: text}, with batch, sheet and
  row, like `person_rows` (one row per value would be the row count version 2
  learned to avoid). Apart from `person_rows` because they come from every
  kind of sheet, a test sheet's every row included, and are current per
  header, not per field (`ledger.extras`). A newer version of the same file
  retracts the older ones' (`retracted_by`), as it does tests and readings.
- `problems`, `rejected_rows`: what validation found, per batch.
- `sightings`: every place and modification time at which a batch's bytes
  were found (`file`, `mtime_ns`), with the as-of date and the clock of that
  import. A known file found again at a new path or written anew (`arrived`)
  was sent again that day (SPEC §6 `submitted`); one still sitting in the
  inbox was not (see `versions.record_sighting`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from taizhang.errors import TaizhangError
from taizhang.ingest.records import PERSON_FIELDS

SCHEMA_VERSION = 6

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
    notes TEXT,
    file TEXT,
    rows INTEGER,
    undone_at TEXT
);
CREATE INDEX IF NOT EXISTS batches_sha ON batches(sha256);
CREATE INDEX IF NOT EXISTS batches_path ON batches(path);
-- the newest as-of date, asked by every file an import merges (`merge`): read from the
-- index's end, not by a scan of a ledger that gains 900 batches a day (a county)
CREATE INDEX IF NOT EXISTS batches_as_of ON batches(as_of);
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
    vals TEXT NOT NULL,
    registers INTEGER
);
CREATE INDEX IF NOT EXISTS person_rows_person ON person_rows(person_id);
CREATE INDEX IF NOT EXISTS person_rows_batch ON person_rows(batch_id);
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
CREATE INDEX IF NOT EXISTS tests_batch ON tests(batch_id);
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
CREATE TABLE IF NOT EXISTS test_claims (
    test_id INTEGER NOT NULL REFERENCES tests(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    site TEXT,
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    retracted_by INTEGER REFERENCES batches(id),
    claimed_by INTEGER REFERENCES batches(id)
);
CREATE INDEX IF NOT EXISTS test_claims_test ON test_claims(test_id);
CREATE INDEX IF NOT EXISTS test_claims_batch ON test_claims(batch_id);
CREATE TABLE IF NOT EXISTS person_extras (
    person_id INTEGER NOT NULL REFERENCES persons(id),
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    vals TEXT NOT NULL,
    retracted_by INTEGER REFERENCES batches(id)
);
CREATE INDEX IF NOT EXISTS person_extras_person ON person_extras(person_id);
CREATE INDEX IF NOT EXISTS person_extras_batch ON person_extras(batch_id);
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    person_id INTEGER REFERENCES persons(id),
    path TEXT, sheet TEXT, row INTEGER, col TEXT, field TEXT, code TEXT NOT NULL,
    severity TEXT NOT NULL, value TEXT, message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sightings (
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    file TEXT NOT NULL,
    mtime_ns INTEGER,
    as_of TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    arrived INTEGER NOT NULL,
    UNIQUE (batch_id, file, mtime_ns)
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


# After the migrations (they name columns older ledgers lack); one statement each.
_AFTER = (
    "CREATE INDEX IF NOT EXISTS batches_file ON batches(file)",
    # A batch that sends a test again takes it over (the upsert in `merge`);
    # the provenance it replaces is kept, for `undo`. Only a newer batch
    # counts: an undo giving a test back to an older batch is not a claim.
    # Whether the test was retracted then, and by whom it was taken, are kept
    # too: a test a newer version of its file sent again unchanged stays with
    # the older version (`sent_tests`), so the claim alone does not tell which
    # versions had sent it.
    """CREATE TRIGGER IF NOT EXISTS tests_keep_claims AFTER UPDATE OF batch_id ON tests
       WHEN NEW.batch_id > OLD.batch_id
       BEGIN
           INSERT INTO test_claims(test_id, batch_id, site, sheet, row, retracted_by, claimed_by)
           VALUES (OLD.id, OLD.batch_id, OLD.site, OLD.sheet, OLD.row, OLD.retracted_by, NEW.batch_id);
       END""",
)


def _add_columns(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """ALTER TABLE … ADD COLUMN for the columns `table` lacks (a table the
    current schema just created has them already)."""
    have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
    for name, kind in columns.items():
        if name not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _undo_columns(db: sqlite3.Connection) -> None:
    """Version 4 can undo a batch: batches get the resolved file, the data rows
    and `undone_at`; person rows whether they register. Batches imported
    before kept no replaced test provenance, so undo starts after them
    (`meta.undo_from`). Their data rows are estimated from the records they
    left: the distinct sheet rows they are cited by."""
    _add_columns(db, "batches", {"file": "TEXT", "rows": "INTEGER", "undone_at": "TEXT"})
    _add_columns(db, "person_rows", {"registers": "INTEGER"})
    counts = db.execute(
        """SELECT batch_id, count(*) FROM (
               SELECT batch_id, sheet, row FROM person_rows
               UNION SELECT batch_id, sheet, row FROM tests
               UNION SELECT batch_id, sheet, row FROM temperature_rows
               UNION SELECT batch_id, sheet, row FROM rejected_rows)
           GROUP BY batch_id""").fetchall()
    db.execute("UPDATE batches SET rows = 0 WHERE rows IS NULL")
    db.executemany("UPDATE batches SET rows = ? WHERE id = ?", [(n, b) for b, n in counts])
    first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM batches").fetchone()[0]
    db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('undo_from', ?)", (str(first),))


def _pack_per_sheet_row(db: sqlite3.Connection) -> None:
    """Version 3 keeps readings packed per sheet row (see `ingest.packed`) and a
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


def _claims_keep_retraction(db: sqlite3.Connection) -> None:
    """Version 6 leaves a test a newer version of its file sends again unchanged
    with the older version (`sent_tests`), so a claim records whether the test
    was retracted when it was taken and by which batch (`retracted_by`,
    `claimed_by`; the trigger is recreated by `_AFTER`). Older claims, made
    when every version took its tests over, have no `claimed_by` and are
    undone as they always were."""
    _add_columns(db, "test_claims", {"retracted_by": "INTEGER REFERENCES batches(id)",
                                     "claimed_by": "INTEGER REFERENCES batches(id)"})
    db.execute("DROP TRIGGER IF EXISTS tests_keep_claims")


# Migrations from version N to N+1, applied in order inside one transaction:
# SQL text, or a function for what SQL alone cannot do.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
    # 2: keep the reader's notes per file (hidden sheets skipped, extension lies, encodings)
    1: "ALTER TABLE batches ADD COLUMN notes TEXT",
    # 3: readings and person values packed per sheet row
    2: _pack_per_sheet_row,
    # 4: batches can be undone (file identity, data rows, replaced test provenance)
    3: _undo_columns,
    # 5: where and when a file's bytes were found (`sightings`), and the cells of
    # unknown columns (`person_extras`): new tables, created with the others, so
    # a ledger already at 5 gets them on open too
    4: "",
    # 6: a test sent again unchanged stays with the older version; claims keep its retraction
    5: _claims_keep_retraction,
}


def rekey_namesakes(db: sqlite3.Connection) -> None:
    """People without ID or phone were keyed by name alone (`np:王伟|`), which
    made every 王伟 of the township one person (issue 13); the key is now name
    and village (`nv:王伟|平阳村`, see `ingest.records.PersonKey`). Such people
    get the village they are registered in, else the village of the file that
    first named them, so the next file finds them. Taizhang never writes the
    old form any more, so this finds nothing after the first run: a range on
    the key index, not a scan. A key taken already (an older taizhang wrote
    the old form after a newer one) is left as it was."""
    db.execute(
        """UPDATE OR IGNORE persons SET key = 'nv:' || substr(key, 4, length(key) - 4) || '|' ||
               coalesce(village, (SELECT b.village FROM person_rows r JOIN batches b ON b.id = r.batch_id
                                  WHERE r.person_id = persons.id ORDER BY r.rowid LIMIT 1), '')
           WHERE key >= 'np:' AND key < 'np;' AND substr(key, -1) = '|'""")


def read_version(db: sqlite3.Connection, path: Path) -> int | None:
    """The ledger's structure version from `meta`, None when it has none (a
    new ledger); a version that is not a number is a damaged ledger."""
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        return None
    text = str(row[0]).strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) < 10**6):  # versions start at 1
        raise TaizhangError(f"台账数据库{path}的结构版本“{str(row[0])[:40]}”无法识别：文件可能已损坏，"
                            f"请用备份恢复（{path.parent / 'backups'}文件夹）")
    return int(text)


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Create the missing tables and bring a ledger of an older version up to
    SCHEMA_VERSION, inside the caller's transaction; refuse one written by a
    newer taizhang. `path` is for the message only."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    found = read_version(db, path)
    version = SCHEMA_VERSION if found is None else found
    if version > SCHEMA_VERSION:
        raise TaizhangError(
            f"台账数据库{path}由更新版本的taizhang创建（结构版本{version}，本程序支持"
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
    for statement in _AFTER:
        db.execute(statement)
    rekey_namesakes(db)
    db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
               (str(version),))
