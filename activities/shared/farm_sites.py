"""The farm's sites, for tasks that fan out over every site (periodic anomaly detection, ML retraining)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from gaveurs.db.session import session_scope
from gaveurs.farm import queries


class ListSites(BaseModel):
    """No filter yet: every site of the farm."""


@activity.defn(name="list_site_codes")
def list_site_codes(_query: ListSites) -> list[str]:
    with session_scope() as session:
        return queries.site_codes(session)
