"""The library face (`taizhang.open_ledger`, `taizhang.read`): its frames hold
what the ledger holds, masked by default, and its JSON equals the command
line's byte for byte once parsed."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import ROOT, make_id
from typer.testing import CliRunner

import taizhang
from taizhang.cli import app
from taizhang.errors import TaizhangError
from taizhang.outputs.due_lists import LIST_KEYS
from taizhang.outputs.export import EXPORT_FIELDS

runner = CliRunner()
DAYS = ("2022-02-06", "2022-02-07", "2022-02-08")
PINGYANG = ROOT / "sample_data" / "平阳村返乡人员登记表.xlsx"
VILLAGES = ["平阳村", "东溪村", "桃源村", "新桥社区", "石门村", "白云村"]
# a full ID number or mobile number anywhere in a cell's text
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def cli(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return result


def cli_json(*args: str) -> Any:
    result = cli(*args)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """sample_data imported into a ledger, and a configuration kept elsewhere
    (so nothing is found beside the database by accident)."""
    base = tmp_path_factory.mktemp("analysis")
    db = base / "ledger" / "taizhang.db"
    config = base / "config" / "taizhang.toml"
    config.parent.mkdir()
    config.write_text('township = "青石镇"\nvillages = [' + ", ".join(f'"{v}"' for v in VILLAGES)
                      + "]\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        result = runner.invoke(app, ["--db", str(db), "--as-of", "2022-02-08", "import", "sample_data"])
    assert result.exit_code == 0, result.output
    yield db, config


@pytest.fixture(autouse=True)
def _no_stray_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line reads ./taizhang.toml: run where there is none."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def ledger(workspace: tuple[Path, Path]) -> Iterator[taizhang.Ledger]:
    db, config = workspace
    with taizhang.open_ledger(db, config=config) as opened:
        yield opened


def sql(db: Path, query: str) -> Any:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchone()[0]


def full_numbers(frame: pd.DataFrame) -> list[str]:
    """Every full ID or mobile number in any cell (lists and dicts included)."""
    found = []
    for value in frame.to_numpy().ravel():
        found += FULL_ID.findall(str(value)) + MOBILE.findall(str(value))
    return found


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as plain dicts, missing values as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# ---------------------------------------------------------------- opening


def test_names_are_lazy_and_the_command_line_never_imports_pandas() -> None:
    code = ("import sys, taizhang, taizhang.cli; "
            "assert 'pandas' not in sys.modules, 'pandas'; "
            "assert 'taizhang.analysis' not in sys.modules, 'analysis'; "
            "assert taizhang.__version__")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    from taizhang import analysis

    assert taizhang.open_ledger is analysis.open_ledger
    assert taizhang.read is analysis.read
    assert {"open_ledger", "read"} <= set(dir(taizhang))
    with pytest.raises(AttributeError):
        taizhang.no_such_name  # noqa: B018


def test_missing_ledger_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "taizhang.db"
    with pytest.raises(TaizhangError, match="nowhere"):
        taizhang.open_ledger(missing)
    assert not missing.exists() and not missing.parent.exists()
    with pytest.raises(TaizhangError, match="不是taizhang台账"):
        taizhang.open_ledger(tmp_path)


def test_other_files_are_refused_and_left_alone(tmp_path: Path) -> None:
    """Opening them as a ledger would write a ledger's tables into them."""
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    for path in (empty, other):
        with pytest.raises(TaizhangError, match="不是taizhang台账"):
            taizhang.open_ledger(path)
    assert empty.stat().st_size == 0
    assert sql(other, "SELECT group_concat(name) FROM sqlite_master") == "t"


def test_without_pandas_the_message_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                        workspace: tuple[Path, Path]) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(TaizhangError, match=re.escape('pip install "taizhang[analysis]"')):
        taizhang.open_ledger(workspace[0])
    with pytest.raises(TaizhangError, match=re.escape("taizhang[analysis]")):
        taizhang.read(PINGYANG)


def test_closed_ledger_says_so(workspace: tuple[Path, Path]) -> None:
    with taizhang.open_ledger(workspace[0]) as opened:
        assert len(opened.persons()) > 0
    with pytest.raises(TaizhangError, match="已关闭"):
        opened.persons()
    opened.close()  # twice is fine


# ---------------------------------------------------------------- contents


def test_persons_are_the_export(ledger: taizhang.Ledger, workspace: tuple[Path, Path]) -> None:
    persons = ledger.persons()
    assert len(persons) == sql(workspace[0], "SELECT count(*) FROM persons") == 47
    assert list(persons.columns) == list(EXPORT_FIELDS)
    assert str(persons["arrival_date"].dtype).startswith("datetime64")
    export = cli("--db", str(workspace[0]), "export", "--format", "csv", "--no-mask")
    ids = [line.split(",")[2] for line in export.stdout.splitlines()[1:]]
    assert ledger.persons(mask=False)["id_number"].fillna("").tolist() == ids


