"""People known by name and village alone, and the files that name one of several.

Without an ID number or phone a person's key is name + village
(`ingest.records.PersonKey`), and two 王伟 registered in one sheet of one
village are two people: `nv:王伟|平阳村` and `nv:王伟|平阳村#2`. A later file
that names 王伟 of 平阳村 once cannot say which one it means; its rows go to
the first, and the import says so (`duplicate_row`), so the village adds an
ID or phone. Kept out of `merge`, whose every line is on the path of a
county's million rows; this runs for a handful of people per file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from taizhang.ingest.problems import SEVERITY, Problem, message
from taizhang.ingest.records import FileResult, PersonKey, namesake_key


def ambiguous_namesakes(db: sqlite3.Connection, result: FileResult, keys: dict[str, bool]
                        ) -> list[Problem]:
    """A warning (`duplicate_row`) on the first row of each sheet that names a
    person by name and village alone when the ledger, or this file, holds
    several people of that name there (PersonKey: `nv:王伟|平阳村`, `…#2`, …).

    The row goes to the first of them (the key without `#n`: the first such
    row of the sheet that registered them); the village is told which one, and
    to add an ID or phone. A sheet that itself names the second one lists the
    namesakes in its own order and was warned while validated.

    `keys` are the file's person keys. A file may name a hundred thousand
    people by name alone, so whether each has a namesake is found set-based:
    one pass over the keys and one joined query; only the people who do have
    one cost a query each."""
    by_name = [k for k in keys if k.startswith("nv:")]
    if not by_name:
        return []  # the everyday case: everyone has an ID or a phone
    in_file: dict[str, int] = {}  # first key -> how many of that name and village in this file
    for k in by_name:
        first, mark, n = k.rpartition("#")
        base = first if mark and n.isdigit() else k
        in_file[base] = in_file.get(base, 0) + 1
    several = {base for base, n in in_file.items() if n > 1}
    # a ledger without any second namesake (the key range of `nv:`, no `#`) has nothing to find
    if db.execute("SELECT 1 FROM persons WHERE key > 'nv:' AND key < 'nv;' AND instr(key, '#') "
                  "LIMIT 1").fetchone():
        db.execute("CREATE TEMP TABLE IF NOT EXISTS namesake_keys (key TEXT PRIMARY KEY)")
        db.execute("DELETE FROM namesake_keys")
        db.executemany("INSERT OR IGNORE INTO namesake_keys(key) VALUES (?)",
                       [(base + "#2",) for base in in_file])
        # CROSS JOIN: the file's keys outside, persons' key index inside (see merge.prefetch)
        several.update(key[:-2] for (key,) in db.execute(
            "SELECT n.key FROM namesake_keys n CROSS JOIN persons p ON p.key = n.key"))
    if not several:
        return []
    problems: list[Problem] = []
    counts: dict[str, tuple[int, str]] = {}
    for sheet in result.sheets:
        named: dict[str, tuple[PersonKey, int]] = {}  # first key -> person, first row
        seconds: set[str] = set()  # the second namesakes the sheet names itself
        for person, row in [*((rec.person, rec.row) for rec in sheet.persons),
                            *zip(sheet.test_table.people, sheet.test_table.first_row, strict=True),
                            *((t.person, t.row) for t in sheet.temp_rows)]:
            key = person.key
            if key in several:
                if key not in named or row < named[key][1]:
                    named[key] = (person, row)
            elif person.ordinal == 2:
                seconds.add(key)
        for key, (person, row) in sorted(named.items(), key=lambda item: item[1][1]):
            if namesake_key(person.name, person.village, 2) in seconds:
                continue  # the sheet lists the namesakes itself: warned while validated
            if key not in counts:
                counts[key] = _namesake_count(db, result, keys, person)
            count, first = counts[key]
            problems.append(Problem(
                result.path, sheet.sheet, row, sheet.cross_headers.get("name") or "姓名", "name",
                "duplicate_row", SEVERITY["duplicate_row"], person.name,
                message("duplicate_row/ambiguous", row=row, name=person.name, count=count,
                        village=person.village or "未注明村（社区）的记录中", first=first)))
    return problems


def _namesake_count(db: sqlite3.Connection, result: FileResult, keys: dict[str, bool],
                    person: PersonKey) -> tuple[int, str]:
    """How many people share the name and village of `person` (the first of
    them), in the ledger and this file, and where the first was first seen."""
    key = person.key
    # every `key#n` sorts between `key#` and `key$`: a range on the key index
    stored = dict(db.execute("SELECT key, id FROM persons WHERE key = ? OR (key > ? AND key < ?)",
                             (key, key + "#", key + "$")).fetchall())
    in_file = {key}
    n = 2
    while (sibling := namesake_key(person.name, person.village, n)) in keys:
        in_file.add(sibling)
        n += 1
    if key in stored:
        seen = db.execute(
            """SELECT b.path, r.sheet, r.row FROM person_rows r JOIN batches b ON b.id = r.batch_id
               WHERE r.person_id = ? ORDER BY b.as_of, b.id, r.row LIMIT 1""", (stored[key],)
        ).fetchone()
        if seen is not None:
            return len(stored.keys() | in_file), f"{Path(seen[0]).name}“{seen[1]}”第{seen[2]}行"
    first = next((f"本文件“{s.sheet}”第{rec.row}行" for s in result.sheets for rec in s.persons
                  if rec.person.key == key), "本文件")
    return len(stored.keys() | in_file), first
