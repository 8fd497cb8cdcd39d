# Fixtures live in nrm/testing.py (loaded for the whole suite by the root conftest.py).
from nrm.testing import DEFAULT_ORGANISATION, sign_in

__all__ = ["DEFAULT_ORGANISATION", "sign_in"]
