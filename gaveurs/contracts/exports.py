from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

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


class RenderLotReportInput(BaseModel):
    lot_id: int
    report_type: ReportType
    task_id: str
    generated_on: date  # from the workflow clock, so a retry writes the same file name


class LotPdfReportResult(BaseModel):
    status: Literal["success"] = "success"
    lot_id: int
    report_type: ReportType
    pdf_url: str
    file_size: int
    sha256: str
    generated_at: datetime
