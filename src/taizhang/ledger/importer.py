"""`taizhang import`: read, validate and merge files into the ledger.

Each file is its own transaction, so one bad file never stops the others and
a file is all in or all out. A file whose sha256 is already in the ledger is
`unchanged` and not even parsed: re-importing an inbox costs one hash per file.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from taizhang.errors import TaizhangError, os_error_line
from taizhang.ingest.files import find_input_files
from taizhang.ingest.sandbox import ReaderPool, reads_inline
from taizhang.ingest.validation import ERROR, FileResult, Problem, Validator, problem_dicts
from taizhang.ledger.merge import BatchOutcome, PersonCache, write_batch
from taizhang.ledger.store import Store, file_sha256
from taizhang.ledger.versions import file_identity, record_sighting


@dataclass(slots=True)
class ImportReport:
    outcomes: list[BatchOutcome]
    # the sheets read per file (for the JSON); not the records, which can be
    # millions: each file's records are released once its batch is written
    sheets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[BatchOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]

    @property
    def ok(self) -> bool:
        """Exit 1 when any file failed (SPEC §6)."""
        return not self.failed

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    def to_dict(self, mask: Callable[[str, str], str] | None = None) -> dict[str, Any]:
        """The JSON of SPEC §6 `import`: the validate shape plus a status per file."""
        files: list[dict[str, Any]] = []
        for o in self.outcomes:
            sheets = self.sheets.get(o.path)
            # `retracted` only when a newer version dropped records: a file's count,
            # repeated on each of its sheets like `status`
            dropped = {"retracted": o.retracted} if o.retracted else {}
            if o.status == "imported" and sheets:
                files.extend({**entry, "status": "imported", **dropped} for entry in sheets)
            else:
                entry: dict[str, Any] = {"path": o.path, "sheet": None, "kind": None,
                                         "village": None, "village_source": None, "rows": 0,
                                         "status": o.status}
                if o.error:
                    entry["error"] = o.error
                if o.note:
                    entry["skipped"] = o.note
                entry.update(dropped)
                files.append(entry)
        problems = problem_dicts(self.problems, mask)
        return {
            "files": files,
            "persons_new": sum(o.persons_new for o in self.outcomes),
            "persons_updated": sum(o.persons_updated for o in self.outcomes),
            "rejected_rows": sum(o.rejected_rows for o in self.outcomes),
            "problems": problems,
        }


# Every file that could hurt the reader is read in a worker process under a
# memory and a time limit (ingest/sandbox.py, issue 15). Several workers pay
# off only for a big import: each costs about 0.3 s to start (a new
# interpreter and the reader's imports, with `spawn` as on Windows); a small
# import uses one, and reads a small CSV in this process.
POOL_MIN_BYTES = 4 << 20
POOL_MIN_FILES = 4


@dataclass(slots=True)
class _Todo:
    slot: int
    path: Path
    name: str
    sha: str
    size: int
    mtime_ns: int

    def rewritten(self) -> str | None:
        """Why the file is not the bytes that were hashed any more, or None.

        The hash is taken before the file is read (it decides `unchanged`);
        a file still being copied or saved while it is read would be stored
        half-read under the hash of other bytes, and then skipped for ever as
        unchanged (SPEC §7). Same size and time: the same bytes; otherwise the
        file is hashed again, since a touch alone changes nothing."""
        try:
            stat = self.path.stat()
            if (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns):
                return None
            if file_sha256(self.path) == self.sha:
                return None
        except OSError:
            return "文件在导入过程中被删除或移走：本次未导入，放回后下次导入时会重新读取"
        return "文件在导入过程中被改写（可能还在复制或保存中）：本次未导入，下次导入时会重新读取"


def default_jobs() -> int:
    """Reader processes for a big import: the cores, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


