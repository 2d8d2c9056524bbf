"""The rules of SPEC §5 for everyone at once: episodes, schedules, test matching, release.

This is taizhang's one implementation of the policy. Dates are day ordinals
in arrays, regimes are assigned once per distinct combination of the fields
that decide them, test matching runs test by test over all people at once,
and the search for each release date keeps iterating only over the people
still undecided. `due.py` turns an engine into the due lists, `states.py`
into the daily report's per-person states and trend, `calendar.py` into one
person's calendar. The per-person rules as first written (the reference) are
kept under `tests/oracle.py`, where property tests check that both agree on
random ledgers.

Vocabulary: B base date (day 1), N days under control, P = B + N planned
release, S = max(B, arrival) control start, D due date of a scheduled test,
R actual release date (first t ≥ P on which the person is eligible).

Test records are held as padded (people × records) arrays, as wide as the
person with most records. People with more than `MAX_RECORDS` records (rare:
they would widen every padded array) are computed by a second engine over
just them (`Engine.heavy`), with the same rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from taizhang.policy.arrays import NEVER, LedgerArrays
from taizhang.policy.episodes import LOST, RELEASED, TRANSFERRED, assign_regime
from taizhang.policy.model import Policy

MAX_RECORDS = 16


def _first(*columns: np.ndarray) -> np.ndarray:
    """Element-wise the first column that has a date."""
    out = columns[-1].copy()
    for col in reversed(columns[:-1]):
        out = np.where(col != NEVER, col, out)
    return out


class Engine:
    """One evaluation date over all people; arrays are indexed by person."""

    def __init__(self, a: LedgerArrays, t: date, policy: Policy, village: str | None = None,
                 max_records: int | None = MAX_RECORDS) -> None:
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
        self.overflow = self.valid & (counts > (max_records or counts.max(initial=0)))
        self.no_dates = (base == NEVER) & self.in_village
        self.fast = self.valid & ~self.overflow
        self._records()
        self.cache: dict[Any, Any] = {}  # results the lists, states and trend share

    @property
    def heavy(self) -> tuple[np.ndarray, Engine] | None:
        """The people with more than `max_records` records, and an engine over just them."""
        rows = np.flatnonzero(self.overflow)
        if not len(rows):
            return None
        if "heavy" not in self.cache:
            self.cache["heavy"] = (rows, Engine(self.a.subset(rows), date.fromordinal(self.t),
                                                self.policy, None, max_records=None))
        return self.cache["heavy"]

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
        self.scheduled = present[self.regime][:, :k]  # before 填平补齐 drops tests before S
        self.has_test = self.scheduled & (due >= self.start[:, None])
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

    def phase_spans(self, rows: np.ndarray, low: np.ndarray, high: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray, int]]:
        """The days of [low, high) each person of `rows` spends in each phase,
        as (first day, day after, phase code) arrays per phase: `phase_codes`
        for a span of days at once (a phase holds day numbers (ends[k-1],
        ends[k]], the days [ends[k-1] + base, ends[k] + base)). Empty spans
        have first day ≥ day after."""
        base, regime = self.base[rows], self.regime[rows]
        spans: list[tuple[np.ndarray, np.ndarray, int]] = []
        placed = np.zeros(len(rows), dtype=bool)
        for r_index, ends in enumerate(self._phase_ends):
            sel = regime == r_index
            if not sel.any():
                continue
            placed |= sel
            lo, hi, b = low[sel], high[sel], base[sel]
            for k in range(len(ends)):
                start = lo if k == 0 else np.maximum(lo, ends[k - 1] + b)
                stop = hi if k == len(ends) - 1 else np.minimum(hi, ends[k] + b)
                spans.append((start, stop, int(self._phase_offset[r_index]) + k))
        if not placed.all():  # a regime without phases: code 0, as `phase_codes` leaves it
            spans.append((low[~placed], high[~placed], 0))
        return spans

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
        key = ("release", explicit_end)
        if key not in self.cache:
            known = self.cache.get(("release", True))
            if not explicit_end and known is not None:
                # the same but for those with an explicit date: only they are searched
                # (the report's trend after its numbers: a county's search done once)
                explicit = self.fast & self.released_end & (self.end <= self.t)
                release = known.copy()
                release[explicit] = NEVER
                searched = self._release_dates(False, explicit)
                release[explicit] = searched[explicit]
                self.cache[key] = release
            else:
                self.cache[key] = self._release_dates(explicit_end)
        return self.cache[key]

    def _release_dates(self, explicit_end: bool, among: np.ndarray | None = None) -> np.ndarray:
        """R of every person, or (`among`, a mask) of those only, NEVER for the rest:
        each person's search looks at their own records only."""
        release = np.full(self.n, NEVER, dtype=np.int64)
        explicit = self.fast & self.released_end & (self.end <= self.t) & explicit_end
        release[explicit] = self.end[explicit]
        wanted = self.fast & ~explicit & (self.planned <= self.t)
        todo = np.flatnonzero(wanted if among is None else wanted & among)
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

    # ------------------------------------------------------------------ shared by the lists

    def common(self, i: int, day: int | None = None) -> dict[str, Any]:
        text = self.a.text
        return {"id_number": text["id_number"][i], "name": text["name"][i],
                "village": text["village"][i], "regime": self.regime_keys[self.regime[i]],
                "day": int(self.t - self.base[i] + 1) if day is None else day}

    def matched_today(self, rows: np.ndarray) -> np.ndarray:
        """`match(rows, t)`, computed once for the active rows and reused."""
        key = ("match", rows.tobytes())
        if key not in self.cache:
            self.cache[key] = self.match(rows, np.full(len(rows), self.t, dtype=np.int64))
        return self.cache[key]

