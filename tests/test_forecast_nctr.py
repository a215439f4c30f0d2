"""The live twin with discharge pathways (issue 14): patients ready to leave who wait in their bed (NCTR).

A census row may say since when a patient is ready and which pathway it waits for; the
forecast starts it in that pathway's queue at its place by ready time, and reports the NCTR
patients per unit and per pathway. The checks are hand calculations of the daily starts and
the pool's places, and a snapshot of a simulated log compared with the simulator's own stays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hospital_twin.live.census import CensusError, census_at, read_census
from hospital_twin.live.forecast import NCTR_COLUMNS, forecast, forecast_table, initial_patients, nctr_table
from hospital_twin.results import adt_log
from hospital_twin.sim.model import HospitalSim
from hospital_twin.sim.pathways import pathway_code, pathway_of_code
from hospital_twin.sim.records import STAY_FIELDS, InitialPatient
from tests.helpers import scenario, seed, single_unit

NOW = pd.Timestamp("2025-03-03T08:00:00")  # a Monday
_F = {name: i for i, name in enumerate(STAY_FIELDS)}


def _ward(pathways: dict, beds: int = 10, **kw):
    """One ward, no arrivals: only the census's patients."""
    return single_unit(
        beds=beds,
        when_full="queue",
        per_day=0.0,
        los={"distribution": "fixed", "value_hours": 10},
        warmup_days=0,
        discharge_pathways=pathways,
        **kw,
    )


def _nctr_snapshot(ready_h: list[float], pathway: str = "P1") -> pd.DataFrame:
    """Patients in WARD for 100 h, ready ``ready_h`` hours before NOW, waiting for ``pathway``; rows not in order."""
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(len(ready_h))],
            "unit": "WARD",
            "unit_start": [NOW - pd.Timedelta(hours=100)] * len(ready_h),
            "ready_to_leave": [NOW - pd.Timedelta(hours=r) for r in ready_h],
            "pathway": pathway,
        }
    )


def test_nctr_patients_on_a_daily_pathway_leave_at_its_start_times_first_ready_first():
    """Five patients wait for P1, which starts 1, 2, 0, 3 patients at 11:00 on Mon, Tue, Wed, Thu.

    Hand calculation from Monday 08:00: one leaves at +3 h (Mon 11:00), two at +27 h (Tue), none on
    Wednesday, the last two at +75 h (Thu), in the order they became ready. Nobody else is in the
    hospital, so the census and the NCTR count are the same step function in every replication.
    """
    s = _ward({"P1": {"starts_by_weekday": [1, 2, 0, 3, 0, 0, 0], "start_hour": 11}})
    ready_h = [50, 10, 40, 20, 30]
    fc = forecast(s, _nctr_snapshot(ready_h), NOW, 80, replications=4, seed=seed(1))
    expected = np.array([5] * 3 + [4] * 24 + [2] * 48 + [0] * 6)
    assert (fc.census[:, 0, :] == expected).all()
    assert (fc.nctr[:, 0, :] == expected).all()
    assert (fc.nctr_pathway[:, 0, :] == expected).all()
    assert fc.initial["nctr"].tolist() == [5]

    # FIFO: the stay records of one replication end in the order of their ready times
    S = _census_run(s, _nctr_snapshot(ready_h), 80, 0, seed(1))
    by_ready = S[np.argsort(S[:, _F["ready_h"]])]  # ready longest ago first
    assert by_ready[:, _F["end"]].tolist() == [3.0, 27.0, 27.0, 75.0, 75.0]
    assert by_ready[:, _F["ready_h"]].tolist() == [-50.0, -40.0, -30.0, -20.0, -10.0]
    assert (by_ready[:, _F["dest"]] == pathway_code(0)).all()


def _census_run(s, snap: pd.DataFrame, hours: float, rep: int, seed_: int) -> np.ndarray:
    """The stay records of one warm-started replication of ``s`` from ``snap`` at NOW (WARD, class 0)."""
    rows = initial_patients(s, snap, NOW)
    ips = [
        InitialPatient(0, float(r.elapsed_h), 0, True, False, -9, float(r.ready_h), pathway=int(r.pathway))
        for r in rows.itertuples()
    ]
    sc = s.model_copy(update={"start": NOW.to_pydatetime(), "horizon_days": hours / 24})
    return HospitalSim(sc, rep, seed_, initial_patients=ips).run().stays


