"""The partner inbox: police crime units and children's social care see their organisation's
messages, read the referral each is about, and acknowledge them."""

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

from nrm.accounts.roles import Role
from nrm.core.errors import ServiceError
from nrm.notify.models import OutboxMessage
from nrm.notify.selectors import partner_inbox_for
from nrm.notify.services import outbox_acknowledge


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
    if not request.user.has_role(Role.PARTNER_RECIPIENT):  # type: ignore[union-attr]
        raise Http404
    show = request.GET.get("show", "open")
    rows = partner_inbox_for(request.user).order_by("-created_at")
    if show == "open":
        rows = rows.filter(requires_acknowledgement=True, acknowledged_at__isnull=True)
    return render(request, "notify/inbox.html", {
        "title": "Inbox", "messages_list": [{"message": m, "status": _status(m)} for m in rows[:500]],
        "show": show,
        "organisations": request.user.organisations_for(Role.PARTNER_RECIPIENT),  # type: ignore[union-attr]
    })


@login_required
def message_detail(request: HttpRequest, message_id: UUID) -> HttpResponse:
    message = _message_for(request.user, message_id)
    referral = None
    if message.about_type == "referrals.Referral":
        from nrm.referrals.selectors import referral_for_partner_message
        from nrm.referrals.services import referral_record_view

        referral = referral_for_partner_message(request.user, message)
        if referral is not None:
            referral_record_view(referral=referral, actor=request.user, where=f"inbox:{message.pk}")
    summary = None
    if referral is not None:
        from nrm.referrals.answers import person_name, referral_answer_rows

        summary = {"person": person_name(referral), "sections": referral_answer_rows(referral, reader=request.user)}
    return render(request, "notify/message.html", {
        "title": message.subject, "message": message, "status": _status(message), "referral": referral,
        "summary": summary, "back_url": reverse("notify:inbox"),
    })


@login_required
@require_POST
def message_acknowledge(request: HttpRequest, message_id: UUID) -> HttpResponse:
    message = _message_for(request.user, message_id)
    try:
        outbox_acknowledge(message=message, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You have acknowledged this message")
    return redirect("notify:message", message_id=message.pk)
