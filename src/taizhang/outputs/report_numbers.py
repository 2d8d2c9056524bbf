"""The numbers of the daily report (日报告 / 零报告), SPEC §6 `daily-report`.

`report_numbers` computes them for everyone at once from the vectorised
states of `due_fast`; `report_numbers_reference` computes them person by
person with `due.state_on`, and a test keeps the two equal. Wording lives in
the templates (`render.py`); this module only counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from taizhang.policy.engine import NEVER, LedgerArrays, _Fast, due_lists_fast
from taizhang.policy.model import Policy
from taizhang.policy.reference import Episode, PersonData, build_episode, due_lists, state_on

COUNT_KEYS = ("new_registrations", "released_today", "released_total", "tests_due", "tests_done",
              "tests_overdue", "positives", "fever", "lost_contact")


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
    ordered = list(villages) + sorted(v for v in rows if v not in villages)
    out = []
    for name in ordered:
        row = rows.get(name) or _empty_row(name)
        row["under_control"] = {p: row["under_control"][p] for p in phase_order
                                if row["under_control"].get(p)}
        row["zero_report"] = not (row["positives"] or row["fever"] or row["tests_overdue"]
                                  or row["lost_contact"])
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
    totals["villages"] = len(out)
    return {"date": t.isoformat(), "township": township, "zero_report": totals["zero_report"],
            "villages": out, "totals": totals}


def phase_order(policy: Policy) -> list[str]:
    names: list[str] = []
    for regime in policy.regimes.values():
        for name, _ in regime.phases:
            if name not in names:
                names.append(name)
    return names


def _count_state(row: dict[str, Any], st: Any, t: date) -> None:
    """Add one person's state on t to a village row (the per-person path)."""
    if st.under_control and st.phase:
        row["under_control"][st.phase] = row["under_control"].get(st.phase, 0) + 1
    if st.released_on is not None:
        row["released_total"] += 1
        row["released_today"] += st.released_on == t
    row["tests_due"] += st.tests_due_today
    row["tests_done"] += st.tests_done_today
    row["lost_contact"] += st.lost


def _is_new(person: dict[str, Any] | Any, t: date) -> bool:
    registered = person.get("registration_date") or person.get("arrival_date")
    return registered == t


def report_numbers_reference(people: Sequence[PersonData], t: date, policy: Policy,
                             township: str = "", villages: Sequence[str] = (),
                             submitted: Iterable[str] = ()) -> dict[str, Any]:
    """The daily report numbers, person by person (the reference)."""
    rows: dict[str, dict[str, Any]] = {}
    lists = due_lists(people, t, policy)
    for data in people:
        village = data.person.get("village") or ""
        row = rows.setdefault(village, _empty_row(village))
        if _is_new(data.person, t):
            row["new_registrations"] += 1
        row["positives"] += sum(1 for r in data.tests
                                if r.result == "positive" and r.sample_date == t)
        if any(r.date == t and r.temperature >= policy.fever_threshold for r in data.readings):
            row["fever"] += 1
        ep = build_episode(data.person, policy)
        if not isinstance(ep, Episode):
            continue
        _count_state(row, state_on(ep, data.tests, data.readings, t, policy), t)
    for entry in lists["tests_overdue"]:
        rows.setdefault(entry["village"], _empty_row(entry["village"]))["tests_overdue"] += 1
    return assemble(rows, t, township, villages, submitted, phase_order(policy))


