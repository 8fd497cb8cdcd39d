"""Answers to parliamentary questions: a count or percentage for any combination of the
extract's dimensions over any span of periods, with disclosure control.

A :class:`Query` names

* a ``measure``: ``count`` or ``percentage``;
* ``denominator`` filters: the population (for a count, they simply narrow it further);
* ``numerator`` filters: the part of the population counted (a percentage is
  numerator / denominator x 100, so the numerator is always within the denominator);
* ``periods``: one or more quarters or years (``2020-Q2``, ``2021``), taken together;
* ``date_basis``: which date puts a referral in a period: ``referral`` (the referral
  date), ``rg`` (the date of the Reasonable Grounds decision) or ``cg`` (the Conclusive
  Grounds decision); Duty to Notify reports use the report date.

A filter is a dimension (a column of the extract, see :func:`dimensions`) and one or
more values, any of which matches. For list columns (``exploitation_types``,
``nationality``) a referral matches if it records any of the values, alone or with
others. ``None`` matches a value not recorded (for example no RG decision yet).

Example, "the percentage of RG decisions on child cases that were positive in Q2 and Q3
2020"::

    Query(
        measure="percentage",
        denominator=(Filter("age_at_exploitation", ("Child (17 or under)",)),),
        numerator=(Filter("rg_outcome", ("Positive",)),),
        periods=(parse_period("2020-Q2"), parse_period("2020-Q3")),
        date_basis="rg",
    )

:func:`validate` checks a query against :mod:`nrm.analytics.extract_schema`;
:func:`compile_query` turns it into one parameterised DuckDB statement (dimension names
come only from the schema; every value is a bound parameter, never pasted into the SQL);
:func:`answer` runs it on an extract and returns an :class:`Answer` with the value, how
it was computed, the data cut it came from and the disclosure control applied. Errors are
:class:`QueryError` subclasses with a message fit to show the person who asked.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

import duckdb
import pyarrow as pa

from nrm.analytics import extract_schema as xs
from nrm.analytics.periods import Period, PeriodError, parse_period

__all__ = [
    "DATE_BASES",
    "Answer",
    "DataCut",
    "Dimension",
    "Disclosure",
    "EmptyPeriod",
    "Filter",
    "PeriodNotCovered",
    "Query",
    "QueryError",
    "QuestionRefused",
    "UnknownDimension",
    "UnknownValue",
    "ZeroDenominator",
    "answer",
    "answer_on_connection",
    "compile_query",
    "data_cut",
    "dimensions",
    "parse_periods",
    "validate",
]

Measure = Literal["count", "percentage", "median"]
DateBasis = Literal["referral", "rg", "cg"]
FilterValue = str | bool | None

DATE_BASES: dict[str, dict[str, tuple[str, str]]] = {
    # source -> basis -> (date column, what the date is)
    "referrals": {
        "referral": ("referral_date", "referred"),
        "rg": ("rg_date", "with a Reasonable Grounds decision made"),
        "cg": ("cg_date", "with a Conclusive Grounds decision made"),
    },
    "duty_to_notify": {"referral": ("report_date", "reported")},
}
_DATE_NAMES = {
    "referral_date": "the date of referral",
    "rg_date": "the date of the Reasonable Grounds decision",
    "cg_date": "the date of the Conclusive Grounds decision",
    "report_date": "the date of the report",
}
_NOUN = {"referrals": "referrals", "duty_to_notify": "Duty to Notify reports"}
# Each record's key (0 to KEY_RANGE - 1) for cell-key perturbation is read from its pseudonymised
# id; a cell's key is the sum of its records' keys modulo KEY_RANGE (nrm.analytics.question_control).
RECORD_ID = {"referrals": "referral_id", "duty_to_notify": "report_id"}
KEY_RANGE = 256
# What a median may be of (``median_of``): days from referral to a decision, over the referrals
# with that decision, as the published table ``days_to_decision`` measures them.
MEDIANS: dict[str, tuple[str, str]] = {
    "days_to_rg": ("rg_date", "days from referral to the Reasonable Grounds decision"),
    "days_to_cg": ("cg_date", "days from referral to the Conclusive Grounds decision"),
}
# A median of fewer records than this is withheld: it is close to one person's own figure.
MEDIAN_MIN_RECORDS = 10

# ---------------------------------------------------------------------------
# Errors


class QueryError(ValueError):
    """A query that cannot be answered; ``field`` names the part of the query at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, str | None]:
        return {"error": type(self).__name__, "field": self.field, "message": self.message}


class UnknownDimension(QueryError):
    """A filter on a dimension the extract does not have."""


class UnknownValue(QueryError):
    """A filter value a dimension cannot take."""


class EmptyPeriod(QueryError):
    """No period given, or a span that ends before it starts."""


class PeriodNotCovered(QueryError):
    """The data do not cover any of the periods asked about."""


class ZeroDenominator(QueryError):
    """A percentage of nothing: the population is empty."""


class QuestionRefused(QueryError):
    """A question whose answer, with what is published and the answers already given, would
    reveal a protected count."""


# ---------------------------------------------------------------------------
# Dimensions (from the extract schema)


