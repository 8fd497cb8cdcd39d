"""The forms of the partner-systems pages: an API client, a webhook endpoint."""

from __future__ import annotations

from typing import Any

from django import forms

from nrm.accounts.capabilities import CAPABILITIES
from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.api.scopes import SCOPE_CAPABILITY, Scope
from nrm.core.forms import GovukForm
from nrm.notify.models import WebhookEvent

SCOPE_LABELS: dict[Scope, str] = {
    Scope.REFERRALS_READ: "Read the organisation's referrals and the decisions on them",
    Scope.REFERRALS_WRITE: "Create, update and submit referrals",
    Scope.MESSAGES_READ: "Read crime referrals and safeguarding notifications sent to the organisation",
    Scope.MESSAGES_ACKNOWLEDGE: "Acknowledge those messages (with a crime reference number for police)",
    Scope.CASES_READ: "Read the competent authority's queues and cases",
    Scope.CASES_DECIDE: "Record decisions on cases",
    Scope.EXPORTS_HTCDS: "Export cases in the HTCDS layout",
}


def roles_for_clients(organisation: Any) -> list[Role]:
    """The roles a client of ``organisation`` may act in: those its members may hold that back a scope."""
    backed = set(SCOPE_CAPABILITY.values())
    return [role for role in Role if str(role) in organisation.role_names
            and CAPABILITIES.get(role, frozenset()) & backed]


class ApiClientForm(GovukForm):
    name = forms.CharField(label="Name of the system", max_length=120, error_messages={
        "required": "Enter the name of the system", "max_length": "The name must be 120 characters or fewer"})
    role = forms.ChoiceField(label="It acts as", error_messages={
        "required": "Choose what the system acts as", "invalid_choice": "Choose what the system acts as"})
    scopes = forms.MultipleChoiceField(label="What it may do", choices=[(s.value, SCOPE_LABELS[s]) for s in Scope],
                                       error_messages={"required": "Choose at least one thing the system may do",
                                                       "invalid_choice": "Choose from the list"})

    def __init__(self, *args: Any, organisation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        role: Any = self.fields["role"]
        role.choices = [(r.value, ROLE_DEFINITIONS[r].label) for r in roles_for_clients(organisation)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, scopes = data.get("role"), data.get("scopes") or []
        if role:
            granted = CAPABILITIES.get(Role(role), frozenset())
            refused = [s for s in scopes if SCOPE_CAPABILITY[Scope(s)] not in granted]
            if refused:
                what = SCOPE_LABELS[Scope(refused[0])]
                self.add_error("scopes", f"A system acting as {ROLE_DEFINITIONS[Role(role)].label.lower()} cannot be "
                                         f"allowed to {what[0].lower()}{what[1:]}")
        return data


class WebhookForm(GovukForm):
    url = forms.CharField(label="Address (URL) of the partner system's endpoint", max_length=500, error_messages={
        "required": "Enter the address of the endpoint", "max_length": "The address must be 500 characters or fewer"})
    events = forms.MultipleChoiceField(label="Events to send", choices=WebhookEvent.choices, error_messages={
        "required": "Choose at least one event", "invalid_choice": "Choose from the list"})
