"""What-ifs written with ``extends:`` neither lose nor keep data silently (issue 12, points 5 and 6).

Streams and elective lists merge by name (``remove: true`` drops one), a discharge clock rule
replaces the base's, ``validate`` and ``compare`` say what a what-if changes, and units no
patient can reach or streams a what-if removes are warnings (exit 0).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hospital_twin.cli import main
from hospital_twin.scenario import ScenarioError, load_scenario, read_scenario, scenario_changes
from hospital_twin.scenario.diff import change_lines

BASE = """\
name: base
start: 2025-01-06T00:00:00
horizon_days: 5
replications: 2
units:
  ED: {beds: 20, ed: {clinicians: 3, assessment: {distribution: exponential, mean_minutes: 20}}}
  AMU: {beds: 10, discharge: {window_hours: [8, 22], weekend_rate: 0.8}}
  MED: {beds: 30}
arrivals:
  - name: ed
    unit: ED
    per_day: 40
    hour_of_day: [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]
    multipliers:
      - {from: 2025-01-10, to: 2025-01-11, factor: 1.1}
  - name: gp
    unit: AMU
    per_day: 4
electives:
  - {name: lists, unit: MED, per_weekday: [2, 2, 2, 2, 2, 0, 0]}
routes:
  ED: {AMU: 0.2, exit: 0.8}
  AMU: {MED: 0.5, exit: 0.5}
length_of_stay:
  ED: {distribution: exponential, mean_hours: 2}
  AMU: {distribution: lognormal, median_hours: 10, p90_hours: 30}
  MED: {distribution: exponential, mean_hours: 100}
discharge:
  hourly_profile: [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4, 4, 3, 2, 1, 0, 0, 0, 0, 0]
  weekend_rate: 0.6
"""


def _files(tmp_path: Path, what_if: str, base: str = BASE) -> Path:
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    p = tmp_path / "whatif.yaml"
    p.write_text("extends: base.yaml\nname: what-if\n" + textwrap.dedent(what_if), encoding="utf-8")
    return p


def _issues(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.issues


# --------------------------------------------------------------------------- merging by name
def test_whatif_restating_one_stream_keeps_the_others_and_its_profile(tmp_path):
    """A what-if that gives only the ED stream's new rate keeps the GP stream and the ED's profiles."""
    scn = load_scenario(_files(tmp_path, "arrivals:\n  - {name: ed, per_day: 50}\n"))
    assert [a.name for a in scn.arrivals] == ["ed", "gp"]
    ed = scn.arrivals[0]
    assert ed.per_day == 50 and ed.unit == "ED" and ed.hour_of_day[8] == 2 and len(ed.multipliers) == 1


def test_whatif_new_stream_name_adds_a_stream(tmp_path):
    """An entry with a name the base does not have is a new stream, after the base's."""
    scn = load_scenario(_files(tmp_path, "arrivals:\n  - {name: ambulance, unit: AMU, per_day: 2}\n"))
    assert [a.name for a in scn.arrivals] == ["ed", "gp", "ambulance"]


def test_whatif_remove_drops_a_stream_and_warns_where(tmp_path):
    """{name: gp, remove: true} drops the base's GP stream; the removal is a warning at its line."""
    loaded = read_scenario(_files(tmp_path, "arrivals:\n  - {name: gp, remove: true}\n"))
    assert [a.name for a in loaded.scenario.arrivals] == ["ed"]
    [w] = loaded.warnings
    assert w.is_warning and w.file.endswith("whatif.yaml") and w.line == 4
    assert "removes the base's arrival stream 'gp' (AMU, 4/day)" in w.message


