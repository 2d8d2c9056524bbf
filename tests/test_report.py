"""Daily report numbers: the vectorised counts equal the per-person reference,
and hand-computed cases for each number of SPEC §6."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import report_numbers_reference, trend_reference
from test_due_fast import day, ledger

from taizhang.config import load_policy
from taizhang.outputs.report_numbers import exceptions, report_numbers, trend
from taizhang.policy.arrays import LedgerArrays
from taizhang.policy.due import due_lists
from taizhang.policy.engine import Engine
from taizhang.policy.episodes import PersonData, Reading
from taizhang.policy.episodes import TestRecord as Record

POLICY = load_policy()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger(), st.integers(0, 70).map(day))
def test_fast_report_equals_reference(people: list[PersonData], t: date) -> None:
    fast = report_numbers(LedgerArrays.from_people(people), t, POLICY, "青石镇", ["甲村", "丙村"],
                          ["甲村"])
    assert fast == report_numbers_reference(people, t, POLICY, "青石镇", ["甲村", "丙村"], ["甲村"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger(), st.integers(0, 70).map(day))
def test_fast_trend_equals_reference(people: list[PersonData], t: date) -> None:
    assert trend(LedgerArrays.from_people(people), t, POLICY, 10) == \
        trend_reference(people, t, POLICY, 10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger(), st.integers(0, 70).map(day))
def test_trend_after_the_numbers_equals_reference(people: list[PersonData], t: date) -> None:
    """The report computes its numbers first; the trend then searches release
    dates again only for people with an explicit 已解除 date (Engine.release_dates):
    the same dates as a search of everyone, and the reference's trend."""
    arrays = LedgerArrays.from_people(people)
    engine = Engine(arrays, t, POLICY)
    report_numbers(arrays, t, POLICY, "青石镇", ["甲村"], [], engine=engine)
    searched = Engine(arrays, t, POLICY).release_dates(explicit_end=False)
    assert engine.release_dates(explicit_end=False).tolist() == searched.tolist()
    assert trend(arrays, t, POLICY, 10, engine) == trend_reference(people, t, POLICY, 10)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger(), st.integers(0, 70).map(day))
def test_heavy_people_counted_like_everyone(people: list[PersonData], t: date) -> None:
    """People over the engine's record cap (here 2) are computed by their own engine;
    their states and trend are merged into the report's counts."""
    arrays = LedgerArrays.from_people(people)
    engine = Engine(arrays, t, POLICY, max_records=2)
    assert report_numbers(arrays, t, POLICY, "青石镇", ["甲村"], [], engine=engine) == \
        report_numbers_reference(people, t, POLICY, "青石镇", ["甲村"], [])
    engine = Engine(arrays, t, POLICY, max_records=2)
    assert trend(arrays, t, POLICY, 10, engine) == trend_reference(people, t, POLICY, 10)


def person(name: str, village: str, arrival: date, **extra: object) -> dict[str, object]:
    return {"name": name, "id_number": name, "village": village, "arrival_date": arrival,
            "registration_date": arrival, **extra}


