"""The notification tasks end to end as plain functions: farm database → messages → real sinks → result.

Expected figures come from the generator's own tables (numpy), not from the SQL under test; the planted
contact faults (a manager's fixed line, a malformed address) must fail alone.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.ml import LotAnomaly
from gaveurs.contracts.notifications import (
    AnomalyAlertInput,
    DailySummaryMessage,
    DailySummaryPlanRequest,
    DailySummaryResult,
    FeedbackAcknowledgmentInput,
    LotCompletionInput,
    PlannedDelivery,
)
from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.farm.loader import load_farm
from gaveurs.farm.queries import lot_kpis
from gaveurs.ml.anomalies import detect_anomalies
from gaveurs.notify.daily_figures import day_bounds
from gaveurs.notify.outbox import Outbox
from gaveurs.notify.recipients import person_by_ref
from gaveurs.notify.tasks import (
    daily_summary_message,
    daily_summary_plan,
    send_anomaly_alert,
    send_consumer_feedback_acknowledgment,
    send_daily_summary_reports,
    send_lot_completion_notification,
    summary_day,
)
from tests.fixtures_db import BACKENDS, drop_postgres_database, make_postgres_database, postgres_or_skip
from tests.fixtures_notify import MailSink, TwilioSink, notify_settings
from tests.test_farm_generator import per_lot


@pytest.fixture(scope="module", params=BACKENDS)
def farm(
    request: pytest.FixtureRequest, small_farm: FarmData, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The small farm in a database these tests may write to (the ledger), once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('notify') / 'farm.db'}"
    else:
        postgres_or_skip()
        url = make_postgres_database()
    upgrade(url)
    engine = make_engine(url)
    load_farm(engine, small_farm)
    yield engine
    engine.dispose()
    if request.param != "sqlite":
        drop_postgres_database(url)


@pytest.fixture
def outbox(farm: Engine, twilio_sink: TwilioSink, mail_sink: MailSink) -> Outbox:
    return Outbox.from_settings(notify_settings(twilio_sink, mail_sink), farm)


def task_key(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def managers(farm_data: FarmData, site: str) -> list[dict[str, Any]]:
    table = farm_data.table("site_managers")
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows()]
    return [row for row in rows if row["site_code"] == site]


def contacts_in(result: Any, farm_data: FarmData) -> list[str]:
    """Every stored phone or address that appears in full in a result's JSON."""
    text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    table = farm_data.table("site_managers")
    stored = [
        *table.column("telephone"),
        *table.column("email"),
        *farm_data.table("gaveurs").column("telephone"),
    ]
    return [c for c in stored if c and c in text]


# ── send_anomaly_alert ──────────────────────────────────────────────────────────────────────────────────
def site_anomalies(engine: Engine, site: str) -> list[LotAnomaly]:
    with session_scope(engine) as session:
        return detect_anomalies(lot_kpis(session, site), contamination=0.02)


@pytest.mark.parametrize("site", ["LL", "LS", "MT"])
def test_anomaly_alert_reaches_every_manager_but_the_planted_faults(
    site: str,
    farm: Engine,
    outbox: Outbox,
    twilio_sink: TwilioSink,
    mail_sink: MailSink,
    small_farm: FarmData,
) -> None:
    anomalies = site_anomalies(farm, site)
    planted = set(small_farm.truths.anomalous_lot_ids)
    assert {a.lot_id for a in anomalies} & planted  # the detector found planted lots of this site
    key = task_key(f"anomaly-alert-{site}")
    result = send_anomaly_alert(farm, outbox, key, AnomalyAlertInput(site_code=site, anomalies=anomalies))

    faults = small_farm.truths.manager_contact_faults
    people = managers(small_farm, site)
    expected_failures = {("sms", f"manager-{m['id']}") for m in people if m["id"] in faults.landline_ids} | {
        ("email", f"manager-{m['id']}") for m in people if m["id"] in faults.invalid_email_ids
    }
    failed = {(d.channel, d.recipient_ref) for d in result.deliveries if d.status == "failed"}
    assert failed == expected_failures
    assert result.status == ("partial" if expected_failures else "success")
    assert result.recipients == len(people) == 3 and len(result.deliveries) == 6
    assert result.sent == 6 - len(expected_failures) and result.n_anomalies == len(anomalies)
    for delivery in result.deliveries:
        if delivery.status == "failed":
            assert delivery.error_type == (
                "SmsRejected" if delivery.channel == "sms" else "InvalidEmailAddress"
            )
    assert contacts_in(result, small_farm) == []

    critical_first = sorted(anomalies, key=lambda a: ("critical", "warning").index(a.severity))
    for person in people:
        if person["id"] not in faults.landline_ids:
            sms = twilio_sink.body_of(_provider_id(result, "sms", person))
            assert f"site {site}" in sms and critical_first[0].code_lot in sms
        if person["id"] not in faults.invalid_email_ids:
            [mail] = mail_sink.messages(to=person["email"], message_id=_provider_id(result, "email", person))
            assert all(a.code_lot in mail["html"] and a.code_lot in mail["text"] for a in anomalies)
            assert mail["text"].startswith(f"Bonjour {person['prenom']},")

    again = send_anomaly_alert(farm, outbox, key, AnomalyAlertInput(site_code=site, anomalies=anomalies))
    assert all(d.deduplicated for d in again.deliveries if d.status == "sent")


