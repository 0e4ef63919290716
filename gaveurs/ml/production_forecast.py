"""Prophet forecast of a site's daily production, with a back-test on the held-out tail of its history.

Production is multiplicative — a trend, times a weekday factor, times a season that more than doubles it
before Christmas — so Prophet fits log(production): the three become additive, as Prophet models them, and the
band stays positive. Days without production (no row, or 0) are closures and are left out of the fit; a
weekday the line has not worked for eight weeks is forecast closed (0). Prophet is imported on first use,
quietly: its Stan driver logs every fit at INFO.
"""

from __future__ import annotations

import logging
import math
import warnings
from datetime import date, timedelta
from typing import Any

import numpy as np

from gaveurs.contracts.ml import ForecastDay, ForecastTrend, HoldoutDay, ProductionForecast, ProductionSeries
from gaveurs.errors import InsufficientData
from gaveurs.ml.progress import ProgressCallback, no_progress

INTERVAL_WIDTH = 0.95
UNCERTAINTY_SAMPLES = 500
# Open days the back-test needs before its held-out tail, and the span that makes a yearly cycle learnable.
MIN_TRAINING_DAYS = 120
YEARLY_MIN_SPAN_DAYS = 730
YEARLY_FOURIER_ORDER = 15  # the pre-Christmas peak is about six weeks wide: Prophet's default 10 blurs it
CLOSED_LOOKBACK_DAYS = 56
STABLE_PCT_PER_YEAR = 3.0
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _prophet_class() -> Any:
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)  # "plotly missing", at ERROR, on import
    from prophet import Prophet  # heavy (pandas, Stan): imported where used

    logging.getLogger("prophet").setLevel(logging.WARNING)  # its import set INFO
    stan = logging.getLogger("cmdstanpy")
    if not stan.handlers:
        # With a handler present cmdstanpy does not install its own INFO console handler on first use.
        stan.addHandler(logging.NullHandler())
    stan.setLevel(logging.WARNING)
    return Prophet


def _fit_predict(days: list[date], log_values: np.ndarray, future: list[date], seed: int) -> Any:
    """Fit on (days, log production), predict `future`; the band's draws are seeded, global state restored."""
    import pandas as pd

    span = (days[-1] - days[0]).days
    model = _prophet_class()(
        growth="linear",
        yearly_seasonality=YEARLY_FOURIER_ORDER if span >= YEARLY_MIN_SPAN_DAYS else False,
        weekly_seasonality=True,
        daily_seasonality=False,
        interval_width=INTERVAL_WIDTH,
        uncertainty_samples=UNCERTAINTY_SAMPLES,
    )
    state = np.random.get_state()
    with warnings.catch_warnings():
        # Prophet 1.5 still calls pandas APIs that pandas 3 deprecates: nothing a user can act on.
        warnings.filterwarnings("ignore", module=r"prophet(\.|$)")
        model.fit(pd.DataFrame({"ds": pd.to_datetime(days), "y": log_values}))
        np.random.seed(seed)  # Prophet draws its uncertainty from numpy's global generator
        try:
            return model.predict(pd.DataFrame({"ds": pd.to_datetime(future)}))
        finally:
            np.random.set_state(state)


def mape_pct(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute percentage error over the days with production."""
    kept = actual > 0
    return float(np.mean(np.abs(forecast[kept] - actual[kept]) / actual[kept]) * 100)


def _trend(log_trend: np.ndarray) -> ForecastTrend:
    per_day = (log_trend[-1] - log_trend[0]) / max(len(log_trend) - 1, 1)
    pct = (math.exp(per_day * 365.25) - 1) * 100
    direction = "stable" if abs(pct) < STABLE_PCT_PER_YEAR else ("hausse" if pct > 0 else "baisse")
    text = f"{direction} de {abs(pct):.1f} %/an" if direction != "stable" else f"stable ({pct:+.1f} %/an)"
    return ForecastTrend(direction=direction, slope_pct_per_year=round(pct, 2), text=text)


def forecast_production(
    series: ProductionSeries,
    horizon_days: int,
    *,
    seed: int = 0,
    on_progress: ProgressCallback = no_progress,
) -> ProductionForecast:
    """Forecast the `horizon_days` calendar days after the series' last day; MAPE of a back-test on the
    series' last `horizon_days` days. Raises InsufficientData with fewer than horizon + 120 open days."""
    on_progress(5, "préparation de la série")
    pairs = [(d, v) for d, v in zip(series.days, series.values, strict=True) if v > 0]
    needed = horizon_days + MIN_TRAINING_DAYS
    if len(pairs) < needed:
        raise InsufficientData.error(
            f"only {len(pairs)} days of production for site {series.site_code}; "
            f"at least {needed} are needed for a {horizon_days}-day forecast"
        )
    days = [d for d, _ in pairs]
    values = np.array([v for _, v in pairs], dtype=float)
    last = days[-1]
    recent = {d.weekday() for d in days if (last - d).days < CLOSED_LOOKBACK_DAYS}
    closed = sorted(set(range(7)) - recent)

    on_progress(10, "back-test sur la fin de l'historique")
    cut = last - timedelta(days=horizon_days)
    train = [i for i, d in enumerate(days) if d <= cut]
    test = [i for i, d in enumerate(days) if d > cut]
    backtest = _fit_predict([days[i] for i in train], np.log(values[train]), [days[i] for i in test], seed)
    predicted = np.exp(backtest["yhat"].to_numpy())
    holdout = [
        HoldoutDay(date=days[i], actual=float(values[i]), forecast=round(float(p), 1))
        for i, p in zip(test, predicted, strict=True)
    ]

    on_progress(50, "ajustement sur tout l'historique")
    future = [last + timedelta(days=k) for k in range(1, horizon_days + 1)]
    frame = _fit_predict(days, np.log(values), future, seed)

    on_progress(90, "prévision")
    forecast = []
    for day, yhat, lower, upper in zip(
        future, frame["yhat"], frame["yhat_lower"], frame["yhat_upper"], strict=True
    ):
        if day.weekday() in closed:
            forecast.append(
                ForecastDay(date=day, forecast=0, confidence_lower=0, confidence_upper=0, closed=True)
            )
            continue
        forecast.append(
            ForecastDay(
                date=day,
                forecast=round(math.exp(yhat), 1),
                confidence_lower=round(math.exp(lower), 1),
                confidence_upper=round(math.exp(upper), 1),
            )
        )
    on_progress(100, "terminé")
    return ProductionForecast(
        site_code=series.site_code,
        measure=series.measure,
        unit=series.unit,
        horizon_days=horizon_days,
        interval_width=INTERVAL_WIDTH,
        history_start=days[0],
        history_end=last,
        n_days=len(days),
        forecast=forecast,
        confidence_lower=[f.confidence_lower for f in forecast],
        confidence_upper=[f.confidence_upper for f in forecast],
        trend=_trend(frame["trend"].to_numpy()),
        mape_pct=round(mape_pct(np.array([h.actual for h in holdout]), predicted), 2),
        holdout=holdout,
        closed_weekdays=[WEEKDAYS[d] for d in closed],
    )
