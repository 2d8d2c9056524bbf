"""From the store to the pure policy functions: load people with their records.

The store keeps values as ISO text; here they become `date`s and the record
types of `due.py`. Loading is set-based (three queries, grouped in Python),
never one query per person.

Used by the reference due lists and `taizhang person`; the fast engine reads
the ledger as arrays instead (`snapshot`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from taizhang.ingest.validation import DATE_FIELDS, PERSON_FIELDS
from taizhang.ledger import readings
from taizhang.ledger.store import Store
from taizhang.policy.episodes import PersonData, Reading, TestRecord


def _person_dict(row: Any) -> dict[str, Any]:
    person: dict[str, Any] = {f: row[f] for f in PERSON_FIELDS}
    for fld in DATE_FIELDS:
        if person.get(fld):
            person[fld] = date.fromisoformat(person[fld])
    person["_id"] = row["id"]
    return person


def load_people(store: Store, until: date, village: str | None = None,
                registered_only: bool = True) -> list[PersonData]:
    """Registered people with their active test records and readings dated ≤ `until`."""
    where = ["registered=1"] if registered_only else []
    args: list[Any] = []
    if village is not None:
        where.append("village=?")
        args.append(village)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    people: dict[int, PersonData] = {
        row["id"]: PersonData(_person_dict(row))
        for row in store.db.execute(f"SELECT * FROM persons {clause} ORDER BY id", args)
    }
    limit = until.isoformat()
    for pid, sample, result in store.db.execute(
        "SELECT person_id, sample_date, result FROM tests WHERE retracted_by IS NULL "
        "AND sample_date <= ? ORDER BY person_id, sample_date", (limit,)
    ):
        data = people.get(pid)
        if data is not None and result is not None:
            data.tests.append(TestRecord(date.fromisoformat(sample), result))
    found = readings.load(store.db, "WHERE r.retracted_by IS NULL AND r.first_day <= ?",
                          (until.toordinal(),))
    found = found.take(found.day <= until.toordinal())
    order = np.lexsort((found.slot, found.day, found.person))
    slots = found.slots_text()
    for i in order.tolist():
        data = people.get(int(found.person[i]))
        if data is not None:
            data.readings.append(Reading(date.fromordinal(int(found.day[i])), slots[i],
                                         float(found.tenths[i]) / 10))
    return list(people.values())
