"""Hostile files, faults and personal data (issue 7): every bad file gets one
clear line and the others are still imported; outputs never evaluate
formulas; crashes leave a consistent ledger; nothing leaks a full ID."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import DATA, make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.ledger import readings
from taizhang.ledger.schema import SCHEMA_VERSION
from taizhang.ledger.store import Store

runner = CliRunner()
GOOD_ID = make_id(seq="777")


def good_csv(folder: Path) -> Path:
    path = folder / "平阳村核酸.csv"
    path.write_text(f"姓名,身份证号,采样日期,检测结果\n张三,{GOOD_ID},2022-01-29,阴性\n", encoding="utf-8")
    return path


def xlsx_bomb(path: Path) -> Path:
    """A few KB claiming a cell at XFD1048576: the reader would need ~500 GB."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "姓名"
    book.active["B1"] = "身份证号"
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr">'
                                    b"<is><t>x</t></is></c></row></sheetData>")
            out.writestr(name, data)
    return path


def import_json(folder: Path, db: Path, *extra: str):
    result = runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-08", "import", str(folder),
                                 "--format", "json", *extra])
    return result, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("炸弹.xlsx", xlsx_bomb, "超过20,000,000个单元格的上限"),
        ("大单元格.csv", lambda p: p.write_text("姓名,身份证号\n张三," + "x" * (10 << 20) + "\n",
                                              encoding="utf-8") or p, "单元格内容超过"),
        ("空表.xlsx", lambda p: __import__("shutil").copy(DATA / "empty_sheet.xlsx", p) and p,
         "没有可读取的数据"),
        ("乱码.csv", lambda p: p.write_bytes(bytes(range(256)) * 50) or p, "不是表格文件"),
        ("中间NUL.csv", lambda p: p.write_bytes("姓名,身份证号\n".encode() + "张三,1\n".encode() * 2000
                                                + b"\x00" * 3 + "李四,2\n".encode()) or p, "NUL"),
        ("加密.xlsx", lambda p: __import__("shutil").copy(DATA / "password_protected.xlsx", p) and p,
         "密码"),
        ("截断.xlsx", lambda p: __import__("shutil").copy(DATA / "truncated.xlsx", p) and p, "损坏"),
        ("零字节.xls", lambda p: p.write_bytes(b"") or p, "0字节"),
    ],
)
def test_bad_file_is_one_clear_line_and_others_import(tmp_path: Path, name: str, make, reason: str
                                                      ) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good_csv(inbox)
    make(inbox / name)
    result, data = import_json(inbox, tmp_path / "t.db")
    assert result.exit_code == 1
    statuses = {Path(f["path"]).name: f for f in data["files"]}
    assert statuses["平阳村核酸.csv"]["status"] == "imported"
    bad = statuses[name]
    assert bad["status"] == "failed" and reason in bad["error"], bad
    assert "Traceback" not in result.output
    assert sum(1 for line in result.stderr.splitlines() if name in line) == 1


def test_odd_but_readable_files_are_read_with_a_note(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "网页导出.xlsx").write_text(
        "<html><body><table><tr><th>姓名</th><th>身份证号</th><th>采样日期</th><th>检测结果</th></tr>"
        f"<tr><td>李四</td><td>{make_id(seq='135')}</td><td>2022-01-30</td><td>阴性</td></tr>"
        "</table></body></html>", encoding="utf-8")
    (inbox / "混合编码.csv").write_bytes(
        f"姓名,身份证号,采样日期,检测结果\n王五,{make_id(seq='245')},2022-01-29,阴性\n".encode("gbk")
        + f"赵六,{make_id(seq='355')},2022-01-30,阴性\n".encode())
    rows = [f"人{i},{make_id(birth='19800101', seq=f'{i % 1000:03d}')[:-4]}{i:04d},2022-01-29,阴性"
            for i in range(100_000)]
    (inbox / "十万行.csv").write_text("姓名,备注,采样日期,检测结果\n" + "\n".join(rows) + "\n",
                                      encoding="utf-8")
    result, data = import_json(inbox, tmp_path / "t.db")
    assert result.exit_code == 0, result.stderr
    files = {Path(f["path"]).name: f for f in data["files"]}
    assert files["网页导出.xlsx"]["status"] == "imported" and files["网页导出.xlsx"]["rows"] == 1
    assert files["混合编码.csv"]["rows"] == 2
    assert files["十万行.csv"]["rows"] == 100_000
    assert "已按实际内容读取" in result.stderr
    assert "既有UTF-8也有GBK" in result.stderr
    with Store(tmp_path / "t.db", create=True) as store:
        names = {r[0] for r in store.db.execute("SELECT name FROM persons WHERE name IN ('王五','赵六')")}
    assert names == {"王五", "赵六"}


FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTAB"]


def test_formula_text_is_neutralised_in_every_output(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["=HYPERLINK(1)村"]\n'
                                        'inbox = "inbox"\nout = "out"\n', encoding="utf-8")
    lines = ["姓名,身份证号,村,返乡日期,备注"]
    for i, text in enumerate(FORMULAS):
        lines.append(f'"{text}",{make_id(seq=f"{i}11")},=HYPERLINK(1)村,2022-02-08,"{text}"')
    (root / "inbox" / "登记.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["--as-of", "2022-02-08", "daily", "--date", "2022-02-08"])
    assert result.exit_code == 0, result.output
    out = root / "out" / "2022-02-08"
    assert runner.invoke(app, ["export", "--format", "xlsx", "--out", str(out / "export.xlsx")]).exit_code == 0
    assert runner.invoke(app, ["export", "--format", "csv", "--out", str(out / "export.csv")]).exit_code == 0
    assert runner.invoke(app, ["notice", "isolation", "--date", "2022-02-08", "--format", "docx",
                               "--out", str(out / "docx")]).exit_code == 0
    import openpyxl

    for book_path in out.glob("*.xlsx"):
        book = openpyxl.load_workbook(book_path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book_path.name, cell.coordinate, cell.value)
    for csv_path in out.glob("*.csv"):
        text = csv_path.read_text(encoding="utf-8-sig")
        for formula in FORMULAS:
            for line in text.splitlines():
                for cell in line.split(","):
                    assert not cell.strip('"').startswith(formula), (csv_path.name, cell)
    for html_path in out.glob("*.html"):
        assert "<script" not in html_path.read_text(encoding="utf-8")
    from docx import Document

    docs = list((out / "docx").glob("*.docx"))
    assert len(docs) == len(FORMULAS)
    for doc in docs:
        assert all(not p.text.startswith(tuple(FORMULAS)) for p in Document(str(doc)).paragraphs)


def test_kill_9_during_daily_leaves_consistent_ledger_and_whole_files(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["平阳村"]\ninbox = "inbox"\n'
                                        'out = "out"\ndb = "t.db"\n', encoding="utf-8")
    good_csv(root / "inbox")
    marker = tmp_path / "writing"
    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        os.chdir({str(root)!r})
        from taizhang.outputs import daily_report as daily
        real = daily.write_report
        calls = []
        def slow(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                Path({str(marker)!r}).write_text("x")
                time.sleep(60)  # killed while writing outputs
            return real(*args, **kwargs)
        daily.write_report = slow
        import taizhang.jobs.daily as run
        run.write_report = slow
        from taizhang.cli import main
        sys.argv = ["taizhang", "--as-of", "2022-02-08", "daily"]
        main()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    try:
        while not marker.exists():
            assert proc.poll() is None, "daily ended before the kill point"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    db = sqlite3.connect(root / "t.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM tests").fetchone()[0] == 1
    db.close()
    out = root / "out" / "2022-02-08"
    written = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert written  # the lists and the first reports were written before the kill
    for path in written:
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))  # whole, parseable
    result = runner.invoke(app, ["--config", str(root / "taizhang.toml"), "--as-of", "2022-02-08",
                                 "daily"])
    assert result.exit_code == 0, result.output
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]


def test_full_disk_gives_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["平阳村"]\ninbox = "inbox"\n'
                                        'out = "out"\n', encoding="utf-8")
    good_csv(root / "inbox")
    monkeypatch.chdir(root)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("taizhang.outputs.atomic.os.replace", full)
    result = runner.invoke(app, ["--as-of", "2022-02-08", "daily"])
    assert result.exit_code == 1
    assert "磁盘已满" in result.output and "请清理磁盘空间" in result.output
    assert "Traceback" not in result.output
    assert not [p for p in (root / "out").rglob("*") if ".tmp-" in p.name]  # no debris


def test_unwritable_output_folder_gives_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["平阳村"]\ninbox = "inbox"\n'
                                        'out = "out"\n', encoding="utf-8")
    monkeypatch.chdir(root)
    real_mkdir = Path.mkdir

    def readonly(self, *args, **kwargs):
        if "out" in self.parts:
            raise PermissionError(13, "Permission denied")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", readonly)
    result = runner.invoke(app, ["--as-of", "2022-02-08", "daily"])
    assert result.exit_code == 1
    assert "无法创建输出文件夹" in result.output and "Traceback" not in result.output


