"""Personal data at rest is sealed under each record's own data key (ADR 0019): the database and
the file store hold no plaintext of a planted name, rotating the key-encryption key keeps
everything readable, and every sealed value reads back as it was written."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from nrm.accounts.models import User
from nrm.core import crypto
from nrm.core.keys import data_keys_by_kek_version, data_keys_rotate
from nrm.core.models import DataKey
from nrm.reference.models import Organisation
from nrm.referrals import services
from nrm.referrals.models import Attachment, Concern, Contribution, Referral
from nrm.testing import sign_in

pytestmark = pytest.mark.django_db

PLANTED = "Zoltanovska"  # a surname nothing else in the database holds
PDF = b"%PDF-1.4\n" + f"statement of {PLANTED}".encode() + b"\n%%EOF"


def _raw(table: str, column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])  # noqa: S608
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def _every_text_in_the_database() -> str:
    """Every row of every table of the service, as text (one search for the planted name)."""
    dumped: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dumped.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dumped)


def _kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_answers_contributions_and_concerns_hold_no_plaintext(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult", last_name=PLANTED, account=f"{PLANTED} was moved at night")
    Contribution.objects.create(referral=referral, author=first_responder, author_organisation_name="Police",
                                topic="Housing", text=f"{PLANTED} lived above the car wash")
    concern = services.concern_raise(
        organisation=Organisation.objects.get(slug="police-e23000001"), urgency="standard",
        summary=f"{PLANTED} seems frightened", person_details=f"{PLANTED}, about 30, flat 2",
        raiser_name=f"Mira {PLANTED}", raiser_email="mira@example.org", raiser_phone="07700 900123",
        raiser_role="Neighbour")

    raw = _raw("referrals_referral", "answers", referral.pk)
    assert raw.startswith(crypto.TEXT_PREFIX)
    assert PLANTED not in raw
    assert PLANTED not in _raw("referrals_contribution", "text", Contribution.objects.get(referral=referral).pk)
    for column in ("summary", "person_details", "raiser_name", "raiser_email", "raiser_phone"):
        assert PLANTED not in _raw("referrals_concern", column, concern.pk)
        assert "mira@example.org" not in _raw("referrals_concern", column, concern.pk)
    assert PLANTED not in _every_text_in_the_database()

    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.answers["last_name"] == PLANTED
    assert Contribution.objects.get(referral=referral).text == f"{PLANTED} lived above the car wash"
    assert Concern.objects.get(pk=concern.pk).person_details == f"{PLANTED}, about 30, flat 2"


def test_each_record_has_its_own_data_key_stored_only_wrapped(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    one, two = make_draft(first_responder, "adult"), make_draft(first_responder, "child")
    assert one.data_key_id is not None
    assert two.data_key_id is not None
    assert one.data_key_id != two.data_key_id
    key = DataKey.objects.get(pk=one.data_key_id)
    assert len(base64.b64decode(key.wrapped)) == crypto.NONCE_BYTES + crypto.KEY_BYTES + 16, "wrapped, with its tag"


def test_evidence_is_sealed_on_disk_readable_by_the_service_only_and_opened_when_served(
        client: Client, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult")
    attachment = services.attachment_add(referral=referral, actor=first_responder,
                                         upload=SimpleUploadedFile(f"{PLANTED}.pdf", PDF), description=PLANTED)
    path = attachment.file.path
    with open(path, "rb") as handle:
        on_disk = handle.read()
    assert on_disk.startswith(crypto.FILE_MAGIC)
    assert PLANTED.encode() not in on_disk
    assert b"%PDF" not in on_disk
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert PLANTED not in _raw("referrals_attachment", "original_name", attachment.pk)
    assert PLANTED not in _raw("referrals_attachment", "description", attachment.pk)

    sign_in(client, first_responder)
    response = client.get(reverse("referrals:attachment", args=[referral.pk, attachment.pk]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Cache-Control"] == "no-store"
    assert f'filename="{PLANTED}.pdf"' in response["Content-Disposition"]


def test_rotating_the_kek_rewraps_every_data_key_and_leaves_the_ciphertext(
        settings: Any, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    first = f"1:{_kek()}"
    settings.DATA_KEYS = first
    referral = make_draft(first_responder, "adult", last_name=PLANTED)
    ciphertext = _raw("referrals_referral", "answers", referral.pk)
    key_id = referral.data_key_id
    assert key_id is not None
    wrapped_before = DataKey.objects.get(pk=key_id).wrapped

    settings.DATA_KEYS = f"{first},2:{_kek()}"
    assert data_keys_by_kek_version() == {1: DataKey.objects.count()}
    assert data_keys_rotate(batch=2) == DataKey.objects.count()
    assert data_keys_by_kek_version() == {2: DataKey.objects.count()}
    assert DataKey.objects.get(pk=key_id).wrapped != wrapped_before
    assert _raw("referrals_referral", "answers", referral.pk) == ciphertext, "the ciphertext is not touched"
    assert data_keys_rotate() == 0, "nothing left to rewrap"

    settings.DATA_KEYS = settings.DATA_KEYS.split(",")[1]  # the old KEK retired
    assert Referral.objects.get(pk=referral.pk).answers["last_name"] == PLANTED


def test_a_kek_that_is_not_configured_reads_as_erased_rather_than_failing(
        settings: Any, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult", last_name=PLANTED)
    settings.DATA_KEYS = f"7:{_kek()}"
    assert Referral.objects.get(pk=referral.pk).answers == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.dictionaries(st.text(min_size=1, max_size=20), json_values, max_size=6),
       text=st.text(max_size=300).filter(lambda t: "\x00" not in t))
def test_sealed_fields_read_back_what_was_written(
        first_responder: User, make_draft: Callable[..., Referral], answers: dict[str, Any], text: str) -> None:
    referral = make_draft(first_responder, None)
    referral.answers = answers
    referral.save(update_fields=["answers"])
    Contribution.objects.create(referral=referral, author=first_responder, author_organisation_name="Police",
                                topic="t", text=text)
    assert Referral.objects.get(pk=referral.pk).answers == answers
    assert Contribution.objects.get(referral=referral).text == text


def test_a_bulk_insert_without_data_keys_is_refused(first_responder: User) -> None:
    organisation = Organisation.objects.get(slug="police-e23000001")
    referral = Referral(organisation=organisation, author=first_responder, answers={"last_name": PLANTED},
                        expires_at="2030-01-01T00:00:00Z")
    with pytest.raises(crypto.KeyUnavailableError, match="data key"):
        Referral.objects.bulk_create([referral])


def test_keyring_configuration_is_checked() -> None:
    from django.core.exceptions import ImproperlyConfigured

    assert crypto.parse_keyring(f"1:{_kek()}, 3:{_kek()}").keys() == {1, 3}
    for bad in ("", "x:abc", f"1:{base64.b64encode(b'short').decode()}", "1:not base64!"):
        with pytest.raises(ImproperlyConfigured):
            crypto.parse_keyring(bad)


def test_attachments_exist_only_through_the_referral_key(first_responder: User,
                                                        make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult")
    attachment = services.attachment_add(referral=referral, actor=first_responder,
                                         upload=SimpleUploadedFile("a.pdf", PDF))
    moved = Attachment.objects.get(pk=attachment.pk)
    with open(moved.file.path, "rb") as handle:
        stored = handle.read()
    other = make_draft(first_responder, "adult")
    moved.referral = other  # a file moved to another record does not open under its key
    from nrm.core.sealing import open_bytes

    assert open_bytes(moved, key_from="referral", purpose="file", stored=stored) is None


def test_nrm_keys_rotate_rewraps_and_is_audited(settings: Any, first_responder: User,
                                                make_draft: Callable[..., Referral]) -> None:
    from io import StringIO

    from django.core.management import call_command

    from nrm.audit.models import AuditEvent

    first = f"1:{_kek()}"
    settings.DATA_KEYS = first
    referral = make_draft(first_responder, "adult", last_name=PLANTED)
    settings.DATA_KEYS = f"{first},2:{_kek()}"
    out = StringIO()
    call_command("keys", "rotate", stdout=out)
    assert f"Rewrapped {DataKey.objects.count()} data key(s) under key-encryption key version 2" in out.getvalue()
    event = AuditEvent.objects.get(action="data_keys.rotated")
    assert event.after == {"rewrapped": DataKey.objects.count(), "kek_version": 2}
    settings.DATA_KEYS = settings.DATA_KEYS.split(",")[1]
    assert Referral.objects.get(pk=referral.pk).answers["last_name"] == PLANTED


def test_sql_cannot_filter_on_or_bulk_write_a_sealed_value(first_responder: User,
                                                          make_draft: Callable[..., Referral]) -> None:
    from django.core.exceptions import FieldError

    referral = make_draft(first_responder, "adult", last_name=PLANTED)
    with pytest.raises(FieldError):
        Referral.objects.filter(answers__last_name=PLANTED).exists()
    with pytest.raises(FieldError):
        Contribution.objects.filter(text="x").exists()
    with pytest.raises(TypeError, match="sealed"), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(answers={"last_name": PLANTED})
    assert PLANTED not in _raw("referrals_referral", "answers", referral.pk)


def test_an_expired_draft_has_its_data_key_destroyed(first_responder: User,
                                                     make_draft: Callable[..., Referral]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    referral = make_draft(first_responder, "adult", last_name=PLANTED)
    services.drafts_expire(timezone.now() + timedelta(days=400))
    assert referral.data_key_id is not None
    key = DataKey.objects.get(pk=referral.data_key_id)
    assert key.wrapped == ""
    assert key.destroyed_because == "retention:expired_draft"


def test_a_request_to_refer_past_its_retention_has_its_data_key_destroyed() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from nrm.core import policy

    concern = services.concern_raise(
        organisation=Organisation.objects.get(slug="police-e23000001"), urgency="standard",
        summary=f"{PLANTED} seems frightened", person_details="", raiser_name="Mira", raiser_email="m@example.org",
        raiser_phone="", raiser_role="Neighbour")
    today = timezone.localdate()
    days = policy.int_value("concern_retention_days", on=today)
    assert services.concerns_clear_personal_details(today=today + timedelta(days=days)) == 0, "not yet"
    assert services.concerns_clear_personal_details(today=today + timedelta(days=days + 1)) == 1
    assert concern.data_key_id is not None
    key = DataKey.objects.get(pk=concern.data_key_id)
    assert key.wrapped == ""
    assert key.destroyed_because == "retention:request_to_refer"
