"""Turn files into canonical records and problems (SPEC §2–§4): the entry point.

`Validator` reads a file (`files`), lays out each sheet (`layout`) and hands it
to the validator of its kind (`sheet_registration`, `sheet_tests`,
`sheet_temperatures`). A row with problems is still returned with its flags; a
row that cannot be tied to any person goes to `rejected` with its raw cells.
Nothing is dropped silently. `ValidationReport` is what `taizhang validate`
prints.

Validation stores nothing: the store (issue 3) takes `FileResult`s and merges
them. The `Validator` holds state across files only to report `conflict`s
between files of one run (`cross_check`).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from taizhang.errors import FileReadError
from taizhang.ingest.files import RawSheet, find_input_files, read_workbook
from taizhang.ingest.headers import FIELD_LABELS, REGISTRATION, TEMPERATURES, TESTS, declared_columns
from taizhang.ingest.layout import detect_layout, fill_merged
from taizhang.ingest.own import skip_note
from taizhang.ingest.problems import ERROR, SEVERITY, Problem, conflict_fields, message, problem_dicts
from taizhang.ingest.records import DATE_FIELDS, PERSON_FIELDS, FileResult, PersonKey, SheetResult
from taizhang.ingest.sheet import SheetValidator
from taizhang.ingest.sheet_registration import RegistrationSheet
from taizhang.ingest.sheet_temperatures import TemperatureSheet
from taizhang.ingest.sheet_tests import NucleicTestSheet
from taizhang.ingest.values import is_blank
from taizhang.ingest.villages import find_village

if TYPE_CHECKING:  # the settings are read by the callers; ingest only takes them
    from taizhang.config import Config


class Regimes(Protocol):
    """What validation takes from the policy (which comes after ingest)."""

    def find_regime(self, text: str) -> str | None: ...

    def regime_examples(self) -> list[str]: ...

# Defined here, or defined in problems/records/sheet and re-exported because code
# outside ingest imports them from here.
__all__ = [
    "DATE_FIELDS", "ERROR", "PERSON_FIELDS", "SEVERITY", "FileResult", "PersonKey", "Problem",
    "SheetResult", "ValidationReport", "Validator", "find_village", "problem_dicts",
    "validate_paths",
]

# A sheet of filling instructions (`taizhang template` writes one named 填表说明)
# is no data: recognised by its name and skipped without a note, like an empty sheet.
INSTRUCTIONS_SHEET = "填表说明"
_INSTRUCTIONS_RE = re.compile(r"^(?:填表|填报|填写)(?:说明|须知)$")

def is_instructions_sheet(name: str) -> bool:
    """A 填表说明 sheet: how to fill the others, no data (read by no command)."""
    return bool(_INSTRUCTIONS_RE.match(re.sub(r"\s+", "", name)))


# the validator of each kind of sheet
SHEET_VALIDATORS: dict[str, type[SheetValidator]] = {
    REGISTRATION: RegistrationSheet, TESTS: NucleicTestSheet, TEMPERATURES: TemperatureSheet,
}


class Validator:
    """Reads and validates files; remembers persons across files for `conflict`."""

    def __init__(
        self,
        *,
        as_of: date,
        villages: list[str] | None = None,
        township: str = "",
        find_regime: Callable[[str], str | None] | None = None,
        regime_examples: list[str] | None = None,
        village: str | None = None,
        kind: str | None = None,
        encoding: str | None = None,
        columns: dict[str, str] | None = None,
        values: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.as_of = as_of
        self.villages = villages or []
        self.township = township
        self.find_regime = find_regime
        self.regime_examples = regime_examples or []
        self.village = village
        self.kind = kind
        self.encoding = encoding
        # the config's [columns] (header as written -> field) and [values.FIELD] codings
        self.columns = columns or {}
        self.values = values or {}
        self.declared = declared_columns(self.columns)
        # True in worker processes: the importer runs `cross_check` itself, in file order
        self.defer_cross_check = False
        # a wide sheet's readings also as lists (TempRow.days …), not only packed as stored
        self.reading_lists = True
        # person key -> (name, village, arrival, (file, sheet, row)) first seen in this run
        self._seen: dict[str, tuple[str, str | None, date | None, tuple[str, str, int]]] = {}

    @classmethod
    def from_settings(cls, config: Config, policy: Regimes, as_of: date, **options: Any) -> Validator:
        """The validator every command builds from the workspace's config and
        policy (villages, township, [columns], [values], the regimes);
        `options` are the command's own (`village`, `kind`, `encoding`)."""
        return cls(as_of=as_of, villages=config.villages, township=config.township,
                   find_regime=policy.find_regime, regime_examples=policy.regime_examples(),
                   columns=config.columns, values=config.values, **options)

    # ------------------------------------------------------------------ files

    def validate_file(self, path: Path, display: str | None = None) -> FileResult:
        name = display or str(path)
        try:
            book = read_workbook(path, self.encoding)
        except FileReadError as exc:
            return FileResult(name, error=exc.reason)
        if book.output is not None:  # taizhang's own export, due list or report: not village data
            note = skip_note(Path(name).name, book.output)
            return FileResult(name, notes=[*book.notes, note], format=book.format, skipped=note)
        result = FileResult(name, notes=list(book.notes), format=book.format)
        for raw in book.sheets:
            sheet = self.validate_sheet(raw, name, path)
            if sheet is None:
                continue
            if isinstance(sheet, str):
                result.notes.append(sheet)
                continue
            result.sheets.append(sheet)
        if not result.sheets or not any(s.rows for s in result.sheets):
            reasons = "；".join(n for n in result.notes if "已跳过" not in n)
            result.error = "没有可读取的数据" + (f"（{reasons}）" if reasons else "")
            result.sheets = []
        if not self.defer_cross_check:
            self.cross_check(result)
        return result

    def validate_sheet(self, raw: RawSheet, display: str, path: Path) -> SheetResult | str | None:
        """A SheetResult, a note (str) explaining why the sheet was not read, or
        None for an empty sheet or a 填表说明 (instructions) sheet."""
        grid = raw.grid
        if is_instructions_sheet(raw.name):
            return None
        if not any(not is_blank(v) for row in grid for v in row):
            return None
        if raw.merged:
            fill_merged(grid, raw.merged)
        layout = detect_layout(grid, raw.merged, kind=self.kind, declared=self.declared)
        where = f"{Path(display).name}“{raw.name}”"
        if layout is None:
            return f"{where}：找不到表头（如姓名、身份证号），未读取；请检查表头或删除无关工作表"
        if layout.kind is None:
            return f"{where}：无法判断是登记表、核酸检测台账还是体温监测表，未读取；请用--kind指定"
        if not layout.data_rows:
            return f"{where}：只有表头没有数据行，已跳过"
        return SHEET_VALIDATORS[layout.kind](self, raw, display, path, layout).run()

    # ------------------------------------------------------------------ cross-file

    def for_worker(self) -> Validator:
        """A copy for a reader process: same options, nothing remembered, and
        the conflict check left to the process that merges (`cross_check`)."""
        worker = copy.copy(self)
        worker._seen = {}
        worker.defer_cross_check = True
        worker.reading_lists = False  # a reader process sends the packed readings only (`slim`)
        return worker

    def cross_check(self, result: FileResult) -> None:
        """`conflict` when a person key was seen before, in this file or an
        earlier one of the run, with another name (or, on registration sheets,
        another village or arrival date). Reported on the later row, naming the
        other. Name and village are part of some keys (PersonKey): those never
        differ."""
        file_name = Path(result.path).name
        seen = self._seen
        for sheet in result.sheets:
            registered = sheet.kind == REGISTRATION
            found = False
            for r, key, name, village, arrival in sheet.cross:
                before = seen.get(key)
                if before is None or (registered and before[1] is None and before[2] is None):
                    # the first registration row seen becomes the reference for village
                    # and arrival, even when a test or temperature row named the person first
                    seen[key] = (name, village, arrival, (file_name, sheet.sheet, r + 1))
                    if before is None:
                        continue
                elif not registered and name == before[0]:
                    continue  # the common case: a person's next test, same name
                other_name, other_village, other_arrival, (other_file, other_sheet, other_row) = before
                checks = [("name", name, other_name)]
                if registered:
                    # Village and arrival are key values only where a registration
                    # states them; a test sheet's village is merely who sent it.
                    checks.append(("village", village or "", other_village or ""))
                    checks.append(("arrival_date", arrival.isoformat() if arrival else "",
                                   other_arrival.isoformat() if other_arrival else ""))
                for fld, mine, theirs in checks:
                    if mine and theirs and mine != theirs:
                        found = True
                        sheet.problems.append(Problem(
                            result.path, sheet.sheet, r + 1,
                            sheet.cross_headers.get(fld) or FIELD_LABELS.get(fld, fld), fld,
                            "conflict", SEVERITY["conflict"], mine,
                            message(f"conflict/{fld}", row=r + 1, value=mine, other_file=other_file,
                                    other_sheet=other_sheet, other_row=other_row, other_value=theirs,
                                    **conflict_fields(key))))
            sheet.cross = []
            if found:  # in row order, as if found while reading
                sheet.problems.sort(key=lambda p: -1 if p.row is None else p.row)


