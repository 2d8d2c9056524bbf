"""What a person is under the policy: the regime that applies, and the status words.

The assignment rule (first match wins: explicit 管控措施, the policy's rules,
the default) is the one place that decides a person's regime; the engine calls
it once per distinct combination of the deciding fields. The record types
below are the per-person form of the ledger (one person's values with their
test records and readings), which `LedgerArrays.from_people` turns into the
engine's columns: tests and the single-person loaders build them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from taizhang.ingest.values import NEGATIVE, PENDING, POSITIVE
from taizhang.policy.model import Policy, Regime

RELEASED, TRANSFERRED, LOST, ACTIVE = "released", "transferred", "lost", "active"
RESULTS = (NEGATIVE, POSITIVE, PENDING)


@dataclass(frozen=True, slots=True)
class TestRecord:
    sample_date: date
    result: str  # negative / positive / pending


@dataclass(frozen=True, slots=True)
class Reading:
    date: date
    slot: str | None
    temperature: float


@dataclass(slots=True)
class PersonData:
    """A person's ledger values with their records, as the store hands them over."""

    person: Mapping[str, Any]
    tests: list[TestRecord] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)


def assign_regime(person: Mapping[str, Any], policy: Policy) -> tuple[Regime, str]:
    """First match wins: explicit 管控措施, then the policy's rules, then the default.
    Returns the regime and the reason in words (for the person's calendar)."""
    explicit = person.get("regime")
    if explicit:
        key = policy.find_regime(str(explicit))
        if key is not None:
            return policy.regimes[key], f"管控措施“{explicit}”"
    rule = policy.match_rule(person)
    if rule is not None:
        return policy.regimes[rule.regime], f"{rule.field}“{person.get(rule.field)}”"
    return policy.regimes[policy.default_regime], "默认方案"
