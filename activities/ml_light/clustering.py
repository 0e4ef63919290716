"""Activities of cluster_gaveurs_async: K-Means in a child process, then the segments written on the gaveurs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.ml import ClusterGaveursInput, GaveurClustering, GaveurSegment
from gaveurs.db.session import session_scope
from gaveurs.ml.clustering import cluster_gaveurs
from gaveurs.ml.clustering_data import load_clustering_data, write_gaveur_segments

LOADED = 10


def cluster_in_child(params: ClusterGaveursInput, reporter: Reporter) -> GaveurClustering:
    """Child-process target: every gaveur's finished lots (one SQL aggregate), then K-Means."""
    reporter(1, "indicateurs des lots par gaveur")
    with session_scope() as session:
        data = load_clustering_data(session)

    def progress(percent: int, stage: str) -> None:
        reporter(LOADED + (100 - LOADED) * percent // 100, stage)

    return cluster_gaveurs(data, min_lots=params.min_lots, seed=params.seed, on_progress=progress)


@activity.defn(name="fit_gaveur_clusters")
async def fit_gaveur_clusters(params: ClusterGaveursInput) -> GaveurClustering:
    return await run_in_child_process(cluster_in_child, params, stage="indicateurs des lots par gaveur")


class StoreSegments(BaseModel):
    segments: list[GaveurSegment]
    updated_at: datetime  # the workflow's time: every attempt writes the same values


@activity.defn(name="store_gaveur_segments")
def store_gaveur_segments(request: StoreSegments) -> int:
    """Write each gaveur's segment (idempotent: a retry writes the same values); returns the rows updated."""
    with session_scope() as session:
        return write_gaveur_segments(session, request.segments, request.updated_at)
