"""The capability table: every role is in it, nothing is granted that it does not list."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from nrm.accounts.capabilities import CAPABILITIES, Capability, capabilities_of, may, organisations_with, roles_with
from nrm.accounts.models import User
from nrm.accounts.roles import Role

CASE_CONTENT = {Capability.REFER, Capability.CONTRIBUTE, Capability.FOLLOW_REFERRALS, Capability.WORK_CASES,
                Capability.SUPERVISE_CASES, Capability.REVIEW_ON_PANEL, Capability.CHAIR_PANEL,
                Capability.PROVIDE_SUPPORT, Capability.RECEIVE_PARTNER_MESSAGES}


def test_every_role_has_an_entry_and_every_capability_a_role() -> None:
    assert set(CAPABILITIES) == set(Role)
    assert {c for granted in CAPABILITIES.values() for c in granted} == set(Capability)


def test_administrators_and_analysts_never_read_case_content() -> None:
    assert not CAPABILITIES[Role.ADMINISTRATOR] & CASE_CONTENT
    assert not CAPABILITIES[Role.ANALYST] & CASE_CONTENT


def test_decision_makers_are_the_roles_that_work_cases() -> None:
    assert roles_with(Capability.WORK_CASES) == {Role.CASEWORKER, Role.SENIOR_DECISION_MAKER}


def test_a_signed_out_visitor_may_do_nothing() -> None:
    assert capabilities_of(AnonymousUser()) == frozenset()
    assert organisations_with(AnonymousUser(), *Capability) == []


@pytest.mark.django_db
def test_capabilities_are_held_in_the_organisation_of_the_membership(make_user: Callable[..., User]) -> None:
    user = make_user(Role.SUPPORT_PROVIDER, organisation="vcc-salvation-army")
    assert may(user, Capability.PROVIDE_SUPPORT)
    assert not may(user, Capability.WORK_CASES)
    assert [o.slug for o in organisations_with(user, Capability.PROVIDE_SUPPORT)] == ["vcc-salvation-army"]
    assert organisations_with(user, Capability.WORK_CASES) == []
    inactive = make_user(Role.CASEWORKER, organisation="sca", is_active=False)
    assert capabilities_of(inactive) == frozenset()
