"""Feedback a village can act on (`taizhang feedback`, and `daily` into `out/D/退回修改/`).

The open problems of the ledger, per village that sent them: the problems of
the newest live (not undone) version of each file, as of the date; a later
version of a file replaces the earlier one (`ledger.versions`), so what it
fixed is not listed again. For each village with open problems:

- `村名_问题清单_D.xlsx`: one row per problem, sorted as the village's file is
  (file, sheet in workbook order, row), with the file, sheet, the row number
  Excel shows, the column as written, the value and what to do (the message);
- an annotated copy of each of its files with problems (`原文件名_批注.xlsx`,
  `annotate`): the problem cells filled and commented, the rest as written;
- a short WeChat text (`微信通知.txt`) naming the first few problems.

Everything is written into one folder per village. The words are in
`labels.toml` (`[feedback]`). Masked unless `mask` is None: the list, the
comments, the text, and the ID/phone-like cells of the annotated copy.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from taizhang.ingest.own import xlsx_properties
from taizhang.ledger.store import Store
from taizhang.outputs.annotate import annotate_file, find_original, unique_name
from taizhang.outputs.atomic import atomic_write, write_text
from taizhang.outputs.templating import load_labels
from taizhang.outputs.xlsx_layout import page_setup
from taizhang.privacy import Mask, mask_text

UNKNOWN_VILLAGE = "村名未知"


@dataclass(slots=True)
class OpenProblem:
    batch: int
    path: str  # as typed when imported (what the village's clerk knows the file by)
    sheet: str | None
    row: int | None
    column: str | None
    field: str | None
    code: str
    severity: str
    value: str | None
    message: str
    order: int  # problem id: the order validation found them in


@dataclass(slots=True)
class OpenFile:
    batch: int
    path: str
    file: str | None
    sha256: str
    village: str
    problems: list[OpenProblem] = field(default_factory=list)


@dataclass(slots=True)
class VillageFeedback:
    village: str
    problems: int
    errors: int
    files: list[str] = field(default_factory=list)  # paths written
    text: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"village": self.village, "problems": self.problems, "errors": self.errors,
                "warnings": self.problems - self.errors, "files": self.files, "text": self.text,
                "notes": self.notes}


def _live_newest(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Of the live batches (id, path, file, …) in id order, the newest version
    of each file (`versions.SAME_FILE`: a batch of an older ledger without a
    resolved `file` belongs to the file its typed path names)."""
    alias: dict[str, str] = {}
    for _id, path, file, *_ in rows:
        if file is not None:
            alias.setdefault(path, file)
    newest: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        _id, path, file = row[0], row[1], row[2]
        key = file if file is not None else alias.get(path, path)
        newest[key] = row  # rows in id order: the last is the newest
    return sorted(newest.values(), key=lambda r: r[0])


def open_problems(store: Store, day: date, village: str | None = None) -> list[OpenFile]:
    """The files with open problems as of `day`, each with its problems sorted
    as the file is (sheet in the order validation met it, row, then column order)."""
    db = store.db
    rows = db.execute("SELECT id, path, file, sha256, village FROM batches "
                      "WHERE undone_at IS NULL AND as_of <= ? ORDER BY id", (day.isoformat(),)).fetchall()
    files: list[OpenFile] = []
    for batch, path, file, sha, sender in _live_newest(rows):
        found = db.execute(
            "SELECT p.id, p.sheet, p.row, p.col, p.field, p.code, p.severity, p.value, p.message, "
            "pe.village FROM problems p LEFT JOIN persons pe ON pe.id = p.person_id "
            "WHERE p.batch_id = ? ORDER BY p.id", (batch,)).fetchall()
        by_village: dict[str, list[OpenProblem]] = defaultdict(list)
        for pid, sheet, row, col, fld, code, sev, value, msg, person_village in found:
            # the file goes back to the village that sent it; a file of several
            # villages goes to each for its own people
            who = sender if sender and "、" not in sender else (person_village or UNKNOWN_VILLAGE)
            by_village[who].append(OpenProblem(batch, path, sheet, row, col, fld, code, sev, value,
                                               msg, pid))
        for who, problems in by_village.items():
            if village is not None and who != village:
                continue
            sheets: dict[str | None, int] = {}
            for p in problems:
                sheets.setdefault(p.sheet, len(sheets))
            problems.sort(key=lambda p: (sheets[p.sheet], p.row or 0, p.order))
            files.append(OpenFile(batch, path, file, sha, who, problems))
    files.sort(key=lambda f: (f.village, f.path, f.batch))
    return files


def _shown(mask: Mask | None, fld: str | None, text: str | None) -> str:
    if text is None:
        return ""
    return text if mask is None else mask(fld or "", text)


