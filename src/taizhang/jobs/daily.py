"""`taizhang daily` and `taizhang demo`: the whole day, unattended.

One run: take the lock, import the inbox, compute the day once, write the
due lists, the report in every format and the notices into `out/D/` (each
file written to a temporary name and renamed), append to `out/taizhang.log`,
and report failure through the exit code so cron or Task Scheduler notices.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from taizhang.config import Config
from taizhang.errors import TaizhangError, UsageError
from taizhang.ingest.files import find_input_files
from taizhang.ingest.validation import Validator
from taizhang.jobs.lock import daily_lock, file_logger, log_failure
from taizhang.jobs.progress import ProgressLines
from taizhang.ledger.faults import ledger_error
from taizhang.ledger.importer import import_paths
from taizhang.ledger.store import Store
from taizhang.outputs.atomic import os_error_reason, write_text
from taizhang.outputs.daily_data import gather
from taizhang.outputs.daily_report import REPORT_FORMATS, write_report
from taizhang.outputs.due_lists import lists_csv, mask_lists, write_lists_xlsx
from taizhang.outputs.notices import NOTICE_KINDS, notice_people, write_notices
from taizhang.outputs.tasks import ROLES, group_tasks, responsible_people, task_lines
from taizhang.outputs.templating import load_labels
from taizhang.outputs.unregistered import summary_line, unregistered_csv
from taizhang.policy.model import Policy
from taizhang.privacy import LOG_FILTER, mask_field, mask_text, mask_tree, mask_value


@dataclass(slots=True)
class DailyResult:
    ok: bool
    out_dir: Path
    outputs: list[Path] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


def run_daily(config: Config, db_path: Path, policy: Policy, day: date, wait: float = 600.0
              ) -> DailyResult:
    if config.source is None:
        raise UsageError("当前文件夹不是工作目录（没有 taizhang.toml）：请在工作目录中运行 taizhang daily，"
                         "或用 taizhang --config 路径/taizhang.toml daily 指定；新建工作目录用 taizhang init")
    inbox = config.paths.get("inbox")
    if inbox is None:
        raise UsageError("配置文件中没有 inbox（各村表格放在哪个文件夹）：请运行 taizhang init 或在"
                         "taizhang.toml 中添加 inbox = \"inbox\"")
    out_root = config.paths.get("out") or Path("out")
    out_dir = out_root / day.isoformat()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason, advice = os_error_reason(exc)
        raise TaizhangError(f"无法创建输出文件夹{out_dir}（{reason}）：{advice}") from None
    with daily_lock(out_root, wait):
        for stale in out_dir.glob(".*.tmp-*"):  # left by a run that was killed mid-write
            try:
                stale.unlink(missing_ok=True)
            except OSError:
                pass  # a folder that cannot be written fails below, with its message
        log_path = out_root / "taizhang.log"
        with file_logger(log_path) as log:
            log.addFilter(LOG_FILTER)  # every record masked and on one line, whatever its values
            log.info("开始 daily %s，数据库 %s", day.isoformat(), db_path)
            try:
                result = _run(config, db_path, policy, day, inbox, out_dir, log)
            except TaizhangError as exc:
                log.error("失败：%s", exc.message)
                raise
            except OSError as exc:  # what the writers did not already turn into a message
                reason, advice = os_error_reason(exc)
                log.error("写入失败：%s", reason)
                raise TaizhangError(
                    f"写入{exc.filename or out_dir}失败（{reason}）：{advice}") from None
            except sqlite3.Error as exc:
                fault = ledger_error(exc, db_path)
                if fault is None:
                    raise
                log.error("失败：%s", fault.message)
                raise fault from None
            log.info("结束 daily %s：%s", day.isoformat(), "成功" if result.ok else "有文件导入失败或备份失败")
            if (lost := log_failure(log, log_path)) is not None:
                result.summary.append(lost)
                result.ok = False
    return result


def _run(config: Config, db_path: Path, policy: Policy, day: date, inbox: Path, out_dir: Path,
         log: object) -> DailyResult:
    import logging

    assert isinstance(log, logging.Logger)
    result = DailyResult(True, out_dir)
    validator = Validator.from_settings(config, policy, day)
    templates = config.paths.get("templates")
    with Store(db_path, create=True) as store:
        if inbox.exists():
            _backup(store, day, log, result)
            report = import_paths(store, [inbox], validator, day,
                                  progress=ProgressLines(len(find_input_files([inbox])[0]), log.info))
        else:
            report = None
            log.warning("inbox 文件夹 %s 不存在，今天没有导入", inbox)
            result.summary.append(f"提示：inbox 文件夹 {inbox} 不存在，今天没有导入")
        if report is not None:
            counts = {s: sum(1 for o in report.outcomes if o.status == s)
                      for s in ("imported", "unchanged", "failed")}
            skipped = sum(1 for o in report.outcomes if o.status == "skipped")
            result.summary.append(f"导入：新文件 {counts['imported']} 个，未变化 {counts['unchanged']} 个，"
                                  f"失败 {counts['failed']} 个"
                                  + (f"，跳过非表格或taizhang生成的文件 {skipped} 个" if skipped else "")
                                  + f"；发现问题 {len(report.problems)} 条")
            for o in report.outcomes:
                if o.retracted:
                    log.info("撤下 %s：新版本中不再有旧版本的 %s 条记录", o.path, o.retracted)
                why = o.error or o.note
                log.info("导入 %s：%s%s", o.path, o.status, f"（{why}）" if why else "")
            for p in report.problems:
                log.info("问题 %s“%s”第%s行 %s：%s（值：%s）", p.path, p.sheet, p.row, p.code,
                         p.message, mask_field(p.field, p.value))
            for o in report.failed:
                result.summary.append(f"导入失败：{o.path}：{o.error}")
            result.ok = result.ok and report.ok
        data = gather(store, day, policy, config)
        lists = mask_lists(data.lists, mask_value)
        regimes = {k: r.name for k, r in policy.regimes.items()}
        stamp = day.isoformat()
        target = out_dir / f"今日名单_{stamp}.xlsx"
        labels = load_labels(templates)
        write_lists_xlsx(lists, target, config.township or "taizhang", regimes, labels)
        result.outputs.append(target)
        target = out_dir / f"今日名单_{stamp}.csv"
        write_text(target, lists_csv(lists, regimes, labels), encoding="utf-8-sig")
        result.outputs.append(target)
        import json

        target = out_dir / f"今日名单_{stamp}.json"
        write_text(target, json.dumps(lists, ensure_ascii=False, indent=2) + "\n")
        result.outputs.append(target)
        for fmt in REPORT_FORMATS:
            result.outputs.append(write_report(data, fmt, out_dir, mask_value, templates))
        for kind in NOTICE_KINDS:
            people = notice_people(store, data, kind, policy, None, mask_value)
            result.outputs.extend(write_notices(people, kind, data, "html", out_dir, templates, {}))
        target = out_dir / f"今日任务_{stamp}.txt"  # one WeChat line per 包保责任人 and 村医
        write_text(target, "".join(
            "\n".join(task_lines(group_tasks(data.lists, responsible_people(store, role), labels), role,
                                  labels, mask_text)) + "\n\n" for role in ROLES))
        result.outputs.append(target)
        strays = data.unregistered  # seen in tests or readings, never registered
        if strays:
            target = out_dir / f"未登记人员_{stamp}.csv"
            write_text(target, unregistered_csv(mask_tree(strays, mask_value), labels), encoding="utf-8-sig")
            result.outputs.append(target)
            result.summary.append(mask_text(summary_line(strays, labels, day)))
        _feedback(store, config, day, out_dir, templates, log, result)
    for path in result.outputs:
        log.info("输出 %s", path)
    totals = data.report["totals"]
    result.summary.append(
        f"{'零报告' if data.report['zero_report'] else '日报告'}：在管 {sum(totals['under_control'].values())} 人，"
        f"今日应检 {totals['tests_due']} 人次，逾期 {totals['tests_overdue']} 人次，阳性 {totals['positives']}，"
        f"发热 {totals['fever']}，未报送村 {totals['villages'] - totals['submitted']} 个")
    result.summary.append(f"输出文件夹：{out_dir}")
    return result


def _feedback(store: Store, config: Config, day: date, out_dir: Path, templates: Path | None,
              log: logging.Logger, result: DailyResult) -> None:
    """What each village must fix, into `out/D/退回修改/` (`outputs.feedback`),
    after the report: a failure here never costs the day's report, but the
    run exits 1 so whoever watches the job sees it."""
    from taizhang.ingest.headers import declared_columns
    from taizhang.outputs.feedback import write_feedback

    folder = out_dir / str(load_labels(templates)["feedback"]["folder"])
    try:
        written = write_feedback(store, day, folder, mask_value, None, templates,
                                 declared_columns(config.columns), config.township or "taizhang")
    except Exception as exc:  # any failure: logged, the run fails, the report stands
        reason = exc.message if isinstance(exc, TaizhangError) else f"{type(exc).__name__}: {str(exc)[:200]}"
        reason = mask_text(reason)
        log.error("退回修改清单写入失败：%s", reason)
        result.summary.append(f"退回修改清单写入失败（{reason}）：今天的名单和日报告已照常生成")
        result.ok = False
        return
    for village in written:
        result.outputs.extend(Path(f) for f in village.files)
        for note in village.notes:
            log.warning("退回修改 %s：%s", village.village, note)
    if written:
        result.summary.append(f"退回修改：{len(written)} 个村有待改问题（共 "
                              f"{sum(v.problems for v in written)} 处），见 {folder}")


def _backup(store: Store, day: date, log: logging.Logger, result: DailyResult) -> None:
    """The ledger as it was before today's import, into `backups/`. A failed
    backup does not stop the day (the lists are needed), but the run exits 1
    so whoever watches the job sees it."""
    from taizhang.jobs.backup import KEEP, backup_ledger

    try:
        copy, removed = backup_ledger(store, day)
    except (OSError, sqlite3.Error) as exc:
        log.error("备份台账失败：%s", getattr(exc, "strerror", None) or exc)
        result.summary.append(f"备份失败：无法把台账复制到 {store.path.parent / 'backups'}（{exc}）："
                              "请检查磁盘空间和文件夹权限；今天的导入和输出照常进行")
        result.ok = False
        return
    log.info("导入前备份台账到 %s（保留最近 %s 份）", copy, KEEP)
    for old in removed:
        log.info("删除旧备份 %s", old)
