#!/usr/bin/env python3
"""Generate the realistic village files in ``sample_data/``.

Why this exists
---------------
taizhang must read what villages really send: title rows, merged two-row
headers, GBK CSV from Excel on Chinese Windows, old ``.xls``, Traditional
headers, wide temperature sheets, 合计 rows, footers and hidden sheets. Real
files carry personal data (names, ID numbers, phones) and cannot be committed,
so this script builds fictional files with the same shape, deterministically
(fixed seed, fixed zip timestamps, no network): running it twice gives
byte-identical files, so a regenerated set never shows up as a diff.

Every row is valid except a small list of deliberate defects, each on its own
row. The script writes that list to ``tests/data/sample_expected_problems.json``
(path, sheet, 1-based Excel row, column header as written, problem code), with
the row numbers taken from where the defects were actually written, so tests
can compare ``taizhang validate sample_data/`` against it.

The world: township 青石镇, villages 平阳村, 东溪村, 桃源村, 新桥社区, 石门村;
spring-festival returnees arriving 2022-01-20 … 2022-02-08 (one 入境 person
from 2022-01-11), files as of 2022-02-08. On 2022-02-08 the data tell a small
story that can be checked by hand: a few entries in each ``due-today`` list
(see DUE_TODAY_README; the expected output is
``tests/data/sample_due_2022-02-08.json``). All names, ID numbers and phone numbers are made up (ID numbers
carry a correct GB 11643 check digit unless a defect says otherwise).

Usage::

    pip install xlwt            # only needed to write the one .xls file
    python scripts/make_sample_data.py

See ``sample_data/README.md`` for what each file shows and the defect list.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "sample_data"
EXPECTED_PATH = ROOT / "tests" / "data" / "sample_expected_problems.json"

SEED = 20220208
AS_OF = dt.date(2022, 2, 8)
ZIP_TIME = (2022, 2, 8, 9, 0, 0)  # fixed timestamp for xlsx members and docProps
TOWNSHIP = "青石镇"

# --------------------------------------------------------------------------- IDs

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_char(body17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


assert check_char("11010519491231002") == "X", "check digit table is wrong"


def id_is_valid(id_number: str) -> bool:
    """True for an 18-character ID with a correct check digit and a real birth date."""
    if not re.fullmatch(r"\d{17}[\dX]", id_number):
        return False
    try:
        dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return False
    return check_char(id_number[:17]) == id_number[17]


def excel_float(id_number: str) -> float:
    """The number Excel keeps when an ID is typed into a number cell (15 significant digits)."""
    return float(f"{int(id_number):.14e}")


# ------------------------------------------------------------------------ people

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏方邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵"
    "钱严戴孔汤楼骆傅俞应"
)
MALE_GIVEN = (
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 辉 鹏 飞 鑫 浩 凯 俊 健 建华 "
    "志强 海涛 国平 永康 文斌 晓东 宇航 子豪 家乐 振宇 林峰 金龙 新民 "
    "立新 云飞 建军 德明 浩然"
).split()
FEMALE_GIVEN = (
    "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 婷 雪 慧 倩 颖 琳 欣 桂英 秀英 "
    "晓燕 丽娟 美玲 雅琴 佳怡 梦瑶 思琪 海燕 春梅 素芬 雨欣 彩霞 月娥 "
    "巧玲 欣怡 紫涵"
).split()
# Staff names that appear in footers and 包保/村医 columns: never a data person.
STAFF = "王芳 李建国 周建华 徐丽萍 蒋卫东 骆海峰 应国庆 郑秀兰 孔德胜".split()
PHONE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 "
    "151 152 155 157 158 159 177 180 181 182 "
    "186 187 188 189 199"
).split()


@dataclass(frozen=True)
class Person:
    """A fictional resident. ``id_number`` is always the true, valid number."""

    name: str
    male: bool
    id_number: str
    phone: str
    village: str

    @property
    def sex(self) -> str:
        return "男" if self.male else "女"


class PersonFactory:
    """Makes unique fictional people from one seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = set(STAFF)
        self.phones: set[str] = set()
        self.ids: set[str] = set()

    def _name(self, male: bool) -> str:
        pool = MALE_GIVEN if male else FEMALE_GIVEN
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(pool)
            if name not in self.names:
                self.names.add(name)
                return name

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _birth(self, years: tuple[int, int]) -> dt.date:
        start = dt.date(years[0], 1, 1).toordinal()
        end = dt.date(years[1], 12, 31).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, end))

    def _seq(self, male: bool) -> str:
        last = self.rng.choice("13579" if male else "02468")
        return f"{self.rng.randrange(100):02d}{last}"

    def person(
        self,
        village: str,
        area: str,
        *,
        male: bool | None = None,
        name: str | None = None,
        years: tuple[int, int] = (1962, 2004),
    ) -> Person:
        male = self.rng.random() < 0.55 if male is None else male
        if name is None:
            name = self._name(male)
        else:
            assert name not in self.names, name
            self.names.add(name)
        while True:
            body = area + self._birth(years).strftime("%Y%m%d") + self._seq(male)
            id_number = body + check_char(body)
            if id_number not in self.ids:
                break
        self.ids.add(id_number)
        assert id_is_valid(id_number)
        return Person(name, male, id_number, self.phone(), village)

    def legacy_id(self, area: str, male: bool, years: tuple[int, int]) -> str:
        """A first-generation 15-digit ID: area + YYMMDD + 3-digit sequence (odd = 男)."""
        return area + self._birth(years).strftime("%y%m%d") + self._seq(male)


# ------------------------------------------------------------------- date styles


def d(month: int, day: int) -> dt.date:
    return dt.date(2022, month, day)


def iso(day: dt.date) -> str:
    return day.isoformat()


def slash(day: dt.date) -> str:
    return f"{day.year}/{day.month}/{day.day}"


def dotted(day: dt.date) -> str:
    return f"{day.year}.{day.month}.{day.day}"


