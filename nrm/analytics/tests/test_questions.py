"""Answers to parliamentary questions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from nrm.analytics import extract_io
from nrm.analytics import questions as PQ
from nrm.analytics.extract_io import Extract
from nrm.analytics.periods import parse_period
from nrm.analytics.synthetic.generator import fixture_extract

CHILD = "Child (17 or under)"


@dataclass(frozen=True)
class Given:
    """What a fake disclosure control decides for a count."""

    method: str
    value: int | None
    reason: str


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Extract]:
    ex = fixture_extract(4000, seed=11, start=date(2019, 7, 1), end=date(2021, 6, 30))
    path = tmp_path_factory.mktemp("questions") / "extract.parquet"
    extract_io.write_extract(ex, path)
    return path, ex


def _in(col: pa.ChunkedArray, start: date, end: date) -> pa.ChunkedArray:
    return pc.and_(
        pc.greater_equal(col, pa.scalar(start, pa.date32())), pc.less_equal(col, pa.scalar(end, pa.date32()))
    )


def test_percentage_of_positive_rg_decisions_on_child_cases(extract: tuple[Path, Extract]) -> None:
    path, ex = extract
    query = PQ.Query(
        measure="percentage",
        denominator=(PQ.Filter("age_at_exploitation", (CHILD,)),),
        numerator=(PQ.Filter("rg_outcome", ("Positive",)),),
        periods=(parse_period("2020-Q2"), parse_period("2020-Q3")),
        date_basis="rg",
    )
    answer = PQ.answer(path, query)
    r = ex.referrals
    in_period = pc.fill_null(_in(r.column("rg_date"), date(2020, 4, 1), date(2020, 9, 30)), False)
    child = pc.equal(r.column("age_at_exploitation"), CHILD)
    den = r.filter(pc.and_(in_period, child))
    num = den.filter(pc.equal(den.column("rg_outcome"), "Positive"))
    assert answer.denominator == den.num_rows > 0
    assert answer.numerator == num.num_rows
    assert answer.value == round(num.num_rows / den.num_rows * 100, 1)
    assert answer.display == f"{answer.value:.1f}%"
    assert not answer.suppressed
    # how it was computed and the data cut
    assert "Reasonable Grounds decision" in answer.description
    assert "2020-Q2, 2020-Q3" in answer.description
    assert "2020-04-01 to 2020-09-30" in answer.description
    assert "?" in answer.sql
    assert CHILD not in answer.sql
    assert "Positive" not in answer.sql
    assert CHILD in answer.parameters
    assert "Positive" in answer.parameters
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert ("extract.parquet", digest) in answer.data_cut.files
    assert answer.data_cut.extract_date is not None
    d = answer.to_dict()
    assert d["value"] == answer.value
    assert d["data_cut"]["files"][0]["sha256"]


def test_count_with_list_dimensions_and_span(extract: tuple[Path, Extract]) -> None:
    path, ex = extract
    query = PQ.Query.from_dict(
        {
            "measure": "count",
            "numerator": {"exploitation_types": ["Sexual"], "gender": "Female"},
            "periods": "2020-Q1 to 2020-Q4",
        }
    )
    assert [p.label for p in query.periods] == ["2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4"]
    answer = PQ.answer(path, query)
    r = ex.referrals
    mask = pc.and_(
        _in(r.column("referral_date"), date(2020, 1, 1), date(2020, 12, 31)),
        pc.and_(
            pc.equal(r.column("gender"), "Female"),
            pc.match_substring_regex(r.column("exploitation_types"), r"(^|;)Sexual(;|$)"),
        ),
    )
    assert answer.value == r.filter(mask).num_rows
    assert answer.denominator is None
    assert "alone or with others" in answer.description


def test_small_counts_are_suppressed(extract: tuple[Path, Extract]) -> None:
    path, _ex = extract
    query = PQ.Query(
        numerator=(PQ.Filter("exploitation_types", ("Organ Harvesting",)),),
        periods=(parse_period("2020-Q3"),),
    )
    answer = PQ.answer(path, query, disclosure=PQ.Disclosure(threshold=10_000))
    assert answer.suppressed
    assert answer.display == "[c]"
    assert answer.value is None
    assert answer.numerator is None
    assert "fewer than 10000" in (answer.suppression or "")
    pct = PQ.Query(
        measure="percentage",
        denominator=(PQ.Filter("age_at_exploitation", (CHILD,)),),
        numerator=(PQ.Filter("gender", ("Other",)),),
        periods=(parse_period("2020-Q3"),),
    )
    small = PQ.answer(path, pct, disclosure=PQ.Disclosure(threshold=5))
    if small.suppressed:
        assert small.numerator is None
        assert small.denominator is None
    unsuppressed = PQ.answer(path, pct, disclosure=PQ.Disclosure(threshold=0))
    assert unsuppressed.value is not None
    if 0 < (unsuppressed.numerator or 0) < 5:
        assert small.suppressed


def test_bad_queries_get_clear_errors(extract: tuple[Path, Extract]) -> None:
    path, _ex = extract
    with pytest.raises(PQ.UnknownDimension, match="unknown dimension 'colour'"):
        PQ.answer(path, {"numerator": {"colour": "red"}, "periods": ["2020-Q1"]})
    with pytest.raises(PQ.UnknownDimension):
        PQ.answer(path, {"numerator": {"person_id": "x"}, "periods": ["2020-Q1"]})
    with pytest.raises(PQ.UnknownValue, match="'Teenager' is not a value of age_at_exploitation"):
        PQ.answer(path, {"numerator": {"age_at_exploitation": "Teenager"}, "periods": ["2020-Q1"]})
    with pytest.raises(PQ.UnknownValue, match="Did you mean 'Female'"):
        PQ.answer(path, {"numerator": {"gender": "female"}, "periods": ["2020-Q1"]})
    with pytest.raises(PQ.EmptyPeriod):
        PQ.answer(path, {"numerator": {"gender": "Male"}, "periods": []})
    with pytest.raises(PQ.EmptyPeriod, match="ends before it starts"):
        PQ.Query.from_dict({"periods": "2021-Q1 to 2020-Q1"})
    with pytest.raises(PQ.QueryError, match="invalid period"):
        PQ.Query.from_dict({"periods": ["2020-Q5"]})
    with pytest.raises(PQ.PeriodNotCovered):
        PQ.answer(path, {"numerator": {"gender": "Male"}, "periods": ["2030-Q1"]})
    with pytest.raises(PQ.ZeroDenominator, match="denominator is zero"):
        PQ.answer(
            path,
            {
                "measure": "percentage",
                "date_basis": "cg",
                "denominator": {"rg_outcome": "Negative"},  # a CG decision needs a positive RG
                "numerator": {"cg_outcome": "Positive"},
                "periods": ["2020"],
            },
        )
    with pytest.raises(PQ.QueryError, match="measure"):
        PQ.Query.from_dict({"measure": "mean", "periods": ["2020"]})
    with pytest.raises(PQ.QueryError, match="median_of"):
        PQ.validate(PQ.Query.from_dict({"measure": "median", "periods": ["2020"]}))
    with pytest.raises(PQ.QueryError, match="numerator"):
        PQ.validate(PQ.Query(measure="percentage", periods=(parse_period("2020"),)))
    with pytest.raises(PQ.QueryError, match="date_basis"):
        PQ.validate(PQ.Query(source="duty_to_notify", date_basis="rg", periods=(parse_period("2020"),)))
    err = PQ.UnknownDimension("x", field="numerator.colour")
    assert err.to_dict() == {"error": "UnknownDimension", "field": "numerator.colour", "message": "x"}


def test_values_are_parameters_never_pasted(extract: tuple[Path, Extract]) -> None:
    path, _ex = extract
    sneaky = "Police'); DROP TABLE referrals; --"
    with pytest.raises(PQ.UnknownValue, match="is not a known value of first_responder"):
        PQ.answer(path, {"numerator": {"first_responder": sneaky}, "periods": ["2020"]})
    compiled = PQ.compile_query(PQ.Query.from_dict({"numerator": {"first_responder": sneaky}, "periods": ["2020"]}))
    assert sneaky not in compiled.sql
    assert sneaky in compiled.parameters
    assert PQ.answer(path, {"numerator": {"gender": "Male"}, "periods": ["2020"]}).numerator  # the table is still there
    compiled = PQ.compile_query(PQ.Query.from_dict({"numerator": {"police_force": [None, "Kent Police"]},
                                                     "periods": ["2020-Q1", "2020-Q2", "2020-Q4"]}))
    assert "IS NULL" in compiled.sql
    # adjacent quarters are merged into one date range; the gap stays
    assert compiled.parameters.count(date(2020, 1, 1)) == 1
    assert date(2020, 10, 1) in compiled.parameters


def test_duty_to_notify_and_notes(extract: tuple[Path, Extract]) -> None:
    path, ex = extract
    answer = PQ.answer(path, {"source": "duty_to_notify", "numerator": {"gender": "Male"}, "periods": ["2020"]})
    d = ex.duty_to_notify
    mask = pc.and_(_in(d.column("report_date"), date(2020, 1, 1), date(2020, 12, 31)), pc.equal(d.column("gender"), "Male"))
    assert answer.value == d.filter(mask).num_rows
    early = PQ.answer(path, {"numerator": {"exploitation_types": "Labour"}, "periods": ["2019-Q3"]})
    assert any("criminal exploitation was recorded as labour" in n for n in early.notes)
    assert set(PQ.dimensions()) >= {"age_at_exploitation", "exploitation_types", "rg_outcome", "county_lines"}
    assert "referral_id" not in PQ.dimensions()
    assert "person_id" not in PQ.dimensions()


@pytest.mark.parametrize(("dimension", "typed", "suggested"), [
    ("police_force", "Dyfed Powys", "'Dyfed-Powys'"),
    ("police_force", "metropolitan police", "'Metropolitan Police'"),
    ("nationality", "Albanien", "'Albanian'"),
    ("region", "North-West", "'North West'"),
])
def test_a_misspelt_value_of_an_open_dimension_is_refused_with_the_closest_known_ones(
        extract: tuple[Path, Extract], dimension: str, typed: str, suggested: str) -> None:
    """A value nobody could have recorded would count nothing and look like an answer of 0."""
    path, _ex = extract
    with pytest.raises(PQ.UnknownValue, match=f"'{typed}' is not a known value of {dimension}. Did you mean .*{suggested}") as e:
        PQ.answer(path, {"numerator": {dimension: typed}, "periods": ["2020-Q1"]})
    assert e.value.field == f"numerator.{dimension}"


def test_a_known_value_with_no_records_is_answered_and_a_recorded_one_outside_the_reference_too(
        extract: tuple[Path, Extract]) -> None:
    path, ex = extract
    assert PQ.answer(path, {"numerator": {"nationality": "Tuvaluan"}, "periods": ["2020-Q1"]}).numerator == 0
    organisation = ex.referrals.column("first_responder")[0].as_py()
    assert PQ.answer(path, {"numerator": {"first_responder": organisation}, "periods": ["2019-Q3 to 2021-Q2"]}).numerator


def test_a_nationality_counts_it_alone_as_published_unless_dual_nationals_are_asked_for(
        extract: tuple[Path, Extract]) -> None:
    """The published tables show a dual national under the pair ('Albanian Greek'), so 'UK' there is
    UK alone; a question's default matches it, and says so, and dual nationals are one choice away."""
    path, ex = extract
    r = ex.referrals
    spell = _in(r.column("referral_date"), date(2019, 10, 1), date(2021, 6, 30))
    recorded = [(v or "") for v in r.filter(spell).column("nationality").to_pylist()]
    duals = [v for v in recorded if ";" in v]
    assert duals, "the fixture should hold dual nationals"
    name = duals[0].split(";")[0]
    alone = sum(1 for v in recorded if v == name)
    with_others = sum(1 for v in recorded if name in v.split(";"))
    assert with_others > alone > 0
    asked = {"numerator": {"nationality": name}, "periods": "2019-Q4 to 2021-Q2"}
    default = PQ.answer(path, asked)
    assert default.numerator == alone
    assert "dual nationals not included" in default.description
    both = PQ.answer(path, {**asked, "dual_nationals": True})
    assert both.numerator == with_others
    assert "alone or with others" in both.description
    assert PQ.Query.from_dict({**asked, "dual_nationals": True}).to_dict()["dual_nationals"] is True
    # Two nationalities asked for, alone: either of them alone, never the pair.
    other = next(v for v in recorded if v and ";" not in v and v != name)
    pair = PQ.answer(path, {"numerator": {"nationality": [name, other]}, "periods": "2019-Q4 to 2021-Q2"})
    assert pair.numerator == sum(1 for v in recorded if v in {name, other})
    # Other list dimensions keep "alone or with others".
    assert "alone or with others" in PQ.answer(path, {"numerator": {"exploitation_types": "Sexual"},
                                                      "periods": ["2020-Q1"]}).description


