"""Referrals over the API, for first responders' case-management systems (``/api/v1/referrals``).

The same journey as the web form, through the same services: answers are read with the journey's
``parse_step`` and ``values_to_save`` and checked with its ``step_errors`` and ``journey_errors``, so
a question, its options and its error messages have one definition.

- ``POST /referrals`` starts a draft (``referrals:write``), optionally with answers;
- ``PATCH /referrals/{id}`` saves answers as sent, valid or not, as the web form does (nothing typed is
  lost), and answers with the problems still to fix;
- ``POST /referrals/{id}/submit`` sends the draft: 400 with every missing or invalid answer, or the
  reference (or, for a Duty to Notify report, the report's reference);
- ``GET /referrals`` and ``GET /referrals/{id}`` read the organisation's referrals and the decisions
  on them (``referrals:read``, or ``referrals:write`` for drafts);
- ``GET /referrals/questions`` lists the questions, their kinds and options.

Creating and submitting honour ``Idempotency-Key`` (``nrm.api.idempotency``).

An answer is a string; a checkbox or repeated select answer is a list of strings; a date is an object
``{"day": "1", "month": "2", "year": "2026"}`` or an ISO date ``"2026-02-01"``. Evidence files are
added through the web form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.auth import ClientRateThrottle, needs_scope
from nrm.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from nrm.api.idempotency import idempotent
from nrm.api.messages import AUTH
from nrm.api.scopes import Scope
from nrm.core.api_errors import ErrorSerializer, validation_body
from nrm.reference.models import Organisation
from nrm.referrals import journey, selectors, services
from nrm.referrals.choices import options_on
from nrm.referrals.journey import Field, Kind, Step
from nrm.referrals.models import Referral, ReferralStatus

LIST_LIMIT = 200
READ = needs_scope(Scope.REFERRALS_READ, Scope.REFERRALS_WRITE)
WRITES = frozenset({"POST", "PATCH"})
WRITE = needs_scope(Scope.REFERRALS_WRITE)


class ReadOrWrite(BasePermission):
    """Reading needs ``referrals:read`` (or ``referrals:write``); writing needs ``referrals:write``."""

    message = "Reading needs the referrals:read or referrals:write scope; writing needs referrals:write."

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = WRITE if request.method in WRITES else READ  # any other method: 405 for a reader
        return needed().has_permission(request, view)

STEP_OF: Mapping[str, Step] = {f.name: step for step in journey.STEPS for f in step.fields}
FIELD: Mapping[str, Field] = {f.name: f for step in journey.STEPS for f in step.fields}
LISTS = frozenset({Kind.CHECKBOXES, Kind.SELECTS})
DATE_PARTS = ("day", "month", "year")
IDEMPOTENCY = OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False,
                               description="Any unique string (a UUID): a repeat with the same key gets the "
                                           "first answer again and writes nothing. Kept for 24 hours.")


# --- Reading answers sent as JSON -----------------------------------------------------------------

class _JsonAnswers:
    """The JSON answers as the form data ``journey.parse_step`` reads (``name``, ``name-day``, lists)."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = answers

    def get(self, key: str, default: Any = "") -> Any:
        name, _, part = key.rpartition("-")
        if part in DATE_PARTS and isinstance(self.answers.get(name), Mapping):
            return self.answers[name].get(part, default)
        return self.answers.get(key, default)

    def getlist(self, key: str) -> list[Any]:
        value = self.answers.get(key, [])
        return list(value) if isinstance(value, list) else [value]


def _shape_problem(f: Field, value: Any) -> str | None:
    """Why ``value`` cannot be an answer to ``f`` at all (a number, an object where text is asked)."""
    if f.kind in LISTS:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "Send a list of option values (strings)."
    if f.kind == Kind.DATE:
        if isinstance(value, Mapping):
            ok = set(value) <= set(DATE_PARTS) and all(isinstance(v, str) for v in value.values())
            return None if ok else 'Send a date as {"day": "1", "month": "2", "year": "2026"} or "2026-02-01".'
        return None if isinstance(value, str) and _iso_date_or_blank(value) else \
            'Send a real date as "2026-02-01", or an object of day, month and year.'
    return None if isinstance(value, str) else "Send the answer as a string."


def _iso_date_or_blank(value: str) -> bool:
    try:
        return not value.strip() or bool(dt.date.fromisoformat(value.strip()))
    except ValueError:
        return False


def _date_parts(value: Any) -> Any:
    """An ISO date as the day, month and year the journey stores; a blank clears the answer."""
    if isinstance(value, str):
        if not value.strip():
            return {part: "" for part in DATE_PARTS}
        day = dt.date.fromisoformat(value.strip())
        return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
    return value