@dataclass(slots=True)
class ValidationReport:
    """The result of validating a set of paths: per-file results and run notes."""

    files: list[FileResult]
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    @property
    def ok(self) -> bool:
        """False when any file failed or any problem is an error (exit 1)."""
        return not self.failed and not any(p.severity == ERROR for p in self.problems)

    def all_notes(self) -> list[str]:
        notes = list(self.notes)
        for f in self.files:
            notes.extend(f.notes)
            for s in f.sheets:
                if s.unknown_columns:
                    notes.append(f"{Path(f.path).name}“{s.sheet}”：未识别的列（已保留原值）："
                                 + "、".join(s.unknown_columns))
                if s.village_source not in (None, "option", "column"):
                    label = {"title": "标题行", "filename": "文件名", "sheet": "工作表名"}
                    notes.append(f"{Path(f.path).name}“{s.sheet}”：村（社区）取自"
                                 f"{label[s.village_source]}：{s.village}")
                elif s.village_source is None:
                    notes.append(f"{Path(f.path).name}“{s.sheet}”：无法确定所属村（社区），"
                                 "请用--village指定")
        return notes

    def to_dict(self, mask: Callable[[str, str], str] | None = None) -> dict[str, Any]:
        """The JSON shape of SPEC §6 `validate`; failed files appear in `files`
        with `sheet: null`, `rows: 0` and an `error`, skipped ones (taizhang's
        own outputs) likewise with `skipped`."""
        files: list[dict[str, Any]] = []
        for f in self.files:
            if f.error or f.skipped:
                reason = {"error": f.error} if f.error else {"skipped": f.skipped}
                files.append({"path": f.path, "sheet": None, "kind": None, "village": None,
                              "village_source": None, "rows": 0, **reason})
            files.extend(s.file_entry() for s in f.sheets)
        return {"files": files, "problems": problem_dicts(self.problems, mask)}


