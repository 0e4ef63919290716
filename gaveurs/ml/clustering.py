"""K-Means of the gaveurs on their lots' KPIs into the five performance segments, best first.

Each gaveur is described by medians over their finished lots (mortality, SQAL score, ITM): a median, so one
incident lot does not move a gaveur. The KPIs are then scaled by their *measurement noise* — the lot-to-lot
spread within a gaveur, divided by √(lots per gaveur) — rather than by their spread across gaveurs. A KPI on
which gaveurs differ no more than chance (ITM, here) then weighs little, and one that separates them reliably
(mortality) weighs much; plain z-scores give every noisy KPI the same say and split the gaveurs along noise
(adjusted Rand index ≈ 0.3–0.5 against the planted levels instead of ≥ 0.8). Clusters are ordered on a
performance axis (lower mortality and ITM, higher SQAL score, in the same noise units) and named Excellence …
Critique.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from gaveurs.contracts.ml import (
    ClusterStats,
    GaveurClustering,
    GaveurClusteringData,
    GaveurSegment,
    LotKpis,
    SkillLevel,
)
from gaveurs.errors import InsufficientData
from gaveurs.ml.progress import ProgressCallback, no_progress

# +1 where higher is better, −1 where lower is better.
FEATURES: dict[str, int] = {"mortalite_pct": -1, "sqal_score_moyen": +1, "itm": -1}
SEGMENTS = list(SkillLevel)  # best first
MIN_GAVEURS_PER_SEGMENT = 2
# Asymptotic efficiency of the median: its standard error is this × sd / √n for normal data.
MEDIAN_SE_FACTOR = math.sqrt(math.pi / 2)
MAD_TO_SD = 1.4826


def _lot_matrix(lots: list[LotKpis]) -> np.ndarray:
    return np.array(
        [[np.nan if getattr(lot, name) is None else getattr(lot, name) for name in FEATURES] for lot in lots],
        dtype=float,
    ).reshape(len(lots), len(FEATURES))


def _noise_scale(per_gaveur: list[np.ndarray], medians: np.ndarray) -> np.ndarray:
    """Standard error of a typical gaveur's median, per KPI, from the pooled within-gaveur spread."""
    residuals = np.vstack([values - medians[i] for i, values in enumerate(per_gaveur)])
    spread = MAD_TO_SD * np.nanmedian(np.abs(residuals), axis=0)
    spread = np.where(spread > 1e-12, spread, np.nanstd(residuals, axis=0) + 1e-12)
    typical_lots = float(np.median([len(values) for values in per_gaveur]))
    scale: np.ndarray = MEDIAN_SE_FACTOR * spread / math.sqrt(typical_lots)
    return scale


