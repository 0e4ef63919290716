"""Pure parts of the notifications: contracts at the API edge, privacy helpers, texts, planted managers."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime

import phonenumbers
import pytest
from pydantic import TypeAdapter, ValidationError

from gaveurs.contracts.ml import LotAnomaly
from gaveurs.contracts.notifications import E164Phone, EmailNotificationInput
from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.notify.email_address import InvalidEmail, normalize_email
from gaveurs.notify.privacy import MaskContactsFilter, contact_ref, mask_contacts, mask_email, mask_phone
from gaveurs.notify.recipients import FeedbackFacts
from gaveurs.notify.texts import anomaly_alert_sms, feedback_acknowledgment_email, number

GSM_7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)


def anomaly(code: str, severity: str, mortality: float, itm: float, score: float) -> LotAnomaly:
    return LotAnomaly.model_validate(
        {"lot_id": 1, "code_lot": code, "site_code": "LL", "anomaly_score": score, "severity": severity,
         "reasons": ["mortalité 18.2 % (médiane 2.7 %)"], "itm": itm, "mortalite_pct": mortality}
    )  # fmt: skip


# ── the API edge ────────────────────────────────────────────────────────────────────────────────────────
def test_an_email_input_holds_the_canonical_address() -> None:
    params = EmailNotificationInput(to_email="Claire.Labat@Gaveurs.FR", subject="Bilan", body_html="<p>x</p>")
    assert params.to_email == "Claire.Labat@gaveurs.fr"
    assert params.model_dump()["to_email"] == "Claire.Labat@gaveurs.fr"  # what the answer echoes


@pytest.mark.parametrize(
    ("field", "value"),
    [("to_email", "claire.labat.gaveurs.fr"), ("subject", "two\nlines"), ("subject", ""), ("body_html", "")],
)
def test_a_bad_email_input_is_a_validation_error(field: str, value: str) -> None:
    values = {"to_email": "claire@gaveurs.fr", "subject": "Bilan", "body_html": "<p>x</p>"} | {field: value}
    with pytest.raises(ValidationError) as error:
        EmailNotificationInput(**values)
    assert error.value.errors()[0]["loc"] == (field,)


def test_the_phone_type_normalises_and_refuses() -> None:
    phone = TypeAdapter(E164Phone)
    assert phone.validate_python("+33 6 12 34 56 78") == "+33612345678"
    with pytest.raises(ValidationError, match=r"E\.164"):
        phone.validate_python("0612345678")


def test_an_invalid_email_names_the_reason_apart_from_the_address() -> None:
    with pytest.raises(InvalidEmail) as error:
        normalize_email("claire.labat.gaveurs.fr")
    assert "@-sign" in error.value.reason and "claire" not in error.value.reason


# ── privacy ─────────────────────────────────────────────────────────────────────────────────────────────
def test_phones_and_addresses_are_masked() -> None:
    assert mask_phone("+33612345678") == "+33 6•• •• •• 78"
    assert mask_phone("+33 1 45 67 89 01") == "+33 1•• •• •• 01"
    assert mask_email("claire.labat@gaveurs.fr") == "c•••@gaveurs.fr"
    assert mask_email("claire.labat.gaveurs.fr") == "c•••"
    text = "The 'To' number +33612345678 is not valid; see claire.labat@gaveurs.fr or +33 6 98 76 54 32."
    assert mask_contacts(text) == (
        "The 'To' number +33 6•• •• •• 78 is not valid; see c•••@gaveurs.fr or +33 6•• •• •• 32."
    )


def test_contact_refs_are_stable_keyed_and_reveal_nothing() -> None:
    ref = contact_ref("+33 6 12 34 56 78", key="k1")
    assert ref == contact_ref("+33612345678", key="k1") != contact_ref("+33612345678", key="k2")
    assert re.fullmatch(r"c-[0-9a-f]{16}", ref) and "5678" not in ref
    assert contact_ref("Claire@Gaveurs.fr", key="k1") == contact_ref("claire@gaveurs.fr", key="k1")


def test_the_log_filter_masks_what_any_library_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.notify.masking")
    logger.addFilter(MaskContactsFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("POST To=%s Body=%s", "+33612345678", "write to claire@gaveurs.fr")
    assert caplog.messages == ["POST To=+33 6•• •• •• 78 Body=write to c•••@gaveurs.fr"]


# ── texts ───────────────────────────────────────────────────────────────────────────────────────────────
def test_an_alert_sms_is_grouped_by_severity_and_stays_in_the_gsm_alphabet() -> None:
    anomalies = [
        anomaly("LL2601007", "warning", 9.4, 3.9, 0.61),
        anomaly("LL2601001", "critical", 18.24, 4.1, 0.72),
        anomaly("LL2601003", "warning", 6.0, 3.7, 0.55),
        anomaly("LL2601009", "warning", 8.0, 3.8, 0.66),
        anomaly("LL2601011", "warning", 4.0, 3.6, 0.51),
    ]
    sms = anomaly_alert_sms("LL", anomalies)
    assert sms.startswith("Gaveurs - alerte site LL : 5 lots anormaux (1 critique, 4 à surveiller).")
    # Most severe first, then by score; three named, the rest counted.
    assert (
        sms.index("LL2601001 critique : mortalité 18,2 %, ITM 4,10")
        < sms.index("LL2601009")
        < sms.index("LL2601007")
    )
    assert "LL2601003" not in sms and "+2 autres" in sms
    assert set(sms) <= GSM_7 and len(sms) <= 320


def test_french_numbers() -> None:
    assert number(1043.46, 1, "g") == "1\u202f043,5\u202fg"
    assert number(1043.46, 0, "g", sms=True) == "1 043 g"
    assert number(None) == "—"


def test_a_disappointed_consumer_is_told_quality_will_look_into_it() -> None:
    facts = FeedbackFacts(
        12, 3472, "LL2601001", 1, "Goût fade <b>vraiment</b>", "c@x.fr", datetime(2026, 10, 3, tzinfo=UTC)
    )
    mail = feedback_acknowledgment_email(facts)
    assert "(1/5)" in mail.text and "responsable qualité" in mail.text and "03/10/2026" in mail.text
    assert "&lt;b&gt;vraiment&lt;/b&gt;" in mail.html  # the consumer's words are escaped, never markup
    assert "« Goût fade <b>vraiment</b> »" in mail.text


# ── planted managers ────────────────────────────────────────────────────────────────────────────────────
def test_every_site_has_its_three_managers_with_the_planted_faults(small_farm: FarmData) -> None:
    table = small_farm.table("site_managers")
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows()]
    faults = small_farm.truths.manager_contact_faults
    assert sorted((r["site_code"], r["role"]) for r in rows) == sorted(
        (site, role)
        for site in ("LL", "LS", "MT")
        for role in ("directeur_site", "responsable_production", "responsable_qualite")
    )
    for row in rows:
        number_type = phonenumbers.number_type(phonenumbers.parse(row["telephone"]))
        assert phonenumbers.is_valid_number(phonenumbers.parse(row["telephone"]))
        if row["id"] in faults.landline_ids:
            assert number_type == phonenumbers.PhoneNumberType.FIXED_LINE
        else:
            assert number_type == phonenumbers.PhoneNumberType.MOBILE
        if row["id"] in faults.invalid_email_ids:
            with pytest.raises(InvalidEmail):
                normalize_email(row["email"])
        else:
            assert normalize_email(row["email"]) == row["email"]
    assert len(faults.landline_ids) == len(faults.invalid_email_ids) == 1
    assert small_farm.truths.as_json()["manager_contact_faults"] == {
        "landline_ids": faults.landline_ids, "invalid_email_ids": faults.invalid_email_ids,
    }  # fmt: skip


def test_managers_come_from_their_own_random_stream(
    small_farm: FarmData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding them changed no other table: a farm generated with other managers is otherwise identical."""
    from gaveurs.farm import generator, managers

    monkeypatch.setattr(generator, "site_managers", lambda seed: managers.site_managers(seed + 1))
    other = generate_farm("small")
    for mine, theirs in zip(small_farm.tables, other.tables, strict=True):
        if mine.name == "site_managers":
            assert list(mine.rows()) != list(theirs.rows())
        else:
            assert list(mine.rows()) == list(theirs.rows()), mine.name
    assert small_farm.truths.counts["site_managers"] == 9
    stored = set(small_farm.table("gaveurs").column("telephone"))
    assert stored.isdisjoint(small_farm.table("site_managers").column("telephone"))


def test_the_daily_summary_day_is_a_paris_day() -> None:
    from gaveurs.notify.daily_figures import day_bounds

    assert day_bounds(date(2026, 10, 25)) == (  # the autumn clock change: a 25-hour day
        datetime(2026, 10, 24, 22, tzinfo=UTC),
        datetime(2026, 10, 25, 23, tzinfo=UTC),
    )
