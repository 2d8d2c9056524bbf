"""Generate a county-scale taizhang workspace for the benchmark (SPEC §10).

    python benchmarks/generate.py OUT_DIR [--villages 300] [--people 200000]
        [--tests 1000000] [--readings 5000000] [--seed 1] [--as-of 2022-02-08]
        [--jobs 2]

Writes OUT_DIR/taizhang.toml, OUT_DIR/params.json and OUT_DIR/inbox/ with
three files per village:

- ``<村>返乡人员登记表.xlsx`` — a title row merged across the header, the
  header 序号/姓名/性别/身份证号/联系电话/返乡日期/登记日期/来源地/风险等级/管控措施/备注,
  IDs as text cells with valid GB 11643 check digits, dates as real date
  cells or ISO / ``2022/1/5`` strings (by village), a 填表人 footer, and about
  2 % of rows with a realistic defect (wrong check digit, 17-digit ID, ID
  typed into a number cell, 10-digit phone, 2022-02-30, no dates at all,
  性别 contradicting the ID, a year typed as 2202, an unknown 管控措施, a
  duplicated row);
- ``<村>核酸检测台账.csv`` (GBK, CRLF, no title) or ``.xlsx`` (title row, date
  cells), alternating by village: 姓名, 身份证号, 采样日期, 检测结果 — scheduled
  tests on the regime's days (1, 7, 14 for most people, ±1 day, ~4 % never
  taken) up to the day before ``--as-of``, plus 全员核酸 rounds to reach
  ``--tests``; about half of the last day's results 待出,
  阳性 very rare, a few typos;
- ``<村>体温监测表.xlsx`` — WIDE layout: 姓名, 身份证号, then ``2月1日上午``,
  ``2月1日下午`` … from the first day anyone reported to the day before
  ``--as-of``; each person reports twice a day from arrival for about L days,
  with L chosen so the total is close to ``--readings``; ~1 % of cells blank
  (missed reports), a handful of fevers, a few misplaced decimal points.

It also writes OUT_DIR/inbox_day2/: the same files, as the villages send them
the next day (as-of + 1): every file re-written with one more day of rows —
the tests sampled on the as-of day (about half 待出, and yesterday's 待出 now
阴性), one more 上午/下午 column pair of readings, and a few corrected cells
(a fixed ID check digit, phone or date in the registration, a fixed 阴行 or
date typo in the tests, a fixed misplaced decimal point in the readings). Day 2
draws from its own random stream, so day 1 is the same with or without it.

Everything derives from ``--seed``: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import time
from datetime import date, datetime
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import xlsxwriter

GENERATOR_VERSION = 2  # 2: inbox_day2/
TOWNSHIP = "青山县"

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

# Birthplace codes: mostly the county itself, some from elsewhere.
AREA_CODES = ["330681", "330681", "330681", "330682", "330683", "330602", "330624",
              "330106", "310115", "320583", "340122", "360121", "410122", "420117",
              "430121", "510121", "520121", "610121"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
                "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力志海鹏宇浩然俊峰晨欣怡"
             "嘉琪子轩梓涵一诺佳雨思彤博文天佑家豪诗琪梦瑶佩玲德福荣春梅秋菊冬雪金凤银花永安长青振东")
ORIGINS = ["杭州市", "宁波市", "上海市", "苏州市", "深圳市", "广州市", "义乌市", "温州市", "北京市",
           "南京市", "武汉市", "西安市", "成都市", "东莞市", "厦门市", "合肥市", "郑州市", "天津市"]

# Village names: two characters + 村. Characters that occur in the township
# name, the file titles or 村 itself are left out so no village's stem can be
# found inside another file's title or name.
_V_FIRST = "东西南北上下前后大小新高桃李杨柳黄白红金龙凤马牛花竹松梅兰平安长永太和丰福双三五七九八六张王刘陈周吴郑沙"
_V_SECOND = "溪湾桥塘坑岭坪口头庄园林港坝河湖田峰岙垟洋墩埠畈岗源浦渡井亭阳家店圩冲坳洲屿寨堡岩"
_EXCLUDED = set(TOWNSHIP + "村返乡人员登记表核酸检测台账体温监填审联系电话")

# Regimes the generator assigns (policy keys of the packaged policy.toml) and
# their test days; 管控措施 text -> regime key.
REGIME_TESTS = {
    "returnee_monitor14": (1, 7, 14),
    "home14": (1, 7, 14),
    "mid_high_7_7": (1,),
    "no_proof_3d2t": (1, 3),
    "high_risk_14_7": (16, 21, 28),
    "mid_risk_7": (2, 7, 14),
}
REGIME_TEXTS = [("", None, 0.70), ("14天居家健康监测", "returnee_monitor14", 0.19),
                ("居家隔离14天", "home14", 0.08), ("7+7", "mid_high_7_7", 0.015),
                ("3天2检", "no_proof_3d2t", 0.015)]
RISKS = [("低", 0.93), ("中", 0.04), ("高", 0.01), ("", 0.02)]

REG_HEADER = ["序号", "姓名", "性别", "身份证号", "联系电话", "返乡日期", "登记日期", "来源地",
              "风险等级", "管控措施", "备注"]
TEST_HEADER = ["姓名", "身份证号", "采样日期", "检测结果"]

REG_DEFECT_RATE = 0.02
REG_DEFECTS = ["id_checksum", "id_length", "id_scientific", "phone_invalid", "date_invalid",
               "missing_dates", "sex_mismatch", "date_future", "unknown_regime", "duplicate_row"]
TEST_DEFECT_RATE = 0.0005
TEST_SKIP_RATE = 0.04
TEMP_MISS_RATE = 0.01
TEMP_DEFECT_RATE = 0.00005
# Day 2: the share of day 1's defects the village corrects (at least one per
# registration file that has a fixable one).
FIX_RATE = 0.3
REG_FIXABLE = {"id_checksum", "id_length", "id_scientific", "phone_invalid", "date_invalid",
               "sex_mismatch", "date_future", "unknown_regime"}


def village_names(n: int, rng: np.random.Generator) -> list[str]:
    first = [c for c in dict.fromkeys(_V_FIRST) if c not in _EXCLUDED]
    second = [c for c in dict.fromkeys(_V_SECOND) if c not in _EXCLUDED]
    pairs = [a + b for a in first for b in second if a != b]
    if n > len(pairs):
        return [f"第{i + 1:03d}村" for i in range(n)]
    picked = rng.choice(len(pairs), size=n, replace=False)
    return [pairs[i] + "村" for i in picked]


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def make_people(n: int, as_of: date, rng: np.random.Generator) -> dict[str, list]:
    """Person-level columns for the whole county (IDs unique across villages)."""
    male = rng.random(n) < 0.52
    ages_days = rng.integers(365, 85 * 365, size=n)
    area = rng.integers(0, len(AREA_CODES), size=n)
    seq = rng.integers(0, 500, size=n) * 2 + male.astype(np.int64)
    ids: list[str] = []
    seen: set[str] = set()
    as_of_ord = as_of.toordinal()
    for i in range(n):
        born = date.fromordinal(as_of_ord - int(ages_days[i]))
        s = int(seq[i])
        while True:
            first17 = f"{AREA_CODES[area[i]]}{born:%Y%m%d}{s:03d}"
            if first17 not in seen:
                break
            s = (s + 2) % 1000  # keep the parity (sex)
        seen.add(first17)
        ids.append(first17 + id_check_char(first17))
    sur = rng.integers(0, len(SURNAMES), size=n)
    g1 = rng.integers(0, len(GIVEN), size=n)
    g2 = rng.integers(0, len(GIVEN), size=n)
    two = rng.random(n) < 0.7
    names = [SURNAMES[sur[i]] + GIVEN[g1[i]] + (GIVEN[g2[i]] if two[i] else "") for i in range(n)]
    phone_digits = rng.integers(0, 10**9, size=n)
    phone_second = rng.choice(list("3456789"), size=n)
    phones = [f"1{phone_second[i]}{int(phone_digits[i]):09d}" for i in range(n)]
    # Arrivals over the 45 days before as-of, peaking about 12 days before.
    offsets = np.floor(rng.triangular(0, 12, 46, size=n)).astype(np.int64).clip(0, 45)
    arrival = as_of_ord - offsets
    reg_delay = rng.choice([0, 1, 2], size=n, p=[0.7, 0.2, 0.1])
    registration = np.minimum(arrival + reg_delay, as_of_ord)
    origin = rng.integers(0, len(ORIGINS), size=n)
    risk = rng.choice(len(RISKS), size=n, p=[p for _, p in RISKS])
    regime_text = rng.choice(len(REGIME_TEXTS), size=n, p=[p for *_, p in REGIME_TEXTS])
    regimes = []
    for i in range(n):
        _, key, _ = REGIME_TEXTS[regime_text[i]]
        if key is None:
            r = RISKS[risk[i]][0]
            key = "high_risk_14_7" if r == "高" else "mid_risk_7" if r == "中" else "returnee_monitor14"
        regimes.append(key)
    return {
        "name": names, "male": male.tolist(), "id": ids, "phone": phones,
        "arrival": arrival.tolist(), "registration": registration.tolist(),
        "origin": [ORIGINS[o] for o in origin], "risk": [RISKS[r][0] for r in risk],
        "regime_text": [REGIME_TEXTS[r][0] for r in regime_text], "regime": regimes,
    }


def split_counts(total: int, weights: np.ndarray) -> list[int]:
    """Integers proportional to weights summing exactly to total."""
    raw = weights / weights.sum() * total
    counts = np.floor(raw).astype(np.int64)
    rest = total - int(counts.sum())
    if rest > 0:
        order = np.argsort(-(raw - counts))[:rest]
        counts[order] += 1
    return counts.tolist()


# ---------------------------------------------------------------- one village


def new_workbook(path: Path, as_of_ord: int) -> xlsxwriter.Workbook:
    """A streaming workbook with a fixed creation time (the day before as-of,
    when the village filled it in), so the bytes are reproducible."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": datetime.combine(_d(as_of_ord - 1), datetime.min.time())})
    return wb


