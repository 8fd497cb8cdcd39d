"""Referrals over the API: the web journey's rules, errors and idempotency, scoped to the client's
organisation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nrm.accounts.roles import Role
from nrm.api.idempotency import HEADER
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from nrm.reference.models import Organisation
from nrm.referrals import journey
from nrm.referrals.models import DutyToNotifyReport, Referral, ReferralStatus
from nrm.referrals.tests.answer_sets import ADULT, DUTY_TO_NOTIFY

pytestmark = pytest.mark.django_db
POLICE = "police-e23000001"
ADULT_AUTO = dict(ADULT)  # the first responder's details too: an API account has no job title or phone


def _token(*scopes: Scope, slug: str = POLICE, role: Role = Role.FIRST_RESPONDER) -> str:
    _client, token = api_client_create(organisation=Organisation.objects.get(slug=slug), name="Case system",
                                       role=role, scopes=[s.value for s in scopes])
    return token


def _call(token: str, method: str, url: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    response = getattr(Client(), method)(url, body if body is not None else {}, content_type="application/json",
                                         HTTP_AUTHORIZATION=f"Bearer {token}",
                                         **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    return response.status_code, response.json()


WRITER = (Scope.REFERRALS_WRITE,)


def test_a_referral_is_started_filled_in_and_sent_through_the_journey() -> None:
    token = _token(*WRITER)
    status, draft = _call(token, "post", reverse("api:referrals"), {"answers": {"first_names": "Tomasz"}})
    assert status == 201
    assert draft["status"] == "draft"
    assert draft["answers"]["first_names"] == "Tomasz"
    assert draft["answers"]["fr_name"]  # filled in from the client's account, as for a person
    assert any(p["question"] == "last_name" for p in draft["problems"])
    url = reverse("api:referral", kwargs={"referral_id": draft["id"]})
    status, saved = _call(token, "patch", url, {"answers": {**ADULT_AUTO, "dob": "1980-02-01"}})
    assert status == 200, saved
    assert saved["answers"]["dob"] == {"day": "1", "month": "2", "year": "1980"}
    assert saved["problems"] == []
    status, sent = _call(token, "post", reverse("api:referral_submit", kwargs={"referral_id": draft["id"]}))
    assert status == 200, sent
    assert sent["referral"]["reference"].startswith("NRM-")
    assert sent["referral"]["case"]
    referral = Referral.objects.get(pk=draft["id"])
    assert referral.status == ReferralStatus.SUBMITTED
    assert referral.answers["last_name"] == "Nowak"
    status, again = _call(token, "post", reverse("api:referral_submit", kwargs={"referral_id": draft["id"]}))
    assert (status, again["already_submitted"]) == (200, True)
    status, conflict = _call(token, "patch", url, {"answers": {"first_names": "Tom"}})
    assert status == 409
    assert conflict["error"] == "Conflict"
    assert "already been sent" in conflict["message"]


def test_an_incomplete_draft_is_refused_with_the_journeys_own_messages_and_keeps_what_was_sent() -> None:
    token = _token(*WRITER)
    status, draft = _call(token, "post", reverse("api:referrals"),
                          {"answers": {**ADULT_AUTO, "last_name": "", "gender": "not-an-option"}})
    assert status == 201
    status, body = _call(token, "post", reverse("api:referral_submit", kwargs={"referral_id": draft["id"]}))
    assert status == 400
    assert body["error"] == "ValidationError"
    expected = {e.field: e.message for e in journey.journey_errors(Referral.objects.get(pk=draft["id"]).answers)}
    assert {k.removeprefix("answers."): v[0] for k, v in body["fields"].items()} == expected
    assert {"answers.last_name", "answers.gender"} <= set(body["fields"])
    assert Referral.objects.get(pk=draft["id"]).answers["first_names"] == "Tomasz"  # nothing lost


@pytest.mark.parametrize(("answers", "field"), [
    ({"no_such_question": "x"}, "answers.no_such_question"),
    ({"first_names": 42}, "answers.first_names"),
    ({"nationalities": "PL"}, "answers.nationalities"),
    ({"dob": "1 Feb 1980"}, "answers.dob"),
    ({"dob": {"day": 1, "month": "2", "year": "1980"}}, "answers.dob"),
    ({"dob": {"hour": "1"}}, "answers.dob"),
    ({"indicators_sexual": ["sexual_moved"]}, "answers.indicators_sexual"),  # not asked of a labour-only adult
])
def test_answers_that_cannot_be_read_are_refused_and_save_nothing(answers: dict[str, Any], field: str) -> None:
    token = _token(*WRITER)
    status, draft = _call(token, "post", reverse("api:referrals"), {"answers": ADULT_AUTO})
    url = reverse("api:referral", kwargs={"referral_id": draft["id"]})
    before = Referral.objects.get(pk=draft["id"]).answers
    status, body = _call(token, "patch", url, {"answers": answers})
    assert status == 400
    assert field in body["fields"]
    assert Referral.objects.get(pk=draft["id"]).answers == before


def test_a_blank_never_wipes_a_required_saved_answer_as_on_the_web_form() -> None:
    token = _token(*WRITER)
    _status, draft = _call(token, "post", reverse("api:referrals"), {"answers": ADULT_AUTO})
    url = reverse("api:referral", kwargs={"referral_id": draft["id"]})
    _status, saved = _call(token, "patch", url, {"answers": {"last_name": ""}})
    assert saved["answers"]["last_name"] == "Nowak"


def test_a_duty_to_notify_report_is_sent_anonymously_and_answers_its_reference() -> None:
    token = _token(*WRITER)
    answers = dict(DUTY_TO_NOTIFY)
    _status, draft = _call(token, "post", reverse("api:referrals"), {"answers": answers})
    status, sent = _call(token, "post", reverse("api:referral_submit", kwargs={"referral_id": draft["id"]}))
    assert status == 200, sent
    assert sent["referral"] is None
    assert DutyToNotifyReport.objects.filter(reference=sent["duty_to_notify_reference"]).exists()
    assert not Referral.objects.filter(pk=draft["id"]).exists()


def test_the_same_idempotency_key_creates_one_draft_and_replays_its_answer() -> None:
    token = _token(*WRITER)
    key = str(uuid.uuid4())
    first = _call(token, "post", reverse("api:referrals"), {"answers": {"first_names": "Tomasz"}}, **{HEADER: key})
    second = _call(token, "post", reverse("api:referrals"), {"answers": {"first_names": "Tomasz"}}, **{HEADER: key})
    assert first == second
    assert first[0] == 201
    assert Referral.objects.count() == 1
    status, body = _call(token, "post", reverse("api:referrals"), {"answers": {"first_names": "Other"}},
                         **{HEADER: key})
    assert (status, body["error"]) == (422, "IdempotencyKeyReused")
    other_client = _token(*WRITER)  # keys belong to one client
    assert _call(other_client, "post", reverse("api:referrals"), {}, **{HEADER: key})[0] == 201
    assert Referral.objects.count() == 2


def test_a_refused_request_keeps_no_key_so_the_corrected_one_can_use_it() -> None:
    token = _token(*WRITER)
    key = "submit-1"
    _status, draft = _call(token, "post", reverse("api:referrals"), {"answers": {**ADULT_AUTO, "last_name": ""}})
    submit = reverse("api:referral_submit", kwargs={"referral_id": draft["id"]})
    assert _call(token, "post", submit, **{HEADER: key})[0] == 400
    url = reverse("api:referral", kwargs={"referral_id": draft["id"]})
    assert _call(token, "patch", url, {"answers": {"last_name": "Nowak"}})[0] == 200
    status, sent = _call(token, "post", submit, **{HEADER: key})
    assert status == 200
    assert sent["already_submitted"] is False
    assert _call(token, "post", submit, **{HEADER: key}) == (status, sent)  # replayed, not "already submitted"


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "tab\there"])
def test_an_unusable_idempotency_key_is_refused(key: str) -> None:
    status, body = _call(_token(*WRITER), "post", reverse("api:referrals"), {}, **{HEADER: key})
    assert (status, body["field"]) == (400, HEADER)
    assert not Referral.objects.exists()


def test_reading_needs_a_scope_and_sees_only_the_organisations_referrals() -> None:
    writer = _token(*WRITER)
    _status, own = _call(writer, "post", reverse("api:referrals"), {})
    other = _token(*WRITER, slug="salvation-army")
    _status, theirs = _call(other, "post", reverse("api:referrals"), {})
    reader = _token(Scope.REFERRALS_READ)
    status, rows = _call(reader, "get", reverse("api:referrals"))
    assert status == 200
    assert [r["id"] for r in rows] == [own["id"]]
    assert "answers" not in rows[0]
    assert _call(reader, "get", reverse("api:referral", kwargs={"referral_id": theirs["id"]}))[0] == 404
    assert _call(reader, "post", reverse("api:referrals"), {})[0] == 403  # reading is not writing
    assert _call(reader, "patch", reverse("api:referral", kwargs={"referral_id": own["id"]}), {})[0] == 403
    assert _call(other, "patch", reverse("api:referral", kwargs={"referral_id": own["id"]}),
                 {"answers": {"first_names": "X"}})[0] == 404
    partner = _token(Scope.MESSAGES_READ, role=Role.PARTNER_RECIPIENT)
    assert _call(partner, "get", reverse("api:referrals"))[0] == 403


def test_the_questions_list_is_the_journeys() -> None:
    status, rows = _call(_token(Scope.REFERRALS_READ), "get", reverse("api:referral_questions"))
    assert status == 200
    assert [r["name"] for r in rows] == [f.name for s in journey.STEPS for f in s.fields]
    gender = next(r for r in rows if r["name"] == "gender")
    assert {"value": "female", "text": "Female"} in gender["options"]



def test_the_list_reads_decisions_in_the_same_number_of_queries_however_many_referrals() -> None:
    token = _token(Scope.REFERRALS_READ)

    def queries_to_list(expected: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            status, rows = _call(token, "get", reverse("api:referrals"))
        assert (status, len(rows)) == (200, expected)
        assert all(r["decisions"][0]["stage"] == "RG" for r in rows)
        return len(queries)

    make_case(State.POSITIVE_RG, first_responder_organisation=POLICE)
    one = queries_to_list(1)
    for _ in range(4):
        make_case(State.POSITIVE_RG, first_responder_organisation=POLICE)
    assert queries_to_list(5) == one
