"""Who a notification goes to, and the facts it tells them: the SQL of the notification tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaveurs.contracts.notifications import LotCompletionKpis
from gaveurs.db.models import ConsumerFeedback, Gaveur, Lot, SiteManager
from gaveurs.farm.queries import FINISHED, lot_report_data

ROLE_TITLES = {
    "directeur_site": "Direction du site",
    "responsable_production": "Responsable production",
    "responsable_qualite": "Responsable qualité",
    "gaveur": "Gaveur",
    "consommateur": "Consommateur",
}


@dataclass(frozen=True)
class Person:
    ref: str  # manager-3, gaveur-12, feedback-55: names the person in keys and results, not their contacts
    prenom: str
    nom: str
    role: str
    phone: str | None
    email: str | None

    @property
    def name(self) -> str:
        return f"{self.prenom} {self.nom}".strip()


@dataclass(frozen=True)
class FeedbackFacts:
    feedback_id: int
    lot_id: int
    code_lot: str
    rating: int
    comment: str | None
    email: str | None
    created_at: datetime


def site_managers(session: Session, site_code: str) -> list[Person]:
    """The site's managers, directors first; empty for a site without managers (or an unknown site)."""
    rows = session.scalars(
        select(SiteManager).where(SiteManager.site_code == site_code).order_by(SiteManager.id)
    ).all()
    return [_manager(m) for m in sorted(rows, key=lambda m: (m.role != "directeur_site", m.id))]


def _manager(m: SiteManager) -> Person:
    return Person(f"manager-{m.id}", m.prenom, m.nom, m.role, m.telephone, m.email)


def _gaveur(g: Gaveur) -> Person:
    return Person(f"gaveur-{g.id}", g.prenom, g.nom, "gaveur", g.telephone, g.email)


def lot_gaveur(session: Session, lot_id: int) -> Person | None:
    found = session.execute(
        select(Gaveur).join(Lot, Lot.gaveur_id == Gaveur.id).where(Lot.id == lot_id)
    ).scalar_one_or_none()
    return None if found is None else _gaveur(found)


def person_by_ref(session: Session, ref: str) -> Person | None:
    """The person a reference names (`manager-3`, `gaveur-12`, `feedback-55`), with their contacts as stored
    now; None when there is no such person (any more).

    References are what workflow histories carry instead of contacts: the step that sends reads them here.
    """
    kind, _, number = ref.rpartition("-")
    if not number.isdigit():
        return None
    if kind == "manager":
        manager = session.get(SiteManager, int(number))
        return None if manager is None else _manager(manager)
    if kind == "gaveur":
        gaveur = session.get(Gaveur, int(number))
        return None if gaveur is None else _gaveur(gaveur)
    if kind == "feedback":
        feedback = session.get(ConsumerFeedback, int(number))
        return None if feedback is None else consumer(feedback.id, feedback.email)
    return None


def consumer(feedback_id: int, email: str | None) -> Person:
    """The consumer behind a feedback: known only by the address they left, if any."""
    return Person(f"feedback-{feedback_id}", "", "", "consommateur", None, email)


def lot_completion_kpis(session: Session, lot_id: int) -> LotCompletionKpis | None:
    """The finished lot's figures, or None when the lot is unknown or still being fed (no liver weight)."""
    data = lot_report_data(session, lot_id)
    if data is None or data.statut not in FINISHED or data.poids_foie_moyen_g is None or data.itm is None:
        return None
    return LotCompletionKpis(
        code_lot=data.code_lot,
        site_code=data.site_code,
        gaveur=data.gaveur,
        genetique=data.genetique,
        statut=data.statut,
        debut_gavage=data.debut_gavage,
        duree_gavage=data.duree_gavage,
        nb_canards_places=data.nb_canards_places,
        nb_canards_morts=data.nb_canards_morts,
        mortalite_pct=round(100 * data.nb_canards_morts / data.nb_canards_places, 2),
        poids_foie_moyen_g=data.poids_foie_moyen_g,
        itm=data.itm,
        dose_totale_kg=round(sum(row.dose_moyenne_g for row in data.feeding) / 1000, 3),
        sqal_score_moyen=data.sqal_score_moyen,
        sqal_grades=data.sqal_grades,
        feedback_count=data.feedback_count,
        feedback_rating_moyen=data.feedback_rating_moyen,
    )


def feedback_facts(session: Session, feedback_id: int) -> FeedbackFacts | None:
    found = session.execute(
        select(ConsumerFeedback, Lot.code_lot)
        .join(Lot, Lot.id == ConsumerFeedback.lot_id)
        .where(ConsumerFeedback.id == feedback_id)
    ).first()
    if found is None:
        return None
    feedback, code_lot = found
    return FeedbackFacts(
        feedback.id, feedback.lot_id, code_lot, feedback.rating, feedback.comment, feedback.email,
        feedback.created_at,
    )  # fmt: skip
