"""Header detection (SPEC §2): where the header is, what each column means,
which rows are data, and which kind the sheet is.

The grids come from the committed fixtures in tests/data/ (built by
make_fixtures.py), read and merged the way the validator does it, or are
small in-memory grids for one rule each.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from taizhang.ingest.data_rows import lead_kind
from taizhang.ingest.files import read_workbook
from taizhang.ingest.headers import (
    REGISTRATION,
    TEMPERATURES,
    TESTS,
    lookup_field,
    normalize_header,
)
from taizhang.ingest.layout import SheetLayout, detect_layout, fill_merged

DATA = Path(__file__).resolve().parent / "data"

ID0 = "330681198503120113"
ID1 = "330681199005210225"


def layouts(name: str) -> dict[str, SheetLayout | None]:
    """Sheet name -> layout, after filling merged ranges as the validator does."""
    book = read_workbook(DATA / name)
    found: dict[str, SheetLayout | None] = {}
    for sheet in book.sheets:
        fill_merged(sheet.grid, sheet.merged)
        found[sheet.name] = detect_layout(sheet.grid, sheet.merged)
    return found


def only_layout(name: str) -> SheetLayout:
    (layout,) = layouts(name).values()
    assert layout is not None
    return layout


def fields(layout: SheetLayout) -> list[tuple[int, str, str | None]]:
    return [(c.index, c.header, c.field) for c in layout.columns]


# --------------------------------------------------------------------------- alias table


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("姓名", "name"),
        ("* 姓 名", "name"),
        ("*姓名", "name"),
        ("姓\n名", "name"),
        ("身份证号", "id_number"),
        ("身份证号码", "id_number"),
        ("公民身份号码", "id_number"),
        ("证件号码", "id_number"),
        ("身份證號", "id_number"),
        ("聯繫電話", "phone"),
        ("联系电话\n（手机）", "phone"),
        ("联系电话(手机)", "phone"),
        ("性別", "sex"),
        ("返鄉日期", "arrival_date"),
        ("返乡(抵达)日期", "arrival_date"),
        ("返乡（抵达）日期", "arrival_date"),
        ("登记（排查）日期", "registration_date"),
        ("村（社區）", "village"),
        ("村(社区)", "village"),
        ("体温(℃)", "temperature"),
        ("体温（℃）", "temperature"),
        ("采样日期", "sample_date"),
        ("检测结果", "result"),
        ("时段", "slot"),
        ("来源地/从何地返回", "origin"),
        ("健康状况", None),
        ("", None),
        ("   ", None),
    ],
)
def test_lookup_field(header: str, expected: str | None) -> None:
    assert lookup_field(header) == expected


def test_normalize_header_folds_width_space_marks_and_traditional() -> None:
    assert normalize_header("* 登记（排查）日期 ") == "登记(排查)日期"
    assert normalize_header("身份證號") == "身份证号"
    assert normalize_header("联系电话\n（手机）") == "联系电话(手机)"
    assert normalize_header("NO.") == "no."
    # letters alone (a name, most first cells) take a shorter way to the same result
    assert normalize_header("身份證號") == normalize_header("身份證號 ") == "身份证号"
    assert normalize_header("Ｎａｍｅ") == normalize_header("Name") == "name"  # full-width: NFKC
    assert normalize_header("聯繫電話") == "联系电话" and normalize_header("王伟") == "王伟"


@pytest.mark.parametrize(("first", "kind"), [
    ("张三", None), ("阿依古丽", None), ("John", None), ("合计", "total"), ("合計", "total"),
    ("签字", "footer"), ("聯繫電話", "footer"), ("注意", "notes"), ("備注", "notes"), ("说明", "notes"),
    ("一、证件", None), ("一、证件类型取值", "item"), ("①身份证号码必填", "item"),
    ("请如实填写本表内容。", "sentence"), ("张三李四王五赵六钱七", None)])
def test_what_a_first_cell_says_its_row_is(first: str, kind: str | None) -> None:
    """A name (letters alone, shorter than a sentence) is a value without the
    item, date and sentence patterns being tried; the words of 合计, footers and
    notes are found in it first, in traditional characters too."""
    assert lead_kind(first) == kind


# --------------------------------------------------------------------------- fixtures


def test_title_rows_and_two_row_merged_header() -> None:
    layout = only_layout("title_rows_merged_header.xlsx")
    # Excel rows 3–4 are the header (0-based 2–3)
    assert (layout.header_start, layout.header_end) == (2, 3)
    assert fields(layout) == [
        (0, "序号", "seq"),
        (1, "基本信息/姓名", "name"),
        (2, "基本信息/身份证号", "id_number"),
        (3, "基本信息/联系电话", "phone"),
        (4, "", None),  # the empty column E
        (5, "返乡信息/返乡日期", "arrival_date"),
        (6, "返乡信息/登记日期", "registration_date"),
        (7, "来源地", "origin"),
    ]
    assert layout.kind == REGISTRATION
    # Excel rows 5,6,7,9,10: the blank row 8, 合计 row 11, blank row 12 and
    # the 填表人 footer row 13 are not data
    assert layout.data_rows == [4, 5, 6, 8, 9]
    assert len(layout.title_lines) == 2
    assert layout.title_lines[0].startswith("青石镇平阳村返乡人员登记表")
    assert layout.title_lines[1].startswith("填报说明：")
    assert layout.unknown_columns == []


def test_header_variants_spelling() -> None:
    layout = only_layout("header_variants.xlsx")
    assert (layout.header_start, layout.header_end) == (0, 0)
    assert fields(layout) == [
        (0, "序号", "seq"),
        (1, "* 姓 名", "name"),
        (2, "身份证号码", "id_number"),
        (3, "联系电话\n（手机）", "phone"),
        (4, "返乡(抵达)日期", "arrival_date"),
        (5, "登记（排查）日期", "registration_date"),
        (6, "健康状况", None),
    ]
    assert layout.kind == REGISTRATION
    assert layout.data_rows == [1, 2, 3]
    assert layout.unknown_columns == ["健康状况"]
    assert layout.title_lines == []


def test_traditional_headers() -> None:
    layout = only_layout("traditional_headers.xlsx")
    assert [(c.header, c.field) for c in layout.columns] == [
        ("姓名", "name"),
        ("性別", "sex"),
        ("身份證號", "id_number"),
        ("聯繫電話", "phone"),
        ("返鄉日期", "arrival_date"),
        ("村（社區）", "village"),
    ]
    assert layout.kind == REGISTRATION
    assert layout.data_rows == [1, 2, 3, 4]
    assert layout.unknown_columns == []


def test_csv_kinds_and_columns() -> None:
    gbk = only_layout("gbk_registration.csv")
    assert [c.field for c in gbk.columns] == [
        "name", "sex", "id_number", "phone", "village", "arrival_date", "registration_date",
        "origin",
    ]
    assert gbk.kind == REGISTRATION
    assert gbk.data_rows == [1, 2, 3, 4]

    tests = only_layout("utf8_bom_tests.csv")
    assert [c.field for c in tests.columns] == [
        "name", "id_number", "sample_date", "result", "sample_site",
    ]
    assert tests.columns[0].header == "姓名"  # no BOM character left on the first header
    assert tests.kind == TESTS
    assert tests.data_rows == [1, 2, 3, 4, 5]

    temps = only_layout("utf8_temperatures_long.csv")
    assert [c.field for c in temps.columns] == ["name", "id_number", "date", "slot",
                                                 "temperature"]
    assert temps.kind == TEMPERATURES
    assert temps.data_rows == list(range(1, 9))


def test_wide_temperature_one_row_header() -> None:
    layout = only_layout("wide_temperature_onerow.xlsx")
    assert (layout.header_start, layout.header_end) == (1, 1)  # title in row 1
    assert layout.kind == TEMPERATURES
    assert [c.field for c in layout.columns[:2]] == ["name", "id_number"]
    wide = [(c.header, c.temp_date.month, c.temp_date.day, c.temp_slot)
            for c in layout.columns[2:] if c.temp_date is not None]
    assert wide == [
        ("2月1日上午", 2, 1, "上午"),
        ("2月1日下午", 2, 1, "下午"),
        ("2月2日上午", 2, 2, "上午"),
        ("2月2日下午", 2, 2, "下午"),
    ]
    # written without a year: resolved later against the sheet / as-of date
    assert all(c.temp_date.yearless for c in layout.columns[2:] if c.temp_date)
    assert layout.data_rows == [2, 3, 4]
    assert layout.unknown_columns == []


def test_wide_temperature_two_row_header_with_date_cell_and_text_date() -> None:
    layout = only_layout("wide_temperature_tworow.xlsx")
    assert (layout.header_start, layout.header_end) == (0, 1)
    assert layout.kind == TEMPERATURES
    assert [(c.header, c.field) for c in layout.columns[:2]] == [
        ("姓名", "name"), ("身份证号", "id_number"),
    ]
    c, d, e, f = layout.columns[2:]
    # a real date cell merged over 上午/下午
    assert c.temp_date is not None and c.temp_date.value == date(2022, 2, 1)
    assert d.temp_date is not None and d.temp_date.value == date(2022, 2, 1)
    assert (c.temp_slot, d.temp_slot) == ("上午", "下午")
    assert (c.header, d.header) == ("2022-02-01/上午", "2022-02-01/下午")
    # the text 2月2日 merged over 上午/下午
    assert e.temp_date is not None and (e.temp_date.month, e.temp_date.day) == (2, 2)
    assert f.temp_date is not None and (f.temp_date.month, f.temp_date.day) == (2, 2)
    assert (e.temp_slot, f.temp_slot) == ("上午", "下午")
    assert (e.header, f.header) == ("2月2日/上午", "2月2日/下午")
    assert layout.data_rows == [2, 3, 4]


def test_embedded_test_columns() -> None:
    sheets = layouts("embedded_tests.xlsx")
    ledger = sheets["居家隔离台账"]
    assert ledger is not None
    assert (ledger.header_start, ledger.header_end) == (1, 1)
    assert ledger.kind == REGISTRATION
    assert [c.field for c in ledger.columns[:8]] == [
        "seq", "name", "id_number", "phone", "arrival_date", "regime", "control_start", "status",
    ]
    assert [(c.header, c.test_number, c.test_part) for c in ledger.columns[8:]] == [
        ("第1次核酸", 1, "both"), ("第2次核酸", 2, "both"),
    ]
    assert ledger.data_rows == [2, 3, 4, 5]
    assert ledger.unknown_columns == []

    second = sheets["核酸情况"]
    assert second is not None
    assert second.kind == REGISTRATION
    assert [(c.header, c.test_number) for c in second.columns[3:]] == [
        ("第一次核酸检测", 1), ("第二次核酸检测", 2),
    ]
    assert second.unknown_columns == []


def test_embedded_test_header_spellings() -> None:
    grid: list[list[Any]] = [
        ["姓名", "身份证号", "返乡日期", "第1次核酸", "第二轮核酸检测", "核酸3", "第十一次核酸结果",
         "第4次采样"],
        ["王建国", ID0, "2022-02-01", "2.1阴", "", "", "", ""],
    ]
    layout = detect_layout(grid)
    assert layout is not None
    assert [c.test_number for c in layout.columns[3:]] == [1, 2, 3, 11, 4]


def test_html_table_title_and_th_header() -> None:
    layout = only_layout("html_saved_as.xls")
    assert (layout.header_start, layout.header_end) == (1, 1)
    assert layout.kind == TESTS
    assert [c.field for c in layout.columns] == [
        "name", "id_number", "sample_date", "result", "sample_site",
    ]
    assert layout.title_lines[0].startswith("青石镇桃源村核酸检测台账")
    assert layout.data_rows == [2, 3, 4, 5]


def test_csv_saved_as_xlsx_layout() -> None:
    layout = only_layout("csv_saved_as.xlsx")
    assert [c.field for c in layout.columns] == ["name", "id_number", "phone", "arrival_date"]
    assert layout.kind == REGISTRATION
    assert layout.data_rows == [1, 2, 3]


def test_multi_sheet_kinds() -> None:
    sheets = layouts("multi_sheet.xlsx")
    assert {name: lay.kind if lay else None for name, lay in sheets.items()} == {
        "返乡登记": REGISTRATION, "核酸检测": TESTS, "体温监测": TEMPERATURES,
    }
    temps = sheets["体温监测"]
    assert temps is not None
    assert [(c.header, c.field) for c in temps.columns][-1] == ("体温(℃)", "temperature")
    assert [len(lay.data_rows) for lay in sheets.values() if lay] == [3, 4, 3]


def test_header_only_has_layout_but_no_data_rows() -> None:
    layout = only_layout("header_only.xlsx")
    assert layout.kind == REGISTRATION
    assert layout.data_rows == []


def test_not_a_table_has_no_header() -> None:
    assert layouts("not_a_table.xlsx") == {"通知": None}


def test_offset_table_keeps_excel_coordinates() -> None:
    layout = only_layout("offset_table.xlsx")
    assert (layout.header_start, layout.header_end) == (3, 3)  # Excel row 4
    assert [(c.index, c.field) for c in layout.columns if c.field] == [
        (2, "name"), (3, "id_number"), (4, "phone"), (5, "arrival_date"),
    ]
    assert layout.data_rows == [4, 5]


# --------------------------------------------------------------------------- rows below the header

HEADER = ["序号", "姓名", "身份证号", "联系电话", "返乡日期", "登记日期", "来源地"]
ROW1 = [1, "王建国", ID0, "13812345601", "2022-01-25", "2022-01-26", "杭州"]
ROW2 = [2, "李秀英", ID1, "13912345602", "2022-01-27", "2022-01-27", "上海"]


@pytest.mark.parametrize(
    "tail",
    [
        ["填表人：张三  审核人：李四", "", "", "", "", "", ""],
        ["", "填表人：张三", "", "", "", "", ""],
        ["填表人：张三", "", "审核人：李四", "", "联系电话：13800000000", "", ""],
        ["审核人：李四", "", "", "", "", "", ""],
        ["注：本表每日12时前报送", "", "", "", "", "", ""],
        ["合计", "2人", "", "", "", "", ""],
        ["", "合 计", "", "", "", "", ""],
        ["总计：2", "", "", "", "", "", ""],
        ["", "", "", "", "", "", ""],
        HEADER,  # the header repeated under the table
    ],
)
def test_footer_total_blank_and_repeated_header_rows_are_not_data(tail: list[Any]) -> None:
    layout = detect_layout([HEADER, ROW1, tail, ROW2])
    assert layout is not None
    assert layout.data_rows == [1, 3]


def test_rows_of_one_first_cell_are_judged_alike_and_the_others_each_on_their_own() -> None:
    """A CSV's 序号 is text ("1"); a first cell once found to make a row data is
    taken again without a second look (issue 18), while a first cell that only
    made its row data because of the rest of the row (a numbered item beside an
    ID) is looked at again: the same text alone under the table is a note."""
    text_rows = [[str(c) if isinstance(c, int) else c for c in row] for row in (ROW1, ROW2)]
    item = "1、证件类型取值"
    grid = [HEADER, text_rows[0], text_rows[1], [*text_rows[0][:1], *ROW2[1:]],
            [item, "赵六", ID0, "", "", "", ""], [item, "", "", "", "", "", ""], HEADER, text_rows[1]]
    layout = detect_layout(grid)
    assert layout is not None
    assert layout.data_rows == [1, 2, 3, 4, 7]


def test_footer_split_over_label_and_value_cells_is_not_data() -> None:
    footer = ["填表人：", "张三", "审核人：", "李四", "联系电话：", "13800000000", ""]
    layout = detect_layout([HEADER, ROW1, ROW2, footer])
    assert layout is not None
    assert layout.data_rows == [1, 2]


def test_unmerged_two_row_slot_header_is_detected() -> None:
    """Without merged ranges (CSV/HTML), a row of 上午/下午 under the header
    makes a two-row header."""
    grid: list[list[Any]] = [
        ["姓名", "身份证号", "2月1日", "2月1日", "2月2日", "2月2日"],
        ["", "", "上午", "下午", "上午", "下午"],
        ["王建国", ID0, 36.5, 36.6, 36.7, 36.8],
    ]
    layout = detect_layout(grid)
    assert layout is not None
    assert (layout.header_start, layout.header_end) == (0, 1)
    assert [(c.temp_date.day, c.temp_slot) for c in layout.columns if c.temp_date] == [
        (1, "上午"), (1, "下午"), (2, "上午"), (2, "下午"),
    ]
    assert layout.data_rows == [2]


def test_kind_override_is_kept() -> None:
    """Names with IDs and phones are at least a registration list (a roster,
    SPEC §2); --kind still decides."""
    grid: list[list[Any]] = [["姓名", "身份证号", "联系电话"], ["王建国", ID0, "13812345601"]]
    assert detect_layout(grid).kind == REGISTRATION  # type: ignore[union-attr]
    assert detect_layout(grid, kind=TESTS).kind == TESTS  # type: ignore[union-attr]
    names_only: list[list[Any]] = [["姓名", "性别", "年龄"], ["王建国", "男", 40]]
    assert detect_layout(names_only).kind is None  # type: ignore[union-attr]


def test_no_header_in_a_grid_of_data() -> None:
    assert detect_layout([["王建国", ID0], ["李秀英", ID1]]) is None
    assert detect_layout([]) is None


# --------------------------------------------------------------------------- known bugs


def test_title_row_with_date_cell_is_a_title_not_a_header() -> None:
    layout = only_layout("title_with_date_cell.xlsx")
    assert (layout.header_start, layout.header_end) == (1, 1)
    assert [(c.header, c.field) for c in layout.columns] == [
        ("序号", "seq"), ("姓名", "name"), ("身份证号", "id_number"), ("联系电话", "phone"),
        ("返乡日期", "arrival_date"), ("登记日期", "registration_date"),
    ]
    assert layout.title_lines and layout.title_lines[0].startswith("青石镇平阳村返乡人员登记表")
    assert layout.data_rows == [2, 3, 4]


def test_header_cell_merged_over_two_columns_keeps_first_data_row() -> None:
    layout = only_layout("header_cell_merged_across.xlsx")
    assert (layout.header_start, layout.header_end) == (0, 0)
    assert [c.field for c in layout.columns[:3]] == ["name", "id_number", "phone"]
    assert layout.columns[4].field == "arrival_date"
    assert layout.kind == REGISTRATION
    assert layout.data_rows == [1, 2, 3]
