"""The house's walls, checked: data flows ingest → ledger → policy → outputs → jobs → cli.

A newcomer should find each concern in one obvious place, and a change should
not quietly cross a wall: ingest knows no ledger, the policy does no I/O,
nothing below the command line imports it, and no module grows past about
400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "src" / "taizhang"
# what each package may import from taizhang (besides itself and the root modules)
ALLOWED = {
    "ingest": set(),
    "policy": {"ingest"},
    "ledger": {"ingest", "policy"},
    "outputs": {"ingest", "ledger", "policy"},
    "jobs": {"ingest", "ledger", "policy", "outputs"},
    "cli": {"ingest", "ledger", "policy", "outputs", "jobs"},
}
ROOT_MODULES = {"errors", "config", "privacy"}
IO_MODULES = {"os", "io", "sqlite3", "shutil", "pathlib", "tempfile", "subprocess", "importlib.resources"}
MAX_LINES = 420


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _package(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_packages_import_only_what_comes_before_them() -> None:
    crossings = []
    for path in _modules():
        package = _package(path)
        allowed = ALLOWED.get(package)
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "taizhang" or len(parts) < 2 or parts[1] in ROOT_MODULES | {package}:
                continue
            if parts[1] == "cli" or (allowed is not None and parts[1] in ALLOWED and parts[1] not in allowed):
                crossings.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert crossings == []


def test_the_root_modules_import_no_stage_but_the_policy_model() -> None:
    """config reads the policy file and hands its text to policy.model; nothing else."""
    for name in ROOT_MODULES:
        stages = {i for i in _imports(PACKAGE / f"{name}.py")
                  if i.startswith("taizhang.") and i.split(".")[1] in ALLOWED}
        assert stages <= {"taizhang.policy.model", "taizhang.policy.model.Policy",
                          "taizhang.policy.model.parse_policy"}, name


def test_the_policy_does_no_io() -> None:
    for path in (PACKAGE / "policy").glob("*.py"):
        imports = _imports(path)
        assert not imports & IO_MODULES, path.name
        assert "open(" not in path.read_text(encoding="utf-8"), path.name


def test_no_module_over_about_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_package_says_what_comes_in_and_goes_out() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) >= 1, init


def test_the_walls_are_really_checked() -> None:
    """The import scan sees real imports (a check that cannot fail is no check)."""
    assert "taizhang.ingest.validation" in {i.rsplit(".", 1)[0] for i in _imports(PACKAGE / "ledger" / "importer.py")} \
        or any(i.startswith("taizhang.ingest") for i in _imports(PACKAGE / "ledger" / "importer.py"))
    assert any(i.startswith("taizhang.policy") for i in _imports(PACKAGE / "outputs" / "daily_data.py"))
