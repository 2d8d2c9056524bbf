"""Text files to cell grids: decoding bytes and splitting CSV/TSV rows.

Village PCs write CSV in UTF-8 (with or without BOM), GBK/GB18030, UTF-16,
and sometimes both in one file when files were pasted together on different
PCs. `decode_text` finds the encoding the way TECH_NOTES measured to be right,
line by line when a file mixes them; `parse_csv` sniffs the delimiter. HTML
tables saved as `.xls` are decoded here too and parsed in `html`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Any

from taizhang.errors import FileReadError


def decode_text(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    """Decode text the way TECH_NOTES measured to be right: BOM, then strict
    UTF-8, then strict GB18030 (a superset of GBK/GB2312). `encoding` overrides."""
    if encoding:
        try:
            return data.decode(_codec(encoding)), encoding
        except LookupError:
            raise FileReadError(name, f"不认识的编码“{encoding}”，可用utf-8、gbk、gb18030") from None
        except UnicodeDecodeError as exc:
            raise FileReadError(
                name, f"按{encoding}编码解码失败（第{exc.start}字节），请换一个--encoding再试"
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        try:
            return body.decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            # GBK rows appended by another editor, or one damaged byte: line by line
            mixed = _decode_lines(body, bom=True)
            if mixed is not None:
                return mixed, "mixed"
            raise FileReadError(name, _undecodable("UTF-8（带BOM）", exc.start + 3)) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:  # odd length, a lone surrogate
            raise FileReadError(name, _undecodable("UTF-16", exc.start)) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        failed_at = exc.start
    else:
        mixed = _decode_lines(data) if _has_utf8_line(data) else None
        if mixed is not None and mixed != text:
            return mixed, "mixed"
        return text, "gb18030"
    mixed = _decode_lines(data)
    if mixed is not None:
        return mixed, "mixed"
    raise FileReadError(
        name,
        f"无法识别文件编码（第{failed_at}字节起既不是UTF-8也不是GBK），"
        "请用Excel另存为“CSV UTF-8”，或用--encoding指定编码",
    )


def _undecodable(encoding: str, at: int) -> str:
    return (f"文件标明是{encoding}编码，但第{at}字节起无法按此解码（文件可能损坏，或由两种编码拼接而成）："
            "请用Excel打开后另存为“CSV UTF-8”，或用--encoding指定编码")


# A line with a non-ASCII character and no undecodable byte (the surrogates
# `surrogateescape` leaves for them): a line that is valid UTF-8.
_UTF8_LINE_RE = re.compile("^(?=[^\n]*[^\x00-\x7f])[^\n\udc80-\udcff]*$", re.MULTILINE)


def _has_utf8_line(data: bytes) -> bool:
    """Whether any non-ASCII line of a GB18030 file is also valid UTF-8: only
    then can the file mix encodings. One regex pass in C instead of decoding
    every line twice (a county's GBK test sheets have a million lines)."""
    return _UTF8_LINE_RE.search(data.decode("utf-8", "surrogateescape")) is not None


def _decode_lines(data: bytes, bom: bool = False) -> str | None:
    """Each line in its own encoding when a file mixes UTF-8 and GBK lines
    (files pasted together on different PCs); None when it is not that case.
    `bom`: the file began with a UTF-8 BOM, which is evidence of UTF-8 enough
    even when its UTF-8 lines are ASCII."""
    decoded, kinds = [], set()
    lines = data.split(b"\n")
    if len(lines) < 2:
        return None  # one line is no mixture
    for line in lines:
        candidates = []
        for codec in ("utf-8", "gb18030"):
            try:
                candidates.append((codec, line.decode(codec)))
            except UnicodeDecodeError:
                continue
        if not candidates:
            return None
        if len(candidates) == 1:
            codec, text = candidates[0]
        else:
            # Short GBK text can also be valid UTF-8; real text is mostly common
            # characters (GB2312), mis-decoded text mostly is not.
            codec, text = max(candidates, key=lambda c: (_common_share(c[1]), c[0] == "gb18030"))
        if not text.isascii():
            kinds.add(codec)
        decoded.append(text)
    return "\n".join(decoded) if "gb18030" in kinds and ("utf-8" in kinds or bom) else None


def _common_share(text: str) -> float:
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return 1.0
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide)


def _codec(encoding: str) -> str:
    lowered = encoding.lower().replace("_", "-")
    if lowered in ("gbk", "gb2312", "cp936", "gb-2312"):
        return "gb18030"  # superset: 喆, 堃, 镕 are not in GB2312
    if lowered in ("utf8", "utf-8"):
        return "utf-8-sig"
    return encoding


def parse_csv(text: str, notes: list[str] | None = None) -> list[list[Any]]:
    """Rows of a CSV/TSV text; the delimiter is sniffed among , tab ; |.

    A quote opened and never closed (`…,"阳光小区3栋` typed in a 备注 cell) makes
    the csv module read every later line into that one cell: the rows vanish
    and their IDs hide in a 备注. When a cell swallowed lines that look like
    rows of their own, the text is read line by line instead and `notes` says
    which line has the stray quote."""
    sample = text[:16384]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))  # rows are new lists
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ValueError(f"单元格内容超过{csv.field_size_limit():,}个字符") from None
        raise ValueError(f"CSV格式错误（{exc}）") from None
    # a cell holds a line break only if there are fewer rows than line breaks in the
    # text: counted in C, so a county's CSVs are not searched cell by cell
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    stray = None if len(rows) >= breaks else _swallowing_row(rows, dialect.delimiter)
    if stray is None:
        if rows and rows[-1]:  # a quote left open in the last row keeps the final line break
            rows[-1][-1] = rows[-1][-1].rstrip("\r\n")
        return rows
    lines = _LINE_RE.split(text.rstrip("\r\n"))
    by_line = [next(csv.reader([line], dialect), []) for line in lines]
    if notes is not None:
        notes.append(f"第{stray}行有一个不成对的英文双引号（\"），后面的行被并进了一个单元格；"
                     "已按行重新读取，请在表格中删掉或补齐这个引号")
    return by_line


_LINE_RE = re.compile(r"\r\n|\n|\r")


def _swallowing_row(rows: list[list[Any]], delimiter: str) -> int | None:
    """The line number (1-based) of the row with a cell that swallowed lines
    which are rows themselves (as many delimiters as a row has), else None.
    A cell with a line break of its own (Excel writes those quoted) is not.
    Reached only when the text has more line breaks than rows (`parse_csv`)."""
    if len(rows) < 2:
        return None
    widths = sorted(len(r) for r in rows)
    width = widths[len(widths) // 2]
    if width < 2:
        return None
    line = 1
    for row in rows:
        breaks = 0
        for cell in row:
            if "\n" in cell or "\r" in cell:  # CRLF, LF and an old Mac's CR
                swallowed = _LINE_RE.split(cell)[1:]
                if any(part.count(delimiter) >= width - 1 for part in swallowed):
                    return line
                breaks += len(swallowed)
        line += 1 + breaks
    return None
