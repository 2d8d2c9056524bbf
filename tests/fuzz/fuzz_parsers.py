"""Fuzz the CSV reader and the value parsers with hypothesis for a fixed time.

    python tests/fuzz/fuzz_parsers.py --minutes 10

Not part of the test suite (it runs for minutes); the ordinary property tests
cover the same functions briefly. A crash is any exception other than the
`FileReadError` a bad file is supposed to produce; each is printed with its
input and the run ends non-zero.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import traceback
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taizhang.errors import FileReadError
from taizhang.ingest.files import read_workbook
from taizhang.ingest.ids import parse_id, parse_phone
from taizhang.ingest.layout import detect_layout
from taizhang.ingest.text import decode_text, parse_csv
from taizhang.ingest.validation import Validator
from taizhang.ingest.values import (
    parse_date,
    parse_result,
    parse_sex,
    parse_temperature,
    split_embedded_test,
)

COUNTS = {"inputs": 0, "crashes": 0}
CRASHES: list[str] = []
WORDS = ["姓名", "身份证号", "采样日期", "检测结果", "阴性", "阳", "待出", "体温", "上午", "下午", "2022-01-28",
         "1月5日", "1.29阴", "合计", "填表人：", "36.5℃", "11010519491231002X", "3.30681E+17", ",", "\"",
         "\n", "\r\n", "\t", "\x00", "喆", "·", "（", "）", "=1+2", " ", "'", "第1次核酸", "2月1日上午"]
text_parts = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=40)
SETTINGS = settings(max_examples=2000, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def record(kind: str, value: object) -> None:
    COUNTS["crashes"] += 1
    CRASHES.append(f"{kind}: {value!r}\n{traceback.format_exc()}")


@SETTINGS
@given(st.one_of(st.binary(max_size=400), text_parts.map(lambda p: "".join(p).encode("utf-8")),
                 text_parts.map(lambda p: "".join(p).encode("gb18030", errors="ignore"))))
def fuzz_decode_and_csv(data: bytes) -> None:
    COUNTS["inputs"] += 1
    try:
        text, _ = decode_text(data, None, "fuzz.csv")
        parse_csv(text)
    except FileReadError:
        pass
    except ValueError as exc:
        if "字符" not in str(exc) and "CSV" not in str(exc):
            record("csv", data)
    except Exception:
        record("csv", data)


@SETTINGS
@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True),
                 st.dates(), st.none(), st.booleans()))
def fuzz_values(raw: object) -> None:
    COUNTS["inputs"] += 1
    try:
        parse_id(raw, date(2022, 2, 8))
        parse_phone(raw)
        parse_date(raw)
        parse_temperature(raw)
        parse_sex(raw)
        if isinstance(raw, str):
            parse_result(raw)
            split_embedded_test(raw)
    except Exception:
        record("values", raw)


cell = st.one_of(st.sampled_from(WORDS), st.text(max_size=6), st.integers(-5, 50000),
                 st.floats(allow_nan=False, allow_infinity=False), st.none(), st.dates())


@SETTINGS
@given(st.lists(st.lists(cell, max_size=8), max_size=12))
def fuzz_layout(grid: list[list[object]]) -> None:
    COUNTS["inputs"] += 1
    try:
        detect_layout(grid)
    except Exception:
        record("layout", grid)


@SETTINGS
@given(text_parts, st.sampled_from([".csv", ".xlsx", ".xls"]))
def fuzz_validate_file(parts: list[str], suffix: str) -> None:
    COUNTS["inputs"] += 1
    content = "姓名,身份证号,采样日期,检测结果\n" + "".join(parts)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"平阳村{suffix}"
        path.write_bytes(content.encode("utf-8"))
        try:
            Validator(as_of=date(2022, 2, 8)).validate_file(path)
            read_workbook(path)
        except FileReadError:
            pass
        except Exception:
            record("validate_file", content)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    end = time.monotonic() + args.minutes * 60
    rounds = 0
    while time.monotonic() < end:
        for target in (fuzz_decode_and_csv, fuzz_values, fuzz_layout, fuzz_validate_file):
            target()
        rounds += 1
    print(f"rounds: {rounds}, inputs tried: {COUNTS['inputs']}, crashes: {COUNTS['crashes']}")
    for crash in CRASHES[:10]:
        print(crash)
    return 1 if COUNTS["crashes"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
