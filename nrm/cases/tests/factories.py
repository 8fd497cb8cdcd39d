"""Cases in every lifecycle state, built through the real services (intake, decisions, reviews,
reconsideration, suspension...) rather than by setting fields.

    case = make_case(state=State.AWAITING_CG, competent_authority="IECA", is_child=True)
    case.built_by.decision_maker   # the users the factory made, to reuse in a test

Other domains' tests may import these. They need the database (``db`` fixture) and the
reference data the migrations load.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.accounts.services import membership_grant
from nrm.cases import services
from nrm.cases.intake import case_open
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Outcome
from nrm.cases.standards import standard_in_force
from nrm.core import policy
from nrm.reference.models import Organisation
from nrm.referrals.models import Referral, ReferralStatus

_counter = itertools.count(1)
LONDON = ZoneInfo("Europe/London")
AUTHORITY_SLUG = {"SCA": "sca", "IECA": "ieca"}


def make_staff(role: Role, organisation: str | Organisation, *, password: str | None = None, **fields: Any) -> User:
    """A user with one membership. No usable password unless one is given (faster to create)."""
    n = next(_counter)
    org = organisation if isinstance(organisation, Organisation) else Organisation.objects.get(slug=organisation)
    user = User.objects.create_user(
        fields.pop("email", f"{role.value}.factory{n}.{uuid.uuid4().hex[:6]}@example.gov.uk"),
        password,
        full_name=fields.pop("full_name", f"{role.value.replace('_', ' ').title()} {n}"),
        **fields,
    )
    membership_grant(user=user, organisation=org, role=role)
    return user


def make_referral(
    *,
    organisation: str | Organisation = "police-e23000001",
    author: User | None = None,
    competent_authority: str = "SCA",
    is_child: bool = False,
    safety_risk: bool = False,
    submitted_on: date | None = None,
    answers: dict[str, Any] | None = None,
) -> Referral:
    """A submitted referral with the structured fields intake needs."""
    org = organisation if isinstance(organisation, Organisation) else Organisation.objects.get(slug=organisation)
    author = author or make_staff(Role.FIRST_RESPONDER, org)
    day = submitted_on or timezone.localdate()
    submitted_at = datetime.combine(day, time(11, 0), tzinfo=LONDON)
    n = next(_counter)
    return Referral.objects.create(
        reference=f"NRM-T{n:06d}{uuid.uuid4().hex[:4].upper()}",
        organisation=org,
        author=author,
        status=ReferralStatus.SUBMITTED,
        answers=answers if answers is not None else {
            "summary": "Found working in a car wash for no pay; documents held by the employer.",
            "exploitation": {"types": ["labour"], "where": "UK"},
        },
        expires_at=submitted_at + timedelta(days=policy.int_value("draft_expiry_days", on=day)),
        submitted_at=submitted_at,
        is_child=is_child,
        age_at_exploitation="child" if is_child else "adult",
        gender="male",
        location_of_exploitation="uk",
        competent_authority=competent_authority,
        safety_risk=safety_risk,
    )


@dataclass
class BuiltBy:
    """The people a factory case was built with."""

    decision_maker: User
    senior: User
    first_responder: User


if TYPE_CHECKING:
    class BuiltCase(Case):
        """A factory case: a ``Case`` that also carries ``built_by`` (for type checkers only)."""

        built_by: BuiltBy
else:
    BuiltCase = Case


# The states each target is reached from, and the step that reaches it.
_RG_STATES = {State.SUBMITTED, State.AWAITING_RG, State.RG_UNDER_REVIEW, State.NEGATIVE_RG, State.RG_REFERRED_BACK,
              State.RG_RECONSIDERATION}


def make_case(
    state: State = State.AWAITING_RG,
    competent_authority: str = "SCA",
    is_child: bool = False,
    *,
    safety_risk: bool = False,
    first_responder_organisation: str = "police-e23000001",
    received_on: date | None = None,
    rg_decided_on: date | None = None,
    cg_decided_on: date | None = None,
    suspended_from: State = State.AWAITING_RG,
    decision_maker: User | None = None,
    senior: User | None = None,
    first_responder: User | None = None,
    allocated_to: User | None = None,
    representative_name: str = "",
    representative_email: str = "",
) -> BuiltCase:
    """A case in ``state``, reached through the services. ``case.built_by`` holds the users used.

    Dates: RG-stage cases are received 3 days ago by default; cases past a positive RG are
    received 100 days ago with the RG 2 days later, so the recovery period has run. A negative
    CG is decided today (second-line review policy); pass ``cg_decided_on`` in 2019-2022 for a
    panel-era decision, which the factory can only take as far as CG_UNDER_REVIEW (the panel,
    in nrm/reviews, concludes it).
    """
    state = State(state)
    today = timezone.localdate()
    authority_slug = AUTHORITY_SLUG[competent_authority]
    fr_org = Organisation.objects.get(slug=first_responder_organisation)
    first_responder = first_responder or make_staff(Role.FIRST_RESPONDER, fr_org)
    decision_maker = decision_maker or make_staff(Role.CASEWORKER, authority_slug)
    senior = senior or make_staff(Role.SENIOR_DECISION_MAKER, authority_slug)
    built = BuiltBy(decision_maker=decision_maker, senior=senior, first_responder=first_responder)
    needs_recovery_run = state not in _RG_STATES and state not in {State.POSITIVE_RG, State.WITHDRAWN,
                                                                    State.DISQUALIFIED}
    if state == State.SUSPENDED:
        needs_recovery_run = suspended_from not in _RG_STATES and suspended_from != State.POSITIVE_RG
    received = received_on or (today - timedelta(days=100 if needs_recovery_run else 3))
    referral = make_referral(organisation=fr_org, author=first_responder, competent_authority=competent_authority,
                             is_child=is_child, safety_risk=safety_risk, submitted_on=received)
    if state == State.SUBMITTED:
        case = _submitted_case(referral)
    else:
        case = case_open(referral=referral, actor=first_responder)
    if representative_name or representative_email:
        case.representative_name, case.representative_email = representative_name, representative_email
        case.save(update_fields=["representative_name", "representative_email"])
    if allocated_to is not None:
        services.case_allocate(cases=[case], caseworker=allocated_to, allocated_by=senior)
    case.built_by = built  # type: ignore[attr-defined]
    _drive(case, state, built, rg_on=rg_decided_on or min(today, received + timedelta(days=2)),
           cg_on=cg_decided_on or today, suspended_from=suspended_from)
    case.refresh_from_db()
    case.built_by = built  # type: ignore[attr-defined]
    return cast("BuiltCase", case)


def _submitted_case(referral: Referral) -> Case:
    from nrm.core.rules import rg_target_date

    received = timezone.localdate(referral.submitted_at)
    return Case.objects.create(
        referral=referral, reference=referral.reference or "", competent_authority=referral.competent_authority,
        state=State.SUBMITTED, state_changed_at=timezone.now(), nation="england",
        first_responder_organisation=referral.organisation, is_child=bool(referral.is_child),
        safety_risk=bool(referral.safety_risk), received_on=received,
        rg_target_date=rg_target_date(referred_on=received, nation="england"),
    )


def rg_decide(case: Case, decision_maker: User, outcome: str, *, on: date | None = None) -> Any:
    day = on or timezone.localdate()
    return services.case_record_rg_decision(
        case=case, decision_maker=decision_maker, outcome=outcome,
        standard_applied=standard_in_force("RG", on=day).code,
        reasons=[] if outcome == Outcome.POSITIVE else ["rg_no_indicators"],
        rationale=f"Factory {outcome} reasonable grounds decision.", decided_on=day)


def cg_decide(case: Case, decision_maker: User, outcome: str, *, on: date | None = None) -> Any:
    return services.case_record_cg_decision(
        case=case, decision_maker=decision_maker, outcome=outcome,
        reasons=[] if outcome == Outcome.POSITIVE else ["cg_credibility"],
        rationale=f"Factory {outcome} conclusive grounds decision.", decided_on=on)


def review_conclude(case: Case, reviewer: User, *, agree: bool, rationale: str, on: date | None = None) -> Any:
    """Conclude the review of the negative decision waiting on ``case`` the one way there is
    (``nrm.reviews.services.review_conclude``), and reload the case."""
    from nrm.reviews.models import Review
    from nrm.reviews.services import review_conclude as conclude

    review = Review.objects.get(decision=services.case_proposed_decision(case))
    concluded = conclude(review=review, reviewer=reviewer, agree=agree, rationale=rationale, today=on)
    case.refresh_from_db()
    return concluded


_NEGATIVE_RG_STATES = frozenset({State.RG_UNDER_REVIEW, State.NEGATIVE_RG, State.RG_REFERRED_BACK,
                                 State.RG_RECONSIDERATION})


def _drive(case: Case, target: State, built: BuiltBy, *, rg_on: date, cg_on: date, suspended_from: State) -> None:
    dm = built.decision_maker
    if target in {State.SUBMITTED, State.AWAITING_RG}:
        return
    if target == State.SUSPENDED:
        _drive(case, suspended_from, built, rg_on=rg_on, cg_on=cg_on, suspended_from=suspended_from)
        services.case_suspend(case=case, actor=dm, reason="The person is missing.")
        return
    if target == State.WITHDRAWN:
        services.case_withdraw(case=case, actor=dm, reason="The person withdrew their consent.")
        return
    if target in _NEGATIVE_RG_STATES:
        _drive_negative_rg(case, target, built, rg_on=rg_on)
        return
    # Everything else starts with a positive RG.
    rg_decide(case, dm, Outcome.POSITIVE, on=rg_on)
    if target == State.POSITIVE_RG:
        return
    if target == State.DISQUALIFIED:
        services.case_disqualify(case=case, actor=dm, ground="public_order",
                                 reasons="Convicted of an offence with a sentence of 12 months or more.")
        return
    services.case_recovery_period_end(case=case)
    if target != State.AWAITING_CG:
        _drive_cg(case, target, built, cg_on=cg_on)


def _drive_negative_rg(case: Case, target: State, built: BuiltBy, *, rg_on: date) -> None:
    """From awaiting RG to a state after a negative RG decision."""
    rg_decide(case, built.decision_maker, Outcome.NEGATIVE, on=rg_on)
    if target == State.RG_UNDER_REVIEW:
        return
    if target == State.RG_REFERRED_BACK:
        review_conclude(case, built.senior, agree=False, rationale="The indicators were not weighed.")
        return
    review_conclude(case, built.senior, agree=True, rationale="Agreed.")
    if target == State.RG_RECONSIDERATION:
        services.case_request_reconsideration(case=case, requested_by=built.first_responder,
                                              grounds="New evidence from the NGO.")


def _drive_cg(case: Case, target: State, built: BuiltBy, *, cg_on: date) -> None:
    """From awaiting CG to a state after the CG decision."""
    dm = built.decision_maker
    if target in {State.POSITIVE_CG, State.CLOSED}:
        cg_decide(case, dm, Outcome.POSITIVE, on=cg_on)
        if target == State.CLOSED:
            services.case_close(case=case, actor=dm, reason="Move-on support arranged; nothing outstanding.")
        return
    cg_decide(case, dm, Outcome.NEGATIVE, on=cg_on)
    if target == State.CG_UNDER_REVIEW:
        return
    agree = target != State.CG_REFERRED_BACK
    review_conclude(case, built.senior, agree=agree,
                    rationale="Agreed." if agree else "The account was not weighed with trauma in mind.")
    if target == State.CG_RECONSIDERATION:
        services.case_request_reconsideration(case=case, requested_by=built.first_responder,
                                              grounds="A medical report is now available.")


__all__ = [
    "BuiltBy",
    "BuiltCase",
    "cg_decide",
    "make_case",
    "make_referral",
    "make_staff",
    "review_conclude",
    "rg_decide",
]
