"""A real inbox (issue 16, point 5; SPEC §2): what villages send through WeChat.

Zips (names in GBK without the UTF-8 flag, as Windows' zipper and WeChat write
them) are opened and their spreadsheets read as if they lay in the folder;
documents, pictures, Thumbs.db and a 说明.txt are listed once as skipped and
never fail a run; identical copies are read once; hostile zips fail alone and
write nothing outside a temporary folder that is always removed."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner, Result

from taizhang.cli import app
from taizhang.ingest.archives import member_name
from taizhang.ingest.files import find_input_files, scan_inputs, text_note

CONFIG = ('township = "青石镇"\nvillages = ["平阳村", "东溪村", "桃源村", "石门村"]\n'
          'inbox = "inbox"\nout = "out"\ndb = "taizhang.db"\n')
HEADER = "姓名,身份证号,联系电话,村(社区),返乡日期,登记日期"
PROSE = ("填表说明\n一、请每天下午五点前报送，返乡人员全部登记。\n"
         "二、身份证号请设为文本格式，不要写成科学计数法。\n三、如有疑问请联系镇防控办。\n")


def village_csv(village: str, seq: int, rows: int = 2, sep: str = ",") -> str:
    lines = [HEADER.replace(",", sep)]
    for i in range(rows):
        lines.append(sep.join([f"{village[0]}某{i}", make_id(seq=f"{seq}{i:02d}"),
                               f"1351234{seq:02d}{i:02d}", village, "2022-02-01", "2022-02-02"]))
    return "\n".join(lines) + "\n"


class GbkInfo(zipfile.ZipInfo):
    """A member whose name is written in GBK with the UTF-8 flag unset."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def make_zip(path: Path, members: dict[str, bytes], gbk: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = (GbkInfo if gbk else zipfile.ZipInfo)(name, (2022, 2, 2, 8, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def xlsx_bytes(village: str, seq: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in village_csv(village, seq).splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "镇"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(root)
    temp = tmp_path / "temp"  # where the zips are unpacked: empty again after every run
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return root


def tz(*args: str) -> Result:
    return CliRunner().invoke(app, ["--config", "taizhang.toml", "--as-of", "2022-02-02", *args])


def import_json(*paths: str) -> tuple[Result, dict[str, dict[str, object]]]:
    result = tz("import", *(paths or ("inbox",)), "--format", "json")
    assert "Traceback" not in result.output
    files: dict[str, dict[str, object]] = {}
    for entry in json.loads(result.stdout)["files"]:
        assert entry["path"] not in files or entry["status"] == "imported", entry  # listed once
        files[entry["path"]] = entry
    return result, files


def messy_inbox(inbox: Path) -> None:
    make_zip(inbox / "村里发来的表格.zip", {
        "平阳村/平阳村登记表.csv": village_csv("平阳村", 1).encode("gbk"),
        "东溪村登记表.xlsx": xlsx_bytes("东溪村", 2),
        "说明.txt": PROSE.encode("gbk"),
        "__MACOSX/._东溪村登记表.xlsx": b"\x00\x05\x16\x07",
    })
    for name, data in {"通知.docx": b"PK\x03\x04 not really", "防疫要求.pdf": b"%PDF-1.4\n",
                       "现场照片.jpg": b"\xff\xd8\xff\xe0", "Thumbs.db": b"\xd0\xcf\x11\xe0",
                       "desktop.ini": b"[.ShellClassInfo]\r\n"}.items():
        (inbox / name).write_bytes(data)
    (inbox / "说明.txt").write_text(PROSE, encoding="utf-8")
    (inbox / "桃源村.csv").write_text(village_csv("桃源村", 3), encoding="utf-8")
    (inbox / "桃源村(1).csv").write_text(village_csv("桃源村", 3), encoding="utf-8")
    (inbox / "石门村.txt").write_text(village_csv("石门村", 4, sep="\t"), encoding="gbk")


