"""The journey's steps, rules and checks, without a database or a browser."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.http import QueryDict

from nrm.referrals import journey
from nrm.referrals.journey import STEPS, STEPS_BY_SLUG, Kind
from nrm.referrals.tests.answer_sets import ADULT, CHILD, DUTY_TO_NOTIFY

TODAY = date(2025, 6, 2)


def slugs(answers: dict[str, Any]) -> list[str]:
    return [s.slug for s in journey.journey_path(answers)]


def form(**values: Any) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return data


def test_steps_are_well_formed() -> None:
    assert len(STEPS_BY_SLUG) == len(STEPS), "step slugs are unique"
    for step in STEPS:
        names = [f.name for f in step.fields]
        assert len(names) == len(set(names)), step.slug
        for f in step.fields:
            if f.reveal:
                parent = next(p for p in step.fields if p.name == f.reveal[0])
                assert f.reveal[1] in {o.value for o in parent.options} or parent.source, f.name
            if f.required is True:
                assert f.error.startswith(("Enter", "Select", "Describe")), f.name
            values = [o.value for o in f.options]
            assert len(values) == len(set(values)), f.name
    assert journey.FIELDS_BY_NAME["gender"], "a field name may appear on two steps that never both apply"


def test_child_path_needs_no_consent_and_asks_for_childrens_services() -> None:
    path = slugs(CHILD)
    assert "consent" not in path
    assert "anonymous-details" not in path
    assert {"person-name", "account", "child-local-authority", "county-lines", "evidence", "routing"} <= set(path)
    assert "exploitation-where-overseas" not in path
    assert journey.treated_as_child(CHILD)
    assert journey.is_nrm(CHILD)


@pytest.mark.parametrize("exploited", ["child", "unknown"])
@pytest.mark.parametrize("age_now", ["yes", "disputed"])
def test_a_person_who_may_be_a_child_is_treated_as_a_child(exploited: str, age_now: str) -> None:
    answers = {"age_at_exploitation": exploited, "under_18_now": age_now}
    assert journey.treated_as_child(answers)
    assert "age-now" in slugs(answers)
    assert "consent" not in slugs(answers)


@pytest.mark.parametrize("left_over", [None, "yes", "disputed", "no"])
def test_someone_exploited_as_an_adult_is_not_asked_their_age_again_and_is_an_adult(left_over: str | None) -> None:
    """18 or over when exploited means 18 or over now; an answer left from an earlier choice is not read."""
    answers = {"age_at_exploitation": "adult", "under_18_now": left_over}
    assert "age-now" not in slugs(answers)
    assert not journey.treated_as_child(answers)
    assert journey.needs_consent(answers)
    assert journey.next_step(STEPS_BY_SLUG["age"], answers).slug == "consent"  # type: ignore[union-attr]
    assert journey.previous_step(STEPS_BY_SLUG["consent"], answers).slug == "age"  # type: ignore[union-attr]


def test_adult_with_consent_is_an_nrm_referral() -> None:
    path = slugs(ADULT)
    assert "consent" in path
    assert "child-local-authority" not in path
    assert "county-lines" not in path
    assert {"exploitation-where-uk", "exploitation-where-overseas", "indicators"} <= set(path)
    assert journey.is_nrm(ADULT)
    assert not journey.treated_as_child(ADULT)


def test_adult_who_refuses_consent_gets_the_anonymous_duty_to_notify_path() -> None:
    assert journey.is_duty_to_notify(DUTY_TO_NOTIFY)
    assert slugs(DUTY_TO_NOTIFY) == ["first-responder", "age", "consent", "anonymous-details",
                                     "exploitation-types", "exploitation-where", "exploitation-where-uk", "dtn-intelligence"]
    where_uk = STEPS_BY_SLUG["exploitation-where-uk"]
    asked = [f.name for f in where_uk.fields if journey.field_applies(f, where_uk, DUTY_TO_NOTIFY)]
    assert asked == ["exploitation_police_force"], "no local authority on an anonymous report"


def test_routing_decides_the_competent_authority() -> None:
    assert journey.competent_authority({"routing": ["none"]}) == "SCA"
    for reason in ("detention", "fno", "inadmissible"):
        assert journey.competent_authority({"routing": [reason]}) == "IECA"


def test_next_and_previous_steps_follow_the_answers() -> None:
    age_now = STEPS_BY_SLUG["age-now"]
    assert journey.next_step(age_now, {"under_18_now": "yes"}).slug == "person-name"  # type: ignore[union-attr]
    assert journey.next_step(age_now, {"under_18_now": "no"}).slug == "consent"  # type: ignore[union-attr]
    assert journey.next_step(STEPS_BY_SLUG["routing"], CHILD) is None  # then "Check your answers"
    assert journey.previous_step(STEPS_BY_SLUG["person-name"], ADULT).slug == "police-consent"  # type: ignore[union-attr]
    # A page that no longer applies moves on to the next page that does.
    assert journey.next_step(STEPS_BY_SLUG["consent"], CHILD).slug == "person-name"  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", [CHILD, ADULT, DUTY_TO_NOTIFY])
def test_complete_answers_have_no_errors(kind: dict[str, Any]) -> None:
    assert journey.journey_errors(kind, today=TODAY) == []
    assert journey.first_incomplete_step(kind, today=TODAY) is None


def test_missing_answers_are_found_in_order() -> None:
    errors = journey.journey_errors({"under_18_now": "yes"}, today=TODAY)
    assert errors[0].step == "first-responder"
    assert errors[0].message == "Enter your full name"
    assert journey.first_incomplete_step({"under_18_now": "yes"}).slug == "first-responder"  # type: ignore[union-attr]
    fields = {e.field for e in errors}
    assert {"first_names", "account", "child_local_authority", "routing"} <= fields
    assert "consent" not in fields


def test_revealed_questions_are_only_required_when_their_option_is_chosen() -> None:
    step = STEPS_BY_SLUG["exploitation-types"]
    assert journey.step_errors(step, {"exploitation_types": ["labour"]}) == []
    errors = journey.step_errors(step, {"exploitation_types": ["labour", "other"]})
    assert [(e.field, e.message) for e in errors] == [("other_exploitation", "Describe the other exploitation")]


def test_a_date_of_birth_or_an_estimated_age_is_needed() -> None:
    step = STEPS_BY_SLUG["person-birth"]
    errors = journey.step_errors(step, {}, today=TODAY)
    assert [(e.field, e.anchor, e.message) for e in errors] == [
        ("dob", "dob-day", "Enter the person's date of birth, or their estimated age")]
    assert journey.step_errors(step, {"estimated_age": "16"}, today=TODAY) == []
    assert journey.step_errors(step, {"estimated_age": "sixteen"}, today=TODAY)[0].message == \
        "Estimated age must be a whole number"


def test_follow_up_questions_are_pages_of_their_own() -> None:
    assert "consent-record" in slugs(ADULT)
    assert "consent-record" not in slugs(DUTY_TO_NOTIFY)
    assert "person-interpreter" in slugs(CHILD)
    assert "person-interpreter" not in slugs({**CHILD, "interpreter": "no"})


@pytest.mark.parametrize(("dob", "message", "anchor"), [
    ({"day": "", "month": "4", "year": "2010"}, "Date of birth must include a day", "dob-day"),
    ({"day": "3", "month": "", "year": ""}, "Date of birth must include a month and year", "dob-month"),
    ({"day": "31", "month": "2", "year": "2010"}, "Date of birth must be a real date", "dob-day"),
    ({"day": "1", "month": "1", "year": "2030"}, "Date of birth must be in the past", "dob-day"),
    ({"day": "1", "month": "1", "year": "1850"}, "Date of birth must be the same as or after 1 January 1900", "dob-day"),
])
def test_dates_are_checked_the_govuk_way(dob: dict[str, str], message: str, anchor: str) -> None:
    errors = journey.step_errors(STEPS_BY_SLUG["person-birth"], {"dob": dob}, today=TODAY)
    assert [(e.message, e.anchor) for e in errors] == [(message, anchor)]


def test_formats_and_lengths_are_checked() -> None:
    step = STEPS_BY_SLUG["first-responder"]
    answers = {**CHILD, "fr_email": "not-an-email", "fr_phone": "call me", "fr_name": "x" * 201}
    messages = {e.field: e.message for e in journey.step_errors(step, answers)}
    assert messages["fr_email"].startswith("Enter email address in the correct format")
    assert messages["fr_phone"].startswith("Enter telephone number in the correct format")
    assert messages["fr_name"] == "Full name must be 200 characters or fewer"


def test_none_of_these_cannot_be_chosen_with_other_options() -> None:
    errors = journey.step_errors(STEPS_BY_SLUG["routing"], {**CHILD, "routing": ["none", "detention"]})
    assert errors
    assert "on its own" in errors[0].message


def test_an_unknown_option_is_refused() -> None:
    errors = journey.step_errors(STEPS_BY_SLUG["person-gender"], {**CHILD, "gender": "robot"})
    assert [e.message for e in errors] == ["Select the person's gender"]


def test_reference_options_are_checked_when_a_lookup_is_given() -> None:
    def lookup(source: str) -> list[journey.Option]:
        return [journey.Option("RO", "Romanian")] if source == "nationalities" else []

    step = STEPS_BY_SLUG["person-nationality"]
    assert journey.step_errors(step, {**CHILD, "nationalities": ["RO"]}, lookup) == []
    assert journey.step_errors(step, {**CHILD, "nationalities": ["XX"]}, lookup)[0].field == "nationalities"


def test_a_page_is_read_as_typed_and_leaves_other_answers_alone() -> None:
    step = STEPS_BY_SLUG["person-birth"]
    values = journey.parse_step(step, form(**{"dob-day": " 3 ", "dob-month": "4", "dob-year": "2010",
                                              "estimated_age": ""}), {})
    assert values == {"dob": {"day": "3", "month": "4", "year": "2010"}, "estimated_age": ""}
    types = journey.parse_step(STEPS_BY_SLUG["exploitation-types"],
                               form(exploitation_types=["labour", "labour", "other"], other_exploitation="Begging"), {})
    assert types == {"exploitation_types": ["labour", "other"], "other_exploitation": "Begging"}
    # Unticking every box is an answer too: an empty list.
    assert journey.parse_step(STEPS_BY_SLUG["agencies"], form(), {})["agencies"] == []
    # Repeated selects keep the chosen values in order, without blanks.
    nationality = journey.parse_step(STEPS_BY_SLUG["person-nationality"], form(nationalities=["RO", "", "MD"]), {})
    assert nationality == {"nationalities": ["RO", "MD"]}
    # A question that does not apply is not on the page, so it is not overwritten.
    where = journey.parse_step(STEPS_BY_SLUG["exploitation-where-uk"], form(exploitation_police_force="E23000014"),
                               DUTY_TO_NOTIFY)
    assert where == {"exploitation_police_force": "E23000014"}


def test_answers_are_shown_in_words() -> None:
    step = STEPS_BY_SLUG["person-birth"]
    rows = journey.summary_rows(step, CHILD)
    assert [(r.field.name, r.lines) for r in rows] == [("dob", ["3 April 2010"]), ("estimated_age", [])]
    agencies = next(f for f in STEPS_BY_SLUG["agencies"].fields if f.name == "agencies")
    assert journey.display_lines(agencies, ["police", "childrens_social_care"]) == ["Police", "Children's social care"]


def test_every_indicator_list_belongs_to_an_exploitation_type() -> None:
    codes = {f.name.removeprefix("indicators_") for f in journey.INDICATOR_FIELDS}
    assert codes == {"labour", "sexual", "criminal", "domestic", "organ_harvesting"}
    assert all(f.kind == Kind.CHECKBOXES and not f.is_required({}) for f in journey.INDICATOR_FIELDS)


# --- The Duty to Notify by nation --------------------------------------------------------------------

@pytest.mark.parametrize(("force", "reported"), [
    ("E23000001", True), ("W15000004", True), ("BTP", True),  # England, Wales, British Transport Police
    ("S23000009", False), ("N23000001", False),  # Police Scotland, PSNI
])
def test_an_adult_who_does_not_consent_is_reported_only_where_the_duty_applies(force: str, reported: bool) -> None:
    answers = {**DUTY_TO_NOTIFY, "fr_police_force": force}
    assert journey.is_duty_to_notify(answers) is reported
    assert journey.cannot_refer(answers) is not reported
    assert not journey.is_nrm(answers), "never an NRM referral without consent"
    path = slugs(answers)
    if reported:
        assert "anonymous-details" in path
        assert "no-consent" not in path
        assert not journey.journey_errors(answers)
    else:
        assert path[-1] == "no-consent", "the journey stops at the page that says what to do instead"
        assert journey.STEPS_BY_SLUG["no-consent"].stops
        assert [e.message for e in journey.journey_errors(answers)] == [journey.NO_CONSENT_NO_DUTY]


def test_the_duty_to_notify_is_dated_policy_by_nation() -> None:
    from datetime import date

    from nrm.core import rules

    assert not rules.duty_to_notify_applies(nation="england", on=date(2015, 10, 31))
    assert rules.duty_to_notify_applies(nation="england", on=date(2015, 11, 1))
    assert rules.duty_to_notify_applies(nation="wales", on=date(2015, 11, 1))
    for nation in ("scotland", "northern_ireland"):
        assert not rules.duty_to_notify_applies(nation=nation, on=date(2026, 1, 1))


# --- The task list -----------------------------------------------------------------------------------

def test_the_task_list_follows_the_answers() -> None:
    from nrm.referrals.journey import TaskStatus

    empty = journey.task_list({})
    assert empty[0].section == "Your details"
    assert empty[0].status == TaskStatus.NOT_STARTED
    assert all(t.status == TaskStatus.CANNOT_START for t in empty[2:]), "the path depends on age and consent"
    first_pages = {"fr_name", "fr_job_title", "fr_email", "fr_phone", "fr_police_force", "age_at_exploitation",
                   "under_18_now"}
    started = journey.task_list({k: v for k, v in CHILD.items() if k in first_pages})
    by_section = {t.section: t for t in started}
    assert by_section["Your details"].status == TaskStatus.COMPLETED
    assert by_section["Age and consent"].status == TaskStatus.COMPLETED
    assert by_section["About the person"].status == TaskStatus.NOT_STARTED
    assert by_section["About the person"].step.slug == "person-name"
    for kind in (CHILD, ADULT, DUTY_TO_NOTIFY):
        assert all(t.status == TaskStatus.COMPLETED for t in journey.task_list(kind)), "a full answer set"
    half = {**ADULT, "account": ""}
    account = next(t for t in journey.task_list(half) if t.section == "The exploitation")
    assert account.status == TaskStatus.INCOMPLETE
    assert account.step.slug == "account", "the link goes to the first page with something left to answer"