def _d(ordinal: int) -> date:
    return date.fromordinal(ordinal)


def _slash(d: date) -> str:
    return f"{d.year}/{d.month}/{d.day}"


def build_village(task: dict) -> dict:
    """Write the three files of one village, day 1 to inbox/ and day 2 to
    inbox_day2/; return its counts."""
    t0 = time.perf_counter()
    vi, village = task["index"], task["village"]
    inboxes = (Path(task["inbox"]), Path(task["inbox_day2"]))
    people = task["people"]
    as_of = date.fromisoformat(task["as_of"])
    as_of_ord = as_of.toordinal()
    rng = np.random.default_rng([task["seed"], vi])
    rng2 = np.random.default_rng([task["seed"], vi, 2])  # day 2's own stream: day 1 never changes
    n = len(people["id"])
    counts = {"village": village, "persons": n}

    counts.update(_write_registration(inboxes, vi, village, people, as_of_ord, rng, rng2))
    counts.update(_write_tests(inboxes, vi, village, people, as_of_ord, task, rng, rng2))
    counts.update(_write_temperatures(inboxes, village, people, as_of_ord, task, rng, rng2))
    counts["seconds"] = time.perf_counter() - t0
    return counts


def _write_registration(inboxes: tuple[Path, Path], vi: int, village: str, people: dict, as_of_ord: int,
                        rng: np.random.Generator, rng2: np.random.Generator) -> dict:
    n = len(people["id"])
    order = sorted(range(n), key=lambda i: (people["registration"][i], i))
    defect = np.where(rng.random(n) < REG_DEFECT_RATE, rng.integers(0, len(REG_DEFECTS), size=n), -1)
    date_style = vi % 3  # 0: date cells, 1: ISO strings, 2: 2022/1/5 strings
    wrong_digit: dict[int, str] = {}  # drawn once (day 1), so day 2 writes the same wrong digit
    # Day 2: the village corrects some of its fixable defects (at least one).
    fixable = [i for i in order if defect[i] >= 0 and REG_DEFECTS[defect[i]] in REG_FIXABLE]
    fixed = {i for i, f in zip(fixable, rng2.random(len(fixable)) < FIX_RATE, strict=True) if f}
    if fixable and not fixed:
        fixed.add(fixable[int(rng2.integers(0, len(fixable)))])

    def write_file(path: Path, day_ord: int, corrected: set[int]) -> int:
        wb = new_workbook(path, day_ord)
        ws = wb.add_worksheet("Sheet1")
        title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        head_fmt = wb.add_format({"bold": True, "border": 1, "align": "center"})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.set_column(1, 1, 10)
        ws.set_column(3, 3, 21)
        ws.set_column(4, 4, 13)
        ws.set_column(5, 6, 12)
        ws.merge_range(0, 0, 0, len(REG_HEADER) - 1, f"{TOWNSHIP}{village}返乡人员登记表", title_fmt)
        for c, h in enumerate(REG_HEADER):
            ws.write_string(1, c, h, head_fmt)

        def write_date(r: int, c: int, ordinal: int | None, text: str | None = None) -> None:
            if text is not None:
                ws.write_string(r, c, text)
            elif ordinal is None:
                return
            elif date_style == 0:
                ws.write_datetime(r, c, _d(ordinal), date_fmt)
            elif date_style == 1:
                ws.write_string(r, c, _d(ordinal).isoformat())
            else:
                ws.write_string(r, c, _slash(_d(ordinal)))

        def write_person(r: int, seq_no: int, i: int, kind: str | None) -> None:
            ws.write_number(r, 0, seq_no)
            ws.write_string(r, 1, people["name"][i])
            male = people["male"][i]
            if kind == "sex_mismatch":
                male = not male
            ws.write_string(r, 2, "男" if male else "女")
            pid = people["id"][i]
            if kind == "id_checksum":
                if i not in wrong_digit:
                    wrong = [c for c in ID_CHECK if c != pid[-1]]
                    wrong_digit[i] = wrong[int(rng.integers(0, len(wrong)))]
                ws.write_string(r, 3, pid[:-1] + wrong_digit[i])
            elif kind == "id_length":
                ws.write_string(r, 3, pid[:-1])
            elif kind == "id_scientific" and pid[-1] != "X":
                ws.write_number(r, 3, float(pid))
            else:
                ws.write_string(r, 3, pid)
            phone = people["phone"][i]
            ws.write_string(r, 4, phone[:-1] if kind == "phone_invalid" else phone)
            arrival, registration = people["arrival"][i], people["registration"][i]
            if kind == "missing_dates":
                pass
            elif kind == "date_invalid":
                write_date(r, 5, None, f"{_d(arrival).year}-02-30")
                write_date(r, 6, registration)
            elif kind == "date_future":
                write_date(r, 5, arrival)
                reg = _d(registration)
                write_date(r, 6, None, f"2202-{reg.month:02d}-{reg.day:02d}")
            else:
                write_date(r, 5, arrival)
                write_date(r, 6, registration)
            ws.write_string(r, 7, people["origin"][i])
            if people["risk"][i]:
                ws.write_string(r, 8, people["risk"][i])
            regime_text = "居家观察三天" if kind == "unknown_regime" else people["regime_text"][i]
            if regime_text:
                ws.write_string(r, 9, regime_text)

        r = 2
        duplicates: list[int] = []
        n_defects = 0
        for seq_no, i in enumerate(order, start=1):
            kind = REG_DEFECTS[defect[i]] if defect[i] >= 0 and i not in corrected else None
            if kind == "duplicate_row":
                duplicates.append(i)
                kind = None
            elif kind is not None:
                n_defects += 1
            write_person(r, seq_no, i, kind)
            r += 1
        for k, i in enumerate(duplicates, start=len(order) + 1):  # registered again later
            write_person(r, k, i, None)
            r += 1
            n_defects += 1
        r += 1
        ws.write_string(r, 0, "填表人：李明    审核人：王芳    联系电话：0571-88886666")
        wb.close()
        return n_defects

    name = f"{village}返乡人员登记表.xlsx"
    n_defects = write_file(inboxes[0] / name, as_of_ord, set())
    write_file(inboxes[1] / name, as_of_ord + 1, fixed)
    rows = n + int(sum(1 for i in range(n) if defect[i] >= 0 and REG_DEFECTS[defect[i]] == "duplicate_row"))
    return {"registration_rows": rows, "registration_defects": n_defects,
            "day2_registration_fixes": len(fixed)}


