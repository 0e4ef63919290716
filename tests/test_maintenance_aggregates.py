"""refresh_continuous_aggregates and cleanup_old_sensor_data on SQLite and PostgreSQL, against raw rows."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text, update

from gaveurs.db.migrate import upgrade
from gaveurs.db.models import GavageData, Lot, SensorSample, SqalHourlyAggregate
from gaveurs.db.session import session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.maintenance import aggregates
from gaveurs.maintenance.aggregates import read_watermarks, refresh_continuous_aggregates
from gaveurs.maintenance.sensor_retention import cleanup_old_sensor_data
from tests.fixtures_db import drop_postgres_database, make_postgres_database, postgres_or_skip
from tests.maintenance_support import (
    Sample,
    as_utc,
    assert_same_aggregates,
    expected_gavage,
    expected_sqal,
    farm_samples,
    loaded_engine,
    lot_sites,
    stored_aggregates,
)


@pytest.fixture
def engine(database_url: str, small_farm: FarmData) -> Iterator[Engine]:
    engine = loaded_engine(database_url, small_farm)
    try:
        yield engine
    finally:
        engine.dispose()


def add_samples(engine: Engine, samples: list[tuple[int, str, datetime, float, str]]) -> list[Sample]:
    """Insert (lot, device, stamp, score, grade) rows the way an ingestion would; returns them with ids."""
    added = []
    with session_scope(engine) as session:
        for lot_id, device, stamp, score, grade in samples:
            row = SensorSample(
                lot_id=lot_id, device_id=device, horodatage=stamp, tof_volume_mm3=520000.0,
                spectral_ratio=0.9, fusion_final_score=score, fusion_final_grade=grade,
            )  # fmt: skip
            session.add(row)
            session.flush()
            added.append(Sample(row.id, lot_id, device, as_utc(stamp), score, grade))
    return added


def test_first_refresh_equals_the_raw_rows_and_a_second_one_does_nothing(
    engine: Engine, small_farm: FarmData
) -> None:
    first = refresh_continuous_aggregates(engine)
    hourly, daily = expected_sqal(farm_samples(small_farm), lot_sites(small_farm))
    feeding = expected_gavage(small_farm)
    stored = stored_aggregates(engine)
    assert_same_aggregates(stored[0], hourly)
    assert_same_aggregates(stored[1], daily)
    assert_same_aggregates(stored[2], feeding)
    assert (first.sqal_hourly_rows, first.sqal_daily_rows, first.gavage_daily_rows) == (
        len(hourly), len(daily), len(feeding),
    )  # fmt: skip
    assert first.rows_refreshed == len(hourly) + len(daily) + len(feeding)
    assert first.watermarks == {
        "sensor_samples": small_farm.truths.counts["sensor_samples"],
        "gavage_data_lots": small_farm.truths.counts["gavage_data_lots"],
    }

    second = refresh_continuous_aggregates(engine)
    assert second.rows_refreshed == 0 and second.watermarks == first.watermarks
    assert stored_aggregates(engine) == stored


def test_only_the_touched_buckets_are_recomputed(engine: Engine, small_farm: FarmData) -> None:
    refresh_continuous_aggregates(engine)
    samples = farm_samples(small_farm)
    known, other = samples[0], samples[-1]
    assert known.lot_id != other.lot_id
    # An untouched bucket is damaged on purpose: an incremental refresh must not even look at it.
    damaged = (other.stamp.date(), other.stamp.hour, other.lot_id, other.device_id)
    with session_scope(engine) as session:
        session.execute(
            update(SqalHourlyAggregate)
            .where(
                SqalHourlyAggregate.day == damaged[0], SqalHourlyAggregate.hour == damaged[1],
                SqalHourlyAggregate.lot_id == damaged[2], SqalHourlyAggregate.device_id == damaged[3],
            )
            .values(score_mean=-1.0)
        )  # fmt: skip
        fed_lot = session.scalars(select(Lot.id).where(Lot.statut == "en_gavage").order_by(Lot.id)).first()
        last_meal = session.scalars(
            select(GavageData).where(GavageData.lot_id == fed_lot).order_by(GavageData.id.desc())
        ).first()
        assert fed_lot is not None and last_meal is not None
        next_day = as_utc(last_meal.horodatage) + timedelta(hours=12 if last_meal.repas == "matin" else 24)
        new_meal = (fed_lot, last_meal.jour_gavage + 1, 480.0, 6100.0, 21.5, 66.0, next_day)
        session.add(
            GavageData(
                lot_id=fed_lot, jour_gavage=new_meal[1], repas="soir" if last_meal.repas == "matin" else "matin",
                dose_moyenne_g=480.0, poids_moyen_g=6100.0, temperature_stabule_c=21.5,
                humidite_stabule_pct=66.0, horodatage=next_day,
            )
        )  # fmt: skip

    same_hour = known.stamp.replace(minute=59, second=30, microsecond=0)
    new_hour = known.stamp.replace(minute=0, second=0, microsecond=0) + timedelta(days=3, hours=2)
    added = add_samples(
        engine,
        [
            (known.lot_id, known.device_id, same_hour, 0.91, "A+"),
            (known.lot_id, known.device_id, same_hour, 0.31, "REJECT"),
            (known.lot_id, known.device_id, new_hour, 0.62, "B"),
        ],
    )
    result = refresh_continuous_aggregates(engine)
    # Two hours of one lot and device on two days; one feeding day.
    assert (result.sqal_hourly_rows, result.sqal_daily_rows, result.gavage_daily_rows) == (2, 2, 1)
    assert result.watermarks["sensor_samples"] == added[-1].id

    hourly, daily = expected_sqal([*samples, *added], lot_sites(small_farm))
    stored_hourly, stored_daily, stored_feeding = stored_aggregates(engine)
    assert stored_hourly.pop(damaged)["score_mean"] == -1.0
    hourly.pop(damaged)
    assert_same_aggregates(stored_hourly, hourly)
    assert_same_aggregates(stored_daily, daily)
    assert_same_aggregates(stored_feeding, expected_gavage(small_farm, [new_meal]))

    # A full refresh recomputes every bucket, the damaged one included.
    full = refresh_continuous_aggregates(engine, full=True)
    assert full.sqal_hourly_rows == len(hourly) + 1
    assert_same_aggregates(
        stored_aggregates(engine)[0], expected_sqal([*samples, *added], lot_sites(small_farm))[0]
    )


def test_a_failed_refresh_changes_nothing_and_the_retry_completes(
    engine: Engine, small_farm: FarmData, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object) -> int:
        raise RuntimeError("connection lost half way")

    monkeypatch.setattr(aggregates, "_refresh_gavage", fail)
    with pytest.raises(RuntimeError, match="half way"):
        refresh_continuous_aggregates(engine)
    assert stored_aggregates(engine) == ({}, {}, {})
    with engine.connect() as connection:
        assert {mark.last_id for mark in read_watermarks(connection).values()} == {0}

    monkeypatch.undo()
    retried = refresh_continuous_aggregates(engine)
    assert retried.rows_refreshed > 0
    assert_same_aggregates(
        stored_aggregates(engine)[0], expected_sqal(farm_samples(small_farm), lot_sites(small_farm))[0]
    )


@pytest.mark.postgres
def test_postgres_waits_for_inserts_in_flight_before_moving_the_watermark(small_farm: FarmData) -> None:
    """A sample inserted (uncommitted) before the refresh starts must not fall behind the watermark."""
    postgres_or_skip()
    url = make_postgres_database()
    upgrade(url)
    engine = loaded_engine(url, small_farm)
    try:
        refresh_continuous_aggregates(engine)
        sample = farm_samples(small_farm)[0]
        writer = engine.connect()
        transaction = writer.begin()
        late_id = writer.scalar(
            text(
                "INSERT INTO sensor_samples (lot_id, device_id, horodatage, tof_volume_mm3, spectral_ratio,"
                " fusion_final_score, fusion_final_grade) VALUES (:lot, :device, :stamp, 1, 1, 0.5, 'C')"
                " RETURNING id"
            ),
            {"lot": sample.lot_id, "device": sample.device_id, "stamp": sample.stamp},
        )
        # A later, committed sample has a higher id and is visible first.
        committed = add_samples(engine, [(sample.lot_id, sample.device_id, sample.stamp, 0.7, "A")])[0]
        assert committed.id > late_id
        outcome: dict[str, object] = {}
        refresher = threading.Thread(
            target=lambda: outcome.update(result=refresh_continuous_aggregates(engine))
        )
        refresher.start()
        time.sleep(0.5)
        assert refresher.is_alive(), "the refresh must wait for the open insert"
        transaction.commit()
        writer.close()
        refresher.join(30)
        result = outcome["result"]
        assert result.watermarks["sensor_samples"] == committed.id  # type: ignore[attr-defined]
        bucket = (sample.stamp.date(), sample.stamp.hour, sample.lot_id, sample.device_id)
        hourly, _ = expected_sqal(farm_samples(small_farm), lot_sites(small_farm))
        assert stored_aggregates(engine)[0][bucket]["sample_count"] == hourly[bucket]["sample_count"] + 2
    finally:
        engine.dispose()
        drop_postgres_database(url)


# --- cleanup_old_sensor_data ---------------------------------------------------------------------------

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_sensor_cleanup_deletes_only_aggregated_samples(engine: Engine, small_farm: FarmData) -> None:
    samples, sites = farm_samples(small_farm), lot_sites(small_farm)
    retention = 400
    cutoff = datetime.combine((NOW - timedelta(days=retention)).date(), datetime.min.time(), UTC)
    old = [s for s in samples if s.stamp < cutoff]
    assert 0 < len(old) < len(samples)

    # Before any refresh nothing is aggregated, so nothing may go.
    untouched = cleanup_old_sensor_data(engine, retention_days=retention, now=NOW)
    assert (untouched.deleted, untouched.kept_unaggregated) == (0, len(old))

    refresh_continuous_aggregates(engine)
    # Late arrivals after the refresh: into an aggregated old hour, and into an old hour never aggregated.
    late = add_samples(
        engine,
        [
            (old[0].lot_id, old[0].device_id, old[0].stamp, 0.8, "A"),
            (old[0].lot_id, "SQAL-ZZ-09", old[0].stamp - timedelta(days=30), 0.5, "C"),
        ],
    )
    progress: list[tuple[int, str]] = []
    result = cleanup_old_sensor_data(
        engine,
        retention_days=retention,
        batch_size=1000,
        now=NOW,
        on_progress=lambda p, s: progress.append((p, s)),
    )
    assert result.deleted == len(old) and result.kept_unaggregated == 2
    assert result.cutoff == cutoff and result.batches == len(progress) - 2 >= -(-len(old) // 1000)
    percents = [p for p, _ in progress]
    assert percents == sorted(percents) and percents[-1] == 100
    # Bounded transactions: no batch deleted more than batch_size rows (hours here are far smaller).
    running_totals = [0, *(int(stage.split()[0]) for _, stage in progress[1:-1])]
    assert running_totals[-1] == len(old)
    assert all(0 < b - a <= 1000 for a, b in itertools.pairwise(running_totals))
    with session_scope(engine) as session:
        remaining = set(session.scalars(select(SensorSample.id)))
    assert remaining == {s.id for s in samples if s.stamp >= cutoff} | {s.id for s in late}

    # The aggregates still count the deleted samples; the late ones are added to their sealed buckets.
    hourly, daily = expected_sqal(samples, sites)
    assert_same_aggregates(stored_aggregates(engine)[0], hourly)
    refresh_continuous_aggregates(engine)
    hourly, daily = expected_sqal([*samples, *late], sites)
    assert_same_aggregates(stored_aggregates(engine)[0], hourly)
    assert_same_aggregates(stored_aggregates(engine)[1], daily)
    # A full refresh recomputes the unsealed days only: the old buckets keep their deleted rows.
    refresh_continuous_aggregates(engine, full=True)
    assert_same_aggregates(stored_aggregates(engine)[0], hourly)
    assert_same_aggregates(stored_aggregates(engine)[1], daily)

    # Once folded in, the late samples go too; then there is nothing left to do.
    again = cleanup_old_sensor_data(engine, retention_days=retention, now=NOW)
    assert (again.deleted, again.kept_unaggregated) == (2, 0)
    assert cleanup_old_sensor_data(engine, retention_days=retention, now=NOW).deleted == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SensorSample)) == len(samples) - len(old)
