"""What an OpenID Connect ID token's claims allow: the first step of single sign-on (ADR 0025).

Pure: no database, no HTTP. ``nrm/accounts/data/single_sign_on.csv`` maps a verified email domain
to an organisation (by slug) and an identity provider's group to a role; what a role may then do
is the capability table in ``nrm.accounts.capabilities``, as for local accounts.

- Sign-in is refused when the email is missing or not verified (``email_verified`` must be true),
  when its domain is not in the table, or when no group maps to a role.
- The domain must match exactly (case-insensitive): ``x@sub.example-police.gov.uk`` is not
  ``example-police.gov.uk``, and nobody gains an organisation by registering a look-alike.
- The second factor is kept unless the token asserts multi-factor authentication: ``amr``
  contains ``"mfa"``, or ``acr`` is one of those configured as MFA.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from nrm.accounts.roles import Role

TABLE = Path(__file__).parent / "data" / "single_sign_on.csv"


class SignInRefused(Exception):
    """The identity provider's claims do not allow a sign-in here; the message says why."""


@dataclass(frozen=True)
class SignOnTable:
    organisations: Mapping[str, str]  # email domain -> organisation slug
    roles: Mapping[str, Role]  # group claim -> role


@dataclass(frozen=True)
class SignIn:
    email: str
    organisation: str
    roles: frozenset[Role]
    second_factor_done: bool


def parse_table(rows: Iterable[Mapping[str, str]]) -> SignOnTable:
    organisations: dict[str, str] = {}
    roles: dict[str, Role] = {}
    for row in rows:
        kind, claim, target = row["kind"].strip(), row["claim"].strip(), row["maps_to"].strip()
        if kind == "domain":
            organisations[claim.lower()] = target
        elif kind == "group":
            roles[claim] = Role(target)
        else:
            raise ValueError(f"Unknown kind {kind!r} in the single sign-on table")
    return SignOnTable(organisations=organisations, roles=roles)


@cache
def sign_on_table() -> SignOnTable:
    with TABLE.open(newline="") as file:
        return parse_table(csv.DictReader(file))


def _verified_email(claims: Mapping[str, Any]) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or email.count("@") != 1 or not email.partition("@")[0]:
        raise SignInRefused("The identity provider gave no email address")
    if claims.get("email_verified") is not True:
        raise SignInRefused("The identity provider has not verified this email address")
    return email.strip().lower()


def asserts_mfa(claims: Mapping[str, Any], *, mfa_acrs: Iterable[str] = ()) -> bool:
    amr = claims.get("amr")
    if isinstance(amr, list) and "mfa" in amr:
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in set(mfa_acrs)


def sign_in_from_claims(claims: Mapping[str, Any], *, table: SignOnTable | None = None,
                        mfa_acrs: Iterable[str] = ()) -> SignIn:
    """The organisation and roles an ID token's claims give, or ``SignInRefused``."""
    table = table or sign_on_table()
    email = _verified_email(claims)
    organisation = table.organisations.get(email.rpartition("@")[2])
    if organisation is None:
        raise SignInRefused("Email addresses at this domain cannot sign in with single sign-on")
    groups = claims.get("groups")
    names = [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
    roles = frozenset(table.roles[g] for g in names if g in table.roles)
    if not roles:
        raise SignInRefused("None of your groups gives a role in this service")
    return SignIn(email=email, organisation=organisation, roles=roles,
                  second_factor_done=asserts_mfa(claims, mfa_acrs=mfa_acrs))
