"""The HTML statistical bulletin: key findings computed from the tables, charts with
text alternatives, and links to every table."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from nrm.analytics import backseries
from nrm.analytics import charts as C
from nrm.analytics.disclosure import SUPPRESSED
from nrm.analytics.engine import KeyFigure, TableResult, Value, is_year, series_quarters
from nrm.analytics.periods import Period, Quarter
from nrm.analytics.tables import NOTES, TOTAL

__all__ = ["ChartData", "TableLink", "build_charts", "key_findings", "publication_title", "render"]


def publication_title(period: Period) -> str:
    return f"Modern slavery: National Referral Mechanism and Duty to Notify statistics, UK, {period.title}"


@dataclass(frozen=True)
class ChartData:
    """A chart with the data behind it (shown as a table: its text alternative)."""

    chart: C.Chart
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source_table: str


@dataclass(frozen=True)
class TableLink:
    id: str
    title: str
    sheet: str
    csv: str
    rows: int


def _n(v: float | int | None) -> str:
    if v is None:
        return "not available"
    if isinstance(v, int) or float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.1f}"


def _share(v: float | int | None) -> str:
    """A percentage figure, always to one decimal place."""
    return "not available" if v is None else f"{float(v):.1f}%"


def _pct(part: float, whole: float) -> str:
    return f"{part / whole * 100:.0f}%" if whole else "0%"


def _rows_where(result: TableResult, **want: str) -> list[tuple[Value, ...]]:
    """Rows whose named dimensions equal the given labels and whose other dimensions
    (except those named with value ``*``) are Total."""
    dims = [d.name.replace(" ", "_") for d in result.table.dimensions]
    out = []
    for r in result.rows:
        ok = True
        for i, name in enumerate(dims):
            w = want.get(name, TOTAL)
            if w == "*":
                if r[i] == TOTAL:
                    ok = False
                    break
            elif r[i] != w:
                ok = False
                break
        if ok:
            out.append(r)
    return out


def _count(v: Value) -> int:
    return v if isinstance(v, int) else 0


def _published(v: Value, total: int) -> str:
    """A count with its share of ``total``, or [c] where it is suppressed."""
    return f"{_n(v)} ({_pct(v, total)})" if isinstance(v, int) else SUPPRESSED


def _change_phrase(f: KeyFigure, noun: str, period: Period, first_date: date | None) -> str:
    comp = period.comparison()
    if f.comparison is None:
        since = f" (the extract starts on {first_date.isoformat()})" if first_date else ""
        return f"No comparison with {comp.title} is possible{since}."
    ch = f.change
    if ch is None:
        return f"There were none in {comp.title}."
    if abs(ch) < 0.5:
        return f"This is about the same as in {comp.title} ({_n(f.comparison)} {noun})."
    word = "more" if ch > 0 else "fewer"
    return f"This is {abs(ch):.0f}% {word} than in {comp.title} ({_n(f.comparison)} {noun})."


def _referral_findings(results: Mapping[str, TableResult], fig: Mapping[str, KeyFigure], total: int) -> list[str]:
    """Who was referred: children and adults, nationality, exploitation type, gender and competent authority."""
    out: list[str] = []
    if not fig["children"].suppressed:
        children = int(fig["children"].value or 0)
        adults = total - children
        out.append(
            f"{_pct(children, total)} of the people referred ({_n(children)}) were exploited as children and "
            f"{_pct(adults, total)} as adults or at an unknown age."
        )
    nat = results.get("referrals_by_nationality_age")
    if nat is not None:
        top = [r for r in _rows_where(nat, Nationality="*") if r[0] != nat.table.dimensions[0].other
               and isinstance(r[-1], int)]
        if top:
            best = max(top, key=lambda r: (_count(r[-1]), str(r[0])))
            out.append(
                f"The most common nationality of people referred was {best[0]} ({_n(_count(best[-1]))}, "
                f"{_pct(_count(best[-1]), total)} of referrals)."
            )
    ex = results.get("referrals_by_exploitation_age_gender")
    if ex is not None:
        rows = [r for r in _rows_where(ex, Exploitation_type="*") if r[0] != "Not specified or unknown"
                and isinstance(r[3], int)]
        if rows:
            best = max(rows, key=lambda r: (_count(r[3]), str(r[0])))
            out.append(
                f"The most commonly recorded type of exploitation was {best[0]} "
                f"({_n(_count(best[3]))} referrals, {_pct(_count(best[3]), total)})."
            )
        out += _exploitation_by_age(ex)
        out += _gender_split(ex, total)
    out += _authority_split(results.get("referrals_by_competent_authority"), total)
    return out


def key_findings(
    results: Mapping[str, TableResult],
    figures: Sequence[KeyFigure],
    period: Period,
    first_date: date | None,
) -> list[str]:
    """The key findings, as sentences computed from the data."""
    fig = {f.id: f for f in figures}
    out: list[str] = []
    ref = fig["referrals"]
    total = int(ref.value or 0)
    out.append(
        f"There were {_n(total)} referrals of potential victims of modern slavery to the NRM in {period.title}. "
        + _change_phrase(ref, "referrals", period, first_date)
        + _previous_quarter_phrase(results.get("referrals_by_quarter_age_location"), period, total, "Referrals")
    )
    if total:
        out += _referral_findings(results, fig, total)
    for key, stage in (("rg", "Reasonable Grounds"), ("cg", "Conclusive Grounds")):
        made = fig[f"{key}_decisions"].value
        share = fig[f"{key}_positive_share"].value
        days = fig[f"{key}_median_days"].value
        if fig[f"{key}_decisions"].suppressed:
            out.append(f"The number of {stage} decisions made is suppressed ([c]) to protect confidentiality.")
        elif made:
            positive = ("" if fig[f"{key}_positive_share"].suppressed
                        else f", of which {_share(share)} were positive")
            out.append(
                f"{_n(made)} {stage} decisions were made{positive}; the median time "
                f"from referral to decision was {_n(days)} days."
                + _previous_quarter_phrase(results.get(f"{key}_decisions"), period, int(made), "Decisions")
            )
        else:
            out.append(f"No {stage} decisions were made in the period.")
    waiting = fig["awaiting_cg"].value
    aw = results.get("cases_awaiting_cg")
    if aw is not None and waiting:
        long = sum(
            _count(r[3])
            for r in _rows_where(aw, Time_since_referral="*")
            if r[0] in ("1 to 2 years", "2 years or more")
        )
        out.append(
            f"At the end of {period.title}, {_n(waiting)} cases were awaiting a Conclusive Grounds decision; "
            f"{_pct(long, int(waiting))} of them had been referred more than a year earlier."
        )
    dtn = fig["dtn_reports"]
    out.append(
        f"{_n(dtn.value)} Duty to Notify reports were made about adults who did not enter the NRM. "
        + _change_phrase(dtn, "reports", period, first_date)
        + _previous_quarter_phrase(results.get("duty_to_notify_by_quarter"), period, int(dtn.value or 0), "Reports")
    )
    return out


def _previous_quarter_total(result: TableResult | None, period: Period) -> tuple[Quarter, int] | None:
    """The all-Total count of a time-series table in the quarter before ``period`` (None: a year, no such
    table or quarter, or none counted then)."""
    if result is None or not period.is_quarter or not result.table.time_series:
        return None
    prev = period.first_quarter.previous()
    k = len(result.table.dimensions)
    before = next((r[k] for r in result.rows if r[0] == prev.label and all(v == TOTAL for v in r[1:k])), None)
    if not isinstance(before, int) or before == 0:
        return None
    return prev, before


def _previous_quarter_phrase(result: TableResult | None, period: Period, now: int, noun: str) -> str:
    """How a quarter's count compares with the quarter before (empty for a year, or with no earlier quarter)."""
    found = _previous_quarter_total(result, period)
    if found is None:
        return ""
    prev, before = found
    ch = (now - before) / before * 100
    if abs(ch) < 0.5:
        return f" {noun} were about the same as in the previous quarter, {prev.title} ({_n(before)})."
    return f" {noun} {'rose' if ch > 0 else 'fell'} {abs(ch):.0f}% on the previous quarter, {prev.title} ({_n(before)})."


