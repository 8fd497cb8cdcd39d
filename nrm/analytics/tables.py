"""The publication's tables, as data.

Each :class:`TableDef` says what to count (source table, filters, measure), how to
break it down (dimensions, with which totals), how to protect it (disclosure control)
and how to present it (title, notes). The engine (:mod:`nrm.analytics.engine`) turns a
definition into DuckDB SQL; nothing here runs a query.

SQL fragments in a definition are expressions over the source relation; they may use
the placeholders ``{start}``, ``{end}`` (the period's first and last day, as
``DATE '...'`` literals). A dimension's ``label`` is an expression over the grouped
value, with ``{}`` standing for it, evaluated on the (small) grouped result.

The tables follow the Home Office's "National Referral Mechanism statistics, UK"
release: referrals by quarter, age and location (its Table 1), by exploitation type,
nationality, first responder (Tables 11 to 14), police force area, competent
authority and county lines; Reasonable and Conclusive Grounds decisions with
reasons and times; cases awaiting a Conclusive Grounds decision; Duty to Notify
reports; independent reviews; disqualification and reconsideration requests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nrm.analytics import extract_schema as xs

__all__ = [
    "EXPLOITATION_ORDER",
    "KEY_FIGURES_ID",
    "LINKED_LEVEL",
    "LOCAL",
    "NATIONAL",
    "NOTES",
    "PROTECTED",
    "TABLES",
    "TABLES_BY_ID",
    "TOTAL",
    "Dimension",
    "DisclosureControl",
    "Statistic",
    "TableDef",
    "annual",
    "linked_level",
    "table",
]

TOTAL = "Total"

# The order the Home Office writes exploitation types in a combination, as seen in
# the published first-responder tables: "Sexual, Labour, Domestic, Organ Harvesting
# & Criminal", "Labour, Organ Harvesting & Criminal", "Domestic & Criminal".
EXPLOITATION_ORDER = ("Sexual", "Labour", "Domestic", "Organ Harvesting", "Criminal")
UNKNOWN = "Not specified or unknown"

AWAITING_BANDS = (
    "Under 3 months",
    "3 to 6 months",
    "6 months to 1 year",
    "1 to 2 years",
    "2 years or more",
)
DECISION_STAGES = ("Reasonable Grounds", "Conclusive Grounds")
REVIEW_OUTCOME_LABELS = (*xs.REVIEW_OUTCOMES, "Under review")


@dataclass(frozen=True)
class DisclosureControl:
    """Cell suppression for one table.

    Counts from 1 to ``threshold - 1`` are replaced by ``[c]`` (primary suppression).
    With ``secondary``, wherever a total and the cells that add up to it would let a
    reader work out a suppressed cell (exactly one suppressed value in the group), the
    next smallest cell of that group is suppressed too, until no group has exactly one.
    A ``threshold`` of 0 or 1 switches suppression off. Zero cells are not suppressed.
    """

    threshold: int = 0
    secondary: bool = True
    protection: int = 0  # the least width of a suppressed cell's feasible interval (0: threshold - 1)

    @property
    def enabled(self) -> bool:
        return self.threshold > 1

    @property
    def protection_level(self) -> int:
        """How wide the interval of counts consistent with everything published must be for
        every suppressed cell (the interval attack, :mod:`nrm.analytics.protection`)."""
        return self.protection or max(self.threshold - 1, 1)


# Home Office practice: the national NRM tables are published unsuppressed; tables at
# police-force (or local-authority) level protect small counts. PROTECTED is the control every
# table gets under linked protection (``publish(..., linked=True)``, ADR 0020).
NATIONAL = DisclosureControl(threshold=0)
PROTECTED = DisclosureControl(threshold=5)
LOCAL = PROTECTED


@dataclass(frozen=True)
class Dimension:
    """One breakdown of a table: a column in the tidy output."""

    name: str  # the column header
    expr: str  # SQL over the source rows (a bare column is grouped by a small integer code: fast)
    label: str = "{}"  # SQL over the grouped value (``{}``), evaluated on the grouped result
    totals: bool = True  # add a "Total" over this dimension
    order: tuple[str, ...] = ()  # display order of known values; others follow, sorted
    top: int | None = None  # keep the N most common values (in the table's period), the rest as ``other``
    other: str = "Other"
    by_count: bool = False  # order values by their total count, largest first
    combination: bool = False  # values are exploitation-type combinations: order as the Home Office does


STATISTIC_KINDS = ("median", "mean")


@dataclass(frozen=True)
class Statistic:
    """A summary of an integer value over the rows of each cell (rounded to 1 decimal
    place): the median (as ``quantile_cont(0.5)``: the mean of the two middle values of
    an even count) or the mean."""

    name: str
    kind: str  # "median" or "mean"
    expr: str  # SQL over the source rows giving an integer (e.g. days)

    def __post_init__(self) -> None:
        if self.kind not in STATISTIC_KINDS:
            raise ValueError(f"statistic kind must be one of {STATISTIC_KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class TableDef:
    """A published table."""

    id: str
    title: str
    source: str  # a table of the extract ("referrals", "reviews", ...) or the "decisions" view
    dimensions: tuple[Dimension, ...]
    measure: str = "People"  # header of the count column
    date_column: str | None = "referral_date"  # rows counted where this date is in the period
    filters: tuple[str, ...] = ()
    statistics: tuple[Statistic, ...] = ()
    # Chains of nested dimensions (by name): totals roll up along a chain (a total of a
    # dimension implies totals of the ones after it). Dimensions in no chain are crossed
    # with everything (every combination of totals).
    hierarchies: tuple[tuple[str, ...], ...] = ()
    notes: tuple[int, ...] = ()
    disclosure: DisclosureControl = NATIONAL
    time_series: bool = False  # broken down by quarter over the series, not just the period
    snapshot: bool = False  # as at the end of the period rather than events in it
    description: str = ""
    unit: str = "people"

    @property
    def columns(self) -> list[str]:
        return [d.name for d in self.dimensions] + [self.measure] + [s.name for s in self.statistics]

    def dimension(self, name: str) -> Dimension:
        for d in self.dimensions:
            if d.name == name:
                return d
        raise KeyError(name)

    def chains(self) -> list[list[int]]:
        """Indices of the dimensions with totals, grouped into roll-up chains."""
        index = {d.name: i for i, d in enumerate(self.dimensions)}
        seen: set[int] = set()
        out: list[list[int]] = []
        for chain in self.hierarchies:
            idx = [index[n] for n in chain]
            out.append(idx)
            seen.update(idx)
        for i, d in enumerate(self.dimensions):
            if i not in seen and d.totals:
                out.append([i])
        return out


# ---------------------------------------------------------------------------
# Notes (the notes worksheet; tables cite them as [note N]).

NOTES: dict[int, str] = {
    1: "Figures count referrals of potential victims into the National Referral Mechanism (NRM) made in the period, "
    "by the date of referral. A person referred more than once is counted once for each referral.",
    2: "Age at exploitation is the age when the exploitation began, as reported by the first responder. "
    "Where it was not known it is shown as 'Not specified or unknown'.",
    3: "A referral may record more than one type of exploitation. Each referral is counted once, under the "
    "combination of types recorded (for example 'Labour & Criminal'), with types written in the order Sexual, "
    "Labour, Domestic, Organ Harvesting, Criminal as in the Home Office tables.",
    4: "A person with dual nationality is shown under both nationalities in the order recorded, separated by a "
    "space (for example 'Albanian Greek').",
    5: "Police force area and region are those where the exploitation was reported to have taken place. Referrals "
    "of exploitation overseas only are shown as 'Overseas'; where the location is not known they are shown as "
    "'Not specified or unknown'.",
    6: "Small counts in this table (below the threshold stated above the table) are suppressed [c] to protect "
    "confidentiality, and further cells are suppressed where a suppressed value could otherwise be worked out "
    "from the totals.",
    7: "Decisions are counted in the quarter the decision was made, which may differ from the quarter of referral.",
    8: "Reasons are those recorded for negative decisions, shown by their label in the reference data (a decision "
    "with more than one reason is counted once, under its reasons separated by '; '); 'Not recorded' means no "
    "reason was given.",
    9: "Days are calendar days from the date of referral to the date of the decision. The median is the middle "
    "value; the mean is the average. Both are rounded to one decimal place.",
    10: "Cases awaiting a Conclusive Grounds decision on the last day of the period: a positive Reasonable Grounds "
    "decision had been made and no Conclusive Grounds decision, withdrawal, suspension or disqualification had "
    "yet been recorded. Time is measured from the date of referral to the last day of the period.",
    11: "Duty to Notify reports are made by specified public authorities in England and Wales about adults who do "
    "not consent to enter the NRM. They are anonymous, so a person may be counted more than once.",
    12: "County lines referrals are those the first responder flagged as involving county lines exploitation.",
    13: "Independent reviews of negative decisions requested in the period, with their outcome as at the date of "
    "the extract; 'Under review' means no outcome had been recorded.",
    14: "Figures for earlier periods may be revised in later releases as cases are updated; revised figures are "
    "marked [r].",
    15: "Combinations of categories with no referrals are not shown; their count is zero.",
    16: "Nationality is shown for the 20 nationalities most common in the period (in a time series, over all the "
    "quarters it shows); the rest are shown together as 'Other nationalities'.",
    17: "Requests to disqualify a person from protection on public order grounds (Nationality and Borders Act "
    "2022, section 63) or because the claim was made in bad faith, counted in the quarter of the request, with "
    "their outcome as at the date of the extract; 'Awaiting decision' means no outcome had been recorded.",
    18: "UK nation is the nation of the police force area where the exploitation took place: Wales, Scotland and "
    "Northern Ireland as themselves, every other force area as England. Exploitation overseas is shown as "
    "Overseas; a national force (with no one nation) or no force area recorded as 'Not specified or unknown'.",
    19: "Requests by a first responder or support provider to reconsider a negative Reasonable Grounds or "
    "Conclusive Grounds decision, counted in the quarter of the request, with the outcome of the fresh decision "
    "as at the date of the extract; 'Awaiting decision' means no fresh decision had been made. A person whose "
    "decision is reconsidered more than once is counted once for each request.",
}


# ---------------------------------------------------------------------------
# Dimension helpers


def _quarter(column: str) -> Dimension:
    return Dimension(
        name="Quarter",
        expr=f"year({column}) * 10 + quarter({column})",
        label="CAST({} // 10 AS VARCHAR) || '-Q' || CAST({} % 10 AS VARCHAR)",
        totals=False,
    )


def annual(quarter: Dimension) -> Dimension:
    """A time series' quarter dimension as its calendar year (labelled ``2023``)."""
    return replace(quarter, expr=f"({quarter.expr}) // 10", label="CAST({} AS VARCHAR)")


