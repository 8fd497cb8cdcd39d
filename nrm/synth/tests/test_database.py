"""Synthetic data in the service's database: counts, states, rules, determinism and pages."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.analytics.synthetic.extract import duty_to_notify_count, generate_referrals
from nrm.audit.models import AuditEvent
from nrm.audit.services import audit_verify
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Decision, DecisionStatus, StatusChange
from nrm.core import policy
from nrm.referrals import journey
from nrm.referrals.choices import options_on
from nrm.referrals.models import DutyToNotifyReport, Referral, ReferralStatus
from nrm.reviews.models import Review, ReviewKind, ReviewStatus
from nrm.support.models import SupportReferral
from nrm.synth.database import SYNTHETIC_EMAIL_DOMAIN, SynthRefused, later_cg_day, synth_into_db
from nrm.synth.invariants import database_invariant_violations

N, SEED = 300, 12
START, END = date(2019, 1, 1), date(2024, 12, 31)

# The states a generated row may be in once its decisions and reviews have been replayed on the
# generated dates (a negative decision waits for its review; a second-line review may disagree).
EXPECTED_STATES: dict[tuple[str, str | None, str | None], set[str]] = {
    ("Awaiting RG", None, None): {State.AWAITING_RG},
    ("Withdrawn", None, None): {State.WITHDRAWN},
    ("Concluded", "Negative", None): {State.NEGATIVE_RG, State.RG_UNDER_REVIEW},
    ("Awaiting CG", "Positive", None): {State.POSITIVE_RG, State.AWAITING_CG},
    ("Concluded", "Positive", "Positive"): {State.POSITIVE_CG},
    ("Concluded", "Positive", "Negative"): {State.NEGATIVE_CG, State.CG_UNDER_REVIEW, State.CG_REFERRED_BACK},
    ("Withdrawn", "Positive", None): {State.WITHDRAWN},
    ("Suspended", "Positive", None): {State.SUSPENDED},
    ("Disqualified", "Positive", None): {State.DISQUALIFIED},
}


@pytest.fixture
def generated() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = generate_referrals(N, SEED, START, END).to_pylist()
    return rows


@pytest.fixture
def loaded(db: None) -> int:
    return synth_into_db(referrals=N, seed=SEED, start=START, end=END)


def _snapshot() -> list[tuple[Any, ...]]:
    return sorted(
        (c.pk, c.reference, c.state, c.received_on, c.rg_date, c.cg_date, c.referral.pk,
         c.referral.answers.get("first_names"), c.referral.answers.get("last_name"))
        for c in Case.objects.select_related("referral"))


@pytest.mark.django_db
def test_counts_match_the_generated_tables(loaded: int, generated: list[dict[str, Any]]) -> None:
    assert loaded == N
    assert Referral.objects.filter(status=ReferralStatus.SUBMITTED).count() == N
    assert Case.objects.count() == N
    assert set(Case.objects.values_list("reference", flat=True)) == {r["referral_id"] for r in generated}
    assert DutyToNotifyReport.objects.count() == duty_to_notify_count(N, START, END)
    rg_decisions = sum(1 for r in generated if r["rg_outcome"] is not None)
    cg_decisions = sum(1 for r in generated if r["cg_outcome"] is not None)
    assert Decision.objects.filter(stage="RG").count() == rg_decisions
    assert Decision.objects.filter(stage="CG").count() == cg_decisions
    negative = sum(1 for r in generated if r["rg_outcome"] == "Negative" or r["cg_outcome"] == "Negative")
    assert Review.objects.count() == negative
    assert SupportReferral.objects.count() == sum(1 for r in generated if r["rg_outcome"] == "Positive")
    assert AuditEvent.objects.filter(action="case.synthesised").count() == N
    assert audit_verify() == []
    # Synthetic people only: every user made here has an address that cannot receive mail.
    assert all(u.email.endswith(SYNTHETIC_EMAIL_DOMAIN) and not u.has_usable_password() for u in User.objects.all())


@pytest.mark.django_db
def test_every_generated_state_appears_with_matching_data(loaded: int, generated: list[dict[str, Any]]) -> None:
    cases = {c.reference: c for c in Case.objects.select_related("referral")}
    decisions: dict[Any, list[Decision]] = {}
    for d in Decision.objects.order_by("decided_on", "created_at"):
        decisions.setdefault(d.case_id, []).append(d)
    seen: Counter[str] = Counter()
    for row in generated:
        case = cases[row["referral_id"]]
        key = (row["status"], row["rg_outcome"], row["cg_outcome"])
        assert case.state in EXPECTED_STATES[key], (row, case.state)
        seen[case.state] += 1
        assert case.received_on == row["referral_date"]
        assert case.competent_authority == case.referral.competent_authority == row["competent_authority"]
        by_stage = {d.stage: d for d in decisions.get(case.pk, [])}
        if row["rg_outcome"] is None:
            assert not by_stage
            assert case.rg_date is None
        else:
            rg = by_stage["RG"]
            assert rg.decided_on == row["rg_date"]
            assert rg.outcome == row["rg_outcome"].lower()
            if rg.status == DecisionStatus.SERVED:
                assert case.rg_date == row["rg_date"]
            if rg.outcome == "positive":
                assert case.recovery_period_days == policy.recovery_period_days(on=row["rg_date"], nation=case.nation)
        cg_day = row["cg_date"] if case.rg_date is None or row["cg_date"] is None else later_cg_day(
            row["cg_date"], case.rg_date + timedelta(days=case.recovery_period_days or 0), END)
        if row["cg_outcome"] is not None and cg_day is not None:
            cg = by_stage["CG"]
            assert cg.decided_on == cg_day
            assert cg.outcome == row["cg_outcome"].lower()
            assert case.cg_date == (cg_day if cg.status == DecisionStatus.SERVED else None)
        if row["status"] in {"Withdrawn", "Suspended", "Disqualified"}:
            last = StatusChange.objects.filter(case=case).order_by("created_at").last()
            assert last is not None
            assert last.occurred_on == row["status_date"]
            assert last.to_state == case.state
    # Every status the generator produced in this sample shows up as a case state.
    produced = {(r["status"], r["rg_outcome"], r["cg_outcome"]) for r in generated}
    for key in produced:
        assert EXPECTED_STATES[key] & set(seen), key
    assert {State.AWAITING_RG, State.NEGATIVE_RG, State.AWAITING_CG, State.POSITIVE_CG, State.NEGATIVE_CG,
            State.WITHDRAWN} <= set(seen)


@pytest.mark.django_db
def test_synthetic_cases_follow_the_same_rules_as_the_services(loaded: int) -> None:
    """The synthetic database asks the rules modules, as the services do: the RG target, each
    decision's policy snapshot, each review's terms, the support dates."""
    from nrm.core import rules
    from nrm.reviews.rules import review_terms

    checked = 0
    for case in Case.objects.all():
        assert case.rg_target_date == rules.rg_target_date(referred_on=case.received_on, nation=case.nation,
                                                           decided_by_panel=case.decision_panel_id is not None)
        for decision in case.decisions.all():
            expected = rules.decision_policy_snapshot(
                case=case, stage=decision.stage, positive=decision.outcome == "positive",
                decided_on=decision.decided_on, standard_code=decision.policy["standard"])
            assert decision.policy == expected, case.reference
            checked += 1
    for review in Review.objects.select_related("decision", "case"):
        terms = review_terms(stage=review.stage, decided_on=review.decision.decided_on,
                             referred_on=review.referred_on, nation=review.case.nation)
        assert (review.kind, review.policy, review.target_date) == (terms.kind, terms.policy, terms.target_date)
    for referral in SupportReferral.objects.select_related("case"):
        rg_date = date.fromisoformat(referral.policy["rg_date"])
        assert referral.recovery_period_ends_on == rules.recovery_period(rg_date=rg_date,
                                                                         nation=referral.case.nation).end
        if referral.move_on_from is not None:
            assert referral.move_on_until == rules.move_on_until(cg_date=referral.move_on_from)
    assert checked


@pytest.mark.django_db
def test_reviews_follow_the_policy_on_the_decision_date(loaded: int) -> None:
    for review in Review.objects.select_related("decision", "case"):
        decided = review.decision.decided_on
        panel = review.stage == "CG" and date(2019, 4, 1) <= decided <= date(2022, 12, 31)
        assert review.kind == (ReviewKind.PANEL if panel else ReviewKind.SECOND_LINE), review.case.reference
        if review.kind == ReviewKind.PANEL and review.status == ReviewStatus.CONCLUDED:
            seats = list(review.seats.all())
            assert len(seats) == 3
            assert len({s.home_organisation_id for s in seats}) == 3
            assert len({s.sector for s in seats}) == 3
        if review.status != ReviewStatus.CONCLUDED:
            assert review.decision.status == DecisionStatus.PROPOSED
            assert review.case.state in {State.RG_UNDER_REVIEW, State.CG_UNDER_REVIEW}


@pytest.mark.django_db
def test_a_synthesised_database_keeps_every_rule(loaded: int) -> None:
    assert database_invariant_violations() == []


@pytest.mark.django_db
def test_answers_are_a_complete_journey_in_the_journeys_own_words(loaded: int) -> None:
    for referral in Referral.objects.select_related("case").order_by("reference")[:60]:
        on = referral.case.received_on
        assert journey.journey_errors(referral.answers, options_on(on), today=on) == [], referral.reference
        assert journey.is_nrm(referral.answers)
        assert journey.treated_as_child(referral.answers) == referral.is_child == referral.case.is_child
        assert journey.competent_authority(referral.answers) == referral.competent_authority
        assert referral.answers["first_names"]
        assert referral.answers["last_name"]
        assert referral.answers["account"]
        assert {c.code for c in referral.nationalities.all()} == set(referral.answers["nationalities"])
        assert {t.code for t in referral.exploitation_types.all()} == set(referral.answers["exploitation_types"])


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_database(db: None) -> None:
    class Rollback(Exception):
        pass

    snapshots = []
    for _ in range(2):
        try:
            with transaction.atomic():
                synth_into_db(referrals=120, seed=7, start=START, end=END)
                snapshots.append(_snapshot())
                raise Rollback
        except Rollback:
            pass
    assert Case.objects.count() == 0
    assert snapshots[0] == snapshots[1]
    assert len(snapshots[0]) == 120


@pytest.mark.django_db
def test_a_second_run_refuses_clearly_when_references_would_collide(loaded: int) -> None:
    users = User.objects.count()
    with pytest.raises(SynthRefused, match="already in the database"):
        synth_into_db(referrals=N, seed=SEED + 1, start=START, end=END)
    assert Case.objects.count() == N
    assert User.objects.count() == users
    # Another seed over dates that do not overlap adds to the database, reusing the synthetic staff.
    staff = set(User.objects.filter(email__contains="@sca.").values_list("pk", flat=True))
    added = synth_into_db(referrals=40, seed=SEED + 1, start=date(2018, 1, 1), end=date(2018, 12, 31))
    assert added == 40
    assert Case.objects.count() == N + 40
    assert set(User.objects.filter(email__contains="@sca.").values_list("pk", flat=True)) == staff
    assert database_invariant_violations() == []


@pytest.mark.django_db
def test_broken_rows_are_reported_by_the_invariants(loaded: int) -> None:
    positive = Case.objects.filter(state=State.POSITIVE_CG).order_by("reference").first()
    assert positive is not None
    assert positive.rg_date is not None
    assert positive.recovery_period_days
    too_early = positive.rg_date + timedelta(days=positive.recovery_period_days - 1)
    Decision.objects.filter(case=positive, stage="CG").update(decided_on=too_early, served_on=too_early)
    Case.objects.filter(pk=positive.pk).update(cg_date=too_early)

    child = Case.objects.exclude(pk=positive.pk).order_by("reference").first()
    assert child is not None
    Case.objects.filter(pk=child.pk).update(is_child=not child.is_child)

    violations = database_invariant_violations()
    assert any(positive.reference in v and "recovery period" in v for v in violations), violations
    assert any(child.reference in v and "referral says" in v for v in violations), violations


@pytest.mark.django_db
def test_a_served_negative_cg_without_its_review_is_reported(loaded: int) -> None:
    decision = Decision.objects.filter(stage="CG", outcome="negative", status=DecisionStatus.SERVED).first()
    if decision is None:
        pytest.skip("no served negative conclusive grounds decision in this sample")
    Review.objects.filter(decision=decision).update(kind=ReviewKind.SECOND_LINE if decision.review.kind ==
                                                    ReviewKind.PANEL else ReviewKind.PANEL)
    violations = database_invariant_violations()
    assert any(decision.case.reference in v and "required" in v for v in violations), violations


@pytest.mark.django_db
def test_it_refuses_to_run_in_production(db: None, settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(SynthRefused, match="production"):
        synth_into_db(referrals=10, seed=1)
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_the_case_page_and_the_referral_list_render_for_synthesised_cases(loaded: int, client_for: Any) -> None:
    caseworker = client_for(Role.CASEWORKER, organisation="sca")
    shown = 0
    for state in (State.POSITIVE_CG, State.NEGATIVE_CG, State.AWAITING_CG, State.NEGATIVE_RG, State.WITHDRAWN,
                  State.CG_UNDER_REVIEW, State.SUSPENDED):
        case = (Case.objects.filter(competent_authority="SCA", state=state).select_related("referral")
                .order_by("reference").first())
        if case is None:
            continue
        response = caseworker.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
        assert response.status_code == 200, (state, response.status_code)
        page = response.content.decode()
        assert case.reference in page
        assert case.referral.answers["last_name"] in page
        shown += 1
    assert shown >= 4
    assert caseworker.get(reverse("cases:queue")).status_code == 200

    case = Case.objects.select_related("referral", "first_responder_organisation").order_by("-received_on").first()
    assert case is not None
    first_responder = client_for(Role.FIRST_RESPONDER, organisation=case.first_responder_organisation.slug)
    response = first_responder.get(reverse("referrals:list"))
    assert response.status_code == 200
    assert case.reference in response.content.decode()
    copy = first_responder.get(reverse("referrals:copy", kwargs={"referral_id": case.referral.pk}))
    assert copy.status_code == 200
    assert case.referral.answers["last_name"] in copy.content.decode()


@pytest.mark.django_db(transaction=True)
def test_by_default_the_data_run_up_to_today_so_open_cases_are_as_old_as_they_would_be() -> None:
    """The demo's cases are not frozen at an old extract date, where every open case looks years overdue."""
    from django.utils import timezone

    today = timezone.localdate()
    synth_into_db(referrals=300, seed=11, start=today - timedelta(days=400))
    latest = Case.objects.order_by("-received_on").values_list("received_on", flat=True).first()
    assert latest is not None
    assert today - timedelta(days=60) <= latest <= today
    assert not Decision.objects.filter(decided_on__gt=today).exists()
    waiting = Case.objects.filter(state=State.AWAITING_RG).values_list("received_on", flat=True)
    assert all(today - received < timedelta(days=400) for received in waiting)


