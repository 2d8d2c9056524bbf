"""`taizhang template`: blank workbooks for villages to fill (SPEC §6).

A template prevents the errors `validate` would otherwise report: the header
is the one taizhang reads best (the alias table's canonical labels), every
text column is formatted as text so Excel cannot turn an ID into
`3.30681E+17` or an address `3-2` into a date, date columns accept only dates,
and columns with a fixed vocabulary are dropdowns: the configured villages,
the policy's regime names and status words, 高/中/低 as the ledger stores
them. A list too long for an inline dropdown (255 characters) is put on a
hidden sheet (`下拉选项`) and referenced. A `填表说明` sheet says how to fill
each column; the importer skips it by its name (`ingest.validation`).

A template is input, not taizhang's output: it carries no `ingest.own` mark,
so a filled one is imported like any village file. `tests/test_template.py`
fills each kind by a script and imports it with zero problems. Wording a
county may change is in `templates/labels.toml` ([template], [template_help]).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from taizhang.ingest.headers import FIELD_LABELS, REGISTRATION, TEMPERATURES, TESTS
from taizhang.ingest.records import COLUMN_LABELS, DATE_FIELDS
from taizhang.ingest.validation import INSTRUCTIONS_SHEET
from taizhang.outputs.atomic import atomic_write
from taizhang.policy.model import Policy

# the columns of each kind, in order (a temperature template adds two per day)
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    REGISTRATION: tuple(COLUMN_LABELS),
    TESTS: ("name", "id_number", "phone", "village", "sample_date", "result", "sample_site"),
    TEMPERATURES: ("name", "id_number", "phone", "village"),
}
# the fields each kind needs (red headers); an ID may be replaced by a phone
REQUIRED: dict[str, frozenset[str]] = {
    REGISTRATION: frozenset({"name", "id_number", "arrival_date"}),
    TESTS: frozenset({"name", "id_number", "sample_date"}),
    TEMPERATURES: frozenset({"name", "id_number"}),
}
# values the readers understand and the ledger stores as written (ingest.codes)
FIXED_OPTIONS: dict[str, tuple[str, ...]] = {
    "sex": ("男", "女"), "risk_level": ("高", "中", "低"), "has_negative_proof": ("是", "否"),
    "result": ("阴性", "阳性", "待出"),
}
# options from labels.toml: a village may write something else after a warning
LABEL_OPTIONS = {"category": "categories", "transport": "transport", "health_code": "health_codes"}
STATUS_KINDS = ("active", "released", "transferred", "lost")
FIRST_DATE, LAST_DATE = datetime(2020, 1, 1), datetime(2030, 12, 31)
TEMP_RANGE = (34.0, 43.0)  # the readers' plausible range (ingest.values)
INLINE_LIMIT = 255  # characters of an inline dropdown list (Excel's limit)
VALIDATED_ROWS = 2000  # data rows that carry the validations
BORDERED_ROWS = 20  # blank rows drawn with borders, for a printed form
TITLE_ROW, HINT_ROW, HEADER_ROW = 0, 1, 2
PAGE_WIDTH = 260  # column width units printed on one A4 landscape page before it gets too small
WIDTHS = {"id_number": 21, "phone": 15, "address": 28, "origin": 20, "remarks": 22,
          "trip_no": 13, "workplace": 16, "sample_site": 18, "guardian": 11, "doctor": 9}


@dataclass(slots=True)
class Column:
    """One column of a template: what it holds and how it is checked."""

    field: str
    label: str
    style: str  # "text", "date" or "temperature"
    options: tuple[str, ...] = ()
    strict: bool = True  # a value outside `options` is refused (else a warning)
    required: bool = False
    day: date | None = None  # a temperature column's day and slot
    slot: str = ""


def display_width(text: str) -> int:
    """Columns `text` takes in a spreadsheet: CJK and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def status_options(policy: Policy) -> tuple[str, ...]:
    """The policy's first status word of each kind (在管, 解除, 转运, 失联)."""
    words = []
    for kind in STATUS_KINDS:
        first = next((w for w in policy.status_words.get(kind, ()) if w.strip()), None)
        if first:
            words.append(first)
    return tuple(words)


