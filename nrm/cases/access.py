"""Who may do what on a case: the one place the cases domain decides it.

Selectors use these to scope reads; services use them to refuse a step by the wrong person.
A competent authority is known by its organisation's slug: staff of ``sca`` work SCA cases,
staff of ``ieca`` work IECA cases, and neither sees the other's.
"""

from __future__ import annotations

from typing import Any

from nrm.accounts.roles import Role
from nrm.cases.actions import CaseCapabilities

COMPETENT_AUTHORITY_BY_SLUG: dict[str, str] = {"sca": "SCA", "ieca": "IECA"}
COMPETENT_AUTHORITY_NAMES: dict[str, str] = {
    "SCA": "Single Competent Authority",
    "IECA": "Immigration Enforcement Competent Authority",
}
DECISION_MAKER_ROLES = (Role.CASEWORKER, Role.SENIOR_DECISION_MAKER)


def _authenticated(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", True))


def _memberships(user: Any) -> list[tuple[str, Any]]:
    """(role name, organisation) for each of the user's current memberships: read once per user
    object (that is, once per request), whatever is asked of it."""
    cached = user.__dict__.get("_nrm_cases_memberships")
    if cached is None:
        cached = [(m.role.name, m.organisation) for m in user.active_memberships()]
        user.__dict__["_nrm_cases_memberships"] = cached
    return cached


def _organisations(user: Any, roles: tuple[Role, ...]) -> list[Any]:
    wanted = {str(r) for r in roles}
    return [org for role, org in _memberships(user) if role in wanted]


def competent_authorities_for(user: Any, *roles: Role) -> frozenset[str]:
    """The competent authorities (``SCA``/``IECA``) where the user holds one of ``roles``."""
    if not _authenticated(user):
        return frozenset()
    return frozenset(COMPETENT_AUTHORITY_BY_SLUG[org.slug] for org in _organisations(user, roles or DECISION_MAKER_ROLES)
                     if org.slug in COMPETENT_AUTHORITY_BY_SLUG)


def first_responder_organisation_ids(user: Any) -> frozenset[Any]:
    if not _authenticated(user):
        return frozenset()
    return frozenset(org.pk for org in _organisations(user, (Role.FIRST_RESPONDER,)))


def support_provider_organisations(user: Any) -> list[Any]:
    if not _authenticated(user):
        return []
    return _organisations(user, (Role.SUPPORT_PROVIDER,))


def is_competent_authority_staff(user: Any) -> bool:
    return bool(competent_authorities_for(user))


def is_senior(user: Any) -> bool:
    return bool(competent_authorities_for(user, Role.SENIOR_DECISION_MAKER))


def is_decision_maker_for(user: Any, case: Any) -> bool:
    """A caseworker or senior decision maker at the case's competent authority."""
    return case.competent_authority in competent_authorities_for(user)


def is_senior_for(user: Any, case: Any) -> bool:
    return case.competent_authority in competent_authorities_for(user, Role.SENIOR_DECISION_MAKER)


def is_first_responder_for(user: Any, case: Any) -> bool:
    return case.first_responder_organisation_id in first_responder_organisation_ids(user)


def case_capabilities(user: Any, case: Any) -> CaseCapabilities:
    """What ``user`` may do on ``case``: the input to ``nrm.cases.actions.actions_for``."""
    return CaseCapabilities(
        decision_maker=is_decision_maker_for(user, case),
        senior=is_senior_for(user, case),
        first_responder=is_first_responder_for(user, case),
    )


def competent_authority_name(code: str) -> str:
    return COMPETENT_AUTHORITY_NAMES.get(code, code)
