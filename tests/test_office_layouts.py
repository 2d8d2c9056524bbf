"""Sheets as other offices' systems write them (tests/data/offices/, built by
make_office_fixtures.py): each column understood in order — the config's
`[columns]`, the alias table, the header's words, the column's cells — the
sheet kind found by evidence, and `taizhang columns` showing why."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import make_office_fixtures
import pytest
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.ingest.understanding import describe_columns
from taizhang.ingest.validation import Validator

OFFICES = Path(__file__).resolve().parent / "data" / "offices"
runner = CliRunner()

# file -> (kind, [(header, field, source)]) as `taizhang columns` must show them
EXPECTED: dict[str, tuple[str, list[tuple[str, str | None, str | None]]]] = {
    "web_declaration_export.xlsx": ("registration", [
        ("申报时间", "registration_date", "words"), ("姓名", "name", "alias"),
        ("联系手机", "phone", "words"), ("身份证号", "id_number", "alias"),
        ("目的地社区村", "village", "words"), ("来自地区的风险等级", "risk_level", "words"),
        ("有无三日内核酸检测阴性证明", "has_negative_proof", "words"),
        ("返乡车牌号", "trip_no", "words"),
        ("目的地联系人电话", None, None), ("代理人手机号", None, None), ("户主姓名", None, None),
    ]),
    "left_risk_city_list.xlsx": ("registration", [
        ("序号", "seq", "alias"), ("姓名", "name", "alias"), ("电话", "phone", "alias"),
        ("证件类型", None, None), ("身份证号", "id_number", "alias"),
        ("离汉时间", "departure_date", "words"), ("户籍地", None, None),
        ("返程方式", "transport", "words"), ("创建时间", "registration_date", "words"),
    ]),
    "home_isolation_list.xlsx": ("registration", [
        ("姓名", "name", "alias"), ("身份证号码", "id_number", "alias"),
        ("联系手机", "phone", "words"), ("隔离地址", "address", "words"), ("户籍地址", None, None),
        ("责任街道", None, None), ("责任社区", "village", "words"),
        ("核酸检测结果", "result", "alias"), ("开始隔离时间", "control_start", "words"),
        ("结束隔离时间", None, None), ("是否核酸检测", None, None),
        ("核酸检测时间", "sample_date", "words"),
    ]),
    "close_contact_list.xlsx": ("registration", [
        ("姓名", "name", "alias"), ("身份证号", "id_number", "alias"),
        ("发现时间", "registration_date", "words"), ("核酸检测结果", "result", "alias"),
        ("联系方式", "phone", "alias"), ("途径位置", "origin", "words"),
        ("责任社区", "village", "words"),
    ]),
    "abnormal_temperature_export.xlsx": ("temperatures", [
        ("姓名", "name", "alias"), ("电话", "phone", "alias"), ("家庭住址", "address", "alias"),
        ("体温 (℃)", "temperature", "alias"), ("上报时间", "date", "words"),
    ]),
    "roster_without_dates.xlsx": ("registration", [
        ("姓名", "name", "alias"), ("电话", "phone", "alias"), ("地址", "address", "words"),
        ("性别", "sex", "alias"), ("年龄", "age", "alias"),
    ]),
    "pandas_index_column.xlsx": ("registration", [
        ("", "name", "cells"), ("身份证号", "id_number", "alias"), ("联系电话", "phone", "alias"),
        ("返乡日期", "arrival_date", "alias"),
    ]),
}


def validator(**kwargs: object) -> Validator:
    options: dict[str, object] = {"as_of": date(2022, 2, 8), "villages": ["平阳村", "东溪村", "石门村",
                                                                           "桃源村", "新桥社区"]}
    options.update(kwargs)
    return Validator(**options)  # type: ignore[arg-type]


def test_the_fixtures_are_built_by_the_generator(tmp_path: Path) -> None:
    built = make_office_fixtures.build(tmp_path)
    assert sorted(p.name for p in built) == sorted(EXPECTED)
    for path in built:
        assert path.read_bytes() == (OFFICES / path.name).read_bytes(), path.name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_column_is_understood_and_why(name: str) -> None:
    kind, columns = EXPECTED[name]
    report = describe_columns([OFFICES / name], validator())
    [sheet] = report.sheets
    assert sheet.kind == kind
    assert [(c["column"], c["field"], c["source"]) for c in sheet.columns] == columns


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_row_is_a_record_of_its_kind(name: str) -> None:
    """Nothing refused, nothing rejected: each data row is a person (or a reading)."""
    result = validator().validate_file(OFFICES / name)
    assert result.error is None
    [sheet] = result.sheets
    assert sheet.rejected == []
    expected_rows = {"web_declaration_export.xlsx": 3, "left_risk_city_list.xlsx": 5,
                     "home_isolation_list.xlsx": 4, "close_contact_list.xlsx": 3,
                     "abnormal_temperature_export.xlsx": 3, "roster_without_dates.xlsx": 5,
                     "pandas_index_column.xlsx": 4}[name]
    if sheet.kind == "temperatures":
        assert len(sheet.temp_rows) == expected_rows
    else:
        assert len(sheet.persons) == expected_rows
        assert all(p.person.name for p in sheet.persons)


def test_someone_else_s_phone_never_keys_or_fills_the_person() -> None:
    """目的地联系人电话 and 代理人手机号 hold phones, but not the person's: the
    person's phone comes from 联系手机."""
    [sheet] = validator().validate_file(OFFICES / "web_declaration_export.xlsx").sheets
    phones = [p.person.phone for p in sheet.persons]
    assert phones == ["13805710100", "13805710101", "13805710102"]


