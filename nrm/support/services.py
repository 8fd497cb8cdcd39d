"""Support: the services that refer a person to a support provider and record the support given.

After a positive reasonable grounds (RG) decision, the person is referred to a support provider
(the victim care contract provider for their nation for adults; the local authority children's
services for children) for the recovery period under the policy in force on the RG date. After
a positive conclusive grounds (CG) decision, move-on support of at least the policy minimum
(45 days since September 2019, 14 before) is computed from the CG date; a provider cannot end support
before then unless it gives a permitted reason.

Referrals are opened by the ``decision_served`` hook the cases service emits (see
``docs/adr/0003-review-routing.md``). Every service takes the date it acts on.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from nrm.audit.services import audit_record
from nrm.cases.access import is_decision_maker_for
from nrm.cases.services import case_request_reconsideration
from nrm.core import rules
from nrm.core.errors import AccessDenied, GuardFailed, ServiceError
from nrm.core.hooks import CaseEvent, DecisionEvent
from nrm.core.policy import int_value
from nrm.core.sealing import seal_for_audit
from nrm.core.workdays import add_working_days
from nrm.notify.models import MessageKind, OutboxMessage
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation
from nrm.referrals.routing import childrens_services_for
from nrm.support import rules as support_rules
from nrm.support.access import support_provider_organisations
from nrm.support.lifecycle import (
    LIVE_STATES,
    EndReasonCode,
    SupportEvent,
    SupportFacts,
    SupportState,
    may_record_support,
    next_support_state,
)
from nrm.support.models import (
    AssessmentOutcome,
    ProviderType,
    RecoveryNeedsAssessment,
    SupportEpisode,
    SupportKind,
    SupportReferral,
    SupportReferralStatus,
)
from nrm.support.selectors import SupportDates, support_dates

logger = logging.getLogger(__name__)

LIVE = LIVE_STATES

# Reminders to the provider this many days before the date support may end.
REMINDER_DAYS_BEFORE = (14, 3)

# --- Opening a referral ----------------------------------------------------------------------


def support_provider_for(case: Any, *, on: date) -> tuple[Organisation, ProviderType] | None:
    """Who supports this person: children's services where the child lives for a child, the
    victim care contract provider for the nation for an adult. ``None`` if it cannot be told."""
    referral = case.referral
    choice = support_rules.support_provider_for(
        is_child=case.is_child, nation=case.nation, gender=referral.gender,
        exploitation_codes=set(referral.exploitation_types.values_list("code", flat=True)))
    if choice.slug is None:
        authority = referral.safeguarding_local_authority or referral.local_authority
        organisation = childrens_services_for(authority) if authority is not None else None
    else:
        organisation = Organisation.objects.in_force(on).filter(slug=choice.slug).first()
        if organisation is None:
            organisation = Organisation.objects.filter(slug=choice.slug).first()
    return (organisation, choice.provider_type) if organisation else None


def support_referral_open(*, case: Any, opened_on: date | None = None, rg_date: date | None = None,
                          actor: Any = None) -> SupportReferral | None:
    """Refer the person to a support provider for the recovery period. Idempotent: a case with a
    live referral keeps it. Returns ``None`` (and tells the competent authority) if no provider
    can be found, rather than failing the decision that triggered it."""
    day = opened_on or timezone.localdate()
    live = SupportReferral.objects.filter(case=case, status__in=LIVE).first()
    if live is not None:
        return live
    rg_day = rg_date or case.rg_date or day
    period = rules.recovery_period(rg_date=rg_day, days=case.recovery_period_days)
    found = support_provider_for(case, on=day)
    with transaction.atomic():
        if found is None:
            audit_record(actor=actor, action="support.no_provider", target=case, case=case,
                         after={"is_child": case.is_child, "nation": case.nation})
            _tell_authority(case, subject=f"No support provider found: case {case.reference}",
                            body=(f"Case {case.reference} has a positive reasonable grounds decision but the service "
                                  "could not tell which support provider should support the person (for a child, "
                                  "the local authority is missing). Arrange support directly."),
                            dedupe_key=f"support-no-provider:{case.pk}:{rg_day.isoformat()}")
            return None
        provider, provider_type = found
        referral = SupportReferral.objects.create(
            case=case,
            provider=provider,
            provider_type=provider_type,
            referred_on=day,
            recovery_period_days=period.days,
            recovery_period_ends_on=period.end,
            policy={"recovery_period_days": period.days, "rg_date": rg_day.isoformat()},
        )
        audit_record(actor=actor, action="support.referral_opened", target=referral, case=case,
                     after={"provider": provider.slug, "provider_type": provider_type,
                            "recovery_period_ends_on": referral.recovery_period_ends_on})
        outbox_add(
            kind=MessageKind.SUPPORT,
            subject=f"New support referral: case {case.reference}",
            body=(f"A person has been referred to {provider} for support after a positive reasonable grounds "
                  f"decision. The recovery period runs until at least {referral.recovery_period_ends_on:%d %B %Y}. "
                  "Sign in to accept or decline the referral."),
            recipient_organisation=provider,
            about=referral,
            acknowledge_by=_acknowledge_by(provider_type, day=day, nation=case.nation),
            dedupe_key=f"support-referral:{referral.pk}",
        )
    return referral


def _acknowledge_by(provider_type: str, *, day: date, nation: str) -> date | None:
    """A child's support referral goes to children's services, whose partner inbox asks them to
    acknowledge it like a safeguarding notification (within the partners' policy working days,
    with a reminder when they do not); a victim care contract provider answers on its own list."""
    if provider_type != ProviderType.LOCAL_AUTHORITY:
        return None
    return add_working_days(day, int_value("partner_ack_working_days", on=day), nation)


def support_move_on_start(*, case: Any, cg_date: date, served_on: date | None = None,
                          actor: Any = None) -> SupportReferral | None:
    """After a positive conclusive grounds decision: move-on support of at least the policy
    minimum from the decision date. Opens a referral if the person has no live one."""
    move_on = rules.move_on_period(cg_date=cg_date, starts_on=served_on)
    start, days = move_on.start, move_on.days
    with transaction.atomic():
        referral = SupportReferral.objects.select_for_update().filter(case=case, status__in=LIVE).first()
        if referral is None:
            referral = support_referral_open(case=case, opened_on=start, actor=actor)
            if referral is None:
                return None
        if referral.move_on_from == start and referral.move_on_days == days:
            return referral
        referral.move_on_from = start
        referral.move_on_days = days
        referral.move_on_until = move_on.end
        referral.policy = {**referral.policy, "move_on_support_min_days": days, "cg_date": cg_date.isoformat()}
        referral.save()
        audit_record(actor=actor, action="support.move_on_started", target=referral, case=case,
                     after={"move_on_from": start, "move_on_until": referral.move_on_until, "days": days})
        outbox_add(
            kind=MessageKind.SUPPORT,
            subject=f"Move-on support: case {case.reference}",
            body=(f"A positive conclusive grounds decision was made on {cg_date:%d %B %Y}. The person is entitled to "
                  f"at least {days} days of move-on support, until {referral.move_on_until:%d %B %Y}."),
            recipient_organisation=referral.provider,
            about=referral,
            dedupe_key=f"support-move-on:{referral.pk}:{start.isoformat()}",
        )
    return referral


def _tell_authority(case: Any, *, subject: str, body: str, dedupe_key: str) -> None:
    """Tell whoever decides the case: its children's decision panel, or its competent authority."""
    authority = case.decision_panel or Organisation.objects.filter(slug=case.competent_authority.lower()).first()
    if authority is not None:
        outbox_add(kind=MessageKind.SUPPORT, subject=subject, body=body, recipient_organisation=authority,
                   about=case, dedupe_key=dedupe_key)


