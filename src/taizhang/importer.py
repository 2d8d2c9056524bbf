"""`taizhang import`: read, validate and merge files into the ledger.

Each file is its own transaction, so one bad file never stops the others and
a file is all in or all out. A file whose sha256 is already in the ledger is
`unchanged` and not even parsed: re-importing an inbox costs one hash per file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import TaizhangError
from .reading import find_input_files
from .store import BatchOutcome, Store, file_sha256, write_batch
from .validation import ERROR, Problem, Validator, problem_dicts


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
            if o.status == "imported" and sheets:
                files.extend({**entry, "status": "imported"} for entry in sheets)
            else:
                entry: dict[str, Any] = {"path": o.path, "sheet": None, "kind": None,
                                         "village": None, "village_source": None, "rows": 0,
                                         "status": o.status}
                if o.error:
                    entry["error"] = o.error
                files.append(entry)
        problems = problem_dicts(self.problems, mask)
        return {
            "files": files,
            "persons_new": sum(o.persons_new for o in self.outcomes),
            "persons_updated": sum(o.persons_updated for o in self.outcomes),
            "rejected_rows": sum(o.rejected_rows for o in self.outcomes),
            "problems": problems,
        }


def import_paths(store: Store, paths: list[Path], validator: Validator, as_of: date,
                 progress: Callable[[str], None] | None = None) -> ImportReport:
    """Import files and folders (recursively); never stops at a bad file."""
    from .ledger import ledger_version, refresh_snapshot

    files, notes = find_input_files(paths)
    report = ImportReport([], notes=notes)
    version_before = ledger_version(store)
    for path in files:
        name = str(path)
        if progress is not None:
            progress(name)
        try:
            sha, size = file_sha256(path), path.stat().st_size
        except OSError as exc:
            report.outcomes.append(BatchOutcome(name, "failed", f"无法读取文件（{exc.strerror}）"))
            continue
        if store.find_batch(sha) is not None:
            report.outcomes.append(BatchOutcome(name, "unchanged"))
            continue
        result = validator.validate_file(path, name)
        report.sheets[name] = [sheet.file_entry() for sheet in result.sheets]
        report.notes.extend(result.notes)
        if result.error:
            report.outcomes.append(BatchOutcome(name, "failed", result.error))
            continue
        try:
            report.outcomes.append(write_batch(store, result, path, sha, size, as_of))
        except TaizhangError as exc:
            report.outcomes.append(BatchOutcome(name, "failed", exc.message))
    imported = [o for o in report.outcomes if o.status == "imported"]
    if imported:  # the day's lists and reports then start from an up-to-date snapshot
        refresh_snapshot(store, version_before, set().union(*(o.affected for o in imported)))
    return report
