"""`taizhang doctor`: check the workspace and say what to fix.

Each check returns a line the clerk can act on; nothing is changed. The
command exits 1 when any check fails, so it can run before the cron job.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from taizhang.config import Config, load_config, load_policy
from taizhang.errors import TaizhangError

MIN_FREE_BYTES = 500 * 1024 * 1024


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
            checks.append(Check(False, "乡镇名称", "taizhang.toml 中 township 为空：请填写，如 "
                                                  'township = "青石镇"'))
        if not config.villages:
            checks.append(Check(False, "村（社区）名单", "taizhang.toml 中 villages 为空：请填写本镇的"
                                                       "村（社区），否则无法识别村名和未报送"))
        else:
            checks.append(Check(True, f"村（社区）名单：{len(config.villages)}个"))
    try:
        policy = load_policy(policy_path or config.paths.get("policy"))
        checks.append(Check(True, f"管控政策：{policy.source}，{len(policy.regimes)}个方案"))
    except TaizhangError as exc:
        checks.append(Check(False, "管控政策", exc.message))
    checks.extend(_template_checks(config))
    db = db_path or config.paths.get("db") or Path("taizhang.db")
    checks.extend(_database_checks(db))
    for key, label in (("inbox", "收件文件夹 inbox"), ("out", "输出文件夹 out")):
        folder = config.paths.get(key)
        if folder is None:
            continue
        if not folder.is_dir():
            checks.append(Check(False, label, f"{folder} 不存在：请创建，或运行 taizhang init"))
        elif key == "out" and not _writable(folder):
            checks.append(Check(False, label, f"{folder} 无法写入：请检查文件夹权限或是否为只读"))
        else:
            checks.append(Check(True, f"{label} {folder}"))
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
    if not checks:
        checks.append(Check(True, f"自定义模板 {folder}"))
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
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        checks.append(Check(False, "数据库版本", f"由更新版本的 taizhang 创建（{version}）：请升级 taizhang"))
    elif version < SCHEMA_VERSION:
        checks.append(Check(True, f"数据库版本 {version}，下次运行时自动升级到 {SCHEMA_VERSION}",
                            warning=True))
    if sys.platform != "win32" and db.stat().st_mode & 0o077:
        checks.append(Check(False, "数据库权限", f"{db} 其他用户可读：请运行 chmod 600 {db}（含个人信息）"))
    return checks


def _writable(folder: Path) -> bool:
    probe = folder / f".taizhang-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False
