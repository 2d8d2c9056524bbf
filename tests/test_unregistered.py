"""People seen but never registered (issue 17, point 4): named only by a
test or temperature sheet, they are listed per village in daily's outputs
and counted in its summary, so the village registers them."""

from __future__ import annotations

from pathlib import Path

from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
REG, SEEN, WARM = make_id(seq="213"), make_id(seq="223"), make_id(seq="233")


def test_daily_lists_and_counts_the_unregistered(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村,东溪村"]).exit_code == 0
    inbox = ws / "inbox"
    (inbox / "平阳村登记.csv").write_text(
        f"姓名,身份证号,联系电话,返乡日期\n李四,{REG},13812345671,2022-02-05\n", encoding="utf-8")
    (inbox / "平阳村核酸.csv").write_text(
        f"姓名,身份证号,采样日期,检测结果\n李四,{REG},2022-02-06,阴性\n王五,{SEEN},2022-02-06,阴性\n",
        encoding="utf-8")
    (inbox / "东溪村体温.csv").write_text(
        f"姓名,身份证号,日期,时段,体温\n赵六,{WARM},2022-02-06,上午,36.5\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(ws / "taizhang.toml"), "daily", "--date", "2022-02-07"])
    assert result.exit_code == 0, result.output
    assert "有核酸/体温记录但未登记：2人（东溪村1人、平阳村1人）" in result.output
    listing = (ws / "out" / "2022-02-07" / "未登记人员_2022-02-07.csv").read_text(encoding="utf-8-sig")
    rows = [line.split(",") for line in listing.strip().splitlines()]
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows[1:]] == [
        ("东溪村", "赵六", WARM[:6] + "********" + WARM[-4:], "0", "1"),
        ("平阳村", "王五", SEEN[:6] + "********" + SEEN[-4:], "1", "0")]
    assert REG not in listing and "李四" not in listing  # registered: not listed
    for fmt, words in (("text", "【未登记】有核酸/体温记录但未登记：2人（东溪村1人、平阳村1人）"),
                       ("md", "**未登记**：有核酸/体温记录但未登记：2人")):
        report = runner.invoke(app, ["--config", str(ws / "taizhang.toml"), "daily-report", "--date",
                                     "2022-02-07", "--format", fmt])
        assert words in report.stdout, (fmt, report.stdout)
    html = (ws / "out" / "2022-02-07" / "日报告_2022-02-07.html").read_text(encoding="utf-8")
    assert "<b>未登记：</b>有核酸/体温记录但未登记：2人" in html


def test_no_list_when_everyone_is_registered(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村"]).exit_code == 0
    (ws / "inbox" / "平阳村登记.csv").write_text(
        f"姓名,身份证号,联系电话,返乡日期\n李四,{REG},13812345671,2022-02-05\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(ws / "taizhang.toml"), "daily", "--date", "2022-02-07"])
    assert result.exit_code == 0, result.output
    assert not list((ws / "out" / "2022-02-07").glob("未登记人员_*"))
    assert "未登记" not in result.output


def test_the_list_dropped_into_the_inbox_is_not_village_data(tmp_path: Path) -> None:
    """未登记人员_D.csv is taizhang's own output: its header (the packaged labels)
    is recognised, and a later import skips it."""
    from taizhang.ingest.own import CSV_HEADERS
    from taizhang.outputs.templating import load_labels
    from taizhang.outputs.unregistered import COLUMNS, unregistered_csv

    header = tuple(unregistered_csv([], load_labels()).strip().split(","))
    assert CSV_HEADERS[header] == "unregistered" and len(header) == len(COLUMNS)
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村"]).exit_code == 0
    (ws / "inbox" / "平阳村核酸.csv").write_text(
        f"姓名,身份证号,采样日期,检测结果\n王五,{SEEN},2022-02-06,阴性\n", encoding="utf-8")
    base = ["--config", str(ws / "taizhang.toml")]
    assert runner.invoke(app, [*base, "daily", "--date", "2022-02-07"]).exit_code == 0
    listing = ws / "out" / "2022-02-07" / "未登记人员_2022-02-07.csv"
    (ws / "inbox" / listing.name).write_bytes(listing.read_bytes())
    again = runner.invoke(app, [*base, "import", str(ws / "inbox" / listing.name), "--format", "json"])
    assert again.exit_code == 0, again.output
    assert '"status": "skipped"' in again.stdout