@dataclass(frozen=True)
class Dimension:
    """A column of the extract a query may filter on."""

    name: str
    label: str
    kind: Literal["category", "list", "flag"]
    values: tuple[str, ...] = ()  # allowed values; empty = any recorded value
    nullable: bool = False

    def describe(self, value: FilterValue) -> str:
        if value is None:
            return f"no {self.label.lower()} recorded"
        if self.kind == "flag":
            return f"{self.label.lower()}: {'yes' if value else 'no'}"
        return f"{self.label.lower()} '{value}'"


_LABELS = {
    "competent_authority": "Competent authority",
    "first_responder_type": "First responder type",
    "first_responder": "First responder",
    "age_at_exploitation": "Age at exploitation",
    "gender": "Gender",
    "nationality": "Nationality",
    "exploitation_types": "Exploitation type",
    "location_of_exploitation": "Location of exploitation",
    "police_force": "Police force area",
    "region": "Region",
    "county_lines": "County lines",
    "rg_outcome": "Reasonable Grounds outcome",
    "rg_reason": "Reasonable Grounds negative reason",
    "cg_outcome": "Conclusive Grounds outcome",
    "cg_reason": "Conclusive Grounds negative reason",
    "status": "Case status",
    "age_band": "Age band",
}
_VALUES: dict[str, tuple[str, ...]] = {
    "competent_authority": xs.COMPETENT_AUTHORITIES,
    "first_responder_type": xs.FIRST_RESPONDER_TYPES,
    "age_at_exploitation": xs.AGES,
    "gender": xs.GENDERS,
    "exploitation_types": xs.EXPLOITATION_TYPES,
    "location_of_exploitation": xs.LOCATIONS,
    "rg_outcome": xs.OUTCOMES,
    "cg_outcome": xs.OUTCOMES,
    "status": xs.CASE_STATUSES,
}
_LISTS = ("exploitation_types", "nationality")
_NOT_DIMENSIONS = ("referral_id", "person_id", "report_id")


def dimensions(source: str = "referrals") -> dict[str, Dimension]:
    """The dimensions of ``source`` (``referrals`` or ``duty_to_notify``): every text or
    true/false column of the extract schema except identifiers."""
    if source not in DATE_BASES:
        raise QueryError(f"unknown source {source!r}; sources are {', '.join(DATE_BASES)}", field="source")
    out: dict[str, Dimension] = {}
    for f in xs.TABLES[source]:
        if f.name in _NOT_DIMENSIONS or pa.types.is_date32(f.type):
            continue
        if pa.types.is_boolean(f.type):
            kind: Literal["category", "list", "flag"] = "flag"
        elif f.name in _LISTS:
            kind = "list"
        else:
            kind = "category"
        out[f.name] = Dimension(
            name=f.name,
            label=_LABELS.get(f.name, f.name.replace("_", " ").capitalize()),
            kind=kind,
            values=_VALUES.get(f.name, ()),
            nullable=f.nullable,
        )
    return out


# ---------------------------------------------------------------------------
# The query


@dataclass(frozen=True)
class Filter:
    """Rows whose ``dimension`` takes any of ``values``."""

    dimension: str
    values: tuple[FilterValue, ...]

    @staticmethod
    def of(dimension: str, values: FilterValue | Iterable[FilterValue]) -> Filter:
        if values is None or isinstance(values, (str, bool)):
            return Filter(dimension, (values,))
        return Filter(dimension, tuple(values))


