"""Read-only views of the ledger for people: one person's merged record with
the provenance of each value, and the cells of the columns no alias names with
theirs (`taizhang person`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from taizhang.errors import TaizhangError
from taizhang.ingest.records import COLUMN_LABELS
from taizhang.ingest.validation import PERSON_FIELDS
from taizhang.ingest.values import RESULT_LABELS
from taizhang.ledger import readings
from taizhang.ledger.extras import person_extras
from taizhang.ledger.store import Store
from taizhang.privacy import mask_id


def person_view(store: Store, id_number: str, mask: Callable[[str, str], str] | None
                ) -> dict[str, Any]:
    """The person's current values, where each came from, older values, records,
    problems; `extras`, the cells of unknown columns, likewise (masked whatever
    their header: an ID or phone in one is anybody's)."""
    row = store.person(id_number)
    if row is None:
        shown = mask_id(id_number) if mask else id_number
        raise TaizhangError(f"台账中没有身份证号为{shown}的人员：请核对号码，或先导入该村的表格")

    def m(field: str, value: str | None) -> str | None:
        return mask(field, value) if (mask and value) else value

    history: dict[str, list[dict[str, Any]]] = {}
    for v in store.provenance(row["id"]):
        history.setdefault(v["field"], []).append(
            {"value": m(v["field"], v["value"]), "path": v["path"], "sheet": v["sheet"],
             "row": v["row"], "batch": v["batch_id"]})
    fields = []
    for fld in PERSON_FIELDS:
        seen = history.get(fld, [])
        current = m(fld, row[fld])
        source = next((h for h in reversed(seen) if h["value"] == current), None)
        if current is None and not seen:
            continue
        fields.append({"field": fld, "label": COLUMN_LABELS.get(fld, fld), "value": current,
                       "source": source and {k: source[k] for k in ("path", "sheet", "row")},
                       "history": seen})
    tests = [
        {"sample_date": t["sample_date"], "result": t["result"],
         "result_label": RESULT_LABELS.get(t["result"], t["result"]), "site": t["site"],
         "path": t["path"], "sheet": t["sheet"], "row": t["row"]}
        for t in store.db.execute(
            "SELECT t.*, b.path FROM tests t JOIN batches b ON b.id=t.batch_id "
            "WHERE person_id=? AND retracted_by IS NULL ORDER BY sample_date", (row["id"],))
    ]
    found = readings.load(store.db, "JOIN batches b ON b.id = r.batch_id "
                          "WHERE r.person_id = ? AND r.retracted_by IS NULL", (row["id"],),
                          extra=("b.path", "r.sheet", "r.row"))
    slots = found.slots_text()
    temps = []
    for i in np.lexsort((found.slot, found.day)).tolist():
        path, sheet, line = found.rows[int(found.row[i])][6:9]
        temps.append({"date": date.fromordinal(int(found.day[i])).isoformat(), "slot": slots[i],
                      "temperature": float(found.tenths[i]) / 10, "path": path, "sheet": sheet,
                      "row": line})
    extras = person_extras(store.db, row["id"], mask is not None)
    keyed = {(h["path"], h["sheet"], h["row"]) for hs in history.values() for h in hs}
    keyed |= {(h["path"], h["sheet"], h["row"]) for e in extras for h in e["history"]}
    keyed |= {(r["path"], r["sheet"], r["row"]) for r in tests + temps}
    problems = []
    paths = sorted({path for path, _, _ in keyed})
    for p in store.db.execute(
        "SELECT * FROM problems WHERE path IN (SELECT value FROM json_each(?)) "
        "AND batch_id NOT IN (SELECT id FROM batches WHERE undone_at IS NOT NULL) "
        "ORDER BY batch_id, id", (json.dumps(paths, ensure_ascii=False),)
    ):
        if (p["path"], p["sheet"], p["row"]) in keyed:
            problems.append({"path": p["path"], "sheet": p["sheet"], "row": p["row"],
                             "column": p["col"], "field": p["field"], "code": p["code"],
                             "severity": p["severity"], "value": m(p["field"], p["value"]),
                             "message": p["message"]})
    return {"_id": row["id"], "id_number": m("id_number", row["id_number"]), "name": row["name"],
            "village": row["village"], "verified": bool(row["verified"]), "fields": fields,
            "extras": extras, "tests": tests, "temperatures": temps, "problems": problems}
