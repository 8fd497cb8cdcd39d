"""Logs: one JSON object per line with the request's id, method, path template, status and
duration, never the path as typed nor its query string."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.test import Client

from nrm.core.log_filters import WITHHELD, WithholdPersonalData
from nrm.core.log_format import JsonFormatter

SECRET = "tomasz.nowak@example.org"


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("nrm.test", logging.WARNING, __file__, 1, "hello %s", ("there",), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_record_is_one_json_object_on_one_line() -> None:
    line = JsonFormatter().format(_record(method="GET", path="/cases/<uuid:case_id>", status=200, duration_ms=1.5,
                                          request_id="abcdef012345", anything_else="kept out"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "hello there"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "nrm.test"
    assert entry["request_id"] == "abcdef012345"
    assert (entry["method"], entry["path"], entry["status"], entry["duration_ms"]) == (
        "GET", "/cases/<uuid:case_id>", 200, 1.5)
    assert "anything_else" not in entry


def test_an_error_stays_on_one_line_and_database_text_is_withheld() -> None:
    import sys

    from django.db import IntegrityError

    try:
        raise IntegrityError(f'DETAIL: Failing row contains ({SECRET})')
    except IntegrityError:
        record = logging.LogRecord("nrm.test", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info())
    WithholdPersonalData().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert "IntegrityError" in entry["error"]
    assert WITHHELD in entry["error"]
    assert SECRET not in line


@pytest.mark.django_db
def test_each_request_is_logged_with_its_template_not_its_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nrm.request")
    case_id = uuid.uuid4()
    client = Client()
    first = client.get(f"/cookies?email={SECRET}")
    second = client.get(f"/cases/{case_id}?q={SECRET}")
    records = [r for r in caplog.records if r.name == "nrm.request"]
    assert len(records) == 2
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    assert lines[0]["path"] == "/cookies"
    assert lines[0]["status"] == 200
    assert lines[0]["method"] == "GET"
    assert lines[0]["request_id"] == first["X-Request-Id"]
    assert lines[1]["path"] == "/cases/<uuid:case_id>"
    assert lines[1]["status"] == second.status_code
    assert lines[1]["duration_ms"] >= 0
    text = json.dumps(lines)
    assert SECRET not in text
    assert str(case_id) not in text


@pytest.mark.django_db
def test_a_path_no_page_answers_is_not_logged_as_typed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nrm.request")
    Client().get(f"/no-such-page/{SECRET}")
    record = next(r for r in caplog.records if r.name == "nrm.request")
    assert record.path == "(no page)"  # type: ignore[attr-defined]
    assert record.status == 404  # type: ignore[attr-defined]
    assert SECRET not in record.getMessage()


def test_an_unusual_method_is_not_logged_as_sent() -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from nrm.core.log_format import RequestLogMiddleware

    logger = logging.getLogger("nrm.request")
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        RequestLogMiddleware(lambda request: HttpResponse())(RequestFactory().generic(f"X{SECRET}", "/"))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert seen[0].method == "OTHER"  # type: ignore[attr-defined]
