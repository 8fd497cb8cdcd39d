"""The statistics API: answers to parliamentary questions (wired in ``nrm/api/urls.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.analytics import questions
from nrm.core.api_errors import ErrorSerializer
from nrm.stats.questions_service import question_answer
from nrm.stats.questions_views import NO_DATA_CUT
from nrm.stats.selectors import may_query_statistics
from nrm.stats.services import data_cut_latest


class IsAnalyst(BasePermission):
    message = "Only analysts may query the statistics."

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_query_statistics(request.user)


FILTERS_HELP = "Dimension names mapped to a value or a list of values, like {\"rg_outcome\": \"Positive\"}."


class QuestionSerializer(serializers.Serializer[Any]):
    """A question, as ``questions.Query.from_dict`` reads it (documentation: the view reads the body itself)."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Declared here rather than as attributes: ``source`` is also the name of a field's own attribute.
        return {
            "measure": serializers.ChoiceField(["count", "percentage", "median"], default="count"),
            "median_of": serializers.ChoiceField(
                list(questions.MEDIANS), required=False,
                help_text="For a median: days from referral to the RG decision (days_to_rg, with date_basis rg) "
                          "or to the CG decision (days_to_cg, with date_basis cg)."),
            "date_basis": serializers.ChoiceField(["referral", "rg", "cg"], default="referral"),
            "source": serializers.CharField(default="referrals"),
            "numerator": serializers.DictField(required=False, help_text=FILTERS_HELP),
            "denominator": serializers.DictField(required=False, help_text=FILTERS_HELP),
            "periods": serializers.ListField(child=serializers.CharField(), required=False,
                                             help_text="Quarters or years, like [\"2020-Q2\", \"2020\"]."),
            "by": serializers.CharField(
                required=False, help_text="For a count: a dimension to break it down by, like \"police_force\" (one "
                                          "answer per value recorded, each under the same disclosure control)."),
            "dual_nationals": serializers.BooleanField(
                default=False, help_text="false (the published definition): a nationality filter counts people "
                                         "with that nationality alone; true: alone or with another nationality."),
        }


class BreakdownRowSerializer(serializers.Serializer[Any]):
    """One value of a breakdown (``by``) and its count, under the same control as any answer."""

    category = serializers.JSONField(help_text="The value of the dimension (null: not recorded).")
    value = serializers.FloatField(allow_null=True)
    display = serializers.CharField()
    suppressed = serializers.BooleanField()
    suppression = serializers.CharField(allow_null=True)
    method = serializers.CharField()


class AnswerSerializer(serializers.Serializer[Any]):
    """The answer (``questions.Answer.to_dict``). Under disclosure control ``value``, ``numerator`` and
    ``denominator`` are null, ``display`` is ``[c]`` and ``suppression`` says why."""

    query = QuestionSerializer()
    value = serializers.FloatField(allow_null=True, help_text="The count, the percentage or the median (days).")
    display = serializers.CharField()
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField()
    suppression = serializers.CharField(allow_null=True)
    description = serializers.CharField()
    sql = serializers.CharField()
    parameters = serializers.ListField(child=serializers.JSONField())
    data_cut = serializers.DictField()
    notes = serializers.ListField(child=serializers.CharField())
    method = serializers.CharField(help_text="exact, or with disclosure control: published, derived, perturbed "
                                             "or suppressed.")
    control_note = serializers.CharField(allow_null=True, help_text="How the control arrived at the figure.")
    breakdown = BreakdownRowSerializer(many=True, help_text="With by: each value's count (empty otherwise).")


@extend_schema(request=QuestionSerializer, responses={200: AnswerSerializer, 409: ErrorSerializer,
                                                     422: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsAuthenticated, IsAnalyst])
def questions_api(request: Request) -> Response:
    """Answer a query: ``{"measure": "percentage", "date_basis": "rg", "denominator":
    {"age_at_exploitation": ["Child (17 or under)"]}, "numerator": {"rg_outcome": "Positive"},
    "periods": ["2020-Q2", "2020-Q3"]}``. 409 until the first data cut has been made; 422 when the
    answer, with what is published and the answers already given, would reveal a protected count."""
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
