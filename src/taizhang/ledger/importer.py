"""`taizhang import`: read, validate and merge files into the ledger.

Each file is its own transaction, so one bad file never stops the others and
a file is all in or all out. A file whose sha256 is already in the ledger is
`unchanged` and not even parsed: re-importing an inbox costs one hash per file.
"""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from taizhang.errors import TaizhangError, os_error_line
from taizhang.ingest.archives import Entry, expand
from taizhang.ingest.files import scan_inputs
from taizhang.ingest.sandbox import ReaderPool, reads_inline
from taizhang.ingest.sheet_registration import ASSUMED
from taizhang.ingest.validation import ERROR, FileResult, Problem, Validator, problem_dicts
from taizhang.ledger.merge import BatchOutcome, write_batch
from taizhang.ledger.person_cache import PersonCache
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
# From this many files on, the run's person cache starts with every person of
# the ledger (`PersonCache`): a day's re-sent 台账 name nearly everyone.
WHOLE_CACHE_FILES = 30


@dataclass(slots=True)
class _Todo:
    slot: int
    path: Path
    name: str
    sha: str
    size: int
    mtime_ns: int
    identity: Path  # the file, or <zip>/<member> (`archives`)
    zip_mtime: int | None = None  # a zip member's sighting time: the zip's

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

    found = scan_inputs(paths)
    report = ImportReport([], notes=found.notes)
    version_before = ledger_version(store)
    with ExitStack() as cleanup:
        temp: list[Path] = []

        def folder() -> Path:  # private (0700), removed on the way out, also on an error
            if not temp:
                temp.append(Path(cleanup.enter_context(tempfile.TemporaryDirectory(
                    prefix="taizhang_zip_", ignore_cleanup_errors=True))))
            return temp[0]

        entries = expand(found.files, folder)
        _import(store, entries, validator, as_of, progress, jobs, report)
    report.outcomes.extend(BatchOutcome(str(path), "skipped", note=note)
                           for path, note in found.skipped)
    report.notes.extend(note for _, note in found.skipped)
    imported = [o for o in report.outcomes if o.status == "imported"]
    if imported:  # the day's lists and reports then start from an up-to-date snapshot
        refresh_snapshot(store, version_before, set().union(*(o.affected for o in imported)))
    return report


def _import(store: Store, entries: list[Entry], validator: Validator, as_of: date,
            progress: Callable[[str], None] | None, jobs: int | None, report: ImportReport) -> None:
    """Hash every file, then read the new ones, each only once however many
    copies of it lie in the folder (`_first_copies`)."""
    hashed = [_hashed(entry) for entry in entries]
    first = _first_copies(entries, hashed)
    outcomes: list[BatchOutcome | None] = []
    todo: list[_Todo] = []
    copies: list[tuple[int, Entry, str, int | None]] = []  # slot, the copy, its sha, its mtime
    for entry, found in zip(entries, hashed, strict=True):
        if found is None:
            if entry.note:  # no table, or taizhang's own text report
                outcomes.append(BatchOutcome(entry.name, "skipped", note=entry.note))
                report.notes.append(entry.note)
                continue
            outcomes.append(BatchOutcome(entry.name, "failed", entry.error))
        else:
            stat, sha = found
            mtime = entry.mtime_ns if entry.member else stat.st_mtime_ns
            if (earlier := store.find_batch(sha)) is not None:
                with store.transaction() as db:
                    record_sighting(db, earlier["id"], file_identity(entry.identity), mtime,
                                    as_of.isoformat())
                outcomes.append(BatchOutcome(entry.name, "unchanged"))
            elif first[sha] is not entry:  # the same bytes again in this run: read once
                copies.append((len(outcomes), entry, sha, mtime))
                outcomes.append(None)
                continue
            else:
                todo.append(_Todo(len(outcomes), entry.path, entry.name, sha, stat.st_size,
                                  stat.st_mtime_ns, entry.identity,
                                  entry.mtime_ns if entry.member else None))
                outcomes.append(None)
                continue
        if progress is not None:
            progress(entry.name)
    jobs = default_jobs() if jobs is None else jobs
    big = len(todo) >= POOL_MIN_FILES and sum(t.size for t in todo) >= POOL_MIN_BYTES
    results = _pooled(todo, validator, jobs) if jobs > 1 and big else _inline(todo, validator)
    cache = PersonCache(whole=len(todo) >= WHOLE_CACHE_FILES)
    # Each file leaves what lives on (the person cache, the ledger's state)
    # frozen out of the garbage collector, which otherwise re-scans all of it
    # at every full collection while a file allocates millions of cells. Files
    # make no cyclic garbage (measured: none over 40 county files), so nothing
    # is kept that a collection would free. County import: 51 s -> 37 s.
    try:
        with store.bulk_writes():
            for item, result in results:
                if progress is not None:
                    progress(item.name)
                outcomes[item.slot] = _write(store, item, result, as_of, cache, report)
                gc.freeze()
    finally:
        gc.unfreeze()
    originals = {t.sha: t for t in todo}
    for slot, copy, sha, mtime in copies:
        outcomes[slot] = _copy_outcome(store, copy, originals[sha], outcomes[originals[sha].slot],
                                       mtime, as_of, report)
        if progress is not None:
            progress(copy.name)
    report.outcomes = [o for o in outcomes if o is not None]


