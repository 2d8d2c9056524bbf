"""A test a newer version of its file sends again unchanged stays with the
older version (`ledger.sent_tests`, issue 18): no rewrite, no `test_claims`
row. The ledger must still read as if every version had taken its tests over:
the same live tests, at the same file, sheet and row, as a fresh import of
the same versions — after retractions, after `undo` of any version, and after
another file took a kept test.

Every comparison is against a second ledger that imported only the versions
that remain, in the same order and at the same path (the file is rewritten
between imports, as a village's re-sent 台账 overwrites yesterday's)."""

from __future__ import annotations

import random
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from conftest import make_id

from taizhang.config import load_policy
from taizhang.ingest.validation import Validator
from taizhang.ledger.importer import import_paths
from taizhang.ledger.merge import BatchOutcome
from taizhang.ledger.store import Store
from taizhang.ledger.undo import undo_batch

POLICY = load_policy()
HEAD = "姓名,身份证号,采样日期,检测结果,采样点"
A, B, C, D = (make_id(seq=s) for s in ("311", "422", "533", "644"))
ROWS = {  # one row per test: person, date, result, site
    "a1": f"张一,{A},2022-02-01,阴性,卫生院",
    "a2": f"张一,{A},2022-02-03,阴性,卫生院",
    "b1": f"李二,{B},2022-02-02,阴性,卫生室",
    "c1": f"王三,{C},2022-02-02,阴性,卫生室",
    "d1": f"赵四,{D},2022-02-04,阴性,卫生室",
}
VARIANTS = {  # a test of ROWS at another site; another result (another test)
    "a1s": f"张一,{A},2022-02-01,阴性,方舱",
    "c1p": f"王三,{C},2022-02-02,阳性,卫生室",
}
ALL = {**ROWS, **VARIANTS}
TESTS_FILE = "东溪村核酸检测台账.csv"
OTHER_FILE = "平阳村核酸补报.csv"
THIRD_FILE = "新桥社区核酸检测.csv"

# every live test with its key, site and provenance (file as resolved, sheet, row)
LIVE = ("SELECT p.key, t.sample_date, t.result, t.site, coalesce(b.file, b.path), t.sheet, t.row "
        "FROM tests t JOIN persons p ON p.id = t.person_id JOIN batches b ON b.id = t.batch_id "
        "WHERE t.retracted_by IS NULL ORDER BY 1, 2, 3")


def validator(as_of: date) -> Validator:
    return Validator(as_of=as_of, villages=["平阳村", "东溪村"], township="青石镇",
                     find_regime=POLICY.find_regime, regime_examples=POLICY.regime_examples())


class Ledger:
    """A ledger and the folder its files are sent to, one version at a time."""

    def __init__(self, root: Path) -> None:
        root.mkdir()
        self.root = root
        self.db = root / "taizhang.db"
        self.day = 0

    def send(self, name: str, *rows: str) -> BatchOutcome:
        """Write `name` with `rows` (keys of ROWS, or literal rows) and import it."""
        path = self.root / name
        path.write_text("\n".join([HEAD, *(ALL.get(r, r) for r in rows)]) + "\n", encoding="utf-8")
        self.day += 1
        as_of = date(2022, 2, 4 + self.day)
        with Store(self.db, create=True) as store:
            report = import_paths(store, [path], validator(as_of), as_of)
        [outcome] = report.outcomes
        assert outcome.status == "imported", outcome.error
        return outcome

    def undo(self, outcome: BatchOutcome) -> None:
        with Store(self.db) as store:
            assert outcome.batch_id is not None
            undo_batch(store, outcome.batch_id)

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.db) as con:
            return [tuple(r) for r in con.execute(sql)]

    def live(self) -> list[tuple]:
        """Live tests, the file named relative to the ledger's folder."""
        return [(*r[:4], Path(r[4]).relative_to(self.root.resolve()).as_posix(), *r[5:])
                for r in self.query(LIVE)]

    def claims(self) -> int:
        return self.query("SELECT count(*) FROM test_claims")[0][0]


def fresh(tmp_path: Path, *versions: tuple[str, tuple[str, ...]]) -> list[tuple]:
    """The live tests of a new ledger that imported only `versions` (name, rows)."""
    ledger = Ledger(tmp_path / f"fresh{len(list(tmp_path.iterdir()))}")
    for name, rows in versions:
        ledger.send(name, *rows)
    return ledger.live()


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ws")


