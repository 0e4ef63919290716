"""The seed's Celery call forms, unchanged but for the import, against the running system."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from gaveurs import tasks
from gaveurs.settings import Settings
from gaveurs.tasks import (
    AsyncResult,
    TaskFailed,
    TaskRevokedError,
    celery_app,
    detect_anomalies_async,
    generate_lot_pdf_report,
    health_check_periodic,
    train_pysr_async,
)
from tests.fixtures_stack import Stack


@pytest.fixture(autouse=True)
def against_the_stack(stack: Stack) -> Iterator[None]:
    tasks.configure(Settings(temporal_address=stack.temporal_address, temporal_namespace=stack.namespace))
    yield


def test_delay_and_get_like_celery() -> None:
    result = train_pysr_async.delay(3472)
    assert AsyncResult(result.id).status in {"PENDING", "STARTED", "SUCCESS"}
    value = result.get(timeout=300)
    assert value["status"] == "success" and value["lot_id"] == 3472 and value["r2_score"] >= 0.95
    assert result.ready() and result.successful() and not result.failed()
    assert AsyncResult(result.id).result == value  # another process reading the id sees the same


def test_apply_async_with_a_countdown_starts_later_without_a_sleeping_worker() -> None:
    began = time.monotonic()
    result = generate_lot_pdf_report.apply_async(args=[3472, "summary"], countdown=3)
    assert result.status == "PENDING"  # nothing runs before the delay
    value = result.get(timeout=120)
    assert time.monotonic() - began >= 3
    assert value["report_type"] == "summary" and value["pdf_url"].startswith("/exports/reports/")


def test_a_bad_argument_raises_at_the_call() -> None:
    with pytest.raises(ValidationError, match="lot_id"):
        train_pysr_async.delay(-4)
    with pytest.raises(TypeError, match="at most"):
        generate_lot_pdf_report.delay(3472, "complete", "extra")
    with pytest.raises(TypeError, match="multiple values"):
        generate_lot_pdf_report.apply_async(args=[3472], kwargs={"lot_id": 3})


def test_the_tasks_error_is_raised_by_get() -> None:
    result = generate_lot_pdf_report.delay(999999)
    with pytest.raises(TaskFailed) as failed:
        result.get(timeout=60)
    assert failed.value.type == "LotNotFound" and "lot 999999 not found" in str(failed.value)
    assert result.failed() and not result.successful()
    assert isinstance(result.get(timeout=5, propagate=False), Exception)


def test_revoke_through_celery_app_control() -> None:
    result = train_pysr_async.apply_async(kwargs={"lot_id": 3478, "restarts": 32, "generations": 3000})
    deadline = time.monotonic() + 60
    while result.status != "STARTED" and time.monotonic() < deadline:
        time.sleep(0.2)
    active = celery_app.control.inspect().active()
    assert any(task["id"] == result.id for running in active.values() for task in running)
    assert isinstance(result.info, dict) and "progress" in result.info
    celery_app.control.revoke(result.id, terminate=True)
    with pytest.raises(TaskRevokedError):
        result.get(timeout=30)
    assert result.status == "REVOKED"


def test_send_task_by_celery_name_and_a_task_id_is_an_idempotency_key() -> None:
    first = celery_app.send_task("app.tasks.scheduled_tasks.health_check_periodic", task_id="nightly-check-1")
    again = health_check_periodic.apply_async(task_id="nightly-check-1")
    assert again.id == first.id
    assert first.get(timeout=60)["status"] in {"healthy", "degraded"}


def test_the_async_flavour_shares_the_names() -> None:
    from gaveurs.tasks import aio

    async def run() -> dict[str, object]:
        result = await aio.detect_anomalies_async.delay("LL")
        value: dict[str, object] = await result.get(timeout=120)
        assert await result.successful() and await result.status() == "SUCCESS"
        return value

    value = asyncio.run(run())
    assert value["site_code"] == "LL"
    assert detect_anomalies_async.name == "app.tasks.ml_tasks.detect_anomalies_async"
