"""Independent scrutiny of negative decisions: the services that change reviews.

Which review a negative decision gets is policy data, looked up for the decision date:
``independent_review_mode(on=decided_on)``. A negative conclusive grounds decision made while
the panel policy was in force (April 2019 to December 2022) goes to a Multi-Agency Assurance
Panel; every other negative decision (every negative RG, and a negative CG outside the panel
years) gets a second-line review by a senior decision maker who did not make it.

Reviews are opened by the ``negative_decision_proposed`` hook that the cases service emits
(see ``docs/adr/0003-review-routing.md``) and concluded here, by the panel chair or the senior
decision maker, through :func:`review_conclude`: the one way to conclude a review. Its rules are
the review table's (``nrm/reviews/lifecycle.py``); it then calls the cases service
``case_apply_review_outcome`` to serve the decision or refer the case back. The flow goes one
way, reviews -> cases (``docs/adr/0006-one-review-path-and-transition-tables.md``). Every service
takes the date it acts on (``today``), so a 2021 case is reviewed by 2021 rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from nrm.accounts.capabilities import Capability, capabilities_of, may
from nrm.audit.services import audit_record
from nrm.cases.access import is_senior_for
from nrm.cases.services import case_apply_review_outcome
from nrm.core.errors import AccessDenied, GuardFailed, ServiceError
from nrm.core.hooks import DecisionEvent
from nrm.notify.models import OutboxMessage
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation, OrganisationType
from nrm.reviews.lifecycle import ReviewEvent, ReviewFacts, ReviewState, conclusion_event, next_review_state
from nrm.reviews.models import (
    ConflictDeclaration,
    Panellist,
    PanelSeat,
    PanelSector,
    Review,
    ReviewKind,
    ReviewOutcome,
    ReviewStatus,
    SeatRole,
)
from nrm.reviews.rules import review_kind_for as review_kind_for  # also read by nrm.synth.invariants
from nrm.reviews.rules import review_terms

# Multi-Agency Assurance Panel terms of reference: a chair and at least two members.
PANEL_MIN_MEMBERS = 2
REVIEW_MESSAGE_KIND = "review"

SECTOR_BY_ORGANISATION_TYPE: dict[str, str] = {
    OrganisationType.POLICE: PanelSector.POLICE,
    OrganisationType.LOCAL_AUTHORITY: PanelSector.LOCAL_AUTHORITY,
    OrganisationType.NGO: PanelSector.NGO,
    OrganisationType.SUPPORT_PROVIDER: PanelSector.NGO,
    OrganisationType.HEALTH: PanelSector.HEALTH,
}
_OPEN = (ReviewStatus.AWAITING_PANEL, ReviewStatus.OPEN)


# --- Routing ---------------------------------------------------------------------------------


def review_open_for(decision: Any, *, today: date | None = None) -> Review:
    """Open the independent review a proposed negative decision needs. Idempotent.

    Runs in the caller's transaction (the cases service, through the hook), so the decision
    and its review commit together.
    """
    existing = Review.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    if decision.outcome != "negative":
        raise ServiceError("Only a negative decision is reviewed before it is served.")
    case = decision.case
    referred_on = today or decision.decided_on
    terms = review_terms(stage=decision.stage, decided_on=decision.decided_on, referred_on=referred_on,
                         nation=case.nation)
    kind, target = terms.kind, terms.target_date
    with transaction.atomic():
        review = Review.objects.create(
            decision=decision,
            case=case,
            stage=decision.stage,
            kind=kind,
            status=ReviewStatus.AWAITING_PANEL if kind == ReviewKind.PANEL else ReviewStatus.OPEN,
            referred_on=referred_on,
            target_date=target,
            policy=terms.policy,
        )
        audit_record(actor=None, action="review.opened", target=review, case=case,
                     after={"kind": kind, "stage": decision.stage, "referred_on": referred_on,
                            "target_date": target, "decision": str(decision.pk)})
        if kind == ReviewKind.PANEL:
            panel_fill_seats(review=review, today=referred_on)
        else:
            authority = case.decision_panel or Organisation.objects.filter(slug=case.competent_authority.lower()).first()
            if authority is not None:
                outbox_add(
                    kind=REVIEW_MESSAGE_KIND,
                    subject=f"Second-line review needed: case {case.reference}",
                    body=(f"A negative {decision.get_stage_display().lower()} decision on case {case.reference} "
                          "needs a second-line review by a senior decision maker before it is served."),
                    recipient_organisation=authority,
                    about=review,
                    dedupe_key=f"review-opened:{review.pk}",
                )
    return review


# --- Panels ----------------------------------------------------------------------------------


def sector_for(organisation: Organisation) -> str:
    return SECTOR_BY_ORGANISATION_TYPE.get(organisation.organisation_type, PanelSector.OTHER)


def panellist_add(*, user: Any, home_organisation: Organisation, actor: Any = None) -> Panellist:
    """Put ``user`` in the pool that panels are drawn from, with the organisation they come from."""
    if not may(user, Capability.REVIEW_ON_PANEL):
        raise ServiceError(f"{user} is not a panel member or chair, so cannot sit on a panel.")
    with transaction.atomic():
        panellist, _ = Panellist.objects.update_or_create(
            user=user, defaults={"home_organisation": home_organisation, "sector": sector_for(home_organisation),
                                 "is_active": True})
        audit_record(actor=actor, action="review.panellist_added", target=panellist,
                     after={"user": str(user.pk), "home_organisation": home_organisation.slug,
                            "sector": panellist.sector})
    return panellist


@dataclass(frozen=True)
class _Candidate:
    panellist: Panellist
    open_seats: int


def _fits_seat(user: Any, seat_role: SeatRole) -> bool:
    """A chair's seat is for those who may chair a panel; a member's for those who review on
    panels but do not chair them."""
    held = capabilities_of(user)
    if seat_role == SeatRole.CHAIR:
        return Capability.CHAIR_PANEL in held
    return Capability.REVIEW_ON_PANEL in held and Capability.CHAIR_PANEL not in held


def _candidates(review: Review, seat_role: SeatRole) -> list[_Candidate]:
    ever_seated = set(review.seats.values_list("user_id", flat=True))
    decided_by = {d for d in review.case.decisions.values_list("decided_by_id", flat=True)}
    pool = (
        Panellist.objects.filter(is_active=True, user__is_active=True)
        .exclude(user_id__in=ever_seated | decided_by)
        .select_related("user", "home_organisation")
        .annotate(open_seats=Count("user__panel_seats", filter=Q(
            user__panel_seats__stood_down_at__isnull=True, user__panel_seats__review__status__in=_OPEN)))
        .order_by("open_seats", "user__email")
    )
    return [_Candidate(p, p.open_seats) for p in pool if _fits_seat(p.user, seat_role)]


def panel_fill_seats(*, review: Review, today: date | None = None) -> Review:
    """Seat a chair and members until the panel is complete, each from a different organisation
    and sector, the least busy first. A panel that cannot be completed waits for the pool."""
    day = today or timezone.localdate()
    if review.kind != ReviewKind.PANEL or review.status == ReviewStatus.CONCLUDED:
        return review
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        active = list(review.seats.filter(stood_down_at__isnull=True))
        used_orgs = {s.home_organisation_id for s in active}
        used_sectors = {s.sector for s in active}
        seated: list[PanelSeat] = []

        def take(seat_role: SeatRole) -> bool:
            for candidate in _candidates(review, seat_role):
                p = candidate.panellist
                if p.home_organisation_id in used_orgs or p.sector in used_sectors:
                    continue
                seat = PanelSeat.objects.create(review=review, user=p.user, role=seat_role, sector=p.sector,
                                                home_organisation=p.home_organisation, seated_on=day)
                used_orgs.add(p.home_organisation_id)
                used_sectors.add(p.sector)
                seated.append(seat)
                return True
            return False

        if not any(s.role == SeatRole.CHAIR for s in active):
            take(SeatRole.CHAIR)
        members = sum(1 for s in active if s.role == SeatRole.MEMBER)
        while members < PANEL_MIN_MEMBERS and take(SeatRole.MEMBER):
            members += 1
        if review.status == ReviewStatus.AWAITING_PANEL and _is_complete(review):
            _step(review, ReviewEvent.PANEL_COMPLETED, today=day)
        for seat in seated:
            audit_record(actor=None, action="review.panel_seated", target=seat, case=review.case,
                         after={"user": str(seat.user_id), "role": seat.role, "sector": seat.sector,
                                "home_organisation": seat.home_organisation.slug})
            outbox_add(
                kind=REVIEW_MESSAGE_KIND,
                subject=f"You are on a Multi-Agency Assurance Panel: case {review.case.reference}",
                body=(f"You have been asked to sit as panel {seat.get_role_display().lower()} for the review of a "
                      f"negative conclusive grounds decision on case {review.case.reference}. Sign in, declare any "
                      "conflict of interest, and read the panel papers."
                      + (f" The panel's outcome is due by {review.target_date:%d %B %Y}." if review.target_date else "")),
                recipient_email=seat.user.email,
                about=seat,
                dedupe_key=f"panel-seat:{seat.pk}",
            )
    return review


def _step(review: Review, event: ReviewEvent, *, today: date) -> None:
    """A step of the review table that needs no facts beyond the review's own (the panel filling
    up, or a member standing down)."""
    review.status = next_review_state(ReviewState(review.status), event,
                                      ReviewFacts(today=today, referred_on=review.referred_on, panel=True))
    review.save(update_fields=["status", "updated_at"])


def _is_complete(review: Review) -> bool:
    active = review.seats.filter(stood_down_at__isnull=True)
    return (active.filter(role=SeatRole.CHAIR).exists()
            and active.filter(role=SeatRole.MEMBER).count() >= PANEL_MIN_MEMBERS)


def panel_declare(*, review: Review, user: Any, conflicted: bool, details: str = "",
                  today: date | None = None) -> PanelSeat:
    """A panel member's declaration of any conflict of interest with this case. A conflicted
    member is stood down and replaced from the pool."""
    day = today or timezone.localdate()
    details = details.strip()
    if conflicted and not details:
        raise ServiceError("Describe the conflict of interest", field="details")
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        seat = review.seats.filter(user=user, stood_down_at__isnull=True).first()
        if seat is None:
            raise AccessDenied("You are not on the panel for this review.")
        if review.status == ReviewStatus.CONCLUDED:
            raise GuardFailed("The panel has already recorded its outcome.")
        if seat.declaration:
            raise GuardFailed("You have already made your declaration for this case.")
        seat.declaration = ConflictDeclaration.CONFLICTED if conflicted else ConflictDeclaration.NONE
        seat.conflict_details = details if conflicted else ""
        seat.declared_at = timezone.now()
        if conflicted:
            seat.stood_down_at = seat.declared_at
        seat.save()
        audit_record(actor=user, action="review.conflict_declared", target=seat, case=review.case,
                     after={"declaration": seat.declaration, "stood_down": conflicted})
        if conflicted:
            _step(review, ReviewEvent.MEMBER_STOOD_DOWN, today=day)
            panel_fill_seats(review=review, today=day)
    return seat


# --- Concluding a review ------------------------------------------------------------------------


def _require_may_conclude(review: Review, reviewer: Any) -> None:
    """Who may conclude: the seated chair of a panel, or a senior decision maker of the competent
    authority for a second-line review."""
    if review.kind == ReviewKind.PANEL:
        chair_seat = review.seats.filter(user=reviewer, role=SeatRole.CHAIR, stood_down_at__isnull=True).first()
        if chair_seat is None or not may(reviewer, Capability.CHAIR_PANEL):
            raise AccessDenied("Only the chair of this panel can record its outcome.")
    elif not is_senior_for(reviewer, review.case):
        raise AccessDenied("Only a senior decision maker of the competent authority can review this decision.")


def _review_facts(review: Review, *, reviewer: Any, rationale: str, day: date) -> ReviewFacts:
    undeclared: tuple[str, ...] = ()
    if review.kind == ReviewKind.PANEL:
        undeclared = tuple(str(s.user) for s in review.seats.filter(stood_down_at__isnull=True).select_related("user")
                           if s.declaration != ConflictDeclaration.NONE)
    return ReviewFacts(today=day, referred_on=review.referred_on, panel=review.kind == ReviewKind.PANEL,
                       rationale=rationale, reviewer_id=getattr(reviewer, "pk", None),
                       decision_maker_id=review.decision.decided_by_id, undeclared=undeclared)


def review_conclude(*, review: Review, reviewer: Any, agree: bool, rationale: str,
                    today: date | None = None) -> Review:
    """Conclude the review of a proposed negative decision: the one way, for panels (by the chair)
    and second-line reviews (by a senior decision maker who did not make the decision).

    Agree: the decision is served. Disagree: the case goes back for a fresh decision by a
    different decision maker, with the reviewer's reasons. The rules are the review table's
    (``nrm.reviews.lifecycle``); the case is then moved by ``case_apply_review_outcome`` in the
    same transaction.
    """
    day = today or timezone.localdate()
    text = (rationale or "").strip()
    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("case", "decision").get(pk=review.pk)
        _require_may_conclude(review, reviewer)
        facts = _review_facts(review, reviewer=reviewer, rationale=text, day=day)
        review.status = next_review_state(ReviewState(review.status), conclusion_event(agree=agree), facts)
        review.outcome = ReviewOutcome.AGREE if agree else ReviewOutcome.DISAGREE
        review.rationale = text
        review.concluded_by = reviewer
        review.concluded_on = day
        review.save()
        audit_record(actor=reviewer, action="review.concluded", target=review, case=review.case,
                     after={"kind": review.kind, "outcome": review.outcome, "concluded_on": day,
                            "within_target": review.target_date is None or day <= review.target_date})
        case_apply_review_outcome(case=review.case, decision=review.decision, reviewer=reviewer, agree=agree,
                                  rationale=text, on=day)
    return review


# --- Hook receivers (connected in apps.py) ----------------------------------------------------


def on_negative_decision_proposed(event: DecisionEvent) -> None:
    review_open_for(event.decision, today=event.on)


# --- Background -----------------------------------------------------------------------------


def panels_convene_waiting(*, today: date | None = None) -> int:
    """Try again to complete panels that were waiting for people in the pool."""
    completed = 0
    for review in Review.objects.filter(kind=ReviewKind.PANEL, status=ReviewStatus.AWAITING_PANEL):
        if panel_fill_seats(review=review, today=today).status == ReviewStatus.OPEN:
            completed += 1
    return completed


def panels_remind_overdue(*, today: date | None = None) -> int:
    """One reminder to the chair of each panel whose outcome is past its target date."""
    day = today or timezone.localdate()
    sent = 0
    overdue = Review.objects.filter(kind=ReviewKind.PANEL, status__in=_OPEN, target_date__lt=day)
    for review in overdue.select_related("case"):
        chair = review.seats.filter(role=SeatRole.CHAIR, stood_down_at__isnull=True).select_related("user").first()
        if chair is None:
            continue
        key = f"panel-overdue:{review.pk}:{chair.pk}"
        if OutboxMessage.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():
            outbox_add(
                kind="reminder",
                subject=f"Panel outcome overdue: case {review.case.reference}",
                body=(f"The panel's outcome for case {review.case.reference} was due by "
                      f"{review.target_date:%d %B %Y}. Sign in to record it."),
                recipient_email=chair.user.email,
                about=review,
                dedupe_key=key,
            )
        sent += 1
    return sent
