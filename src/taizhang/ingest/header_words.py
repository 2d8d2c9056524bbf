"""What a header means from its words, when the alias table does not list it.

Real offices write headers no table can list (申报时间, 开始隔离时间, 联系手机,
来自地区的风险等级, 离汉时间, 返乡车牌号 …). Such a header is understood here
from what it is about and what kind of value it names:

- a *qualifier* that makes the value someone else's (目的地联系人电话,
  代理人手机号, 户主姓名, 紧急联系人) means the column is not the person's own:
  it is never placed (it stays an unknown column, kept with the person);
- a *date word* (时间/日期/日/时) with a *topic* (返乡/抵达 → arrival, 离开/离汉 →
  departure, 开始隔离 → control start, 采样/检测 → sample, 申报/登记/发现/排查 →
  registration, 上报/测温 → a reading's date) names a date field;
- otherwise a *noun* (手机/电话 → phone, 证件号/身份证 → ID, 风险等级, 车牌/车次,
  社区/村 …) names the field.

The rules are tables, read top to bottom, first match wins; `tests/test_header_words.py`
holds one case per rule and its neighbours. The alias table (`headers`) stays
the one place for exact spellings; a header it knows never comes here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from taizhang.ingest.headers import normalize_header

# Words that make the value someone else's: never the person's own field.
QUALIFIERS = (
    "联系人", "代理人", "户主", "监护人", "家属", "亲属", "紧急", "同行", "同住", "陪同", "上报人",
    "填报人", "填表人", "登记人", "审核人", "负责人电话", "司机", "房东", "单位电话", "工作人员",
)

# Words that say the column is a code or a kind of something, not the thing itself.
NOT_A_VALUE = ("类型", "种类", "代码", "是否核酸检测", "次数", "天数", "人数", "户籍", "序号")

# A date or time of something: (topic words, field). The date word must be there too.
DATE_WORDS = ("时间", "日期", "时刻", "日", "时")
DATE_TOPICS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("解除", "结束", "期满"), ""),  # the end of control is computed by the policy: not placed
    (("开始隔离", "隔离开始", "管控开始", "开始管控", "入住", "集中隔离", "居家隔离", "隔离"),
     "control_start"),
    (("离开", "离汉", "离京", "离沪", "离深", "离穗", "离", "出发", "启程"), "departure_date"),
    (("返乡", "返回", "返程", "抵达", "到达", "抵", "来", "入境", "回乡", "到", "进入", "返"),
     "arrival_date"),
    (("采样", "检测", "核酸", "送检"), "sample_date"),
    (("测温", "测量", "体温", "监测", "上报", "打卡"), "date"),
    (("申报", "登记", "发现", "排查", "摸排", "填报", "报备", "创建", "录入", "报告", "建档"),
     "registration_date"),
)

# Plain nouns: (words, field), first match wins; checked after the date words.
NOUNS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("风险等级", "风险级别", "风险地区", "风险区"), "risk_level"),
    (("阴性证明", "核酸证明", "核酸报告"), "has_negative_proof"),
    (("核酸结果", "检测结果", "核酸检测结果", "采样结果"), "result"),
    (("采样点", "采样地点", "检测机构", "采样机构", "检测点"), "sample_site"),
    (("身份证", "证件号", "身份号", "证件编号"), "id_number"),
    (("手机", "电话", "联系方式", "联系号码"), "phone"),
    (("车牌", "车次", "航班", "班次"), "trip_no"),
    (("交通方式", "出行方式", "返程方式", "返乡方式", "交通工具", "乘坐"), "transport"),
    (("健康码",), "health_code"),
    (("体温", "温度"), "temperature"),
    (("管控措施", "管控方式", "隔离方式", "隔离措施", "管控类型", "隔离类型"), "regime"),
    (("包保", "网格员", "责任人", "包联"), "guardian"),
    (("村医", "医生"), "doctor"),
    (("来自", "来源", "从何", "出发地", "途经", "途径", "旅居", "始发"), "origin"),
    (("住址", "地址", "居住地", "住所"), "address"),
    (("工作单位", "工作地", "单位名称"), "workplace"),
    (("人员类别", "人员类型", "人员分类"), "category"),
    (("社区", "村居", "行政村", "村"), "village"),
    (("姓名",), "name"),
    (("性别",), "sex"),
    (("年龄",), "age"),
    (("状态",), "status"),
    (("备注",), "remarks"),
)

_BRACKETS_RE = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")


def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for "contains any of these words": a sheet may have 100,000
    headers, and one search in C beats a Python loop over the words."""
    return re.compile("|".join(re.escape(w) for w in words))


_NOT_OWN_RE = _any_of(QUALIFIERS + NOT_A_VALUE)
_DATE_WORD_RE = re.compile(f"(?:{'|'.join(DATE_WORDS)})$|时间|日期")
_DATE_TOPIC_RES = tuple((_any_of(topics), fld) for topics, fld in DATE_TOPICS)
_NOUN_RES = tuple((_any_of(words), fld) for words, fld in NOUNS)


@lru_cache(maxsize=4096)
def field_from_words(header: str) -> str | None:
    """The canonical field a header's words name, or None (not placed)."""
    key = _BRACKETS_RE.sub("", normalize_header(header)) or normalize_header(header)
    if not key or len(key) > 24:  # a sentence, not a header
        return None
    if _NOT_OWN_RE.search(key):
        return None
    if _DATE_WORD_RE.search(key):
        for topics, fld in _DATE_TOPIC_RES:
            if topics.search(key):
                return fld or None
    for words, fld in _NOUN_RES:
        if words.search(key):
            return fld
    return None