def test_a_grown_file_writes_only_its_new_tests(ledger: Ledger, tmp_path: Path) -> None:
    first = ledger.send(TESTS_FILE, "a1", "b1", "c1")
    assert first.tests == 3
    grown = ledger.send(TESTS_FILE, "a1", "b1", "c1", "d1")
    assert (grown.tests, grown.retracted_tests) == (4, 0)  # the file's test rows, kept or written
    assert ledger.claims() == 0  # nothing taken over: the three stay with the first version
    owners = dict(ledger.query("SELECT row, batch_id FROM tests"))
    assert owners == {2: first.batch_id, 3: first.batch_id, 4: first.batch_id, 5: grown.batch_id}
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1", "c1", "d1")))


def test_a_row_moved_or_a_site_changed_is_taken_over(ledger: Ledger, tmp_path: Path) -> None:
    """The neighbours of 'unchanged': the same test at another row, or at the
    same row with another site, is the newer version's (and claimed)."""
    ledger.send(TESTS_FILE, "a1", "b1", "c1")
    moved = ledger.send(TESTS_FILE, "d1", "a1", "b1", f"王三,{C},2022-02-02,阴性,方舱")
    assert ledger.claims() == 3
    assert {r[0] for r in ledger.query("SELECT batch_id FROM tests WHERE retracted_by IS NULL")} == {
        moved.batch_id}
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("d1", "a1", "b1",
                                                          f"王三,{C},2022-02-02,阴性,方舱")))


def test_a_dropped_or_corrected_test_is_retracted(ledger: Ledger, tmp_path: Path) -> None:
    ledger.send(TESTS_FILE, "a1", "b1", "c1")
    fixed = ledger.send(TESTS_FILE, "a1", f"李二,{B},2022-02-02,阳性,卫生室")  # c1 gone, b1 corrected
    assert fixed.retracted_tests == 2
    assert ledger.query("SELECT count(*) FROM tests WHERE retracted_by IS NOT NULL")[0][0] == 2
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", f"李二,{B},2022-02-02,阳性,卫生室")))


def test_a_test_sent_twice_in_a_version_keeps_the_last_row(ledger: Ledger, tmp_path: Path) -> None:
    """Within a file the last row sending a test is its provenance: kept only
    when that row is the older version's."""
    ledger.send(TESTS_FILE, "a1", "b1", "a1")  # a1 at rows 2 and 4: row 4
    ledger.send(TESTS_FILE, "a1", "b1", "a1", "c1")  # the same: a1 kept at row 4
    assert ledger.claims() == 0
    ledger.send(TESTS_FILE, "a1", "b1", "d1", "c1")  # a1 now only at row 2: taken over
    assert ledger.claims() == 1
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1", "d1", "c1")))


def test_undo_of_the_newer_version(ledger: Ledger, tmp_path: Path) -> None:
    ledger.send(TESTS_FILE, "a1", "b1", "c1")
    newer = ledger.send(TESTS_FILE, "a1", "b1", "d1")  # c1 retracted, d1 new
    ledger.undo(newer)
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1", "c1")))


def test_undo_of_the_version_that_holds_kept_tests(ledger: Ledger, tmp_path: Path) -> None:
    """Its kept tests pass to the next version, which sent them too; a test
    only it sent (dropped by the next version) goes."""
    older = ledger.send(TESTS_FILE, "a1", "b1", "c1")
    ledger.send(TESTS_FILE, "a1", "b1", "d1")
    ledger.undo(older)
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1", "d1")))
    assert ledger.query(f"SELECT count(*) FROM tests WHERE batch_id = {older.batch_id}")[0][0] == 0
    assert ledger.claims() == 0


def test_undo_along_a_chain_of_versions(ledger: Ledger, tmp_path: Path) -> None:
    """v1 sends a2, v2 keeps it, v3 drops it. Undoing v1 leaves it v2's,
    retracted by v3 — as v2 then v3 alone; undoing v3 then brings it back."""
    v1 = ledger.send(TESTS_FILE, "a1", "a2", "b1")
    v2 = ledger.send(TESTS_FILE, "a1", "a2", "b1", "c1")
    v3 = ledger.send(TESTS_FILE, "a1", "b1", "c1")
    assert v3.retracted_tests == 1
    ledger.undo(v1)
    v2_rows, v3_rows = ("a1", "a2", "b1", "c1"), ("a1", "b1", "c1")
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, v2_rows), (TESTS_FILE, v3_rows))
    retracted = ledger.query("SELECT batch_id, retracted_by FROM tests WHERE retracted_by IS NOT NULL")
    assert retracted == [(v2.batch_id, v3.batch_id)]
    ledger.undo(v3)
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, v2_rows))
    ledger.undo(v2)
    assert ledger.live() == []
    assert ledger.query("SELECT count(*) FROM tests")[0][0] == 0


