"""Who may act for support: the one place the support domain decides it, from the capability table."""

from __future__ import annotations

from typing import Any

from nrm.accounts.capabilities import Capability, organisations_with


def support_provider_organisations(user: Any) -> list[Any]:
    """The providers for which ``user`` supports people; empty for anyone else."""
    return organisations_with(user, Capability.PROVIDE_SUPPORT)