_UNKNOWN_IF_NULL = "coalesce({}, 'Not specified or unknown')"
AGE = Dimension("Age at exploitation", "age_at_exploitation", label=_UNKNOWN_IF_NULL, order=xs.AGES)
GENDER = Dimension("Gender", "gender", label=_UNKNOWN_IF_NULL, order=xs.GENDERS)
LOCATION = Dimension("Location of exploitation", "location_of_exploitation", label=_UNKNOWN_IF_NULL, order=xs.LOCATIONS)
EXPLOITATION = Dimension(
    "Exploitation type",
    "exploitation_types",
    label="exploitation_label({})",
    combination=True,
)
NATIONALITY = Dimension("Nationality", "nationality", label="nationality_label({})")
FIRST_RESPONDER_TYPE = Dimension("First responder type", "first_responder_type", order=xs.FIRST_RESPONDER_TYPES)
FIRST_RESPONDER = Dimension("First responder", "first_responder")
COMPETENT_AUTHORITY = Dimension("Competent authority", "competent_authority", order=xs.COMPETENT_AUTHORITIES)
OUTCOME = Dimension("Outcome", "outcome", order=xs.OUTCOMES)
REASON = Dimension("Reason", "reason", label="coalesce(reason_label({}), 'Not recorded')")
_OVERSEAS = "CASE WHEN location_of_exploitation = 'Overseas' THEN 'Overseas' ELSE 'Not specified or unknown' END"
REGION = Dimension("Region", f"coalesce(region, {_OVERSEAS})")
NATION = Dimension(
    "UK nation",
    "CASE WHEN region IN ('Wales', 'Scotland', 'Northern Ireland') THEN region "
    f"WHEN region IS NULL OR region = 'National' THEN {_OVERSEAS} ELSE 'England' END",
    order=(*xs.NATIONS, "Overseas", "Not specified or unknown"),
)
POLICE_FORCE = Dimension("Police force area", f"coalesce(police_force, {_OVERSEAS})")

