"""Forms parse and check the shape of input; the rules live in the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from nrm.cases.models import DisqualificationGround, Outcome
from nrm.core.forms import GovukDateField, GovukForm
from nrm.reference.models import NegativeDecisionReason

TEXT_LIMIT = 20000


def _text(required_message: str, *, required: bool = True, max_length: int = TEXT_LIMIT) -> forms.CharField:
    return forms.CharField(
        required=required,
        max_length=max_length,
        strip=True,
        error_messages={"required": required_message,
                        "max_length": f"Enter no more than {max_length:,} characters"},
    )


class DecisionForm(GovukForm):
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        error_messages={"required": "Select whether the decision is positive or negative",
                        "invalid_choice": "Select whether the decision is positive or negative"},
    )
    reasons = forms.MultipleChoiceField(required=False, choices=[],
                                        error_messages={"invalid_choice": "Select reasons from the list"})
    rationale = _text("Enter the rationale for the decision")

    def __init__(self, *args: Any, stage: str, on: date, allocated_to_other: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allocated_to_other:
            # Deciding a case allocated to someone else takes an explicit confirmation.
            self.fields["confirm_allocation"] = forms.BooleanField(error_messages={
                "required": f"Confirm that you are deciding a case allocated to {allocated_to_other}"})
        self.reason_rows = list(NegativeDecisionReason.objects.in_force(on).filter(stage=stage).order_by("code"))
        self.fields["reasons"].choices = [(r.code, r.label) for r in self.reason_rows]  # type: ignore[attr-defined]


class RgDecisionForm(DecisionForm):
    standard_applied = forms.CharField(
        error_messages={"required": "Confirm that you applied the standard in force on the decision date"})


class InformationRequestForm(GovukForm):
    question = _text("Enter the information you need")
    due_on = GovukDateField(label="Date to answer by", required=False)


class AnswerForm(GovukForm):
    answer = _text("Enter your answer")


class ReasonForm(GovukForm):
    reason = _text("Enter the reasons")


class NoteForm(GovukForm):
    text = _text("Enter the note")


class ReconsiderationForm(GovukForm):
    grounds = _text("Enter why the decision should be reconsidered")


class DisqualifyForm(GovukForm):
    ground = forms.ChoiceField(
        choices=DisqualificationGround.choices,
        error_messages={"required": "Select the ground for disqualification",
                        "invalid_choice": "Select the ground for disqualification"},
    )
    reason = _text("Enter the reasons for disqualification")


DISQUALIFICATION_DECISIONS = (("disqualify", "Disqualify the person"),
                              ("do_not_disqualify", "Do not disqualify the person"))


class DisqualificationDecisionForm(GovukForm):
    ground = forms.ChoiceField(choices=DISQUALIFICATION_DECISIONS, error_messages={
        "required": "Select whether to disqualify the person",
        "invalid_choice": "Select whether to disqualify the person"})
    reason = _text("Enter the reasons for the decision")


class AllocateForm(GovukForm):
    caseworker = forms.CharField(required=False)

    def __init__(self, *args: Any, caseworkers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.caseworkers = {str(u.pk): u for u in caseworkers}

    def clean_caseworker(self) -> Any:
        value = self.cleaned_data.get("caseworker", "")
        if not value:
            raise forms.ValidationError("Select who to allocate the cases to")
        if value == "nobody":
            return None
        if value not in self.caseworkers:
            raise forms.ValidationError("Select a caseworker from the list")
        return self.caseworkers[value]


class RepresentativeForm(GovukForm):
    representative_name = forms.CharField(required=False, max_length=200, strip=True,
                                          error_messages={"max_length": "Enter no more than 200 characters"})
    representative_email = forms.CharField(required=False, max_length=254, strip=True,
                                           error_messages={"max_length": "Enter no more than 254 characters"})
