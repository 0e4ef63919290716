"""Traceability certificates on SQLite and PostgreSQL: issued, chained, verified against today's rows, and
found out when a record, the certificate itself, the chain or the key is not what was certified."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, delete, select, update
from temporalio.exceptions import ApplicationError

from gaveurs.certificates.issue import CertificateIdTaken, certificate_id_for, issue_certificate
from gaveurs.certificates.keys import (
    BadSigningKey,
    public_key_hex,
    signing_key,
    trusted_public_keys,
    verifying_public_keys,
)
from gaveurs.certificates.render import render_certificate_json
from gaveurs.certificates.verify import verify_certificate
from gaveurs.contracts.certificates import CertificateType, CertificateVerification
from gaveurs.db.models import Certificate, GavageData, Lot, SensorSample
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.farm.loader import load_farm
from gaveurs.secret_files import InsecureSecretFile
from gaveurs.settings import Settings, get_settings
from tests.test_farm_generator import as_array

CERTIFICATE_TYPES: list[CertificateType] = ["traceability", "quality", "origin"]

NOW = datetime(2026, 11, 2, 6, 0, 0, 123456, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
TRUSTED = {public_key_hex(KEY.public_key())}


@pytest.fixture
def farm(database_url: str, small_farm: FarmData) -> Iterator[Engine]:
    """A writable copy of the small farm (these tests alter rows)."""
    engine = make_engine(database_url)
    load_farm(engine, small_farm)
    yield engine
    engine.dispose()


def slaughtered(farm_data: FarmData, count: int) -> list[int]:
    status = as_array(farm_data, "lots_gavage", "statut")
    return [int(i) for i in as_array(farm_data, "lots_gavage", "id")[status == "abattu"][:count]]


def verify(engine: Engine, certificate_id: str, trusted: set[str] = TRUSTED) -> CertificateVerification:
    with session_scope(engine) as session:
        return verify_certificate(session, certificate_id, trusted_keys=trusted, now=NOW)


def test_altering_one_gavage_row_fails_verification_precisely(farm: Engine) -> None:
    seen: list[int] = []
    cert = issue_certificate(
        farm, 3472, "traceability", key=KEY, created_at=NOW, on_progress=lambda p, _: seen.append(p)
    )
    assert seen == sorted(seen) and seen[-1] == 90
    labels = [record["label"] for record in cert.records]
    assert labels[0] == "placement" and labels[-2:] == ["sqal summary", "slaughter"]
    assert labels[1:-2] == [f"gavage day {day}" for day in range(1, len(labels) - 2)]
    assert cert.seq == 1 and cert.previous_certificate_hash == "0" * 64
    assert verify(farm, cert.id).valid

    with session_scope(farm) as session:
        row = session.scalars(
            select(GavageData).where(
                GavageData.lot_id == 3472, GavageData.jour_gavage == 7, GavageData.repas == "soir"
            )
        ).one()
        certified = row.dose_moyenne_g
        row.dose_moyenne_g = certified + 12.5
    report = verify(farm, cert.id)
    assert not report.valid
    assert [(p.check, p.record, p.field) for p in report.problems] == [
        ("record", "gavage day 7", "soir.dose_moyenne_g"),
        ("records_chain", None, None),
    ]
    problem = report.problems[0]
    assert (problem.certified, problem.current) == (certified, certified + 12.5)
    assert "gavage day 7, soir.dose_moyenne_g: certified" in problem.message

    with session_scope(farm) as session:
        session.execute(
            update(GavageData)
            .where(GavageData.lot_id == 3472, GavageData.jour_gavage == 7, GavageData.repas == "soir")
            .values(dose_moyenne_g=certified)
        )
    assert verify(farm, cert.id).valid  # put back as certified: valid again


def test_one_changed_sample_deleted_day_and_new_weight_are_each_reported(farm: Engine) -> None:
    cert = issue_certificate(farm, 3472, "traceability", key=KEY, created_at=NOW)
    with session_scope(farm) as session:
        sample = session.scalars(select(SensorSample).where(SensorSample.lot_id == 3472).limit(1)).one()
        sample.fusion_final_grade = "A+" if sample.fusion_final_grade != "A+" else "A"
        session.execute(delete(GavageData).where(GavageData.lot_id == 3472, GavageData.jour_gavage == 2))
        lot = session.get(Lot, 3472)
        assert lot is not None and lot.poids_foie_moyen_g is not None
        lot.poids_foie_moyen_g += 40
    found = {(p.record, p.field) for p in verify(farm, cert.id).problems if p.check == "record"}
    assert ("sqal summary", "empreinte_echantillons") in found
    assert ("gavage day 2", None) in found
    assert ("slaughter", "poids_foie_moyen_g") in found
    assert any(field and field.startswith("grades.") for _, field in found)


def test_certificates_chain_and_a_broken_link_or_edit_is_found(farm: Engine, small_farm: FarmData) -> None:
    first, second, third = (
        issue_certificate(farm, lot_id, kind, key=KEY, created_at=NOW + timedelta(minutes=i))
        for i, (lot_id, kind) in enumerate(zip(slaughtered(small_farm, 3), CERTIFICATE_TYPES, strict=True))
    )
    assert [c.seq for c in (first, second, third)] == [1, 2, 3]
    assert second.previous_certificate_hash == first.certificate_hash
    assert third.previous_certificate_hash == second.certificate_hash
    assert [r["label"] for r in third.records] == ["placement", "slaughter"]
    assert [r["label"] for r in second.records] == ["placement", "sqal summary", "slaughter"]
    assert all(verify(farm, c.id).valid for c in (first, second, third))

    with session_scope(farm) as session:
        session.execute(update(Certificate).where(Certificate.id == second.id).values(code_lot="XX0000000"))
    edited = verify(farm, second.id)
    assert {p.check for p in edited.problems} == {"certificate_hash", "signature"}
    with session_scope(farm) as session:
        session.execute(delete(Certificate).where(Certificate.id == second.id))
    broken = verify(farm, third.id)
    assert [p.check for p in broken.problems] == ["chain_link"]
    assert "certificate #2" in broken.problems[0].message


def test_a_certificate_with_an_edited_snapshot_or_an_untrusted_key_fails(farm: Engine) -> None:
    cert = issue_certificate(farm, 3472, "quality", key=KEY, created_at=NOW)
    assert [p.check for p in verify(farm, cert.id, trusted=set()).problems] == ["public_key"]
    with session_scope(farm) as session:
        row = session.get(Certificate, cert.id)
        assert row is not None
        records = json.loads(json.dumps(row.records))
        records[0]["data"]["nb_canards_places"] += 1
        row.records = records
    assert [p.check for p in verify(farm, cert.id).problems] == ["snapshot", "record"]


def test_issuing_is_idempotent_per_task_run_and_refuses_bad_lots(farm: Engine, small_farm: FarmData) -> None:
    certificate_id = certificate_id_for(3472, "certificate-3472", "run-1")
    assert certificate_id == certificate_id_for(3472, "certificate-3472", "run-1") != certificate_id_for(3472)
    first = issue_certificate(
        farm, 3472, "traceability", key=KEY, created_at=NOW, certificate_id=certificate_id
    )
    again = issue_certificate(
        farm, 3472, "traceability", key=KEY, created_at=NOW, certificate_id=certificate_id
    )
    assert (again.id, again.seq, again.signature) == (first.id, first.seq, first.signature)
    with pytest.raises(CertificateIdTaken):
        issue_certificate(farm, 3473, "traceability", key=KEY, created_at=NOW, certificate_id=certificate_id)

    status = as_array(small_farm, "lots_gavage", "statut")
    feeding = int(as_array(small_farm, "lots_gavage", "id")[status == "en_gavage"][0])
    for lot_id, kind, words in (
        (999999, "LotNotFound", "lot 999999 not found"),
        (feeding, "LotNotCertifiable", "certificates are issued for slaughtered lots only"),
    ):
        with pytest.raises(ApplicationError) as caught:
            issue_certificate(farm, lot_id, "traceability", key=KEY, created_at=NOW)
        assert caught.value.type == kind and caught.value.non_retryable and words in str(caught.value)
    with session_scope(farm) as session, pytest.raises(ApplicationError) as missing:
        verify_certificate(session, "cert-nope", trusted_keys=TRUSTED, now=NOW)
    assert missing.value.type == "CertificateNotFound"


def test_concurrent_issuers_never_fork_the_chain(farm: Engine, small_farm: FarmData) -> None:
    lots = slaughtered(small_farm, 12)
    errors: list[BaseException] = []

    def issue(mine: list[int]) -> None:
        try:
            for lot_id in mine:
                issue_certificate(farm, lot_id, "origin", key=KEY, created_at=NOW)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(lots[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(farm) as session:
        chain = list(session.scalars(select(Certificate).order_by(Certificate.seq)))
    assert [c.seq for c in chain] == list(range(1, len(lots) + 1))
    assert all(b.previous_certificate_hash == a.certificate_hash for a, b in itertools.pairwise(chain))
    assert all(verify(farm, c.id).valid for c in chain)


def test_the_json_rendering_verifies_with_nothing_but_hashlib_and_ed25519(farm: Engine) -> None:
    cert = issue_certificate(farm, 3472, "traceability", key=KEY, created_at=NOW)
    document = json.loads(render_certificate_json(cert))
    assert render_certificate_json(cert) == render_certificate_json(cert)
    payload = document["signed_payload"].encode()
    assert hashlib.sha256(payload).hexdigest() == document["certificate_hash"] == cert.certificate_hash
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(document["public_key"])).verify(
        bytes.fromhex(document["signature"]), payload
    )  # raises if wrong
    link = hashlib.sha256(f"gaveurs-cert/v1|{document['previous_certificate_hash']}".encode()).hexdigest()
    signed = json.loads(payload)
    for record, listed in zip(document["records"], signed["records"], strict=True):
        body = json.dumps(
            {"label": record["label"], "data": record["data"]},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        digest = hashlib.sha256(body).hexdigest()
        assert digest == listed["hash"] == record["hash"]
        link = hashlib.sha256((link + digest).encode()).hexdigest()
    assert link == document["chain_head_hash"] == signed["chain_head_hash"]
    assert signed["created_at"] == "2026-11-02T06:00:00.123456Z"


def test_dev_key_is_generated_once_private_and_settings_keys_are_parsed(tmp_path: Path) -> None:
    settings = Settings(certificate_key_file=tmp_path / "keys" / "cert.pem")
    key = signing_key(settings)
    path = settings.certificate_key_file
    assert path.stat().st_mode & 0o777 == 0o600
    assert public_key_hex(signing_key(settings).public_key()) == public_key_hex(key.public_key())
    assert [p.name for p in path.parent.iterdir()] == ["cert.pem"]  # no temp file left

    os.chmod(path, 0o644)
    with pytest.raises(InsecureSecretFile, match="chmod 600"):
        signing_key(settings)

    raw = base64.b64encode(bytes(range(32))).decode()
    from_env = Settings(certificate_signing_key=raw, certificate_trusted_public_keys=["AB" * 32])
    assert public_key_hex(signing_key(from_env).public_key()) == public_key_hex(KEY.public_key())
    assert trusted_public_keys(from_env) == {public_key_hex(KEY.public_key()), "ab" * 32}
    pem = KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert public_key_hex(signing_key(Settings(certificate_signing_key=pem)).public_key()) in TRUSTED
    for bad in (base64.b64encode(b"short").decode(), "not a key!"):
        with pytest.raises(BadSigningKey):
            signing_key(Settings(certificate_signing_key=bad))


def test_verification_trusts_the_settings_keys_by_default(
    farm: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CERTIFICATE_KEY_FILE", str(tmp_path / "keys" / "dev.pem"))
    get_settings.cache_clear()
    try:
        dev_key = signing_key(get_settings())
        signed_here = issue_certificate(farm, 3472, "origin", key=dev_key, created_at=NOW)
        signed_elsewhere = issue_certificate(farm, 3473, "origin", key=KEY, created_at=NOW)
        with session_scope(farm) as session:
            assert verify_certificate(session, signed_here.id).valid
            stranger = verify_certificate(session, signed_elsewhere.id)
        assert [p.check for p in stranger.problems] == ["public_key"]
        monkeypatch.setenv("CERTIFICATE_TRUSTED_PUBLIC_KEYS", json.dumps(sorted(TRUSTED)))
        get_settings.cache_clear()
        with session_scope(farm) as session:
            assert verify_certificate(session, signed_elsewhere.id).valid  # a rotated-out key still trusted
    finally:
        get_settings.cache_clear()


def test_a_verifier_trusts_the_workers_key_but_never_makes_one(tmp_path: Path) -> None:
    settings = Settings(
        certificate_key_file=tmp_path / "keys" / "cert.pem", certificate_trusted_public_keys=["AB" * 32]
    )
    assert verifying_public_keys(settings) == {"ab" * 32}
    assert not settings.certificate_key_file.exists()  # the API does not sign: it made no key
    worker_key = signing_key(settings)  # the first certificate a worker issues creates the dev key
    assert verifying_public_keys(settings) == {"ab" * 32, public_key_hex(worker_key.public_key())}
    raw = base64.b64encode(bytes(range(32))).decode()
    assert verifying_public_keys(Settings(certificate_signing_key=raw)) == {public_key_hex(KEY.public_key())}