def _short(p: OpenProblem, words: dict[str, Any]) -> str:
    """第12行身份证号校验位错误: one problem in a few words, for the WeChat text."""
    what = str(words["short"].get(p.code, p.code)).format(column=(p.column or "").replace("\n", ""))
    if p.row is None:
        return what
    return str(words["item"]).format(row=p.row, what=what)


def wechat_text(village: str, problems: list[OpenProblem], list_name: str, words: dict[str, Any],
                mask: Mask | None) -> str:
    shown = [_short(p, words) for p in problems[:int(words["items"])]]
    items = "，".join(shown) + (str(words["more"]) if len(problems) > len(shown) else "")
    text = str(words["wechat"]).format(village=village, n=len(problems), items=items, list=list_name)
    return text if mask is None else mask_text(text)


def write_list(files: list[OpenFile], out: Path, title: str, words: dict[str, Any],
               mask: Mask | None) -> None:
    """The village's 问题清单: one row per problem, in file order."""
    import xlsxwriter

    with atomic_write(out) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                              "strings_to_numbers": False})
        props, name, value = xlsx_properties("feedback")
        book.set_properties(props)
        book.set_custom_property(name, value)
        sheet = book.add_worksheet(str(words["sheet"]))
        bold = book.add_format({"bold": True, "font_size": 14})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        kinds = {"error": book.add_format({"bg_color": "#FFC7CE", "valign": "top"}),
                 "warning": book.add_format({"bg_color": "#FFEB9C", "valign": "top"})}
        sheet.write_string(0, 0, title, bold)
        for c, (label, width) in enumerate(zip(words["columns"], (24, 12, 6, 14, 22, 8, 60), strict=False)):
            sheet.write_string(2, c, str(label), head)
            sheet.set_column(c, c, width)
        r = 3
        for f in files:
            for p in f.problems:
                cells = [_shown(mask, "path", Path(f.path).name), _shown(mask, "sheet", p.sheet),
                         p.row, _shown(mask, "column", p.column), _shown(mask, p.field, p.value),
                         str(words[p.severity]), _shown(mask, "message", p.message)]
                for c, v in enumerate(cells):
                    if isinstance(v, int):
                        sheet.write_number(r, c, v, wrap)
                    elif c == 5:
                        sheet.write_string(r, c, v, kinds.get(p.severity, wrap))
                    else:
                        sheet.write_string(r, c, v or "", wrap)
                r += 1
        sheet.freeze_panes(3, 0)
        sheet.autofilter(2, 0, max(r - 1, 2), len(words["columns"]) - 1)
        # printed for the village like the other lists: A4 landscape, one page wide
        # (the 怎么改 column is the widest), the header row on every page
        page_setup(sheet, title, (2, 2), sum((24, 12, 6, 14, 22, 8, 60)), landscape=True)
        book.close()


def write_feedback(store: Store, day: date, out_dir: Path, mask: Mask | None,
                   village: str | None = None, templates: Path | None = None,
                   declared: dict[str, str] | None = None, author: str = "taizhang"
                   ) -> list[VillageFeedback]:
    """Write every village's feedback into `out_dir/村名/`; return what was written."""
    words = load_labels(templates)["feedback"]
    stamp = day.isoformat()
    by_village: dict[str, list[OpenFile]] = defaultdict(list)
    for f in open_problems(store, day, village):
        by_village[f.village].append(f)
    results = []
    for name, files in sorted(by_village.items()):
        problems = [p for f in files for p in f.problems]
        folder_name = mask_text(name) if mask is not None else name
        folder = out_dir / unique_name(folder_name, set())
        list_name = str(words["list_file"]).format(village=folder_name, date=stamp)
        result = VillageFeedback(name, len(problems), sum(p.severity == "error" for p in problems))
        target = folder / f"{list_name}.xlsx"
        title = str(words["title"]).format(village=folder_name, date=stamp, n=len(problems))
        write_list(files, target, mask_text(title) if mask is not None else title, words, mask)
        result.files.append(str(target))
        taken: set[str] = {target.name}
        for f in files:
            original, why = find_original(f.path, f.file, f.sha256)
            if original is None:
                result.notes.append(str(words[why]).format(file=_shown(mask, "path", f.path)))
                continue
            stem = Path(f.path).stem + str(words["annotated_suffix"])
            copy = folder / unique_name(_shown(mask, "path", stem) + ".xlsx", taken)
            notes = annotate_file(original, f.problems, copy, mask, words, declared or {}, author)
            result.notes.extend(notes)
            result.files.append(str(copy))
        result.text = wechat_text(folder_name, problems, list_name, words, mask)
        text_file = folder / str(words["text_file"])
        write_text(text_file, result.text + "\n")
        result.files.append(str(text_file))
        results.append(result)
    return results
