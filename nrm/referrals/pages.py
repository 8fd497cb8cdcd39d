"""Turning the journey's questions into GOV.UK Frontend macro parameters. Presentation only;
the answers themselves are shown through :mod:`nrm.referrals.answers`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.urls import reverse
from markupsafe import Markup

from nrm.core.dates import PARTS, date_parts
from nrm.core.forms import date_input_params
from nrm.referrals import journey
from nrm.referrals.answers import person_name as answers_person_name
from nrm.referrals.journey import Answers, Field, Kind, OptionLookup, Step
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


def field_view(f: Field, step: Step, answers: Answers, errors: dict[str, str], lookup: OptionLookup,
               *, as_heading: bool = False, nested: bool = False) -> FieldView:
    value = answers.get(f.name)
    hint = {"text": f.hint} if f.hint else None
    label_classes = "govuk-label--l" if as_heading else ("" if nested else "govuk-label--s")
    legend_classes = "govuk-fieldset__legend--l" if as_heading else ("" if nested else "govuk-fieldset__legend--s")
    error = _error(errors, f.name)
    options = journey.options_for(f, lookup)
    params: dict[str, Any]

    if f.kind in {Kind.RADIOS, Kind.CHECKBOXES}:
        chosen = value if isinstance(value, list) else ([value] if value else [])
        items: list[dict[str, Any]] = []
        for option in options:
            if option.exclusive and items:
                items.append({"divider": "or"})
            item: dict[str, Any] = {"value": option.value, "text": option.text, "checked": option.value in chosen}
            if option.hint:
                item["hint"] = {"text": option.hint}
            if option.exclusive:
                item["behaviour"] = "exclusive"
            items.append(item)
        params = {
            "idPrefix": f.name, "name": f.name, "items": items, "hint": hint, "errorMessage": error,
            "fieldset": {"legend": {"text": f.label, "isPageHeading": as_heading, "classes": legend_classes}},
        }
        view = FieldView(f, f.kind.value, params)
        for child in step.fields:
            if child.reveal and child.reveal[0] == f.name and child.applies(answers):
                view.children.setdefault(child.reveal[1], []).append(
                    field_view(child, step, answers, errors, lookup, nested=True))
        return view

    if f.kind == Kind.DATE:
        problem = journey.date_field_problem(f, value) if error else None
        params = date_input_params(name=f.name, legend=f.label, values=date_parts(value),
                                   error=error["text"] if error else None,
                                   error_parts=problem.parts if problem else PARTS, hint=f.hint or None,
                                   legend_classes=legend_classes, is_page_heading=as_heading)
        return FieldView(f, "date", params)

    if f.kind in {Kind.SELECT, Kind.SELECTS}:
        values = value if isinstance(value, list) else ([value] if value else [])
        count = f.repeat if f.kind == Kind.SELECTS else 1

        def select(index: int) -> dict[str, Any]:
            current = values[index] if index < len(values) else ""
            first = index == 0
            optional = not first or not f.is_required(answers)
            items = [{"value": "", "text": ""}] + [
                {"value": o.value, "text": o.text, "selected": o.value == current} for o in options]
            label = f.label if first else f"{ORDINALS[index]} {f.label.lower()} (optional)"
            return {
                "id": f.name if first else f"{f.name}-{index + 1}", "name": f.name, "items": items,
                "label": {"text": label, "isPageHeading": as_heading and first,
                          "classes": label_classes if first else ""},
                "hint": hint if first else None,
                "errorMessage": error if first else None,
                "attributes": {"data-nrm-autocomplete": "true" if not optional else "optional"},
            }

        view = FieldView(f, "select", select(0))
        view.extra_selects = [select(i) for i in range(1, count)]
        return view

    if f.kind == Kind.TEXTAREA:
        params = {
            "id": f.name, "name": f.name, "value": value or "", "rows": f.rows, "hint": hint, "errorMessage": error,
            "label": {"text": f.label, "isPageHeading": as_heading, "classes": label_classes},
            "spellcheck": f.spellcheck, "autocomplete": f.autocomplete or None,
            # GOV.UK character count: says how many characters are left as the user types.
            "maxlength": f.max_length,
        }
        if f.name in {"account"}:
            params["attributes"] = {"data-nrm-language-guidance": "language-guidance"}
        return FieldView(f, "textarea", params)

    input_type = {Kind.EMAIL: "email", Kind.PHONE: "tel"}.get(f.kind, "text")
    params = {
        "id": f.name, "name": f.name, "value": value or "", "type": input_type, "hint": hint, "errorMessage": error,
        "label": {"text": f.label, "isPageHeading": as_heading, "classes": label_classes},
        "classes": f.width, "autocomplete": f.autocomplete or None, "spellcheck": f.spellcheck,
    }
    if f.kind == Kind.NUMBER:
        params["inputmode"] = "numeric"
    return FieldView(f, "input", params)


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
