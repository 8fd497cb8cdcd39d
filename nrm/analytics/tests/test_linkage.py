"""Probabilistic record linkage of repeat referrals (Splink, DuckDB backend).

The suite uses a small synthetic dataset (seconds); ``bench/linkage.py`` measures the
same at 1M referrals.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from nrm.analytics import linkage as L
from nrm.analytics.synthetic.generator import linkage_pairs
from nrm.analytics.synthetic.identities import repeat_referral_ids, synthetic_linkage_input

N = 3000


@pytest.fixture(scope="module")
def data() -> tuple[pa.Table, pa.Table, pa.Table]:
    return linkage_pairs(N, seed=1, start=date(2019, 1, 1), end=date(2024, 12, 31))


@pytest.fixture(scope="module")
def result(data: tuple[pa.Table, pa.Table, pa.Table]) -> L.LinkageResult:
    _referrals, linkage_input, _truth = data
    return L.link_referrals(linkage_input, config=L.LinkageConfig(u_max_pairs=1e6))


def test_finds_at_least_90_percent_of_repeats_with_at_most_5_percent_false_links(
    data: tuple[pa.Table, pa.Table, pa.Table], result: L.LinkageResult
) -> None:
    _referrals, _input, truth = data
    metrics = L.evaluate(result, truth)
    assert metrics.repeats > 100  # about 5% of the referrals are repeats
    assert metrics.repeat_recall >= 0.9, metrics.summary()
    assert metrics.recall >= 0.9, metrics.summary()
    assert metrics.false_link_rate <= 0.05, metrics.summary()
    # distinct people beside referrals
    assert result.n_referrals == N
    assert result.n_people == len(result.clusters.column("cluster_id").unique()) < N
    assert abs(result.n_people - metrics.true_people) <= 0.02 * N
    assert "distinct people" in result.summary()
    assert result.linked_pairs().num_rows == result.n_pairs
    assert min(result.linked_pairs().column("match_probability").to_pylist()) >= result.threshold


def test_the_model_is_reusable(data: tuple[pa.Table, pa.Table, pa.Table], result: L.LinkageResult) -> None:
    _referrals, linkage_input, _truth = data
    again = L.link_referrals(linkage_input, model=result.model)
    assert again.n_people == result.n_people
    assert "train" not in again.timings
    # every trained m probability is at least the floor
    for comparison in result.model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and not level.get("fix_m_probability"):
                assert level["m_probability"] >= L.M_FLOOR * 0.99


def test_nicknames_spelling_variants_and_swapped_names_link() -> None:
    people = [
        ("Mohammed", "Hassan", date(1990, 5, 1), "Sudanese"),
        ("Mohamed", "Hassan", date(1990, 5, 1), "Sudanese"),  # spelling variant
        ("Alexandru", "Popescu", date(1988, 3, 2), "Romanian"),
        ("Popescu", "Alexandru", date(1988, 3, 2), "Romanian"),  # names swapped
        ("Van Anh", "Nguyen", date(2004, 1, 9), "Vietnamese"),
        ("Van Minh", "Nguyen", date(1999, 12, 30), "Vietnamese"),  # a different person
    ]
    rows = []
    for i, (first, last, dob, nat) in enumerate(people):
        rows.append({"referral_id": f"R{i}", "first_name": first, "surname": last, "date_of_birth": dob,
                     "year_of_birth": None, "gender": "Male", "nationality": nat, "police_force": None,
                     "first_responder": None, "referral_date": date(2022, 1, 1)})
    # background referrals so that the model has something to learn from
    from nrm.analytics.synthetic.extract import generate_referrals

    background, _truth = synthetic_linkage_input(generate_referrals(1500, 9, date(2020, 1, 1), date(2023, 12, 31)),
                                                   seed=9)
    table = pa.concat_tables([pa.Table.from_pylist(rows, schema=L.LINKAGE_INPUT), background])
    res = L.link_referrals(table, config=L.LinkageConfig(u_max_pairs=5e5))
    cluster = dict(zip(res.clusters.column("referral_id").to_pylist(), res.clusters.column("cluster_id").to_pylist(),
                       strict=True))
    assert cluster["R0"] == cluster["R1"]
    assert cluster["R2"] == cluster["R3"]
    assert cluster["R4"] != cluster["R5"]


def test_bad_input_is_refused() -> None:
    good = pa.Table.from_pylist(
        [{"referral_id": "A", "referral_date": date(2022, 1, 1)}, {"referral_id": "A", "referral_date": date(2022, 1, 2)}],
        schema=L.LINKAGE_INPUT,
    )
    with pytest.raises(L.LinkageError, match="not unique"):
        L.link_referrals(good)
    with pytest.raises(L.LinkageError, match="no column"):
        L.link_referrals(good.drop_columns(["surname"]))
    one = good.slice(0, 1)
    res = L.link_referrals(one)
    assert res.n_people == 1
    assert res.n_pairs == 0


def test_synthetic_input_keeps_identities_of_repeats(data: tuple[pa.Table, pa.Table, pa.Table]) -> None:
    referrals, linkage_input, truth = data
    assert linkage_input.schema == L.LINKAGE_INPUT
    assert linkage_input.num_rows == referrals.num_rows == truth.num_rows
    repeats = repeat_referral_ids(truth)
    assert 0.03 * N < len(repeats) < 0.08 * N
    missing_dob = linkage_input.column("date_of_birth").null_count / N
    assert 0.02 < missing_dob < 0.15
    regularised = L.regularise({"comparisons": [{"comparison_levels": [
        {"is_null_level": True},
        {"m_probability": 0.999999},
        {"m_probability": 0.000001},
    ]}]})
    levels = regularised["comparisons"][0]["comparison_levels"]
    assert levels[2]["m_probability"] >= L.M_FLOOR * 0.99
    assert abs(levels[1]["m_probability"] + levels[2]["m_probability"] - 1) < 1e-9
