"""Rendering with Jinja2: every word a clerk reads comes from `templates/`.

Templates are looked up first in the workspace's `templates/` folder (the
config key `templates`), then in the packaged defaults, so an office changes
one file without copying all of them. HTML templates are autoescaped; text
and Markdown are not (they are not markup for a browser).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from taizhang.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def environment(user_dir: Path | None = None) -> Environment:
    loaders: list[Any] = []
    if user_dir is not None and user_dir.is_dir():
        loaders.append(FileSystemLoader(str(user_dir), encoding="utf-8"))
    loaders.append(PackageLoader("taizhang.outputs", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: bool(name) and name.endswith((".html.j2", ".html")),
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    labels = load_labels(user_dir)
    env.filters["reason"] = lambda reason: reason_text(reason, labels)
    env.globals["labels"] = labels
    return env


def load_labels(user_dir: Path | None = None) -> dict[str, Any]:
    """The packaged `labels.toml`, with the office's own copy laid over it key by
    key: a copy made by an older version, which lacks newer keys, still works."""
    from importlib import resources

    labels = tomllib.loads(
        resources.files("taizhang.outputs").joinpath("templates", "labels.toml").read_text(encoding="utf-8"))
    own = user_dir / "labels.toml" if user_dir is not None else None
    if own is not None and own.is_file():
        try:
            mine = tomllib.loads(own.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{own} 格式错误（{exc}）：请改正，或删除该文件以使用内置用语") from None
        for section, values in mine.items():
            if isinstance(values, dict) and isinstance(labels.get(section), dict):
                labels[section].update(values)
            else:
                labels[section] = values
    return labels


def reason_text(reason: str, labels: dict[str, Any]) -> str:
    """`missing_test:day7` → 第7天核酸未采样 (wording from labels.toml)."""
    m = re.fullmatch(r"(missing_test|pending_result):day(\d+)", reason)
    texts = labels.get("reasons", {})
    if m:
        return str(texts.get(m[1], reason)).format(day=m[2])
    return str(texts.get(reason, reason))


def render(env: Environment, name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)
