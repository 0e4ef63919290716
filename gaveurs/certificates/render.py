"""The downloadable form of a certificate: JSON that anyone can verify without our code.

It holds the exact signed payload (as text), the Ed25519 signature and public key, and the certified records,
plus the recipe in plain words. Same certificate, same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from gaveurs.certificates.verify import signed_payload
from gaveurs.db.models import Certificate
from gaveurs.reports.layout import ByteSink

HOW_TO_VERIFY = [
    "signed_payload is the exact UTF-8 text that was signed; certificate_hash = SHA-256(signed_payload).",
    "Check the Ed25519 signature (hex) of signed_payload with public_key (hex, raw 32 bytes).",
    "Each record's hash is SHA-256 of the canonical JSON of {label, data} (sorted keys, no spaces, UTF-8).",
    "link_0 = SHA-256('gaveurs-cert/v1|' + previous_certificate_hash); link_i = SHA-256(link_(i-1) + hash_i), "
    "hex strings; the last link must equal chain_head_hash.",
    "previous_certificate_hash is the certificate_hash of certificate seq - 1 (64 zeros for the first).",
]


def certificate_document(row: Certificate) -> dict[str, Any]:
    return {
        "certificate_id": row.id,
        "seq": row.seq,
        "lot_id": row.lot_id,
        "code_lot": row.code_lot,
        "certificate_type": row.certificate_type,
        "scheme": row.scheme,
        "signed_payload": signed_payload(row).decode(),
        "certificate_hash": row.certificate_hash,
        "chain_head_hash": row.chain_head_hash,
        "previous_certificate_hash": row.previous_certificate_hash,
        "signature": row.signature,
        "public_key": row.public_key,
        "public_key_id": row.public_key_id,
        "records": row.records,
        "how_to_verify": HOW_TO_VERIFY,
    }


def render_certificate_json(row: Certificate) -> bytes:
    return (
        json.dumps(certificate_document(row), indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"
    )


def write_certificate_json(row: Certificate, out: ByteSink) -> int:
    return out.write(render_certificate_json(row))
