"""Probabilistic record linkage of referrals: how many distinct people were referred.

The analytical extract is pseudonymised (no names), so duplicate referrals of the same
person are found "on the live data": the service builds a small table of per-referral
identifying fields (:data:`LINKAGE_INPUT`) from its database, this module links it with
Splink (DuckDB backend) and returns only what statistics need: the pairs of referrals
that are likely the same person, a person cluster for every referral, and the number
of distinct people beside the number of referrals. Nothing identifying leaves
:func:`link_referrals`; the result holds referral ids, cluster ids and probabilities.

The model
---------
* Names are normalised (lower case, accents and anything but letters removed) and a
  forename is also mapped to a canonical form through a small table of variants and
  nicknames (Mohamed / Mohammed / Muhammad, Alex / Alexander, ...).
* Comparisons: forename and surname together (exact with term-frequency adjustment,
  swapped, canonical forename, Jaro-Winkler 0.92 and 0.80, surname only, forename
  only); date of birth (exact, one typing error or day and month swapped, same year of
  birth, same day and month with the year within two (disputed ages), and where the
  date is not known on one side the same or a close year of birth); gender; first nationality (term-frequency adjusted); police force area.
* Blocking: canonical forename and surname; date of birth with the first letter of
  either name; names swapped; surname with year of birth and forename initial;
  forename with year of birth and surname initial.
* Training is unsupervised (no labels exist on live data): the chance that two random
  referrals match from a deterministic rule, u probabilities by random sampling, m
  probabilities for dates of birth from "anchor" pairs (a surname nobody else has, with
  the same forename, nationality and gender), for names, gender and force area by
  expectation maximisation over pairs with the same date of birth; m probabilities are
  then floored (:func:`regularise`). A trained model can
  be saved (:attr:`LinkageResult.model`) and passed back in to skip training.

Test and benchmark data (an identity per ``person_id`` and, for every repeat referral, a copy
with realistic noise) is the synthetic-data generator's ``linkage`` profile
(:mod:`nrm.analytics.synthetic.identities`). :func:`evaluate` measures the linkage against
the truth.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "LINKAGE_INPUT",
    "LinkageConfig",
    "LinkageError",
    "LinkageMetrics",
    "LinkageResult",
    "evaluate",
    "link_referrals",
    "nickname_table",
    "settings",
]

# The per-referral fields the live service provides (one row per referral). Only
# ``referral_id`` and ``referral_date`` are required; every other field may be null.
LINKAGE_INPUT = pa.schema(
    [
        pa.field("referral_id", pa.string(), nullable=False),  # as in the extract
        pa.field("first_name", pa.string(), nullable=True),
        pa.field("surname", pa.string(), nullable=True),
        pa.field("date_of_birth", pa.date32(), nullable=True),
        pa.field("year_of_birth", pa.int32(), nullable=True),  # estimated, where the date is not known
        pa.field("gender", pa.string(), nullable=True),
        pa.field("nationality", pa.string(), nullable=True),  # the first nationality recorded
        pa.field("police_force", pa.string(), nullable=True),
        pa.field("first_responder", pa.string(), nullable=True),
        pa.field("referral_date", pa.date32(), nullable=False),
    ]
)

_UNKNOWN_VALUES = ("Not specified or unknown", "Unknown", "Not known", "")


class LinkageError(ValueError):
    """The linkage input is not usable (missing column, wrong type, duplicate id)."""


@dataclass(frozen=True)
class LinkageConfig:
    """How to run the linkage.

    ``threshold`` is the match probability at or above which two referrals are taken to
    be the same person (and clustered); 0.4 was chosen with ``bench/linkage.py`` (at 1M
    synthetic referrals it finds about 91.5% of repeat referrals with under 3% false
    links; the model's probabilities are conservative because agreement on nationality is
    given no weight). ``predict_floor`` is the lowest probability kept from scoring
    (pairs below it are dropped early to save memory).
    """

    threshold: float = 0.4
    predict_floor: float = 0.1
    u_max_pairs: float = 5e6
    em_max_pairs: float | None = 5e6
    seed: int = 42
    deterministic_recall: float = 0.7
    memory_limit: str = "6GB"
    threads: int | None = None
    temp_directory: str | None = None


@dataclass
class LinkageResult:
    """What the linkage found.

    ``pairs``: ``referral_id_l``, ``referral_id_r``, ``match_probability``,
    ``match_weight`` for every scored pair at or above the configured ``predict_floor``
    (:meth:`linked_pairs` keeps those at or above the threshold).
    ``clusters``: ``referral_id``, ``cluster_id`` for every referral (a referral linked
    to no other is its own cluster).
    """

    pairs: pa.Table
    clusters: pa.Table
    n_referrals: int
    n_people: int
    threshold: float
    model: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    n_comparisons: int = 0

    @property
    def n_likely_duplicates(self) -> int:
        """Referrals beyond the first for each person found (referrals - people)."""
        return self.n_referrals - self.n_people

    def linked_pairs(self, threshold: float | None = None) -> pa.Table:
        """The pairs at or above ``threshold`` (default: the threshold the clusters used)."""
        cut = self.threshold if threshold is None else threshold
        return self.pairs.filter(pc.greater_equal(self.pairs.column("match_probability"), cut))

    @property
    def n_pairs(self) -> int:
        """Linked pairs (at or above the threshold)."""
        return int(self.linked_pairs().num_rows)

    def summary(self) -> str:
        return (
            f"{self.n_referrals:,} referrals of an estimated {self.n_people:,} distinct people "
            f"({self.n_likely_duplicates:,} likely repeat or duplicate referrals; {self.n_pairs:,} linked pairs at "
            f"match probability >= {self.threshold})"
        )


# ---------------------------------------------------------------------------
# Names: normalisation and nicknames

# canonical forename -> variants and nicknames (all normalised: lower case letters only)
NICKNAMES: dict[str, tuple[str, ...]] = {
    "mohammed": ("mohamed", "muhammad", "mohammad", "muhammed", "mohamad", "mohd", "mo", "mahmed"),
    "ahmed": ("ahmad", "ahmet", "ahmedou"),
    "abdullah": ("abdulla", "abdallah"),
    "yusuf": ("yousef", "youssef", "yousuf", "yosef"),
    "ibrahim": ("ebrahim", "ibrahem"),
    "hussein": ("husein", "hussain", "hosein", "hossein"),
    "mustafa": ("mostafa", "mustapha"),
    "omar": ("umar", "omer"),
    "ali": ("aly",),
    "hassan": ("hasan",),
    "alexander": ("alex", "aleksandr", "alexandr", "sasha", "aleksander", "sandu"),
    "michael": ("mike", "mick", "mikhail", "mihai", "michal"),
    "william": ("will", "bill", "billy", "liam"),
    "robert": ("rob", "bob", "bobby", "robbie"),
    "james": ("jim", "jimmy", "jamie"),
    "thomas": ("tom", "tommy", "tomas"),
    "daniel": ("dan", "danny", "daniil"),
    "christopher": ("chris", "kristopher"),
    "joseph": ("joe", "joey", "iosif", "jozef"),
    "john": ("jon", "johnny", "ioan", "jan"),
    "david": ("dave", "davey", "dawit"),
    "samuel": ("sam", "sammy"),
    "benjamin": ("ben", "benny"),
    "matthew": ("matt", "mateusz", "matei"),
    "nicholas": ("nick", "nicolae", "mykola", "nikolai"),
    "anthony": ("tony", "antonio"),
    "andrew": ("andy", "andrei", "andrzej", "andriy"),
    "peter": ("pete", "petru", "piotr", "petro"),
    "stephen": ("steve", "steven", "stefan"),
    "elizabeth": ("liz", "lizzie", "beth", "eliza"),
    "katherine": ("kate", "katie", "kathy", "catherine", "ekaterina", "katarzyna"),
    "margaret": ("maggie", "meg", "peggy"),
    "rebecca": ("becky", "becca"),
    "jessica": ("jess", "jessie"),
    "victoria": ("vicky", "viktoria"),
    "anastasia": ("nastya", "stasia"),
    "maria": ("mariya", "marija", "mary"),
    "nguyen": ("nguyn",),
}


def nickname_table() -> pa.Table:
    """``variant`` -> ``canonical`` forename (normalised), for the linkage's canonical forename."""
    variants: list[str] = []
    canonical: list[str] = []
    for canon, names in NICKNAMES.items():
        for v in names:
            variants.append(v)
            canonical.append(canon)
    return pa.table({"variant": variants, "canonical": canonical})


