"""`taizhang template` (issue 17, point 2): templates that prevent errors.

The key test is the round trip: each template is filled by a script the way
a village fills it (text in the ID and phone cells, real dates in the date
cells, values taken from the template's own dropdown lists), imported with
`taizhang import`, and must give zero problems and exactly the records
written. The rest checks what Excel keeps of the template: validations that
survive a save, text-formatted ID cells, the print setup, no output mark.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ingest.files import RawSheet, read_workbook
from taizhang.ingest.layout import detect_layout, fill_merged
from taizhang.ingest.own import xlsx_output
from taizhang.ingest.validation import INSTRUCTIONS_SHEET, Validator
from taizhang.outputs.template import display_width, template_columns
from taizhang.outputs.templating import load_labels

AS_OF = "2022-02-08"
VILLAGES = ["平阳村", "东溪村", "石门村", "桃源村", "新桥社区"]
runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    villages = ", ".join(f'"{v}"' for v in VILLAGES)
    (tmp_path / "taizhang.toml").write_text(f'township = "青石镇"\nvillages = [{villages}]\n',
                                            encoding="utf-8")
    return tmp_path


def tz(*args: str) -> Any:
    return runner.invoke(app, ["--db", "t.db", "--as-of", AS_OF, *args])


def make(*args: str) -> Path:
    result = tz("template", *args)
    assert result.exit_code == 0, result.output
    return Path(args[args.index("--out") + 1])


# ------------------------------------------------------------------ filling a template by script


def header_columns(ws: Any) -> tuple[int, dict[str, int]]:
    """The header row (the one starting with 姓名) and each label's column."""
    for row in ws.iter_rows(min_row=1, max_row=10):
        if row[0].value == "姓名":
            return row[0].row, {c.value: c.column for c in row if isinstance(c.value, str)}
    raise AssertionError("no header row")


def dropdowns(wb: Any, ws: Any) -> dict[int, list[str]]:
    """Each list-validated column's options, read from the workbook (inline, or
    a range of the hidden list sheet)."""
    found: dict[int, list[str]] = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        source = dv.formula1
        if source.startswith('"'):
            options = source.strip('"').split(",")
        else:
            sheet, cells = source.lstrip("=").split("!")
            options = [c.value for row in wb[sheet.strip("'")][cells.replace("$", "")] for c in row]
        col = next(iter(dv.sqref.ranges)).min_col
        found[col] = options
    return found


