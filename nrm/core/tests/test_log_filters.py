"""No log line carries an answer: a database error's text (PostgreSQL quotes the value it refused)
and Django's query log are withheld on every handler, and the page still answers."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from nrm.core.log_filters import WITHHELD

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "Tomasz Nowak 01/02/1980"


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """What reaches a log: a handler added after the configured ones sees each record as they
    leave it (the configured filter rewrites the record and the error in place)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    configured: dict[str, Any] = settings.LOGGING
    for handler_config in configured["handlers"].values():
        assert "withhold_personal_data" in handler_config.get("filters", []), "every handler has the filter"
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def _failing_insert() -> None:
    with connection.cursor() as cursor:
        # A NOT NULL violation: PostgreSQL's DETAIL quotes the whole failing row.
        cursor.execute("INSERT INTO audit_auditevent (occurred_at, actor_label, action, object_type, object_id, "
                       "request_id, previous_hash, hash) VALUES (NULL, %s, 'a', 'b', 'c', '', '', %s)",
                       [SECRET, SECRET])


def test_a_database_error_in_a_logged_traceback_keeps_its_class_and_loses_its_text(log: io.StringIO) -> None:
    from django.db import DatabaseError

    try:
        with transaction.atomic():
            _failing_insert()
    except DatabaseError:
        logging.getLogger("django.request").exception("Internal Server Error: /referrals/x/account")
    written = log.getvalue()
    assert "Internal Server Error" in written
    assert "IntegrityError" in written
    assert WITHHELD in written
    assert "Tomasz" not in written
    assert "1980" not in written


def test_the_query_log_keeps_no_parameters(log: io.StringIO, settings: object) -> None:
    logger = logging.getLogger("django.db.backends")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("(%.3f) %s; args=%s; alias=%s", 0.001, f"answers: {SECRET}", (SECRET,),
                     "default", extra={"duration": 0.001, "sql": SECRET, "params": (SECRET,), "alias": "default"})
    finally:
        logger.setLevel(level)
    written = log.getvalue()
    assert "database query" in written
    assert "Tomasz" not in written


def test_other_records_pass_unchanged(log: io.StringIO) -> None:
    logging.getLogger("nrm.notify").warning("Message %s could not be sent", "abc")
    assert "Message abc could not be sent" in log.getvalue()
