"""Cases over the API: the competent authority's queue (``cases:read``) and a first responder's
referrals with their decisions (``referrals:read``), each as ``cases_visible_to`` scopes them for
the client's account. Only a case's reference, state and dates: no one's personal details."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.api.auth import ClientRateThrottle, needs_scope
from nrm.api.messages import AUTH
from nrm.api.scopes import Scope
from nrm.cases.models import Case
from nrm.cases.selectors import case_get_for, cases_visible_to

LIST_LIMIT = 200
READ = needs_scope(Scope.CASES_READ, Scope.REFERRALS_READ)


class CaseSerializer(serializers.ModelSerializer[Case]):
    class Meta:
        model = Case
        fields = ["id", "reference", "competent_authority", "state", "is_child", "received_on", "rg_target_date",
                  "rg_date", "cg_date"]


@extend_schema(responses=CaseSerializer(many=True))
@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([READ])
@throttle_classes([ClientRateThrottle])
def cases_list(request: Request) -> Response:
    """The cases the client's account may see (its authority's, or its organisation's referrals), newest first."""
    cases = cases_visible_to(request.user).order_by("-received_on", "reference")[:LIST_LIMIT]
    return Response(CaseSerializer(cases, many=True).data)


@extend_schema(responses=CaseSerializer)
@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([READ])
@throttle_classes([ClientRateThrottle])
def case_detail(request: Request, case_id: Any) -> Response:
    return Response(CaseSerializer(case_get_for(request.user, case_id)).data)
