"""Turn cell grids into canonical records and problems (SPEC §2–§4).

Problems are data, not exceptions: each is a `Problem` with the file, sheet,
the row number Excel shows, the column header as written, a code from the
fixed vocabulary and a Chinese message that says how to fix it. A row with
problems is still returned with its flags; a row that cannot be tied to any
person goes to `rejected` with its raw cells. Nothing is dropped silently.

Validation stores nothing: the store (issue 3) takes `FileResult`s and merges
them. The `Validator` holds state across files only to report `conflict`s
between files of one run.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, repeat
from operator import itemgetter, ne
from pathlib import Path
from typing import Any

from taizhang.errors import FileReadError
from taizhang.ingest.files import RawSheet, read_workbook
from taizhang.ingest.headers import (
    FIELD_LABELS,
    KIND_LABELS,
    REGISTRATION,
    TEMPERATURES,
    TESTS,
    Column,
    SheetLayout,
    detect_layout,
    fill_merged,
)
from taizhang.ingest.packed import pack as pack_readings
from taizhang.ingest.values import (
    TEMP_MAX,
    TEMP_MIN,
    DateResult,
    IdResult,
    clean_text,
    id_from_legacy,
    is_blank,
    parse_date,
    parse_id,
    parse_phone,
    parse_result,
    parse_sex,
    parse_temperature,
    raw_repr,
    resolve_year,
    split_embedded_test,
)

ERROR, WARNING = "error", "warning"

# The fixed vocabulary of SPEC §4 and each code's severity.
SEVERITY: dict[str, str] = {
    "missing_required": ERROR,
    "id_length": ERROR,
    "id_checksum": ERROR,
    "id_birthdate": ERROR,
    "id_scientific": ERROR,
    "id_legacy": WARNING,
    "phone_invalid": WARNING,
    "date_invalid": ERROR,
    "date_future": ERROR,
    "date_order": ERROR,
    "temp_invalid": ERROR,
    "result_invalid": ERROR,
    "sex_mismatch": WARNING,
    "duplicate_row": WARNING,
    "conflict": ERROR,
    "unknown_village": WARNING,
    "unknown_regime": ERROR,
}

DATE_FIELDS = ("departure_date", "arrival_date", "registration_date", "control_start",
               "status_date")
TEXT_FIELDS = ("address", "origin", "risk_level", "category", "transport", "trip_no",
               "workplace", "has_negative_proof", "health_code", "regime", "status",
               "guardian", "doctor", "remarks")
# the fields a person has in the ledger, in the column order of `persons`
PERSON_FIELDS = ("name", "sex", "id_number", "phone", "village", *DATE_FIELDS, *TEXT_FIELDS)


def stored_text(value: Any) -> str | None:
    """A value as the ledger stores it: ISO dates, None for empty."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


SLOTS = {"上午": "上午", "早": "上午", "早上": "上午", "am": "上午", "下午": "下午", "晚": "下午",
         "晚上": "下午", "pm": "下午", "中午": "下午"}


@dataclass(slots=True)
class Problem:
    path: str
    sheet: str
    row: int | None
    column: str
    field: str
    code: str
    severity: str
    value: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "sheet": self.sheet, "row": self.row, "column": self.column,
            "field": self.field, "code": self.code, "severity": self.severity,
            "value": self.value, "message": self.message,
        }


@dataclass(slots=True)
class PersonKey:
    """Who a row is about: a valid ID, else name + phone (unverified)."""

    id_number: str  # cleaned text as written (may be invalid)
    id_valid: bool
    name: str
    phone: str
    key: str = field(init=False)  # the merge key, computed once

    def __post_init__(self) -> None:
        if self.id_valid:
            number = id_from_legacy(self.id_number) if len(self.id_number) == 15 else self.id_number
            self.key = "id:" + number
        else:
            self.key = f"np:{self.name}|{self.phone}"


@dataclass(slots=True)
class PersonRecord:
    """One registration row: canonical fields (dates as `date`), extras by header."""

    row: int
    person: PersonKey
    village: str | None
    fields: dict[str, Any]
    extra: dict[str, str] = field(default_factory=dict)
    _stored: tuple[dict[str, str], str] | None = None

    def stored(self) -> tuple[dict[str, str], str]:
        """The values as the ledger stores them (text, empty ones left out, the
        row's village included) and as JSON; a worker process computes this
        before sending the record, so the merging process does not."""
        if self._stored is None:
            values = {**self.fields, "village": self.village}
            texts = {f: t for f, v in values.items()
                     if f in PERSON_FIELDS and (t := stored_text(v)) is not None}
            self._stored = texts, json.dumps(texts, ensure_ascii=False)
        return self._stored


