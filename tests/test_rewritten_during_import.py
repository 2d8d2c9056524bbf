"""A file rewritten while it is imported (issue 15, cause 4; SPEC §7): it is
either stored whole or imported again next time — never stored half-read and
then skipped for ever as unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.ingest.validation import Validator

runner = CliRunner()
HEADER = "姓名,身份证号,联系电话,返乡日期\n"


def _row(i: int) -> str:
    return f"人员{i},{make_id(seq=f'{i:02d}3')},1381234560{i},2022-02-0{i}\n"


def _import(tmp_path: Path, inbox: Path) -> dict:
    result = runner.invoke(app, ["--db", str(tmp_path / "t.db"), "--as-of", "2022-02-08", "import",
                                 str(inbox), "--format", "json", "--jobs", "1"])
    assert "内部错误" not in result.output and "Traceback" not in result.output
    return json.loads(result.stdout)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a_平阳村.csv").write_text(HEADER + _row(1), encoding="utf-8")
    (folder / "b_东溪村.csv").write_text(HEADER + _row(2), encoding="utf-8")
    return folder


def test_a_file_rewritten_while_read_is_imported_next_time(tmp_path: Path, inbox: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    original = Validator.validate_file
    target = inbox / "a_平阳村.csv"

    def read_then_append(self: Validator, path: Path, display: str | None = None):  # type: ignore[no-untyped-def]
        result = original(self, path, display)
        if Path(path).name == target.name:  # the village's PC is still writing the file
            with target.open("a", encoding="utf-8") as fh:
                fh.write(_row(3))
        return result

    monkeypatch.setattr(Validator, "validate_file", read_then_append)
    first = _import(tmp_path, inbox)
    status = {Path(f["path"]).name: f for f in first["files"]}
    assert status["a_平阳村.csv"]["status"] == "failed"
    assert "改写" in status["a_平阳村.csv"]["error"] and "下次导入" in status["a_平阳村.csv"]["error"]
    assert status["b_东溪村.csv"]["status"] == "imported"  # the others go on
    monkeypatch.setattr(Validator, "validate_file", original)
    second = _import(tmp_path, inbox)
    status = {Path(f["path"]).name: f for f in second["files"]}
    assert status["a_平阳村.csv"]["status"] == "imported"  # whole, with the appended row
    assert second["persons_new"] == 2
    assert status["b_东溪村.csv"]["status"] == "unchanged"


def test_a_file_only_touched_while_read_is_imported(tmp_path: Path, inbox: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Opened in Excel and closed without saving, or a sync tool: a new time, the same bytes."""
    original = Validator.validate_file

    def read_then_touch(self: Validator, path: Path, display: str | None = None):  # type: ignore[no-untyped-def]
        result = original(self, path, display)
        stat = Path(path).stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5 * 10**9))
        return result

    monkeypatch.setattr(Validator, "validate_file", read_then_touch)
    report = _import(tmp_path, inbox)
    assert [f["status"] for f in report["files"]] == ["imported", "imported"]


def test_a_file_removed_while_read_is_not_stored(tmp_path: Path, inbox: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    original = Validator.validate_file

    def read_then_remove(self: Validator, path: Path, display: str | None = None):  # type: ignore[no-untyped-def]
        result = original(self, path, display)
        if Path(path).name.startswith("a_"):
            Path(path).unlink()
        return result

    monkeypatch.setattr(Validator, "validate_file", read_then_remove)
    report = _import(tmp_path, inbox)
    status = {Path(f["path"]).name: f for f in report["files"]}
    assert status["a_平阳村.csv"]["status"] == "failed" and "移走" in status["a_平阳村.csv"]["error"]
    assert report["persons_new"] == 1
