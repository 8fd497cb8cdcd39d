"""Disclosure control across linked tables: the interval attack and consistent suppression.

A published cell is a count of a population: the people (decisions, reports) of a source
in a period that share some dimension values. The same population can appear in several
tables and several releases (the quarter's adults in the quarterly release's age table, in
the annual release's time series and in the police-force table's total row), and the
populations are linked by linear relations an attacker can use:

* each table's totals: a total is the sum of the cells under it;
* the same population in two tables or two releases has one count;
* a year is the sum of its four quarters (for a population a quarter's table would show;
  a combination a quarterly table does not show is zero).

:class:`Linked` collects published tables (this release's, and every release already in
the statistics store) into one set of cells keyed by population (:func:`cell_key`) and
one set of relations. :func:`attack` is the attacker's interval attack: for every
suppressed cell, the least and greatest count consistent with everything published (two
linear programs, HiGHS, per cell, in independent components; cells already
shown to have a wide interval by the vertices of earlier programs are not solved again).
:func:`protect` suppresses the small counts of a release (primary suppression), then
repeats: run the attack, and for every suppressed cell whose feasible interval is
narrower than the protection level suppress the cheapest (smallest) other cell of a
relation it is in, in every table of the release that shows it, until the attack finds
nothing. :func:`audit` reports the attack on a set of publications, table by table.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
from scipy.sparse import csc_matrix

from nrm.analytics import disclosure
from nrm.analytics.engine import TableResult, Value, is_year
from nrm.analytics.periods import Period, parse_period
from nrm.analytics.tables import TABLES_BY_ID, TOTAL, Dimension, DisclosureControl, TableDef, linked_level

__all__ = [
    "Audit",
    "CellKey",
    "InconsistentFigures",
    "Interval",
    "Linked",
    "TableAudit",
    "attack",
    "audit",
    "audit_publications",
    "cell_key",
    "protect",
]

SUPPRESSED = disclosure.SUPPRESSED

# A population: (source, date column, snapshot, other filters), the period (a quarter, a year, or
# "at <date>" for a snapshot) and the sorted (dimension, value) pairs that pick it out.
Population = tuple[str, str, bool, tuple[str, ...]]
DimValue = tuple[str, str, str]  # (expression, label expression, value)
CellKey = tuple[Population, str, tuple[DimValue, ...]]

_SIMPLE_FILTER = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*=\s*'([^']*)'\s*$")
_IDENTITY = "{}"


def _identity(d: Dimension) -> tuple[str, str]:
    return (d.expr, d.label)


@dataclass(frozen=True)
class _Shape:
    """How a table's cells become keys: its population, its filters written as dimensions
    (``stage = 'Reasonable Grounds'`` is the dimension ``stage`` at that value), and which
    dimension is the quarter of a time series."""

    population: Population
    fixed: tuple[DimValue, ...]
    quarter_at: int | None


def _shape(t: TableDef) -> _Shape:
    fixed: list[DimValue] = []
    rest: list[str] = []
    for f in t.filters:
        m = _SIMPLE_FILTER.match(f)
        if m:
            fixed.append((m.group(1), _IDENTITY, m.group(2)))
        else:
            rest.append(f.strip())
    quarter_at = next((i for i, d in enumerate(t.dimensions) if d.name == "Quarter"), None) if t.time_series else None
    return _Shape((t.source, t.date_column or "", t.snapshot, tuple(sorted(rest))), tuple(fixed), quarter_at)


def cell_key(t: TableDef, labels: Sequence[Value], period: Period) -> CellKey:
    """The population a row of table ``t`` published for ``period`` counts."""
    s = _shape(t)
    when = period.label
    dims: list[DimValue] = list(s.fixed)
    for i, (d, v) in enumerate(zip(t.dimensions, labels, strict=False)):
        if i == s.quarter_at:
            when = str(v)
            continue
        if v == TOTAL:
            continue
        value = str(v)
        if d.top is not None and value == d.other:
            # the rest of this period's top values (a time series': its quarters'): its own population
            value = f"{d.other} [{period.label}{' series' if s.quarter_at is not None else ''}]"
        dims.append((d.expr, d.label, value))
    if t.snapshot:
        when = f"at {parse_period(when).end.isoformat()}"
    return (s.population, when, tuple(sorted(dims)))


_SCOPE = "as published in "
HEADLINE_MIN = 20
"""A table's total for a period (the release's, or a quarter of its time series), of at least this
many, is a headline figure: it is suppressed to protect another cell only when no other cell can be
(a release must not hide how many people it counts, nor the quarters it compares them with)."""


def scoped(key: CellKey, release: str) -> CellKey:
    """The cell ``key`` as ``release`` published it: a cell of its own, for a release whose
    figures a later release revised (the true count then may differ from the count now)."""
    population, when, dims = key
    source, date_column, snapshot, filters = population
    return ((source, date_column, snapshot, (*filters, _SCOPE + release)), when, dims)


def _scope_of(key: CellKey) -> str | None:
    filters = key[0][3]
    return filters[-1][len(_SCOPE):] if filters and filters[-1].startswith(_SCOPE) else None


def _unscoped(key: CellKey) -> CellKey:
    """The cell as the latest release publishes it (``key`` itself if it is not :func:`scoped`)."""
    if _scope_of(key) is None:
        return key
    population, when, dims = key
    source, date_column, snapshot, filters = population
    return ((source, date_column, snapshot, filters[:-1]), when, dims)


def _number(v: Value) -> Value:
    """A stored figure as a count (releases stored before figures stayed numbers wrote "12 [r]")."""
    if isinstance(v, str) and v.endswith(" [r]"):
        v = v[:-4]
        return int(v) if v.isdigit() else v
    return v


def _revised(published: Value, latest: Value) -> bool:
    """Whether a number published earlier has a different number now (a ``[c]`` either side
    says nothing about it)."""
    published = _number(published)
    return isinstance(published, int) and isinstance(latest, int) and published != latest


def latest_figures(publications: Iterable[tuple[str, Sequence[TableResult]]],
                   current: Sequence[TableResult] = (), *, public_before: str | None = None
                   ) -> dict[CellKey, Value]:
    """The latest figure of every cell: the last publication's (oldest first) that shows it,
    and for the release being protected (``current``, true counts) its own, except for
    quarters before ``public_before``, which it does not publish; a cell an earlier release
    showed that the release's tables would show if it had any cases, but do not, is 0 now."""
    out: dict[CellKey, Value] = {}
    for _label, tables in publications:
        for res in tables:
            k = res.n_dims
            for r in res.rows:
                out[cell_key(res.table, r[:k], res.period)] = _number(r[k])
    shown = Linked()
    now: set[CellKey] = set()
    for res in current:
        k = res.n_dims
        shown._cover(res.table, res)
        for r in res.rows:
            key = cell_key(res.table, r[:k], res.period)
            if public_before is None or not _before(key[1], public_before):
                out[key] = r[k]
                now.add(key)
    for key in out.keys() - now:  # a combination the release would show if it had any cases has none now
        if (public_before is None or not _before(key[1], public_before)) and shown.covered(key):
            out[key] = 0
    return out


