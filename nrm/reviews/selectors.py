"""Reading reviews. Every page goes through these: a panel member sees only the reviews of the
panels they sit on; a senior decision maker sees only second-line reviews of cases their
competent authority holds. Anything else is "not found"."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from nrm.accounts.capabilities import Capability, may
from nrm.cases.access import competent_authorities_for, decision_panels_for
from nrm.core.workdays import working_days_between
from nrm.referrals.answers import AnswerSection, referral_answer_rows
from nrm.referrals.selectors import reference_or_name_q
from nrm.reviews.models import (
    ConflictDeclaration,
    PanelSeat,
    Review,
    ReviewKind,
    ReviewOutcome,
    ReviewStatus,
)

_OPEN = (ReviewStatus.AWAITING_PANEL, ReviewStatus.OPEN)


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such review") from None


# --- Panels ----------------------------------------------------------------------------------


def can_sit_on_panels(user: Any) -> bool:
    return may(user, Capability.REVIEW_ON_PANEL)


def panel_reviews_for(user: Any) -> QuerySet[Review]:
    """Panel reviews ``user`` sits on now (not stood down). Nothing for anyone else."""
    if not can_sit_on_panels(user):
        return Review.objects.none()
    return (
        Review.objects.filter(kind=ReviewKind.PANEL, seats__user=user, seats__stood_down_at__isnull=True)
        .select_related("case", "decision")
        .distinct()
        .order_by("status", "target_date", "referred_on")
    )


def panel_review_get_for(user: Any, review_id: Any) -> tuple[Review, PanelSeat]:
    """The review and ``user``'s seat on its panel; 404 unless they sit on it."""
    review = panel_reviews_for(user).filter(pk=_uuid(review_id)).first()
    if review is None:
        raise Http404("No such review")
    seat = review.seats.select_related("user").get(user=user, stood_down_at__isnull=True)
    return review, seat


def panel_seats(review: Review) -> list[PanelSeat]:
    return list(review.seats.select_related("user", "home_organisation").order_by("stood_down_at", "role",
                                                                                  "created_at"))


def panel_may_read_papers(seat: PanelSeat) -> bool:
    return seat.is_active and seat.declaration == ConflictDeclaration.NONE


def panel_list_for(user: Any, *, show: str = "open", search: str = "") -> QuerySet[Review]:
    """The panel reviews ``user`` sits on, open or concluded, in a stable order (open: status, the
    outcome's target date, referral; concluded: the newest concluded first; ties by id). A search
    is by case reference only, through both: a member has not yet declared a conflict with a case
    whose papers they have not read, so no name is searched."""
    reviews = panel_reviews_for(user)
    if search:
        return reviews.filter(case__reference__icontains=search).order_by("status", "-referred_on", "-id")
    if show == "concluded":
        return reviews.filter(status=ReviewStatus.CONCLUDED).order_by("-concluded_on", "-created_at", "-id")
    return reviews.exclude(status=ReviewStatus.CONCLUDED).order_by("status", "target_date", "referred_on", "id")


# --- Second-line -------------------------------------------------------------------------------


def can_see_second_line(user: Any) -> bool:
    return bool(competent_authorities_for(user, Capability.SUPERVISE_CASES)
                or decision_panels_for(user, Capability.SUPERVISE_CASES))


def second_line_reviews_for(user: Any) -> QuerySet[Review]:
    """Second-line reviews of the cases ``user`` decides as a senior: their competent authority's,
    or, for a child's case decided by a devolved children's decision panel, that panel's."""
    authorities = sorted(competent_authorities_for(user, Capability.SUPERVISE_CASES))
    panels = sorted(decision_panels_for(user, Capability.SUPERVISE_CASES), key=str)
    if not authorities and not panels:
        return Review.objects.none()
    scope = (Q(case__competent_authority__in=authorities, case__decision_panel__isnull=True)
             | Q(case__decision_panel_id__in=panels))
    return (
        Review.objects.filter(scope, kind=ReviewKind.SECOND_LINE)
        .select_related("case", "decision", "decision__decided_by")
        .order_by("status", "referred_on", "created_at")
    )


