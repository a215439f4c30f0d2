"""Fitting a scenario to an ADT log: censored MLE, Kaplan-Meier, and the round trip simulate -> calibrate -> simulate.

Tolerances come from the sample size: a recovered number must lie within 4 standard
errors of the truth (the standard error from the observed information for stay
parameters, binomial for route probabilities, Poisson for arrival rates), so a
correct fitter fails such a check about once in 16,000 times; seeds are fixed
(``helpers.seed``, shiftable with ``HT_TEST_SEED_OFFSET``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hospital_twin.calibration.families import fit_families, fit_family
from hospital_twin.calibration.fit import calibrate
from hospital_twin.calibration.stays import (
    CensoredSample,
    kaplan_meier,
    km_mean,
    logrank_test,
    prepare_stays,
)
from hospital_twin.experiment.runner import run_replication
from hospital_twin.scenario import load_scenario_text
from hospital_twin.scenario.schema import Scenario
from tests.helpers import seed

K = 4.0  # standard errors allowed


# --------------------------------------------------------------------------- censored MLE
TRUE = {
    "lognormal": stats.lognorm(s=0.8, scale=math.exp(3.5)),  # mean 45.1 h, cv 0.89
    "gamma": stats.gamma(a=1.8, scale=30.0),  # mean 54 h, cv 0.75
    "weibull": stats.weibull_min(c=1.4, scale=60.0),  # mean 54.7 h, cv 0.73
}


def _censored(dist, n: int, rng: np.random.Generator) -> tuple[CensoredSample, np.ndarray]:
    """A sample right-censored at independent exponential times (about 25-35% censored)."""
    x = dist.rvs(n, random_state=rng)
    c = rng.exponential(2.5 * dist.mean(), n)
    return CensoredSample(x[x <= c], c[x > c]), x


@pytest.mark.parametrize("family", sorted(TRUE))
def test_censored_mle_recovers_parameters_within_4_se(family):
    """Censored MLE recovers mean and cv of lognormal, gamma and Weibull stays under random censoring.

    n = 3000 with ~30% censored; tolerance 4 standard errors from the observed information
    (delta method). Checked against a small parametric bootstrap (30 refits): the
    information-based standard error is within a factor 2 of the bootstrap spread.
    """
    rng = np.random.default_rng(seed(11))
    dist = TRUE[family]
    sample, _ = _censored(dist, 3000, rng)
    assert 0.15 < len(sample.right) / sample.n < 0.5
    f = fit_family(family, sample)
    true_mean, true_cv = dist.mean(), dist.std() / dist.mean()
    assert abs(f.mean_h - true_mean) < K * f.mean_se_h, (f.mean_h, true_mean, f.mean_se_h)
    assert abs(f.cv - true_cv) < K * f.cv_se, (f.cv, true_cv, f.cv_se)
    boot = []
    for _ in range(30):
        b, _ = _censored(f.dist, 3000, rng)
        boot.append(fit_family(family, b).mean_h)
    assert 0.5 < np.std(boot) / f.mean_se_h < 2.0


def test_naive_fit_ignoring_censoring_is_biased():
    """Metamorphic: dropping the censored stays (or counting them as ended) biases the mean down by many SEs.

    The same sample fitted three ways: censored MLE is within 4 SE of the truth; the naive
    fits on completed stays only, or with open stays taken as ended, are more than 8 SE low.
    """
    rng = np.random.default_rng(seed(12))
    dist = TRUE["lognormal"]
    sample, _ = _censored(dist, 3000, rng)
    good = fit_family("lognormal", sample)
    drop = fit_family("lognormal", CensoredSample(sample.exact))
    ended = fit_family("lognormal", CensoredSample(np.concatenate([sample.exact, sample.right])))
    assert abs(good.mean_h - dist.mean()) < K * good.mean_se_h
    for naive in (drop, ended):
        assert dist.mean() - naive.mean_h > 8 * good.mean_se_h, (naive.mean_h, dist.mean())


@pytest.mark.parametrize("family", sorted(TRUE))
def test_aic_picks_the_true_family_on_large_samples(family):
    """With 20,000 censored stays, the true family has the smallest AIC and an Akaike weight above 0.99."""
    rng = np.random.default_rng(seed(13))
    sample, _ = _censored(TRUE[family], 20_000, rng)
    fits = fit_families(sample)
    best = next(iter(fits.values()))
    assert best.family == family, {k: round(v.aic) for k, v in fits.items()}
    assert best.aic_weight > 0.99


def test_interval_censored_stays_recover_the_time_until_ready():
    """Stays known only to have ended within the last 24 h before the observed end still give the right mean.

    Half of 4000 lognormal stays are observed as (T - 24, T] with T = ready + U(0, 24) hold;
    the mean of the fit is within 4 SE of the truth, and the naive fit on T is biased up.
    """
    rng = np.random.default_rng(seed(14))
    dist = TRUE["lognormal"]
    x = dist.rvs(4000, random_state=rng)
    held = rng.random(4000) < 0.5
    t = x[held] + rng.uniform(0, 24, held.sum())
    f = fit_family("lognormal", CensoredSample(x[~held], lo=t - 24, hi=t))
    assert abs(f.mean_h - dist.mean()) < K * f.mean_se_h
    naive = fit_family("lognormal", CensoredSample(np.concatenate([x[~held], t])))
    assert naive.mean_h - dist.mean() > 5 * f.mean_se_h


# --------------------------------------------------------------------------- Kaplan-Meier, log-rank
def test_kaplan_meier_matches_hand_computed_example():
    """KM of 1, 2, 2+, 3, 4+, 5: S = 5/6, 4/6, 4/9, 0 at 1, 2, 3, 5 (events before censorings at ties)."""
    times, surv = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    assert times.tolist() == [1, 2, 3, 5]
    np.testing.assert_allclose(surv, [5 / 6, 4 / 6, 4 / 9, 0.0])
    # area under the curve: 1 + 5/6 + 4/6 + 2 x 4/9
    assert km_mean(times, surv) == pytest.approx(1 + 5 / 6 + 4 / 6 + 8 / 9)


def test_logrank_detects_a_difference_and_not_its_absence():
    """Log-rank: p < 0.001 for exponential means 10 vs 13 (n 1500 each), p > 0.01 for two samples of one law."""
    rng = np.random.default_rng(seed(15))
    a, b, c = rng.exponential(10, 1500), rng.exponential(13, 1500), rng.exponential(10, 1500)
    ones = np.ones(1500, bool)
    assert logrank_test(a, ones, b, ones)[1] < 1e-3
    assert logrank_test(a, ones, c, ones)[1] > 0.01


# --------------------------------------------------------------------------- preparation
def test_prepare_merges_self_loops_and_censors_open_last_stays():
    """Two stays in a row in one unit become one; an open last stay is censored at the log's end, not a route."""
    t = pd.Timestamp("2025-01-06")
    h = pd.Timedelta(hours=1)
    log = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b"],
            "unit": ["W", "W", "ICU", "W", "ICU"],
            "start": [t, t + 5 * h, t + 9 * h, t + h, t + 3 * h],
            "end": [t + 5 * h, t + 9 * h, t + 20 * h, t + 3 * h, pd.NaT],
        }
    )
    prep = prepare_stays(log)
    assert prep.attrs["counts"]["rows_merged_self_loops"] == 1
    a = prep[prep["patient_id"] == "a"]
    assert a["unit"].tolist() == ["W", "ICU"] and a["dur_h"].tolist() == [9.0, 11.0]
    assert a["next_unit"].tolist() == ["ICU", "exit"]
    b = prep[prep["patient_id"] == "b"]
    assert pd.isna(b["next_unit"].tolist()[1]) and not b["closed"].tolist()[1]
    assert b["dur_h"].tolist()[1] == 17.0  # censored at the latest time in the log (a's end)


