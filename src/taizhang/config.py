"""The settings files: the workspace configuration `taizhang.toml` and the policy file (SPEC §5, §6).

Only `township` and `villages` are needed in the config; `db`, `policy`,
`inbox`, `out` and `templates` are optional paths, relative to the config
file's folder. The policy file is read here and checked by
`taizhang.policy.model`, so the policy package itself does no I/O.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from taizhang.errors import UsageError, os_error_line
from taizhang.policy.model import Policy, parse_policy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_CONFIG = Path("taizhang.toml")
PATH_KEYS = ("db", "policy", "inbox", "out", "templates")
TEXT_KEYS = ("reporter", "reviewer", "contact_phone", "sample_site")


@dataclass(slots=True)
class Config:
    township: str = ""
    villages: list[str] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    source: Path | None = None
    # optional wording for reports and notices: reporter, reviewer, contact_phone, sample_site
    text: dict[str, str] = field(default_factory=dict)
    # [columns]: header as written -> canonical field (always wins over any guess)
    columns: dict[str, str] = field(default_factory=dict)
    # [values.FIELD]: cell text -> value, for codes that differ between systems
    values: dict[str, dict[str, str]] = field(default_factory=dict)


def load_config(path: Path | None) -> Config:
    """Read the config; `None` means `./taizhang.toml` if it exists, else empty.

    An explicitly named file that is missing or malformed is a usage error.
    """
    explicit = path is not None
    path = path or DEFAULT_CONFIG
    if not path.exists():
        if explicit:
            raise UsageError(f"找不到配置文件{path}：请检查--config，或先运行 taizhang init")
        return Config()
    try:
        source = path.read_text(encoding="utf-8-sig")
        data = tomllib.loads(source)
    except OSError as exc:
        raise UsageError(os_error_line(f"无法读取配置文件{path}", exc)) from None
    except UnicodeDecodeError:
        raise UsageError(f"无法读取配置文件{path}：不是UTF-8编码，请用记事本打开后另存为UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, source, exc) from None
    if (escaped := _escaped_path(path, source)) is not None:
        raise escaped
    township = data.get("township", "")
    villages = data.get("villages", [])
    if not isinstance(township, str):
        raise UsageError(f"配置文件{path}中 township 应为文字，如 township = \"青石镇\"")
    if not isinstance(villages, list) or not all(isinstance(v, str) for v in villages):
        raise UsageError(f"配置文件{path}中 villages 应为列表，如 villages = [\"平阳村\", \"东溪村\"]")
    paths: dict[str, Path] = {}
    for key in PATH_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise UsageError(f"配置文件{path}中 {key} 应为路径文字")
        candidate = Path(value)
        paths[key] = candidate if candidate.is_absolute() else path.parent / candidate
    text = {key: str(data.get(key, "")) for key in TEXT_KEYS}
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise UsageError(f"配置文件{path}中 [columns] 每行应为 \"表头\" = \"字段名\"，"
                         "如 \"抵丽日期\" = \"arrival_date\"")
    values = data.get("values", {})
    if not isinstance(values, dict) or not all(
            isinstance(table, dict) and all(isinstance(v, str | int | float) for v in table.values())
            for table in values.values()):
        raise UsageError(f"配置文件{path}中 [values.字段名] 每行应为 \"表中写法\" = \"含义\"，"
                         "如 [values.result] 下写 \"0\" = \"阴性\"")
    return Config(township.strip(), [v.strip() for v in villages if v.strip()], paths, path, text,
                  {str(k): v for k, v in columns.items()},
                  {str(f): {str(k): str(v) for k, v in table.items()} for f, table in values.items()})


# a top-level `key = "value"` line, the value as written between double quotes
_BASIC_STRING = re.compile(r'^\s*([A-Za-z_]+)\s*=\s*"([^"]*)"')


def _windows_path_hint(path: Path, number: int, line: str, value: str) -> UsageError:
    """A Windows path in double quotes, where `\\t`, `\\n`… are escapes."""
    return UsageError(f"配置文件{path}第{number}行 {line.strip()}：Windows路径请用单引号 '{value}' "
                      f"或正斜杠 \"{value.replace(chr(92), '/')}\"（双引号中的 \\ 有特殊含义）")


def _toml_error(path: Path, source: str, exc: Exception) -> UsageError:
    """The TOML error in Chinese, naming the line; a backslash in a double-quoted
    string (a Windows path) gets the fix for it."""
    found = re.search(r"at line (\d+)", str(exc))
    number = int(found.group(1)) if found else 0
    lines = source.splitlines()
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    where = f"第{number}行 {line.strip()}" if line.strip() else (f"第{number}行" if number else "")
    if (match := _BASIC_STRING.match(line)) and "\\" in match.group(2):
        if match.group(1) in PATH_KEYS or re.match(r"[A-Za-z]:\\|\\\\", match.group(2)):
            return _windows_path_hint(path, number, line, match.group(2))
        return UsageError(f"配置文件{path}{where}：双引号中的 \\ 有特殊含义：请写成 \\\\，或改用单引号")
    return UsageError(f"配置文件{path}{where}：格式错误（{exc}）：请对照 taizhang init 生成的配置改正；"
                      "文字（包括中文）要用英文双引号括起来，如 township = \"青石镇\"")


def _escaped_path(path: Path, source: str) -> UsageError | None:
    """A path key whose double-quoted value holds an escape other than `\\\\`:
    "D:\\taizhang\\new" is valid TOML, but a tab and a line break, not a path."""
    for number, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith("["):
            break  # the path keys are top-level, before any table
        match = _BASIC_STRING.match(line)
        if match and match.group(1) in PATH_KEYS and "\\" in match.group(2).replace("\\\\", ""):
            return _windows_path_hint(path, number, line, match.group(2))
    return None


def default_policy_text() -> str:
    """The packaged default policy (`taizhang/policy/default_policy.toml`)."""
    return resources.files("taizhang.policy").joinpath("default_policy.toml").read_text(encoding="utf-8")


def load_policy(path: Path | None = None) -> Policy:
    """Read and check a policy file (the packaged default when `path` is None)."""
    if path is None:
        return parse_policy(default_policy_text(), "默认政策")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(os_error_line(f"无法读取政策文件{path}", exc)) from None
    return parse_policy(text, str(path))
