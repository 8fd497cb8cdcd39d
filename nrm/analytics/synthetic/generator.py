"""The synthetic-data generator, with a profile for each use.

====================  ==========================================================================
profile               what it gives
====================  ==========================================================================
``calibrated``        an extract calibrated to the published statistics (referrals, Duty to
                      Notify, reviews, support; reconsiderations on assumed shares): ``nrm
                      synth``, the calibration report, the statistics benchmarks and the
                      database filler (:mod:`nrm.synth.database`)
``fixture``           a small, fast extract that only looks plausible, for tests of the
                      statistics pipeline (:mod:`.fixtures`)
``linkage``           calibrated referrals with identities and the differences of real repeat
                      referrals, plus the truth, for the record linkage (:mod:`.identities`)
``queue``             a case load in lifecycle states with decision dates, for the casework
                      queue benchmark (:mod:`.caseload`)
====================  ==========================================================================

Every profile is deterministic: the same arguments give the same data. Dated values
(recovery periods, move-on support, the dates of recording changes) come from the policy
registry (:mod:`nrm.core.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import pyarrow as pa

from nrm.analytics import extract_schema as xs
from nrm.analytics.extract_io import Extract
from nrm.analytics.synthetic import caseload, extract, fixtures, identities

__all__ = ["Profile", "Synthetic", "calibrated_extract", "fixture_extract", "generate", "linkage_pairs", "queue_load"]


class Profile(StrEnum):
    CALIBRATED = "calibrated"
    FIXTURE = "fixture"
    LINKAGE = "linkage"
    QUEUE = "queue"


@dataclass(frozen=True)
class Synthetic:
    """What a profile generated: an extract (``calibrated``, ``fixture``), linkage input and its
    truth (``linkage``, with the referrals as ``extract.referrals``), or a case load (``queue``)."""

    profile: Profile
    extract: Extract | None = None
    linkage_input: pa.Table | None = None
    truth: pa.Table | None = None
    cases: list[caseload.CaseLoadCase] = field(default_factory=list)


def calibrated_extract(n: int, *, seed: int, start: date, end: date) -> Extract:
    """The tables of a calibrated extract: ``n`` referrals made ``start``..``end``, the Duty to Notify
    reports the published figures imply, and the reviews, support and reconsiderations of the referrals."""
    arrays = extract.simulate_referrals(n, seed, start, end)
    referrals = pa.Table.from_batches(list(extract.iter_referral_batches(arrays)), schema=xs.REFERRALS)
    dtn = extract.generate_duty_to_notify(extract.duty_to_notify_count(n, start, end), seed, start, end)
    return Extract(referrals, dtn, extract.reviews_for(arrays, seed), extract.support_for(arrays, seed),
                   reconsiderations=extract.reconsiderations_for(arrays, seed))


def fixture_extract(
    n: int, *, seed: int = 0, start: date = fixtures.DEFAULT_START, end: date = fixtures.DEFAULT_END
) -> Extract:
    """A small extract for tests: ``n`` referrals made ``start``..``end`` and the rest of the extract."""
    return fixtures.generate_extract(n, seed, start, end)


def linkage_pairs(
    n: int, *, seed: int = 0, start: date = extract.DEFAULT_START, end: date = extract.DEFAULT_END,
    noise: identities.NoiseModel | None = None,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``(referrals, linkage input, truth)`` for ``n`` calibrated referrals (see :mod:`.identities`)."""
    referrals = extract.generate_referrals(n, seed, start, end)
    linkage_input, truth = identities.synthetic_linkage_input(referrals, seed=seed + 1, noise=noise)
    return referrals, linkage_input, truth


def queue_load(n: int, *, seed: int = 0, start: date, today: date) -> list[caseload.CaseLoadCase]:
    """``n`` cases received ``start``..``today`` for the queue benchmark (see :mod:`.caseload`)."""
    return list(caseload.case_load(n, seed=seed, start=start, today=today))


def _empty_extract(referrals: pa.Table) -> Extract:
    return Extract(referrals, xs.DUTY_TO_NOTIFY.empty_table(), xs.REVIEWS.empty_table(), xs.SUPPORT.empty_table())


def generate(
    profile: Profile | str,
    *,
    n: int,
    seed: int = 0,
    start: date | None = None,
    end: date | None = None,
    noise: identities.NoiseModel | None = None,
) -> Synthetic:
    """Generate ``n`` referrals (or cases, for ``queue``) made ``start``..``end`` (each profile has
    its own default span) for ``profile``."""
    kind = Profile(profile)
    if kind is Profile.FIXTURE:
        return Synthetic(kind, extract=fixture_extract(n, seed=seed, start=start or fixtures.DEFAULT_START,
                                                        end=end or fixtures.DEFAULT_END))
    span = {"start": start or extract.DEFAULT_START, "end": end or extract.DEFAULT_END}
    if kind is Profile.CALIBRATED:
        return Synthetic(kind, extract=calibrated_extract(n, seed=seed, **span))
    if kind is Profile.LINKAGE:
        referrals, linkage_input, truth = linkage_pairs(n, seed=seed, noise=noise, **span)
        return Synthetic(kind, extract=_empty_extract(referrals), linkage_input=linkage_input, truth=truth)
    return Synthetic(kind, cases=queue_load(n, seed=seed, start=span["start"], today=span["end"]))
