"""The case page shows the referral as the caseworker reads it: the person's name in the
header, each question's label and the answer in words, in the journey's order."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from nrm.referrals.tests.answer_sets import ADULT

pytestmark = pytest.mark.django_db


def test_the_caseworker_reads_labels_and_words_in_the_journeys_order(client_for: Callable[..., Client]) -> None:
    case = make_case(State.AWAITING_RG)
    case.referral.answers = dict(ADULT)
    case.referral.save(update_fields=["answers"])
    page = client_for(case.built_by.decision_maker).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    html = page.content.decode()
    assert re.search(r'<h1 class="govuk-heading-l" id="case-person">\s*Tomasz Nowak\s*</h1>', html)
    expected = ["First responder", "Organisation", "Police force area they work in", "Age and consent",
                "Informed consent", "About the person", "Date of birth", "1 February 1980", "Nationality", "Polish",
                "German", "The exploitation", "Type of exploitation", "Labour", "Police force area", "Countries",
                "Poland", "Labour exploitation", "Safeguarding", "Decision maker",
                "They are in immigration detention"]
    position = html.find('id="referral"')
    for text in expected:  # each after the one before
        position = html.find(text, position)
        assert position != -1, text
    for leak in ("Dob", "Fr name", "E23000029", "labour_wages", "Your details", "Nationalities"):
        assert leak not in html, leak


def test_a_case_page_shows_every_answer_as_not_given_rather_than_a_raw_key(client_for: Callable[..., Any]) -> None:
    case = make_case(State.AWAITING_RG)
    case.referral.answers = {"fr_name": "Priya Shah", "exploitation": {"types": ["labour"]}}
    case.referral.save(update_fields=["answers"])
    html = client_for(case.built_by.decision_maker).get(
        reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "Priya Shah" in html
    assert "Not given" in html
    assert "Exploitation" not in html.replace("The exploitation", "").replace("exploitation ", "")