# --------------------------------------------------------------------------- round trip
HOD = [
    0.4,
    0.3,
    0.3,
    0.3,
    0.3,
    0.4,
    0.6,
    0.9,
    1.3,
    1.6,
    1.7,
    1.7,
    1.6,
    1.5,
    1.4,
    1.4,
    1.3,
    1.3,
    1.2,
    1.1,
    1.0,
    0.8,
    0.6,
    0.5,
]
TRUTH = {
    "name": "round trip truth",
    "start": "2025-01-06T00:00:00",
    "horizon_days": 730,
    "warmup_days": 0,
    "replications": 1,
    "seed": 5,
    "units": {"AMU": {"beds": 60}, "WARD": {"beds": 120}, "ICU": {"beds": 40}},
    "arrivals": [
        {"name": "medical", "unit": "AMU", "per_day": 12.0, "patient_class": "medical", "hour_of_day": HOD},
        {"name": "surgical", "unit": "WARD", "per_day": 4.0, "patient_class": "surgical"},
    ],
    "routes": {
        "AMU": {"exit": 0.35, "WARD": 0.55, "ICU": 0.10},
        "WARD": {"exit": 0.95, "ICU": 0.05},
        "ICU": {"WARD": 0.8, "exit": 0.2},
    },
    "length_of_stay": {
        "AMU": {"distribution": "lognormal", "mean_hours": 14, "cv": 0.9},
        "WARD": {"distribution": "gamma", "mean_hours": 110, "cv": 0.8},
        "ICU": {"distribution": "weibull", "mean_hours": 60, "cv": 0.9},
    },
    "patient_classes": {
        "medical": {},
        "surgical": {"routes": {"WARD": {"exit": 0.75, "ICU": 0.25}}},
    },
}


