"""Tests for `taizhang.privacy`: masking of ID numbers and phones (SPEC §9)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taizhang.ingest.ids import id_check_char
from taizhang.privacy import PERSONAL_FIELDS, mask_field, mask_id, mask_phone


class TestMaskId:
    def test_18_digit(self):
        assert mask_id("330681199001011234") == "330681********1234"

    def test_18_digit_with_x(self):
        assert mask_id("11010519491231002X") == "110105********002X"

    def test_15_digit_legacy(self):
        # first 6 + 5 stars + last 4
        assert mask_id("330681900101123") == "330681******123"  # birth date 900101 hidden

    def test_17_chars_damaged(self):
        assert mask_id("11010519491231002") == "110105********002"

    def test_scientific_text(self):
        # 11 characters: first 3 + 6 stars + last 2
        assert mask_id("3.30681E+17") == "3.3******17"

    def test_eight_chars(self):
        assert mask_id("12345678") == "123***78"

    def test_seven_chars_fully_masked(self):
        assert mask_id("1234567") == "*******"

    def test_one_char(self):
        assert mask_id("1") == "*"

    def test_empty(self):
        assert mask_id("") == ""


class TestMaskPhone:
    def test_mobile(self):
        assert mask_phone("13812345678") == "138****5678"

    def test_mobile_repeated_digits(self):
        assert mask_phone("13812341234") == "138****1234"

    def test_landline_with_area_code(self):
        assert mask_phone("057587654321") == "057*******21"

    def test_eleven_digit_landline(self):
        assert mask_phone("01012345678") == "010******78"

    def test_local_landline(self):
        assert mask_phone("87654321") == "876***21"

    def test_seven_digits(self):
        assert mask_phone("1234567") == "123**67"

    def test_short_fully_masked(self):
        assert mask_phone("123456") == "******"

    def test_empty(self):
        assert mask_phone("") == ""


class TestMaskField:
    def test_personal_fields(self):
        assert frozenset({"id_number", "phone"}) == PERSONAL_FIELDS

    def test_id_number(self):
        assert mask_field("id_number", "330681199001011234") == "330681********1234"

    def test_phone(self):
        assert mask_field("phone", "13812345678") == "138****5678"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name", "张三"),
            ("village", "平阳村"),
            ("address", "青石镇平阳村3组12号"),
            ("note", "13812345678"),  # a phone-looking note is not a personal field
            ("id_number_source", "330681199001011234"),
        ],
    )
    def test_other_fields_pass_through(self, field, value):
        assert mask_field(field, value) == value


@given(
    area=st.text(alphabet="0123456789", min_size=6, max_size=6),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    seq=st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_property_masked_id_hides_birth_date(area, born, seq):
    first17 = area + born.strftime("%Y%m%d") + seq
    text = first17 + id_check_char(first17)
    masked = mask_id(text)
    assert len(masked) == 18
    assert masked[:6] == text[:6]
    assert masked[6:14] == "*" * 8
    assert masked[14:] == text[14:]
    assert text[6:14] not in masked


@given(text=st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_property_any_18_chars_hide_digits_7_to_14(text):
    masked = mask_id(text)
    assert masked == text[:6] + "********" + text[14:]
    assert text[6:14] not in masked


@given(rest=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_property_masked_mobile_hides_middle_four(rest):
    phone = "1" + rest
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[7:]
    assert len(masked) == 11


@given(text=st.text(alphabet="0123456789", max_size=30))
def test_property_masks_preserve_length(text):
    assert len(mask_id(text)) == len(text)
    assert len(mask_phone(text)) == len(text)
    # Never the whole value back, unless there was nothing to hide.
    if text:
        assert mask_id(text) != text
        assert mask_phone(text) != text
