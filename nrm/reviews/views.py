"""Pages for panel members, panel chairs and senior decision makers. Views parse input and call
services and selectors; every page finds its review through a scoped selector (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from nrm.audit.services import audit_record
from nrm.core import pagination
from nrm.core.errors import ServiceError
from nrm.core.forms import error_list, field_error
from nrm.reviews import selectors, services
from nrm.reviews.forms import DeclarationForm, PanelOutcomeForm, SecondLineForm
from nrm.reviews.models import ConflictDeclaration, Review, ReviewStatus, SeatRole


def _service_error(form: Any, exc: ServiceError, default_field: str) -> None:
    form.add_error(exc.field if exc.field in form.fields else default_field, exc.message)


def _audit_view(request: HttpRequest, review: Review, what: str) -> None:
    audit_record(actor=request.user, action=f"review.{what}_viewed", target=review, case=review.case)


# --- Panels ----------------------------------------------------------------------------------


def _list_params(request: HttpRequest) -> tuple[str, str]:
    """Which reviews to show (open or concluded) and the search, cleaned at the boundary."""
    show = "concluded" if request.GET.get("show") == "concluded" else "open"
    return show, pagination.search_text(request.GET.get("q"))


@login_required
def panel_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_sit_on_panels(request.user):
        raise Http404("No panel reviews")
    show, search = _list_params(request)
    page = pagination.paginate(selectors.panel_list_for(request.user, show=show, search=search),
                               request.GET.get("page"))
    seats = {s.review_id: s for s in request.user.panel_seats.filter(  # type: ignore[union-attr]
        review__in=page.items, stood_down_at__isnull=True)}
    return render(request, "reviews/panel_list.html", {
        "title": "Panel reviews",
        "rows": [{"review": r, "seat": seats.get(r.pk)} for r in page.items],
        "show": show, "search": search, "page": page,
        "pagination": pagination.govuk_pagination(page, {"q": search, "show": show}, label="Pages of reviews"),
        "today": timezone.localdate(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def panel_review(request: HttpRequest, review_id: str) -> HttpResponse:
    """The review's page for one panel member: declare conflicts first, then the papers and,
    for the chair, the outcome."""
    review, seat = selectors.panel_review_get_for(request.user, review_id)
    form = DeclarationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            conflicted = form.cleaned_data["conflict"] == "yes"
            try:
                services.panel_declare(review=review, user=request.user, conflicted=conflicted,
                                       details=form.cleaned_data.get("details", ""))
            except ServiceError as exc:
                _service_error(form, exc, "conflict")
            else:
                if conflicted:
                    messages.success(request, f"You have declared a conflict of interest with case "
                                              f"{review.case.reference}. You have been stood down from this panel "
                                              "and another member will replace you.")
                    return redirect("reviews:panel_list")
                messages.success(request, "You have declared that you have no conflict of interest with this case.")
                return redirect("reviews:panel_review", review_id=review.pk)
    _audit_view(request, review, "panel_review")
    seats = selectors.panel_seats(review)
    return render(request, "reviews/panel_review.html", {
        "title": f"Panel review: case {review.case.reference}",
        "review": review,
        "seat": seat,
        "seats": seats,
        "active_seats": [s for s in seats if s.is_active],
        "form": form,
        "errors": error_list(form, first_field="conflict"),
        "conflict_error": field_error(form, "conflict"),
        "details_error": field_error(form, "details"),
        "may_read": selectors.panel_may_read_papers(seat),
        "is_chair": seat.role == SeatRole.CHAIR,
        "undeclared": [s for s in seats if s.is_active and s.declaration != ConflictDeclaration.NONE],
        "back_url": reverse("reviews:panel_list"),
    }, status=400 if form.errors else 200)


@login_required
def panel_papers(request: HttpRequest, review_id: str) -> HttpResponse:
    review, seat = selectors.panel_review_get_for(request.user, review_id)
    if not selectors.panel_may_read_papers(seat):
        return redirect("reviews:panel_review", review_id=review.pk)
    papers = selectors.review_papers(review, reader=request.user)
    _audit_view(request, review, "papers")
    return render(request, "reviews/panel_papers.html", {
        "title": f"Panel papers: case {review.case.reference}",
        "review": review,
        "papers": papers,
        "back_url": reverse("reviews:panel_review", kwargs={"review_id": review.pk}),
    })


@login_required
@require_http_methods(["GET", "POST"])
def panel_outcome(request: HttpRequest, review_id: str) -> HttpResponse:
    review, seat = selectors.panel_review_get_for(request.user, review_id)
    if seat.role != SeatRole.CHAIR:
        raise Http404("Only the chair records the outcome")
    if review.status == ReviewStatus.CONCLUDED or not selectors.panel_may_read_papers(seat):
        return redirect("reviews:panel_review", review_id=review.pk)
    form = PanelOutcomeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        agree = form.cleaned_data["outcome"] == "agree"
        try:
            services.review_conclude(review=review, reviewer=request.user, agree=agree,
                                     rationale=form.cleaned_data["rationale"])
        except ServiceError as exc:
            _service_error(form, exc, "outcome")
        else:
            messages.success(request, (
                f"The panel's outcome is recorded. The decision on case {review.case.reference} will be served."
                if agree else
                f"The panel's outcome is recorded. Case {review.case.reference} goes back for a fresh conclusive "
                "grounds decision by a different decision maker."))
            return redirect("reviews:panel_review", review_id=review.pk)
    return render(request, "reviews/panel_outcome.html", {
        "title": f"Record the panel's outcome: case {review.case.reference}",
        "review": review,
        "form": form,
        "errors": error_list(form, first_field="outcome"),
        "outcome_error": field_error(form, "outcome"),
        "rationale_error": field_error(form, "rationale"),
        "overdue": review.target_date is not None and timezone.localdate() > review.target_date,
        "back_url": reverse("reviews:panel_review", kwargs={"review_id": review.pk}),
    }, status=400 if form.errors else 200)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_panel_dashboard(request.user):
        raise Http404("No dashboard")
    data = selectors.panel_dashboard(today=timezone.localdate())
    audit_record(actor=request.user, action="review.dashboard_viewed", target=request.user)
    return render(request, "reviews/dashboard.html", {"title": "Panel reviews dashboard", "dashboard": data})


# --- Second-line -------------------------------------------------------------------------------


@login_required
def second_line_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_second_line(request.user):
        raise Http404("No second-line reviews")
    show, search = _list_params(request)
    page = pagination.paginate(selectors.second_line_list_for(request.user, show=show, search=search),
                               request.GET.get("page"))
    return render(request, "reviews/second_line_list.html", {
        "title": "Second-line reviews",
        "reviews": page.items, "show": show, "search": search, "page": page,
        "pagination": pagination.govuk_pagination(page, {"q": search, "show": show}, label="Pages of reviews"),
    })


@login_required
@require_http_methods(["GET"])
def case_review(request: HttpRequest, case_id: str) -> HttpResponse:
    """The review of a case's negative decision, as the case page links to it."""
    review = selectors.second_line_review_for_case(request.user, case_id)
    return redirect("reviews:second_line_review", review_id=review.pk)


