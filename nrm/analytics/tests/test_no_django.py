"""The analytics package stands apart from the web application: every module of it imports
in a fresh interpreter with no Django settings, and none of them loads Django."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import nrm.analytics

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m == "django" or m.startswith(("django.", "rest_framework")))))
"""


def analytics_modules() -> list[str]:
    """Every module of ``nrm.analytics`` except the tests."""
    found = [m.name for m in pkgutil.walk_packages(nrm.analytics.__path__, "nrm.analytics.")]
    return ["nrm.analytics", *sorted(n for n in found if ".tests" not in n and not n.endswith(".tests"))]


def test_the_package_has_the_pipeline_and_the_generator() -> None:
    modules = analytics_modules()
    for expected in ("nrm.analytics.publish", "nrm.analytics.questions", "nrm.analytics.synthetic.extract"):
        assert expected in modules


def test_every_module_imports_without_django() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *analytics_modules()],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]", f"Django loaded: {result.stdout}"