def _provider_id(result: Any, channel: str, person: dict[str, Any]) -> str:
    return str(
        next(
            d.provider_id
            for d in result.deliveries
            if d.channel == channel and d.recipient_ref == f"manager-{person['id']}"
        )
    )


def test_an_alert_without_anomalies_is_skipped_and_an_unknown_site_refused(
    farm: Engine, outbox: Outbox
) -> None:
    empty = send_anomaly_alert(
        farm, outbox, task_key("empty"), AnomalyAlertInput(site_code="LL", anomalies=[])
    )
    assert empty.status == "skipped" and empty.reason == "no anomaly to report" and empty.deliveries == []
    with pytest.raises(ApplicationError) as unknown:
        send_anomaly_alert(farm, outbox, task_key("zz"), AnomalyAlertInput(site_code="ZZ", anomalies=[]))
    assert unknown.value.type == "SiteNotFound" and unknown.value.non_retryable


def test_an_alert_input_holds_one_sites_anomalies(farm: Engine) -> None:
    with pytest.raises(ValidationError, match="anomalies of other sites than LL"):
        AnomalyAlertInput(site_code="LL", anomalies=site_anomalies(farm, "MT"))


# ── send_lot_completion_notification ────────────────────────────────────────────────────────────────────
def test_lot_completion_tells_the_gaveur_the_lots_figures(
    farm: Engine, outbox: Outbox, twilio_sink: TwilioSink, mail_sink: MailSink, small_farm: FarmData
) -> None:
    facts = per_lot(small_farm)[3472]
    lots = small_farm.table("lots_gavage")
    gaveur_id = int(np.asarray(lots.column("gaveur_id"))[3472 - small_farm.truths.first_lot_id])
    gaveurs = small_farm.table("gaveurs")
    phone, email = (gaveurs.column(c)[gaveur_id - 1] for c in ("telephone", "email"))

    result = send_lot_completion_notification(
        farm, outbox, task_key("lot-done"), LotCompletionInput(lot_id=3472)
    )
    assert result.status == "success" and result.sent == 2 and result.code_lot == facts.code
    kpis = result.kpis
    assert kpis.mortalite_pct == pytest.approx(facts.mortality, abs=0.005)
    assert facts.liver is not None
    assert kpis.itm == pytest.approx(facts.dose_kg / (facts.liver / 1000), abs=0.005)
    assert kpis.dose_totale_kg == pytest.approx(facts.dose_kg, abs=1e-3)
    assert sum(kpis.sqal_grades.values()) == facts.sqal_samples and kpis.feedback_count == facts.feedbacks
    assert {d.recipient_ref for d in result.deliveries} == {f"gaveur-{gaveur_id}"}
    assert contacts_in(result, small_farm) == []

    sms = twilio_sink.body_of(next(str(d.provider_id) for d in result.deliveries if d.channel == "sms"))
    assert (
        phone
        == twilio_sink.client()
        .messages(next(str(d.provider_id) for d in result.deliveries if d.channel == "sms"))
        .fetch()
        .to
    )
    assert (
        f"mortalité {facts.mortality:.1f}".replace(".", ",") in sms
        and f"ITM {kpis.itm:.2f}".replace(".", ",") in sms
    )
    [mail] = mail_sink.messages(
        to=email, message_id=next(str(d.provider_id) for d in result.deliveries if d.channel == "email")
    )
    assert mail["subject"] == f"[Gaveurs] Bilan du lot {facts.code}" and "Classement SQAL" in mail["text"]


