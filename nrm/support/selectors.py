"""Reading support. A support provider sees only the people referred to it, and of each only
what it needs to support them: who they are, how to reach them safely, the language they speak
and the dates it must keep to. Never the decision reasoning; the account of exploitation only
once the competent authority has shared it. Anything else is "not found"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, QuerySet, Value, When
from django.http import Http404

from nrm.cases.access import case_capabilities
from nrm.cases.actions import RECONSIDERATION, actions_for
from nrm.cases.lifecycle import State as CaseState
from nrm.referrals.answers import ORGANISATION_ROW, AnswerSection, referral_answer_rows
from nrm.referrals.answers import person_name as answers_person_name
from nrm.referrals.selectors import reference_or_name_q
from nrm.support.access import support_provider_organisations
from nrm.support.models import (
    AssessmentOutcome,
    ProviderType,
    RecoveryNeedsAssessment,
    SupportEpisode,
    SupportKind,
    SupportReferral,
    SupportReferralStatus,
)

# The referral's questions a provider sees (by the journey's field names), and those it sees
# only once the account of exploitation is shared with it.
PROVIDER_FIELDS: tuple[str, ...] = (
    "first_names", "last_name", "other_names", "dob", "estimated_age", "gender", "nationalities",
    "language", "other_languages", "interpreter", "interpreter_details",
    "safe_contact", "contact_address", "contact_phone", "contact_email", "safety_risk",
    "fr_name", "fr_job_title", "fr_email", "fr_phone",
)
SHARED_ACCOUNT_FIELDS: tuple[str, ...] = ("exploitation_types", "other_exploitation", "account")


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such person") from None


def can_provide_support(user: Any) -> bool:
    return bool(support_provider_organisations(user))


def support_referrals_for(user: Any) -> QuerySet[SupportReferral]:
    """The support referrals made to the user's support-provider organisations."""
    organisations = support_provider_organisations(user)
    if not organisations:
        return SupportReferral.objects.none()
    return (SupportReferral.objects.filter(provider__in=organisations)
            .select_related("case", "case__referral", "case__referral__data_key", "provider"))


# The provider's list: who is supported now (new referrals first), and whose support has ended.
LIST_GROUPS: dict[str, tuple[str, tuple[SupportReferralStatus, ...]]] = {
    "current": ("New and current", (SupportReferralStatus.OFFERED, SupportReferralStatus.ACCEPTED)),
    "ended": ("Ended or declined", (SupportReferralStatus.DECLINED, SupportReferralStatus.ENDED)),
}


def support_list_for(user: Any, *, group: str = "current", search: str = "") -> QuerySet[SupportReferral]:
    """The user's organisations' support referrals in one stable order: new referrals first, then
    the newest referred, ties broken by id. A search looks through every group (a reference names
    one person, whatever their support's stage); without one, only ``group``."""
    referrals = support_referrals_for(user)
    if search:
        referrals = referrals.filter(reference_or_name_q(search, rows=referrals, referral="case__referral__",
                                                         reference="case__reference"))
    else:
        referrals = referrals.filter(status__in=LIST_GROUPS.get(group, LIST_GROUPS["current"])[1])
    first = SqlCase(When(status=SupportReferralStatus.OFFERED, then=Value(0)), default=Value(1),
                 output_field=IntegerField())
    return referrals.order_by(first, "-referred_on", "-created_at", "-id")


def support_list_counts(user: Any) -> dict[str, int]:
    """How many referrals each group of the list holds, and how many wait for an answer (``offered``)."""
    referrals = support_referrals_for(user)
    counts = {key: referrals.filter(status__in=statuses).count() for key, (_, statuses) in LIST_GROUPS.items()}
    return {**counts, "offered": referrals.filter(status=SupportReferralStatus.OFFERED).count()}


def support_referral_get_for(user: Any, referral_id: Any) -> SupportReferral:
    referral = support_referrals_for(user).filter(pk=_uuid(referral_id)).first()
    if referral is None:
        raise Http404("No such person")
    return referral


def episode_get_for(user: Any, referral: SupportReferral, episode_id: Any) -> SupportEpisode:
    episode = SupportEpisode.objects.filter(referral=referral, pk=_uuid(episode_id)).first()
    if episode is None or not support_referrals_for(user).filter(pk=referral.pk).exists():
        raise Http404("No such support")
    return episode


# --- The dates a provider must keep to --------------------------------------------------


@dataclass(frozen=True)
class SupportDates:
    """The dates a provider must keep to, and why."""

    recovery_period_ends_on: date | None
    move_on_from: date | None
    move_on_until: date | None
    needs_until: date | None  # from the latest recovery needs assessment with ongoing needs
    negative_cg_served_on: date | None

    @property
    def must_continue_until(self) -> date | None:
        """The earliest date support may end without a permitted reason; ``None`` when support
        continues until the conclusive grounds decision (no date yet) or need not continue."""
        if self.negative_cg_served_on is not None:
            return None
        if self.move_on_until is None:
            return None
        return max(d for d in (self.move_on_until, self.needs_until) if d is not None)

    @property
    def awaiting_conclusive_grounds(self) -> bool:
        return self.move_on_until is None and self.negative_cg_served_on is None


