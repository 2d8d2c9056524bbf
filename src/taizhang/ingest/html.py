"""HTML tables to cell grids: what web systems export under a `.xls` name.

Every `<table>` becomes a sheet; `colspan`/`rowspan` become merged ranges, so
a two-row header with group cells reads like the same header in Excel.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taizhang.ingest.files import Merged


class _TableParser(HTMLParser):
    """Collects <table> cells with colspan/rowspan turned into merged ranges."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[list[Any]], list[Merged]]] = []
        self._grid: list[list[Any]] | None = None
        self._merged: list[Merged] = []
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._taken: set[tuple[int, int]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and self._grid is None:
            self._grid, self._merged, self._taken = [], [], set()
        elif self._grid is not None and tag == "tr":
            self._grid.append([])
        elif self._grid is not None and tag in ("td", "th"):
            a = dict(attrs)
            self._span = (_int(a.get("rowspan")), _int(a.get("colspan")))
            self._cell = []
        elif self._cell is not None and tag == "br":
            self._cell.append("\n")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._grid is None:
            return
        if tag in ("td", "th") and self._cell is not None:
            self._place(re.sub(r"[ \t\r\f\v]+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table":
            width = max((len(r) for r in self._grid), default=0)
            grid = [r + [""] * (width - len(r)) for r in self._grid]
            self.tables.append((grid, self._merged))
            self._grid = None

    def _place(self, text: str) -> None:
        assert self._grid is not None
        if not self._grid:
            self._grid.append([])
        r = len(self._grid) - 1
        row = self._grid[r]
        c = 0
        while (r, c) in self._taken or (c < len(row) and row[c] is not None):
            c += 1
        rows, cols = self._span
        for dr in range(rows):
            for dc in range(cols):
                self._taken.add((r + dr, c + dc))
        while len(row) <= c + cols - 1:
            row.append(None)
        row[c] = text
        for dc in range(1, cols):
            row[c + dc] = ""
        if rows > 1 or cols > 1:
            self._merged.append(((r, c), (r + rows - 1, c + cols - 1)))
        # cells spanned from above are filled when their rows are reached
        for dr in range(1, rows):
            while len(self._grid) <= r + dr:
                self._grid.append([])
            below = self._grid[r + dr]
            while len(below) <= c + cols - 1:
                below.append(None)
            for dc in range(cols):
                below[c + dc] = ""


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def read_html(text: str) -> list[tuple[str, list[list[Any]], list[Merged]]]:
    """The tables of a page with at least two rows, as (sheet name, grid, merged
    ranges); a table is named by its place on the page (表1, 表2…)."""
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    sheets = []
    for i, (grid, merged) in enumerate(parser.tables, start=1):
        clean = [["" if v is None else v for v in row] for row in grid]
        if len(clean) >= 2:
            sheets.append((f"表{i}", clean, merged))
    return sheets
