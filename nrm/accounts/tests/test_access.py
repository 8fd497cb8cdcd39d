"""Who administers which organisation (nrm.accounts.access)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from nrm.accounts.access import administers_service, may_administer, organisations_administered
from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db


def _allow_administrator(slug: str) -> Organisation:
    org = Organisation.objects.get(slug=slug)
    org.roles = f"{org.roles};administrator"
    org.save(update_fields=["roles"])
    return org


def test_the_service_teams_administrator_administers_every_organisation(make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    assert administers_service(admin)
    assert organisations_administered(admin).count() == Organisation.objects.count()
    assert may_administer(admin, Organisation.objects.get(slug="police-e23000001"))


def test_an_organisations_administrator_administers_that_organisation_only(make_user: Callable[..., User]) -> None:
    own = _allow_administrator("police-e23000001")
    _allow_administrator("police-e23000002")
    admin = make_user(Role.ADMINISTRATOR, organisation=own)
    assert not administers_service(admin)
    assert list(organisations_administered(admin)) == [own]
    assert may_administer(admin, own)
    assert not may_administer(admin, Organisation.objects.get(slug="police-e23000002"))
    assert not may_administer(admin, Organisation.objects.get(slug="service-team"))


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMINISTRATOR])
def test_no_other_role_administers_anything(role: Role, make_user: Callable[..., User]) -> None:
    user = make_user(role)
    org = user.active_memberships()[0].organisation
    assert not administers_service(user)
    assert not organisations_administered(user).exists()
    assert not may_administer(user, org)


def test_signed_out_and_inactive_administer_nothing(make_user: Callable[..., User]) -> None:
    org = Organisation.objects.get(slug="service-team")
    assert not may_administer(AnonymousUser(), org)
    leaver = make_user(Role.ADMINISTRATOR, is_active=False)
    assert not organisations_administered(leaver).exists()
    assert not may_administer(leaver, None)
