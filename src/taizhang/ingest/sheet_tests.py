"""Rows of a test sheet (核酸检测台账): one sample and its result each.

A county sends a million of these rows, so a row is added to the sheet's
`TestTable` (columns, each person once) rather than made into an object.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from taizhang.ingest.codes import decode_codes, is_code
from taizhang.ingest.records import PersonKey, SheetResult
from taizhang.ingest.sheet import SheetValidator, shown_header
from taizhang.ingest.values import DateResult, clean_text, is_blank, parse_result


def result_problem(text: str, embedded: bool = False) -> str:
    """The message of an unreadable test result: a code (`0`, `1`, `99`) is
    asked to be explained in `[values.result]`, never guessed (SPEC §2)."""
    if is_code(text):
        return "result_invalid/code"
    return "result_invalid/embedded" if embedded else "result_invalid"


class NucleicTestSheet(SheetValidator):
    """A 核酸检测台账: one test record per row."""

    def run(self) -> SheetResult:
        decode_codes(self.grid, self.layout, self.o.values)  # [values.FIELD], before any parsing
        # A sheet of a thousand tests has a few dozen dates, two results and a
        # few sites: each distinct cell is read once (by type too: 1 == 1.0 == True);
        # a sample-date cell's reading is kept with its date when that is plain (`row`)
        self._dates: dict[tuple[type, Any], tuple[DateResult, date | None]] = {}
        self._results: dict[tuple[type, Any], tuple[str, str | None]] = {}
        self._sites: dict[tuple[type, Any], str] = {}
        # the columns' positions, past any row's end when the sheet has no such column
        self._at = tuple(self.cols[f].index if f in self.cols else sys.maxsize
                         for f in ("sample_date", "result", "sample_site"))
        return super().run()

    def row(self, r: int, person: PersonKey, village: str | None) -> None:
        """A million rows a county: the row's cells read by position, and each
        distinct date, result and site read once (`run`)."""
        cols = self.cols
        row = self.grid[r]
        size = len(row)
        at_date, at_result, at_site = self._at
        sample_raw = row[at_date] if at_date < size else None
        sample = None
        if at_date != sys.maxsize:
            key = (type(sample_raw), sample_raw)
            known = self._dates.get(key)
            if known is None:
                parsed = self.parsed_date(sample_raw)
                # a plain date read once; a blank, wrong, yearless or future one per row
                plain = (parsed.value if parsed.value is not None and not parsed.error
                         and not parsed.yearless and parsed.value <= self.o.as_of else None)
                known = self._dates[key] = (parsed, plain)
            parsed, sample = known
            if sample is None:
                if is_blank(sample_raw):
                    self.problem(r, cols["sample_date"], "sample_date", "missing_required/sample_date", "")
                else:
                    sample = self._date(r, cols["sample_date"], "sample_date", parsed, sample_raw)
        result_raw = row[at_result] if at_result < size else None
        key = (type(result_raw), result_raw)
        read = self._results.get(key)
        if read is None:
            text = clean_text(result_raw)
            read = self._results[key] = (text, parse_result(text))
        result_text, result = read
        if result is None:
            self.problem(r, cols.get("result"), "result", result_problem(result_text), result_text,
                         header=shown_header(cols.get("result"), "result"), value=result_text)
        site_raw = row[at_site] if at_site < size else None
        key = (type(site_raw), site_raw)
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = clean_text(site_raw)
        signature = ("test", person.key, sample, result)
        if signature not in self._rows_seen:
            self._rows_seen[signature] = r
            self._cross_check(r, person, village, None)
        else:
            self._duplicate(r, signature, person, "duplicate_row/test")
        self.result.test_table.add(r + 1, person, village, sample, result, site)
