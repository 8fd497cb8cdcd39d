"""No input gives a server error. Every URL pattern the resolver lists is visited as a role that
can reach it; every form found on those pages (and every question page of the referral journey)
is posted generated input (NUL characters, unpaired surrogates, impossible years, huge numbers,
very long text, HTML) and the API is posted generated JSON (deeply nested too). No answer may be
a 5xx, and a form that refuses what was sent shows the typed text again.

Runs on SQLite and PostgreSQL (``DATABASE_URL``); each request runs in a savepoint that is rolled
back, so every example meets the same cases, drafts and reviews. ``NRM_FUZZ_EXAMPLES`` sets the
examples per form (default 4, on top of the fixed payloads).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, DecisionLetter, InformationRequest
from nrm.cases.services import disqualification_request_raise, information_request_send
from nrm.cases.tests.factories import make_case, make_staff
from nrm.core.input import shown_back
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation
from nrm.referrals import journey
from nrm.referrals.models import Attachment, Referral
from nrm.referrals.services import (
    attachment_add,
    concern_raise,
    invitation_accept,
    invitation_send,
    referral_start,
)
from nrm.reviews.models import Review
from nrm.reviews.tests import builders
from nrm.support.models import SupportEpisode, SupportReferral
from nrm.support.services import support_episode_record, support_referral_respond
from nrm.testing import DEFAULT_ORGANISATION, RoutePattern, partner_systems_make, sign_in, url_patterns

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("NRM_FUZZ_EXAMPLES", "4"))
ANONYMOUS = "anonymous"

# The payloads every form gets, whatever Hypothesis draws (the first FIXED in every field).
PAYLOADS = ("Ann\x00Smith", "x\udfffy", "99999999999", "x" * 25_000, "<script>alert(1)</script>",
            "\x00", "\ud800", "-1", "0", "1" * 400, "' OR 1=1 --", "%00", "\\u0000", "١٢", "Feb", "", " ", "\r\n")
FIXED = 5
TEXT = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=40),
                 st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Lo", "Sm"]), max_size=8),
                 st.integers(min_value=-(10**30), max_value=10**30).map(str))

# Who opens each part of the service; URL names not listed use their namespace's role.
ROLE_BY_NAMESPACE = {
    "site": ANONYMOUS, "accounts": ANONYMOUS, "referrals": Role.FIRST_RESPONDER, "cases": Role.SENIOR_DECISION_MAKER,
    "reviews": Role.SENIOR_DECISION_MAKER, "support": Role.SUPPORT_PROVIDER, "inbox": Role.PARTNER_RECIPIENT,
    "stats": Role.ANALYST, "api": Role.ANALYST, "notify": ANONYMOUS, "partner_systems": Role.ADMINISTRATOR,
    "administration": Role.ADMINISTRATOR,
}
ROLE_BY_NAME = {
    "api:messages": Role.PARTNER_RECIPIENT, "api:message": Role.PARTNER_RECIPIENT,
    "api:message_acknowledge": Role.PARTNER_RECIPIENT,
    "api:cases": Role.SENIOR_DECISION_MAKER, "api:case": Role.SENIOR_DECISION_MAKER,
    "api:case_decide": Role.SENIOR_DECISION_MAKER,
    "api:referrals": Role.FIRST_RESPONDER, "api:referral": Role.FIRST_RESPONDER,
    "api:referral_submit": Role.FIRST_RESPONDER, "api:referral_questions": Role.FIRST_RESPONDER,
    "accounts:logout": Role.FIRST_RESPONDER, "accounts:keepalive": Role.FIRST_RESPONDER,
    "accounts:change_password": Role.FIRST_RESPONDER,
    "referrals:concern_new": Role.CONCERNED_PROFESSIONAL, "referrals:concern_sent": Role.CONCERNED_PROFESSIONAL,
    "referrals:contribute": Role.CONTRIBUTOR, "referrals:invitation": Role.CONTRIBUTOR,
    "cases:referred": Role.FIRST_RESPONDER, "cases:information_requests": Role.FIRST_RESPONDER,
    "cases:rfi_answer": Role.FIRST_RESPONDER, "cases:reconsideration": Role.FIRST_RESPONDER,
    "reviews:panel_list": Role.PANEL_CHAIR, "reviews:panel_review": Role.PANEL_CHAIR,
    "reviews:panel_papers": Role.PANEL_CHAIR, "reviews:panel_outcome": Role.PANEL_CHAIR,
}
# Pages this test cannot give an object to (a statistics publication needs a published data cut):
# they are still visited and fuzzed, with an id that does not exist.
WITHOUT_OBJECT = {"stats:publication", "stats:download"}
# API URLs that take no request body: visited like pages; every other API URL is posted JSON.
API_PAGES = {"api:schema"}


@dataclass
class World:
    """One of everything a URL can point at, and a signed-in client per role."""

    clients: dict[str, Client]
    values: dict[str, dict[str, object]] = field(default_factory=dict)  # URL name -> parameters
    defaults: dict[str, object] = field(default_factory=dict)  # parameter -> value

    def parameters(self, name: str) -> dict[str, object]:
        return {**self.defaults, **self.values.get(name, {})}


def _client(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    return sign_in(client, user) if user is not None else client


def _referral_objects(first_responder: User, contributor: User) -> dict[str, Any]:
    organisation = Organisation.objects.get(slug=DEFAULT_ORGANISATION[Role.FIRST_RESPONDER])
    draft = referral_start(actor=first_responder, organisation=organisation)
    draft.answers = {"age_at_exploitation": "child", "under_18_now": "yes", "exploitation_types": ["labour", "other"],
                     "location": "both", "interpreter": "yes", "agencies": ["police"]}
    draft.save()
    attachment = attachment_add(referral=draft, actor=first_responder, description="A note",
                                upload=SimpleUploadedFile("note.txt", b"a note", content_type="text/plain"))
    invitation = invitation_send(referral=draft, actor=first_responder, name="Alex Morgan",
                                 email=contributor.email, organisation_name="Class teacher",
                                 site_url="http://testserver")
    invitation_accept(invitation=invitation, actor=contributor)
    concern = concern_raise(organisation=organisation, urgency="standard", summary="Worried", person_details="",
                            raiser_name="Jo Evans", raiser_email="jo@example.org", raiser_phone="",
                            raiser_role="Health visitor")
    return {"draft": draft, "attachment": attachment, "invitation": invitation, "concern": concern}


def _case_objects(first_responder: User, senior: User, caseworker: User) -> dict[str, Any]:
    awaiting_rg = make_case(State.AWAITING_RG, first_responder=first_responder, senior=senior,
                            decision_maker=caseworker)
    information_request_send(case=awaiting_rg, requested_by=caseworker, question="Where did they work?")
    def made(state: State) -> Case:
        return make_case(state, first_responder=first_responder, senior=senior, decision_maker=caseworker)

    # A public order disqualification request waiting for a senior's decision.
    disqualification = made(State.AWAITING_CG)
    disqualification_request_raise(case=disqualification, raised_by=caseworker, ground="public_order",
                                   grounds="Convicted of a serious offence.")
    return {
        "awaiting_rg": awaiting_rg,
        "awaiting_cg": made(State.AWAITING_CG),
        "disqualification": disqualification,
        "suspended": made(State.SUSPENDED),
        "negative_rg": made(State.NEGATIVE_RG),
        "second_line": made(State.CG_UNDER_REVIEW),
        "rg_review": made(State.RG_UNDER_REVIEW),
        "request": InformationRequest.objects.get(case=awaiting_rg),
    }


def _panel_review(caseworker: User, chair: User) -> Review:
    from nrm.reviews.services import panellist_add

    pool = builders.panel_pool(chairs=0, members=3)
    panellist_add(user=chair, home_organisation=Organisation.objects.get(slug="police-e23000001"))
    assert pool["members"]
    case = make_case(State.AWAITING_CG, received_on=date(2021, 1, 11), rg_decided_on=date(2021, 1, 15),
                     decision_maker=caseworker)
    return Review.objects.get(decision=builders.negative_cg(case, caseworker, decided_on=date(2021, 6, 1)))


def _support_objects(provider: User, caseworker: User) -> dict[str, Any]:
    case = make_case(State.AWAITING_RG, decision_maker=caseworker)
    builders.positive_rg(case, caseworker, decided_on=timezone.localdate() - timedelta(days=3))
    referral = SupportReferral.objects.get(case=case)
    support_referral_respond(referral=referral, user=provider, accept=True)
    support_episode_record(referral=referral, user=provider, kind="accommodation",
                           start_date=timezone.localdate() - timedelta(days=2))
    # A supported person whose case then had a negative CG: their provider may ask for reconsideration.
    negative = make_case(State.NEGATIVE_CG, decision_maker=caseworker)
    reconsider = SupportReferral.objects.get(case=negative)
    support_referral_respond(referral=reconsider, user=provider, accept=True)
    return {"referral": referral, "episode": SupportEpisode.objects.get(referral=referral), "reconsider": reconsider}


def _build_world(make_user: Any) -> World:
    users = {role: make_user(role) for role in Role}
    users[Role.CASEWORKER] = make_staff(Role.CASEWORKER, "sca")
    fr, senior = users[Role.FIRST_RESPONDER], users[Role.SENIOR_DECISION_MAKER]
    referrals = _referral_objects(fr, users[Role.CONTRIBUTOR])
    cases = _case_objects(fr, senior, users[Role.CASEWORKER])
    review = _panel_review(users[Role.CASEWORKER], users[Role.PANEL_CHAIR])
    support = _support_objects(users[Role.SUPPORT_PROVIDER], users[Role.CASEWORKER])
    sent = Referral.objects.filter(case=cases["awaiting_rg"]).get()
    draft_file = referrals["attachment"]
    evidence = Attachment(  # a sent referral's file, as the first responder attached it
        referral=sent, uploaded_by=fr, original_name=draft_file.original_name,
        content_type=draft_file.content_type, size=draft_file.size)
    evidence.store_content(draft_file.read_content() or b"")
    evidence.save()
    letter = DecisionLetter.objects.select_related("decision__case").first()
    police = Organisation.objects.get(slug=DEFAULT_ORGANISATION[Role.PARTNER_RECIPIENT])
    message = outbox_add(kind="crime_referral", subject="Crime referral", body="A crime referral",
                         recipient_organisation=police, about=sent, acknowledge_by=timezone.localdate())
    assert letter is not None
    assert message is not None
    second_line = Review.objects.filter(decision__case=cases["second_line"]).get()
    api_client, webhook = partner_systems_make(police)
    world = World(clients={str(role): _client(user) for role, user in users.items()} | {ANONYMOUS: _client(None)})
    awaiting_rg = cases["awaiting_rg"].pk
    world.defaults = {
        "referral_id": referrals["draft"].pk, "attachment_id": referrals["attachment"].pk,
        "invitation_id": referrals["invitation"].pk, "token": referrals["invitation"].token,
        "concern_id": referrals["concern"].pk, "step": journey.STEPS[0].slug, "case_id": awaiting_rg,
        "request_id": cases["request"].pk, "letter_id": letter.pk, "review_id": second_line.pk,
        "episode_id": support["episode"].pk, "message_id": message.pk, "publication_id": uuid.uuid4(), "path": "x",
        "slug": police.slug, "client_id": api_client.pk, "endpoint_id": webhook.pk,
    }
    for name in ("referrals:confirmation", "referrals:copy"):
        world.values[name] = {"referral_id": sent.pk}
    for name in ("support:person", "support:respond", "support:episode_new", "support:episode_end",
                 "support:assessment_new", "support:end"):
        world.values[name] = {"referral_id": support["referral"].pk}
    world.values["support:reconsideration"] = {"referral_id": support["reconsider"].pk}
    for name in ("reviews:panel_review", "reviews:panel_papers", "reviews:panel_outcome"):
        world.values[name] = {"review_id": review.pk}
    world.values["cases:cg_decision"] = {"case_id": cases["awaiting_cg"].pk}
    world.values["cases:evidence"] = {"case_id": cases["awaiting_rg"].pk, "attachment_id": evidence.pk}
    world.values["reviews:case_review"] = {"case_id": cases["second_line"].pk}
    world.values["cases:rg_review"] = {"case_id": cases["rg_review"].pk}
    world.values["cases:reactivate"] = {"case_id": cases["suspended"].pk}
    world.values["cases:reconsideration"] = {"case_id": cases["negative_rg"].pk}
    world.values["cases:disqualification_request"] = {"case_id": cases["awaiting_cg"].pk}
    world.values["cases:disqualification_decide"] = {"case_id": cases["disqualification"].pk}
    world.values["cases:letter"] = world.values["cases:letter_pdf"] = {"case_id": letter.decision.case_id}
    # Administration: the first responder's organisation and the first responder.
    for pattern in url_patterns():
        if pattern.name.startswith("administration:"):
            world.values[pattern.name] = {"slug": DEFAULT_ORGANISATION[Role.FIRST_RESPONDER], "user_id": fr.pk}
    return world


# --- Reading the forms on a page ------------------------------------------------------------------

TEXT_INPUTS = {"text", "email", "tel", "number", "search", "url", ""}


@dataclass
class Form:
    action: str
    method: str = "POST"
    fields: dict[str, str] = field(default_factory=dict)  # name -> value on the page
    typed: set[str] = field(default_factory=set)  # fields whose typed text should come back on an error


class _Forms(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(urlsplit(a.get("action") or self.page_url).path, a.get("method", "get").upper())
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "textarea", "select"} and a.get("name"):
            kind = a.get("type", "").lower() if tag == "input" else tag
            if kind in {"checkbox", "radio"} and "checked" not in a and a["name"] in self._form.fields:
                return
            self._form.fields[a["name"]] = a.get("value", "")
            if kind in TEXT_INPUTS or kind == "textarea":
                self._form.typed.add(a["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def forms_on(page_url: str, html: str) -> list[Form]:
    parser = _Forms(page_url)
    parser.feed(html)
    return [f for f in parser.forms if f.fields]


# --- Posting ------------------------------------------------------------------------------------

@dataclass
class Tally:
    urls: int = 0
    forms: int = 0
    requests: int = 0
    refusals_checked: int = 0  # answers of 400 pages checked for what was typed
    failures: list[str] = field(default_factory=list)


def _request(client: Client, method: str, url: str, body: bytes = b"", content_type: str = "") -> Any:
    """One request in a savepoint rolled back afterwards, so every example meets the same data."""
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, body, content_type=content_type)
        transaction.set_rollback(True)
    return response


def _kept(body: str, read: str) -> bool:
    """Whether a value the server read is on the page again (stripped, with line endings made
    plain, and unsafe characters shown as U+FFFD, as the pages may show it)."""
    candidates = {read, read.strip(), read.replace("\r\n", "\n").strip(), shown_back(read).strip(),
                  shown_back(read.replace("\r\n", "\n").replace("\r", "\n")).strip()}
    return any(str(escape(c)) in body for c in candidates)


def _check(tally: Tally, where: str, response: Any, sent: dict[str, str], form: Form, query: str) -> None:
    tally.requests += 1
    if response.status_code >= 500:
        tally.failures.append(f"{response.status_code} from {form.method} {where} with {sent!r}"[:600])
        return
    if response.status_code == 400 and response.get("Content-Type", "").startswith("text/html"):
        body = response.content.decode()
        read = QueryDict(query)  # exactly what the server read from the request
        checked = [name for name in form.typed if (read.get(name) or "").strip()]
        tally.refusals_checked += bool(checked)
        lost = [name for name in checked if not _kept(body, read.get(name) or "")]
        if lost:
            shown = {name: (read.get(name) or "")[:80] for name in lost}
            tally.failures.append(f"typed answers not kept ({shown!r}) by {form.method} {where}"[:600])


def fuzz_form(client: Client, form: Form, tally: Tally) -> None:
    names = sorted(form.fields)
    # Each fixed post puts a different payload in each field, so a form with one field gets the
    # first FIXED payloads and a form with many gets them all.
    fixed = [{name: PAYLOADS[(k + i * FIXED) % len(PAYLOADS)] for i, name in enumerate(names)} for k in range(FIXED)]

    def post(values: dict[str, str]) -> None:
        sent = {**form.fields, **values}
        query = urlencode(sent, encoding="utf-8", errors="surrogatepass")
        if form.method == "GET":  # a search or filter form: the same input in the query string
            response = _request(client, "GET", f"{form.action}?{query}")
        else:
            response = _request(client, "POST", form.action, query.encode(), "application/x-www-form-urlencoded")
        _check(tally, form.action, response, sent, form, query)

    for values in fixed:
        post(values)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({name: st.one_of(TEXT, st.just(form.fields[name])) for name in names}))
    def generated(values: dict[str, str]) -> None:
        post(values)

    generated()
    tally.forms += 1


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


JSON_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


def fuzz_api(client: Client, url: str, tally: Tally) -> None:
    raw = [_nested(5000).encode(), _nested(100_000).encode(), b'{"measure": "\\u0000"}', b'{"a": "\\ud800"}',
           b"\xff\xfe", b"{", b"1" * 5000, b" " * (128 * 1024), b'{"measure": 1e999}']

    def post(body: bytes, content_type: str = "application/json") -> None:
        response = _request(client, "POST", url, body, content_type)
        tally.requests += 1
        if response.status_code >= 500:
            tally.failures.append(f"{response.status_code} from POST {url} with {body[:200]!r}")

    for body in raw:
        post(body)
    post(b"measure=percentage", "application/x-www-form-urlencoded")

    @settings(max_examples=EXAMPLES * 5, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(JSON_DOCUMENTS)
    def generated(document: object) -> None:
        post(json.dumps(document).encode())

    generated()
    tally.forms += 1


# --- Visiting every URL -------------------------------------------------------------------------

def _role_for(pattern: RoutePattern) -> str:
    return str(ROLE_BY_NAME.get(pattern.name, ROLE_BY_NAMESPACE[pattern.name.split(":")[0]]))


def _urls(pattern: RoutePattern, world: World) -> Iterator[str]:
    if pattern.name == "referrals:step":
        for step in journey.STEPS:
            yield pattern.url({**world.parameters(pattern.name), "step": step.slug})
    else:
        yield pattern.url(world.parameters(pattern.name))


def _visit(pattern: RoutePattern, world: World, tally: Tally, forms: dict[tuple[str, str, str], Form]) -> None:
    role = _role_for(pattern)
    client = world.clients[role]
    for url in _urls(pattern, world):
        tally.urls += 1
        response = _request(client, "GET", url)
        tally.requests += 1
        if response.status_code >= 500:
            tally.failures.append(f"{response.status_code} from GET {url}")
        elif response.status_code in {403, 404} and pattern.name not in WITHOUT_OBJECT:
            tally.failures.append(f"{role} cannot reach {url} ({response.status_code}): fix the test's world")
        elif response.status_code == 405:
            forms.setdefault((role, "POST", url), Form(url, "POST", {"confirm": "yes", "action": "continue"}))
        elif response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            for form in forms_on(url, response.content.decode()):
                forms.setdefault((role, form.method, form.action), form)


def fuzz_everything(world: World) -> Tally:
    """Every URL the resolver lists opened by a role that may, every form found posted generated
    input, every API endpoint posted generated JSON (``bench/security.py --section fuzz`` prints the tally)."""
    patterns = url_patterns()
    tally = Tally()
    forms: dict[tuple[str, str, str], Form] = {}
    api = [p for p in patterns if p.name.startswith("api:") and p.name not in API_PAGES]
    for pattern in patterns:
        if pattern not in api:
            _visit(pattern, world, tally, forms)
    for (role, _method, _action), form in forms.items():
        fuzz_form(world.clients[role], form, tally)
    for pattern in api:
        tally.urls += 1
        fuzz_api(world.clients[_role_for(pattern)],
                 pattern.url({**world.defaults, **world.values.get(pattern.name, {})}), tally)
    return tally


@pytest.mark.usefixtures("live_worker")
def test_no_input_to_any_form_or_endpoint_gives_a_server_error(
        make_user: Any, capsys: pytest.CaptureFixture[str], django_capture_on_commit_callbacks: Any) -> None:
    patterns = url_patterns()
    unlisted = [p.name for p in patterns if p.name.split(":")[0] not in ROLE_BY_NAMESPACE]
    assert not unlisted, f"say which role opens {unlisted}"
    with django_capture_on_commit_callbacks(execute=True):
        world = _build_world(make_user)
    tally = fuzz_everything(world)
    with capsys.disabled():
        print(f"\nfuzz: {len(patterns)} URL patterns, {tally.urls} URLs, {tally.forms} forms and endpoints, "
              f"{tally.requests} requests, {tally.refusals_checked} refusals checked for the typed answers")
    assert not tally.failures, "\n".join(tally.failures[:40])
