"""What real offices send (issue 14, SPEC §2): a sheet size declared by
LibreOffice or WPS is no reason to refuse a file, while sheets that really hold
too much still are; notes blocks (注意：1、证件类型取值…) under or above the
table, merged or split over rows, in .xlsx, CSV and HTML, are not people — and
their neighbours (a person whose 备注 says 注意：…) still are.

The fixtures are built by tests/make_fixtures.py ("real offices" section)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import make_fixtures
import pytest
from conftest import DATA, make_id

from taizhang.errors import FileReadError
from taizhang.ingest import extent
from taizhang.ingest.files import read_workbook
from taizhang.ingest.layout import detect_layout
from taizhang.ingest.validation import FileResult, SheetResult, Validator

VILLAGES = ["平阳村", "东溪村", "桃源村", "新桥社区", "石门村"]


def validate(path: Path) -> FileResult:
    result = Validator(as_of=date(2022, 2, 8), villages=VILLAGES, township="青石镇").validate_file(path)
    assert result.error is None, result.error
    return result


def people(sheet: SheetResult) -> list[tuple[str, str]]:
    return [(p.person.name, p.person.id_number) for p in sheet.persons]


def expected(n: int, seq0: int) -> list[tuple[str, str]]:
    return [(name, ident) for name, _, ident, _ in make_fixtures.villagers(n, seq0)]


def clean(sheet: SheetResult) -> None:
    """No rejected row and no problem at all: nothing of the notes was read as data."""
    assert sheet.rejected == []
    assert sheet.problems == [], [(p.code, p.row, p.value) for p in sheet.problems]


# --------------------------------------------------------------------------- declared sheet size


@pytest.mark.parametrize(("name", "seq0", "village", "first_row"), [
    ("libreoffice_dimension_amj.xlsx", 300, "东溪村", 3),
    ("wps_dimension_a2_amj.xlsx", 320, "桃源村", 3),
])
def test_a_declared_sheet_size_is_no_reason_to_refuse(name: str, seq0: int, village: str,
                                                      first_row: int) -> None:
    with zipfile.ZipFile(DATA / name) as archive:
        assert b'<dimension ref="A' in archive.read("xl/worksheets/sheet1.xml")
        assert b':AMJ1048576"/>' in archive.read("xl/worksheets/sheet1.xml")
    (raw,) = read_workbook(DATA / name).sheets
    assert len(raw.grid) == 14 and len(raw.grid[0]) == 9  # what is there, not what is declared
    (sheet,) = validate(DATA / name).sheets
    assert (sheet.kind, sheet.village, sheet.rows) == ("registration", village, 12)
    assert people(sheet) == expected(12, seq0)
    assert [p.row for p in sheet.persons] == list(range(first_row, first_row + 12))
    clean(sheet)


def sheet_xml(path: Path, sheet_data: str, *, dimension: str = "A1:B2", root: str = "worksheet",
              prefix: str = "", shared: bytes | None = None) -> Path:
    """A workbook whose only sheet holds `sheet_data`, declaring `dimension`."""
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    ns = f' xmlns{":" + prefix[:-1] if prefix else ""}="http://schemas.openxmlformats.org/' \
         'spreadsheetml/2006/main"'
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><{prefix}{root}{ns}>'
           f'<{prefix}dimension ref="{dimension}"/><{prefix}sheetData>{sheet_data}'
           f"</{prefix}sheetData></{prefix}{root}>")
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in src.namelist():
            data = src.read(member)
            if member == "xl/worksheets/sheet1.xml":
                data = xml.encode()
            out.writestr(member, data)
        if shared is not None:
            out.writestr("xl/sharedStrings.xml", shared)
    return path


def refused(path: Path) -> str:
    with pytest.raises(FileReadError) as caught:
        extent.check_xlsx_extent(path)
    return caught.value.reason


def test_rows_tags_and_styled_cells_far_away_are_what_the_sheet_holds(tmp_path: Path) -> None:
    """Empty row tags do not count (calamine allocates nothing for them); a
    styled cell without a value is counted like any cell, so the check never
    allows less than the reader allocates."""
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
    ok = sheet_xml(tmp_path / "ok.xlsx", rows + '<row r="1048576" ht="12" customHeight="1"/>',
                   dimension="A1:AMJ1048576")
    extent.check_xlsx_extent(ok)
    far = sheet_xml(tmp_path / "far.xlsx", rows + '<row r="1048576"><c r="AMJ1048576" s="1"/></row>')
    assert "AMJ1048576" in refused(far) and "超过20,000,000个单元格的上限" in refused(far)


@pytest.mark.parametrize("shape", ["unreferenced", "prefixed", "single_quotes", "beyond_xfd"])
def test_bombs_in_every_spelling_are_refused(tmp_path: Path, shape: str) -> None:
    """Cells without `r` (each follows the one before), an `x:` namespace
    prefix, single-quoted references and references past XFD: a few bytes
    that would make the reader allocate more than 20,000,000 cells."""
    if shape == "unreferenced":  # 1,048,576 rows × 30 columns
        path = sheet_xml(tmp_path / "b.xlsx", '<row r="1048576">' + "<c><v>1</v></c>" * 30 + "</row>")
    elif shape == "prefixed":
        path = sheet_xml(tmp_path / "b.xlsx", '<x:row r="1"><x:c r="XFD1048576"><x:v>1</x:v></x:c>'
                         "</x:row>", prefix="x:")
    elif shape == "single_quotes":
        path = sheet_xml(tmp_path / "b.xlsx", "<row r='9'><c r='XFD99999'><v>1</v></c></row>")
    else:
        path = sheet_xml(tmp_path / "b.xlsx", '<row r="1"><c r="ZZZZ1"><v>1</v></c></row>'
                         '<row r="9"><c r="A99999"><v>1</v></c></row>')
    assert "单元格的上限" in refused(path)
    assert "单元格的上限" in read_fails(path)


def read_fails(path: Path) -> str:
    with pytest.raises(FileReadError) as caught:
        read_workbook(path)
    return caught.value.reason


def test_many_cells_and_huge_xml_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """The limits scaled down: more cell elements than MAX_CELLS (here all at
    A1, so the rectangle is small), and sheet or shared-strings XML inflating
    past MAX_XML_BYTES."""
    monkeypatch.setattr(extent, "MAX_CELLS", 100)
    stacked = sheet_xml(tmp_path / "stacked.xlsx", '<row r="1">' + '<c r="A1"><v>1</v></c>' * 101
                        + "</row>")
    assert "有101个单元格" in refused(stacked)
    monkeypatch.setattr(extent, "MAX_CELLS", 20_000_000)
    monkeypatch.setattr(extent, "MAX_XML_BYTES", 1 << 20)
    padding = "<row>" + '<c s="1"/>' * 120_000 + "</row>"  # 1.2 MB of cells without values
    assert "解压后超过1MB" in refused(sheet_xml(tmp_path / "fat.xlsx", padding))
    strings = b"<sst>" + b"<si><t>x</t></si>" * 70_000 + b"</sst>"
    assert "压缩炸弹" in refused(sheet_xml(tmp_path / "sst.xlsx", "", shared=strings))


def test_the_cheap_bound_gives_way_to_the_exact_count(tmp_path: Path) -> None:
    """A 5-digit row makes the first pass assume 99,999 rows; with 300
    columns that is over the limit, so every reference is read: 20,000 rows
    × 300 columns (6,000,000 cells) is read."""
    path = sheet_xml(tmp_path / "wide.xlsx", '<row r="1"><c r="KN1"><v>1</v></c></row>'
                     '<row r="20000"><c r="A20000"><v>1</v></c></row>')
    extent.check_xlsx_extent(path)


# --------------------------------------------------------------------------- notes blocks


def test_notes_merged_across_below_the_table_are_not_a_person() -> None:
    """30 people, then 注意：1、… merged over A33:I43: before, the merge fill
    made row 33 a person with a 173-character ID number."""
    (sheet,) = validate(DATA / "notes_block_merged_below.xlsx").sheets
    assert (sheet.village, sheet.rows) == ("平阳村", 30)
    assert people(sheet) == expected(30, 400)
    assert [p.row for p in sheet.persons] == list(range(3, 33))
    clean(sheet)
    # the neighbour: a person whose 备注 says 注意：… stays a person, remark kept
    assert sheet.persons[3].fields["remarks"] == "注意：已返乡"


def test_notes_split_over_three_rows_after_blank_rows() -> None:
    """注意： / 1、证件类型… / 2、日期格式… after two blank rows and before a
    填表人 footer, each line in column A (东溪村) or merged across (石门村)."""
    result = validate(DATA / "notes_block_three_rows.xlsx")
    assert [(s.sheet, s.village, s.rows) for s in result.sheets] == [
        ("东溪村", "东溪村", 10), ("石门村", "石门村", 10)]
    assert people(result.sheets[0]) == expected(10, 500)
    assert people(result.sheets[1]) == expected(10, 520)
    for sheet in result.sheets:
        clean(sheet)


def test_notes_above_the_header_do_not_become_the_header() -> None:
    (raw,) = read_workbook(DATA / "notes_block_above_header.xlsx").sheets
    layout = detect_layout(raw.grid, raw.merged)
    assert layout is not None and (layout.header_start, layout.header_end) == (6, 6)
    (sheet,) = validate(DATA / "notes_block_above_header.xlsx").sheets
    assert (sheet.village, sheet.rows) == ("新桥社区", 8)
    assert people(sheet) == expected(8, 540)
    clean(sheet)


@pytest.mark.parametrize(("name", "n", "seq0", "village"), [
    ("notes_line.csv", 8, 560, "东溪村"),
    ("notes_line_html_saved_as.xls", 5, 580, "石门村"),
])
def test_notes_lines_in_csv_and_html_exports(name: str, n: int, seq0: int, village: str) -> None:
    (sheet,) = validate(DATA / name).sheets
    assert (sheet.village, sheet.rows) == (village, n)
    assert people(sheet) == expected(n, seq0)
    clean(sheet)


def test_a_notes_line_split_at_its_commas(write_csv: Any) -> None:
    """A web system that does not quote: the notes line falls apart into cells."""
    ident = make_id(seq="611")
    path = write_csv("东溪村登记.csv", [
        ["姓名", "身份证号", "联系电话", "返乡日期"],
        ["王五", ident, "13957000101", "2022-01-28"],
        ["注意：1、证件类型取值：身份证", "护照", "港澳通行证；2、日期格式统一为2022-01-28", ""],
        ["3、联系电话填写本人手机号码", "不要填写固定电话", "", ""],
    ])
    (sheet,) = validate(path).sheets
    assert people(sheet) == [("王五", ident)]
    clean(sheet)


def test_notes_merged_directly_under_the_header_are_neither_header_nor_data() -> None:
    note = "填表说明：证件号码填18位，返乡日期写成2022-01-28"
    grid = [["青石镇平阳村返乡人员登记表", *[""] * 5], HEADER, [note] * 6, [note] * 6, ROW, ROW]
    merged = [((0, 0), (0, 5)), ((2, 0), (3, 5))]
    layout = detect_layout(grid, merged)
    assert layout is not None
    assert (layout.header_start, layout.header_end, layout.data_rows) == (1, 1, [4, 5])


HEADER = ["序号", "姓名", "身份证号", "联系电话", "返乡日期", "备注"]
ROW = [1, "王五", make_id(seq="621"), "13957000201", "2022-01-28", ""]


@pytest.mark.parametrize(("row", "data"), [
    # notes: a note word, a numbered item or a sentence, with nothing of a person beside it
    (["注意：", "", "", "", "", ""], False),
    (["说明", "本表由村卫生室每日填写", "", "", "", ""], False),
    (["填表说明：日期写成2022-01-28", "", "", "", "", ""], False),
    (["（1）证件类型取值：身份证、护照", "", "", "", "", ""], False),
    (["三、其他需要说明的事项", "三、其他需要说明的事项", "三、其他需要说明的事项", "", "", ""],
     False),
    (["本表每日14时前报送，逾期视为零报告。", "", "", "", "", ""], False),
    (["注1：体温异常者另行登记", "", "", "", "", ""], False),
    (["①证件类型取值：身份证、护照", "", "", "", "", ""], False),
    (["1、证件类型取值：身份证", "护照", "港澳通行证", "", "", ""], False),  # split at commas
    # neighbours: a person's row, whatever its first filled cell says
    (["", "", "", "13957000301", "", "注意：已返乡"], True),
    (["", "注意：已返乡", "", "13957000302", "", ""], True),
    (["", "注意：已返乡", make_id(seq="631"), "", "", ""], True),
    (["", "注意：已返乡", "", "", "2022-01-29", ""], True),
    (["", "注意：已返乡", "", "", date(2022, 1, 29), ""], True),
    (["", "注意：已返乡", "", "", "1月29日", ""], True),
    (["1、王六", "", "", "13957000303", "", ""], True),
    (["", "赵七，李八", "", "", "", ""], True),  # short: two names, not a sentence
    (["青石镇平阳村3组，12号院内", "钱九", "", "", "", ""], True),  # a sentence beside a name
    ([2, "注意：", "", "", "", ""], True),  # a 序号 first: data, as before
])
def test_notes_rows_and_their_neighbours(row: list[Any], data: bool) -> None:
    layout = detect_layout([HEADER, ROW, row, ROW])
    assert layout is not None
    assert layout.data_rows == ([1, 2, 3] if data else [1, 3])