@pytest.mark.parametrize("value", ["yes", 1, None, [], "true"])
def test_dual_nationals_must_be_true_or_false(value: object) -> None:
    with pytest.raises(PQ.QueryError, match="dual_nationals must be true or false") as e:
        PQ.Query.from_dict({"periods": ["2020-Q1"], "dual_nationals": value})
    assert e.value.field == "dual_nationals"


def test_the_control_decides_the_population_asked_about_dual_nationals_included(
        extract: tuple[Path, Extract]) -> None:
    """Each count goes to the disclosure control as the question's own population: with dual
    nationals it must not be taken for the published (alone) cell."""
    path, _ex = extract
    seen: list[PQ.Query] = []

    def control(query: PQ.Query, count: int, cell_key: int) -> Given:
        seen.append(query)
        return Given("perturbed", count, "test")

    PQ.answer(path, {"measure": "percentage", "denominator": {"nationality": "UK"}, "numerator": {"gender": "Female"},
                     "periods": ["2020"], "dual_nationals": True}, control=control)
    assert [q.dual_nationals for q in seen] == [True, True]
    assert [q.measure for q in seen] == ["count", "count"]
    assert seen[1].numerator == ()
    assert seen[0].numerator[0].dimension == "gender"


def _days(ex: Extract, stage: str, start: date, end: date, **equal: str) -> list[int]:
    r = ex.referrals
    out = []
    for row in r.to_pylist():
        decided = row[f"{stage}_date"]
        if decided is None or row[f"{stage}_outcome"] is None or not start <= decided <= end:
            continue
        if any(row[k] != v for k, v in equal.items()):
            continue
        out.append((decided - row["referral_date"]).days)
    return out


