"""Calibrating discharge pathways (issue 14, point 3): shares by unit, NCTR delays and daily capacity from a log
with ``ready_to_leave`` and pathway labels; the round trip on a simulated year; bad ready times accounted for;
the label mapping; the NCTR-per-bed check.

The round trip's truth: a small hospital (MED 10 arrivals a day, SURG 6) with P1 daily starts by weekday
(3 Mon-Fri, 1 Sat, 0 Sun at 11:00), P2 a pool of 17 places (stay 14 days) and P3 0.8 starts a day at 14:00,
and shares by unit. The shares are compared with the scenario's, the delays with the simulated log's own
figures (end - ready_to_leave, open ones to the end of the log).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hospital_twin.calibration.adt import read_adt
from hospital_twin.calibration.fit_pathways import (
    PathwayFit,
    nctr_check,
    parse_pathway_labels,
    pathway_name,
    replay_daily,
)
from hospital_twin.calibration.pipeline import calibrate_simulated
from hospital_twin.calibration.sitrep import nctr_target
from hospital_twin.calibration.stays import prepare_stays
from hospital_twin.cli import main
from hospital_twin.scenario.io import load_scenario_text

TRUTH = """
name: Pathway round trip
start: 2025-01-06T00:00:00
horizon_days: 365
warmup_days: 35
replications: 1
seed: 3
units:
  MED:  {beds: 90, when_full: queue}
  SURG: {beds: 40, when_full: queue}
arrivals:
  - {name: med, unit: MED, per_day: 10.0}
  - {name: surg, unit: SURG, per_day: 6.0}
length_of_stay:
  MED: {distribution: lognormal, mean_hours: 120, cv: 0.8}
  SURG: {distribution: gamma, mean_hours: 72, cv: 0.7}
discharge_pathways:
  P1: {label: home with support, starts_by_weekday: [3, 3, 3, 3, 3, 1, 0], start_hour: 11}
  P2: {label: community bed, places: 17, stay: {distribution: lognormal, mean_hours: 336, cv: 0.5}}
  P3: {label: care home, starts_per_day: 0.8, start_hour: 14}
pathway_shares:
  MED: {P1: 0.12, P2: 0.08, P3: 0.05}
  SURG: {P1: 0.08, P2: 0.03, P3: 0.02}
"""


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    scenario = load_scenario_text(TRUTH, name="truth.yaml")
    folder = tmp_path_factory.mktemp("pathways")
    run = calibrate_simulated(scenario, folder)
    log = pd.read_csv(folder / "simulated_log.csv", parse_dates=["start", "end", "ready_to_leave"])
    return scenario, run, log


def test_round_trip_recovers_the_pathway_shares_within_3_points(round_trip):
    """The fitted share of each pathway per unit is within 0.03 of the scenario's share."""
    scenario, run, _ = round_trip
    fitted = run.scenario.pathway_shares
    for unit, shares in scenario.pathway_shares.items():
        for k, share in shares.items():
            assert fitted[unit][k] == pytest.approx(share, abs=0.03), (unit, k)


def test_round_trip_recovers_the_nctr_delays_within_10_percent(round_trip):
    """Each pathway's fitted mean NCTR delay is within 10% of the simulated log's own (end - ready_to_leave)."""
    _, run, log = round_trip
    t_obs = max(log["start"].max(), log["end"].max())
    on = log["discharge_destination"].isin(["P1", "P2", "P3"])
    delay = (log["end"].fillna(t_obs) - log["ready_to_leave"]) / pd.Timedelta(hours=1)
    truth = delay[on].groupby(log.loc[on, "discharge_destination"]).mean()
    fitted = run.calibration.pathways.pathways_
    assert set(fitted) == {"P1", "P2", "P3"}
    for k, mean_h in truth.items():
        assert fitted[k].delay_mean_h == pytest.approx(mean_h, rel=0.10), k


