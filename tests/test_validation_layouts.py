"""Validation of whole files with messy layouts (SPEC §2, §4): rows counted,
records built with their Excel row numbers, dates as `date`, temperatures as
float, results normalised, the village and where it came from, notes for
hidden sheets / lying extensions / unknown columns, and failed files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from taizhang.ingest.validation import (
    FileResult,
    Problem,
    SheetResult,
    ValidationReport,
    Validator,
    validate_paths,
)

DATA = Path(__file__).resolve().parent / "data"
AS_OF = date(2022, 2, 8)
VILLAGES = ["平阳村", "东溪村", "桃源村", "新桥社区", "石门村"]

IDS = {
    "王建国": "330681198503120113",
    "李秀英": "330681199005210225",
    "张伟": "330681197811030318",
    "刘芳": "330681200107300446",
    "陈明": "330681196912240571",
    "杨丽": "330681199510090682",
    "赵磊": "330681198802150793",
    "孙静": "330681199206040824",
    "张喆": "330681198604180932",
    "周堃": "330681199901011056",
}


def validator(**kwargs: object) -> Validator:
    options: dict[str, object] = {"as_of": AS_OF, "villages": VILLAGES, "township": "青石镇"}
    options.update(kwargs)
    return Validator(**options)  # type: ignore[arg-type]


def placeless(problems: list[Problem]) -> list[int | None]:
    """The rows of the `village_unknown` warnings, asserting nothing else was
    found: a sheet without any village is counted under 村名未知, and told."""
    assert all(p.code == "village_unknown" and p.severity == "warning" for p in problems), problems
    return [p.row for p in problems]


def check(name: str, path: Path | None = None, **kwargs: object) -> FileResult:
    result = validator(**kwargs).validate_file(path or DATA / name)
    assert result.error is None, result.error
    return result


def one_sheet(result: FileResult) -> SheetResult:
    (sheet,) = result.sheets
    return sheet


def d(month: int, day: int) -> date:
    return date(2022, month, day)


# --------------------------------------------------------------------------- registration


def test_a_gap_inside_a_chinese_name_is_closed_and_nothing_else(tmp_path: Path) -> None:
    """`张 三` and `李　四` (a space or an ideographic space between two characters)
    are 张三 and 李四; a name of letters alone is kept as it is, as are the
    middle dot of 阿依古丽·买买提 and the space of a Latin name."""
    names = ["张 三", "李\u3000四", "王  伟 ", "阿依古丽·买买提", "John Smith", "刘芳"]
    path = tmp_path / "平阳村登记.csv"
    path.write_text("姓名,身份证号,返乡日期\n" + "".join(
        f"{n},{ident},2022-02-01\n" for n, ident in zip(names, IDS.values(), strict=False)),
        encoding="utf-8")
    sheet = one_sheet(check("", path))
    assert [p.person.name for p in sheet.persons] == [
        "张三", "李四", "王伟", "阿依古丽·买买提", "John Smith", "刘芳"]



def test_title_rows_merged_header() -> None:
    result = check("title_rows_merged_header.xlsx")
    assert result.format == "xlsx"
    assert result.notes == []
    sheet = one_sheet(result)
    assert sheet.file_entry() == {
        "path": str(DATA / "title_rows_merged_header.xlsx"), "sheet": "登记表",
        "kind": "registration", "village": "平阳村", "village_source": "title", "rows": 5,
    }
    rows = [(p.row, p.person.name, p.person.id_number, p.person.phone,
             p.fields["arrival_date"], p.fields["registration_date"], p.fields["origin"])
            for p in sheet.persons]
    assert rows == [
        (5, "王建国", IDS["王建国"], "13812345601", d(1, 25), d(1, 26), "浙江省杭州市"),
        (6, "李秀英", IDS["李秀英"], "13912345602", d(1, 27), d(1, 27), "上海市闵行区"),
        (7, "张伟", IDS["张伟"], "15012345603", d(1, 28), d(1, 29), "江苏省苏州市"),
        (9, "刘芳", IDS["刘芳"], "15812345604", d(1, 30), d(1, 31), "广东省深圳市"),
        (10, "陈明", IDS["陈明"], "18612345605", d(2, 1), d(2, 2), "浙江省宁波市"),
    ]
    assert all(p.person.id_valid for p in sheet.persons)
    assert {p.village for p in sheet.persons} == {"平阳村"}
    assert sheet.problems == []
    assert sheet.rejected == []
    assert sheet.unknown_columns == []
    assert sheet.tests == [] and sheet.temperatures == []


def test_header_variants() -> None:
    sheet = one_sheet(check("header_variants.xlsx"))
    assert (sheet.kind, sheet.village, sheet.village_source, sheet.rows) == (
        "registration", "石门村", "sheet", 3)
    assert sheet.unknown_columns == ["健康状况"]
    assert [(p.row, p.person.name, p.person.id_number, p.person.phone, p.fields["arrival_date"],
             p.fields["registration_date"], p.extra) for p in sheet.persons] == [
        (2, "杨丽", IDS["杨丽"], "17712345606", d(2, 1), d(2, 1), {"健康状况": "良好"}),
        (3, "赵磊", IDS["赵磊"], "13612345607", d(2, 3), d(2, 4), {}),
        (4, "孙静", IDS["孙静"], "13712345608", d(2, 5), d(2, 5), {"健康状况": "咳嗽"}),
    ]
    assert sheet.problems == []


def test_unknown_columns_and_village_source_are_noted_once() -> None:
    report = validate_paths([DATA / "header_variants.xlsx"], validator())
    assert report.all_notes() == [
        "header_variants.xlsx“石门村登记”：未识别的列（已保留原值）：健康状况",
        "header_variants.xlsx“石门村登记”：村（社区）取自工作表名：石门村",
    ]
    assert report.ok


def test_traditional_headers_village_from_column() -> None:
    sheet = one_sheet(check("traditional_headers.xlsx"))
    assert (sheet.kind, sheet.village, sheet.village_source, sheet.rows) == (
        "registration", "平阳村", "column", 4)
    assert [(p.row, p.person.name, p.person.id_number, p.fields["sex"], p.fields["arrival_date"],
             p.village) for p in sheet.persons] == [
        (2, "王建国", IDS["王建国"], "男", d(1, 20), "平阳村"),
        (3, "李秀英", IDS["李秀英"], "女", d(1, 21), "平阳村"),  # written as the stem 平阳
        (4, "张伟", IDS["张伟"], "男", d(1, 22), "平阳村"),
        (5, "刘芳", IDS["刘芳"], "女", d(1, 23), "平阳村"),  # written with spaces
    ]
    assert sheet.problems == []


def test_gbk_csv_registration() -> None:
    result = check("gbk_registration.csv")
    assert result.format == "csv"
    sheet = one_sheet(result)
    assert (sheet.sheet, sheet.kind, sheet.village, sheet.village_source, sheet.rows) == (
        "gbk_registration", "registration", "东溪村", "column", 4)
    assert [(p.row, p.person.name, p.person.id_number, p.fields["arrival_date"],
             p.fields["registration_date"], p.fields["origin"]) for p in sheet.persons] == [
        (2, "张喆", IDS["张喆"], d(1, 29), d(1, 29), "湖北省武汉市"),
        (3, "周堃", IDS["周堃"], d(1, 30), d(1, 31), "广东省广州市"),
        (4, "赵磊", IDS["赵磊"], d(2, 1), d(2, 1), "上海市浦东新区"),
        (5, "孙静", IDS["孙静"], d(2, 3), d(2, 4), "江苏省南京市"),
    ]
    assert [p.fields["sex"] for p in sheet.persons] == ["男", "男", "男", "女"]
    assert sheet.problems == []


def test_offset_table_row_numbers() -> None:
    sheet = one_sheet(check("offset_table.xlsx"))
    assert [(p.row, p.person.name, p.fields["arrival_date"]) for p in sheet.persons] == [
        (5, "李秀英", d(2, 6)), (6, "张伟", d(2, 7)),
    ]


def test_embedded_test_columns() -> None:
    result = check("embedded_tests.xlsx")
    ledger, second = result.sheets
    assert (ledger.sheet, ledger.kind, ledger.village, ledger.village_source, ledger.rows) == (
        "居家隔离台账", "registration", "东溪村", "title", 4)
    assert [(p.row, p.person.name, p.fields["arrival_date"], p.fields["control_start"],
             p.fields["regime"], p.fields["status"]) for p in ledger.persons] == [
        (3, "王建国", d(1, 28), d(1, 28), "居家隔离14天", "隔离中"),
        (4, "李秀英", d(1, 29), d(1, 29), "居家隔离14天", "隔离中"),
        (5, "张伟", d(2, 1), d(2, 1), "居家隔离14天", "隔离中"),
        (6, "刘芳", d(2, 5), d(2, 5), "居家隔离14天", "隔离中"),
    ]
    assert [(t.row, t.person.name, t.person.id_number, t.sample_date, t.result, t.source_column,
             t.village) for t in ledger.tests] == [
        (3, "王建国", IDS["王建国"], d(1, 29), "negative", "第1次核酸", "东溪村"),  # 1.29阴
        (3, "王建国", IDS["王建国"], d(2, 4), "negative", "第2次核酸", "东溪村"),  # 2.4阴性
        (4, "李秀英", IDS["李秀英"], d(1, 30), "negative", "第1次核酸", "东溪村"),  # 2022/1/30 阴性
        (4, "李秀英", IDS["李秀英"], d(2, 1), "pending", "第2次核酸", "东溪村"),  # 2.1待出
        (5, "张伟", IDS["张伟"], d(2, 1), "pending", "第1次核酸", "东溪村"),
    ]
    assert ledger.problems == []
    assert ledger.unknown_columns == []

    assert (second.sheet, second.kind, second.village, second.village_source, second.rows) == (
        "核酸情况", "registration", None, None, 3)
    assert [(t.row, t.person.name, t.sample_date, t.result, t.source_column)
            for t in second.tests] == [
        (2, "陈明", d(1, 31), "negative", "第一次核酸检测"),
        (2, "陈明", d(2, 3), "negative", "第二次核酸检测"),
        (3, "杨丽", d(2, 2), "negative", "第一次核酸检测"),
        (3, "杨丽", d(2, 6), "pending", "第二次核酸检测"),
        (4, "赵磊", d(2, 3), "negative", "第一次核酸检测"),
    ]
    assert placeless(second.problems) == [None]  # no village anywhere: one warning for the sheet


# --------------------------------------------------------------------------- tests sheets


def test_utf8_bom_tests_csv() -> None:
    sheet = one_sheet(check("utf8_bom_tests.csv"))
    assert (sheet.sheet, sheet.kind, sheet.village, sheet.village_source, sheet.rows) == (
        "utf8_bom_tests", "tests", None, None, 5)
    assert [(t.row, t.person.name, t.person.id_number, t.sample_date, t.result, t.site)
            for t in sheet.tests] == [
        (2, "王建国", IDS["王建国"], d(2, 1), "negative", "青石镇卫生院"),
        (3, "李秀英", IDS["李秀英"], d(2, 2), "negative", "青石镇卫生院"),
        (4, "张伟", IDS["张伟"], d(2, 3), "pending", "青石镇卫生院"),
        (5, "刘芳", IDS["刘芳"], d(2, 4), "pending", "青石镇卫生院"),  # blank result + date
        (6, "陈明", IDS["陈明"], d(2, 5), "negative", "青石镇卫生院"),
    ]
    assert sheet.persons == []
    assert placeless(sheet.problems) == [None]  # no village anywhere: one warning for the sheet


def test_village_option_wins() -> None:
    sheet = one_sheet(check("utf8_bom_tests.csv", village="桃源村"))
    assert (sheet.village, sheet.village_source) == ("桃源村", "option")
    assert {t.village for t in sheet.tests} == {"桃源村"}
    # --village also wins over a village column and a title
    column = one_sheet(check("traditional_headers.xlsx", village="桃源村"))
    assert (column.village, column.village_source) == ("桃源村", "option")
    assert {p.village for p in column.persons} == {"桃源村"}
    assert column.problems == []
    title = one_sheet(check("title_rows_merged_header.xlsx", village="桃源村"))
    assert (title.village, title.village_source) == ("桃源村", "option")


def test_html_saved_as_xls() -> None:
    result = check("html_saved_as.xls")
    assert result.format == "html"
    assert result.notes == [
        "html_saved_as.xls：扩展名是.xls，但内容是网页表格(HTML)，已按实际内容读取"
    ]
    sheet = one_sheet(result)
    assert (sheet.sheet, sheet.kind, sheet.village, sheet.village_source, sheet.rows) == (
        "表1", "tests", "桃源村", "title", 4)
    assert [(t.row, t.person.name, t.sample_date, t.result, t.site) for t in sheet.tests] == [
        (3, "杨丽", d(2, 5), "negative", "桃源村采样点"),
        (4, "赵磊", d(2, 6), "negative", "桃源村采样点"),
        (5, "孙静", d(2, 7), "pending", "桃源村采样点"),
        (6, "张喆", d(2, 7), "negative", "桃源村采样点"),
    ]
    assert sheet.problems == []


def test_csv_saved_as_xlsx() -> None:
    result = check("csv_saved_as.xlsx")
    assert result.format == "csv"
    assert result.notes == ["csv_saved_as.xlsx：扩展名是.xlsx，但内容是CSV文本，已按实际内容读取"]
    sheet = one_sheet(result)
    assert (sheet.kind, sheet.rows) == ("registration", 3)
    assert [(p.row, p.person.name, p.person.phone, p.fields["arrival_date"])
            for p in sheet.persons] == [
        (2, "孙静", "13712345608", d(2, 1)),
        (3, "张喆", "13512345609", d(2, 2)),
        (4, "周堃", "13312345610", d(2, 3)),
    ]
    assert placeless(sheet.problems) == [None]  # no village anywhere: one warning for the sheet


# --------------------------------------------------------------------------- temperatures


def test_long_temperatures_csv() -> None:
    sheet = one_sheet(check("utf8_temperatures_long.csv"))
    assert (sheet.kind, sheet.rows) == ("temperatures", 8)
    readings = [(t.row, t.person.name, t.date, t.slot, t.temperature) for t in sheet.temperatures]
    assert readings == [
        (2, "杨丽", d(2, 6), "上午", 36.5),
        (3, "杨丽", d(2, 6), "下午", 36.8),  # 36.8℃
        (4, "杨丽", d(2, 7), "上午", 36.4),  # 早
        (5, "杨丽", d(2, 7), "下午", 37.5),  # 晚, 37.5度
        (6, "赵磊", d(2, 6), "上午", 36.2),  # 2月6日
        (7, "赵磊", d(2, 6), "下午", 36.3),
        (8, "赵磊", d(2, 7), "上午", 36.6),
        (9, "赵磊", d(2, 7), "下午", 36.6),
    ]
    assert all(isinstance(t.temperature, float) for t in sheet.temperatures)
    assert {t.person.id_number for t in sheet.temperatures} == {IDS["杨丽"], IDS["赵磊"]}
    assert placeless(sheet.problems) == [None]  # a fever is not a data problem


def test_wide_temperatures_one_row_header() -> None:
    sheet = one_sheet(check("wide_temperature_onerow.xlsx"))
    assert (sheet.sheet, sheet.kind, sheet.village, sheet.village_source, sheet.rows) == (
        "体温", "temperatures", "新桥社区", "title", 3)
    assert [(t.row, t.person.name, t.date, t.slot, t.temperature, t.source_column)
            for t in sheet.temperatures] == [
        (3, "王建国", d(2, 1), "上午", 36.5, "2月1日上午"),
        (3, "王建国", d(2, 1), "下午", 36.6, "2月1日下午"),
        (3, "王建国", d(2, 2), "上午", 36.4, "2月2日上午"),
        (3, "王建国", d(2, 2), "下午", 36.7, "2月2日下午"),
        (4, "李秀英", d(2, 1), "上午", 36.8, "2月1日上午"),
        (4, "李秀英", d(2, 1), "下午", 37.5, "2月1日下午"),
        (4, "李秀英", d(2, 2), "下午", 36.9, "2月2日下午"),  # 2月2日上午 is blank
        (5, "张伟", d(2, 1), "上午", 36.2, "2月1日上午"),
        (5, "张伟", d(2, 2), "上午", 36.3, "2月2日上午"),
        (5, "张伟", d(2, 2), "下午", 36.4, "2月2日下午"),
    ]
    assert all(isinstance(t.temperature, float) for t in sheet.temperatures)
    assert sheet.problems == []


def test_wide_temperatures_short_rows_and_columns_in_between(tmp_path: Path) -> None:
    """Rows that stop early (CSV lines without trailing commas), a column between
    the date columns, and cells that are not plain numbers."""
    path = tmp_path / "新桥社区体温.csv"
    path.write_text(
        "姓名,身份证号,2月1日上午,备注,2月1日下午,2月2日上午\n"
        f"王建国,{IDS['王建国']},36.5,在家,36.6,36.4\n"
        f"李秀英,{IDS['李秀英']},36.8\n"
        f"张伟,{IDS['张伟']},,外出,36.9℃, \n"
        f"刘芳,{IDS['刘芳']},365,,,\n",
        encoding="utf-8")
    sheet = one_sheet(check("", path))
    assert [(t.row, t.date, t.slot, t.temperature, t.source_column) for t in sheet.temperatures] == [
        (2, d(2, 1), "上午", 36.5, "2月1日上午"), (2, d(2, 1), "下午", 36.6, "2月1日下午"),
        (2, d(2, 2), "上午", 36.4, "2月2日上午"), (3, d(2, 1), "上午", 36.8, "2月1日上午"),
        (4, d(2, 1), "下午", 36.9, "2月1日下午"),
    ]
    assert [(p.row, p.code, p.column) for p in sheet.problems] == [(5, "temp_invalid", "2月1日上午")]


def test_wide_temperatures_two_row_header() -> None:
    sheet = one_sheet(check("wide_temperature_tworow.xlsx"))
    assert (sheet.kind, sheet.village, sheet.village_source, sheet.rows) == (
        "temperatures", None, None, 3)
    assert [(t.row, t.person.name, t.date, t.slot, t.temperature) for t in sheet.temperatures] == [
        (3, "刘芳", d(2, 1), "上午", 36.5),
        (3, "刘芳", d(2, 1), "下午", 36.6),
        (3, "刘芳", d(2, 2), "上午", 36.7),
        (3, "刘芳", d(2, 2), "下午", 36.8),
        (4, "陈明", d(2, 1), "上午", 36.4),
        (4, "陈明", d(2, 1), "下午", 37.3),
        (4, "陈明", d(2, 2), "上午", 36.5),
        (5, "杨丽", d(2, 1), "下午", 36.1),
        (5, "杨丽", d(2, 2), "上午", 36.2),
        (5, "杨丽", d(2, 2), "下午", 36.3),
    ]
    assert placeless(sheet.problems) == [None]  # no village anywhere: one warning for the sheet


# --------------------------------------------------------------------------- sheets and villages


def test_hidden_sheet() -> None:
    result = check("hidden_sheet.xlsx")
    assert result.notes == ["hidden_sheet.xlsx：隐藏工作表“旧数据”已跳过（如需读取请先取消隐藏）"]
    sheet = one_sheet(result)
    assert (sheet.sheet, sheet.village, sheet.village_source, sheet.rows) == (
        "登记表", "石门村", "title", 3)
    assert [p.person.name for p in sheet.persons] == ["赵磊", "孙静", "张喆"]
    assert "周堃" not in {p.person.name for p in sheet.persons}  # only in the hidden sheet


def test_multi_sheet_workbook() -> None:
    result = check("multi_sheet.xlsx")
    assert [s.file_entry() for s in result.sheets] == [
        {"path": str(DATA / "multi_sheet.xlsx"), "sheet": "返乡登记", "kind": "registration",
         "village": None, "village_source": None, "rows": 3},
        {"path": str(DATA / "multi_sheet.xlsx"), "sheet": "核酸检测", "kind": "tests",
         "village": None, "village_source": None, "rows": 4},
        {"path": str(DATA / "multi_sheet.xlsx"), "sheet": "体温监测", "kind": "temperatures",
         "village": None, "village_source": None, "rows": 3},
    ]
    reg, tests, temps = result.sheets
    assert [(p.row, p.person.name, p.fields["sex"]) for p in reg.persons] == [
        (2, "王建国", "男"), (3, "李秀英", "女"), (4, "张伟", "男"),
    ]
    assert [(t.row, t.person.name, t.sample_date, t.result, t.site) for t in tests.tests] == [
        (2, "王建国", d(2, 1), "negative", "镇卫生院"),
        (3, "李秀英", d(2, 2), "negative", "镇卫生院"),
        (4, "张伟", d(2, 4), "pending", "村卫生室"),
        (5, "王建国", d(2, 7), "negative", "镇卫生院"),
    ]
    assert [(t.row, t.date, t.slot, t.temperature) for t in temps.temperatures] == [
        (2, d(2, 7), "上午", 36.5), (3, d(2, 7), "下午", 36.7), (4, d(2, 7), "上午", 37.4),
    ]
    # the same people across sheets of one file agree: no conflict
    assert placeless(result.problems) == [None, None, None]  # one per sheet; no conflict


def test_multi_sheet_without_village_is_noted_per_sheet() -> None:
    report = validate_paths([DATA / "multi_sheet.xlsx"], validator())
    assert report.all_notes() == [
        f"multi_sheet.xlsx“{name}”：无法确定所属村（社区），请用--village指定"
        for name in ("返乡登记", "核酸检测", "体温监测")
    ]


def test_multi_sheet_with_village_option() -> None:
    result = check("multi_sheet.xlsx", village="新桥社区")
    assert [(s.village, s.village_source) for s in result.sheets] == [("新桥社区", "option")] * 3
    reg, tests, temps = result.sheets
    assert {p.village for p in reg.persons} | {t.village for t in tests.tests} | {
        t.village for t in temps.temperatures} == {"新桥社区"}


def test_no_village() -> None:
    sheet = one_sheet(check("no_village.xlsx"))
    assert (sheet.village, sheet.village_source, sheet.rows) == (None, None, 3)
    assert {p.village for p in sheet.persons} == {None}
    assert [(p.row, p.person.name) for p in sheet.persons] == [
        (3, "刘芳"), (4, "陈明"), (5, "杨丽"),
    ]
    with_option = one_sheet(check("no_village.xlsx", village="平阳村"))
    assert (with_option.village, with_option.village_source) == ("平阳村", "option")
    assert {p.village for p in with_option.persons} == {"平阳村"}


def test_village_from_file_name(tmp_path: Path) -> None:
    target = tmp_path / "桃源村返乡人员.xlsx"
    shutil.copy(DATA / "no_village.xlsx", target)
    sheet = one_sheet(check("", path=target))
    assert (sheet.village, sheet.village_source) == ("桃源村", "filename")
    assert {p.village for p in sheet.persons} == {"桃源村"}


def test_village_from_file_name_by_stem(tmp_path: Path) -> None:
    """平阳 in the file name names 平阳村 of the configured list."""
    target = tmp_path / "平阳2月8日报送.xlsx"
    shutil.copy(DATA / "no_village.xlsx", target)
    sheet = one_sheet(check("", path=target))
    assert (sheet.village, sheet.village_source) == ("平阳村", "filename")


def test_village_from_file_name_without_configured_list(tmp_path: Path) -> None:
    target = tmp_path / "石门村登记.xlsx"
    shutil.copy(DATA / "no_village.xlsx", target)
    sheet = one_sheet(check("", path=target, villages=[], township=""))
    assert (sheet.village, sheet.village_source) == ("石门村", "filename")


def test_village_precedence_column_title_filename(tmp_path: Path) -> None:
    # column beats file name
    target = tmp_path / "东溪村_traditional.xlsx"
    shutil.copy(DATA / "traditional_headers.xlsx", target)
    sheet = one_sheet(check("", path=target))
    assert (sheet.village, sheet.village_source) == ("平阳村", "column")
    # title beats file name
    target = tmp_path / "东溪村名单.xlsx"
    shutil.copy(DATA / "title_rows_merged_header.xlsx", target)
    sheet = one_sheet(check("", path=target))
    assert (sheet.village, sheet.village_source) == ("平阳村", "title")
    # file name beats sheet name
    target = tmp_path / "东溪村名单2.xlsx"
    shutil.copy(DATA / "header_variants.xlsx", target)
    sheet = one_sheet(check("", path=target))
    assert (sheet.village, sheet.village_source) == ("东溪村", "filename")


def test_conflict_across_files_names_the_header_as_written() -> None:
    """The same IDs arrive on other dates in traditional_headers.xlsx than in
    title_rows_merged_header.xlsx: a `conflict` on the later file's rows."""
    v = validator()
    assert v.validate_file(DATA / "title_rows_merged_header.xlsx").problems == []
    later = v.validate_file(DATA / "traditional_headers.xlsx")
    assert [(p.row, p.column, p.field, p.code, p.severity, p.value) for p in later.problems] == [
        (2, "返鄉日期", "arrival_date", "conflict", "error", "2022-01-20"),
        (3, "返鄉日期", "arrival_date", "conflict", "error", "2022-01-21"),
        (4, "返鄉日期", "arrival_date", "conflict", "error", "2022-01-22"),
        (5, "返鄉日期", "arrival_date", "conflict", "error", "2022-01-23"),
    ]
    assert "title_rows_merged_header.xlsx“登记表”第5行" in later.problems[0].message
    assert "2022-01-25" in later.problems[0].message


