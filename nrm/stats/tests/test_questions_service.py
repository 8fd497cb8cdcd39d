"""The analyst's page and the API endpoint for answers to parliamentary questions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case

pytestmark = pytest.mark.django_db
API = "/api/v1/statistics/questions"


@pytest.fixture
def analyst(client_for: Any, settings: Any, tmp_path: Path) -> Any:
    settings.VAR_DIR = tmp_path
    return client_for(Role.ANALYST)


def _cases_and_a_data_cut(analyst: Any, n: int) -> str:
    """``n`` cases awaiting an RG decision, a data cut taken on the page; returns their year."""
    cases = [make_case(State.AWAITING_RG) for _ in range(n)]
    analyst.post("/statistics/questions", {"action": "refresh"})
    return str(cases[0].received_on.year)


def _post_json(client: Any, body: Any) -> Any:
    return client.post(API, data=json.dumps(body), content_type="application/json")


def test_without_a_data_cut_the_answer_says_so(analyst: Any) -> None:
    response = _post_json(analyst, {"measure": "count", "periods": ["2024"]})
    assert response.status_code == 409
    assert "no data cut" in response.json()["message"].lower()


def test_counts_and_percentages_with_disclosure_control(analyst: Any) -> None:
    cases = [make_case(State.POSITIVE_RG, is_child=True) for _ in range(6)] + [make_case(State.AWAITING_RG)]
    year = str(cases[0].received_on.year)
    analyst.post("/statistics/questions", {"action": "refresh"})
    total = _post_json(analyst, {"measure": "count", "periods": [year]})
    assert total.status_code == 200, total.content
    body = total.json()
    # nothing is published for the year: the count is perturbed, by at most 2, and never below 5
    assert body["method"] == "perturbed"
    assert 5 <= body["value"] <= 9
    assert body["display"] == str(body["value"])
    assert _post_json(analyst, {"measure": "count", "periods": [year]}).json()["value"] == body["value"]
    assert body["data_cut"]["files"]
    assert body["sql"]
    assert body["description"]
    # A small count is suppressed, never given.
    small = _post_json(analyst, {"measure": "count", "periods": [year],
                                 "denominator": {"status": ["Awaiting RG"]}})
    assert small.json()["suppressed"] is True
    assert small.json()["value"] is None
    # The percentage of RG decisions on child cases that were positive.
    share = _post_json(analyst, {"measure": "percentage", "date_basis": "rg", "periods": [year],
                                 "denominator": {"age_at_exploitation": ["Child (17 or under)"]},
                                 "numerator": {"rg_outcome": "Positive"}})
    assert share.status_code == 200, share.content
    ages = {case.referral.age_at_exploitation for case in cases[:6]}
    if ages == {"child"}:
        assert share.json()["value"] == 100.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"measure": "count", "periods": ["2024"], "denominator": {"shoe_size": ["9"]}}, "shoe_size"),
        ({"measure": "count", "periods": []}, "period"),
        ({"measure": "mean", "periods": ["2024"]}, "measure"),
        ({"measure": "median", "periods": ["2024"]}, "median_of"),
    ],
)
def test_bad_queries_get_clear_errors(analyst: Any, body: dict[str, Any], message: str) -> None:
    make_case(State.AWAITING_RG)
    analyst.post("/statistics/questions", {"action": "refresh"})
    response = _post_json(analyst, body)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_a_zero_denominator_is_an_error_not_a_number(analyst: Any) -> None:
    make_case(State.AWAITING_RG)
    analyst.post("/statistics/questions", {"action": "refresh"})
    response = _post_json(analyst, {"measure": "percentage", "periods": ["2009"],
                                    "numerator": {"rg_outcome": "Positive"}})
    assert response.status_code == 400
    assert response.json()["error"] in {"ZeroDenominator", "PeriodNotCovered"}


def test_the_page_answers_and_keeps_the_question(analyst: Any) -> None:
    year = _cases_and_a_data_cut(analyst, 5)
    page = analyst.post("/statistics/questions", {"action": "answer", "measure": "count", "date_basis": "referral",
                                                  "periods": year, "denominator": "status = Awaiting RG"})
    body = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'govuk-panel__title">[567]<', body)  # 5, perturbed upwards by at most 2
    assert "perturbed" in body
    bad = analyst.post("/statistics/questions", {"action": "answer", "measure": "count", "date_basis": "referral",
                                                 "periods": year, "denominator": "status Awaiting RG"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "write it as" in text
    assert "status Awaiting RG" in text


def test_the_page_asks_whether_dual_nationals_count_and_keeps_the_choice(analyst: Any) -> None:
    year = _cases_and_a_data_cut(analyst, 5)
    first = analyst.get("/statistics/questions").content.decode()
    assert 'value="alone" checked' in first  # the published definition by default
    asked = {"action": "answer", "measure": "count", "date_basis": "referral", "periods": year,
             "denominator": "nationality = UK"}
    page = analyst.post("/statistics/questions", {**asked, "dual_nationals": "included"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="included" checked' in body
    assert "alone or with others" in body
    alone = analyst.post("/statistics/questions", asked).content.decode()
    assert "dual nationals not included" in alone
    bad = analyst.post("/statistics/questions", {**asked, "dual_nationals": "sometimes"})
    assert bad.status_code == 400
    assert "dual_nationals must be true or false" in bad.content.decode()
    assert _post_json(analyst, {"periods": [year], "dual_nationals": "yes"}).status_code == 400
    api = _post_json(analyst, {"periods": [year], "denominator": {"nationality": "UK"}, "dual_nationals": True})
    assert api.status_code == 200
    assert api.json()["query"]["dual_nationals"] is True


def test_the_page_and_the_api_give_a_median_under_the_control(analyst: Any) -> None:
    year = _cases_and_a_data_cut(analyst, 3)
    asked = {"action": "answer", "measure": "median", "median_of": "days_to_rg", "date_basis": "rg", "periods": year}
    page = analyst.post("/statistics/questions", asked)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'value="median" checked' in body
    assert 'value="days_to_rg" checked' in body
    assert "Decisions the median is taken over" in body
    assert "[c]" in body  # no RG decisions yet: nothing to take a median of
    wrong = analyst.post("/statistics/questions", {**asked, "date_basis": "cg"})
    assert wrong.status_code == 400
    assert "use date_basis" in wrong.content.decode()
    missing = analyst.post("/statistics/questions", {**asked, "median_of": ""})
    assert missing.status_code == 400
    assert "a median needs median_of" in missing.content.decode()
    api = _post_json(analyst, {"measure": "median", "median_of": "days_to_rg", "date_basis": "rg", "periods": [year]})
    assert api.status_code == 200
    assert api.json()["query"]["median_of"] == "days_to_rg"
    assert api.json()["suppressed"] is True
    assert _post_json(analyst, {"measure": "median", "median_of": "days", "date_basis": "rg",
                                "periods": [year]}).status_code == 400


def test_one_question_one_breakdown_on_the_page_and_the_api(analyst: Any) -> None:
    year = _cases_and_a_data_cut(analyst, 6)
    page = analyst.post("/statistics/questions", {"action": "answer", "measure": "count", "date_basis": "referral",
                                                  "periods": year, "by": "status"})
    body = page.content.decode()
    assert page.status_code == 200
    assert '<option value="status" selected' in body
    assert "By status" in body
    assert "Awaiting RG" in body
    bad = analyst.post("/statistics/questions", {"action": "answer", "measure": "count", "date_basis": "referral",
                                                 "periods": year, "by": "nationality"})
    assert bad.status_code == 400
    assert "several values for one record" in bad.content.decode()
    api = _post_json(analyst, {"periods": [year], "by": "status"})
    assert api.status_code == 200
    rows = api.json()["breakdown"]
    assert [r["category"] for r in rows if r["category"] == "Awaiting RG"] == ["Awaiting RG"]
    assert all(set(r) == {"category", "value", "display", "suppressed", "suppression", "method"} for r in rows)
    assert _post_json(analyst, {"periods": [year]}).json()["breakdown"] == []
    from nrm.stats.models import QuestionAsked
    assert QuestionAsked.objects.filter(query__by="status").count() == 2  # the page's and the API's, each once


def test_only_analysts_may_ask(client_for: Any) -> None:
    caseworker = client_for(Role.CASEWORKER)
    assert caseworker.get("/statistics/questions").status_code == 404
    assert _post_json(caseworker, {"measure": "count", "periods": ["2024"]}).status_code == 403


def test_the_question_pages_keep_their_addresses() -> None:
    from django.urls import reverse

    assert reverse("stats:questions") == "/statistics/questions"
    assert reverse("api:stats_questions") == API


def _publish_force_table(root: Path, year: str) -> None:
    """A publication of ``year`` in the statistics store: Dyfed-Powys 171 referrals, 3 of unknown age."""
    from nrm.analytics import protection
    from nrm.analytics.revisions import FiguresStore
    from nrm.analytics.tests.helpers import table_result
    from nrm.analytics.tests.test_question_control import ADULT, CHILD, FORCE, UNKNOWN

    cells: dict[tuple[str, ...], int] = {("Wales", "Dyfed-Powys", ADULT): 100, ("Wales", "Dyfed-Powys", CHILD): 68,
             ("Wales", "Dyfed-Powys", UNKNOWN): 3, ("Wales", "Gwent", ADULT): 40,
             ("Wales", "Gwent", CHILD): 20, ("Wales", "Gwent", UNKNOWN): 7}
    done, _linked = protection.protect([table_result(FORCE, cells, year)], release=year)
    FiguresStore(root / "stats" / "published").save(year, done)


def test_answers_agree_with_the_publication_and_differencing_is_refused(analyst: Any, tmp_path: Path) -> None:
    from nrm.stats.models import QuestionAsked

    case = make_case(State.AWAITING_RG)
    year = str(case.received_on.year)
    _publish_force_table(tmp_path, year)
    analyst.post("/statistics/questions", {"action": "refresh"})
    total = _post_json(analyst, {"periods": [year], "denominator": {"police_force": "Dyfed-Powys"}})
    assert total.status_code == 200, total.content
    assert (total.json()["value"], total.json()["method"]) == (171, "published")  # not the data cut's count
    unknown = _post_json(analyst, {"periods": [year], "denominator": {"police_force": "Dyfed-Powys",
                                                                      "age_at_exploitation": ["Not specified or unknown"]}})
    assert (unknown.json()["display"], unknown.json()["suppressed"]) == ("[c]", True)
    both = _post_json(analyst, {"periods": [year], "denominator": {
        "police_force": "Dyfed-Powys", "age_at_exploitation": ["Adult (18 or over)", "Child (17 or under)"]}})
    assert both.status_code == 422, both.content
    assert both.json()["error"] == "QuestionRefused"
    assert "cannot be answered" in both.json()["message"]
    ledger = list(QuestionAsked.objects.values_list("method", flat=True))
    assert ledger == ["published", "suppressed", "refused"]
    from nrm.audit.models import AuditEvent

    actions = list(AuditEvent.objects.filter(action__startswith="stats.question").values_list("action", flat=True))
    assert actions.count("stats.question_answered") == 2
    assert actions.count("stats.question_refused") == 1
    page = analyst.post("/statistics/questions", {"action": "answer", "measure": "count", "date_basis": "referral",
                                                  "periods": year, "denominator":
                                                  "police_force = Dyfed-Powys\nage_at_exploitation = "
                                                  "Adult (18 or over) | Child (17 or under)"})
    assert page.status_code == 400
    assert "would reveal a count the publication protects" in page.content.decode()
