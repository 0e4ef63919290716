"""Activities of generate_lot_pdf_report: find the lot, then load, render and publish its PDF."""

from __future__ import annotations

from temporalio import activity

from activities.exports._runs import export_context
from gaveurs.contracts.export_runs import ExportLot, LotPdfReportRequest
from gaveurs.contracts.exports import LotPdfReportInput, LotPdfReportResult
from gaveurs.db.session import session_scope
from gaveurs.errors import LotNotFound
from gaveurs.exports.documents import export_lot_pdf_report
from gaveurs.farm import queries


@activity.defn(name="find_report_lot")
def find_report_lot(params: LotPdfReportInput) -> ExportLot:
    """Fails at once on an unknown lot; tells the workflow the lot's site (a search attribute)."""
    with session_scope() as session:
        lot = queries.get_lot(session, params.lot_id)
        if lot is None:
            raise LotNotFound.error(f"lot {params.lot_id} not found", lot_id=params.lot_id)
        return ExportLot(lot_id=lot.id, site_code=lot.site_code)


@activity.defn(name="render_lot_report")
def render_lot_report(request: LotPdfReportRequest) -> LotPdfReportResult:
    """This run's PDF (`reports/lot_3472_complete_20260108_r<tag>.pdf`; the seed's name serves the latest run).

    A retry of the same run rewrites the same name with the same bytes: the time printed in the document is
    the workflow's, carried in the request.
    """
    return export_lot_pdf_report(export_context(request.run), request.params)
