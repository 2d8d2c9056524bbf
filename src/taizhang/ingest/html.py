"""HTML tables to cell grids: what web systems export under a `.xls` name.

Every `<table>` becomes a sheet; `colspan`/`rowspan` become merged ranges, so
a two-row header with group cells reads like the same header in Excel.

Spans are laid out as a browser does, and bounded by the cells actually
present (issue 15): a `rowspan` ends at the table's last row, a `colspan` is
at most 1000 (the browser's limit), and a table whose spans would make a grid
far bigger than its cells (a few KB of `rowspan=1000 colspan=1000`) is
refused with a message before anything that size is allocated.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taizhang.ingest.files import Merged

MAX_GRID_CELLS = 20_000_000  # as extent.MAX_CELLS: the most positions a table may span
SPAN_RATIO = 50  # a grid bigger than this many positions per cell present …
SPAN_FREE_CELLS = 1_000_000  # … and bigger than this is a span bomb
MAX_COLSPAN = 1000  # browsers ignore a larger colspan

Cell = tuple[str, int, int]  # text, rowspan, colspan


class _TableParser(HTMLParser):
    """Collects the cells of each top-level <table>, row by row, with their spans."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[Cell]]] = []
        self._rows: list[list[Cell]] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and self._rows is None:
            self._rows = []
        elif self._rows is not None and tag == "tr":
            self._rows.append([])
        elif self._rows is not None and tag in ("td", "th"):
            a = dict(attrs)
            self._span = (_int(a.get("rowspan"), 65534), _int(a.get("colspan"), MAX_COLSPAN))
            self._cell = []
        elif self._cell is not None and tag == "br":
            self._cell.append("\n")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._rows is None:
            return
        if tag in ("td", "th") and self._cell is not None:
            text = re.sub(r"[ \t\r\f\v]+", " ", "".join(self._cell)).strip()
            if not self._rows:
                self._rows.append([])
            self._rows[-1].append((text, *self._span))
            self._cell = None
        elif tag == "table":
            self.tables.append(self._rows)
            self._rows = None


def _int(value: str | None, most: int) -> int:
    try:
        return max(1, min(int(value or 1), most))
    except ValueError:
        return 1


def _lay_out(rows: list[list[Cell]]) -> tuple[list[list[Any]], list[Merged]]:
    """The grid and merged ranges of a table's cells, placed as a browser
    places them: each cell in the first column of its row not covered by a
    rowspan from above. Raises ValueError (a message for the clerk) when the
    spans would make a grid out of proportion to the cells present."""
    height = len(rows)
    present = sum(len(r) for r in rows)
    free: list[int] = []  # per column: the first row not covered by a span from above
    placed: list[list[tuple[int, str]]] = []
    merged: list[Merged] = []
    work = 0
    for r, cells in enumerate(rows):
        line: list[tuple[int, str]] = []
        c = 0
        for text, rowspan, colspan in cells:
            while c < len(free) and free[c] > r:
                c += 1
            rowspan = min(rowspan, height - r)  # a rowspan ends with the table
            line.append((c, text))
            if rowspan > 1 or colspan > 1:
                merged.append(((r, c), (r + rowspan - 1, c + colspan - 1)))
            if len(free) < c + colspan:
                free.extend([0] * (c + colspan - len(free)))
            free[c:c + colspan] = [max(f, r + rowspan) for f in free[c:c + colspan]]
            c += colspan
            work += colspan
            _check_size(height, len(free), work, present)
        placed.append(line)
    width = len(free)
    _check_size(height, width, height * width, present)
    grid: list[list[Any]] = []
    for line in placed:
        row: list[Any] = [""] * width
        for c, text in line:
            row[c] = text
        grid.append(row)
    return grid, merged


def _check_size(height: int, width: int, work: int, present: int) -> None:
    area = max(height * width, work)
    if area > MAX_GRID_CELLS or (area > SPAN_FREE_CELLS and area > SPAN_RATIO * present):
        raise ValueError(
            f"网页表格的合并单元格（rowspan/colspan）展开后有{area:,}个以上单元格，而表格中只有{present:,}"
            "个单元格，可能是损坏或恶意文件；请在原系统中重新导出，或用Excel打开后另存为.xlsx再发送")


def read_html(text: str) -> list[tuple[str, list[list[Any]], list[Merged]]]:
    """The tables of a page with at least two rows, as (sheet name, grid, merged
    ranges); a table is named by its place on the page (表1, 表2…). Raises
    ValueError with a message when a table's spans are out of proportion."""
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    sheets = []
    for i, rows in enumerate(parser.tables, start=1):
        if len(rows) >= 2:
            grid, merged = _lay_out(rows)
            sheets.append((f"表{i}", grid, merged))
    return sheets
