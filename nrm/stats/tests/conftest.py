"""The statistics tests run without Django (``pytest nrm/stats -p no:django``) except the
modules listed here, which test the statistics inside the service (its database, pages and
``nrm stats`` command): they are collected only when pytest-django is active."""

from __future__ import annotations

from pathlib import Path

import pytest

NEEDS_DJANGO = {"test_service.py", "test_pq_service.py"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name in NEEDS_DJANGO and not config.pluginmanager.hasplugin("django"):
        return True
    return None
