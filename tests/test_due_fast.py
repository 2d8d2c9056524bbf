"""The engine's due lists equal the oracle's (tests/oracle.py) on random ledgers."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import calendar as oracle_calendar
from oracle import due_lists

from taizhang.config import load_policy
from taizhang.policy.arrays import LedgerArrays
from taizhang.policy.calendar import calendar
from taizhang.policy.due import due_lists as due_lists_fast
from taizhang.policy.engine import MAX_RECORDS, Engine
from taizhang.policy.episodes import PersonData, Reading
from taizhang.policy.episodes import TestRecord as Record

POLICY = load_policy()
DAY0 = date(2022, 1, 10)
REGIMES = ["", "居家隔离14天", "7+7", "14+7+7", "14+14", "密接14+7", "高风险14+7", "中风险7天",
           "3天2检", "7天日常健康监测", "居家观察三天"]


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


maybe_day = st.one_of(st.none(), st.integers(0, 40).map(day))


@st.composite
def person(draw: st.DrawFn, i: int) -> PersonData:
    arrival = draw(maybe_day)
    p = {
        "name": f"人{i}", "id_number": f"{i:018d}", "village": draw(st.sampled_from(["甲村", "乙村"])),
        "arrival_date": arrival, "registration_date": draw(maybe_day),
        "departure_date": draw(st.one_of(st.none(), st.integers(-20, 30).map(day))),
        "control_start": draw(st.one_of(st.none(), st.none(), st.integers(0, 40).map(day))),
        "regime": draw(st.sampled_from(REGIMES)),
        "category": draw(st.sampled_from(["", "返乡人员", "入境人员", "密切接触者"])),
        "risk_level": draw(st.sampled_from(["", "低", "中", "高"])),
        "has_negative_proof": draw(st.sampled_from(["", "是", "否"])),
        "status": draw(st.sampled_from(["", "", "隔离中", "已解除", "转运", "失联", "不明"])),
        "status_date": draw(maybe_day),
    }
    tests = draw(st.lists(st.builds(Record, st.integers(-3, 60).map(day),
                                    st.sampled_from(["negative"] * 6 + ["positive", "pending"])),
                          max_size=8))
    slots = draw(st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["上午", "下午", None])),
                          max_size=12, unique_by=lambda x: x if x[1] else object()))
    readings = [Reading(day(d), s, draw(st.sampled_from([36.2, 36.8, 37.3, 38.1])))
                for d, s in slots]
    return PersonData(p, tests, readings)


@st.composite
def ledger(draw: st.DrawFn) -> list[PersonData]:
    size = draw(st.integers(1, 25))
    return [draw(person(i)) for i in range(size)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger(), st.integers(0, 70).map(day))
def test_fast_path_equals_reference(people: list[PersonData], t: date) -> None:
    assert due_lists_fast(people, t, POLICY) == due_lists(people, t, POLICY)


@settings(max_examples=50, deadline=None)
@given(ledger(), st.integers(0, 70).map(day))
def test_fast_path_village_filter(people: list[PersonData], t: date) -> None:
    assert due_lists_fast(people, t, POLICY, "甲村") == due_lists(people, t, POLICY, "甲村")


def test_people_with_many_records_get_their_own_engine() -> None:
    many = [Record(day(k % 30), "negative") for k in range(MAX_RECORDS + 3)]
    people = [PersonData({"name": "多", "id_number": "1", "village": "甲村", "arrival_date": day(0)},
                         many)]
    engine = Engine(LedgerArrays.from_people(people), day(20), POLICY)
    assert engine.heavy is not None and not engine.fast.any()  # really the heavy path
    assert due_lists_fast(people, day(20), POLICY, engine=engine) == due_lists(people, day(20), POLICY)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger(), st.integers(0, 70).map(day))
def test_heavy_people_mixed_in_equal_the_oracle(people: list[PersonData], t: date) -> None:
    """With a cap of 2 records, most people with tests are computed by the heavy engine
    and their entries merged with everyone else's."""
    engine = Engine(LedgerArrays.from_people(people), t, POLICY, max_records=2)
    assert due_lists_fast(people, t, POLICY, engine=engine) == due_lists(people, t, POLICY)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger(), st.integers(0, 70).map(day))
def test_calendar_equals_the_oracle(people: list[PersonData], t: date) -> None:
    """The `person` command's calendar (engine over one person) equals the oracle's."""
    arrays = LedgerArrays.from_people(people)
    for i, data in enumerate(people):
        assert calendar(arrays, i, t, POLICY) == oracle_calendar(data, t, POLICY)
