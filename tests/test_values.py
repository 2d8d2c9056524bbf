"""Tests for `taizhang.values`: single-cell normalisation (SPEC §3).

Every expectation below is computed by hand (check digits are worked out in
the comments) so the tests do not merely restate the implementation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taizhang.ingest.ids import clean_id_text, id_check_char, id_from_legacy, parse_id, parse_phone
from taizhang.ingest.values import (
    NEGATIVE,
    PENDING,
    POSITIVE,
    clean_text,
    parse_date,
    parse_result,
    parse_sex,
    parse_temperature,
    resolve_year,
    split_embedded_test,
)

# GB 11643 test vector. Weighted sum of 11010519491231002 with weights
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 is 167; 167 % 11 = 2 -> "10X98765432"[2] = "X".
VECTOR = "11010519491231002X"

# 33068119900101123 -> weighted sum 247; 247 % 11 = 5 -> "7".
LEGACY_15 = "330681900101123"
LEGACY_AS_18 = "330681199001011237"

# 33068119900101500 -> weighted sum 265; 265 % 11 = 1 -> "0": a genuine ID ending in 000.
VALID_ENDING_000 = "330681199001015000"

EXCEL_EPOCH = date(1899, 12, 30)
CHECK_ALPHABET = "0123456789X"


# =========================================================================== ID numbers


class TestIdCheckChar:
    def test_vector(self):
        assert id_check_char(VECTOR[:17]) == "X"

    def test_hand_computed(self):
        assert id_check_char(LEGACY_AS_18[:17]) == "7"
        assert id_check_char(VALID_ENDING_000[:17]) == "0"

    def test_all_zero_prefix(self):
        # Sum 0 -> 0 % 11 = 0 -> "1".
        assert id_check_char("0" * 17) == "1"

    @given(st.text(alphabet="0123456789", min_size=17, max_size=17))
    def test_the_weighted_sum_of_the_standard(self, first17):
        """The check character is computed by a shortcut (base 13); it must
        agree with GB 11643's weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2."""
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
        assert id_check_char(first17) == "10X98765432"[total % 11]

    def test_not_digits_keep_the_weighted_sum(self):
        """Full-width or other scripts' digits are never checked this way
        (parse_id refuses them first); the function still answers as before."""
        assert id_check_char("1" * 16 + "a") in "10X98765432"
        with pytest.raises(ValueError):
            id_check_char("1" * 16)


class TestParseIdValid:
    def test_vector_validates(self):
        r = parse_id(VECTOR)
        assert r.valid is True
        assert r.code is None
        assert r.text == VECTOR
        assert r.birth_date == date(1949, 12, 31)
        assert r.sex == "女"  # 17th digit 2 is even

    def test_vector_with_as_of(self):
        r = parse_id(VECTOR, as_of=date(2022, 1, 5))
        assert r.valid and r.birth_date == date(1949, 12, 31)

    def test_male(self):
        # 17th digit 3 -> odd -> male.
        r = parse_id(LEGACY_AS_18)
        assert r.valid is True
        assert r.sex == "男"
        assert r.birth_date == date(1990, 1, 1)

    @pytest.mark.parametrize(
        "raw",
        [
            "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X
            "１１０１０５１９４９１２３１００２ｘ",  # full-width digits, full-width lower x
            "110105 19491231 002X",
            " 110105194912 31002X ",
            "110105\u300019491231002X",  # ideographic space
            "'11010519491231002X",
            "‘11010519491231002X",
            "11010519491231002x",
            "'１１０１０５ １９４９１２３１ ００２x",
            "11010519491231002×",
        ],
    )
    def test_cleaning_normalises_to_vector(self, raw):
        assert clean_id_text(raw) == VECTOR
        r = parse_id(raw)
        assert r.valid is True
        assert r.text == VECTOR
        assert r.birth_date == date(1949, 12, 31)

    def test_ending_000_with_correct_check_digit_is_valid(self):
        assert VALID_ENDING_000.endswith("000")
        assert id_check_char(VALID_ENDING_000[:17]) == VALID_ENDING_000[17]
        r = parse_id(VALID_ENDING_000)
        assert r.valid is True
        assert r.code is None
        assert r.birth_date == date(1990, 1, 1)
        assert r.sex == "女"  # 17th digit 0


