"""Cases the statistics tests share: one in each of the states the extract treats differently."""

from __future__ import annotations

from typing import Any

import pytest

from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case


@pytest.fixture
def cases() -> list[Any]:
    return [
        make_case(State.AWAITING_RG),
        make_case(State.POSITIVE_RG, is_child=True),
        make_case(State.POSITIVE_CG, competent_authority="IECA"),
        make_case(State.NEGATIVE_RG),
        make_case(State.WITHDRAWN),
    ]
