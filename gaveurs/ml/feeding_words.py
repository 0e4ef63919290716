"""The optimiser's key factors in words a gaveur reads: what weighs on quality, and what the curve changes."""

from __future__ import annotations

import numpy as np

from gaveurs.contracts.ml import FeatureImportance
from gaveurs.ml.feeding_features import CURVE_FEATURES, FEATURES, LABELS, Array

TOP_FACTORS = 5
DIGITS = {"mais_total_kg": 2, "exposant_rampe": 2, "poids_initial_kg": 2, "temperature_moyenne_c": 1}


def french_number(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")
    return text


def _value(feature: str, value: float) -> str:
    if feature == "barbarie":
        return "oui" if value >= 0.5 else "non"
    return french_number(value, DIGITS.get(feature, 0))


def describe_factors(
    importances: Array, actual: Array, optimized: Array
) -> tuple[list[FeatureImportance], list[str]]:
    """Every feature's share of the models' importance, and the strongest few as sentences."""
    order = np.argsort(-importances)
    factors = [
        FeatureImportance(
            feature=FEATURES[i],
            label=LABELS[FEATURES[i]],
            importance=round(float(importances[i]), 4),
            actual=round(float(actual[i]), 4),
            optimized=round(float(optimized[i]), 4),
        )
        for i in order
    ]
    words = []
    for factor in factors[:TOP_FACTORS]:
        share = french_number(100 * factor.importance, 0)
        head = (
            f"{factor.label[0].upper()}{factor.label[1:]} : {share} % de l'influence sur la qualité prédite"
        )
        if factor.feature in CURVE_FEATURES:
            change = (
                f"inchangé ({_value(factor.feature, factor.actual)})"
                if _value(factor.feature, factor.actual) == _value(factor.feature, factor.optimized)
                else f"{_value(factor.feature, factor.actual)} → {_value(factor.feature, factor.optimized)}"
            )
            words.append(f"{head} ; courbe actuelle → optimisée : {change}")
        else:
            words.append(f"{head} ; propre au lot ({_value(factor.feature, factor.actual)}), non modifiable")
    return factors, words
