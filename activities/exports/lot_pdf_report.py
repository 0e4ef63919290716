"""Activities of generate_lot_pdf_report: find the lot, then load, render, store and index its PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from temporalio import activity

from activities.shared.progress import report
from gaveurs.artifact_records import record_artifact
from gaveurs.artifacts import ArtifactStore
from gaveurs.contracts.exports import LotPdfReportInput, LotPdfReportResult, RenderLotReportInput, ReportType
from gaveurs.db.session import session_scope
from gaveurs.errors import LotNotFound
from gaveurs.farm import queries
from gaveurs.faults import pause_point
from gaveurs.reports.lot_pdf import render_lot_pdf
from gaveurs.settings import get_settings

PDF_CONTENT_TYPE = "application/pdf"
ARTIFACT_KIND = "lot_pdf_report"


class ReportLot(BaseModel):
    lot_id: int
    site_code: str


@activity.defn(name="find_report_lot")
def find_report_lot(params: LotPdfReportInput) -> ReportLot:
    """Fails at once on an unknown lot; tells the workflow the lot's site (a search attribute)."""
    with session_scope() as session:
        lot = queries.get_lot(session, params.lot_id)
        if lot is None:
            raise LotNotFound.error(f"lot {params.lot_id} not found", lot_id=params.lot_id)
        return ReportLot(lot_id=lot.id, site_code=lot.site_code)


def lot_report_path(lot_id: int, report_type: ReportType, generated_on: date) -> str:
    """Where the report lives in the artifact store; the seed served `reports/lot_3472_complete_20260108.pdf`."""
    return f"reports/lot_{lot_id}_{report_type}_{generated_on:%Y%m%d}.pdf"


def generation_time(generated_on: date, first_scheduled: datetime) -> datetime:
    """The timestamp printed in the PDF: the same on every attempt, so a retry rewrites byte-identical bytes.

    The activity's first-scheduled time is recorded by the server once and replayed to every retry, so it is
    both real and stable. The file name carries the workflow's date; should the two disagree (scheduled just
    past midnight, or a test environment's epoch), the workflow's date wins so name and contents agree.
    """
    first_scheduled = first_scheduled.astimezone(UTC)
    if first_scheduled.date() == generated_on:
        return first_scheduled
    return datetime.combine(generated_on, time(), tzinfo=UTC)


@activity.defn(name="render_lot_report")
def render_lot_report(params: RenderLotReportInput) -> LotPdfReportResult:
    settings = get_settings()
    report(5, "lecture des données du lot")
    with session_scope() as session:
        data = queries.lot_report_data(session, params.lot_id)
    if data is None:
        raise LotNotFound.error(f"lot {params.lot_id} not found", lot_id=params.lot_id)

    report(30, "mise en page du PDF")
    generated_at = generation_time(params.generated_on, activity.info().scheduled_time)
    pdf = render_lot_pdf(data, params.report_type, generated_at=generated_at)
    pause_point("render_lot_report.before_store", lambda: report(80, "mise en page du PDF"))

    report(90, "enregistrement du fichier")
    store = ArtifactStore(settings.artifact_dir)
    stored = store.write(lot_report_path(data.lot_id, params.report_type, params.generated_on), pdf)
    try:
        with session_scope() as session:
            record_artifact(
                session,
                stored,
                kind=ARTIFACT_KIND,
                content_type=PDF_CONTENT_TYPE,
                task_id=params.task_id,
                lot_id=data.lot_id,
                created_at=generated_at,
                expires_at=generated_at + timedelta(days=settings.artifact_retention_days),
            )
    except BaseException:
        # Cancelled or failed before the file was indexed: an unindexed file is one nobody can clean up.
        store.resolve(stored.path).unlink(missing_ok=True)
        raise
    return LotPdfReportResult(
        lot_id=data.lot_id,
        report_type=params.report_type,
        pdf_url=f"/exports/{stored.path}",
        file_size=stored.size_bytes,
        sha256=stored.sha256,
        generated_at=generated_at,
    )
