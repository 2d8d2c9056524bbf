"""Whether a .xlsx can be handed to the reader, judged by what its sheets
hold, never by what they declare (SPEC §2: "A declared sheet size … is no
reason to refuse a file: only the cells actually present count").

python-calamine allocates one cell for every position from A1 to the farthest
cell with a value, and inflates each sheet's XML and the shared strings whole:
a few KB holding a cell at XFD1048576 would need hundreds of GB and abort the
process. LibreOffice and WPS, on the other hand, declare `<dimension
ref="A1:AMJ1048576"/>` for a sheet of 14 rows, and calamine ignores it (reads
14 rows in a millisecond), so the declaration is no evidence either way.

The sheet XML is streamed in pieces with a byte budget and its cell elements
are counted and located with byte-level searches (a 80 MB sheet of 1.5 million
cells costs about 0.4 s on top of the 2.2 s calamine needs to read it).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from taizhang.errors import FileReadError

MAX_CELLS = 20_000_000  # refuse a sheet whose cells span more positions than this (cell bombs)
MAX_XML_BYTES = 512 << 20  # refuse sheet or shared-strings XML that inflates past this (zip bombs)
_CHUNK = 4 << 20  # sheet XML is scanned in pieces of this size


class _Refused(Exception):
    """XML that inflates past MAX_XML_BYTES; `args[0]` is how far it got."""


@lru_cache(maxsize=8)
def _patterns(prefix: bytes) -> dict[str, re.Pattern[bytes]]:
    """The scan's patterns for sheet XML whose elements carry `prefix` (b"" or
    b"x:", as the .NET Open XML SDK writes). References are `[A-Z]+[0-9]+`,
    never bounded, so a reference past XFD1048576 cannot slip past."""
    x = re.escape(prefix)
    c = rb"<" + x + rb"c r=[\"']"
    return {
        # the rare references: a column from AA, or a row from 100000
        "far": re.compile(c + rb"([A-Z]{2,}|[A-Z](?=[0-9]{6}))([0-9]+)"),
        "row5": re.compile(c + rb"[A-Z]+[0-9]{5}[\"']"),
        "row4": re.compile(c + rb"[A-Z]+[0-9]{4}[\"']"),
        "ref": re.compile(c + rb"([A-Z]+)([0-9]+)"),  # every reference: the exact pass
        "bare": re.compile(rb"<" + x + rb"c(?:>|/>| (?!r=))"),  # a cell without a reference
        "row_tag": re.compile(rb"<" + x + rb"row r=[\"']([0-9]+)"),
    }


def _pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's XML in pieces cut before a `<`, so no tag is split, while
    the inflated size is held to MAX_XML_BYTES (the size the zip declares is
    checked first, then the bytes actually inflated)."""
    if info.file_size > MAX_XML_BYTES:
        raise _Refused(info.file_size)
    total, carry = 0, b""
    with archive.open(info) as fh:
        while block := fh.read(_CHUNK):
            total += len(block)
            if total > MAX_XML_BYTES:
                raise _Refused(total)
            data = carry + block
            cut = data.rfind(b"<")
            if cut <= 0:  # no tag starts here (or one tag fills it): nothing to keep back
                carry = b""
                yield data
            else:
                carry = data[cut:]
                yield data[:cut]
    if carry:
        yield carry


def _sheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int, int]:
    """(rows, columns, cells): the rectangle from A1 the reader would allocate
    for the cells present, and how many cell elements there are.

    A cell counts wherever it is, with or without a value (so the figure is
    never below what the reader allocates); empty `<row>` tags and the
    declared `<dimension>` do not. The first pass is cheap: exact for rows
    from 100000 and columns from AA, a bound for the rest (99999 rows when a
    5-digit row appears); only when that bound is over MAX_CELLS is every
    reference read, and only cells without a reference need `_unreferenced`."""
    pats: dict[str, re.Pattern[bytes]] = {}
    prefix = b""
    cells = rows = bound = cols = 0
    bare = False
    for data in _pieces(archive, info):
        if not pats:
            m = re.search(rb"<(\w+:)?worksheet[\s>]", data)
            prefix = (m.group(1) or b"") if m else b""
            pats = _patterns(prefix)
        plain = data.count(b"<" + prefix + b"c r=")
        cells += plain
        # other tags start with <c too (<cols>, <cfRule>): look closer only then
        if data.count(b"<" + prefix + b"c") > plain and pats["bare"].search(data):
            bare = True
            cells += (data.count(b"<" + prefix + b"c ") - plain + data.count(b"<" + prefix + b"c>")
                      + data.count(b"<" + prefix + b"c/>"))
        for letters, digits in pats["far"].findall(data):
            rows, cols = max(rows, int(digits)), max(cols, _col_number(letters))
        if plain and bound < 99999:
            bound = 99999 if pats["row5"].search(data) else max(
                bound, 9999 if pats["row4"].search(data) else 999)
            cols = max(cols, 26)
    rows = max(rows, bound)
    if rows * cols > MAX_CELLS:  # the bound is too coarse to refuse on: every reference
        rows = cols = 0
        for data in _pieces(archive, info):
            refs = pats["ref"].findall(data)
            if refs:
                rows = max(rows, max(int(r) for _, r in refs))
                cols = max([cols, *(_col_number(x) for x in {c for c, _ in refs})])
    if bare:
        more_rows, last_tag, more_cols = _unreferenced(archive, info, prefix, pats["row_tag"])
        rows, cols = max(rows, last_tag) + more_rows, cols + more_cols
    return rows, cols, cells


