"""Whether a .xlsx can be handed to the reader, judged by what its parts
hold, never by what they declare (SPEC §2: "A declared sheet size … is no
reason to refuse a file: only the cells actually present count").

python-calamine allocates one cell for every position from A1 to the farthest
cell with a value, copies a shared string into every cell that refers to it,
and keeps every shared string and merged range: a few KB holding a cell at
XFD1048576, or a long text referred to by a million cells, would need hundreds
of GB. LibreOffice and WPS, on the other hand, declare `<dimension
ref="A1:AMJ1048576"/>` for a sheet of 14 rows, and calamine ignores it, so the
declaration is no evidence either way. Whatever slips past these checks still
costs one failed file only: files are read in a worker process under a memory
and a time limit (`sandbox`).

Each XML part is streamed with a byte budget. Parts written the way Excel,
WPS, LibreOffice, openpyxl and xlsxwriter write them (every cell `<c r="A1"`,
references in capitals, one spelling of the `c` element) are measured with
byte counts, about 0.3 s for a sheet of 1.5 million cells; any other
spelling (another attribute order, quotes, whitespace or prefix, lower-case
references, cells without `r`, a tag longer than a piece) is read by an XML
parser (expat) with the reader's rules: namespaces, attribute order and case
do not matter there.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from xml.parsers import expat

from taizhang.errors import FileReadError
from taizhang.ingest.cell_refs import col_number, column_letters, far_references, odd_cell, two_letters_after

MAX_CELLS = 20_000_000  # refuse a sheet whose cells span more positions than this (cell bombs)
MAX_XML_BYTES = 512 << 20  # refuse an XML part that inflates past this (zip bombs)
MAX_TEXT_BYTES = 512 << 20  # refuse shared-string text the cells would copy past this
STRING_SLACK = 100_000  # shared strings allowed beyond one per cell present
MERGE_SLACK = 10_000  # merged ranges allowed beyond one per cell present
_CHUNK = 4 << 20  # XML is scanned in pieces of this size
_SPACES = bytes.maketrans(b"\t\n\r", b"   ")  # XML whitespace, as the reader takes it
_ROOTS = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_REFERENCE = re.compile(rb"([A-Z]+)([0-9]+)")
_OTHER_ENCODING = re.compile(rb"encoding=[\"'](?![Uu][Tt][Ff]-?8[\"'])")
_PLAIN_CELL = re.compile(rb"<c[ />]")
_PLACE = re.compile(r"([A-Za-z]+)([0-9]+)")
_ANY_PREFIX_CELL = re.compile(rb":c[ />]")


class _Refused(Exception):
    """XML that inflates past MAX_XML_BYTES; `args[0]` is how far it got."""


class _Irregular(Exception):
    """A part not written the usual way: read it with the XML parser."""


@dataclass(slots=True)
class _Part:
    """What one XML part holds: the rectangle from A1 its cells span, how
    many cells, string cells and merged ranges, and (shared strings) how many
    strings and each one's length in bytes of XML."""

    name: str
    rows: int = 0
    cols: int = 0
    cells: int = 0
    string_cells: int = 0
    merges: int = 0
    strings: int = 0
    lengths: list[int] = field(default_factory=list)
    prefix: bytes = b""
    parsed: bool = False  # read by the XML parser


def _pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cut: bool = True) -> Iterator[bytes]:
    """A part's XML in pieces while the inflated size is held to
    MAX_XML_BYTES (the declared size is checked first, then the bytes
    inflated). With `cut`, a piece ends before a `<`, so no tag is split;
    a run without `<` longer than a piece is irregular."""
    if info.file_size > MAX_XML_BYTES:
        raise _Refused(info.file_size)
    total, carry = 0, b""
    with archive.open(info) as fh:
        while block := fh.read(_CHUNK):
            total += len(block)
            if total > MAX_XML_BYTES:
                raise _Refused(total)
            if not cut:
                yield block
                continue
            data = carry + block
            at = data.rfind(b"<")
            if at <= 0:  # one tag or text so far: keep it whole, up to two pieces
                if len(data) > 2 * _CHUNK:
                    raise _Irregular
                carry = data
                continue
            carry = data[at:]
            yield data[:at]
    if carry:
        yield carry


