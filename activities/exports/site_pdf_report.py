"""Activity of generate_site_pdf_report: a site's lots over a period, as one PDF."""

from __future__ import annotations

from temporalio import activity

from activities.exports._runs import export_context
from gaveurs.contracts.export_runs import SitePdfReportRequest
from gaveurs.contracts.exports import SitePdfReportResult
from gaveurs.exports.documents import export_site_pdf_report


@activity.defn(name="render_site_report")
def render_site_report(request: SitePdfReportRequest) -> SitePdfReportResult:
    """Raises SiteNotFound, and EmptySelection when no lot of the site was fed during the period."""
    return export_site_pdf_report(export_context(request.run), request.params)