_NORM = "nullif(regexp_replace(lower(strip_accents(coalesce({}, ''))), '[^a-z]', '', 'g'), '')"
# Vietnamese forenames usually begin with a middle name that marks gender (Van, Thi) and
# says nothing about who the person is: it is left out of the comparison.
_FORENAME = "regexp_replace(strip_accents(trim(first_name)), '^(?i:(van|thi)) +(.+)$', '\\2')"


def _norm(col: str) -> str:
    return _NORM.format(col)


# ---------------------------------------------------------------------------
# The Splink model


def settings() -> Any:
    """The Splink settings (a ``SettingsCreator``) for deduplicating referrals."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on
    from splink.blocking_rule_library import CustomRule

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="Forename and surname",
        comparison_levels=[
            cll.CustomLevel(
                "(first_name_l IS NULL OR first_name_r IS NULL) AND (surname_l IS NULL OR surname_r IS NULL)",
                label_for_charts="Names missing",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("full_name").configure(tf_adjustment_column="full_name", m_probability=0.75),
            cll.ColumnsReversedLevel("first_name", "surname", symmetrical=True).configure(m_probability=0.03),
            cll.And(cll.ExactMatchLevel("forename_canon"), cll.ExactMatchLevel("surname")).configure(
                label_for_charts="Surname and canonical forename (nickname or spelling variant)", m_probability=0.03
            ),
            cll.And(cll.JaroWinklerLevel("first_name", 0.92), cll.JaroWinklerLevel("surname", 0.92)).configure(
                m_probability=0.1
            ),
            cll.And(cll.JaroWinklerLevel("forename_canon", 0.8), cll.JaroWinklerLevel("surname", 0.8)).configure(
                m_probability=0.04
            ),
            cll.ExactMatchLevel("surname").configure(tf_adjustment_column="surname", m_probability=0.02),
            cll.ExactMatchLevel("forename_canon").configure(tf_adjustment_column="forename_canon", m_probability=0.02),
            cll.ElseLevel().configure(m_probability=0.01),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="Date of birth, or year of birth where only that is known",
        comparison_levels=[
            cll.CustomLevel(
                "(dob_l IS NULL OR dob_r IS NULL) AND (yob_l IS NULL OR yob_r IS NULL)",
                label_for_charts="Date and year of birth missing",
            ).configure(is_null_level=True),
            # term-frequency adjusted: dates of birth bunch (children referred are 10 to 17), so
            # sharing a common one says less than sharing a rare one
            cll.ExactMatchLevel("dob").configure(
                label_for_charts="Same date of birth", m_probability=0.75, tf_adjustment_column="dob"
            ),
            cll.CustomLevel(
                "damerau_levenshtein(CAST(dob_l AS VARCHAR), CAST(dob_r AS VARCHAR)) <= 1 "
                "OR (year(dob_l) = year(dob_r) AND month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r))",
                label_for_charts="Date of birth one typing error or day and month swapped",
            ).configure(m_probability=0.05),
            cll.CustomLevel(
                "month(dob_l) = month(dob_r) AND day(dob_l) = day(dob_r) AND abs(year(dob_l) - year(dob_r)) <= 2",
                label_for_charts="Same day and month, year within 2 years (disputed age)",
            ).configure(m_probability=0.03),
            cll.CustomLevel(
                "(dob_l IS NULL OR dob_r IS NULL) AND yob_l = yob_r",
                label_for_charts="Same year of birth (date not known on one side)",
            ).configure(m_probability=0.1),
            cll.CustomLevel(
                "(dob_l IS NULL OR dob_r IS NULL) AND abs(yob_l - yob_r) <= 2",
                label_for_charts="Year of birth within 2 years (date not known on one side)",
            ).configure(m_probability=0.04),
            cll.ElseLevel().configure(m_probability=0.03),
        ],
    )
    # Names are specific to nationalities, so two referrals with the same name nearly always
    # share a nationality too: counting agreement on both would count the same evidence
    # twice. Agreement on nationality is therefore given no weight (fixed m = u); a
    # different nationality is evidence against a match (fixed from the rate at which a
    # repeat referral records another first nationality).
    nationality = cl.CustomComparison(
        output_column_name="nationality",
        comparison_description="First nationality (only a difference carries weight)",
        comparison_levels=[
            cll.NullLevel("nationality"),
            cll.ExactMatchLevel("nationality").configure(
                m_probability=1.0, u_probability=1.0, fix_m_probability=True, fix_u_probability=True
            ),
            cll.ElseLevel().configure(
                m_probability=0.05, u_probability=0.9, fix_m_probability=True, fix_u_probability=True
            ),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            name,
            dob,
            cl.ExactMatch("gender"),
            nationality,
            cl.ExactMatch("police_force"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("forename_canon", "surname"),
            block_on("dob", "substr(surname, 1, 1)"),
            block_on("dob", "substr(forename_canon, 1, 1)"),
            CustomRule("l.first_name = r.surname AND l.surname = r.first_name"),
            block_on("surname", "yob", "substr(first_name, 1, 1)"),
            block_on("forename_canon", "yob", "substr(surname, 1, 1)"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
        max_iterations=20,
        em_convergence=0.001,
    )


def _check_input(table: pa.Table) -> pa.Table:
    missing = [f.name for f in LINKAGE_INPUT if f.name not in table.column_names]
    if missing:
        raise LinkageError(f"the linkage input has no column(s) {', '.join(missing)}")
    try:
        table = table.select(LINKAGE_INPUT.names).cast(LINKAGE_INPUT)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError) as e:
        raise LinkageError(f"the linkage input does not match LINKAGE_INPUT: {e}") from e
    ids = table.column("referral_id")
    if ids.null_count:
        raise LinkageError("referral_id is missing on some rows")
    if pc.count_distinct(ids).as_py() != table.num_rows:
        raise LinkageError("referral_id is not unique in the linkage input")
    return table


def _connect(config: LinkageConfig) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{config.memory_limit}'")
    if config.threads:
        con.execute(f"SET threads = {int(config.threads)}")
    tmp = config.temp_directory or str(Path(tempfile.gettempdir()) / "nrm-linkage-duckdb")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _prepare(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """Load the input as table ``linkage_records`` with the model's derived columns."""
    con.register("linkage_raw", table)
    con.register("linkage_nicknames", nickname_table())
    unknown = ", ".join(f"'{v}'" for v in _UNKNOWN_VALUES)
    con.execute(
        f"""CREATE OR REPLACE TABLE linkage_records AS
        WITH n AS (
            SELECT referral_id, {_norm(_FORENAME)} AS first_name, {_norm("surname")} AS surname,
                   date_of_birth AS dob, coalesce(year(date_of_birth), year_of_birth) AS yob,
                   CASE WHEN gender IN ({unknown}) THEN NULL ELSE gender END AS gender,
                   CASE WHEN trim(split_part(nationality, ';', 1)) IN ({unknown}) THEN NULL
                        ELSE trim(split_part(nationality, ';', 1)) END AS nationality,
                   nullif(trim(police_force), '') AS police_force
            FROM linkage_raw
        )
        SELECT n.referral_id AS unique_id, n.first_name, n.surname,
               coalesce(k.canonical, n.first_name) AS forename_canon,
               substr(coalesce(k.canonical, n.first_name), 1, 1) || substr(n.surname, 1, 1) AS name_initials,
               CASE WHEN n.first_name IS NULL OR n.surname IS NULL THEN NULL
                    ELSE n.first_name || ' ' || n.surname END AS full_name,
               n.dob, CAST(n.yob AS INTEGER) AS yob, n.gender, n.nationality, n.police_force
        FROM n LEFT JOIN linkage_nicknames k ON k.variant = n.first_name"""  # noqa: S608
    )
    con.unregister("linkage_raw")


