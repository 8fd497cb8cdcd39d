"""Reading cases: every page and endpoint gets its rows from here, scoped to the user.

Deny by default: staff of a competent authority see that authority's cases only (SCA or
IECA, never both unless they belong to both); first responders see their own organisation's
referrals; everyone else sees nothing. A case that is not visible is a 404, never a 403, so
its existence is not revealed.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from nrm.accounts.capabilities import Capability
from nrm.accounts.models import User
from nrm.audit.models import AuditEvent
from nrm.audit.selectors import audit_events_for_case
from nrm.cases import access, stages
from nrm.cases.lifecycle import State
from nrm.cases.models import (
    Case,
    CaseNote,
    Decision,
    DecisionLetter,
    DecisionStatus,
    DisqualificationRequest,
    DisqualificationRequestStatus,
    InformationRequest,
    InformationRequestStatus,
    Outcome,
    ReconsiderationRequest,
    Stage,
    StatusChange,
)
from nrm.cases.stages import QueueStage
from nrm.core import rules
from nrm.core.crypto import is_sealed_text
from nrm.core.input import shown_back
from nrm.core.sealing import open_from_audit
from nrm.core.workdays import add_working_days
from nrm.notify.models import MessageKind, OutboxMessage
from nrm.reference.models import Organisation
from nrm.referrals.evidence import EvidenceFile, evidence_file

PAGE_SIZE = 25
COUNT_CAP = 1000

# ---------------------------------------------------------------------------------------------
# Visibility
# ---------------------------------------------------------------------------------------------


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see. Competent authority staff: their authority's cases; first
    responders: their organisation's referrals; anyone else: none."""
    scope = Q(pk__in=[])
    deciding = _deciding_scope(user)
    if deciding is not None:
        scope |= deciding
    organisations = access.first_responder_organisation_ids(user)
    if organisations:
        scope |= Q(first_responder_organisation_id__in=sorted(organisations, key=str))
    if deciding is None and not organisations:
        return Case.objects.none()
    return Case.objects.filter(scope)


def _deciding_scope(user: Any) -> Q | None:
    """The cases ``user`` works as a decision maker: their competent authority's, except those a
    children's decision panel decides, and their panel's; None for someone who decides none."""
    authorities = sorted(access.competent_authorities_for(user))
    panels = sorted(access.decision_panels_for(user), key=str)
    if not authorities and not panels:
        return None
    scope = Q(pk__in=[])
    if authorities:
        scope |= Q(competent_authority__in=authorities, decision_panel__isnull=True)
    if panels:
        scope |= Q(decision_panel_id__in=panels)
    return scope


def case_get_for(user: Any, case_id: Any) -> Case:
    """The case if ``user`` may see it; Http404 otherwise (including for a malformed id)."""
    try:
        pk = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except (TypeError, ValueError):
        raise Http404("No such case") from None
    case = (cases_visible_to(user)
            .select_related("referral", "referral__data_key", "first_responder_organisation", "decision_panel",
                            "allocated_to",
                            "last_decision_maker")
            .filter(pk=pk).first())
    if case is None:
        raise Http404("No such case")
    return case


def case_evidence(case: Case) -> list[EvidenceFile]:
    """The files the first responder attached to the referral, oldest first. Callers must
    already have scoped ``case`` to the user (``case_get_for``)."""
    return [evidence_file(a) for a in case.referral.attachments.order_by("created_at")]


def case_evidence_get_for(user: Any, case_id: Any, attachment_id: Any) -> tuple[Case, Any]:
    """The case and one of its evidence files, for anyone who may see the case; Http404 otherwise."""
    case = case_get_for(user, case_id)
    try:
        pk = attachment_id if isinstance(attachment_id, uuid.UUID) else uuid.UUID(str(attachment_id))
    except (TypeError, ValueError):
        raise Http404("No such file") from None
    attachment = case.referral.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404("No such file")
    return case, attachment


def allocated_to_other(case: Case, user: Any) -> str:
    """The name of the caseworker ``case`` is allocated to, when that is not ``user``: deciding such a
    case takes an explicit confirmation, on the decision page and over the API alike."""
    allocated = case.allocated_to
    if allocated is None or allocated.pk == user.pk:
        return ""
    return allocated.full_name or allocated.email


def case_view_mode(user: Any, case: Case) -> str:
    """How ``user`` sees a visible case: 'authority' (full casework view) or 'first_responder'."""
    if access.is_decision_maker_for(user, case):
        return "authority"
    if access.is_first_responder_for(user, case):
        return "first_responder"
    raise Http404("No such case")


