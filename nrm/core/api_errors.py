"""One body for every error the API answers, and the handler that gives it.

Every 4xx from ``/api/`` carries the same JSON object (documented once in the OpenAPI document as
``Error``)::

    {"error": "NotAuthenticated", "message": "...", "field": null}
    {"error": "ValidationError", "message": "...", "field": "crime_reference",
     "fields": {"crime_reference": ["..."]}}

``error`` is a stable code (the name of the refusal), ``message`` is written for the person
reading it, ``field`` names the request field at fault (or null), and ``fields`` lists every
field's messages when a request fails validation.

A service's refusal (``ServiceError``) becomes a 400 when it names a field the caller can correct,
and a 409 when the request is well formed but the state of what it acts on refuses it (a step the
lifecycle does not allow now, a message that needs no acknowledgement).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from nrm.core.errors import GuardFailed, ServiceError, TransitionNotAllowed

NON_FIELD = "non_field_errors"


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error answer."""  # documents the bodies ``error_body`` builds

    class Meta:
        ref_name = "Error"

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Declared here rather than as attributes: ``fields`` is also the name of a serializer's own property.
        return {
            "error": serializers.CharField(help_text="A stable code naming the refusal, such as NotAuthenticated."),
            "message": serializers.CharField(help_text="What went wrong, written for a person."),
            "field": serializers.CharField(allow_null=True, help_text="The request field at fault, or null."),
            "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                            required=False,
                                            help_text="Every field's messages, when the request failed validation."),
        }


def error_body(error: str, message: str, *, field: str | None = None,
               fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error, "message": message, "field": field}
    if fields is not None:
        body["fields"] = dict(fields)
    return body


def _flatten(detail: Any, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    """``ValidationError.detail`` (a list, or fields mapped to lists or nested details) as dotted
    field names and their messages."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, name)
    elif isinstance(detail, list) and all(not isinstance(item, Mapping | list) for item in detail):
        yield (prefix or NON_FIELD), [str(item) for item in detail]
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            yield from _flatten(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield (prefix or NON_FIELD), [str(detail)]


def validation_body(detail: Any) -> dict[str, Any]:
    fields = dict(_flatten(detail))
    name, messages = next(iter(fields.items()), (NON_FIELD, ["The request is not valid."]))
    return error_body("ValidationError", messages[0] if messages else "The request is not valid.",
                      field=None if name == NON_FIELD else name, fields=fields)


def service_error_response(exc: ServiceError) -> Response:
    if exc.field and not isinstance(exc, TransitionNotAllowed | GuardFailed):
        return Response(validation_body({exc.field: [exc.message]}), status=status.HTTP_400_BAD_REQUEST)
    code = type(exc).__name__ if type(exc) is not ServiceError else "Conflict"
    return Response(error_body(code, exc.message, field=exc.field), status=status.HTTP_409_CONFLICT)


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's handler (status, ``WWW-Authenticate``, ``Retry-After``), with the one error body."""
    if isinstance(exc, ServiceError):
        return service_error_response(exc)
    response = drf_exception_handler(exc, dict(context))
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = validation_body(exc.detail)
        return response
    detail = response.data.get("detail", "") if isinstance(response.data, Mapping) else response.data
    name = {"Http404": "NotFound", "PermissionDenied": "PermissionDenied"}.get(type(exc).__name__,
                                                                              type(exc).__name__)
    response.data = error_body(name, str(detail))
    return response
