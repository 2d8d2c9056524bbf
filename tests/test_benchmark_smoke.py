"""Smoke test of the SPEC §10 benchmark at its smallest scale.

It checks that benchmarks/run.py runs every step to the end and that what it
measured is the real thing (the re-import skipped every file, its due-today
output is what the ordinary command prints, the daily step imported every
file as a new version and left the ledger a fresh import of the same files
gives). It never asserts a timing: speed
is measured by the benchmark, not by tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
RUN = ROOT / "benchmarks" / "run.py"
STEPS = ["floor", "readers", "import", "store-floor", "reimport", "import-1", "due-today",
         "report-text", "report-md", "report-html", "report-xlsx", "report-json",
         "floor-day2", "readers-day2", "import-day2", "import-day2-fresh"]


def test_benchmark_small_runs_every_step(tmp_path: Path) -> None:
    workdir = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--scale", "small", "--workdir", str(workdir), "--keep",
         "--results", str(tmp_path / "results.md"), "--timeout", "120", "--check-daily"],
        capture_output=True, text=True, encoding="utf-8", timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # The printed table has a row for every step, and so does the results file.
    for step in STEPS:
        assert f"| {step} |" in proc.stdout, step
    assert "| unchanged re-import < 2 s |" in proc.stdout
    assert "| daily import ≤ 2× floor |" in proc.stdout
    assert "import-day2 / floor-day2 = " in proc.stdout
    assert "| floor |" in (tmp_path / "results.md").read_text(encoding="utf-8")

    summary = json.loads((workdir / "results.json").read_text(encoding="utf-8"))
    steps = {s["name"]: s for s in summary["steps"]}
    assert list(steps) == STEPS
    assert all(not s["timeout"] for s in steps.values())

    # The workspace has three files per village and the first import took them all.
    n_files = len(list((workdir / "inbox").iterdir()))
    assert n_files == 3 * 5
    assert steps["import"]["statuses"] == {"imported": n_files}

    # The lower bounds measured what the import did: the readers read the rows
    # the import read, the store floor wrote the rows the import stored.
    imported = json.loads(Path(steps["import"]["stdout"]).read_text(encoding="utf-8"))
    readers = json.loads(Path(steps["readers"]["stdout"]).read_text(encoding="utf-8"))
    assert readers["files"] == n_files
    assert readers["rows"] == sum(f["rows"] for f in imported["files"]) > 0
    store = json.loads(Path(steps["store-floor"]["stdout"]).read_text(encoding="utf-8"))
    assert store["tables"]["persons"] == imported["persons_new"] > 0
    assert store["tables"]["batches"] == n_files
    assert store["tables"]["tests"] > 0 and store["tables"]["temperature_rows"] > 0
    assert "readers / floor = " in proc.stdout and "store writes / floor = " in proc.stdout
    assert "readers-day2 / floor-day2 = " in proc.stdout

    # Re-importing the unchanged inbox skipped every file.
    reimport = json.loads(Path(steps["reimport"]["stdout"]).read_text(encoding="utf-8"))
    assert len(reimport["files"]) == n_files
    assert {f["status"] for f in reimport["files"]} == {"unchanged"}
    assert reimport["persons_new"] == 0

    # One changed file is imported again, the others are skipped.
    assert steps["import-1"]["statuses"] == {"imported": 1, "unchanged": n_files - 1}

    # The benchmark's due-today output is what the ordinary command gives on that
    # database (as it was before the daily step: day1.db).
    as_of = summary["as_of"]
    direct = subprocess.run(
        [sys.executable, "-c", "from taizhang.cli import main; main()",
         "--db", summary["db_day1"], "--config", summary["config"], "--as-of", as_of,
         "due-today", "--date", as_of, "--format", "json"],
        capture_output=True, text=True, encoding="utf-8", timeout=120,
    )
    assert direct.returncode == 0, direct.stderr
    measured = json.loads(Path(summary["due_today_json"]).read_text(encoding="utf-8"))
    assert measured == json.loads(direct.stdout)
    assert measured["date"] == as_of
    assert any(measured[key] for key in ("tests_due", "tests_overdue", "releases_due"))

    # Every daily-report format was written.
    report_dir = Path(summary["db"]).parent / "report"
    for ext in ("txt", "md", "html", "xlsx", "json"):
        assert (report_dir / f"日报告_{as_of}.{ext}").exists(), ext

    # Day 2: every file grown by a day, under the same name, so each is a new
    # version of a file the ledger knows (none unchanged, none new).
    day2_files = sorted(p.name for p in (workdir / "inbox_day2").iterdir())
    assert day2_files == sorted(p.name for p in (workdir / "inbox").iterdir())
    floor2 = json.loads(Path(steps["floor-day2"]["stdout"]).read_text(encoding="utf-8"))
    floor1 = json.loads(Path(steps["floor"]["stdout"]).read_text(encoding="utf-8"))
    assert floor2["files"] == n_files and floor2["cells"] > floor1["cells"]
    assert steps["import-day2"]["statuses"] == {"imported": n_files}
    assert steps["import-day2"]["persons_new"] == 0
    info = json.loads((workdir / "params.json").read_text(encoding="utf-8"))
    assert info["day2"]["tests_new"] > 0 and info["day2"]["readings_new"] > 0
    assert info["day2"]["registration_fixes"] > 0

    # The ledger after the daily step holds what the grown files imported into
    # an empty ledger hold (benchmarks/run.py DIGEST_QUERIES).
    check = summary["check_daily"]
    assert check["tables"]["tests"]["equal"], check["tables"]["tests"]
    assert check["tables"]["readings"]["equal"], check["tables"]["readings"]
    # the persons too: a cell emptied in the grown file is empty (`ledger.history`)
    assert check["tables"]["persons"]["equal"], check["tables"]["persons"]
    assert check["tables"]["problems"]["equal"], check["tables"]["problems"]  # the open ones
    assert check["equal"]