def link_referrals(
    referrals: pa.Table,
    *,
    config: LinkageConfig | None = None,
    model: Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> LinkageResult:
    """Find referrals of the same person in ``referrals`` (a table with the columns of
    :data:`LINKAGE_INPUT`).

    With ``model`` (a settings dictionary or JSON file saved from an earlier
    :attr:`LinkageResult.model`) the trained parameters are reused; otherwise the model is
    trained on this input first. Splink runs on an in-memory DuckDB connection limited to
    ``config.memory_limit``.
    """
    from splink import DuckDBAPI, Linker

    config = config or LinkageConfig()
    table = _check_input(referrals)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    con = _connect(config)
    try:
        _prepare(con, table)
        n = table.num_rows
        timings["prepare"] = time.perf_counter() - t0
        if n < 2:
            clusters = pa.table({"referral_id": table.column("referral_id"), "cluster_id": table.column("referral_id")})
            return LinkageResult(_empty_pairs(), clusters, n, n, config.threshold, {}, timings)
        db_api = DuckDBAPI(con)
        sdf = db_api.register("linkage_records")
        if model is not None:
            spec: Any = dict(model) if isinstance(model, Mapping) else Path(model)
            linker = Linker(sdf, spec, log_level=logging.WARNING)
            _register_term_frequencies(con, db_api, linker)
        else:
            t = time.perf_counter()
            first = Linker(sdf, settings(), log_level=logging.WARNING)
            _register_term_frequencies(con, db_api, first)
            trained = train(first, config)
            linker = Linker(sdf, trained, log_level=logging.WARNING)
            timings["train"] = time.perf_counter() - t
        t = time.perf_counter()
        predictions = linker.inference.predict(threshold_match_probability=config.predict_floor, warning_mode="never")
        timings["predict"] = time.perf_counter() - t
        t = time.perf_counter()
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=config.threshold
        )
        timings["cluster"] = time.perf_counter() - t
        pairs = con.sql(
            f"""SELECT unique_id_l AS referral_id_l, unique_id_r AS referral_id_r, match_probability, match_weight
                FROM {predictions.physical_name} ORDER BY referral_id_l, referral_id_r"""  # noqa: S608
        ).to_arrow_table()
        clusters = con.sql(
            f"SELECT unique_id AS referral_id, cluster_id FROM {clustered.physical_name} ORDER BY unique_id"  # noqa: S608
        ).to_arrow_table()
        n_people = int(con.execute(f"SELECT count(DISTINCT cluster_id) FROM {clustered.physical_name}").fetchall()[0][0])  # noqa: S608
        scored = int(con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0])  # noqa: S608
        saved = linker.misc.save_model_to_json()
        timings["total"] = time.perf_counter() - t0
        return LinkageResult(
            pairs=pairs.cast(_PAIRS),
            clusters=clusters.cast(pa.schema([("referral_id", pa.string()), ("cluster_id", pa.string())])),
            n_referrals=n,
            n_people=n_people,
            threshold=config.threshold,
            model=saved,
            timings=timings,
            n_comparisons=scored,
        )
    finally:
        con.close()


