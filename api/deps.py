"""Dependencies as `Annotated` aliases, so route signatures read like sentences."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from temporalio.client import Client

from gaveurs.artifacts import ArtifactStore
from gaveurs.db.session import engine_for, session_scope
from gaveurs.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_temporal_client(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


def get_artifact_store(settings: Annotated[Settings, Depends(get_settings_dep)]) -> ArtifactStore:
    return ArtifactStore(settings.artifact_dir)


def get_session(settings: Annotated[Settings, Depends(get_settings_dep)]) -> Iterator[Session]:
    with session_scope(engine_for(settings.database_url)) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
TemporalClientDep = Annotated[Client, Depends(get_temporal_client)]
ArtifactStoreDep = Annotated[ArtifactStore, Depends(get_artifact_store)]
SessionDep = Annotated[Session, Depends(get_session)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="repeat a start with the same key (e.g. after a network error) and get the same task back",
    ),
]

_bearer = HTTPBearer(auto_error=False)


def token_is_valid(settings: Settings, presented: str | None) -> bool:
    """Open in dev (no API_TOKEN); else the presented token must match (compared as bytes: any text is safe)."""
    if settings.api_token is None:
        return True
    if presented is None:
        return False
    expected = settings.api_token.get_secret_value().encode()
    return secrets.compare_digest(presented.encode("utf-8", "surrogateescape"), expected)


def unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="missing or wrong API token: send 'Authorization: Bearer <API_TOKEN>'",
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_token(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    if not token_is_valid(settings, credentials.credentials if credentials else None):
        raise unauthorized()


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
