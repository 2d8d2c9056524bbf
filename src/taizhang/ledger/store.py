"""The ledger: one SQLite file holding everything ever imported (SPEC §7).

Why SQLite: one file a clerk can copy, transactions that make a file all in or
all out, WAL so readers never block, and `BEGIN IMMEDIATE` + `busy_timeout` so
a second writer waits instead of corrupting (TECH_NOTES "Store").

This module opens it: pragmas, transactions, refusing a file that is not a
ledger or is of a newer taizhang, and the small queries on it. The tables are
in `schema`; merging a validated file in is `merge`; what SQLite's refusals
(full disk, read-only file) mean for the clerk is `faults`.

Nothing is written to a file before it is known to be a ledger (a `meta`
table with `schema_version`) or a new, empty database: another program's
SQLite file given as --db is refused as it was found, not switched to WAL
first. A ledger that cannot be written (read-only file or medium) still
serves the commands that only read it, when it needs no upgrade.
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

from taizhang.errors import TaizhangError, UsageError, os_error_line
from taizhang.ingest.regular import require_regular
from taizhang.ledger.faults import (
    CANTOPEN,
    READONLY,
    LedgerReadOnly,
    ledger_error,
    read_only_error,
    sqlite_code,
)
from taizhang.ledger.schema import _SCHEMA, SCHEMA_VERSION, migrate, read_version

# WAL pages between checkpoints while many files are imported (`Store.bulk_writes`)
BULK_CHECKPOINT_PAGES = 10_000


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


def _connect(target: str, timeout: float, uri: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(target, timeout=timeout, isolation_level=None, uri=uri)
    db.row_factory = sqlite3.Row
    return db


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
        self.read_only = False
        require_regular(path, "台账数据库", "--db路径")
        if not create and not path.exists():
            raise LedgerMissing(path)
        try:
            create_private_file(path)
        except OSError as exc:
            raise TaizhangError(os_error_line(f"无法创建台账数据库{path}", exc, reading=False)
                                + "，或用--db指定别的位置") from None
        try:
            self.db = _connect(str(path), timeout)
        except sqlite3.Error as exc:
            self.db = self._reopen_immutable(exc, timeout)
        try:
            self._open(create, timeout)
        except BaseException:
            self.db.close()
            raise

    def _open(self, create: bool, timeout: float) -> None:
        version = self._first_look(create, timeout)
        if not self.read_only:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
                return
            except LedgerReadOnly:
                pass
            except sqlite3.DatabaseError as exc:
                if sqlite_code(exc) != READONLY:
                    raise self._open_error(exc) from None
        self._serve_read_only(version)

    def _first_look(self, create: bool, timeout: float) -> int | None:
        try:
            return self._check_ledger(create)
        except sqlite3.DatabaseError as exc:
            if self.read_only:
                raise self._open_error(exc) from None
            self.db.close()
            self.db = self._reopen_immutable(exc, timeout)
        try:
            return self._check_ledger(create)
        except sqlite3.DatabaseError as exc:
            raise self._open_error(exc) from None

    def _check_ledger(self, create: bool) -> int | None:
        """The ledger's structure version (None for a new, empty database),
        asked before anything is written; another program's database is refused."""
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            if create:
                return None
            raise UsageError(f"台账数据库{self.path}是空的（没有任何表，不是taizhang写入的台账）："
                             "请检查--db路径；还没有台账时请先运行 taizhang import")
        version = read_version(self.db, self.path) if "meta" in tables else None
        if version is None:
            raise UsageError(f"{self.path}不是taizhang的台账数据库（是别的程序的SQLite数据库，未作任何更改）："
                             "请检查--db路径")
        return version

    def _reopen_immutable(self, exc: sqlite3.Error, timeout: float) -> sqlite3.Connection:
        """A ledger SQLite cannot open (`exc`) because it is on a read-only
        medium, where the WAL's -shm file cannot be made, opened as immutable;
        safe only when no WAL content waits beside it. Otherwise `exc`'s message."""
        wal = Path(f"{self.path}-wal")
        if sqlite_code(exc) not in (CANTOPEN, READONLY) or (wal.exists() and wal.stat().st_size):
            raise self._open_error(exc) from None
        try:
            db = _connect(f"{self.path.resolve().as_uri()}?immutable=1", timeout, uri=True)
        except sqlite3.Error:
            raise self._open_error(exc) from None
        self.read_only = True
        return db

    def _serve_read_only(self, version: int | None) -> None:
        """Go on reading a ledger that cannot be written, if it is current;
        tables this version added since the file was written are empty ones
        of the connection's own (TEMP), so queries on them find nothing."""
        if version != SCHEMA_VERSION:
            what = "新台账" if version is None else f"结构版本{version}"
            raise LedgerReadOnly(
                f"台账数据库{self.path}是只读的（文件设了只读属性，或在只读的磁盘、光盘上），而本程序需要写入"
                f"（{what}，本程序的结构版本是{SCHEMA_VERSION}）：请取消只读属性，或把它复制到本机可写的"
                "文件夹后用--db指定")
        self.read_only = True
        present = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for statement in _SCHEMA.split(";"):
            words = statement.split()
            if words[:5] == ["CREATE", "TABLE", "IF", "NOT", "EXISTS"] and words[5].split("(")[0] not in present:
                self.db.execute(statement.replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
        self.db.execute("PRAGMA query_only=1")

    def _open_error(self, exc: sqlite3.Error) -> TaizhangError:
        return ledger_error(exc, self.path) or TaizhangError(
            f"{self.path}不是可用的台账数据库（{exc}）：请检查--db路径")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, again: str = "运行", undone: str = "这一步的更改没有写入台账"
                    ) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls everything back. A
        full disk, a read-only file or a second writer that does not finish
        become a `TaizhangError` saying to `again` (运行, 导入) once fixed and
        that `undone` (本文件未导入) — never the failed rollback of a
        transaction SQLite already rolled back."""
        if self.read_only:
            raise read_only_error(self.path, undone)
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise ledger_error(exc, self.path, again, undone) or exc from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                try:
                    self.db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolled it back itself; the cause is what matters
            mapped = ledger_error(exc, self.path, again, undone)
            if mapped is None:
                raise
            raise mapped from None

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Many transactions in a row (an import of many files): the WAL is
        copied into the database every ~40 MB instead of SQLite's 4 MB. A page
        every file changes (an index's) is then copied once per ten times as
        many files; a county's first import spent 4.3 of its 18 SQLite
        seconds in COMMIT, 2.6 with this (issue 18). Committed data is as safe
        either way; the WAL file just grows larger before it is reset."""
        if self.read_only:
            yield
            return
        self.db.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
        try:
            yield
        finally:
            try:
                self.db.execute("PRAGMA wal_autocheckpoint=1000")  # SQLite's default
            except sqlite3.Error:
                pass  # a closed or broken connection: nothing to restore

    def _migrate(self) -> None:
        with self.transaction(again="运行", undone="台账未作任何更改") as db:
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
