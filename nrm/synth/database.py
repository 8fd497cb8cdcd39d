"""Fill the service's database with synthetic referrals and their cases, through the models.

:func:`synth_into_db` generates referrals with :mod:`nrm.analytics.synthetic.extract` (calibrated to the
published statistics) and people with :mod:`nrm.analytics.synthetic.people`, then writes, for each referral,
what the service itself would have written had a first responder made it and the competent
authority decided it on the generated dates:

* a submitted :class:`~nrm.referrals.models.Referral` whose ``answers`` use the journey's own
  question names (so the case page and the copy of the referral show them), with the structured
  fields filled as ``_nrm_submit`` fills them;
* its :class:`~nrm.cases.models.Case`, moved through the lifecycle table step by step
  (``next_state`` with its guards, one :class:`~nrm.cases.models.StatusChange` per step), with
  the :class:`~nrm.cases.models.Decision` rows, the recovery period of the policy in force on
  the RG date, and the working-day RG target;
* the independent review of every negative decision (second-line for RGs; for CGs a
  Multi-Agency Assurance Panel or a second-line review, as the policy on the decision date says);
* support: a referral to the provider after a positive RG, its episodes and recovery needs
  assessments, and move-on support of at least the policy minimum after a positive CG;
* the crime referral (and, for a child, the safeguarding notification) sent to partners;
* anonymous Duty to Notify reports;
* one audit event per case (``case.synthesised``) through ``audit_record``, so the chain stays valid.

Everything is written in one transaction with ``bulk_create``. The same seed gives the same
references, states, dates, names and primary keys. It refuses to run in production, and refuses
(before writing anything) when a reference it would create is already in the database.
"""

from __future__ import annotations

import csv
import random
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from nrm.analytics.synthetic.cli import SynthArgumentError
from nrm.analytics.synthetic.people import NATIONALITY_LOCALES
from nrm.core import rules
from nrm.core.keys import data_keys_give

__all__ = ["SYNTHETIC_EMAIL_DOMAIN", "SynthRefused", "synth_into_db"]

SYNTHETIC_EMAIL_DOMAIN = "synthetic.invalid"
OTHER_FIRST_RESPONDER_SLUG = "synthetic-other-first-responder"
PSNI_CODE = "N23000001"
DEFAULT_FORCE_CODE = "E23000001"  # Metropolitan Police: crime referrals from national bodies with no area
LA_TABLE_FROM = date(2019, 4, 1)  # the local authority reference table is complete from this date

AGE_CODES = {"Adult (18 or over)": "adult", "Child (17 or under)": "child", "Not specified or unknown": "unknown"}
GENDER_CODES = {"Female": "female", "Male": "male", "Other": "other", "Not specified or unknown": "unknown"}
LOCATION_CODES = {"UK": "uk", "Overseas": "overseas", "UK and Overseas": "both", "Not specified or unknown": "unknown"}
SUPPORT_KINDS = {"Accommodation": "accommodation", "Outreach": "outreach", "Financial": "financial",
                 "Legal advice": "legal_advice", "Counselling": "counselling", "Interpreter": "interpreter"}
ASSESSMENT_KIND = "Recovery needs assessment"

# A handful of decision makers and panellists: (competent authority, caseworkers, seniors). Each
# children's decision panel (rules.child_decision_panels) gets PANEL_DECISION_MAKERS.
DECISION_MAKERS = (("sca", 5, 2), ("ieca", 3, 2))
PANEL_DECISION_MAKERS = (1, 1)


def later_cg_day(cg_day: date | None, recovery_ends: date, end: date) -> date | None:
    """The day of a generated CG decision where the case's own recovery period ends later than the
    generator assumed: no earlier than that end, and None if that is after ``end``."""
    if cg_day is None or cg_day >= recovery_ends:
        return cg_day
    return recovery_ends if recovery_ends <= end else None


def decider(case: Any) -> str:
    """Whose staff decide ``case``: its children's decision panel (by slug) or its competent authority."""
    return str(case.decision_panel.slug if case.decision_panel is not None else case.competent_authority)
# Panellists: (email local part, role, home organisation slug). A panel is a chair and two members,
# each from a different organisation and sector.
PANELLISTS = (
    ("chair.1", "panel_chair", "unseen"),
    ("chair.2", "panel_chair", "hsct-belfast"),
    ("member.1", "panel_member", "police-e23000001"),
    ("member.2", "panel_member", "police-e23000006"),
    ("member.3", "panel_member", "la-e09000007"),
    ("member.4", "panel_member", "la-e08000003"),
)

JOB_TITLES = {
    "Police": ("Detective Constable", "Police Sergeant", "Modern slavery single point of contact"),
    "Local authority": ("Social worker", "Modern slavery lead", "Children's services practitioner"),
    "Government agency": ("Immigration officer", "Safeguarding officer", "Higher executive officer"),
    "NGO and third sector": ("Support worker", "Caseworker", "Outreach worker"),
    "Health and social care": ("Social worker", "Safeguarding nurse"),
    "Other": ("Safeguarding lead",),
}
LANGUAGE_BY_LOCALE = {
    "sq": "Albanian", "vi": "Vietnamese", "am": "Tigrinya", "ar": "Arabic", "fa": "Farsi", "bn": "Bengali",
    "si": "Sinhala", "ne": "Nepali", "zh": "Mandarin", "tw": "Twi", "sw": "Swahili", "zu": "Zulu",
    "fil": "Tagalog", "th": "Thai", "id": "Indonesian", "ja": "Japanese", "ko": "Korean", "ro": "Romanian",
    "pl": "Polish", "cs": "Czech", "sk": "Slovak", "hu": "Hungarian", "bg": "Bulgarian", "lt": "Lithuanian",
    "lv": "Latvian", "et": "Estonian", "uk": "Ukrainian", "ru": "Russian", "ka": "Georgian", "hy": "Armenian",
    "az": "Azerbaijani", "uz": "Uzbek", "tr": "Turkish", "el": "Greek", "it": "Italian", "es": "Spanish",
    "pt": "Portuguese", "fr": "French", "nl": "Dutch", "de": "German", "da": "Danish", "sv": "Swedish",
    "no": "Norwegian", "fi": "Finnish", "hr": "Croatian", "sl": "Slovenian", "bs": "Bosnian",
    "mk": "Macedonian", "mt": "Maltese", "he": "Hebrew",
}
LANGUAGE_BY_NATIONALITY = {
    "Eritrean": "Tigrinya", "Sudanese": "Arabic", "Iraqi": "Kurdish Sorani", "Afghan": "Pashto",
    "Iranian": "Farsi", "Indian": "Punjabi", "Pakistani": "Urdu", "Chinese": "Mandarin",
    "Ethiopian": "Amharic", "Nigerian": "English", "Ghanaian": "English", "Kenyan": "English",
    "Filipino": "Tagalog", "Kosovan": "Albanian", "Moldovan": "Romanian", "Syrian": "Arabic",
    "Egyptian": "Arabic", "Kuwaiti": "Arabic", "Somali": "Somali", "Citizen of Bosnia and Herzegovina": "Bosnian",
}
TRANSIT_COUNTRIES = ("FR", "IT", "GR", "LY", "TR", "BE", "DE", "ES", "NL", "RS")
OTHER_EXPLOITATION = ("Forced begging", "Forced marriage", "Benefit fraud", "Forced to claim benefits for others")
WITHDRAWAL_REASONS = ("The person withdrew their consent to the referral.",
                      "The person told their support worker they no longer want to be in the NRM.",
                      "The first responder asked for the referral to be withdrawn: it was made in error.")
SUSPENSION_REASONS = ("The person is missing: the support provider has not been able to contact them for 4 weeks.",
                      "The person has left their accommodation and cannot be contacted.")
DISQUALIFICATION_REASON = ("The person was convicted of an offence listed in section 63 of the Nationality and "
                           "Borders Act 2022; the threat to public order outweighs the protections of the recovery "
                           "period.")