def support_negative_cg_served(*, case: Any, served_on: date) -> int:
    """Tell the provider of each live referral that a negative conclusive grounds decision was
    served: there is no move-on period, and support may end (reason: negative decision)."""
    told = 0
    for referral in SupportReferral.objects.filter(case=case, status__in=LIVE).select_related("provider"):
        outbox_add(
            kind=MessageKind.SUPPORT,
            subject=f"Conclusive grounds decision served: case {case.reference}",
            body=(f"A negative conclusive grounds decision on case {case.reference} was served on "
                  f"{served_on:%d %B %Y}. There is no move-on support period. Agree the person's exit from "
                  "support with them, and record when support ends."),
            recipient_organisation=referral.provider,
            about=referral,
            dedupe_key=f"support-negative-cg:{referral.pk}:{served_on.isoformat()}",
        )
        told += 1
    return told


# --- The provider's work -------------------------------------------------------------------


def _require_provider(user: Any, referral: SupportReferral) -> None:
    if referral.provider_id not in {o.pk for o in support_provider_organisations(user)}:
        raise AccessDenied("Only the provider this person was referred to can do this.")


def _lock(referral: SupportReferral) -> SupportReferral:
    return SupportReferral.objects.select_for_update().select_related("case", "provider").get(pk=referral.pk)


