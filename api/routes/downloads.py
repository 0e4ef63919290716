"""`GET /exports/<path>`: files the export tasks recorded, and nothing else.

Only paths indexed in the `artifacts` table are served (a stray file in the store, such as the health
check's probe, is not), never past their `expires_at` (410), and never outside the store. A request needs
the API token, or the signature of a link a status answer handed out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse

from api.deps import (
    ArtifactStoreDep,
    BearerCredentials,
    SessionDep,
    SettingsDep,
    token_is_valid,
    unauthorized,
)
from api.schemas import ErrorAnswer
from api.signed_urls import verify
from gaveurs.artifact_records import find_artifact
from gaveurs.artifacts import UnsafeArtifactPath

router = APIRouter()


@router.get(
    "/exports/{path:path}",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/pdf": {}, "text/csv": {}, "application/octet-stream": {}}},
        401: {"model": ErrorAnswer},
        404: {"model": ErrorAnswer},
        410: {"model": ErrorAnswer, "description": "the file's retention has passed"},
    },
)
def download(
    store: ArtifactStoreDep,
    session: SessionDep,
    settings: SettingsDep,
    credentials: BearerCredentials,
    path: str,
    expires: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
) -> FileResponse:
    signed = expires is not None and signature is not None and verify(settings, path, expires, signature)
    if not signed and not token_is_valid(settings, credentials.credentials if credentials else None):
        raise unauthorized()
    missing = HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no export at {path!r}")
    try:
        target = store.resolve(path)
    except UnsafeArtifactPath:
        raise missing from None
    record = find_artifact(session, path)
    if record is None or not target.is_file():
        raise missing
    if record.expires_at is not None:
        expires_at = record.expires_at if record.expires_at.tzinfo else record.expires_at.replace(tzinfo=UTC)
        if expires_at <= datetime.now(UTC):
            raise HTTPException(
                status.HTTP_410_GONE, detail=f"the export {path!r} expired on {expires_at:%Y-%m-%d}"
            )
    return FileResponse(target, media_type=record.content_type, filename=target.name)
