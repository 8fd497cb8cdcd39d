from django.urls import reverse

from nrm.site.navigation import NAVIGATION


def test_every_navigation_entry_names_a_page() -> None:
    """An entry whose page was renamed would otherwise vanish from the navigation without a trace."""
    for name, _text, _shown_to in NAVIGATION:
        assert reverse(name)
