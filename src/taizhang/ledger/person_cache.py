"""The persons a run of `import` has seen, kept between its files (`PersonCache`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from taizhang.ingest.records import PERSON_FIELDS


class PersonCache:
    """Persons' ids and current values, kept across the files of one import.

    Looking up and re-reading every person of every file was a fifth of a
    county import. The cache is filled from the database on first sight of a
    key, updated only after a file's transaction commits, and dropped when the
    ledger version shows another process wrote in between.

    `whole`: fill it with every person of the ledger at once, for an import
    of many files into a ledger that has people — the daily re-send of a
    county names everyone, and one query for 200,000 persons costs less than
    a lookup per file (county daily step: 4.2 s of lookups).
    """

    def __init__(self, whole: bool = False) -> None:
        self.ids: dict[str, int] = {}
        self.rows: dict[int, tuple[Any, ...]] = {}  # PERSON_FIELDS as stored
        self.version: str | None = None
        self.whole = whole
        # True when the cache holds every person of the ledger (it started
        # empty, or `whole`): a key it does not know is new, no need to ask the database
        self.complete = False

    def check(self, db: sqlite3.Connection) -> None:
        row = db.execute("SELECT value FROM meta WHERE key='ledger_version'").fetchone()
        version = row[0] if row else None
        if version != self.version or not self.ids:
            self.ids.clear()
            self.rows.clear()
            self.complete = db.execute("SELECT NOT EXISTS (SELECT 1 FROM persons)").fetchone()[0] == 1
            if self.whole and not self.complete:
                for pid, key, *fields in db.execute(
                        f"SELECT id, key, {', '.join(PERSON_FIELDS)} FROM persons"):
                    self.ids[key] = pid
                    self.rows[pid] = tuple(fields)
                self.complete = True
