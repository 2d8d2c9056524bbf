"""The 告知书 (`notice isolation`) is worded for the phase the person starts in
on D (居家隔离 / 居家健康监测 / 集中隔离 / 日常健康监测), without empty clauses;
a notice for nobody writes no file, and `--id` for someone not due writes
nothing and says so.

The ledger (as of 2022-02-10; villages 甲村, 乙村), everyone returning 02-10:
- 甲健康: no 管控措施 → returnee_monitor14, 居家健康监测 14.
- 乙居家: 管控措施 居家隔离14天 → home14, 居家隔离 14.
- 丙密接: 人员类别 密切接触者 → close_contact_14_7, 集中隔离 14 then 居家健康监测 7.
- 丁日常: 管控措施 本土病例省份返乡 → province_case_7, 日常健康监测 7.
- 戊高风险: 风险等级 高, left 01-25 → high_risk_14_7 counted from 01-25: day 17
  on 02-10, so control starts in 居家健康监测 (填平补齐).
- 己登记 (乙村): no 返乡日期, 登记日期 02-10, from 江西省南昌市.
- 庚无源 (乙村): 登记日期 02-10 only, no origin.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
NAMES = ["甲健康", "乙居家", "丙密接", "丁日常", "戊高风险", "己登记", "庚无源"]
IDS = {name: make_id(seq=f"{i:02d}7") for i, name in enumerate(NAMES, start=1)}
TITLES = {"甲健康": "居家健康监测告知书", "乙居家": "居家隔离医学观察告知书",
          "丙密接": "集中隔离医学观察告知书", "丁日常": "日常健康监测告知书",
          "戊高风险": "居家健康监测告知书", "己登记": "居家健康监测告知书",
          "庚无源": "居家健康监测告知书"}
ISOLATION_FILE = "居家隔离告知书_2022-02-10.html"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["甲村", "乙村"]\n',
                                        encoding="utf-8")
    header = ["姓名", "身份证号", "村", "返乡日期", "登记日期", "来源地", "人员类别", "风险等级",
              "离开风险地日期", "管控措施", "包保责任人", "村医"]
    rows = [header,
            ["甲健康", IDS["甲健康"], "甲村", "2022-02-10", "", "江西省南昌市", "", "", "", "", "陈干部", "刘医生"],
            ["乙居家", IDS["乙居家"], "甲村", "2022-02-10", "", "", "", "", "", "居家隔离14天", "", ""],
            ["丙密接", IDS["丙密接"], "甲村", "2022-02-10", "", "杭州市", "密切接触者", "", "", "", "", ""],
            ["丁日常", IDS["丁日常"], "甲村", "2022-02-10", "", "", "", "", "", "本土病例省份返乡", "", ""],
            ["戊高风险", IDS["戊高风险"], "甲村", "2022-02-10", "", "西安市", "", "高", "2022-01-25", "", "", ""],
            ["己登记", IDS["己登记"], "乙村", "", "2022-02-10", "江西省南昌市", "", "", "", "", "", ""],
            ["庚无源", IDS["庚无源"], "乙村", "", "2022-02-10", "", "", "", "", "", "", ""]]
    (root / "inbox" / "登记.csv").write_text("\n".join(",".join(r) for r in rows) + "\n",
                                            encoding="utf-8")
    monkeypatch.chdir(root)
    result = tz("import", "inbox")
    assert result.exit_code == 0, result.output
    return root


def tz(*args: str, as_of: str = "2022-02-10"):
    return runner.invoke(app, ["--as-of", as_of, *args])


def notices(page: Path) -> dict[str, str]:
    """Each notice of a printable page as text (title first), by the person's name."""
    found = {}
    for section in page.read_text(encoding="utf-8").split('<section class="notice">')[1:]:
        text = html.unescape(re.sub(r"<[^>]+>", "", section))
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        name = lines[1].split("（")[0]
        found[name] = "\n".join(lines)
    return found


@pytest.fixture
def isolation(ws: Path) -> dict[str, str]:
    result = tz("notice", "isolation", "--out", "n")
    assert result.exit_code == 0, result.output
    return notices(ws / "n" / ISOLATION_FILE)


def test_everyone_starting_today_gets_one(isolation: dict[str, str]) -> None:
    assert sorted(isolation) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_title_follows_the_phase_control_starts_in(isolation: dict[str, str], name: str) -> None:
    assert isolation[name].splitlines()[0] == TITLES[name]


def test_only_home_isolation_keeps_people_indoors(isolation: dict[str, str]) -> None:
    """居家期间不外出、不串门 is the 居家隔离 rule, not a 健康监测 or 集中隔离 one."""
    assert "居家期间不外出、不串门" in isolation["乙居家"]
    assert "居家隔离期间请您遵守以下规定" in isolation["乙居家"]
    for name in ("甲健康", "丙密接", "丁日常", "戊高风险"):
        assert "不外出、不串门" not in isolation[name], name
        assert "居家隔离期间" not in isolation[name], name


