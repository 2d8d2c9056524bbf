"""Shared test helpers: valid ID numbers, CSV fixtures written on the fly, a
CLI runner with a fixed terminal width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from taizhang.ingest.ids import id_check_char

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def make_id(area: str = "330681", birth: str = "19900101", seq: str = "123") -> str:
    """A valid 18-digit ID number (GB 11643 check digit computed)."""
    first17 = area + birth + seq
    return first17 + id_check_char(first17)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write rows as a UTF-8 CSV in tmp_path and return its path."""

    def write(name: str, rows: list[list[str]], encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        text = "\n".join(",".join(cells) for cells in rows) + "\n"
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def force_pool(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make an import of two or more files (with jobs > 1) use the reader pool
    however small they are; the list records the job count of each pooled run,
    so a test can check the pool really ran."""
    from taizhang.ledger import importer

    monkeypatch.setattr(importer, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "POOL_MIN_FILES", 2)
    calls: list[int] = []
    real = importer._pooled

    def pooled(todo, validator, jobs):  # type: ignore[no-untyped-def]
        calls.append(jobs)
        yield from real(todo, validator, jobs)

    monkeypatch.setattr(importer, "_pooled", pooled)
    return calls
