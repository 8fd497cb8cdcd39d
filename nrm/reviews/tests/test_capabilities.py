"""Reviews ask the capability table, not a role, who may sit on, chair and oversee panels."""

from __future__ import annotations

import pytest

from nrm.accounts.roles import Role
from nrm.core.errors import ServiceError
from nrm.reference.models import Organisation
from nrm.reviews import selectors, services
from nrm.reviews.models import SeatRole
from nrm.reviews.tests import builders

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.ADMINISTRATOR, Role.ANALYST])
def test_only_those_who_review_on_panels_join_the_pool(role: Role) -> None:
    with pytest.raises(ServiceError):
        services.panellist_add(user=builders.user(role, "sca"), home_organisation=Organisation.objects.get(slug="sca"))


@pytest.mark.parametrize(("role", "chair_seat", "member_seat"), [
    (Role.PANEL_CHAIR, True, False), (Role.PANEL_MEMBER, False, True), (Role.SENIOR_DECISION_MAKER, False, False)])
def test_seats_follow_the_capabilities(role: Role, chair_seat: bool, member_seat: bool) -> None:
    user = builders.user(role, "maap" if role in {Role.PANEL_CHAIR, Role.PANEL_MEMBER} else "sca")
    assert services._fits_seat(user, SeatRole.CHAIR) is chair_seat
    assert services._fits_seat(user, SeatRole.MEMBER) is member_seat


@pytest.mark.parametrize(("role", "sees"), [(Role.PANEL_CHAIR, True), (Role.SENIOR_DECISION_MAKER, True),
                                            (Role.PANEL_MEMBER, False), (Role.ADMINISTRATOR, False)])
def test_the_panel_dashboard_is_for_chairs_and_seniors(role: Role, sees: bool) -> None:
    slug = {Role.PANEL_CHAIR: "maap", Role.PANEL_MEMBER: "maap", Role.SENIOR_DECISION_MAKER: "sca"}.get(
        role, "service-team")
    assert selectors.can_see_panel_dashboard(builders.user(role, slug)) is sees
