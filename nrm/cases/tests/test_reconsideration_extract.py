"""Requests to reconsider a negative decision in the statistics extract: one row per request made by
the extract date, with the fresh decision once it is served by then."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.analytics import extract_io
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Outcome, ReconsiderationRequest
from nrm.cases.tests.factories import make_case, make_staff, review_conclude, rg_decide
from nrm.stats.db_extract import build_extract, referral_pseudonym


def _requested_on(case: Case, day: date) -> None:
    """Date the case's request (made today by the factory) as if it had been made on ``day``."""
    made = timezone.make_aware(datetime.combine(day, time(10, 30)))
    ReconsiderationRequest.objects.filter(case=case).update(created_at=made)


def _another_caseworker() -> User:
    """The fresh decision is taken by a decision maker other than the one who made the last."""
    return make_staff(Role.CASEWORKER, "sca")


@pytest.mark.django_db
def test_requests_and_fresh_decisions_are_counted_in_the_statistics_extract(tmp_path: Path) -> None:
    today = timezone.localdate()
    decided = make_case(State.RG_RECONSIDERATION, received_on=today - timedelta(days=30),
                        rg_decided_on=today - timedelta(days=25))
    _requested_on(decided, today - timedelta(days=10))
    rg_decide(decided, _another_caseworker(), Outcome.POSITIVE, on=today - timedelta(days=2))
    waiting = make_case(State.CG_RECONSIDERATION)
    requested_today = timezone.localdate(ReconsiderationRequest.objects.get(case=waiting).created_at)

    rows = build_extract(as_of=today).reconsiderations.to_pylist()
    assert rows == [
        {"referral_id": referral_pseudonym(decided.reference), "stage": "Reasonable Grounds",
         "requested_date": today - timedelta(days=10), "outcome": "Positive", "outcome_date": today - timedelta(days=2)},
        {"referral_id": referral_pseudonym(waiting.reference), "stage": "Conclusive Grounds",
         "requested_date": requested_today, "outcome": None, "outcome_date": None},
    ]
    # On an earlier date the fresh decision had not been made, and the request made today not at all.
    earlier = build_extract(as_of=today - timedelta(days=5)).reconsiderations.to_pylist()
    assert earlier == [
        {"referral_id": referral_pseudonym(decided.reference), "stage": "Reasonable Grounds",
         "requested_date": today - timedelta(days=10), "outcome": None, "outcome_date": None},
    ]
    assert build_extract(as_of=today - timedelta(days=11)).reconsiderations.num_rows == 0
    # Every row's referral is in the same extract.
    extract = build_extract(as_of=today)
    assert set(extract.reconsiderations.column("referral_id").to_pylist()) <= set(
        extract.referrals.column("referral_id").to_pylist())


@pytest.mark.django_db
def test_a_fresh_negative_decision_counts_once_its_review_agrees() -> None:
    today = timezone.localdate()
    case = make_case(State.RG_RECONSIDERATION, received_on=today - timedelta(days=30),
                     rg_decided_on=today - timedelta(days=25))
    _requested_on(case, today - timedelta(days=10))
    rg_decide(case, _another_caseworker(), Outcome.NEGATIVE, on=today - timedelta(days=3))
    (row,) = build_extract(as_of=today).reconsiderations.to_pylist()
    assert (row["outcome"], row["outcome_date"]) == (None, None), "proposed, waiting for its review"
    review_conclude(case, case.built_by.senior, agree=True, rationale="Agreed.", on=today)
    (row,) = build_extract(as_of=today).reconsiderations.to_pylist()
    assert (row["outcome"], row["outcome_date"]) == ("Negative", today - timedelta(days=3))
    (row,) = build_extract(as_of=today - timedelta(days=1)).reconsiderations.to_pylist()
    assert row["outcome"] is None, "served after that date"


@pytest.mark.django_db
def test_the_extract_with_reconsiderations_passes_the_importers_validation(tmp_path: Path) -> None:
    today = timezone.localdate()
    case = make_case(State.RG_RECONSIDERATION, received_on=today - timedelta(days=30),
                     rg_decided_on=today - timedelta(days=25))
    rg_decide(case, _another_caseworker(), Outcome.POSITIVE, on=today)
    make_case(State.CG_RECONSIDERATION)
    make_case(State.RG_RECONSIDERATION)
    extract = build_extract(as_of=today)
    # A decision being reconsidered still stands: the case is concluded until the fresh decision.
    assert sorted(extract.referrals.column("status").to_pylist()) == ["Awaiting CG", "Concluded", "Concluded"]
    extract_io.write_extract(build_extract(as_of=today), tmp_path / "extract.parquet")
    assert extract_io.validate(tmp_path / "extract.parquet") == []
