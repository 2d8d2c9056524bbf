"""taizhang (台账): township epidemic-control ledgers from village spreadsheets.

As a library (SPEC §6): `taizhang.open_ledger(path)` and `taizhang.read(path)`
give pandas DataFrames. They are looked up lazily (`__getattr__`), so that
`import taizhang` and the command line never import pandas, which the
township PC's daily run does not need (it is the `analysis` extra).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from taizhang.analysis import FileRecords, Ledger, open_ledger, read

# names served from `taizhang.analysis` on first use
_ANALYSIS = ("FileRecords", "Ledger", "open_ledger", "read")

__all__ = ["FileRecords", "Ledger", "__version__", "open_ledger", "read"]


def __getattr__(name: str) -> Any:
    if name in _ANALYSIS:
        return getattr(import_module("taizhang.analysis"), name)
    if name == "__version__":  # looked up on first use: importlib.metadata costs 40 ms a run
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("taizhang")
        except PackageNotFoundError:  # running from a source tree without installation
            return "0.0.0"
    raise AttributeError(f"module 'taizhang' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_ANALYSIS, "__version__"})