_ADULT, _CHILD = "Adult (18 or over)", "Child (17 or under)"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _top_exploitation(ex: TableResult, age: str) -> tuple[str, int, int] | None:
    """The most common exploitation type(s) of referrals at ``age``: types, count and all referrals at that age."""
    rows = [r for r in _rows_where(ex, Exploitation_type="*", Age_at_exploitation=age)
            if r[0] != "Not specified or unknown" and isinstance(r[3], int)]
    whole = next((_count(r[3]) for r in _rows_where(ex, Age_at_exploitation=age)), 0)
    if not rows or not whole:
        return None
    most = max(_count(r[3]) for r in rows)
    return _and(sorted(str(r[0]) for r in rows if _count(r[3]) == most)), most, whole


def _exploitation_by_age(ex: TableResult) -> list[str]:
    """The most common exploitation type of adults and of children."""
    parts = []
    for age, who in ((_ADULT, "adults"), (_CHILD, "children")):
        top = _top_exploitation(ex, age)
        if top is not None:
            each = " each" if " and " in top[0] else ""
            parts.append(f"for {who}, {top[0]} ({_n(top[1])}{each}, {_pct(top[1], top[2])} of referrals of {who})")
    if not parts:
        return []
    return ["By age at exploitation, the most commonly recorded type of exploitation was: " + "; ".join(parts) + "."]


