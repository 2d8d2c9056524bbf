#!/usr/bin/env python3
"""Build the small, purpose-named fixture files in ``tests/data/``.

Each file shows one thing the readers must cope with (title rows and a merged
two-row header, header spellings, Traditional headers, encodings, wide
temperature layouts, embedded test columns, files whose extension lies, hidden
sheets, bad files). The files are committed; the tests read the committed
files, and ``test_reading.py`` checks that running this script again gives the
same content.

Everything is deterministic: fixed data, a fixed random seed for the garbage
file, fixed zip timestamps and document properties in the .xlsx files. All
names, ID numbers and phones are made up; ID numbers carry a correct
GB 11643 check character. The as-of date of every file is 2022-02-08.

Usage::

    python tests/make_fixtures.py            # writes tests/data/
    python -c "import make_fixtures; make_fixtures.build(Path('/tmp/x'))"
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from taizhang.ingest.ids import id_check_char

DATA_DIR = Path(__file__).resolve().parent / "data"
ZIP_TIME = (2022, 2, 8, 9, 0, 0)
SEED = 20220208


def make_id(region: str, birth: str, seq: str) -> str:
    """An 18-character ID: 6-digit region, yyyymmdd, 3-digit sequence, check char."""
    first17 = region + birth + seq
    assert len(first17) == 17 and first17.isdigit(), first17
    return first17 + id_check_char(first17)


# The people of the fixtures: (name, ID, mobile). Odd 17th digit = 男.
PEOPLE: list[tuple[str, str, str]] = [
    ("王建国", make_id("330681", "19850312", "011"), "13812345601"),  # 0 男
    ("李秀英", make_id("330681", "19900521", "022"), "13912345602"),  # 1 女
    ("张伟", make_id("330681", "19781103", "031"), "15012345603"),  # 2 男
    ("刘芳", make_id("330681", "20010730", "044"), "15812345604"),  # 3 女
    ("陈明", make_id("330681", "19691224", "057"), "18612345605"),  # 4 男
    ("杨丽", make_id("330681", "19951009", "068"), "17712345606"),  # 5 女
    ("赵磊", make_id("330681", "19880215", "079"), "13612345607"),  # 6 男
    ("孙静", make_id("330681", "19920604", "082"), "13712345608"),  # 7 女
    ("张喆", make_id("330681", "19860418", "093"), "13512345609"),  # 8 男 (GBK-only char)
    ("周堃", make_id("330681", "19990101", "105"), "13312345610"),  # 9 男 (GBK-only char)
]


def person(i: int) -> tuple[str, str, str]:
    return PEOPLE[i]


# --------------------------------------------------------------------------- writers


def save_xlsx(wb: openpyxl.Workbook, path: Path) -> None:
    """Save, then rewrite the zip with fixed timestamps so the bytes are reproducible."""
    stamp = dt.datetime(*ZIP_TIME)
    wb.properties.creator = "Administrator"
    wb.properties.lastModifiedBy = "Administrator"
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as src:
        members = [(info.filename, src.read(info)) for info in src.infolist()]
    fixed = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + fixed + rb"\g<2>",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())


def xlsx_bytes(build_sheets: Callable[[openpyxl.Workbook], None]) -> bytes:
    """The bytes of a workbook built by `build_sheets` (used for truncated.xlsx)."""
    wb = openpyxl.Workbook()
    build_sheets(wb)
    tmp = io.BytesIO()
    wb.save(tmp)
    return tmp.getvalue()


def put_rows(ws: Worksheet, rows: list[list[Any]], first_row: int = 1) -> None:
    """Write rows from Excel row `first_row`; None leaves a cell empty."""
    for r, row in enumerate(rows, start=first_row):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)


def csv_text(rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\r\n" for row in rows)


# --------------------------------------------------------------------------- xlsx fixtures


def title_rows_merged_header(path: Path) -> None:
    """Title row merged across, a notes row, a two-row header (基本信息 over
    姓名/身份证号/联系电话, 返乡信息 over 返乡日期/登记日期, 序号 and 来源地
    merged down), an empty column E, a blank row inside the data, a 合计 row
    and a 填表人 footer.

    Excel rows: 1 title, 2 notes, 3–4 header, 5–7 data, 8 blank, 9–10 data,
    11 合计, 12 blank, 13 footer.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "登记表"
    ws["A1"] = "青石镇平阳村返乡人员登记表"
    ws.merge_cells("A1:H1")
    ws["A2"] = "填报说明：日期请写成2022-01-28格式，身份证号请设为文本"
    ws.merge_cells("A2:H2")
    ws["A3"] = "序号"
    ws.merge_cells("A3:A4")
    ws["B3"] = "基本信息"
    ws.merge_cells("B3:D3")
    ws["F3"] = "返乡信息"
    ws.merge_cells("F3:G3")
    ws["H3"] = "来源地"
    ws.merge_cells("H3:H4")
    put_rows(ws, [[None, "姓名", "身份证号", "联系电话", None, "返乡日期", "登记日期"]], 4)
    p = [person(i) for i in range(5)]
    put_rows(ws, [
        [1, p[0][0], p[0][1], p[0][2], None, dt.date(2022, 1, 25), dt.date(2022, 1, 26),
         "浙江省杭州市"],
        [2, p[1][0], p[1][1], p[1][2], None, "2022/1/27", dt.date(2022, 1, 27), "上海市闵行区"],
        [3, p[2][0], p[2][1], p[2][2], None, "2022.1.28", dt.date(2022, 1, 29), "江苏省苏州市"],
    ], 5)
    put_rows(ws, [
        [4, p[3][0], p[3][1], p[3][2], None, "1月30日", dt.date(2022, 1, 31), "广东省深圳市"],
        [5, p[4][0], p[4][1], p[4][2], None, "20220201", dt.date(2022, 2, 2), "浙江省宁波市"],
        ["合计", "5人", None, None, None, None, None, None],
    ], 9)
    ws["A13"] = "填表人：张三  审核人：李四"
    ws["F13"] = "填表日期：2022年2月8日"
    save_xlsx(wb, path)


