"""Forms that parse what support providers send. The rules are in the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from nrm.support.models import AssessmentOutcome, EndReason, SupportKind


class GovukDateWidget(forms.MultiWidget):
    """Reads a GOV.UK date input: three boxes named ``<name>-day``, ``<name>-month``, ``<name>-year``."""

    def __init__(self) -> None:
        super().__init__(widgets=[forms.TextInput, forms.TextInput, forms.TextInput])

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[Any]:
        return [str(data.get(f"{name}-{part}", "")).strip() for part in ("day", "month", "year")]

    def decompress(self, value: Any) -> list[Any]:
        return [value.day, value.month, value.year] if value else ["", "", ""]


class GovukDateField(forms.Field):
    widget = GovukDateWidget

    def __init__(self, *, what: str, **kwargs: Any) -> None:
        self.what = what
        super().__init__(**kwargs)

    def clean(self, value: Any) -> date | None:
        day, month, year = value or ("", "", "")
        if not (day or month or year):
            if self.required:
                raise forms.ValidationError(f"Enter the {self.what}")
            return None
        missing = [part for part, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            raise forms.ValidationError(f"The {self.what} must include a {' and '.join(missing)}")
        try:
            parsed = date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(f"The {self.what} must be a real date") from None
        if parsed.year < 1900:
            raise forms.ValidationError(f"The {self.what} must be a real date")
        return parsed


class _DateForm(forms.Form):
    def date_parts(self, name: str) -> dict[str, str]:
        if not self.is_bound:
            return {"day": "", "month": "", "year": ""}
        return {part: str(self.data.get(f"{name}-{part}", "")) for part in ("day", "month", "year")}


class RespondForm(forms.Form):
    response = forms.ChoiceField(
        choices=[("accept", "Accept"), ("decline", "Decline")],
        error_messages={"required": "Select whether you accept the referral",
                        "invalid_choice": "Select whether you accept the referral"})
    reason = forms.CharField(required=False, max_length=2000,
                             error_messages={"max_length": "The reason must be 2,000 characters or fewer"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("response") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Enter the reason you cannot accept this referral")
        return data


class EpisodeForm(_DateForm):
    kind = forms.ChoiceField(choices=SupportKind.choices, error_messages={
        "required": "Select the type of support", "invalid_choice": "Select the type of support"})
    start_date = GovukDateField(what="start date")
    end_date = GovukDateField(what="end date", required=False)


class EpisodeEndForm(_DateForm):
    end_date = GovukDateField(what="end date")


class AssessmentForm(_DateForm):
    assessed_on = GovukDateField(what="date of the assessment")
    outcome = forms.ChoiceField(choices=AssessmentOutcome.choices, error_messages={
        "required": "Select the outcome of the assessment", "invalid_choice": "Select the outcome of the assessment"})
    support_needed_until = GovukDateField(what="date support is needed until", required=False)
    notes = forms.CharField(required=False, max_length=5000,
                            error_messages={"max_length": "Notes must be 5,000 characters or fewer"})


class EndSupportForm(_DateForm):
    ended_on = GovukDateField(what="date support ended")
    reason = forms.ChoiceField(choices=EndReason.choices, error_messages={
        "required": "Select why support is ending", "invalid_choice": "Select why support is ending"})
    details = forms.CharField(required=False, max_length=2000,
                              error_messages={"max_length": "Details must be 2,000 characters or fewer"})
