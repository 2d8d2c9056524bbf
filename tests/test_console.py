"""The console never ends a command (issue 16, point 1): a GBK console or a
redirect on Chinese Windows (simulated with PYTHONIOENCODING=gbk) gets a
name outside GBK (王䶮, 𠮷野) without "内部错误（UnicodeEncodeError）", after
the data was committed or not; a redirected table holds whole values, not
values cut at 80 columns.

Each command runs in its own process (`python -m taizhang`), as cron and
Task Scheduler run it; a console is a pseudo-terminal (POSIX only).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_id

AS_OF = "2022-02-08"
NAMES = ("王䶮", "𠮷野")  # 䶮 is in GB18030 but not GBK; 𠮷 is outside the BMP
IDS = (make_id(seq="101"), make_id(seq="102"))
LONG_FILE = "东溪村返乡人员登记表（第二批补录，2022年2月1日）.csv"


def gbk_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "COLUMNS": "80", **extra}
    env.pop("NO_COLOR", None)
    return env


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, stdout=subprocess.PIPE):
    return subprocess.run([sys.executable, "-m", "taizhang", "--db", "t.db", "--as-of", AS_OF, *args],
                          cwd=cwd, env=env or gbk_env(), stdout=stdout, stderr=subprocess.PIPE,
                          timeout=120)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    rows = ["姓名,身份证号,联系电话,村,返乡日期,现住址"] + [
        f"{name},{id_number},1380000000{i},东溪村,2022-02-01,东溪村{i}号"
        for i, (name, id_number) in enumerate(zip(NAMES, IDS, strict=True))]
    (tmp_path / LONG_FILE).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path


def imported(workspace: Path) -> Path:
    result = run("import", LONG_FILE, cwd=workspace)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return workspace


def ledger_names(db: Path) -> set[str]:
    with sqlite3.connect(db) as con:
        return {row[0] for row in con.execute("SELECT name FROM persons")}


def no_fault(result: subprocess.CompletedProcess) -> str:
    text = result.stderr.decode("utf-8", "replace")
    assert "内部错误" not in text and "Traceback" not in text and "UnicodeEncodeError" not in text, text
    return text


def test_import_with_a_gbk_console_commits_and_exits_0(workspace: Path) -> None:
    result = run("import", LONG_FILE, cwd=workspace)
    no_fault(result)
    assert result.returncode == 0
    assert ledger_names(workspace / "t.db") == set(NAMES)
    out = result.stdout.decode("utf-8")  # a redirect is UTF-8, whatever the console's code page
    assert LONG_FILE in out  # whole, though longer than 80 columns with the table around it


def test_due_today_table_csv_json_under_gbk(workspace: Path) -> None:
    imported(workspace)
    for fmt in ("table", "csv", "json"):
        result = run("due-today", "--format", fmt, cwd=workspace)
        no_fault(result)
        assert result.returncode == 0, fmt
        out = result.stdout.decode("utf-8")  # strict: UTF-8 regardless of PYTHONIOENCODING
        assert not out.startswith("\ufeff")  # no BOM: a redirect may be appended to or piped on
        assert all(name in out for name in NAMES), fmt
    data = json.loads(run("due-today", "--format", "json", cwd=workspace).stdout.decode("utf-8"))
    assert {e["name"] for e in data["tests_overdue"]} == set(NAMES)


def test_a_redirected_table_holds_whole_values(workspace: Path) -> None:
    imported(workspace)
    with open(workspace / "f.txt", "wb") as fh:
        result = run("due-today", "--no-mask", cwd=workspace, stdout=fh)
    no_fault(result)
    assert result.returncode == 0
    text = (workspace / "f.txt").read_text(encoding="utf-8")
    assert "…" not in text
    assert all(id_number in text for id_number in IDS)  # the full 18 digits
    assert "2022-02-07" in text and "2022-02-01" in text and "返乡人员健康监测" in text
    with open(workspace / "b.txt", "wb") as fh:
        run("batches", cwd=workspace, stdout=fh)
    assert LONG_FILE in (workspace / "b.txt").read_text(encoding="utf-8")


def test_redirected_masked_table_still_masks(workspace: Path) -> None:
    imported(workspace)
    text = run("due-today", cwd=workspace).stdout.decode("utf-8")
    assert not any(id_number in text for id_number in IDS)
    assert "…" not in text


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
def test_a_gbk_console_shows_gbk_and_never_fails(workspace: Path) -> None:
    """On a console the encoding is kept (no mojibake on a GBK console) and
    a character it cannot show prints as "?"; JSON keeps it as an escape."""
    import pty

    imported(workspace)

    def on_console(*args: str) -> tuple[int, bytes]:
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "taizhang", "--db", "t.db", "--as-of", AS_OF,
                                     *args], cwd=workspace, env=gbk_env(COLUMNS="200"),
                                    stdout=slave, stderr=slave)
            os.close(slave)
            chunks = []
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return proc.wait(timeout=120), b"".join(chunks)
        finally:
            os.close(master)

    code, raw = on_console("due-today", "--no-mask")
    text = raw.decode("gbk")  # strict: the console got GBK, not UTF-8
    assert code == 0 and "内部错误" not in text
    assert "王?" in text and "东溪村" in text and IDS[0] in text
    code, raw = on_console("due-today", "--format", "json")
    text = raw.decode("gbk")
    assert code == 0
    assert "\\u4dae" in text  # 䶮, escaped: the JSON stays whole and valid
    assert "\\ud842\\udfb7" in text  # 𠮷 as a JSON surrogate pair
    assert json.loads(text)["tests_due"][0]["name"] == NAMES[0]
    code, raw = on_console("person", IDS[1], "--format", "json")
    assert code == 0 and json.loads(raw.decode("gbk"))["name"] == NAMES[1]