def test_the_config_declaration_wins(tmp_path: Path) -> None:
    """[columns] beats the alias table and the words; an empty value leaves a
    column as it is."""
    v = validator(columns={"返乡日期": "registration_date", "户籍地": "origin", "证件类型": ""})
    [pandas] = describe_columns([OFFICES / "pandas_index_column.xlsx"], v).sheets
    assert ("返乡日期", "registration_date", "config") in [
        (c["column"], c["field"], c["source"]) for c in pandas.columns]
    [city] = describe_columns([OFFICES / "left_risk_city_list.xlsx"], v).sheets
    found = {c["column"]: (c["field"], c["source"]) for c in city.columns}
    assert found["户籍地"] == ("origin", "config")
    assert found["证件类型"] == (None, None)


def _workspace(tmp_path: Path, extra: str = "") -> Path:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--villages", "平阳村,东溪村"]).exit_code == 0
    config = ws / "taizhang.toml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config


def test_columns_command_json_and_snippet(tmp_path: Path) -> None:
    config = _workspace(tmp_path)
    path = OFFICES / "left_risk_city_list.xlsx"
    result = runner.invoke(app, ["--config", str(config), "columns", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["sheets"]
    [sheet] = data["sheets"]
    assert set(sheet) == {"path", "sheet", "kind", "columns"}
    assert sheet["columns"][5] == {"column": "离汉时间", "field": "departure_date", "source": "words"}
    table = runner.invoke(app, ["--config", str(config), "columns", str(path)])
    assert table.exit_code == 0, table.output
    snippet = table.stdout[table.stdout.index("# 复制到"):]
    assert '"证件类型" = ""' in snippet and '"户籍地" = ""' in snippet
    assert '"离汉时间"' not in snippet  # placed: not in the snippet
    # the snippet, filled in and pasted, is a valid config that places the column
    filled = _workspace(tmp_path / "second", "\n" + snippet.replace('"户籍地" = ""', '"户籍地" = "origin"'))
    again = runner.invoke(app, ["--config", str(filled), "columns", str(path), "--format", "json"])
    assert again.exit_code == 0, again.output
    columns = {c["column"]: c for c in json.loads(again.stdout)["sheets"][0]["columns"]}
    assert columns["户籍地"] == {"column": "户籍地", "field": "origin", "source": "config"}
    assert columns["证件类型"]["field"] is None


def test_a_declared_field_taizhang_does_not_know_is_a_usage_error(tmp_path: Path) -> None:
    config = _workspace(tmp_path, '\n[columns]\n"抵丽日期" = "arival_date"\n')
    result = runner.invoke(app, ["--config", str(config), "columns", str(OFFICES / "roster_without_dates.xlsx")])
    assert result.exit_code == 2
    assert "arival_date" in result.output and "arrival_date" in result.output
    assert "Traceback" not in result.output


def test_columns_stores_nothing_and_names_a_bad_file(tmp_path: Path) -> None:
    config = _workspace(tmp_path)
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes((Path(__file__).resolve().parent / "data" / "truncated.xlsx").read_bytes())
    result = runner.invoke(app, ["--config", str(config), "--db", str(tmp_path / "x.db"), "columns",
                                 str(bad), "--format", "json"])
    assert result.exit_code == 0, result.output
    [sheet] = json.loads(result.stdout)["sheets"]
    assert sheet["sheet"] is None and sheet["columns"] == [] and sheet["error"]
    assert not (tmp_path / "x.db").exists()


def test_a_registration_list_carries_its_test_columns_as_records() -> None:
    """核酸检测结果 with its own 核酸检测时间 (a date-time cell) on a home-isolation
    list: one test record per row; a result without any date column (the
    close-contact list) makes none."""
    [home] = validator().validate_file(OFFICES / "home_isolation_list.xlsx").sheets
    table = home.test_table
    assert len(table) == 4
    assert table.sample_date == [date(2022, 2, d) for d in (2, 3, 4, 5)]
    assert set(table.result) == {"negative"}
    [contacts] = validator().validate_file(OFFICES / "close_contact_list.xlsx").sheets
    assert len(contacts.test_table) == 0


def test_a_notes_row_naming_the_header_is_not_the_header() -> None:
    """`注意：必填项 | 姓名 | 身份证号 …` above the header scores like the header
    itself; it is a note, and the real header below it is the header."""
    from taizhang.ingest.layout import detect_layout

    grid = [["注意：必填项", "姓名", "身份证号", "联系电话", "返乡日期"],
            ["姓名", "身份证号", "联系电话", "返乡日期"],
            ["张三", "330681199001011234", "13812345678", "2022-02-01"]]
    layout = detect_layout(grid)  # type: ignore[arg-type]
    assert layout is not None and (layout.header_start, layout.data_rows) == (1, [2])
    # the neighbour: a header whose first cell is 说明 (an alias of remarks) is still a header
    layout = detect_layout([["说明", "姓名", "身份证号"], ["无", "张三", "330681199001011234"]])  # type: ignore[arg-type]
    assert layout is not None and layout.header_start == 0


def test_a_field_the_kind_does_not_read_is_kept_as_written() -> None:
    """年龄 on a roster and 家庭住址 on a temperature sheet are understood but not
    read by that kind of sheet: their cells travel with the person, like an
    unknown column's, never dropped."""
    [roster] = validator().validate_file(OFFICES / "roster_without_dates.xlsx").sheets
    assert "年龄" in roster.unknown_columns
    assert [e.values.get("年龄") for e in roster.extras] == ["35"] * 5
    [temps] = validator().validate_file(OFFICES / "abnormal_temperature_export.xlsx").sheets
    assert [e.values for e in temps.extras] == [{"家庭住址": "桃源村"}] * 3


def test_cells_never_overrule_a_header_that_said_what_it_is(tmp_path: Path) -> None:
    """目的地联系人电话 is full of mobiles, and a temperature sheet has no phone
    column: still not the person's phone (it is someone else's); a column
    headed `列1` full of mobiles is read from its cells."""
    from conftest import make_id

    rows = ["姓名,身份证号,日期,时段,体温,目的地联系人电话",
            *(f"人员{i},{make_id(seq=f'{i}{i}5')},2022-02-07,上午,36.{i},1390571000{i}" for i in range(1, 5))]
    path = tmp_path / "体温.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    [sheet] = describe_columns([path], validator()).sheets
    assert sheet.columns[-1] == {"column": "目的地联系人电话", "field": None, "source": None}
    generic = tmp_path / "体温2.csv"
    generic.write_text("\n".join([rows[0].replace("目的地联系人电话", "列1"), *rows[1:]]) + "\n", encoding="utf-8")
    [sheet] = describe_columns([generic], validator()).sheets
    assert sheet.columns[-1] == {"column": "列1", "field": "phone", "source": "cells"}


def test_columns_skips_the_instructions_sheet(tmp_path: Path) -> None:
    """A 填表说明 sheet (taizhang template writes one) is no data: columns, like
    validate, does not list it."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "登记表"
    book.active.append(["姓名", "身份证号", "返乡日期"])
    book.active.append(["张三", "330681199001011239", "2022-02-01"])
    notes = book.create_sheet("填表说明")
    notes.append(["列名", "怎么填"])
    notes.append(["【姓名】", "填写本人姓名"])
    path = tmp_path / "平阳村登记.xlsx"
    book.save(path)
    assert [s.sheet for s in describe_columns([path], validator()).sheets] == ["登记表"]
