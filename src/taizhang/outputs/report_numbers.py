"""The numbers of the daily report (日报告 / 零报告), SPEC §6 `daily-report`.

`report_numbers` counts them per village from the policy engine's states
(`taizhang/policy/states.py`) and due lists; `tests/oracle.py` counts them
person by person, and a property test keeps the two equal. Wording lives in
the templates (`templates/`, rendered by `daily_report.py`); this module only
counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np

from taizhang.policy.arrays import NEVER, LedgerArrays
from taizhang.policy.due import due_lists
from taizhang.policy.engine import Engine
from taizhang.policy.model import Policy
from taizhang.policy.states import states as engine_states
from taizhang.policy.states import trend as engine_trend

COUNT_KEYS = ("new_registrations", "released_today", "released_total", "tests_due", "tests_done",
              "tests_overdue", "positives", "fever", "lost_contact")


UNKNOWN_VILLAGE = "村名未知"  # the report row of people no village could be found for (SPEC §6)


def report_village(name: str, villages: Sequence[str]) -> str:
    """The report row a person counts in: their village, or 村名未知 when it is
    empty or, with a configured village list, not on it (a misspelt 石们村 must
    not become a village line of its own)."""
    if not name or (villages and name not in villages):
        return UNKNOWN_VILLAGE
    return name


def _people(positions: np.ndarray, size: int) -> np.ndarray:
    """A mask of the people named (once each, however many records name them)."""
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask


def recent_positive(arrays: LedgerArrays, t_ord: int) -> np.ndarray:
    """Test records that are positive and sampled on D − 1 or D."""
    return (arrays.test_result == 1) & (arrays.test_date >= t_ord - 1) & (arrays.test_date <= t_ord)


def _empty_row(village: str) -> dict[str, Any]:
    return {"village": village, "new_registrations": 0, "under_control": {}, "released_today": 0,
            "released_total": 0, "tests_due": 0, "tests_done": 0, "tests_overdue": 0,
            "positives": 0, "fever": 0, "lost_contact": 0, "zero_report": True,
            "submitted": False}


def assemble(rows: dict[str, dict[str, Any]], t: date, township: str, villages: Sequence[str],
             submitted: Iterable[str], phase_order: Sequence[str]) -> dict[str, Any]:
    """Order villages (configured first, then others), set zero_report and
    submitted, add the totals: the JSON shape of SPEC §6."""
    sent = set(submitted)
    ordered = list(villages) + sorted(v for v in rows if v not in villages and v != UNKNOWN_VILLAGE)
    ordered += [UNKNOWN_VILLAGE] if UNKNOWN_VILLAGE in rows else []  # listed last, only when present
    out = []
    for name in ordered:
        row = rows.get(name) or _empty_row(name)
        row["under_control"] = {p: row["under_control"][p] for p in phase_order
                                if row["under_control"].get(p)}
        # a positive person still under control keeps the village off 零报告
        # even when the result came back days ago
        held = row.pop("positive_under_control", 0)
        row["zero_report"] = not (row["positives"] or row["fever"] or row["tests_overdue"]
                                  or row["lost_contact"] or held)
        row["submitted"] = name in sent
        out.append(row)
    totals: dict[str, Any] = {k: sum(r[k] for r in out) for k in COUNT_KEYS}
    under: dict[str, int] = {}
    for r in out:
        for phase, n in r["under_control"].items():
            under[phase] = under.get(phase, 0) + n
    totals["under_control"] = {p: under[p] for p in phase_order if under.get(p)}
    totals["zero_report"] = all(r["zero_report"] for r in out)
    totals["submitted"] = sum(1 for r in out if r["submitted"])
    totals["villages"] = sum(1 for r in out if r["village"] != UNKNOWN_VILLAGE)  # 村名未知 submits nothing
    return {"date": t.isoformat(), "township": township, "zero_report": totals["zero_report"],
            "villages": out, "totals": totals}


def phase_order(policy: Policy) -> list[str]:
    names: list[str] = []
    for regime in policy.regimes.values():
        for name, _ in regime.phases:
            if name not in names:
                names.append(name)
    return names


def _is_new(person: dict[str, Any] | Any, t: date) -> bool:
    registered = person.get("registration_date") or person.get("arrival_date")
    return registered == t


def report_numbers(arrays: LedgerArrays, t: date, policy: Policy, township: str = "",
                   villages: Sequence[str] = (), submitted: Iterable[str] = (),
                   extra: dict[str, dict[str, int]] | None = None,
                   lists: dict[str, Any] | None = None, engine: Engine | None = None
                   ) -> dict[str, Any]:
    """The daily report numbers for everyone at once. `extra` adds counts per
    village for people outside `arrays` (positives and fevers of people who
    appear only in test or temperature sheets)."""
    fast = engine or Engine(arrays, t, policy, None)
    states = engine_states(fast)
    lists = lists if lists is not None else due_lists(arrays, t, policy, engine=fast)
    placed: dict[str, str] = {}
    names = [placed.get(v) or placed.setdefault(v, report_village(v, villages)) for v in arrays.text["village"]]
    villages_seen, code = np.unique(np.array(names, dtype=object), return_inverse=True)
    code = code.reshape(-1)
    nv = len(villages_seen)
    rows = {str(v): _empty_row(str(v)) for v in villages_seen}
    reg = arrays.dates["registration_date"]
    registered = np.where(reg != NEVER, reg, arrays.dates["arrival_date"])

    def add(key: str, mask: np.ndarray, weights: np.ndarray | None = None) -> None:
        counts = np.bincount(code[mask], weights=None if weights is None else weights[mask],
                             minlength=nv)
        for v, n in zip(villages_seen, counts, strict=True):
            rows[str(v)][key] = rows[str(v)].get(key, 0) + int(n)

    t_ord = t.toordinal()
    add("new_registrations", registered == t_ord)
    fast_rows = states["fast"]
    add("released_total", fast_rows & (states["release"] <= t_ord))
    add("released_today", fast_rows & (states["release"] == t_ord))
    add("tests_due", fast_rows, states["due_today"])
    add("tests_done", fast_rows, states["done_today"])
    add("lost_contact", fast_rows & states["lost"])
    # positives and fevers over D − 1 and D, the window the lists use: a report
    # made in the morning still counts yesterday afternoon's fever
    add("positives", _people(arrays.test_person[recent_positive(arrays, t_ord)], arrays.size))
    hot = (arrays.read_temp >= policy.fever_threshold) & (arrays.read_date >= t_ord - 1) & \
        (arrays.read_date <= t_ord)
    add("fever", _people(arrays.read_person[hot], arrays.size))
    add("positive_under_control", fast_rows & states["controlled"] & states["positive"])
    controlled = np.flatnonzero(fast_rows & states["controlled"])
    phase_names = states["phase_names"]
    if len(controlled):
        pairs, counts = np.unique(np.stack([code[controlled], states["phase"][controlled]]),
                                  axis=1, return_counts=True)
        for (v, p), n in zip(pairs.T, counts, strict=True):
            under = rows[str(villages_seen[v])]["under_control"]
            under[phase_names[p]] = under.get(phase_names[p], 0) + int(n)
    for entry in lists["tests_overdue"]:
        village = report_village(entry["village"], villages)
        rows.setdefault(village, _empty_row(village))["tests_overdue"] += 1
    for village, counts in (extra or {}).items():
        village = report_village(village, villages)
        row = rows.setdefault(village, _empty_row(village))
        for key, n in counts.items():
            row[key] = row.get(key, 0) + n
    return assemble(rows, t, township, villages, submitted, phase_order(policy))


def trend(arrays: LedgerArrays, t: date, policy: Policy, days: int = 30,
          engine: Engine | None = None) -> dict[str, Any]:
    """People under control per day by phase for the last `days` days."""
    dates, series = engine_trend(engine or Engine(arrays, t, policy, None), days)
    phases = [p for p in phase_order(policy) if any(s.get(p) for s in series)]
    return {"dates": dates, "phases": phases,
            "series": {p: [s.get(p, 0) for s in series] for p in phases},
            "totals": [sum(s.values()) for s in series]}


def exceptions(arrays: LedgerArrays, t: date, policy: Policy, lists: dict[str, Any],
               report: dict[str, Any], engine: Engine | None = None) -> dict[str, Any]:
    """The people behind the exceptions of the report: positives, fevers,
    overdue tests, blocked releases, lost contact, and villages 未报送."""
    t_ord = t.toordinal()
    text = arrays.text
    states = engine_states(engine or Engine(arrays, t, policy, None))
    # positives sampled on D − 1 or D, and everyone still under control with a
    # positive record: a result that came back late is never missed
    recent = _people(arrays.test_person[recent_positive(arrays, t_ord)], arrays.size)
    held = states["controlled"] & states["positive"]
    known = (arrays.test_result == 1) & (arrays.test_date <= t_ord)
    latest = np.zeros(arrays.size, dtype=np.int64)
    np.maximum.at(latest, arrays.test_person[known], arrays.test_date[known])
    positives = [{"name": text["name"][i], "village": text["village"][i],
                  "id_number": text["id_number"][i], "date": date.fromordinal(int(latest[i])).isoformat()}
                 for i in np.flatnonzero(recent | held)]
    lost = [{"name": text["name"][i], "village": text["village"][i],
             "id_number": text["id_number"][i],
             "since": date.fromordinal(int(arrays.dates["status_date"][i])).isoformat()}
            for i in np.flatnonzero(states["lost"])]
    return {
        "positives": positives,
        "fever": lists["fever"],
        "fever_people": per_person(lists["fever"]),
        "tests_overdue": lists["tests_overdue"],
        "overdue_people": per_person(lists["tests_overdue"]),
        "releases_blocked": lists["releases_blocked"],
        "lost_contact": lost,
        "not_submitted": [r["village"] for r in report["villages"]
                          if not r["submitted"] and r["village"] != UNKNOWN_VILLAGE],
    }


def per_person(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries of a due list (sorted by village, name, ID) gathered per person,
    for a report that names each person once: {village, name, id_number,
    items: [entries], days_overdue: the largest}. Grouped before masking, on
    the full ID."""
    people: list[dict[str, Any]] = []
    for entry in entries:
        key = (entry["village"], entry["name"], entry["id_number"])
        if not people or people[-1]["key"] != key:
            people.append({"key": key, "village": entry["village"], "name": entry["name"],
                           "id_number": entry["id_number"], "items": []})
        people[-1]["items"].append(entry)
    for person in people:
        del person["key"]
        person["days_overdue"] = max((e.get("days_overdue") or 0 for e in person["items"]), default=0)
    return people
