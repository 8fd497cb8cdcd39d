"""The review lists page and search at any size: every review on exactly one page, in a stable
order, open and concluded apart, and a search through both (by reference or name for seniors, by
reference only for panel members, who have not yet declared their conflicts)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from nrm.core import pagination
from nrm.reviews.models import Review, ReviewKind, ReviewStatus
from nrm.reviews.tests import builders

REFERENCE = re.compile(r">(NRM-T[0-9A-Z]+)<")  # in a table cell or its link


def _references(client: Client, name: str, **params: str) -> list[str]:
    return REFERENCE.findall(client.get(reverse(name), params).content.decode())


@pytest.fixture
def second_line(caseworkers: list[User]) -> list[Review]:
    """More second-line reviews than fit on a page, all referred the same day, and one concluded."""
    reviews = []
    for n in range(pagination.PAGE_SIZE + 4):
        case = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG,
                                   answers={**builders.ANSWERS, "first_names": "Ana" if n == 7 else "Maria",
                                            "last_name": f"Number{n}"})
        builders.negative_rg(case, caseworkers[0], decided_on=date(2024, 1, 10))
        reviews.append(Review.objects.get(case=case, kind=ReviewKind.SECOND_LINE))
    Review.objects.filter(pk=reviews[0].pk).update(status=ReviewStatus.CONCLUDED, outcome="agree",
                                                   concluded_on=timezone.localdate())
    return reviews


def test_second_line_reviews_page_and_search(second_line: list[Review],
                                             client_for: Callable[..., Client]) -> None:
    client = client_for(builders.user(Role.SENIOR_DECISION_MAKER, "sca"))
    name = "reviews:second_line_list"
    first = client.get(reverse(name)).content.decode()
    open_total = len(second_line) - 1
    assert f"Showing 1 to {pagination.PAGE_SIZE} of {open_total}" in first
    shown = REFERENCE.findall(first) + _references(client, name, page="2")
    assert len(shown) == len(set(shown))
    assert set(shown) == {r.case.reference for r in second_line[1:]}
    assert _references(client, name, page="2") == _references(client, name, page="2"), "the same page twice"
    assert _references(client, name, show="concluded") == [second_line[0].case.reference]
    # A search looks through open and concluded reviews, by reference or by name.
    assert _references(client, name, q=second_line[0].case.reference.lower()) == [second_line[0].case.reference]
    assert _references(client, name, q="ana number7") == [second_line[7].case.reference]
    assert "No second-line review matches" in client.get(reverse(name), {"q": "Nobody"}).content.decode()
    # Another competent authority's seniors find none of them.
    ieca = client_for(builders.user(Role.SENIOR_DECISION_MAKER, "ieca"))
    assert _references(ieca, name, q="Maria") == []


def test_panel_reviews_page_and_search_by_reference_only(caseworkers: list[User], pool: dict[str, list[User]],
                                                         client_for: Callable[..., Client],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagination, "PAGE_SIZE", 2)
    reviews = []
    for n in range(5):
        case = make_case(State.AWAITING_CG, received_on=date(2021, 1, 11), rg_decided_on=date(2021, 1, 15))
        decision = builders.negative_cg(case, caseworkers[n % 2], decided_on=date(2021, 6, 1))
        reviews.append(Review.objects.get(decision=decision))
    seated = [person for person in pool["chairs"] + pool["members"]
              if all(r.seats.filter(user=person, stood_down_at__isnull=True).exists() for r in reviews)]
    assert seated, "someone sits on every one of the panels"
    member = seated[0]
    client = client_for(member)
    name = "reviews:panel_list"
    shown = [ref for page in ("1", "2", "3") for ref in _references(client, name, page=page)]
    assert len(shown) == len(set(shown))
    assert set(shown) == {r.case.reference for r in reviews}
    assert "Showing 5 to 5 of 5" in client.get(reverse(name), {"page": "3"}).content.decode()
    assert _references(client, name, q=reviews[3].case.reference) == [reviews[3].case.reference]
    name_search = client.get(reverse(name), {"q": reviews[3].case.referral.answers.get("last_name") or "Example"})
    assert REFERENCE.findall(name_search.content.decode()) == [], "no search by name before a declaration"
