"""What an operator sees of the running stack: Prometheus metrics of a worker and of the API, JSON log lines.

Real processes (the `stack` fixture starts `python -m workers all` and `python -m api` with a metrics port
each); counters are compared before and after the tasks run here, since the stack is shared.
"""

from __future__ import annotations

import json
import re

import httpx

from tests.fixtures_stack import Stack
from tests.waiting import wait_for_end, wait_until

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of a Prometheus text exposition: (name, labels, value)."""
    text = httpx.get(url, timeout=10).text
    samples = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = _SAMPLE.match(line)
        assert match, f"not Prometheus text format: {line!r}"
        labels = dict(_LABEL.findall(match["labels"] or ""))
        samples.append((match["name"], labels, float(match["value"])))
    return samples


def value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when there is none yet)."""
    return sum(v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items()))


def test_a_workers_metrics_count_task_outcomes_per_task_name_and_time_activities(
    api: httpx.Client, stack: Stack
) -> None:
    before = scrape(stack.workers_metrics_url)
    sms = api.post("/api/tasks/notifications/sms", json={"phone": "+33611223344", "message": "métriques"})
    missing_lot = api.post("/api/tasks/export/pdf/lot?lot_id=999999")
    assert wait_for_end(api, sms.json()["task_id"], timeout=60)["status"] == "SUCCESS"
    assert wait_for_end(api, missing_lot.json()["task_id"], timeout=60)["status"] == "FAILURE"

    def counted() -> list[tuple[str, dict[str, str], float]] | None:
        after = scrape(stack.workers_metrics_url)
        done = value(after, "gaveurs_tasks_succeeded_total", task_name="send_sms_alert") > value(
            before, "gaveurs_tasks_succeeded_total", task_name="send_sms_alert"
        )
        return after if done else None

    after = wait_until(counted, timeout=20, what="the worker's counters to move")

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("gaveurs_tasks_started_total", task_name="send_sms_alert", task_queue="notifications") >= 1
    assert delta("gaveurs_tasks_succeeded_total", task_name="send_sms_alert") >= 1
    assert delta("gaveurs_tasks_failed_total", task_name="send_sms_alert") == 0
    report = "generate_lot_pdf_report"
    assert delta("gaveurs_tasks_started_total", task_name=report) >= 1
    assert delta("gaveurs_tasks_failed_total", task_name=report, error_type="LotNotFound") >= 1
    assert delta("gaveurs_tasks_succeeded_total", task_name=report) == 0
    # The SDK's own metrics come through the same endpoint: activity execution time as a histogram.
    histogram = "temporal_activity_execution_latency_seconds_count"
    assert delta(histogram, activity_type="send_sms", task_queue="notifications") >= 1, sorted(
        {n for n, _, _ in after if "activity" in n}
    )


def test_the_apis_metrics_count_requests_per_route_template_and_status(
    api: httpx.Client, stack: Stack
) -> None:
    route = "/api/tasks/status/{task_id}"
    before = scrape(stack.api_metrics_url)
    for _ in range(3):
        assert api.get("/api/tasks/status/no-such-task").status_code == 404
    assert api.get("/api/tasks/catalogue").status_code == 200
    after = scrape(stack.api_metrics_url)
    requests = "gaveurs_api_requests_total"
    assert (
        value(after, requests, route=route, method="GET", status="404")
        - value(before, requests, route=route, method="GET", status="404")
        == 3
    )
    assert value(after, requests, route="/api/tasks/catalogue", status="200") > value(
        before, requests, route="/api/tasks/catalogue", status="200"
    )
    # Task ids never become label values: one series per route, however many tasks are asked about.
    assert not any("no-such-task" in str(labels) for _, labels, _ in after)
    assert value(after, "gaveurs_api_request_duration_seconds_count", route=route) >= 3


def test_worker_log_lines_are_json_with_the_task_they_belong_to(api: httpx.Client, stack: Stack) -> None:
    phone = "+33655443322"
    submitted = api.post("/api/tasks/notifications/sms", json={"phone": phone, "message": "journal"}).json()
    assert wait_for_end(api, submitted["task_id"], timeout=60)["status"] == "SUCCESS"

    def lines() -> list[dict[str, object]] | None:
        text = stack.group.log_path("workers").read_text(errors="replace")
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
        mine = [entry for entry in parsed if entry.get("workflow_id") == submitted["workflow_id"]]
        return parsed if any(entry["message"] == "task send_sms_alert succeeded" for entry in mine) else None

    entries = wait_until(lines, timeout=20, what="the worker to log the task's end")
    for entry in entries:  # every line is one JSON object with the basic fields
        assert {"ts", "level", "logger", "message"} <= set(entry)
    mine = [entry for entry in entries if entry.get("workflow_id") == submitted["workflow_id"]]
    assert {entry["task_id"] for entry in mine} == {submitted["task_id"]}
    assert {entry["workflow_type"] for entry in mine} == {"send_sms_alert"}
    assert [entry["message"] for entry in mine][:1] == ["task send_sms_alert started"]
    # Whoever logs, a phone number never reaches the log in clear.
    log = stack.group.log_path("workers").read_text(errors="replace")
    assert phone not in log and phone[3:] not in log


def test_api_log_lines_are_json(api: httpx.Client, stack: Stack) -> None:
    api.get("/api/tasks/catalogue")

    def access_line() -> dict[str, object] | None:
        text = stack.group.log_path("api").read_text(errors="replace")
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
        return next((e for e in reversed(parsed) if "/api/tasks/catalogue" in str(e["message"])), None)

    line = wait_until(access_line, timeout=10, what="the API's access log line")
    assert line["logger"] == "uvicorn.access" and line["level"] == "INFO"
