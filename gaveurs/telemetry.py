"""The process's Temporal runtime: Prometheus metrics (the SDK's and ours) and Core's logs in our logging.

A process entry point (`python -m workers`, `python -m api`) calls `install_runtime(settings)` before it
connects; every client and worker of the process then uses that runtime, so the SDK's metrics (workflow and
activity counts, activity execution latency histograms, poller and slot gauges…) and the ones we record
through it (`workflow.metric_meter()` in task workflows, `runtime.metric_meter` in the API) are served on
`http://METRICS_HOST:METRICS_PORT/metrics`.
"""

from __future__ import annotations

import logging

from temporalio.common import MetricMeter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from gaveurs.settings import Settings

# Bucket bounds (seconds) of the API request durations: from a status read to a long-polled wait.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0)


def install_runtime(settings: Settings) -> Runtime:
    """Make the process's default Temporal runtime export metrics (if METRICS_PORT) and forward Core's logs."""
    metrics = None
    if settings.metrics_port:
        metrics = PrometheusConfig(
            bind_address=f"{settings.metrics_host}:{settings.metrics_port}",
            counters_total_suffix=True,
            unit_suffix=True,
            durations_as_seconds=True,
            histogram_bucket_overrides={
                "gaveurs_api_request_duration": DURATION_BUCKETS,
            },
        )
    runtime = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                # Core's (Rust) warnings become records of our logging, so they come out as JSON too.
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            ),
            metrics=metrics,
        )
    )
    Runtime.set_default(runtime, error_if_already_set=True)
    return runtime


def metric_meter() -> MetricMeter:
    """The default runtime's meter (no-op without metrics): what non-workflow code records with."""
    return Runtime.default().metric_meter
