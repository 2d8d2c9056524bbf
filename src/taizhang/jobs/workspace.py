"""`taizhang init`: a workspace a clerk can run every day.

Writes `taizhang.toml` with a comment on each key, creates the inbox/out
folders, and copies the default policy and templates so the office edits its
own copies (the packaged defaults stay untouched). Nothing existing is
overwritten.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from taizhang.config import default_policy_text

CONFIG_TEMPLATE = """\
# taizhang 工作目录配置。路径都相对于本文件所在的文件夹。

# 乡镇名称，用于报告标题
township = "{township}"

# 本镇的村（社区）名单：不在名单中的村名会被提示（unknown_village），
# 也用于从标题、文件名中识别村名，以及找出“未报送”的村
villages = [{villages}]

# 台账数据库（一个文件，请定期备份）；也可用 --db 或环境变量 TAIZHANG_DB 指定
db = "taizhang.db"

# 管控政策（方案、检测天数、体温阈值等），可按县里的规定修改
policy = "policy.toml"

# 各村报来的表格放在这里，taizhang daily 每天从这里导入
inbox = "inbox"

# 每天的名单、日报告、通知书输出到这里（按日期分文件夹）
out = "out"

# 自定义模板：把需要修改的模板文件复制到这里，同名文件优先于内置模板
templates = "templates"

# 以下用于日报告和通知书（可留空）
reporter = ""        # 报告人
reviewer = ""        # 审核人
contact_phone = ""   # 通知书上的联系电话
sample_site = ""     # 核酸采样地点，如“村卫生室”
"""


def init_workspace(directory: Path, township: str, villages: list[str]) -> list[Path]:
    """Create the workspace files that do not exist yet; return what was created."""
    created: list[Path] = []
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "taizhang.toml"
    if not config.exists():
        quoted = ", ".join(f'"{v}"' for v in villages)
        config.write_text(CONFIG_TEMPLATE.format(township=township, villages=quoted),
                          encoding="utf-8")
        created.append(config)
    for name in ("inbox", "out", "templates"):
        folder = directory / name
        if not folder.exists():
            folder.mkdir()
            created.append(folder)
    policy = directory / "policy.toml"
    if not policy.exists():
        policy.write_text(default_policy_text(), encoding="utf-8")
        created.append(policy)
    packaged = resources.files("taizhang.outputs").joinpath("templates")
    for item in sorted(packaged.iterdir(), key=lambda t: t.name):
        if not item.is_file() or item.name.startswith((".", "_")):
            continue
        target = directory / "templates" / item.name
        if not target.exists():
            target.write_bytes(item.read_bytes())
            created.append(target)
    return created