def information_request_get_for(user: Any, case: Case, request_id: Any) -> InformationRequest:
    try:
        pk = uuid.UUID(str(request_id))
    except ValueError:
        raise Http404("No such request") from None
    requests = InformationRequest.objects.filter(case=case, pk=pk)
    if not access.is_decision_maker_for(user, case):
        requests = requests.filter(addressed_to_id__in=access.first_responder_organisation_ids(user))
    found = requests.select_related("case", "requested_by", "answered_by", "addressed_to").first()
    if found is None:
        raise Http404("No such request")
    return found


def letter_get_for(user: Any, case: Case, letter_id: Any) -> DecisionLetter:
    try:
        pk = uuid.UUID(str(letter_id))
    except ValueError:
        raise Http404("No such letter") from None
    letters = DecisionLetter.objects.filter(decision__case=case, pk=pk)
    if not access.is_decision_maker_for(user, case):
        letters = letters.filter(recipient_organisation_id__in=access.first_responder_organisation_ids(user))
    found = letters.select_related("decision").first()
    if found is None:
        raise Http404("No such letter")
    return found


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------

RG_DUE_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Any"),
    ("overdue", "Overdue"),
    ("today", "Due today"),
    ("soon", "Due in 1 or 2 working days"),
    ("later", "Due in 3 or more working days"),
)
AGE_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Any"),
    ("under_1w", "Less than 1 week"),
    ("1w_1m", "1 week to 1 month"),
    ("1m_3m", "1 to 3 months"),
    ("3m_12m", "3 to 12 months"),
    ("over_12m", "More than 12 months"),
)
# (newest received_on allowed is today - min_days; oldest is today - max_days)
_AGE_DAYS: dict[str, tuple[int, int | None]] = {
    "under_1w": (0, 7),
    "1w_1m": (7, 30),
    "1m_3m": (30, 91),
    "3m_12m": (91, 365),
    "over_12m": (365, None),
}
CHILD_CHOICES: tuple[tuple[str, str], ...] = (("", "Any"), ("yes", "Child"), ("no", "Adult"))


@dataclass(frozen=True)
class QueueFilters:
    stage: QueueStage = QueueStage.OPEN
    child: str = ""  # "", "yes", "no"
    safety_risk: bool = False
    rg_due: str = ""  # a key of RG_DUE_CHOICES
    age: str = ""  # a key of AGE_CHOICES
    allocation: str = ""  # "", "me", "unallocated" or a caseworker's id
    reference: str = ""

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        """Read filters from a GET query; anything unrecognised is ignored (never an error)."""
        try:
            stage = QueueStage(query.get("stage", QueueStage.OPEN.value) or QueueStage.OPEN.value)
        except ValueError:
            stage = QueueStage.OPEN
        child = query.get("child", "")
        rg_due = query.get("rg_due", "")
        age = query.get("age", "")
        allocation = query.get("allocation", "")
        if allocation not in {"", "me", "unallocated"}:
            try:
                allocation = str(uuid.UUID(allocation))
            except ValueError:
                allocation = ""
        return cls(
            stage=stage,
            child=child if child in {"yes", "no"} else "",
            safety_risk=query.get("safety_risk", "") == "yes",
            rg_due=rg_due if rg_due in dict(RG_DUE_CHOICES) else "",
            age=age if age in _AGE_DAYS else "",
            allocation=allocation,
            # A character no reference holds (NUL) becomes U+FFFD: no match, shown back as typed.
            reference=shown_back((query.get("reference", "") or "").strip()[:20]),
        )

    def as_query(self) -> dict[str, str]:
        query = {
            "stage": self.stage.value if self.stage != QueueStage.OPEN else "",
            "child": self.child,
            "safety_risk": "yes" if self.safety_risk else "",
            "rg_due": self.rg_due,
            "age": self.age,
            "allocation": self.allocation,
            "reference": self.reference,
        }
        return {k: v for k, v in query.items() if v}


@dataclass(frozen=True)
class QueueRow:
    case: Case
    age_days: int
    rg: RgTarget | None  # where it stands against its RG target; None once the RG decision has been made


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    previous_cursor: str | None
    matching: int  # capped at COUNT_CAP + 1
    competent_authorities: tuple[str, ...]
    decision_panels: tuple[str, ...] = ()  # the names of the children's decision panels the user sits on

    @property
    def matching_text(self) -> str:
        if self.matching > COUNT_CAP:
            return f"More than {COUNT_CAP:,} cases"
        return f"{self.matching:,} {'case' if self.matching == 1 else 'cases'}"


def _cursor_encode(case: Case) -> str:
    return f"{case.rg_target_date.isoformat()}~{case.pk}"


