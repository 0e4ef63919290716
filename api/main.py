"""The FastAPI application: `uvicorn api.main:app` (settings from the environment)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.deps import require_token
from api.routes import downloads, exports, ml, notifications, system, tasks
from gaveurs.settings import Settings, get_settings
from gaveurs.temporal_client import connect


def _readable(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path"))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 body plus one sentence a person can read: `lot_id: Input should be greater than 0`."""
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    return JSONResponse(
        status_code=422,
        content=jsonable_encoder({"detail": errors, "message": "; ".join(_readable(e) for e in errors)}),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.temporal = await connect(settings)
        yield

    app = FastAPI(
        title="Gaveurs — tâches de fond",
        description="Start, follow and cancel background tasks running on Temporal.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, _validation_error)
    guarded = [Depends(require_token)]
    for module in (tasks, ml, exports, notifications, system):
        app.include_router(module.router, prefix="/api/tasks", tags=["tasks"], dependencies=guarded)
    app.include_router(downloads.router, tags=["exports"], dependencies=guarded)

    @app.get("/health", tags=["system"])
    async def liveness() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