def support_referral_respond(*, referral: SupportReferral, user: Any, accept: bool, reason: str = "",
                             today: date | None = None) -> SupportReferral:
    """The provider accepts the referral, or declines it with a reason."""
    day = today or timezone.localdate()
    reason = reason.strip()
    with transaction.atomic():
        referral = _lock(referral)
        _require_provider(user, referral)
        referral.status = next_support_state(SupportState(referral.status),
                                             SupportEvent.ACCEPT if accept else SupportEvent.DECLINE,
                                             SupportFacts(reason=reason))
        referral.responded_by = user
        referral.responded_on = day
        referral.decline_reason = "" if accept else reason
        referral.save()
        audit_record(actor=user, action="support.referral_accepted" if accept else "support.referral_declined",
                     target=referral, case=referral.case, after={"reason": seal_for_audit(referral.case.referral, referral.decline_reason)})
        if not accept:
            _tell_authority(
                referral.case,
                subject=f"Support referral declined: case {referral.case.reference}",
                body=(f"{referral.provider} declined the support referral for case {referral.case.reference}. "
                      f"Their reason: {reason}\n\nArrange support with another provider."),
                dedupe_key=f"support-declined:{referral.pk}",
            )
    return referral


def _require_accepted(referral: SupportReferral) -> None:
    refusal = may_record_support(SupportState(referral.status))
    if refusal:
        raise GuardFailed(refusal)


def _check_date(value: date, *, today: date, not_before: date, field: str, what: str) -> None:
    if value > today:
        raise ServiceError(f"The {what} must be today or in the past", field=field)
    if value < not_before:
        raise ServiceError(f"The {what} must be on or after {not_before.day} {not_before:%B %Y}", field=field)


def support_episode_record(*, referral: SupportReferral, user: Any, kind: str, start_date: date,
                           end_date: date | None = None, today: date | None = None) -> SupportEpisode:
    day = today or timezone.localdate()
    if kind not in SupportKind.values:
        raise ServiceError("Select the type of support", field="kind")
    with transaction.atomic():
        referral = _lock(referral)
        _require_provider(user, referral)
        _require_accepted(referral)
        _check_date(start_date, today=day, not_before=referral.referred_on, field="start_date",
                    what="start date")
        if end_date is not None:
            _check_date(end_date, today=day, not_before=start_date, field="end_date", what="end date")
        episode = SupportEpisode.objects.create(referral=referral, kind=kind, start_date=start_date,
                                                end_date=end_date, recorded_by=user)
        audit_record(actor=user, action="support.episode_recorded", target=episode, case=referral.case,
                     after={"kind": kind, "start_date": start_date, "end_date": end_date})
    return episode


def support_episode_end(*, episode: SupportEpisode, user: Any, end_date: date,
                        today: date | None = None) -> SupportEpisode:
    day = today or timezone.localdate()
    with transaction.atomic():
        referral = _lock(episode.referral)
        _require_provider(user, referral)
        _require_accepted(referral)
        episode = SupportEpisode.objects.select_for_update().get(pk=episode.pk)
        if episode.end_date is not None:
            raise GuardFailed("This support has already ended.")
        _check_date(end_date, today=day, not_before=episode.start_date, field="end_date", what="end date")
        episode.end_date = end_date
        episode.save(update_fields=["end_date", "updated_at"])
        audit_record(actor=user, action="support.episode_ended", target=episode, case=referral.case,
                     after={"end_date": end_date})
    return episode


