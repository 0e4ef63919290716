"""The payload codec on its own: AES-GCM with named keys, rotation, clear payloads passing, the dev key file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.payload_codec import (
    ENCODING,
    KEY_ID_METADATA,
    EncryptionCodec,
    PayloadDecryptionError,
    PayloadKey,
    PayloadKeyError,
    UnknownPayloadKey,
    dev_key,
    generate_key,
)
from gaveurs.secret_files import InsecureSecretFile
from gaveurs.settings import Settings
from gaveurs.temporal_client import data_converter, payload_keys
from tests.keys import CURRENT, PREVIOUS

PHONE = "+33612345678"


async def clear_payload() -> Payload:
    (payload,) = await pydantic_data_converter.encode(
        [SmsAlertInput(phone=PHONE, message="Alerte LL2601001")]
    )
    return payload


async def test_a_payload_is_sealed_with_the_current_key_and_opens_again() -> None:
    old, new = PayloadKey.parse(PREVIOUS), PayloadKey.parse(CURRENT)
    codec = EncryptionCodec([new, old])
    clear = await clear_payload()
    (sealed,) = await codec.encode([clear])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID_METADATA] == new.key_id.encode()
    # Neither the number nor the original metadata is readable in what Temporal stores.
    assert PHONE.encode() not in sealed.SerializeToString()
    assert b"json/plain" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [clear]
    # A fresh nonce each time: the same input never gives the same bytes.
    assert (await codec.encode([clear]))[0].data != sealed.data


async def test_rotation_the_new_key_encrypts_and_every_configured_key_decrypts() -> None:
    old, new = PayloadKey.parse(PREVIOUS), PayloadKey.parse(CURRENT)
    clear = await clear_payload()
    (by_old,) = await EncryptionCodec([old]).encode([clear])
    rotated = EncryptionCodec([new, old])
    assert await rotated.decode([by_old]) == [clear]
    (by_new,) = await rotated.encode([clear])
    assert by_new.metadata[KEY_ID_METADATA] == new.key_id.encode()
    # Dropping the old key too early is a clear error naming the key, never garbage.
    with pytest.raises(UnknownPayloadKey, match=old.key_id):
        await EncryptionCodec([new]).decode([by_old])


async def test_clear_payloads_of_older_histories_pass_through() -> None:
    clear = await clear_payload()
    assert await EncryptionCodec([PayloadKey.parse(CURRENT)]).decode([clear]) == [clear]


async def test_an_altered_payload_or_a_different_key_under_the_same_id_is_refused() -> None:
    codec = EncryptionCodec([PayloadKey.parse(CURRENT)])
    (sealed,) = await codec.encode([await clear_payload()])
    tampered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(PayloadDecryptionError):
        await codec.decode([tampered])
    impostor = PayloadKey(PayloadKey.parse(CURRENT).key_id, os.urandom(32))
    with pytest.raises(PayloadDecryptionError):
        await EncryptionCodec([impostor]).decode([sealed])


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ("no-separator", "id:base64key"),
        ("bad id!:" + base64.b64encode(b"k" * 32).decode(), "id:base64key"),
        ("k1:not base64 at all", "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "5 bytes"),
    ],
)
def test_unusable_keys_are_refused_without_showing_the_secret(entry: str, complaint: str) -> None:
    with pytest.raises(PayloadKeyError, match=complaint) as refused:
        PayloadKey.parse(entry)
    secret = entry.partition(":")[2]
    assert len(secret) < 8 or secret not in str(refused.value)


def test_key_ids_must_be_unique() -> None:
    with pytest.raises(PayloadKeyError, match="unique"):
        EncryptionCodec([generate_key("same"), generate_key("same")])


def test_settings_read_keys_as_a_json_list_or_comma_separated() -> None:
    as_json = Settings(_env_file=None, payload_encryption_keys=f'["{CURRENT}", "{PREVIOUS}"]')
    as_list = Settings(_env_file=None, payload_encryption_keys=f"{CURRENT}, {PREVIOUS}")
    for settings in (as_json, as_list):
        assert [key.key_id for key in payload_keys(settings)] == ["test-2026b", "test-2026a"]
    # Secrets, not strings: printing the settings never shows a key.
    assert CURRENT.split(":")[1] not in repr(as_json)


def test_without_configured_keys_a_private_dev_key_is_generated_once(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "payload.key"
    settings = Settings(_env_file=None, payload_encryption_keys=[], payload_key_file=path)
    first = payload_keys(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert payload_keys(settings) == first == [dev_key(path)]
    assert first[0].key_id.startswith("dev-") and len(first[0].secret) == 32
    path.chmod(0o644)
    with pytest.raises(InsecureSecretFile):
        dev_key(path)


async def test_the_projects_data_converter_encrypts_models_and_reads_them_back() -> None:
    settings = Settings(_env_file=None, payload_encryption_keys=[SecretStr(CURRENT)])
    converter = data_converter(settings)
    message = SmsAlertInput(phone=PHONE, message="Alerte LL2601001")
    (encoded,) = await converter.encode([message])
    assert PHONE.encode() not in encoded.SerializeToString()
    assert await converter.decode([encoded], [SmsAlertInput]) == [message]
