"""Encrypting what workflows carry through Temporal: inputs, results, memos, heartbeats, query answers.

Temporal keeps every payload in its history for the namespace's retention, and everyone with access to the
Web UI or the database reads it. Phone numbers, e-mail addresses and farm data therefore leave our processes
only encrypted (AES-256-GCM), and are decrypted by our workers, our API, the replayer, and the codec endpoint
the Web UI calls for authorised users (`api/routes/codec.py`).

Keys are named: each encrypted payload says in its metadata which key sealed it (`encryption-key-id`), so a
rotation is adding a new key at the head of `PAYLOAD_ENCRYPTION_KEYS` (it encrypts from then on) and keeping
the old ones after it (they still decrypt older histories) until those histories are past retention.

A payload without our encoding is passed through as it is: histories written before encryption was turned
on (the replay test's recordings among them) still decode.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class PayloadKeyError(ValueError):
    """A key entry that cannot be used (bad id, not base64, wrong length): refuse to start with it."""


class UnknownPayloadKey(LookupError):
    """A payload sealed with a key that is not configured here (rotated out too early, or another system's)."""


class PayloadDecryptionError(ValueError):
    """A payload whose ciphertext does not authenticate with its key: tampered with, or the wrong key."""


@dataclass(frozen=True)
class PayloadKey:
    key_id: str
    secret: bytes

    @classmethod
    def parse(cls, entry: str) -> PayloadKey:
        """`id:base64key` (a 16-, 24- or 32-byte AES key) → a key; the error never shows the secret."""
        key_id, sep, encoded = entry.strip().partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise PayloadKeyError(
                "a payload key must read 'id:base64key' with an id of letters, digits, '.', '_' or '-' "
                f"(got an entry starting {entry[:8]!r}…)"
            )
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise PayloadKeyError(f"payload key {key_id!r} is not valid base64") from None
        if len(secret) not in (16, 24, 32):
            raise PayloadKeyError(
                f"payload key {key_id!r} is {len(secret)} bytes; AES needs 16, 24 or 32 (32 recommended)"
            )
        return cls(key_id, secret)

    def entry(self) -> str:
        return f"{self.key_id}:{base64.b64encode(self.secret).decode()}"


def generate_key(key_id: str | None = None) -> PayloadKey:
    """A fresh random AES-256 key; its id defaults to a short digest of it (stable, reveals nothing)."""
    secret = os.urandom(32)
    return PayloadKey(key_id or f"k-{hashlib.sha256(secret).hexdigest()[:10]}", secret)


class EncryptionCodec(PayloadCodec):
    """AES-GCM over each whole serialised payload (data and metadata); the key id is the associated data."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise PayloadKeyError("at least one payload key is needed")
        ids = [key.key_id for key in keys]
        if len(set(ids)) != len(ids):
            raise PayloadKeyError(f"payload key ids must be unique: {ids}")
        self.current = keys[0]
        self._ciphers: Mapping[str, AESGCM] = {key.key_id: AESGCM(key.secret) for key in keys}

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.current.key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on: readable as it is
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownPayloadKey(
                f"payload encrypted with key {key_id!r}, which is not among the configured keys "
                f"{self.key_ids}: add it back to PAYLOAD_ENCRYPTION_KEYS"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            clear = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload sealed with key {key_id!r} does not authenticate: altered, or another key "
                "with the same id"
            ) from None
        return Payload.FromString(clear)


def parse_keys(entries: Iterable[str]) -> list[PayloadKey]:
    return [PayloadKey.parse(entry) for entry in entries if entry.strip()]


def read_key_entries(raw: str) -> list[str]:
    """`PAYLOAD_ENCRYPTION_KEYS` as written: a JSON list, or entries separated by commas or new lines."""
    import json

    text = raw.strip()
    if not text:
        return []
    if text.startswith("["):
        loaded = json.loads(text)
        if not isinstance(loaded, list) or not all(isinstance(item, str) for item in loaded):
            raise PayloadKeyError("PAYLOAD_ENCRYPTION_KEYS as JSON must be a list of 'id:base64key' strings")
        return loaded
    return [part for part in re.split(r"[,\n]", text) if part.strip()]


def dev_key(path: Path) -> PayloadKey:
    """The development key kept in `path` (mode 0600, under var/: never committed), made on first use."""
    from gaveurs.secret_files import read_or_create_secret

    stored = read_or_create_secret(path, lambda: generate_key(f"dev-{os.urandom(4).hex()}").entry().encode())
    return PayloadKey.parse(stored.decode())
