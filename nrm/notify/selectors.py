from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nrm.accounts.roles import Role
from nrm.notify.models import OutboxMessage


def inbox_for(user: Any) -> QuerySet[OutboxMessage]:
    """Messages addressed to the organisations where the user receives partner messages."""
    organisations = user.organisations_for(Role.PARTNER_RECIPIENT, Role.FIRST_RESPONDER)
    return OutboxMessage.objects.filter(recipient_organisation__in=organisations).select_related(
        "recipient_organisation"
    )


PARTNER_KINDS = ("crime_referral", "safeguarding", "reminder")


def partner_inbox_for(user: Any) -> QuerySet[OutboxMessage]:
    """Crime referrals, child safeguarding notifications and their reminders addressed to the
    organisations where the user is a partner recipient (a police crime unit, children's social
    care). Nothing else, and nobody else's."""
    if not getattr(user, "is_authenticated", False):
        return OutboxMessage.objects.none()
    organisations = user.organisations_for(Role.PARTNER_RECIPIENT)
    return OutboxMessage.objects.filter(recipient_organisation__in=organisations, kind__in=PARTNER_KINDS).select_related(
        "recipient_organisation", "acknowledged_by"
    )