@dataclass(frozen=True)
class CellRef:
    """Where a cell was published: the release, the table and the row."""

    release: str
    table_id: str
    row: int


@dataclass
class Linked:
    """Published cells keyed by population, with the relations between them.

    ``values`` holds the latest published value of each cell (an int or ``[c]``); ``truth``
    the true counts where known (this release's tables before suppression); ``refs`` where
    each cell was published; ``protection`` the protection level each suppressed cell needs
    (the largest threshold of a table that shows it); ``relations`` the linear relations, as
    (total, members): the total's count is the sum of the members' counts.
    """

    values: dict[CellKey, Value] = field(default_factory=dict)
    truth: dict[CellKey, int] = field(default_factory=dict)
    refs: dict[CellKey, list[CellRef]] = field(default_factory=dict)
    protection: dict[CellKey, int] = field(default_factory=dict)
    relations: set[tuple[CellKey, tuple[CellKey, ...]]] = field(default_factory=set)
    current: set[CellKey] = field(default_factory=set)  # cells of the release being protected
    earlier_numbers: set[CellKey] = field(default_factory=set)  # published as numbers by an earlier release
    _covered: dict[tuple[str, Population], set[tuple[tuple[tuple[str, str], ...], tuple[DimValue, ...]]]] = field(
        default_factory=dict
    )
    _covered_memo: dict[CellKey, bool] = field(default_factory=dict)
    unknown: set[CellKey] = field(default_factory=set)  # left out of the release (``add``'s ``public_before``)
    versions: dict[CellKey, CellKey] = field(default_factory=dict)  # a cell -> its latest :func:`scoped` key
    headline: set[CellKey] = field(default_factory=set)  # this release's table totals: suppressed only as a last resort

    def add(self, result: TableResult, release: str, *, current: bool = False,
            control: DisclosureControl | None = None, public_before: str | None = None,
            latest: Mapping[CellKey, Value] | None = None) -> list[CellKey]:
        """Add a table as published in ``release`` (``current``: the release being protected,
        whose ``result`` holds true counts). Returns each row's key. Rows of quarters before
        ``public_before`` (a time series' back series, or quarters the extract does not cover)
        are left out: they are not this release's to protect, and an earlier release may have
        published them otherwise; a cell of them no release shows is a free count.

        With ``latest`` (the latest figure of every cell, :func:`latest_figures`), an earlier
        release that a later one revised keeps its own figures: its suppressed cells and the
        numbers since revised become cells of that release alone (:func:`scoped`), so its
        relations hold as it published them and the later ones as they were published."""
        t = result.table
        control = control or t.disclosure
        k = len(t.dimensions)
        keys = [cell_key(t, r[:k], result.period) for r in result.rows]
        skip = self._left_out(keys, public_before)
        quarter_at = _shape(t).quarter_at
        for i, row in enumerate(result.rows):
            if i in skip:
                continue
            v = _number(row[k])
            key = keys[i]
            if latest is not None and (v == SUPPRESSED or (key in latest and _revised(v, latest[key]))):
                self.versions[key] = scoped(key, release)
                key = keys[i] = self.versions[key]
            self.values[key] = v
            self.refs.setdefault(key, []).append(CellRef(release, t.id, i))
            if current:
                self._current(key, v, headline=all(row[j] == TOTAL for j in range(k) if j != quarter_at))
            elif isinstance(v, int):
                self.earlier_numbers.add(key)
            if control.enabled:
                self.protection[key] = max(self.protection.get(key, 0), control.protection_level)
        for total, members in disclosure.constraint_groups(t, result.rows):
            if total not in skip and not skip.intersection(members):
                self.relations.add((keys[total], tuple(sorted(keys[m] for m in members))))
        self._cover(t, result)
        return keys

    def _current(self, key: CellKey, v: Value, *, headline: bool) -> None:
        """Record a cell of the release being protected (``headline``: a table's total for a period)."""
        self.current.add(key)
        if isinstance(v, int):
            self.truth[key] = v
            if headline and v >= HEADLINE_MIN:
                self.headline.add(key)

    @classmethod
    def of(cls, publications: Iterable[tuple[str, Sequence[TableResult]]], *,
           controls: Mapping[str, DisclosureControl] | None = None, current: Sequence[TableResult] = (),
           release: str = "", public_before: str | None = None) -> Linked:
        """Publications (release, tables as published; oldest first) and the release being
        protected (``current``: its true counts, labelled ``release``), with the year
        relations. An earlier release some figure of which a later one revised keeps its
        suppressed cells and revised figures to itself (:func:`scoped`). If the figures still
        contradict each other (a suppressed count changed since without a published figure
        showing it), every earlier release keeps its suppressed cells to itself."""
        publications = list(publications)
        latest = latest_figures(publications, current, public_before=public_before)
        revised = {label for label, tables in publications
                   if any(_revised(r[res.n_dims], latest[cell_key(res.table, r[:res.n_dims], res.period)])
                          for res in tables for r in res.rows)}
        args = (publications, controls or {}, current, release, public_before, latest)
        linked = cls._of(*args, revised)
        return linked if linked.consistent() else cls._of(*args, {label for label, _t in publications})

    @classmethod
    def _of(cls, publications: Sequence[tuple[str, Sequence[TableResult]]], controls: Mapping[str, DisclosureControl],
            current: Sequence[TableResult], release: str, public_before: str | None,
            latest: Mapping[CellKey, Value], scoped_releases: set[str]) -> Linked:
        """The cells, relations and year relations, the releases in ``scoped_releases`` keeping
        their suppressed cells and revised figures to themselves."""
        linked = cls()
        for label, tables in publications:
            for res in tables:
                linked.add(res, label, control=controls.get(res.table.id),
                           latest=latest if label in scoped_releases else None)
        for res in current:
            linked.add(res, release, current=True, control=controls.get(res.table.id), public_before=public_before)
        linked.add_year_relations()
        return linked

    def _left_out(self, keys: Sequence[CellKey], public_before: str | None) -> set[int]:
        """The rows of quarters before ``public_before``; those no release shows are free counts."""
        if public_before is None:
            return set()
        skip = {i for i, key in enumerate(keys) if _before(key[1], public_before)}
        self.unknown.update(keys[i] for i in skip if keys[i] not in self.values)
        return skip

    def _cover(self, t: TableDef, result: TableResult) -> None:
        """Record which populations the table shows every non-zero combination of."""
        self._covered_memo.clear()
        s = _shape(t)
        from nrm.analytics.engine import grouping_sets

        periods = [q.label for q in result.quarters] if s.quarter_at is not None else [result.period.label]
        # a time series' year shows its total only (and any dimension shown without totals)
        years = sorted({str(r[s.quarter_at]) for r in result.rows if is_year(r[s.quarter_at])}) \
            if s.quarter_at is not None else []
        for gs in grouping_sets(t):
            dims = [t.dimensions[i] for i in gs if i != s.quarter_at]
            if any(d.top is not None for d in dims):
                continue
            sig = (tuple(sorted(_identity(d) for d in dims)), s.fixed)
            for p in [*periods, *(years if not any(d.totals for d in dims) else ())]:
                self._covered.setdefault((p, s.population), set()).add(sig)

    def covered(self, key: CellKey) -> bool:
        """Whether a table published for the key's period would show the key's population if
        it had any cases (so that its absence says it has none)."""
        known = self._covered_memo.get(key)
        if known is None:
            known = self._covered_memo[key] = self._find_cover(key)
        return known

    def _find_cover(self, key: CellKey) -> bool:
        if key in self.unknown:
            return False
        population, when, dims = key
        sigs = self._covered.get((when, population))
        if not sigs:
            return False
        for ident, fixed in sigs:
            fixed_set = set(fixed)
            if not fixed_set <= set(dims):
                continue
            rest = sorted((e, lab) for e, lab, v in dims if (e, lab, v) not in fixed_set)
            if tuple(rest) == ident:
                return True
        return False

    def add_year_relations(self) -> None:
        """A year's count of a population is the sum of its quarters' counts. For a year as an
        earlier, since revised release published it (:func:`scoped`), a quarter is that
        release's own cell, or a number that has not changed since, or a free count."""
        for key in list(self.values):
            population, when, dims = key
            if population[2] or not re.fullmatch(r"[0-9]{4}", when):
                continue
            quarters = [(population, f"{when}-Q{n}", dims) for n in range(1, 5)]
            if not any(q in self.values for q in quarters):
                continue
            members = []
            for q in quarters:
                if q in self.values:
                    members.append(q)
                elif _scope_of(q) is not None:
                    plain = _unscoped(q)
                    members.append(plain if isinstance(self.values.get(plain), int) else q)
                elif q in self.versions or not self.covered(q):
                    members.append(q)  # unknown to the reader (or known only as a release published it): a free count
            self.relations.add((key, tuple(sorted(members))))

    def consistent(self) -> bool:
        """Whether some counts satisfy every published figure and relation."""
        system = _System(self)
        return all(_Component(system.names, comp, rows, system.suppressed).feasible()
                   for comp, rows in system.components() if rows)

    def suppressed(self) -> list[CellKey]:
        return [k for k, v in self.values.items() if v == SUPPRESSED]


