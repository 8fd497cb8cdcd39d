"""Where a referral's partner messages go: the police force for the crime referral, and the
children's social care team for a child's safeguarding notification."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils import timezone

from nrm.reference.models import LocalAuthority, Organisation, PoliceForce

NI_CHILDRENS_SERVICES_FILE = Path(__file__).parent / "data" / "ni_childrens_services.csv"
PSNI_CODE = "N23000001"


@lru_cache(maxsize=1)
def ni_childrens_services() -> dict[str, str]:
    """Northern Ireland district code -> the Health and Social Care Trust that runs children's services."""
    with NI_CHILDRENS_SERVICES_FILE.open(newline="", encoding="utf-8") as handle:
        return {row["local_authority_code"]: row["organisation_slug"] for row in csv.DictReader(handle)}


def police_force_for_organisation(organisation: Organisation) -> PoliceForce | None:
    """The force area a first-responder organisation works in, where its identity says so
    (police forces, local authorities, HSC trusts); None for national bodies and charities."""
    slug = organisation.slug
    if slug.startswith("police-"):
        return PoliceForce.objects.filter(code=slug.removeprefix("police-").upper()).first()
    if slug.startswith("la-"):
        code = slug.removeprefix("la-").upper()
        authority = (LocalAuthority.objects.filter(Q(code=code) | Q(upper_tier_code=code))
                     .select_related("police_force").order_by("code").first())
        return authority.police_force if authority else None
    if slug.startswith("hsct-"):
        return PoliceForce.objects.filter(code=PSNI_CODE).first()
    return None


def police_organisation_for(force: PoliceForce) -> Organisation | None:
    return Organisation.objects.in_force(timezone.localdate()).filter(slug=f"police-{force.code.lower()}").first()


def crime_referral_force(answers: Mapping[str, Any]) -> PoliceForce | None:
    """The force for the place of exploitation; if that is unknown or overseas, the force for
    the referrer's area."""
    code = ""
    if answers.get("location") in {"uk", "both"}:
        code = answers.get("exploitation_police_force") or ""
    code = code or answers.get("fr_police_force") or ""
    return PoliceForce.objects.filter(code=code).first() if code else None


def childrens_services_slug(authority: LocalAuthority) -> str:
    """The slug of the organisation that runs children's social care where the child lives: the
    upper-tier authority in Great Britain, the Health and Social Care Trust in Northern Ireland."""
    return ni_childrens_services().get(authority.code) or f"la-{authority.upper_tier_code.lower()}"


def childrens_services_for(authority: LocalAuthority) -> Organisation | None:
    """The organisation that runs children's social care where the child lives, if in force."""
    return Organisation.objects.in_force(timezone.localdate()).filter(slug=childrens_services_slug(authority)).first()
