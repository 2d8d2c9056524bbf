"""Progress of a long import where nobody watches a terminal (cron, Task Scheduler).

`import` on a terminal shows a progress bar; written to a file or a pipe it
prints `ProgressLines` instead — one line each time the files done pass a
tenth of the total (at most ten lines; with fewer than ten files, one line per
file), so a log shows how far a long import got and how long it has taken.
`daily` writes the same lines to its log.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ProgressLines:
    """A `progress` callback for `import_paths`: called once per file."""

    def __init__(self, total: int, write: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.write = write
        self.clock = clock
        self.start = clock()
        self.done = 0
        self.tenths = 0  # tenths of the total announced so far

    def __call__(self, name: str = "") -> None:
        self.done += 1
        if self.total <= 0:
            return
        tenths = min(10, self.done * 10 // self.total)
        if tenths > self.tenths:
            self.tenths = tenths
            percent = min(100, self.done * 100 // self.total)
            self.write(f"导入进度：{self.done}/{self.total} 个文件（{percent}%），"
                       f"用时 {elapsed_text(self.clock() - self.start)}")


def elapsed_text(seconds: float) -> str:
    """12 秒, 3 分 5 秒, 1 小时 2 分."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} 秒"
    if whole < 3600:
        return f"{whole // 60} 分 {whole % 60} 秒"
    return f"{whole // 3600} 小时 {whole % 3600 // 60} 分"
