"""The records validation produces, as the store takes them.

A registration row becomes a `PersonRecord`; test rows are kept as columns
(`TestTable`) and temperature readings one object per sheet row (`TempRow`),
because a county sends millions of them. A row that names nobody is a
`RejectedRow`. The cells of columns nobody could place are kept per row
(`RowExtras`). A sheet's records and problems form a `SheetResult`, a file's
sheets a `FileResult`. Every person is named by a `PersonKey`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from json.encoder import encode_basestring as quote  # in C, non-ASCII kept
from typing import Any

from taizhang.ingest.ids import id_from_legacy
from taizhang.ingest.packed import pack as pack_readings
from taizhang.ingest.problems import Problem

DATE_FIELDS = ("departure_date", "arrival_date", "registration_date", "control_start",
               "status_date")
TEXT_FIELDS = ("address", "origin", "risk_level", "category", "transport", "trip_no",
               "workplace", "has_negative_proof", "health_code", "regime", "status",
               "guardian", "doctor", "remarks")
# the fields a person has in the ledger, in the column order of `persons`
PERSON_FIELDS = ("name", "sex", "id_number", "phone", "village", *DATE_FIELDS, *TEXT_FIELDS)

# each person field's name as a clerk reads it (export headers, the person view)
COLUMN_LABELS: dict[str, str] = {
    "name": "姓名", "sex": "性别", "id_number": "身份证号", "phone": "联系电话",
    "village": "村（社区）", "address": "现住址", "origin": "来源地", "risk_level": "风险等级",
    "category": "人员类别", "departure_date": "离开风险地日期", "arrival_date": "返乡日期",
    "registration_date": "登记日期", "transport": "交通方式", "trip_no": "航班号/车次",
    "workplace": "工作地", "has_negative_proof": "是否持核酸阴性证明",
    "health_code": "健康码颜色", "regime": "管控措施", "control_start": "管控开始日期",
    "status": "状态", "status_date": "状态日期", "guardian": "包保责任人", "doctor": "村医",
    "remarks": "备注",
}


_PERSON_FIELD_SET = frozenset(PERSON_FIELDS)


def stored_text(value: Any) -> str | None:
    """A value as the ledger stores it: ISO dates, None for empty."""
    if type(value) is str:  # most values: text as it is
        return value or None
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


MASKABLE = ("id_number", "phone")  # a value of these with `*` in it is a masked copy (id_masked)


def without_masked(texts: dict[str, str], as_json: str | None
                   ) -> tuple[dict[str, str], str | None]:
    """A person's values as stored, less any masked ID or phone, with their
    JSON (None, to be made again, when one was dropped). Validation never
    yields one (`id_masked`); the merge asks anyway, because a masked copy
    stored over a full number would lose the number for good."""
    if not any("*" in texts.get(f, "") for f in MASKABLE):
        return texts, as_json
    return {f: v for f, v in texts.items() if f not in MASKABLE or "*" not in v}, None


@dataclass(slots=True)
class PersonKey:
    """Who a row is about, as the merge key says (the one place the rule is written):

    - a valid ID number: `id:<18 digits>` (a 15-digit one as its 18-digit form);
    - else name + phone: `np:<name>|<phone>`, unverified;
    - else name + village: `nv:<name>|<village>`, unverified. Only the village
      tells two 王伟 without ID or phone apart, so it is part of the key ('' when
      no village could be found: a key value of its own). On a sheet whose rows
      are people (registration, wide temperatures) the n-th such row of one
      name and village is the n-th person (`ordinal`, key suffix `#n` from the
      second on); a sheet that names a person once per record (tests) and a
      later file naming the name once mean the first.
    """

    id_number: str  # cleaned text as written (may be invalid)
    id_valid: bool
    name: str
    phone: str
    village: str = ""  # part of the key only without a valid ID and a phone
    ordinal: int = 1  # the n-th row of this name and village in its sheet (see above)
    key: str = field(init=False)  # the merge key, computed once

    def __post_init__(self) -> None:
        if self.id_valid:
            number = id_from_legacy(self.id_number) if len(self.id_number) == 15 else self.id_number
            self.key = "id:" + number
        elif self.phone:
            self.key = f"np:{self.name}|{self.phone}"
        else:
            self.key = namesake_key(self.name, self.village, self.ordinal)

    @property
    def by_name(self) -> bool:
        """Whether name and village are all that name this person (no valid ID, no phone)."""
        return not self.id_valid and not self.phone

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields, the key made again on arrival. A county sends
        600,000 of these from the reader processes; the default pickling of a
        slots dataclass (its slots as a dict) took three times as long."""
        return type(self), (self.id_number, self.id_valid, self.name, self.phone, self.village,
                            self.ordinal)


def namesake_key(name: str, village: str, ordinal: int = 1) -> str:
    """The key of the `ordinal`-th person called `name` without ID or phone in
    `village` (see PersonKey)."""
    return f"nv:{name}|{village}" + (f"#{ordinal}" if ordinal > 1 else "")


@dataclass(slots=True)
class PersonRecord:
    """One registration row: canonical fields (dates as `date`); `extra`, the
    cells of columns the reader could not place, by header (the same dict as
    the row's `RowExtras`, which is what the store takes)."""

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
                     if f in _PERSON_FIELD_SET and (t := stored_text(v)) is not None}
            self._stored = texts, values_json(texts)  # the text json.dumps makes, faster
        return self._stored

    def __reduce__(self) -> tuple[Any, ...]:  # as a tuple of fields: see PersonKey
        return type(self), (self.row, self.person, self.village, self.fields, self.extra,
                            self._stored)

    def slim(self, keep: str) -> None:
        """Stored, and the parsed fields dropped but `keep` (the roster flag the
        merge asks for): a worker process sends less (a county's 200,000
        registration rows: a third less to unpickle in the merging process)."""
        self.stored()
        self.fields = {keep: self.fields[keep]} if keep in self.fields else {}


@dataclass(slots=True)
class RowExtras:
    """A row's cells under the columns the reader could not place
    (`SheetLayout.unknown_columns`): header as written -> cell text, blank
    cells left out. Kept with the person the row names, with the row's
    provenance (SPEC §2: unknown columns are stored, exported, never dropped)."""

    row: int  # 1-based, as the clerk counts
    person: PersonKey
    values: dict[str, str]
    _json: str | None = None

    def stored(self) -> str:
        """The values as the ledger stores them (JSON); the reader makes it, in a
        worker process when there is one, like `PersonRecord.stored`."""
        if self._json is None:
            self._json = values_json(self.values)
        return self._json


def values_json(values: dict[str, str]) -> str:
    """`json.dumps(values, ensure_ascii=False)` for text values, four times as
    fast (a test sheet with an unknown column makes one per row)."""
    return "{" + ", ".join([quote(k) + ": " + quote(v) for k, v in values.items()]) + "}"


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

    def __reduce__(self) -> tuple[Any, ...]:  # as a tuple of fields: see PersonKey
        return type(self), (self.row, self.person, self.village, self.days, self.slots, self.temps,
                            self.labels, self.packed)

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
    # the cells of `unknown_columns`, per row that names a person (empty when none)
    extras: list[RowExtras] = field(default_factory=list)

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
    skipped: str | None = None  # why the file was not read: taizhang wrote it (see `own`)

    @property
    def problems(self) -> list[Problem]:
        return [p for s in self.sheets for p in s.problems]