def test_messy_inbox_imports_every_table_once_and_skips_the_rest(workspace: Path) -> None:
    messy_inbox(workspace / "inbox")
    result, files = import_json()
    assert result.exit_code == 0, result.output
    zipped = "inbox/村里发来的表格.zip/"
    imported = {p: f["village"] for p, f in files.items() if f["status"] == "imported"}
    assert imported == {zipped + "平阳村/平阳村登记表.csv": "平阳村", zipped + "东溪村登记表.xlsx": "东溪村",
                        "inbox/桃源村.csv": "桃源村", "inbox/石门村.txt": "石门村"}
    skipped = {p for p, f in files.items() if f["status"] == "skipped"}
    assert skipped == {zipped + "说明.txt", *(f"inbox/{n}" for n in (
        "通知.docx", "防疫要求.pdf", "现场照片.jpg", "Thumbs.db", "desktop.ini", "说明.txt"))}
    assert all("不是表格文件" in str(files[p]["skipped"]) and "已跳过" in str(files[p]["skipped"])
               for p in skipped)
    copy = files["inbox/桃源村(1).csv"]
    assert copy["status"] == "unchanged"
    assert "与inbox/桃源村.csv内容相同，只读取一次" in str(copy["skipped"])
    assert set(files) == {*imported, *skipped, "inbox/桃源村(1).csv"}  # nothing else, nothing twice
    for p in skipped:  # one note each on stderr
        assert result.stderr.count(Path(p).name + "：不是表格文件") <= 2  # 说明.txt twice: loose and zipped
    assert list(Path(tempfile.gettempdir()).iterdir()) == []

    again, files = import_json()
    assert again.exit_code == 0, again.output
    assert {f["status"] for p, f in files.items() if p not in skipped} == {"unchanged"}
    assert {p for p, f in files.items() if f["status"] == "skipped"} == skipped
    with sqlite3.connect("taizhang.db") as db:
        batches = dict(db.execute("SELECT path, file FROM batches"))
    member = batches[zipped + "平阳村/平阳村登记表.csv"]
    assert member == str((workspace / "inbox" / "村里发来的表格.zip").resolve()) + "/平阳村/平阳村登记表.csv"
    assert "inbox/桃源村(1).csv" not in batches


def test_a_member_s_new_version_in_a_new_zip_is_a_version_of_that_member(workspace: Path) -> None:
    inbox = workspace / "inbox"
    make_zip(inbox / "平阳村.zip", {"平阳村登记表.csv": village_csv("平阳村", 1, rows=3).encode("gbk")})
    assert import_json()[0].exit_code == 0
    (inbox / "平阳村.zip").unlink()
    make_zip(inbox / "平阳村.zip", {"平阳村登记表.csv": village_csv("平阳村", 1, rows=3).encode("gbk")})
    result, files = import_json()  # the same bytes sent again, a new zip: unchanged
    assert files["inbox/平阳村.zip/平阳村登记表.csv"]["status"] == "unchanged"
    make_zip(inbox / "平阳村.zip", {"平阳村登记表.csv": village_csv("平阳村", 1, rows=4).encode("gbk")})
    result, files = import_json()
    assert result.exit_code == 0, result.output
    assert files["inbox/平阳村.zip/平阳村登记表.csv"]["status"] == "imported"
    with sqlite3.connect("taizhang.db") as db:
        identities = [f for (f,) in db.execute("SELECT file FROM batches ORDER BY id")]
        times = {t for (t,) in db.execute("SELECT mtime_ns FROM sightings")}
    assert len(identities) == 2 and identities[0] == identities[1]
    assert None not in times  # a member is seen with its zip's time


def test_member_names_in_gbk_utf8_and_flagged_utf8() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(GbkInfo("平阳村/登记表.csv"), b"x")
        archive.writestr(zipfile.ZipInfo("东溪村.csv"), b"x")  # flagged UTF-8
    names = [member_name(i) for i in zipfile.ZipFile(io.BytesIO(buffer.getvalue())).infolist()]
    assert names == ["平阳村/登记表.csv", "东溪村.csv"]
    unflagged = zipfile.ZipInfo("x")
    unflagged.filename = "石门村.csv".encode().decode("cp437")  # a Linux zipper: UTF-8, no flag
    assert member_name(unflagged) == "石门村.csv"


def encrypted(path: Path) -> Path:
    """A zip whose member is marked encrypted (zipfile cannot write one)."""
    make_zip(path, {"平阳村.csv": village_csv("平阳村", 1).encode("gbk")})
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at] |= 0x1
    path.write_bytes(bytes(data))
    return path


