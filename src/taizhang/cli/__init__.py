"""The `taizhang` command line: a thin Typer shell over the library.

Each command parses options, calls one library function and formats its
result; nothing in the library imports this package. `common` holds the app,
the global and shared options and error handling; the commands live in
`files` (validate, init, import, export), `history` (batches, undo), `lists`
(person, due-today, policy, daily-report, notice), `feedback` (feedback),
`templates` (template) and `jobs` (daily, demo, doctor).
"""

# ruff: noqa: I001
from __future__ import annotations

# each module registers its commands, in the order `taizhang --help` lists them
from taizhang.cli import files  # noqa: F401
from taizhang.cli import history  # noqa: F401
from taizhang.cli import lists  # noqa: F401
from taizhang.cli import feedback  # noqa: F401
from taizhang.cli import templates  # noqa: F401
from taizhang.cli import jobs  # noqa: F401
from taizhang.cli.common import app


def main() -> None:
    """Console-script entry point."""
    import multiprocessing

    # `import` may start reader processes; in a frozen Windows build
    # (PyInstaller) each would otherwise start the whole CLI again
    multiprocessing.freeze_support()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
