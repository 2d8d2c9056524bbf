"""A few KB must never take the whole run down (issue 15, cause 1).

Every file but a small CSV is read in a worker process under a memory and a
time limit (ingest/sandbox.py); the checks before reading (extent, html,
files) refuse the bombs they know with their own message. For each hostile
file, built here by scripts/hostile_run.py's generators: an import of a
folder holding it and a good CSV exits 1, the hostile file `failed` with a
Chinese message, the good one is imported, no traceback anywhere.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.errors import FileReadError
from taizhang.ingest import extent, sandbox
from taizhang.ingest.files import read_workbook
from taizhang.ingest.html import read_html
from taizhang.ingest.layout import fill_merged
from taizhang.ingest.records import FileResult
from taizhang.ingest.validation import Validator
from taizhang.ledger import importer

_spec = importlib.util.spec_from_file_location("hostile_run", ROOT / "scripts" / "hostile_run.py")
assert _spec is not None and _spec.loader is not None
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)

runner = CliRunner()
GOOD = "平阳村核酸.csv"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX only")
CASES = {
    **{f"far_{name}": (lambda p, name=name: hostile.far_cell(p, name), "单元格的上限")
       for name in hostile.FAR_SPELLINGS if name != "duplicate_r"},
    "far_duplicate_r": (lambda p: hostile.far_cell(p, "duplicate_r"), "格式有误"),
    "far_x_prefix": (hostile.far_cell_prefixed, "单元格的上限"),
    "far_after_33MB": (lambda p: hostile.far_cell(p, "plain", padding=33 << 20), "单元格的上限"),
    "shared_strings_many": (lambda p: hostile.shared_strings_many(p, 300_000), "共享文字表"),
    "shared_string_copied": (lambda p: hostile.shared_strings_copied(p, 2 << 20, 2000), "文字展开后"),
    "merges_2000": (lambda p: hostile.merge_bomb(p, 2000, 300), "合并单元格区域互相重叠"),
}


def hostile_file(folder: Path, case: str) -> Path:
    if case == "xls_column_65535":
        return hostile.xls_far_column(folder / "攻击.xls")
    if case == "html_spans":
        return hostile.html_spans(folder / "攻击.xls")
    return CASES[case][0](folder / "攻击.xlsx")


EXPECTED = {**{k: v[1] for k, v in CASES.items()}, "xls_column_65535": "读取时内存超过限制",
            "html_spans": "rowspan/colspan"}


def invoke(*args: str):
    result = runner.invoke(app, [*args])
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.output and "Traceback" not in (result.stderr or "")
    return result


def check_one_failed(result, data: dict, name: str, reason: str) -> None:
    assert result.exit_code == 1, result.output
    by_name = {Path(f["path"]).name: f for f in data["files"]}
    bad = by_name[name]
    assert reason in bad["error"], bad["error"]
    assert re.search(r"[\u4e00-\u9fff]", bad["error"]) and "请" in bad["error"]
    assert sum(1 for line in result.stderr.splitlines() if name in line) == 1


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_hostile_file_fails_alone_on_import(tmp_path: Path, case: str) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    hostile.good_csv(inbox / GOOD, make_id(seq="777"))
    bad = hostile_file(inbox, case)
    result = invoke("--db", str(tmp_path / "t.db"), "--as-of", "2022-02-08", "import", str(inbox),
                    "--format", "json")
    data = json.loads(result.stdout)
    check_one_failed(result, data, bad.name, EXPECTED[case])
    statuses = {Path(f["path"]).name: f["status"] for f in data["files"]}
    assert statuses == {GOOD: "imported", bad.name: "failed"}


@pytest.mark.parametrize("case", ["xls_column_65535", "far_attribute_order", "html_spans"])
def test_hostile_file_fails_alone_on_validate(tmp_path: Path, case: str) -> None:
    hostile.good_csv(tmp_path / GOOD, make_id(seq="777"))
    bad = hostile_file(tmp_path, case)
    result = invoke("--as-of", "2022-02-08", "validate", str(tmp_path), "--format", "json")
    data = json.loads(result.stdout)
    check_one_failed(result, data, bad.name, EXPECTED[case])
    assert [f["rows"] for f in data["files"] if Path(f["path"]).name == GOOD] == [1]


def test_worker_mode_fails_only_the_hostile_files_and_never_reads_them_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a pool of workers (a big import), a worker that dies is replaced:
    the files after it are read, and no file is read again in this process."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(6):
        hostile.good_csv(inbox / f"村{i}核酸.csv", make_id(seq=f"{700 + i}"))
    hostile.xls_far_column(inbox / "村2炸弹.xls")
    hostile.far_cell(inbox / "村4炸弹.xlsx", "lowercase")
    monkeypatch.setattr(importer, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "POOL_MIN_FILES", 2)
    here: list[str] = []
    real = Validator.validate_file

    def spy(self: Validator, path: Path, display: str | None = None) -> FileResult:
        here.append(Path(path).name)
        return real(self, path, display)

    monkeypatch.setattr(Validator, "validate_file", spy)
    result = invoke("--db", str(tmp_path / "t.db"), "--as-of", "2022-02-08", "import", str(inbox),
                    "--jobs", "2", "--format", "json")
    data = json.loads(result.stdout)
    statuses = {Path(f["path"]).name: f["status"] for f in data["files"]}
    assert statuses.pop("村2炸弹.xls") == "failed" and statuses.pop("村4炸弹.xlsx") == "failed"
    assert set(statuses.values()) == {"imported"} and len(statuses) == 6
    assert here == []  # everything was read by the workers
    check_one_failed(result, data, "村2炸弹.xls", "读取时内存超过限制")


def test_daily_is_protected_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["平阳村"]\ninbox = "inbox"\n'
                                        'out = "out"\ndb = "t.db"\n', encoding="utf-8")
    hostile.good_csv(root / "inbox" / GOOD, make_id(seq="777"))
    hostile.xls_far_column(root / "inbox" / "攻击.xls")
    monkeypatch.chdir(root)
    result = invoke("--as-of", "2022-02-08", "daily")
    assert result.exit_code == 1
    assert "攻击.xls" in result.output and "读取时内存超过限制" in result.output
    import sqlite3

    assert sqlite3.connect(root / "t.db").execute("SELECT count(*) FROM tests").fetchone()[0] == 1


# --------------------------------------------------------------------------- the pool itself


def pool_task(path: Path, name: str) -> FileResult:
    """What a worker does with a file named …: abort, sleep, alloc, raise, or read it."""
    if name.startswith("exit"):
        os._exit(3)
    if name.startswith("sleep"):
        time.sleep(600)
    if name.startswith("alloc"):
        block = bytearray(4 << 30)  # past the limit: refused at once, nothing touched
        return FileResult(name, notes=[str(len(block))])
    if name.startswith("raise"):
        raise ValueError("a bug in a reader")
    if name.startswith("pid"):
        Path(path).write_text(str(os.getpid()))
        time.sleep(600)
    return FileResult(name, notes=[str(os.getpid())])


def pool_init(*args: object) -> None:
    pass


@POSIX
def test_a_worker_that_dies_overruns_or_exhausts_fails_its_file_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MEMORY_LIMIT", 1 << 30)
    monkeypatch.setattr(sandbox, "READ_TIMEOUT", 3.0)
    names = ["a", "exit", "b", "alloc", "c", "sleep", "d"]
    with sandbox.ReaderPool(pool_task, pool_init, (), 2) as pool:
        results = list(pool.read([(tmp_path / n, n, 10) for n in names]))
    assert [r.path for r in results] == names  # in order
    errors = {r.path: r.error for r in results}
    assert errors["exit"].startswith("读取程序崩溃")
    assert errors["alloc"].startswith("读取时内存超过限制（1.0GB）")
    assert errors["sleep"].startswith("读取超时（3秒")
    assert [errors[n] for n in "abcd"] == [None] * 4


def test_an_exception_in_a_reader_reaches_the_caller(tmp_path: Path) -> None:
    """A bug is not a bad file: it propagates, as it would without workers."""
    with sandbox.ReaderPool(pool_task, pool_init, (), 1) as pool:
        results = pool.read([(tmp_path / n, n, 10) for n in ("a", "raise", "b")])
        assert next(results).error is None
        with pytest.raises(ValueError, match="a bug in a reader"):
            next(results)


def test_workers_are_reused_across_files(tmp_path: Path) -> None:
    with sandbox.ReaderPool(pool_task, pool_init, (), 1) as pool:
        pids = {r.notes[0] for r in pool.read([(tmp_path / f"f{i}", f"f{i}", 10) for i in range(5)])}
    assert len(pids) == 1 and pids != {str(os.getpid())}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks a Linux process table")
def test_a_worker_does_not_outlive_a_killed_parent(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from taizhang.ingest.sandbox import ReaderPool
        from test_hostile_readers import pool_init, pool_task
        if __name__ == "__main__":
            with ReaderPool(pool_task, pool_init, (), 1) as pool:
                list(pool.read([(Path({str(pidfile)!r}), "pid", 10)]))
    """)
    (tmp_path / "parent.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # what a killed parent leaves stays here
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py")], cwd=tmp_path, env=env)
    deadline = time.monotonic() + 60
    try:
        while not pidfile.exists() or not pidfile.read_text():
            assert parent.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    worker = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived its parent")


def test_a_small_csv_is_read_here_a_workbook_or_a_wide_csv_by_a_worker(tmp_path: Path) -> None:
    small = hostile.good_csv(tmp_path / "a.csv")
    wide = hostile.wide_csv(tmp_path / "b.csv", 50_000, 100)
    book = hostile.good_xlsx(tmp_path / "c.xlsx")
    assert sandbox.reads_inline(small, small.stat().st_size)
    assert not sandbox.reads_inline(wide, wide.stat().st_size)
    assert not sandbox.reads_inline(book, book.stat().st_size)


# --------------------------------------------------------------------------- the checks before reading


def test_every_spelling_of_a_far_cell_is_found(tmp_path: Path) -> None:
    """In the usual spelling the byte counts find it; in any other the XML parser does."""
    for name in hostile.FAR_SPELLINGS:
        path = hostile.far_cell(tmp_path / f"{name}.xlsx", name)
        with pytest.raises(FileReadError, match=r"单元格的上限|格式有误"):
            extent.check_xlsx_extent(path)
        ok = hostile.far_cell(tmp_path / f"{name}_ok.xlsx", name, "XFD2")  # far, but one row
        if name not in ("duplicate_r", "no_r"):
            extent.check_xlsx_extent(ok)


def test_a_cell_after_many_pieces_is_found_in_any_spelling(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan goes in pieces (4 MB; 4 KB here): what comes after them
    counts, and so does a tag longer than a piece."""
    monkeypatch.setattr(extent, "_CHUNK", 4096)
    for name in ("plain", "attribute_order", "lowercase"):
        path = hostile.far_cell(tmp_path / f"{name}.xlsx", name, padding=200_000)
        with pytest.raises(FileReadError, match="XFD1048576"):
            extent.check_xlsx_extent(path)
    attributes = "".join(f'a{i}="1" ' for i in range(2000))
    long_tag = f'<row r="2"><c {attributes}r="XFD1048576"><v>1</v></c></row>'
    path = hostile.xlsx(tmp_path / "long.xlsx", hostile.HEADER + long_tag)
    with pytest.raises(FileReadError, match="XFD1048576"):
        extent.check_xlsx_extent(path)


def test_the_parser_and_the_byte_counts_agree_on_a_real_sheet(tmp_path: Path) -> None:
    path = hostile.good_xlsx(tmp_path / "g.xlsx")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        counted, parsed = extent._count(archive, info), extent._parse(archive, info)
    assert (parsed.rows, parsed.cols, parsed.cells) == (5, 2, 10)
    assert (counted.cells, counted.rows >= 5, counted.cols >= 2) == (10, True, True)
    extent.check_xlsx_extent(path)
    (sheet,) = read_workbook(path).sheets
    assert sheet.grid[4] == ["李5", "11010519491231002X"]


def test_shared_strings_are_bounded_by_the_cells_that_use_them(tmp_path: Path) -> None:
    fine = hostile.shared_strings_copied(tmp_path / "fine.xlsx", 100_000, 2000)  # 200 MB of copies
    extent.check_xlsx_extent(fine)
    with pytest.raises(FileReadError, match="文字展开后超过512MB"):
        extent.check_xlsx_extent(hostile.shared_strings_copied(tmp_path / "bad.xlsx", 300_000, 2000))
    with pytest.raises(FileReadError, match="共享文字表有200,000条"):
        extent.check_xlsx_extent(hostile.shared_strings_many(tmp_path / "many.xlsx", 200_000))


def test_merged_ranges_are_cut_to_the_sheet(tmp_path: Path) -> None:
    """A range to XFD1048576 over a small sheet is the sheet's size; ranges
    covering the sheet over and over are refused before anything is filled."""
    path = hostile.merge_bomb(tmp_path / "one.xlsx", 1, 5)
    (sheet,) = read_workbook(path).sheets
    assert sheet.merged == [((0, 0), (5, 7))]
    with pytest.raises(FileReadError, match="互相重叠"):
        read_workbook(hostile.merge_bomb(tmp_path / "many.xlsx", 2000, 20_000))
    grid = [[1, 2, 3], [4, 5, 6]]
    started = time.perf_counter()
    fill_merged(grid, [((0, 0), (1_048_575, 16_383))] * 1000)
    assert grid == [[1, 1, 1], [1, 1, 1]] and time.perf_counter() - started < 1


def test_html_spans_are_laid_out_as_a_browser_does_and_bounded() -> None:
    page = ('<table><tr><th colspan="3">青石镇返乡人员登记表</th></tr>'
            '<tr><td rowspan="5">平阳村</td><td>张三</td><td>1</td></tr>'
            "<tr><td>李四</td><td>2</td></tr></table>")
    ((_, grid, merged),) = read_html(page)
    assert grid == [["青石镇返乡人员登记表", "", ""], ["平阳村", "张三", "1"], ["", "李四", "2"]]
    assert merged == [((0, 0), (0, 2)), ((1, 0), (2, 0))]  # the rowspan ends with the table
    bomb = "<table>" + "<tr><td rowspan=1000 colspan=1000>x</td></tr>" * 2000 + "</table>"
    with pytest.raises(ValueError, match="rowspan/colspan"):
        read_html(bomb)


def test_memory_limit_is_sane() -> None:
    assert 1 << 30 <= sandbox.MEMORY_LIMIT <= 3 << 30
    assert sandbox.read_timeout(10 << 20) == sandbox.READ_TIMEOUT + 10 * sandbox.READ_TIMEOUT_PER_MB


def test_validator_in_a_worker_defers_the_cross_check() -> None:
    worker = Validator(as_of=date(2022, 2, 8)).for_worker()
    assert worker.defer_cross_check
