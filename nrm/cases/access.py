"""Who may do what on a case: the one place the cases domain decides it.

Selectors use these to scope reads; services use them to refuse a step by the wrong person.
A competent authority is known by its organisation's slug: staff of ``sca`` work SCA cases,
staff of ``ieca`` work IECA cases, and neither sees the other's.
"""

from __future__ import annotations

from typing import Any

from nrm.accounts.capabilities import Capability, organisations_with, roles_with
from nrm.cases.actions import CaseCapabilities

COMPETENT_AUTHORITY_BY_SLUG: dict[str, str] = {"sca": "SCA", "ieca": "IECA"}
COMPETENT_AUTHORITY_NAMES: dict[str, str] = {
    "SCA": "Single Competent Authority",
    "IECA": "Immigration Enforcement Competent Authority",
}
DECISION_MAKER_ROLES = tuple(sorted(roles_with(Capability.WORK_CASES)))


def competent_authorities_for(user: Any, capability: Capability = Capability.WORK_CASES) -> frozenset[str]:
    """The competent authorities (``SCA``/``IECA``) where the user holds ``capability``."""
    return frozenset(COMPETENT_AUTHORITY_BY_SLUG[org.slug] for org in organisations_with(user, capability)
                     if org.slug in COMPETENT_AUTHORITY_BY_SLUG)


def first_responder_organisation_ids(user: Any) -> frozenset[Any]:
    """The organisations whose referrals (and their decisions) ``user`` follows."""
    return frozenset(org.pk for org in organisations_with(user, Capability.FOLLOW_REFERRALS))


def is_competent_authority_staff(user: Any) -> bool:
    return bool(competent_authorities_for(user))


def is_senior(user: Any) -> bool:
    return bool(competent_authorities_for(user, Capability.SUPERVISE_CASES))


def is_decision_maker_for(user: Any, case: Any) -> bool:
    """A caseworker or senior decision maker at the case's competent authority."""
    return case.competent_authority in competent_authorities_for(user)


def is_senior_for(user: Any, case: Any) -> bool:
    return case.competent_authority in competent_authorities_for(user, Capability.SUPERVISE_CASES)


def is_first_responder_for(user: Any, case: Any) -> bool:
    return case.first_responder_organisation_id in first_responder_organisation_ids(user)


# ``support`` sits above ``cases`` and owns the support referral; its foreign key to the case
# names this reverse relation, read by name (no import of ``support``).
SUPPORT_RELATION = "support_referrals"


def reconsideration_organisation(user: Any, case: Any) -> Any | None:
    """The organisation for which ``user`` may ask for a decision on ``case`` to be reconsidered:
    one where they hold REQUEST_RECONSIDERATION that made the referral or was referred the person
    for support; None for anyone else."""
    organisations = organisations_with(user, Capability.REQUEST_RECONSIDERATION)
    for organisation in organisations:
        if organisation.pk == case.first_responder_organisation_id:
            return organisation
    providers = set(getattr(case, SUPPORT_RELATION).values_list("provider_id", flat=True)) if organisations else set()
    return next((o for o in organisations if o.pk in providers), None)


def case_capabilities(user: Any, case: Any) -> CaseCapabilities:
    """What ``user`` may do on ``case``: the input to ``nrm.cases.actions.actions_for``."""
    return CaseCapabilities(
        decision_maker=is_decision_maker_for(user, case),
        senior=is_senior_for(user, case),
        first_responder=is_first_responder_for(user, case),
        reconsideration=reconsideration_organisation(user, case) is not None,
    )


def competent_authority_name(code: str) -> str:
    return COMPETENT_AUTHORITY_NAMES.get(code, code)
