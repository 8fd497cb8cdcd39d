from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.cases.tests.factories import make_case
from nrm.reviews.tests import builders


@pytest.fixture
def caseworkers(db: None) -> list[User]:
    return [builders.user(Role.CASEWORKER, "sca") for _ in range(2)]


@pytest.fixture
def pool(db: None) -> dict[str, list[User]]:
    return builders.panel_pool()


@pytest.fixture
def case_2021(db: None) -> Case:
    """An adult SCA case whose recovery period ran in 2021: ready for a conclusive grounds decision."""
    return make_case(State.AWAITING_CG, received_on=date(2021, 1, 11), rg_decided_on=date(2021, 1, 15))


@pytest.fixture
def case_2024(db: None) -> Case:
    return make_case(State.AWAITING_CG, received_on=date(2024, 1, 8), rg_decided_on=date(2024, 1, 12))


@pytest.fixture
def build() -> Any:
    return builders
