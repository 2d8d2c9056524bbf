"""The store floor: what SQLite alone costs to hold what an import stored.

    python benchmarks/store_floor.py LEDGER

A new, empty ledger is made by taizhang's own `Store` (the same schema,
indexes, triggers and pragmas the import writes with: WAL,
synchronous=NORMAL, foreign keys on), and every row of LEDGER (the ledger a
first import left) is written into it with `executemany` of the ready-made
tuples, table by table, all in one transaction, and committed. Only the
writes and the COMMIT are timed (CPU and wall of this process), not
fetching the rows from LEDGER.

An import does more than this — it also builds the rows, resolves persons,
and commits once per file — and its writes cannot be spread over cores (one
writer). So this is a lower bound of the import's main process with the
ledger's schema as it is: when it reaches 2× the parse floor by itself, no
reader, merge or tuning can bring the import to SPEC §10's target without a
store that writes less (issue 18). Prints a JSON summary on stdout.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from taizhang.ledger.store import Store

# parents before the rows that refer to them (foreign keys are on); `meta`
# is the new ledger's own
ORDER = ("batches", "sightings", "persons", "person_rows", "tests", "test_claims",
         "temperature_rows", "person_extras", "problems", "rejected_rows")


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def main(argv: list[str]) -> int:
    source = sqlite3.connect(f"{Path(argv[0]).resolve().as_uri()}?mode=ro", uri=True)
    tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = tables - set(ORDER) - {"meta", "sqlite_sequence", "sqlite_stat1"}
    if missing:  # a table this floor does not know would make it too low
        print(f"store_floor.py: tables not copied: {sorted(missing)}", file=sys.stderr)
        return 2
    names = [t for t in ORDER if t in tables]
    counts: dict[str, int] = {}
    seconds: dict[str, tuple[float, float]] = {}  # CPU, wall
    with tempfile.TemporaryDirectory(prefix="taizhang_store_floor_") as tmp:
        store = Store(Path(tmp) / "floor.db", create=True)
        db = store.db
        db.execute("BEGIN IMMEDIATE")
        for table in names:  # one table in memory at a time; fetching it is not timed
            cols = columns(source, table)
            data = source.execute(f"SELECT * FROM {table}").fetchall()
            counts[table] = len(data)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if data:
                db.executemany(f"INSERT INTO {table}({', '.join(cols)}) "
                               f"VALUES ({', '.join('?' * len(cols))})", data)
            seconds[table] = (time.process_time() - cpu0, time.perf_counter() - wall0)
            del data
        cpu0, wall0 = time.process_time(), time.perf_counter()
        db.execute("COMMIT")
        seconds["COMMIT"] = (time.process_time() - cpu0, time.perf_counter() - wall0)
        store.close()
    source.close()
    cpu = sum(c for c, _ in seconds.values())
    wall = sum(w for _, w in seconds.values())
    summary = {"tables": counts, "rows": sum(counts.values()),
               "cpu_seconds": round(cpu, 3), "seconds": round(wall, 3),
               "by_table": {t: round(c, 3) for t, (c, _) in seconds.items()}}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
