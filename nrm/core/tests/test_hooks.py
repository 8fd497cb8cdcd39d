"""The hook registry: named, typed, synchronous, and a receiver's failure reaches the emitter."""

from __future__ import annotations

from datetime import date

import pytest

from nrm.core.hooks import DecisionEvent, Hook


def test_receivers_run_in_order_once_each_and_can_be_muted() -> None:
    hook: Hook[DecisionEvent] = Hook("test")
    seen: list[str] = []

    def first(event: DecisionEvent) -> None:
        seen.append(f"first {event.on}")

    def second(event: DecisionEvent) -> None:
        seen.append("second")

    hook.connect(first)
    hook.connect(second)
    hook.connect(first)  # connecting again does not add it twice
    hook.emit(DecisionEvent(decision=None, on=date(2021, 6, 1)))
    assert seen == ["first 2021-06-01", "second"]
    with hook.muted():
        hook.emit(DecisionEvent(decision=None, on=date(2021, 6, 2)))
    assert len(seen) == 2
    hook.disconnect(second)
    assert hook.receivers == (first,)


def test_a_failing_receiver_fails_the_emitter() -> None:
    hook: Hook[DecisionEvent] = Hook("test")

    def refuse(event: DecisionEvent) -> None:
        raise ValueError("no")

    hook.connect(refuse)
    with pytest.raises(ValueError, match="no"):
        hook.emit(DecisionEvent(decision=None, on=date(2024, 1, 1)))


def test_the_domains_connect_their_receivers() -> None:
    from nrm.core import hooks

    names = {f"{r.__module__}.{r.__name__}" for h in (hooks.negative_decision_proposed, hooks.decision_served)
             for r in h.receivers}
    assert {"nrm.reviews.services.on_negative_decision_proposed", "nrm.support.services.on_decision_served"} <= names
    # Concluding a review goes reviews -> cases directly: there is no hook back into reviews.
    assert not hasattr(hooks, "review_concluded")
