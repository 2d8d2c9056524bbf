"""The ledger as columns: the form in which the policy engine takes people and records.

Dates are day ordinals (`NEVER` when empty), results small integer codes, and
records are parallel arrays indexed by person position, so a county's
million records never become a million Python objects. The ledger's
snapshot builds these directly; `from_people` builds them from the
per-person form (tests, and one person's calendar).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from taizhang.policy.episodes import NEGATIVE, PENDING, POSITIVE, PersonData

NEVER = 10**7  # an ordinal later than any date, also "no date"
RESULT_CODE = {NEGATIVE: 0, POSITIVE: 1, PENDING: 2}
RESULT_NAME = {v: k for k, v in RESULT_CODE.items()}
DATE_COLUMNS = ("arrival_date", "registration_date", "departure_date", "control_start",
                "status_date")
TEXT_COLUMNS = ("name", "id_number", "village", "regime", "category", "risk_level",
                "has_negative_proof", "status")


@dataclass(slots=True)
class LedgerArrays:
    """People and their records as columns: what the store can hand over
    without building an object per record."""

    text: dict[str, list[str]]  # TEXT_COLUMNS, one entry per person ("" when empty)
    dates: dict[str, np.ndarray]  # DATE_COLUMNS as int ordinals, NEVER when empty
    test_person: np.ndarray  # int index of the person
    test_date: np.ndarray  # int ordinal
    test_result: np.ndarray  # 0 negative, 1 positive, 2 pending
    read_person: np.ndarray
    read_date: np.ndarray
    read_temp: np.ndarray
    read_slot: list[str | None] = field(default_factory=list)
    # readings per person on one day (the day before the evaluation date), when
    # the loader counted them in the database instead of handing over each reading
    day_counts: np.ndarray | None = None
    day_counts_date: int = 0
    person_ids: np.ndarray | None = None  # database ids, when loaded from the store

    @property
    def size(self) -> int:
        return len(self.text["name"])

    @classmethod
    def from_people(cls, people: Sequence[PersonData]) -> LedgerArrays:
        text = {c: [str(p.person.get(c) or "") for p in people] for c in TEXT_COLUMNS}
        dates = {c: np.array([ordinal(p.person.get(c)) for p in people], dtype=np.int64)
                 for c in DATE_COLUMNS}
        tp = [i for i, p in enumerate(people) for _ in p.tests]
        rp = [i for i, p in enumerate(people) for _ in p.readings]
        return cls(
            text, dates,
            np.array(tp, dtype=np.int64),
            np.array([r.sample_date.toordinal() for p in people for r in p.tests], dtype=np.int64),
            np.array([RESULT_CODE.get(r.result, 2) for p in people for r in p.tests],
                     dtype=np.int8),
            np.array(rp, dtype=np.int64),
            np.array([r.date.toordinal() for p in people for r in p.readings], dtype=np.int64),
            np.array([r.temperature for p in people for r in p.readings], dtype=np.float64),
            [r.slot for p in people for r in p.readings],
        )

    def subset(self, positions: np.ndarray) -> LedgerArrays:
        """The people at `positions` (in that order) with their records, renumbered."""
        positions = np.asarray(positions, dtype=np.int64)
        new = np.full(self.size, -1, dtype=np.int64)
        new[positions] = np.arange(len(positions))
        tests = new[self.test_person] >= 0 if len(self.test_person) else np.zeros(0, dtype=bool)
        reads = new[self.read_person] >= 0 if len(self.read_person) else np.zeros(0, dtype=bool)
        slots = [s for s, keep in zip(self.read_slot, reads.tolist(), strict=True) if keep] \
            if self.read_slot else []
        return LedgerArrays(
            {c: [values[i] for i in positions.tolist()] for c, values in self.text.items()},
            {c: values[positions] for c, values in self.dates.items()},
            new[self.test_person[tests]], self.test_date[tests], self.test_result[tests],
            new[self.read_person[reads]], self.read_date[reads], self.read_temp[reads], slots,
            day_counts=None if self.day_counts is None else self.day_counts[positions],
            day_counts_date=self.day_counts_date,
            person_ids=None if self.person_ids is None else self.person_ids[positions],
        )

    def person_fields(self, i: int) -> dict[str, Any]:
        """One person's ledger values (dates as `date`), without records."""
        person: dict[str, Any] = {c: self.text[c][i] for c in TEXT_COLUMNS}
        for c in DATE_COLUMNS:
            value = int(self.dates[c][i])
            person[c] = date.fromordinal(value) if value != NEVER else None
        return person


def ordinal(value: Any) -> int:
    """A date (or ISO text) as a day ordinal; NEVER when empty."""
    if isinstance(value, date):
        return value.toordinal()
    if value:
        return date.fromisoformat(str(value)).toordinal()
    return NEVER


def iso(day: Any) -> str:
    return date.fromordinal(int(day)).isoformat()