def header_variants(path: Path) -> None:
    """Header spellings: spaces, a newline, full-width brackets, `*`, a unit in
    brackets, and one unknown column 健康状况. The sheet name names the village."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "石门村登记"
    p = [person(i) for i in (5, 6, 7)]
    put_rows(ws, [
        ["序号", "* 姓 名", "身份证号码", "联系电话\n（手机）", "返乡(抵达)日期",
         "登记（排查）日期", "健康状况"],
        [1, p[0][0], p[0][1], p[0][2], dt.date(2022, 2, 1), dt.date(2022, 2, 1), "良好"],
        [2, p[1][0], p[1][1], p[1][2], dt.date(2022, 2, 3), dt.date(2022, 2, 4), None],
        [3, p[2][0], p[2][1], p[2][2], dt.date(2022, 2, 5), dt.date(2022, 2, 5), "咳嗽"],
    ])
    save_xlsx(wb, path)


def traditional_headers(path: Path) -> None:
    """Traditional-character headers; the village comes from the 村（社區） column
    (one row writes the stem 平阳 only)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    p = [person(i) for i in (0, 1, 2, 3)]
    put_rows(ws, [
        ["姓名", "性別", "身份證號", "聯繫電話", "返鄉日期", "村（社區）"],
        [p[0][0], "男", p[0][1], p[0][2], dt.date(2022, 1, 20), "平阳村"],
        [p[1][0], "女", p[1][1], p[1][2], dt.date(2022, 1, 21), "平阳"],
        [p[2][0], "男", p[2][1], p[2][2], dt.date(2022, 1, 22), "平阳村"],
        [p[3][0], "女", p[3][1], p[3][2], dt.date(2022, 1, 23), " 平阳村 "],
    ])
    save_xlsx(wb, path)