class TestParseIdLegacy:
    def test_15_digit_text(self):
        r = parse_id(LEGACY_15)
        assert r.valid is True
        assert r.code == "id_legacy"
        assert r.text == LEGACY_15
        assert r.birth_date == date(1990, 1, 1)
        assert r.sex == "男"  # 15th digit 3 is odd

    def test_15_digit_birth_is_19yy(self):
        # yymmdd 491231 -> 1949-12-31 (not 2049)
        r = parse_id("110105491231002")
        assert r.code == "id_legacy"
        assert r.birth_date == date(1949, 12, 31)
        assert r.sex == "女"  # 15th digit 2

    def test_15_digit_impossible_birth(self):
        r = parse_id("330681990231123")
        assert r.valid is False
        assert r.code == "id_birthdate"

    def test_15_digit_with_letter(self):
        r = parse_id("33068190010112A")
        assert r.valid is False
        assert r.code == "id_length"

    def test_int_with_15_digits_in_number_cell(self):
        # Excel keeps 15 significant digits, so a 15-digit number is intact.
        r = parse_id(330681900101123)
        assert r.valid is True
        assert r.code == "id_legacy"
        assert r.text == LEGACY_15
        assert r.birth_date == date(1990, 1, 1)

    def test_integral_float_with_15_digits_in_number_cell(self):
        r = parse_id(330681900101123.0)
        assert r.valid is True
        assert r.code == "id_legacy"
        assert r.text == LEGACY_15

    def test_short_int_in_number_cell_is_id_length(self):
        r = parse_id(12345)
        assert r.valid is False
        assert r.code == "id_length"

    def test_id_from_legacy(self):
        assert id_from_legacy(LEGACY_15) == LEGACY_AS_18
        upgraded = parse_id(id_from_legacy(LEGACY_15))
        assert upgraded.valid is True and upgraded.code is None
        assert upgraded.birth_date == parse_id(LEGACY_15).birth_date

    def test_id_from_legacy_vector(self):
        # 110105491231002 -> 11010519491231002 + "X" = the GB 11643 vector.
        assert id_from_legacy("110105491231002") == VECTOR


