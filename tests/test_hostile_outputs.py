"""Data that used to crash the outputs (issue 15, cause 6): rich markup in a
name or a file name, a name too long for a file name, a control character in
a name, a date at the end of the calendar, a policy phase of millions of days.
Every command ends with exit 0, 1 or 2 and no internal error."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
LONG = "阿" * 70
IDS = {"markup": make_id(seq="173"), "long": make_id(seq="183"), "bell": make_id(seq="193"),
       "far": make_id(seq="203")}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile_outputs")
    assert runner.invoke(app, ["init", str(root), "--villages", "平阳村,东溪村"]).exit_code == 0
    rows = ["姓名,身份证号,联系电话,村,返乡日期,管控措施",
            f"王[/red]伟,{IDS['markup']},13812345678,平阳村,2022-02-08,居家隔离14天",
            f"{LONG},{IDS['long']},13812345679,平阳村,2022-02-08,居家隔离14天",
            f"张\x07三,{IDS['bell']},13812345670,平阳村,2022-02-08,居家隔离14天",
            f"李四,{IDS['far']},13812345671,平阳村,9999-12-31,居家隔离14天"]
    (root / "inbox" / "[1]平阳村.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def run(ws: Path, *args: str) -> str:
    result = runner.invoke(app, ["--db", str(ws / "taizhang.db"), "--config", str(ws / "taizhang.toml"),
                                 "--as-of", "2022-02-08", *args])
    assert result.exit_code in (0, 1), result.output
    assert "内部错误" not in result.output and "Traceback" not in result.output
    return result.output


def test_markup_in_names_and_file_names_is_text(ws: Path) -> None:
    validated = run(ws, "validate", str(ws / "inbox"))
    assert "[1]平阳村.csv" in validated and "date_future" in validated
    run(ws, "import", str(ws / "inbox"))
    due = run(ws, "due-today", "--no-mask")
    assert "王[/red]伟" in due or "王[/red]…" in due
    person = run(ws, "person", IDS["markup"])
    assert "王[/red]伟" in person
    assert "[1]平阳村.csv" in run(ws, "batches")
    run(ws, "policy", "show")
    run(ws, "daily-report", "--format", "text")


def test_notices_for_long_names_and_control_characters(ws: Path, tmp_path: Path) -> None:
    from docx import Document

    run(ws, "import", str(ws / "inbox"))
    out = run(ws, "notice", "isolation", "--format", "docx", "--out", str(tmp_path))
    written = sorted(tmp_path.glob("*.docx"))
    assert f"{len(written)} 人" in out and len(written) == 3  # 李四's date is in the future: not under control
    for path in written:
        assert len(path.name.encode("utf-8")) <= 200
        text = "\n".join(p.text for p in Document(str(path)).paragraphs)
        assert "\x07" not in text
    assert any("张三" in "\n".join(p.text for p in Document(str(p)).paragraphs) for p in written)


@pytest.mark.parametrize("edit, words", [
    (("[\"居家隔离\", 14]", "[\"居家隔离\", 3000000]"), "超过1000天"),
    (("early = ", "early = 999999 #"), "settings.early"),
])
def test_a_policy_of_millions_of_days_is_refused(ws: Path, tmp_path: Path, edit: tuple[str, str],
                                                 words: str) -> None:
    from taizhang.config import default_policy_text

    text = default_policy_text()
    assert edit[0] in text
    policy = tmp_path / "policy.toml"
    policy.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    result = runner.invoke(app, ["--db", str(ws / "taizhang.db"), "--policy", str(policy), "policy", "show"])
    assert result.exit_code == 2, result.output
    assert words in result.output and "内部错误" not in result.output
