"""Inputs and results of the ML tasks that run others (periodic detection, retrain-all), and the ML history answer.

The single-model tasks' contracts are in `gaveurs.contracts.ml`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from gaveurs.contracts.ml import MlHistoryEntry, SiteAnomalySummary

SiteCodeField = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Horizon = Literal[7, 30, 90]
HORIZONS: tuple[Horizon, ...] = (7, 30, 90)
DEFAULT_RETRAIN_PARALLELISM = 4


# ── detect_anomalies_periodic ───────────────────────────────────────────────────────────────────────────
class DetectAnomaliesPeriodicInput(BaseModel):
    """`detect_anomalies_periodic`: every site's Isolation Forest, and an alert per site with critical lots."""

    contamination: float = Field(default=0.02, gt=0.0, le=0.2)


# started: this run started the site's alert; already_started: an alert about the same critical lots was
# started before (running or delivered) and is not repeated; none: nothing critical at the site.
AlertOutcome = Literal["started", "already_started", "none"]


class PeriodicSiteSummary(SiteAnomalySummary):
    alert: AlertOutcome = "none"
    alert_workflow_id: str | None = None  # the send_anomaly_alert workflow about this site's critical lots
    error: str | None = None  # the site could not be scored (e.g. too few finished lots): `Type: message`


class AnomalyPeriodicResult(BaseModel):
    status: Literal["success"] = "success"
    n_sites: int
    n_lots: int
    n_anomalies: int
    n_critical: int
    alerts_started: int
    sites: list[PeriodicSiteSummary]
    detected_at: datetime


# ── retrain_all_ml_models_async ─────────────────────────────────────────────────────────────────────────
class RetrainAllInput(BaseModel):
    """`retrain_all_ml_models_async`: clustering, anomalies per site, Prophet per site × horizon, as child tasks.

    Every field is optional: the monthly schedule starts it with none (every site, the three horizons).
    """

    site_codes: list[SiteCodeField] | None = Field(
        default=None, min_length=1, max_length=20, description="default: every site of the farm"
    )
    horizons: list[Horizon] | None = Field(
        default=None, min_length=1, max_length=3, description="Prophet horizons (days); default 7, 30, 90"
    )
    max_parallel: int | None = Field(
        default=None, ge=1, le=16, description=f"child tasks at once; default {DEFAULT_RETRAIN_PARALLELISM}"
    )

    @field_validator("site_codes", "horizons")
    @classmethod
    def _distinct(cls, values: list[Any] | None) -> list[Any] | None:
        if values is not None and len(set(values)) != len(values):
            raise ValueError("each value at most once")
        return values


ChildStatus = Literal["success", "failed", "cancelled"]


class RetrainChildOutcome(BaseModel):
    """One child task of a retrain-all run: what it trained and how it ended."""

    task_name: str
    workflow_id: str
    site_code: str | None = None
    horizon_days: int | None = None
    status: ChildStatus
    summary: str | None = None  # e.g. "MAPE 3.2 %, hausse de 9.8 %/an"
    metrics: dict[str, float | int | str | None] = Field(default_factory=dict)
    error: str | None = None  # `Type: message` of the failure


class RetrainAllResult(BaseModel):
    # success: every child succeeded; partial: some failed or were cancelled; failed: none succeeded.
    status: Literal["success", "partial", "failed"]
    n_children: int
    n_succeeded: int
    n_failed: int
    max_parallel: int
    children: list[RetrainChildOutcome]
    trained_at: datetime


# ── GET /api/ml/history ─────────────────────────────────────────────────────────────────────────────────
class MlHistoryAnswer(BaseModel):
    """Past ML runs, newest first, with the filters that selected them."""

    task: str | None
    site_code: str | None
    limit: int
    count: int
    runs: list[MlHistoryEntry]
