"""Personal data in any column, any file name, any output (issue 15, cause 7).

Masking used to cover the ID and phone *fields* only. An ID typed into 日期 or
采样日期, a phone in 体温, 姓名 and 身份证号 swapped, a phone in 包保责任人, an
ID in a file name: the full values reached messages, JSON, the log, the due
lists, the report and the notices. Now, unless `--no-mask`, every ID-like and
mobile-like digit run of every text taizhang writes is masked, and a newline
in a file name forges no log line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.privacy import LOG_FILTER, mask_text, mask_tree, mask_value, one_line

runner = CliRunner()
DAY = "2022-02-08"
ID_NAME = make_id(seq="101")  # 张三's own ID
ID_SWAPPED = make_id(seq="202")  # typed into 姓名 (姓名 and 身份证号 swapped)
ID_IN_DATE = make_id(seq="303")  # typed into 日期 of the temperature sheet
ID_IN_SAMPLE = make_id(seq="404")  # typed into 采样日期 of the test sheet
ID_IN_FILE = make_id(seq="505")  # in a file name
ID_OUTSIDER = make_id(seq="606")
PHONE = "13912340001"
PHONE_SWAPPED = "13912340002"
PHONE_GUARDIAN = "13712345678"  # in 包保责任人
PHONE_IN_TEMP = "18612349999"  # typed into 体温
PHONE_IN_HEADER = "13600001111"  # in the header of a column no alias names
SECRETS = (ID_NAME, ID_SWAPPED, ID_IN_DATE, ID_IN_SAMPLE, ID_IN_FILE, ID_OUTSIDER,
           PHONE, PHONE_SWAPPED, PHONE_GUARDIAN, PHONE_IN_TEMP, PHONE_IN_HEADER)
FORGED = "2022-02-08 00:00:00,000 ERROR 伪造的日志行"
# a file whose name holds an ID (and, where the OS allows, a newline and a forged
# log line); no village in it: its name is listed in the report under 村名未知
OUTSIDER_FILE = (f"外来人员{ID_IN_FILE}\n{FORGED}.csv" if sys.platform != "win32"
                 else f"外来人员{ID_IN_FILE}.csv")


def csv(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(root), "--villages", "平阳村,东溪村"]).exit_code == 0
    inbox = root / "inbox"
    csv(inbox / "平阳村登记.csv", [
        ["姓名", "身份证号", "联系电话", "村", "返乡日期", "登记日期", "状态", "状态日期", "包保责任人", "村医",
         f"甲乙{PHONE_IN_HEADER}"],
        ["张三", ID_NAME, PHONE, "平阳村", DAY, DAY, "", "", f"李干部{PHONE_GUARDIAN}", "刘医生", "x"],
        [ID_SWAPPED, "王五", PHONE_SWAPPED, "平阳村", DAY, DAY, "失联", DAY, "", "", ""]])
    csv(inbox / "平阳村体温.csv", [
        ["姓名", "身份证号", "日期", "时段", "体温"],
        ["张三", ID_NAME, ID_IN_DATE, "上午", "36.5"], ["张三", ID_NAME, DAY, "下午", PHONE_IN_TEMP],
        ["张三", ID_NAME, DAY, "上午", "38.5"]])
    csv(inbox / "平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                ["张三", ID_NAME, ID_IN_SAMPLE, "阴性"]])
    csv(inbox / OUTSIDER_FILE, [["姓名", "身份证号", "联系电话", "返乡日期", "登记日期"],
                                ["赵六", ID_OUTSIDER, "1391234", DAY, DAY]])
    monkeypatch.chdir(root)
    return root


def tz(*args: str):
    return runner.invoke(app, ["--as-of", DAY, *args])


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def file_texts(path: Path) -> list[str]:
    """Every byte of a file as text; an xlsx or docx as its zip members' XML."""
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as archive:
            return [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    return [path.read_bytes().decode("utf-8", "replace")]


def folder_leaks(folder: Path) -> dict[str, list[str]]:
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hits = sorted({s for text in [str(path.relative_to(folder)), *file_texts(path)] for s in leaks(text)})
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def run(*args: str) -> str:
    """stdout and stderr of a command that must not fail for another reason."""
    result = tz(*args)
    assert result.exit_code in (0, 1), result.output
    return result.stdout + result.stderr


# ------------------------------------------------------------------ daily


def test_daily_writes_no_full_id_or_phone_anywhere(ws: Path) -> None:
    result = tz("daily")
    assert result.exit_code == 0, result.output
    assert leaks(result.stdout + result.stderr) == []
    assert folder_leaks(ws / "out") == {}
    log = (ws / "out" / "taizhang.log").read_text(encoding="utf-8")
    # what the masking left readable: the problems are still there, masked
    assert "330681********" + ID_IN_DATE[-4:] in log
    assert "186****9999" in log
    lists = json.loads((ws / "out" / DAY / f"今日名单_{DAY}.json").read_text(encoding="utf-8"))
    assert "330681********" + ID_SWAPPED[-4:] in {e["name"] for e in lists["tests_due"]}
    report = (ws / "out" / DAY / f"日报告_{DAY}.txt").read_text(encoding="utf-8")
    assert "外来人员330681********" + ID_IN_FILE[-4:] in report  # a 村名未知 file, named masked


@pytest.mark.skipif(sys.platform == "win32", reason="a file name cannot hold a newline on Windows")
def test_a_newline_in_a_file_name_forges_no_log_line(ws: Path) -> None:
    assert tz("daily").exit_code == 0
    lines = (ws / "out" / "taizhang.log").read_text(encoding="utf-8").splitlines()
    record = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) ")
    assert [line for line in lines if not record.match(line)] == []
    assert not any(line.startswith(FORGED) for line in lines)
    assert any("\\n" + FORGED in line for line in lines)  # the name, on one line


