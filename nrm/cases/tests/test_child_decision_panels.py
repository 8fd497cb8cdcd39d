"""Devolved children's decision panels (ADR 0028): a child's case in a pilot area, referred on or
after the area joined, is decided by that area's panel, through the same services, lifecycle table
and letters as the competent authority's cases; the competent authority's staff do not see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.cases import selectors
from nrm.cases.intake import case_open
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, DecisionLetter, Outcome
from nrm.cases.tests.factories import make_referral, make_staff, rg_decide
from nrm.core.errors import AccessDenied
from nrm.reference.models import LocalAuthority
from nrm.reviews.selectors import second_line_reviews_for

pytestmark = pytest.mark.django_db

HULL = "E06000010"
PILOT_START = date(2021, 6, 14)


def child_case(*, lives_in: str = HULL, received_on: date | None = None, dob: dict[str, str] | None = None,
               is_child: bool = True, under_18_now: str = "yes") -> Case:
    day = received_on or timezone.localdate() - timedelta(days=3)
    referral = make_referral(is_child=is_child, submitted_on=day, answers={
        "under_18_now": under_18_now, "age_at_exploitation": "child",
        "dob": dob or {"day": "1", "month": "1", "year": str(day.year - 12)},
    })
    referral.safeguarding_local_authority = LocalAuthority.objects.get(code=lives_in)
    referral.save(update_fields=["safeguarding_local_authority"])
    return case_open(referral=referral, actor=referral.author)


@pytest.mark.parametrize(("received_on", "panel"), [
    (PILOT_START - timedelta(days=1), None),
    (PILOT_START, "child-panel-hull"),
])
def test_a_childs_case_goes_to_the_panel_from_the_day_the_area_joined(received_on: date, panel: str | None) -> None:
    case = child_case(received_on=received_on)
    assert (case.decision_panel.slug if case.decision_panel else None) == panel
    assert case.competent_authority == "SCA"
    assert case.state == State.AWAITING_RG


def test_adults_children_elsewhere_and_children_close_to_18_stay_with_the_competent_authority() -> None:
    assert child_case(is_child=False, under_18_now="no").decision_panel is None
    assert child_case(lives_in="E06000001").decision_panel is None  # Hartlepool: not a pilot site
    today = timezone.localdate()
    nearly_18 = today - timedelta(days=3) + timedelta(days=50)
    dob = {"day": str(nearly_18.day), "month": str(nearly_18.month), "year": str(nearly_18.year - 18)}
    assert child_case(dob=dob).decision_panel is None


def test_the_panel_decides_and_the_competent_authority_cannot(client_for: Callable[..., Client]) -> None:
    case = child_case()
    panel_member = make_staff(Role.CASEWORKER, "child-panel-hull")
    sca_caseworker = make_staff(Role.CASEWORKER, "sca")
    other_panel = make_staff(Role.CASEWORKER, "child-panel-barking-dagenham")

    assert selectors.cases_visible_to(panel_member).filter(pk=case.pk).exists()
    assert not selectors.cases_visible_to(sca_caseworker).filter(pk=case.pk).exists()
    assert not selectors.cases_visible_to(other_panel).filter(pk=case.pk).exists()
    queue = selectors.case_queue(panel_member, selectors.QueueFilters.from_query({}))
    assert [r.case.pk for r in queue.rows] == [case.pk]
    assert queue.decision_panels == ("Hull child decision-making panel",)
    sca_queue = selectors.case_queue(sca_caseworker, selectors.QueueFilters.from_query({}))
    assert case.pk not in [r.case.pk for r in sca_queue.rows]

    with pytest.raises(AccessDenied, match="Hull child decision-making panel"):
        rg_decide(case, sca_caseworker, Outcome.POSITIVE)
    decision = rg_decide(case, panel_member, Outcome.POSITIVE)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    letter = DecisionLetter.objects.filter(decision=decision).first()
    assert letter is not None
    assert "the Hull child decision-making panel decided" in letter.html

    page = client_for(panel_member).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert page.status_code == 200
    assert "Hull child decision-making panel" in page.content.decode()
    assert client_for(sca_caseworker).get(reverse("cases:detail", kwargs={"case_id": case.pk})).status_code == 404


def test_a_negative_panel_decision_is_reviewed_by_the_panels_senior() -> None:
    case = child_case()
    panel_member = make_staff(Role.CASEWORKER, "child-panel-hull")
    panel_senior = make_staff(Role.SENIOR_DECISION_MAKER, "child-panel-hull")
    sca_senior = make_staff(Role.SENIOR_DECISION_MAKER, "sca")
    rg_decide(case, panel_member, Outcome.NEGATIVE)
    case.refresh_from_db()
    assert case.state == State.RG_UNDER_REVIEW
    assert second_line_reviews_for(panel_senior).filter(case=case).exists()
    assert not second_line_reviews_for(sca_senior).filter(case=case).exists()


def test_the_panels_senior_allocates_within_the_panel(client_for: Callable[..., Client]) -> None:
    from nrm.cases.services import case_allocate
    from nrm.core.errors import ServiceError

    case = child_case()
    senior = make_staff(Role.SENIOR_DECISION_MAKER, "child-panel-hull")
    member = make_staff(Role.CASEWORKER, "child-panel-hull")
    sca_caseworker = make_staff(Role.CASEWORKER, "sca")
    assert member in selectors.caseworkers_for(senior)
    assert sca_caseworker not in selectors.caseworkers_for(senior)
    with pytest.raises(ServiceError):
        case_allocate(cases=[case], caseworker=sca_caseworker, allocated_by=senior)
    assert case_allocate(cases=[case], caseworker=member, allocated_by=senior) == 1
    queue = client_for(senior).get(reverse("cases:queue"))
    assert queue.status_code == 200
    assert case.reference in queue.content.decode()


def test_a_panels_case_is_due_45_days_after_the_referral_and_shown_so(client_for: Callable[..., Client]) -> None:
    received = timezone.localdate() - timedelta(days=10)
    case = child_case(received_on=received)
    adult = child_case(received_on=received, lives_in="E06000001")  # not a pilot site: the SCA decides
    assert case.rg_target_date == received + timedelta(days=45)
    assert adult.rg_target_date != received + timedelta(days=45)
    page = client_for(make_staff(Role.CASEWORKER, "child-panel-hull")).get(
        reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "(45 days)" in page
    assert "35 days left" in page
    target = selectors.case_rg_target(case, [])
    assert (target.unit, target.days_left) == ("days", 35)
