"""Services that change accounts."""

from __future__ import annotations

from django.db import transaction

from nrm.accounts.models import Membership, RoleRecord, User
from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.audit.services import audit_record
from nrm.core.errors import ServiceError


def roles_sync() -> list[str]:
    """Write the roles defined in code to the database; returns the names created or changed."""
    changed: list[str] = []
    with transaction.atomic():
        for role, definition in ROLE_DEFINITIONS.items():
            values = {
                "label": definition.label,
                "description": definition.description,
                "requires_second_factor": definition.requires_second_factor,
            }
            record, created = RoleRecord.objects.get_or_create(name=str(role), defaults=values)
            if not created and any(getattr(record, k) != v for k, v in values.items()):
                for key, val in values.items():
                    setattr(record, key, val)
                record.save()
                changed.append(str(role))
            elif created:
                changed.append(str(role))
        RoleRecord.objects.exclude(name__in=[str(r) for r in ROLE_DEFINITIONS]).filter(
            memberships__isnull=True
        ).delete()
    return changed


def membership_grant(*, user: User, organisation: object, role: Role, granted_by: User | None = None) -> Membership:
    """Give ``user`` a role at ``organisation``, if that organisation's members may hold it."""
    from nrm.reference.models import Organisation

    assert isinstance(organisation, Organisation)
    if str(role) not in organisation.role_names:
        raise ServiceError(f"Members of {organisation.name} cannot hold the role '{ROLE_DEFINITIONS[role].label}'.")
    with transaction.atomic():
        record = RoleRecord.objects.get(name=str(role))
        membership, _ = Membership.objects.get_or_create(user=user, organisation=organisation, role=record)
        audit_record(actor=granted_by, action="membership.granted", target=membership,
                     after={"user": user.email, "organisation": organisation.slug, "role": str(role)})
    return membership
