"""Building cases in the states these tests need, and driving them through the casework services.

The casework services emit the hooks (``nrm.core.hooks``) that open reviews and support
referrals, so these helpers only call them. ``build_case`` stores journey-shaped referral
answers (``nrm.referrals.journey``), which the support provider's view of a person reads.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.accounts.services import membership_grant
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Decision, DecisionStatus, Outcome, Stage
from nrm.cases.standards import standard_in_force
from nrm.core import policy, rules
from nrm.reference.models import LocalAuthority, Organisation
from nrm.referrals.models import Referral, ReferralStatus

_numbers = itertools.count(1)

ANSWERS: dict[str, Any] = {
    "under_18_now": "no",
    "consent": "yes",
    "consent_record": "Explained with an interpreter.",
    "first_names": "Maria",
    "last_name": "Example",
    "dob_known": "yes",
    "dob": {"day": "3", "month": "4", "year": "1990"},
    "gender": "female",
    "language": "Romanian",
    "interpreter": "yes",
    "interpreter_details": "Romanian, female interpreter",
    "safe_contact": "Through her support worker only",
    "exploitation_types": ["labour"],
    "location": "uk",
    "account": "She was recruited with a false job offer and made to work without pay.",
    "safety_risk": "no",
}


def user(role: Role, organisation: str, **fields: Any) -> User:
    n = next(_numbers)
    person = User.objects.create_user(fields.pop("email", f"{role.value}.b{n}@example.gov.uk"), "correct-horse-battery",
                                      full_name=fields.pop("full_name", f"{role.value.replace('_', ' ').title()} {n}"))
    membership_grant(user=person, organisation=Organisation.objects.get(slug=organisation), role=role)
    return person


def build_case(
    *,
    received_on: date,
    state: State = State.AWAITING_CG,
    rg_date: date | None = None,
    competent_authority: str = "SCA",
    is_child: bool = False,
    nation: str = "england",
    answers: dict[str, Any] | None = None,
    first_responder_organisation: str = "police-e23000001",
    child_local_authority: str | None = None,
    rg_decision_maker: User | None = None,
) -> Case:
    """A submitted referral and its case, with a served positive RG if ``rg_date`` is given."""
    n = next(_numbers)
    organisation = Organisation.objects.get(slug=first_responder_organisation)
    author = user(Role.FIRST_RESPONDER, first_responder_organisation)
    submitted = timezone.make_aware(datetime.combine(received_on, datetime.min.time()).replace(hour=10))
    data = dict(answers if answers is not None else ANSWERS)
    if is_child:
        data["under_18_now"] = "yes"
        data.pop("consent", None)
    reference = f"NRM-T{n:06d}"
    referral = Referral.objects.create(
        reference=reference, organisation=organisation, author=author, status=ReferralStatus.SUBMITTED,
        answers=data, submitted_at=submitted, is_child=is_child,
        expires_at=submitted + timedelta(days=policy.int_value("draft_expiry_days", on=received_on)),
        age_at_exploitation="child" if is_child else "adult", gender=data.get("gender", "unknown"),
        location_of_exploitation="uk", competent_authority=competent_authority,
        safeguarding_local_authority=(LocalAuthority.objects.get(code=child_local_authority)
                                      if child_local_authority else None),
    )
    days = rules.recovery_period(rg_date=rg_date).days if rg_date else None
    case = Case.objects.create(
        referral=referral, reference=reference, competent_authority=competent_authority, state=state,
        state_changed_at=timezone.now(), nation=nation, first_responder_organisation=organisation,
        is_child=is_child, received_on=received_on,
        rg_target_date=rules.rg_target_date(referred_on=received_on, nation=nation),
        rg_date=rg_date, recovery_period_days=days,
    )
    if rg_date:
        maker = rg_decision_maker or user(Role.CASEWORKER, competent_authority.lower())
        Decision.objects.create(
            case=case, stage=Stage.RG, outcome=Outcome.POSITIVE, standard_applied="Reasonable grounds",
            rationale="Indicators of labour exploitation.", decided_by=maker, decided_on=rg_date,
            status=DecisionStatus.SERVED, served_on=rg_date,
            policy=rules.decision_policy_snapshot(case=case, stage=Stage.RG, positive=True, decided_on=rg_date,
                                                  standard_code=standard_in_force(Stage.RG, on=rg_date).code))
        case.last_decision_maker = maker
        case.save(update_fields=["last_decision_maker"])
    return case


def negative_cg(case: Case, decision_maker: User, *, decided_on: date,
                rationale: str = "The account is not consistent with exploitation.") -> Decision:
    from nrm.cases.services import case_record_cg_decision

    decision = case_record_cg_decision(case=case, decision_maker=decision_maker, outcome="negative",
                                       reasons=["cg_credibility"], rationale=rationale, decided_on=decided_on)
    return decision


def positive_cg(case: Case, decision_maker: User, *, decided_on: date) -> Decision:
    from nrm.cases.services import case_record_cg_decision

    decision = case_record_cg_decision(case=case, decision_maker=decision_maker, outcome="positive", reasons=[],
                                       rationale="On the balance of probabilities a victim.", decided_on=decided_on)
    return decision


def positive_rg(case: Case, decision_maker: User, *, decided_on: date) -> Decision:
    from nrm.cases.services import case_record_rg_decision
    from nrm.cases.standards import standard_in_force

    decision = case_record_rg_decision(
        case=case, decision_maker=decision_maker, outcome="positive",
        standard_applied=standard_in_force("RG", on=decided_on).code, reasons=[],
        rationale="Indicators of exploitation.", decided_on=decided_on)
    return decision


def negative_rg(case: Case, decision_maker: User, *, decided_on: date) -> Decision:
    from nrm.cases.services import case_record_rg_decision
    from nrm.cases.standards import standard_in_force

    decision = case_record_rg_decision(
        case=case, decision_maker=decision_maker, outcome="negative",
        standard_applied=standard_in_force("RG", on=decided_on).code, reasons=["rg_no_indicators"],
        rationale="No indicators.", decided_on=decided_on)
    return decision


def panel_pool(*, chairs: int = 1, members: int = 3) -> dict[str, list[User]]:
    """Panellists from different organisations and sectors: a police chair, then members from a
    local authority, an NGO, health and another police force."""
    from nrm.reviews.services import panellist_add

    homes = ["police-e23000001", "la-e09000007", "salvation-army", "hsct-belfast", "police-e23000002",
             "migrant-help"]
    pool: dict[str, list[User]] = {"chairs": [], "members": []}
    index = 0
    for kind, role, count in (("chairs", Role.PANEL_CHAIR, chairs), ("members", Role.PANEL_MEMBER, members)):
        for _ in range(count):
            person = user(role, "maap")
            panellist_add(user=person, home_organisation=Organisation.objects.get(slug=homes[index % len(homes)]))
            pool[kind].append(person)
            index += 1
    return pool
