"""Polling helpers: end-to-end tests wait on observable state, never on fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from temporalio.client import Client, WorkflowHandle

TERMINAL = {"SUCCESS", "FAILURE", "REVOKED"}


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last value: {last!r}")


def status_of(api: httpx.Client, task_id: str) -> dict[str, Any]:
    response = api.get(f"/api/tasks/status/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for_end(api: httpx.Client, task_id: str, timeout: float = 120.0) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        body = status_of(api, task_id)
        return body if body["status"] in TERMINAL else None

    result: dict[str, Any] = wait_until(finished, timeout=timeout, what=f"task {task_id} to finish")
    return result


def wait_for_status(api: httpx.Client, task_id: str, wanted: str, timeout: float = 60.0) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        body = status_of(api, task_id)
        assert body["status"] not in TERMINAL - {wanted}, f"task ended before {wanted}: {body}"
        return body if body["status"] == wanted else None

    result: dict[str, Any] = wait_until(reached, timeout=timeout, what=f"task {task_id} to be {wanted}")
    return result


def run_handle(client: Client, api: httpx.Client, task_id: str) -> WorkflowHandle[Any, Any]:
    """The Temporal handle of the one run a task_id names (its ids, as the status answer gives them)."""
    body = status_of(api, task_id)
    return client.get_workflow_handle(body["workflow_id"], run_id=body["run_id"])