def test_round_trip_recovers_the_daily_capacity_and_start_hour(round_trip):
    """P1's starts by weekday and P3's starts a day come back from the days with a queue; the start hours exactly;
    the pool P2 is recognised as not batched and written without a queue (its delay as the assessment)."""
    _, run, _ = round_trip
    pw = run.scenario.discharge_pathways
    assert pw["P1"].starts_week() == [3, 3, 3, 3, 3, 1, 0] and pw["P1"].start_hour == 11
    assert np.mean(pw["P3"].starts_week()) == pytest.approx(0.8, rel=0.05) and pw["P3"].start_hour == 14
    assert pw["P2"].kind == "unlimited" and pw["P2"].assessment is not None
    p2 = run.calibration.pathways.pathways_["P2"]
    assert p2.kind == "spread" and p2.starts_per_day > 0
    assert "Equivalent daily capacity starts_per_day" in run.yaml


def test_round_trip_fits_stays_without_the_nctr_time(round_trip):
    """Stays of pathway patients end at ready_to_leave in the stay fit: the fitted means stay near the truth's
    (MED 120 h, SURG 72 h) instead of carrying the NCTR delay twice."""
    _, run, _ = round_trip
    assert run.calibration.stays.units_["MED"].mean_h == pytest.approx(120, rel=0.05)
    assert run.calibration.stays.units_["SURG"].mean_h == pytest.approx(72, rel=0.05)


def test_round_trip_yaml_has_the_pathway_provenance(round_trip):
    """The calibrated YAML says where the pathways came from: labels, shares with intervals, n, method."""
    _, run, _ = round_trip
    text = run.yaml
    assert "# Discharge pathways (last stay of a spell" in text
    assert "#   shares MED (n=" in text and "95%" in text
    assert "mean starts on the days with a queue" in text


def _log_csv(tmp_path, rows: list[str], header="patient_id,unit,start,end,discharge_destination,ready_to_leave"):
    p = tmp_path / "log.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    return p


def test_bad_ready_to_leave_values_are_rejected_with_row_and_reason(tmp_path):
    """ready_to_leave after end, before start or unparseable rejects the row (named by row and reason), and the
    counts reconcile: read = used + rejected."""
    p = _log_csv(
        tmp_path,
        [
            "a,MED,2025-01-06T08:00,2025-01-09T11:00,P1,2025-01-08T09:00",  # fine
            "b,MED,2025-01-06T08:00,2025-01-09T11:00,P1,2025-01-10T09:00",  # after end
            "c,MED,2025-01-06T08:00,2025-01-09T11:00,P1,2025-01-05T09:00",  # before start
            "d,MED,2025-01-06T08:00,2025-01-09T11:00,P1,soon",  # unparseable
            "e,MED,2025-01-06T08:00,,P2,2025-01-08T09:00",  # still waiting: fine
        ],
    )
    r = read_adt(p)
    assert r.read == r.used + r.rejected + r.ignored == 5
    assert r.used == 2
    got = dict(zip(r.rejects["row"], r.rejects["reason"], strict=True))
    assert got == {2: "ready_to_leave after end", 3: "ready_to_leave before start", 4: "unparseable ready_to_leave"}
    assert r.rejects.set_index("row").loc[2, "detail"] == "ready_to_leave is 22.0 h after end"


def test_medically_ready_at_is_read_as_ready_to_leave(tmp_path):
    """A log naming the column medically_ready_at is read as ready_to_leave, and says so in its notes."""
    p = _log_csv(
        tmp_path,
        ["a,MED,2025-01-06T08:00,2025-01-09T11:00,P1,2025-01-08T09:00"],
        header="patient_id,unit,start,end,discharge_destination,medically_ready_at",
    )
    r = read_adt(p)
    assert r.stays.loc[0, "ready_to_leave"] == pd.Timestamp("2025-01-08T09:00")
    assert any("medically_ready_at" in n for n in r.notes)


@pytest.mark.parametrize(
    "label, expected",
    [("P1", "P1"), ("p2", "P2"), ("pathway 3", "P3"), ("Pathway-1", "P1"), ("P0", None), ("home", None)],
)
def test_labels_spelling_a_pathway_name_it(label, expected):
    """P1..P3 in any common spelling name the pathway; P0 and other labels are home without support."""
    assert pathway_name(label) == expected


