"""The Ed25519 key that signs certificates, and the public keys verification trusts."""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gaveurs.secret_files import read_or_create_secret
from gaveurs.settings import Settings


class BadSigningKey(ValueError):
    """CERTIFICATE_SIGNING_KEY is neither base64 of 32 bytes nor an Ed25519 PEM."""


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_id(public_hex: str) -> str:
    """Short, stable name of a public key: the first 16 hex characters of its SHA-256."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def _parse(material: bytes) -> Ed25519PrivateKey:
    text = material.strip()
    if text.startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(text, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise BadSigningKey(f"the PEM holds a {type(key).__name__}, not an Ed25519 private key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise BadSigningKey("the signing key is neither a PEM nor base64") from error
    if len(raw) != 32:
        raise BadSigningKey(f"an Ed25519 private key is 32 bytes, this one is {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _new_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The key from CERTIFICATE_SIGNING_KEY, else the dev key file (created on first use, mode 0600)."""
    if settings.certificate_signing_key is not None:
        return _parse(settings.certificate_signing_key.get_secret_value().encode())
    return _parse(read_or_create_secret(settings.certificate_key_file, _new_pem))


def trusted_public_keys(settings: Settings) -> set[str]:
    """The current key's public half and the earlier ones listed in CERTIFICATE_TRUSTED_PUBLIC_KEYS."""
    current = public_key_hex(signing_key(settings).public_key())
    return {current, *(key.strip().lower() for key in settings.certificate_trusted_public_keys)}


def verifying_public_keys(settings: Settings) -> set[str]:
    """The keys a verifier trusts, without ever creating a signing key: the configured key's public half, or
    that of the dev key file if a worker already made it, and CERTIFICATE_TRUSTED_PUBLIC_KEYS.

    For processes that only verify (the API): one that generated a key of its own would trust a key nothing
    signs with, and report every real certificate as signed by an unknown key.
    """
    trusted = {key.strip().lower() for key in settings.certificate_trusted_public_keys}
    if settings.certificate_signing_key is not None or settings.certificate_key_file.is_file():
        trusted.add(public_key_hex(signing_key(settings).public_key()))
    return trusted
