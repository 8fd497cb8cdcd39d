"""What each user may see of referrals, drafts and concerns. Every page reads through these;
anything not returned here is a 404 (deny by default)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from nrm.accounts.capabilities import Capability, organisations_with
from nrm.referrals.models import (
    Attachment,
    Concern,
    ConcernStatus,
    DutyToNotifyReport,
    Invitation,
    Referral,
    ReferralStatus,
)


def first_responder_organisations(user: Any) -> list[Any]:
    """The first-responder organisations where the user may make referrals."""
    return [o for o in organisations_with(user, Capability.REFER) if o.is_first_responder]


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    """Drafts and submitted referrals of the user's first-responder organisations, and drafts
    the user was invited to and accepted as a contributor. Expired drafts are not shown."""
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    organisations = first_responder_organisations(user)
    contributing = Q(status=ReferralStatus.DRAFT, invitations__accepted_by=user,
                     invitations__revoked_at__isnull=True)
    ids = Referral.objects.filter(Q(organisation__in=organisations) | contributing).values("pk")
    return (Referral.objects.filter(pk__in=ids).exclude(status=ReferralStatus.EXPIRED)
            .select_related("organisation", "author"))


def drafts_editable_by(user: Any) -> QuerySet[Referral]:
    """Drafts a first responder of the same organisation may change and send."""
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    return Referral.objects.filter(organisation__in=first_responder_organisations(user),
                                   status=ReferralStatus.DRAFT).select_related("organisation", "author")


def submitted_referrals_visible_to(user: Any) -> QuerySet[Referral]:
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    return Referral.objects.filter(organisation__in=first_responder_organisations(user),
                                   status=ReferralStatus.SUBMITTED).select_related("organisation", "author")


def duty_to_notify_reports_of(user: Any) -> QuerySet[DutyToNotifyReport]:
    """The Duty to Notify reports of the user's first-responder organisations: by organisation and
    date only, as the report records no one who made it. Newest first; same-day reports by reference."""
    if not getattr(user, "is_authenticated", False):
        return DutyToNotifyReport.objects.none()
    return (DutyToNotifyReport.objects.filter(organisation__in=first_responder_organisations(user))
            .prefetch_related("exploitation_types").order_by("-report_date", "reference"))


def drafts_contributable_by(user: Any) -> QuerySet[Referral]:
    """Drafts the user accepted an invitation to (and it was not withdrawn)."""
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    ids = Invitation.objects.filter(accepted_by=user, revoked_at__isnull=True).values("referral_id")
    return Referral.objects.filter(pk__in=ids, status=ReferralStatus.DRAFT).select_related("organisation", "author")


def get_visible(queryset: QuerySet[Any], pk: Any) -> Any:
    """The row with ``pk`` from a selector's queryset, or 404."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def attachments_visible_to(user: Any, referral: Referral) -> QuerySet[Attachment]:
    visible = referrals_visible_to(user).filter(pk=referral.pk).exists()
    return referral.attachments.all() if visible else Attachment.objects.none()


def invitations_for_draft(user: Any, referral: Referral) -> QuerySet[Invitation]:
    if not drafts_editable_by(user).filter(pk=referral.pk).exists():
        return Invitation.objects.none()
    return referral.invitations.select_related("accepted_by")


def invitation_for_user(user: Any, token: Any) -> Invitation:
    """An invitation opened from its email link: only by the person it was sent to, only while
    the draft is still a draft and the invitation was not withdrawn."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    invitation = (Invitation.objects.filter(token=token, revoked_at__isnull=True, referral__status=ReferralStatus.DRAFT)
                  .select_related("referral__organisation", "invited_by").first())
    if invitation is None or invitation.email.lower() != user.email.lower():
        raise Http404
    if invitation.accepted_by_id and invitation.accepted_by_id != user.pk:
        raise Http404
    return invitation


def concerns_visible_to(user: Any) -> QuerySet[Concern]:
    """Requests to refer sent to the user's first-responder organisations, most urgent first."""
    if not getattr(user, "is_authenticated", False):
        return Concern.objects.none()
    return Concern.objects.filter(organisation__in=first_responder_organisations(user)).select_related("organisation")


def open_concerns_for(user: Any) -> QuerySet[Concern]:
    return concerns_visible_to(user).exclude(status=ConcernStatus.CLOSED)


def referral_for_partner_message(user: Any, message: Any) -> Referral | None:
    """The submitted referral a partner message is about, for a user who may read that message
    (the message itself must come from ``nrm.notify.selectors.partner_inbox_for``)."""
    from nrm.notify.selectors import partner_inbox_for

    if not partner_inbox_for(user).filter(pk=message.pk).exists() or message.about_type != "referrals.Referral":
        return None
    return Referral.objects.filter(pk=message.about_id, status=ReferralStatus.SUBMITTED).select_related(
        "organisation").first()


def reference_or_name_q(search: str, *, rows: QuerySet[Any], referral: str = "referral__",
                        reference: str = "reference") -> Q:
    """Rows (of ``rows``) whose reference contains ``search``, or whose person's first names or last
    name hold every word of it (case-insensitive). ``referral`` is the path from the row to its
    referral, ``reference`` to its reference. For lists of people the reader may already see by name.

    The names are sealed (ADR 0019), so SQL cannot look inside them: the answers of the referrals
    behind ``rows`` are opened here and matched in Python, and the rows are then chosen by id."""
    words = [word.casefold() for word in search.split()]
    matched: list[Any] = []
    if words:
        candidates = Referral.objects.filter(pk__in=rows.values(f"{referral}pk")).select_related("data_key")
        for candidate in candidates.iterator(chunk_size=500):
            answers = candidate.answers or {}
            first = str(answers.get("first_names") or "").casefold()
            last = str(answers.get("last_name") or "").casefold()
            if all(word in first or word in last for word in words):
                matched.append(candidate.pk)
    return Q(**{f"{reference}__icontains": search}) | Q(**{f"{referral}pk__in": matched})
