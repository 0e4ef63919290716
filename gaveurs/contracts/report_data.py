"""What the site and weekly reports show, loaded in one step so rendering is a pure function of it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from gaveurs.contracts.exports import FeedingRow


class SiteLotLine(BaseModel):
    lot_id: int
    code_lot: str
    gaveur: str
    genetique: str
    debut_gavage: date
    duree_gavage: int
    statut: str
    nb_canards_places: int
    nb_canards_morts: int
    poids_foie_moyen_g: float | None
    itm: float | None
    sqal_samples: int
    sqal_score_moyen: float | None


class GaveurLine(BaseModel):
    gaveur: str
    lots: int
    nb_canards_places: int
    mortalite_pct: float | None
    poids_foie_moyen_g: float | None
    itm: float | None


class SiteKpis(BaseModel):
    """Totals over the lots of the period; liver weight and ITM over the weighed lots, weighted by ducks."""

    lots: int
    weighed_lots: int
    nb_canards_places: int
    nb_canards_morts: int
    poids_foie_moyen_g: float | None
    itm: float | None
    sqal_grades: dict[str, int]
    sqal_score_moyen: float | None
    feedback_count: int
    feedback_rating_moyen: float | None


class SiteReportData(BaseModel):
    site_code: str
    site_nom: str
    region: str
    date_debut: date
    date_fin: date
    kpis: SiteKpis
    lots: list[SiteLotLine]  # lots whose feeding overlaps the period, by start day
    gaveurs: list[GaveurLine]
    # Mean dose per feeding day and meal over the period's lots: the site's typical feeding curve.
    feeding_curve: list[FeedingRow]


class WeekFacts(BaseModel):
    """What happened at a site during one week (Monday to Sunday, UTC days)."""

    lots_mis_en_place: int
    lots_fin_de_gavage: int
    lots_abattus: int
    echantillons_sqal: int
    avis: int
    note_moyenne: float | None


class WeeklyReportData(BaseModel):
    site: SiteReportData  # over the week
    iso_year: int
    iso_week: int
    this_week: WeekFacts
    previous_week: WeekFacts
