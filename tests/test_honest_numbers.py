"""Honest numbers when the hospital fails (issue 13 point 0).

Waits and ED measures count the patients still waiting (or still in the department) at the
end with their time so far; a runaway bed queue is flagged per replication (``gridlocked``);
a comparison says when gridlocked replications drive a difference; dated inputs inside the
warm-up or after the end are warned about.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hospital_twin.experiment.comparison import paired_differences
from hospital_twin.experiment.runner import run_scenario
from hospital_twin.results import (
    GRIDLOCK_STRETCH_H,
    gridlock_hours,
    gridlock_threshold,
    rep_kpis,
    summarise,
    waiting_path,
)
from hospital_twin.scenario.io import load_scenario, read_scenario
from hospital_twin.scenario.schema import Scenario
from hospital_twin.sim import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _kpi(k: pd.DataFrame, metric: str, unit: str) -> float:
    return float(k[(k["metric"] == metric) & (k["unit"] == unit)]["value"].iloc[0])


# --------------------------------------------------------------------------- censored waits, by hand
def test_patient_still_waiting_at_the_end_enters_the_wait_with_its_wait_so_far():
    """One bed, two patients asking at 08:00 on day 1, a fixed stay of 200 h, 120 h simulated: the first
    gets the bed at once (wait 0), the second still waits at the end (112 h so far)."""
    scn = Scenario.model_validate(
        {
            "name": "one bed",
            "start": "2025-01-06T00:00:00",
            "horizon_days": 5,
            "units": {"W": {"beds": 1, "when_full": "queue"}},
            "electives": [
                {
                    "name": "list",
                    "unit": "W",
                    "per_weekday": [2, 0, 0, 0, 0, 0, 0],
                    "hour": 8,
                    "cancel_after_hours": 999,
                }
            ],
            "length_of_stay": {"W": {"distribution": "fixed", "value_hours": 200}},
        }
    )
    k = rep_kpis(simulate(scn))
    for unit in ("W", "ALL"):
        assert _kpi(k, "admitted", unit) == 1 and _kpi(k, "still_waiting", unit) == 1
        assert _kpi(k, "waited_share", unit) == pytest.approx(0.5)
        assert _kpi(k, "wait_for_bed_mean_h", unit) == pytest.approx((0 + 112) / 2)
        assert _kpi(k, "wait_for_bed_p95_h", unit) == pytest.approx(np.quantile([0.0, 112.0], 0.95))
        assert _kpi(k, "unserved_share", unit) == pytest.approx(0.5)
    assert _kpi(k, "gridlocked", "ALL") == 0  # one waiting is not above max(1, 15% of 1 bed)


# --------------------------------------------------------------------------- the gridlock rule
def test_gridlock_rule_on_a_hand_built_waiting_path():
    """Waiting counts: 3 from 10 h to 70 h (60 h above 2), 1 until 100 h, 5 from 100 h to 130 h (30 h: too
    short), 4 from 200 h until the end at 300 h (100 h). Window [50, 300): 20 h + 100 h in long stretches."""
    asked = np.array([10, 10, 10, 100, 100, 100, 100, 200, 200, 200, 200, 0.0])
    left = np.array([70, 70, 100, 130, 130, 130, 130, 300, 300, 300, 300, 130.0])
    times, counts = waiting_path(asked, left)
    assert list(times) == [0, 10, 70, 100, 130, 200, 300]
    assert list(counts) == [1, 4, 2, 5, 0, 4, 0]
    # above 2: [10, 70) 60 h (longer than 48 h, counted from the window's start at 50: 20 h), [100, 130) 30 h
    # (too short), [200, 300) 100 h
    assert GRIDLOCK_STRETCH_H == 48
    assert gridlock_hours(times, counts, 2, 50, 300) == pytest.approx(20 + 100)
    assert gridlock_hours(times, counts, 2, 0, 300, stretch_h=70) == pytest.approx(100)
    assert gridlock_hours(times, counts, 4, 0, 300) == 0.0  # 5 waiting for 30 h only
    assert gridlock_hours(times, counts, 2, 80, 250) == pytest.approx(50)  # a stretch cut at the end of the window
    assert gridlock_hours(np.zeros(0), np.zeros(0), 2, 0, 300) == 0.0


def test_gridlock_threshold_is_a_share_of_the_inpatient_beds():
    base = load_scenario(SCENARIOS / "baseline.yaml")
    inpatient = sum(u.beds for u in base.units.values() if u.ed is None)
    assert gridlock_threshold(base) == pytest.approx(0.15 * inpatient)


# --------------------------------------------------------------------------- a collapse reads as one
def _amu_closed(days: float = 14) -> Scenario:
    base = load_scenario(SCENARIOS / "baseline.yaml")
    units = dict(base.units)
    units["AMU"] = units["AMU"].model_copy(update={"beds": 0})
    return base.model_copy(update={"units": units, "horizon_days": days, "warmup_days": 7.0, "replications": 2})


def test_a_closed_assessment_unit_reads_as_a_collapse():
    """AMU at 0 beds: every medical patient waits for a bed that never comes, the ED fills with boarders.
    On main this read as good news (waited_share 0, no 4-hour figure)."""
    res = run_scenario(_amu_closed(), replications=2)
    k = res.kpis
    for rep in (0, 1):
        r = k[k["rep"] == rep]
        assert _kpi(r, "admitted", "AMU") == 0
        assert _kpi(r, "waited_share", "AMU") == 1.0  # all of the ED's medical admissions wait
        assert _kpi(r, "unserved_share", "AMU") == 1.0
        assert _kpi(r, "wait_for_bed_mean_h", "AMU") > 24
        assert _kpi(r, "unserved_share", "ALL") > 0.3
        assert _kpi(r, "ed_4h_breach_share", "ED") > 0.5  # counted, not vanished
        # the cubicles are full of boarders: later arrivals wait for one, unseen, and count with their time so far
        assert _kpi(r, "ed_12h_breach_share", "ED") > 0.5
        assert _kpi(r, "ed_time_to_clinician_mean_h", "ED") > 24
        assert _kpi(r, "unserved_share", "ED") == 1.0
        assert _kpi(r, "gridlocked", "ALL") == 1
        assert _kpi(r, "gridlock_hours", "ALL") == pytest.approx(14 * 24)  # the whole observed window
    s = res.summary
    share = s[(s["metric"] == "gridlocked_share") & (s["unit"] == "ALL")]
    assert float(share["mean"].iloc[0]) == 1.0 and int(share["n_reps"].iloc[0]) == 2


def test_a_healthy_hospital_never_gridlocks():
    """An ICU with room to spare (16 beds for 7.5 offered): no replication is flagged."""
    scn = load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml")
    units = dict(scn.units)
    units["ICU"] = units["ICU"].model_copy(update={"beds": 16})
    scn = scn.model_copy(update={"units": units, "horizon_days": 60})
    k = run_scenario(scn, replications=3).kpis
    g = k[(k["metric"] == "gridlocked") & (k["unit"] == "ALL")]
    assert len(g) == 3 and (g["value"] == 0).all()
    assert (k[k["metric"] == "gridlock_hours"]["value"] == 0).all()


def test_summary_gives_the_share_of_replications_gridlocked():
    kpis = pd.DataFrame(
        {
            "scenario": "s",
            "rep": [0, 1, 2, 3, 0, 1, 2, 3],
            "metric": ["gridlocked"] * 4 + ["gridlock_hours"] * 4,
            "unit": "ALL",
            "value": [1.0, 0.0, 0.0, 1.0, 100.0, 0.0, 0.0, 60.0],
        }
    )
    s = summarise(kpis).set_index("metric")
    assert s.loc["gridlocked_share", "mean"] == 0.5 and s.loc["gridlocked_share", "n_reps"] == 4
    assert "gridlocked" not in s.index
    assert s.loc["gridlock_hours", "mean"] == 40.0


# --------------------------------------------------------------------------- compare
def _pair_kpis(diffs: list[float], grid_var: list[int], grid_base: list[int]) -> pd.DataFrame:
    rows = []
    for rep, (d, gv, gb) in enumerate(zip(diffs, grid_var, grid_base, strict=True)):
        rows += [
            ("base", rep, "wait_for_bed_mean_h", "ALL", 10.0 + rep),
            ("var", rep, "wait_for_bed_mean_h", "ALL", 10.0 + rep + d),
            ("base", rep, "gridlocked", "ALL", float(gb)),
            ("var", rep, "gridlocked", "ALL", float(gv)),
        ]
    return pd.DataFrame(rows, columns=["scenario", "rep", "metric", "unit", "value"])


def _row(c: pd.DataFrame) -> pd.Series:
    return c[c["metric"] == "wait_for_bed_mean_h"].iloc[0]


def test_compare_flags_a_difference_that_one_gridlocked_replication_turns_round():
    """Without rep 3 (gridlocked in the what-if only) the what-if is 1 h better; with it, 11.75 h worse."""
    r = _row(paired_differences(_pair_kpis([-1, -1.1, -0.9, 50], [0, 0, 0, 1], [0, 0, 0, 0]), "base"))
    assert r["diff_mean"] == pytest.approx(11.75)
    assert r["diff_mean_without_gridlocked"] == pytest.approx(-1.0)
    assert r["scenario_gridlocked_reps"] == 1 and r["baseline_gridlocked_reps"] == 0
    assert bool(r["gridlock_driven"])


def test_compare_flags_every_difference_when_the_sides_gridlock_in_different_numbers():
    r = _row(paired_differences(_pair_kpis([1, 1.1, 0.9, 1.0], [0, 0, 0, 1], [0, 0, 0, 0]), "base"))
    assert r["diff_mean_without_gridlocked"] == pytest.approx(1.0)
    assert bool(r["gridlock_driven"])


def test_compare_does_not_flag_a_difference_that_holds_without_the_gridlocked_replications():
    r = _row(paired_differences(_pair_kpis([1, 1.1, 0.9, 1.05, 1.0], [0, 0, 0, 1, 0], [0, 0, 0, 1, 0]), "base"))
    assert bool(r["significant"]) and not bool(r["gridlock_driven"])
    r = _row(paired_differences(_pair_kpis([1, 1.1, 0.9, 1.05], [0] * 4, [0] * 4), "base"))
    assert not bool(r["gridlock_driven"]) and r["diff_mean_without_gridlocked"] == r["diff_mean"]


# --------------------------------------------------------------------------- dated inputs
DATED = """\
name: dated
start: 2025-01-06T00:00:00
horizon_days: 28
warmup_days: 14
units:
  W:
    beds: 10
    capacity_changes:
      - {at: 2025-01-10T00:00:00, beds: 12}
      - {at: 2025-03-10T00:00:00, beds: 8}
      - {at: 2025-01-25T00:00:00, beds: 11}
