"""`taizhang validate` on the bundled sample data: exactly the documented
defects, the JSON shape of SPEC §6, masking, and parity with the library."""

from __future__ import annotations

import json
from datetime import date

from conftest import DATA, ROOT
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.config import load_policy
from taizhang.ingest.validation import Validator, validate_paths
from taizhang.privacy import mask_field

runner = CliRunner()
SAMPLE = ROOT / "sample_data"


def run_json(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["--as-of", "2022-02-08", "validate", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def test_sample_data_reports_exactly_the_documented_defects(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    code, data = run_json("sample_data")
    assert code == 1  # the sample holds deliberate errors
    expected = json.loads((DATA / "sample_expected_problems.json").read_text(encoding="utf-8"))
    got = sorted((p["path"], p["sheet"], p["row"], p["column"], p["code"]) for p in data["problems"])
    want = sorted((p["path"], p["sheet"], p["row"], p["column"], p["code"]) for p in expected)
    assert got == want


def test_json_shape_is_the_spec(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    _, data = run_json("sample_data")
    assert set(data) == {"files", "problems"}
    for entry in data["files"]:
        assert set(entry) == {"path", "sheet", "kind", "village", "village_source", "rows"}
    for problem in data["problems"]:
        assert set(problem) == {"path", "sheet", "row", "column", "field", "code", "severity",
                                "value", "message"}
    sheets = {(f["path"], f["sheet"]): f for f in data["files"]}
    assert len(sheets) == 8  # the hidden sheet 旧数据 is not read
    pingyang = sheets[("sample_data/平阳村返乡人员登记表.xlsx", "Sheet1")]
    assert pingyang == {"path": "sample_data/平阳村返乡人员登记表.xlsx", "sheet": "Sheet1",
                        "kind": "registration", "village": "平阳村", "village_source": "title",
                        "rows": 12}
    wide = sheets[("sample_data/新桥社区体温监测表.xlsx", "体温监测")]
    assert (wide["kind"], wide["rows"]) == ("temperatures", 8)


def test_ids_and_phones_are_masked_unless_no_mask(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    _, masked = run_json("sample_data")
    _, clear = run_json("sample_data", "--no-mask")
    checksum_masked = next(p for p in masked["problems"] if p["code"] == "id_checksum")
    checksum_clear = next(p for p in clear["problems"] if p["code"] == "id_checksum")
    assert "*" in checksum_masked["value"] and "*" not in checksum_clear["value"]
    assert checksum_masked["value"] == mask_field("id_number", checksum_clear["value"])
    assert checksum_clear["value"] not in json.dumps(masked, ensure_ascii=False)


def test_json_equals_the_library_result(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    _, data = run_json("sample_data")
    policy = load_policy()
    validator = Validator(as_of=date(2022, 2, 8), find_regime=policy.find_regime,
                          regime_examples=policy.regime_examples())
    report = validate_paths([SAMPLE.relative_to(ROOT)], validator)
    assert data == report.to_dict(mask_field)


def test_table_output_and_notes(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["--as-of", "2022-02-08", "validate", "sample_data"])
    assert result.exit_code == 1
    assert "id_checksum" in result.stdout and "第6行" in result.stdout
    assert "隐藏工作表“旧数据”已跳过" in result.stderr
    assert "Traceback" not in result.output


def test_clean_file_exits_zero(write_csv) -> None:
    path = write_csv("平阳村核酸.csv", [["姓名", "身份证号", "采样日期", "检测结果"],
                                       ["张三", "11010519491231002X", "2022-01-29", "阴性"]])
    result = runner.invoke(app, ["--as-of", "2022-02-08", "validate", str(path)])
    assert result.exit_code == 0, result.output


def test_bad_option_values_are_usage_errors(write_csv) -> None:
    path = write_csv("a.csv", [["姓名", "身份证号", "采样日期"], ["张三", "11010519491231002X", "2022-01-29"]])
    result = runner.invoke(app, ["validate", str(path), "--kind", "nonsense"])
    assert result.exit_code == 2
    assert "--kind" in result.stderr
    result = runner.invoke(app, ["--as-of", "yesterday", "validate", str(path)])
    assert result.exit_code == 2
