"""The lifecycle and policy rules a database must keep, checked across every case.

:func:`database_invariant_violations` reads the whole database (a synthetic one made by
:func:`nrm.synth.database.synth_into_db`, or a real one made by the services) and returns one
readable sentence per broken rule, naming the case reference. An empty list means the database
keeps every rule below:

* every case's state is a state of the lifecycle table, and its recorded status changes are steps
  the table allows, each following on from the one before and ending in the case's state;
* the case agrees with its referral (reference, child or not);
* no decision (and no review or service of one) is dated before the referral was received;
* a conclusive grounds (CG) decision follows a served positive reasonable grounds (RG) decision,
  no sooner than the recovery period of the policy in force on the RG date, and the case records
  that period;
* the case's state agrees with its decisions (a positive CG case has a served positive CG on its
  CG date, a case under review has a proposed decision, and so on);
* a served negative decision has a concluded review that agreed with it, of the kind the policy in
  force on the decision date requires: a Multi-Agency Assurance Panel for a CG decided while panels
  were in force, otherwise a second-line review;
* a positive CG is followed by move-on support until at least the CG date plus the policy minimum
  (90 days since September 2019);
* Duty to Notify reports hold no link to a referral, a case or a person;
* the audit log's hash chain is unbroken.

Queries are one per table (no query per case), so this is quick on a demo database and
linear on a large one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

__all__ = ["database_invariant_violations"]


def database_invariant_violations() -> list[str]:
    """Every broken lifecycle or policy rule in the database, one sentence each (empty if none)."""
    from nrm.cases.models import Case

    cases: dict[Any, dict[str, Any]] = {row["id"]: dict(row) for row in Case.objects.values(
        "id", "reference", "state", "is_child", "received_on", "rg_date", "recovery_period_days", "cg_date",
        "suspended_from", "referral__reference", "referral__is_child", "nation")}
    decisions = _decisions_by_case()
    problems: list[str] = []
    problems += _states(cases)
    problems += _status_changes(cases)
    problems += _referral_agreement(cases)
    problems += _dates(cases, decisions)
    problems += _conclusive_grounds(cases, decisions)
    problems += _state_agrees_with_decisions(cases, decisions)
    problems += _reviews(cases, decisions)
    problems += _move_on_support(cases, decisions)
    problems += _duty_to_notify()
    problems += _audit_chain()
    return problems


def _fmt(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "no date"


def _decisions_by_case() -> dict[Any, list[dict[str, Any]]]:
    from nrm.cases.models import Decision

    by_case: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in Decision.objects.values("id", "case_id", "stage", "outcome", "status", "decided_on", "served_on",
                                       "decided_by_id", "reviewed_by_id").order_by("decided_on", "created_at"):
        by_case[row["case_id"]].append(dict(row))
    return by_case


def _states(cases: dict[Any, dict[str, Any]]) -> list[str]:
    from nrm.cases.lifecycle import State

    valid = {s.value for s in State}
    problems = []
    for case in cases.values():
        if case["state"] not in valid:
            problems.append(f"Case {case['reference']} is in state '{case['state']}', which is not a state of the "
                            "case lifecycle.")
        if case["suspended_from"] and case["suspended_from"] not in valid:
            problems.append(f"Case {case['reference']} was suspended from '{case['suspended_from']}', which is not "
                            "a state of the case lifecycle.")
        if case["state"] == State.SUSPENDED and not case["suspended_from"]:
            problems.append(f"Case {case['reference']} is suspended but does not record the state it was "
                            "suspended from.")
    return problems


def _status_changes(cases: dict[Any, dict[str, Any]]) -> list[str]:
    from nrm.cases.lifecycle import TRANSITIONS
    from nrm.cases.models import StatusChange

    allowed = {(t.source.value, t.event.value, t.target.value) for t in TRANSITIONS}
    by_case: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in StatusChange.objects.values("case_id", "event", "from_state", "to_state", "occurred_on").order_by(
            "case_id", "created_at"):
        by_case[row["case_id"]].append(dict(row))
    problems = []
    for case_id, changes in by_case.items():
        case = cases[case_id]
        reference = case["reference"]
        previous: dict[str, Any] | None = None
        for change in changes:
            step = (change["from_state"], change["event"], change["to_state"])
            if step not in allowed:
                problems.append(f"Case {reference} went from '{step[0]}' to '{step[2]}' by '{step[1]}' on "
                                f"{_fmt(change['occurred_on'])}, which the case lifecycle does not allow.")
            if previous is not None:
                if change["from_state"] != previous["to_state"]:
                    problems.append(f"Case {reference} has a status change from '{change['from_state']}' on "
                                    f"{_fmt(change['occurred_on'])}, but the change before it left the case "
                                    f"'{previous['to_state']}'.")
                if change["occurred_on"] < previous["occurred_on"]:
                    problems.append(f"Case {reference} has a status change on {_fmt(change['occurred_on'])} "
                                    f"recorded after one on {_fmt(previous['occurred_on'])}.")
            elif change["occurred_on"] < case["received_on"]:
                problems.append(f"Case {reference} changed state on {_fmt(change['occurred_on'])}, before the "
                                f"referral was received on {_fmt(case['received_on'])}.")
            previous = change
        if previous is not None and previous["to_state"] != case["state"]:
            problems.append(f"Case {reference} is '{case['state']}' but its last status change left it "
                            f"'{previous['to_state']}'.")
    return problems


def _referral_agreement(cases: dict[Any, dict[str, Any]]) -> list[str]:
    problems = []
    for case in cases.values():
        if case["referral__reference"] != case["reference"]:
            problems.append(f"Case {case['reference']} belongs to referral {case['referral__reference']}, which "
                            "has a different reference.")
        if case["referral__is_child"] is None or bool(case["referral__is_child"]) != case["is_child"]:
            problems.append(f"Case {case['reference']} is recorded as {'a child' if case['is_child'] else 'an adult'}"
                            f" but its referral says {'a child' if case['referral__is_child'] else 'an adult'}.")
    return problems


def _dates(cases: dict[Any, dict[str, Any]], decisions: dict[Any, list[dict[str, Any]]]) -> list[str]:
    from nrm.reviews.models import Review

    problems = []
    for case in cases.values():
        received = case["received_on"]
        for label, key in (("reasonable grounds", "rg_date"), ("conclusive grounds", "cg_date")):
            if case[key] is not None and case[key] < received:
                problems.append(f"Case {case['reference']} has a {label} date of {_fmt(case[key])}, before the "
                                f"referral was received on {_fmt(received)}.")
        for d in decisions.get(case["id"], []):
            if d["decided_on"] < received:
                problems.append(f"Case {case['reference']} has a {d['stage']} decision dated {_fmt(d['decided_on'])}, "
                                f"before the referral was received on {_fmt(received)}.")
            if d["served_on"] is not None and d["served_on"] < d["decided_on"]:
                problems.append(f"Case {case['reference']} has a {d['stage']} decision served on "
                                f"{_fmt(d['served_on'])}, before it was made on {_fmt(d['decided_on'])}.")
    for review in Review.objects.values("case_id", "stage", "referred_on", "concluded_on", "decision__decided_on"):
        owner = cases.get(review["case_id"])
        reference = owner["reference"] if owner else str(review["case_id"])
        if review["referred_on"] < review["decision__decided_on"]:
            problems.append(f"Case {reference} has a review of its {review['stage']} decision referred on "
                            f"{_fmt(review['referred_on'])}, before the decision was made on "
                            f"{_fmt(review['decision__decided_on'])}.")
        if review["concluded_on"] is not None and review["concluded_on"] < review["referred_on"]:
            problems.append(f"Case {reference} has a review of its {review['stage']} decision concluded on "
                            f"{_fmt(review['concluded_on'])}, before it was referred on "
                            f"{_fmt(review['referred_on'])}.")
    return problems


def _rg_standing(decisions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The positive RG decision the case's recovery period runs from, if any."""
    return next((d for d in reversed(decisions) if d["stage"] == "RG" and d["outcome"] == "positive"
                 and d["status"] in {"served", "reconsidered"}), None)


