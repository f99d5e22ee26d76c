"""Intervals and tests of kpi_helpers.significance, by hand on small numbers and against scipy.

scipy is a test dependency only: the kit computes everything with the standard library, and here
scipy's independent implementations (Wilson interval of ``binomtest``, Pearson's chi-square of the
2 x 2 table, Welch's ``ttest_ind``, Student's t quantiles) check it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kpi_helpers import significance as sig

# --- by hand -----------------------------------------------------------------------------------


def test_the_wilson_interval_of_0_in_10_starts_at_0_and_ends_at_z2_over_n_plus_z2():
    z2 = 1.959963984540054 ** 2
    low, high = sig.wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(z2 / (10 + z2), abs=1e-12)  # 0.2775


def test_a_04_point_rise_on_2000_visitors_is_noise_and_on_50000_it_is_not():
    # 2.0 % -> 2.4 %: pooled 88 / 4000 = 2.2 %, SE = sqrt(.022 * .978 * 2 / 2000) = 0.4639 pt, z = 0.862
    small = sig.two_proportion_z_test(48, 2000, 40, 2000)
    assert small.statistic == pytest.approx(0.4 / 0.46386, rel=1e-4)
    assert small.p_value == pytest.approx(0.3885, abs=1e-4)
    large = sig.two_proportion_z_test(1200, 50_000, 1000, 50_000)
    assert large.p_value < 0.001
    assert sig.verdict(small.p_value, (2000, 2000)) == "noise"
    assert sig.verdict(large.p_value, (50_000, 50_000)) == "significant"


def test_welch_on_two_small_baskets_by_hand():
    # 60 30 90 20: mean 50, variance (100 + 400 + 1600 + 900) / 3 = 1000; 40 50 60: mean 50... shifted to 70
    result = sig.welch_t_test(50.0, 1000.0, 4, 70.0, 100.0, 3)
    se = math.sqrt(1000 / 4 + 100 / 3)
    assert result.statistic == pytest.approx(-20 / se)
    df = (1000 / 4 + 100 / 3) ** 2 / ((1000 / 4) ** 2 / 3 + (100 / 3) ** 2 / 2)
    assert result.df == pytest.approx(df)


def test_an_empty_denominator_gives_no_interval_and_no_test_with_its_reason():
    assert sig.wilson_interval(0, 0) is None
    result = sig.two_proportion_z_test(3, 10, 0, 0)
    assert result.p_value is None and result.statistic is None and "no denominator" in result.reason


def test_nothing_varies_gives_no_test_with_its_reason():
    assert sig.two_proportion_z_test(0, 50, 0, 40).reason.startswith("the same rate of 0 %")
    assert sig.two_proportion_z_test(50, 50, 40, 40).p_value is None
    assert sig.welch_t_test(10.0, 0.0, 5, 10.0, 0.0, 5).reason == "no variation in either period"
    assert sig.welch_t_test(10.0, 4.0, 1, 12.0, 4.0, 5).reason == "fewer than 2 values in one of the periods"
    assert sig.mean_interval(10.0, float("nan"), 1) is None


@pytest.mark.parametrize("denominators, p, expected", [
    ((29, 500), 0.001, "too_few"),
    ((30, 30), 0.049, "significant"),
    ((30, 30), 0.05, "noise"),
    ((100, 100), None, "untested"),
    ((float("nan"), 100), 0.01, "too_few"),
])
def test_the_verdict_says_too_few_under_30_in_either_period_and_significant_under_005(denominators, p, expected):
    assert sig.verdict(p, denominators) == expected


def test_a_proportion_above_1_is_refused():
    with pytest.raises(ValueError):
        sig.wilson_interval(11, 10)
    with pytest.raises(ValueError):
        sig.two_proportion_z_test(11, 10, 1, 10)


# --- against scipy -----------------------------------------------------------------------------

counts = st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))


@settings(max_examples=200, deadline=None)
@given(counts)
def test_the_wilson_interval_is_scipys(xn):
    x, n = xn
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = sig.wilson_interval(x, n)
    assert low == pytest.approx(ci.low, abs=1e-12)
    assert high == pytest.approx(ci.high, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(counts, counts)
def test_the_pooled_z_test_p_value_is_pearsons_chi_square_of_the_2x2_table(a, b):
    (x1, n1), (x0, n0) = a, b
    result = sig.two_proportion_z_test(x1, n1, x0, n0)
    if x1 + x0 in (0, n1 + n0):  # nothing varies: scipy cannot test it either
        assert result.p_value is None
        return
    chi2, p, _, _ = stats.chi2_contingency([[x1, n1 - x1], [x0, n0 - x0]], correction=False)
    assert result.statistic ** 2 == pytest.approx(chi2, rel=1e-9, abs=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-9, abs=1e-300)


samples = st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda v: round(v, 2)),
                   min_size=2, max_size=60)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy on nearly equal values
@settings(max_examples=150, deadline=None)
@given(samples, samples)
def test_welch_on_count_mean_and_variance_is_scipys_ttest_on_the_values(a, b):
    a, b = np.array(a), np.array(b)
    result = sig.welch_t_test(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    if a.var() == 0 and b.var() == 0:
        assert result.p_value is None
        return
    expected = stats.ttest_ind(a, b, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("df", [1, 1.5, 2, 4, 9.7, 30, 120, 1000, 50_000])
@pytest.mark.parametrize("t", [0.0, 0.2, 1.0, 1.96, 2.5, 4.0, 8.0, 30.0])
def test_student_t_tail_is_scipys(t, df):
    assert sig.student_t_two_sided_p(t, df) == pytest.approx(2 * stats.t.sf(t, df), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("df", [1, 2, 5, 29, 200, 10_000])
def test_student_t_quantile_is_scipys(df):
    assert sig.student_t_quantile(0.975, df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-10)


def test_the_interval_of_a_mean_is_scipys_student_interval():
    values = np.array([60.0, 30.0, 90.0, 20.0, 45.5, 75.0])
    low, high = sig.mean_interval(values.mean(), values.var(ddof=1), len(values))
    expected = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected, rel=1e-10)


# --- properties ----------------------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(counts, counts)
def test_swapping_the_periods_negates_z_and_keeps_the_p_value(a, b):
    forward, backward = sig.two_proportion_z_test(*a, *b), sig.two_proportion_z_test(*b, *a)
    if forward.statistic is None:
        assert backward.statistic is None
        return
    assert backward.statistic == pytest.approx(-forward.statistic)
    assert backward.p_value == pytest.approx(forward.p_value)


@settings(max_examples=100, deadline=None)
@given(counts)
def test_the_wilson_interval_holds_the_observed_rate(xn):
    x, n = xn
    low, high = sig.wilson_interval(x, n)
    assert 0 <= low <= x / n <= high <= 1
