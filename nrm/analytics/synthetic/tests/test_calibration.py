from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from nrm.analytics import extract_schema as xs
from nrm.analytics.synthetic import calibration as c
from nrm.analytics.synthetic.model import SpanModel, allocate


@pytest.fixture(scope="module")
def cal() -> c.Calibration:
    return c.load_calibration()


def test_cached_per_data_dir(cal: c.Calibration) -> None:
    assert c.load_calibration() is cal
    assert c.load_calibration(c.DEFAULT_DATA_DIR) is cal


def test_missing_data_dir(tmp_path: object) -> None:
    with pytest.raises(FileNotFoundError):
        c.load_calibration(str(tmp_path))


def test_quarterly_volumes(cal: c.Calibration) -> None:
    q = c.quarter_index
    assert cal.referral_volume(q(date(2019, 2, 1))) == 2153
    assert cal.referral_volume(q(date(2023, 11, 1))) == 4142
    assert sum(cal.referral_volume(q(date(2024, m, 1))) for m in (1, 4, 7, 10)) == pytest.approx(19_125)
    assert cal.referral_volume(q(date(2026, 5, 1))) == pytest.approx(19_125 / 4)
    with pytest.raises(ValueError, match="before 2009"):
        cal.referral_volume(q(date(2008, 1, 1)))


def test_recording_rules_before_october_2019(cal: c.Calibration) -> None:
    before = cal.age_location_probs(c.quarter_index(date(2019, 7, 1)))
    assert before[2].sum() == 0  # no 'Not specified or unknown' age
    after = cal.age_location_probs(c.quarter_index(date(2019, 10, 1)))
    assert after[2].sum() > 0
    pre = cal.profiles[cal.profile_index(c.quarter_index(date(2019, 7, 1)))]
    combos = {cal.exploitations[i] for i in pre.cell_expl.tolist()}
    assert not any("Criminal" in e for e in combos)
    assert not any(xs.LIST_SEPARATOR in cal.nationalities[i] for i in pre.cell_nat.tolist())
    post = cal.profiles[cal.profile_index(c.quarter_index(date(2020, 1, 1)))]
    assert any("Criminal" in cal.exploitations[i] for i in post.cell_expl.tolist())
    assert any(xs.LIST_SEPARATOR in cal.nationalities[i] for i in post.cell_nat.tolist())


def test_table_quarters_use_their_own_cells(cal: c.Calibration) -> None:
    assert [c.quarter_label(q) for q in cal.table_quarters] == [
        "2022 Q2", "2022 Q3", "2022 Q4", "2023 Q1", "2023 Q2", "2023 Q3"]
    assert cal.profiles[cal.profile_index(cal.table_quarters[0])].name == "2022 Q2"


def test_dual_nationalities_resolved(cal: c.Calibration) -> None:
    for dual in ("Albanian;Greek", "Sierra Leonean;UK", "Sudanese;South Sudanese", "Russian;Ukrainian"):
        assert dual in cal.nationalities
    assert "Congolese (DRC)" in cal.nationalities
    assert "Not Known" not in cal.nationalities
    i = cal.nationalities.index("Albanian;Greek")
    assert cal.nationalities[cal.nationality_collapsed[i]] == "Albanian"
    i = cal.nationalities.index("Unknown;Vietnamese")
    assert cal.nationalities[cal.nationality_collapsed[i]] == "Vietnamese"


def test_exploitation_labels() -> None:
    assert c.parse_exploitation("Sexual, Labour & Criminal") == "Sexual;Labour;Criminal"
    assert c.parse_exploitation("Labour & Criminal") == "Labour;Criminal"
    assert c.recode_exploitation_pre_2019("Labour;Criminal") == "Labour"
    assert c.recode_exploitation_pre_2019("Sexual;Criminal") == "Sexual;Labour"


def test_decision_rates(cal: c.Calibration) -> None:
    q = c.quarter_index(date(2023, 2, 1))
    made = cal.rg_decisions(q)
    assert made.sum() == 3411
    rate_2024 = cal.rg_decisions(c.quarter_index(date(2024, 5, 1)))
    assert rate_2024[:, 0].sum() / rate_2024.sum() == pytest.approx(0.53, abs=1e-9)
    assert rate_2024.sum() * 4 == pytest.approx(20_090)
    cg_2024 = cal.cg_decisions(c.quarter_index(date(2024, 5, 1)))
    assert cg_2024[:, 0].sum() / cg_2024.sum() == pytest.approx(0.56, abs=1e-9)
    assert np.all((cal.rg_positive_rate(q) >= 0) & (cal.rg_positive_rate(q) <= 1))


def test_reference_data_used(cal: c.Calibration) -> None:
    assert len(cal.forces) == 46
    assert "Metropolitan Police" in cal.forces
    assert all(code.startswith("rg_") for code in cal.rg_reasons)
    assert all(code.startswith("cg_") for code in cal.cg_reasons)
    assert cal.notes == ()


def test_profiles_are_distributions(cal: c.Calibration) -> None:
    for p in cal.profiles:
        sums = p.fr_given_age.sum(axis=1)
        assert np.allclose(sums[sums > 0], 1.0)


def test_allocate_is_exact_and_proportional() -> None:
    counts = allocate(1000, np.array([1.0, 2.0, 3.0, 0.0]))
    assert counts.sum() == 1000
    assert counts.tolist() == [167, 333, 500, 0]


def test_span_model_scales_to_n(cal: c.Calibration) -> None:
    m = SpanModel(cal, 100_000, date(2021, 2, 15), date(2022, 8, 31))
    assert m.counts.sum() == 100_000
    assert np.allclose(m.age_nat.sum(axis=(1, 2)), 1.0)
    assert m.fraction[0] < 1
    assert m.fraction[-1] < 1