@pytest.mark.parametrize("stage", ["rg", "cg"])
def test_a_median_of_days_from_referral_to_a_decision(extract: tuple[Path, Extract], stage: str) -> None:
    path, ex = extract
    days = sorted(_days(ex, stage, date(2020, 1, 1), date(2020, 12, 31)))
    assert len(days) >= 10
    got = PQ.answer(path, {"measure": "median", "median_of": f"days_to_{stage}", "date_basis": stage,
                           "periods": ["2020"]})
    mid = len(days) // 2
    want = days[mid] if len(days) % 2 else (days[mid - 1] + days[mid]) / 2
    assert got.value == round(want, 1)
    assert got.display == f"{round(want, 1):.1f} days"
    assert got.numerator == len(days)
    assert "median days from referral to the" in got.description
    women = sorted(_days(ex, stage, date(2020, 1, 1), date(2020, 12, 31), gender="Female"))
    narrowed = PQ.answer(path, {"measure": "median", "median_of": f"days_to_{stage}", "date_basis": stage,
                                "periods": ["2020"], "denominator": {"gender": "Female"}})
    mid = len(women) // 2
    assert narrowed.value == round(women[mid] if len(women) % 2 else (women[mid - 1] + women[mid]) / 2, 1)


def test_a_median_of_few_records_is_withheld(extract: tuple[Path, Extract]) -> None:
    path, ex = extract
    by_force: dict[str, int] = {}
    for row in ex.referrals.to_pylist():
        if row["cg_date"] is not None and row["cg_outcome"] is not None and row["cg_date"].year == 2020 \
                and row["police_force"]:
            by_force[row["police_force"]] = by_force.get(row["police_force"], 0) + 1
    few = next(f for f, n in sorted(by_force.items()) if 5 <= n < PQ.MEDIAN_MIN_RECORDS)
    got = PQ.answer(path, {"measure": "median", "median_of": "days_to_cg", "date_basis": "cg", "periods": ["2020"],
                           "denominator": {"police_force": few}})
    assert got.suppressed
    assert got.value is None
    assert got.display == "[c]"
    assert f"fewer than {PQ.MEDIAN_MIN_RECORDS} records" in str(got.suppression)
    by_quarter: dict[tuple[str, str], int] = {}
    for row in ex.referrals.to_pylist():
        if row["cg_date"] is not None and row["cg_outcome"] is not None and row["police_force"]:
            quarter = f"{row['cg_date'].year}-Q{(row['cg_date'].month - 1) // 3 + 1}"
            by_quarter[(row["police_force"], quarter)] = by_quarter.get((row["police_force"], quarter), 0) + 1
    force, quarter = next(k for k, n in sorted(by_quarter.items()) if 0 < n < 5)
    withheld = PQ.answer(path, {"measure": "median", "median_of": "days_to_cg", "date_basis": "cg",
                                "periods": [quarter], "denominator": {"police_force": force}})
    assert withheld.suppressed
    assert "fewer than 5 records" in str(withheld.suppression)


