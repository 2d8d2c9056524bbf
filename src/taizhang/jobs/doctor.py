"""`taizhang doctor`: check the workspace and say what to fix.

Each check returns a line the clerk can act on; nothing is changed. The
command exits 1 when any check fails, so it can run before the cron job.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from taizhang.config import Config, load_config, load_policy
from taizhang.errors import TaizhangError
from taizhang.jobs.workspace import VILLAGE_SEPARATORS

MIN_FREE_BYTES = 500 * 1024 * 1024
MOUNTS = Path("/proc/mounts")  # Linux: mount point and filesystem type of every mount
# filesystems reached over the network: SQLite's locking (and so WAL) is unsafe on them
NETWORK_FS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "9p", "afs", "ceph",
                        "glusterfs", "lustre", "gpfs", "davfs", "davfs2", "ncpfs", "rclone", "s3fs"})
DRIVE_REMOTE = 4  # GetDriveTypeW: a mapped network drive


@dataclass(slots=True)
class Check:
    ok: bool
    what: str
    fix: str = ""
    warning: bool = False


def run_checks(config_path: Path | None, db_path: Path | None, policy_path: Path | None
               ) -> list[Check]:
    checks: list[Check] = []
    try:
        config = load_config(config_path)
    except TaizhangError as exc:
        return [Check(False, "配置文件", exc.message)]
    if config.source is None:
        checks.append(Check(False, "配置文件", "当前目录没有 taizhang.toml：请运行 taizhang init，"
                                             "或用 --config 指定"))
        config = Config()
    else:
        checks.append(Check(True, f"配置文件 {config.source}"))
        if not config.township:
            checks.append(Check(False, "乡镇名称", f"{config.source.name} 中 township 为空：请填写，如 "
                                                  'township = "青石镇"'))
        checks.extend(_village_checks(config.villages, config.source.name))
    try:
        policy = load_policy(policy_path or config.paths.get("policy"))
        checks.append(Check(True, f"管控政策：{policy.source}，{len(policy.regimes)}个方案"))
    except TaizhangError as exc:
        checks.append(Check(False, "管控政策", exc.message))
    checks.extend(_template_checks(config))
    db = db_path or config.paths.get("db") or Path("taizhang.db")
    checks.extend(_database_checks(db))
    checks.extend(_location_checks(db))
    for key, label in (("inbox", "收件文件夹"), ("out", "输出文件夹")):
        folder = config.paths.get(key)
        if folder is None:
            continue
        if not folder.is_dir():
            checks.append(Check(False, f"{label}（{key}）", f"{folder} 不存在：请创建，或运行 taizhang init"))
        elif key == "out" and not _writable(folder):
            checks.append(Check(False, f"{label}（{key}）", f"{folder} 无法写入：请检查文件夹权限或是否为只读"))
        else:
            checks.append(Check(True, f"{label}：{folder}"))
    target = config.paths.get("out") or (config.source.parent if config.source else Path("."))
    if target.exists():
        free = shutil.disk_usage(target).free
        if free < MIN_FREE_BYTES:
            checks.append(Check(False, "磁盘空间", f"{target} 所在磁盘只剩 {free // (1 << 20)} MB："
                                                 "请清理磁盘（至少留 500 MB）"))
        else:
            checks.append(Check(True, f"磁盘空间：剩余 {free // (1 << 30)} GB"))
    return checks


def _template_checks(config: Config) -> list[Check]:
    folder = config.paths.get("templates")
    if folder is None or not folder.is_dir():
        return []
    from jinja2 import TemplateSyntaxError

    from taizhang.outputs.templating import environment

    checks = []
    try:
        env = environment(folder)
    except Exception as exc:  # labels.toml broken
        return [Check(False, "模板 labels.toml", f"无法读取（{exc}）：请改正或删除该文件以使用内置版本")]
    for path in sorted(folder.glob("*.j2")):
        try:
            env.get_template(path.name)
        except TemplateSyntaxError as exc:
            checks.append(Check(False, f"模板 {path.name}", f"第{exc.lineno}行语法错误（{exc.message}）："
                                                          "请改正，或删除该文件以使用内置模板"))
    packaged = {item.name for item in resources.files("taizhang.outputs").joinpath("templates").iterdir()}
    own = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    for name in own:
        if name not in packaged:
            checks.append(Check(True, f"模板文件夹中的 {name} 不是内置模板的文件名，不会被使用：要修改模板请用 "
                                      "taizhang init --template 文件名 复制，或把它改成内置模板的名字",
                                warning=True))
    if not any(not c.ok for c in checks):
        used = [name for name in own if name in packaged]
        checks.append(Check(True, f"自定义模板 {folder}：" + (
            f"{'、'.join(used)}，其余用内置模板" if used else "无，全部使用内置模板")))
    return checks


def _database_checks(db: Path) -> list[Check]:
    from taizhang.ledger.schema import SCHEMA_VERSION

    if not db.exists():
        return [Check(True, f"台账数据库 {db} 尚未创建（第一次导入时创建）", warning=True)]
    checks = []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            people = conn.execute("SELECT count(*) FROM persons").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [Check(False, f"台账数据库 {db}", f"无法读取（{exc}）：请检查 --db 路径，或从备份恢复")]
    if result != "ok":
        checks.append(Check(False, f"台账数据库 {db}", f"完整性检查未通过（{result}）：请从备份恢复"))
    else:
        checks.append(Check(True, f"台账数据库 {db}：完整，{people}人"))
    try:
        version = int(row[0]) if row else 0
    except ValueError:  # as `ledger.schema.read_version` says it
        checks.append(Check(False, "数据库版本", f"结构版本“{row[0]}”无法识别：文件可能已损坏，"
                            f"请用备份恢复（{db.parent / 'backups'}文件夹）"))
        return checks
    if version > SCHEMA_VERSION:
        checks.append(Check(False, "数据库版本", f"由更新版本的 taizhang 创建（{version}）：请升级 taizhang"))
    elif version < SCHEMA_VERSION:
        checks.append(Check(True, f"数据库版本 {version}，下次运行时自动升级到 {SCHEMA_VERSION}",
                            warning=True))
    return checks


def _writable(folder: Path) -> bool:
    probe = folder / f".taizhang-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def _village_checks(villages: list[str], config_name: str) -> list[Check]:
    if not villages:
        return [Check(False, "村（社区）名单", f"{config_name} 中 villages 为空：请填写本镇的"
                                              "村（社区），否则无法识别村名和未报送")]
    checks = []
    for name in villages:
        parts = [part for part in VILLAGE_SEPARATORS.split(name) if part]
        if len(parts) > 1:
            listed = ", ".join(f'"{part}"' for part in parts)
            checks.append(Check(False, "村（社区）名单", f"“{name}”像是几个村写在了一起：请在 {config_name} "
                                                        f"中每个村单独加引号，如 villages = [{listed}]"))
    twice = sorted({name for name in villages if villages.count(name) > 1})
    if twice:
        checks.append(Check(True, f"村（社区）名单中 {'、'.join(twice)} 重复：请在 {config_name} 中删去多余的",
                            warning=True))
    if not any(not c.ok for c in checks):
        checks.append(Check(True, f"村（社区）名单：{len(set(villages))}个"))
    return checks


def _location_checks(db: Path) -> list[Check]:
    """Where the ledger lives: on this PC's own disk (SQLite's WAL is unsafe on
    a network share), and readable by its owner only (personal data)."""
    checks = []
    share = network_share(db)
    if share is not None:
        checks.append(Check(True, f"台账数据库 {db} 在{share}上：SQLite 数据库在网络共享上可能损坏或丢失数据，"
                                  "请把数据库放在本机硬盘上（改 taizhang.toml 中的 db，或用 --db），"
                                  "需要给别的电脑用时复制 backups/ 中的备份", warning=True))
    if sys.platform == "win32":
        checks.append(Check(True, "文件权限：Windows 上台账数据库和导出文件无法设为仅本人可读（0600 不起作用）："
                                  "请把工作目录放在只有本账户能打开的文件夹中（如 C:\\Users\\用户名 下），"
                                  "不要共享该文件夹", warning=True))
    elif db.is_file():
        mode = db.stat().st_mode & 0o777
        if mode & 0o066:
            who = "同组或其他用户可读" if mode & 0o044 else "同组或其他用户可写"
            if _can_restrict(db.parent):
                fix = f"请运行 chmod 600 {db}（台账含个人信息）"
            else:
                fix = (f"{db.parent} 所在的磁盘不支持文件权限（如U盘、FAT/exFAT、NTFS分区）："
                       "请把工作目录移到本机的 Linux 分区（如主目录下）")
            checks.append(Check(False, "数据库权限", f"{db} {who}（权限 {mode:03o}）：{fix}"))
    return checks


def network_share(path: Path) -> str | None:
    """What network share holds `path` ("映射的网络驱动器 Z:", "网络文件系统（nfs4）"),
    or None for a local disk or when it cannot be told."""
    try:
        absolute = Path(os.path.abspath(path))
        resolved = absolute.resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if sys.platform == "win32":
        return _windows_share(str(absolute)) or _windows_share(str(resolved))
    return _posix_share(resolved.as_posix(), _mount_table())


def _windows_share(text: str) -> str | None:
    """A UNC path (\\\\server\\share) or a drive Windows says is remote."""
    if text.startswith("\\\\?\\UNC\\"):
        text = "\\\\" + text[8:]
    elif text.startswith(("\\\\?\\", "\\\\.\\")):
        text = text[4:]
    if text.startswith(("\\\\", "//")):
        return "网络共享路径"
    if len(text) >= 2 and text[1] == ":" and _drive_type(text[:2] + "\\") == DRIVE_REMOTE:
        return f"映射的网络驱动器 {text[:2].upper()}"
    return None


def _drive_type(root: str) -> int | None:
    """GetDriveTypeW of a drive root ("D:\\"); None where it cannot be asked."""
    try:
        import ctypes

        return int(ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)))  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError, ValueError):
        return None


def _mount_table() -> list[tuple[str, str]]:
    """(mount point, filesystem type) of each mount; empty where there is no /proc/mounts."""
    try:
        text = MOUNTS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    table = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:  # a space in a mount point is written \\040
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])
            table.append((point, fields[2]))
    return table


def _posix_share(path: str, table: list[tuple[str, str]]) -> str | None:
    """The filesystem of the mount holding `path` (the longest mount point; a
    later mount over the same point wins), if it is reached over the network."""
    best: tuple[str, str] | None = None
    for point, fstype in table:
        inside = point == "/" or path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = (point, fstype)
    if best is None:
        return None
    fstype = best[1].lower()
    kind = fstype.removeprefix("fuse.").split(".")[0]
    return f"网络文件系统（{best[1]}）" if kind in NETWORK_FS or fstype.startswith("nfs") else None


def _can_restrict(folder: Path) -> bool:
    """Whether a file made owner-only in `folder` stays so (FAT, exFAT and
    NTFS mounts ignore permissions); True when it cannot be tried."""
    probe = folder / f".taizhang-mode-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        try:
            return not os.fstat(fd).st_mode & 0o077
        finally:
            os.close(fd)
            probe.unlink()
    except OSError:
        return True
