"""Hashing and signing rules of certificates (scheme `gaveurs-cert/v1`). Pure functions, no I/O.

- A record's hash is SHA-256 of its canonical JSON (sorted keys, no spaces, UTF-8, floats in shortest
  round-trip form).
- The records form a chain: link₀ = SHA-256("gaveurs-cert/v1|" + previous certificate's hash), then
  linkᵢ = SHA-256(linkᵢ₋₁ + record hashᵢ) in hex; the last link is the chain head. Starting from the previous
  certificate's hash ties every certificate to all the ones before it.
- The signed payload is the canonical JSON of the certificate's fields and its record hashes; the certificate
  hash is SHA-256 of that payload, and the Ed25519 signature is over the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SCHEME = "gaveurs-cert/v1 sha256-chain ed25519"
GENESIS_HASH = "0" * 64  # what the first certificate links to


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    """Hash of one record: its label and data, so moving data to another label changes it too."""
    return sha256_hex(canonical_json({"label": record["label"], "data": record["data"]}))


def chain_head(previous_certificate_hash: str, record_hashes: Sequence[str]) -> str:
    link = sha256_hex(f"gaveurs-cert/v1|{previous_certificate_hash}".encode())
    for digest in record_hashes:
        link = sha256_hex((link + digest).encode())
    return link


def payload(
    *,
    certificate_id: str,
    seq: int,
    lot_id: int,
    code_lot: str,
    certificate_type: str,
    created_at: str,
    records: Sequence[dict[str, Any]],
    chain_head_hash: str,
    previous_certificate_hash: str,
    public_key_id: str,
) -> bytes:
    """The exact bytes that are hashed and signed."""
    return canonical_json(
        {
            "scheme": SCHEME,
            "certificate_id": certificate_id,
            "seq": seq,
            "lot_id": lot_id,
            "code_lot": code_lot,
            "certificate_type": certificate_type,
            "created_at": created_at,
            "records": [{"label": r["label"], "hash": r["hash"]} for r in records],
            "chain_head_hash": chain_head_hash,
            "previous_certificate_hash": previous_certificate_hash,
            "public_key_id": public_key_id,
        }
    )


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return key.sign(message).hex()


def signature_valid(public_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{"soir": {"dose": 1}} → {"soir.dose": 1}: what a field-by-field comparison walks."""
    if isinstance(data, dict) and data:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): data}
