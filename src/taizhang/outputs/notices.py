"""Per-person notices (告知书 / 通知 / 通知书), SPEC §6 `notice` and §8.

Who gets a notice comes from the day's due lists (tests due, releases due)
or from the engine (control starting today); what the notice says about the
person's regime and dates comes from their calendar; the wording is in
`templates/notice_*.txt.j2` and `notices.html.j2`.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from taizhang.errors import TaizhangError
from taizhang.ledger.store import Store
from taizhang.outputs.atomic import atomic_write, write_text
from taizhang.outputs.daily_data import DailyData, Mask
from taizhang.outputs.daily_report import text_context
from taizhang.outputs.export import neutralise
from taizhang.outputs.templating import environment, load_labels, render
from taizhang.policy.arrays import LedgerArrays
from taizhang.policy.calendar import calendar, later_tests
from taizhang.policy.due import due_lists
from taizhang.policy.engine import Engine
from taizhang.policy.model import Policy
from taizhang.privacy import mask_tree

NOTICE_KINDS = ("isolation", "test", "release")


def notice_people(store: Store, data: DailyData, kind: str, policy: Policy,
                  id_number: str | None, mask: Mask) -> list[dict[str, Any]]:
    """The people a notice of `kind` is for on the day, with what the template
    needs; with `id_number` (full, or masked as the lists print it) only that
    person's, none when they are not due."""
    from taizhang.ledger.person_view import id_matcher

    t = data.date
    arrays = data.arrays
    text = arrays.text
    if kind == "isolation":
        fast = Engine(arrays, t, policy, None)
        starts = (fast.start == t.toordinal()) & fast.valid & (fast.planned > fast.start)
        selected: list[tuple[int, dict[str, Any]]] = [(int(i), {}) for i in starts.nonzero()[0]]
    else:
        # list entries name a person by ID, name and village (IDs may be empty or
        # repeated for unverified people), so match all three, in order
        where: dict[tuple[str, str, str], list[int]] = {}
        for i, key in enumerate(zip(text["id_number"], text["name"], text["village"], strict=True)):
            where.setdefault(key, []).append(i)
        list_name = "tests_due" if kind == "test" else "releases_due"
        selected = []
        own: dict[int, list[dict[str, Any]]] = {}
        for e in data.lists[list_name]:
            found = where.get((e["id_number"], e["name"], e["village"]), [])
            if found:
                selected.append((_owner(arrays, found, e, list_name, t, policy, own), e))
    if id_number:
        wanted = id_matcher(id_number)
        selected = [(i, e) for i, e in selected if wanted(text["id_number"][i])]
        matched = {text["id_number"][i] for i, _ in selected}
        if len(matched) > 1:  # a masked ID that fits more than one of the people due
            raise TaizhangError(f"有{len(matched)}人的身份证号与“{id_number.strip()}”相符："
                                "请用完整身份证号（--no-mask 的名单上可见）")
    extra = _notice_fields(store, arrays, [i for i, _ in selected])
    return [_notice_context(arrays, i, entry, extra.get(i, {}), policy, t, mask, kind)
            for i, entry in selected]


def _owner(arrays: LedgerArrays, candidates: list[int], entry: dict[str, Any], list_name: str,
           t: date, policy: Policy, own: dict[int, list[dict[str, Any]]]) -> int:
    """Which of the people an entry could name it is about.

    An entry names a person by ID, name and village; people without an ID
    number or phone (three 王伟 of one village) share all three. Each is then
    asked for their own entries, by the same engine (kept in `own`), and an
    entry is taken by the first whose entries still hold it: every one of
    three identical entries goes to another person, and every notice carries
    the details of the person it is addressed to. Rare: a handful of people."""
    if len(candidates) == 1:
        return candidates[0]
    for i in candidates:
        if i not in own:
            own[i] = due_lists(arrays.subset(np.array([i])), t, policy)[list_name]
        if entry in own[i]:
            own[i].remove(entry)
            return i
    return candidates[0]


def _notice_fields(store: Store, arrays: LedgerArrays, positions: list[int]
                   ) -> dict[int, dict[str, Any]]:
    """Address, origin, 包保责任人 and 村医 of the selected people: one query."""
    if arrays.person_ids is None or not positions:
        return {}
    wanted = {int(arrays.person_ids[i]): i for i in positions}
    found = {}
    for row in store.db.execute(
        "SELECT id, address, origin, guardian, doctor, arrival_date FROM persons "
        "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(wanted)),)
    ):
        found[wanted[row["id"]]] = {k: row[k] or "" for k in row.keys() if k != "id"}
    return found


def _phase_plan(phases: tuple[tuple[str, int], ...], base: date, start: date,
                policy: Policy) -> list[dict[str, Any]]:
    """The regime's phases from `start` on, with their dates: the first one cut
    to `start` when 填平补齐 dropped its early days."""
    plan = []
    first = base
    for name, days in phases:
        last = first + timedelta(days=days - 1)
        if last >= start:
            begin = max(first, start)
            plan.append({"name": name, "days": (last - begin).days + 1, "start": begin.isoformat(),
                         "end": last.isoformat(), "temperature": name in policy.temperature_phases})
        first = last + timedelta(days=1)
    return plan


def _phase_on(phases: tuple[tuple[str, int], ...], base: date, on: date) -> str:
    """The phase of date `on`; past day N the last phase (a blocked release stays in it)."""
    day = (on - base).days + 1
    for name, days in phases:
        if day <= days:
            return name
        day -= days
    return phases[-1][0]


