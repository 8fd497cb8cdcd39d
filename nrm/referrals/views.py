"""Pages of the referral journey, contributors, and requests to refer. Views parse input and
call services and selectors; every object is read through a selector (404 if not visible)."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from nrm.accounts import throttle
from nrm.core import pagination
from nrm.core.errors import AccessDenied, ServiceError
from nrm.core.forms import error_list
from nrm.core.forms import field_error as first_error
from nrm.core.input import has_unsafe_characters, shown_back, unsafe_message
from nrm.core.jinja import govuk_date
from nrm.core.policy import int_value
from nrm.referrals import journey, selectors, services
from nrm.referrals.answers import referral_answer_rows
from nrm.referrals.choices import options_on
from nrm.referrals.evidence import ALLOWED_LABELS, MAX_BYTES, MAX_FILES, evidence_response, human_size
from nrm.referrals.forms import ConcernForm, ContributionForm, InvitationForm
from nrm.referrals.language import language_flags
from nrm.referrals.models import ConcernStatus, ConcernUrgency, Referral, ReferralStatus
from nrm.referrals.pages import language_terms_json, person_name, step_field_views, step_url

DTN_SESSION_KEY = "referrals_dtn_sent"
DTN_REFERENCE_KEY = "referrals_dtn_reference"
URGENCY_ORDER: dict[str, int] = {ConcernUrgency.IMMEDIATE: 0, ConcernUrgency.URGENT: 1, ConcernUrgency.STANDARD: 2}


def _dtn_token(referral_id: UUID) -> str:
    """What the session keeps of a draft sent as a Duty to Notify report, so that sending it again
    shows the same page: a one-way digest, not the draft's id."""
    return hashlib.sha256(f"dtn:{referral_id}".encode()).hexdigest()[:32]


def _resume_url(referral: Referral) -> str:
    """Where a draft was left: the page saved last, if it still applies, else the first page
    with a missing answer, else 'Check your answers'."""
    answers = referral.answers
    step = journey.STEPS_BY_SLUG.get(referral.last_step)
    if step is not None and step.applies(answers):
        return step_url(referral, step)
    if referral.last_step == "check":
        return reverse("referrals:check", kwargs={"referral_id": referral.pk})
    incomplete = journey.first_incomplete_step(answers, options_on())
    if incomplete is not None:
        return step_url(referral, incomplete)
    return reverse("referrals:check", kwargs={"referral_id": referral.pk})


def _expiry_context(referral: Referral) -> dict[str, Any]:
    warning_days = int_value("draft_expiry_warning_days", on=timezone.localdate())
    expires_on = timezone.localdate(referral.expires_at)
    return {"expires_on": expires_on,
            "expiring_soon": (expires_on - timezone.localdate()).days <= warning_days}


# --- Your referrals, start ------------------------------------------------------------------------