def _gender_split(ex: TableResult, total: int) -> list[str]:
    """How many of the people referred were male, female and other."""
    rows = [r for r in _rows_where(ex, Gender="*") if _count(r[3]) or r[3] == SUPPRESSED]
    if not rows or not total:
        return []
    parts = [f"{_published(r[3], total)} {str(r[2]).lower()}" for r in rows]
    return [f"By gender, the people referred were {', '.join(parts[:-1])} and {parts[-1]}." if len(parts) > 1
            else f"By gender, the people referred were {parts[0]}."]


def _authority_split(ca: TableResult | None, total: int) -> list[str]:
    """How many referrals each competent authority (SCA, IECA) is deciding."""
    if ca is None or not total:
        return []
    rows = [r for r in _rows_where(ca, Competent_authority="*") if _count(r[2]) or r[2] == SUPPRESSED]
    if not rows:
        return []
    parts = [f"{r[0]} {_published(r[2], total)}" for r in rows]
    return ["By competent authority (SCA: the Single Competent Authority; IECA: the Immigration Enforcement "
            f"Competent Authority), referrals were: {'; '.join(parts)}."]


def _breaks_text(breaks: Sequence[tuple[Quarter, str]]) -> str:
    """The sentence a chart's description adds for its series breaks."""
    if not breaks:
        return ""
    parts = [f"from {q.label}: {label}" for q, label in breaks]
    return (
        f" A dashed vertical line marks {'a break' if len(parts) == 1 else 'breaks'} in the series, where the "
        f"recording changed ({'; '.join(parts)}); figures either side of it are not directly comparable."
    )


