"""Every role, and a signed-out visitor, against every page of the resolver, GET and POST.

The pages come from Django's URL resolver (``nrm.testing.url_patterns``), so a page added later is
tried too, and this test fails until ``nrm.site.access.PAGES`` says which capability it needs.
Each role's expected answer is derived from the two tables, never listed by hand:

- a ``PUBLIC`` page is there for everyone (a page about an object may still answer 404);
- a signed-out visitor is sent to sign in from every other page (the API answers 401/403);
- a role without any of the page's capabilities gets 404 (403 from the API) whatever the method;
  a 405 is not accepted here: it would answer before the access check and say the page exists;
- a role with the capability gets its own organisation's objects (200, a redirect, or 400 for
  the empty form this test posts) and 404 for another organisation's objects (or for objects it
  is not party to: a draft it was not invited to, a review not put to its panel).

A 405 counts as a refusal and is accepted only from a role the capability table lets in, on a
page that does not offer that method (the page's view lists the methods it takes); the access
check has already run by then, so a 405 never stands in for it.

Every request runs in a transaction that is rolled back, so a POST (sending a draft, signing
out) does not change what the next page sees: the objects are built once per role.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.capabilities import CAPABILITIES
from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases import services as case_services
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, DecisionLetter
from nrm.cases.tests.factories import make_case
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation
from nrm.referrals import journey
from nrm.referrals import services as referral_services
from nrm.reviews.models import Review
from nrm.site.access import PAGES, PUBLIC, SELF_AUTHENTICATING, SIGNED_IN, allowed, needs
from nrm.support.models import SupportReferral
from nrm.testing import DEFAULT_ORGANISATION, RoutePattern, partner_systems_make, sign_in, url_patterns, user_make

pytestmark = pytest.mark.django_db

ROLES: list[Role | None] = [None, *CAPABILITIES]


def test_every_page_says_what_it_needs() -> None:
    names = {p.name for p in url_patterns()}
    unlisted = sorted(names - set(PAGES))
    assert not unlisted, f"say in nrm.site.access.PAGES which capability these pages need: {unlisted}"
    assert not set(PAGES) - names, "PAGES names a page that no longer exists"


def test_every_role_of_the_capability_table_is_tried() -> None:
    assert set(CAPABILITIES) == set(Role)


@dataclass(frozen=True)
class World:
    """Values for every URL parameter: ``own`` are the objects of the default organisations of
    the roles in ``owners`` (``nrm.testing.DEFAULT_ORGANISATION``); ``foreign`` belong to other
    organisations or do not exist."""

    own: Mapping[str, str]
    foreign: Mapping[str, str]
    owners: Mapping[str, frozenset[Role]]


def _missing() -> str:
    return str(uuid.uuid4())


def _build_world(first_responder: User) -> World:
    case = make_case(state=State.POSITIVE_RG, competent_authority="SCA",
                     first_responder_organisation=DEFAULT_ORGANISATION[Role.FIRST_RESPONDER])
    request = case_services.information_request_send(case=case, requested_by=case.built_by.decision_maker,
                                                     question="What happened?")
    letter = DecisionLetter.objects.filter(decision__case=case).first()
    other = make_case(state=State.POSITIVE_RG, competent_authority="IECA", first_responder_organisation="salvation-army")
    other_request = case_services.information_request_send(case=other, requested_by=other.built_by.decision_maker,
                                                           question="What happened?")
    other_letter = DecisionLetter.objects.filter(decision__case=other).first()
    assert letter is not None
    assert other_letter is not None
    reviewed = make_case(state=State.RG_UNDER_REVIEW, competent_authority="SCA")
    other_reviewed = make_case(state=State.RG_UNDER_REVIEW, competent_authority="IECA")
    police = Organisation.objects.get(slug=DEFAULT_ORGANISATION[Role.FIRST_RESPONDER])
    draft = referral_services.referral_start(actor=first_responder, organisation=police)
    other_fr = make_case(state=State.SUBMITTED, first_responder_organisation="salvation-army").built_by.first_responder
    other_draft = referral_services.referral_start(actor=other_fr, organisation=other_fr.organisations_for(
        Role.FIRST_RESPONDER)[0])
    concern = referral_services.concern_raise(
        organisation=police, urgency="standard", summary="Working long hours for no pay.", person_details="A man",
        raiser_name="A Teacher", raiser_email="teacher@example.org", raiser_phone="", raiser_role="Teacher",
        actor=None)
    message = outbox_add(kind="crime_referral", subject="Crime referral", body="Please record a crime.",
                         recipient_organisation=Organisation.objects.get(
                             slug=DEFAULT_ORGANISATION[Role.PARTNER_RECIPIENT]),
                         acknowledge_by=timezone.localdate() + timedelta(days=2))
    support = SupportReferral.objects.get(case=case)
    other_support = SupportReferral.objects.get(case=other)
    SupportReferral.objects.filter(pk=other_support.pk).update(
        provider=Organisation.objects.get(slug="la-e10000003"))
    api_client, webhook = partner_systems_make(police)
    own = {
        "slug": police.slug, "client_id": api_client.pk, "endpoint_id": webhook.pk,
        "case_id": case.pk, "request_id": request.pk, "letter_id": letter.pk, "referral_id": draft.pk,
        "concern_id": concern.pk, "message_id": message.pk, "review_id": _review(reviewed).pk,
        "reviews:case_id": reviewed.pk, "support:referral_id": support.pk, "step": journey.STEPS[0].slug,
        # The confirmation and copying pages are about a sent referral.
        "referrals:confirmation:referral_id": case.referral_id, "referrals:copy:referral_id": case.referral_id,
    }
    foreign = {
        "slug": "no-such-organisation", "client_id": _missing(), "endpoint_id": _missing(),
        "case_id": other.pk, "request_id": other_request.pk, "letter_id": other_letter.pk,
        "referral_id": other_draft.pk, "concern_id": _missing(), "message_id": _missing(),
        "review_id": _review(other_reviewed).pk, "reviews:case_id": other_reviewed.pk,
        "support:referral_id": other_support.pk, "step": journey.STEPS[0].slug,
        "referrals:confirmation:referral_id": other.referral_id, "referrals:copy:referral_id": other.referral_id,
    }
    # Administration: the service team's administrators administer every organisation, so the
    # other organisation's objects are ones that do not exist.
    own["administration:slug"] = DEFAULT_ORGANISATION[Role.ADMINISTRATOR]
    own["administration:user_id"] = user_make(Role.ADMINISTRATOR).pk
    foreign["administration:slug"] = "no-such-organisation"
    foreign["administration:user_id"] = _missing()
    for param in ("token", "invitation_id", "attachment_id", "episode_id", "publication_id", "path"):
        own[param] = foreign[param] = _missing()
    authority = frozenset({Role.CASEWORKER, Role.SENIOR_DECISION_MAKER})
    owners = {
        "case_id": authority | {Role.FIRST_RESPONDER}, "request_id": authority | {Role.FIRST_RESPONDER},
        "letter_id": authority | {Role.FIRST_RESPONDER}, "referral_id": frozenset({Role.FIRST_RESPONDER}),
        "concern_id": frozenset({Role.FIRST_RESPONDER}), "message_id": frozenset({Role.PARTNER_RECIPIENT}),
        "review_id": frozenset({Role.SENIOR_DECISION_MAKER}), "reviews:case_id": frozenset({Role.SENIOR_DECISION_MAKER}),
        "support:referral_id": frozenset({Role.SUPPORT_PROVIDER}), "step": frozenset(Role),
        # The service team's administrator administers every organisation (nrm.accounts.access).
        "slug": frozenset({Role.ADMINISTRATOR}), "client_id": frozenset({Role.ADMINISTRATOR}),
        "endpoint_id": frozenset({Role.ADMINISTRATOR}),
        # No one was invited to add to the draft (invitations have their own tests in nrm/referrals).
        "referrals:contribute:referral_id": frozenset(),
        "administration:slug": frozenset({Role.ADMINISTRATOR}),
        "administration:user_id": frozenset({Role.ADMINISTRATOR}),
    }
    return World(own={k: str(v) for k, v in own.items()}, foreign={k: str(v) for k, v in foreign.items()},
                 owners=owners)


def _review(case: Case) -> Review:
    review = Review.objects.filter(decision__case=case).first()
    assert review is not None
    return review


def _pick[T](pattern: RoutePattern, param: str, table: Mapping[str, T], default: T) -> T:
    """The entry for ``param`` of this page, else of its namespace, else of any page."""
    namespace = pattern.name.split(":")[0]
    for key in (f"{pattern.name}:{param}", f"{namespace}:{param}", param):
        if key in table:
            return table[key]
    return default


def _values(pattern: RoutePattern, values: Mapping[str, str]) -> dict[str, str]:
    return {param: _pick(pattern, param, values, "") for param in pattern.params}


def _own(role: Role, pattern: RoutePattern, world: World) -> bool:
    """Whether every object in the page's own URL belongs to ``role``'s organisation."""
    return all(role in _pick(pattern, p, world.owners, frozenset[Role]()) for p in pattern.params)


def _expected(role: Role | None, pattern: RoutePattern, method: str, *, own: bool) -> set[int]:
    needs = PAGES[pattern.name]
    api = pattern.name.split(":")[0] in SELF_AUTHENTICATING
    if needs == PUBLIC and pattern.name.startswith("notify:"):
        return {401}  # a provider's callback, which refuses any request without its bearer token
    if needs == PUBLIC:
        return {200, 302, 400, 404, 405, 410} if pattern.params else ({200, 302, 400, 405} if method == "post" else {200, 302})
    if role is None:
        return {401, 403} if api else {302}
    holds = needs == SIGNED_IN or bool(CAPABILITIES[role] & needs)  # type: ignore[operator]
    if not holds:
        return {403} if api else {404}
    if not own and pattern.name == "accounts:join":
        return {410}  # an emailed link that is unknown or used up says it has expired, to anyone: it names no one
    if not own:
        return {404, 405}
    if api and method == "post":
        return {400, 405, 409, 415}  # the empty body this test posts is refused as such
    return {200, 302, 400, 405} if method == "post" else {200, 302, 405}


def _request(client: Client, method: str, url: str) -> tuple[int, str]:
    cookies = deepcopy(client.cookies)
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response.status_code, response.get("Location", "")


def _tries(world: World, role: Role | None) -> Iterator[tuple[RoutePattern, str, bool]]:
    for pattern in url_patterns():
        yield pattern, pattern.url(_values(pattern, world.own)), role is not None and _own(role, pattern, world)
        if pattern.params and PAGES[pattern.name] != PUBLIC:
            yield pattern, pattern.url(_values(pattern, world.foreign)), False


@dataclass
class AccessProbe:
    """One role against every page (``bench/security.py --section access`` prints these figures)."""

    requests: int = 0
    problems: list[str] = field(default_factory=list)
    cross_organisation: list[str] = field(default_factory=list)  # others' objects answered as if allowed


def access_probe(role: Role | None, make_user: Callable[..., User]) -> AccessProbe:
    """``role`` (None: signed out) against every concrete URL, GET and POST, each answer against
    what the capability table and the organisations say it should be."""
    first_responder = make_user(Role.FIRST_RESPONDER)
    user = None if role is None else (first_responder if role == Role.FIRST_RESPONDER else make_user(role))
    world = _build_world(first_responder)
    client = Client()
    if user is not None:
        sign_in(client, user)
    probe = AccessProbe()
    for pattern, url, own in _tries(world, role):
        for method in ("get", "post"):
            probe.requests += 1
            status, location = _request(client, method, url)
            expected = _expected(role, pattern, method, own=own)
            if status not in expected or (role is None and status == 302 and PAGES[pattern.name] != PUBLIC
                                          and not location.startswith("/sign-in")):
                problem = (f"{method.upper()} {url} ({pattern.name}, {'own' if own else 'other'}): "
                           f"{status} {location}, expected {sorted(expected)}")
                probe.problems.append(problem)
                if not own and pattern.params and PAGES[pattern.name] != PUBLIC and status < 400:
                    probe.cross_organisation.append(problem)
    return probe


@pytest.mark.usefixtures("live_worker")
@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "signed_out"))
def test_each_role_gets_what_the_capability_table_grants_on_every_page(
        role: Role | None, make_user: Callable[..., User]) -> None:
    probe = access_probe(role, make_user)
    assert probe.requests >= 2 * len(PAGES)
    assert not probe.problems, "\n".join(probe.problems)


# --- The gaps this test found, each shown on its own ------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.ANALYST, Role.CASEWORKER, Role.SUPPORT_PROVIDER])
@pytest.mark.parametrize("name", ["referrals:list", "referrals:start", "referrals:dtn_sent"])
def test_the_referral_pages_are_only_for_those_who_refer(
        name: str, role: Role, client_for: Callable[..., Client]) -> None:
    client = client_for(role)
    assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse(name)).status_code == 404


def test_a_caseworker_can_neither_open_nor_use_the_allocation_pages(
        client_for: Callable[..., Client], make_user: Callable[..., User]) -> None:
    case = make_case(state=State.AWAITING_RG, competent_authority="SCA")
    caseworker = make_user(Role.CASEWORKER, organisation="sca")
    client = client_for(caseworker)
    url = reverse("cases:allocate", kwargs={"case_id": case.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"caseworker": str(caseworker.pk)}).status_code == 404
    assert client.post(reverse("cases:allocate_bulk"), {"cases": [str(case.pk)],
                                                         "caseworker": str(caseworker.pk)}).status_code == 404
    case.refresh_from_db()
    assert case.allocated_to_id is None
    assert client_for(Role.SENIOR_DECISION_MAKER, organisation="sca").get(url).status_code == 200


@pytest.mark.parametrize(("name", "method"), [("referrals:submit", "get"), ("cases:dashboard", "post"),
                                              ("inbox:acknowledge", "get"), ("cases:queue", "post")])
def test_a_role_without_the_capability_is_refused_before_the_method_is_checked(
        name: str, method: str, client_for: Callable[..., Client]) -> None:
    pattern = next(p for p in url_patterns() if p.name == name)
    url = pattern.url(dict.fromkeys(pattern.params, str(uuid.uuid4())))
    assert getattr(client_for(Role.ANALYST), method)(url).status_code == 404
    signed_out = getattr(Client(), method)(url)
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith("/sign-in")


def test_a_page_missing_from_the_table_is_refused_to_everyone(make_user: Callable[..., User]) -> None:
    assert not allowed(make_user(Role.ADMINISTRATOR), None)
    assert not allowed(AnonymousUser(), None)
    assert not allowed(AnonymousUser(), needs("no:such_page"))
    assert allowed(AnonymousUser(), needs("site:home"))


def test_a_signed_out_visitor_with_an_overlong_address_is_sent_to_sign_in_not_refused() -> None:
    """A query string too long to carry through the sign-in redirect is dropped (it was a 400)."""
    response = Client().get("/referrals/?q=" + "x" * 25_000)
    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=/referrals/"
    short = Client().get("/referrals/?q=Ann")
    assert short["Location"] == "/sign-in?next=/referrals/%3Fq%3DAnn"
