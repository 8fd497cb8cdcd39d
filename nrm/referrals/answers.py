"""The one presenter of a referral's answers, for every page that shows them: the first
responder's 'Check your answers' and copy, the case page, review papers, support pages and the
partner inbox. Labels, order and sections come from the journey (``nrm.referrals.journey``);
values are shown as people read them (names of police forces, local authorities, countries,
organisations and indicators, dates as '4 December 2026', 'Yes' and 'No'), never as codes.

No HTML here: the Jinja macro ``referral_answers`` in ``referrals/answers.html`` renders the
sections as GOV.UK summary lists.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from nrm.core.sealing import ERASED_TEXT, is_erased
from nrm.referrals import journey
from nrm.referrals.choices import options_on
from nrm.referrals.journey import OptionLookup
from nrm.referrals.models import Referral

ORGANISATION_ROW = "organisation"  # the name of the row that is not a question: who referred


@dataclass(frozen=True)
class AnswerRow:
    name: str  # the question's name in the journey (also the anchor of its input)
    step: str  # the slug of the page that asks it
    label: str
    lines: tuple[str, ...]  # the answer as lines of text; empty when not answered
    error: str = ""  # why the answer cannot be sent yet (drafts only)


@dataclass(frozen=True)
class AnswerSection:
    title: str
    rows: tuple[AnswerRow, ...]


# What every page shows of a referral whose data key was destroyed (ADR 0019).
ERASED_SECTION = AnswerSection("Referral", (AnswerRow(
    "erased", journey.STEPS[0].slug, "Answers",
    ("Erased: this referral's personal details were deleted under the retention rules or an erasure request.",)),))


def is_own_referral(referral: Referral, reader: Any) -> bool:
    """Whether ``reader`` is the first responder who made the referral (and so reads 'Your details')."""
    return getattr(reader, "pk", None) is not None and reader.pk == referral.author_id


def person_name(referral: Referral, *, missing: str = "Name not given") -> str | None:
    """The person's name as the first responder gave it (``missing`` when not given yet);
    ``None`` for a Duty to Notify report, which keeps no name."""
    answers = referral.answers or {}
    if is_erased(answers):
        return ERASED_TEXT
    if journey.is_duty_to_notify(answers):
        return None
    name = " ".join(str(answers.get(k) or "").strip() for k in ("first_names", "last_name")).strip()
    return name or missing


def answers_lookup(referral: Referral) -> OptionLookup:
    """Reference data as it was when the referral was sent (or today, for a draft)."""
    on: date = timezone.localdate(referral.submitted_at) if referral.submitted_at else timezone.localdate()
    return options_on(on)


def _organisation_row(referral: Referral) -> AnswerRow:
    first_step = journey.STEPS[0]
    return AnswerRow(ORGANISATION_ROW, first_step.slug, "Organisation", (referral.organisation.name,))


def referral_answer_rows(referral: Referral, *, reader: Any, fields: Collection[str] | None = None,
                         lookup: OptionLookup | None = None) -> list[AnswerSection]:
    """Every question the journey asked on this referral's path, with its label and the
    answer, grouped by the journey's sections in the journey's order. ``fields`` keeps only
    those questions (for readers entitled to part of the referral); ``reader`` decides the
    wording ('Your details' for the first responder who made it, 'First responder' for others)."""
    answers = referral.answers or {}
    if is_erased(answers):
        return [ERASED_SECTION]
    own = is_own_referral(referral, reader)
    lookup = lookup or answers_lookup(referral)
    sections: dict[str, list[AnswerRow]] = {}
    for step in journey.journey_path(answers):
        rows = sections.setdefault(step.section, [])
        if step.section == journey.SECTION_YOU and not rows and (fields is None or ORGANISATION_ROW in fields):
            rows.append(_organisation_row(referral))
        for row in journey.summary_rows(step, answers, lookup):
            if fields is not None and row.field.name not in fields:
                continue
            rows.append(AnswerRow(row.field.name, step.slug, row.field.label_for(own=own), tuple(row.lines),
                                  row.error))
    return [AnswerSection(journey.section_title(title, own=own), tuple(rows))
            for title, rows in sections.items() if rows]


# What a police crime unit reads of an adult's referral when the adult did not agree to the police
# having their details: the crime and the first responder, nothing that identifies the person.
POLICE_WITHOUT_CONSENT = frozenset({
    ORGANISATION_ROW, "fr_name", "fr_job_title", "fr_email", "fr_phone", "fr_police_force", "age_at_exploitation",
    "police_consent", "gender", "nationalities", "exploitation_types", "other_exploitation", "exploitation_when",
    "location", "exploitation_police_force", "exploitation_local_authority", "exploitation_countries",
    "county_lines",
})


def police_may_identify(referral: Referral) -> bool:
    """Whether the police may have the person's details: always for a child (no consent is
    needed), for an adult only if they agreed (a referral made before the question was asked
    counts as not agreed)."""
    answers = referral.answers or {}
    return not journey.needs_consent(answers) or answers.get("police_consent") == "yes"


def fields_for_partner(referral: Referral, *, message_kind: str) -> frozenset[str] | None:
    """The questions a partner may read of ``referral`` through a message of ``message_kind``
    (``None``: all of them)."""
    if message_kind == "crime_referral" and not police_may_identify(referral):
        return POLICE_WITHOUT_CONSENT
    return None
