"""``census`` and ``forecast`` with discharge pathways: the pathway column round trip and forecast_nctr.csv."""

from __future__ import annotations

import json

import pandas as pd

from hospital_twin.cli import main
from hospital_twin.live.forecast import NCTR_COLUMNS
from hospital_twin.results import adt_log
from hospital_twin.scenario.io import load_scenario
from hospital_twin.sim.model import HospitalSim

AT = "2025-02-10T08:00:00"
YAML = """\
name: Ward with pathways
start: 2025-01-06T00:00:00
horizon_days: 40
warmup_days: 0
replications: 1
seed: 7
units:
  WARD: {beds: 30, when_full: queue}
arrivals:
  - {name: admissions, unit: WARD, per_day: 4.0}
length_of_stay:
  WARD: {distribution: lognormal, mean_hours: 120, cv: 0.8}
discharge_pathways:
  P1: {starts_per_day: 1.0, start_hour: 11}
  P2: {places: 4, stay: {distribution: exponential, mean_hours: 200}}
pathway_shares:
  WARD: {P1: 0.2, P2: 0.15}
"""


def test_census_and_forecast_carry_nctr_patients_through_their_pathways(tmp_path, capsys):
    """census writes each NCTR patient's pathway; forecast reads it and writes forecast_nctr.csv from that count."""
    scn = tmp_path / "pw.yaml"
    scn.write_text(YAML)
    log = adt_log(HospitalSim(load_scenario(scn), 0, 7).run())
    log_path = tmp_path / "adt_log.csv"
    log.to_csv(log_path, index=False, date_format="%Y-%m-%dT%H:%M:%S")
    snap = tmp_path / "census.csv"
    assert main(["census", str(log_path), "--at", AT, "--out", str(snap)]) == 0
    rows = pd.read_csv(snap)
    n_nctr = int(rows["pathway"].notna().sum())
    assert n_nctr > 0 and set(rows["pathway"].dropna()) <= {"P1", "P2"}
    out = tmp_path / "fc"
    argv = ["forecast", str(scn), "--census", str(snap), "--now", AT, "--hours", "24", "--replications", "4"]
    assert main([*argv, "--workers", "1", "--out", str(out), "--no-html"]) == 0
    table = pd.read_csv(out / "forecast_nctr.csv")
    assert list(table.columns) == NCTR_COLUMNS
    now_all = table[(table["unit"] == "ALL") & (table["pathway"] == "ALL") & (table["horizon_h"] == 0)]
    assert now_all["mean"].tolist() == [n_nctr]
    assert "forecast_nctr.csv" in json.loads((out / "run.json").read_text())["files"]
    assert "NCTR (ready, waiting in a bed), pathway P2" in capsys.readouterr().out


def test_forecast_refuses_an_unknown_pathway_with_its_line(tmp_path, capsys):
    """A census row naming a pathway the scenario lacks exits 2 with the file, line, field and known names."""
    scn = tmp_path / "pw.yaml"
    scn.write_text(YAML)
    snap = tmp_path / "census.csv"
    snap.write_text(
        "patient_id,unit,unit_start,ready_to_leave,pathway\n"
        "a,WARD,2025-02-01T08:00,2025-02-05T08:00,P1\n"
        "b,WARD,2025-02-01T08:00,2025-02-05T08:00,P3\n"
    )
    argv = ["forecast", str(scn), "--census", str(snap), "--now", AT, "--hours", "4", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "census.csv:3" in err and "pathway" in err and "'P3'" in err and "P1, P2" in err
    assert "Traceback" not in err