@dataclass(frozen=True)
class Query:
    """A parliamentary-question query (see the module documentation)."""

    measure: Measure = "count"
    numerator: tuple[Filter, ...] = ()
    denominator: tuple[Filter, ...] = ()
    periods: tuple[Period, ...] = ()
    date_basis: DateBasis = "referral"
    source: str = "referrals"
    # A nationality filter counts, by default, people with that nationality alone, as the published
    # tables do (a dual national is shown under the pair, 'Albanian Greek'); with ``dual_nationals``
    # it counts everyone with that nationality, alone or with another.
    dual_nationals: bool = False
    median_of: str | None = None  # for measure "median": a key of MEDIANS
    by: str | None = None  # a count broken down by this dimension: one answer per value, with the total

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Query:
        """A query from JSON-like data (the API's request body)::

            {"measure": "percentage", "date_basis": "rg",
             "denominator": {"age_at_exploitation": ["Child (17 or under)"]},
             "numerator": {"rg_outcome": "Positive"},
             "periods": ["2020-Q2", "2020-Q3"]}

        ``periods`` may also be one string: ``"2020-Q2, 2020-Q3"`` or a span
        ``"2020-Q2 to 2021-Q1"``. Raises :class:`QueryError` for anything malformed.
        """
        if not isinstance(data, Mapping):
            raise QueryError("the query must be an object with measure, filters and periods")
        known = {"measure", "numerator", "denominator", "periods", "date_basis", "source", "dual_nationals",
                 "median_of", "by"}
        extra = sorted(set(data) - known)
        if extra:
            raise QueryError(
                f"unknown field(s) {', '.join(extra)}; a query has {', '.join(sorted(known))}", field=extra[0]
            )
        measure = data.get("measure", "count")
        if measure not in ("count", "percentage", "median"):
            raise QueryError(f"measure must be 'count', 'percentage' or 'median', not {measure!r}", field="measure")
        median_of = data.get("median_of")
        if median_of is not None and median_of not in MEDIANS:
            raise QueryError(f"median_of must be one of {', '.join(MEDIANS)}", field="median_of")
        basis = data.get("date_basis", "referral")
        if basis not in ("referral", "rg", "cg"):
            raise QueryError(
                f"date_basis must be 'referral', 'rg' or 'cg', not {basis!r}", field="date_basis"
            )
        source = data.get("source", "referrals")
        if not isinstance(source, str):
            raise QueryError("source must be a string", field="source")
        dual = data.get("dual_nationals", False)
        if not isinstance(dual, bool):
            raise QueryError("dual_nationals must be true or false", field="dual_nationals")
        raw_periods = data.get("periods", ())
        if isinstance(raw_periods, str):
            periods = parse_periods(raw_periods)
        elif isinstance(raw_periods, Sequence):
            periods = tuple(p for item in raw_periods for p in parse_periods(str(item)))
        else:
            raise QueryError("periods must be a list of periods such as ['2020-Q2', '2020-Q3']", field="periods")
        return Query(
            measure=measure,
            numerator=_filters(data.get("numerator"), "numerator"),
            denominator=_filters(data.get("denominator"), "denominator"),
            periods=periods,
            date_basis=basis,
            source=source,
            dual_nationals=dual,
            median_of=median_of,
            by=_by(data.get("by")),
        )

    def to_dict(self) -> dict[str, Any]:
        def f(filters: tuple[Filter, ...]) -> dict[str, list[FilterValue]]:
            return {x.dimension: list(x.values) for x in filters}

        return {
            "measure": self.measure,
            "source": self.source,
            "date_basis": self.date_basis,
            "denominator": f(self.denominator),
            "numerator": f(self.numerator),
            "periods": [p.label for p in self.periods],
            "dual_nationals": self.dual_nationals,
            **({"median_of": self.median_of} if self.median_of else {}),
            **({"by": self.by} if self.by else {}),
        }


