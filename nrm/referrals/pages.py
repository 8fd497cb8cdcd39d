"""Turning the journey's questions into GOV.UK Frontend macro parameters, and the summaries
shown on 'Check your answers', the copy of the referral and the lists. Presentation only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.urls import reverse
from markupsafe import Markup

from nrm.referrals import journey
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
        parts = value if isinstance(value, dict) else {}
        items = [
            {"name": part, "label": label, "value": parts.get(part, ""),
             "classes": f"govuk-input--width-{width}" + (" govuk-input--error" if error else "")}
            for part, label, width in (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))
        ]
        params = {
            "id": f.name, "namePrefix": f.name, "items": items, "hint": hint, "errorMessage": error,
            "fieldset": {"legend": {"text": f.label, "isPageHeading": as_heading, "classes": legend_classes}},
        }
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
    answers = referral.answers or {}
    if journey.is_duty_to_notify(answers):
        return "Anonymous (Duty to Notify)"
    name = " ".join(str(answers.get(k) or "").strip() for k in ("first_names", "last_name")).strip()
    return name or "Not named yet"


@dataclass
class SummarySection:
    title: str
    rows: list[dict[str, Any]]


def summary_sections(referral: Referral, lookup: OptionLookup, *, with_actions: bool) -> list[SummarySection]:
    """The answers by section, as GOV.UK summary list rows; missing answers link to their page."""
    answers = referral.answers or {}
    sections: dict[str, list[dict[str, Any]]] = {}
    for step in journey.journey_path(answers):
        if not step.fields:
            continue
        for row in journey.summary_rows(step, answers, lookup):
            href = step_url(referral, step, return_to_check=True) + f"#{row.field.name}"
            value: dict[str, Any]
            if row.error and with_actions:  # GOV.UK: a missing or wrong answer links to its question
                value = {"html": Markup('<a class="govuk-link" href="{}">{}</a>').format(href, row.error)}
            elif row.lines:
                value = {"html": Markup("<br>").join(row.lines)}
            else:
                value = {"text": "Not given"}
            entry: dict[str, Any] = {"key": {"text": row.field.short_label}, "value": value}
            if with_actions and not row.error:
                entry["actions"] = {"items": [{"href": href, "text": "Change",
                                               "visuallyHiddenText": row.field.short_label.lower()}]}
            sections.setdefault(step.section, []).append(entry)
    return [SummarySection(title, rows) for title, rows in sections.items()]


def language_terms_json() -> Markup:
    """The word list for the page's script, safe inside a <script type="application/json">."""
    text = json.dumps(guidance_for_browser()).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with <, > and & escaped, in a non-executed script element
