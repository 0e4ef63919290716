"""Run the whole system locally: Temporal dev server + Web UI, demo data, Twilio and SMTP sinks, all workers,
the API.

`python -m gaveurs.devstack` (what `make run` does). Embedded defaults: the farm in SQLite under var/, Temporal's
history in its own SQLite file under var/temporal/ (restarts keep all history). Ctrl-C stops everything.
`--only temporal` runs just the Temporal dev server (what `temporal-dev/start` does).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.queues import TaskQueue
from gaveurs.schedules import SyncReport, UnroutableSchedules
from gaveurs.schedules.catalogue_router import sync_declared_schedules
from gaveurs.settings import VAR_DIR, Settings, get_settings
from gaveurs.temporal_client import connect, register_search_attributes
from gaveurs.temporal_server import DevServer, port_is_open, start_dev_server, wait_until_serving

LOG_DIR = VAR_DIR / "log"
DEMO_DESCRIPTION = {"demo": "≈2,000 lots, ≈500,000 SQAL samples", "small": "≈400 lots, the test farm"}


def say(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def ensure_temporal(settings: Settings, log_dir: Path) -> DevServer | None:
    """Start the dev server unless one already answers at TEMPORAL_ADDRESS; register our search attributes."""
    server = None
    if port_is_open(settings.temporal_address):
        say(f"Temporal already running at {settings.temporal_address}: using it")
    else:
        port = int(settings.temporal_address.rsplit(":", 1)[1])
        server = start_dev_server(
            db_file=settings.temporal_db_file,
            port=port,
            ui_port=settings.temporal_ui_port,
            log_path=log_dir / "temporal.log",
            # The Web UI decrypts payloads through the API's codec endpoint (open in dev; with API_TOKEN
            # set, log in once at <API>/codec/login and tick "include cross-origin credentials").
            ui_codec_endpoint=f"{settings.api_url}/codec",
        )
        say(f"Temporal dev server starting (history in {settings.temporal_db_file})")

    async def prepare() -> tuple[list[str], SyncReport | UnroutableSchedules]:
        await wait_until_serving(settings.temporal_address, settings.temporal_namespace)
        client = await connect(settings)
        added = await register_search_attributes(client)
        # The schedules carry our search attributes: sync them only once those are registered.
        try:
            return added, await sync_declared_schedules(client)
        except UnroutableSchedules as error:
            return added, error

    added, synced = asyncio.run(prepare())
    say(
        f"search attributes registered: {', '.join(added)}"
        if added
        else "search attributes already registered"
    )
    say_schedules(synced)
    return server


def say_schedules(synced: SyncReport | UnroutableSchedules) -> None:
    if isinstance(synced, UnroutableSchedules):
        # Loud, but the stack still starts: tasks can be run by hand while the catalogue is completed.
        say(f"ERROR: Temporal schedules NOT synced (none of them): {synced}")
        return
    done = {name: getattr(synced, name) for name in ("created", "updated", "deleted", "conflicts")}
    changes = "; ".join(f"{name} {', '.join(ids)}" for name, ids in done.items() if ids)
    say(f"schedules synced: {len(synced.unchanged)} unchanged" + (f"; {changes}" if changes else ""))


def ensure_demo_data(settings: Settings, size: Literal["demo", "small"]) -> None:
    from gaveurs.farm.generator import generate_farm
    from gaveurs.farm.loader import farm_is_empty, load_farm

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if not farm_is_empty(engine):
            say("farm database already holds data: keeping it")
            return
        say(f"loading the {size} farm ({DEMO_DESCRIPTION[size]})…")
        started = time.perf_counter()
        load_farm(engine, generate_farm(size))
        say(f"demo farm loaded in {time.perf_counter() - started:.1f}s")
    finally:
        engine.dispose()


def loopback_sink_port(settings: Settings) -> int | None:
    parsed = urlparse(settings.twilio_api_base)
    if parsed.hostname in {"127.0.0.1", "localhost"} and parsed.port:
        return parsed.port
    return None


def metrics_ports(settings: Settings) -> dict[str, int]:
    """One metrics port per process, from METRICS_PORT up (API first, then a worker per queue); none if 0."""
    if not settings.metrics_port:
        return {}
    names = ["api", *(f"worker-{queue.value}" for queue in TaskQueue)]
    return {name: settings.metrics_port + offset for offset, name in enumerate(names)}


def metrics_env(ports: dict[str, int], name: str) -> dict[str, str]:
    return {"METRICS_PORT": str(ports[name])} if name in ports else {}


def loopback_mail_ports(settings: Settings) -> tuple[int, int] | None:
    """(SMTP port, listing port) of the loopback SMTP sink the settings point at, or None (a real server)."""
    listing = urlparse(settings.smtp_sink_api)
    if settings.smtp_host in {"127.0.0.1", "localhost"} and listing.hostname in {"127.0.0.1", "localhost"}:
        return settings.smtp_port, listing.port or 80
    return None


def start_services(settings: Settings, group: ProcessGroup) -> None:
    """The loopback sinks, one worker process per queue, and the API; returns once the API answers."""
    sink_port = loopback_sink_port(settings)
    if sink_port and not port_is_open(f"127.0.0.1:{sink_port}"):
        sent_log = str(group.log_dir / "sms-sent.jsonl")
        group.spawn(
            "twilio-sink", "-m", "gaveurs.notify.twilio_sink", "--port", str(sink_port), "--log", sent_log
        )
    mail_ports = loopback_mail_ports(settings)
    if mail_ports and not port_is_open(f"127.0.0.1:{mail_ports[0]}"):
        smtp_port, listing_port = mail_ports
        received_log = str(group.log_dir / "mail-received.jsonl")
        group.spawn(
            "smtp-sink", "-m", "gaveurs.notify.smtp_sink", "--port", str(smtp_port),
            "--http-port", str(listing_port), "--log", received_log,
        )  # fmt: skip
    if sink_port or mail_ports:
        say(f"messages go to loopback sinks: see {settings.api_url}/api/sinks/sms and /api/sinks/email")
    # One process per queue, as in production: one queue's crash or restart never touches the others.
    ports = metrics_ports(settings)
    for queue in TaskQueue:
        name = f"worker-{queue.value}"
        group.spawn(name, "-m", "workers", queue.value, **metrics_env(ports, name))
    api = group.spawn(
        "api", "-m", "api", "--host", settings.api_host, "--port", str(settings.api_port),
        **metrics_env(ports, "api"),
    )  # fmt: skip
    for name in group.processes:
        say(f"{name}: log in {group.log_path(name)}")
    if ports:
        listed = ", ".join(f"{name} :{port}" for name, port in ports.items())
        say(f"Prometheus metrics at http://{settings.metrics_host}:<port>/metrics: {listed}")
    wait_http(f"{settings.api_url}/health", "the API", api)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gaveurs.devstack", description=__doc__)
    parser.add_argument("--only", choices=["temporal"], help="run only the Temporal dev server")
    parser.add_argument(
        "--farm", choices=["demo", "small"], default="demo", help="farm loaded on first start"
    )
    parser.add_argument("--log-dir", type=Path, default=LOG_DIR, help="where each process writes its log")
    args = parser.parse_args()
    settings = get_settings()
    stop = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server = ensure_temporal(settings, args.log_dir)
    group = ProcessGroup(log_dir=args.log_dir, env=dict(os.environ))
    try:
        if args.only != "temporal":
            ensure_demo_data(settings, args.farm)
            start_services(settings, group)
            say(f"API docs:        {settings.api_url}/docs")
        say(f"Temporal Web UI: {settings.temporal_ui_url}")
        cli = Path(sys.executable).parent / "temporal"
        say(f"Temporal CLI:    {cli} workflow list --address {settings.temporal_address}")
        say("Ctrl-C stops everything")
        while not stop:
            # Only the Temporal server is vital: any other process that dies is started again.
            if server and server.process.poll() is not None:
                raise RuntimeError(f"Temporal dev server exited; see {server.log_path}")
            for name, code in group.restart_exited():
                say(f"{name} exited with code {code}; restarted it (log: {group.log_path(name)})")
            time.sleep(0.5)
    finally:
        say("stopping…")
        group.stop(timeout=settings.worker_graceful_shutdown_s + 5)
        if server:
            server.stop()


if __name__ == "__main__":
    main()