def test_lot_completion_refuses_unknown_and_unfinished_lots(
    farm: Engine, outbox: Outbox, small_farm: FarmData
) -> None:
    feeding = next(lot for lot in per_lot(small_farm).values() if lot.status == "en_gavage")
    for lot_id, error_type in ((999_999, "LotNotFound"), (feeding.lot_id, "LotNotFinished")):
        with pytest.raises(ApplicationError) as refused:
            send_lot_completion_notification(farm, outbox, task_key("lot"), LotCompletionInput(lot_id=lot_id))
        assert refused.value.type == error_type and refused.value.non_retryable


# ── send_daily_summary_reports ──────────────────────────────────────────────────────────────────────────
def expected_figures(farm_data: FarmData, day: date) -> dict[str, dict[str, Any]]:
    """The day's figures per site, straight from the generator's arrays."""
    first = farm_data.truths.first_lot_id

    def column(table: str, name: str) -> np.ndarray[Any, Any]:
        return np.asarray(farm_data.table(table).column(name))

    site_of = column("lots_gavage", "site_code")
    start, end = (np.datetime64(b.replace(tzinfo=None), "us") for b in day_bounds(day))
    out: dict[str, dict[str, Any]] = {}
    for site in ("LL", "LS", "MT"):
        stamps = column("gavage_data_lots", "horodatage").astype("datetime64[us]")
        lot_of = column("gavage_data_lots", "lot_id")
        meal = (stamps >= start) & (stamps < end) & (site_of[lot_of - first] == site)
        fed = np.unique(lot_of[meal])
        duration = column("lots_gavage", "duree_gavage")[lot_of - first]
        last = (
            meal
            & (column("gavage_data_lots", "jour_gavage") == duration)
            & (column("gavage_data_lots", "repas") == "soir")
        )
        slaughter = column("lots_gavage", "date_abattage")
        killed = (slaughter == np.datetime64(day)) & (site_of == site)
        s_stamps = column("sensor_samples", "horodatage").astype("datetime64[us]")
        s_lot = column("sensor_samples", "lot_id")
        samples = (s_stamps >= start) & (s_stamps < end) & (site_of[s_lot - first] == site)
        f_stamps = column("consumer_feedbacks", "created_at").astype("datetime64[us]")
        f_lot = column("consumer_feedbacks", "lot_id")
        opinions = (f_stamps >= start) & (f_stamps < end) & (site_of[f_lot - first] == site)
        out[site] = {
            "lots_nourris": len(fed),
            "dose": column("gavage_data_lots", "dose_moyenne_g")[meal].sum() / len(fed) if len(fed) else None,
            "lots_termines": int(last.sum()),
            "lots_demarres": int(((column("lots_gavage", "debut_gavage") == np.datetime64(day)) & (site_of == site)).sum()),
            "lots_abattus": int(killed.sum()),
            "canards_abattus": int((column("lots_gavage", "nb_canards_places") - column("lots_gavage", "nb_canards_morts"))[killed].sum()),
            "sqal_echantillons": int(samples.sum()),
            "sqal_score_moyen": column("sensor_samples", "fusion_final_score")[samples].mean() if samples.any() else None,
            "avis_consommateurs": int(opinions.sum()),
            "note_moyenne": column("consumer_feedbacks", "rating")[opinions].mean() if opinions.any() else None,
        }  # fmt: skip
    return out


def busiest_day(farm_data: FarmData) -> date:
    """The day with the most SQAL samples: slaughter, quality line and feeding all happen on it."""
    days = np.asarray(farm_data.table("sensor_samples").column("horodatage")).astype("datetime64[D]")
    values, counts = np.unique(days, return_counts=True)
    return values[np.argmax(counts)].astype(date)  # type: ignore[no-any-return]


