"""The library face for analysts: the ledger and single files as pandas DataFrames (SPEC §6).

County staff work in Jupyter with pandas; the township PC's daily run does
not, so pandas is an optional extra (`pip install "taizhang[analysis]"`),
imported only inside the functions here, and neither `import taizhang` nor
the command line loads this module (see `taizhang.__getattr__`).

Nothing here computes anything of its own: every frame comes from what the
command line uses for the same output (`export_rows`, `due_today` +
`mask_lists`, `gather` + `render_report`, `Validator`), so an analyst's
numbers are the township's. ID numbers and phones are masked by default, as
on the command line (SPEC §9): an analyst asks for them with `mask=False`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from taizhang.config import DEFAULT_CONFIG, Config, load_config, load_policy
from taizhang.errors import FileReadError, TaizhangError, UsageError
from taizhang.ledger.store import Store
from taizhang.privacy import PERSONAL_FIELDS, mask_field, mask_id, mask_phone

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from taizhang.ingest.records import FileResult
    from taizhang.policy.model import Policy

__all__ = ["FileRecords", "Ledger", "open_ledger", "read"]

PathLike = str | os.PathLike[str]
DayLike = date | str

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
TEST_COLUMNS = ("id_number", "name", "village", "sample_date", "result", "site", "path", "sheet", "row")
PROBLEM_COLUMNS = ("path", "sheet", "row", "column", "field", "code", "severity", "value", "message")
# an ID number or a mobile number inside free text (rejected rows' raw cells)
_ID_IN_TEXT = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")


def _pandas() -> Any:
    """pandas, or a message saying how to get it: it is an optional extra."""
    try:
        import pandas
    except ImportError:
        raise TaizhangError('分析功能需要pandas，当前环境未安装：请运行 pip install "taizhang[analysis]"'
                            ) from None
    return pandas


def _day(value: DayLike) -> date:
    """A date given as `date`, `datetime`/`pandas.Timestamp` or text in any form the readers accept."""
    if isinstance(value, datetime):  # also pandas.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        from taizhang.ingest.values import parse_date

        parsed = parse_date(value)
        if parsed.value is not None:
            return parsed.value
    raise UsageError(f"日期“{value}”无法识别：请写成2022-02-08或传入datetime.date")


def _dates(values: Iterable[date | str | None]) -> Any:
    """Dates (or ISO text) as datetime64, empty ones NaT. In seconds, not pandas'
    nanoseconds: a mistyped year such as 2202 or 1022 stays a date, not NaT."""
    texts = [v.isoformat() if isinstance(v, date) else (v or "NaT") for v in values]
    return np.array(texts, dtype="datetime64[D]").astype("datetime64[s]")


def _frame(rows: Sequence[dict[str, Any] | Sequence[Any]], columns: Sequence[str],
           dates: Iterable[str] = (), ints: Iterable[str] = ("row",), floats: Iterable[str] = ()
           ) -> pd.DataFrame:
    """A frame with these columns in this order (also when there are no rows),
    dates as datetime64 and numbers that may be missing as nullable Int64."""
    pd = _pandas()
    if rows:
        frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    else:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    present = set(frame.columns)
    for col in present.intersection(dates):
        frame[col] = _dates(v if isinstance(v, (date, str)) else None for v in frame[col])
    for col in present.intersection(ints):
        frame[col] = frame[col].astype("Int64")
    for col in present.intersection(floats):
        frame[col] = frame[col].astype(float)
    return frame


def _mask_text(text: str) -> str:
    """Mask ID and mobile numbers wherever they stand in free text."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id(m.group()), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def _resolve_settings(config: PathLike | None, policy: PathLike | None,
                      beside: Path | None) -> tuple[Config, Policy]:
    """The configuration: the file given, else `taizhang.toml` in the folder `beside`
    (a workspace keeps it beside the ledger); the policy: the file given, else the
    configuration's, else the packaged default — as the command line finds them."""
    if config is None and beside is not None and (beside / DEFAULT_CONFIG).is_file():
        config = beside / DEFAULT_CONFIG
    cfg = load_config(Path(config)) if config is not None else Config()
    policy_path = Path(policy) if policy is not None else cfg.paths.get("policy")
    return cfg, load_policy(policy_path)


# ---------------------------------------------------------------------------- the ledger