# --------------------------------------------------------------------------- failed files


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("empty.csv", "0字节"),
        ("truncated.xlsx", "损坏"),
        ("garbage.csv", "不是表格文件"),
        ("password_protected.xlsx", "密码"),
        ("header_only.xlsx", "没有可读取的数据"),
        ("empty_sheet.xlsx", "没有可读取的数据"),
        ("not_a_table.xlsx", "没有可读取的数据"),
    ],
)
def test_bad_files_fail_with_a_reason(name: str, fragment: str) -> None:
    result = validator().validate_file(DATA / name)
    assert result.error is not None and fragment in result.error
    assert result.sheets == []
    assert result.problems == []


def test_bad_file_reasons_in_full() -> None:
    v = validator()
    assert v.validate_file(DATA / "header_only.xlsx").error == "没有可读取的数据"
    assert v.validate_file(DATA / "header_only.xlsx").notes == [
        "header_only.xlsx“Sheet1”：只有表头没有数据行，已跳过"
    ]
    assert v.validate_file(DATA / "not_a_table.xlsx").error == (
        "没有可读取的数据（not_a_table.xlsx“通知”：找不到表头（如姓名、身份证号），未读取；"
        "请检查表头或删除无关工作表）"
    )
    assert v.validate_file(DATA / "empty_sheet.xlsx").error == "没有可读取的数据（所有工作表都是空的）"