@pytest.mark.django_db
def test_children_in_pilot_areas_are_decided_by_their_panel_as_the_service_routes_them(loaded: int) -> None:
    """A child's synthetic case goes where intake would send it: to its area's children's decision
    panel, whose own staff make and allocate its decisions; everyone else stays with the competent
    authority's staff."""
    from nrm.cases.intake import case_decision_panel

    routed = 0
    for case in Case.objects.select_related("referral__safeguarding_local_authority", "decision_panel"):
        assert case.decision_panel == case_decision_panel(case.referral, received_on=case.received_on)
        team = case.decision_panel.slug if case.decision_panel else case.competent_authority.lower()
        for decision in case.decisions.select_related("decided_by"):
            assert decision.decided_by.memberships.filter(organisation__slug=team).exists(), case.reference
        if case.allocated_to is not None:
            assert case.allocated_to.memberships.filter(organisation__slug=team).exists(), case.reference
        routed += case.decision_panel is not None
    assert routed, "the sample holds children in the pilot areas"


@pytest.mark.parametrize(("cg_day", "expected"), [
    (date(2026, 7, 1), date(2026, 7, 1)),  # after the case's recovery period: as generated
    (date(2026, 5, 1), date(2026, 6, 28)),  # within Scotland's 90 days: the first day allowed
    (date(2026, 5, 1), None),  # and that day is after the data end: no CG decision yet
    (None, None),
])
def test_a_cg_decision_never_comes_before_the_cases_own_recovery_period_ends(
        cg_day: date | None, expected: date | None) -> None:
    end = date(2026, 12, 4) if expected is not None or cg_day is None else date(2026, 6, 1)
    assert later_cg_day(cg_day, date(2026, 6, 28), end) == expected
