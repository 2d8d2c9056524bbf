"""Which village a sheet names: in its title, file name or sheet name."""

from __future__ import annotations

import re

VILLAGE_SUFFIX_RE = re.compile(r"(村|社区|居委会)$")
_VILLAGE_RE = re.compile(r"([^\s镇乡县市省区_\-—\d（）()【】\[\]·,，.。:：]{1,6}?(?:村|社区|居委会))")


def find_village(text: str, villages: list[str], township: str = "") -> str | None:
    """A village named in free text (title row, file name, sheet name).

    With a configured list, a listed name (or its stem without 村/社区: 平阳
    for 平阳村) is looked for; without one, the first `…村`/`…社区` word.
    """
    if not text:
        return None
    if township:
        text = text.replace(township, " ")
    if villages:
        for v in sorted(villages, key=len, reverse=True):
            if v in text:
                return v
        for v in sorted(villages, key=len, reverse=True):
            stem = re.sub(r"(村|社区|居委会)$", "", v)
            if len(stem) >= 2 and stem in text:
                return v
        return None
    m = _VILLAGE_RE.search(text)
    return m[1] if m else None