def build_charts(
    results: Mapping[str, TableResult],
    period: Period,
    *,
    series_length: int = 8,
    declared: Sequence[backseries.SeriesBreak] = (),
) -> list[ChartData]:
    """The bulletin's charts, each with its data. The bar chart of referrals shows the
    last ``series_length`` quarters; the line charts show the whole series (from 2009
    where the back series has been imported), with its breaks marked (``declared``: the
    breaks declared at the back series' join, too)."""
    charts: list[ChartData | None] = []
    q = results.get("referrals_by_quarter_age_location")
    if q is not None:
        totals = {str(r[0]): r[3] for r in q.rows if not is_year(r[0]) and r[1] == TOTAL and r[2] == TOTAL}
        charts += [_referrals_bar_chart(q, totals, period, series_length),
                   _referrals_by_age_chart(q, totals, declared)]
    ex = results.get("referrals_by_exploitation_age_gender")
    if ex is not None:
        rows = sorted((r for r in _rows_where(ex, Exploitation_type="*") if isinstance(r[3], int)),
                      key=lambda r: (-_count(r[3]), str(r[0])))[:8]
        charts.append(_top_chart(ex, rows, 3, period, _EXPLOITATION_CHART))
        for age, words in ((_ADULT, _ADULT_EXPLOITATION_CHART), (_CHILD, _CHILD_EXPLOITATION_CHART)):
            by_age = sorted(_rows_where(ex, Exploitation_type="*", Age_at_exploitation=age),
                            key=lambda r: (-_count(r[3]), str(r[0])))[:8]
            charts.append(_top_chart(ex, [r for r in by_age if _count(r[3])], 3, period, words))
    nat = results.get("referrals_by_nationality_age")
    if nat is not None:
        other = nat.table.dimensions[0].other
        rows = [r for r in _rows_where(nat, Nationality="*") if r[0] != other and isinstance(r[2], int)]
        rows = sorted(rows, key=lambda r: (-_count(r[2]), str(r[0])))[:10]
        charts.append(_top_chart(nat, rows, 2, period, _NATIONALITY_CHART))
    rg, cg = results.get("rg_decisions"), results.get("cg_decisions")
    if rg is not None and cg is not None:
        charts.append(_positive_decisions_chart(rg, cg, declared))
    return [c for c in charts if c is not None]


def _referrals_bar_chart(
    q: TableResult, totals: Mapping[str, Value], period: Period, series_length: int
) -> ChartData | None:
    """Referrals in each of the last ``series_length`` quarters (None: no quarter with a known count)."""
    window = {x.label for x in series_quarters(period, series_length)}
    cats = [c for c in totals if c in window]
    bar_vals: list[float | None] = [float(v) if isinstance(v := totals[c], int) else None for c in cats]
    known = [i for i, v in enumerate(bar_vals) if v is not None]
    if not known:
        return None
    hi = max(known, key=lambda i: (bar_vals[i] or 0.0, -i))
    desc = (
        f"Bar chart of NRM referrals in each quarter from {cats[0]} to {cats[-1]}. "
        f"Referrals were {_n(bar_vals[-1])} in {cats[-1]}, compared with {_n(bar_vals[0])} in {cats[0]}; "
        f"the highest quarter was {cats[hi]} with {_n(bar_vals[hi])}."
    )
    chart = C.bar_chart("referrals-by-quarter", _quarter_change_title(cats, bar_vals), desc, cats, bar_vals,
                        y_label="Referrals")
    return ChartData(
        chart,
        ("Quarter", "Referrals"),
        tuple((c, _n(v) if v is not None else "[x]") for c, v in zip(cats, bar_vals, strict=True)),
        q.table.id,
    )


def _quarter_change_title(cats: Sequence[str], values: Sequence[float | None]) -> str:
    """The bar chart's message: how the last quarter compares with the one before."""
    last, before = values[-1], values[-2] if len(values) > 1 else None
    if last is None:
        return "NRM referrals by quarter"
    if not before:
        return f"There were {_n(last)} NRM referrals in {cats[-1]}"
    ch = (last - before) / before * 100
    if abs(ch) < 0.5:
        return f"NRM referrals were about the same in {cats[-1]} as in the previous quarter"
    return f"NRM referrals {'rose' if ch > 0 else 'fell'} {abs(ch):.0f}% on the previous quarter, to {_n(last)} in {cats[-1]}"


def _count_cell(v: float | None) -> str:
    return "[x]" if v is None else _n(int(v))


