"""Worksheet names from data (issue 15, cause 6).

`export --format xlsx` writes a 全镇 sheet and one sheet per village. A village
named 全镇 made it loop forever (its rows were appended to the 全镇 list being
read); villages `abc` and `ABC` crashed it (Excel compares sheet names with
case ignored). Every sheet name is now valid for Excel — at most 31 characters
(UTF-16 units), none of []:*?/\\, no apostrophe at either end, not History —
and unique with case ignored, a clash numbered `全镇(2)`, in the order the
sheets are written: the same ledger gives the same names.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from conftest import make_id

from taizhang.outputs.export import sheet_name

LONG = "青石镇平阳村第一网格第二小组返乡人员临时安置点东区一号楼二单元三楼北侧"  # 37 characters


def sheet_names(path: Path) -> list[str]:
    import re

    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode("utf-8")
    return [re.sub("&amp;", "&", n) for n in re.findall(r'<sheet name="([^"]*)"', book)]


def export(tmp_path: Path, villages: list[str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Import one person per village (CSV, 村 column) and export as xlsx, in a
    child process with a timeout: the bug was an endless loop."""
    rows = ["姓名,身份证号,村,返乡日期"]
    for i, village in enumerate(villages):
        cell = '"' + village.replace('"', '""') + '"'
        rows.append(f"人{i},{make_id(seq=f'{i:03d}')},{cell},2022-02-01")
    (tmp_path / "登记.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    db, out = tmp_path / "t.db", tmp_path / "汇总.xlsx"
    tz = [sys.executable, "-m", "taizhang", "--db", str(db), "--as-of", "2022-02-08"]
    subprocess.run([*tz, "import", str(tmp_path / "登记.csv")], capture_output=True, text=True,
                   timeout=120, check=False)
    done = subprocess.run([*tz, "export", "--format", "xlsx", "--out", str(out)], capture_output=True,
                          text=True, timeout=60, check=False)
    return done, out


def valid(name: str) -> bool:
    return (0 < len(name.encode("utf-16-le")) // 2 <= 31 and not any(c in name for c in "[]:*?/\\")
            and not name.startswith("'") and not name.endswith("'"))


def test_a_village_named_like_the_township_sheet(tmp_path: Path) -> None:
    done, out = export(tmp_path, ["全镇", "平阳村"])
    assert done.returncode == 0, done.stderr
    assert sheet_names(out) == ["全镇", "全镇(2)", "平阳村"]


def test_villages_equal_with_case_ignored_and_an_empty_one(tmp_path: Path) -> None:
    done, out = export(tmp_path, ["abc", "ABC", "", "Abc", "村名未知"])
    assert done.returncode == 0, done.stderr
    # no village and 村名未知 are one sheet, as they are one line of the report;
    # villages in the ledger's order (ABC < Abc < abc)
    assert sheet_names(out) == ["全镇", "村名未知", "ABC", "Abc(2)", "abc(3)"]


def test_long_forbidden_and_cleaned_alike_names(tmp_path: Path) -> None:
    villages = [LONG, LONG + "西区", "平阳/村", "平阳:村", "'引号'", "History", "[*?]"]
    done, out = export(tmp_path, villages)
    assert done.returncode == 0, done.stderr
    names = sheet_names(out)
    assert all(valid(n) for n in names), names
    assert len({n.casefold() for n in names}) == len(names)
    assert names == ["全镇", "引号", "History(2)", "____", "平阳_村", "平阳_村(2)", LONG[:31], LONG[:28] + "(2)"]


@pytest.mark.parametrize(("name", "expected"), [
    ("", "村名未知"),
    ("'", "村名未知"),
    ("a\nb", "a_b"),
    ("😀" * 20, "😀" * 15),  # 31 UTF-16 units at most: 15 of these are 30
    ("x" * 30 + "'y", "x" * 30),  # cut, then no apostrophe at the end
])
def test_sheet_name_alone(tmp_path: Path, name: str, expected: str) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "b.xlsx"))
    assert sheet_name(book, name) == expected
    book.add_worksheet(sheet_name(book, name))
    again = sheet_name(book, name.upper())
    assert again != expected and valid(again)
    book.add_worksheet(again)
    book.close()


def test_the_other_workbooks_survive_office_labels(tmp_path: Path) -> None:
    """Due lists and the report name their sheets from labels.toml, which an
    office may edit: two lists called alike, or a name too long, still give a
    workbook."""
    from taizhang.outputs.due_lists import LIST_KEYS, write_lists_xlsx
    from taizhang.outputs.templating import load_labels

    labels = load_labels(None)
    labels["lists"] = {key: ("今日名单" if i % 2 else "今日名单/" + LONG) for i, key in enumerate(LIST_KEYS)}
    lists = {"date": "2022-02-08", **{key: [] for key in LIST_KEYS}}
    write_lists_xlsx(lists, tmp_path / "d.xlsx", "青石镇", {}, labels)
    names = sheet_names(tmp_path / "d.xlsx")
    assert len(names) == len(LIST_KEYS) and len({n.casefold() for n in names}) == len(names)
    assert all(valid(n) for n in names), names
