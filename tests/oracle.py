"""The oracle: SPEC §5 written person by person, as plainly as it reads.

taizhang's implementation of the policy is the vectorised engine in
`taizhang/policy/`. This module is the per-person reference it was checked
against from the start: every function takes one person's ledger values,
test records and readings, the policy and a date. The hand-computed calendars
of `test_due.py` check these rules, and the property tests of
`test_due_fast.py`, `test_report.py` and `test_ledger_due.py` check that the
engine gives the same lists, report numbers and calendars on random ledgers.

Vocabulary: B base date (day 1), N days under control, P = B + N planned
release, S = max(B, arrival) control start, D due date of a scheduled test,
R actual release date (first t ≥ P on which the person is eligible).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from taizhang.ingest.values import PENDING, POSITIVE
from taizhang.outputs.report_numbers import _empty_row, _is_new, assemble, phase_order, report_village
from taizhang.policy.episodes import (
    LOST,
    RELEASED,
    TRANSFERRED,
    PersonData,
    Reading,
    TestRecord,
    assign_regime,
)
from taizhang.policy.model import Policy, Regime

ONE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ScheduledTest:
    day: int  # regime day number k
    due: date  # D = B + (k - 1)
    blocks_release: bool  # D < P


@dataclass(frozen=True, slots=True)
class Episode:
    """One person's control episode as the policy defines it."""

    person: Mapping[str, Any]
    regime: Regime
    regime_reason: str
    base: date  # B
    start: date  # S
    planned_release: date  # P
    tests: tuple[ScheduledTest, ...]
    dropped_tests: tuple[ScheduledTest, ...]  # before S (填平补齐)
    end_kind: str | None = None  # released / transferred (explicit status)
    end_date: date | None = None
    lost_from: date | None = None
    notes: tuple[str, ...] = ()

    @property
    def no_control(self) -> bool:
        """P ≤ S: the days were served elsewhere; no local control (无需管控)."""
        return self.planned_release <= self.start

    def day_number(self, t: date) -> int:
        return (t - self.base).days + 1

    def phase_on(self, t: date) -> str:
        """The phase containing t's day number; past N, the last phase (blocked release)."""
        d = self.day_number(t)
        total = 0
        for name, days in self.regime.phases:
            total += days
            if d <= total:
                return name
        return self.regime.phases[-1][0]

    def ended_by(self, t: date) -> bool:
        """An explicit 已解除/转运 with date ≤ t ends everything from that date."""
        return self.end_date is not None and self.end_date <= t


@dataclass(frozen=True, slots=True)
class EpisodeError:
    """Why no episode can be computed for a person (no usable dates)."""

    person: Mapping[str, Any]
    reason: str


# ------------------------------------------------------------------ assignment


def status_kind(text: Any, policy: Policy) -> str | None:
    """released / transferred / lost / active for a 状态 text; None if unknown."""
    return policy.status_kind(str(text or ""))


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def build_episode(person: Mapping[str, Any], policy: Policy) -> Episode | EpisodeError:
    """Regime, base date, control start, schedule and explicit status of a person."""
    regime, reason = assign_regime(person, policy)
    arrival = _date(person.get("arrival_date"))
    registered = _date(person.get("registration_date"))
    departure = _date(person.get("departure_date"))
    explicit_start = _date(person.get("control_start"))
    if regime.base == "departure":
        base = departure or arrival or registered
    else:
        base = arrival or registered
    if explicit_start is not None:
        base = explicit_start
    if base is None:
        return EpisodeError(person, "没有返乡日期、登记日期或管控开始日期，无法计算")
    start = max(base, arrival) if arrival is not None else base
    planned = base + timedelta(days=regime.days)
    scheduled = [ScheduledTest(k, base + timedelta(days=k - 1),
                               base + timedelta(days=k - 1) < planned) for k in regime.tests]
    tests = tuple(s for s in scheduled if s.due >= start)
    dropped = tuple(s for s in scheduled if s.due < start)
    notes: list[str] = []
    end_kind = end_date = lost_from = None
    kind = status_kind(person.get("status"), policy)
    status_date = _date(person.get("status_date"))
    if kind is None:
        notes.append(f"状态“{person.get('status')}”无法识别，按管控中计算")
    elif kind in (RELEASED, TRANSFERRED, LOST):
        if status_date is None:
            notes.append(f"状态“{person.get('status')}”没有日期，按管控中计算：请补填状态日期")
        elif kind == LOST:
            lost_from = status_date
        else:
            end_kind, end_date = kind, status_date
            if kind == RELEASED and status_date < planned:
                notes.append(f"early_release：{status_date.isoformat()}解除，早于应解除日期"
                             f"{planned.isoformat()}")
    return Episode(person, regime, reason, base, start, planned, tests, dropped, end_kind,
                   end_date, lost_from, tuple(notes))


