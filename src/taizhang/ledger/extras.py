"""Columns the reader could not place, kept with the person (SPEC §2).

Villages add columns no alias table lists (备用信息, 返乡车牌号, 目的地联系人电话
…). Their cells are never dropped: validation collects them per row that names
a person (`ingest.records.RowExtras`, any kind of sheet), and this module keeps
them in `person_extras` — one row per sheet row, {header as written: text} as
JSON, with batch, sheet and row — and reads them back for `export` and
`person`.

- Current value per person and header: the newest batch wins (as-of date,
  then import order, then row), as for the person's fields (`merge`).
- A newer version of the same file replaces the older ones' cells: they are
  retracted (`retracted_by`), so a cell the village emptied is gone, and
  undoing the newer version gives them back (`undo_extras`).
- Such a column may hold anybody's ID number or phone (代理人身份证,
  目的地联系人电话): whatever its header, every value is masked in output
  unless the user asked for `--no-mask` (`privacy.mask_text`, imported here
  for the callers that read extras).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from taizhang.ingest.records import FileResult
from taizhang.privacy import mask_text


def write_extras(db: sqlite3.Connection, batch: int, result: FileResult, ids: dict[str, int],
                 previous: list[int]) -> int:
    """Store the file's `RowExtras` for the persons `ids` resolved (key -> id),
    after retracting what older versions of the file (`previous`) kept; the
    number of rows stored. A person's row equal to their previous one in the
    sheet (a test sheet repeats a person's cells on each test) adds nothing
    to what is current, and is not stored again."""
    if previous:
        marks = ",".join("?" * len(previous))
        db.execute(f"UPDATE person_extras SET retracted_by = ? WHERE batch_id IN ({marks}) "
                   "AND retracted_by IS NULL", (batch, *previous))
    rows = []
    for sheet in result.sheets:
        last: dict[int, str] = {}
        for extra in sheet.extras:
            pid = ids[extra.person.key]
            vals = extra.stored()
            if last.get(pid) != vals:
                last[pid] = vals
                rows.append((pid, batch, sheet.sheet, extra.row, vals))
    db.executemany("INSERT INTO person_extras(person_id, batch_id, sheet, row, vals) "
                   "VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def undo_extras(db: sqlite3.Connection, batch: int, after: Callable[[int], int | None]) -> int:
    """Take out `batch`'s cells; what it retracted passes to the next version of
    its file (`after(owner)`), or is current again. The number of rows taken out."""
    removed = db.execute("DELETE FROM person_extras WHERE batch_id = ?", (batch,)).rowcount
    owners = [o for (o,) in db.execute("SELECT DISTINCT batch_id FROM person_extras "
                                       "WHERE retracted_by = ?", (batch,)).fetchall()]
    db.executemany("UPDATE person_extras SET retracted_by = ? WHERE retracted_by = ? AND batch_id = ?",
                   [(after(owner), batch, owner) for owner in owners])
    return removed


def _live_rows(db: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Live rows (as_of, person, batch, sheet, row, path, values) in import order."""
    return [(as_of, pid, batch, sheet, row, path, json.loads(vals))
            for as_of, pid, batch, sheet, row, path, vals
            in db.execute("SELECT b.as_of, e.person_id, e.batch_id, e.sheet, e.row, b.path, e.vals "
                          "FROM person_extras e JOIN batches b ON b.id = e.batch_id "
                          f"WHERE e.retracted_by IS NULL AND b.undone_at IS NULL {where} "
                          "ORDER BY e.batch_id, e.row, e.rowid", args)]


def current_extras(db: sqlite3.Connection) -> tuple[list[str], dict[int, dict[str, str]]]:
    """Every header, in the order the ledger first saw them, and each person's
    current value per header (the newest batch wins). Values as stored: the
    caller masks them."""
    rows = _live_rows(db, "", ())
    headers: dict[str, None] = {}
    for *_, values in rows:
        headers.update(dict.fromkeys(values))
    rows.sort(key=itemgetter(0))  # stable: import order, then row, within one as-of date
    current: dict[int, dict[str, str]] = {}
    for _, pid, *_, values in rows:
        current.setdefault(pid, {}).update(values)
    return list(headers), current


def person_extras(db: sqlite3.Connection, person_id: int, mask: bool) -> list[dict[str, Any]]:
    """One person's cells per header, in the order first seen: the current value
    with its source (path, sheet, row) and the values before it, oldest first,
    a value repeated on the next rows of one sheet shown once. Masked with
    `mask_text` when `mask`."""
    rows = _live_rows(db, "AND e.person_id = ?", (person_id,))
    order: dict[str, None] = {}
    for *_, values in rows:
        order.update(dict.fromkeys(values))
    rows.sort(key=itemgetter(0))
    history: dict[str, list[dict[str, Any]]] = {}
    for _, _, batch, sheet, row, path, values in rows:
        for header, value in values.items():
            seen = history.setdefault(header, [])
            shown = mask_text(value) if mask else value
            if seen and (seen[-1]["value"], seen[-1]["batch"], seen[-1]["sheet"]) == (shown, batch, sheet):
                continue
            seen.append({"value": shown, "path": path, "sheet": sheet, "row": row, "batch": batch})
    out = []
    for header in order:
        seen = history[header]
        last = seen[-1]
        out.append({"header": header, "value": last["value"],
                    "source": {k: last[k] for k in ("path", "sheet", "row")}, "history": seen})
    return out
