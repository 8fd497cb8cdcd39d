"""Every page that shows personal data writes a read event: each URL pattern the resolver lists is
opened as a role that reaches it, so a page added later is checked without being listed here."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.referrals.models import DraftEvent, Referral
from nrm.site.read_audit import shows_personal_data
from nrm.site.tests.test_no_server_error import ROLE_BY_NAME, ROLE_BY_NAMESPACE, WITHOUT_OBJECT, World, _build_world
from nrm.testing import RoutePattern, url_patterns

pytestmark = pytest.mark.django_db

# Pages the issue found writing no read event: each must be reached (status 200) and audited here.
MUST_BE_REACHED = {"support:list", "support:person", "inbox:list", "referrals:list", "referrals:confirmation",
                   "referrals:check", "referrals:step", "referrals:contribute", "referrals:concern_inbox",
                   "referrals:concern_detail", "reviews:second_line_list", "cases:queue", "cases:detail"}


def _reads(last_chain_id: int, last_staged_id: int) -> list[str]:
    chain = AuditEvent.objects.filter(id__gt=last_chain_id, action__endswith="viewed")
    staged = DraftEvent.objects.filter(id__gt=last_staged_id, action="referral.viewed")
    return [*chain.values_list("action", flat=True), *staged.values_list("action", flat=True)]


def _open(world: World, pattern: RoutePattern) -> tuple[int, list[str]]:
    namespace = pattern.name.split(":", 1)[0]
    client: Client = world.clients[str(ROLE_BY_NAME.get(pattern.name, ROLE_BY_NAMESPACE[namespace]))]
    last_chain = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_staged = DraftEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(pattern.url(world.parameters(pattern.name)))
    return response.status_code, _reads(last_chain, last_staged)


def test_every_page_that_shows_personal_data_audits_the_read(make_user: Any) -> None:
    world = _build_world(make_user)
    reached: set[str] = set()
    silent: list[str] = []
    for pattern in url_patterns():
        if not shows_personal_data(pattern.name) or pattern.name in WITHOUT_OBJECT:
            continue
        status, reads = _open(world, pattern)
        if status != 200:
            continue  # a form's action (POST only) or a page that redirects: no page is shown
        reached.add(pattern.name)
        if not reads:
            silent.append(pattern.name)
    assert not silent, f"pages that show personal data but write no read event: {silent}"
    assert MUST_BE_REACHED <= reached, f"not reached: {MUST_BE_REACHED - reached}"


def test_a_read_of_a_draft_is_held_with_the_draft_not_written_to_the_chain(make_user: Any) -> None:
    """A draft may become an anonymous Duty to Notify report, so its reads wait with it."""
    world = _build_world(make_user)
    step = next(p for p in url_patterns() if p.name == "referrals:check")
    last_chain = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    status, reads = _open(world, step)
    assert status == 200
    assert reads == ["referral.viewed"]
    draft_id = str(world.defaults["referral_id"])
    assert not [e for e in AuditEvent.objects.filter(id__gt=last_chain) if draft_id in str(e.after) + e.object_id]


def test_a_page_whose_view_records_its_own_read_gets_no_second_event(make_user: Any) -> None:
    world = _build_world(make_user)
    detail = next(p for p in url_patterns() if p.name == "cases:detail")
    status, reads = _open(world, detail)
    assert status == 200
    assert reads == ["case.viewed"]


def test_pages_without_personal_data_write_no_read_event(make_user: Any) -> None:
    world = _build_world(make_user)
    for name in ("site:home", "referrals:start", "stats:publications"):
        pattern = next(p for p in url_patterns() if p.name == name)
        status, reads = _open(world, pattern)
        assert status == 200, name
        assert reads == [], name


def test_pages_declared_free_of_personal_data_show_none(make_user: Any) -> None:
    """The declaration that lets a page go unaudited is checked too: opened by the roles that hold
    personal data, no such page shows a person's name, a request's author or an account."""
    world = _build_world(make_user)
    sent = Referral.objects.get(case__pk=str(world.defaults["case_id"]))
    sent.answers = {**sent.answers, "first_names": "Zofia", "last_name": "Quillfeather"}
    sent.save(update_fields=["answers"])
    personal = ("Quillfeather", "Jo Evans", "Alex Morgan", "car wash")
    detail = next(p for p in url_patterns() if p.name == "cases:detail")
    shown = world.clients[str(Role.SENIOR_DECISION_MAKER)].get(detail.url(world.parameters(detail.name)))
    assert "Quillfeather" in shown.content.decode(), "the marker is what a page with personal data shows"
    roles = {Role.FIRST_RESPONDER, Role.SENIOR_DECISION_MAKER, Role.PARTNER_RECIPIENT, Role.SUPPORT_PROVIDER}
    opened = 0
    for pattern in url_patterns():
        if shows_personal_data(pattern.name) or pattern.name in WITHOUT_OBJECT:
            continue
        namespace = pattern.name.split(":", 1)[0]
        for role in {str(ROLE_BY_NAME.get(pattern.name, ROLE_BY_NAMESPACE[namespace])), *map(str, roles)}:
            response = world.clients[role].get(pattern.url(world.parameters(pattern.name)))
            if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
                continue
            opened += 1
            page = response.content.decode()
            assert not [p for p in personal if p in page], f"{pattern.name} as {role} shows personal data"
    assert opened > 20
