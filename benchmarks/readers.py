"""The readers' side of an import alone: every file read and validated as
`taizhang import` reads it, nothing stored.

    python benchmarks/readers.py INBOX CONFIG AS_OF

The files go through the import's own reader pool (`ReaderPool`, the
default number of worker processes, `_validate_in_worker`: the extent
check, reading, layout, validation, packing and pickling), and this
process receives each result and runs the cross-file check, in file order,
as the import's main process does before it merges. No ledger is opened.
Every file is read, also a second copy of the same bytes (the import reads
those once).

An import cannot be faster than this on the same machine: its merge only
adds work (in this process, beside the readers). So `readers / floor` is a
lower bound of `import / floor` that no work on the store can lower
(issue 18). Prints a JSON summary on stdout; the benchmark's `measure.py`
gives its wall and CPU time.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from taizhang.config import load_config, load_policy
from taizhang.ingest.archives import expand
from taizhang.ingest.files import scan_inputs
from taizhang.ingest.sandbox import ReaderPool
from taizhang.ingest.validation import Validator
from taizhang.ledger.importer import _start_worker, _validate_in_worker, default_jobs


def main(argv: list[str]) -> int:
    inbox, config_path, as_of = Path(argv[0]), Path(argv[1]), date.fromisoformat(argv[2])
    config = load_config(config_path)
    policy = load_policy(config.paths.get("policy"))
    validator = Validator.from_settings(config, policy, as_of)  # as `taizhang import`
    t0 = time.perf_counter()
    rows = problems = 0
    jobs = default_jobs()
    with tempfile.TemporaryDirectory(prefix="taizhang_readers_") as tmp:
        # the files the import reads: loose ones, and each zip's members (`expand`)
        entries = [e for e in expand(scan_inputs([inbox]).files, lambda: Path(tmp))
                   if not (e.error or e.note)]
        with ReaderPool(_validate_in_worker, _start_worker, (validator.for_worker(),), jobs) as pool:
            for result in pool.read((e.path, e.name, e.path.stat().st_size) for e in entries):
                validator.cross_check(result)
                rows += sum(s.rows for s in result.sheets)
                problems += len(result.problems)
    print(json.dumps({"files": len(entries), "jobs": jobs, "rows": rows, "problems": problems,
                      "seconds": round(time.perf_counter() - t0, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