def _read_answers(body: Any) -> dict[str, Any]:
    """The ``answers`` object of a request, each known and well-shaped (400 with every fault otherwise)."""
    if not isinstance(body, Mapping):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    answers = body.get("answers", {})
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": ["Send the answers as an object of question names to answers."]})
    faults: dict[str, list[str]] = {}
    for name, value in answers.items():
        f = FIELD.get(name)
        problem = "There is no question of this name (see /api/v1/referrals/questions)." if f is None \
            else _shape_problem(f, value)
        if problem:
            faults[f"answers.{name}"] = [problem]
    if faults:
        raise ValidationError(faults)
    return {name: _date_parts(v) if FIELD[name].kind == Kind.DATE else v for name, v in answers.items()}


def _save_answers(referral: Referral, actor: Any, sent: dict[str, Any]) -> Referral:
    """Save the sent answers page by page, through the journey's reading and keeping rules."""
    for step in journey.STEPS:
        names = [f.name for f in step.fields if f.name in sent]
        if not names:
            continue
        merged = {**referral.answers, **sent}
        values = {k: v for k, v in journey.parse_step(step, _JsonAnswers(sent), merged).items() if k in names}
        not_asked = [n for n in names if n not in values]
        if not_asked:
            raise ValidationError({f"answers.{n}": ["This question is not asked of this referral, given its "
                                                    "other answers."] for n in not_asked})
        referral = services.referral_save_step(referral=referral, actor=actor, step=step.slug,
                                               values=journey.values_to_save(step, values, referral.answers),
                                               resume_at=referral.last_step or step.slug)
    return referral


# --- What is answered ---------------------------------------------------------------------------

class ProblemSerializer(serializers.Serializer[Any]):
    question = serializers.CharField(help_text="The question's name (a key of answers).")
    step = serializers.CharField(help_text="The page of the web form that asks it.")
    message = serializers.CharField()


class DecisionSummarySerializer(serializers.Serializer[Any]):
    stage = serializers.CharField(help_text="RG (reasonable grounds) or CG (conclusive grounds).")
    outcome = serializers.CharField()
    status = serializers.CharField(help_text="proposed (awaiting review), served, or replaced.")
    decided_on = serializers.DateField()


class ReferralSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="draft or submitted.")
    reference = serializers.CharField(allow_null=True, help_text="The NRM reference, once submitted.")
    organisation = serializers.CharField(help_text="The referring organisation's identifier.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="A draft is deleted after this.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    case = serializers.UUIDField(allow_null=True, help_text="The case at the competent authority, once submitted.")
    case_state = serializers.CharField(allow_null=True)
    decisions = DecisionSummarySerializer(many=True)
    answers = serializers.DictField(required=False, help_text="The answers (a single referral only).")
    problems = ProblemSerializer(many=True, required=False,
                                 help_text="What must still be answered or changed before a draft can be sent.")


def _case_of(referral: Referral) -> Any:
    return getattr(referral, "case", None) if referral.status == ReferralStatus.SUBMITTED else None


def _represent(referral: Referral, *, full: bool) -> dict[str, Any]:
    case = _case_of(referral)
    decisions = [] if case is None else [
        {"stage": d.stage, "outcome": d.outcome, "status": d.status, "decided_on": d.decided_on}
        for d in sorted(case.decisions.all(), key=lambda d: (d.decided_on, d.pk))]  # prefetched in lists
    body: dict[str, Any] = {
        "id": referral.pk, "status": referral.status, "reference": referral.reference,
        "organisation": referral.organisation.slug, "created_at": referral.created_at,
        "updated_at": referral.updated_at,
        "expires_at": referral.expires_at if referral.status == ReferralStatus.DRAFT else None,
        "submitted_at": referral.submitted_at, "case": case.pk if case else None,
        "case_state": case.state if case else None, "decisions": decisions,
    }
    if full:
        body["answers"] = referral.answers
        if referral.status == ReferralStatus.DRAFT:
            body["problems"] = [{"question": p.field, "step": p.step, "message": p.message}
                                for p in journey.journey_errors(referral.answers, options_on())]
    return ReferralSerializer(body).data


class ReferralWriteSerializer(serializers.Serializer[Any]):
    organisation = serializers.CharField(required=False, help_text="Needed only when the client's account may "
                                                                   "refer for more than one organisation.")
    answers = serializers.DictField(required=False, help_text="Question names to answers (see the questions list).")


class SubmittedSerializer(serializers.Serializer[Any]):
    referral = ReferralSerializer(allow_null=True, help_text="The referral sent; null for a Duty to Notify report, "
                                                             "whose draft is deleted.")
    duty_to_notify_reference = serializers.CharField(allow_null=True)
    already_submitted = serializers.BooleanField()


class QuestionOptionSerializer(serializers.Serializer[Any]):
    value = serializers.CharField()
    text = serializers.CharField()


class ReferralQuestionSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    step = serializers.CharField()
    section = serializers.CharField()
    kind = serializers.CharField()
    question = serializers.CharField(help_text="The question as the web form asks it.")
    hint = serializers.CharField()
    max_length = serializers.IntegerField()
    options = QuestionOptionSerializer(many=True)


# --- The endpoints --------------------------------------------------------------------------------

def _body(request: Request) -> Mapping[str, Any]:
    if not isinstance(request.data, Mapping):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    return request.data


def _organisation_for(user: Any, slug: Any) -> Organisation:
    mine: list[Organisation] = selectors.first_responder_organisations(user)
    if slug is None and len(mine) == 1:
        return mine[0]
    if slug is None:
        raise ValidationError({"organisation": ["Say which organisation the referral is for."]})
    chosen = next((o for o in mine if o.slug == slug), None)
    if chosen is None:
        raise ValidationError({"organisation": ["This account cannot refer for that organisation."]})
    return chosen


def _create(request: Request) -> Response:
    sent = _read_answers(request.data)
    organisation = _organisation_for(request.user, _body(request).get("organisation"))
    referral = services.referral_start(actor=request.user, organisation=organisation)
    referral = _save_answers(referral, request.user, sent)
    return Response(_represent(referral, full=True), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses=ReferralSerializer(many=True))
@extend_schema(methods=["POST"], request=ReferralWriteSerializer, parameters=[IDEMPOTENCY],
               responses={201: ReferralSerializer, 422: ErrorSerializer})
@api_view(["GET", "POST"])
@authentication_classes(AUTH)
@permission_classes([ReadOrWrite])
@throttle_classes([ClientRateThrottle])
def referrals(request: Request) -> Response:
    """GET: the organisation's referrals, newest first. POST (``referrals:write``): start a draft."""
    if request.method == "POST":
        return idempotent(request, lambda: _create(request))
    rows = (selectors.referrals_visible_to(request.user).select_related("case").prefetch_related("case__decisions")
            .order_by("-updated_at")[:LIST_LIMIT])
    return Response([_represent(r, full=False) for r in rows])


@extend_schema(methods=["GET"], responses=ReferralSerializer)
@extend_schema(methods=["PATCH"], request=ReferralWriteSerializer, responses={200: ReferralSerializer,
                                                                               409: ErrorSerializer})
@api_view(["GET", "PATCH"])
@authentication_classes(AUTH)
@permission_classes([ReadOrWrite])
@throttle_classes([ClientRateThrottle])
def referral(request: Request, referral_id: Any) -> Response:
    """GET: one referral with its answers. PATCH (``referrals:write``): save answers to a draft, as
    sent (valid or not), and see what is still to fix; a referral already sent answers 409."""
    if request.method == "GET":
        return Response(_represent(get_object_or_404(selectors.referrals_visible_to(request.user),
                                                     pk=referral_id), full=True))
    found = get_object_or_404(selectors.referrals_visible_to(request.user), pk=referral_id)
    sent = _read_answers(request.data)
    if "organisation" in _body(request):
        raise ValidationError({"organisation": ["A draft's organisation cannot be changed."]})
    return Response(_represent(_save_answers(found, request.user, sent), full=True))


def _submit(request: Request, found: Referral) -> Response:
    try:
        result = services.referral_submit(referral=found, actor=request.user)
    except services.ReferralIncomplete as incomplete:
        fields: dict[str, list[str]] = {}
        for p in incomplete.problems:
            fields.setdefault(f"answers.{p.field}", []).append(p.message)
        body = validation_body(fields)
        body["message"] = f"{incomplete.message}. {body['message']}"
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    report = result.duty_to_notify
    return Response(SubmittedSerializer({
        "referral": _represent(result.referral, full=False) if result.referral else None,
        "duty_to_notify_reference": report.reference if report else None,
        "already_submitted": result.already_submitted,
    }).data)


@extend_schema(request=None, parameters=[IDEMPOTENCY],
               responses={200: SubmittedSerializer, 409: ErrorSerializer, 422: ErrorSerializer})
@api_view(["POST"])
@authentication_classes(AUTH)
@permission_classes([WRITE])
@throttle_classes([ClientRateThrottle])
def referral_submit(request: Request, referral_id: Any) -> Response:
    """Send a draft: 400 listing every missing or invalid answer, or the referral as sent (sending
    again answers the same, with ``already_submitted``)."""
    found = get_object_or_404(selectors.referrals_visible_to(request.user), pk=referral_id)
    return idempotent(request, lambda: _submit(request, found))


@extend_schema(responses=ReferralQuestionSerializer(many=True))
@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([READ])
@throttle_classes([ClientRateThrottle])
def questions(request: Request) -> Response:
    """Every question of the referral, in the journey's order, with its options in force today.
    Which are asked depends on earlier answers: a draft's ``problems`` say what is still needed."""
    lookup = options_on()
    rows = [{"name": f.name, "step": step.slug, "section": step.section, "kind": f.kind.value,
             "question": f.label, "hint": f.hint, "max_length": f.max_length,
             "options": [{"value": o.value, "text": o.text} for o in journey.options_for(f, lookup)]}
            for step in journey.STEPS for f in step.fields]
    return Response(ReferralQuestionSerializer(rows, many=True).data)
