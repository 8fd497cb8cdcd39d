"""What the administration pages read: organisations an administrator administers, their users
and roles, and an organisation's designations. Scoped by ``nrm.accounts.access`` alone; nothing
here reads case content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from nrm.accounts.access import may_administer, organisations_administered
from nrm.accounts.models import Membership, User
from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.reference.models import Nation, Organisation, OrganisationDesignation, OrganisationType

# People only: a partner system's API client acts as an account of its own (nrm.api, ADR 0023),
# managed on the organisation's API clients page, not here.
PEOPLE = {"user__api_client__isnull": True}


def organisations_for(user: Any, *, search: str = "", organisation_type: str = "",
                      nation: str = "") -> QuerySet[Organisation]:
    """The organisations ``user`` administers, by name (and short name), type and nation."""
    rows = organisations_administered(user)
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(short_name__icontains=search) | Q(slug__icontains=search))
    if organisation_type in OrganisationType.values:
        rows = rows.filter(organisation_type=organisation_type)
    if nation in Nation.values:
        rows = rows.filter(nation=nation)
    return rows.order_by("name", "pk")


def organisation_get_for(user: Any, slug: str) -> Organisation:
    """The organisation ``slug`` if ``user`` administers it; 404 otherwise (as for others' objects)."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not may_administer(user, organisation):
        raise Http404("No such organisation")
    return organisation


def role_label(name: str) -> str:
    try:
        return ROLE_DEFINITIONS[Role(name)].label
    except ValueError:
        return name


def role_labels(names: list[str]) -> list[str]:
    return [role_label(n) for n in names]


def _is_current(membership: Membership, today: date) -> bool:
    return membership.starts_on <= today and (membership.ends_on is None or membership.ends_on > today)


@dataclass(frozen=True)
class Member:
    user: User
    roles: list[str]  # labels of the roles held now at this organisation
    ended_roles: list[str]  # labels of roles held before


def organisation_members(organisation: Organisation) -> list[Member]:
    """Everyone who holds or held a role at ``organisation``: the active first, then the deactivated."""
    today = timezone.localdate()
    by_user: dict[Any, list[Membership]] = {}
    for membership in Membership.objects.filter(organisation=organisation, **PEOPLE).select_related(
            "user", "role").order_by(
            "user__full_name", "user__email", "starts_on", "pk"):
        by_user.setdefault(membership.user_id, []).append(membership)
    members = []
    for memberships in by_user.values():
        current = [m.role.name for m in memberships if _is_current(m, today)]
        ended = [m.role.name for m in memberships if not _is_current(m, today) and m.role.name not in current]
        members.append(Member(user=memberships[0].user, roles=role_labels(sorted(set(current))),
                              ended_roles=role_labels(sorted(set(ended)))))
    return sorted(members, key=lambda m: (not m.user.is_active, m.user.full_name.lower(), m.user.email))


def organisation_member_get(organisation: Organisation, user_id: str) -> User:
    """A user who holds or held a role at ``organisation``; 404 for anyone else."""
    user = User.objects.filter(pk=user_id, memberships__organisation=organisation,
                               api_client__isnull=True).distinct().first()
    if user is None:
        raise Http404("No such user")
    return user


def memberships_at(user: User, organisation: Organisation) -> tuple[list[Membership], list[Membership]]:
    """(current, ended) memberships of ``user`` at ``organisation``, oldest first."""
    today = timezone.localdate()
    rows = list(Membership.objects.filter(user=user, organisation=organisation).select_related("role")
                .order_by("starts_on", "pk"))
    return [m for m in rows if _is_current(m, today)], [m for m in rows if not _is_current(m, today)]


def current_role_names(user: User, organisation: Organisation) -> list[str]:
    return sorted({m.role.name for m in memberships_at(user, organisation)[0]})


def sign_in_failures(user: User) -> int:
    """Failed sign-ins (passwords and codes) counted against the account now."""
    from axes.models import AccessAttempt

    return sum(AccessAttempt.objects.filter(username=user.email).values_list("failures_since_start", flat=True))


def has_authenticator(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


@dataclass(frozen=True)
class DesignationRow:
    designation: OrganisationDesignation
    decided_by: str  # the administrator's name, resolved through the accounts table
    roles: list[str]  # labels


def designations_of(organisation: Organisation) -> list[DesignationRow]:
    """The organisation's designations by administrators, the latest first."""
    rows = list(OrganisationDesignation.objects.filter(organisation=organisation).order_by("-decided_at", "-pk"))
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r.decided_by for r in rows if r.decided_by])}
    return [DesignationRow(r, names.get(r.decided_by, "Unknown") if r.decided_by else "System",
                           role_labels(r.role_names)) for r in rows]


def grantable_roles(organisation: Organisation) -> list[tuple[str, str]]:
    """(name, label) of the roles ``organisation``'s members may hold, in the roles' own order."""
    allowed = set(organisation.role_names)
    return [(str(r), ROLE_DEFINITIONS[r].label) for r in Role if str(r) in allowed]
