"""The analytical extract from the live database (``nrm stats extract --out FILE``).

One row per submitted referral, pseudonymised: no names, dates of birth or free text leave
the service. The person id is an HMAC-SHA256 of the person's normalised name and date of
birth under ``settings.PSEUDONYMISATION_KEY``, so repeat referrals of one person share an id
without revealing who they are. Reviews, support, disqualification and reconsideration rows come
from their domains' selectors.

:func:`build_linkage_input` is the exception, and never leaves the process: the identifying
fields of each referral (names, date or estimated year of birth, gender, nationality, force
area) for the probabilistic record linkage of the duplicate-referrals check
(:mod:`nrm.analytics.linkage`), which returns only referral ids and clusters. It is held in
memory and not written to disk.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.utils import timezone

from nrm.analytics import extract_schema as xs
from nrm.analytics.extract_io import Extract
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Decision, DecisionStatus, Stage
from nrm.referrals.models import DutyToNotifyReport, Referral

FIRST_RESPONDER_TYPES = {
    "Government agency": "Government agency",
    "NGO and third sector": "NGO and third sector",
    "Police": "Police",
    "Local authority": "Local authority",
    "Health and social care": "Health and social care",
}
AGES = {"adult": xs.AGES[0], "child": xs.AGES[1], "unknown": xs.AGES[2]}
GENDERS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not specified or unknown"}
LOCATIONS = {"uk": "UK", "overseas": "Overseas", "both": "UK and Overseas", "unknown": "Not specified or unknown"}
# While a served negative decision is being reconsidered it still stands (the referrals table shows
# it until the fresh decision replaces it), so the case counts as concluded; the reconsiderations
# table counts the request as awaiting a decision.
STATUSES = {
    **{s: "Awaiting RG" for s in (State.SUBMITTED, State.AWAITING_RG, State.RG_UNDER_REVIEW, State.RG_REFERRED_BACK)},
    **{s: "Awaiting CG" for s in (State.POSITIVE_RG, State.AWAITING_CG, State.CG_UNDER_REVIEW, State.CG_REFERRED_BACK)},
    **{s: "Concluded" for s in (State.NEGATIVE_RG, State.NEGATIVE_CG, State.POSITIVE_CG, State.CLOSED,
                                State.RG_RECONSIDERATION, State.CG_RECONSIDERATION)},
    State.WITHDRAWN: "Withdrawn",
    State.SUSPENDED: "Suspended",
    State.DISQUALIFIED: "Disqualified",
}


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def _date_of_birth(value: Any) -> date | None:
    """A date of birth from the journey's answer: ``{day, month, year}`` or an ISO date."""
    if isinstance(value, dict):
        try:
            return date(int(value["year"]), int(value["month"]), int(value["day"]))
        except (KeyError, TypeError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _dob(value: Any) -> str:
    if isinstance(value, dict):
        try:
            return date(int(value["year"]), int(value["month"]), int(value["day"])).isoformat()
        except (KeyError, TypeError, ValueError):
            return ""
    return str(value or "")


def person_id(answers: dict[str, Any], fallback: str) -> str:
    """Keyed hash of name and date of birth; a referral with neither gets an id of its own."""
    name = _normalise(f"{answers.get('first_names', '')} {answers.get('last_name', '')}")
    if name in {"", "not known", "not known not known", "unknown"}:
        name = f"referral:{fallback}"
    material = f"{name}|{_dob(answers.get('dob'))}"
    return hmac.new(settings.PSEUDONYMISATION_KEY.encode(), material.encode(), hashlib.sha256).hexdigest()


def referral_pseudonym(reference: str) -> str:
    """The extract's ``referral_id``: a keyed hash of the NRM reference under the pseudonymisation
    key, so an extract row links to the tables of the same extract but not to the live referral
    (whose reference appears in emails, letters and inboxes)."""
    digest = hmac.new(settings.PSEUDONYMISATION_KEY.encode(), f"referral-id:{reference}".encode(), hashlib.sha256)
    return "R-" + digest.hexdigest()[:24]


def _standing_decisions() -> dict[tuple[Any, str], Decision]:
    """The served decision at each stage of each case (the latest, after reconsideration)."""
    standing: dict[tuple[Any, str], Decision] = {}
    served = Decision.objects.filter(status=DecisionStatus.SERVED).prefetch_related("reasons").order_by(
        "decided_on", "created_at")
    for decision in served.iterator(chunk_size=5000):
        standing[(decision.case_id, decision.stage)] = decision
    return standing


def _reason_codes(decision: Decision | None) -> str | None:
    if decision is None or decision.outcome != "negative":
        return None
    return xs.LIST_SEPARATOR.join(sorted(r.code for r in decision.reasons.all())) or None


def _exploitation(reported: list[str]) -> str:
    ordered = [t for t in xs.EXPLOITATION_TYPES if t in set(reported)]
    return xs.LIST_SEPARATOR.join(ordered or ["Not specified or unknown"])


def _referral_rows(as_of: date) -> Iterator[dict[str, Any]]:
    return (row for _, row in referral_rows_with_cases(as_of))


def referral_rows_with_cases(as_of: date, *, received_from: date | None = None) -> Iterator[tuple[Case, dict[str, Any]]]:
    """Each case received up to ``as_of`` (and from ``received_from``) with its extract row."""
    from nrm.reference.models import Country, ExploitationType

    demonyms = dict(Country.objects.values_list("code", "demonym"))
    reported_as = dict(ExploitationType.objects.values_list("pk", "reported_as"))
    types_by_referral: dict[Any, list[str]] = defaultdict(list)
    through = Referral.exploitation_types.through
    for referral_id, type_id in through.objects.values_list("referral_id", "exploitationtype_id").iterator():
        types_by_referral[referral_id].append(reported_as[type_id])
    standing = _standing_decisions()
    cases = (Case.objects.filter(received_on__lte=as_of)
             .select_related("referral", "referral__data_key", "referral__organisation", "referral__police_force")
             .order_by("received_on", "reference"))
    if received_from is not None:
        cases = cases.filter(received_on__gte=received_from)
    for case in cases.iterator(chunk_size=2000):
        referral = case.referral
        rg = standing.get((case.pk, Stage.RG))
        cg = standing.get((case.pk, Stage.CG))
        codes = referral.answers.get("nationalities") or []
        nationality = xs.LIST_SEPARATOR.join(demonyms[c] for c in codes if demonyms.get(c)) or "Unknown"
        force = referral.police_force
        yield case, {
            "referral_id": referral_pseudonym(case.reference),
            "person_id": person_id(referral.answers, case.reference),
            "referral_date": case.received_on,
            "competent_authority": case.competent_authority,
            "first_responder_type": FIRST_RESPONDER_TYPES.get(referral.organisation.organisation_type, "Other"),
            "first_responder": referral.organisation.name,
            "age_at_exploitation": AGES.get(referral.age_at_exploitation or "unknown", xs.AGES[2]),
            "gender": GENDERS.get(referral.gender or "unknown", "Not specified or unknown"),
            "nationality": nationality,
            "exploitation_types": _exploitation(types_by_referral.get(referral.pk, [])),
            "location_of_exploitation": LOCATIONS.get(referral.location_of_exploitation or "unknown",
                                                      "Not specified or unknown"),
            "police_force": force.name if force else None,
            "region": force.region if force else None,
            "county_lines": bool(referral.county_lines),
            "rg_outcome": rg.get_outcome_display() if rg else None,
            "rg_date": rg.decided_on if rg else None,
            "rg_reason": _reason_codes(rg),
            "cg_outcome": cg.get_outcome_display() if cg else None,
            "cg_date": cg.decided_on if cg else None,
            "cg_reason": _reason_codes(cg),
            "status": STATUSES[State(case.state)],
            "status_date": timezone.localdate(case.state_changed_at),
        }


NATIONS = {"england": "England", "wales": "Wales", "scotland": "Scotland", "northern_ireland": "Northern Ireland"}


def _casework_rows(as_of: date) -> Iterator[dict[str, Any]]:
    """How each referral was decided: the nation, the devolved children's decision panel (if one
    decides it) and the guidance its standing decisions recorded (their policy snapshots)."""
    standing = _standing_decisions()
    cases = (Case.objects.filter(received_on__lte=as_of).select_related("decision_panel")
             .only("pk", "reference", "nation", "decision_panel__name").order_by("received_on", "reference"))
    for case in cases.iterator(chunk_size=2000):
        rg = standing.get((case.pk, Stage.RG))
        cg = standing.get((case.pk, Stage.CG))
        yield {
            "referral_id": referral_pseudonym(case.reference),
            "nation": NATIONS.get(case.nation, "England"),
            "decision_panel": case.decision_panel.name if case.decision_panel else None,
            "rg_guidance_version": (rg.policy or {}).get("rg_guidance_version") if rg else None,
            "cg_standard": (cg.policy or {}).get("standard") if cg else None,
        }


def _duty_to_notify_rows(as_of: date) -> list[dict[str, Any]]:
    rows = []
    reports = (DutyToNotifyReport.objects.filter(report_date__lte=as_of)
               .select_related("organisation", "police_force")
               .prefetch_related("nationalities", "exploitation_types").order_by("report_date", "id"))
    for report in reports:
        rows.append({
            "report_id": str(report.pk),
            "report_date": report.report_date,
            "first_responder_type": FIRST_RESPONDER_TYPES.get(report.organisation.organisation_type, "Other"),
            "first_responder": report.organisation.name,
            "gender": GENDERS.get(report.gender, "Not specified or unknown"),
            "nationality": xs.LIST_SEPARATOR.join(sorted(c.demonym for c in report.nationalities.all())) or "Unknown",
            "age_band": report.age_band,
            "exploitation_types": _exploitation([t.reported_as for t in report.exploitation_types.all()]),
            "location_of_exploitation": LOCATIONS.get(report.location_of_exploitation, "Not specified or unknown"),
            "police_force": report.police_force.name if report.police_force else None,
        })
    return rows


def _text(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _linkage_rows(as_of: date) -> Iterator[dict[str, Any]]:
    from nrm.reference.models import Country

    demonyms = dict(Country.objects.values_list("code", "demonym"))
    cases = (Case.objects.filter(received_on__lte=as_of)
             .select_related("referral", "referral__data_key", "referral__organisation", "referral__police_force")
             .order_by("received_on", "reference"))
    for case in cases.iterator(chunk_size=2000):
        referral = case.referral
        answers = referral.answers or {}
        born = _date_of_birth(answers.get("dob"))
        year_of_birth = None
        if born is None:
            try:
                age = int(str(answers.get("estimated_age", "")).strip())
            except ValueError:
                age = None
            if age is not None and 0 <= age < 120:
                submitted = referral.submitted_at
                year_of_birth = (timezone.localdate(submitted) if submitted else case.received_on).year - age
        codes = answers.get("nationalities") or []
        first_nationality = next((demonyms[c] for c in codes if demonyms.get(c)), None)
        force = referral.police_force
        yield {
            "referral_id": referral_pseudonym(case.reference),
            "first_name": _text(answers.get("first_names")),
            "surname": _text(answers.get("last_name")),
            "date_of_birth": born,
            "year_of_birth": year_of_birth,
            "gender": GENDERS.get(referral.gender or "unknown", "Not specified or unknown"),
            "nationality": first_nationality,
            "police_force": force.name if force else None,
            "first_responder": referral.organisation.name,
            "referral_date": case.received_on,
        }


def build_linkage_input(*, as_of: date | None = None) -> pa.Table:
    """The identifying fields of every referral received up to ``as_of`` (default today),
    one row per case with the extract's ``referral_id``, in the schema
    :data:`nrm.analytics.linkage.LINKAGE_INPUT`: names (first names and last name as
    entered), the date of birth or, where only an estimated age was given, the year of
    birth it implies (the year of submission minus the age), gender, the first
    nationality recorded (demonym), the police force area and the first responder
    organisation. For the duplicate-referrals check only: keep it in memory."""
    from nrm.analytics.linkage import LINKAGE_INPUT

    day = as_of or timezone.localdate()
    return pa.Table.from_pylist(list(_linkage_rows(day)), schema=LINKAGE_INPUT)


def build_extract(*, as_of: date | None = None) -> Extract:
    """The tables of the analytical extract as at ``as_of`` (default today)."""
    from nrm.cases.selectors import disqualification_extract_rows, reconsideration_extract_rows
    from nrm.reviews.selectors import reviews_extract_rows
    from nrm.support.selectors import support_extract_rows

    day = as_of or timezone.localdate()

    def reference(case: Any) -> str:
        return referral_pseudonym(str(case.reference))

    return Extract(
        referrals=pa.Table.from_pylist(list(_referral_rows(day)), schema=xs.REFERRALS),
        duty_to_notify=pa.Table.from_pylist(_duty_to_notify_rows(day), schema=xs.DUTY_TO_NOTIFY),
        reviews=pa.Table.from_pylist(reviews_extract_rows(as_of=day, referral_id=reference), schema=xs.REVIEWS),
        support=pa.Table.from_pylist(support_extract_rows(as_of=day, referral_id=reference), schema=xs.SUPPORT),
        disqualifications=pa.Table.from_pylist(disqualification_extract_rows(as_of=day, referral_id=reference),
                                               schema=xs.DISQUALIFICATIONS),
        casework=pa.Table.from_pylist(list(_casework_rows(day)), schema=xs.CASEWORK),
        reconsiderations=pa.Table.from_pylist(reconsideration_extract_rows(as_of=day, referral_id=reference),
                                              schema=xs.RECONSIDERATIONS),
    )