def second_line_list_for(user: Any, *, show: str = "open", search: str = "") -> QuerySet[Review]:
    """Second-line reviews of the user's competent authority, open (the longest waiting first) or
    concluded (the newest first), ties by id; a search by reference or name looks through both."""
    reviews = second_line_reviews_for(user)
    if search:
        return reviews.filter(reference_or_name_q(search, rows=reviews, referral="case__referral__",
                                                  reference="case__reference")).order_by("status", "-referred_on",
                                                                                         "-id")
    if show == "concluded":
        return reviews.filter(status=ReviewStatus.CONCLUDED).order_by("-concluded_on", "-created_at", "-id")
    return reviews.filter(status=ReviewStatus.OPEN).order_by("referred_on", "created_at", "id")


def second_line_review_get_for(user: Any, review_id: Any) -> Review:
    review = second_line_reviews_for(user).filter(pk=_uuid(review_id)).first()
    if review is None:
        raise Http404("No such review")
    return review


def second_line_review_for_case(user: Any, case_id: Any) -> Review:
    """The second-line review of a case that ``user`` may see: the open one, else the latest."""
    review = (second_line_reviews_for(user).filter(case_id=_uuid(case_id))
              .order_by("-status", "-referred_on", "-created_at").first())
    if review is None:
        raise Http404("No such review")
    return review


# --- Papers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionPaper:
    stage: str
    outcome: str
    status: str
    decided_on: date
    decided_by: str
    standard_applied: str
    reasons: list[str]
    rationale: str
    under_review: bool


@dataclass(frozen=True)
class ReviewPapers:
    """A read-only view of the case: the referral, requests for information and decisions."""

    case: Any
    referral_sections: list[AnswerSection]
    information_requests: list[Any]
    decisions: list[DecisionPaper]
    earlier_reviews: list[Review] = field(default_factory=list)

def review_papers(review: Review, *, reader: Any) -> ReviewPapers:
    """The papers of a review, the referral worded for ``reader``."""
    from nrm.cases.models import DecisionStatus

    case = review.case
    decisions = [
        DecisionPaper(
            stage=d.get_stage_display(),
            outcome=d.get_outcome_display(),
            status=d.get_status_display(),
            decided_on=d.decided_on,
            decided_by=str(d.decided_by),
            standard_applied=d.standard_applied,
            reasons=[r.label for r in d.reasons.all()],
            rationale=d.rationale,
            under_review=d.pk == review.decision_id and d.status == DecisionStatus.PROPOSED,
        )
        for d in case.decisions.select_related("decided_by").prefetch_related("reasons").order_by("decided_on",
                                                                                                "created_at")
    ]
    return ReviewPapers(
        case=case,
        referral_sections=referral_answer_rows(case.referral, reader=reader),
        information_requests=list(case.information_requests.select_related("addressed_to").order_by("created_at")),
        decisions=decisions,
        earlier_reviews=list(review_outcomes_for_case(case).exclude(pk=review.pk)),
    )


def review_outcomes_for_case(case: Any) -> QuerySet[Review]:
    """Concluded reviews of a case, oldest first: what the cases page shows as the panel's or
    the second-line reviewer's rationale. Callers must already have scoped ``case`` to the user."""
    return (
        Review.objects.filter(case=case, status=ReviewStatus.CONCLUDED)
        .select_related("concluded_by", "decision")
        .order_by("concluded_on", "created_at")
    )


def open_review_for_case(case: Any) -> Review | None:
    return Review.objects.filter(case=case, status__in=_OPEN).first()


# --- Dashboard -----------------------------------------------------------------------------


def can_see_panel_dashboard(user: Any) -> bool:
    return may(user, Capability.CHAIR_PANEL, Capability.SUPERVISE_CASES)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_label(year: int, quarter: int) -> str:
    months = ("January to March", "April to June", "July to September", "October to December")
    return f"{months[quarter - 1]} {year}"


@dataclass
class QuarterRow:
    label: str
    year: int
    quarter: int
    referred: int = 0
    concluded: int = 0
    agreed: int = 0
    disagreed: int = 0
    within_target: int = 0
    working_days: list[int] = field(default_factory=list)

    @property
    def agree_rate(self) -> float | None:
        return round(100 * self.agreed / self.concluded, 1) if self.concluded else None

    @property
    def disagree_rate(self) -> float | None:
        return round(100 * self.disagreed / self.concluded, 1) if self.concluded else None

    @property
    def within_target_rate(self) -> float | None:
        return round(100 * self.within_target / self.concluded, 1) if self.concluded else None

    @property
    def median_working_days(self) -> float | None:
        return statistics.median(self.working_days) if self.working_days else None

    @property
    def mean_working_days(self) -> float | None:
        return round(statistics.fmean(self.working_days), 1) if self.working_days else None


