"""Activity of train_prophet_async: the site's production log and two Prophet fits, in a child process."""

from __future__ import annotations

from temporalio import activity

from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.ml import ProductionForecast, TrainProphetInput
from gaveurs.db.session import session_scope
from gaveurs.ml.production_data import load_site_production
from gaveurs.ml.production_forecast import forecast_production

LOADED = 5


def forecast_in_child(params: TrainProphetInput, reporter: Reporter) -> ProductionForecast:
    """Child-process target: the series (a few hundred days), the back-test and the forecast."""
    reporter(1, "chargement de la production du site")
    with session_scope() as session:
        series = load_site_production(session, params.site_code)

    def progress(percent: int, stage: str) -> None:
        reporter(LOADED + (100 - LOADED) * percent // 100, stage)

    return forecast_production(series, params.horizon_days, on_progress=progress)


@activity.defn(name="fit_production_forecast")
async def fit_production_forecast(params: TrainProphetInput) -> ProductionForecast:
    return await run_in_child_process(forecast_in_child, params, stage="chargement de la production du site")