def test_home_monitoring_wording(isolation: dict[str, str]) -> None:
    text = isolation["甲健康"]
    assert "居家健康监测期间请您遵守以下规定" in text
    assert "非必要不外出，确需外出的须向村（社区）报备" in text
    assert "每天上午、下午各测量体温一次" in text  # the policy's phase asks for readings
    assert "（第1、7、14天）" in text


def test_close_contact_starts_in_central_isolation(isolation: dict[str, str]) -> None:
    text = isolation["丙密接"]
    assert "集中隔离期间请您遵守以下规定" in text and "转运至集中隔离点" in text
    assert "其中2022年2月10日至2022年2月23日集中隔离，2022年2月24日至2022年3月2日居家健康监测。" in text
    assert "集中隔离期满后转为居家健康监测7天，届时另行告知" in text
    assert "每天上午、下午各测量体温一次" not in text  # the default policy: 集中隔离 temperature = false


def test_daily_monitoring_wording(isolation: dict[str, str]) -> None:
    text = isolation["丁日常"]
    assert "日常健康监测期间请您注意" in text and "（第1天）" in text
    assert "测量体温一次" not in text


def test_filled_up_days_start_in_the_later_phase(isolation: dict[str, str]) -> None:
    text = isolation["戊高风险"]
    assert "自2022年1月25日起计算，已满的天数不再重复" in text
    assert "自2022年2月10日起至2022年2月14日止，计划于2022年2月15日解除" in text
    assert "集中隔离期间" not in text


def test_no_empty_clause_without_arrival_date(isolation: dict[str, str]) -> None:
    assert "根据疫情防控工作要求，您从江西省南昌市返乡，需落实" in isolation["己登记"]
    assert "根据疫情防控工作要求，您需落实" in isolation["庚无源"]
    assert "根据疫情防控工作要求，您于2022年2月10日返乡，需落实" in isolation["乙居家"]
    assert "您于2022年2月10日从江西省南昌市返乡，需落实" in isolation["甲健康"]
    for text in isolation.values():
        assert "（来自" not in text and "您（" not in text and "于返乡" not in text
        assert "（第天）" not in text and "从返乡" not in text


def test_docx_heading_follows_the_phase(ws: Path) -> None:
    from docx import Document

    result = tz("notice", "isolation", "--format", "docx", "--out", "d", "--id", IDS["丙密接"])
    assert result.exit_code == 0, result.output
    [path] = (ws / "d").glob("*.docx")
    assert Document(str(path)).paragraphs[0].text == "集中隔离医学观察告知书"


@pytest.mark.parametrize("kind", ["isolation", "test", "release"])
def test_nobody_due_writes_no_file(ws: Path, kind: str) -> None:
    result = tz("notice", kind, "--out", "n", as_of="2022-02-13")  # nobody starts or is tested
    assert result.exit_code == 0, result.output
    assert "今日（2022-02-13）没有需要发放的" in result.stderr and "未生成文件" in result.stderr
    assert not (ws / "n").exists() or not list((ws / "n").iterdir())


def test_id_not_due_exits_1_and_leaves_the_file(ws: Path) -> None:
    first = tz("notice", "test", "--out", "n")
    assert first.exit_code == 0, first.output
    page = ws / "n" / "核酸检测通知_2022-02-10.html"
    before = page.read_bytes()
    # 丙密接's first test is on day 16: nothing due on 02-10
    result = tz("notice", "test", "--out", "n", "--id", IDS["丙密接"])
    assert result.exit_code == 1
    assert "丙密接" in result.output and "不需要发放核酸检测通知" in result.output
    assert "未写入任何文件" in result.output and IDS["丙密接"] not in result.output
    assert page.read_bytes() == before
    assert sorted(p.name for p in (ws / "n").iterdir()) == [page.name]


def test_id_not_in_the_ledger(ws: Path) -> None:
    result = tz("notice", "test", "--out", "n", "--id", make_id(seq="999"))
    assert result.exit_code == 1 and "台账中没有身份证号为" in result.output
    assert not (ws / "n").exists()


def test_id_masked_as_the_lists_print_it(ws: Path) -> None:
    ident = IDS["甲健康"]
    result = tz("notice", "test", "--out", "n", "--id", ident[:6] + "*" * 8 + ident[-4:])
    assert result.exit_code == 0, result.output
    page = notices(ws / "n" / "核酸检测通知_2022-02-10.html")
    assert list(page) == ["甲健康"]
