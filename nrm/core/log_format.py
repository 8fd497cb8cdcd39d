"""How log lines look: one JSON object per line in production, plain text elsewhere.

:class:`JsonFormatter` writes the time, the level, the logger, the message, the request id of the
request being served (if any) and the request fields that :class:`RequestLogMiddleware` adds:
method, path template (the URL pattern, ``cases/<uuid:case_id>``: never the path as typed nor its
query string), status and duration. The ``withhold_personal_data`` filter (``log_filters``) runs
on every handler before this.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

from nrm.core.middleware import current_request_id

# Fields a record may carry beyond the message (``extra=...``); nothing else is written.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")
request_logger = logging.getLogger("nrm.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def path_template(request: HttpRequest) -> str:
    """The URL pattern that answered (``cases/<uuid:case_id>``), or a placeholder: never the path
    itself, which can carry what someone typed."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "(no page)"
    return "/" + str(match.route)


class RequestLogMiddleware:
    """One ``nrm.request`` record per request: method, path template, status, duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request_logger.isEnabledFor(logging.INFO):
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            method = request.method if request.method in _METHODS else "OTHER"
            request_logger.info("%s %s %s", method, path_template(request), response.status_code,
                                extra={"request_id": current_request_id(), "method": method, "path": path_template(request),
                                       "status": response.status_code, "duration_ms": duration_ms})
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
