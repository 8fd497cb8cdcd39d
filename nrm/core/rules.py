"""Casework date rules, written once: the RG target date, the recovery period, move-on support,
the independent review a negative decision gets, and what a decision records about the policy it
was made under.

Every function here is pure (data in, answer out, no database) and reads its numbers from the
dated policy registry (:mod:`nrm.core.policy`), so a 2021 case is decided by 2021 rules and a
policy change is one row in ``nrm/core/data/policy.csv``. Services, letters, jobs, synthetic data
and test builders call these functions; vectorised code uses ``policy.schedule(key)`` for the same
dated values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from nrm.core import policy
from nrm.core.workdays import add_working_days, working_days_between


@dataclass(frozen=True, kw_only=True)
class Period:
    """A period of ``days`` calendar days from ``start``. ``end`` is ``start + days``: the day the
    period has run (a conclusive grounds decision may be made on the recovery period's end; a
    provider may end support on the move-on period's end)."""

    start: date
    end: date
    days: int

    def has_run(self, *, on: date) -> bool:
        return on >= self.end


def _period(start: date, days: int) -> Period:
    if days < 0:
        raise ValueError("A period cannot have a negative length")
    return Period(start=start, end=start + timedelta(days=days), days=days)


# --- Reasonable grounds ---------------------------------------------------------------------


@dataclass(frozen=True)
class RgTargetRule:
    """How long the reasonable grounds decision may take: ``days`` working days of the case's
    nation (the competent authority's target) or ``days`` calendar days (a devolved children's
    decision panel's)."""

    days: int
    working: bool

    @property
    def unit(self) -> str:
        return "working days" if self.working else "days"

    def due(self, referred_on: date, nation: str) -> date:
        if self.working:
            return add_working_days(referred_on, self.days, nation)
        return referred_on + timedelta(days=self.days)

    def taken(self, referred_on: date, decided_on: date, nation: str) -> int:
        """Days of the rule's kind from the referral to ``decided_on`` (negative if before)."""
        if self.working:
            return working_days_between(referred_on, decided_on, nation)
        return (decided_on - referred_on).days


def rg_target_rule(*, referred_on: date, decided_by_panel: bool = False) -> RgTargetRule:
    """The RG target in force for a referral made on ``referred_on``: a children's decision
    panel's calendar days (ADR 0028), else the competent authority's working days."""
    if decided_by_panel:
        return RgTargetRule(policy.child_panel_rg_target_days(on=referred_on), working=False)
    return RgTargetRule(policy.rg_target_working_days(on=referred_on), working=True)


def rg_target_date(*, referred_on: date, nation: str, decided_by_panel: bool = False) -> date:
    """The date a reasonable grounds decision is due: the policy's working days after the
    referral, counting the bank holidays of the case's nation, or a children's decision panel's
    calendar days."""
    return rg_target_rule(referred_on=referred_on, decided_by_panel=decided_by_panel).due(referred_on, nation)


def rg_guidance_version(*, on: date) -> str:
    """The reasonable grounds guidance a decision made on ``on`` is made under."""
    return policy.value("rg_guidance_version", on=on)


# --- Duty to Notify -------------------------------------------------------------------------------


def duty_to_notify_applies(*, nation: str, on: date) -> bool:
    """Whether a public authority in ``nation`` must notify the Home Office, anonymously, of an adult
    who does not consent to a referral (in England and Wales since 1 November 2015)."""
    return policy.value(f"duty_to_notify.{nation}", on=on) == "yes"


# --- Recovery period and move-on support -------------------------------------------------------


def recovery_period(*, rg_date: date, days: int | None = None, nation: str | None = None) -> Period:
    """The recovery period after a positive RG on ``rg_date``: the policy's minimum in force that
    day in the case's ``nation``, or ``days`` where the case already recorded it (the value at the
    time of the decision)."""
    return _period(rg_date, policy.recovery_period_days(on=rg_date, nation=nation) if days is None else days)


@lru_cache(maxsize=1)
def shortest_recovery_period_days() -> int:
    """The shortest recovery period the policy has ever set: a safe first filter for jobs."""
    return min(int(step.value) for step in policy.schedule("recovery_period_days"))


def move_on_period(*, cg_date: date, starts_on: date | None = None) -> Period:
    """Move-on support after a positive CG made on ``cg_date``: the policy's minimum in force that
    day, from ``starts_on`` (the day the decision was served; the decision date if not given)."""
    return _period(starts_on or cg_date, policy.move_on_support_min_days(on=cg_date))


def move_on_until(*, cg_date: date, starts_on: date | None = None) -> date:
    """The earliest day move-on support may end without a permitted reason."""
    return move_on_period(cg_date=cg_date, starts_on=starts_on).end


# --- Independent review -----------------------------------------------------------------------


class ReviewRoute(StrEnum):
    PANEL = "panel"
    SECOND_LINE = "second_line"
    NONE = "none"


def review_route(*, decided_on: date) -> ReviewRoute:
    """Which independent review the policy gave negative decisions made on ``decided_on``:
    a Multi-Agency Assurance Panel, a second-line review, or none (before any policy)."""
    try:
        return ReviewRoute(policy.independent_review_mode(on=decided_on))
    except policy.PolicyNotInForce:
        return ReviewRoute.NONE


# --- What a decision records --------------------------------------------------------------------


class DecidedCase(Protocol):
    """The facts of a case a decision's policy snapshot needs (a Case, saved or not)."""

    @property
    def received_on(self) -> date: ...
    @property
    def nation(self) -> str: ...
    @property
    def rg_target_date(self) -> date: ...
    @property
    def rg_date(self) -> date | None: ...
    @property
    def recovery_period_days(self) -> int | None: ...
    @property
    def decision_panel_id(self) -> Any: ...


def decision_policy_snapshot(*, case: DecidedCase, stage: str, positive: bool, decided_on: date,
                             standard_code: str) -> dict[str, Any]:
    """The policy a decision was made under, stored with it (JSON): for an RG decision the target
    and whether it was met, the guidance version and, when positive, the recovery period; for a CG
    decision the recovery period it followed and, when negative, the independent review route.

    For a CG decision ``case`` carries the positive RG it follows; for an RG decision its RG facts
    are not read (the decision being recorded sets them)."""
    if stage == "RG":
        return _rg_snapshot(case, positive=positive, decided_on=decided_on, standard_code=standard_code)
    if stage == "CG":
        return _cg_snapshot(case, positive=positive, decided_on=decided_on, standard_code=standard_code)
    raise ValueError(f"Unknown decision stage {stage!r}: use 'RG' or 'CG'")


def _rg_snapshot(case: DecidedCase, *, positive: bool, decided_on: date, standard_code: str) -> dict[str, Any]:
    target = rg_target_rule(referred_on=case.received_on, decided_by_panel=case.decision_panel_id is not None)
    taken = target.taken(case.received_on, decided_on, case.nation)
    counts = ({"rg_target_working_days": target.days, "working_days_from_referral": taken} if target.working
              else {"rg_target_days": target.days, "days_from_referral": taken})
    snapshot: dict[str, Any] = {
        "standard": standard_code,
        "rg_guidance_version": rg_guidance_version(on=decided_on),
        **counts,
        "rg_target_date": case.rg_target_date.isoformat(),
        "within_target": taken <= target.days,
    }
    if positive:
        snapshot["recovery_period_days"] = recovery_period(rg_date=decided_on, nation=case.nation).days
    return snapshot


def _cg_snapshot(case: DecidedCase, *, positive: bool, decided_on: date, standard_code: str) -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        "standard": standard_code,
        "recovery_period_days": case.recovery_period_days,
        "days_from_rg": (decided_on - case.rg_date).days if case.rg_date else None,
    }
    if not positive:
        snapshot["independent_review_mode"] = review_route(decided_on=decided_on).value
    return snapshot


