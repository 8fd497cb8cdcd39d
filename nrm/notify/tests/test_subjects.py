"""No message subject carries a decision's outcome: the outbox refuses one, so every sender is held
to it (a shared mailbox, a lock screen or a mail log shows subjects)."""

from __future__ import annotations

import pytest

from nrm.notify.services import outbox_add, subject_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("subject", ["Reasonable grounds decision: positive - NRM-2024-ABC234",
                                     "Negative conclusive grounds decision: case NRM-2024-ABC234",
                                     "Disqualification decision - NRM-2024-ABC234"])
def test_a_subject_with_an_outcome_is_refused(subject: str) -> None:
    assert subject_problem(subject)
    with pytest.raises(ValueError, match="outcome"):
        outbox_add(kind="decision_letter", subject=subject, body="x", recipient_email="rep@example.org")


@pytest.mark.parametrize("subject", ["Case NRM-2024-ABC234: a decision letter is ready",
                                     "Conclusive grounds decision served: case NRM-2024-ABC234",
                                     "Crime referral: NRM referral NRM-2024-ABC234"])
def test_a_subject_that_says_what_a_message_is_about_is_accepted(subject: str) -> None:
    assert subject_problem(subject) is None