def test_hand_computed_village_numbers() -> None:
    """On 2022-02-10 (returnee_monitor14 unless said otherwise):
    - 甲: arrived 02-10 → new registration, day 1, test due today, not done; 居家健康监测.
    - 乙: arrived 01-27 → P = 02-10; tests 01-27, 02-02, 02-09 all negative → released today.
    - 丙: home14 arrived 02-04 → day 7 = 02-10 due and done today (record 02-10); 居家隔离.
    - 丁: arrived 02-01, 失联 since 02-05; day 7 test (02-07) never taken → overdue (3 days);
      a 38.2 reading on 02-10 → fever.
    - 戊 (乙村): positive sample 02-10.
    """
    t = date(2022, 2, 10)
    d = lambda m, dd: date(2022, m, dd)  # noqa: E731
    people = [
        PersonData(person("甲", "甲村", d(2, 10))),
        PersonData(person("乙", "甲村", d(1, 27)),
                   [Record(d(1, 27), "negative"), Record(d(2, 2), "negative"),
                    Record(d(2, 9), "negative")]),
        PersonData(person("丙", "甲村", d(2, 4), regime="居家隔离14天"),
                   [Record(d(2, 4), "negative"), Record(d(2, 10), "negative")]),
        PersonData(person("丁", "甲村", d(2, 1), status="失联", status_date=d(2, 5)),
                   [Record(d(2, 1), "negative")], [Reading(d(2, 10), "上午", 38.2)]),
        PersonData(person("戊", "乙村", d(2, 8)),
                   [Record(d(2, 8), "negative"), Record(d(2, 10), "positive")]),
    ]
    report = report_numbers(LedgerArrays.from_people(people), t, POLICY, "青石镇",
                            ["甲村", "乙村", "丙村"], ["甲村", "乙村"])
    assert report == report_numbers_reference(people, t, POLICY, "青石镇", ["甲村", "乙村", "丙村"],
                                              ["甲村", "乙村"])
    jia, yi, bing = report["villages"]
    assert jia == {"village": "甲村", "new_registrations": 1,
                   "under_control": {"居家隔离": 1, "居家健康监测": 2},
                   "released_today": 1, "released_total": 1, "tests_due": 2, "tests_done": 1,
                   "tests_overdue": 1, "positives": 0, "fever": 1, "lost_contact": 1,
                   "zero_report": False, "submitted": True}
    assert (yi["positives"], yi["zero_report"], yi["under_control"]) == (1, False, {"居家健康监测": 1})
    assert bing == {"village": "丙村", "new_registrations": 0, "under_control": {},
                    "released_today": 0, "released_total": 0, "tests_due": 0, "tests_done": 0,
                    "tests_overdue": 0, "positives": 0, "fever": 0, "lost_contact": 0,
                    "zero_report": True, "submitted": False}
    assert report["zero_report"] is False
    assert report["totals"]["under_control"] == {"居家隔离": 1, "居家健康监测": 3}
    assert report["totals"]["submitted"] == 2


def test_zero_report_day() -> None:
    t = date(2022, 2, 10)
    people = [PersonData(person("甲", "甲村", t - timedelta(days=2)),
                         [Record(t - timedelta(days=2), "negative")])]
    report = report_numbers(LedgerArrays.from_people(people), t, POLICY, "青石镇", ["甲村"], ["甲村"])
    assert report["zero_report"] is True
    assert report["villages"][0]["under_control"] == {"居家健康监测": 1}


def test_yesterday_s_fever_and_positive_count_today_and_a_late_positive_holds_the_zero_report() -> None:
    """On 2022-02-10 (returnee_monitor14, all arrived 02-01, day 7 test 02-07 taken):
    - 甲 (甲村): 38.0 on 02-09 下午 → counted as fever on 02-10 (D − 1), as the lists show it.
    - 乙 (乙村): two positive records, 02-09 and 02-10 → 1 positive (people, not records).
    - 丙 (丙村): positive sampled 02-05, still under control on 02-10 → 0 new positives,
      but 丙村 is no 零报告 and 丙 is listed among the positives.
    - 丁 (丁村): nothing → 零报告.
    """
    t = date(2022, 2, 10)
    d = lambda m, dd: date(2022, m, dd)  # noqa: E731
    tests = [Record(d(2, 1), "negative"), Record(d(2, 7), "negative")]
    people = [
        PersonData(person("甲", "甲村", d(2, 1)), tests, [Reading(d(2, 9), "下午", 38.0)]),
        PersonData(person("乙", "乙村", d(2, 1)),
                   [*tests, Record(d(2, 9), "positive"), Record(d(2, 10), "positive")]),
        PersonData(person("丙", "丙村", d(2, 1)), [*tests, Record(d(2, 5), "positive")]),
        PersonData(person("丁", "丁村", d(2, 1)), tests),
    ]
    arrays = LedgerArrays.from_people(people)
    numbers = report_numbers(arrays, t, POLICY, "青石镇", ["甲村", "乙村", "丙村", "丁村"], [])
    rows = {r["village"]: r for r in numbers["villages"]}
    assert (rows["甲村"]["fever"], rows["甲村"]["zero_report"]) == (1, False)
    assert (rows["乙村"]["positives"], rows["乙村"]["zero_report"]) == (1, False)
    assert (rows["丙村"]["positives"], rows["丙村"]["zero_report"]) == (0, False)
    assert rows["丁村"]["zero_report"] is True
    assert numbers == report_numbers_reference(people, t, POLICY, "青石镇", ["甲村", "乙村", "丙村", "丁村"], [])
    lists = due_lists(arrays, t, POLICY)
    found = exceptions(arrays, t, POLICY, lists, numbers)
    assert [(p["name"], p["date"]) for p in found["positives"]] == [("乙", "2022-02-10"), ("丙", "2022-02-05")]
    assert [e["name"] for e in found["fever"]] == ["甲"]