def test_report_over_a_folder_keeps_going_after_bad_files(tmp_path: Path) -> None:
    for name in ("empty.csv", "garbage.csv", "title_rows_merged_header.xlsx", "truncated.xlsx"):
        shutil.copy(DATA / name, tmp_path / name)
    report = validate_paths([tmp_path], validator())
    assert [(Path(f.path).name, f.error is None) for f in report.files] == [
        ("empty.csv", False), ("garbage.csv", False),
        ("title_rows_merged_header.xlsx", True), ("truncated.xlsx", False),
    ]
    assert not report.ok
    data = report.to_dict()
    assert [(Path(f["path"]).name, f["sheet"], f["rows"], "error" in f) for f in data["files"]] == [
        ("empty.csv", None, 0, True),
        ("garbage.csv", None, 0, True),
        ("title_rows_merged_header.xlsx", "登记表", 5, False),
        ("truncated.xlsx", None, 0, True),
    ]
    assert isinstance(report, ValidationReport)


# --------------------------------------------------------------------------- known bugs


def test_title_row_with_date_cell() -> None:
    sheet = one_sheet(check("title_with_date_cell.xlsx"))
    assert (sheet.village, sheet.village_source) == ("平阳村", "title")
    assert [(p.row, p.fields.get("arrival_date"), p.fields.get("registration_date"))
            for p in sheet.persons] == [(3, d(2, 1), d(2, 2)), (4, d(2, 3), d(2, 3)),
                                        (5, d(2, 4), d(2, 5))]


def test_header_cell_merged_over_two_columns() -> None:
    sheet = one_sheet(check("header_cell_merged_across.xlsx"))
    assert (sheet.kind, sheet.rows) == ("registration", 3)
    assert [(p.row, p.person.name, p.fields["arrival_date"]) for p in sheet.persons] == [
        (2, "刘芳", d(2, 1)), (3, "陈明", d(2, 2)), (4, "杨丽", d(2, 3)),
    ]