def template_columns(kind: str, policy: Policy, labels: dict[str, Any], villages: list[str],
                     village: str | None = None, start: date | None = None,
                     days: int = 14) -> list[Column]:
    """The columns of a `kind` template, with their dropdowns: villages from
    the config (only `village` when given), regimes and status words from the
    policy, categories and the like from labels.toml."""
    words = labels.get("template", {})
    options: dict[str, tuple[str, ...]] = dict(FIXED_OPTIONS)
    options["village"] = (village,) if village else tuple(villages)
    options["regime"] = tuple(r.name for r in policy.regimes.values())
    options["status"] = status_options(policy)
    for fld, key in LABEL_OPTIONS.items():
        options[fld] = tuple(str(v) for v in words.get(key, ()))
    columns = []
    for fld in KIND_FIELDS[kind]:
        columns.append(Column(
            fld, COLUMN_LABELS.get(fld) or FIELD_LABELS[fld],
            "date" if fld in DATE_FIELDS or fld == "sample_date" else "text",
            options.get(fld, ()), fld not in LABEL_OPTIONS, fld in REQUIRED[kind]))
    if kind == TEMPERATURES:
        first = start or date.today()
        for n in range(days):
            day = first + timedelta(days=n)
            for slot in policy.temperature_slots:
                columns.append(Column("temperature", slot, "temperature", day=day, slot=slot))
    return columns