def report_numbers(arrays: LedgerArrays, t: date, policy: Policy, township: str = "",
                   villages: Sequence[str] = (), submitted: Iterable[str] = (),
                   extra: dict[str, dict[str, int]] | None = None,
                   lists: dict[str, Any] | None = None, engine: _Fast | None = None
                   ) -> dict[str, Any]:
    """The daily report numbers for everyone at once. `extra` adds counts per
    village for people outside `arrays` (positives and fevers of people who
    appear only in test or temperature sheets)."""
    fast = engine or _Fast(arrays, t, policy, None)
    states = fast.states()
    lists = lists if lists is not None else due_lists_fast(arrays, t, policy, engine=fast)
    names = arrays.text["village"]
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
            rows[str(v)][key] += int(n)

    t_ord = t.toordinal()
    add("new_registrations", registered == t_ord)
    fast_rows = states["fast"]
    add("released_total", fast_rows & (states["release"] <= t_ord))
    add("released_today", fast_rows & (states["release"] == t_ord))
    add("tests_due", fast_rows, states["due_today"])
    add("tests_done", fast_rows, states["done_today"])
    add("lost_contact", fast_rows & states["lost"])
    positive = (arrays.test_result == 1) & (arrays.test_date == t_ord)
    pos_count = np.bincount(arrays.test_person[positive], minlength=arrays.size)
    add("positives", np.ones(arrays.size, dtype=bool), pos_count)
    hot = (arrays.read_temp >= policy.fever_threshold) & (arrays.read_date == t_ord)
    febrile = np.zeros(arrays.size, dtype=bool)
    febrile[arrays.read_person[hot]] = True
    add("fever", febrile)
    controlled = np.flatnonzero(fast_rows & states["controlled"])
    phase_names = states["phase_names"]
    if len(controlled):
        pairs, counts = np.unique(np.stack([code[controlled], states["phase"][controlled]]),
                                  axis=1, return_counts=True)
        for (v, p), n in zip(pairs.T, counts, strict=True):
            under = rows[str(villages_seen[v])]["under_control"]
            under[phase_names[p]] = under.get(phase_names[p], 0) + int(n)
    for i in np.flatnonzero(states["overflow"]):
        data = arrays.person_data(int(i))
        ep = build_episode(data.person, policy)
        if not isinstance(ep, Episode):
            continue
        _count_state(rows[names[i]], state_on(ep, data.tests, data.readings, t, policy), t)
    for entry in lists["tests_overdue"]:
        rows.setdefault(entry["village"], _empty_row(entry["village"]))["tests_overdue"] += 1
    for village, counts in (extra or {}).items():
        row = rows.setdefault(village, _empty_row(village))
        for key, n in counts.items():
            row[key] += n
    return assemble(rows, t, township, villages, submitted, phase_order(policy))


def trend(arrays: LedgerArrays, t: date, policy: Policy, days: int = 30,
          engine: _Fast | None = None) -> dict[str, Any]:
    """People under control per day by phase for the last `days` days."""
    dates, series = (engine or _Fast(arrays, t, policy, None)).trend(days)
    phases = [p for p in phase_order(policy) if any(s.get(p) for s in series)]
    return {"dates": dates, "phases": phases,
            "series": {p: [s.get(p, 0) for s in series] for p in phases},
            "totals": [sum(s.values()) for s in series]}


def trend_reference(people: Sequence[PersonData], t: date, policy: Policy,
                    days: int = 30) -> dict[str, Any]:
    """The trend person by person: `state_on` for each day (tests only)."""
    dates, series = [], []
    for back in range(days - 1, -1, -1):
        x = t - timedelta(days=back)
        counts: dict[str, int] = {}
        for data in people:
            ep = build_episode(data.person, policy)
            if isinstance(ep, Episode):
                st = state_on(ep, data.tests, data.readings, x, policy)
                if st.under_control and st.phase:
                    counts[st.phase] = counts.get(st.phase, 0) + 1
        dates.append(x.isoformat())
        series.append(counts)
    phases = [p for p in phase_order(policy) if any(s.get(p) for s in series)]
    return {"dates": dates, "phases": phases,
            "series": {p: [s.get(p, 0) for s in series] for p in phases},
            "totals": [sum(s.values()) for s in series]}


def exceptions(arrays: LedgerArrays, t: date, policy: Policy, lists: dict[str, Any],
               report: dict[str, Any], engine: _Fast | None = None) -> dict[str, Any]:
    """The people behind the exceptions of the report: positives, fevers,
    overdue tests, blocked releases, lost contact, and villages 未报送."""
    t_ord = t.toordinal()
    text = arrays.text
    positive = (arrays.test_result == 1) & (arrays.test_date == t_ord)
    positives = [{"name": text["name"][i], "village": text["village"][i],
                  "id_number": text["id_number"][i], "date": t.isoformat()}
                 for i in sorted(set(arrays.test_person[positive].tolist()))]
    states = (engine or _Fast(arrays, t, policy, None)).states()
    lost = [{"name": text["name"][i], "village": text["village"][i],
             "id_number": text["id_number"][i],
             "since": date.fromordinal(int(arrays.dates["status_date"][i])).isoformat()}
            for i in np.flatnonzero(states["lost"])]
    return {
        "positives": positives,
        "fever": lists["fever"],
        "tests_overdue": lists["tests_overdue"],
        "releases_blocked": lists["releases_blocked"],
        "lost_contact": lost,
        "not_submitted": [r["village"] for r in report["villages"] if not r["submitted"]],
    }
