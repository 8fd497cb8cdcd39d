"""Forms of the administration pages. The rules (who may grant what) are in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.core.forms import GovukForm

ALL_ROLES = [(str(r), d.label) for r, d in ROLE_DEFINITIONS.items()]


class DesignationForm(GovukForm):
    is_first_responder = forms.ChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        error_messages={"required": "Select whether the organisation is a first responder",
                        "invalid_choice": "Select whether the organisation is a first responder"})
    roles = forms.MultipleChoiceField(
        choices=ALL_ROLES,
        error_messages={"required": "Select at least one role its members may hold",
                        "invalid_choice": "Select roles from the list"})


class InviteForm(GovukForm):
    full_name = forms.CharField(max_length=200, error_messages={
        "required": "Enter the person's full name", "max_length": "Full name must be 200 characters or fewer"})
    email = forms.EmailField(max_length=254, error_messages={
        "required": "Enter their email address",
        "invalid": "Enter an email address in the correct format, like name@example.com",
        "max_length": "Email address must be 254 characters or fewer"})
    role = forms.ChoiceField(error_messages={"required": "Select their role",
                                             "invalid_choice": "Select a role from the list"})

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def chosen_role(self) -> Role:
        return Role(self.cleaned_data["role"])


class RolesForm(GovukForm):
    roles = forms.MultipleChoiceField(error_messages={
        "required": "Select at least one role, or deactivate the account if they have left",
        "invalid_choice": "Select roles from the list"})

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = roles  # type: ignore[attr-defined]

    def chosen_roles(self) -> list[Role]:
        return [Role(r) for r in self.cleaned_data["roles"]]
