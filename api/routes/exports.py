"""Start routes of the export tasks (`/api/tasks/export/...`), in the seed's style: query parameters, and the
seed's submit answer (`status`, `task_id`, the inputs echoed, `message`).

Bad parameters answer 422 with a readable `message` before anything starts: a range whose start is after its
end, an empty or oversized lot list. Whether a lot or a site exists is the task's to say (the API does not read
the farm): an unknown one ends the task in FAILURE (`LotNotFound: lot 999999 not found`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ValidationError

from api.deps import IdempotencyKey, TemporalClientDep
from api.errors import readable_validation_errors
from api.schemas import ErrorAnswer, TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.exports import (
    CERTIFICATE,
    FEEDBACKS_CSV,
    GAVAGE_CSV,
    LOT_PDF_REPORT,
    LOTS_BATCH_CSV,
    SITE_PDF_REPORT,
    SQAL_CSV,
    WEEKLY_REPORTS,
)
from gaveurs.contracts.certificates import BlockchainCertificateInput, CertificateType
from gaveurs.contracts.exports import (
    BatchLotsCsvInput,
    ConsumerFeedbacksCsvInput,
    GavageCsvInput,
    LotPdfReportInput,
    ReportType,
    SitePdfReportInput,
    SqalCsvInput,
    WeeklyReportsInput,
)

router = APIRouter()
ModelT = TypeVar("ModelT", bound=BaseModel)
REFUSED: dict[int | str, dict[str, Any]] = {422: {"model": ErrorAnswer, "description": "invalid parameters"}}

LotQuery = Annotated[int, Query(gt=0, le=2**31 - 1)]
OptionalLotQuery = Annotated[int | None, Query(gt=0, le=2**31 - 1, description="one lot; all lots if absent")]
SiteQuery = Annotated[str, Query(pattern=r"^[A-Z]{2}$", description="two-letter site code: LL, LS, MT")]
DayQuery = Annotated[date, Query(description="YYYY-MM-DD, inclusive")]
OptionalDayQuery = Annotated[date | None, Query(description="YYYY-MM-DD, inclusive; open if absent")]


def checked(model: Callable[..., ModelT], **fields: Any) -> ModelT:
    """The task input from the query, or a 422 saying what is wrong with it (e.g. a reversed date range)."""
    try:
        return model(**fields)
    except ValidationError as error:
        raise readable_validation_errors(error, location="query") from None


@router.post("/export/pdf/lot", response_model=submitted_model(LOT_PDF_REPORT))
async def lot_pdf_report(
    client: TemporalClientDep,
    lot_id: LotQuery,
    report_type: Annotated[ReportType, Query(description="summary or complete")] = "complete",
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    params = LotPdfReportInput(lot_id=lot_id, report_type=report_type)
    return await start_task(client, LOT_PDF_REPORT, params, idempotency_key=idempotency_key)


@router.post("/export/pdf/site", response_model=submitted_model(SITE_PDF_REPORT), responses=REFUSED)
async def site_pdf_report(
    client: TemporalClientDep,
    site_code: SiteQuery,
    date_debut: DayQuery,
    date_fin: DayQuery,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """The site's lots being fed during the period (at most 366 days)."""
    params = checked(SitePdfReportInput, site_code=site_code, date_debut=date_debut, date_fin=date_fin)
    return await start_task(client, SITE_PDF_REPORT, params, idempotency_key=idempotency_key)


@router.post("/export/pdf/weekly", response_model=submitted_model(WEEKLY_REPORTS), responses=REFUSED)
async def weekly_reports(
    client: TemporalClientDep,
    week_start: Annotated[
        date | None, Query(description="the Monday of the week; last complete week if absent")
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """What the Monday 06:00 schedule runs: one PDF per site."""
    params = checked(WeeklyReportsInput, week_start=week_start)
    return await start_task(client, WEEKLY_REPORTS, params, idempotency_key=idempotency_key)


@router.post("/export/csv/gavage", response_model=submitted_model(GAVAGE_CSV), responses=REFUSED)
async def gavage_csv(
    client: TemporalClientDep,
    lot_id: OptionalLotQuery = None,
    date_debut: OptionalDayQuery = None,
    date_fin: OptionalDayQuery = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    params = checked(GavageCsvInput, lot_id=lot_id, date_debut=date_debut, date_fin=date_fin)
    return await start_task(client, GAVAGE_CSV, params, idempotency_key=idempotency_key)


@router.post("/export/csv/sqal", response_model=submitted_model(SQAL_CSV), responses=REFUSED)
async def sqal_csv(
    client: TemporalClientDep,
    lot_id: OptionalLotQuery = None,
    date_debut: OptionalDayQuery = None,
    date_fin: OptionalDayQuery = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    params = checked(SqalCsvInput, lot_id=lot_id, date_debut=date_debut, date_fin=date_fin)
    return await start_task(client, SQAL_CSV, params, idempotency_key=idempotency_key)


@router.post("/export/csv/feedbacks", response_model=submitted_model(FEEDBACKS_CSV), responses=REFUSED)
async def feedbacks_csv(
    client: TemporalClientDep,
    date_debut: OptionalDayQuery = None,
    date_fin: OptionalDayQuery = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """Consumers' e-mail addresses are replaced by a keyed pseudonym (`client_pseudonyme`)."""
    params = checked(ConsumerFeedbacksCsvInput, date_debut=date_debut, date_fin=date_fin)
    return await start_task(client, FEEDBACKS_CSV, params, idempotency_key=idempotency_key)


@router.post("/export/csv/batch", response_model=submitted_model(LOTS_BATCH_CSV), responses=REFUSED)
async def lots_batch_csv(
    client: TemporalClientDep,
    selection: Annotated[BatchLotsCsvInput, Body(examples=[{"lot_ids": [3472, 3473, 3474]}])],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """One zip (lots.csv, gavage.csv, sqal.csv) for 1 to 500 lots, given as a JSON body `{"lot_ids": […]}`."""
    return await start_task(client, LOTS_BATCH_CSV, selection, idempotency_key=idempotency_key)


@router.post("/export/certificate", response_model=submitted_model(CERTIFICATE), responses=REFUSED)
async def certificate(
    client: TemporalClientDep,
    lot_id: LotQuery,
    certificate_type: Annotated[
        CertificateType, Query(description="traceability (every record), quality or origin")
    ] = "traceability",
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """A signed certificate of a slaughtered lot; `GET /api/certificates/{id}/verify` checks it later."""
    params = BlockchainCertificateInput(lot_id=lot_id, certificate_type=certificate_type)
    return await start_task(client, CERTIFICATE, params, idempotency_key=idempotency_key)