def test_counts_equal_the_tables(ledger: taizhang.Ledger, workspace: tuple[Path, Path]) -> None:
    db = workspace[0]
    assert len(ledger.tests()) == sql(db, "SELECT count(*) FROM tests WHERE retracted_by IS NULL") == 84
    # no reading of the sample is sent twice, so nothing collapses
    assert len(ledger.readings()) == sql(
        db, "SELECT sum(n) FROM temperature_rows WHERE retracted_by IS NULL") == 139
    assert len(ledger.problems()) == sql(db, "SELECT count(*) FROM problems") == 17
    readings = ledger.readings()
    assert readings["temperature"].max() == 37.6
    assert set(readings["village"]) == {"新桥社区", "石门村"}
    assert str(readings["date"].dtype).startswith("datetime64")


def test_masked_by_default_and_full_on_request(ledger: taizhang.Ledger) -> None:
    frames = {name: getattr(ledger, name) for name in ("persons", "tests", "readings", "problems")}
    for name, method in frames.items():
        assert full_numbers(method()) == [], name
    for day in DAYS:
        assert full_numbers(ledger.due(day)) == []
    for name in ("persons", "tests", "readings"):
        assert full_numbers(frames[name](mask=False)), name
    phones = ledger.persons(mask=False)["phone"].dropna()
    assert any(MOBILE.fullmatch(p) for p in phones)
    assert full_numbers(ledger.due(DAYS[-1], mask=False))


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("mask", [True, False])
def test_due_lists_equal_the_command_line(ledger: taizhang.Ledger, workspace: tuple[Path, Path],
                                          day: str, mask: bool) -> None:
    db, config = workspace
    args = ["--db", str(db), "--config", str(config), "--as-of", "2022-02-08", "due-today",
            "--date", day, "--format", "json"]
    expected = cli_json(*args, *([] if mask else ["--no-mask"]))
    assert ledger.due_lists(day, mask=mask) == expected
    assert ledger.due_lists(date.fromisoformat(day), mask=mask) == expected
    frame = ledger.due(pd.Timestamp(day), mask=mask)
    assert len(frame) == sum(len(expected[k]) for k in LIST_KEYS)
    assert frame["list"].tolist() == [k for k in LIST_KEYS for _ in expected[k]]
    assert frame["id_number"].tolist() == [e["id_number"] for k in LIST_KEYS for e in expected[k]]


def test_due_lists_of_one_village(ledger: taizhang.Ledger, workspace: tuple[Path, Path]) -> None:
    expected = cli_json("--db", str(workspace[0]), "due-today", "--date", "2022-02-08",
                        "--village", "石门村", "--format", "json")
    assert ledger.due_lists("2022-02-08", village="石门村") == expected
    assert set(ledger.due("2022-02-08", village="石门村")["village"]) == {"石门村"}


def test_due_frame_types(ledger: taizhang.Ledger) -> None:
    frame = ledger.due("2022-02-08")
    assert frame.columns[0] == "list"
    assert str(frame["due_date"].dtype).startswith("datetime64")
    assert frame.loc[frame["list"] == "fever", "temperature"].tolist() == [37.6]
    blocked = frame[frame["list"] == "releases_blocked"]
    assert all(isinstance(r, list) and r for r in blocked["reasons"])
    assert frame["regime_name"].notna().all()


@pytest.mark.parametrize("day", DAYS)
def test_report_equals_the_command_line(ledger: taizhang.Ledger, workspace: tuple[Path, Path],
                                        day: str) -> None:
    db, config = workspace
    expected = cli_json("--db", str(db), "--config", str(config), "daily-report", "--date", day,
                        "--format", "json")
    assert ledger.report_json(day) == expected
    frame = ledger.report(day)
    assert frame["village"].tolist() == [v["village"] for v in expected["villages"]]
    assert frame["village"].tolist()[:len(VILLAGES)] == VILLAGES
    phases = [c for c in frame.columns if c.startswith("under_control.")]
    for row, village in zip(records(frame), expected["villages"], strict=True):
        assert {c.removeprefix("under_control."): row[c] for c in phases if row[c]} == \
            village["under_control"]
        assert row["tests_overdue"] == village["tests_overdue"]
        assert row["zero_report"] == village["zero_report"]


def test_configuration_beside_the_ledger_is_used(tmp_path: Path, workspace: tuple[Path, Path]) -> None:
    """A workspace keeps taizhang.toml beside taizhang.db: opening its ledger
    gives the township's numbers; elsewhere, no configuration is assumed."""
    db, config = workspace
    with taizhang.open_ledger(db) as bare:
        plain = bare.report_json("2022-02-08")
    assert plain == cli_json("--db", str(db), "daily-report", "--date", "2022-02-08", "--format", "json")
    assert plain["township"] == ""
    (tmp_path / "taizhang.toml").write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    copy = tmp_path / "taizhang.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with taizhang.open_ledger(copy) as opened:
        assert opened.report_json("2022-02-08")["township"] == "青石镇"
        assert "白云村" in opened.report("2022-02-08")["village"].tolist()


