"""The data-quality report that runs before every publication (``nrm stats quality``).

Checks, each with a status (``pass``, ``warn`` or ``fail``) and findings that name the
period, the dimension and the categories involved:

``unknown_exploitation`` (blocking)
    The share of referrals whose exploitation type is "Not specified or unknown", by
    quarter (failing where a quarter of the period is far above its expected share,
    :func:`expected_share`) and by first responder (warning where one responder records
    far more unknowns than the rest).
``category_shift`` (blocking)
    Shifts between categories that look like miscoding (exploitation type, age, gender,
    location): referrals of a known category recorded as "Not specified or unknown" make
    the unknown share rise and that category's share fall by the same amount in the same
    quarter. The rise and the fall are judged as one transfer, against what the quarters
    before lead to expect (:func:`check_category_shift`). Shifts between two known
    categories are warnings, or notes where a recorded series break explains them (labour
    to criminal from October 2019).

Expected shares come from the quarters before the period, with an uncertainty that
allows for the quarter's volume (binomial variance) and for the variation between
quarters seen in that history (overdispersion): the checks neither block clean quarters
at many times the real volume nor miss at the real volume a miscoding the size of 2020's
(``bench/quality.py`` measures both).
``impossible_combinations`` (blocking)
    Rows that cannot be right: a CG decision before its RG decision, without a positive
    RG, or before the minimum recovery period in force at the RG decision had run (policy
    ``recovery_period_days``); a decision dated before the
    referral; criminal exploitation, age "not specified or unknown" or dual
    nationality recorded before 1 October 2019.
``late_decisions`` (warning)
    Decisions recorded long after they were made (the case entered the status the
    decision gave it more than ``late_days`` after the decision date), and decisions
    dated in quarters already published that were not in the figures published then.
``back_series_join`` (blocking)
    With an imported back series: whether the service's own figures continue it, for
    each table it covers (level and trend at the join against the back series' own
    quarter-to-quarter changes). A join that does not hold fails unless a break is
    declared for the table (:class:`nrm.analytics.backseries.DeclaredBreak`), which the
    publication marks ``[b]``.
``duplicate_referrals`` (warning)
    Probable repeat referrals of the same person, by probabilistic record linkage
    (Splink, DuckDB backend, :mod:`nrm.analytics.linkage`) over the live data's identifying
    fields; reports the number of distinct people beside the number of referrals, and
    warns about likely double submissions (the same person referred twice within a
    week).

A publication must not run while a blocking check fails unless the failure is overridden
with a recorded reason: :func:`require_publishable` raises :class:`QualityGateError`
otherwise and returns the overrides used, for the manifest and the published-figures
store.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from nrm.analytics import extract_schema as xs
from nrm.analytics.backseries import (
    BACK_SERIES_TABLES,
    RECORDING_CHANGE,
    SERIES_BREAKS,
    BackSeries,
    DeclaredBreak,
    first_full_quarter,
)
from nrm.analytics.dated import describe_days, sql_days_in_force
from nrm.analytics.engine import is_year
from nrm.analytics.periods import Period, PeriodError, Quarter, parse_period, quarters_between
from nrm.analytics.tables import TOTAL

__all__ = [
    "CHECKS",
    "CheckResult",
    "Finding",
    "Override",
    "QualityConfig",
    "QualityGateError",
    "QualityReport",
    "add_arguments",
    "check_back_series_join",
    "check_category_shift",
    "check_duplicates",
    "check_impossible_combinations",
    "check_late_decisions",
    "check_unknown_exploitation",
    "own_series",
    "published_decision_counts",
    "require_publishable",
    "run_checks",
    "run_cli",
    "run_quality",
]

Status = Literal["pass", "warn", "fail"]
UNKNOWN = "Not specified or unknown"
RECOVERY = "recovery_period_days"  # the policy key of the minimum recovery period after a positive RG

CHECKS: dict[str, tuple[str, bool]] = {
    # id: (title, blocking)
    "unknown_exploitation": ("Exploitation type not specified or unknown", True),
    "category_shift": ("Shifts between categories that look like miscoding", True),
    "impossible_combinations": ("Impossible combinations", True),
    "late_decisions": ("Decisions recorded late", False),
    "duplicate_referrals": ("Repeat and duplicate referrals of the same person", False),
    "back_series_join": ("The service's own figures continue the back series", True),
}


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds of the checks."""

    # The expected share of a category in a quarter is its median share in the quarters before the period (on the same
    # recording basis); its uncertainty is the binomial variance at the quarter's volume plus the variation
    # between quarters seen in those quarters beyond their own binomial variance (overdispersion), in all at least
    # ``share_min_rel_sd`` of the share: the published first-responder tables (2022-Q2 to 2023-Q3) move by about
    # 6% of a share from quarter to quarter at the real volume, which a few quarters of history can understate.
    baseline_quarters: int = 8  # quarters before the period that set what is expected
    share_min_rel_sd: float = 0.05
    share_warn_z: float = 2.5  # warn: a share, or a transfer into 'unknown', this many standard deviations out
    # fail: a rise of 'unknown' alone this many standard deviations above the expected share (a rise with the fall
    # that balances it, the shape of miscoding, fails from ``shift_fail_z``)
    share_fail_z: float = 4.5
    # fail: a transfer into 'unknown' (its rise plus the fall of the known categories that balance it) this many
    # standard deviations of the transfer; one-sided 0.13% for each category the transfer may come from
    shift_fail_z: float = 3.0
    # a transfer into 'unknown': the rise and the fall each at least this many standard deviations of their own, the
    # fall within ``transfer_ratio`` of the rise and not above it by more than ``transfer_balance_z`` standard
    # deviations of their difference
    transfer_move_z: float = 1.0
    transfer_balance_z: float = 2.5
    transfer_ratio: tuple[float, float] = (1 / 3, 3.0)
    # fail: the share of women among the referrals recorded as unknown exploitation this many standard deviations
    # towards a known type's, while unknown rose (warn from ``share_warn_z``); above ``shift_fail_z``, since it is
    # tried where the transfer did not block, and a quarter's unknowns are few
    profile_fail_z: float = 4.0
    responder_min_referrals: int = 20
    responder_unknown_excess: float = 0.2  # warn: a responder's unknown share this far above everyone's
    # a shift between known categories: a rise, and a fall that balances it within ``shift_ratio``, each this
    # many standard deviations (a warning beyond ``shift_fail_z`` together)
    shift_move_z: float = 1.5
    shift_min_share: float = 0.005  # a shift of at least this share of the quarter's referrals
    shift_ratio: tuple[float, float] = (0.5, 2.0)  # a fall "matches" a rise within these ratios
    impossible_tolerance: int = 0  # fail when more rows than this are impossible
    late_days: int = 30
    late_share_warn: float = 0.05
    duplicate_days: int = 7  # two referrals of one person within this many days: a double submission
    join_history: int = 12  # back-series quarters whose quarter-to-quarter changes say how far a join may move
    join_quarters: int = 4  # the service's own quarters whose trend is compared with the back series'
    join_z: float = 4.0  # fail: the join moves this many standard deviations of the back series' own changes
    join_min_change: float = 0.25  # and by at least this much (a ratio outside 1/1.25 to 1.25)
    join_warn_z: float = 2.5  # warn beyond this


@dataclass(frozen=True)
class Finding:
    """Something a check found. ``period`` is a quarter label (or None); ``dimension``
    a table dimension (column header) and ``categories`` its values involved; a
    revision in that period of a cell with one of the categories is explained by
    ``message`` (see :func:`nrm.analytics.revisions.explain`)."""

    check: str
    message: str
    period: str | None = None
    dimension: str | None = None
    categories: tuple[str, ...] = ()
    count: int | None = None
    examples: tuple[str, ...] = ()
    table_id: str | None = None
    severity: Status = "warn"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["categories"] = list(self.categories)
        d["examples"] = list(self.examples)
        return d


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    blocking: bool
    summary: str
    findings: tuple[Finding, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()

    @property
    def blocks(self) -> bool:
        """Whether this result stops a publication (unless overridden)."""
        return self.blocking and self.status == "fail"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "blocking": self.blocking,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "columns": list(self.columns),
            "rows": [[_json_value(v) for v in r] for r in self.rows],
        }


def _json_value(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 4)
    return v


