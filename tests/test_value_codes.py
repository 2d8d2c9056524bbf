"""Value codes that real systems write (SPEC §2): 性别 1/2, yes/no as 有/无 and
Y/N, 风险等级 spellings, date-times, phones in number cells, and the codes that
differ between systems (a test result 0/1/99), read only through the config's
`[values.FIELD]` tables and otherwise reported, never guessed.

Fixtures are written as other systems write them: number cells for codes and
phones, real datetime cells for times (xlsxwriter).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ingest.codes import (
    code_key,
    coding_tables,
    decode,
    is_code,
    parse_risk_level,
    parse_yes_no,
    sex_of_cell,
)
from taizhang.ingest.ids import parse_phone
from taizhang.ingest.validation import FileResult, Validator
from taizhang.ingest.values import (
    NEGATIVE,
    PENDING,
    POSITIVE,
    parse_date,
    parse_sex,
    slot_of_time,
    split_embedded_test,
    time_of_day,
)
from taizhang.policy.episodes import assign_regime

AS_OF = date(2022, 2, 8)
POLICY = load_policy()
EXCEL_EPOCH = date(1899, 12, 30)
MAN, WOMAN = make_id(seq="123"), make_id(seq="124")  # 17th digit 3 odd: 男; 4 even: 女
RESULT_CODES = {"result": {"0": "阴性", "1": "阳性", "99": "待出"}}


def write_xlsx(path: Path, rows: list[list[Any]], sheet: str = "Sheet1",
               merged: tuple[int, int, int, int, str] | None = None) -> Path:
    """Cells as typed: numbers stay number cells, datetimes real date-time
    cells; `merged` (first row, first col, last row, last col, text) a merged header."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                ws.write_datetime(r, c, value, stamp)
            elif value is not None:
                ws.write(r, c, value)
    if merged is not None:
        ws.merge_range(*merged)
    book.close()
    return path


def validate(path: Path, **options: Any) -> FileResult:
    validator = Validator(as_of=AS_OF, villages=["平阳村", "东溪村"], township="青石镇",
                          find_regime=POLICY.find_regime, regime_examples=POLICY.regime_examples(),
                          **options)
    return validator.validate_file(path)


def codes(result: FileResult) -> list[tuple[int | None, str]]:
    return [(p.row, p.code) for p in result.problems]


# =========================================================================== single cells


class TestSex:
    @pytest.mark.parametrize("raw", [1, 1.0, "1", " 1 ", "１", "男", "男性"])
    def test_male(self, raw: Any) -> None:
        assert sex_of_cell(raw) == "男"

    @pytest.mark.parametrize("raw", [2, 2.0, "2", "女", "女性"])
    def test_female(self, raw: Any) -> None:
        assert sex_of_cell(raw) == "女"

    @pytest.mark.parametrize("raw", [0, 9, 3, "0", "X", "", None, 1.5])
    def test_unknown_codes_stay_unread(self, raw: Any) -> None:
        # GB/T 2261.1: 0 未知的性别, 9 未说明的性别: nothing to store as 男/女
        assert sex_of_cell(raw) is None

    def test_words_alone_outside_a_sex_column(self) -> None:
        # what tells a column of 性别 from its cells knows 男/女, not 1/2
        assert parse_sex("1") is None and parse_sex(2) is None


class TestYesNo:
    @pytest.mark.parametrize("raw", ["是", "有", "Y", "y", "yes", "YES", "√", "✓", " 有 ", "持有"])
    def test_yes(self, raw: str) -> None:
        assert parse_yes_no(raw) == "是"

    @pytest.mark.parametrize("raw", ["否", "无", "N", "n", "no", "No", "×", "没有", "未持", "無"])
    def test_no(self, raw: str) -> None:
        assert parse_yes_no(raw) == "否"

    @pytest.mark.parametrize("raw", [1, 0, "1", "0", "", None, "不详", "X"])
    def test_codes_and_other_text_are_not_guessed(self, raw: Any) -> None:
        assert parse_yes_no(raw) is None

    def test_the_policy_reads_the_stored_no(self) -> None:
        assert assign_regime({"has_negative_proof": parse_yes_no("无")}, POLICY)[0].key == "no_proof_3d2t"
        assert assign_regime({"has_negative_proof": parse_yes_no("Y")}, POLICY)[0].key == "returnee_monitor14"


