"""Read-only views of the ledger for people: finding a person from what a
clerk has at hand (an ID, full or masked as taizhang prints it; a name; the
last digits of a phone), one person's merged record with the provenance of
each value, and the cells of the columns no alias names with theirs
(`taizhang person`)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from taizhang.errors import UsageError
from taizhang.ingest.ids import clean_id_text
from taizhang.ingest.records import COLUMN_LABELS, PERSON_FIELDS
from taizhang.ingest.values import RESULT_LABELS, normalize_identifier
from taizhang.ledger import readings
from taizhang.ledger.extras import person_extras
from taizhang.ledger.store import Store
from taizhang.ledger.versions import OPEN_BATCH
from taizhang.privacy import mask_id, mask_phone

# a phone is looked up by its last digits: at least this many
PHONE_TAIL = 4
# a masked ID or phone names someone by its visible characters: at least this many
MASK_VISIBLE = 4


def find_people(store: Store, query: str) -> list[sqlite3.Row]:
    """The people `query` names, by village, name and id.

    - an ID number, full (18 or 15 digits, as `Store.person`) or masked as
      taizhang prints it (`330683********1869`, pasted from a list): the
      visible characters in their places and the length must match; a masked
      phone (`138****5678`) likewise;
    - digits only (4 or more, not a whole ID found): the end of a phone number;
    - anything else: a name, as written (spaces around it ignored).
    Every form but a full ID is one scan of the persons table (no index on
    these columns: milliseconds for a county)."""
    text = normalize_identifier(query)
    if not text:
        raise UsageError("请给出要查的人：身份证号（完整或打码的）、姓名或电话号码后4位以上")
    if "*" in text:
        pattern = _masked_pattern(query)
        return _rows(store, "id_number LIKE ? OR phone LIKE ?", (pattern, pattern))
    found = find_by_id(store, query)
    if found:
        return found
    if text.isdigit():
        if len(text) < PHONE_TAIL:
            raise UsageError(f"按电话号码查询请至少输入后{PHONE_TAIL}位（“{text}”只有{len(text)}位）")
        return _rows(store, "substr(phone, -?) = ? AND length(phone) >= ?",
                     (len(text), text, len(text)))
    name = query.strip()
    return _rows(store, "name = ? OR replace(name, ' ', '') = ?", (name, text))


def find_by_id(store: Store, query: str) -> list[sqlite3.Row]:
    """The people an ID number names, full or masked (nobody when `query` is no ID)."""
    text = clean_id_text(normalize_identifier(query))
    if "*" in text:
        return _rows(store, "id_number LIKE ?", (_masked_pattern(query),))
    if len(text) in (15, 18) and text[:-1].isdigit():
        row = store.person(text)
        return [row] if row is not None else []
    return []


def id_matcher(query: str) -> Callable[[str | None], bool]:
    """Whether an ID number is the one `query` gives: equal (a 15-digit number
    also as its 18-digit form), or, masked, with the visible characters in
    their places and the same length."""
    from taizhang.ingest.ids import id_from_legacy

    text = clean_id_text(normalize_identifier(query))
    if "*" in text:
        rx = re.compile(_masked_pattern(query).replace("_", "."))
        return lambda ident: bool(ident) and rx.fullmatch(ident.upper()) is not None
    same = {text, id_from_legacy(text)} if len(text) == 15 and text.isdigit() else {text}
    return lambda ident: ident in same


def _masked_pattern(query: str) -> str:
    """`330683********1869` as a LIKE pattern (`_` for each `*`), refused when
    it shows too little or is no number."""
    pattern = clean_id_text(normalize_identifier(query))
    if not re.fullmatch(r"[0-9X*]+", pattern) or len(pattern.replace("*", "")) < MASK_VISIBLE:
        raise UsageError(f"“{query.strip()}”不是可用的打码号码（露出的数字太少，或含数字、X、*以外的字符）："
                         "请用完整身份证号、从名单复制的打码号码或姓名查询")
    return pattern.replace("*", "_")


def _rows(store: Store, where: str, args: tuple[Any, ...]) -> list[sqlite3.Row]:
    return store.db.execute(f"SELECT * FROM persons WHERE {where} ORDER BY village, name, id",
                            args).fetchall()


def query_shown(query: str, mask: bool) -> str:
    """The query as a message may quote it: an ID or phone masked like any other."""
    text = normalize_identifier(query)
    if not mask or "*" in text:
        return query.strip()
    ident = clean_id_text(text)
    if len(ident) >= 15 and ident[:-1].isdigit():
        return mask_id(ident)
    # a phone or ID among other text (王伟13812345678) is masked too
    return re.sub(r"\d{7,}[0-9Xx]?", lambda m: mask_id(m[0]) if len(m[0]) >= 15 else mask_phone(m[0]),
                  query.strip())


def not_found_message(query: str, mask: bool) -> str:
    return (f"台账中没有与“{query_shown(query, mask)}”相符的人员：请核对身份证号、姓名或电话号码"
            "（后4位以上），或先导入该村的表格")


def person_view(store: Store, row: sqlite3.Row, mask: Callable[[str, str], str] | None
                ) -> dict[str, Any]:
    """The person's (a `persons` row, from `find_people`) current values, where
    each came from, older values, records, problems; `extras`, the cells of
    unknown columns, likewise (masked whatever their header: an ID or phone in
    one is anybody's)."""

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
        f"AND batch_id IN (SELECT b.id FROM batches b WHERE {OPEN_BATCH}) "
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