def wide_temperature_onerow(path: Path) -> None:
    """Wide temperature sheet, one header row `2月1日上午` …, under a title row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "体温"
    ws["A1"] = "青石镇新桥社区居家人员体温监测表"
    ws.merge_cells("A1:F1")
    p = [person(i) for i in (0, 1, 2)]
    put_rows(ws, [
        ["姓名", "身份证号", "2月1日上午", "2月1日下午", "2月2日上午", "2月2日下午"],
        [p[0][0], p[0][1], 36.5, 36.6, 36.4, 36.7],
        [p[1][0], p[1][1], "36.8℃", 37.5, None, "36.9度"],
        [p[2][0], p[2][1], 36.2, None, 36.3, 36.4],
    ], 2)
    save_xlsx(wb, path)


def wide_temperature_tworow(path: Path) -> None:
    """Wide temperature sheet with a two-row header: a real date cell and the
    text 2月2日, each merged over 上午/下午; 姓名 and 身份证号 merged down."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "体温监测"
    ws["A1"] = "姓名"
    ws.merge_cells("A1:A2")
    ws["B1"] = "身份证号"
    ws.merge_cells("B1:B2")
    ws["C1"] = dt.date(2022, 2, 1)
    ws.merge_cells("C1:D1")
    ws["E1"] = "2月2日"
    ws.merge_cells("E1:F1")
    put_rows(ws, [[None, None, "上午", "下午", "上午", "下午"]], 2)
    p = [person(i) for i in (3, 4, 5)]
    put_rows(ws, [
        [p[0][0], p[0][1], 36.5, 36.6, 36.7, 36.8],
        [p[1][0], p[1][1], 36.4, 37.3, 36.5, None],
        [p[2][0], p[2][1], None, 36.1, 36.2, 36.3],
    ], 3)
    save_xlsx(wb, path)


def embedded_tests(path: Path) -> None:
    """A 居家隔离台账 with `第1次核酸`/`第2次核酸` cells such as `1.29阴`,
    `2022/1/30 阴性`, `2.1待出`; a second sheet spells `第一次核酸检测`."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "居家隔离台账"
    ws["A1"] = "青石镇东溪村居家隔离台账"
    ws.merge_cells("A1:J1")
    p = [person(i) for i in (0, 1, 2, 3)]
    put_rows(ws, [
        ["序号", "姓名", "身份证号", "联系电话", "返乡日期", "管控措施", "管控开始日期", "状态",
         "第1次核酸", "第2次核酸"],
        [1, p[0][0], p[0][1], p[0][2], dt.date(2022, 1, 28), "居家隔离14天",
         dt.date(2022, 1, 28), "隔离中", "1.29阴", "2.4阴性"],
        [2, p[1][0], p[1][1], p[1][2], dt.date(2022, 1, 29), "居家隔离14天",
         dt.date(2022, 1, 29), "隔离中", "2022/1/30 阴性", "2.1待出"],
        [3, p[2][0], p[2][1], p[2][2], dt.date(2022, 2, 1), "居家隔离14天",
         dt.date(2022, 2, 1), "隔离中", "2.1待出", None],
        [4, p[3][0], p[3][1], p[3][2], dt.date(2022, 2, 5), "居家隔离14天",
         dt.date(2022, 2, 5), "隔离中", None, None],
    ], 2)
    ws2 = wb.create_sheet("核酸情况")
    q = [person(i) for i in (4, 5, 6)]
    put_rows(ws2, [
        ["姓名", "身份证号", "返乡日期", "第一次核酸检测", "第二次核酸检测"],
        [q[0][0], q[0][1], dt.date(2022, 1, 30), "1.31阴性", "2022-02-03 阴"],
        [q[1][0], q[1][1], dt.date(2022, 2, 1), "2.2阴", "2.6待出"],
        [q[2][0], q[2][1], dt.date(2022, 2, 2), "2.3阴", None],
    ])
    save_xlsx(wb, path)


def hidden_sheet(path: Path) -> None:
    """One visible registration sheet and one hidden sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "登记表"
    ws["A1"] = "青石镇石门村返乡人员登记表"
    ws.merge_cells("A1:E1")
    p = [person(i) for i in (6, 7, 8)]
    put_rows(ws, [
        ["姓名", "身份证号", "联系电话", "返乡日期", "来源地"],
        [p[0][0], p[0][1], p[0][2], dt.date(2022, 2, 2), "北京市朝阳区"],
        [p[1][0], p[1][1], p[1][2], dt.date(2022, 2, 3), "浙江省温州市"],
        [p[2][0], p[2][1], p[2][2], dt.date(2022, 2, 4), "江西省南昌市"],
    ], 2)
    hidden = wb.create_sheet("旧数据")
    q = person(9)
    put_rows(hidden, [
        ["姓名", "身份证号", "联系电话", "返乡日期"],
        [q[0], q[1], q[2], dt.date(2022, 1, 10)],
    ])
    hidden.sheet_state = "hidden"
    save_xlsx(wb, path)


