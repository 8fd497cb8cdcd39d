"""How the OpenAPI document describes each operation's error answers (the schema class of
``REST_FRAMEWORK``; the view serving the document is ``nrm.api.schema``).

``ApiAutoSchema`` adds to every operation the error answers the API really gives it, each with the
one ``Error`` body (``nrm.core.api_errors``), derived from the view rather than written by hand, so
an operation added later is documented the same way:

- 400, 413 and 415 where the operation takes a request body (invalid, too large or nested too
  deep, not JSON);
- 401 where the first authentication class asks for credentials (a client token), otherwise an
  unauthenticated call is a 403;
- 403 always (no scope, no capability, or not signed in);
- 404 always: where the path names an object, for one that does not exist or that this account may
  not see (another organisation's); everywhere, for an unknown ``?format=`` (DRF's content negotiation);
- 429 with ``Retry-After`` where the view is throttled.

A 409 is declared by the view that gives it: ``@extend_schema(responses={200: ..., 409: ErrorSerializer})``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from nrm.core.api_errors import ErrorSerializer

WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
DESCRIPTIONS = {
    400: "The request is not valid: a field's value, unreadable JSON, or text with NUL characters or "
         "unpaired surrogates.",
    401: "No valid credentials: the client token is missing, wrong, rotated or revoked.",
    403: "Not allowed: the token lacks the scope, the account lacks the capability, or no one is signed in.",
    404: "No such object, or not one this account may see; or an unknown format in ?format=.",
    409: "The request is well formed, but the state of what it acts on refuses it.",
    422: "The request is understood but refused: its answer would disclose what must stay protected.",
    413: "The request body is too large, or its JSON is nested too deeply.",
    415: "The request body is not JSON (send Content-Type: application/json).",
    429: "Too many calls in this window: wait the number of seconds in Retry-After.",
}
FORMAT_NOT_FOUND = "An unknown format in ?format=."
RETRY_AFTER = {"Retry-After": {"description": "Seconds until the client may call again.",
                               "schema": {"type": "integer", "minimum": 0}, "required": True}}


class ApiAutoSchema(AutoSchema):
    def _error_codes(self) -> list[int]:
        codes = [403, 404]
        if self.method in WITH_BODY:
            codes += [400, 413, 415]
        authenticators = self.view.get_authenticators()
        if authenticators and authenticators[0].authenticate_header(self.view.request):
            codes.append(401)
        if self.view.get_throttles():
            codes.append(429)
        return sorted(codes)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        describe = cast(Callable[..., dict[str, Any]], self._get_response_for_code)
        for status in self._error_codes():
            if str(status) not in responses:
                responses[str(status)] = describe(OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[status]),
                                                  str(status), direction=direction)
        for name, response in responses.items():
            if name == "404" and "{" not in self.path:
                response["description"] = FORMAT_NOT_FOUND
            elif name in {str(c) for c in DESCRIPTIONS} and not response.get("description"):
                response["description"] = DESCRIPTIONS[int(name)]
            if name == "429":
                response["headers"] = {**RETRY_AFTER, **response.get("headers", {})}
        return responses


def strict_error_body(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the error body has exactly the documented properties, so a test checking
    answers against the document notices a stray one."""
    error = result.get("components", {}).get("schemas", {}).get("Error")
    if error is not None:
        error["additionalProperties"] = False
    return result