_DAYS = Statistic("Median days", "median", "days")
_MEAN = Statistic("Mean days", "mean", "days")

KEY_FIGURES_ID = "key_figures"


def _decision_tables(stage: str, short: str) -> tuple[TableDef, TableDef]:
    stage_filter = f"stage = '{stage}'"
    decisions = TableDef(
        id=f"{short}_decisions",
        title=f"{stage} decisions by quarter, outcome, age at exploitation and competent authority",
        source="decisions",
        date_column="decision_date",
        filters=(stage_filter,),
        dimensions=(_quarter("decision_date"), OUTCOME, AGE, COMPETENT_AUTHORITY),
        measure="Decisions",
        notes=(7, 2),
        time_series=True,
        description=f"{stage} decisions made in each quarter.",
        unit="decisions",
    )
    reasons = TableDef(
        id=f"{short}_negative_reasons",
        title=f"Negative {stage} decisions by reason and age at exploitation",
        source="decisions",
        date_column="decision_date",
        filters=(stage_filter, "outcome = 'Negative'"),
        dimensions=(REASON, AGE),
        measure="Decisions",
        notes=(7, 8),
        description=f"Reasons recorded for negative {stage} decisions made in the period.",
        unit="decisions",
    )
    return decisions, reasons


_RG, _RG_REASONS = _decision_tables("Reasonable Grounds", "rg")
_CG, _CG_REASONS = _decision_tables("Conclusive Grounds", "cg")