class SynthRefused(SynthArgumentError):
    """Synthetic data cannot be loaded into this database; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def synth_into_db(*, referrals: int, seed: int, start: date = date(2019, 1, 1),
                  end: date | None = None) -> int:
    """Generate ``referrals`` synthetic referrals made ``start``..``end`` and write them, with their
    cases, decisions, reviews, support, partner messages and the matching Duty to Notify reports,
    to the database in one transaction. ``end`` (by default today) is the date the data describe:
    later events are not shown, and cases still open are as old as they would be today. Returns the
    number of referrals created."""
    if end is None:
        end = timezone.localdate()
    if settings.PRODUCTION:
        raise SynthRefused("Synthetic data cannot be loaded in production: it would mix invented people "
                           "with real ones. Use a development or test database (NRM_ENVIRONMENT).")
    if referrals < 1:
        raise SynthRefused(f"The number of referrals must be 1 or more, not {referrals}.")
    if end < start:
        raise SynthRefused(f"The end date {end} is before the start date {start}.")
    today = timezone.localdate()
    if end > today:
        raise SynthRefused(f"The end date {end} is in the future: decisions cannot be dated after today ({today}).")

    from nrm.analytics.synthetic.extract import (
        duty_to_notify_count,
        generate_duty_to_notify,
        generate_referrals,
        generate_reviews,
        generate_support,
    )
    from nrm.analytics.synthetic.people import generate_people

    table = generate_referrals(referrals, seed, start, end)
    references = table["referral_id"].to_pylist()
    _refuse_collisions(references)
    people = generate_people(table, seed).to_pylist()
    reviews = generate_reviews(table, seed, as_of=end).to_pylist()
    support = generate_support(table, seed, as_of=end).to_pylist()
    reports = generate_duty_to_notify(duty_to_notify_count(referrals, start, end), seed, start, end).to_pylist()

    with transaction.atomic():
        _refuse_collisions(references)
        loader = _Loader(seed=seed, n=referrals, start=start, end=end)
        reviews_by_ref: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for review in reviews:
            reviews_by_ref[review["referral_id"]].append(review)
        support_by_ref: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in support:
            support_by_ref[row["referral_id"]].append(row)
        for row, person in zip(table.to_pylist(), people, strict=True):
            assert row["referral_id"] == person["referral_id"]
            loader.add_referral(row, person, reviews_by_ref.get(row["referral_id"], []),
                                support_by_ref.get(row["referral_id"], []))
        for report in reports:
            loader.add_duty_to_notify(report)
        loader.save()
    return len(references)


def _refuse_collisions(references: Sequence[str]) -> None:
    from nrm.cases.models import Case
    from nrm.referrals.models import Referral

    taken: set[str] = set()
    for lo in range(0, len(references), 500):
        chunk = references[lo:lo + 500]
        taken.update(r for r in Referral.objects.filter(reference__in=chunk).values_list("reference", flat=True) if r)
        taken.update(Case.objects.filter(reference__in=chunk).values_list("reference", flat=True))
    if taken:
        first = sorted(taken)[:3]
        raise SynthRefused(
            f"{len(taken)} of the {len(references)} references this run would create are already in the database "
            f"({', '.join(first)}{', ...' if len(taken) > 3 else ''}). Synthetic references are numbered from "
            "000001 in each year, so two runs over the same years collide whatever the seed. Load into an empty "
            "database, or choose years that do not overlap the data already loaded.")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute, second)))


def _seed_of(*parts: object) -> int:
    return zlib.crc32(":".join(str(p) for p in parts).encode())


@contextmanager
def _historical_timestamps(model_classes: Iterable[type[models.Model]]) -> Iterator[None]:
    """Let ``bulk_create`` keep the ``created_at``/``updated_at`` we set (the dates the records
    describe) instead of stamping them with the time of loading."""
    switched: list[tuple[Any, str]] = []
    try:
        for model in model_classes:
            for name in ("created_at", "updated_at"):
                names = {f.name for f in model._meta.get_fields()}
                if name not in names:
                    continue
                f = model._meta.get_field(name)
                for flag in ("auto_now", "auto_now_add"):
                    if getattr(f, flag, False):
                        setattr(f, flag, False)
                        switched.append((f, flag))
        yield
    finally:
        for f, flag in switched:
            setattr(f, flag, True)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass
class _Plan:
    """What happens to one case, in order: the lifecycle replayed on the generated dates."""

    state: Any
    changes: list[dict[str, Any]] = field(default_factory=list)
    rg_date: date | None = None
    recovery_period_days: int | None = None
    cg_date: date | None = None
    last_decision_maker: Any = None
    suspended_from: str = ""
    decisions: list[dict[str, Any]] = field(default_factory=list)
    support_stop: date | None = None  # when support ends, if it has ended by the end date
    support_end_reason: str = ""
    support_end_details: str = ""
    move_on_from: date | None = None
    cg_served: bool = False
    negative_cg_served_on: date | None = None


class _CasePlanner:
    """Replays one case's lifecycle on its generated dates, each step through the case rules
    (``next_state`` raises if the rules forbid it)."""

    def __init__(self, loader: _Loader, case: Any, row: dict[str, Any], reviews: list[dict[str, Any]]) -> None:
        from nrm.cases.lifecycle import State

        self.loader, self.case, self.row, self.reviews = loader, case, row, reviews
        self.rng, self.end = loader.rng, loader.end
        self.plan = _Plan(state=State.AWAITING_RG)  # case_open routes every new case (no status change row)
        self.cg_shift = timedelta(0)  # how far the CG decision moved for a longer recovery period (later_cg_day)

    def step(self, event: Any, day: date, actor: Any, *, reason: str = "", ground: str = "") -> None:
        from nrm.cases.lifecycle import CaseFacts, Event, State, next_state

        plan = self.plan
        facts = CaseFacts(
            today=day, rg_date=plan.rg_date, recovery_period_days=plan.recovery_period_days,
            actor_id=getattr(actor, "pk", None),
            last_decision_maker_id=getattr(plan.last_decision_maker, "pk", None),
            suspended_from=State(plan.suspended_from) if plan.suspended_from else None)
        target = next_state(plan.state, event, facts)  # raises if the rules forbid the step
        plan.changes.append({"event": event.value, "from_state": plan.state.value, "to_state": target.value,
                             "actor": actor, "reason": reason, "ground": ground, "occurred_on": day})
        if event == Event.SUSPEND:
            plan.suspended_from = plan.state.value
        plan.state = target

    def decide(self, stage: Any, outcome: Any, day: date, maker: Any, reason_code: str | None) -> dict[str, Any]:
        from nrm.cases.models import DecisionStatus, Outcome

        decision = {"stage": stage, "outcome": outcome, "decided_on": day, "decided_by": maker,
                    "reason": reason_code, "status": DecisionStatus.SERVED if outcome == Outcome.POSITIVE
                    else DecisionStatus.PROPOSED, "served_on": day if outcome == Outcome.POSITIVE else None,
                    "review": None}
        self.plan.decisions.append(decision)
        self.plan.last_decision_maker = maker
        return decision

    def run(self) -> _Plan:
        from nrm.cases.lifecycle import Event
        from nrm.cases.models import Outcome, Stage

        rng, row, plan = self.rng, self.row, self.plan
        caseworker = rng.choice(self.loader.caseworkers[decider(self.case)])
        if row["rg_outcome"] is None:
            if row["status"] == "Withdrawn":
                self.step(Event.WITHDRAW, row["status_date"], caseworker, reason=rng.choice(WITHDRAWAL_REASONS))
                plan.last_decision_maker = None
            return plan

        # Reasonable grounds.
        rg_day: date = row["rg_date"]
        if row["rg_outcome"] != "Positive":
            self.negative_rg(rg_day, caseworker)
            return plan
        self.step(Event.RG_POSITIVE, rg_day, caseworker)
        self.decide(Stage.RG, Outcome.POSITIVE, rg_day, caseworker, None)
        plan.rg_date = rg_day
        plan.recovery_period_days = rules.recovery_period(rg_date=rg_day, nation=self.case.nation).days

        # The recovery period, then whatever ends it. The extract's CG day follows the UK-wide
        # recovery period; where the case's nation has a longer one (Scotland's 90 days), the CG
        # decision moves to the first day the rules allow it, or past the end (none made yet).
        cg_day = later_cg_day(row["cg_date"], rules.recovery_period(
            rg_date=rg_day, days=plan.recovery_period_days).end, self.end)
        self.cg_shift = timedelta(0) if cg_day is None or row["cg_date"] is None else cg_day - row["cg_date"]
        self.recovery_period(rg_day, cg_day)
        if cg_day is None:
            self.end_without_cg(caseworker)
        else:
            self.conclusive_grounds(cg_day)
        return plan

    def negative_rg(self, rg_day: date, caseworker: Any) -> None:
        from nrm.cases.lifecycle import Event
        from nrm.cases.models import DecisionStatus, Outcome, Stage
        from nrm.core.workdays import add_working_days
        from nrm.reviews.models import ReviewKind

        rng, plan = self.rng, self.plan
        self.step(Event.RG_NEGATIVE, rg_day, caseworker)
        decision = self.decide(Stage.RG, Outcome.NEGATIVE, rg_day, caseworker, self.row["rg_reason"])
        senior = rng.choice(self.loader.seniors[decider(self.case)])
        rg_concluded = add_working_days(rg_day, rng.randint(1, 10), self.case.nation)
        rg_review: dict[str, Any] = {"kind": ReviewKind.SECOND_LINE, "referred_on": rg_day, "outcome": None,
                                     "concluded_on": None, "concluded_by": None}
        decision["review"] = rg_review
        if rg_concluded <= self.end:
            self.step(Event.REVIEW_AGREE, rg_concluded, senior)
            rg_review.update(outcome="agree", concluded_on=rg_concluded, concluded_by=senior)
            decision.update(status=DecisionStatus.SERVED, served_on=rg_concluded)
            plan.rg_date = rg_day

    def recovery_period(self, rg_day: date, cg_day: date | None) -> None:
        """The recovery period ends if it has by the next event (or, with none, by the end date)."""
        from nrm.cases.lifecycle import Event

        status, status_day = self.row["status"], self.row["status_date"]
        recovery_ends = rules.recovery_period(rg_date=rg_day, days=self.plan.recovery_period_days).end
        next_day = cg_day if cg_day is not None else (status_day if status in {"Withdrawn", "Suspended",
                                                                               "Disqualified"} else None)
        if (next_day is not None and recovery_ends < next_day) or (next_day is None and recovery_ends <= self.end):
            self.step(Event.RECOVERY_PERIOD_ENDS, recovery_ends, None)

    def end_without_cg(self, caseworker: Any) -> None:
        """A case withdrawn, suspended or disqualified before its conclusive grounds decision."""
        from nrm.cases.lifecycle import Event

        rng, plan = self.rng, self.plan
        status, status_day = self.row["status"], self.row["status_date"]
        if status == "Withdrawn":
            self.step(Event.WITHDRAW, status_day, caseworker, reason=rng.choice(WITHDRAWAL_REASONS))
            plan.support_stop, plan.support_end_reason = status_day, "declined_support"
        elif status == "Suspended":
            self.step(Event.SUSPEND, status_day, caseworker, reason=rng.choice(SUSPENSION_REASONS))
            plan.support_stop, plan.support_end_reason = status_day, "missing"
        elif status == "Disqualified":
            self.step(Event.DISQUALIFY, status_day, rng.choice(self.loader.seniors[decider(self.case)]),
                      reason=DISQUALIFICATION_REASON, ground="public_order")
            plan.support_stop, plan.support_end_reason = status_day, "other"
            plan.support_end_details = "Disqualified from the protections of the recovery period (public order)."

    def conclusive_grounds(self, cg_day: date) -> None:
        from nrm.cases.lifecycle import Event
        from nrm.cases.models import DecisionStatus, Outcome, Stage

        plan = self.plan
        cg_maker = self.rng.choice(self.loader.caseworkers[decider(self.case)])
        if self.row["cg_outcome"] == "Positive":
            self.step(Event.CG_POSITIVE, cg_day, cg_maker)
            self.decide(Stage.CG, Outcome.POSITIVE, cg_day, cg_maker, None)
            plan.cg_date, plan.cg_served, plan.move_on_from = cg_day, True, cg_day
            return
        self.step(Event.CG_NEGATIVE, cg_day, cg_maker)
        decision = self.decide(Stage.CG, Outcome.NEGATIVE, cg_day, cg_maker, self.row["cg_reason"])
        review, reviewer, concluded, agree = self.cg_review(cg_day)
        decision["review"] = review
        if concluded is None or concluded > self.end or agree is None:
            return  # still under review on the end date
        concluded = max(concluded, review["referred_on"])
        review.update(outcome="agree" if agree else "disagree", concluded_on=concluded, concluded_by=reviewer)
        if agree:
            self.step(Event.REVIEW_AGREE, concluded, reviewer)
            decision.update(status=DecisionStatus.SERVED, served_on=concluded)
            plan.cg_date, plan.cg_served, plan.negative_cg_served_on = cg_day, True, concluded
            stop = concluded + timedelta(days=9)
            if stop <= self.end:
                plan.support_stop, plan.support_end_reason = stop, "negative_decision"
        else:
            self.step(Event.REVIEW_DISAGREE, concluded, reviewer, reason="The evidence was not weighed against the "
                      "indicators in the referral. A different decision maker should take a fresh decision.")
            decision.update(status=DecisionStatus.OVERTURNED)

    def cg_review(self, cg_day: date) -> tuple[dict[str, Any], Any, date | None, bool | None]:
        """The review of a negative CG decision: the review, its reviewer, when it concluded and whether it
        agreed (None: not concluded)."""
        from nrm.core.workdays import add_working_days
        from nrm.reviews.models import ReviewKind
        from nrm.reviews.rules import review_kind_for

        rng = self.rng
        kind = review_kind_for(stage="CG", decided_on=cg_day)
        generated = next((r for r in self.reviews if r["decision_stage"] == "CG"), None)
        review: dict[str, Any] = {"kind": kind, "referred_on": cg_day, "outcome": None, "concluded_on": None,
                                  "concluded_by": None}
        if kind == ReviewKind.PANEL:
            # The panel met 7-27 days after the decision was proposed (the generator's spacing).
            delay = (cg_day - self.cg_shift - generated["referred_date"]).days if generated else rng.randint(7, 27)
            chair = self.loader.panel_for(review)
            return review, chair, cg_day + timedelta(days=delay), True
        senior = rng.choice(self.loader.seniors[decider(self.case)])
        if generated is not None:
            review["referred_on"] = max(generated["referred_date"] + self.cg_shift, cg_day)
            agree = None if generated["outcome"] is None else generated["outcome"] == "Agree"
            concluded = generated["outcome_date"] + self.cg_shift if generated["outcome_date"] else None
            return review, senior, concluded if concluded is None or concluded <= self.end else None, (
                agree if concluded is not None and concluded <= self.end else None)
        return review, senior, add_working_days(cg_day, rng.randint(2, 15), self.case.nation), True


# ---------------------------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------------------------


class _Loader:
    """Builds every row in memory (looking reference data up once), then bulk-creates them."""

    def __init__(self, *, seed: int, n: int, start: date, end: date) -> None:
        from faker import Faker

        from nrm.reference.models import (
            Country,
            ExploitationType,
            LocalAuthority,
            NegativeDecisionReason,
            Organisation,
            PoliceForce,
        )
        from nrm.referrals.indicators import indicators_by_type

        self.seed, self.start, self.end = seed, start, end
        self.rng = random.Random(_seed_of("nrm-synth-db", seed, n, start, end))
        self._uuid_rng = random.Random(_seed_of("nrm-synth-db-ids", seed, n, start, end))
        # Allocation depends on who already works a caseload (the demo caseworkers): its own stream,
        # so everything else is the same for a seed whatever users the database already has.
        self.alloc_rng = random.Random(_seed_of("nrm-synth-db-allocation", seed, n, start, end))
        self.fake = Faker("en_GB")
        self.fake.seed_instance(_seed_of("nrm-synth-db-faker", seed))
        self._names = Faker("en_GB")

        self.organisations = {o.slug: o for o in Organisation.objects.all()}
        self.organisations_by_name = {o.name: o for o in self.organisations.values()}
        self.forces = {f.code: f for f in PoliceForce.objects.all()}
        self.forces_by_name = {f.name: f for f in self.forces.values()}
        self.local_authorities = list(LocalAuthority.objects.all().order_by("code"))
        self.las_by_force: dict[int, list[Any]] = defaultdict(list)
        self.las_by_upper: dict[str, list[Any]] = defaultdict(list)
        for la in self.local_authorities:
            self.las_by_force[la.police_force_id].append(la)
            self.las_by_upper[la.upper_tier_code].append(la)
        self.las_by_code = {la.code: la for la in self.local_authorities}
        self.countries = {c.code: c for c in Country.objects.all()}
        self.countries_by_demonym = {c.demonym: c for c in self.countries.values() if c.demonym}
        aliases = Path(__file__).resolve().parents[1] / "reference" / "data" / "nationality_aliases.csv"
        with aliases.open(newline="", encoding="utf-8") as handle:
            for alias in csv.DictReader(handle):
                country = self.countries.get(alias["country_code"])
                if country is not None:
                    self.countries_by_demonym.setdefault(alias["alias"], country)
        self.exploitation_types = {t.code: t for t in ExploitationType.objects.all()}
        self.exploitation_by_reported: dict[str, str] = {}
        for t in sorted(self.exploitation_types.values(), key=lambda t: (t.name != t.reported_as, t.code)):
            self.exploitation_by_reported.setdefault(t.reported_as, t.code)
        self.reasons = {(r.stage, r.code): r for r in NegativeDecisionReason.objects.all()}
        self.indicators = {k: [i.code for i in v] for k, v in indicators_by_type().items()}

        # Rows to create, by model.
        self.rows: dict[str, list[Any]] = defaultdict(list)
        self.cases: list[Any] = []
        self.case_audit: list[dict[str, Any]] = []
        self._users: dict[str, Any] = {}
        self._new_users: list[Any] = []
        self._memberships: set[tuple[str, str, str]] = set()
        self._new_memberships: list[tuple[Any, Any, str]] = []
        self._setup_staff()

    # --- ids, users and memberships ---------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4)

    def _org(self, slug: str) -> Any:
        organisation = self.organisations.get(slug)
        if organisation is None:
            raise SynthRefused(f"The reference organisation '{slug}' is missing: run the migrations first "
                               "(they load the reference data).")
        return organisation

    def user(self, email: str, *, role: str, organisation: Any, job_title: str = "", name_seed: str = "") -> Any:
        """The user with this email (created with an unusable password if new), with the role at
        the organisation."""
        from nrm.accounts.models import Membership, User

        user = self._users.get(email)
        if user is None:
            user = User.objects.filter(email=email).first()
            if user is None:
                fake = self._person_faker(name_seed or email)
                user = User(id=self.uuid(), email=email, full_name=f"{fake.first_name()} {fake.last_name()}",
                            job_title=job_title, phone=f"07700 900{_seed_of(email) % 1000:03d}",
                            date_joined=_at(self.start, 9))
                user.set_unusable_password()
                self._new_users.append(user)
            else:
                self._memberships.update(
                    (str(user.pk), str(m.organisation_id), m.role.name)
                    for m in Membership.objects.filter(user=user).select_related("role"))
            self._users[email] = user
        key = (str(user.pk), str(organisation.pk), role)
        if key not in self._memberships:
            self._memberships.add(key)
            self._new_memberships.append((user, organisation, role))
        return user

    def _person_faker(self, key: str) -> Any:
        """An en_GB Faker whose next names depend only on ``key`` (one instance, re-seeded)."""
        self._names.seed_instance(_seed_of("synthetic-user", key))
        return self._names

    def _setup_staff(self) -> None:
        from nrm.accounts.models import Membership

        self.caseworkers: dict[str, list[Any]] = {}
        self.seniors: dict[str, list[Any]] = {}
        # Keyed as decider() names them: a competent authority by its code, a panel by its slug.
        teams = [(slug.upper(), slug, n, m) for slug, n, m in DECISION_MAKERS] + [
            (slug, slug, *PANEL_DECISION_MAKERS) for slug in sorted(rules.child_decision_panels())]
        for key, slug, n_caseworkers, n_seniors in teams:
            organisation = self._org(slug)
            self.caseworkers[key] = [
                self.user(f"caseworker.{i}@{slug}.{SYNTHETIC_EMAIL_DOMAIN}", role="caseworker",
                          organisation=organisation, job_title="Decision maker")
                for i in range(1, n_caseworkers + 1)]
            self.seniors[key] = [
                self.user(f"senior.{i}@{slug}.{SYNTHETIC_EMAIL_DOMAIN}", role="senior_decision_maker",
                          organisation=organisation, job_title="Senior decision maker")
                for i in range(1, n_seniors + 1)]
        # Anyone else who already works a caseload (the demo caseworkers) gets some open cases.
        self.allocation_pool: dict[str, list[Any]] = {}
        for ca, synthetic in self.caseworkers.items():
            others = [m.user for m in Membership.objects.filter(
                organisation__slug=ca.lower(), role__name="caseworker", user__is_active=True,
                ends_on__isnull=True).select_related("user").order_by("user__email")
                if not m.user.email.endswith(SYNTHETIC_EMAIL_DOMAIN)]
            self.allocation_pool[ca] = [*synthetic, *others]
        maap = self._org("maap")
        self.panellists: list[tuple[Any, str, Any]] = []
        for local, role, home in PANELLISTS:
            user = self.user(f"{local}@maap.{SYNTHETIC_EMAIL_DOMAIN}", role=role, organisation=maap,
                             job_title="Panel chair" if role == "panel_chair" else "Panel member")
            self.panellists.append((user, role, self._org(home)))

    # --- reference lookups --------------------------------------------------------------------

    def organisation_named(self, name: str) -> Any:
        organisation = self.organisations_by_name.get(name)
        if organisation is not None:
            return organisation
        return self._other_first_responder()

    def _other_first_responder(self) -> Any:
        """The published tables group small first responders as 'Other first responder'; the
        reference data has no such body, so synthetic referrals from them come from this one."""
        from nrm.reference.models import Organisation

        organisation = self.organisations.get(OTHER_FIRST_RESPONDER_SLUG)
        if organisation is None:
            organisation, _ = Organisation.objects.get_or_create(
                slug=OTHER_FIRST_RESPONDER_SLUG,
                defaults={"name": "Other first responder", "short_name": "Other first responder",
                          "organisation_type": "Other", "nation": "uk", "is_first_responder": True,
                          "roles": "first_responder", "effective_from": date(2009, 4, 1)})
            self.organisations[organisation.slug] = organisation
            self.organisations_by_name[organisation.name] = organisation
        return organisation

    def force_of_organisation(self, organisation: Any) -> Any:
        slug = organisation.slug
        if slug.startswith("police-"):
            return self.forces.get(slug.removeprefix("police-").upper())
        if slug.startswith("la-"):
            code = slug.removeprefix("la-").upper()
            la = self.las_by_code.get(code) or next(iter(self.las_by_upper.get(code, [])), None)
            return self.forces_by_id(la.police_force_id) if la is not None else None
        if slug.startswith("hsct-"):
            return self.forces.get(PSNI_CODE)
        return None

    def forces_by_id(self, pk: int) -> Any:
        if not hasattr(self, "_forces_by_id"):
            self._forces_by_id = {f.pk: f for f in self.forces.values()}
        return self._forces_by_id.get(pk)

    @staticmethod
    def in_force(row: Any, day: date) -> bool:
        return bool(row.effective_from <= day and (row.effective_to is None or day < row.effective_to))

    def local_authority_for(self, day: date, *, organisation: Any, forces: Sequence[Any]) -> Any:
        """A local authority in force (on ``day``, or when the table starts) near the referral."""
        on = max(day, LA_TABLE_FROM)
        candidates: list[Any] = []
        if organisation.slug.startswith("la-"):
            candidates = [la for la in self.las_by_upper.get(organisation.slug.removeprefix("la-").upper(), [])
                          if self.in_force(la, on)]
        for force in forces:
            if not candidates and force is not None:
                candidates = [la for la in self.las_by_force.get(force.pk, []) if self.in_force(la, on)]
        if not candidates:
            candidates = [la for la in self.local_authorities if self.in_force(la, on)]
        return self.rng.choice(candidates)

    def childrens_services(self, authority: Any) -> Any:
        """The organisation that runs children's social care where the child lives (as
        ``nrm.referrals.routing.childrens_services_for``, whether or not it is still in force)."""
        from nrm.referrals.routing import childrens_services_slug

        return self.organisations.get(childrens_services_slug(authority))

    def countries_for(self, nationality: str) -> list[Any]:
        found: list[Any] = []
        for part in nationality.split(";"):
            country = self.countries_by_demonym.get(part)
            if country is not None and country not in found:
                found.append(country)
        return found or [self.countries["ZZ-UNKNOWN"]]

    def exploitation_codes(self, text: str, day: date) -> list[str]:
        codes: list[str] = []
        for part in text.split(";"):
            code = self.exploitation_by_reported.get(part, "unknown")
            if code == "unknown" and self.rng.random() < 0.3:
                code = "other"
            if not self.in_force(self.exploitation_types[code], day):
                code = "labour"  # criminal exploitation was recorded as labour before October 2019
            if code not in codes:
                codes.append(code)
        return codes

    # --- one referral ----------------------------------------------------------------------------

    def add_referral(self, row: dict[str, Any], person: dict[str, Any], reviews: list[dict[str, Any]],
                     support: list[dict[str, Any]]) -> None:
        from nrm.cases.intake import case_nation, decision_panel_slug
        from nrm.cases.models import Case
        from nrm.core import policy
        from nrm.referrals import journey
        from nrm.referrals.models import Referral, ReferralStatus

        rng = self.rng
        day: date = row["referral_date"]
        organisation = self.organisation_named(row["first_responder"])
        author = self.user(f"first-responder.{organisation.slug}@{SYNTHETIC_EMAIL_DOMAIN}",
                           role="first_responder", organisation=organisation,
                           job_title=rng.choice(JOB_TITLES.get(organisation.organisation_type, ("Caseworker",))))
        force = self.forces_by_name.get(row["police_force"]) if row["police_force"] else None
        fr_force = self.force_of_organisation(organisation) or force or self.forces[DEFAULT_FORCE_CODE]
        location = LOCATION_CODES[row["location_of_exploitation"]]
        if location in {"uk", "both"} and force is None:
            force = fr_force
        nationalities = self.countries_for(row["nationality"])
        expl_codes = self.exploitation_codes(row["exploitation_types"], day)
        born: date = person["date_of_birth"]
        age_now = _age_on(born, day)
        age_code = AGE_CODES[row["age_at_exploitation"]]
        dob_known = self.rng.random() < 0.85
        if age_code == "adult" and age_now < 18:  # a day short of 18 by the generator's rounding
            age_now, dob_known = 18, False
        if age_now < 18:
            under_18_now = "disputed" if age_code == "unknown" or rng.random() < 0.05 else "yes"
        else:
            under_18_now = "no"
        is_child = under_18_now in {"yes", "disputed"}
        ca = row["competent_authority"]
        in_uk = location in {"uk", "both"}
        exploitation_la = (self.local_authority_for(day, organisation=organisation, forces=[force])
                           if in_uk and force is not None and rng.random() < 0.6 else None)
        child_la = (self.local_authority_for(day, organisation=organisation, forces=[force, fr_force])
                    if is_child else None)

        answers = self.answers(
            row=row, person=person, author=author, organisation=organisation, day=day, fr_force=fr_force,
            force=force, location=location, nationalities=nationalities, expl_codes=expl_codes, born=born,
            age_now=age_now, dob_known=dob_known, age_code=age_code, under_18_now=under_18_now, ca=ca,
            exploitation_la=exploitation_la, child_la=child_la)
        assert journey.competent_authority(answers) == ca
        assert journey.treated_as_child(answers) == is_child

        submitted_at = _at(day, rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))
        referral = Referral(
            id=self.uuid(), reference=row["referral_id"], organisation=organisation, author=author,
            status=ReferralStatus.SUBMITTED, answers=answers, last_step="",
            expires_at=submitted_at + timedelta(days=policy.int_value("draft_expiry_days", on=day)),
            submitted_at=submitted_at, is_child=is_child, age_at_exploitation=age_code,
            gender=GENDER_CODES[row["gender"]], location_of_exploitation=location,
            police_force=force if in_uk else None, local_authority=exploitation_la,
            safeguarding_local_authority=child_la, county_lines=answers.get("county_lines") == "yes",
            safety_risk=answers.get("safety_risk") == "yes", competent_authority=ca,
            created_at=submitted_at - timedelta(hours=rng.randint(1, 72)), updated_at=submitted_at,
        )
        self.rows["referral"].append(referral)
        for country in nationalities:
            self.rows["referral_nationality"].append((referral.pk, country.pk))
        for code in expl_codes:
            self.rows["referral_exploitation"].append((referral.pk, self.exploitation_types[code].pk))

        nation = case_nation(referral)
        panel_slug = decision_panel_slug(referral, received_on=day)
        case = Case(
            id=self.uuid(), referral=referral, reference=row["referral_id"], competent_authority=ca,
            state_changed_at=submitted_at, nation=nation, first_responder_organisation=organisation,
            decision_panel=self._org(panel_slug) if panel_slug else None,
            is_child=is_child, safety_risk=bool(referral.safety_risk), received_on=day,
            rg_target_date=rules.rg_target_date(referred_on=day, nation=nation, decided_by_panel=bool(panel_slug)),
            created_at=submitted_at, updated_at=submitted_at,
        )
        plan = self.plan_case(case, row, reviews)
        self.write_case(case, plan, row, answers)
        self.partner_messages(referral, case, answers, child_la)
        if plan.rg_date is not None and plan.recovery_period_days is not None:
            self.support(case, referral, plan, row, support, expl_codes)
        self.information_requests(case, plan, author)
        self.cases.append(case)

    # --- answers in the journey's own words --------------------------------------------------

    def answers(self, *, row: dict[str, Any], person: dict[str, Any], author: Any, organisation: Any, day: date,
                fr_force: Any, force: Any, location: str, nationalities: list[Any], expl_codes: list[str],
                born: date, age_now: int, dob_known: bool, age_code: str, under_18_now: str, ca: str,
                exploitation_la: Any, child_la: Any) -> dict[str, Any]:
        rng = self.rng
        first, last = person["given_name"], person["family_name"]
        first_nationality = row["nationality"].split(";")[0]
        locale = NATIONALITY_LOCALES.get(first_nationality, person["locale"])
        language = _language(first_nationality, locale)
        interpreter = language != "English"
        origin = nationalities[0]
        place_uk = (exploitation_la.name if exploitation_la is not None else force.name if force is not None
                    else fr_force.name)
        overseas_codes = _overseas_codes(rng, location, origin) if location in {"overseas", "both"} else []
        place = place_uk if location in {"uk", "both", "unknown"} else self.countries[overseas_codes[0]].name
        met_on = day - timedelta(days=rng.randint(0, 10))
        answers: dict[str, Any] = {
            "fr_name": author.full_name,
            "fr_job_title": author.job_title or "Caseworker",
            "fr_email": author.email,
            "fr_phone": author.phone or "07700 900000",
            "fr_police_force": fr_force.code,
            "age_at_exploitation": age_code,
            "under_18_now": under_18_now,
            "consent": "yes",
            "consent_record": (f"I explained the NRM{' with a ' + language + ' interpreter' if interpreter else ''} "
                               f"on {met_on.day} {met_on:%B %Y}. {first} gave informed consent; the signed consent "
                               "form is on our file."),
            # Most adults agree to the police having their details; some do not (no extra random draw,
            # so the generated data stays the same for a seed).
            "police_consent": "no" if met_on.day % 5 == 0 else "yes",
            "first_names": first,
            "last_name": last,
            "gender": GENDER_CODES[row["gender"]],
            "nationalities": [c.code for c in nationalities],
            "language": language,
            "interpreter": "yes" if interpreter else "no",
            "safe_contact": rng.choice((
                f"Only through their support worker at {organisation.short_name or organisation.name}.",
                "Call the mobile number below between 10am and 4pm. Do not leave messages or send texts.",
                "Through me, the first responder. It is not safe to write to the person's address.",
            )),
            "exploitation_types": expl_codes,
            "exploitation_when": rng.choice(("ongoing", "recent", "recent", "earlier", "unknown")),
            "location": location,
            "account": self.account(first=first, expl_codes=expl_codes, place=place, origin=origin.name,
                                    met_on=met_on, organisation=organisation, interpreter=interpreter,
                                    language=language, is_child=under_18_now != "no"),
            "safety_risk": "yes" if rng.random() < 0.3 else "no",
            "safeguarding_actions": rng.choice((
                "Strategy meeting held with children's social care and police; placed with foster carers.",
                "Referred to children's social care the same day; an independent child trafficking guardian "
                "has been requested.",
            ) if under_18_now != "no" else (
                "Emergency accommodation arranged the same day; referred to the local safeguarding team.",
                "Moved to a safe house through the victim care contract; police informed.",
                "Safety plan agreed with the person; GP registration and legal advice arranged.",
            )),
            "agencies": rng.sample(["police", "health", "housing", "support", "immigration", "adult_social_care"],
                                   k=rng.randint(1, 3)),
            "routing": ([rng.choice(("detention", "detention", "fno", "inadmissible"))] if ca == "IECA" else ["none"]),
        }
        self._person_answers(answers, born=born, age_now=age_now, dob_known=dob_known, language=language,
                             interpreter=interpreter)
        self._exploitation_answers(answers, expl_codes=expl_codes, day=day, location=location, force=force,
                                   exploitation_la=exploitation_la, overseas_codes=overseas_codes)
        self._indicator_answers(answers, expl_codes=expl_codes, row=row, child_la=child_la)
        # Keep only the answers to questions on this referral's path, as the service does on submit.
        return _on_path(answers)

    def _person_answers(self, answers: dict[str, Any], *, born: date, age_now: int, dob_known: bool,
                        language: str, interpreter: bool) -> None:
        rng, fake = self.rng, self.fake
        if dob_known:
            answers["dob"] = {"day": str(born.day), "month": str(born.month), "year": str(born.year)}
        else:
            answers["estimated_age"] = str(age_now)
        if rng.random() < 0.15:
            answers["other_names"] = fake.first_name()
        if rng.random() < 0.4:
            answers["other_languages"] = "English" if language != "English" else "French"
        if interpreter:
            answers["interpreter_details"] = f"{language}; {rng.choice(('any interpreter', 'a female interpreter', 'a male interpreter'))}"
        if rng.random() < 0.5:
            answers["contact_address"] = fake.address()
        if rng.random() < 0.5:
            answers["contact_phone"] = f"07700 900{rng.randint(0, 999):03d}"

    def _exploitation_answers(self, answers: dict[str, Any], *, expl_codes: list[str], day: date, location: str,
                              force: Any, exploitation_la: Any, overseas_codes: list[str]) -> None:
        rng, fake = self.rng, self.fake
        if "other" in expl_codes:
            answers["other_exploitation"] = rng.choice(OTHER_EXPLOITATION)
        if rng.random() < 0.4:
            answers["exploitation_when_details"] = f"From about {fake.month_name()} {day.year - rng.randint(0, 2)}"
        if location in {"uk", "both"} and force is not None:
            answers["exploitation_police_force"] = force.code
            if exploitation_la is not None:
                answers["exploitation_local_authority"] = exploitation_la.code
        if overseas_codes:
            answers["exploitation_countries"] = overseas_codes

    def _indicator_answers(self, answers: dict[str, Any], *, expl_codes: list[str], row: dict[str, Any],
                           child_la: Any) -> None:
        rng, fake = self.rng, self.fake
        for code in expl_codes:
            options = self.indicators.get(code)
            if options:
                answers[f"indicators_{code}"] = rng.sample(options, k=min(len(options), rng.randint(1, 3)))
        if "criminal" in expl_codes:
            answers["county_lines"] = "yes" if row["county_lines"] else rng.choice(("no", "no", "unknown"))
        if rng.random() < 0.5:
            answers["agencies_details"] = f"{fake.name()}, {rng.choice(('social worker', 'police officer', 'GP'))}"
        if child_la is not None:
            answers["child_local_authority"] = child_la.code

    def account(self, *, first: str, expl_codes: list[str], place: str, origin: str, met_on: date,
                organisation: Any, interpreter: bool, language: str, is_child: bool) -> str:
        rng = self.rng
        who = organisation.short_name or organisation.name
        opening = (f"I met {first} on {met_on.day} {met_on:%B %Y} at {rng.choice(('our office', 'a police station', 'their accommodation', 'a hospital', 'a reception centre'))}"
                   f"{', with a ' + language + ' interpreter' if interpreter else ''}.")
        parts = [opening]
        stories = {
            "labour": (f"{first} told me they were recruited in {origin} by a man who offered well-paid work. "
                       f"{'There' if place == origin else 'In ' + place} they were made to work long hours at a car "
                       "wash and on building sites for little or no pay. Their passport was kept by the people who "
                       "brought them, and they were told they owed a debt for travel and rent that kept growing."),
            "sexual": (f"{first} said a woman they met online arranged their travel and a job. In {place} they were "
                       "told they owed money for the journey and were made to have sex with men in flats that kept "
                       "changing. The people controlling them took all the money and kept their phone."),
            "criminal": (f"{first} was stopped in {place} carrying drugs and two mobile phones. They said older men had "
                         "given them food, clothes and somewhere to stay, then told them they owed a debt and had to "
                         "carry drugs between towns. They were threatened with violence if they refused."),
            "domestic": (f"{first} was brought to {place} to work for a family. They cleaned and looked after the "
                         "children from early morning until late at night, slept on the kitchen floor and were not "
                         "paid. They were not allowed to go out alone and the family kept their passport."),
            "organ_harvesting": (f"{first} said they were taken to a clinic and told they must give a kidney to pay a "
                                 "debt. They have a scar consistent with surgery and never received the money they "
                                 "were promised."),
            "other": (f"{first} said they were made to beg in {place} every day and hand over everything they were "
                      "given to the man who housed them."),
            "unknown": (f"{first} described being controlled and made to work by others in {place}, but was too "
                        "frightened to give details. I have listed the indicators I saw."),
        }
        for code in expl_codes:
            parts.append(stories[code])
        parts.append(rng.choice((
            f"{first} is frightened of the people involved and does not want them to know where they are.",
            f"{first} appeared anxious and underweight, and has asked for help to stay safe.",
            f"More information may follow once {first} feels safe; {who} will pass it on.",
        )))
        if is_child:
            parts.append(f"As {first} is or may be a child, children's social care has been told.")
        return "\n\n".join(parts)

    # --- the lifecycle, step by step ----------------------------------------------------------

    def plan_case(self, case: Any, row: dict[str, Any], reviews: list[dict[str, Any]]) -> _Plan:
        return _CasePlanner(self, case, row, reviews).run()

    def panel_for(self, review: dict[str, Any]) -> Any:
        chairs = [p for p in self.panellists if p[1] == "panel_chair"]
        members = [p for p in self.panellists if p[1] == "panel_member"]
        police = [p for p in members if p[2].organisation_type == "Police"]
        councils = [p for p in members if p[2].organisation_type == "Local authority"]
        i = self.rng.randrange(2)
        review["seats"] = [("chair", chairs[i % len(chairs)]), ("member", police[i % len(police)]),
                           ("member", councils[(i + 1) % len(councils)])]
        return chairs[i % len(chairs)][0]

    # --- writing the case -----------------------------------------------------------------------

    def write_case(self, case: Any, plan: _Plan, row: dict[str, Any], answers: dict[str, Any]) -> None:
        from nrm.cases import stages
        from nrm.cases.lifecycle import State
        from nrm.cases.models import Decision, DecisionStatus, Outcome, StatusChange
        from nrm.cases.standards import standard_in_force
        from nrm.reviews.models import ConflictDeclaration, PanelSeat, PanelSector, Review, ReviewStatus
        from nrm.reviews.rules import review_terms
        from nrm.reviews.services import sector_for

        rng = self.rng
        case.state = plan.state.value
        case.rg_date = plan.rg_date
        case.recovery_period_days = plan.recovery_period_days
        case.cg_date = plan.cg_date if plan.cg_served else None
        case.last_decision_maker = plan.last_decision_maker
        case.suspended_from = plan.suspended_from if plan.state == State.SUSPENDED else ""
        for minute, change in enumerate(plan.changes):
            moment = _at(change["occurred_on"], 12, minute)
            self.rows["status_change"].append(StatusChange(
                id=self.uuid(), case=case, event=change["event"], from_state=change["from_state"],
                to_state=change["to_state"], actor=change["actor"], reason=change["reason"], ground=change["ground"],
                occurred_on=change["occurred_on"], created_at=moment, updated_at=moment))
            case.state_changed_at = moment
        case.updated_at = case.state_changed_at
        first_name = answers.get("first_names", "The person")
        types = ", ".join(self.exploitation_types[c].name.lower() for c in answers.get("exploitation_types", []))
        for minute, item in enumerate(plan.decisions):
            stage, outcome, day = item["stage"], item["outcome"], item["decided_on"]
            standard = standard_in_force(stage.value, on=day)
            decision_policy = rules.decision_policy_snapshot(
                case=case, stage=stage.value, positive=outcome == Outcome.POSITIVE, decided_on=day,
                standard_code=standard.code)
            reason = self.reasons.get((stage.value, item["reason"])) if item["reason"] else None
            if outcome == Outcome.NEGATIVE and reason is None:
                reason = next(r for (s, _), r in sorted(self.reasons.items()) if s == stage.value)
            rationale = self.rationale(stage, outcome, first_name, types, reason)
            review = item["review"]
            moment = _at(day, 11, minute)
            decision = Decision(
                id=self.uuid(), case=case, stage=stage.value, outcome=outcome.value, standard_applied=standard.label,
                rationale=rationale, decided_by=item["decided_by"], decided_on=day, status=item["status"].value,
                served_on=item["served_on"], policy=decision_policy,
                reviewed_by=review["concluded_by"] if review else None,
                reviewed_on=review["concluded_on"] if review else None,
                review_rationale=(self.review_rationale(review) if review and review["outcome"] else ""),
                created_at=moment,
                updated_at=_at(item["served_on"] or (review and review["concluded_on"]) or day, 13),
            )
            self.rows["decision"].append(decision)
            if reason is not None:
                self.rows["decision_reason"].append((decision.pk, reason.pk))
                if rng.random() < 0.3:
                    extra = rng.choice([r for (s, _), r in sorted(self.reasons.items()) if s == stage.value])
                    if extra.pk != reason.pk:
                        self.rows["decision_reason"].append((decision.pk, extra.pk))
            if review is None:
                continue
            terms = review_terms(stage=stage.value, decided_on=day, referred_on=review["referred_on"],
                                 nation=case.nation)
            kind, target, recorded_policy = review["kind"], terms.target_date, terms.policy
            assert kind == terms.kind, f"planned a {kind} review where the rules give a {terms.kind} review"
            concluded = review["outcome"] is not None
            review_row = Review(
                id=self.uuid(), decision=decision, case=case, stage=stage.value, kind=kind.value,
                status=ReviewStatus.CONCLUDED if concluded else ReviewStatus.OPEN,
                referred_on=review["referred_on"], target_date=target, outcome=review["outcome"] or "",
                rationale=self.review_rationale(review) if concluded else "",
                concluded_by=review["concluded_by"] if concluded else None,
                concluded_on=review["concluded_on"] if concluded else None, policy=recorded_policy,
                created_at=_at(review["referred_on"], 14),
                updated_at=_at(review["concluded_on"] or review["referred_on"], 15))
            self.rows["review"].append(review_row)
            for seat_role, (user, _role, home) in review.get("seats", []):
                sector = sector_for(home)
                assert sector != PanelSector.OTHER
                self.rows["panel_seat"].append(PanelSeat(
                    id=self.uuid(), review=review_row, user=user, role=seat_role, sector=sector,
                    home_organisation=home, seated_on=review["referred_on"], declaration=ConflictDeclaration.NONE,
                    declared_at=_at(review["referred_on"], 16), created_at=_at(review["referred_on"], 14, 30),
                    updated_at=_at(review["referred_on"], 16)))
        # Who holds the case: open cases mostly allocated; concluded ones stay with the last decision maker.
        if plan.state in stages.OPEN:
            pool = [u for u in self.allocation_pool[decider(case)]
                    if plan.state.value not in {"rg_referred_back", "cg_referred_back"}
                    or u.pk != getattr(plan.last_decision_maker, "pk", None)]
            case.allocated_to = self.alloc_rng.choice(pool) if pool and self.alloc_rng.random() < 0.8 else None
        else:
            case.allocated_to = next((d["decided_by"] for d in reversed(plan.decisions)
                                      if d["status"] != DecisionStatus.OVERTURNED), None)
        self.case_audit.append({"reference": case.reference, "state": case.state,
                                "competent_authority": case.competent_authority, "received_on": case.received_on,
                                "seed": self.seed, "status_in_extract": row["status"]})

    def rationale(self, stage: Any, outcome: Any, first_name: str, types: str, reason: Any) -> str:
        if stage.value == "RG":
            if outcome.value == "positive":
                return (f"The referral describes indicators of {types or 'modern slavery'}. Applying the standard in "
                        f"force on the decision date, there are reasonable grounds to believe that {first_name} is a "
                        "victim of modern slavery.")
            return (f"Having considered the referral and the information available, the reasonable grounds threshold "
                    f"is not met. Reason: {reason.label}. {reason.description}")
        if outcome.value == "positive":
            return (f"On the balance of probabilities {first_name} is a victim of modern slavery "
                    f"({types or 'type not known'}). The account is consistent and is supported by the information "
                    "from the first responder and the support provider.")
        return (f"On the balance of probabilities, {first_name} is not found to be a victim of modern slavery. "
                f"Reason: {reason.label}. {reason.description}")

    @staticmethod
    def review_rationale(review: dict[str, Any]) -> str:
        if review["outcome"] == "agree":
            return ("The decision applied the right standard, considered all the evidence and gave clear reasons. "
                    "Agreed.")
        return ("The decision did not weigh the indicators in the referral against the evidence relied on. "
                "Sent back for a fresh decision by a different decision maker.")

    # --- partner messages ---------------------------------------------------------------------

    def partner_messages(self, referral: Any, case: Any, answers: dict[str, Any], child_la: Any) -> None:
        from nrm.core import policy
        from nrm.core.workdays import add_working_days
        from nrm.notify.models import MessageKind, MessageStatus, OutboxMessage

        day = case.received_on
        acknowledge_by = add_working_days(day, policy.int_value("partner_ack_working_days", on=day), case.nation)
        code = (answers.get("exploitation_police_force") if referral.location_of_exploitation in {"uk", "both"}
                else None) or answers["fr_police_force"]
        recipients = [(MessageKind.CRIME_REFERRAL, self.organisations.get(f"police-{code.lower()}"),
                       f"Crime referral: NRM referral {referral.reference}",
                       (f"The National Referral Mechanism received referral {referral.reference} on {day:%d %B %Y} "
                        f"from {referral.organisation.name}. The exploitation is recorded in your force area, or "
                        "the referrer works in it. Please record a crime.\n\nSign in to Open NRM to read the referral, "
                        f"and acknowledge it by {acknowledge_by:%d %B %Y}."), f"crime:{referral.pk}")]
        if child_la is not None:
            recipients.append((MessageKind.SAFEGUARDING, self.childrens_services(child_la),
                               f"Child safeguarding notification: NRM referral {referral.reference}",
                               (f"The National Referral Mechanism received referral {referral.reference} on "
                                f"{day:%d %B %Y} about a child who lives in {child_la.name}. The child may be a victim "
                                "of modern slavery.\n\nSign in to Open NRM to read the referral, and acknowledge it "
                                f"by {acknowledge_by:%d %B %Y}."), f"safeguarding:{referral.pk}"))
        for kind, organisation, subject, body, key in recipients:
            if organisation is None:
                continue
            sent = referral.submitted_at + timedelta(minutes=1)
            acknowledged = _at(min(acknowledge_by, self.end), 10, self.rng.randint(0, 59))
            late = self.rng.random() < 0.1
            self.rows["outbox"].append(OutboxMessage(
                id=self.uuid(), kind=kind, recipient_organisation=organisation,
                recipient_email=organisation.inbox_email or "", subject=subject, body=body,
                about_type="referrals.Referral", about_id=str(referral.pk), status=MessageStatus.SENT, attempts=1,
                sent_at=sent, requires_acknowledgement=True, acknowledge_by=acknowledge_by,
                acknowledged_at=None if late or acknowledged < sent else acknowledged, dedupe_key=key,
                created_at=sent, updated_at=sent))

    # --- support ----------------------------------------------------------------------------------

    def support_provider(self, case: Any, referral: Any, expl_codes: list[str], day: date) -> tuple[Any, str] | None:
        """The provider ``nrm.support.rules.support_provider_for`` names, found among the organisations loaded."""
        from nrm.support.rules import support_provider_for

        choice = support_provider_for(is_child=case.is_child, nation=case.nation, gender=referral.gender,
                                      exploitation_codes=expl_codes)
        if choice.slug is None:
            authority = referral.safeguarding_local_authority or referral.local_authority
            organisation = self.childrens_services(authority) if authority is not None else None
        else:
            organisation = self.organisations.get(choice.slug)
        return (organisation, choice.provider_type.value) if organisation is not None else None

    def support(self, case: Any, referral: Any, plan: _Plan, row: dict[str, Any], generated: list[dict[str, Any]],
                expl_codes: list[str]) -> None:
        from nrm.support.models import (
            AssessmentOutcome,
            RecoveryNeedsAssessment,
            SupportEpisode,
            SupportReferral,
            SupportReferralStatus,
        )

        rng, end = self.rng, self.end
        rg_day = plan.rg_date
        days = plan.recovery_period_days
        assert rg_day is not None
        assert days is not None
        found = self.support_provider(case, referral, expl_codes, rg_day)
        if found is None:
            return
        provider, provider_type = found
        recorder = self.user(f"support.{provider.slug}@{SYNTHETIC_EMAIL_DOMAIN}", role="support_provider",
                             organisation=provider, job_title="Support worker")
        support_policy: dict[str, Any] = {"recovery_period_days": days, "rg_date": rg_day.isoformat()}
        move_on_days = move_on_until = None
        if plan.move_on_from is not None:
            move_on = rules.move_on_period(cg_date=plan.move_on_from)
            move_on_days, move_on_until = move_on.days, move_on.end
            support_policy.update(move_on_support_min_days=move_on_days, cg_date=plan.move_on_from.isoformat())
        episodes, assessments = _support_periods(plan, row, generated, rg_day)
        ended, ended_on = _support_ended(plan, episodes, move_on_until, end)
        reason = plan.support_end_reason or ("period_complete" if ended else "")
        support_referral = SupportReferral(
            id=self.uuid(), case=case, provider=provider, provider_type=provider_type,
            status=SupportReferralStatus.ENDED if ended else SupportReferralStatus.ACCEPTED,
            referred_on=rg_day, recovery_period_days=days,
            recovery_period_ends_on=rules.recovery_period(rg_date=rg_day, days=days).end,
            move_on_from=plan.move_on_from, move_on_days=move_on_days, move_on_until=move_on_until,
            account_shared=rng.random() < 0.5, responded_by=recorder, responded_on=rg_day,
            ended_on=ended_on, end_reason=reason if ended else "",
            end_details=plan.support_end_details if ended else "", ended_by=recorder if ended else None,
            policy=support_policy, created_at=_at(rg_day, 15), updated_at=_at(ended_on or rg_day, 16))
        self.rows["support_referral"].append(support_referral)
        for kind, start, stop in episodes:
            self.rows["support_episode"].append(SupportEpisode(
                id=self.uuid(), referral=support_referral, kind=kind, start_date=start, end_date=stop,
                recorded_by=recorder, created_at=_at(start, 16), updated_at=_at(stop or start, 16)))
        for assessed_on, outcome in assessments:
            result, needs_until = _assessment(rng, assessed_on, outcome, ended_on)
            self.rows["assessment"].append(RecoveryNeedsAssessment(
                id=self.uuid(), referral=support_referral, assessed_on=assessed_on, outcome=result,
                support_needed_until=needs_until, recorded_by=recorder,
                notes=("Needs housing, counselling and help with benefits; continue support."
                       if result == AssessmentOutcome.ONGOING_NEEDS else "No further needs identified."),
                created_at=_at(assessed_on, 16), updated_at=_at(assessed_on, 16)))

    # --- requests for further information ------------------------------------------------------

    def information_requests(self, case: Any, plan: _Plan, author: Any) -> None:
        """A few requests: answered ones before a conclusive grounds decision, and open ones on live
        cases near the end date (a CG waits until they are answered)."""
        from nrm.cases import stages
        from nrm.cases.lifecycle import State
        from nrm.cases.models import InformationRequest, InformationRequestStatus
        from nrm.core import policy
        from nrm.core.workdays import add_working_days

        rng, end = self.rng, self.end
        cg = next((d for d in plan.decisions if d["stage"].value == "CG"), None)
        question = rng.choice((
            "Please send any notes of your conversations with the person about how they came to the UK.",
            "Please tell us whether the police have opened an investigation, and give the crime reference.",
            "Please send the support provider's latest assessment and any medical evidence you hold.",
        ))
        if cg is not None and plan.rg_date is not None and rng.random() < 0.15:
            asked = plan.rg_date + timedelta(days=rng.randint(7, 30))
            answered = asked + timedelta(days=rng.randint(2, 14))
            if answered < cg["decided_on"]:
                self.rows["information_request"].append(InformationRequest(
                    id=self.uuid(), case=case, addressed_to=case.first_responder_organisation,
                    requested_by=cg["decided_by"], question=question,
                    due_on=add_working_days(asked, policy.int_value("rfi_response_working_days", on=asked),
                                            case.nation),
                    status=InformationRequestStatus.ANSWERED, answered_by=author, answered_at=_at(answered, 10),
                    answer="Attached are our notes; the police investigation is ongoing.",
                    created_at=_at(asked, 9), updated_at=_at(answered, 10)))
        live = plan.state in stages.INFORMATION_REQUEST_STATES and plan.state != State.CG_UNDER_REVIEW
        if live and plan.state in stages.OPEN and rng.random() < 0.12:
            asked = max(end - timedelta(days=rng.randint(1, 12)), case.received_on)
            self.rows["information_request"].append(InformationRequest(
                id=self.uuid(), case=case, addressed_to=case.first_responder_organisation,
                requested_by=case.allocated_to or self.alloc_rng.choice(self.caseworkers[decider(case)]),
                question=question,
                due_on=add_working_days(asked, policy.int_value("rfi_response_working_days", on=asked), case.nation),
                status=InformationRequestStatus.OPEN, created_at=_at(asked, 9), updated_at=_at(asked, 9)))

    # --- Duty to Notify ---------------------------------------------------------------------------

    def add_duty_to_notify(self, report: dict[str, Any]) -> None:
        from nrm.referrals.models import DutyToNotifyReport

        day = report["report_date"]
        location = LOCATION_CODES[report["location_of_exploitation"]]
        force = self.forces_by_name.get(report["police_force"]) if report["police_force"] else None
        row = DutyToNotifyReport(
            id=self.uuid(), report_date=day, organisation=self.organisation_named(report["first_responder"]),
            gender=GENDER_CODES[report["gender"]], age_band=report["age_band"],
            location_of_exploitation=location, police_force=force if location in {"uk", "both"} else None)
        self.rows["dtn"].append(row)
        for country in self.countries_for(report["nationality"]):
            self.rows["dtn_nationality"].append((row.pk, country.pk))
        for code in self.exploitation_codes(report["exploitation_types"], day):
            self.rows["dtn_exploitation"].append((row.pk, self.exploitation_types[code].pk))

    # --- saving ---------------------------------------------------------------------------------

    def save(self) -> None:
        from nrm.accounts.models import Membership, RoleRecord, User
        from nrm.accounts.services import roles_sync
        from nrm.audit.services import audit_record
        from nrm.cases.models import Case, Decision, InformationRequest, StatusChange
        from nrm.notify.models import OutboxMessage
        from nrm.referrals.models import DutyToNotifyReport, Referral
        from nrm.reviews.models import Panellist, PanelSeat, Review
        from nrm.reviews.services import sector_for
        from nrm.support.models import RecoveryNeedsAssessment, SupportEpisode, SupportReferral

        roles = {r.name: r for r in RoleRecord.objects.all()}
        if any(role not in roles for _, _, role in self._new_memberships):
            roles_sync()
            roles = {r.name: r for r in RoleRecord.objects.all()}
        User.objects.bulk_create(self._new_users)
        Membership.objects.bulk_create([
            Membership(user=user, organisation=organisation, role=roles[role],
                       starts_on=min(self.start, timezone.localdate()))
            for user, organisation, role in self._new_memberships])
        existing_panellists = set(Panellist.objects.filter(
            user__in=[p[0] for p in self.panellists]).values_list("user_id", flat=True))
        with _historical_timestamps([Referral, Case, Decision, StatusChange, Review, PanelSeat, SupportReferral,
                                     SupportEpisode, RecoveryNeedsAssessment, OutboxMessage, InformationRequest]):
            Panellist.objects.bulk_create([
                Panellist(id=self.uuid(), user=user, home_organisation=home, sector=sector_for(home))
                for user, _role, home in self.panellists if user.pk not in existing_panellists])
            data_keys_give(self.rows["referral"])
            Referral.objects.bulk_create(self.rows["referral"], batch_size=500)
            _through(Referral.nationalities.through, "referral_id", "country_id", self.rows["referral_nationality"])
            _through(Referral.exploitation_types.through, "referral_id", "exploitationtype_id",
                     self.rows["referral_exploitation"])
            Case.objects.bulk_create(self.cases, batch_size=500)
            Decision.objects.bulk_create(self.rows["decision"], batch_size=500)
            _through(Decision.reasons.through, "decision_id", "negativedecisionreason_id",
                     self.rows["decision_reason"])
            StatusChange.objects.bulk_create(self.rows["status_change"], batch_size=500)
            Review.objects.bulk_create(self.rows["review"], batch_size=500)
            PanelSeat.objects.bulk_create(self.rows["panel_seat"], batch_size=500)
            SupportReferral.objects.bulk_create(self.rows["support_referral"], batch_size=500)
            SupportEpisode.objects.bulk_create(self.rows["support_episode"], batch_size=500)
            RecoveryNeedsAssessment.objects.bulk_create(self.rows["assessment"], batch_size=500)
            InformationRequest.objects.bulk_create(self.rows["information_request"], batch_size=500)
            OutboxMessage.objects.bulk_create(self.rows["outbox"], batch_size=500)
        DutyToNotifyReport.objects.bulk_create(self.rows["dtn"], batch_size=500)
        _through(DutyToNotifyReport.nationalities.through, "dutytonotifyreport_id", "country_id",
                 self.rows["dtn_nationality"])
        _through(DutyToNotifyReport.exploitation_types.through, "dutytonotifyreport_id", "exploitationtype_id",
                 self.rows["dtn_exploitation"])
        for case, after in zip(self.cases, self.case_audit, strict=True):
            audit_record(actor=None, action="case.synthesised", target=case, after=after)


def _support_periods(plan: _Plan, row: dict[str, Any], generated: list[dict[str, Any]], rg_day: date
                     ) -> tuple[list[tuple[str, date, date | None]], list[tuple[date, str]]]:
    """The generated support as episodes (kind, start, stop) cut short where the case stops support, and
    needs assessments (day, outcome); an outreach episode from the RG decision if none was generated."""
    negative_cg = row["cg_outcome"] == "Negative"
    episodes: list[tuple[str, date, date | None]] = []
    assessments: list[tuple[date, str]] = []
    for item in generated:
        start: date = item["start_date"]
        stop: date | None = item["end_date"]
        if item["kind"] == ASSESSMENT_KIND:
            assessments.append((start, item["outcome"] or "No ongoing needs"))
            continue
        if negative_cg:
            # Support runs until 9 days after the negative decision is served; while it is under
            # review or being decided again, support goes on.
            stop = plan.support_stop
        elif plan.support_stop is not None and (stop is None or stop > plan.support_stop):
            stop = plan.support_stop
        if stop is not None and stop < start:
            stop = start
        episodes.append((SUPPORT_KINDS[item["kind"]], start, stop))
    if not episodes:
        episodes.append(("outreach", rg_day, plan.support_stop))
    return episodes, assessments


def _support_ended(plan: _Plan, episodes: list[tuple[str, date, date | None]], move_on_until: date | None,
                   end: date) -> tuple[bool, date | None]:
    """Whether support has ended by the end date, and when."""
    ended = all(stop is not None for _, _, stop in episodes) and (
        plan.support_stop is not None or (plan.move_on_from is not None and move_on_until is not None
                                          and max(s for _, _, s in episodes if s) >= move_on_until))
    ended_on = max(s for _, _, s in episodes if s) if ended else None
    if ended_on is not None and ended_on > end:
        return False, None
    return ended, ended_on


def _assessment(rng: random.Random, assessed_on: date, outcome: str, ended_on: date | None) -> tuple[Any, date | None]:
    """A needs assessment's result and, for ongoing needs, until when support is needed."""
    from nrm.support.models import AssessmentOutcome

    if not outcome.startswith("Ongoing"):
        return AssessmentOutcome.NEEDS_MET, None
    needs_until = assessed_on + timedelta(days=rng.randint(60, 180))
    if ended_on is not None:
        needs_until = min(needs_until, ended_on)
    if needs_until > assessed_on:
        return AssessmentOutcome.ONGOING_NEEDS, needs_until
    return AssessmentOutcome.NEEDS_MET, None


