"""The readers' side of an import alone: every file read and validated as
`taizhang import` reads it, nothing stored.

    python benchmarks/readers.py INBOX CONFIG AS_OF

The files go through the import's own reader pool (`ReaderPool`, the
default number of worker processes, `_validate_in_worker`: the extent
check, reading, layout, validation, packing and pickling), and this
process receives each result and runs the cross-file check, in file order,
as the import's main process does before it merges. No ledger is opened.

An import cannot be faster than this on the same machine: its merge only
adds work (in this process, beside the readers). So `readers / floor` is a
lower bound of `import / floor` that no work on the store can lower
(issue 18). Prints a JSON summary on stdout; the benchmark's `measure.py`
gives its wall and CPU time.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from taizhang.config import load_config, load_policy
from taizhang.ingest.files import scan_inputs
from taizhang.ingest.sandbox import ReaderPool
from taizhang.ingest.validation import Validator
from taizhang.ledger.importer import _start_worker, _validate_in_worker, default_jobs


def main(argv: list[str]) -> int:
    inbox, config_path, as_of = Path(argv[0]), Path(argv[1]), date.fromisoformat(argv[2])
    config = load_config(config_path)
    policy = load_policy(config.paths.get("policy"))
    validator = Validator(as_of=as_of, villages=config.villages, township=config.township,
                          find_regime=policy.find_regime, regime_examples=policy.regime_examples(),
                          columns=config.columns, values=config.values)
    found = scan_inputs([inbox])
    files = [p for p in found.files if p.suffix.lower() != ".zip"]
    t0 = time.perf_counter()
    rows = problems = 0
    jobs = default_jobs()
    with ReaderPool(_validate_in_worker, _start_worker, (validator.for_worker(),), jobs) as pool:
        for result in pool.read((p, str(p), p.stat().st_size) for p in files):
            validator.cross_check(result)
            rows += sum(s.rows for s in result.sheets)
            problems += len(result.problems)
    print(json.dumps({"files": len(files), "jobs": jobs, "rows": rows, "problems": problems,
                      "seconds": round(time.perf_counter() - t0, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
