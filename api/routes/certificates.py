"""`GET /api/certificates/{id}/verify`: re-compute a traceability certificate from today's rows and check it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from temporalio.exceptions import ApplicationError

from api.deps import SessionDep, SettingsDep
from api.schemas import ErrorAnswer
from gaveurs.certificates.keys import verifying_public_keys
from gaveurs.certificates.verify import verify_certificate
from gaveurs.contracts.certificates import CertificateVerification
from gaveurs.errors import CertificateNotFound

router = APIRouter()

CertificateIdPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$", description="`certificate_id` of a task's result")
]


@router.get(
    "/{certificate_id}/verify",
    response_model=CertificateVerification,
    responses={404: {"model": ErrorAnswer, "description": "no such certificate"}},
)
def verify(
    session: SessionDep, settings: SettingsDep, certificate_id: CertificateIdPath
) -> CertificateVerification:
    """`valid` only if the seal (hash, Ed25519 signature by a trusted key), the link to the previous certificate
    and every certified record still match; otherwise `problems` says which record and field changed."""
    try:
        return verify_certificate(session, certificate_id, trusted_keys=verifying_public_keys(settings))
    except ApplicationError as error:
        if error.type == CertificateNotFound.__name__:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=error.message) from None
        raise
