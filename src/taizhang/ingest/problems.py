"""What validation reports: problem codes, their severity and their wording.

A problem is data, not an exception: a `Problem` carries the file, sheet, the
row number Excel shows, the column header as written, a code from the fixed
vocabulary of SPEC §4 (`SEVERITY`) and a Chinese message that tells the
village clerk how to fix it. Every message is written here, in `MESSAGES`, so
a problem code and everything a clerk may read about it are found in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ERROR, WARNING = "error", "warning"

# The fixed vocabulary of SPEC §4 and each code's severity.
SEVERITY: dict[str, str] = {
    "missing_required": ERROR,
    "id_length": ERROR,
    "id_checksum": ERROR,
    "id_birthdate": ERROR,
    "id_scientific": ERROR,
    "id_legacy": WARNING,
    "id_masked": ERROR,
    "phone_invalid": WARNING,
    "date_invalid": ERROR,
    "date_future": ERROR,
    "date_order": ERROR,
    "temp_invalid": ERROR,
    "result_invalid": ERROR,
    "sex_mismatch": WARNING,
    "duplicate_row": WARNING,
    "conflict": ERROR,
    "unknown_village": WARNING,
    "unknown_regime": ERROR,
    "village_unknown": WARNING,
    "date_assumed": WARNING,
}

# Why a row is rejected (RejectedRow.reason), quoted in its problem's message.
REJECTED_NO_PERSON = "没有姓名、身份证号和联系电话，无法对应到人"

# The message of each problem, as a `str.format` template. A key is the code,
# or `code/variant` where one code has several wordings; `{row}` is the row
# number Excel shows, `{header}` the column header on one line. `{detail}` and
# `{error}` are the reader's own description of what is wrong with the value
# (`IdResult.detail` in ids.py, `DateResult.error` / `TempResult.error` in values.py).
MESSAGES: dict[str, str] = {
    # a required column or cell is missing
    "missing_required/column": "{kind}中找不到“{labels}”列：请检查表头是否写错（第{row}行）",
    "missing_required/no_person": (
        "第{row}行" + REJECTED_NO_PERSON + "：已放入拒收行，请补填姓名和身份证号后重新发送"),
    "missing_required/name": "第{row}行缺少姓名：请补填",
    "missing_required/id_or_phone": "第{row}行身份证号和联系电话都为空：请至少补填身份证号",
    "missing_required/arrival": "第{row}行返乡日期和登记日期都为空：请至少补填返乡日期",
    # a roster: no date column at all (SPEC §2), the seeds' rule instead of an error
    "date_assumed": (
        "{kind}中没有“返乡日期”和“登记日期”列（第{row}行）：本表{n}人的登记日期暂按首次导入其名单的"
        "日期计（本次为{as_of}，已有日期的人不变），核酸和解除日期据此推算；请在表中增加“返乡日期”"
        "或“登记日期”列并补填后重新发送，补填的日期将取代暂定的日期"),
    "date_assumed/control_start": (
        "{kind}中没有“返乡日期”和“登记日期”列（第{row}行）：本表{n}人的管控期按“{header}”计算，"
        "登记日期暂按首次导入其名单的日期计（本次为{as_of}，已有日期的人不变），"
        "“{header}”为空的人核酸和解除日期据此推算；请在表中增加“返乡日期”列并补填后重新发送"),
    "missing_required/sample_date": "第{row}行缺少采样日期：请补填",
    "missing_required/date": "第{row}行缺少测温日期：请补填",
    "missing_required/temperature": "第{row}行缺少体温：请补填测量值",
    # ID numbers and phones
    "id_length": "第{row}行“{header}”{detail}：请核对证件号码，18位号码末位可以是X",
    "id_checksum": "第{row}行“{header}”{detail}：请对照证件逐位核对，常见是某一位录错",
    "id_birthdate": "第{row}行“{header}”{detail}：请核对号码第7–14位（出生日期）",
    "id_scientific": "第{row}行“{header}”{detail}：无法恢复，请把该列设为“文本”格式后按原证件重新录入",
    "id_legacy": "第{row}行“{header}”{detail}：已接受，建议更新为18位号码",
    "id_masked": (
        "第{row}行“{header}”{detail}，不能用来确认是谁，也不会保存：本行暂按姓名等其他信息对应并标为未核实；"
        "请向村里索取未打码的原始表格重新发送"),
    "id_masked/phone": (
        "第{row}行“{header}”是打码的号码（含*），不会作为联系电话保存：请向村里索取未打码的原始表格重新发送"),
    "phone_invalid": "第{row}行“{header}”不是有效的手机号（11位）或座机号：请核对号码",
    # dates
    "date_invalid": "第{row}行“{header}”{error}",  # `error` ends with its own advice
    "date_invalid/no_sample_date": "第{row}行“{header}”没有采样日期：请写成“1.29阴”或“2022/1/29 阴性”",
    "date_future": "第{row}行“{header}”{value}晚于{as_of}：请核对年份和月份",
    "date_order": "第{row}行离开风险地日期（{departure}）晚于返乡日期（{arrival}）：请核对两个日期",
    # temperatures and test results
    "temp_invalid": "第{row}行“{header}”{error}：请核对体温（如36.5），小数点是否漏写或多写",
    "result_invalid": "第{row}行“{header}”“{value}”无法识别：请填写阴性、阳性或待出",
    "result_invalid/embedded": "第{row}行“{header}”的结果“{value}”无法识别：请填写阴性、阳性或待出",
    # a code such as 0/1/99 means one thing in one system and another elsewhere: never guessed
    "result_invalid/code": (
        "第{row}行“{header}”的结果“{value}”是代码，不同系统含义不同，未作猜测：请在taizhang.toml中用"
        " [values.result] 按导出系统的说明写明每个代码的含义，如 \"{value}\" = \"阴性\" 或"
        " \"{value}\" = \"阳性\"，再导入该文件（已导入过的，先用 taizhang undo 撤销该批次）；"
        "或请村里改填阴性、阳性或待出"),
    # the row against its ID, other rows and other files
    "sex_mismatch": "第{row}行性别“{sex}”与身份证号（{id_sex}）不符：请核对性别或身份证号",
    "duplicate_row/person": "第{row}行与第{other_row}行是同一人（{name}）的重复记录：请删除其中一行",
    "duplicate_row/test": "第{row}行与第{other_row}行是同一人（{name}）同一天同一结果的重复记录：请删除其中一行",
    "duplicate_row/temperature": (
        "第{row}行与第{other_row}行是同一人（{name}）同一天同一时段的重复记录：请删除其中一行"),
    "duplicate_row/namesake": (
        "第{row}行与{other_rows}同名（{name}），都没有有效的身份证号和联系电话：已当作不同的人分别记录；"
        "如确是不同的人，请村里补填身份证号或联系电话以便区分，如是同一人的重复记录，请删除重复的行"),
    "duplicate_row/ambiguous": (
        "第{row}行{name}没有有效的身份证号和联系电话，而台账中{village}有{count}个同名的人：已记到其中第一个"
        "（{first}的{name}）；请村里补填身份证号或联系电话，以便对应到正确的人"),
    # `{who}` and `{hint}`: `conflict_fields`, by what makes the two rows one person
    "conflict/name": (
        "第{row}行{who}的姓名“{value}”与{other_file}“{other_sheet}”第{other_row}行的"
        "“{other_value}”不一致：请核对哪一个正确并改正{hint}"),
    "conflict/village": (
        "第{row}行{who}的村（社区）“{value}”与{other_file}“{other_sheet}”第{other_row}行的"
        "“{other_value}”不一致：请核对哪一个正确并改正{hint}"),
    "conflict/arrival_date": (
        "第{row}行{who}的返乡日期“{value}”与{other_file}“{other_sheet}”第{other_row}行的"
        "“{other_value}”不一致：请核对哪一个正确并改正{hint}"),
    "conflict/ledger": (
        "第{row}行{who}的{label}“{value}”与已导入的{where}的“{other_value}”不一致："
        "已按最新文件更新，请核对哪一个正确{hint}"),
    # names the configuration does not know
    "unknown_village": (
        "第{row}行村（社区）“{village}”不在配置的村名单中：请改正村名，或在taizhang.toml的villages中添加"),
    "unknown_village/close": (
        "第{row}行村（社区）“{village}”不在配置的村名单中，是否是“{close}”：请改正村名，"
        "或在taizhang.toml的villages中添加"),
    "village_unknown": (
        "本表找不到所属村（社区）：标题、文件名、工作表名中都没有村名，也没有村（社区）列，"
        "{n}行的人计入“村名未知”。请在文件名或标题中写明村名，或导入时用--village指定"),
    "village_unknown/rows": (
        "本表有{n}行的村（社区）为空，标题、文件名、工作表名中也没有村名（从第{row}行起）："
        "这些人计入“村名未知”。请补填村（社区），或导入时用--village指定"),
    "unknown_regime": (
        "第{row}行管控措施“{regime}”对应不到任何管控方案：请改为{examples}等方案名，"
        "或在政策文件中为它添加别名"),
}


# What makes two rows one person, by the kind of person key (`records.PersonKey`),
# for a conflict's message; without ID and phone the two may be two people.
_CONFLICT_WHO: dict[str, tuple[str, str]] = {
    "id": ("同一身份证号", ""),
    "np": ("同一姓名和联系电话（无有效身份证号）", "；如是两个人，请补填身份证号以便区分"),
    "nv": ("同村同名且都没有有效身份证号和联系电话", "；如是两个人，请补填身份证号或联系电话以便区分"),
}


def conflict_fields(person_key: str) -> dict[str, str]:
    """`{who}` and `{hint}` of a `conflict/…` message about the person with this key."""
    who, hint = _CONFLICT_WHO[person_key[:2]]
    return {"who": who, "hint": hint}


def code_of(key: str) -> str:
    """The problem code of a `MESSAGES` key (`missing_required/name` → `missing_required`)."""
    return key.partition("/")[0]


def message(key: str, **fields: Any) -> str:
    """The message `MESSAGES[key]` with its fields filled in."""
    return MESSAGES[key].format(**fields)


@dataclass(slots=True)
class Problem:
    path: str
    sheet: str
    row: int | None
    column: str
    field: str
    code: str
    severity: str
    value: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "sheet": self.sheet, "row": self.row, "column": self.column,
            "field": self.field, "code": self.code, "severity": self.severity,
            "value": self.value, "message": self.message,
        }


def problem_dicts(problems: list[Problem], mask: Callable[[str, str], str] | None
                  ) -> list[dict[str, Any]]:
    """Problems as JSON objects. With a `mask` (`privacy.mask_value`), every
    text in them is masked: the value by its field, and the path, sheet,
    column and message for whatever ID or phone they quote (an ID typed into
    日期, a phone in a file name)."""
    items = []
    for p in problems:
        item = p.to_dict()
        if mask is not None:
            for key in ("path", "sheet", "column", "message"):
                item[key] = mask(key, item[key])
            item["value"] = mask(p.field, p.value)
        items.append(item)
    return items
