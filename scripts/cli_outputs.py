"""Every command's machine-readable output on a fixed workspace, for comparing two versions.

A refactoring must not change what other tools read. This script builds a
workspace from `sample_data/` (or from a benchmark inbox), runs each command
that prints JSON or CSV on a fixed set of dates, and writes one file per
output, with the workspace's path replaced by `<WS>` and the repository's by
`<ROOT>`. Run it before and after a change and compare the folders:

    python scripts/cli_outputs.py --out /tmp/before          # on the old commit
    python scripts/cli_outputs.py --out /tmp/after           # on the new one
    python scripts/cli_outputs.py --compare /tmp/before /tmp/after

    python scripts/cli_outputs.py --inbox benchmarks/work/small/inbox \\
        --config benchmarks/work/small/taizhang.toml --as-of 2022-02-15 --out /tmp/small

`tests/test_cli_outputs.py` runs the sample-data part of it against the
golden copies kept in `tests/data/golden/cli/`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_VILLAGES = ["平阳村", "东溪村", "桃源村", "新桥社区", "石门村"]
ENV_DROP = ("TAIZHANG_DB",)


def taizhang(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI in a fresh process, as cron would; stdout only."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"})
    proc = subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()", *args],
                          cwd=cwd, capture_output=True, env=env, check=False)
    return proc.returncode, proc.stdout.decode("utf-8")


def normalise(text: str, ws: Path) -> str:
    for path in (ws.resolve(), ws):
        text = text.replace(str(path), "<WS>")
    return text.replace(str(ROOT), "<ROOT>")


def collect(inbox: Path, config: Path | None, as_of: date, days: int, ws: Path) -> dict[str, str]:
    """name -> normalised output, for every command on the workspace in `ws`."""
    ws.mkdir(parents=True, exist_ok=True)
    if config is not None:
        shutil.copy2(config, ws / "taizhang.toml")
    else:
        villages = ",".join(SAMPLE_VILLAGES)
        taizhang(["init", str(ws), "--township", "青石镇", "--villages", villages], ws)
    files = ws / "files"
    shutil.copytree(inbox, files, dirs_exist_ok=True)
    glob = ["--as-of", as_of.isoformat()]
    outputs: dict[str, str] = {}

    def run(name: str, args: list[str]) -> str:
        code, text = taizhang(args, ws)
        outputs[name] = f"exit {code}\n{normalise(text, ws)}"
        return text

    run("validate.json", [*glob, "validate", "files", "--format", "json"])
    run("import.json", [*glob, "import", "files", "--format", "json"])
    run("import_again.json", [*glob, "import", "files", "--format", "json"])
    run("export.csv", [*glob, "export", "--format", "csv"])
    run("export_nomask.csv", [*glob, "export", "--format", "csv", "--no-mask"])
    run("policy.json", ["policy", "show", "--format", "json"])
    for back in range(days):
        day = (as_of - timedelta(days=back)).isoformat()
        run(f"due_{day}.json", [*glob, "due-today", "--date", day, "--format", "json"])
        run(f"due_{day}.csv", [*glob, "due-today", "--date", day, "--format", "csv"])
        run(f"report_{day}.json", [*glob, "daily-report", "--date", day, "--format", "json"])
        run(f"report_{day}.txt", [*glob, "daily-report", "--date", day, "--format", "text"])
    due = json.loads(taizhang([*glob, "due-today", "--format", "json", "--no-mask"], ws)[1])
    ids = sorted({e["id_number"] for key in ("tests_due", "tests_overdue", "releases_blocked")
                  for e in due.get(key, []) if e["id_number"]})[:5]
    for n, ident in enumerate(ids):
        run(f"person_{n}.json", [*glob, "person", ident, "--format", "json"])
    return outputs


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    differ = [n for n in names if not (before / n).exists() or not (after / n).exists()
              or (before / n).read_bytes() != (after / n).read_bytes()]
    for name in differ:
        print(f"differs: {name}")
    print(f"{len(names) - len(differ)} of {len(names)} outputs identical")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inbox", type=Path, default=ROOT / "sample_data")
    ap.add_argument("--config", type=Path, help="a taizhang.toml to use instead of init's")
    ap.add_argument("--as-of", default="2022-02-08")
    ap.add_argument("--days", type=int, default=5, help="due lists and reports for this many days up to --as-of")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        ap.error("--out or --compare is required")
    with tempfile.TemporaryDirectory(prefix="taizhang-outputs-") as tmp:
        outputs = collect(args.inbox.resolve(), args.config, date.fromisoformat(args.as_of), args.days,
                          Path(tmp) / "ws")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"{len(outputs)} outputs written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
