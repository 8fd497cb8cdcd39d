"""Disclosure control of ad-hoc questions, under the same rules as the publication (ADR 0032).

An answer to a question is one of:

* **published**: the question's population is a cell a publication in the statistics store
  shows; the answer is that cell as published, ``[c]`` included, whatever the data cut says;
* **derived**: the population is a sum of published cells (several periods, several values of
  a published breakdown). If every one is a number, the answer is their sum as published. If
  some are ``[c]``, the exact count is a new relation an analyst could combine with the
  publications and the answers already given to them (:class:`Ledger`): the interval attack
  (:func:`nrm.analytics.protection.attack`) is run with it, and the question is **refused**
  if a protected cell's feasible interval would become narrower than its protection level
  (Dyfed-Powys 2023-Q4: 171 in all and 168 adults and children give away the 3 of unknown age);
* **perturbed**: any other population (not published in any table): the count is perturbed by
  the cell-key method (ONS, Census 2021). Every referral has a record key (0 to 255, from its
  pseudonymised id); a cell's key is the sum of its records' keys modulo 256; the perturbation
  is read from a fixed table (:data:`P_TABLE`) by count and cell key, so the same records
  always give the same answer, and asking again, or in other words, gains nothing;
* **suppressed**: a count from 1 to ``threshold - 1`` (``[c]``).

:func:`resolve` maps a query's population onto published cells; :func:`decide` applies the
rules to a count. Both are pure; the service keeps the ledger (``nrm.stats``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from nrm.analytics import extract_schema as xs
from nrm.analytics import protection
from nrm.analytics.engine import TableResult, Value
from nrm.analytics.periods import Period
from nrm.analytics.protection import CellKey, DimValue, Linked, cell_key
from nrm.analytics.questions import DATE_BASES, FilterValue, Query
from nrm.analytics.tables import TABLES, TableDef

__all__ = [
    "P_TABLE",
    "Control",
    "Decision",
    "Ledger",
    "Published",
    "Relation",
    "decide",
    "perturbation",
    "resolve",
]

SUPPRESSED = protection.SUPPRESSED
KEY_RANGE = 256
UNKNOWN = "Not specified or unknown"
_UNKNOWN_IF_NULL = "coalesce({}, 'Not specified or unknown')"

# The perturbation table: for a count n (counts of 10 or more share the last row) and a cell
# key k, the perturbation is the entry of the row at k. Each row lists (perturbation, how many
# of the 256 keys give it); the perturbations of a row add up to about zero over the keys, so
# a sum of many perturbed answers is unbiased, and no count is ever shown below the threshold.
P_TABLE: Mapping[int, tuple[tuple[int, int], ...]] = {
    5: ((0, 192), (1, 48), (2, 16)),
    6: ((-1, 48), (0, 144), (1, 48), (2, 16)),
    7: ((-2, 16), (-1, 48), (0, 128), (1, 48), (2, 16)),
    8: ((-2, 16), (-1, 48), (0, 128), (1, 48), (2, 16)),
    9: ((-2, 16), (-1, 48), (0, 128), (1, 48), (2, 16)),
    10: ((-2, 16), (-1, 48), (0, 128), (1, 48), (2, 16)),
}
MAX_PERTURBATION = 2


def perturbation(count: int, cell_key: int) -> int:
    """The perturbation of a count of at least 5 with the given cell key (0 to 255)."""
    row = P_TABLE[min(max(count, min(P_TABLE)), max(P_TABLE))]
    k = cell_key % KEY_RANGE
    for delta, width in row:
        if k < width:
            return delta
        k -= width
    raise ValueError("the perturbation table's rows must cover every cell key")  # pragma: no cover


# ---------------------------------------------------------------------------
# The published cells a question can be matched against


@dataclass
class Published:
    """Every cell the statistics store has published, with the relations between them."""

    linked: Linked = field(default_factory=Linked)
    _short: dict[CellKey, CellKey] = field(default_factory=dict)  # key without hierarchy parents -> key
    relations: list[tuple[CellKey, tuple[CellKey, ...]]] = field(default_factory=list)

    @staticmethod
    def of(publications: Iterable[tuple[str, Sequence[TableResult]]]) -> Published:
        """From publications as published: (release label, tables), oldest first."""
        publications = list(publications)
        out = Published(Linked.of(publications))
        for _label, tables in publications:
            for res in tables:
                k = res.n_dims
                out._index(res, [cell_key(res.table, r[:k], res.period) for r in res.rows])
        out.relations = sorted(out.linked.relations)
        return out

    def _index(self, res: TableResult, keys: Sequence[CellKey]) -> None:
        t = res.table
        parents = {d.expr for chain in t.hierarchies for d in t.dimensions if d.name in chain[:-1]}
        if not parents:
            return
        for key in keys:
            population, when, dims = key
            short = tuple(d for d in dims if d[0] not in parents)
            if short != dims:
                self._short.setdefault((population, when, short), key)

    def find(self, key: CellKey) -> CellKey | None:
        """The published key of a population, or None."""
        if key not in self.linked.values:
            key = self._short.get(key, key)
        if key in self.linked.values:
            return key
        return self.linked.versions.get(key)  # shown only by a release whose figures were revised since

    def value(self, key: CellKey) -> Value | None:
        """The published value of a population: a count, ``[c]``, 0 for a combination a table
        would show if it had any cases, or None when no table shows it."""
        found = self.find(key)
        if found is not None:
            return self.linked.values[found]
        return 0 if self.linked.covered(key) else None


# ---------------------------------------------------------------------------
# Matching a query's population to published cells


def _combined(query: Query) -> dict[str, tuple[FilterValue, ...]] | None:
    """The filters of the counted population (denominator and numerator together); None if
    they contradict each other (the count is zero)."""
    out: dict[str, tuple[FilterValue, ...]] = {}
    for f in (*query.denominator, *query.numerator):
        values = tuple(dict.fromkeys(f.values))
        if f.dimension in out:
            values = tuple(v for v in out[f.dimension] if v in values)
            if not values:
                return None
        out[f.dimension] = values
    return out


def _label(t_expr: str, t_label: str, column: str, value: FilterValue) -> str | None:
    """The value a table dimension (``t_expr``, ``t_label``) shows for ``column = value``."""
    if isinstance(value, bool):
        return None
    if t_expr == column and t_label == "{}":
        return value
    if t_expr == column and t_label == _UNKNOWN_IF_NULL:
        return UNKNOWN if value is None else value
    if t_expr.startswith(f"coalesce({column},") and value is not None:
        return value
    if t_expr == column == "nationality" and t_label == "nationality_label({})" and isinstance(value, str) \
            and xs.LIST_SEPARATOR not in value:
        return value  # one nationality alone (the question's default, as published) is shown as itself
    return None


def _column_of(expr: str) -> str:
    return expr[len("coalesce("):].split(",", 1)[0] if expr.startswith("coalesce(") else expr


def _table_keys(t: TableDef, query: Query, filters: Mapping[str, tuple[FilterValue, ...]]) -> list[CellKey] | None:
    """The cells of table ``t``'s population that make up the query's, or None if the table
    cannot express it."""
    date_column = DATE_BASES[query.source][query.date_basis][0]
    # The tables show a nationality alone: with dual nationals it is no published cell.
    if t.source != query.source or (t.date_column or "") != date_column or t.snapshot or (
            query.dual_nationals and "nationality" in filters):
        return None
    shape = protection._shape(t)
    if shape.population[3]:
        return None
    fixed = {e: v for e, _lab, v in shape.fixed}
    if set(fixed) - set(filters) or any(filters[c] != (v,) for c, v in fixed.items()):
        return None  # the table counts only part of the population, or another part
    per_dim: list[list[DimValue]] = []
    for column, values in filters.items():
        if column not in fixed:
            cells = _dim_values(t, column, values)
            if cells is None:
                return None
            per_dim.append(cells)
    whens = _whens(t, query.periods)
    if whens is None:
        return None
    out: list[CellKey] = []
    for when in whens:
        for combo in itertools.product(*per_dim):
            out.append((shape.population, when, tuple(sorted((*shape.fixed, *combo)))))
    return out


def _dim_values(t: TableDef, column: str, values: Sequence[FilterValue]) -> list[DimValue] | None:
    """The cells of the table's one dimension over ``column`` that make up ``values``."""
    dims = [d for d in t.dimensions if d.name != "Quarter" and d.top is None and _column_of(d.expr) == column]
    if len(dims) != 1:
        return None
    d = dims[0]
    labels = [_label(d.expr, d.label, column, v) for v in values]
    if any(lab is None for lab in labels):
        return None
    return [(d.expr, d.label, str(lab)) for lab in dict.fromkeys(labels)]


