"""SQAL quality-line samples and consumer feedback of slaughtered lots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gaveurs.farm.tables import Table
from gaveurs.farm.truths import TODAY, FeedbackRule

if TYPE_CHECKING:
    from gaveurs.farm.generator import Lots

GRADE_BOUNDS = ((0.85, "A+"), (0.70, "A"), (0.55, "B"), (0.40, "C"))
TARGET_LIVER_G = 550.0
COMMENTS = (
    "Excellent, fondant à souhait.", "Très bon foie, bien présenté.", "Correct sans plus.",
    "Un peu trop de graisse à la cuisson.", "Décevant pour le prix.", "Parfait pour les fêtes !",
    "Texture granuleuse.", "Goût délicat, je recommande.",
)  # fmt: skip


def grade(scores: np.ndarray) -> np.ndarray:
    grades = np.full(scores.shape, "REJECT", dtype=object)
    for bound, name in reversed(GRADE_BOUNDS):
        grades[scores >= bound] = name
    return grades


def sensor_table(rng: np.random.Generator, lots: Lots, per_lot: int) -> tuple[Table, np.ndarray]:
    """Samples for slaughtered lots; the lot's quality is best when its liver is near the 550 g target.

    Returns the table and each lot's underlying quality score (NaN when not slaughtered).
    """
    slaughtered = np.flatnonzero(lots.status == "abattu")
    lot_score = np.full(len(lots.ids), np.nan)
    lot_score[slaughtered] = (
        0.92 - np.abs(lots.liver[slaughtered] - TARGET_LIVER_G) / 400 + rng.normal(0, 0.05, len(slaughtered))
    ).clip(0.05, 0.99)

    owner = np.repeat(slaughtered, per_lot)
    n = len(owner)
    score = (lot_score[owner] + rng.normal(0, 0.06, n)).clip(0, 1).round(4)
    volume = lots.liver[owner] * 1000 / 1.05 + rng.normal(0, 9000, n)
    spectral = 0.8 + 0.4 * score + rng.normal(0, 0.03, n)
    seconds = rng.integers(8 * 3600, 16 * 3600, n)
    stamps = lots.slaughter[owner].astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    devices = np.char.add(
        np.char.add("SQAL-", lots.site[owner].astype(str)), np.where(seconds % 2, "-01", "-02")
    )
    table = Table(
        "sensor_samples",
        ("id", "lot_id", "device_id", "horodatage", "tof_volume_mm3", "spectral_ratio", "fusion_final_score",
         "fusion_final_grade"),
        (np.arange(1, n + 1), lots.ids[owner], devices, stamps, volume.round(0), spectral.round(4), score,
         grade(score)),
    )  # fmt: skip
    return table, lot_score


def curve_regularity(shape: np.ndarray) -> np.ndarray:
    """1 for a linear feeding curve, falling to 0 as the exponent moves 0.6 away from linear."""
    regularity: np.ndarray = (1 - np.abs(shape - 1) / 0.6).clip(0, 1)
    return regularity


def feedback_table(
    rng: np.random.Generator, lots: Lots, lot_score: np.ndarray, rule: FeedbackRule, per_lot: float
) -> Table:
    slaughtered = np.flatnonzero(lots.status == "abattu")
    owner = np.repeat(slaughtered, rng.poisson(per_lot, len(slaughtered)))
    n = len(owner)
    latent = 1 + 4 * (
        rule.weight_sqal * lot_score[owner] + rule.weight_curve * curve_regularity(lots.shape[owner])
    )
    rating = np.rint(latent + rng.normal(0, rule.noise_sigma, n)).clip(1, 5).astype(int)
    created = lots.slaughter[owner].astype("datetime64[s]") + rng.integers(3 * 86400, 60 * 86400, n).astype(
        "timedelta64[s]"
    )
    created = np.minimum(created, np.datetime64(TODAY).astype("datetime64[s]"))
    with_comment = rng.random(n) < 0.5
    comments = [
        str(c) if keep else None for c, keep in zip(rng.choice(COMMENTS, n), with_comment, strict=True)
    ]
    emails = [f"client{i}@example.fr" if keep else None for i, keep in enumerate(rng.random(n) < 0.4)]
    return Table(
        "consumer_feedbacks",
        ("id", "lot_id", "rating", "comment", "email", "created_at"),
        (np.arange(1, n + 1), lots.ids[owner], rating, comments, emails, created),
    )
