"""Casework pages. Views parse input, call selectors (scoped reads; 404 when not visible) and
services (every change), and render GOV.UK pages that work without JavaScript."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from nrm.audit.services import audit_record
from nrm.cases import access, selectors, services, stages
from nrm.cases.actions import actions_for
from nrm.cases.forms import (
    DISQUALIFICATION_DECISIONS,
    AllocateForm,
    AnswerForm,
    DecisionForm,
    DisqualificationDecisionForm,
    DisqualifyForm,
    InformationRequestForm,
    NoteForm,
    ReasonForm,
    ReconsiderationForm,
    RepresentativeForm,
    RgDecisionForm,
)
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, InformationRequestStatus, Stage
from nrm.cases.standards import standard_in_force
from nrm.core.errors import ServiceError
from nrm.referrals.answers import person_name, referral_answer_rows
from nrm.referrals.evidence import evidence_response

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

ErrorList = list[dict[str, str]]


def _field_href(field: str | None, default: str) -> str:
    anchors = {"due_on": "due_on-day"}
    return "#" + anchors.get(field or "", field or default)


def _form_errors(form: django_forms.Form, default: str) -> tuple[ErrorList, dict[str, str]]:
    summary: ErrorList = []
    by_field: dict[str, str] = {}
    for name, errors in form.errors.items():
        for message in errors:
            field = None if name == "__all__" else name
            summary.append({"text": str(message), "href": _field_href(field, default)})
            if field and field not in by_field:
                by_field[field] = str(message)
    return summary, by_field


def _service_error(error: ServiceError, default: str) -> tuple[ErrorList, dict[str, str]]:
    summary = [{"text": error.message, "href": _field_href(error.field, default)}]
    return summary, ({error.field: error.message} if error.field else {})


def _audit_view(request: HttpRequest, case: Case, page: str) -> None:
    audit_record(actor=request.user, action="case.viewed", target=case, after={"page": page})


def _authority_case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    """A case the user may work on as competent authority staff; 404 for anyone else."""
    case = selectors.case_get_for(request.user, case_id)
    if not access.is_decision_maker_for(request.user, case):
        raise Http404("No such case")
    return case


def _first_responder_case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    case = selectors.case_get_for(request.user, case_id)
    if not access.is_first_responder_for(request.user, case):
        raise Http404("No such case")
    return case


def _case_summary(case: Case) -> list[dict[str, Any]]:
    rows = [
        ("Reference", case.reference),
        ("Status", State(case.state).label),
        ("Competent authority", access.competent_authority_name(case.competent_authority)),
        ("Referred by", case.first_responder_organisation.name),
        ("Received", f"{case.received_on.day} {case.received_on:%B %Y}"),
        ("Child", "Yes" if case.is_child else "No"),
    ]
    return [{"key": {"text": k}, "value": {"text": v}} for k, v in rows]


def _values(request: HttpRequest, *names: str) -> dict[str, str]:
    """What the user typed, to put back in the form when it has errors."""
    return {name: request.POST.get(name, "") for name in names}


def _select_items(choices: Any, current: str) -> list[dict[str, Any]]:
    return [{"value": value, "text": text, "selected": value == current} for value, text in choices]


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, errors: ErrorList | None = None) -> HttpResponse:
    context = {**context, "errors": errors or []}
    return render(request, template, context, status=400 if errors else 200)


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("cases:detail", case_id=case.pk)


# ---------------------------------------------------------------------------------------------
# Queue, first responders' lists, dashboard
# ---------------------------------------------------------------------------------------------


def _page_url(request: HttpRequest, filters: selectors.QueueFilters, **cursor: str) -> str:
    query = QueryDict(mutable=True)
    query.update(filters.as_query())
    for key, value in cursor.items():
        query[key] = value
    return f"{reverse('cases:queue')}?{query.urlencode()}"


def _queue_response(request: HttpRequest, query: QueryDict, *, errors: ErrorList | None = None,
                    selected: set[str] | None = None, caseworker_value: str = "") -> HttpResponse:
    filters = selectors.QueueFilters.from_query(query)
    page = selectors.case_queue(request.user, filters, after=query.get("after"), before=query.get("before"))
    audit_record(actor=request.user, action="cases.queue_viewed", target=request.user,
                 after={"filters": filters.as_query(), "cases": [str(r.case.pk) for r in page.rows]})
    senior = access.is_senior(request.user)
    # Seniors allocate and look at others' caseloads; caseworkers filter on their own.
    caseworkers = selectors.caseworkers_for(request.user) if senior else []
    names = [access.competent_authority_name(c) for c in page.competent_authorities] + list(page.decision_panels)
    return _render(request, "cases/queue.html", {
        "title": "Cases",
        "authority_name": " and ".join(names),
        "filters": filters,
        "page": page,
        "senior": senior,
        "caseworkers": caseworkers,
        "selected": selected or set(),
        "stage_items": _select_items([(s.value, s.label) for s in stages.QueueStage], filters.stage.value),
        "child_items": _select_items(selectors.CHILD_CHOICES, filters.child),
        "due_items": _select_items(selectors.RG_DUE_CHOICES, filters.rg_due),
        "age_items": _select_items(selectors.AGE_CHOICES, filters.age),
        "alloc_items": _select_items(
            [("", "Anyone or no one"), ("me", "Allocated to me"), ("unallocated", "Not allocated"),
             *((str(u.pk), f"Allocated to {u.full_name or u.email}") for u in caseworkers)],
            filters.allocation),
        "who_items": _select_items(
            [("", "Choose a caseworker"), ("nobody", "No one (unallocate)"),
             *((str(u.pk), u.full_name or u.email) for u in caseworkers)],
            caseworker_value),
        "next_url": _page_url(request, filters, after=page.next_cursor) if page.next_cursor else None,
        "previous_url": _page_url(request, filters, before=page.previous_cursor) if page.previous_cursor else None,
        "return_query": query.urlencode(),
    }, errors=errors)


@login_required
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    """The competent authority's queue; first responders get their organisation's cases instead."""
    if not access.is_competent_authority_staff(request.user):
        if access.first_responder_organisation_ids(request.user):
            return referred(request)
        raise Http404("No queue")
    return _queue_response(request, request.GET)


@login_required
@require_POST
def allocate_bulk(request: HttpRequest) -> HttpResponse:
    """Allocate the cases ticked on the queue page (seniors). Errors redisplay the queue with the
    ticks and the choice kept."""
    if not access.is_competent_authority_staff(request.user):
        raise Http404("No queue")
    return_query = request.POST.get("return_query", "")
    query = QueryDict(return_query)
    back = f"{reverse('cases:queue')}?{return_query}" if return_query else reverse("cases:queue")
    form = AllocateForm(request.POST, caseworkers=selectors.caseworkers_for(request.user))
    ids = []
    for raw in request.POST.getlist("cases"):
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    chosen = list(selectors.cases_visible_to(request.user).filter(pk__in=ids))
    errors: ErrorList = []
    if not chosen:
        errors.append({"text": "Select at least one case to allocate", "href": "#cases-table"})
    if not form.is_valid():
        errors.append({"text": str(form.errors["caseworker"][0]), "href": "#caseworker"})
    if not errors:
        try:
            count = services.case_allocate(cases=chosen, caseworker=form.cleaned_data["caseworker"],
                                           allocated_by=request.user)
        except ServiceError as exc:
            errors.append({"text": exc.message, "href": "#caseworker" if exc.field == "caseworker" else "#cases-table"})
        else:
            who = form.cleaned_data["caseworker"]
            noun = "case" if count == 1 else "cases"
            messages.success(request, f"{count} {noun} allocated to {who}" if who else f"{count} {noun} unallocated")
            return redirect(back)
    return _queue_response(request, query, errors=errors, selected={str(c.pk) for c in chosen},
                           caseworker_value=request.POST.get("caseworker", ""))


@login_required
@require_http_methods(["GET"])
def referred(request: HttpRequest) -> HttpResponse:
    """A first responder's view: their organisation's referrals, with status and decisions."""
    if not access.first_responder_organisation_ids(request.user):
        raise Http404("No cases")
    page = selectors.cases_referred_by(request.user, after=request.GET.get("after"))
    audit_record(actor=request.user, action="cases.referred_list_viewed", target=request.user,
                 after={"cases": [str(c.pk) for c in page.cases]})
    open_requests = selectors.information_requests_for(request.user).count()
    return render(request, "cases/referred.html", {
        "title": "Your organisation's cases",
        "page": page,
        "open_requests": open_requests,
        "next_url": f"{reverse('cases:queue')}?after={page.next_cursor}" if page.next_cursor else None,
    })


@login_required
@require_http_methods(["GET"])
def information_requests(request: HttpRequest) -> HttpResponse:
    if not access.first_responder_organisation_ids(request.user):
        raise Http404("No requests")
    requests = list(selectors.information_requests_for(request.user)[:200])
    audit_record(actor=request.user, action="information_requests.listed", target=request.user,
                 after={"requests": [str(r.pk) for r in requests]})
    return render(request, "cases/information_requests.html", {
        "title": "Requests for information", "requests": requests, "today": timezone.localdate(),
    })


@login_required
@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    authorities = selectors.dashboard_authorities(request.user)
    if not authorities:
        raise Http404("No dashboard")
    today = timezone.localdate()
    sections = [
        {
            "code": code,
            "name": access.competent_authority_name(code),
            "backlog": selectors.dashboard_backlog(code, today=today),
            "timeliness": selectors.dashboard_timeliness(code, today=today),
            "forecast": selectors.dashboard_forecast(code, today=today),
        }
        for code in authorities
    ]
    audit_record(actor=request.user, action="cases.dashboard_viewed", target=request.user,
                 after={"authorities": authorities})
    return render(request, "cases/dashboard.html", {"title": "Dashboard", "sections": sections, "today": today})


# ---------------------------------------------------------------------------------------------
# The case page
# ---------------------------------------------------------------------------------------------


def _recovery_period_running(case: Case) -> bool:
    """Whether today is before the first day a conclusive grounds decision may be made."""
    ends = selectors.recovery_period_end(case)
    return ends is not None and timezone.localdate() < ends


def _actions(request: HttpRequest, case: Case) -> list[dict[str, str]]:
    """Links to the steps the page offers (``actions_for``); guards are checked when a step is taken."""
    offered = actions_for(State(case.state), access.case_capabilities(request.user, case),
                          recovery_period_running=_recovery_period_running(case),
                          disqualification_requested=selectors.open_disqualification_request(case) is not None)
    return [{"text": a.text, "href": reverse(a.url_name, kwargs={"case_id": case.pk}), "url_name": a.url_name}
            for a in offered]


@login_required
@require_http_methods(["GET"])
def detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = selectors.case_get_for(request.user, case_id)
    info = selectors.case_detail(request.user, case)
    _audit_view(request, case, "detail")
    context: dict[str, Any] = {
        "title": f"Case {case.reference}",
        "person": person_name(case.referral),
        "case": case,
        "detail": info,
        "state_label": State(case.state).label,
        "authority_name": access.deciding_body_name(case),
        "competent_authority_name": access.competent_authority_name(case.competent_authority),
        "back_url": reverse("cases:queue"),
        "today": timezone.localdate(),
        "evidence": selectors.case_evidence(case),
    }
    if info.mode == "authority":
        context["actions"] = _actions(request, case)
        context["referral_sections"] = referral_answer_rows(case.referral, reader=request.user)
        context["referral"] = case.referral
        return render(request, "cases/detail.html", context)
    context["can_ask_reconsideration"] = any(a.url_name == "cases:reconsideration" for a in actions_for(
        State(case.state), access.case_capabilities(request.user, case)))
    return render(request, "cases/detail_first_responder.html", context)


# ---------------------------------------------------------------------------------------------
# Decisions and review
# ---------------------------------------------------------------------------------------------


def _decision_page(request: HttpRequest, case_id: uuid.UUID, stage: Stage) -> HttpResponse:
    case = _authority_case(request, case_id)
    today = timezone.localdate()
    form_class = RgDecisionForm if stage == Stage.RG else DecisionForm
    allocated_to_other = selectors.allocated_to_other(case, request.user)
    form = form_class(request.POST or None, stage=stage.value, on=today, allocated_to_other=allocated_to_other)
    standard = standard_in_force(stage.value, on=today)
    errors: ErrorList = []
    field_errors: dict[str, str] = {}
    form_closed = stage == Stage.CG and _recovery_period_running(case)
    if request.method == "POST" and form_closed:
        return HttpResponseRedirect(reverse("cases:cg_decision", kwargs={"case_id": case.pk}))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                decision = services.case_record_decision(
                    case=case, stage=stage, decision_maker=request.user, outcome=data["outcome"],
                    reasons=data["reasons"], rationale=data["rationale"],
                    standard_applied=data.get("standard_applied", ""))
            except ServiceError as exc:
                errors, field_errors = _service_error(exc, "outcome")
                case.refresh_from_db()
            else:
                served = decision.status == "served"
                what = f"{decision.get_outcome_display().lower()} {stage.label.lower()} decision"
                return _done(request, case, f"The {what} has been served and the letters sent" if served else
                             f"The {what} has been recorded. It goes to review before it is served")
        else:
            errors, field_errors = _form_errors(form, "outcome")
    else:
        _audit_view(request, case, f"{stage.value.lower()}_decision")
    recovery_ends = selectors.recovery_period_end(case)
    open_requests = case.information_requests.filter(status=InformationRequestStatus.OPEN).count()
    chosen = set(request.POST.getlist("reasons"))
    return _render(request, "cases/decision.html", {
        "title": f"{stage.label} decision",
        "stage": stage.value,
        "case": case,
        "summary": _case_summary(case),
        "form": form,
        "values": _values(request, "outcome", "standard_applied", "rationale", "confirm_allocation"),
        "reason_items_list": [{"value": r.code, "text": r.label, "hint": {"text": r.description},
                               "checked": r.code in chosen} for r in form.reason_rows],
        "field_errors": field_errors,
        "standard": standard,
        "recovery_ends": recovery_ends,
        "open_requests": open_requests,
        "rg": selectors.case_rg_target(case, (), today=today),
        "allocated_to_other": allocated_to_other,
        "form_closed": form_closed,
        "back_url": reverse("cases:detail", kwargs={"case_id": case.pk}),
    }, errors=errors)


@login_required
@require_http_methods(["GET", "POST"])
def rg_decision(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    return _decision_page(request, case_id, Stage.RG)


@login_required
@require_http_methods(["GET", "POST"])
def cg_decision(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    return _decision_page(request, case_id, Stage.CG)


# ---------------------------------------------------------------------------------------------
# Requests for information
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rfi_new(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)
    default_due = services.information_request_default_due(case)
    form = InformationRequestForm(request.POST or None, initial={"due_on": default_due})
    errors: ErrorList = []
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.information_request_send(case=case, requested_by=request.user,
                                                  question=form.cleaned_data["question"],
                                                  due_on=form.cleaned_data["due_on"])
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else "question", exc.message)
            else:
                return _done(request, case, f"Your request has been sent to {case.first_responder_organisation.name}")
        errors, field_errors = _form_errors(form, "question")
    else:
        _audit_view(request, case, "rfi_new")
    return _render(request, "cases/rfi_new.html", {
        "title": "Ask the first responder for information",
        "case": case,
        "summary": _case_summary(case),
        "form": form,
        "values": _values(request, "question"),
        "field_errors": field_errors,
        "default_due": default_due,
        "back_url": reverse("cases:detail", kwargs={"case_id": case.pk}),
    }, errors=errors)


@login_required
@require_http_methods(["GET", "POST"])
def rfi_answer(request: HttpRequest, case_id: uuid.UUID, request_id: uuid.UUID) -> HttpResponse:
    """The first responder reads a request for information and answers it."""
    case = _first_responder_case(request, case_id)
    information_request = selectors.information_request_get_for(request.user, case, request_id)
    form = AnswerForm(request.POST or None)
    errors: ErrorList = []
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.information_request_answer(information_request=information_request,
                                                     answered_by=request.user, answer=form.cleaned_data["answer"])
            except ServiceError as exc:
                errors, field_errors = _service_error(exc, "answer")
            else:
                return _done(request, case, "Your answer has been sent to the competent authority")
        else:
            errors, field_errors = _form_errors(form, "answer")
    else:
        _audit_view(request, case, "rfi_answer")
    return _render(request, "cases/rfi_answer.html", {
        "title": "Answer a request for information",
        "case": case,
        "information_request": information_request,
        "is_open": information_request.status == InformationRequestStatus.OPEN,
        "form": form,
        "values": _values(request, "answer"),
        "field_errors": field_errors,
        "back_url": reverse("cases:detail", kwargs={"case_id": case.pk}),
    }, errors=errors)


@login_required
@require_http_methods(["GET", "POST"])
def rfi_close(request: HttpRequest, case_id: uuid.UUID, request_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)
    information_request = selectors.information_request_get_for(request.user, case, request_id)

    def act(form: django_forms.Form) -> str:
        services.information_request_close(information_request=information_request, closed_by=request.user,
                                           reason=form.cleaned_data["reason"])
        return "The request has been closed without an answer"

    return _reason_page(request, case, form_class=ReasonForm, act=act, page="rfi_close",
                        title="Close a request for information",
                        lead=f"Request sent on {information_request.created_at:%d %B %Y}: {information_request.question}",
                        label="Why are you closing it without an answer?", button="Close the request")


# ---------------------------------------------------------------------------------------------
# Single-reason steps: notes, withdrawal, suspension, reactivation, disqualification, closing,
# reconsideration, allocation
# ---------------------------------------------------------------------------------------------


def _reason_page(request: HttpRequest, case: Case, *, form_class: type[django_forms.Form],
                 act: Callable[[Any], str], page: str, title: str, label: str, button: str, lead: str = "",
                 field: str = "reason", warning: str = "", grounds: list[tuple[str, str]] | None = None,
                 ) -> HttpResponse:
    form = form_class(request.POST or None)
    errors: ErrorList = []
    field_errors: dict[str, str] = {}
    default_anchor = "ground" if grounds else field
    if request.method == "POST":
        if form.is_valid():
            try:
                message = act(form)
            except ServiceError as exc:
                errors, field_errors = _service_error(exc, default_anchor)
                case.refresh_from_db()
            else:
                return _done(request, case, message)
        else:
            errors, field_errors = _form_errors(form, default_anchor)
    else:
        _audit_view(request, case, page)
    return _render(request, "cases/reason_form.html", {
        "title": title,
        "case": case,
        "summary": _case_summary(case),
        "form": form,
        "field": field,
        "label": label,
        "lead": lead,
        "button": button,
        "warning": warning,
        "grounds": grounds,
        "values": _values(request, field, "ground"),
        "ground_items_list": [{"value": value, "text": text, "checked": request.POST.get("ground") == value}
                              for value, text in (grounds or [])],
        "field_errors": field_errors,
        "back_url": reverse("cases:detail", kwargs={"case_id": case.pk}),
    }, errors=errors)


@login_required
@require_http_methods(["GET", "POST"])
def note_new(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)

    def act(form: django_forms.Form) -> str:
        services.case_note_add(case=case, author=request.user, text=form.cleaned_data["text"])
        return "Your note has been added"

    return _reason_page(request, case, form_class=NoteForm, act=act, page="note_new", title="Add a note",
                        label="Note", button="Add note", field="text",
                        lead="Notes are seen only by the competent authority.")


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)

    def act(form: django_forms.Form) -> str:
        services.case_withdraw(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        return "The case has been withdrawn"

    return _reason_page(request, case, form_class=ReasonForm, act=act, page="withdraw", title="Withdraw this case",
                        label="Why is the case being withdrawn?", button="Withdraw the case",
                        warning="The first responder will be told. A withdrawn case cannot be reopened.")


@login_required
@require_http_methods(["GET", "POST"])
def suspend(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)

    def act(form: django_forms.Form) -> str:
        services.case_suspend(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        return "The case has been suspended"

    return _reason_page(request, case, form_class=ReasonForm, act=act, page="suspend", title="Suspend this case",
                        label="Why is the case being suspended?", button="Suspend the case",
                        lead="Suspend a case when the person is missing or cannot be contacted. When it is "
                             "reactivated it returns to where it was.")


@login_required
@require_http_methods(["GET", "POST"])
def reactivate(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)
    back_to = State(case.suspended_from).label if case.suspended_from else "the state it was in"

    def act(form: django_forms.Form) -> str:
        services.case_reactivate(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        return f"The case has been reactivated: {State(case.state).label}"

    return _reason_page(request, case, form_class=ReasonForm, act=act, page="reactivate",
                        title="Reactivate this case", label="Why is the case being reactivated?",
                        button="Reactivate the case", lead=f"The case will return to: {back_to}.")


_S63_LEAD = ("After a positive reasonable grounds decision, the competent authority may decide that the person is "
             "disqualified from the protections of the recovery period on public order or bad faith grounds "
             "(Nationality and Borders Act 2022, section 63).")


@login_required
@require_http_methods(["GET", "POST"])
def disqualification_request(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    from nrm.cases.models import DisqualificationGround

    case = _authority_case(request, case_id)

    def act(form: django_forms.Form) -> str:
        services.disqualification_request_raise(case=case, raised_by=request.user, ground=form.cleaned_data["ground"],
                                                grounds=form.cleaned_data["reason"])
        return "Your request has been sent. A senior decision maker will decide whether to disqualify the person"

    return _reason_page(request, case, form_class=DisqualifyForm, act=act, page="disqualification_request",
                        title="Ask for public order disqualification", label="Grounds for disqualification",
                        button="Send the request", lead=_S63_LEAD + " A senior decision maker decides.",
                        grounds=list(DisqualificationGround.choices))


@login_required
@require_http_methods(["GET", "POST"])
def disqualification_decide(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)
    pending = selectors.open_disqualification_request(case)
    if pending is None:  # decided already, or never asked for: the case page says which
        return redirect("cases:detail", case_id=case.pk)

    def act(form: django_forms.Form) -> str:
        disqualify = form.cleaned_data["ground"] == "disqualify"
        services.disqualification_request_decide(request=pending, decided_by=request.user, disqualify=disqualify,
                                                 reasons=form.cleaned_data["reason"])
        return ("The person has been disqualified and the first responder told, with the reasons" if disqualify
                else "You decided not to disqualify the person. The reasons are recorded")

    return _reason_page(request, case, form_class=DisqualificationDecisionForm, act=act,
                        page="disqualification_decide", title="Decide the disqualification request",
                        label="Reasons for the decision", button="Record the decision",
                        lead=(f"{pending.raised_by} asked on {pending.raised_on:%d %B %Y} for the person to be "
                              f"disqualified: {pending.get_ground_display()}. Their grounds: {pending.grounds}"),
                        warning="A decision to disqualify is sent, with the reasons, to the first responder and "
                                "the person's representative, and ends the person's support.",
                        grounds=list(DISQUALIFICATION_DECISIONS))


@login_required
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)

    def act(form: django_forms.Form) -> str:
        services.case_close(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        return "The case has been closed"

    return _reason_page(request, case, form_class=ReasonForm, act=act, page="close", title="Close this case",
                        label="Why is the case being closed?", button="Close the case")


@login_required
@require_http_methods(["GET", "POST"])
def reconsideration(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _first_responder_case(request, case_id)

    def act(form: django_forms.Form) -> str:
        services.case_request_reconsideration(case=case, requested_by=request.user,
                                              grounds=form.cleaned_data["grounds"])
        return "Your request for reconsideration has been sent. A different decision maker will take a fresh decision"

    return _reason_page(request, case, form_class=ReconsiderationForm, act=act, page="reconsideration",
                        title="Ask for the decision to be reconsidered", field="grounds",
                        label="Why should the decision be reconsidered?", button="Send the request",
                        lead="Give any new information, or explain why you think the decision is wrong.")


@login_required
@require_http_methods(["GET", "POST"])
def allocate(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)
    caseworkers = selectors.caseworkers_for(request.user)
    form = AllocateForm(request.POST or None, caseworkers=caseworkers)
    errors: ErrorList = []
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.case_allocate(cases=[case], caseworker=form.cleaned_data["caseworker"],
                                       allocated_by=request.user)
            except ServiceError as exc:
                errors, field_errors = _service_error(exc, "caseworker")
                if exc.field != "caseworker":
                    field_errors = {"caseworker": exc.message}
            else:
                who = form.cleaned_data["caseworker"]
                return _done(request, case, f"Case allocated to {who}" if who else "Case unallocated")
        else:
            errors, field_errors = _form_errors(form, "caseworker")
    else:
        _audit_view(request, case, "allocate")
    return _render(request, "cases/allocate.html", {
        "title": "Allocate this case",
        "case": case,
        "summary": _case_summary(case),
        "form": form,
        "who_items": _select_items(
            [("", "Choose a caseworker"), ("nobody", "No one (unallocate)"),
             *((str(u.pk), u.full_name or u.email) for u in caseworkers)],
            request.POST.get("caseworker", str(case.allocated_to_id or ""))),
        "field_errors": field_errors,
        "back_url": reverse("cases:detail", kwargs={"case_id": case.pk}),
    }, errors=errors)


@login_required
@require_http_methods(["GET", "POST"])
def representative(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _authority_case(request, case_id)
    form = RepresentativeForm(request.POST or None)
    errors: ErrorList = []
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.case_representative_set(case=case, actor=request.user,
                                                 name=form.cleaned_data["representative_name"],
                                                 email=form.cleaned_data["representative_email"])
            except ServiceError as exc:
                errors, field_errors = _service_error(exc, "representative_name")
            else:
                return _done(request, case, "The representative has been recorded. They will be sent the decision "
                             "letters" if case.representative_email else "The representative has been removed")
        else:
            errors, field_errors = _form_errors(form, "representative_name")
        values = _values(request, "representative_name", "representative_email")
    else:
        _audit_view(request, case, "representative")
        values = {"representative_name": case.representative_name, "representative_email": case.representative_email}
    return _render(request, "cases/representative.html", {
        "title": "The person's representative",
        "case": case,
        "summary": _case_summary(case),
        "values": values,
        "field_errors": field_errors,
        "back_url": reverse("cases:detail", kwargs={"case_id": case.pk}),
    }, errors=errors)


# ---------------------------------------------------------------------------------------------
# Letters
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def letter(request: HttpRequest, case_id: uuid.UUID, letter_id: uuid.UUID) -> HttpResponse:
    case = selectors.case_get_for(request.user, case_id)
    found = selectors.letter_get_for(request.user, case, letter_id)
    audit_record(actor=request.user, action="case.viewed", target=case, after={"page": "letter",
                                                                                "letter": str(found.pk)})
    return render(request, "cases/letter.html", {
        "title": f"Decision letter - {case.reference}",
        "case": case,
        "letter": found,
        "back_url": reverse("cases:detail", kwargs={"case_id": case.pk}),
    })


@login_required
@require_http_methods(["GET"])
def letter_pdf(request: HttpRequest, case_id: uuid.UUID, letter_id: uuid.UUID) -> HttpResponse:
    case = selectors.case_get_for(request.user, case_id)
    found = selectors.letter_get_for(request.user, case, letter_id)
    audit_record(actor=request.user, action="case.viewed", target=case, after={"page": "letter_pdf",
                                                                                "letter": str(found.pk)})
    content = found.pdf_content()
    if content is None:
        return HttpResponse("This letter was erased.", status=410, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-{found.decision.stage}-decision.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET"])
def evidence(request: HttpRequest, case_id: uuid.UUID, attachment_id: uuid.UUID) -> HttpResponse:
    """A file the first responder attached, for anyone who may see the case. Every read is audited
    and the file is never kept in a cache."""
    case, attachment = selectors.case_evidence_get_for(request.user, case_id, attachment_id)
    audit_record(actor=request.user, action="case.viewed", target=case,
                 after={"page": "evidence", "attachment": str(attachment.pk)})
    return evidence_response(attachment)