def check_figures(result: DailySummaryResult, farm_data: FarmData) -> None:
    expected = expected_figures(farm_data, result.day)
    for site in result.sites:
        want, got = expected[site.site_code], site.figures
        for name in ("lots_nourris", "lots_termines", "lots_demarres", "lots_abattus", "canards_abattus",
                     "sqal_echantillons", "avis_consommateurs"):  # fmt: skip
            assert getattr(got, name) == want[name], (site.site_code, name)
        for name, value, tolerance in (
            ("dose_journaliere_moyenne_g", want["dose"], 0.05),
            ("sqal_score_moyen", want["sqal_score_moyen"], 5e-4),
            ("note_moyenne", want["note_moyenne"], 5e-3),
        ):
            if value is None:
                assert getattr(got, name) is None, (site.site_code, name)
            else:
                assert getattr(got, name) == pytest.approx(value, abs=tolerance), (site.site_code, name)


def test_daily_summary_one_email_per_manager_and_the_bad_address_fails_alone(
    farm: Engine, outbox: Outbox, mail_sink: MailSink, small_farm: FarmData
) -> None:
    day = busiest_day(small_farm)
    result = send_daily_summary_reports(farm, outbox, task_key("daily"), day)
    check_figures(result, small_farm)
    assert (
        sum(s.figures.lots_abattus for s in result.sites) > 0
        and sum(s.figures.sqal_echantillons for s in result.sites) > 0
    )
    bad = {f"manager-{i}" for i in small_farm.truths.manager_contact_faults.invalid_email_ids}
    deliveries = [d for s in result.sites for d in s.deliveries]
    assert {d.recipient_ref for d in deliveries if d.status == "failed"} == bad
    assert result.status == "partial" and result.sent == 8 and result.failed == 1
    for site in result.sites:
        for person in managers(small_farm, site.site_code):
            if f"manager-{person['id']}" in bad:
                continue
            message_id = next(
                d.provider_id for d in site.deliveries if d.recipient_ref == f"manager-{person['id']}"
            )
            assert message_id is not None
            [mail] = mail_sink.messages(to=person["email"], message_id=message_id)
            assert mail["subject"] == f"[Gaveurs] Site {site.site_code} : bilan du {day:%d/%m/%Y}"
            assert (
                f"Canards abattus | {site.figures.canards_abattus:,}".replace(",", "\u202f") in mail["text"]
            )


def test_daily_summary_of_the_datas_today(farm: Engine, outbox: Outbox, small_farm: FarmData) -> None:
    """The generator's today (2026-11-01) has no meal yet: the summary still goes, with zeros."""
    today = small_farm.truths.today
    result = send_daily_summary_reports(farm, outbox, task_key("today"), today)
    check_figures(result, small_farm)
    assert result.day == today and result.sent == 8


def test_a_temporary_refusal_holds_back_only_its_recipient(
    farm: Engine, outbox: Outbox, mail_sink: MailSink, small_farm: FarmData
) -> None:
    director = managers(small_farm, "LL")[0]
    key = task_key("daily-greylisted")
    mail_sink.hook("reject", code=451, message="4.7.1 Try again later", recipient=director["email"])
    with pytest.raises(ApplicationError) as incomplete:
        send_daily_summary_reports(farm, outbox, key, date(2026, 10, 20))
    assert incomplete.value.type == "NotificationIncomplete" and not incomplete.value.non_retryable
    assert (
        f"manager-{director['id']}" in incomplete.value.message
        and director["email"] not in incomplete.value.message
    )
    retried = send_daily_summary_reports(farm, outbox, key, date(2026, 10, 20))
    assert retried.sent == 8
    fresh = [
        d.recipient_ref
        for s in retried.sites
        for d in s.deliveries
        if d.status == "sent" and not d.deduplicated
    ]
    assert fresh == [f"manager-{director['id']}"]  # everybody else had it from the first attempt