def _whens(t: TableDef, periods: Sequence[Period]) -> list[str] | None:
    """The period labels of the cells: a time series shows quarters only."""
    labels = list(dict.fromkeys(p.label for p in periods))
    spans = sorted((p.start, p.end) for p in periods)
    for (_a, b), (c, _d) in itertools.pairwise(spans):
        if c <= b:
            return None  # overlapping periods: the query counts a referral once, the cells twice
    if t.time_series and any(not p.is_quarter for p in periods):
        return None
    return labels


@dataclass(frozen=True)
class Resolved:
    """A query's population as published cells: the keys and their published values."""

    keys: tuple[CellKey, ...]
    values: tuple[Value, ...]

    @property
    def suppressed(self) -> tuple[CellKey, ...]:
        return tuple(k for k, v in zip(self.keys, self.values, strict=True) if v == SUPPRESSED)

    @property
    def published_sum(self) -> int:
        return sum(v for v in self.values if isinstance(v, int))


def resolve(published: Published, query: Query, tables: Sequence[TableDef] = TABLES) -> Resolved | None:
    """The published cells whose sum is the query's count (the counted population: the
    numerator within the denominator), or None if no table shows them all."""
    filters = _combined(query)
    if filters is None:
        return None
    for t in tables:
        keys = _table_keys(t, query, filters)
        if not keys:
            continue
        found = [published.find(k) or k for k in keys]
        values = [published.value(k) for k in keys]
        if all(v is not None for v in values):
            return Resolved(tuple(dict.fromkeys(found)), tuple(v for v in values if v is not None))
    return None


