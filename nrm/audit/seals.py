"""Seals of the audit chain, kept outside the database (ADR 0014).

The hash chain shows an edit only to someone who cannot recompute it; whoever controls the
database can. A seal is an HMAC-SHA256, under a key the database never holds
(``NRM_AUDIT_SEAL_KEY``), over the chain's last event id, that event's hash, the number of events
and the time. Each seal is its own file in ``NRM_AUDIT_SEAL_DIR``, created once (``O_EXCL``) and
made read-only, never overwritten. :func:`audit_verify_sealed` checks the chain and every seal:
a rewrite of the log up to a sealed event changes that event's hash or the count, a cut tail
loses the sealed event, an emptied table holds no events where seals counted some, and a seal
made without the key has a wrong MAC. What happened after the last seal is reported, not proven:
the seal interval (the worker's period) bounds it.

Seals are linked: each carries a sequence number (1, 2, ...; also its file name) and the MAC of
the seal before it, both under its own MAC. So a seal deleted from the middle leaves a gap in the
numbers, and a seal renamed or moved out of order breaks the link or the order of the points it
seals. Deleting the newest seals leaves an intact shorter series; that shows as "seals stopped":
the newest seal older than twice the sealing period while events follow it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from nrm.audit.models import AuditEvent
from nrm.audit.services import GENESIS_HASH, ChainProblem, audit_verify, lock_chain

SEAL_SUFFIX = ".seal"
NO_PREVIOUS = "0" * 64  # the previous MAC of the first seal
WRITE_ATTEMPTS = 20


@dataclass(frozen=True)
class Seal:
    last_id: int
    last_hash: str
    count: int
    sealed_at: str
    mac: str
    name: str = ""
    seq: int = 0  # 0: a seal from before seals were linked (no number, no link)
    prev_mac: str = ""

    def describe(self) -> str:
        return f"seal {self.name or '(new)'} of {self.sealed_at} (event {self.last_id}, {self.count} events)"

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.sealed_at)


def seal_mac(*, key: str, last_id: int, last_hash: str, count: int, sealed_at: str, seq: int = 0,
             prev_mac: str = "") -> str:
    fields: dict[str, object] = {"v": 1, "last_id": last_id, "last_hash": last_hash, "count": count,
                                 "sealed_at": sealed_at}
    if seq:
        fields.update(v=2, seq=seq, prev_mac=prev_mac)
    message = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def _mac_is_right(seal: Seal, key: str) -> bool:
    expected = seal_mac(key=key, last_id=seal.last_id, last_hash=seal.last_hash, count=seal.count,
                        sealed_at=seal.sealed_at, seq=seal.seq, prev_mac=seal.prev_mac)
    return hmac.compare_digest(expected, seal.mac)


def seal_file_name(seq: int) -> str:
    return f"{seq:010d}{SEAL_SUFFIX}"


def chain_head() -> tuple[int, str, int]:
    """The last event's id and hash and the number of events, read together (appends wait)."""
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        count = AuditEvent.objects.count()
    return (last[0], last[1], count) if last else (0, GENESIS_HASH, 0)


