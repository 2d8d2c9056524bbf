"""Reading bytes into cell grids (SPEC §2): formats decided by content,
encodings, merged ranges, hidden sheets, and files that cannot be read."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import make_fixtures
import pytest

from taizhang.errors import FileReadError
from taizhang.ingest.files import find_input_files, read_workbook, sniff_format

DATA = Path(__file__).resolve().parent / "data"

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# The fixture people (make_fixtures.PEOPLE), written out by hand.
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


def test_fixture_ids_are_valid_gb11643() -> None:
    for ident in IDS.values():
        total = sum(int(c) * w for c, w in zip(ident[:17], WEIGHTS, strict=True))
        assert "10X98765432"[total % 11] == ident[17], ident
    assert {name: ident for name, ident, _ in make_fixtures.PEOPLE} == IDS


# --------------------------------------------------------------------------- good files


def test_xlsx_grid_rows_and_merged_ranges() -> None:
    book = read_workbook(DATA / "title_rows_merged_header.xlsx")
    assert book.format == "xlsx"
    assert book.notes == []
    (sheet,) = book.sheets
    assert sheet.name == "登记表"
    grid = sheet.grid
    # grid[r][c] is Excel row r+1, column c+1
    assert grid[0][0] == "青石镇平阳村返乡人员登记表"
    assert grid[2][1] == "基本信息" and grid[2][5] == "返乡信息"
    assert grid[3][1:4] == ["姓名", "身份证号", "联系电话"]
    assert grid[4][1:4] == ["王建国", IDS["王建国"], "13812345601"]
    assert grid[4][5] == date(2022, 1, 25)  # a real date cell keeps its type
    assert grid[5][5] == "2022/1/27"  # text stays text
    assert all(v in ("", None) for v in grid[7])  # the blank Excel row 8
    assert grid[10][0] == "合计"
    assert grid[12][0] == "填表人：张三  审核人：李四"
    assert sorted(sheet.merged) == [
        ((0, 0), (0, 7)),  # title A1:H1
        ((1, 0), (1, 7)),  # notes A2:H2
        ((2, 0), (3, 0)),  # 序号 A3:A4
        ((2, 1), (2, 3)),  # 基本信息 B3:D3
        ((2, 5), (2, 6)),  # 返乡信息 F3:G3
        ((2, 7), (3, 7)),  # 来源地 H3:H4
    ]


def test_xlsx_number_cells_keep_their_type() -> None:
    grid = read_workbook(DATA / "wide_temperature_onerow.xlsx").sheets[0].grid
    assert grid[2][2] == 36.5 and isinstance(grid[2][2], float)
    assert grid[3][2] == "36.8℃"
    assert grid[3][4] in ("", None)  # a missing reading


def test_xlsx_date_header_cell() -> None:
    sheet = read_workbook(DATA / "wide_temperature_tworow.xlsx").sheets[0]
    top = sheet.grid[0][2]
    assert isinstance(top, (date, datetime))
    assert (top.year, top.month, top.day) == (2022, 2, 1)
    assert sheet.grid[0][4] == "2月2日"
    assert sorted(sheet.merged) == [
        ((0, 0), (1, 0)), ((0, 1), (1, 1)), ((0, 2), (0, 3)), ((0, 4), (0, 5)),
    ]


def test_table_not_starting_at_a1_keeps_excel_coordinates() -> None:
    grid = read_workbook(DATA / "offset_table.xlsx").sheets[0].grid
    assert grid[3][2:6] == ["姓名", "身份证号", "联系电话", "返乡日期"]
    assert grid[4][2] == "李秀英"
    assert all(v in ("", None) for row in grid[:3] for v in row)


def test_gbk_csv() -> None:
    book = read_workbook(DATA / "gbk_registration.csv")
    assert book.format == "csv"
    assert book.encoding == "gb18030"  # GB18030 is the superset that holds 喆 and 堃
    assert book.notes == []
    (sheet,) = book.sheets
    assert sheet.name == "gbk_registration"
    assert sheet.grid[0] == ["姓名", "性别", "身份证号", "联系电话", "村(社区)", "返乡日期",
                             "登记日期", "来源地"]
    assert [row[0] for row in sheet.grid[1:]] == ["张喆", "周堃", "赵磊", "孙静"]
    assert sheet.grid[1][2] == IDS["张喆"]  # CSV cells are text: the ID is intact
    assert len(sheet.grid) == 5


def test_gbk_csv_with_explicit_encoding() -> None:
    book = read_workbook(DATA / "gbk_registration.csv", encoding="gbk")
    assert book.sheets[0].grid[2][0] == "周堃"


def test_wrong_explicit_encoding_is_reported() -> None:
    with pytest.raises(FileReadError, match="按utf-8编码解码失败"):
        read_workbook(DATA / "gbk_registration.csv", encoding="utf-8")
    with pytest.raises(FileReadError, match="不认识的编码"):
        read_workbook(DATA / "gbk_registration.csv", encoding="klingon")


def test_utf8_bom_csv() -> None:
    book = read_workbook(DATA / "utf8_bom_tests.csv")
    assert book.encoding == "utf-8-sig"
    grid = book.sheets[0].grid
    assert grid[0] == ["姓名", "身份证号", "采样日期", "检测结果", "采样点"]  # no \ufeff
    assert grid[4] == ["刘芳", IDS["刘芳"], "2月4日", "", "青石镇卫生院"]
    assert len(grid) == 6


def test_plain_utf8_csv() -> None:
    book = read_workbook(DATA / "utf8_temperatures_long.csv")
    assert book.encoding == "utf-8"
    grid = book.sheets[0].grid
    assert grid[0] == ["姓名", "身份证号", "日期", "时段", "体温"]
    assert grid[2] == ["杨丽", IDS["杨丽"], "2022-02-06", "下午", "36.8℃"]
    assert len(grid) == 9


def test_html_saved_as_xls_is_read_by_content() -> None:
    book = read_workbook(DATA / "html_saved_as.xls")
    assert book.format == "html"
    assert book.encoding == "utf-8"
    assert book.notes == [
        "html_saved_as.xls：扩展名是.xls，但内容是网页表格(HTML)，已按实际内容读取"
    ]
    (sheet,) = book.sheets
    assert sheet.name == "表1"
    assert sheet.grid[0] == ["青石镇桃源村核酸检测台账", "", "", "", ""]
    assert sheet.grid[1] == ["姓名", "身份证号", "采样日期", "检测结果", "采样点"]
    assert sheet.grid[2] == ["杨丽", IDS["杨丽"], "2022-02-05", "阴性", "桃源村采样点"]
    assert len(sheet.grid) == 6
    assert sheet.merged == [((0, 0), (0, 4))]


def test_csv_saved_as_xlsx_is_read_by_content() -> None:
    book = read_workbook(DATA / "csv_saved_as.xlsx")
    assert book.format == "csv"
    assert book.notes == ["csv_saved_as.xlsx：扩展名是.xlsx，但内容是CSV文本，已按实际内容读取"]
    assert book.sheets[0].name == "csv_saved_as"
    assert book.sheets[0].grid[1] == ["孙静", IDS["孙静"], "13712345608", "2022-02-01"]


def test_hidden_sheet_is_skipped_and_said_so() -> None:
    book = read_workbook(DATA / "hidden_sheet.xlsx")
    assert [s.name for s in book.sheets] == ["登记表"]
    assert book.notes == ["hidden_sheet.xlsx：隐藏工作表“旧数据”已跳过（如需读取请先取消隐藏）"]


def test_multi_sheet_order() -> None:
    book = read_workbook(DATA / "multi_sheet.xlsx")
    assert [s.name for s in book.sheets] == ["返乡登记", "核酸检测", "体温监测"]
    assert book.notes == []


def test_header_only_is_readable() -> None:
    """Only validation decides that a header without rows is not data."""
    book = read_workbook(DATA / "header_only.xlsx")
    assert book.sheets[0].grid[0][:4] == ["姓名", "身份证号", "联系电话", "返乡日期"]


def test_good_file_under_a_lying_csv_name_in_a_temp_dir(tmp_path: Path) -> None:
    target = tmp_path / "登记表.csv"
    shutil.copy(DATA / "no_village.xlsx", target)
    book = read_workbook(target)
    assert book.format == "xlsx"
    assert book.notes == ["登记表.csv：扩展名是.csv，但内容是Excel 2007+ (.xlsx)，已按实际内容读取"]
    assert book.sheets[0].grid[2][0] == "刘芳"


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.csv", "文件为空（0字节），请让村里重新发送"),
        ("truncated.xlsx", "文件已损坏或不完整（可能没有传完），请让村里重新发送"),
        ("garbage.csv", "不是表格文件（内容是二进制数据），请确认发来的是Excel或CSV"),
        ("password_protected.xlsx", "文件设置了打开密码，请在Excel中取消密码后另存再发送"),
        ("empty_sheet.xlsx", "没有可读取的数据（所有工作表都是空的）"),
    ],
)
def test_unreadable_files(name: str, reason: str) -> None:
    path = DATA / name
    with pytest.raises(FileReadError) as info:
        read_workbook(path)
    assert info.value.reason == reason
    assert info.value.path == str(path)
    assert info.value.message == f"{path}：{reason}"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FileReadError, match="文件不存在"):
        read_workbook(tmp_path / "nope.xlsx")
    with pytest.raises(FileReadError, match="文件夹"):
        read_workbook(tmp_path)


def test_csv_with_nul_bytes_after_the_sniffed_head(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes("姓名,身份证号\n".encode() * 1000 + b"\x00\x00")
    with pytest.raises(FileReadError, match="NUL"):
        read_workbook(path)


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"PK\x03\x04rest", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "ole"),
        (b"\xef\xbb\xbf<html><body><table>", "html"),
        (b"  <TABLE border=1><tr>", "html"),
        (b"<meta charset='utf-8'>\n<table>", "html"),
        ("姓名,身份证号\n".encode(), "csv"),
        ("姓名,身份证号\n".encode("gbk"), "csv"),
        (b"\x13\x37\x00\x00\xff", "binary"),
    ],
)
def test_sniff_format(head: bytes, fmt: str) -> None:
    assert sniff_format(head) == fmt


def test_find_input_files_recurses_and_skips_lock_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.xlsx", "sub/a.csv", "~$b.xlsx", "notes.docx", ".hidden.csv", "sub/c.xls"):
        (tmp_path / name).write_bytes(b"x")
    files, notes = find_input_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["b.xlsx", "sub/a.csv",
                                                                   "sub/c.xls"]
    assert notes == [f"{tmp_path / '~$b.xlsx'}：Excel临时锁文件，已跳过"]


# --------------------------------------------------------------------------- the generator


def test_committed_fixtures_match_the_generator(tmp_path: Path) -> None:
    """tests/data/ is what make_fixtures.py writes (regenerate after editing it)."""
    make_fixtures.build(tmp_path)
    for name in make_fixtures.FIXTURES:
        fresh, committed = tmp_path / name, DATA / name
        if name == "truncated.xlsx":
            assert fresh.stat().st_size == committed.stat().st_size == 1000
            assert committed.read_bytes()[:4] == b"PK\x03\x04"
        elif committed.read_bytes()[:4] == b"PK\x03\x04":
            assert _content(fresh) == _content(committed), name
        else:
            assert fresh.read_bytes() == committed.read_bytes(), name


def _content(path: Path) -> object:
    """What a workbook holds, independent of zip and openpyxl details."""
    try:
        book = read_workbook(path)
    except FileReadError as exc:
        return exc.reason
    return [(s.name, s.grid, sorted(s.merged)) for s in book.sheets], book.notes