def _expected_visits(routes: dict, entry: str, units: list[str]) -> np.ndarray:
    idx = {u: i for i, u in enumerate(units)}
    P = np.zeros((len(units), len(units)))
    for u, r in routes.items():
        for d, p in r.items():
            if d != "exit":
                P[idx[u], idx[d]] = p
    e = np.zeros(len(units))
    e[idx[entry]] = 1
    return np.linalg.solve(np.eye(len(units)) - P.T, e)


def _offered_load(sc: Scenario) -> dict[str, float]:
    """Mean occupancy with ample beds = sum over streams of rate x expected visits x mean stay (traffic equations)."""
    units = list(sc.units)
    load = dict.fromkeys(units, 0.0)
    for a in sc.arrivals:
        for c, share in a.classes().items():
            v = _expected_visits(sc.routes_for(c), a.unit, units)
            for u, visits in zip(units, v, strict=True):
                spec = sc.stay_for(c, u)
                if spec is not None:
                    load[u] += a.per_day * share * visits * spec.to_distribution().mean_h / 24
    return load


@pytest.fixture(scope="module")
def round_trip():
    truth = Scenario.model_validate({**TRUTH, "seed": seed(5)})
    log = run_replication(truth, 0, keep_census=False).adt_log
    cal = calibrate(log, name="recovered", source="simulated round trip (in memory)")
    return truth, log, cal


def test_round_trip_recovers_arrival_rates_and_hour_profile(round_trip):
    """Arrival rates within 4 Poisson SEs (sqrt(n)/days: about 0.13/day for AMU); the hour-of-day effect is
    found (p < 0.01) and each hourly weight is within 4 SEs (sqrt(24 w / n) relative); the flat day-of-week
    profile and the flat surgical hour profile are not kept (tests at 1%)."""
    truth, log, cal = round_trip
    streams = {s.unit: s for s in cal.arrivals.streams_}
    assert set(streams) == {"AMU", "WARD"}
    for a in truth.arrivals:
        s = streams[a.unit]
        assert s.patient_class == a.patient_class
        assert abs(s.per_day - a.per_day) < K * math.sqrt(a.per_day / cal.days), (s.per_day, a.per_day)
    amu = streams["AMU"]
    assert amu.hour_kept and amu.hour_p < 1e-6
    w = np.asarray(HOD) / np.mean(HOD)
    se = w * np.sqrt(24 / (w * amu.n))
    assert np.all(np.abs(np.asarray(amu.hour_weights) - w) < K * se)
    assert not amu.dow_kept and not streams["WARD"].hour_kept and not streams["WARD"].dow_kept


