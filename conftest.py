"""Shared fixtures (users by role, signed-in clients) for every test directory.

They need Django, so they load only when pytest-django is active (it is, unless a run of the
database-free statistics or synthetic-data tests passes ``-p no:django``)."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("django"):
        config.pluginmanager.import_plugin("nrm.testing")
