"""Two submits of the same draft at the same moment create one case (PostgreSQL: row locks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from nrm.accounts.models import User
from nrm.cases.models import Case
from nrm.notify.models import OutboxMessage
from nrm.referrals.models import Referral
from nrm.referrals.services import referral_submit
from nrm.testing import sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent submits are tested on PostgreSQL (the suite's PostgreSQL pass runs this test)")


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released at the same instant; each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # reported by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_concurrent_submits_create_one_case(first_responder: User, make_draft: Callable[..., Referral]) -> None:
    on_postgres()
    referral = make_draft(first_responder, "child")

    def submit() -> Any:
        return referral_submit(referral=Referral.objects.get(pk=referral.pk), actor=first_responder)

    results = run_together(submit, submit)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(r.already_submitted for r in results) == [False, True]
    assert results[0].case.pk == results[1].case.pk
    assert Case.objects.filter(referral=referral).count() == 1
    # Once each: the crime referral, the safeguarding notification, the guardian service (the test
    # child lives where guardians work) and the receipt.
    kinds = sorted(OutboxMessage.objects.filter(about_id=str(referral.pk)).values_list("kind", flat=True))
    assert kinds == sorted(["crime_referral", "safeguarding", "guardian", "receipt"])


def test_a_double_click_on_send_creates_one_case(first_responder: User, make_draft: Callable[..., Referral]) -> None:
    on_postgres()
    referral = make_draft(first_responder, "adult")
    clients = [sign_in(Client(), first_responder), sign_in(Client(), first_responder)]
    url = reverse("referrals:submit", kwargs={"referral_id": referral.pk})
    responses = run_together(*(lambda c=c: c.post(url) for c in clients))
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {reverse("referrals:confirmation", kwargs={"referral_id": referral.pk})}
    assert Case.objects.filter(referral=referral).count() == 1