arrivals:
  - name: a
    unit: W
    per_day: 2
    multipliers:
      - {from: 2025-01-01, to: 2025-01-15, factor: 1.5, label: new year}
      - {from: 2025-01-15, to: 2025-01-25, factor: 1.2}
      - {from: 2025-02-10, to: 2025-02-20, factor: 1.1}
      - {from: 2025-02-20, to: 2025-03-01, factor: 0.9}
length_of_stay:
  W: {distribution: exponential, mean_hours: 48}
"""


def test_dated_inputs_in_the_warm_up_or_after_the_end_are_warned_about_with_their_dates(tmp_path):
    """Warm-up 6 Jan to 20 Jan, end 17 Feb."""
    f = tmp_path / "dated.yaml"
    f.write_text(DATED)
    warnings = read_scenario(f).warnings
    text = [str(w) for w in warnings]
    assert all(w.is_warning for w in warnings)
    assert len(warnings) == 6, text
    by_line = {w.line: str(w) for w in warnings}
    assert "(1 Jan 2025 until 15 Jan 2025) ends before measurement starts on 20 Jan 2025" in by_line[17]
    assert "'new year' (arrivals x1.5)" in by_line[17] and "it will not be measured" in by_line[17]
    assert "begins before measurement starts on 20 Jan 2025: only its last 5 days are measured" in by_line[18]
    assert "runs past the end of the run on 17 Feb 2025: only its first 7 days are measured" in by_line[19]
    assert "(20 Feb 2025 until 1 Mar 2025) starts after the run ends on 17 Feb 2025" in by_line[20]
    assert "W changes to 12 beds on 10 Jan 2025, before measurement starts" in by_line[9]
    assert "W changes to 8 beds on 10 Mar 2025, after the run ends" in by_line[10]
    assert 11 not in by_line  # 25 Jan: inside the observed window


def test_run_prints_the_dated_warnings(tmp_path, capsys):
    from hospital_twin.cli import main

    f = tmp_path / "dated.yaml"
    f.write_text(DATED)
    code = main(["run", str(f), "--replications", "1", "--out", str(tmp_path / "out"), "--no-report", "-q"])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "it will not be measured" in err and "after the run ends" in err


SMALL_ED = """\
name: Small ED
start: 2025-01-06T00:00:00
horizon_days: 10
warmup_days: 3
units:
  ED:
    beds: 8
    kind: ed
    ed:
      clinicians: 2
      assessment: {distribution: gamma, mean_minutes: 20, cv: 0.5}
  WARD: {beds: 12}