def _cursor_decode(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        day, pk = cursor.split("~", 1)
        return date.fromisoformat(day), uuid.UUID(pk)
    except ValueError:
        return None


def _rg_due_condition(rg_due: str, today: date) -> Q:
    soon = add_working_days(today, 2)
    return {
        "overdue": Q(rg_target_date__lt=today),
        "today": Q(rg_target_date=today),
        "soon": Q(rg_target_date__gt=today, rg_target_date__lte=soon),
        "later": Q(rg_target_date__gt=soon),
    }[rg_due]


def _age_condition(age: str, today: date) -> Q:
    low, high = _AGE_DAYS[age]
    newest = today - timedelta(days=low)
    condition = Q(received_on__lte=newest)
    if high is not None:
        oldest = today - timedelta(days=high)
        # The RG target is never before the day the referral was received, so this bound is
        # implied; it lets the index on the target date start where the band starts.
        condition &= Q(received_on__gt=oldest, rg_target_date__gt=oldest)
    return condition


def _allocation_condition(allocation: str, user: Any) -> Q:
    if allocation == "me":
        return Q(allocated_to=user)
    if allocation == "unallocated":
        return Q(allocated_to__isnull=True)
    return Q(allocated_to_id=allocation)


def _queue_queryset(user: Any, filters: QueueFilters, *, today: date) -> QuerySet[Case]:
    deciding = _deciding_scope(user)
    if deciding is None:
        return Case.objects.none()
    conditions = deciding
    if filters.reference:
        # A reference names one case: it is found whatever its stage, closed cases included,
        # and the other filters do not hide it.
        references = sorted({filters.reference, filters.reference.upper()})
        return Case.objects.filter(conditions & Q(reference__in=references))
    states: tuple[State, ...] = filters.stage.states
    if filters.rg_due:
        # A target date only matters while the reasonable grounds decision is awaited.
        states = tuple(s for s in states if s in stages.RG_SIDE)
        conditions &= _rg_due_condition(filters.rg_due, today)
    if not states:
        return Case.objects.none()
    conditions &= Q(state__in=stages.state_values(states))
    if filters.child:
        conditions &= Q(is_child=filters.child == "yes")
    if filters.safety_risk:
        conditions &= Q(safety_risk=True)
    if filters.age:
        conditions &= _age_condition(filters.age, today)
    if filters.allocation:
        conditions &= _allocation_condition(filters.allocation, user)
    return Case.objects.filter(conditions)


def case_queue(user: Any, filters: QueueFilters, *, after: str | None = None, before: str | None = None,
               page_size: int = PAGE_SIZE, today: date | None = None) -> QueuePage:
    """One page of the user's competent authority's queue, oldest RG target first.

    Keyset pagination on (rg_target_date, id): ``after``/``before`` are cursors from a previous
    page; the cost of a page does not grow with how far into the queue it is.
    """
    day = today or timezone.localdate()
    base = _queue_queryset(user, filters, today=day)
    page = base.select_related("allocated_to").only(
        "id", "reference", "competent_authority", "state", "is_child", "safety_risk", "received_on",
        "rg_target_date", "nation", "rg_date", "allocated_to__id", "allocated_to__full_name",
        "allocated_to__email",
    )
    after_key = _cursor_decode(after)
    before_key = _cursor_decode(before) if not after_key else None
    if before_key:
        d, pk = before_key
        page = page.filter(rg_target_date__lte=d).filter(Q(rg_target_date__lt=d) | Q(id__lt=pk))
        found = list(page.order_by("-rg_target_date", "-id")[: page_size + 1])
        has_more_before = len(found) > page_size
        cases = list(reversed(found[:page_size]))
        has_more_after = True
    else:
        if after_key:
            d, pk = after_key
            page = page.filter(rg_target_date__gte=d).filter(Q(rg_target_date__gt=d) | Q(id__gt=pk))
        found = list(page.order_by("rg_target_date", "id")[: page_size + 1])
        has_more_after = len(found) > page_size
        cases = found[:page_size]
        has_more_before = after_key is not None
    matching = base.order_by()[: COUNT_CAP + 1].count()
    rows = [
        QueueRow(
            case=c,
            age_days=(day - c.received_on).days,
            rg=case_rg_target(c, (), today=day) if State(c.state) in stages.RG_SIDE else None,
        )
        for c in cases
    ]
    return QueuePage(
        rows=rows,
        next_cursor=_cursor_encode(cases[-1]) if cases and has_more_after else None,
        previous_cursor=_cursor_encode(cases[0]) if cases and has_more_before else None,
        matching=matching,
        competent_authorities=tuple(sorted(access.competent_authorities_for(user))),
        decision_panels=tuple(sorted(Organisation.objects.filter(pk__in=access.decision_panels_for(user))
                                     .values_list("name", flat=True))),
    )


def caseworkers_for(user: Any) -> list[User]:
    """Staff of the user's competent authorities: who cases can be allocated to."""
    slugs = [slug for slug, code in access.COMPETENT_AUTHORITY_BY_SLUG.items()
             if code in access.competent_authorities_for(user)]
    slugs += list(Organisation.objects.filter(pk__in=access.decision_panels_for(user))
                  .values_list("slug", flat=True))
    if not slugs:
        return []
    today = timezone.localdate()
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation__slug__in=slugs,
            memberships__role__name__in=[str(r) for r in access.DECISION_MAKER_ROLES],
            memberships__starts_on__lte=today,
        ).filter(Q(memberships__ends_on__isnull=True) | Q(memberships__ends_on__gt=today))
        .distinct().order_by("full_name", "email")
    )