@pytest.mark.parametrize(("body", "message"), [
    ({"measure": "median"}, "a median needs median_of"),
    ({"measure": "count", "median_of": "days_to_cg"}, "only a median takes it"),
    ({"measure": "median", "median_of": "days_to_cg", "date_basis": "referral"}, "use date_basis 'cg'"),
    ({"measure": "median", "median_of": "days_in_care", "date_basis": "cg"}, "median_of must be one of"),
    ({"measure": "mode"}, "measure must be 'count', 'percentage' or 'median'"),
])
def test_a_median_asked_wrongly_is_refused_clearly(extract: tuple[Path, Extract], body: dict[str, str],
                                                   message: str) -> None:
    path, _ex = extract
    with pytest.raises(PQ.QueryError, match=message):
        PQ.answer(path, {**body, "periods": ["2020"]})


def test_a_median_goes_through_the_control_as_the_count_it_is_taken_over(extract: tuple[Path, Extract]) -> None:
    path, _ex = extract

    asked = {"measure": "median", "median_of": "days_to_rg", "date_basis": "rg", "periods": ["2020"]}
    seen: list[PQ.Query] = []

    def suppress(query: PQ.Query, count: int, cell_key: int) -> Given:
        seen.append(query)
        return Given("suppressed", None, "a protected cell of the publication")

    got = PQ.answer(path, asked, control=suppress)
    assert got.suppressed
    assert got.suppression == "a protected cell of the publication"
    assert [(q.measure, q.median_of, q.date_basis) for q in seen] == [("count", None, "rg")]

    def refuse(query: PQ.Query, count: int, cell_key: int) -> Given:
        return Given("refused", None, "it would reveal a protected count")

    with pytest.raises(PQ.QuestionRefused, match="would reveal a protected count"):
        PQ.answer(path, asked, control=refuse)

    def perturb(query: PQ.Query, count: int, cell_key: int) -> Given:
        return Given("perturbed", count + 1, "perturbed")

    given = PQ.answer(path, asked, control=perturb)
    assert given.method == "perturbed"
    assert given.value is not None
    assert given.numerator is not None


