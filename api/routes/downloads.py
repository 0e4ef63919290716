"""`GET /exports/<path>`: files from the artifact store, never anything outside it."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from api.deps import ArtifactStoreDep
from gaveurs.artifacts import UnsafeArtifactPath

router = APIRouter()


@router.get("/exports/{path:path}")
async def download(store: ArtifactStoreDep, path: str) -> FileResponse:
    try:
        target = store.resolve(path)
    except UnsafeArtifactPath as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no export at {path!r}") from error
    if not target.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no export at {path!r}")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media_type, filename=target.name)
