"""The plain rows of a wide 体温监测表, read for the whole sheet at once.

A county's 5 million readings come in wide sheets: a row per person, a
column per day and slot. Nearly every row holds only numbers in the range
a thermometer shows, or empty cells. Those rows are read here with numpy,
all rows of the sheet in a few array operations, and packed as the store
keeps them (`packed.pack`); one row at a time in Python they were the
biggest part of validating a county (issue 18: about 60 µs a row).

Every other row — a cell with text (`36.5℃`, `正常`), an integer, a date, a
temperature out of range, a value with more than one decimal — is left to
`TemperatureSheet.row`, which reads it cell by cell and reports what is
wrong, as before. The result is the same `TempRow` either way (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from taizhang.ingest.packed import SLOT_LETTERS
from taizhang.ingest.values import TEMP_MAX, TEMP_MIN

_type = np.frompyfunc(type, 1, 1)


@dataclass(slots=True)
class PlainRow:
    """A wide row read here: its readings as `TempRow` keeps them, and packed."""

    days: list[int]
    slots: list[str | None]
    temps: list[float]
    labels: list[str]
    packed: tuple[int, int, int, bytes, str, bytes] | None
    filled: bool  # any cell holds a reading (also one under a header without a date)


def plain_rows(grid: Sequence[Sequence[Any]], rows: Sequence[int],
               cells_of: Callable[[Sequence[Any]], tuple[Any, ...]],
               days: Sequence[int | None], slots: Sequence[str | None], labels: Sequence[str],
               lists: bool = True) -> dict[int, PlainRow]:
    """The rows of `rows` (grid indices) whose wide cells (`cells_of(row)`, a
    tuple with the columns' `days`, `slots` and `labels`) are all empty or
    plain readings, by grid index. Without `lists` only what the store keeps
    is made (`packed`, `filled`): a reader process sends nothing else."""
    width = len(days)
    if not rows or not width or any(s not in SLOT_LETTERS for s in slots):
        return {}
    values, number, empty = _grid_values([cells_of(grid[r]) for r in rows], width)
    with np.errstate(invalid="ignore"):
        reading = number & (values >= TEMP_MIN) & (values <= TEMP_MAX)
    tenths = np.rint(values * 10)
    # one decimal, as typed: round(x, 1) and these tenths agree (more decimals go cell by cell)
    reading &= np.abs(values * 10 - tenths) < 1e-6
    plain = ~(~reading & ~empty).any(axis=1)
    dated = np.array([d is not None for d in days], dtype=bool)
    kept = reading & dated & plain[:, None]  # row-major: each row's readings in column order
    counts = kept.sum(axis=1)
    cumulative = np.cumsum(counts)
    ends = cumulative.tolist()
    column = np.broadcast_to(np.arange(width), kept.shape)[kept]
    day_values = np.array([d if d is not None else 0 for d in days], dtype="<i4")[column]
    tenth_values = tenths[kept].astype("<i2")
    day_bytes, tenth_bytes = day_values.tobytes(), tenth_values.tobytes()
    # each row's slot letters, first and last day: cut from the sheet's, made in numpy
    letters = np.frombuffer("".join(SLOT_LETTERS[s] for s in slots).encode("ascii"),
                            dtype=np.uint8)[column].tobytes().decode("ascii")
    firsts = np.zeros(len(rows), dtype=np.int64)
    lasts = np.zeros(len(rows), dtype=np.int64)
    some = counts > 0
    if some.any():
        starts = (cumulative - counts)[some]  # each row's first reading
        firsts[some] = np.minimum.reduceat(day_values, starts)
        lasts[some] = np.maximum.reduceat(day_values, starts)
    first_days, last_days = firsts.tolist(), lasts.tolist()
    if lists:
        flat_days = day_values.tolist()
        flat_temps = (tenth_values / 10.0).tolist()
        flat_columns = column.tolist()
    filled = reading.any(axis=1).tolist()
    out: dict[int, PlainRow] = {}
    start = 0
    for i, (r, is_plain, end) in enumerate(zip(rows, plain.tolist(), ends, strict=True)):
        if not is_plain:
            start = end
            continue
        packed = (end - start, first_days[i], last_days[i], day_bytes[4 * start:4 * end],
                  letters[start:end], tenth_bytes[2 * start:2 * end]) if end > start else None
        if lists:
            cols = flat_columns[start:end]
            out[r] = PlainRow(flat_days[start:end], [slots[c] for c in cols], flat_temps[start:end],
                              [labels[c] for c in cols], packed, filled[i])
        else:
            out[r] = PlainRow([], [], [], [], packed, filled[i])
        start = end
    return out


_EMPTY = {"": np.nan, None: np.nan}  # an empty cell, as calamine gives it or past a row's end


def _grid_values(cells: list[tuple[Any, ...]], width: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells as numbers (NaN for anything else), which are numbers (`float`:
    not an integer, a date or text) and which are empty. A sheet of only
    numbers and empty cells, nearly every one, is converted in C; any other
    cell makes it go cell by cell (by type, in numpy's object arrays)."""
    flat = list(chain.from_iterable(cells))
    mapped = list(map(_EMPTY.get, flat, flat))
    if set(map(type, mapped)) <= {float}:
        values = np.array(mapped, dtype=np.float64).reshape(len(cells), width)
        number = ~np.isnan(values)
        # (a NaN a cell held itself is a number no thermometer shows, not an empty cell)
        if int(number.size - number.sum()) == flat.count("") + flat.count(None):
            return values, number, ~number
    grid = np.empty((len(cells), width), dtype=object)
    grid[:] = cells
    kinds = _type(grid)
    number = np.equal(kinds, float).astype(bool)
    values = np.where(number, grid, np.nan).astype(np.float64)
    empty = np.equal(kinds, type(None)).astype(bool) | np.equal(grid, "").astype(bool)
    return values, number, empty
