"""What the export workflows hand their activities: the run a file belongs to, and each step's small input.

Nothing here carries data rows: activities load what they export from the database themselves, so the
workflow's history holds only these references (a lot id, a date range, a plan of lot ids).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from gaveurs.contracts.certificates import BlockchainCertificateInput
from gaveurs.contracts.exports import (
    BatchLotsCsvInput,
    ConsumerFeedbacksCsvInput,
    GavageCsvInput,
    LotPdfReportInput,
    SitePdfReportInput,
    SqalCsvInput,
)
from gaveurs.exports.batch import BatchCheckpoint, BatchPlan


class ExportRun(BaseModel):
    """One run of one export task: whose files these are and the time they carry.

    `task_id` is the API's task id (`<workflow id>.<run tag>`), the key the artifact index files them under;
    `run_id` names the run's own files (`…_r<tag>.pdf`); `generated_at` is the workflow's clock when the step
    was scheduled, so every attempt of the step writes the same name and the same bytes.
    """

    task_id: str
    run_id: str
    generated_at: datetime


class LotPdfReportRequest(BaseModel):
    run: ExportRun
    params: LotPdfReportInput


class SitePdfReportRequest(BaseModel):
    run: ExportRun
    params: SitePdfReportInput


class GavageCsvRequest(BaseModel):
    run: ExportRun
    params: GavageCsvInput


class SqalCsvRequest(BaseModel):
    run: ExportRun
    params: SqalCsvInput


class ConsumerFeedbacksCsvRequest(BaseModel):
    run: ExportRun
    params: ConsumerFeedbacksCsvInput


class CertificateRequest(BaseModel):
    run: ExportRun
    params: BlockchainCertificateInput


class ExportLot(BaseModel):
    """A lot an export found: its site becomes the task's `SiteCode` search attribute."""

    lot_id: int
    site_code: str


class BatchPlanRequest(BaseModel):
    run: ExportRun
    params: BatchLotsCsvInput
    lots_per_step: int = Field(gt=0)


class BatchStepsRequest(BaseModel):
    """Export slices `checkpoint.steps_done` … `until_step - 1` of the plan."""

    run: ExportRun
    plan: BatchPlan
    checkpoint: BatchCheckpoint
    until_step: int = Field(gt=0)


class BatchStepsDone(BaseModel):
    checkpoint: BatchCheckpoint
    # Slices this activity found already exported by an earlier attempt (its heartbeat checkpoint) and skipped.
    resumed_steps: int = 0


class BatchPublishRequest(BaseModel):
    run: ExportRun
    plan: BatchPlan
    checkpoint: BatchCheckpoint
    resumed_steps: int = 0


class WeeklyPlanRequest(BaseModel):
    # The moment the run stands for: the schedule's nominal time, or the workflow's clock when started by hand.
    reference: datetime
    week_start: date | None = None


class WeeklyPlan(BaseModel):
    week_start: date
    site_codes: list[str]


class WeeklySiteRequest(BaseModel):
    run: ExportRun
    site_code: str
    week_start: date