class TestParseIdInvalid:
    def test_17_digits(self):
        r = parse_id(VECTOR[:17])
        assert r.valid is False
        assert r.code == "id_length"

    def test_19_digits(self):
        r = parse_id(VECTOR + "1")
        assert r.valid is False
        assert r.code == "id_length"

    def test_18_chars_with_letter_in_middle(self):
        r = parse_id("1101051949A231002X")
        assert r.valid is False
        assert r.code == "id_length"

    def test_digits_of_another_script_are_not_id_digits(self):
        # Arabic-Indic digits pass str.isdigit(); they once crashed the check digit
        for text in ("٣" * 18, "١" * 15, VECTOR[:17] + "٣"):
            r = parse_id(text)
            assert r.valid is False
            assert r.code == "id_length"

    def test_x_not_at_end(self):
        r = parse_id("11010519491231X022")
        assert r.valid is False
        assert r.code == "id_length"

    def test_wrong_check_digit(self):
        r = parse_id("110105194912310021")
        assert r.valid is False
        assert r.code == "id_checksum"
        assert "X" in r.detail  # names the correct check character

    def test_impossible_birth_date_with_correct_check(self):
        # 33068119990231123 -> check "7"; 1999-02-31 does not exist.
        text = "330681199902311237"
        assert id_check_char(text[:17]) == "7"
        r = parse_id(text)
        assert r.valid is False
        assert r.code == "id_birthdate"

    def test_feb_29_non_leap_year(self):
        first17 = "33068120230229123"
        r = parse_id(first17 + id_check_char(first17))
        assert r.code == "id_birthdate"

    def test_feb_29_leap_year_is_fine(self):
        first17 = "33068120200229123"
        r = parse_id(first17 + id_check_char(first17))
        assert r.valid is True
        assert r.birth_date == date(2020, 2, 29)

    def test_birth_after_as_of(self):
        first17 = "33068120220301123"
        text = first17 + id_check_char(first17)
        assert parse_id(text).valid is True  # without as_of, nothing to compare to
        r = parse_id(text, as_of=date(2022, 1, 5))
        assert r.valid is False
        assert r.code == "id_birthdate"

    def test_birth_on_as_of_is_fine(self):
        first17 = "33068120220105123"
        r = parse_id(first17 + id_check_char(first17), as_of=date(2022, 1, 5))
        assert r.valid is True
        assert r.birth_date == date(2022, 1, 5)

    def test_float_in_number_cell_is_scientific(self):
        r = parse_id(3.30681199001011e17)
        assert r.valid is False
        assert r.code == "id_scientific"
        assert r.text == "3.30681199001011E+17"

    def test_non_integral_float_is_scientific(self):
        r = parse_id(3306811990.5)
        assert r.valid is False
        assert r.code == "id_scientific"

    def test_int_with_18_digits_in_number_cell_is_scientific(self):
        r = parse_id(330681199001011000)
        assert r.valid is False
        assert r.code == "id_scientific"

    @pytest.mark.parametrize("raw", ["3.30681E+17", "3.30681e+17", "3.30681E17", "'3.30681E+17"])
    def test_scientific_text(self, raw):
        r = parse_id(raw)
        assert r.valid is False
        assert r.code == "id_scientific"

    def test_ending_000_with_wrong_check_digit_is_scientific(self):
        # What Excel leaves of 330681199001011237 shown as text: 330681199001011000.
        text = "330681199001011000"
        assert id_check_char(text[:17]) != "0"
        r = parse_id(text)
        assert r.valid is False
        assert r.code == "id_scientific"

    @pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
    def test_blank(self, raw):
        r = parse_id(raw)
        assert r.valid is False
        assert r.code == "missing"
        assert r.text == ""

    def test_bool_is_not_an_id(self):
        assert parse_id(True).valid is False


birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))
area_codes = st.text(alphabet="0123456789", min_size=6, max_size=6)
sequences = st.text(alphabet="0123456789", min_size=3, max_size=3)


@given(born=birth_dates, area=area_codes, seq=sequences)
def test_property_generated_ids_validate(born, area, seq):
    first17 = area + born.strftime("%Y%m%d") + seq
    text = first17 + id_check_char(first17)
    for as_of in (None, date(2022, 1, 5)):
        r = parse_id(text, as_of=as_of)
        assert r.valid is True, (text, r)
        assert r.code is None
        assert r.text == text
        assert r.birth_date == born
        assert r.sex == ("男" if int(seq[2]) % 2 == 1 else "女")


@given(born=birth_dates, area=area_codes, seq=sequences)
def test_property_wrong_check_char_is_rejected(born, area, seq):
    first17 = area + born.strftime("%Y%m%d") + seq
    right = id_check_char(first17)
    for wrong in CHECK_ALPHABET.replace(right, ""):
        text = first17 + wrong
        r = parse_id(text)
        assert r.valid is False
        # By design (SPEC §3, Excel damage), a wrong check digit on a number
        # ending in 000 is reported as id_scientific rather than id_checksum.
        expected = "id_scientific" if text.endswith("000") else "id_checksum"
        assert r.code == expected, (text, r)


@given(born=birth_dates, area=area_codes, seq=sequences)
def test_property_lowercase_and_spaces_clean_to_same_id(born, area, seq):
    first17 = area + born.strftime("%Y%m%d") + seq
    text = first17 + id_check_char(first17)
    messy = "'" + text[:6] + " " + text[6:14] + " " + text[14:].lower()
    assert parse_id(messy) == parse_id(text)


