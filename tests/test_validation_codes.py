"""Each problem code of SPEC §4, produced by a minimal sheet, with the row
number Excel shows, the header as written and a message that says what to do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import make_id

from taizhang.config import load_policy
from taizhang.ingest.validation import SEVERITY, FileResult, Problem, Validator

AS_OF = date(2022, 2, 8)
POLICY = load_policy()
REG_HEADER = ["姓名", "性别", "身份证号", "联系电话", "村", "离开风险地日期", "返乡日期",
              "登记日期", "管控措施"]


def validator(**kwargs: object) -> Validator:
    options: dict[str, object] = {
        "as_of": AS_OF, "villages": ["平阳村", "东溪村", "桃源村"], "township": "青石镇",
        "find_regime": POLICY.find_regime, "regime_examples": POLICY.regime_examples(),
    }
    options.update(kwargs)
    return Validator(**options)  # type: ignore[arg-type]


def only(result: FileResult, code: str) -> Problem:
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, [(p.code, p.row, p.message) for p in result.problems]
    return found[0]


def reg_row(name: str = "张三", sex: str = "男", id_number: str | None = None,
            phone: str = "13812345678", village: str = "平阳村", departure: str = "",
            arrival: str = "2022-01-28", registered: str = "2022-01-29", regime: str = "") -> list[str]:
    return [name, sex, id_number if id_number is not None else make_id(seq="123"), phone,
            village, departure, arrival, registered, regime]


@pytest.fixture
def check(write_csv: Callable[..., Path]) -> Callable[..., FileResult]:
    def run(rows: list[list[str]], header: list[str] = REG_HEADER, name: str = "登记.csv",
            v: Validator | None = None) -> FileResult:
        path = write_csv(name, [header, *rows])
        return (v or validator()).validate_file(path)

    return run


def test_clean_row_has_no_problem(check: Callable[..., FileResult]) -> None:
    result = check([reg_row()])
    assert result.error is None
    assert result.problems == []
    person = result.sheets[0].persons[0]
    assert person.row == 2
    assert person.fields["arrival_date"] == date(2022, 1, 28)
    assert person.village == "平阳村"


def test_missing_dates_is_missing_required(check: Callable[..., FileResult]) -> None:
    p = only(check([reg_row(), reg_row(id_number=make_id(seq="135"), arrival="", registered="")]),
             "missing_required")
    assert (p.row, p.column, p.severity) == (3, "返乡日期", "error")
    assert "第3行" in p.message and "补填" in p.message


def test_missing_id_and_phone_is_missing_required(check: Callable[..., FileResult]) -> None:
    p = only(check([reg_row(id_number="", phone="")]), "missing_required")
    assert (p.row, p.column, p.field) == (2, "身份证号", "id_number")


def test_row_without_any_person_is_rejected_not_dropped(check: Callable[..., FileResult]) -> None:
    result = check([reg_row(), ["", "男", "", "", "平阳村", "", "2022-01-28", "", ""]])
    sheet = result.sheets[0]
    assert len(sheet.persons) == 1
    assert len(sheet.rejected) == 1
    rejected = sheet.rejected[0]
    assert rejected.row == 3
    assert rejected.cells == {"性别": "男", "村": "平阳村", "返乡日期": "2022-01-28"}
    p = only(result, "missing_required")
    assert p.row == 3 and "拒收" in p.message


@pytest.mark.parametrize(
    ("id_number", "code", "hint"),
    [
        (make_id(seq="123")[:-1] + ("0" if make_id(seq="123")[-1] != "0" else "1"),
         "id_checksum", "校验位应为" + make_id(seq="123")[-1]),
        ("33068119900101123", "id_length", "17位"),
        ("3.30681E+17", "id_scientific", "科学计数法"),
        (make_id(birth="19990231"), "id_birthdate", "19990231"),
        ("330681900101123", "id_legacy", "15位"),
    ],
)
def test_id_codes(check: Callable[..., FileResult], id_number: str, code: str, hint: str) -> None:
    p = only(check([reg_row(id_number=id_number)]), code)
    assert p.row == 2 and p.column == "身份证号" and p.field == "id_number"
    assert hint in p.message
    assert p.severity == ("warning" if code == "id_legacy" else "error")
    # messages never carry the full number: the row number finds it
    assert id_number not in p.message


def test_phone_invalid(check: Callable[..., FileResult]) -> None:
    p = only(check([reg_row(phone="1380000123")]), "phone_invalid")
    assert (p.row, p.column, p.value, p.severity) == (2, "联系电话", "1380000123", "warning")


def test_date_invalid_and_future(check: Callable[..., FileResult]) -> None:
    result = check([reg_row(arrival="2022-02-30"),
                    reg_row(id_number=make_id(seq="135"), registered="2202-01-28")])
    bad = only(result, "date_invalid")
    assert (bad.row, bad.column, bad.value) == (2, "返乡日期", "2022-02-30")
    future = only(result, "date_future")
    assert (future.row, future.column) == (3, "登记日期")
    assert "2202-01-28" in future.message and "2022-02-08" in future.message


def test_date_order(check: Callable[..., FileResult]) -> None:
    p = only(check([reg_row(departure="2022-01-30", arrival="2022-01-28")]), "date_order")
    assert (p.row, p.column) == (2, "离开风险地日期")
    assert "2022-01-30" in p.message and "2022-01-28" in p.message


def test_sex_mismatch(check: Callable[..., FileResult]) -> None:
    # sequence 123: the 17th digit 3 is odd, so the ID says 男
    p = only(check([reg_row(sex="女")]), "sex_mismatch")
    assert (p.row, p.column, p.severity) == (2, "性别", "warning")
    assert "男" in p.message


def test_duplicate_row_names_the_earlier_row(check: Callable[..., FileResult]) -> None:
    result = check([reg_row(), reg_row(name="李四", id_number=make_id(seq="135")), reg_row()])
    p = only(result, "duplicate_row")
    assert p.row == 4 and "第2行" in p.message
    assert len(result.sheets[0].persons) == 3  # still stored, flagged


def test_conflict_within_sheet(check: Callable[..., FileResult]) -> None:
    result = check([reg_row(), reg_row(arrival="2022-01-30")])
    p = only(result, "conflict")
    assert (p.row, p.field) == (3, "arrival_date")
    assert "2022-01-28" in p.message and "第2行" in p.message


def test_conflict_across_files_names_the_other_file(
    write_csv: Callable[..., Path],
) -> None:
    v = validator()
    first = write_csv("平阳村登记.csv", [REG_HEADER, reg_row()])
    second = write_csv("东溪村登记.csv", [REG_HEADER, reg_row(name="张叁", village="东溪村")])
    assert v.validate_file(first).problems == []
    result = v.validate_file(second)
    codes = {(p.field, p.code) for p in result.problems}
    assert codes == {("name", "conflict"), ("village", "conflict")}
    name = next(p for p in result.problems if p.field == "name")
    assert "平阳村登记.csv" in name.message and "张三" in name.message


def test_test_sheet_village_is_not_a_conflict(write_csv: Callable[..., Path]) -> None:
    """A village's test ledger may list people registered elsewhere."""
    v = validator()
    v.validate_file(write_csv("平阳村登记.csv", [REG_HEADER, reg_row()]))
    tests = write_csv("东溪村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                        ["张三", make_id(seq="123"), "2022-01-29", "阴性"]])
    assert v.validate_file(tests).problems == []


def test_every_test_row_naming_a_person_otherwise_is_a_conflict(write_csv: Callable[..., Path]) -> None:
    """Test rows of one person and name are checked as one entry (issue 18), yet
    each row that disagrees is reported, and only those: rows 2 and 4 say 张叁
    where the registration says 张三, row 3 agrees. The sheet's own first name
    is the reference for a person no file named before (row 7 vs 5 and 6)."""
    v = validator()
    v.validate_file(write_csv("平阳村登记.csv", [REG_HEADER, reg_row()]))
    other = make_id(seq="456")
    tests = write_csv("平阳村核酸.csv", [
        ["姓名", "身份证号", "采样日期", "检测结果"],
        ["张叁", make_id(seq="123"), "2022-01-29", "阴性"],
        ["张三", make_id(seq="123"), "2022-01-30", "阴性"],
        ["张叁", make_id(seq="123"), "2022-01-31", "阴性"],
        ["李四", other, "2022-01-29", "阴性"],
        ["李四", other, "2022-01-30", "阴性"],
        ["李泗", other, "2022-01-31", "阴性"],
    ])
    result = v.validate_file(tests)
    assert [(p.row, p.field, p.code, p.value) for p in result.problems] == [
        (2, "name", "conflict", "张叁"), (4, "name", "conflict", "张叁"),
        (7, "name", "conflict", "李泗")]
    assert "第2行" in result.problems[0].message and "第4行" in result.problems[1].message
    assert "平阳村登记.csv" in result.problems[1].message
    assert "平阳村核酸.csv" in result.problems[2].message and "第5行" in result.problems[2].message


def test_unknown_village_suggests_the_closest(check: Callable[..., FileResult]) -> None:
    p = only(check([reg_row(village="平羊村")]), "unknown_village")
    assert (p.row, p.column, p.value) == (2, "村", "平羊村")
    assert "平阳村" in p.message


def test_village_stem_maps_to_configured_name(check: Callable[..., FileResult]) -> None:
    result = check([reg_row(village="平阳")])
    assert result.problems == []
    assert result.sheets[0].persons[0].village == "平阳村"


NO_VILLAGE_HEADER = [h for h in REG_HEADER if h != "村"]


def no_village(row: list[str]) -> list[str]:
    return row[:4] + row[5:]


def test_village_unknown_once_per_sheet_without_any_village(check: Callable[..., FileResult]) -> None:
    """No village column, none in the file name, sheet or title: one warning
    for the sheet, saying how many people go to 村名未知 and how to place them."""
    rows = [no_village(reg_row()), no_village(reg_row(name="李四", id_number=make_id(seq="135")))]
    result = check(rows, header=NO_VILLAGE_HEADER, name="新增人员(1).csv")
    p = only(result, "village_unknown")
    assert (p.row, p.severity, p.field) == (None, "warning", "village")
    assert "2行" in p.message and "村名未知" in p.message and "--village" in p.message
    assert len(result.problems) == 1
    assert result.sheets[0].village is None


def test_village_unknown_names_the_first_blank_village_cell(check: Callable[..., FileResult]) -> None:
    result = check([reg_row(), reg_row(name="李四", id_number=make_id(seq="135"), village=""),
                    reg_row(name="王五", id_number=make_id(seq="147"), village="")])
    p = only(result, "village_unknown")
    assert (p.row, p.column) == (3, "村")
    assert "2行" in p.message and "从第3行起" in p.message


@pytest.mark.parametrize("name, option", [("平阳村新增人员.csv", None), ("新增人员.csv", "东溪村")])
def test_a_village_from_the_file_name_or_option_is_enough(
        check: Callable[..., FileResult], name: str, option: str | None) -> None:
    """The neighbours: the file name or --village places every row, also rows
    whose village cell is blank."""
    v = validator(village=option) if option else None
    result = check([no_village(reg_row())], header=NO_VILLAGE_HEADER, name=name, v=v)
    assert result.problems == []
    blank = check([reg_row(village="")], name=name, v=v)
    assert blank.problems == []
    assert blank.sheets[0].persons[0].village == (option or "平阳村")


def test_unknown_regime(check: Callable[..., FileResult]) -> None:
    result = check([reg_row(regime="居家观察三天"),
                    reg_row(id_number=make_id(seq="135"), regime="7+7")])
    p = only(result, "unknown_regime")
    assert (p.row, p.column, p.value) == (2, "管控措施", "居家观察三天")


def test_temp_invalid_and_result_invalid(check: Callable[..., FileResult]) -> None:
    temps = check([["张三", make_id(), "2022-02-01", "上午", "365"]],
                  header=["姓名", "身份证号", "日期", "时段", "体温"], name="体温.csv")
    p = only(temps, "temp_invalid")
    assert (p.row, p.column, p.value) == (2, "体温", "365")
    tests = check([["张三", make_id(), "2022-02-01", "阴行"]],
                  header=["姓名", "身份证号", "采样日期", "检测结果"], name="核酸.csv")
    p = only(tests, "result_invalid")
    assert (p.row, p.column, p.value) == (2, "检测结果", "阴行")
    assert tests.sheets[0].tests[0].result is None


def test_yearless_dates_take_the_year_nearest_the_sheet(check: Callable[..., FileResult]) -> None:
    """12月30日 in a sheet of January 2022 dates is 2021-12-30, not 2022-12-30."""
    result = check([reg_row(arrival="12月30日"),
                    reg_row(id_number=make_id(seq="135"), arrival="2022-01-05")])
    assert result.problems == []
    persons = result.sheets[0].persons
    assert persons[0].fields["arrival_date"] == date(2021, 12, 30)


def test_every_code_has_a_severity() -> None:
    assert set(SEVERITY) == {
        "missing_required", "id_length", "id_checksum", "id_birthdate", "id_scientific",
        "id_legacy", "id_masked", "phone_invalid", "date_invalid", "date_future", "date_order",
        "temp_invalid", "result_invalid", "sex_mismatch", "duplicate_row", "conflict",
        "unknown_village", "unknown_regime", "village_unknown", "date_assumed",
    }


def test_a_person_named_again_gets_the_same_problems_and_key(write_csv: Callable[..., Path]) -> None:
    """Rows naming a person read before reuse the key only when that read was
    clean: a bad ID or phone is reported on every row that has it."""
    good, bad = make_id(seq="123"), make_id(seq="123")[:-1] + "0"
    if bad == good:
        bad = good[:-1] + "1"
    path = write_csv("平阳村核酸.csv", [
        ["姓名", "身份证号", "联系电话", "采样日期", "检测结果"],
        ["张三", good, "13812345678", "2022-02-01", "阴性"],
        ["张三", good, "13812345678", "2022-02-02", "阴性"],
        ["李四", bad, "138", "2022-02-01", "阴性"],
        ["李四", bad, "138", "2022-02-02", "阴性"],
    ])
    result = validator().validate_file(path)
    assert sorted((p.row, p.code) for p in result.problems) == [
        (4, "id_checksum"), (4, "phone_invalid"), (5, "id_checksum"), (5, "phone_invalid")]
    tests = result.sheets[0].tests
    assert tests[0].person is tests[1].person and tests[0].person.key == "id:" + good
    assert tests[2].person.key == tests[3].person.key == "nv:李四|平阳村"  # no ID, no phone
