"""The counting of bench/load.py's fault run (referrals and messages lost or duplicated), so that
a change to the service or to the bench cannot make it pass without counting: the ledger and
the counts from made-up inputs, then from referrals submitted through the service."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.notify.models import MessageKind, MessageStatus, OutboxMessage
from nrm.reference.models import Organisation
from nrm.referrals import services
from nrm.referrals.tests.answer_sets import ADULT, CHILD

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def load() -> Any:
    """bench/load.py as a module (it imports bench/_common.py, beside it)."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_load", BENCH / "load.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_load"] = module  # its dataclasses look their module up by name
        spec.loader.exec_module(module)
    finally:
        if str(BENCH) in sys.path:
            sys.path.remove(str(BENCH))
    return module


def test_the_ledger_keeps_each_submit_and_whether_it_was_accepted(load: Any) -> None:
    ledger = load.Ledger()
    for draft in ("a", "b", "c", "d"):
        ledger.attempt(draft)
    ledger.answer("a", 302, "/referrals/a/sent")
    ledger.answer("b", 400, "")  # refused: answered, not accepted
    ledger.answer("c", 302, "/referrals/other/sent")  # not this draft's confirmation
    assert ledger.unanswered() == ["d"]
    assert ledger.accepted() == {"a"}
    ledger.attempt("d")  # pressed again after the kill
    ledger.answer("d", 302, "/referrals/d/sent")
    assert ledger.unanswered() == []
    assert ledger.accepted() == {"a", "d"}
    assert ledger.submits["d"].attempts == 2


def test_referrals_lost_duplicated_and_unconfirmed_are_counted(load: Any) -> None:
    ledger = load.Ledger()
    for draft in ("a", "b", "c", "e"):
        ledger.attempt(draft)
        ledger.answer(draft, 302, f"/referrals/{draft}/sent")
    ledger.attempt("f")  # no answer, and none after pressing again
    # "b" has no case (lost), "c" two cases, "a" a crime referral twice, "d" submitted but never
    # confirmed, and one referral from no draft in the ledger.
    count = load.referral_count(ledger, {"a": 1, "b": 0, "c": 2, "d": 1, "e": 1}, 1,
                                {("a", "crime_referral"): 2, ("c", "crime_referral"): 1})
    assert (count.attempted, count.accepted, count.unanswered, count.rows) == (5, 4, 1, 5)
    assert (count.lost, count.duplicated, count.not_confirmed) == (1, 3, 1)
    assert not count.ok()
    clean = load.referral_count(ledger, {"a": 1, "b": 1, "c": 1, "e": 1}, 0, {("a", "crime_referral"): 1})
    assert (clean.lost, clean.duplicated) == (0, 0)
    assert not clean.ok(), "a submit left without an answer is not a clean run"


def test_messages_lost_unsent_and_delivered_twice_are_counted(load: Any) -> None:
    statuses = {"m1": ("sent", True), "m2": ("sent", True), "m3": ("pending", True), "m4": ("sent", False),
                "m5": ("failed", False)}
    count = load.message_count(statuses, {"m1", "other"}, ["m1", "m1", "other"], 2)
    assert (count.messages, count.by_email, count.delivered) == (5, 3, 1)
    assert count.lost == 3, "m2 and m3 never delivered, m5 never sent"
    assert (count.delivered_twice, count.repeats_caught_by_key, count.unsent) == (1, 2, 2)
    assert not count.ok()
    clean = load.message_count({"m1": ("sent", True), "m4": ("sent", False)}, {"m1"}, ["m1"], 1)
    assert (clean.lost, clean.delivered_twice, clean.unsent) == (0, 0, 0)
    assert clean.ok(), "a repeat refused by the idempotency key is not a second delivery"


@pytest.mark.django_db
def test_the_database_counts_read_what_the_service_wrote(load: Any, make_user: Callable[..., User]) -> None:
    author = make_user(Role.FIRST_RESPONDER, organisation="police-e23000001", email=f"7{load.FIRST_RESPONDERS}")
    other = make_user(Role.FIRST_RESPONDER, organisation="police-e23000001")
    organisation = Organisation.objects.get(slug="police-e23000001")
    started = timezone.now()
    ledger = load.Ledger()
    submitted = []
    for answers in (CHILD, ADULT, ADULT):
        draft = services.referral_start(actor=author, organisation=organisation)
        draft.answers = {**answers}
        draft.save(update_fields=["answers"])
        services.referral_submit(referral=draft, actor=author)
        services.referral_submit(referral=draft, actor=author)  # pressed twice: nothing new
        submitted.append(str(draft.pk))
    for pk in submitted[:2]:  # the third was submitted from a draft the ledger never saw
        ledger.attempt(pk)
        ledger.answer(pk, 302, f"/referrals/{pk}/sent")

    elsewhere = services.referral_start(actor=other, organisation=organisation)  # not one of the run's
    elsewhere.answers = {**ADULT}
    elsewhere.save(update_fields=["answers"])
    services.referral_submit(referral=elsewhere, actor=other)

    cases, extra, messages = load._database_counts(started, load.FIRST_RESPONDERS, ledger)
    assert cases == dict.fromkeys(submitted, 1)
    assert extra == 1
    assert messages[submitted[0], MessageKind.SAFEGUARDING] == 1
    assert all(n == 1 for n in messages.values())
    count = load.referral_count(ledger, cases, extra, messages)
    assert (count.accepted, count.rows, count.lost, count.duplicated, count.not_confirmed) == (2, 3, 0, 1, 1)

    statuses = load._message_statuses(started)
    assert set(statuses) == {str(pk) for pk in OutboxMessage.objects.values_list("pk", flat=True)}, "all since start"
    OutboxMessage.objects.update(status=MessageStatus.SENT)
    assert load._wait_sent(started, 0.0) == 0
