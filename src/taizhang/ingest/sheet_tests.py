"""Rows of a test sheet (核酸检测台账): one sample and its result each.

A county sends a million of these rows, so a row is added to the sheet's
`TestTable` (columns, each person once) rather than made into an object.
"""

from __future__ import annotations

from taizhang.ingest.codes import decode_codes, is_code
from taizhang.ingest.records import PersonKey, SheetResult
from taizhang.ingest.sheet import SheetValidator, shown_header
from taizhang.ingest.values import clean_text, is_blank, parse_result


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
        return super().run()

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
            self.problem(r, cols.get("result"), "result", result_problem(result_text), result_text,
                         header=shown_header(cols.get("result"), "result"), value=result_text)
        site = clean_text(self.cell(r, cols.get("sample_site")))
        if not self._duplicate(r, ("test", person.key, sample, result), person, "duplicate_row/test"):
            self._cross_check(r, person, village, None)
        self.result.test_table.add(r + 1, person, village, sample, result, site)