class TestRiskLevel:
    @pytest.mark.parametrize(("raw", "level"), [
        ("高", "高"), ("高风险", "高"), ("高风险地区", "高"), ("高风险区", "高"),
        ("中", "中"), ("中风险地区", "中"), (" 中 风险 ", "中"), ("中風險地區", "中"),
        ("低", "低"), ("低风险", "低"), ("低风险地区", "低"), ("低风险等级", "低"),
    ])
    def test_one_spelling(self, raw: str, level: str) -> None:
        # 高/中/低: what the ledger held before (the sample villages write it)
        assert parse_risk_level(raw) == level

    @pytest.mark.parametrize("raw", ["中高风险", "高中", "常态化", "", "1", None])
    def test_others_are_kept_as_written(self, raw: Any) -> None:
        assert parse_risk_level(raw) is None

    @pytest.mark.parametrize(("raw", "regime"), [
        ("高风险区", "high_risk_14_7"), ("中", "mid_risk_7"), ("低风险地区", "returnee_monitor14")])
    def test_the_policy_reads_the_stored_spelling(self, raw: str, regime: str) -> None:
        assert assign_regime({"risk_level": parse_risk_level(raw)}, POLICY)[0].key == regime


class TestCodes:
    @pytest.mark.parametrize(("raw", "key"), [
        (0, "0"), (1.0, "1"), (99, "99"), (99.0, "99"), (" 99 ", "99"), ("１", "1"), (" Y ", "y")])
    def test_a_cell_is_looked_up_as_written(self, raw: Any, key: str) -> None:
        assert code_key(raw) == key

    @pytest.mark.parametrize("text", ["0", "1", "99", "02", "A", "x9"])
    def test_codes(self, text: str) -> None:
        assert is_code(text)

    @pytest.mark.parametrize("text", ["阴行", "36.5", "12345", "", "阳性?"])
    def test_not_codes(self, text: str) -> None:
        assert not is_code(text)

    def test_decode_matches_number_cells_and_text_alike(self) -> None:
        table = coding_tables(RESULT_CODES)["result"]
        assert [decode(table, v) for v in (0, 1.0, "99", " 0 ", "阴性", None)] == [
            "阴性", "阳性", "待出", "阴性", "阴性", None]
        assert decode(None, 1) == 1  # no table: the cell as it was
        assert decode(table, 2) == 2  # not in the table: the cell as it was


class TestDateTimes:
    JAN25 = date(2022, 1, 25)

    @pytest.mark.parametrize("raw", [
        "2022-01-25 14:30:00", "2022/1/25 14:30", "2022-1-25 14:30", "2022年1月25日 14时30分",
        "2022年1月25日14时30分", "2022年1月25日 14:30", "2022-01-25T14:30:00", "2022/1/25 下午2:30",
        "2022-01-25 14:30:00.000", "2022.1.25 14:30", datetime(2022, 1, 25, 14, 30),
        44586.6041666667,  # 44566 is 2022-01-05 (test_values), + 20 days; .604166… of a day is 14:30
        "44586.6041666667",
    ])
    def test_the_date_counts(self, raw: Any) -> None:
        assert parse_date(raw).value == self.JAN25
        assert time_of_day(raw) == time(14, 30)

    def test_a_time_after_a_one_digit_day(self) -> None:
        # without the space "2022-1-5 14:30" once read as the 51st of January
        assert parse_date("2022-1-5 14:30").value == date(2022, 1, 5)
        assert parse_date("2022/1/5 8:30").value == date(2022, 1, 5)

    def test_a_yearless_date_with_a_time(self) -> None:
        found = parse_date("1月25日 8:15")
        assert (found.month, found.day) == (1, 25)

    def test_a_time_alone_is_no_date(self) -> None:
        assert parse_date("14:30").error and parse_date("14:30").value is None

    @pytest.mark.parametrize(("raw", "when"), [
        (datetime(2022, 2, 7, 8, 15), time(8, 15)), ("2022-02-07 15:40", time(15, 40)),
        (44599.75, time(18, 0)), (0.5, time(12, 0)), ("14:30", time(14, 30)),
        ("上午9点", time(9, 0)), ("晚上8时", time(20, 0)), ("8:05 PM", time(20, 5)), (time(7, 50), time(7, 50)),
    ])
    def test_time_of_day(self, raw: Any, when: time) -> None:
        assert time_of_day(raw) == when

    @pytest.mark.parametrize("raw", [
        datetime(2022, 2, 7), date(2022, 2, 7), "2022-02-07", 44599.0, 44599, 36.5, "", None,
        "2022-02-07 00:00:00", "上午"])
    def test_no_time_of_day(self, raw: Any) -> None:
        # a midnight is what a date cell holds: no time was written
        assert time_of_day(raw) is None

    def test_slot_of_time(self) -> None:
        assert slot_of_time(time(0, 1)) == slot_of_time(time(11, 59)) == "上午"
        assert slot_of_time(time(12, 0)) == slot_of_time(time(23, 59)) == "下午"

    def test_serial_of_the_hand_computed_date(self) -> None:
        assert EXCEL_EPOCH + timedelta(days=44586) == self.JAN25


