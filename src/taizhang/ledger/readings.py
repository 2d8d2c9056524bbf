"""Temperature readings read back from the ledger, as columns.

The packed format (one database row per sheet row) and its decoding are
`taizhang.ingest.packed`, pure code that validation also runs in worker
processes; the query that fetches the rows is here, so ingest never touches
the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from taizhang.ingest.packed import Readings, decode


def load(db: sqlite3.Connection, tail: str, args: Sequence[Any] = (), extra: Sequence[str] = (),
         latest: bool = True) -> Readings:
    """Readings of `SELECT … FROM temperature_rows r {tail}`; `extra` columns
    are kept per row in `rows[i][6:]`. With `latest`, a (person, day, slot)
    read in more than one row keeps only the newest row's reading."""
    cols = ", ".join(("r.id", "r.person_id", "r.n", "r.days", "r.slots", "r.temps", *extra))
    # in row id order: later rows win in `dedup`
    rows = db.execute(f"SELECT {cols} FROM temperature_rows r {tail} ORDER BY r.id", args).fetchall()
    return decode(rows, latest)