# ------------------------------------------------------------------ matching


def match_tests(tests: Sequence[ScheduledTest], records: Sequence[TestRecord], early: int,
                grace: int) -> dict[int, TestRecord]:
    """Scheduled test day -> the record that satisfies it (SPEC §5, two passes).

    Pass 1: the earliest unused record in [D − early, D + grace]. Pass 2
    (补检): for a test still unmatched, the earliest unused record after
    D + grace. Each record is used at most once; tests in due-date order.
    """
    ordered = sorted(records, key=lambda r: r.sample_date)
    used: set[int] = set()
    matched: dict[int, TestRecord] = {}
    for test in sorted(tests, key=lambda s: s.due):
        low, high = test.due - timedelta(days=early), test.due + timedelta(days=grace)
        for i, rec in enumerate(ordered):
            if i not in used and low <= rec.sample_date <= high:
                used.add(i)
                matched[test.day] = rec
                break
    for test in sorted(tests, key=lambda s: s.due):
        if test.day in matched:
            continue
        high = test.due + timedelta(days=grace)
        for i, rec in enumerate(ordered):
            if i not in used and rec.sample_date > high:
                used.add(i)
                matched[test.day] = rec
                break
    return matched


def episode_records(ep: Episode, records: Iterable[TestRecord], early: int) -> list[TestRecord]:
    """Records that belong to the episode: sampled from B − early on, before an explicit end."""
    low = ep.base - timedelta(days=early)
    return [r for r in records if r.sample_date >= low
            and (ep.end_date is None or r.sample_date < ep.end_date)]


# ------------------------------------------------------------------ release


def blocking_reasons(ep: Episode, records: Sequence[TestRecord], readings: Sequence[Reading],
                     t: date, policy: Policy) -> list[str]:
    """Why the person cannot be released on t (empty: eligible). Records dated ≤ t only."""
    known = [r for r in records if r.sample_date <= t]
    matched = match_tests(ep.tests, known, policy.early, policy.grace)
    reasons: list[str] = []
    for test in ep.tests:
        if not test.blocks_release:
            continue
        rec = matched.get(test.day)
        if rec is None or rec.sample_date >= t:
            reasons.append(f"missing_test:day{test.day}")
        elif rec.result == PENDING:
            reasons.append(f"pending_result:day{test.day}")
    if any(r.result == POSITIVE for r in known):
        reasons.append("positive")
    window_low = t - timedelta(days=policy.fever_lookback)
    if any(window_low <= r.date <= t - ONE and r.temperature >= policy.fever_threshold
           for r in readings):
        reasons.append("fever")
    return reasons


def release_date(ep: Episode, records: Sequence[TestRecord], readings: Sequence[Reading],
                 until: date, policy: Policy) -> date | None:
    """R: the first t in [P, until] on which the person is eligible; an explicit
    已解除 date X ≤ `until` is the release date; before X (and before a 转运
    date) the release is computed as usual. None if not released by `until`.

    Eligibility only changes on a record's date (it becomes known) and the day
    after (it was sampled before t), and on the days a fever reading enters
    and leaves the look-back window; so only P and those dates are tried.
    """
    if ep.end_kind == RELEASED and ep.end_date is not None and ep.end_date <= until:
        return ep.end_date
    planned = ep.planned_release
    if planned > until:
        return None
    lookback = timedelta(days=policy.fever_lookback)
    candidates = {planned}
    for r in records:
        candidates.add(r.sample_date)
        candidates.add(r.sample_date + ONE)
    for r in readings:
        if r.temperature >= policy.fever_threshold:
            candidates.add(r.date + ONE)
            candidates.add(r.date + lookback + ONE)
    for t in sorted(c for c in candidates if planned <= c <= until):
        if ep.ended_by(t):
            return None
        if not blocking_reasons(ep, records, readings, t, policy):
            return t
    return None


# ------------------------------------------------------------------ a person on a date


@dataclass(slots=True)
class DueTest:
    test: ScheduledTest
    late: bool = False
    days_overdue: int = 0


@dataclass(slots=True)
class PersonState:
    """Everything SPEC §6 lists about one person on one date."""

    episode: Episode
    date: date
    under_control: bool = False
    phase: str | None = None
    lost: bool = False
    released_on: date | None = None  # R if R ≤ date (computed or explicit)
    tests_due: list[DueTest] = field(default_factory=list)
    tests_overdue: list[DueTest] = field(default_factory=list)
    tests_done_today: int = 0
    tests_due_today: int = 0
    release_due: bool = False
    blocked: list[str] = field(default_factory=list)
    temperature_missing: int | None = None  # readings on t − 1 when fewer than expected
    fevers: list[Reading] = field(default_factory=list)


