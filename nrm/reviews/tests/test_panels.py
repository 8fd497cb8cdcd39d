"""Multi-Agency Assurance Panels: routing, make-up, conflicts, outcome, and what follows."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.analytics import extract_schema as xs
from nrm.audit.models import AuditEvent
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, DecisionStatus
from nrm.core import hooks
from nrm.core.errors import AccessDenied, GuardFailed, ServiceError
from nrm.core.workdays import add_working_days
from nrm.notify.models import OutboxMessage
from nrm.reviews import selectors, services
from nrm.reviews.models import ConflictDeclaration, PanelSeat, Review, ReviewKind, ReviewOutcome, ReviewStatus, SeatRole
from nrm.reviews.tests import builders

DECIDED = date(2021, 6, 1)


def _declare_all(review: Review, *, except_users: tuple[User, ...] = ()) -> None:
    for seat in review.seats.filter(stood_down_at__isnull=True).select_related("user"):
        if seat.user not in except_users and not seat.declaration:
            services.panel_declare(review=review, user=seat.user, conflicted=False, today=DECIDED)


def _chair(review: Review) -> User:
    return review.seats.get(role=SeatRole.CHAIR, stood_down_at__isnull=True).user


@pytest.fixture
def review(case_2021: Case, caseworkers: list[User], pool: dict[str, list[User]]) -> Review:
    decision = builders.negative_cg(case_2021, caseworkers[0], decided_on=DECIDED)
    return Review.objects.get(decision=decision)


def test_a_negative_cg_in_2021_goes_to_a_panel_and_is_not_served(review: Review) -> None:
    case = review.case
    case.refresh_from_db()
    assert review.kind == ReviewKind.PANEL
    assert review.status == ReviewStatus.OPEN
    assert case.state == State.CG_UNDER_REVIEW
    assert review.decision.status == DecisionStatus.PROPOSED
    assert review.decision.served_on is None
    assert review.referred_on == DECIDED
    assert review.target_date == add_working_days(DECIDED, 10, "england")
    assert review.policy == {"independent_review_mode": "panel", "panel_outcome_target_working_days": 10}


def test_the_panel_is_a_chair_and_two_members_from_different_organisations_and_sectors(review: Review) -> None:
    seats = list(review.seats.all())
    assert [s.role for s in seats].count(SeatRole.CHAIR) == 1
    assert [s.role for s in seats].count(SeatRole.MEMBER) == 2
    assert len({s.home_organisation_id for s in seats}) == 3
    assert len({s.sector for s in seats}) == 3
    messages = OutboxMessage.objects.filter(dedupe_key__startswith="panel-seat:")
    assert {m.recipient_email for m in messages} == {s.user.email for s in seats}
    assert all(review.case.reference in m.subject for m in messages)


def test_opening_the_review_is_idempotent(review: Review) -> None:
    again = services.review_open_for(review.decision)
    assert again.pk == review.pk
    hooks.negative_decision_proposed.emit(hooks.DecisionEvent(decision=review.decision, on=DECIDED))
    assert Review.objects.filter(decision=review.decision).count() == 1
    assert review.seats.count() == 3


def test_a_panel_waits_for_the_pool_and_is_convened_later(case_2021: Case, caseworkers: list[User]) -> None:
    decision = builders.negative_cg(case_2021, caseworkers[0], decided_on=DECIDED)
    review = Review.objects.get(decision=decision)
    assert review.status == ReviewStatus.AWAITING_PANEL
    assert review.seats.count() == 0
    builders.panel_pool()
    assert services.panels_convene_waiting(today=DECIDED) == 1
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_a_conflicted_member_is_stood_down_and_replaced(review: Review, pool: dict[str, list[User]]) -> None:
    member = review.seats.filter(role=SeatRole.MEMBER).first()
    assert member is not None
    seat = services.panel_declare(review=review, user=member.user, conflicted=True,
                                  details="I managed the first responder's team.", today=DECIDED)
    assert seat.declaration == ConflictDeclaration.CONFLICTED
    assert seat.stood_down_at is not None
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN  # a replacement was seated
    active = review.seats.filter(stood_down_at__isnull=True)
    assert active.count() == 3
    assert member.user not in [s.user for s in active]
    assert len({s.sector for s in active}) == 3
    # The stood-down member no longer sees the review.
    assert not selectors.panel_reviews_for(member.user).filter(pk=review.pk).exists()


def test_a_conflict_needs_a_description(review: Review) -> None:
    seat = review.seats.filter(role=SeatRole.MEMBER).first()
    assert seat is not None
    with pytest.raises(ServiceError) as error:
        services.panel_declare(review=review, user=seat.user, conflicted=True, details=" ", today=DECIDED)
    assert error.value.field == "details"


def test_the_chair_records_the_outcome_only_when_everyone_has_declared(review: Review) -> None:
    chair = _chair(review)
    services.panel_declare(review=review, user=chair, conflicted=False, today=DECIDED)
    with pytest.raises(GuardFailed, match="Still to declare"):
        services.review_conclude(review=review, reviewer=chair, agree=True, rationale="Sound decision.", today=DECIDED)
    member = review.seats.filter(role=SeatRole.MEMBER).first()
    assert member is not None
    _declare_all(review)
    with pytest.raises(AccessDenied):
        services.review_conclude(review=review, reviewer=member.user, agree=True, rationale="x", today=DECIDED)
    with pytest.raises(ServiceError) as error:
        services.review_conclude(review=review, reviewer=chair, agree=True, rationale=" ", today=DECIDED)
    assert error.value.field == "rationale"


def test_a_panel_that_agrees_lets_the_decision_be_served(review: Review) -> None:
    _declare_all(review)
    services.review_conclude(review=review, reviewer=_chair(review), agree=True,
                            rationale="The decision is reasonable on the evidence.", today=date(2021, 6, 10))
    review.refresh_from_db()
    case = Case.objects.get(pk=review.case_id)
    assert review.status == ReviewStatus.CONCLUDED
    assert review.outcome == ReviewOutcome.AGREE
    assert review.concluded_on == date(2021, 6, 10)
    assert case.state == State.NEGATIVE_CG
    decision = review.decision
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.SERVED
    assert AuditEvent.objects.filter(action="review.concluded", object_id=str(review.pk)).exists()


def test_a_panel_that_disagrees_sends_the_case_back_for_a_fresh_decision_by_someone_else(
        review: Review, caseworkers: list[User]) -> None:
    _declare_all(review)
    rationale = "The credibility findings do not take account of the trauma described."
    services.review_conclude(review=review, reviewer=_chair(review), agree=False, rationale=rationale,
                            today=date(2021, 6, 9))
    case = Case.objects.get(pk=review.case_id)
    decision = review.decision
    decision.refresh_from_db()
    assert case.state == State.CG_REFERRED_BACK
    assert decision.status == DecisionStatus.OVERTURNED
    assert decision.review_rationale == rationale  # the panel's rationale appears on the case
    assert [r.rationale for r in selectors.review_outcomes_for_case(case)] == [rationale]

    from nrm.cases.services import case_record_cg_decision

    with pytest.raises(GuardFailed, match="different decision maker"):
        case_record_cg_decision(case=case, decision_maker=caseworkers[0], outcome="positive", reasons=[],
                                rationale="Fresh", decided_on=date(2021, 6, 20))
    fresh = builders.negative_cg(case, caseworkers[1], decided_on=date(2021, 6, 21))
    second = Review.objects.get(decision=fresh)
    assert second.kind == ReviewKind.PANEL
    assert second.status == ReviewStatus.OPEN
    assert Review.objects.filter(case=case).count() == 2


def test_only_the_panel_can_conclude_a_panel_review(review: Review) -> None:
    _declare_all(review)
    senior = builders.user(Role.SENIOR_DECISION_MAKER, "sca")
    with pytest.raises(AccessDenied, match="Only the chair of this panel"):
        services.review_conclude(review=review, reviewer=senior, agree=True, rationale="Fine", today=DECIDED)
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert Case.objects.get(pk=review.case_id).state == State.CG_UNDER_REVIEW


def test_the_chair_of_an_overdue_panel_is_reminded_once(review: Review) -> None:
    assert review.target_date is not None
    assert services.panels_remind_overdue(today=review.target_date) == 0
    after = add_working_days(review.target_date, 1)
    assert services.panels_remind_overdue(today=after) == 1
    assert services.panels_remind_overdue(today=after) == 0
    reminder = OutboxMessage.objects.get(dedupe_key__startswith="panel-overdue:")
    assert reminder.recipient_email == _chair(review).email


def test_dashboard_counts_by_quarter(case_2021: Case, caseworkers: list[User], pool: dict[str, list[User]]) -> None:
    first = Review.objects.get(decision=builders.negative_cg(case_2021, caseworkers[0], decided_on=DECIDED))
    other = builders.build_case(received_on=date(2021, 1, 11), rg_date=date(2021, 1, 15))
    second = Review.objects.get(decision=builders.negative_cg(other, caseworkers[0], decided_on=date(2021, 6, 2)))
    for review, agree, day in ((first, True, date(2021, 6, 8)), (second, False, date(2021, 7, 1))):
        _declare_all(review)
        services.review_conclude(review=review, reviewer=_chair(review), agree=agree, rationale="Because.", today=day)
    third_case = builders.build_case(received_on=date(2021, 1, 11), rg_date=date(2021, 1, 15))
    builders.negative_cg(third_case, caseworkers[0], decided_on=date(2021, 7, 5))

    dashboard = selectors.panel_dashboard(today=date(2021, 8, 1))
    assert dashboard.open == 1
    assert dashboard.overdue == 1
    by_label = {q.label: q for q in dashboard.quarters}
    q2, q3 = by_label["April to June 2021"], by_label["July to September 2021"]
    assert (q2.referred, q2.concluded, q2.agreed, q2.agree_rate) == (2, 1, 1, 100.0)
    assert q2.median_working_days == 5
    assert q2.within_target_rate == 100.0
    assert (q3.referred, q3.concluded, q3.disagreed, q3.disagree_rate) == (1, 1, 1, 100.0)
    assert q3.within_target_rate == 0.0  # 1 July is more than 10 working days after 2 June
    assert sum(w.open_reviews for w in dashboard.workload) == 3


def test_reviews_extract_rows_fit_the_schema(review: Review) -> None:
    _declare_all(review)
    services.review_conclude(review=review, reviewer=_chair(review), agree=False, rationale="No.",
                            today=date(2021, 6, 9))
    rows = selectors.reviews_extract_rows()
    table = pa.Table.from_pylist(rows, schema=xs.REVIEWS)
    assert table.num_rows == 1
    assert rows[0] == {
        "referral_id": str(review.case.referral_id), "decision_stage": "CG",
        "review_kind": "Multi-Agency Assurance Panel", "referred_date": DECIDED,
        "outcome": "Disagree", "outcome_date": date(2021, 6, 9),
    }
    assert set(rows[0]["review_kind"] for _ in rows) <= set(xs.REVIEW_KINDS)
    # As of a date before the outcome, the review is still under review.
    (before,) = selectors.reviews_extract_rows(as_of=date(2021, 6, 5))
    assert before["outcome"] is None
    assert before["outcome_date"] is None
    assert selectors.reviews_extract_rows(as_of=date(2021, 5, 31)) == []


def test_seats_are_unique_per_person(review: Review) -> None:
    assert PanelSeat.objects.filter(review=review).values("user").distinct().count() == review.seats.count()


def test_a_conflicted_chair_is_replaced_when_another_chair_is_free(review: Review) -> None:
    chair = _chair(review)
    services.panel_declare(review=review, user=chair, conflicted=True, details="I know the person.", today=DECIDED)
    review.refresh_from_db()
    assert review.status == ReviewStatus.AWAITING_PANEL  # the pool has no other chair
    _declare_all(review)
    member = review.seats.filter(role=SeatRole.MEMBER).first()
    assert member is not None
    with pytest.raises(AccessDenied):
        services.review_conclude(review=review, reviewer=chair, agree=True, rationale="x", today=DECIDED)
    new_chair = builders.panel_pool(chairs=1, members=0)["chairs"][0]
    assert services.panels_convene_waiting(today=DECIDED) == 1
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert _chair(review) == new_chair
    with pytest.raises(GuardFailed, match="Still to declare"):
        services.review_conclude(review=review, reviewer=new_chair, agree=True, rationale="x", today=DECIDED)


def test_the_periodic_jobs_are_registered() -> None:
    from nrm.core.periodic import _JOBS
    from nrm.reviews import jobs  # noqa: F401

    assert {"reviews.convene_waiting_panels", "reviews.remind_overdue_panels"} <= set(_JOBS)


def test_the_pool_is_managed_from_the_command_line(db: None) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    person = builders.user(Role.PANEL_MEMBER, "maap")
    out = StringIO()
    call_command("panellist", person.email, "la-e09000007", stdout=out)
    assert "Local authority" in out.getvalue()
    call_command("panellist", stdout=out)
    assert person.email in out.getvalue()
    caseworker = builders.user(Role.CASEWORKER, "sca")
    with pytest.raises(CommandError, match="not a panel member"):
        call_command("panellist", caseworker.email, "la-e09000007")
