"""Hostile text files (issue 15, causes 2 and 3), built at test time: a CSV
that cannot be decoded is one failed file (or is read line by line), never an
internal error that stops the files after it; a stray quote never swallows
rows in silence."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.errors import FileReadError
from taizhang.ingest.text import decode_text, parse_csv

runner = CliRunner()
HEADER = "姓名,身份证号,联系电话,返乡日期,备注\n"
IDS = [make_id(seq=f"{i}{i}3") for i in range(1, 7)]


def row(i: int, remark: str = "") -> str:
    return f"{['张三', '李四', '王五', '赵六', '钱七', '孙八'][i]},{IDS[i]},1381234567{i},2022-02-0{i + 1},{remark}\n"


HOSTILE: dict[str, bytes] = {
    # one damaged byte in a UTF-8 file with a BOM
    "bom_one_bad_byte.csv": codecs.BOM_UTF8 + (HEADER + row(0)).encode() + b"\xff\xfe" + row(1).encode(),
    # a UTF-8-BOM file, then rows appended by an editor that writes GBK
    "bom_then_gbk_rows.csv": codecs.BOM_UTF8 + (HEADER + row(0)).encode() + row(1, "外出务工").encode("gbk"),
    # UTF-16 of odd length (cut off), and with a lone surrogate
    "utf16_odd_length.csv": (HEADER + row(0)).encode("utf-16")[:-1],
    "utf16_lone_surrogate.csv": (HEADER + row(0)).encode("utf-16") + b"\x00\xd8" + "a\n".encode("utf-16-le"),
    # neither UTF-8 nor GB18030
    "undecodable.csv": (HEADER + row(0)).encode() + b"\x81\x30\xff\xff\n",
}


def _import(tmp_path: Path, name: str, data: bytes) -> tuple[int, dict, str]:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / name).write_bytes(data)
    (inbox / "好文件.csv").write_text(HEADER + row(5), encoding="utf-8")
    result = runner.invoke(app, ["--db", str(tmp_path / "t.db"), "--as-of", "2022-02-08", "import",
                                 str(inbox), "--format", "json"])
    return result.exit_code, json.loads(result.stdout), result.output


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_an_undecodable_csv_is_one_failed_file_and_the_others_import(tmp_path: Path, name: str) -> None:
    code, report, output = _import(tmp_path, name, HOSTILE[name])
    assert code in (0, 1), output
    assert "内部错误" not in output and "Traceback" not in output
    status = {Path(f["path"]).name: f for f in report["files"]}
    assert status["好文件.csv"]["status"] == "imported"
    bad = status[name]
    assert bad["status"] in ("imported", "failed")
    if bad["status"] == "failed":
        assert code == 1 and ("编码" in bad["error"]), bad
    else:  # read line by line, said so
        assert "逐行识别" in output


def test_gbk_rows_appended_to_a_bom_file_are_read_line_by_line() -> None:
    text, used = decode_text(HOSTILE["bom_then_gbk_rows.csv"], None, "x.csv")
    assert used == "mixed"
    assert "李四" in text and "外出务工" in text and "张三" in text


@pytest.mark.parametrize("name", ["utf16_odd_length.csv", "utf16_lone_surrogate.csv", "undecodable.csv"])
def test_the_message_says_what_to_do(name: str) -> None:
    with pytest.raises(FileReadError) as caught:
        decode_text(HOSTILE[name], None, name)
    assert "另存为" in caught.value.reason and "--encoding" in caught.value.reason


def test_a_stray_quote_swallows_no_row(tmp_path: Path) -> None:
    """`…,"阳光小区3栋` in a 备注: before, 1 of 3 persons was stored and the other
    two rows, full IDs included, sat in that 备注 (and the export)."""
    data = (HEADER + row(0, '"阳光小区3栋') + row(1) + row(2)).encode()
    code, report, output = _import(tmp_path, "引号.csv", data)
    assert code == 0, output
    assert report["persons_new"] == 4  # three of this file and 好文件.csv's one
    assert "不成对的英文双引号" in output and "第2行" in output
    export = runner.invoke(app, ["--db", str(tmp_path / "t.db"), "export", "--format", "csv"])
    assert export.exit_code == 0, export.output
    assert all(ident not in export.stdout for ident in IDS)
    assert "阳光小区3栋" in export.stdout


def test_the_neighbours_of_a_stray_quote() -> None:
    """A quoted cell with a line break of its own and a quoted comma are not stray quotes."""
    notes: list[str] = []
    rows = parse_csv(HEADER + row(0, '"阳光小区\n3栋"') + row(1, '"有,逗号"'), notes)
    assert notes == []
    assert [r[4] for r in rows[1:]] == ["阳光小区\n3栋", "有,逗号"]
    # a stray quote in the last row swallows nothing: nothing to say
    assert parse_csv(HEADER + row(0) + row(1, '"未闭合'), notes)[-1][4] == "未闭合"
    assert notes == []


def test_a_stray_quote_is_found_whatever_the_line_ends() -> None:
    """The stray-quote search runs only when the text has more line breaks than
    rows: with CRLF, LF or old-Mac CR line ends and blank lines between rows,
    a stray quote is still found, and a clean file keeps its blank rows."""
    for end in ("\r\n", "\n", "\r"):
        text = (HEADER + row(0, '"阳光小区3栋') + row(1) + row(2)).replace("\n", end)
        notes: list[str] = []
        rows = parse_csv(text, notes)
        assert len(rows) == 4 and "第2行" in notes[0], (end, rows)
        notes = []
        clean = (HEADER + row(0) + "\n" + row(1)).replace("\n", end)
        rows = parse_csv(clean, notes)
        assert notes == [] and [len(r) for r in rows] == [5, 5, 0, 5], (end, rows)