# ---------------------------------------------------------------------------
# The decision


Method = Literal["published", "derived", "perturbed", "suppressed", "refused"]


@dataclass(frozen=True)
class Relation:
    """An exact count given to an analyst: ``value`` is the sum of the published cells ``members``."""

    value: int
    members: tuple[CellKey, ...]


@dataclass(frozen=True)
class Decision:
    """What to tell the analyst about one count."""

    method: Method
    value: int | None  # None when suppressed or refused
    reason: str
    relation: Relation | None = None  # an exact count over suppressed cells, for the ledger


@dataclass
class Ledger:
    """The exact counts over suppressed cells already given to one analyst."""

    relations: list[Relation] = field(default_factory=list)


def _reach(published: Published, relations: Sequence[RelationRow], start: Iterable[CellKey]) -> list[RelationRow]:
    """The relations linked to the cells ``start`` through cells not published as a number
    (the component the attack on those cells needs; published numbers are constants)."""
    member_of: dict[CellKey, list[int]] = {}
    for i, (total, members) in enumerate(relations):
        for key in (total, *members):
            member_of.setdefault(key, []).append(i)
    seen_cells: set[CellKey] = set()
    seen: set[int] = set()
    todo = [k for k in start if not isinstance(published.value(k), int)]
    while todo:
        key = todo.pop()
        if key in seen_cells:
            continue
        seen_cells.add(key)
        for i in member_of.get(key, ()):
            if i in seen:
                continue
            seen.add(i)
            total, members = relations[i]
            todo.extend(k for k in (total, *members) if k not in seen_cells and not isinstance(
                published.linked.values.get(k, published.value(k)), int))
    return [relations[i] for i in sorted(seen)]


