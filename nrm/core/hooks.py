"""Hooks: how a domain tells later domains that something happened, without importing them.

The arrows between domains go one way: ``reviews`` and ``support`` import ``cases``, never the
reverse. Some steps need those later domains to act in the same transaction:

- a referral is submitted           -> ``cases`` opens its case (``cases.intake.case_open``);
- a negative decision is proposed  -> ``reviews`` opens a panel or second-line review;
- a decision is served              -> ``support`` opens a support referral (positive RG) or
                                       computes move-on support (positive CG);
- a case is withdrawn, or the person
  disqualified                      -> ``support`` ends the person's live support referrals.

Concluding a review needs no hook: it starts in ``reviews`` (``review_conclude``), which calls
the cases service that serves the decision or refers the case back. The flow goes one way.

The cases service emits the hook; the later domain connects its receiver in ``AppConfig.ready``::

    # nrm/cases/services.py, inside the service's transaction
    hooks.negative_decision_proposed.emit(hooks.DecisionEvent(decision=decision, on=decision.decided_on,
                                                              actor=decision_maker))

    # nrm/reviews/apps.py
    hooks.negative_decision_proposed.connect(receivers.open_review)

Receivers run synchronously, in the emitter's transaction, in the order they were connected. A
receiver that raises (a ``ServiceError`` for a rule, anything else for a fault) rolls back the
change that emitted the hook: a negative decision never exists without its review. Receivers
must be idempotent: emitting the same event twice does no more than emitting it once.

This is not Django's signals: the hooks are few, named, typed, and carry no business rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class DecisionEvent:
    """A decision reached a step. ``decision`` is a ``nrm.cases.models.Decision``; ``on`` the date
    the step happened by the service's clock (its ``decided_on`` / ``today``), not the wall clock."""

    decision: Any
    on: date
    actor: Any = None


@dataclass(frozen=True)
class ReferralEvent:
    """A referral reached a step. ``referral`` is a ``nrm.referrals.models.Referral``."""

    referral: Any
    actor: Any


@dataclass(frozen=True)
class CaseEvent:
    """A case ended short of a decision. ``case`` is a ``nrm.cases.models.Case``; ``outcome`` is
    ``withdrawn`` or ``disqualified``; ``on`` the date it happened."""

    case: Any
    outcome: str
    on: date
    actor: Any = None


class Hook[E]:
    """A named point other domains may listen to. ``emit`` calls every receiver in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: dict[str, Callable[[E], None]] = {}

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {', '.join(self._receivers) or 'no receivers'}>"

    def connect(self, receiver: Callable[[E], None]) -> Callable[[E], None]:
        """Add ``receiver`` (once: connecting the same function again replaces it). Usable as a decorator."""
        self._receivers[f"{receiver.__module__}.{receiver.__qualname__}"] = receiver
        return receiver

    def disconnect(self, receiver: Callable[[E], None]) -> None:
        self._receivers.pop(f"{receiver.__module__}.{receiver.__qualname__}", None)

    @property
    def receivers(self) -> tuple[Callable[[E], None], ...]:
        return tuple(self._receivers.values())

    def emit(self, event: E) -> None:
        for receiver in list(self._receivers.values()):
            receiver(event)

    @contextmanager
    def muted(self) -> Iterator[None]:
        """For tests of the emitting domain alone: no receiver runs inside the block."""
        saved = self._receivers
        self._receivers = {}
        try:
            yield
        finally:
            self._receivers = saved


referral_submitted: Hook[ReferralEvent] = Hook("referral_submitted")
negative_decision_proposed: Hook[DecisionEvent] = Hook("negative_decision_proposed")
decision_served: Hook[DecisionEvent] = Hook("decision_served")
case_ended: Hook[CaseEvent] = Hook("case_ended")