def _referrals_by_age_chart(
    q: TableResult, totals: Mapping[str, Value], declared: Sequence[backseries.SeriesBreak] = ()
) -> ChartData | None:
    """Referrals of adults and of children in each quarter of the whole series, its breaks marked."""
    all_cats = list(totals)
    ages = ("Adult (18 or over)", "Child (17 or under)")
    series: list[tuple[str, list[float | None]]] = []
    for age in ages:
        by_q = {r[0]: float(r[3]) if isinstance(r[3], int) else None for r in q.rows if r[1] == age and r[2] == TOTAL}
        series.append(
            (
                age.split(" (")[0] + "s" if age.startswith("Adult") else "Children",
                [None if totals[c] is None else by_q.get(c, 0.0) for c in all_cats],
            )
        )
    if not all_cats:
        return None
    breaks = backseries.chart_breaks(
        q.table, [Quarter(int(c[:4]), int(c[-1])) for c in all_cats], dimensions=("Age at exploitation",),
        declared=declared,
    )
    cell = _count_cell
    desc = (
        f"Line chart of NRM referrals of adults and of children in each quarter from {all_cats[0]} to "
        f"{all_cats[-1]}. In {all_cats[-1]} there were {cell(series[0][1][-1])} referrals of adults and "
        f"{cell(series[1][1][-1])} of children." + _breaks_text(breaks)
    )
    adults, children = series[0][1][-1], series[1][1][-1]
    if adults is None or children is None or adults == children:
        title = "NRM referrals by age at exploitation and quarter"
    else:
        more = "children than adults" if children > adults else "adults than children"
        title = f"More {more} were referred in {all_cats[-1]} ({_n(max(adults, children))} to {_n(min(adults, children))})"
    chart = C.line_chart(
        "referrals-by-age",
        title,
        desc,
        all_cats,
        series,
        breaks=[(b.label, label) for b, label in breaks],
    )
    return ChartData(
        chart,
        ("Quarter", "Adults", "Children"),
        tuple((c, cell(series[0][1][i]), cell(series[1][1][i])) for i, c in enumerate(all_cats)),
        q.table.id,
    )


@dataclass(frozen=True)
class _TopChart:
    """The words of a horizontal bar chart of the largest categories of one table."""

    id: str
    title: str  # the message: "{top}" the largest categories, "{was}" was or were, "{noun}" (plural if they tie)
    described: str  # what the bars count, after "the N most common"
    column: str
    noun: tuple[str, str]  # singular, plural


_EXPLOITATION_CHART = _TopChart(
    "referrals-by-exploitation", "{top} {was} the most common {noun} recorded in {period}",
    "exploitation types recorded in referrals", "Exploitation type", ("exploitation type", "exploitation types"),
)
_NATIONALITY_CHART = _TopChart(
    "referrals-by-nationality", "{top} {was} the most common {noun} of people referred in {period}",
    "nationalities of people referred", "Nationality", ("nationality", "nationalities"),
)
_ADULT_EXPLOITATION_CHART = _TopChart(
    "referrals-by-exploitation-adults", "{top} {was} the most common {noun} of adults in {period}",
    "exploitation types recorded in referrals of adults", "Exploitation type", ("exploitation type", "exploitation types"),
)
_CHILD_EXPLOITATION_CHART = _TopChart(
    "referrals-by-exploitation-children", "{top} {was} the most common {noun} of children in {period}",
    "exploitation types recorded in referrals of children", "Exploitation type", ("exploitation type", "exploitation types"),
)


def _top_chart(
    res: TableResult, rows: Sequence[Sequence[Value]], count_column: int, period: Period, words: _TopChart
) -> ChartData | None:
    """A horizontal bar chart of ``rows`` (largest first; None: no rows), counts in ``count_column``."""
    if not rows:
        return None
    cats = [str(r[0]) for r in rows]
    vals = [float(_count(r[count_column])) for r in rows]
    desc = (
        f"Horizontal bar chart of the {len(rows)} most common {words.described} in "
        f"{period.title}, largest first: "
        + "; ".join(f"{c} {_n(int(v))}" for c, v in zip(cats, vals, strict=True))
        + "."
    )
    leaders = sorted(c for c, v in zip(cats, vals, strict=True) if v == max(vals))
    many = len(leaders) > 1
    title = words.title.format(top=_and(leaders), was="were" if many else "was", noun=words.noun[many],
                               period=period.title)
    chart = C.hbar_chart(words.id, title, desc, cats, vals)
    return ChartData(
        chart,
        (words.column, "Referrals"),
        tuple((c, _n(int(v))) for c, v in zip(cats, vals, strict=True)),
        res.table.id,
    )


