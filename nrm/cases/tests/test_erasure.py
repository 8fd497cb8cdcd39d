"""Erasure by destroying a referral's data key (ADR 0019): the administrator's right-to-erasure
command and the retention rule for closed cases. Pages show 'Erased' instead of failing, the
audit chain still verifies, and the retention job erases exactly the cases past their time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.audit.models import AuditEvent
from nrm.cases import services
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, CaseNote
from nrm.cases.tests.factories import LONDON, make_case
from nrm.core import policy
from nrm.core.models import DataKey
from nrm.core.periodic import load_jobs
from nrm.referrals.models import Attachment
from nrm.referrals.tests.answer_sets import ADULT

pytestmark = pytest.mark.django_db

PLANTED = "Zoltanovska"
PDF = b"%PDF-1.4\n" + b"x" * 300


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def _with_person(case: Case) -> Case:
    referral = case.referral
    referral.answers = {**ADULT, "last_name": PLANTED}
    referral.save(update_fields=["answers"])
    return case


def _table_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return "\n".join(repr(row) for row in cursor.fetchall())


def test_erasing_a_case_shows_erased_everywhere_and_keeps_the_audit_chain(
        client_for: Callable[..., Client]) -> None:
    case = _with_person(make_case(State.AWAITING_RG))
    maker = case.built_by.decision_maker  # type: ignore[attr-defined]
    services.case_representative_set(case=case, actor=maker, name=f"Ivo {PLANTED}", email="ivo.rep@example.org")
    CaseNote.objects.create(case=case, author=maker, text=f"Spoke to {PLANTED} by phone")
    attachment = Attachment(referral=case.referral, uploaded_by=case.referral.author, original_name="a.pdf",
                            content_type="application/pdf", size=len(PDF))
    attachment.store_content(PDF)
    attachment.save()
    audit_text = _table_text(AuditEvent._meta.db_table)
    assert PLANTED not in audit_text, "the representative is sealed in the audit log"
    assert "ivo.rep@example.org" not in audit_text
    client = client_for(maker)
    page = reverse("cases:detail", kwargs={"case_id": case.pk})
    assert PLANTED in client.get(page).content.decode()

    with pytest.raises(CommandError, match="reason"):
        call_command("erase", "--case", case.reference, "--reason", "  ")
    out = StringIO()
    call_command("erase", "--case", case.reference, "--reason", "ER-2026-0042", stdout=out)
    assert f"Case {case.reference} erased" in out.getvalue()

    response = client.get(page)
    assert response.status_code == 200
    assert PLANTED not in response.content.decode()
    assert "Erased" in response.content.decode()
    evidence = reverse("cases:evidence", kwargs={"case_id": case.pk, "attachment_id": attachment.pk})
    assert client.get(evidence).status_code == 410
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.representative_name == "Erased"
    assert CaseNote.objects.get(case=case).text == "Erased"
    event = AuditEvent.objects.get(action="case.erased")
    assert event.after == {"reason": "ER-2026-0042", "data_keys_destroyed": 1}
    call_command("audit", "verify", stdout=StringIO())  # raises if the chain broke
    call_command("erase", "--case", case.reference, "--reason", "ER-2026-0042", stdout=out)
    assert "already erased" in out.getvalue()


def _closed_on(day: date) -> Case:
    case = make_case(State.CLOSED)
    Case.objects.filter(pk=case.pk).update(state_changed_at=datetime.combine(day, time(12, 0), tzinfo=LONDON))
    return case


def test_the_retention_job_erases_exactly_the_closed_cases_past_their_time() -> None:
    today = timezone.localdate()
    years = policy.int_value("closed_case_retention_years", on=today)
    anniversary = today.replace(year=today.year - years) if (today.month, today.day) != (2, 29) else today
    due = _closed_on(anniversary)
    long_due = _closed_on(anniversary - timedelta(days=400))
    not_yet = _closed_on(anniversary + timedelta(days=1))
    still_open = make_case(State.AWAITING_RG)
    Case.objects.filter(pk=still_open.pk).update(
        state_changed_at=datetime.combine(anniversary - timedelta(days=400), time(12, 0), tzinfo=LONDON))

    assert "cases.apply_retention" in load_jobs()
    assert services.cases_apply_retention(today=today) == 2
    destroyed = set(DataKey.objects.filter(destroyed_at__isnull=False).values_list("pk", flat=True))
    assert {c.referral.data_key_id for c in (due, long_due)} <= destroyed
    assert not {c.referral.data_key_id for c in (not_yet, still_open)} & destroyed
    assert DataKey.objects.filter(pk__in=destroyed).values_list("destroyed_because", flat=True).distinct().get() \
        == "retention:closed_case"
    event = AuditEvent.objects.get(action="retention.applied")
    assert event.object_type == "RecordClass"
    assert event.object_id == "closed_case"
    assert event.after is not None
    assert event.after["erased"] == 2
    assert event.after["closed_on_or_before"] == anniversary.isoformat()

    assert services.cases_apply_retention(today=today) == 0, "nothing left to erase"
    assert AuditEvent.objects.filter(action="retention.applied").count() == 1
    assert services.cases_apply_retention(today=today + timedelta(days=1)) == 1, "the next day's case is due then"