def test_round_trip_recovers_mean_stays(round_trip):
    """Mean stay per unit within 4 SEs of the truth (observed information; e.g. WARD about 1.5 h on 110 h),
    with the true family chosen where the sample is large (AMU, WARD)."""
    truth, log, cal = round_trip
    for unit, est in cal.stays.units_.items():
        true = truth.length_of_stay[unit].to_distribution().mean_h
        assert est.acceptable and est.chosen in ("lognormal", "gamma", "weibull", "exponential")
        b = est.best
        assert abs(b.mean_h - true) < K * b.mean_se_h, (unit, b.mean_h, true, b.mean_se_h)
    assert cal.stays.units_["AMU"].chosen == "lognormal"
    assert cal.stays.units_["WARD"].chosen == "gamma"
    assert not cal.stays.classes_  # classes share their stays: no split


def test_round_trip_recovers_route_probabilities(round_trip):
    """Each route probability within 4 binomial SEs (sqrt(p (1-p) / n)); the surgical class gets its own
    route from WARD (G-test p < 0.01) and the medical class uses the shorthand."""
    truth, log, cal = round_trip
    shorthand, per_class = cal.routes.scenario_routes()
    assert set(per_class) == {"surgical"} and set(per_class["surgical"]) == {"WARD"}
    counts = cal.routes.counts_
    for who, table, routes in (
        ("medical", shorthand, truth.routes_for("medical")),
        ("surgical", per_class["surgical"], truth.routes_for("surgical")),
    ):
        for unit, dests in table.items():
            mask = counts["from"] == unit
            if who == "surgical":
                mask &= counts["patient_class"] == "surgical"
            elif unit == "WARD":
                mask &= counts["patient_class"] != "surgical"
            n = counts.loc[mask, "count"].sum()
            for d, p_true in routes[unit].items():
                se = math.sqrt(p_true * (1 - p_true) / n)
                assert abs(dests.get(d, 0.0) - p_true) < K * se + 1e-4, (who, unit, d, dests, p_true, n)
    g = cal.routes.graph_
    assert g["AMU"]["WARD"]["count"] > 0 and 0 < g["AMU"]["WARD"]["p"] < 1


def test_round_trip_scenario_validates_runs_and_recovers_mean_occupancy(round_trip):
    """The calibrated scenario validates, runs as is, and its mean occupancy per unit matches the truth's
    offered load (traffic equations; beds are ample) within 4 combined SEs: the estimation error of
    rate x visits x mean stay (relative SEs 1/sqrt(n_arrivals), 1/sqrt(n_stays) and cv/sqrt(n_stays),
    summed in quadrature) and the simulation error of the calibrated run (batch means of 4-week batches)."""
    truth, log, cal = round_trip
    data = cal.scenario_dict(horizon_days=1456, replications=1, seed=seed(77))
    sc = Scenario.model_validate(data)
    assert all(u.when_full == "queue" for u in sc.units.values())
    assert sc.arrivals[0].hour_of_day is not None
    load_true = _offered_load(truth)
    load_cal = _offered_load(sc)
    rep = run_replication(sc, 0, keep_log=False)
    census = rep.census
    n_arrivals = sum(s.n for s in cal.arrivals.streams_)
    for unit in truth.units:
        est = cal.stays.units_[unit]
        rel_est = math.sqrt(1 / n_arrivals + 1 / est.n + est.best.cv**2 / est.n)
        occ = census[census["unit"] == unit].sort_values("time_h")
        values = occ.loc[occ["time_h"] >= sc.warmup_h, "occupied"].to_numpy(float)
        batch = 24 * 28
        nb = len(values) // batch
        means = values[: nb * batch].reshape(nb, batch).mean(1)
        sim_mean, sim_se = means.mean(), means.std(ddof=1) / math.sqrt(nb)
        tol = K * math.hypot(rel_est * load_true[unit], sim_se)
        assert abs(load_cal[unit] - load_true[unit]) < K * rel_est * load_true[unit], (
            unit,
            load_cal[unit],
            load_true[unit],
        )
        assert abs(sim_mean - load_true[unit]) < tol, (unit, sim_mean, load_true[unit], tol)