_TF_COLUMNS = ("full_name", "surname", "forename_canon")


def _register_term_frequencies(con: duckdb.DuckDBPyConnection, db_api: Any, linker: Any) -> None:
    """Term frequencies that do not count the pair itself: a name held by one person
    referred twice appears twice, but no one else has it, so its frequency among other
    people is (count - 1) / N rather than count / N (at least 1 / N)."""
    for col in _TF_COLUMNS:
        table = f"linkage_tf_{col}"
        con.execute(
            f"""CREATE OR REPLACE TABLE {table} AS
            SELECT {col}, CAST(greatest(count(*) - 1, 1) AS DOUBLE)
                          / (SELECT count({col}) FROM linkage_records) AS tf_{col}
            FROM linkage_records WHERE {col} IS NOT NULL GROUP BY {col}"""  # noqa: S608
        )
        linker.table_management.register_term_frequency_lookup(db_api.register(table), col)


M_FLOOR = 0.002
"""The smallest m probability kept after training. Expectation maximisation on unlabelled
data drives the m probability of a level that true matches rarely reach (dates of birth
far apart, names wholly different) towards zero, which would let one disagreement veto
a pair whatever else agrees; flooring it keeps such a pair decidable on its other fields."""


def train(linker: Any, config: LinkageConfig) -> dict[str, Any]:
    """Train ``linker`` (built with :func:`settings`) without labels and return the
    regularised model (a Splink settings dictionary with m and u probabilities)."""
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename_canon", "surname", "dob")], recall=config.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
    # m for the dates of birth (and the force area) from "anchor" pairs: two referrals
    # sharing a surname that no other referral has, with the same forename, nationality
    # and gender, are nearly always the same person, and typing errors in names are
    # independent of those in dates. (Expectation maximisation cannot learn how often a
    # person's own dates of birth disagree when the date is what tells the pairs apart.)
    if _anchor_pairs(linker):
        linker.training.estimate_m_from_pairwise_labels(_ANCHORS)
    else:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("forename_canon", "surname", "nationality", "gender"),
            estimate_without_term_frequencies=True,
            max_pairs=config.em_max_pairs,
        )
    # m for names, gender and force area by expectation maximisation over pairs with the
    # same date of birth (the dates are left as the anchors gave them). The chance that
    # two referrals match is held at its estimate: left free, the matches the names are
    # estimated on drift towards pairs that merely share a common forename.
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"),
        estimate_without_term_frequencies=False,
        fix_probability_two_random_records_match=True,
        max_pairs=config.em_max_pairs,
    )
    return regularise(linker.misc.save_model_to_json(), u_unobserved=1.0 / max(config.u_max_pairs, 1.0))


