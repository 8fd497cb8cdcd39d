"""The migration that seals what was stored before encryption at rest (ADR 0019): a referral's
answers, a request to refer, a contribution, an evidence file and a case's representative written
in plaintext are sealed under new data keys, and read back unchanged."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from nrm.core.crypto import FILE_MAGIC, TEXT_PREFIX

PLANTED = "Zoltanovska"
BEFORE = [("referrals", "0005_duty_to_notify_reference_required"), ("cases", "0003_queue_covering_indexes")]


def _raw(sql: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk.hex if connection.vendor == "sqlite" else pk])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def _plaintext_rows(apps: Any, storage_root: Path) -> dict[str, Any]:
    organisation = apps.get_model("reference", "Organisation").objects.get(slug="police-e23000001")
    user = apps.get_model("accounts", "User").objects.create(email="fr@example.org", full_name="Priya Shah")
    now = timezone.now()
    referral = apps.get_model("referrals", "Referral").objects.create(
        organisation=organisation, author=user, status="submitted", reference="NRM-MIG0001",
        answers={"first_names": "Ana", "last_name": PLANTED}, expires_at=now + timedelta(days=1), submitted_at=now)
    apps.get_model("referrals", "Contribution").objects.create(
        referral=referral, author=user, author_organisation_name="Police", topic="t", text=f"{PLANTED} said so")
    concern = apps.get_model("referrals", "Concern").objects.create(
        organisation=organisation, raiser_name=f"Mira {PLANTED}", raiser_email="mira@example.org",
        raiser_role="Neighbour", urgency="standard", summary=f"{PLANTED} is frightened")
    (storage_root / "evidence").mkdir(parents=True)
    (storage_root / "evidence" / "old").write_bytes(b"%PDF-1.4 " + PLANTED.encode())
    attachment = apps.get_model("referrals", "Attachment").objects.create(
        referral=referral, uploaded_by=user, file="evidence/old", original_name=f"{PLANTED}.pdf",
        content_type="application/pdf", size=20)
    case = apps.get_model("cases", "Case").objects.create(
        referral=referral, reference="NRM-MIG0001", competent_authority="SCA", state="awaiting_rg",
        state_changed_at=now, first_responder_organisation=organisation, is_child=False,
        received_on=now.date(), rg_target_date=now.date(), representative_name=f"Ivo {PLANTED}",
        representative_email="ivo@example.org")
    return {"referral": referral.pk, "concern": concern.pk, "attachment": attachment.pk, "case": case.pk}


@pytest.mark.django_db(transaction=True)
def test_existing_plaintext_is_sealed_by_the_migration(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    ids = _plaintext_rows(executor.loader.project_state(BEFORE).apps, tmp_path)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from nrm.cases.models import Case
    from nrm.referrals.models import Attachment, Concern, Contribution, Referral

    for sql, pk in [("SELECT answers FROM referrals_referral WHERE id = %s", ids["referral"]),
                    ("SELECT summary FROM referrals_concern WHERE id = %s", ids["concern"]),
                    ("SELECT raiser_name FROM referrals_concern WHERE id = %s", ids["concern"]),
                    ("SELECT original_name FROM referrals_attachment WHERE id = %s", ids["attachment"]),
                    ("SELECT representative_name FROM cases_case WHERE id = %s", ids["case"])]:
        raw = _raw(sql, pk)
        assert raw.startswith(TEXT_PREFIX), sql
        assert PLANTED not in raw
    on_disk = (tmp_path / "evidence" / "old").read_bytes()
    assert on_disk.startswith(FILE_MAGIC)
    assert PLANTED.encode() not in on_disk
    assert stat.S_IMODE(os.stat(tmp_path / "evidence" / "old").st_mode) == 0o600

    referral = Referral.objects.get(pk=ids["referral"])
    assert referral.answers == {"first_names": "Ana", "last_name": PLANTED}
    assert Contribution.objects.get(referral=referral).text == f"{PLANTED} said so"
    assert Concern.objects.get(pk=ids["concern"]).raiser_email == "mira@example.org"
    assert Attachment.objects.get(pk=ids["attachment"]).read_content() == b"%PDF-1.4 " + PLANTED.encode()
    assert Case.objects.get(pk=ids["case"]).representative_email == "ivo@example.org"
