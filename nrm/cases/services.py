"""Casework services: every change to a case goes through one of these functions.

Each one takes keyword-only arguments, owns its transaction, locks the case, asks the
lifecycle (``next_state``) whether the step is allowed, writes the audit event and puts any
messages in the outbox (sent after commit). They raise ``ServiceError`` (or its subclasses
``AccessDenied``, ``TransitionNotAllowed``, ``GuardFailed``) with a message written for the
person who asked; nothing changes when they do.

Contract with nrm/reviews and nrm/support: ``case_record_rg_decision``,
``case_record_cg_decision``, ``case_apply_review_outcome`` and ``case_facts`` keep their names
and signatures. Concluding a review (panel or second-line, RG or CG) belongs to nrm/reviews
(``review_conclude``), which checks its rules and then calls ``case_apply_review_outcome``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from nrm.audit.services import audit_record
from nrm.cases import access, stages
from nrm.cases.disqualification import OPEN_STATES as DISQUALIFICATION_OPEN
from nrm.cases.disqualification import (
    DecideFacts,
    RaiseFacts,
    RequestEvent,
    RequestState,
    may_raise,
    next_request_state,
)
from nrm.cases.letters import letter_notice, letters_issue
from nrm.cases.lifecycle import CaseFacts, Event, State, allowed_events, next_state, reactivation_target
from nrm.cases.models import (
    Case,
    CaseNote,
    Decision,
    DecisionStatus,
    DisqualificationGround,
    DisqualificationRequest,
    InformationRequest,
    InformationRequestStatus,
    Outcome,
    ReconsiderationRequest,
    Stage,
    StatusChange,
)
from nrm.cases.standards import standard_in_force, standard_resolve
from nrm.core import hooks, policy, rules
from nrm.core.errors import AccessDenied, GuardFailed, ServiceError
from nrm.core.sealing import RecordClass, seal_for_audit
from nrm.core.workdays import add_working_days
from nrm.notify.models import MessageKind
from nrm.notify.services import outbox_add
from nrm.reference.models import NegativeDecisionReason
from nrm.referrals.services import referral_erase

# ---------------------------------------------------------------------------------------------
# Facts and helpers
# ---------------------------------------------------------------------------------------------


def case_facts(case: Case, *, actor: Any = None, today: date | None = None) -> CaseFacts:
    """What the lifecycle guards need to know about ``case`` now (or on ``today``)."""
    return CaseFacts(
        today=today or timezone.localdate(),
        rg_date=case.rg_date,
        recovery_period_days=case.recovery_period_days,
        open_information_requests=InformationRequest.objects.filter(
            case=case, status=InformationRequestStatus.OPEN).count(),
        actor_id=getattr(actor, "pk", None),
        last_decision_maker_id=case.last_decision_maker_id,
        suspended_from=State(case.suspended_from) if case.suspended_from else None,
    )




def _lock(case: Case) -> Case:
    """Lock the case row for this transaction and reload it, so two people cannot both act."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
    case.refresh_from_db()
    return case


@contextmanager
def _changing(case: Case) -> Iterator[Case]:
    """A service's transaction on a locked case. When a rule refuses the step, the transaction
    rolls back and the caller's ``case`` object is reloaded, so it never shows a half-made change."""
    try:
        with transaction.atomic():
            yield _lock(case)
    except ServiceError:
        case.refresh_from_db()
        raise


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "state": case.state,
        "allocated_to": str(case.allocated_to_id) if case.allocated_to_id else None,
        "rg_date": case.rg_date,
        "recovery_period_days": case.recovery_period_days,
        "cg_date": case.cg_date,
        "suspended_from": case.suspended_from or None,
    }


def _move(case: Case, event: Event, facts: CaseFacts, *, actor: Any, reason: str = "", ground: str = "") -> State:
    """Apply ``event`` if the lifecycle allows it; record the change. The caller saves the case."""
    source = State(case.state)
    target = next_state(source, event, facts)
    case.state = target
    case.state_changed_at = timezone.now()
    StatusChange.objects.create(
        case=case,
        event=event.value,
        from_state=source.value,
        to_state=target.value,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        ground=ground,
        occurred_on=facts.today,
    )
    return target


def _require_decision_maker(user: Any, case: Case, what: str) -> None:
    if not access.is_decision_maker_for(user, case):
        raise AccessDenied(
            f"Only a caseworker or senior decision maker at the {access.deciding_body_name(case)} "
            f"can {what}."
        )


