"""Is a change real or noise? Confidence intervals and tests on the small aggregates of two periods.

Pure Python (the standard library's ``math`` and ``statistics``): the inputs are the numerators
and denominators the KPI functions return (a rate), or the count, mean and variance of order
values (the average basket), never the rows themselves.

- :func:`wilson_interval`: the 95 % Wilson score interval of a proportion (Wilson 1927; the
  interval Agresti & Coull 1998 recommend over the textbook ``p ± 1.96·SE``, which collapses to
  a single point at 0 % and can leave 0..1).
- :func:`two_proportion_z_test`: two-sided test that two proportions are equal, with the pooled
  standard error: ``z = (p1 - p0) / sqrt(p (1 - p) (1/n1 + 1/n0))``, ``p = (x1 + x0) / (n1 + n0)``;
  its p-value is ``2 (1 - Φ(|z|))``. The same p-value as Pearson's chi-square test of the 2 x 2
  table without continuity correction.
- :func:`welch_t_test`: two-sided test that two means are equal when the variances may differ
  (Welch 1947): ``t = (m1 - m0) / sqrt(v1/n1 + v0/n0)``, degrees of freedom by the
  Welch-Satterthwaite formula, p-value from Student's t distribution.
- :func:`mean_interval`: the 95 % interval of a mean, ``m ± t(0.975, n - 1) · s / sqrt(n)``.

A change is *significant* when its p-value is under :data:`ALPHA` (0.05), and *too few to judge*
when a denominator (visitors, sessions, orders...) is under :data:`MIN_DENOMINATOR` (30) in either
period: the normal approximation behind these tests is then unreliable, and one order more or
less moves the rate by several points. The two periods are treated as independent samples (a
visitor seen in both periods counts in each).

A result that cannot be computed is None with its reason (an empty denominator, a standard error
of zero because nothing varies), never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

__all__ = [
    "ALPHA", "CONFIDENCE", "MIN_DENOMINATOR", "TestResult", "wilson_interval", "two_proportion_z_test",
    "welch_t_test", "mean_interval", "normal_two_sided_p", "student_t_two_sided_p", "student_t_quantile",
    "verdict",
]

#: A change is significant when its p-value is under this.
ALPHA = 0.05
#: Confidence level of the intervals.
CONFIDENCE = 0.95
#: Under this many visitors / sessions / orders... in either period, a change is "too few to judge".
MIN_DENOMINATOR = 30


@dataclass(frozen=True)
class TestResult:
    """A two-sided test of a change: the statistic (z or t), its degrees of freedom (Welch only),
    the p-value, and the reason when they cannot be computed (then None)."""

    statistic: float | None
    p_value: float | None
    df: float | None = None
    reason: str | None = None


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z: ``erfc(|z| / sqrt(2))``."""
    return math.erfc(abs(z) / math.sqrt(2))


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes 6.4)."""
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            return h
    return h


def _regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def student_t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom: ``I_{df/(df+t²)}(df/2, 1/2)``."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if math.isinf(t):
        return 0.0
    return _regularized_beta(df / 2.0, 0.5, df / (df + t * t))


def student_t_quantile(probability: float, df: float) -> float:
    """The t such that P(T <= t) = ``probability`` (0.5 < probability < 1), by bisection."""
    if not 0.5 < probability < 1.0:
        raise ValueError(f"probability must be between 0.5 and 1, got {probability}")
    target = 2 * (1 - probability)  # two-sided tail
    low, high = 0.0, 1.0
    while student_t_two_sided_p(high, df) > target:
        low, high = high, high * 2
    for _ in range(200):
        mid = (low + high) / 2
        if student_t_two_sided_p(mid, df) > target:
            low = mid
        else:
            high = mid
        if high - low < 1e-13 * max(1.0, high):
            break
    return (low + high) / 2


def wilson_interval(successes: float, trials: float, *, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes / trials`` (fractions 0-1); None when ``trials`` is 0.

    Formula: ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``z`` the normal
    quantile of the confidence level (1.96 for 95 %).
    """
    if trials <= 0:
        return None
    if successes < 0 or successes > trials:
        raise ValueError(f"successes must be between 0 and trials, got {successes} of {trials}")
    z = _z(confidence)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # at 0 % (100 %) the bound is exactly 0 (1): no rounding error may move it
    return (0.0 if successes == 0 else max(0.0, centre - half)), (1.0 if successes == trials else min(1.0, centre + half))


def two_proportion_z_test(x1: float, n1: float, x0: float, n0: float) -> TestResult:
    """Two-sided test of ``x1/n1 == x0/n0`` with the pooled standard error (see the module docstring).

    None with a reason when a denominator is 0, or when the pooled rate is 0 or 1 (nothing varies:
    both periods at 0 %, or both at 100 %).
    """
    if n1 <= 0 or n0 <= 0:
        return TestResult(None, None, reason="no denominator in one of the periods")
    for x, n in ((x1, n1), (x0, n0)):
        if x < 0 or x > n:
            raise ValueError(f"successes must be between 0 and trials, got {x} of {n}")
    pooled = (x1 + x0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return TestResult(None, None, reason="the same rate of 0 % or 100 % in both periods")
    z = (x1 / n1 - x0 / n0) / se
    return TestResult(z, normal_two_sided_p(z))


def welch_t_test(mean1: float, var1: float, n1: float, mean0: float, var0: float, n0: float) -> TestResult:
    """Welch's two-sided t-test of ``mean1 == mean0`` from each sample's mean, sample variance
    (divided by n - 1) and size.

    None with a reason when a sample has fewer than 2 values, or both variances are 0.
    """
    if n1 < 2 or n0 < 2:
        return TestResult(None, None, reason="fewer than 2 values in one of the periods")
    a, b = var1 / n1, var0 / n0
    if a + b == 0:
        return TestResult(None, None, reason="no variation in either period")
    t = (mean1 - mean0) / math.sqrt(a + b)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n0 - 1))
    return TestResult(t, student_t_two_sided_p(t, df), df)


def mean_interval(mean: float, var: float, n: float, *, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The Student interval of a mean: ``mean ± t(n - 1) · sqrt(var / n)``; None under 2 values."""
    if n < 2 or var is None or math.isnan(var) or math.isnan(mean):
        return None
    half = student_t_quantile(0.5 + confidence / 2, n - 1) * math.sqrt(var / n)
    return mean - half, mean + half


def verdict(p_value: float | None, denominators: tuple[float, ...]) -> str:
    """``too_few`` (a denominator under :data:`MIN_DENOMINATOR`), ``significant`` (p < :data:`ALPHA`),
    ``noise`` (p >= ALPHA) or ``untested`` (no p-value)."""
    if any(d is None or math.isnan(d) or d < MIN_DENOMINATOR for d in denominators):
        return "too_few"
    if p_value is None or math.isnan(p_value):
        return "untested"
    return "significant" if p_value < ALPHA else "noise"