def test_round_trip_yaml_loads_and_carries_provenance(round_trip):
    """to_yaml() starts with the provenance comments (source, period, row counts, fit quality) and loads back."""
    truth, log, cal = round_trip
    text = cal.to_yaml()
    lines = text.splitlines()
    comments = cal.provenance_comments()
    assert lines[: len(comments)] == comments
    head = "\n".join(comments)
    for needle in (
        "Source: simulated round trip",
        "Period: 2025-01-06",
        f"Rows: read {len(log)}",
        "AIC weights",
        "censored",
        "p=",
    ):
        assert needle in head, needle
    sc = load_scenario_text(text, name="calibrated.yaml")
    assert sc == cal.scenario()


def test_discharge_rule_is_detected_and_stays_are_not_double_counted():
    """A ward discharging on an hourly profile with weekend rate 0.5: the rule is found (p < 0.01), the weekend
    rate is recovered within 0.1, the time until ready is fitted within 4 SEs of the true 96 h mean (the hold is
    not counted twice), and the calibrated scenario reproduces the mean occupancy within 5%."""
    profile = [0] * 9 + [1, 2, 4, 6, 8, 8, 8, 6, 4, 2, 1] + [0] * 4
    truth = Scenario.model_validate(
        {
            "name": "discharge truth",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 730,
            "warmup_days": 0,
            "replications": 1,
            "seed": seed(21),
            "units": {"WARD": {"beds": 200}},
            "arrivals": [{"name": "adm", "unit": "WARD", "per_day": 10.0}],
            "length_of_stay": {"WARD": {"distribution": "lognormal", "mean_hours": 96, "cv": 1.0}},
            "discharge": {"hourly_profile": profile, "weekend_rate": 0.5},
        }
    )
    rep = run_replication(truth, 0, keep_census=True)
    cal = calibrate(rep.adt_log)
    assert "WARD" in cal.discharge.rules_
    assert abs(cal.discharge.rules_["WARD"]["weekend_rate"] - 0.5) < 0.1
    est = cal.stays.units_["WARD"]
    assert est.n_interval > 0 and est.chosen == "lognormal"
    assert abs(est.best.mean_h - 96) < K * est.best.mean_se_h, (est.best.mean_h, est.best.mean_se_h)
    sc = cal.scenario(horizon_days=728, replications=1)
    assert sc.units["WARD"].discharge is not None
    occ_true = rep.kpis.query("metric == 'occupancy_mean' and unit == 'WARD'")["value"].iloc[0]
    occ_cal = (
        run_replication(sc, 0, keep_log=False, keep_census=False)
        .kpis.query("metric == 'occupancy_mean' and unit == 'WARD'")["value"]
        .iloc[0]
    )
    assert abs(occ_cal / occ_true - 1) < 0.05, (occ_cal, occ_true)


def test_capacity_from_table_and_refused_with_shifted_dates(round_trip):
    """A capacity table wins; with shifted dates beds come from the table or a flagged default, rates are not
    measured (arrivals scaled so the busiest unit's offered load is 85% of its beds, flagged) and the scenario still validates."""
    truth, log, cal = round_trip
    assert cal.capacity.method_ == {"AMU": "peak", "ICU": "peak", "WARD": "peak"}
    shifted = calibrate(log, capacity={"WARD": 100}, dates_shifted=True)
    assert shifted.capacity.beds_["WARD"] == 100 and shifted.capacity.method_["AMU"] == "DEFAULT"
    assert all(math.isnan(s.per_day) for s in shifted.arrivals.streams_)
    assert shifted.capacity.occupancy_ is None
    sc = shifted.scenario()
    load = _offered_load(sc)
    assert max(load[u] / sc.units[u].beds for u in load) == pytest.approx(0.85, rel=1e-3)  # the busiest unit at 85%
    head = "\n".join(shifted.provenance_comments())
    assert "DATES SHIFTED" in head and "DEFAULT" in head and "ARRIVAL RATES NOT FROM DATA" in head