def _by(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise QueryError("by must be the name of one dimension, like \"police_force\"", field="by")
    return raw


def _filters(raw: Any, where: str) -> tuple[Filter, ...]:
    if raw is None:
        return ()
    return tuple(_filter(dim, values, where) for dim, values in _filter_items(raw, where))


def _filter_items(raw: Any, where: str) -> list[tuple[Any, Any]]:
    """(dimension, values) of filters given as an object of dimension: values or a list of objects."""
    if isinstance(raw, Mapping):
        return list(raw.items())
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise QueryError(f"{where} must be an object of dimension: values", field=where)
    items = []
    for entry in raw:
        if not isinstance(entry, Mapping) or "dimension" not in entry:
            raise QueryError(
                f"each {where} filter must be an object with 'dimension' and 'values'", field=where
            )
        items.append((entry["dimension"], entry.get("values")))
    return items


def _filter(dim: Any, values: Any, where: str) -> Filter:
    if not isinstance(dim, str):
        raise QueryError(f"a dimension name must be a string, not {dim!r}", field=where)
    if values is None or isinstance(values, (str, bool)):
        return Filter(dim, (values,))
    if not isinstance(values, Sequence):
        raise QueryError(f"values of {dim} must be a string or a list of strings", field=f"{where}.{dim}")
    for v in values:
        if v is not None and not isinstance(v, (str, bool)):
            raise QueryError(f"values of {dim} must be strings, not {v!r}", field=f"{where}.{dim}")
    return Filter(dim, tuple(values))


def parse_periods(text: str) -> tuple[Period, ...]:
    """``"2020-Q2"``, ``"2020-Q2, 2020-Q3"``, ``"2019"`` or a span ``"2020-Q2 to 2021-Q1"``
    (every quarter, or year, from the first to the last). Raises :class:`EmptyPeriod`."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise EmptyPeriod("no period given: name at least one quarter (2020-Q2) or year (2020)", field="periods")
    out: list[Period] = []
    for part in parts:
        if " to " in part or ".." in part:
            sep = " to " if " to " in part else ".."
            a, b = (x.strip() for x in part.split(sep, 1))
            first, last = _period(a), _period(b)
            if first.is_quarter != last.is_quarter:
                raise EmptyPeriod(f"a span must run from a quarter to a quarter or a year to a year: {part!r}",
                                  field="periods")
            if last.end < first.start:
                raise EmptyPeriod(f"the span {part!r} ends before it starts", field="periods")
            if first.is_quarter:
                q = first.first_quarter
                while q <= last.last_quarter:
                    out.append(Period(q.year, q.number))
                    q = q.next()
            else:
                out.extend(Period(y) for y in range(first.year, last.year + 1))
        else:
            out.append(_period(part))
    return tuple(out)


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except PeriodError as e:
        raise QueryError(str(e), field="periods") from None


# ---------------------------------------------------------------------------
# Validation and compilation


def validate(query: Query) -> None:
    """Raise a :class:`QueryError` if the query cannot be answered as asked."""
    dims = dimensions(query.source)
    if query.date_basis not in DATE_BASES[query.source]:
        raise QueryError(
            f"{_NOUN[query.source]} can only be counted by their own date (date_basis 'referral')",
            field="date_basis",
        )
    if query.measure not in ("count", "percentage", "median"):
        raise QueryError(f"measure must be 'count', 'percentage' or 'median', not {query.measure!r}", field="measure")
    if (query.measure == "median") != (query.median_of is not None):
        raise QueryError("a median needs median_of (days_to_rg or days_to_cg), and only a median takes it",
                         field="median_of")
    if query.median_of is not None and (query.median_of not in MEDIANS or query.source != "referrals"):
        raise QueryError(f"median_of must be one of {', '.join(MEDIANS)}, over referrals", field="median_of")
    if query.median_of is not None and query.date_basis != query.median_of.removeprefix("days_to_"):
        stage = query.median_of.removeprefix("days_to_")
        raise QueryError(f"a median of {MEDIANS[query.median_of][1]} counts decisions in the period they were made: "
                         f"use date_basis '{stage}'", field="date_basis")
    if not query.periods:
        raise EmptyPeriod("no period given: name at least one quarter (2020-Q2) or year (2020)", field="periods")
    for where, filters in (("denominator", query.denominator), ("numerator", query.numerator)):
        _check_filters(dims, where, filters)
    if query.by is not None:
        _check_by(dims, query)
    if query.measure == "percentage" and not query.numerator:
        raise QueryError(
            "a percentage needs numerator filters: say which part of the population to count", field="numerator"
        )


BY_MOST_VALUES = 60  # a breakdown longer than this is refused: narrow it, or choose another dimension


def _check_by(dims: Mapping[str, Dimension], query: Query) -> None:
    dim = dims.get(str(query.by))
    if dim is None:
        raise UnknownDimension(f"unknown dimension {query.by!r} to break down by; dimensions are "
                               f"{', '.join(sorted(dims))}", field="by")
    if dim.kind == "list":
        raise QueryError(f"{dim.label.lower()} can hold several values for one record, so a breakdown by it would "
                         "count records more than once: filter on each value instead", field="by")
    if query.measure != "count":
        raise QueryError("a breakdown (by) is given for counts", field="by")
    if any(f.dimension == query.by for f in (*query.denominator, *query.numerator)):
        raise QueryError(f"{query.by} is both a filter and the breakdown: use one or the other", field="by")


def _check_filters(dims: Mapping[str, Dimension], where: str, filters: tuple[Filter, ...]) -> None:
    seen: set[str] = set()
    for f in filters:
        dim = dims.get(f.dimension)
        if dim is None:
            raise UnknownDimension(
                f"unknown dimension {f.dimension!r}; dimensions are {', '.join(sorted(dims))}",
                field=f"{where}.{f.dimension}",
            )
        if f.dimension in seen:
            raise QueryError(f"{f.dimension} is filtered twice in the {where}", field=f"{where}.{f.dimension}")
        seen.add(f.dimension)
        if not f.values:
            raise UnknownValue(f"no value given for {f.dimension}", field=f"{where}.{f.dimension}")
        for v in f.values:
            _check_value(dim, v, f"{where}.{f.dimension}")


def _closest(value: str, known: Iterable[str]) -> str:
    """" Did you mean 'A' or 'B'?" for the known values nearest ``value`` (case aside), else ""."""
    by_fold = {k.casefold(): k for k in known}
    near = difflib.get_close_matches(value.casefold(), list(by_fold), n=3, cutoff=0.6)
    if not near:
        return ""
    names = [repr(by_fold[n]) for n in near]
    return " Did you mean " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]) + "?"


# Dimensions whose values are not a fixed list: the reference data name the values they may take
# (``nrm/reference/data``); the extract may also hold values recorded before the reference data
# listed them. A value in neither is refused with the nearest known ones, never answered as 0.
_REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference" / "data"


@cache
def _reference_values(dimension: str) -> frozenset[str]:
    """The values the reference data name for ``dimension``, read once per process."""
    def column(file: str, name: str) -> set[str]:
        path = _REFERENCE_DIR / file
        if not path.exists():
            return set()
        with path.open(newline="", encoding="utf-8") as f:
            return {row[name] for row in csv.DictReader(f) if row.get(name)}

    if dimension == "nationality":
        return frozenset(column("countries.csv", "demonym") | {"Unknown", "Not specified or unknown"})
    if dimension == "police_force":
        return frozenset(column("police_forces.csv", "name"))
    if dimension == "region":
        return frozenset(column("police_forces.csv", "region"))
    return frozenset()


def check_known_values(con: duckdb.DuckDBPyConnection, query: Query) -> None:
    """Refuse a filter value of an open dimension (nationality, police force, first responder...)
    that neither the reference data nor the extract knows, naming the closest known values: a
    misspelt value would otherwise count nothing and look like an answer."""
    dims = dimensions(query.source)
    for where, filters in (("denominator", query.denominator), ("numerator", query.numerator)):
        for f in filters:
            dim = dims[f.dimension]
            if dim.values or dim.kind == "flag":
                continue
            asked = {v for v in f.values if isinstance(v, str)}
            if not asked:
                continue
            known = set(_reference_values(dim.name))
            if not asked <= known:
                column = f'"{dim.name}"'
                # column and table come from the extract schema (``dimensions``), never the query's text
                recorded = (f"SELECT DISTINCT unnest(string_split({column}, ?)) FROM {query.source}"  # noqa: S608
                            if dim.kind == "list" else f"SELECT DISTINCT {column} FROM {query.source}")  # noqa: S608
                params = [xs.LIST_SEPARATOR] if dim.kind == "list" else []
                known |= {str(r[0]) for r in con.execute(recorded, params).fetchall() if r[0] is not None}
            for value in sorted(asked - known):
                raise UnknownValue(f"{value!r} is not a known value of {dim.name}.{_closest(value, known)}",
                                   field=f"{where}.{f.dimension}")


def _check_value(dim: Dimension, value: FilterValue, field_name: str) -> None:
    if value is None:
        if not dim.nullable:
            raise UnknownValue(f"{dim.name} is always recorded, so it cannot be 'not recorded'", field=field_name)
        return
    if dim.kind == "flag":
        if not isinstance(value, bool):
            raise UnknownValue(f"{dim.name} is true or false, not {value!r}", field=field_name)
        return
    if not isinstance(value, str) or not value.strip():
        raise UnknownValue(f"values of {dim.name} are non-empty strings, not {value!r}", field=field_name)
    if dim.values and value not in dim.values:
        raise UnknownValue(
            f"{value!r} is not a value of {dim.name}.{_closest(value, dim.values)} "
            f"Values are {', '.join(repr(v) for v in dim.values)}",
            field=field_name,
        )


@dataclass(frozen=True)
class CompiledQuery:
    """One parameterised statement returning (numerator, denominator)."""

    sql: str
    parameters: tuple[Any, ...]
    description: str


def _merged_ranges(periods: Iterable[Period]) -> list[tuple[date, date]]:
    spans = sorted((p.start, p.end) for p in periods)
    out: list[tuple[date, date]] = []
    for start, end in spans:
        if out and start <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _alone(dim: Dimension, query: Query) -> bool:
    """Whether a list dimension's filter matches the value alone (nationality, by default: the
    published definition) rather than alone or with others."""
    return dim.name == "nationality" and not query.dual_nationals


def _condition(dim: Dimension, values: tuple[FilterValue, ...], params: list[Any], *, alone: bool = False) -> str:
    col = f'"{dim.name}"'  # a schema column name, never user text
    parts: list[str] = []
    present = [v for v in values if v is not None]
    if dim.kind == "flag":
        for v in present:
            parts.append(f"{col} = ?")
            params.append(bool(v))
    elif dim.kind == "list" and alone and present:
        parts.append(f"{col} IN ({', '.join('?' for _ in present)})")
        params.extend(present)
    elif dim.kind == "list":
        for v in present:
            parts.append(f"list_contains(string_split({col}, '{xs.LIST_SEPARATOR}'), ?)")
            params.append(v)
    elif present:
        parts.append(f"{col} IN ({', '.join('?' for _ in present)})")
        params.extend(present)
    if any(v is None for v in values):
        parts.append(f"{col} IS NULL")
    return "(" + " OR ".join(parts) + ")"


def _describe_filters(filters: Sequence[Filter], dims: Mapping[str, Dimension], query: Query) -> str:
    parts = []
    for f in filters:
        dim = dims[f.dimension]
        options = " or ".join(dim.describe(v) for v in f.values)
        if dim.kind == "list" and _alone(dim, query):
            options += " (that nationality alone, as in the published tables: dual nationals not included)"
        elif dim.kind == "list":
            options += " (alone or with others)"
        parts.append(options)
    return "; ".join(parts)


def compile_query(query: Query) -> CompiledQuery:
    """The SQL for ``query`` (validated first): one statement over the view named by the
    query's source, returning ``numerator`` and ``denominator``."""
    validate(query)
    dims = dimensions(query.source)
    date_col, date_phrase = DATE_BASES[query.source][query.date_basis]
    params: list[Any] = []
    ranges = _merged_ranges(query.periods)
    period_sql = " OR ".join(f'"{date_col}" BETWEEN ? AND ?' for _ in ranges)
    for start, end in ranges:
        params.extend([start, end])
    where = [f"({period_sql})"]
    for f in query.denominator:
        where.append(_condition(dims[f.dimension], f.values, params, alone=_alone(dims[f.dimension], query)))
    decided = MEDIANS[query.median_of][0] if query.median_of is not None else None
    if decided is not None:
        where.append(f'"{decided}" IS NOT NULL')  # a schema column name, never user text
    num_params: list[Any] = []
    num = " AND ".join(_condition(dims[f.dimension], f.values, num_params, alone=_alone(dims[f.dimension], query))
                       for f in query.numerator) or "true"
    key = f"md5_number(\"{RECORD_ID[query.source]}\") % {KEY_RANGE}"
    median_sql = (f", quantile_cont(date_diff('day', referral_date, \"{decided}\"), 0.5) FILTER (WHERE {num}) AS median"
                  if decided is not None else "")
    sql = (
        f"SELECT count(*) FILTER (WHERE {num}) AS numerator, count(*) AS denominator, "  # noqa: S608
        f"coalesce(sum({key}) FILTER (WHERE {num}), 0) % {KEY_RANGE} AS numerator_key, "
        f"coalesce(sum({key}), 0) % {KEY_RANGE} AS denominator_key{median_sql} "
        f"FROM {query.source} WHERE {' AND '.join(where)}"
    )
    # the numerator's parameters come first: they appear first in the statement (twice, three
    # times with a median)
    parameters = tuple(num_params * (3 if median_sql else 2) + params)
    noun = _NOUN[query.source]
    span = ", ".join(p.label for p in query.periods)
    dates = "; ".join(f"{a.isoformat()} to {b.isoformat()}" for a, b in ranges)
    population = f"{noun} {date_phrase} in {span} ({dates}, by {_DATE_NAMES[date_col]})"
    if query.denominator:
        population += f" with {_describe_filters(query.denominator, dims, query)}"
    if query.measure == "median":
        description = f"The median {MEDIANS[str(query.median_of)][1]} of {population}"
        if query.numerator:
            description += f", and with {_describe_filters(query.numerator, dims, query)}"
        description += (" (the middle value; of an even number, the mean of the two middle values), rounded to one "
                        f"decimal place. A median of fewer than {MEDIAN_MIN_RECORDS} is withheld.")
    elif query.measure == "count":
        description = f"The number of {population}"
        if query.numerator:
            description += f", and with {_describe_filters(query.numerator, dims, query)}"
        description += "."
    else:
        description = (
            f"The percentage of {population} that had {_describe_filters(query.numerator, dims, query)}: the number with "
            f"it (numerator) divided by the number of all such {noun} (denominator), times 100, rounded to one "
            "decimal place."
        )
    return CompiledQuery(sql=sql, parameters=parameters, description=description)