@dataclass(frozen=True)
class Interval:
    """The feasible counts of a suppressed cell given everything published (LP bounds,
    rounded inwards to whole numbers); ``high`` is None when unbounded."""

    low: int
    high: int | None

    @property
    def width(self) -> float:
        return math.inf if self.high is None else self.high - self.low

    @property
    def exact(self) -> bool:
        return self.high is not None and self.high <= self.low


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _value(linked: Linked, key: CellKey) -> int | None:
    """The published count of a cell; None if it is suppressed or unknown (absent and
    not shown by any table: a free count), 0 if absent from a table that would show it."""
    v = linked.values.get(key, 0 if linked.covered(key) else None)
    return v if isinstance(v, int) else None


Equation = tuple[list[int], list[float], float]  # variables, coefficients, right-hand side


class _System:
    """The relations of ``linked`` as linear equations over the cells not published as a
    number (suppressed, or free), constants moved to the right-hand side."""

    def __init__(self, linked: Linked) -> None:
        self.var_of: dict[CellKey, int] = {}
        self.names: list[CellKey] = []
        self.suppressed = set(linked.suppressed())
        self.rows: list[Equation] = []
        for total, members in sorted(linked.relations):
            row = self._equation(linked, total, members)
            if row is not None:
                self.rows.append(row)
        for key in self.suppressed:
            self._var(key)

    def _var(self, key: CellKey) -> int:
        if key not in self.var_of:
            self.var_of[key] = len(self.names)
            self.names.append(key)
        return self.var_of[key]

    def _equation(self, linked: Linked, total: CellKey, members: Sequence[CellKey]) -> Equation | None:
        coef: dict[int, float] = {}
        rhs = 0.0
        for key, sign in ((total, -1.0), *((m, 1.0) for m in members)):
            v = _value(linked, key)
            if v is None:
                j = self._var(key)
                coef[j] = coef.get(j, 0.0) + sign
            else:
                rhs -= sign * v
        coef = {j: c for j, c in coef.items() if c != 0.0}
        return (list(coef), list(coef.values()), rhs) if coef else None

    def components(self) -> list[tuple[list[int], list[Equation]]]:
        """Independent sets of variables with their equations."""
        uf = _Union(len(self.names))
        for cols, _c, _r in self.rows:
            for j in cols[1:]:
                uf.join(cols[0], j)
        comps: dict[int, list[int]] = {}
        for j in range(len(self.names)):
            comps.setdefault(uf.find(j), []).append(j)
        rows_of: dict[int, list[Equation]] = {}
        for row in self.rows:
            rows_of.setdefault(uf.find(row[0][0]), []).append(row)
        return [(comp, rows_of.get(root, [])) for root, comp in comps.items()]


