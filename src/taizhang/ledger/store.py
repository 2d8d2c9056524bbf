"""The ledger: one SQLite file holding everything ever imported (SPEC §7).

Why SQLite: one file a clerk can copy, transactions that make a file all in or
all out, WAL so readers never block, and `BEGIN IMMEDIATE` + `busy_timeout` so
a second writer waits instead of corrupting (TECH_NOTES "Store").

This module opens it: pragmas, transactions, refusing a file that is not a
ledger or is of a newer taizhang, and the small queries on it. The tables are
in `schema`; merging a validated file in is `merge`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from taizhang.errors import TaizhangError, UsageError
from taizhang.ledger.schema import migrate


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


class LedgerMissing(UsageError):
    """The ledger a command reads does not exist (exit 2): no ledger, no report."""

    def __init__(self, path: Path) -> None:
        folder = path.resolve().parent
        super().__init__(
            f"找不到台账数据库 {path}（在文件夹 {folder} 中查找）：请在工作目录（有 taizhang.toml 的文件夹）"
            "中运行，或用 --db 指定数据库；还没有台账时请先运行 taizhang init，再 taizhang import")


class Store:
    """An open ledger database."""

    def __init__(self, path: Path, timeout: float = 60.0, create: bool = False) -> None:
        """Open the ledger at `path`. Only `create=True` (an import into a workspace,
        or a --db the user named) may make a new one: a command started in the
        wrong folder must not report on an empty ledger it just made."""
        self.path = path
        if not create and not path.exists():
            raise LedgerMissing(path)
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
            migrate(db, self.path)

    # ------------------------------------------------------------------ queries

    def find_batch(self, sha256: str) -> sqlite3.Row | None:
        """The batch that imported these bytes, if it was not undone (an undone
        file imported again is imported anew)."""
        return self.db.execute("SELECT * FROM batches WHERE sha256=? AND undone_at IS NULL "
                               "ORDER BY id DESC LIMIT 1", (sha256,)).fetchone()

    def person(self, id_or_key: str) -> sqlite3.Row | None:
        """A person by ID number (18 or 15 digits), key, or database id."""
        from taizhang.ingest.ids import clean_id_text, id_from_legacy

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


def iter_persons(store: Store) -> Iterable[sqlite3.Row]:
    return store.db.execute("SELECT * FROM persons ORDER BY village, name, id")