# ---------------------------------------------------------------------------------------------
# First responders
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferredPage:
    cases: list[Case]
    next_cursor: str | None


def cases_referred_by(user: Any, *, after: str | None = None, page_size: int = PAGE_SIZE) -> ReferredPage:
    """The cases of the user's first-responder organisations, newest first."""
    organisations = sorted(access.first_responder_organisation_ids(user), key=str)
    if not organisations:
        return ReferredPage([], None)
    qs = Case.objects.filter(first_responder_organisation_id__in=organisations).select_related(
        "first_responder_organisation")
    key = None
    if after:
        try:
            day, pk = after.split("~", 1)
            key = (date.fromisoformat(day), uuid.UUID(pk))
        except ValueError:
            key = None
    if key:
        qs = qs.filter(received_on__lte=key[0]).filter(Q(received_on__lt=key[0]) | Q(id__lt=key[1]))
    found = list(qs.order_by("-received_on", "-id")[: page_size + 1])
    cases = found[:page_size]
    next_cursor = f"{cases[-1].received_on.isoformat()}~{cases[-1].pk}" if len(found) > page_size else None
    return ReferredPage(cases, next_cursor)


def information_requests_for(user: Any, *, open_only: bool = True) -> QuerySet[InformationRequest]:
    """Requests for information addressed to the user's first-responder organisations."""
    organisations = access.first_responder_organisation_ids(user)
    requests = InformationRequest.objects.filter(addressed_to_id__in=sorted(organisations, key=str))
    if open_only:
        requests = requests.filter(status=InformationRequestStatus.OPEN)
    return requests.select_related("case", "addressed_to").order_by("due_on", "created_at")


# ---------------------------------------------------------------------------------------------
# The case page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: Any
    actor: str
    action: str
    text: str


TIMELINE_TEXT: dict[str, str] = {
    "case.opened": "Case opened from the referral",
    "case.routed": "Case placed in the competent authority's queue",
    "case.allocated": "Case allocated",
    "case.unallocated": "Case unallocated",
    "case.rg_decision_recorded": "Reasonable grounds decision recorded",
    "case.cg_decision_recorded": "Conclusive grounds decision recorded",
    "case.review_concluded": "Review of the negative decision concluded",
    "case.recovery_period_ended": "Recovery period ended: awaiting conclusive grounds decision",
    "case.reconsideration_requested": "Reconsideration requested",
    "case.withdrawn": "Case withdrawn",
    "case.suspended": "Case suspended",
    "case.reactivated": "Case reactivated",
    "case.disqualified": "Disqualified on public order or bad faith grounds",
    "case.closed": "Case closed",
    "case_note.added": "Note added",
    "information_request.sent": "Request for further information sent",
    "information_request.answered": "Request for further information answered",
    "information_request.closed": "Request for further information closed without an answer",
    "review.opened": "Review opened",
    "review.concluded": "Review outcome recorded",
}


def _reason_text(case: Case, reason: str) -> str:
    """A reason as the audit log holds it: sealed under the person's data key (opened here, or
    "Erased" once the key is destroyed), or plain in events recorded before sealing."""
    return open_from_audit(case.referral, reason) if is_sealed_text(reason) else reason


def _timeline_text(event: AuditEvent, case: Case, names: dict[str, str]) -> str:
    text = TIMELINE_TEXT.get(event.action) or event.action.replace(".", ": ").replace("_", " ").capitalize()
    after = event.after or {}
    details = []
    if "outcome" in after and "stage" in after:
        details.append(f"{after['outcome']} {after['stage']}")
    if after.get("status") and event.action.startswith("case.") and "decision" in after:
        details.append(str(dict(DecisionStatus.choices).get(after["status"], after["status"])).lower())
    if "agree" in after:
        details.append("agreed" if after["agree"] else "sent back for a fresh decision")
    allocated_to = names.get(str(after.get("allocated_to"))) or after.get("allocated_to_name")  # older events
    if allocated_to:
        details.append(f"to {allocated_to}")
    if after.get("reason") and event.action in {"case.withdrawn", "case.suspended", "case.reactivated",
                                                "case.disqualified", "case.closed"}:
        details.append(f"reason: {_reason_text(case, str(after['reason']))}")
    if after.get("state") and event.action not in {"case.allocated", "case.unallocated"}:
        try:
            details.append(f"now '{State(after['state']).label}'")
        except ValueError:
            pass
    return text + (" (" + "; ".join(details) + ")" if details else "")