def validate_paths(paths: list[Path], validator: Validator) -> ValidationReport:
    """Validate files and folders (searched recursively); one bad file never
    stops the others. Every file but a small CSV is read by a worker process
    under a memory and a time limit (`sandbox`), so a file that would exhaust
    or crash the reader fails alone, with a message; results are checked for
    conflicts here, in file order, as when reading them one by one."""
    from taizhang.ingest.sandbox import ReaderPool, reads_inline
    from taizhang.ingest.sandbox_worker import use_validator, validate_file

    files, notes = find_input_files(paths)
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)  # the reader says why, in this process
    inline = [reads_inline(p, size) for p, size in zip(files, sizes, strict=True)]
    outside = [(p, str(p), size) for p, size, here in zip(files, sizes, inline, strict=True)
               if not here]
    if not outside:
        return ValidationReport([validator.validate_file(p) for p in files], notes)
    results: list[FileResult] = []
    processes = min(os.cpu_count() or 1, 4) if len(outside) >= 4 else 1
    with ReaderPool(validate_file, use_validator, (validator.for_worker(),), processes) as pool:
        read = pool.read(outside)
        for path, here in zip(files, inline, strict=True):
            if here:
                results.append(validator.validate_file(path))
                continue
            result = next(read)
            validator.cross_check(result)
            results.append(result)
    return ValidationReport(results, notes)
