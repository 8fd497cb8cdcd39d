"""Forms in GOV.UK style: the base every form uses (one input boundary), the one date input
component, and the error summary's list and one field's message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils import timezone

from nrm.core.dates import EARLIEST, PARTS, DateProblem, date_parts, date_problem, parse_date
from nrm.core.input import TEXT_LIMIT, has_unsafe_characters, shown_back, unsafe_message


def error_list(form: forms.Form, *, first_field: str = "", anchors: dict[str, str] | None = None) -> list[dict[str, str]]:
    """A form's errors for the GOV.UK error summary, in the order of its questions, each linking
    to its field (``anchors`` maps a field to another id, such as a date input's day box; a
    form-wide error links to ``first_field``). One message a field, as the Design System asks."""
    anchors = anchors or {}
    order = list(form.fields)
    items = sorted(form.errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1)
    return [
        {"text": str(messages[0]), "href": "#" + anchors.get(name, name if name != "__all__" else first_field)}
        for name, messages in items
    ]


def field_error(form: forms.Form, name: str) -> dict[str, str] | None:
    """The first error of one field, for its ``errorMessage``."""
    messages = form.errors.get(name)
    return {"text": str(messages[0])} if messages else None


# --- One boundary for every form -------------------------------------------------------------------

class SafeTextValidator:
    """Refuses a NUL character or an unpaired surrogate (see ``nrm.core.input``) with a message
    naming the field. Replaces Django's own NUL check, whose message is not in GOV.UK style."""

    def __init__(self, label: str = "") -> None:
        self.label = label

    def __call__(self, value: object) -> None:
        if has_unsafe_characters(value):
            raise forms.ValidationError(unsafe_message(self.label), code="unsafe_characters")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SafeTextValidator) and other.label == self.label

    def __hash__(self) -> int:
        return hash(self.label)


def guard_field(field: forms.Field) -> None:
    """Give a field the service's input rules: no unsafe characters, and text bounded in length."""
    label = str(field.label or "")
    field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
    field.validators.append(SafeTextValidator(label))
    if isinstance(field, forms.CharField) and field.max_length is None:
        field.max_length = TEXT_LIMIT
        field.validators.append(MaxLengthValidator(TEXT_LIMIT, message=(
            f"{label or 'Your answer'} must be {TEXT_LIMIT:,} characters or fewer")))


class GovukForm(forms.Form):
    """The base of every form in the service: each field refuses characters that cannot be
    stored and is bounded in length, so no typed input reaches the database unchecked. What was
    typed stays in ``form.data`` to be shown again with the errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            guard_field(field)


# --- One date input --------------------------------------------------------------------------------

class GovukDateWidget(forms.Widget):
    """Reads a GOV.UK date input: three boxes named ``<name>-day``, ``<name>-month``, ``<name>-year``
    (pages draw it with the ``date_input`` macro, never with this widget)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        return {part: str(data.get(f"{name}-{part}", "")).strip() for part in PARTS}

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(f"{name}-{part}" in data for part in PARTS)


class GovukDateField(forms.Field):
    """A date typed into a GOV.UK date input, checked by ``nrm.core.dates.date_problem`` with the
    Design System's messages. ``label`` starts each message ("Start date must include a month").
    The last problem found is kept on the field so the page can highlight the right boxes."""

    widget = GovukDateWidget

    def __init__(self, *, label: str, required_message: str = "", past: bool = False,
                 earliest: date | None = EARLIEST, latest: date | None = None, **kwargs: Any) -> None:
        self.required_message = required_message
        self.past = past
        self.earliest = earliest
        self.latest = latest
        self.problem: DateProblem | None = None
        super().__init__(label=label, **kwargs)

    def clean(self, value: Any) -> date | None:
        self.problem = date_problem(value, label=str(self.label), required=self.required,
                                    required_message=self.required_message, past=self.past,
                                    earliest=self.earliest, latest=self.latest, today=timezone.localdate())
        if self.problem is not None:
            raise forms.ValidationError(self.problem.message, code="date")
        return parse_date(value)


def date_input_params(*, name: str, legend: str, values: Mapping[str, str], error: str | None = None,
                      error_parts: Sequence[str] = PARTS, hint: str | None = None,
                      legend_classes: str = "govuk-fieldset__legend--m", is_page_heading: bool = False,
                      ) -> dict[str, Any]:
    """The parameters of GOV.UK's ``govukDateInput`` for one date: the same boxes, widths, labels
    and error highlighting on every page (only the boxes with the problem are highlighted)."""
    items = [
        {"name": part, "label": part.capitalize(), "value": shown_back(values.get(part, "")),
         "classes": f"govuk-input--width-{4 if part == 'year' else 2}"
                    + (" govuk-input--error" if error and part in error_parts else "")}
        for part in PARTS
    ]
    return {
        "id": name, "namePrefix": name, "items": items,
        "hint": {"text": hint} if hint else None,
        "errorMessage": {"text": error} if error else None,
        "fieldset": {"legend": {"text": legend, "isPageHeading": is_page_heading, "classes": legend_classes}},
    }


def date_input_for(form: forms.Form, name: str, *, legend: str, hint: str | None = None,
                   legend_classes: str = "govuk-fieldset__legend--m", is_page_heading: bool = False,
                   ) -> dict[str, Any]:
    """``date_input_params`` for a ``GovukDateField`` of a form: what was typed, and its error."""
    field = form.fields[name]
    problem = getattr(field, "problem", None)
    error = field_error(form, name)
    if form.is_bound:
        values = date_parts({p: form.data.get(f"{name}-{p}", "") for p in PARTS})
    else:
        initial = form.initial.get(name, field.initial)
        values = {"day": str(initial.day), "month": str(initial.month), "year": str(initial.year)} if isinstance(
            initial, date) else {}
    return date_input_params(name=name, legend=legend, values=values, error=error["text"] if error else None,
                             error_parts=problem.parts if problem else PARTS, hint=hint,
                             legend_classes=legend_classes, is_page_heading=is_page_heading)