_ANCHORS = "linkage_anchor_pairs"
MIN_ANCHORS = 20


def _anchor_pairs(linker: Any) -> int:
    """Create the table of anchor pairs; return how many there are (0 if fewer than
    :data:`MIN_ANCHORS`, too few to estimate from)."""
    con = linker._db_api.duckdb_con
    con.execute(
        f"""CREATE OR REPLACE TABLE {_ANCHORS} AS
        WITH rare AS (
            SELECT surname FROM linkage_records WHERE surname IS NOT NULL
            GROUP BY surname HAVING count(*) = 2
        )
        SELECT 'linkage_records' AS source_dataset_l, l.unique_id AS unique_id_l,
               'linkage_records' AS source_dataset_r, r.unique_id AS unique_id_r
        FROM linkage_records l JOIN rare USING (surname)
        JOIN linkage_records r ON r.surname = l.surname AND l.unique_id < r.unique_id
        WHERE l.forename_canon = r.forename_canon AND l.nationality = r.nationality AND l.gender = r.gender"""  # noqa: S608
    )
    rows = con.execute(f"SELECT count(*) FROM {_ANCHORS}").fetchall()  # noqa: S608
    count = int(rows[0][0]) if rows else 0
    return count if count >= MIN_ANCHORS else 0


def regularise(
    model: Mapping[str, Any], *, m_floor: float = M_FLOOR, u_unobserved: float | None = None
) -> dict[str, Any]:
    """A copy of ``model`` with every trained m probability at least ``m_floor`` (the
    levels of each comparison renormalised to sum to 1) and, with ``u_unobserved``, that
    u probability for every level random sampling never saw (a saved model would
    otherwise fall back to Splink's default u for it)."""
    import copy

    out = copy.deepcopy(dict(model))
    for comparison in out.get("comparisons", []):
        levels = [lv for lv in comparison.get("comparison_levels", []) if not lv.get("is_null_level")]
        if u_unobserved is not None:
            for lv in levels:
                if lv.get("u_probability") is None:
                    lv["u_probability"] = u_unobserved
        trained = [lv for lv in levels if not lv.get("fix_m_probability") and lv.get("m_probability") is not None]
        if not trained:
            continue
        fixed = sum(float(lv.get("m_probability") or 0.0) for lv in levels if lv not in trained)
        mass = max(1.0 - fixed, 0.0) if fixed < 1.0 else sum(float(lv["m_probability"]) for lv in trained)
        floor = min(m_floor, mass / len(trained))
        low = [lv for lv in trained if float(lv["m_probability"]) < floor]
        high = [lv for lv in trained if lv not in low]
        while True:  # floor the small ones; share what is left among the others
            rest = mass - floor * len(low)
            total = sum(float(lv["m_probability"]) for lv in high)
            scale = rest / total if total else 0.0
            newly = [lv for lv in high if float(lv["m_probability"]) * scale < floor]
            if not newly:
                break
            low += newly
            high = [lv for lv in high if lv not in newly]
        for lv in low:
            lv["m_probability"] = floor
        for lv in high:
            lv["m_probability"] = float(lv["m_probability"]) * scale
    return out