def _positive_shares(rg: TableResult, cg: TableResult) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """The quarters and the percentage of RG and of CG decisions that were positive in each, from the first
    quarter with any decision (the leading quarters before the back series starts are left out)."""
    cats = [x.label for x in rg.quarters]
    shares: list[tuple[str, list[float | None]]] = []
    for name, res in (("Reasonable Grounds", rg), ("Conclusive Grounds", cg)):
        tot = {r[0]: _count(r[4]) for r in res.rows if r[1] == TOTAL and r[2] == TOTAL and r[3] == TOTAL}
        pos = {r[0]: r[4] for r in res.rows if r[1] == "Positive" and r[2] == TOTAL and r[3] == TOTAL}
        shares.append((name, [round(_count(pos.get(c, 0)) / tot[c] * 100, 1)
                              if tot.get(c) and pos.get(c) != SUPPRESSED else None for c in cats]))
    lead = next((i for i in range(len(cats)) if any(vs[i] is not None for _, vs in shares)), 0)
    return cats[lead:], [(name, vs[lead:]) for name, vs in shares]


def _decision_breaks(
    rg: TableResult, cg: TableResult, quarters: list[Quarter], declared: Sequence[backseries.SeriesBreak] = ()
) -> list[tuple[Quarter, str]]:
    """The series breaks of the RG and CG decision tables, merged by quarter."""
    found: dict[Quarter, list[str]] = {}
    for res in (rg, cg):
        for bq, label in backseries.chart_breaks(res.table, quarters, dimensions=("Outcome",), declared=declared):
            found.setdefault(bq, [])
            found[bq] += [x for x in label.split("; ") if x not in found[bq]]
    return [(bq, "; ".join(labels)) for bq, labels in sorted(found.items())]


def _share_cell(v: float | None) -> str:
    return "no decisions" if v is None else f"{v:.1f}%"


def _positive_decisions_chart(
    rg: TableResult, cg: TableResult, declared: Sequence[backseries.SeriesBreak] = ()
) -> ChartData | None:
    """The percentage of RG and CG decisions that were positive in each quarter, its breaks marked."""
    cats, shares = _positive_shares(rg, cg)
    if not cats:
        return None
    breaks = _decision_breaks(rg, cg, [Quarter(int(c[:4]), int(c[-1])) for c in cats], declared)
    fmt = _share_cell
    desc = (
        f"Line chart of the percentage of Reasonable Grounds and Conclusive Grounds decisions that were "
        f"positive in each quarter from {cats[0]} to {cats[-1]}. In {cats[-1]}: Reasonable Grounds "
        f"{fmt(shares[0][1][-1])}, Conclusive Grounds {fmt(shares[1][1][-1])}." + _breaks_text(breaks)
    )
    rg_last, cg_last = shares[0][1][-1], shares[1][1][-1]
    title = (f"{rg_last:.0f}% of Reasonable Grounds and {cg_last:.0f}% of Conclusive Grounds decisions were positive "
             f"in {cats[-1]}" if rg_last is not None and cg_last is not None
             else "Percentage of decisions that were positive, by quarter")
    chart = C.line_chart(
        "positive-decisions",
        title,
        desc,
        cats,
        shares,
        percent=True,
        y_max=100.0,
        breaks=[(bq.label, label) for bq, label in breaks],
    )
    return ChartData(
        chart,
        ("Quarter", "Reasonable Grounds positive", "Conclusive Grounds positive"),
        tuple((c, fmt(shares[0][1][i]), fmt(shares[1][1][i])) for i, c in enumerate(cats)),
        rg.table.id,
    )


