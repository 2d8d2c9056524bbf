"""The SPEC §10 benchmark: generate a workspace, time each step in its own process.

    python benchmarks/run.py --scale county|medium|small [--workdir DIR] [--keep]
        [--results FILE] [--timeout SECONDS] [--check-daily]
        [--villages N --people N --tests N --readings N]

Steps (each a separate process, run through benchmarks/measure.py, which
reports wall time and peak RSS):

  floor        parse every inbox file with python-calamine / csv, nothing else
  readers      the import's reader processes alone: every file read and
               validated, nothing stored (benchmarks/readers.py)
  import       taizhang import INBOX into a fresh database
  store-floor  SQLite alone writing every row the import stored, ready-made,
               in one transaction (benchmarks/store_floor.py); with `readers`
               a lower bound of the import (benchmarks/bounds.py)
  reimport     the same command again (every file should be `unchanged`)
  import-1     one village's tests file gets one more row; import again
  due-today    taizhang due-today --date D --format json
  report-FMT   taizhang daily-report --date D --format FMT --out DIR, for
               text, md, html, xlsx, json
  floor-day2   the floor of the day-2 files (inbox_day2/: every file grown by
               one day of rows)
  readers-day2 the readers alone on the day-2 files
  import-day2  the day-2 files copied over the run's inbox, imported on top of
               the ledger the steps above left (yesterday's ledger)
  (with --keep, the ledger before day 2 is kept as WORKDIR/run/day1.db)
  import-day2-fresh  (--check-daily) the day-2 files into an empty database;
               the run then checks that both ledgers hold the same persons,
               tests and readings (`ledger_digest`)

The workspace (inbox, inbox_day2, taizhang.toml, params.json) lives in
--workdir (default benchmarks/work/SCALE) and is reused when params.json
records the same parameters. The steps import a copy of the inbox made in
WORKDIR/run/inbox (so the workspace is never modified). The run's database,
inbox copy and outputs go to WORKDIR/run/ and are removed at the end unless
--keep. Results are printed and written to
benchmarks/results.md for --scale county, else to --results FILE or a temporary
file. The exit code is 0 whether or not the targets are met (this is a
measurement); it is 2 when a step could not run (crash, timeout).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCALES = {
    "county": {"villages": 300, "people": 200_000, "tests": 1_000_000, "readings": 5_000_000},
    "medium": {"villages": 30, "people": 20_000, "tests": 100_000, "readings": 500_000},
    "small": {"villages": 5, "people": 2_000, "tests": 10_000, "readings": 50_000},
}
SEED = 1
AS_OF = "2022-02-08"
REPORT_FORMATS = ("text", "md", "html", "xlsx", "json")
TARGET_SECONDS = 2.0
TARGET_MIB = 2048.0

sys.path.insert(0, str(HERE))
from bounds import BOUND_STEPS, bound_lines, measure_readers, measure_store  # noqa: E402
from generate import GENERATOR_VERSION  # noqa: E402


def taizhang_cmd() -> list[str]:
    script = Path(sys.executable).with_name("taizhang")
    if script.exists():
        return [str(script)]
    found = shutil.which("taizhang")
    if found:
        return [found]
    return [sys.executable, "-c", "from taizhang.cli import main; main()"]


def wanted_params(args: argparse.Namespace) -> dict:
    params = dict(SCALES[args.scale])
    for key in params:
        value = getattr(args, key)
        if value is not None:
            params[key] = value
    return {"generator_version": GENERATOR_VERSION, **params, "seed": SEED, "as_of": AS_OF}


def ensure_workspace(workdir: Path, params: dict) -> tuple[dict, bool]:
    """Reuse WORKDIR when its params.json matches, else generate. Returns (info, reused)."""
    info_path = workdir / "params.json"
    if info_path.exists() and (workdir / "inbox").is_dir() and (workdir / "inbox_day2").is_dir():
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if info.get("params") == params:
            return info, True
    cmd = [sys.executable, str(HERE / "generate.py"), str(workdir),
           "--villages", str(params["villages"]), "--people", str(params["people"]),
           "--tests", str(params["tests"]), "--readings", str(params["readings"]),
           "--seed", str(params["seed"]), "--as-of", params["as_of"]]
    print("generating:", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)
    return json.loads(info_path.read_text(encoding="utf-8")), False


def measure(name: str, cmd: list[str], logs: Path, timeout: float | None = None,
            stdout: Path | None = None) -> dict:
    result = logs / f"{name}.measure.json"
    out = stdout or logs / f"{name}.stdout"
    head = [sys.executable, str(HERE / "measure.py"), str(result), str(out), str(logs / f"{name}.stderr")]
    if timeout:
        head += ["--timeout", str(timeout)]
    print(f"  {name} …", end="", flush=True)
    subprocess.run([*head, "--", *cmd], check=True)
    m = json.loads(result.read_text(encoding="utf-8"))
    m["name"] = name
    m["peak_mib"] = max(m["maxrss_mib"], m["tree_peak_mib"])
    m["stdout"] = str(out)
    m["stderr"] = str(logs / f"{name}.stderr")
    state = "timeout" if m["timeout"] else f"exit {m['returncode']}"
    print(f" {m['seconds']:.2f} s, {m['peak_mib']:.0f} MiB ({state})", flush=True)
    return m


def import_summary(m: dict) -> str:
    """`imported 900` / `unchanged 899, imported 1` from the import JSON."""
    try:
        data = json.loads(Path(m["stdout"]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no JSON output"
    counts: dict[str, int] = {}
    seen: set[str] = set()
    for f in data.get("files", []):
        if f["path"] in seen:  # one entry per sheet for imported files
            continue
        seen.add(f["path"])
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    m["statuses"] = counts
    m["problems"] = len(data.get("problems", []))
    m["persons_new"] = data.get("persons_new")
    text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return f"{text}; persons_new {data.get('persons_new')}, problems {m['problems']}"


def batches_in(db: Path) -> int | None:
    """How many files a (possibly killed) import committed."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("SELECT count(*) FROM batches").fetchone()[0]
    except sqlite3.Error:
        return None


