"""Rows of a registration sheet (返乡人员登记表, 居家隔离台账): one person each.

A registration row states who came back, from where and when, and under which
control regime; its dates are checked against each other, its sex against the
ID number, its regime against the policy. A 居家隔离台账 may also carry the
person's tests in `第N次核酸` columns, which become test records here.

A roster (花名册) has no date at all: its people are registered as of the day
the list came in (`date_assumed`, SPEC §2), and the ledger keeps the first
such date (`ASSUMED`).
"""

from __future__ import annotations

from typing import Any

from taizhang.ingest.codes import coding_tables, decode, decode_codes, parse_risk_level, parse_yes_no, sex_of_cell
from taizhang.ingest.headers import KIND_LABELS
from taizhang.ingest.ids import parse_id
from taizhang.ingest.layout import Column
from taizhang.ingest.records import DATE_FIELDS, TEXT_FIELDS, PersonKey, PersonRecord, SheetResult
from taizhang.ingest.sheet import SheetValidator, shown_header
from taizhang.ingest.sheet_tests import result_problem
from taizhang.ingest.values import (
    clean_text,
    is_blank,
    parse_result,
    raw_repr,
    split_embedded_test,
)

# The key, in a PersonRecord's `fields`, that marks its registration_date as
# assumed (a roster's): the ledger stores it only for a person who has no
# date yet, and a real 返乡日期/登记日期 replaces it (ledger.roster).
ASSUMED = "date_assumed"
# fields stored in one spelling whatever the sheet wrote (see `codes`)
_NORMALISED = {"risk_level": parse_risk_level, "has_negative_proof": parse_yes_no}


