"""Who supports a person: the rule, written once (pure: data in, answer out, no database).

The support service (``support_provider_for`` in ``nrm.support.services``) and the synthetic
database both ask this module, then find the organisation it names.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from nrm.support.models import ProviderType

# Adult support by nation: (provider, provider for women where a specialist service holds the contract).
ADULT_PROVIDERS: dict[str, tuple[str, str | None]] = {
    "england": ("vcc-salvation-army", None),
    "wales": ("vcc-salvation-army", None),
    "scotland": ("support-migrant-help-scotland", "support-tara"),
    "northern_ireland": ("support-migrant-help-ni", "support-belfast-lisburn-womens-aid"),
}


@dataclass(frozen=True, kw_only=True)
class ProviderChoice:
    """The kind of provider, and the organisation's slug; ``slug`` is None for a child, whose
    provider is the children's services of the local authority where they live."""

    provider_type: ProviderType
    slug: str | None


def support_provider_for(*, is_child: bool, nation: str, gender: str,
                         exploitation_codes: Collection[str]) -> ProviderChoice:
    """Children's services for a child; for an adult, the victim care contract provider for the
    nation, or its specialist service for women where there is one (in Northern Ireland for every
    woman, in Scotland for women sexually exploited)."""
    if is_child:
        return ProviderChoice(provider_type=ProviderType.LOCAL_AUTHORITY, slug=None)
    default, for_women = ADULT_PROVIDERS.get(nation, ADULT_PROVIDERS["england"])
    slug = default
    if for_women and gender == "female" and (nation == "northern_ireland" or "sexual" in exploitation_codes):
        slug = for_women
    return ProviderChoice(provider_type=ProviderType.VICTIM_CARE_CONTRACT, slug=slug)
