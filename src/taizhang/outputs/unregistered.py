"""People seen but never registered: named by a test or temperature sheet only.

A 核酸检测台账 from the health centre or a 体温监测表 may name someone no
village registered. Nobody schedules their tests or releases them, so the
village must register them: each is listed under the village that sent the
sheet naming them, with what named them, in `daily`'s
`未登记人员_D.csv` and counted in the day's summary.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from taizhang.ledger.store import Store
from taizhang.outputs.export import neutralise
from taizhang.outputs.report_numbers import UNKNOWN_VILLAGE

COLUMNS = ("village", "name", "id_number", "phone", "tests", "readings", "first_seen", "file")


def unregistered_people(store: Store, t: date) -> list[dict[str, Any]]:
    """Everyone the ledger holds with registered = 0 and a record dated ≤ t (or
    imported by t), by village of the first file that named them, then name."""
    day = t.isoformat()
    found = store.db.execute(
        """SELECT p.id, p.name, p.id_number, p.phone,
                  (SELECT count(*) FROM tests x WHERE x.person_id = p.id AND x.retracted_by IS NULL),
                  (SELECT coalesce(sum(n), 0) FROM temperature_rows y WHERE y.person_id = p.id
                       AND y.retracted_by IS NULL),
                  b.village, b.as_of, b.path
           FROM persons p
           JOIN person_rows r ON r.rowid = (SELECT min(rowid) FROM person_rows WHERE person_id = p.id)
           JOIN batches b ON b.id = r.batch_id
           WHERE p.registered = 0 AND b.undone_at IS NULL AND b.as_of <= ?""", (day,)).fetchall()
    people = [{"village": village or "", "name": name or "", "id_number": ident or "", "phone": phone or "",
               "tests": tests, "readings": readings, "first_seen": as_of, "file": path}
              for _, name, ident, phone, tests, readings, village, as_of, path in found
              if tests or readings]
    return sorted(people, key=lambda p: (p["village"], p["name"], p["id_number"]))


def village_counts(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many per village of the sheet that named them, in the list's order;
    people of no village under 村名未知, as the report counts them."""
    counts: dict[str, int] = {}
    for p in people:
        village = p["village"] or UNKNOWN_VILLAGE
        counts[village] = counts.get(village, 0) + 1
    return [{"village": v, "count": n} for v, n in counts.items()]


def summary_line(people: list[dict[str, Any]], labels: dict[str, Any], day: date) -> str:
    """"有核酸/体温记录但未登记：3人（平阳村2人、东溪村1人），名单见 未登记人员_D.csv"."""
    per_village = "、".join(f"{c['village']}{c['count']}人" for c in village_counts(people))
    return labels["unregistered"]["summary"].format(n=len(people), villages=per_village,
                                                    date=day.isoformat())


def unregistered_csv(people: list[dict[str, Any]], labels: dict[str, Any]) -> str:
    """The list as a CSV for the villages (the caller masks the people first)."""
    words = labels["unregistered"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([words[c] for c in COLUMNS])
    for p in people:
        writer.writerow([neutralise(str(p[c])) for c in COLUMNS])
    return buffer.getvalue()
