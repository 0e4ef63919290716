"""generate_blockchain_certificate: a signed hash chain over a lot's records, linked to the previous certificate."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.certificate import find_certifiable_lot, issue_lot_certificate
    from gaveurs.catalogue.exports import CERTIFICATE
    from gaveurs.contracts.certificates import BlockchainCertificateInput, CertificateResult
    from gaveurs.contracts.export_runs import CertificateRequest
    from gaveurs.search_attributes import SITE_CODE
    from workflows._options import DB_READ, RENDER, execute
    from workflows.exports._runs import publishing, this_run


@task_workflow(CERTIFICATE)
class GenerateBlockchainCertificateWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: BlockchainCertificateInput) -> CertificateResult:
        self.stage("vérification du lot", 2)
        lot = await execute(find_certifiable_lot, params, DB_READ)
        workflow.upsert_search_attributes([SITE_CODE.value_set(lot.site_code)])

        # Each run issues its own certificate (its id derives from the run): certifying a lot again after a
        # correction is a new link in the chain, and the earlier certificate then fails verification.
        self.stage("émission du certificat", 5, 99)
        run = this_run()
        request = CertificateRequest(run=run, params=params)
        result = await publishing(run, execute(issue_lot_certificate, request, RENDER))
        self.finish()
        return result
