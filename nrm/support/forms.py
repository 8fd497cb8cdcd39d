"""Forms that parse what support providers send. The rules are in the services."""

from __future__ import annotations

from django import forms

from nrm.core.forms import GovukDateField, GovukForm
from nrm.support.lifecycle import PROVIDER_END_REASONS
from nrm.support.models import AssessmentOutcome, EndReason, SupportKind


class RespondForm(GovukForm):
    response = forms.ChoiceField(
        choices=[("accept", "Accept"), ("decline", "Decline")],
        error_messages={"required": "Select whether you accept the referral",
                        "invalid_choice": "Select whether you accept the referral"})
    # Whether a reason is needed (to decline) is the support table's rule (nrm/support/lifecycle.py).
    reason = forms.CharField(required=False, max_length=2000,
                             error_messages={"max_length": "The reason must be 2,000 characters or fewer"})


class EpisodeForm(GovukForm):
    kind = forms.ChoiceField(choices=SupportKind.choices, error_messages={
        "required": "Select the type of support", "invalid_choice": "Select the type of support"})
    start_date = GovukDateField(label="Start date")
    end_date = GovukDateField(label="End date", required=False)


class EpisodeEndForm(GovukForm):
    end_date = GovukDateField(label="End date")


class AssessmentForm(GovukForm):
    assessed_on = GovukDateField(label="Date of the assessment")
    outcome = forms.ChoiceField(choices=AssessmentOutcome.choices, error_messages={
        "required": "Select the outcome of the assessment", "invalid_choice": "Select the outcome of the assessment"})
    support_needed_until = GovukDateField(label="Date support is needed until", required=False)
    notes = forms.CharField(required=False, max_length=5000,
                            error_messages={"max_length": "Notes must be 5,000 characters or fewer"})


# A provider does not choose the reasons that belong to the case (withdrawal, disqualification).
PROVIDER_END_CHOICES: list[tuple[str, str]] = [(value, str(label)) for value, label in EndReason.choices
                                               if value in PROVIDER_END_REASONS]


class ReconsiderationForm(GovukForm):
    grounds = forms.CharField(max_length=5000, error_messages={
        "required": "Enter why the decision should be reconsidered",
        "max_length": "The reasons must be 5,000 characters or fewer"})


class EndSupportForm(GovukForm):
    ended_on = GovukDateField(label="Date support ended")
    reason = forms.ChoiceField(choices=PROVIDER_END_CHOICES, error_messages={
        "required": "Select why support is ending", "invalid_choice": "Select why support is ending"})
    details = forms.CharField(required=False, max_length=2000,
                              error_messages={"max_length": "Details must be 2,000 characters or fewer"})