def multi_sheet(path: Path) -> None:
    """Registration, tests and (long) temperature sheets in one workbook."""
    wb = openpyxl.Workbook()
    reg = wb.active
    reg.title = "返乡登记"
    p = [person(i) for i in (0, 1, 2)]
    put_rows(reg, [
        ["姓名", "性别", "身份证号", "联系电话", "返乡日期", "登记日期"],
        [p[0][0], "男", p[0][1], p[0][2], dt.date(2022, 2, 1), dt.date(2022, 2, 1)],
        [p[1][0], "女", p[1][1], p[1][2], dt.date(2022, 2, 2), dt.date(2022, 2, 2)],
        [p[2][0], "男", p[2][1], p[2][2], dt.date(2022, 2, 3), dt.date(2022, 2, 4)],
    ])
    tests = wb.create_sheet("核酸检测")
    put_rows(tests, [
        ["姓名", "身份证号", "采样日期", "检测结果", "采样点"],
        [p[0][0], p[0][1], dt.date(2022, 2, 1), "阴性", "镇卫生院"],
        [p[1][0], p[1][1], dt.date(2022, 2, 2), "阴性", "镇卫生院"],
        [p[2][0], p[2][1], dt.date(2022, 2, 4), "待出", "村卫生室"],
        [p[0][0], p[0][1], dt.date(2022, 2, 7), "阴", "镇卫生院"],
    ])
    temps = wb.create_sheet("体温监测")
    put_rows(temps, [
        ["姓名", "身份证号", "日期", "时段", "体温(℃)"],
        [p[0][0], p[0][1], dt.date(2022, 2, 7), "上午", 36.5],
        [p[0][0], p[0][1], dt.date(2022, 2, 7), "下午", 36.7],
        [p[1][0], p[1][1], dt.date(2022, 2, 7), "上午", 37.4],
    ])
    save_xlsx(wb, path)


def no_village(path: Path) -> None:
    """No village anywhere: not in the file name, sheet name, title or a column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "返乡人员登记表"
    ws.merge_cells("A1:D1")
    p = [person(i) for i in (3, 4, 5)]
    put_rows(ws, [
        ["姓名", "身份证号", "联系电话", "返乡日期"],
        [p[0][0], p[0][1], p[0][2], dt.date(2022, 2, 1)],
        [p[1][0], p[1][1], p[1][2], dt.date(2022, 2, 2)],
        [p[2][0], p[2][1], p[2][2], dt.date(2022, 2, 3)],
    ], 2)
    save_xlsx(wb, path)


def offset_table(path: Path) -> None:
    """A table that starts at C4: rows 1–3 and columns A–B are empty, so the
    Excel row numbers must still count from row 1."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    p = [person(i) for i in (1, 2)]
    rows = [
        ["姓名", "身份证号", "联系电话", "返乡日期"],
        [p[0][0], p[0][1], p[0][2], dt.date(2022, 2, 6)],
        [p[1][0], p[1][1], p[1][2], dt.date(2022, 2, 7)],
    ]
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=3):
            ws.cell(row=r, column=c, value=value)
    save_xlsx(wb, path)


