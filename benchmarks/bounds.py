"""Lower bounds of an import, measured beside it (issue 18).

Two parts of an import can each be measured alone, and the import can be no
faster than either:

- `readers` (readers.py): every file read and validated by the import's own
  reader processes, nothing stored — the reading side with a free merge;
- `store-floor` (store_floor.py): SQLite alone writing every row the import
  stored, ready-made, in one transaction — the single writer with nothing
  else to do.

Set against the parse floor they say how far any change to the other side
can take `import / floor`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
# instruments, not taizhang's steps: no SPEC target is read off them
BOUND_STEPS = frozenset({"readers", "readers-day2", "store-floor"})
Measure = Callable[..., dict]


def measure_readers(measure: Measure, name: str, inbox: Path, config: Path, as_of: str,
                    logs: Path, timeout: float | None) -> dict:
    step = measure(name, [sys.executable, str(HERE / "readers.py"), str(inbox), str(config), as_of],
                   logs, timeout)
    try:
        r = json.loads(Path(step["stdout"]).read_text(encoding="utf-8"))
        step["note"] = (f"{r['files']} files read and validated by {r['jobs']} reader processes, "
                        f"{r['rows']:,} rows, nothing stored")
    except (OSError, ValueError, KeyError):
        step["note"] = "no summary"
    return step


def measure_store(measure: Measure, name: str, db: Path, logs: Path, timeout: float | None) -> dict:
    step = measure(name, [sys.executable, str(HERE / "store_floor.py"), str(db)], logs, timeout)
    try:
        s = json.loads(Path(step["stdout"]).read_text(encoding="utf-8"))
        step["store_cpu"] = s["cpu_seconds"]
        step["note"] = (f"SQLite writing the import's {s['rows']:,} rows, one transaction: "
                        f"{s['cpu_seconds']:.2f} CPU-s (fetching them not counted)")
    except (OSError, ValueError, KeyError):
        step["note"] = "no summary"
    return step


def bound_lines(by: dict[str, dict]) -> list[str]:
    """`readers / floor` and `store writes / floor`, for each day measured."""
    out = []
    for readers, floor in (("readers", "floor"), ("readers-day2", "floor-day2")):
        r, f = by.get(readers), by.get(floor)
        if r and f and f["seconds"] > 0 and not r["timeout"]:
            out.append(f"{readers} / {floor} = {r['seconds']:.2f} / {f['seconds']:.2f} = "
                       f"**{r['seconds'] / f['seconds']:.2f}×** (the reading side alone: "
                       "a lower bound of the import's ratio)")
    s, f = by.get("store-floor"), by.get("floor")
    if s and f and f["seconds"] > 0 and "store_cpu" in s:
        out.append(f"store writes / floor = {s['store_cpu']:.2f} / {f['seconds']:.2f} = "
                   f"**{s['store_cpu'] / f['seconds']:.2f}×** (SQLite alone, one writer: a lower "
                   "bound of the import's ratio with this schema)")
    return out