def _width(col: Column) -> int:
    """A column's width: its content's, or its label's over two lines (headers wrap)."""
    if col.style == "temperature":
        return 7
    label = -(-display_width(col.label) // 2) + 3  # bold text is a little wider
    if col.style == "date":
        return max(12, label)
    longest = max((display_width(o) for o in col.options), default=0) + 3  # the dropdown arrow
    return max(WIDTHS.get(col.field, 8), label, min(longest, 20))


def _lines(text: str, width: float) -> int:
    """Lines `text` wraps to in a cell `width` wide (at least one)."""
    return max(1, -(-display_width(text) // max(int(width) - 1, 1)))


def template_title(kind: str, labels: dict[str, Any], township: str, village: str | None,
                   start: date | None = None, days: int = 14) -> str:
    words = labels["template"]
    title = words["title"].format(township=township, village=village or "", form=words[kind])
    if kind == TEMPERATURES and start is not None:
        last = start + timedelta(days=days - 1)
        title += words["period"].format(first=start.isoformat(), last=last.isoformat())
    return title


def default_name(kind: str, labels: dict[str, Any], village: str | None) -> str:
    """`平阳村返乡人员登记表.xlsx`: the village in the file name, where the importer looks for it."""
    return f"{village or ''}{labels['template'][kind]}.xlsx"


def write_template(out: Path, kind: str, policy: Policy, labels: dict[str, Any], *,
                   township: str = "", villages: list[str] | None = None,
                   village: str | None = None, start: date | None = None, days: int = 14) -> None:
    """Write the blank `kind` template to `out` (through a temporary file)."""
    start = start or date.today()
    columns = template_columns(kind, policy, labels, villages or [], village, start, days)
    title = template_title(kind, labels, township, village, start, days)
    with atomic_write(out) as tmp:
        _Writer(tmp, kind, columns, labels, title, township, village).write()


class _Writer:
    """The xlsxwriter workbook of one template."""

    def __init__(self, path: Path, kind: str, columns: list[Column], labels: dict[str, Any],
                 title: str, township: str, village: str | None) -> None:
        import xlsxwriter

        self.kind, self.columns, self.title = kind, columns, title
        self.words: dict[str, Any] = labels["template"]
        self.help: dict[str, str] = labels.get("template_help", {})
        self.book = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
        # input for villages: document properties, but never taizhang's output mark (ingest.own)
        self.book.set_properties({"title": title, "subject": self.words[kind],
                                  "company": township, "comments": "空白模板：填写后报送"})
        self.lists: Any = None  # the hidden sheet of long dropdown lists, made when needed
        self.list_columns = 0
        self.two_rows = kind == TEMPERATURES
        self.first_data = HEADER_ROW + (2 if self.two_rows else 1)
        self.sheet_name = (f"{village or ''}{self.words[kind]}")[:31]
        self.formats = self._formats()

    def _formats(self) -> dict[str, Any]:
        add = self.book.add_format
        header = {"bold": True, "border": 1, "text_wrap": True, "align": "center",
                  "valign": "vcenter", "bg_color": "#DDEBF7"}
        cell = {"border": 1, "valign": "vcenter"}
        return {
            "title": add({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
            "hint": add({"text_wrap": True, "valign": "vcenter", "font_size": 9,
                         "font_color": "#595959"}),
            "header": add(header),
            "header_list": add({**header, "bg_color": "#E2EFDA"}),
            "header_required": add({**header, "font_color": "#C00000"}),
            "header_required_list": add({**header, "font_color": "#C00000", "bg_color": "#E2EFDA"}),
            "header_date": add({**header, "num_format": 'm"月"d"日"'}),
            "text": add({**cell, "num_format": "@"}),
            "date": add({**cell, "num_format": "yyyy-mm-dd"}),
            "temperature": add({**cell, "num_format": "0.0"}),
            "col_text": add({"num_format": "@"}),
            "col_date": add({"num_format": "yyyy-mm-dd"}),
            "col_temperature": add({"num_format": "0.0"}),
            "note": add({"text_wrap": True, "valign": "top", "border": 1}),
            "note_plain": add({"text_wrap": True, "valign": "top"}),
        }

    def write(self) -> None:
        sheet = self.book.add_worksheet(self.sheet_name)
        self._data_sheet(sheet)
        self._instructions()
        self.book.close()

    # ------------------------------------------------------------------ the data sheet

    def _data_sheet(self, sheet: Any) -> None:
        f = self.formats
        widths = [_width(col) for col in self.columns]
        total = sum(widths)
        pages = -(-total // PAGE_WIDTH)  # a wide registration list: two pages side by side
        # title and hint over the columns that surely print on the first page; on
        # more pages from B, as column A (the name) is printed again on each
        span = max(2, sum(1 for c in range(len(widths)) if sum(widths[:c + 1]) <= total / pages)) - 1
        start = 1 if pages > 1 else 0
        sheet.merge_range(TITLE_ROW, start, TITLE_ROW, span, self.title, f["title"])
        sheet.set_row(TITLE_ROW, 30)
        sheet.merge_range(HINT_ROW, start, HINT_ROW, span, self.words["hint"], f["hint"])
        hint_width = sum(widths[start:span + 1]) * 1.2  # 9 pt text
        sheet.set_row(HINT_ROW, 4 + 13 * _lines(self.words["hint"], hint_width))
        sheet.set_row(HEADER_ROW, 32)
        sheet.set_default_row(18)
        days: dict[date, list[int]] = {}
        for c, col in enumerate(self.columns):
            sheet.set_column(c, c, widths[c], f[f"col_{col.style}"])
            if col.day is not None:
                days.setdefault(col.day, []).append(c)
                sheet.write_string(HEADER_ROW + 1, c, col.slot, f["header"])
            else:
                style = "header" + ("_required" if col.required else "") + ("_list" if col.options else "")
                if self.two_rows:
                    sheet.merge_range(HEADER_ROW, c, HEADER_ROW + 1, c, col.label, f[style])
                else:
                    sheet.write_string(HEADER_ROW, c, col.label, f[style])
            for r in range(self.first_data, self.first_data + BORDERED_ROWS):
                sheet.write_blank(r, c, None, f[col.style])
            self._validate(sheet, c, col)
        for day, cols in days.items():
            when = datetime(day.year, day.month, day.day)
            if len(cols) > 1:
                sheet.merge_range(HEADER_ROW, cols[0], HEADER_ROW, cols[-1], None, f["header_date"])
            sheet.write_datetime(HEADER_ROW, cols[0], when, f["header_date"])
        frozen = 2 if self.two_rows else 1  # the name (and ID) stay in view, and on every page
        sheet.freeze_panes(self.first_data, frozen)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(pages, 0)
        if pages > 1:
            sheet.repeat_columns(0, frozen - 1)
            sheet.print_across()
        sheet.repeat_rows(HEADER_ROW, self.first_data - 1)
        sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        sheet.center_horizontally()
        sheet.set_footer("&C第 &P 页，共 &N 页")
        sheet.activate()

    def _validate(self, sheet: Any, c: int, col: Column) -> None:
        w = self.words
        rows = (self.first_data, c, self.first_data + VALIDATED_ROWS - 1, c)
        if col.options:
            shown = "、".join(col.options)
            message = (w["list_error"] if col.strict else w["list_warning"]).format(options=shown)
            sheet.data_validation(*rows, {
                "validate": "list", "source": self._list_source(col),
                "input_title": col.label[:32], "input_message": _cut(self.help.get(col.field, "")),
                "error_title": col.label[:32], "error_message": _cut(message),
                "error_type": "stop" if col.strict else "warning"})
        elif col.field == "id_number":
            sheet.data_validation(*rows, {
                "validate": "length", "criteria": "==", "value": 18,
                "input_title": col.label, "input_message": w["id_message"],
                "error_title": col.label, "error_message": w["id_error"]})
        elif col.field == "phone":
            sheet.data_validation(*rows, {
                "validate": "length", "criteria": "between", "minimum": 7, "maximum": 20,
                "input_title": col.label, "input_message": w["phone_message"],
                "error_title": col.label, "error_message": w["phone_error"], "error_type": "warning"})
        elif col.style == "date":
            sheet.data_validation(*rows, {
                "validate": "date", "criteria": "between", "minimum": FIRST_DATE, "maximum": LAST_DATE,
                "input_title": col.label, "input_message": w["date_message"],
                "error_title": col.label, "error_message": w["date_error"]})
        elif col.style == "temperature":
            sheet.data_validation(*rows, {
                "validate": "decimal", "criteria": "between", "minimum": TEMP_RANGE[0],
                "maximum": TEMP_RANGE[1], "input_title": FIELD_LABELS["temperature"],
                "input_message": w["temperature_message"],
                "error_title": FIELD_LABELS["temperature"], "error_message": w["temperature_error"]})

    def _list_source(self, col: Column) -> list[str] | str:
        """The options inline when they fit, else a range of the hidden list sheet."""
        if len(",".join(col.options)) <= INLINE_LIMIT and not any("," in o for o in col.options):
            return list(col.options)
        name = self.words["list_sheet"]
        if self.lists is None:
            self.lists = self.book.add_worksheet(name)
            self.lists.hide()
        c = self.list_columns
        self.list_columns += 1
        self.lists.write_string(0, c, col.label)
        for r, option in enumerate(col.options, start=1):
            self.lists.write_string(r, c, option)
        letter = _column_letter(c)
        return f"='{name}'!${letter}$2:${letter}${len(col.options) + 1}"

    # ------------------------------------------------------------------ 填表说明

    def _instructions(self) -> None:
        f, w = self.formats, self.words
        sheet = self.book.add_worksheet(INSTRUCTIONS_SHEET)
        sheet.merge_range(0, 0, 0, 3, w["instructions_title"].format(title=self.title), f["title"])
        sheet.set_row(0, 30)
        widths = (18, 9, 60, 36)
        for c, (label, width) in enumerate(zip(w["instructions_header"], widths, strict=True)):
            sheet.write_string(1, c, label, f["header"])
            sheet.set_column(c, c, width)
        r = 2
        seen: set[str] = set()
        for col in self.columns:
            if col.field in seen:
                continue
            seen.add(col.field)
            # 【姓名】, not 姓名: no row here may read as a header, whatever the sheet is called
            cells = (f"【{FIELD_LABELS[col.field] if col.day is not None else col.label}】",
                     w["required"] if col.required else w["optional"],
                     self.help.get(col.field, ""), "、".join(col.options))
            for c, text in enumerate(cells):
                sheet.write_string(r, c, text, f["note"])
            sheet.set_row(r, 16 * max(_lines(t, wd) for t, wd in zip(cells, widths, strict=True)))
            r += 1
        r += 1
        for line in w.get("notes", ()):
            sheet.merge_range(r, 0, r, 3, str(line), f["note_plain"])
            sheet.set_row(r, 16 * _lines(str(line), sum(widths)))
            r += 1
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)


def _cut(text: str, limit: int = 255) -> str:
    """Excel refuses an input or error message over 255 characters."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
