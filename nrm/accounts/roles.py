"""The roles of DESIGN.md, defined in code. ``nrm sync_roles`` writes them to the database.

What each role may do is the table in ``nrm.accounts.capabilities``, read by each domain's access
checks and by the navigation; never decided in views.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    FIRST_RESPONDER = "first_responder"
    CONTRIBUTOR = "contributor"
    CONCERNED_PROFESSIONAL = "concerned_professional"
    CASEWORKER = "caseworker"
    SENIOR_DECISION_MAKER = "senior_decision_maker"
    PANEL_MEMBER = "panel_member"
    PANEL_CHAIR = "panel_chair"
    SUPPORT_PROVIDER = "support_provider"
    PARTNER_RECIPIENT = "partner_recipient"
    CHILDRENS_SERVICES = "childrens_services"
    ANALYST = "analyst"
    ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class RoleDefinition:
    role: Role
    label: str
    description: str
    requires_second_factor: bool


ROLE_DEFINITIONS: dict[Role, RoleDefinition] = {
    d.role: d
    for d in (
        RoleDefinition(Role.FIRST_RESPONDER, "First responder",
                       "Makes referrals and Duty to Notify reports, answers requests for information, "
                       "asks for reconsideration.", False),
        RoleDefinition(Role.CONTRIBUTOR, "Contributor",
                       "Adds what they know to a draft referral they were invited to; cannot submit.", False),
        RoleDefinition(Role.CONCERNED_PROFESSIONAL, "Concerned professional",
                       "Asks a first-responder organisation to make a referral.", False),
        RoleDefinition(Role.CASEWORKER, "Caseworker / decision maker",
                       "Triages cases, gathers information, makes reasonable and conclusive grounds decisions.", True),
        RoleDefinition(Role.SENIOR_DECISION_MAKER, "Senior decision maker",
                       "Reviews negative decisions, allocates cases, monitors performance.", True),
        RoleDefinition(Role.PANEL_MEMBER, "Panel member",
                       "Reviews negative conclusive grounds decisions on a Multi-Agency Assurance Panel.", True),
        RoleDefinition(Role.PANEL_CHAIR, "Panel chair",
                       "Chairs a Multi-Agency Assurance Panel and records its outcome.", True),
        RoleDefinition(Role.SUPPORT_PROVIDER, "Support provider",
                       "Records support given and recovery needs assessments for people referred to it.", False),
        RoleDefinition(Role.PARTNER_RECIPIENT, "Partner recipient",
                       "Receives crime referrals and child safeguarding notifications for its organisation.", False),
        RoleDefinition(Role.CHILDRENS_SERVICES, "Children's services",
                       "Receives child safeguarding notifications for its local authority or trust, and supports "
                       "the children referred to it for support.", False),
        RoleDefinition(Role.ANALYST, "Analyst / statistician",
                       "Sees pseudonymised data only; runs and signs off publications.", True),
        RoleDefinition(Role.ADMINISTRATOR, "Administrator",
                       "Manages organisations, users and reference data; never reads case content.", True),
    )
}

SECOND_FACTOR_ROLES = frozenset(r for r, d in ROLE_DEFINITIONS.items() if d.requires_second_factor)