def _conclusive_grounds(cases: dict[Any, dict[str, Any]], decisions: dict[Any, list[dict[str, Any]]]) -> list[str]:
    problems = []
    for case in cases.values():
        reference = case["reference"]
        case_decisions = decisions.get(case["id"], [])
        rg = _rg_standing(case_decisions)
        if rg is not None:
            days = _recovery_days(rg["decided_on"], case["nation"])
            if case["recovery_period_days"] != days:
                problems.append(f"Case {reference} records a recovery period of {case['recovery_period_days']} days, "
                                f"but the policy on its reasonable grounds decision date ({_fmt(rg['decided_on'])}) "
                                f"sets {days} days.")
        cgs = [d for d in case_decisions if d["stage"] == "CG"]
        if case["cg_date"] is not None and not cgs:
            problems.append(f"Case {reference} has a conclusive grounds date but no conclusive grounds decision.")
        for cg in cgs:
            if rg is None or rg["decided_on"] > cg["decided_on"]:
                problems.append(f"Case {reference} has a conclusive grounds decision on {_fmt(cg['decided_on'])} "
                                "without a positive reasonable grounds decision before it.")
                continue
            rg_day = case["rg_date"] or rg["decided_on"]
            days = _recovery_days(rg_day, case["nation"])
            if days is None:
                problems.append(f"Case {reference} has a reasonable grounds decision on {_fmt(rg_day)}, when no "
                                "recovery period policy was in force.")
                continue
            earliest = rg_day + timedelta(days=days)
            if cg["decided_on"] < earliest:
                problems.append(f"Case {reference} has a conclusive grounds decision on {_fmt(cg['decided_on'])}, "
                                f"before the {days}-day recovery period from the reasonable grounds decision on "
                                f"{_fmt(rg_day)} had run (not before {_fmt(earliest)}).")
        if case["cg_date"] is not None and case["rg_date"] is None:
            problems.append(f"Case {reference} has a conclusive grounds date but no reasonable grounds date.")
    return problems