def open_ledger(path: PathLike, *, config: PathLike | None = None,
                policy: PathLike | None = None) -> Ledger:
    """Open an existing ledger database (`taizhang.db`) for analysis.

    Never creates one: a mistyped path would leave an empty ledger behind and
    every frame would be silently empty. `config` is a `taizhang.toml`
    (township and villages, for `.report`), by default the one beside the
    database if any, as in a `taizhang init` workspace; `policy` a policy file,
    by default the configuration's, else the packaged one. So a workspace's
    ledger gives the numbers the township's daily run gives."""
    _pandas()
    db = Path(path).expanduser()
    if not db.exists():
        raise TaizhangError(f"找不到台账数据库{db}：请检查路径（open_ledger不会新建台账，"
                            "新建请用 taizhang import）")
    if not db.is_file() or not _is_ledger(db):
        raise TaizhangError(f"{db}不是taizhang台账数据库：请给出taizhang import写入的taizhang.db文件的路径")
    cfg, pol = _resolve_settings(config, policy, db.parent)
    return Ledger(Store(db), cfg, pol)


def _is_ledger(db: Path) -> bool:
    """Whether `db` is a ledger, asked read-only: opening any other SQLite file
    (or an empty one) as a `Store` would write a ledger's tables into it."""
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT 1 FROM meta WHERE key='schema_version'").fetchone() is not None
    except sqlite3.Error:
        return False


