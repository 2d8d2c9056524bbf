"""Independent hand-computed checks of the day-counting rules (SPEC §5, §6 due-today).

Every expected date below is computed by hand from the SPEC, with the arithmetic
in a comment: B base (day 1), day d = B + (d − 1), N = sum of phase days,
P = B + N, S = max(B, 返乡日期), D = due date of a test. Defaults: early = 1,
grace = 1, fever threshold 37.3, fever window [t − 3, t − 1].
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import (
    Episode,
    EpisodeError,
    blocking_reasons,
    build_episode,
    match_tests,
    state_on,
)
from oracle import calendar as oracle_calendar
from oracle import due_lists as oracle_due_lists
from oracle import release_date as oracle_release_date

from taizhang.config import default_policy_text, load_policy
from taizhang.errors import UsageError
from taizhang.policy.arrays import NEVER, LedgerArrays
from taizhang.policy.calendar import calendar as engine_calendar
from taizhang.policy.due import due_lists as engine_due_lists
from taizhang.policy.engine import Engine
from taizhang.policy.episodes import PersonData, Reading, assign_regime
from taizhang.policy.episodes import TestRecord as Record  # aliased: pytest collects names starting with Test

POLICY = load_policy()
NEG, POS, PEND = "negative", "positive", "pending"


# Each hand-computed expectation below is checked against the oracle's rules
# (tests/oracle.py) and, through these wrappers, against the engine that
# taizhang runs: both must give the same answer.


def due_lists(people, t, policy, village=None):
    expected = oracle_due_lists(people, t, policy, village)
    assert engine_due_lists(people, t, policy, village) == expected
    return expected


def calendar(data, t, policy):
    expected = oracle_calendar(data, t, policy)
    assert engine_calendar(LedgerArrays.from_people([data]), 0, t, policy) == expected
    return expected


def release_date(ep, records, readings, until, policy):
    expected = oracle_release_date(ep, records, readings, until, policy)
    arrays = LedgerArrays.from_people([PersonData(ep.person, list(records), list(readings))])
    got = int(Engine(arrays, until, policy, None, max_records=None).release_dates()[0])
    assert (date.fromordinal(got) if got != NEVER else None) == expected
    return expected


def d(text: str) -> date:
    """'01-28' → 2022-01-28; a full ISO date is taken as is."""
    return date.fromisoformat(text if len(text) == 10 else f"2022-{text}")


def person(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {"name": "张三", "id_number": "330681199001011234", "village": "平阳村"}
    for key, value in kw.items():
        base[key] = d(value) if key.endswith(("_date", "_start")) and isinstance(value, str) else value
    return base


def episode(p: dict[str, object], policy=POLICY) -> Episode:
    ep = build_episode(p, policy)
    assert isinstance(ep, Episode), ep
    return ep


def neg(*days: str) -> list[Record]:
    return [Record(d(x), NEG) for x in days]


def due_map(ep: Episode) -> dict[int, str]:
    return {s.day: s.due.isoformat() for s in ep.tests}


def state(ep: Episode, t: str, records=(), readings=(), policy=POLICY):
    return state_on(ep, list(records), list(readings), d(t), policy)


def lists(p: dict[str, object], t: str, records=(), readings=(), policy=POLICY) -> dict:
    return due_lists([PersonData(p, tests=list(records), readings=list(readings))], d(t), policy)


def nothing_listed(result: dict) -> bool:
    return all(result[k] == [] for k in ("tests_due", "tests_overdue", "releases_due",
                                          "releases_blocked", "temperature_missing", "fever"))


# ====================================================================== 1. calendars

# (regime, extra person fields, B, P, {day: D}, {day: blocks?}, [(date, phase)])
CALENDARS = [
    # returnee_monitor14: B = 01-28, N = 14, P = 01-28 + 14 = 02-11.
    # day 7 = 01-28 + 6 = 02-03, day 14 = 01-28 + 13 = 02-10.
    ("returnee_monitor14", {}, "01-28", "02-11",
     {1: "01-28", 7: "02-03", 14: "02-10"}, {1: True, 7: True, 14: True},
     [("01-28", "居家健康监测"), ("02-10", "居家健康监测")]),
    # home14: same arithmetic as above, phase 居家隔离.
    ("home14", {}, "01-28", "02-11",
     {1: "01-28", 7: "02-03", 14: "02-10"}, {1: True, 7: True, 14: True},
     [("01-28", "居家隔离"), ("02-03", "居家隔离"), ("02-10", "居家隔离")]),
    # central14_home14: N = 14 + 14 = 28, P = 01-28 + 28 = 02-25.
    # day 14 = 01-28 + 13 = 02-10 (last 集中), day 15 = 02-11 (first 居家), day 28 = 02-24.
    ("central14_home14", {}, "01-28", "02-25",
     {1: "01-28", 14: "02-10", 28: "02-24"}, {1: True, 14: True, 28: True},
     [("01-28", "集中隔离"), ("02-10", "集中隔离"), ("02-11", "居家隔离"), ("02-24", "居家隔离")]),
    # inbound_14_7_7: N = 14 + 7 + 7 = 28, P = 02-25.
    # day 14 = 02-10, day 15 = 02-11, day 21 = 01-28 + 20 = 02-17, day 22 = 02-18, day 28 = 02-24.
    ("inbound_14_7_7", {}, "01-28", "02-25",
     {1: "01-28", 14: "02-10", 21: "02-17", 28: "02-24"}, {1: True, 14: True, 21: True, 28: True},
     [("01-28", "集中隔离"), ("02-10", "集中隔离"), ("02-11", "居家隔离"), ("02-17", "居家隔离"),
      ("02-18", "日常健康监测"), ("02-24", "日常健康监测")]),
    # mid_high_7_7: N = 7 + 7 = 14, P = 02-11; day 7 = 02-03, day 8 = 02-04, day 14 = 02-10.
    ("mid_high_7_7", {}, "01-28", "02-11", {1: "01-28"}, {1: True},
     [("01-28", "居家隔离"), ("02-03", "居家隔离"), ("02-04", "日常健康监测"), ("02-10", "日常健康监测")]),
    # close_contact_14_7: N = 14 + 7 = 21, P = 01-28 + 21 = 02-18.
    # day 16 = 01-28 + 15 = 02-12, day 21 = 01-28 + 20 = 02-17, day 28 = 01-28 + 27 = 02-24 (≥ P: no block).
    ("close_contact_14_7", {}, "01-28", "02-18",
     {16: "02-12", 21: "02-17", 28: "02-24"}, {16: True, 21: True, 28: False},
     [("01-28", "集中隔离"), ("02-10", "集中隔离"), ("02-11", "居家健康监测"), ("02-17", "居家健康监测")]),
    # high_risk_14_7: departure 01-25 → B = 01-25, N = 21, P = 01-25 + 21 = 02-15, S = 01-28.
    # day 16 = 01-25 + 15 = 02-09, day 21 = 02-14, day 28 = 02-21 (≥ P). day 14 = 02-07, day 15 = 02-08.
    ("high_risk_14_7", {"departure_date": "01-25"}, "01-25", "02-15",
     {16: "02-09", 21: "02-14", 28: "02-21"}, {16: True, 21: True, 28: False},
     [("01-28", "集中隔离"), ("02-07", "集中隔离"), ("02-08", "居家健康监测"), ("02-14", "居家健康监测")]),
    # mid_risk_7: departure 01-27 → B = 01-27, N = 7, P = 02-03, S = 01-28.
    # day 2 = 01-28, day 7 = 01-27 + 6 = 02-02, day 14 = 01-27 + 13 = 02-09 (≥ P).
    ("mid_risk_7", {"departure_date": "01-27"}, "01-27", "02-03",
     {2: "01-28", 7: "02-02", 14: "02-09"}, {2: True, 7: True, 14: False},
     [("01-28", "居家健康监测"), ("02-02", "居家健康监测")]),
    # no_proof_3d2t: N = 3, P = 01-31; day 3 = 01-30.
    ("no_proof_3d2t", {}, "01-28", "01-31", {1: "01-28", 3: "01-30"}, {1: True, 3: True},
     [("01-28", "居家健康监测"), ("01-30", "居家健康监测")]),
    # province_case_7: N = 7, P = 01-28 + 7 = 02-04; day 7 = 02-03.
    ("province_case_7", {}, "01-28", "02-04", {1: "01-28"}, {1: True},
     [("01-28", "日常健康监测"), ("02-03", "日常健康监测")]),
]


def test_every_default_regime_has_a_calendar_case() -> None:
    assert {c[0] for c in CALENDARS} == set(POLICY.regimes)


@pytest.mark.parametrize(("key", "extra", "base", "planned", "dues", "blocks", "phases"), CALENDARS,
                         ids=[c[0] for c in CALENDARS])
def test_regime_calendar(key, extra, base, planned, dues, blocks, phases) -> None:
    p = person(regime=key, arrival_date="01-28", **extra)
    ep = episode(p)
    assert ep.regime.key == key
    assert ep.base == d(base)
    assert ep.start == d("01-28")  # S = max(B, arrival 01-28)
    assert ep.planned_release == d(planned)
    assert ep.planned_release == ep.base + timedelta(days=ep.regime.days)
    assert due_map(ep) == {k: d(v).isoformat() for k, v in dues.items()}
    assert {s.day: s.blocks_release for s in ep.tests} == blocks
    assert ep.dropped_tests == ()
    assert not ep.no_control
    for when, phase in phases:
        assert ep.phase_on(d(when)) == phase, when
    # day numbers: B is day 1, P is day N + 1
    assert ep.day_number(d(base)) == 1
    assert ep.day_number(d(planned)) == ep.regime.days + 1

    cal = calendar(PersonData(p), d("01-28"), POLICY)
    assert cal["regime"] == key
    assert cal["base_date"] == d(base).isoformat()
    assert cal["control_start"] == "2022-01-28"
    assert cal["planned_release_date"] == d(planned).isoformat()
    assert [(x["day"], x["due_date"]) for x in cal["tests"]] == sorted(
        (k, d(v).isoformat()) for k, v in dues.items())
    by_date = {x["date"]: x for x in cal["calendar"]}
    for when, phase in phases:
        assert by_date[d(when).isoformat()]["phase"] == phase
    assert by_date[d(base).isoformat()]["day"] == 1


def test_home14_example_from_brief() -> None:
    # arrives 2022-01-28, home14 → tests 01-28 (day 1), 02-03 (01-28 + 6), 02-10 (01-28 + 13); P = 01-28 + 14 = 02-11
    ep = episode(person(regime="居家隔离14天", arrival_date="01-28"))
    assert [s.due for s in ep.tests] == [d("01-28"), d("02-03"), d("02-10")]
    assert ep.planned_release == d("02-11")


# ====================================================================== 2. assignment


@pytest.mark.parametrize(("fields", "expected"), [
    ({"regime": "home14"}, "home14"),  # by key
    ({"regime": "居家隔离14天"}, "home14"),  # by name
    ({"regime": "14天居家隔离"}, "home14"),  # by alias
    ({"regime": " 14+14 "}, "central14_home14"),  # alias, trimmed
    ({"regime": "3天2检"}, "no_proof_3d2t"),
    ({"regime": "密接"}, "close_contact_14_7"),
    ({"regime": "中风险7天"}, "mid_risk_7"),
    ({"regime": "7+7"}, "mid_high_7_7"),
    ({"regime": "日常健康监测"}, "province_case_7"),
    # explicit wins over 人员类别 / 风险等级 / 阴性证明
    ({"regime": "home14", "category": "入境人员", "risk_level": "高", "has_negative_proof": "否"}, "home14"),
    ({"regime": "14天健康监测", "category": "密切接触者"}, "returnee_monitor14"),
    # rules
    ({"category": "入境人员"}, "inbound_14_7_7"),
    ({"category": "密切接触者"}, "close_contact_14_7"),
    ({"risk_level": "高"}, "high_risk_14_7"),
    ({"risk_level": "中"}, "mid_risk_7"),
    ({"has_negative_proof": "否"}, "no_proof_3d2t"),
    ({}, "returnee_monitor14"),
    ({"risk_level": "低", "has_negative_proof": "是"}, "returnee_monitor14"),
    # order: 入境 before 密接 before 高 before 中 before 阴性证明
    ({"category": "入境人员", "risk_level": "高"}, "inbound_14_7_7"),
    ({"category": "入境人员密切接触者"}, "inbound_14_7_7"),
    ({"category": "密切接触者", "risk_level": "高"}, "close_contact_14_7"),
    ({"risk_level": "高", "has_negative_proof": "否"}, "high_risk_14_7"),
    ({"risk_level": "中", "has_negative_proof": "否"}, "mid_risk_7"),
    # an explicit 管控措施 that names no regime falls through to the rules
    ({"regime": "不知道什么措施", "category": "入境人员"}, "inbound_14_7_7"),
    ({"regime": "不知道什么措施"}, "returnee_monitor14"),
])
def test_assignment(fields, expected) -> None:
    regime, reason = assign_regime(person(**fields), POLICY)
    assert regime.key == expected
    assert isinstance(reason, str) and reason


def test_assignment_reason_default() -> None:
    _, reason = assign_regime(person(), POLICY)
    assert "默认" in reason


# ====================================================================== 3. base-date fallbacks


def test_arrival_base_falls_back_to_registration() -> None:
    # home14 without 返乡日期: B = 登记日期 01-29, S = B, P = 01-29 + 14 = 02-12
    ep = episode(person(regime="home14", registration_date="01-29"))
    assert (ep.base, ep.start, ep.planned_release) == (d("01-29"), d("01-29"), d("02-12"))
    # day 7 = 01-29 + 6 = 02-04, day 14 = 01-29 + 13 = 02-11
    assert due_map(ep) == {1: "2022-01-29", 7: "2022-02-04", 14: "2022-02-11"}


def test_arrival_base_prefers_arrival_over_registration() -> None:
    ep = episode(person(regime="home14", arrival_date="01-28", registration_date="01-30"))
    assert ep.base == d("01-28")  # 返乡日期 first


def test_departure_base_falls_back_to_arrival_then_registration() -> None:
    # high_risk_14_7, no 离开风险地日期: B = 返乡日期 01-28, P = 01-28 + 21 = 02-18
    ep = episode(person(risk_level="高", arrival_date="01-28", registration_date="01-30"))
    assert ep.regime.key == "high_risk_14_7"
    assert (ep.base, ep.start, ep.planned_release) == (d("01-28"), d("01-28"), d("02-18"))
    # neither departure nor arrival: B = 登记日期 01-29, P = 01-29 + 21 = 02-19; day 16 = 01-29 + 15 = 02-13
    ep = episode(person(risk_level="高", registration_date="01-29"))
    assert (ep.base, ep.start, ep.planned_release) == (d("01-29"), d("01-29"), d("02-19"))
    assert due_map(ep)[16] == "2022-02-13"
    # departure given: it wins over arrival and registration
    ep = episode(person(risk_level="高", departure_date="01-26", arrival_date="01-28",
                        registration_date="01-29"))
    assert ep.base == d("01-26")
    assert ep.start == d("01-28")


def test_explicit_control_start_overrides_base() -> None:
    # home14, 管控开始日期 01-30 later than arrival 01-28: B = 01-30, S = max(01-30, 01-28) = 01-30
    # P = 01-30 + 14 = 02-13; tests 01-30, 02-05 (+6), 02-12 (+13)
    ep = episode(person(regime="home14", arrival_date="01-28", control_start="01-30"))
    assert (ep.base, ep.start, ep.planned_release) == (d("01-30"), d("01-30"), d("02-13"))
    assert due_map(ep) == {1: "2022-01-30", 7: "2022-02-05", 14: "2022-02-12"}
    # 管控开始日期 01-25 earlier than arrival 01-28: B = 01-25, S = 01-28, P = 01-25 + 14 = 02-08
    # day 1 = 01-25 < S dropped; day 7 = 01-31, day 14 = 02-07
    ep = episode(person(regime="home14", arrival_date="01-28", control_start="01-25"))
    assert (ep.base, ep.start, ep.planned_release) == (d("01-25"), d("01-28"), d("02-08"))
    assert due_map(ep) == {7: "2022-01-31", 14: "2022-02-07"}
    assert [s.day for s in ep.dropped_tests] == [1]
    # overrides a departure base too: mid_risk_7 departure 01-20, start 01-26 → B = 01-26, P = 02-02
    ep = episode(person(risk_level="中", departure_date="01-20", arrival_date="01-24",
                        control_start="01-26"))
    assert (ep.base, ep.start, ep.planned_release) == (d("01-26"), d("01-26"), d("02-02"))


def test_no_dates_is_an_episode_error() -> None:
    assert isinstance(build_episode(person(regime="home14"), POLICY), EpisodeError)
    cal = calendar(PersonData(person(regime="home14")), d("01-28"), POLICY)
    assert "error" in cal
    assert nothing_listed(lists(person(regime="home14"), "01-28"))


# ====================================================================== 4. 填平补齐


def test_fill_up_mid_risk() -> None:
    # mid_risk_7 left 01-20, arrived 01-24: B = 01-20, S = 01-24, P = 01-20 + 7 = 01-27
    # day 2 = 01-21 < S dropped; day 7 = 01-26 kept (blocks, < P); day 14 = 02-02 kept (no block)
    p = person(risk_level="中", departure_date="01-20", arrival_date="01-24")
    ep = episode(p)
    assert ep.regime.key == "mid_risk_7"
    assert (ep.base, ep.start, ep.planned_release) == (d("01-20"), d("01-24"), d("01-27"))
    assert [(s.day, s.due) for s in ep.dropped_tests] == [(2, d("01-21"))]
    assert [(s.day, s.due, s.blocks_release) for s in ep.tests] == [
        (7, d("01-26"), True), (14, d("02-02"), False)]
    assert not ep.no_control
    # arrival day 01-24 is day 5 (01-24 − 01-20 + 1)
    assert ep.day_number(d("01-24")) == 5
    # before S nothing is listed, not even the dropped day-2 test (its D + grace = 01-22)
    assert nothing_listed(lists(p, "01-22"))
    st_ = state(ep, "01-23")
    assert not st_.under_control
    assert state(ep, "01-24").under_control
    # dropped test is never overdue: on 01-24 only nothing; day 7 due on 01-26
    assert lists(p, "01-24")["tests_overdue"] == []
    due = lists(p, "01-26")["tests_due"]
    assert [(e["day"], e["due_date"], e["late"]) for e in due] == [(7, "2022-01-26", False)]
    # release: day-7 record 01-26 negative → eligible on P = 01-27 (sampled before)
    assert release_date(ep, neg("01-26"), [], d("02-10"), POLICY) == d("01-27")


def test_fill_up_high_risk_no_control() -> None:
    # high_risk_14_7 left 01-01, arrived 01-25: B = 01-01, P = 01-01 + 21 = 01-22 ≤ S = 01-25 → 无需管控
    p = person(risk_level="高", departure_date="01-01", arrival_date="01-25")
    ep = episode(p)
    assert ep.planned_release == d("01-22")
    assert ep.no_control
    # day 16 = 01-16, day 21 = 01-21 dropped; day 28 = 01-28 is after S but nothing is listed at all
    for t in ("01-25", "01-26", "01-28", "01-29", "02-05"):
        assert nothing_listed(lists(p, t)), t
        assert not state(ep, t).under_control


def test_fill_up_boundary_p_equals_s() -> None:
    # left 01-04, arrived 01-25: P = 01-04 + 21 = 01-25 = S → no control (P ≤ S)
    ep = episode(person(risk_level="高", departure_date="01-04", arrival_date="01-25"))
    assert ep.planned_release == d("01-25") and ep.no_control
    # left 01-05: P = 01-26 > S = 01-25 → one day of control (day 21 = 01-25, in 居家健康监测)
    p = person(risk_level="高", departure_date="01-05", arrival_date="01-25")
    ep = episode(p)
    assert ep.planned_release == d("01-26") and not ep.no_control
    assert ep.phase_on(d("01-25")) == "居家健康监测"
    # tests: day 16 = 01-20 dropped, day 21 = 01-25 kept (blocks), day 28 = 02-01 kept (no block)
    assert due_map(ep) == {21: "2022-01-25", 28: "2022-02-01"}
    assert [s.day for s in ep.dropped_tests] == [16]
    assert state(ep, "01-25").under_control


# ====================================================================== 5. matching

HOME14 = episode(person(regime="home14", arrival_date="01-28"))  # tests 01-28, 02-03, 02-10; P = 02-11
NOPROOF = episode(person(regime="no_proof_3d2t", arrival_date="01-28"))  # tests 01-28, 01-30; P = 01-31


def matched_dates(tests, records, early=1, grace=1) -> dict[int, str]:
    return {k: r.sample_date.isoformat() for k, r in match_tests(tests, records, early, grace).items()}


def test_match_in_window_early_and_late() -> None:
    # day 7 D = 02-03: window [02-02, 02-04]
    assert matched_dates(HOME14.tests, neg("01-28", "02-02"))[7] == "2022-02-02"  # D − 1
    assert matched_dates(HOME14.tests, neg("01-28", "02-04"))[7] == "2022-02-04"  # D + 1
    assert matched_dates(HOME14.tests, neg("01-28", "02-03"))[7] == "2022-02-03"  # D


def test_match_before_window_is_not_a_match() -> None:
    # 02-01 = D − 2 for day 7: not in window; pass 2 only looks after D + grace
    assert 7 not in matched_dates(HOME14.tests, neg("01-28", "02-01"))


def test_match_make_up_in_pass_two() -> None:
    # 02-05 = D + 2 for day 7: not in [02-02, 02-04]; not in day-14 window [02-09, 02-11] → make-up for day 7
    assert matched_dates(HOME14.tests, neg("01-28", "02-05")) == {1: "2022-01-28", 7: "2022-02-05"}
    # a late record for day 1 (D = 01-28, window [01-27, 01-29]): 01-31 is a make-up for day 1
    assert matched_dates(HOME14.tests, neg("01-31")) == {1: "2022-01-31"}


def test_match_pass_one_precedes_pass_two() -> None:
    # day 7 missed; 02-09 lies in day-14's window [02-09, 02-11] (pass 1) and after day-7's D + grace
    # (02-04, pass 2). Pass 1 runs over all tests first → day 14 gets it; day 7 stays unmatched.
    assert matched_dates(HOME14.tests, neg("01-28", "02-09")) == {1: "2022-01-28", 14: "2022-02-09"}
    # with two late records: 02-06 → make-up day 7; 02-10 → day 14 in window
    assert matched_dates(HOME14.tests, neg("01-28", "02-06", "02-10")) == {
        1: "2022-01-28", 7: "2022-02-06", 14: "2022-02-10"}


def test_match_each_record_used_once() -> None:
    # no_proof: day 1 D = 01-28 window [01-27, 01-29]; day 3 D = 01-30 window [01-29, 01-31]
    # one record 01-29 near both tests: the earlier test (day 1) takes it; day 3 unmatched
    assert matched_dates(NOPROOF.tests, neg("01-29")) == {1: "2022-01-29"}
    # two records: 01-29 → day 1 (earliest in its window), 01-30 → day 3
    assert matched_dates(NOPROOF.tests, neg("01-30", "01-29")) == {1: "2022-01-29", 3: "2022-01-30"}
    # two records in day 1's window: the earliest (01-27) goes to day 1, 01-29 is left for day 3
    assert matched_dates(NOPROOF.tests, neg("01-29", "01-27")) == {1: "2022-01-27", 3: "2022-01-29"}
    # a duplicate same-day record is a second record, usable once each
    recs = [Record(d("01-29"), NEG), Record(d("01-29"), PEND)]
    assert set(matched_dates(NOPROOF.tests, recs)) == {1, 3}


def test_match_in_due_date_order_whatever_the_input_order() -> None:
    tests = tuple(reversed(NOPROOF.tests))  # day 3 first in the input
    assert matched_dates(tests, neg("01-29")) == {1: "2022-01-29"}
    # make-up pass also in due-date order: records 02-05 and 02-06 after both windows
    assert matched_dates(tests, neg("02-06", "02-05")) == {1: "2022-02-05", 3: "2022-02-06"}


def test_match_counts_whatever_result() -> None:
    recs = [Record(d("01-28"), POS), Record(d("01-30"), PEND)]
    m = match_tests(NOPROOF.tests, recs, 1, 1)
    assert m[1].result == POS and m[3].result == PEND


def test_match_custom_early_and_grace() -> None:
    # early = 0, grace = 2: day 7 window [02-03, 02-05]; 02-02 is before the window
    assert 7 not in matched_dates(HOME14.tests, neg("01-28", "02-02"), early=0, grace=2)
    assert matched_dates(HOME14.tests, neg("01-28", "02-05"), early=0, grace=2)[7] == "2022-02-05"


# ====================================================================== 6. on-date lists

HOME14_P = person(regime="home14", arrival_date="01-28")


def test_tests_due_on_time_late_and_overdue() -> None:
    recs = neg("01-28")
    # t = 02-03 = D(day 7): due, not late; day = 7
    r = lists(HOME14_P, "02-03", recs)
    assert [(e["day"], e["due_date"], e["late"]) for e in r["tests_due"]] == [(7, "2022-02-03", False)]
    assert r["tests_overdue"] == []
    e = r["tests_due"][0]
    assert (e["id_number"], e["name"], e["village"], e["regime"]) == (
        "330681199001011234", "张三", "平阳村", "home14")
    # t = 02-04 = D + 1 ≤ D + grace: still due, late
    r = lists(HOME14_P, "02-04", recs)
    assert [(e["day"], e["late"]) for e in r["tests_due"]] == [(7, True)]
    assert r["tests_overdue"] == []
    # t = 02-05 = D + 2 > D + grace: overdue, days_overdue = 02-05 − 02-03 = 2
    r = lists(HOME14_P, "02-05", recs)
    assert r["tests_due"] == []
    assert [(e["day"], e["due_date"], e["days_overdue"]) for e in r["tests_overdue"]] == [
        (7, "2022-02-03", 2)]
    # t = 02-10 (day 14 due, day 7 still overdue 7 days)
    r = lists(HOME14_P, "02-10", recs)
    assert [(e["day"], e["late"]) for e in r["tests_due"]] == [(14, False)]
    assert [(e["day"], e["days_overdue"]) for e in r["tests_overdue"]] == [(7, 7)]
    st_ = state(episode(HOME14_P), "02-05", recs)
    assert [(x.test.day, x.days_overdue) for x in st_.tests_overdue] == [(7, 2)]


def test_tests_due_disappears_when_taken() -> None:
    # taken on D: nothing due on D
    assert lists(HOME14_P, "02-03", neg("01-28", "02-03"))["tests_due"] == []
    # taken D − 1 (02-02): nothing due on D
    assert lists(HOME14_P, "02-03", neg("01-28", "02-02"))["tests_due"] == []


def test_make_up_record_takes_test_off_overdue() -> None:
    # make-up sampled 02-05 (D + 2) → on 02-05 the test is neither due nor overdue
    r = lists(HOME14_P, "02-05", neg("01-28", "02-05"))
    assert r["tests_due"] == [] and r["tests_overdue"] == []
    # make-up sampled 02-06: on 02-05 it is in the future and ignored → still overdue (2 days)
    r = lists(HOME14_P, "02-05", neg("01-28", "02-06"))
    assert [(e["day"], e["days_overdue"]) for e in r["tests_overdue"]] == [(7, 2)]
    # on 02-06 it counts
    r = lists(HOME14_P, "02-06", neg("01-28", "02-06"))
    assert r["tests_overdue"] == []


def test_records_after_t_are_ignored() -> None:
    # record dated 02-04 does not satisfy day 7 on 02-03
    r = lists(HOME14_P, "02-03", neg("01-28", "02-04"))
    assert [(e["day"], e["late"]) for e in r["tests_due"]] == [(7, False)]
    # a future record does not make the release on P either: day 14 sampled 02-12 is not known on 02-11
    ep = episode(HOME14_P)
    assert blocking_reasons(ep, neg("01-28", "02-03", "02-12"), [], d("02-11"), POLICY) == [
        "missing_test:day14"]
    # a future positive does not block today
    recs = [*neg("01-28", "02-03", "02-10"), Record(d("02-12"), POS)]
    assert blocking_reasons(ep, recs, [], d("02-11"), POLICY) == []
    # state_on on 02-11 sees the release (the 02-12 positive is in the future)
    assert state(ep, "02-11", recs).release_due


def test_tests_done_today_counts() -> None:
    ep = episode(HOME14_P)
    st_ = state(ep, "02-03", neg("01-28", "02-03"))
    assert (st_.tests_due_today, st_.tests_done_today) == (1, 1)
    st_ = state(ep, "02-03", neg("01-28"))
    assert (st_.tests_due_today, st_.tests_done_today) == (1, 0)


# ====================================================================== 7. release

ALL_NEG = neg("01-28", "02-03", "02-10")


def test_release_on_planned_date_when_all_negative() -> None:
    ep = episode(HOME14_P)
    # P = 02-11; all three tests sampled before 02-11 and negative
    assert release_date(ep, ALL_NEG, [], d("02-20"), POLICY) == d("02-11")
    assert release_date(ep, ALL_NEG, [], d("02-10"), POLICY) is None  # not yet by 02-10
    assert blocking_reasons(ep, ALL_NEG, [], d("02-11"), POLICY) == []
    r = lists(HOME14_P, "02-11", ALL_NEG)
    assert [(e["release_date"], e["regime"]) for e in r["releases_due"]] == [("2022-02-11", "home14")]
    assert r["releases_blocked"] == []
    st_ = state(ep, "02-11", ALL_NEG)
    assert st_.released_on == d("02-11") and st_.release_due and not st_.under_control
    st_ = state(ep, "02-10", ALL_NEG)
    assert st_.under_control and st_.released_on is None and st_.phase == "居家隔离"
    # after R: released_on stays 02-11, nothing listed
    st_ = state(ep, "02-12", ALL_NEG)
    assert st_.released_on == d("02-11") and not st_.under_control and not st_.release_due
    assert nothing_listed(lists(HOME14_P, "02-12", ALL_NEG))


def test_pending_result_blocks() -> None:
    ep = episode(HOME14_P)
    pending = [*neg("01-28", "02-03"), Record(d("02-10"), PEND)]
    for t in ("02-11", "02-12", "02-15"):
        r = lists(HOME14_P, t, pending)
        assert r["releases_due"] == []
        assert [(e["planned_release_date"], e["reasons"]) for e in r["releases_blocked"]] == [
            ("2022-02-11", ["pending_result:day14"])], t
        assert state(ep, t, pending).under_control
    assert release_date(ep, pending, [], d("03-01"), POLICY) is None
    # the result came back negative (same sample date): with this record set R = P = 02-11
    back = neg("01-28", "02-03", "02-10")
    assert release_date(ep, back, [], d("03-01"), POLICY) == d("02-11")
    # the day-14 sample is retaken on 02-12 instead (first stays pending): the pending record
    # stays matched to day 14 (pass 1) and the retest is unused → still blocked
    retake = [*pending, Record(d("02-12"), NEG)]
    assert blocking_reasons(ep, retake, [], d("02-13"), POLICY) == ["pending_result:day14"]


def test_missing_test_blocks_until_make_up() -> None:
    ep = episode(HOME14_P)
    recs = neg("01-28", "02-10")  # day 7 never taken
    assert blocking_reasons(ep, recs, [], d("02-11"), POLICY) == ["missing_test:day7"]
    r = lists(HOME14_P, "02-11", recs)
    assert [e["reasons"] for e in r["releases_blocked"]] == [["missing_test:day7"]]
    # day 7 is also overdue: 02-11 − 02-03 = 8 days
    assert [(e["day"], e["days_overdue"]) for e in r["tests_overdue"]] == [(7, 8)]
    # make-up sampled 02-12: on 02-12 it is sampled ON t → not "before t" → still blocked
    made_up = [*recs, Record(d("02-12"), NEG)]
    assert blocking_reasons(ep, made_up, [], d("02-12"), POLICY) == ["missing_test:day7"]
    r = lists(HOME14_P, "02-12", made_up)
    assert [e["reasons"] for e in r["releases_blocked"]] == [["missing_test:day7"]]
    assert r["tests_overdue"] == []  # but it is no longer overdue
    # 02-13: eligible → R = 02-13
    assert release_date(ep, made_up, [], d("03-01"), POLICY) == d("02-13")
    r = lists(HOME14_P, "02-13", made_up)
    assert [e["release_date"] for e in r["releases_due"]] == ["2022-02-13"]
    # no record at all: every blocking test missing, in day order
    assert blocking_reasons(ep, [], [], d("02-11"), POLICY) == [
        "missing_test:day1", "missing_test:day7", "missing_test:day14"]


def test_sampled_on_t_does_not_count_for_release() -> None:
    ep = episode(HOME14_P)
    # day 14 (D = 02-10) sampled 02-11 = D + 1, within window, but ON P = 02-11 → blocked on 02-11
    recs = neg("01-28", "02-03", "02-11")
    assert blocking_reasons(ep, recs, [], d("02-11"), POLICY) == ["missing_test:day14"]
    # 02-12: sampled before t → R = 02-12
    assert release_date(ep, recs, [], d("03-01"), POLICY) == d("02-12")


def test_positive_blocks() -> None:
    ep = episode(HOME14_P)
    recs = [*ALL_NEG, Record(d("02-05"), POS)]  # an extra positive, matched to nothing
    assert blocking_reasons(ep, recs, [], d("02-11"), POLICY) == ["positive"]
    r = lists(HOME14_P, "02-11", recs)
    assert [e["reasons"] for e in r["releases_blocked"]] == [["positive"]]
    assert release_date(ep, recs, [], d("03-31"), POLICY) is None
    # a positive matched to day 14: counts as taken (no missing_test) but blocks as positive
    recs = [*neg("01-28", "02-03"), Record(d("02-10"), POS)]
    assert blocking_reasons(ep, recs, [], d("02-11"), POLICY) == ["positive"]


def test_fever_blocks_for_three_days() -> None:
    ep = episode(HOME14_P)
    fever = [Reading(d("02-10"), "下午", 37.5)]
    # window [t − 3, t − 1]: 02-11 → [02-08, 02-10] ∋ 02-10; 02-12 → [02-09, 02-11];
    # 02-13 → [02-10, 02-12] ∋ 02-10; 02-14 → [02-11, 02-13] ∌ 02-10 → R = 02-14
    for t in ("02-11", "02-12", "02-13"):
        assert blocking_reasons(ep, ALL_NEG, fever, d(t), POLICY) == ["fever"], t
        r = lists(HOME14_P, t, ALL_NEG, fever)
        assert [e["reasons"] for e in r["releases_blocked"]] == [["fever"]], t
    assert blocking_reasons(ep, ALL_NEG, fever, d("02-14"), POLICY) == []
    assert release_date(ep, ALL_NEG, fever, d("03-01"), POLICY) == d("02-14")
    assert [e["release_date"] for e in lists(HOME14_P, "02-14", ALL_NEG, fever)["releases_due"]] == [
        "2022-02-14"]
    # fever on 02-08 (day 12): 02-11 → [02-08, 02-10] ∋ → blocked; 02-12 → [02-09, 02-11] ∌ → R = 02-12
    early = [Reading(d("02-08"), "上午", 38.0)]
    assert release_date(ep, ALL_NEG, early, d("03-01"), POLICY) == d("02-12")
    # fever on 02-07: 02-11 → [02-08, 02-10] ∌ → R = P = 02-11
    assert release_date(ep, ALL_NEG, [Reading(d("02-07"), "上午", 38.0)], d("03-01"), POLICY) == d("02-11")
    # exactly the threshold 37.3 counts ("reaches"); 37.2 does not
    assert blocking_reasons(ep, ALL_NEG, [Reading(d("02-10"), "上午", 37.3)], d("02-11"), POLICY) == ["fever"]
    assert blocking_reasons(ep, ALL_NEG, [Reading(d("02-10"), "上午", 37.2)], d("02-11"), POLICY) == []
    # a reading ON t is outside the window [t − 3, t − 1]
    assert blocking_reasons(ep, ALL_NEG, [Reading(d("02-11"), "上午", 38.0)], d("02-11"), POLICY) == []


def test_several_reasons_together() -> None:
    ep = episode(HOME14_P)
    recs = [Record(d("01-28"), NEG), Record(d("02-10"), PEND), Record(d("02-06"), POS)]
    # day 7: window [02-02, 02-04] empty; pass 2: 02-06 > 02-04 → make-up (positive) → taken.
    # reasons: day 14 pending, positive record, fever 02-09 in [02-08, 02-10]
    reasons = blocking_reasons(ep, recs, [Reading(d("02-09"), "上午", 37.8)], d("02-11"), POLICY)
    assert set(reasons) == {"pending_result:day14", "positive", "fever"}


def test_tests_after_n_never_block_but_are_listed() -> None:
    # mid_risk_7, departure 01-27, arrival 01-28: B = 01-27, P = 02-03; tests 01-28 (2), 02-02 (7), 02-09 (14)
    p = person(risk_level="中", departure_date="01-27", arrival_date="01-28")
    ep = episode(p)
    recs = neg("01-28", "02-02")
    assert release_date(ep, recs, [], d("03-01"), POLICY) == d("02-03")  # day 14 not needed
    assert [e["release_date"] for e in lists(p, "02-03", recs)["releases_due"]] == ["2022-02-03"]
    # day 14 on 02-09: listed although released on 02-03
    st_ = state(ep, "02-09", recs)
    assert not st_.under_control and st_.released_on == d("02-03")
    r = lists(p, "02-09", recs)
    assert [(e["day"], e["due_date"], e["late"]) for e in r["tests_due"]] == [(14, "2022-02-09", False)]
    assert [(e["day"], e["late"]) for e in lists(p, "02-10", recs)["tests_due"]] == [(14, True)]
    # 02-11 = D + 2: overdue 2 days
    assert [(e["day"], e["days_overdue"]) for e in lists(p, "02-11", recs)["tests_overdue"]] == [(14, 2)]
    # taken on 02-09 → gone
    assert lists(p, "02-09", neg("01-28", "02-02", "02-09"))["tests_due"] == []


def test_close_contact_day28_after_release() -> None:
    # close_contact_14_7 arrival 01-28: tests 02-12 (16), 02-17 (21), 02-24 (28); P = 02-18
    p = person(category="密切接触者", arrival_date="01-28")
    ep = episode(p)
    recs = neg("02-12", "02-17")
    assert release_date(ep, recs, [], d("03-31"), POLICY) == d("02-18")
    r = lists(p, "02-24", recs)
    assert [(e["day"], e["due_date"]) for e in r["tests_due"]] == [(28, "2022-02-24")]
    assert r["releases_due"] == [] and r["releases_blocked"] == []
    # nothing is due before day 16 (no test scheduled on days 1..15)
    assert lists(p, "02-01", [])["tests_due"] == []


# ====================================================================== 8. explicit statuses


def test_explicit_release_before_p() -> None:
    # home14 P = 02-11; 已解除 on X = 02-05 < P → early_release
    p = person(regime="home14", arrival_date="01-28", status="已解除", status_date="02-05")
    ep = episode(p)
    assert any("early_release" in n for n in ep.notes)
    assert release_date(ep, neg("01-28", "02-03"), [], d("02-20"), POLICY) == d("02-05")
    assert release_date(ep, neg("01-28", "02-03"), [], d("02-04"), POLICY) is None
    st_ = state(ep, "02-04", neg("01-28", "02-03"))
    assert st_.under_control and st_.released_on is None
    for t in ("02-05", "02-06", "02-10", "02-11"):
        st_ = state(ep, t, neg("01-28", "02-03"))
        assert not st_.under_control and st_.released_on == d("02-05"), t
        # from X nothing is listed: not in releases_due (already released), not the day-14 test on 02-10
        assert nothing_listed(lists(p, t, neg("01-28"))), t
    # before X duties go on: day 7 due on 02-03
    assert [e["day"] for e in lists(p, "02-03", neg("01-28"))["tests_due"]] == [7]


def test_explicit_release_on_p_has_no_warning() -> None:
    ep = episode(person(regime="home14", arrival_date="01-28", status="已解除", status_date="02-11"))
    assert not any("early_release" in n for n in ep.notes)
    assert ep.end_kind == "released"


def test_transfer_ends_without_release() -> None:
    # home14 转运 on Y = 02-05
    p = person(regime="home14", arrival_date="01-28", status="转运", status_date="02-05")
    ep = episode(p)
    assert ep.end_date == d("02-05")
    assert release_date(ep, ALL_NEG, [], d("03-01"), POLICY) is None
    assert state(ep, "02-04", neg("01-28")).under_control
    for t in ("02-05", "02-10", "02-11", "02-12"):
        st_ = state(ep, t, ALL_NEG)
        assert not st_.under_control and st_.released_on is None, t
        assert nothing_listed(lists(p, t, neg("01-28"))), t
    assert not any("early_release" in n for n in ep.notes)
    # 转集中隔离 is the same kind
    ep2 = episode(person(regime="home14", arrival_date="01-28", status="转集中隔离", status_date="02-05"))
    assert ep2.end_date == d("02-05") and not state(ep2, "02-06").under_control


def test_lost_contact() -> None:
    # home14 失联 from Z = 02-05
    p = person(regime="home14", arrival_date="01-28", status="失联", status_date="02-05")
    ep = episode(p)
    st_ = state(ep, "02-04", neg("01-28"))
    assert st_.under_control and not st_.lost
    st_ = state(ep, "02-05", neg("01-28"))
    assert st_.under_control and st_.lost
    # duties go on: day 7 overdue (02-05 − 02-03 = 2), day 14 due on 02-10
    assert [(x.test.day, x.days_overdue) for x in st_.tests_overdue] == [(7, 2)]
    r = lists(p, "02-10", neg("01-28"))
    assert [(e["day"], e["late"]) for e in r["tests_due"]] == [(14, False)]
    assert [e["day"] for e in r["tests_overdue"]] == [7]
    # temperature duty goes on: on 02-06, nothing read on 02-05
    assert [(e["date"], e["readings"]) for e in lists(p, "02-06", neg("01-28"))["temperature_missing"]] == [
        ("2022-02-05", 0)]
    # still blocked on P without tests
    assert [e["reasons"] for e in lists(p, "02-11", neg("01-28"))["releases_blocked"]] == [
        ["missing_test:day7", "missing_test:day14"]]
    assert state(ep, "02-11", neg("01-28")).lost


@pytest.mark.parametrize("status", ["已解除", "转运"])
def test_nothing_listed_after_explicit_end_even_fever(status) -> None:
    # home14, episode ended on 02-05; a 38.0 reading on 02-07 must not put it back on a list on 02-07
    p = person(regime="home14", arrival_date="01-28", status=status, status_date="02-05")
    assert nothing_listed(lists(p, "02-07", neg("01-28", "02-03"), [Reading(d("02-07"), "上午", 38.0)]))


@pytest.mark.parametrize("status", ["已解除", "转运", "失联"])
def test_status_without_date_is_ignored(status) -> None:
    p = person(regime="home14", arrival_date="01-28", status=status)
    ep = episode(p)
    assert ep.end_kind is None and ep.end_date is None and ep.lost_from is None
    assert ep.notes  # a note says the date is missing
    st_ = state(ep, "02-05", neg("01-28"))
    assert st_.under_control and not st_.lost
    assert release_date(ep, ALL_NEG, [], d("03-01"), POLICY) == d("02-11")


def test_active_status_words_have_no_note() -> None:
    ep = episode(person(regime="home14", arrival_date="01-28", status="隔离中"))
    assert ep.notes == () and ep.end_kind is None


# ====================================================================== 9. temperature


def temp_missing(p, t, readings=(), records=()) -> list[tuple[str, int]]:
    return [(e["date"], e["readings"]) for e in lists(p, t, records, readings)["temperature_missing"]]


def test_temperature_missing_counts() -> None:
    # home14 arrival 01-28 (居家隔离, temperature = true). On 01-30, t − 1 = 01-29 (day 2).
    assert temp_missing(HOME14_P, "01-30") == [("2022-01-29", 0)]
    assert temp_missing(HOME14_P, "01-30", [Reading(d("01-29"), "上午", 36.5)]) == [("2022-01-29", 1)]
    two = [Reading(d("01-29"), "上午", 36.5), Reading(d("01-29"), "下午", 36.6)]
    assert temp_missing(HOME14_P, "01-30", two) == []
    # readings of other days do not count for 01-29
    other = [Reading(d("01-28"), "上午", 36.5), Reading(d("01-30"), "下午", 36.6)]
    assert temp_missing(HOME14_P, "01-30", other) == [("2022-01-29", 0)]
    # on S = 01-28, t − 1 = 01-27 is before control → not listed
    assert temp_missing(HOME14_P, "01-28") == []
    # on 01-29: yesterday = day 1 = 01-28 under control → listed
    assert temp_missing(HOME14_P, "01-29") == [("2022-01-28", 0)]
    st_ = state(episode(HOME14_P), "01-30", [], [Reading(d("01-29"), "上午", 36.5)])
    assert st_.temperature_missing == 1


def test_temperature_missing_around_release() -> None:
    # released on P = 02-11: on 02-11, yesterday 02-10 was under control → listed; on 02-12 not
    assert temp_missing(HOME14_P, "02-11", records=ALL_NEG) == [("2022-02-10", 0)]
    assert temp_missing(HOME14_P, "02-12", records=ALL_NEG) == []


def test_temperature_not_expected_in_central_isolation() -> None:
    # central14_home14 arrival 01-28: 集中隔离 days 1..14 = 01-28..02-10; 居家隔离 from 02-11
    p = person(regime="central14_home14", arrival_date="01-28")
    assert temp_missing(p, "01-30") == []
    assert temp_missing(p, "02-10") == []
    assert temp_missing(p, "02-11") == []  # yesterday 02-10 = day 14, still 集中隔离
    assert temp_missing(p, "02-12") == [("2022-02-11", 0)]  # yesterday 02-11 = day 15, 居家隔离
    # 日常健康监测 (province_case_7) has temperature = false
    assert temp_missing(person(regime="province_case_7", arrival_date="01-28"), "01-30") == []
    # mid_high_7_7: 居家隔离 days 1..7 (01-28..02-03), 日常健康监测 from 02-04
    p = person(regime="mid_high_7_7", arrival_date="01-28")
    assert temp_missing(p, "02-04") == [("2022-02-03", 0)]
    assert temp_missing(p, "02-05") == []


def test_fever_list() -> None:
    readings = [
        Reading(d("01-31"), "下午", 38.0),  # t − 2: not listed on 02-02
        Reading(d("02-01"), "上午", 36.5),
        Reading(d("02-01"), "下午", 37.5),  # t − 1: listed
        Reading(d("02-02"), "上午", 37.3),  # t, exactly the threshold: listed
        Reading(d("02-02"), "下午", 37.2),  # below
    ]
    r = lists(HOME14_P, "02-02", readings=readings)
    got = sorted((e["date"], e["slot"], e["temperature"]) for e in r["fever"])
    assert got == [("2022-02-01", "下午", 37.5), ("2022-02-02", "上午", 37.3)]
    assert all(e["regime"] == "home14" and e["name"] == "张三" for e in r["fever"])
    st_ = state(episode(HOME14_P), "02-02", readings=readings)
    assert sorted((x.date, x.temperature) for x in st_.fevers) == [(d("02-01"), 37.5), (d("02-02"), 37.3)]


# ====================================================================== 10. custom policy

HOME7 = """
[regimes.home7]
name = "居家隔离7天"
aliases = ["7天居家", "七天居家"]
base = "arrival"
phases = [["居家隔离", 7]]
tests = [1, 7]
"""


def custom_text(**replace: str) -> str:
    text = default_policy_text()
    text = text.replace("grace = 1\n", "grace = 2\n").replace("fever_threshold = 37.3", "fever_threshold = 37.5")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_policy_takes_effect(tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path, custom_text() + HOME7))
    assert (policy.grace, policy.fever_threshold) == (2, 37.5)
    p = person(regime="七天居家", arrival_date="01-28")
    ep = episode(p, policy)
    # home7: B = 01-28, N = 7, P = 02-04; tests day 1 = 01-28, day 7 = 01-28 + 6 = 02-03
    assert ep.regime.key == "home7"
    assert ep.planned_release == d("02-04")
    assert due_map(ep) == {1: "2022-01-28", 7: "2022-02-03"}
    assert ep.phase_on(d("02-03")) == "居家隔离"
    recs = neg("01-28")

    def custom_lists(t, records=recs, readings=()):
        return lists(p, t, records, readings, policy=policy)

    # grace 2: due on 02-03 (not late), 02-04 and 02-05 (late); overdue on 02-06 (02-06 − 02-03 = 3)
    assert [(e["day"], e["late"]) for e in custom_lists("02-03")["tests_due"]] == [(7, False)]
    assert [(e["day"], e["late"]) for e in custom_lists("02-04")["tests_due"]] == [(7, True)]
    assert [(e["day"], e["late"]) for e in custom_lists("02-05")["tests_due"]] == [(7, True)]
    assert custom_lists("02-05")["tests_overdue"] == []
    assert [(e["day"], e["days_overdue"]) for e in custom_lists("02-06")["tests_overdue"]] == [(7, 3)]
    # a record on 02-05 = D + 2 is in the window [D − 1, D + 2]: on 02-05 not due, R = 02-06 (sampled before)
    late = neg("01-28", "02-05")
    assert custom_lists("02-05", late)["tests_due"] == []
    assert release_date(ep, late, [], d("02-28"), policy) == d("02-06")
    # fever threshold 37.5: 37.4 is not a fever, 37.5 is
    assert custom_lists("02-02", readings=[Reading(d("02-02"), "上午", 37.4)])["fever"] == []
    assert len(custom_lists("02-02", readings=[Reading(d("02-02"), "上午", 37.5)])["fever"]) == 1
    ok = neg("01-28", "02-03")
    assert release_date(ep, ok, [Reading(d("02-03"), "上午", 37.4)], d("02-28"), policy) == d("02-04")
    # fever 02-03: blocks 02-04 ([02-01, 02-03]), 02-05, 02-06 ([02-03, 02-05]); R = 02-07
    assert release_date(ep, ok, [Reading(d("02-03"), "上午", 37.5)], d("02-28"), policy) == d("02-07")
    # with the default policy the 37.4 reading is a fever (≥ 37.3)
    assert len(lists(person(regime="home14", arrival_date="01-28"), "02-02",
                     readings=[Reading(d("02-02"), "上午", 37.4)])["fever"]) == 1


def test_custom_default_regime(tmp_path: Path) -> None:
    text = custom_text(**{'default_regime = "returnee_monitor14"': 'default_regime = "home7"'}) + HOME7
    policy = load_policy(write_policy(tmp_path, text))
    regime, _ = assign_regime(person(), policy)
    assert regime.key == "home7"
    # the rules still come first
    assert assign_regime(person(risk_level="高"), policy)[0].key == "high_risk_14_7"


def test_custom_assign_rule(tmp_path: Path) -> None:
    rule = '\n[[assign]]\nfield = "category"\nvalues = ["省外返乡"]\nregime = "home7"\n'
    # appended after the default rules: 入境 still wins first, 省外返乡 → home7, nothing → default
    text = custom_text().replace("# 状态 words", rule + "\n# 状态 words") + HOME7
    policy = load_policy(write_policy(tmp_path, text))
    assert assign_regime(person(category="省外返乡"), policy)[0].key == "home7"
    assert assign_regime(person(category="省外返乡", risk_level="中"), policy)[0].key == "mid_risk_7"
    assert assign_regime(person(), policy)[0].key == "returnee_monitor14"


@pytest.mark.parametrize(("old", "new", "names"), [
    ('base = "arrival"\nphases = [["居家隔离", 7]]', 'phases = [["居家隔离", 7]]', ["regimes.home7.", "base"]),
    ('base = "arrival"\nphases = [["居家隔离", 7]]', 'base = "foo"\nphases = [["居家隔离", 7]]',
     ["regimes.home7.", "base", "foo"]),
    ('phases = [["居家隔离", 7]]', 'phases = [["居家隔离", 0]]', ["regimes.home7.", "phases"]),
    ('phases = [["居家隔离", 7]]', "phases = []", ["regimes.home7.", "phases"]),
    ("tests = [1, 7]", "tests = [0, 7]", ["regimes.home7.", "tests"]),
])
def test_invalid_regime_raises(tmp_path: Path, old, new, names) -> None:
    assert old in HOME7
    path = write_policy(tmp_path, custom_text() + HOME7.replace(old, new))
    with pytest.raises(UsageError) as info:
        load_policy(path)
    for name in names:
        assert name in info.value.message, info.value.message
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("old", "new", "names"), [
    ('default_regime = "returnee_monitor14"', 'default_regime = "nowhere"', ["default_regime", "nowhere"]),
    ('default_regime = "returnee_monitor14"\n', "", ["default_regime"]),
    ("grace = 2\n", 'grace = "two"\n', ["grace"]),
    ('regime = "inbound_14_7_7"', 'regime = "nowhere"', ["assign[1]", "regime", "nowhere"]),
])
def test_invalid_settings_raise(tmp_path: Path, old, new, names) -> None:
    path = write_policy(tmp_path, custom_text(**{old: new}) + HOME7)
    with pytest.raises(UsageError) as info:
        load_policy(path)
    for name in names:
        assert name in info.value.message, info.value.message


def test_unreadable_policy_raises(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_policy(tmp_path / "missing.toml")
    with pytest.raises(UsageError):
        load_policy(write_policy(tmp_path, "[settings\n"))


# ====================================================================== 11. blocked past N


def test_blocked_person_stays_in_last_phase() -> None:
    # home14 without day-14 test: P = 02-11, blocked; still under control in 居家隔离 after P
    ep = episode(HOME14_P)
    recs = neg("01-28", "02-03")
    for t in ("02-11", "02-15", "03-01"):
        st_ = state(ep, t, recs)
        assert st_.under_control and st_.phase == "居家隔离", t
        assert st_.blocked == ["missing_test:day14"]
        assert ep.phase_on(d(t)) == "居家隔离"
    # keeps the temperature duty: on 02-13 yesterday 02-12 (day 16) → missing
    assert temp_missing(HOME14_P, "02-13", records=recs) == [("2022-02-12", 0)]
    # inbound_14_7_7 last phase is 日常健康监测 (P = 02-25)
    ep = episode(person(category="入境人员", arrival_date="01-28"))
    assert ep.phase_on(d("02-25")) == "日常健康监测"
    st_ = state(ep, "02-26", [])
    assert st_.under_control and st_.phase == "日常健康监测"
    # no temperature duty in 日常健康监测 even while blocked
    assert temp_missing(person(category="入境人员", arrival_date="01-28"), "02-27") == []
    # central14_home14 blocked past N = 28 (P = 02-25) stays in 居家隔离
    ep = episode(person(regime="central14_home14", arrival_date="01-28"))
    assert state(ep, "03-05", []).phase == "居家隔离"


# ====================================================================== 12. due_lists = union of state_on

REGIME_KEYS = sorted(POLICY.regimes)
DAY0 = date(2022, 1, 20)


@st.composite
def person_data(draw, idx: int = 0):
    key = draw(st.sampled_from(REGIME_KEYS))
    arrival = DAY0 + timedelta(days=draw(st.integers(0, 20)))
    p: dict[str, object] = {"name": f"人{draw(st.integers(0, 999))}", "id_number": f"ID{draw(st.integers(0, 10**6))}",
                            "village": draw(st.sampled_from(["平阳村", "青石村"])), "regime": key,
                            "arrival_date": arrival}
    if draw(st.booleans()):
        p["departure_date"] = arrival - timedelta(days=draw(st.integers(0, 25)))
    if draw(st.integers(0, 4)) == 0:
        p["status"] = draw(st.sampled_from(["已解除", "转运", "失联"]))
        p["status_date"] = arrival + timedelta(days=draw(st.integers(0, 30)))
    tests = [Record(arrival + timedelta(days=draw(st.integers(-2, 35))),
                        draw(st.sampled_from([NEG, NEG, NEG, POS, PEND])))
             for _ in range(draw(st.integers(0, 5)))]
    readings = [Reading(arrival + timedelta(days=draw(st.integers(-1, 35))),
                        draw(st.sampled_from(["上午", "下午"])),
                        draw(st.sampled_from([36.5, 37.0, 37.3, 38.2])))
                for _ in range(draw(st.integers(0, 6)))]
    return PersonData(p, tests=tests, readings=readings)


def expected_entries(people, t: date) -> dict[str, set]:
    out: dict[str, set] = {k: set() for k in ("tests_due", "tests_overdue", "releases_due", "releases_blocked",
                                              "temperature_missing", "fever")}
    for data in people:
        ep = build_episode(data.person, POLICY)
        if isinstance(ep, EpisodeError):
            continue
        s = state_on(ep, data.tests, data.readings, t, POLICY)
        who = data.person["id_number"]
        for x in s.tests_due:
            out["tests_due"].add((who, x.test.day, x.test.due.isoformat(), x.late))
        for x in s.tests_overdue:
            out["tests_overdue"].add((who, x.test.day, x.test.due.isoformat(), x.days_overdue))
        if s.release_due:
            out["releases_due"].add((who, t.isoformat()))
        if s.blocked:
            out["releases_blocked"].add((who, ep.planned_release.isoformat(), tuple(s.blocked)))
        if s.temperature_missing is not None:
            out["temperature_missing"].add((who, (t - timedelta(days=1)).isoformat(), s.temperature_missing))
        for r in s.fevers:
            out["fever"].add((who, r.date.isoformat(), r.slot, r.temperature))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(person_data(), min_size=0, max_size=6), offset=st.integers(0, 50))
def test_due_lists_is_union_of_states(people, offset) -> None:
    # unique ids so entries can be attributed
    people = [PersonData({**x.person, "id_number": f"ID{i}"}, x.tests, x.readings) for i, x in enumerate(people)]
    t = DAY0 + timedelta(days=offset)
    got = due_lists(people, t, POLICY)
    assert got["date"] == t.isoformat()
    flat = {
        "tests_due": {(e["id_number"], e["day"], e["due_date"], e["late"]) for e in got["tests_due"]},
        "tests_overdue": {(e["id_number"], e["day"], e["due_date"], e["days_overdue"])
                          for e in got["tests_overdue"]},
        "releases_due": {(e["id_number"], e["release_date"]) for e in got["releases_due"]},
        "releases_blocked": {(e["id_number"], e["planned_release_date"], tuple(e["reasons"]))
                             for e in got["releases_blocked"]},
        "temperature_missing": {(e["id_number"], e["date"], e["readings"]) for e in got["temperature_missing"]},
        "fever": {(e["id_number"], e["date"], e["slot"], e["temperature"]) for e in got["fever"]},
    }
    assert flat == expected_entries(people, t)
    # no duplicates were collapsed by the set comparison (readings may repeat, so fever is skipped)
    for key in ("tests_due", "tests_overdue", "releases_due", "releases_blocked", "temperature_missing"):
        assert len(got[key]) == len(flat[key])
    # village filter keeps exactly that village's entries
    only = due_lists(people, t, POLICY, village="平阳村")
    for key in flat:
        assert all(e["village"] == "平阳村" for e in only[key])
        assert len(only[key]) == sum(1 for e in got[key] if e["village"] == "平阳村")
