"""The live twin: census snapshots, warm starts and forecasts (issue 5).

Statistical checks take their seeds from ``helpers.seed`` (``HT_TEST_SEED_OFFSET`` re-runs
them under other seeds) and compare with independent arithmetic: scipy's distributions
for the residual stays, and the survival-ratio and M/G/inf formulas for the census.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from hospital_twin.distributions import Empirical, Exponential, Fixed, Gamma, Lognormal, Weibull
from hospital_twin.live.census import CensusError, census_at, census_counts, read_census
from hospital_twin.live.forecast import (
    FORECAST_COLUMNS,
    class_mix,
    forecast,
    forecast_errors,
    forecast_table,
    persistence_forecast,
)
from hospital_twin.reporting.charts import forecast_chart
from hospital_twin.results import adt_log
from hospital_twin.scenario.io import load_scenario
from hospital_twin.sim.model import HospitalSim
from hospital_twin.sim.records import STAY_FIELDS, InitialPatient
from tests.conftest import SCENARIOS
from tests.helpers import scenario, seed, single_unit

NOW = pd.Timestamp("2025-03-03T08:00:00")  # a Monday


def _snapshot(elapsed_h, unit: str = "WARD", now: pd.Timestamp = NOW, **cols) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(len(elapsed_h))],
            "unit": unit,
            "unit_start": [now - pd.Timedelta(hours=float(e)) for e in elapsed_h],
            **cols,
        }
    )


def _var_se(x: np.ndarray) -> float:
    """Standard error of the sample variance (from the sample's fourth central moment)."""
    n = len(x)
    m2 = x.var(ddof=1)
    m4 = ((x - x.mean()) ** 4).mean()
    return math.sqrt(max(m4 - m2 * m2 * (n - 3) / (n - 1), 0.0) / n)


# --------------------------------------------------------------------------- census from a log
LOG = pd.DataFrame(
    {
        "patient_id": ["a", "a", "a", "b", "c", "d", "e"],
        "unit": ["ED", "AMU", "MED", "MED", "MED", "ICU", "MED"],
        "start": [
            "2025-01-01T08:00",
            "2025-01-01T12:00",
            "2025-01-02T09:00",
            "2025-01-02T10:00",
            "2025-01-01T00:00",
            "2024-12-30T00:00",
            "2025-01-02T10:00",
        ],
        "end": [
            "2025-01-01T12:00",
            "2025-01-02T09:00",
            "",
            "2025-01-02T10:00",
            "2025-01-02T10:00:01",
            None,
            "2025-01-03T00:00",
        ],
        "patient_class": ["med", "med", "med", "med", "surg", "icu", "med"],
    }
)


def test_census_at_lists_patients_in_a_bed_with_their_encounter_start():
    """census_at keeps stays with start <= at < end (or open), admitted_at the encounter's first start."""
    snap = census_at(LOG, "2025-01-02T10:00")
    expected = pd.DataFrame(
        {
            "patient_id": ["d", "c", "a", "e"],
            "unit": ["ICU", "MED", "MED", "MED"],
            "unit_start": pd.to_datetime(
                ["2024-12-30T00:00", "2025-01-01T00:00", "2025-01-02T09:00", "2025-01-02T10:00"]
            ),
            "patient_class": ["icu", "surg", "med", "med"],
            "admitted_at": pd.to_datetime(
                ["2024-12-30T00:00", "2025-01-01T00:00", "2025-01-01T08:00", "2025-01-02T10:00"]
            ),
        }
    ).astype(
        {
            "patient_id": "string",
            "unit": "string",
            "patient_class": "string",
            "unit_start": "datetime64[ns]",
            "admitted_at": "datetime64[ns]",
        }
    )
    pd.testing.assert_frame_equal(snap, expected)


def test_census_at_needs_rep_for_a_multi_replication_log():
    """A log with several replications needs rep=; rep= selects one."""
    two = pd.concat([LOG.assign(rep=0), LOG.assign(rep=1, patient_id=LOG["patient_id"] + "'")])
    with pytest.raises(ValueError, match="rep="):
        census_at(two, "2025-01-02T10:00")
    assert census_at(two, "2025-01-02T10:00", rep=1)["patient_id"].str.endswith("'").all()


def test_census_at_keeps_only_readiness_already_known():
    """ready_to_leave is copied only where it is at or before the snapshot time (the future is not known)."""
    log = LOG.assign(
        ready_to_leave=[
            "2025-01-01T11:00",
            "2025-01-02T08:00",
            "2025-01-02T09:30",
            "",
            "2025-01-02T10:00",
            "2025-01-02T11:00",
            "",
        ]
    )
    snap = census_at(log, "2025-01-02T10:00").set_index("patient_id")["ready_to_leave"]
    assert snap["a"] == pd.Timestamp("2025-01-02T09:30") and snap["c"] == pd.Timestamp("2025-01-02T10:00")
    assert pd.isna(snap["d"]) and pd.isna(snap["e"])


def test_census_counts_counts_open_stays_per_unit():
    """census_counts gives the patients per unit at each time, zeros included."""
    got = census_counts(LOG, ["2025-01-01T12:00", "2025-01-02T10:00"], units=["ED", "AMU", "MED"])
    assert got["census"].tolist() == [0, 0, 1, 0, 1, 3]


def test_census_at_of_a_simulated_log_matches_the_simulated_census():
    """A snapshot taken from a simulated log has as many patients per unit as the simulator's hourly census."""
    s = scenario(
        units={"ICU": {"beds": 8, "when_full": "queue"}, "WARD": {"beds": 30, "when_full": "queue"}},
        arrivals=[{"name": "e", "unit": "ICU", "per_day": 3.0}],
        routes={"ICU": {"WARD": 0.8, "exit": 0.2}},
        length_of_stay={
            "ICU": {"distribution": "exponential", "mean_hours": 60},
            "WARD": {"distribution": "gamma", "mean_hours": 140, "cv": 0.7},
        },
        horizon_days=20,
        warmup_days=0,
    )
    from hospital_twin.results import census

    out = HospitalSim(s, 0, seed(3)).run()
    f = {name: i for i, name in enumerate(STAY_FIELDS)}
    S = out.stays
    external = S[:, f["source"]] < len(out.source_names) - len(out.unit_names)

    def queued(h: int) -> np.ndarray:  # asked for a bed from outside by hour h, got it later
        return external & (S[:, f["ready_at"]] <= h) & (S[:, f["start"]] > h)

    hour = max(range(100, 400), key=lambda h: int(queued(h).sum()))  # a moment with a queue
    snap = census_at(adt_log(out), pd.Timestamp(s.start) + pd.Timedelta(hours=hour))
    sim = census(out)
    at = sim[sim["time_h"] == hour].set_index("unit")["occupied"]
    in_bed = snap[snap["unit_start"].notna()]
    assert in_bed.groupby("unit").size().reindex(at.index, fill_value=0).tolist() == at.tolist()
    # the other rows are the patients in the queue at that hour
    assert snap["waiting_since"].notna().sum() == queued(hour).sum() > 0


# --------------------------------------------------------------------------- reading a snapshot
def test_read_census_reports_every_bad_row_with_line_and_field(tmp_path):
    """read_census lists missing ids, unknown units and classes, bad or future times, duplicates, by line and field."""
    s = single_unit(beds=5, when_full="queue", per_day=2.0, los={"distribution": "exponential", "mean_hours": 48})
    path = tmp_path / "census.csv"
    path.write_text(
        "patient_id,unit,unit_start,patient_class\n"
        "1,WARD,2025-03-01T08:00,\n"  # line 2: fine
        ",WARD,2025-03-01T08:00,\n"  # line 3: no id
        "2,WRAD,2025-03-01T08:00,\n"  # line 4: unknown unit
        "3,WARD,2025-03-04T08:00,\n"  # line 5: after now
        "4,WARD,yesterday,\n"  # line 6: not a timestamp
        "1,WARD,2025-03-01T08:00,vip\n"  # line 7: duplicate, unknown class
    )
    with pytest.raises(CensusError) as info:
        read_census(path, s, NOW)
    got = [(i.line, i.field) for i in info.value.issues]
    assert got == [
        (3, "patient_id"),
        (4, "unit"),
        (5, "unit_start"),
        (6, "unit_start"),
        (7, "patient_id"),
        (7, "patient_class"),
    ]
    assert all(i.file == str(path) for i in info.value.issues)
    assert "did you mean 'WARD'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_read_census_names_a_missing_column(tmp_path):
    """A snapshot without unit_start is rejected naming the column."""
    path = tmp_path / "c.csv"
    path.write_text("patient_id,unit\n1,WARD\n")
    with pytest.raises(CensusError, match="unit_start: missing column"):
        read_census(path)


# --------------------------------------------------------------------------- distributions: cdf and residual stays
DISTS = [
    (Exponential(30.0), stats.expon(scale=30.0)),
    (Lognormal.from_mean_cv(48, 1.2), stats.lognorm(s=math.sqrt(math.log1p(1.44)), scale=48 / math.sqrt(2.44))),
    (Gamma.from_mean_cv(48, 0.6), stats.gamma(a=1 / 0.36, scale=48 * 0.36)),
    (Weibull(shape=1.7, scale_h=60.0), stats.weibull_min(c=1.7, scale=60.0)),
]


@pytest.mark.parametrize(("dist", "ref"), DISTS, ids=["exponential", "lognormal", "gamma", "weibull"])
def test_distribution_cdf_sf_isf_match_scipy(dist, ref):
    """cdf, sf and isf agree with scipy, and cdf inverts ppf."""
    x = np.array([0.5, 5.0, 40.0, 200.0, 1500.0])
    assert np.allclose([dist.cdf(v) for v in x], ref.cdf(x), rtol=1e-9, atol=1e-14)
    assert np.allclose([dist.sf(v) for v in x], ref.sf(x), rtol=1e-7, atol=1e-300)
    q = np.array([0.9, 0.5, 1e-3, 1e-9])
    assert np.allclose([dist.isf(v) for v in q], ref.isf(q), rtol=1e-7)
    u = np.array([0.01, 0.3, 0.7, 0.99])
    assert np.allclose([dist.cdf(dist.ppf(v)) for v in u], u, rtol=1e-9)


def test_empirical_and_fixed_cdf_invert_their_quantile_functions():
    """Empirical cdf inverts the piecewise-linear ppf (flat stretches are atoms); Fixed is a step."""
    e = Empirical([0.0, 0.25, 0.5, 0.75, 1.0], [2.0, 10.0, 10.0, 40.0, 100.0])
    assert [e.cdf(x) for x in (1.0, 2.0, 6.0, 10.0, 25.0, 100.0)] == [0.0, 0.0, 0.125, 0.5, 0.625, 1.0]
    assert Fixed(24.0).cdf(23.9) == 0.0 and Fixed(24.0).cdf(24.0) == 1.0


@pytest.mark.parametrize(("dist", "ref"), DISTS[1:3], ids=["lognormal", "gamma"])
@pytest.mark.parametrize("elapsed_h", [10.0, 150.0])
def test_residual_stay_has_the_conditional_distribution(dist, ref, elapsed_h):
    """Remaining stays drawn by inverse transform follow X - e | X > e (KS test against scipy's conditional sampling)."""
    rng = np.random.default_rng(seed(11))
    u = rng.random(4000)
    drawn = np.array([dist.residual_ppf(elapsed_h, v) for v in u])
    # scipy: sample X, keep X > e, subtract e
    x = ref.rvs(size=2_000_000, random_state=np.random.default_rng(seed(12)))
    cond = x[x > elapsed_h][:4000] - elapsed_h
    assert len(cond) == 4000
    assert stats.ks_2samp(drawn, cond).pvalue > 1e-3
    s_e = ref.sf(elapsed_h)
    assert stats.kstest(drawn, lambda r: (s_e - ref.sf(elapsed_h + r)) / s_e).pvalue > 1e-3
    assert np.all(np.diff(np.array([dist.residual_ppf(elapsed_h, v) for v in np.sort(u)])) >= 0)  # keeps CRN


def test_residual_stay_past_the_support_uses_the_tail_rule():
    """Past a fixed value the patient leaves at once; past the largest empirical value the stay is exponential."""
    assert Fixed(24.0).residual_ppf(30.0, 0.7) == 0.0
    assert Fixed(24.0).residual_ppf(10.0, 0.7) == pytest.approx(14.0)
    e = Empirical.from_samples([5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 900.0, 1000.0])
    m = e.tail_mean_excess()
    assert m > 0
    assert e.residual_ppf(2000.0, 1 - math.exp(-1)) == pytest.approx(m)


def test_empirical_residual_stay_does_not_collapse_near_the_longest_stay_seen():
    """In the tail of an empirical stay the mean remaining stay stays at the tail's mean excess.

    Without the tail rule a patient 0.999 of the way to the longest of 200 lognormal stays had
    a mean residual of about 1 h, then 158 h once past it.
    """
    x = np.random.default_rng(3).lognormal(4.0, 1.0, 200)
    e = Empirical.from_samples(x)
    u = (np.arange(20_000) + 0.5) / 20_000
    m = e.tail_mean_excess()

    def mean_residual(elapsed_h: float) -> float:
        return float(np.mean([e.residual_ppf(elapsed_h, ui) for ui in u]))

    for elapsed in (e.ppf(0.9), e.ppf(0.95), 0.99 * x.max(), 0.999 * x.max(), x.max() + 0.1, 3 * x.max()):
        assert mean_residual(elapsed) == pytest.approx(m, rel=0.01), elapsed
    # just below the switch the body's own residual has about the same mean: no jump
    assert mean_residual(e.ppf(0.899)) == pytest.approx(m, rel=0.05)


# --------------------------------------------------------------------------- warm start in the simulator
def test_warm_start_records_census_patients_from_their_unit_start():
    """Initial patients' stays start at -elapsed, come from the 'census' source, and never count as admissions."""
    s = single_unit(
        beds=5,
        when_full="queue",
        per_day=0.0,
        los={"distribution": "fixed", "value_hours": 30},
        warmup_days=0,
        horizon_days=3,
    )
    out = HospitalSim(s, 0, 1, initial_patients=[(0, 10.0, 0), (0, 40.0, 0)]).run()
    log = adt_log(out)
    assert log["start"].tolist() == [pd.Timestamp(s.start) - pd.Timedelta(hours=h) for h in (10, 40)]
    assert log["end"].tolist() == [pd.Timestamp(s.start) + pd.Timedelta(hours=20), pd.Timestamp(s.start)]
    assert (log["arrival_source"] == "census").all()
    from hospital_twin.results import rep_kpis

    k = rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k["admitted", "WARD"] == 0


def test_ready_patients_move_on_at_time_zero():
    """A snapshot patient with ready_to_leave leaves (or moves) at once; the others keep their remaining stay."""
    s = single_unit(
        beds=5, when_full="queue", per_day=0.0, los={"distribution": "fixed", "value_hours": 100}, warmup_days=0
    )
    snap = _snapshot([10.0, 20.0, 30.0]).assign(ready_to_leave=[pd.NaT, NOW - pd.Timedelta(hours=1), pd.NaT])
    fc = forecast(s, snap, NOW, 12, replications=2, seed=seed(1))
    assert fc.census[:, 0, 0].tolist() == [3, 3]  # hour 0 is the snapshot
    assert (fc.census[:, 0, 1:] == 2).all()
    assert (fc.discharges[:, 0, 0] == 1).all()
    fresh = forecast(s, snap, NOW, 12, replications=2, seed=seed(1), ignore_elapsed=True)
    assert (fresh.census[:, 0, :] == 3).all()


def test_warm_start_places_patients_above_capacity_and_new_arrivals_queue():
    """A snapshot above the beds is placed anyway and counted; arrivals wait until the census drops below the beds."""
    s = single_unit(
        beds=5, when_full="queue", per_day=48.0, los={"distribution": "fixed", "value_hours": 30}, warmup_days=0
    )
    fc = forecast(s, _snapshot([5.0] * 8), NOW, 48, replications=3, seed=seed(2))
    assert fc.initial.set_index("unit").loc["WARD", "over_capacity"] == 3
    assert (fc.census[:, 0, :25] == 8).all()  # nobody leaves before hour 25, nobody gets in
    assert (fc.admissions[:, 0, :25] == 0).all()
    assert (fc.census[:, 0, 26:] == 5).all()  # then the queue fills the 5 beds


def test_warm_start_without_arrivals_decays_as_the_survival_ratios():
    """With no arrivals, the census at t has mean sum S(e+t)/S(e) and variance sum p(1-p)."""
    los = {"distribution": "gamma", "mean_hours": 60, "cv": 0.9}
    s = single_unit(beds=200, when_full="queue", per_day=0.0, los=los, warmup_days=0)
    elapsed = np.linspace(0.0, 240.0, 50)
    fc = forecast(s, _snapshot(elapsed), NOW, 48, replications=800, seed=seed(21))
    d = Gamma.from_mean_cv(60, 0.9)
    for t in (6, 24, 48):
        p = np.array([d.sf(e + t) / d.sf(e) for e in elapsed])
        c = fc.census[:, 0, t].astype(float)
        se = c.std(ddof=1) / math.sqrt(len(c))
        assert abs(c.mean() - p.sum()) < 4 * se, (t, c.mean(), p.sum(), se)
        assert abs(c.var(ddof=1) - (p * (1 - p)).sum()) < 4 * _var_se(c), (t, c.var(ddof=1), (p * (1 - p)).sum())


def test_forecast_matches_the_warm_started_mg_infinity_formula():
    """Analytic check: census(t) = Binomial survivors of the snapshot + Poisson(lambda int_0^t S) new arrivals."""
    los = {"distribution": "lognormal", "mean_hours": 48, "cv": 0.8}
    s = single_unit(beds=1000, when_full="queue", per_day=24.0, los=los, warmup_days=0)
    elapsed = np.linspace(0.0, 300.0, 40)
    fc = forecast(s, _snapshot(elapsed), NOW, 72, replications=1000, seed=seed(31))
    d = Lognormal.from_mean_cv(48, 0.8)
    lam = 1.0  # per hour
    for t in (6, 24, 72):
        p = np.array([d.sf(e + t) / d.sf(e) for e in elapsed])
        new = lam * integrate.quad(d.sf, 0, t)[0]
        c = fc.census[:, 0, t].astype(float)
        mean, var = p.sum() + new, (p * (1 - p)).sum() + new
        se = c.std(ddof=1) / math.sqrt(len(c))
        assert abs(c.mean() - mean) < 4 * se, (t, c.mean(), mean, se)
        assert abs(c.var(ddof=1) - var) < 4 * _var_se(c), (t, c.var(ddof=1), var)


def test_ignoring_elapsed_stays_biases_the_forecast():
    """Patients well into low-variability stays leave soon; giving them fresh stays overstates the census."""
    los = {"distribution": "gamma", "mean_hours": 72, "cv": 0.4}
    s = single_unit(beds=100, when_full="queue", per_day=6.0, los=los, warmup_days=0)
    snap = _snapshot(np.full(40, 96.0))
    warm = forecast(s, snap, NOW, 48, replications=100, seed=seed(41))
    fresh = forecast(s, snap, NOW, 48, replications=100, seed=seed(41), ignore_elapsed=True)
    w = warm.census[:, 0, 24].astype(float)
    f = fresh.census[:, 0, 24].astype(float)
    se = math.hypot(w.std(ddof=1), f.std(ddof=1)) / 10
    assert f.mean() - w.mean() > max(10 * se, 0.2 * f.mean()), (w.mean(), f.mean())
    assert fresh.method == "fresh_stays" and warm.method == "warm_start"


# --------------------------------------------------------------------------- forecast outputs
@pytest.fixture(scope="module")
def icu_ward():
    s = load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml")
    out = HospitalSim(s.model_copy(update={"horizon_days": 30, "warmup_days": 0}), 0, 5).run()
    now = pd.Timestamp(s.start) + pd.Timedelta(days=25, hours=8)
    snap = census_at(adt_log(out), now).drop(columns=["patient_class"])  # classes inferred
    return s, snap, now


def test_forecast_is_reproducible_and_independent_of_workers(icu_ward):
    """The same seed gives the same forecast, serially or in two worker processes."""
    s, snap, now = icu_ward
    a = forecast(s, snap, now, 24, replications=6, seed=seed(5))
    b = forecast(s, snap, now, 24, replications=6, seed=seed(5), workers=2)
    pd.testing.assert_frame_equal(a.hourly, b.hourly)
    np.testing.assert_array_equal(a.census, b.census)
    c = forecast(s, snap, now, 24, replications=6, seed=seed(6))
    assert not np.array_equal(a.census, c.census)


def test_forecast_table_has_the_contract_columns_first(icu_ward):
    """forecast.csv columns start with time, unit, mean, p05, p50, p95, p_full; hour 0 is the snapshot."""
    s, snap, now = icu_ward
    fc = forecast(s, snap, now, 12, replications=4, seed=seed(7))
    tab = forecast_table(fc)
    assert list(tab.columns[:7]) == FORECAST_COLUMNS
    assert tab["time"].iloc[0] == now.strftime("%Y-%m-%dT%H:%M:%S")
    assert set(tab["unit"]) == {"ICU", "WARD", "ALL"}
    assert len(tab) == 3 * 13
    first = tab[tab["horizon_h"] == 0].set_index("unit")
    counts = snap.groupby("unit").size()
    assert first.loc["ICU", "mean"] == counts.get("ICU", 0) and first.loc["WARD", "p95"] == counts.get("WARD", 0)
    assert ((tab["p05"] <= tab["p50"]) & (tab["p50"] <= tab["p95"])).all()
    assert tab["p_full"].between(0, 1).all()
    forecast_chart(fc).to_dict()  # a valid Vega-Lite spec


def test_persistence_forecast_and_errors_against_the_actual_census(icu_ward):
    """The persistence baseline repeats the snapshot; forecast_errors lines it up with the observed census."""
    s, snap, now = icu_ward
    pf = persistence_forecast(s, snap, now, 6)
    actual = census_counts(
        snap.rename(columns={"unit_start": "start"}).assign(end=pd.NaT), pf.times, units=["ICU", "WARD"]
    )
    err = forecast_errors(pf, actual)
    assert len(err) == 2 * 7
    assert (err["error"] == 0).all() and err["covered"].all()


def test_class_mix_is_proportional_to_offered_load():
    """A unit's class shares follow arrival rate x mean stay of each class (traffic equations)."""
    s = scenario(
        units={"WARD": {"beds": 20, "when_full": "queue"}},
        arrivals=[{"name": "a", "unit": "WARD", "per_day": 3.0, "class_mix": {"short": 2 / 3, "long": 1 / 3}}],
        length_of_stay={"WARD": {"distribution": "exponential", "mean_hours": 10}},
        patient_classes={
            "short": {},
            "long": {"length_of_stay": {"WARD": {"distribution": "exponential", "mean_hours": 40}}},
        },
    )
    mix = class_mix(s)["WARD"]
    assert mix["long"] == pytest.approx(2 / 3) and mix["short"] == pytest.approx(1 / 3)


def test_a_waiting_patient_of_unknown_class_is_drawn_from_the_requests_not_the_census():
    """In a bed, classes weigh by stay (long 2/3); waiting outside they weigh by arrivals (short 2/3, planned 1/3)."""
    from hospital_twin.live.forecast import _ROW_COLUMNS, _resolve_classes

    s = scenario(
        units={"WARD": {"beds": 20, "when_full": "queue"}},
        arrivals=[{"name": "a", "unit": "WARD", "per_day": 3.0, "class_mix": {"short": 2 / 3, "long": 1 / 3}}],
        electives=[{"name": "list", "unit": "WARD", "per_weekday": [3.5] * 7, "hour": 8, "patient_class": "short"}],
        length_of_stay={"WARD": {"distribution": "exponential", "mean_hours": 10}},
        patient_classes={
            "short": {},
            "long": {"length_of_stay": {"WARD": {"distribution": "exponential", "mean_hours": 40}}},
        },
    )
    waiting = class_mix(s, waiting=True)["WARD"]
    assert waiting["short"] == pytest.approx(5.5 / 6.5) and waiting["long"] == pytest.approx(1 / 6.5)
    census_mix = class_mix(s)["WARD"]
    assert census_mix["long"] == pytest.approx(40 / (40 + 55))
    classes = s.class_names()
    cum = {}
    for w, mix in ((False, census_mix), (True, waiting)):
        p = np.array(list(mix.values()))
        cum[(0, w)] = (np.cumsum(p) / p.sum(), np.array([classes.index(c) for c in mix]))
    rows = np.zeros((4000, len(_ROW_COLUMNS)))
    rows[:, 2] = -1
    rows[2000:, 4] = 1  # the second half waits outside
    drawn = _resolve_classes(rows, ["WARD"], cum, seed(2), 0)
    long = classes.index("long")
    for part, share in ((drawn[:2000], census_mix["long"]), (drawn[2000:], waiting["long"])):
        assert abs((part == long).mean() - share) < 4 * math.sqrt(share * (1 - share) / 2000)


# --------------------------------------------------------------------------- the queue and known destinations
def test_waiting_patients_join_the_queue_longest_wait_first():
    """Snapshot patients waiting for a bed queue at time 0 in order of their wait and enter as beds free."""
    s = scenario(
        units={"WARD": {"beds": 1, "when_full": "queue"}},
        arrivals=[{"name": "a", "unit": "WARD", "per_day": 0.0, "class_mix": {"short": 0.5, "long": 0.5}}],
        length_of_stay={"WARD": {"distribution": "fixed", "value_hours": 10}},
        patient_classes={
            "short": {"length_of_stay": {"WARD": {"distribution": "fixed", "value_hours": 5}}},
            "long": {"length_of_stay": {"WARD": {"distribution": "fixed", "value_hours": 20}}},
        },
        horizon_days=3,
        warmup_days=0,
    )
    short, long = s.class_names().index("short"), s.class_names().index("long")
    initial = [
        InitialPatient(0, 0.0, short),
        InitialPatient(0, 1.0, short, waiting=True),
        InitialPatient(0, 8.0, long, waiting=True),
    ]
    log = adt_log(HospitalSim(s, 0, 1, initial_patients=initial).run())
    t0 = pd.Timestamp(s.start)
    hours = ((log["start"] - t0).dt.total_seconds() / 3600).round(6).tolist()
    ends = ((log["end"] - t0).dt.total_seconds() / 3600).round(6).tolist()
    assert sorted(zip(hours, ends, strict=True)) == [(0.0, 5.0), (5.0, 25.0), (25.0, 30.0)]


def test_forecast_counts_waiting_patients_as_admissions_not_census():
    """Waiting rows are not in the hour-0 census; they are admitted as beds free (and counted as admissions)."""
    s = single_unit(
        beds=2, when_full="queue", per_day=0.0, los={"distribution": "fixed", "value_hours": 10}, warmup_days=0
    )
    snap = _snapshot([0.0, 0.0, 0.0]).assign(
        unit_start=[NOW, NOW, pd.NaT], waiting_since=[pd.NaT, pd.NaT, NOW - pd.Timedelta(hours=3)]
    )
    fc = forecast(s, snap, NOW, 24, replications=2, seed=seed(1))
    assert fc.census[0, 0, :].tolist() == [2] * 10 + [1] * 10 + [0] * 5
    assert fc.admissions[0, 0, 10] == 1 and fc.admissions[0, 0].sum() == 1
    assert fc.initial.set_index("unit").loc["WARD", "waiting"] == 1
    pf = persistence_forecast(s, snap, NOW, 4)
    assert (pf.census == 2).all()


def test_ready_patients_go_to_their_known_next_unit():
    """A ready patient with next_unit goes there; without it, the route is drawn (about half each way here)."""
    s = scenario(
        units={"ICU": {"beds": 30, "when_full": "queue"}, "WARD": {"beds": 50, "when_full": "queue"}},
        arrivals=[{"name": "e", "unit": "ICU", "per_day": 0.0}],
        routes={"ICU": {"WARD": 0.5, "exit": 0.5}},
        length_of_stay={
            "ICU": {"distribution": "fixed", "value_hours": 50},
            "WARD": {"distribution": "fixed", "value_hours": 100},
        },
        horizon_days=3,
        warmup_days=0,
    )
    ready = NOW - pd.Timedelta(hours=1)
    snap = _snapshot([60.0] * 20, unit="ICU").assign(ready_to_leave=ready, next_unit=["WARD"] * 10 + ["exit"] * 10)
    fc = forecast(s, snap, NOW, 6, replications=5, seed=seed(4))
    ward = fc.units.index("WARD")
    assert (fc.census[:, ward, 1:] == 10).all() and (fc.census[:, fc.units.index("ICU"), 1:] == 0).all()
    drawn = forecast(s, snap.drop(columns="next_unit"), NOW, 6, replications=20, seed=seed(4))
    assert 0 < drawn.census[:, ward, 1].mean() < 20 and drawn.census[:, ward, 1].std() > 0


def test_validate_census_checks_waiting_and_next_unit_rows(tmp_path):
    """next_unit must be on the class's route and needs ready_to_leave; waiting_since excludes a unit_start."""
    s = scenario(
        units={"ICU": {"beds": 8, "when_full": "queue"}, "WARD": {"beds": 30, "when_full": "queue"}},
        arrivals=[{"name": "e", "unit": "ICU", "per_day": 3.0}],
        routes={"ICU": {"WARD": 0.8, "exit": 0.2}},
        length_of_stay={
            "ICU": {"distribution": "exponential", "mean_hours": 60},
            "WARD": {"distribution": "gamma", "mean_hours": 140, "cv": 0.7},
        },
    )
    path = tmp_path / "c.csv"
    path.write_text(
        "patient_id,unit,unit_start,patient_class,ready_to_leave,next_unit,waiting_since\n"
        "1,ICU,2025-03-01T08:00,,2025-03-03T07:00,WARD,\n"  # line 2: fine
        "2,WARD,2025-03-01T08:00,general,2025-03-03T07:00,ICU,\n"  # line 3: WARD does not go to ICU
        "3,ICU,2025-03-01T08:00,,,WARD,\n"  # line 4: next_unit without ready_to_leave
        "4,ICU,,,,,2025-03-03T06:00\n"  # line 5: fine, waiting
        "5,ICU,2025-03-01T08:00,,,,2025-03-03T06:00\n"  # line 6: in a bed and waiting
        "6,ICU,,,,,\n"  # line 7: neither
        "7,ICU,2025-03-01T08:00,,2025-03-03T07:00,WRD,\n"  # line 8: unknown unit
    )
    with pytest.raises(CensusError) as info:
        read_census(path, s, NOW)
    got = [(i.line, i.field) for i in info.value.issues]
    assert got == [(3, "next_unit"), (4, "next_unit"), (6, "waiting_since"), (7, "unit_start"), (8, "next_unit")]


def test_forecast_from_an_empty_snapshot_is_the_mg_infinity_start_up():
    """No patients at all: hour 0 is empty and the census at t has mean lambda int_0^t S (M/G/inf from empty)."""
    los = {"distribution": "gamma", "mean_hours": 30, "cv": 0.5}
    s = single_unit(beds=500, when_full="queue", per_day=12.0, los=los, warmup_days=0)
    empty = pd.DataFrame(
        {
            "patient_id": pd.Series([], dtype=str),
            "unit": pd.Series([], dtype=str),
            "unit_start": pd.Series([], dtype=str),
        }
    )
    fc = forecast(s, empty, NOW, 48, replications=300, seed=seed(51))
    assert (fc.census[:, 0, 0] == 0).all() and fc.initial["patients"].sum() == 0
    d = Gamma.from_mean_cv(30, 0.5)
    for t in (12, 48):
        c = fc.census[:, 0, t].astype(float)
        expected = 0.5 * integrate.quad(d.sf, 0, t)[0]
        assert abs(c.mean() - expected) < 4 * c.std(ddof=1) / math.sqrt(len(c)), (t, c.mean(), expected)


def test_ready_patient_waiting_for_the_discharge_hour_leaves_at_a_time_it_could_still_have():
    """A patient ready at 09:00 and still in at 14:00, with discharges at 10:xx or 16:xx, leaves at 16:xx today.

    Redrawing its discharge hour from 14:00 would send half of the replications to 10:xx tomorrow,
    a time the rule gave only to patients who would have left at 10:xx today.
    """
    profile = [0.0] * 24
    profile[10] = profile[16] = 1.0
    s = single_unit(
        beds=5,
        when_full="queue",
        per_day=0.0,
        los={"distribution": "fixed", "value_hours": 10},
        warmup_days=0,
        discharge={"hourly_profile": profile, "weekend_rate": 1.0},
    )
    now = pd.Timestamp("2025-03-03T14:00")  # a Monday
    snap = _snapshot([20.0] * 6, now=now).assign(ready_to_leave=now - pd.Timedelta(hours=5), next_unit="exit")
    fc = forecast(s, snap, now, 30, replications=20, seed=seed(8))
    assert (fc.census[:, 0, 2] == 6).all()  # 16:00: all still in
    assert (fc.census[:, 0, 3:] == 0).all()  # 17:00 onwards: all gone
    assert fc.discharges[:, 0, 2].sum() == 6 * 20


def test_patient_ready_longer_than_the_rule_holds_anyone_is_a_counted_delayed_discharge():
    """Ready 30 h ago with windows at 10:xx and 16:xx (no weekend hold): no discharge draw explains it.

    The patients are counted as delayed discharges and leave by the rule from now, within a day.
    """
    profile = [0.0] * 24
    profile[10] = profile[16] = 1.0
    s = single_unit(
        beds=5,
        when_full="queue",
        per_day=0.0,
        los={"distribution": "fixed", "value_hours": 10},
        warmup_days=0,
        discharge={"hourly_profile": profile, "weekend_rate": 1.0},
    )
    now = pd.Timestamp("2025-03-03T14:00")  # a Monday
    snap = _snapshot([40.0] * 6, now=now).assign(ready_to_leave=now - pd.Timedelta(hours=30), next_unit="exit")
    fc = forecast(s, snap, now, 30, replications=20, seed=seed(9))
    assert fc.initial["delayed_discharge"].tolist() == [6.0]
    assert (fc.census[:, 0, 25:] == 0).all()  # by 11:00 tomorrow all have gone
    assert 0 < fc.census[:, 0, 3].mean() < 6  # at 17:00 some left at 16:xx today, some wait for 10:xx


def test_ready_patient_of_unknown_destination_goes_home_with_its_posterior_probability():
    """Still here is evidence against going home: the route is drawn from its posterior.

    Routes WARD -> OTHER 0.2, exit 0.8; discharges at 10:xx or 16:xx with equal weight. A patient
    ready at 04:00 and still in at 14:00 would have gone home at 10:xx half the time, so
    P(OTHER | still here) = 0.2 / (0.2 + 0.8 x 0.5) = 1/3 (the prior 0.2 is ten standard errors away).
    """
    profile = [0.0] * 24
    profile[10] = profile[16] = 1.0
    s = scenario(
        units={"WARD": {"beds": 10, "when_full": "queue"}, "OTHER": {"beds": 50, "when_full": "queue"}},
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": 0.0}],
        routes={"WARD": {"OTHER": 0.2, "exit": 0.8}},
        length_of_stay={
            "WARD": {"distribution": "fixed", "value_hours": 10},
            "OTHER": {"distribution": "fixed", "value_hours": 100},
        },
        discharge={"hourly_profile": profile, "weekend_rate": 1.0},
        warmup_days=0,
    )
    now = pd.Timestamp("2025-03-03T14:00")  # a Monday
    snap = _snapshot([20.0] * 6, now=now).assign(ready_to_leave=now - pd.Timedelta(hours=10))
    reps = 200
    fc = forecast(s, snap, now, 30, replications=reps, seed=seed(10))
    other = fc.units.index("OTHER")
    share = fc.admissions[:, other, :].sum() / (6 * reps)
    se = math.sqrt((1 / 3) * (2 / 3) / (6 * reps))
    assert abs(share - 1 / 3) < 4 * se, share


def test_census_requests_keep_their_place_by_the_time_they_asked():
    """A patient ready to move from the ICU for 20 h gets the next ward bed before one waiting outside for 1 h.

    Both asked before time 0; the queue serves them in the order they asked, and their waits start then.
    """
    s = scenario(
        units={"ICU": {"beds": 4, "when_full": "queue"}, "WARD": {"beds": 2, "when_full": "queue"}},
        arrivals=[{"name": "adm", "unit": "WARD", "per_day": 0.0}],
        routes={"ICU": {"WARD": 1.0}},
        length_of_stay={
            "ICU": {"distribution": "fixed", "value_hours": 20},
            "WARD": {"distribution": "fixed", "value_hours": 30},
        },
        warmup_days=0,
        horizon_days=3,
    )
    icu, ward = 0, 1
    initial = [
        InitialPatient(ward, 25.0),  # leaves at 5 h
        InitialPatient(ward, 20.0),  # leaves at 10 h
        InitialPatient(ward, 1.0, waiting=True),  # waiting outside for 1 h
        InitialPatient(icu, 40.0, ready=True, next_unit=ward, ready_h=20.0),  # ready for the ward 20 h ago
    ]
    out = HospitalSim(s, 0, seed(11), initial_patients=initial).run()
    S = out.stays
    f = {n: i for i, n in enumerate(STAY_FIELDS)}
    in_ward = S[S[:, f["unit"]] == ward]
    from_icu = in_ward[in_ward[:, f["source"]] == out.source_names.index("transfer:ICU")]
    outside = in_ward[(in_ward[:, f["ready_at"]] == -1.0)]
    assert from_icu[:, f["start"]].tolist() == [5.0] and from_icu[:, f["ready_at"]].tolist() == [-20.0]
    assert outside[:, f["start"]].tolist() == [10.0]


def test_ed_patients_not_yet_seen_wait_for_a_clinician_longest_wait_first():
    """Hand trace: one clinician, 1 h assessments, 2 h after assessment.

    Three patients not seen yet (waiting 1, 3 and 2 h) are seen at 0, 1 and 2 h, longest wait first,
    and leave at 3, 4 and 5 h; one seen 1.5 h ago (0.5 h after its assessment) leaves at 1.5 h
    without taking the clinician.
    """
    from hospital_twin.sim.records import NOT_SEEN

    s = scenario(
        units={
            "ED": {
                "beds": 10,
                "kind": "ed",
                "ed": {"clinicians": 1, "assessment": {"distribution": "fixed", "value_hours": 1}},
            }
        },
        arrivals=[{"name": "adm", "unit": "ED", "per_day": 0.0}],
        length_of_stay={"ED": {"distribution": "fixed", "value_hours": 2}},
        warmup_days=0,
        horizon_days=1,
    )
    initial = [
        InitialPatient(0, 1.0, seen_h=NOT_SEEN),
        InitialPatient(0, 3.0, seen_h=NOT_SEEN),
        InitialPatient(0, 2.0, seen_h=NOT_SEEN),
        InitialPatient(0, 2.0, seen_h=1.5),
    ]
    out = HospitalSim(s, 0, seed(12), initial_patients=initial).run()
    f = {n: i for i, n in enumerate(STAY_FIELDS)}
    rows = sorted((round(-r[f["start"]], 6), round(r[f["seen_at"]], 6), round(r[f["end"]], 6)) for r in out.stays)
    assert rows == [(1.0, 2.0, 5.0), (2.0, -1.5, 1.5), (2.0, 1.0, 4.0), (3.0, 0.0, 3.0)]


def test_ed_patient_still_with_the_clinician_keeps_the_clinician_busy():
    """Hand trace: one clinician, 1 h assessments, 2 h after. A patient seen 0.5 h ago is still being
    assessed (its 1 h assessment is the only one possible): it holds the clinician until 0.5 h and leaves
    at 2.5 h; the patient not seen yet is seen at 0.5 h, not at 0, and leaves at 3.5 h."""
    from hospital_twin.sim.records import NOT_SEEN

    s = scenario(
        units={
            "ED": {
                "beds": 10,
                "kind": "ed",
                "ed": {"clinicians": 1, "assessment": {"distribution": "fixed", "value_hours": 1}},
            }
        },
        arrivals=[{"name": "adm", "unit": "ED", "per_day": 0.0}],
        length_of_stay={"ED": {"distribution": "fixed", "value_hours": 2}},
        warmup_days=0,
        horizon_days=1,
    )
    initial = [InitialPatient(0, 0.7, seen_h=0.5), InitialPatient(0, 0.4, seen_h=NOT_SEEN)]
    out = HospitalSim(s, 0, seed(13), initial_patients=initial).run()
    f = {n: i for i, n in enumerate(STAY_FIELDS)}
    rows = sorted((round(-r[f["start"]], 6), round(r[f["seen_at"]], 6), round(r[f["end"]], 6)) for r in out.stays)
    assert rows == [(0.4, 0.5, 3.5), (0.7, -0.5, 2.5)]


def _remaining_after_seen(
    assess_mean_h: float,
    after_mean_h: float,
    seen_h: float,
    n: int,
    rng_seed: int,
    *,
    arrived_h: float,
    horizon_days: float,
) -> np.ndarray:
    """Hours left for ``n`` ED patients seen ``seen_h`` ago (exponential assessment and stay after it, free
    clinicians): the end times of a warm start with no arrivals."""
    sc = scenario(
        units={
            "ED": {
                "beds": 5000,
                "kind": "ed",
                "ed": {"clinicians": 5000, "assessment": {"distribution": "exponential", "mean_hours": assess_mean_h}},
            }
        },
        arrivals=[{"name": "adm", "unit": "ED", "per_day": 0.0}],
        length_of_stay={"ED": {"distribution": "exponential", "mean_hours": after_mean_h}},
        warmup_days=0,
        horizon_days=horizon_days,
    )
    out = HospitalSim(sc, 0, rng_seed, initial_patients=[InitialPatient(0, arrived_h, seen_h=seen_h)] * n).run()
    return out.stays[:, STAY_FIELDS.index("end")]


def test_seen_ed_patient_remaining_time_has_the_exact_conditional_distribution():
    """Assessment A ~ Exp(mean 1.5 h), stay after it L ~ Exp(mean 2 h), seen s = 1 h ago and still here:
    the remaining time is A + L - s given A + L > s (hypoexponential residual), against the exact cdf
    (mean 2.87 h; taking the assessment as over after its mean gave 2.0 h, 15 standard errors off)."""
    s_h, m1, m2 = 1.0, 1.5, 2.0
    n = 2000
    rem = _remaining_after_seen(m1, m2, s_h, n, seed(14), arrived_h=s_h + 0.2, horizon_days=10)
    l1, l2 = 1 / m1, 1 / m2

    def sf(t):
        return (l2 * np.exp(-l1 * t) - l1 * np.exp(-l2 * t)) / (l2 - l1)

    cdf = lambda x: 1 - sf(s_h + np.asarray(x)) / sf(s_h)  # noqa: E731
    assert stats.kstest(rem, cdf).pvalue > 0.001
    mean_exact = integrate.quad(lambda t: sf(t), s_h, np.inf)[0] / sf(s_h)
    assert abs(rem.mean() - mean_exact) < 4 * rem.std() / math.sqrt(n)


def test_seen_ed_patient_long_after_a_short_assessment_is_often_still_being_assessed():
    """A ~ Exp(mean 0.5 h), L ~ Exp(mean 0.5 h), seen 4 h ago: exactly, P(A > 4 | A + L > 4) = 1/9 and the
    remaining time has mean E[A + L - 4 | A + L > 4] (hypoexponential with equal rates: Erlang-2). A few
    dozen weighted candidates missed most of that mass (0.016); the rejection sampler must not."""
    s_h, m = 4.0, 0.5
    n = 3000
    rem = _remaining_after_seen(m, m, s_h, n, seed(15), arrived_h=s_h + 0.1, horizon_days=5)
    lam = 1 / m
    # Erlang-2 residual at s: sf(t) = e^{-lam t}(1 + lam t); E[rem] = int_s^inf sf / sf(s)
    sf_s = math.exp(-lam * s_h) * (1 + lam * s_h)
    mean_exact = math.exp(-lam * s_h) * (2 + lam * s_h) / lam / sf_s
    assert abs(rem.mean() - mean_exact) < 4 * rem.std() / math.sqrt(n)
    cdf = lambda x: 1 - np.exp(-lam * (s_h + x)) * (1 + lam * (s_h + x)) / sf_s  # noqa: E731
    assert stats.kstest(rem, cdf).pvalue > 0.001


def test_seen_ed_patient_of_a_class_with_no_stay_after_assessment_is_still_being_assessed():
    """No stay after the assessment: a patient seen 0.5 h ago (fixed 1 h assessment) must still be with the
    clinician; it leaves at 0.5 h and the patient not seen yet is seen then, not at 0."""
    from hospital_twin.sim.records import NOT_SEEN

    s = scenario(
        units={
            "ED": {
                "beds": 10,
                "kind": "ed",
                "ed": {"clinicians": 1, "assessment": {"distribution": "fixed", "value_hours": 1}},
            },
            "WARD": {"beds": 5},
        },
        arrivals=[{"name": "adm", "unit": "ED", "per_day": 0.0}],
        length_of_stay={"WARD": {"distribution": "fixed", "value_hours": 5}},
        warmup_days=0,
        horizon_days=1,
    )
    initial = [InitialPatient(0, 0.7, seen_h=0.5), InitialPatient(0, 0.4, seen_h=NOT_SEEN)]
    out = HospitalSim(s, 0, seed(16), initial_patients=initial).run()
    f = {n: i for i, n in enumerate(STAY_FIELDS)}
    ed = out.stays[out.stays[:, f["unit"]] == 0]
    rows = sorted((round(-r[f["start"]], 6), round(r[f["seen_at"]], 6), round(r[f["end"]], 6)) for r in ed)
    assert rows == [(0.4, 0.5, 1.5), (0.7, -0.5, 0.5)]


def test_census_at_keeps_seen_at_only_when_already_known_and_validation_checks_it():
    """An ED patient seen after the snapshot time shows as not seen yet; a seen_at after now is refused."""
    from hospital_twin.live.census import CensusError, census_at, validate_census

    log = pd.DataFrame(
        {
            "patient_id": ["a", "b"],
            "unit": ["ED", "ED"],
            "start": ["2025-01-01T08:00", "2025-01-01T09:00"],
            "end": ["2025-01-01T14:00", "2025-01-01T15:00"],
            "seen_at": ["2025-01-01T08:30", "2025-01-01T11:00"],
        }
    )
    snap = census_at(log, "2025-01-01T10:00")
    seen = dict(zip(snap["patient_id"], snap["seen_at"], strict=True))
    assert seen["a"] == pd.Timestamp("2025-01-01T08:30") and pd.isna(seen["b"])
    bad = snap.assign(seen_at=[pd.Timestamp("2025-01-01T08:30"), pd.Timestamp("2025-01-01T12:00")])
    with pytest.raises(CensusError, match="seen_at .* is after now"):
        validate_census(bad, None, "2025-01-01T10:00")


# --------------------------------------------------------------------------- the queue a bed manager sees
def _elective_ward(
    cancel_after_h: float = 4.0,
    *,
    per_day: float = 0.0,
    per_weekday=(0,) * 7,
    los: dict | None = None,
    horizon_days: float = 2.0,
):
    return scenario(
        units={"WARD": {"beds": 1, "when_full": "queue"}},
        arrivals=[{"name": "emerg", "unit": "WARD", "per_day": per_day, "class_mix": {"emergency": 1.0}}],
        electives=[
            {
                "name": "list",
                "unit": "WARD",
                "per_weekday": list(per_weekday),
                "hour": 8,
                "patient_class": "planned",
                "cancel_after_hours": cancel_after_h,
            }
        ],
        length_of_stay={"WARD": los or {"distribution": "fixed", "value_hours": 10}},
        patient_classes={"emergency": {}, "planned": {}},
        horizon_days=horizon_days,
        warmup_days=0,
    )


def test_waiting_planned_admission_is_cancelled_when_its_patience_runs_out():
    """Hand trace: one bed held for 5 more hours; a planned patient who has waited 3 h of a 4 h limit is
    cancelled at 1 h, an emergency patient waiting as long stays in the queue and gets the bed at 5 h."""
    s = _elective_ward(4.0)
    planned, emergency = s.class_names().index("planned"), s.class_names().index("emergency")
    initial = [
        InitialPatient(0, 5.0, emergency),  # leaves at 5 h
        InitialPatient(0, 3.0, planned, waiting=True, cancel_h=1.0),
        InitialPatient(0, 2.0, emergency, waiting=True),
    ]
    out = HospitalSim(s, 0, seed(3), initial_patients=initial).run()
    assert out.cancellations[:, [2, 3, 4]].tolist() == [[-3.0, 1.0, float(planned)]]
    f = {n: i for i, n in enumerate(STAY_FIELDS)}
    admitted = out.stays[out.stays[:, f["start"]] >= 0]
    assert admitted[:, [f["ready_at"], f["start"], f["pclass"]]].tolist() == [[-2.0, 5.0, float(emergency)]]


def test_initial_patients_give_waiting_planned_admissions_the_rest_of_their_patience(tmp_path):
    """cancel_h = cancel_after_hours minus the wait so far, for the elective's class (or source); others never."""
    from hospital_twin.live.forecast import initial_patients

    s = _elective_ward(4.0)
    snap = pd.DataFrame(
        {
            "patient_id": ["in", "plan", "late", "emerg", "unknown", "by_source"],
            "unit": "WARD",
            "unit_start": [NOW - pd.Timedelta(hours=2)] + [pd.NaT] * 5,
            "patient_class": ["emergency", "planned", "planned", "emergency", None, None],
            "waiting_since": [pd.NaT] + [NOW - pd.Timedelta(hours=h) for h in (1.0, 6.0, 1.0, 1.0, 1.5)],
            "arrival_source": [None, "elective", "elective", "emerg", None, "elective"],
        }
    )
    rows = initial_patients(s, snap, NOW).set_index("patient_id")
    assert rows.loc["plan", "cancel_h"] == pytest.approx(3.0)
    assert rows.loc["late", "cancel_h"] == 0.0
    assert rows.loc["by_source", "cancel_h"] == pytest.approx(2.5)  # the source names the planned list
    assert rows.loc["by_source", "pclass"] == s.class_names().index("planned")
    assert math.isinf(rows.loc["emerg", "cancel_h"]) and math.isinf(rows.loc["in", "cancel_h"])
    assert math.isnan(rows.loc["unknown", "cancel_h"])  # decided per replication from the class drawn
    # the same after a CSV round trip, where an empty source comes back as ""
    path = tmp_path / "snap.csv"
    snap.to_csv(path, index=False)
    again = initial_patients(s, read_census(path, s, NOW), NOW).set_index("patient_id")
    assert again.loc["plan", "cancel_h"] == pytest.approx(3.0) and math.isnan(again.loc["unknown", "cancel_h"])


def test_a_waiting_patient_of_unknown_class_is_cancelled_only_if_drawn_as_a_planned_admission():
    """Per replication the class is drawn first, then the cancellation follows from it: over many replications
    the share cancelled equals the share drawn as planned (every planned one is cancelled, no emergency is)."""
    s = _elective_ward(4.0, per_day=0.0)
    snap = pd.DataFrame(
        {
            "patient_id": ["in", "unknown"],
            "unit": "WARD",
            "unit_start": [NOW - pd.Timedelta(hours=1), pd.NaT],
            "patient_class": ["emergency", None],
            "waiting_since": [pd.NaT, NOW - pd.Timedelta(hours=1)],
        }
    )
    n = 200
    fc = forecast(s, snap, NOW, 24, replications=n, seed=seed(21))
    admitted = fc.admissions[:, 0, :].sum(axis=1)  # the bed frees at 9 h; a planned patient is gone at 3 h
    planned = class_mix(s, waiting=True)["WARD"]["planned"]
    assert planned == pytest.approx(0.5)  # no requests from outside at all: the census shares
    assert set(admitted.tolist()) <= {0, 1}
    assert abs((1 - admitted.mean()) - planned) < 4 * math.sqrt(planned * (1 - planned) / n)


def test_census_at_lists_requests_open_at_the_cut_whatever_happened_next():
    """With the unmet-requests table the queue holds the patients later cancelled or still waiting too,
    and only while their request is open; a patient waiting inside another unit is in that unit's census."""
    log = pd.DataFrame(
        {
            "patient_id": ["got_bed", "in_ed"],
            "unit": ["WARD", "ED"],
            "start": ["2025-01-01T10:00", "2025-01-01T06:00"],
            "end": ["2025-01-02T10:00", ""],
            "patient_class": ["planned", "emergency"],
            "ready_at": ["2025-01-01T07:00", "2025-01-01T06:00"],
        }
    )
    requests = pd.DataFrame(
        {
            "patient_id": ["cancelled", "still", "in_ed"],
            "unit": ["WARD", "WARD", "WARD"],
            "patient_class": ["planned", "emergency", "emergency"],
            "arrival_source": ["elective", "walk_in", "ed"],
            "from_unit": [None, None, "ED"],
            "ready_at": pd.to_datetime(["2025-01-01T08:00", "2025-01-01T09:00", "2025-01-01T07:00"]),
            "withdrawn_at": pd.to_datetime(["2025-01-01T12:00", None, None]),
        }
    )

    def queue(at: str, **kw) -> list[str]:
        snap = census_at(log, at, **kw)
        return sorted(snap.loc[snap["unit_start"].isna(), "patient_id"].tolist())

    assert queue("2025-01-01T09:30") == ["got_bed"]  # the log alone: only who got a bed later
    assert queue("2025-01-01T09:30", requests=requests) == ["cancelled", "got_bed", "still"]
    assert queue("2025-01-01T12:00", requests=requests) == ["still"]
    snap = census_at(log, "2025-01-01T09:30", requests=requests).set_index("patient_id")
    assert snap.loc["cancelled", "arrival_source"] == "elective"
    assert snap.loc["cancelled", "waiting_since"] == pd.Timestamp("2025-01-01T08:00")
    assert snap.loc["in_ed", "unit"] == "ED" and pd.notna(snap.loc["in_ed", "unit_start"])


def test_census_at_takes_the_requests_of_the_snapshot_replication_whatever_their_dtype(tmp_path):
    """Requests of several replications, read back from CSV (rep as text): rep=0 keeps replication 0's only;
    a log without arrival_source and no open request still gives an arrival_source column (no KeyError);
    a request from another unit (from_unit filled) is never added, even for a patient not in the log."""
    from hospital_twin.live.census import read_requests

    log = pd.DataFrame(
        {
            "patient_id": ["0-1", "1-1"],
            "unit": ["WARD", "WARD"],
            "start": ["2025-01-01T00:00", "2025-01-01T00:00"],
            "end": ["", ""],
            "rep": [0, 1],
        }
    )
    req = pd.DataFrame(
        {
            "patient_id": ["0-7", "1-7", "1-8", "0-9"],
            "unit": "WARD",
            "from_unit": [None, None, None, "ICU"],
            "ready_at": ["2025-01-01T05:00"] * 4,
            "withdrawn_at": [None] * 4,
            "outcome": "waiting",
            "rep": [0, 1, 1, 0],
        }
    )
    path = tmp_path / "requests.csv"
    req.to_csv(path, index=False)
    back = read_requests(path)
    snap = census_at(log, "2025-01-01T06:00", rep=0, requests=back)
    assert snap.loc[snap["unit_start"].isna(), "patient_id"].tolist() == ["0-7"]
    with pytest.raises(ValueError, match="replications"):
        census_at(log[log["rep"] == 0].drop(columns="rep"), "2025-01-01T06:00", requests=back)
    early = census_at(log, "2025-01-01T04:00", rep=0, requests=back)
    assert "arrival_source" in early.columns and early["unit_start"].notna().all()


def test_read_requests_takes_times_with_an_offset_in_utc_as_the_log_reader_does(tmp_path):
    from hospital_twin.live.census import read_requests

    path = tmp_path / "requests.csv"
    pd.DataFrame(
        {"patient_id": ["a", "b"], "unit": "WARD", "ready_at": ["2025-06-01T10:00:00+02:00", "2025-06-01T10:00:00"]}
    ).to_csv(path, index=False)
    got = read_requests(path)["ready_at"].tolist()
    assert got == [pd.Timestamp("2025-06-01T08:00"), pd.Timestamp("2025-06-01T10:00")]


def test_unmet_requests_with_the_log_account_for_every_request_from_outside():
    """Conservation: requests from outside = stays that began with one + cancelled + still waiting outside;
    and the queue census_at rebuilds at any hour equals the simulator's own count of patients waiting outside."""
    from hospital_twin.results import unmet_requests

    s = _elective_ward(
        3.0,
        per_day=4.0,
        per_weekday=(2, 2, 2, 2, 2, 0, 0),
        los={"distribution": "exponential", "mean_hours": 6},
        horizon_days=6.0,
    )
    out = HospitalSim(s, 0, seed(5)).run()
    log, req = adt_log(out), unmet_requests(out)
    assert set(req["outcome"]) <= {"cancelled", "waiting"} and (req["outcome"] == "cancelled").sum() > 0
    assert len(req) == len(out.cancellations) + len(out.waiting_at_end)
    assert len(log) + len(req) == len(out.arrivals)
    t0 = pd.Timestamp(s.start)
    f = {n: i for i, n in enumerate(STAY_FIELDS)}
    S = out.stays
    for h in np.arange(1.0, 6 * 24, 7.3):
        at = t0 + pd.Timedelta(hours=float(h))
        snap = census_at(log, at, requests=req)
        got = int(snap["unit_start"].isna().sum())
        waited = int(((S[:, f["ready_at"]] <= h) & (S[:, f["start"]] > h)).sum())
        c = out.cancellations
        still = out.waiting_at_end
        expect = waited + int(((c[:, 2] <= h) & (c[:, 3] > h)).sum()) + int((still[:, 2] <= h).sum())
        assert got == expect, at


# --------------------------------------------------------------------------- beds being cleaned at the start
def _cleaning_ward(turnaround: dict):
    return scenario(
        units={"WARD": {"beds": 2, "when_full": "queue", "turnaround": turnaround}},
        arrivals=[{"name": "a", "unit": "WARD", "per_day": 0.0}],
        length_of_stay={"WARD": {"distribution": "fixed", "value_hours": 10}},
        horizon_days=2,
        warmup_days=0,
    )


def test_a_bed_vacated_half_an_hour_ago_is_still_being_cleaned():
    """Hand trace: 2 beds, fixed 2 h cleaning; one bed vacated 0.5 h ago, the other 3 h ago (clean). Two patients
    waiting: the first gets the clean bed at 0, the second the other bed when its cleaning ends at 1.5 h."""
    s = _cleaning_ward({"distribution": "fixed", "value_hours": 2})
    initial = [InitialPatient(0, 2.0, waiting=True), InitialPatient(0, 1.0, waiting=True)]
    out = HospitalSim(s, 0, seed(17), initial_patients=initial, initial_vacated=[(0, 0.5), (0, 3.0)]).run()
    f = {n: i for i, n in enumerate(STAY_FIELDS)}
    assert sorted(out.stays[:, f["start"]].round(6).tolist()) == [0.0, 1.5]


def test_a_vacated_bed_is_still_being_cleaned_with_the_turnaround_survival_probability():
    """Exponential cleaning, mean 1 h, bed vacated 0.7 h ago: still being cleaned with probability e^-0.7, and then
    (memoryless) for another Exp(1 h); a patient waiting for that one bed starts at 0 otherwise."""
    s = _cleaning_ward({"distribution": "exponential", "mean_hours": 1}).model_copy(
        update={
            "units": {
                "WARD": _cleaning_ward({"distribution": "exponential", "mean_hours": 1})
                .units["WARD"]
                .model_copy(update={"beds": 1})
            }
        }
    )
    n = 600
    starts = np.array(
        [
            HospitalSim(
                s, r, seed(18), initial_patients=[InitialPatient(0, 1.0, waiting=True)], initial_vacated=[(0, 0.7)]
            )
            .run()
            .stays[0, STAY_FIELDS.index("start")]
            for r in range(n)
        ]
    )
    p = math.exp(-0.7)
    assert abs((starts > 0).mean() - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert stats.kstest(starts[starts > 0], "expon").pvalue > 0.001


def test_vacated_beds_lists_the_stays_that_ended_in_the_window_before_the_cut():
    from hospital_twin.live.census import vacated_beds

    got = vacated_beds(LOG, "2025-01-02T10:00:01", window_h=24)
    assert got["unit"].tolist() == ["AMU", "ED", "MED", "MED"]
    assert got["vacated_at"].tolist() == [
        pd.Timestamp("2025-01-02T09:00"),
        pd.Timestamp("2025-01-01T12:00"),
        pd.Timestamp("2025-01-02T10:00"),
        pd.Timestamp("2025-01-02T10:00:01"),
    ]


def test_forecast_with_vacated_beds_admits_the_queue_later():
    """The same snapshot, with the unit's only free bed vacated 0.5 h ago (fixed 2 h cleaning): the waiting
    patient is admitted at hour 1.5 instead of 0."""
    s = _cleaning_ward({"distribution": "fixed", "value_hours": 2})
    snap = _snapshot([1.0, 0.0]).assign(
        unit_start=[NOW - pd.Timedelta(hours=1), pd.NaT], waiting_since=[pd.NaT, NOW - pd.Timedelta(hours=1)]
    )
    plain = forecast(s, snap, NOW, 6, replications=2, seed=seed(19))
    vac = forecast(
        s,
        snap,
        NOW,
        6,
        replications=2,
        seed=seed(19),
        vacated=pd.DataFrame({"unit": ["WARD"], "vacated_at": [NOW - pd.Timedelta(hours=0.5)]}),
    )
    assert plain.census[0, 0, :3].tolist() == [1, 2, 2] and vac.census[0, 0, :3].tolist() == [1, 1, 2]


def test_only_free_beds_can_be_being_cleaned_and_with_a_queue_they_must_be():
    """2 beds: with both taken, no vacated bed is being cleaned (they were taken again); with one taken and a
    patient waiting, the most recently vacated bed is the free one and is certainly being cleaned."""
    from hospital_twin.live.forecast import _vacated_rows, initial_patients

    s = _cleaning_ward({"distribution": "exponential", "mean_hours": 1})
    vac = pd.DataFrame(
        {"unit": ["WARD", "WARD"], "vacated_at": [NOW - pd.Timedelta(hours=3), NOW - pd.Timedelta(hours=0.5)]}
    )
    full = initial_patients(s, _snapshot([1.0, 2.0]), NOW)
    assert _vacated_rows(s, vac, NOW, full) is None
    queue = _snapshot([1.0, 0.0]).assign(
        unit_start=[NOW - pd.Timedelta(hours=1), pd.NaT], waiting_since=[pd.NaT, NOW - pd.Timedelta(hours=2)]
    )
    rows = _vacated_rows(s, vac, NOW, initial_patients(s, queue, NOW))
    assert rows.tolist() == [[0.0, 0.5, 1.0]]
    calm = _vacated_rows(s, vac, NOW, initial_patients(s, _snapshot([1.0]), NOW))
    assert calm.tolist() == [[0.0, 0.5, 0.0]]  # one bed free, no queue: maybe still being cleaned


def test_census_next_unit_of_a_patient_whose_next_stay_is_an_outlier_is_its_home_unit():
    """AMU patient ready at 10:00 whose next stay (from 12:00) is in SURG as an outlier for MED (the log's home_unit):
    at 11:00 it waits for a MED bed, so next_unit is MED, the unit its route names, not the host SURG."""
    log = pd.DataFrame(
        {
            "patient_id": ["p", "p"],
            "unit": ["AMU", "SURG"],
            "start": ["2025-01-02T02:00:00", "2025-01-02T12:00:00"],
            "end": ["2025-01-02T12:00:00", ""],
            "ready_to_leave": ["2025-01-02T10:00:00", ""],
            "home_unit": ["", "MED"],
        }
    )
    snap = census_at(log, "2025-01-02T11:00")
    assert snap.loc[snap.patient_id == "p", "next_unit"].tolist() == ["MED"]
