"""How every xlsx taizhang writes prints: A4, one page wide, headers repeated.

A township prints the due lists, the daily report and the master ledger from
WPS, Excel or LibreOffice without touching the page setup, so each sheet
carries its own: A4 (`set_paper(9)`), landscape when its columns are wider
than a portrait page, scaled to one page wide (as many pages tall as it
takes), the header rows repeated on every page, the title in the page header
and 第N页 共M页 in the footer.

Column widths are measured over the values a column holds, a Chinese
character counting two (阿依古丽·买买提 needs 16, not 8): `Widths` keeps the
widest value seen per column while the rows are written, capped so that one
long address does not push the rest of the table off the page.
"""

from __future__ import annotations

from typing import Any

A4 = 9  # xlsxwriter / Excel paper code
LANDSCAPE_ABOVE = 125  # Excel width units; an A4 portrait page holds about 95 at 100 %, so
# wider than this a portrait print would shrink below about 75 %
MIN_WIDTH = 6
MAX_WIDTH = 40
PADDING = 2
HEADER_LIMIT = 255  # Excel's limit for a header/footer string


def text_width(text: str) -> int:
    """Display width of `text` in Excel column units: a CJK (full-width)
    character counts two, ASCII one. GB18030 encodes exactly so for the
    characters a Chinese ledger holds (·, ：, （ take two bytes, as they take
    two cells); a 4-byte character is counted as two."""
    if text.isascii():
        return len(text)
    return min(len(text.encode("gb18030", errors="replace")), 2 * len(text))


class Widths:
    """The widest value per column, measured as rows are written."""

    def __init__(self, minimum: int = MIN_WIDTH, cap: int = MAX_WIDTH) -> None:
        self.minimum, self.cap = minimum, cap
        self.units: dict[int, int] = {}

    def see(self, col: int, value: Any) -> None:
        if value is None:
            return
        text = value if isinstance(value, str) else str(value)
        current = self.units.get(col, 0)
        if 2 * len(text) > current:  # a string of n characters is at most 2n wide
            width = text_width(text)
            if width > current:
                self.units[col] = width

    def width(self, col: int, floor: int = 0) -> int:
        return min(self.cap, max(self.minimum, floor, self.units.get(col, 0) + PADDING))

    def total(self, columns: int) -> int:
        return sum(self.width(c) for c in range(columns))


def header_text(text: str) -> str:
    """`text` safe inside an Excel header/footer: & doubled, within the limit."""
    return text.replace("&", "&&")[:HEADER_LIMIT - 20]


def page_setup(sheet: Any, title: str, header_rows: tuple[int, int] | None, width_units: int,
               landscape: bool | None = None) -> None:
    """A4, landscape when the columns (`width_units` wide) are much wider than portrait,
    one page wide, `header_rows` (first, last; 0-based) repeated on every
    page, `title` centred in the page header and page numbers in the footer."""
    sheet.set_paper(A4)
    if landscape if landscape is not None else width_units > LANDSCAPE_ABOVE:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.7)
    if header_rows is not None:
        sheet.repeat_rows(*header_rows)
    if title:
        sheet.set_header(f'&C&"-,Bold"&12{header_text(title)}', {"margin": 0.3})
    sheet.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.3})
    sheet.center_horizontally()