def support_assessment_record(*, referral: SupportReferral, user: Any, assessed_on: date, outcome: str,
                              support_needed_until: date | None = None, notes: str = "",
                              today: date | None = None) -> RecoveryNeedsAssessment:
    day = today or timezone.localdate()
    if outcome not in AssessmentOutcome.values:
        raise ServiceError("Select the outcome of the assessment", field="outcome")
    with transaction.atomic():
        referral = _lock(referral)
        _require_provider(user, referral)
        _require_accepted(referral)
        _check_date(assessed_on, today=day, not_before=referral.referred_on, field="assessed_on",
                    what="date of the assessment")
        if outcome == AssessmentOutcome.ONGOING_NEEDS:
            if support_needed_until is None:
                raise ServiceError("Enter the date support is needed until", field="support_needed_until")
            if support_needed_until <= assessed_on:
                raise ServiceError("The date support is needed until must be after the assessment",
                                   field="support_needed_until")
        else:
            support_needed_until = None
        assessment = RecoveryNeedsAssessment.objects.create(
            referral=referral, assessed_on=assessed_on, outcome=outcome, support_needed_until=support_needed_until,
            notes=notes.strip(), recorded_by=user)
        audit_record(actor=user, action="support.assessment_recorded", target=assessment, case=referral.case,
                     after={"assessed_on": assessed_on, "outcome": outcome,
                            "support_needed_until": support_needed_until})
    return assessment


def _early_end_refusal(dates: SupportDates, ended_on: date) -> str | None:
    permitted = ("the person no longer wants support, has left the UK, has moved to another provider or "
                 "service, is missing, or has died")
    keep_until = dates.must_continue_until
    if keep_until is not None and ended_on < keep_until:
        because = (f"After the positive conclusive grounds decision, the person is entitled to at least "
                   f"{(dates.move_on_until - dates.move_on_from).days} days of move-on support, until "
                   f"{dates.move_on_until.day} {dates.move_on_until:%B %Y}"
                   if dates.move_on_until and dates.move_on_from else "The person is entitled to support")
        if dates.needs_until and dates.needs_until == keep_until and keep_until != dates.move_on_until:
            because += (f", and their recovery needs assessment found ongoing needs until "
                        f"{keep_until.day} {keep_until:%B %Y}")
        return (f"You cannot end support before {keep_until.day} {keep_until:%B %Y}. {because}. Support can end "
                f"earlier only if {permitted}.")
    if dates.awaiting_conclusive_grounds:
        until = dates.recovery_period_ends_on
        period = (f" The recovery period runs until at least {until.day} {until:%B %Y}." if until else "")
        return ("You cannot end support yet: support continues until the conclusive grounds decision, and after "
                f"a positive decision for at least the move-on period.{period} Support can end earlier only if "
                f"{permitted}.")
    return None


def support_end(*, referral: SupportReferral, user: Any, ended_on: date, reason: str, details: str = "",
                today: date | None = None) -> SupportReferral:
    """The provider ends support. Before the date it must keep to, only a permitted reason will do."""
    day = today or timezone.localdate()
    details = details.strip()
    with transaction.atomic():
        referral = _lock(referral)
        _require_provider(user, referral)
        _require_accepted(referral)
        _check_date(ended_on, today=day, not_before=referral.referred_on, field="ended_on",
                    what="date support ended")
        dates = support_dates(referral)
        referral.status = next_support_state(SupportState(referral.status), SupportEvent.END, SupportFacts(
            reason=reason, details=details, negative_cg_served=dates.negative_cg_served_on is not None,
            too_early=_early_end_refusal(dates, ended_on)))
        referral.ended_on = ended_on
        referral.end_reason = reason
        referral.end_details = details
        referral.ended_by = user
        referral.save()
        for episode in referral.episodes.filter(end_date__isnull=True):
            episode.end_date = max(ended_on, episode.start_date)
            episode.save(update_fields=["end_date", "updated_at"])
        audit_record(actor=user, action="support.ended", target=referral, case=referral.case,
                     after={"ended_on": ended_on, "reason": reason,
                            "must_continue_until": dates.must_continue_until})
    return referral


def support_share_account(*, referral: SupportReferral, actor: Any) -> SupportReferral:
    """A decision maker shares the account of exploitation with the provider."""
    with transaction.atomic():
        referral = _lock(referral)
        if not is_decision_maker_for(actor, referral.case):
            raise AccessDenied("Only the competent authority can share the account of exploitation.")
        if not referral.account_shared:
            referral.account_shared = True
            referral.save(update_fields=["account_shared", "updated_at"])
            audit_record(actor=actor, action="support.account_shared", target=referral, case=referral.case)
    return referral


def support_request_reconsideration(*, referral: SupportReferral, user: Any, grounds: str) -> Any:
    """The provider asks for the negative decision on the person's case to be reconsidered; the
    cases service checks the capability table and the case's state, and records the request."""
    _require_provider(user, referral)
    return case_request_reconsideration(case=referral.case, requested_by=user, grounds=grounds)


# --- Background ----------------------------------------------------------------------------


