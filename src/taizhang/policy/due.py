"""The six due lists of SPEC §6 `due-today` for a date: who must be tested or
released, whose release is blocked and why, whose temperature report is
missing, who has a fever.

The lists are computed by the engine for everyone at once; this module only
reads its arrays and writes one entry per person and test. Entries are
unmasked; the outputs mask them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from taizhang.policy.arrays import NEVER, LedgerArrays, iso
from taizhang.policy.engine import Engine
from taizhang.policy.episodes import PersonData
from taizhang.policy.model import Policy

LISTS = ("tests_due", "tests_overdue", "releases_due", "releases_blocked", "temperature_missing",
         "fever")


def due_lists(people: Sequence[PersonData] | LedgerArrays, t: date, policy: Policy,
              village: str | None = None, engine: Engine | None = None) -> dict[str, Any]:
    """The six lists for date t, sorted by village, name and ID. Pass `engine`
    (an `Engine` for the same arrays, date and policy) to reuse its work."""
    arrays = people if isinstance(people, LedgerArrays) else LedgerArrays.from_people(people)
    lists: dict[str, Any] = {"date": t.isoformat(), **{k: [] for k in LISTS}}
    if arrays.size:
        _fill(engine or Engine(arrays, t, policy, village), lists)
    for key in LISTS:
        lists[key].sort(key=lambda e: (e["village"], e["name"], e["id_number"],
                                       e.get("due_date", ""), e.get("slot") or ""))
    return lists


def _fill(eng: Engine, lists: dict[str, Any]) -> None:
    """Append the people of one engine to the six lists."""
    t = eng.t
    release = eng.release_dates()
    no_control = eng.planned <= eng.start
    ended = eng.end <= t
    a = eng.a

    # fever: readings dated t or t − 1 at or above the threshold, unless the
    # episode has explicitly ended
    hot = (a.read_temp >= eng.policy.fever_threshold) & (a.read_date >= t - 1) & \
        (a.read_date <= t)
    for idx in np.flatnonzero(hot):
        i = a.read_person[idx]
        if (eng.fast[i] or eng.no_dates[i]) and not ended[i]:
            entry = eng.common(i)
            if eng.no_dates[i]:
                entry["day"] = None  # no usable date, no schedule; the fever still counts
            lists["fever"].append({**entry, "date": iso(a.read_date[idx]),
                                   "slot": a.read_slot[idx],
                                   "temperature": float(a.read_temp[idx])})

    rows = np.flatnonzero(eng.fast & ~no_control & (eng.start <= t) & ~ended)
    matched = eng.matched_today(rows)
    due, has = eng.due[rows], eng.has_test[rows]
    open_ = has & (matched < 0)
    due_now = open_ & (due <= t) & (t <= due + eng.grace)
    overdue = open_ & (t > due + eng.grace)
    for r, j in zip(*np.nonzero(due_now), strict=True):
        lists["tests_due"].append({**eng.common(rows[r], int(eng.test_day[rows[r], j])),
                                   "due_date": iso(due[r, j]), "late": bool(t > due[r, j])})
    for r, j in zip(*np.nonzero(overdue), strict=True):
        lists["tests_overdue"].append({**eng.common(rows[r], int(eng.test_day[rows[r], j])),
                                       "due_date": iso(due[r, j]),
                                       "days_overdue": int(t - due[r, j])})
    for i in rows[release[rows] == t]:
        lists["releases_due"].append({**eng.common(i), "release_date": iso(t)})
    blocked = rows[(t >= eng.planned[rows]) & (release[rows] == NEVER)]
    if len(blocked):
        missing, pending, positive, fever = eng.blocking(
            blocked, np.full(len(blocked), t, dtype=np.int64))
        for r, i in enumerate(blocked):
            reasons = []
            for j in range(eng.k):
                if missing[r, j]:
                    reasons.append(f"missing_test:day{eng.test_day[i, j]}")
                elif pending[r, j]:
                    reasons.append(f"pending_result:day{eng.test_day[i, j]}")
            if positive[r]:
                reasons.append("positive")
            if fever[r]:
                reasons.append("fever")
            if reasons:
                lists["releases_blocked"].append({
                    **eng.common(i), "planned_release_date": iso(eng.planned[i]),
                    "reasons": reasons})
    _temperature_missing(eng, lists, release, no_control)
    if eng.heavy is not None:
        _fill(eng.heavy[1], lists)


def _temperature_missing(eng: Engine, lists: dict[str, Any], release: np.ndarray,
                         no_control: np.ndarray) -> None:
    t, y = eng.t, eng.t - 1
    rows = np.flatnonzero(eng.fast & ~no_control & (eng.start <= t) & ~(eng.end <= t) &
                          (y >= eng.start) & ~(eng.end <= y) & (y < release))
    if not len(rows):
        return
    a = eng.a
    if a.day_counts is not None and a.day_counts_date == y:
        counts = a.day_counts
    else:  # readings handed over one by one: a slot reported twice is one reading
        counts = np.zeros(eng.n, dtype=np.int64)
        seen: set[tuple[int, object]] = set()
        for j in np.flatnonzero(a.read_date == y).tolist():
            person, slot = int(a.read_person[j]), a.read_slot[j] if a.read_slot else None
            key = (person, slot or ("#", j))  # a reading without a slot always counts
            if key not in seen:
                seen.add(key)
                counts[person] += 1
    rows = rows[counts[rows] < len(eng.policy.temperature_slots)]
    phases = eng.policy.temperature_phases
    for i, phase in zip(rows, eng.phase_on(rows, y), strict=True):
        if phase in phases:
            lists["temperature_missing"].append({**eng.common(i), "date": iso(y),
                                                 "readings": int(counts[i])})


