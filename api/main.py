"""The FastAPI application: `uvicorn api.main:app` (settings from the environment)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.codec import create_codec_app
from api.deps import require_token
from api.errors import http_error, validation_error
from api.metrics import RequestMetrics
from api.routes import (
    certificates,
    downloads,
    exports,
    maintenance,
    ml,
    ml_history,
    notifications,
    schedules,
    sinks,
    system,
    tasks,
)
from gaveurs.settings import Settings, get_settings
from gaveurs.temporal_client import connect


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
        version="0.2.0",
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    guarded = [Depends(require_token)]
    for module in (tasks, ml, exports, notifications, system, maintenance):
        app.include_router(module.router, prefix="/api/tasks", tags=["tasks"], dependencies=guarded)
    app.include_router(sinks.router, prefix="/api/sinks", tags=["dev sinks"], dependencies=guarded)
    app.include_router(ml_history.router, prefix="/api/ml", tags=["ml"], dependencies=guarded)
    app.include_router(
        certificates.router, prefix="/api/certificates", tags=["certificates"], dependencies=guarded
    )
    app.include_router(schedules.router, prefix="/api/schedules", tags=["schedules"], dependencies=guarded)
    # Downloads check the token themselves: a signed link from a status answer is enough.
    app.include_router(downloads.router, tags=["exports"])
    # The Web UI's remote codec: its own CORS policy and its own token check (header or session cookie).
    app.mount("/codec", create_codec_app(settings))
    app.add_middleware(RequestMetrics)

    @app.get("/health", tags=["system"])
    async def liveness() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
