"""The one input boundary: unsafe characters, the one date check, the base form."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from nrm.core.dates import date_problem, parse_date
from nrm.core.forms import GovukDateField, GovukForm, date_input_for
from nrm.core.input import REPLACEMENT, TEXT_LIMIT, has_unsafe_characters, shown_back

TODAY = date(2026, 6, 15)
TYPED = st.one_of(st.text(max_size=12), st.integers().map(str), st.sampled_from(
    ["", " ", "\x00", "\ud800", "99999999999", "1_000", "١٢", "0", "-1", "1e9", "Feb", "sept", " 7 "]))


def typed(day: str, month: str, year: str) -> dict[str, str]:
    return {"day": day, "month": month, "year": year}


@pytest.mark.parametrize(("value", "message", "parts"), [
    (typed("", "", ""), "Enter the date of birth", ("day",)),
    (typed("3", "", "2000"), "Date of birth must include a month", ("month",)),
    (typed("", "", "2000"), "Date of birth must include a day and month", ("day", "month")),
    (typed("3", "", ""), "Date of birth must include a month and year", ("month", "year")),
    (typed("31", "2", "2000"), "Date of birth must be a real date", ("day", "month", "year")),
    (typed("1", "1", "99999999999"), "Date of birth year must include 4 numbers", ("year",)),
    (typed("1", "1", "99"), "Date of birth year must include 4 numbers", ("year",)),
    (typed("x", "1", "2000"), "Date of birth must be a real date", ("day",)),
    (typed("1", "13", "2000"), "Date of birth must be a real date", ("day", "month", "year")),
    (typed("1", "1", "2030"), "Date of birth must be in the past", ("day", "month", "year")),
    (typed("1", "1", "1899"), "Date of birth must be the same as or after 1 January 1900", ("day", "month", "year")),
])
def test_the_date_check_uses_the_design_systems_messages(value: dict[str, str], message: str,
                                                        parts: tuple[str, ...]) -> None:
    problem = date_problem(value, label="Date of birth", past=True, today=TODAY)
    assert problem is not None
    assert (problem.message, problem.parts) == (message, parts)


def test_month_names_and_spaces_are_understood() -> None:
    assert parse_date(typed(" 7 ", "Feb", "2001")) == date(2001, 2, 7)
    assert parse_date(typed("7", "september", "2001")) == date(2001, 9, 7)
    assert date_problem(typed("7", "Sept", "2001"), label="Start date") is None


@given(day=TYPED, month=TYPED, year=TYPED)
def test_no_typed_date_makes_the_check_fail(day: str, month: str, year: str) -> None:
    value = typed(day, month, year)
    problem = date_problem(value, label="Start date", past=True, today=TODAY)
    parsed = parse_date(value)
    assert (problem is None) == (parsed is not None and date(1900, 1, 1) <= parsed <= TODAY)


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=8))
def test_shown_back_values_are_always_safe_and_keep_everything_else(value: object) -> None:
    shown = shown_back(value)
    assert not has_unsafe_characters(shown)
    if not has_unsafe_characters(value):
        assert shown == (list(value) if isinstance(value, tuple) else value)


def test_unsafe_characters_are_found_in_keys_lists_and_text() -> None:
    assert has_unsafe_characters("a\x00b")
    assert has_unsafe_characters(["ok", "\udc80"])
    assert has_unsafe_characters({"\x00": "ok"})
    assert not has_unsafe_characters({"a": ["b", 1, None]})
    assert shown_back("a\x00b") == f"a{REPLACEMENT}b"


class _ExampleForm(GovukForm):
    name = forms.CharField(label="Full name")
    notes = forms.CharField(required=False)
    choice = forms.ChoiceField(choices=[("a", "A")], required=False)
    started = GovukDateField(label="Start date", required=False)


def test_every_field_of_a_form_refuses_unsafe_characters_with_its_label() -> None:
    form = _ExampleForm({"name": "Ann\x00", "notes": "\ud800"})
    assert not form.is_valid()
    assert form.errors["name"] == ["Full name must not include hidden characters, such as a null character. "
                                   "Delete them and try again"]
    assert str(form.errors["notes"][0]).startswith("Your answer must not include hidden characters")


def test_text_without_a_limit_gets_the_services_limit() -> None:
    form = _ExampleForm({"name": "x", "notes": "y" * (TEXT_LIMIT + 1)})
    assert not form.is_valid()
    assert form.errors["notes"] == ["Your answer must be 20,000 characters or fewer"]


def test_an_impossible_year_is_an_error_on_the_year_not_a_crash() -> None:
    form = _ExampleForm({"name": "x", "started-day": "1", "started-month": "1", "started-year": "99999999999"})
    assert not form.is_valid()
    assert form.errors["started"] == ["Start date year must include 4 numbers"]
    params = date_input_for(form, "started", legend="When did it start?")
    classes = {item["name"]: item["classes"] for item in params["items"]}
    assert "govuk-input--error" in classes["year"]
    assert "govuk-input--error" not in classes["day"]
    assert [item["value"] for item in params["items"]] == ["1", "1", "99999999999"]


def test_a_date_input_shows_its_initial_date_until_the_form_is_sent() -> None:
    form = _ExampleForm(initial={"started": date(2026, 3, 27)})
    assert [item["value"] for item in date_input_for(form, "started", legend="L")["items"]] == ["27", "3", "2026"]