_PAIRS = pa.schema(
    [
        ("referral_id_l", pa.string()),
        ("referral_id_r", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
    ]
)


def _empty_pairs() -> pa.Table:
    return _PAIRS.empty_table()


# ---------------------------------------------------------------------------
# Evaluation against known truth


@dataclass(frozen=True)
class LinkageMetrics:
    """Linkage quality against the truth.

    Pairwise (over all pairs of referrals placed in the same cluster): ``precision`` and
    ``recall``; ``false_link_rate`` is 1 - precision. Per repeat referral (every
    referral of a person after their first): ``repeat_recall`` is the share placed in a
    cluster with an earlier referral of the same person.
    """

    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    repeats: int
    repeats_found: int
    repeat_recall: float
    true_people: int
    estimated_people: int

    @property
    def false_link_rate(self) -> float:
        return 1.0 - self.precision

    def summary(self) -> str:
        return (
            f"pairwise precision {self.precision:.3f} (false links {self.false_link_rate:.1%}), "
            f"recall {self.recall:.3f}; repeat referrals found {self.repeats_found:,} of {self.repeats:,} "
            f"({self.repeat_recall:.1%}); people: true {self.true_people:,}, estimated {self.estimated_people:,}"
        )


def evaluate(result: LinkageResult, truth: pa.Table) -> LinkageMetrics:
    """Compare ``result`` with ``truth`` (columns ``referral_id``, ``person`` and
    optionally ``referral_date`` to order a person's referrals)."""
    con = duckdb.connect(":memory:")
    try:
        con.register("clusters", result.clusters)
        con.register("truth", truth)
        order = "t.referral_date, t.referral_id" if "referral_date" in truth.column_names else "t.referral_id"
        row = con.execute(
            f"""WITH j AS (
                    SELECT t.referral_id, t.person, c.cluster_id,
                           row_number() OVER (PARTITION BY t.person ORDER BY {order}) AS nth
                    FROM truth t JOIN clusters c USING (referral_id)
                ),
                tp AS (SELECT count(*) AS k FROM j GROUP BY cluster_id, person),
                pp AS (SELECT count(*) AS k FROM j GROUP BY cluster_id),
                tr AS (SELECT count(*) AS k FROM j GROUP BY person),
                rep AS (
                    SELECT j.referral_id,
                           EXISTS (SELECT 1 FROM j e WHERE e.person = j.person AND e.nth < j.nth
                                   AND e.cluster_id = j.cluster_id) AS found
                    FROM j WHERE nth > 1
                )
                SELECT (SELECT coalesce(sum(k * (k - 1) / 2), 0) FROM tr),
                       (SELECT coalesce(sum(k * (k - 1) / 2), 0) FROM pp),
                       (SELECT coalesce(sum(k * (k - 1) / 2), 0) FROM tp),
                       (SELECT count(*) FROM rep), (SELECT count(*) FILTER (WHERE found) FROM rep),
                       (SELECT count(DISTINCT person) FROM j), (SELECT count(DISTINCT cluster_id) FROM j)"""  # noqa: S608
        ).fetchall()[0]
    finally:
        con.close()
    assert row is not None
    true_pairs, predicted, tp, repeats, found, people, est = (int(x) for x in row)
    return LinkageMetrics(
        true_pairs=true_pairs,
        predicted_pairs=predicted,
        true_positive_pairs=tp,
        precision=tp / predicted if predicted else 1.0,
        recall=tp / true_pairs if true_pairs else 1.0,
        repeats=repeats,
        repeats_found=found,
        repeat_recall=found / repeats if repeats else 1.0,
        true_people=people,
        estimated_people=est,
    )
