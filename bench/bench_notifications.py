"""`python -m bench.bench_notifications`: how long one SMS and one e-mail take through the loopback sinks.

Starts the Twilio sink and the SMTP sink on free ports in this process, migrates a temporary SQLite
database (the ledger and the rate-limit buckets live there), then sends through the real twilio client
and smtplib, each message under its own idempotency key, and prints median and worst times (the seed's
Celery figures: SMS 2–5 s, e-mail 1–3 s). With `--tasks`, it also loads the demo farm and times the four
data-driven notification tasks once each. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

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
from gaveurs.settings import Settings
from gaveurs.temporal_server import free_port

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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_notifications", description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--tasks", action="store_true", help="also time the four tasks on the demo farm")
    args = parser.parse_args()

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