def test_undo_of_a_middle_version_passes_its_retraction_on(ledger: Ledger, tmp_path: Path) -> None:
    """v1 sends c1, v2 drops it, v3 sends the rest unchanged. Undoing v2: v3
    would have dropped c1 instead."""
    ledger.send(TESTS_FILE, "a1", "b1", "c1")
    v2 = ledger.send(TESTS_FILE, "a1", "b1")
    v3 = ledger.send(TESTS_FILE, "a1", "b1", "d1")
    ledger.undo(v2)
    assert ledger.query("SELECT retracted_by FROM tests WHERE retracted_by IS NOT NULL") == [
        (v3.batch_id,)]
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1", "c1")),
                                  (TESTS_FILE, ("a1", "b1", "d1")))


def test_another_file_takes_a_kept_test_and_gives_it_back(ledger: Ledger, tmp_path: Path) -> None:
    """平阳村 sends 张一's test too: it takes it from the first version of
    东溪村's file, which the second had kept. Undoing 平阳村's file gives it
    back, live: the second version had sent it."""
    ledger.send(TESTS_FILE, "a1", "b1")
    ledger.send(TESTS_FILE, "a1", "b1", "c1")
    other = ledger.send(OTHER_FILE, "a1")
    assert ledger.claims() == 1
    assert ledger.query("SELECT retracted_by, claimed_by FROM test_claims") == [(None, other.batch_id)]
    ledger.undo(other)
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1")), (TESTS_FILE, ("a1", "b1", "c1")))


def test_a_version_after_the_taking_file_that_did_not_send_it(ledger: Ledger, tmp_path: Path) -> None:
    """As above, then 东溪村 sends a third version without 张一's test (it is
    平阳村's now: not retracted), and a fourth that sends it again (taken back).
    Undoing 平阳村's file and the fourth version: the third had dropped it."""
    ledger.send(TESTS_FILE, "a1", "b1")
    ledger.send(TESTS_FILE, "a1", "b1", "c1")
    other = ledger.send(OTHER_FILE, "a1")
    v3 = ledger.send(TESTS_FILE, "b1", "c1")
    v4 = ledger.send(TESTS_FILE, "b1", "c1", "a1")
    ledger.undo(other)
    ledger.undo(v4)
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1")), (TESTS_FILE, ("a1", "b1", "c1")),
                                  (TESTS_FILE, ("b1", "c1")))
    assert (v3.batch_id,) in ledger.query("SELECT retracted_by FROM tests WHERE retracted_by IS NOT NULL")


def test_a_retracted_test_taken_by_another_file_and_given_back(ledger: Ledger, tmp_path: Path) -> None:
    """c1 dropped by 东溪村's second version, then sent by 平阳村 (taken, live
    again); undoing 平阳村's file: retracted again, by that second version."""
    ledger.send(TESTS_FILE, "a1", "c1")
    v2 = ledger.send(TESTS_FILE, "a1")
    other = ledger.send(OTHER_FILE, "c1")
    assert ledger.query("SELECT retracted_by FROM test_claims") == [(v2.batch_id,)]
    ledger.undo(other)
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "c1")), (TESTS_FILE, ("a1",)))


