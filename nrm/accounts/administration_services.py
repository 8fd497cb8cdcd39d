"""What administrators change: an organisation's designation, its users, their roles and accounts.

Who may do it is ``nrm.accounts.access`` (``administers_service``, ``may_administer``), checked
here again whatever page called: a service-team administrator designates organisations and
manages any organisation's users; an organisation's administrator manages its own users only, and
only with the roles that organisation allows. Every change is audited with its before and after.
Administrators never see or change case content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from nrm.accounts import services
from nrm.accounts.access import administers_service, may_administer
from nrm.accounts.models import Membership, User
from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.audit.services import audit_record
from nrm.core.errors import AccessDenied, ServiceError
from nrm.reference.models import Organisation, OrganisationDesignation


def _current(memberships: Iterable[Membership] | None = None, *, user: User | None = None) -> list[Membership]:
    today = timezone.localdate()
    rows = memberships if memberships is not None else Membership.objects.filter(user=user)
    return [m for m in rows if m.ends_on is None or m.ends_on > today]


def _require(actor: User, organisation: Organisation) -> None:
    if not may_administer(actor, organisation):
        raise AccessDenied("You do not administer this organisation.")


# --- Organisations ------------------------------------------------------------------------------

def organisation_designate(*, organisation: Organisation, is_first_responder: bool, roles: Iterable[Role],
                           actor: User) -> OrganisationDesignation | None:
    """Designate ``organisation`` a first responder or not, and set the roles its members may hold,
    from today. Only the service team's administrators may; a role some member holds now cannot be
    taken away (end their memberships first). Returns the new designation, None if nothing changed."""
    if not administers_service(actor):
        raise AccessDenied("Only the service team's administrators designate organisations.")
    chosen = [str(r) for r in Role if r in set(roles)]  # in the roles' own order
    if not chosen:
        raise ServiceError("Select at least one role its members may hold", field="roles")
    if is_first_responder != (str(Role.FIRST_RESPONDER) in chosen):
        raise ServiceError("A first responder's members hold the First responder role, and only a first "
                           "responder's do: select both or neither", field="roles")
    today = timezone.localdate()
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = {"is_first_responder": organisation.is_first_responder, "roles": organisation.role_names}
        after = {"is_first_responder": is_first_responder, "roles": chosen}
        if before == after:
            return None
        removed = set(organisation.role_names) - set(chosen)
        held = sorted({m.role.name for m in _current(Membership.objects.filter(
            organisation=organisation, role__name__in=removed).select_related("role"))})
        if held:
            labels = ", ".join(ROLE_DEFINITIONS[Role(name)].label for name in held)
            raise ServiceError(f"Members hold {labels} now: remove the role from them before the organisation "
                               "stops allowing it", field="roles")
        OrganisationDesignation.objects.filter(organisation=organisation, effective_to__isnull=True).update(
            effective_to=today)
        designation = OrganisationDesignation.objects.create(
            organisation=organisation, is_first_responder=is_first_responder, roles=";".join(chosen),
            decided_by=actor.pk, effective_from=today)
        organisation.is_first_responder = is_first_responder
        organisation.roles = ";".join(chosen)
        organisation.save(update_fields=["is_first_responder", "roles"])
        audit_record(actor=actor, action="organisation.designated", target=organisation,
                     before=before, after={**after, "effective_from": today})
    return designation


# --- Users --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invited:
    user: User
    existing: bool  # an account that already existed was invited to join; it holds no role here until it accepts


def user_invite(*, organisation: Organisation, email: str, full_name: str, role: Role, actor: User,
                base_url: str) -> Invited:
    """Invite someone to ``organisation`` in one of the roles it allows. Someone new gets an account
    and a link to set a password; someone who already has an account (at another organisation) gets
    a link to accept or decline the role, which starts only when they accept (ADR 0027)."""
    _require(actor, organisation)
    _grantable(actor, organisation, role)
    existing = User.objects.filter(email=email.strip().lower()).first()
    if existing is not None:
        services.membership_offer(user=existing, organisation=organisation, role=role, offered_by=actor,
                                  base_url=base_url)
        return Invited(user=existing, existing=True)
    return Invited(user=services.user_invite(email=email, full_name=full_name, organisation=organisation, role=role,
                                             invited_by=actor, base_url=base_url), existing=False)


def _grantable(actor: User, organisation: Organisation, role: Role) -> None:
    if str(role) not in organisation.role_names:
        raise ServiceError(f"Members of {organisation} cannot hold the role {ROLE_DEFINITIONS[role].label}",
                           field="role")
    if not may_administer(actor, organisation):
        raise AccessDenied("You do not administer this organisation.")


@dataclass(frozen=True)
class RolesChanged:
    granted: list[str]
    ended: list[str]


def user_roles_set(*, user: User, organisation: Organisation, roles: Iterable[Role], actor: User) -> RolesChanged:
    """Give ``user`` exactly ``roles`` at ``organisation`` from today: new ones granted, others ended
    (never deleted). An administrator cannot take away their own last administrator role."""
    _require(actor, organisation)
    if not user.is_active:
        raise ServiceError("Reactivate this account before giving it roles", field="roles")
    wanted = {str(r) for r in roles}
    for role in wanted:
        _grantable(actor, organisation, Role(role))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        held = _current(Membership.objects.filter(user=user, organisation=organisation).select_related("role"))
        ending = [m for m in held if m.role.name not in wanted]
        if user.pk == actor.pk and any(m.role.name == str(Role.ADMINISTRATOR) for m in ending):
            others = [m for m in _current(user=user) if m.role.name == str(Role.ADMINISTRATOR)
                      and m.pk not in {e.pk for e in ending}]
            if not others:
                raise ServiceError("You cannot remove your own administrator role: ask another administrator",
                                   field="roles")
        for membership in ending:
            services.membership_end(membership=membership, ended_by=actor)
        granted = sorted(wanted - {m.role.name for m in held})
        for role in granted:
            services.membership_grant(user=user, organisation=organisation, role=Role(role), granted_by=actor)
    return RolesChanged(granted=granted, ended=sorted(m.role.name for m in ending))


def _outside(actor: User, user: User) -> list[str]:
    """The organisations where ``user`` holds a role now that ``actor`` does not administer."""
    return sorted({str(m.organisation) for m in _current(
        Membership.objects.filter(user=user).select_related("organisation"))
        if not may_administer(actor, m.organisation)})


def user_deactivate(*, user: User, organisation: Organisation, actor: User) -> None:
    """A leaver: the account can no longer sign in, every role is ended today, every session is
    ended and every emailed link that has not been used stops working."""
    _require(actor, organisation)
    if user.pk == actor.pk:
        raise ServiceError("You cannot deactivate your own account", field="confirm")
    outside = _outside(actor, user)
    if outside:
        raise ServiceError(f"This person also holds roles at {', '.join(outside)}: ask the service team to "
                           "deactivate the account", field="confirm")
    services.account_deactivate(user=user, actor=actor, organisation=organisation)


def user_reactivate(*, user: User, organisation: Organisation, actor: User) -> None:
    """Let a deactivated account sign in again; it holds no role until one is given."""
    _require(actor, organisation)
    services.account_reactivate(user=user, actor=actor, organisation=organisation)


def user_authenticator_reset(*, user: User, organisation: Organisation, actor: User, base_url: str) -> None:
    _require(actor, organisation)
    if not user.is_active:
        raise ServiceError("Reactivate this account first", field="confirm")
    outside = _outside(actor, user)
    if outside:  # an account-wide change: not for one of the person's organisations to make alone
        raise ServiceError(f"This person also holds roles at {', '.join(outside)}: ask the service team to "
                           "reset their authenticator", field="confirm")
    services.authenticator_reset(user=user, actor=actor, base_url=base_url)


def user_unlock(*, user: User, organisation: Organisation, actor: User) -> int:
    _require(actor, organisation)
    return services.account_unlock(user=user, actor=actor)


