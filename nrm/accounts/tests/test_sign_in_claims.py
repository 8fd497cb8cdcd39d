"""Single sign-on's claims: a verified email at a known domain gives its organisation, groups give
roles, anything else is refused; the second factor is kept unless the token asserts MFA."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nrm.reference
from nrm.accounts.roles import Role
from nrm.accounts.sign_in_claims import SignInRefused, asserts_mfa, sign_in_from_claims, sign_on_table

TABLE = sign_on_table()


def claims(**overrides: Any) -> dict[str, Any]:
    return {"email": "Officer@Met.Police.UK", "email_verified": True,
            "groups": ["nrm-first-responders", "unrelated"], **overrides}


def test_a_verified_email_at_a_known_domain_gives_its_organisation_and_roles() -> None:
    sign_in = sign_in_from_claims(claims(), table=TABLE)
    assert sign_in.email == "officer@met.police.uk"
    assert sign_in.organisation == "police-e23000001"
    assert sign_in.roles == {Role.FIRST_RESPONDER}
    assert sign_in.second_factor_done is False


@pytest.mark.parametrize("override", [
    {"email_verified": False}, {"email_verified": "true"}, {"email_verified": None}, {"email": None},
    {"email": "no-at-sign"}, {"email": "@met.police.uk"},
    {"email": "x@sub.met.police.uk"}, {"email": "x@met.police.uk.evil.test"},
    {"email": "x@unknown.gov.uk"}, {"groups": []}, {"groups": "nrm-first-responders"}, {"groups": ["unknown"]},
])
def test_sign_in_is_refused(override: dict[str, Any]) -> None:
    with pytest.raises(SignInRefused):
        sign_in_from_claims(claims(**override), table=TABLE)


@pytest.mark.parametrize(("extra", "mfa"), [
    ({"amr": ["pwd", "mfa"]}, True), ({"amr": ["pwd"]}, False), ({"amr": "mfa"}, False),
    ({"acr": "urn:example:mfa"}, True), ({"acr": "urn:example:password"}, False), ({}, False),
])
def test_the_second_factor_is_kept_unless_the_token_asserts_mfa(extra: dict[str, Any], mfa: bool) -> None:
    assert asserts_mfa(claims(**extra), mfa_acrs=["urn:example:mfa"]) is mfa
    assert sign_in_from_claims(claims(**extra), table=TABLE, mfa_acrs=["urn:example:mfa"]).second_factor_done is mfa


@given(st.lists(st.sampled_from(sorted(TABLE.roles)) | st.text(max_size=20), max_size=8))
def test_roles_are_exactly_the_mapped_groups(groups: list[str]) -> None:
    expected = {TABLE.roles[g] for g in groups if g in TABLE.roles}
    if not expected:
        with pytest.raises(SignInRefused):
            sign_in_from_claims(claims(groups=groups), table=TABLE)
        return
    assert sign_in_from_claims(claims(groups=groups), table=TABLE).roles == expected


@given(st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,12}){1,3}", fullmatch=True))
def test_only_a_listed_domain_gives_an_organisation(domain: str) -> None:
    if domain in TABLE.organisations:
        assert sign_in_from_claims(claims(email=f"a@{domain}"), table=TABLE).organisation == TABLE.organisations[domain]
    else:
        with pytest.raises(SignInRefused):
            sign_in_from_claims(claims(email=f"a@{domain}"), table=TABLE)


def test_every_mapped_organisation_exists_and_may_hold_the_mapped_roles() -> None:
    with (Path(nrm.reference.__file__).parent / "data" / "organisations.csv").open(newline="") as file:
        allowed = {row["slug"]: set(row["roles"].split(";")) for row in csv.DictReader(file)}
    assert TABLE.organisations
    for organisation in TABLE.organisations.values():
        assert organisation in allowed, organisation
    mapped = {str(role) for role in TABLE.roles.values()}
    assert any(mapped & allowed[o] for o in TABLE.organisations.values())
