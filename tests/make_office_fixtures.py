#!/usr/bin/env python3
"""Build ``tests/data/offices/``: sheets laid out as other offices' systems write them.

Issue 14 measured taizhang on layouts nobody here wrote: a web system's
declaration export, a list of people who left a risk city, a home-isolation
list, a close-contact list, an abnormal-temperature export, a bare roster, and
a sheet written by pandas with its index column. Each file below imitates one
such layout with invented people: the header words those systems use, their
cell types (date-time cells, phones in number cells, date-times as text), and
columns that are someone else's (目的地联系人电话, 代理人手机号, 户主姓名).
Nothing is copied from anyone's file. ``tests/test_office_layouts.py`` checks
that running this again gives the same bytes.

Usage::

    python tests/make_office_fixtures.py       # writes tests/data/offices/
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import make_id, put_rows, save_xlsx

OUT_DIR = Path(__file__).resolve().parent / "data" / "offices"

NAMES = ["吴海燕", "郑国强", "冯晓东", "蒋丽娟", "韩雪"]


def people(file_no: int) -> list[tuple[str, str, int, int]]:
    """Invented people of one fixture file (none shared between files, so the
    folder imports without cross-file conflicts): (name, ID, mobile as a number,
    sex code of GB/T 2261.1)."""
    found = []
    for i, name in enumerate(NAMES):
        sex = 2 if name in ("吴海燕", "蒋丽娟", "韩雪") else 1
        seq = f"{file_no}{i}{sex if sex == 1 else 2}"  # 3rd digit odd for 男, even for 女
        found.append((name, make_id("330681", f"19{70 + 5 * i}0{1 + i}1{file_no}", seq),
                      13805710000 + 100 * file_no + i, sex))
    return found


def _datetime_cells(ws: Any, column: int, first_row: int, count: int) -> None:
    for r in range(first_row, first_row + count):
        ws.cell(row=r, column=column).number_format = "yyyy-mm-dd hh:mm:ss"


def web_declaration_export(path: Path) -> None:
    """A 返乡申报 web system's export: 申报时间 as a date-time cell, 联系手机 as a
    number cell, the destination village in 目的地社区村, and three columns that
    are someone else's (目的地联系人电话, 代理人手机号, 户主姓名)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报记录"
    header = ["申报时间", "姓名", "联系手机", "身份证号", "目的地社区村", "来自地区的风险等级",
              "有无三日内核酸检测阴性证明", "返乡车牌号", "目的地联系人电话", "代理人手机号", "户主姓名"]
    rows: list[list[Any]] = [header]
    for i, (name, ident, phone, _sex) in enumerate(people(1)[:3]):
        rows.append([dt.datetime(2022, 2, 5 + i, 9 + i, 30), name, phone, ident, "平阳村",
                     "中风险", "有" if i % 2 == 0 else "无", f"浙A{i}2345", 13600000000 + i,
                     13700000000 + i, "吴大海"])
    put_rows(ws, rows)
    _datetime_cells(ws, 1, 2, 3)
    save_xlsx(wb, path)


def left_risk_city_list(path: Path) -> None:
    """A list of people who left a risk city: 离汉时间 and 创建时间 as text
    date-times, 证件类型 (a code, not a number), 户籍地, 返程方式."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    rows: list[list[Any]] = [["序号", "姓名", "电话", "证件类型", "身份证号", "离汉时间", "户籍地",
                              "返程方式", "创建时间"]]
    for i, (name, ident, phone, _sex) in enumerate(people(2)):
        rows.append([i + 1, name, str(phone), "身份证", ident, f"2022-01-2{i} 14:30:00",
                     "浙江省绍兴市", "自驾" if i % 2 else "高铁", f"2022-02-0{i + 1} 08:1{i}:00"])
    put_rows(ws, rows)
    save_xlsx(wb, path)


def home_isolation_list(path: Path) -> None:
    """A home-isolation list of a city system: 开始隔离时间/结束隔离时间 as
    date-time cells, a test result with its own 核酸检测时间, 责任社区."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "居家隔离人员"
    rows: list[list[Any]] = [["姓名", "身份证号码", "联系手机", "隔离地址", "户籍地址", "责任街道",
                              "责任社区", "核酸检测结果", "开始隔离时间", "结束隔离时间",
                              "是否核酸检测", "核酸检测时间"]]
    for i, (name, ident, phone, _sex) in enumerate(people(3)[:4]):
        rows.append([name, ident, phone, f"东溪村{i + 1}组{i + 10}号", "浙江省杭州市", "青石镇",
                     "东溪村", "阴性", dt.datetime(2022, 2, 1 + i, 10), dt.datetime(2022, 2, 15 + i, 10),
                     "是", dt.datetime(2022, 2, 2 + i, 8, 40)])
    put_rows(ws, rows)
    for col in (9, 10, 12):
        _datetime_cells(ws, col, 2, 4)
    save_xlsx(wb, path)