RelationRow = tuple[CellKey, tuple[CellKey, ...]]


def _narrows(published: Published, ledger: Ledger, new: Relation) -> bool:
    """Whether the analyst, knowing the publications, their earlier answers and ``new``,
    could narrow a protected cell below its protection level (or the relations contradict
    each other, the figures having been revised since). Only the cells linked to the new
    relation's are attacked: the others are as protected as they were."""
    full = published.linked
    answers: list[RelationRow] = []
    values = dict(full.values)
    for i, rel in enumerate((*ledger.relations, new)):
        total: CellKey = (("answer", "", False, ()), str(i), ())
        values[total] = rel.value
        answers.append((total, tuple(sorted(rel.members))))
    linked = Linked(values=values, protection=full.protection, _covered=full._covered)
    linked.relations = set(_reach(published, [*published.relations, *answers], new.members))
    need = {k: max(full.protection.get(k, 1), 1) for k in new.members if values.get(k) == SUPPRESSED}
    for _total, members in linked.relations:
        need.update((k, max(full.protection.get(k, 1), 1)) for k in members if values.get(k) == SUPPRESSED)
    for total, _members in linked.relations:
        if values.get(total) == SUPPRESSED:
            need[total] = max(full.protection.get(total, 1), 1)
    linked.values = {k: v for k, v in values.items() if v != SUPPRESSED or k in need}
    try:
        intervals = protection.attack(linked, needed=need)
    except RuntimeError:
        return True
    return any(iv.width < need[k] for k, iv in intervals.items())


def decide(*, published: Published, ledger: Ledger, query: Query, count: int, cell_key: int,
           threshold: int = 5) -> Decision:
    """The answer to give for the query whose true count (in the data cut) is ``count`` and
    whose records' keys add up to ``cell_key``."""
    resolved = resolve(published, query)
    if resolved is not None and len(resolved.keys) == 1:
        v = resolved.values[0]
        if v == SUPPRESSED:
            return Decision("suppressed", None, "the published table shows this figure as [c] to protect "
                            "confidentiality")
        if isinstance(v, int):
            return Decision("published", v, "as published")
    if resolved is not None:
        if not resolved.suppressed:
            return Decision("derived", resolved.published_sum, "the sum of published figures")
        relation = Relation(count, resolved.keys)
        if _narrows(published, ledger, relation):
            return Decision("refused", None, "with the published tables and your earlier answers, this figure "
                            "would reveal a count the publication protects")
        if 0 < count < threshold:
            return Decision("suppressed", None, f"fewer than {threshold}: the figure is withheld to protect "
                            "confidentiality")
        return Decision("derived", count, "a sum of published figures, some of them protected", relation)
    if 0 < count < threshold:
        return Decision("suppressed", None, f"fewer than {threshold}: the figure is withheld to protect "
                        "confidentiality")
    if count == 0:
        return Decision("perturbed", 0, "no records")
    return Decision("perturbed", count + perturbation(count, cell_key),
                    "perturbed by a small amount, the same for the same records every time, to protect "
                    "confidentiality")


@dataclass
class Control:
    """The control of one analyst's question (``questions.answer(..., control=...)``): each
    count is decided against the publications and the analyst's ledger; ``decisions``
    holds what was decided, for the service to add to the ledger."""

    published: Published
    ledger: Ledger
    threshold: int = 5
    decisions: list[Decision] = field(default_factory=list)

    def __call__(self, query: Query, count: int, cell_key: int) -> Decision:
        d = decide(published=self.published, ledger=self.ledger, query=query, count=count, cell_key=cell_key,
                   threshold=self.threshold)
        self.decisions.append(d)
        if d.relation is not None:
            self.ledger.relations.append(d.relation)
        return d

    @property
    def relations(self) -> list[Relation]:
        """The exact counts over protected cells this question gave."""
        return [d.relation for d in self.decisions if d.relation is not None]
