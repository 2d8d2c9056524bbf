"""Validation of one sheet: what every kind of sheet checks in each row.

`SheetValidator` walks the data rows of a laid-out sheet: it finds the person
each row is about (`PersonKey`, or the row is rejected), the village it belongs
to, reads dates against the sheet's own reference date, and reports missing
columns and duplicate rows. What a row holds beyond that depends on the kind
of sheet, and is read by a subclass per kind: `sheet_registration`,
`sheet_tests`, `sheet_temperatures`. Problems are reported with the wording
of `problems`.
"""

from __future__ import annotations

import difflib
import re
import statistics
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taizhang.ingest.files import RawSheet
from taizhang.ingest.headers import FIELD_LABELS, KIND_LABELS, REGISTRATION, TESTS
from taizhang.ingest.ids import IdResult, parse_id, parse_phone
from taizhang.ingest.layout import Column, SheetLayout
from taizhang.ingest.problems import REJECTED_NO_PERSON, SEVERITY, Problem, code_of, message
from taizhang.ingest.records import DATE_FIELDS, PersonKey, RejectedRow, RowExtras, SheetResult, values_json
from taizhang.ingest.values import DateResult, clean_text, is_blank, parse_date, raw_repr, resolve_year
from taizhang.ingest.villages import VILLAGE_SUFFIX_RE, find_village

if TYPE_CHECKING:
    from taizhang.ingest.validation import Validator

# compiled once: these run on every row of a county's sheets
_NAME_GAP_RE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
SPACE_RE = re.compile(r"\s+")
def shown_header(col: Column | None, fld: str) -> str:
    """The header for a message: as written, but on one line."""
    if col is not None and col.header:
        return re.sub(r"\s+", "", col.header)
    return FIELD_LABELS.get(fld, fld)