def state_on(ep: Episode, records: Sequence[TestRecord], readings: Sequence[Reading], t: date,
             policy: Policy) -> PersonState:
    """The person's duties and standing on date t, using only records dated ≤ t."""
    st = PersonState(ep, t)
    if not ep.ended_by(t):  # after an explicit end nothing of the episode is listed
        st.fevers = [r for r in readings if t - ONE <= r.date <= t
                     and r.temperature >= policy.fever_threshold]
    if ep.no_control or t < ep.start or ep.ended_by(t):
        if ep.end_kind == RELEASED and ep.ended_by(t):
            st.released_on = ep.end_date
        return st
    own = episode_records(ep, records, policy.early)
    known = [r for r in own if r.sample_date <= t]
    released = release_date(ep, own, readings, t, policy)
    st.released_on = released
    st.under_control = released is None or t < released
    if st.under_control:
        st.phase = ep.phase_on(t)
        st.lost = ep.lost_from is not None and ep.lost_from <= t
    matched = match_tests(ep.tests, known, policy.early, policy.grace)
    grace = timedelta(days=policy.grace)
    for test in ep.tests:
        if test.due == t:
            st.tests_due_today += 1
            if test.day in matched:
                st.tests_done_today += 1
        if test.day in matched:
            continue
        if test.due <= t <= test.due + grace:
            st.tests_due.append(DueTest(test, late=t > test.due))
        elif t > test.due + grace:
            st.tests_overdue.append(DueTest(test, days_overdue=(t - test.due).days))
    if released == t:
        st.release_due = True
    elif t >= ep.planned_release and released is None:
        st.blocked = blocking_reasons(ep, own, readings, t, policy)
    yesterday = t - ONE
    controlled_yesterday = (
        yesterday >= ep.start and not ep.ended_by(yesterday)
        and (released is None or yesterday < released)
    )
    if controlled_yesterday and ep.phase_on(yesterday) in policy.temperature_phases:
        count = len({(r.slot or str(i)) for i, r in enumerate(readings) if r.date == yesterday})
        if count < len(policy.temperature_slots):
            st.temperature_missing = count
    return st


# ------------------------------------------------------------------ lists


def common(ep: Episode, t: date) -> dict[str, Any]:
    p = ep.person
    return {"id_number": p.get("id_number") or "", "name": p.get("name") or "",
            "village": p.get("village") or "", "regime": ep.regime.key,
            "day": ep.day_number(t)}


def due_lists(people: Iterable[PersonData], t: date, policy: Policy,
              village: str | None = None) -> dict[str, Any]:
    """The six lists of SPEC §6 `due-today` for date t (unmasked; callers mask)."""
    lists: dict[str, Any] = {"date": t.isoformat(), "tests_due": [], "tests_overdue": [],
                             "releases_due": [], "releases_blocked": [],
                             "temperature_missing": [], "fever": []}
    for data in people:
        if village is not None and (data.person.get("village") or "") != village:
            continue
        ep = build_episode(data.person, policy)
        if isinstance(ep, EpisodeError):
            # no usable dates: no schedule, but a fever is never left out
            regime, _ = assign_regime(data.person, policy)
            p = data.person
            ended = _date(p.get("status_date"))
            if status_kind(p.get("status"), policy) in (RELEASED, TRANSFERRED) and \
                    ended is not None and ended <= t:
                continue
            for r in data.readings:
                if t - ONE <= r.date <= t and r.temperature >= policy.fever_threshold:
                    lists["fever"].append({
                        "id_number": p.get("id_number") or "", "name": p.get("name") or "",
                        "village": p.get("village") or "", "regime": regime.key, "day": None,
                        "date": r.date.isoformat(), "slot": r.slot, "temperature": r.temperature})
            continue
        st = state_on(ep, data.tests, data.readings, t, policy)
        add_state(lists, st)
    for key in ("tests_due", "tests_overdue", "releases_due", "releases_blocked",
                "temperature_missing", "fever"):
        lists[key].sort(key=lambda e: (e["village"], e["name"], e["id_number"],
                                       e.get("due_date", ""), e.get("slot") or ""))
    return lists


