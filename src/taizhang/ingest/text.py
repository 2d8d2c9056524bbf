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
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
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
    try:
        raise UnicodeDecodeError("gb18030", data, failed_at, failed_at + 1, "")
    except UnicodeDecodeError as exc:
        raise FileReadError(
            name,
            f"无法识别文件编码（第{exc.start}字节起既不是UTF-8也不是GBK），"
            "请用Excel另存为“CSV UTF-8”，或用--encoding指定编码",
        ) from None


# A line with a non-ASCII character and no undecodable byte (the surrogates
# `surrogateescape` leaves for them): a line that is valid UTF-8.
_UTF8_LINE_RE = re.compile("^(?=[^\n]*[^\x00-\x7f])[^\n\udc80-\udcff]*$", re.MULTILINE)


def _has_utf8_line(data: bytes) -> bool:
    """Whether any non-ASCII line of a GB18030 file is also valid UTF-8: only
    then can the file mix encodings. One regex pass in C instead of decoding
    every line twice (a county's GBK test sheets have a million lines)."""
    return _UTF8_LINE_RE.search(data.decode("utf-8", "surrogateescape")) is not None


def _decode_lines(data: bytes) -> str | None:
    """Each line in its own encoding when a file mixes UTF-8 and GBK lines
    (files pasted together on different PCs); None when it is not that case."""
    decoded, kinds = [], set()
    for line in data.split(b"\n"):
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
    return "\n".join(decoded) if kinds == {"utf-8", "gb18030"} else None


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


def parse_csv(text: str) -> list[list[Any]]:
    """Rows of a CSV/TSV text; the delimiter is sniffed among , tab ; |."""
    sample = text[:16384]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))  # rows are new lists
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ValueError(f"单元格内容超过{csv.field_size_limit():,}个字符") from None
        raise ValueError(f"CSV格式错误（{exc}）") from None
