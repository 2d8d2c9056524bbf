"""Hostile spreadsheets (issue 15): generators, and a run of the readers over them.

    python scripts/hostile_run.py [--variants N] [--seed S] [--timeout SECONDS] [--keep DIR]

(--timeout, 10 s by default, stands in for taizhang's 120 s so that files
that would never finish, like the wide CSV, do not make the run last hours.)

Writes N generated hostile files (and a few good ones) into a temporary
folder, reads each through `taizhang.ingest.sandbox.ReaderPool` (worker
processes under the memory limit, `RLIMIT_AS` on POSIX, and a time limit)
with this process itself limited too, and prints how many inputs there were,
how many the checks before reading refused, how many cost a worker (memory,
crash, time: the checks let them through), how many were read, and how many
escaped (a traceback, or this process dying): that must be 0.

The generators are small functions that build a file in a few KB from
patterns; tests/test_hostile_readers.py uses them too. They write .xlsx by
hand (zip + XML), .xls as a minimal BIFF8 stream in a compound file, HTML and
CSV as text, so no binary fixture is needed.
"""

from __future__ import annotations

import argparse
import random
import struct
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

from taizhang.ingest.cell_refs import column_letters

HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
    'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
    'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" xmlns:r="'
    'http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="'
    'Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="'
    'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
    'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="'
    'worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}


# --------------------------------------------------------------------------- xlsx


def xlsx(path: Path, sheet_data: str, *, prefix: str = "", shared: bytes | None = None,
         after: str = "", padding: int = 0) -> Path:
    """A one-sheet workbook holding `sheet_data` (cells of the sheet),
    declaring A1:B2 whatever it holds. `padding` bytes of ordinary rows
    (streamed into the zip, so 33 MB cost a fraction of a second) come first;
    `after` follows `</sheetData>` (merged ranges)."""
    ns = f' xmlns{":" + prefix[:-1] if prefix else ""}="{_NS}"'
    head = (f'<?xml version="1.0" encoding="UTF-8"?><{prefix}worksheet{ns}><{prefix}dimension '
            f'ref="A1:B2"/><{prefix}sheetData>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, text in _PARTS.items():
            out.writestr(name, text)
        out.writestr("xl/sharedStrings.xml", shared if shared is not None else
                     f'<sst xmlns="{_NS}" count="0" uniqueCount="0"></sst>')
        with out.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(head)
            r = 2
            written = 0
            while written < padding:
                row = (f'<{prefix}row r="{r}">' + "".join(
                    f'<{prefix}c r="{col}{r}"><{prefix}v>{r}</{prefix}v></{prefix}c>' for col in "BCDEFGH")
                    + f"</{prefix}row>").encode()
                fh.write(row)
                written += len(row)
                r += 1
            fh.write(f"{sheet_data}</{prefix}sheetData>{after}</{prefix}worksheet>".encode())
    return path


FAR_SPELLINGS: dict[str, Callable[[str, int], str]] = {
    # a cell at `ref` in row `row`, spelled as a bomb may spell it
    "plain": lambda ref, row: f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>',
    "attribute_order": lambda ref, row: f'<row r="{row}"><c s="1" r="{ref}"><v>1</v></c></row>',
    "single_quotes": lambda ref, row: f"<row r='{row}'><c r='{ref}'><v>1</v></c></row>",
    "lowercase": lambda ref, row: f'<row r="{row}"><c r="{ref.lower()}"><v>1</v></c></row>',
    "whitespace": lambda ref, row: f'<row r="{row}"><c\n\tr = "{ref}"><v>1</v></c></row>',
    "duplicate_r": lambda ref, row: f'<row r="{row}"><c r="A{row}" r="{ref}"><v>1</v></c></row>',
    "other_prefix": lambda ref, row: f'<row r="{row}"><y:c xmlns:y="{_NS}" r="{ref}"><v>1</v>'
                                     "</y:c></row>",
    "no_r": lambda ref, row: f'<row r="{row}">' + "<c><v>1</v></c>" * 40 + "</row>",
}


def far_cell(path: Path, spelling: str = "plain", ref: str = "XFD1048576", padding: int = 0) -> Path:
    row = int("".join(ch for ch in ref if ch.isdigit()))
    return xlsx(path, HEADER + FAR_SPELLINGS[spelling](ref, row), padding=padding)


def far_cell_prefixed(path: Path, ref: str = "XFD1048576") -> Path:
    """The .NET Open XML SDK's spelling: every element with an `x:` prefix."""
    row = int("".join(ch for ch in ref if ch.isdigit()))
    return xlsx(path, f'<x:row r="{row}"><x:c r="{ref}"><x:v>1</x:v></x:c></x:row>', prefix="x:")


def shared_strings_many(path: Path, strings: int = 3_000_000) -> Path:
    """Millions of shared strings (a few MB zipped) for a sheet of one cell."""
    sst = f'<sst xmlns="{_NS}">'.encode() + b"<si><t>x</t></si>" * strings + b"</sst>"
    return xlsx(path, HEADER, shared=sst)


def shared_strings_copied(path: Path, length: int = 20 << 20, cells: int = 2000) -> Path:
    """One long shared string referred to by thousands of cells: each cell gets a copy."""
    sst = f'<sst xmlns="{_NS}"><si><t>'.encode() + b"x" * length + b"</t></si></sst>"
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(2, cells + 2))
    return xlsx(path, HEADER + rows, shared=sst)