def import_paths(store: Store, paths: list[Path], validator: Validator, as_of: date,
                 progress: Callable[[str], None] | None = None, jobs: int | None = None
                 ) -> ImportReport:
    """Import files and folders (recursively); never stops at a bad file.

    With `jobs` > 1 and enough data, files are read and validated by that many
    worker processes while this one merges them into the database, in file
    order, so the ledger is the same as when reading them one by one.
    """
    from taizhang.ledger.snapshot import ledger_version, refresh_snapshot

    files, notes = find_input_files(paths)
    report = ImportReport([], notes=notes)
    version_before = ledger_version(store)
    outcomes: list[BatchOutcome | None] = []
    todo: list[_Todo] = []
    for path in files:
        name = str(path)
        try:
            stat = path.stat()  # before the hash: a change while hashing shows after the read
            sha = file_sha256(path)
        except OSError as exc:
            outcomes.append(BatchOutcome(name, "failed", os_error_line("无法读取文件", exc)))
            if progress is not None:
                progress(name)
            continue
        if (earlier := store.find_batch(sha)) is not None:
            with store.transaction() as db:
                record_sighting(db, earlier["id"], file_identity(path), stat.st_mtime_ns,
                                as_of.isoformat())
            outcomes.append(BatchOutcome(name, "unchanged"))
            if progress is not None:
                progress(name)
            continue
        todo.append(_Todo(len(outcomes), path, name, sha, stat.st_size, stat.st_mtime_ns))
        outcomes.append(None)
    jobs = default_jobs() if jobs is None else jobs
    big = len(todo) >= POOL_MIN_FILES and sum(t.size for t in todo) >= POOL_MIN_BYTES
    results = _pooled(todo, validator, jobs) if jobs > 1 and big else _inline(todo, validator)
    cache = PersonCache()
    # Each file leaves what lives on (the person cache, the ledger's state)
    # frozen out of the garbage collector, which otherwise re-scans all of it
    # at every full collection while a file allocates millions of cells. Files
    # make no cyclic garbage (measured: none over 40 county files), so nothing
    # is kept that a collection would free. County import: 51 s -> 37 s.
    try:
        for item, result in results:
            if progress is not None:
                progress(item.name)
            report.sheets[item.name] = [sheet.file_entry() for sheet in result.sheets]
            report.notes.extend(result.notes)
            if result.error:
                outcomes[item.slot] = BatchOutcome(item.name, "failed", result.error)
                continue
            if result.skipped:  # taizhang's own output: nothing of it enters the ledger
                outcomes[item.slot] = BatchOutcome(item.name, "skipped", note=result.skipped)
                continue
            if (why := item.rewritten()) is not None:
                outcomes[item.slot] = BatchOutcome(item.name, "failed", why)
                continue
            try:
                outcome = outcomes[item.slot] = write_batch(store, result, item.path, item.sha,
                                                            item.size, as_of, cache)
            except TaizhangError as exc:
                outcomes[item.slot] = BatchOutcome(item.name, "failed", exc.message)
            else:
                if outcome.retracted:
                    report.notes.append(retraction_note(outcome))
            gc.freeze()
    finally:
        gc.unfreeze()
    report.outcomes = [o for o in outcomes if o is not None]
    imported = [o for o in report.outcomes if o.status == "imported"]
    if imported:  # the day's lists and reports then start from an up-to-date snapshot
        refresh_snapshot(store, version_before, set().union(*(o.affected for o in imported)))
    return report


def retraction_note(outcome: BatchOutcome) -> str:
    """What a newer version of a file dropped: the clerk should know a record left the ledger."""
    parts = [f"核酸记录 {outcome.retracted_tests} 条" if outcome.retracted_tests else "",
             f"体温记录 {outcome.retracted_readings} 条" if outcome.retracted_readings else ""]
    return (f"{outcome.path} 是已导入文件的新版本，其中不再有旧版本的 {outcome.retracted} 条记录"
            f"（{'、'.join(p for p in parts if p)}），已从台账中撤下（历史中仍保留）。"
            "如果是误删，请在表格中补回后重新导入；导错了文件可用 taizhang undo 撤销这次导入")


def _inline(todo: list[_Todo], validator: Validator) -> Iterator[tuple[_Todo, FileResult]]:
    """Files in order, for a small import: a small CSV is read here, every
    other file by one worker process (a file that crashes or exhausts it
    fails alone, see `ReaderPool`), which reads ahead while this one merges."""
    outside = [item for item in todo if not reads_inline(item.path, item.size)]
    if not outside:
        for item in todo:
            yield item, validator.validate_file(item.path, item.name)
        return
    pooled = {id(item) for item in outside}
    with ReaderPool(_validate_in_worker, _start_worker, (validator.for_worker(),)) as pool:
        results = pool.read((item.path, item.name, item.size) for item in outside)
        for item in todo:
            if id(item) not in pooled:
                yield item, validator.validate_file(item.path, item.name)
                continue
            result = next(results)
            validator.cross_check(result)
            yield item, result


# the worker process's validator, set once by `_start_worker`
_WORKER: Validator | None = None


def _start_worker(validator: Validator) -> None:
    global _WORKER
    _WORKER = validator


def _validate_in_worker(path: Path, name: str) -> FileResult:
    """Validate, and pack the readings and the values as stored here rather
    than in the busier main process."""
    assert _WORKER is not None
    gc.freeze()  # see import_paths
    result = _WORKER.validate_file(path, name)
    for sheet in result.sheets:
        for row in sheet.temp_rows:
            row.slim()
        for record in sheet.persons:
            record.stored()
        sheet.test_table.stored_columns()
    return result


def _pooled(todo: list[_Todo], validator: Validator, jobs: int
            ) -> Iterator[tuple[_Todo, FileResult]]:
    """Validated files, in order, from `jobs` worker processes. At most two
    files per worker are waiting, so memory stays that of a few files. The
    conflict check runs here, file by file, against everything seen before.

    A worker that dies, runs out of memory or time on a file is replaced,
    and only that file fails (never read again in this process)."""
    with ReaderPool(_validate_in_worker, _start_worker, (validator.for_worker(),), jobs) as pool:
        results = pool.read((item.path, item.name, item.size) for item in todo)
        for item, result in zip(todo, results, strict=True):
            validator.cross_check(result)
            yield item, result
