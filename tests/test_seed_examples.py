"""The seed guide's three curl examples, as written (modulo host), against the running system."""

from __future__ import annotations

import hashlib

import httpx
import numpy as np
import sympy as sp
from twilio.rest import Client as TwilioClient

from gaveurs.farm.generator import generate_farm
from gaveurs.ml.symbolic import choose_engine
from gaveurs.settings import Settings
from tests.fixtures_stack import Stack
from tests.waiting import status_of, wait_for_end


def test_example_1_pysr_training_recovers_the_planted_formula(api: httpx.Client) -> None:
    submitted = api.post("/api/tasks/ml/pysr/train?lot_id=3472")
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted"
    assert body["lot_id"] == 3472
    assert body["message"] == "PySR training started"
    task_id = body["task_id"]
    # Readable and tied to the work, plus the run's tag: this task_id keeps naming this run.
    assert body["workflow_id"] == "train-pysr-lot-3472"
    assert task_id.startswith("train-pysr-lot-3472.")

    running = status_of(api, task_id)
    assert running["task_name"] == "train_pysr_async"
    assert running["status"] in {"PENDING", "STARTED", "SUCCESS"}
    assert running["started_at"]

    done = wait_for_end(api, task_id)
    assert done["status"] == "SUCCESS", done
    assert done["completed_at"] and done["progress"] == 100
    result = done["result"]
    assert result["status"] == "success" and result["lot_id"] == 3472
    assert result["engine"] == choose_engine()  # PySR where Julia is installed, Operon elsewhere
    assert result["r2_score"] >= 0.95
    assert {"dose_totale_kg", "poids_initial_kg", "temperature_moyenne_c"} <= set(result["variables"])
    assert isinstance(result["complexity"], int) and result["complexity"] > 0

    # The formula is not just accurate: it is the generator's planted one, checked on fresh points.
    truths = generate_farm("small").truths
    lhs, rhs = result["formula"].split("=", 1)
    assert lhs.strip() == "poids_foie_moyen_g"
    names = ["dose_totale_kg", "poids_initial_kg", "temperature_moyenne_c"]
    recovered = sp.lambdify([sp.Symbol(n) for n in names], sp.sympify(rhs), modules="numpy")
    rng = np.random.default_rng(1)
    points = np.column_stack([rng.uniform(7, 10, 200), rng.normal(4.5, 0.2, 200), rng.normal(21, 2, 200)])
    planted = np.array([truths.liver_weight(*point) for point in points])
    error = np.abs(recovered(*points.T) - planted)
    assert float(np.median(error)) < 10.0, f"recovered {rhs} drifts from the planted formula"


def test_example_2_lot_pdf_is_generated_and_downloadable(api: httpx.Client) -> None:
    submitted = api.post("/api/tasks/export/pdf/lot?lot_id=3472&report_type=complete")
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    seed_answer = {"status", "task_id", "lot_id", "report_type", "message"}
    assert {k: body[k] for k in seed_answer} == {
        "status": "submitted",
        "task_id": body["task_id"],
        "lot_id": 3472,
        "report_type": "complete",
        "message": "PDF generation started",
    }

    done = wait_for_end(api, body["task_id"])
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    assert result["status"] == "success" and result["report_type"] == "complete"
    assert result["pdf_url"].startswith("/exports/reports/lot_3472_complete_")
    assert result["pdf_url"].endswith(".pdf") and result["generated_at"]

    pdf = api.get(result["pdf_url"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert len(pdf.content) == result["file_size"]
    assert hashlib.sha256(pdf.content).hexdigest() == result["sha256"]


def test_example_3_sms_alert_reaches_twilio_once(api: httpx.Client, stack: Stack) -> None:
    text = "⚠️ Alerte: Taux mortalité élevé sur lot LL2601001 (3.2%)"
    submitted = api.post(
        "/api/tasks/notifications/sms",
        headers={"Content-Type": "application/json"},
        json={"phone": "+33612345678", "message": text, "priority": "high"},
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted" and body["phone"] == "+33612345678"
    assert body["message"] == "SMS sending started"

    done = wait_for_end(api, body["task_id"])
    assert done["status"] == "SUCCESS", done
    sid = done["result"]["message_sid"]

    settings = Settings()
    twilio = TwilioClient(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value())
    twilio.api.base_url = stack.sink_url
    delivered = [m for m in twilio.messages.list(to="+33612345678") if m.body == text]
    assert [m.sid for m in delivered] == [sid]