def attack(linked: Linked, *, needed: Mapping[CellKey, int] | None = None, probes: int = 8,
           seed: int = 0, focus: set[CellKey] | None = None,
           wide: Set[CellKey] = frozenset()) -> dict[CellKey, Interval]:
    """The interval attack: for every suppressed cell, the least and greatest count (the
    linear-programming relaxation, with every suppressed cell at least 1 and every count at
    least 0) consistent with every published figure and relation in ``linked``.

    With ``needed`` (a protection level per cell), a cell whose interval is shown to be at
    least that wide by the solutions already found is not solved exactly: its interval is
    then a lower estimate of the feasible one (still at least as wide as needed). With
    ``focus``, only the components holding one of those cells are attacked. Cells in ``wide``
    (shown wide enough before only further cells were suppressed, which can only widen an
    interval) are not attacked again."""
    system = _System(linked)
    names = system.names
    rng = np.random.default_rng(seed)
    out: dict[CellKey, Interval] = {}
    for comp, rows in system.components():
        want = [j for j in comp if names[j] in system.suppressed and names[j] not in wide]
        if not want or (focus is not None and not any(names[j] in focus for j in comp)):
            continue
        solver = _Component(names, comp, rows, system.suppressed)
        out.update(solver.intervals(want, needed, probes, rng))
    return out


