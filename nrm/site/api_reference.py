"""The API reference page: the OpenAPI document the API serves, read as a GOV.UK page (operations,
their parameters and answers, and the scopes a client may hold), so the page never drifts from the API."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator

from nrm.api.auth import RATE_LIMIT, RATE_WINDOW
from nrm.api.idempotency import HEADER, KEEP_FOR
from nrm.api.scopes import SCOPE_CAPABILITY

METHODS = ("get", "post", "put", "patch", "delete")


def _operation(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    responses = op.get("responses", {})
    return {
        "id": op.get("operationId", f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "description": op.get("description", ""),
        "parameters": [
            {"name": p.get("name", ""), "where": p.get("in", ""), "required": bool(p.get("required")),
             "description": p.get("description", "")}
            for p in op.get("parameters", [])
        ],
        "has_body": "requestBody" in op,
        "answers": [{"code": code, "description": answer.get("description", "")}
                    for code, answer in sorted(responses.items())],
    }


@cache
def reference() -> dict[str, Any]:
    generator_class: Any = SchemaGenerator  # drf-spectacular ships no type hints
    schema: dict[str, Any] = generator_class().get_schema(request=None, public=True)
    operations = [
        _operation(path, method, item[method])
        for path, item in sorted(schema.get("paths", {}).items())
        for method in METHODS if method in item
    ]
    return {"title": schema.get("info", {}).get("title", ""),
            "version": schema.get("info", {}).get("version", ""),
            "operations": operations}


@require_GET
def api_reference(request: HttpRequest) -> HttpResponse:
    scopes = [{"name": str(scope), "capability": str(cap)} for scope, cap in SCOPE_CAPABILITY.items()]
    return render(request, "site/api_reference.html",
                  {"title": "API reference", "api": reference(), "scopes": scopes,
                   "idempotency_header": HEADER, "idempotency_hours": int(KEEP_FOR.total_seconds() // 3600),
                   "rate_limit": RATE_LIMIT, "rate_window_seconds": int(RATE_WINDOW.total_seconds())})