def title_with_date_cell(path: Path) -> None:
    """A title merged over A1:E1 with the report date typed into F1 of the same
    row, then a single-row header in row 2. The title is not a header row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "青石镇平阳村返乡人员登记表"
    ws.merge_cells("A1:E1")
    ws["F1"] = "2022年2月8日"
    p = [person(i) for i in (0, 1, 2)]
    put_rows(ws, [
        ["序号", "姓名", "身份证号", "联系电话", "返乡日期", "登记日期"],
        [1, p[0][0], p[0][1], p[0][2], dt.date(2022, 2, 1), dt.date(2022, 2, 2)],
        [2, p[1][0], p[1][1], p[1][2], dt.date(2022, 2, 3), dt.date(2022, 2, 3)],
        [3, p[2][0], p[2][1], p[2][2], dt.date(2022, 2, 4), dt.date(2022, 2, 5)],
    ], 2)
    save_xlsx(wb, path)


def header_cell_merged_across(path: Path) -> None:
    """A single-row header whose 联系电话 cell is merged over two columns
    (mobile and landline), both filled in every data row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    p = [person(i) for i in (3, 4, 5)]
    put_rows(ws, [
        ["姓名", "身份证号", "联系电话", None, "返乡日期"],
        [p[0][0], p[0][1], p[0][2], "0575-87654321", dt.date(2022, 2, 1)],
        [p[1][0], p[1][1], p[1][2], "0575-87654322", dt.date(2022, 2, 2)],
        [p[2][0], p[2][1], p[2][2], "0575-87654323", dt.date(2022, 2, 3)],
    ])
    ws.merge_cells("C1:D1")
    save_xlsx(wb, path)