def append_test_row(path: Path, as_of: str) -> None:
    """One more test row at the end of a GBK tests CSV (the whole file is rewritten)."""
    data = path.read_bytes().decode("gb18030")
    lines = data.rstrip("\r\n").split("\r\n")
    name, id_number = lines[1].split(",")[:2]
    lines.append(f"{name},{id_number},{as_of},待出")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))


# What `--check-daily` compares: the persons' current values, the tests and
# the packed readings that are not retracted, each named by the person's key
# (never by row ids or batch ids, which differ between a ledger built in two
# imports and one built in one; a live test also by its file, sheet and row,
# which both share). The persons are those the ledger
# shows: registered, or named by a live test or reading. A person only a
# retracted record names (yesterday's row with a wrong ID digit, fixed today)
# stays in the table for the history and `undo`, in no list; a fresh import
# never made them.
LIVE_PERSON = ("p.registered = 1 "
               "OR EXISTS (SELECT 1 FROM tests t WHERE t.person_id = p.id AND t.retracted_by IS NULL) "
               "OR EXISTS (SELECT 1 FROM temperature_rows t WHERE t.person_id = p.id "
               "AND t.retracted_by IS NULL)")
DIGEST_QUERIES = {
    "persons": "SELECT {person_columns} FROM persons p WHERE " + LIVE_PERSON + " ORDER BY key",
    # with the file (as resolved: the run's inbox in both), sheet and row it came from: a
    # test sent again unchanged stays with yesterday's version, at the same place
    "tests": "SELECT p.key, t.sample_date, t.result, t.site, coalesce(b.file, b.path), t.sheet, t.row "
             "FROM tests t JOIN persons p ON p.id = t.person_id JOIN batches b ON b.id = t.batch_id "
             "WHERE t.retracted_by IS NULL ORDER BY p.key, t.sample_date, t.result, t.site",
    # the open problems: those of each file's newest live version (what `feedback` sends back)
    "problems": "SELECT p.path, p.sheet, p.row, p.col, p.field, p.code, p.severity, p.value, p.message "
                "FROM problems p JOIN batches b ON b.id = p.batch_id WHERE b.undone_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM batches n WHERE n.undone_at IS NULL AND n.id > b.id "
                "AND coalesce(n.file, n.path) = coalesce(b.file, b.path)) "
                "ORDER BY p.path, p.sheet, p.row, p.col, p.code, p.message",
    "readings": "SELECT p.key, r.n, r.first_day, r.last_day, hex(r.days), r.slots, hex(r.temps) "
                "FROM temperature_rows r JOIN persons p ON p.id = r.person_id "
                "WHERE r.retracted_by IS NULL "
                "ORDER BY p.key, r.first_day, r.last_day, r.n, hex(r.days), r.slots, hex(r.temps)",
}


