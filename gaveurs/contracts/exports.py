from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator

# The certificate task's contracts live beside its verification report; they are exports all the same.
from gaveurs.contracts.certificates import BlockchainCertificateInput as BlockchainCertificateInput
from gaveurs.contracts.certificates import CertificateResult as CertificateResult
from gaveurs.contracts.certificates import CertificateType as CertificateType

ReportType = Literal["summary", "complete"]


class LotPdfReportInput(BaseModel):
    lot_id: int = Field(gt=0)
    report_type: ReportType = "complete"


class FeedingRow(BaseModel):
    jour_gavage: int
    repas: str
    dose_moyenne_g: float
    poids_moyen_g: float
    temperature_stabule_c: float
    humidite_stabule_pct: float


class LotReportData(BaseModel):
    """Everything the lot report shows, loaded in one activity so rendering is a pure function."""

    lot_id: int
    code_lot: str
    site_code: str
    site_nom: str
    gaveur: str
    genetique: str
    statut: str
    debut_gavage: date
    duree_gavage: int
    nb_canards_places: int
    nb_canards_morts: int
    poids_moyen_initial_g: float
    poids_foie_moyen_g: float | None
    itm: float | None
    feeding: list[FeedingRow]
    sqal_grades: dict[str, int]  # grade → sample count
    sqal_score_moyen: float | None
    feedback_count: int
    feedback_rating_moyen: float | None


class LotPdfReportResult(BaseModel):
    status: Literal["success"] = "success"
    lot_id: int
    report_type: ReportType
    pdf_url: str
    file_size: int
    sha256: str
    generated_at: datetime


# ------------------------------------------------------------------------------------ the other exports

MAX_BATCH_LOTS = 500
MAX_REPORT_DAYS = 366


def _check_range(date_debut: date | None, date_fin: date | None, max_days: int | None = None) -> None:
    if date_debut is not None and date_fin is not None:
        if date_debut > date_fin:
            raise ValueError(
                f"date_debut ({date_debut.isoformat()}) must not be after date_fin ({date_fin.isoformat()})"
            )
        if max_days is not None and (date_fin - date_debut).days + 1 > max_days:
            raise ValueError(f"a report covers at most {max_days} days")


class SitePdfReportInput(BaseModel):
    """`generate_site_pdf_report`: the lots whose feeding overlaps [date_debut, date_fin] (inclusive)."""

    site_code: str = Field(pattern=r"^[A-Z]{2}$", description="LL, LS or MT")
    date_debut: date
    date_fin: date

    @model_validator(mode="after")
    def _range(self) -> Self:
        _check_range(self.date_debut, self.date_fin, MAX_REPORT_DAYS)
        return self


class SitePdfReportResult(BaseModel):
    status: Literal["success"] = "success"
    site_code: str
    date_debut: date
    date_fin: date
    lots: int
    pdf_url: str
    file_size: int
    sha256: str
    generated_at: datetime


class WeeklyReportsInput(BaseModel):
    """`weekly_reports_generation`: one PDF per site; `week_start` (a Monday) defaults to last week."""

    week_start: date | None = None

    @field_validator("week_start")
    @classmethod
    def _monday(cls, value: date | None) -> date | None:
        if value is not None and value.weekday() != 0:
            raise ValueError(f"week_start must be a Monday, {value.isoformat()} is not")
        return value


class WeeklySiteReport(BaseModel):
    site_code: str
    lots: int
    pdf_url: str
    file_size: int
    sha256: str


class WeeklyReportsResult(BaseModel):
    # "partial" when some site's report failed for good: the others are still published, `failed_sites` says why.
    status: Literal["success", "partial"] = "success"
    week_start: date
    week_end: date
    iso_week: int
    reports: list[WeeklySiteReport]
    failed_sites: dict[str, str] = Field(default_factory=dict)
    generated_at: datetime


class CsvFiltersInput(BaseModel):
    """Optional lot and inclusive date range (UTC days) of the rows' own timestamps."""

    lot_id: int | None = Field(default=None, gt=0)
    date_debut: date | None = None
    date_fin: date | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        _check_range(self.date_debut, self.date_fin)
        return self


class GavageCsvInput(CsvFiltersInput):
    """`export_gavage_data_csv`: one row per lot, feeding day and meal."""


class SqalCsvInput(CsvFiltersInput):
    """`export_sqal_data_csv`: one row per SQAL sample."""


class ConsumerFeedbacksCsvInput(BaseModel):
    """`export_consumer_feedbacks_csv`: feedback received between the dates; e-mails are pseudonymised."""

    date_debut: date | None = None
    date_fin: date | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        _check_range(self.date_debut, self.date_fin)
        return self


CsvExportKind = Literal["gavage", "sqal", "feedbacks"]


class CsvExportResult(BaseModel):
    status: Literal["success"] = "success"
    export: CsvExportKind
    lot_id: int | None = None
    date_debut: date | None = None
    date_fin: date | None = None
    csv_url: str
    rows: int
    file_size: int
    sha256: str
    generated_at: datetime


class BatchLotsCsvInput(BaseModel):
    """`batch_export_lots_csv`: a zip of lots.csv, gavage.csv and sqal.csv for the given lots."""

    lot_ids: list[Annotated[int, Field(gt=0)]] = Field(min_length=1, max_length=MAX_BATCH_LOTS)

    @field_validator("lot_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


class BatchLotsCsvResult(BaseModel):
    status: Literal["success"] = "success"
    lots: int
    csv_url: str  # the zip; the seed's key for "where the export is"
    content_type: str = "application/zip"
    rows: int  # all three files
    files: dict[str, int]  # rows per CSV in the zip
    file_size: int
    sha256: str
    generated_at: datetime
    # Slices of lots a retried step did not export again: it resumed from its predecessor's checkpoint.
    resumed_steps: int = 0
