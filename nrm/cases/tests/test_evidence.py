"""Evidence on the case: the first responder's files are listed on the case page and can be
read by everyone who may see the case (audited, never cached), and by no one else."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.cases.tests.factories import make_case
from nrm.referrals.models import Attachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"x" * 3000


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def attach(case: Case, name: str = "payslips.pdf", content: bytes = PDF, description: str = "") -> Attachment:
    attachment = Attachment(referral=case.referral, uploaded_by=case.built_by.first_responder,  # type: ignore[attr-defined]
                            original_name=name, content_type="application/pdf", size=len(content),
                            description=description)
    attachment.store_content(content)
    attachment.save()
    return attachment


def _url(case: Case, attachment: Attachment) -> str:
    return reverse("cases:evidence", kwargs={"case_id": case.pk, "attachment_id": attachment.pk})


@pytest.mark.parametrize("reader", ["decision_maker", "senior", "first_responder"])
def test_everyone_entitled_to_the_case_sees_the_files_and_reads_them(client_for: Callable[..., Client],
                                                                     reader: str) -> None:
    case = make_case(State.AWAITING_RG)
    attachment = attach(case, description="Payslips with no pay")
    client = client_for(getattr(case.built_by, reader))
    page = client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert 'id="evidence"' in page
    assert "payslips.pdf" in page
    assert "Payslips with no pay" in page
    assert ">PDF<" in page
    assert "2KB" in page
    assert f'href="{_url(case, attachment)}"' in page

    response = client.get(_url(case, attachment))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    read = AuditEvent.objects.filter(case_id=case.pk, action="case.viewed").order_by("id").last()
    assert read is not None
    assert read.actor == client.user  # type: ignore[attr-defined]
    assert read.after == {"page": "evidence", "attachment": str(attachment.pk)}


def test_a_case_without_files_says_so(client_for: Callable[..., Client]) -> None:
    case = make_case(State.AWAITING_RG)
    page = client_for(case.built_by.decision_maker).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert "The first responder did not add any files." in page.content.decode()


def test_no_one_else_can_read_the_files(client_for: Callable[..., Client]) -> None:
    case = make_case(State.AWAITING_RG)
    attachment = attach(case)
    other_case = make_case(State.AWAITING_RG)
    before = AuditEvent.objects.filter(action="case.viewed", after__page="evidence").count()
    for role, organisation in ((Role.CASEWORKER, "ieca"), (Role.FIRST_RESPONDER, "salvation-army"),
                               (Role.SUPPORT_PROVIDER, "vcc-salvation-army"), (Role.ANALYST, None),
                               (Role.PANEL_MEMBER, None)):
        client = client_for(role, organisation)
        assert client.get(_url(case, attachment)).status_code == 404, role
    insider = client_for(case.built_by.decision_maker)
    # The file of one case is not reachable through another case's address, nor with a bad id.
    assert client_for(other_case.built_by.first_responder).get(
        reverse("cases:evidence", kwargs={"case_id": other_case.pk, "attachment_id": attachment.pk})).status_code == 404
    assert insider.post(_url(case, attachment)).status_code == 405
    assert AuditEvent.objects.filter(action="case.viewed", after__page="evidence").count() == before
    assert Client().get(_url(case, attachment)).status_code == 302  # signed out: to sign in
