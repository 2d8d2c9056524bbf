"""The README's reference sections cannot rot: they are checked against the code."""

from __future__ import annotations

import re

from conftest import ROOT
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ingest.headers import FIELD_ALIASES
from taizhang.ingest.validation import SEVERITY

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_alias_table_matches_the_code() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", README, flags=re.M))
    for fld, aliases in FIELD_ALIASES.items():
        assert rows.get(fld) == "、".join(aliases), fld


def test_every_problem_code_is_documented_with_its_severity() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| (error|warning) \|", README, flags=re.M))
    assert rows == SEVERITY


def test_readme_stands_alone_in_a_clone() -> None:
    # the README is the reference: it cites no specification kept outside the repository
    assert "SPEC" not in README
    assert "../" not in README


def test_regime_table_matches_the_default_policy() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+?)(?: \(default\))? \| (arrival|departure) \| "
                      r"([^|]+) \| ([\d, ]+) \|$", README, flags=re.M)
    policy = load_policy()
    table = {key: (name, base, phases, tests) for key, name, base, phases, tests in rows}
    assert sorted(table) == sorted(policy.regimes)
    for key, regime in policy.regimes.items():
        phases = ", ".join(f"{name} {days}" for name, days in regime.phases)
        tests = ", ".join(str(t) for t in regime.tests)
        assert table[key] == (regime.name, regime.base, phases, tests), key
    assert f"`{policy.default_regime}` | {policy.regimes[policy.default_regime].name} (default) |" in README


def test_readme_starts_with_the_two_commands() -> None:
    block = README.split("```")[1]
    lines = [line for line in block.splitlines()[1:] if line.strip()]
    assert lines[0] == "pip install -e . && taizhang demo"  # the daily job on sample_data/
    assert lines[1] == 'pip install -e ".[test]" && pytest'


def test_every_command_has_help_and_a_readme_section() -> None:
    result = CliRunner().invoke(app, ["--help"])
    commands = re.findall(r"^\s{2}(\w[\w-]*)\s{2,}\S", result.stdout, flags=re.M)
    assert commands, result.stdout
    for command in commands:
        assert f"`taizhang {command}" in README, command
