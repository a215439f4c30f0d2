"""Discharge pathways (``hospital_twin.sim.pathways``) against known results.

* an unlimited pathway with a fixed assessment ``d`` is an M/D/inf stage: its NCTR census is
  ``lambda x share x d`` (Little's law), per unit;
* a pool of ``c`` places with exponential place stays, fed by every patient of an M/M/inf ward
  (whose departures are Poisson, Burke), is M/M/c: the patients ready and waiting for a place
  (NCTR: no assessment) are Erlang C's queue (mean number waiting ``Lq``, ``P(wait)``, ``Wq``), and
  the pool's occupancy is the offered load ``lambda x mean place stay``;
* a daily pathway with capacity far above demand starts every patient at its next start hour: with
  Poisson readiness the wait is uniform on (0, 24) h (mean 12 h, 90th percentile 21.6 h), and
  patient by patient it is the time to the next 11:00; with capacity below demand its NCTR grows
  through the run and the results say so (``pathway_growing``, a point to note).

The hospital never fills (many beds), so the pathways alone set the NCTR.
"""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.experiment.runner import run_scenario
from hospital_twin.reporting.notes import pathway_growing_notes, points_to_note
from hospital_twin.results import ALL, rep_kpis
from hospital_twin.sim.model import simulate
from hospital_twin.sim.pathways import pathway_code
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import assert_close_to_reps, erlang_c, mmc_mean_wait, scenario, seed, single_unit, stay

F = {name: i for i, name in enumerate(STAY_FIELDS)}


def _kpi(k, metric: str, unit: str) -> float:
    v = k[(k["metric"] == metric) & (k["unit"] == unit)]["value"]
    assert len(v) == 1, (metric, unit)
    return float(v.iloc[0])


# --------------------------------------------------------------------------- Little's law, unlimited pathway
D_H = 24.0
LITTLE_UNITS = {"A": (12.0, 0.3), "B": (8.0, 0.6)}  # arrivals a day, share taking P3


@pytest.fixture(scope="module")
def little_runs():
    s = scenario(
        units={u: {"beds": 300, "when_full": "queue"} for u in LITTLE_UNITS},
        arrivals=[{"name": f"to_{u}", "unit": u, "per_day": lam} for u, (lam, _) in LITTLE_UNITS.items()],
        length_of_stay={u: stay("exponential", 48.0) for u in LITTLE_UNITS},
        discharge_pathways={"P3": {"assessment": {"distribution": "fixed", "value_hours": D_H}}},
        pathway_shares={u: {"P3": share} for u, (_, share) in LITTLE_UNITS.items()},
        horizon_days=200,
        warmup_days=10,
        replications=8,
        seed=seed(1401),
    )
    return [rep_kpis(simulate(s, rep)) for rep in range(8)]


def test_unlimited_pathway_nctr_census_is_rate_times_assessment_per_unit(little_runs):
    """Per unit, nctr_mean = (patients a day ready on the pathway) / 24 x d, and ALL is their sum: two units
    with different rates and shares (A: 12 a day x 0.3 x 24 h = 3.6; B: 8 x 0.6 = 4.8); ALL is the sum.
    Measured (8 replications, mean +- SE): A 3.70 +- 0.03, B 4.91 +- 0.06."""
    for u, (lam, share) in LITTLE_UNITS.items():
        expected = lam / 24 * share * D_H
        values = np.array([_kpi(k, "nctr_mean", u) for k in little_runs])
        assert_close_to_reps(values, expected, floor=0.12, what=f"nctr_mean {u}")  # 3%: sd 0.15 a replication
        per_bed = np.array([_kpi(k, "nctr_per_bed", u) for k in little_runs])
        np.testing.assert_allclose(per_bed, values / 300)
    for k in little_runs:
        assert _kpi(k, "nctr_mean", ALL) == pytest.approx(sum(_kpi(k, "nctr_mean", u) for u in LITTLE_UNITS))


def test_daily_nctr_count_counts_each_patient_on_every_calendar_day_it_spends_waiting(little_runs):
    """The sitrep counts every NCTR patient of the day, including those who leave later that day: a wait of
    exactly 24 h from a ready time at a random moment touches two calendar days, so the daily count is twice
    the time average, 2 x rate x share a day (A: 7.2, B: 9.6 patients), per base bed."""
    for u, (lam, share) in LITTLE_UNITS.items():
        daily = np.array([_kpi(k, "nctr_daily_per_bed", u) for k in little_runs]) * 300
        assert_close_to_reps(daily, 2 * lam * share, floor=0.24, what=f"nctr_daily_per_bed {u}")
        mean = np.array([_kpi(k, "nctr_mean", u) for k in little_runs])
        np.testing.assert_allclose(daily / mean, 2.0, rtol=0.02)