# ---------------------------------------------------------------------------
# Answering


@dataclass(frozen=True)
class Disclosure:
    """Disclosure control for answers.

    A count from 1 to ``threshold - 1`` is not given (shown as ``[c]``, "fewer than
    ``threshold``"). A percentage is not given when its numerator or denominator is
    such a count or, with ``complement``, when the rest of the denominator is (98% of 60
    would reveal that 1 case was not counted).
    """

    threshold: int = 5
    complement: bool = True

    def small(self, n: int) -> bool:
        return 0 < n < self.threshold


@dataclass(frozen=True)
class DataCut:
    """The extract an answer came from."""

    files: tuple[tuple[str, str], ...]  # (file name, SHA-256)
    first_referral: date | None
    last_referral: date | None
    extract_date: date | None  # the latest date recorded anywhere in the extract

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [{"file": f, "sha256": h} for f, h in self.files],
            "first_referral": self.first_referral.isoformat() if self.first_referral else None,
            "last_referral": self.last_referral.isoformat() if self.last_referral else None,
            "extract_date": self.extract_date.isoformat() if self.extract_date else None,
        }


@dataclass(frozen=True)
class Answer:
    """The answer to a query.

    When disclosure control applies, ``value``, ``numerator`` and ``denominator`` are
    None and ``display`` is ``[c]``; ``suppression`` says why.
    """

    query: Query
    value: int | float | None
    display: str
    numerator: int | None
    denominator: int | None
    suppressed: bool
    suppression: str | None
    description: str
    sql: str
    parameters: tuple[Any, ...]
    data_cut: DataCut
    notes: tuple[str, ...] = field(default_factory=tuple)
    method: str = "exact"  # with control: published, derived, perturbed or suppressed
    control_note: str | None = None  # how the control arrived at the figure
    breakdown: tuple[tuple[FilterValue, Answer], ...] = ()  # with ``by``: each value's own answer

    @property
    def text(self) -> str:
        """The answer in a sentence."""
        if self.suppressed:
            return f"{self.suppression}. {self.description}"
        return f"{self.display}. {self.description}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query.to_dict(),
            "value": self.value,
            "display": self.display,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "suppressed": self.suppressed,
            "suppression": self.suppression,
            "description": self.description,
            "sql": self.sql,
            "parameters": [p.isoformat() if isinstance(p, date) else p for p in self.parameters],
            "data_cut": self.data_cut.to_dict(),
            "notes": list(self.notes),
            "method": self.method,
            "control_note": self.control_note,
            "breakdown": [{"category": value, "value": row.value, "display": row.display,
                           "suppressed": row.suppressed, "suppression": row.suppression, "method": row.method}
                          for value, row in self.breakdown],
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_cut(con: duckdb.DuckDBPyConnection, files: Mapping[str, Path]) -> DataCut:
    """The data cut of the extract attached to ``con`` (from its ``files``)."""
    first, last, latest = con.execute(
        """SELECT min(referral_date), max(referral_date),
                  greatest(max(referral_date), max(rg_date), max(cg_date), max(status_date))
           FROM referrals"""
    ).fetchall()[0]
    hashes = tuple((p.name, _sha256(p)) for p in files.values())
    return DataCut(files=hashes, first_referral=first, last_referral=last, extract_date=latest)


