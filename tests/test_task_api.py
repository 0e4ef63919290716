"""The task API over HTTP against real workers: errors, idempotent starts, cancel, listing, stats, events."""

from __future__ import annotations

import asyncio
import json
import subprocess

import httpx
from temporalio.api.enums.v1 import EventType

from gaveurs.temporal_server import temporal_cli
from tests.fixtures_stack import Stack
from tests.waiting import TERMINAL, run_handle, status_of, wait_for_end, wait_for_status, wait_until

# Enough search to keep a fit busy for minutes: long enough to watch, cancel or kill it.
LONG_FIT = "restarts=32&generations=3000"


def test_unknown_task_is_404(api: httpx.Client) -> None:
    for response in (api.get("/api/tasks/status/no-such-task"), api.delete("/api/tasks/cancel/no-such-task")):
        assert response.status_code == 404
        assert "no-such-task" in response.json()["detail"]


def test_bad_parameters_are_422_with_a_readable_message(api: httpx.Client) -> None:
    cases = {
        "/api/tasks/ml/pysr/train?lot_id=0": "lot_id",
        "/api/tasks/ml/pysr/train?lot_id=abc": "lot_id",
        "/api/tasks/ml/pysr/train": "lot_id",
        "/api/tasks/export/pdf/lot?lot_id=3472&report_type=everything": "report_type",
        "/api/tasks/ml/anomalies/detect?site_code=toolong": "site_code",
    }
    for url, field in cases.items():
        response = api.post(url)
        assert response.status_code == 422, url
        assert response.json()["message"].startswith(field), response.json()


def test_invalid_phone_is_refused_before_any_task_starts(api: httpx.Client) -> None:
    before = api.get("/api/tasks/stats").json()["queues"]["notifications"]["total"]
    response = api.post("/api/tasks/notifications/sms", json={"phone": "0612345678", "message": "x"})
    assert response.status_code == 422
    assert "E.164" in response.json()["message"]
    assert api.get("/api/tasks/stats").json()["queues"]["notifications"]["total"] == before


def test_unknown_lot_fails_at_once_without_retries(api: httpx.Client, stack: Stack) -> None:
    task_id = api.post("/api/tasks/export/pdf/lot?lot_id=999999").json()["task_id"]
    done = wait_for_end(api, task_id, timeout=30)
    assert done["status"] == "FAILURE"
    assert done["error"] == "LotNotFound: lot 999999 not found"

    async def failure_and_steps() -> tuple[bool, list[str]]:
        client = await stack.client()
        history = await run_handle(client, api, task_id).fetch_history()
        failed = next(
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
        )
        cause = failed.workflow_execution_failed_event_attributes.failure
        while cause.HasField("cause"):  # ActivityFailure → the activity's ApplicationError
            cause = cause.cause
        scheduled = [
            e.activity_task_scheduled_event_attributes.activity_type.name
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        ]
        return cause.application_failure_info.non_retryable, scheduled

    non_retryable, scheduled = asyncio.run(failure_and_steps())
    # The lookup refused the lot as non-retryable, and no rendering was ever scheduled.
    assert non_retryable and scheduled == []


def test_second_start_while_running_joins_the_running_task(api: httpx.Client) -> None:
    url = f"/api/tasks/ml/pysr/train?lot_id=3473&{LONG_FIT}"
    first = api.post(url).json()
    second = api.post(url).json()
    try:
        assert second["task_id"] == first["task_id"]
        assert second["already_running"] is True
    finally:
        api.delete(f"/api/tasks/cancel/{first['task_id']}")
        wait_for_end(api, first["task_id"], timeout=60)


