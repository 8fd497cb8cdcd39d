"""Support pages: providers reach only the people referred to them (404 otherwise)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.reviews.tests import builders
from nrm.support.models import SupportEpisode, SupportReferral, SupportReferralStatus


def _url(name: str, referral: SupportReferral, **kwargs: object) -> str:
    return reverse(name, kwargs={"referral_id": referral.pk, **kwargs})


def test_a_provider_gets_404_on_people_not_referred_to_it(referred: SupportReferral,
                                                          client_for: Callable[..., Client]) -> None:
    other = client_for(builders.user(Role.SUPPORT_PROVIDER, "support-tara"))
    assert referred.case.reference not in other.get(reverse("support:list")).content.decode()
    for name in ("support:person", "support:episode_new", "support:assessment_new", "support:end"):
        assert other.get(_url(name, referred)).status_code == 404
    assert other.post(_url("support:respond", referred), {"response": "accept"}).status_code == 404
    assert other.get(reverse("support:person", kwargs={"referral_id": uuid.uuid4()})).status_code == 404
    referred.refresh_from_db()
    assert referred.status == SupportReferralStatus.OFFERED


def test_other_roles_get_404(referred: SupportReferral, client_for: Callable[..., Client]) -> None:
    for role, organisation in ((Role.CASEWORKER, "sca"), (Role.PANEL_MEMBER, "maap"), (Role.FIRST_RESPONDER, None)):
        client = client_for(role, organisation)
        assert client.get(reverse("support:list")).status_code == 404
        assert client.get(_url("support:person", referred)).status_code == 404


def test_the_provider_accepts_records_support_and_sees_no_decision_reasoning(
        referred: SupportReferral, provider: User, client_for: Callable[..., Client]) -> None:
    client = client_for(provider)
    listing = client.get(reverse("support:list")).content.decode()
    assert "Maria Example" in listing
    assert "1 new referral to accept or decline" in listing
    page = client.get(_url("support:person", referred)).content.decode()
    assert "Romanian" in page
    assert "First responder" in page
    assert "Your details" not in page
    assert "false job offer" not in page  # not shared
    assert "Indicators of exploitation." not in page  # the RG rationale
    assert "has not shared the account of exploitation" in page
    assert AuditEvent.objects.filter(action="support.person_viewed", actor=provider).exists()

    response = client.post(_url("support:respond", referred), {"response": "decline", "reason": ""})
    assert response.status_code == 400
    assert "Enter the reason" in response.content.decode()
    assert client.post(_url("support:respond", referred), {"response": "accept"}).status_code == 302

    today = timezone.localdate()
    response = client.post(_url("support:episode_new", referred), {
        "kind": "counselling", "start_date-day": "31", "start_date-month": "2", "start_date-year": "2024"})
    assert response.status_code == 400
    assert "must be a real date" in response.content.decode()
    response = client.post(_url("support:episode_new", referred), {
        "kind": "counselling", "start_date-day": str(today.day), "start_date-month": str(today.month),
        "start_date-year": str(today.year)})
    assert response.status_code == 302
    episode = SupportEpisode.objects.get(referral=referred)
    assert episode.kind == "counselling"
    assert episode.start_date == today
    response = client.post(_url("support:episode_end", referred, episode_id=episode.pk), {
        "end_date-day": str(today.day), "end_date-month": str(today.month), "end_date-year": str(today.year)})
    assert response.status_code == 302

    response = client.post(_url("support:end", referred), {
        "ended_on-day": str(today.day), "ended_on-month": str(today.month), "ended_on-year": str(today.year),
        "reason": "needs_met"})
    assert response.status_code == 400
    assert "You cannot end support yet" in response.content.decode()


def test_an_assessment_is_recorded_from_its_page(referred: SupportReferral, provider: User,
                                                 client_for: Callable[..., Client]) -> None:
    client = client_for(provider)
    client.post(_url("support:respond", referred), {"response": "accept"})
    today = timezone.localdate()
    response = client.post(_url("support:assessment_new", referred), {
        "assessed_on-day": str(today.day), "assessed_on-month": str(today.month),
        "assessed_on-year": str(today.year), "outcome": "ongoing_needs"})
    assert response.status_code == 400
    assert "Enter the date support is needed until" in response.content.decode()
    response = client.post(_url("support:assessment_new", referred), {
        "assessed_on-day": str(today.day), "assessed_on-month": str(today.month),
        "assessed_on-year": str(today.year), "outcome": "ongoing_needs",
        "support_needed_until-day": "1", "support_needed_until-month": "1",
        "support_needed_until-year": str(today.year + 1)})
    assert response.status_code == 302
    assert referred.assessments.get().support_needed_until == date(today.year + 1, 1, 1)
