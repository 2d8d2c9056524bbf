"""Progress of a long import under cron (issue 16, point 9).

Not on a terminal, `import` prints one line on stderr each time the files
done pass a tenth of the total, and `daily` writes the same lines to its log;
with fewer than ten files each file is its own line (every file is more than
a tenth). On a terminal the progress bar stays as it was.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import make_id
from rich.console import Console
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.jobs.progress import ProgressLines, elapsed_text

runner = CliRunner()


def lines_for(total: int, calls: int | None = None, step: float = 0.0) -> list[str]:
    """The lines for `calls` files (default: all), each taking `step` seconds."""
    written: list[str] = []
    now = [0.0]
    progress = ProgressLines(total, written.append, clock=lambda: now[0])
    for i in range(total if calls is None else calls):
        now[0] = (i + 1) * step
        progress(f"f{i}.csv")
    return written


def test_a_county_import_logs_every_tenth_with_the_time_taken() -> None:
    written = lines_for(900, step=12 / 90)  # 12 seconds for the first 90 files
    assert len(written) == 10
    assert written[0] == "导入进度：90/900 个文件（10%），用时 12 秒"
    assert written[-1] == "导入进度：900/900 个文件（100%），用时 2 分 0 秒"


@pytest.mark.parametrize(("total", "expected"), [
    (20, [f"{2 * k}/20 个文件（{10 * k}%）" for k in range(1, 11)]),
    (15, ["2/15 个文件（13%）", "3/15 个文件（20%）", "5/15 个文件（33%）", "6/15 个文件（40%）",
          "8/15 个文件（53%）", "9/15 个文件（60%）", "11/15 个文件（73%）", "12/15 个文件（80%）",
          "14/15 个文件（93%）", "15/15 个文件（100%）"]),
    (4, ["1/4 个文件（25%）", "2/4 个文件（50%）", "3/4 个文件（75%）", "4/4 个文件（100%）"]),
    (0, []),
])
def test_one_line_each_time_a_tenth_is_passed(total: int, expected: list[str]) -> None:
    written = lines_for(total)
    assert [line.removeprefix("导入进度：").split("，用时")[0] for line in written] == expected


def test_more_files_than_counted_never_pass_100_percent() -> None:
    assert lines_for(10, calls=12)[-1].startswith("导入进度：10/10 个文件（100%）")


def test_elapsed_time_reads_like_a_clock() -> None:
    assert [elapsed_text(s) for s in (0.4, 59.9, 61, 3600 + 125)] == ["0 秒", "59 秒", "1 分 1 秒", "1 小时 2 分"]


def registration_files(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"甲村登记{i:02d}.csv").write_text(
            f"姓名,身份证号,联系电话,村,返乡日期\n人{i},{make_id(seq=f'{i:03d}')},1380000{i:04d},甲村,2022-02-01\n",
            encoding="utf-8")


def test_import_not_on_a_terminal_prints_ten_lines_on_stderr(tmp_path: Path) -> None:
    registration_files(tmp_path / "inbox", 20)
    result = runner.invoke(app, ["--db", str(tmp_path / "t.db"), "--as-of", "2022-02-10", "import",
                                 str(tmp_path / "inbox"), "--format", "json"])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("导入进度")]
    assert [line.split("（")[1].split("）")[0] for line in progress] == [f"{10 * k}%" for k in range(1, 11)]
    assert progress[0].startswith("导入进度：2/20 个文件（10%），用时 ")
    assert "导入进度" not in result.stdout  # the JSON stays clean


def test_import_on_a_terminal_keeps_the_bar(tmp_path: Path, monkeypatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr("taizhang.cli.files.err", Console(file=screen, force_terminal=True, width=100))
    registration_files(tmp_path / "inbox", 12)
    result = runner.invoke(app, ["--db", str(tmp_path / "t.db"), "--as-of", "2022-02-10", "import",
                                 str(tmp_path / "inbox")])
    assert result.exit_code == 0, result.output
    assert "导入进度" not in screen.getvalue() + result.output


def test_daily_writes_the_progress_to_its_log(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["甲村"]\ninbox = "inbox"\n'
                                            'out = "out"\n', encoding="utf-8")
    registration_files(tmp_path / "inbox", 10)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["daily", "--date", "2022-02-10"])
    assert result.exit_code == 0, result.output
    log = (tmp_path / "out" / "taizhang.log").read_text(encoding="utf-8")
    progress = [line.split(" INFO ")[1] for line in log.splitlines() if "导入进度" in line]
    assert [p.split("，用时")[0] for p in progress] == [f"导入进度：{k}/10 个文件（{10 * k}%）" for k in range(1, 11)]
    assert "导入进度" not in result.output
    # the second day: the same files, unchanged, still counted
    result = runner.invoke(app, ["daily", "--date", "2022-02-11"])
    log = (tmp_path / "out" / "taizhang.log").read_text(encoding="utf-8")
    assert log.count("导入进度：10/10 个文件（100%）") == 2
