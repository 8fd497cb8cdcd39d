"""Settings for Open NRM, read from the environment.

NRM_ENVIRONMENT is one of development (the default), test or production.
DATABASE_URL selects the database: SQLite in var/ by default, PostgreSQL in production.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NRM_VAR_DIR", BASE_DIR / "var"))

ENVIRONMENT = os.environ.get("NRM_ENVIRONMENT", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"NRM_ENVIRONMENT must be development, test or production, not {ENVIRONMENT!r}."
    )
PRODUCTION = ENVIRONMENT == "production"
DEBUG = os.environ.get("NRM_DEBUG", "0" if PRODUCTION else "1") == "1" and not PRODUCTION

SECRET_KEY = os.environ.get("NRM_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "NRM_SECRET_KEY is not set. Production refuses to start without a secret key: "
            "set NRM_SECRET_KEY to a long random value, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = "development-only-key-not-for-production-use-0123456789abcdef"  # noqa: S105

# Key of the keyed hashes that pseudonymise person and referral ids in the analytical extract.
# Its own key, never the secret key: whoever holds the secret key (every web server) must not be
# able to link an extract row back to a referral.
PSEUDONYMISATION_KEY = os.environ.get("NRM_PSEUDONYMISATION_KEY", "")
if not PSEUDONYMISATION_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "NRM_PSEUDONYMISATION_KEY is not set. Production refuses to start without a pseudonymisation key "
            "of its own (not NRM_SECRET_KEY): set it to a long random value kept away from the web servers' "
            "other secrets."
        )
    PSEUDONYMISATION_KEY = "development-only-pseudonymisation-key-not-for-production"
elif PSEUDONYMISATION_KEY == SECRET_KEY:
    raise ImproperlyConfigured("NRM_PSEUDONYMISATION_KEY must differ from NRM_SECRET_KEY.")

# Key of the audit seals (nrm/audit/seals.py): an HMAC over the audit chain's last event, written
# outside the database. The database must never hold it, so someone who controls the database
# cannot make a seal that verifies. Its own key, never the secret key.
AUDIT_SEAL_KEY = os.environ.get("NRM_AUDIT_SEAL_KEY", "")
if not AUDIT_SEAL_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "NRM_AUDIT_SEAL_KEY is not set. Production refuses to start without an audit seal key of its own: "
            "set it to a long random value held by the web servers and workers, never stored in the database."
        )
    AUDIT_SEAL_KEY = "development-only-audit-seal-key-not-for-production"
elif AUDIT_SEAL_KEY in {SECRET_KEY, PSEUDONYMISATION_KEY}:
    raise ImproperlyConfigured("NRM_AUDIT_SEAL_KEY must differ from NRM_SECRET_KEY and NRM_PSEUDONYMISATION_KEY.")
# Where the seals are written: a directory outside the database (in production, storage the
# database's administrators cannot write, ideally write-once).
AUDIT_SEAL_DIR = Path(os.environ.get("NRM_AUDIT_SEAL_DIR", VAR_DIR / "audit-seals"))
# How often the worker seals (its --every): `nrm audit verify` fails when the newest seal is older
# than twice this while events follow it.
AUDIT_SEAL_PERIOD = int(os.environ.get("NRM_AUDIT_SEAL_PERIOD", "300"))
# The proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For and
# X-Forwarded-Proto are believed; nobody else's are (nrm/core/proxies.py). Empty: none.
NRM_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("NRM_TRUSTED_PROXIES", "").split(",") if p.strip()]
for _proxy in NRM_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"NRM_TRUSTED_PROXIES: {_proxy!r} is not an IP address or a CIDR range (like 10.0.0.0/8)."
        ) from None
# Key-encryption keys of the envelope encryption at rest (ADR 0019): "version:base64key" pairs,
# comma separated, the highest version wrapping new data keys. From NRM_DATA_KEYS or the file
# named by NRM_DATA_KEYS_FILE; never stored in the database. Production requires them.
DATA_KEYS = os.environ.get("NRM_DATA_KEYS", "")
if not DATA_KEYS and os.environ.get("NRM_DATA_KEYS_FILE"):
    DATA_KEYS = Path(os.environ["NRM_DATA_KEYS_FILE"]).read_text(encoding="utf-8").strip()
if not DATA_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "NRM_DATA_KEYS (or NRM_DATA_KEYS_FILE) is not set. Production refuses to start without the "
            "key-encryption keys of the data at rest: set it to 1:<32 random bytes in base64>, for example "
            "`python -c 'import base64, os; print(\"1:\" + base64.b64encode(os.urandom(32)).decode())'`."
        )
    DATA_KEYS = "1:ZGV2ZWxvcG1lbnQtb25seS1kYXRhLWtleS0wMDAwMDA="  # development and test only
elif PRODUCTION and "ZGV2ZWxvcG1lbnQtb25seS1kYXRhLWtleS0wMDAwMDA=" in DATA_KEYS:
    raise ImproperlyConfigured("NRM_DATA_KEYS holds the development key: production needs keys of its own.")


def _check_data_keys(spec: str) -> None:
    from nrm.core.crypto import parse_keyring  # checks the format and each key's length

    parse_keyring(spec)


_check_data_keys(DATA_KEYS)

ALLOWED_HOSTS = [h for h in os.environ.get("NRM_ALLOWED_HOSTS", "").split(",") if h]
if not PRODUCTION:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "nrm.core",
    "nrm.reference",
    "nrm.accounts",
    "nrm.audit",
    "nrm.notify",
    "nrm.referrals",
    "nrm.cases",
    "nrm.reviews",
    "nrm.support",
    "nrm.stats",
    "nrm.synth",
    "nrm.api",
    "nrm.site",
]

MIDDLEWARE = [
    # First: who the client is and how it came (believing only trusted proxies), the request id,
    # and the request's log line, so that redirects and static files are logged too.
    "nrm.core.proxies.TrustedProxyMiddleware",
    "nrm.core.middleware.RequestIdMiddleware",
    "nrm.core.log_format.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "nrm.accounts.middleware.SessionLifetimeMiddleware",
    "nrm.accounts.middleware.SecondFactorRequiredMiddleware",
    "nrm.accounts.middleware.NoStoreMiddleware",
    "nrm.site.access.PageAccessMiddleware",
    "nrm.api.auth.ApiCallRecorder",
    "nrm.site.read_audit.ReadAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nrm.urls"
WSGI_APPLICATION = "nrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "nrm" / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "nrm.core.jinja.environment",
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.messages.context_processors.messages",
                "nrm.site.context_processors.service",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_from_env() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("NRM_SQLITE_PATH", str(VAR_DIR / "nrm.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises ValueError and friends
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database address this service understands ({exc}). "
            "Use postgres://USER:PASSWORD@HOST:PORT/NAME, or unset it to use SQLite."
        ) from exc
    engine = str(config.get("ENGINE", ""))
    if engine not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL names an unsupported database ({engine or 'unknown'}). "
            "Open NRM runs on PostgreSQL or SQLite."
        )
    if engine == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured(
            "DATABASE_URL has no database name: use postgres://USER@HOST:PORT/NAME."
        )
    test_name = os.environ.get("NRM_TEST_DATABASE_NAME")
    if test_name:
        config["TEST"] = {"NAME": test_name}
    return dict(config)


def _owner_database_from_env(default: dict[str, object]) -> dict[str, object] | None:
    """DATABASE_OWNER_URL: the tables' owner, used only by `migrate` (and `nrm db app-role`);
    the service itself connects as DATABASE_URL's least-privilege role."""
    url = os.environ.get("DATABASE_OWNER_URL", "").strip()
    if not url:
        return None
    if default.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_OWNER_URL is set but DATABASE_URL does not name PostgreSQL: "
                                   "the owner and the application's role are PostgreSQL roles.")
    try:
        owner = dj_database_url.parse(url)
    except Exception as exc:  # dj-database-url raises ValueError and friends
        raise ImproperlyConfigured(f"DATABASE_OWNER_URL is not a database address ({exc}).") from exc
    if owner.get("ENGINE") != "django.db.backends.postgresql" or not owner.get("NAME"):
        raise ImproperlyConfigured("DATABASE_OWNER_URL must be postgres://OWNER:PASSWORD@HOST:PORT/NAME.")
    if owner["NAME"] != default.get("NAME"):
        raise ImproperlyConfigured("DATABASE_OWNER_URL must name the same database as DATABASE_URL.")
    return {key: owner.get(key) for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}