class InconsistentFigures(RuntimeError):
    """No counts satisfy the published figures and their relations."""


_SETTLED = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kInfeasible)


def _highs_model(a: csc_matrix, b: np.ndarray, lower: np.ndarray) -> highspy.Highs:
    """A HiGHS model of ``a x = b``, ``x >= lower``, with a zero objective to be set."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.zeros(a.shape[1])
    lp.col_lower_ = lower
    lp.col_upper_ = np.full(a.shape[1], highspy.kHighsInf)
    lp.row_lower_ = b
    lp.row_upper_ = b
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # keep the basis from one objective to the next
    h.setOptionValue("threads", 1)  # small programs: one thread, no pool to start
    h.passModel(lp)
    return h


class _Component:
    """One independent set of equations, solved with HiGHS; remembers the range of every
    variable over the solutions found so far."""

    def __init__(self, names: Sequence[CellKey], members: Sequence[int], rows: Sequence[Equation],
                 suppressed: set[CellKey]) -> None:
        self.names = names
        self.local = {j: i for i, j in enumerate(members)}
        self.n = len(members)
        self.bounds = [(1.0 if names[j] in suppressed else 0.0, None) for j in members]
        self.empty = not rows
        data: list[float] = []
        ri: list[int] = []
        ci: list[int] = []
        for r, (cols, coefs, _rhs) in enumerate(rows):
            ri.extend([r] * len(cols))
            ci.extend(self.local[c] for c in cols)
            data.extend(coefs)
        self.lo_seen = np.full(self.n, np.inf)
        self.hi_seen = np.full(self.n, -np.inf)
        self.highs: highspy.Highs | None = None
        if rows:
            a = csc_matrix((data, (ri, ci)), shape=(len(rows), self.n))
            b = np.array([row[2] for row in rows], dtype=np.float64)
            self.highs = _highs_model(a, b, np.array([lo for lo, _hi in self.bounds], dtype=np.float64))

    def solve(self, c: np.ndarray) -> float | None:
        """The least value of ``c . x``; None if unbounded. One HiGHS model per component:
        each new objective starts from the last optimal basis (warm start)."""
        h = self.highs
        if h is None:
            raise RuntimeError("a component without equations has nothing to solve")
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.asarray(c, dtype=np.float64))
        h.run()
        status = h.getModelStatus()
        if status not in _SETTLED:  # a warm start HiGHS could not finish from: solve afresh
            h.clearSolver()
            h.run()
            status = h.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            if status == highspy.HighsModelStatus.kUnboundedOrInfeasible and not self.feasible():
                raise InconsistentFigures("the published figures are inconsistent: no counts satisfy them")
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise InconsistentFigures(f"the published figures are inconsistent: {h.modelStatusToString(status)}")
        x = np.asarray(h.getSolution().col_value)
        np.minimum(self.lo_seen, x, out=self.lo_seen)
        np.maximum(self.hi_seen, x, out=self.hi_seen)
        return float(h.getInfo().objective_function_value)

    def feasible(self) -> bool:
        h = self.highs
        if h is None:
            raise RuntimeError("a component without equations has nothing to solve")
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.zeros(self.n))
        h.run()
        return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def _seen_width(self, j: int) -> float:
        i = self.local[j]
        return float(self.hi_seen[i] - self.lo_seen[i])

    def intervals(self, want: Sequence[int], needed: Mapping[CellKey, int] | None, probes: int,
                  rng: np.random.Generator) -> dict[CellKey, Interval]:
        if self.empty:
            return {self.names[j]: Interval(1, None) for j in want}

        def enough(j: int) -> bool:
            return needed is not None and self._seen_width(j) >= max(needed.get(self.names[j], 1), 1) - 1e-6

        if needed is not None and self.n > 1:
            for _ in range(probes):
                self.solve(rng.normal(size=self.n))
                if all(enough(j) for j in want):
                    break
        out: dict[CellKey, Interval] = {}
        for j in want:
            i = self.local[j]
            if enough(j):
                out[self.names[j]] = Interval(math.ceil(self.lo_seen[i] - 1e-6), math.floor(self.hi_seen[i] + 1e-6))
            else:
                out[self.names[j]] = self.exact(i)
        return out

    def exact(self, i: int) -> Interval:
        objective = np.zeros(self.n)
        objective[i] = 1.0
        low = self.solve(objective)
        objective[i] = -1.0
        high = self.solve(objective)
        lo = 1 if low is None else math.ceil(low - 1e-6)
        return Interval(lo, None if high is None else max(lo, math.floor(-high + 1e-6)))


# ---------------------------------------------------------------------------
# Protection


def _needed(linked: Linked) -> dict[CellKey, int]:
    return {k: linked.protection.get(k, 1) for k in linked.suppressed()}


def _narrow(linked: Linked, intervals: Mapping[CellKey, Interval]) -> list[CellKey]:
    need = _needed(linked)
    return sorted(k for k, iv in intervals.items() if iv.width < need.get(k, 1))


def _candidates(linked: Linked, *, headline: bool = False) -> set[CellKey]:
    """Cells this release may still suppress: its own non-zero cells not published as a
    number by an earlier release; table totals (:data:`HEADLINE_MIN`) only with ``headline``."""
    return {k for k in linked.current
            if isinstance(linked.values.get(k), int) and linked.truth.get(k, 0) > 0 and k not in linked.earlier_numbers
            and (headline or k not in linked.headline)}


def protect(
    results: Sequence[TableResult],
    *,
    release: str,
    earlier: Iterable[tuple[str, Sequence[TableResult]]] = (),
    controls: Mapping[str, DisclosureControl] | None = None,
    public_before: str | None = None,
    max_rounds: int = 200,
) -> tuple[list[TableResult], Linked]:
    """This release's tables (``results``, unsuppressed) with small counts suppressed and
    enough further cells suppressed, consistently across every table of the release and
    with the earlier releases (``earlier``: (release, tables as published) oldest first),
    that the interval attack narrows no suppressed cell below its protection level.

    Quarters before ``public_before`` (a quarter label: the back series, figures published
    by the Home Office) are public as they are. A table whose control has ``secondary``
    off gets primary suppression only. Returns the suppressed tables and the linked cells
    (for the audit)."""
    controls = dict(controls or {})
    earlier = list(earlier)
    linked = Linked.of(earlier, controls=controls, current=results, release=release, public_before=public_before)
    _primary(linked, controls, _previously_suppressed(earlier))
    _secondary_rounds(linked, controls, max_rounds)
    return [_apply(res, linked) for res in results], linked


def _primary(linked: Linked, controls: Mapping[str, DisclosureControl], before: set[CellKey]) -> None:
    """Suppress this release's small counts, and what earlier releases suppressed."""
    for key in linked.current:
        true = linked.truth.get(key)
        if true is None or true <= 0:
            continue
        small = true < _threshold_of(linked, key, controls) and linked.protection.get(key, 0) > 0
        if (small and key not in linked.earlier_numbers) or key in before:
            linked.values[key] = SUPPRESSED


