"""`generate_blockchain_certificate` and the verification of a certificate against today's rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# traceability: every record (placement, each gavage day, SQAL summary, slaughter); quality: placement, SQAL
# summary, slaughter; origin: placement and slaughter.
CertificateType = Literal["traceability", "quality", "origin"]


class BlockchainCertificateInput(BaseModel):
    lot_id: int = Field(gt=0)
    certificate_type: CertificateType = "traceability"


class CertificateResult(BaseModel):
    status: Literal["success"] = "success"
    certificate_id: str
    lot_id: int
    code_lot: str
    certificate_type: CertificateType
    seq: int
    chain_head_hash: str
    previous_certificate_hash: str
    certificate_hash: str
    signature: str
    public_key_id: str
    records: int
    certificate_url: str | None = None  # the JSON rendering in the artifact store, once written
    file_size: int | None = None
    sha256: str | None = None
    verify_url: str
    generated_at: datetime


CheckName = Literal[
    "certificate_hash", "signature", "public_key", "snapshot", "record", "records_chain", "chain_link"
]


class CertificateProblem(BaseModel):
    check: CheckName
    record: str | None = None  # e.g. "gavage day 7"
    field: str | None = None  # e.g. "soir.dose_moyenne_g"
    certified: Any = None
    current: Any = None
    message: str


class CertificateVerification(BaseModel):
    certificate_id: str
    lot_id: int
    certificate_type: str
    valid: bool
    records_checked: int
    problems: list[CertificateProblem]
    checked_at: datetime