# --------------------------------------------------------------------------- closed forms, small samples, censoring times
@pytest.mark.parametrize(
    "family, theta",
    [("exponential", [3.0]), ("lognormal", [3.0, -0.2]), ("gamma", [0.5, 3.0]), ("weibull", [0.3, 3.5])],
)
def test_closed_form_log_density_and_survival_match_scipy(family, theta):
    """The likelihood's closed-form log pdf and log survival equal scipy.stats' to 1e-10 from 0.01 h to 2000 h."""
    from hospital_twin.calibration.families import _frozen, _logpdf, _logsf

    th = np.asarray(theta)
    x = np.array([0.01, 0.5, 3.0, 40.0, 200.0, 2000.0])
    d = _frozen(family, th)
    np.testing.assert_allclose(_logpdf(family, th, x), d.logpdf(x), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(_logsf(family, th, x), d.logsf(x), rtol=1e-10, atol=1e-10)


def test_a_unit_with_few_stays_gets_an_exponential_that_validates():
    """A unit with a single stay (MIMIC's UNKNOWN) gets the exponential with that mean, not a degenerate shape."""
    t = pd.Timestamp("2025-01-06")
    h = pd.Timedelta(hours=1)
    n = 60
    log = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)] + ["q"],
            "unit": ["WARD"] * n + ["RARE"],
            "start": [t + i * 5 * h for i in range(n)] + [t],
            "end": [t + i * 5 * h + (10 + i) * h for i in range(n)] + [t + 36 * h],
        }
    )
    cal = calibrate(log)
    est = cal.stays.units_["RARE"]
    assert est.chosen == "exponential" and est.spec == {"distribution": "exponential", "mean_hours": 36.0}
    assert "no shape estimated" in est.note
    cal.scenario()  # validates


def test_open_stays_are_censored_at_last_event_at_when_the_log_has_it():
    """An open stay with last_event_at is censored there, not at the end of the log (XES cases whose events stop)."""
    t = pd.Timestamp("2025-01-06")
    h = pd.Timedelta(hours=1)
    log = pd.DataFrame(
        {
            "patient_id": ["a", "b"],
            "unit": ["ER", "ER"],
            "start": [t, t + 1000 * h],
            "end": [pd.NaT, t + 1003 * h],
            "last_event_at": [t + 2 * h, pd.NaT],
        }
    )
    prep = prepare_stays(log)
    a = prep[prep["patient_id"] == "a"].iloc[0]
    assert not a["closed"] and a["dur_h"] == 2.0
    shifted = prepare_stays(log.drop(columns="last_event_at"), dates_shifted=True)
    assert shifted[shifted["patient_id"] == "a"]["dur_h"].iloc[0] == pytest.approx(1 / 60)  # its own last time


def test_rare_arrival_sources_are_pooled_as_other_and_listed():
    """Sources with fewer than 10 arrivals into a unit are one 'other' stream there (counts kept, listed in provenance)."""
    t = pd.Timestamp("2025-01-06")
    h = pd.Timedelta(hours=1)
    sources = ["ed"] * 40 + ["gp"] * 12 + ["walk_in"] * 3 + ["transfer"] * 2
    n = len(sources)
    log = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)],
            "unit": "WARD",
            "arrival_source": sources,
            "start": [t + i * 7 * h for i in range(n)],
            "end": [t + i * 7 * h + 20 * h for i in range(n)],
        }
    )
    cal = calibrate(log)
    got = {s.source: s.n for s in cal.arrivals.streams_}
    assert set(got) == {"ed", "gp", "other"} and got["other"] == 5
    assert sorted(a for _, _, a, _ in cal.arrivals.pooled_) == ["transfer", "walk_in"]
    assert "pooled as 'other'" in "\n".join(cal.provenance_comments())
    cal.scenario()