# ------------------------------------------------------------------ commands


def test_validate_and_import_mask_messages_values_and_paths(ws: Path) -> None:
    for command in ("validate", "import"):
        for fmt in ("json", "table"):
            assert leaks(run(command, "inbox", "--format", fmt)) == [], (command, fmt)
    shown = json.loads(tz("validate", "inbox", "--format", "json", "--no-mask").stdout)
    values = {(p["column"], p["value"]) for p in shown["problems"]}
    assert {("日期", ID_IN_DATE), ("采样日期", ID_IN_SAMPLE), ("体温", PHONE_IN_TEMP)} <= values
    assert any(ID_IN_FILE in f["path"] for f in shown["files"])


def test_due_today_in_every_format(ws: Path, tmp_path: Path) -> None:
    assert tz("import", "inbox").exit_code == 0
    for fmt in ("table", "json", "csv"):
        assert leaks(run("due-today", "--format", fmt)) == [], fmt
    assert leaks(run("due-today", "--format", "xlsx", "--out", str(tmp_path / "d.xlsx"))) == []
    assert leaks("".join(file_texts(tmp_path / "d.xlsx"))) == []
    shown = json.loads(tz("due-today", "--format", "json", "--no-mask").stdout)
    assert ID_SWAPPED in {e["name"] for e in shown["tests_due"]}  # where it was typed


def test_daily_report_in_every_format(ws: Path, tmp_path: Path) -> None:
    assert tz("import", "inbox").exit_code == 0
    for fmt in ("text", "md", "json"):
        assert leaks(run("daily-report", "--format", fmt)) == [], fmt
    for fmt in ("text", "md", "html", "xlsx", "json"):
        assert leaks(run("daily-report", "--format", fmt, "--out", str(tmp_path / "r"))) == [], fmt
    assert folder_leaks(tmp_path / "r") == {}
    shown = tz("daily-report", "--format", "text", "--no-mask").stdout
    assert ID_SWAPPED in shown  # 失联: the name as written
    assert ID_IN_FILE in shown  # the 村名未知 file


def test_notices_in_every_format(ws: Path, tmp_path: Path) -> None:
    assert tz("import", "inbox").exit_code == 0
    for kind in ("isolation", "test"):
        for fmt in ("html", "docx"):
            assert leaks(run("notice", kind, "--format", fmt, "--out", str(tmp_path / "n"))) == []
    assert len(list((tmp_path / "n").glob("*.docx"))) >= 4
    assert folder_leaks(tmp_path / "n") == {}
    assert tz("notice", "test", "--out", str(tmp_path / "all"), "--no-mask").exit_code == 0
    page = (tmp_path / "all" / f"核酸检测通知_{DAY}.html").read_text(encoding="utf-8")
    assert PHONE_GUARDIAN in page and ID_SWAPPED in page


