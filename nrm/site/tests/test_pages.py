import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/cookies", "/accessibility", "/privacy", "/feedback", "/sign-in", "/developers/api"])
def test_public_pages_use_the_govuk_template(path: str) -> None:
    response = Client().get(path)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-template' in body
    assert 'href="#main-content"' in body  # skip link
    assert "govuk-phase-banner" in body
    assert "Accessibility statement" in body
    assert "Cookies" in body
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Request-Id"]


@pytest.mark.django_db
def test_unknown_page_is_a_govuk_404() -> None:
    response = Client().get("/no-such-page")
    assert response.status_code == 404


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nrm.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _run({"PATH": "/usr/bin:/bin", "NRM_ENVIRONMENT": "production"}, "check")
    assert result.returncode == 2
    assert "NRM_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("key", "message"), [("", "NRM_PSEUDONYMISATION_KEY is not set"),
                                              ("x" * 50, "must differ from NRM_SECRET_KEY")])
def test_production_refuses_to_start_without_a_pseudonymisation_key_of_its_own(key: str, message: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "NRM_ENVIRONMENT": "production", "NRM_SECRET_KEY": "x" * 50,
           "NRM_ALLOWED_HOSTS": "nrm.example.gov.uk"}
    result = _run({**env, "NRM_PSEUDONYMISATION_KEY": key} if key else env, "check")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("key", "message"), [("", "NRM_AUDIT_SEAL_KEY is not set"),
                                              ("x" * 50, "must differ from NRM_SECRET_KEY"),
                                              ("y" * 50, "must differ from NRM_SECRET_KEY")])
def test_production_refuses_to_start_without_an_audit_seal_key_of_its_own(key: str, message: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "NRM_ENVIRONMENT": "production", "NRM_SECRET_KEY": "x" * 50,
           "NRM_PSEUDONYMISATION_KEY": "y" * 50, "NRM_ALLOWED_HOSTS": "nrm.example.gov.uk"}
    result = _run({**env, "NRM_AUDIT_SEAL_KEY": key} if key else env, "check")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


PRODUCTION_DATA_KEYS = "1:" + "a2V5LW9mLXRoZS10ZXN0cy1vZi1wcm9kdWN0aW9uLTA="


@pytest.mark.parametrize(("keys", "message"), [
    ("", "NRM_DATA_KEYS (or NRM_DATA_KEYS_FILE) is not set"),
    ("1:ZGV2ZWxvcG1lbnQtb25seS1kYXRhLWtleS0wMDAwMDA=", "holds the development key"),
    ("1:c2hvcnQ=", "must be 32 bytes"),
    ("one:" + PRODUCTION_DATA_KEYS[2:], "version:base64key pairs"),
])
def test_production_refuses_to_start_without_data_keys_of_its_own(keys: str, message: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "NRM_ENVIRONMENT": "production", "NRM_SECRET_KEY": "x" * 50,
           "NRM_PSEUDONYMISATION_KEY": "y" * 50, "NRM_AUDIT_SEAL_KEY": "z" * 50,
           "NRM_ALLOWED_HOSTS": "nrm.example.gov.uk"}
    result = _run({**env, "NRM_DATA_KEYS": keys} if keys else env, "check")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_production_sets_secure_cookies_and_hsts_and_keeps_the_api_schema_for_signed_in_users() -> None:
    code = ("from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEBUG, "
            "*s.SPECTACULAR_SETTINGS['SERVE_PERMISSIONS'])")
    result = subprocess.run(
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='nrm.settings'; django.setup(); {code}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "NRM_ENVIRONMENT": "production", "NRM_SECRET_KEY": "x" * 50,
             "NRM_PSEUDONYMISATION_KEY": "y" * 50, "NRM_AUDIT_SEAL_KEY": "z" * 50,
             "NRM_DATA_KEYS": PRODUCTION_DATA_KEYS, "NRM_ALLOWED_HOSTS": "nrm.example.gov.uk"},
    )
    assert result.stdout.split() == ["True", "True", "63072000", "False",
                                     "rest_framework.permissions.IsAuthenticated"], result.stderr


@pytest.mark.parametrize("url", ["mysql://nobody@localhost/x", "not a url", "postgres://"])
def test_a_bad_database_url_gets_a_clear_message(url: str) -> None:
    result = _run({"PATH": "/usr/bin:/bin", "DATABASE_URL": url}, "check")
    assert result.returncode == 2, result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_commands_on_the_embedded_database_print_no_index_warnings() -> None:
    from django.core.management import call_command

    out = io.StringIO()
    err = io.StringIO()
    call_command("check", databases=["default"], stdout=out, stderr=err)
    assert "W040" not in out.getvalue() + err.getvalue()
