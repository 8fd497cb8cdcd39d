"""The partner inbox: police crime units and children's social care see their organisation's
messages, read the referral each is about, and acknowledge them. It lives with referrals because
what it shows is a referral; the messages themselves are the outbox's (``nrm.notify``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from nrm.accounts.capabilities import Capability, may, organisations_with
from nrm.core import pagination
from nrm.core.errors import ServiceError
from nrm.core.input import shown_back
from nrm.notify.models import MessageKind, OutboxMessage
from nrm.notify.selectors import partner_inbox_for
from nrm.notify.services import outbox_acknowledge
from nrm.referrals.answers import fields_for_partner, person_name, referral_answer_rows
from nrm.referrals.selectors import referral_for_partner_message
from nrm.referrals.services import referral_record_view

# The model label of a support referral (``support`` sits above ``referrals``, so by name).
SUPPORT_REFERRAL = "support.SupportReferral"


def _message_for(user: Any, message_id: UUID) -> OutboxMessage:
    message = partner_inbox_for(user).filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message


def _status(message: OutboxMessage) -> dict[str, str]:
    if not message.requires_acknowledgement:
        return {"text": "For information", "classes": "govuk-tag--grey"}
    if message.acknowledged_at:
        return {"text": "Acknowledged", "classes": "govuk-tag--green"}
    if message.acknowledge_by and message.acknowledge_by < timezone.localdate():
        return {"text": "Overdue", "classes": "govuk-tag--red"}
    return {"text": "To acknowledge", "classes": "govuk-tag--blue"}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Capability.RECEIVE_PARTNER_MESSAGES):
        raise Http404
    show = "all" if request.GET.get("show") == "all" else "open"
    search = pagination.search_text(request.GET.get("q"))
    # Newest first, ties broken by id, so no message is on two pages or none. A search (by
    # reference only: a crime unit may not learn a name the person withheld from the police)
    # looks through every message.
    rows = partner_inbox_for(request.user).order_by("-created_at", "-id")
    if search:
        rows = rows.filter(subject__icontains=search)
    elif show == "open":
        rows = rows.filter(requires_acknowledgement=True, acknowledged_at__isnull=True)
    page = pagination.paginate(rows, request.GET.get("page"))
    return render(request, "referrals/inbox/list.html", {
        "title": "Inbox", "messages_list": [{"message": m, "status": _status(m)} for m in page.items],
        "show": show, "search": search, "page": page,
        "pagination": pagination.govuk_pagination(page, {"q": search, "show": show}, label="Pages of messages"),
        "organisations": organisations_with(request.user, Capability.RECEIVE_PARTNER_MESSAGES),
    })


@login_required
def message_detail(request: HttpRequest, message_id: UUID, *, error: ServiceError | None = None,
                   typed: str = "") -> HttpResponse:
    message = _message_for(request.user, message_id)
    referral = None
    if message.about_type == "referrals.Referral":
        referral = referral_for_partner_message(request.user, message)
        if referral is not None:
            referral_record_view(referral=referral, actor=request.user, where=f"inbox:{message.pk}")
    summary = None
    if referral is not None:
        fields = fields_for_partner(referral, message_kind=message.kind)
        summary = {"person": person_name(referral) if fields is None else None,
                   "withheld": fields is not None,
                   "sections": referral_answer_rows(referral, reader=request.user, fields=fields)}
    return render(request, "referrals/inbox/message.html", {
        "title": f"Error: {message.subject}" if error else message.subject, "message": message,
        "status": _status(message), "referral": referral, "summary": summary,
        "support_url": _support_url(request.user, message), "back_url": reverse("inbox:list"),
        "asks_crime_reference": message.kind == MessageKind.CRIME_REFERRAL,
        "error": error.message if error else "", "typed": shown_back(typed),
    }, status=400 if error else 200)


def _support_url(user: Any, message: OutboxMessage) -> str | None:
    """A support referral (to children's services, for a child) is answered on the support pages,
    where the person's page scopes it to the user's organisation; only for those who support."""
    if message.about_type != SUPPORT_REFERRAL or not may(user, Capability.PROVIDE_SUPPORT):
        return None
    return reverse("support:person", kwargs={"referral_id": message.about_id})


@login_required
@require_POST
def message_acknowledge(request: HttpRequest, message_id: UUID) -> HttpResponse:
    message = _message_for(request.user, message_id)
    typed = str(request.POST.get("crime_reference", ""))
    try:
        outbox_acknowledge(message=message, user=request.user, crime_reference=typed)
    except ServiceError as exc:
        if exc.field == "crime_reference":
            return message_detail(request, message_id, error=exc, typed=typed)
        messages.error(request, exc.message)
    else:
        messages.success(request, "You have acknowledged this message")
    return redirect("inbox:message", message_id=message.pk)