def unneutralise(text: str) -> str:
    """Undo the apostrophe taizhang's own CSV export puts before = + - @."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


class RegistrationSheet(SheetValidator):
    """A registration sheet: one `PersonRecord` per row."""

    def run(self) -> SheetResult:
        """Codes decoded first ([values.FIELD]); a roster's `date_assumed` last,
        once the number of its people is known."""
        decode_codes(self.grid, self.layout, self.o.values)
        # the [values.result] table, for `第N次核酸` cells holding date and result
        self._result_codes: dict[str, str] | None = coding_tables(self.o.values).get("result")
        self._roster: bool = "arrival_date" not in self.cols and "registration_date" not in self.cols
        self._test_groups: list[dict[str, Column]] | None = None
        # the sheet's date and text columns with their positions, found once (`row`)
        cols = self.cols
        self._date_at = [(fld, cols[fld], cols[fld].index) for fld in DATE_FIELDS if fld in cols]
        self._text_at = [(fld, cols[fld].index, _NORMALISED.get(fld))
                         for fld in TEXT_FIELDS if fld in cols]
        self._sexes: dict[tuple[type, Any], str | None] = {}  # a 性别 cell's reading, by cell
        result = super().run()
        if self._roster and result.persons:
            row = self.layout.header_end  # on the header row, like missing_required/column
            start = self.cols.get("control_start")  # then regimes count from that column
            key = "date_assumed/control_start" if start else "date_assumed"
            self.problem(row, None, "registration_date", key, "", kind=KIND_LABELS[self.kind],
                         n=len(result.persons), as_of=self.o.as_of.isoformat(),
                         header=shown_header(start, "control_start"))
            before = sum(1 for p in result.problems if p.row is not None and p.row <= row + 1)
            result.problems.insert(before - 1, result.problems.pop())  # in row order
        return result

    def row(self, r: int, person: PersonKey, village: str | None) -> None:
        cols = self.cols
        row = self.grid[r]
        size = len(row)
        values: dict[str, Any] = {"name": person.name, "id_number": person.id_number,
                                  "phone": person.phone}
        for fld, col, at in self._date_at:
            raw = row[at] if at < size else None
            values[fld] = self._date(r, col, fld, self.parsed_date(raw), raw)
        if self._roster:  # under observation from the day they were found (SPEC §2)
            values["registration_date"] = self.o.as_of
            values[ASSUMED] = True
        elif values.get("arrival_date") is None and values.get("registration_date") is None:
            raw_a = self.cell(r, cols.get("arrival_date"))
            raw_r = self.cell(r, cols.get("registration_date"))
            if is_blank(raw_a) and is_blank(raw_r):  # a blank cell: a date column is there
                col = cols.get("arrival_date") or cols.get("registration_date")
                self.problem(r, col, "arrival_date", "missing_required/arrival", "")
        dep, arr = values.get("departure_date"), values.get("arrival_date")
        if dep and arr and dep > arr:
            self.problem(r, cols.get("departure_date"), "departure_date", "date_order",
                         dep.isoformat(), departure=dep.isoformat(), arrival=arr.isoformat())
        for fld, at, normalise in self._text_at:
            text = unneutralise(clean_text(row[at] if at < size else None))
            values[fld] = (normalise(text) or text) if normalise is not None else text
        if "sex" in cols:
            raw_sex = self.cell(r, cols["sex"])
            key = (type(raw_sex), raw_sex)
            if key not in self._sexes:
                self._sexes[key] = sex_of_cell(raw_sex)
            sex = self._sexes[key]
            values["sex"] = sex or clean_text(raw_sex)
            id_sex = parse_id(person.id_number, self.o.as_of).sex if person.id_valid else None
            if sex and id_sex and sex != id_sex:
                self.problem(r, cols["sex"], "sex", "sex_mismatch", sex, sex=sex, id_sex=id_sex)
        regime_text = values.get("regime") or ""
        if regime_text and self.o.find_regime is not None and not self.o.find_regime(regime_text):
            examples = "、".join(self.o.regime_examples[:4])
            self.problem(r, cols.get("regime"), "regime", "unknown_regime", regime_text,
                         regime=regime_text, examples=examples)
        extra = self.row_extra or {}  # read by `run` for every kind of sheet (result.extras)
        self._duplicate(r, ("person", person.key), person, "duplicate_row/person")
        self._cross_check(r, person, village, arr)
        self.result.persons.append(PersonRecord(r + 1, person, village, values, extra))
        self._embedded_tests(r, person, village)

    def _embedded_tests(self, r: int, person: PersonKey, village: str | None) -> None:
        """`第N次核酸` columns of a 居家隔离台账 become test records, and so does a
        result column with its own sample date column (核酸检测结果 +
        核酸检测时间 on a city system's home-isolation list, SPEC §2)."""
        if self._test_groups is None:  # the sheet's test columns, found once
            groups: dict[int, dict[str, Column]] = {}
            if "result" in self.cols and "sample_date" in self.cols:
                groups[0] = {"date": self.cols["sample_date"], "result": self.cols["result"]}
            for col in self.layout.columns:
                if col.test_number:
                    groups.setdefault(col.test_number, {})[col.test_part] = col
            self._test_groups = [parts for _number, parts in sorted(groups.items())]
        for parts in self._test_groups:
            if "both" in parts:
                col = parts["both"]
                raw = self.cell(r, col)
                if is_blank(raw):
                    continue
                if isinstance(raw, str):
                    date_text, result_text = split_embedded_test(raw)
                    parsed = self.parsed_date(date_text)
                else:
                    result_text = ""
                    parsed = self.parsed_date(raw)
                date_col, result_col = col, col
            else:
                date_col, result_col = parts.get("date"), parts.get("result")
                raw = self.cell(r, date_col)
                result_raw = self.cell(r, result_col)
                if is_blank(raw) and is_blank(result_raw):
                    continue
                parsed = self.parsed_date(raw)
                result_text = clean_text(result_raw)
            if parsed.value is None and not parsed.yearless and not parsed.error:
                self.problem(r, date_col, "sample_date", "date_invalid/no_sample_date", raw_repr(raw),
                             header=shown_header(date_col, "sample_date"))
                continue
            sample = self._date(r, date_col, "sample_date", parsed, raw)
            if "both" in parts:  # a cell of date and result: its result part decoded here
                result_text = decode(self._result_codes, result_text)
            result = parse_result(result_text)
            if result is None:
                self.problem(r, result_col, "result", result_problem(result_text, embedded=True),
                             result_text, header=shown_header(result_col, "result"), value=result_text)
            self.result.test_table.add(r + 1, person, village, sample, result, "",
                                       shown_header(date_col, "sample_date"))