_CSS = """body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;max-width:60em;margin:0 auto;padding:1em;line-height:1.5}
h1{font-size:2em}h2{margin-top:1.5em;border-top:1px solid #b1b4b6;padding-top:.5em}
table{border-collapse:collapse;margin:1em 0}caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{border-bottom:1px solid #b1b4b6;padding:.3em .6em;text-align:left;vertical-align:top}
td.num{text-align:right}figure{margin:1.5em 0}figure img{max-width:100%;height:auto}
.key-findings li{margin-bottom:.5em}a{color:#1d70b8}"""


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _key_figure_row(f: KeyFigure) -> str:
    """A key figure as a row of the bulletin's key figures table."""

    def fmt(v: float | int | None) -> str:
        if f.suppressed:
            return SUPPRESSED
        if v is None:
            return "[x]"
        return _share(v) if f.unit == "percentage" else _n(v)

    val, cmp_ = fmt(f.value), fmt(f.comparison)
    if f.suppressed:
        ch = SUPPRESSED
    elif f.unit == "percentage":
        ch = "[z]"
    elif f.comparison is None:
        ch = "[x]"
    elif f.change is None:
        ch = "[z]"
    else:
        ch = f"{f.change:+.1f}%"
    return (
        f'<tr><th scope="row">{_e(f.measure)}</th><td class="num">{_e(val)}</td>'
        f'<td class="num">{_e(cmp_)}</td><td class="num">{_e(ch)}</td></tr>'
    )


def _figure_html(i: int, cd: ChartData, href: str) -> list[str]:
    """Figure ``i``: the chart's image, its description and its data in a details element."""
    fig_chart = cd.chart
    p = [
        f'<figure id="figure-{i}" aria-labelledby="figure-{i}-caption">',
        f'<figcaption id="figure-{i}-caption"><h3>Figure {i}: {_e(fig_chart.title)}</h3></figcaption>',
        f'<img src="{_e(href)}" alt="{_e(fig_chart.title)}: described in the text below the chart">',
        f"<p>{_e(fig_chart.description)}</p>",
        f"<details><summary>Data for figure {i}</summary>",
        "<table>",
        f"<caption>Data for figure {i}: {_e(fig_chart.title)}</caption>",
        "<thead><tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in cd.columns) + "</tr></thead>",
        "<tbody>",
    ]
    for row in cd.rows:
        p.append(
            "<tr>"
            + f'<th scope="row">{_e(row[0])}</th>'
            + "".join(f'<td class="num">{_e(v)}</td>' for v in row[1:])
            + "</tr>"
        )
    p += [
        "</tbody>",
        "</table>",
        f'<p>Source: <a href="csv/{_e(cd.source_table)}.csv">table {_e(cd.source_table)} (CSV)</a>.</p>',
        "</details>",
        "</figure>",
    ]
    return p