def header_only(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    put_rows(ws, [["姓名", "身份证号", "联系电话", "返乡日期"]])
    save_xlsx(wb, path)


def empty_sheet(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    save_xlsx(wb, path)


def not_a_table(path: Path) -> None:
    """A notice typed into a spreadsheet: text, no header row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "通知"
    put_rows(ws, [
        ["关于做好春节返乡人员健康管理的通知"],
        ["各村（社区）："],
        ["请于每日12时前报送本村返乡人员情况。"],
        ["青石镇疫情防控办公室"],
    ])
    save_xlsx(wb, path)


def truncated(path: Path) -> None:
    """The first 1000 bytes of a real .xlsx (a transfer that stopped early)."""
    def sheets(wb: openpyxl.Workbook) -> None:
        ws = wb.active
        put_rows(ws, [["姓名", "身份证号"], [PEOPLE[0][0], PEOPLE[0][1]]])
    data = xlsx_bytes(sheets)
    # zip member timestamps sit in the first bytes: pin them for reproducibility
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer) as src:
        members = [(i.filename, src.read(i)) for i in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, member in members:
            if name == "docProps/core.xml":
                member = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>",
                                rb"<dcterms:\1\2>2022-02-08T09:00:00Z</dcterms:\1>", member)
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, member)
    path.write_bytes(out.getvalue()[:1000])


def password_protected(path: Path) -> None:
    """A minimal stand-in for an encrypted .xlsx: an OLE2 compound file header
    followed by the UTF-16-LE stream name `EncryptedPackage` (what Excel writes
    for a workbook with an open password, and what reading.py looks for)."""
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    body = magic + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 480
    path.write_bytes(body)


# --------------------------------------------------------------------------- text fixtures


def gbk_registration(path: Path) -> None:
    """A registration CSV as Excel on Chinese Windows writes it: GBK bytes
    (with 喆 and 堃, which GB2312 lacks), CRLF."""
    rows = [["姓名", "性别", "身份证号", "联系电话", "村(社区)", "返乡日期", "登记日期", "来源地"]]
    for i, (arrival, registered, origin) in zip(
        (8, 9, 6, 7),
        (("2022-01-29", "2022-01-29", "湖北省武汉市"), ("2022/1/30", "2022/1/31", "广东省广州市"),
         ("2022-02-01", "2022-02-01", "上海市浦东新区"), ("2022-02-03", "2022-02-04", "江苏省南京市")),
        strict=True,
    ):
        name, ident, phone = person(i)
        sex = "男" if int(ident[16]) % 2 else "女"
        rows.append([name, sex, ident, phone, "东溪村", arrival, registered, origin])
    path.write_bytes(csv_text(rows).encode("gbk"))


def utf8_bom_tests(path: Path) -> None:
    """A 核酸检测台账 CSV in UTF-8 with a BOM (Excel's "CSV UTF-8")."""
    rows = [["姓名", "身份证号", "采样日期", "检测结果", "采样点"]]
    for i, sample, result in (
        (0, "2022-02-01", "阴性"),
        (1, "2022/2/2", "阴"),
        (2, "2022.2.3", "待出"),
        (3, "2月4日", ""),
        (4, "20220205", "阴性"),
    ):
        name, ident, _ = person(i)
        rows.append([name, ident, sample, result, "青石镇卫生院"])
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(rows).encode("utf-8"))


def utf8_temperatures_long(path: Path) -> None:
    """A long-form 体温监测表 CSV in plain UTF-8 (no BOM), LF line ends."""
    rows = [["姓名", "身份证号", "日期", "时段", "体温"]]
    for i, day, slot, temp in (
        (5, "2022-02-06", "上午", "36.5"),
        (5, "2022-02-06", "下午", "36.8℃"),
        (5, "2022-02-07", "早", "36.4"),
        (5, "2022-02-07", "晚", "37.5度"),
        (6, "2月6日", "上午", "36.2"),
        (6, "2月6日", "下午", "36.3"),
        (6, "2月7日", "上午", "36.6"),
        (6, "2月7日", "下午", "36.6"),
    ):
        name, ident, _ = person(i)
        rows.append([name, ident, day, slot, temp])
    path.write_bytes("".join(",".join(r) + "\n" for r in rows).encode("utf-8"))


def html_saved_as(path: Path) -> None:
    """An HTML table (a web system's "export to Excel") saved as .xls: one
    colspan title row, then a <th> header row."""
    cells = []
    for i, sample, result in ((5, "2022-02-05", "阴性"), (6, "2022-02-06", "阴性"),
                              (7, "2022-02-07", "待出"), (8, "2022-02-07", "阴性")):
        name, ident, _ = person(i)
        cells.append(f"<tr><td>{name}</td><td>{ident}</td><td>{sample}</td>"
                     f"<td>{result}</td><td>桃源村采样点</td></tr>")
    html = (
        "<html>\n<head><meta charset=\"utf-8\"><title>核酸检测导出</title></head>\n<body>\n"
        "<table border=\"1\">\n"
        "<tr><td colspan=\"5\">青石镇桃源村核酸检测台账</td></tr>\n"
        "<tr><th>姓名</th><th>身份证号</th><th>采样日期</th><th>检测结果</th><th>采样点</th></tr>\n"
        + "\n".join(cells)
        + "\n</table>\n</body>\n</html>\n"
    )
    path.write_bytes(html.encode("utf-8"))


def csv_saved_as(path: Path) -> None:
    """CSV text saved under an .xlsx name."""
    rows = [["姓名", "身份证号", "联系电话", "返乡日期"]]
    for i, arrival in ((7, "2022-02-01"), (8, "2022-02-02"), (9, "2022-02-03")):
        name, ident, phone = person(i)
        rows.append([name, ident, phone, arrival])
    path.write_bytes(csv_text(rows).encode("utf-8"))


def empty_csv(path: Path) -> None:
    path.write_bytes(b"")


def garbage(path: Path) -> None:
    """Random binary bytes with NULs (fixed seed); starts with no known magic."""
    rng = random.Random(SEED)
    data = bytearray(rng.randbytes(2048))
    data[0:4] = b"\x13\x37\x00\x00"
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- real offices (issue 14)
# How LibreOffice / WPS save a sheet, and the notes blocks offices put under
# or above their tables. Their own people, so that the counts are plain.

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"

# A notes block as offices write it under the table (one cell, merged across).
NOTES_TEXT = ("注意：1、证件类型取值：身份证、护照、港澳居民来往内地通行证、台湾居民来往大陆通行证、"
              "外国人永久居留身份证、其他；2、日期格式统一为2022-01-28，不要写成1.28或1月28日；"
              "3、联系电话填写本人手机号码；4、返乡人员须在抵达后24小时内完成核酸检测；"
              "5、本表每日14时前报送镇疫情防控办，联系电话0570-1234567。")
NOTES_LINES = ["注意：", "1、证件类型取值：身份证、护照、港澳居民来往内地通行证、其他",
               "2、日期格式统一为2022-01-28，不要写成1.28"]


def villagers(n: int, seq0: int = 200) -> list[tuple[str, str, str, str]]:
    """`n` invented people: (name, sex, ID, mobile), IDs with a valid check char."""
    people = []
    for i in range(n):
        name = _SURNAMES[i % 20] + _GIVEN[(i * 7) % 20] + ("" if i < 20 else _GIVEN[i % 20])
        seq = f"{seq0 + i:03d}"
        ident = make_id("330681", f"19{70 + i % 30:02d}{1 + i % 12:02d}{1 + i % 28:02d}", seq)
        people.append((name, "男" if int(seq[-1]) % 2 else "女", ident, f"139{57000000 + i:08d}"))
    return people


def registration_rows(n: int, seq0: int = 200, remark: dict[int, str] | None = None
                      ) -> list[list[Any]]:
    """Rows under the header 序号 姓名 性别 证件类型 证件号码 联系电话 来源地 返乡日期 备注."""
    remark = remark or {}
    return [[i + 1, name, sex, "身份证", ident, phone, "浙江省杭州市",
             dt.date(2022, 1, 15) + dt.timedelta(days=i % 20), remark.get(i)]
            for i, (name, sex, ident, phone) in enumerate(villagers(n, seq0))]


REGISTRATION_HEADER = ["序号", "姓名", "性别", "证件类型", "证件号码", "联系电话", "来源地", "返乡日期",
                       "备注"]


def save_xlsx_declaring(wb: openpyxl.Workbook, path: Path, ref: str) -> None:
    """Save like `save_xlsx`, then make every sheet declare `<dimension ref=…>`
    as LibreOffice and WPS do (A1:AMJ1048576: all their columns, every row)."""
    save_xlsx(wb, path)
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in members:
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), data)
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())


