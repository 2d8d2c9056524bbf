"""The plain rows of a wide 体温监测表, read for the whole sheet at once
(`ingest.wide_readings`): against readings packed one row at a time by hand.

A sheet of numbers and empty cells (what calamine gives a county's sheets) is
converted in C; any other cell — an integer, a NaN, text — sends the sheet
through numpy's object arrays, where only that cell's row stops being plain.
A reader process asks for the packed readings only (`lists=False`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from taizhang.ingest.packed import pack
from taizhang.ingest.wide_readings import plain_rows

D1, D2 = date(2022, 2, 1).toordinal(), date(2022, 2, 2).toordinal()
# four columns: 2月1日上午, 2月1日下午, 2月2日上午, and one whose header had no date
DAYS = [D1, D1, D2, None]
SLOTS = ["上午", "下午", "上午", None]
LABELS = ["2月1日上午", "2月1日下午", "2月2日上午", "备用"]


def read(grid: list[list[Any]], lists: bool = True) -> dict[int, tuple[Any, ...]]:
    def cells_of(row: list[Any]) -> tuple[Any, ...]:
        return tuple(row[i] if i < len(row) else None for i in range(4))

    found = plain_rows(grid, list(range(len(grid))), cells_of, DAYS, SLOTS, LABELS, lists=lists)
    return {r: (p.days, p.slots, p.temps, p.labels, p.packed, p.filled) for r, p in found.items()}


def expected(cols: list[int], temps: list[float], filled: bool = True) -> tuple[Any, ...]:
    days = [DAYS[c] for c in cols]
    slots = [SLOTS[c] for c in cols]
    return (days, slots, temps, [LABELS[c] for c in cols],
            pack(days, slots, temps) if cols else None, filled)  # type: ignore[arg-type]


PLAIN = [
    [36.5, 36.6, 36.4, ""],
    ["", 37.3, "", ""],
    [36.8],  # a short row: the rest past its end
    ["", "", "", 36.6],  # a reading under a header without a date: filled, nothing kept
    ["", "", "", ""],
]
PLAIN_ROWS = {
    0: expected([0, 1, 2], [36.5, 36.6, 36.4]),
    1: expected([1], [37.3]),
    2: expected([0], [36.8]),
    3: expected([], [], filled=True),
    4: expected([], [], filled=False),
}


def test_a_sheet_of_numbers_and_empty_cells() -> None:
    assert read(PLAIN) == PLAIN_ROWS


@pytest.mark.parametrize("odd", [37, float("nan"), "36.5℃", True, 43.5, 33.9, 36.55])
def test_an_odd_cell_takes_its_row_out_and_leaves_the_others(odd: Any) -> None:
    """An integer, a NaN, text, a bool, a temperature out of range or with two
    decimals: that row is read cell by cell (`TemperatureSheet.row`); the
    other rows read as in a sheet without it."""
    grid = [row[:] for row in PLAIN]
    grid.insert(2, [36.5, odd, "", ""])
    found = read(grid)
    assert 2 not in found
    assert {r - (r > 2): v for r, v in found.items()} == PLAIN_ROWS


@pytest.mark.parametrize("grid", [PLAIN, [*PLAIN, [36.5, "36.5℃", "", ""]]])
def test_a_reader_process_gets_the_packed_readings_only(grid: list[list[Any]]) -> None:
    with_lists, packed_only = read(grid), read(grid, lists=False)
    assert packed_only.keys() == with_lists.keys()
    for r, (days, slots, temps, labels, packed, filled) in packed_only.items():
        assert (days, slots, temps, labels) == ([], [], [], [])
        assert (packed, filled) == with_lists[r][4:]
