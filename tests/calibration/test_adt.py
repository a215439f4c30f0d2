"""Reading ADT logs: the canonical CSV/Parquet log, MIMIC-IV and XES adapters; every row accounted for."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from hospital_twin.calibration import (
    MIMIC_UNIT_GROUPS,
    LogError,
    read_adt,
    read_mimic_iv,
    read_xes,
)
from hospital_twin.experiment.runner import run_replication
from hospital_twin.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[2] / "scenarios" / "logs"  # sample logs, shared with the app
SHARED = REPO.parent / "shared" / "data"
MIMIC_DEMO = SHARED / "mimic-iv-demo"
SEPSIS_XES = SHARED / "sepsis-4tu" / "Sepsis Cases - Event Log.xes.gz"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sim_log() -> pd.DataFrame:
    """The event log of one short replication of the ICU -> ward example."""
    scn = load_scenario(REPO / "scenarios" / "examples" / "icu_to_ward.yaml")
    scn = scn.model_copy(update={"horizon_days": 30, "warmup_days": 0})
    return run_replication(scn, 0, keep_census=False).adt_log


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")
    return path


# ----------------------------------------------------------------------------- the canonical log


def test_simulated_log_reads_back_with_every_row_used(sim_log, tmp_path):
    path = tmp_path / "adt_log.csv"
    sim_log.to_csv(path, index=False)
    r = read_adt(path)
    assert (r.read, r.used, r.rejected, r.ignored) == (len(sim_log), len(sim_log), 0, 0)
    cols = ["patient_id", "unit", "start", "end"]
    back = r.stays[cols].astype({"unit": str})
    want = sim_log[cols].astype({"unit": str, "start": "datetime64[us]", "end": "datetime64[us]"})
    pd.testing.assert_frame_equal(back.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_every_format_gives_the_same_stays(sim_log, tmp_path, suffix):
    path = tmp_path / f"log{suffix}"
    sim_log.to_parquet(path, index=False) if suffix == ".parquet" else sim_log.to_csv(path, index=False)
    ref = tmp_path / "ref.csv"
    sim_log.to_csv(ref, index=False)
    got, want = read_adt(path), read_adt(ref)
    assert got.used == want.used == len(sim_log)
    cols = ["patient_id", "unit", "start", "end", "ready_at", "ready_to_leave", "arrival_source"]
    pd.testing.assert_frame_equal(got.stays[cols], want.stays[cols])


@pytest.fixture
def corrupted(sim_log, tmp_path):
    """The simulated log as CSV with one bad row of each kind; returns (path, {row: reason}, n_good)."""
    log = sim_log.drop(columns=["ready_to_leave", "seen_at", "rep"]).copy()
    for c in ("start", "end", "ready_at"):
        log[c] = log[c].dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
    header = list(log.columns)
    good = log.astype("string").fillna("").values.tolist()
    i = {c: k for k, c in enumerate(header)}
    first = next(r for r in good if r[i["end"]])  # a closed stay

    def row(**kw) -> list[str]:
        r = dict(zip(header, first, strict=True))
        r.update(kw)
        return [r[c] for c in header]

    bad = [
        (row(patient_id=""), "missing patient_id"),
        (row(patient_id="x1", unit=""), "missing unit"),
        (row(patient_id="x2", start="", ready_at=""), "missing start"),
        (row(patient_id="x3", start="yesterday"), "unparseable start"),
        (row(patient_id="x4", end="2025-13-45T25:00:00"), "unparseable end"),
        (row(patient_id="x5", start="2025-01-10T00:00:00", end="2025-01-09T00:00:00", ready_at=""), "end before start"),
        (row(patient_id="x6", ready_at="2099-01-01T00:00:00"), "ready_at after start"),
        (list(first), "duplicate row"),
        (row(unit="WARD", start=first[i["start"]], end="2099-01-01T00:00:00", ready_at=""), "overlapping stay"),
        (row(patient_id="x7", end=""), "open stay before a later stay"),
        ([""], "blank row"),  # an empty line
        (["too", "many", "fields"] + [""] * len(header), "malformed CSV row"),
    ]
    lines, expected = [], {}
    for k, r in enumerate(good):
        lines.append(r)
        if k % 7 == 3 and bad:  # spread the bad rows through the file
            b, why = bad.pop(0)
            lines.append(b)
            expected[len(lines)] = why
    later = row(patient_id="x7", start="2026-01-01T00:00:00", end="2026-01-02T00:00:00", ready_at="")
    lines.append(later)  # the stay that makes x7's open stay impossible
    path = tmp_path / "corrupted.csv"
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(r) for r in lines) + "\n")
    assert not bad
    return path, expected, len(good) + 1


def test_each_bad_row_is_reported_with_its_row_number_and_reason(corrupted):
    path, expected, _ = corrupted
    r = read_adt(path)
    got = dict(zip(r.rejects["row"], r.rejects["reason"], strict=True))
    assert got == expected
    dup = r.rejects.loc[r.rejects["reason"] == "duplicate row", "detail"].item()
    first_row = 1 + next(k for k, line in enumerate(path.read_text().splitlines()[1:]) if line.split(",")[3])
    assert dup == f"same as row {first_row}"  # the first closed stay, kept


def test_counts_reconcile_and_the_input_file_is_unchanged(corrupted):
    path, expected, n_good = corrupted
    before, mtime = sha256(path), path.stat().st_mtime_ns
    r = read_adt(path)
    assert r.read == n_good + len(expected) == r.used + r.rejected
    assert r.used == n_good and r.rejected == len(r.rejects) == len(expected)
    assert (sha256(path), path.stat().st_mtime_ns) == (before, mtime)
    assert r.sha256 == before


def test_overlaps_are_judged_against_kept_stays_only(tmp_path):
    path = write_csv(
        tmp_path / "o.csv",
        ["patient_id", "unit", "start", "end"],
        [
            ["p", "ICU", "2025-01-01T00:00", "2025-01-01T10:00"],
            ["p", "WARD", "2025-01-01T05:00", "2025-01-05T00:00"],  # overlaps row 1: rejected
            ["p", "WARD", "2025-01-01T20:00", "2025-01-02T06:00"],  # overlaps only the rejected row 2: kept
            ["p", "HOME", "2025-01-02T06:00", ""],  # touches row 3: kept, open
        ],
    )
    r = read_adt(path)
    assert r.rejects["row"].tolist() == [2]
    assert r.rejects["detail"].item() == "overlaps row 1 (ICU 2025-01-01T00:00:00 to 2025-01-01T10:00:00)"
    assert r.stays["source_row"].tolist() == [1, 3, 4]


@pytest.mark.parametrize("column", ["patient_id", "unit", "start", "end"])
def test_missing_required_column_is_a_log_error_naming_it(tmp_path, column):
    header = [c for c in ["patient_id", "unit", "start", "end"] if c != column]
    path = write_csv(tmp_path / "no_col.csv", header, [["x"] * len(header)])
    with pytest.raises(LogError, match=rf"no_col\.csv: missing required column\(s\) {column}"):
        read_adt(path)


def test_time_zones_become_naive_utc(tmp_path):
    path = write_csv(
        tmp_path / "tz.csv",
        ["patient_id", "unit", "start", "end"],
        [
            ["a", "ED", "2025-03-30T01:30:00+01:00", "2025-03-30T03:30:00+02:00"],  # over a DST change: 1 h
            ["b", "ED", "2025-01-01T12:00:00Z", "2025-01-01T13:00:00.5+00:00"],
        ],
    )
    r = read_adt(path)
    assert r.timezone == "utc"
    assert r.stays["start"].tolist() == [pd.Timestamp("2025-03-30 00:30"), pd.Timestamp("2025-01-01 12:00")]
    assert ((r.stays["end"] - r.stays["start"]).dt.total_seconds() / 3600).tolist() == [1.0, 1.0 + 0.5 / 3600]


def test_naive_and_mixed_time_stamps_are_labelled(tmp_path):
    naive = write_csv(tmp_path / "n.csv", ["patient_id", "unit", "start", "end"], [["a", "ED", "2025-01-01 10:00", ""]])
    mixed = write_csv(
        tmp_path / "m.csv",
        ["patient_id", "unit", "start", "end"],
        [["a", "ED", "2025-01-01 10:00", "2025-01-01T12:00Z"]],
    )
    assert read_adt(naive).timezone == "naive"
    r = read_adt(mixed)
    assert r.timezone == "mixed" and "do not (kept as written)" in r.notes[0]


def test_parquet_with_tz_aware_times_reads_as_naive_utc(tmp_path):
    df = pd.DataFrame(
        {
            "patient_id": [1, 2],
            "unit": ["ICU", "WARD"],
            "start": pd.to_datetime(["2025-06-01 12:00", "2025-06-02 12:00"]).tz_localize("Europe/Amsterdam"),
            "end": pd.to_datetime(["2025-06-01 14:00", None]).tz_localize("Europe/Amsterdam"),
        }
    )
    path = tmp_path / "log.parquet"
    df.to_parquet(path, index=False)
    r = read_adt(path)
    assert r.used == 2 and r.timezone == "utc"
    assert r.stays["patient_id"].tolist() == ["1", "2"]
    assert r.stays["start"].iloc[0] == pd.Timestamp("2025-06-01 10:00")
    assert pd.isna(r.stays["end"].iloc[1])
    assert r.period == (pd.Timestamp("2025-06-01 10:00"), pd.Timestamp("2025-06-02 10:00"))


def test_header_only_file_reads_as_an_empty_log(tmp_path):
    r = read_adt(write_csv(tmp_path / "e.csv", ["patient_id", "unit", "start", "end"], []))
    assert (r.read, r.used, r.n_stays, r.period) == (0, 0, 0, (None, None))


def test_write_rejects_round_trips_and_never_overwrites_the_input(corrupted, tmp_path):
    path, expected, _ = corrupted
    r = read_adt(path)
    out = r.write_rejects(tmp_path / "rejects.csv")
    back = pd.read_csv(out)
    assert back["row"].tolist() == sorted(expected) and list(back.columns[:4]) == ["row", "kind", "reason", "detail"]
    with pytest.raises(LogError, match="refusing to overwrite"):
        r.write_rejects(path)


# ----------------------------------------------------------------------------- MIMIC-IV

MIMIC_MINI = FIXTURES / "mimic-iv-demo-mini"


def test_mimic_discharge_rows_are_ignored_and_counts_reconcile():
    r = read_mimic_iv(MIMIC_MINI)
    assert (r.read, r.used, r.rejected, r.ignored) == (31, 24, 0, 7)
    assert set(r.rejects["reason"]) == {"discharge event (ends the admission, not a stay)"}
    assert r.dates_shifted and not r.concurrency_reliable
    # no unit_map: the careunit as a plain scenario name, the careunit itself kept beside it
    pairs = set(zip(r.stays["careunit"], r.stays["unit"], strict=True))
    assert ("Emergency Department", "Emergency_Department") in pairs
    assert all(c.replace(" ", "_").replace("/", "_") == u or c.endswith(f"({u})") for c, u in pairs), pairs


def test_mimic_pathway_fields_follow_the_documented_mapping():
    r = read_mimic_iv(MIMIC_MINI, unit_map=MIMIC_UNIT_GROUPS)
    s = r.stays[r.stays["patient_id"] == "10003046"]  # a same-day surgical admission
    assert s["unit"].tolist() == ["DISCHARGE_LOUNGE", "ICU", "WARD"]
    assert s["patient_class"].unique().tolist() == ["elective"]
    assert s["arrival_source"].tolist() == ["referral", "DISCHARGE_LOUNGE", "ICU"]
    assert s["discharge_destination"].tolist()[:2] == [pd.NA, pd.NA]
    assert s["discharge_destination"].iloc[-1] == "home_with_care"
    ed_only = r.stays[r.stays["encounter_id"] == "ed-39300221"]
    assert ed_only[["unit", "patient_class", "discharge_destination"]].values.tolist() == [
        ["ED", "emergency", "not_admitted"]
    ]


@pytest.mark.skipif(not MIMIC_DEMO.is_dir(), reason="shared MIMIC-IV demo not present")
def test_full_mimic_demo_reads_every_transfer():
    r = read_mimic_iv(MIMIC_DEMO, unit_map=MIMIC_UNIT_GROUPS)
    assert (r.read, r.used, r.rejected, r.ignored) == (1190, 915, 0, 275)
    assert r.stays["patient_id"].nunique() == 100 and r.stays["encounter_id"].nunique() == 275 + 54
    assert not r.notes  # every careunit, admission type and location is in the mappings


# ----------------------------------------------------------------------------- XES

SEPSIS_MINI = FIXTURES / "sepsis-mini.xes"


def test_xes_events_are_all_accounted_for():
    r = read_xes(SEPSIS_MINI)
    assert r.read == 123 == r.used + r.rejected + r.ignored
    assert (r.used, r.rejected, r.n_stays) == (24, 0, 18)
    assert r.dates_shifted and not r.concurrency_reliable and r.timezone == "utc"


def test_xes_case_becomes_a_pathway_with_a_return_encounter():
    s = read_xes(SEPSIS_MINI).stays.set_index("patient_id").loc["AAA"]
    assert s["unit"].tolist() == ["ER", "NC", "ER"]
    assert s["encounter_id"].tolist() == ["AAA-1", "AAA-1", "AAA-2"]
    assert s["arrival_source"].tolist()[1:] == ["ER", "return_er"]
    assert s["discharge_destination"].tolist()[1] == "Release A"
    assert s["start"].iloc[0] == pd.Timestamp("2014-11-19 02:16:21")  # 03:16:21+01:00 in the file
    assert s["end"].iloc[0] == s["start"].iloc[1] and pd.isna(s["end"].iloc[2])


def test_xes_gzip_reads_like_plain(tmp_path):
    gz = tmp_path / "sepsis-mini.xes.gz"
    gz.write_bytes(gzip.compress(SEPSIS_MINI.read_bytes()))
    pd.testing.assert_frame_equal(read_xes(gz).stays, read_xes(SEPSIS_MINI).stays)


def _xes(traces: dict[str, list[tuple[str, str, str]]]) -> str:
    def event(activity, ts, lifecycle):
        return (
            f'<event><string key="concept:name" value="{activity}"/><date key="time:timestamp" value="{ts}"/>'
            f'<string key="lifecycle:transition" value="{lifecycle}"/></event>'
        )

    body = "".join(
        f'<trace><string key="concept:name" value="{case}"/>{"".join(event(*e) for e in evs)}</trace>'
        for case, evs in traces.items()
    )
    return f'<?xml version="1.0"?><log xes.version="1.0">{body}</log>'


def test_xes_cases_without_a_pathway_and_bad_unit_changes_are_rejected(tmp_path):
    path = tmp_path / "bad.xes"
    path.write_text(
        _xes(
            {
                "lab-only": [("CRP", "2014-01-01T10:00:00+01:00", "complete")],
                "early-release": [
                    ("Release A", "2014-01-01T09:00:00+01:00", "complete"),
                    ("ER Registration", "2014-01-01T10:00:00+01:00", "complete"),
                ],
                "backwards": [
                    ("ER Registration", "2014-01-02T10:00:00+01:00", "complete"),
                    ("Admission NC", "2014-01-02T09:00:00+01:00", "start"),  # another lifecycle: ignored
                    ("Admission NC", "2014-01-02T09:00:00+01:00", "complete"),
                    ("Release B", "2014-01-03T09:00:00+01:00", "complete"),
                ],
            }
        )
    )
    r = read_xes(path)
    got = dict(zip(r.rejects["row"], zip(r.rejects["kind"], r.rejects["reason"], strict=True), strict=True))
    assert got == {
        1: ("rejected", "case never enters a unit (no pathway)"),
        2: ("rejected", "leave while not in a unit"),
        4: ("rejected", "end before start"),
        5: ("ignored", "lifecycle transition is not 'complete'"),
    }
    assert r.read == 7 == r.used + r.rejected + r.ignored
    assert r.stays[["patient_id", "unit", "discharge_destination"]].values.tolist() == [
        ["backwards", "NC", "Release B"],
        ["early-release", "ER", pd.NA],
    ]


def test_xes_that_is_not_a_log_is_a_log_error(tmp_path):
    path = tmp_path / "broken.xes"
    path.write_text("<log><trace>")
    with pytest.raises(LogError, match="broken.xes: not well-formed XML"):
        read_xes(path)


@pytest.mark.skipif(not SEPSIS_XES.is_file(), reason="shared Sepsis log not present")
def test_full_sepsis_log_reads_every_event():
    r = read_xes(SEPSIS_XES)
    assert r.read == 15214 == r.used + r.rejected + r.ignored
    assert r.rejected == 0 and r.stays["patient_id"].nunique() == 1050
    assert r.stays["unit"].value_counts().to_dict() == {"ER": 1050 + 294, "NC": 1182, "IC": 117}
