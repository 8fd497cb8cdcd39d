"""Who may administer which organisation: the one place it is decided.

An administrator of the service team (an organisation of type "Service team") administers every
organisation: designates first responders, manages any organisation's users and roles, its API
clients and its webhooks. An administrator of any other organisation (an organisation whose
``roles`` allow ``administrator``) administers that organisation only: its own users, API clients
and webhooks, never another organisation's and never the reference data. Neither reads case
content: ``Capability.ADMINISTER`` grants nothing else (``nrm.accounts.capabilities``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nrm.accounts.capabilities import Capability, organisations_with
from nrm.reference.models import Organisation, OrganisationType


def administers_service(user: Any) -> bool:
    """An administrator of the service team: every organisation, and the reference data."""
    return any(org.organisation_type == OrganisationType.SERVICE_TEAM
               for org in organisations_with(user, Capability.ADMINISTER))


def organisations_administered(user: Any) -> QuerySet[Organisation]:
    """The organisations ``user`` administers (none for anyone without ``ADMINISTER``)."""
    if administers_service(user):
        return Organisation.objects.all()
    ids = [org.pk for org in organisations_with(user, Capability.ADMINISTER)]
    return Organisation.objects.filter(pk__in=ids)


def may_administer(user: Any, organisation: Any) -> bool:
    """Whether ``user`` administers ``organisation`` (its users, API clients and webhooks)."""
    if organisation is None:
        return False
    return administers_service(user) or any(
        org.pk == organisation.pk for org in organisations_with(user, Capability.ADMINISTER))
