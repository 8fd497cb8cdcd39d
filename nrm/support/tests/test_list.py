"""The provider's list pages and searches at any size: every referral is on exactly one page, in
a stable order (new referrals first), and a reference or a name finds a person at any stage."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.core import pagination
from nrm.reference.models import Organisation
from nrm.reviews.tests import builders
from nrm.support.models import ProviderType, SupportReferral, SupportReferralStatus

ROWS = pagination.PAGE_SIZE + 5


def _referral(n: int, *, status: str, referred_on: date, first_names: str = "Person",
              move_on_until: date | None = None) -> SupportReferral:
    case = builders.build_case(received_on=referred_on, state=State.POSITIVE_RG,
                               answers={**builders.ANSWERS, "first_names": first_names, "last_name": f"Number{n}"})
    return SupportReferral.objects.create(
        case=case, provider=Organisation.objects.get(slug="vcc-salvation-army"),
        provider_type=ProviderType.VICTIM_CARE_CONTRACT, status=status, referred_on=referred_on,
        move_on_until=move_on_until)


@pytest.fixture
def many(db: None) -> dict[str, SupportReferral]:
    """More accepted referrals than fit on a page, all referred the same day (the order must not
    depend on it), an offered one, an ended one, and the oldest: move-on support to March 2027."""
    day = date(2024, 6, 3)
    for n in range(ROWS):
        _referral(n, status=SupportReferralStatus.ACCEPTED, referred_on=day)
    return {
        "oldest": _referral(900, status=SupportReferralStatus.ACCEPTED, referred_on=day - timedelta(days=400),
                            first_names="Zofia", move_on_until=date(2027, 3, 15)),
        "offered": _referral(901, status=SupportReferralStatus.OFFERED, referred_on=day - timedelta(days=500)),
        "ended": _referral(902, status=SupportReferralStatus.ENDED, referred_on=day, first_names="Ended"),
    }


def _references(html: str) -> list[str]:
    return re.findall(r"NRM-T\d{6}", html)


def test_every_current_referral_is_on_exactly_one_page(many: dict[str, SupportReferral], provider: User,
                                                       client_for: Callable[..., Client]) -> None:
    client = client_for(provider)
    first = client.get(reverse("support:list")).content.decode()
    assert f"Showing 1 to {pagination.PAGE_SIZE} of {ROWS + 2}" in first
    assert "govuk-pagination" in first
    shown = _references(first)
    assert len(shown) == pagination.PAGE_SIZE
    assert shown[0] == many["offered"].case.reference, "new referrals first, however old"
    second = client.get(reverse("support:list") + "?page=2").content.decode()
    shown += _references(second)
    expected = set(SupportReferral.objects.filter(status__in=["offered", "accepted"])
                   .values_list("case__reference", flat=True))
    assert len(shown) == len(set(shown))
    assert set(shown) == expected
    assert many["oldest"].case.reference in second
    assert "15 March 2027" in second
    assert many["ended"].case.reference not in first + second
    ended = client.get(reverse("support:list") + "?show=ended").content.decode()
    assert _references(ended) == [many["ended"].case.reference]
    # The same page twice is the same page.
    assert _references(client.get(reverse("support:list") + "?page=2").content.decode()) == _references(second)


def test_search_by_reference_or_name_at_any_stage(many: dict[str, SupportReferral], provider: User,
                                                  client_for: Callable[..., Client]) -> None:
    client = client_for(provider)
    by_reference = client.get(reverse("support:list"), {"q": many["oldest"].case.reference.lower()})
    assert _references(by_reference.content.decode()) == [many["oldest"].case.reference]
    by_name = client.get(reverse("support:list"), {"q": "zofia number900"}).content.decode()
    assert _references(by_name) == [many["oldest"].case.reference]
    ended = client.get(reverse("support:list"), {"q": "Ended", "show": "current"}).content.decode()
    assert _references(ended) == [many["ended"].case.reference], "a search is not limited to the group shown"
    nobody = client.get(reverse("support:list"), {"q": "Nobody Here"}).content.decode()
    assert "Nobody referred to you matches" in nobody
    assert _references(nobody) == []


def test_another_provider_finds_none_of_them(many: dict[str, SupportReferral],
                                             client_for: Callable[..., Client]) -> None:
    other = client_for(builders.user(Role.SUPPORT_PROVIDER, "support-tara"))
    page = other.get(reverse("support:list"), {"q": many["oldest"].case.reference}).content.decode()
    assert "Nobody referred to you matches" in page
    assert "<table" not in page
