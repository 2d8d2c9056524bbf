"""Every command's JSON and CSV on `sample_data/` equals the golden copies.

The golden copies in `tests/data/golden/cli/` were written by
`scripts/cli_outputs.py` before the package was reorganised (issue 12); a
change that alters what other tools read must update them on purpose:
`python scripts/cli_outputs.py --out tests/data/golden/cli`.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from conftest import DATA, ROOT

GOLDEN = DATA / "golden" / "cli"


def _script():
    spec = importlib.util.spec_from_file_location("cli_outputs", ROOT / "scripts" / "cli_outputs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_outputs_equal_golden(tmp_path: Path) -> None:
    outputs = _script().collect(ROOT / "sample_data", None, date(2022, 2, 8), 5, tmp_path / "ws")
    golden = {p.name: p.read_bytes().decode("utf-8") for p in GOLDEN.iterdir()}
    assert sorted(outputs) == sorted(golden)
    differ = [name for name in outputs if outputs[name] != golden[name]]
    assert differ == [], f"outputs differ from tests/data/golden/cli: {differ}"
    # the outputs are real: the import stored the sample and the due list names people
    assert '"status": "imported"' in golden["import.json"]
    assert '"tests_overdue": [\n    {' in golden["due_2022-02-08.json"]