def close_contact_list(path: Path) -> None:
    """A close-contact list: 发现时间, a result without its own date, 途径位置."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "密接人员"
    rows: list[list[Any]] = [["姓名", "身份证号", "发现时间", "核酸检测结果", "联系方式", "途径位置",
                              "责任社区"]]
    for i, (name, ident, phone, _sex) in enumerate(people(4)[2:5]):
        rows.append([name, ident, f"2022/2/{6 + i} 21:05", "待出", phone, "某超市", "石门村"])
    put_rows(ws, rows)
    save_xlsx(wb, path)


def abnormal_temperature_export(path: Path) -> None:
    """An abnormal-temperature export: `体温 (℃)`, 上报时间 as a date-time cell
    and no 时段 (the time gives it), 家庭住址."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "体温异常"
    rows: list[list[Any]] = [["姓名", "电话", "家庭住址", "体温 (℃)", "上报时间"]]
    times = [dt.datetime(2022, 2, 7, 8, 15), dt.datetime(2022, 2, 7, 15, 40), dt.datetime(2022, 2, 8, 7, 55)]
    for (name, _ident, phone, _sex), when, temp in zip(people(5)[:3], times, (37.6, 38.1, 37.3), strict=True):
        rows.append([name, phone, "桃源村", temp, when])
    put_rows(ws, rows)
    _datetime_cells(ws, 5, 2, 3)
    save_xlsx(wb, path)


def roster_without_dates(path: Path) -> None:
    """A bare roster: 姓名, 电话 (number cells), 地址, 性别 as 1/2, 年龄; no date at all."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    rows: list[list[Any]] = [["姓名", "电话", "地址", "性别", "年龄"]]
    for name, _ident, phone, sex in people(6):
        rows.append([name, phone, "新桥社区", sex, 35])
    put_rows(ws, rows)
    save_xlsx(wb, path)


def pandas_index_column(path: Path) -> None:
    """`df.set_index("姓名").to_excel(…)` with the index name dropped: the first
    header cell is blank over the names, as pandas writes an unnamed index."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    rows: list[list[Any]] = [[None, "身份证号", "联系电话", "返乡日期"]]
    for i, (name, ident, phone, _sex) in enumerate(people(7)[:4]):
        rows.append([name, ident, str(phone), dt.datetime(2022, 2, 1 + i)])
    put_rows(ws, rows)
    _datetime_cells(ws, 4, 2, 4)
    save_xlsx(wb, path)


FIXTURES = {
    "web_declaration_export.xlsx": web_declaration_export,
    "left_risk_city_list.xlsx": left_risk_city_list,
    "home_isolation_list.xlsx": home_isolation_list,
    "close_contact_list.xlsx": close_contact_list,
    "abnormal_temperature_export.xlsx": abnormal_temperature_export,
    "roster_without_dates.xlsx": roster_without_dates,
    "pandas_index_column.xlsx": pandas_index_column,
}


def build(out_dir: Path = OUT_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIXTURES.items():
        make(out_dir / name)
        paths.append(out_dir / name)
    return paths


if __name__ == "__main__":
    for p in build():
        print(p)
