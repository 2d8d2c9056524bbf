"""The ledger copied aside before each day's import: `backups/` beside the database.

`taizhang undo` takes one wrong file out; a backup is for what undo cannot
mend (a ledger damaged by a failing disk, a day of wrong files, a database
copied over by mistake). The copy goes through SQLite's backup API, so it is
consistent even while another process reads, and is a single file (journal
mode DELETE, no -wal beside it) that can simply be copied back. Owner-only,
like the ledger: it holds every ID number. The last KEEP are kept.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import date
from pathlib import Path

from taizhang.ledger.store import Store, create_private_file

KEEP = 7
_NAME = re.compile(r"^taizhang-(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.db$")


def backup_folder(db_path: Path) -> Path:
    return db_path.parent / "backups"


def backup_ledger(store: Store, day: date, keep: int = KEEP) -> tuple[Path, list[Path]]:
    """Copy the open ledger to `backups/taizhang-DAY.db` (`-2`, `-3`… when the
    day has one already) and delete all but the newest `keep` backups. Returns
    the copy and the backups deleted. Raises OSError or sqlite3.Error; the
    caller decides whether the day goes on."""
    folder = backup_folder(store.path)
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"taizhang-{day.isoformat()}.db"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"taizhang-{day.isoformat()}-{n}.db"
    tmp = folder / f".{target.name}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    create_private_file(tmp)
    try:
        copy = sqlite3.connect(tmp)
        try:
            store.db.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target, prune(folder, keep)


def prune(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` backups, newest by when they were
    written (a re-run for an earlier date still writes the newest state);
    only files named like ours are touched."""
    found = [(p, m) for p in folder.iterdir() if (m := _NAME.match(p.name)) and p.is_file()]
    found.sort(key=lambda f: (f[0].stat().st_mtime_ns, f[1][1], int(f[1][2] or 1)))
    old = [p for p, _ in (found[:-keep] if keep > 0 else found)]
    for path in old:
        path.unlink(missing_ok=True)
    return old
