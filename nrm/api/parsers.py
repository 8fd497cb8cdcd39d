"""The API's only request parser: JSON, bounded in size and depth, with the service's text rules.

Anything else is answered before a view runs: with a 413 for a body over ``MAX_BODY_BYTES`` or
JSON nested deeper than ``MAX_DEPTH`` (which would otherwise exhaust Python's recursion limit),
and with a 400 for text that is not UTF-8, numbers too long to read, and NUL characters or
unpaired surrogates anywhere in the document (see ``nrm.core.input``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from nrm.core.input import has_unsafe_characters

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The request body must be {MAX_BODY_BYTES // 1024} KB or smaller."
    default_code = "request_too_large"


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings not counted).
    A single pass, no recursion, so any depth can be measured safely."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _strict_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(raw: bytes, *, encoding: str = "utf-8") -> Any:
    """The JSON document in a request body, or ``ParseError``/``RequestTooLarge`` saying why not."""
    if len(raw) > MAX_BODY_BYTES:
        raise RequestTooLarge()
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ParseError("The request body must be JSON encoded as UTF-8.") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise RequestTooLarge(f"JSON must not be nested more than {MAX_DEPTH} levels deep.")
    try:
        data = json.loads(text, parse_constant=_strict_constant)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"JSON parse error - {exc}") from None
    if has_unsafe_characters(data):
        raise ParseError("Text in the request must not include NUL characters or unpaired surrogates.")
    return data


class BoundedJSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        return parse_json_body(raw, encoding=encoding)