def _write_once(directory: Path, name: str, content: bytes) -> None:
    """Create the new read-only file ``name`` (``FileExistsError`` if it exists) holding ``content``."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(directory / name, 0o444)  # whatever the umask
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def seals_read(directory: Path) -> tuple[list[Seal], list[str]]:
    """Every seal file in ``directory``, oldest point first, and the files that are not seals."""
    seals: list[Seal] = []
    unreadable: list[str] = []
    if not directory.is_dir():
        return seals, unreadable
    for path in sorted(directory.glob(f"*{SEAL_SUFFIX}")):
        try:
            data = json.loads(path.read_text())
            seal = Seal(last_id=int(data["last_id"]), last_hash=str(data["last_hash"]), count=int(data["count"]),
                        sealed_at=str(data["sealed_at"]), mac=str(data["mac"]), name=path.name,
                        seq=int(data.get("seq", 0)), prev_mac=str(data.get("prev_mac", "")))
            if seal.moment.tzinfo is None:
                raise ValueError("a seal's time must say its zone")
        except (OSError, ValueError, KeyError, TypeError):
            unreadable.append(path.name)
            continue
        seals.append(seal)
    seals.sort(key=lambda s: (s.seq, s.last_id, s.count, s.sealed_at))
    return seals, unreadable


def audit_seal_if_changed(*, directory: Path, key: str, now: datetime | None = None) -> Seal | None:
    """Seal as :func:`audit_seal` does, unless the newest seal already covers the same head (None)."""
    head = chain_head()
    seals, _ = seals_read(directory)
    if seals and (seals[-1].last_id, seals[-1].last_hash, seals[-1].count) == head:
        return None
    return audit_seal(directory=directory, key=key, now=now, head=head)


def audit_seal(*, directory: Path, key: str, now: datetime | None = None,
               head: tuple[int, str, int] | None = None) -> Seal:
    """Seal the chain's current head (or ``head``, just read) into a new read-only file in ``directory``,
    numbered after the newest seal there and carrying its MAC. Two sealers at once cannot take the same
    number: the file is created only if absent, and the loser re-reads and takes the next."""
    last_id, last_hash, count = head or chain_head()
    moment = (now or timezone.now()).astimezone(UTC)
    sealed_at = moment.isoformat(timespec="microseconds")
    for _attempt in range(WRITE_ATTEMPTS):
        linked = [seal for seal in seals_read(directory)[0] if seal.seq]
        seq, prev_mac = (linked[-1].seq + 1, linked[-1].mac) if linked else (1, NO_PREVIOUS)
        mac = seal_mac(key=key, last_id=last_id, last_hash=last_hash, count=count, sealed_at=sealed_at, seq=seq,
                       prev_mac=prev_mac)
        body = {"seq": seq, "prev_mac": prev_mac, "last_id": last_id, "last_hash": last_hash, "count": count,
                "sealed_at": sealed_at, "mac": mac}
        try:
            _write_once(directory, seal_file_name(seq), (json.dumps(body, sort_keys=True, indent=1) + "\n").encode())
        except FileExistsError:
            continue
        return Seal(last_id=last_id, last_hash=last_hash, count=count, sealed_at=sealed_at, mac=mac,
                    name=seal_file_name(seq), seq=seq, prev_mac=prev_mac)
    raise FileExistsError(f"could not take the next seal number in {directory}")


@dataclass
class AuditReport:
    events: int = 0
    last_event_id: int = 0
    chain_problems: list[ChainProblem] = field(default_factory=list)
    seal_problems: list[str] = field(default_factory=list)
    seals: int = 0
    last_seal: Seal | None = None
    after_last_seal: int = 0
    seals_stopped: bool = False

    @property
    def intact(self) -> bool:
        return not self.chain_problems and not self.seal_problems

    def problems(self) -> list[str]:
        return [f"event {p.event_id}: {p.problem}" for p in self.chain_problems] + self.seal_problems


def _seal_against_log(seal: Seal, found: tuple[str, int] | None, report: AuditReport) -> str | None:
    """What is wrong between ``seal`` and the log (``found``: the sealed event's hash and the events up to it)."""
    if found is None:
        if seal.count == 0 and seal.last_id == 0:
            return None  # sealed an empty log
        if report.events == 0:
            return (f"the audit log is empty, but the {seal.describe()} counted {seal.count} events: "
                    "the table was emptied (truncated)")
        if report.last_event_id < seal.last_id:
            return (f"the log ends at event {report.last_event_id} ({report.events} events), but the "
                    f"{seal.describe()} covers up to event {seal.last_id}: events were cut from the end")
        return f"event {seal.last_id}, covered by the {seal.describe()}, is missing: it was removed"
    sealed_hash, count = found
    if sealed_hash != seal.last_hash:
        return (f"event {seal.last_id} no longer has the hash the {seal.describe()} recorded: the log up to it "
                "was changed and its chain recomputed (an edit, or an event inserted or removed before it)")
    if count != seal.count:
        return (f"there are {count} events up to event {seal.last_id}, but the {seal.describe()} counted "
                f"{seal.count}: events were {'inserted' if count > seal.count else 'removed'} before it")
    return None


def _link_problems(trusted: list[Seal]) -> list[str]:
    """What is wrong with the series of linked seals: a number missing (a seal deleted), a file
    not named for its number or a link to the wrong seal (moved or reordered), a point sealed
    before its predecessor's (reordered)."""
    problems: list[str] = []
    previous: Seal | None = None
    for seal in (s for s in trusted if s.seq):
        if seal.name != seal_file_name(seal.seq):
            problems.append(f"the {seal.describe()} is seal number {seal.seq} but is stored as {seal.name}: "
                            "seals were renamed or reordered")
        expected_seq, expected_prev = (previous.seq + 1, previous.mac) if previous else (1, NO_PREVIOUS)
        if seal.seq != expected_seq:
            missing = f"{expected_seq}" if seal.seq == expected_seq + 1 else f"{expected_seq} to {seal.seq - 1}"
            problems.append(f"seal number {missing} is missing before the {seal.describe()}: it was deleted")
        elif seal.prev_mac != expected_prev:
            problems.append(f"the {seal.describe()} does not follow the seal before it: seals were reordered or "
                            "replaced")
        if previous and (seal.last_id < previous.last_id or seal.count < previous.count
                         or seal.moment < previous.moment):
            problems.append(f"the {seal.describe()} seals an earlier point than the {previous.describe()} before "
                            "it: seals were reordered")
        previous = seal
    return problems


def audit_verify_sealed(*, directory: Path, key: str, period: timedelta | None = None,
                        now: datetime | None = None) -> AuditReport:
    """Check the hash chain and every seal in ``directory`` against the log. With ``period`` (the
    sealing period), a newest seal older than twice the period while events follow it is a failure:
    the seals stopped, or the newest ones were deleted."""
    report = AuditReport()
    seals, unreadable = seals_read(directory)
    report.seal_problems += [f"{name} is not a readable seal (damaged or not a seal)" for name in unreadable]
    trusted: list[Seal] = []
    for seal in seals:
        if _mac_is_right(seal, key):
            trusted.append(seal)
        else:
            report.seal_problems.append(
                f"the {seal.describe()} has a wrong MAC: it was forged, altered or made with another key")
    wanted = {seal.last_id for seal in trusted}
    last_sealed_id = max((seal.last_id for seal in trusted), default=0)
    found: dict[int, tuple[str, int]] = {}

    def each(event: AuditEvent) -> None:
        report.events += 1
        report.last_event_id = event.id
        if event.id in wanted:
            found[event.id] = (event.hash, report.events)
        if event.id > last_sealed_id:
            report.after_last_seal += 1

    report.chain_problems = audit_verify(each=each)
    for seal in trusted:
        problem = _seal_against_log(seal, found.get(seal.last_id), report)
        if problem:
            report.seal_problems.append(problem)
    report.seal_problems += _link_problems(trusted)
    report.seals = len(trusted)
    report.last_seal = max(trusted, key=lambda s: (s.last_id, s.count, s.moment)) if trusted else None
    last = report.last_seal
    if (period is not None and last is not None and report.after_last_seal
            and (now or timezone.now()) - last.moment > 2 * period):
        report.seals_stopped = True
        report.seal_problems.append(
            f"seals stopped: the last seal was made at {last.sealed_at}, more than twice the sealing period "
            f"({int(period.total_seconds())} s) ago, and {report.after_last_seal} event(s) follow it (the worker "
            "stopped sealing, or the newest seals were deleted)")
    return report