def _recovery_days(rg_day: date, nation: str | None) -> int | None:
    from nrm.core import policy

    try:
        return policy.recovery_period_days(on=rg_day, nation=nation)
    except policy.PolicyNotInForce:
        return None


def _state_agrees_with_decisions(cases: dict[Any, dict[str, Any]],
                                 decisions: dict[Any, list[dict[str, Any]]]) -> list[str]:
    from nrm.cases.lifecycle import State

    problems = []
    for case in cases.values():
        live = [d for d in decisions.get(case["id"], []) if d["status"] in {"served", "proposed"}]
        problems += [f"Case {case['reference']} is '{State(case['state']).label}' but {expected}."
                     for expected in _decision_mismatches(case, live)]
    return problems


def _decision_mismatches(case: dict[str, Any], live: list[dict[str, Any]]) -> list[str]:
    """How the case's live (served or proposed) decisions disagree with its state."""
    from nrm.cases.lifecycle import State

    state = case["state"]
    served = {stage: [d for d in live if d["stage"] == stage and d["status"] == "served"] for stage in ("RG", "CG")}
    last_rg = served["RG"][-1] if served["RG"] else None
    last_cg = served["CG"][-1] if served["CG"] else None
    if state in {State.POSITIVE_RG, State.AWAITING_CG}:
        return _positive_rg_mismatches(case, last_rg, last_cg)
    if state == State.NEGATIVE_RG:
        if last_rg is None or last_rg["outcome"] != "negative":
            return ["it has no served negative reasonable grounds decision"]
        return []
    if state in {State.RG_UNDER_REVIEW, State.CG_UNDER_REVIEW}:
        stage = "RG" if state == State.RG_UNDER_REVIEW else "CG"
        if not any(d["stage"] == stage and d["status"] == "proposed" and d["outcome"] == "negative" for d in live):
            return [f"it has no proposed negative {stage} decision waiting for review"]
        return []
    if state in {State.POSITIVE_CG, State.NEGATIVE_CG}:
        return _cg_mismatches(case, "positive" if state == State.POSITIVE_CG else "negative", last_cg)
    if state in {State.SUBMITTED, State.AWAITING_RG} and served["RG"]:
        return ["it already has a served reasonable grounds decision"]
    return []


def _positive_rg_mismatches(case: dict[str, Any], last_rg: dict[str, Any] | None,
                            last_cg: dict[str, Any] | None) -> list[str]:
    wrong = []
    if last_rg is None or last_rg["outcome"] != "positive":
        wrong.append("it has no served positive reasonable grounds decision")
    elif case["rg_date"] != last_rg["decided_on"]:
        wrong.append(f"its reasonable grounds date ({_fmt(case['rg_date'])}) is not the date of its positive "
                     f"decision ({_fmt(last_rg['decided_on'])})")
    if last_cg is not None:
        wrong.append("it already has a served conclusive grounds decision")
    return wrong


def _cg_mismatches(case: dict[str, Any], outcome: str, last_cg: dict[str, Any] | None) -> list[str]:
    if last_cg is None or last_cg["outcome"] != outcome:
        return [f"it has no served {outcome} conclusive grounds decision"]
    if case["cg_date"] != last_cg["decided_on"]:
        return [f"its conclusive grounds date ({_fmt(case['cg_date'])}) is not the date of that decision "
                f"({_fmt(last_cg['decided_on'])})"]
    return []


