"""Issuing a certificate: hash the lot's records, link to the newest certificate, sign, store."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaveurs.certificates import chain
from gaveurs.certificates.keys import key_id, public_key_hex
from gaveurs.certificates.records import load_lot, lot_records
from gaveurs.contracts.certificates import CertificateType
from gaveurs.db.models import Certificate
from gaveurs.exports.csv_stream import utc_text
from gaveurs.reports.layout import ProgressCallback, as_utc

# Attempts at taking the next place in the chain; with the lock below, a retry is the exception.
LINK_ATTEMPTS = 5
# Key of the PostgreSQL advisory lock that serialises issuers (any constant the application owns).
CHAIN_LOCK_KEY = 0x6761766575727301


class CertificateIdTaken(RuntimeError):
    """A certificate id reused for another lot or type (ids are derived from the task, so: a caller bug)."""


def certificate_id_for(lot_id: int, task_id: str | None = None, run_id: str | None = None) -> str:
    """Readable and, given a task and run, stable: a retried activity finds the certificate it already made."""
    if task_id is None or run_id is None:
        return f"cert-{lot_id}-{uuid.uuid4().hex[:12]}"
    return f"cert-{lot_id}-{hashlib.sha256(f'{task_id}|{run_id}'.encode()).hexdigest()[:12]}"


def _existing(
    session: Session, certificate_id: str, lot_id: int, certificate_type: str
) -> Certificate | None:
    found = session.get(Certificate, certificate_id)
    if found is not None and (found.lot_id, found.certificate_type) != (lot_id, certificate_type):
        raise CertificateIdTaken(
            f"{certificate_id} already certifies lot {found.lot_id} ({found.certificate_type})"
        )
    return found


def _lock_chain(session: Session) -> None:
    """Serialise issuers for the rest of the transaction, so each one reads the newest certificate and links
    to it. Unique constraints alone would refuse a fork, but under load issuers would keep losing the race.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a write statement that changes nothing takes the
    database's write lock before the newest certificate is read (pysqlite starts the transaction there).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))
    else:
        session.execute(update(Certificate).where(false()).values(seq=Certificate.seq))


def issue_certificate(
    engine: Engine,
    lot_id: int,
    certificate_type: CertificateType,
    *,
    key: Ed25519PrivateKey,
    created_at: datetime,
    certificate_id: str | None = None,
    task_id: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Certificate:
    """Certify the lot's current records; returns the stored row (the existing one if the id was issued).

    Raises LotNotFound, LotNotCertifiable (not slaughtered yet). Each attempt runs in its own transaction: if
    another certificate took the next place in the chain meanwhile (the unique `seq` and
    `previous_certificate_hash` refuse a fork), the attempt starts again from the new newest certificate.
    """
    certificate_id = certificate_id or certificate_id_for(lot_id)
    public_hex = public_key_hex(key.public_key())
    stamp = as_utc(created_at)
    for _ in range(LINK_ATTEMPTS):
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                _lock_chain(session)
                done = _existing(session, certificate_id, lot_id, certificate_type)
                if done is not None:
                    return done
                lot = load_lot(session, lot_id, require_slaughtered=True)
                if on_progress is not None:
                    on_progress(20, "lecture des enregistrements du lot")
                records = lot_records(session, lot, certificate_type)
                for record in records:
                    record["hash"] = chain.record_hash(record)
                if on_progress is not None:
                    on_progress(60, "chaînage et signature")
                newest = session.scalars(
                    select(Certificate).order_by(Certificate.seq.desc()).limit(1)
                ).first()
                previous = chain.GENESIS_HASH if newest is None else newest.certificate_hash
                seq = 1 if newest is None else newest.seq + 1
                head = chain.chain_head(previous, [record["hash"] for record in records])
                message = chain.payload(
                    certificate_id=certificate_id,
                    seq=seq,
                    lot_id=lot.id,
                    code_lot=lot.code_lot,
                    certificate_type=certificate_type,
                    created_at=utc_text(stamp),
                    records=records,
                    chain_head_hash=head,
                    previous_certificate_hash=previous,
                    public_key_id=key_id(public_hex),
                )
                row = Certificate(
                    id=certificate_id,
                    seq=seq,
                    lot_id=lot.id,
                    code_lot=lot.code_lot,
                    certificate_type=certificate_type,
                    chain_head_hash=head,
                    previous_certificate_hash=previous,
                    certificate_hash=chain.sha256_hex(message),
                    signature=chain.sign(key, message),
                    public_key_id=key_id(public_hex),
                    public_key=public_hex,
                    scheme=chain.SCHEME,
                    records=records,
                    task_id=task_id,
                    created_at=stamp,
                )
                session.add(row)
            if on_progress is not None:
                on_progress(90, "certificat enregistré")
            return row
        except IntegrityError:
            continue  # someone else took this place after all (e.g. an issuer without the lock): look again
    raise RuntimeError(f"could not link certificate {certificate_id} after {LINK_ATTEMPTS} attempts")
