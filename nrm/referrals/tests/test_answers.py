"""The one presenter of a referral's answers: every question on the path with its journey label,
in the journey's order, values in words (never codes or internal names), worded for the reader."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.reference.models import Organisation
from nrm.referrals import journey
from nrm.referrals.answers import ORGANISATION_ROW, AnswerSection, person_name, referral_answer_rows
from nrm.referrals.choices import options_on
from nrm.referrals.journey import Field, Kind, OptionLookup
from nrm.referrals.models import Referral

pytestmark = pytest.mark.django_db

SNAKE_CASE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
REFERENCE_CODE = re.compile(r"\b[A-Z][0-9]{8}\b|\b[A-Z]{2}\b")  # ONS codes (E23000001), ISO country codes (GB)
GOVUK_DATE = re.compile(r"^[0-9]{1,2} (January|February|March|April|May|June|July|August|September|October|"
                        r"November|December) [0-9]{4}$")


def _referral(answers: dict[str, Any], author: User) -> Referral:
    return Referral(answers=answers, author=author, organisation=Organisation.objects.get(slug="police-e23000001"))


def _expected_fields(answers: dict[str, Any]) -> list[tuple[str, Field]]:
    """(section, question) for every question the journey asks on this path, in its order."""
    return [(step.section, f) for step in journey.journey_path(answers) for f in step.fields
            if journey.field_applies(f, step, answers)]


def _names(sections: list[AnswerSection]) -> list[str]:
    return [row.name for section in sections for row in section.rows if row.name != ORGANISATION_ROW]


@pytest.mark.parametrize("kind", ["child", "adult", "dtn"])
def test_every_question_on_the_path_appears_with_its_label_in_the_journeys_order(
        kind: str, answers: Callable[[str], dict[str, Any]], first_responder: User) -> None:
    given_answers = answers(kind)
    sections = referral_answer_rows(_referral(given_answers, first_responder), reader=first_responder)
    expected = _expected_fields(given_answers)
    assert _names(sections) == [f.name for _, f in expected]
    labels = {row.name: row.label for section in sections for row in section.rows}
    assert all(labels[f.name] == f.short_label for _, f in expected)
    assert [s.title for s in sections] == list(dict.fromkeys(section for section, _ in expected))


def test_values_are_in_words(answers: Callable[[str], dict[str, Any]], make_user: Callable[..., User],
                             first_responder: User) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca")
    sections = referral_answer_rows(_referral(answers("child"), first_responder), reader=caseworker)
    shown = {row.label: row.lines for section in sections for row in section.rows}
    assert shown["Organisation"] == ("Metropolitan Police",)
    assert shown["Police force area they work in"] == ("Metropolitan Police",)
    assert shown["Date of birth"] == ("3 April 2010",)
    assert shown["Nationality"] == ("Romanian",)
    assert shown["Needs an interpreter"] == ("Yes",)
    assert shown["Local authority area"] == ("Manchester",)
    assert shown["Criminal exploitation"] == ("Has more than one phone or gets many calls or messages",)
    assert shown["Type of exploitation"] == ("Sexual", "Criminal")


def test_the_first_responder_who_made_it_reads_your_details_and_everyone_else_first_responder(
        answers: Callable[[str], dict[str, Any]], make_user: Callable[..., User], first_responder: User) -> None:
    referral = _referral(answers("adult"), first_responder)
    own = referral_answer_rows(referral, reader=first_responder)
    assert own[0].title == "Your details"
    assert "Your police force area" in [r.label for r in own[0].rows]
    colleague = make_user(Role.FIRST_RESPONDER, "police-e23000001")
    for reader in (make_user(Role.CASEWORKER, "sca"), make_user(Role.SUPPORT_PROVIDER, "vcc-salvation-army"),
                   colleague):
        theirs = referral_answer_rows(referral, reader=reader)
        assert theirs[0].title == "First responder"
        assert [r.label for r in theirs[0].rows][:2] == ["Organisation", "Full name"]
        assert not any("Your" in s.title or any(r.label.startswith("Your") for r in s.rows) for s in theirs)


def test_a_reader_entitled_to_part_of_the_referral_sees_only_those_questions(
        answers: Callable[[str], dict[str, Any]], first_responder: User) -> None:
    sections = referral_answer_rows(_referral(answers("adult"), first_responder), reader=first_responder,
                                    fields=("first_names", "fr_name", "language"))
    assert _names(sections) == ["fr_name", "first_names", "language"]


def test_the_person_is_named_except_in_a_duty_to_notify_report(
        answers: Callable[[str], dict[str, Any]], first_responder: User) -> None:
    assert person_name(_referral(answers("adult"), first_responder)) == "Tomasz Nowak"
    assert person_name(_referral(answers("dtn"), first_responder)) is None
    assert person_name(_referral({**answers("adult"), "first_names": "", "last_name": ""}, first_responder)) \
        == "Name not given"


# --- No code or internal name leaks, whatever the answers ---------------------------------------------

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=30).map(lambda t: t.strip() or "word")


def _value_for(f: Field, lookup: OptionLookup) -> st.SearchStrategy[Any]:
    options = [o.value for o in journey.options_for(f, lookup)]
    if f.kind in {Kind.RADIOS, Kind.SELECT}:
        return st.sampled_from(options)
    if f.kind in {Kind.CHECKBOXES, Kind.SELECTS}:
        return st.lists(st.sampled_from(options), min_size=1, max_size=f.repeat if f.kind == Kind.SELECTS else 4,
                        unique=True)
    if f.kind == Kind.DATE:
        return st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)).map(
            lambda d: {"day": str(d.day), "month": str(d.month), "year": str(d.year)})
    if f.kind == Kind.NUMBER:
        return st.integers(min_value=0, max_value=120).map(str)
    return _WORDS


@st.composite
def _answers(draw: st.DrawFn, lookup: OptionLookup) -> dict[str, Any]:
    """Answers as a first responder could give them: each question on the path as it then stands
    answered (or left blank when optional), the path decided by the earlier answers."""
    given_answers: dict[str, Any] = {}
    for step in journey.STEPS:
        if not step.applies(given_answers):
            continue
        for f in step.fields:
            if not journey.field_applies(f, step, given_answers):
                continue
            if not f.is_required(given_answers) and draw(st.booleans()):
                continue
            given_answers[f.name] = draw(_value_for(f, lookup))
    return given_answers


@pytest.fixture
def lookup() -> OptionLookup:
    return options_on(date(2026, 1, 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_code_or_internal_name_leaks_for_any_answers(data: st.DataObject, lookup: OptionLookup,
                                                        first_responder: User) -> None:
    given_answers = data.draw(_answers(lookup))
    sections = referral_answer_rows(_referral(given_answers, first_responder), reader=first_responder, lookup=lookup)
    fields = {f.name: f for _, f in _expected_fields(given_answers)}
    assert _names(sections) == list(fields)
    for section in sections:
        assert not SNAKE_CASE.search(section.title)
        for row in section.rows:
            assert not SNAKE_CASE.search(row.label)
            assert not REFERENCE_CODE.search(row.label)
            f = fields.get(row.name)
            if f is None:
                continue
            value = given_answers.get(f.name)
            if f.kind in {Kind.RADIOS, Kind.SELECT, Kind.CHECKBOXES, Kind.SELECTS}:
                texts = {o.text for o in journey.options_for(f, lookup)}
                assert set(row.lines) <= texts, (f.name, row.lines)
                codes = {value} if isinstance(value, str) else set(value or [])
                assert not (set(row.lines) & (codes - texts)), (f.name, row.lines)
            elif f.kind == Kind.DATE and value:
                assert len(row.lines) == 1, row.lines
                assert GOVUK_DATE.match(row.lines[0]), row.lines


# --- The first responder's own pages --------------------------------------------------------------------


def test_check_your_answers_reads_your_details_with_change_links(
        make_draft: Callable[..., Referral], first_responder: User, client_for: Callable[..., Any]) -> None:
    from django.urls import reverse

    draft = make_draft(first_responder, "adult", first_names="")
    html = client_for(first_responder).get(reverse("referrals:check", kwargs={"referral_id": draft.pk})).content.decode()
    assert "Your details" in html
    assert "Your police force area" in html
    assert "First responder" not in html
    assert "1 February 1980" in html
    assert "Polish" in html
    assert "E23000001" not in html
    step = reverse("referrals:step", kwargs={"referral_id": draft.pk, "step": "person-name"})
    assert f'href="{step}?return=check#first_names">Enter the person&#39;s first names</a>' in html
    assert f'href="{step}?return=check#last_name">' in html
    assert "Change<span" in html