# =========================================================================== phones


class TestParsePhone:
    @pytest.mark.parametrize(
        "raw",
        [
            "13812345678",
            "138-1234-5678",
            "138 1234 5678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "0086 13812345678",
            "8613812345678",
            "８６13812345678",
            "１３８１２３４５６７８",
            "'13812345678",
            "13812345678/13912345678",
            "13812345678、13912345678",
            13812345678,
            13812345678.0,
        ],
    )
    def test_mobile(self, raw):
        r = parse_phone(raw)
        assert r.valid is True
        assert r.kind == "mobile"
        assert r.text == "13812345678"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("0575-87654321", "057587654321"),
            ("(0575)87654321", "057587654321"),
            ("（0575）87654321", "057587654321"),
            ("010-12345678", "01012345678"),
            ("87654321", "87654321"),
        ],
    )
    def test_landline(self, raw, expected):
        r = parse_phone(raw)
        assert r.valid is True
        assert r.kind == "landline"
        assert r.text == expected

    @pytest.mark.parametrize(
        "raw",
        [
            "1380000123",  # 10 digits
            "12345678901",  # second digit 2
            "11012345678",  # second digit 1
            "138123456789",  # 12 digits starting with 1
            "abc",
            "123",
        ],
    )
    def test_invalid(self, raw):
        r = parse_phone(raw)
        assert r.valid is False
        assert r.kind == ""

    def test_invalid_keeps_raw_text(self):
        assert parse_phone("1380000123").text == "1380000123"

    @pytest.mark.parametrize("raw", [None, "", "  ", True])
    def test_blank(self, raw):
        r = parse_phone(raw)
        assert r.valid is False
        assert r.text == ""


# =========================================================================== dates

JAN5 = date(2022, 1, 5)


class TestParseDate:
    @pytest.mark.parametrize(
        "raw",
        [
            "2022-01-05",
            "2022-1-5",
            "2022/1/5",
            "2022/01/05",
            "2022.1.5",
            "20220105",
            "2022年1月5日",
            "2022年01月05日",
            "２０２２年１月５日",
            " 2022-01-05 ",
            "'2022-01-05",
            "2022-01-05 08:30:00",
            "2022-01-05 08:30",
            "2022/1/5 8:30",
            "44566",
            "44566.0",
            44566,
            44566.0,
            44566.75,  # serial with a time fraction
            20220105,  # yyyymmdd typed into a number cell
            date(2022, 1, 5),
            datetime(2022, 1, 5),
            datetime(2022, 1, 5, 8, 30),
        ],
    )
    def test_full_dates(self, raw):
        r = parse_date(raw)
        assert r.error == ""
        assert r.value == JAN5
        assert r.yearless is False

    def test_serial_is_excel_epoch(self):
        # 2022-01-05 is 44566 days after 1899-12-30 (Excel's 1900 system).
        assert EXCEL_EPOCH + timedelta(days=44566) == JAN5

    @pytest.mark.parametrize(
        ("raw", "month", "day"),
        [
            ("1月5日", 1, 5),
            ("01月05日", 1, 5),
            ("1月5号", 1, 5),
            ("1.5", 1, 5),  # text cell: no ambiguity
            ("1.20", 1, 20),
            ("1/5", 1, 5),
            ("12-31", 12, 31),
            ("2月29日", 2, 29),  # allowed without a year
            (1.29, 1, 29),  # number cell with two decimals
            (12.31, 12, 31),
            (1.5, 1, 5),  # 1.50 would be day 50: only Jan 5 is possible
        ],
    )
    def test_yearless(self, raw, month, day):
        r = parse_date(raw)
        assert r.error == ""
        assert r.value is None
        assert r.yearless is True
        assert (r.month, r.day) == (month, day)

    @pytest.mark.parametrize(
        "raw",
        [
            "2022-02-30",
            "2022/13/1",
            "2022-00-10",
            "2021-02-29",
            "20221301",
            "abc",
            "1月32日",
            "13月1日",
            "2月30日",
            "0.5",
            "2022-01",
        ],
    )
    def test_invalid(self, raw):
        r = parse_date(raw)
        assert r.error != ""
        assert r.value is None
        assert r.yearless is False

    @pytest.mark.parametrize("raw", [1.2, 1.1, 1.3, 10.1])
    def test_ambiguous_number_cell(self, raw):
        # 1.2 in a number cell may have been typed as 1.2 (1月2日) or 1.20 (1月20日).
        r = parse_date(raw)
        assert r.error != ""
        assert r.value is None
        assert r.yearless is False

    def test_ambiguous_message_names_both_readings(self):
        r = parse_date(1.2)
        assert "1月2日" in r.error
        assert "1月20日" in r.error

    @pytest.mark.parametrize("raw", [5, 100, 1000000, 99999999.0])
    def test_number_that_is_not_a_date(self, raw):
        r = parse_date(raw)
        assert r.error != ""
        assert r.value is None

    @pytest.mark.parametrize("raw", [None, "", "  ", float("nan")])
    def test_blank(self, raw):
        r = parse_date(raw)
        assert r == parse_date(None)
        assert r.value is None
        assert r.error == ""
        assert r.yearless is False