@dataclass(frozen=True)
class Override:
    """A recorded decision to publish although a blocking check failed."""

    check: str
    reason: str
    by: str
    at: str = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0).isoformat())

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class QualityReport:
    period: str
    generated_at: str
    extract: tuple[tuple[str, str], ...]  # (file name, SHA-256)
    results: list[CheckResult]

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocks]

    @property
    def passed(self) -> bool:
        """No blocking check failed."""
        return not self.blocking_failures

    def result(self, check: str) -> CheckResult:
        for r in self.results:
            if r.id == check:
                return r
        raise KeyError(check)

    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def to_dict(self, *, timestamps: bool = True, overrides: Sequence[Override] = ()) -> dict[str, Any]:
        """The report as JSON data. ``timestamps=False`` leaves out when it was generated
        (and when overrides were recorded), for a publication's byte-identical files;
        ``overrides`` are the recorded decisions to publish despite a failing check."""
        out: dict[str, Any] = {"period": self.period}
        if timestamps:
            out["generated_at"] = self.generated_at
        out.update(
            {
                "extract": [{"file": a, "sha256": b} for a, b in self.extract],
                "passed": self.passed,
                "blocking_failures": [r.id for r in self.blocking_failures],
                "overridden": [o.check for o in overrides],
                "overrides": [
                    {k: v for k, v in o.to_dict().items() if timestamps or k != "at"} for o in overrides
                ],
                "checks": [r.to_dict() for r in self.results],
            }
        )
        return out

    def to_json(self, *, timestamps: bool = True, overrides: Sequence[Override] = ()) -> str:
        return json.dumps(self.to_dict(timestamps=timestamps, overrides=overrides), indent=2, ensure_ascii=False) + "\n"

    def to_text(self, *, timestamps: bool = True, overrides: Sequence[Override] = ()) -> str:
        when = f" (generated {self.generated_at})" if timestamps else ""
        lines = [f"Data quality report for {self.period}{when}"]
        for a, b in self.extract:
            lines.append(f"  extract {a} sha256 {b}")
        lines.append("")
        for r in self.results:
            flag = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}[r.status]
            lines.append(f"[{flag}] {r.title}{' (blocking)' if r.blocking else ''}: {r.summary}")
            for f in r.findings:
                lines.append(f"    - {f.message}")
        lines.append("")
        overridden = {o.check for o in overrides}
        if self.passed:
            lines.append("No blocking check failed: the publication may run.")
        elif {r.id for r in self.blocking_failures} <= overridden:
            lines.append("Blocking checks failed and were overridden with a recorded reason:")
            for o in overrides:
                lines.append(f"    - {o.check}: {o.reason} (by {o.by}{f', {o.at}' if timestamps else ''})")
        else:
            ids = ", ".join(r.id for r in self.blocking_failures)
            lines.append(
                f"Blocking checks failed ({ids}): the publication will not run unless each is overridden with a reason."
            )
        return "\n".join(lines) + "\n"

    def how_to_override(self, command: str = "nrm stats publish ...") -> str:
        """What to add to the publish command to publish despite the blocking failures."""
        flags = " ".join(f'--override {r.id}="REASON"' for r in self.blocking_failures if r.id != "back_series_join")
        joins = [f.table_id for r in self.blocking_failures if r.id == "back_series_join" for f in r.findings
                 if f.severity == "fail"]
        breaks = " ".join(f'--declare-break {t}="REASON"' for t in joins)
        text = (
            f"To publish anyway, record why each failure is acceptable and who decided: {command} "
            f"{' '.join(x for x in (flags, breaks) if x)} "
            '--by "NAME". The overrides are recorded in the publication\'s manifest and quality report.'
        )
        if joins:
            text += (" A declared break is marked [b] at the first quarter of the service's own figures, with its "
                     "reason in the table's notes.")
        return text


class QualityGateError(RuntimeError):
    """A blocking check failed and was not overridden with a reason."""

    def __init__(self, report: QualityReport, missing: Sequence[CheckResult]) -> None:
        self.report = report
        self.missing = list(missing)
        lines = [f"{r.id}: {r.summary}" for r in missing]
        super().__init__(
            "the publication cannot run: blocking data-quality checks failed and were not overridden with a reason:\n"
            + "\n".join(lines)
        )


def require_publishable(report: QualityReport, overrides: Iterable[Override] = ()) -> list[Override]:
    """Raise :class:`QualityGateError` unless every failing blocking check has an
    override with a reason; return the overrides that were needed (to record)."""
    by_check: dict[str, Override] = {}
    for o in overrides:
        if o.check not in CHECKS:
            raise ValueError(f"no data-quality check {o.check!r}; checks are {', '.join(CHECKS)}")
        if o.reason.strip() and o.by.strip():
            by_check[o.check] = o
    missing = [r for r in report.blocking_failures if r.id not in by_check]
    if missing:
        raise QualityGateError(report, missing)
    return [by_check[r.id] for r in report.blocking_failures]


# ---------------------------------------------------------------------------
# Helpers


def _quarter_sql(col: str) -> str:
    return f"(year({col}) * 10 + quarter({col}))"


def _code(q: Quarter) -> int:
    return q.year * 10 + q.number