def test_a_pool_with_patients_waiting_starts_full_and_frees_places_at_forward_recurrence_times():
    """P2: 2 places held a fixed 24 h; 3 patients wait for it, so every place is taken at now.

    A place seen at a random moment has U(0, 24) h left (forward recurrence of a fixed hold): the
    two first ready start when the places free (at min and max of two such uniforms), the third 24 h
    after the first; the first start is distributed as the minimum of two U(0, 24).
    """
    s = _ward({"P2": {"places": 2, "stay": {"distribution": "fixed", "value_hours": 24}}})
    snap = _nctr_snapshot([5, 30, 20], pathway="P2")  # p1, then p2, then p0 were ready first
    first = []
    for rep in range(200):
        S = _census_run(s, snap, 60, rep, seed(2))
        e = S[np.argsort(S[:, _F["ready_h"]]), _F["end"]]  # in order of ready time
        assert 0 <= e[0] <= e[1] < 24 and e[2] == pytest.approx(e[0] + 24)
        first.append(e[0])
    assert stats.kstest(first, lambda t: 1 - (1 - np.clip(t, 0, 24) / 24) ** 2).pvalue > 1e-3


def test_a_pool_nobody_waits_for_starts_empty():
    """A patient still in a fixed 48 h assessment (ready 10 h ago) takes a place of the empty pool at +38 h."""
    s = _ward(
        {
            "P2": {
                "places": 1,
                "stay": {"distribution": "fixed", "value_hours": 24},
                "assessment": {"distribution": "fixed", "value_hours": 48},
            }
        }
    )
    fc = forecast(s, _nctr_snapshot([10], pathway="P2"), NOW, 40, replications=2, seed=seed(2))
    assert (fc.nctr[:, 0, :] == np.array([1] * 38 + [0] * 3)).all()


def test_a_census_patient_still_in_the_pathway_assessment_finishes_the_rest_of_it():
    """A fixed 48 h assessment in the bed, then daily starts at 11:00 (plenty of them).

    Ready 60 h ago: assessed, it starts at Mon 11:00 (+3 h). Ready 10 h ago: 38 h of assessment left,
    so it joins the queue at Tue 22:00 and starts at Wed 11:00 (+51 h). On an unlimited pathway
    with the same assessment it leaves when the assessment ends (+38 h).
    """
    s = _ward(
        {
            "P1": {"starts_per_day": 5, "start_hour": 11, "assessment": {"distribution": "fixed", "value_hours": 48}},
            "other": {"assessment": {"distribution": "fixed", "value_hours": 48}},
        }
    )
    snap = _nctr_snapshot([60, 10, 10]).assign(pathway=["P1", "P1", "other"])
    fc = forecast(s, snap, NOW, 60, replications=2, seed=seed(3))
    p1 = np.array([2] * 3 + [1] * 48 + [0] * 10)
    other = np.array([1] * 38 + [0] * 23)
    assert (fc.nctr_pathway[:, 0, :] == p1).all()
    assert (fc.nctr_pathway[:, 1, :] == other).all()
    assert (fc.nctr[:, 0, :] == p1 + other).all()


def test_nctr_table_has_units_all_and_pathways_with_the_census_quantile_bands():
    """forecast_nctr.csv: one row per hour for each unit, ALL and each pathway; the band is the census's p05-p95."""
    s = _ward(
        {
            "P1": {"starts_per_day": 1, "start_hour": 11},
            "P2": {"places": 1, "stay": {"distribution": "exponential", "mean_hours": 24}},
        }
    )
    snap = _nctr_snapshot([50, 40, 30]).assign(pathway=["P1", "P1", "P2"])
    fc = forecast(s, snap, NOW, 12, replications=5, seed=seed(4))
    t = nctr_table(fc)
    assert list(t.columns) == NCTR_COLUMNS
    assert sorted(set(zip(t["unit"], t["pathway"], strict=True))) == [
        ("ALL", "ALL"),
        ("ALL", "P1"),
        ("ALL", "P2"),
        ("WARD", "ALL"),
    ]
    assert (t.groupby(["unit", "pathway"]).size() == 13).all()
    p1 = t[t["pathway"] == "P1"].set_index("horizon_h")
    assert p1.loc[0, "mean"] == 2 and p1.loc[3, "mean"] == 1  # the first P1 start at 11:00
    p2 = t[t["pathway"] == "P2"]
    assert p2["p95"].tolist() == np.quantile(fc.nctr_pathway[:, 1, :], 0.95, axis=0).tolist()
    assert p2["mean"].iloc[0] == 1 and (p2["p05"] <= p2["p50"]).all() and (p2["p50"] <= p2["p95"]).all()


