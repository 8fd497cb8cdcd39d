"""Seals outside the database catch what the hash chain alone cannot: someone who controls the
database rewriting the chain, cutting its tail or emptying it. Each attack runs as the database's
owner would (SQL, the append-only trigger disabled on PostgreSQL); see nrm/audit/faults.py."""

from __future__ import annotations

import json
import stat
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from nrm.audit import faults
from nrm.audit.jobs import audit_seal_job
from nrm.audit.models import AuditEvent
from nrm.audit.seals import Seal, audit_seal, audit_verify_sealed, seal_mac, seals_read
from nrm.audit.services import audit_record, audit_verify
from nrm.core.periodic import run_periodic_jobs
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db

KEY = "the-service-seal-key"


def _events(n: int, start: int = 0) -> list[AuditEvent]:
    organisation = Organisation.objects.get(slug="sca")
    return [audit_record(actor=None, action=f"test.{i}", target=organisation, after={"i": i})
            for i in range(start, start + n)]


def _sealed_log(directory: Path, events: int = 10, after: int = 0) -> list[AuditEvent]:
    """``events`` events, sealed, then ``after`` more (not yet sealed)."""
    made = _events(events)
    audit_seal(directory=directory, key=KEY)
    return made + _events(after, start=events)


def _problems(directory: Path) -> list[str]:
    report = audit_verify_sealed(directory=directory, key=KEY)
    return report.problems()


def test_a_seal_is_a_new_read_only_file_with_a_mac_over_the_chain_head(tmp_path: Path) -> None:
    events = _events(3)
    seal = audit_seal(directory=tmp_path, key=KEY)
    path = tmp_path / seal.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    body = json.loads(path.read_text())
    assert body["last_id"] == events[-1].id
    assert body["last_hash"] == events[-1].hash
    assert body["count"] == AuditEvent.objects.count()
    assert len(body["mac"]) == 64
    assert KEY not in path.read_text()


def test_a_seal_never_overwrites_another(tmp_path: Path) -> None:
    _events(2)
    moment = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    first = audit_seal(directory=tmp_path, key=KEY, now=moment)
    before = (tmp_path / first.name).read_bytes()
    _events(1)
    second = audit_seal(directory=tmp_path, key=KEY, now=moment)  # same moment, same id width
    assert second.name != first.name
    assert (tmp_path / first.name).read_bytes() == before
    assert len(seals_read(tmp_path)[0]) == 2


def test_an_untouched_log_verifies_and_reports_its_last_sealed_point(tmp_path: Path) -> None:
    events = _sealed_log(tmp_path, events=6, after=2)
    report = audit_verify_sealed(directory=tmp_path, key=KEY)
    assert report.intact
    assert report.last_seal is not None
    assert report.last_seal.last_id == events[5].id
    assert report.after_last_seal == 2
    assert report.events == AuditEvent.objects.count()


def test_a_forged_insert_with_the_chain_recomputed_is_caught_by_the_seal(tmp_path: Path) -> None:
    events = _sealed_log(tmp_path)
    faults.forge_insert(before_id=events[4].id)
    assert audit_verify() == []  # the chain alone verifies
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert "no longer has the hash" in problems[0]


def test_an_edit_with_the_chain_recomputed_is_caught_by_the_seal(tmp_path: Path) -> None:
    events = _sealed_log(tmp_path)
    faults.edit_and_rechain(event_id=events[3].id, after={"i": "something else"})
    assert audit_verify() == []
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert "changed and its chain recomputed" in problems[0]


def test_a_cut_tail_is_caught_by_the_seal(tmp_path: Path) -> None:
    _sealed_log(tmp_path)
    faults.cut_tail(events=5)
    assert audit_verify() == []  # what is left is a valid chain
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert "cut from the end" in problems[0]


def test_a_cut_tail_then_as_many_new_events_is_caught_by_the_seal(tmp_path: Path) -> None:
    _sealed_log(tmp_path)
    faults.cut_tail(events=5)
    _events(5, start=100)  # the count is back, the sealed event is not
    assert audit_verify() == []
    assert _problems(tmp_path)


def test_an_emptied_log_is_caught_by_the_seal(tmp_path: Path) -> None:
    _sealed_log(tmp_path)
    faults.truncate()
    assert AuditEvent.objects.count() == 0
    assert audit_verify() == []
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert "truncated" in problems[0]