def case_timeline(case: Case, *, limit: int = 200) -> list[TimelineEntry]:
    """Every recorded change to the case, newest first (views are audited but not listed here)."""
    events = list(audit_events_for_case(case).exclude(action="case.viewed").only(
        "occurred_at", "actor", "actor_label", "action", "after").order_by("-id")[:limit])
    names = _user_names({str(e.actor_id) for e in events if e.actor_id}
                        | {str((e.after or {}).get("allocated_to")) for e in events})
    return [TimelineEntry(e.occurred_at, _actor_shown(e, names), e.action, _timeline_text(e, case, names))
            for e in events]


def _user_names(ids: set[str]) -> dict[str, str]:
    """Display names of the accounts with these ids, read now: the audit log holds only the ids."""
    valid = {i for i in ids if _is_uuid(i)}
    return {str(pk): name or email for pk, name, email in
            User.objects.filter(pk__in=valid).values_list("pk", "full_name", "email")}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _actor_shown(event: AuditEvent, names: dict[str, str]) -> str:
    if event.actor_id:
        return names.get(str(event.actor_id), "A former user")
    return event.actor_label


@dataclass(frozen=True)
class RgTarget:
    """Where a case stands against its RG target, in the target's own days (working days for the
    competent authority, calendar days for a children's decision panel: ``rules.rg_target_rule``)."""

    target_date: date
    target_days: int
    unit: str  # "working days" or "days"
    decided_on: date | None
    days_taken: int | None
    days_left: int | None

    @property
    def within_target(self) -> bool | None:
        if self.days_taken is None:
            return None
        return self.days_taken <= self.target_days

    def _days(self, n: int) -> str:
        return f"{n} {self.unit[:-1] if n == 1 else self.unit}"

    @property
    def text(self) -> str:
        if self.days_taken is not None:
            verdict = "within the target" if self.within_target else (
                f"{self._days(self.days_taken - self.target_days)} over the target")
            return f"Decided in {self._days(self.days_taken)}: {verdict}"
        assert self.days_left is not None
        if self.days_left < 0:
            return f"Overdue by {self._days(-self.days_left)}"
        if self.days_left == 0:
            return "Due today"
        return f"{self._days(self.days_left)} left"


def case_rg_target(case: Case, decisions: Sequence[Decision], *, today: date | None = None) -> RgTarget:
    from nrm.core.rules import rg_target_rule

    first_rg = next((d for d in decisions if d.stage == Stage.RG), None)
    rule = rg_target_rule(referred_on=case.received_on, decided_by_panel=case.decision_panel_id is not None)
    if first_rg is not None:
        taken = rule.taken(case.received_on, first_rg.decided_on, case.nation)
        return RgTarget(case.rg_target_date, rule.days, rule.unit, first_rg.decided_on, taken, None)
    day = today or timezone.localdate()
    return RgTarget(case.rg_target_date, rule.days, rule.unit, None, None,
                    rule.taken(day, case.rg_target_date, case.nation))


@dataclass
class CaseDetail:
    case: Case
    mode: str  # 'authority' or 'first_responder'
    decisions: list[Decision]
    information_requests: list[InformationRequest]
    notes: list[CaseNote] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)
    reconsiderations: list[ReconsiderationRequest] = field(default_factory=list)
    contributions: list[Any] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    rg_target: RgTarget | None = None
    recovery_period_ends: date | None = None
    support: list[CaseSupport] = field(default_factory=list)
    disqualification_requests: list[DisqualificationRequest] = field(default_factory=list)
    guardian: ChildGuardian | None = None


@dataclass(frozen=True)
class ChildGuardian:
    """The guardian service a child's referral was sent to (ADR 0028), and where that stands."""

    service: str
    notified_on: date
    acknowledged_on: date | None

    @property
    def text(self) -> str:
        told = f"{self.service}, told on {self.notified_on.day} {self.notified_on:%B %Y}"
        if self.acknowledged_on:
            return f"{told}; acknowledged on {self.acknowledged_on.day} {self.acknowledged_on:%B %Y}"
        return f"{told}; not acknowledged yet"