def test_cancel_really_stops_the_running_fit(api: httpx.Client, stack: Stack) -> None:
    task_id = api.post(f"/api/tasks/ml/pysr/train?lot_id=3474&{LONG_FIT}").json()["task_id"]
    started = wait_until(
        lambda: (s := status_of(api, task_id))["status"] == "STARTED" and s.get("worker") and s,
        timeout=60,
        what="the fit activity to run on a worker",
    )
    assert started["worker"].startswith("ml_heavy@")
    assert started["progress"] is not None

    active = api.get("/api/tasks/list/active?limit=50").json()
    listed = {t["task_id"]: t for t in active["tasks"]}
    assert active["total"] >= 1 and listed[task_id]["task_name"] == "train_pysr_async"

    response = api.delete(f"/api/tasks/cancel/{task_id}")
    assert response.status_code == 200
    assert response.json() == {
        "status": "cancelled",
        "task_id": task_id,
        "message": "Task cancellation requested",
    }

    revoked = wait_for_end(api, task_id, timeout=30)
    assert revoked["status"] == "REVOKED"

    async def activity_cancel_confirmed() -> bool:
        client = await stack.client()
        history = await run_handle(client, api, task_id).fetch_history()
        return any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED for e in history.events)

    # WAIT_CANCELLATION_COMPLETED: the workflow closed only after the activity confirmed it stopped.
    assert asyncio.run(activity_cancel_confirmed())
    assert api.delete(f"/api/tasks/cancel/{task_id}").status_code == 409


def test_stats_show_pollers_on_every_queue(api: httpx.Client) -> None:
    stats = api.get("/api/tasks/stats").json()
    assert stats["nb_workers"] == len(stats["workers"]) >= 5
    for queue in ("ml_heavy", "ml_light", "exports", "notifications", "default"):
        info = stats["queues"][queue]
        assert info["workflow_pollers"] and info["activity_pollers"], queue
        assert all(p["identity"].startswith(f"{queue}@") for p in info["activity_pollers"])
    assert {"tasks_active", "tasks_scheduled", "tasks_reserved", "total_pending", "worker_stats"} <= set(
        stats
    )


def test_progress_is_pushed_as_server_sent_events(api: httpx.Client, stack: Stack) -> None:
    task_id = api.post("/api/tasks/ml/pysr/train?lot_id=3475&restarts=3&generations=200").json()["task_id"]
    seen: list[dict[str, object]] = []
    with httpx.stream("GET", f"{stack.api_url}/api/tasks/events/{task_id}", timeout=120) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = "message"
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                seen.append(json.loads(line[5:]))
                if event == "end":
                    break
    assert seen[-1]["status"] == "SUCCESS"
    progress: list[int] = [
        int(str(s["progress"]))
        for s in seen[:-1]
        if s["status"] not in TERMINAL and s["progress"] is not None
    ]
    assert progress == sorted(progress) and len(set(progress)) >= 2, seen


def test_health_check_reports_every_component(api: httpx.Client) -> None:
    task_id = api.post("/api/tasks/system/health-check").json()["task_id"]
    done = wait_for_end(api, task_id, timeout=60)
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    assert result["status"] == "healthy", result
    expected = {"database", "artifact_store"} | {
        f"queue:{q}" for q in ("ml_heavy", "ml_light", "exports", "notifications", "default")
    }
    assert set(result["checks"]) == expected
    assert "lots" in result["checks"]["database"]["detail"]