def public_order_disqualification_applies(*, on: date) -> bool:
    """Whether a person may be disqualified on public order or bad faith grounds on ``on``
    (Nationality and Borders Act 2022, s.63, from 30 January 2023; dated policy)."""
    return policy.value("public_order_disqualification", on=on) == "yes"


# --- Children: devolved decision panels and guardians -------------------------------------------


def days_before_18th_birthday(*, date_of_birth: date, on: date) -> int:
    """Days from ``on`` to the person's 18th birthday (negative once they are 18). A birthday on
    29 February falls on 1 March in a year that has none."""
    year = date_of_birth.year + 18
    try:
        birthday = date_of_birth.replace(year=year)
    except ValueError:
        birthday = date(year, 3, 1)
    return (birthday - on).days


@dataclass(frozen=True, kw_only=True)
class ChildInArea:
    """What decides who decides a child's case: where the child lives (the GSS code of the authority
    that runs children's services there, and its nation), when the referral came, and what is known
    of the child's age."""

    area: str | None
    nation: str | None
    referred_on: date
    date_of_birth: date | None = None
    age_disputed: bool = False


def child_decision_panel(child: ChildInArea) -> str | None:
    """The organisation (slug) of the devolved children's decision panel that makes the reasonable
    and conclusive grounds decisions on ``child``'s case, or None: the competent authority decides.

    Dated, per-area policy (``child_decision_panel.AREA``): a pilot site decides for the children
    of its area referred on or after it joined, who are more than the policy's days from their 18th
    birthday (when the date of birth is known), and, while the policy says so, whose age is not
    disputed."""
    panel = policy.for_area("child_decision_panel", area=child.area, nation=None, on=child.referred_on)
    if panel is None:
        return None
    if child.age_disputed and policy.value("child_decision_panel_age_disputed", on=child.referred_on) == "no":
        return None
    if child.date_of_birth is not None:
        left = days_before_18th_birthday(date_of_birth=child.date_of_birth, on=child.referred_on)
        if left <= policy.int_value("child_decision_panel_min_days_to_18", on=child.referred_on):
            return None
    return panel


def child_decision_panels() -> frozenset[str]:
    """Every organisation the policy has named as a children's decision panel."""
    return policy.values_of("child_decision_panel")


def child_guardian_service(*, area: str | None, nation: str | None, on: date) -> str | None:
    """The organisation (slug) of the guardian service covering where a child lives on ``on``:
    Independent Child Trafficking Guardians in their areas of England and Wales, Scotland's
    guardianship service, Northern Ireland's Independent Guardian Service; None where no service
    covers the area (dated, per-area policy ``child_guardian_service.AREA`` or ``.nation``)."""
    return policy.for_area("child_guardian_service", area=area, nation=nation, on=on)