def case_guardian(case: Case) -> ChildGuardian | None:
    """The guardian service told of the child's referral, if one covers where the child lives."""
    message = (OutboxMessage.objects.filter(kind=MessageKind.GUARDIAN, about_type="referrals.Referral",
                                            about_id=case.referral_id)
               .select_related("recipient_organisation").order_by("created_at").first())
    if message is None or message.recipient_organisation is None:
        return None
    acknowledged = message.acknowledged_at
    return ChildGuardian(service=message.recipient_organisation.name,
                         notified_on=timezone.localdate(message.created_at),
                         acknowledged_on=timezone.localdate(acknowledged) if acknowledged else None)


@dataclass(frozen=True)
class CaseSupport:
    """One support referral of the case, as the competent authority's case page shows it."""

    provider: str
    status: str
    live: bool
    referred_on: date
    recovery_period_ends_on: date | None
    move_on_until: date | None
    ended_on: date | None
    end_reason: str


_LIVE_SUPPORT = ("offered", "accepted")


def case_support(case: Case) -> list[CaseSupport]:
    """The case's support referrals, newest first: who supports the person, and where support stands."""
    referrals = (getattr(case, access.SUPPORT_RELATION).select_related("provider")
                 .order_by("-referred_on", "-created_at"))
    return [CaseSupport(
        provider=str(r.provider), status=r.get_status_display(), live=r.status in _LIVE_SUPPORT,
        referred_on=r.referred_on, recovery_period_ends_on=r.recovery_period_ends_on, move_on_until=r.move_on_until,
        ended_on=r.ended_on, end_reason=r.get_end_reason_display() if r.end_reason else "",
    ) for r in referrals]


def open_disqualification_request(case: Case) -> DisqualificationRequest | None:
    """The case's public order disqualification request that waits for a decision, if any."""
    return (DisqualificationRequest.objects.filter(case=case, status=DisqualificationRequestStatus.REQUESTED)
            .select_related("raised_by").first())


def recovery_period_end(case: Case) -> date | None:
    """The first day a conclusive grounds decision may be made, or None with no positive RG."""
    if case.rg_date is None or case.recovery_period_days is None:
        return None
    return rules.recovery_period(rg_date=case.rg_date, days=case.recovery_period_days).end


def case_detail(user: Any, case: Case, *, today: date | None = None) -> CaseDetail:
    """Everything the case page shows, scoped to what ``user`` may see of it."""
    mode = case_view_mode(user, case)
    letters = DecisionLetter.objects.only("id", "decision_id", "recipient_name", "recipient_organisation_id",
                                          "recipient_email", "created_at")
    if mode == "first_responder":
        letters = letters.filter(recipient_organisation_id=case.first_responder_organisation_id)
    decisions_qs = (Decision.objects.filter(case=case).select_related("decided_by", "reviewed_by")
                    .prefetch_related("reasons", Prefetch("letters", queryset=letters)))
    if mode == "first_responder":
        decisions_qs = decisions_qs.filter(status__in=[DecisionStatus.SERVED, DecisionStatus.RECONSIDERED])
    decisions = list(decisions_qs.order_by("decided_on", "created_at"))
    requests_qs = InformationRequest.objects.filter(case=case).select_related(
        "requested_by", "answered_by", "closed_by", "addressed_to")
    if mode == "first_responder":
        requests_qs = requests_qs.filter(addressed_to_id__in=access.first_responder_organisation_ids(user))
    detail = CaseDetail(
        case=case,
        mode=mode,
        decisions=decisions,
        information_requests=list(requests_qs.order_by("created_at")),
        status_changes=list(StatusChange.objects.filter(case=case).select_related("actor").order_by("created_at")),
        reconsiderations=list(ReconsiderationRequest.objects.filter(case=case)
                              .select_related("requested_by", "requested_by_organisation")),
        rg_target=case_rg_target(case, decisions, today=today),
        recovery_period_ends=recovery_period_end(case),
        guardian=case_guardian(case) if case.is_child else None,
    )
    if mode == "authority":
        detail.notes = list(CaseNote.objects.filter(case=case).select_related("author").order_by("-created_at"))
        detail.contributions = list(case.referral.contributions.all().order_by("created_at"))
        detail.timeline = case_timeline(case)
        detail.support = case_support(case)
        detail.disqualification_requests = list(DisqualificationRequest.objects.filter(case=case).select_related(
            "raised_by", "decided_by").order_by("raised_on", "created_at"))
    return detail


# ---------------------------------------------------------------------------------------------
# The seniors' dashboard
# ---------------------------------------------------------------------------------------------

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Under 2 weeks", 0, 14),
    ("2 weeks to 1 month", 14, 30),
    ("1 to 3 months", 30, 91),
    ("3 to 6 months", 91, 182),
    ("6 to 12 months", 182, 365),
    ("Over 1 year", 365, None),
)
BACKLOG_RG: tuple[State, ...] = stages.RG_SIDE
BACKLOG_CG: tuple[State, ...] = stages.CG_SIDE