_AWAITING_BAND = (
    "CASE WHEN referral_date > {end} - INTERVAL 3 MONTH THEN 'Under 3 months' "
    "WHEN referral_date > {end} - INTERVAL 6 MONTH THEN '3 to 6 months' "
    "WHEN referral_date > {end} - INTERVAL 12 MONTH THEN '6 months to 1 year' "
    "WHEN referral_date > {end} - INTERVAL 24 MONTH THEN '1 to 2 years' "
    "ELSE '2 years or more' END"
)
_AWAITING_FILTERS = (
    "rg_outcome = 'Positive'",
    "rg_date <= {end}",
    "referral_date <= {end}",
    "(cg_date IS NULL OR cg_date > {end})",
    "NOT (status IN ('Withdrawn', 'Suspended', 'Disqualified') AND coalesce(status_date, referral_date) <= {end})",
)

def _duty_to_notify_by(name: str, dimension: Dimension, *, notes: tuple[int, ...], title: str = "",
                       disclosure: DisclosureControl = NATIONAL) -> TableDef:
    """Duty to Notify reports in the period by one dimension."""
    return TableDef(id=f"duty_to_notify_by_{name}", title=f"Duty to Notify reports by {title or dimension.name.lower()}",
                    source="duty_to_notify", date_column="report_date", dimensions=(dimension,), measure="Reports",
                    notes=notes, disclosure=disclosure, unit="reports")


