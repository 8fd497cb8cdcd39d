"""An adult decides whether the police get their details with the crime referral; a child's
always go. The crime unit reads only what that consent allows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.notify.models import OutboxMessage
from nrm.referrals import journey
from nrm.referrals.choices import options_on
from nrm.referrals.models import Referral
from nrm.referrals.services import referral_submit
from nrm.referrals.tests.answer_sets import ADULT, CHILD, DUTY_TO_NOTIFY
from nrm.testing import sign_in

pytestmark = pytest.mark.django_db
IDENTIFYING = ("Tomasz", "Nowak", "1980", "car wash", "Only through her social worker")


def test_the_question_is_asked_of_a_consenting_adult_only() -> None:
    def path(answers: dict[str, object]) -> list[str]:
        return [step.slug for step in journey.journey_path(answers)]

    assert "police-consent" in path(ADULT)
    assert "police-consent" not in path(CHILD), "no consent is needed for a child"
    assert "police-consent" not in path(DUTY_TO_NOTIFY), "an anonymous report goes to no police force"
    missing = {k: v for k, v in ADULT.items() if k != "police_consent"}
    assert [p.step for p in journey.journey_errors(missing, options_on())] == ["police-consent"]


def _crime_unit_page(referral: Referral, make_user: Callable[..., User]) -> str:
    message = OutboxMessage.objects.get(kind="crime_referral", about_id=str(referral.pk))
    assert message.recipient_organisation is not None
    crime_unit = make_user(Role.PARTNER_RECIPIENT, organisation=message.recipient_organisation)
    response = sign_in(Client(), crime_unit).get(reverse("inbox:message", kwargs={"message_id": message.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_without_consent_the_crime_unit_reads_the_crime_but_not_who(
        first_responder: User, make_user: Callable[..., User], make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult", police_consent="no")
    referral_submit(referral=referral, actor=first_responder)
    referral.refresh_from_db()
    page = _crime_unit_page(referral, make_user)
    assert "did not agree to the police being given their details" in page
    assert "Labour" in page, "the crime is still reported"
    assert str(referral.reference) in page, "the crime is still reported"
    assert not [text for text in IDENTIFYING if text in page]


@pytest.mark.parametrize(("kind", "name"), [("adult", "Tomasz Nowak"), ("child", "Ana Popescu")])
def test_with_consent_or_for_a_child_the_crime_unit_reads_the_whole_referral(
        kind: str, name: str, first_responder: User, make_user: Callable[..., User],
        make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, kind)
    referral_submit(referral=referral, actor=first_responder)
    page = _crime_unit_page(referral, make_user)
    assert name in page
    assert "did not agree" not in page
