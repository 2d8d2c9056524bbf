"""Faults of the machine, not of the data (issue 15, cause 8): a full disk, a
read-only folder or medium, a file open in Excel, a closed or full stdout, a
FIFO or device given as a path, another program's SQLite file, a damaged
ledger. Each is one Chinese line naming the path and what to do, exit 1 or
2, never an internal error or a traceback, and no debris.

Tests run as root here, where chmod changes nothing: read-only places are
simulated by refusing the write (monkeypatch), and the chmod tests skip for
root. A full database is SQLite's own SQLITE_FULL (`PRAGMA max_page_count`);
a full stdout is /dev/full.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_id
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.errors import TaizhangError
from taizhang.ledger.store import Store

runner = CliRunner()
AS_OF = "2022-02-08"
HEADER = "姓名,身份证号,联系电话,村,返乡日期,现住址"
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
POSIX = sys.platform != "win32"
INTERNAL = "内部错误"


def people_csv(path: Path, n: int, village: str = "平阳村", first: int = 0) -> Path:
    rows = [HEADER] + [f"张{i},{make_id(birth=f'19{50 + i // 1000:02d}0101', seq=f'{i % 1000:03d}')},"
                       f"138{i:08d},{village},2022-02-01,{village}{i}号{'院' * 40}"
                       for i in range(first, first + n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def cli(*args: str):
    return runner.invoke(app, ["--as-of", AS_OF, *args])


def run(*args: str, cwd: Path, stdout=subprocess.PIPE, timeout: float = 60):
    """The command in its own process: what cron runs, and a blocked read cannot hang the tests."""
    return subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()",
                           "--as-of", AS_OF, *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=timeout)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def clean(output: str) -> None:
    assert INTERNAL not in output and "Traceback" not in output, output


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    db = tmp_path / "taizhang.db"
    result = cli("--db", str(db), "import", str(people_csv(tmp_path / "平阳村登记.csv", 5)))
    assert result.exit_code == 0, result.output
    return db


def debris(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".tmp-" in p.name]


# ---------------------------------------------------------------- 1. a full disk under the ledger


def test_a_full_disk_during_import_is_one_failed_file(tmp_path: Path, monkeypatch) -> None:
    """SQLite rolls the transaction back itself on SQLITE_FULL; the ROLLBACK
    after it must not hide the cause ("cannot rollback - no transaction")."""
    db = tmp_path / "taizhang.db"
    small = people_csv(tmp_path / "a平阳村.csv", 2)
    big = people_csv(tmp_path / "b东溪村.csv", 1500, "东溪村", first=100)
    real = Store._migrate

    def tight(self: Store) -> None:  # the disk fills a few pages after the ledger's tables
        real(self)
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        self.db.execute(f"PRAGMA max_page_count={pages + 12}")

    monkeypatch.setattr(Store, "_migrate", tight)
    result = cli("--db", str(db), "import", str(small), str(big), "--format", "json")
    clean(result.output)
    assert result.exit_code == 1
    files = {Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files["a平阳村.csv"]["status"] == "imported"
    assert files["b东溪村.csv"]["status"] == "failed"
    assert "磁盘空间已满，无法写入台账数据库" in files["b东溪村.csv"]["error"]
    assert "请清理磁盘后重新导入（本文件未导入）" in files["b东溪村.csv"]["error"]
    monkeypatch.undo()
    with Store(db) as store:
        assert store.integrity_ok()
        assert store.counts()["persons"] == 2 and store.counts()["batches"] == 1


def test_a_transaction_sqlite_already_rolled_back_reports_the_cause(ledger: Path) -> None:
    with Store(ledger) as store:
        with pytest.raises(TaizhangError, match="磁盘空间已满") as caught:
            with store.transaction() as db:
                db.execute("UPDATE persons SET name = '王五'")
                db.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL
                raise sqlite3.OperationalError("database or disk is full")
        assert str(ledger) in caught.value.message
        assert not store.db.in_transaction
        assert store.db.execute("SELECT count(*) FROM persons WHERE name = '王五'").fetchone()[0] == 0
        with store.transaction() as db:  # the connection is usable again
            db.execute("SELECT 1")


@pytest.mark.skipif(not (POSIX and ROOT_USER and shutil.which("unshare")), reason="needs root and unshare")
def test_a_really_full_disk(tmp_path: Path) -> None:
    """On a 400 KB filesystem of its own (a private mount namespace): the big
    file fails with the message, the small one is imported, the ledger is whole."""
    small = people_csv(tmp_path / "a平阳村.csv", 2)
    big = people_csv(tmp_path / "b东溪村.csv", 3000, "东溪村", first=100)
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (f"mount -t tmpfs -o size=400k tmpfs {disk} && "
              f"{sys.executable} -c 'from taizhang.cli import main; main()' --db {disk}/t.db "
              f"--as-of {AS_OF} import {big} {small} --format json > {tmp_path}/out.json; "
              f"echo $? > {tmp_path}/rc; cp {disk}/t.db* {tmp_path}/")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          stderr=subprocess.PIPE, timeout=120)
    if not (tmp_path / "rc").exists() or not (tmp_path / "t.db").exists():
        pytest.skip(f"no private tmpfs here: {done.stderr.decode()[:200]}")
    err = done.stderr.decode()
    clean(err)
    assert (tmp_path / "rc").read_text().strip() == "1"
    assert "磁盘空间已满，无法写入台账数据库" in err
    files = {Path(f["path"]).name: f["status"]
             for f in json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["files"]}
    assert files == {"b东溪村.csv": "failed", "a平阳村.csv": "imported"}
    db = sqlite3.connect(tmp_path / "t.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 2
    db.close()


# ---------------------------------------------------------------- 2. the daily lock


def daily_workspace(root: Path) -> Path:
    (root / "inbox").mkdir(parents=True)
    (root / "taizhang.toml").write_text('township = "青石镇"\nvillages = ["平阳村"]\ninbox = "inbox"\n'
                                        'out = "out"\n', encoding="utf-8")
    people_csv(root / "inbox" / "平阳村登记.csv", 3)
    return root


def test_a_lock_file_that_cannot_be_made_is_not_another_run(tmp_path: Path, monkeypatch) -> None:
    root = daily_workspace(tmp_path / "ws")
    (root / "out" / ".taizhang-daily.lock").mkdir(parents=True)  # cannot be opened as a file
    monkeypatch.chdir(root)
    result = cli("daily")
    clean(result.output)
    assert result.exit_code == 1
    assert "另一个" not in result.output and "正在运行" not in result.output
    assert "无法创建daily的锁文件" in result.output and ".taizhang-daily.lock" in result.output
    assert "是否可写" in result.output


def test_a_damaged_lock_file_says_so(tmp_path: Path, monkeypatch) -> None:
    root = daily_workspace(tmp_path / "ws")
    (root / "out").mkdir()
    (root / "out" / ".taizhang-daily.lock").write_bytes(b"not a lock " * 200)
    monkeypatch.chdir(root)
    result = cli("daily")
    clean(result.output)
    assert result.exit_code == 1 and "锁文件" in result.output and "已损坏" in result.output


@pytest.mark.skipif(not POSIX or ROOT_USER, reason="chmod does not stop root (or Windows)")
def test_a_read_only_out_folder_is_named(tmp_path: Path, monkeypatch) -> None:
    root = daily_workspace(tmp_path / "ws")
    (root / "out" / AS_OF).mkdir(parents=True)
    (root / "out").chmod(0o555)
    monkeypatch.chdir(root)
    try:
        result = cli("daily")
    finally:
        (root / "out").chmod(0o755)
    clean(result.output)
    assert result.exit_code == 1 and "正在运行" not in result.output
    assert "锁文件" in result.output


def test_a_log_that_cannot_be_written_prints_no_traceback(tmp_path: Path, monkeypatch) -> None:
    import logging

    root = daily_workspace(tmp_path / "ws")
    monkeypatch.chdir(root)

    def full(self) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(logging.StreamHandler, "flush", full)
    result = cli("daily")
    clean(result.output)
    assert "Logging error" not in result.output
    assert result.exit_code == 1 and "日志写入失败" in result.output


# ---------------------------------------------------------------- 3. writing outputs


def test_a_full_disk_while_writing_an_xlsx(ledger: Path, tmp_path: Path, monkeypatch) -> None:
    from xlsxwriter.workbook import Workbook

    def full(self) -> None:
        Path(self.filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Workbook, "_store_workbook", full)
    folder = tmp_path / "lists"
    folder.mkdir()
    target = folder / "名单.xlsx"
    result = cli("--db", str(ledger), "due-today", "--format", "xlsx", "--out", str(target))
    clean(result.output)
    assert result.exit_code == 1
    assert f"写入{target}失败（磁盘已满）" in result.output.replace("\n", "")
    assert list(folder.iterdir()) == []  # neither the file nor a temporary one


@pytest.mark.parametrize("command", [["export", "--format", "csv"], ["export", "--format", "xlsx"],
                                     ["due-today", "--format", "csv"], ["due-today", "--format", "json"]])
def test_a_full_disk_while_writing_out(ledger: Path, tmp_path: Path, monkeypatch, command) -> None:
    real = os.replace

    def full(src, dst, *args, **kwargs):
        if ".tmp-" in str(src):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full)
    folder = tmp_path / "o"
    folder.mkdir()
    target = folder / f"out.{command[-1]}"
    result = cli("--db", str(ledger), *command, "--out", str(target))
    clean(result.output)
    assert result.exit_code == 1 and "磁盘已满" in result.output and str(target) in result.output
    assert list(folder.iterdir()) == []


def test_a_file_open_in_excel_is_named(ledger: Path, tmp_path: Path, monkeypatch) -> None:
    """Windows refuses to replace a file Excel/WPS holds open (PermissionError,
    winerror 32 or 5); the old file stays, no temporary file is left."""
    target = tmp_path / "汇总.xlsx"
    target.write_bytes(b"the file open in Excel")

    def held(src, dst, *args, **kwargs):
        raise PermissionError(errno.EACCES, "另一个程序正在使用此文件，进程无法访问。")

    monkeypatch.setattr(os, "replace", held)
    result = cli("--db", str(ledger), "export", "--out", str(target))
    clean(result.output)
    assert result.exit_code == 1
    assert "请先在Excel/WPS中关闭该文件" in result.output and str(target) in result.output
    assert target.read_bytes() == b"the file open in Excel"
    assert debris(tmp_path) == []


def test_windows_sharing_violations_say_close_it_in_excel() -> None:
    """What Windows raises for a file Excel/WPS holds: winerror 32 (sharing
    violation), 33 (lock violation), or 5 (access denied) on the rename."""
    from taizhang.outputs.atomic import os_error_reason, write_error

    class WinError(PermissionError):
        def __init__(self, winerror: int) -> None:
            super().__init__(errno.EACCES, "另一个程序正在使用此文件，进程无法访问。")
            self.winerror = winerror

    for code in (32, 33):
        assert "请先在Excel/WPS中关闭该文件" in os_error_reason(WinError(code))[1]
    assert "请先在Excel/WPS中关闭该文件" in write_error(Path("名单.xlsx"), WinError(5), True).message
    assert "请先在Excel/WPS中关闭该文件" not in os_error_reason(WinError(5))[1]  # creating: a folder's rights
    assert os_error_reason(OSError(errno.ENOSPC, "x"))[0] == "磁盘已满"


def test_a_read_only_out_folder_while_writing(ledger: Path, tmp_path: Path, monkeypatch) -> None:
    real = os.open

    def denied(path, *args, **kwargs):
        if ".tmp-" in str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    target = tmp_path / "ro" / "名单.csv"
    result = cli("--db", str(ledger), "due-today", "--format", "csv", "--out", str(target))
    clean(result.output)
    assert result.exit_code == 1 and "没有权限" in result.output and str(target) in result.output


@pytest.mark.skipif(not POSIX or ROOT_USER, reason="chmod does not stop root (or Windows)")
def test_a_read_only_out_folder_really(ledger: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = cli("--db", str(ledger), "export", "--out", str(folder / "x.xlsx"))
    finally:
        folder.chmod(0o755)
    clean(result.output)
    assert result.exit_code == 1 and "没有权限" in result.output


def test_an_out_that_is_a_folder(ledger: Path, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    result = cli("--db", str(ledger), "due-today", "--format", "csv", "--out", str(folder))
    clean(result.output)
    assert result.exit_code == 2 and "是一个文件夹" in result.output
    assert debris(tmp_path) == [] and list(folder.iterdir()) == []


def test_daily_on_a_full_disk_leaves_no_debris(tmp_path: Path, monkeypatch) -> None:
    root = daily_workspace(tmp_path / "ws")
    monkeypatch.chdir(root)
    real = Path.write_bytes

    def full(self, data):
        if ".tmp-" in self.name:
            real(self, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    result = cli("daily")
    clean(result.output)
    assert result.exit_code == 1 and "磁盘已满" in result.output
    assert debris(root / "out") == []


# ---------------------------------------------------------------- 4. stdout


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["export", "--format", "csv"], ["due-today", "--format", "json"],
                                     ["due-today"], ["daily-report"]])
def test_a_full_stdout(ledger: Path, tmp_path: Path, command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = run("--db", str(ledger), *command, cwd=tmp_path, stdout=full)
    err = done.stderr.decode()
    clean(err)
    assert done.returncode == 1
    assert "磁盘已满" in err and "Exception ignored" not in err
    assert err.count("错误") == 1


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    """A ledger whose lists are longer than a pipe holds."""
    folder = tmp_path_factory.mktemp("many")
    db = folder / "taizhang.db"
    assert cli("--db", str(db), "import", str(people_csv(folder / "平阳村.csv", 1500))).exit_code == 0
    return db


@pytest.mark.parametrize("command", [["export", "--format", "csv", "--no-mask"], ["due-today"],
                                     ["due-today", "--format", "json"],
                                     ["person", make_id(birth="19500101", seq="001")]])
def test_a_closed_pipe_ends_quietly(many: Path, tmp_path: Path, command: list[str]) -> None:
    """`taizhang … | head -1` once head has gone: no message, no traceback, exit 0 or 1."""
    proc = subprocess.Popen([sys.executable, "-c", "from taizhang.cli import main; main()",
                             "--db", str(many), "--as-of", AS_OF, *command],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 1)
    assert err == "", err


@pytest.mark.skipif(not POSIX, reason="closing fd 1 before exec is POSIX")
def test_a_closed_stdout_still_does_the_work(ledger: Path, tmp_path: Path) -> None:
    """A cron line ending in `>&-`: the command runs, what it prints goes nowhere."""
    done = subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()",
                           "--db", str(ledger), "--as-of", AS_OF, "due-today", "--format", "csv",
                           "--out", str(tmp_path / "名单.csv")], stdout=None, stderr=subprocess.PIPE,
                          preexec_fn=lambda: os.close(1), timeout=60)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    clean(err)
    assert (tmp_path / "名单.csv").exists()
    done = subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()",
                           "--db", str(ledger), "--as-of", AS_OF, "export", "--format", "csv"],
                          stdout=None, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=60)
    assert done.returncode == 0 and done.stderr.decode() == ""


# ---------------------------------------------------------------- 5. FIFOs and devices


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on Windows")
    path = tmp_path / "平阳村登记.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["validate", "import", "columns"])
def test_a_fifo_input_is_skipped_with_a_note(tmp_path: Path, fifo: Path, command: str) -> None:
    (tmp_path / "good").mkdir()
    good = people_csv(tmp_path / "good" / "东溪村登记.csv", 2, "东溪村")
    done = run("--db", str(tmp_path / "t.db"), command, str(fifo), str(good), cwd=tmp_path, timeout=30)
    err = done.stderr.decode()
    clean(err)
    assert f"{fifo}：不是普通文件，已跳过" in err
    assert done.returncode in (0, 1)
    if command == "import":
        assert sqlite3.connect(tmp_path / "t.db").execute("SELECT count(*) FROM persons").fetchone()[0] == 2


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_input_is_skipped(tmp_path: Path) -> None:
    done = run("validate", "/dev/zero", cwd=tmp_path, timeout=30)
    err = done.stderr.decode()
    clean(err)
    assert "/dev/zero：不是普通文件，已跳过" in err


@pytest.mark.parametrize("option", ["--db", "--config", "--policy"])
def test_a_fifo_as_db_config_or_policy_is_refused(tmp_path: Path, fifo: Path, option: str) -> None:
    done = run(option, str(fifo), "due-today", cwd=tmp_path, timeout=30)
    err = done.stderr.decode()
    clean(err)
    assert done.returncode == 2
    assert str(fifo) in err and "不是普通文件" in err and option in err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


# ---------------------------------------------------------------- 6. another program's database


def foreign_db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE 药品 (名称 TEXT, 数量 INTEGER)")
    db.execute("INSERT INTO 药品 VALUES ('布洛芬', 3)")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize("command", [["due-today"], ["export", "--format", "csv"], ["person", "张三"],
                                     ["import", "IN"], ["batches"]])
def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path, command: list[str]) -> None:
    db = foreign_db(tmp_path / "药房.db")
    before = sha(db)
    args = [str(people_csv(tmp_path / "平阳村.csv", 2)) if a == "IN" else a for a in command]
    result = cli("--db", str(db), *args)
    clean(result.output)
    assert result.exit_code == 2
    assert "不是taizhang的台账数据库" in result.output and "请检查--db路径" in result.output
    assert sha(db) == before
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()


def test_an_empty_file_is_no_ledger_to_report_on(tmp_path: Path) -> None:
    db = tmp_path / "taizhang.db"
    db.write_bytes(b"")
    result = cli("--db", str(db), "daily-report")
    clean(result.output)
    assert result.exit_code == 2 and "零报告" not in result.output
    assert db.stat().st_size == 0


# ---------------------------------------------------------------- 7. a damaged schema version


@pytest.mark.parametrize("version", ["abc", "", "5.0", "0"])
def test_an_unreadable_schema_version(ledger: Path, version: str) -> None:
    db = sqlite3.connect(ledger)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (version,))
    db.commit()
    db.close()
    before = sha(ledger)
    result = cli("--db", str(ledger), "due-today")
    clean(result.output)
    assert result.exit_code == 1
    assert f"的结构版本“{version}”无法识别" in result.output
    assert "请用备份恢复" in result.output and "backups" in result.output
    assert sha(ledger) == before


# ---------------------------------------------------------------- 8. a read-only ledger


def read_only_connect(monkeypatch, ledger: Path, medium: bool = False) -> None:
    """SQLite as it is when the file (or, `medium`, the whole disk) cannot be written."""
    real = sqlite3.connect
    name = str(ledger)

    def connect(database, *args, **kwargs):
        target = str(database)
        if target == name or (target.startswith("file:") and ledger.name in target
                              and "immutable=1" not in target):
            if medium:  # no -shm can be made: SQLite cannot open a WAL ledger normally
                return real(f"file:{ledger.parent}/nowhere/x.db?mode=ro", *args, **{**kwargs, "uri": True})
            return real(f"{ledger.resolve().as_uri()}?mode=ro", *args, **{**kwargs, "uri": True})
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


@pytest.mark.parametrize("medium", [False, True])
@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_read_only_ledger_still_answers(ledger: Path, tmp_path: Path, monkeypatch, medium: bool,
                                          journal: str) -> None:
    db = sqlite3.connect(ledger)
    db.execute(f"PRAGMA journal_mode={journal}")  # a backup copy is in DELETE mode
    db.close()
    before = sha(ledger)
    read_only_connect(monkeypatch, ledger, medium)
    result = cli("--db", str(ledger), "due-today", "--format", "json")
    clean(result.output)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["date"] == AS_OF
    result = cli("--db", str(ledger), "export", "--format", "csv")
    assert result.exit_code == 0 and result.stdout.count("\n") == 6
    result = cli("--db", str(ledger), "import", str(people_csv(tmp_path / "东溪村.csv", 2, "东溪村")))
    clean(result.output)
    assert result.exit_code == 1 and "是只读的" in result.output
    monkeypatch.undo()
    assert sha(ledger) == before


def test_a_read_only_ledger_of_an_older_version_says_what_to_do(ledger: Path, monkeypatch) -> None:
    db = sqlite3.connect(ledger)
    db.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    db.commit()
    db.close()
    read_only_connect(monkeypatch, ledger)
    result = cli("--db", str(ledger), "due-today")
    clean(result.output)
    assert result.exit_code == 1
    assert "是只读的" in result.output and "复制到本机可写的文件夹" in result.output


@pytest.mark.skipif(not POSIX or ROOT_USER, reason="chmod does not stop root (or Windows)")
def test_a_read_only_ledger_file_really(ledger: Path) -> None:
    ledger.chmod(0o400)
    try:
        result = cli("--db", str(ledger), "due-today", "--format", "json")
    finally:
        ledger.chmod(0o600)
    clean(result.output)
    assert result.exit_code == 0, result.output


def test_doctor_names_a_damaged_schema_version(tmp_path: Path) -> None:
    """doctor reads the version itself (read-only): "abc" is a finding, not an internal error."""
    import sqlite3

    from typer.testing import CliRunner

    from taizhang.cli import app
    from taizhang.ledger.store import Store

    db = tmp_path / "taizhang.db"
    Store(db, create=True).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value='abc' WHERE key='schema_version'")
    con.commit()
    con.close()
    result = CliRunner().invoke(app, ["--db", str(db), "doctor"])
    assert result.exit_code == 1, result.output
    assert "无法识别" in result.output and "内部错误" not in result.output
