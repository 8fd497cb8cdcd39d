"""Errors that services raise and pages turn into clear messages."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the rules refuse. ``message`` is written for the person who asked."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(ServiceError):
    """The case's lifecycle does not allow this step from its current state."""


class GuardFailed(ServiceError):
    """The step exists but a rule in force (a date, an open request) stops it now."""


class AccessDenied(ServiceError):
    """The user's role or organisation may not do this."""
