"""HTTP metrics of the API: requests and their duration per route template, method and status.

Recorded through the process's Temporal runtime meter, so they are served on the same `/metrics` port as the
SDK's client metrics (`METRICS_PORT`); without metrics configured the meter records nothing.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gaveurs.telemetry import metric_meter


def _route_template(scope: Scope) -> str:
    """`/api/tasks/status/{task_id}`, not the raw path: one series per route, not one per task.

    Built from the path and the parameters the matched route extracted (the route object alone holds only
    the part below its router's prefix); a request no route matched is `unmatched`.
    """
    if scope.get("route") is None:
        return "unmatched"
    path: str = scope["path"]
    # Right to left: a parameter's value is replaced where the route took it, not in an earlier segment.
    for name, value in reversed(list((scope.get("path_params") or {}).items())):
        text = f"/{value}"
        head, found, tail = path.rpartition(text)
        if found and value != "":
            path = f"{head}/{{{name}}}{tail}"
    return path


class RequestMetrics:
    """Pure ASGI middleware (streams such as the SSE route pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        meter = metric_meter()
        self.requests = meter.create_counter("gaveurs_api_requests", "HTTP requests answered by the API")
        self.duration = meter.create_histogram_float(
            "gaveurs_api_request_duration", "time to the response's first byte", "seconds"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                elapsed = time.perf_counter() - began
                self.duration.record(elapsed, self._labels(scope, status))
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self.requests.add(1, self._labels(scope, status))

    @staticmethod
    def _labels(scope: Scope, status: int) -> dict[str, str | int | float | bool]:
        return {"route": _route_template(scope), "method": scope["method"], "status": str(status)}
