"""Every error answer carries `message`, one sentence a person can read, beside FastAPI's `detail`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException


def _readable(error: dict[str, Any]) -> str:
    where = ".".join(
        str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path", "header")
    )
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))


def _answer(errors: Sequence[Any]) -> JSONResponse:
    # `input` echoes what was sent: useful to a developer, but it may hold anything; keep only the message.
    details = [{k: v for k, v in dict(e).items() if k not in ("input", "ctx", "url")} for e in errors]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=jsonable_encoder({"detail": details, "message": "; ".join(_readable(e) for e in details)}),
    )


async def validation_error(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 plus one sentence a person can read: `lot_id: Input should be greater than 0`."""
    assert isinstance(error, RequestValidationError)
    return _answer(error.errors())


async def http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail
    message = detail if isinstance(detail, str) else "; ".join(_readable(e) for e in detail)
    return JSONResponse(
        status_code=error.status_code,
        content=jsonable_encoder({"detail": detail, "message": message}),
        headers=getattr(error, "headers", None),
    )


def readable_validation_errors(error: ValidationError, *, location: str) -> HTTPException:
    """A pydantic error found inside a route (e.g. a task input given as a generic body), as a 422."""
    details = [
        {**e, "loc": (location, *e["loc"])} for e in error.errors(include_input=False, include_url=False)
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=jsonable_encoder(details))
