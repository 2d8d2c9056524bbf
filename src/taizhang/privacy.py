"""Masking of ID numbers and phones (SPEC §9, 个人信息保护法).

Every output path calls these unless the user passed `--no-mask`; messages and
logs never contain the full values in the first place.
"""

from __future__ import annotations

PERSONAL_FIELDS = frozenset({"id_number", "phone"})


def mask_id(text: str) -> str:
    """`330681199001011234` -> `330681********1234`; short or damaged values
    keep at most their first 3 and last 2 characters."""
    if not text:
        return text
    if len(text) >= 18:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) >= 15:  # legacy numbers: hide the whole birth date (digits 7-12)
        return text[:6] + "*" * (len(text) - 9) + text[-3:]
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 5) + text[-2:]
    return "*" * len(text)


def mask_phone(text: str) -> str:
    """`13812345678` -> `138****5678`; landlines keep their area code and last 2 digits."""
    if not text:
        return text
    if len(text) == 11 and text.startswith("1"):
        return text[:3] + "****" + text[-4:]
    if len(text) >= 7:
        return text[:3] + "*" * (len(text) - 5) + text[-2:]
    return "*" * len(text)


def mask_field(field: str, value: str) -> str:
    """Mask `value` when `field` holds personal data; other fields pass through."""
    if field == "id_number":
        return mask_id(value)
    if field == "phone":
        return mask_phone(value)
    return value
