"""Files taizhang itself wrote: the mark each output carries, and how a reader knows it.

An export, a due list or a daily report put back into the inbox is not village
data: its IDs and phones are masked, its rows are taizhang's own view of the
ledger, and importing it made a second, unverified person of everyone
(issue 13). So every spreadsheet taizhang writes says so, and `files` reads
that before anything else; such a file is skipped with a note, never imported.

- xlsx: a custom document property `taizhang_output` (the kind of output), and
  the same words in the core properties' comments. Excel and WPS keep both
  when a clerk opens the file and saves it again.
- HTML (a report someone saves as .xls): a `<meta name="generator">` tag.
- CSV: nothing is added, because other tools read taizhang's CSVs byte for
  byte; a CSV is recognised by its header row, which is taizhang's own (the
  export's canonical column names in their order, or the due list's `清单`
  header with the packaged labels). A due list written with column names an
  office changed in its `labels.toml` is not recognised this way; its masked
  IDs still never key anyone (`id_masked`).
- Text (the daily report as `日报告_D.txt`): nothing can be added without the
  clerk seeing it, so it is recognised by its first line, the report's title
  (`青石镇疫情防控日报告（2022年2月1日）`, or 零报告/未报送). It is no table
  either, and would be skipped as prose; this gives the clearer note.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from taizhang.ingest.records import COLUMN_LABELS, PERSON_FIELDS

PROPERTY = "taizhang_output"  # the xlsx custom property naming the output
AUTHOR = "taizhang"

# each kind of output and its name for the clerk
OUTPUT_LABELS: dict[str, str] = {"export": "汇总台账", "due_lists": "今日名单", "daily_report": "日报告",
                                 "feedback": "问题清单", "unregistered": "未登记人员名单"}

# the header rows of taizhang's CSVs: `outputs.export.write_csv` and
# `outputs.due_lists.lists_csv` with the packaged labels (tests/test_masked.py
# writes both and checks they are recognised)
CSV_HEADERS: dict[tuple[str, ...], str] = {
    tuple(label for fld, label in COLUMN_LABELS.items() if fld in PERSON_FIELDS): "export",
    ("清单", "村（社区）", "姓名", "身份证号", "管控方案", "第几天", "应检日期", "超过应检日",
     "逾期天数", "解除日期", "应解除日期", "受阻原因", "日期", "已报次数", "时段", "体温"): "due_lists",
    # daily's 未登记人员_D.csv (`outputs.unregistered`, labels.toml [unregistered])
    ("村（社区，报送该表的村）", "姓名", "身份证号", "联系电话", "核酸记录数", "体温记录数",
     "最早出现（数据日期）", "最早出现的文件"): "unregistered",
}

_EXPORT_HEADER = next(h for h, kind in CSV_HEADERS.items() if kind == "export")
_HTML_MARK = '<meta name="generator" content="{mark}">'
_HTML_MARK_RE = re.compile(r'<meta\s+name="generator"\s+content="taizhang_output=(\w+)"', re.I)
_HEAD_RE = re.compile(r"<head\b[^>]*>", re.I)
# attribute order, namespace prefixes and declarations vary between the programs
# that save a workbook (xlsxwriter, Excel, WPS, openpyxl)
_CUSTOM_RE = re.compile(rb'<(?:\w+:)?property\b[^>]*\bname="taizhang_output"[^>]*>\s*'
                        rb"<(?:\w+:)?lpwstr\b[^>]*>(\w+)<")
_CORE_RE = re.compile(rb"<(?:\w+:)?description\b[^>]*>[^<]*taizhang_output=(\w+)")
_PROPS_BYTES = 1 << 16  # document properties are a few hundred bytes; read no more than this


def _mark(kind: str) -> str:
    return f"{PROPERTY}={kind}"


def xlsx_properties(kind: str) -> tuple[dict[str, str], str, str]:
    """What a writer passes to xlsxwriter: `set_properties(props)` and
    `set_custom_property(name, value)`."""
    props = {"title": OUTPUT_LABELS[kind], "author": AUTHOR,
             "comments": f"{_mark(kind)}：taizhang生成的{OUTPUT_LABELS[kind]}，不是村里报送的数据"}
    return props, PROPERTY, kind


def mark_html(text: str, kind: str) -> str:
    """The page with taizhang's generator tag after `<head>` (at the top when
    an office's template has no head)."""
    tag = _HTML_MARK.format(mark=_mark(kind))
    m = _HEAD_RE.search(text)
    if m is None:
        return tag + "\n" + text
    return text[:m.end()] + "\n" + tag + text[m.end():]


def xlsx_output(path: Path) -> str | None:
    """The kind of output when the workbook is taizhang's (its document
    properties say so), else None. Reads two small zip members, not the sheets."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for member, pattern in (("docProps/custom.xml", _CUSTOM_RE),
                                    ("docProps/core.xml", _CORE_RE)):
                if member in names:
                    with archive.open(member) as fh:
                        m = pattern.search(fh.read(_PROPS_BYTES))
                    if m:
                        return m[1].decode("ascii")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
        return None  # the reader reports a damaged or encrypted file with its own message
    return None


def html_output(text: str) -> str | None:
    m = _HTML_MARK_RE.search(text[:8192])
    return m[1] if m else None


# the title line of `daily_report.txt.j2` (and .md): the township, the kind of report, the date
_TEXT_TITLE_RE = re.compile(r"^#*\s*\S{0,30}疫情防控(?:日报告|零报告|未报送)（[^（）]{4,20}）\s*$")


def text_output(text: str) -> str | None:
    """"daily_report" when the first non-blank line of a text is the daily report's title."""
    for line in text.lstrip("\ufeff").splitlines()[:5]:
        if line.strip():
            return "daily_report" if _TEXT_TITLE_RE.match(line.strip()) else None
    return None


def csv_output(grid: list[list[Any]]) -> str | None:
    """The kind of output when the first non-blank row is one of taizhang's CSV headers."""
    for row in grid[:5]:
        cells = [str(v).strip() if v is not None else "" for v in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            found = CSV_HEADERS.get(tuple(cells))
            if found is None and tuple(cells[:len(_EXPORT_HEADER)]) == _EXPORT_HEADER:
                found = "export"  # followed by the unknown columns' headers (`export`)
            return found
    return None


def skip_note(name: str, kind: str) -> str:
    """The note (stderr, and `skipped` in the JSON) for a file taizhang wrote."""
    label = OUTPUT_LABELS.get(kind, "输出文件")
    return (f"{name}：这是taizhang自己生成的{label}，不是村里报送的数据，已跳过、不导入；"
            "请导入村里发来的原始表格（若村里是在此文件上填写的，请把数据复制到新表格后再发送）")