@dataclass(slots=True)
class TestRecord:
    row: int
    person: PersonKey
    village: str | None
    sample_date: date | None
    result: str | None  # negative / positive / pending
    site: str = ""
    source_column: str = ""


@dataclass(slots=True)
class TestTable:
    """A sheet's test records as columns.

    A county sends a million test rows; as one object each they cost as much
    to build and to pass between processes as the rest of the import. Each
    distinct person is kept once (`people`) and rows point at it.
    """

    people: list[PersonKey] = field(default_factory=list)
    first_row: list[int] = field(default_factory=list)  # each person's first row
    person: list[int] = field(default_factory=list)  # index into `people`
    row: list[int] = field(default_factory=list)
    village: list[str | None] = field(default_factory=list)
    sample_date: list[date | None] = field(default_factory=list)
    result: list[str | None] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    source_column: list[str] = field(default_factory=list)
    _index: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    _stored: tuple[list[bool], list[str | None]] | None = None

    def __len__(self) -> int:
        return len(self.row)

    def add(self, row: int, person: PersonKey, village: str | None, sample_date: date | None,
            result: str | None, site: str = "", source_column: str = "") -> None:
        ident = (person.key, person.name, person.id_number, person.phone)
        index = self._index.get(ident)
        if index is None:
            index = self._index[ident] = len(self.people)
            self.people.append(person)
            self.first_row.append(row)
        self.person.append(index)
        self.row.append(row)
        self.village.append(village)
        self.sample_date.append(sample_date)
        self.result.append(result)
        self.site.append(site)
        self.source_column.append(source_column)

    def stored_columns(self) -> tuple[list[bool], list[str | None]]:
        """Which records the store keeps (a sample date and a readable result)
        and their dates as ISO text; computed once, by a worker process when
        there is one."""
        if self._stored is None:
            iso = {d: d.isoformat() for d in set(self.sample_date) if d is not None}
            self._stored = ([d is not None and r is not None
                             for d, r in zip(self.sample_date, self.result, strict=True)],
                            [iso[d] if d is not None else None for d in self.sample_date])
        return self._stored

    def records(self) -> list[TestRecord]:
        people = self.people
        return [TestRecord(r, people[i], v, d, res, s, c) for i, r, v, d, res, s, c in zip(
            self.person, self.row, self.village, self.sample_date, self.result, self.site,
            self.source_column, strict=True)]

    def __getstate__(self) -> tuple[Any, ...]:  # the lookup is only needed while adding
        return (self.people, self.first_row, self.person, self.row, self.village,
                self.sample_date, self.result, self.site, self.source_column, self._stored)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        (self.people, self.first_row, self.person, self.row, self.village, self.sample_date,
         self.result, self.site, self.source_column, self._stored) = state
        self._index = {}


@dataclass(slots=True)
class TempRecord:
    row: int
    person: PersonKey
    village: str | None
    date: date | None
    slot: str | None
    temperature: float | None
    source_column: str = ""


@dataclass(slots=True)
class TempRow:
    """The readings of one sheet row, as parallel lists.

    A wide 体温监测表 row holds a month of readings; one object per reading (5
    million for a county) was most of what importing a county cost, so a row
    stays one object down to the store, which keeps it packed too. Only
    readings with a date and a plausible temperature are here; unreadable ones
    are problems.
    """

    row: int
    person: PersonKey
    village: str | None
    days: list[int] = field(default_factory=list)  # date ordinals
    slots: list[str | None] = field(default_factory=list)
    temps: list[float] = field(default_factory=list)  # °C, one decimal
    labels: list[str] = field(default_factory=list)  # the column each came from
    packed: tuple[int, int, int, bytes, str, bytes] | None = None  # see `pack`

    def pack(self) -> tuple[int, int, int, bytes, str, bytes] | None:
        """The store's columns for these readings (None when there are none).
        A worker process packs before sending and drops the lists (`slim`)."""
        if self.packed is None and self.days:
            self.packed = pack_readings(self.days, self.slots, self.temps)
        return self.packed

    def slim(self) -> None:
        self.pack()
        self.days, self.slots, self.temps, self.labels = [], [], [], []

    def records(self) -> list[TempRecord]:
        return [TempRecord(self.row, self.person, self.village, date.fromordinal(d), s, t, c)
                for d, s, t, c in zip(self.days, self.slots, self.temps, self.labels, strict=True)]


@dataclass(slots=True)
class RejectedRow:
    row: int
    cells: dict[str, str]
    reason: str


