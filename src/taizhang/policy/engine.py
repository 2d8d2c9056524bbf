"""The due lists for a whole county at once, with numpy (SPEC §5, §10).

`due.py` holds the rules as plain per-person functions: the reference, easy to
read and to test against hand-computed calendars. This module computes the
same lists for everyone together: dates are day ordinals in arrays, regimes
are assigned once per distinct combination of the fields that decide them,
test matching runs test by test over all people at once, and the search for
each release date keeps iterating only over the people still undecided. A
property test (`tests/test_due_fast.py`) checks that both give identical lists
on random ledgers.

People with more test records than `MAX_RECORDS` (rare; they would widen every
padded array) are handed to the reference functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from taizhang.ingest.values import NEGATIVE, PENDING, POSITIVE
from taizhang.policy.model import Policy
from taizhang.policy.reference import (
    LOST,
    RELEASED,
    TRANSFERRED,
    Episode,
    PersonData,
    Reading,
    TestRecord,
    add_state,
    assign_regime,
    build_episode,
    state_on,
)

MAX_RECORDS = 16
NEVER = 10**7  # an ordinal later than any date, also "no date"
RESULT_CODE = {NEGATIVE: 0, POSITIVE: 1, PENDING: 2}
RESULT_NAME = {v: k for k, v in RESULT_CODE.items()}
DATE_COLUMNS = ("arrival_date", "registration_date", "departure_date", "control_start",
                "status_date")
TEXT_COLUMNS = ("name", "id_number", "village", "regime", "category", "risk_level",
                "has_negative_proof", "status")
LISTS = ("tests_due", "tests_overdue", "releases_due", "releases_blocked", "temperature_missing",
         "fever")


@dataclass(slots=True)
class LedgerArrays:
    """People and their records as columns: what the store can hand over
    without building an object per record."""

    text: dict[str, list[str]]  # TEXT_COLUMNS, one entry per person ("" when empty)
    dates: dict[str, np.ndarray]  # DATE_COLUMNS as int ordinals, NEVER when empty
    test_person: np.ndarray  # int index of the person
    test_date: np.ndarray  # int ordinal
    test_result: np.ndarray  # 0 negative, 1 positive, 2 pending
    read_person: np.ndarray
    read_date: np.ndarray
    read_temp: np.ndarray
    read_slot: list[str | None] = field(default_factory=list)
    # readings per person on one day (the day before the evaluation date), when
    # the loader counted them in the database instead of handing over each reading
    day_counts: np.ndarray | None = None
    day_counts_date: int = 0
    person_ids: np.ndarray | None = None  # database ids, when loaded from the store

    @property
    def size(self) -> int:
        return len(self.text["name"])

    @classmethod
    def from_people(cls, people: Sequence[PersonData]) -> LedgerArrays:
        text = {c: [str(p.person.get(c) or "") for p in people] for c in TEXT_COLUMNS}
        dates = {c: np.array([_ordinal(p.person.get(c)) for p in people], dtype=np.int64)
                 for c in DATE_COLUMNS}
        tp = [i for i, p in enumerate(people) for _ in p.tests]
        rp = [i for i, p in enumerate(people) for _ in p.readings]
        return cls(
            text, dates,
            np.array(tp, dtype=np.int64),
            np.array([r.sample_date.toordinal() for p in people for r in p.tests], dtype=np.int64),
            np.array([RESULT_CODE.get(r.result, 2) for p in people for r in p.tests],
                     dtype=np.int8),
            np.array(rp, dtype=np.int64),
            np.array([r.date.toordinal() for p in people for r in p.readings], dtype=np.int64),
            np.array([r.temperature for p in people for r in p.readings], dtype=np.float64),
            [r.slot for p in people for r in p.readings],
        )

    def person_fields(self, i: int) -> dict[str, Any]:
        """One person's ledger values (dates as `date`), without records."""
        person: dict[str, Any] = {c: self.text[c][i] for c in TEXT_COLUMNS}
        for c in DATE_COLUMNS:
            value = int(self.dates[c][i])
            person[c] = date.fromordinal(value) if value != NEVER else None
        return person

    def person_data(self, i: int) -> PersonData:
        """One person back as the reference functions take it."""
        person = self.person_fields(i)
        tests = [TestRecord(date.fromordinal(int(d)), RESULT_NAME[int(r)])
                 for d, r in zip(self.test_date[self.test_person == i],
                                 self.test_result[self.test_person == i], strict=True)]
        mask = self.read_person == i
        readings = [Reading(date.fromordinal(int(d)), self.read_slot[j], float(tv))
                    for j, d, tv in zip(np.flatnonzero(mask), self.read_date[mask],
                                        self.read_temp[mask], strict=True)]
        return PersonData(person, tests, readings)


