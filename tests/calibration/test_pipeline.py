"""The calibration pipeline (``calibration.pipeline``): log files in, a validated scenario out, errors the caller maps.

The command line and the app call these functions; the checks here are what both rely on: the
scenario returned is the YAML loaded back, a calibrated YAML that does not validate is refused
with its file, line and field (the command exits 2), the progress hooks run before the fit,
and the package's own exceptions name the logs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hospital_twin.calibration import pipeline
from hospital_twin.calibration.adt import LogError, detect_format, read_log
from hospital_twin.calibration.pipeline import (
    CalibrationError,
    CalibrationRun,
    NoStaysError,
    backtest_log,
    calibrate_logs,
    calibrate_simulated,
)
from hospital_twin.cli import main
from hospital_twin.scenario.errors import ScenarioError
from hospital_twin.scenario.io import load_scenario_text
from hospital_twin.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[2] / "scenarios" / "logs"  # sample logs, shared with the app
MIMIC = FIXTURES / "mimic-iv-demo-mini"
SEPSIS = FIXTURES / "sepsis-mini.xes"


@pytest.fixture(scope="module")
def mimic_run() -> CalibrationRun:
    return calibrate_logs([(MIMIC, "auto")], horizon_days=30, replications=2, seed=3)


def test_pipeline_returns_the_validated_scenario_of_the_yaml_it_wrote(mimic_run):
    """The run's scenario is its YAML loaded back (a Scenario, equal field by field), with the options asked for."""
    run = mimic_run
    assert isinstance(run.scenario, Scenario)
    assert run.scenario == load_scenario_text(run.yaml, name="again.yaml")
    assert (run.scenario.horizon_days, run.scenario.replications, run.scenario.seed) == (30.0, 2, 3)
    assert set(run.scenario.units) == set(run.calibration.capacity.beds_)
    r = run.reads[0]
    assert r.read == r.used + r.rejected + r.ignored
    assert len(run.rejects) == r.rejected + r.ignored and list(run.rejects.columns[:2]) == ["source", "row"]
    assert run.dates.shifted  # MIMIC dates are shifted per patient: the reader says so
    assert f"Log: {MIMIC} (mimic-iv)" in run.yaml and "Source: " in run.yaml


def test_pipeline_refuses_a_calibrated_scenario_that_does_not_validate(monkeypatch, tmp_path, capsys):
    """A YAML that does not load as a scenario is a ScenarioError naming the file, line and field, not a
    scenario handed back; the command turns it into exit 2 and writes nothing."""
    real = pipeline.scenario_yaml

    def broken(*args, **kw):  # a calibration that renders an impossible bed count
        return real(*args, **kw).replace("    beds: 20\n", "    beds: -1\n", 1)

    monkeypatch.setattr(pipeline, "scenario_yaml", broken)
    with pytest.raises(ScenarioError) as err:
        calibrate_logs([(MIMIC, "mimic-iv")], yaml_name="mine.yaml")
    issue = err.value.issues[0]
    assert issue.file == "mine.yaml" and issue.line is not None and issue.field.endswith("beds")

    out = tmp_path / "s.yaml"
    assert main(["calibrate", str(MIMIC), "--out", str(out)]) == 2
    assert f"{out}:" in capsys.readouterr().err and not out.exists()


def test_pipeline_reports_reads_and_dates_before_fitting(monkeypatch):
    """on_read and on_dates run, in that order, before the fit (which takes longest)."""
    seen = []
    real = pipeline.calibrate

    def fit(*args, **kw):
        seen.append("fit")
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "calibrate", fit)
    calibrate_logs(
        [(SEPSIS, "xes")],
        on_read=lambda reads: seen.append(("read", len(reads))),
        on_dates=lambda dates: seen.append(("dates", dates.shifted)),
    )
    assert seen == [("read", 1), ("dates", True), "fit"]


def test_pipeline_errors_name_the_logs(tmp_path):
    """No usable stay, a log that cannot be read, an unknown format: the package's exceptions, naming the log."""
    empty = tmp_path / "log.csv"
    empty.write_text("patient_id,unit,start,end\n,W,2025-01-01T00:00:00,\n")
    with pytest.raises(NoStaysError) as err:
        calibrate_logs([(empty, "auto")])
    assert err.value.where == str(empty) and "no usable stays" in str(err.value)
    assert isinstance(err.value, CalibrationError)
    with pytest.raises(LogError, match="cannot tell the log's format"):
        calibrate_logs([(tmp_path / "log.txt", "auto")])
    with pytest.raises(LogError, match="no such file or folder"):
        read_log(tmp_path / "absent.csv")
    with pytest.raises(LogError, match="expected one of"):
        detect_format(empty, "hl7")
    assert detect_format(MIMIC) == "mimic-iv" and detect_format(SEPSIS) == "xes" and detect_format(empty) == "adt"


def test_backtest_log_refuses_dates_shifted_per_patient():
    """A back-test needs calendar time: a log with per-patient shifted dates is a CalibrationError naming it."""
    with pytest.raises(CalibrationError, match="A back-test compares occupancy over calendar time") as err:
        backtest_log(SEPSIS, "2015-01-01")
    assert err.value.where == str(SEPSIS)


def test_calibrate_simulated_reads_the_simulated_log_back_like_an_upload(tmp_path, tiny_scenario):
    """The app's simulated source: one replication written as an ADT CSV in the folder, read and calibrated."""
    run = calibrate_simulated(tiny_scenario, tmp_path, name="from a simulation", horizon_days=7, replications=1)
    log = tmp_path / "simulated_log.csv"
    assert log.is_file() and run.reads[0].source == str(log) and run.reads[0].rejected == 0
    assert "rep" not in run.reads[0].stays.columns and "seen_at" not in run.reads[0].stays.columns
    assert run.scenario.name == "from a simulation" and set(run.scenario.units) == {"WARD"}


def test_calibration_package_import_is_light():
    """``import hospital_twin.calibration`` imports none of its modules (the names are lazy)."""
    code = (
        "import sys, hospital_twin.calibration as c; "
        "assert not [m for m in sys.modules if m.startswith('hospital_twin.calibration.')]; "
        "from hospital_twin.calibration import calibrate_logs, read_adt, calibrate; "
        "assert callable(calibrate) and calibrate.__module__ == 'hospital_twin.calibration.fit'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