def test_a_count_broken_down_by_one_dimension(extract: tuple[Path, Extract]) -> None:
    path, ex = extract
    r = ex.referrals.filter(_in(ex.referrals.column("referral_date"), date(2020, 1, 1), date(2020, 12, 31)))
    want: dict[PQ.FilterValue, int] = {}
    for g in r.column("gender").to_pylist():
        want[g] = want.get(g, 0) + 1
    got = PQ.answer(path, {"measure": "count", "periods": ["2020"], "by": "gender"})
    assert got.value == r.num_rows
    rows = {value: answer for value, answer in got.breakdown}
    assert set(rows) >= set(want)
    for value, n in want.items():  # a count under 5 is withheld, as any answer's
        assert rows[value].value == (None if n < 5 else n)
        assert rows[value].display == ("[c]" if n < 5 else f"{n:,}")
    assert any(n < 5 for n in want.values())
    d = got.to_dict()
    assert d["query"]["by"] == "gender"
    assert {row["category"]: row["value"] for row in d["breakdown"] if row["value"]} == {
        k: n for k, n in want.items() if n >= 5}
    narrowed = PQ.answer(path, {"measure": "count", "periods": ["2020"], "by": "gender",
                                "denominator": {"age_at_exploitation": CHILD}})
    assert sum(a.value or 0 for _v, a in narrowed.breakdown) <= (narrowed.value or 0)