def test_a_seal_made_with_another_key_is_refused(tmp_path: Path) -> None:
    _sealed_log(tmp_path)
    forged = faults.forge_seal(directory=tmp_path, key="the database's guess")
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert forged.name in problems[0]
    assert "wrong MAC" in problems[0]


def test_an_altered_seal_is_refused(tmp_path: Path) -> None:
    _events(4)
    seal = audit_seal(directory=tmp_path, key=KEY)
    path = tmp_path / seal.name
    path.chmod(0o644)
    body = json.loads(path.read_text())
    path.write_text(json.dumps({**body, "count": body["count"] - 1}))
    assert "wrong MAC" in _problems(tmp_path)[0]
    (tmp_path / "junk.seal").write_text("not json")
    assert any("junk.seal is not a readable seal" in p for p in _problems(tmp_path))


def test_a_rewrite_after_the_last_seal_is_only_reported_as_unsealed(tmp_path: Path) -> None:
    """The residual risk (ADR 0014): events after the last seal can be rewritten until the next."""
    events = _sealed_log(tmp_path, events=5, after=3)
    faults.edit_and_rechain(event_id=events[6].id, after={"i": "rewritten"})
    report = audit_verify_sealed(directory=tmp_path, key=KEY)
    assert report.intact
    assert report.after_last_seal == 3
    audit_seal(directory=tmp_path, key=KEY)  # once sealed, a later rewrite of it is caught
    faults.edit_and_rechain(event_id=events[6].id, after={"i": "again"})
    assert _problems(tmp_path)


@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=st.integers(min_value=2, max_value=9), data=st.data())
def test_any_rewrite_up_to_a_sealed_event_is_caught(total: int, data: st.DataObject) -> None:
    with transaction.atomic(), tempfile.TemporaryDirectory() as directory:
        seal_dir = Path(directory)
        events = _events(total)
        sealed = data.draw(st.integers(min_value=0, max_value=total - 1), label="sealed at")
        head = (events[sealed].id, events[sealed].hash, AuditEvent.objects.filter(id__lte=events[sealed].id).count())
        seal = audit_seal(directory=seal_dir, key=KEY, head=head)
        edited = data.draw(st.integers(min_value=0, max_value=total - 1), label="edited")
        faults.edit_and_rechain(event_id=events[edited].id, after={"i": "rewritten"})
        report = audit_verify_sealed(directory=seal_dir, key=KEY)
        assert report.chain_problems == []
        assert report.intact is (edited > sealed), (seal, edited)
        transaction.set_rollback(True)


def test_the_worker_job_seals_when_the_log_grew(tmp_path: Path) -> None:
    assert settings.AUDIT_SEAL_DIR != tmp_path
    _events(2)
    assert audit_seal_job() == 1
    assert audit_seal_job() == 0  # nothing new
    _events(1)
    assert run_periodic_jobs()["audit.seal"] == 1
    seals, _ = seals_read(Path(settings.AUDIT_SEAL_DIR))
    assert len(seals) == 2
    assert seals[1].count == seals[0].count + 1


def test_the_verify_command_checks_the_seals(capsys: pytest.CaptureFixture[str]) -> None:
    _events(8)
    call_command("audit", "seal")
    assert "Sealed event" in capsys.readouterr().out
    _events(2, start=8)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "intact" in out
    assert "last sealed point" in out
    assert "After it: 2 event(s)" in out
    faults.cut_tail(events=5)
    with pytest.raises(CommandError, match="tampered with: 1 problem"):
        call_command("audit", "verify")
    assert "cut from the end" in capsys.readouterr().err


def test_the_verify_command_on_an_emptied_log_fails(capsys: pytest.CaptureFixture[str]) -> None:
    _events(3)
    call_command("audit", "seal")
    faults.truncate()
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit", "verify")
    assert "truncated" in capsys.readouterr().err


def test_the_verify_command_without_seals_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    _events(1)
    call_command("audit", "verify")
    assert "Seals: none" in capsys.readouterr().out


# --- Linked seals: numbered, each carrying the MAC of the one before -----------------------------

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PERIOD = timedelta(minutes=5)


def _sealed_series(directory: Path, seals: int = 3, start: datetime = NOW - timedelta(minutes=30)) -> list[Seal]:
    """``seals`` seals, two events before each, one sealing period apart from ``start``."""
    made = []
    for n in range(seals):
        _events(2, start=2 * n)
        made.append(audit_seal(directory=directory, key=KEY, now=start + n * PERIOD))
    return made


