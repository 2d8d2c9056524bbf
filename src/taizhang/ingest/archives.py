""".zip archives in the inbox: their spreadsheets read as if they lay in the folder.

Villages send a day's files zipped through WeChat. Each member that is a
spreadsheet is extracted into a private temporary folder (the caller's, always
removed afterwards) and then read like any file, by the sandboxed reader; it is
named `包.zip/内部路径.xlsx` in messages and in the ledger. A member's bytes are
hashed like a file's, and its identity (what makes a later member a new version
of it) is `<resolved zip path>/<member path>`: the zip is a folder, the same
way `inbox/平阳村.xlsx` is one file whatever else lies beside it.

Member names are never used as paths: a member is written to
`<temp>/<n>/<its base name>` only, so `../evil.csv` or `C:\\x.csv` cannot land
anywhere else (such a member is refused anyway). Limits stop a zip bomb before
it fills the disk: MAX_MEMBERS members, MAX_TOTAL bytes unpacked in all (counted
as written, not as declared), a ratio of at most MAX_RATIO for a member over
RATIO_FROM bytes, and a zip inside a zip opened one level deep only. Names
written by Windows' zipper and WeChat are GBK without the UTF-8 flag: they
are decoded as UTF-8, else GB18030, from the raw bytes.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from taizhang.ingest.files import SPREADSHEET_SUFFIXES, not_table_note, text_note

MAX_MEMBERS = 1000
MAX_TOTAL = 512 << 20
MAX_RATIO = 100
RATIO_FROM = 1 << 20  # a small member may be all blanks: its ratio says nothing
MAX_DEPTH = 1  # a zip in the zip is opened; a zip in that one is not

_DAMAGED = "压缩包已损坏或不完整（可能没有传完），无法打开；请让村里重新发送，或解压后直接发送表格"
_ENCRYPTED = "压缩包设置了密码，taizhang无法打开；请让村里不加密码重新压缩，或直接发送表格"
_UTF8_FLAG = 0x800
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f<>:"|?*\\/]')


@dataclass(slots=True)
class Entry:
    """One file to import: where its bytes are, and what it is called."""

    path: Path  # the bytes to read: the file, or the member extracted into the temp folder
    name: str  # in messages and `batches.path`: inbox/包.zip/平阳村.xlsx
    identity: Path  # for `versions.file_identity`: the file, or <zip>/<member>
    member: bool = False  # extracted from a zip: its sightings carry the zip's mtime
    mtime_ns: int | None = None  # a member's: the zip's
    error: str | None = None  # a failed file, not read
    note: str | None = None  # a skipped file, and why


def expand(files: list[Path], temp: Callable[[], Path]) -> list[Entry]:
    """Loose files as they are, and each archive as its members; `temp()`
    gives the private folder to extract into (made on first use)."""
    entries: list[Entry] = []
    for path in files:
        if path.suffix.lower() != ".zip":
            entries.append(Entry(path, str(path), path))
            continue
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = None  # the open below says why
        entries.extend(open_archive(path, str(path), path, mtime, temp, 0))
    return entries


def open_archive(path: Path, name: str, identity: Path, mtime: int | None,
                 temp: Callable[[], Path], depth: int) -> list[Entry]:
    """The entries of one zip: its members, or the zip itself as one failed file."""
    def failed(why: str) -> list[Entry]:
        return [Entry(path, name, identity, depth > 0, mtime, error=why)]

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        return failed(_DAMAGED)
    except OSError as exc:
        from taizhang.errors import os_error_text
        return failed(os_error_text(exc))
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if any(i.filename == "[Content_Types].xml" for i in infos):
            # an Excel workbook saved with a .zip name: read it as one
            return [Entry(path, name, identity, depth > 0, mtime)]
        if len(infos) > MAX_MEMBERS:
            return failed(f"压缩包中有{len(infos):,}个文件，超过{MAX_MEMBERS:,}个的上限，可能是恶意文件；"
                          "请解压后只发送台账表格")
        if any(i.flag_bits & 0x1 for i in infos):
            return failed(_ENCRYPTED)
        declared = sum(i.file_size for i in infos)
        if declared > MAX_TOTAL:
            return failed(f"压缩包解压后有{declared / (1 << 20):,.0f} MB，超过{MAX_TOTAL >> 20} MB的上限，"
                          "可能是恶意文件；请解压后只发送台账表格")
        budget = [MAX_TOTAL]
        entries: list[Entry] = []
        for info in infos:
            inner = member_name(info)
            if _junk(inner):
                continue
            entries.extend(_member(archive, info, inner, name, identity, mtime, temp, depth, budget))
        return entries


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's path as its author wrote it, with / between folders.

    Without the UTF-8 flag, `zipfile` decodes names as cp437; the raw bytes
    are taken back and decoded as UTF-8 (Linux and macOS zippers), else
    GB18030 (Windows' zipper and WeChat on a Chinese PC)."""
    name = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        raw = name.encode("cp437")
        for codec in ("utf-8", "gb18030"):
            try:
                name = raw.decode(codec)
                break
            except UnicodeDecodeError:
                continue
    return name.replace("\\", "/")


