"""What each role may do: the one table. A user holds a role in an organisation (a membership),
so a capability is always held *in an organisation*: a caseworker of the SCA works SCA cases, a
support provider supports the people referred to its own organisation.

Every domain's access checks and the service navigation read this table; none keeps a list of
roles of its own. Anything not granted here is refused (deny by default): a role with no entry
may do nothing, and an administrator, who manages organisations and users, is never granted a
capability that reads case content.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from nrm.accounts.roles import Role


class Capability(StrEnum):
    REFER = "refer"  # make referrals and Duty to Notify reports, answer requests to refer
    CONTRIBUTE = "contribute"  # add to a draft referral one was invited to (never submit)
    RAISE_CONCERN = "raise_concern"  # ask a first-responder organisation to make a referral
    FOLLOW_REFERRALS = "follow_referrals"  # decisions on, and requests for information about, own referrals
    WORK_CASES = "work_cases"  # triage, gather information and decide the competent authority's cases
    SUPERVISE_CASES = "supervise_cases"  # allocate, monitor, second-line review of negative decisions
    REVIEW_ON_PANEL = "review_on_panel"  # read and review cases put to a Multi-Agency Assurance Panel
    CHAIR_PANEL = "chair_panel"  # record a panel's outcome
    PROVIDE_SUPPORT = "provide_support"  # support the people referred to the organisation
    # ask for a served negative decision to be reconsidered: on the organisation's own referrals, or
    # on the cases of the people referred to it for support
    REQUEST_RECONSIDERATION = "request_reconsideration"
    RECEIVE_PARTNER_MESSAGES = "receive_partner_messages"  # crime referrals, safeguarding notifications
    ANALYSE = "analyse"  # pseudonymised statistics, publications, questions
    ADMINISTER = "administer"  # organisations, users, reference data; never case content


CAPABILITIES: Mapping[Role, frozenset[Capability]] = {
    Role.FIRST_RESPONDER: frozenset({Capability.REFER, Capability.CONTRIBUTE, Capability.FOLLOW_REFERRALS,
                                     Capability.REQUEST_RECONSIDERATION}),
    Role.CONTRIBUTOR: frozenset({Capability.CONTRIBUTE}),
    Role.CONCERNED_PROFESSIONAL: frozenset({Capability.RAISE_CONCERN}),
    Role.CASEWORKER: frozenset({Capability.WORK_CASES}),
    Role.SENIOR_DECISION_MAKER: frozenset({Capability.WORK_CASES, Capability.SUPERVISE_CASES}),
    Role.PANEL_MEMBER: frozenset({Capability.REVIEW_ON_PANEL}),
    Role.PANEL_CHAIR: frozenset({Capability.REVIEW_ON_PANEL, Capability.CHAIR_PANEL}),
    Role.SUPPORT_PROVIDER: frozenset({Capability.PROVIDE_SUPPORT, Capability.REQUEST_RECONSIDERATION}),
    Role.PARTNER_RECIPIENT: frozenset({Capability.RECEIVE_PARTNER_MESSAGES}),
    # Children's social care of a local authority (a Health and Social Care trust in Northern
    # Ireland): its safeguarding notifications, and the support of the children referred to it.
    Role.CHILDRENS_SERVICES: frozenset({Capability.RECEIVE_PARTNER_MESSAGES, Capability.PROVIDE_SUPPORT,
                                        Capability.REQUEST_RECONSIDERATION}),
    Role.ANALYST: frozenset({Capability.ANALYSE}),
    Role.ADMINISTRATOR: frozenset({Capability.ADMINISTER}),
}


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles granted ``capability`` (for queries over memberships)."""
    return frozenset(role for role, granted in CAPABILITIES.items() if capability in granted)


def _authenticated(user: Any) -> bool:
    return (user is not None and bool(getattr(user, "is_authenticated", False))
            and bool(getattr(user, "is_active", True)))


def _memberships(user: Any) -> list[tuple[str, Any]]:
    """(role name, organisation) for each current membership, read once per user object (that
    is, once per request) whatever is asked of it."""
    cached: list[tuple[str, Any]] | None = user.__dict__.get("_nrm_memberships")
    if cached is None:
        cached = [(m.role.name, m.organisation) for m in user.active_memberships()]
        user.__dict__["_nrm_memberships"] = cached
    return cached


def _granted(role_name: str) -> frozenset[Capability]:
    try:
        return CAPABILITIES.get(Role(role_name), frozenset())
    except ValueError:  # a role in the database that the code no longer knows: nothing
        return frozenset()


def capabilities_of(user: Any) -> frozenset[Capability]:
    """Everything ``user`` may do, in any of its organisations; nothing for anonymous users."""
    if not _authenticated(user):
        return frozenset()
    return frozenset(c for role, _ in _memberships(user) for c in _granted(role))


def may(user: Any, *capabilities: Capability) -> bool:
    """Whether ``user`` holds any of ``capabilities`` in at least one organisation."""
    return bool(capabilities_of(user) & set(capabilities))


def organisations_with(user: Any, *capabilities: Capability) -> list[Any]:
    """The organisations in which ``user`` holds any of ``capabilities``, each once, in membership order."""
    if not _authenticated(user):
        return []
    wanted = set(capabilities)
    found: dict[Any, Any] = {}
    for role, organisation in _memberships(user):
        if _granted(role) & wanted:
            found.setdefault(organisation.pk, organisation)
    return list(found.values())
