"""Duty to Notify, reviews, support, reconsiderations, repeat referrals and people."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from nrm.analytics import extract_schema as xs
from nrm.analytics.dated import days_in_force
from nrm.analytics.synthetic import extract, people
from nrm.analytics.synthetic.calibration import MAAP_FROM, MAAP_TO, RECORDING_CHANGE
from nrm.analytics.synthetic.tests import _data


def _frame(table: object) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


# --- Duty to Notify ------------------------------------------------------------------


def test_duty_to_notify() -> None:
    n = extract.duty_to_notify_count(100_000, _data.START, _data.END)
    # Published 2019-2023 DtN plus 2024's 5,598, against 2019-2023 referrals plus 19,125.
    assert 0.2 < n / 100_000 < 0.3
    table = extract.generate_duty_to_notify(n, 3, _data.START, _data.END)
    assert table.schema.equals(xs.DUTY_TO_NOTIFY)
    frame = _frame(table)
    assert frame.height == n
    assert frame["report_id"].n_unique() == n
    assert frame["report_date"].is_sorted()
    assert (frame["report_date"] >= _data.START).all()
    assert (frame["report_date"] <= _data.END).all()
    before = frame.filter(pl.col("report_date") < RECORDING_CHANGE)
    assert not before["nationality"].str.contains(";", literal=True).any()
    assert not before["exploitation_types"].str.contains("Criminal").any()
    top = frame["nationality"].value_counts().sort("count", descending=True)["nationality"].head(5).to_list()
    assert "Albanian" in top
    assert set(frame["first_responder_type"].unique().to_list()) <= {"Government agency", "Police", "Local authority"}
    by_year = frame.group_by(pl.col("report_date").dt.year()).len().sort("report_date")["len"].to_list()
    assert by_year[0] < by_year[-1]  # 2019: 2,272 published; 2024: 5,598


def test_duty_to_notify_errors() -> None:
    with pytest.raises(ValueError, match="start in 2015"):
        extract.generate_duty_to_notify(10, 1, date(2012, 1, 1), date(2013, 1, 1))
    assert extract.generate_duty_to_notify(0, 1, _data.START, _data.END).num_rows == 0


# --- Reviews --------------------------------------------------------------------------


def test_reviews_of_negative_cgs() -> None:
    table = _data.main_table()
    reviews = _frame(extract.generate_reviews(table, seed=11, as_of=_data.END))
    assert extract.generate_reviews(table, seed=11, as_of=_data.END).schema.equals(xs.REVIEWS)
    refs = _frame(table)
    negative = refs.filter((pl.col("cg_outcome") == "Negative") & (pl.col("cg_date") >= MAAP_FROM))
    assert negative.height > 100
    assert sorted(reviews["referral_id"].to_list()) == sorted(negative["referral_id"].to_list())
    joined = reviews.join(refs.select("referral_id", "cg_date"), on="referral_id")
    assert (joined["decision_stage"] == "CG").all()
    maap = joined["cg_date"] <= MAAP_TO
    assert ((joined["review_kind"] == "Multi-Agency Assurance Panel") == maap).all()
    assert (joined["review_kind"] == "Second-line review").any()
    assert (joined["outcome"].is_null() == joined["outcome_date"].is_null()).all()
    assert (joined["referred_date"] <= _data.END).all()
    assert (joined["outcome_date"].drop_nulls() <= _data.END).all()


# --- Support ----------------------------------------------------------------------------


def _in_force(key: str, dates: pl.Series) -> npt.NDArray[np.int64]:
    """The value of policy ``key`` in force on each date."""
    return days_in_force(key, dates.cast(pl.Int32).to_numpy())


def test_support_rules() -> None:
    table = _data.main_table()
    support = extract.generate_support(table, seed=11, as_of=_data.END)
    assert support.schema.equals(xs.SUPPORT)
    sup = _frame(support)
    refs = _frame(table)
    positive = refs.filter(pl.col("rg_outcome") == "Positive")
    assert set(sup["referral_id"].unique().to_list()) == set(positive["referral_id"].to_list())
    joined = sup.join(refs.select("referral_id", "age_at_exploitation", "rg_date", "cg_date", "cg_outcome"),
                      on="referral_id")
    child = joined["age_at_exploitation"] == "Child (17 or under)"
    assert ((joined["provider_type"] == "Local authority") == child).all()
    joined = joined.with_columns(pl.Series("recovery", _in_force("recovery_period_days", joined["rg_date"])))
    recovery = pl.col("recovery")
    move_on = (pl.col("kind") == "Outreach") & (pl.col("start_date") == pl.col("cg_date")).fill_null(False)
    in_recovery = joined.filter(~move_on)
    bad = in_recovery.filter((pl.col("start_date") < pl.col("rg_date"))
                             | (pl.col("start_date") >= pl.col("rg_date") + pl.duration(days=recovery)))
    assert bad.height == 0, bad.head()
    assert (joined["start_date"] <= _data.END).all()
    ended = joined.filter(pl.col("end_date").is_not_null())
    assert (ended["end_date"] >= ended["start_date"]).all()
    assert (ended["end_date"] <= _data.END).all()
    # Every positive CG has move-on support of at least the minimum in force (open-ended if still running).
    moves = joined.filter(move_on)
    moves = moves.with_columns(pl.Series("move_on_min", _in_force("move_on_support_min_days", moves["start_date"])))
    cg_positive = refs.filter(pl.col("cg_outcome") == "Positive")
    assert set(moves["referral_id"].to_list()) == set(cg_positive["referral_id"].to_list())
    short = moves.filter(pl.col("end_date").is_not_null()
                         & (pl.col("end_date") < pl.col("start_date") + pl.duration(days=pl.col("move_on_min"))))
    assert short.height == 0
    rna = joined.filter(pl.col("kind") == "Recovery needs assessment")
    assert rna.height > 0
    assert rna["outcome"].null_count() == 0
    assert joined.filter(pl.col("kind") != "Recovery needs assessment")["outcome"].null_count() == \
        joined.filter(pl.col("kind") != "Recovery needs assessment").height


def test_siblings_from_arrays_match_public_functions() -> None:
    arrays = extract.simulate_referrals(5_000, 2, _data.START, _data.END)
    table = extract.generate_referrals(5_000, 2, _data.START, _data.END)
    assert extract.reviews_for(arrays, 2).equals(extract.generate_reviews(table, 2, as_of=_data.END))
    assert extract.support_for(arrays, 2).equals(extract.generate_support(table, 2, as_of=_data.END))
    assert extract.reconsiderations_for(arrays, 2).equals(extract.generate_reconsiderations(table, 2, as_of=_data.END))


# --- Reconsiderations ------------------------------------------------------------------------


def test_reconsiderations_follow_negative_decisions() -> None:
    table = _data.main_table()
    recon = extract.generate_reconsiderations(table, seed=11, as_of=_data.END)
    assert recon.schema.equals(xs.RECONSIDERATIONS)
    frame = _frame(recon)
    assert frame.height > 0
    refs = _frame(table).select("referral_id", "rg_outcome", "rg_date", "cg_outcome", "cg_date")
    joined = frame.join(refs, on="referral_id", how="left")
    assert joined["rg_outcome"].null_count() == 0, "every row's referral is in the extract"
    rg = joined.filter(pl.col("stage") == "Reasonable Grounds")
    cg = joined.filter(pl.col("stage") == "Conclusive Grounds")
    assert rg.height > 0
    assert cg.height > 0
    assert rg.height + cg.height == frame.height
    # Each request follows a negative decision of its stage, and any fresh decision follows the request.
    assert (rg["rg_outcome"] == "Negative").all()
    assert (rg["requested_date"] > rg["rg_date"]).all()
    assert (cg["cg_outcome"] == "Negative").all()
    assert (cg["requested_date"] > cg["cg_date"]).all()
    assert (frame["requested_date"] <= _data.END).all()
    decided = frame.filter(pl.col("outcome").is_not_null())
    assert decided["outcome_date"].null_count() == 0
    assert (decided["outcome_date"] > decided["requested_date"]).all()
    assert (decided["outcome_date"] <= _data.END).all()
    assert frame.filter(pl.col("outcome").is_null())["outcome_date"].null_count() == frame["outcome"].null_count()
    assert 0 < frame["outcome"].null_count() < frame.height, "the latest requests are still waiting"
    assert frame.select(pl.struct("referral_id", "stage").n_unique()).item() == frame.height, "one request each"
    # The assumed shares: of the negative decisions asked early enough to be decided, and of the fresh decisions.
    early = pl.col("rg_date") < date(2024, 1, 1)
    negative_rg = refs.filter((pl.col("rg_outcome") == "Negative") & early).height
    asked = rg.filter(early).height / negative_rg
    assert abs(asked - extract.RECONSIDERATION_SHARE[0]) < 0.02
    positive = (decided["outcome"] == "Positive").mean()
    assert isinstance(positive, float)
    assert abs(positive - extract.RECONSIDERATION_POSITIVE) < 0.05


def test_reconsiderations_are_deterministic_per_seed() -> None:
    table = _data.referrals(20_000, 3)
    first = extract.generate_reconsiderations(table, seed=3, as_of=_data.END)
    assert first.equals(extract.generate_reconsiderations(table, seed=3, as_of=_data.END))
    assert not first.equals(extract.generate_reconsiderations(table, seed=4, as_of=_data.END))
    # An earlier extract date leaves out later requests and decisions.
    earlier = _frame(extract.generate_reconsiderations(table, seed=3, as_of=date(2022, 12, 31)))
    assert (earlier["requested_date"] <= date(2022, 12, 31)).all()
    assert (earlier.filter(pl.col("outcome").is_not_null())["outcome_date"] <= date(2022, 12, 31)).all()


# --- Repeat referrals ----------------------------------------------------------------------


def test_repeat_referrals() -> None:
    table = _data.main_table()
    truth = extract.repeat_referral_truth(table)
    share = truth.height / table.num_rows
    assert 0.04 < share < 0.06
    refs = _frame(table).select("referral_id", "person_id", "referral_date", "nationality", "gender",
                                "age_at_exploitation")
    later = truth.join(refs, on="referral_id")
    earlier = truth.select("referral_id", pl.col("earlier_referral_id")).join(
        refs.rename({c: f"e_{c}" for c in refs.columns}), left_on="earlier_referral_id", right_on="e_referral_id")
    both = later.join(earlier, on="referral_id")
    assert (both["person_id"] == both["e_person_id"]).all()
    assert (both["referral_date"] >= both["e_referral_date"]).all()  # two repeats may share a day
    for column in ("nationality", "gender", "age_at_exploitation"):
        assert (both[column] == both[f"e_{column}"]).all()
    # Everyone else is a distinct person.
    people_n = refs["person_id"].n_unique()
    assert people_n == table.num_rows - truth.height


def test_repeat_truth_from_arrays_agrees() -> None:
    arrays = extract.simulate_referrals(20_000, 4, _data.START, _data.END)
    table = extract.generate_referrals(20_000, 4, _data.START, _data.END)
    truth = extract.repeat_referral_truth(table)
    assert truth.height == int((arrays.repeat_of >= 0).sum())


# --- People ------------------------------------------------------------------------------------


def test_people() -> None:
    table = _data.referrals(2_000, 9)
    out = people.generate_people(table, seed=9)
    frame = _frame(out)
    assert frame.height == 2_000
    assert frame["referral_id"].to_list() == table["referral_id"].to_pylist()
    assert frame["given_name"].str.len_chars().min() > 0  # type: ignore[operator]
    assert frame["family_name"].str.len_chars().min() > 0  # type: ignore[operator]
    per_person = frame.group_by("person_id").agg(pl.col("given_name").n_unique(), pl.col("date_of_birth").n_unique())
    assert (per_person["given_name"] == 1).all()
    assert (per_person["date_of_birth"] == 1).all()
    refs = _frame(table)
    joined = frame.join(refs.select("referral_id", "referral_date", "nationality"), on="referral_id")
    assert (joined["date_of_birth"] < joined["referral_date"]).all()
    uk = joined.filter(pl.col("nationality") == "UK")
    assert (uk["locale"] == "en_GB").all()
    vn = joined.filter(pl.col("nationality") == "Vietnamese")
    assert vn.height > 0
    assert (vn["locale"] == "vi_VN").all()
    again = _frame(people.generate_people(table, seed=9))
    assert again.equals(frame)


def test_locale_for() -> None:
    assert people.locale_for("Albanian;Greek") in {"sq_AL", "en_GB"}
    assert people.locale_for("Vietnamese") == "vi_VN"
    assert people.locale_for("Unknown") == "en_GB"
    assert people.locale_for("Iranian") == "fa_IR"
