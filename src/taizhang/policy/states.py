"""Each person's standing on the report date, and people under control per day.

The daily report counts these (`outputs/report_numbers.py`): the release
date, whether the person is under control and in which phase, lost contact,
and the scheduled tests due on the date with how many are done. Computed by
the engine for everyone at once, the heavy people (`Engine.heavy`) by their
own engine and merged back in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from taizhang.policy.arrays import NEVER, iso
from taizhang.policy.engine import Engine

PER_PERSON = ("release", "controlled", "phase", "lost", "due_today", "done_today", "start", "fast",
              "positive")


def states(eng: Engine) -> dict[str, Any]:
    """Per-person arrays on the engine's date: `release` (R, or an explicit
    已解除 date, NEVER if neither by then), `controlled`, `phase` (an index
    into `phase_names`, −1 when not under control), `lost`, `due_today`,
    `done_today`, `start`, `fast` (the person has a schedule) and `positive`
    (a positive record of the episode sampled by then).
    Computed once per engine."""
    if "states" not in eng.cache:
        found = _states(eng)
        if eng.heavy is not None:
            rows, sub = eng.heavy
            theirs = states(sub)
            for key in PER_PERSON:
                found[key][rows] = theirs[key]
        eng.cache["states"] = found
    return eng.cache["states"]


def trend(eng: Engine, days: int) -> tuple[list[str], list[dict[str, int]]]:
    """People under control on each of the last `days` days up to the engine's
    date, by phase name (heavy people included)."""
    dates, series = _trend(eng, days)
    if eng.heavy is not None:
        for counts, theirs in zip(series, _trend(eng.heavy[1], days)[1], strict=True):
            for phase, n in theirs.items():
                counts[phase] = counts.get(phase, 0) + n
    return dates, series


def _states(eng: Engine) -> dict[str, Any]:
    t = eng.t
    release = eng.release_dates()
    no_control = eng.planned <= eng.start
    ended = eng.end <= t
    active = eng.fast & ~no_control & (eng.start <= t) & ~ended
    controlled = active & (t < release)
    phase = np.full(eng.n, -1, dtype=np.int64)
    rows = np.flatnonzero(controlled)
    phase[rows] = eng.phase_codes(rows, t)
    due_today = np.zeros(eng.n, dtype=np.int64)
    done_today = np.zeros(eng.n, dtype=np.int64)
    rows = np.flatnonzero(active)
    if len(rows):
        matched = eng.matched_today(rows)
        today = eng.has_test[rows] & (eng.due[rows] == t)
        due_today[rows] = today.sum(axis=1)
        done_today[rows] = (today & (matched >= 0)).sum(axis=1)
    released_on = np.where(eng.released_end & ended, eng.end,
                           np.where(active & (release <= t), release, NEVER))
    positive = eng.fast & ((eng.rres == 1) & (eng.rdate <= t)).any(axis=1)
    return {"release": released_on, "controlled": controlled, "phase": phase, "positive": positive,
            "phase_names": eng.phase_names,
            "lost": controlled & (eng.lost_from <= t), "due_today": due_today,
            "done_today": done_today, "start": eng.start.copy(), "fast": eng.fast.copy()}


def _trend(eng: Engine, days: int) -> tuple[list[str], list[dict[str, int]]]:
    """People under control on each of the last `days` days up to t, by phase.

    Uses R as computed on t: eligibility on a date only looks at records
    up to that date, so a person not released by t was under control on
    every earlier day from S on, and one released on R until R − 1.

    Counted for all days at once: each person adds one to their phase over
    the days of the window the phase and their control overlap (a running
    sum over the days), instead of the phases of everyone day by day (a
    county's report: 30 passes over 200,000 people).
    """
    release = eng.release_dates(explicit_end=False)
    first, last = eng.t - days + 1, eng.t
    # controlled on x: from S on, before the end and before R (`_states`)
    low = np.maximum(eng.start, first)
    high = np.minimum(np.minimum(eng.end, release), last + 1)
    rows = np.flatnonzero(eng.fast & ~(eng.planned <= eng.start) & (low < high))
    steps = np.zeros((len(eng.phase_names) or 1, days + 1), dtype=np.int64)
    for start, stop, code in eng.phase_spans(rows, low[rows], high[rows]):
        keep = start < stop
        np.add.at(steps[code], start[keep] - first, 1)
        np.add.at(steps[code], stop[keep] - first, -1)
    totals = np.cumsum(steps[:, :days], axis=1)
    dates, series = [], []
    for day in range(days):
        counts: dict[str, int] = {}
        for code in np.flatnonzero(totals[:, day]).tolist():
            name = eng.phase_names[code]
            counts[name] = counts.get(name, 0) + int(totals[code, day])
        dates.append(iso(first + day))
        series.append(counts)
    return dates, series
