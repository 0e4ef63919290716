"""The ML tasks that run others, on the running stack: periodic detection and its alerts, retrain-all, history.

The anomaly alerts themselves go through SMTP, whose loopback sink is not part of this test stack: these tests
read the alert workflows back from Temporal (their start, id, parent, queue and input), not their delivery.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from api.main import create_app
from gaveurs.contracts.notifications import AnomalyAlertInput
from gaveurs.db.migrate import upgrade
from gaveurs.farm.truths import PlantedTruths
from gaveurs.search_attributes import SITE_CODE
from gaveurs.settings import Settings
from gaveurs.temporal_server import DevServer, free_port
from tests.fixtures_stack import Stack
from tests.waiting import TERMINAL, status_of, wait_for_end

TIMEOUT = 240.0


def expected_alert_id(site: str, lot_ids: list[int]) -> str:
    """The alert's id names its site and critical lots (gaveurs.ml.anomalies.alert_key), spelled out here."""
    lots = ",".join(str(i) for i in sorted(lot_ids))
    return f"anomaly-alert-{site}-{hashlib.sha256(lots.encode()).hexdigest()[:12]}"


async def child_starts(client: Client, workflow_id: str, run_id: str) -> tuple[list[str], list[str]]:
    """Ids of the child workflows a run started, and of those it tried to start but found already there."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    started = [
        e.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED
    ]
    refused = [
        e.start_child_workflow_execution_failed_event_attributes.workflow_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED
    ]
    return started, refused


async def alert_input(client: Client, alert_id: str) -> AnomalyAlertInput:
    history = await client.get_workflow_handle(alert_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    (decoded,) = await client.data_converter.decode(started.input.payloads, [AnomalyAlertInput])
    assert isinstance(decoded, AnomalyAlertInput)
    return decoded


def test_periodic_detection_alerts_each_critical_site_once(
    api: httpx.Client, stack: Stack, small_truths: PlantedTruths
) -> None:
    first = api.post("/api/tasks/ml/anomalies/detect-all").json()
    assert first["workflow_id"] == "detect-anomalies-periodic"
    done = wait_for_end(api, first["task_id"], timeout=TIMEOUT)
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    planted = set(small_truths.anomalous_lot_ids)
    assert {s["site_code"] for s in result["sites"]} == {"LL", "LS", "MT"}
    assert {i for s in result["sites"] for i in s["critical_lot_ids"]} == planted
    critical_sites = {s["site_code"]: s for s in result["sites"] if s["critical_lot_ids"]}
    assert critical_sites and result["alerts_started"] == len(critical_sites)
    for site, summary in critical_sites.items():
        assert summary["alert"] == "started"
        assert summary["alert_workflow_id"] == expected_alert_id(site, summary["critical_lot_ids"])
    assert all(s["alert"] == "none" for s in result["sites"] if not s["critical_lot_ids"])

    second = api.post("/api/tasks/ml/anomalies/detect-all").json()
    assert second["task_id"] != first["task_id"]  # the first run ended: this is a new run of the same work
    again = wait_for_end(api, second["task_id"], timeout=TIMEOUT)
    assert again["status"] == "SUCCESS", again
    assert again["result"]["alerts_started"] == 0
    assert {s["site_code"]: s["alert"] for s in again["result"]["sites"] if s["critical_lot_ids"]} == {
        site: "already_started" for site in critical_sites
    }

    async def read_back() -> None:
        client = await stack.client()
        alert_ids = {s["alert_workflow_id"] for s in critical_sites.values()}
        # Exactly one alert per critical site started by the first run; the second started none.
        started, refused = await child_starts(client, done["workflow_id"], done["run_id"])
        assert sorted(started) == sorted(alert_ids) and refused == []
        started, refused = await child_starts(client, again["workflow_id"], again["run_id"])
        assert started == [] and sorted(refused) == sorted(alert_ids)
        for site, summary in critical_sites.items():
            alert_id = summary["alert_workflow_id"]
            runs = [e async for e in client.list_workflows(f"WorkflowId = '{alert_id}'")]
            assert len(runs) == 1, f"{alert_id} ran {len(runs)} times"
            described = await client.get_workflow_handle(alert_id).describe()
            assert described.workflow_type == "send_anomaly_alert" and described.task_queue == "notifications"
            assert described.parent_id == done["workflow_id"] and described.parent_run_id == done["run_id"]
            assert described.typed_search_attributes.get(SITE_CODE) == site
            alert = await alert_input(client, alert_id)
            assert alert.site_code == site
            assert sorted(a.lot_id for a in alert.anomalies) == summary["critical_lot_ids"]
            assert all(a.severity == "critical" for a in alert.anomalies)
        # The alerts were abandoned by their parent, which has ended: stop them (no SMTP sink here).
        for alert_id in alert_ids:
            handle = client.get_workflow_handle(alert_id)
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over: the stack has no SMTP sink")

    asyncio.run(read_back())


def test_retrain_all_reports_a_failing_child_and_counts_finished_children(
    api: httpx.Client, stack: Stack
) -> None:
    # ZZ is a well-formed site code the farm does not have: its two children fail, the others do not.
    submitted = api.post("/api/tasks/ml/retrain-all?site_codes=LL&site_codes=ZZ&horizons=30&max_parallel=2")
    assert submitted.status_code == 200, submitted.text
    task_id = submitted.json()["task_id"]
    seen: list[tuple[int, str]] = []
    deadline = time.monotonic() + TIMEOUT
    while (state := status_of(api, task_id))["status"] not in TERMINAL:
        if state["progress"] is not None and state["stage"]:
            seen.append((state["progress"], state["stage"]))
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    assert state["status"] == "SUCCESS", state
    result = state["result"]
    assert result["status"] == "partial" and result["n_children"] == 5 and result["max_parallel"] == 2
    assert (result["n_succeeded"], result["n_failed"]) == (3, 2)
    by_name = {(c["task_name"], c["site_code"], c["horizon_days"]): c for c in result["children"]}
    assert set(by_name) == {
        ("cluster_gaveurs_async", None, None),
        ("detect_anomalies_async", "LL", None),
        ("detect_anomalies_async", "ZZ", None),
        ("train_prophet_async", "LL", 30),
        ("train_prophet_async", "ZZ", 30),
    }
    for (_, site, _), child in by_name.items():
        if site == "ZZ":
            assert child["status"] == "failed" and child["error"] == "SiteNotFound: site ZZ not found", child
        else:
            assert child["status"] == "success" and child["summary"] and child["metrics"], child
    assert by_name["train_prophet_async", "LL", 30]["metrics"]["mape_pct"] <= 10
    assert by_name["cluster_gaveurs_async", None, None]["metrics"]["adjusted_rand_index"] >= 0.6

    # Progress counted finished children, in the stage text, never going back.
    counted = [(p, s) for p, s in seen if "modèles terminés" in s]
    assert counted, seen
    assert [p for p, _ in counted] == sorted(p for p, _ in counted)
    assert len({s for _, s in counted}) >= 2, counted
    assert any("en échec" in s for _, s in counted) or len(counted) < 5

    async def children() -> None:
        client = await stack.client()
        for child in result["children"]:
            described = await client.get_workflow_handle(child["workflow_id"]).describe()
            assert described.parent_id == state["workflow_id"] and described.parent_run_id == state["run_id"]
            assert described.task_queue == "ml_light"
            want = (
                WorkflowExecutionStatus.FAILED
                if child["site_code"] == "ZZ"
                else WorkflowExecutionStatus.COMPLETED
            )
            assert described.status == want, child

    asyncio.run(children())


def test_history_lists_past_runs_with_their_metrics(api: httpx.Client) -> None:
    for _ in range(2):
        body = api.post("/api/tasks/ml/prophet/train?site_code=LS&horizon_days=7").json()
        assert wait_for_end(api, body["task_id"], timeout=TIMEOUT)["status"] == "SUCCESS"

    answer = api.get("/api/ml/history?task=train_prophet_async&site_code=LS&limit=2")
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert (history["task"], history["site_code"], history["limit"], history["count"]) == (
        "train_prophet_async",
        "LS",
        2,
        2,
    )
    runs = history["runs"]
    assert [r["created_at"] for r in runs] == sorted((r["created_at"] for r in runs), reverse=True)
    assert runs[0]["run_id"] != runs[1]["run_id"]
    for run in runs:
        assert run["task_name"] == "train_prophet_async" and run["site_code"] == "LS"
        assert run["metrics"]["horizon_days"] == 7 and run["metrics"]["mape_pct"] <= 10
        assert run["engine"] == "prophet" and run["payload"] is None

    full = api.get("/api/ml/history?task=app.tasks.ml_tasks.train_prophet_async&limit=1&include_payload=true")
    assert full.status_code == 200 and full.json()["task"] == "train_prophet_async"
    assert len(full.json()["runs"][0]["payload"]["forecast"]) in {7, 30, 90}

    everything = api.get("/api/ml/history?limit=500").json()
    assert {"train_prophet_async"} <= {r["task_name"] for r in everything["runs"]}

    unknown = api.get("/api/ml/history?task=train_everything")
    assert unknown.status_code == 422 and unknown.json()["message"].startswith("task: no task named")
    assert api.get("/api/ml/history?site_code=lille").status_code == 422
    assert api.get("/api/ml/history?limit=0").status_code == 422


@pytest.fixture(scope="module")
def guarded_api(temporal_server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API with API_TOKEN set, served in this process over real HTTP, on an empty migrated database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ml-history') / 'farm.db'}"
    upgrade(url)
    settings = Settings(
        api_token=SecretStr("ml-secret"), temporal_address=temporal_server.address, database_url=url
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def test_history_needs_the_token_when_one_is_set(guarded_api: str) -> None:
    assert httpx.get(f"{guarded_api}/api/ml/history").status_code == 401
    answer = httpx.get(f"{guarded_api}/api/ml/history", headers={"Authorization": "Bearer ml-secret"})
    assert answer.status_code == 200 and answer.json()["runs"] == [] and answer.json()["count"] == 0
