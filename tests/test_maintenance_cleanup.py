"""cleanup_old_celery_tasks and the stored health results, on real files and both database backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from gaveurs.artifact_records import record_artifact
from gaveurs.artifacts import ArtifactStore
from gaveurs.contracts.maintenance import CleanupOldTasksInput
from gaveurs.contracts.system import ComponentHealth, HealthCheckResult
from gaveurs.db.models import Artifact, HealthCheckRecord, MlResult, OutboundMessage
from gaveurs.db.session import make_engine, session_scope
from gaveurs.maintenance.health_records import last_health_result, record_health_result
from gaveurs.maintenance.task_cleanup import Retention, cleanup_old_task_records
from gaveurs.settings import Settings

NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)
RETENTION = Retention(ml_results_days=365, outbound_messages_days=90, health_results_days=30)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def add_artifact(engine: Engine, store: ArtifactStore, path: str, expires_at: datetime | None) -> Path:
    stored = store.write(path, f"contents of {path}".encode())
    with session_scope(engine) as session:
        record_artifact(
            session, stored, kind="pdf", content_type="application/pdf", task_id=f"task-{path}", lot_id=None,
            created_at=NOW - timedelta(days=40), expires_at=expires_at,
        )  # fmt: skip
    return store.resolve(path)


def add_ml_result(engine: Engine, task: str, lot_id: int | None, age_days: int) -> int:
    with session_scope(engine) as session:
        row = MlResult(
            task_name=task, workflow_id=f"wf-{task}-{lot_id}-{age_days}", run_id="r", lot_id=lot_id, site_code=None,
            engine="pyoperon", summary="f(x)", metrics={}, payload={}, created_at=NOW - timedelta(days=age_days),
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def add_message(engine: Engine, key: str, age_days: int) -> None:
    reserved = NOW - timedelta(days=age_days)
    with session_scope(engine) as session:
        session.add(
            OutboundMessage(
                idempotency_key=key, channel="sms", recipient="+33612345678", body_sha256="0" * 64, state="sent",
                provider_id=f"SM-{key}", reserved_at=reserved, sent_at=reserved,
            )
        )  # fmt: skip


def health(status: str, at: datetime) -> HealthCheckResult:
    return HealthCheckResult(
        status="healthy" if status == "healthy" else "degraded",
        checks={
            "database": ComponentHealth(ok=status == "healthy", detail="sqlite: 400 lots", latency_ms=1.5)
        },
        checked_at=at,
    )


def test_cleanup_removes_what_expired_and_nothing_else(engine: Engine, tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    expired = [add_artifact(engine, store, f"reports/lot-{i}.pdf", NOW - timedelta(days=1)) for i in range(3)]
    fresh = add_artifact(engine, store, "reports/fresh.pdf", NOW + timedelta(days=1))
    forever = add_artifact(engine, store, "certificates/lot-3472.json", None)
    gone = add_artifact(engine, store, "reports/already-gone.pdf", NOW - timedelta(days=2))
    gone.unlink()
    # Rows that point outside the store: a path with `..`, and a symlink planted inside the store.
    outside = tmp_path / "outside.pdf"
    outside.write_text("must survive")
    (store.root / "reports" / "link.pdf").symlink_to(outside)
    with session_scope(engine) as session:
        for path in ("../outside.pdf", "reports/link.pdf"):
            session.add(
                Artifact(
                    path=path, kind="pdf", content_type="application/pdf", size_bytes=12, sha256="0" * 64,
                    task_id="forged", lot_id=None, created_at=NOW - timedelta(days=9), expires_at=NOW - timedelta(days=3),
                )
            )  # fmt: skip
    # A writer killed mid-write two days ago, a batch abandoned as long ago, and a write under way now.
    abandoned = store.root / "reports" / ".tmp-lot-9.pdf-x1y2"
    abandoned.write_bytes(b"half a pdf")
    staging = store.root / ".staging" / "batch-abandoned"
    staging.mkdir(parents=True)
    (staging / "part-0001.csv").write_text("lot_id\n")
    for stale in (abandoned, staging / "part-0001.csv", staging):
        stamp = (NOW - timedelta(days=2)).timestamp()
        os.utime(stale, (stamp, stamp))
    in_progress = store.root / "reports" / ".tmp-lot-10.pdf-z9"
    in_progress.write_bytes(b"being written")

    old_single = add_ml_result(engine, "train_pysr_async", 3472, age_days=500)  # only model of its lot: kept
    old_superseded = add_ml_result(engine, "train_pysr_async", 3473, age_days=500)
    newest_3473 = add_ml_result(engine, "train_pysr_async", 3473, age_days=10)
    old_site_wide = add_ml_result(engine, "detect_anomalies_async", None, age_days=400)
    newest_site_wide = add_ml_result(engine, "detect_anomalies_async", None, age_days=1)
    add_message(engine, "sms-old", age_days=120)
    add_message(engine, "sms-recent", age_days=30)
    health_ids = [
        record_health_result(
            engine, health("healthy", NOW - timedelta(days=d)), workflow_id=f"hc-{d}", run_id="r"
        )
        for d in (60, 45, 1)
    ]

    progress: list[int] = []
    result = cleanup_old_task_records(
        engine, store, RETENTION, now=NOW, on_progress=lambda p, _s: progress.append(p)
    )
    # Every expired row goes, the forged ones too; the store deletes nothing outside itself.
    assert result.artifacts_deleted == 6
    recorded = [len(f"contents of reports/lot-{i}.pdf") for i in range(3)]
    assert result.bytes_freed == sum(recorded) + len("contents of reports/already-gone.pdf") + 2 * 12
    assert sorted(result.abandoned_removed) == [".staging/batch-abandoned", "reports/.tmp-lot-9.pdf-x1y2"]
    assert not abandoned.exists() and not staging.exists() and in_progress.exists()
    assert (result.ml_results_deleted, result.outbound_messages_deleted, result.health_results_deleted) == (
        2,
        1,
        2,
    )
    assert progress[-1] == 100 and progress == sorted(progress)

    assert not any(path.exists() for path in expired)
    assert fresh.exists() and forever.exists() and outside.read_text() == "must survive"
    with session_scope(engine) as session:
        assert sorted(session.scalars(select(Artifact.path))) == [
            "certificates/lot-3472.json", "reports/fresh.pdf",
        ]  # fmt: skip
        assert sorted(session.scalars(select(MlResult.id))) == sorted(
            [old_single, newest_3473, newest_site_wide]
        )
        assert old_superseded not in set(session.scalars(select(MlResult.id)))
        assert old_site_wide not in set(session.scalars(select(MlResult.id)))
        assert list(session.scalars(select(OutboundMessage.idempotency_key))) == ["sms-recent"]
        assert list(session.scalars(select(HealthCheckRecord.id))) == health_ids[2:]

    again = cleanup_old_task_records(engine, store, RETENTION, now=NOW)
    assert again.model_dump(exclude={"duration_s"}) == {
        "status": "success", "artifacts_deleted": 0, "bytes_freed": 0, "abandoned_removed": [],
        "ml_results_deleted": 0, "outbound_messages_deleted": 0, "health_results_deleted": 0,
    }  # fmt: skip


def test_the_last_health_result_is_the_most_recent_check(engine: Engine) -> None:
    assert last_health_result(engine) is None
    record_health_result(engine, health("healthy", NOW - timedelta(hours=6)), workflow_id="hc-1", run_id="a")
    latest = health("degraded", NOW)
    record_health_result(engine, latest, workflow_id="hc-2", run_id="b")
    stored = last_health_result(engine)
    assert stored is not None and (stored.workflow_id, stored.run_id) == ("hc-2", "b")
    assert stored.result == latest

    # A retried activity of the same run rewrites its row instead of adding one.
    record_health_result(engine, health("healthy", NOW), workflow_id="hc-2", run_id="b")
    stored = last_health_result(engine)
    assert stored is not None and stored.result.status == "healthy"
    with session_scope(engine) as session:
        assert len(session.scalars(select(HealthCheckRecord)).all()) == 2


def test_retention_comes_from_the_task_input_else_the_settings() -> None:
    settings = Settings(ml_results_retention_days=200, outbound_messages_retention_days=60)
    chosen = Retention.chosen(CleanupOldTasksInput(health_results_retention_days=3), settings)
    assert chosen == Retention(ml_results_days=200, outbound_messages_days=60, health_results_days=3)
