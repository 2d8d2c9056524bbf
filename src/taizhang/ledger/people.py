"""From the store to the pure policy functions: load people with their records.

The store keeps values as ISO text; here they become `date`s and the record
types of `due.py`. Loading is set-based (three queries, grouped in Python),
never one query per person.

Used by the reference due lists and `taizhang person` (`load_person`: only
the person looked up, through the person indexes, never the whole ledger);
the fast engine reads the ledger as arrays instead (`snapshot`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np

from taizhang.ingest.records import DATE_FIELDS, PERSON_FIELDS
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
                registered_only: bool = True, person_ids: list[int] | None = None
                ) -> list[PersonData]:
    """Registered people with their active test records and readings dated ≤ `until`;
    with `person_ids`, only those people (registered or not), each through the
    person_id indexes."""
    where = ["registered=1"] if registered_only and person_ids is None else []
    args: list[Any] = []
    if village is not None:
        where.append("village=?")
        args.append(village)
    wanted = json.dumps(person_ids) if person_ids is not None else None
    if wanted is not None:
        where.append("id IN (SELECT value FROM json_each(?))")
        args.append(wanted)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    people: dict[int, PersonData] = {
        row["id"]: PersonData(_person_dict(row))
        for row in store.db.execute(f"SELECT * FROM persons {clause} ORDER BY id", args)
    }
    limit = until.isoformat()
    only = " AND person_id IN (SELECT value FROM json_each(?))" if wanted is not None else ""
    for pid, sample, result in store.db.execute(
        "SELECT person_id, sample_date, result FROM tests WHERE retracted_by IS NULL "
        f"AND sample_date <= ?{only} ORDER BY person_id, sample_date",
        (limit, wanted) if wanted is not None else (limit,)
    ):
        data = people.get(pid)
        if data is not None and result is not None:
            data.tests.append(TestRecord(date.fromisoformat(sample), result))
    only = " AND r.person_id IN (SELECT value FROM json_each(?))" if wanted is not None else ""
    found = readings.load(store.db, f"WHERE r.retracted_by IS NULL AND r.first_day <= ?{only}",
                          (until.toordinal(), wanted) if wanted is not None else (until.toordinal(),))
    found = found.take(found.day <= until.toordinal())
    order = np.lexsort((found.slot, found.day, found.person))
    slots = found.slots_text()
    for i in order.tolist():
        data = people.get(int(found.person[i]))
        if data is not None:
            data.readings.append(Reading(date.fromordinal(int(found.day[i])), slots[i],
                                         float(found.tenths[i]) / 10))
    return list(people.values())


def load_person(store: Store, person_id: int, until: date) -> PersonData | None:
    """One person (by database id) with their records dated ≤ `until`, registered
    or not: what `taizhang person` needs for the calendar, in milliseconds."""
    found = load_people(store, until, registered_only=False, person_ids=[person_id])
    return found[0] if found else None
