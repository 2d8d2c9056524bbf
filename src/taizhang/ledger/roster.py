"""Assumed registration dates in the ledger: the rule of `date_assumed` (SPEC §2).

A roster (花名册) names people without any 返乡日期 or 登记日期. Its people are
under observation from the day they were found, so their 登记日期 is the as-of
date of the *first* file that named them. Two things must hold as files come
in day after day:

- the same roster sent again the next day must not move the date forward
  (else nobody's 14 days ever end), so an assumed date is stored only for a
  person with no 返乡日期 and no 登记日期 yet;
- a real date wins: a later row with a 登记日期 replaces it (newest wins, as
  for any field), and a row with only a 返乡日期 clears it (a JSON null in
  its values), since the assumed date stood in for a return date unknown.

Every roster row carries `ASSUMED: "<its as-of date>"` in its stored values
(`person_rows.vals`), and a 登记日期 only when it gave the person theirs, so a
later file can tell an assumed date from a real one. Each row's values are
decided when it is merged, so laying rows over each other in import order
gives the current values. Where rows are merged again in as-of order (a file
with an older as-of date imported later; an undo), `merge_values` keeps an
assumed date from replacing one already there, and gives a person left
without any date the date of the first roster that remains.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from taizhang.ingest.sheet_registration import ASSUMED

__all__ = ["ASSUMED", "AssumedDates", "merge_values"]


def merge_values(values: dict[str, Any], vals: dict[str, Any]) -> None:
    """Lay one stored row's values over a person's (the newer row wins field by
    field), except that an assumed 登记日期 never replaces a date already there,
    and a roster row gives its date to a person who has none."""
    assumed = vals.get(ASSUMED)
    if assumed:
        if values.get("registration_date") or values.get("arrival_date"):
            vals = {f: v for f, v in vals.items() if f != "registration_date"}
        elif not vals.get("registration_date"):
            vals = {**vals, "registration_date": assumed}
    values.update(vals)


class AssumedDates:
    """The rule applied to the registration rows of one batch, as they are merged."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.here: dict[int, bool] = {}  # person -> this batch gave a date: assumed (True) or real

    def values(self, pid: int, texts: dict[str, Any], assumed: bool, registered: str | None,
               arrived: str | None) -> dict[str, Any] | None:
        """The row's values to store, or None when they stay as they are.
        `registered`/`arrived`: the person's current 登记日期 and 返乡日期 in the
        ledger, as earlier batches left them."""
        before = self.here.get(pid)
        if assumed:
            marked = {**texts, ASSUMED: texts.get("registration_date")}
            if before is not None or registered is not None or arrived is not None:
                marked.pop("registration_date", None)  # the first date stays
                return marked
            self.here[pid] = True
            return marked
        if "registration_date" not in texts and "arrival_date" not in texts:
            return None
        self.here[pid] = False
        if "registration_date" in texts:
            return None  # a real 登记日期: newest wins, as for any field
        if before or (before is None and registered is not None and self._assumed(pid)):
            return {**texts, "registration_date": None}  # the 返乡日期 is known: no stand-in
        return None

    def _assumed(self, pid: int) -> bool:
        """Whether the person's current 登记日期 is an assumed one: the newest
        stored row that states a 登记日期 marks it so."""
        row = self.db.execute(
            f"""SELECT json_extract(r.vals, '$.{ASSUMED}') FROM person_rows r
                JOIN batches b ON b.id = r.batch_id
                WHERE r.person_id = ? AND json_type(r.vals, '$.registration_date') IS NOT NULL
                ORDER BY b.as_of DESC, b.id DESC, r.row DESC LIMIT 1""", (pid,)).fetchone()
        return bool(row and row[0])