@login_required
@require_http_methods(["GET", "POST"])
def second_line_review(request: HttpRequest, review_id: str) -> HttpResponse:
    review = selectors.second_line_review_get_for(request.user, review_id)
    form = SecondLineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        agree = form.cleaned_data["outcome"] == "agree"
        try:
            services.review_conclude(review=review, reviewer=request.user, agree=agree,
                                     rationale=form.cleaned_data["rationale"])
        except ServiceError as exc:
            _service_error(form, exc, "outcome")
        else:
            messages.success(request, (
                f"You agreed with the decision. It will be served on case {review.case.reference}."
                if agree else
                f"You returned the decision with reasons. Case {review.case.reference} goes back for a fresh "
                "decision by a different decision maker."))
            return redirect("reviews:second_line_list")
    if request.method == "GET":
        _audit_view(request, review, "second_line_papers")
    return render(request, "reviews/second_line_review.html", {
        "title": f"Second-line review: case {review.case.reference}",
        "review": review,
        "papers": selectors.review_papers(review, reader=request.user),
        "own_decision": review.decision.decided_by_id == request.user.pk,
        "form": form,
        "errors": error_list(form, first_field="outcome"),
        "outcome_error": field_error(form, "outcome"),
        "rationale_error": field_error(form, "rationale"),
        "back_url": reverse("reviews:second_line_list"),
    }, status=400 if form.errors else 200)