def _junk(inner: str) -> bool:
    """macOS resource forks and hidden files, which nobody sent on purpose."""
    parts = PurePosixPath(inner).parts
    return not parts or parts[0] == "__MACOSX" or parts[-1].startswith(".")


def _unsafe(inner: str) -> bool:
    parts = inner.split("/")
    return inner.startswith("/") or bool(re.match(r"^[A-Za-z]:", inner)) or ".." in parts


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, inner: str, zip_name: str,
            zip_identity: Path, mtime: int | None, temp: Callable[[], Path], depth: int,
            budget: list[int]) -> list[Entry]:
    name = f"{zip_name}/{inner}"
    shown = f"{Path(zip_name).name}/{inner}"
    entry = Entry(Path(name), name, Path(f"{zip_identity}/{inner}"), True, mtime)
    suffix = PurePosixPath(inner).suffix.lower()
    if _unsafe(inner):
        entry.error = "压缩包中的文件路径不安全（含“..”或绝对路径，可能是恶意文件），未解压、未读取"
        return [entry]
    if suffix != ".zip" and suffix not in SPREADSHEET_SUFFIXES:
        entry.note = not_table_note(shown)
        return [entry]
    if suffix == ".zip" and depth >= MAX_DEPTH:
        entry.error = "压缩包里套了多层压缩包，taizhang只打开一层；请解压后发送表格"
        return [entry]
    if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        entry.error = (f"压缩比异常（{info.compress_size:,}字节解压后为{info.file_size:,}字节，"
                       f"超过{MAX_RATIO}倍），可能是恶意的“压缩炸弹”，未解压")
        return [entry]
    try:
        entry.path = _extract(archive, info, inner, temp, budget)
    except _TooBig:
        entry.error = f"压缩包解压后超过{MAX_TOTAL >> 20} MB的上限，可能是恶意文件，未解压"
        return [entry]
    except NotImplementedError:
        entry.error = "压缩包使用了不支持的压缩方式；请用Windows自带的“发送到压缩文件夹”重新压缩，或直接发送表格"
        return [entry]
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        entry.error = "压缩包中的这个文件已损坏（校验失败），无法解压；请让村里重新发送"
        return [entry]
    except RuntimeError:  # a member encrypted without the flag on the others
        entry.error = _ENCRYPTED
        return [entry]
    except OSError as exc:
        from taizhang.errors import os_error_text
        entry.error = f"解压到临时文件夹失败：{os_error_text(exc)}"
        return [entry]
    if suffix == ".zip":
        return open_archive(entry.path, name, entry.identity, mtime, temp, depth + 1)
    if suffix == ".txt" and (note := text_note(entry.path, shown)) is not None:
        entry.note = note
    return [entry]


class _TooBig(Exception):
    pass


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, inner: str,
             temp: Callable[[], Path], budget: list[int]) -> Path:
    """Write one member to `<temp>/<n>/<base name>`, counting the bytes
    written against the zip's budget (a declared size can lie)."""
    folder = Path(tempfile.mkdtemp(dir=temp()))
    base = _UNSAFE_CHARS.sub("_", PurePosixPath(inner).name).strip(" .") or "file"
    if len(base) > 100:
        stem, suffix = base.rsplit(".", 1) if "." in base else (base, "")
        base = stem[:90] + ("." + suffix[:9] if suffix else "")
    target = folder / base
    with archive.open(info) as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _TooBig
            dst.write(chunk)
    return target