def support_remind_ending(*, today: date | None = None) -> int:
    """Remind each provider before the date support may end (14 and 3 days before), once each."""
    day = today or timezone.localdate()
    sent = 0
    horizon = day + timedelta(days=max(REMINDER_DAYS_BEFORE))
    live = SupportReferral.objects.filter(status=SupportReferralStatus.ACCEPTED, move_on_until__isnull=False,
                                          move_on_until__gte=day).select_related("case", "provider")
    for referral in live:
        until = support_dates(referral).must_continue_until
        if until is None or until > horizon:
            continue
        days_left = (until - day).days
        due = [d for d in REMINDER_DAYS_BEFORE if days_left <= d]
        if not due:
            continue
        window = min(due)
        key = f"support-ending:{referral.pk}:{until.isoformat()}:{window}"
        if OutboxMessage.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():
            outbox_add(
                kind=MessageKind.REMINDER,
                subject=f"Support may end on {until.day} {until:%B %Y}: case {referral.case.reference}",
                body=(f"Move-on support for case {referral.case.reference} must continue until at least "
                      f"{until.day} {until:%B %Y} ({days_left} days from now). Plan the person's move on from "
                      "support, or record a recovery needs assessment if they have ongoing needs."),
                recipient_organisation=referral.provider,
                about=referral,
                dedupe_key=key,
            )
        sent += 1
    return sent


# --- The case ends ---------------------------------------------------------------------------

_CASE_END_REASON: dict[str, EndReasonCode] = {
    "withdrawn": EndReasonCode.CASE_WITHDRAWN,
    "disqualified": EndReasonCode.DISQUALIFIED,
}
_CASE_END_TEXT: dict[str, str] = {
    "withdrawn": "The competent authority has withdrawn case {ref}",
    "disqualified": ("The competent authority has disqualified the person on case {ref} on public order or bad "
                     "faith grounds (Nationality and Borders Act 2022, section 63)"),
}


def support_end_with_case(*, case: Any, outcome: str, on: date, actor: Any = None) -> list[SupportReferral]:
    """The case was withdrawn or the person disqualified: each live support referral (offered or
    accepted) ends that day for that reason, its open support ends with it, and the provider is
    told. Idempotent: referrals already ended or declined are left as they are."""
    reason = _CASE_END_REASON[outcome]
    ended: list[SupportReferral] = []
    with transaction.atomic():
        live = SupportReferral.objects.select_for_update().filter(case=case, status__in=LIVE).select_related(
            "provider")
        for referral in live:
            referral.status = next_support_state(SupportState(referral.status), SupportEvent.CASE_ENDED,
                                                 SupportFacts(reason=reason))
            referral.ended_on = max(on, referral.referred_on)
            referral.end_reason = reason.value
            referral.end_details = ""
            referral.ended_by = actor
            referral.save()
            for episode in referral.episodes.filter(end_date__isnull=True):
                episode.end_date = max(referral.ended_on, episode.start_date)
                episode.save(update_fields=["end_date", "updated_at"])
            audit_record(actor=actor, action="support.ended_with_case", target=referral, case=case,
                         after={"ended_on": referral.ended_on, "reason": reason.value})
            outbox_add(
                kind=MessageKind.SUPPORT,
                subject=f"Support ended: case {case.reference}",
                body=(f"{_CASE_END_TEXT[outcome].format(ref=case.reference)}. Support under the National Referral "
                      f"Mechanism for this person ended on {referral.ended_on:%d %B %Y}. Agree the person's exit "
                      "from support with them."),
                recipient_organisation=referral.provider,
                about=referral,
                dedupe_key=f"support-case-ended:{referral.pk}",
            )
            ended.append(referral)
    return ended


# --- Hook receivers (connected in apps.py) ----------------------------------------------------


def on_case_ended(event: CaseEvent) -> None:
    support_end_with_case(case=event.case, outcome=event.outcome, on=event.on, actor=event.actor)



def on_decision_served(event: DecisionEvent) -> None:
    decision = event.decision
    case = decision.case
    if decision.outcome != "positive":
        if decision.stage == "CG":
            support_negative_cg_served(case=case, served_on=event.on)
        return
    if decision.stage == "RG":
        support_referral_open(case=case, opened_on=event.on, rg_date=decision.decided_on, actor=event.actor)
    elif decision.stage == "CG":
        support_move_on_start(case=case, cg_date=decision.decided_on, served_on=event.on, actor=event.actor)