def render(
    period: Period,
    findings: Sequence[str],
    figures: Sequence[KeyFigure],
    charts: Sequence[tuple[ChartData, str]],
    tables: Sequence[TableLink],
    workbook: str,
    *,
    first_date: date | None,
    last_date: date | None,
    suppression_note: str,
    notes: Mapping[int, str] | None = None,
    sections: Sequence[tuple[str, str, str]] = (),
    about: Sequence[str] = (),
) -> str:
    """The bulletin's HTML. ``charts`` pairs each chart with its file's relative path.

    ``notes`` are the numbered notes (default the tables' notes); ``sections`` are
    further sections (anchor id, heading, HTML body) placed after the data tables and
    listed in the contents; ``about`` adds paragraphs to "About these statistics"."""
    notes = NOTES if notes is None else notes
    title = publication_title(period)
    comp = period.comparison()
    p: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<p>Official statistics (Open NRM)</p>",
        f"<h1>{_e(title)}</h1>",
        f"<p>Period covered: {_e(period.title)} ({_e(period.label)}). Compared with {_e(comp.title)}.</p>",
        "</header>",
        "<main>",
        '<nav aria-labelledby="contents-heading"><h2 id="contents-heading">Contents</h2><ol>',
        '<li><a href="#key-findings">Key findings</a></li>',
        '<li><a href="#key-figures">Key figures</a></li>',
        '<li><a href="#charts">Charts</a></li>',
        '<li><a href="#data-tables">Data tables</a></li>',
        *[f'<li><a href="#{_e(anchor)}">{_e(heading)}</a></li>' for anchor, heading, _ in sections],
        '<li><a href="#about">About these statistics</a></li>',
        "</ol></nav>",
        '<section aria-labelledby="key-findings">',
        '<h2 id="key-findings">Key findings</h2>',
        '<ul class="key-findings">',
        *[f"<li>{_e(f)}</li>" for f in findings],
        "</ul>",
        "</section>",
        '<section aria-labelledby="key-figures">',
        '<h2 id="key-figures">Key figures</h2>',
        "<table>",
        f"<caption>Key figures for {_e(period.title)} and {_e(comp.title)}</caption>",
        '<thead><tr><th scope="col">Measure</th>'
        f'<th scope="col">{_e(period.label)}</th><th scope="col">{_e(comp.label)}</th>'
        '<th scope="col">Percentage change</th></tr></thead>',
        "<tbody>",
    ]
    p += [_key_figure_row(f) for f in figures]
    p += ["</tbody>", "</table>", "</section>", '<section aria-labelledby="charts">', '<h2 id="charts">Charts</h2>']
    for i, (cd, href) in enumerate(charts, start=1):
        p += _figure_html(i, cd, href)
    p += [
        "</section>",
        '<section aria-labelledby="data-tables">',
        '<h2 id="data-tables">Data tables</h2>',
        f'<p>All tables are in the spreadsheet <a href="{_e(workbook)}">{_e(workbook)}</a> (OpenDocument, '
        "one table per sheet) and as one CSV file per table.</p>",
        "<table>",
        "<caption>Tables in this release</caption>",
        '<thead><tr><th scope="col">Table</th><th scope="col">Title</th><th scope="col">Sheet</th>'
        '<th scope="col">CSV</th><th scope="col">Rows</th></tr></thead>',
        "<tbody>",
    ]
    for t in tables:
        p.append(
            f'<tr><th scope="row">{_e(t.id)}</th><td>{_e(t.title)}</td><td>{_e(t.sheet)}</td>'
            f'<td><a href="{_e(t.csv)}">{_e(t.csv)}</a></td><td class="num">{t.rows:,}</td></tr>'
        )
    extract_range = (
        f"The extract holds referrals made from {first_date.isoformat()} to {last_date.isoformat()}."
        if first_date and last_date
        else "The extract holds no referrals."
    )
    p += ["</tbody>", "</table>", "</section>"]
    for anchor, heading, body in sections:
        p += [
            f'<section aria-labelledby="{_e(anchor)}">',
            f'<h2 id="{_e(anchor)}">{_e(heading)}</h2>',
            body,
            "</section>",
        ]
    p += [
        '<section aria-labelledby="about">',
        '<h2 id="about">About these statistics</h2>',
        "<p>These statistics are computed from the Open NRM analytical extract: one pseudonymised row per "
        "referral (no names, dates of birth or free text; people are identified only by a keyed hash), with "
        f"Duty to Notify reports, independent reviews and support. {_e(extract_range)}</p>",
        *[f"<p>{_e(a)}</p>" for a in about],
        f"<p>{_e(suppression_note)}</p>",
        "<h3>Shorthand</h3>",
        "<dl>",
        "<dt>[c]</dt><dd>Confidential: suppressed to protect confidentiality.</dd>",
        "<dt>[x]</dt><dd>Not available.</dd>",
        "<dt>[z]</dt><dd>Not applicable.</dd>",
        "<dt>[r]</dt><dd>Revised since it was last published.</dd>",
        "<dt>[b]</dt><dd>Break in the series: figures before and from this quarter are not on the same basis.</dd>",
        "</dl>",
        "<h3>Notes</h3>",
        "<ol>",
        *[f'<li id="note-{k}" value="{k}">{_e(v)}</li>' for k, v in sorted(notes.items())],
        "</ol>",
        "</section>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p) + "\n"