@dataclass(frozen=True)
class BacklogBand:
    label: str
    awaiting_rg: int
    awaiting_cg: int


@dataclass(frozen=True)
class Backlog:
    bands: list[BacklogBand]
    suspended: int

    @property
    def awaiting_rg(self) -> int:
        return sum(b.awaiting_rg for b in self.bands)

    @property
    def awaiting_cg(self) -> int:
        return sum(b.awaiting_cg for b in self.bands)


def _band_q(today: date, low: int, high: int | None) -> Q:
    q = Q(received_on__lte=today - timedelta(days=low))
    if high is not None:
        q &= Q(received_on__gt=today - timedelta(days=high))
    return q


def dashboard_backlog(competent_authority: str, *, today: date | None = None) -> Backlog:
    """Live cases awaiting RG and awaiting CG (recovery period, decision or review), by age since referral."""
    day = today or timezone.localdate()
    rg = Q(state__in=stages.state_values(BACKLOG_RG))
    cg = Q(state__in=stages.state_values(BACKLOG_CG))
    aggregates: dict[str, Any] = {}
    for i, (_, low, high) in enumerate(AGE_BANDS):
        band = _band_q(day, low, high)
        aggregates[f"rg_{i}"] = Count("id", filter=rg & band)
        aggregates[f"cg_{i}"] = Count("id", filter=cg & band)
    aggregates["suspended"] = Count("id", filter=Q(state=State.SUSPENDED))
    counts = Case.objects.filter(competent_authority=competent_authority,
                                 state__in=stages.state_values(stages.OPEN)).aggregate(**aggregates)
    return Backlog(
        bands=[BacklogBand(label, counts[f"rg_{i}"], counts[f"cg_{i}"]) for i, (label, _, _) in enumerate(AGE_BANDS)],
        suspended=counts["suspended"],
    )


