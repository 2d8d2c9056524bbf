"""Headers understood by their words (`ingest.header_words`) and columns by
their cells (`ingest.cell_kinds`): one case per rule, and its neighbours."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_id

from taizhang.ingest.cell_kinds import distinct_values, field_from_cells
from taizhang.ingest.header_words import field_from_words
from taizhang.ingest.headers import lookup_field


@pytest.mark.parametrize("header, field", [
    # dates: a topic and a date word
    ("申报时间", "registration_date"), ("发现时间", "registration_date"),
    ("创建时间", "registration_date"), ("排查登记时间", "registration_date"),
    ("开始隔离时间", "control_start"), ("隔离开始时间", "control_start"),
    ("离汉时间", "departure_date"), ("离开武汉日期", "departure_date"),
    ("抵达本地时间", "arrival_date"), ("来青时间", "arrival_date"), ("返程日期", "arrival_date"),
    ("核酸检测时间", "sample_date"), ("末次采样日期", "sample_date"),
    ("上报时间", "date"), ("测温时间", "date"),
    # nouns
    ("联系手机", "phone"), ("本人手机号", "phone"), ("个人联系方式", "phone"),
    ("证件号", "id_number"), ("居民身份证", "id_number"),
    ("目的地社区村", "village"), ("责任社区", "village"), ("所在行政村", "village"),
    ("来自地区的风险等级", "risk_level"), ("途经地风险等级", "risk_level"),
    ("有无三日内核酸检测阴性证明", "has_negative_proof"),
    ("返乡车牌号", "trip_no"), ("乘坐车次", "trip_no"),
    ("返程方式", "transport"), ("隔离地址", "address"), ("途径位置", "origin"),
    ("体温（℃）", "temperature"), ("包保干部姓名", "guardian"),
])
def test_words_name_the_field(header: str, field: str) -> None:
    assert lookup_field(header) is None or lookup_field(header) == field  # the words are not needed
    assert field_from_words(header) == field


@pytest.mark.parametrize("header", [
    # someone else's value: never the person's own
    "目的地联系人电话", "代理人手机号", "户主姓名", "紧急联系人", "监护人身份证号", "同住人员姓名",
    "填报人电话",
    # a code or a kind of something, not the thing
    "证件类型", "是否核酸检测", "隔离天数", "户籍地", "户籍地址",
    # the end of control is the policy's to compute; a date with no topic
    "结束隔离时间", "解除隔离时间", "时间", "日期",
    # words about nothing taizhang keeps; a sentence
    "责任街道", "邮政编码", "注意：1、证件类型取值：身份证、护照；2、日期格式为2022-01-28",
])
def test_words_that_place_nothing(header: str) -> None:
    assert field_from_words(header) is None


def test_an_alias_never_comes_to_the_words() -> None:
    """The alias table stays the one place for exact spellings: the words only
    see headers it does not know (so 电话 is never reread)."""
    for header in ("电话", "联系电话", "身份证号", "返乡日期", "姓名"):
        assert lookup_field(header) is not None


IDS = [make_id(seq=f"{i}{i}1") for i in range(1, 6)]


@pytest.mark.parametrize("cells, field", [
    (IDS, "id_number"),
    ([13805710001, 13905710002.0, "139-0571-0003", "15005710004"], "phone"),
    ([36.5, 36.8, "37.2℃", 36.4], "temperature"),
    (["阴性", "阳性", "待出"], "result"),
    (["男", "女", "男"], "sex"),
    (["吴海燕", "郑国强", "冯晓东", "阿依古丽·买买提"], "name"),
])
def test_cells_name_the_field(cells: list[object], field: str) -> None:
    assert field_from_cells(distinct_values(cells)) == field


@pytest.mark.parametrize("cells", [
    [36, 38, 40, 41],  # ages in the temperature range: no decimal, no unit
    ["平阳村", "东溪村", "桃源村"],  # places, not names
    ["阴性", "阴性", "阴性"],  # one distinct value is no evidence
    ["居家隔离", "集中隔离", "已解除"],
    [dt.datetime(2022, 2, 1), dt.datetime(2022, 2, 2), dt.datetime(2022, 2, 3)],  # a date of what?
    [1, 2, 3, 4],  # a 序号
    [IDS[0], IDS[1], "吴海燕", "郑国强", "13805710001"],  # mixed: nothing is 90 %
])
def test_cells_that_place_nothing(cells: list[object]) -> None:
    assert field_from_cells(distinct_values(cells)) is None


def test_distinct_values_are_a_bounded_sample() -> None:
    values = distinct_values(["a", None, "", "b", "a", "  ", 1, 1.0, "c"], limit=3)
    assert values == ["a", "b", 1]
