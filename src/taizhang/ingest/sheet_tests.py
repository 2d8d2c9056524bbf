"""Rows of a test sheet (核酸检测台账): one sample and its result each.

A county sends a million of these rows, so a row is added to the sheet's
`TestTable` (columns, each person once) rather than made into an object.
"""

from __future__ import annotations

from typing import Any

from taizhang.ingest.codes import decode_codes, is_code
from taizhang.ingest.records import PersonKey, SheetResult
from taizhang.ingest.sheet import SheetValidator, shown_header
from taizhang.ingest.values import DateResult, clean_text, is_blank, parse_date, parse_result


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
        # few sites: each distinct cell is read once (by type too: 1 == 1.0 == True)
        self._dates: dict[tuple[type, Any], DateResult] = {}
        self._results: dict[tuple[type, Any], tuple[str, str | None]] = {}
        self._sites: dict[tuple[type, Any], str] = {}
        return super().run()

    def row(self, r: int, person: PersonKey, village: str | None) -> None:
        cols = self.cols
        sample_raw = self.cell(r, cols.get("sample_date"))
        sample = None
        if "sample_date" in cols:
            if is_blank(sample_raw):
                self.problem(r, cols["sample_date"], "sample_date", "missing_required/sample_date", "")
            else:
                key = (type(sample_raw), sample_raw)
                parsed = self._dates.get(key)
                if parsed is None:
                    parsed = self._dates[key] = parse_date(sample_raw)
                sample = self._date(r, cols["sample_date"], "sample_date", parsed, sample_raw)
        result_raw = self.cell(r, cols.get("result"))
        key = (type(result_raw), result_raw)
        read = self._results.get(key)
        if read is None:
            text = clean_text(result_raw)
            read = self._results[key] = (text, parse_result(text))
        result_text, result = read
        if result is None:
            self.problem(r, cols.get("result"), "result", result_problem(result_text), result_text,
                         header=shown_header(cols.get("result"), "result"), value=result_text)
        site_raw = self.cell(r, cols.get("sample_site"))
        key = (type(site_raw), site_raw)
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = clean_text(site_raw)
        if not self._duplicate(r, ("test", person.key, sample, result), person, "duplicate_row/test"):
            self._cross_check(r, person, village, None)
        self.result.test_table.add(r + 1, person, village, sample, result, site)
