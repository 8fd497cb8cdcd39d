from __future__ import annotations

from datetime import date

import pytest

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.reviews.tests import builders
from nrm.support.models import SupportReferral


@pytest.fixture
def caseworkers(db: None) -> list[User]:
    return [builders.user(Role.CASEWORKER, "sca") for _ in range(2)]


@pytest.fixture
def provider(db: None) -> User:
    return builders.user(Role.SUPPORT_PROVIDER, "vcc-salvation-army")


@pytest.fixture
def awaiting_rg(db: None) -> Case:
    return builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG)


@pytest.fixture
def referred(awaiting_rg: Case, caseworkers: list[User]) -> SupportReferral:
    """A positive RG on 10 January 2024: the person is referred for support."""
    builders.positive_rg(awaiting_rg, caseworkers[0], decided_on=date(2024, 1, 10))
    return SupportReferral.objects.get(case=awaiting_rg)