def _require_senior(user: Any, case: Case, what: str) -> None:
    if not access.is_senior_for(user, case):
        raise AccessDenied(
            f"Only a senior decision maker at the {access.deciding_body_name(case)} "
            f"can {what}."
        )


def _required_text(value: str | None, *, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError(message, field=field)
    return text


def _decision_date(case: Case, decided_on: date | None) -> date:
    today = timezone.localdate()
    day = decided_on or today
    if day > today:
        raise ServiceError("The decision date must be today or in the past.", field="decided_on")
    if day < case.received_on:
        raise ServiceError(
            f"The decision date must be on or after the date the referral was received ({case.received_on.day} "
            f"{case.received_on:%B %Y}).",
            field="decided_on",
        )
    return day


def _outcome(value: str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise ServiceError("Select whether the decision is positive or negative.", field="outcome") from None


def _reasons_resolve(stage: Stage, outcome: Outcome, reasons: Iterable[Any], on: date) -> list[NegativeDecisionReason]:
    """Reasons as reference rows: codes, ids or rows, each for this stage and in force on the date."""
    given = list(reasons or [])
    if outcome == Outcome.POSITIVE:
        if given:
            raise ServiceError("A positive decision has no reasons for refusal. Remove the reasons selected.",
                               field="reasons")
        return []
    if not given:
        raise ServiceError("Select at least one reason for a negative decision.", field="reasons")
    in_force = {r.code: r for r in NegativeDecisionReason.objects.in_force(on).filter(stage=stage.value)}
    by_pk = {str(r.pk): r for r in in_force.values()}
    resolved: list[NegativeDecisionReason] = []
    for item in given:
        if isinstance(item, NegativeDecisionReason):
            key = item.code if item.stage == stage.value else None
            found = in_force.get(key) if key else None
        else:
            found = in_force.get(str(item)) or by_pk.get(str(item))
        if found is None:
            raise ServiceError(
                f"'{item}' is not a {stage.label.lower()} reason in force on {on.day} {on:%B %Y}.", field="reasons")
        if found not in resolved:
            resolved.append(found)
    return resolved


def _decision_audit(decision: Decision) -> dict[str, Any]:
    return {
        "decision": str(decision.pk),
        "stage": decision.stage,
        "outcome": decision.outcome,
        "status": decision.status,
        "decided_on": decision.decided_on,
        "decided_by": decision.decided_by.email,
        "reasons": [r.code for r in decision.reasons.all()],
    }


def _replace_standing_decision(case: Case, stage: Stage) -> None:
    """On reconsideration, the served decision of that stage is replaced by the fresh one."""
    Decision.objects.filter(case=case, stage=stage.value, status=DecisionStatus.SERVED).update(
        status=DecisionStatus.RECONSIDERED, updated_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Routing and allocation
# ---------------------------------------------------------------------------------------------


def case_route(*, case: Case, actor: Any = None, today: date | None = None) -> Case:
    """Put a submitted case in its competent authority's queue (SUBMITTED -> AWAITING_RG), with
    its StatusChange row. Called by ``nrm.cases.intake.case_open`` as the case opens."""
    with _changing(case):
        before = _snapshot(case)
        _move(case, Event.ROUTE, case_facts(case, actor=actor, today=today), actor=actor)
        case.save(update_fields=["state", "state_changed_at", "updated_at"])
        audit_record(actor=actor, action="case.routed", target=case, before=before,
                     after={**_snapshot(case), "competent_authority": case.competent_authority,
                            "rg_target_date": case.rg_target_date})
    return case


def case_allocate(*, cases: Sequence[Case], caseworker: Any, allocated_by: Any) -> int:
    """Allocate cases (one or many) to a caseworker, or unallocate them with ``caseworker=None``.

    Only a senior decision maker allocates, only live cases of their own competent authority,
    and only to staff of that same authority.
    """
    if not cases:
        raise ServiceError("Select at least one case to allocate.", field="cases")
    with transaction.atomic():
        locked = list(Case.objects.select_for_update().filter(pk__in=[c.pk for c in cases]).order_by("pk"))
        if len(locked) != len({c.pk for c in cases}):
            raise ServiceError("One of the cases selected no longer exists.", field="cases")
        for case in locked:
            _require_senior(allocated_by, case, "allocate cases")
            if caseworker is not None and not access.is_decision_maker_for(caseworker, case):
                raise ServiceError(
                    f"{caseworker} is not a caseworker at the "
                    f"{access.deciding_body_name(case)}.", field="caseworker")
        closed = [c.reference for c in locked if State(c.state) not in stages.OPEN]
        if closed:
            raise ServiceError(
                f"Only open cases can be allocated; {', '.join(sorted(closed))} "
                f"{'is' if len(closed) == 1 else 'are'} concluded.", field="cases")
        now = timezone.now()
        for case in locked:
            before = {"allocated_to": str(case.allocated_to_id) if case.allocated_to_id else None}
            case.allocated_to = caseworker
            case.updated_at = now
            audit_record(actor=allocated_by, action="case.allocated" if caseworker else "case.unallocated",
                         target=case, before=before,
                         after={"allocated_to": str(caseworker.pk) if caseworker else None})
        Case.objects.bulk_update(locked, ["allocated_to", "updated_at"])
    for case in cases:
        case.allocated_to = caseworker
    return len(locked)


# ---------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------


def case_record_rg_decision(
    *,
    case: Case,
    decision_maker: Any,
    outcome: str,
    standard_applied: str,
    reasons: Iterable[Any],
    rationale: str,
    decided_on: date | None = None,
) -> Decision:
    """Record a reasonable grounds decision.

    Positive: served at once, the recovery period set from the policy in force on the decision
    date, and a letter sent. Negative: proposed, and the case waits for a senior's second-line
    review (RG_UNDER_REVIEW) before anything is served.
    """
    _require_decision_maker(decision_maker, case, "make a reasonable grounds decision on this case")
    result = _outcome(outcome)
    day = _decision_date(case, decided_on)
    standard = standard_resolve(Stage.RG.value, standard_applied, on=day)
    reason_rows = _reasons_resolve(Stage.RG, result, reasons, day)
    text = _required_text(rationale, field="rationale", message="Enter the rationale for the decision.")
    with _changing(case):
        before = _snapshot(case)
        if case.state == State.SUBMITTED:
            _move(case, Event.ROUTE, case_facts(case, today=day), actor=None)
        source = State(case.state)
        facts = case_facts(case, actor=decision_maker, today=day)
        event = Event.RG_POSITIVE if result == Outcome.POSITIVE else Event.RG_NEGATIVE
        _move(case, event, facts, actor=decision_maker)
        if source == State.RG_RECONSIDERATION:
            _replace_standing_decision(case, Stage.RG)
        decision_policy = rules.decision_policy_snapshot(case=case, stage=Stage.RG, positive=result == Outcome.POSITIVE,
                                                         decided_on=day, standard_code=standard.code)
        decision = _decision_create(case, Stage.RG, result, standard_label=standard.label, rationale=text,
                                    decision_maker=decision_maker, day=day, decision_policy=decision_policy,
                                    reasons=reason_rows)
        if result == Outcome.POSITIVE:
            case.rg_date = day
            case.recovery_period_days = decision_policy["recovery_period_days"]
            case.cg_date = None
        _decision_recorded(case, decision, actor=decision_maker, before=before)
    return decision


def case_record_cg_decision(
    *,
    case: Case,
    decision_maker: Any,
    outcome: str,
    reasons: Iterable[Any],
    rationale: str,
    decided_on: date | None = None,
) -> Decision:
    """Record a conclusive grounds decision.

    Refused (GuardFailed) before the recovery period has run or while a request for information
    is open. Positive: served, with a letter. Negative: proposed, for independent review
    (CG_UNDER_REVIEW; the panel or second-line review in nrm/reviews concludes it).
    """
    _require_decision_maker(decision_maker, case, "make a conclusive grounds decision on this case")
    result = _outcome(outcome)
    day = _decision_date(case, decided_on)
    standard = standard_in_force(Stage.CG.value, on=day)
    reason_rows = _reasons_resolve(Stage.CG, result, reasons, day)
    text = _required_text(rationale, field="rationale", message="Enter the rationale for the decision.")
    with _changing(case):
        before = _snapshot(case)
        source = State(case.state)
        facts = case_facts(case, actor=decision_maker, today=day)
        event = Event.CG_POSITIVE if result == Outcome.POSITIVE else Event.CG_NEGATIVE
        _move(case, event, facts, actor=decision_maker)
        if source == State.CG_RECONSIDERATION:
            _replace_standing_decision(case, Stage.CG)
        decision_policy = rules.decision_policy_snapshot(case=case, stage=Stage.CG, positive=result == Outcome.POSITIVE,
                                                         decided_on=day, standard_code=standard.code)
        decision = _decision_create(case, Stage.CG, result, standard_label=standard.label, rationale=text,
                                    decision_maker=decision_maker, day=day, decision_policy=decision_policy,
                                    reasons=reason_rows)
        if result == Outcome.POSITIVE:
            case.cg_date = day
        _decision_recorded(case, decision, actor=decision_maker, before=before)
    return decision


def case_record_decision(*, case: Case, stage: Stage, decision_maker: Any, outcome: str, reasons: Iterable[Any],
                         rationale: str, standard_applied: str = "") -> Decision:
    """Record the ``stage`` decision from the decision form's cleaned answers (the page and the API):
    ``standard_applied`` is asked only at reasonable grounds."""
    if stage == Stage.RG:
        return case_record_rg_decision(case=case, decision_maker=decision_maker, outcome=outcome,
                                       standard_applied=standard_applied, reasons=reasons, rationale=rationale)
    return case_record_cg_decision(case=case, decision_maker=decision_maker, outcome=outcome, reasons=reasons,
                                   rationale=rationale)


def _decision_create(case: Case, stage: Stage, result: Outcome, *, standard_label: str, rationale: str,
                     decision_maker: Any, day: date, decision_policy: dict[str, Any],
                     reasons: Sequence[NegativeDecisionReason]) -> Decision:
    """A positive decision is served at once; a negative one is proposed, for review."""
    positive = result == Outcome.POSITIVE
    decision = Decision.objects.create(
        case=case, stage=stage, outcome=result, standard_applied=standard_label, rationale=rationale,
        decided_by=decision_maker, decided_on=day,
        status=DecisionStatus.SERVED if positive else DecisionStatus.PROPOSED,
        served_on=day if positive else None,
        policy=decision_policy,
    )
    decision.reasons.set(reasons)
    case.last_decision_maker = decision_maker
    return decision


def _decision_recorded(case: Case, decision: Decision, *, actor: Any, before: dict[str, Any]) -> None:
    case.save()
    audit_record(actor=actor, action=f"case.{decision.stage.lower()}_decision_recorded", target=decision, case=case,
                 before=before, after={**_snapshot(case), **_decision_audit(decision)})
    _announce(decision, actor=actor)


def _announce(decision: Decision, *, actor: Any) -> None:
    """After a decision is recorded: letters for a served one, and the hooks later domains listen to
    (nrm/reviews opens a review of a proposed negative; nrm/support acts on a served positive)."""
    if decision.status == DecisionStatus.SERVED:
        letters_issue(decision, letter_date=decision.served_on or timezone.localdate())
        hooks.decision_served.emit(hooks.DecisionEvent(decision=decision, on=decision.served_on or decision.decided_on,
                                                       actor=actor))
    elif decision.status == DecisionStatus.PROPOSED:
        hooks.negative_decision_proposed.emit(hooks.DecisionEvent(decision=decision, on=decision.decided_on,
                                                                  actor=actor))


def case_proposed_decision(case: Case) -> Decision | None:
    """The negative decision waiting for review, if the case is under review."""
    stage = {State.RG_UNDER_REVIEW: Stage.RG, State.CG_UNDER_REVIEW: Stage.CG}.get(State(case.state))
    if stage is None:
        return None
    return (Decision.objects.filter(case=case, stage=stage.value, status=DecisionStatus.PROPOSED)
            .select_related("decided_by").order_by("-created_at").first())


def case_apply_review_outcome(*, case: Case, decision: Decision, reviewer: Any, agree: bool, rationale: str,
                              on: date) -> Decision:
    """Apply the outcome of a concluded review to the case: the cases half of
    ``nrm.reviews.services.review_conclude``, which checks every rule of concluding a review
    (who may, reasons, not the decision maker, dates) and calls this in its transaction. Only the
    reviews domain calls it.

    Agree (Event.REVIEW_AGREE): the decision is served on ``on`` and the letters sent. Disagree
    (Event.REVIEW_DISAGREE): the decision is overturned and the case is referred back for a fresh
    decision by a different decision maker.
    """
    with _changing(case):
        before = _snapshot(case)
        if case_proposed_decision(case) != decision:
            raise GuardFailed("This decision is not the one on this case waiting for review.")
        event = Event.REVIEW_AGREE if agree else Event.REVIEW_DISAGREE
        _move(case, event, case_facts(case, actor=reviewer, today=on), actor=reviewer, reason=rationale)
        decision.reviewed_by = reviewer
        decision.reviewed_on = on
        decision.review_rationale = rationale
        if agree:
            decision.status = DecisionStatus.SERVED
            decision.served_on = on
            if decision.stage == Stage.RG:
                case.rg_date = decision.decided_on
            else:
                case.cg_date = decision.decided_on
        else:
            decision.status = DecisionStatus.OVERTURNED
            if case.allocated_to_id is not None and case.allocated_to_id == case.last_decision_maker_id:
                case.allocated_to = None  # the fresh decision needs someone else: a senior reallocates
        decision.save()
        case.save()
        audit_record(actor=reviewer, action="case.review_concluded", target=decision, case=case, before=before,
                     after={**_snapshot(case), **_decision_audit(decision), "agree": agree,
                            "reviewed_by": getattr(reviewer, "email", str(reviewer))})
        if agree:
            _announce(decision, actor=reviewer)
    return decision


def case_recovery_period_end(*, case: Case, today: date | None = None) -> Case:
    """Move a case whose recovery period has run from POSITIVE_RG to AWAITING_CG (system step)."""
    with _changing(case):
        before = _snapshot(case)
        _move(case, Event.RECOVERY_PERIOD_ENDS, case_facts(case, today=today), actor=None)
        case.save(update_fields=["state", "state_changed_at", "updated_at"])
        audit_record(actor=None, action="case.recovery_period_ended", target=case, before=before,
                     after=_snapshot(case))
    return case


# ---------------------------------------------------------------------------------------------
# Requests for further information
# ---------------------------------------------------------------------------------------------


def information_request_default_due(case: Case, *, today: date | None = None) -> date:
    day = today or timezone.localdate()
    return add_working_days(day, policy.int_value("rfi_response_working_days", on=day), case.nation)


def information_request_send(*, case: Case, requested_by: Any, question: str,
                             due_on: date | None = None) -> InformationRequest:
    """Ask the first responder for further information, with a date to answer by."""
    _require_decision_maker(requested_by, case, "ask for further information on this case")
    text = _required_text(question, field="question", message="Enter the information you need.")
    today = timezone.localdate()
    due = due_on or information_request_default_due(case, today=today)
    if due <= today:
        raise ServiceError("The date to answer by must be in the future.", field="due_on")
    with _changing(case):
        if State(case.state) not in stages.INFORMATION_REQUEST_STATES:
            raise ServiceError(f"This case is '{State(case.state).label}': further information cannot be "
                               "requested now.")
        request = InformationRequest.objects.create(
            case=case, addressed_to=case.first_responder_organisation, requested_by=requested_by,
            question=text, due_on=due,
        )
        outbox_add(
            kind=MessageKind.INFORMATION_REQUEST,
            subject=f"Request for further information - {case.reference}",
            body=(f"The {access.deciding_body_name(case)} needs further information "
                  f"about referral {case.reference} by {due.day} {due:%B %Y}. Sign in to the service and open "
                  "'Requests for information' to read the request and answer it."),
            recipient_organisation=case.first_responder_organisation,
            about=request,
        )
        audit_record(actor=requested_by, action="information_request.sent", target=request, case=case,
                     after={"information_request": str(request.pk), "due_on": due,
                            "addressed_to": case.first_responder_organisation.slug})
    return request


def information_request_answer(*, information_request: InformationRequest, answered_by: Any,
                               answer: str) -> InformationRequest:
    """The first responder's answer; it lands on the case and the caseworker is told."""
    request = information_request
    if request.addressed_to_id not in access.first_responder_organisation_ids(answered_by):
        raise AccessDenied("Only a first responder at the organisation the request was sent to can answer it.")
    text = _required_text(answer, field="answer", message="Enter your answer.")
    with transaction.atomic():
        InformationRequest.objects.select_for_update().filter(pk=request.pk).values_list("pk", flat=True).first()
        request.refresh_from_db()
        if request.status != InformationRequestStatus.OPEN:
            raise ServiceError("This request has already been answered or closed.")
        request.status = InformationRequestStatus.ANSWERED
        request.answer = text
        request.answered_by = answered_by
        request.answered_at = timezone.now()
        request.save()
        case = request.case
        recipient = case.allocated_to or request.requested_by
        if recipient is not None and recipient.email:
            outbox_add(
                kind=MessageKind.INFORMATION_REQUEST,
                subject=f"Further information received - {case.reference}",
                body=f"The first responder has answered your request for information on case {case.reference}. "
                     "Sign in to read it on the case.",
                recipient_email=recipient.email,
                about=request,
            )
        audit_record(actor=answered_by, action="information_request.answered", target=request, case=case,
                     after={"information_request": str(request.pk)})
    return request


def information_request_close(*, information_request: InformationRequest, closed_by: Any,
                              reason: str) -> InformationRequest:
    """Close a request without an answer (for example when it is no longer needed)."""
    request = information_request
    _require_decision_maker(closed_by, request.case, "close a request for information on this case")
    text = _required_text(reason, field="reason", message="Enter why you are closing the request.")
    with transaction.atomic():
        InformationRequest.objects.select_for_update().filter(pk=request.pk).values_list("pk", flat=True).first()
        request.refresh_from_db()
        if request.status != InformationRequestStatus.OPEN:
            raise ServiceError("This request has already been answered or closed.")
        request.status = InformationRequestStatus.CLOSED
        request.closed_by = closed_by
        request.closed_reason = text
        request.save()
        audit_record(actor=closed_by, action="information_request.closed", target=request, case=request.case,
                     after={"information_request": str(request.pk),
                            "reason": seal_for_audit(request.case.referral, text)})
    return request


# ---------------------------------------------------------------------------------------------
# Notes, reconsideration and the other transitions
# ---------------------------------------------------------------------------------------------


def case_representative_set(*, case: Case, actor: Any, name: str, email: str) -> Case:
    """Record (or clear, with both empty) the person's legal representative, who is sent the
    decision letters from then on."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    _require_decision_maker(actor, case, "record the person's representative")
    name, email = (name or "").strip(), (email or "").strip()
    if name and not email:
        raise ServiceError("Enter the representative's email address, so that letters can be sent to them.",
                           field="representative_email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError("Enter an email address in the correct format, like name@example.com",
                               field="representative_email") from None
    with _changing(case):
        # Who the representative is goes into the audit log sealed under the referral's data key
        # (ADR 0019): erasing the referral erases it there too, and the chain still verifies.
        referral = case.referral
        before = {"representative_name": seal_for_audit(referral, case.representative_name),
                  "representative_email": seal_for_audit(referral, case.representative_email)}
        case.representative_name = name[:200]
        case.representative_email = email
        case.save(update_fields=["representative_name", "representative_email", "updated_at"])
        audit_record(actor=actor, action="case.representative_recorded", target=case, before=before,
                     after={"representative_name": seal_for_audit(referral, case.representative_name),
                            "representative_email": seal_for_audit(referral, case.representative_email)})
    return case


def case_note_add(*, case: Case, author: Any, text: str) -> CaseNote:
    _require_decision_maker(author, case, "add notes to this case")
    body = _required_text(text, field="text", message="Enter the note.")
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=author, text=body)
        audit_record(actor=author, action="case_note.added", target=note, case=case,
                     after={"note": str(note.pk)})
    return note


def case_request_reconsideration(*, case: Case, requested_by: Any, grounds: str) -> ReconsiderationRequest:
    """A first responder (of the referring organisation) or the person's support provider asks for a
    negative decision to be reconsidered (the capability table's REQUEST_RECONSIDERATION, held in
    that organisation). A different decision maker then takes the fresh decision."""
    organisation = access.reconsideration_organisation(requested_by, case)
    if organisation is None:
        raise AccessDenied("Only the first responder who made the referral, or the person's support provider, "
                           "can ask for a decision to be reconsidered.")
    text = _required_text(grounds, field="grounds", message="Enter why the decision should be reconsidered.")
    with _changing(case):
        before = _snapshot(case)
        stage = {State.NEGATIVE_RG: Stage.RG, State.NEGATIVE_CG: Stage.CG}.get(State(case.state))
        _move(case, Event.REQUEST_RECONSIDERATION, case_facts(case, actor=requested_by), actor=requested_by,
              reason=text)
        assert stage is not None  # the lifecycle allows reconsideration only from a served negative decision
        standing = (Decision.objects.filter(case=case, stage=stage.value, status=DecisionStatus.SERVED)
                    .order_by("-created_at").first())
        request = ReconsiderationRequest.objects.create(
            case=case, stage=stage, requested_by=requested_by, requested_by_organisation=organisation,
            decision=standing, grounds=text)
        case.save(update_fields=["state", "state_changed_at", "updated_at"])
        audit_record(actor=requested_by, action="case.reconsideration_requested", target=request, case=case,
                     before=before, after={**_snapshot(case), "stage": stage.value,
                                           "organisation": organisation.slug})
    return request


def _simple_transition(*, case: Case, actor: Any, event: Event, action: str, reason: str, what: str,
                       ground: str = "", senior_only: bool = False) -> Case:
    if senior_only:
        _require_senior(actor, case, what)
    else:
        _require_decision_maker(actor, case, what)
    text = _required_text(reason, field="reason", message="Enter the reasons.")
    with _changing(case):
        before = _snapshot(case)
        source = State(case.state)
        facts = case_facts(case, actor=actor)
        if event == Event.REACTIVATE:
            target = reactivation_target(facts)
            _move(case, event, facts, actor=actor, reason=text)
            assert case.state == target
            case.suspended_from = ""
        else:
            _move(case, event, facts, actor=actor, reason=text, ground=ground)
            if event == Event.SUSPEND:
                case.suspended_from = source.value
            elif event == Event.WITHDRAW:
                case.suspended_from = ""
        case.save(update_fields=["state", "state_changed_at", "suspended_from", "updated_at"])
        audit_record(actor=actor, action=action, target=case, before=before,
                     after={**_snapshot(case), "reason": seal_for_audit(case.referral, text),
                            **({"ground": ground} if ground else {})})
    return case


def case_withdraw(*, case: Case, actor: Any, reason: str) -> Case:
    """Record that the case is withdrawn (for example, the person withdrew consent)."""
    with transaction.atomic():
        _simple_transition(case=case, actor=actor, event=Event.WITHDRAW, action="case.withdrawn", reason=reason,
                           what="withdraw this case")
        hooks.case_ended.emit(hooks.CaseEvent(case=case, outcome="withdrawn", on=timezone.localdate(), actor=actor))
        subject, body = letter_notice(case, to_representative=False, what="a notice of withdrawal")
        outbox_add(kind=MessageKind.DECISION_LETTER, subject=subject, body=body,
                   recipient_organisation=case.first_responder_organisation, about=case)
    return case


def case_suspend(*, case: Case, actor: Any, reason: str) -> Case:
    """Suspend a case (for example, the person is missing); it reactivates to where it was."""
    return _simple_transition(case=case, actor=actor, event=Event.SUSPEND, action="case.suspended", reason=reason,
                              what="suspend this case")


def case_reactivate(*, case: Case, actor: Any, reason: str) -> Case:
    return _simple_transition(case=case, actor=actor, event=Event.REACTIVATE, action="case.reactivated",
                              reason=reason, what="reactivate this case")


def case_disqualify(*, case: Case, actor: Any, ground: str, reasons: str) -> Case:
    """Public order or bad faith disqualification after a positive RG (Nationality and Borders Act
    2022, section 63): the recovery period protections end. Reasons are required and sent."""
    try:
        chosen = DisqualificationGround(ground)
    except ValueError:
        raise ServiceError("Select the ground for disqualification.", field="ground") from None
    with transaction.atomic():
        _simple_transition(case=case, actor=actor, event=Event.DISQUALIFY, action="case.disqualified",
                           reason=reasons, ground=chosen.value, what="disqualify this case")
        hooks.case_ended.emit(hooks.CaseEvent(case=case, outcome="disqualified", on=timezone.localdate(),
                                              actor=actor))
        subject, body = letter_notice(case, to_representative=False, what="a decision")
        outbox_add(kind=MessageKind.DECISION_LETTER, subject=subject,
                   body=body, recipient_organisation=case.first_responder_organisation, about=case)
        if case.representative_email:
            subject, body = letter_notice(case, to_representative=True, what="a decision")
            outbox_add(kind=MessageKind.DECISION_LETTER, subject=subject,
                       body=body, recipient_email=case.representative_email, about=case)
    return case


def disqualification_request_raise(*, case: Case, raised_by: Any, ground: str, grounds: str,
                                   today: date | None = None) -> DisqualificationRequest:
    """Someone at the competent authority asks for the person to be disqualified on public order or
    bad faith grounds (s.63), with the grounds; a senior decision maker decides. Audited."""
    _require_decision_maker(raised_by, case, "ask for this person to be disqualified")
    try:
        chosen = DisqualificationGround(ground)
    except ValueError:
        raise ServiceError("Select the ground for disqualification.", field="ground") from None
    day = today or timezone.localdate()
    with _changing(case):
        may_raise(RaiseFacts(
            section_63_applies=rules.public_order_disqualification_applies(on=day),
            case_may_be_disqualified=Event.DISQUALIFY in allowed_events(State(case.state)),
            open_request=DisqualificationRequest.objects.filter(
                case=case, status__in=[str(s) for s in DISQUALIFICATION_OPEN]).exists(),
            grounds=grounds))
        request = DisqualificationRequest.objects.create(case=case, ground=chosen.value, grounds=grounds.strip(),
                                                         raised_by=raised_by, raised_on=day)
        audit_record(actor=raised_by, action="case.disqualification_requested", target=request, case=case,
                     after={"ground": chosen.value, "raised_on": day})
    return request


def disqualification_request_decide(*, request: DisqualificationRequest, decided_by: Any, disqualify: bool,
                                    reasons: str, today: date | None = None) -> DisqualificationRequest:
    """A senior decision maker who did not raise the request decides it, with reasons. To
    disqualify is ``case_disqualify`` (the case's table, the letters, and the end of support)."""
    case = request.case
    _require_senior(decided_by, case, "decide a disqualification request")
    day = today or timezone.localdate()
    with transaction.atomic():
        request = DisqualificationRequest.objects.select_for_update().get(pk=request.pk)
        request.status = next_request_state(
            RequestState(request.status),
            RequestEvent.DISQUALIFY if disqualify else RequestEvent.DO_NOT_DISQUALIFY,
            DecideFacts(reasons=reasons, decided_by_raiser=request.raised_by_id == decided_by.pk))
        request.decided_by = decided_by
        request.decided_on = day
        request.reasons = reasons.strip()
        request.save()
        audit_record(actor=decided_by, action="case.disqualification_decided", target=request, case=case,
                     after={"status": request.status, "decided_on": day})
        if disqualify:
            case_disqualify(case=case, actor=decided_by, ground=request.ground, reasons=request.reasons)
    return request


def case_close(*, case: Case, actor: Any, reason: str) -> Case:
    """Close a concluded case (after a served decision, withdrawal or disqualification)."""
    return _simple_transition(case=case, actor=actor, event=Event.CLOSE, action="case.closed", reason=reason,
                              what="close this case")


# ---------------------------------------------------------------------------------------------
# Erasure and retention (crypto-shredding, ADR 0019)
# ---------------------------------------------------------------------------------------------


def case_erase(*, case: Case, actor: Any, reason: str) -> int:
    """The right-to-erasure path: destroy the data key of the case's referral (and of the request
    to refer it came from), so its answers, evidence, notes, letters and the audit details sealed
    under it can never be read again. The case row, its codes and dates (the statistics) and the
    audit chain stay. ``reason`` (why, without personal data: the request's own reference) is
    required and audited. Returns how many keys were destroyed."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason for the erasure (for example the erasure request's reference).",
                           field="reason")
    with transaction.atomic():
        destroyed = referral_erase(referral=case.referral, because="erasure")
        audit_record(actor=actor, action="case.erased", target=case,
                     after={"reason": reason[:500], "data_keys_destroyed": destroyed})
    return destroyed


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def cases_apply_retention(*, today: date | None = None) -> int:
    """Erase the personal details of every case closed at least ``closed_case_retention_years``
    (dated policy) ago: a case closed on this day that many years back is erased today. Audited
    once per run with the class and how many, no personal data. Returns how many were erased."""
    day = today or timezone.localdate()
    years = policy.int_value("closed_case_retention_years", on=day)
    cutoff = _years_before(day, years)
    due = (Case.objects.filter(state=State.CLOSED, referral__data_key__destroyed_at__isnull=True)
           .select_related("referral").order_by("state_changed_at"))
    erased = 0
    with transaction.atomic():
        for case in due.iterator(chunk_size=500):
            if timezone.localdate(case.state_changed_at) > cutoff:
                break
            erased += 1 if referral_erase(referral=case.referral, because="retention:closed_case") else 0
        if erased:
            audit_record(actor=None, action="retention.applied", target=RecordClass("closed_case"),
                         after={"class": "closed_case", "erased": erased, "closed_on_or_before": cutoff,
                                "policy": "closed_case_retention_years", "years": years})
    return erased
