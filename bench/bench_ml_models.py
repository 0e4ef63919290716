"""`python -m bench.bench_ml_models`: how long each ML model takes on the demo farm, beside the seed's figure.

Generates the demo farm into a temporary SQLite file, then times each task's plain functions the way the
activities will call them — database loading, then the fit — median of `--repeat` runs in this process
(imports warm). The cold import of each library is printed apart: a fit run in a fresh child process pays it
once more. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy import Engine

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import generate_farm
from gaveurs.farm.loader import load_farm
from gaveurs.ml.anomalies import detect_anomalies
from gaveurs.ml.anomalies_data import load_lot_kpis
from gaveurs.ml.clustering import cluster_gaveurs
from gaveurs.ml.clustering_data import load_clustering_data, write_gaveur_segments
from gaveurs.ml.production_data import load_site_production
from gaveurs.ml.production_forecast import forecast_production

SITES = ("LL", "LS", "MT")


def clustering(engine: Engine) -> str:
    with session_scope(engine) as session:
        data = load_clustering_data(session)
    result = cluster_gaveurs(data)
    with session_scope(engine) as session:
        write_gaveur_segments(session, result.gaveurs, datetime.now(UTC))
    return f"silhouette {result.silhouette_score:.2f}, ARI {result.adjusted_rand_index}"


def anomalies(engine: Engine, site_code: str | None) -> str:
    with session_scope(engine) as session:
        kpis = load_lot_kpis(session, site_code)
    found = detect_anomalies(kpis)
    return f"{len(found)} of {len(kpis)} lots, {sum(a.severity == 'critical' for a in found)} critical"


def prophet(engine: Engine, site_code: str, horizon: int) -> str:
    with session_scope(engine) as session:
        series = load_site_production(session, site_code)
    result = forecast_production(series, horizon)
    return f"MAPE {result.mape_pct:.1f} %, {result.trend.text}"


def cold_import(module: str) -> float:
    """Seconds to import `module` in a fresh interpreter, as a fit run in a child process pays it."""
    code = (
        "import logging, time; logging.getLogger('prophet.plot').setLevel(logging.CRITICAL); "
        f"t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    )
    return float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )


def timed(run: Callable[[], str], repeat: int) -> tuple[float, float, str]:
    seconds = []
    note = ""
    for _ in range(repeat):
        began = time.perf_counter()
        note = run()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), max(seconds), note


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_ml_models", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    for module in ("sklearn.cluster", "sklearn.ensemble", "prophet"):
        print(f"cold import of {module} (fresh process): {cold_import(module):.2f}s")

    tasks: list[tuple[str, str, Callable[[Engine], str]]] = [
        ("cluster_gaveurs_async (60 gaveurs, + write-back)", "1–3 min", clustering),
        ("detect_anomalies_async (all sites)", "30 s–2 min", lambda e: anomalies(e, None)),
        *[
            (f"detect_anomalies_async ({site})", "30 s–2 min", lambda e, s=site: anomalies(e, s))
            for site in SITES
        ],
        *[
            (f"train_prophet_async ({site}, {h} days)", "1–5 min", lambda e, s=site, h=h: prophet(e, s, h))
            for site in SITES
            for h in (7, 30, 90)
        ],
    ]
    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-ml-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            load_farm(engine, generate_farm("demo"))
            print(f"demo farm in SQLite; median and worst of {args.repeat} runs (loading + fit)\n")
            print(f"{'task':<52} {'median':>8} {'worst':>8}  {'seed':>10}  {'× faster':>8}  result")
            for name, seed_figure, run in tasks:
                median, worst, note = timed(partial(run, engine), args.repeat)
                lower = _seconds(seed_figure.split("–")[0].strip(), seed_figure)
                print(
                    f"{name:<52} {median:7.2f}s {worst:7.2f}s  {seed_figure:>10}  {lower / median:7.0f}×  {note}"
                )
        finally:
            engine.dispose()


def _seconds(text: str, figure: str) -> float:
    """The seed's lower figure in seconds: '1' of '1–3 min' is a minute, '30 s' thirty seconds."""
    number = float(text.split()[0])
    return number if text.endswith(" s") or figure.endswith(" s") else number * 60


if __name__ == "__main__":
    main()