# ── send_consumer_feedback_acknowledgment ───────────────────────────────────────────────────────────────
def test_feedback_acknowledgment_thanks_consumers_who_left_an_address(
    farm: Engine, outbox: Outbox, mail_sink: MailSink, small_farm: FarmData
) -> None:
    table = small_farm.table("consumer_feedbacks")
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows()]
    with_email = next(r for r in rows if r["email"] and r["rating"] <= 2)
    without = next(r for r in rows if not r["email"])

    done = send_consumer_feedback_acknowledgment(
        farm, outbox, task_key("ack"), FeedbackAcknowledgmentInput(feedback_id=with_email["id"])
    )
    assert done.status == "success" and done.delivery is not None and done.lot_id == with_email["lot_id"]
    assert with_email["email"] not in done.model_dump_json()
    [mail] = mail_sink.messages(to=with_email["email"], message_id=str(done.delivery.provider_id))
    assert f"({with_email['rating']}/5)" in mail["text"] and "responsable qualité" in mail["text"]

    skipped = send_consumer_feedback_acknowledgment(
        farm, outbox, task_key("ack"), FeedbackAcknowledgmentInput(feedback_id=without["id"])
    )
    assert skipped.status == "skipped" and skipped.reason == "the consumer left no e-mail address"
    with pytest.raises(ApplicationError) as unknown:
        send_consumer_feedback_acknowledgment(
            farm, outbox, task_key("ack"), FeedbackAcknowledgmentInput(feedback_id=10**8)
        )
    assert unknown.value.type == "FeedbackNotFound"


# ── the parts the workflows call one by one ─────────────────────────────────────────────────────────────
def test_a_summary_without_a_day_is_the_runs_date_in_paris() -> None:
    # 22:30 UTC is already the next day in Paris: 00:30 in summer time (UTC+2), 23:30 in winter (UTC+1).
    summer = DailySummaryPlanRequest(day=None, moment=datetime(2026, 10, 5, 22, 30, tzinfo=UTC))
    winter = DailySummaryPlanRequest(day=None, moment=datetime(2026, 11, 5, 22, 30, tzinfo=UTC))
    assert (summary_day(summer), summary_day(winter)) == (date(2026, 10, 6), date(2026, 11, 5))
    asked = DailySummaryPlanRequest(day=date(2026, 1, 2), moment=datetime(2026, 10, 5, tzinfo=UTC))
    assert summary_day(asked) == date(2026, 1, 2)


def test_recipients_are_found_again_by_reference(farm: Engine, small_farm: FarmData) -> None:
    manager = managers(small_farm, "LL")[0]
    feedbacks = small_farm.table("consumer_feedbacks")
    feedback = next(dict(zip(feedbacks.columns, r, strict=True)) for r in feedbacks.rows() if r[0] == 2)
    with session_scope(farm) as session:
        found = person_by_ref(session, f"manager-{manager['id']}")
        assert found is not None and (found.phone, found.email) == (manager["telephone"], manager["email"])
        gaveur = person_by_ref(session, "gaveur-1")
        assert gaveur is not None and gaveur.role == "gaveur" and gaveur.phone
        consumer = person_by_ref(session, "feedback-2")
        assert consumer is not None and consumer.email == feedback["email"] and consumer.phone is None
        for unknown in ("manager-999999", "gaveur-0", "feedback-x", "someone-1", ""):
            assert person_by_ref(session, unknown) is None


def test_a_planned_recipient_gone_since_fails_alone(farm: Engine, outbox: Outbox) -> None:
    with session_scope(farm) as session:
        plan = daily_summary_plan(session, date(2026, 10, 5))
        gone = PlannedDelivery(
            channel="email", recipient_ref="manager-999999", recipient_name="X Y", role="r"
        )
        message = daily_summary_message(
            session,
            DailySummaryMessage(task_key=task_key("gone"), figures=plan.sites[0].figures, delivery=gone),
        )
    outcome = outbox.deliver(message)
    assert (outcome.status, outcome.error_type, outcome.recipient_ref) == (
        "failed",
        "MissingContact",
        "manager-999999",
    )
    # A plan names recipients without their contacts: it may travel through workflow history.
    assert all("@" not in d.model_dump_json() for site in plan.sites for d in site.deliveries)