def test_census_at_gives_back_the_nctr_patients_with_their_pathway_and_ready_time():
    """A snapshot of a simulated log lists exactly the stays on a pathway at that time, with its name and ready time."""
    s = scenario(
        units={"WARD": {"beds": 40, "when_full": "queue"}},
        arrivals=[{"name": "e", "unit": "WARD", "per_day": 6.0}],
        length_of_stay={"WARD": {"distribution": "exponential", "mean_hours": 72}},
        horizon_days=30,
        warmup_days=0,
        discharge_pathways={
            "P1": {"starts_per_day": 1.5, "start_hour": 11},
            "P2": {"places": 3, "stay": {"distribution": "exponential", "mean_hours": 120}},
        },
        pathway_shares={"WARD": {"P1": 0.3, "P2": 0.2}},
    )
    out = HospitalSim(s, 0, seed(5)).run()
    S = out.stays
    hour = 500.0
    code = S[:, _F["dest"]]
    on = (code <= pathway_code(0)) & (S[:, _F["ready_h"]] <= hour) & ~(S[:, _F["end"]] <= hour)
    assert on.sum() >= 5  # the moment has NCTR patients on both pathways
    snap = census_at(adt_log(out), pd.Timestamp(s.start) + pd.Timedelta(hours=hour))
    got = snap[snap["pathway"].notna()]
    ids = [f"0-{int(p)}" for p in S[on, _F["patient"]]]
    names = [list(s.discharge_pathways)[pathway_of_code(d)] for d in code[on]]
    ready = pd.Timestamp(s.start) + pd.to_timedelta(S[on, _F["ready_h"]], unit="h")
    want = pd.DataFrame({"patient_id": ids, "pathway": names, "ready_to_leave": ready.round("s")})
    got = got[["patient_id", "pathway", "ready_to_leave"]].sort_values("patient_id", ignore_index=True)
    want = want.sort_values("patient_id", ignore_index=True)
    assert got["patient_id"].tolist() == want["patient_id"].tolist()
    assert got["pathway"].tolist() == want["pathway"].tolist()
    assert (got["ready_to_leave"].to_numpy() == want["ready_to_leave"].to_numpy()).all()
    assert set(want["pathway"]) == {"P1", "P2"}
    # pathways= keeps the names given (e.g. a scenario's), leaving the others without one
    only_p1 = census_at(adt_log(out), pd.Timestamp(s.start) + pd.Timedelta(hours=hour), pathways=["P1"])
    assert set(only_p1["pathway"].dropna()) == {"P1"}
    assert only_p1["pathway"].notna().sum() == (want["pathway"] == "P1").sum()
    # ...and the forecast reads that snapshot back
    rows = initial_patients(s, snap, pd.Timestamp(s.start) + pd.Timedelta(hours=hour))
    assert (rows["pathway"] >= 0).sum() == len(want)


def test_census_at_of_a_log_without_pathways_has_no_pathway_column():
    """Without pathways the snapshot is the one it was (no new column)."""
    s = single_unit(
        beds=10,
        when_full="queue",
        per_day=3.0,
        los={"distribution": "exponential", "mean_hours": 48},
        horizon_days=5,
        warmup_days=0,
    )
    snap = census_at(adt_log(HospitalSim(s, 0, seed(6)).run()), pd.Timestamp(s.start) + pd.Timedelta(hours=100))
    assert "pathway" not in snap.columns


