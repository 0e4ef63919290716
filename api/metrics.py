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

    Inside a mounted sub-application (`/codec`) the router leaves the inner route and the mount's root path.
    """
    template = getattr(scope.get("route"), "path", None)
    return f"{scope.get('root_path', '')}{template}" if template else "unmatched"


class RequestMetrics:
    """Pure ASGI middleware (streams such as the SSE route pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        meter = metric_meter()
        self.requests = meter.create_counter("gaveurs_api_requests", "HTTP requests answered by the API")
        self.duration = meter.create_histogram_float(
            "gaveurs_api_request_duration", "time to the response's first byte", "s"
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