class TestPhonesInNumberCells:
    @pytest.mark.parametrize("raw", [13812345678, 13812345678.0, 1.3812345678e10, "1.3812345678E+10",
                                     "1.3812345678e10", 8613812345678, 8613812345678.0])
    def test_the_eleven_digits(self, raw: Any) -> None:
        found = parse_phone(raw)
        assert (found.text, found.valid, found.kind) == ("13812345678", True, "mobile")

    @pytest.mark.parametrize("raw", ["1.38123E+10", "1.3812345678E+11"])
    def test_digits_lost_or_too_many_is_no_phone(self, raw: str) -> None:
        # 1.38123E+10 would be 13812300000: Excel cut the last digits, never guessed
        assert not parse_phone(raw).valid


class TestEmbeddedCodes:
    @pytest.mark.parametrize(("text", "expected"), [
        ("2022/1/29 0", ("2022/1/29", "0")), ("1.29 99", ("1.29", "99")), ("1月29日 1", ("1月29日", "1")),
        ("2022/1/29 阴性", ("2022/1/29", "阴性")), ("2022/1/29", ("2022/1/29", "")),
    ])
    def test_split(self, text: str, expected: tuple[str, str]) -> None:
        assert split_embedded_test(text) == expected


# =========================================================================== sheets


def test_result_codes_without_a_table_are_reported_naming_it(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "平阳村核酸.xlsx", [
        ["姓名", "身份证号", "采样日期", "检测结果"],
        ["张三", MAN, datetime(2022, 2, 1, 9, 30), 0],
        ["张三", MAN, datetime(2022, 2, 2, 9, 30), 1],
        ["张三", MAN, datetime(2022, 2, 3, 9, 30), 99],
        ["张三", MAN, datetime(2022, 2, 4, 9, 30), "阴性"],
    ])
    result = validate(path)
    assert codes(result) == [(2, "result_invalid"), (3, "result_invalid"), (4, "result_invalid")]
    first = result.problems[0]
    assert first.value == "0" and first.column == "检测结果"
    assert "[values.result]" in first.message and "taizhang.toml" in first.message
    assert "“0”是代码" in first.message and '"0" = "阴性"' in first.message
    tests = result.sheets[0].tests
    assert [t.result for t in tests] == [None, None, None, NEGATIVE]  # never guessed
    assert [t.sample_date for t in tests] == [date(2022, 2, d) for d in (1, 2, 3, 4)]


def test_result_codes_read_through_the_config_table(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "平阳村核酸.xlsx", [
        ["姓名", "身份证号", "采样日期", "检测结果"],
        ["张三", MAN, "2022-02-01", 0], ["张三", MAN, "2022-02-02", 1.0], ["张三", MAN, "2022-02-03", "99"],
        ["张三", MAN, "2022-02-04", 2],
    ])
    result = validate(path, values=RESULT_CODES)
    assert codes(result) == [(5, "result_invalid")]  # 2 is in no table: still asked about
    assert '"2" = ' in result.problems[0].message
    assert [t.result for t in result.sheets[0].tests] == [NEGATIVE, POSITIVE, PENDING, None]


