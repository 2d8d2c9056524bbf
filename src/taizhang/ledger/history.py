"""A person's current values from the rows that named them (`person_rows`).

The newest batch wins field by field: rows are laid over each other in the
order as-of date, import order, sheet row (`roster.merge_values`). A blank
cell of one file does not erase what another file says: a test list that has
no address column leaves the registration's address alone.

But a newer version of the same file *replaces* its older version's row for a
person it names again: when a village empties a cell (备注, 管控措施) and
sends the file again, the value is gone, as if only the new version had been
imported. Without that rule the ledger after a daily re-send differed from a
fresh import of the same files (issue 18's daily check: 88 of 200,906 persons
kept an emptied 管控措施). A person the newer version leaves out keeps the
older version's row: a village that reuses one file name for each day's new
people must not erase yesterday's people (see `versions.unregister_dropped`).

Used by the import (`merge`, for persons whose values may have to go back)
and by `undo` (every person it touches), so both give the same values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from taizhang.ingest.records import PERSON_FIELDS
from taizhang.ledger.roster import merge_values

# A stored row for the rule: (batch id, as-of, sheet row, rowid, values, file).
# `file` is the batch's file identity (`batches.file`, else its typed path).
Row = tuple[int, str, int, int, dict[str, Any], str]

# the columns of a Row, selected from `person_rows r JOIN batches b`
ROW_COLUMNS = "r.batch_id, b.as_of, r.row, r.rowid, r.vals, coalesce(b.file, b.path)"


def live_rows(rows: Iterable[Row], upto: int | None = None) -> list[Row]:
    """The rows that count, in merge order: of each file, only the newest
    batch's rows (up to batch `upto`, in import order)."""
    mine = [r for r in rows if upto is None or r[0] <= upto]
    newest: dict[str, int] = {}
    for batch, *_, file in mine:
        if batch > newest.get(file, -1):
            newest[file] = batch
    kept = [r for r in mine if r[0] == newest[r[5]]]
    kept.sort(key=lambda r: (r[1], r[0], r[2], r[3]))
    return kept


def current_values(rows: Sequence[Row], upto: int | None = None) -> dict[str, Any]:
    """The person's values as the rows (up to batch `upto`) leave them."""
    values: dict[str, Any] = {}
    for row in live_rows(rows, upto):
        merge_values(values, row[4])
    return values


def as_tuple(values: dict[str, Any]) -> tuple[Any, ...]:
    """Values in the column order of `persons`."""
    return tuple(values.get(f) for f in PERSON_FIELDS)


def last_change(rows: Sequence[Row]) -> tuple[tuple[Any, ...], int]:
    """The current values, and the last batch, in import order, that changed
    them (`persons.updated_batch`, as the import records it)."""
    updated, values = 0, None
    for upto in sorted({r[0] for r in rows}):
        now = as_tuple(current_values(rows, upto))
        if now != values:
            updated, values = upto, now
    assert values is not None
    return values, updated
