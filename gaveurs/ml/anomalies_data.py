"""What anomaly detection reads: the KPIs of the finished lots of one site, or of every site."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gaveurs.contracts.ml import LotKpis
from gaveurs.errors import InsufficientData, SiteNotFound
from gaveurs.farm import queries

# Below this a site's median and spread are not a norm worth judging a lot against.
MIN_LOTS = 20


def load_lot_kpis(session: Session, site_code: str | None) -> list[LotKpis]:
    """ITM, mortality, liver weight and SQAL figures of finished lots (one SQL aggregate).

    Raises SiteNotFound for an unknown site and InsufficientData with fewer than MIN_LOTS finished lots.
    """
    if site_code is not None and site_code not in queries.site_codes(session):
        raise SiteNotFound.error(f"site {site_code} not found")
    kpis = queries.lot_kpis(session, site_code)
    if len(kpis) < MIN_LOTS:
        raise InsufficientData.error(
            f"only {len(kpis)} finished lots for site {site_code or 'all'}; at least {MIN_LOTS} are needed"
        )
    return kpis