def test_retracted_tests_and_repeated_readings(tmp_path: Path) -> None:
    """A newer version of a file retracts what it no longer holds; a reading
    sent in two files counts once, the newer file's."""
    who, other = make_id(seq="611"), make_id(seq="622")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    tests = inbox / "石门村核酸.csv"
    temps_a, temps_b = inbox / "石门村体温a.csv", inbox / "石门村体温b.csv"
    tests.write_text("姓名,身份证号,采样日期,检测结果\n"
                     f"甲,{who},2022-02-01,阴性\n乙,{other},2022-02-01,阴性\n", encoding="utf-8")
    temps_a.write_text(f"姓名,身份证号,日期,时段,体温\n甲,{who},2022-02-01,上午,36.5\n",
                       encoding="utf-8")
    temps_b.write_text(f"姓名,身份证号,日期,时段,体温\n甲,{who},2022-02-01,上午,36.9\n"
                       f"甲,{who},2022-02-01,下午,36.6\n", encoding="utf-8")
    db = tmp_path / "taizhang.db"
    for path in (tests, temps_a, temps_b):
        assert cli("--db", str(db), "--as-of", "2022-02-08", "import", str(path)).exit_code == 0
    tests.write_text(f"姓名,身份证号,采样日期,检测结果\n甲,{who},2022-02-01,阴性\n", encoding="utf-8")
    assert cli("--db", str(db), "--as-of", "2022-02-08", "import", str(tests)).exit_code == 0
    assert sql(db, "SELECT count(*) FROM tests WHERE retracted_by IS NOT NULL") == 1
    with taizhang.open_ledger(db) as opened:
        assert opened.tests(mask=False)["id_number"].tolist() == [who]
        readings = opened.readings()
    assert readings[["slot", "temperature"]].values.tolist() == [["上午", 36.9], ["下午", 36.6]]
    assert readings["path"].tolist() == [str(temps_b)] * 2


# ---------------------------------------------------------------- one file


@pytest.mark.parametrize("mask", [True, False])
def test_read_gives_what_validate_finds(mask: bool) -> None:
    found = taizhang.read(PINGYANG, as_of="2022-02-08", mask=mask)
    expected = cli_json("--as-of", "2022-02-08", "validate", str(PINGYANG), "--format", "json",
                        *([] if mask else ["--no-mask"]))
    assert records(found.problems) == expected["problems"]
    assert records(found.sheets) == expected["files"]
    assert len(found.persons) == expected["files"][0]["rows"] == 12
    assert found.persons["row"].tolist() == sorted(found.persons["row"].tolist())
    assert set(found.persons["village"]) == {"平阳村"}
    assert not found.ok
    assert found.tests.empty and found.readings.empty and found.rejected.empty
    numbers = full_numbers(found.persons) + full_numbers(found.problems)
    assert (numbers == []) is mask


def test_read_tests_and_readings_of_a_workbook() -> None:
    found = taizhang.read(ROOT / "sample_data" / "石门村台账.xlsx", as_of=date(2022, 2, 8))
    assert found.sheets["kind"].tolist() == ["registration", "tests", "temperatures"]
    assert (len(found.persons), len(found.tests), len(found.readings)) == (9, 17, 30)
    assert found.readings["temperature"].max() == 37.6
    assert any("旧数据" in note for note in found.notes)
    for frame in (found.persons, found.tests, found.readings, found.problems):
        assert full_numbers(frame) == []


def test_read_rejected_rows_are_masked(tmp_path: Path) -> None:
    path = tmp_path / "平阳村登记.csv"
    path.write_text("姓名,身份证号,联系电话,返乡日期,备注\n"
                    f"甲,{make_id(seq='633')},13812345678,2022-02-01,\n"
                    f",,,2022-02-01,家属电话13987654321 证件{make_id(seq='644')}\n", encoding="utf-8")
    found = taizhang.read(path, as_of="2022-02-08", kind="registration")
    assert len(found.persons) == 1 and len(found.rejected) == 1
    assert full_numbers(found.rejected) == [] and full_numbers(found.persons) == []
    raw = taizhang.read(path, as_of="2022-02-08", mask=False)
    assert len(full_numbers(raw.rejected)) == 2


def test_read_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(TaizhangError, match="找不到"):
        taizhang.read(tmp_path / "missing.xlsx")
    with pytest.raises(TaizhangError, match="kind"):
        taizhang.read(PINGYANG, kind="people")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(TaizhangError):
        taizhang.read(empty)