@dataclass(frozen=True)
class WorkloadRow:
    name: str
    role: str
    sector: str
    organisation: str
    open_reviews: int
    overdue: int


@dataclass(frozen=True)
class PanelDashboard:
    today: date
    waiting_for_panel: int
    open: int
    overdue: int
    workload: list[WorkloadRow]
    quarters: list[QuarterRow]


def panel_dashboard(*, today: date) -> PanelDashboard:
    """Panel workload now, and by quarter: referrals, outcomes, agree/disagree rates and time
    to outcome in working days (aggregates only; no case content)."""
    panel = Review.objects.filter(kind=ReviewKind.PANEL)
    open_reviews = panel.filter(status__in=_OPEN)
    overdue = open_reviews.filter(target_date__lt=today)
    seats = (
        PanelSeat.objects.filter(review__in=open_reviews, stood_down_at__isnull=True)
        .select_related("user", "home_organisation", "review")
    )
    by_person: dict[Any, dict[str, Any]] = {}
    for seat in seats:
        person = by_person.setdefault(seat.user_id, {
            "name": str(seat.user), "roles": set(), "sector": seat.get_sector_display(),
            "organisation": str(seat.home_organisation), "open": 0, "overdue": 0})
        person["roles"].add(seat.get_role_display())
        person["open"] += 1
        if seat.review.target_date and seat.review.target_date < today:
            person["overdue"] += 1
    workload = sorted(
        (WorkloadRow(r["name"], " and ".join(sorted(r["roles"])), r["sector"], r["organisation"], r["open"],
                     r["overdue"]) for r in by_person.values()),
        key=lambda w: (-w.open_reviews, w.name),
    )
    quarters: dict[tuple[int, int], QuarterRow] = {}

    def row_for(day: date) -> QuarterRow:
        y, q = quarter_of(day)
        return quarters.setdefault((y, q), QuarterRow(quarter_label(y, q), y, q))

    for review in panel.select_related("case").only("referred_on", "concluded_on", "outcome", "target_date",
                                                     "status", "case__nation"):
        row_for(review.referred_on).referred += 1
        if review.status == ReviewStatus.CONCLUDED and review.concluded_on:
            row = row_for(review.concluded_on)
            row.concluded += 1
            if review.outcome == ReviewOutcome.AGREE:
                row.agreed += 1
            else:
                row.disagreed += 1
            if review.target_date is None or review.concluded_on <= review.target_date:
                row.within_target += 1
            row.working_days.append(working_days_between(review.referred_on, review.concluded_on,
                                                         review.case.nation))
    return PanelDashboard(
        today=today,
        waiting_for_panel=open_reviews.filter(status=ReviewStatus.AWAITING_PANEL).count(),
        open=open_reviews.count(),
        overdue=overdue.count(),
        workload=workload,
        quarters=[quarters[k] for k in sorted(quarters, reverse=True)],
    )


# --- Analytical extract --------------------------------------------------------------------


def reviews_extract_rows(
    *,
    as_of: date | None = None,
    referral_id: Callable[[Any], str] | None = None,
    reviews: Iterable[Review] | None = None,
) -> list[dict[str, Any]]:
    """One row per review, shaped like ``nrm.analytics.extract_schema.REVIEWS``.

    ``as_of`` leaves out reviews referred after that date and shows an outcome only if it was
    recorded by then. ``referral_id(case)`` gives the id the referrals table uses (the
    referral's id by default), so the extract can use the same ids as its referrals table.
    """
    ident = referral_id or (lambda case: str(case.referral_id))
    queryset = reviews if reviews is not None else Review.objects.select_related("case").order_by(
        "referred_on", "created_at")
    rows: list[dict[str, Any]] = []
    for review in queryset:
        if as_of is not None and review.referred_on > as_of:
            continue
        concluded = review.status == ReviewStatus.CONCLUDED and review.concluded_on is not None and (
            as_of is None or review.concluded_on <= as_of)
        rows.append({
            "referral_id": ident(review.case),
            "decision_stage": review.stage,
            "review_kind": ReviewKind(review.kind).label,
            "referred_date": review.referred_on,
            "outcome": ReviewOutcome(review.outcome).label if concluded else None,
            "outcome_date": review.concluded_on if concluded else None,
        })
    return rows

