"""Files to cell grids: which files to read, what format each really is, and
reading .xlsx / .xls workbooks (CSV text is read in `text`, HTML tables in `html`).

The format is decided by the file's content, not its name, because web systems
export CSV or HTML as `.xls`; a name that lies gets a warning. A file taizhang
wrote itself (`own`) is recognised here and its rows are not returned, because
it is not village data. Cells keep their
types (python-calamine gives str, int, float, bool, date, datetime), because an
ID number in a number cell is already damaged and must be reported as such.
A workbook whose sheets hold more cells than memory allows is refused before
the reader allocates them (`extent.check_xlsx_extent`, which counts the cells
present and ignores the size a sheet declares).

python-calamine was chosen over openpyxl after measuring both (see README,
"Reader choice"): about 10× faster on .xlsx, and it reads .xls, merged ranges
and sheet visibility too.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taizhang.errors import FileReadError, os_error_text
from taizhang.ingest.extent import MAX_CELLS, check_xlsx_extent
from taizhang.ingest.html import read_html
from taizhang.ingest.own import csv_output, html_output, skip_note, text_output, xlsx_output
from taizhang.ingest.regular import skip_special
from taizhang.ingest.text import decode_text, parse_csv

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".csv", ".txt")
ARCHIVE_SUFFIXES = (".zip",)
# never tables, also when named explicitly: documents, pictures, media, other archives
NOT_TABLE_SUFFIXES = frozenset(
    ".doc .docx .wps .pdf .ppt .pptx .jpg .jpeg .png .gif .bmp .webp .heic .tif .tiff .mp3 .mp4 "
    ".amr .m4a .wav .avi .mov .rar .7z .gz .exe .lnk .ini .db .url .json .md".split())
_SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})
_TEXT_PROBE = 1 << 16  # a .txt is judged by its first 64 KB
_TEXT_ROWS = 200

Merged = tuple[tuple[int, int], tuple[int, int]]


@dataclass(slots=True)
class RawSheet:
    """One sheet as a grid of cells; `grid[r][c]` is Excel row r+1, column c+1."""

    name: str
    grid: list[list[Any]]
    merged: list[Merged] = field(default_factory=list)


@dataclass(slots=True)
class RawWorkbook:
    path: Path
    format: str  # "xlsx", "xls", "csv" or "html"
    sheets: list[RawSheet]
    notes: list[str] = field(default_factory=list)  # warnings for the clerk
    encoding: str | None = None
    output: str | None = None  # the kind of output when taizhang wrote the file (see `own`)


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_SUFFIX_FORMAT = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".et": "xls", ".csv": "csv",
                  ".txt": "csv", ".htm": "html", ".html": "html"}
_FORMAT_LABEL = {"xlsx": "Excel 2007+ (.xlsx)", "xls": "Excel 97-2003 (.xls)",
                 "csv": "CSV文本", "html": "网页表格(HTML)"}


@dataclass(slots=True)
class Inputs:
    """What a folder holds: files to read, archives to open, and the rest."""

    files: list[Path]  # spreadsheets and .zip archives (`is_archive`), in a stable order
    skipped: list[tuple[Path, str]]  # not a table: the file and the note for the clerk
    notes: list[str]


def find_input_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The spreadsheets to read (folders searched recursively), and notes.

    Archives are opened by `import` only (`scan_inputs`, `archives`); files
    that are no table are left out here."""
    found = scan_inputs(paths)
    return [p for p in found.files if not is_archive(p)], found.notes


def scan_inputs(paths: list[Path]) -> Inputs:
    """Expand folders recursively, in a stable order, deciding for each file
    whether it is read, opened (a .zip) or skipped with a note (SPEC §2).

    In a folder, a file is read by its extension (.txt only when its text is a
    table, `text_note`); every other file — .docx, .pdf, pictures, Thumbs.db —
    is listed once as skipped, never failed. A file named explicitly is
    treated the same, except that one with an extension taizhang does not know
    is read by its content (a village file may come without one). Excel's lock
    files (`~$name.xlsx`) are a note; hidden files (`.name`) are passed over.
    """
    found = Inputs([], [], [])
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file() or child.name.startswith("."):
                    continue
                if child.name.startswith("~$"):
                    if child.suffix.lower() in SPREADSHEET_SUFFIXES:
                        found.notes.append(f"{child}：Excel临时锁文件，已跳过")
                    continue
                _place(child, found, loose=True)
        elif not skip_special(path, found.notes):  # a FIFO or device would block the read forever
            _place(path, found, loose=False)
    return found


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in ARCHIVE_SUFFIXES


def not_table_note(name: str) -> str:
    return f"{name}：不是表格文件，已跳过"