def _secondary_rounds(linked: Linked, controls: Mapping[str, DisclosureControl], max_rounds: int) -> None:
    """Attack, and suppress a further cell beside each cell the attack narrows, until it narrows none."""
    member_of: dict[CellKey, list[tuple[CellKey, tuple[CellKey, ...]]]] = {}
    touched = set(linked.current)
    for rel in linked.relations:
        cells = (rel[0], *rel[1])
        for key in cells:
            member_of.setdefault(key, []).append(rel)
        if any(c in linked.current for c in cells):
            touched.update(cells)
    # earlier releases' cells in no relation with this release's are as protected as they were
    focus = touched
    given = _determined(linked, member_of, _candidates(linked))
    wide: set[CellKey] = set()  # shown wide enough: suppressing more only widens an interval
    for _ in range(max_rounds):
        found = attack(linked, needed=_needed(linked), focus=focus, wide=wide) if linked.suppressed() else {}
        narrow = _narrow(linked, found)
        wide.update(found.keys() - set(narrow))
        narrow = [k for k in narrow if _secondary(linked, k, controls)]
        focus = set(narrow)
        picked = _suppress_beside(linked, narrow, member_of, _candidates(linked) - given)
        if not picked:  # stuck: the last resort is a table's total, better [c] than a cell given away
            picked = _suppress_beside(linked, narrow, member_of, _candidates(linked, headline=True))
        if not picked:
            return  # nothing narrow, or nothing left to suppress: the audit reports what stays narrow
        focus.update(picked)


def _suppress_beside(linked: Linked, narrow: Sequence[CellKey],
                     member_of: Mapping[CellKey, list[tuple[CellKey, tuple[CellKey, ...]]]],
                     allowed: set[CellKey]) -> set[CellKey]:
    """Suppress, for each narrow cell, the cheapest allowed cell beside it; the cells suppressed."""
    picked: set[CellKey] = set()
    for key in narrow:
        pick = _cheapest(linked, key, member_of, allowed)
        if pick is not None:
            linked.values[pick] = SUPPRESSED
            allowed.discard(pick)
            picked.add(pick)
    return picked


