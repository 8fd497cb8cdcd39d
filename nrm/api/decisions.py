"""Decisions over the API, for a competent authority's own systems
(``POST /api/v1/cases/{id}/decisions``, scope ``cases:decide``).

The request is checked by the same form as the decision page (``RgDecisionForm``/``DecisionForm``:
the reasons in force on the day, the standard applied, the confirmation needed to decide a case
allocated to someone else) and recorded by the same services (``case_record_rg_decision``,
``case_record_cg_decision``), so the lifecycle table and its guards decide: a conclusive grounds
decision before the recovery period has run, or a step the case's state does not allow, answers 409
with the reason. A negative decision is proposed for review, exactly as on the page.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.auth import ClientRateThrottle, needs_scope
from nrm.api.idempotency import idempotent
from nrm.api.messages import AUTH
from nrm.api.referrals import IDEMPOTENCY
from nrm.api.scopes import Scope
from nrm.cases import access, selectors, services
from nrm.cases.forms import DecisionForm, RgDecisionForm
from nrm.cases.models import Case, Decision, Stage
from nrm.core.api_errors import ErrorSerializer


class DecisionRequestSerializer(serializers.Serializer[Any]):
    """Documents the body; the decision form checks it."""

    stage = serializers.ChoiceField(choices=["RG", "CG"], help_text="RG (reasonable grounds) or CG (conclusive).")
    outcome = serializers.ChoiceField(choices=["positive", "negative"])
    reasons = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="Codes of the negative-decision reasons in force today.")
    rationale = serializers.CharField()
    standard_applied = serializers.CharField(required=False,
                                             help_text="RG only: the standard in force that was applied.")
    confirm_allocation = serializers.BooleanField(required=False,
                                                  help_text="Needed when the case is allocated to someone else.")


class DecisionSerializer(serializers.ModelSerializer[Decision]):
    reasons: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Decision
        fields = ["id", "case", "stage", "outcome", "status", "decided_on", "served_on", "standard_applied",
                  "reasons"]


def _form_data(body: Any) -> tuple[Stage, MultiValueDict[str, Any]]:
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    stage = {"RG": Stage.RG, "CG": Stage.CG}.get(str(body.get("stage", "")).upper())
    if stage is None:
        raise ValidationError({"stage": ["Say which decision this is: RG or CG."]})
    reasons: Any = body.get("reasons", [])
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ValidationError({"reasons": ["Send the reasons as a list of codes."]})
    data: MultiValueDict[str, Any] = MultiValueDict({"reasons": reasons})
    for name in ("outcome", "rationale", "standard_applied"):
        value = body.get(name, "")
        if not isinstance(value, str):
            raise ValidationError({name: ["Send this as a string."]})
        data[name] = value
    if body.get("confirm_allocation") is True:
        data["confirm_allocation"] = "on"
    return stage, data


def _decide(request: Request, case: Case) -> Response:
    stage, data = _form_data(request.data)
    form_class = RgDecisionForm if stage == Stage.RG else DecisionForm
    form = form_class(data, stage=stage.value, on=timezone.localdate(),
                      allocated_to_other=selectors.allocated_to_other(case, request.user))
    if not form.is_valid():
        raise ValidationError({name: [str(m) for m in messages] for name, messages in form.errors.items()})
    clean = form.cleaned_data
    decision = services.case_record_decision(
        case=case, stage=stage, decision_maker=request.user, outcome=clean["outcome"], reasons=clean["reasons"],
        rationale=clean["rationale"], standard_applied=clean.get("standard_applied", ""))
    return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


@extend_schema(request=DecisionRequestSerializer, parameters=[IDEMPOTENCY],
               responses={201: DecisionSerializer, 409: ErrorSerializer, 422: ErrorSerializer})
@api_view(["POST"])
@authentication_classes(AUTH)
@permission_classes([needs_scope(Scope.CASES_DECIDE)])
@throttle_classes([ClientRateThrottle])
def case_decide(request: Request, case_id: Any) -> Response:
    """Record a reasonable or conclusive grounds decision on a case of the client's authority."""
    case = selectors.case_get_for(request.user, case_id)
    if not access.is_decision_maker_for(request.user, case):
        raise Http404("No such case")
    return idempotent(request, lambda: _decide(request, case))