def test_registration_codes_as_a_system_exports_them(tmp_path: Path) -> None:
    """性别 and phones as number cells, 有/无, 风险等级 spellings, a 登记时间 with a time."""
    path = write_xlsx(tmp_path / "平阳村返乡登记.xlsx", [
        ["姓名", "性别", "身份证号", "联系电话", "风险等级", "是否持核酸阴性证明", "登记日期"],
        ["张三", 1, MAN, 13812345678, "高风险地区", "无", datetime(2022, 2, 5, 9, 30)],
        ["李四", 2.0, WOMAN, 13912345678.0, "低", "有", "2022/2/6 10:30"],
        ["王五", "1", make_id(seq="135"), "1.3712345678E+10", "中风险区", "Y", "2022年2月7日 11时30分"],
    ])
    result = validate(path)
    assert result.problems == []
    persons = result.sheets[0].persons
    assert [p.fields["sex"] for p in persons] == ["男", "女", "男"]
    assert [p.person.phone for p in persons] == ["13812345678", "13912345678", "13712345678"]
    assert [p.fields["risk_level"] for p in persons] == ["高", "低", "中"]
    assert [p.fields["has_negative_proof"] for p in persons] == ["否", "是", "是"]
    assert [p.fields["registration_date"] for p in persons] == [date(2022, 2, d) for d in (5, 6, 7)]


def test_a_sex_code_that_contradicts_the_id_is_a_mismatch(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "平阳村返乡登记.xlsx", [
        ["姓名", "性别", "身份证号", "返乡日期"], ["张三", 2, MAN, "2022-02-01"]])
    assert codes(validate(path)) == [(2, "sex_mismatch")]


def test_any_field_reads_its_config_table(tmp_path: Path) -> None:
    """A system whose 性别 is 0 女 / 1 男, whose villages are numbered and whose
    yes/no is 1/0: the config says so, and its word wins over the built-in codes."""
    path = write_xlsx(tmp_path / "返乡登记.xlsx", [
        ["姓名", "性别", "身份证号", "村", "是否持核酸阴性证明", "返乡日期"],
        ["张三", 1, MAN, "01", 0, "2022-02-01"],
        ["李四", 0, WOMAN, "02", 1, "2022-02-01"],
    ])
    values = {"sex": {"0": "女", "1": "男"}, "village": {"01": "平阳村", "02": "东溪村"},
              "has_negative_proof": {"1": "是", "0": "否"}}
    result = validate(path, values=values)
    assert result.problems == []
    persons = result.sheets[0].persons
    assert [(p.fields["sex"], p.village, p.fields["has_negative_proof"]) for p in persons] == [
        ("男", "平阳村", "否"), ("女", "东溪村", "是")]


def test_embedded_test_codes(tmp_path: Path) -> None:
    rows = [["姓名", "身份证号", "返乡日期", "第1次核酸", "第2次核酸"],
            ["张三", MAN, "2022-01-28", "2022/1/29 0", "2.3 1"]]
    path = write_xlsx(tmp_path / "平阳村居家隔离台账.xlsx", rows)
    plain = validate(path)
    assert codes(plain) == [(2, "result_invalid"), (2, "result_invalid")]
    assert all("[values.result]" in p.message for p in plain.problems)
    decoded = validate(path, values=RESULT_CODES)
    assert decoded.problems == []
    assert [(t.sample_date, t.result) for t in decoded.sheets[0].tests] == [
        (date(2022, 1, 29), NEGATIVE), (date(2022, 2, 3), POSITIVE)]


