"""Daily report, notices and the daily run over a small hand-made ledger.

The ledger (as of 2022-02-10; villages 甲村, 乙村, 丙村 configured):
- 张三 (甲村) returned 02-10: new registration, day-1 test due today, not taken.
- 李四 (甲村) returned 01-27, tests 01-27/02-02/02-09 negative: P = 02-10 → released today.
- 王五 (甲村) 居家隔离14天 from 02-04, tests 02-04 and 02-10: day 7 due and done today.
- 赵六 (甲村) returned 02-01, 失联 since 02-05, day-7 test (02-07) missing → overdue 3 days;
  38.2℃ on 02-10 上午 → fever.
- 钱七 (乙村) returned 02-08, positive sample 02-10.
- 丙村 sent nothing → 未报送.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from conftest import DATA, make_id
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
GOLDEN = DATA / "golden"
IDS = {name: make_id(seq=f"{i:02d}1") for i, name in enumerate(["张三", "李四", "王五", "赵六", "钱七"])}
CONFIG = 'township = "青石镇"\nvillages = ["甲村", "乙村", "丙村"]\ninbox = "inbox"\nout = "out"\n' \
         'db = "taizhang.db"\nreporter = "王芳"\nreviewer = "李建国"\n'


def write(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


def build_workspace(root: Path) -> Path:
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text(CONFIG, encoding="utf-8")
    header = ["姓名", "身份证号", "联系电话", "村", "返乡日期", "登记日期", "管控措施", "状态", "状态日期",
              "包保责任人", "村医"]
    write(root / "inbox" / "甲村登记.csv", [header,
        ["张三", IDS["张三"], "13800000001", "甲村", "2022-02-10", "2022-02-10", "", "", "", "陈干部", "刘医生"],
        ["李四", IDS["李四"], "13800000002", "甲村", "2022-01-27", "2022-01-27", "", "", "", "陈干部", "刘医生"],
        ["王五", IDS["王五"], "13800000003", "甲村", "2022-02-04", "2022-02-04", "居家隔离14天", "", "", "", ""],
        ["赵六", IDS["赵六"], "13800000004", "甲村", "2022-02-01", "2022-02-01", "", "失联", "2022-02-05", "", ""]])
    write(root / "inbox" / "甲村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
        ["李四", IDS["李四"], "2022-01-27", "阴性"], ["李四", IDS["李四"], "2022-02-02", "阴性"],
        ["李四", IDS["李四"], "2022-02-09", "阴性"], ["王五", IDS["王五"], "2022-02-04", "阴性"],
        ["王五", IDS["王五"], "2022-02-10", "阴性"], ["赵六", IDS["赵六"], "2022-02-01", "阴性"]])
    write(root / "inbox" / "甲村体温.csv", [["姓名", "身份证号", "日期", "时段", "体温"],
        ["赵六", IDS["赵六"], "2022-02-10", "上午", "38.2"]])
    write(root / "inbox" / "乙村登记.csv", [header,
        ["钱七", IDS["钱七"], "13800000005", "乙村", "2022-02-08", "2022-02-08", "", "", "", "", ""]])
    write(root / "inbox" / "乙村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
        ["钱七", IDS["钱七"], "2022-02-08", "阴性"], ["钱七", IDS["钱七"], "2022-02-10", "阳性"]])
    return root


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = build_workspace(tmp_path / "ws")
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["--as-of", "2022-02-10", "import", "inbox"])
    assert result.exit_code == 0, result.output
    return root


def tz(*args: str):
    return runner.invoke(app, ["--as-of", "2022-02-10", *args])


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TAIZHANG_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_text_report_golden(workspace: Path) -> None:
    result = tz("daily-report", "--date", "2022-02-10")
    assert result.exit_code == 0, result.output
    golden("daily_report_2022-02-10.txt", result.stdout)
    assert "青石镇疫情防控日报告（2022年2月10日）" in result.stdout
    assert "【未报送】丙村" in result.stdout
    assert IDS["钱七"] not in result.stdout and IDS["钱七"][:6] + "********" in result.stdout


def test_json_report_numbers(workspace: Path) -> None:
    data = json.loads(tz("daily-report", "--date", "2022-02-10", "--format", "json").stdout)
    jia, yi, bing = data["villages"]
    assert jia == {"village": "甲村", "new_registrations": 1,
                   "under_control": {"居家隔离": 1, "居家健康监测": 2}, "released_today": 1,
                   "released_total": 1, "tests_due": 2, "tests_done": 1, "tests_overdue": 1,
                   "positives": 0, "fever": 1, "lost_contact": 1, "zero_report": False,
                   "submitted": True}
    assert (yi["positives"], yi["submitted"]) == (1, True)
    assert (bing["submitted"], bing["zero_report"]) == (False, True)
    assert data["zero_report"] is False
    assert data["totals"]["villages"] == 3 and data["totals"]["submitted"] == 2


def test_zero_report_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only 李四 (tests all negative): on 02-05 nobody is overdue, positive or febrile."""
    root = tmp_path / "zero"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["甲村"]\n', encoding="utf-8")
    write(root / "inbox" / "甲村.csv", [["姓名", "身份证号", "村", "返乡日期"],
                                       ["李四", IDS["李四"], "甲村", "2022-01-27"]])
    write(root / "inbox" / "甲村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                         ["李四", IDS["李四"], "2022-01-27", "阴性"],
                                         ["李四", IDS["李四"], "2022-02-02", "阴性"]])
    monkeypatch.chdir(root)
    assert runner.invoke(app, ["--as-of", "2022-02-05", "import", "inbox"]).exit_code == 0
    result = runner.invoke(app, ["daily-report", "--date", "2022-02-05"])
    assert result.exit_code == 0, result.output
    golden("zero_report_2022-02-05.txt", result.stdout)
    assert "今日全镇无新增阳性、无发热、无逾期未检，零报告。" in result.stdout
    assert "青石镇疫情防控零报告" in result.stdout


