"""Answers that cannot be stored (a NUL character) and impossible dates: a message on the field,
what was typed kept on the page, nothing saved, and never a server error (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.test import Client

from nrm.accounts.models import User
from nrm.referrals.models import Referral
from nrm.testing import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(first_responder: User) -> Client:
    return sign_in(Client(), first_responder)


@pytest.fixture
def draft(client: Client) -> Referral:
    client.post("/referrals/start")
    return Referral.objects.latest("created_at")


@pytest.mark.parametrize("action", ["continue", "save"])
def test_a_nul_character_in_an_answer_is_refused_on_its_field_and_nothing_is_saved(
        client: Client, draft: Referral, action: str) -> None:
    before = dict(draft.answers)
    response = client.post(f"/referrals/{draft.pk}/first-responder", {
        "action": action, "fr_name": "Priya\x00Shah", "fr_job_title": "Detective <b>Constable</b>"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'href="#fr_name"' in body
    assert "Full name must not include hidden characters" in body
    assert 'value="Priya\ufffdShah"' in body, "what was typed is shown again"
    assert 'value="Detective &lt;b&gt;Constable&lt;/b&gt;"' in body
    draft.refresh_from_db()
    assert draft.answers == before


def test_autosave_of_an_unsafe_answer_saves_nothing(client: Client, draft: Referral) -> None:
    response = client.post(f"/referrals/{draft.pk}/account", {"action": "autosave", "account": "a\x00"})
    draft.refresh_from_db()
    assert response.status_code == 400
    assert "account" not in draft.answers


@pytest.mark.parametrize("action", ["continue", "save"])
def test_an_impossible_year_on_the_date_of_birth_is_an_error_not_a_crash(
        client: Client, draft: Referral, action: str) -> None:
    draft.answers = {"age_at_exploitation": "child", "under_18_now": "yes"}
    draft.save()
    response = client.post(f"/referrals/{draft.pk}/person-birth", {
        "action": action, "dob-day": "1", "dob-month": "1", "dob-year": "99999999999"})
    assert response.status_code in {302, 400}
    page = client.get(f"/referrals/{draft.pk}/person-birth").content.decode()
    assert "99999999999" in page
    check = client.get(f"/referrals/{draft.pk}/check")
    assert check.status_code == 200
    assert "Date of birth year must include 4 numbers" in check.content.decode()


def test_the_evidence_description_is_checked_too(client: Client, draft: Referral) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft.answers = {"age_at_exploitation": "child", "under_18_now": "yes"}
    draft.save()
    upload = SimpleUploadedFile("note.txt", b"a note", content_type="text/plain")
    response = client.post(f"/referrals/{draft.pk}/evidence", {
        "action": "upload", "evidence_file": upload, "evidence_description": "x\x00"})
    assert response.status_code == 400
    assert "description of the file must not include" in response.content.decode()
    assert not draft.attachments.exists()