class TestResolveYear:
    def test_december_before_january_reference(self):
        assert resolve_year(12, 30, date(2022, 1, 5)) == date(2021, 12, 30)

    def test_january_after_december_reference(self):
        assert resolve_year(1, 3, date(2021, 12, 28)) == date(2022, 1, 3)

    def test_same_year(self):
        assert resolve_year(1, 5, date(2022, 1, 29)) == date(2022, 1, 5)

    def test_feb_29_without_leap_year_nearby(self):
        # Candidates 2021-02-29, 2022-02-29, 2023-02-29 all do not exist.
        assert resolve_year(2, 29, date(2022, 2, 10)) is None

    def test_feb_29_leap_year(self):
        assert resolve_year(2, 29, date(2024, 3, 1)) == date(2024, 2, 29)
        assert resolve_year(2, 29, date(2023, 12, 31)) == date(2024, 2, 29)
        assert resolve_year(2, 29, date(2025, 1, 2)) == date(2024, 2, 29)


dates_2000_2030 = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


def _forms(d: date) -> list:
    y, m, dd = d.year, d.month, d.day
    serial = (d - EXCEL_EPOCH).days
    return [
        d.strftime("%Y-%m-%d"),
        f"{y}/{m}/{dd}",
        f"{y}.{m}.{dd}",
        d.strftime("%Y%m%d"),
        f"{y}年{m}月{dd}日",
        serial,
        float(serial),
        str(serial),
    ]


@given(d=dates_2000_2030)
def test_property_full_forms_round_trip(d):
    for form in _forms(d):
        r = parse_date(form)
        assert r.error == "", (form, r)
        assert r.value == d, (form, r)


@given(d=dates_2000_2030, offset=st.integers(min_value=-150, max_value=150))
def test_property_yearless_resolves_to_original(d, offset):
    reference = d + timedelta(days=offset)
    for form in (f"{d.month}月{d.day}日", f"{d.month}.{d.day}", f"{d.month:02d}月{d.day:02d}日"):
        r = parse_date(form)
        assert r.yearless, (form, r)
        assert resolve_year(r.month, r.day, reference) == d, (form, reference)


# =========================================================================== temperatures


