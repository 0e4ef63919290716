"""Download links that work without the API token: signed, expiring `/exports/...?expires=…&signature=…`.

With `API_TOKEN` set, every `/exports` download needs the token, which a browser following a link from a
task result does not send. So the status answer signs the `/exports/...` links it hands out (HMAC-SHA256 of
path and expiry, keyed by `DOWNLOAD_SIGNING_KEY` or, by default, a key derived from the API token), and the
download route accepts either the token or a valid, unexpired signature. Without an API token, downloads
are open and links are left as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from gaveurs.settings import Settings

EXPORTS_PREFIX = "/exports/"


def _key(settings: Settings) -> bytes | None:
    if settings.download_signing_key is not None:
        return settings.download_signing_key.get_secret_value().encode()
    if settings.api_token is not None:
        return hmac.new(
            settings.api_token.get_secret_value().encode(), b"download-links", hashlib.sha256
        ).digest()
    return None


def _signature(key: bytes, path: str, expires: int) -> str:
    return hmac.new(key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def sign(settings: Settings, url: str, *, now: float | None = None) -> str:
    key = _key(settings)
    if key is None or not url.startswith(EXPORTS_PREFIX) or "?" in url:
        return url
    expires = int((now if now is not None else time.time()) + settings.download_url_ttl_s)
    path = url[len(EXPORTS_PREFIX) :]
    return f"{url}?expires={expires}&signature={quote(_signature(key, path, expires))}"


def verify(settings: Settings, path: str, expires: int, signature: str, *, now: float | None = None) -> bool:
    key = _key(settings)
    if key is None or expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(_signature(key, path, expires).encode(), signature.encode("utf-8", "replace"))


def sign_links(settings: Settings, value: Any) -> Any:
    """A copy of a result with every `/exports/...` link in it signed (models, lists and dicts, recursively)."""
    if isinstance(value, str):
        return sign(settings, value)
    if isinstance(value, BaseModel):
        updates = {name: sign_links(settings, getattr(value, name)) for name in type(value).model_fields}
        return value.model_copy(update=updates)
    if isinstance(value, list):
        return [sign_links(settings, item) for item in value]
    if isinstance(value, dict):
        return {key: sign_links(settings, item) for key, item in value.items()}
    return value
