"""What kind of sheet this is, by evidence (SPEC §2), once its columns are understood.

A registration list, a test list or a temperature sheet is told by what its
columns hold, not by which has more recognised headers: rows need someone to
be about (a name or an ID); fields only a registration list has make one, also
when it carries test or temperature columns (read as records there); a
temperature or test column makes the other kinds; a list of people with a
phone or an ID is at least a registration list (a roster). A date understood
only from a header's words (上报时间) then takes the meaning the kind gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from taizhang.ingest.headers import REGISTRATION, TEMPERATURES, TESTS

if TYPE_CHECKING:
    from taizhang.ingest.layout import Column, SheetLayout

_WHO = frozenset({"seq", "name", "id_number", "phone", "village"})
# The fields each kind of sheet reads; a column of another field on it (年龄 on a
# registration list, 现住址 on a test list) is kept as it is, like an unknown one.
USED_FIELDS = {
    REGISTRATION: _WHO | {"sex", "address", "origin", "risk_level", "category", "departure_date",
                          "arrival_date", "registration_date", "transport", "trip_no", "workplace",
                          "has_negative_proof", "health_code", "regime", "control_start", "status",
                          "status_date", "guardian", "doctor", "remarks"},
    TESTS: _WHO | {"sample_date", "result", "sample_site"},
    TEMPERATURES: _WHO | {"date", "slot", "temperature"},
}


def used_fields(kind: str | None, fields: set[str]) -> frozenset[str]:
    """The fields a sheet of `kind` with these fields reads: a registration list
    reads a result with its own sample date as a test record (not one alone)."""
    used = USED_FIELDS.get(kind or "", frozenset())
    if kind == REGISTRATION and {"result", "sample_date"} <= fields:
        used = used | {"result", "sample_date"}
    return used

# Fields only a registration list has (who came back, from where, when, under
# which control): their presence makes a sheet a registration list, even when
# it also carries test or temperature columns (read as records).
REGISTRATION_EVIDENCE = frozenset({
    "arrival_date", "registration_date", "departure_date", "origin", "risk_level", "category",
    "transport", "trip_no", "workplace", "has_negative_proof", "health_code", "regime",
    "control_start", "status", "status_date",
})
# Fields any list of people may have; with nothing else they make a registration list.
PEOPLE_FIELDS = frozenset({"address", "guardian", "doctor"})


def detect_kind(columns: Sequence[Column]) -> str | None:
    """registration / tests / temperatures, by evidence (SPEC §2).

    Who the rows are about is needed (a name or an ID). Fields only a
    registration list has make one, also when it carries test or temperature
    columns; otherwise a temperature column (or dates of a wide sheet) makes
    a temperature sheet, a test result or sample date a test list; and a list
    of people with a phone or an ID, an address or a guardian is at least a
    registration list (a roster)."""
    fields = {c.field for c in columns if c.field}
    if "name" not in fields and "id_number" not in fields:
        return None
    registration = fields & REGISTRATION_EVIDENCE
    wide_temps = sum(1 for c in columns if c.temp_date is not None)
    if wide_temps >= 2 and len(registration) <= 3:
        return TEMPERATURES
    if not registration:
        if "temperature" in fields or wide_temps:
            return TEMPERATURES
        if fields & {"result", "sample_date", "sample_site"}:
            return TESTS
    identity = "name" in fields and bool(fields & {"id_number", "phone"})
    if registration or identity or fields & PEOPLE_FIELDS or any(c.test_number for c in columns):
        return REGISTRATION
    return None


# A field the header's words give for a date whose meaning depends on the sheet:
# (kind, field from words) -> the field it is on that kind of sheet.
_DATE_BY_KIND = {
    (REGISTRATION, "date"): "registration_date",
    (TEMPERATURES, "registration_date"): "date",
    (TESTS, "date"): "sample_date",
    (TESTS, "registration_date"): "sample_date",
}


def settle_dates(layout: SheetLayout) -> None:
    """A date understood from words (上报时间) means what the sheet's kind makes
    it: a reading's date on a temperature sheet, the registration date on a
    registration list, when that field is not taken by a column already."""
    taken = {c.field for c in layout.columns if c.field}
    for col in layout.columns:
        if col.source != "words" or layout.kind is None:
            continue
        target = _DATE_BY_KIND.get((layout.kind, col.field or ""))
        if target and target not in taken:
            taken.add(target)
            col.field = target
