"""Gaveur clustering on the generated farms: the planted skill levels come back, named and in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.ml import GaveurClustering, SkillLevel
from gaveurs.db.models import Gaveur
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.farm.loader import load_farm
from gaveurs.ml.clustering import cluster_gaveurs
from gaveurs.ml.clustering_data import load_clustering_data, write_gaveur_segments


def utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back naive (stored as UTC), PostgreSQL aware.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check(result: GaveurClustering, n_gaveurs: int) -> None:
    assert result.adjusted_rand_index is not None and result.adjusted_rand_index >= 0.6
    assert result.planted_agreement is not None and result.planted_agreement >= 0.75
    assert result.silhouette_score > 0.3
    assert [c.segment for c in result.clusters] == list(SkillLevel)
    assert [c.label for c in result.clusters] == [
        "Excellence",
        "Performant",
        "Moyen",
        "En difficulté",
        "Critique",
    ]
    assert (
        sum(c.size for c in result.clusters) == result.n_gaveurs == n_gaveurs
        and not result.excluded_gaveur_ids
    )
    # Ordered by performance: deaths go up and SQAL scores down from Excellence to Critique.
    mortality = [c.mortalite_pct for c in result.clusters]
    sqal = [c.sqal_score_moyen for c in result.clusters]
    assert mortality == sorted(mortality) and sqal == sorted(sqal, reverse=True)  # type: ignore[type-var]
    scores = [c.performance_score for c in result.clusters]
    assert scores == sorted(scores, reverse=True)
    for cluster in result.clusters:
        members = [g for g in result.gaveurs if g.segment is cluster.segment]
        assert sorted(g.gaveur_id for g in members) == sorted(cluster.gaveur_ids)
        assert cluster.n_lots == sum(g.n_lots for g in members)


def test_small_farm_on_both_backends(farm_engine: Engine) -> None:
    with session_scope(farm_engine) as session:
        data = load_clustering_data(session)
    assert data.planted_levels is not None and len(data.planted_levels) == len(data.gaveurs) == 18
    progress: list[tuple[int, str]] = []
    result = cluster_gaveurs(data, on_progress=lambda p, s: progress.append((p, s)))
    check(result, 18)
    assert [p for p, _ in progress] == sorted(p for p, _ in progress) and progress[-1] == (100, "terminé")


def test_demo_farm(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        data = load_clustering_data(session)
    result = cluster_gaveurs(data)
    check(result, 60)
    assert result.model_dump() == cluster_gaveurs(data).model_dump()  # seeded: the same segments again


def test_gaveurs_with_too_few_lots_stay_unsegmented(farm_engine: Engine) -> None:
    with session_scope(farm_engine) as session:
        data = load_clustering_data(session)
    counts: dict[int, int] = {}
    for lot in data.lots:
        assert lot.gaveur_id is not None
        counts[lot.gaveur_id] = counts.get(lot.gaveur_id, 0) + 1
    threshold = sorted(counts.values())[3]  # leaves out up to three gaveurs, those with the fewest lots
    result = cluster_gaveurs(data, min_lots=threshold)
    left_out = sorted(g for g, n in counts.items() if n < threshold)
    assert result.excluded_gaveur_ids == left_out and 1 <= len(left_out) <= 3
    assert all(g.segment is None for g in result.gaveurs if g.gaveur_id in left_out)
    with pytest.raises(ApplicationError) as error:
        cluster_gaveurs(data, min_lots=max(counts.values()))
    assert error.value.type == "InsufficientData" and "are needed for 5 segments" in str(error.value)


def test_segments_are_written_back_on_the_gaveurs(database_url: str, small_farm: FarmData) -> None:
    engine = make_engine(database_url)
    try:
        load_farm(engine, small_farm)
        with session_scope(engine) as session:
            result = cluster_gaveurs(load_clustering_data(session))
        first = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
        with session_scope(engine) as session:
            assert write_gaveur_segments(session, result.gaveurs, first) == 18
        with session_scope(engine) as session:
            stored = {g.id: (g.segment, g.segment_updated_at) for g in session.scalars(select(Gaveur))}
        for segment in result.gaveurs:
            value, updated = stored[segment.gaveur_id]
            assert segment.segment is not None and value == segment.segment.value
            assert updated is not None and utc(updated) == first
        # A later run overwrites; a gaveur that no longer exists is skipped.
        later = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
        moved = result.gaveurs[0].model_copy(update={"segment": None, "label": None})
        ghost = result.gaveurs[1].model_copy(update={"gaveur_id": 999})
        with session_scope(engine) as session:
            assert write_gaveur_segments(session, [moved, ghost], later) == 1
        with session_scope(engine) as session:
            gaveur = session.get(Gaveur, moved.gaveur_id)
            assert gaveur is not None and gaveur.segment is None and gaveur.segment_updated_at is not None
    finally:
        engine.dispose()
