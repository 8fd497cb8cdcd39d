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