@pytest.mark.parametrize(("body", "message"), [
    ({"by": "nationality"}, "several values for one record"),
    ({"by": "shoe_size"}, "unknown dimension 'shoe_size'"),
    ({"by": "gender", "measure": "percentage", "numerator": {"rg_outcome": "Positive"}}, "given for counts"),
    ({"by": "gender", "denominator": {"gender": "Female"}}, "both a filter and the breakdown"),
    ({"by": 3}, "by must be the name of one dimension"),
])
def test_a_breakdown_asked_wrongly_is_refused_clearly(extract: tuple[Path, Extract], body: dict[str, object],
                                                      message: str) -> None:
    path, _ex = extract
    with pytest.raises(PQ.QueryError, match=message):
        PQ.answer(path, {"measure": "count", "periods": ["2020"], **body})


def test_a_breakdown_too_long_is_refused(extract: tuple[Path, Extract], monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ex = extract
    monkeypatch.setattr(PQ, "BY_MOST_VALUES", 2)
    with pytest.raises(PQ.QueryError, match=r"would have .* rows"):
        PQ.answer(path, {"measure": "count", "periods": ["2020"], "by": "gender"})


def test_each_value_of_a_breakdown_passes_the_control_and_a_refused_one_is_withheld(
        extract: tuple[Path, Extract]) -> None:
    path, _ex = extract

    asked: list[PQ.Query] = []

    def control(query: PQ.Query, count: int, cell_key: int) -> Given:
        asked.append(query)
        if any(f.dimension == "gender" and f.values == ("Male",) for f in query.denominator):
            return Given("refused", None, "with your earlier answers it would reveal a protected count")
        return Given("perturbed", count, "perturbed")

    got = PQ.answer(path, {"measure": "count", "periods": ["2020"], "by": "gender"}, control=control)
    assert asked[0].by is None  # the total first
    assert not asked[0].denominator
    assert len(asked) == 1 + len(got.breakdown)
    rows = dict(got.breakdown)
    assert rows["Male"].suppressed
    assert rows["Male"].method == "refused"
    assert "would reveal a protected count" in str(rows["Male"].suppression)
    assert rows["Female"].value is not None
