"""Forms that parse what panel members and reviewers send. Rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from nrm.core.forms import GovukForm


class DeclarationForm(GovukForm):
    conflict = forms.ChoiceField(
        choices=[("no", "No"), ("yes", "Yes")],
        error_messages={"required": "Select yes if you have a conflict of interest with this case",
                        "invalid_choice": "Select yes if you have a conflict of interest with this case"},
    )
    details = forms.CharField(required=False, max_length=2000, error_messages={
        "max_length": "The description must be 2,000 characters or fewer"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("conflict") == "yes" and not (data.get("details") or "").strip():
            self.add_error("details", "Describe the conflict of interest")
        return data


class PanelOutcomeForm(GovukForm):
    outcome = forms.ChoiceField(
        choices=[("agree", "Agree"), ("disagree", "Disagree")],
        error_messages={"required": "Select whether the panel agrees with the decision",
                        "invalid_choice": "Select whether the panel agrees with the decision"},
    )
    # Whether a rationale is needed is the review table's rule (nrm/reviews/lifecycle.py).
    rationale = forms.CharField(required=False, max_length=10000, error_messages={
        "max_length": "The rationale must be 10,000 characters or fewer"})


class SecondLineForm(GovukForm):
    outcome = forms.ChoiceField(
        choices=[("agree", "Agree"), ("return", "Return with reasons")],
        error_messages={"required": "Select whether you agree with the decision or return it",
                        "invalid_choice": "Select whether you agree with the decision or return it"},
    )
    # Reasons are needed to return a decision, not to agree: the review table's rule.
    rationale = forms.CharField(required=False, max_length=10000, error_messages={
        "max_length": "Your reasons must be 10,000 characters or fewer"})