def _place(path: Path, found: Inputs, loose: bool) -> None:
    suffix = path.suffix.lower()
    if is_archive(path):
        found.files.append(path)
    elif suffix == ".txt":
        if (note := text_note(path, path.name)) is None:
            found.files.append(path)
        else:
            found.skipped.append((path, note))
    elif suffix in SPREADSHEET_SUFFIXES or not (
            loose or suffix in NOT_TABLE_SUFFIXES or path.name.lower() in _SYSTEM_FILES):
        found.files.append(path)
    elif suffix in (".htm", ".html") and (kind := _html_kind(path)) is not None:
        found.skipped.append((path, skip_note(path.name, kind)))  # taizhang's own report
    else:
        found.skipped.append((path, not_table_note(path.name)))


def _html_kind(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    return html_output(_probe_text(head))


def text_note(path: Path, name: str) -> str | None:
    """None when a .txt file is a table (CSV saved as .txt, read as CSV);
    otherwise why it is skipped: a text of sentences (说明.txt), an empty
    file, taizhang's own text report, or binary data.

    A table is a text whose rows, split by one delimiter (comma, tab,
    semicolon or |), mostly have two or more cells, most of them as many as
    the commonest row: a 填表说明 in sentences has none of that (Chinese
    prose uses full-width ，；). A file that cannot be opened is left to the
    reader, which says why."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_TEXT_PROBE)
    except OSError:
        return None
    if not head.strip():
        return f"{name}：空白的文本文件，不是表格，已跳过"
    fmt = sniff_format(head)
    if fmt == "binary":
        return not_table_note(name)
    if fmt != "csv":
        return None  # an Excel workbook or an HTML table named .txt: read by its content
    if len(head) == _TEXT_PROBE:
        head = head[:head.rfind(b"\n") + 1] or head  # no character cut in two
    text = _probe_text(head)
    if (kind := text_output(text)) is not None:
        return skip_note(name, kind)
    return None if _looks_tabular(text) else (
        f"{name}：不是表格文件（是一段文字说明，没有按逗号或制表符分列的表格），已跳过")


def _probe_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _looks_tabular(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()][:_TEXT_ROWS]
    if not lines:
        return False
    for delimiter in (",", "\t", ";", "|"):
        counts = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter))
        wide = [n for width, n in counts.items() if width >= 2]
        # most rows split into two or more cells, and many of them into as many as the commonest
        if sum(wide) * 2 > len(lines) and max(wide) * 5 >= len(lines) * 2:
            return True
    return False


def read_workbook(path: Path, encoding: str | None = None) -> RawWorkbook:
    """Read every visible sheet of a file; raise FileReadError when it cannot be read."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:  # missing, no permission, held open in Excel/WPS, a disk fault
        raise FileReadError(str(path), os_error_text(exc)) from None
    if size == 0:
        raise FileReadError(str(path), "文件为空（0字节），请让村里重新发送")

    fmt = sniff_format(head)
    if fmt == "binary":
        raise FileReadError(str(path), "不是表格文件（内容是二进制数据），请确认发来的是Excel或CSV")
    notes: list[str] = []
    expected = _SUFFIX_FORMAT.get(path.suffix.lower())
    if expected is not None and expected != fmt and {expected, fmt} != {"xls", "ole"}:
        real = _FORMAT_LABEL.get(fmt if fmt != "ole" else "xls", fmt)
        notes.append(f"{path.name}：扩展名是{path.suffix}，但内容是{real}，已按实际内容读取")

    if fmt == "xlsx":
        output = xlsx_output(path)
        if output is not None:  # taizhang's own workbook: its sheets are not read at all
            return RawWorkbook(path, "xlsx", [], notes, output=output)
        check_xlsx_extent(path)
    if fmt in ("xlsx", "ole"):
        book = _read_excel(path, fmt)
    else:
        text, used = decode_text(path.read_bytes(), encoding, str(path))
        if "\x00" in text:
            raise FileReadError(str(path), "文件中含有NUL空字符，不是正常的CSV文本，可能已损坏")
        if fmt == "html":
            if (output := html_output(text)) is not None:
                return RawWorkbook(path, "html", [], notes, used, output)
            try:
                tables = read_html(text)
            except ValueError as exc:  # spans out of proportion to the cells present
                raise FileReadError(str(path), str(exc)) from None
            sheets = [RawSheet(name, grid, merged) for name, grid, merged in tables]
            book = RawWorkbook(path, "html", sheets, encoding=used)
        else:
            try:
                grid = parse_csv(text, stray := [])
                notes.extend(f"{path.name}：{n}" for n in stray)
            except ValueError as exc:
                raise FileReadError(str(path), f"{exc}，不是正常的台账表格，请检查文件") from None
            if (output := csv_output(grid)) is not None:
                return RawWorkbook(path, "csv", [], notes, used, output)
            book = RawWorkbook(path, "csv", [RawSheet(path.stem, grid)], encoding=used)
            if used == "mixed":
                notes.append(f"{path.name}：文件中既有UTF-8也有GBK编码的行（可能是拼接而成），已逐行识别，"
                             "请核对中文是否正确")
    book.notes[:0] = notes
    if not any(any(_filled(v) for v in row) for sheet in book.sheets for row in sheet.grid):
        raise FileReadError(str(path), "没有可读取的数据（所有工作表都是空的）")
    return book


def sniff_format(head: bytes) -> str:
    """"xlsx" (zip), "ole" (xls or an encrypted xlsx), "html", "csv" or "binary"."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    probe = head[:4096].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or (
        b"<table" in probe[:2048] and probe.startswith(b"<")
    ):
        return "html"
    if b"\x00" in head:
        return "binary"
    return "csv"


def _read_excel(path: Path, fmt: str) -> RawWorkbook:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    name = str(path)
    if fmt == "ole" and _is_encrypted_ooxml(path):
        raise FileReadError(name, "文件设置了打开密码，请在Excel中取消密码后另存再发送")
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise FileReadError(name, "文件设置了打开密码，请在Excel中取消密码后另存再发送") from None
    except (CalamineError, OSError, ValueError) as exc:
        if fmt == "xlsx" and not zipfile.is_zipfile(path):
            raise FileReadError(
                name, "文件已损坏或不完整（可能没有传完），请让村里重新发送"
            ) from None
        raise FileReadError(name, f"无法读取Excel文件（{_short(exc)}），请用Excel打开后另存为.xlsx") from None
    sheets: list[RawSheet] = []
    notes: list[str] = []
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.visible).rsplit(".", 1)[-1] != "Visible":
                notes.append(f"{path.name}：隐藏工作表“{meta.name}”已跳过（如需读取请先取消隐藏）")
                continue
            if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                continue  # chart sheets and macro sheets hold no rows
            sheet = workbook.get_sheet_by_name(meta.name)
            # to_python pads from A1 to the last cell with a value (.xls has no
            # XML to scan before: 65,536 × 256 cells at most, under the limit)
            rows, cols = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
            if rows * cols > MAX_CELLS:
                raise FileReadError(
                    name,
                    f"工作表“{meta.name}”的单元格一直用到第{rows:,}行、第{cols:,}列，超过"
                    f"{MAX_CELLS:,}个单元格的上限，可能是损坏文件；请删除多余的空行空列后另存",
                )
            grid = sheet.to_python(skip_empty_area=False)
            merged = _clip_merged(grid, sheet.merged_cell_ranges or [], name, meta.name)
            sheets.append(RawSheet(meta.name, grid, merged))
    except PasswordError:
        raise FileReadError(name, "文件设置了密码保护，请取消密码后另存再发送") from None
    except (CalamineError, ValueError) as exc:
        raise FileReadError(name, f"读取工作表时出错（{_short(exc)}），文件可能已损坏") from None
    finally:
        workbook.close()
    return RawWorkbook(path, "xls" if fmt == "ole" else "xlsx", sheets, notes)


def _clip_merged(grid: list[list[Any]], ranges: list[Any], name: str, sheet: str) -> list[Merged]:
    """Merged ranges cut to the cells the sheet has (a range may reach
    XFD1048576 over a sheet of ten rows); refused when they cover the sheet
    more than twice over, which Excel never writes (merged ranges do not
    overlap) and which would make filling them cost minutes."""
    height, width = len(grid), max((len(row) for row in grid), default=0)
    merged: list[Merged] = []
    covered = 0
    for (r1, c1), (r2, c2) in ranges:
        r2, c2 = min(r2, height - 1), min(c2, width - 1)
        if r1 > r2 or c1 > c2:
            continue
        merged.append(((r1, c1), (r2, c2)))
        covered += (r2 - r1 + 1) * (c2 - c1 + 1)
    if covered > 2 * height * width + 10_000:
        raise FileReadError(
            name, f"工作表“{sheet}”的{len(merged):,}个合并单元格区域互相重叠，共覆盖{covered:,}个单元格"
            f"（表格只有{height * width:,}个），可能是损坏或恶意文件；请在Excel中取消合并单元格后另存再发送")
    return merged


def _is_encrypted_ooxml(path: Path) -> bool:
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if _ENCRYPTED_MARK in chunk:
                return True
    return False


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def _filled(value: Any) -> bool:
    return value is not None and value != "" and not (isinstance(value, str) and not value.strip())