def _write_tests(inboxes: tuple[Path, Path], vi: int, village: str, people: dict, as_of_ord: int,
                 task: dict, rng: np.random.Generator, rng2: np.random.Generator) -> dict:
    n = len(people["id"])
    quota = task["tests"]
    rows: list[tuple[int, int, str]] = []  # (sample ordinal, person, result)
    next_rows: list[tuple[int, int, str]] = []  # samples of the as-of day: day 2's new rows
    used: list[set[int]] = [set() for _ in range(n)]
    offsets = rng.choice([-1, 0, 1], size=(n, 3), p=[0.1, 0.8, 0.1])
    skip = rng.random((n, 3)) < TEST_SKIP_RATE
    for i in range(n):
        arrival = people["arrival"][i]
        for k, day in enumerate(REGIME_TESTS[people["regime"][i]]):
            if skip[i, k % 3]:
                continue
            sample = arrival + day - 1 + int(offsets[i, k % 3])
            sample = max(sample, arrival)
            if sample == as_of_ord and sample not in used[i]:  # (rounds are before as-of)
                used[i].add(sample)
                next_rows.append((sample, i, ""))
            if sample >= as_of_ord or sample in used[i]:  # files of day D hold samples up to D − 1
                continue
            used[i].add(sample)
            rows.append((sample, i, ""))
    # 全员核酸 rounds every 3 days back from as-of − 1, until their capacity covers the rest.
    remaining = quota - len(rows)
    if remaining > 0:
        arrivals = people["arrival"]
        rounds: list[tuple[int, list[int]]] = []
        capacity = 0
        day = as_of_ord - 1
        while capacity < remaining and day > as_of_ord - 400:
            eligible = [i for i in range(n) if arrivals[i] <= day and day not in used[i]]
            rounds.append((day, eligible))
            capacity += len(eligible)
            day -= 3
        p = min(1.0, remaining / max(capacity, 1) * 1.03)
        extra: list[tuple[int, int, str]] = []
        for day, eligible in rounds:
            chosen = np.nonzero(rng.random(len(eligible)) < p)[0].tolist()
            extra.extend((day, eligible[j], "") for j in chosen)
        if len(extra) > remaining:
            keep = np.sort(rng.choice(len(extra), size=remaining, replace=False))
            extra = [extra[j] for j in keep.tolist()]
        rows.extend(extra)
    rows.sort()
    # Results: 待出 for samples of today (and some of yesterday), rare 阳性.
    results = []
    pending = rng.random(len(rows)) < 0.5
    for j, (sample, _, _) in enumerate(rows):
        if sample >= as_of_ord or (sample == as_of_ord - 1 and pending[j]):
            results.append("待出")
        else:
            results.append("阴性")
    candidates = [j for j, s in enumerate(rows) if s[0] < as_of_ord - 1]
    n_pos = min(task["positives"], len(candidates))
    for j in rng.choice(len(candidates), size=n_pos, replace=False).tolist() if n_pos else []:
        results[candidates[j]] = "阳性"
    defect = rng.random(len(rows)) < TEST_DEFECT_RATE
    defect_kind = rng.integers(0, 3, size=len(rows))
    n_defects = int(defect.sum())

    def write_file(path: Path, day_ord: int, rows: list[tuple[int, int, str]], results: list[str],
                   defect: np.ndarray, defect_kind: np.ndarray) -> None:
        def cells(j: int) -> tuple[str, str, int | str, str]:
            sample, i, _ = rows[j]
            pid, result = people["id"][i], results[j]
            date_cell: int | str = sample
            if defect[j]:
                kind = defect_kind[j]
                if kind == 0:
                    result = "阴行"
                elif kind == 1:
                    date_cell = f"{_d(sample).year}/13/{_d(sample).day}"
                else:
                    pid = f"{int(pid[:17]) / 10**17 * 10:.5f}E+17"  # Excel's display of a number cell
            return people["name"][i], pid, date_cell, result

        if path.suffix == ".csv":
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\r\n")
            w.writerow(TEST_HEADER)
            for j in range(len(rows)):
                name, pid, d, result = cells(j)
                if isinstance(d, int):
                    dd = _d(d)
                    d = dd.isoformat() if j % 2 else _slash(dd)
                w.writerow([name, pid, d, result])
            path.write_bytes(buf.getvalue().encode("gbk"))
            return
        wb = new_workbook(path, day_ord)
        ws = wb.add_worksheet("核酸检测")
        title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
        date_fmt = wb.add_format({"num_format": "yyyy/m/d"})
        ws.set_column(1, 1, 21)
        ws.set_column(2, 2, 12)
        ws.merge_range(0, 0, 0, len(TEST_HEADER) - 1, f"{village}核酸检测台账", title_fmt)
        for c, h in enumerate(TEST_HEADER):
            ws.write_string(1, c, h)
        for j in range(len(rows)):
            name, pid, d, result = cells(j)
            r = j + 2
            ws.write_string(r, 0, name)
            ws.write_string(r, 1, pid)
            if isinstance(d, int):
                ws.write_datetime(r, 2, _d(d), date_fmt)
            else:
                ws.write_string(r, 2, d)
            ws.write_string(r, 3, result)
        wb.close()

    positives = results.count("阳性")
    pendings = results.count("待出")
    name = f"{village}核酸检测台账.csv" if vi % 2 == 0 else f"{village}核酸检测台账.xlsx"
    write_file(inboxes[0] / name, as_of_ord, rows, results, defect, defect_kind)

    # Day 2: yesterday's 待出 are out (阴性), the as-of day's samples are new rows
    # (about half 待出), and some of the typos are corrected.
    n_new = len(next_rows)
    results2 = ["阴性" if r == "待出" else r for r in results]
    results2 += ["待出" if p else "阴性" for p in (rng2.random(n_new) < 0.5).tolist()]
    fixes = defect & (rng2.random(len(rows)) < FIX_RATE)
    defect2 = np.concatenate([defect & ~fixes, rng2.random(n_new) < TEST_DEFECT_RATE])
    kind2 = np.concatenate([defect_kind, rng2.integers(0, 3, size=n_new)])
    write_file(inboxes[1] / name, as_of_ord + 1, rows + next_rows, results2, defect2, kind2)
    return {"tests": len(rows), "tests_positive": positives, "tests_pending": pendings,
            "tests_defects": n_defects, "tests_file": name,
            "day2_tests": len(rows) + n_new, "day2_tests_new": n_new, "day2_tests_fixes": int(fixes.sum())}


