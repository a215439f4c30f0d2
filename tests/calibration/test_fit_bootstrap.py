"""The parametric-bootstrap p-value of a stay fit's distance D (``calibration.bootstrap.bootstrap_ks``).

Known results it is checked against: the batched refit is the scalar censored MLE; with nothing
censored the bootstrap null of sqrt(n) D reproduces the published critical values for estimated
parameters (Stephens 1974: normal/lognormal 0.895 at 5%, exponential 1.094 at 5%); under the null
its p-values are uniform (size), under a wrong family it rejects where the Kolmogorov upper bound
does not (power); the null of sqrt(m) D* does not depend on m (what the cap on the resample size
relies on); the same seed gives the same p-value. Seeds come from ``helpers.seed``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hospital_twin.calibration.bootstrap import (
    BOOTSTRAP_B,
    _km_d_v,
    _km_ks,
    _refit_v,
    _Resamples,
    bootstrap_ks,
)
from hospital_twin.calibration.families import FAMILIES, fit_family
from hospital_twin.calibration.fit_stays import StayFit
from hospital_twin.calibration.stays import CensoredSample, kaplan_meier, prepare_stays
from tests.helpers import seed

LOGNORMAL = stats.lognorm(s=0.8, scale=math.exp(3.5))
TRUE = {
    "exponential": stats.expon(scale=50.0),
    "lognormal": LOGNORMAL,
    "gamma": stats.gamma(a=1.8, scale=30.0),
    "weibull": stats.weibull_min(c=1.4, scale=60.0),
}


def _censored(dist, n: int, rng: np.random.Generator, share: float) -> CensoredSample:
    """n stays right-censored at independent exponential times, about ``share`` of them censored (0: none)."""
    x = np.asarray(dist.rvs(n, random_state=rng), float)
    if share <= 0:
        return CensoredSample(x)
    c = rng.exponential(_mean_c(dist, share), n)
    return CensoredSample(x[x <= c], c[x > c])


_MEAN_C: dict[tuple[int, float], float] = {}


def _mean_c(dist, share: float) -> float:
    """Mean of an exponential censoring time giving P(C < X) = share, i.e. E[exp(-X / mean)] = 1 - share, solved by
    bisection on 20,000 draws of X (cached per law)."""
    key = (id(dist), share)
    if key not in _MEAN_C:
        x = np.asarray(dist.rvs(20_000, random_state=np.random.default_rng(0)), float)
        _MEAN_C[key] = _bisect_mean_c(x, share)
    return _MEAN_C[key]


def _bisect_mean_c(x: np.ndarray, share: float) -> float:
    lo, hi = 1e-3 * x.mean(), 1e4 * x.mean()
    for _ in range(100):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if 1 - np.mean(np.exp(-x / mid)) > share else (lo, mid)  # too much censored: longer C
    return math.sqrt(lo * hi)


def _kolmogorov_p(fit, s: CensoredSample) -> float:
    times, surv = kaplan_meier(*s.km_inputs())
    return _km_ks(fit, times, surv, s.n_events)[1]


# --------------------------------------------------------------------------- the pieces against the scalar code
@pytest.mark.parametrize("family", FAMILIES)
def test_batched_refit_is_the_scalar_censored_mle(family):
    """Five censored samples refitted together give the parameters fit_family finds one at a time (to 1e-4),
    from a start 0.3 away on the log scale, and their D equals the scalar D of _km_ks (to 1e-9)."""
    rng = np.random.default_rng(seed(31))
    samples = [_censored(TRUE[family], 300, rng, 0.3) for _ in range(5)]
    m = 300
    x = np.stack([np.concatenate([s.exact, s.right])[:m] for s in samples])
    e = np.stack([np.r_[np.ones(len(s.exact), bool), np.zeros(len(s.right), bool)][:m] for s in samples])
    scalar = [fit_family(family, CensoredSample(xi[ei], xi[~ei])) for xi, ei in zip(x, e, strict=True)]
    th, ok = _refit_v(family, _Resamples(x, e), scalar[0].theta + 0.3)
    assert ok.all()
    np.testing.assert_allclose(th, np.stack([f.theta for f in scalar]), atol=1e-4)
    d = _km_d_v(family, th, x, e)
    for di, xi, ei, f, thi in zip(d, x, e, scalar, th, strict=True):
        times, surv = kaplan_meier(xi, ei)
        assert di == pytest.approx(_km_ks(replace(f, theta=thi), times, surv, int(ei.sum()))[0], abs=1e-12)


def test_resamples_are_censored_like_the_data():
    """Censoring drawn from the reverse Kaplan-Meier keeps the censored share: 30% in the data, 30% +- 2 points
    over the resamples; with nothing censored, nothing is censored in the resamples."""
    rng = np.random.default_rng(seed(32))
    s = _censored(LOGNORMAL, 1000, rng, 0.3)
    share = len(s.right) / s.n
    assert 0.25 < share < 0.35
    boot = bootstrap_ks(fit_family("lognormal", s), s, rng)
    assert abs(boot.censored_share - share) < 0.02
    full = _censored(LOGNORMAL, 500, rng, 0.0)
    assert bootstrap_ks(fit_family("lognormal", full), full, rng, b=19).censored_share == 0.0


@pytest.mark.parametrize(("family", "crit_05"), [("lognormal", 0.895), ("exponential", 1.094)])
def test_null_of_d_matches_published_critical_values_for_estimated_parameters(family, crit_05):
    """Uncensored, the 95th percentile of sqrt(n) D* is Stephens' (1974) critical value for a fitted normal
    (= lognormal on the log scale; Lilliefors' problem) or exponential, not Kolmogorov's 1.358: within 0.045
    (about 4 Monte Carlo standard errors with 999 resamples)."""
    rng = np.random.default_rng(seed(33))
    s = _censored(TRUE[family], 1000, rng, 0.0)
    boot = bootstrap_ks(fit_family(family, s), s, rng, b=999)
    q95 = float(np.quantile(boot.d_null * math.sqrt(boot.n_resample), 0.95))
    assert abs(q95 - crit_05) < 0.045, q95
    assert q95 < stats.kstwobign.isf(0.05) - 0.2


def test_null_of_sqrt_m_d_does_not_depend_on_the_resample_size():
    """What the cap on the resample size relies on: for 30%-censored Weibull stays, the 50th and 95th percentiles
    of sqrt(m) D* with m = 200 and m = 2000 agree within 0.06 (Monte Carlo error about 0.015 each)."""
    rng = np.random.default_rng(seed(34))
    s = _censored(TRUE["weibull"], 2000, rng, 0.3)
    fit = fit_family("weibull", s)
    small = bootstrap_ks(fit, s, rng, b=499, max_n=200)
    large = bootstrap_ks(fit, s, rng, b=499)
    assert small.n_resample == 200 and large.n_resample == 2000
    for q in (0.5, 0.95):
        a = np.quantile(small.d_null * math.sqrt(200), q)
        b = np.quantile(large.d_null * math.sqrt(2000), q)
        assert abs(a - b) < 0.06, (q, a, b)


def test_capped_bootstrap_compares_on_the_sqrt_n_scale():
    """With n above the cap, p counts the resamples whose sqrt(m) D* reaches sqrt(n) D (hand-computed from d_null)."""
    rng = np.random.default_rng(seed(35))
    s = _censored(LOGNORMAL, 5000, rng, 0.2)
    boot = bootstrap_ks(fit_family("lognormal", s), s, rng, b=99, max_n=800)
    assert (boot.n, boot.n_resample, boot.b) == (s.n, 800, 99)
    exceed = np.sum(boot.d_null * math.sqrt(800) >= boot.d * math.sqrt(s.n) * (1 - 1e-12))
    assert boot.p == pytest.approx((1 + exceed) / 100)


# --------------------------------------------------------------------------- size and power
@pytest.mark.slow
@pytest.mark.parametrize("share", [0.0, 0.3])
def test_bootstrap_p_values_are_uniform_under_the_null(share):
    """Size: 100 lognormal samples of 200 stays (uncensored, or 30% censored) fitted as lognormal: the bootstrap
    (B = 99) rejects at 5% between 1 and 12 times (binomial(100, 0.05) lies there with probability 0.99), the
    mean p-value is 0.5 +- 0.12 (4 standard errors of a uniform mean), while the Kolmogorov upper bound,
    blind to the estimation, averages above 0.75 and rejects at most twice."""
    rng = np.random.default_rng(seed(36) + int(share * 10))
    p_boot, p_kolm = [], []
    for _ in range(100):
        s = _censored(LOGNORMAL, 200, rng, share)
        fit = fit_family("lognormal", s)
        p_boot.append(bootstrap_ks(fit, s, rng, b=99).p)
        p_kolm.append(_kolmogorov_p(fit, s))
    p_boot, p_kolm = np.array(p_boot), np.array(p_kolm)
    assert 1 <= np.sum(p_boot <= 0.05) <= 12, np.sort(p_boot)[:15]
    assert abs(p_boot.mean() - 0.5) < 0.12, p_boot.mean()
    assert p_kolm.mean() > 0.75 and np.sum(p_kolm <= 0.05) <= 2


@pytest.mark.parametrize(
    ("truth", "n"),
    [
        pytest.param(
            lambda rng, n: stats.weibull_min(c=2.5, scale=60.0).rvs(n, random_state=rng),
            300,
            id="weibull_shape_2.5_n300",
        ),
        pytest.param(
            lambda rng, n: np.where(rng.random(n) < 0.5, rng.gamma(8.0, 3.0, n), rng.gamma(8.0, 12.0, n)),
            150,
            id="gamma_mixture_24h_96h_n150",
        ),
    ],
)
def test_bootstrap_rejects_a_wrong_family_the_kolmogorov_bound_accepts(truth, n):
    """Power: 12 samples (about 25% censored) from a Weibull of shape 2.5 (300 stays), or an even mixture of gammas
    with means 24 h and 96 h (150 stays), fitted as lognormal: at 1%, at least 5 samples are rejected by the
    bootstrap (B = 199) but not by the Kolmogorov upper bound, and the bootstrap rejects at least 5 more in all
    (measured over 12 seeds: 7-12 such samples for the Weibull, 8-11 for the mixture)."""
    rng = np.random.default_rng(seed(37))
    boot_rej = kolm_rej = only_boot = 0
    for _ in range(12):
        x = np.asarray(truth(rng, n), float)
        c = rng.exponential(3 * x.mean(), len(x))
        s = CensoredSample(x[x <= c], c[x > c])
        fit = fit_family("lognormal", s)
        b = bootstrap_ks(fit, s, rng).p < 0.01
        k = _kolmogorov_p(fit, s) < 0.01
        boot_rej, kolm_rej, only_boot = boot_rej + b, kolm_rej + k, only_boot + (b and not k)
    assert only_boot >= 5 and boot_rej >= kolm_rej + 5, (boot_rej, kolm_rej, only_boot)


# --------------------------------------------------------------------------- in StayFit
def _log(x: np.ndarray, unit: str, rng: np.random.Generator, days: float = 730.0) -> pd.DataFrame:
    """Stays in one unit starting uniformly over ``days``; those still running at the end are open (censored)."""
    t0 = pd.Timestamp("2024-01-01")
    start_h = rng.uniform(0, days * 24, len(x))
    end_h = start_h + x
    end = pd.Series(t0 + pd.to_timedelta(end_h, unit="h")).where(end_h <= days * 24)
    return pd.DataFrame(
        {
            "patient_id": [f"{unit}{i}" for i in range(len(x))],
            "unit": unit,
            "start": t0 + pd.to_timedelta(start_h, unit="h"),
            "end": end,
        }
    )


def _stay_fit(log: pd.DataFrame, **kw) -> StayFit:
    end = max(pd.Timestamp("2024-01-01") + pd.Timedelta(days=730), pd.to_datetime(log["end"]).max())
    return StayFit(**kw).fit(prepare_stays(log, observed_until=end))


def test_stay_fit_decides_with_the_bootstrap_and_keeps_the_kolmogorov_bound():
    """400 stays at the quantiles (i + 0.5) / 400 of a Weibull, all closed, with only the lognormal allowed: the
    log of a Weibull is a Gumbel, so D = 0.0716 whatever the shape. Kolmogorov p = 0.031 (kept as ks_p_upper)
    would accept the fit; the bootstrap p is 1/200 (sqrt(n) D = 1.43 is far past the estimated-parameter 1%
    point 1.035), so the stay becomes empirical. With bootstrap_b=0 the old rule keeps the lognormal."""
    x = stats.weibull_min(c=2.0, scale=100.0).ppf((np.arange(400) + 0.5) / 400)
    t0 = pd.Timestamp("2024-01-01")
    start = t0 + pd.to_timedelta(np.arange(400) * 6.0, unit="h")
    log = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(400)],
            "unit": "WARD",
            "start": start,
            "end": start + pd.to_timedelta(x, unit="h"),
        }
    )
    est = _stay_fit(log, families=("lognormal",)).units_["WARD"]
    assert est.n == 400 and est.n_censored == 0
    assert est.ks_d == pytest.approx(0.0716, abs=5e-4)
    assert est.ks_p_upper == pytest.approx(stats.kstwo.sf(est.ks_d, 400)) and 0.01 < est.ks_p_upper < 0.05
    assert est.ks_b == BOOTSTRAP_B and est.ks_n_resample == 400
    assert est.ks_test == f"parametric bootstrap, B={BOOTSTRAP_B} resamples of 400 stays"
    assert est.ks_p == pytest.approx(1 / (BOOTSTRAP_B + 1)) and est.ks_p_at_floor
    assert est.chosen == "empirical" and not est.acceptable
    old = _stay_fit(log, families=("lognormal",), bootstrap_b=0).units_["WARD"]
    assert old.ks_b == 0 and old.ks_p == old.ks_p_upper == pytest.approx(est.ks_p_upper)
    assert old.chosen == "lognormal" and old.acceptable and not old.ks_p_at_floor


def test_bootstrap_p_value_is_fixed_by_the_seed_and_by_unit_not_by_the_other_units():
    """The same seed gives the same p-values; another seed another null sample; a unit's p-value is the same
    whether or not the log also holds another unit (each (unit, class) has its own stream)."""
    rng = np.random.default_rng(seed(39))
    a = _log(LOGNORMAL.rvs(400, random_state=rng), "AMU", rng)
    b = _log(TRUE["gamma"].rvs(300, random_state=rng), "WARD", rng)
    both = pd.concat([a, b], ignore_index=True)
    one = _stay_fit(both, random_state=5).units_
    two = _stay_fit(both, random_state=5).units_
    alone = _stay_fit(a, random_state=5).units_
    other = _stay_fit(both, random_state=6).units_
    assert [e.ks_p for e in one.values()] == [e.ks_p for e in two.values()]
    assert one["AMU"].ks_p == alone["AMU"].ks_p
    s = CensoredSample(np.asarray(LOGNORMAL.rvs(300, random_state=rng)))
    f = fit_family("lognormal", s)
    d1 = bootstrap_ks(f, s, np.random.default_rng(5), b=49).d_null
    d2 = bootstrap_ks(f, s, np.random.default_rng(5), b=49).d_null
    d3 = bootstrap_ks(f, s, np.random.default_rng(6), b=49).d_null
    assert np.array_equal(d1, d2) and not np.array_equal(d1, d3)
    assert one["AMU"].ks_b == other["AMU"].ks_b == BOOTSTRAP_B


def test_bootstrap_refuses_interval_censored_samples_and_bad_sizes():
    """Interval-censored stays (discharge rules) are not bootstrapped; b and max_n must be positive; StayFit refuses
    a B whose smallest p-value 1/(B+1) could never fall below ks_alpha (B = 99 at 0.01), and takes B = 100."""
    s = CensoredSample(np.array([5.0, 7.0, 9.0]), lo=np.array([1.0]), hi=np.array([20.0]))
    with pytest.raises(ValueError, match="interval"):
        bootstrap_ks(fit_family("exponential", s), s, np.random.default_rng(0))
    s = CensoredSample(np.array([5.0, 7.0, 9.0]))
    with pytest.raises(ValueError, match="b >= 1"):
        bootstrap_ks(fit_family("exponential", s), s, np.random.default_rng(0), b=0)
    with pytest.raises(ValueError, match="bootstrap_b"):
        StayFit(bootstrap_b=-1)
    with pytest.raises(ValueError, match="cannot reject at ks_alpha=0.01"):
        StayFit(bootstrap_b=99)
    assert StayFit(bootstrap_b=100).bootstrap_b == 100
