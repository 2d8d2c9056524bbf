"""Rows of a test sheet (核酸检测台账): one sample and its result each.

A county sends a million of these rows, so a row is added to the sheet's
`TestTable` (columns, each person once) rather than made into an object.
"""

from __future__ import annotations

from taizhang.ingest.records import PersonKey
from taizhang.ingest.sheet import SheetValidator, shown_header
from taizhang.ingest.values import clean_text, is_blank, parse_result


class NucleicTestSheet(SheetValidator):
    """A 核酸检测台账: one test record per row."""

    def row(self, r: int, person: PersonKey, village: str | None) -> None:
        cols = self.cols
        sample_raw = self.cell(r, cols.get("sample_date"))
        sample = None
        if "sample_date" in cols:
            if is_blank(sample_raw):
                self.problem(r, cols["sample_date"], "sample_date", "missing_required/sample_date", "")
            else:
                sample = self._date(r, cols["sample_date"], "sample_date")
        result_text = clean_text(self.cell(r, cols.get("result")))
        result = parse_result(result_text)
        if result is None:
            self.problem(r, cols.get("result"), "result", "result_invalid", result_text,
                         header=shown_header(cols.get("result"), "result"), value=result_text)
        site = clean_text(self.cell(r, cols.get("sample_site")))
        if not self._duplicate(r, ("test", person.key, sample, result), person, "duplicate_row/test"):
            self._cross_check(r, person, village, None)
        self.result.test_table.add(r + 1, person, village, sample, result, site)
