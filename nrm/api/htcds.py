"""Cases in the HTCDS layout over the API (``GET /api/v1/exports/htcds``, scope ``exports:htcds``):
the same rows as ``nrm export htcds`` (docs/htcds.md), pseudonymised unless every organisation the
caller analyses for has a data-sharing agreement allowing identifiable data. Each export is audited."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.capabilities import Capability, organisations_with
from nrm.api.auth import ClientRateThrottle, needs_scope
from nrm.api.messages import AUTH
from nrm.api.models import ApiClient
from nrm.api.scopes import Scope
from nrm.audit.services import audit_record
from nrm.core.api_errors import ErrorSerializer, error_body
from nrm.stats.htcds import export_rows, write_export


def _problem(field: str, message: str) -> Response:
    return Response(error_body("InvalidParameter", message, field=field), status=400)


def _day(request: Request, name: str, default: date) -> date | None:
    if name not in request.query_params:
        return default
    try:
        return date.fromisoformat(str(request.query_params.get(name, "")))
    except ValueError:
        return None


def _identifiable(request: Request) -> bool:
    if isinstance(request.auth, ApiClient):
        return bool(request.auth.organisation.identifiable_data_sharing)
    organisations = organisations_with(request.user, Capability.ANALYSE)
    return bool(organisations) and all(o.identifiable_data_sharing for o in organisations)


def _range(request: Request) -> tuple[date, date] | Response:
    """``to`` defaults to today and ``from`` to the start of the longest range allowed."""
    longest = int(settings.HTCDS_API_MAX_DAYS)
    received_to = _day(request, "to", timezone.localdate())
    if received_to is None:
        return _problem("to", "Give to as a date like 2024-03-31")
    received_from = _day(request, "from", received_to - timedelta(days=longest - 1))
    if received_from is None:
        return _problem("from", "Give from as a date like 2024-01-01")
    if received_to < received_from:
        return _problem("to", "to must be the same as or after from")
    if (received_to - received_from).days >= longest:
        return _problem("to", f"Ask for at most {longest} days at a time")
    return received_from, received_to


@extend_schema(
    parameters=[
        OpenApiParameter("from", OpenApiTypes.DATE, description="first day received (default: the longest range allowed)"),
        OpenApiParameter("to", OpenApiTypes.DATE, description="last day received (default: today)"),
        OpenApiParameter("output", OpenApiTypes.STR, enum=["json", "csv"], description="json (default) or csv"),
    ],
    responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR,
               400: ErrorSerializer},
)
@api_view(["GET"])
@authentication_classes(AUTH)
@permission_classes([needs_scope(Scope.EXPORTS_HTCDS)])
@throttle_classes([ClientRateThrottle])
def htcds_export(request: Request) -> Any:
    """Cases received from ``from`` to ``to`` (inclusive) in the HTCDS layout (docs/htcds.md)."""
    # "output", not "format": REST framework takes ?format= to choose its own renderer.
    fmt = str(request.query_params.get("output", "json"))
    if fmt not in {"json", "csv"}:
        return _problem("output", "output must be json or csv")
    chosen = _range(request)
    if isinstance(chosen, Response):
        return chosen
    received_from, received_to = chosen
    identifiable = _identifiable(request)
    out = io.StringIO()
    count = write_export(export_rows(received_from=received_from, received_to=received_to, identifiable=identifiable),
                         out, fmt=fmt, identifiable=identifiable, received_from=received_from, received_to=received_to)
    audit_record(actor=request.user, action="htcds.exported", target=request.user,
                 after={"from": received_from.isoformat(), "to": received_to.isoformat(), "cases": count,
                        "identifiable": identifiable})
    if fmt == "csv":
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="htcds-{received_from}-{received_to}.csv"'
        return response
    return Response(json.loads(out.getvalue()))