def test_user_labels_map_to_pathways_and_bad_items_are_refused():
    """--pathway-label 'care home=P3' maps that label (case-insensitive); P0 maps a label home; LABEL=NAME
    without a name or with a name the scenario cannot take is a clear error."""
    labels = parse_pathway_labels(["care home=P3", "Died=other", "P2=p0"])
    assert pathway_name("Care Home ", labels) == "P3"
    assert pathway_name("died", labels) == "other"
    assert pathway_name("p2", labels) is None  # mapped home
    with pytest.raises(ValueError, match="expected LABEL=NAME"):
        parse_pathway_labels(["care home"])
    with pytest.raises(ValueError, match="care home=3 beds"):
        parse_pathway_labels(["care home=3 beds"])


def _stays(rows):
    df = pd.DataFrame(
        rows, columns=["patient_id", "unit", "start", "end", "discharge_destination", "ready_to_leave"]
    ).assign(
        start=lambda d: pd.to_datetime(d["start"]),
        end=lambda d: pd.to_datetime(d["end"]),
        ready_to_leave=lambda d: pd.to_datetime(d["ready_to_leave"]),
    )
    return prepare_stays(df)


def test_shares_by_last_unit_with_mapped_labels_by_hand():
    """Shares are over the patients leaving from a unit (the spell's last unit); a mapped label counts; a
    transfer's earlier stay does not; an open pathway stay is a leaver still waiting (censored delay)."""
    rows = [
        ("1", "MED", "2025-01-06 08:00", "2025-01-08 11:00", "care home", "2025-01-07 11:00"),  # P3, 24 h
        ("2", "MED", "2025-01-06 09:00", "2025-01-07 10:00", "home", None),
        ("3", "MED", "2025-01-06 10:00", "2025-01-07 10:00", None, "2025-01-07 10:00"),
        ("3", "SURG", "2025-01-07 10:00", "2025-01-09 11:00", "P1", "2025-01-08 23:00"),  # P1, 12 h
        ("4", "MED", "2025-01-06 11:00", None, "care home", "2025-01-09 12:00"),  # P3, open
        ("5", "MED", "2025-01-06 12:00", "2025-01-10 12:00", "home", None),  # the log ends here
    ]
    fit = PathwayFit({"care home": "P3"}).fit(_stays(rows))
    sh = fit.shares_.set_index(["unit", "pathway"])
    assert sh.loc[("MED", "P3"), ["n", "leavers"]].tolist() == [2, 4]
    assert sh.loc[("MED", "P0"), "n"] == 2 and sh.loc[("SURG", "P1"), "share"] == 1.0
    p3 = fit.pathways_["P3"]
    assert p3.n == 2 and p3.n_open == 1
    assert p3.delay_mean_h == pytest.approx((24 + 24) / 2)  # the open one waited 2025-01-09 12:00 -> 01-10 12:00
    assert fit.pathways_["P1"].delay_mean_h == pytest.approx(12)


def test_without_ready_to_leave_pathways_are_not_fitted_and_it_says_so():
    """Pathway labels without ready times fit no pathway (the NCTR time stays in the stays) and leave a note."""
    rows = [("1", "MED", "2025-01-06 08:00", "2025-01-08 11:00", "P1", None)]
    fit = PathwayFit().fit(_stays(rows))
    assert not fit.fitted and "no ready_to_leave" in fit.notes_[0]


def test_replay_daily_by_hand():
    """Three patients ready Monday 09:00, 10:00, 12:00 and one start a day at 11:00: they start Mon, Tue, Wed
    11:00, waiting 2, 25 and 47 h."""
    ready = pd.Series(pd.to_datetime(["2025-01-06 09:00", "2025-01-06 10:00", "2025-01-06 12:00"]))
    mean_h, left = replay_daily(ready, [1] * 7, 11.0, pd.Timestamp("2025-01-20"))
    assert left == 0 and mean_h == pytest.approx((2 + 25 + 47) / 3)


