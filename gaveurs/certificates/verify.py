"""Verifying a certificate against the rows as they are now, and saying precisely what no longer matches."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaveurs.certificates import chain
from gaveurs.certificates.keys import key_id, trusted_public_keys
from gaveurs.certificates.records import Record, lot_records
from gaveurs.contracts.certificates import CertificateProblem, CertificateVerification
from gaveurs.db.models import Certificate, Lot
from gaveurs.errors import CertificateNotFound
from gaveurs.exports.csv_stream import utc_text
from gaveurs.settings import get_settings


def signed_payload(row: Certificate) -> bytes:
    return chain.payload(
        certificate_id=row.id,
        seq=row.seq,
        lot_id=row.lot_id,
        code_lot=row.code_lot,
        certificate_type=row.certificate_type,
        created_at=utc_text(row.created_at),
        records=row.records,
        chain_head_hash=row.chain_head_hash,
        previous_certificate_hash=row.previous_certificate_hash,
        public_key_id=row.public_key_id,
    )


def _seal_problems(row: Certificate, trusted_keys: Collection[str]) -> list[CertificateProblem]:
    """Is the stored certificate itself intact and signed by a key we trust?"""
    problems = []
    message = signed_payload(row)
    if chain.sha256_hex(message) != row.certificate_hash:
        problems.append(
            CertificateProblem(
                check="certificate_hash",
                certified=row.certificate_hash,
                current=chain.sha256_hex(message),
                message="the stored certificate no longer hashes to its certificate hash: it was edited",
            )
        )
    if not chain.signature_valid(row.public_key, message, row.signature):
        problems.append(
            CertificateProblem(
                check="signature", message="the Ed25519 signature does not match the certificate"
            )
        )
    if key_id(row.public_key) != row.public_key_id or row.public_key not in trusted_keys:
        problems.append(
            CertificateProblem(
                check="public_key",
                certified=row.public_key_id,
                message=f"the certificate is signed with key {key_id(row.public_key)}, which is not a trusted key",
            )
        )
    for record in row.records:
        if chain.record_hash(record) != record.get("hash"):
            problems.append(
                CertificateProblem(
                    check="snapshot",
                    record=record.get("label"),
                    message="the stored copy of this record does not match its certified hash",
                )
            )
    return problems


def _record_problems(certified: list[Record], current: list[Record]) -> list[CertificateProblem]:
    """Field by field, what changed between the certified records and today's."""
    problems = []
    now = {record["label"]: record for record in current}
    for record in certified:
        label = record["label"]
        if label not in now:
            problems.append(
                CertificateProblem(
                    check="record", record=label, message=f"{label}: the record no longer exists"
                )
            )
            continue
        before, after = chain.flatten(record["data"]), chain.flatten(now[label]["data"])
        for field in sorted(before.keys() | after.keys()):
            old, new = before.get(field), after.get(field)
            if old != new or type(old) is not type(new):
                problems.append(
                    CertificateProblem(
                        check="record",
                        record=label,
                        field=field,
                        certified=old,
                        current=new,
                        message=f"{label}, {field}: certified {old!r}, now {new!r}",
                    )
                )
    labels = {record["label"] for record in certified}
    problems += [
        CertificateProblem(
            check="record", record=r["label"], message=f"{r['label']}: added after certification"
        )
        for r in current
        if r["label"] not in labels
    ]
    return problems


def _link_problems(session: Session, row: Certificate) -> list[CertificateProblem]:
    if row.seq == 1:
        if row.previous_certificate_hash == chain.GENESIS_HASH:
            return []
        found: Any = None
    else:
        found = session.scalars(select(Certificate).where(Certificate.seq == row.seq - 1)).one_or_none()
        if found is not None and found.certificate_hash == row.previous_certificate_hash:
            return []
    return [
        CertificateProblem(
            check="chain_link",
            certified=row.previous_certificate_hash,
            current=None if found is None else found.certificate_hash,
            message=f"certificate #{row.seq - 1}, which this one links to, is missing or was altered",
        )
    ]


def verify_certificate(
    session: Session,
    certificate_id: str,
    *,
    trusted_keys: Collection[str] | None = None,
    now: datetime | None = None,
) -> CertificateVerification:
    """Recompute the certificate from the current rows; `valid` only if nothing at all differs.

    Checks the seal (certificate hash, Ed25519 signature, trusted key, stored snapshot), the link to the
    previous certificate, then re-reads the lot's records and compares them field by field. The trusted keys
    default to the settings' (current signing key and CERTIFICATE_TRUSTED_PUBLIC_KEYS). Raises
    CertificateNotFound.
    """
    if trusted_keys is None:
        trusted_keys = trusted_public_keys(get_settings())
    row = session.get(Certificate, certificate_id)
    if row is None:
        raise CertificateNotFound.error(
            f"certificate {certificate_id} not found", certificate_id=certificate_id
        )
    problems = _seal_problems(row, trusted_keys)
    problems += _link_problems(session, row)
    lot = session.get(Lot, row.lot_id)  # a deleted lot is a finding, not an error: every record is missing
    current = [] if lot is None else lot_records(session, lot, row.certificate_type)
    record_problems = _record_problems(row.records, current)
    problems += record_problems
    head_now = chain.chain_head(row.previous_certificate_hash, [chain.record_hash(r) for r in current])
    if head_now != row.chain_head_hash:
        problems.append(
            CertificateProblem(
                check="records_chain",
                certified=row.chain_head_hash,
                current=head_now,
                message="today's records hash to a different chain head than the certified one",
            )
        )
    return CertificateVerification(
        certificate_id=row.id,
        lot_id=row.lot_id,
        certificate_type=row.certificate_type,
        valid=not problems,
        records_checked=len(row.records),
        problems=problems,
        checked_at=now or datetime.now(UTC),
    )
