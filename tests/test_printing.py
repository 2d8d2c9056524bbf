"""Every output prints on A4 as it comes out of taizhang (issue 16, point 2).

Read back with openpyxl / python-docx: each xlsx sheet is A4, fitted to one
page wide, repeats its header row, has a title and page numbers in its page
header/footer, and columns wide enough for the longest name (a Chinese
character counts two); the docx notices are A4 with 公文 margins (GB/T 9704);
the html report lets its long table start on the first page."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.outputs.xlsx_layout import Widths, text_width

runner = CliRunner()
DAY = "2022-02-08"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村,东溪村,桃源村,新桥社区,石门村"]).exit_code == 0
    base = ["--db", str(ws / "taizhang.db"), "--config", str(ws / "taizhang.toml"), "--as-of", DAY]
    out = ws / "printed"
    out.mkdir()
    for args in (["import", str(ROOT / "sample_data")],
                 ["due-today", "--format", "xlsx", "--out", str(out / f"今日名单_{DAY}.xlsx")],
                 ["daily-report", "--format", "xlsx", "--out", str(out)],
                 ["daily-report", "--format", "html", "--out", str(out)],
                 ["export", "--format", "xlsx", "--out", str(out / "汇总台账.xlsx")],
                 ["notice", "isolation", "--format", "docx", "--out", str(out)],
                 ["notice", "isolation", "--format", "html", "--out", str(out)]):
        result = runner.invoke(app, [*base, *args])
        assert result.exit_code == 0, (args, result.output)
    return out


def _sheets(path: Path) -> list:
    return openpyxl.load_workbook(path).worksheets


@pytest.mark.parametrize("name", [f"今日名单_{DAY}.xlsx", f"日报告_{DAY}.xlsx", "汇总台账.xlsx"])
def test_every_xlsx_sheet_prints_on_a4_one_page_wide(outputs: Path, name: str) -> None:
    sheets = _sheets(outputs / name)
    assert sheets
    for ws in sheets:
        assert ws.page_setup.paperSize == 9, ws.title
        assert ws.page_setup.orientation in ("portrait", "landscape"), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        # fitToWidth 1 is the default, which xlsxwriter leaves out; 0 pages tall = as many as it takes
        assert int(ws.page_setup.fitToWidth or 1) == 1 and int(ws.page_setup.fitToHeight) == 0, ws.title
        assert ws.print_title_rows, ws.title  # the header row on every page
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, ws.title
        assert ws.oddHeader.center.text, ws.title  # the title on every page


def test_the_repeated_rows_are_the_header_rows(outputs: Path) -> None:
    due = _sheets(outputs / f"今日名单_{DAY}.xlsx")[0]
    assert due.print_title_rows.replace("$", "") == "3:3" and due["A3"].value == "村（社区）"
    report = _sheets(outputs / f"日报告_{DAY}.xlsx")[0]
    assert report.print_title_rows.replace("$", "") == "2:2" and report["A2"].value == "村（社区）"
    export = _sheets(outputs / "汇总台账.xlsx")[0]
    assert export.print_title_rows.replace("$", "") == "1:1" and export["A1"].value == "姓名"
    assert export.page_setup.orientation == "landscape"  # two dozen columns
    assert "汇总台账" in export.oddHeader.center.text


def _width(ws, col: str) -> float:
    return ws.column_dimensions[col].width


def test_columns_are_as_wide_as_the_longest_chinese_value(outputs: Path) -> None:
    """阿依古丽·买买提 (8 characters, 16 wide) is not cut in the export."""
    export = _sheets(outputs / "汇总台账.xlsx")[0]
    names = [c.value for c in export["A"][1:] if c.value]
    assert "阿依古丽·买买提" in names
    assert _width(export, "A") >= max(text_width(n) for n in names) >= 16
    for ws in _sheets(outputs / f"今日名单_{DAY}.xlsx"):
        for column in ws.iter_cols(min_row=4):
            values = [c.value for c in column if c.value and ws.cell(c.row, 2).value]
            if values:  # not counting the village group rows, which overflow on purpose
                letter = column[0].column_letter
                assert _width(ws, letter) >= min(40, max(text_width(v) for v in values)), (ws.title, letter)


def test_text_width_counts_a_chinese_character_as_two() -> None:
    assert text_width("abc") == 3
    assert text_width("阿依古丽·买买提") == 16
    assert text_width("（第7天）") == 9
    widths = Widths(cap=20)
    for value in ("张三", "阿依古丽·买买提", "x" * 50):
        widths.see(0, value)
    widths.see(1, "李四")
    assert widths.width(0) == 20 and widths.width(1) == 6 and widths.width(2) == 6


def test_docx_notices_are_a4_with_official_document_margins(outputs: Path) -> None:
    from docx import Document
    from docx.shared import Mm

    files = sorted(outputs.glob("*.docx"))
    assert files
    for path in files:
        for section in Document(str(path)).sections:
            # .docx keeps twentieths of a point: Mm(210) reads back 0.01 mm off
            got = [section.page_width, section.page_height, section.top_margin,
                   section.bottom_margin, section.left_margin, section.right_margin]
            want = [Mm(210), Mm(297), Mm(37), Mm(35), Mm(28), Mm(26)]
            assert all(abs(g - w) < Mm(0.05) for g, w in zip(got, want, strict=True)), \
                [round(g.mm, 2) for g in got]


def _css(html: str) -> str:
    return re.search(r"<style>(.*?)</style>", html, flags=re.S)[1]


def test_the_html_report_does_not_push_its_table_to_page_two(outputs: Path) -> None:
    html = (outputs / f"日报告_{DAY}.html").read_text(encoding="utf-8")
    css = _css(html)
    before_table = html[:html.index("<table")]
    assert "page-break-before" not in before_table.split("</style>")[1]
    for rule in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        selectors, body = rule
        if re.search(r"page-break-inside:\s*avoid|break-inside:\s*avoid", body):
            assert not re.search(r"(^|[\s,])(table|tbody)\s*($|,)", selectors), selectors
        assert not re.search(r"(page-)?break-before:\s*(always|page)", body), selectors
    assert re.search(r"thead\s*\{[^}]*table-header-group", css)  # repeated on each page


def test_the_html_notices_use_official_document_margins(outputs: Path) -> None:
    html = next(outputs.glob("*告知书*.html")).read_text(encoding="utf-8")
    assert re.search(r"@page\s*\{[^}]*size:\s*A4;[^}]*margin:\s*37mm 26mm 35mm 28mm", _css(html))