def month_day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def compact(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def chinese(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ------------------------------------------------------------- expected problems


# What each deliberate defect looks like to the clerk (for sample_data/README.md).
WHAT = {
    "id_checksum": "身份证号校验位（最后一位）错误",
    "id_scientific": "身份证号被 Excel 当成数字，只剩15位有效数字，无法恢复",
    "id_legacy": "15位老身份证号（警告，不是错误）",
    "id_length": "身份证号只有17位（漏了最后一位）",
    "phone_invalid": "手机号只有10位",
    "date_invalid": "不存在的日期",
    "date_future": "年份打错（2202年），晚于截止日期2022-02-08",
    "date_order": "离开风险地日期晚于返乡日期",
    "temp_invalid": "体温超出34.0–43.0，小数点错位",
    "result_invalid": "检测结果错别字（阴行→阴性）",
    "sex_mismatch": "性别填“女”，身份证号第17位是奇数（男）",
    "duplicate_row": "同一人重复登记，整行与前面一行相同",
    "missing_required": "返乡日期和登记日期都为空（无法确定管控起算日）",
    "unknown_regime": "管控措施“居家观察三天”对应不到任何管控类型",
}


@dataclass(frozen=True)
class Expected:
    path: str
    sheet: str
    row: int
    column: str
    code: str
    value: str = ""  # the raw value as written (README only)
    what: str = ""  # a Chinese description (README only)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "code": self.code,
        }


@dataclass
class TestRecord:
    """One nucleic-acid test, kept so that every file reports it the same way."""

    person: Person
    day: dt.date
    result: str  # 阴性 or 待出


class Collector:
    """Collects the deliberate defects and the facts later files reuse."""

    def __init__(self) -> None:
        self.expected: list[Expected] = []
        self.rows: dict[str, int] = {}  # "file / sheet" -> data rows written

    def add(
        self,
        file_name: str,
        sheet: str,
        row: int,
        column: str,
        code: str,
        value: Any,
        what: str = "",
    ) -> None:
        if isinstance(value, dt.date):
            shown = value.isoformat()
        elif isinstance(value, float):
            shown = repr(value) + "（数字单元格）"
        else:
            shown = "" if value is None else str(value)
        self.expected.append(
            Expected(
                f"sample_data/{file_name}",
                sheet,
                row,
                column,
                code,
                shown,
                what or WHAT[code],
            )
        )


# --------------------------------------------------------------- xlsx helpers

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
DATE_FORMAT = "yyyy/m/d"  # Excel's default short date on Chinese Windows


def put(ws: Worksheet, row: int, col: int, value: Any, *, text: bool = False) -> None:
    """Write one cell the way a clerk's Excel would store it."""
    cell = ws.cell(row=row, column=col, value=value)
    cell.border = BOX
    if isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    elif text:
        cell.number_format = "@"


def title(ws: Worksheet, row: int, text: str, ncols: int, *, size: int = 16) -> None:
    ws.cell(row=row, column=1, value=text).font = Font(bold=True, size=size)
    ws.cell(row=row, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)


def header_cell(ws: Worksheet, row: int, col: int, text: str) -> None:
    cell = ws.cell(row=row, column=col, value=text)
    cell.font = Font(bold=True)
    cell.alignment = CENTER
    cell.border = BOX


def widths(ws: Worksheet, values: list[float]) -> None:
    for i, width in enumerate(values, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def save_xlsx(wb: openpyxl.Workbook, path: Path) -> None:
    """Save, then rewrite the zip with fixed timestamps so the bytes are reproducible."""
    stamp = dt.datetime(*ZIP_TIME)
    wb.properties.creator = "Administrator"
    wb.properties.lastModifiedBy = "Administrator"
    wb.properties.created = stamp
    wb.save(path)
    with zipfile.ZipFile(path) as src:
        members = [(info.filename, src.read(info)) for info in src.infolist()]
    fixed = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + fixed.encode() + rb"\g<2>",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


# ============================================================ 1. 平阳村 (xlsx)

PINGYANG_FILE = "平阳村返乡人员登记表.xlsx"
PINGYANG_HEADERS = [
    "序号",
    "*姓名",
    "性别",
    "身份证号码",
    "联系电话\n（手机）",
    "现住址",
    "从何地返回",
    "风险等级",
    "人员类别",
    "返乡日期",
    "登记日期",
    "交通方式",
    "航班号/车次",
    "是否持核酸阴性证明",
    "管控措施",
    "包保责任人",
    "村医",
    "备注",
]


@dataclass
class RegRow:
    """One registration row; ``id_value``/``phone_value`` override what is written."""

    person: Person
    origin: str
    arrival: dt.date | None
    arrival_cell: Any
    registered_cell: Any
    transport: str = "自驾"
    trip: str = ""
    risk: str = ""
    category: str = "返乡人员"
    proof: str = "是"
    measure: str = ""
    note: str = ""
    id_value: Any = None
    phone_value: Any = None
    defect: tuple[str, str] | None = None  # (column header, code)
    # Tests sampled for this person (date, 阴性/待出, site): they go into the CSV.
    tests: tuple[tuple[dt.date, str, str], ...] = ()


PY_SITE = "平阳村文化礼堂采样点"
QUARANTINE_SITE = "县集中隔离点"


def sampled(*days: dt.date, site: str = PY_SITE, last: str = "阴性") -> tuple:
    """Tests on ``days``, all 阴性 except the last one, whose result is ``last``."""
    return tuple((day, last if k == len(days) - 1 else "阴性", site) for k, day in enumerate(days))


def write_pingyang(f: PersonFactory, out: Collector) -> list[RegRow]:
    v = "平阳村"
    p = [f.person(v, "330681") for _ in range(2)]
    p.append(f.person(v, "650102", male=False, name="阿依古丽·买买提", years=(1990, 1998)))
    p += [f.person(v, "330681") for _ in range(9)]
    bad_checksum_id = p[1].id_number[:17] + str(
        (int(p[1].id_number[17].replace("X", "0")) + 3) % 10
    )
    assert bad_checksum_id != p[1].id_number and not id_is_valid(bad_checksum_id)
    # The story on 2022-02-08 (see DUE_TODAY_README): most people were tested on
    # days 1, 7 and 14 and are released; 俞宇航 (7+7) is released today; 沈素芬
    # (入境 14+7+7) waits for her day-28 result; 熊建华 registered today. The
    # people whose ID is unusable (rows 6 and 9) are in 集中隔离 with no test
    # due yet, so their unlinkable records do not matter today.
    rows = [
        RegRow(
            p[0], "浙江省杭州市", d(1, 22), d(1, 22), d(1, 22), risk="低",
            tests=sampled(d(1, 22), d(1, 28), d(2, 4)),
        ),
        RegRow(
            p[1],
            "上海市闵行区",
            d(1, 28),
            slash(d(1, 28)),
            slash(d(1, 28)),
            "火车",
            "G7364",
            risk="高",
            id_value=bad_checksum_id,
            defect=("身份证号码", "id_checksum"),
            note="已转县集中隔离点",
        ),
        RegRow(
            p[2],
            "新疆乌鲁木齐市",
            d(1, 21),
            d(1, 21),
            d(1, 22),
            "飞机",
            "CZ6917",
            note="本人电话可打通",
            tests=sampled(d(1, 21), d(1, 27), d(2, 3)),
        ),
        RegRow(
            p[3],
            "美国洛杉矶（上海浦东入境）",
            d(1, 11),
            dotted(d(1, 11)),
            dotted(d(1, 12)),
            "闭环转运",
            "",
            category="入境人员",
            measure="14+7+7",
            note="1月11日转运至县集中隔离点，1月25日转居家隔离",
            tests=sampled(d(1, 11), d(1, 24), site=QUARANTINE_SITE)
            + sampled(d(1, 31), d(2, 7), last="待出"),
        ),
        RegRow(
            p[4],
            "江苏省苏州市",
            d(1, 27),
            d(1, 27),
            d(1, 27),
            "大巴",
            "",
            category="密切接触者",
            id_value=excel_float(p[4].id_number),
            defect=("身份证号码", "id_scientific"),
            note="上级协查推送，已转县集中隔离点",
        ),
        RegRow(
            p[5],
            "浙江省宁波市北仑区",
            d(1, 25),
            month_day(d(1, 25)),
            month_day(d(1, 25)),
            risk="中",
            measure="7+7",
            tests=sampled(d(1, 25)),
        ),
        RegRow(
            p[6],
            "广东省深圳市",
            d(1, 23),
            d(1, 23),
            d(1, 24),
            "飞机",
            "ZH9811",
            phone_value="1380000123",
            defect=("联系电话\n（手机）", "phone_invalid"),
            tests=sampled(d(1, 23), d(1, 29), d(2, 5)),
        ),
        RegRow(
            p[7],
            "河南省郑州市",
            d(1, 31),
            compact(d(1, 31)),
            compact(d(1, 31)),
            "火车",
            "D3136",
            category="密切接触者",
            note="上级协查推送，已转县集中隔离点",
        ),
        RegRow(
            p[8],
            "江西省南昌市",
            None,
            "2022-02-30",
            d(2, 8),
            "火车",
            "K1558",
            defect=("返乡日期", "date_invalid"),
        ),
        RegRow(
            p[9],
            "天津市津南区",
            d(1, 20),
            chinese(d(1, 20)),
            chinese(d(1, 20)),
            "火车",
            "G1231",
            risk="高",
            measure="居家隔离14天",
            tests=sampled(d(1, 20), d(1, 26), d(2, 2)),
        ),
        RegRow(
            p[10],
            "安徽省合肥市",
            None,
            None,
            None,
            note="返乡日期待核实",
            defect=("返乡日期", "missing_required"),
        ),
        RegRow(
            p[11],
            "湖北省武汉市",
            d(1, 24),
            d(1, 24),
            d(1, 24),
            "火车",
            "G588",
            risk="低",
            measure="居家隔离14天",
            tests=sampled(d(1, 24), d(1, 30), d(2, 6)),
        ),
    ]

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ncols = len(PINGYANG_HEADERS)
    title(ws, 1, f"{TOWNSHIP}{v}返乡人员登记表", ncols)
    ws.cell(row=2, column=1, value="填报说明：日期格式为2022-01-28，身份证号请设为文本格式")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    header_row = 4
    for col, text in enumerate(PINGYANG_HEADERS, start=1):
        header_cell(ws, header_row, col, text)
    keepers = ("徐丽萍", "蒋卫东")
    for i, r in enumerate(rows):
        excel_row = header_row + 1 + i
        group = 1 + i % 6
        values: list[Any] = [
            i + 1,
            r.person.name,
            r.person.sex,
            r.id_value if r.id_value is not None else r.person.id_number,
            r.phone_value if r.phone_value is not None else r.person.phone,
            f"{TOWNSHIP}{v}{group}组{8 + 3 * i}号",
            r.origin,
            r.risk,
            r.category,
            r.arrival_cell,
            r.registered_cell,
            r.transport,
            r.trip,
            r.proof,
            r.measure,
            keepers[i % 2],
            "周建华",
            r.note,
        ]
        for col, value in enumerate(values, start=1):
            is_text = PINGYANG_HEADERS[col - 1] in ("身份证号码", "联系电话\n（手机）")
            put(ws, excel_row, col, value, text=is_text and isinstance(value, str))
        if r.defect:
            column, code = r.defect
            what = ""
            if code == "id_checksum":
                what = f"{WHAT[code]}（应为 {r.person.id_number[-1]}）"
            value = values[PINGYANG_HEADERS.index(column)]
            out.add(PINGYANG_FILE, ws.title, excel_row, column, code, value, what)
    out.rows[f"{PINGYANG_FILE} / {ws.title}"] = len(rows)
    footer_row = header_row + len(rows) + 2  # one blank row, then the footer
    ws.cell(
        row=footer_row, column=1, value="填表人：王芳    审核人：李建国    联系电话：0575-87654321"
    )
    ws.row_dimensions[header_row].height = 32
    widths(ws, [6, 16, 6, 21, 14, 26, 24, 9, 11, 13, 13, 10, 12, 10, 13, 11, 9, 16])
    save_xlsx(wb, OUT_DIR / PINGYANG_FILE)
    return rows


# ======================================================= 2. 东溪村 (xlsx ledger)

DONGXI_FILE = "东溪村居家隔离台账.xlsx"


@dataclass
class LedgerRow:
    person: Person
    origin: str
    arrival: dt.date
    departure: dt.date | None
    measure: str
    status: str
    status_date: dt.date | None
    tests: list[tuple[dt.date, str, str]]  # (date, result, cell text)
    note: str = ""
    defect: tuple[str, str] | None = None


def write_dongxi(f: PersonFactory, out: Collector) -> tuple[list[LedgerRow], list[TestRecord]]:
    v = "东溪村"
    p = [f.person(v, "330682", male=True, name="陈喆", years=(1985, 1995))]
    p += [f.person(v, "330682") for _ in range(9)]
    home = "居家隔离14天"
    # Everyone whose 14 days are over is marked 已解除 on P = arrival + 14 (the day
    # after day 14); 夏娟 was let go early by the village (early_release); 赵建华
    # was transferred; 何志强 is 失联 (lost contact) and still owes his day-7 test;
    # 戴飞 arrived today and was sampled at once (result 待出).
    rows = [
        LedgerRow(
            p[0],
            "上海市",
            d(1, 21),
            None,
            home,
            "已解除",
            d(2, 4),
            [
                (d(1, 21), "阴性", "1.21阴"),
                (d(1, 27), "阴性", "2022/1/27 阴性"),
                (d(2, 3), "阴性", "2月3日阴"),
            ],
        ),
        LedgerRow(
            p[1],
            "河南省郑州市",
            d(1, 24),
            d(1, 23),
            home,
            "已解除",
            d(2, 7),
            [
                (d(1, 24), "阴性", "1.24阴"),
                (d(1, 30), "阴性", "2022/1/30 阴性"),
                (d(2, 6), "阴性", "2.6阴"),
            ],
        ),
        LedgerRow(
            p[2],
            "天津市",
            d(1, 22),
            d(1, 28),
            home,
            "已解除",
            d(2, 5),
            [
                (d(1, 22), "阴性", "1.22阴"),
                (d(1, 28), "阴性", "1月28日阴"),
                (d(2, 4), "阴性", "2.4阴"),
            ],
            defect=("返乡信息/离开风险地日期", "date_order"),
        ),
        LedgerRow(
            p[3],
            "江苏省南京市",
            d(1, 27),
            None,
            "居家观察三天",
            "已解除",
            d(1, 30),
            [(d(1, 27), "阴性", "2022/1/27 阴性")],
            note="村里按三天观察后解除",
            defect=("管控信息/管控措施", "unknown_regime"),
        ),
        LedgerRow(
            p[4],
            "广东省广州市",
            d(1, 28),
            d(1, 27),
            home,
            "转运",
            d(2, 2),
            [(d(1, 28), "阴性", "1.28阴")],
            note="转集中隔离点",
        ),
        LedgerRow(
            p[5],
            "浙江省宁波市",
            d(1, 29),
            None,
            home,
            "失联",
            d(2, 6),
            [(d(1, 29), "阴性", "1.29阴")],
            note="电话关机，已报派出所",
        ),
        LedgerRow(
            p[6],
            "陕西省西安市",
            d(1, 23),
            d(1, 22),
            home,
            "已解除",
            d(2, 6),
            [
                (d(1, 23), "阴性", "2022/1/23 阴性"),
                (d(1, 29), "阴性", "1.29阴"),
                (d(2, 5), "阴性", "2月5日阴"),
            ],
        ),
        LedgerRow(
            p[7],
            "北京市",
            d(1, 24),
            None,
            home,
            "已解除",
            d(2, 7),
            [
                (d(1, 24), "阴性", "2022/1/24 阴性"),
                (d(1, 30), "阴性", "1.30阴"),
                (d(2, 6), "阴性", "2022/2/6 阴性"),
            ],
        ),
        LedgerRow(
            p[8],
            "上海市",
            d(1, 20),
            None,
            home,
            "已解除",
            d(2, 3),
            [
                (d(1, 20), "阴性", "1.20阴"),
                (d(1, 26), "阴性", "2022/1/26 阴性"),
                (d(2, 2), "阴性", "2月2日阴"),
            ],
        ),
        LedgerRow(
            p[9], "江苏省无锡市", d(2, 8), None, home, "隔离中", None, [(d(2, 8), "待出", "2.8待出")]
        ),
    ]

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "隔离台账"
    ncols = 17
    title(ws, 1, f"{v}居家隔离人员台账（截至2022年2月8日）", ncols)
    top, bottom = 2, 3
    vertical = {
        1: "序号",
        2: "村（社区）",
        14: "第1次核酸",
        15: "第2次核酸",
        16: "第3次核酸",
        17: "备注",
    }
    labels: dict[str, int] = {}  # column label as the expected-problems file spells it
    for col, text in vertical.items():
        labels[text] = col
        header_cell(ws, top, col, text)
        header_cell(ws, bottom, col, "")
        ws.merge_cells(start_row=top, start_column=col, end_row=bottom, end_column=col)
    groups = {
        "基本信息": (3, ["姓名", "性别", "身份证号", "联系电话"]),
        "返乡信息": (7, ["从何地返回", "返乡日期", "离开风险地日期"]),
        "管控信息": (10, ["管控措施", "管控开始日期", "状态", "解除日期"]),
    }
    for group, (start, subs) in groups.items():
        header_cell(ws, top, start, group)
        for k in range(1, len(subs)):
            header_cell(ws, top, start + k, "")
        ws.merge_cells(
            start_row=top, start_column=start, end_row=top, end_column=start + len(subs) - 1
        )
        for k, sub in enumerate(subs):
            header_cell(ws, bottom, start + k, sub)
            labels[f"{group}/{sub}"] = start + k

    records: list[TestRecord] = []
    for i, r in enumerate(rows):
        excel_row = bottom + 1 + i
        test_cells = [cell for _, _, cell in r.tests] + [""] * (3 - len(r.tests))
        # Arrival dates: mostly date cells, two typed as text.
        arrival: Any = r.arrival if i not in (3, 8) else dotted(r.arrival)
        values: list[Any] = [
            i + 1,
            v,
            r.person.name,
            r.person.sex,
            r.person.id_number,
            r.person.phone,
            r.origin,
            arrival,
            r.departure,
            r.measure,
            r.arrival,
            r.status,
            r.status_date,
            *test_cells,
            r.note,
        ]
        for col, value in enumerate(values, start=1):
            put(ws, excel_row, col, value, text=col in (5, 6))
        if r.defect:
            column, code = r.defect
            value = values[labels[column] - 1]
            out.add(DONGXI_FILE, ws.title, excel_row, column, code, value)
        records.extend(TestRecord(r.person, day, result) for day, result, _ in r.tests)
    out.rows[f"{DONGXI_FILE} / {ws.title}"] = len(rows)
    total_row = bottom + len(rows) + 1
    put(ws, total_row, 1, "合计")
    put(ws, total_row, 3, f"{len(rows)}人")
    ws.cell(row=total_row, column=1).font = Font(bold=True)
    widths(ws, [6, 10, 14, 6, 21, 14, 14, 12, 14, 14, 13, 9, 12, 14, 16, 12, 18])
    save_xlsx(wb, OUT_DIR / DONGXI_FILE)
    return rows, records


# ========================================================== 3. 东溪村 (GBK CSV)

DONGXI_CSV = "东溪村核酸检测台账.csv"


# Where the three deliberate CSV defects sit (1-based Excel rows; the header is row 1).
# Each falls on a 东溪村卫生室 row that repeats a test the 东溪村 ledger also
# reports, so the damaged copy loses nothing: the ledger's copy is stored.
CSV_DEFECT_ROWS = {16: "id_scientific", 18: "date_invalid", 23: "result_invalid"}


def typo_date(day: dt.date) -> str:
    """``2022/1/26`` typed with the day's digits swapped: ``2022/1/62`` (no such date)."""
    swapped = f"{day.day:02d}"[::-1].lstrip("0")
    text = f"{day.year}/{day.month}/{swapped}"
    assert int(swapped) > 31, text
    return text


def write_dongxi_csv(
    pingyang: list[RegRow], dongxi_tests: list[TestRecord], dongxi: list[LedgerRow], out: Collector
) -> int:
    """Write the sampling ledger kept by 东溪村卫生室. Returns the number of data rows.

    It holds the 东溪村 people's tests (the same tests the 东溪村 ledger lists in
    its 第N次核酸 columns, except the ones below that only the ledger reports), the
    平阳村 people's tests (平阳村 has no test sheet of its own) and the tests the
    county quarantine site took of 沈素芬 (平阳村, 入境).
    """
    site_dx = "东溪村卫生室"
    ledger_only = {(dongxi[0].person.name, d(2, 3)), (dongxi[2].person.name, d(1, 28))}
    # (record, site, also in the 东溪村 ledger)
    entries: list[tuple[TestRecord, str, bool]] = [
        (rec, site_dx, True)
        for rec in dongxi_tests
        if (rec.person.name, rec.day) not in ledger_only
    ]
    for r in pingyang:
        for day, result, site in r.tests:
            entries.append((TestRecord(r.person, day, result), site, False))
    entries.sort(key=lambda e: (e[0].day, e[1], e[0].person.id_number))

    header = ["序号", "姓名", "身份证号", "采样日期", "检测结果", "采样点"]
    lines: list[list[str]] = [header]
    stem = Path(DONGXI_CSV).stem
    for n, (rec, site, duplicated) in enumerate(entries, start=1):
        row = n + 1  # the header is row 1
        id_text = rec.person.id_number
        date_text = slash(rec.day) if n % 2 else iso(rec.day)
        result = rec.result if rec.result != "阴性" else ("阴性" if n % 3 else "阴")
        code = CSV_DEFECT_ROWS.get(row)
        if code is not None:
            assert duplicated and site == site_dx, (row, rec)  # the ledger keeps a good copy
        if code == "id_scientific":
            assert rec.person.id_number.startswith("330682")
            id_text = "3.30682E+17"  # Excel's General format of the number 330682…
            what = "身份证号成了 Excel 的科学计数法显示（只剩6位有效数字），无法恢复"
            out.add(DONGXI_CSV, stem, row, "身份证号", code, id_text, what)
        elif code == "date_invalid":
            date_text = typo_date(rec.day)
            what = f"不存在的日期（{slash(rec.day)} 的日数两位写反了）"
            out.add(DONGXI_CSV, stem, row, "采样日期", code, date_text, what)
        elif code == "result_invalid":
            assert rec.result == "阴性"
            result = "阴行"
            out.add(DONGXI_CSV, stem, row, "检测结果", code, result)
        lines.append([str(n), rec.person.name, id_text, date_text, result, site])
    assert max(CSV_DEFECT_ROWS) <= len(entries) + 1
    out.rows[f"{DONGXI_CSV} / {stem}"] = len(entries)
    with open(OUT_DIR / DONGXI_CSV, "w", encoding="gbk", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(lines)
    return len(entries)


# =========================================================== 4. 桃源村 (.xls)

TAOYUAN_FILE = "桃源村返乡人员登记.xls"
TAOYUAN_HEADERS = [
    "姓名",
    "性別",
    "身份證號",
    "聯繫電話",
    "村（社區）",
    "返鄉日期",
    "登記日期",
    "從何地返回",
    "第1次核酸檢測",
    "第2次核酸檢測",
    "第3次核酸檢測",
    "備註",
]


def write_taoyuan(f: PersonFactory, out: Collector) -> list[Person]:
    import xlwt  # generation-only dependency: pip install xlwt

    v = "桃源村"
    p = [f.person(v, "330683") for _ in range(3)]
    p.append(f.person(v, "330683", male=True, years=(1990, 2000)))  # sex_mismatch: ID says 男
    p += [f.person(v, "330683") for _ in range(4)]
    legacy = f.legacy_id("330683", p[1].male, (1952, 1960))
    assert len(legacy) == 15 and int(legacy[14]) % 2 == int(p[1].male)
    # (person, arrival, registered, origin, note, id text, sex text, defect, tests)
    # Everyone returned 01-20 … 01-24 and had the day-1, day-7 and day-14 tests
    # (returnee_monitor14): all are released by 02-07, so 桃源村, which sends no
    # temperature sheet, has nobody in the 2022-02-08 lists. 程鑫's day-7 test
    # was a make-up (补检) two days late.
    Spec = tuple[
        Person, str, str, str, str, str | None, str | None, tuple[str, str] | None, list[str]
    ]

    def neg(*days: dt.date) -> list[str]:
        return [f"{iso(day)} 阴性" for day in days]

    spec: list[Spec] = [
        (
            p[0], "2022-01-20", "2022-01-20", "浙江省温州市", "", None, None, None,
            neg(d(1, 20), d(1, 26), d(2, 2)),
        ),
        (
            p[1],
            "2022-01-20",
            "2022-01-21",
            "福建省厦门市",
            "老年人，身份證未換領",
            legacy,
            None,
            ("身份證號", "id_legacy"),
            neg(d(1, 21), d(1, 26), d(2, 2)),
        ),
        (
            p[2], "2022-01-21", "2022-01-22", "江苏省苏州市", "", None, None, None,
            neg(d(1, 21), d(1, 27), d(2, 3)),
        ),
        (
            p[3],
            "2022-01-22",
            "2022-01-22",
            "广东省东莞市",
            "",
            None,
            "女",
            ("性別", "sex_mismatch"),
            neg(d(1, 22), d(1, 28), d(2, 4)),
        ),
        (
            p[4], "2022-01-22", "2022-01-22", "上海市浦东新区", "已報備，第2次核酸補檢",
            None, None, None, neg(d(1, 22), d(1, 30), d(2, 4)),
        ),
        (
            p[5],
            "2022-01-23",
            "2202-01-23",
            "湖南省长沙市",
            "",
            None,
            None,
            ("登記日期", "date_future"),
            neg(d(1, 23), d(1, 29), d(2, 5)),
        ),
        (
            p[6], "2022-01-24", "2022-01-24", "四川省成都市", "", None, None, None,
            neg(d(1, 24), d(1, 30), d(2, 6)),
        ),
        (
            p[7], "2022-01-24", "2022-01-25", "北京市朝阳区", "", None, None, None,
            neg(d(1, 25), d(1, 31), d(2, 6)),
        ),
    ]
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    bold = xlwt.easyxf("font: bold on; align: horiz center")
    sheet.write_merge(
        0,
        0,
        0,
        len(TAOYUAN_HEADERS) - 1,
        "桃源村返鄉人員登記表",
        xlwt.easyxf("font: bold on, height 320; align: horiz center"),
    )
    for col, text in enumerate(TAOYUAN_HEADERS):
        sheet.write(1, col, text, bold)
    for i, (person, arrival, registered, origin, note, id_text, sex_text, defect, tests) in (
        enumerate(spec)
    ):
        r = 2 + i  # 0-based; Excel row = r + 1
        values = [
            person.name,
            sex_text or person.sex,
            id_text or person.id_number,
            person.phone,
            v,
            arrival,
            registered,
            origin,
            *tests,
            note,
        ]
        for col, value in enumerate(values):
            sheet.write(r, col, value)
        if defect:
            value = values[TAOYUAN_HEADERS.index(defect[0])]
            out.add(TAOYUAN_FILE, "Sheet1", r + 1, defect[0], defect[1], value)
    out.rows[f"{TAOYUAN_FILE} / Sheet1"] = len(spec)
    for col, width in enumerate([10, 6, 22, 14, 10, 12, 12, 16, 18, 18, 18, 22]):
        sheet.col(col).width = 256 * width
    book.save(str(OUT_DIR / TAOYUAN_FILE))
    return p


# ============================================== 5. 新桥社区 (wide temperatures)

XINQIAO_FILE = "新桥社区体温监测表.xlsx"


def reading(rng: random.Random) -> float:
    return round(rng.choice((36.0, 36.1, 36.2, 36.3, 36.4, 36.5, 36.6, 36.7, 36.8)), 1)


def write_xinqiao(f: PersonFactory, out: Collector) -> list[Person]:
    v = "新桥社区"
    rng = f.rng
    p = [f.person(v, rng.choice(("330681", "330683"))) for _ in range(8)]
    days = [d(2, day) for day in range(1, 8)]
    slots = ("上午", "下午")
    missing = {(3, d(2, 5), "下午"), (6, d(2, 7), "下午")}
    slip = (2, d(2, 3), "下午")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "体温监测"
    ncols = 2 + 2 * len(days)
    title(ws, 1, f"{v}居家人员体温监测表", ncols)
    top, bottom = 2, 3
    for col, text in ((1, "姓名"), (2, "身份证号")):
        header_cell(ws, top, col, text)
        header_cell(ws, bottom, col, "")
        ws.merge_cells(start_row=top, start_column=col, end_row=bottom, end_column=col)
    for k, day in enumerate(days):
        col = 3 + 2 * k
        header_cell(ws, top, col, month_day(day))
        header_cell(ws, top, col + 1, "")
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + 1)
        header_cell(ws, bottom, col, slots[0])
        header_cell(ws, bottom, col + 1, slots[1])
    for i, person in enumerate(p):
        excel_row = bottom + 1 + i
        put(ws, excel_row, 1, person.name)
        put(ws, excel_row, 2, person.id_number, text=True)
        for k, day in enumerate(days):
            for s, slot in enumerate(slots):
                col = 3 + 2 * k + s
                value: Any = reading(rng)
                style = rng.random()
                if (i, day, slot) in missing:
                    value = None
                elif (i, day, slot) == slip:
                    value = 3.65
                    out.add(
                        XINQIAO_FILE,
                        ws.title,
                        excel_row,
                        f"{month_day(day)}/{slot}",
                        "temp_invalid",
                        value,
                        "体温写成 3.65（应为 36.5），小数点错位",
                    )
                elif style < 0.12:
                    value = f"{value}℃"
                elif style < 0.2:
                    value = f"{value}度"
                put(ws, excel_row, col, value)
    out.rows[f"{XINQIAO_FILE} / {ws.title}"] = len(p)
    widths(ws, [10, 21] + [7] * (2 * len(days)))
    save_xlsx(wb, OUT_DIR / XINQIAO_FILE)
    return p


# ============================================ 6. 石门村 (workbook, three sheets)

SHIMEN_FILE = "石门村台账.xlsx"


def write_shimen(f: PersonFactory, out: Collector) -> list[Person]:
    v = "石门村"
    rng = f.rng
    p = [f.person(v, "330683", male=True, name="刘堃", years=(1978, 1988))]
    p += [f.person(v, "330683") for _ in range(7)]
    old = [f.person(v, "330683") for _ in range(3)]  # only in the hidden sheet

    wb = openpyxl.Workbook()
    reg = wb.active
    reg.title = "返乡登记"
    reg_headers = [
        "序号",
        "姓名",
        "性别",
        "身份证号",
        "联系电话",
        "村",
        "从何地返回",
        "返乡日期",
        "登记日期",
        "管控措施",
        "备注",
    ]
    for col, text in enumerate(reg_headers, start=1):
        header_cell(reg, 1, col, text)
    home = "居家隔离14天"
    # (person, origin, arrival, registered, measure, note, tests as (date, result))
    # The village with most of the 2022-02-08 story (it sends tests and
    # temperatures): 陆立新 registered today; 严春梅 missed her day-14 test
    # yesterday; 姚紫涵 missed her day-7 test; 龚俊's day-14 sample of 02-07
    # releases him today; 余梦瑶 had a fever on 02-07; 雷立新's 02-07 下午
    # reading is missing; 刘堃 and 陶敏 were released earlier.
    people = [
        (p[0], "浙江省杭州市", d(1, 20), d(1, 21), "", "",
         [(d(1, 20), "阴性"), (d(1, 26), "阴性"), (d(2, 2), "阴性")]),
        (p[1], "上海市", d(1, 23), d(1, 23), "", "",
         [(d(1, 23), "阴性"), (d(1, 29), "阴性"), (d(2, 5), "阴性")]),
        (p[2], "江苏省常州市", d(2, 8), d(2, 8), "", "2月8日上午登记", []),
        (p[3], "广东省深圳市", d(1, 30), d(1, 30), home, "", [(d(1, 30), "阴性")]),
        (p[4], "河北省石家庄市", d(2, 2), d(2, 2), home, "",
         [(d(2, 2), "阴性"), (d(2, 8), "待出")]),
        (p[5], "浙江省金华市", d(1, 25), d(1, 25), "", "",
         [(d(1, 25), "阴性"), (d(1, 31), "阴性")]),
        (p[6], "天津市", d(1, 24), d(1, 24), home, "",
         [(d(1, 24), "阴性"), (d(1, 30), "阴性"), (d(2, 7), "阴性")]),
        (p[7], "福建省泉州市", d(1, 25), d(1, 26), "", "2月7日下午体温37.6℃，已报村医",
         [(d(1, 25), "阴性"), (d(1, 31), "阴性"), (d(2, 7), "阴性")]),
    ]
    short_id = 2  # index in `people` whose ID lost its last digit
    duplicate_of = 1  # index in `people` pasted in twice
    order = [0, 1, 2, 3, 4, 5, duplicate_of, 6, 7]  # the copy sits after row 7
    seen: dict[int, int] = {}  # index in `people` -> first Excel row
    for n, idx in enumerate(order):
        excel_row = 2 + n
        person, origin, arrival, registered, measure, note, _ = people[idx]
        id_text = person.id_number[:17] if idx == short_id else person.id_number
        values: list[Any] = [
            n + 1,
            person.name,
            person.sex,
            id_text,
            person.phone,
            v,
            origin,
            arrival,
            registered,
            measure,
            note,
        ]
        for col, value in enumerate(values, start=1):
            put(reg, excel_row, col, value, text=col in (4, 5))
        if idx == short_id:
            out.add(SHIMEN_FILE, reg.title, excel_row, "身份证号", "id_length", id_text)
        if idx in seen:
            what = f"{WHAT['duplicate_row']}（第{seen[idx]}行），序号除外"
            out.add(SHIMEN_FILE, reg.title, excel_row, "身份证号", "duplicate_row", id_text, what)
        seen.setdefault(idx, excel_row)
    out.rows[f"{SHIMEN_FILE} / {reg.title}"] = len(order)
    widths(reg, [6, 10, 6, 21, 14, 8, 16, 12, 12, 14, 28])

    tests = wb.create_sheet("核酸检测")
    for col, text in enumerate(["姓名", "身份证号", "采样日期", "检测结果", "采样点"], start=1):
        header_cell(tests, 1, col, text)
    test_rows = [
        (person, day, result) for person, *_, taken in people for day, result in taken
    ]
    test_rows.sort(key=lambda t: (t[1], t[0].id_number))
    for n, (person, day, result) in enumerate(test_rows):
        excel_row = 2 + n
        when: Any = day if n % 3 else iso(day)
        for col, value in enumerate(
            [person.name, person.id_number, when, result, "石门村卫生室"], start=1
        ):
            put(tests, excel_row, col, value, text=col == 2)
    out.rows[f"{SHIMEN_FILE} / {tests.title}"] = len(test_rows)
    widths(tests, [10, 21, 12, 10, 14])

    temps = wb.create_sheet("体温")
    for col, text in enumerate(["姓名", "身份证号", "日期", "时段", "体温(℃)"], start=1):
        header_cell(temps, 1, col, text)
    # The last three days, for everyone under control that day (released on R
    # means no readings from R on): 陶敏 was released 02-06, 刘堃 02-03, 陆立新
    # arrived 02-08. 雷立新's 02-07 下午 reading was never sent (no row).
    released = {1: d(2, 6)}
    watched = [3, 4, 5, 6, 7]
    fever = (7, d(2, 7), "下午", 37.6)
    not_sent = (4, d(2, 7), "下午")
    slip = (6, d(2, 5), "上午")  # written 365
    excel_row = 2
    for day in (d(2, 5), d(2, 6), d(2, 7)):
        for idx in sorted([i for i, r in released.items() if day < r] + watched):
            person = people[idx][0]
            for slot in ("上午", "下午"):
                value: Any = reading(rng)
                if (idx, day, slot) == not_sent:
                    continue
                put(temps, excel_row, 1, person.name)
                put(temps, excel_row, 2, person.id_number, text=True)
                put(temps, excel_row, 3, day)
                put(temps, excel_row, 4, slot)
                if (idx, day, slot) == slip:
                    value = 365
                    what = "体温写成 365（漏了小数点）"
                    out.add(
                        SHIMEN_FILE, temps.title, excel_row, "体温(℃)", "temp_invalid", 365, what
                    )
                elif (idx, day, slot) == fever[:3]:
                    value = fever[3]
                put(temps, excel_row, 5, value)
                excel_row += 1
    assert any(e.code == "temp_invalid" and e.row == 10 and e.path.endswith(SHIMEN_FILE)
               for e in out.expected)
    out.rows[f"{SHIMEN_FILE} / {temps.title}"] = excel_row - 2
    widths(temps, [10, 21, 12, 8, 10])

    hidden = wb.create_sheet("旧数据")
    hidden.sheet_state = "hidden"
    for col, text in enumerate(reg_headers, start=1):
        header_cell(hidden, 1, col, text)
    old_rows = [
        (old[0], old[0].id_number, "江苏省苏州市", dt.date(2021, 10, 1)),
        # A wrong check digit: reported only if the hidden sheet is (wrongly) read.
        (
            old[1],
            old[1].id_number[:17] + ("0" if old[1].id_number[17] != "0" else "1"),
            "上海市",
            dt.date(2021, 10, 2),
        ),
        (old[2], old[2].id_number, "浙江省杭州市", dt.date(2021, 10, 3)),
    ]
    out.rows[f"{SHIMEN_FILE} / {hidden.title}（隐藏）"] = len(old_rows)
    for n, (person, id_text, origin, arrival) in enumerate(old_rows):
        values = [
            n + 1,
            person.name,
            person.sex,
            id_text,
            person.phone,
            v,
            origin,
            arrival,
            arrival,
            "",
            "国庆返乡（旧数据，勿报）",
        ]
        for col, value in enumerate(values, start=1):
            put(hidden, 2 + n, col, value, text=col in (4, 5))
    wb.active = 0
    save_xlsx(wb, OUT_DIR / SHIMEN_FILE)
    return p


# ================================================================= README

FILE_NOTES: list[tuple[str, str, str]] = [
    (
        PINGYANG_FILE,
        "registration",
        "标题行（合并单元格）+ 填报说明行（合并）+ 空行，表头在第4行；表头写法不规范："
        "`*姓名`（必填标记）、`身份证号码`、`联系电话\\n（手机）`（换行 + 全角括号）；"
        "没有村列（村名只在标题里）；日期有真日期单元格，也有文本 `2022/1/28`、`2022.1.11`、"
        "`1月25日`、`20220131`、`2022年1月20日`；身份证号为文本单元格（有一个被存成数字）；"
        "管控措施有空、`居家隔离14天`、`7+7`、`14+7+7`；人员类别含 `入境人员`、`密切接触者`；"
        "风险等级有 `低`/`中`/`高`；没有核酸列：平阳村的人的核酸记录在 `东溪村核酸检测台账.csv` 里；"
        "数据后空一行是 `填表人/审核人/联系电话` 页脚。",
    ),
    (
        DONGXI_FILE,
        "registration（居家隔离台账）",
        "标题行 `…（截至2022年2月8日）`；两行表头：`基本信息`/`返乡信息`/`管控信息` 横向合并"
        "在各自子列上，`序号`、`村（社区）`、`第1次核酸`…`第3次核酸`、`备注` 纵向合并两行；"
        "嵌入的核酸列，单元格如 `1.29阴`、`2022/1/27 阴性`、`2月3日阴`、`2.8待出`；"
        "状态有 隔离中 / 已解除（带解除日期）/ 转运 / 失联（日期都写在 `解除日期` 列）；"
        "末尾 `合计` 行（第一列 `合计`，姓名列 `10人`）。",
    ),
    (
        DONGXI_CSV,
        "tests",
        "GBK 编码、无 BOM、CRLF 换行（中文 Windows 上 Excel “另存为 CSV” 的样子）；"
        "日期 `2022/1/29` 与 `2022-01-30` 混用；结果 `阴性`/`阴`/`待出`；"
        "采样点有 `东溪村卫生室`、`平阳村文化礼堂采样点`、`县集中隔离点`（同一采样台账里有两个村的人）；"
        "东溪村的记录与东溪村台账里的嵌入核酸记录重复（同一次检测在两个文件里各报一次，结果一致；"
        "3个故意的错误都落在这种重复行上，所以台账里的那一份仍然有效）。",
    ),
    (
        TAOYUAN_FILE,
        "registration",
        "老的 Excel 97–2003 `.xls`（xlwt 写）；繁体表头 `性別`、`身份證號`、`聯繫電話`、"
        "`村（社區）`、`返鄉日期`、`登記日期`、`從何地返回`、`第1次核酸檢測`…`第3次核酸檢測`、`備註`；"
        "标题行 `桃源村返鄉人員登記表`；"
        "日期都是 `2022-01-27` 样式的文本，核酸列如 `2022-01-20 阴性`。",
    ),
    (
        XINQIAO_FILE,
        "temperatures（宽表）",
        "标题行；两行表头：`姓名`、`身份证号` 纵向合并，每个日期（`2月1日`…`2月7日`，文本）"
        "横向合并在 `上午`/`下午` 两列上；体温有数字 `36.5`、文本 `36.7℃`、`36.4度`；"
        "两个空单元格（漏报，不是数据错误）。这些人只出现在体温表里，没有登记，"
        "所以不在 `due-today` 名单里（见下文）。",
    ),
    (
        SHIMEN_FILE,
        "registration + tests + temperatures（长表）",
        "一个工作簿三张表：`返乡登记`（单行表头，有 `村` 列）、`核酸检测`（长表）、"
        "`体温`（长表：日期、时段 上午/下午、`体温(℃)`；有一条发热 37.6，缺一条下午的记录）；"
        "另有隐藏表 `旧数据`（2021年国庆的旧记录），"
        "必须跳过并提示。隐藏表里故意放了一个校验位错误的身份证号：如果它出现在问题清单里，"
        "说明隐藏表没有被跳过。",
    ),
]


# The due-today story on 2022-02-08, derived by hand from the files and SPEC §5
# (then checked against `taizhang due-today`; the exact output is
# tests/data/sample_due_2022-02-08.json). Keep it in step with the data above.
# Each list: (heading, [(person, village, regime, reasoning), ...]).
DUE_TODAY_INTRO = [
    "## 今日名单 2022-02-08 (due-today)",
    "",
    "```",
    (
        "taizhang --db X --as-of 2022-02-08 import "
        "sample_data"
    ),
    (
        "taizhang --db X due-today --date 2022-02-08 "
        "--format json --no-mask"
    ),
    "```",
    "",
    (
        "的结果正好是下面这些条目（完整 JSON 见 "
        "`tests/data/sample_due_2022-02-08.json`）。"
    ),
    (
        "每一条都可以只看表格、按默认政策手算出来 / every entry below "
        "can be derived by hand"
    ),
    (
        "from the files and the default policy (SPEC "
        "§5):"
    ),
    "",
    (
        "- 方案：管控措施能对上某个方案就用它；否则 人员类别 入境 → "
        "`inbound_14_7_7`，密切接触者 →"
    ),
    (
        "  `close_contact_14_7`；风险等级 高 → "
        "`high_risk_14_7`，中 → `mid_risk_7`；否则默认"
    ),
    (
        "  `returnee_monitor14`（第1、7、14天核酸，居家健康监测14天）"
        "。"
    ),
    (
        "- 基准日 B = 返乡日期（没有或读不出时用登记日期）；第 d 天 = B + "
        "(d−1)；"
    ),
    "  应解除日期 P = B + N（N = 各阶段天数之和）。",
    (
        "- 第 k 天的检测 D = 第 k 天，[D−1, D+1] 内的记录算按时完成，"
        "之后的记录算补检。"
    ),
    (
        "- t ≥ P 时可以解除，条件是：D < P 的每次检测都有 t 之前（不含 t "
        "当天）采样的阴性结果、没有阳性、"
    ),
    "  [t−3, t−1] 内没有 ≥ 37.3℃ 的体温。",
    (
        "- 体温缺报：02-07 在管控中、处于 居家隔离 / 居家健康监测 阶段、02-07 "
        "的体温少于 2 次。"
    ),
    (
        "  平阳村、东溪村、桃源村不报体温表，所以这三个村里 02-07 "
        "仍在这两个阶段管控的人都会缺报——"
    ),
    "  样例里这样的人只有东溪村的何志强（失联）。",
    "- 发热：02-07 或 02-08 的体温 ≥ 37.3℃。",
    "",
]
DUE_TODAY_LISTS: list[tuple[str, list[tuple[str, str, str, str]]]] = [
    (
        "今日应检 tests_due (3)",
        [
            (
                "熊建华",
                "平阳村",
                "`returnee_monitor14`（默认）",
                "返乡日期 `2022-02-30` 读不出（缺陷 #9）→ 基准日用登记日期 "
                "02-08 → 第1天 = 02-08，还没有采样记录 → 第1天检测今日应检，"
                "`late: false`",
            ),
            (
                "严春梅",
                "石门村",
                "`returnee_monitor14`（默认）",
                "01-25 返乡 → 第14天 = 02-07；`核酸检测` 里只有 "
                "01-25、01-31 → 第14天未检，02-08 = D+1 仍在宽限内 →"
                " 今日应检，`late: true`（同时解除受阻，见下）",
            ),
            (
                "陆立新",
                "石门村",
                "`returnee_monitor14`（默认）",
                "02-08 返乡并登记 → 第1天 = 02-08，没有记录 → 今日应检，"
                "`late: false`（身份证号少一位，缺陷 #16，名单里照原样显示；"
                "要先改正，否则日后的核酸记录对不上人）",
            ),
        ],
    ),
    (
        "逾期未检 tests_overdue (2)",
        [
            (
                "何志强",
                "东溪村",
                "`home14`（管控措施 居家隔离14天）",
                "01-29 返乡 → 第7天 = 02-04；台账和采样台账里只有 01-29 "
                "一次 → 02-04 + 1 天宽限已过 → 逾期 "
                "`days_overdue` = 02-08 − 02-04 = 4。"
                "02-06 起“失联”不结束管控，检测照样要做",
            ),
            (
                "姚紫涵",
                "石门村",
                "`home14`（管控措施 居家隔离14天）",
                "01-30 返乡 → 第7天 = 02-05；只有 01-30 的记录 → "
                "逾期 3 天",
            ),
        ],
    ),
    (
        "今日应解除 releases_due (2)",
        [
            (
                "俞宇航",
                "平阳村",
                "`mid_high_7_7`（管控措施 7+7，优先于风险等级“中”）",
                "01-25 返乡，N = 7 + 7 = 14 → P = 02-08；"
                "唯一一次检测（第1天）01-25 阴性（采样台账）→ 02-08 可以解除，R "
                "= 02-08。02-07 是第14天，处于日常健康监测（不要求体温），"
                "所以不算缺报",
            ),
            (
                "龚俊",
                "石门村",
                "`home14`（管控措施 居家隔离14天）",
                "01-24 返乡 → P = 02-07；第1、7天 01-24、01-30 "
                "阴性；第14天（D = 02-06）在 02-07 采样（D+1，窗口内）阴性。"
                "02-07 当天这份样本不是“t 之前”采的 → 02-07 还不能解除；"
                "02-08 时它在 t 之前 → R = 02-08。02-05…02-07 "
                "体温正常",
            ),
        ],
    ),
    (
        "解除受阻 releases_blocked (3)",
        [
            (
                "沈素芬",
                "平阳村",
                "`inbound_14_7_7`（管控措施 14+7+7 / 人员类别 "
                "入境人员）",
                "01-11 转运至县集中隔离点（返乡日期 01-11），N = 14 + 7 "
                "+ 7 = 28 → P = 02-08；第1、14、21、28天 = "
                "01-11、01-24、01-31、02-07；前三次阴性，02-07 的样本 "
                "`待出` → `pending_result:day28`。02-07 "
                "处于日常健康监测，不要求体温",
            ),
            (
                "严春梅",
                "石门村",
                "`returnee_monitor14`（默认）",
                "P = 01-25 + 14 = 02-08；第14天（02-07）没有记录 →"
                " `missing_test:day14`",
            ),
            (
                "余梦瑶",
                "石门村",
                "`returnee_monitor14`（默认）",
                "01-25 返乡 → P = 02-08；01-25、01-31、02-07 "
                "三次阴性，但 `体温` 表 02-07 下午 37.6 ≥ 37.3，在 "
                "[02-05, 02-07] 内 → `fever`",
            ),
        ],
    ),
    (
        "体温缺报 temperature_missing (2)",
        [
            (
                "何志强",
                "东溪村",
                "`home14`",
                "02-07 是第10天（居家隔离，要两次体温）；失联仍在管控中；"
                "东溪村没有体温表 → `readings: 0`",
            ),
            (
                "雷立新",
                "石门村",
                "`home14`",
                "02-02 返乡，02-07 是第6天（居家隔离）；`体温` 表 02-07 "
                "只有上午一条，下午那条没报 → `readings: 1`。（他第7天 = "
                "02-08 的样本已采，结果 `待出`：算已检，所以不在今日应检里）",
            ),
        ],
    ),
    (
        "发热 fever (1)",
        [
            (
                "余梦瑶",
                "石门村",
                "`returnee_monitor14`",
                "`体温` 表 02-07 下午 37.6℃ ≥ 37.3",
            ),
        ],
    ),
]
DUE_TODAY_OTHERS = [
    "### 其他人为什么不在名单上 / everyone else",
    "",
    (
        "- 平阳村：马海涛（01-22，默认方案，01-22/01-28/02-04 阴性 → "
        "02-05 解除）、阿依古丽·买买提（01-21 → 02-04）、"
    ),
    (
        "  秦勇（01-23 → 02-06）、苏梦瑶（管控措施 居家隔离14天 "
        "优先于风险等级“高” → `home14`，01-20 → 02-03）、"
    ),
    (
        "  谢斌（`home14`，01-24，第14天 02-06 采样 → 02-07 "
        "解除）——02-07 都已解除，不用报体温；"
    ),
    (
        "  段思琪（风险等级 高 → `high_risk_14_7`，01-28 "
        "起集中隔离14天，首次检测是第16天 = 02-12）、"
    ),
    (
        "  孟思琪（密切接触者 → `close_contact_14_7`，01-27 "
        "起集中隔离，首检 02-11）、"
    ),
    (
        "  孔宇航（密切接触者，01-31 起集中隔离，首检 02-15）"
        "——集中隔离阶段不要求体温，今天也没有到期的检测"
    ),
    (
        "  （段思琪、孟思琪的身份证号有缺陷 #6、#7：要先改正登记表，"
        "否则日后按正确号码报来的核酸记录对不上人）；"
    ),
    "  应美玲没有任何日期（缺陷 #10），算不出管控日程，不进名单。",
    (
        "- 东溪村：台账里写明的状态优先：陈喆 已解除 02-04、孙涛 已解除 02-05、"
        "戴立新 已解除 02-06、"
    ),
    (
        "  顾佳怡 和 熊霞 已解除 02-07、薛建军 已解除 02-03（都等于 返乡日期 "
        "+ 14）；"
    ),
    (
        "  夏娟 的管控措施“居家观察三天”对不上方案（缺陷 #2），按默认方案 P 应为 "
        "02-10，村里 01-30 就解除了"
    ),
    (
        "  （`taizhang person` 里有 `early_release` 提示），"
        "从 01-30 起不再列出；赵建华 02-02 转运；"
    ),
    (
        "  戴飞 02-08 返乡，当天已采样（`2.8待出`）→ 第1天算已检，02-07 "
        "还没开始管控，不要求体温。"
    ),
    (
        "- 桃源村：全部默认方案，01-20…01-24 返乡，三次检测都在 "
        "`第N次核酸檢測` 列里，02-03…02-07 计算解除"
    ),
    (
        "  （程鑫的第7天 01-28 没有按时做，01-30 补检）；02-07 "
        "都不在管控中，所以没有体温表也不缺报。"
    ),
    (
        "- 新桥社区：只有体温表，这些人没有登记（没有返乡日期、管控方案），"
        "`due-today` 不计算他们。"
    ),
    (
        "- 石门村：刘堃（01-20 → 02-03 解除）、陶敏（01-23 → 02-06 "
        "解除；第8行是她的重复行）。"
    ),
]


def due_today_readme() -> list[str]:
    """The README section 今日名单 2022-02-08 (due-today), as Markdown lines."""
    lines = list(DUE_TODAY_INTRO)
    for heading, rows in DUE_TODAY_LISTS:
        lines += [f"### {heading}", "", "| 人员 | 村 | 方案 | 手算 |", "|---|---|---|---|"]
        lines += [f"| {name} | {village} | {regime} | {why} |" for name, village, regime, why in rows]
        lines.append("")
    return lines + DUE_TODAY_OTHERS

def md_cell(text: str) -> str:
    """Text for a Markdown table cell: newlines shown as \\n, pipes escaped."""
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("|", "\\|")


def write_readme(out: Collector, expected: list[Expected], counts: dict[str, int]) -> None:
    lines = [
        "# sample_data — 样例台账 / sample village files",
        "",
        "虚构的青石镇春节返乡人员台账（2022-01-20 … 2022-02-08 返乡，另有一名入境人员 2022-01-11 "
        "转运至县集中隔离点；截至 2022-02-08），"
        "用来演示和测试 taizhang 读取各村真实表格的各种“不规范”写法。",
        "All names, ID numbers and phone numbers are fictional; ID numbers carry a correct "
        "GB 11643 check digit except where a defect below says otherwise. "
        "Every row is valid except the deliberate defects listed below, one problem per row; "
        "the same list is machine-readable in `tests/data/sample_expected_problems.json` "
        "(row = the 1-based row number Excel shows; a two-row header is written `上/下`).",
        "",
        "Regenerate with `python scripts/make_sample_data.py` (needs `pip install xlwt`).",
        "Do not edit these files by hand: change the script and regenerate "
        "(the output is byte-for-byte reproducible).",
        "",
        "## 文件 / Files",
        "",
        "| 文件 | 表类型 kind | 数据行 | 展示什么 / what it shows |",
        "|---|---|---|---|",
    ]
    for name, kind, note in FILE_NOTES:
        rows = "；".join(
            f"{key.split(' / ', 1)[1]} {n}" for key, n in out.rows.items() if key.startswith(name)
        )
        lines.append(f"| `{name}` | {kind} | {rows} | {note} |")
    total = sum(counts.values())
    lines += [
        "",
        "人数 / persons: "
        + "，".join(f"{village} {n}" for village, n in counts.items())
        + f"，共 {total} 人（不含隐藏表）。"
        "同一个人在登记表、核酸台账、体温表里姓名和身份证号一致。",
        "",
        f"## 故意放的错误 / deliberate defects ({len(expected)})",
        "",
        "| # | 文件 | 工作表 | 行 | 列 | code | 原值 | 问题 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, e in enumerate(expected, start=1):
        lines.append(
            f"| {i} | `{e.path.removeprefix('sample_data/')}` | {e.sheet} | {e.row} "
            f"| `{md_cell(e.column)}` | `{e.code}` "
            f"| {f'`{md_cell(e.value)}`' if e.value else '（空）'} | {e.what} |"
        )
    lines += [
        "",
        "不是错误、但要处理好的地方 / not defects, but must be handled:",
        "",
        "- 标题行、说明行、空行、页脚、`合计` 行不是数据行；",
        "- `旧数据` 是隐藏表：跳过并提示，不报其中的问题；",
        "- 体温表里的空单元格（宽表）和缺的行（长表）是漏报（`temperature_missing` 的依据），"
        "不是数据错误；",
        "- `东溪村核酸检测台账.csv` 里有平阳村的人，也与东溪村台账的嵌入核酸列有相同的检测记录；",
        "- `新桥社区` 只有体温表，没有登记表。",
        "",
        *due_today_readme(),
        "",
    ]
    (OUT_DIR / "README.md").write_text("\n".join(lines), encoding="utf-8")


# ========================================================================= main


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    EXPECTED_PATH.parent.mkdir(parents=True, exist_ok=True)
    factory = PersonFactory(random.Random(SEED))
    out = Collector()
    pingyang = write_pingyang(factory, out)
    dongxi, dongxi_tests = write_dongxi(factory, out)
    csv_rows = write_dongxi_csv(pingyang, dongxi_tests, dongxi, out)
    taoyuan = write_taoyuan(factory, out)
    xinqiao = write_xinqiao(factory, out)
    shimen = write_shimen(factory, out)

    expected = sorted(out.expected, key=lambda e: (e.path, e.sheet, e.row))
    EXPECTED_PATH.write_text(
        json.dumps([e.as_dict() for e in expected], ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    counts: dict[str, int] = {
        "平阳村": len(pingyang),
        "东溪村": len(dongxi),
        "桃源村": len(taoyuan),
        "新桥社区": len(xinqiao),
        "石门村": len(shimen),
    }
    print(
        f"wrote {len(counts)} villages' files to {OUT_DIR.relative_to(ROOT)}/: "
        + ", ".join(f"{k} {n}人" for k, n in counts.items())
        + f" ({sum(counts.values())} persons; CSV {csv_rows} test rows)"
    )
    write_readme(out, expected, counts)
    print(f"wrote {len(expected)} expected problems to {EXPECTED_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
