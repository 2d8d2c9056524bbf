"""Value codes: what other systems write for a value, read as that value.

Registration systems and web forms export codes rather than words: 性别 as
`1`/`2` (GB/T 2261.1), yes/no as 有/无 or Y/N, 风险等级 as 高风险地区. The
ones that mean the same everywhere are read here, each into the one spelling
the ledger stores (so one policy rule matches them all). Codes that differ
between systems (a test result `0`/`1`/`99`) are never guessed: they are read
through the config's `[values.FIELD]` tables (`decode_codes`), and without
one reported (`is_code`) with a message that names the table.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from taizhang.ingest.values import clean_text, is_blank, normalize_identifier, parse_sex

if TYPE_CHECKING:
    from taizhang.ingest.layout import SheetLayout


_SEX_CODES = {"1": "男", "2": "女"}  # GB/T 2261.1 (0 未知, 9 未说明: left as written)


def sex_of_cell(raw: Any) -> str | None:
    """A 性别 cell: a word (`parse_sex`) or a GB/T 2261.1 code, `1` 男, `2` 女, as
    text or a number cell. Codes only here, where the column is known to be
    性别: elsewhere a 1 or 2 says nothing about sex."""
    return parse_sex(raw) or _SEX_CODES.get(code_key(raw))


YES, NO = "是", "否"  # how yes/no fields (是否持核酸阴性证明) are stored
_YES_NO = {
    **dict.fromkeys(("是", "有", "y", "yes", "√", "✓", "✔", "持有", "已持有", "有证明"), YES),
    **dict.fromkeys(("否", "无", "無", "n", "no", "×", "✗", "✘", "没有", "沒有", "未持", "未持有",
                     "无证明"), NO),
}


def parse_yes_no(raw: Any) -> str | None:
    """是/否 from 是/否, 有/无, Y/N, yes/no (any case), √/×; None when it is none of
    them (then the text is kept as written: `1`/`0` are codes, see `[values.FIELD]`)."""
    return _YES_NO.get(code_key(raw))


_RISK_RE = re.compile(r"^([高中低])(?:风险|風險)?(?:地区|地區|区|區|等级|等級)?$")


def parse_risk_level(raw: Any) -> str | None:
    """高/中/低 from 高, 高风险, 高风险地区, 高风险区 … : one spelling, the one the
    ledger held before (the sample villages write 高/中/低, and the policy's
    rules match it); None for anything else (中高风险 …), kept as written."""
    m = _RISK_RE.match(normalize_identifier(clean_text(raw)))
    return m[1] if m else None


def code_key(raw: Any) -> str:
    """A cell's text as a code is looked up: as written less white space,
    full-width folded, any case; a number cell 1.0 reads `1`."""
    return _code_key(clean_text(raw))


@lru_cache(maxsize=65536)
def _code_key(text: str) -> str:
    return normalize_identifier(text).casefold()


_CODE_RE = re.compile(r"^[0-9a-z]{1,4}$")


def is_code(text: str) -> bool:
    """Whether unreadable cell text is a code of some system (`0`, `1`, `99`,
    `A`): those differ between systems and are never guessed (SPEC §2)."""
    return bool(_CODE_RE.match(_code_key(text)))


def coding_tables(values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The config's `[values.FIELD]` tables keyed as cells are looked up (`code_key`)."""
    return {fld: {_code_key(k): v for k, v in table.items()} for fld, table in values.items()
            if table}


def decode(table: dict[str, str] | None, raw: Any) -> Any:
    """The value a `[values.FIELD]` table (from `coding_tables`) gives the cell, else the cell."""
    if not table or is_blank(raw):
        return raw
    return table.get(code_key(raw), raw)


def decode_codes(grid: list[list[Any]], layout: SheetLayout,
                 values: dict[str, dict[str, str]]) -> None:
    """Replace coded cells of the data rows by what the config's
    `[values.FIELD]` tables say they mean, before anything is parsed, so every
    field (结果, 性别, 时段, 风险等级, 村 …) reads them like written-out values.
    A `第N次核酸` cell holding date and result is decoded when split."""
    tables = coding_tables(values)
    columns = []
    for col in layout.columns:
        fld = col.field
        if col.test_number:
            fld = {"date": "sample_date", "result": "result"}.get(col.test_part)
        elif col.temp_date is not None:
            fld = "temperature"
        if fld in tables:
            columns.append((col.index, tables[fld]))
    for r in layout.data_rows if columns else ():
        row = grid[r]
        for index, table in columns:
            if index < len(row) and not is_blank(row[index]):
                row[index] = table.get(code_key(row[index]), row[index])