def _ordinal(value: Any) -> int:
    if isinstance(value, date):
        return value.toordinal()
    if value:
        return date.fromisoformat(str(value)).toordinal()
    return NEVER


def _first(*columns: np.ndarray) -> np.ndarray:
    """Element-wise the first column that has a date."""
    out = columns[-1].copy()
    for col in reversed(columns[:-1]):
        out = np.where(col != NEVER, col, out)
    return out


def due_lists_fast(people: Sequence[PersonData] | LedgerArrays, t: date, policy: Policy,
                   village: str | None = None, engine: _Fast | None = None) -> dict[str, Any]:
    """The six lists of SPEC §6 `due-today`, equal to `due.due_lists`. Pass
    `engine` (a `_Fast` for the same arrays, date and policy) to reuse its work."""
    arrays = people if isinstance(people, LedgerArrays) else LedgerArrays.from_people(people)
    lists: dict[str, Any] = {"date": t.isoformat(), **{k: [] for k in LISTS}}
    if arrays.size:
        (engine or _Fast(arrays, t, policy, village)).fill(lists)
    for key in LISTS:
        lists[key].sort(key=lambda e: (e["village"], e["name"], e["id_number"],
                                       e.get("due_date", ""), e.get("slot") or ""))
    return lists


class _Fast:
    """One evaluation date over all people; arrays are indexed by person."""

    def __init__(self, a: LedgerArrays, t: date, policy: Policy, village: str | None) -> None:
        self.a = a
        self.policy = policy
        self.t = t.toordinal()
        self.early, self.grace = policy.early, policy.grace
        n = a.size
        self.n = n
        self._regimes()
        d = a.dates
        departure_based = self.regime_base[self.regime]
        base = np.where(departure_based,
                        _first(d["departure_date"], d["arrival_date"], d["registration_date"]),
                        _first(d["arrival_date"], d["registration_date"]))
        base = np.where(d["control_start"] != NEVER, d["control_start"], base)
        self.base = base
        arrival = d["arrival_date"]
        self.start = np.where(arrival != NEVER, np.maximum(base, arrival), base)
        self.planned = base + self.regime_days[self.regime]
        self.in_village = np.ones(n, dtype=bool)
        if village is not None:
            self.in_village = np.array([v == village for v in a.text["village"]], dtype=bool)
        self.valid = (base != NEVER) & self.in_village
        self._statuses()
        self._schedule()
        counts = np.bincount(a.test_person, minlength=n) if len(a.test_person) else np.zeros(n, int)
        self.overflow = self.valid & (counts > MAX_RECORDS)
        self.no_dates = (base == NEVER) & self.in_village
        self.fast = self.valid & ~self.overflow
        self._records()

    # ------------------------------------------------------------------ episodes

    def _regimes(self) -> None:
        """Regime per person: assignment once per distinct deciding combination."""
        policy, text = self.policy, self.a.text
        keys = list(policy.regimes)
        index = {k: i for i, k in enumerate(keys)}
        cache: dict[tuple[str, ...], int] = {}
        fields = ("regime", "category", "risk_level", "has_negative_proof")
        out = np.empty(self.n, dtype=np.int64)
        for i, combo in enumerate(zip(*(text[f] for f in fields), strict=True)):
            found = cache.get(combo)
            if found is None:
                regime, _ = assign_regime(dict(zip(fields, combo, strict=True)), policy)
                found = cache[combo] = index[regime.key]
            out[i] = found
        self.regime = out
        self.regime_keys = keys
        regimes = [policy.regimes[k] for k in keys]
        self.regime_base = np.array([r.base == "departure" for r in regimes])
        self.regime_days = np.array([r.days for r in regimes], dtype=np.int64)
        self.regimes = regimes
        self.phase_names: list[str] = []
        self._phase_ends: list[np.ndarray] = []
        self._phase_offset = np.zeros(len(regimes), dtype=np.int64)
        for i, regime in enumerate(regimes):
            self._phase_offset[i] = len(self.phase_names)
            self.phase_names.extend(name for name, _ in regime.phases)
            self._phase_ends.append(np.cumsum([d for _, d in regime.phases]))

    def _statuses(self) -> None:
        """Explicit 已解除/转运 end dates and 失联 dates (a status without a date is ignored)."""
        cache: dict[str, str] = {}
        kinds = []
        for text in self.a.text["status"]:
            found = cache.get(text)
            if found is None:
                found = cache[text] = self.policy.status_kind(text) or ""
            kinds.append(found)
        kind = np.array(kinds)
        status_date = self.a.dates["status_date"]
        dated = status_date != NEVER
        ends = ((kind == RELEASED) | (kind == TRANSFERRED)) & dated
        self.end = np.where(ends, status_date, NEVER)
        self.released_end = (kind == RELEASED) & dated
        self.lost_from = np.where((kind == LOST) & dated, status_date, NEVER)

    def _schedule(self) -> None:
        k = max((len(r.tests) for r in self.regimes), default=0)
        self.k = k
        days = np.zeros((len(self.regimes), max(k, 1)), dtype=np.int64)
        present = np.zeros((len(self.regimes), max(k, 1)), dtype=bool)
        for i, r in enumerate(self.regimes):
            days[i, :len(r.tests)] = sorted(r.tests)
            present[i, :len(r.tests)] = True
        self.test_day = days[self.regime][:, :k]
        due = self.base[:, None] + self.test_day - 1
        self.has_test = present[self.regime][:, :k] & (due >= self.start[:, None])
        self.due = np.where(self.has_test, due, NEVER)
        self.blocks = self.has_test & (self.due < self.planned[:, None])

    def _records(self) -> None:
        """Episode records (from B − early, before an explicit end, dated ≤ t),
        padded per person and sorted by date, as (n, m) arrays."""
        a = self.a
        person = a.test_person
        keep = np.zeros(len(person), dtype=bool)
        if len(person):
            keep = self.fast[person] & (a.test_date >= self.base[person] - self.early) & \
                (a.test_date < self.end[person]) & (a.test_date <= self.t)
        person, day, result = person[keep], a.test_date[keep], a.test_result[keep]
        order = np.lexsort((day, person))
        person, day, result = person[order], day[order], result[order]
        counts = np.bincount(person, minlength=self.n)
        m = max(int(counts.max()) if len(counts) else 0, 1)
        self.rdate = np.full((self.n, m), NEVER, dtype=np.int64)
        self.rres = np.zeros((self.n, m), dtype=np.int8)
        if len(person):
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            slot = np.arange(len(person)) - starts[person]
            self.rdate[person, slot] = day
            self.rres[person, slot] = result

    def phase_codes(self, rows: np.ndarray, day: int) -> np.ndarray:
        """Index into `self.phase_names` of each person's phase on `day` (the
        regime's last phase past day N)."""
        number = day - self.base[rows] + 1
        regime = self.regime[rows]
        codes = np.zeros(len(rows), dtype=np.int64)
        for r_index, ends in enumerate(self._phase_ends):
            sel = regime == r_index
            if sel.any():
                which = np.minimum(np.searchsorted(ends, number[sel], side="left"), len(ends) - 1)
                codes[sel] = self._phase_offset[r_index] + which
        return codes

    def phase_on(self, rows: np.ndarray, day: int) -> list[str]:
        """The phase name of each person in `rows` on `day`."""
        codes = self.phase_codes(rows, day)
        return [self.phase_names[c] for c in codes]

    # ------------------------------------------------------------------ matching

    def match(self, rows: np.ndarray, cut: np.ndarray) -> np.ndarray:
        """Index of the matching record per (person, test), −1 if none, using
        only records dated ≤ cut (one cut date per person in `rows`)."""
        rdate = self.rdate[rows]
        valid = rdate <= cut[:, None]
        used = np.zeros_like(valid)
        due, has = self.due[rows], self.has_test[rows]
        out = np.full((len(rows), self.k), -1, dtype=np.int64)
        index = np.arange(len(rows))
        for j in range(self.k):
            low, high = due[:, j] - self.early, due[:, j] + self.grace
            cand = valid & ~used & (rdate >= low[:, None]) & (rdate <= high[:, None]) & \
                has[:, j][:, None]
            self._take(cand, used, out, j, index)
        for j in range(self.k):
            high = due[:, j] + self.grace
            cand = valid & ~used & (rdate > high[:, None]) & has[:, j][:, None] & \
                (out[:, j] < 0)[:, None]
            self._take(cand, used, out, j, index)
        return out

    @staticmethod
    def _take(cand: np.ndarray, used: np.ndarray, out: np.ndarray, j: int,
              index: np.ndarray) -> None:
        first = cand.argmax(axis=1)
        hit = cand[index, first]
        used[index[hit], first[hit]] = True
        out[hit, j] = first[hit]

    # ------------------------------------------------------------------ release

    def blocking(self, rows: np.ndarray, cut: np.ndarray) -> tuple[np.ndarray, ...]:
        """(missing (n, k), pending (n, k), positive (n,), fever (n,)) on date `cut`."""
        matched = self.match(rows, cut)
        found = matched >= 0
        safe = np.where(found, matched, 0)
        rdate = np.take_along_axis(self.rdate[rows], safe, axis=1)
        rres = np.take_along_axis(self.rres[rows], safe, axis=1)
        blocks = self.blocks[rows]
        missing = blocks & (~found | (rdate >= cut[:, None]))
        pending = blocks & ~missing & (rres == 2)
        known = self.rdate[rows] <= cut[:, None]
        positive = ((self.rres[rows] == 1) & known).any(axis=1)
        fever = self._fever_between(rows, cut - self.policy.fever_lookback, cut - 1)
        return missing, pending, positive, fever

    def _hot(self) -> tuple[np.ndarray, np.ndarray]:
        a = self.a
        hot = a.read_temp >= self.policy.fever_threshold
        return a.read_person[hot], a.read_date[hot]

    def _fever_between(self, rows: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        result = np.zeros(len(rows), dtype=bool)
        person, day = self._hot()
        if not len(person):
            return result
        where = np.full(self.n, -1, dtype=np.int64)
        where[rows] = np.arange(len(rows))
        pos = where[person]
        inside = pos >= 0
        pos, day = pos[inside], day[inside]
        ok = (day >= low[pos]) & (day <= high[pos])
        result[pos[ok]] = True
        return result

    def release_dates(self, explicit_end: bool = True) -> np.ndarray:
        """R per person (NEVER when not released by t), as `due.release_date`.

        With `explicit_end=False` an explicit 已解除 date is ignored and the
        release computed as on the days before it (the search stops at it).
        Computed once per instance and kind."""
        cache = self.__dict__.setdefault("_release_cache", {})
        if explicit_end not in cache:
            cache[explicit_end] = self._release_dates(explicit_end)
        return cache[explicit_end]

    def _release_dates(self, explicit_end: bool) -> np.ndarray:
        release = np.full(self.n, NEVER, dtype=np.int64)
        explicit = self.fast & self.released_end & (self.end <= self.t) & explicit_end
        release[explicit] = self.end[explicit]
        todo = np.flatnonzero(self.fast & ~explicit & (self.planned <= self.t))
        if not len(todo):
            return release
        planned = self.planned[todo][:, None]
        cand = [planned, self.rdate[todo], self.rdate[todo] + 1]
        person, day = self._hot()
        where = np.full(self.n, -1, dtype=np.int64)
        where[todo] = np.arange(len(todo))
        pos = where[person] if len(person) else person
        inside = pos >= 0
        pos, day = pos[inside], day[inside]
        if len(pos):
            counts = np.bincount(pos, minlength=len(todo))
            order = np.argsort(pos, kind="stable")
            pos, day = pos[order], day[order]
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            slot = np.arange(len(pos)) - starts[pos]
            width = int(counts.max())
            enter = np.full((len(todo), width), NEVER, dtype=np.int64)
            leave = np.full((len(todo), width), NEVER, dtype=np.int64)
            enter[pos, slot] = day + 1
            leave[pos, slot] = day + self.policy.fever_lookback + 1
            cand += [enter, leave]
        candidates = np.concatenate(cand, axis=1)
        candidates = np.where((candidates >= planned) & (candidates <= self.t), candidates, NEVER)
        candidates.sort(axis=1)
        local = np.arange(len(todo))
        col = 0
        while len(local) and col < candidates.shape[1]:
            cut = candidates[local, col]
            live = cut < NEVER
            local, cut = local[live], cut[live]
            if not len(local):
                break
            rows = todo[local]
            ended = self.end[rows] <= cut
            missing, pending, positive, fever = self.blocking(rows, cut)
            ok = ~ended & ~missing.any(axis=1) & ~pending.any(axis=1) & ~positive & ~fever
            release[rows[ok]] = cut[ok]
            local = local[~ok & ~ended]
            col += 1
        return release

    # ------------------------------------------------------------------ lists

    def common(self, i: int, day: int | None = None) -> dict[str, Any]:
        text = self.a.text
        return {"id_number": text["id_number"][i], "name": text["name"][i],
                "village": text["village"][i], "regime": self.regime_keys[self.regime[i]],
                "day": int(self.t - self.base[i] + 1) if day is None else day}

    def fill(self, lists: dict[str, Any]) -> None:
        t = self.t
        release = self.release_dates()
        no_control = self.planned <= self.start
        ended = self.end <= t
        a = self.a

        # fever: readings dated t or t − 1 at or above the threshold, unless the
        # episode has explicitly ended
        hot = (a.read_temp >= self.policy.fever_threshold) & (a.read_date >= t - 1) & \
            (a.read_date <= t)
        for idx in np.flatnonzero(hot):
            i = a.read_person[idx]
            if (self.fast[i] or self.no_dates[i]) and not ended[i]:
                entry = self.common(i)
                if self.no_dates[i]:
                    entry["day"] = None  # no usable date, no schedule; the fever still counts
                lists["fever"].append({**entry, "date": _iso(a.read_date[idx]),
                                       "slot": a.read_slot[idx],
                                       "temperature": float(a.read_temp[idx])})

        rows = np.flatnonzero(self.fast & ~no_control & (self.start <= t) & ~ended)
        matched = self.matched_today(rows)
        due, has = self.due[rows], self.has_test[rows]
        open_ = has & (matched < 0)
        due_now = open_ & (due <= t) & (t <= due + self.grace)
        overdue = open_ & (t > due + self.grace)
        for r, j in zip(*np.nonzero(due_now), strict=True):
            lists["tests_due"].append({**self.common(rows[r], int(self.test_day[rows[r], j])),
                                       "due_date": _iso(due[r, j]), "late": bool(t > due[r, j])})
        for r, j in zip(*np.nonzero(overdue), strict=True):
            lists["tests_overdue"].append({**self.common(rows[r], int(self.test_day[rows[r], j])),
                                           "due_date": _iso(due[r, j]),
                                           "days_overdue": int(t - due[r, j])})
        for i in rows[release[rows] == t]:
            lists["releases_due"].append({**self.common(i), "release_date": _iso(t)})
        blocked = rows[(t >= self.planned[rows]) & (release[rows] == NEVER)]
        if len(blocked):
            missing, pending, positive, fever = self.blocking(
                blocked, np.full(len(blocked), t, dtype=np.int64))
            for r, i in enumerate(blocked):
                reasons = []
                for j in range(self.k):
                    if missing[r, j]:
                        reasons.append(f"missing_test:day{self.test_day[i, j]}")
                    elif pending[r, j]:
                        reasons.append(f"pending_result:day{self.test_day[i, j]}")
                if positive[r]:
                    reasons.append("positive")
                if fever[r]:
                    reasons.append("fever")
                if reasons:
                    lists["releases_blocked"].append({
                        **self.common(i), "planned_release_date": _iso(self.planned[i]),
                        "reasons": reasons})
        self._temperature_missing(lists, release, no_control)
        for i in np.flatnonzero(self.overflow):
            data = self.a.person_data(int(i))
            ep = build_episode(data.person, self.policy)
            if isinstance(ep, Episode):
                add_state(lists, state_on(ep, data.tests, data.readings, date.fromordinal(t),
                                          self.policy))

    def matched_today(self, rows: np.ndarray) -> np.ndarray:
        """`match(rows, t)`, computed once for the active rows and reused."""
        cache = self.__dict__.setdefault("_match_cache", {})
        key = rows.tobytes()
        if key not in cache:
            cache[key] = self.match(rows, np.full(len(rows), self.t, dtype=np.int64))
        return cache[key]

    def states(self) -> dict[str, Any]:
        """Per-person arrays for the daily report on t: R, under control, phase,
        lost contact, and the scheduled tests due on t with how many are done.
        Computed once per instance."""
        if "_states" not in self.__dict__:
            self.__dict__["_states"] = self._states()
        return self.__dict__["_states"]

    def _states(self) -> dict[str, Any]:
        t = self.t
        release = self.release_dates()
        no_control = self.planned <= self.start
        ended = self.end <= t
        active = self.fast & ~no_control & (self.start <= t) & ~ended
        controlled = active & (t < release)
        phase = np.full(self.n, -1, dtype=np.int64)
        rows = np.flatnonzero(controlled)
        phase[rows] = self.phase_codes(rows, t)
        due_today = np.zeros(self.n, dtype=np.int64)
        done_today = np.zeros(self.n, dtype=np.int64)
        rows = np.flatnonzero(active)
        if len(rows):
            matched = self.matched_today(rows)
            today = self.has_test[rows] & (self.due[rows] == t)
            due_today[rows] = today.sum(axis=1)
            done_today[rows] = (today & (matched >= 0)).sum(axis=1)
        released_on = np.where(self.released_end & ended, self.end,
                               np.where(active & (release <= t), release, NEVER))
        return {"release": released_on, "controlled": controlled, "phase": phase,
                "phase_names": self.phase_names,
                "lost": controlled & (self.lost_from <= t), "due_today": due_today,
                "done_today": done_today, "start": self.start, "fast": self.fast,
                "overflow": self.overflow}

    def trend(self, days: int) -> tuple[list[str], list[dict[str, int]]]:
        """People under control on each of the last `days` days up to t, by phase.

        Uses R as computed on t: eligibility on a date only looks at records
        up to that date, so a person not released by t was under control on
        every earlier day from S on, and one released on R until R − 1.
        """
        release = self.release_dates(explicit_end=False)
        no_control = self.planned <= self.start
        dates, series = [], []
        for back in range(days - 1, -1, -1):
            x = self.t - back
            rows = np.flatnonzero(self.fast & ~no_control & (self.start <= x) &
                                  ~(self.end <= x) & (x < release))
            codes = self.phase_codes(rows, x)
            counts: dict[str, int] = {}
            for code, n in zip(*np.unique(codes, return_counts=True), strict=True):
                name = self.phase_names[code]
                counts[name] = counts.get(name, 0) + int(n)
            dates.append(_iso(x))
            series.append(counts)
        return dates, series

    def _temperature_missing(self, lists: dict[str, Any], release: np.ndarray,
                             no_control: np.ndarray) -> None:
        t, y = self.t, self.t - 1
        rows = np.flatnonzero(self.fast & ~no_control & (self.start <= t) & ~(self.end <= t) &
                              (y >= self.start) & ~(self.end <= y) & (y < release))
        if not len(rows):
            return
        a = self.a
        if a.day_counts is not None and a.day_counts_date == y:
            counts = a.day_counts
        else:
            counts = np.bincount(a.read_person[a.read_date == y], minlength=self.n)
        rows = rows[counts[rows] < len(self.policy.temperature_slots)]
        phases = self.policy.temperature_phases
        for i, phase in zip(rows, self.phase_on(rows, y), strict=True):
            if phase in phases:
                lists["temperature_missing"].append({**self.common(i), "date": _iso(y),
                                                     "readings": int(counts[i])})


def _iso(ordinal: Any) -> str:
    return date.fromordinal(int(ordinal)).isoformat()