def test_unlimited_pathway_delay_is_the_assessment(little_runs):
    """Each patient waits exactly d: the 90th percentile is d, and the mean is d but for the few still being
    assessed at the end, counted with their time so far (censored); no pool, no capacity rows."""
    for k in little_runs:
        assert _kpi(k, "nctr_delay_p90_h", "P3") == pytest.approx(D_H)
        assert D_H * 0.995 < _kpi(k, "nctr_delay_mean_h", "P3") <= D_H
        assert _kpi(k, "nctr_bed_days", ALL) == pytest.approx(_kpi(k, "nctr_mean", ALL) * 200)  # 200 days observed
        assert not k["metric"].isin(["pathway_occupancy_mean", "pathway_load_ratio", "pathway_growing"]).any()


# --------------------------------------------------------------------------- Erlang C, a pool of places
POOL_C, POOL_A, PLACE_H = 5, 3.5, 72.0  # places, offered load (places), mean place stay


@pytest.fixture(scope="module")
def pool_runs():
    per_day = POOL_A / PLACE_H * 24
    s = single_unit(
        beds=300,
        when_full="queue",
        per_day=per_day,
        los=stay("exponential", 48.0),
        discharge_pathways={"P2": {"places": POOL_C, "stay": stay("exponential", PLACE_H)}},
        pathway_shares={"WARD": {"P2": 1.0}},
        horizon_days=3000,
        warmup_days=30,
        replications=12,
        seed=seed(1402),
    )
    outs = [simulate(s, rep) for rep in range(12)]
    return outs, [rep_kpis(o) for o in outs]


def test_pool_nctr_queue_is_erlang_c(pool_runs):
    """All patients go to P2 with no assessment, so NCTR = patients waiting for a place: its time-average is
    M/M/c's Lq = C(c, a) a / (c - a), its mean delay Wq = C / (c mu - lambda), and the share of patients who
    waited is C(c, a) (C(5, 3.5) = 0.378: Lq 0.882, Wq 18.1 h). Measured (12 replications of 3000 days, mean +- SE):
    Lq 0.869 +- 0.053, Wq 17.8 +- 1.1 h, P(wait) 0.371 +- 0.009."""
    outs, kpis = pool_runs
    c_wait = erlang_c(POOL_C, POOL_A)
    lq = c_wait * POOL_A / (POOL_C - POOL_A)
    mu = 1 / PLACE_H
    wq = mmc_mean_wait(POOL_C, POOL_A * mu, mu)
    assert_close_to_reps(np.array([_kpi(k, "nctr_mean", ALL) for k in kpis]), lq, floor=0.04, what="Lq")
    assert_close_to_reps(np.array([_kpi(k, "nctr_delay_mean_h", "P2") for k in kpis]), wq, floor=0.8, what="Wq")
    waited = []
    for out in outs:
        S = out.stays
        mine = (S[:, F["dest"]] == pathway_code(0)) & (S[:, F["ready_h"]] >= out.warmup_h)
        delay = np.where(np.isnan(S[mine, F["end"]]), out.end_h, S[mine, F["end"]]) - S[mine, F["ready_h"]]
        waited.append((delay > 1e-9).mean())
    assert_close_to_reps(np.array(waited), c_wait, floor=0.01, what="P(wait)")


def test_pool_occupancy_is_the_offered_load(pool_runs):
    """The pool's places occupied on average = lambda x mean place stay (3.5), its starts = those who left for
    it, and nobody is turned away: its load ratio is a / c (0.7) and it does not grow. Measured: occupancy
    3.486 +- 0.022, load 0.701 +- 0.004."""
    outs, kpis = pool_runs
    assert_close_to_reps(
        np.array([_kpi(k, "pathway_occupancy_mean", "P2") for k in kpis]), POOL_A, floor=0.05, what="occupancy"
    )
    assert_close_to_reps(
        np.array([_kpi(k, "pathway_load_ratio", "P2") for k in kpis]), POOL_A / POOL_C, floor=0.01, what="load"
    )
    for out, k in zip(outs, kpis, strict=True):
        S = out.stays
        left = (S[:, F["dest"]] == pathway_code(0)) & (S[:, F["end"]] >= out.warmup_h)
        assert _kpi(k, "pathway_starts", "P2") == left.sum()
        assert _kpi(k, "pathway_growing", "P2") == 0