def test_notices_keep_the_offices_own_phone(ws: Path, tmp_path: Path) -> None:
    """contact_phone is the office's number, written for people to call: masking
    is for the ledger's data, not for the office's words."""
    config = ws / "taizhang.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'contact_phone = ""', 'contact_phone = "0571-87654321"'), encoding="utf-8")
    assert tz("import", "inbox").exit_code == 0
    assert tz("notice", "test", "--out", str(tmp_path / "n")).exit_code == 0
    page = (tmp_path / "n" / f"核酸检测通知_{DAY}.html").read_text(encoding="utf-8")
    assert "0571-87654321" in page
    assert leaks(page) == []


def test_export_person_and_batches(ws: Path, tmp_path: Path) -> None:
    assert tz("import", "inbox").exit_code == 0
    assert leaks(run("export", "--format", "csv")) == []
    assert leaks(run("export", "--format", "xlsx", "--out", str(tmp_path / "e.xlsx"))) == []
    assert leaks("".join(file_texts(tmp_path / "e.xlsx"))) == []
    for fmt in ("table", "json"):
        assert leaks(run("person", "张三", "--format", fmt)) == [], fmt
        assert leaks(run("batches", "--format", fmt)) == [], fmt
    shown = tz("export", "--format", "csv", "--no-mask").stdout
    assert PHONE_GUARDIAN in shown and ID_SWAPPED in shown and PHONE_IN_HEADER in shown
    person = json.loads(tz("person", "张三", "--format", "json", "--no-mask").stdout)
    assert f"李干部{PHONE_GUARDIAN}" in {f["value"] for f in person["fields"]}
    batches = json.loads(tz("batches", "--format", "json", "--no-mask").stdout)
    assert any(ID_IN_FILE in b["path"] for b in batches["batches"])


# ------------------------------------------------------------------ the masks


@pytest.mark.parametrize(("field", "text"), [
    ("date", "2022-02-08"), ("date", "20220208"), ("date", "2022/2/8 08:30"), ("slot", "08:30:15"),
    ("temperature", "36.5"), ("message", "体温38.5℃不在34.0–43.0℃之间"), ("message", "第12行"),
    ("message", "批次 12"), ("message", "“平阳村登记”第3行"), ("message", "共 1234 人"),
    ("value", "330681********1234"), ("value", "138****5678"), ("value", "+86 138****5678"),
    ("value", "057*******21"), ("remarks", "浙A12345"), ("remarks", "322000"), ("date", "２０２２０２０８"),
])
def test_what_the_mask_leaves(field: str, text: str) -> None:
    """Dates, times, temperatures, counts, row and batch numbers, numbers
    already masked: every output passes every text through `mask_value`."""
    assert mask_value(field, text) == text


def test_mask_text_in_free_text() -> None:
    cases = {
        "体温18612349999不在34.0–43.0℃之间": "体温186****9999不在34.0–43.0℃之间",  # ℃ stays ℃
        "（值：３３０６８１１９９００１０１１２３４）": "（值：330681********1234）",  # so does （：）
        "３３０６８１１９９００１０１１２３４ 于 ２０２２０２０８": "330681********1234 于 ２０２２０２０８",
        "李干部13712345678": "李干部137****5678",
        "inbox/外来人员330681199001015051.csv": "inbox/外来人员330681********5051.csv",
    }
    assert {text: mask_text(text) for text in cases} == cases


def test_mask_value_and_mask_tree() -> None:
    assert mask_value("id_number", "王五") == "**"  # a field keeps its rule
    assert mask_value("name", ID_SWAPPED) == mask_text(ID_SWAPPED)
    data = {"id_number": ID_NAME, "rows": 12345678, "items": [{"name": ID_SWAPPED, "day": 3}],
            ID_IN_FILE: ("a", PHONE)}
    assert leaks(json.dumps(mask_tree(data), ensure_ascii=False)) == []
    assert mask_tree(data)["rows"] == 12345678  # numbers are not text


def test_log_records_are_masked_and_on_one_line() -> None:
    assert one_line("a\nb\rc\u2028d\x0be") == "a\\nb\\rc\\u2028d\\x0be"
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "导入 %s：%s", (OUTSIDER_FILE, "imported"), None)
    assert LOG_FILTER.filter(record)
    assert LOG_FILTER.filter(record)  # a second pass changes nothing
    message = record.getMessage()
    assert "\n" not in message and leaks(message) == []
    assert message.startswith("导入 外来人员330681********" + ID_IN_FILE[-4:])
