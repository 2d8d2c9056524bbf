"""`taizhang feedback` (issue 17, point 1): the problem list, the annotated copy
of the village's own workbook, the WeChat text, and what counts as open.

Two village files with the same three problems, built here: 平阳村 as an
xlsx with a merged bold title over the header (header row 2, data from row
3), 东溪村 as a CSV (header row 1). Problems: a wrong ID check digit, a date
that does not exist, and the same person twice.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_id
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from typer.testing import CliRunner

from taizhang.cli import app

runner = CliRunner()
DAY = "2022-02-08"
CONFIG = ('township = "青石镇"\nvillages = ["平阳村", "东溪村"]\ninbox = "inbox"\nout = "out"\n'
          'db = "taizhang.db"\n')
HEADER = ["姓名", "身份证号", "联系电话", "村", "返乡日期", "登记日期"]


def ids(n: int) -> tuple[str, str, str, str]:
    """Three valid IDs and the second with a wrong check digit, per village."""
    good, right, good2 = (make_id(seq=f"{n}{k}1") for k in range(3))
    return good, right, good2, right[:-1] + ("0" if right[-1] != "0" else "1")


GOOD, _BAD, GOOD2, BAD = ids(1)
VILLAGE_IDS = {"平阳村": ids(1), "东溪村": ids(2)}


def rows(village: str, fixed: bool = False) -> list[list[str]]:
    good, right, good2, bad = VILLAGE_IDS[village]
    phone = "1380000" if village == "平阳村" else "1390000"
    return [["张三", good, phone + "0001", village, "2022-02-01", "2022-02-01"],
            ["李四", right if fixed else bad, phone + "0002", village, "2022-02-02", "2022-02-02"],
            ["王五", good2, phone + "0003", village, "2022-02-03" if fixed else "2022-13-45", "2022-02-03"],
            ["张三", good, phone + "0001", village, "2022-02-01", "2022-02-01"]]


def write_xlsx(path: Path, fixed: bool = False) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "登记"
    ws.append(["平阳村返乡人员登记表"])
    ws.merge_cells("A1:F1")
    ws["A1"].font = Font(bold=True, size=16)
    ws.append(HEADER)
    for row in rows("平阳村", fixed):
        ws.append(row)
    ws.column_dimensions["B"].width = 24
    wb.save(path)


def write_csv(path: Path) -> None:
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows("东溪村")]) + "\n", encoding="utf-8")


@pytest.fixture
def ws_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "taizhang.toml").write_text(CONFIG, encoding="utf-8")
    write_xlsx(tmp_path / "inbox" / "平阳村登记.xlsx")
    write_csv(tmp_path / "inbox" / "东溪村登记.csv")
    monkeypatch.chdir(tmp_path)
    assert tz("import", "inbox").exit_code == 0  # imported, with their problems
    return tmp_path


def tz(*args: str) -> object:
    return runner.invoke(app, ["--as-of", DAY, *args])


def feedback(*args: str) -> dict:
    result = tz("feedback", "--out", "fb", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def marks(path: Path) -> dict[str, tuple[str, str]]:
    """Every cell with a fill or a comment: coordinate -> (fill colour, comment)."""
    found = {}
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                color = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
                if color or cell.comment:
                    found[f"{ws.title}!{cell.coordinate}"] = (color, cell.comment.text if cell.comment else "")
    return found


RED, YELLOW = "FFFF9C9C", "FFFFE699"


def test_annotated_xlsx_marks_exactly_the_problem_cells_and_keeps_the_rest(ws_root: Path) -> None:
    data = feedback()
    village = next(v for v in data["villages"] if v["village"] == "平阳村")
    assert village["problems"] == 3 and village["errors"] == 2
    copy = ws_root / "fb" / "平阳村" / "平阳村登记_批注.xlsx"
    assert str(copy.relative_to(ws_root)) in village["files"]
    found = marks(copy)
    assert set(found) == {"登记!B4", "登记!E5", "登记!B6"}
    assert found["登记!B4"][0] == RED and "校验位" in found["登记!B4"][1]
    assert found["登记!E5"][0] == RED and "13月" in found["登记!E5"][1]
    assert found["登记!B6"][0] == YELLOW and "与第3行是同一人" in found["登记!B6"][1]
    ws = load_workbook(copy)["登记"]
    assert ws["A1"].font.bold and ws["A1"].font.size == 16  # the village's formatting kept
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.column_dimensions["B"].width == 24
    assert ws["A3"].value == "张三" and ws["E5"].value == "2022-13-45"
    # masked by default: the ID cells, the comment quoting nothing in full
    assert ws["B3"].value == GOOD[:6] + "********" + GOOD[-4:]
    assert ws["C3"].value == "138****0001"
    assert not any(GOOD in c or BAD in c for _, c in found.values())


def test_annotated_csv_is_a_plain_xlsx_with_the_same_marks(ws_root: Path) -> None:
    feedback("--no-mask")
    copy = ws_root / "fb" / "东溪村" / "东溪村登记_批注.xlsx"
    found = marks(copy)
    assert {k.split("!")[1]: v[0] for k, v in found.items()} == {"B3": RED, "E4": RED, "B5": YELLOW}
    ws = load_workbook(copy).worksheets[0]
    assert [c.value for c in ws[1]] == HEADER
    good, _, _, bad = VILLAGE_IDS["东溪村"]
    assert ws["B2"].value == good and ws["B3"].value == bad  # --no-mask: the full values, to correct them


def test_problem_list_is_sorted_as_the_file_and_masked_unless_asked(ws_root: Path) -> None:
    feedback()
    book = load_workbook(ws_root / "fb" / "平阳村" / f"平阳村_问题清单_{DAY}.xlsx")
    ws = book.worksheets[0]
    table = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert [(r[0], r[1], r[2], r[3]) for r in table] == [
        ("平阳村登记.xlsx", "登记", 4, "身份证号"), ("平阳村登记.xlsx", "登记", 5, "返乡日期"),
        ("平阳村登记.xlsx", "登记", 6, "身份证号")]
    assert [r[5] for r in table] == ["需修改", "需修改", "请核对"]
    assert table[0][4] == BAD[:6] + "********" + BAD[-4:]
    assert "13月" in table[1][6]
    feedback("--no-mask")
    ws = load_workbook(ws_root / "fb" / "平阳村" / f"平阳村_问题清单_{DAY}.xlsx").worksheets[0]
    assert ws["E4"].value == BAD
    # the list is taizhang's own output: never imported back
    result = tz("--db", "other.db", "import", f"fb/平阳村/平阳村_问题清单_{DAY}.xlsx", "--format", "json")
    assert [f["status"] for f in json.loads(result.stdout)["files"]] == ["skipped"]


def test_wechat_text(ws_root: Path) -> None:
    data = feedback()
    text = {v["village"]: v["text"] for v in data["villages"]}
    assert text["平阳村"] == (f"平阳村：3处需要修改（第4行身份证号校验位错误，第5行返乡日期无法识别，第6行重复记录），"
                           f"详见附件《平阳村_问题清单_{DAY}》")
    assert (ws_root / "fb" / "平阳村" / "微信通知.txt").read_text(encoding="utf-8") == text["平阳村"] + "\n"


def test_a_corrected_version_closes_what_it_fixed_and_an_undo_closes_its_batch(ws_root: Path) -> None:
    write_xlsx(ws_root / "inbox" / "平阳村登记.xlsx", fixed=True)  # ID and date fixed, duplicate left
    tz("import", "inbox")
    data = feedback()
    pingyang = next(v for v in data["villages"] if v["village"] == "平阳村")
    assert pingyang["problems"] == 1 and "第6行重复记录" in pingyang["text"]
    assert set(marks(ws_root / "fb" / "平阳村" / "平阳村登记_批注.xlsx")) == {"登记!B6"}
    batches = json.loads(tz("batches", "--format", "json").stdout)["batches"]
    dongxi = next(b["batch"] for b in batches if b["path"].endswith("东溪村登记.csv"))
    assert tz("undo", str(dongxi)).exit_code == 0
    assert [v["village"] for v in feedback()["villages"]] == ["平阳村"]
    assert [v["village"] for v in feedback("--village", "东溪村")["villages"]] == []


def test_a_file_that_is_gone_still_gets_its_list(ws_root: Path) -> None:
    (ws_root / "inbox" / "东溪村登记.csv").unlink()
    data = feedback("--village", "东溪村")
    (village,) = data["villages"]
    assert village["problems"] == 3 and "已不在" in village["notes"][0]
    assert sorted(Path(f).name for f in village["files"]) == ["东溪村_问题清单_2022-02-08.xlsx", "微信通知.txt"]


def test_daily_writes_the_feedback_folder(ws_root: Path) -> None:
    result = tz("daily", "--date", DAY)
    folder = ws_root / "out" / DAY / "退回修改"
    assert (folder / "平阳村" / "平阳村登记_批注.xlsx").is_file(), result.output
    assert (folder / "东溪村" / f"东溪村_问题清单_{DAY}.xlsx").is_file()
    assert (ws_root / "out" / DAY / f"日报告_{DAY}.json").is_file() or list((ws_root / "out" / DAY).glob("日报告*"))