class TestParseTemperature:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("36.5", 36.5),
            ("36.5℃", 36.5),
            ("36.5度", 36.5),
            ("36.5°C", 36.5),
            ("36.5°c", 36.5),
            ("36.5°", 36.5),
            ("36.5 ℃", 36.5),
            ("３６.５", 36.5),
            ("３６．５℃", 36.5),
            (" 37.3 ", 37.3),
            (37, 37.0),
            (36.5, 36.5),
            ("34", 34.0),  # lower bound inclusive
            (43.0, 43.0),  # upper bound inclusive
        ],
    )
    def test_valid(self, raw, expected):
        r = parse_temperature(raw)
        assert r.error == ""
        assert r.value == pytest.approx(expected)

    @pytest.mark.parametrize("raw", [3.65, 365, 43.1, 33.9, "3.65", "365", "43.1℃", "33.9度"])
    def test_out_of_range(self, raw):
        r = parse_temperature(raw)
        assert r.value is None
        assert r.error != ""

    @pytest.mark.parametrize("raw", ["abc", "36.5.1", "正常", "36,5x"])
    def test_unreadable(self, raw):
        r = parse_temperature(raw)
        assert r.value is None
        assert r.error != ""

    @pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
    def test_blank(self, raw):
        r = parse_temperature(raw)
        assert r.value is None
        assert r.error == ""


# =========================================================================== test results


class TestParseResult:
    @pytest.mark.parametrize(
        "text", ["阴性", "阴", "-", "−", "neg", "NEG", "Neg", "negative", "阴性（-）", "阴性(-)", " 阴性 "]
    )
    def test_negative(self, text):
        assert parse_result(text) == NEGATIVE == "negative"

    @pytest.mark.parametrize("text", ["阳性", "阳", "+", "pos", "POS", "positive", "阳性（+）", "＋"])
    def test_positive(self, text):
        assert parse_result(text) == POSITIVE == "positive"

    @pytest.mark.parametrize("text", ["待出", "未出", "", "  ", "待检", "结果未出"])
    def test_pending(self, text):
        assert parse_result(text) == PENDING == "pending"

    @pytest.mark.parametrize("text", ["阴行", "不知道", "abc", "阴阳"])
    def test_unreadable(self, text):
        assert parse_result(text) is None


class TestSplitEmbeddedTest:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("1.29阴", ("1.29", "阴")),
            ("2022/1/29 阴性", ("2022/1/29", "阴性")),
            ("2.4待出", ("2.4", "待出")),
            ("1月30日", ("1月30日", "")),
            ("1月30日阳性", ("1月30日", "阳性")),
            ("1.29 -", ("1.29", "-")),
            ("2022-01-29", ("2022-01-29", "")),
            (" 1.29阴 ", ("1.29", "阴")),
            ("", ("", "")),
        ],
    )
    def test_split(self, text, expected):
        assert split_embedded_test(text) == expected

    def test_split_then_parse(self):
        date_text, result_text = split_embedded_test("1.29阴")
        r = parse_date(date_text)
        assert (r.month, r.day) == (1, 29)
        assert parse_result(result_text) == NEGATIVE


# =========================================================================== sex and text


class TestParseSex:
    @pytest.mark.parametrize("raw", ["男", "男性", " 男 ", "M", "m", "male", "Male", "Ｍ"])
    def test_male(self, raw):
        assert parse_sex(raw) == "男"

    @pytest.mark.parametrize("raw", ["女", "女性", "F", "f", "female", "FEMALE"])
    def test_female(self, raw):
        assert parse_sex(raw) == "女"

    @pytest.mark.parametrize("raw", [None, "", "未知", "X", 1])
    def test_unknown(self, raw):
        assert parse_sex(raw) is None


class TestCleanText:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (3.0, "3"),
            (3, "3"),
            (3.5, "3.5"),
            (None, ""),
            (float("nan"), ""),
            ("   ", ""),
            ("  平阳村 ", "平阳村"),
            ("阿依古丽·买买提", "阿依古丽·买买提"),  # middle dot kept
            (datetime(2022, 1, 5), "2022-01-05"),
            (datetime(2022, 1, 5, 8, 30), "2022-01-05 08:30:00"),
            (date(2022, 1, 5), "2022-01-05"),
        ],
    )
    def test_clean_text(self, raw, expected):
        assert clean_text(raw) == expected
