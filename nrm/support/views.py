"""Pages for support providers. Views parse input and call services and selectors; every page
finds its person through a scoped selector (404 otherwise), and every read is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from nrm.audit.services import audit_record
from nrm.cases.lifecycle import State as CaseState
from nrm.core import pagination
from nrm.core.errors import ServiceError
from nrm.core.forms import error_list, field_error
from nrm.support import selectors, services
from nrm.support.forms import (
    PROVIDER_END_CHOICES,
    AssessmentForm,
    EndSupportForm,
    EpisodeEndForm,
    EpisodeForm,
    ReconsiderationForm,
    RespondForm,
)
from nrm.support.lifecycle import PERMITTED_EARLY_END_REASONS
from nrm.support.models import SupportReferral, SupportReferralStatus

DATE_ANCHORS = {name: f"{name}-day" for name in ("start_date", "end_date", "assessed_on", "support_needed_until",
                                                   "ended_on")}


def _service_error(form: Any, exc: ServiceError, default_field: str) -> None:
    form.add_error(exc.field if exc.field in form.fields else default_field, exc.message)


def _errors(form: Any, first_field: str) -> list[dict[str, str]]:
    return error_list(form, first_field=first_field, anchors=DATE_ANCHORS)


def _person_url(referral: SupportReferral) -> str:
    return reverse("support:person", kwargs={"referral_id": referral.pk})


@login_required
def support_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_provide_support(request.user):
        raise Http404("No people supported")
    search = pagination.search_text(request.GET.get("q"))
    group = request.GET.get("show", "current")
    group = group if group in selectors.LIST_GROUPS else "current"
    page = pagination.paginate(selectors.support_list_for(request.user, group=group, search=search),
                               request.GET.get("page"))
    rows = [{"referral": r, "name": selectors.person_name(r.case.referral),
             "dates": selectors.support_dates(r)} for r in page.items]
    counts = selectors.support_list_counts(request.user)
    return render(request, "support/list.html", {
        "title": "People supported",
        "rows": rows,
        "page": page,
        "search": search,
        "group": group,
        "new_referrals": counts["offered"],
        "groups": [{"key": key, "label": label, "count": counts[key]}
                   for key, (label, _) in selectors.LIST_GROUPS.items()],
        "pagination": pagination.govuk_pagination(page, {"q": search, "show": group}, label="Pages of people"),
    })


@login_required
def person(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.support_referral_get_for(request.user, referral_id)
    return _person_page(request, referral, RespondForm())


def _person_page(request: HttpRequest, referral: SupportReferral, form: RespondForm) -> HttpResponse:
    audit_record(actor=request.user, action="support.person_viewed", target=referral, case=referral.case)
    return render(request, "support/person.html", {
        "title": selectors.person_name(referral.case.referral),
        "referral": referral,
        "person": selectors.person_summary(referral, reader=request.user),
        "dates": selectors.support_dates(referral),
        "episodes": selectors.support_episodes(referral),
        "assessments": selectors.support_assessments(referral),
        "form": form,
        "can_ask_reconsideration": selectors.may_ask_reconsideration(request.user, referral),
        "errors": _errors(form, "response"),
        "response_error": field_error(form, "response"),
        "reason_error": field_error(form, "reason"),
        "back_url": reverse("support:list"),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def respond(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.support_referral_get_for(request.user, referral_id)
    form = RespondForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["response"] == "accept"
        try:
            services.support_referral_respond(referral=referral, user=request.user, accept=accept,
                                              reason=form.cleaned_data.get("reason", ""))
        except ServiceError as exc:
            _service_error(form, exc, "response")
        else:
            messages.success(request, "You accepted the referral. Record the support you give below." if accept
                             else "You declined the referral. The competent authority has been told.")
            return redirect(_person_url(referral) if accept else reverse("support:list"))
    return _person_page(request, referral, form)


@login_required
@require_http_methods(["GET", "POST"])
def episode_new(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.support_referral_get_for(request.user, referral_id)
    if referral.status != SupportReferralStatus.ACCEPTED:
        return redirect(_person_url(referral))
    form = EpisodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_episode_record(referral=referral, user=request.user, kind=form.cleaned_data["kind"],
                                            start_date=form.cleaned_data["start_date"],
                                            end_date=form.cleaned_data.get("end_date"))
        except ServiceError as exc:
            _service_error(form, exc, "kind")
        else:
            messages.success(request, "Support recorded.")
            return redirect(_person_url(referral))
    return render(request, "support/episode_form.html", {
        "title": "Record support", "referral": referral, "form": form,
        "person_name": selectors.person_name(referral.case.referral),
        "errors": _errors(form, "kind"),
        "kind_error": field_error(form, "kind"), "start_error": field_error(form, "start_date"),
        "end_error": field_error(form, "end_date"),
        "back_url": _person_url(referral),
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def episode_end(request: HttpRequest, referral_id: str, episode_id: str) -> HttpResponse:
    referral = selectors.support_referral_get_for(request.user, referral_id)
    episode = selectors.episode_get_for(request.user, referral, episode_id)
    if episode.end_date is not None or referral.status != SupportReferralStatus.ACCEPTED:
        return redirect(_person_url(referral))
    form = EpisodeEndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_episode_end(episode=episode, user=request.user, end_date=form.cleaned_data["end_date"])
        except ServiceError as exc:
            _service_error(form, exc, "end_date")
        else:
            messages.success(request, f"{episode.get_kind_display()} support ended.")
            return redirect(_person_url(referral))
    return render(request, "support/episode_end.html", {
        "title": f"End {episode.get_kind_display().lower()} support", "referral": referral, "episode": episode,
        "form": form, "person_name": selectors.person_name(referral.case.referral),
        "errors": _errors(form, "end_date"), "end_error": field_error(form, "end_date"),
        "back_url": _person_url(referral),
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.support_referral_get_for(request.user, referral_id)
    if referral.status != SupportReferralStatus.ACCEPTED:
        return redirect(_person_url(referral))
    form = AssessmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_assessment_record(
                referral=referral, user=request.user, assessed_on=form.cleaned_data["assessed_on"],
                outcome=form.cleaned_data["outcome"],
                support_needed_until=form.cleaned_data.get("support_needed_until"),
                notes=form.cleaned_data.get("notes", ""))
        except ServiceError as exc:
            _service_error(form, exc, "assessed_on")
        else:
            messages.success(request, "Recovery needs assessment recorded.")
            return redirect(_person_url(referral))
    return render(request, "support/assessment_form.html", {
        "title": "Record a recovery needs assessment", "referral": referral, "form": form,
        "person_name": selectors.person_name(referral.case.referral),
        "errors": _errors(form, "assessed_on"),
        "assessed_error": field_error(form, "assessed_on"), "outcome_error": field_error(form, "outcome"),
        "until_error": field_error(form, "support_needed_until"), "notes_error": field_error(form, "notes"),
        "back_url": _person_url(referral),
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def reconsideration(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.support_referral_get_for(request.user, referral_id)
    if not selectors.may_ask_reconsideration(request.user, referral):
        return redirect(_person_url(referral))
    form = ReconsiderationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_request_reconsideration(referral=referral, user=request.user,
                                                     grounds=form.cleaned_data["grounds"])
        except ServiceError as exc:
            _service_error(form, exc, "grounds")
        else:
            messages.success(request, "Your request for reconsideration has been sent. A different decision maker "
                                      "will take a fresh decision.")
            return redirect(_person_url(referral))
    return render(request, "support/reconsideration.html", {
        "title": "Ask for the decision to be reconsidered", "referral": referral, "form": form,
        "person_name": selectors.person_name(referral.case.referral),
        "state_label": CaseState(referral.case.state).label,
        "errors": _errors(form, "grounds"), "grounds_error": field_error(form, "grounds"),
        "back_url": _person_url(referral),
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def end_support(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.support_referral_get_for(request.user, referral_id)
    if referral.status != SupportReferralStatus.ACCEPTED:
        return redirect(_person_url(referral))
    form = EndSupportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_end(referral=referral, user=request.user, ended_on=form.cleaned_data["ended_on"],
                                 reason=form.cleaned_data["reason"], details=form.cleaned_data.get("details", ""))
        except ServiceError as exc:
            _service_error(form, exc, "ended_on")
        else:
            messages.success(request, "Support has ended.")
            return redirect(_person_url(referral))
    return render(request, "support/end_form.html", {
        "title": "End support", "referral": referral, "form": form,
        "person_name": selectors.person_name(referral.case.referral),
        "dates": selectors.support_dates(referral),
        "reasons": PROVIDER_END_CHOICES,
        "permitted": PERMITTED_EARLY_END_REASONS,
        "errors": _errors(form, "ended_on"),
        "ended_error": field_error(form, "ended_on"), "reason_error": field_error(form, "reason"),
        "details_error": field_error(form, "details"),
        "today": timezone.localdate(),
        "back_url": _person_url(referral),
    }, status=400 if form.errors else 200)
