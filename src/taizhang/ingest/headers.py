"""Where a header spelling lives: what one header cell means.

Village files spell one column a dozen ways (sometimes in Traditional
characters, with units or notes in brackets). The alias table below is the
single place where header spellings live; the README's alias section is
checked against it by a test. Besides ordinary fields, a header may name an
embedded test (`第2次核酸`) or a day and slot of a wide temperature sheet
(`1月28日上午`); those are read here too. Which rows form the header and what
a whole sheet looks like is `layout`'s work.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from taizhang.errors import UsageError
from taizhang.ingest.values import DateResult, clean_text, parse_date

REGISTRATION, TESTS, TEMPERATURES = "registration", "tests", "temperatures"
KINDS = (REGISTRATION, TESTS, TEMPERATURES)
KIND_LABELS = {REGISTRATION: "登记表", TESTS: "核酸检测台账", TEMPERATURES: "体温监测表"}

# Canonical field -> header spellings (Simplified; Traditional headers are
# folded to Simplified by `T2S` before lookup). Order matters only for docs.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序", "no", "no."),
    "name": ("姓名", "名字", "人员姓名", "返乡人员姓名", "隔离人员姓名", "受检人姓名", "受检者姓名"),
    "sex": ("性别",),
    "age": ("年龄",),
    "id_number": (
        "身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "证件号码", "证件号",
        "身份证", "身份证件号码", "身份号码",
    ),
    "phone": (
        "联系电话", "电话", "手机号", "手机号码", "手机", "联系方式", "电话号码", "本人电话",
        "本人联系电话",
    ),
    "village": (
        "村", "村(社区)", "村社区", "村/社区", "所属村", "所属村(社区)", "村名", "行政村", "社区",
        "村居", "村(居)", "所在村", "所属村居", "村别", "所在村(社区)",
    ),
    "address": (
        "现住址", "住址", "现居住地址", "现居住地", "家庭住址", "居住地址", "详细地址", "现住地址",
        "居住地",
    ),
    "origin": (
        "来源地", "从何地返回", "从何地来", "返回地", "来自何地", "出发地", "来源地区",
        "从何处返回", "由何地返回", "始发地", "来源地/从何地返回",
    ),
    "risk_level": ("风险等级", "风险地区等级", "来源地风险等级", "风险级别"),
    "category": ("人员类别", "人员类型", "类别", "人员分类"),
    "departure_date": (
        "离开风险地日期", "离开风险地区日期", "离开日期", "离开风险地时间", "离开时间",
        "离开中高风险地区日期", "离开风险区日期",
    ),
    "arrival_date": (
        "返乡日期", "抵达日期", "返乡(抵达)日期", "返乡时间", "抵达时间", "到达日期", "到达时间",
        "返回日期", "返回时间", "抵乡日期", "抵乡时间", "入境日期", "返乡抵达日期",
    ),
    "registration_date": (
        "登记日期", "排查日期", "登记(排查)日期", "登记时间", "排查时间", "填报日期",
        "摸排日期", "摸排时间",
    ),
    "transport": ("交通方式", "交通工具", "出行方式", "返乡方式"),
    "trip_no": (
        "航班号/车次", "航班号", "车次", "航班车次", "车次/航班号", "车牌号", "航班号/车次/车牌号",
    ),
    "workplace": ("工作地", "工作单位", "工作地点", "单位"),
    "has_negative_proof": (
        "是否持核酸阴性证明", "是否持48小时核酸阴性证明", "是否持有核酸阴性证明",
        "核酸阴性证明", "有无核酸证明", "是否有核酸证明", "是否持阴性证明",
    ),
    "health_code": ("健康码颜色", "健康码", "健康码状态"),
    "regime": ("管控措施", "管控方式", "管控类型", "管理措施", "隔离方式", "管控措施类型"),
    "control_start": (
        "管控开始日期", "隔离开始日期", "管控开始时间", "隔离开始时间", "开始隔离日期",
    ),
    "status": ("状态", "目前状态", "当前状态", "人员状态", "管控状态"),
    "status_date": (
        "状态日期", "解除日期", "解除隔离日期", "解除时间", "解除管控日期", "状态变更日期",
    ),
    "guardian": ("包保责任人", "包保人", "包保干部", "责任人", "网格员", "包联人"),
    "doctor": ("村医", "包保村医", "责任医生", "村医生"),
    "remarks": ("备注", "说明"),
    "sample_date": ("采样日期", "采样时间", "检测日期", "检测时间", "核酸检测日期", "核酸采样日期"),
    "result": ("检测结果", "核酸检测结果", "结果", "核酸结果"),
    "sample_site": ("采样点", "采样地点", "检测机构", "检测点", "采样机构"),
    "date": ("日期", "监测日期", "测量日期", "测温日期"),
    "slot": ("时段", "时间段", "上下午", "测量时段", "监测时段"),
    "temperature": ("体温", "温度", "体温值", "测量体温"),
}

FIELD_LABELS: dict[str, str] = {f: aliases[0] for f, aliases in FIELD_ALIASES.items()}

# Traditional -> Simplified for characters that occur in header text.
T2S = str.maketrans(
    "號證聯繫電話別齡鄉歸區險離開達記檢測結採樣點溫監時狀態備註責員醫碼顏類來從處現體間據陽陰車務單稱風級應屬護報驗帶錄鎮縣會戶種異傳運轉絡發熱燒證開幾個屬業齊標準擬態組織編輯參與將為無須狀況購買鐵飛機場站點聯絡資訊訊箇與營門東後內兩滿數據計劃統覽當前設",
    "号证联系电话别龄乡归区险离开达记检测结采样点温监时状态备注责员医码颜类来从处现体间据阳阴车务单称风级应属护报验带录镇县会户种异传运转络发热烧证开几个属业齐标准拟态组织编辑参与将为无须状况购买铁飞机场站点联络资讯讯个与营门东后内两满数据计划统览当前设",
)

_ALIAS_LOOKUP: dict[str, str] = {
    alias: fld for fld, aliases in FIELD_ALIASES.items() for alias in aliases
}

SLOT_WORDS = {"上午": "上午", "下午": "下午", "早": "上午", "晚": "下午", "早上": "上午",
              "晚上": "下午", "am": "上午", "pm": "下午", "中午": "下午"}

_EMBEDDED_TEST_RE = re.compile(
    r"^(?:第([一二三四五六七八九十\d]+)(?:次|轮)(?:核酸|核酸检测|采样|检测)(?:情况|结果|检测)?"
    r"|核酸(?:检测)?([一二三四五六七八九十\d]+)|([一二三四五六七八九十\d]+)检)$"
)
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "十": 10}
_HEADER_DATE_RE = re.compile(
    r"(?:(\d{4})\s*[-/.年])?\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*[日号]?"
)
_SLOT_RE = re.compile(r"(上午|下午|早上|晚上|中午|早|晚|am|pm)", re.IGNORECASE)


@lru_cache(maxsize=16384)
def normalize_header(text: str) -> str:
    """Header text in the form the alias table uses: NFKC (full-width brackets
    to half-width), Traditional to Simplified, no white space, no `*` marks,
    lower case."""
    if text.isalpha() and unicodedata.is_normalized("NFKC", text):
        # letters alone (a name in a data row's first cell): nothing to remove
        return text.translate(T2S).lower()
    text = unicodedata.normalize("NFKC", text).translate(T2S)
    text = re.sub(r"[\s*※:：]+", "", text)
    return text.lower()


def lookup_field(text: str) -> str | None:
    """The canonical field of a header, or None. Parenthesised notes and units
    (`体温(℃)`, `联系电话(手机)`) are tried without their brackets too."""
    key = normalize_header(text)
    if not key:
        return None
    found = _ALIAS_LOOKUP.get(key)
    if found is None:
        bare = re.sub(r"\(.*?\)", "", key)
        if bare and bare != key:
            found = _ALIAS_LOOKUP.get(bare)
    return found


def declared_columns(table: dict[str, str]) -> dict[str, str]:
    """The config's `[columns]` (header as written -> canonical field), keyed
    like the alias table so `抵丽 日期`, `抵丽日期*` and `抵丽日期` are one header.
    An empty field keeps the column unplaced; a field name taizhang does not
    know is a usage error naming the known ones."""
    declared: dict[str, str] = {}
    for header, fld in table.items():
        name = fld.strip()
        if not name:  # left empty in the snippet of `taizhang columns`: kept as it is
            continue
        if name not in FIELD_ALIASES:
            raise UsageError(
                f"taizhang.toml 的 [columns] 中“{header}” = “{fld}”：没有这个字段名。可用的字段名："
                + "、".join(f"{f}（{FIELD_LABELS[f]}）" for f in FIELD_ALIASES))
        key = normalize_header(header)
        if key:
            declared[key] = name
    return declared


def embedded_test_number(text: str) -> int | None:
    """N of an embedded test column's header (`第2次核酸`, `核酸3`, `三检`), else None."""
    m = _EMBEDDED_TEST_RE.match(normalize_header(text))
    if not m:
        return None
    token = m[1] or m[2] or m[3]
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + _CN_DIGITS[token[1]]
    return _CN_DIGITS.get(token[0], 0) * (10 if token.endswith("十") and len(token) > 1 else 1)


def header_date(raw: Any) -> DateResult | None:
    """A date in a wide temperature header (`1月28日上午`, a date cell, `2022-01-28`)."""
    if isinstance(raw, (date, datetime)):
        return parse_date(raw)
    text = normalize_header(clean_text(raw))
    m = _HEADER_DATE_RE.search(text)
    if not m:
        return None
    year, month, day = m.groups()
    probe = f"{year}-{month}-{day}" if year else f"{month}月{day}日"
    result = parse_date(probe)
    return None if result.error else result


def header_slot(text: str) -> str | None:
    """上午/下午 named in a wide temperature header, else None."""
    m = _SLOT_RE.search(normalize_header(text))
    return SLOT_WORDS[m[1].lower()] if m else None
