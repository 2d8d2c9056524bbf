"""One person's calendar under the policy: regime and why, days and phases,
scheduled tests with the records that satisfied them, and the release date or
why it is blocked (the `person` command and the notices).

Computed by the same engine as the county's lists, over just this person, so
the calendar a clerk looks up can never disagree with the due lists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from taizhang.policy.arrays import NEVER, RESULT_NAME, LedgerArrays, iso
from taizhang.policy.due import due_lists
from taizhang.policy.engine import Engine
from taizhang.policy.episodes import LOST, RELEASED, TRANSFERRED, assign_regime
from taizhang.policy.model import Policy
from taizhang.policy.states import states

MAX_CALENDAR_DAYS = 120
NO_DATES = "没有返乡日期、登记日期或管控开始日期，无法计算"


def calendar(arrays: LedgerArrays, i: int, t: date, policy: Policy) -> dict[str, Any]:
    """The calendar of the person at position `i` of `arrays`, up to date t."""
    one = arrays.subset(np.array([i]))
    eng = Engine(one, t, policy, None, max_records=None)
    if eng.base[0] == NEVER:
        return {"error": NO_DATES}
    person = one.person_fields(0)
    regime, reason = assign_regime(person, policy)
    base, start, planned = int(eng.base[0]), int(eng.start[0]), int(eng.planned[0])
    no_control = planned <= start
    matched = eng.matched_today(np.array([0]))[0]
    tests = []
    for j in np.flatnonzero(eng.has_test[0]):
        found = int(matched[j])
        record = None
        if found >= 0:
            record = {"sample_date": iso(eng.rdate[0, found]),
                      "result": RESULT_NAME[int(eng.rres[0, found])]}
        tests.append({"day": int(eng.test_day[0, j]), "due_date": iso(eng.due[0, j]),
                      "blocks_release": bool(eng.blocks[0, j]), "record": record})
    dropped = [{"day": int(eng.test_day[0, j]), "due_date": iso(base + eng.test_day[0, j] - 1)}
               for j in np.flatnonzero(eng.scheduled[0] & ~eng.has_test[0])]
    release = int(eng.release_dates()[0])
    blocked = due_lists(one, t, policy, engine=eng)["releases_blocked"]
    st = states(eng)
    end_date = int(eng.end[0])
    end_kind = (RELEASED if eng.released_end[0] else TRANSFERRED) if end_date != NEVER else None
    lost = bool(st["lost"][0])
    status = end_kind or (LOST if lost else ("under_control" if st["controlled"][0]
                                            else "not_under_control"))
    return {
        "regime": regime.key, "regime_name": regime.name, "regime_reason": reason,
        "base_date": iso(base), "control_start": iso(start), "days": regime.days,
        "planned_release_date": iso(planned), "no_control": bool(no_control),
        "tests": tests, "dropped_tests": dropped,
        "release_date": iso(release) if release != NEVER else None,
        "blocked_reasons": blocked[0]["reasons"] if blocked else [],
        "status": status,
        "end_date": iso(end_date) if end_date != NEVER else None,
        "lost_from": iso(eng.lost_from[0]) if eng.lost_from[0] != NEVER else None,
        "notes": _notes(person, policy, date.fromordinal(planned)),
        "calendar": _days(eng, base, start, planned, release, end_date, no_control),
    }


def _days(eng: Engine, base: int, start: int, planned: int, release: int, end_date: int,
          no_control: bool) -> list[dict[str, Any]]:
    """Each day from day 1 to the end (or to P / t), with its phase while under control."""
    end = release if release != NEVER else end_date
    last = end if end != NEVER else max(planned, eng.t)
    out = []
    row = np.array([0])
    for day in range(base, min(last, base + MAX_CALENDAR_DAYS - 1) + 1):
        controlled = start <= day and (end == NEVER or day < end) and not no_control
        phase = eng.phase_names[int(eng.phase_codes(row, day)[0])] if controlled else None
        out.append({"date": iso(day), "day": day - base + 1, "phase": phase})
    return out


def _notes(person: dict[str, Any], policy: Policy, planned: date) -> list[str]:
    """What the clerk should know about the person's 状态: unreadable, undated, or an early release."""
    text = person.get("status") or ""
    kind = policy.status_kind(text)
    status_date = person.get("status_date")
    if kind is None:
        return [f"状态“{text}”无法识别，按管控中计算"]
    if kind in (RELEASED, TRANSFERRED, LOST) and status_date is None:
        return [f"状态“{text}”没有日期，按管控中计算：请补填状态日期"]
    if kind == RELEASED and status_date < planned:
        return [f"early_release：{status_date.isoformat()}解除，早于应解除日期{planned.isoformat()}"]
    return []


def later_tests(cal: dict[str, Any], t: date) -> list[str]:
    """Due dates of the tests after release that are still ahead on t (for the release notice)."""
    return [s["due_date"] for s in cal["tests"]
            if not s["blocks_release"] and s["due_date"] >= t.isoformat()]


__all__ = ["calendar", "later_tests"]