def test_markdown_and_html_contain_the_numbers(workspace: Path) -> None:
    md = tz("daily-report", "--date", "2022-02-10", "--format", "md").stdout
    golden("daily_report_2022-02-10.md", md)
    assert "| 甲村 | 1 | 3 | 1 | 1 | 2 | 1 | 1 | 0 | 1 | 1 | 已报送 |" in md
    result = tz("daily-report", "--date", "2022-02-10", "--format", "html", "--out", "reports")
    assert result.exit_code == 0, result.output
    html = (workspace / "reports" / "日报告_2022-02-10.html").read_text(encoding="utf-8")
    assert "<td class=\"left\">甲村</td><td>1</td><td>3</td><td>1</td><td>1</td><td>2</td><td>1</td>" in html
    assert "<svg" in html and "在管人数趋势" in html
    assert IDS["钱七"] not in html
    assert "size: A4" in html


def test_html_escapes_data(workspace: Path) -> None:
    write(workspace / "inbox" / "丙村登记.csv", [["姓名", "身份证号", "村", "返乡日期"],
                                              ["<script>x</script>", make_id(seq="991"), "丙村", "2022-02-10"]])
    tz("import", "inbox")
    tz("daily-report", "--date", "2022-02-10", "--format", "html", "--out", "reports")
    html = (workspace / "reports" / "日报告_2022-02-10.html").read_text(encoding="utf-8")
    assert "<script>x</script>" not in html


def test_xlsx_report(workspace: Path) -> None:
    result = tz("daily-report", "--date", "2022-02-10", "--format", "xlsx", "--out", "reports")
    assert result.exit_code == 0, result.output
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(workspace / "reports" / "日报告_2022-02-10.xlsx"))
    assert book.sheet_names == ["各村情况", "在管人数趋势"]
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][0] == "青石镇疫情防控日报告（2022-02-10）"
    assert rows[1][:3] == ["村（社区）", "新增登记", "在管人数"]
    assert rows[2][:4] == ["甲村", 1, 3, 1]
    assert rows[4][0] == "丙村" and rows[4][-1] == "未报送"
    trend = book.get_sheet_by_index(1).to_python()
    assert trend[-1][0] == "2022-02-10" and trend[-1][-1] == 4  # 3 in 甲村 + 钱七


@pytest.mark.parametrize(("kind", "names"), [("isolation", ["张三"]), ("test", ["张三"]),
                                             ("release", ["李四"])])
def test_notices_html(workspace: Path, kind: str, names: list[str]) -> None:
    result = tz("notice", kind, "--date", "2022-02-10", "--out", "notices")
    assert result.exit_code == 0, result.output
    [page] = list((workspace / "notices").glob("*.html"))
    html = page.read_text(encoding="utf-8")
    for name in names:
        assert name in html
    assert html.count('<section class="notice">') == len(names)
    assert all(ident not in html for ident in IDS.values())
    # 张三 starts in 居家健康监测 (the default regime): the 告知书 is worded for that phase
    expected_title = {"isolation": "居家健康监测告知书", "test": "核酸检测通知",
                      "release": "解除居家隔离医学观察通知书"}[kind]
    assert f"<h1>{expected_title}</h1>" in html
    if kind == "release":
        assert "自2022年2月10日起解除" in html and "2022年1月27日" in html
    if kind == "test":
        assert "第1天核酸检测日" in html


def test_notice_docx_one_file_per_person(workspace: Path) -> None:
    result = tz("notice", "test", "--date", "2022-02-10", "--format", "docx", "--out", "docx")
    assert result.exit_code == 0, result.output
    files = sorted((workspace / "docx").glob("*.docx"))
    assert [f.name for f in files] == ["核酸检测通知_2022-02-10_甲村_张三.docx"]
    from docx import Document

    text = "\n".join(p.text for p in Document(str(files[0])).paragraphs)
    assert text.startswith("核酸检测通知") and "张三" in text and IDS["张三"] not in text


