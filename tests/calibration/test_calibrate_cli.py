"""``hospital-twin calibrate``: a scenario that loads and runs, its provenance, rejects, report and exit codes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from hospital_twin.cli import main
from hospital_twin.experiment.runner import run_replication
from hospital_twin.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[2] / "scenarios" / "logs"  # sample logs, shared with the app


@pytest.fixture(scope="module")
def sim_csv(tmp_path_factory) -> Path:
    """120 days of the ICU -> ward example as an ADT CSV."""
    scn = load_scenario(REPO / "scenarios" / "examples" / "icu_to_ward.yaml")
    scn = scn.model_copy(update={"horizon_days": 120, "warmup_days": 0})
    log = run_replication(scn, 0, keep_census=False).adt_log
    path = tmp_path_factory.mktemp("log") / "adt_log.csv"
    log.to_csv(path, index=False)
    return path


def _short(path: Path):
    return load_scenario(path).model_copy(update={"horizon_days": 10.0, "warmup_days": 2.0, "replications": 1})


def test_calibrate_writes_a_scenario_that_loads_runs_and_says_where_it_came_from(sim_csv, tmp_path, capsys):
    """Exit 0; the YAML loads with load_scenario and runs; its comments name the file and SHA-256, the period, the row
    counts, per unit the family, AIC ranking, D and p, n and censored share, and the beds as estimated."""
    out, html, rej = tmp_path / "s.yaml", tmp_path / "r.html", tmp_path / "rej.csv"
    assert main(["calibrate", str(sim_csv), "--out", str(out), "--report", str(html), "--rejects", str(rej)]) == 0
    printed = capsys.readouterr().out
    assert "scenario written" in printed and "report written" in printed
    rep = run_replication(_short(out), 0, keep_log=False)
    assert rep.kpis["value"].notna().all()
    head = [ln for ln in out.read_text().splitlines() if ln.startswith("#")]
    text = "\n".join(head)
    digest = hashlib.sha256(sim_csv.read_bytes()).hexdigest()
    n = len(pd.read_csv(sim_csv))
    for needle in (
        f"SHA-256 {digest}",
        f"read {n} = used {n} + rejected 0 + ignored 0",
        "Period: 2025-01-06",
        "ICU: ",
        "WARD: ",
        "AIC weights",
        "dAIC",
        "D=",
        "p=",
        "censored",
        "ESTIMATED",
        "Dates are taken as real",
    ):
        assert needle in text, needle
    assert pd.read_csv(rej).empty
    page = html.read_text()
    assert page.count('class="vega-spec"') >= 5 and "Routes between units" in page and "<script" in page


def test_calibrate_reports_every_corrupted_row_and_still_writes_a_valid_scenario(sim_csv, tmp_path, capsys):
    """Bad rows appended to a good log: each is in the rejects file with its row number and reason, the counts
    reconcile on screen and in the YAML, and the scenario still validates."""
    lines = sim_csv.read_text().splitlines()
    header = lines[0].split(",")
    good = lines[1].split(",")
    col = {c: i for i, c in enumerate(header)}

    def bad(**kw) -> str:
        r = list(good)
        for k, v in kw.items():
            r[col[k]] = v
        return ",".join(r)

    extra = [
        bad(patient_id=""),
        bad(start="yesterday", patient_id="zz1"),
        bad(patient_id="zz2", start="2025-02-01T00:00:00", end="2025-01-01T00:00:00", ready_at=""),
    ]
    path = tmp_path / "corrupted.csv"
    path.write_text("\n".join(lines + extra) + "\n")
    n_good = len(lines) - 1
    out, rej = tmp_path / "s.yaml", tmp_path / "rej.csv"
    assert main(["calibrate", str(path), "--out", str(out), "--rejects", str(rej)]) == 0
    r = pd.read_csv(rej)
    assert r["row"].tolist() == [n_good + 1, n_good + 2, n_good + 3]
    # the file's own numbering (header = line 1), as the app's Calibrate page shows it: the last line is the
    # file's last row; the reader's columns stay first and unchanged
    assert (
        r["file_row"].tolist()
        == [n_good + 2, n_good + 3, n_good + 4]
        == [len(lines) + 1, len(lines) + 2, len(lines) + 3]
    )
    assert list(r.columns[:5]) == ["source", "row", "kind", "reason", "detail"] and r.columns[-1] == "file_row"
    assert r["reason"].tolist() == ["missing patient_id", "unparseable start", "end before start"]
    assert f"read {n_good + 3} = used {n_good} + rejected 3 + ignored 0" in out.read_text()
    assert "3" in capsys.readouterr().out
    load_scenario(out)


def test_calibrate_capacity_table_gives_the_beds(sim_csv, tmp_path):
    """Beds come from --capacity where given (and say so); the rest are estimated and flagged."""
    cap = tmp_path / "cap.csv"
    cap.write_text("unit,beds\nICU,12\n")
    out = tmp_path / "s.yaml"
    assert main(["calibrate", str(sim_csv), "--capacity", str(cap), "--out", str(out)]) == 0
    scn = load_scenario(out)
    assert scn.units["ICU"].beds == 12
    assert "WARD: " in out.read_text() and "ESTIMATED" in out.read_text()


def test_calibrate_dates_shifted_flag_gives_stated_defaults(sim_csv, tmp_path, capsys):
    """--dates-shifted on a real-looking log: default beds and scaled arrivals, flagged, and a scenario that runs."""
    out = tmp_path / "s.yaml"
    assert main(["calibrate", str(sim_csv), "--dates-shifted", "--out", str(out)]) == 0
    text = out.read_text()
    assert "DATES SHIFTED" in text and "DEFAULT" in text and "ARRIVAL RATES NOT FROM DATA" in text
    run_replication(_short(out), 0, keep_log=False)


def test_calibrate_without_out_prints_the_yaml(sim_csv, capsys):
    """No --out: the scenario YAML (with its comments) goes to standard output."""
    assert main(["calibrate", str(sim_csv)]) == 0
    assert "units:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "setup, args, needle",
    [
        ("missing_col", [], "missing required column(s) end"),
        ("bad_capacity", ["--capacity", "{cap}"], "cap.csv, line 3, field beds: 'many' is not a whole number"),
        ("unknown_suffix", [], "cannot tell the log's format"),
        ("bad_format", ["--format", "hl7"], "--format: expected one of"),
        ("no_file", [], "no such file"),
        ("all_rejected", [], "no usable stays"),
    ],
)
def test_calibrate_bad_input_exits_2_with_a_located_message(setup, args, needle, sim_csv, tmp_path, capsys):
    """Bad logs and bad capacity tables exit 2 naming the file (and line and field), without a traceback."""
    log = sim_csv
    if setup == "missing_col":
        log = tmp_path / "log.csv"
        log.write_text("patient_id,unit,start\na,W,2025-01-01T00:00:00\n")
    elif setup == "unknown_suffix":
        log = tmp_path / "log.txt"
        log.write_text("x")
    elif setup == "no_file":
        log = tmp_path / "absent.csv"
    elif setup == "all_rejected":
        log = tmp_path / "log.csv"
        log.write_text("patient_id,unit,start,end\n,W,2025-01-01T00:00:00,\n")
    cap = tmp_path / "cap.csv"
    cap.write_text("unit,beds\nICU,8\nWARD,many\n")
    argv = ["calibrate", str(log)] + [a.format(cap=cap) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in " ".join(err.split()) and "Traceback" not in err


def test_calibrate_mimic_fixture_folder_is_detected_as_shifted(tmp_path, capsys):
    """A MIMIC-IV folder (the three-patient fixture) is read by format, its dates reported shifted, its YAML valid."""
    out = tmp_path / "m.yaml"
    assert main(["calibrate", str(FIXTURES / "mimic-iv-demo-mini"), "--out", str(out)]) == 0
    text = out.read_text()
    assert "SHIFTED PER PATIENT" in text and "MIMIC-IV" in text
    load_scenario(out)


def test_calibrate_makes_plain_names_of_a_hospitals_own_unit_and_class_names(sim_csv, tmp_path, capsys):
    """A hospital's extract names its wards 'Ward 3' and its classes 'day case': names a scenario refuses. The
    calibrated scenario uses Ward_3 and day_case (it validates and runs), and its YAML says each original."""
    log = pd.read_csv(sim_csv)
    log["unit"] = log["unit"].map({"ICU": "Intensive Care (ICU)", "WARD": "Ward 3"})
    log["patient_class"] = "day case"
    path = tmp_path / "own_names.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "calibrated.yaml"
    assert main(["calibrate", str(path), "--out", str(out)]) == 0
    scn = load_scenario(out)
    assert set(scn.units) == {"ICU", "Ward_3"}
    assert [a.patient_class for a in scn.arrivals] == ["day_case"]
    text = out.read_text()
    assert "Ward_3 = Ward 3" in text and "ICU = Intensive Care (ICU)" in text and "day_case = day case" in text