@dataclass(slots=True)
class SheetResult:
    path: str
    sheet: str
    kind: str | None
    village: str | None
    village_source: str | None
    rows: int
    persons: list[PersonRecord] = field(default_factory=list)
    test_table: TestTable = field(default_factory=TestTable)
    temp_rows: list[TempRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    # (row index, person key, name, village or None, arrival) of each row to
    # check against the other rows and files of the run; see Validator.cross_check
    cross: list[tuple[int, str, str, str | None, date | None]] = field(default_factory=list)
    cross_headers: dict[str, str | None] = field(default_factory=dict)

    @property
    def tests(self) -> list[TestRecord]:
        """The test records one by one (for inspection; the store takes `test_table`)."""
        return self.test_table.records()

    @property
    def temperatures(self) -> list[TempRecord]:
        """The stored readings one by one (for inspection; the store takes `temp_rows`)."""
        return [rec for t in self.temp_rows for rec in t.records()]

    def file_entry(self) -> dict[str, Any]:
        return {"path": self.path, "sheet": self.sheet, "kind": self.kind,
                "village": self.village, "village_source": self.village_source,
                "rows": self.rows}


@dataclass(slots=True)
class FileResult:
    path: str
    sheets: list[SheetResult] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    format: str | None = None

    @property
    def problems(self) -> list[Problem]:
        return [p for s in self.sheets for p in s.problems]


# compiled once: these run on every row of a county's sheets
_NAME_GAP_RE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_SPACE_RE = re.compile(r"\s+")
_VILLAGE_SUFFIX_RE = re.compile(r"(村|社区|居委会)$")
_VILLAGE_RE = re.compile(r"([^\s镇乡县市省区_\-—\d（）()【】\[\]·,，.。:：]{1,6}?(?:村|社区|居委会))")


def find_village(text: str, villages: list[str], township: str = "") -> str | None:
    """A village named in free text (title row, file name, sheet name).

    With a configured list, a listed name (or its stem without 村/社区: 平阳
    for 平阳村) is looked for; without one, the first `…村`/`…社区` word.
    """
    if not text:
        return None
    if township:
        text = text.replace(township, " ")
    if villages:
        for v in sorted(villages, key=len, reverse=True):
            if v in text:
                return v
        for v in sorted(villages, key=len, reverse=True):
            stem = re.sub(r"(村|社区|居委会)$", "", v)
            if len(stem) >= 2 and stem in text:
                return v
        return None
    m = _VILLAGE_RE.search(text)
    return m[1] if m else None


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
    ) -> None:
        self.as_of = as_of
        self.villages = villages or []
        self.township = township
        self.find_regime = find_regime
        self.regime_examples = regime_examples or []
        self.village = village
        self.kind = kind
        self.encoding = encoding
        # True in worker processes: the importer runs `cross_check` itself, in file order
        self.defer_cross_check = False
        # person key -> (name, village, arrival, (file, sheet, row)) first seen in this run
        self._seen: dict[str, tuple[str, str | None, date | None, tuple[str, str, int]]] = {}

    # ------------------------------------------------------------------ files

    def validate_file(self, path: Path, display: str | None = None) -> FileResult:
        name = display or str(path)
        try:
            book = read_workbook(path, self.encoding)
        except FileReadError as exc:
            return FileResult(name, error=exc.reason)
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
        None for an empty sheet."""
        grid = raw.grid
        if not any(not is_blank(v) for row in grid for v in row):
            return None
        if raw.merged:
            fill_merged(grid, raw.merged)
        layout = detect_layout(grid, raw.merged, kind=self.kind)
        where = f"{Path(display).name}“{raw.name}”"
        if layout is None:
            return f"{where}：找不到表头（如姓名、身份证号），未读取；请检查表头或删除无关工作表"
        if layout.kind is None:
            return f"{where}：无法判断是登记表、核酸检测台账还是体温监测表，未读取；请用--kind指定"
        if not layout.data_rows:
            return f"{where}：只有表头没有数据行，已跳过"
        return _SheetValidator(self, raw, display, path, layout).run()

    # ------------------------------------------------------------------ cross-file

    def for_worker(self) -> Validator:
        """A copy for a reader process: same options, nothing remembered, and
        the conflict check left to the process that merges (`cross_check`)."""
        worker = copy.copy(self)
        worker._seen = {}
        worker.defer_cross_check = True
        return worker

    def cross_check(self, result: FileResult) -> None:
        """`conflict` when an ID was seen before, in this file or an earlier one
        of the run, with another name (or, on registration sheets, another
        village or arrival date). Reported on the later row, naming the other."""
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
                checks = [("name", "姓名", name, other_name)]
                if registered:
                    # Village and arrival are key values only where a registration
                    # states them; a test sheet's village is merely who sent it.
                    checks.append(("village", "村（社区）", village or "", other_village or ""))
                    checks.append(("arrival_date", "返乡日期", arrival.isoformat() if arrival else "",
                                   other_arrival.isoformat() if other_arrival else ""))
                for fld, label, mine, theirs in checks:
                    if mine and theirs and mine != theirs:
                        found = True
                        sheet.problems.append(Problem(
                            result.path, sheet.sheet, r + 1,
                            sheet.cross_headers.get(fld) or FIELD_LABELS.get(fld, fld), fld,
                            "conflict", SEVERITY["conflict"], mine,
                            f"第{r + 1}行同一身份证号的{label}“{mine}”与{other_file}“{other_sheet}”"
                            f"第{other_row}行的“{theirs}”不一致：请核对哪一个正确并改正"))
            sheet.cross = []
            if found:  # in row order, as if found while reading
                sheet.problems.sort(key=lambda p: -1 if p.row is None else p.row)


class _SheetValidator:
    """Validation of one sheet; split out so each step reads as one method."""

    def __init__(self, owner: Validator, raw: RawSheet, display: str, path: Path,
                 layout: SheetLayout) -> None:
        self.o = owner
        self.raw = raw
        self.grid = raw.grid
        self.layout = layout
        self.cols = layout.by_field()
        self.display = display
        self.file_name = Path(display).name
        self.kind = layout.kind or REGISTRATION
        self.result = SheetResult(display, raw.name, self.kind, None, None, len(layout.data_rows))
        self.result.unknown_columns = layout.unknown_columns
        self.result.cross_headers = {f: self.cols[f].header for f in ("name", "village", "arrival_date")
                                     if f in self.cols}
        self.sheet_village, self.sheet_village_source = self._sheet_village(path)
        self.reference = owner.as_of
        # within-sheet duplicates: key -> (row, signature)
        self._rows_seen: dict[Any, int] = {}
        self._wide: list[tuple[int, int | None, str | None, str, Column]] | None = None
        self._wide_last = 0  # the last wide column's index
        self._wide_cells: Any = None  # row -> the wide columns' cells, as a tuple
        self._name_col, self._id_col, self._phone_col = (
            self.cols.get("name"), self.cols.get("id_number"), self.cols.get("phone"))
        self._people: dict[tuple[Any, Any, Any], PersonKey] = {}

    # ------------------------------------------------------------------ helpers

    def cell(self, r: int, col: Column | None) -> Any:
        if col is None:
            return None
        row = self.grid[r]
        return row[col.index] if col.index < len(row) else None

    def problem(self, r: int, col: Column | None, fld: str, code: str, value: str,
                message: str) -> None:
        header = col.header if col is not None else FIELD_LABELS.get(fld, fld)
        self.result.problems.append(Problem(
            self.display, self.raw.name, r + 1 if r >= 0 else None, header, fld, code,
            SEVERITY[code], value, message,
        ))

    def _sheet_village(self, path: Path) -> tuple[str | None, str | None]:
        o = self.o
        if o.village:
            return o.village, "option"
        for line in self.layout.title_lines:
            found = find_village(line, o.villages, o.township)
            if found:
                return found, "title"
        found = find_village(path.stem, o.villages, o.township)
        if found:
            return found, "filename"
        found = find_village(self.raw.name, o.villages, o.township)
        if found:
            return found, "sheet"
        return None, None

    def _row_village(self, r: int) -> tuple[str | None, str | None]:
        if self.o.village:
            return self.o.village, "option"
        col = self.cols.get("village")
        text = clean_text(self.cell(r, col)) if col else ""
        if text:
            text = _SPACE_RE.sub("", text)
            if self.o.villages and text not in self.o.villages:
                stems = [v for v in self.o.villages if _VILLAGE_SUFFIX_RE.sub("", v) == text]
                if len(stems) == 1:
                    text = stems[0]
            return text, "column"
        return self.sheet_village, self.sheet_village_source

    def _date(self, r: int, col: Column | None, fld: str, parsed: DateResult | None = None,
              raw: Any = None) -> date | None:
        """A date from a cell, with date_invalid / date_future reported."""
        if parsed is None:
            raw = self.cell(r, col)
            parsed = parse_date(raw)
        if parsed.error:
            self.problem(r, col, fld, "date_invalid", raw_repr(raw),
                         f"第{r + 1}行“{_h(col, fld)}”{parsed.error}：请改为2022-01-28这样的格式")
            return None
        value = parsed.value
        if parsed.yearless:
            value = resolve_year(parsed.month, parsed.day, self.reference)
        if value is not None and value > self.o.as_of:
            self.problem(r, col, fld, "date_future", raw_repr(raw),
                         f"第{r + 1}行“{_h(col, fld)}”{value.isoformat()}晚于"
                         f"{self.o.as_of.isoformat()}：请核对年份和月份")
        return value

    # ------------------------------------------------------------------ run

    def run(self) -> SheetResult:
        self._reference_date()
        self._check_columns()
        handler = {REGISTRATION: self._registration_row, TESTS: self._test_row,
                   TEMPERATURES: self._temperature_row}[self.kind]
        villages_used: set[str | None] = set()
        sources: set[str | None] = set()
        for r in self.layout.data_rows:
            person = self._person(r)
            if person is None:
                continue
            village, source = self._row_village(r)
            villages_used.add(village)
            sources.add(source)
            self._check_village(r, village, source)
            handler(r, person, village)
        if "column" in sources:
            self.result.village_source = "column"
            named = {v for v in villages_used if v}
            self.result.village = named.pop() if len(named) == 1 else None
        else:
            self.result.village = self.sheet_village
            self.result.village_source = self.sheet_village_source
        return self.result

    def _reference_date(self) -> None:
        """The median of the sheet's full dates: yearless dates take the year
        nearest to it (SPEC §3), else the as-of date."""
        date_cols = [self.cols[f] for f in (*DATE_FIELDS, "sample_date", "date")
                     if f in self.cols]
        found: list[int] = []
        for r in self.layout.data_rows[:2000]:
            for col in date_cols:
                parsed = parse_date(self.cell(r, col))
                if parsed.value is not None and parsed.value <= self.o.as_of:
                    found.append(parsed.value.toordinal())
        for col in self.layout.columns:
            if col.temp_date is not None and col.temp_date.value is not None:
                found.append(col.temp_date.value.toordinal())
        if found:
            self.reference = date.fromordinal(int(statistics.median(found)))

    def _check_columns(self) -> None:
        """A sheet lacking a required column gets one problem, not one per row."""
        need: list[tuple[str, ...]] = [("name", "id_number")]
        if self.kind == REGISTRATION:
            need = [("name",), ("id_number", "phone"), ("arrival_date", "registration_date")]
        elif self.kind == TESTS:
            need.append(("sample_date",))
        elif not any(c.temp_date for c in self.layout.columns):
            need.extend([("date",), ("temperature",)])
        row = self.layout.header_end
        for options in need:
            if not any(o in self.cols for o in options):
                labels = "”或“".join(FIELD_LABELS[o] for o in options)
                self.problem(row, None, options[0], "missing_required", "",
                             f"{KIND_LABELS[self.kind]}中找不到“{labels}”列：请检查表头是否写错"
                             f"（第{row + 1}行）")

    def _person(self, r: int) -> PersonKey | None:
        """The person a row is about; None (row rejected) when there is nothing to go on.

        A sheet names each person several times (a test sheet, five): cells
        that were read before without a problem give the same PersonKey back."""
        name, ident, phone = cells = (self.cell(r, self._name_col), self.cell(r, self._id_col),
                                      self.cell(r, self._phone_col))
        # only text cells: 1 == 1.0 == True would mix cells that read differently
        text = ((name is None or type(name) is str) and (ident is None or type(ident) is str)
                and (phone is None or type(phone) is str))
        if text and (known := self._people.get(cells)) is not None:
            return known
        found = len(self.result.problems)
        person = self._new_person(r, *cells)
        if text and person is not None and len(self.result.problems) == found:
            self._people[cells] = person
        return person

    def _new_person(self, r: int, name_raw: Any, id_raw: Any, phone_raw: Any) -> PersonKey | None:
        name_col, id_col, phone_col = self._name_col, self._id_col, self._phone_col
        name = _NAME_GAP_RE.sub("", clean_text(name_raw))
        if not name and is_blank(id_raw) and is_blank(phone_raw):
            cells = {c.header or f"第{c.index + 1}列": raw_repr(self.cell(r, c))
                     for c in self.layout.columns if not is_blank(self.cell(r, c))}
            reason = "没有姓名、身份证号和联系电话，无法对应到人"
            self.result.rejected.append(RejectedRow(r + 1, cells, reason))
            self.problem(r, name_col, "name", "missing_required", "",
                         f"第{r + 1}行{reason}：已放入拒收行，请补填姓名和身份证号后重新发送")
            return None
        if name_col is not None and not name:
            self.problem(r, name_col, "name", "missing_required", "",
                         f"第{r + 1}行缺少姓名：请补填")
        ident = parse_id(id_raw, self.o.as_of)
        if ident.code and ident.code != "missing":
            self._id_problem(r, id_col, ident, id_raw)
        phone = parse_phone(phone_raw)
        if not is_blank(phone_raw) and not phone.valid:
            self.problem(r, phone_col, "phone", "phone_invalid", phone.text,
                         f"第{r + 1}行“{_h(phone_col, 'phone')}”不是有效的手机号（11位）或座机号："
                         "请核对号码")
        if (self.kind == REGISTRATION and is_blank(id_raw) and is_blank(phone_raw)
                and (id_col or phone_col)):
            self.problem(r, id_col or phone_col, "id_number", "missing_required", "",
                         f"第{r + 1}行身份证号和联系电话都为空：请至少补填身份证号")
        return PersonKey(ident.text, ident.valid, name, phone.text if phone.valid else "")

    def _id_problem(self, r: int, col: Column | None, ident: IdResult, raw: Any) -> None:
        header = _h(col, "id_number")
        fixes = {
            "id_length": "请核对证件号码，18位号码末位可以是X",
            "id_checksum": "请对照证件逐位核对，常见是某一位录错",
            "id_birthdate": "请核对号码第7–14位（出生日期）",
            "id_scientific": "无法恢复，请把该列设为“文本”格式后按原证件重新录入",
            "id_legacy": "已接受，建议更新为18位号码",
        }
        assert ident.code is not None
        self.problem(r, col, "id_number", ident.code, ident.text or raw_repr(raw),
                     f"第{r + 1}行“{header}”{ident.detail}：{fixes[ident.code]}")

    def _check_village(self, r: int, village: str | None, source: str | None) -> None:
        if source != "column" or not village or not self.o.villages:
            return
        if village in self.o.villages:
            return
        close = difflib.get_close_matches(village, self.o.villages, n=1, cutoff=0.3)
        hint = f"，是否是“{close[0]}”" if close else ""
        col = self.cols.get("village")
        self.problem(r, col, "village", "unknown_village", village,
                     f"第{r + 1}行村（社区）“{village}”不在配置的村名单中{hint}：请改正村名，"
                     "或在taizhang.toml的villages中添加")

    def _cross_check(self, r: int, person: PersonKey, village: str | None,
                     arrival: date | None) -> None:
        """Queue the row for `Validator.cross_check` (`conflict` across rows and
        files), which runs file by file in order, also when files are read in
        other processes."""
        if person.id_valid:
            self.result.cross.append((r, person.key, person.name,
                                      village if self.kind == REGISTRATION else None, arrival))

    def _duplicate(self, r: int, signature: Any, person: PersonKey, what: str) -> bool:
        before = self._rows_seen.get(signature)
        if before is None:
            self._rows_seen[signature] = r
            return False
        col, fld = ((self.cols.get("id_number"), "id_number") if person.id_valid
                    else (self.cols.get("name"), "name"))
        self.problem(r, col, fld, "duplicate_row", person.id_number if person.id_valid
                     else person.name,
                     f"第{r + 1}行与第{before + 1}行是同一人{what}的重复记录：请删除其中一行")
        return True

    # ------------------------------------------------------------------ kinds

    def _registration_row(self, r: int, person: PersonKey, village: str | None) -> None:
        cols = self.cols
        values: dict[str, Any] = {"name": person.name, "id_number": person.id_number,
                                  "phone": person.phone}
        for fld in DATE_FIELDS:
            if fld in cols:
                values[fld] = self._date(r, cols[fld], fld)
        if "arrival_date" in cols or "registration_date" in cols:
            if values.get("arrival_date") is None and values.get("registration_date") is None:
                raw_a = self.cell(r, cols.get("arrival_date"))
                raw_r = self.cell(r, cols.get("registration_date"))
                if is_blank(raw_a) and is_blank(raw_r):
                    col = cols.get("arrival_date") or cols.get("registration_date")
                    self.problem(r, col, "arrival_date", "missing_required", "",
                                 f"第{r + 1}行返乡日期和登记日期都为空：请至少补填返乡日期")
        dep, arr = values.get("departure_date"), values.get("arrival_date")
        if dep and arr and dep > arr:
            self.problem(r, cols.get("departure_date"), "departure_date", "date_order",
                         dep.isoformat(),
                         f"第{r + 1}行离开风险地日期（{dep.isoformat()}）晚于返乡日期"
                         f"（{arr.isoformat()}）：请核对两个日期")
        for fld in TEXT_FIELDS:
            if fld in cols:
                values[fld] = unneutralise(clean_text(self.cell(r, cols[fld])))
        if "sex" in cols:
            raw_sex = self.cell(r, cols["sex"])
            sex = parse_sex(raw_sex)
            values["sex"] = sex or clean_text(raw_sex)
            id_sex = parse_id(person.id_number, self.o.as_of).sex if person.id_valid else None
            if sex and id_sex and sex != id_sex:
                self.problem(r, cols["sex"], "sex", "sex_mismatch", sex,
                             f"第{r + 1}行性别“{sex}”与身份证号（{id_sex}）不符：请核对性别或身份证号")
        regime_text = values.get("regime") or ""
        if regime_text and self.o.find_regime is not None and not self.o.find_regime(regime_text):
            examples = "、".join(self.o.regime_examples[:4])
            self.problem(r, cols.get("regime"), "regime", "unknown_regime", regime_text,
                         f"第{r + 1}行管控措施“{regime_text}”对应不到任何管控方案：请改为"
                         f"{examples}等方案名，或在政策文件中为它添加别名")
        extra = {c.header: clean_text(self.cell(r, c)) for c in self.layout.columns
                 if c.header in self.result.unknown_columns and not is_blank(self.cell(r, c))}
        self._duplicate(r, ("person", person.key), person, f"（{person.name}）")
        self._cross_check(r, person, village, arr)
        self.result.persons.append(PersonRecord(r + 1, person, village, values, extra))
        self._embedded_tests(r, person, village)

    def _embedded_tests(self, r: int, person: PersonKey, village: str | None) -> None:
        """`第N次核酸` columns of a 居家隔离台账 become test records."""
        groups: dict[int, dict[str, Column]] = {}
        for col in self.layout.columns:
            if col.test_number:
                groups.setdefault(col.test_number, {})[col.test_part] = col
        for _number, parts in sorted(groups.items()):
            if "both" in parts:
                col = parts["both"]
                raw = self.cell(r, col)
                if is_blank(raw):
                    continue
                if isinstance(raw, str):
                    date_text, result_text = split_embedded_test(raw)
                    parsed = parse_date(date_text)
                else:
                    result_text = ""
                    parsed = parse_date(raw)
                date_col, result_col = col, col
            else:
                date_col, result_col = parts.get("date"), parts.get("result")
                raw = self.cell(r, date_col)
                result_raw = self.cell(r, result_col)
                if is_blank(raw) and is_blank(result_raw):
                    continue
                parsed = parse_date(raw)
                result_text = clean_text(result_raw)
            if parsed.value is None and not parsed.yearless and not parsed.error:
                self.problem(r, date_col, "sample_date", "date_invalid", raw_repr(raw),
                             f"第{r + 1}行“{_h(date_col, 'sample_date')}”没有采样日期：请写成"
                             "“1.29阴”或“2022/1/29 阴性”")
                continue
            sample = self._date(r, date_col, "sample_date", parsed, raw)
            result = parse_result(result_text)
            if result is None:
                self.problem(r, result_col, "result", "result_invalid", result_text,
                             f"第{r + 1}行“{_h(result_col, 'result')}”的结果“{result_text}”无法识别："
                             "请填写阴性、阳性或待出")
            self.result.test_table.add(r + 1, person, village, sample, result, "",
                                       _h(date_col, "sample_date"))

    def _test_row(self, r: int, person: PersonKey, village: str | None) -> None:
        cols = self.cols
        sample_raw = self.cell(r, cols.get("sample_date"))
        sample = None
        if "sample_date" in cols:
            if is_blank(sample_raw):
                self.problem(r, cols["sample_date"], "sample_date", "missing_required", "",
                             f"第{r + 1}行缺少采样日期：请补填")
            else:
                sample = self._date(r, cols["sample_date"], "sample_date")
        result_text = clean_text(self.cell(r, cols.get("result")))
        result = parse_result(result_text)
        if result is None:
            self.problem(r, cols.get("result"), "result", "result_invalid", result_text,
                         f"第{r + 1}行“{_h(cols.get('result'), 'result')}”“{result_text}”无法识别："
                         "请填写阴性、阳性或待出")
        site = clean_text(self.cell(r, cols.get("sample_site")))
        if not self._duplicate(r, ("test", person.key, sample, result), person,
                               f"（{person.name}）同一天同一结果"):
            self._cross_check(r, person, village, None)
        self.result.test_table.add(r + 1, person, village, sample, result, site)

    def _temperature_row(self, r: int, person: PersonKey, village: str | None) -> None:
        cols = self.cols
        self._cross_check(r, person, village, None)
        wide = self._wide_columns()
        if wide:
            row = self.grid[r]
            if len(row) > self._wide_last:
                cells = self._wide_cells(row)
            else:
                cells = tuple(row[i] if i < len(row) else None for i, *_ in wide)
            out = TempRow(r + 1, person, village, [], [], [], [])
            days, slots, temps, labels = out.days, out.slots, out.temps, out.labels
            filled = False
            # only the filled cells, found in C: a month of columns is mostly empty
            for j in compress(range(len(cells)), map(ne, cells, repeat(""))):
                raw = cells[j]
                if raw is None:
                    continue
                _index, day, slot, label, col = wide[j]
                if type(raw) is float and TEMP_MIN <= raw <= TEMP_MAX:  # the common case
                    filled = True
                    if day is not None:
                        days.append(day)
                        slots.append(slot)
                        temps.append(round(raw, 1))
                        labels.append(label)
                elif not is_blank(raw):
                    filled = True
                    self._reading(r, out, day, slot, raw, col)
            if filled:
                self.result.temp_rows.append(out)
            return
        day = None
        if "date" in cols:
            raw_day = self.cell(r, cols["date"])
            if is_blank(raw_day):
                self.problem(r, cols["date"], "date", "missing_required", "",
                             f"第{r + 1}行缺少测温日期：请补填")
            else:
                day = self._date(r, cols["date"], "date")
        slot_text = _SPACE_RE.sub("", clean_text(self.cell(r, cols.get("slot")))).lower()
        slot = SLOTS.get(slot_text, slot_text or None)
        raw = self.cell(r, cols.get("temperature"))
        if is_blank(raw):
            self.problem(r, cols.get("temperature"), "temperature", "missing_required", "",
                         f"第{r + 1}行缺少体温：请补填测量值")
            return
        if self._duplicate(r, ("temp", person.key, day, slot), person,
                           f"（{person.name}）同一天同一时段"):
            return
        out = TempRow(r + 1, person, village)
        self._reading(r, out, day.toordinal() if day else None, slot, raw, cols.get("temperature"))
        self.result.temp_rows.append(out)

    def _wide_columns(self) -> list[tuple[int, int | None, str | None, str, Column]]:
        """Wide temperature columns as (index, date ordinal, slot, label, column),
        dates resolved once per sheet; a header date after the as-of date is
        reported once, on the header row."""
        if self._wide is None:
            self._wide = []
            for col in self.layout.columns:
                if col.temp_date is None:
                    continue
                day = self._date(self.layout.header_end, col, "date", col.temp_date, col.header)
                self._wide.append((col.index, day.toordinal() if day else None, col.temp_slot,
                                   _h(col, "temperature"), col))
            indices = [w[0] for w in self._wide]
            self._wide_last = max(indices, default=0)
            getter = itemgetter(*indices) if indices else None
            self._wide_cells = (lambda row: (getter(row),)) if len(indices) == 1 else getter
        return self._wide

    def _reading(self, r: int, out: TempRow, day: int | None, slot: str | None, raw: Any,
                 col: Column | None) -> None:
        """A reading that is not a plain number in range: reported when unreadable,
        kept in `out` when it has a date and a value."""
        parsed = parse_temperature(raw)
        if parsed.error:
            self.problem(r, col, "temperature", "temp_invalid", raw_repr(raw),
                         f"第{r + 1}行“{_h(col, 'temperature')}”{parsed.error}：请核对体温"
                         "（如36.5），小数点是否漏写或多写")
        if day is not None and parsed.value is not None:
            out.days.append(day)
            out.slots.append(slot)
            out.temps.append(parsed.value)
            out.labels.append(_h(col, "temperature"))


def unneutralise(text: str) -> str:
    """Undo the apostrophe taizhang's own CSV export puts before = + - @."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _h(col: Column | None, fld: str) -> str:
    """The header for a message: as written, but on one line."""
    if col is not None and col.header:
        return re.sub(r"\s+", "", col.header)
    return FIELD_LABELS.get(fld, fld)


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
        with `sheet: null`, `rows: 0` and an `error`."""
        files: list[dict[str, Any]] = []
        for f in self.files:
            if f.error:
                files.append({"path": f.path, "sheet": None, "kind": None, "village": None,
                              "village_source": None, "rows": 0, "error": f.error})
            files.extend(s.file_entry() for s in f.sheets)
        return {"files": files, "problems": problem_dicts(self.problems, mask)}


def problem_dicts(problems: list[Problem], mask: Callable[[str, str], str] | None
                  ) -> list[dict[str, Any]]:
    """Problems as JSON objects, the value masked when it is personal data."""
    items = []
    for p in problems:
        item = p.to_dict()
        if mask is not None:
            item["value"] = mask(p.field, p.value)
        items.append(item)
    return items


def validate_paths(paths: list[Path], validator: Validator) -> ValidationReport:
    """Validate files and folders (searched recursively); one bad file never
    stops the others."""
    from taizhang.ingest.files import find_input_files

    files, notes = find_input_files(paths)
    return ValidationReport([validator.validate_file(p) for p in files], notes)