def percentile(values: Sequence[int], fraction: float) -> float | None:
    """Nearest-rank percentile (the value at rank ceil(fraction * n)); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class MonthTimeliness:
    month: date  # first day of the month
    rg_decisions: int
    rg_median_days: float | None
    rg_p90_days: float | None
    cg_decisions: int
    cg_median_days: float | None
    cg_p90_days: float | None


def _months_back(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    result = []
    for _ in range(months):
        result.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(result))


def dashboard_timeliness(competent_authority: str, *, today: date | None = None,
                         months: int = 12) -> list[MonthTimeliness]:
    """Days from referral to the RG decision, and from RG to CG, by month of the decision: median and
    90th percentile (nearest rank), over decisions served in that month."""
    day = today or timezone.localdate()
    month_starts = _months_back(day, months)
    start = month_starts[0]
    rg_days: dict[date, list[int]] = {m: [] for m in month_starts}
    cg_days: dict[date, list[int]] = {m: [] for m in month_starts}
    for received_on, rg_date in Case.objects.filter(
            competent_authority=competent_authority, rg_date__gte=start, rg_date__lte=day,
    ).values_list("received_on", "rg_date").iterator(chunk_size=5000):
        if rg_date is not None:
            rg_days[rg_date.replace(day=1)].append((rg_date - received_on).days)
    for rg_date, cg_date in Case.objects.filter(
            competent_authority=competent_authority, cg_date__gte=start, cg_date__lte=day, rg_date__isnull=False,
    ).values_list("rg_date", "cg_date").iterator(chunk_size=5000):
        if rg_date is not None and cg_date is not None:
            cg_days[cg_date.replace(day=1)].append((cg_date - rg_date).days)
    return [
        MonthTimeliness(
            month=m,
            rg_decisions=len(rg_days[m]), rg_median_days=median(rg_days[m]), rg_p90_days=percentile(rg_days[m], 0.9),
            cg_decisions=len(cg_days[m]), cg_median_days=median(cg_days[m]), cg_p90_days=percentile(cg_days[m], 0.9),
        )
        for m in month_starts
    ]


@dataclass(frozen=True)
class Forecast:
    weeks_observed: int
    cg_backlog: int
    intake_per_week: float  # positive RG decisions: cases joining the CG backlog
    decisions_per_week: float  # CG decisions served: cases leaving it
    weeks_to_clear: float | None
    clears_on: date | None

    @property
    def clearing(self) -> bool:
        return self.weeks_to_clear is not None


def dashboard_forecast(competent_authority: str, *, today: date | None = None, weeks: int = 12) -> Forecast:
    """When the CG backlog clears if intake and decisions carry on at their rates of the last ``weeks``."""
    day = today or timezone.localdate()
    start = day - timedelta(weeks=weeks)
    decisions = Decision.objects.filter(case__competent_authority=competent_authority)
    intake = decisions.filter(stage=Stage.RG, outcome=Outcome.POSITIVE, decided_on__gt=start,
                              decided_on__lte=day).count()
    served = decisions.filter(stage=Stage.CG, status__in=[DecisionStatus.SERVED, DecisionStatus.RECONSIDERED],
                              served_on__gt=start, served_on__lte=day).count()
    backlog = Case.objects.filter(competent_authority=competent_authority,
                                  state__in=stages.state_values(BACKLOG_CG)).count()
    intake_rate = intake / weeks
    decision_rate = served / weeks
    net = decision_rate - intake_rate
    if backlog == 0:
        weeks_to_clear: float | None = 0.0
    elif net > 0:
        weeks_to_clear = backlog / net
    else:
        weeks_to_clear = None
    clears_on = day + timedelta(days=math.ceil(weeks_to_clear * 7)) if weeks_to_clear is not None else None
    return Forecast(weeks, backlog, intake_rate, decision_rate, weeks_to_clear, clears_on)


def dashboard_authorities(user: Any) -> list[str]:
    """The competent authorities whose dashboard ``user`` may see (seniors only)."""
    return sorted(access.competent_authorities_for(user, Capability.SUPERVISE_CASES))


# --- Analytical extract -----------------------------------------------------------------------

_EXTRACT_GROUNDS = {"public_order": "Public order", "bad_faith": "Bad faith"}
_EXTRACT_OUTCOMES = {DisqualificationRequestStatus.DISQUALIFIED: "Disqualified",
                     DisqualificationRequestStatus.NOT_DISQUALIFIED: "Not disqualified"}


def disqualification_extract_rows(*, as_of: date, referral_id: Callable[[Any], str]) -> list[dict[str, Any]]:
    """Public order disqualification requests raised by ``as_of``, shaped like
    ``nrm.analytics.extract_schema.DISQUALIFICATIONS``; a decision after ``as_of`` is left out.
    ``referral_id(case)`` gives the id the referrals table uses."""
    rows: list[dict[str, Any]] = []
    requests = (DisqualificationRequest.objects.filter(raised_on__lte=as_of).select_related("case")
                .order_by("raised_on", "created_at"))
    for request in requests:
        decided = request.decided_on is not None and request.decided_on <= as_of
        rows.append({
            "referral_id": referral_id(request.case),
            "ground": _EXTRACT_GROUNDS[request.ground],
            "requested_date": request.raised_on,
            "outcome": _EXTRACT_OUTCOMES.get(DisqualificationRequestStatus(request.status)) if decided else None,
            "outcome_date": request.decided_on if decided else None,
        })
    return rows


_EXTRACT_STAGES = {Stage.RG: "Reasonable Grounds", Stage.CG: "Conclusive Grounds"}
_FRESH_DECISION_STATUSES = (DecisionStatus.SERVED, DecisionStatus.RECONSIDERED)


def reconsideration_extract_rows(*, as_of: date, referral_id: Callable[[Any], str]) -> list[dict[str, Any]]:
    """Requests to reconsider a negative decision made by ``as_of``, shaped like
    ``nrm.analytics.extract_schema.RECONSIDERATIONS``. ``referral_id(case)`` gives the id the referrals
    table uses.

    The request date is the day (in the service's time zone) the request was made. The fresh decision
    is the first decision of the same stage recorded on the case after the request, other than the one
    reconsidered, that was served (a
    negative one only once its review agreed; it may since have been replaced by a later
    reconsideration); one served after ``as_of`` is left out. Its date is the date it was decided, or
    the request date if it was recorded as decided earlier."""
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    requests = list(ReconsiderationRequest.objects.filter(created_at__lt=end).select_related("case")
                    .order_by("created_at", "pk"))
    fresh: dict[tuple[Any, str], list[Decision]] = {}
    decisions = (Decision.objects.filter(case__in=ReconsiderationRequest.objects.values("case_id"),
                                         status__in=_FRESH_DECISION_STATUSES, served_on__lte=as_of)
                 .order_by("created_at", "pk"))
    for served in decisions:
        fresh.setdefault((served.case_id, served.stage), []).append(served)
    rows: list[dict[str, Any]] = []
    for request in requests:
        requested = timezone.localdate(request.created_at)
        decision = next((d for d in fresh.get((request.case_id, request.stage), [])
                         if d.created_at > request.created_at and d.pk != request.decision_id), None)
        rows.append({
            "referral_id": referral_id(request.case),
            "stage": _EXTRACT_STAGES[Stage(request.stage)],
            "requested_date": requested,
            "outcome": decision.get_outcome_display() if decision else None,
            "outcome_date": max(decision.decided_on, requested) if decision else None,
        })
    return rows
