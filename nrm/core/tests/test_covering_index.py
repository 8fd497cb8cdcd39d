"""The queue's covering indexes: INCLUDE columns on PostgreSQL, the same index without them on
SQLite, and no models.W040 warning on every command run on SQLite."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection, connections, models
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from nrm.cases.models import Case
from nrm.core.models import CoveringIndex

pytestmark = pytest.mark.django_db


def test_check_prints_no_covering_index_warning() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("check", databases=list(connections), stdout=out, stderr=err)
    assert "W040" not in out.getvalue() + err.getvalue()


def test_the_case_model_has_no_w040_on_sqlite(settings: object) -> None:
    sqlite = SQLiteWrapper({**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
                           alias="sqlite_probe")
    assert not sqlite.features.supports_covering_indexes
    covering = [i for i in Case._meta.indexes if isinstance(i, CoveringIndex)]
    assert covering, "the queue's indexes are covering indexes"
    # Django's check warns where an index has include columns the database cannot build
    assert not any(i.include for i in Case._meta.indexes)
    editor = sqlite.SchemaEditorClass(sqlite)
    for index in covering:
        assert "INCLUDE" not in str(index.create_sql(Case, editor))


def test_covering_index_builds_include_columns_where_the_database_can() -> None:
    index = next(i for i in Case._meta.indexes if isinstance(i, CoveringIndex))
    sql = str(index.create_sql(Case, connection.SchemaEditorClass(connection)))
    assert ("INCLUDE" in sql) == bool(connection.features.supports_covering_indexes)
    # migrations see the plain index with its include columns: no migration for the change
    path, _args, kwargs = index.deconstruct()
    assert path == "django.db.models.Index"
    assert kwargs["include"] == index.covering
    assert index == models.Index(**kwargs)