def _is_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Parts that could be XML to the reader, whatever they are called."""
    with archive.open(info) as fh:
        head = fh.read(64)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or head[:2] in (
        b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]


def _count(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Part:
    """The part measured with byte counts; `_Irregular` when a cell, a
    reference or an attribute is spelled another way than `<c r="A1"`."""
    part = _Part(info.filename)
    small = False
    root = b""
    widest = b""  # the widest two-letter column seen
    for n, raw in enumerate(_pieces(archive, info)):
        if n == 0:
            if b"\x00" in raw[:4096] or _OTHER_ENCODING.search(raw[:200]):
                raise _Irregular  # UTF-16 or another encoding
            body = re.sub(rb"<[?!][^>]*>", b"", raw[:8192], count=8)
            first = _ROOTS.search(body)
            part.prefix, root = ((first.group(1) or b""), first.group(2)) if first else (b"", b"")
        p = part.prefix
        # XML whitespace is a space to the reader; real files have it only in the prolog
        t = raw.translate(_SPACES) if any(raw.find(w, 256) >= 0 for w in b"\t\n\r") else raw
        cells = t.count(b"<" + p + b'c r="')
        if (t.count(b"<" + p + b"c ") != cells or odd_cell(p).search(t)
                or t.count(b' r="') != cells + t.count(b"<" + p + b'row r="')
                or (b"'" in t and b"='" in t) or b" r " in t):  # `r='A1'`, `r = "A1"`
            raise _Irregular
        if p:  # cells spelled with another prefix, or none
            if _PLAIN_CELL.search(t) or len(_ANY_PREFIX_CELL.findall(t)) != cells:
                raise _Irregular
        elif _ANY_PREFIX_CELL.search(t):
            raise _Irregular
        part.cells += cells
        found = 0
        for ref in far_references(p).findall(t):
            m = _REFERENCE.fullmatch(ref)
            if m is None:
                raise _Irregular  # lower case, or what the reader refuses anyway
            found += 1
            part.rows, part.cols = max(part.rows, int(m[2])), max(part.cols, col_number(m[1]))
        # two-letter columns (a temperature sheet's AA…): the widest, found by
        # searching only for a column past the widest so far, not by reading
        # every reference (a county: 9 s of 15, then 2.6 of 9 ms a workbook)
        pos = 0
        while (after := two_letters_after(p, widest)) is not None and (
                m := after.search(t, pos)) is not None:
            widest, pos = m[1], m.end()
        small = small or found < cells
        if cells:
            part.string_cells += t.count(b' t="s"')
        if root == b"worksheet":
            part.merges += t.count(b"<" + p + b"mergeCell ") + t.count(b"<" + p + b"mergeCell/")
        elif root == b"sst":
            part.strings += t.count(b"<" + p + b"si>") + t.count(b"<" + p + b"si ")
    if widest:
        part.cols = max(part.cols, col_number(widest))
    if small:  # the unread references' rows are at most 99999, their columns counted
        part.rows, part.cols = max(part.rows, 99999), max(part.cols, 26)
        if part.rows * part.cols > MAX_CELLS:  # too coarse to refuse on: every reference
            part.rows = part.cols = 0
            pattern = re.compile(b"<" + re.escape(part.prefix) + rb'c r="([A-Z]+)([0-9]+)"')
            for raw in _pieces(archive, info):
                refs = pattern.findall(raw)
                if refs:
                    part.rows = max(part.rows, max(int(r) for _, r in refs))
                    part.cols = max([part.cols, *(col_number(x) for x in {c for c, _ in refs})])
    return part


def _parse(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Part:
    """The part read by expat with the reader's rules: an element is known by
    its local name (`x:c` is a cell), a cell's place is its `r` attribute in
    any case, or, without one, the place after the cell before it (a row
    without `r` follows the row before it)."""
    part = _Part(info.filename, parsed=True)
    parser = expat.ParserCreate()
    row = col = rows = cols = cells = strings = 0  # row: the current row from 0; col: the last column
    si = -1
    root: bool | None = None  # a sheet or the shared strings

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, rows, cols, cells, strings, si, root
        if name == "c" or name.endswith(":c"):
            ref = attrs.get("r")
            m = _PLACE.fullmatch(ref) if ref is not None else None
            if m is not None and m[2] != "0":  # (the reader refuses a reference it cannot read)
                col = col_number(m[1].upper().encode())
                rows, cols = max(rows, int(m[2])), max(cols, col)
            else:
                col += 1
                rows, cols = max(rows, row + 1), max(cols, col)
            cells += 1
            if attrs.get("t") == "s":
                strings += 1
            return
        local = name.rpartition(":")[2]
        if root is None:
            root = local in ("worksheet", "sst")
        if local == "row":
            m = _PLACE.fullmatch("A" + attrs.get("r", ""))
            if m is not None and m[2] != "0":
                row = int(m[2]) - 1
        elif local == "mergeCell":
            part.merges += 1
        elif local == "si":
            part.strings += 1
            si = parser.CurrentByteIndex

    def end(name: str) -> None:
        nonlocal row, col, si
        if name == "row" or name.endswith(":row"):
            row, col = row + 1, 0
        elif si >= 0 and name.rpartition(":")[2] == "si":
            part.lengths.append(parser.CurrentByteIndex - si)
            si = -1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        for piece in _pieces(archive, info, cut=False):
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        if root or info.filename.lower().endswith((".xml", ".rels")):
            raise FileReadError(str(archive.filename), f"文件内容格式有误（{info.filename}第{exc.lineno}"
                                f"行：{expat.ErrorString(exc.code)}），可能已损坏；请用Excel打开后另存为"
                                ".xlsx再发送") from None
        # other parts (a drawing's VML) are no XML to the reader: what was read stands
    part.rows, part.cols, part.cells, part.string_cells = rows, cols, cells, strings
    return part


def _lengths(archive: zipfile.ZipFile, info: zipfile.ZipInfo, part: _Part) -> list[int]:
    """Each shared string's length in bytes of XML (never less than its text)."""
    if part.parsed:
        return part.lengths
    starts: list[int] = []
    offset = 0
    pattern = re.compile(b"<" + re.escape(part.prefix) + rb"si[ >]")
    for raw in _pieces(archive, info):
        starts.extend(offset + m.start() for m in pattern.finditer(raw.translate(_SPACES)))
        offset += len(raw)
    starts.append(offset)
    return [b - a for a, b in pairwise(starts)]


