"""The whole exports as the activities will call them: data in, a published file out, its row in the index,
the seed's result keys; and the input contracts that refuse bad requests at the API edge."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from temporalio.exceptions import ApplicationError

from gaveurs.artifact_records import resolve_artifact
from gaveurs.artifacts import LocalArtifactStore
from gaveurs.contracts.certificates import BlockchainCertificateInput
from gaveurs.contracts.exports import (
    BatchLotsCsvInput,
    ConsumerFeedbacksCsvInput,
    GavageCsvInput,
    LotPdfReportInput,
    SitePdfReportInput,
    SqalCsvInput,
    WeeklyReportsInput,
)
from gaveurs.db.models import Artifact
from gaveurs.db.session import make_engine, session_scope
from gaveurs.exports.batch import BatchCheckpoint, parts_present, plan_batch, run_batch_step
from gaveurs.exports.context import ExportContext
from gaveurs.exports.documents import (
    export_certificate,
    export_lot_pdf_report,
    export_site_pdf_report,
    export_weekly_reports,
)
from gaveurs.exports.tables import (
    batch_export_lots_csv,
    batch_staging_key,
    discard_batch_parts,
    export_consumer_feedbacks_csv,
    export_gavage_data_csv,
    export_sqal_data_csv,
)
from gaveurs.farm.generator import FarmData
from gaveurs.farm.loader import load_farm
from gaveurs.farm.truths import TODAY
from gaveurs.settings import Settings
from tests.test_farm_generator import as_array

GENERATED_AT = datetime(2026, 11, 2, 6, 0, 12, tzinfo=UTC)


@pytest.fixture
def farm(database_url: str, small_farm: FarmData) -> Iterator[Engine]:
    engine = make_engine(database_url)
    load_farm(engine, small_farm)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        artifact_dir=tmp_path / "artifacts",
        certificate_key_file=tmp_path / "keys" / "cert.pem",
        export_pseudonym_key="k",
        export_csv_chunk_rows=500,
    )


def context(farm: Engine, settings: Settings, run_id: str = "run-1", **extra: Any) -> ExportContext:
    return ExportContext(
        engine=farm,
        store=LocalArtifactStore(settings.artifact_dir),
        settings=settings,
        task_id=extra.pop("task_id", "task"),
        run_id=run_id,
        generated_at=extra.pop("generated_at", GENERATED_AT),
        **extra,
    )


def downloaded(ctx: ExportContext, url: str) -> bytes:
    assert url.startswith("/exports/")
    with session_scope(ctx.engine) as session:
        row = resolve_artifact(session, url.removeprefix("/exports/"))
        assert row is not None
        path = row.path
    with ctx.store.open_reader(path) as file:
        return file.read()


def assert_published(ctx: ExportContext, result: Any, url_key: str) -> bytes:
    """The result's URL serves exactly the bytes its sha256 and file_size describe."""
    content = downloaded(ctx, getattr(result, url_key))
    assert (len(content), hashlib.sha256(content).hexdigest()) == (result.file_size, result.sha256)
    assert result.status == "success" and result.generated_at == GENERATED_AT
    return content


def test_lot_report_runs_keep_their_files_and_the_seed_url_serves_the_latest(
    farm: Engine, settings: Settings
) -> None:
    first_ctx = context(farm, settings, "run-1")
    first = export_lot_pdf_report(first_ctx, LotPdfReportInput(lot_id=3472, report_type="complete"))
    pdf = assert_published(first_ctx, first, "pdf_url")
    assert pdf.startswith(b"%PDF-")
    assert first.pdf_url.startswith("/exports/reports/lot_3472_complete_20261102_r")
    retry = export_lot_pdf_report(first_ctx, LotPdfReportInput(lot_id=3472, report_type="complete"))
    assert retry == first  # same run, same time: same name, same bytes

    later = context(farm, settings, "run-2", generated_at=GENERATED_AT + timedelta(hours=3))
    second = export_lot_pdf_report(later, LotPdfReportInput(lot_id=3472, report_type="complete"))
    assert second.pdf_url != first.pdf_url and second.sha256 != first.sha256
    assert downloaded(first_ctx, first.pdf_url) == pdf  # the first task's URL still matches its sha256
    seed_url = "/exports/reports/lot_3472_complete_20261102.pdf"
    assert hashlib.sha256(downloaded(first_ctx, seed_url)).hexdigest() == second.sha256
    with session_scope(farm) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == 2


