"""Logs never carry what people typed.

Two paths would otherwise copy answers (names, dates of birth, accounts of exploitation) into the
logs: Django's query log (``django.db.backends``, with the SQL and its parameters filled in), and
the message of a database error in a logged traceback (PostgreSQL quotes the offending value:
``CONTEXT: JSON data, line 1: {"account": ...``, ``DETAIL: Failing row contains (...)``,
``invalid input syntax for type uuid: "..."``). :class:`WithholdPersonalData`, on every handler
in ``settings.LOGGING``, keeps the time, the code path and the error's class and SQLSTATE code,
and drops the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

WITHHELD = "[withheld from the log: it may contain personal data]"


def _database_error_types() -> tuple[type[BaseException], ...]:
    from django.db import DatabaseError

    found: list[type[BaseException]] = [DatabaseError]
    try:
        import psycopg

        found.append(psycopg.Error)
    except ImportError:  # SQLite only
        pass
    import sqlite3

    found.append(sqlite3.Error)
    return tuple(found)


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def withheld_message(error: BaseException) -> str:
    code = getattr(getattr(error, "diag", None), "sqlstate", None) or getattr(error, "sqlstate", None)
    return f"{type(error).__name__}{f' (SQLSTATE {code})' if code else ''} {WITHHELD}"


class WithholdPersonalData(logging.Filter):
    """Rewrites a record so that neither a query's parameters nor a database error's text reach
    a log. Always lets the record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.db.backends"):
            self._withhold_query(record)
        if record.exc_info and record.exc_info[1] is not None:
            self._withhold_error(record, record.exc_info[1])
        return True

    @staticmethod
    def _withhold_query(record: logging.LogRecord) -> None:
        record.msg = "database query %s"
        record.args = (WITHHELD,)
        for name in ("sql", "params"):
            if hasattr(record, name):
                setattr(record, name, WITHHELD)

    @staticmethod
    def _withhold_error(record: logging.LogRecord, error: BaseException) -> None:
        database_errors = _database_error_types()
        for link in _chain(error):
            if isinstance(link, database_errors):
                link.args = (withheld_message(link),)
        record.exc_text = None  # formatted again from the rewritten errors