def test_claims_of_a_version_5_ledger_are_undone_as_before(ledger: Ledger, tmp_path: Path) -> None:
    """A ledger of version 5 took every test over; its claims have no
    `claimed_by`. Migrated, its older claims still give tests back right."""
    ledger.send(TESTS_FILE, "a1", "b1")
    with sqlite3.connect(ledger.db) as con:  # made a version-5 ledger: old claims, old trigger
        con.execute("DROP TRIGGER tests_keep_claims")
        con.execute("ALTER TABLE test_claims DROP COLUMN claimed_by")
        con.execute("ALTER TABLE test_claims DROP COLUMN retracted_by")
        con.execute("""CREATE TRIGGER tests_keep_claims AFTER UPDATE OF batch_id ON tests
                       WHEN NEW.batch_id > OLD.batch_id BEGIN
                       INSERT INTO test_claims(test_id, batch_id, site, sheet, row)
                       VALUES (OLD.id, OLD.batch_id, OLD.site, OLD.sheet, OLD.row); END""")
        con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
        # version 5 took the re-sent tests over (as its upsert did): the second version's
        second = con.execute("INSERT INTO batches(path, sha256, size, as_of, imported_at, file, rows) "
                             "SELECT path, 'v5', 1, '2022-02-06', imported_at, file, 2 FROM batches"
                             ).lastrowid
        con.execute("UPDATE tests SET batch_id = ?", (second,))
    assert ledger.claims() == 2
    other = ledger.send(OTHER_FILE, "a1")  # migrated now: a claim of version 6
    assert ledger.query("SELECT claimed_by FROM test_claims ORDER BY rowid") == [
        (None,), (None,), (other.batch_id,)]
    assert ledger.query("SELECT value FROM meta WHERE key = 'schema_version'") == [("6",)]
    ledger.undo(other)
    with Store(ledger.db) as store:
        undo_batch(store, second)  # an old claim: back to the first version, live
    assert ledger.live() == fresh(tmp_path, (TESTS_FILE, ("a1", "b1")))




def mutated(rng: random.Random, rows: list[str]) -> list[str]:
    """A village's next version: one or two rows added at the end, dropped,
    moved, or sent at another site or with another result."""
    rows = list(rows)
    for _ in range(rng.randint(1, 2)):
        op = rng.choice(["add", "add", "drop", "move", "variant"])
        if op == "add" or not rows:
            rows.append(rng.choice(sorted(ALL)))
        elif op == "drop":
            rows.pop(rng.randrange(len(rows)))
        elif op == "move":
            rows.insert(rng.randrange(len(rows)), rows.pop(rng.randrange(len(rows))))
        else:
            swap = {"a1": "a1s", "a1s": "a1", "c1": "c1p", "c1p": "c1"}
            i = rng.randrange(len(rows))
            rows[i] = swap.get(rows[i], rows[i])
    return rows


# 48 seeds of two files: among them the cases that caught each of three wrong undo rules
# tried while building this (claims of the undone version dropped; a returned test's
# retraction found as before version 6; kept tests not passed on): 3, 1 and 13 of 48.
# 16 seeds of three files and 9 versions: tests passed from file to file and back.
@pytest.mark.parametrize(("seed", "files", "versions"),
                         [(seed, 2, 7) for seed in range(48)] + [(seed, 3, 9) for seed in range(1000, 1016)])
def test_random_versions_and_undos_equal_importing_what_remains(tmp_path: Path, seed: int, files: int,
                                                               versions: int) -> None:
    """Versions of two or three files in a random order, each the file's last
    one with rows added, dropped, moved, or at another site or with another
    result, the files taking tests from each other; then random versions
    undone in a random order: the live tests, with their file, sheet and row,
    are those of a ledger that imported only the versions that remain."""
    rng = random.Random(seed)

    def test(row: str) -> tuple[str, ...]:  # the ledger's key: person, date, result
        return (row[0], *ALL[row].split(",")[2:4])

    ledger = Ledger(tmp_path / "ws")
    steps: list[tuple[str, tuple[str, ...], BatchOutcome]] = []
    names = [TESTS_FILE, TESTS_FILE, OTHER_FILE, THIRD_FILE][:files + 1]
    last: dict[str, list[str]] = {name: [] for name in names}
    sent: set[tuple[str, ...]] = {()}
    while len(steps) < versions:
        name = rng.choice(names)
        rows = mutated(rng, last[name])
        if len({test(r) for r in rows}) < len(rows) or tuple(rows) in sent:
            continue  # no two rows of one test in a version (another test covers that); no bytes twice
        sent.add(tuple(rows))
        last[name] = rows
        steps.append((name, tuple(rows), ledger.send(name, *rows)))
    undone = rng.sample(range(len(steps)), k=rng.randint(1, len(steps) - 1))
    for i in undone:
        ledger.undo(steps[i][2])
    remaining = [(name, rows) for i, (name, rows, _) in enumerate(steps) if i not in undone]
    assert ledger.live() == fresh(tmp_path, *remaining), (steps, undone)
