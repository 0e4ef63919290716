"""Logs of workers and the API: one JSON object per line, with the task they belong to, contacts masked.

Each line carries `ts`, `level`, `logger`, `message` and, when the line was logged for a task, `task_id`,
`workflow_id`, `run_id`, `workflow_type` and, inside an activity, `activity_type`, `activity_id`, `attempt`.
Temporal's own loggers (`workflow.logger`, `activity.logger`) attach that context to their records; for
any other logger called inside an activity (ours, twilio's, httpx's) it is read from the running activity.
Phone numbers and e-mail addresses are masked in every message and traceback, whoever logged them.

`LOG_FORMAT=text` gives the classic one-line text for a person at a terminal.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from temporalio import activity, workflow

from gaveurs.notify.privacy import MaskContactsFilter, mask_contacts
from gaveurs.settings import Settings
from gaveurs.task_ids import format_task_id

# LogRecord attributes every record has: anything else on a record was passed as `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "temporal_workflow",
    "temporal_activity",
    "workflow_info",
    "activity_info",
    "temporal_log",
    "color_message",
}
_FROM_WORKFLOW = ("workflow_id", "run_id", "workflow_type", "task_queue", "namespace", "attempt")
_FROM_ACTIVITY = ("activity_type", "activity_id", "workflow_type", "task_queue", "namespace", "attempt")


def task_context(record: logging.LogRecord) -> dict[str, Any]:
    """The task a record belongs to, from Temporal's logger extras or the activity running this code."""
    context: dict[str, Any] = {}
    details: Any = getattr(record, "temporal_activity", None)
    if details is None and activity.in_activity():
        details = activity.info()._logger_details()
    if isinstance(details, Mapping):
        context.update({key: details.get(key) for key in _FROM_ACTIVITY if details.get(key) is not None})
        if details.get("workflow_id"):
            context["workflow_id"] = details["workflow_id"]
            context["run_id"] = details.get("workflow_run_id")
    flow = getattr(record, "temporal_workflow", None)
    if isinstance(flow, dict):
        context.update({key: flow[key] for key in _FROM_WORKFLOW if flow.get(key) is not None})
    if context.get("workflow_id") and context.get("run_id"):
        context["task_id"] = format_task_id(context["workflow_id"], context["run_id"])
    return context


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return mask_contacts(value) if isinstance(value, str) else value
    return mask_contacts(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_contacts(record.getMessage()),
        }
        entry.update(task_context(record))
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = _plain(value)
        if record.exc_info:
            entry["exception"] = mask_contacts(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_contacts(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The text format, with the task id appended when there is one, and contacts masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = mask_contacts(super().format(record))
        task_id = task_context(record).get("task_id")
        return f"{text} [{task_id}]" if task_id else text


def configure_logging(settings: Settings) -> logging.Handler:
    """Route every logger of this process to one stderr handler in the settings' format; returns it.

    For process entry points (`python -m workers`, `python -m api`), not for library code or tests.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    # On the handler, not a logger: it then sees records propagated from every logger.
    handler.addFilter(MaskContactsFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Python warnings (deprecations in libraries…) become records too, instead of raw lines on stderr.
    logging.captureWarnings(True)
    # Uvicorn's loggers print through their own handlers: send them through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    if settings.log_format == "json":
        # The context goes into fields, not appended to the message text.
        workflow.logger.workflow_info_on_message = False
        activity.logger.activity_info_on_message = False
    return handler
