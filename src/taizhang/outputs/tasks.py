"""The day's work per responsible person: the due lists grouped by 包保责任人
(or 村医), one WeChat line each.

The township dispatches the day's duties to the people responsible for each
returnee (五包一: 包保干部, 村医). The due lists say what is due for whom; here
each entry is put under the person responsible for that returnee, as the
ledger records them (`persons.guardian` / `persons.doctor`), and all of a
returnee's duties become one line: "张三（包保）今日：李四 第7天核酸；王五
1月8日体温只报1次". Returnees without anyone responsible are listed under
未分配, so nobody is dropped. The wording is in `labels.toml` `[tasks]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from taizhang.ledger.store import Store
from taizhang.outputs.due_lists import LIST_KEYS, reason_label

ROLES = ("guardian", "doctor")


@dataclass(slots=True)
class Duty:
    """One returnee's duties of the day, under one responsible person."""

    name: str
    id_number: str
    tasks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    village: str
    responsible: str  # "" for nobody (shown as 未分配)
    duties: dict[tuple[str, str], Duty] = field(default_factory=dict)

    def to_dict(self, role: str) -> dict[str, Any]:
        return {"village": self.village, role: self.responsible or None,
                "people": [{"name": d.name, "id_number": d.id_number, "tasks": d.tasks}
                           for d in self.duties.values()]}


def responsible_people(store: Store, role: str) -> dict[tuple[str, ...], str]:
    """Who is responsible for each returnee: by ID number, else by name and
    village (the first of namesakes, as the lists cannot tell them apart)."""
    if role not in ROLES:
        raise ValueError(role)
    found: dict[tuple[str, ...], str] = {}
    for ident, name, village, who in store.db.execute(
            f"SELECT id_number, name, village, {role} FROM persons ORDER BY id"):
        key = ("id", ident) if ident else ("nv", name or "", village or "")
        found.setdefault(key, (who or "").strip())
    return found


def task_text(key: str, entry: dict[str, Any], labels: dict[str, Any]) -> str:
    """One duty in the clerk's words (`labels.toml` `[tasks]`)."""
    words = labels["tasks"]
    values = {k: ("" if v is None else v) for k, v in entry.items()}
    for date_key in ("due_date", "date", "release_date", "planned_release_date"):
        text = str(values.get(date_key) or "")
        if len(text) == 10:
            values[f"{date_key}_md"] = f"{int(text[5:7])}月{int(text[8:10])}日"
    values["reasons"] = "、".join(reason_label(r, labels) for r in entry.get("reasons") or [])
    template = words[key]
    if key == "tests_due" and entry.get("late"):
        template = words["tests_due_late"]
    return template.format(**values)


def group_tasks(lists: dict[str, Any], who: dict[tuple[str, ...], str],
                labels: dict[str, Any]) -> list[Group]:
    """The lists' entries under the person responsible for each returnee, by
    village (in the lists' order), each responsible person's returnees in the
    order they first appear, 未分配 last in its village."""
    groups: dict[tuple[str, str], Group] = {}
    for key in LIST_KEYS:
        for entry in lists.get(key, []):
            ident, name, village = entry.get("id_number") or "", entry.get("name") or "", entry.get("village") or ""
            person = who.get(("id", ident)) if ident else who.get(("nv", name, village))
            responsible = person or ""
            group = groups.setdefault((village, responsible), Group(village, responsible))
            duty = group.duties.setdefault((ident, name), Duty(name, ident))
            duty.tasks.append(task_text(key, entry, labels))
    villages = list(dict.fromkeys(g.village for g in groups.values()))
    return sorted(groups.values(), key=lambda g: (villages.index(g.village), g.responsible == "",
                                                  g.responsible))


def task_lines(groups: list[Group], role: str, labels: dict[str, Any],
               mask: Callable[[str], str] | None = None) -> list[str]:
    """One WeChat line per responsible person: "张三（包保）今日：李四 第7天核酸；…"."""
    words = labels["tasks"]
    lines = []
    for group in groups:
        people = "；".join(f"{d.name} {'、'.join(d.tasks)}" for d in group.duties.values())
        line = words["line"].format(village=group.village, who=group.responsible or words["unassigned"],
                                    role=words[role], people=people)
        lines.append(mask(line) if mask is not None else line)
    return lines