def ledger_digest(db: Path) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex, "rows_set": set}} of the DIGEST_QUERIES.
    persons: every column but `id` and `updated_batch` (the current values, the
    key, verified, registered). The hash is SHA-256 over repr() of each row, in
    the query's order."""
    out: dict[str, dict] = {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(persons)") if r[1] not in ("id", "updated_batch")]
        for table, query in DIGEST_QUERIES.items():
            h = __import__("hashlib").sha256()
            rows = []
            for row in con.execute(query.format(person_columns=", ".join(cols))):
                h.update(repr(row).encode())
                rows.append(row)
            out[table] = {"rows": len(rows), "sha256": h.hexdigest(), "rows_set": rows}
    return out


def compare_ledgers(daily: Path, fresh: Path) -> dict:
    """Digest both ledgers; on a mismatch, count the rows only one of them has
    and show one of each."""
    a, b = ledger_digest(daily), ledger_digest(fresh)
    result: dict = {"equal": True, "tables": {}}
    for table in DIGEST_QUERIES:
        x, y = a[table], b[table]
        entry = {"daily_rows": x["rows"], "fresh_rows": y["rows"], "daily_sha256": x["sha256"],
                 "fresh_sha256": y["sha256"], "equal": x["sha256"] == y["sha256"]}
        if not entry["equal"]:
            result["equal"] = False
            only_daily = set(x["rows_set"]) - set(y["rows_set"])
            only_fresh = set(y["rows_set"]) - set(x["rows_set"])
            entry["only_daily"] = len(only_daily)
            entry["only_fresh"] = len(only_fresh)
            entry["example_daily"] = repr(min(only_daily))[:300] if only_daily else None
            entry["example_fresh"] = repr(min(only_fresh))[:300] if only_fresh else None
        result["tables"][table] = entry
    return result


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    versions = {}
    for pkg in ("taizhang", "pandas", "numpy", "python-calamine", "openpyxl", "xlsxwriter", "jinja2"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram": ram, "os": platform.platform(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "packages": versions}


def cpu(step: dict) -> str:
    """User + system CPU seconds of a step's process tree (older results lack it)."""
    return f"{step['cpu_seconds']:.2f}" if "cpu_seconds" in step else "–"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render(steps: list[dict], info: dict, mach: dict, reused: bool, workdir: Path,
           check: dict | None = None) -> str:
    by = {s["name"]: s for s in steps}
    floor = by.get("floor")
    lines = ["| step | seconds | CPU seconds | peak RSS MiB | notes |", "|---|---:|---:|---:|---|"]
    for s in steps:
        secs = "timeout" if s["timeout"] else f"{s['seconds']:.2f}"
        lines.append(f"| {s['name']} | {secs} | {cpu(s)} | {s['peak_mib']:.0f} | {s.get('note', '')} |")
    reports = [by[f"report-{f}"] for f in REPORT_FORMATS if f"report-{f}" in by]
    if reports:
        lines.append(f"| report (sum of {len(reports)}) | {sum(r['seconds'] for r in reports):.2f} | "
                     f"{sum(r.get('cpu_seconds', 0) for r in reports):.2f} | "
                     f"{max(r['peak_mib'] for r in reports):.0f} | |")
    out = ["## Results", "", *lines, ""]
    if floor and "import" in by and floor["seconds"] > 0:
        imp = by["import"]
        out.append(f"import / floor = {imp['seconds']:.2f} / {floor['seconds']:.2f} = "
                   f"**{imp['seconds'] / floor['seconds']:.2f}×**"
                   + (" (import timed out: a lower bound)" if imp["timeout"] else ""))
        if "import-1" in by:
            out.append(f"import of one changed file / floor = {by['import-1']['seconds'] / floor['seconds']:.2f}×")
        if "import-day2" in by and "floor-day2" in by and by["floor-day2"]["seconds"] > 0:
            d2, f2 = by["import-day2"], by["floor-day2"]
            out.append(f"import-day2 / floor-day2 = {d2['seconds']:.2f} / {f2['seconds']:.2f} = "
                       f"**{d2['seconds'] / f2['seconds']:.2f}×**"
                       + (" (import-day2 timed out: a lower bound)" if d2["timeout"] else ""))
            if "import-day2-fresh" in by:
                out.append(f"import-day2 / import-day2-fresh = {d2['seconds']:.2f} / "
                           f"{by['import-day2-fresh']['seconds']:.2f} = "
                           f"{d2['seconds'] / max(by['import-day2-fresh']['seconds'], 1e-9):.2f}×")
        out.extend(bound_lines(by))
        if imp.get("cpu_seconds") and imp["seconds"] > 0:
            out.append(f"import CPU / wall = {imp['cpu_seconds']:.1f} / {imp['seconds']:.2f} s = "
                       f"{imp['cpu_seconds'] / imp['seconds']:.2f} cores busy on average "
                       f"({mach['cores']} on this machine)")
        out.append("")
    targets = []
    if floor and "import" in by:
        imp = by["import"]
        targets.append(("full import ≤ 2× floor", f"{imp['seconds']:.2f} s vs 2 × {floor['seconds']:.2f} s",
                        not imp["timeout"] and imp["seconds"] <= 2 * floor["seconds"]))
    if "import-day2" in by and "floor-day2" in by:
        d2, f2 = by["import-day2"], by["floor-day2"]
        targets.append(("daily import ≤ 2× floor", f"{d2['seconds']:.2f} s vs 2 × {f2['seconds']:.2f} s",
                        not d2["timeout"] and d2["seconds"] <= 2 * f2["seconds"]))
    if "reimport" in by:
        s = by["reimport"]
        targets.append(("unchanged re-import < 2 s", f"{s['seconds']:.2f} s",
                        not s["timeout"] and s["seconds"] < TARGET_SECONDS))
    if "due-today" in by:
        s = by["due-today"]
        targets.append(("due-today < 2 s", f"{s['seconds']:.2f} s", not s["timeout"] and s["seconds"] < TARGET_SECONDS))
    for r in reports:
        targets.append((f"daily-report {r['name'][7:]} < 2 s", f"{r['seconds']:.2f} s",
                        not r["timeout"] and r["seconds"] < TARGET_SECONDS))
    if steps:
        worst = max((s for s in steps if s["name"] not in BOUND_STEPS), key=lambda s: s["peak_mib"])
        targets.append(("peak memory < 2 GiB", f"{worst['peak_mib']:.0f} MiB ({worst['name']})",
                        worst["peak_mib"] < TARGET_MIB))
    out += ["## SPEC §10 targets", "", "| target | measured | |", "|---|---|---|"]
    out += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets]
    if check is not None:
        out += ["", "## Daily check (`--check-daily`)", "",
                "The ledger after `import-day2` against the day-2 files imported into an empty "
                "ledger (`import-day2-fresh`): " + ("**the same**" if check["equal"] else "**DIFFERENT**"), "",
                "| table | rows (daily) | rows (fresh) | SHA-256 (daily) | |", "|---|---:|---:|---|---|"]
        for table, e in check["tables"].items():
            extra = "" if e["equal"] else (f"only daily {e['only_daily']} (e.g. {e['example_daily']}), "
                                           f"only fresh {e['only_fresh']} (e.g. {e['example_fresh']})")
            out.append(f"| {table} | {e['daily_rows']:,} | {e['fresh_rows']:,} | {e['daily_sha256'][:16]} | "
                       f"{'same' if e['equal'] else 'DIFFERENT: ' + extra} |")
    p, t = info["params"], info["totals"]
    out += ["", "## Workspace", "",
            f"- parameters: {p['villages']} villages, {p['people']:,} people, {p['tests']:,} tests, "
            f"{p['readings']:,} readings, seed {p['seed']}, as-of {p['as_of']} (generator v{p['generator_version']})",
            f"- generated: {t['files']} files, {t['bytes'] / 2**20:.1f} MiB; {t['registration_rows']:,} registration "
            f"rows ({t['registration_defects']:,} with defects), {t['tests']:,} test rows "
            f"({t['tests_positive']} 阳性, {t['tests_pending']:,} 待出), {t['readings']:,} readings "
            f"({t['fevers']} fevers)",
            *([f"- day 2 (`inbox_day2/`, as-of + 1): {d['files']} files, {d['bytes'] / 2**20:.1f} MiB; "
               f"{d['tests']:,} test rows (+{d['tests_new']:,}, {d['tests_fixes']} typos fixed), "
               f"{d['readings']:,} readings (+{d['readings_new']:,}, {d['temperature_fixes']} fixed), "
               f"{d['registration_fixes']} registration rows corrected"] if (d := info.get("day2")) else []),
            f"- generation time: {info['seconds']:.1f} s with {info.get('jobs', '?')} workers (both days)"
            + (" (workspace reused from an earlier run)" if reused else ""),
            f"- workdir: {workdir}", "",
            "## Machine", "",
            f"- CPU: {mach['cpu']} ({mach['cores']} cores), RAM {mach['ram']}",
            f"- {mach['os']}, Python {mach['python']}, SQLite {mach['sqlite']}",
            "- " + ", ".join(f"{k} {v}" for k, v in mach["packages"].items()),
            "",
            "Peak RSS is the larger of the biggest process's `ru_maxrss` and the sampled sum over the "
            "step's process tree. Every step is a fresh process; wall time includes interpreter start-up "
            "and imports."]
    return "\n".join(out) + "\n"


def measure_floor(name: str, inbox: Path, logs: Path, timeout: float | None) -> dict:
    floor = measure(name, [sys.executable, str(HERE / "floor.py"), str(inbox)], logs, timeout)
    try:
        f = json.loads(Path(floor["stdout"]).read_text())
        floor["note"] = f"{f['files']} files, {f['rows']:,} rows, {f['cells']:,} cells"
    except (OSError, ValueError, KeyError):
        floor["note"] = "no summary"
    return floor


def run_steps(steps: list[dict], tz: list[str], inbox: Path, db: Path, run_dir: Path, logs: Path,
              report_dir: Path, as_of: str, changed: Path | None, inbox_day2: Path,
              timeout: float | None, check_daily: bool, keep_day1: bool = False,
              config: Path | None = None) -> dict | None:
    """Run the steps in order, appending each measurement to `steps`. `inbox`
    is the run's copy of the workspace inbox. Returns the --check-daily
    comparison (or None)."""
    steps.append(measure_floor("floor", inbox, logs, timeout))
    if config is not None:
        steps.append(measure_readers(measure, "readers", inbox, config, as_of, logs, timeout))

    imp = measure("import", [*tz, "import", str(inbox), "--format", "json"], logs, timeout)
    steps.append(imp)
    if imp["timeout"]:
        imp["note"] = f"killed after {timeout:.0f} s; {batches_in(db)} files committed"
        return None
    imp["note"] = import_summary(imp)
    steps.append(measure_store(measure, "store-floor", db, logs, timeout))

    again = measure("reimport", [*tz, "import", str(inbox), "--format", "json"], logs, timeout)
    again["note"] = import_summary(again)
    steps.append(again)

    if changed is not None:  # the run's copy: the workspace inbox is never touched
        append_test_row(changed, as_of)
        one = measure("import-1", [*tz, "import", str(inbox), "--format", "json"], logs, timeout)
        one["note"] = f"{changed.name} +1 row; " + import_summary(one)
        steps.append(one)

    due_json = run_dir / "due-today.json"
    due = measure("due-today", [*tz, "due-today", "--date", as_of, "--format", "json"], logs,
                  timeout, stdout=due_json)
    try:
        lists = json.loads(due_json.read_text(encoding="utf-8"))
        due["note"] = ", ".join(f"{k} {len(v)}" for k, v in lists.items() if isinstance(v, list))
    except (OSError, ValueError):
        due["note"] = "no JSON output"
    steps.append(due)

    for fmt in REPORT_FORMATS:
        steps.append(measure(f"report-{fmt}", [*tz, "daily-report", "--date", as_of, "--format", fmt,
                                               "--out", str(report_dir)], logs, timeout))

    # The next day: every file sent again with one more day of rows. They are
    # copied over the run's inbox (same names, so the same resolved paths:
    # new versions of the files the ledger knows) and imported with the next
    # as-of date on top of the ledger the steps above left.
    if keep_day1:  # yesterday's ledger as the steps above left it (not timed)
        with sqlite3.connect(db) as src, sqlite3.connect(run_dir / "day1.db") as dst:
            src.backup(dst)
    steps.append(measure_floor("floor-day2", inbox_day2, logs, timeout))
    if config is not None:
        steps.append(measure_readers(measure, "readers-day2", inbox_day2, config, next_day(as_of),
                                     logs, timeout))
    day2_files = sorted(p for p in inbox_day2.iterdir() if p.is_file())
    for f in day2_files:
        shutil.copyfile(f, inbox / f.name)
    as_of2 = next_day(as_of)
    tz2 = with_as_of(tz, as_of2)
    day2 = measure("import-day2", [*tz2, "import", str(inbox), "--format", "json"], logs, timeout)
    day2["note"] = import_summary(day2)
    steps.append(day2)
    if not check_daily or day2["timeout"]:
        return None
    fresh_db = run_dir / "fresh-day2.db"
    tz_fresh = with_db(tz2, fresh_db)
    fresh = measure("import-day2-fresh", [*tz_fresh, "import", str(inbox), "--format", "json"], logs, timeout)
    fresh["note"] = import_summary(fresh)
    steps.append(fresh)
    if fresh["timeout"]:
        return None
    print("  check-daily …", end="", flush=True)
    check = compare_ledgers(db, fresh_db)
    print(" same" if check["equal"] else " DIFFERENT", flush=True)
    return check


def next_day(as_of: str) -> str:
    return (date.fromisoformat(as_of) + timedelta(days=1)).isoformat()


def with_as_of(tz: list[str], as_of: str) -> list[str]:
    out = list(tz)
    out[out.index("--as-of") + 1] = as_of
    return out


def with_db(tz: list[str], db: Path) -> list[str]:
    out = list(tz)
    out[out.index("--db") + 1] = str(db)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="taizhang benchmark (SPEC §10)")
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the run's database and outputs (WORKDIR/run)")
    ap.add_argument("--results", type=Path, help="where to write the results markdown")
    ap.add_argument("--timeout", type=float, default=None, help="kill a step after this many seconds")
    ap.add_argument("--check-daily", action="store_true",
                    help="also import the day-2 files into an empty ledger and check that it equals the daily one")
    for key in ("villages", "people", "tests", "readings"):
        ap.add_argument(f"--{key}", type=int, help=f"override the scale's {key}")
    args = ap.parse_args(argv)

    params = wanted_params(args)
    workdir = (args.workdir or HERE / "work" / args.scale).resolve()
    info, reused = ensure_workspace(workdir, params)
    config = workdir / "taizhang.toml"
    as_of = params["as_of"]

    run_dir = workdir / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    logs = run_dir / "logs"
    logs.mkdir(parents=True)
    inbox = run_dir / "inbox"  # the run's copy: day 2 is copied over it
    shutil.copytree(workdir / "inbox", inbox)
    db = run_dir / "taizhang.db"
    report_dir = run_dir / "report"
    report_dir.mkdir()
    tz = [*taizhang_cmd(), "--db", str(db), "--config", str(config), "--as-of", as_of]

    changed = inbox / info["first_csv_tests_file"] if info.get("first_csv_tests_file") else None

    print(f"benchmark {args.scale}: {workdir} ({'reused' if reused else 'generated'} workspace)", flush=True)
    steps: list[dict] = []
    check = run_steps(steps, tz, inbox, db, run_dir, logs, report_dir, as_of, changed,
                      workdir / "inbox_day2", args.timeout, args.check_daily, args.keep, config)

    failed = False
    for s in steps:
        ok_codes = (0, 1) if s["name"].startswith("import") or s["name"] == "reimport" else (0,)
        if s["timeout"] or s["returncode"] not in ok_codes:
            failed = True
            if not s["timeout"]:
                s["note"] = (s.get("note", "") + f" EXIT {s['returncode']}").strip()
                tail = Path(s["stderr"]).read_text(encoding="utf-8", errors="replace")[-2000:]
                print(f"\n{s['name']} exited {s['returncode']}; stderr tail:\n{tail}", file=sys.stderr)

    mach = machine()
    body = render(steps, info, mach, reused, workdir, check)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    command = " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    doc = f"# taizhang benchmark — scale `{args.scale}`\n\nRun {stamp} with `{command}`.\n\n" + body
    print()
    print(body)
    if args.results:
        target = args.results
    elif args.scale == "county" and not any(getattr(args, k) for k in ("villages", "people", "tests", "readings")):
        target = HERE / "results.md"
    else:
        target = Path(tempfile.gettempdir()) / f"taizhang-benchmark-{args.scale}.md"
    target.write_text(doc, encoding="utf-8")
    summary = {"scale": args.scale, "params": info["params"], "workdir": str(workdir),
               "db": str(db), "db_day1": str(run_dir / "day1.db"), "config": str(config), "as_of": as_of,
               "due_today_json": str(run_dir / "due-today.json"), "results": str(target),
               "steps": steps, "machine": mach,
               "check_daily": None if check is None else
               {**check, "queries": {k: v for k, v in DIGEST_QUERIES.items()}}}
    (workdir / "results.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    print(f"results written to {target}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
