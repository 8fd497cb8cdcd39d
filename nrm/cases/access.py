"""Who may do what on a case: the one place the cases domain decides it.

Selectors use these to scope reads; services use them to refuse a step by the wrong person.
A competent authority is known by its organisation's slug: staff of ``sca`` work SCA cases,
staff of ``ieca`` work IECA cases, and neither sees the other's. A child's case routed to a devolved
children's decision panel (``Case.decision_panel``, ADR 0028) is worked by that panel's members
instead, through the same pages and services; the competent authority's staff do not see it.
"""

from __future__ import annotations

from typing import Any

from nrm.accounts.capabilities import Capability, organisations_with, roles_with
from nrm.cases.actions import CaseCapabilities
from nrm.core import rules

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


def decision_panels_for(user: Any, capability: Capability = Capability.WORK_CASES) -> frozenset[Any]:
    """The ids of the children's decision panels where the user holds ``capability``."""
    panels = rules.child_decision_panels()
    return frozenset(org.pk for org in organisations_with(user, capability) if org.slug in panels)


def first_responder_organisation_ids(user: Any) -> frozenset[Any]:
    """The organisations whose referrals (and their decisions) ``user`` follows."""
    return frozenset(org.pk for org in organisations_with(user, Capability.FOLLOW_REFERRALS))


def is_competent_authority_staff(user: Any) -> bool:
    """Works cases: at a competent authority or on a children's decision panel."""
    return bool(competent_authorities_for(user) or decision_panels_for(user))


def is_senior(user: Any) -> bool:
    return bool(competent_authorities_for(user, Capability.SUPERVISE_CASES)
                or decision_panels_for(user, Capability.SUPERVISE_CASES))


def _decides(user: Any, case: Any, capability: Capability) -> bool:
    if case.decision_panel_id is not None:
        return case.decision_panel_id in decision_panels_for(user, capability)
    return case.competent_authority in competent_authorities_for(user, capability)


def is_decision_maker_for(user: Any, case: Any) -> bool:
    """A caseworker or senior decision maker of whoever decides the case: its children's decision
    panel where it has one, else its competent authority."""
    return _decides(user, case, Capability.WORK_CASES)


def is_senior_for(user: Any, case: Any) -> bool:
    return _decides(user, case, Capability.SUPERVISE_CASES)


def deciding_body_name(case: Any) -> str:
    """Who decides the case, as its pages and letters name it."""
    if case.decision_panel_id is not None:
        return str(case.decision_panel.name)
    return competent_authority_name(case.competent_authority)


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