def add_state(lists: dict[str, Any], st: PersonState) -> None:
    ep, t = st.episode, st.date
    for due in st.tests_due:
        lists["tests_due"].append({**common(ep, t), "day": due.test.day,
                                   "due_date": due.test.due.isoformat(), "late": due.late})
    for due in st.tests_overdue:
        lists["tests_overdue"].append({**common(ep, t), "day": due.test.day,
                                       "due_date": due.test.due.isoformat(),
                                       "days_overdue": due.days_overdue})
    if st.release_due:
        lists["releases_due"].append({**common(ep, t), "release_date": t.isoformat()})
    if st.blocked:
        lists["releases_blocked"].append({**common(ep, t),
                                          "planned_release_date": ep.planned_release.isoformat(),
                                          "reasons": st.blocked})
    if st.temperature_missing is not None:
        lists["temperature_missing"].append({**common(ep, t), "date": (t - ONE).isoformat(),
                                             "readings": st.temperature_missing})
    for reading in st.fevers:
        lists["fever"].append({**common(ep, t), "date": reading.date.isoformat(),
                               "slot": reading.slot, "temperature": reading.temperature})


# ------------------------------------------------------------------ calendar


def calendar(data: PersonData, t: date, policy: Policy) -> dict[str, Any]:
    """A person's calendar up to t: regime, days, phases, scheduled tests and the
    records that satisfied them, the release date or why it is blocked."""
    ep = build_episode(data.person, policy)
    if isinstance(ep, EpisodeError):
        return {"error": ep.reason}
    own = episode_records(ep, data.tests, policy.early)
    known = [r for r in own if r.sample_date <= t]
    matched = match_tests(ep.tests, known, policy.early, policy.grace)
    released = release_date(ep, own, data.readings, t, policy)
    st = state_on(ep, data.tests, data.readings, t, policy)
    end = released or ep.end_date
    last = end if end is not None else max(ep.planned_release, t)
    days = []
    day = ep.base
    while day <= last and len(days) < 120:
        controlled = ep.start <= day and (end is None or day < end) and not ep.no_control
        days.append({"date": day.isoformat(), "day": ep.day_number(day),
                     "phase": ep.phase_on(day) if controlled else None})
        day += ONE
    return {
        "regime": ep.regime.key, "regime_name": ep.regime.name, "regime_reason": ep.regime_reason,
        "base_date": ep.base.isoformat(), "control_start": ep.start.isoformat(),
        "days": ep.regime.days, "planned_release_date": ep.planned_release.isoformat(),
        "no_control": ep.no_control,
        "tests": [{"day": s.day, "due_date": s.due.isoformat(), "blocks_release": s.blocks_release,
                   "record": ({"sample_date": matched[s.day].sample_date.isoformat(),
                               "result": matched[s.day].result} if s.day in matched else None)}
                  for s in ep.tests],
        "dropped_tests": [{"day": s.day, "due_date": s.due.isoformat()} for s in ep.dropped_tests],
        "release_date": released.isoformat() if released else None,
        "blocked_reasons": st.blocked,
        "status": ep.end_kind or ("lost" if st.lost else ("under_control" if st.under_control
                                                         else "not_under_control")),
        "end_date": ep.end_date.isoformat() if ep.end_date else None,
        "lost_from": ep.lost_from.isoformat() if ep.lost_from else None,
        "notes": list(ep.notes),
        "calendar": days,
    }




# ------------------------------------------------------------------ the daily report's numbers


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


def report_numbers_reference(people: Sequence[PersonData], t: date, policy: Policy,
                             township: str = "", villages: Sequence[str] = (),
                             submitted: Iterable[str] = ()) -> dict[str, Any]:
    """The daily report numbers, person by person (the reference)."""
    rows: dict[str, dict[str, Any]] = {}
    lists = due_lists(people, t, policy)
    for data in people:
        village = report_village(data.person.get("village") or "", villages)
        row = rows.setdefault(village, _empty_row(village))
        if _is_new(data.person, t):
            row["new_registrations"] += 1
        row["positives"] += any(r.result == "positive" and t - ONE <= r.sample_date <= t
                                for r in data.tests)
        if any(t - ONE <= r.date <= t and r.temperature >= policy.fever_threshold
               for r in data.readings):
            row["fever"] += 1
        ep = build_episode(data.person, policy)
        if not isinstance(ep, Episode):
            continue
        st = state_on(ep, data.tests, data.readings, t, policy)
        _count_state(row, st, t)
        own = episode_records(ep, data.tests, policy.early)
        if st.under_control and any(r.result == "positive" and r.sample_date <= t for r in own):
            row["positive_under_control"] = row.get("positive_under_control", 0) + 1
    for entry in lists["tests_overdue"]:
        village = report_village(entry["village"], villages)
        rows.setdefault(village, _empty_row(village))["tests_overdue"] += 1
    return assemble(rows, t, township, villages, submitted, phase_order(policy))


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


