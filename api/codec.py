"""The codec endpoint: the Temporal Web UI (and CLI) decode our encrypted payloads here, for authorised users.

`POST /codec/decode` and `POST /codec/encode` speak the remote-codec protocol: a JSON body
`{"payloads": [{"metadata": {...}, "data": "<base64>"}]}` (protobuf JSON of `Payloads`), the same shape back.
The Web UI calls them from the browser, so the sub-application answers CORS for the UI's origins
(`CODEC_CORS_ORIGINS`, default the dev UI) with credentials allowed.

With `API_TOKEN` set, a call needs either
- `Authorization: Bearer <API_TOKEN>`: the `temporal` CLI (`--codec-endpoint … --codec-auth "Bearer …"`),
  scripts; or
- the codec session cookie, which a person gets once by entering the token at `/codec/login` and which the
  Web UI sends along when its codec is set to include credentials (`TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true`,
  or "Include cross-origin credentials" in its codec settings). The cookie is HttpOnly, SameSite=Strict,
  scoped to `/codec`, expires (`CODEC_SESSION_TTL_S`) and holds a signature, not the token.
Without `API_TOKEN` (dev) the endpoint is open, like the rest of the API.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from typing import Annotated

from fastapi import Depends, FastAPI, Form, HTTPException, Request, Response, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.api.common.v1 import Payloads

from api.deps import token_is_valid, unauthorized
from api.errors import http_error
from gaveurs.payload_codec import EncryptionCodec, PayloadDecryptionError, UnknownPayloadKey
from gaveurs.settings import Settings
from gaveurs.temporal_client import payload_codec

COOKIE = "gaveurs_codec"
PATH = "/codec"
# Temporal refuses payloads over 2 MB; a history page of them stays far below this.
MAX_BODY_BYTES = 16 * 1024 * 1024

_bearer = HTTPBearer(auto_error=False)


def _session_key(settings: Settings) -> bytes:
    assert settings.api_token is not None
    return hmac.new(settings.api_token.get_secret_value().encode(), b"codec-session", hashlib.sha256).digest()


def session_value(settings: Settings, *, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + settings.codec_session_ttl_s)
    signature = hmac.new(_session_key(settings), str(expires).encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{signature}"


def session_is_valid(settings: Settings, value: str | None, *, now: float | None = None) -> bool:
    if settings.api_token is None or not value or "." not in value:
        return False
    expires, signature = value.split(".", 1)
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return False
    expected = hmac.new(_session_key(settings), expires.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def create_codec_app(settings: Settings) -> FastAPI:
    """The `/codec` sub-application (own CORS policy: only the Web UI's origins, credentials allowed)."""
    codec: EncryptionCodec = payload_codec(settings)

    def authorised(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> None:
        if settings.api_token is None:
            return
        if credentials is not None and token_is_valid(settings, credentials.credentials):
            return
        if session_is_valid(settings, request.cookies.get(COOKIE)):
            return
        raise unauthorized()

    async def payloads_of(request: Request) -> Payloads:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "payloads too large")
        try:
            return json_format.Parse(body or b"{}", Payloads())
        except json_format.ParseError as error:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"expected {{'payloads': [...]}} (protobuf JSON): {error}"
            ) from None

    def answer(payloads: Payloads) -> Response:
        return Response(json_format.MessageToJson(payloads), media_type="application/json")

    app = FastAPI(
        title="Payload codec",
        description="Temporal remote codec: decrypts and encrypts payloads for the Web UI and the CLI.",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.codec_origins,
        allow_credentials=True,
        allow_methods=["POST", "OPTIONS"],
        allow_headers=["Content-Type", "X-Namespace", "Authorization"],
        max_age=600,
    )
    # Errors answer like the rest of the API: `{"detail", "message"}`.
    app.add_exception_handler(StarletteHTTPException, http_error)
    guarded = [Depends(authorised)]

    @app.post("/decode", dependencies=guarded)
    async def decode(request: Request) -> Response:
        payloads = await payloads_of(request)
        try:
            decoded = await codec.decode(list(payloads.payloads))
        except (UnknownPayloadKey, PayloadDecryptionError) as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
        return answer(Payloads(payloads=decoded))

    @app.post("/encode", dependencies=guarded)
    async def encode(request: Request) -> Response:
        payloads = await payloads_of(request)
        return answer(Payloads(payloads=await codec.encode(list(payloads.payloads))))

    @app.get("/login", response_class=HTMLResponse)
    async def login_form() -> HTMLResponse:
        return HTMLResponse(_page("Décodage des données Temporal", _FORM))

    @app.post("/login", response_class=HTMLResponse)
    async def login(token: Annotated[str, Form()]) -> HTMLResponse:
        if settings.api_token is None:
            return HTMLResponse(_page("Décodage ouvert", "<p>Aucun jeton n'est exigé ici.</p>"))
        if not token_is_valid(settings, token):
            return HTMLResponse(
                _page("Jeton refusé", "<p>Ce jeton n'est pas le bon.</p>" + _FORM), status_code=401
            )
        page = HTMLResponse(
            _page(
                "Session ouverte",
                "<p>L'interface Temporal peut maintenant afficher les données déchiffrées "
                "(avec « Include cross-origin credentials » coché dans ses réglages de codec).</p>",
            )
        )
        page.set_cookie(
            COOKIE,
            session_value(settings),
            max_age=settings.codec_session_ttl_s,
            path=PATH,
            httponly=True,
            secure=settings.codec_cookie_secure,
            samesite="strict",
        )
        return page

    @app.post("/logout", response_class=HTMLResponse)
    async def logout() -> HTMLResponse:
        page = HTMLResponse(_page("Session fermée", "<p>Les données ne sont plus déchiffrées.</p>"))
        page.delete_cookie(COOKIE, path=PATH)
        return page

    return app


_FORM = (
    '<form method="post" action="login">'
    '<label>Jeton de l\'API <input type="password" name="token" autocomplete="off" required></label> '
    '<button type="submit">Ouvrir la session</button></form>'
)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
