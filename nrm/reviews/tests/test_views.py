"""Pages: who reaches what (404 otherwise), the declaration before the papers, audited reads."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.reviews.models import ConflictDeclaration, Review, ReviewOutcome, SeatRole
from nrm.reviews.tests import builders


@pytest.fixture
def review(case_2021: Case, caseworkers: list[User], pool: dict[str, list[User]]) -> Review:
    return Review.objects.get(decision=builders.negative_cg(case_2021, caseworkers[0], decided_on=date(2021, 6, 1)))


def _seat_user(review: Review, role: SeatRole) -> User:
    return review.seats.filter(role=role, stood_down_at__isnull=True).first().user  # type: ignore[union-attr]


def _url(name: str, review: Review) -> str:
    return reverse(name, kwargs={"review_id": review.pk})


def test_a_panel_member_gets_404_on_reviews_not_assigned_to_their_panel(
        review: Review, client_for: Callable[..., Client]) -> None:
    outsider = builders.user(Role.PANEL_MEMBER, "maap")
    client = client_for(outsider)
    assert client.get(reverse("reviews:panel_list")).status_code == 200
    for name in ("reviews:panel_review", "reviews:panel_papers", "reviews:panel_outcome"):
        assert client.get(_url(name, review)).status_code == 404
    assert client.post(_url("reviews:panel_review", review), {"conflict": "no"}).status_code == 404
    assert client.get(reverse("reviews:panel_review", kwargs={"review_id": uuid.uuid4()})).status_code == 404


def test_other_roles_get_404_on_panel_pages(review: Review, client_for: Callable[..., Client]) -> None:
    for role, organisation in ((Role.CASEWORKER, "sca"), (Role.SENIOR_DECISION_MAKER, "sca"),
                               (Role.SUPPORT_PROVIDER, "vcc-salvation-army"), (Role.FIRST_RESPONDER, None)):
        client = client_for(role, organisation)
        assert client.get(reverse("reviews:panel_list")).status_code == 404
        assert client.get(_url("reviews:panel_review", review)).status_code == 404


def test_a_member_declares_before_reading_the_papers_and_every_read_is_audited(
        review: Review, client_for: Callable[..., Client]) -> None:
    member = _seat_user(review, SeatRole.MEMBER)
    client = client_for(member)
    listing = client.get(reverse("reviews:panel_list")).content.decode()
    assert review.case.reference in listing
    assert "Declare conflicts" in listing
    assert client.get(_url("reviews:panel_papers", review)).status_code == 302
    page = client.get(_url("reviews:panel_review", review)).content.decode()
    assert "Do you have a conflict of interest with this case?" in page
    response = client.post(_url("reviews:panel_review", review), {"conflict": "yes", "details": ""})
    assert response.status_code == 400
    assert "Describe the conflict of interest" in response.content.decode()
    assert client.post(_url("reviews:panel_review", review), {"conflict": "no"}).status_code == 302
    papers = client.get(_url("reviews:panel_papers", review))
    assert papers.status_code == 200
    text = papers.content.decode()
    assert "Decision under review" in text
    assert "The account is not consistent with exploitation." in text
    assert "Requests for further information" in text
    assert "First responder" in text
    assert "Your details" not in text
    assert AuditEvent.objects.filter(action="review.papers_viewed", actor=member, case_id=review.case_id).exists()


def test_a_conflicted_member_is_stood_down_and_loses_access(review: Review,
                                                           client_for: Callable[..., Client]) -> None:
    member = _seat_user(review, SeatRole.MEMBER)
    client = client_for(member)
    response = client.post(_url("reviews:panel_review", review),
                           {"conflict": "yes", "details": "I know the person."})
    assert response.status_code == 302
    assert review.seats.get(user=member).declaration == ConflictDeclaration.CONFLICTED
    assert client.get(_url("reviews:panel_review", review)).status_code == 404


def test_the_chair_records_the_outcome_and_members_cannot(review: Review,
                                                         client_for: Callable[..., Client]) -> None:
    chair = _seat_user(review, SeatRole.CHAIR)
    for seat in review.seats.all():
        client_for(seat.user).post(_url("reviews:panel_review", review), {"conflict": "no"})
    member_client = client_for(_seat_user(review, SeatRole.MEMBER))
    assert member_client.get(_url("reviews:panel_outcome", review)).status_code == 404
    chair_client = client_for(chair)
    response = chair_client.post(_url("reviews:panel_outcome", review), {"outcome": "disagree", "rationale": ""})
    assert response.status_code == 400
    assert "Enter the panel" in response.content.decode()
    response = chair_client.post(_url("reviews:panel_outcome", review),
                                 {"outcome": "disagree", "rationale": "The trauma was not weighed."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.outcome == ReviewOutcome.DISAGREE
    assert Case.objects.get(pk=review.case_id).state == State.CG_REFERRED_BACK
    page = chair_client.get(_url("reviews:panel_review", review)).content.decode()
    assert "The trauma was not weighed." in page


def test_dashboard_is_for_chairs_and_seniors(review: Review, client_for: Callable[..., Client]) -> None:
    assert client_for(Role.PANEL_CHAIR).get(reverse("reviews:dashboard")).status_code == 200
    page = client_for(Role.SENIOR_DECISION_MAKER, "sca").get(reverse("reviews:dashboard"))
    assert page.status_code == 200
    assert "April to June 2021" in page.content.decode()
    assert client_for(Role.PANEL_MEMBER).get(reverse("reviews:dashboard")).status_code == 404
    assert client_for(Role.CASEWORKER, "sca").get(reverse("reviews:dashboard")).status_code == 404


def test_second_line_pages_are_for_seniors_of_the_authority(case_2024: Case, caseworkers: list[User],
                                                           client_for: Callable[..., Client]) -> None:
    review = Review.objects.get(decision=builders.negative_cg(case_2024, caseworkers[0], decided_on=date(2024, 3, 5)))
    url = reverse("reviews:second_line_review", kwargs={"review_id": review.pk})
    for role, organisation in ((Role.SENIOR_DECISION_MAKER, "ieca"), (Role.CASEWORKER, "sca"),
                               (Role.PANEL_CHAIR, "maap")):
        client = client_for(role, organisation)
        assert client.get(url).status_code == 404
        listing = client.get(reverse("reviews:second_line_list"))
        if role == Role.SENIOR_DECISION_MAKER:  # the IECA's own (empty) list, never the SCA's cases
            assert case_2024.reference not in listing.content.decode()
        else:
            assert listing.status_code == 404
    senior = client_for(Role.SENIOR_DECISION_MAKER, "sca")
    assert case_2024.reference in senior.get(reverse("reviews:second_line_list")).content.decode()
    assert senior.get(url).status_code == 200
    response = senior.post(url, {"outcome": "return", "rationale": ""})
    assert response.status_code == 400
    assert "Enter the reasons for returning the decision" in response.content.decode()
    assert senior.post(url, {"outcome": "agree", "rationale": "Sound."}).status_code == 302
    assert Case.objects.get(pk=case_2024.pk).state == State.NEGATIVE_CG
