"""Jobs the worker runs on a schedule. Each domain registers its own with :func:`register`."""

from __future__ import annotations

from collections.abc import Callable

_JOBS: dict[str, Callable[[], int]] = {}


def register(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    def wrap(func: Callable[[], int]) -> Callable[[], int]:
        _JOBS[name] = func
        return func

    return wrap


def load_jobs() -> dict[str, Callable[[], int]]:
    """Every registered job by name, after importing each domain's jobs module."""
    from django.apps import apps

    for config in apps.get_app_configs():  # importing each domain's jobs module registers its jobs
        if config.name.startswith("nrm."):
            try:
                __import__(f"{config.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.jobs":
                    raise
    return dict(sorted(_JOBS.items()))


def run_periodic_jobs() -> dict[str, int]:
    """Run every job once, now (tests and one-off runs; the worker claims each job per period)."""
    return {name: job() for name, job in load_jobs().items()}
