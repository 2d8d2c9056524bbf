"""`taizhang demo`: a fresh workspace filled with the bundled sample village files,
then one daily run, so a new user sees every output on realistic data."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from taizhang.config import load_config, load_policy
from taizhang.errors import TaizhangError
from taizhang.jobs.daily import DailyResult, run_daily
from taizhang.jobs.workspace import init_workspace


def sample_data_dir() -> Path:
    """The bundled sample village files (in the source checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "sample_data"
        if candidate.is_dir() and any(candidate.glob("*.xlsx")):
            return candidate
    raise TaizhangError("找不到样例数据 sample_data/：demo 需要在源码目录中安装（pip install -e .）")


SAMPLE_VILLAGES = ["平阳村", "东溪村", "桃源村", "新桥社区", "石门村"]


def run_demo(directory: Path | None, day: date) -> DailyResult:
    """A fresh workspace filled from sample_data/, then one daily run on `day`."""
    workspace = directory or Path(tempfile.mkdtemp(prefix="taizhang-demo-"))
    init_workspace(workspace, "青石镇", SAMPLE_VILLAGES)
    inbox = workspace / "inbox"
    for source in sorted(sample_data_dir().iterdir()):
        if source.is_file() and source.suffix.lower() in (".xlsx", ".xls", ".csv"):
            shutil.copy2(source, inbox / source.name)
    config = load_config(workspace / "taizhang.toml")
    policy = load_policy(config.paths.get("policy"))
    result = run_daily(config, config.paths.get("db") or workspace / "taizhang.db", policy, day, 60)
    result.summary.insert(0, f"演示工作目录：{workspace}（样例数据已放入 inbox/）")
    result.summary.append("主要输出：")
    result.summary.extend(f"  {p}" for p in result.outputs)
    return result
