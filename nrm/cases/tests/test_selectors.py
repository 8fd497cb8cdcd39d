"""Selectors: visibility, the dashboard's backlog, timeliness and forecast."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.cases import selectors
from nrm.cases.lifecycle import State
from nrm.cases.models import Outcome
from nrm.cases.tests.factories import cg_decide, make_case, make_staff, rg_decide

TODAY = timezone.localdate


def test_percentiles_use_the_nearest_rank() -> None:
    assert selectors.percentile([], 0.9) is None
    assert selectors.percentile([5], 0.9) == 5
    assert selectors.percentile(list(range(1, 11)), 0.9) == 9
    assert selectors.percentile(list(range(1, 12)), 0.9) == 10
    assert selectors.median([3, 1, 2]) == 2
    assert selectors.median([4, 1, 2, 3]) == 2.5
    assert selectors.median([]) is None


@pytest.mark.django_db
def test_visibility_is_denied_by_default(make_user: Callable[..., Any]) -> None:
    sca = make_case(state=State.AWAITING_RG)
    ieca = make_case(state=State.AWAITING_RG, competent_authority="IECA", first_responder_organisation="salvation-army")
    assert set(selectors.cases_visible_to(make_user(Role.CASEWORKER, "sca"))) == {sca}
    assert set(selectors.cases_visible_to(make_user(Role.SENIOR_DECISION_MAKER, "ieca"))) == {ieca}
    assert set(selectors.cases_visible_to(make_user(Role.FIRST_RESPONDER, "salvation-army"))) == {ieca}
    assert not selectors.cases_visible_to(make_user(Role.ANALYST)).exists()
    assert not selectors.cases_visible_to(make_user(Role.SUPPORT_PROVIDER)).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.cases_visible_to(AnonymousUser()).exists()
    with pytest.raises(Http404):
        selectors.case_get_for(make_user(Role.CASEWORKER, "ieca"), sca.pk)
    with pytest.raises(Http404):
        selectors.case_get_for(make_user(Role.CASEWORKER, "sca"), "not-a-uuid")
    assert selectors.case_get_for(make_user(Role.CASEWORKER, "sca"), str(sca.pk)) == sca


@pytest.mark.django_db
def test_backlog_by_age_band() -> None:
    today = TODAY()
    make_case(state=State.AWAITING_RG, received_on=today - timedelta(days=3))
    make_case(state=State.RG_UNDER_REVIEW, received_on=today - timedelta(days=20))
    make_case(state=State.AWAITING_CG, received_on=today - timedelta(days=100))
    make_case(state=State.POSITIVE_RG, received_on=today - timedelta(days=10))
    make_case(state=State.AWAITING_CG, received_on=today - timedelta(days=400))
    make_case(state=State.SUSPENDED, suspended_from=State.AWAITING_RG)
    make_case(state=State.POSITIVE_CG)
    make_case(state=State.AWAITING_RG, competent_authority="IECA")
    backlog = selectors.dashboard_backlog("SCA", today=today)
    by_label = {b.label: (b.awaiting_rg, b.awaiting_cg) for b in backlog.bands}
    assert by_label == {
        "Under 2 weeks": (1, 1),
        "2 weeks to 1 month": (1, 0),
        "1 to 3 months": (0, 0),
        "3 to 6 months": (0, 1),
        "6 to 12 months": (0, 0),
        "Over 1 year": (0, 1),
    }
    assert backlog.awaiting_rg == 2
    assert backlog.awaiting_cg == 3
    assert backlog.suspended == 1
    assert selectors.dashboard_backlog("IECA", today=today).awaiting_rg == 1


@pytest.mark.django_db
def test_timeliness_by_month() -> None:
    today = TODAY()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
    dm = make_staff(Role.CASEWORKER, "sca")
    for days in (2, 4, 6, 27):
        case = make_case(state=State.AWAITING_RG, received_on=month, decision_maker=dm)
        rg_decide(case, dm, Outcome.POSITIVE, on=month + timedelta(days=days))
    timeliness = {m.month: m for m in selectors.dashboard_timeliness("SCA", today=today)}
    assert len(timeliness) == 12
    assert max(timeliness) == today.replace(day=1)
    row = timeliness[month]
    assert row.rg_decisions == 4
    assert row.rg_median_days == 5.0
    assert row.rg_p90_days == 27.0
    # RG to CG: a case decided at RG 100 days ago and at CG today.
    cg_case = make_case(state=State.AWAITING_CG, received_on=today - timedelta(days=102))
    cg_decide(cg_case, cg_case.built_by.decision_maker, Outcome.POSITIVE)
    this_month = {m.month: m for m in selectors.dashboard_timeliness("SCA", today=today)}[today.replace(day=1)]
    assert this_month.cg_decisions == 1
    assert this_month.cg_median_days == 100.0


@pytest.mark.django_db
def test_forecast_of_the_cg_backlog() -> None:
    today = TODAY()
    # Backlog of 3 cases awaiting CG; in the last 12 weeks 3 positive RGs (the backlog's intake)
    # and 6 CG decisions served (one of them below), so the backlog falls by 0.25 a week.
    for _ in range(3):
        make_case(state=State.AWAITING_CG, received_on=today - timedelta(days=70))
    for _ in range(6):
        make_case(state=State.POSITIVE_CG, received_on=today - timedelta(days=400))
    forecast = selectors.dashboard_forecast("SCA", today=today)
    assert forecast.cg_backlog == 3
    assert forecast.intake_per_week == pytest.approx(3 / 12)
    assert forecast.decisions_per_week == pytest.approx(6 / 12)
    assert forecast.weeks_to_clear == pytest.approx(12.0)
    assert forecast.clears_on == today + timedelta(days=84)
    # When intake outpaces decisions it does not clear.
    for _ in range(4):
        make_case(state=State.POSITIVE_RG)
    grows = selectors.dashboard_forecast("SCA", today=today)
    assert grows.cg_backlog == 7
    assert not grows.clearing
    assert grows.clears_on is None


@pytest.mark.django_db
def test_information_requests_for_a_first_responder(make_user: Callable[..., Any]) -> None:
    case = make_case(state=State.AWAITING_RG)
    from nrm.cases.services import information_request_send

    request = information_request_send(case=case, requested_by=case.built_by.decision_maker, question="Q")
    assert list(selectors.information_requests_for(case.built_by.first_responder)) == [request]
    assert not selectors.information_requests_for(make_user(Role.FIRST_RESPONDER, "salvation-army")).exists()


def test_queue_filters_from_a_query_ignore_nonsense() -> None:
    from django.http import QueryDict

    filters = selectors.QueueFilters.from_query(QueryDict("stage=zzz&child=maybe&age=old&allocation=x&rg_due=q"))
    assert filters == selectors.QueueFilters()
    parsed = selectors.QueueFilters.from_query(QueryDict("stage=awaiting_cg&child=yes&safety_risk=yes&age=1m_3m"))
    assert parsed.as_query() == {"stage": "awaiting_cg", "child": "yes", "safety_risk": "yes", "age": "1m_3m"}


def test_age_bands_cover_every_age() -> None:
    edges = [(low, high) for _, low, high in selectors.AGE_BANDS]
    assert edges[0][0] == 0
    assert edges[-1][1] is None
    assert all(a[1] == b[0] for a, b in itertools.pairwise(edges))
