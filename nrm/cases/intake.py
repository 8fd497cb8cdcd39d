"""Opening a case from a submitted referral. ``nrm.referrals.services.referral_submit`` announces
the submission through the ``referral_submitted`` hook inside its transaction, and
``on_referral_submitted`` opens the case, so the referral, the case and their audit events commit
together (ADR 0002)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from nrm.audit.services import audit_record
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.cases.services import case_route
from nrm.core.dates import parse_date
from nrm.core.hooks import ReferralEvent
from nrm.core.rules import ChildInArea, child_decision_panel, rg_target_date
from nrm.core.workdays import NATIONS
from nrm.reference.models import Organisation
from nrm.referrals import journey


def case_nation(referral: Any) -> str:
    """The UK nation whose bank holidays count for the case: where the exploitation happened
    in the UK, else where the first responder works; England when neither says."""
    for candidate in (getattr(referral.police_force, "nation", None), referral.organisation.nation):
        if candidate in NATIONS:
            return str(candidate)
    return "england"


def decision_panel_slug(referral: Any, *, received_on: date) -> str | None:
    """The slug of the devolved children's decision panel that decides a child's case, from where
    the child lives (the authority that runs children's services there), the day the referral came
    and the child's age (dated per-area policy, ``rules.child_decision_panel``); None for anyone
    else. Reads no database (the synthetic data use it on unsaved referrals)."""
    authority = referral.safeguarding_local_authority
    if not referral.is_child or authority is None:
        return None
    answers = referral.answers or {}
    return child_decision_panel(ChildInArea(
        area=authority.upper_tier_code, nation=authority.nation, referred_on=received_on,
        date_of_birth=parse_date(answers.get("dob")),
        age_disputed=journey.under_18_now(answers) == "disputed"))


def case_decision_panel(referral: Any, *, received_on: date) -> Organisation | None:
    """The panel organisation of ``decision_panel_slug``, or None."""
    slug = decision_panel_slug(referral, received_on=received_on)
    if slug is None:
        return None
    return Organisation.objects.in_force(received_on).filter(slug=slug).first()


def case_open(*, referral: Any, actor: Any) -> Case:
    """Create the case for ``referral`` in the right competent authority's queue: submitted,
    then routed by the lifecycle table (``case_route``, which writes the StatusChange row) to
    'awaiting reasonable grounds decision', with its RG target date."""
    if not referral.competent_authority or not referral.reference or referral.is_child is None:
        raise ValueError("The referral must be submitted (reference, competent authority, age) before a case opens")
    with transaction.atomic():
        now = timezone.now()
        received_on = timezone.localdate(referral.submitted_at or now)
        nation = case_nation(referral)
        panel = case_decision_panel(referral, received_on=received_on)
        case = Case.objects.create(
            referral=referral,
            reference=referral.reference,
            competent_authority=referral.competent_authority,
            state=State.SUBMITTED,
            state_changed_at=now,
            nation=nation,
            first_responder_organisation=referral.organisation,
            decision_panel=panel,
            is_child=bool(referral.is_child),
            safety_risk=bool(referral.safety_risk),
            received_on=received_on,
            rg_target_date=rg_target_date(referred_on=received_on, nation=nation, decided_by_panel=panel is not None),
        )
        audit_record(actor=actor, action="case.opened", target=case, after={
            "reference": case.reference, "competent_authority": case.competent_authority, "state": case.state,
            "is_child": case.is_child, "received_on": received_on, "nation": nation,
            "decision_panel": panel.slug if panel else None,
        })
        case_route(case=case, actor=actor, today=received_on)
    return case


def on_referral_submitted(event: ReferralEvent) -> None:
    """Receiver of ``hooks.referral_submitted``: open the referral's case, once."""
    if not Case.objects.filter(referral=event.referral).exists():
        case_open(referral=event.referral, actor=event.actor)