def libreoffice_dimension_amj(path: Path) -> None:
    """14 rows (title, header, 12 people) declaring A1:AMJ1048576, as
    LibreOffice writes any sheet: 1,073,741,824 cells declared, 14 rows held."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "工作表1"
    ws["A1"] = "青石镇东溪村返乡人员登记表"
    ws.merge_cells("A1:I1")
    put_rows(ws, [REGISTRATION_HEADER, *registration_rows(12, 300)], 2)
    save_xlsx_declaring(wb, path, "A1:AMJ1048576")


def wps_dimension_a2_amj(path: Path) -> None:
    """Row 1 empty, header in row 2, 12 people: WPS declares A2:AMJ1048576.
    The village is the sheet's name."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "桃源村"
    put_rows(ws, [REGISTRATION_HEADER, *registration_rows(12, 320)], 2)
    save_xlsx_declaring(wb, path, "A2:AMJ1048576")


def notes_block_merged_below(path: Path) -> None:
    """Title, header, 30 people (Excel rows 3–32; the 4th one's 备注 says
    注意：已返乡), then NOTES_TEXT merged over A33:I43 — the merge fill copies
    it into all 99 cells of the range."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "青石镇平阳村返乡人员登记表"
    ws.merge_cells("A1:I1")
    put_rows(ws, [REGISTRATION_HEADER, *registration_rows(30, 400, {3: "注意：已返乡"})], 2)
    ws["A33"] = NOTES_TEXT
    ws.merge_cells("A33:I43")
    save_xlsx(wb, path)


def notes_block_three_rows(path: Path) -> None:
    """A notes block split over three rows (注意： / 1、证件类型… / 2、日期格式…),
    after two blank rows and before a 填表人 footer. Sheet 东溪村: each line in
    column A; sheet 石门村: each line merged across A:I."""
    wb = openpyxl.Workbook()
    for title, merged, seq0 in (("东溪村", False, 500), ("石门村", True, 520)):
        ws = wb.active if merged is False else wb.create_sheet()
        ws.title = title
        ws["A1"] = f"青石镇{title}返乡人员登记表"
        ws.merge_cells("A1:I1")
        put_rows(ws, [REGISTRATION_HEADER, *registration_rows(10, seq0)], 2)
        for r, line in enumerate(NOTES_LINES, start=15):  # rows 13–14 blank
            ws.cell(row=r, column=1, value=line)
            if merged:
                ws.merge_cells(f"A{r}:I{r}")
        ws["A18"] = "填表人：张三  审核人：李四"
    save_xlsx(wb, path)


def notes_block_above_header(path: Path) -> None:
    """Title; a notes block between title and header (NOTES_TEXT merged over
    A2:I3, then the three NOTES_LINES in column A, rows 4–6); header in row 7;
    8 people in rows 8–15."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "登记表"
    ws["A1"] = "青石镇新桥社区返乡人员登记表"
    ws.merge_cells("A1:I1")
    ws["A2"] = NOTES_TEXT
    ws.merge_cells("A2:I3")
    put_rows(ws, [[line] for line in NOTES_LINES], 4)
    put_rows(ws, [REGISTRATION_HEADER, *registration_rows(8, 540)], 7)
    save_xlsx(wb, path)


