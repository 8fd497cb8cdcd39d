"""The test builders make cases the way the service does."""

from datetime import date

import pytest

from nrm.cases.lifecycle import State
from nrm.core import rules
from nrm.reviews.tests import builders

pytestmark = pytest.mark.django_db


def test_a_built_case_has_the_rg_target_intake_gives() -> None:
    # Five working days of the case's nation (Christmas, Boxing Day, 1 and 2 January in Scotland),
    # not seven calendar days.
    case = builders.build_case(received_on=date(2023, 12, 22), state=State.AWAITING_RG, nation="scotland")
    assert case.rg_target_date == date(2024, 1, 4)


def test_a_built_positive_rg_records_the_policy_the_service_records() -> None:
    case = builders.build_case(received_on=date(2023, 1, 25), state=State.POSITIVE_RG, rg_date=date(2023, 1, 30))
    assert case.recovery_period_days == 30
    decision = case.decisions.get()
    assert decision.policy["recovery_period_days"] == 30
    assert decision.policy["rg_guidance_version"] == rules.rg_guidance_version(on=date(2023, 1, 30))
