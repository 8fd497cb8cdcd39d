"""Reading, writing and validating analytical extracts.

An extract is up to seven files side by side, CSV or Parquet (the synthetic
generator writes this layout)::

    X.parquet                       referrals (required)
    X_duty_to_notify.parquet        Duty to Notify reports
    X_reviews.parquet               independent reviews
    X_support.parquet               support
    X_disqualifications.parquet     public order disqualification requests
    X_casework.parquet              how each referral was decided
    X_reconsiderations.parquet      requests to reconsider a negative decision

:func:`sibling_paths` finds them, :func:`attach` exposes them to DuckDB as views of the same
names and ``decisions`` (an empty table stands in for a missing sibling), :func:`read_extract` combines them into one
:class:`Extract` of Arrow tables, and :func:`validate` checks
every row against :mod:`nrm.analytics.extract_schema`, naming the row, the column and the
problem. :func:`import_extract` validates and, only if there is no problem, copies
the extract into a directory: an extract with a bad row loads nothing.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from nrm.analytics import extract_schema as xs

__all__ = [
    "Extract",
    "ExtractError",
    "ExtractInvalid",
    "Problem",
    "attach",
    "connect",
    "import_extract",
    "read_extract",
    "read_table",
    "sibling_paths",
    "validate",
    "write_extract",
]

SUFFIXES = (".parquet", ".csv")
SIBLINGS = ("duty_to_notify", "reviews", "support", "disqualifications", "casework", "reconsiderations")
RESERVED_LABELS = ("Total", "Other", "Other nationalities")
DEFAULT_MAX_PROBLEMS = 1000




@dataclass(frozen=True)
class Extract:
    """The tables of an analytical extract, as Arrow tables."""

    referrals: pa.Table
    duty_to_notify: pa.Table
    reviews: pa.Table
    support: pa.Table
    # Public order disqualification requests; empty for extracts made before the table existed.
    disqualifications: pa.Table = field(default_factory=xs.DISQUALIFICATIONS.empty_table)
    # Nation, devolved panel and recorded guidance per referral; empty for extracts made before it.
    casework: pa.Table = field(default_factory=xs.CASEWORK.empty_table)
    # Requests to reconsider a negative RG or CG decision; empty for extracts made before the table existed.
    reconsiderations: pa.Table = field(default_factory=xs.RECONSIDERATIONS.empty_table)

    def tables(self) -> dict[str, pa.Table]:
        return {
            "referrals": self.referrals,
            "duty_to_notify": self.duty_to_notify,
            "reviews": self.reviews,
            "support": self.support,
            "disqualifications": self.disqualifications,
            "casework": self.casework,
            "reconsiderations": self.reconsiderations,
        }


class ExtractError(Exception):
    """The extract cannot be read at all (missing file, unknown format)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an extract.

    ``row`` is the 1-based data row (the header is not counted; in a CSV file without
    line breaks inside values, row N is on line N + 1), or None for a problem with the
    whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ExtractInvalid(ExtractError):
    """Validation found problems; nothing was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        head = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"the extract has {len(problems)} problem(s); nothing was loaded:\n{head}{more}")


# ---------------------------------------------------------------------------
# Files


def _stem_and_suffix(path: Path) -> tuple[Path, str]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ExtractError(f"{path}: an extract is a .parquet or .csv file")
    return path.with_suffix(""), suffix


def sibling_paths(path: str | os.PathLike[str]) -> dict[str, Path]:
    """The files of the extract whose referrals file is ``path``: ``referrals`` always,
    then each of ``duty_to_notify``, ``reviews``, ``support`` that exists (same format)."""
    p = Path(path)
    stem, suffix = _stem_and_suffix(p)
    if not p.is_file():
        raise ExtractError(f"{p}: no such file")
    out = {"referrals": p}
    for name in SIBLINGS:
        sib = stem.parent / f"{stem.name}_{name}{suffix}"
        if sib.is_file():
            out[name] = sib
    return out


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    return "VARCHAR"


def _relation_sql(path: Path, schema: pa.Schema) -> str:
    """SQL reading one extract file with the schema's column names and types."""
    cols = ", ".join(f'CAST("{f.name}" AS {_duck_type(f.type)}) AS "{f.name}"' for f in schema)
    if path.suffix.lower() == ".parquet":
        return f"SELECT {cols} FROM read_parquet({_sql_str(str(path))})"  # noqa: S608
    # A CSV is read by its header's names: columns in another order are read right, and a missing
    # column is an error naming it (``validate`` runs first and lists every problem plainly).
    header = _csv_header(path)
    missing = [f.name for f in schema if f.name not in header]
    if missing:
        raise ExtractError(f"{path.name} has no column {', '.join(missing)}")
    types = {f.name: _duck_type(f.type) for f in schema}
    columns = "{" + ", ".join(f"{_sql_str(name)}: {_sql_str(types.get(name, 'VARCHAR'))}" for name in header) + "}"
    return (
        f"SELECT {cols} FROM read_csv({_sql_str(str(path))}, header = true, auto_detect = false, "  # noqa: S608
        f"delim = ',', quote = '\"', escape = '\"', dateformat = '%Y-%m-%d', columns = {columns})"
    )


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def connect(threads: int | None = None, memory_limit: str = "1500MB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection set up for the statistics engine."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
    tmp = Path(tempfile.gettempdir()) / "nrm-stats-duckdb"
    con.execute(f"SET temp_directory = {_sql_str(str(tmp))}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    _macros(con)
    return con


def _macros(con: duckdb.DuckDBPyConnection) -> None:
    from nrm.analytics.tables import EXPLOITATION_ORDER

    order = "[" + ", ".join(_sql_str(t) for t in EXPLOITATION_ORDER) + "]"
    con.execute(
        "CREATE OR REPLACE MACRO combo_label(l) AS CASE len(l) WHEN 0 THEN 'Not specified or unknown' "
        "WHEN 1 THEN l[1] ELSE array_to_string(l[1:len(l) - 1], ', ') || ' & ' || l[len(l)] END"
    )
    con.execute(
        "CREATE OR REPLACE MACRO exploitation_label(s) AS "
        f"combo_label(list_filter({order}, lambda t: list_contains(string_split(s, ';'), t)))"
    )
    # The extract separates a dual nationality with ';'; the tables join the demonyms with a space.
    con.execute(f"CREATE OR REPLACE MACRO nationality_label(s) AS replace(s, {_sql_str(xs.LIST_SEPARATOR)}, ' ')")
    # The extract holds negative-decision reason codes (several separated by ';'); the tables show their labels.
    labels = reason_labels()
    pairs = ", ".join(f"{_sql_str(code)}: {_sql_str(label)}" for code, label in sorted(labels.items())) or "'': ''"
    con.execute(
        "CREATE OR REPLACE MACRO reason_label(s) AS array_to_string(list_transform("
        f"string_split(s, {_sql_str(xs.LIST_SEPARATOR)}), lambda c: coalesce(MAP {{{pairs}}}[c], c)), '; ')"
    )


REASON_LABELS = Path(__file__).resolve().parents[1] / "reference" / "data" / "negative_decision_reasons.csv"


@functools.cache
def reason_labels(path: Path = REASON_LABELS) -> dict[str, str]:
    """The label of each negative-decision reason code, from the reference data's CSV (read as a
    file: analytics import no Django model). A code the file does not know is shown as it is."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return {row["code"]: row["label"] for row in csv.DictReader(fh) if row.get("code") and row.get("label")}
    except OSError:
        return {}


def attach(
    con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], *, materialise: bool | None = None
) -> dict[str, Path]:
    """Expose the extract at ``path`` to ``con`` as views ``referrals``, ``duty_to_notify``,
    ``reviews``, ``support`` and ``decisions`` (one row per RG or CG decision).

    Parquet files are read in place; CSV files are loaded into tables once (set
    ``materialise`` to choose). Returns the files found.
    """
    files = sibling_paths(path)
    for name, schema in xs.TABLES.items():
        f = files.get(name)
        if f is None:
            cols = ", ".join(f'CAST(NULL AS {_duck_type(fl.type)}) AS "{fl.name}"' for fl in schema)
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {cols} WHERE false")
            continue
        mat = materialise if materialise is not None else f.suffix.lower() == ".csv"
        kind = "TABLE" if mat else "VIEW"
        con.execute(f"DROP VIEW IF EXISTS {name}")
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute(f"CREATE {kind} {name} AS {_relation_sql(f, schema)}")
    common = ("referral_id, referral_date, age_at_exploitation, gender, competent_authority, nationality, "
              "first_responder_type, exploitation_types, region, location_of_exploitation")
    con.execute(
        f"""CREATE OR REPLACE VIEW decisions AS
        SELECT 'Reasonable Grounds' AS stage, {common}, rg_date AS decision_date, rg_outcome AS outcome,
               rg_reason AS reason, date_diff('day', referral_date, rg_date) AS days
        FROM referrals WHERE rg_outcome IS NOT NULL AND rg_date IS NOT NULL
        UNION ALL
        SELECT 'Conclusive Grounds' AS stage, {common}, cg_date AS decision_date, cg_outcome AS outcome,
               cg_reason AS reason, date_diff('day', referral_date, cg_date) AS days
        FROM referrals WHERE cg_outcome IS NOT NULL AND cg_date IS NOT NULL"""  # noqa: S608
    )
    return files


def read_table(path: str | os.PathLike[str], table: str = "referrals") -> pa.Table:
    """One extract file as an Arrow table with the schema's types."""
    schema = xs.TABLES[table]
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        return pq.read_table(p, columns=schema.names).cast(schema)
    con = duckdb.connect(":memory:")
    try:
        table_ = con.sql(_relation_sql(p, schema)).to_arrow_table()
        assert table_ is not None
        return table_.cast(schema)
    finally:
        con.close()


def read_extract(path: str | os.PathLike[str]) -> Extract:
    """Combine the sibling files of an extract into one :class:`Extract` (empty tables
    for missing siblings)."""
    files = sibling_paths(path)
    tables = {
        name: read_table(files[name], name) if name in files else schema.empty_table()
        for name, schema in xs.TABLES.items()
    }
    return Extract(**tables)


def write_extract(extract: Extract, path: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``extract`` in the sibling layout, as Parquet or CSV by ``path``'s suffix.
    Returns the files written."""
    p = Path(path)
    stem, suffix = _stem_and_suffix(p)
    p.parent.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name, t in extract.tables().items():
        target = p if name == "referrals" else stem.parent / f"{stem.name}_{name}{suffix}"
        t = t.cast(xs.TABLES[name])
        if suffix == ".parquet":
            pq.write_table(t, target, compression="zstd")
        else:
            pacsv.write_csv(t, target, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
        out[name] = target
    return out


# ---------------------------------------------------------------------------
# Validation


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(_sql_str(v) for v in values) + ")"


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


@dataclass(frozen=True)
class _Check:
    column: str
    condition: str  # SQL, true when the row is wrong
    message: str  # a template: {name} stands for the value of column ``name``
    show_value: bool = True  # report the column's value with the problem


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_HASH_RE = r"^[0-9a-f]{64}$"


def _message_sql(template: str) -> str:
    """SQL building a message from ``template``, where ``{name}`` is column ``name``'s value."""
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        if m.start() > pos:
            parts.append(_sql_str(template[pos : m.start()]))
        parts.append(f"coalesce(CAST(\"{m.group(1)}\" AS VARCHAR), '')")
        pos = m.end()
    if pos < len(template):
        parts.append(_sql_str(template[pos:]))
    return " || ".join(parts) if parts else "''"


def _date(col: str) -> str:
    return f'TRY_CAST("{col}" AS DATE)'


def _column_checks(schema: pa.Schema) -> list[_Check]:
    checks: list[_Check] = []
    for f in schema:
        c = f'"{f.name}"'
        if not f.nullable:
            checks.append(_Check(f.name, f"{c} IS NULL OR trim({c}) = ''", "missing required value"))
        if pa.types.is_date32(f.type):
            checks.append(
                _Check(
                    f.name,
                    f"{c} IS NOT NULL AND (NOT regexp_matches({c}, '{_DATE_RE}') OR {_date(f.name)} IS NULL)",
                    f"bad date '{{{f.name}}}': expected a date written YYYY-MM-DD",
                )
            )
        if pa.types.is_boolean(f.type):
            checks.append(
                _Check(
                    f.name,
                    f"{c} IS NOT NULL AND lower({c}) NOT IN ('true', 'false', '1', '0')",
                    f"bad value '{{{f.name}}}': expected true or false",
                )
            )
    return checks


def _enum(column: str, values: Iterable[str], *, nullable: bool = False) -> _Check:
    vals = tuple(values)
    c = f'"{column}"'
    cond = f"{c} IS NOT NULL AND {c} NOT IN {_in_list(vals)}"
    if not nullable:
        cond = f"trim(coalesce({c}, '')) <> '' AND " + cond
    return _Check(column, cond, f"'{{{column}}}' is not an allowed value (allowed: {_allowed(vals)})")


def _list_check(column: str, values: Iterable[str]) -> list[_Check]:
    vals = tuple(values)
    c = f'"{column}"'
    parts = f"string_split({c}, '{xs.LIST_SEPARATOR}')"
    present = f"{c} IS NOT NULL AND trim({c}) <> ''"
    return [
        _Check(
            column,
            f"{present} AND len(list_filter({parts}, lambda x: x NOT IN {_in_list(vals)})) > 0",
            f"'{{{column}}}' has a value that is not allowed (allowed, separated by ';': {_allowed(vals)})",
        ),
        _Check(
            column,
            f"{present} AND len(list_distinct({parts})) <> len({parts})",
            f"'{{{column}}}' lists the same type twice",
        ),
        _Check(
            column,
            f"{present} AND len({parts}) > 1 AND list_contains({parts}, 'Not specified or unknown')",
            f"'{{{column}}}' combines 'Not specified or unknown' with known types",
        ),
    ]


def _nationality_check(column: str) -> list[_Check]:
    c = f'"{column}"'
    parts = f"string_split({c}, '{xs.LIST_SEPARATOR}')"
    return [
        _Check(
            column,
            f"{c} IS NOT NULL AND trim({c}) <> '' AND len(list_filter({parts}, lambda x: trim(x) = '')) > 0",
            f"'{{{column}}}' has an empty nationality (a dual nationality is two names separated by ';')",
        ),
        _reserved(column),
    ]


def _reserved(column: str) -> _Check:
    c = f'"{column}"'
    return _Check(column, f"{c} IN {_in_list(RESERVED_LABELS)}", f"'{{{column}}}' is reserved for totals in the tables")


def _pair(a: str, b: str) -> list[_Check]:
    return [
        _Check(b, f'"{a}" IS NOT NULL AND "{b}" IS NULL', f"{b} is missing but {a} is '{{{a}}}'"),
        _Check(a, f'"{b}" IS NOT NULL AND "{a}" IS NULL', f"{a} is missing but {b} is '{{{b}}}'"),
    ]


def _after(later: str, earlier: str) -> _Check:
    """``earlier`` must not be after ``later`` (reported on ``earlier``)."""
    return _Check(
        earlier,
        f"{_date(later)} < {_date(earlier)}",
        f"{earlier} {{{earlier}}} is after {later} {{{later}}}",
    )


def _referral_checks() -> list[_Check]:
    return [
        *_column_checks(xs.REFERRALS),
        _Check(
            "person_id",
            f"person_id IS NOT NULL AND trim(person_id) <> '' AND NOT regexp_matches(person_id, '{_HASH_RE}')",
            "person_id must be the keyed hash (HMAC-SHA256: 64 lowercase hexadecimal characters), "
            "not an identifier or a name",
            show_value=False,
        ),
        _enum("competent_authority", xs.COMPETENT_AUTHORITIES),
        _enum("first_responder_type", xs.FIRST_RESPONDER_TYPES),
        _reserved("first_responder"),
        _enum("age_at_exploitation", xs.AGES),
        _enum("gender", xs.GENDERS),
        *_nationality_check("nationality"),
        *_list_check("exploitation_types", xs.EXPLOITATION_TYPES),
        _enum("location_of_exploitation", xs.LOCATIONS),
        _reserved("police_force"),
        _reserved("region"),
        _enum("rg_outcome", xs.OUTCOMES, nullable=True),
        _enum("cg_outcome", xs.OUTCOMES, nullable=True),
        _enum("status", xs.CASE_STATUSES),
        *_pair("rg_outcome", "rg_date"),
        *_pair("cg_outcome", "cg_date"),
        _Check("region", "police_force IS NOT NULL AND region IS NULL", "region is missing but police_force is set"),
        _Check(
            "police_force", "region IS NOT NULL AND police_force IS NULL", "police_force is missing but region is set"
        ),
        _after("rg_date", "referral_date"),
        _after("cg_date", "rg_date"),
        _after("cg_date", "referral_date"),
        _after("status_date", "referral_date"),
        _Check(
            "rg_reason",
            "rg_reason IS NOT NULL AND coalesce(rg_outcome, '') <> 'Negative'",
            "rg_reason is only for a negative RG decision",
        ),
        _Check(
            "cg_reason",
            "cg_reason IS NOT NULL AND coalesce(cg_outcome, '') <> 'Negative'",
            "cg_reason is only for a negative CG decision",
        ),
        _Check(
            "cg_outcome",
            "cg_outcome IS NOT NULL AND coalesce(rg_outcome, '') <> 'Positive'",
            "a CG decision needs a positive RG decision first",
        ),
        _Check(
            "status",
            "status = 'Awaiting RG' AND rg_outcome IS NOT NULL",
            "status is Awaiting RG but an RG decision is recorded",
        ),
        _Check(
            "status",
            "status = 'Awaiting CG' AND (coalesce(rg_outcome, '') <> 'Positive' OR cg_outcome IS NOT NULL)",
            "status is Awaiting CG but the case has no positive RG decision or already has a CG decision",
        ),
        _Check(
            "status",
            "status = 'Concluded' AND cg_outcome IS NULL AND coalesce(rg_outcome, '') <> 'Negative'",
            "status is Concluded but there is no CG decision or negative RG decision",
        ),
    ]


def _dtn_checks() -> list[_Check]:
    return [
        *_column_checks(xs.DUTY_TO_NOTIFY),
        _enum("first_responder_type", xs.FIRST_RESPONDER_TYPES),
        _reserved("first_responder"),
        _enum("gender", xs.GENDERS),
        *_nationality_check("nationality"),
        _Check(
            "age_band",
            "trim(coalesce(age_band, '')) <> '' AND NOT regexp_matches(age_band, "
            "'^([0-9]+ to [0-9]+|[0-9]+ (and|or) over|Not specified or unknown)$')",
            f"'{{age_band}}' is not an age band (such as {_allowed(xs.DTN_AGE_BANDS)})",
        ),
        *_list_check("exploitation_types", xs.EXPLOITATION_TYPES),
        _enum("location_of_exploitation", xs.LOCATIONS),
        _reserved("police_force"),
    ]


def _review_checks() -> list[_Check]:
    return [
        *_column_checks(xs.REVIEWS),
        _enum("decision_stage", ("RG", "CG")),
        _enum("review_kind", xs.REVIEW_KINDS),
        _enum("outcome", xs.REVIEW_OUTCOMES, nullable=True),
        *_pair("outcome", "outcome_date"),
        _after("outcome_date", "referred_date"),
    ]


def _support_checks() -> list[_Check]:
    return [
        *_column_checks(xs.SUPPORT),
        _enum("kind", xs.SUPPORT_KINDS),
        _enum("provider_type", xs.PROVIDER_TYPES),
        _after("end_date", "start_date"),
    ]


def _disqualification_checks() -> list[_Check]:
    return [
        *_column_checks(xs.DISQUALIFICATIONS),
        _enum("ground", xs.DISQUALIFICATION_GROUNDS),
        _enum("outcome", xs.DISQUALIFICATION_OUTCOMES, nullable=True),
        *_pair("outcome", "outcome_date"),
        _after("outcome_date", "requested_date"),
    ]


def _reconsideration_checks() -> list[_Check]:
    return [
        *_column_checks(xs.RECONSIDERATIONS),
        _enum("stage", xs.RECONSIDERATION_STAGES),
        _enum("outcome", xs.OUTCOMES, nullable=True),
        *_pair("outcome", "outcome_date"),
        _after("outcome_date", "requested_date"),
    ]


def _casework_checks() -> list[_Check]:
    return [*_column_checks(xs.CASEWORK), _enum("nation", xs.NATIONS)]


_CHECKS = {
    "referrals": _referral_checks,
    "duty_to_notify": _dtn_checks,
    "reviews": _review_checks,
    "support": _support_checks,
    "disqualifications": _disqualification_checks,
    "casework": _casework_checks,
    "reconsiderations": _reconsideration_checks,
}
_KEYS = {"referrals": "referral_id", "duty_to_notify": "report_id", "casework": "referral_id"}


def _load_raw(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, schema: pa.Schema
) -> tuple[list[Problem], set[str]]:
    """Load ``path`` as all-VARCHAR table ``raw_<name>`` with its row number ``__row``.
    Returns file-level problems and the columns present."""
    loader = _load_parquet if path.suffix.lower() == ".parquet" else _load_csv
    problems, present, loaded = loader(con, name, path, schema)
    if not loaded:
        return problems, present
    for f in schema:
        if f.name not in present:
            problems.append(Problem(path.name, None, f.name, "missing column"))
    for extra in sorted(present - set(schema.names)):
        problems.append(
            Problem(path.name, None, extra, "unexpected column: an extract holds only the documented columns")
        )
    return problems, present


def _parquet_type_ok(expected: pa.DataType, t: pa.DataType) -> bool:
    """Whether a Parquet column of type ``t`` can be read as the schema's ``expected`` type."""
    text = pa.types.is_string(t) or pa.types.is_large_string(t)
    return bool(
        (pa.types.is_date32(expected) and (pa.types.is_date(t) or text))
        or (pa.types.is_boolean(expected) and pa.types.is_boolean(t))
        or (pa.types.is_string(expected) and (text or pa.types.is_dictionary(t)))
    )


def _load_parquet(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, schema: pa.Schema
) -> tuple[list[Problem], set[str], bool]:
    """Load a Parquet file as ``raw_<name>``: its problems, the columns present and whether it was loaded."""
    label = path.name
    try:
        file_schema = pq.read_schema(path)
    except Exception as e:
        return [Problem(label, None, None, f"cannot read the Parquet file: {e}")], set(), False
    present = set(file_schema.names)
    problems = [
        Problem(label, None, f.name, f"column has type {file_schema.field(f.name).type}; expected {f.type}")
        for f in schema
        if f.name in present and not _parquet_type_ok(f.type, file_schema.field(f.name).type)
    ]
    cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in file_schema.names)
    con.execute(
        f"CREATE TABLE raw_{name} AS SELECT CAST(file_row_number AS BIGINT) + 1 AS __row, {cols} "  # noqa: S608
        f"FROM read_parquet({_sql_str(str(path))}, file_row_number = true)"
    )
    return problems, present, True


def _load_csv(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, schema: pa.Schema
) -> tuple[list[Problem], set[str], bool]:
    """Load a CSV file as ``raw_<name>``: its problems, the columns present and whether it was loaded."""
    label = path.name
    table = f"raw_{name}"
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            names = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        return [Problem(label, None, None, f"cannot read the CSV file: {e}")], set(), False
    if not names:
        return [Problem(label, None, None, "the CSV file is empty: it needs a header row")], set(), False
    present = set(names)
    columns = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    if len(names) != len(present):
        return [Problem(label, None, None, "the header row names a column twice")], present, False
    try:
        con.execute(
            f"CREATE TABLE {table}_0 AS SELECT * FROM read_csv({_sql_str(str(path))}, header = true, "  # noqa: S608
            f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {columns}, "
            "strict_mode = true, store_rejects = true, "
            f"rejects_table = 'rejects_{name}', rejects_scan = 'rejects_scan_{name}')"
        )
    except duckdb.Error as e:
        return [Problem(label, None, None, f"cannot read the CSV file: {str(e).splitlines()[0]}")], present, False
    rejects = con.execute(
        f"SELECT line, column_name, error_type, error_message FROM rejects_{name} ORDER BY line"  # noqa: S608
    ).fetchall()
    if rejects:
        return [
            Problem(label, int(line) - 1, column or None, f"line {line} cannot be read: {message.splitlines()[0]}")
            for line, column, _etype, message in rejects
        ], present, False
    con.execute(f"CREATE TABLE {table} AS SELECT rowid + 1 AS __row, * FROM {table}_0")  # noqa: S608
    con.execute(f"DROP TABLE {table}_0")
    return [], present, True


def _row_problems(con: duckdb.DuckDBPyConnection, name: str, file: Path, max_problems: int) -> list[Problem]:
    """The problems of the rows of loaded table ``raw_<name>``: failed checks, then duplicate keys."""
    problems: list[Problem] = []
    for check in _CHECKS[name]():
        value = f'CAST("{check.column}" AS VARCHAR)' if check.show_value else "NULL"
        sql = (
            f"SELECT __row, {value}, {_message_sql(check.message)} FROM raw_{name} "  # noqa: S608
            f"WHERE {check.condition} ORDER BY __row LIMIT {int(max_problems)}"
        )
        for row, val, message in con.execute(sql).fetchall():
            problems.append(Problem(file.name, int(row), check.column, str(message), val))
    key = _KEYS.get(name)
    if key:
        sql = (
            f"SELECT __row, {key}, first_row FROM (SELECT __row, {key}, "  # noqa: S608
            f"min(__row) OVER (PARTITION BY {key}) AS first_row FROM raw_{name} WHERE {key} IS NOT NULL) "
            f"WHERE __row > first_row ORDER BY __row LIMIT {int(max_problems)}"
        )
        for row, val, first in con.execute(sql).fetchall():
            problems.append(Problem(file.name, int(row), key, f"duplicate {key} '{val}' (first on row {first})", val))
    return problems


def _orphan_problems(
    con: duckdb.DuckDBPyConnection, files: Mapping[str, Path], loaded: set[str], max_problems: int
) -> list[Problem]:
    """Reviews, support, disqualification, casework and reconsideration rows whose referral is not in the
    (loaded) referrals."""
    problems: list[Problem] = []
    if "referrals" not in loaded:
        return problems
    for name in ("reviews", "support", "disqualifications", "casework", "reconsiderations"):
        if name not in loaded:
            continue
        sql = (
            f"SELECT s.__row, s.referral_id FROM raw_{name} s "  # noqa: S608
            "WHERE s.referral_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM raw_referrals r WHERE r.referral_id = s.referral_id) "
            f"ORDER BY s.__row LIMIT {int(max_problems)}"
        )
        for row, val in con.execute(sql).fetchall():
            problems.append(
                Problem(files[name].name, int(row), "referral_id", f"no referral '{val}' in the extract", val)
            )
    return problems


def validate(path: str | os.PathLike[str], *, max_problems: int = DEFAULT_MAX_PROBLEMS) -> list[Problem]:
    """Check an extract (and its sibling files) against the schema.

    Returns the problems found, in file and row order, at most ``max_problems`` of them;
    an empty list means the extract is valid. Each problem names the file, the row, the
    column and what is wrong.
    """
    try:
        files = sibling_paths(path)
    except ExtractError as e:
        return [Problem(Path(path).name, None, None, str(e))]
    con = connect()
    problems: list[Problem] = []
    try:
        loaded: set[str] = set()
        for name, f in files.items():
            file_problems, _present = _load_raw(con, name, f, xs.TABLES[name])
            problems += file_problems
            if file_problems:
                continue  # row checks need every column and readable rows
            loaded.add(name)
            problems += _row_problems(con, name, f, max_problems)
        problems += _orphan_problems(con, files, loaded, max_problems)
    finally:
        con.close()
    order = {f.name: i for i, f in enumerate(files.values())}
    problems.sort(key=lambda p: (order.get(p.file, -1), p.row if p.row is not None else -1, p.column or "", p.message))
    return problems[:max_problems]


def import_extract(
    path: str | os.PathLike[str],
    into: str | os.PathLike[str],
    *,
    name: str = "extract",
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> dict[str, Path]:
    """Validate the extract at ``path`` and, only if it has no problem, write it as
    Parquet in the sibling layout under ``into`` (``<into>/<name>.parquet``, ...).

    Raises :class:`ExtractInvalid` (and writes nothing) if any row is bad.
    """
    problems = validate(path, max_problems=max_problems)
    if problems:
        raise ExtractInvalid(problems)
    extract = read_extract(path)
    dest = Path(into)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=dest))
    try:
        written = write_extract(extract, staging / f"{name}.parquet")
        out: dict[str, Path] = {}
        for table_name, f in written.items():
            target = dest / f.name
            os.replace(f, target)
            out[table_name] = target
        return out
    finally:
        shutil.rmtree(staging, ignore_errors=True)