def _hashed(entry: Entry) -> tuple[os.stat_result, str] | None:
    """The file's stat and sha256, or None (with `entry.error`) when it is not to be read."""
    if entry.error or entry.note:
        return None
    try:
        stat = entry.path.stat()  # before the hash: a change while hashing shows after the read
        return stat, file_sha256(entry.path)
    except OSError as exc:
        entry.error = os_error_line("无法读取文件", exc)
        return None


def _first_copies(entries: list[Entry], hashed: list[tuple[os.stat_result, str] | None]
                  ) -> dict[str, Entry]:
    """For each content, the copy that is read: the shortest name (平阳村.xlsx
    before 平阳村(1).xlsx, WeChat's and Windows' name for a second download),
    then the first found. Its path becomes the file's identity, so the name
    the village gave it is the one later versions are matched by."""
    first: dict[str, Entry] = {}
    for entry, found in zip(entries, hashed, strict=True):
        if found is not None:
            held = first.get(found[1])
            if held is None or len(Path(entry.name).name) < len(Path(held.name).name):
                first[found[1]] = entry
    return first


def _write(store: Store, item: _Todo, result: FileResult, as_of: date, cache: PersonCache,
           report: ImportReport) -> BatchOutcome:
    """Merge one file that was read, or say why it was not."""
    report.sheets[item.name] = [sheet.file_entry() for sheet in result.sheets]
    report.notes.extend(result.notes)
    if result.error:
        return BatchOutcome(item.name, "failed", result.error)
    if result.skipped:  # taizhang's own output: nothing of it enters the ledger
        return BatchOutcome(item.name, "skipped", note=result.skipped)
    if (why := item.rewritten()) is not None:
        return BatchOutcome(item.name, "failed", why)
    try:
        outcome = write_batch(store, result, item.identity, item.sha, item.size, as_of, cache)
        if item.zip_mtime is not None:  # a zip member: its sighting carries the zip's time
            with store.transaction() as db:
                db.execute("UPDATE sightings SET mtime_ns = ? WHERE batch_id = ? AND file = ? "
                           "AND mtime_ns IS NULL", (item.zip_mtime, outcome.batch_id,
                                                    file_identity(item.identity)))
    except TaizhangError as exc:
        return BatchOutcome(item.name, "failed", exc.message)
    if outcome.retracted:
        report.notes.append(retraction_note(outcome))
    return outcome


def _copy_outcome(store: Store, copy: Entry, original: _Todo, done: BatchOutcome | None,
                  mtime: int | None, as_of: date, report: ImportReport) -> BatchOutcome:
    """A copy's outcome is its original's: `unchanged` when that was imported
    (and seen here too, so a copy lying in the inbox tomorrow is no new
    arrival), the same failure or skip otherwise."""
    same = f"与{original.name}内容相同，只读取一次"
    if done is None or done.status == "failed":
        why = done.error if done is not None else "未读取"
        return BatchOutcome(copy.name, "failed", f"{why}（{same}）")
    if done.status == "skipped":
        return BatchOutcome(copy.name, "skipped", note=done.note)
    if done.batch_id is not None:
        try:
            with store.transaction() as db:
                record_sighting(db, done.batch_id, file_identity(copy.identity), mtime,
                                as_of.isoformat())
        except TaizhangError as exc:
            return BatchOutcome(copy.name, "failed", exc.message)
    note = f"{copy.name}：{same}"
    report.notes.append(note)
    return BatchOutcome(copy.name, "unchanged", note=note)


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
            record.slim(ASSUMED)
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