def _decisions_by(name: str, dimension: Dimension, *, notes: tuple[int, ...], title: str = "",
                  description: str = "") -> TableDef:
    """Reasonable Grounds and Conclusive Grounds decisions made in the period by stage, outcome and one dimension."""
    return TableDef(id=f"decisions_by_{name}",
                    title=("Reasonable Grounds and Conclusive Grounds decisions by stage, outcome and "
                           f"{title or dimension.name.lower()}"),
                    source="decisions", date_column="decision_date", dimensions=(_STAGE, OUTCOME, dimension),
                    measure="Decisions", notes=notes, unit="decisions", description=description)


def _requests(kind: str, title: str, by: Dimension, outcomes: tuple[str, ...], *, note: int) -> TableDef:
    """Requests (the extract's ``<kind>s`` table) made in the period, by ``by`` and their outcome:
    'Awaiting decision' until it is made."""
    return TableDef(id=f"{kind}_requests", title=title, source=f"{kind}s", date_column="requested_date",
                    dimensions=(by, Dimension("Outcome", "outcome", label="coalesce({}, 'Awaiting decision')",
                                              order=(*outcomes, "Awaiting decision"))),
                    measure="Requests", notes=(note,), unit="requests")


_TOP_NATIONALITY = Dimension("Nationality", "nationality", label="nationality_label({})", top=20,
                             other="Other nationalities", by_count=True)
_STAGE = Dimension("Decision", "stage", totals=False, order=DECISION_STAGES)