def _rounded(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def cluster_gaveurs(
    data: GaveurClusteringData,
    *,
    min_lots: int = 3,
    seed: int = 0,
    on_progress: ProgressCallback = no_progress,
) -> GaveurClustering:
    """Segment every gaveur with at least `min_lots` finished lots; raises InsufficientData below 10 of them."""
    on_progress(5, "indicateurs par gaveur")
    by_gaveur: dict[int, list[LotKpis]] = {}
    for lot in data.lots:
        if lot.gaveur_id is not None:
            by_gaveur.setdefault(lot.gaveur_id, []).append(lot)
    info = {g.gaveur_id: g for g in data.gaveurs}
    eligible = sorted(g for g, lots in by_gaveur.items() if len(lots) >= min_lots and g in info)
    needed = MIN_GAVEURS_PER_SEGMENT * len(SEGMENTS)
    if len(eligible) < needed:
        raise InsufficientData.error(
            f"only {len(eligible)} gaveurs have at least {min_lots} finished lots; "
            f"{needed} are needed for {len(SEGMENTS)} segments"
        )

    per_gaveur = [_lot_matrix(by_gaveur[g]) for g in eligible]
    medians = np.vstack([np.nanmedian(values, axis=0) for values in per_gaveur])
    livers = np.array([np.median([lot.poids_foie_moyen_g for lot in by_gaveur[g]]) for g in eligible])
    scale = _noise_scale(per_gaveur, medians)
    # A gaveur without any SQAL sample sits at the mean on that axis: neither good nor bad.
    X = np.nan_to_num((medians - np.nanmean(medians, axis=0)) / scale, nan=0.0)

    on_progress(30, "K-Means (5 segments)")
    kmeans = KMeans(n_clusters=len(SEGMENTS), n_init=20, random_state=seed).fit(X)
    direction = np.array(list(FEATURES.values()), dtype=float)
    performance = kmeans.cluster_centers_ @ direction
    order = np.argsort(-performance)  # best cluster first
    segment_of_cluster = {int(cluster): SEGMENTS[rank] for rank, cluster in enumerate(order)}
    labels = kmeans.labels_
    silhouette = float(silhouette_score(X, labels))

    on_progress(80, "statistiques des segments")
    segments: list[GaveurSegment] = []
    for i, gaveur_id in enumerate(eligible):
        level = segment_of_cluster[int(labels[i])]
        person = info[gaveur_id]
        segments.append(
            GaveurSegment(
                gaveur_id=gaveur_id,
                site_code=person.site_code,
                nom=f"{person.prenom} {person.nom}",
                n_lots=len(by_gaveur[gaveur_id]),
                segment=level,
                label=level.label,
                mortalite_pct=_rounded(medians[i, 0], 2),
                sqal_score_moyen=_rounded(medians[i, 1], 4),
                itm=_rounded(medians[i, 2], 2),
                poids_foie_moyen_g=round(float(livers[i]), 1),
                planted_level=(data.planted_levels or {}).get(gaveur_id),
            )
        )
    excluded = sorted(set(info) - set(eligible))
    for gaveur_id in excluded:
        person = info[gaveur_id]
        segments.append(
            GaveurSegment(
                gaveur_id=gaveur_id,
                site_code=person.site_code,
                nom=f"{person.prenom} {person.nom}",
                n_lots=len(by_gaveur.get(gaveur_id, [])),
                segment=None,
                label=None,
                mortalite_pct=None,
                itm=None,
                sqal_score_moyen=None,
                poids_foie_moyen_g=None,
                planted_level=(data.planted_levels or {}).get(gaveur_id),
            )
        )
    segments.sort(key=lambda s: s.gaveur_id)

    clusters = []
    for rank, cluster in enumerate(order):
        members = np.flatnonzero(labels == cluster)
        sqal = medians[members, 1]
        clusters.append(
            ClusterStats(
                segment=SEGMENTS[rank],
                label=SEGMENTS[rank].label,
                size=len(members),
                n_lots=sum(len(by_gaveur[eligible[m]]) for m in members),
                mortalite_pct=round(float(medians[members, 0].mean()), 2),
                itm_moyen=round(float(medians[members, 2].mean()), 2),
                sqal_score_moyen=_rounded(float(np.nanmean(sqal)), 4) if np.isfinite(sqal).any() else None,
                poids_foie_moyen_g=round(float(livers[members].mean()), 1),
                performance_score=round(float(performance[cluster]), 2),
                gaveur_ids=[eligible[m] for m in members],
            )
        )

    ari = agreement = None
    if data.planted_levels:
        known = [s for s in segments if s.segment is not None and s.planted_level is not None]
        if known:
            truth = [s.planted_level for s in known]
            found = [s.segment for s in known]
            ari = round(float(adjusted_rand_score(truth, found)), 4)
            agreement = round(sum(t == f for t, f in zip(truth, found, strict=True)) / len(known), 4)
    on_progress(100, "terminé")
    return GaveurClustering(
        n_clusters=len(SEGMENTS),
        features=list(FEATURES),
        silhouette_score=round(silhouette, 4),
        clusters=clusters,
        gaveurs=segments,
        n_gaveurs=len(eligible),
        n_lots=sum(len(by_gaveur[g]) for g in eligible),
        excluded_gaveur_ids=excluded,
        adjusted_rand_index=ari,
        planted_agreement=agreement,
    )
