"""`GET /exports/<path>`: files the export tasks recorded, and nothing else.

Only paths indexed in the `artifacts` table are served (a stray file in the store, such as the health
check's probe, is not), never past their `expires_at` (410), and never outside the store. A path is either a
run's own file (`reports/lot_3472_complete_20260108_r<tag>.pdf`, what a task's result names) or the seed's
run-less name (`reports/lot_3472_complete_20260108.pdf`), which serves the newest run still kept. The file is
streamed in chunks with the content type recorded at export time. A request needs the API token, or the
signature of a link a status answer handed out.
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
from api.signed_urls import EXPORTS_PREFIX, verify
from gaveurs.artifact_records import resolve_artifact
from gaveurs.artifacts import UnsafeArtifactPath, check_relative_path

router = APIRouter()


@router.get(
    "/exports/{path:path}",
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "application/pdf": {},
                "text/csv": {},
                "application/zip": {},
                "application/json": {"schema": {"type": "object", "description": "a certificate document"}},
            },
            "headers": {
                "Content-Location": {
                    "description": "the run's own file, when the seed's alias was asked for"
                },
                "ETag": {"description": "the file's sha256, as the task's result gives it"},
            },
        },
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
        check_relative_path(path)
    except UnsafeArtifactPath:
        raise missing from None
    record = resolve_artifact(session, path)
    if record is None:
        raise missing
    try:
        target = store.resolve(record.path)
    except UnsafeArtifactPath:
        raise missing from None
    if not target.is_file():
        raise missing
    if record.expires_at is not None:
        expires_at = record.expires_at if record.expires_at.tzinfo else record.expires_at.replace(tzinfo=UTC)
        if expires_at <= datetime.now(UTC):
            raise HTTPException(
                status.HTTP_410_GONE, detail=f"the export {path!r} expired on {expires_at:%Y-%m-%d}"
            )
    headers = {"ETag": f'"{record.sha256}"'}
    if record.path != path:
        headers["Content-Location"] = EXPORTS_PREFIX + record.path
    # FileResponse streams the file in 64 KiB chunks (and answers Range requests): a 100 MB zip never sits
    # in the API's memory.
    return FileResponse(target, media_type=record.content_type, filename=target.name, headers=headers)