def test_nctr_check_is_littles_law_and_finds_the_capacity_scale(round_trip):
    """Expected NCTR = sum over pathways of patients ready a day x mean delay (days); the suggested scale of the
    daily pathways' starts meets the target when replayed; nothing fitted changes."""
    _, run, _ = round_trip
    fit = run.calibration.pathways
    little = sum(
        e.rate_per_day * (e.replay_delay_mean_h if e.kind == "daily" else e.delay_mean_h) / 24
        for e in fit.pathways_.values()
    )
    before = {k: list(e.starts_by_weekday or []) for k, e in fit.pathways_.items()}
    check = nctr_check(fit, 100, 0.05, "test")
    assert check.nctr_expected == pytest.approx(little)
    assert check.capacity_scale is not None and check.capacity_scale < 1  # more NCTR wanted: fewer starts
    assert fit.expected_nctr(check.capacity_scale) / 100 == pytest.approx(0.05, rel=0.02)
    assert {k: list(e.starts_by_weekday or []) for k, e in fit.pathways_.items()} == before
    assert "gap" in check.sentence() and "not applied" in check.sentence()


def test_nctr_target_of_a_trust_is_the_median_ratio_of_the_sitreps(tmp_path):
    """A trust code's target is the median over its days of NCTR / that month's G&A beds (zeros left out)."""
    pd.DataFrame(
        {
            "nhs_trust22_code": ["RXX"] * 4,
            "date": ["2023-01-01", "2023-01-02", "2023-02-01", "2023-02-02"],
            "do_not_meet_criteria_to_reside": [20, 0, 30, 40],
        }
    ).to_csv(tmp_path / "england_trust_criteria_to_reside.csv.gz", index=False)
    pd.DataFrame(
        {
            "nhs_trust22_code": ["RXX", "RXX"],
            "date": ["January 2023", "February 2023"],
            "general_acute_beds_available": [100, 200],
        }
    ).to_csv(tmp_path / "england_critical_general_acute_beds.csv.gz", index=False)
    value, where = nctr_target("rxx", tmp_path)
    assert value == pytest.approx(0.2)  # median of 0.2, 0.15, 0.2
    assert "RXX" in where and "3 days" in where
    assert nctr_target("0.26", tmp_path) == (0.26, "given with --nctr-target")
    with pytest.raises(ValueError, match="no trust 'RYY'"):
        nctr_target("RYY", tmp_path)


def test_cli_bad_pathway_label_and_unknown_trust_exit_2(tmp_path, capsys):
    """A malformed --pathway-label and a trust not in the sitrep exit 2 with the option named, no traceback."""
    p = _log_csv(tmp_path, ["a,MED,2025-01-06T08:00,2025-01-09T11:00,P1,2025-01-08T09:00"])
    assert main(["calibrate", str(p), "--pathway-label", "care home"]) == 2
    assert main(["calibrate", str(p), "--nctr-target", "QQQ", "--sitrep-data", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--pathway-label 'care home': expected LABEL=NAME" in err and "--nctr-target QQQ" in err
    assert "Traceback" not in err


def test_calibration_report_has_the_pathway_section(round_trip):
    """The calibration report shows the pathways: shares by unit with intervals, delays, capacity written."""
    from hospital_twin.reporting.calibration_report import build_calibration_report, pathways_table

    _, run, _ = round_trip
    html = build_calibration_report(run.calibration, list(run.reads), run.dates, scenario_text=run.yaml)
    assert 'id="pathways"' in html and "95% (Wilson)" in html and "daily at 14 h" in html
    table = pathways_table(run.calibration)
    assert table["pathway"].tolist() == ["P1", "P2", "P3"] and (table["patients"] > 0).all()


def test_rounded_shares_never_add_up_to_more_than_one():
    """Every leaver on a pathway, split 1:1:4: rounded to 4 figures (0.1667 + 0.1667 + 0.6667) they would sum to
    1.0001, which the scenario refuses; the excess comes off the largest share."""

    class _Estimate:
        spec = {"starts_per_day": 1.0}

    fit = PathwayFit()
    fit.pathways_ = {k: _Estimate() for k in ("P1", "P2", "P3")}
    fit.shares_ = pd.DataFrame(
        [("WARD", k, n, 600, n / 600, 0.0, 0.0) for k, n in (("P1", 100), ("P2", 100), ("P3", 400), ("P0", 0))],
        columns=["unit", "pathway", "n", "leavers", "share", "ci_low", "ci_high"],
    )
    _, shares = fit.scenario_sections()
    assert sum(shares["WARD"].values()) <= 1.0 + 1e-12
    assert shares["WARD"]["P1"] == 0.1667 and abs(shares["WARD"]["P3"] - 0.6666) < 1e-9