arrivals:
  - {name: walk_in, unit: ED, per_day: 40, source: ed}
routes:
  ED: {exit: 0.8, WARD: 0.2}
length_of_stay:
  ED: {distribution: lognormal, median_hours: 1.5, p90_hours: 4}
  WARD: {distribution: gamma, mean_days: 3, cv: 0.8}
"""


def test_run_and_compare_tables_say_how_many_replications_gridlocked(tmp_path, capsys):
    """A ward of 12 beds offered 24: the run table says 'k of n replications gridlocked', the compare table
    how many on each side and marks the rows gridlock drives with g."""
    from hospital_twin.cli import main

    (tmp_path / "small.yaml").write_text(SMALL_ED)
    (tmp_path / "more.yaml").write_text("extends: small.yaml\nname: More ward beds\nunits:\n  WARD: {beds: 40}\n")
    args = ["--replications", "2", "--no-report", "--format", "csv"]
    assert main(["run", str(tmp_path / "small.yaml"), "--out", str(tmp_path / "run"), *args]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 replications gridlocked (rule: more patients waiting for an inpatient bed" in " ".join(out.split())
    files = [str(tmp_path / "small.yaml"), str(tmp_path / "more.yaml")]
    assert main(["compare", *files, "--out", str(tmp_path / "cmp"), *args]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "gridlocked replications: 0 of 2 in More ward beds, 2 of 2 in the baseline" in out
    c = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert c["gridlock_driven"].all() and (c["baseline_gridlocked_reps"] == 2).all()


def test_a_dated_period_shared_by_several_streams_is_one_warning_naming_them():
    """The winter surge gives five streams the same January multiplier (a YAML anchor): one warning per period
    and place, naming the five streams, not fifteen near-identical lines."""
    loaded = read_scenario(SCENARIOS / "whatif" / "winter_surge.yaml")
    dated = [w for w in loaded.warnings if "multipliers" in str(w)]
    assert len(dated) == 3
    assert all(
        "5 arrival streams (ed_non_admitted, ed_medical, ed_surgical, gp_medical, gp_surgical)" in str(w) for w in dated
    )
