"""Rows of a temperature sheet (体温监测表): readings by day and slot.

Two layouts: long (one reading per row: 日期, 时段, 体温) and wide (one row per
person, a column per day and slot, the date in the header). A wide row holds a
month of readings, so it stays one `TempRow` and its filled cells are found
without visiting the empty ones. A long sheet without a 时段 (a system's export
with 上报时间 2022-02-07 15:40) takes the slot from the time of day.
"""

from __future__ import annotations

from itertools import compress, repeat
from operator import itemgetter, ne
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taizhang.ingest.codes import decode_codes
from taizhang.ingest.files import RawSheet
from taizhang.ingest.headers import SLOT_WORDS
from taizhang.ingest.layout import Column, SheetLayout
from taizhang.ingest.records import PersonKey, SheetResult, TempRow
from taizhang.ingest.sheet import SPACE_RE, SheetValidator, shown_header
from taizhang.ingest.values import (
    TEMP_MAX,
    TEMP_MIN,
    clean_text,
    is_blank,
    parse_temperature,
    raw_repr,
    slot_of_time,
    time_of_day,
)
from taizhang.ingest.wide_readings import PlainRow, plain_rows

if TYPE_CHECKING:
    from taizhang.ingest.validation import Validator


class TemperatureSheet(SheetValidator):
    """A 体温监测表: readings kept per sheet row (`TempRow`)."""

    def __init__(self, owner: Validator, raw: RawSheet, display: str, path: Path,
                 layout: SheetLayout) -> None:
        super().__init__(owner, raw, display, path, layout)
        self._wide: list[tuple[int, int | None, str | None, str, Column]] | None = None
        self._wide_last = 0  # the last wide column's index
        self._wide_cells: Any = None  # row -> the wide columns' cells, as a tuple
        self._plain: dict[int, PlainRow] | None = None  # see `_plain_rows`

    def run(self) -> SheetResult:
        decode_codes(self.grid, self.layout, self.o.values)  # [values.FIELD], before any parsing
        return super().run()

    def rows_are_people(self) -> bool:
        """A wide sheet has one row per person (a month of readings across);
        a long one a row per reading."""
        return any(c.temp_date is not None for c in self.layout.columns)

    def row(self, r: int, person: PersonKey, village: str | None) -> None:
        cols = self.cols
        self._cross_check(r, person, village, None)
        wide = self._wide_columns()
        if wide:
            plain = self._plain_rows().get(r)
            if plain is not None:  # only empty cells and plain readings: read with numpy
                if plain.filled:
                    self.result.temp_rows.append(TempRow(r + 1, person, village, plain.days, plain.slots,
                                                         plain.temps, plain.labels, plain.packed))
                return
            cells = self._cells(self.grid[r])
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
        raw_day = self.cell(r, cols.get("date"))
        if "date" in cols:
            if is_blank(raw_day):
                self.problem(r, cols["date"], "date", "missing_required/date", "")
            else:
                day = self._date(r, cols["date"], "date")
        slot = self._slot(self.cell(r, cols.get("slot")), raw_day)
        raw = self.cell(r, cols.get("temperature"))
        if is_blank(raw):
            self.problem(r, cols.get("temperature"), "temperature", "missing_required/temperature", "")
            return
        if self._duplicate(r, ("temp", person.key, day, slot), person, "duplicate_row/temperature"):
            return
        out = TempRow(r + 1, person, village)
        self._reading(r, out, day.toordinal() if day else None, slot, raw, cols.get("temperature"))
        self.result.temp_rows.append(out)

    @staticmethod
    def _slot(raw_slot: Any, raw_day: Any) -> str | None:
        """上午/下午 as the 时段 cell says; else from a time of day, in the 时段 cell
        (8:15) or the date's (2022-02-07 15:40): before 12:00 上午, else 下午.
        Without either, the 时段 text as written, or None."""
        slot_text = SPACE_RE.sub("", clean_text(raw_slot)).lower()
        slot = SLOT_WORDS.get(slot_text)
        if slot is not None:
            return slot
        when = time_of_day(raw_slot) if slot_text else None
        if when is None and not slot_text:
            when = time_of_day(raw_day)
        return slot_of_time(when) if when is not None else (slot_text or None)

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
                                   shown_header(col, "temperature"), col))
            indices = [w[0] for w in self._wide]
            self._wide_last = max(indices, default=0)
            getter = itemgetter(*indices) if indices else None
            self._wide_cells = (lambda row: (getter(row),)) if len(indices) == 1 else getter
        return self._wide

    def _cells(self, row: list[Any]) -> tuple[Any, ...]:
        """A row's wide cells, None past its end."""
        if len(row) > self._wide_last:
            return self._wide_cells(row)  # type: ignore[no-any-return]
        return tuple(row[i] if i < len(row) else None for i, *_ in self._wide_columns())

    def _plain_rows(self) -> dict[int, PlainRow]:
        """The sheet's rows of plain readings (`wide_readings`), found once."""
        if self._plain is None:
            wide = self._wide_columns()
            self._plain = plain_rows(self.grid, self.layout.data_rows, self._cells,
                                     [w[1] for w in wide], [w[2] for w in wide], [w[3] for w in wide],
                                     lists=self.o.reading_lists)
        return self._plain

    def _reading(self, r: int, out: TempRow, day: int | None, slot: str | None, raw: Any,
                 col: Column | None) -> None:
        """A reading that is not a plain number in range: reported when unreadable,
        kept in `out` when it has a date and a value."""
        parsed = parse_temperature(raw)
        if parsed.error:
            self.problem(r, col, "temperature", "temp_invalid", raw_repr(raw),
                         header=shown_header(col, "temperature"), error=parsed.error)
        if day is not None and parsed.value is not None:
            out.days.append(day)
            out.slots.append(slot)
            out.temps.append(parsed.value)
            out.labels.append(shown_header(col, "temperature"))
