"""Helpers for tests of the production configuration, which runs in processes of its own (the
settings are read once per process)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any


def production_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment for a production process on its own SQLite database under ``tmp``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NRM_", "DJANGO_", "PYTEST_"))}
    env.update({
        "NRM_ENVIRONMENT": "production",
        "NRM_SECRET_KEY": secrets.token_urlsafe(50),
        "NRM_PSEUDONYMISATION_KEY": secrets.token_urlsafe(50),
        "NRM_AUDIT_SEAL_KEY": secrets.token_urlsafe(50),
        "NRM_DATA_KEYS": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "NRM_AUDIT_SEAL_DIR": str(tmp / "seals"),
        "NRM_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "NRM_VAR_DIR": str(tmp / "var"),
        "NRM_SQLITE_PATH": str(tmp / "nrm.sqlite3"),
        "DATABASE_URL": "",
        "NRM_LOG_LEVEL": "WARNING",
    })
    env.update(extra)
    return env


def production_settings(*names: str, **env: str) -> dict[str, Any]:
    """The values of settings ``names`` as production computes them (in a process of its own)."""
    import tempfile

    code = ("import json, sys; from django.conf import settings; import django; django.setup(); "
            "print(json.dumps({n: getattr(settings, n, None) for n in sys.argv[1:]}, default=str))")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run([sys.executable, "-c", code, *names], env={
            **production_env(Path(tmp), **env), "DJANGO_SETTINGS_MODULE": "nrm.settings"},
            capture_output=True, text=True, check=True, timeout=60)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))
