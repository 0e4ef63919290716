"""`python -m bench.bench_notifications`: how long one SMS and one e-mail take through the loopback sinks.

Starts the Twilio sink and the SMTP sink on free ports in this process, migrates a temporary SQLite
database (the ledger and the rate-limit buckets live there), then sends through the real twilio client
and smtplib, each message under its own idempotency key, and prints median and worst times (the seed's
Celery figures: SMS 2–5 s, e-mail 1–3 s). With `--tasks`, it also loads the demo farm and times the four
data-driven notification tasks once each. With `--api`, it starts a whole stack instead (Temporal dev server,
both sinks, the `notifications` worker, the API) on the demo farm in SQLite, and times each notification task
end to end: HTTP POST to its named route → SUCCESS seen by polling the status every 20 ms (seed: SMS 2–5 s).
Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from gaveurs.catalogue.notifications import ANOMALY_ALERT
from gaveurs.contracts.notifications import (
    AnomalyAlertInput,
    FeedbackAcknowledgmentInput,
    LotCompletionInput,
    SendEmailRequest,
    SendSmsRequest,
)
from gaveurs.db.migrate import upgrade
from gaveurs.db.models import ConsumerFeedback
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import generate_farm
from gaveurs.farm.loader import load_farm
from gaveurs.farm.queries import lot_kpis
from gaveurs.farm.truths import TODAY
from gaveurs.ml.anomalies import detect_anomalies
from gaveurs.notify.outbox import Outbox
from gaveurs.notify.smtp_sink import SinkState, SmtpSink, create_listing_app
from gaveurs.notify.tasks import (
    send_anomaly_alert,
    send_consumer_feedback_acknowledgment,
    send_daily_summary_reports,
    send_lot_completion_notification,
)
from gaveurs.notify.twilio_sink import create_sink_app
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.settings import Settings
from gaveurs.temporal_client import register_search_attributes
from gaveurs.temporal_server import free_port, start_dev_server, wait_until_serving

SID, TOKEN = "AC" + "2" * 32, "bench-token"
HTML = "<h1>Alerte</h1><p>Mortalité élevée sur le lot <b>LL2601001</b> (18,2 %).</p>"


def serve(app: Any) -> uvicorn.Server:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server


def port_of(server: uvicorn.Server) -> int:
    return int(server.config.port)


def timed(label: str, repeat: int, run: Callable[[int], object], seed: str) -> None:
    times = []
    for n in range(repeat):
        began = time.perf_counter()
        run(n)
        times.append(time.perf_counter() - began)
    print(
        f"{label:<50} median {statistics.median(times) * 1000:7.1f} ms   worst {max(times) * 1000:7.1f} ms"
        f"   ({repeat} runs; seed {seed})"
    )


def bench_tasks(settings: Settings, engine: Engine) -> None:
    print("loading the demo farm…", flush=True)
    load_farm(engine, generate_farm("demo"))
    outbox = Outbox.from_settings(settings, engine)
    with session_scope(engine) as session:
        anomalies = detect_anomalies(lot_kpis(session, "LL"), contamination=0.02)
        feedback_id = session.scalar(
            select(func.min(ConsumerFeedback.id)).where(ConsumerFeedback.email.is_not(None))
        )
    assert feedback_id is not None
    tasks: dict[str, tuple[Callable[[], object], str]] = {
        f"send_anomaly_alert (LL, {len(anomalies)} lots, 3 managers)": (
            lambda: send_anomaly_alert(
                engine,
                outbox,
                f"bench-{uuid.uuid4()}",
                AnomalyAlertInput(site_code="LL", anomalies=anomalies),
            ),
            "5–10 s",
        ),
        "send_lot_completion_notification (lot 3472)": (
            lambda: send_lot_completion_notification(
                engine, outbox, f"bench-{uuid.uuid4()}", LotCompletionInput(lot_id=3472)
            ),
            "3–5 s",
        ),
        "send_daily_summary_reports (3 sites, 9 e-mails)": (
            lambda: send_daily_summary_reports(
                engine, outbox, f"bench-{uuid.uuid4()}", TODAY - timedelta(days=1)
            ),
            "20–60 s",
        ),
        "send_consumer_feedback_acknowledgment": (
            lambda: send_consumer_feedback_acknowledgment(
                engine, outbox, f"bench-{uuid.uuid4()}", FeedbackAcknowledgmentInput(feedback_id=feedback_id)
            ),
            "2–3 s",
        ),
    }
    for label, (run, seed) in tasks.items():
        timed(label, 3, _ignoring_the_run_number(run), seed)


def _ignoring_the_run_number(run: Callable[[], object]) -> Callable[[int], object]:
    return lambda _n: run()


# Each notification task through its named route, as a client would start it.
API_TASKS: dict[str, tuple[Callable[[httpx.Client, int], httpx.Response], str]] = {
    "send_sms_alert": (
        lambda api, n: api.post(
            "/api/tasks/notifications/sms", json={"phone": "+33612345678", "message": f"bench {n}"}
        ),
        "2–5 s",
    ),
    "send_email_notification": (
        lambda api, n: api.post(
            "/api/tasks/notifications/email",
            json={"to_email": "claire.labat@gaveurs.example.fr", "subject": f"bench {n}", "body_html": HTML},
        ),
        "1–3 s",
    ),
    "send_anomaly_alert (catalogue example)": (
        lambda api, _n: api.post(
            "/api/tasks/notifications/anomaly-alert", json=ANOMALY_ALERT.example.model_dump(mode="json")
        ),
        "5–10 s",
    ),
    "send_lot_completion_notification (3472)": (
        lambda api, _n: api.post("/api/tasks/notifications/lot-completion", params={"lot_id": 3472}),
        "3–5 s",
    ),
    "send_daily_summary_reports (9 e-mails)": (
        lambda api, _n: api.post("/api/tasks/notifications/daily-summary", params={"day": "2026-10-05"}),
        "20–60 s",
    ),
    "send_consumer_feedback_acknowledgment": (
        lambda api, _n: api.post("/api/tasks/notifications/feedback-ack", params={"feedback_id": 2}),
        "2–3 s",
    ),
}


def submit_and_wait(api: httpx.Client, start: Callable[[httpx.Client, int], httpx.Response], n: int) -> None:
    task_id = start(api, n).raise_for_status().json()["task_id"]
    while True:
        status = api.get(f"/api/tasks/status/{task_id}").json()
        if status["status"] in {"SUCCESS", "FAILURE", "REVOKED"}:
            if status["status"] != "SUCCESS":
                raise RuntimeError(f"{task_id} ended {status['status']}: {status.get('error')}")
            return
        time.sleep(0.02)


def end_to_end(
    api: httpx.Client, start: Callable[[httpx.Client, int], httpx.Response]
) -> Callable[[int], object]:
    return lambda n: submit_and_wait(api, start, n)


def bench_api(repeat: int) -> None:
    """The whole stack on the demo farm; each task end to end through the HTTP API."""
    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-notify-api-") as tmp:
        root = Path(tmp)
        database_url = f"sqlite:///{root / 'farm.db'}"
        upgrade(database_url)
        engine = make_engine(database_url)
        print("loading the demo farm…", flush=True)
        load_farm(engine, generate_farm("demo"))
        engine.dispose()
        server = start_dev_server(
            db_file=root / "t.db", port=free_port(), ui_port=None, log_path=root / "t.log"
        )
        api_port, sink_port, smtp_port, mail_port = free_port(), free_port(), free_port(), free_port()
        env = {
            **os.environ, "DATABASE_URL": database_url, "TEMPORAL_ADDRESS": server.address,
            "TWILIO_API_BASE": f"http://127.0.0.1:{sink_port}", "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port), "SMTP_SINK_API": f"http://127.0.0.1:{mail_port}",
        }  # fmt: skip
        group = ProcessGroup(log_dir=root, env=env)
        try:

            async def prepare() -> None:
                await register_search_attributes(await wait_until_serving(server.address))

            asyncio.run(prepare())
            group.spawn("twilio-sink", "-m", "gaveurs.notify.twilio_sink", "--port", str(sink_port))
            group.spawn(
                "smtp-sink", "-m", "gaveurs.notify.smtp_sink", "--port", str(smtp_port),
                "--http-port", str(mail_port),
            )  # fmt: skip
            group.spawn("workers", "-m", "workers", "notifications")
            api_process = group.spawn("api", "-m", "uvicorn", "api.main:app", "--port", str(api_port))
            wait_http(f"http://127.0.0.1:{api_port}/health", "API", api_process)
            with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as api:
                # Warm-up: a worker's first task imports lazily.
                submit_and_wait(api, API_TASKS["send_sms_alert"][0], -1)
                print(
                    f"demo farm in SQLite, sinks on 127.0.0.1, default rate limits; {repeat} runs each, "
                    "HTTP POST → SUCCESS"
                )
                for label, (start, seed) in API_TASKS.items():
                    timed(label, repeat, end_to_end(api, start), seed)
        finally:
            group.stop()
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_notifications", description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--tasks", action="store_true", help="also time the four tasks on the demo farm")
    parser.add_argument(
        "--api", action="store_true", help="instead, time every notification task through a running stack"
    )
    args = parser.parse_args()
    if args.api:
        bench_api(args.repeat)
        return

    twilio = serve(create_sink_app(SID, TOKEN))
    state = SinkState(log=None)
    smtp = SmtpSink(state, port=free_port())
    smtp.start()
    listing = serve(create_listing_app(state))
    try:
        with tempfile.TemporaryDirectory(prefix="gaveurs-bench-notify-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'notify.db'}"
            upgrade(url)
            engine = make_engine(url)
            settings = Settings(
                twilio_account_sid=SID, twilio_auth_token=SecretStr(TOKEN),
                twilio_api_base=f"http://127.0.0.1:{port_of(twilio)}", smtp_port=smtp.controller.port,
                smtp_sink_api=f"http://127.0.0.1:{port_of(listing)}", smtp_from="alertes@gaveurs.example.fr",
                sms_per_second=0, emails_per_second=0,
            )  # fmt: skip
            outbox = Outbox.from_settings(settings, engine)
            print(f"ledger on SQLite, sinks on 127.0.0.1; {args.repeat} messages each, rate limit off")
            timed(
                "one SMS (twilio client → Twilio sink)", args.repeat,
                lambda n: outbox.sms.send_once(SendSmsRequest(
                    idempotency_key=f"bench-sms-{n}-{uuid.uuid4()}", phone="+33612345678",
                    message=f"Alerte lot LL2601001 ({n})", priority="high",
                )), "2–5 s",
            )  # fmt: skip
            timed(
                "one e-mail (smtplib → SMTP sink)", args.repeat,
                lambda n: outbox.email.send_once(SendEmailRequest(
                    idempotency_key=f"bench-mail-{n}-{uuid.uuid4()}", to_email="claire.labat@gaveurs.example.fr",
                    subject=f"Alerte {n}", body_html=HTML,
                )), "1–3 s",
            )  # fmt: skip
            timed(
                "the same SMS again (answered from the ledger)", args.repeat,
                lambda _n: outbox.sms.send_once(SendSmsRequest(
                    idempotency_key="bench-sms-0-again", phone="+33612345678", message="Alerte", priority="high",
                )), "—",
            )  # fmt: skip
            if args.tasks:
                bench_tasks(settings, engine)
            engine.dispose()
    finally:
        for server in (twilio, listing):
            server.should_exit = True
        smtp.stop()


if __name__ == "__main__":
    main()