def _from_code(code: int) -> Quarter:
    return Quarter(code // 10, code % 10)


def _window(period: Period, config: QualityConfig) -> tuple[list[Quarter], list[Quarter]]:
    """(baseline quarters, quarters of the period)."""
    own = period.quarters()
    first = own[0]
    base = quarters_between(first.shift(-config.baseline_quarters), first.previous())
    return base, own


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


@dataclass(frozen=True)
class Expected:
    """A category's expected share in a quarter and how far the quarter is from it."""

    share: float  # expected share (the pooled share of the history quarters)
    sd: float  # standard deviation of the quarter's share if nothing changed
    observed: int
    referrals: int
    history: int = 0  # quarters the expected share comes from

    @property
    def observed_share(self) -> float:
        return self.observed / self.referrals if self.referrals else 0.0

    @property
    def z(self) -> float:
        return (self.observed_share - self.share) / self.sd

    @property
    def difference(self) -> float:
        """Observed less expected, in referrals."""
        return self.observed - self.share * self.referrals


def expected_share(
    observed: int, referrals: int, history: Sequence[tuple[int, int]], config: QualityConfig | None = None
) -> Expected | None:
    """The share ``observed``/``referrals`` of a quarter against ``history`` ((count, referrals)
    of the quarters before).

    The expected share is the median of the history's shares (a quarter of the history that
    is itself miscoded does not move it). The variance of the quarter's share about it is
    the binomial variance at the quarter's volume plus the between-quarter variance of the
    history's shares beyond their own binomial variance (from their median absolute
    deviation, again robust to one miscoded quarter), at least ``share_min_rel_sd`` of the
    share squared: the published tables move by that much from quarter to quarter at the
    real volume, binomial noise included, which a few quarters of history can understate.
    To that is added the uncertainty of the median itself (pi/2 times the variance of one
    history quarter's share, with the same lower bound, over the number of quarters). None
    without referrals in the quarter or the history."""
    config = config or QualityConfig()
    hist = [(k, n) for k, n in history if n > 0]
    if referrals <= 0 or not hist:
        return None
    shares = [k / n for k, n in hist]
    share = statistics.median(shares)
    total = sum(n for _, n in hist)
    p = min(max(share, 0.5 / total), 1 - 0.5 / total)  # for the variances: never 0 or 1
    m = len(hist)
    binomial = statistics.fmean(p * (1 - p) / n for _, n in hist)
    between = 0.0
    if m >= 3:  # robust to a quarter that is itself miscoded: the median absolute deviation
        between = max(between, (1.4826 * statistics.median(abs(x - share) for x in shares)) ** 2 - binomial)
    elif m == 2:
        between = max(between, statistics.variance(shares) - binomial)
    least = (config.share_min_rel_sd * p) ** 2
    quarter = max(p * (1 - p) / referrals + between, least)
    # the median of m quarters is about pi/2 times as variable as their mean
    variance = quarter + math.pi / 2 * max(binomial + between, least) / m
    return Expected(share, math.sqrt(variance), observed, referrals, m)


# ---------------------------------------------------------------------------
# Check: unknown exploitation type


def check_unknown_exploitation(
    con: duckdb.DuckDBPyConnection, period: Period, config: QualityConfig | None = None
) -> CheckResult:
    config = config or QualityConfig()
    cid = "unknown_exploitation"
    title, blocking = CHECKS[cid]
    base, own = _window(period, config)
    first = base[0] if base else own[0]
    counts = {
        _from_code(int(q)): (int(n), int(u))
        for q, n, u in _rows(
            con,
            f"""SELECT {_quarter_sql("referral_date")} AS q, count(*),
                       count(*) FILTER (WHERE exploitation_types = ?)
                FROM referrals WHERE referral_date BETWEEN ? AND ? GROUP BY ALL ORDER BY q""",  # noqa: S608
            [UNKNOWN, first.start, own[-1].end],
        )
    }
    history = [(counts[q][1], counts[q][0]) for q in _same_basis(base, own[0], "Exploitation type", UNKNOWN)
               if q in counts]
    usable = [(u, n) for u, n in history if n]
    baseline = sum(u for u, _ in usable) / sum(n for _, n in usable) if usable else None
    findings: list[Finding] = []
    table: list[tuple[Any, ...]] = []
    status: Status = "pass"
    for q in [*base, *own]:
        n, u = counts.get(q, (0, 0))
        share = u / n if n else None
        e = expected_share(u, n, usable, config) if q in own else None
        table.append((q.label, "All first responders", n, u, share, e.share if e else None, e.sd if e else None,
                      e.z if e else None))
        if e is None or e.z < config.share_warn_z:
            continue
        severity: Status = "fail" if e.z >= config.share_fail_z else "warn"
        status = "fail" if severity == "fail" or status == "fail" else "warn"
        findings.append(
            Finding(
                cid,
                f"In {q.label} {e.observed_share:.1%} of referrals ({u:,} of {n:,}) recorded the exploitation type "
                f"as '{UNKNOWN}', against {e.share:.1%} expected from the {len(usable)} quarters before "
                f"({e.z:.1f} standard deviations above, allowing for the quarter's volume and the variation "
                f"between those quarters; {config.share_fail_z:g} blocks).",
                period=q.label,
                dimension="Exploitation type",
                categories=(UNKNOWN,),
                count=u,
                severity=severity,
            )
        )
    overall = sum(u for q, (n, u) in counts.items() if q in own) / max(
        sum(n for q, (n, u) in counts.items() if q in own), 1
    )
    responders = _rows(
        con,
        """SELECT first_responder_type, first_responder, count(*) AS n, count(*) FILTER (WHERE exploitation_types = ?)
           FROM referrals WHERE referral_date BETWEEN ? AND ? GROUP BY ALL ORDER BY 1, 2""",
        [UNKNOWN, period.start, period.end],
    )
    for frt, fr, n, u in responders:
        share = u / n if n else 0.0
        table.append((period.label, f"{frt}: {fr}", int(n), int(u), share, overall, None, None))
        if n >= config.responder_min_referrals and share >= overall + config.responder_unknown_excess:
            if status == "pass":
                status = "warn"
            findings.append(
                Finding(
                    cid,
                    f"{fr} ({frt}) recorded '{UNKNOWN}' on {share:.0%} of its {int(n):,} referrals in {period.label}, "
                    f"against {overall:.0%} overall.",
                    period=period.label if period.is_quarter else None,
                    dimension="First responder",
                    categories=(UNKNOWN, str(fr)),
                    count=int(u),
                    severity="warn",
                )
            )
    own_n = sum(counts.get(q, (0, 0))[0] for q in own)
    own_u = sum(counts.get(q, (0, 0))[1] for q in own)
    if baseline is None:
        summary = f"{own_u:,} of {own_n:,} referrals ({overall:.1%}) unknown; no earlier quarters to compare with."
    else:
        summary = (
            f"{own_u:,} of {own_n:,} referrals ({overall:.1%}) unknown in {period.label}; "
            f"{baseline:.1%} in the {len(usable)} quarters before."
        )
    return CheckResult(
        cid,
        title,
        status,
        blocking,
        summary,
        tuple(findings),
        ("Period", "First responder", "Referrals", "Unknown", "Share unknown", "Expected share",
         "Standard deviation", "z"),
        tuple(table),
    )


# ---------------------------------------------------------------------------
# Check: shifts between categories


@dataclass(frozen=True)
class _Dim:
    name: str  # table dimension name
    column: str
    categories: tuple[str, ...]
    is_list: bool = False


_SHIFT_DIMENSIONS = (
    _Dim("Exploitation type", "exploitation_types", xs.EXPLOITATION_TYPES, is_list=True),
    _Dim("Age at exploitation", "age_at_exploitation", xs.AGES),
    _Dim("Gender", "gender", xs.GENDERS),
    _Dim("Location of exploitation", "location_of_exploitation", xs.LOCATIONS),
)


def _category_counts(
    con: duckdb.DuckDBPyConnection, dim: _Dim, first: Quarter, last: Quarter
) -> tuple[dict[Quarter, int], dict[Quarter, dict[str, int]]]:
    totals = {
        _from_code(int(q)): int(n)
        for q, n in _rows(
            con,
            f"SELECT {_quarter_sql('referral_date')}, count(*) FROM referrals WHERE referral_date BETWEEN ? AND ? "  # noqa: S608
            "GROUP BY ALL",
            [first.start, last.end],
        )
    }
    if dim.is_list:
        sql = (
            f"SELECT {_quarter_sql('referral_date')} AS q, c, count(*) FROM (SELECT referral_date, "  # noqa: S608
            f"unnest(string_split({dim.column}, '{xs.LIST_SEPARATOR}')) AS c FROM referrals "
            "WHERE referral_date BETWEEN ? AND ?) GROUP BY ALL"
        )
    else:
        sql = (
            f"SELECT {_quarter_sql('referral_date')} AS q, coalesce({dim.column}, '{UNKNOWN}') AS c, count(*) "  # noqa: S608
            "FROM referrals WHERE referral_date BETWEEN ? AND ? GROUP BY ALL"
        )
    by: dict[Quarter, dict[str, int]] = {}
    for q, c, n in _rows(con, sql, [first.start, last.end]):
        by.setdefault(_from_code(int(q)), {})[str(c)] = int(n)
    return totals, by


def _same_basis(base: Sequence[Quarter], q: Quarter, dim: str, category: str | None = None) -> list[Quarter]:
    """The baseline quarters recorded on the same basis as ``q`` (after the latest series
    break of ``dim`` up to ``q`` that concerns ``category``: a break that changed how labour
    and criminal exploitation are recorded leaves the history of sexual exploitation whole);
    all of them if fewer than two are left (a shift at the break itself is then explained by
    the break)."""
    starts = [b.quarter for b in SERIES_BREAKS if b.dimension == dim and b.quarter <= q
              and (category is None or not b.categories or category in b.categories)]
    if not starts:
        return list(base)
    latest = max(starts)
    same = [b for b in base if b >= latest]
    return same if len(same) >= 2 else list(base)


def _explained_by_break(q: Quarter, dim: str, categories: Sequence[str]) -> str | None:
    for b in SERIES_BREAKS:
        if b.dimension == dim and b.quarter == q and set(categories) & set(b.categories):
            return b.text
    return None


_Moves = dict[str, Expected]  # category -> its share in the quarter against the expected share


def _category_moves(
    dim: _Dim,
    q: Quarter,
    base: Sequence[Quarter],
    totals: dict[Quarter, int],
    by: dict[Quarter, dict[str, int]],
    table: list[tuple[Any, ...]],
    config: QualityConfig,
) -> _Moves | None:
    """How far each category of ``dim`` in quarter ``q`` is from its expected share (from the
    baseline quarters on the same basis, :func:`expected_share`); each is also added to
    ``table``. None if ``q`` or the baseline has no referral."""
    n = totals.get(q, 0)
    if n == 0 or not any(totals.get(b, 0) for b in base):
        return None
    moves: _Moves = {}
    for c in dim.categories:
        usable = [b for b in _same_basis(base, q, dim.name, c) if totals.get(b, 0)]
        e = expected_share(by.get(q, {}).get(c, 0), n, [(by.get(b, {}).get(c, 0), totals[b]) for b in usable], config)
        if e is None:
            continue
        moves[c] = e
        table.append((q.label, dim.name, c, e.observed, round(e.share * n, 1), round(e.difference, 1),
                      round(e.z, 1)))
    return moves


def _matched_falls(gain: float, falls: Sequence[str], moves: _Moves, config: QualityConfig) -> list[str]:
    """The falling categories that balance a rise of ``gain``: each one alone, else all of them together."""
    lo, hi = config.shift_ratio
    matched = [c for c in falls if lo <= abs(moves[c].difference) / gain <= hi]
    total_fall = sum(abs(moves[c].difference) for c in falls)
    if not matched and falls and lo <= total_fall / gain <= hi:
        matched = list(falls)
    return matched


def _pair_z(up: str, matched: Sequence[str], moves: _Moves) -> float:
    """The rise of ``up`` with the falls of ``matched`` as one shift, in standard deviations:
    (rise of the share less the falls) over the square root of their variances added."""
    e = moves[up]
    shift = (e.observed_share - e.share) - sum(moves[c].observed_share - moves[c].share for c in matched)
    return shift / math.sqrt(e.sd**2 + sum(moves[c].sd ** 2 for c in matched))


def _moved_text(e: Expected) -> str:
    return f"to {e.observed:,} against {e.share * e.referrals:,.0f} expected, {e.z:+.1f} sd"


def _shift_finding(
    cid: str, dim: str, q: Quarter, up: str, matched: Sequence[str], moves: _Moves, config: QualityConfig
) -> Finding | None:
    """A rise of the known category ``up`` balanced by the falls of ``matched``, judged as one shift
    (:func:`_pair_z`): noted beyond ``share_warn_z`` when a series break explains it, else a warning beyond
    ``shift_fail_z``. None below those bounds. (Rises of the unknown category: :func:`_transfer_finding`.)"""
    gain = moves[up].difference
    z = _pair_z(up, matched, moves)
    fell = ", ".join(f"{c} fell by {abs(moves[c].difference):,.0f} ({_moved_text(moves[c])})" for c in matched)
    rose = f"{up} rose by {gain:,.0f} ({_moved_text(moves[up])})"
    cats = (*matched, up)
    reason = _explained_by_break(q, dim, cats)
    if reason and z >= config.share_warn_z:
        return Finding(
            cid,
            f"{dim}, {q.label}: {fell}, while {rose}. Explained by a series break: {reason}",
            period=q.label,
            dimension=dim,
            categories=cats,
            severity="pass",
        )
    if reason or z < config.shift_fail_z:
        return None
    return Finding(
        cid,
        f"{dim}, {q.label}: {fell}, while {rose} (together {z:.1f} standard deviations): check that "
        f"{', '.join(matched)} and {up} are recorded consistently.",
        period=q.label,
        dimension=dim,
        categories=cats,
        count=round(gain),
        severity="warn",
    )


@dataclass(frozen=True)
class _Transfer:
    """Referrals of the ``source`` categories recorded as unknown, as one statistic: the rise of the
    unknown share plus the fall of the source's share (``shift``, twice the share moved), its standard
    deviation were nothing moved (``sd``), and how far the rise exceeds the fall (``imbalance_z``, in
    standard deviations of their difference)."""

    source: tuple[str, ...]
    shift: float
    sd: float
    imbalance_z: float
    ratio: float  # the fall over the rise

    def balanced(self, config: QualityConfig) -> bool:
        """The fall balances the rise: within ``transfer_ratio`` of it, and not larger by more than
        ``transfer_balance_z`` standard deviations of their difference. (Unknown may rise by more than one
        category fell, for other reasons as well; a category that falls far more than unknown rose is not
        what went to unknown.)"""
        lo, hi = config.transfer_ratio
        return self.imbalance_z >= -config.transfer_balance_z and lo <= self.ratio <= hi

    @property
    def z(self) -> float:
        return self.shift / self.sd


def _transfer(moves: _Moves, source: Sequence[str], n: int) -> _Transfer:
    """The transfer from ``source`` into unknown in a quarter of ``n`` referrals. Unknown is recorded on
    its own, so its share and a source's share covary by -p_u p_x / n (multinomial); their deviations from
    the expected shares are otherwise treated as independent. The variance of each deviation is that of
    :func:`expected_share` (binomial at this volume, between-quarter variation, uncertainty of the
    expected share)."""
    u, xs = moves[UNKNOWN], [moves[c] for c in source]
    rise = u.observed_share - u.share
    fall = -sum(x.observed_share - x.share for x in xs)
    cov = u.share * sum(x.share for x in xs) / n
    var = u.sd**2 + sum(x.sd**2 for x in xs)
    return _Transfer(tuple(source), rise + fall, math.sqrt(var + 2 * cov),
                     (rise - fall) / math.sqrt(max(var - 2 * cov, 1e-12)), fall / rise if rise > 0 else math.inf)


def _moved(e: Expected, sign: int, z: float, n: int, config: QualityConfig) -> bool:
    """Whether ``e`` moved ``z`` standard deviations up (``sign`` +1) or down (-1), and by at least
    ``shift_min_share`` of the quarter's ``n`` referrals."""
    return sign * e.z >= z and abs(e.difference) >= config.shift_min_share * n


def _transfer_into_unknown(moves: _Moves, n: int, config: QualityConfig) -> _Transfer | None:
    """The strongest transfer into unknown in the quarter: unknown rose and a known category fell, each
    ``transfer_move_z`` standard deviations, the fall balancing the rise (:meth:`_Transfer.balanced`).
    None if there is none."""
    if UNKNOWN not in moves or not _moved(moves[UNKNOWN], +1, config.transfer_move_z, n, config):
        return None
    falls = [c for c in moves if c != UNKNOWN and _moved(moves[c], -1, config.transfer_move_z, n, config)]
    balanced = [t for t in (_transfer(moves, (c,), n) for c in falls) if t.balanced(config)]
    return max(balanced, key=lambda t: t.z, default=None)


def _transfer_finding(
    cid: str, dim: str, q: Quarter, t: _Transfer, moves: _Moves, config: QualityConfig
) -> Finding | None:
    """A transfer into unknown (:func:`_transfer_into_unknown`): fails from ``shift_fail_z`` standard
    deviations, warns from ``share_warn_z``, is noted when a series break explains it; None below."""
    if t.z < config.share_warn_z:
        return None
    u = moves[UNKNOWN]
    cats = (*t.source, UNKNOWN)
    fell = ", ".join(f"{c} fell by {abs(moves[c].difference):,.0f} ({_moved_text(moves[c])})" for c in t.source)
    what = (
        f"{dim}, {q.label}: {fell}, while '{UNKNOWN}' rose by {u.difference:,.0f} ({_moved_text(u)})"
    )
    reason = _explained_by_break(q, dim, cats)
    if reason:
        return Finding(cid, f"{what}. Explained by a series break: {reason}", period=q.label, dimension=dim,
                       categories=cats, severity="pass")
    fail = t.z >= config.shift_fail_z
    message = (
        f"{what}: referrals of {' or '.join(t.source)} may have been recorded as '{UNKNOWN}'. The rise and the "
        f"fall together come to {t.shift:.1%} of the quarter's {u.referrals:,} referrals, where a quarter without "
        f"such a shift would be within 0 +/- {config.shift_fail_z * t.sd:.1%} ({config.shift_fail_z:g} standard "
        f"deviations of {t.sd:.1%}, allowing for the quarter's volume, the variation between the {u.history} "
        f"quarters before and the uncertainty of the shares they lead to expect): {t.z:.1f} standard deviations; "
        f"{config.shift_fail_z:g} block, {config.share_warn_z:g} warn."
    )
    if fail:
        message += f' If the shift is real, publish with --override {cid}="REASON" --by "NAME".'
    return Finding(cid, message, period=q.label, dimension=dim, categories=cats, count=round(u.difference),
                   severity="fail" if fail else "warn")


def _shift_findings(cid: str, dim: _Dim, q: Quarter, moves: _Moves, n: int, config: QualityConfig) -> list[Finding]:
    """Shifts in quarter ``q`` (of ``n`` referrals): the strongest transfer into unknown
    (:func:`_transfer_finding`), and each rise of a known category that falls elsewhere balance
    (categories that moved ``shift_move_z`` standard deviations up or down and by at least
    ``shift_min_share`` of the quarter's referrals, judged together, :func:`_shift_finding`)."""
    findings: list[Finding] = []
    t = _transfer_into_unknown(moves, n, config)
    found = _transfer_finding(cid, dim.name, q, t, moves, config) if t is not None else None
    if found is not None:
        findings.append(found)
    rises = [c for c in moves if c != UNKNOWN and _moved(moves[c], +1, config.shift_move_z, n, config)]
    falls = [c for c in moves if _moved(moves[c], -1, config.shift_move_z, n, config)]
    for up in rises:
        matched = _matched_falls(moves[up].difference, falls, moves, config)
        finding = _shift_finding(cid, dim.name, q, up, matched, moves, config) if matched else None
        if finding is not None:
            findings.append(finding)
    return findings


def _female_counts(con: duckdb.DuckDBPyConnection, dim: _Dim, first: Quarter, last: Quarter
                   ) -> dict[Quarter, dict[str, int]]:
    """Quarter -> category -> the referrals of that category recorded as female."""
    sql = (
        f"SELECT {_quarter_sql('referral_date')} AS q, c, count(*) FROM (SELECT referral_date, "  # noqa: S608
        f"unnest(string_split({dim.column}, '{xs.LIST_SEPARATOR}')) AS c FROM referrals "
        "WHERE referral_date BETWEEN ? AND ? AND gender = 'Female') GROUP BY ALL"
    )
    out: dict[Quarter, dict[str, int]] = {}
    for q, c, n in _rows(con, sql, [first.start, last.end]):
        out.setdefault(_from_code(int(q)), {})[str(c)] = int(n)
    return out


def _profile_finding(cid: str, dim: _Dim, q: Quarter, base: Sequence[Quarter], moves: _Moves,
                     by: dict[Quarter, dict[str, int]], female: dict[Quarter, dict[str, int]],
                     config: QualityConfig) -> Finding | None:
    """Referrals of a known type recorded as unknown, seen in who they are: unknown rose (``transfer_move_z``)
    and the referrals recorded as unknown changed, in their share of women, towards a known type's (from the
    quarters before) by about as much as that many of its referrals would move it (within ``transfer_ratio``).
    The share of women among unknowns is judged against its expected share (:func:`expected_share`) and
    fails from ``profile_fail_z``, warns from ``share_warn_z``. This sees a recoding that the fall of the
    category itself cannot: where that category was rising for real (the published sexual exploitation
    rose by about four points in 2022), its fall is hidden, but the people moved still look like it. None
    without such a change."""
    u = moves.get(UNKNOWN)
    if u is None or u.z < config.transfer_move_z or u.difference <= 0:
        return None
    usable = [b for b in _same_basis(base, q, dim.name, UNKNOWN) if by.get(b, {}).get(UNKNOWN, 0)]
    unknowns = by.get(q, {}).get(UNKNOWN, 0)
    e = expected_share(female.get(q, {}).get(UNKNOWN, 0), unknowns,
                       [(female.get(b, {}).get(UNKNOWN, 0), by[b][UNKNOWN]) for b in usable], config)
    if e is None or abs(e.z) < config.share_warn_z:
        return None
    moved = e.observed_share - e.share
    lo, hi = config.transfer_ratio
    best: tuple[float, str, float] | None = None  # (how far from balance, category, its share of women)
    for c in dim.categories:
        referrals = sum(by.get(b, {}).get(c, 0) for b in usable)
        if c == UNKNOWN or referrals == 0:
            continue
        women = sum(female.get(b, {}).get(c, 0) for b in usable) / referrals
        would = u.difference * (women - e.share) / unknowns  # the move if the rise were all referrals of c
        if would * moved > 0 and lo <= moved / would <= hi:
            off = abs(math.log(moved / would))
            if best is None or off < best[0]:
                best = (off, c, women)
    if best is None:
        return None
    _off, source, women = best
    fail = abs(e.z) >= config.profile_fail_z
    message = (
        f"{dim.name}, {q.label}: '{UNKNOWN}' rose by {u.difference:,.0f} ({_moved_text(u)}), and {e.observed_share:.0%} "
        f"of the referrals recorded so were of women against {e.share:.0%} expected ({e.z:+.1f} standard deviations), "
        f"nearer the {women:.0%} of {source}: referrals of {source} may have been recorded as '{UNKNOWN}'. "
        f"{config.profile_fail_z:g} standard deviations block, {config.share_warn_z:g} warn."
    )
    if fail:
        message += f' If the shift is real, publish with --override {cid}="REASON" --by "NAME".'
    return Finding(cid, message, period=q.label, dimension=dim.name, categories=(source, UNKNOWN),
                   count=round(u.difference), severity="fail" if fail else "warn")


def _shift_summary(findings: Sequence[Finding], status: Status, base: Sequence[Quarter]) -> str:
    failing = [f for f in findings if f.severity == "fail"]
    if failing:
        summary = "; ".join(
            f"{f.period} {f.dimension}: {', '.join(f.categories[:-1])} -> {f.categories[-1]}" for f in failing
        )
        return f"Possible miscoding: {summary}."
    if findings and status == "warn":
        return f"{sum(1 for f in findings if f.severity == 'warn')} shift(s) between known categories to check."
    return (
        f"No unexpected shifts against the mix of {base[0].label} to {base[-1].label}"
        + (" (shifts explained by series breaks are noted)." if findings else ".")
    )


def check_category_shift(
    con: duckdb.DuckDBPyConnection, period: Period, config: QualityConfig | None = None
) -> CheckResult:
    """Shifts between categories in each quarter of ``period`` that look like miscoding.

    For each dimension, each category's share of the quarter's referrals is compared with
    its expected share (:func:`expected_share`: the median of the quarters before, with a
    variance made of the binomial variance at this quarter's volume, the variation between
    those quarters beyond their own binomial variance, at least ``share_min_rel_sd`` of the
    share, and the uncertainty of the median).

    Miscoding into unknown moves referrals from a known category X to "Not specified or
    unknown": the unknown share rises by some t and X's falls by t. The check judges the
    two together, as the transfer statistic T = (rise of unknown) + (fall of X), 2t under
    miscoding and 0 without, whose variance is the sum of the two shares' variances plus
    2 p_u p_x / n (the two shares of one multinomial quarter covary by -p_u p_x / n).
    One test on T has far more power than a test of each share alone (both deviations add
    up while their noise adds only in quadrature), and it is not set off by unknown rising
    for other reasons: it needs a known category falling by as much. So a transfer counts
    only where unknown rose and X fell each by ``transfer_move_z`` standard deviations and
    the fall balances the rise: within ``transfer_ratio`` of it and not larger by more than
    ``transfer_balance_z`` standard deviations of their difference (T can otherwise be
    carried by a category with a large variance falling far more than unknown rose;
    unknown rising by more than X fell is allowed, it may rise for other reasons too). X
    is each known category in turn; the largest T/sd(T) over them fails from
    ``shift_fail_z`` (3: a one-sided 0.13% for each category, about 0.7% for the largest
    of the five exploitation types, were the variance exact; its lower bound makes it an
    overstatement at the real volume) and warns from ``share_warn_z``. A rise of unknown
    exploitation that no category's fall confirms is left to ``unknown_exploitation``,
    which blocks from ``share_fail_z`` (4.5).

    A likelihood-ratio (generalised least squares) estimate of the transfer would weight
    the rise and the fall by their precision; where the known category varies much more
    than unknown it reduces to a test of unknown's rise alone, which is the false alarm
    this check avoids (a quarter such as the calibrated 2023-Q3, where unknown jumps by more
    than a point while a large, variable category falls). Where unknown exploitation rose but no fall
    confirms it, who the unknowns are may (:func:`_profile_finding`: their share of women moving towards a
    known type's). Shifts between two known categories use the rise and the
    falls that balance it within ``shift_ratio`` (each ``shift_move_z`` standard deviations)
    and only warn; a recorded series break turns either kind into a note.
    """
    config = config or QualityConfig()
    cid = "category_shift"
    title, blocking = CHECKS[cid]
    base, own = _window(period, config)
    if len(base) < 2:
        return CheckResult(cid, title, "pass", blocking, "Not enough earlier quarters to compare with.")
    findings: list[Finding] = []
    table: list[tuple[Any, ...]] = []
    for dim in _SHIFT_DIMENSIONS:
        totals, by = _category_counts(con, dim, base[0], own[-1])
        women = _female_counts(con, dim, base[0], own[-1]) if dim.name == "Exploitation type" else None
        for q in own:
            moves = _category_moves(dim, q, base, totals, by, table, config)
            if moves is not None:
                found = _shift_findings(cid, dim, q, moves, totals.get(q, 0), config)
                # who the unknowns are, where their number alone did not block
                if women is not None and not any(f.categories[-1:] == (UNKNOWN,) and f.severity == "fail"
                                                 for f in found):
                    profile = _profile_finding(cid, dim, q, base, moves, by, women, config)
                    found += [profile] if profile is not None else []
                findings += found
    severities = {f.severity for f in findings}
    status: Status = "fail" if "fail" in severities else "warn" if "warn" in severities else "pass"
    return CheckResult(
        cid,
        title,
        status,
        blocking,
        _shift_summary(findings, status, base),
        tuple(findings),
        ("Quarter", "Dimension", "Category", "Referrals", "Expected", "Difference", "z"),
        tuple(table),
    )


# ---------------------------------------------------------------------------
# Check: impossible combinations


def _impossible_rules() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(id, description, SQL condition true for an impossible row, categories)."""
    change = f"DATE '{RECORDING_CHANGE.isoformat()}'"
    when = f"{RECORDING_CHANGE:%-d %B %Y}"
    return [
        ("cg_before_rg", "a Conclusive Grounds decision dated before the Reasonable Grounds decision",
         "cg_date < rg_date", ()),
        ("cg_without_positive_rg", "a Conclusive Grounds decision without a positive Reasonable Grounds decision",
         "cg_outcome IS NOT NULL AND coalesce(rg_outcome, '') <> 'Positive'", ()),
        ("cg_before_recovery_period",
         f"a Conclusive Grounds decision before the minimum recovery period ({describe_days(RECOVERY)}) "
         "had run from the Reasonable Grounds decision",
         "cg_date IS NOT NULL AND rg_date IS NOT NULL AND cg_date < rg_date + "
         f"CAST({sql_days_in_force(RECOVERY, 'rg_date')} AS INTEGER)",
         ()),
        ("decision_before_referral", "a decision dated before the referral",
         "rg_date < referral_date OR cg_date < referral_date", ()),
        ("outcome_without_date", "a decision outcome without a decision date (or a date without an outcome)",
         "(rg_outcome IS NULL) <> (rg_date IS NULL) OR (cg_outcome IS NULL) <> (cg_date IS NULL)", ()),
        ("criminal_before_recording", f"criminal exploitation recorded before {when}",
         f"referral_date < {change} AND list_contains(string_split(exploitation_types, '{xs.LIST_SEPARATOR}'), "
         "'Criminal')", ("Criminal",)),
        ("unknown_age_before_recording", f"age at exploitation '{UNKNOWN}' recorded before {when}",
         f"referral_date < {change} AND age_at_exploitation = '{UNKNOWN}'", (UNKNOWN,)),
        ("dual_nationality_before_recording", f"dual nationality recorded before {when}",
         f"referral_date < {change} AND contains(nationality, '{xs.LIST_SEPARATOR}')", ()),
    ]


def check_impossible_combinations(
    con: duckdb.DuckDBPyConnection, period: Period, config: QualityConfig | None = None
) -> CheckResult:
    config = config or QualityConfig()
    cid = "impossible_combinations"
    title, blocking = CHECKS[cid]
    findings: list[Finding] = []
    table: list[tuple[Any, ...]] = []
    total = 0
    for rule, text, cond, cats in _impossible_rules():
        n, examples = _rows(
            con,
            f"""SELECT count(*), list(referral_id ORDER BY referral_date, referral_id)[1:5]
                FROM referrals WHERE referral_date <= ? AND ({cond})""",  # noqa: S608
            [period.end],
        )[0]
        n = int(n)
        table.append((rule, text, n))
        if n:
            total += n
            findings.append(
                Finding(
                    cid,
                    f"{n:,} referral{'s' if n != 1 else ''} with {text} (for example {', '.join(examples or [])}).",
                    count=n,
                    categories=cats,
                    examples=tuple(examples or ()),
                    severity="fail" if n > config.impossible_tolerance else "warn",
                )
            )
    status: Status = "fail" if total > config.impossible_tolerance else ("warn" if total else "pass")
    summary = (
        f"{total:,} impossible row(s) in referrals made up to {period.end.isoformat()}."
        if total
        else f"No impossible combinations in referrals made up to {period.end.isoformat()}."
    )
    return CheckResult(cid, title, status, blocking, summary, tuple(findings), ("Rule", "Description", "Referrals"),
                       tuple(table))


# ---------------------------------------------------------------------------
# Check: decisions recorded late


def check_late_decisions(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    config: QualityConfig | None = None,
    *,
    published_decisions: Mapping[tuple[str, str], int] | None = None,
) -> CheckResult:
    """Decisions recorded late. ``published_decisions`` maps (stage, quarter label) to
    the number of decisions published earlier for that quarter (stage ``Reasonable
    Grounds`` or ``Conclusive Grounds``; see :func:`published_decision_counts`)."""
    config = config or QualityConfig()
    cid = "late_decisions"
    title, blocking = CHECKS[cid]
    findings: list[Finding] = []
    table: list[tuple[Any, ...]] = []
    status: Status = "pass"
    # the decision that put the case in its current status, and when the status was recorded
    rows = _rows(
        con,
        """WITH d AS (
               SELECT referral_id,
                      CASE WHEN status = 'Concluded' AND cg_date IS NOT NULL THEN 'Conclusive Grounds'
                           WHEN status IN ('Concluded', 'Awaiting CG') AND rg_date IS NOT NULL THEN 'Reasonable Grounds'
                      END AS stage,
                      CASE WHEN status = 'Concluded' AND cg_date IS NOT NULL THEN cg_date
                           WHEN status IN ('Concluded', 'Awaiting CG') THEN rg_date END AS decided,
                      status_date
               FROM referrals
           )
           SELECT stage, count(*), count(*) FILTER (WHERE date_diff('day', decided, status_date) > ?),
                  list(referral_id ORDER BY referral_id) FILTER (WHERE date_diff('day', decided, status_date) > ?)[1:5]
           FROM d WHERE stage IS NOT NULL AND decided BETWEEN ? AND ? AND status_date IS NOT NULL
           GROUP BY stage ORDER BY stage DESC""",
        [config.late_days, config.late_days, period.start, period.end],
    )
    for stage, n, late, examples in rows:
        n, late = int(n), int(late)
        share = late / n if n else 0.0
        table.append((period.label, stage, n, late, share))
        if late and share >= config.late_share_warn:
            status = "warn"
            findings.append(
                Finding(
                    cid,
                    f"{late:,} of {n:,} {stage} decisions made in {period.label} ({share:.0%}) were recorded more "
                    f"than {config.late_days} days after the decision date (for example {', '.join(examples or [])}).",
                    period=period.label if period.is_quarter else None,
                    count=late,
                    examples=tuple(examples or ()),
                )
            )
    if published_decisions:
        now = {
            (str(stage), _from_code(int(q)).label): int(n)
            for stage, q, n in _rows(
                con,
                f"SELECT stage, {_quarter_sql('decision_date')}, count(*) FROM decisions WHERE decision_date < ? "  # noqa: S608
                "GROUP BY ALL",
                [period.start],
            )
        }
        for (stage, label), published in sorted(published_decisions.items()):
            current = now.get((stage, label), 0)
            if current > published:
                status = "warn"
                table_id = "rg_decisions" if stage == "Reasonable Grounds" else "cg_decisions"
                findings.append(
                    Finding(
                        cid,
                        f"{current - published:,} {stage} decisions dated {label} were recorded after that quarter's "
                        f"figures were published ({published:,} published, {current:,} now).",
                        period=label,
                        count=current - published,
                        table_id=table_id,
                    )
                )
                table.append((label, f"{stage} (recorded after publication)", current, current - published, None))
    late_total = sum(f.count or 0 for f in findings)
    summary = (
        f"{late_total:,} decision(s) recorded late." if findings else "No decisions recorded unusually late."
    )
    return CheckResult(cid, title, status, blocking, summary, tuple(findings),
                       ("Period", "Decision", "Decisions", "Recorded late", "Share"), tuple(table))


def published_decision_counts(store: Any, period: Period) -> dict[tuple[str, str], int]:
    """The number of RG and CG decisions last published for each quarter before ``period``
    (from a :class:`nrm.analytics.revisions.FiguresStore`)."""
    from nrm.analytics.revisions import latest_published

    values, _ = latest_published(store.earlier(period))
    out: dict[tuple[str, str], int] = {}
    stages = {"rg_decisions": "Reasonable Grounds", "cg_decisions": "Conclusive Grounds"}
    for (table_id, ref, cell, column), (value, _label) in values.items():
        if table_id in stages and column == "Decisions" and isinstance(value, int):
            if len(cell) > 1 and all(v == "Total" for v in cell[1:]):
                try:
                    if parse_period(ref).end < period.start:
                        out[(stages[table_id], ref)] = value
                except PeriodError:
                    continue
    return out


# ---------------------------------------------------------------------------
# Check: repeat and duplicate referrals


def check_duplicates(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    config: QualityConfig | None = None,
    *,
    linkage_input: pa.Table | None = None,
    linkage_config: Any = None,
    linkage_model: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Distinct people beside referrals. With ``linkage_input`` (the live data's
    identifying fields, :data:`nrm.analytics.linkage.LINKAGE_INPUT`) the people are found by
    probabilistic linkage of every referral made up to the end of the period; without
    it only the extract's pseudonymous ``person_id`` is used."""
    config = config or QualityConfig()
    cid = "duplicate_referrals"
    title, blocking = CHECKS[cid]
    # a referral is a repeat unless it is its person's first: the referrals in the period less
    # the people whose first referral is in it (an aggregate, not a window over every referral)
    n, by_id, first_in_period = _rows(
        con,
        """WITH firsts AS (
               SELECT min(referral_date) AS first FROM referrals WHERE referral_date <= ? GROUP BY person_id
           )
           SELECT (SELECT count(*) FROM referrals WHERE referral_date BETWEEN ? AND ?),
                  (SELECT count(DISTINCT person_id) FROM referrals WHERE referral_date BETWEEN ? AND ?),
                  (SELECT count(*) FROM firsts WHERE first >= ?)""",
        [period.end, period.start, period.end, period.start, period.end, period.start],
    )[0]
    n, by_id = int(n), int(by_id)
    repeat_by_id = n - int(first_in_period)
    table: list[tuple[Any, ...]] = [
        ("Referrals in the period", n),
        ("Distinct people (extract person_id)", by_id),
        ("Referrals of a person referred before (person_id)", repeat_by_id),
    ]
    findings: list[Finding] = []
    status: Status = "pass"
    if linkage_input is None:
        summary = (
            f"{n:,} referrals of {by_id:,} distinct people by person_id; probabilistic linkage was not run "
            "(no linkage input from the live data)."
        )
        return CheckResult(cid, title, status, blocking, summary, (), ("Measure", "Value"), tuple(table))

    from splink.internals.exceptions import EMTrainingException, SplinkException

    from nrm.analytics import linkage

    scope = linkage_input.filter(
        pc.less_equal(linkage_input.column("referral_date"), pa.scalar(period.end, type=pa.date32()))
    )
    try:
        result = linkage.link_referrals(scope, config=linkage_config, model=linkage_model)
    except (SplinkException, linkage.LinkageError) as e:
        # too few referrals to train the model on (a new or small service), or input it cannot use
        if isinstance(e, EMTrainingException):
            reason = "too few referrals of the same person to train the linkage model on"
        else:
            first_line = str(e).splitlines()[0] if str(e) else type(e).__name__
            reason = first_line if len(first_line) <= 200 else first_line[:197] + "..."
        summary = (
            f"{n:,} referrals of {by_id:,} distinct people by person_id (exact name and date of birth); "
            f"probabilistic linkage of {scope.num_rows:,} referrals could not run: {reason}"
        )
        finding = Finding(
            cid,
            f"Probabilistic record linkage could not run on {scope.num_rows:,} referrals ({reason}); distinct "
            "people are counted by person_id only, which misses repeat referrals with a mistyped name or date of "
            "birth.",
            period=period.label if period.is_quarter else None,
        )
        return CheckResult(cid, title, "warn", blocking, summary, (finding,), ("Measure", "Value"), tuple(table))
    local = duckdb.connect(":memory:")
    try:
        local.register("clusters", result.clusters)
        local.register("inp", scope.select(["referral_id", "referral_date"]))
        local.register("pairs", result.linked_pairs())
        people, repeats = local.execute(
            """WITH j AS (
                   SELECT c.referral_id, c.cluster_id, i.referral_date,
                          row_number() OVER (PARTITION BY c.cluster_id ORDER BY i.referral_date, c.referral_id) AS nth
                   FROM clusters c JOIN inp i USING (referral_id)
               )
               SELECT count(DISTINCT cluster_id), count(*) FILTER (WHERE nth > 1) FROM j
               WHERE referral_date BETWEEN ? AND ?""",
            [period.start, period.end],
        ).fetchall()[0]
        doubles = local.execute(
            """SELECT p.referral_id_l, p.referral_id_r FROM pairs p
               JOIN inp a ON a.referral_id = p.referral_id_l JOIN inp b ON b.referral_id = p.referral_id_r
               WHERE abs(date_diff('day', a.referral_date, b.referral_date)) <= ?
                 AND greatest(a.referral_date, b.referral_date) BETWEEN ? AND ?
               ORDER BY 1, 2""",
            [config.duplicate_days, period.start, period.end],
        ).fetchall()
    finally:
        local.close()
    people, repeats = int(people), int(repeats)
    table += [
        ("Distinct people (linkage)", people),
        ("Referrals of a person referred before (linkage)", repeats),
        (f"Likely double submissions (same person within {config.duplicate_days} days)", len(doubles)),
        ("Linkage threshold (match probability)", result.threshold),
    ]
    if doubles:
        status = "warn"
        examples = tuple(f"{a} and {b}" for a, b in doubles[:5])
        findings.append(
            Finding(
                cid,
                f"{len(doubles):,} pair(s) of referrals in {period.label} are probably the same person referred twice "
                f"within {config.duplicate_days} days (for example {'; '.join(examples)}).",
                period=period.label if period.is_quarter else None,
                count=len(doubles),
                examples=examples,
            )
        )
    summary = (
        f"{n:,} referrals in {period.label} of an estimated {people:,} distinct people (linkage; {by_id:,} by "
        f"person_id); {repeats:,} referrals of a person referred before."
    )
    return CheckResult(cid, title, status, blocking, summary, tuple(findings), ("Measure", "Value"), tuple(table))


# ---------------------------------------------------------------------------
# Check: the join between the back series and the service's own figures


def _total_series(rows: Iterable[Sequence[Any]], k: int) -> dict[Quarter, int]:
    """Quarter -> the all-Total count of a time-series table's rows (``k`` dimensions, Quarter first)."""
    out: dict[Quarter, int] = {}
    for r in rows:
        if all(v == TOTAL for v in r[1:k]) and isinstance(r[k], int) and not is_year(r[0]):
            label = str(r[0])
            out[Quarter(int(label[:4]), int(label[-1]))] = r[k]
    return out


def _log_ratio(new: int, old: int) -> float:
    return math.log((new + 0.5) / (old + 0.5))


@dataclass(frozen=True)
class _Join:
    table: str
    back_last: Quarter
    back_value: int
    own_first: Quarter
    own_value: int
    ratio: float  # own / back
    z: float  # the level change in standard deviations of the back series' quarter-to-quarter changes
    trend_back: float  # mean quarter-to-quarter change (log) of the back series' last quarters
    trend_own: float | None  # of the service's first quarters
    trend_z: float | None


def _join(table: str, back: Mapping[Quarter, int], own: Mapping[Quarter, int], own_from: Quarter,
          config: QualityConfig) -> _Join | None:
    """How the first quarter of the service's own figures (``own``) follows the last
    quarter of the back series before it, against the back series' own variation."""
    history = sorted(q for q in back if q < own_from)[-(config.join_history + 1):]
    mine = sorted(q for q in own if q >= own_from)[: config.join_quarters]
    if len(history) < 3 or not mine:
        return None
    changes = [_log_ratio(back[b], back[a]) for a, b in itertools.pairwise(history)
               if a.next() == b]
    if len(changes) < 2:
        return None
    mean = statistics.fmean(changes)
    sd = max(statistics.stdev(changes), 0.02)
    last, first = history[-1], mine[0]
    steps = len(quarters_between(last, first)) - 1  # quarters from the last published to the first own one
    level = _log_ratio(own[first], back[last])
    z = (level - mean * steps) / (sd * math.sqrt(steps))
    own_changes = [_log_ratio(own[b], own[a]) for a, b in itertools.pairwise(mine)]
    trend_own = statistics.fmean(own_changes) if own_changes else None
    trend_z = (trend_own - mean) / (sd / math.sqrt(len(own_changes))) if trend_own is not None else None
    return _Join(table, last, back[last], first, own[first], (own[first] + 0.5) / (back[last] + 0.5), z, mean,
                 trend_own, trend_z)


_JOIN_TITLES = {
    "referrals_by_quarter_age_location": "referrals",
    "rg_decisions": "Reasonable Grounds decisions",
    "cg_decisions": "Conclusive Grounds decisions",
    "duty_to_notify_by_quarter": "Duty to Notify reports",
}


def _join_finding(cid: str, j: _Join, declared: DeclaredBreak | None, config: QualityConfig) -> Finding | None:
    what = _JOIN_TITLES.get(j.table, j.table)
    level = (
        f"{what} go from {j.back_value:,} in {j.back_last.label} (back series) to {j.own_value:,} in "
        f"{j.own_first.label} (this service's own figures), x{j.ratio:.3g}, {abs(j.z):.1f} standard deviations of "
        "the back series' own quarter-to-quarter changes"
    )
    far = abs(j.z) > config.join_z and not (1 / (1 + config.join_min_change) <= j.ratio <= 1 + config.join_min_change)
    trend_off = j.trend_z is not None and abs(j.trend_z) > config.join_z
    if declared is not None:
        return Finding(
            cid,
            f"Declared series break: {level}. Declared by {declared.by}: {declared.reason}",
            dimension="Quarter",
            categories=(j.own_first.label,),
            table_id=j.table,
            severity="pass",
        )
    if far:
        return Finding(
            cid,
            f"The back series and this service's own figures do not join: {level}. Declare a series break "
            f"(--declare-break {j.table}=\"REASON\") if the change is real or a difference in what is counted.",
            dimension="Quarter",
            categories=(j.own_first.label,),
            count=j.own_value,
            table_id=j.table,
            severity="fail",
        )
    if abs(j.z) > config.join_warn_z or trend_off:
        trend = (
            f"; quarter-to-quarter change {math.expm1(j.trend_own):+.0%} in the service's first quarters against "
            f"{math.expm1(j.trend_back):+.0%} in the back series"
            if j.trend_own is not None
            else ""
        )
        return Finding(
            cid,
            f"Check the join: {level}{trend}.",
            dimension="Quarter",
            categories=(j.own_first.label,),
            table_id=j.table,
            severity="warn",
        )
    return None


def check_back_series_join(
    back: BackSeries | None,
    own: Mapping[str, Mapping[Quarter, int]],
    own_from: Quarter,
    config: QualityConfig | None = None,
    *,
    declared: Sequence[DeclaredBreak] = (),
) -> CheckResult:
    """Whether the service's own figures continue the back series: for each table the
    back series covers, the first own quarter (``own_from``) against the last back-series
    quarter before it (level) and the first own quarters' changes against the back
    series' (trend), both measured in standard deviations of the back series' own
    quarter-to-quarter changes. A join that moves too far fails unless a break is
    declared for that table (``declared``, shown as a passing finding)."""
    config = config or QualityConfig()
    cid = "back_series_join"
    title, blocking = CHECKS[cid]
    if back is None:
        return CheckResult(cid, title, "pass", blocking, "No back series imported: nothing to join.")
    by_table = {d.table: d for d in declared}
    findings: list[Finding] = []
    table: list[tuple[Any, ...]] = []
    for table_id in BACK_SERIES_TABLES:
        if table_id not in own or not back.covers(table_id):
            continue
        k = len(BACK_SERIES_TABLES[table_id]) - 1
        j = _join(table_id, _total_series(back.rows(table_id), k), own[table_id], own_from, config)
        if j is None:
            continue
        table.append((table_id, j.back_last.label, j.back_value, j.own_first.label, j.own_value, j.ratio, j.z,
                      j.trend_z, "declared" if table_id in by_table else ""))
        finding = _join_finding(cid, j, by_table.get(table_id), config)
        if finding is not None:
            findings.append(finding)
    severities = {f.severity for f in findings}
    status: Status = "fail" if "fail" in severities else "warn" if "warn" in severities else "pass"
    failing = [f.table_id for f in findings if f.severity == "fail"]
    noted = [f.table_id for f in findings if f.severity == "pass"]
    if not table:
        summary = f"No back-series quarters before {own_from.label} to join this service's own figures to."
    elif failing:
        summary = f"The back series and this service's own figures do not join ({', '.join(map(str, failing))})."
    else:
        summary = f"This service's own figures from {own_from.label} continue the back series" + (
            f", with declared series breaks ({', '.join(map(str, noted))})." if noted else "."
        )
    return CheckResult(cid, title, status, blocking, summary, tuple(findings),
                       ("Table", "Last back-series quarter", "Back series", "First own quarter", "Own figures",
                        "Ratio", "Level z", "Trend z", "Break"), tuple(table))


def own_series(
    con: duckdb.DuckDBPyConnection, period: Period, own_from: Quarter, config: QualityConfig | None = None
) -> dict[str, dict[Quarter, int]]:
    """The service's own all-Total counts of each back-series table in its first
    quarters (``own_from`` on, to the end of ``period``), computed as the tables are."""
    from nrm.analytics import engine
    from nrm.analytics import tables as T

    config = config or QualityConfig()
    if own_from > period.last_quarter:
        return {}
    end = min(own_from.shift(config.join_quarters - 1), period.last_quarter)
    span = parse_period(end.label)
    length = len(quarters_between(own_from, end))
    out: dict[str, dict[Quarter, int]] = {}
    for table_id, columns in BACK_SERIES_TABLES.items():
        if table_id not in T.TABLES_BY_ID:
            continue
        res = engine.compute_table(con, T.TABLES_BY_ID[table_id], span, series_length=length)
        out[table_id] = _total_series(res.rows, len(columns) - 1)
    return out


# ---------------------------------------------------------------------------
# Running the report


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run_checks(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    *,
    files: Mapping[str, Path] | None = None,
    config: QualityConfig | None = None,
    linkage_input: pa.Table | None = None,
    linkage_config: Any = None,
    linkage_model: Mapping[str, Any] | None = None,
    published_decisions: Mapping[tuple[str, str], int] | None = None,
    back: BackSeries | None = None,
    declared_breaks: Sequence[DeclaredBreak] = (),
) -> QualityReport:
    """Every check on a connection with the extract attached (views of
    :func:`nrm.analytics.extract_io.attach`). ``back``: the imported back series, whose
    join with the service's own figures is checked (breaks in ``declared_breaks`` let it
    through)."""
    config = config or QualityConfig()
    unknown = sorted({d.table for d in declared_breaks} - set(BACK_SERIES_TABLES))
    if unknown:
        raise ValueError(
            f"no back-series table {', '.join(unknown)}; a break can be declared in {', '.join(BACK_SERIES_TABLES)}"
        )
    results = [
        check_unknown_exploitation(con, period, config),
        check_category_shift(con, period, config),
        check_impossible_combinations(con, period, config),
        check_late_decisions(con, period, config, published_decisions=published_decisions),
        check_duplicates(
            con, period, config, linkage_input=linkage_input, linkage_config=linkage_config, linkage_model=linkage_model
        ),
    ]
    results.append(_join_check(con, period, config, back, declared_breaks))
    extract = tuple((p.name, _sha256(p)) for p in (files or {}).values())
    return QualityReport(
        period=period.label,
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        extract=extract,
        results=results,
    )


def _join_check(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    config: QualityConfig,
    back: BackSeries | None,
    declared: Sequence[DeclaredBreak],
) -> CheckResult:
    if back is None:
        return check_back_series_join(None, {}, period.first_quarter, config)
    from nrm.analytics.engine import extract_date_range

    first, _last = extract_date_range(con)
    own_from = first_full_quarter(first) if first is not None else period.last_quarter.next()
    return check_back_series_join(back, own_series(con, period, own_from, config), own_from, config, declared=declared)


def run_quality(
    extract_path: str | os.PathLike[str],
    period: Period | str,
    *,
    config: QualityConfig | None = None,
    linkage_input: pa.Table | None = None,
    linkage_config: Any = None,
    linkage_model: Mapping[str, Any] | None = None,
    store: Any = None,
    memory_limit: str = "1500MB",
    back: BackSeries | None = None,
    declared_breaks: Sequence[DeclaredBreak] = (),
) -> QualityReport:
    """The data-quality report for ``period`` from the extract at ``extract_path``.

    ``store`` (a :class:`nrm.analytics.revisions.FiguresStore`) lets the late-decisions check
    compare with the decisions published for earlier quarters. ``back`` (the imported back
    series) is checked to join the service's own figures, unless a break is declared for
    a table in ``declared_breaks``.
    """
    from nrm.analytics import extract_io

    p = parse_period(period) if isinstance(period, str) else period
    published = published_decision_counts(store, p) if store is not None else None
    con = extract_io.connect(memory_limit=memory_limit)
    try:
        files = extract_io.attach(con, extract_path)
        return run_checks(
            con,
            p,
            files=files,
            config=config,
            linkage_input=linkage_input,
            linkage_config=linkage_config,
            linkage_model=linkage_model,
            published_decisions=published,
            back=back,
            declared_breaks=declared_breaks,
        )
    finally:
        con.close()


# ---------------------------------------------------------------------------
# Command line: ``nrm stats quality``


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``nrm stats quality``."""
    parser.add_argument("--period", required=True, help="a quarter such as 2023-Q4, or a year such as 2023")
    parser.add_argument(
        "--source", required=True, metavar="FILE", help="the extract's referrals file, or db: the service's live database"
    )
    parser.add_argument(
        "--linkage-input",
        metavar="FILE",
        default=None,
        help="Parquet file of the live data's identifying fields (nrm.analytics.linkage.LINKAGE_INPUT) for the "
        "duplicate-referrals check",
    )
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=None,
        help="the statistics store, whose published figures the late-decisions check compares with "
        "(default var/stats, or $NRM_VAR_DIR/stats)",
    )
    parser.add_argument("--json", metavar="FILE", default=None, help="also write the report as JSON")
    parser.add_argument(
        "--declare-break",
        action="append",
        type=declared_break_argument,
        default=[],
        metavar="TABLE=REASON",
        help="the service's own figures of TABLE (a back-series table) do not continue the back series: a series "
        "break, marked [b], instead of a failing join (repeatable; needs --by)",
    )
    parser.add_argument("--by", default=None, metavar="NAME", help="who declared the breaks (recorded with them)")


def declared_break_argument(text: str) -> tuple[str, str]:
    """``TABLE=REASON`` of ``--declare-break`` (argparse type)."""
    table, sep, reason = text.partition("=")
    table, reason = table.strip(), reason.strip()
    if not sep or not reason:
        raise argparse.ArgumentTypeError(
            "expected TABLE=REASON (for example cg_decisions=\"The service decides only cases referred to it from "
            f"2019\"), not {text!r}"
        )
    if table not in BACK_SERIES_TABLES:
        raise argparse.ArgumentTypeError(
            f"no back-series table {table!r}; a break can be declared in {', '.join(BACK_SERIES_TABLES)}"
        )
    return table, reason


def declared_breaks(options: argparse.Namespace, err: TextIO, command: str) -> list[DeclaredBreak] | None:
    """The breaks of ``--declare-break`` with ``--by`` (None, after saying so on ``err``, without ``--by``)."""
    pairs = getattr(options, "declare_break", None) or []
    by = (getattr(options, "by", None) or "").strip()
    if pairs and not by:
        err.write(f"{command}: --declare-break needs --by NAME: who decided the figures do not join\n")
        return None
    return [DeclaredBreak(table, reason, by) for table, reason in pairs]


def run_cli(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``nrm stats quality``: print the report; exit status 1 if a blocking check
    failed, 2 for bad arguments. ``options.linkage_table`` (a table with the columns of
    :data:`nrm.analytics.linkage.LINKAGE_INPUT`), if set, is used instead of a file."""
    try:
        period = parse_period(options.period)
    except PeriodError as e:
        err.write(f"nrm stats quality: {e}\n")
        return 2
    linkage_input = getattr(options, "linkage_table", None)
    if linkage_input is None and options.linkage_input:
        import pyarrow.parquet as pq

        linkage_input = pq.read_table(options.linkage_input)
    from nrm.analytics import backseries, storage

    declared = declared_breaks(options, err, "nrm stats quality")
    if declared is None:
        return 2
    root = options.store or storage.default_root()
    store = storage.figures_store(root)
    back = backseries.load(storage.back_series_dir(root))
    from nrm.analytics.extract_io import ExtractError

    try:
        report = run_quality(options.source, period, linkage_input=linkage_input, store=store, back=back,
                             declared_breaks=declared)
    except ExtractError as e:
        err.write(f"nrm stats quality: {e}\n")
        return 2
    out.write(report.to_text())
    if options.json:
        Path(options.json).write_text(report.to_json(), encoding="utf-8")
    if not report.passed:
        out.write(report.how_to_override(f"nrm stats publish --period {period.label} --source {options.source} ...") + "\n")
    return 0 if report.passed else 1