DATABASES = {"default": _database_from_env()}
DATABASE_OWNER = _owner_database_from_env(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password policy after NCSC guidance: a minimum length, a deny list of common passwords and of
# the user's own details, a generous maximum, and no composition rules (no "must contain a digit").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": int(os.environ.get("NRM_PASSWORD_MIN_LENGTH", "12"))}},
    {"NAME": "nrm.accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 256}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "nrm.accounts.passwords.ServiceWordsValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "site:home"
OTP_TOTP_ISSUER = "Open NRM"

# Lockout per account, whatever the address: wrong passwords and wrong authenticator codes both
# count. Failures are cleared only when a sign-in completes (every factor), by the sign-in view.
AXES_FAILURE_LIMIT = int(os.environ.get("NRM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = False
# Throttling per client address (a keyed hash of it is kept): failed sign-ins in 15 minutes,
# requests to refer and password reset requests per hour.
NRM_ADDRESS_FAILURE_LIMIT = int(os.environ.get("NRM_ADDRESS_FAILURE_LIMIT", "20"))
NRM_CONCERN_LIMIT_PER_HOUR = int(os.environ.get("NRM_CONCERN_LIMIT_PER_HOUR", "5"))
NRM_PASSWORD_RESET_LIMIT_PER_HOUR = int(os.environ.get("NRM_PASSWORD_RESET_LIMIT_PER_HOUR", "5"))
# The service's address, for links in emails sent by commands (pages use the request's own).
NRM_BASE_URL = os.environ.get("NRM_BASE_URL", "http://localhost:8000")
# How long emailed links stay usable.
NRM_LINK_LIFETIMES_HOURS = {"invitation": 72, "password_reset": 1, "authenticator": 24, "join": 72}
AXES_LOCKOUT_CALLABLE = "nrm.accounts.views.locked_out"
# Lockout is per account on purpose (above): locking out an address would lock out everyone behind
# one office's or one charity's address. Addresses are throttled instead (nrm.accounts.throttle).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The queue's covering indexes (INCLUDE columns) are for PostgreSQL; on SQLite they are built without
# the extra columns by nrm.core.models.CoveringIndex, so no models.W040 warning arises to silence.
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "nrm.core.proxies.client_address"

# Single sign-on by OpenID Connect (ADR 0025), beside local accounts and off unless configured:
# NRM_OIDC_ISSUER (tokens are checked against it; its discovery document gives the endpoints unless
# all four NRM_OIDC_*_ENDPOINT / NRM_OIDC_JWKS_URI are set), NRM_OIDC_CLIENT_ID and
# NRM_OIDC_CLIENT_SECRET. ID tokens must be RS256, signed with a key from the provider's JWKS;
# PKCE (S256), state and nonce are always used.
NRM_OIDC_ISSUER = os.environ.get("NRM_OIDC_ISSUER", "").strip()
NRM_OIDC_CLIENT_ID = os.environ.get("NRM_OIDC_CLIENT_ID", "").strip()
NRM_OIDC_CLIENT_SECRET = os.environ.get("NRM_OIDC_CLIENT_SECRET", "")
NRM_OIDC_ENDPOINTS = {name: os.environ.get(f"NRM_OIDC_{name.upper()}", "").strip()
                      for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")}
NRM_OIDC_SCOPES = os.environ.get("NRM_OIDC_SCOPES", "openid email profile")
# acr values the provider uses for a multi-factor sign-in (comma-separated); "mfa" in amr always counts.
NRM_OIDC_MFA_ACRS = [a.strip() for a in os.environ.get("NRM_OIDC_MFA_ACRS", "").split(",") if a.strip()]
NRM_OIDC_TIMEOUT_SECONDS = int(os.environ.get("NRM_OIDC_TIMEOUT_SECONDS", "10"))
# Signing out also ends the provider's session where it has an end-session endpoint: the discovery
# document's end_session_endpoint, or this (for a provider whose document does not give it).
NRM_OIDC_END_SESSION_ENDPOINT = os.environ.get("NRM_OIDC_END_SESSION_ENDPOINT", "").strip()
_oidc_given = [n for n, v in (("NRM_OIDC_ISSUER", NRM_OIDC_ISSUER), ("NRM_OIDC_CLIENT_ID", NRM_OIDC_CLIENT_ID),
                              ("NRM_OIDC_CLIENT_SECRET", NRM_OIDC_CLIENT_SECRET)) if v]
if any(NRM_OIDC_ENDPOINTS.values()) and not NRM_OIDC_ISSUER:
    raise ImproperlyConfigured("NRM_OIDC_* endpoints are set without NRM_OIDC_ISSUER: single sign-on needs the "
                               "issuer to check each ID token's iss claim.")
if _oidc_given and len(_oidc_given) < 3:
    raise ImproperlyConfigured("Single sign-on needs NRM_OIDC_ISSUER, NRM_OIDC_CLIENT_ID and NRM_OIDC_CLIENT_SECRET "
                               f"together; only {', '.join(_oidc_given)} is set.")
if any(NRM_OIDC_ENDPOINTS.values()) and not all(NRM_OIDC_ENDPOINTS.values()):
    raise ImproperlyConfigured("Set all of NRM_OIDC_AUTHORIZATION_ENDPOINT, NRM_OIDC_TOKEN_ENDPOINT, "
                               "NRM_OIDC_USERINFO_ENDPOINT and NRM_OIDC_JWKS_URI, or none (discovery).")
if PRODUCTION and NRM_OIDC_ISSUER and not NRM_OIDC_ISSUER.startswith("https://"):
    raise ImproperlyConfigured("NRM_OIDC_ISSUER must be an https:// address in production.")

SESSION_IDLE_TIMEOUT = int(os.environ.get("NRM_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT  # sliding: saved on every request
SESSION_SAVE_EVERY_REQUEST = True
# However active, a session ends this long after sign-in.
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("NRM_SESSION_ABSOLUTE_SECONDS", str(10 * 60 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
_ASSETS: list[tuple[str, Path]] = [
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("vendor/accessible-autocomplete", BASE_DIR / "node_modules" / "accessible-autocomplete" / "dist"),
]
# GOV.UK Frontend comes from npm at setup (`make setup`), so it is not in the repository.
STATICFILES_DIRS: list[tuple[str, Path] | Path] = [
    *((prefix, path) for prefix, path in _ASSETS if path.exists()),
    BASE_DIR / "nrm" / "static",
]
WHITENOISE_USE_FINDERS = not PRODUCTION
# GOV.UK Frontend's stylesheet asks for its fonts and images at /assets/.
if (BASE_DIR / "nrm" / "webroot" / "assets").exists():
    WHITENOISE_ROOT = BASE_DIR / "nrm" / "webroot"
if not PRODUCTION:
    STATIC_ROOT.mkdir(exist_ok=True)  # collectstatic fills it in production
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "uploads")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Evidence files are sealed (ADR 0019) and readable by the service's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# A request's form fields (files apart) are bounded: the largest page holds a few answers of
# at most 20,000 characters each, far under 1 MB. Bigger requests get a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": os.environ.get("NRM_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# The worker (`nrm worker`, any number of them): how long a claim on an outbox message or a
# periodic job holds before another worker may take it over, and after how long without a
# heartbeat a worker counts as gone (its running tasks are then run again).
OUTBOX_LEASE_SECONDS = int(os.environ.get("NRM_OUTBOX_LEASE_SECONDS", "120"))
PERIODIC_LEASE_SECONDS = int(os.environ.get("NRM_PERIODIC_LEASE_SECONDS", "900"))
WORKER_STALE_SECONDS = int(os.environ.get("NRM_WORKER_STALE_SECONDS", "60"))

MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "NRM_EMAIL_BACKEND",
            "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.filebased.EmailBackend",
        ),
        # Outside production, sent email is written to files here instead of leaving the machine.
        **({} if PRODUCTION else {"OPTIONS": {"file_path": str(VAR_DIR / "mail")}}),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("NRM_FROM_EMAIL", "no-reply@open-nrm.invalid")
# GOV.UK Notify: with an API key, outbox email goes through Notify (nrm.notify.govuk) instead of
# the email backend above; a template id per message kind (JSON: {"receipt": "<id>", ...,
# "default": "<id>"}), each template taking ((subject)), ((body)) and ((link)). Delivery receipts
# are accepted at /notify/receipts from a caller that sends NRM_NOTIFY_RECEIPT_TOKEN as its bearer token.
NOTIFY_API_KEY = os.environ.get("NRM_NOTIFY_API_KEY", "")
NOTIFY_BASE_URL = os.environ.get("NRM_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_TEMPLATES = os.environ.get("NRM_NOTIFY_TEMPLATES", "{}")
NOTIFY_RECEIPT_TOKEN = os.environ.get("NRM_NOTIFY_RECEIPT_TOKEN", "")
NOTIFY_TIMEOUT_SECONDS = int(os.environ.get("NRM_NOTIFY_TIMEOUT_SECONDS", "20"))
# Webhooks to partner systems (nrm.notify.webhooks, ADR 0030): how long one delivery may take, how
# many tries before it is recorded as failed for good, how old a signed timestamp receivers should
# accept, and whether endpoints may be private or loopback addresses (never in production unless
# said here; https is required in production whatever this says).
WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("NRM_WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("NRM_WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_TOLERANCE_SECONDS = int(os.environ.get("NRM_WEBHOOK_TOLERANCE_SECONDS", "300"))
# The longest date range one HTCDS export over the API may ask for (the command has no limit).
HTCDS_API_MAX_DAYS = int(os.environ.get("NRM_HTCDS_API_MAX_DAYS", "366"))
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = os.environ.get("NRM_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "") == "1"
SERVICE_NAME = "Refer a potential victim of modern slavery"
SERVICE_PHASE = "beta"
PUBLISHED_DATA_DIR = Path(os.environ.get("NRM_PUBLISHED_DATA_DIR", BASE_DIR / "data" / "published"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only, bounded in size and depth, with the service's text rules (nrm/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["nrm.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "nrm.api.openapi.ApiAutoSchema",
    # One error body for every refusal (nrm/core/api_errors.py).
    "EXCEPTION_HANDLER": "nrm.core.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Open NRM API", "VERSION": "0.1.0",
    # The schema maps what the service holds: in production only a signed-in user or client reads it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated" if PRODUCTION
                          else "rest_framework.permissions.AllowAny"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "nrm.api.openapi.strict_error_body"],
}

# Security headers. A strict Content Security Policy everywhere; HTTPS-only cookies and
# HSTS in production.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("NRM_SSL_REDIRECT", "1") == "1"
    # Health probes come from load balancers over plain HTTP, inside the network (nrm/site/health.py).
    SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)$"]
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("NRM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

CSRF_FAILURE_VIEW = "nrm.site.views.csrf_failure"

# Logs: one JSON object per line in production (nrm/core/log_format.py), plain lines elsewhere
# (NRM_LOG_FORMAT=json or text to choose). One line per request (logger nrm.request: method, path
# template, status, duration, request id) in production, or wherever NRM_REQUEST_LOG=1.
LOG_FORMAT = os.environ.get("NRM_LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"NRM_LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
REQUEST_LOG = os.environ.get("NRM_REQUEST_LOG", "1" if PRODUCTION else "0") == "1"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler has the filter that keeps query parameters and database error text (which can
    # quote what someone typed) out of the logs: see nrm/core/log_filters.py.
    "filters": {"withhold_personal_data": {"()": "nrm.core.log_filters.WithholdPersonalData"}},
    "formatters": {
        "json": {"()": "nrm.core.log_format.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["withhold_personal_data"],
                             "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("NRM_LOG_LEVEL", "WARNING")},
    "loggers": {"nrm.request": {"level": "INFO" if REQUEST_LOG else "WARNING"}},
}