def test_hostile_zips_fail_alone_and_write_nothing_outside_the_temp_folder(workspace: Path) -> None:
    inbox = workspace / "inbox"
    (inbox / "桃源村.csv").write_text(village_csv("桃源村", 3), encoding="utf-8")
    make_zip(inbox / "炸弹.zip", {"平阳村.csv": b"," * (30 << 20)})
    make_zip(inbox / "穿越.zip", {"../evil.csv": village_csv("平阳村", 1).encode(),
                                 "/tmp/evil2.csv": b"a,b\n1,2\n",
                                 "东溪村.csv": village_csv("东溪村", 2).encode("gbk")})
    encrypted(inbox / "加密.zip")
    good = make_zip(workspace / "good.zip", {"石门村.csv": village_csv("石门村", 4).encode()})
    (inbox / "损坏.zip").write_bytes(good.read_bytes()[:60])
    (inbox / "乱码.zip").write_bytes(b"this is not a zip at all")
    inner = make_zip(workspace / "inner.zip", {"石门村.csv": village_csv("石门村", 4).encode()})
    middle = make_zip(workspace / "middle.zip", {"里层.zip": inner.read_bytes()})
    make_zip(inbox / "套娃.zip", {"中层.zip": middle.read_bytes(), "外层.zip": inner.read_bytes()})
    before = {p for p in workspace.parent.rglob("*")}

    result, files = import_json()
    assert result.exit_code == 1
    status = {p: (f["status"], f.get("error") or "") for p, f in files.items()}
    assert status["inbox/桃源村.csv"][0] == "imported"
    assert status["inbox/穿越.zip/东溪村.csv"][0] == "imported"
    assert status["inbox/套娃.zip/外层.zip/石门村.csv"][0] == "imported"  # a zip in a zip: opened
    failed = {p: e for p, (s, e) in status.items() if s == "failed"}
    assert set(failed) == {"inbox/炸弹.zip/平阳村.csv", "inbox/穿越.zip/../evil.csv",
                           "inbox/穿越.zip//tmp/evil2.csv", "inbox/加密.zip", "inbox/损坏.zip",
                           "inbox/乱码.zip", "inbox/套娃.zip/中层.zip/里层.zip"}
    assert "压缩炸弹" in failed["inbox/炸弹.zip/平阳村.csv"]
    assert "路径不安全" in failed["inbox/穿越.zip/../evil.csv"]
    assert "密码" in failed["inbox/加密.zip"]
    assert "已损坏" in failed["inbox/损坏.zip"] and "已损坏" in failed["inbox/乱码.zip"]
    assert "只打开一层" in failed["inbox/套娃.zip/中层.zip/里层.zip"]
    after = {p for p in workspace.parent.rglob("*")}
    assert all(p.name.startswith("taizhang.db") for p in after - before), after - before
    assert not Path("/tmp/evil2.csv").exists() or Path("/tmp/evil2.csv") in before
    assert list(Path(tempfile.gettempdir()).iterdir()) == []


def test_text_files_are_tables_only_when_their_rows_split_into_columns(tmp_path: Path) -> None:
    cases = {
        "说明.txt": (PROSE, False),
        "平阳村.txt": (village_csv("平阳村", 1), True),
        "制表符.txt": (village_csv("平阳村", 1, sep="\t"), True),
        "title_rows.txt": ("青石镇平阳村返乡人员登记表\n" + village_csv("平阳村", 1, rows=1), True),
        "空白.txt": ("\n  \n", False),
        "日报告_2022-02-02.txt": ("青石镇疫情防控零报告（2022年2月2日）\n\n截至2022年2月2日，全镇在管0人。\n",
                                 False),
        "english.txt": ("Please send the list by 5 pm.\nThanks, the office.\nCall us with questions.\n", False),
    }
    for name, (text, table) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="gbk")
        note = text_note(path, name)
        assert (note is None) == table, (name, note)
    assert "taizhang自己生成的日报告" in str(text_note(tmp_path / "日报告_2022-02-02.txt", "x"))
    files, notes = find_input_files([tmp_path])
    assert sorted(p.name for p in files) == ["title_rows.txt", "制表符.txt", "平阳村.txt"]
    assert notes == []
    found = scan_inputs([tmp_path / "说明.txt", tmp_path / "平阳村.txt"])
    assert [p.name for p in found.files] == ["平阳村.txt"]
    assert [p.name for p, _ in found.skipped] == ["说明.txt"]


def test_a_non_table_named_explicitly_is_skipped_not_failed(workspace: Path) -> None:
    (workspace / "说明.txt").write_text(PROSE, encoding="utf-8")
    (workspace / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    result, files = import_json("说明.txt", "照片.jpg")
    assert result.exit_code == 0, result.output
    assert {f["status"] for f in files.values()} == {"skipped"}
    assert "说明.txt：不是表格文件" in result.stderr


def test_daily_with_notes_and_its_own_text_report_in_the_inbox_exits_0_every_day(workspace: Path) -> None:
    inbox = workspace / "inbox"
    (inbox / "说明.txt").write_text(PROSE, encoding="utf-8")
    (inbox / "平阳村.csv").write_text(village_csv("平阳村", 1), encoding="utf-8")
    make_zip(inbox / "东溪村.zip", {"东溪村.xlsx": xlsx_bytes("东溪村", 2), "说明.txt": PROSE.encode("gbk")})
    first = tz("daily", "--date", "2022-02-02")
    assert first.exit_code == 0, first.output
    report = workspace / "out" / "2022-02-02" / "日报告_2022-02-02.txt"
    (inbox / report.name).write_bytes(report.read_bytes())
    (inbox / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    second = tz("daily", "--date", "2022-02-02")
    assert second.exit_code == 0, second.output
    third = tz("daily", "--date", "2022-02-02")
    assert third.exit_code == 0, third.output
    assert list(Path(tempfile.gettempdir()).iterdir()) == []
