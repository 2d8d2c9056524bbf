"""What every output of a day is made from, gathered once (SPEC §6 daily-report).

`gather` loads the ledger as arrays, runs the policy engine once for the
date, and keeps the due lists, the report numbers, the trend and the
exceptions together in `DailyData`, so the report in five formats, the due
lists and the notices of one day all show the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from taizhang.config import Config
from taizhang.ledger.snapshot import add_unregistered_fevers, load_arrays, unregistered_fevers, unregistered_readings
from taizhang.ledger.store import Store
from taizhang.outputs.report_numbers import exceptions, report_numbers, trend
from taizhang.outputs.unregistered import unregistered_people, village_counts
from taizhang.policy.arrays import LedgerArrays
from taizhang.policy.due import due_lists
from taizhang.policy.engine import Engine
from taizhang.policy.model import Policy

Mask = Callable[[str, str], str] | None


@dataclass(slots=True)
class DailyData:
    date: date
    township: str
    arrays: LedgerArrays
    lists: dict[str, Any]
    report: dict[str, Any]
    trend: dict[str, Any]
    exceptions: dict[str, Any]
    config: Config
    # people only test or temperature sheets name (`outputs.unregistered`), unmasked
    unregistered: list[dict[str, Any]] = field(default_factory=list)
    extra_context: dict[str, Any] = field(default_factory=dict)


def submitted_villages(store: Store, t: date) -> set[str]:
    """Villages with at least one file dated t (its as-of date or import date),
    or an imported file that arrived again unchanged that day (not one still
    lying in the inbox: `versions.record_sighting`); an undone file was never sent."""
    found: set[str] = set()
    day = t.isoformat()
    for (villages,) in store.db.execute(
        "SELECT village FROM batches b WHERE village IS NOT NULL AND undone_at IS NULL AND "
        "(as_of=? OR substr(imported_at, 1, 10)=? OR EXISTS (SELECT 1 FROM sightings s "
        "WHERE s.batch_id=b.id AND s.arrived=1 AND (s.as_of=? OR substr(s.seen_at, 1, 10)=?)))",
        (day, day, day, day)
    ):
        found.update(v for v in villages.split("、") if v)
    return found


def unregistered_positives(store: Store, t: date) -> list[dict[str, Any]]:
    """People who appear only in test sheets with a positive record sampled on
    D − 1 or D, under the village that sent the sheet: counted and listed."""
    found = store.db.execute(
        "SELECT p.name, p.id_number, b.village, max(t.sample_date) FROM tests t "
        "JOIN persons p ON p.id=t.person_id JOIN batches b ON b.id=t.batch_id "
        "WHERE p.registered=0 AND t.result='positive' AND t.sample_date BETWEEN ? AND ? "
        "AND t.retracted_by IS NULL GROUP BY p.id ORDER BY b.village, p.name",
        ((t - timedelta(days=1)).isoformat(), t.isoformat()))
    return [{"name": name or "", "village": village or "", "id_number": ident or "", "date": day}
            for name, ident, village, day in found]


def unregistered_counts(store: Store, t: date, threshold: float,
                        positives: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Positives and fevers (D − 1 and D) of people who appear only in test or
    temperature sheets, per village that sent the sheet: never lost."""
    extra: dict[str, dict[str, int]] = {}
    for p in positives:
        counts = extra.setdefault(p["village"], {})
        counts["positives"] = counts.get("positives", 0) + 1
    fevers = unregistered_readings(store, t.toordinal() - 1, t.toordinal(), threshold)
    feverish: dict[str, set[int]] = {}
    for pid, row in zip(fevers.person.tolist(), fevers.row.tolist(), strict=True):
        feverish.setdefault(fevers.rows[row][8] or "", set()).add(pid)
    for village, people in feverish.items():
        extra.setdefault(village, {})["fever"] = len(people)
    return extra


def unplaced_people(store: Store, arrays: LedgerArrays, villages: list[str]) -> dict[str, Any] | None:
    """How many registered people count under 村名未知 (no village, or one not on
    the configured list) and which files named them, for the report's exceptions.
    Counted from the arrays (the registered people); the database is asked only
    for the files of those people."""
    known = set(villages)
    rows = [i for i, v in enumerate(arrays.text["village"]) if not v or (known and v not in known)]
    if not rows:
        return None
    if arrays.person_ids is None:
        return {"count": len(rows), "files": []}
    ids = json.dumps(arrays.person_ids[rows].tolist())
    files = [Path(path).name for (path,) in store.db.execute(
        "SELECT DISTINCT b.path FROM json_each(?) j CROSS JOIN person_rows r ON r.person_id = j.value "
        "JOIN batches b ON b.id = r.batch_id ORDER BY b.path", (ids,))]
    return {"count": len(rows), "files": files}


def gather(store: Store, t: date, policy: Policy, config: Config, trend_days: int = 30
           ) -> DailyData:
    arrays = load_arrays(store, t, policy.fever_threshold)
    engine = Engine(arrays, t, policy, None)  # one computation shared by every number
    lists = due_lists(arrays, t, policy, engine=engine)
    add_unregistered_fevers(lists, unregistered_fevers(store, t, policy.fever_threshold))
    strays = unregistered_positives(store, t)
    report = report_numbers(arrays, t, policy, config.township, config.villages,
                            submitted_villages(store, t),
                            unregistered_counts(store, t, policy.fever_threshold, strays), lists, engine)
    found = exceptions(arrays, t, policy, lists, report, engine)
    found["positives"] = sorted(found["positives"] + strays, key=lambda p: (p["village"], p["name"]))
    found["village_unknown"] = unplaced_people(store, arrays, config.villages)
    strays_seen = unregistered_people(store, t)
    found["unregistered"] = ({"count": len(strays_seen), "villages": village_counts(strays_seen)}
                             if strays_seen else None)
    return DailyData(t, config.township, arrays, lists, report,
                     trend(arrays, t, policy, trend_days, engine), found, config,
                     unregistered=strays_seen)
