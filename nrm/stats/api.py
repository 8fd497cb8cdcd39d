"""The statistics API: answers to parliamentary questions (wired in ``nrm/api/urls.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.analytics import questions
from nrm.stats.questions_service import question_answer
from nrm.stats.questions_views import NO_DATA_CUT
from nrm.stats.selectors import may_query_statistics
from nrm.stats.services import data_cut_latest


class IsAnalyst(BasePermission):
    message = "Only analysts may query the statistics."

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_query_statistics(request.user)


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
@permission_classes([IsAuthenticated, IsAnalyst])
def questions_api(request: Request) -> Response:
    """Answer a query: ``{"measure": "percentage", "date_basis": "rg", "denominator":
    {"age_at_exploitation": ["Child (17 or under)"]}, "numerator": {"rg_outcome": "Positive"},
    "periods": ["2020-Q2", "2020-Q3"]}``."""
    cut = data_cut_latest()
    if cut is None:
        return Response({"error": "NoDataCut", "field": None, "message": NO_DATA_CUT}, status=409)
    if not isinstance(request.data, Mapping):
        return Response({"error": "NotAnObject", "field": None,
                         "message": "Send the question as a JSON object, like {\"measure\": \"count\", ...}"},
                        status=400)
    try:
        result = question_answer(analyst=request.user, cut=cut, query=request.data)
    except questions.QuestionRefused as exc:
        return Response(exc.to_dict(), status=422)
    except questions.QueryError as exc:
        return Response(exc.to_dict(), status=400)
    return Response(result.to_dict())
