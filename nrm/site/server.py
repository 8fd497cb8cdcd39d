"""The production web server: gunicorn, run inside ``nrm serve --production`` (ADR 0018, the
server and process model; docs/operations.md).

The ``nrm serve --production`` process is gunicorn's master. It forks ``workers`` sync worker
processes, each serving one request at a time with one database connection, and replaces any that
dies or takes longer than the request timeout. SIGTERM stops it gracefully (requests in flight
finish, up to the graceful timeout); SIGINT, SIGQUIT and SIGHUP stop it too (SIGHUP does not
reload: a new release is a new process). A worker whose master is killed outright (SIGKILL) is
told by the kernel (Linux) and, as a second guard, notices that its parent changed, and stops.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import gunicorn.http.wsgi
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from nrm.core.processes import die_with_parent

# What the Server header says: no product version for anyone to look up vulnerabilities by.
SERVER_NAME = "nrm"
gunicorn.http.wsgi.SERVER = SERVER_NAME  # read by each response gunicorn writes
gunicorn.http.wsgi.SERVER_SOFTWARE = SERVER_NAME

logger = logging.getLogger("nrm.server")
MAX_DEFAULT_WORKERS = 8
DEFAULT_REQUEST_TIMEOUT = 30
DEFAULT_GRACEFUL_TIMEOUT = 30


def deployment_checks() -> int:
    """Run Django's checks with the deployment checks (``check --deploy``), logging each issue
    that is not silenced; returns how many are errors (the server does not start if any)."""
    from django.core import checks

    issues = [issue for issue in checks.run_checks(include_deployment_checks=True) if not issue.is_silenced()]
    for issue in issues:
        logger.log(logging.ERROR if issue.is_serious() else logging.WARNING, "Deployment check: %s", issue)
    return sum(1 for issue in issues if issue.is_serious())


def cpu_count() -> int:
    """CPUs this process may run on (its affinity, where the system says), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


def worker_count(env: Mapping[str, str], cpus: int) -> int:
    """``WEB_CONCURRENCY`` if set; otherwise 2 per CPU plus one, at most MAX_DEFAULT_WORKERS.
    Each worker holds at most one database connection."""
    return _positive_int(env, "WEB_CONCURRENCY", min(2 * cpus + 1, MAX_DEFAULT_WORKERS))


def gunicorn_options(addrport: str, env: Mapping[str, str]) -> dict[str, Any]:
    """gunicorn's settings for serving at ``addrport`` (HOST:PORT), from the environment."""
    return {
        "bind": [addrport],
        "workers": worker_count(env, cpu_count()),
        "worker_class": "sync",
        "timeout": _positive_int(env, "NRM_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT),
        "graceful_timeout": _positive_int(env, "NRM_GRACEFUL_TIMEOUT", DEFAULT_GRACEFUL_TIMEOUT),
        # A worker is replaced after this many requests (spread out), so slow leaks stay bounded.
        "max_requests": _positive_int(env, "NRM_MAX_REQUESTS", 2000),
        "max_requests_jitter": 200,
        # gunicorn itself trusts no proxy header: nrm.core.proxies decides, from NRM_TRUSTED_PROXIES.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        # No access log from gunicorn (it would carry query strings): the service logs each request
        # itself, without personal data (nrm.core.request_log).
        "accesslog": None,
        "errorlog": "-",
        "loglevel": env.get("NRM_LOG_LEVEL", "info").lower(),
        "logconfig_dict": _logging(),
        "control_socket_disable": True,
        "proc_name": "nrm-web",
        "post_fork": _post_fork,
    }


def _logging() -> dict[str, Any]:
    """gunicorn's own messages (workers starting, stopping, timing out) in the service's format."""
    from django.conf import settings

    config: dict[str, Any] = {**settings.LOGGING}
    config["loggers"] = {**config.get("loggers", {}),
                         "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
                         "gunicorn.access": {"handlers": [], "propagate": False}}
    return config


def _post_fork(server: Any, worker: Any) -> None:
    """In each new worker: stop when the master dies, whatever killed it."""
    die_with_parent()


class _Arbiter(Arbiter):  # type: ignore[misc]
    def handle_hup(self) -> None:
        """SIGHUP stops the server gracefully, like SIGTERM, instead of reloading it."""
        self.log.info("Hang up: stopping %s", self.master_name)
        raise StopIteration


class ProductionServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from nrm.wsgi import application

        return application

    def run(self) -> None:
        _Arbiter(self).run()


def serve(addrport: str, env: Mapping[str, str] | None = None) -> None:
    """Serve until stopped by a signal (runs gunicorn's master loop in this process)."""
    logging.captureWarnings(True)  # warnings become log records, in the log's format
    ProductionServer(gunicorn_options(addrport, os.environ if env is None else env)).run()