class Ledger:
    """An open ledger whose contents come back as pandas DataFrames. It holds the
    SQLite file open: use it in a `with` block or `close()` it. Every method
    masks ID numbers and phones unless `mask=False`."""

    def __init__(self, store: Store, config: Config, policy: Policy) -> None:
        self._db: Store | None = store
        self.path: Path = store.path
        self.config = config
        self.policy = policy

    @property
    def store(self) -> Store:
        """The underlying `taizhang.ledger.store.Store`, for queries of your own."""
        if self._db is None:
            raise TaizhangError(f"台账{self.path}已关闭：请重新 open_ledger")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<taizhang.Ledger {str(self.path)!r} ({'closed' if self._db is None else 'open'})>"

    def persons(self, mask: bool = True) -> pd.DataFrame:
        """One row per person: the ledger's current values in the columns and order
        of `taizhang export` (Chinese headers: `taizhang.outputs.export.COLUMN_LABELS`),
        dates as datetime64. People only seen in test or temperature sheets have no village."""
        from taizhang.ingest.records import DATE_FIELDS
        from taizhang.outputs.export import EXPORT_FIELDS, export_rows

        return _frame(export_rows(self.store, mask_field if mask else None), EXPORT_FIELDS, dates=DATE_FIELDS)

    def tests(self, mask: bool = True) -> pd.DataFrame:
        """One row per active test record (not those a newer version of their file
        retracted: the policy engine ignores them too), with its file, sheet and row.
        `village` is the person's, or for people nobody registered the sending file's."""
        rows = self.store.db.execute(
            "SELECT p.id_number, p.name, coalesce(p.village, b.village) AS village, t.sample_date, "
            "t.result, t.site, b.path, t.sheet, t.row FROM tests t "
            "JOIN persons p ON p.id = t.person_id JOIN batches b ON b.id = t.batch_id "
            "WHERE t.retracted_by IS NULL ORDER BY village, p.name, p.id, t.sample_date, t.id"
        ).fetchall()
        if mask:
            rows = [(mask_field("id_number", r[0]) if r[0] else r[0], *r[1:]) for r in rows]
        return _frame(rows, TEST_COLUMNS, dates=("sample_date",))

    def readings(self, mask: bool = True) -> pd.DataFrame:
        """One row per temperature reading (decoded from the packed rows), with
        the file, sheet and row it came from. A reading sent twice (same
        person, day and slot) appears once, the newest file's, as the policy
        engine sees it; retracted rows are left out."""
        pd = _pandas()
        from taizhang.ledger import readings

        found = readings.load(
            self.store.db,
            "JOIN persons p ON p.id = r.person_id JOIN batches b ON b.id = r.batch_id "
            "WHERE r.retracted_by IS NULL",
            extra=("p.id_number", "p.name", "coalesce(p.village, b.village)", "b.path", "r.sheet",
                   "r.row"))
        # the text columns once per database row (one per sheet row), then spread over its readings
        per_row = [np.array(c, dtype=object) for c in zip(*(r[6:12] for r in found.rows), strict=True)]
        per_row = per_row or [np.array([], dtype=object)] * 6
        if mask:
            per_row[0] = np.array([mask_field("id_number", v) if v else v for v in per_row[0]], dtype=object)
        ident, name, village, path, sheet, line = (c[found.row] for c in per_row)
        days = (found.day.astype(np.int64) - _EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[s]")
        frame = pd.DataFrame({
            "id_number": ident, "name": name, "village": village, "date": days,
            "slot": np.array(found.slots_text(), dtype=object), "temperature": found.temperature,
            "path": path, "sheet": sheet, "row": pd.array(line, dtype="Int64")})
        frame = frame.iloc[np.lexsort((found.slot, found.day, found.person))]
        return frame.sort_values(["village", "name"], kind="stable").reset_index(drop=True)

    def problems(self, mask: bool = True) -> pd.DataFrame:
        """The problems found in every imported file (not undone: `taizhang undo`), as `taizhang
        validate` lists them; the value is masked when it is an ID or phone."""
        rows = self.store.db.execute(
            "SELECT path, sheet, row, col, field, code, severity, value, message FROM problems WHERE "
            "batch_id NOT IN (SELECT id FROM batches WHERE undone_at IS NOT NULL) ORDER BY batch_id, id").fetchall()
        if mask:
            rows = [(*r[:7], mask_field(r[4] or "", r[7]) if r[7] else r[7], r[8]) for r in rows]
        return _frame(rows, PROBLEM_COLUMNS)

    # the lists and the report of one day, as the command line computes them
    def due_lists(self, day: DayLike, *, village: str | None = None, mask: bool = True
                  ) -> dict[str, Any]:
        """Exactly what `taizhang due-today --date DAY --format json` prints
        (parsed), `--no-mask` being `mask=False`: the six lists of SPEC §6."""
        from taizhang.outputs.due_lists import due_today, mask_lists

        lists = mask_lists(due_today(self.store, _day(day), self.policy, village), mask_field if mask else None)
        # through JSON, as the command line prints it: plain lists and dicts, a copy
        return json.loads(json.dumps(lists, ensure_ascii=False))

    def due(self, day: DayLike, *, village: str | None = None, mask: bool = True) -> pd.DataFrame:
        """The due lists of `day` as one frame: one row per entry, the `list`
        column naming its list (tests_due, tests_overdue, releases_due,
        releases_blocked, temperature_missing, fever), then every list's
        fields (empty where a list has no such field) and `regime_name`. Dates
        are datetime64; `reasons` (releases_blocked) stays a list of codes."""
        from taizhang.outputs.due_lists import LIST_FIELDS, LIST_KEYS

        lists = self.due_lists(day, village=village, mask=mask)
        names = {k: r.name for k, r in self.policy.regimes.items()}
        records = [{"list": key, **entry, "regime_name": names.get(entry["regime"], entry["regime"] or None)}
                   for key in LIST_KEYS for entry in lists[key]]
        fields = [f for key in LIST_KEYS for f in LIST_FIELDS[key]]
        fields.insert(fields.index("regime") + 1, "regime_name")
        columns = list(dict.fromkeys(["list", *fields, *(f for rec in records for f in rec)]))
        frame = _frame(records, columns, dates=("due_date", "release_date", "planned_release_date", "date"),
                       ints=("day", "days_overdue", "readings"), floats=("temperature",))
        frame["late"] = frame["late"].astype("boolean")
        return frame

    def report_json(self, day: DayLike) -> dict[str, Any]:
        """Exactly what `taizhang daily-report --date DAY --format json` prints
        (parsed): date, township, zero_report, villages, totals. It holds
        counts only, so there is nothing to mask."""
        from taizhang.outputs.daily_data import gather
        from taizhang.outputs.daily_report import render_report

        # trend_days=1: the report's numbers do not depend on the trend, which only costs time
        data = gather(self.store, _day(day), self.policy, self.config, trend_days=1)
        return json.loads(render_report(data, "json", None, None))

    def report(self, day: DayLike) -> pd.DataFrame:
        """The daily report's numbers, one row per village (configured villages
        first, as in the report), a `date` column first so days concatenate,
        and `under_control` flattened into one `under_control.<phase>` column
        per phase of the policy (0 where nobody is in it). Totals are in
        `report_json(day)["totals"]`."""
        from taizhang.outputs.report_numbers import phase_order

        data = self.report_json(day)
        phases = phase_order(self.policy)
        records = []
        for row in data["villages"]:
            rec: dict[str, Any] = {"date": data["date"]}
            for key, value in row.items():
                if key != "under_control":
                    rec[key] = value
                    continue
                for phase in [*phases, *(p for p in value if p not in phases)]:
                    rec[f"under_control.{phase}"] = int(value.get(phase, 0))
            records.append(rec)
        columns = list(dict.fromkeys(c for rec in records for c in rec)) or [
            "date", "village", *(f"under_control.{p}" for p in phases)]
        return _frame(records, columns, dates=("date",))


# ---------------------------------------------------------------------------- one file


@dataclass(slots=True)
class FileRecords:
    """What validation reads from one file, without a ledger: the frames
    `taizhang import` would merge, the problems `taizhang validate` lists,
    the rows that name nobody (`rejected`), and the reader's notes."""

    path: str
    format: str | None
    notes: list[str]
    sheets: pd.DataFrame
    persons: pd.DataFrame
    tests: pd.DataFrame
    readings: pd.DataFrame
    problems: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def ok(self) -> bool:
        """False when any problem is an error (what makes `validate` exit 1)."""
        return not (self.problems["severity"] == "error").any()


def read(path: PathLike, *, kind: str | None = None, village: str | None = None,
         encoding: str | None = None, as_of: DayLike | None = None, mask: bool = True,
         config: PathLike | None = None, policy: PathLike | None = None) -> FileRecords:
    """Read and validate one spreadsheet without a ledger.

    The options are `taizhang validate`'s: `kind` (registration, tests,
    temperatures) and `village` override what the file says, `encoding` is
    for CSVs, `as_of` decides what counts as a future date (default today).
    `config` gives the village list and `policy` the regimes that `regime`
    values are checked against; without them, no village list and the
    packaged policy. A file that cannot be read at all raises `TaizhangError`.
    """
    _pandas()
    from taizhang.ingest.headers import KINDS
    from taizhang.ingest.validation import Validator

    source = Path(path).expanduser()
    if not source.exists():
        raise TaizhangError(f"找不到文件{source}：请检查路径")
    if source.is_dir():
        raise TaizhangError(f"{source}是文件夹：read()一次读一个文件，整个文件夹请用 taizhang validate")
    if kind is not None and kind not in KINDS:
        raise UsageError(f"kind 只能是 {'、'.join(KINDS)}，而不是“{kind}”")
    cfg, pol = _resolve_settings(config, policy, None)
    validator = Validator.from_settings(cfg, pol, _day(as_of) if as_of is not None else date.today(),
                                        village=village, kind=kind, encoding=encoding)  # as validate
    result = validator.validate_file(source, str(path))
    if result.error:
        raise FileReadError(str(path), result.error)
    return _file_records(result, mask)


def _file_records(result: FileResult, mask: bool) -> FileRecords:
    from taizhang.ingest.headers import lookup_field
    from taizhang.ingest.problems import problem_dicts
    from taizhang.ingest.records import DATE_FIELDS
    from taizhang.outputs.export import EXPORT_FIELDS

    masker = mask_field if mask else None

    def m(fld: str, value: Any) -> Any:
        return masker(fld, value) if masker is not None and isinstance(value, str) and value else value

    def who(sheet: str, rec: Any) -> dict[str, Any]:
        return {"sheet": sheet, "row": rec.row, "id_number": m("id_number", rec.person.id_number),
                "name": rec.person.name, "village": rec.village}

    persons, tests, temps, rejected = [], [], [], []
    for sheet in result.sheets:
        for rec in sheet.persons:
            values = {**rec.fields, "village": rec.village}
            values["id_number"] = values.get("id_number") or rec.person.id_number or None
            persons.append({"sheet": sheet.sheet, "row": rec.row,
                            **{f: m(f, values.get(f)) for f in EXPORT_FIELDS},
                            "id_valid": rec.person.id_valid})
        tests += [{**who(sheet.sheet, t), "sample_date": t.sample_date, "result": t.result,
                   "site": t.site, "column": t.source_column} for t in sheet.tests]
        temps += [{**who(sheet.sheet, r), "date": r.date, "slot": r.slot, "temperature": r.temperature,
                   "column": r.source_column} for r in sheet.temperatures]
        for rej in sheet.rejected:
            cells = dict(rej.cells)
            if mask:  # the row named nobody, but another cell may still hold a number
                cells = {h: _mask_text(mask_field(f, v) if (f := lookup_field(h)) in PERSONAL_FIELDS
                                       else v) for h, v in cells.items()}
            rejected.append({"sheet": sheet.sheet, "row": rej.row, "reason": rej.reason, "cells": cells})
    whom = ("sheet", "row", "id_number", "name", "village")
    return FileRecords(
        result.path, result.format, list(result.notes),
        sheets=_frame([s.file_entry() for s in result.sheets],
                      ("path", "sheet", "kind", "village", "village_source", "rows"), ints=()),
        persons=_frame(persons, ("sheet", "row", *EXPORT_FIELDS, "id_valid"), dates=DATE_FIELDS),
        tests=_frame(tests, (*whom, "sample_date", "result", "site", "column"), dates=("sample_date",)),
        readings=_frame(temps, (*whom, "date", "slot", "temperature", "column"), dates=("date",),
                        floats=("temperature",)),
        problems=_frame(problem_dicts(result.problems, masker), PROBLEM_COLUMNS),
        rejected=_frame(rejected, ("sheet", "row", "reason", "cells")))