def _unreferenced(archive: zipfile.ZipFile, info: zipfile.ZipInfo, prefix: bytes,
                  row_tag: re.Pattern[bytes]) -> tuple[int, int, int]:
    """For cells without an `r` reference, which follow the cell before them:
    (rows without a reference, the last numbered row, the most such cells in
    one row), so each widens its row by one and each such row adds one."""
    tag, ref = b"<" + prefix + b"c ", b"<" + prefix + b"c r="
    bare = (b"<" + prefix + b"c>", b"<" + prefix + b"c/>")
    row_open = b"<" + prefix + b"row"
    rows = last_tag = widest = current = 0
    for data in _pieces(archive, info):
        rows += data.count(row_open + b">") + data.count(row_open + b" ") - data.count(
            row_open + b" r=")
        last_tag = max([last_tag, *map(int, row_tag.findall(data))])
        for i, piece in enumerate(data.split(row_open)):
            n = piece.count(tag) - piece.count(ref) + piece.count(bare[0]) + piece.count(bare[1])
            current = current + n if i == 0 else n
            widest = max(widest, current)
    return rows, last_tag, widest


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _column_letters(n: int) -> str:
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_xlsx_extent(path: Path) -> None:
    """Refuse a workbook the reader cannot take safely, judged by what its
    sheets hold, never by what they declare.

    The reader allocates one cell for every position from A1 to the farthest
    cell present, so a few bytes holding a cell at XFD1048576 would need
    hundreds of GB and abort the process; and it inflates every sheet's XML
    and the shared strings whole. So a sheet is refused when its cells span
    more than MAX_CELLS positions or number more than MAX_CELLS, and any XML
    member when it inflates past MAX_XML_BYTES. Every XML member is scanned,
    not only `xl/worksheets/`, because the workbook may place a sheet
    anywhere (other members hold no `<c r=` cells, or only real ones). The
    declared `<dimension ref>` is not read: LibreOffice and WPS declare
    A1:AMJ1048576 for a sheet of 14 rows, and a bomb may declare A1:B2.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # the reader reports a damaged file with its own message
    name = str(path)
    with archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith((".xml", ".rels")):
                continue
            try:
                rows, cols, cells = _sheet_extent(archive, info)
            except _Refused as exc:
                raise FileReadError(
                    name, f"表格内容解压后超过{MAX_XML_BYTES >> 20}MB（{exc.args[0] >> 20}MB以上），可能是"
                    "损坏或恶意文件（压缩炸弹）；如确是正常台账，请按村或按日期拆成几个文件后再发送") from None
            except RuntimeError:  # an encrypted zip member
                raise FileReadError(name, "文件设置了密码保护，请取消密码后另存再发送") from None
            except NotImplementedError:
                raise FileReadError(name, "文件的压缩方式不受支持，请用Excel打开后另存为.xlsx") from None
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
                raise FileReadError(name, "文件已损坏（压缩内容校验失败），请让村里重新发送") from None
            if rows * cols > MAX_CELLS:
                raise FileReadError(
                    name, f"工作表的单元格从A1一直用到{_column_letters(cols)}{rows}（{rows:,}行×{cols:,}列），"
                    f"超过{MAX_CELLS:,}个单元格的上限，可能是损坏或恶意文件；请在Excel中删除多余的空行"
                    "空列后另存")
            if cells > MAX_CELLS:
                raise FileReadError(
                    name, f"工作表有{cells:,}个单元格，超过{MAX_CELLS:,}个单元格的上限，可能是损坏或恶意"
                    "文件；请按村或按日期拆成几个文件后再发送")