def _notes(query: Query, cut: DataCut) -> tuple[str, ...]:
    from nrm.analytics.backseries import RECORDING_CHANGE

    notes: list[str] = []
    used = {f.dimension for f in (*query.denominator, *query.numerator)}
    early = any(p.start < RECORDING_CHANGE for p in query.periods)
    if early and ("exploitation_types" in used):
        notes.append(
            "Before 1 October 2019 criminal exploitation was recorded as labour exploitation, so figures for "
            "labour and criminal exploitation before and after that date are not comparable."
        )
    if early and ("age_at_exploitation" in used):
        notes.append("Age 'Not specified or unknown' was recorded only from 1 October 2019.")
    if early and ("nationality" in used):
        notes.append("Dual nationality was recorded only from 1 October 2019.")
    if cut.extract_date is not None:
        partial = [p.label for p in query.periods if p.start <= cut.extract_date < p.end]
        if partial:
            notes.append(
                f"The data cut ends on {cut.extract_date.isoformat()}, part-way through {', '.join(partial)}: "
                "those figures are incomplete."
            )
    if query.date_basis in ("rg", "cg"):
        notes.append("Decisions are counted in the period the decision was made, whatever the date of referral.")
    return tuple(notes)


def answer_on_connection(
    con: duckdb.DuckDBPyConnection,
    query: Query,
    cut: DataCut,
    *,
    disclosure: Disclosure | None = None,
    control: CountControl | None = None,
) -> Answer:
    """Answer ``query`` on a connection with the extract attached (views ``referrals``,
    ``duty_to_notify``; see :func:`nrm.analytics.extract_io.attach`). With ``control``
    (:class:`nrm.analytics.question_control.Control`), every count given passes it."""
    disclosure = disclosure or Disclosure()
    if query.by is not None:
        return _breakdown(con, query, cut, disclosure=disclosure, control=control)
    compiled = compile_query(query)
    check_known_values(con, query)
    if cut.first_referral is not None and cut.extract_date is not None:
        covered = [p for p in query.periods if p.end >= cut.first_referral and p.start <= cut.extract_date]
        if not covered:
            raise PeriodNotCovered(
                f"the data cut covers {cut.first_referral.isoformat()} to {cut.extract_date.isoformat()}; "
                f"it has nothing for {', '.join(p.label for p in query.periods)}",
                field="periods",
            )
    row = con.execute(compiled.sql, list(compiled.parameters)).fetchall()[0]
    numerator, denominator, num_key, den_key = (int(x) for x in row[:4])
    notes = _notes(query, cut)
    if query.measure == "median":
        return _median(query, compiled, cut, notes, control, disclosure, (numerator, num_key), row[4])
    if control is not None:
        return _controlled(query, compiled, cut, notes, control, (numerator, num_key), (denominator, den_key))
    if query.measure == "percentage":
        if denominator == 0:
            raise ZeroDenominator(
                "the denominator is zero: there were no "
                + compiled.description.split("The percentage of ", 1)[-1].split(" that had ", 1)[0]
                + ", so there is no percentage to give",
                field="denominator",
            )
        small = (
            disclosure.small(numerator)
            or disclosure.small(denominator)
            or (disclosure.complement and disclosure.small(denominator - numerator))
        )
        value: int | float | None = round(numerator / denominator * 100.0, 1)
        display = f"{value:.1f}%"
    else:
        small = disclosure.small(numerator)
        value = numerator
        display = f"{numerator:,}"
    if small:
        return Answer(
            query=query,
            value=None,
            display="[c]",
            numerator=None,
            denominator=None,
            suppressed=True,
            suppression=f"fewer than {disclosure.threshold}: the figure is withheld to protect confidentiality"
            if query.measure == "count"
            else f"the percentage rests on a count of fewer than {disclosure.threshold} and is withheld to protect "
            "confidentiality",
            description=compiled.description,
            sql=compiled.sql,
            parameters=compiled.parameters,
            data_cut=cut,
            notes=notes,
        )
    return Answer(
        query=query,
        value=value,
        display=display,
        numerator=numerator,
        denominator=denominator if query.measure == "percentage" else None,
        suppressed=False,
        suppression=None,
        description=compiled.description,
        sql=compiled.sql,
        parameters=compiled.parameters,
        data_cut=cut,
        notes=notes,
    )


