"""What the gaveur clustering reads from the farm database, and where its segments are written back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gaveurs.contracts.ml import GaveurClusteringData, GaveurInfo, GaveurSegment, SkillLevel
from gaveurs.db.models import Gaveur
from gaveurs.farm import queries


def load_clustering_data(session: Session) -> GaveurClusteringData:
    """Every gaveur, the KPIs of all finished lots (one SQL aggregate), and the planted levels if generated."""
    gaveurs = [
        GaveurInfo(gaveur_id=g.id, site_code=g.site_code, nom=g.nom, prenom=g.prenom)
        for g in session.scalars(select(Gaveur).order_by(Gaveur.id))
    ]
    truths = queries.planted_truths(session)
    planted = None
    if truths is not None and truths.get("gaveur_levels"):
        planted = {int(gaveur): SkillLevel(level) for gaveur, level in truths["gaveur_levels"].items()}
    return GaveurClusteringData(gaveurs=gaveurs, lots=queries.lot_kpis(session, None), planted_levels=planted)


def write_gaveur_segments(session: Session, segments: Sequence[GaveurSegment], updated_at: datetime) -> int:
    """Store each gaveur's segment (NULL for those left unsegmented) and when; returns the rows updated.

    One executemany UPDATE by primary key; gaveurs deleted since the fit are skipped.
    """
    known = set(session.scalars(select(Gaveur.id).where(Gaveur.id.in_([s.gaveur_id for s in segments]))))
    rows = [
        {
            "id": s.gaveur_id,
            "segment": None if s.segment is None else s.segment.value,
            "segment_updated_at": updated_at,
        }
        for s in segments
        if s.gaveur_id in known
    ]
    if rows:
        session.execute(update(Gaveur), rows)
    return len(rows)
