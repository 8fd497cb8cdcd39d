"""Health probes: live answers without the database; ready says whether the database answers,
the migrations are applied and a worker beats, with the outbox backlog; plain HTTP, no sign-in,
no personal data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from nrm.notify.models import MessageKind, OutboxMessage, WorkerHeartbeat
from nrm.notify.services import outbox_add
from nrm.site.tests.production import production_settings

READY_KEYS = {"status", "database", "migrations_pending", "workers_alive", "worker_last_seen_seconds",
              "outbox_pending", "outbox_oldest_pending_seconds"}


def _beat(worker_id: str, *, ago: timedelta, stopped: bool = False) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id=worker_id, hostname="host", pid=1, started_at=now - ago,
                                   seen_at=now - ago, stopped_at=now - ago if stopped else None)


def test_live_answers_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any use of the database here raises instead of answering.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "live"}


@pytest.mark.django_db
def test_ready_without_a_worker_is_503_with_its_reasons(client: Client) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert set(body) == READY_KEYS
    assert body["status"] == "unready"
    assert body["database"] == "ok"
    assert body["migrations_pending"] == 0
    assert body["workers_alive"] == 0
    assert body["worker_last_seen_seconds"] is None


@pytest.mark.django_db
def test_ready_with_a_recent_heartbeat(client: Client) -> None:
    _beat("w1", ago=timedelta(seconds=2))
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["workers_alive"] == 1
    assert body["worker_last_seen_seconds"] in {2, 3}


@pytest.mark.django_db
def test_a_stale_or_stopped_worker_does_not_count(client: Client, settings: Any) -> None:
    _beat("stale", ago=timedelta(seconds=settings.WORKER_STALE_SECONDS + 5))
    _beat("stopped", ago=timedelta(seconds=1), stopped=True)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["workers_alive"] == 0
    assert response.json()["worker_last_seen_seconds"] in {1, 2}


@pytest.mark.django_db
def test_ready_reports_the_outbox_backlog_and_its_oldest_age(client: Client) -> None:
    _beat("w1", ago=timedelta(seconds=1))
    for n in range(3):
        outbox_add(kind=MessageKind.RECEIPT, subject=f"Subject {n}", body="Body", recipient_email="a@example.org")
    OutboxMessage.objects.filter(subject="Subject 0").update(created_at=timezone.now() - timedelta(minutes=10))
    OutboxMessage.objects.filter(subject="Subject 2").update(status="sent")
    response = client.get("/health/ready")
    assert response.status_code == 200, "a backlog alone does not make the instance unready"
    body = response.json()
    assert body["outbox_pending"] == 2
    assert 600 <= body["outbox_oldest_pending_seconds"] <= 610
    assert "a@example.org" not in response.content.decode()


@pytest.mark.django_db
def test_ready_is_503_when_the_database_does_not_answer(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused: secret detail")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unready", "database": "unreachable", "error": "OperationalError"}


@pytest.mark.django_db
def test_ready_is_503_while_a_migration_is_pending(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _beat("w1", ago=timedelta(seconds=1))
    monkeypatch.setattr("nrm.site.health.migrations_pending", lambda: 2)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["migrations_pending"] == 2


@pytest.mark.django_db
def test_migrations_pending_counts_the_unapplied() -> None:
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    from nrm.site.health import migrations_pending

    assert migrations_pending() == 0
    notify_leaf = next(node for node in MigrationLoader(connection).graph.leaf_nodes() if node[0] == "notify")
    MigrationRecorder(connection).record_unapplied(*notify_leaf)
    assert migrations_pending() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_probes_are_not_redirected_to_https_in_production(client: Client, settings: Any,
                                                          path: str) -> None:
    production = production_settings("SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT")
    settings.SECURE_SSL_REDIRECT = production["SECURE_SSL_REDIRECT"]
    settings.SECURE_REDIRECT_EXEMPT = production["SECURE_REDIRECT_EXEMPT"]
    assert client.get(path).status_code in {200, 503}
    assert client.get(path + "/../../").status_code == 301
    assert client.get("/").status_code == 301