def test_read_census_reports_bad_pathways_with_their_line_and_the_known_names(tmp_path):
    """An unknown pathway, a pathway without ready_to_leave and one going to another unit are reported by line."""
    s = _ward(
        {"P1": {"starts_per_day": 1}, "P2": {"places": 1, "stay": {"distribution": "exponential", "mean_hours": 24}}}
    )
    path = tmp_path / "census.csv"
    path.write_text(
        "patient_id,unit,unit_start,ready_to_leave,next_unit,pathway\n"
        "1,WARD,2025-03-01T08:00,2025-03-02T08:00,,P1\n"  # line 2: fine
        "2,WARD,2025-03-01T08:00,2025-03-02T08:00,,P9\n"  # line 3: unknown
        "3,WARD,2025-03-01T08:00,,,P2\n"  # line 4: not ready
        "4,WARD,2025-03-01T08:00,2025-03-02T08:00,exit,p2\n"  # line 5: unknown (case)
    )
    with pytest.raises(CensusError) as info:
        read_census(path, s, NOW)
    got = [(i.line, i.field) for i in info.value.issues]
    assert got == [(3, "pathway"), (4, "pathway"), (5, "pathway")]
    text = str(info.value)
    assert "unknown discharge pathway 'P9'" in text and "known: P1, P2" in text
    assert "did you mean 'P2'" in text
    # a scenario without pathways says so
    plain = single_unit(beds=5, when_full="queue", per_day=0.0, los={"distribution": "exponential", "mean_hours": 10})
    path.write_text("patient_id,unit,unit_start,ready_to_leave,pathway\n1,WARD,2025-03-01T08:00,2025-03-02T08:00,P1\n")
    with pytest.raises(CensusError, match="the scenario has no discharge_pathways"):
        read_census(path, plain, NOW)


def test_initial_patient_pathway_is_checked():
    """HospitalSim refuses a pathway index for a patient not ready, or one the scenario does not have."""
    s = _ward({"P1": {"starts_per_day": 1}})
    for bad in (
        InitialPatient(0, 50.0, 0, False, pathway=0),
        InitialPatient(0, 50.0, 0, True, ready_h=5.0, pathway=1),
    ):
        with pytest.raises(ValueError, match="pathway needs ready=True"):
            HospitalSim(s, 0, 1, initial_patients=[bad])


def test_forecast_without_pathways_has_no_nctr_output():
    """A scenario without pathways: no NCTR arrays, table or snapshot column; forecast.csv as before."""
    s = single_unit(
        beds=5, when_full="queue", per_day=2.0, los={"distribution": "exponential", "mean_hours": 48}, warmup_days=0
    )
    snap = _nctr_snapshot([5, 10]).drop(columns="pathway")
    fc = forecast(s, snap, NOW, 6, replications=2, seed=seed(7))
    assert fc.nctr is None and nctr_table(fc) is None and fc.pathways == []
    assert "nctr" not in fc.initial.columns
    assert "nctr" not in " ".join(forecast_table(fc).columns)


# --------------------------------------------------------------------------- ready census patients without a pathway
def _held_ward(share: float):
    """One big ward whose P0 patients leave only 10:00-17:00, and an unlimited pathway OTHER with an exponential
    10 h assessment in the bed taken by ``share`` of those leaving; the clock starts on a Monday at 14:00."""
    return single_unit(
        beds=1000,
        when_full="queue",
        per_day=0.0,
        los={"distribution": "exponential", "mean_hours": 48},
        discharge={"window_hours": [10, 17], "hourly_profile": [0] * 10 + [1] * 7 + [0] * 7},
        discharge_pathways={"OTHER": {"assessment": {"distribution": "exponential", "mean_hours": 10}}},
        pathway_shares={"WARD": {"OTHER": share}},
        start="2025-01-06T14:00:00",
        horizon_days=5,
        warmup_days=0,
    )


def test_a_ready_census_patient_with_no_pathway_given_draws_one_before_its_discharge_is_conditioned():
    """400 patients ready for 4 h, pathway not known: about half draw OTHER and their assessment has the spec's
    mean (10 h, memoryless, so the residual too), not a mean bent by the conditioning of their discharge uniforms
    on the P0 rule (17.7 h before the fix)."""
    s = _held_ward(0.5)
    delays = []
    for rep in range(2):
        ips = [InitialPatient(0, 50.0, 0, True, False, -9, 4.0) for _ in range(400)]
        S = HospitalSim(s, rep, seed(5), initial_patients=ips).run().stays
        on = S[:, _F["dest"]] == pathway_code(0)
        assert 0.4 < on.mean() < 0.6
        assert (S[on, _F["ready_h"]] == -4.0).all()  # NCTR since it became ready
        delays += S[on, _F["end"]].tolist()
    assert abs(np.mean(delays) - 10.0) < 1.5  # standard error about 0.35 h