def _reviews(cases: dict[Any, dict[str, Any]], decisions: dict[Any, list[dict[str, Any]]]) -> list[str]:
    from nrm.reviews.models import Review
    from nrm.reviews.services import review_kind_for

    reviews = {row["decision_id"]: row for row in Review.objects.values(
        "decision_id", "kind", "status", "outcome", "concluded_on", "concluded_by_id")}
    labels = {"panel": "a Multi-Agency Assurance Panel", "second_line": "a second-line review"}
    problems = []
    for case in cases.values():
        for d in decisions.get(case["id"], []):
            if d["outcome"] != "negative" or d["status"] not in {"served", "reconsidered"}:
                continue
            stage = "reasonable grounds" if d["stage"] == "RG" else "conclusive grounds"
            wanted = review_kind_for(stage=d["stage"], decided_on=d["decided_on"]).value
            review = reviews.get(d["id"])
            what = (f"Case {case['reference']} has a negative {stage} decision made on {_fmt(d['decided_on'])} "
                    f"and served")
            if review is None:
                problems.append(f"{what} without {labels[wanted]}.")
                continue
            if review["kind"] != wanted:
                problems.append(f"{what} after {labels.get(review['kind'], review['kind'])}, but the policy on that "
                                f"date required {labels[wanted]}.")
            if review["status"] != "concluded" or review["outcome"] != "agree":
                problems.append(f"{what} although its review has not concluded in agreement.")
            elif d["served_on"] is not None and review["concluded_on"] is not None and (
                    d["served_on"] < review["concluded_on"]):
                problems.append(f"{what} on {_fmt(d['served_on'])}, before its review concluded on "
                                f"{_fmt(review['concluded_on'])}.")
            if review["concluded_by_id"] is not None and review["concluded_by_id"] == d["decided_by_id"]:
                problems.append(f"{what}, and its review was concluded by the decision maker who made it.")
    return problems


def _move_on_support(cases: dict[Any, dict[str, Any]], decisions: dict[Any, list[dict[str, Any]]]) -> list[str]:
    from nrm.core import policy
    from nrm.support.models import SupportReferral

    until: dict[Any, date] = {}
    for row in SupportReferral.objects.filter(move_on_until__isnull=False).values("case_id", "move_on_until"):
        day = row["move_on_until"]
        if day is not None and (row["case_id"] not in until or day > until[row["case_id"]]):
            until[row["case_id"]] = day
    problems = []
    for case in cases.values():
        served = [d for d in decisions.get(case["id"], []) if d["stage"] == "CG" and d["status"] == "served"]
        if not served or served[-1]["outcome"] != "positive":
            continue
        cg_day = served[-1]["decided_on"]
        days = policy.move_on_support_min_days(on=cg_day)
        earliest = cg_day + timedelta(days=days)
        got = until.get(case["id"])
        if got is None:
            problems.append(f"Case {case['reference']} has a positive conclusive grounds decision on {_fmt(cg_day)} "
                            "but no move-on support.")
        elif got < earliest:
            problems.append(f"Case {case['reference']} has move-on support until {_fmt(got)}, less than the {days} "
                            f"days after its positive conclusive grounds decision on {_fmt(cg_day)} that the policy "
                            f"requires (until {_fmt(earliest)}).")
    return problems


def _duty_to_notify() -> list[str]:
    """Duty to Notify reports are anonymous by construction: they may point only at reference data
    (the reporting organisation, countries, exploitation types, a police force)."""
    from nrm.audit.models import AuditEvent
    from nrm.referrals.models import DutyToNotifyReport

    problems = []
    for f in DutyToNotifyReport._meta.get_fields():
        related = getattr(f, "related_model", None)
        if related is not None and related._meta.app_label != "reference":
            problems.append(f"Duty to Notify reports have a link ('{f.name}') to {related._meta.verbose_name} "
                            "records; they must hold nothing that leads to a person or a referral.")
    linked = (AuditEvent.objects.filter(object_type=DutyToNotifyReport._meta.label)
              .filter(case_id__isnull=False).values_list("object_id", flat=True)[:20])
    for object_id in linked:
        problems.append(f"The audit log links Duty to Notify report {object_id} to a case.")
    return problems


def _audit_chain() -> list[str]:
    from nrm.audit.services import audit_verify

    return [f"Audit event {p.event_id} {p.problem}." for p in audit_verify()]