def merge_bomb(path: Path, merges: int = 2000, rows: int = 300, ref: str = "A1:XFD1048576") -> Path:
    """`merges` merged ranges, each over the whole sheet, on a sheet of `rows` × 8 cells."""
    cells = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEFGH")
                    + "</row>" for r in range(2, rows + 2))
    ranges = f'<mergeCells count="{merges}">' + f'<mergeCell ref="{ref}"/>' * merges + "</mergeCells>"
    return xlsx(path, HEADER + cells, after=ranges)


# --------------------------------------------------------------------------- xls, HTML, CSV


def _record(typ: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", typ, len(data)) + data


def xls(path: Path, cells: list[tuple[int, int, object]], sheet: str = "Sheet1") -> Path:
    """A minimal Excel 97-2003 file: a BIFF8 workbook stream (BOF, BOUNDSHEET,
    then the sheet's NUMBER and LABEL records) in a one-stream compound file.
    It declares A1:B2 (DIMENSIONS) whatever the cells are."""
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0x41, 0x06)
    name = sheet.encode("utf-16-le")

    def boundsheet(offset: int) -> bytes:
        return _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(sheet), 1) + name)

    head = _record(0x0809, bof) + _record(0x0042, struct.pack("<H", 1200))
    body = _record(0x0809, bof[:2] + struct.pack("<H", 0x0010) + bof[4:])
    body += _record(0x0200, struct.pack("<IIHHH", 0, 2, 0, 2, 0))
    for row, col, value in cells:
        if isinstance(value, str):
            body += _record(0x0204, struct.pack("<HHHHB", row, col, 0, len(value), 1)
                            + value.encode("utf-16-le"))
        else:
            body += _record(0x0203, struct.pack("<HHHd", row, col, 0, float(value)))  # type: ignore[arg-type]
    offset = len(head) + len(boundsheet(0)) + len(_record(0x000A))
    stream = head + boundsheet(offset) + _record(0x000A) + body + _record(0x000A)
    path.write_bytes(_compound_file(stream))
    return path


def _compound_file(stream: bytes) -> bytes:
    """A compound file (CFB v3, 512-byte sectors) with one stream, "Workbook";
    at least 4096 bytes, so it lives in the main FAT, not the mini stream."""
    stream = stream.ljust(max(4096, -(-len(stream) // 512) * 512), b"\x00")
    n = len(stream) // 512

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (raw.ljust(64, b"\x00") + struct.pack("<HBBIII", len(raw), kind, 1, 0xFFFFFFFF,
                                                     0xFFFFFFFF, child)
                + b"\x00" * 16 + struct.pack("<IQQIQ", 0, 0, 0, start, size))

    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Workbook", 2, 0xFFFFFFFF, 0, len(stream))
                 + entry("", 0, 0xFFFFFFFF, 0, 0) * 2)
    fat = [*range(1, n), 0xFFFFFFFE, 0xFFFFFFFE, 0xFFFFFFFD]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<10I", 0, 1, n, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0, n + 1)
              + b"\xff" * (4 * 108))
    return header + stream + directory + struct.pack("<128I", *fat)


def xls_far_column(path: Path, col: int = 65535, row: int = 65535) -> Path:
    """An .xls whose second cell sits at column 65535 (BIFF8 allows 256)."""
    return xls(path, [(0, 0, "姓名"), (0, 1, "身份证号"), (row, col, 1.0)])


def html_spans(path: Path, rows: int = 60, rowspan: int = 1000, colspan: int = 1000) -> Path:
    """An HTML table saved as .xls whose every cell spans 1000 × 1000."""
    cell = f'<td rowspan="{rowspan}" colspan="{colspan}">x</td>'
    body = "".join(f"<tr>{cell * 3}</tr>" for _ in range(rows))
    path.write_text(f"<html><body><table><tr><th>姓名</th><th>身份证号</th></tr>{body}</table>"
                    "</body></html>", encoding="utf-8")
    return path


def wide_csv(path: Path, commas: int = 1_000_000, lines: int = 40_000) -> Path:
    """2 MB of CSV: a header with a million columns over 40,000 short lines."""
    path.write_text("姓名,身份证号" + "," * commas + "\n" + "张三,1\n" * lines, encoding="utf-8")
    return path


def good_csv(path: Path, ident: str = "11010519491231002X") -> Path:
    path.write_text(f"姓名,身份证号,采样日期,检测结果\n张三,{ident},2022-01-29,阴性\n", encoding="utf-8")
    return path


def good_xlsx(path: Path) -> Path:
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>李{r}</t></is></c><c r="B{r}" '
                   f't="inlineStr"><is><t>11010519491231002X</t></is></c></row>' for r in range(2, 6))
    return xlsx(path, '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" '
                't="inlineStr"><is><t>身份证号</t></is></c></row>' + rows)