def test_a_ready_census_patient_known_to_take_no_pathway_never_draws_one():
    """A census with a pathway column that leaves a ready patient's empty (PATHWAY_NONE) says it is going home
    without one: at time 0 it draws no pathway, however large the share."""
    from hospital_twin.sim.records import PATHWAY_NONE

    s = _held_ward(0.9)
    ips = [InitialPatient(0, 50.0, 0, True, False, -1, 4.0, pathway=PATHWAY_NONE) for _ in range(200)]
    S = HospitalSim(s, 0, seed(6), initial_patients=ips).run().stays
    census_rows = S[S[:, _F["patient"]] < 200]
    assert (census_rows[:, _F["dest"]] == -1).all()  # home (P0), every one


def test_a_snapshot_with_a_pathway_column_marks_the_ready_patients_without_one_as_on_none():
    """initial_patients: a ready row whose pathway cell is empty, in a snapshot that has the column, is PATHWAY_NONE."""
    from hospital_twin.sim.records import PATHWAY_NONE

    s = _held_ward(0.5)
    snap = _nctr_snapshot([5.0, 6.0], pathway="OTHER")
    snap.loc[1, "pathway"] = None
    rows = initial_patients(s, snap, NOW)
    assert rows["pathway"].tolist() == [0, PATHWAY_NONE]


def test_census_at_without_the_scenarios_names_takes_only_labels_that_spell_a_pathway():
    """A hospital's own destination words (died, care home, P0) are not pathways unless the names are given."""
    t = pd.Timestamp("2025-02-10 08:00")
    labels = ["died", "P0", "care home", "pathway 2", "p3"]
    log = pd.DataFrame(
        {
            "patient_id": [str(i) for i in range(5)],
            "unit": ["WARD"] * 5,
            "start": [t - pd.Timedelta(days=5)] * 5,
            "end": [t + pd.Timedelta(hours=3)] * 5,
            "ready_to_leave": [t - pd.Timedelta(hours=2)] * 5,
            "discharge_destination": labels,
        }
    )
    snap = census_at(log, t).set_index("patient_id")
    assert snap["pathway"].isna().tolist() == [True, True, True, False, False]
    named = census_at(log, t, pathways=["care home"]).set_index("patient_id")
    assert named["pathway"].fillna("").tolist() == ["", "", "care home", "", ""]


def test_read_census_refuses_a_pathway_on_an_emergency_department_row(tmp_path):
    """Pathways are for patients leaving inpatient units: an ED row with one is reported by line."""
    s = scenario(
        units={
            "ED": {"beds": 20, "ed": {"clinicians": 2, "assessment": {"distribution": "exponential", "mean_hours": 1}}},
            "WARD": {"beds": 10},
        },
        arrivals=[{"name": "ed", "unit": "ED", "per_day": 10}],
        routes={"ED": {"WARD": 0.3, "exit": 0.7}},
        length_of_stay={
            "ED": {"distribution": "exponential", "mean_hours": 2},
            "WARD": {"distribution": "exponential", "mean_hours": 48},
        },
        discharge_pathways={"P1": {"starts_per_day": 2}},
        pathway_shares={"WARD": {"P1": 0.2}},
    )
    path = tmp_path / "census.csv"
    path.write_text(
        "patient_id,unit,unit_start,ready_to_leave,pathway\n"
        "1,WARD,2025-03-01T08:00,2025-03-02T08:00,P1\n"
        "2,ED,2025-03-03T05:00,2025-03-03T07:00,P1\n"
    )
    with pytest.raises(CensusError) as info:
        read_census(path, s, NOW)
    assert [(i.line, i.field) for i in info.value.issues] == [(3, "pathway")]
    assert "emergency department" in str(info.value)


def test_a_pool_whose_places_escalation_doubled_starts_with_every_open_place_taken():
    """9 of 10 beds hold patients waiting for P2 (2 places), and a level entered at once doubles it: a queue at now
    means all 4 open places are taken by the community, so no census patient leaves at now (before the fix the
    two bought places started two of them at once)."""
    lv = [{"level": 2, "enter_at": 0.75, "leave_below": 0.1, "actions": {"pathway_capacity": {"P2": 2.0}}}]
    pool = {"P2": {"places": 2, "stay": {"distribution": "fixed", "value_hours": 24}}}
    s = _ward(pool, escalation_levels={"G": {"levels": lv}})
    stays = _census_run(s, _nctr_snapshot([5, 30, 20, 40, 50, 60, 70, 80, 90], pathway="P2"), 60, 0, 1)
    assert (stays[:, _F["end"]] == 0).sum() == 0
    assert (stays[:, _F["end"]] < 24).sum() == 4  # the 4 places free within a day, each starting one patient
