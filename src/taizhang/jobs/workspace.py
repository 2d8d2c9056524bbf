"""`taizhang init`: a workspace a clerk can run every day.

Writes `taizhang.toml` with a comment on each key, creates the inbox/out/
templates folders and copies the default policy so the office edits its own
copy. Templates are copied only when asked (`--templates` all of them,
`--template NAME` one): a copy hides every later fix of the packaged file, so
an office keeps copies only of what it changed. Nothing existing is
overwritten.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path

from taizhang.config import default_policy_text
from taizhang.errors import UsageError

# what clerks put between village names: 、，,;； and any space or line break
VILLAGE_SEPARATORS = re.compile(r"[、，,;；\s]+")

CONFIG_TEMPLATE = """\
# taizhang 工作目录配置。路径都相对于本文件所在的文件夹。
# Windows 路径含反斜杠时请用单引号，如 inbox = 'D:\\taizhang\\inbox'，
# 或改用正斜杠，如 inbox = "D:/taizhang/inbox"（双引号中的 \\ 有特殊含义）。

# 乡镇名称，用于报告标题
township = {township}

# 本镇的村（社区）名单，每个村单独加引号、用逗号分隔：不在名单中的村名会被提示
# （unknown_village），也用于从标题、文件名中识别村名，以及找出“未报送”的村
villages = [{villages}]

# 台账数据库（一个文件，请定期备份）；也可用 --db 或环境变量 TAIZHANG_DB 指定。
# 请放在本机硬盘上，不要放在网络共享文件夹或映射的网络驱动器上
db = "taizhang.db"

# 管控政策（方案、检测天数、体温阈值等），可按县里的规定修改
policy = "policy.toml"

# 各村报来的表格放在这里，taizhang daily 每天从这里导入
inbox = "inbox"

# 每天的名单、日报告、通知书输出到这里（按日期分文件夹）
out = "out"

# 自定义模板：这里的同名文件优先于内置模板，其余仍用内置模板。
# 要修改某个模板，先运行 taizhang init --template 文件名（如 notice_test.txt.j2）
# 把它复制到这里再改；taizhang init --templates 复制全部模板。
# 没有修改的模板请不要留在这里，否则升级 taizhang 后用不上内置模板的修正。
templates = "templates"

# 以下用于日报告和通知书（可留空）
reporter = ""        # 报告人
reviewer = ""        # 审核人
contact_phone = ""   # 通知书上的联系电话
sample_site = ""     # 核酸采样地点，如“村卫生室”
"""


def split_villages(text: str) -> list[str]:
    """The village names of `--villages`, separated by 、，,;； spaces or line
    breaks. Nothing left, or a name given twice, is a usage error."""
    names = [name for name in VILLAGE_SEPARATORS.split(text) if name]
    if not names:
        raise UsageError("--villages 中没有村名：请写出本镇的村（社区），用顿号、逗号或空格分隔，"
                         "如 --villages \"平阳村、东溪村\"")
    twice = [name for name, n in Counter(names).items() if n > 1]
    if twice:
        raise UsageError(f"--villages 中村名重复：{'、'.join(twice)}：请每个村只写一次")
    return names


def packaged_templates() -> list[str]:
    """The names of the packaged templates an office may copy and change."""
    packaged = resources.files("taizhang.outputs").joinpath("templates")
    return sorted(item.name for item in packaged.iterdir()
                  if item.is_file() and not item.name.startswith((".", "_")))


def init_workspace(directory: Path, township: str, villages: list[str],
                   templates: list[str] | None = None) -> list[Path]:
    """Create the workspace files that do not exist yet; return what was created.

    `templates` names the packaged templates to copy into `templates/`
    (`packaged_templates()` for all); by default none is copied."""
    wanted = templates or []
    unknown = sorted(set(wanted) - set(packaged_templates()))
    if unknown:
        raise UsageError(f"没有名为 {'、'.join(unknown)} 的模板：可复制的模板有 "
                         f"{'、'.join(packaged_templates())}")
    created: list[Path] = []
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "taizhang.toml"
    if not config.exists():
        # JSON strings are TOML basic strings: a quote or backslash in a name stays valid
        quoted = ", ".join(json.dumps(v, ensure_ascii=False) for v in villages)
        config.write_text(CONFIG_TEMPLATE.format(township=json.dumps(township, ensure_ascii=False),
                                                 villages=quoted), encoding="utf-8")
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
    for name in sorted(set(wanted)):
        target = directory / "templates" / name
        if not target.exists():
            target.write_bytes(packaged.joinpath(name).read_bytes())
            created.append(target)
    return created