def fill(path: Path, rows: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Write `rows` ({header label: value}) under the header, as Excel would
    store them; every value of a dropdown column must be one of its options."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header, cols = header_columns(ws)
    # under a two-row header (dates over 上午/下午) the data start a row later
    first = header + (2 if any(isinstance(c.value, str) for c in ws[header + 1]) else 1)
    lists = dropdowns(wb, ws)
    for r, row in enumerate(rows, start=first):
        for label, value in row.items():
            col = cols[label] if isinstance(label, str) else label
            if col in lists:
                assert value in lists[col], (label, value, lists[col])
            ws.cell(r, col).value = value
    wb.save(path)
    return lists


def imported(path: Path) -> dict[str, Any]:
    result = tz("import", str(path), "--format", "json", "--no-mask")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def query(sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect("t.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------ round trips


ID_A, ID_B = make_id(birth="19900101", seq="123"), make_id(birth="19950505", seq="246")


def test_a_filled_registration_template_imports_without_a_problem(workspace: Path) -> None:
    path = make("registration", "--village", "平阳村", "--out", "登记.xlsx")
    people = [
        {"姓名": "张伟", "性别": "男", "身份证号": ID_A, "联系电话": "13812345678", "村（社区）": "平阳村",
         "现住址": "平阳村3-2号", "来源地": "浙江省杭州市西湖区", "风险等级": "中", "人员类别": "返乡人员",
         "离开风险地日期": datetime(2022, 1, 26), "返乡日期": datetime(2022, 1, 28),
         "登记日期": datetime(2022, 1, 29), "交通方式": "火车", "航班号/车次": "G1234",
         "工作地": "杭州", "是否持核酸阴性证明": "是", "健康码颜色": "绿码",
         "管控措施": "中风险地区7天居家健康监测", "管控开始日期": datetime(2022, 1, 28),
         "状态": "隔离中", "包保责任人": "李强", "村医": "王芳", "备注": "已接种三针"},
        {"姓名": "刘芳", "性别": "女", "身份证号": ID_B, "联系电话": "0575-87654321", "村（社区）": "平阳村",
         "来源地": "上海市浦东新区", "风险等级": "低", "人员类别": "入境人员",
         "返乡日期": datetime(2022, 1, 20), "是否持核酸阴性证明": "否", "管控措施": "居家隔离14天",
         "状态": "已解除", "状态日期": datetime(2022, 2, 3)},
    ]
    fill(path, people)
    report = imported(path)
    assert report["problems"] == []
    assert [(f["status"], f["kind"], f["village"], f["rows"]) for f in report["files"]] == [
        ("imported", "registration", "平阳村", 2)]
    assert [p["row"] for p in report["problems"]] == []
    assert query("SELECT DISTINCT row FROM person_rows ORDER BY row") == [(4,), (5,)]  # rows Excel shows
    assert report["persons_new"] == 2
    # as the ledger keeps them: a landline without its separator
    stored = query("SELECT name, sex, id_number, phone, village, address, origin, risk_level, category, "
                   "departure_date, arrival_date, registration_date, transport, trip_no, workplace, "
                   "has_negative_proof, health_code, regime, control_start, status, status_date, "
                   "guardian, doctor, remarks FROM persons ORDER BY name DESC")
    assert stored == [
        ("张伟", "男", ID_A, "13812345678", "平阳村", "平阳村3-2号", "浙江省杭州市西湖区", "中", "返乡人员",
         "2022-01-26", "2022-01-28", "2022-01-29", "火车", "G1234", "杭州", "是", "绿码",
         "中风险地区7天居家健康监测", "2022-01-28", "隔离中", None, "李强", "王芳", "已接种三针"),
        ("刘芳", "女", ID_B, "057587654321", "平阳村", None, "上海市浦东新区", "低", "入境人员",
         None, "2022-01-20", None, None, None, None, "否", None, "居家隔离14天", None, "已解除",
         "2022-02-03", None, None, None),
    ]
    assert query("SELECT count(*) FROM rejected_rows") == [(0,)]
    assert query("SELECT count(*) FROM person_extras") == [(0,)]  # every column was understood


def test_a_filled_test_template_imports_without_a_problem(workspace: Path) -> None:
    path = make("tests", "--out", "核酸.xlsx")
    lists = fill(path, [
        {"姓名": "张伟", "身份证号": ID_A, "联系电话": "13812345678", "村（社区）": "东溪村",
         "采样日期": datetime(2022, 1, 28), "检测结果": "阴性", "采样点": "镇卫生院"},
        {"姓名": "张伟", "身份证号": ID_A, "联系电话": "13812345678", "村（社区）": "东溪村",
         "采样日期": datetime(2022, 2, 3), "检测结果": "待出", "采样点": "镇卫生院"},
        {"姓名": "刘芳", "身份证号": ID_B, "村（社区）": "东溪村",
         "采样日期": datetime(2022, 2, 1), "检测结果": "阳性"},
    ])
    assert sorted(lists.values()) == sorted([["阴性", "阳性", "待出"], VILLAGES])  # villages: the config
    report = imported(path)
    assert report["problems"] == []
    assert [(f["status"], f["kind"], f["rows"]) for f in report["files"]] == [("imported", "tests", 3)]
    # results as the ledger stores them: 阴性 negative, 阳性 positive, 待出 pending
    assert query("SELECT p.id_number, t.sample_date, t.result, t.site FROM tests t "
                 "JOIN persons p ON p.id = t.person_id ORDER BY p.id_number, t.sample_date") == sorted([
        (ID_A, "2022-01-28", "negative", "镇卫生院"), (ID_A, "2022-02-03", "pending", "镇卫生院"),
        (ID_B, "2022-02-01", "positive", "")])


def test_a_filled_temperature_template_imports_without_a_problem(workspace: Path) -> None:
    path = make("temperatures", "--village", "新桥社区", "--date", "2022-02-01", "--days", "3",
                "--out", "体温.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header, _ = header_columns(ws)
    # dates merged over 上午/下午, the two-row layout the reader knows
    assert [ws.cell(header, c).value for c in (5, 7, 9)] == [datetime(2022, 2, d) for d in (1, 2, 3)]
    assert [ws.cell(header + 1, c).value for c in range(5, 11)] == ["上午", "下午"] * 3
    assert {str(m) for m in ws.merged_cells.ranges} >= {"E3:F3", "G3:H3", "I3:J3", "A3:A4"}
    fill(path, [
        {"姓名": "张伟", "身份证号": ID_A, "村（社区）": "新桥社区",
         5: 36.5, 6: 36.6, 7: 36.4, 8: 37.5, 9: 36.5},
        {"姓名": "刘芳", "联系电话": "13912345678", "村（社区）": "新桥社区", 5: 36.1, 10: 36.2},
    ])
    report = imported(path)
    assert report["problems"] == []
    assert [(f["status"], f["kind"], f["village"]) for f in report["files"]] == [
        ("imported", "temperatures", "新桥社区")]
    from taizhang import open_ledger

    readings = open_ledger("t.db").readings(mask=False)
    got = sorted((r.name, r.village, r.date.date().isoformat(), r.slot, r.temperature)
                 for r in readings.itertuples())
    z, f = ("张伟", "新桥社区"), ("刘芳", "新桥社区")
    assert got == sorted([
        (*z, "2022-02-01", "上午", 36.5), (*z, "2022-02-01", "下午", 36.6),
        (*z, "2022-02-02", "上午", 36.4), (*z, "2022-02-02", "下午", 37.5),
        (*z, "2022-02-03", "上午", 36.5),
        (*f, "2022-02-01", "上午", 36.1), (*f, "2022-02-03", "下午", 36.2)])
    assert query("SELECT name, id_number, phone FROM persons ORDER BY name") == [
        ("刘芳", None, "13912345678"), ("张伟", ID_A, None)]


def test_long_lists_go_to_a_hidden_sheet_and_still_import(workspace: Path) -> None:
    many = [f"第{n}村" for n in range(1, 61)]  # 60 villages: more than 255 characters inline
    (workspace / "taizhang.toml").write_text(
        'township = "青石镇"\nvillages = [' + ", ".join(f'"{v}"' for v in many) + "]\n", encoding="utf-8")
    path = make("registration", "--out", "登记.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb["下拉选项"].sheet_state == "hidden"
    village_list = next(dv for dv in wb.worksheets[0].data_validations.dataValidation
                        if dv.type == "list" and "下拉选项" in dv.formula1)
    assert village_list.formula1 == "'下拉选项'!$A$2:$A$61"
    lists = fill(path, [{"姓名": "张伟", "身份证号": ID_A, "村（社区）": "第42村",
                         "返乡日期": datetime(2022, 1, 28)}])
    assert lists[5] == many
    report = imported(path)
    assert report["problems"] == []
    assert query("SELECT name, village FROM persons") == [("张伟", "第42村")]


# ------------------------------------------------------------------ what the workbook holds


def test_validations_and_text_format_survive_a_save(workspace: Path) -> None:
    path = make("registration", "--out", "登记.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.save(path)  # as a clerk's spreadsheet program saves it again
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header, cols = header_columns(ws)
    kinds = {next(iter(dv.sqref.ranges)).min_col: dv for dv in ws.data_validations.dataValidation}
    id_rule = kinds[cols["身份证号"]]
    assert (id_rule.type, id_rule.operator, id_rule.formula1) == ("textLength", "equal", "18")
    assert id_rule.showInputMessage and id_rule.prompt
    for label in ("离开风险地日期", "返乡日期", "登记日期", "管控开始日期", "状态日期"):
        rule = kinds[cols[label]]
        assert rule.type == "date" and rule.operator in (None, "between"), label  # between: the default
        assert rule.prompt == "格式：2022-01-28"
    assert kinds[cols["性别"]].formula1 == '"男,女"'
    assert kinds[cols["风险等级"]].formula1 == '"高,中,低"'
    assert kinds[cols["是否持核酸阴性证明"]].formula1 == '"是,否"'
    assert kinds[cols["状态"]].formula1 == '"隔离中,已解除,转运,失联"'
    policy = load_policy()
    assert kinds[cols["管控措施"]].formula1 == '"' + ",".join(r.name for r in policy.regimes.values()) + '"'
    assert cols["姓名"] not in kinds  # free text
    for label in ("身份证号", "联系电话"):
        assert ws.cell(header + 1, cols[label]).number_format == "@"
    assert ws.freeze_panes == "B4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert [s.title for s in wb.worksheets] == ["返乡人员登记表", INSTRUCTIONS_SHEET]


def test_a_template_is_not_taizhang_output(workspace: Path) -> None:
    path = make("tests", "--out", "核酸.xlsx")
    assert xlsx_output(path) is None  # input for villages: imported, never skipped


def test_the_instructions_sheet_is_skipped_without_a_note(workspace: Path) -> None:
    path = make("registration", "--village", "平阳村", "--out", "登记.xlsx")
    fill(path, [{"姓名": "张伟", "身份证号": ID_A, "村（社区）": "平阳村", "返乡日期": datetime(2022, 1, 28)}])
    result = tz("validate", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [f["sheet"] for f in report["files"]] == ["平阳村返乡人员登记表"]
    assert report["problems"] == []
    assert "填表说明" not in result.stderr and "提示" not in result.stderr
    validator = Validator(as_of=date(2022, 2, 8))
    notes = RawSheet(INSTRUCTIONS_SHEET, [["填表说明"], ["姓名", "必填", "填身份证上的姓名。"]], [])
    assert validator.validate_sheet(notes, "x.xlsx", path) is None
    # and the sheet holds no table, should a clerk rename it: no row reads as a header
    for kind in ("registration", "tests", "temperatures"):
        book = read_workbook(make(kind, "--out", f"{kind}.xlsx"))
        sheet = next(s for s in book.sheets if s.name == INSTRUCTIONS_SHEET)
        fill_merged(sheet.grid, sheet.merged)
        assert detect_layout(sheet.grid, sheet.merged) is None, kind


def test_temperature_columns_follow_the_policy_slots_and_days() -> None:
    columns = template_columns("temperatures", load_policy(), load_labels(), VILLAGES,
                               start=date(2022, 1, 30), days=4)
    days = [(c.day, c.slot) for c in columns if c.day is not None]
    assert days[0] == (date(2022, 1, 30), "上午") and days[-1] == (date(2022, 2, 2), "下午")
    assert len(days) == 8
    assert display_width("村（社区）") == 10 and display_width("G1234") == 5


def test_the_command_refuses_to_overwrite_and_options_of_another_kind(workspace: Path) -> None:
    path = make("tests", "--out", "核酸.xlsx")
    before = path.read_bytes()
    result = tz("template", "tests", "--out", str(path))
    assert result.exit_code == 2
    assert "不会覆盖" in result.stderr and path.read_bytes() == before
    assert tz("template", "tests", "--days", "7").exit_code == 2
    assert tz("template", "roster").exit_code == 2
    assert tz("template", "registration", "--village", "平杨村").exit_code == 2  # not configured
    result = tz("template", "registration", "--village", "平阳村")
    assert result.exit_code == 0, result.output
    assert (workspace / "平阳村返乡人员登记表.xlsx").exists()
