"""A task_id names one run of one piece of work: `<readable workflow id>.<run tag>`.

The workflow id stays readable and tied to the work (`train-pysr-lot-3472`), so starting the same work while
it runs joins it. The run tag (the last 8 hex digits of Temporal's run id, its random part) makes each run's
task_id its own: a client polling an old task_id keeps reading that run's status and result after the same
work ran again. A bare workflow id (what the `temporal` CLI shows) addresses the latest run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RUN_TAG_LENGTH = 8
_TASK_ID = re.compile(rf"^(?P<workflow_id>.+)\.(?P<tag>[0-9a-f]{{{RUN_TAG_LENGTH}}})$")


@dataclass(frozen=True)
class TaskRef:
    workflow_id: str
    run_tag: str | None  # None: the latest run


def run_tag(run_id: str) -> str:
    return run_id.replace("-", "")[-RUN_TAG_LENGTH:].lower()


def format_task_id(workflow_id: str, run_id: str) -> str:
    return f"{workflow_id}.{run_tag(run_id)}"


def parse_task_id(task_id: str) -> TaskRef:
    match = _TASK_ID.match(task_id)
    if match is None:
        return TaskRef(workflow_id=task_id, run_tag=None)
    return TaskRef(workflow_id=match["workflow_id"], run_tag=match["tag"])