def test_unknown_lot_leaves_nothing_behind(farm: Engine, settings: Settings) -> None:
    ctx = context(farm, settings)
    with pytest.raises(ApplicationError) as caught:
        export_lot_pdf_report(ctx, LotPdfReportInput(lot_id=999999))
    assert caught.value.type == "LotNotFound"
    with pytest.raises(ApplicationError, match="no SQAL samples"):
        export_sqal_data_csv(ctx, SqalCsvInput(date_debut=date(2021, 1, 1), date_fin=date(2021, 1, 31)))
    assert not settings.artifact_dir.exists() or not any(
        p.is_file() for p in settings.artifact_dir.rglob("*")
    )
    with session_scope(farm) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == 0


def test_site_and_weekly_reports(farm: Engine, settings: Settings) -> None:
    ctx = context(farm, settings)
    site = export_site_pdf_report(
        ctx, SitePdfReportInput(site_code="LS", date_debut=date(2026, 6, 1), date_fin=date(2026, 10, 31))
    )
    assert assert_published(ctx, site, "pdf_url").startswith(b"%PDF-") and site.lots > 0
    stages: list[str] = []
    weekly_ctx = context(farm, settings, "run-w", on_progress=lambda _, stage: stages.append(stage))
    weekly = export_weekly_reports(weekly_ctx, WeeklyReportsInput())
    assert weekly.week_start == date(2026, 10, 26) and weekly.week_end == date(2026, 11, 1)
    assert [r.site_code for r in weekly.reports] == ["LL", "LS", "MT"]
    assert stages == ["rapport du site LL", "rapport du site LS", "rapport du site MT", "rapports prêts"]
    for report in weekly.reports:
        content = downloaded(weekly_ctx, report.pdf_url)
        assert hashlib.sha256(content).hexdigest() == report.sha256
        assert f"reports/weekly_{report.site_code}_2026-W44_r" in report.pdf_url


def test_csv_exports_publish_what_they_counted(
    farm: Engine, settings: Settings, small_farm: FarmData
) -> None:
    ctx = context(farm, settings)
    gavage = export_gavage_data_csv(ctx, GavageCsvInput(lot_id=3472))
    content = assert_published(ctx, gavage, "csv_url")
    lots = as_array(small_farm, "gavage_data_lots", "lot_id")
    assert gavage.rows == int((lots == 3472).sum()) == content.count(b"\r\n") - 1
    assert gavage.csv_url.startswith("/exports/exports/gavage_lot_3472_20261102_r")
    sqal = export_sqal_data_csv(ctx, SqalCsvInput(date_debut=date(2026, 1, 1), date_fin=date(2026, 3, 31)))
    assert assert_published(ctx, sqal, "csv_url").count(b"\r\n") == sqal.rows + 1
    assert "sqal_all_20260101-20260331_20261102_r" in sqal.csv_url
    feedback = export_consumer_feedbacks_csv(ctx, ConsumerFeedbacksCsvInput(date_debut=date(2026, 1, 1)))
    assert b"@" not in assert_published(ctx, feedback, "csv_url")
    assert feedback.model_dump().keys() >= {"csv_url", "rows", "file_size", "generated_at", "status"}


def test_batch_export_resumes_from_a_checkpoint(
    farm: Engine, settings: Settings, small_farm: FarmData
) -> None:
    status = as_array(small_farm, "lots_gavage", "statut")
    lot_ids = as_array(small_farm, "lots_gavage", "id")[status == "abattu"][:12].tolist()
    params = BatchLotsCsvInput(lot_ids=lot_ids)
    checkpoints: list[BatchCheckpoint] = []

    straight_ctx = context(farm, settings, "run-a")
    straight = batch_export_lots_csv(straight_ctx, params, lots_per_step=5, on_checkpoint=checkpoints.append)
    assert [c.steps_done for c in checkpoints] == [1, 2, 3]
    archive = zipfile.ZipFile(io.BytesIO(assert_published(straight_ctx, straight, "csv_url")))
    assert archive.namelist() == ["lots.csv", "gavage.csv", "sqal.csv"]
    assert straight.files["lots.csv"] == 12 and straight.rows == sum(straight.files.values())
    assert not (settings.artifact_dir / ".staging").exists() or not any(
        (settings.artifact_dir / ".staging").iterdir()
    )

    # Another run stops after its first step (the worker died); its retry resumes from the heartbeat.
    resumed_ctx = context(farm, settings, "run-b")

    class Died(Exception):
        pass

    def die(_: BatchCheckpoint) -> None:
        raise Died

    with pytest.raises(Died):
        batch_export_lots_csv(resumed_ctx, params, lots_per_step=5, on_checkpoint=die)
    resumed = batch_export_lots_csv(resumed_ctx, params, lots_per_step=5, checkpoint=checkpoints[0])
    assert resumed.sha256 == straight.sha256 and resumed.files == straight.files
    assert resumed.csv_url != straight.csv_url

    # A cancelled batch leaves parts behind until they are discarded.
    with pytest.raises(Died):
        batch_export_lots_csv(context(farm, settings, "run-c"), params, lots_per_step=5, on_checkpoint=die)
    staging = settings.artifact_dir / ".staging"
    assert [p.name for p in staging.iterdir()] == [batch_staging_key("task", "run-c")]
    discard_batch_parts(resumed_ctx.store, "task", "run-c")
    assert list(staging.iterdir()) == []


