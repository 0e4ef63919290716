"""The daily production series Prophet forecasts, read from the site's production log.

The measure is `site_daily_production.foies_produits`: livers out of the site's processing line each open day
(the line is closed on Sundays: no row). A few thousand livers a day per site is enough volume for a daily
forecast; lot starts (about one a day per site) are not.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaveurs.contracts.ml import ProductionSeries
from gaveurs.db.models import SiteDailyProduction
from gaveurs.errors import SiteNotFound
from gaveurs.farm import queries

MEASURE = "foies_produits"
UNIT = "foies/jour"


def load_site_production(session: Session, site_code: str) -> ProductionSeries:
    """The site's whole production log, oldest day first; raises SiteNotFound for an unknown site."""
    if site_code not in queries.site_codes(session):
        raise SiteNotFound.error(f"site {site_code} not found")
    rows = session.execute(
        select(SiteDailyProduction.jour, SiteDailyProduction.foies_produits)
        .where(SiteDailyProduction.site_code == site_code)
        .order_by(SiteDailyProduction.jour)
    ).all()
    return ProductionSeries(
        site_code=site_code,
        measure=MEASURE,
        unit=UNIT,
        days=[day for day, _ in rows],
        values=[float(value) for _, value in rows],
    )
