"""Who may do what on a case: the one place the cases domain decides it.

Selectors use these to scope reads; services use them to refuse a step by the wrong person.
A competent authority is known by its organisation's slug: staff of ``sca`` work SCA cases,
staff of ``ieca`` work IECA cases, and neither sees the other's.
"""

from __future__ import annotations

from typing import Any

from nrm.accounts.roles import Role

COMPETENT_AUTHORITY_BY_SLUG: dict[str, str] = {"sca": "SCA", "ieca": "IECA"}
COMPETENT_AUTHORITY_NAMES: dict[str, str] = {
    "SCA": "Single Competent Authority",
    "IECA": "Immigration Enforcement Competent Authority",
}
DECISION_MAKER_ROLES = (Role.CASEWORKER, Role.SENIOR_DECISION_MAKER)


def _authenticated(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", True))


def _cached(user: Any, key: str, compute: Any) -> Any:
    cache = user.__dict__.setdefault("_nrm_cases_access", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def competent_authorities_for(user: Any, *roles: Role) -> frozenset[str]:
    """The competent authorities (``SCA``/``IECA``) where the user holds one of ``roles``."""
    if not _authenticated(user):
        return frozenset()
    wanted = roles or DECISION_MAKER_ROLES
    key = "ca:" + ",".join(sorted(str(r) for r in wanted))
    return _cached(user, key, lambda: frozenset(
        COMPETENT_AUTHORITY_BY_SLUG[org.slug]
        for org in user.organisations_for(*wanted)
        if org.slug in COMPETENT_AUTHORITY_BY_SLUG
    ))


def first_responder_organisation_ids(user: Any) -> frozenset[Any]:
    if not _authenticated(user):
        return frozenset()
    return _cached(user, "fr", lambda: frozenset(org.pk for org in user.organisations_for(Role.FIRST_RESPONDER)))


def support_provider_organisations(user: Any) -> list[Any]:
    if not _authenticated(user):
        return []
    return list(_cached(user, "sp", lambda: user.organisations_for(Role.SUPPORT_PROVIDER)))


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


def competent_authority_name(code: str) -> str:
    return COMPETENT_AUTHORITY_NAMES.get(code, code)
