"""Discharges as hospitals report them: the peers' weekday profile from the scenario language, and the
discharge lounge (never lengthens bed waits, shortens the hold, conserves patients, Little's law)."""

from __future__ import annotations

import numpy as np
import pytest

from hospital_twin.results import rep_kpis
from hospital_twin.scenario.load import day_of_week_for_shares
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate
from hospital_twin.sim.records import STAY_FIELDS
from tests.helpers import seed

F = {n: i for i, n in enumerate(STAY_FIELDS)}
PEERS = [12.4, 15.7, 16.5, 16.6, 17.8, 12.3, 8.7]
# the baseline's ward profile: 60.5% of discharges before 17:00
PROFILE = [0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 1, 2, 4, 6.5, 8.5, 10, 11, 12, 12.5, 13, 11, 8.5, 6, 4, 2, 1]
LOUNGE = {
    "LOUNGE": {
        "places": 4,
        "time_there": {"distribution": "lognormal", "median_hours": 3, "p90_hours": 6},
        "hours": [8, 20],
    }
}


def ward(beds: int, per_day: float, *, days: float, lounge: bool = False, **discharge) -> Scenario:
    data = {
        "name": "ward",
        "start": "2025-01-06T00:00:00",
        "horizon_days": days,
        "warmup_days": 14,
        "seed": seed(31),
        "units": {"WARD": {"beds": beds, "turnaround_hours": 1.0}},
        "arrivals": [{"name": "emergencies", "unit": "WARD", "per_day": per_day}],
        "length_of_stay": {"WARD": {"distribution": "lognormal", "mean_hours": 100, "cv": 1.1}},
        "discharge": discharge,
    }
    if lounge:
        data["discharge_lounges"] = LOUNGE
    return Scenario.model_validate(data)


def test_peer_weekday_profile_is_reproduced_by_day_of_week_weights():
    """A ward with the baseline's hourly profile and day_of_week = day_of_week_for_shares(peers' shares)
    discharges Mon 12.4% .. Sun 8.7% of the week and 60% by 17:00, within sampling error."""
    weights = day_of_week_for_shares(PEERS)
    s = ward(400, 60, days=364, hourly_profile=PROFILE, day_of_week=weights)
    out = simulate(s, 0)
    st = out.stays
    home = (st[:, F["dest"]] == -1) & (st[:, F["end"]] >= s.warmup_h)
    end = st[home, F["end"]]  # start is a Monday 00:00
    days = (np.floor(end / 24) % 7).astype(int)
    shares = np.bincount(days, minlength=7) / len(days)
    n = len(days)
    target = np.array(PEERS) / sum(PEERS)
    # discharges cluster by day (a whole ward's Monday), so allow 4 binomial sd plus 0.5 point
    assert np.abs(shares - target).max() < 4 * np.sqrt(target * (1 - target) / n).max() + 0.005, shares
    by_17 = np.mean(end % 24 < 17)
    assert by_17 == pytest.approx(0.605, abs=0.01)


def paired(reps: int, **discharge):
    """KPIs of a busy ward (offered about 0.97 of its beds) without and with the lounge, replication by replication."""
    busy = ward(60, 13, days=120, **discharge)
    lounged = ward(60, 13, days=120, lounge=True, **discharge)
    rows = []
    for rep in range(reps):
        a = rep_kpis(simulate(busy, rep)).set_index(["metric", "unit"])["value"]
        b = rep_kpis(simulate(lounged, rep)).set_index(["metric", "unit"])["value"]
        rows.append((a, b))
    return rows


def test_discharge_lounge_never_lengthens_bed_waits_and_shortens_the_hold():
    """Busy ward (offered about 0.97 of its beds), common random numbers, 4 replications: with a lounge the
    mean wait for a bed is never longer in a replication, and the bed-hours of discharge hold are lower."""
    rows = paired(4, hourly_profile=PROFILE, weekend_rate=0.6)
    for a, b in rows:
        assert b["wait_for_bed_mean_h", "WARD"] <= a["wait_for_bed_mean_h", "WARD"] + 1e-9
        assert b["discharge_delay_bed_hours", "WARD"] < a["discharge_delay_bed_hours", "WARD"]
        assert b["lounge_uses", "LOUNGE"] > 0
    waits = np.array([[a["wait_for_bed_mean_h", "WARD"], b["wait_for_bed_mean_h", "WARD"]] for a, b in rows])
    assert waits[:, 1].mean() < waits[:, 0].mean()


def test_discharge_lounge_conserves_patients_and_obeys_littles_law():
    """With a lounge: arrivals = admitted + still waiting on the ward; every lounge use is a home discharge from
    the ward; lounge occupancy = uses / hours x mean time there (Little's law, within 3%)."""
    busy = ward(60, 13, days=240, hourly_profile=PROFILE, weekend_rate=0.6, lounge=True)
    out = simulate(busy, 0)
    k = rep_kpis(out).set_index(["metric", "unit"])["value"]
    assert k["arrivals", "WARD"] == k["admitted", "WARD"] + k["rejected", "WARD"] + k["still_waiting", "WARD"]
    span = busy.end_h - busy.warmup_h
    little = k["lounge_uses", "LOUNGE"] / span * k["lounge_time_mean_h", "LOUNGE"]
    assert k["lounge_occupancy_mean", "LOUNGE"] == pytest.approx(little, rel=0.03)
    assert k["lounge_occupancy_mean", "LOUNGE"] <= 4
    # lounge places are not beds: ALL occupancy equals the ward's
    assert k["occupancy_mean", "ALL"] == pytest.approx(k["occupancy_mean", "WARD"])
    lounge = out.extra["lounges"][0]
    home_after = int(((out.stays[:, F["dest"]] == -1) & (out.stays[:, F["end"]] >= busy.warmup_h)).sum())
    assert 0 < lounge["uses"] <= home_after
    assert 0 < k["lounge_share", "LOUNGE"] < 1


def test_discharge_lounge_keeps_departures_and_frees_the_bed_before_them():
    """A patient using the lounge leaves its bed at most its time there before the departure the rule gives;
    the departure hours (clock) are the rule's: the lounge leaves discharges by hour unchanged on average."""
    s = ward(400, 20, days=60, hourly_profile=PROFILE, weekend_rate=0.6)
    base = simulate(s, 0)
    lounged = simulate(ward(400, 20, days=60, lounge=True, hourly_profile=PROFILE, weekend_rate=0.6), 0)
    a, b = base.stays, lounged.stays
    assert len(a) == len(b)
    ends_a, ends_b = a[:, F["end"]], b[:, F["end"]]
    done = ~np.isnan(ends_a) & ~np.isnan(ends_b)
    assert (ends_b[done] <= ends_a[done] + 1e-9).all()
    assert (ends_b[done] < ends_a[done] - 1e-9).any()
