"""Prophet on the sites' production log: the forecast follows the series the generator planted.

The production log is the same in both farm sizes (it is the plant's, not the tracked lots'), so the small farm
is enough: the forecast is scored against the planted mean series, beyond the data, and on a held-out tail.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.ml import ProductionSeries
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.truths import FIRST_DAY, TODAY, PlantedTruths
from gaveurs.ml.production_data import load_site_production
from gaveurs.ml.production_forecast import forecast_production, mape_pct


@pytest.fixture(scope="module")
def series(loaded_farms: object) -> dict[str, ProductionSeries]:
    engine = make_engine(loaded_farms.url("sqlite"))  # type: ignore[attr-defined]
    try:
        with session_scope(engine) as session:
            return {site: load_site_production(session, site) for site in ("LL", "LS", "MT")}
    finally:
        engine.dispose()


def test_the_series_is_the_production_log(farm_engine: Engine, small_truths: PlantedTruths) -> None:
    with session_scope(farm_engine) as session:
        ll = load_site_production(session, "LL")
    assert ll.measure == "foies_produits" and ll.unit == "foies/jour"
    assert ll.days[0] == FIRST_DAY and ll.days[-1] == TODAY - timedelta(days=1)
    assert len(ll.days) == small_truths.counts["site_daily_production"] // 3
    assert all(d.weekday() != 6 for d in ll.days) and ll.days == sorted(ll.days)


@pytest.mark.parametrize("site", ["LL", "LS", "MT"])
def test_thirty_days_ahead_within_ten_percent_of_the_planted_series(
    site: str, series: dict[str, ProductionSeries], small_truths: PlantedTruths
) -> None:
    progress: list[int] = []
    result = forecast_production(series[site], 30, on_progress=lambda p, _: progress.append(p))
    season = small_truths.seasonality
    open_days = [f for f in result.forecast if not f.closed]
    assert [f.date for f in result.forecast] == [TODAY + timedelta(days=k) for k in range(30)]
    planted = np.array([season.expected_production(f.date, site) for f in open_days])
    assert mape_pct(planted, np.array([f.forecast for f in open_days])) <= 10
    # The back-test: fitted without the last 30 days, scored on them, against the data and the truth.
    assert len(result.holdout) == len(series[site].days) - sum(
        d <= series[site].days[-1] - timedelta(days=30) for d in series[site].days
    )
    assert result.mape_pct <= 10
    held = np.array([season.expected_production(h.date, site) for h in result.holdout])
    assert mape_pct(held, np.array([h.forecast for h in result.holdout])) <= 10
    # The band holds the planted mean; Sundays are closed; the seed's keys repeat the band.
    assert all(f.confidence_lower <= m <= f.confidence_upper for f, m in zip(open_days, planted, strict=True))
    assert {f.date.weekday() for f in result.forecast if f.closed} == {6} and result.closed_weekdays == [
        "dimanche"
    ]
    assert result.confidence_lower == [f.confidence_lower for f in result.forecast]
    assert result.confidence_upper == [f.confidence_upper for f in result.forecast]
    assert progress == sorted(progress) and progress[-1] == 100


def test_the_trend_label_and_slope_match_the_planted_trend(
    series: dict[str, ProductionSeries], small_truths: PlantedTruths
) -> None:
    season = small_truths.seasonality
    years = (TODAY - FIRST_DAY).days / 365.25
    planted_pct = 100 * season.trend_per_year / (1 + season.trend_per_year * years)  # growth rate today
    for horizon in (7, 30, 90):
        result = forecast_production(series["LL"], horizon)
        assert len(result.forecast) == horizon
        assert result.trend.direction == "hausse" and result.trend.text.startswith("hausse de ")
        assert result.trend.slope_pct_per_year == pytest.approx(planted_pct, abs=4)


def test_a_flat_series_is_stable() -> None:
    rng = np.random.default_rng(1)
    days = [FIRST_DAY + timedelta(days=i) for i in range(400)]
    flat = ProductionSeries(
        site_code="LL", measure="foies_produits", unit="foies/jour", days=days,
        values=(1000 * rng.lognormal(0, 0.03, len(days))).round().tolist(),
    )  # fmt: skip
    result = forecast_production(flat, 30)
    assert result.trend.direction == "stable" and result.closed_weekdays == []
    assert all(900 < f.forecast < 1100 for f in result.forecast) and result.mape_pct < 5


def test_unknown_site_and_too_little_history(
    farm_engine: Engine, series: dict[str, ProductionSeries]
) -> None:
    with session_scope(farm_engine) as session, pytest.raises(ApplicationError) as unknown:
        load_site_production(session, "ZZ")
    assert unknown.value.type == "SiteNotFound" and "site ZZ not found" in str(unknown.value)
    short = series["LS"].model_copy(
        update={"days": series["LS"].days[-200:], "values": series["LS"].values[-200:]}
    )
    forecast_production(short, 30)  # 200 open days: enough for 30 days ahead
    with pytest.raises(ApplicationError) as few:
        forecast_production(short, 90)
    assert few.value.type == "InsufficientData" and few.value.non_retryable
    assert (
        few.value.message
        == "only 200 days of production for site LS; at least 210 are needed for a 90-day forecast"
    )