def test_anomaly_detection_finds_the_planted_lots(api: httpx.Client) -> None:
    from gaveurs.farm.generator import generate_farm

    planted = set(generate_farm("small").truths.anomalous_lot_ids)
    task_id = api.post("/api/tasks/ml/anomalies/detect").json()["task_id"]
    done = wait_for_end(api, task_id, timeout=60)
    assert done["status"] == "SUCCESS", done
    found = {a["lot_id"] for a in done["result"]["anomalies"]}
    assert len(found & planted) >= 0.8 * len(planted), (sorted(found), sorted(planted))
    assert len(found - planted) <= max(2, len(planted) // 2)


def test_unknown_site_fails_with_a_clear_error(api: httpx.Client) -> None:
    task_id = api.post("/api/tasks/ml/anomalies/detect?site_code=ZZ").json()["task_id"]
    done = wait_for_end(api, task_id, timeout=30)
    assert done["status"] == "FAILURE" and done["error"] == "SiteNotFound: site ZZ not found"


def test_cli_lists_tasks_by_search_attribute(api: httpx.Client, stack: Stack) -> None:
    submitted = api.post("/api/tasks/system/health-check").json()
    wait_for_end(api, submitted["task_id"], timeout=60)
    listed = subprocess.run(
        [temporal_cli(), "workflow", "list", "--address", stack.temporal_address, "--namespace", stack.namespace,
         "--query", "TaskName='health_check_periodic' AND Queue='default'", "--output", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert submitted["workflow_id"] in listed.stdout and submitted["run_id"] in listed.stdout


def test_status_reports_running_tasks_as_started_with_progress(api: httpx.Client) -> None:
    task_id = api.post(f"/api/tasks/ml/pysr/train?lot_id=3476&{LONG_FIT}").json()["task_id"]
    try:
        body = wait_for_status(api, task_id, "STARTED")
        assert 0 <= body["progress"] <= 100 and body["stage"]
        assert body["task_name"] == "train_pysr_async" and body["queue"] == "ml_heavy"
    finally:
        api.delete(f"/api/tasks/cancel/{task_id}")
        wait_for_end(api, task_id, timeout=60)


def test_any_task_starts_by_its_seed_or_celery_name(api: httpx.Client) -> None:
    by_celery = api.post("/api/tasks/run/app.tasks.scheduled_tasks.health_check_periodic", json={})
    assert by_celery.status_code == 200, by_celery.text
    assert by_celery.json()["task_id"].startswith("health-check-")
    by_seed = api.post(
        "/api/tasks/run/detect_anomalies_async", json={"site_code": "LS", "contamination": 0.05}
    )
    assert by_seed.status_code == 200 and by_seed.json()["workflow_id"].startswith("detect-anomalies-LS")
    for task_id in (by_celery.json()["task_id"], by_seed.json()["task_id"]):
        assert wait_for_end(api, task_id)["status"] == "SUCCESS"

    unknown = api.post("/api/tasks/run/app.tasks.ml_tasks.nope", json={})
    assert unknown.status_code == 404 and "known tasks" in unknown.json()["message"]
    bad = api.post("/api/tasks/run/train_pysr_async", json={"lot_id": -4})
    assert bad.status_code == 422 and bad.json()["message"] == "lot_id: Input should be greater than 0"
    phone = api.post("/api/tasks/run/send_sms_alert", json={"phone": "0612345678", "message": "x"})
    assert phone.status_code == 422 and "E.164" in phone.json()["message"]


def test_status_waits_for_the_end_when_asked(api: httpx.Client) -> None:
    task_id = api.post("/api/tasks/system/health-check").json()["task_id"]
    done = api.get(f"/api/tasks/status/{task_id}?wait=30").json()  # one request, answered at the end
    assert done["status"] == "SUCCESS" and done["result"]["status"] == "healthy"
    assert api.get(f"/api/tasks/status/{task_id}?wait=999").status_code == 422


def test_progress_costs_no_history_and_the_training_set_stays_out_of_it(
    api: httpx.Client, stack: Stack
) -> None:
    short = api.post("/api/tasks/ml/pysr/train?lot_id=3477&restarts=1&generations=20").json()
    long = api.post("/api/tasks/ml/pysr/train?lot_id=3477&restarts=6&generations=20").json()
    for submitted in (short, long):
        assert wait_for_end(api, submitted["task_id"])["status"] == "SUCCESS"

    async def sizes() -> list[tuple[int, int]]:
        client = await stack.client()
        found = []
        for submitted in (short, long):
            description = await client.get_workflow_handle(
                submitted["workflow_id"], run_id=submitted["run_id"]
            ).describe()
            found.append(
                (
                    description.history_length,
                    description.raw_description.workflow_execution_info.history_size_bytes,
                )
            )
        return found

    (short_events, _), (long_events, long_bytes) = asyncio.run(sizes())
    # Six times the work, the same history: progress travels in heartbeats, not in events.
    assert short_events == long_events <= 30
    # The cohort's rows (hundreds of lots × features) never pass through history.
    assert long_bytes < 12_000, long_bytes
