"""SQAL quality-line samples and consumer feedback, for slaughtered lots only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gaveurs.farm.tables import Table
from gaveurs.farm.truths import TODAY, FeedbackRule, SqalRule

if TYPE_CHECKING:
    from gaveurs.farm.generator import Lots

Array = np.ndarray[Any, Any]
LIVER_DENSITY_G_PER_CM3 = 1.05
COMMENTS = {  # by rating
    1: ("Décevant pour le prix.", "Texture granuleuse, beaucoup de perte à la cuisson.", "Goût fade."),
    2: ("Un peu trop de graisse à la cuisson.", "Correct mais sans plus.", "Foie un peu petit."),
    3: ("Correct, rien à redire.", "Bon rapport qualité-prix.", "Convenable pour un apéritif."),
    4: ("Très bon foie, bien présenté.", "Goût délicat, je recommande.", "Belle texture."),
    5: ("Excellent, fondant à souhait.", "Parfait pour les fêtes !", "Le meilleur que nous ayons goûté."),
}


def grade(scores: Array, rule: SqalRule) -> Array:
    grades = np.full(scores.shape, "REJECT", dtype=object)
    for bound, name in reversed(rule.grade_bounds):
        grades[scores >= bound] = name
    return grades


def sensor_table(
    rng: np.random.Generator, lots: Lots, rule: SqalRule, sampled_share: float
) -> tuple[Table, Array]:
    """Samples of a share of each slaughtered lot's surviving ducks, one liver per sample.

    Returns the table and each lot's mean stored score (NaN without samples): the feedback rule uses it, so
    the truth is checkable from the database alone.
    """
    n_lots = len(lots.ids)
    slaughtered = np.flatnonzero(lots.status == "abattu")
    per_lot = np.round((lots.placed - lots.dead)[slaughtered] * sampled_share).astype(int)
    owner = np.repeat(slaughtered, per_lot)
    n = len(owner)
    lot_offset = rng.normal(0, rule.lot_sigma, n_lots) + lots.sqal_offset
    liver = lots.liver[owner] + rng.normal(0, 40, n)
    raw = rule.top_score - np.abs(liver - rule.target_liver_g) / rule.scale_g + lot_offset[owner]
    score = (raw + rng.normal(0, rule.sample_sigma, n)).clip(0, 1).round(4)
    # ToF measures the liver's volume; the spectral fat ratio grows with size and with quality.
    volume = liver / LIVER_DENSITY_G_PER_CM3 * 1000 + rng.normal(0, 8000, n)
    spectral = 0.55 + 0.0005 * liver + 0.25 * score + rng.normal(0, 0.02, n)
    seconds = rng.integers(6 * 3600, 14 * 3600, n)  # the line runs 07:00–15:00 in Paris
    stamps = lots.slaughter[owner].astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    line = np.where(rng.random(n) < 0.5, "-01", "-02")
    devices = np.char.add(np.char.add("SQAL-", lots.site[owner].astype(str)), line)
    table = Table(
        "sensor_samples",
        ("id", "lot_id", "device_id", "horodatage", "tof_volume_mm3", "spectral_ratio", "fusion_final_score",
         "fusion_final_grade"),
        (np.arange(1, n + 1), lots.ids[owner], devices, stamps, volume.round(0), spectral.round(4), score,
         grade(score, rule)),
    )  # fmt: skip
    counts = np.bincount(owner, minlength=n_lots)
    sums = np.bincount(owner, weights=score, minlength=n_lots)
    mean = np.divide(sums, counts, out=np.full(n_lots, np.nan), where=counts > 0)
    return table, mean


def feedback_table(rng: np.random.Generator, lots: Lots, sqal_mean: Array, rule: FeedbackRule) -> Table:
    """Ratings follow `rule` (mean SQAL score and curve regularity); comments match the rating."""
    slaughtered = np.flatnonzero((lots.status == "abattu") & ~np.isnan(sqal_mean))
    owner = np.repeat(slaughtered, rng.poisson(rule.mean_per_lot, len(slaughtered)))
    n = len(owner)
    expected = rule.expected_rating(sqal_mean[owner], lots.shape[owner])
    rating = np.rint(expected + rng.normal(0, rule.noise_sigma, n)).clip(1, 5).astype(int)
    # Consumers scan the QR code from the day after slaughter up to two months later, never after today.
    slaughter = lots.slaughter[owner].astype("datetime64[s]")
    window = np.minimum(
        np.timedelta64(60 * 86400, "s"), np.datetime64(TODAY, "s") - slaughter - np.timedelta64(86400, "s")
    )
    delay = np.timedelta64(86400, "s") + (window.astype(float) * rng.random(n)).astype("timedelta64[s]")
    created = slaughter + delay
    pick = rng.integers(0, 3, n)
    with_comment = rng.random(n) < rule.comment_share
    comments = [
        COMMENTS[r][p] if keep else None
        for r, p, keep in zip(rating.tolist(), pick.tolist(), with_comment.tolist(), strict=True)
    ]
    with_email = rng.random(n) < rule.email_share
    emails = [f"client.{i}@example.fr" if keep else None for i, keep in enumerate(with_email.tolist(), 1)]
    return Table(
        "consumer_feedbacks",
        ("id", "lot_id", "rating", "comment", "email", "created_at"),
        (np.arange(1, n + 1), lots.ids[owner], rating, comments, emails, created),
    )