def _text_bytes(archive: zipfile.ZipFile, sheets: list[tuple[zipfile.ZipInfo, _Part]],
                lengths: list[int]) -> int:
    """The shared-string text the string cells copy: each cell's own string
    where its `<v>` index is plain to read, the longest for the others."""
    longest = max(lengths, default=0)
    total = 0
    for info, part in sheets:
        if part.parsed:
            total += part.string_cells * longest
            continue
        pattern = re.compile(rb' t=["\']s["\'][^>]*> *<' + re.escape(part.prefix) + rb"v>([0-9]+)<")
        matched = 0
        for raw in _pieces(archive, info):
            for index in pattern.findall(raw.translate(_SPACES)):
                i = int(index)
                total += lengths[i] if i < len(lengths) else 0
                matched += 1
        total += max(0, part.string_cells - matched) * longest
    return total


def check_xlsx_extent(path: Path) -> None:
    """Refuse a workbook the reader cannot take safely, judged by what its
    parts hold, never by what they declare.

    A sheet is refused when its cells span more than MAX_CELLS positions from
    A1 or number more than MAX_CELLS; any XML part when it inflates past
    MAX_XML_BYTES; the workbook when it has more shared strings or merged
    ranges than cells to use them (beyond a slack), or when its string cells
    would copy more than MAX_TEXT_BYTES of shared text. Every XML part is
    read, whatever its name, because the workbook may place a sheet anywhere.
    The declared `<dimension ref>` is not read: LibreOffice and WPS declare
    A1:AMJ1048576 for a sheet of 14 rows, and a bomb may declare A1:B2.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # the reader reports a damaged file with its own message
    name = str(path)
    parts: list[tuple[zipfile.ZipInfo, _Part]] = []
    with archive:
        for info in archive.infolist():
            try:
                if info.is_dir() or not _is_xml(archive, info):
                    continue
                try:
                    part = _count(archive, info)
                except _Irregular:
                    part = _parse(archive, info)
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
            _check_sheet(name, part)
            parts.append((info, part))
        _check_workbook(name, archive, parts)


def _check_sheet(name: str, part: _Part) -> None:
    rows, cols = part.rows, part.cols
    if rows * cols > MAX_CELLS:
        raise FileReadError(
            name, f"工作表的单元格从A1一直用到{column_letters(cols)}{rows}（{rows:,}行×{cols:,}列），"
            f"超过{MAX_CELLS:,}个单元格的上限，可能是损坏或恶意文件；请在Excel中删除多余的空行"
            "空列后另存")
    if part.cells > MAX_CELLS:
        raise FileReadError(
            name, f"工作表有{part.cells:,}个单元格，超过{MAX_CELLS:,}个单元格的上限，可能是损坏或恶意"
            "文件；请按村或按日期拆成几个文件后再发送")


def _check_workbook(name: str, archive: zipfile.ZipFile,
                    parts: list[tuple[zipfile.ZipInfo, _Part]]) -> None:
    """Shared strings and merged ranges, bounded by the cells present."""
    cells = sum(p.cells for _, p in parts)
    strings = sum(p.strings for _, p in parts)
    merges = sum(p.merges for _, p in parts)
    if strings > cells + STRING_SLACK:
        raise FileReadError(
            name, f"文件的共享文字表有{strings:,}条，远多于表格中的{cells:,}个单元格，可能是损坏或恶意文件"
            "（共享字符串炸弹）；请用Excel打开后另存为.xlsx再发送")
    if merges > cells + MERGE_SLACK:
        raise FileReadError(
            name, f"文件有{merges:,}个合并单元格区域，多于表格中的{cells:,}个单元格，可能是损坏或恶意文件；"
            "请在Excel中取消合并单元格后另存再发送")
    string_cells = sum(p.string_cells for _, p in parts)
    tables = [(i, p) for i, p in parts if p.strings]
    if not string_cells or not tables:
        return
    longest = max((max(p.lengths, default=0) if p.parsed else i.file_size) for i, p in tables)
    if string_cells * longest <= MAX_TEXT_BYTES:
        return
    lengths = [n for i, p in tables for n in _lengths(archive, i, p)]
    if string_cells * max(lengths, default=0) <= MAX_TEXT_BYTES:
        return
    text = _text_bytes(archive, [(i, p) for i, p in parts if p.string_cells], lengths)
    if text > MAX_TEXT_BYTES:
        raise FileReadError(
            name, f"表格中的文字展开后超过{MAX_TEXT_BYTES >> 20}MB（{text >> 20:,}MB：同一段长文字被大量"
            "单元格引用），可能是损坏或恶意文件；请用Excel打开后另存为.xlsx，或按村拆成几个文件再发送")