class ControlledCount(Protocol):
    """A count as the disclosure control lets it be given."""

    @property
    def method(self) -> str: ...  # published, derived, perturbed, suppressed or refused

    @property
    def value(self) -> int | None: ...

    @property
    def reason(self) -> str: ...


class CountControl(Protocol):
    """Decides how a count may be given: ``(query, true count, cell key) -> ControlledCount``."""

    def __call__(self, query: Query, count: int, cell_key: int) -> ControlledCount: ...


def _withheld(query: Query, compiled: CompiledQuery, cut: DataCut, notes: tuple[str, ...]) -> Answer:
    """The answer with its figure withheld ([c]), before the control says why or gives the figure."""
    return Answer(query=query, value=None, display="[c]", numerator=None, denominator=None, suppressed=True,
                  suppression=None, description=compiled.description, sql=compiled.sql,
                  parameters=compiled.parameters, data_cut=cut, notes=notes, method="suppressed")


def _refuse_if_refused(decided: ControlledCount) -> ControlledCount:
    if decided.method == "refused":
        raise QuestionRefused(f"This question cannot be answered: {decided.reason}.", field="periods")
    return decided


def _controlled(query: Query, compiled: CompiledQuery, cut: DataCut, notes: tuple[str, ...], control: CountControl,
                numerator: tuple[int, int], denominator: tuple[int, int]) -> Answer:
    """The answer with each count decided by ``control`` (a percentage's two counts both)."""
    counted = replace(query, measure="count")  # the same population, dual nationals and all
    decisions = [control(counted, *numerator)]
    if query.measure == "percentage":
        decisions.append(control(replace(counted, numerator=()), *denominator))
    for d in decisions:
        _refuse_if_refused(d)
    method = "perturbed" if any(d.method == "perturbed" for d in decisions) else decisions[0].method
    note = "; ".join(dict.fromkeys(d.reason for d in decisions))
    base = replace(_withheld(query, compiled, cut, notes), control_note=note)
    values = [d.value for d in decisions]
    if any(v is None for v in values):
        return replace(base, suppression=next(d.reason for d in decisions if d.value is None))
    num = values[0] or 0
    if query.measure == "count":
        return replace(base, value=num, display=f"{num:,}", numerator=num, suppressed=False, method=method)
    den = values[1] or 0
    if den == 0:
        raise ZeroDenominator("the denominator is zero, so there is no percentage to give", field="denominator")
    pct = round(min(num, den) / den * 100.0, 1)
    return replace(base, value=pct, display=f"{pct:.1f}%", numerator=num, denominator=den, suppressed=False,
                   method=method)