TABLES: tuple[TableDef, ...] = (
    TableDef(
        id="referrals_by_quarter_age_location",
        title="NRM referrals by quarter, age at exploitation and location of exploitation",
        source="referrals",
        dimensions=(_quarter("referral_date"), AGE, LOCATION),
        notes=(1, 2, 14),
        time_series=True,
        description="People referred to the NRM in each quarter.",
    ),
    TableDef(
        id="referrals_by_exploitation_age_gender",
        title="NRM referrals by exploitation type, age at exploitation and gender",
        source="referrals",
        dimensions=(EXPLOITATION, AGE, GENDER),
        notes=(1, 2, 3, 15),
    ),
    TableDef(
        id="referrals_by_quarter_exploitation",
        title="NRM referrals by quarter, exploitation type and age at exploitation",
        source="referrals",
        dimensions=(_quarter("referral_date"), EXPLOITATION, AGE),
        notes=(1, 2, 3, 14, 15),
        time_series=True,
        description="People referred to the NRM in each quarter, by the combination of exploitation types recorded.",
    ),
    TableDef(
        id="referrals_by_nationality_age",
        title="NRM referrals by nationality (the 20 most common and other) and age at exploitation",
        source="referrals",
        dimensions=(
            _TOP_NATIONALITY,
            AGE,
        ),
        notes=(1, 2, 4),
    ),
    TableDef(
        id="referrals_by_first_responder",
        title="NRM referrals by first responder type, first responder, exploitation type, age at exploitation, "
        "gender and nationality",
        source="referrals",
        dimensions=(FIRST_RESPONDER_TYPE, FIRST_RESPONDER, EXPLOITATION, AGE, GENDER, NATIONALITY),
        hierarchies=(
            ("First responder type", "First responder", "Exploitation type", "Age at exploitation", "Gender"),
            ("Nationality",),
        ),
        notes=(1, 2, 3, 4, 15),
        description="As the Home Office's Tables 11 to 14: totals by first responder, then by exploitation type "
        "within first responder, age within exploitation type and gender within age, each for every nationality "
        "and for all nationalities.",
    ),
    TableDef(
        id="referrals_by_police_force",
        title="NRM referrals by region and police force area of exploitation and age at exploitation",
        source="referrals",
        dimensions=(REGION, POLICE_FORCE, AGE),
        hierarchies=(("Region", "Police force area"),),
        notes=(1, 2, 5, 6, 15),
        disclosure=LOCAL,
    ),
    TableDef(
        id="referrals_by_competent_authority",
        title="NRM referrals by competent authority and age at exploitation",
        source="referrals",
        dimensions=(COMPETENT_AUTHORITY, AGE),
        notes=(1, 2),
        description="SCA is the Single Competent Authority; IECA the Immigration Enforcement Competent Authority.",
    ),
    TableDef(
        id="referrals_county_lines",
        title="NRM referrals flagged as county lines, by age at exploitation and gender",
        source="referrals",
        filters=("county_lines",),
        dimensions=(AGE, GENDER),
        notes=(1, 2, 12),
    ),
    _RG,
    _RG_REASONS,
    _CG,
    _CG_REASONS,
    TableDef(
        id="days_to_decision",
        title="Median and mean days from referral to Reasonable Grounds and Conclusive Grounds decisions, by "
        "quarter of decision and age at exploitation",
        source="decisions",
        date_column="decision_date",
        dimensions=(
            _STAGE,
            _quarter("decision_date"),
            AGE,
        ),
        measure="Decisions",
        statistics=(_DAYS, _MEAN),
        notes=(7, 9),
        time_series=True,
        unit="decisions",
    ),
    TableDef(
        id="cases_awaiting_cg",
        title="Cases awaiting a Conclusive Grounds decision at the end of the period, by time since referral, age "
        "at exploitation and competent authority",
        source="referrals",
        date_column=None,
        snapshot=True,
        filters=_AWAITING_FILTERS,
        dimensions=(
            Dimension("Time since referral", _AWAITING_BAND, order=AWAITING_BANDS),
            AGE,
            COMPETENT_AUTHORITY,
        ),
        measure="Cases",
        notes=(10, 2),
        unit="cases",
    ),
    TableDef(
        id="duty_to_notify_by_quarter",
        title="Duty to Notify reports by quarter and gender",
        source="duty_to_notify",
        date_column="report_date",
        dimensions=(_quarter("report_date"), GENDER),
        measure="Reports",
        notes=(11,),
        time_series=True,
        unit="reports",
    ),
    _duty_to_notify_by("nationality", NATIONALITY, notes=(11, 4)),
    TableDef(
        id="independent_reviews",
        title="Independent reviews of negative decisions by decision stage, kind of review and outcome",
        source="reviews",
        date_column="referred_date",
        dimensions=(
            Dimension(
                "Decision",
                "decision_stage",
                label="CASE {} WHEN 'RG' THEN 'Reasonable Grounds' WHEN 'CG' THEN 'Conclusive Grounds' ELSE {} END",
                order=DECISION_STAGES,
            ),
            Dimension("Review", "review_kind", order=xs.REVIEW_KINDS),
            Dimension("Outcome", "outcome", label="coalesce({}, 'Under review')", order=REVIEW_OUTCOME_LABELS),
        ),
        measure="Reviews",
        notes=(13,),
        unit="reviews",
    ),
    TableDef(
        id="support_started",
        title="Support for potential victims started in the period, by kind of support and provider",
        source="support",
        date_column="start_date",
        dimensions=(
            Dimension("Support", "kind", order=xs.SUPPORT_KINDS),
            Dimension("Provider", "provider_type"),
        ),
        measure="Support episodes",
        notes=(),
        unit="support episodes",
    ),
    # Breakdowns a user of the Home Office release expects (issue 15).
    TableDef(
        id="referrals_by_quarter_gender",
        title="NRM referrals by quarter, gender and age at exploitation",
        source="referrals",
        dimensions=(_quarter("referral_date"), GENDER, AGE),
        notes=(1, 2, 14),
        time_series=True,
        description="People referred to the NRM in each quarter, by gender.",
    ),
    TableDef(
        id="referrals_by_quarter_first_responder_type",
        title="NRM referrals by quarter, first responder type and age at exploitation",
        source="referrals",
        dimensions=(_quarter("referral_date"), FIRST_RESPONDER_TYPE, AGE),
        notes=(1, 2, 14),
        time_series=True,
        description="People referred to the NRM in each quarter, by the type of organisation that referred them.",
    ),
    TableDef(
        id="referrals_by_quarter_nationality",
        title="NRM referrals by quarter and nationality",
        source="referrals",
        dimensions=(_quarter("referral_date"), _TOP_NATIONALITY),
        notes=(1, 4, 16),
        time_series=True,
        description="People referred to the NRM in each quarter, by nationality: the 20 nationalities most common "
        "over the quarters shown, the same in every quarter, and the rest together.",
    ),
    TableDef(
        id="referrals_county_lines_by_quarter",
        title="NRM referrals flagged as county lines, by quarter and age at exploitation",
        source="referrals",
        filters=("county_lines",),
        dimensions=(_quarter("referral_date"), AGE),
        notes=(1, 2, 12, 14),
        time_series=True,
        description="People referred to the NRM in each quarter whose referral was flagged as county lines.",
    ),
    TableDef(
        id="referrals_by_nation",
        title="NRM referrals by UK nation where the exploitation took place and age at exploitation",
        source="referrals",
        dimensions=(NATION, AGE),
        notes=(1, 2, 18),
        description="People referred to the NRM in the period, by the UK nation where they were exploited.",
    ),
    _decisions_by("nation", NATION, notes=(7, 18), title="UK nation",
                  description="Decisions made in the period, by the UK nation where the person was exploited."),
    _decisions_by("nationality", _TOP_NATIONALITY, notes=(7, 4, 16)),
    _decisions_by("exploitation", EXPLOITATION, notes=(7, 3, 15), title="exploitation type"),
    _duty_to_notify_by("exploitation", EXPLOITATION, notes=(11, 3), title="exploitation type"),
    _duty_to_notify_by("first_responder_type", FIRST_RESPONDER_TYPE, notes=(11,)),
    _duty_to_notify_by("police_force", POLICE_FORCE, notes=(11, 5, 6), title="police force area of exploitation",
                       disclosure=LOCAL),
    _requests("disqualification", "Requests to disqualify from protection by ground and outcome",
              Dimension("Ground", "ground", order=xs.DISQUALIFICATION_GROUNDS), xs.DISQUALIFICATION_OUTCOMES,
              note=17),
    _requests("reconsideration",
              "Requests to reconsider a negative decision, by stage and outcome of the fresh decision",
              Dimension("Decision", "stage", order=xs.RECONSIDERATION_STAGES), xs.OUTCOMES, note=19),
)

