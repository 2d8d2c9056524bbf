"""`taizhang person QUERY` (SPEC §6): an ID (full, or masked as taizhang prints
it), a name, or the last 4 or more digits of a phone.

The ledger (as of 2022-02-05; villages 甲村, 乙村):
- 张三 (甲村) returned 02-01, phone 13800001111.
- 王伟 (甲村) returned 02-01, phone 13912345678; 王伟 (乙村) returned 02-02, phone
  13712995678: namesakes in two villages whose phones end alike (5678).
- 李四 (甲村) returned 01-20, only the day-1 test: P = 02-03, release blocked on
  02-05 by the missing day-7 and day-14 tests.
- 赵六 and 孙七 (乙村): IDs alike in the six first and four last digits, so the
  masked form taizhang prints names both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
IDS = {"张三": make_id(seq="011"), "王伟甲": make_id(seq="021"), "王伟乙": make_id(seq="031"),
       "李四": make_id(seq="041"), "赵六": make_id(birth="19800101", seq="051"),
       "孙七": make_id(birth="19870505", seq="051")}
PHONES = {"张三": "13800001111", "王伟甲": "13912345678", "王伟乙": "13712995678",
          "李四": "13800004444", "赵六": "", "孙七": ""}


def masked(ident: str) -> str:
    return ident[:6] + "*" * 8 + ident[-4:]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("person_query")
    (root / "inbox").mkdir()
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["甲村", "乙村"]\n',
                                        encoding="utf-8")
    rows = [["姓名", "身份证号", "联系电话", "村", "返乡日期"],
            ["张三", IDS["张三"], PHONES["张三"], "甲村", "2022-02-01"],
            ["王伟", IDS["王伟甲"], PHONES["王伟甲"], "甲村", "2022-02-01"],
            ["王伟", IDS["王伟乙"], PHONES["王伟乙"], "乙村", "2022-02-02"],
            ["李四", IDS["李四"], PHONES["李四"], "甲村", "2022-01-20"],
            ["赵六", IDS["赵六"], "", "乙村", "2022-02-03"],
            ["孙七", IDS["孙七"], "", "乙村", "2022-02-03"]]
    (root / "inbox" / "登记.csv").write_text("\n".join(",".join(r) for r in rows) + "\n",
                                            encoding="utf-8")
    (root / "inbox" / "核酸.csv").write_text(
        f"姓名,身份证号,采样日期,检测结果\n李四,{IDS['李四']},2022-01-20,阴性\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(root / "t.db"), "--config", str(root / "taizhang.toml"),
                                 "--as-of", "2022-02-05", "import", str(root / "inbox")])
    assert result.exit_code == 0, result.output
    return root


def person(ws: Path, *args: str):
    return runner.invoke(app, ["--db", str(ws / "t.db"), "--config", str(ws / "taizhang.toml"),
                               "--as-of", "2022-02-05", "person", *args])


def found_name(ws: Path, query: str) -> tuple[str, str]:
    result = person(ws, query, "--format", "json", "--no-mask")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    return view["name"], view["id_number"]


def candidates(ws: Path, query: str, *options: str) -> list[dict[str, str]]:
    result = person(ws, query, "--format", "json", *options)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["candidates"]
    return data["candidates"]


def test_full_id(ws: Path) -> None:
    assert found_name(ws, IDS["张三"]) == ("张三", IDS["张三"])
    assert found_name(ws, IDS["张三"][:-1] + " " + IDS["张三"][-1]) == ("张三", IDS["张三"])


def test_masked_id_pasted_from_a_due_list(ws: Path) -> None:
    due = runner.invoke(app, ["--db", str(ws / "t.db"), "--config", str(ws / "taizhang.toml"),
                              "--as-of", "2022-02-05", "due-today", "--format", "json"])
    blocked = json.loads(due.stdout)["releases_blocked"]
    [entry] = [e for e in blocked if e["name"] == "李四"]
    assert "*" in entry["id_number"]
    assert found_name(ws, entry["id_number"]) == ("李四", IDS["李四"])
    # the visible digits and the length must match: one star less is nobody
    short = entry["id_number"].replace("*", "", 1)
    assert person(ws, short).exit_code == 1


def test_masked_id_that_names_two_people(ws: Path) -> None:
    assert masked(IDS["赵六"]) == masked(IDS["孙七"])
    found = candidates(ws, masked(IDS["赵六"]))
    assert [c["name"] for c in found] == ["孙七", "赵六"] or [c["name"] for c in found] == ["赵六", "孙七"]
    assert all(c["id_number"] == masked(IDS["赵六"]) for c in found)


def test_name_with_one_match(ws: Path) -> None:
    assert found_name(ws, "张三") == ("张三", IDS["张三"])
    assert found_name(ws, " 张三 ") == ("张三", IDS["张三"])


def test_namesakes_in_two_villages_are_candidates(ws: Path) -> None:
    found = candidates(ws, "王伟")
    assert found == [{"id_number": masked(IDS["王伟甲"]), "name": "王伟", "village": "甲村"},
                     {"id_number": masked(IDS["王伟乙"]), "name": "王伟", "village": "乙村"}]
    clear = candidates(ws, "王伟", "--no-mask")
    assert [c["id_number"] for c in clear] == [IDS["王伟甲"], IDS["王伟乙"]]
    # --village narrows them to one
    result = person(ws, "王伟", "--village", "乙村", "--format", "json", "--no-mask")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id_number"] == IDS["王伟乙"]


def test_candidates_table_says_how_to_narrow(ws: Path) -> None:
    result = person(ws, "王伟")
    assert result.exit_code == 1
    assert "甲村" in result.stdout and "乙村" in result.stdout
    assert masked(IDS["王伟甲"]) in result.stdout and IDS["王伟甲"] not in result.output
    assert "139****5678" in result.stdout  # the phone tells namesakes apart, masked
    assert "有2人与“王伟”相符" in result.stderr and "完整身份证号" in result.stderr
    assert "Traceback" not in result.output


def test_phone_tail_4_and_6_digits(ws: Path) -> None:
    assert found_name(ws, "1111") == ("张三", IDS["张三"])
    assert [c["village"] for c in candidates(ws, "5678")] == ["甲村", "乙村"]
    assert found_name(ws, "345678") == ("王伟", IDS["王伟甲"])
    assert found_name(ws, "995678") == ("王伟", IDS["王伟乙"])
    assert found_name(ws, PHONES["王伟乙"]) == ("王伟", IDS["王伟乙"])
    assert found_name(ws, "139****5678") == ("王伟", IDS["王伟甲"])  # a masked phone from a list


def test_too_few_digits_is_a_usage_error(ws: Path) -> None:
    result = person(ws, "678")
    assert result.exit_code == 2
    assert "至少输入后4位" in result.output
    result = person(ws, "******5678")
    assert result.exit_code in (1, 2) and "Traceback" not in result.output


@pytest.mark.parametrize("query", ["周八", "0000", make_id(seq="991")])
def test_no_match(ws: Path, query: str) -> None:
    result = person(ws, query)
    assert result.exit_code == 1
    assert "台账中没有与" in result.output and "相符的人员" in result.output
    assert result.stdout == ""
    if len(query) == 18:
        assert query not in result.output  # an ID is quoted masked


def test_json_of_one_match_keeps_its_shape(ws: Path) -> None:
    result = person(ws, "李四", "--format", "json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert list(view) == ["id_number", "name", "village", "verified", "fields", "extras", "tests",
                          "temperatures", "problems", "calendar", "date"]
    assert view["id_number"] == masked(IDS["李四"])
    # JSON keeps the codes
    assert view["calendar"]["blocked_reasons"] == ["missing_test:day7", "missing_test:day14"]


def test_calendar_reasons_in_chinese(ws: Path) -> None:
    result = person(ws, "李四")
    assert result.exit_code == 0, result.output
    assert "解除受阻：第7天核酸未采样；第14天核酸未采样" in result.stdout
    assert "missing_test" not in result.stdout


def test_office_labels_word_the_reasons(ws: Path) -> None:
    templates = ws / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "labels.toml").write_text('[reasons]\nmissing_test = "缺第{day}天核酸"\n', encoding="utf-8")
    config = ws / "taizhang_own.toml"
    config.write_text('township = "青石镇"\nvillages = ["甲村", "乙村"]\ntemplates = "templates"\n',
                      encoding="utf-8")
    result = runner.invoke(app, ["--db", str(ws / "t.db"), "--config", str(config),
                                 "--as-of", "2022-02-05", "person", "李四"])
    assert result.exit_code == 0, result.output
    assert "解除受阻：缺第7天核酸；缺第14天核酸" in result.stdout
