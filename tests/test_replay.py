"""Determinism guard: histories recorded from real runs replay against the current workflow code.

A change to a workflow that would break its running executions (another activity order, a new step without
`workflow.patched`) makes the replay of its recorded history fail here, in CI, not in production.

Refreshing the recordings (after an intended change, once running workflows of the old shape are drained):

    GAVEURS_RECORD_HISTORIES=1 .venv/bin/pytest tests/test_replay.py -k record

runs every catalogued task with its catalogue example on the test stack and rewrites tests/histories/
(`GAVEURS_RECORD_ONLY=task_a,task_b` limits it to those tasks).
When executions of the old shape may still be running, keep the old history beside the new one (rename it
`<task>.<date>.json`) and guard the change with `workflow.patched("<change id>")`, so both replay.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from gaveurs.catalogue import CATALOGUE
from gaveurs.catalogue.maintenance import HEALTH_CHECK
from gaveurs.settings import Settings
from gaveurs.temporal_client import data_converter
from tests.fixtures_stack import Stack
from tests.lifecycle_workflows import ReorderedHealthCheck
from tests.waiting import wait_for_end
from workers.registry import workloads
from workers.run import SANDBOX

HISTORIES = Path(__file__).resolve().parent / "histories"
RECORDING = os.environ.get("GAVEURS_RECORD_HISTORIES") == "1"
RECORD_ONLY = {name for name in os.environ.get("GAVEURS_RECORD_ONLY", "").split(",") if name}


def recorded() -> list[tuple[str, WorkflowHistory]]:
    found = []
    for path in sorted(HISTORIES.glob("*.json")):
        saved = json.loads(path.read_text())
        found.append((path.stem, WorkflowHistory.from_json(saved["workflow_id"], saved["history"])))
    return found


def replayer(*workflows: type) -> Replayer:
    registered = [cls for load in workloads().values() for cls in load.workflows]
    return Replayer(
        workflows=list(workflows) or registered,
        # The workers' converter: encrypted histories decrypt with the test keys, clear ones pass through.
        data_converter=data_converter(Settings()),
        workflow_runner=SANDBOX,
        # Not the workers' [Exception]: with it, a history that no longer replays makes the replayer wait
        # for ever instead of raising NondeterminismError (determinism does not depend on this setting).
        workflow_failure_exception_types=[],
    )


@pytest.mark.skipif(RECORDING, reason="recording, not replaying")
async def test_every_catalogued_task_has_a_recorded_history() -> None:
    tasks = {name.split(".")[0] for name, _ in recorded()}
    missing = sorted(set(CATALOGUE) - tasks)
    assert not missing, (
        f"record a history for {missing}: GAVEURS_RECORD_HISTORIES=1 pytest tests/test_replay.py -k record"
    )


@pytest.mark.skipif(RECORDING, reason="recording, not replaying")
async def test_recorded_histories_replay_against_the_current_code() -> None:
    histories = recorded()
    assert histories

    async def each() -> AsyncIterator[WorkflowHistory]:
        for _, history in histories:
            yield history

    results = await replayer().replay_workflows(each(), raise_on_replay_failure=False)
    names = {history.run_id: name for name, history in histories}
    failures = {names.get(run_id, run_id): str(error) for run_id, error in results.replay_failures.items()}
    assert not failures


@pytest.mark.skipif(RECORDING, reason="recording, not replaying")
async def test_the_guard_catches_a_change_that_breaks_determinism() -> None:
    (history,) = [h for name, h in recorded() if name == HEALTH_CHECK.name]
    with pytest.raises(NondeterminismError):
        await replayer(ReorderedHealthCheck).replay_workflow(history)


@pytest.mark.skipif(not RECORDING, reason="set GAVEURS_RECORD_HISTORIES=1 to record histories")
def test_record_histories(api: httpx.Client, stack: Stack) -> None:
    if stack.backend != "sqlite":
        pytest.skip("histories are recorded once, on the SQLite stack")
    HISTORIES.mkdir(exist_ok=True)

    async def fetch(workflow_id: str, run_id: str) -> str:
        client = await stack.client()
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        return history.to_json()

    for name, spec in CATALOGUE.items():
        if RECORD_ONLY and name not in RECORD_ONLY:
            continue
        submitted = api.post(f"/api/tasks/run/{name}", json=spec.example.model_dump(mode="json"))
        assert submitted.status_code == 200, submitted.text
        body = submitted.json()
        assert wait_for_end(api, body["task_id"], timeout=300)["status"] == "SUCCESS", name
        history = asyncio.run(fetch(body["workflow_id"], body["run_id"]))
        saved = {"workflow_id": body["workflow_id"], "history": json.loads(history)}
        (HISTORIES / f"{name}.json").write_text(json.dumps(saved, indent=1, ensure_ascii=False) + "\n")
