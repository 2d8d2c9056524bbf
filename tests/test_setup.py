"""Setting up a workspace (issue 16, point 8): `init`'s village list and
templates, a Windows path in taizhang.toml, and what `doctor` says about the
village list, the folders, a ledger on a network share and its permissions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_config
from taizhang.jobs import doctor
from taizhang.jobs.workspace import packaged_templates
from taizhang.outputs.templating import environment

runner = CliRunner()
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes and mount table")


def init(root: Path, *args: str):
    return runner.invoke(app, ["init", str(root), *args])


def doctor_in(root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(root)
    return runner.invoke(app, ["doctor"])


# ---------------------------------------------------------------- villages


@pytest.mark.parametrize("text", [
    "平阳村，东溪村、桃源村 石门村",  # the list: 2 villages before
    "平阳村,东溪村;桃源村；石门村",
    "平阳村\n东溪村\r\n桃源村\t石门村",
    " 、平阳村 ， ，东溪村、、桃源村　石门村；",  # separators next to each other, at the ends, a full-width space
])
def test_villages_separated_by_any_mark(tmp_path: Path, monkeypatch, text: str) -> None:
    result = init(tmp_path, "--villages", text)
    assert result.exit_code == 0, result.output
    assert load_config(tmp_path / "taizhang.toml").villages == ["平阳村", "东溪村", "桃源村", "石门村"]
    result = doctor_in(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "正常 村（社区）名单：4个" in result.output


@pytest.mark.parametrize(("text", "says"), [
    ("平阳村、东溪村、平阳村", "村名重复：平阳村"),
    ("、，, ;", "没有村名"),
    ("", "没有村名"),
])
def test_a_village_list_without_names_or_with_one_twice_is_refused(tmp_path: Path, text: str, says: str) -> None:
    result = init(tmp_path / "ws", "--villages", text)
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert not (tmp_path / "ws" / "taizhang.toml").exists()


def test_a_village_name_with_a_quote_keeps_the_config_valid(tmp_path: Path) -> None:
    assert init(tmp_path, "--villages", '新"桥社区 平阳村', "--township", "青石\\镇").exit_code == 0
    config = load_config(tmp_path / "taizhang.toml")
    assert config.villages == ['新"桥社区', "平阳村"] and config.township == "青石\\镇"


def test_init_without_villages_says_where_to_write_them(tmp_path: Path) -> None:
    result = init(tmp_path)
    assert result.exit_code == 0, result.output
    assert "villages" in result.stderr
    assert load_config(tmp_path / "taizhang.toml").villages == []
    result = init(tmp_path, "--villages", "甲村")  # an existing config is never overwritten: it says so
    assert result.exit_code == 0 and "--villages 没有写入" in result.stderr
    assert load_config(tmp_path / "taizhang.toml").villages == []


def test_doctor_flags_villages_written_as_one(tmp_path: Path, monkeypatch) -> None:
    init(tmp_path, "--villages", "甲村")
    (tmp_path / "taizhang.toml").write_text(
        'township = "青石镇"\nvillages = ["平阳村，东溪村、桃源村", "石门村", "石门村"]\n', encoding="utf-8")
    result = doctor_in(tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert '“平阳村，东溪村、桃源村”像是几个村写在了一起' in result.output
    assert 'villages = ["平阳村", "东溪村", "桃源村"]' in result.output
    assert "石门村 重复" in result.output


# ---------------------------------------------------------------- templates


def test_templates_are_copied_only_when_asked(tmp_path: Path) -> None:
    assert init(tmp_path, "--villages", "甲村").exit_code == 0
    assert (tmp_path / "templates").is_dir() and list((tmp_path / "templates").iterdir()) == []
    text = (tmp_path / "taizhang.toml").read_text(encoding="utf-8")
    assert "taizhang init --template 文件名" in text and "taizhang init --templates" in text

    result = init(tmp_path, "--template", "notice_test.txt.j2")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "templates").iterdir()] == ["notice_test.txt.j2"]
    (tmp_path / "templates" / "notice_test.txt.j2").write_text("本镇的通知\n", encoding="utf-8")

    result = init(tmp_path, "--templates")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "templates").iterdir())
    assert names == packaged_templates() and "_macros.j2" not in names
    assert (tmp_path / "templates" / "notice_test.txt.j2").read_text(encoding="utf-8") == "本镇的通知\n"
    assert "其余请删除" in result.stderr

    result = init(tmp_path, "--template", "notice_tset.txt.j2")
    assert result.exit_code == 2 and "notice_test.txt.j2" in result.output


def test_one_template_in_the_folder_overrides_only_itself(tmp_path: Path, monkeypatch) -> None:
    """An existing templates/ folder keeps working, file by file, through the daily run."""
    assert init(tmp_path, "--villages", "甲村", "--template", "daily_report.txt.j2").exit_code == 0
    own = tmp_path / "templates" / "daily_report.txt.j2"
    own.write_text("本镇自己的日报告\n" + own.read_text(encoding="utf-8"), encoding="utf-8")
    env = environment(tmp_path / "templates")
    assert env.get_template("daily_report.txt.j2").render  # the office's copy compiles
    assert "本镇自己的日报告" in (env.loader.get_source(env, "daily_report.txt.j2")[0])
    assert "本镇自己的日报告" not in env.loader.get_source(env, "daily_report.md.j2")[0]

    (tmp_path / "inbox" / "甲村.csv").write_text(
        f"姓名,身份证号,联系电话,村,返乡日期\n张三,{make_id()},13800000001,甲村,2022-02-10\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["daily", "--date", "2022-02-10"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "2022-02-10"
    assert (out / "日报告_2022-02-10.txt").read_text(encoding="utf-8").startswith("本镇自己的日报告")
    assert "本镇自己的日报告" not in (out / "日报告_2022-02-10.md").read_text(encoding="utf-8")
    result = runner.invoke(app, ["doctor"])
    assert "自定义模板 templates：daily_report.txt.j2，其余用内置模板" in result.output


def test_doctor_says_a_misnamed_template_is_not_used(tmp_path: Path, monkeypatch) -> None:
    init(tmp_path, "--villages", "甲村")
    (tmp_path / "templates" / "notice_tset.txt.j2").write_text("x", encoding="utf-8")
    result = doctor_in(tmp_path, monkeypatch)
    assert "notice_tset.txt.j2 不是内置模板的文件名，不会被使用" in result.output


# ---------------------------------------------------------------- Windows paths


CONFIG = 'township = "青石镇"\nvillages = ["甲村"]\n{line}\n[columns]\n"抵达\\\\日期" = "arrival_date"\n'


@pytest.mark.parametrize("value", [r'"D:\taizhang\inbox"',  # \i: not TOML, an English parse error before
                                   r'"D:\taizhang\new"'])  # \t \n: valid TOML, a tab and a line break
def test_a_windows_path_in_double_quotes_gets_the_fix_naming_the_line(tmp_path: Path, value: str) -> None:
    config = tmp_path / "taizhang.toml"
    config.write_text(CONFIG.format(line=f"inbox = {value}"), encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "due-today"])
    assert result.exit_code == 2
    raw = value.strip('"')
    assert f"第3行 inbox = {value}：Windows路径请用单引号 '{raw}' 或正斜杠 \"{raw.replace(chr(92), '/')}\"" \
        in result.output
    assert "Unescaped" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("value", [r"'D:\taizhang\inbox'", r'"D:\\taizhang\\inbox"', '"D:/taizhang/inbox"'])
def test_a_windows_path_written_right_is_read(tmp_path: Path, value: str) -> None:
    config = tmp_path / "taizhang.toml"
    config.write_text(CONFIG.format(line=f"inbox = {value}"), encoding="utf-8")
    loaded = load_config(config)
    assert str(loaded.paths["inbox"]).replace("\\", "/").endswith("D:/taizhang/inbox")
    assert loaded.columns == {"抵达\\日期": "arrival_date"}


def test_other_toml_errors_are_explained_in_chinese_with_their_line(tmp_path: Path) -> None:
    config = tmp_path / "taizhang.toml"
    config.write_text('township = "青石镇"\nvillages = [平阳村]\n', encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "due-today"])
    assert result.exit_code == 2
    assert "第2行 villages = [平阳村]：格式错误" in result.output and "英文双引号" in result.output


# ---------------------------------------------------------------- doctor


def test_doctor_names_each_folder_once(tmp_path: Path, monkeypatch) -> None:
    init(tmp_path, "--villages", "甲村")
    result = doctor_in(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "正常 收件文件夹：inbox" in result.output and "正常 输出文件夹：out" in result.output
    assert "inbox inbox" not in result.output and "out out" not in result.output


MOUNTS = """\
/dev/sda2 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
nas:/export/taizhang /mnt/nas nfs4 rw,relatime 0 0
//server/share /mnt/smb\\040share cifs rw 0 0
clerk@pc:/data /home/clerk/remote fuse.sshfs rw 0 0
/dev/sdb1 /mnt/nas/local ext4 rw 0 0
"""


@pytest.mark.parametrize(("path", "share"), [
    ("/mnt/nas/taizhang.db", "网络文件系统（nfs4）"),
    ("/mnt/smb share/ws/taizhang.db", "网络文件系统（cifs）"),
    ("/home/clerk/remote/taizhang.db", "网络文件系统（fuse.sshfs）"),
    ("/mnt/nas/local/taizhang.db", None),  # a local disk mounted inside the share
    ("/mnt/nasty/taizhang.db", None),  # a name that only starts like the mount point
    ("/home/clerk/taizhang.db", None),
])
def test_the_mount_table_tells_a_network_share(tmp_path: Path, monkeypatch, path: str, share: str | None) -> None:
    table = tmp_path / "mounts"
    table.write_text(MOUNTS, encoding="utf-8")
    monkeypatch.setattr(doctor, "MOUNTS", table)
    assert doctor._posix_share(path, doctor._mount_table()) == share


@pytest.mark.parametrize(("path", "share"), [
    ("\\\\server\\share\\taizhang\\taizhang.db", "网络共享路径"),
    ("\\\\?\\UNC\\server\\share\\taizhang.db", "网络共享路径"),
    ("Z:\\taizhang\\taizhang.db", "映射的网络驱动器 Z:"),
    ("D:\\taizhang\\taizhang.db", None),
    ("\\\\?\\D:\\taizhang\\taizhang.db", None),
])
def test_windows_tells_a_share_and_a_mapped_network_drive(monkeypatch, path: str, share: str | None) -> None:
    monkeypatch.setattr(doctor, "_drive_type", lambda root: 4 if root == "Z:\\" else 3)
    assert doctor._windows_share(path) == share


def test_drive_type_without_windows_is_unknown() -> None:
    if sys.platform != "win32":
        assert doctor._drive_type("C:\\") is None


@POSIX_ONLY
def test_doctor_warns_when_the_ledger_is_on_a_network_share(tmp_path: Path, monkeypatch) -> None:
    init(tmp_path, "--villages", "甲村")
    monkeypatch.setattr(doctor, "_mount_table", lambda: [("/", "ext4"), (str(tmp_path.resolve()), "cifs")])
    result = doctor_in(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output  # a warning: the day's work still runs
    assert "注意 台账数据库 taizhang.db 在网络文件系统（cifs）上" in result.output
    assert "本机硬盘" in result.output
    monkeypatch.setattr(doctor, "_mount_table", lambda: [("/", "ext4")])
    assert "网络" not in doctor_in(tmp_path, monkeypatch).output


@POSIX_ONLY
def test_doctor_fails_when_others_can_read_the_ledger(tmp_path: Path, monkeypatch) -> None:
    init(tmp_path, "--villages", "甲村")
    (tmp_path / "inbox" / "甲村.csv").write_text(
        f"姓名,身份证号,联系电话,村,返乡日期\n张三,{make_id()},13800000001,甲村,2022-02-10\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["import", "inbox"]).exit_code == 0
    db = tmp_path / "taizhang.db"
    assert runner.invoke(app, ["doctor"]).exit_code == 0  # created owner-only
    db.chmod(0o644)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert ("需处理 数据库权限：taizhang.db 同组或其他用户可读（权限 644）：请运行 chmod 600 taizhang.db"
            in result.output)
    monkeypatch.setattr(doctor, "_can_restrict", lambda folder: False)
    assert "不支持文件权限" in runner.invoke(app, ["doctor"]).output


def test_doctor_notes_that_windows_cannot_restrict_the_ledger(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(doctor.sys, "platform", "win32")
    monkeypatch.setattr(doctor, "_drive_type", lambda root: None)
    checks = doctor._location_checks(tmp_path / "taizhang.db")
    assert [c.warning for c in checks] == [True]
    assert "0600 不起作用" in checks[0].what


# ---------------------------------------------------------------- python -m taizhang


def test_python_dash_m_taizhang_runs_the_command_line() -> None:
    result = subprocess.run([sys.executable, "-m", "taizhang", "--version"], capture_output=True,
                            text=True, encoding="utf-8", cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("taizhang ")
