"""Reconsideration from the support pages: the person's support provider (and children's services
for a child) may ask for a served negative decision to be reconsidered, as the capability table
says (REQUEST_RECONSIDERATION) and ``actions_for`` offers; nobody else's provider may."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from nrm.accounts.capabilities import CAPABILITIES, Capability, roles_with
from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, ReconsiderationRequest
from nrm.reviews.tests import builders
from nrm.support.models import SupportReferral


def _negative_cg_served(referral: SupportReferral) -> None:
    Case.objects.filter(pk=referral.case_id).update(state=State.NEGATIVE_CG)


def test_only_first_responders_and_support_providers_may_ask() -> None:
    assert roles_with(Capability.REQUEST_RECONSIDERATION) == {
        Role.FIRST_RESPONDER, Role.SUPPORT_PROVIDER, Role.CHILDRENS_SERVICES}
    assert Capability.REQUEST_RECONSIDERATION not in CAPABILITIES[Role.CASEWORKER]


def test_the_provider_asks_from_the_persons_page(referred: SupportReferral, provider: User,
                                                 client_for: Callable[..., Client]) -> None:
    client = client_for(provider)
    person = reverse("support:person", kwargs={"referral_id": referred.pk})
    url = reverse("support:reconsideration", kwargs={"referral_id": referred.pk})
    assert url not in client.get(person).content.decode(), "no negative decision yet"
    assert client.get(url)["Location"] == person

    _negative_cg_served(referred)
    assert url in client.get(person).content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"grounds": "  "})
    assert response.status_code == 400
    assert "Enter why the decision should be reconsidered" in response.content.decode()
    response = client.post(url, {"grounds": "A medical report on her recovery needs."})
    assert response["Location"] == person
    request = ReconsiderationRequest.objects.get(case=referred.case)
    assert request.requested_by == provider
    assert request.requested_by_organisation == referred.provider
    assert request.stage == "CG"
    referred.case.refresh_from_db()
    assert referred.case.state == State.CG_RECONSIDERATION
    assert url not in client.get(person).content.decode(), "asked once; the case is being reconsidered"


def test_another_provider_cannot_ask(referred: SupportReferral, client_for: Callable[..., Client]) -> None:
    _negative_cg_served(referred)
    other = client_for(builders.user(Role.SUPPORT_PROVIDER, "support-tara"))
    url = reverse("support:reconsideration", kwargs={"referral_id": referred.pk})
    assert other.get(url).status_code == 404
    assert other.post(url, {"grounds": "x"}).status_code == 404
    assert not ReconsiderationRequest.objects.filter(case=referred.case).exists()
    # A caseworker does not hold the capability: the page is not there for them.
    assert client_for(Role.CASEWORKER, "sca").get(url).status_code == 404