def _breakdown(con: duckdb.DuckDBPyConnection, query: Query, cut: DataCut, *, disclosure: Disclosure,
               control: CountControl | None) -> Answer:
    """The total, then each value of ``query.by`` recorded in the extract as its own question, in
    order, under the same control: a value whose count would, with the others and the
    publications, reveal a protected count is withheld with the reason (not the whole answer)."""
    validate(query)
    by = str(query.by)
    total = answer_on_connection(con, replace(query, by=None), cut, disclosure=disclosure, control=control)
    column = f'"{by}"'  # a schema column name, never user text
    values: list[FilterValue] = [v for (v,) in con.execute(
        f"SELECT DISTINCT {column} FROM {query.source} ORDER BY {column} NULLS LAST").fetchall()]  # noqa: S608
    if len(values) > BY_MOST_VALUES:
        raise QueryError(f"a breakdown by {by} would have {len(values)} rows (at most {BY_MOST_VALUES}): "
                         "narrow the question or choose a dimension with fewer values", field="by")
    rows: list[tuple[FilterValue, Answer]] = []
    for value in values:
        part = replace(query, by=None, denominator=(*query.denominator, Filter(by, (value,))))
        try:
            rows.append((value, answer_on_connection(con, part, cut, disclosure=disclosure, control=control)))
        except QuestionRefused as exc:
            rows.append((value, replace(total, value=None, display="[c]", numerator=None, denominator=None,
                                        suppressed=True, suppression=exc.message, method="refused",
                                        description=compile_query(part).description)))
    return replace(total, query=query, breakdown=tuple(rows))


def _median(query: Query, compiled: CompiledQuery, cut: DataCut, notes: tuple[str, ...],
            control: CountControl | None, disclosure: Disclosure, count: tuple[int, int],
            median: float | None) -> Answer:
    """A median, given only when the count of records it is taken over may be given (the control
    decides that count as for any question) and is at least MEDIAN_MIN_RECORDS."""
    base = _withheld(query, compiled, cut, notes)
    if control is not None:
        decided = _refuse_if_refused(control(replace(query, measure="count", median_of=None), *count))
        given, method, note = decided.value, decided.method, decided.reason
    else:
        given, method, note = (None if disclosure.small(count[0]) else count[0]), "exact", None
    if given is None:
        return replace(base, control_note=note, suppression=note or (
            f"fewer than {disclosure.threshold} records: the median is withheld to protect confidentiality"))
    if count[0] < MEDIAN_MIN_RECORDS or median is None:
        return replace(base, control_note=note, suppression=(
            f"fewer than {MEDIAN_MIN_RECORDS} records: a median of so few is close to one person's own figure and is "
            "withheld to protect confidentiality"))
    value = round(float(median), 1)
    return replace(base, value=value, display=f"{value:.1f} days", numerator=given, suppressed=False,
                   method=method, control_note=note)


def answer(
    extract_path: str | os.PathLike[str],
    query: Query | Mapping[str, Any],
    *,
    disclosure: Disclosure | None = None,
    control: CountControl | None = None,
) -> Answer:
    """Answer ``query`` (a :class:`Query` or its JSON form) from the extract at
    ``extract_path``. Raises :class:`QueryError` for a query that cannot be answered."""
    from nrm.analytics import extract_io

    q = query if isinstance(query, Query) else Query.from_dict(query)
    validate(q)
    con = extract_io.connect()
    try:
        files = extract_io.attach(con, extract_path)
        cut = data_cut(con, files)
        return answer_on_connection(con, q, cut, disclosure=disclosure, control=control)
    finally:
        con.close()