def test_office_template_overrides_one_file(workspace: Path) -> None:
    (workspace / "templates").mkdir()
    (workspace / "taizhang.toml").write_text(CONFIG + 'templates = "templates"\n', encoding="utf-8")
    (workspace / "templates" / "notice_test.txt.j2").write_text(
        "核酸采样提醒\n\n{{ p.name }}：请于{{ date }}采样。\n青石镇\n{{ date }}\n", encoding="utf-8")
    tz("notice", "test", "--date", "2022-02-10", "--out", "notices")
    html = next((workspace / "notices").glob("*.html")).read_text(encoding="utf-8")
    assert "<h1>核酸采样提醒</h1>" in html and "张三：请于2022-02-10采样。" in html


def test_daily_writes_everything_and_logs_without_ids(workspace: Path) -> None:
    result = tz("daily", "--date", "2022-02-10")
    assert result.exit_code == 0, result.output
    out = workspace / "out" / "2022-02-10"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([
        "今日名单_2022-02-10.xlsx", "今日名单_2022-02-10.csv", "今日名单_2022-02-10.json",
        "日报告_2022-02-10.txt", "日报告_2022-02-10.md", "日报告_2022-02-10.html",
        "日报告_2022-02-10.xlsx", "日报告_2022-02-10.json", "居家隔离告知书_2022-02-10.html",
        "核酸检测通知_2022-02-10.html", "解除居家隔离通知书_2022-02-10.html", "今日任务_2022-02-10.txt"])
    everything = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in out.glob("*")
                         if p.suffix in (".csv", ".json", ".txt", ".md", ".html"))
    log = (workspace / "out" / "taizhang.log").read_text(encoding="utf-8")
    for ident in IDS.values():
        assert ident not in everything
        assert ident not in log
    assert "开始 daily 2022-02-10" in log and "结束 daily 2022-02-10" in log
    if sys.platform != "win32":
        assert (workspace / "out" / "taizhang.log").stat().st_mode & 0o777 == 0o600
    assert not list(out.glob(".*tmp*"))


def test_daily_exits_1_when_a_file_fails(workspace: Path) -> None:
    (workspace / "inbox" / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated")
    result = tz("daily", "--date", "2022-02-10")
    assert result.exit_code == 1
    assert "坏文件.xlsx" in result.output
    assert (workspace / "out" / "2022-02-10" / "日报告_2022-02-10.txt").exists()


def test_two_daily_runs_do_not_overlap(workspace: Path) -> None:
    import sqlite3

    (workspace / "out").mkdir(exist_ok=True)
    holder = sqlite3.connect(workspace / "out" / ".taizhang-daily.lock", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = tz("daily", "--date", "2022-02-10", "--wait", "0.2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "另一个 taizhang daily 正在运行" in result.output
    assert not (workspace / "out" / "2022-02-10").exists() or \
        not list((workspace / "out" / "2022-02-10").iterdir())


def test_demo_runs_on_the_sample(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "日报告_2022-02-08.html" in result.stdout
    report = json.loads((tmp_path / "demo" / "out" / "2022-02-08" / "日报告_2022-02-08.json")
                        .read_text(encoding="utf-8"))
    assert [v["village"] for v in report["villages"]] == ["平阳村", "东溪村", "桃源村", "新桥社区", "石门村"]
    assert re.search(r"在管 \d+ 人", result.stdout)


def test_an_older_labels_copy_still_works(workspace: Path) -> None:
    """An office's labels.toml from an older version lacks newer sections and keys."""
    (workspace / "templates").mkdir()
    (workspace / "taizhang.toml").write_text(CONFIG + 'templates = "templates"\n', encoding="utf-8")
    (workspace / "templates" / "labels.toml").write_text('[report_columns]\nvillage = "行政村"\n',
                                                         encoding="utf-8")
    md = tz("daily-report", "--date", "2022-02-10", "--format", "md").stdout
    assert "| 行政村 | 新增登记 |" in md
    result = tz("due-today", "--date", "2022-02-10")
    assert result.exit_code == 0, result.output
    assert "今日待检（含昨日应检未检）" in result.stdout  # the packaged label fills the gap


def test_notices_for_people_without_an_id_go_to_the_right_person(workspace: Path) -> None:
    """Two returnees without an ID number (keyed by name + phone) both due today:
    each gets a notice with their own name, not two copies of one."""
    write(workspace / "inbox" / "丙村登记.csv", [["姓名", "联系电话", "村", "返乡日期", "包保责任人"],
                                              ["孙甲", "13900000001", "丙村", "2022-02-10", "周干部"],
                                              ["孙乙", "13900000002", "丙村", "2022-02-10", "吴干部"]])
    assert tz("import", "inbox").exit_code == 0
    result = tz("notice", "test", "--date", "2022-02-10", "--out", "notices")
    assert result.exit_code == 0, result.output
    html = next((workspace / "notices").glob("*.html")).read_text(encoding="utf-8")
    assert html.count("孙甲（身份证号") == 1 and html.count("孙乙（身份证号") == 1
    assert "周干部" in html and "吴干部" in html
    isolation = tz("notice", "isolation", "--date", "2022-02-10", "--out", "iso")
    assert isolation.exit_code == 0, isolation.output
    text = next((workspace / "iso").glob("*.html")).read_text(encoding="utf-8")
    assert "居家健康监测14天" in text and "（第1、7、14天）" in text