def _notice_context(arrays: LedgerArrays, i: int, entry: dict[str, Any], extra: dict[str, Any],
                    policy: Policy, t: date, mask: Mask, kind: str) -> dict[str, Any]:
    ident = arrays.text["id_number"][i]
    cal = calendar(arrays, i, t, policy)
    release = entry.get("release_date")
    end = date.fromisoformat(release or cal["planned_release_date"])
    start = date.fromisoformat(cal["control_start"])
    phases = policy.regimes[cal["regime"]].phases
    base = date.fromisoformat(cal["base_date"])
    # the phase the notice is about: the one control starts in, the one of the
    # test day, the last one served before release
    about = {"isolation": start, "test": t, "release": end - timedelta(days=1)}[kind]
    phase = _phase_on(phases, base, max(about, base))
    context = {
        "name": arrays.text["name"][i], "village": arrays.text["village"][i],
        "id_number": mask("id_number", ident) if mask else ident,
        "address": extra.get("address", ""), "origin": extra.get("origin", ""),
        "guardian": extra.get("guardian", ""), "doctor": extra.get("doctor", ""),
        "arrival_date": extra.get("arrival_date", ""),
        "regime_name": cal["regime_name"],
        "phases": [list(item) for item in phases],
        "phase": phase, "temperature": phase in policy.temperature_phases,
        "temperature_slots": list(policy.temperature_slots),
        "phase_plan": _phase_plan(phases, base, start, policy),
        "test_days": [s["day"] for s in cal["tests"]],
        "base_date": cal["base_date"], "start": cal["control_start"],
        "last_day": (end - timedelta(days=1)).isoformat(),
        "planned_release": cal["planned_release_date"],
        "release_date": release or "", "days_served": (end - start).days,
        "day": entry.get("day"), "due_date": entry.get("due_date"), "late": entry.get("late"),
        "later_tests": later_tests(cal, t),
        "site": "",
    }
    # every text of it, as the notice and its file name show it (a phone in 包保责任人)
    return context if mask is None else mask_tree(context, mask)


def render_notices(people: list[dict[str, Any]], kind: str, data: DailyData,
                   templates: Path | None, extras: dict[str, Any]) -> list[str]:
    env = environment(templates)
    context = {**text_context(data.config), **extras}
    return [render(env, f"notice_{kind}.txt.j2", p=p, date=data.date.isoformat(),
                   township=data.township, **context) for p in people]


# Path components are limited to 255 bytes on Linux and macOS (255 UTF-16
# units on Windows): a name is cut to this many UTF-8 bytes, its suffix kept.
NAME_BYTES = 200


def safe_filename(name: str) -> str:
    """A file name every OS accepts: no path separators, Windows-reserved
    characters, control characters or a leading dot, and short enough in
    bytes (a 70-character name is 210 bytes of UTF-8)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", name).lstrip(". ")
    return _fit(cleaned, "") or "_"


def _fit(stem: str, suffix: str) -> str:
    """`stem + suffix` cut to NAME_BYTES bytes of UTF-8 by shortening the stem."""
    room = NAME_BYTES - len(suffix.encode("utf-8"))
    data = stem.encode("utf-8")
    if len(data) > room:
        stem = data[:room].decode("utf-8", "ignore")
    return stem + suffix


def unique_filename(stem: str, suffix: str, taken: set[str]) -> str:
    """`safe_filename(stem + suffix)`, or with `_2`, `_3`, … before the suffix
    when a file of this run already has that name (two 王伟 of one village):
    notices never overwrite each other, and the number says nothing about the
    person. Names are compared case-folded, as Windows and macOS compare them.
    `taken` is updated."""
    stem = safe_filename(stem)
    name = _fit(stem, suffix)
    n = 1
    while name.casefold() in taken:
        n += 1
        name = _fit(stem, f"_{n}{suffix}")
    taken.add(name.casefold())
    return name


# Characters XML 1.0 (so .docx) cannot hold: python-docx refuses them
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """Text a .docx can hold: a bell or NUL typed into a name becomes nothing."""
    return _NOT_XML_RE.sub("", text)


def write_notices(people: list[dict[str, Any]], kind: str, data: DailyData, fmt: str,
                  out_dir: Path, templates: Path | None, extras: dict[str, Any]) -> list[Path]:
    """One printable html with page breaks, or one .docx per person: as many
    files as people, never one over another (`unique_filename`). Nobody, no
    file: an earlier file of the day is left as it was."""
    if not people:
        return []
    texts = render_notices(people, kind, data, templates, extras)
    day = data.date.isoformat()
    words = load_labels(templates)["notices"]
    title = words[kind]
    if fmt == "html":
        env = environment(templates)
        target = out_dir / safe_filename(f"{title}_{day}.html")
        write_text(target, render(env, "notices.html.j2", notices=texts, title=f"{title}（{day}）"))
        return [target]
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    written: list[Path] = []
    taken: set[str] = set()
    for person, text in zip(people, texts, strict=True):
        lines = [line for line in text.strip().split("\n")]
        doc = Document()
        for section in doc.sections:  # A4 with 公文 margins (GB/T 9704), not Word's US Letter
            section.page_width, section.page_height = Mm(210), Mm(297)
            section.top_margin, section.bottom_margin = Mm(37), Mm(35)
            section.left_margin, section.right_margin = Mm(28), Mm(26)
        heading = doc.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = heading.add_run(xml_text(lines[0]))
        run.bold = True
        run.font.size = Pt(18)
        body = [line for line in lines[1:] if line.strip()]
        for n, line in enumerate(body):
            para = doc.add_paragraph(xml_text(neutralise(line)))
            if n >= len(body) - 2:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        target = out_dir / unique_filename(f"{title}_{day}_{person['village']}_{person['name']}",
                                           ".docx", taken)
        with atomic_write(target) as tmp:
            doc.save(str(tmp))
        written.append(target)
    return written