def _language(first_nationality: str, locale: str) -> str:
    """The language a person of this nationality (and name locale) is taken to speak."""
    if first_nationality in {"UK", "Irish", "American", "Canadian", "Australian", "New Zealander"}:
        return "English"
    return (LANGUAGE_BY_NATIONALITY.get(first_nationality)
            or LANGUAGE_BY_LOCALE.get(locale.split("_")[0], "English"))


def _overseas_codes(rng: random.Random, location: str, origin: Any) -> list[str]:
    """The countries of exploitation abroad: often the country of origin, else or also a transit country."""
    codes: list[str] = []
    if not origin.code.startswith("ZZ") and origin.code != "GB" and rng.random() < 0.75:
        codes.append(origin.code)
    if not codes or rng.random() < 0.3:
        codes.append(rng.choice([c for c in TRANSIT_COUNTRIES if c not in codes]))
    return codes


def _on_path(answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to questions on the referral's path."""
    from nrm.referrals import journey

    kept: dict[str, Any] = {}
    for step in journey.journey_path(answers):
        for f in step.fields:
            if f.name in answers and journey.field_applies(f, step, answers):
                kept[f.name] = answers[f.name]
    return kept


def _through(model: Any, left: str, right: str, pairs: list[tuple[Any, Any]]) -> None:
    model.objects.bulk_create([model(**{left: a, right: b}) for a, b in dict.fromkeys(pairs)], batch_size=1000)