@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """Drafts, sent referrals and Duty to Notify reports, each a paginated list of its own (at any
    size: names are unsealed only for the rows shown), all searched by reference or name at once."""
    search = pagination.search_text(request.GET.get("q"))
    visible = selectors.referrals_visible_to(request.user)
    if search:
        visible = visible.filter(selectors.reference_or_name_q(search, rows=visible, referral=""))
    editable = set(selectors.drafts_editable_by(request.user).values_list("pk", flat=True))
    warning_days = int_value("draft_expiry_warning_days", on=timezone.localdate())
    today = timezone.localdate()
    # Each row shows the person's name from the sealed answers: the data keys come in the same query.
    draft_page = pagination.paginate(visible.filter(status=ReferralStatus.DRAFT).select_related(
        "data_key", "author").order_by("-updated_at", "-id"), request.GET.get("drafts_page"))
    drafts = []
    for referral in draft_page.items:
        expires_on = timezone.localdate(referral.expires_at)
        drafts.append({
            "referral": referral, "name": person_name(referral), "editable": referral.pk in editable,
            "kind": "Duty to Notify" if journey.is_duty_to_notify(referral.answers) else "NRM referral",
            "expires_on": expires_on, "expiring_soon": (expires_on - today).days <= warning_days,
            "url": (reverse("referrals:tasks", kwargs={"referral_id": referral.pk}) if referral.pk in editable
                    else reverse("referrals:contribute", kwargs={"referral_id": referral.pk})),
        })
    sent_page = pagination.paginate(visible.filter(status=ReferralStatus.SUBMITTED).select_related(
        "data_key").order_by("-submitted_at", "-id"), request.GET.get("page"))
    submitted = [
        {"referral": r, "name": person_name(r),
         "url": reverse("referrals:confirmation", kwargs={"referral_id": r.pk})}
        for r in sent_page.items
    ]
    reports = selectors.duty_to_notify_reports_of(request.user)
    if search:
        reports = reports.filter(reference__icontains=search)
    report_page = pagination.paginate(reports, request.GET.get("reports_page"))
    pages = {"q": search, "drafts_page": str(draft_page.number), "page": str(sent_page.number),
             "reports_page": str(report_page.number)}
    return render(request, "referrals/list.html", {
        "title": "Your referrals", "search": search, "drafts": drafts, "submitted": submitted,
        "duty_to_notify": report_page.items,
        "draft_page": draft_page, "sent_page": sent_page, "report_page": report_page,
        "drafts_pagination": pagination.govuk_pagination(draft_page, pages, label="Pages of drafts",
                                                         param="drafts_page"),
        "sent_pagination": pagination.govuk_pagination(sent_page, pages, label="Pages of sent referrals"),
        "reports_pagination": pagination.govuk_pagination(report_page, pages, label="Pages of Duty to Notify reports",
                                                          param="reports_page"),
        "can_start": bool(selectors.first_responder_organisations(request.user)),
        "expiry_days": int_value("draft_expiry_days", on=today), "warning_days": warning_days,
    })


@login_required
@require_http_methods(["GET", "POST"])
def referral_start(request: HttpRequest) -> HttpResponse:
    organisations = selectors.first_responder_organisations(request.user)
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        if not organisations:
            raise Http404
        chosen = request.POST.get("organisation") or (organisations[0].slug if len(organisations) == 1 else "")
        organisation = next((o for o in organisations if o.slug == chosen), None)
        if organisation is None:
            errors = [{"text": "Select the organisation you are referring for", "href": "#organisation"}]
        else:
            referral = services.referral_start(actor=request.user, organisation=organisation)
            return redirect(step_url(referral, journey.STEPS[0]))
    return render(request, "referrals/start.html", {
        "title": "Refer a potential victim of modern slavery", "organisations": organisations, "errors": errors,
        "expiry_days": int_value("draft_expiry_days", on=timezone.localdate()),
        "back_url": reverse("referrals:list"),
    }, status=400 if errors else 200)


@login_required
def referral_resume(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.referrals_visible_to(request.user), referral_id)
    if referral.status == ReferralStatus.SUBMITTED:
        return redirect("referrals:confirmation", referral_id=referral.pk)
    if selectors.drafts_editable_by(request.user).filter(pk=referral.pk).exists():
        return redirect(_resume_url(referral))
    return redirect("referrals:contribute", referral_id=referral.pk)


# How each status shows in the GOV.UK task list: plain text when done or not yet possible, a tag
# when there is something to do.
_TASK_STATUS_SHOWN: dict[journey.TaskStatus, dict[str, Any]] = {
    journey.TaskStatus.COMPLETED: {"text": journey.TaskStatus.COMPLETED.value, "classes": None},
    journey.TaskStatus.CANNOT_START: {"text": journey.TaskStatus.CANNOT_START.value,
                                      "classes": "govuk-task-list__status--cannot-start-yet"},
    journey.TaskStatus.INCOMPLETE: {"tag": {"text": journey.TaskStatus.INCOMPLETE.value, "classes": "govuk-tag--blue"}},
    journey.TaskStatus.NOT_STARTED: {"tag": {"text": journey.TaskStatus.NOT_STARTED.value, "classes": None}},
}