def notes_line_csv(path: Path) -> None:
    """A registration CSV as Excel writes it (GBK, CRLF, quotes around cells
    with commas, every line as wide as the table): a title line, the header,
    8 people, a blank line, then the notes lines."""
    rows: list[list[str]] = [["青石镇东溪村返乡人员登记表", *[""] * 8], REGISTRATION_HEADER]
    for row in registration_rows(8, 560):
        rows.append(["" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)
                     for v in row])
    rows.append([""] * 9)
    rows.extend([f'"{line}"' if "," in line else line, *[""] * 8]
                for line in (NOTES_TEXT.replace("；", ","), *NOTES_LINES))
    path.write_bytes(csv_text(rows).encode("gbk"))


def notes_line_html_saved_as(path: Path) -> None:
    """A web system's "export to Excel" (an HTML table saved as .xls): title,
    header, 5 people, and NOTES_TEXT in one cell spanning the table."""
    body = "".join(
        f"<tr><td>{i + 1}</td><td>{name}</td><td>{sex}</td><td>{ident}</td><td>{phone}</td>"
        f"<td>2022-01-{25 + i}</td></tr>\n"
        for i, (name, sex, ident, phone) in enumerate(villagers(5, 580)))
    html = ("<html>\n<head><meta charset=\"utf-8\"></head>\n<body>\n<table border=\"1\">\n"
            "<tr><td colspan=\"6\">青石镇石门村返乡人员登记表</td></tr>\n"
            "<tr><th>序号</th><th>姓名</th><th>性别</th><th>身份证号</th><th>联系电话</th>"
            "<th>返乡日期</th></tr>\n" + body
            + f"<tr><td colspan=\"6\">{NOTES_TEXT}</td></tr>\n</table>\n</body>\n</html>\n")
    path.write_bytes(html.encode("utf-8"))


FIXTURES: dict[str, Callable[[Path], None]] = {
    "title_rows_merged_header.xlsx": title_rows_merged_header,
    "header_variants.xlsx": header_variants,
    "traditional_headers.xlsx": traditional_headers,
    "gbk_registration.csv": gbk_registration,
    "utf8_bom_tests.csv": utf8_bom_tests,
    "utf8_temperatures_long.csv": utf8_temperatures_long,
    "wide_temperature_onerow.xlsx": wide_temperature_onerow,
    "wide_temperature_tworow.xlsx": wide_temperature_tworow,
    "embedded_tests.xlsx": embedded_tests,
    "html_saved_as.xls": html_saved_as,
    "csv_saved_as.xlsx": csv_saved_as,
    "hidden_sheet.xlsx": hidden_sheet,
    "multi_sheet.xlsx": multi_sheet,
    "no_village.xlsx": no_village,
    "offset_table.xlsx": offset_table,
    "title_with_date_cell.xlsx": title_with_date_cell,
    "header_cell_merged_across.xlsx": header_cell_merged_across,
    "empty.csv": empty_csv,
    "truncated.xlsx": truncated,
    "garbage.csv": garbage,
    "header_only.xlsx": header_only,
    "empty_sheet.xlsx": empty_sheet,
    "not_a_table.xlsx": not_a_table,
    "password_protected.xlsx": password_protected,
    "libreoffice_dimension_amj.xlsx": libreoffice_dimension_amj,
    "wps_dimension_a2_amj.xlsx": wps_dimension_a2_amj,
    "notes_block_merged_below.xlsx": notes_block_merged_below,
    "notes_block_three_rows.xlsx": notes_block_three_rows,
    "notes_block_above_header.xlsx": notes_block_above_header,
    "notes_line.csv": notes_line_csv,
    "notes_line_html_saved_as.xls": notes_line_html_saved_as,
}


def build(out_dir: Path = DATA_DIR) -> list[Path]:
    """Write every fixture into `out_dir`; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in FIXTURES.items():
        path = out_dir / name
        make(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build():
        print(written_path.relative_to(DATA_DIR.parent.parent))
