"""What an API client may be allowed to do: each scope is backed by one capability of the one table
(``nrm.accounts.capabilities``). A client needs both the scope and, through the account it acts as,
the capability in its organisation."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from nrm.accounts.capabilities import Capability


class Scope(StrEnum):
    REFERRALS_READ = "referrals:read"
    REFERRALS_WRITE = "referrals:write"
    MESSAGES_READ = "messages:read"
    MESSAGES_ACKNOWLEDGE = "messages:acknowledge"
    CASES_READ = "cases:read"
    CASES_DECIDE = "cases:decide"
    EXPORTS_HTCDS = "exports:htcds"


SCOPE_CAPABILITY: Mapping[Scope, Capability] = {
    Scope.REFERRALS_READ: Capability.FOLLOW_REFERRALS,
    Scope.REFERRALS_WRITE: Capability.REFER,
    Scope.MESSAGES_READ: Capability.RECEIVE_PARTNER_MESSAGES,
    Scope.MESSAGES_ACKNOWLEDGE: Capability.RECEIVE_PARTNER_MESSAGES,
    Scope.CASES_READ: Capability.WORK_CASES,
    Scope.CASES_DECIDE: Capability.WORK_CASES,
    Scope.EXPORTS_HTCDS: Capability.ANALYSE,
}