def test_seals_are_numbered_and_each_carries_the_mac_of_the_one_before(tmp_path: Path) -> None:
    first, second, third = _sealed_series(tmp_path)
    assert [s.seq for s in (first, second, third)] == [1, 2, 3]
    assert [s.name for s in (first, second, third)] == ["0000000001.seal", "0000000002.seal", "0000000003.seal"]
    assert first.prev_mac == "0" * 64
    assert (second.prev_mac, third.prev_mac) == (first.mac, second.mac)
    body = json.loads((tmp_path / second.name).read_text())
    assert (body["seq"], body["prev_mac"]) == (2, first.mac)
    assert audit_verify_sealed(directory=tmp_path, key=KEY, period=PERIOD, now=NOW).intact


def test_a_seal_deleted_from_the_middle_is_caught(tmp_path: Path) -> None:
    _first, second, _third = _sealed_series(tmp_path)
    (tmp_path / second.name).unlink()
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert "seal number 2 is missing" in problems[0]


def test_a_renamed_or_reordered_seal_is_caught(tmp_path: Path) -> None:
    first, second, _third = _sealed_series(tmp_path)
    (tmp_path / first.name).rename(tmp_path / "swap")
    (tmp_path / second.name).rename(tmp_path / first.name)
    (tmp_path / "swap").rename(tmp_path / second.name)
    problems = _problems(tmp_path)
    assert any("renamed or reordered" in p for p in problems)


def test_a_seal_of_an_earlier_point_after_a_later_one_is_caught(tmp_path: Path) -> None:
    events = _events(4)
    audit_seal(directory=tmp_path, key=KEY, now=NOW)
    head = (events[1].id, events[1].hash, AuditEvent.objects.filter(id__lte=events[1].id).count())
    audit_seal(directory=tmp_path, key=KEY, now=NOW, head=head)
    problems = _problems(tmp_path)
    assert any("seals an earlier point" in p for p in problems)


def test_seals_stopped_while_events_follow_is_a_failure_with_the_time_of_the_last_seal(tmp_path: Path) -> None:
    *_, last = _sealed_series(tmp_path, start=NOW - timedelta(hours=1))
    assert audit_verify_sealed(directory=tmp_path, key=KEY, period=PERIOD, now=NOW).intact  # nothing after it
    _events(1, start=50)
    within = audit_verify_sealed(directory=tmp_path, key=KEY, period=PERIOD, now=last.moment + 2 * PERIOD)
    assert within.intact
    report = audit_verify_sealed(directory=tmp_path, key=KEY, period=PERIOD, now=NOW)
    assert report.seals_stopped
    assert report.problems() == [p for p in report.problems() if "seals stopped" in p] != []
    assert last.sealed_at in report.problems()[0]


def test_deleting_the_newest_seals_shows_as_seals_stopped(tmp_path: Path) -> None:
    seals = _sealed_series(tmp_path, seals=4, start=NOW - 3 * PERIOD)
    assert audit_verify_sealed(directory=tmp_path, key=KEY, period=PERIOD, now=NOW).intact
    for seal in seals[1:]:
        (tmp_path / seal.name).unlink()
    report = audit_verify_sealed(directory=tmp_path, key=KEY, period=PERIOD, now=NOW)
    assert report.seals_stopped
    assert seals[0].sealed_at in report.problems()[0]


def test_the_verify_command_fails_when_seals_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    _events(2)
    directory = Path(settings.AUDIT_SEAL_DIR)
    audit_seal(directory=directory, key=settings.AUDIT_SEAL_KEY, now=datetime.now(UTC) - timedelta(hours=1))
    _events(1, start=2)
    call_command("audit", "verify", "--period", "3600")
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit", "verify", "--period", "60")
    assert "seals stopped: the last seal was made at" in capsys.readouterr().err


def test_seals_from_before_the_links_still_verify(tmp_path: Path) -> None:
    events = _events(3)
    sealed_at = NOW.isoformat(timespec="microseconds")
    mac = seal_mac(key=KEY, last_id=events[-1].id, last_hash=events[-1].hash, count=3, sealed_at=sealed_at)
    (tmp_path / "20261204T120000000000Z-000000000003.seal").write_text(json.dumps(
        {"last_id": events[-1].id, "last_hash": events[-1].hash, "count": 3, "sealed_at": sealed_at, "mac": mac}))
    _events(1, start=3)
    audit_seal(directory=tmp_path, key=KEY)
    report = audit_verify_sealed(directory=tmp_path, key=KEY)
    assert report.intact, report.problems()
    assert report.seals == 2
