"""Turning the journey's questions into GOV.UK Frontend macro parameters. Presentation only;
the answers themselves are shown through :mod:`nrm.referrals.answers`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.urls import reverse
from markupsafe import Markup

from nrm.core.dates import PARTS, date_parts
from nrm.core.forms import date_input_params
from nrm.referrals import journey
from nrm.referrals.answers import person_name as answers_person_name
from nrm.referrals.journey import Answers, Field, Kind, Option, OptionLookup, Step
from nrm.referrals.language import guidance_for_browser
from nrm.referrals.models import Referral

ORDINALS = ("", "Second", "Third", "Fourth", "Fifth")


@dataclass
class FieldView:
    field: Field
    kind: str
    params: dict[str, Any]
    children: dict[str, list[FieldView]] = dataclass_field(default_factory=dict)
    extra_selects: list[dict[str, Any]] = dataclass_field(default_factory=list)  # SELECTS after the first


def _error(errors: dict[str, str], name: str) -> dict[str, str] | None:
    return {"text": errors[name]} if name in errors else None


@dataclass(frozen=True)
class _Question:
    """One field being shown: everything its GOV.UK macro parameters are made from."""

    f: Field
    step: Step
    answers: Answers
    errors: dict[str, str]
    lookup: OptionLookup
    as_heading: bool
    nested: bool

    @property
    def value(self) -> Any:
        return self.answers.get(self.f.name)

    @property
    def values(self) -> list[Any]:
        value = self.value
        return value if isinstance(value, list) else ([value] if value else [])

    @property
    def hint(self) -> dict[str, str] | None:
        return {"text": self.f.hint} if self.f.hint else None

    @property
    def label_classes(self) -> str:
        return "govuk-label--l" if self.as_heading else ("" if self.nested else "govuk-label--s")

    @property
    def legend_classes(self) -> str:
        return "govuk-fieldset__legend--l" if self.as_heading else ("" if self.nested else "govuk-fieldset__legend--s")

    @property
    def error(self) -> dict[str, str] | None:
        return _error(self.errors, self.f.name)


def _choice_items(q: _Question) -> list[dict[str, Any]]:
    chosen = q.values
    items: list[dict[str, Any]] = []
    for option in journey.options_for(q.f, q.lookup):
        if option.exclusive and items:
            items.append({"divider": "or"})
        item: dict[str, Any] = {"value": option.value, "text": option.text, "checked": option.value in chosen}
        if option.hint:
            item["hint"] = {"text": option.hint}
        if option.exclusive:
            item["behaviour"] = "exclusive"
        items.append(item)
    return items


def _choices_view(q: _Question) -> FieldView:
    """Radios or checkboxes, with the fields each option reveals."""
    f = q.f
    params = {
        "idPrefix": f.name, "name": f.name, "items": _choice_items(q), "hint": q.hint, "errorMessage": q.error,
        "fieldset": {"legend": {"text": f.label, "isPageHeading": q.as_heading, "classes": q.legend_classes}},
    }
    view = FieldView(f, f.kind.value, params)
    for child in q.step.fields:
        if child.reveal and child.reveal[0] == f.name and child.applies(q.answers):
            view.children.setdefault(child.reveal[1], []).append(
                field_view(child, q.step, q.answers, q.errors, q.lookup, nested=True))
    return view


def _date_view(q: _Question) -> FieldView:
    f, error = q.f, q.error
    problem = journey.date_field_problem(f, q.value) if error else None
    params = date_input_params(name=f.name, legend=f.label, values=date_parts(q.value),
                               error=error["text"] if error else None,
                               error_parts=problem.parts if problem else PARTS, hint=f.hint or None,
                               legend_classes=q.legend_classes, is_page_heading=q.as_heading)
    return FieldView(f, "date", params)


def _select_params(q: _Question, options: Sequence[Option], values: list[Any], index: int) -> dict[str, Any]:
    """The ``index``-th select of a field (the first is the question; the others are optional repeats)."""
    f = q.f
    current = values[index] if index < len(values) else ""
    first = index == 0
    optional = not first or not f.is_required(q.answers)
    items = [{"value": "", "text": ""}] + [
        {"value": o.value, "text": o.text, "selected": o.value == current} for o in options]
    label = f.label if first else f"{ORDINALS[index]} {f.label.lower()} (optional)"
    return {
        "id": f.name if first else f"{f.name}-{index + 1}", "name": f.name, "items": items,
        "label": {"text": label, "isPageHeading": q.as_heading and first,
                  "classes": q.label_classes if first else ""},
        "hint": q.hint if first else None,
        "errorMessage": q.error if first else None,
        "attributes": {"data-nrm-autocomplete": "true" if not optional else "optional"},
    }


def _select_view(q: _Question) -> FieldView:
    values = q.values
    count = q.f.repeat if q.f.kind == Kind.SELECTS else 1
    options = journey.options_for(q.f, q.lookup)
    view = FieldView(q.f, "select", _select_params(q, options, values, 0))
    view.extra_selects = [_select_params(q, options, values, i) for i in range(1, count)]
    return view


def _textarea_view(q: _Question) -> FieldView:
    f = q.f
    params = {
        "id": f.name, "name": f.name, "value": q.value or "", "rows": f.rows, "hint": q.hint,
        "errorMessage": q.error,
        "label": {"text": f.label, "isPageHeading": q.as_heading, "classes": q.label_classes},
        "spellcheck": f.spellcheck, "autocomplete": f.autocomplete or None,
        # GOV.UK character count: says how many characters are left as the user types.
        "maxlength": f.max_length,
    }
    if f.name in {"account"}:
        params["attributes"] = {"data-nrm-language-guidance": "language-guidance"}
    return FieldView(f, "textarea", params)


def _input_view(q: _Question) -> FieldView:
    f = q.f
    input_type = {Kind.EMAIL: "email", Kind.PHONE: "tel"}.get(f.kind, "text")
    params = {
        "id": f.name, "name": f.name, "value": q.value or "", "type": input_type, "hint": q.hint,
        "errorMessage": q.error,
        "label": {"text": f.label, "isPageHeading": q.as_heading, "classes": q.label_classes},
        "classes": f.width, "autocomplete": f.autocomplete or None, "spellcheck": f.spellcheck,
    }
    if f.kind == Kind.NUMBER:
        params["inputmode"] = "numeric"
    return FieldView(f, "input", params)


_VIEWS: dict[Kind, Callable[[_Question], FieldView]] = {
    Kind.RADIOS: _choices_view,
    Kind.CHECKBOXES: _choices_view,
    Kind.DATE: _date_view,
    Kind.SELECT: _select_view,
    Kind.SELECTS: _select_view,
    Kind.TEXTAREA: _textarea_view,
}


def field_view(f: Field, step: Step, answers: Answers, errors: dict[str, str], lookup: OptionLookup,
               *, as_heading: bool = False, nested: bool = False) -> FieldView:
    question = _Question(f, step, answers, errors, lookup, as_heading, nested)
    return _VIEWS.get(f.kind, _input_view)(question)


def step_field_views(step: Step, answers: Answers, errors: dict[str, str], lookup: OptionLookup) -> list[FieldView]:
    top = [f for f in step.top_level_fields() if f.applies(answers)]
    heading = step.heading_field and len(top) == 1
    return [field_view(f, step, answers, errors, lookup, as_heading=heading) for f in top]


def step_url(referral: Referral, step: Step | str, *, return_to_check: bool = False) -> str:
    slug = step if isinstance(step, str) else step.slug
    url = reverse("referrals:step", kwargs={"referral_id": referral.pk, "step": slug})
    return url + ("?return=check" if return_to_check else "")


def person_name(referral: Referral) -> str:
    """The person's name for lists of drafts and referrals."""
    name = answers_person_name(referral, missing="Not named yet")
    return "Anonymous (Duty to Notify)" if name is None else name


def language_terms_json() -> Markup:
    """The word list for the page's script, safe inside a <script type="application/json">."""
    text = json.dumps(guidance_for_browser()).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with <, > and & escaped, in a non-executed script element
