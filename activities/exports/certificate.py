"""Activities of generate_blockchain_certificate: check the lot, then issue, sign and publish its certificate."""

from __future__ import annotations

from temporalio import activity

from activities.exports._runs import export_context
from activities.shared.cancellation import complete_once_started
from activities.shared.progress import report
from gaveurs.certificates.records import load_lot
from gaveurs.contracts.certificates import BlockchainCertificateInput, CertificateResult
from gaveurs.contracts.export_runs import CertificateRequest, ExportLot
from gaveurs.db.session import session_scope
from gaveurs.exports.documents import export_certificate
from gaveurs.faults import pause_point

PREPARING = "préparation du certificat"


@activity.defn(name="find_certifiable_lot")
def find_certifiable_lot(params: BlockchainCertificateInput) -> ExportLot:
    """Fails at once (LotNotFound, LotNotCertifiable) before the certificate chain is touched."""
    with session_scope() as session:
        lot = load_lot(session, params.lot_id, require_slaughtered=True)
        return ExportLot(lot_id=lot.id, site_code=lot.site_code)


@activity.defn(name="issue_lot_certificate")
def issue_lot_certificate(request: CertificateRequest) -> CertificateResult:
    """Issue the certificate and publish its JSON, as one side effect.

    Issuing appends to the chain every later certificate links to, so once it has begun it is finished rather
    than undone: a cancel that arrives before it stops the task with nothing written; one that arrives while
    it runs (milliseconds) is held off, and the task completes with its certificate. A retry of the same run
    finds the certificate it already issued (its id derives from the task and run) and only rewrites the file.
    """
    ctx = export_context(request.run)
    report(5, PREPARING)
    pause_point("issue_lot_certificate.before_issue", lambda: report(5, PREPARING))
    report(10, "émission du certificat")  # a cancel that came meanwhile lands here, before anything is issued
    with complete_once_started():
        return export_certificate(ctx, request.params)