# --------------------------------------------------------------------------- daily starts
START_HOUR = 11.0


def _daily(starts_per_day: float, replications: int = 12, horizon_days: float = 120 + START_HOUR / 24):
    """P1 with daily starts at 11:00; the run ends at 11:00, so a patient still waiting at the end has waited
    (censored) exactly as long as it would have to the next start: the delays are not censored short."""
    return single_unit(
        beds=400,
        when_full="queue",
        per_day=6.0,
        los=stay("exponential", 48.0),
        discharge_pathways={"P1": {"starts_per_day": starts_per_day, "start_hour": START_HOUR}},
        pathway_shares={"WARD": {"P1": 0.5}},  # 3 patients ready a day
        horizon_days=horizon_days,
        warmup_days=10,
        replications=replications,
        seed=seed(1403),
    )


@pytest.fixture(scope="module")
def daily_ample():
    s = _daily(40.0)
    outs = [simulate(s, rep) for rep in range(s.replications)]
    return s, outs, [rep_kpis(o) for o in outs]


def test_daily_pathway_with_ample_capacity_starts_each_patient_at_the_next_start_hour(daily_ample):
    """Patient by patient (a hand-computed trace): a P1 patient leaves its bed at the first 11:00 after it
    became ready (the run starts on a Monday at midnight: hour t is clock hour t mod 24)."""
    _, outs, _ = daily_ample
    n = 0
    for out in outs:
        S = out.stays
        mine = (S[:, F["dest"]] == pathway_code(0)) & ~np.isnan(S[:, F["end"]])
        ready, end = S[mine, F["ready_h"]], S[mine, F["end"]]
        np.testing.assert_allclose(end - ready, (START_HOUR - ready) % 24, atol=1e-9)
        n += mine.sum()
    assert n > 1000


def test_daily_pathway_with_ample_capacity_delay_is_uniform_over_the_day(daily_ample):
    """Readiness is Poisson, so its clock hour is uniform: the wait to the next 11:00 is uniform on (0, 24) h,
    mean 12 h and 90th percentile 21.6 h; the NCTR census is 3 a day x 12 h = 1.5 (Little); it never grows.
    Measured (12 replications, mean +- SE): 11.96 +- 0.10 h, 21.46 +- 0.06 h, NCTR 1.485 +- 0.028."""
    s, _, kpis = daily_ample
    mean = np.array([_kpi(k, "nctr_delay_mean_h", "P1") for k in kpis])
    p90 = np.array([_kpi(k, "nctr_delay_p90_h", "P1") for k in kpis])
    nctr = np.array([_kpi(k, "nctr_mean", "WARD") for k in kpis])
    assert_close_to_reps(mean, 12.0, floor=0.25, what="mean delay")  # per replication: sd 0.33 h
    assert_close_to_reps(p90, 21.6, floor=0.35, what="p90 delay")
    assert_close_to_reps(nctr, 3.0 / 24 * 12.0, floor=0.04, what="NCTR")
    assert all(_kpi(k, "pathway_growing", "P1") == 0 for k in kpis)
    assert all(_kpi(k, "pathway_load_ratio", "P1") < 0.1 for k in kpis)


def test_daily_pathway_below_demand_grows_and_the_results_say_so(daily_ample):
    """2 starts a day for 3 patients ready a day: NCTR grows through the run in every replication
    (pathway_growing = 1, load ratio 1.5) and the points to note name the pathway; with 40 a day neither."""
    short = run_scenario(_daily(2.0, replications=4, horizon_days=90.0), keep_census=False, keep_log=False)
    k = short.kpis
    grow = k[(k["metric"] == "pathway_growing") & (k["unit"] == "P1")]["value"]
    assert len(grow) == 4 and (grow == 1).all()
    load = k[(k["metric"] == "pathway_load_ratio") & (k["unit"] == "P1")]["value"]
    assert ((load > 1.2) & (load < 1.8)).all()  # 270 ready / 180 starts, Poisson sd 0.09
    (note,) = pathway_growing_notes(short.summary)
    assert note.startswith("Discharge pathway P1 cannot keep up: in 4 of 4 replications")
    assert note in points_to_note(short.scenario, short.summary, None, 4)  # what run, compare and report.html show
    s, _, _ = daily_ample
    ample = run_scenario(_daily(40.0, replications=2), keep_census=False, keep_log=False)
    assert pathway_growing_notes(ample.summary) == []
    row = ample.summary[(ample.summary["metric"] == "pathway_growing_share") & (ample.summary["unit"] == "P1")]
    assert row["mean"].tolist() == [0.0]
