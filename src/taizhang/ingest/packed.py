"""Temperature readings, stored packed: one database row per sheet row.

A county sends 5 million readings a fortnight, nearly all in wide 体温监测表
where one row holds a person's month. Stored one SQLite row per reading,
inserting and indexing them was most of a county import (37 s of 150 s, and
5 million Python objects before that). So `temperature_rows` keeps each sheet
row as it came: its days (int32 ordinals), slots (one letter each) and
temperatures (int16 tenths of a degree, so 37.3 stays exactly 37.3), with the
batch, sheet and row it came from — the provenance SPEC §7 asks for.

Reading them back is vectorised: the blobs of all rows are joined and decoded
by numpy at once (the query itself is `taizhang.ledger.readings.load`). The
same reading (person, day, slot) sent in two files is stored twice; the
newest row wins when read (`dedup`), which is what the old
one-row-per-reading upsert did at write time.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Slot letters of the common slots; a row with any other slot text (a long
# sheet's 时段 column may say anything) stores its slots as a JSON list.
SLOT_LETTERS: dict[str | None, str] = {None: "-", "上午": "a", "下午": "p"}
BASE_SLOTS: list[str | None] = [None, "上午", "下午"]  # codes 0, 1, 2
_LETTER_CODE = np.zeros(256, dtype=np.int16)
_LETTER_CODE[ord("a")], _LETTER_CODE[ord("p")] = 1, 2

COLUMNS = "person_id, batch_id, sheet, row, n, first_day, last_day, days, slots, temps"


def pack(days: Sequence[int], slots: Sequence[str | None], temps: Sequence[float]
         ) -> tuple[int, int, int, bytes, str, bytes]:
    """(n, first_day, last_day, days, slots, temps) columns of one sheet row."""
    day_array = array("i", days)
    tenths = array("h", [round(t * 10) for t in temps])
    if sys.byteorder == "big":  # stored little-endian whatever the machine
        day_array.byteswap()
        tenths.byteswap()
    try:
        letters = "".join([SLOT_LETTERS[s] for s in slots])
    except KeyError:
        letters = json.dumps(list(slots), ensure_ascii=False)
    return len(days), min(days), max(days), day_array.tobytes(), letters, tenths.tobytes()


@dataclass(slots=True)
class Readings:
    """Readings as columns. `row` indexes `rows`, the database rows they came
    from (with whatever extra columns the query asked for)."""

    person: np.ndarray  # person_id, int64
    day: np.ndarray  # date ordinal, int32
    slot: np.ndarray  # code into `slot_names`, int16
    tenths: np.ndarray  # temperature × 10, int16
    row: np.ndarray  # index into `rows`, int64
    rows: list[tuple[Any, ...]]
    slot_names: list[str | None]

    def __len__(self) -> int:
        return len(self.person)

    @property
    def temperature(self) -> np.ndarray:
        return self.tenths / 10.0

    def take(self, mask: np.ndarray) -> Readings:
        return Readings(self.person[mask], self.day[mask], self.slot[mask], self.tenths[mask],
                        self.row[mask], self.rows, self.slot_names)

    def slots_text(self) -> list[str | None]:
        names = self.slot_names
        return [names[c] for c in self.slot.tolist()]


def decode(rows: list[tuple[Any, ...]], latest: bool = True) -> Readings:
    """Rows of (id, person_id, n, days, slots, temps, …) as columns."""
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Readings(empty, empty.astype(np.int32), empty.astype(np.int16),
                        empty.astype(np.int16), empty, [], list(BASE_SLOTS))
    counts = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    day = np.frombuffer(b"".join([r[3] for r in rows]), dtype="<i4").astype(np.int32)
    tenths = np.frombuffer(b"".join([r[5] for r in rows]), dtype="<i2").astype(np.int16)
    person = np.repeat(np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)), counts)
    row = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    names = list(BASE_SLOTS)
    slot_texts = [r[4] for r in rows]
    if not any(s.startswith("[") for s in slot_texts):
        slot = _LETTER_CODE[np.frombuffer("".join(slot_texts).encode("ascii"), dtype=np.uint8)]
    else:  # some rows name other slots: code them row by row
        codes: list[int] = []
        index = {s: i for i, s in enumerate(names)}
        for text in slot_texts:
            items = json.loads(text) if text.startswith("[") else [
                BASE_SLOTS[int(_LETTER_CODE[ord(ch)])] for ch in text]
            for item in items:
                if item not in index:
                    index[item] = len(names)
                    names.append(item)
                codes.append(index[item])
        slot = np.array(codes, dtype=np.int16)
    found = Readings(person, day, slot.astype(np.int16), tenths, row, rows, names)
    return dedup(found) if latest else found


def dedup(readings: Readings) -> Readings:
    """Keep the last reading of each (person, day, slot), in input order."""
    if len(readings) < 2:
        return readings
    # person < 2**31, ordinal < 2**20, slot code < 2**12
    key = ((readings.person << 32) | (readings.day.astype(np.int64) << 12)
           | readings.slot.astype(np.int64))
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = ordered[1:] != ordered[:-1]
    if last.all():
        return readings
    keep = np.sort(order[last])
    return readings.take(keep)
