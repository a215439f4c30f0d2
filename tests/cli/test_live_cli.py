"""The live twin at the command line: ``census`` from an event log, ``forecast`` from a snapshot."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hospital_twin.cli import main
from hospital_twin.live.census import census_counts
from hospital_twin.live.forecast import FORECAST_COLUMNS
from hospital_twin.results import adt_log
from hospital_twin.scenario.io import load_scenario
from hospital_twin.sim.model import HospitalSim
from tests.conftest import SCENARIOS

ICU = SCENARIOS / "examples" / "icu_to_ward.yaml"
BASELINE = SCENARIOS / "baseline.yaml"
AT = "2025-02-10T08:00:00"


@pytest.fixture(scope="module")
def icu_log(tmp_path_factory):
    """A simulated log of two replications as `run` writes it (with a rep column)."""
    s = load_scenario(ICU).model_copy(update={"horizon_days": 40, "warmup_days": 0})
    log = pd.concat([adt_log(HospitalSim(s, r, 5).run()) for r in (0, 1)], ignore_index=True)
    path = tmp_path_factory.mktemp("live") / "adt_log.csv"
    log.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S")
    return path, log


def test_census_needs_rep_for_a_log_of_several_replications(icu_log, capsys):
    """A log with two replications and no --rep gives exit 2 naming --rep."""
    path, _ = icu_log
    assert main(["census", str(path), "--at", AT]) == 2
    err = capsys.readouterr().err
    assert "2 replications" in err and "--rep" in err and "Traceback" not in err


def test_census_writes_the_snapshot_in_the_contract_schema(icu_log, tmp_path, capsys):
    """census --rep --out writes patient_id, unit, unit_start, ... with the patients in a bed at --at."""
    path, log = icu_log
    out = tmp_path / "snap.csv"
    assert main(["census", str(path), "--at", AT, "--rep", "1", "--out", str(out)]) == 0
    snap = pd.read_csv(out)
    assert list(snap.columns[:5]) == ["patient_id", "unit", "unit_start", "patient_class", "admitted_at"]
    assert {"ready_to_leave", "next_unit", "waiting_since"} <= set(snap.columns)
    in_bed = snap[snap["unit_start"].notna()]
    expected = census_counts(log[log["rep"] == 1], [AT], units=["ICU", "WARD"]).set_index("unit")["census"]
    assert in_bed.groupby("unit").size().reindex(expected.index, fill_value=0).tolist() == expected.tolist()
    assert snap["patient_id"].str.startswith("1-").all()
    printed = capsys.readouterr().out
    assert "ICU" in printed and "written to" in printed


def test_census_of_a_compare_log_needs_scenario(icu_log, tmp_path, capsys):
    """A log written by compare (scenario column, same patients in each) needs --scenario; with it, no row is lost."""
    path, log = icu_log
    one = log[log["rep"] == 0]
    cmp_path = tmp_path / "cmp.csv"
    pd.concat([one.assign(scenario="base"), one.assign(scenario="more beds")]).to_csv(
        cmp_path, index=False, date_format="%Y-%m-%dT%H:%M:%S"
    )
    assert main(["census", str(cmp_path), "--at", AT]) == 2
    assert "--scenario" in capsys.readouterr().err
    out = tmp_path / "s.csv"
    assert main(["census", str(cmp_path), "--at", AT, "--scenario", "more beds", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "could not be used" not in captured.err
    assert len(pd.read_csv(out)) > 0
    assert main(["census", str(cmp_path), "--at", AT, "--scenario", "nope"]) == 2
    assert "no such scenario" in capsys.readouterr().err


def test_census_rejects_a_bad_time(icu_log, capsys):
    """--at that is not ISO 8601 gives exit 2 naming the option."""
    path, _ = icu_log
    assert main(["census", str(path), "--at", "yesterday", "--rep", "0"]) == 2
    assert "--at" in capsys.readouterr().err


def _forecast(icu_log, tmp_path, *extra: str) -> tuple[int, object]:
    path, _ = icu_log
    snap = tmp_path / "snap.csv"
    assert main(["census", str(path), "--at", AT, "--rep", "0", "--out", str(snap)]) == 0
    out = tmp_path / "fc"
    rc = main(
        [
            "forecast",
            str(ICU),
            "--census",
            str(snap),
            "--now",
            "2025-02-10T08:00:00+00:00",
            "--hours",
            "24",
            "--replications",
            "8",
            "--seed",
            "3",
            "--workers",
            "1",
            "--out",
            str(out),
            *extra,
        ]
    )
    return rc, out


def test_forecast_writes_csv_and_provenance(icu_log, tmp_path, capsys):
    """forecast writes forecast.csv (contract columns first, hourly) and run.json, and prints the +24 h table."""
    rc, out = _forecast(icu_log, tmp_path, "--no-html")
    assert rc == 0
    table = pd.read_csv(out / "forecast.csv")
    assert list(table.columns[:7]) == FORECAST_COLUMNS
    assert set(table["unit"]) == {"ICU", "WARD", "ALL"} and len(table) == 3 * 25
    assert table["time"].iloc[0] == "2025-02-10T08:00:00"  # the offset is read and dropped (wall clock)
    run = json.loads((out / "run.json").read_text())
    assert run["replications"] == 8 and run["seed"] == 3 and run["hours"] == 24
    assert set(run["files"]) == {"forecast.csv", "run.json"}
    printed = capsys.readouterr().out
    assert "+24 h" in printed and "P(full)" in printed


@pytest.mark.slow
def test_forecast_html_is_self_contained(icu_log, tmp_path):
    """forecast.html holds its charts (fan, P(full), flows) and the Vega scripts; nothing is fetched."""
    rc, out = _forecast(icu_log, tmp_path)
    assert rc == 0
    html = (out / "forecast.html").read_text()
    assert html.count('class="vega-spec"') >= 3 and "<script src=" not in html and "vegaEmbed" in html
    assert "forecast.html" in json.loads((out / "run.json").read_text())["files"]


def test_forecast_bad_census_exits_two_with_file_line_and_field(tmp_path, capsys):
    """An invalid snapshot row gives exit 2 with the file, its line and the field; nothing is written."""
    snap = tmp_path / "bad.csv"
    snap.write_text("patient_id,unit,unit_start\n1,ICU,2025-02-20T01:00\n2,WRAD,2025-02-19T01:00\n")
    out = tmp_path / "fc"
    rc = main(
        ["forecast", str(ICU), "--census", str(snap), "--now", "2025-02-20T08:00", "--hours", "6", "--out", str(out)]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert f"{snap}:3: unit" in err and "did you mean 'WARD'" in err and "Traceback" not in err
    assert not out.exists()


def test_forecast_requires_now(tmp_path, capsys):
    """--now is required (the contract); leaving it out is a usage error (exit 2)."""
    snap = tmp_path / "s.csv"
    snap.write_text("patient_id,unit,unit_start\n1,ICU,2025-02-20T01:00\n")
    assert main(["forecast", str(ICU), "--census", str(snap), "--hours", "6"]) == 2


def test_census_and_forecast_on_the_shipped_baseline(tmp_path, capsys):
    """The shipped baseline: a snapshot from its simulated log forecasts every unit, ED boarding included."""
    s = load_scenario(BASELINE).model_copy(update={"horizon_days": 5, "warmup_days": 28})
    log_path = tmp_path / "adt_log.parquet"
    adt_log(HospitalSim(s, 0, 8).run()).to_parquet(log_path, index=False)
    snap = tmp_path / "snap.csv"
    at = (pd.Timestamp(s.start) + pd.Timedelta(days=30, hours=9)).isoformat()
    assert main(["census", str(log_path), "--at", at, "--out", str(snap)]) == 0
    out = tmp_path / "fc"
    assert (
        main(
            [
                "forecast",
                str(BASELINE),
                "--census",
                str(snap),
                "--now",
                at,
                "--hours",
                "6",
                "--replications",
                "3",
                "--workers",
                "1",
                "--no-html",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out / "forecast.csv")
    assert set(table["unit"]) == set(s.units) | {"ALL"}
    ed = table[table["unit"] == "ED"]
    assert ed["boarding_mean"].notna().all()
    assert not (out / "forecast.html").exists()
    first = table[table["horizon_h"] == 0].set_index("unit")["mean"]
    snapshot = pd.read_csv(snap)
    counts = snapshot[snapshot["unit_start"].notna()].groupby("unit").size()
    assert first.drop("ALL").astype(int).to_dict() == counts.reindex(first.drop("ALL").index, fill_value=0).to_dict()


def test_run_writes_unmet_requests_and_census_finds_them_next_to_the_log(tmp_path, capsys):
    """run writes requests.csv beside adt_log.csv; census picks it up, so a patient waiting at --at who
    was cancelled later is in the snapshot's queue (the log alone has no row for it); a bad row in a
    --requests file names its line and field."""
    yaml = tmp_path / "ward.yaml"
    yaml.write_text(
        "name: busy ward\nstart: 2025-01-06T00:00:00\nhorizon_days: 6\nwarmup_days: 0\nreplications: 1\nseed: 4\n"
        "units:\n  WARD: {beds: 2, when_full: queue}\n"
        "arrivals:\n  - {name: emergencies, unit: WARD, per_day: 5.0}\n"
        "electives:\n  - {name: list, unit: WARD, per_weekday: [3, 3, 3, 3, 3, 0, 0], hour: 8, cancel_after_hours: 3}\n"
        "length_of_stay:\n  WARD: {distribution: exponential, mean_hours: 10}\n",
        encoding="utf-8",
    )
    out = tmp_path / "res"
    assert main(["run", str(yaml), "--out", str(out), "--format", "csv", "--workers", "1", "--replications", "3"]) == 0
    req = pd.read_csv(out / "requests.csv")
    assert set(req["rep"]) == {0, 1, 2}
    req = req[req["rep"] == 0].reset_index(drop=True)
    assert {"patient_id", "unit", "ready_at", "withdrawn_at", "outcome"} <= set(req.columns)
    assert "requests.csv" in json.loads((out / "run.json").read_text())["files"]
    cancelled = req[req["outcome"] == "cancelled"].iloc[0]
    at = (pd.Timestamp(cancelled["ready_at"]) + pd.Timedelta(minutes=30)).isoformat()
    snap_path = tmp_path / "snap.csv"
    capsys.readouterr()
    assert main(["census", str(out / "adt_log.csv"), "--at", at, "--rep", "0", "--out", str(snap_path)]) == 0
    assert "requests.csv" in capsys.readouterr().err
    snap = pd.read_csv(snap_path)
    queue = snap[snap["unit_start"].isna()]
    assert cancelled["patient_id"] in set(queue["patient_id"])
    assert queue["patient_id"].str.startswith("0-").all()  # only replication 0's requests
    assert queue.set_index("patient_id").loc[cancelled["patient_id"], "arrival_source"] == "elective"
    bad = tmp_path / "requests_bad.csv"
    req.assign(ready_at=req["ready_at"].where(req.index != 1, "yesterday")).to_csv(bad, index=False)
    assert main(["census", str(out / "adt_log.csv"), "--at", at, "--rep", "0", "--requests", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "requests_bad.csv" in err and ":3" in err and "ready_at" in err and "Traceback" not in err


def test_census_writes_vacated_beds_that_forecast_reads(icu_log, tmp_path, capsys):
    """census --vacated writes unit, vacated_at of the beds freed in the 24 h before --at; forecast --vacated
    takes it (provenance names it); a vacated_at after --now is refused with the file, line and field."""
    path, log = icu_log
    snap, freed = tmp_path / "snap.csv", tmp_path / "vacated.csv"
    assert main(["census", str(path), "--at", AT, "--rep", "1", "--out", str(snap), "--vacated", str(freed)]) == 0
    table = pd.read_csv(freed)
    one = log[log["rep"] == 1]
    at = pd.Timestamp(AT)
    ends = pd.to_datetime(one["end"])
    assert len(table) == int(((ends <= at) & (ends > at - pd.Timedelta(hours=24))).sum()) > 0
    out = tmp_path / "fc"
    assert (
        main(
            [
                "forecast",
                str(ICU),
                "--census",
                str(snap),
                "--now",
                AT,
                "--hours",
                "6",
                "--replications",
                "2",
                "--workers",
                "1",
                "--out",
                str(out),
                "--no-html",
                "--vacated",
                str(freed),
            ]
        )
        == 0
    )
    assert json.loads((out / "run.json").read_text())["vacated_file"] == str(freed)
    table.loc[1, "vacated_at"] = "2025-02-11T08:00:00"
    table.to_csv(freed, index=False)
    capsys.readouterr()
    assert (
        main(
            [
                "forecast",
                str(ICU),
                "--census",
                str(snap),
                "--now",
                AT,
                "--hours",
                "6",
                "--replications",
                "2",
                "--workers",
                "1",
                "--out",
                str(out),
                "--no-html",
                "--vacated",
                str(freed),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "vacated.csv:3" in err and "vacated_at" in err and "Traceback" not in err


def test_census_warns_that_a_forecast_treats_outliers_as_patients_of_the_unit_they_are_in(tmp_path, capsys):
    """The baseline outlies: a snapshot taken while medical patients are on other wards says how many, where,
    and what a forecast will make of them (a warm start does not know outliers yet), not silently."""
    s = load_scenario(BASELINE).model_copy(update={"horizon_days": 21, "warmup_days": 7})
    log = adt_log(HospitalSim(s, 0, 8).run())
    outliers = log[log["home_unit"].notna()]
    assert len(outliers)
    row = outliers.iloc[0]
    at = (pd.Timestamp(row["start"]) + pd.Timedelta(minutes=1)).isoformat()
    log_path = tmp_path / "adt_log.csv"
    log.to_csv(log_path, index=False)
    assert main(["census", str(log_path), "--at", at]) == 0
    err = capsys.readouterr().err
    assert "are outliers" in err and f"of {row['home_unit']} in {row['unit']}" in err
    assert "no move back to its home unit" in err