def test_certificate_export_writes_its_json(farm: Engine, settings: Settings) -> None:
    ctx = context(farm, settings, task_id="certificate-3472-traceability")
    result = export_certificate(ctx, BlockchainCertificateInput(lot_id=3472))
    document = assert_published(ctx, result, "certificate_url")
    assert result.certificate_id.encode() in document and result.signature.encode() in document
    assert result.verify_url == f"/api/certificates/{result.certificate_id}/verify"
    assert export_certificate(ctx, BlockchainCertificateInput(lot_id=3472)) == result  # retried activity


# ------------------------------------------------------------------------------------------- contracts


@pytest.mark.parametrize(
    ("model", "fields", "words"),
    [
        (SitePdfReportInput, {"site_code": "LL", "date_debut": "2026-02-01", "date_fin": "2026-01-01"},
         "date_debut (2026-02-01) must not be after date_fin (2026-01-01)"),
        (SitePdfReportInput, {"site_code": "LL", "date_debut": "2024-01-01", "date_fin": "2026-01-01"},
         "at most 366 days"),
        (SitePdfReportInput, {"site_code": "ll", "date_debut": "2026-01-01", "date_fin": "2026-01-31"},
         "String should match pattern"),
        (SitePdfReportInput, {"site_code": "LL", "date_debut": "2026-13-01", "date_fin": "2026-01-31"},
         "date_debut"),
        (GavageCsvInput, {"lot_id": 0}, "greater than 0"),
        (SqalCsvInput, {"date_debut": "2026-03-02", "date_fin": "2026-03-01"}, "must not be after"),
        (ConsumerFeedbacksCsvInput, {"date_debut": "2026-03-02", "date_fin": "2026-03-01"}, "must not be after"),
        (BatchLotsCsvInput, {"lot_ids": []}, "at least 1 item"),
        (BatchLotsCsvInput, {"lot_ids": list(range(1, 502))}, "at most 500 items"),
        (BatchLotsCsvInput, {"lot_ids": [3472, -1]}, "greater than 0"),
        (WeeklyReportsInput, {"week_start": "2026-10-27"}, "must be a Monday"),
        (LotPdfReportInput, {"lot_id": 3472, "report_type": "draft"}, "'summary' or 'complete'"),
        (BlockchainCertificateInput, {"lot_id": 3472, "certificate_type": "gold"}, "'traceability'"),
    ],
)  # fmt: skip
def test_contracts_refuse_bad_requests_with_readable_messages(
    model: type[Any], fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(fields)
    assert words in str(caught.value)


def test_contracts_normalise_good_requests() -> None:
    assert BatchLotsCsvInput(lot_ids=[3474, 3472, 3474]).lot_ids == [3472, 3474]
    assert WeeklyReportsInput(week_start=date(2026, 10, 26)).week_start == date(2026, 10, 26)
    assert SitePdfReportInput.model_validate(
        {"site_code": "MT", "date_debut": "2026-01-01", "date_fin": "2026-12-31"}
    ).date_fin == date(2026, 12, 31)
    assert GavageCsvInput().lot_id is None
    assert TODAY.weekday() == 6  # the farm's today is a Sunday: "last week" is the one ending that day


def test_a_batch_slice_ticks_while_it_writes(farm: Engine, settings: Settings) -> None:
    store = LocalArtifactStore(settings.artifact_dir)
    plan = plan_batch(farm, list(range(3301, 3311)), generated_at=GENERATED_AT, lots_per_step=10)
    ticks: list[int] = []
    staging = store.staging("ticks")
    done = run_batch_step(
        farm, staging, plan, BatchCheckpoint(), chunk_rows=500, tick=lambda: ticks.append(1)
    )
    assert done.steps_done == 1 and parts_present(staging, done)
    # One tick per chunk of meals or samples written: at least one per 500 rows.
    assert len(ticks) >= (done.rows["gavage"] + done.rows["sqal"]) // 500
    staging.clear()
    assert not parts_present(staging, done)