# --------------------------------------------------------------------------- the run


FAMILIES = ("far cell", "far cell", "far cell", "x: prefix", "shared strings", "merges", "xls column",
            "html spans", "wide csv")


def variants(folder: Path, n: int, seed: int) -> list[Path]:
    """n hostile files from the families above, with random places and sizes
    (some of them small enough to be read); the family is in the file name."""
    rng = random.Random(seed)
    spellings = list(FAR_SPELLINGS)
    files: list[Path] = []
    for i in range(n):
        family = i % len(FAMILIES)
        path = folder / f"{i:04d}-{FAMILIES[family].replace(' ', '_')}"
        if family in (0, 1, 2):
            ref = f"{column_letters(rng.randint(2000, 16384))}{rng.randint(20000, 1048576)}"
            padding = (33 << 20) if i % 50 == 0 else rng.choice([0, 0, 1 << 20])
            files.append(far_cell(path.with_suffix(".xlsx"), rng.choice(spellings), ref, padding))
        elif family == 3:
            files.append(far_cell_prefixed(path.with_suffix(".xlsx"),
                                           f"{column_letters(rng.randint(2000, 16384))}{rng.randint(20000, 1048576)}"))
        elif family == 4:
            if rng.random() < 0.5:
                files.append(shared_strings_many(path.with_suffix(".xlsx"), rng.randint(200_000, 3_000_000)))
            else:
                files.append(shared_strings_copied(path.with_suffix(".xlsx"), rng.randint(1, 30) << 20,
                                                   rng.randint(500, 5000)))
        elif family == 5:
            files.append(merge_bomb(path.with_suffix(".xlsx"), rng.randint(500, 5000), rng.randint(50, 500)))
        elif family == 6:
            files.append(xls_far_column(path.with_suffix(".xls"), rng.randint(300, 65535),
                                        rng.randint(1000, 65535)))
        elif family == 7:
            files.append(html_spans(path.with_suffix(".xls"), rng.randint(10, 200), rng.randint(100, 65534),
                                    rng.randint(100, 1000)))
        else:
            files.append(wide_csv(path.with_suffix(".csv"), rng.randint(200_000, 1_000_000),
                                  rng.randint(10_000, 40_000)))
    return files


def _kind(error: str) -> str:
    if not error:
        return "read"
    for start, kind in (("读取时内存超过限制", "worker: memory"), ("读取超时", "worker: time"),
                        ("读取程序崩溃", "worker: crash")):
        if error.startswith(start):
            return kind
    return "refused"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds a worker may spend on one file (taizhang's own limit is 120)")
    ap.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = ap.parse_args(argv)

    from taizhang.ingest import sandbox
    from taizhang.ingest.sandbox_worker import use_validator, validate_file
    from taizhang.ingest.validation import Validator

    sandbox.READ_TIMEOUT, sandbox.READ_TIMEOUT_PER_MB = args.timeout, 0.0
    try:  # this process is limited too: a bomb read here instead of in a worker shows
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, resource.RLIM_INFINITY))
    except (ImportError, ValueError, OSError):
        pass
    folder = args.keep or Path(tempfile.mkdtemp(prefix="taizhang-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = variants(folder, args.variants, args.seed)
    files += [good_csv(folder / "good.csv"), good_xlsx(folder / "good.xlsx")]
    made = time.perf_counter() - started
    table: dict[str, Counter[str]] = {}
    escaped = good_failed = 0
    validator = Validator(as_of=date(2022, 2, 8))
    started = time.perf_counter()
    with sandbox.ReaderPool(validate_file, use_validator, (validator.for_worker(),), 2) as pool:
        jobs = [(p, p.name, p.stat().st_size) for p in files]
        for (path, _, _), result in zip(jobs, pool.read(jobs), strict=True):
            family = path.stem.split("-", 1)[-1].replace("_", " ")
            kind = _kind(result.error or "")
            table.setdefault(family, Counter())[kind] += 1
            escaped += "Traceback" in (result.error or "")
            good_failed += path.name.startswith("good") and kind != "read"
    seconds = time.perf_counter() - started
    kinds = ("refused", "worker: memory", "worker: crash", "worker: time", "read")
    print(f"inputs: {len(files)} ({args.variants} hostile + 2 good), generated in {made:.1f} s, "
          f"read in {seconds:.1f} s; memory limit per worker {sandbox.MEMORY_LIMIT >> 20} MiB")
    print(f"{'family':16s}" + "".join(f"{k:>16s}" for k in kinds))
    for family, counts in table.items():
        print(f"{family:16s}" + "".join(f"{counts.get(k, 0):16d}" for k in kinds))
    total = sum(table.values(), Counter())
    print(f"{'total':16s}" + "".join(f"{total.get(k, 0):16d}" for k in kinds))
    print(f"this process: still here (no crash, no hang); tracebacks in messages: {escaped}; "
          f"good files failed: {good_failed}")
    if args.keep is None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return 1 if escaped or good_failed else 0


if __name__ == "__main__":
    sys.exit(main())