def _reading_days(arrivals: np.ndarray, as_of_ord: int, target: float) -> float:
    """L such that sum(2·min(L, days since arrival)) ≈ target (readings up to as-of − 1)."""
    avail = (as_of_ord - arrivals).clip(0, None).astype(float)

    def total(L: float) -> float:
        return float(2 * np.minimum(avail, L).sum())

    lo, hi = 0.0, float(avail.max(initial=0)) or 1.0
    if total(hi) <= target:
        return hi
    for _ in range(40):
        mid = (lo + hi) / 2
        if total(mid) < target:
            lo = mid
        else:
            hi = mid
    return hi


def _write_temperatures(inboxes: tuple[Path, Path], village: str, people: dict, as_of_ord: int,
                        task: dict, rng: np.random.Generator, rng2: np.random.Generator) -> dict:
    n = len(people["id"])
    arrivals = np.array(people["arrival"], dtype=np.int64)
    target = task["readings"] / (1 - TEMP_MISS_RATE)
    L = _reading_days(arrivals, as_of_ord, target)
    length = np.floor(L) + (rng.random(n) < (L - math.floor(L)))
    end = np.minimum(arrivals + length.astype(np.int64), as_of_ord)  # exclusive
    start_day = int(arrivals.min(initial=as_of_ord - 1))
    start_day = min(start_day, as_of_ord - 1)
    n_days = as_of_ord - start_day  # columns: start_day .. as_of − 1
    # Cells per person: days arrival .. end − 1, two slots each.
    spans = [(int(arrivals[i]), int(end[i])) for i in range(n)]
    n_cells = sum(max(0, e - s) * 2 for s, e in spans)
    values = np.round(rng.normal(36.5, 0.2, size=n_cells).clip(35.8, 37.1), 1)
    missing = rng.random(n_cells) < TEMP_MISS_RATE
    n_fever = min(task["fevers"], n_cells)
    # Half of the fevers on the last reported day (they show up in due-today), the rest anywhere.
    cell_day = np.concatenate([np.repeat(np.arange(s, e), 2) for s, e in spans if e > s] or [np.array([], int)])
    last = np.nonzero(cell_day == as_of_ord - 1)[0]
    n_last = min(len(last), (n_fever + 1) // 2)
    fever_at = np.unique(np.concatenate([
        rng.choice(last, size=n_last, replace=False) if n_last else np.array([], dtype=np.int64),
        rng.choice(n_cells, size=n_fever - n_last, replace=False) if n_fever > n_last else np.array([], np.int64),
    ]).astype(np.int64))
    n_fever = len(fever_at)
    values[fever_at] = np.round(rng.uniform(37.3, 38.6, size=n_fever), 1)
    missing[fever_at] = False
    defect = (rng.random(n_cells) < TEMP_DEFECT_RATE) & ~missing
    defect[fever_at] = False

    # Day 2: one more day (the as-of day) for everyone still reporting, and
    # some misplaced decimal points corrected.
    end2 = np.minimum(arrivals + length.astype(np.int64), as_of_ord + 1)
    more = ((end2 > as_of_ord) & (arrivals <= as_of_ord)).tolist()  # reports on the as-of day
    n_new = 2 * sum(more)
    new_values = np.round(rng2.normal(36.5, 0.2, size=n_new).clip(35.8, 37.1), 1).tolist()
    new_missing = (rng2.random(n_new) < TEMP_MISS_RATE).tolist()
    defect2 = defect & ~(rng2.random(n_cells) < FIX_RATE)

    values_l = values.tolist()
    missing_l = missing.tolist()

    def write_file(path: Path, day2: bool) -> int:
        defect_l = (defect2 if day2 else defect).tolist()
        days = n_days + day2
        wb = new_workbook(path, as_of_ord + day2)
        ws = wb.add_worksheet("体温监测")
        title_fmt = wb.add_format({"bold": True, "font_size": 14})
        head_fmt = wb.add_format({"bold": True, "border": 1})
        ws.set_column(1, 1, 21)
        first, last = _d(start_day), _d(start_day + days - 1)
        ws.merge_range(0, 0, 0, min(2 + 2 * days - 1, 11),
                       f"{village}体温监测表（{first.month}月{first.day}日—{last.month}月{last.day}日）", title_fmt)
        ws.write_string(1, 0, "姓名", head_fmt)
        ws.write_string(1, 1, "身份证号", head_fmt)
        for k in range(days):
            d = _d(start_day + k)
            ws.write_string(1, 2 + 2 * k, f"{d.month}月{d.day}日上午", head_fmt)
            ws.write_string(1, 3 + 2 * k, f"{d.month}月{d.day}日下午", head_fmt)
        readings = 0
        pos = new = 0
        for i in range(n):
            r = i + 2
            ws.write_string(r, 0, people["name"][i])
            ws.write_string(r, 1, people["id"][i])
            s, e = spans[i]
            col = 2 + 2 * (s - start_day)
            for _ in range(max(0, e - s) * 2):
                if not missing_l[pos]:
                    v = values_l[pos]
                    if defect_l[pos]:
                        v = round(v / 10, 2) if pos % 2 else round(v * 10)
                    ws.write_number(r, col, v)
                    readings += 1
                pos += 1
                col += 1
            if day2 and more[i]:
                col = 2 + 2 * (as_of_ord - start_day)
                for _ in range(2):
                    if not new_missing[new]:
                        ws.write_number(r, col, new_values[new])
                        readings += 1
                    new += 1
                    col += 1
        wb.close()
        return readings

    name = f"{village}体温监测表.xlsx"
    readings = write_file(inboxes[0] / name, False)
    readings2 = write_file(inboxes[1] / name, True)
    return {"readings": readings, "fevers": n_fever, "temperature_defects": int(defect.sum()),
            "temperature_days": n_days, "reading_days_per_person": round(L, 2),
            "day2_readings": readings2, "day2_readings_new": readings2 - readings,
            "day2_temperature_fixes": int((defect & ~defect2).sum())}


# ---------------------------------------------------------------- main


def generate(out_dir: Path, villages: int, people: int, tests: int, readings: int, seed: int,
             as_of: date, jobs: int = 2, quiet: bool = False) -> dict:
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    inbox = out_dir / "inbox"
    if inbox.exists():
        for f in inbox.iterdir():
            if f.is_file():
                f.unlink()
    inbox.mkdir(exist_ok=True)
    inbox2 = out_dir / "inbox_day2"
    if inbox2.exists():
        for f in inbox2.iterdir():
            if f.is_file():
                f.unlink()
    inbox2.mkdir(exist_ok=True)
    (out_dir / "params.json").unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    names = village_names(villages, rng)
    sizes = split_counts(people, rng.lognormal(0.0, 0.35, size=villages))
    everyone = make_people(people, as_of, rng)
    test_q = split_counts(tests, np.array(sizes, dtype=float) + 1e-9)
    read_q = split_counts(readings, np.array(sizes, dtype=float) + 1e-9)
    n_pos = max(1, round(tests * 2e-6))
    n_fev = max(2, round(readings * 5e-6))
    pos_q = np.bincount(rng.integers(0, villages, size=n_pos), minlength=villages).tolist()
    fev_q = np.bincount(rng.integers(0, villages, size=n_fev), minlength=villages).tolist()
    tasks = []
    start = 0
    for vi in range(villages):
        stop = start + sizes[vi]
        tasks.append({
            "index": vi, "village": names[vi], "inbox": str(inbox), "inbox_day2": str(inbox2), "seed": seed,
            "as_of": as_of.isoformat(), "tests": test_q[vi], "readings": read_q[vi],
            "positives": pos_q[vi], "fevers": fev_q[vi],
            "people": {k: v[start:stop] for k, v in everyone.items()},
        })
        start = stop
    t_people = time.perf_counter() - t0
    results: list[dict] = []
    if jobs > 1 and villages > 1:
        with get_context("fork" if sys.platform.startswith("linux") else "spawn").Pool(jobs) as pool:
            for k, res in enumerate(pool.imap(build_village, tasks, chunksize=1), start=1):
                results.append(res)
                if not quiet and (k % 25 == 0 or k == villages):
                    print(f"  {k}/{villages} villages written ({time.perf_counter() - t0:.0f} s)",
                          file=sys.stderr, flush=True)
    else:
        for task in tasks:
            results.append(build_village(task))
    config = out_dir / "taizhang.toml"
    village_list = ", ".join(f'"{v}"' for v in names)
    config.write_text(
        "# Generated by benchmarks/generate.py\n"
        f'township = "{TOWNSHIP}"\n'
        f"villages = [{village_list}]\n"
        'inbox = "inbox"\nout = "out"\n', encoding="utf-8")
    totals = {key: sum(r[key] for r in results) for key in
              ("persons", "registration_rows", "registration_defects", "tests", "tests_positive",
               "tests_pending", "tests_defects", "readings", "fevers", "temperature_defects")}
    files = sorted(inbox.iterdir())
    totals["files"] = len(files)
    totals["bytes"] = sum(f.stat().st_size for f in files)
    day2 = {key: sum(r["day2_" + key] for r in results) for key in
            ("registration_fixes", "tests", "tests_new", "tests_fixes", "readings", "readings_new",
             "temperature_fixes")}
    files2 = sorted(inbox2.iterdir())
    day2["files"] = len(files2)
    day2["bytes"] = sum(f.stat().st_size for f in files2)
    seconds = time.perf_counter() - t0
    params = {"generator_version": GENERATOR_VERSION, "villages": villages, "people": people,
              "tests": tests, "readings": readings, "seed": seed, "as_of": as_of.isoformat()}
    info = {"params": params, "totals": totals, "day2": day2, "seconds": round(seconds, 2),
            "seconds_people": round(t_people, 2), "jobs": jobs,
            "first_csv_tests_file": next((r["tests_file"] for r in results
                                          if r["tests_file"].endswith(".csv")), None)}
    (out_dir / "params.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate a county-scale taizhang benchmark workspace.")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--villages", type=int, default=300)
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--tests", type=int, default=1_000_000)
    ap.add_argument("--readings", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", default="2022-02-08", type=date.fromisoformat)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    if args.villages < 1 or args.people < args.villages:
        ap.error("need at least one village and one person per village")
    info = generate(args.out_dir, args.villages, args.people, args.tests, args.readings, args.seed,
                    args.as_of, args.jobs)
    t = info["totals"]
    print(f"generated {args.out_dir} in {info['seconds']:.1f} s (people table {info['seconds_people']:.1f} s, "
          f"{info['jobs']} workers)")
    print(f"  files {t['files']} ({t['bytes'] / 2**20:.1f} MiB), persons {t['persons']:,}, "
          f"registration rows {t['registration_rows']:,} ({t['registration_defects']:,} with defects)")
    print(f"  tests {t['tests']:,} (阳性 {t['tests_positive']}, 待出 {t['tests_pending']:,}, "
          f"defects {t['tests_defects']}), readings {t['readings']:,} (fevers {t['fevers']}, "
          f"defects {t['temperature_defects']})")
    d = info["day2"]
    print(f"  day 2 (inbox_day2/): files {d['files']} ({d['bytes'] / 2**20:.1f} MiB), tests {d['tests']:,} "
          f"(+{d['tests_new']:,}, {d['tests_fixes']} fixed), readings {d['readings']:,} (+{d['readings_new']:,}, "
          f"{d['temperature_fixes']} fixed), registration fixes {d['registration_fixes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
