"""`python -m api`: the API as it runs in production: JSON logs, Prometheus metrics, then uvicorn.

`uvicorn api.main:app` still works (uvicorn's own text logs, no metrics port).
"""

from __future__ import annotations

import argparse

import uvicorn

from gaveurs.logs import configure_logging
from gaveurs.settings import get_settings
from gaveurs.telemetry import install_runtime


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    parser.add_argument("--host", default=settings.api_host)
    parser.add_argument("--port", type=int, default=settings.api_port)
    args = parser.parse_args()
    configure_logging(settings)
    install_runtime(settings)
    from api.main import app  # after the runtime: the app's metrics and client use it

    # log_config=None: keep the logging set up above (uvicorn's records go through it as JSON).
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, proxy_headers=True)


if __name__ == "__main__":
    main()
