"""The parse floor of SPEC §10: read every inbox file with the fastest plain
reader and do nothing else (no header detection, no validation, no store).

    python benchmarks/floor.py INBOX

.xlsx/.xlsm/.xls/.et: python-calamine ``CalamineWorkbook.from_path`` and
``to_python()`` for every sheet. .csv/.txt: read the bytes, decode strict
UTF-8 else GB18030, ``csv.reader`` over the text. Prints a JSON summary
(files, sheets, rows, cells) on stdout.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".et"}
TEXT = {".csv", ".txt"}


def parse(path: Path) -> tuple[int, int, int]:
    """(sheets, rows, cells) of one file."""
    suffix = path.suffix.lower()
    if suffix in SPREADSHEETS:
        wb = CalamineWorkbook.from_path(str(path))
        sheets = rows = cells = 0
        for name in wb.sheet_names:
            grid = wb.get_sheet_by_name(name).to_python()
            sheets += 1
            rows += len(grid)
            cells += sum(len(r) for r in grid)
        return sheets, rows, cells
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    grid = list(csv.reader(io.StringIO(text)))
    return 1, len(grid), sum(len(r) for r in grid)


def main(argv: list[str]) -> int:
    root = Path(argv[0])
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SPREADSHEETS | TEXT)
    t0 = time.perf_counter()
    sheets = rows = cells = 0
    for path in files:
        s, r, c = parse(path)
        sheets += s
        rows += r
        cells += c
    summary = {"files": len(files), "sheets": sheets, "rows": rows, "cells": cells,
               "seconds": round(time.perf_counter() - t0, 3)}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
