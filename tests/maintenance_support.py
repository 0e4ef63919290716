"""Helpers for the maintenance tests: a writable farm per backend, and aggregates computed from raw rows.

The expected aggregates are computed here in plain Python from the generator's rows (plus any rows a test
adds), independently of the SQL under test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from gaveurs.db.models import GavageDailyAggregate, SqalDailyAggregate, SqalHourlyAggregate
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.farm.loader import load_farm

GRADE_COLUMNS = {
    "A+": "grade_a_plus",
    "A": "grade_a",
    "B": "grade_b",
    "C": "grade_c",
    "REJECT": "grade_reject",
}


def loaded_engine(database_url: str, farm: FarmData) -> Engine:
    engine = make_engine(database_url)
    load_farm(engine, farm)
    return engine


def as_utc(stamp: Any) -> datetime:
    """Generator stamps (numpy datetime64 or datetime) and stored ones (naive on SQLite) as aware UTC."""
    if isinstance(stamp, np.datetime64):
        stamp = stamp.astype("datetime64[us]").astype(datetime)
    moment: datetime = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    return moment


@dataclass(frozen=True)
class Sample:
    id: int
    lot_id: int
    device_id: str
    stamp: datetime
    score: float
    grade: str


def farm_samples(farm: FarmData) -> list[Sample]:
    table = farm.table("sensor_samples")
    columns = [np.asarray(table.column(name)) for name in ("id", "lot_id", "device_id", "horodatage")]
    scores = np.asarray(table.column("fusion_final_score"))
    grades = np.asarray(table.column("fusion_final_grade"))
    return [
        Sample(int(i), int(lot), str(device), as_utc(stamp), float(score), str(grade))
        for i, lot, device, stamp, score, grade in zip(*columns, scores, grades, strict=True)
    ]


def lot_sites(farm: FarmData) -> dict[int, str]:
    lots = farm.table("lots_gavage")
    return dict(
        zip(
            np.asarray(lots.column("id")).tolist(), np.asarray(lots.column("site_code")).tolist(), strict=True
        )
    )


@dataclass
class Stats:
    site_code: str
    scores: list[float] = field(default_factory=list)
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADE_COLUMNS.values(), 0))

    def add(self, sample: Sample) -> None:
        self.scores.append(sample.score)
        self.grades[GRADE_COLUMNS[sample.grade]] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "site_code": self.site_code,
            "sample_count": len(self.scores),
            "score_sum": sum(self.scores),
            "score_mean": sum(self.scores) / len(self.scores),
            "score_min": min(self.scores),
            "score_max": max(self.scores),
            **self.grades,
        }


def expected_sqal(samples: Iterable[Sample], sites: dict[int, str]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    hourly: dict[tuple[date, int, int, str], Stats] = {}
    daily: dict[tuple[date, int, str], Stats] = {}
    for sample in samples:
        site = sites[sample.lot_id]
        hour_key = (sample.stamp.date(), sample.stamp.hour, sample.lot_id, sample.device_id)
        day_key = (sample.stamp.date(), sample.lot_id, sample.device_id)
        hourly.setdefault(hour_key, Stats(site)).add(sample)
        daily.setdefault(day_key, Stats(site)).add(sample)
    return {k: v.as_dict() for k, v in hourly.items()}, {k: v.as_dict() for k, v in daily.items()}


def expected_gavage(
    farm: FarmData, extra: Iterable[tuple[int, int, float, float, float, float, datetime]] = ()
) -> dict[Any, Any]:
    """Per (lot, UTC day): rows are (lot_id, jour, dose, weight, temperature, humidity, stamp)."""
    table = farm.table("gavage_data_lots")
    names = ("lot_id", "jour_gavage", "dose_moyenne_g", "poids_moyen_g", "temperature_stabule_c", "humidite_stabule_pct", "horodatage")  # fmt: skip
    rows = [
        (int(lot), int(jour), float(dose), float(weight), float(temp), float(hum), as_utc(stamp))
        for lot, jour, dose, weight, temp, hum, stamp in zip(
            *(np.asarray(table.column(n)) for n in names), strict=True
        )
    ]
    sites = lot_sites(farm)
    groups: defaultdict[tuple[int, date], list[tuple[int, float, float, float, float]]] = defaultdict(list)
    for lot, jour, dose, weight, temp, hum, stamp in [*rows, *extra]:
        groups[lot, stamp.date()].append((jour, dose, weight, temp, hum))
    expected = {}
    for (lot, day), meals in groups.items():
        n = len(meals)
        expected[lot, day] = {
            "site_code": sites[lot],
            "jour_gavage": max(m[0] for m in meals),
            "meals": n,
            "dose_total_g": sum(m[1] for m in meals),
            "dose_mean_g": sum(m[1] for m in meals) / n,
            "weight_mean_g": sum(m[2] for m in meals) / n,
            "temperature_mean_c": sum(m[3] for m in meals) / n,
            "humidity_mean_pct": sum(m[4] for m in meals) / n,
        }
    return expected


def _columns(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def stored_aggregates(engine: Engine) -> tuple[dict[Any, Any], dict[Any, Any], dict[Any, Any]]:
    stats = (
        "site_code",
        "sample_count",
        "score_sum",
        "score_mean",
        "score_min",
        "score_max",
        *GRADE_COLUMNS.values(),
    )
    gavage = ("site_code", "jour_gavage", "meals", "dose_total_g", "dose_mean_g", "weight_mean_g", "temperature_mean_c", "humidity_mean_pct")  # fmt: skip
    with session_scope(engine) as session:
        hourly = {
            (r.day, r.hour, r.lot_id, r.device_id): _columns(r, stats)
            for r in session.scalars(select(SqalHourlyAggregate))
        }
        daily = {
            (r.day, r.lot_id, r.device_id): _columns(r, stats)
            for r in session.scalars(select(SqalDailyAggregate))
        }
        feeding = {
            (r.lot_id, r.day): _columns(r, gavage) for r in session.scalars(select(GavageDailyAggregate))
        }
    return hourly, daily, feeding


def assert_same_aggregates(stored: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert stored.keys() == expected.keys()
    for key, values in expected.items():
        for name, value in values.items():
            got = stored[key][name]
            if isinstance(value, float):
                assert abs(got - value) <= 1e-9 * max(1.0, abs(value)), (key, name, got, value)
            else:
                assert got == value, (key, name, got, value)