def test_separate_embedded_result_columns_read_the_table(tmp_path: Path) -> None:
    """第1次核酸 merged over 采样日期 and 结果: the 结果 column reads [values.result]."""
    rows = [["姓名", "身份证号", "返乡日期", None, None], [None, None, None, "采样日期", "结果"],
            ["张三", MAN, "2022-01-28", "2022-01-29", 1]]
    path = write_xlsx(tmp_path / "平阳村居家隔离台账.xlsx", rows, merged=(0, 3, 0, 4, "第1次核酸"))
    plain = validate(path)
    assert codes(plain) == [(3, "result_invalid")] and plain.problems[0].column == "第1次核酸/结果"
    assert [t.result for t in validate(path, values=RESULT_CODES).sheets[0].tests] == [POSITIVE]


def test_temperature_slots_from_the_time_of_day(tmp_path: Path) -> None:
    """A system's export: no 时段 column, a 日期 with the time it was reported."""
    path = write_xlsx(tmp_path / "平阳村体温.xlsx", [
        ["姓名", "身份证号", "日期", "体温"],
        ["张三", MAN, datetime(2022, 2, 7, 8, 15), 36.5],
        ["张三", MAN, datetime(2022, 2, 7, 15, 40), 36.6],
        ["张三", MAN, "2022-02-07 11:59", 36.7],  # 上午 again: a duplicate of the 08:15 reading
        ["李四", WOMAN, datetime(2022, 2, 7), 36.8],  # a date cell: no time, no slot (as before)
        ["李四", WOMAN, 44599.5, 36.9],  # a serial with a fraction: 2022-02-07 12:00
    ])
    result = validate(path)
    assert codes(result) == [(4, "duplicate_row")]
    readings = [(r.person.name, r.date, r.slot, r.temperature) for r in result.sheets[0].temperatures]
    assert readings == [("张三", date(2022, 2, 7), "上午", 36.5), ("张三", date(2022, 2, 7), "下午", 36.6),
                        ("李四", date(2022, 2, 7), None, 36.8), ("李四", date(2022, 2, 7), "下午", 36.9)]


def test_a_slot_column_wins_and_its_times_are_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "平阳村体温.xlsx", [
        ["姓名", "身份证号", "日期", "时段", "体温"],
        ["张三", MAN, datetime(2022, 2, 7, 15, 40), "上午", 36.5],  # the 时段 cell says
        ["张三", MAN, "2022-02-07", "16:05", 36.6],  # a time in the 时段 column
        ["李四", WOMAN, "2022-02-07 07:30", None, 36.7],  # blank 时段: the date's time
        ["李四", WOMAN, "2022-02-07", "中", 36.8],  # no time anywhere: as written
    ])
    result = validate(path)
    assert [(r.person.name, r.slot) for r in result.sheets[0].temperatures] == [
        ("张三", "上午"), ("张三", "下午"), ("李四", "上午"), ("李四", "中")]


def test_slot_codes_from_the_config(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "平阳村体温.xlsx", [
        ["姓名", "身份证号", "日期", "时段", "体温"],
        ["张三", MAN, "2022-02-07", 1, 36.5], ["张三", MAN, "2022-02-07", 2, 36.6]])
    result = validate(path, values={"slot": {"1": "上午", "2": "下午"}})
    assert [r.slot for r in result.sheets[0].temperatures] == ["上午", "下午"]


def test_the_cli_hands_the_config_table_to_the_reader(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "平阳村核酸.xlsx", [
        ["姓名", "身份证号", "采样日期", "检测结果"], ["张三", MAN, "2022-02-01", 1]])
    config = tmp_path / "taizhang.toml"
    config.write_text('township = "青石镇"\nvillages = ["平阳村"]\n', encoding="utf-8")
    runner = CliRunner()
    plain = runner.invoke(app, ["--config", str(config), "--as-of", "2022-02-08", "validate", str(path),
                                "--format", "json"])
    assert [p["code"] for p in json.loads(plain.stdout)["problems"]] == ["result_invalid"]
    config.write_text(config.read_text(encoding="utf-8") + '\n[values.result]\n"0" = "阴性"\n"1" = "阳性"\n',
                      encoding="utf-8")
    coded = runner.invoke(app, ["--config", str(config), "--as-of", "2022-02-08", "validate", str(path),
                                "--format", "json"])
    assert coded.exit_code == 0, coded.output
    assert json.loads(coded.stdout)["problems"] == []