TABLES_BY_ID: dict[str, TableDef] = {t.id: t for t in TABLES}

# Under linked protection (the default publication, ADR 0020) a table too detailed for the interval
# attack to protect is published at a coarser level: the first-responder table by first responder type
# and first responder (its full breakdown, the Home Office's Tables 11 to 14, is
# tens of thousands of cells, most of them small; published beside the protected tables it gave their
# [c] away). Same id and file; fewer columns.
LINKED_LEVEL: dict[str, TableDef] = {
    "referrals_by_first_responder": TableDef(
        id="referrals_by_first_responder",
        title="NRM referrals by first responder type and first responder",
        source="referrals",
        dimensions=(FIRST_RESPONDER_TYPE, FIRST_RESPONDER),
        hierarchies=(("First responder type", "First responder"),),
        notes=(1, 15),
        description="As the totals by first responder of the Home Office's Tables 11 to 14. The breakdown by "
        "exploitation type, age, gender and nationality within first responder is not published: most of its "
        "cells are small, and beside the other tables it would give their protected cells away.",
    ),
}


def linked_level(t: TableDef) -> TableDef:
    """The table as published under linked protection (:data:`LINKED_LEVEL`)."""
    return LINKED_LEVEL.get(t.id, t)


def table(table_id: str) -> TableDef:
    """The definition of a table, by id."""
    try:
        return TABLES_BY_ID[table_id]
    except KeyError:
        raise KeyError(f"no table {table_id!r}; tables are {', '.join(TABLES_BY_ID)}") from None