def test_whatif_electives_merge_by_name_too(tmp_path):
    """Elective lists merge like streams: one field changed, the rest of the entry kept."""
    scn = load_scenario(_files(tmp_path, "electives:\n  - {name: lists, hour: 9}\n"))
    [e] = scn.electives
    assert e.hour == 9 and e.unit == "MED" and e.per_weekday[0] == 2


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("{name: gpp, remove: true}", "cannot remove arrival stream 'gpp': the base has no such one"),
        ("{name: gp, remove: false}", "write remove: true"),
        ("{name: gp, remove: true, per_day: 3}", "takes only name and remove (found also per_day)"),
    ],
)
def test_whatif_bad_removals_are_located(tmp_path, entry, words):
    """A removal naming an unknown stream (with did-you-mean), not true, or with other fields is refused."""
    [issue] = _issues(_files(tmp_path, f"arrivals:\n  - {entry}\n"))
    assert issue.file.endswith("whatif.yaml") and issue.line == 4 and issue.field == "arrivals[0].remove"
    assert words in issue.message
    if "gpp" in entry:
        assert "did you mean 'gp'?" in issue.message


def test_remove_outside_extends_is_refused(tmp_path):
    """remove: true in a file that extends nothing has nothing to remove: an error at its line."""
    text = BASE.replace("  - name: gp\n", "  - {name: old, remove: true}\n  - name: gp\n")
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    [issue] = _issues(p)
    assert (
        issue.line == text.splitlines().index("  - {name: old, remove: true}") + 1
        and issue.field == "arrivals[1].remove"
        and "only in a what-if" in issue.message
    )


def test_whatif_same_stream_twice_is_refused(tmp_path):
    """Two entries with one name in the what-if would merge silently; refused with both places."""
    [issue] = _issues(_files(tmp_path, "arrivals:\n  - {name: gp, per_day: 3}\n  - {name: gp, per_day: 5}\n"))
    assert issue.line == 5 and "given twice in this file (also entry 0)" in issue.message


def test_whatif_errors_in_merged_lists_point_at_the_right_file_and_line(tmp_path):
    """After a removal shifts the list, a problem in the what-if's part and in the base's part of an
    entry is located in the file and line that wrote it."""
    base_line = BASE.splitlines().index("      - {from: 2025-01-10, to: 2025-01-11, factor: 1.1}") + 1
    issues = _issues(
        _files(
            tmp_path,
            """\
            start: 2025-02-01T00:00:00
            arrivals:
              - {name: gp, remove: true}
              - {name: ed, unit: EDX}
            """,
        )
    )
    where = {i.field: (Path(i.file).name, i.line) for i in issues}
    assert where["arrivals[0].unit"] == ("whatif.yaml", 6)
    # the unknown unit stops the later checks; with a known unit, the base's multiplier is the problem
    issues = _issues(_files(tmp_path, "start: 2025-02-01T00:00:00\narrivals:\n  - {name: gp, remove: true}\n"))
    assert [(Path(i.file).name, i.line, i.field) for i in issues] == [
        ("base.yaml", base_line, "arrivals[0].multipliers[0]")
    ]


# --------------------------------------------------------------------------- discharge rules
def test_whatif_window_replaces_the_base_hourly_profile(tmp_path):
    """A what-if that sets window_hours drops the base's hourly_profile (one clock rule); weekend_rate is kept."""
    scn = load_scenario(_files(tmp_path, "discharge: {window_hours: [8, 20]}\n"))
    assert scn.discharge.window_hours == (8, 20) and scn.discharge.hourly_profile is None
    assert scn.discharge.weekend_rate == 0.6


def test_whatif_duration_naming_its_distribution_replaces_the_base_block(tmp_path):
    """A duration block that names its distribution replaces the base's whole (no leftover median or p90)."""
    scn = load_scenario(_files(tmp_path, "length_of_stay:\n  AMU: {distribution: exponential, mean_hours: 12}\n"))
    amu = scn.length_of_stay["AMU"]
    assert amu.distribution == "exponential" and amu.mean_hours == 12
    assert amu.median_hours is None and amu.p90_hours is None


def test_whatif_duration_without_distribution_changes_only_its_keys(tmp_path):
    """A duration block without `distribution` changes only the keys it gives (the base's family is kept)."""
    scn = load_scenario(_files(tmp_path, "length_of_stay:\n  MED: {mean_hours: 120}\n"))
    assert scn.length_of_stay["MED"].distribution == "exponential" and scn.length_of_stay["MED"].mean_hours == 120


