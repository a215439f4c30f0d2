"""The command line: exit codes, messages without tracebacks, the results folder."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from hospital_twin.cli import main
from tests.conftest import SCENARIOS

ICU = str(SCENARIOS / "examples" / "icu_to_ward.yaml")

SUMMARY_COLUMNS = ["scenario", "metric", "unit", "mean", "sd", "ci_low", "ci_high", "n_reps"]
CONTRACT_METRICS = {
    "arrivals",
    "admitted",
    "rejected",
    "rejected_share",
    "occupancy_mean",
    "occupancy_p95",
    "utilisation",
    "waited_share",
    "wait_for_bed_mean_h",
    "wait_for_bed_p95_h",
    "los_mean_h",
    "blocked_bed_hours",
}


def test_cli_validate_good_files_exit_zero(capsys):
    """validate prints a line per good file and exits 0."""
    assert main(["validate", ICU, str(SCENARIOS / "examples" / "single_ward.yaml")]) == 0
    assert capsys.readouterr().out.count("✓") == 2


def test_cli_validate_bad_file_exit_two_with_location(tmp_path, capsys):
    """A bad file gives exit 2 and a message with file, line and field."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(ICU).read().replace("beds: 8,", "beds: -8,"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:8: units.ICU.beds:" in err and "Traceback" not in err


def test_cli_run_writes_contract_results_folder(tmp_path, capsys):
    """run writes summary.csv, kpis.csv, census, adt_log and run.json with the contract's columns."""
    out = tmp_path / "res"
    assert main(["run", ICU, "--replications", "3", "--out", str(out), "--format", "csv"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert CONTRACT_METRICS <= set(summary["metric"])
    assert {"ICU", "WARD", "ALL"} <= set(summary["unit"])
    assert (summary["n_reps"] <= 3).all()
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["scenario", "rep", "metric", "unit", "value"] and set(kpis["rep"]) == {0, 1, 2}
    census = pd.read_csv(out / "census.csv")
    assert {"unit", "rep", "time", "occupied"} <= set(census.columns)
    log = pd.read_csv(out / "adt_log.csv")
    assert {"patient_id", "unit", "start", "end"} <= set(log.columns)
    run = json.loads((out / "run.json").read_text())
    assert run["replications"] == 3 and run["seed"] == 11 and len(run["scenario_hash"]) == 64
    printed = capsys.readouterr().out
    assert "occupied" in printed and "report written to" in printed
    assert (out / "report.html").stat().st_size > 100_000


def test_cli_run_replaces_existing_folder_whole(tmp_path):
    """A second run replaces the folder; no temporary folder is left behind."""
    out = tmp_path / "res"
    assert main(["run", ICU, "--replications", "2", "--out", str(out), "-q", "--no-report"]) == 0
    (out / "stale.txt").write_text("old")
    assert main(["run", ICU, "--replications", "2", "--out", str(out), "-q", "--no-report"]) == 0
    assert not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_cli_run_seed_and_workers_do_not_change_results(tmp_path):
    """--workers 2 gives the same summary as --workers 1; --seed changes it."""
    for name, extra in (("a", ["--workers", "1"]), ("b", ["--workers", "2"]), ("c", ["--seed", "99"])):
        assert (
            main(
                [
                    "run",
                    ICU,
                    "--replications",
                    "4",
                    "--out",
                    str(tmp_path / name),
                    "-q",
                    "--no-log",
                    "--no-report",
                    *extra,
                ]
            )
            == 0
        )
    a, b, c = (pd.read_csv(tmp_path / n / "summary.csv") for n in "abc")
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_cli_schema_writes_json_schema(tmp_path):
    """schema --out writes a JSON Schema document."""
    target = tmp_path / "schema.json"
    assert main(["schema", "--out", str(target)]) == 0
    assert json.loads(target.read_text())["title"] == "hospital_twin scenario"


def test_cli_usage_errors_exit_two(capsys):
    """A missing argument or unknown option is a usage error (exit 2)."""
    assert main(["run"]) == 2
    assert main(["run", ICU, "--replications", "0"]) == 2
    assert main(["run", ICU, "--format", "xlsx", "-q"]) == 2


VERBS = ["calibrate", "backtest", "census", "forecast", "plan-capacity", "validate", "schema", "run", "compare"]
VERBS += ["warmup", "report", "staffing", "staff", "roster"]


@pytest.mark.parametrize("verb", VERBS)
def test_cli_every_verb_has_help(verb, capsys):
    """--help works on every verb (a help text with [brackets] is rich markup and once crashed plan-capacity)."""
    assert main([verb, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_cli_verbs_listed_are_all_the_verbs(capsys):
    """The list above is every verb of `hospital-twin --help`, so a new verb gets its help checked too."""
    assert main(["--help"]) == 0
    panel = capsys.readouterr().out.split("Commands")[1]
    # a verb starts its row ("│ run            Simulate..."); a wrapped description line starts with spaces
    listed = {line[2:].split()[0] for line in panel.splitlines() if line.startswith("│ ") and line[2] != " "}
    assert listed == set(VERBS)


def test_cli_module_entry_point_reports_missing_file_without_traceback(tmp_path):
    """python -m hospital_twin run on a missing file exits 2 with a one-line reason."""
    proc = subprocess.run(
        [sys.executable, "-m", "hospital_twin", "run", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and "Traceback" not in proc.stderr