@login_required
def referral_tasks(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """The draft's sections as a GOV.UK task list: what is done, what is left, and where to go next."""
    if (sent := _sent_already(request, referral_id)) is not None:
        return sent
    referral = selectors.get_visible(selectors.drafts_editable_by(request.user), referral_id)
    tasks = journey.task_list(referral.answers, options_on())
    items = [{
        "title": {"text": task.section},
        "href": step_url(referral, task.step) if task.status != journey.TaskStatus.CANNOT_START else None,
        "status": _TASK_STATUS_SHOWN[task.status],
    } for task in tasks]
    done = sum(task.status == journey.TaskStatus.COMPLETED for task in tasks)
    return render(request, "referrals/tasks.html", {
        "title": "Duty to Notify report" if journey.is_duty_to_notify(referral.answers) else "Make a referral",
        "referral": referral, "items": items, "done": done, "total": len(tasks), "person": person_name(referral),
        "all_done": done == len(tasks) and not journey.cannot_refer(referral.answers),
        "resume_url": _resume_url(referral), "back_url": reverse("referrals:list"), **_expiry_context(referral),
    })


# --- Question pages -------------------------------------------------------------------------------

def _render_step(request: HttpRequest, referral: Referral, step: journey.Step, *, errors: list[journey.FieldError],
                 return_to_check: bool, status: int = 200, upload_error: str = "",
                 guidance_saved: bool = False, typed: dict[str, Any] | None = None) -> HttpResponse:
    """A question page; ``typed`` is what was sent but could not be saved, shown again as typed."""
    lookup = options_on()
    answers = {**referral.answers, **shown_back(typed)} if typed else referral.answers
    error_map = {e.field: e.message for e in errors}
    summary = [{"text": e.message, "href": f"#{e.anchor}"} for e in errors]
    if upload_error:
        summary.append({"text": upload_error, "href": "#evidence_file"})
    previous = journey.previous_step(step, answers)
    if return_to_check:
        back_url = reverse("referrals:check", kwargs={"referral_id": referral.pk})
    elif previous is not None:
        back_url = step_url(referral, previous)
    else:
        back_url = reverse("referrals:list")
    flags = language_flags(str(answers.get("account") or "")) if step.include_after else []
    context: dict[str, Any] = {
        "title": step.title, "referral": referral, "step": step, "errors": summary,
        "field_views": step_field_views(step, answers, error_map, lookup),
        "return_to_check": return_to_check, "back_url": back_url,
        "flags": flags, "guidance_saved": guidance_saved, "terms_json": language_terms_json(),
        "upload_error": upload_error, "is_dtn": journey.is_duty_to_notify(answers),
        "duty_to_notify_applies": journey.duty_to_notify_applies(answers),
        "nation": journey.first_responder_nation(answers),
        "person": person_name(referral), **_expiry_context(referral),
    }
    if step.slug == "evidence":
        context.update({
            "attachments": [{"attachment": a, "size": human_size(a.size)} for a in referral.attachments.all()],
            "max_files": MAX_FILES, "max_size": human_size(MAX_BYTES), "allowed": ALLOWED_LABELS,
        })
    return render(request, "referrals/step.html", context, status=status)


def _next_url(referral: Referral, step: journey.Step, return_to_check: bool) -> str:
    answers = referral.answers
    if return_to_check:
        # After a change, visit any new or incomplete page it leads to, then go back to the check page.
        incomplete = journey.first_incomplete_step(answers, options_on(), after=step)
        if incomplete is not None:
            return step_url(referral, incomplete, return_to_check=True)
        return reverse("referrals:check", kwargs={"referral_id": referral.pk})
    following = journey.next_step(step, answers)
    if following is None:
        return reverse("referrals:check", kwargs={"referral_id": referral.pk})
    return step_url(referral, following)


def _sent_already(request: HttpRequest, referral_id: UUID) -> HttpResponse | None:
    """A page of a draft that has since been sent (the back button, a colleague): show the sent
    referral rather than a 'not found' page."""
    if selectors.submitted_referrals_visible_to(request.user).filter(pk=referral_id).exists():
        messages.info(request, "This referral has already been sent, so it cannot be changed")
        return redirect("referrals:confirmation", referral_id=referral_id)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def referral_step(request: HttpRequest, referral_id: UUID, step: str) -> HttpResponse:
    if (sent := _sent_already(request, referral_id)) is not None:
        return sent
    referral = selectors.get_visible(selectors.drafts_editable_by(request.user), referral_id)
    current = journey.STEPS_BY_SLUG.get(step)
    if current is None:
        raise Http404
    return_to_check = (request.POST if request.method == "POST" else request.GET).get("return") == "check"
    if not current.applies(referral.answers):
        return redirect(_next_url(referral, current, return_to_check))
    if request.method == "GET":
        return _render_step(request, referral, current, errors=[], return_to_check=return_to_check)

    return _post_step(request, referral, current, return_to_check)


def _post_step(request: HttpRequest, referral: Referral, current: journey.Step, return_to_check: bool) -> HttpResponse:
    """A page of the journey sent: save what it holds, then show its errors or go on."""
    action = request.POST.get("action", "continue")
    values = journey.parse_step(current, request.POST, referral.answers)
    if has_unsafe_characters(values):
        return _refuse_unsafe(request, referral, current, values, action=action, return_to_check=return_to_check)
    if action == "autosave":  # sent by the page's script as the user types: save, say nothing
        services.referral_save_step(referral=referral, actor=request.user, step=current.slug,
                                    values=journey.values_to_save(current, values, referral.answers),
                                    resume_at=current.slug)
        return HttpResponse(status=204)
    merged = {**referral.answers, **values}
    lookup = options_on()
    errors = journey.step_errors(current, merged, lookup)
    upload_error = _upload(request, referral, current, action)

    following = journey.next_step(current, merged)
    stay = bool(errors or upload_error or action in {"save", "upload"})
    resume_at = current.slug if stay else (following.slug if following else "check")
    referral = services.referral_save_step(referral=referral, actor=request.user, step=current.slug,
                                           values=journey.values_to_save(current, values, referral.answers),
                                           resume_at=resume_at)
    if action == "save":
        messages.success(request, "Your answers have been saved. You can come back to this referral until "
                                  f"{govuk_date(timezone.localdate(referral.expires_at))}.")
        return redirect("referrals:list")
    if errors or upload_error:
        return _render_step(request, referral, current, errors=errors, return_to_check=return_to_check,
                            status=400, upload_error=upload_error, typed=values)
    if action == "upload":
        return redirect(step_url(referral, current, return_to_check=return_to_check))
    if current.include_after and _guidance_unseen(request, referral):
        # Language guidance: shown after saving; never blocks. Continue once the flags were seen.
        return _render_step(request, referral, current, errors=[], return_to_check=return_to_check,
                            guidance_saved=True)
    return redirect(_next_url(referral, current, return_to_check))


def _upload(request: HttpRequest, referral: Referral, current: journey.Step, action: str) -> str:
    """Add the file sent with the evidence page, if any; what is wrong with it ("" if nothing)."""
    upload = request.FILES.get("evidence_file") if current.slug == "evidence" else None
    description = request.POST.get("evidence_description", "")
    if isinstance(upload, UploadedFile) and has_unsafe_characters(description):
        return unsafe_message("The description of the file")
    if isinstance(upload, UploadedFile):
        try:
            services.attachment_add(referral=referral, actor=request.user, upload=upload, description=description)
        except ServiceError as exc:
            return exc.message
        messages.success(request, f"{upload.name} has been added")
        return ""
    if current.slug == "evidence" and action == "upload":
        return "Select a file"
    return ""


def _guidance_unseen(request: HttpRequest, referral: Referral) -> bool:
    """Whether the account holds language the guidance flags that the page has not shown yet."""
    shown = {t for t in request.POST.get("guidance_shown", "").split(";") if t}
    found = {flag.term for flag in language_flags(str(referral.answers.get("account") or ""))}
    return bool(found - shown)


def _refuse_unsafe(request: HttpRequest, referral: Referral, step: journey.Step, values: dict[str, Any], *,
                   action: str, return_to_check: bool) -> HttpResponse:
    """Answers holding characters that cannot be stored are not saved (not even as a draft): the
    page comes back with what was typed and a message on each such answer."""
    if action == "autosave":
        return HttpResponse(status=400)
    errors = journey.step_errors(step, {**referral.answers, **values}, options_on())
    return _render_step(request, referral, step, errors=errors, return_to_check=return_to_check, status=400,
                        typed=values)


@login_required
@require_POST
def attachment_remove(request: HttpRequest, referral_id: UUID, attachment_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.drafts_editable_by(request.user), referral_id)
    attachment = selectors.get_visible(referral.attachments.all(), attachment_id)
    name = attachment.original_name
    services.attachment_remove(attachment=attachment, actor=request.user)
    messages.success(request, f"{name} has been removed")
    return redirect(step_url(referral, "evidence", return_to_check=request.POST.get("return") == "check"))


@login_required
def attachment_download(request: HttpRequest, referral_id: UUID, attachment_id: UUID) -> HttpResponse:
    organisations = selectors.first_responder_organisations(request.user)
    referral = selectors.get_visible(selectors.referrals_visible_to(request.user).filter(
        organisation__in=organisations), referral_id)
    attachment = selectors.get_visible(referral.attachments.all(), attachment_id)
    if referral.status == ReferralStatus.SUBMITTED:
        services.referral_record_view(referral=referral, actor=request.user, where=f"attachment:{attachment.pk}")
    return evidence_response(attachment)


# --- Check, submit, confirmation ------------------------------------------------------------------

def _render_check(request: HttpRequest, referral: Referral, *, errors: list[dict[str, str]] | None = None,
                  status: int = 200) -> HttpResponse:
    lookup = options_on()
    answers = referral.answers
    problems = journey.journey_errors(answers, lookup)
    path = journey.journey_path(answers)
    return render(request, "referrals/check.html", {
        "title": "Check your answers before sending" if not journey.is_duty_to_notify(answers)
        else "Check your Duty to Notify report before sending",
        "referral": referral, "sections": referral_answer_rows(referral, reader=request.user, lookup=lookup),
        "problems": problems, "errors": errors or [], "is_dtn": journey.is_duty_to_notify(answers),
        "is_child": journey.treated_as_child(answers),
        "cannot_refer": journey.cannot_refer(answers), "no_consent_message": journey.NO_CONSENT_NO_DUTY,
        "attachments": [{"attachment": a, "size": human_size(a.size)} for a in referral.attachments.all()]
        if not journey.is_duty_to_notify(answers) else [],
        "contributions": list(referral.contributions.select_related("author")),
        "invitations": list(referral.invitations.filter(revoked_at__isnull=True)),
        "concern": referral.concern, "person": person_name(referral),
        "back_url": step_url(referral, path[-1]) if path else reverse("referrals:list"),
        "competent_authority": journey.competent_authority(answers), **_expiry_context(referral),
        "flags": language_flags(str(answers.get("account") or "")) if journey.is_nrm(answers) else [],
        "account_url": step_url(referral, "account", return_to_check=True),
    }, status=status)


@login_required
def referral_check(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    if (sent := _sent_already(request, referral_id)) is not None:
        return sent
    referral = selectors.get_visible(selectors.drafts_editable_by(request.user), referral_id)
    if referral.last_step != "check" and not journey.first_incomplete_step(referral.answers, options_on()):
        referral = services.referral_save_step(referral=referral, actor=request.user, step=journey.STEPS[0].slug,
                                               values={}, resume_at="check")
    return _render_check(request, referral)


@login_required
@require_POST
def referral_submit(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    organisations = selectors.first_responder_organisations(request.user)
    referral = selectors.referrals_visible_to(request.user).filter(pk=referral_id, organisation__in=organisations,
                                                                   status__in=[ReferralStatus.DRAFT,
                                                                               ReferralStatus.SUBMITTED]).first()
    if referral is None:
        if _dtn_token(referral_id) in request.session.get(DTN_SESSION_KEY, []):
            return redirect("referrals:dtn_sent")  # the report was already made: a resubmit changes nothing
        raise Http404
    try:
        result = services.referral_submit(referral=referral, actor=request.user)
    except services.ReferralIncomplete as exc:
        errors = [{"text": p.message, "href": step_url(referral, p.step, return_to_check=True) + f"#{p.anchor}"}
                  for p in exc.problems]
        return _render_check(request, referral, errors=errors, status=400)
    except AccessDenied as exc:
        raise Http404 from exc
    except ServiceError as exc:
        return _render_check(request, referral, errors=[{"text": exc.message, "href": "#submit"}], status=400)
    if result.duty_to_notify is not None:
        sent = [*request.session.get(DTN_SESSION_KEY, [])[-9:], _dtn_token(referral_id)]
        request.session[DTN_SESSION_KEY] = sent
        # Shown once on the next page, then gone from the session.
        request.session[DTN_REFERENCE_KEY] = result.duty_to_notify.reference
        return redirect("referrals:dtn_sent")
    return redirect("referrals:confirmation", referral_id=referral.pk)


@login_required
def referral_confirmation(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.submitted_referrals_visible_to(request.user), referral_id)
    case = getattr(referral, "case", None)
    return render(request, "referrals/confirmation.html", {
        "title": "Referral sent", "referral": referral, "case": case, "person": person_name(referral),
    })


@login_required
def referral_copy(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.submitted_referrals_visible_to(request.user), referral_id)
    services.referral_record_view(referral=referral, actor=request.user, where="copy")
    return render(request, "referrals/copy.html", {
        "title": f"Referral {referral.reference}", "referral": referral,
        "sections": referral_answer_rows(referral, reader=request.user),
        "contributions": list(referral.contributions.all()),
        "attachments": [{"attachment": a, "size": human_size(a.size)} for a in referral.attachments.all()],
        "case": getattr(referral, "case", None), "person": person_name(referral),
        "back_url": reverse("referrals:confirmation", kwargs={"referral_id": referral.pk}),
    })


@login_required
def duty_to_notify_sent(request: HttpRequest) -> HttpResponse:
    if not request.session.get(DTN_SESSION_KEY):
        return redirect("referrals:list")
    return render(request, "referrals/dtn_sent.html", {"title": "Duty to Notify report sent",
                                                      "reference": request.session.pop(DTN_REFERENCE_KEY, "")})


@login_required
@require_http_methods(["GET", "POST"])
def referral_delete(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.drafts_editable_by(request.user), referral_id)
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        choice = request.POST.get("confirm")
        if choice == "yes":
            services.referral_draft_delete(referral=referral, actor=request.user)
            messages.success(request, "The draft has been deleted")
            return redirect("referrals:list")
        if choice == "no":
            return redirect(_resume_url(referral))
        errors = [{"text": "Select yes if you want to delete this draft", "href": "#confirm"}]
    return render(request, "referrals/delete.html", {
        "title": "Are you sure you want to delete this draft?", "referral": referral, "errors": errors,
        "person": person_name(referral), "back_url": reverse("referrals:list"),
    }, status=400 if errors else 200)


# --- Contributors ---------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def referral_contributors(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.drafts_editable_by(request.user), referral_id)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_send(
                referral=referral, actor=request.user, site_url=request.build_absolute_uri("/"), **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"We have emailed an invitation to {invitation.name}")
            return redirect("referrals:contributors", referral_id=referral.pk)
    return render(request, "referrals/contributors.html", {
        "title": "Invite other professionals to add to this referral", "referral": referral, "form": form,
        "errors": error_list(form), "first_error": lambda name: first_error(form, name),
        "invitations": list(selectors.invitations_for_draft(request.user, referral)),
        "contributions": list(referral.contributions.select_related("author")),
        "person": person_name(referral), "back_url": _resume_url(referral),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def invitation_withdraw(request: HttpRequest, referral_id: UUID, invitation_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.drafts_editable_by(request.user), referral_id)
    invitation = selectors.get_visible(selectors.invitations_for_draft(request.user, referral), invitation_id)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, f"The invitation to {invitation.name} has been withdrawn")
    return redirect("referrals:contributors", referral_id=referral.pk)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_open(request: HttpRequest, token: UUID) -> HttpResponse:
    invitation = selectors.invitation_for_user(request.user, token)
    if request.method == "POST":
        services.invitation_accept(invitation=invitation, actor=request.user)
        return redirect("referrals:contribute", referral_id=invitation.referral_id)
    if invitation.accepted_by_id == request.user.pk:
        return redirect("referrals:contribute", referral_id=invitation.referral_id)
    return render(request, "referrals/invitation.html", {
        "title": "Add information to a referral", "invitation": invitation,
    })


@login_required
@require_http_methods(["GET", "POST"])
def referral_contribute(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    referral = selectors.get_visible(selectors.drafts_contributable_by(request.user), referral_id)
    form = ContributionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contribution_add(referral=referral, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Thank you. What you added is now part of the draft referral")
            return redirect("referrals:contribute", referral_id=referral.pk)
    mine = [{"contribution": c, "flags": language_flags(c.text)}
            for c in referral.contributions.filter(author=request.user)]
    return render(request, "referrals/contribute.html", {
        "title": "Add what you know to a referral", "referral": referral, "form": form,
        "errors": error_list(form), "first_error": lambda name: first_error(form, name),
        "contributions": mine, "person": person_name(referral), "terms_json": language_terms_json(),
        "author": referral.author, "back_url": reverse("referrals:list"),
    }, status=400 if form.errors else 200)


# --- Requests to refer (concerns) -----------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def concern_new(request: HttpRequest) -> HttpResponse:
    """Anyone who is not a first responder can ask a first-responder organisation to refer."""
    organisations = list(options_on()("first_responder_organisations"))
    user: Any = request.user
    initial = {}
    if user.is_authenticated:
        initial = {"raiser_name": user.full_name, "raiser_email": user.email, "raiser_phone": user.phone,
                   "raiser_role": user.job_title}
    form = ConcernForm(request.POST or None, initial=initial, organisation_slugs={o.value for o in organisations})
    if request.method == "POST" and form.is_valid():
        from nrm.reference.models import Organisation

        if not user.is_authenticated:
            if throttle.is_limited(limit=throttle.concern_requests(), request=request):
                return render(request, "accounts/throttled.html", {"title": "Too many requests"}, status=429)
            throttle.record(limit=throttle.concern_requests(), request=request)

        data = form.cleaned_data
        try:
            services.concern_raise(
                organisation=Organisation.objects.get(slug=data["organisation"]), urgency=data["urgency"],
                summary=data["summary"], person_details=data["person_details"], raiser_name=data["raiser_name"],
                raiser_email=data["raiser_email"], raiser_phone=data["raiser_phone"],
                raiser_role=data["raiser_role"], actor=user,
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session["referrals_concern_sent_to"] = next(o.text for o in organisations
                                                                if o.value == data["organisation"])
            request.session["referrals_concern_confirmation_emailed"] = bool(user.is_authenticated)
            return redirect("referrals:concern_sent")
    value = (lambda name: form.data.get(name, "")) if form.is_bound else (lambda name: initial.get(name, ""))
    return render(request, "referrals/concern_new.html", {
        "title": "Ask a first responder to make a referral", "form": form, "value": value,
        "errors": error_list(form), "first_error": lambda name: first_error(form, name),
        "organisations": organisations, "urgencies": ConcernUrgency.choices, "back_url": reverse("site:home"),
    }, status=400 if form.errors else 200)


def concern_sent(request: HttpRequest) -> HttpResponse:
    sent_to = request.session.get("referrals_concern_sent_to")
    if not sent_to:
        return redirect("referrals:concern_new")
    return render(request, "referrals/concern_sent.html", {
        "title": "Request sent", "sent_to": sent_to,
        "confirmation_emailed": request.session.get("referrals_concern_confirmation_emailed", False),
    })


@login_required
def concern_inbox(request: HttpRequest) -> HttpResponse:
    if not selectors.first_responder_organisations(request.user):
        raise Http404
    concerns = sorted(selectors.concerns_visible_to(request.user),
                      key=lambda c: (c.status == ConcernStatus.CLOSED, URGENCY_ORDER.get(c.urgency, 9),
                                     -c.created_at.timestamp()))
    return render(request, "referrals/concern_inbox.html", {"title": "Requests to refer", "concerns": concerns})


@login_required
def concern_detail(request: HttpRequest, concern_id: UUID) -> HttpResponse:
    concern = selectors.get_visible(selectors.concerns_visible_to(request.user), concern_id)
    return render(request, "referrals/concern_detail.html", {
        "title": "Request to make a referral", "concern": concern,
        "referrals": list(selectors.referrals_visible_to(request.user).filter(concern=concern)),
        "back_url": reverse("referrals:concern_inbox"),
    })


@login_required
@require_POST
def concern_start_referral(request: HttpRequest, concern_id: UUID) -> HttpResponse:
    concern = selectors.get_visible(selectors.open_concerns_for(request.user), concern_id)
    try:
        referral = services.concern_start_referral(concern=concern, actor=request.user)
    except AccessDenied as exc:
        raise PermissionDenied from exc
    return redirect(step_url(referral, journey.STEPS[0]))


@login_required
@require_POST
def concern_close(request: HttpRequest, concern_id: UUID) -> HttpResponse:
    concern = selectors.get_visible(selectors.open_concerns_for(request.user), concern_id)
    services.concern_close(concern=concern, actor=request.user)
    messages.success(request, "The request has been closed")
    return redirect("referrals:concern_inbox")
