"""Who supports a person, without a database."""

import pytest

from nrm.support.models import ProviderType
from nrm.support.rules import ADULT_PROVIDERS, support_provider_for


@pytest.mark.parametrize("nation", sorted(ADULT_PROVIDERS))
@pytest.mark.parametrize("gender", ["female", "male"])
def test_a_child_is_supported_by_childrens_services_wherever_and_whoever(nation: str, gender: str) -> None:
    choice = support_provider_for(is_child=True, nation=nation, gender=gender, exploitation_codes={"sexual"})
    assert choice.provider_type == ProviderType.LOCAL_AUTHORITY
    assert choice.slug is None


@pytest.mark.parametrize(("nation", "gender", "codes", "slug"), [
    ("england", "female", {"sexual"}, "vcc-salvation-army"),
    ("wales", "male", {"labour"}, "vcc-salvation-army"),
    ("scotland", "male", {"sexual"}, "support-migrant-help-scotland"),
    ("scotland", "female", {"labour"}, "support-migrant-help-scotland"),
    ("scotland", "female", {"labour", "sexual"}, "support-tara"),
    ("northern_ireland", "male", {"sexual"}, "support-migrant-help-ni"),
    ("northern_ireland", "female", {"labour"}, "support-belfast-lisburn-womens-aid"),
    ("somewhere_else", "female", {"sexual"}, "vcc-salvation-army"),
])
def test_an_adult_is_supported_by_the_provider_for_their_nation(nation: str, gender: str, codes: set[str],
                                                                 slug: str) -> None:
    choice = support_provider_for(is_child=False, nation=nation, gender=gender, exploitation_codes=codes)
    assert (choice.provider_type, choice.slug) == (ProviderType.VICTIM_CARE_CONTRACT, slug)