def test_older_schema_is_migrated(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    db = sqlite3.connect(db_path)
    db.executescript((DATA / "ledger_schema_v1.sql").read_text(encoding="utf-8"))
    # readings one row each, as versions 1 and 2 stored them: two rows of a
    # wide sheet, one of them retracted, and an unreadable one (not kept)
    db.executemany("INSERT INTO temperatures(person_id, date, slot, temperature, batch_id, sheet, "
                   "row, retracted_by) VALUES (1, ?, ?, ?, 1, '体温', ?, ?)",
                   [("2022-02-01", "上午", 36.5, 3, None), ("2022-02-01", "下午", 37.3, 3, None),
                    ("2022-02-02", "上午", 36.6, 3, None), ("2022-02-03", None, 36.4, 4, 1),
                    (None, "上午", 36.8, 5, None)])
    db.commit()
    db.close()
    with Store(db_path, create=True) as store:
        version = store.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        assert int(version) == SCHEMA_VERSION == 6
        columns = [r[1] for r in store.db.execute("PRAGMA table_info(batches)")]
        assert {"notes", "file", "rows", "undone_at"} <= set(columns)
        # version 4: batches of older versions cannot be undone, their data rows are estimated
        assert store.db.execute("SELECT value FROM meta WHERE key='undo_from'").fetchone()[0] == "2"
        assert [tuple(r) for r in store.db.execute("SELECT id, rows, undone_at FROM batches")] == [
            (1, 3, None)]  # the person row (平阳村 2) and the reading rows 3 and 4
        assert store.person("11010519491231002X")["name"] == "张三"
        tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "temperatures" not in tables and "person_values" not in tables
        assert "sightings" in tables  # version 5
        # version 6: a claim keeps whether the test was retracted and who took it
        claims = [r[1] for r in store.db.execute("PRAGMA table_info(test_claims)")]
        assert {"retracted_by", "claimed_by"} <= set(claims)
        assert [(v["field"], v["value"], v["sheet"], v["row"]) for v in store.provenance(1)] == [
            ("name", "张三", "平阳村", 2)]
        rows = store.db.execute("SELECT row, n, retracted_by FROM temperature_rows ORDER BY row")
        assert [tuple(r) for r in rows] == [(3, 3, None), (4, 1, 1)]
        found = readings.load(store.db, "WHERE r.retracted_by IS NULL")
        assert [(date.fromordinal(d).isoformat(), s, t) for d, s, t in zip(
            found.day.tolist(), found.slots_text(), found.temperature.tolist(), strict=True)] == [
            ("2022-02-01", "上午", 36.5), ("2022-02-01", "下午", 37.3), ("2022-02-02", "上午", 36.6)]
        assert store.integrity_ok()


def test_internal_errors_show_no_traceback_and_no_data(tmp_path: Path, monkeypatch) -> None:
    path = good_csv(tmp_path)

    def boom(*args, **kwargs):
        raise ValueError(f"unexpected {GOOD_ID}")

    monkeypatch.setattr("taizhang.ingest.validation.validate_paths", boom)  # looked up when run
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "内部错误" in result.output and "--debug" in result.output
    assert GOOD_ID not in result.output and "Traceback" not in result.output


def test_doctor_reports_what_to_fix(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1 and "taizhang init" in result.output
    assert runner.invoke(app, ["init", "--villages", "平阳村"]).exit_code == 0
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "村（社区）名单：1个" in result.output
    (tmp_path / "templates" / "daily_report.txt.j2").write_text("{% if %}", encoding="utf-8")
    (tmp_path / "taizhang.db").write_bytes(b"not a database" * 100)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "daily_report.txt.j2" in result.output and "语法错误" in result.output
    assert "从备份恢复" in result.output


@pytest.mark.parametrize(("cell", "refused"), [
    ("XFD1", False),  # far column, one row: 16,384 cells
    ("AAA30000", True),  # 703 × 30,000 > 20,000,000 (a column past ZZ)
    ("ZZ30000", True),  # 702 × 30,000: tall enough that two-letter columns count
    ("ZZ20000", False),  # 702 × 20,000 = 14,040,000
    ("B1048576", False),  # two columns, every row: 2,097,152
])
def test_extent_scan_finds_the_far_cell(tmp_path: Path, cell: str, refused: bool) -> None:
    """The cell-by-cell scan behind the bomb check, on the shapes it treats differently."""
    from taizhang.errors import FileReadError
    from taizhang.ingest.files import check_xlsx_extent

    row = "".join(ch for ch in cell if ch.isdigit())
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("xl/worksheets/sheet1.xml",
                     '<worksheet><dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1"/></row>'
                     f'<row r="{row}"><c r="{cell}"/></row></sheetData></worksheet>')
    if refused:
        with pytest.raises(FileReadError, match="上限"):
            check_xlsx_extent(path)
    else:
        check_xlsx_extent(path)
