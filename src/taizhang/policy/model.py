"""The control policy: regimes, assignment rules and thresholds, as read from TOML text.

Every rule a county can change is in the policy file (the packaged default is
`default_policy.toml` beside this module); this module only checks it and
answers lookups such as "which regime does the text 居家隔离14天 name?". The
file is read by `taizhang.config.load_policy`: the policy package does no I/O.
The day-counting rules that use it live in `engine.py`.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from taizhang.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BASES = ("arrival", "departure")


@dataclass(frozen=True, slots=True)
class Regime:
    key: str
    name: str
    aliases: tuple[str, ...]
    base: str
    phases: tuple[tuple[str, int], ...]
    tests: tuple[int, ...]
    days: int = 0  # N, the number of days under control: derived from phases

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", sum(days for _, days in self.phases))


@dataclass(frozen=True, slots=True)
class AssignRule:
    field: str
    regime: str
    values: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()


@dataclass(slots=True)
class Policy:
    regimes: dict[str, Regime]
    assign: list[AssignRule]
    default_regime: str
    early: int
    grace: int
    fever_threshold: float
    fever_lookback: int
    temperature_slots: tuple[str, ...]
    temperature_phases: frozenset[str]
    status_words: dict[str, tuple[str, ...]]
    source: str
    _lookup: dict[str, str] = field(default_factory=dict)
    _status: dict[str, str] = field(default_factory=dict)
    _rules: list[tuple[AssignRule, frozenset[str], tuple[str, ...]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for regime in self.regimes.values():
            for text in (regime.key, regime.name, *regime.aliases):
                self._lookup.setdefault(_norm(text), regime.key)
        for kind in ("released", "transferred", "lost", "active"):
            for word in self.status_words.get(kind, ()):
                self._status.setdefault(_norm(word), kind)
        self._rules = [(r, frozenset(_norm(v) for v in r.values),
                        tuple(_norm(c) for c in r.contains)) for r in self.assign]

    def status_kind(self, text: str) -> str | None:
        """released / transferred / lost / active for a 状态 text; None if unknown."""
        value = _norm(text)
        return self._status.get(value, "active" if not value else None)

    def match_rule(self, person: Any) -> AssignRule | None:
        """The first assignment rule whose field value matches (values exact, contains substring)."""
        for rule, values, contains in self._rules:
            raw = person.get(rule.field)
            if not raw:
                continue
            value = _norm(str(raw))
            if value in values or any(c in value for c in contains):
                return rule
        return None

    def find_regime(self, text: str) -> str | None:
        """The regime key a 管控措施 text names (by key, name or alias), else None."""
        return self._lookup.get(_norm(text))

    def regime_examples(self, limit: int = 4) -> list[str]:
        return [r.name for r in list(self.regimes.values())[:limit]]


@lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def parse_policy(text: str, source: str) -> Policy:
    """Check a policy file's text and build the `Policy` (reading it is `config.load_policy`'s job).

    Raises UsageError naming the bad key, so a county that edits the file
    learns exactly what to correct.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"政策文件{source}格式错误：{exc}") from None
    return _build(data, source)


# No control regime lasts years: a phase of 3,000,000 days is a typo, and would
# count days off the calendar. A sanity bound of the file's format, not policy.
MAX_DAYS = 1000
# settings.early / grace / fever_lookback are a few days; more is a typo too.
MAX_SETTING_DAYS = 60


def _need(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise UsageError(f"政策文件缺少 {where}{key}")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise UsageError(f"政策文件 {where}{key} 的值类型不对：{value!r}")
    return value


def _build(data: dict[str, Any], source: str) -> Policy:
    settings = _need(data, "settings", dict, "")
    raw_regimes = _need(data, "regimes", dict, "")
    regimes: dict[str, Regime] = {}
    for key, spec in raw_regimes.items():
        where = f"regimes.{key}."
        base = _need(spec, "base", str, where)
        if base not in BASES:
            raise UsageError(f"政策文件 {where}base 只能是 arrival 或 departure，而不是“{base}”")
        phases = []
        for item in _need(spec, "phases", list, where):
            if (not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str)
                    or not isinstance(item[1], int) or item[1] <= 0):
                raise UsageError(f"政策文件 {where}phases 的每一项应为 [\"阶段名\", 天数]：{item!r}")
            phases.append((item[0], item[1]))
        if not phases:
            raise UsageError(f"政策文件 {where}phases 不能为空")
        if sum(days for _, days in phases) > MAX_DAYS:
            raise UsageError(f"政策文件 {where}phases 共{sum(d for _, d in phases):,}天，超过{MAX_DAYS}天："
                             "请检查天数是否多打了0")
        tests = _need(spec, "tests", list, where)
        if not all(isinstance(t, int) and not isinstance(t, bool) and 1 <= t <= MAX_DAYS for t in tests):
            raise UsageError(f"政策文件 {where}tests 应为1到{MAX_DAYS}之间的天数列表：{tests!r}")
        regimes[key] = Regime(
            key=key,
            name=_need(spec, "name", str, where),
            aliases=tuple(spec.get("aliases", [])),
            base=base,
            phases=tuple(phases),
            tests=tuple(sorted(set(tests))),
        )
    if not regimes:
        raise UsageError("政策文件中没有任何管控方案（regimes）")
    default = _need(settings, "default_regime", str, "settings.")
    if default not in regimes:
        raise UsageError(f"政策文件 settings.default_regime 指向不存在的方案“{default}”")
    rules = []
    for i, rule in enumerate(data.get("assign", []), start=1):
        where = f"assign[{i}]."
        regime = _need(rule, "regime", str, where)
        if regime not in regimes:
            raise UsageError(f"政策文件 {where}regime 指向不存在的方案“{regime}”")
        values = tuple(rule.get("values", []))
        contains = tuple(rule.get("contains", []))
        if not values and not contains:
            raise UsageError(f"政策文件 {where} 需要 values 或 contains")
        rules.append(AssignRule(_need(rule, "field", str, where), regime, values, contains))
    phases_cfg = data.get("phases", {})
    temperature_phases = frozenset(
        name for name, cfg in phases_cfg.items() if isinstance(cfg, dict) and cfg.get("temperature")
    )
    status = {k: tuple(v) for k, v in data.get("status", {}).items()}
    for key in ("early", "grace", "fever_lookback"):
        value = settings.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SETTING_DAYS:
            raise UsageError(f"政策文件 settings.{key} 应为0到{MAX_SETTING_DAYS}之间的天数：{value!r}")
    return Policy(
        regimes=regimes,
        assign=rules,
        default_regime=default,
        early=int(_need(settings, "early", int, "settings.")),
        grace=int(_need(settings, "grace", int, "settings.")),
        fever_threshold=float(_need(settings, "fever_threshold", (int, float), "settings.")),
        fever_lookback=int(settings.get("fever_lookback", 3)),
        temperature_slots=tuple(settings.get("temperature_slots", ["上午", "下午"])),
        temperature_phases=temperature_phases,
        status_words=status,
        source=source,
    )