class SheetValidator:
    """Validation of one sheet; a subclass per sheet kind reads its rows (`row`)."""

    _rows_people = False  # `rows_are_people`, asked once by `run`

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
        self._name_col, self._id_col, self._phone_col = (
            self.cols.get("name"), self.cols.get("id_number"), self.cols.get("phone"))
        # their cell positions for `_person` (past any row's end when there is no such column)
        self._person_at = tuple(c.index if c is not None else sys.maxsize
                                for c in (self._name_col, self._id_col, self._phone_col))
        self._people: dict[tuple[Any, Any, Any, str], PersonKey] = {}  # name, ID, phone, village
        # on a sheet whose rows are people: (name, village) -> the rows of the
        # people known by those alone (see `_namesake`)
        self._namesake_rows: dict[tuple[str, str], list[int]] = {}
        self._date_cells: dict[tuple[type, Any], DateResult] = {}  # see `parsed_date`

    def rows_are_people(self) -> bool:
        """Whether each row of this sheet is a person of its own (a registration
        sheet), rather than one record of a person named on many rows (tests).
        Decides whether two rows of one name without ID or phone are two people."""
        return self.kind == REGISTRATION

    def row(self, r: int, person: PersonKey, village: str | None) -> None:
        """Read grid row `r`, about `person`, into the result (per sheet kind)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers

    def cell(self, r: int, col: Column | None) -> Any:
        if col is None:
            return None
        row = self.grid[r]
        return row[col.index] if col.index < len(row) else None

    def problem(self, r: int, col: Column | None, fld: str, key: str, value: str, /,
                **fields: Any) -> None:
        """Report a problem on grid row `r` about the cell `value`: the code and
        wording of `MESSAGES[key]`, filled in with the row number and `fields`
        (positional-only, so a message may have a `{value}` field of its own)."""
        header = col.header if col is not None else FIELD_LABELS.get(fld, fld)
        code = code_of(key)
        self.result.problems.append(Problem(
            self.display, self.raw.name, r + 1 if r >= 0 else None, header, fld, code,
            SEVERITY[code], value, message(key, row=r + 1, **fields),
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
            text = SPACE_RE.sub("", text)
            if self.o.villages and text not in self.o.villages:
                stems = [v for v in self.o.villages if VILLAGE_SUFFIX_RE.sub("", v) == text]
                if len(stems) == 1:
                    text = stems[0]
            return text, "column"
        return self.sheet_village, self.sheet_village_source

    def parsed_date(self, raw: Any) -> DateResult:
        """`parse_date` of a cell, once per distinct cell of the sheet: a sheet
        of a thousand rows has a few dozen dates (by type too: 1 == 1.0 == True)."""
        key = (type(raw), raw)
        parsed = self._date_cells.get(key)
        if parsed is None:
            parsed = self._date_cells[key] = parse_date(raw)
        return parsed

    def _date(self, r: int, col: Column | None, fld: str, parsed: DateResult | None = None,
              raw: Any = None) -> date | None:
        """A date from a cell, with date_invalid / date_future reported."""
        if parsed is None:
            raw = self.cell(r, col)
            parsed = parse_date(raw)
        if parsed.error:
            self.problem(r, col, fld, "date_invalid", raw_repr(raw),
                         header=shown_header(col, fld), error=parsed.error)
            return None
        value = parsed.value
        if parsed.yearless:
            value = resolve_year(parsed.month, parsed.day, self.reference)
        if value is not None and value > self.o.as_of:
            self.problem(r, col, fld, "date_future", raw_repr(raw), header=shown_header(col, fld),
                         value=value.isoformat(), as_of=self.o.as_of.isoformat())
        return value

    # ------------------------------------------------------------------ run

    def run(self) -> SheetResult:
        self._reference_date()
        self._check_columns()
        handler = self.row
        extras = self._extras_reader()
        self.row_extra: dict[str, str] = {}  # the current row's unknown cells, for `row`
        villages_used: set[str | None] = set()
        sources: set[str | None] = set()
        placeless: list[int] = []  # rows of people no village could be found for
        self._rows_people = self.rows_are_people()
        # without a village column or option every row has the sheet's village
        fixed = (None if self.o.village or "village" in self.cols
                 else (self.sheet_village, self.sheet_village_source))
        for r in self.layout.data_rows:
            village, source = fixed or self._row_village(r)
            person = self._person(r, village)
            if person is None:
                continue
            if not village:
                placeless.append(r)
            if fixed is None:  # (a fixed village is never a column's)
                villages_used.add(village)
                sources.add(source)
                self._check_village(r, village, source)
            if extras is not None:
                self.row_extra = extras(r, person)
            handler(r, person, village)
        if "column" in sources:
            self.result.village_source = "column"
            named = {v for v in villages_used if v}
            self.result.village = named.pop() if len(named) == 1 else None
        else:
            self.result.village = self.sheet_village
            self.result.village_source = self.sheet_village_source
        self._village_unknown(placeless)
        return self.result

    def _extras_reader(self) -> Callable[[int, PersonKey], dict[str, str]] | None:
        """What reads a row's cells under `layout.unknown_columns` (kept with the person,
        SPEC §2) into `result.extras`, returning them; None for a sheet without any (nearly
        all): no cost per row. Two columns of one header are told apart by position."""
        picked: list[tuple[int, str]] = []  # (index, header); a field's 2nd column counts
        taken: set[str] = set()
        for col in self.layout.kept_columns():
            picked.append((col.index, f"{col.header}（第{col.index + 1}列）" if col.header in taken
                           else col.header))
            taken.add(col.header)
        if not picked:
            return None
        grid, found = self.grid, self.result.extras

        def read(r: int, person: PersonKey) -> dict[str, str]:
            row = grid[r]  # text cells (most) trimmed here, others by clean_text
            values = {key: t for i, key in picked if i < len(row) and (
                t := row[i].strip() if type(row[i]) is str else clean_text(row[i]))}
            if values:  # JSON made here: in a reader process when there is one
                found.append(RowExtras(r + 1, person, values, values_json(values)))
            return values

        return read

    def _village_unknown(self, rows: list[int]) -> None:
        """`village_unknown`, once per sheet: its people are counted under 村名未知
        in the report, and the clerk is told how many and how to place them."""
        if not rows:
            return
        col = self.cols.get("village")
        if col is None:
            self.problem(-1, None, "village", "village_unknown", "", n=len(rows))
        else:
            self.problem(rows[0], col, "village", "village_unknown/rows", "", n=len(rows))

    def _reference_date(self) -> None:
        """The median of the sheet's full dates: yearless dates take the year
        nearest to it (SPEC §3), else the as-of date."""
        date_cols = [self.cols[f] for f in (*DATE_FIELDS, "sample_date", "date")
                     if f in self.cols]
        found: list[int] = []
        as_of, grid = self.o.as_of, self.grid
        for r in self.layout.data_rows[:2000]:
            row = grid[r]
            for col in date_cols:
                value = self.parsed_date(row[col.index] if col.index < len(row) else None).value
                if value is not None and value <= as_of:
                    found.append(value.toordinal())
        for col in self.layout.columns:
            if col.temp_date is not None and col.temp_date.value is not None:
                found.append(col.temp_date.value.toordinal())
        if found:
            self.reference = date.fromordinal(int(statistics.median(found)))

    def _check_columns(self) -> None:
        """A sheet lacking a required column gets one problem, not one per row (a
        registration sheet without any date is a roster: see `date_assumed`)."""
        need: list[tuple[str, ...]] = [("name", "id_number")]
        if self.kind == REGISTRATION:
            need = [("name",), ("id_number", "phone")]
        elif self.kind == TESTS:
            need.append(("sample_date",))
        elif not any(c.temp_date for c in self.layout.columns):
            need.extend([("date",), ("temperature",)])
        row = self.layout.header_end
        for options in need:
            if not any(o in self.cols for o in options):
                labels = "”或“".join(FIELD_LABELS[o] for o in options)
                self.problem(row, None, options[0], "missing_required/column", "",
                             kind=KIND_LABELS[self.kind], labels=labels)

    # ------------------------------------------------------------------ who a row is about

    def _person(self, r: int, village: str | None) -> PersonKey | None:
        """The person a row is about; None (row rejected) when there is nothing to go on.

        A sheet names each person several times (a test sheet, five): cells
        that were read before without a problem give the same PersonKey back.
        Without a valid ID and a phone the row's village is part of the key,
        so it is part of what is looked up; on a sheet whose rows are people,
        so is the row (`_namesake`)."""
        row = self.grid[r]
        size = len(row)
        at_name, at_id, at_phone = self._person_at  # a sheet's person columns, inline: a row each
        name = row[at_name] if at_name < size else None
        ident = row[at_id] if at_id < size else None
        phone = row[at_phone] if at_phone < size else None
        cells = (name, ident, phone, village or "")
        # only text cells: 1 == 1.0 == True would mix cells that read differently
        text = ((name is None or type(name) is str) and (ident is None or type(ident) is str)
                and (phone is None or type(phone) is str))
        person = self._people.get(cells) if text else None
        if person is None:
            found = len(self.result.problems)
            person = self._new_person(r, *cells)
            if person is None:
                return None
            if text and len(self.result.problems) == found:
                self._people[cells] = person
        if person.by_name and self._rows_people:
            return self._namesake(r, person)
        return person

    def _namesake(self, r: int, person: PersonKey) -> PersonKey:
        """The person of a row of a sheet whose rows are people, named by name
        and village alone (PersonKey): the second row of one name and village
        is a second person, not a repeat of the first. Two 王伟 of one village
        are common, and merging them lost one. The later row is reported
        (`duplicate_row`), naming the earlier ones, so the village adds what
        tells them apart."""
        rows = self._namesake_rows.setdefault((person.name, person.village), [])
        rows.append(r)
        if len(rows) == 1:
            return person
        self.problem(r, self._name_col, "name", "duplicate_row/namesake", person.name,
                     name=person.name,
                     other_rows="第" + "、".join(str(o + 1) for o in rows[:-1]) + "行")
        return PersonKey(person.id_number, False, person.name, "", person.village, len(rows))

    def _new_person(self, r: int, name_raw: Any, id_raw: Any, phone_raw: Any,
                    village: str = "") -> PersonKey | None:
        """The row's person. A masked ID or phone (`id_masked`) counts as an
        empty cell here: the row is keyed by what else it has, or rejected."""
        name_col, id_col, phone_col = self._name_col, self._id_col, self._phone_col
        name = clean_text(name_raw)
        if not name.isalpha():  # (a name of letters alone has no gap to close)
            name = _NAME_GAP_RE.sub("", name)
        ident = parse_id(id_raw, self.o.as_of)
        phone = parse_phone(phone_raw)
        if ident.code == "id_masked":
            self._id_problem(r, id_col, ident, id_raw)
        if phone.masked:
            self.problem(r, phone_col, "phone", "id_masked/phone", phone.text,
                         header=shown_header(phone_col, "phone"))
        if (not name and (is_blank(id_raw) or ident.code == "id_masked")
                and (is_blank(phone_raw) or phone.masked)):
            cells = {c.header or f"第{c.index + 1}列": raw_repr(self.cell(r, c))
                     for c in self.layout.columns if not is_blank(self.cell(r, c))}
            self.result.rejected.append(RejectedRow(r + 1, cells, REJECTED_NO_PERSON))
            self.problem(r, name_col, "name", "missing_required/no_person", "")
            return None
        if name_col is not None and not name:
            self.problem(r, name_col, "name", "missing_required/name", "")
        if ident.code and ident.code not in ("missing", "id_masked"):
            self._id_problem(r, id_col, ident, id_raw)
        if not is_blank(phone_raw) and not phone.valid and not phone.masked:
            self.problem(r, phone_col, "phone", "phone_invalid", phone.text,
                         header=shown_header(phone_col, "phone"))
        if (self.kind == REGISTRATION and is_blank(id_raw) and is_blank(phone_raw)
                and (id_col or phone_col)):
            self.problem(r, id_col or phone_col, "id_number", "missing_required/id_or_phone", "")
        return PersonKey(ident.text, ident.valid, name, phone.text if phone.valid else "", village)

    def _id_problem(self, r: int, col: Column | None, ident: IdResult, raw: Any) -> None:
        assert ident.code is not None
        self.problem(r, col, "id_number", ident.code, ident.text or raw_repr(raw),
                     header=shown_header(col, "id_number"), detail=ident.detail)

    # ------------------------------------------------------------------ the row among others

    def _check_village(self, r: int, village: str | None, source: str | None) -> None:
        if source != "column" or not village or not self.o.villages:
            return
        if village in self.o.villages:
            return
        close = difflib.get_close_matches(village, self.o.villages, n=1, cutoff=0.3)
        col = self.cols.get("village")
        if close:
            self.problem(r, col, "village", "unknown_village/close", village,
                         village=village, close=close[0])
        else:
            self.problem(r, col, "village", "unknown_village", village, village=village)

    def _cross_check(self, r: int, person: PersonKey, village: str | None,
                     arrival: date | None) -> None:
        """Queue the row for `Validator.cross_check` (`conflict` across rows and
        files), which runs file by file in order, also when files are read in
        other processes. Every kind of key: one name and phone registered in
        two villages is one person with a conflict, like one ID."""
        self.result.cross.append((r, person.key, person.name,
                                  village if self.kind == REGISTRATION else None, arrival))

    def _duplicate(self, r: int, signature: Any, person: PersonKey, key: str) -> bool:
        """Whether a row with this signature came before; reported as `key`
        (a `duplicate_row/…` message) when it did."""
        before = self._rows_seen.get(signature)
        if before is None:
            self._rows_seen[signature] = r
            return False
        col, fld = ((self.cols.get("id_number"), "id_number") if person.id_valid
                    else (self.cols.get("name"), "name"))
        self.problem(r, col, fld, key, person.id_number if person.id_valid else person.name,
                     other_row=before + 1, name=person.name)
        return True