def _determined(linked: Linked, member_of: Mapping[CellKey, list[tuple[CellKey, tuple[CellKey, ...]]]],
                allowed: set[CellKey]) -> set[CellKey]:
    """The cells whose count follows from figures published for good (numbers this release
    may not suppress, and counts known to be zero) through the relations: suppressing one of
    them would hide nothing (a table total is suppressed only as a last resort, so the
    difference of two totals is not worth suppressing either)."""
    known = {c for c in member_of if c not in allowed and _value(linked, c) is not None}
    queue = list(known)
    while queue:
        for total, members in member_of.get(queue.pop(), []):
            unknown = [c for c in (total, *members) if c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                queue.append(unknown[0])
    return known & allowed


def _threshold_of(linked: Linked, key: CellKey, controls: Mapping[str, DisclosureControl]) -> int:
    out = 0
    for ref in linked.refs.get(key, []):
        c = controls.get(ref.table_id) or (TABLES_BY_ID[ref.table_id].disclosure if ref.table_id in TABLES_BY_ID
                                            else DisclosureControl())
        if c.enabled:
            out = max(out, c.threshold)
    return out


def _before(when: str, quarter: str) -> bool:
    """Whether a quarter (or a whole year, a time series' year row) ends before ``quarter``."""
    if re.fullmatch(r"[0-9]{4}", when):
        when += "-Q4"
    return bool(re.fullmatch(r"[0-9]{4}-Q[1-4]", when)) and when < quarter


def _secondary(linked: Linked, key: CellKey, controls: Mapping[str, DisclosureControl]) -> bool:
    """Whether a table that shows the cell asks for secondary suppression."""
    for ref in linked.refs.get(key, []):
        c = controls.get(ref.table_id) or (TABLES_BY_ID[ref.table_id].disclosure if ref.table_id in TABLES_BY_ID
                                            else DisclosureControl())
        if c.enabled and c.secondary:
            return True
    return False


def _previously_suppressed(earlier: Iterable[tuple[str, Sequence[TableResult]]]) -> set[CellKey]:
    out: set[CellKey] = set()
    for _label, tables in earlier:
        for res in tables:
            k = res.n_dims
            for r in res.rows:
                if r[k] == SUPPRESSED:
                    out.add(cell_key(res.table, r[:k], res.period))
    return out


def _cheapest(
    linked: Linked,
    key: CellKey,
    member_of: Mapping[CellKey, list[tuple[CellKey, tuple[CellKey, ...]]]],
    allowed: set[CellKey],
    reach: int = 3,
) -> CellKey | None:
    """The cell this release may suppress, in a relation with ``key``, that leaves fewest
    relations with a single suppressed cell (each would need a further suppression), then
    the smallest. If there is none (the relations' other cells are published for good, or
    are table totals, which ``allowed`` leaves out until nothing else can be suppressed), the nearest such cell
    in a relation with a suppressed cell that pins ``key`` down, up to ``reach`` steps away."""
    seen = {key}
    frontier = [key]
    for _ in range(reach):
        best: tuple[int, int, int, CellKey] | None = None
        following: list[CellKey] = []
        for cell in frontier:
            for total, members in member_of.get(cell, []):
                for c in (total, *members):
                    if c in allowed:
                        cand = _cost(linked, c, total, member_of, allowed)
                        if cand is not None and (best is None or cand < best):
                            best = cand
                    elif c not in seen and linked.values.get(c) == SUPPRESSED:
                        seen.add(c)
                        following.append(c)
        if best is not None:
            return best[3]
        frontier = following
    return None


def _cost(linked: Linked, c: CellKey, total: CellKey,
          member_of: Mapping[CellKey, list[tuple[CellKey, tuple[CellKey, ...]]]],
          allowed: set[CellKey]) -> tuple[int, int, int, CellKey] | None:
    """How bad a choice suppressing ``c`` is: the relations it would be alone in, its count,
    whether it is a total; None if a relation whose other cells are all published for good
    would give it away."""
    lonely = 0
    for t2, m2 in member_of.get(c, []):
        others = [x for x in (t2, *m2) if x != c]
        if not any(linked.values.get(x) == SUPPRESSED for x in others):
            lonely += 1
            if not any(x in allowed for x in others):
                return None
    return (lonely, linked.truth.get(c, 0), 1 if c == total else 0, c)


def _apply(res: TableResult, linked: Linked) -> TableResult:
    k = res.n_dims
    rows: list[tuple[Value, ...]] = []
    n = 0
    for r in res.rows:
        key = cell_key(res.table, r[:k], res.period)
        count = r[k]
        if linked.values.get(key) == SUPPRESSED and isinstance(count, int) and count > 0:
            rows.append(r[:k] + tuple(SUPPRESSED for _ in r[k:]))
            n += 1
        else:
            rows.append(r)
    return replace(res, rows=rows, suppressed=n)


# ---------------------------------------------------------------------------
# The audit


@dataclass(frozen=True)
class TableAudit:
    """The interval attack's result for one table of one release."""

    release: str
    table_id: str
    protected: int  # suppressed cells
    exact: int  # cells whose count the attack recovers exactly
    narrow: int  # cells whose feasible interval is narrower than the protection level
    small_exact: int  # of the exact ones, true counts below the threshold (when the truth is known)
    median_width: float | None  # of the bounded intervals


@dataclass(frozen=True)
class Audit:
    """The interval attack on a set of publications."""

    tables: tuple[TableAudit, ...]
    intervals: Mapping[CellKey, Interval]
    protection: Mapping[CellKey, int]

    @property
    def protected(self) -> int:
        return len(self.intervals)

    @property
    def exact(self) -> int:
        return sum(1 for iv in self.intervals.values() if iv.exact)

    @property
    def narrow(self) -> int:
        return sum(1 for k, iv in self.intervals.items() if iv.width < self.protection.get(k, 1))

    @property
    def passed(self) -> bool:
        return self.narrow == 0

    def median_width(self) -> float | None:
        widths = [iv.width for iv in self.intervals.values() if iv.high is not None]
        return float(statistics.median(widths)) if widths else None

    def to_text(self) -> str:
        lines = [f"{'release':<9} {'table':<40} {'[c]':>6} {'exact':>6} {'narrow':>6} {'median width':>12}"]
        for t in self.tables:
            mw = "-" if t.median_width is None else f"{t.median_width:g}"
            lines.append(f"{t.release:<9} {t.table_id:<40} {t.protected:>6} {t.exact:>6} {t.narrow:>6} {mw:>12}")
        lines.append(
            f"{self.protected} suppressed cell(s); {self.exact} recovered exactly; {self.narrow} with a feasible "
            f"interval narrower than the protection level: {'PASS' if self.passed else 'FAIL'}"
        )
        return "\n".join(lines) + "\n"


def audit(linked: Linked, *, releases: Iterable[str] | None = None, exact: bool = False) -> Audit:
    """Run the interval attack on ``linked`` and report per table of each release
    (``releases``: only those). With ``exact`` every suppressed cell's least and greatest
    count is solved; otherwise a cell whose interval is shown to be at least as wide as its
    protection level by solutions already found is not solved further (the counts of exact
    and narrow cells are the same; the widths of the others are lower estimates)."""
    intervals = attack(linked, needed=None if exact else _needed(linked))
    protection = {k: linked.protection.get(k, 1) for k in intervals}
    want = set(releases) if releases is not None else None
    per: dict[tuple[str, str], list[CellKey]] = {}
    for key in intervals:
        for ref in linked.refs.get(key, []):
            if want is None or ref.release in want:
                per.setdefault((ref.release, ref.table_id), []).append(key)
    tables = []
    for (release, table_id), keys in sorted(per.items()):
        keys = list(dict.fromkeys(keys))
        ivs = [intervals[k] for k in keys]
        widths = [iv.width for iv in ivs if iv.high is not None]
        tables.append(TableAudit(
            release=release,
            table_id=table_id,
            protected=len(keys),
            exact=sum(1 for iv in ivs if iv.exact),
            narrow=sum(1 for k, iv in zip(keys, ivs, strict=True) if iv.width < protection[k]),
            small_exact=sum(1 for k, iv in zip(keys, ivs, strict=True)
                            if iv.exact and 0 < linked.truth.get(k, 0) < max(protection[k], 2)),
            median_width=float(statistics.median(widths)) if widths else None,
        ))
    return Audit(tuple(tables), intervals, protection)


def audit_publications(publications: Iterable[tuple[str, Sequence[TableResult]]],
                       controls: Mapping[str, DisclosureControl] | None = None, *, exact: bool = False) -> Audit:
    """The attack on publications as published ((release, tables) oldest first)."""
    return audit(Linked.of(publications, controls=controls), exact=exact)


def results_from_figures(label: str, figures: Iterable[tuple[str, str, tuple[str, ...], str, Value]]) -> list[TableResult]:
    """The count tables of a stored publication (figures: table id, reference period,
    cell, column, value) as :class:`TableResult` rows, for tables this code still defines."""
    period = parse_period(label)
    rows: dict[str, list[tuple[Value, ...]]] = {}
    quarters: dict[str, set[str]] = {}
    for table_id, ref, cell, column, value in figures:
        t = TABLES_BY_ID.get(table_id)
        if t is not None and len(cell) != len(t.dimensions):
            t = linked_level(t)  # published at its coarser level under linked protection
        if t is None or column != t.measure or len(cell) != len(t.dimensions):
            continue
        rows.setdefault(table_id, []).append((*cell, value))
        quarters.setdefault(table_id, set()).add(ref)
    out: list[TableResult] = []
    for table_id, table_rows in rows.items():
        t = TABLES_BY_ID[table_id]
        if len(table_rows[0]) != len(t.dimensions) + 1:
            t = linked_level(t)
        qs = sorted(q for q in quarters[table_id] if re.fullmatch(r"[0-9]{4}-Q[1-4]", q))
        out.append(TableResult(table=t, rows=table_rows, period=period,
                               quarters=[parse_period(q).first_quarter for q in qs] if t.time_series
                               else period.quarters()))
    return out