def test_whatif_unit_profile_replaces_the_unit_window(tmp_path):
    """The same on a unit's own discharge block: the profile replaces AMU's window, its weekend rate stays."""
    profile = [0] * 8 + [1] * 12 + [0] * 4
    scn = load_scenario(_files(tmp_path, f"units:\n  AMU:\n    discharge: {{hourly_profile: {profile}}}\n"))
    amu = scn.units["AMU"].discharge
    assert amu.window_hours is None and amu.hourly_profile == profile and amu.weekend_rate == 0.8


def test_whatif_null_rule_removes_only_that_rule(tmp_path):
    """hourly_profile: null drops the base's profile and keeps its window (nothing replaces it)."""
    both = BASE.replace("  weekend_rate: 0.6\n", "  weekend_rate: 0.6\n  window_hours: [8, 20]\n", 1)
    scn = load_scenario(_files(tmp_path, "discharge: {hourly_profile: null}\n", both))
    assert scn.discharge.hourly_profile is None and scn.discharge.window_hours == (8, 20)


# --------------------------------------------------------------------------- warnings
def test_typo_unit_in_whatif_is_a_warning_with_the_likely_name(tmp_path, capsys):
    """MED3: {beds: 70} adds a unit no patient can reach: validate warns at its line and exits 0."""
    p = _files(tmp_path, "units:\n  MED3: {beds: 70}\n")
    loaded = read_scenario(p)
    [w] = loaded.warnings
    assert (w.line, w.field) == (4, "units.MED3") and "no patient can reach it" in w.message
    assert "if you meant to change unit 'MED', use its name" in w.message
    assert main(["validate", str(p)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "whatif.yaml:4: units.MED3:" in err
    out = str(tmp_path / "run")
    assert main(["run", str(p), "--replications", "1", "--out", out, "-q", "--no-report", "--no-log"]) == 0
    assert "whatif.yaml:4: units.MED3:" in capsys.readouterr().err


def test_new_stream_named_like_a_base_stream_is_a_warning(tmp_path):
    """ed_medicl beside the base's ed_medical is most likely a typo: warned, not refused."""
    base = BASE.replace("name: ed\n", "name: ed_medical\n")
    loaded = read_scenario(_files(tmp_path, "arrivals:\n  - {name: ed_medicl, unit: ED, per_day: 5}\n", base))
    [w] = loaded.warnings
    assert w.line == 4 and "beside the base's 'ed_medical'" in w.message


# --------------------------------------------------------------------------- what changes
def test_changes_list_every_section_added_removed_or_changed(tmp_path):
    """The diff of a what-if against its base, one entry per item and field, old and new values."""
    p = _files(
        tmp_path,
        """\
        units:
          MED: {beds: 36}
          SDEC: {beds: 4}
        arrivals:
          - {name: gp, remove: true}
          - {name: ed, per_day: 44}
          - {name: walkin, unit: SDEC, per_day: 6}
        electives:
          - {name: lists, per_weekday: [3, 3, 3, 3, 3, 0, 0]}
        routes:
          AMU: {MED: 0.6, exit: 0.4}
        length_of_stay:
          SDEC: {distribution: fixed, value_hours: 6}
          MED: {distribution: exponential, mean_hours: 90}
        discharge: {window_hours: [8, 20]}
        """,
    )
    loaded = read_scenario(p)
    got = {(c.section, c.item, c.kind, c.field): (c.old, c.new) for c in loaded.changes()}
    assert got[("units", "MED", "changed", "beds")] == (30, 36)
    assert got[("units", "SDEC", "added", "")] == (None, "4 beds")
    assert got[("streams", "gp", "removed", "")] == ("AMU, 4/day", None)
    assert got[("streams", "ed", "changed", "per_day")] == (40, 44)
    assert ("streams", "walkin", "added", "") in got
    assert got[("electives", "lists", "changed", "per_weekday")] == ([2, 2, 2, 2, 2, 0, 0], [3, 3, 3, 3, 3, 0, 0])
    assert got[("routes", "AMU", "changed", "")] == ("MED 0.5, exit 0.5", "MED 0.6, exit 0.4")
    assert got[("stays", "MED", "changed", "")][1] == "exponential mean_hours 90 (mean 90 h)"
    assert ("stays", "SDEC", "added", "") in got
    key = ("discharge", "inpatient units (scenario-wide)", "changed")
    assert got[key + ("window_hours",)] == (None, [8, 20]) and got[key + ("hourly_profile",)][1] is None
    assert len(got) == 11
    assert scenario_changes(loaded.scenario, loaded.scenario) == []


def test_validate_and_compare_print_what_changes(tmp_path, capsys):
    """validate prints the what-if's changes against its base; compare prints them per variant."""
    p = _files(tmp_path, "units:\n  MED: {beds: 36}\narrivals:\n  - {name: gp, remove: true}\n")
    assert main(["validate", str(p)]) == 0
    out = capsys.readouterr().out
    assert "changes against" in out and "~ MED: beds 30 -> 36" in out and "- gp: AMU, 4/day" in out
    args = ["compare", str(tmp_path / "base.yaml"), str(p), "--out", str(tmp_path / "cmp"), "--no-report"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "~ MED: beds 30 -> 36" in captured.out and "removes the base's arrival stream 'gp'" in captured.err


PATHWAY_BASE = (
    BASE
    + """\
discharge_pathways:
  P1: {label: home with support, starts_per_day: 4, assessment: {distribution: exponential, mean_hours: 24}}
  P2: {places: 20, stay: {distribution: exponential, mean_days: 6}}
pathway_shares:
  MED: {P1: 0.15, P2: 0.1}
"""
)


def test_changes_list_pathway_capacity_places_shares_and_assessment_in_words(tmp_path):
    """A what-if on the discharge pathways: capacity, places, where the assessment happens, a new pathway and
    the shares by unit (with P0, the rest) and by class, each on one line in words."""
    p = _files(
        tmp_path,
        """\
        discharge_pathways:
          P1: {starts_per_day: 6, assessment_in: community}
          P2: {places: 40}
          P3: {starts_by_weekday: [1, 1, 1, 1, 1, 0, 0]}
        pathway_shares:
          MED: {P1: 0.2, P3: 0.05}
          AMU: {P1: 0.05}
        patient_classes:
          general: {}
          elective: {pathway_shares: {MED: {P2: 0.3}}}
        """,
        base=PATHWAY_BASE,
    )
    lines = [text for section, text in change_lines(read_scenario(p).changes()) if section == "pathways"]
    assert lines == [
        "~ P1: starts a day 4 -> 6, assessment in hospital -> community",
        "~ P2: places 20 -> 40",
        "~ shares from MED: P1 0.15, P2 0.1 (P0 0.75) -> P1 0.2, P2 0.1, P3 0.05 (P0 0.65)",
        "+ P3: starts Mon-Sun [1, 1, 1, 1, 1, 0, 0]",
        "+ shares from AMU: P1 0.05 (P0 0.95)",
        "+ shares from MED (class elective): P2 0.3 (P0 0.7)",
    ]


def test_diff_of_an_action_the_what_if_lacks_names_each_entry_dropped_not_an_empty_mapping():
    """The baseline opens beds at OPEL 4 and opel_actions.yaml's OPEL 4 opens none: the words say which beds go
    ('level 4.actions.open_beds.MED 12 -> none'), never 'open_beds none ->' with nothing after the arrow."""
    root = Path(__file__).resolve().parents[2] / "scenarios"
    base = load_scenario(root / "baseline.yaml")
    what_if = load_scenario(root / "whatif" / "opel_actions.yaml")
    words = " ".join(f"{a} {b}" for a, b in change_lines(scenario_changes(base, what_if)))
    assert "level 4.actions.open_beds.MED" in words
    assert "open_beds none" not in words and "pathway_capacity none" not in words