def _served_cg(case: Any) -> Any:
    from nrm.cases.models import DecisionStatus, Stage

    return case.decisions.filter(stage=Stage.CG, status=DecisionStatus.SERVED).order_by(
        "-decided_on", "-created_at").first()


def support_dates(referral: SupportReferral) -> SupportDates:
    latest_cg = _served_cg(referral.case)
    negative_on = None
    if latest_cg is not None and latest_cg.outcome == "negative":
        negative_on = latest_cg.served_on or latest_cg.decided_on
    needs = referral.assessments.filter(outcome=AssessmentOutcome.ONGOING_NEEDS,
                                        support_needed_until__isnull=False).order_by("-assessed_on",
                                                                                     "-created_at").first()
    return SupportDates(
        recovery_period_ends_on=referral.recovery_period_ends_on,
        move_on_from=referral.move_on_from,
        move_on_until=referral.move_on_until,
        needs_until=needs.support_needed_until if needs else None,
        negative_cg_served_on=negative_on,
    )


# --- What the provider sees of the person ----------------------------------------------------


@dataclass(frozen=True)
class PersonSummary:
    name: str
    is_child: bool
    reference: str
    sections: list[AnswerSection]  # who referred, who the person is, how to reach them safely
    account_shared: bool
    account: list[AnswerSection]


def person_name(referral: Any) -> str:
    return answers_person_name(referral, missing="Name not known") or "Name not known"


def person_summary(support_referral: SupportReferral, *, reader: Any) -> PersonSummary:
    """Only the questions a provider needs; the account of exploitation only if it was shared."""
    case = support_referral.case
    referral = case.referral
    return PersonSummary(
        name=person_name(referral),
        is_child=case.is_child,
        reference=case.reference,
        sections=referral_answer_rows(referral, reader=reader, fields=(ORGANISATION_ROW, *PROVIDER_FIELDS)),
        account_shared=support_referral.account_shared,
        account=(referral_answer_rows(referral, reader=reader, fields=SHARED_ACCOUNT_FIELDS)
                 if support_referral.account_shared else []),
    )


def may_ask_reconsideration(user: Any, referral: SupportReferral) -> bool:
    """Whether the person's page offers to ask for the case's decision to be reconsidered: what
    ``actions_for`` offers this user on the case (the capability table, and a served negative
    decision)."""
    case = referral.case
    return RECONSIDERATION in actions_for(CaseState(case.state), case_capabilities(user, case))


def support_episodes(referral: SupportReferral) -> list[SupportEpisode]:
    return list(referral.episodes.order_by("start_date", "created_at"))


def support_assessments(referral: SupportReferral) -> list[RecoveryNeedsAssessment]:
    return list(referral.assessments.order_by("assessed_on", "created_at"))


def support_for_case(case: Any) -> QuerySet[SupportReferral]:
    """Support referrals of a case, newest first, for the competent authority's case page.
    Callers must already have scoped ``case`` to the user."""
    return SupportReferral.objects.filter(case=case).select_related("provider").order_by("-referred_on",
                                                                                         "-created_at")


# --- Analytical extract --------------------------------------------------------------------

_ASSESSMENT_KIND = "Recovery needs assessment"


def support_extract_rows(
    *,
    as_of: date | None = None,
    referral_id: Callable[[Any], str] | None = None,
) -> list[dict[str, Any]]:
    """Support episodes and recovery needs assessments, shaped like
    ``nrm.analytics.extract_schema.SUPPORT``. ``as_of`` leaves out what started after that date and
    end dates after it; ``referral_id(case)`` gives the id the referrals table uses."""
    ident = referral_id or (lambda case: str(case.referral_id))
    rows: list[dict[str, Any]] = []
    episodes = SupportEpisode.objects.select_related("referral", "referral__case").order_by("start_date",
                                                                                             "created_at")
    for episode in episodes:
        if as_of is not None and episode.start_date > as_of:
            continue
        end = episode.end_date if episode.end_date and (as_of is None or episode.end_date <= as_of) else None
        rows.append({
            "referral_id": ident(episode.referral.case),
            "kind": SupportKind(episode.kind).label,
            "provider_type": ProviderType(episode.referral.provider_type).label,
            "start_date": episode.start_date,
            "end_date": end,
            "outcome": None,
        })
    assessments = RecoveryNeedsAssessment.objects.select_related("referral", "referral__case").order_by(
        "assessed_on", "created_at")
    for assessment in assessments:
        if as_of is not None and assessment.assessed_on > as_of:
            continue
        rows.append({
            "referral_id": ident(assessment.referral.case),
            "kind": _ASSESSMENT_KIND,
            "provider_type": ProviderType(assessment.referral.provider_type).label,
            "start_date": assessment.assessed_on,
            "end_date": assessment.assessed_on,
            "outcome": AssessmentOutcome(assessment.outcome).label,
        })
    return rows
