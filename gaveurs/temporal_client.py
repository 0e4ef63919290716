"""Connecting to Temporal the one way everything here does: pydantic payloads, encrypted, our namespace.

Every client of the project (API, workers, launcher, CLI, tests, replayer) gets its data converter from
`data_converter(settings)`: pydantic JSON, then the AES-GCM codec of `gaveurs.payload_codec`. Clients use the
process's default runtime, which a process entry point sets up for metrics (`gaveurs.telemetry`).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from gaveurs.payload_codec import EncryptionCodec, PayloadKey, dev_key, parse_keys
from gaveurs.search_attributes import REGISTRATION
from gaveurs.settings import Settings, get_settings


def payload_keys(settings: Settings) -> list[PayloadKey]:
    """The configured keys (first = current), or the development key file's when none is configured."""
    configured = parse_keys(key.get_secret_value() for key in settings.payload_encryption_keys)
    return configured or [dev_key(settings.payload_key_file)]


@lru_cache(maxsize=16)
def _converter(entries: tuple[str, ...]) -> DataConverter:
    codec = EncryptionCodec([PayloadKey.parse(entry) for entry in entries])
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)


def data_converter(settings: Settings | None = None) -> DataConverter:
    """Pydantic payloads, encrypted with the settings' keys: for clients, workers and the replayer alike."""
    keys = payload_keys(settings or get_settings())
    return _converter(tuple(key.entry() for key in keys))


def payload_codec(settings: Settings | None = None) -> EncryptionCodec:
    codec = data_converter(settings).payload_codec
    assert isinstance(codec, EncryptionCodec)
    return codec


async def connect(settings: Settings | None = None, *, namespace: str | None = None) -> Client:
    settings = settings or get_settings()
    return await Client.connect(
        settings.temporal_address,
        namespace=namespace or settings.temporal_namespace,
        data_converter=data_converter(settings),
    )


async def register_search_attributes(client: Client) -> list[str]:
    """Add whichever of our search attributes the namespace lacks; returns the names it added."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    known = set(existing.custom_attributes) | set(existing.system_attributes)
    missing = {name: kind for name, kind in REGISTRATION.items() if name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)
