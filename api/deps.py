"""Dependencies as `Annotated` aliases, so route signatures read like sentences."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from gaveurs.artifacts import ArtifactStore
from gaveurs.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_temporal_client(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


def get_artifact_store(settings: Annotated[Settings, Depends(get_settings_dep)]) -> ArtifactStore:
    return ArtifactStore(settings.artifact_dir)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
TemporalClientDep = Annotated[Client, Depends(get_temporal_client)]
ArtifactStoreDep = Annotated[ArtifactStore, Depends(get_artifact_store)]

_bearer = HTTPBearer(auto_error=False)


def require_token(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Open in dev (no API_TOKEN); with API_TOKEN set, every call needs `Authorization: Bearer <token>`."""
    if settings.api_token is None:
        return
    expected = settings.api_token.get_secret_value()
    if credentials is None or not secrets.compare_digest(credentials.credentials, expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong API token: send 'Authorization: Bearer <API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
