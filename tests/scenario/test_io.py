"""Loading scenario YAML: every kind of bad input names file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hospital_twin.scenario import ScenarioError, dump_scenario, load_scenario, load_scenario_text
from tests.conftest import NOT_SCENARIOS, SCENARIOS

GOOD = """\
name: ok
start: 2025-01-06T00:00:00
horizon_days: 10
units:
  ICU: {beds: 4}
  WARD: {beds: 10}
arrivals:
  - name: a
    unit: ICU
    per_day: 3
routes:
  ICU: {WARD: 0.7, exit: 0.3}
length_of_stay:
  ICU: {distribution: exponential, mean_hours: 40}
  WARD: {distribution: gamma, mean_hours: 100, cv: 0.7}
"""


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def _issues(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.issues


def test_load_contract_examples_as_written():
    """Both CONTRACTS examples validate and keep their meaning."""
    single = load_scenario(SCENARIOS / "examples" / "single_ward.yaml")
    assert single.units["WARD"].beds == 20 and single.units["WARD"].when_full == "reject"
    assert single.length_of_stay["WARD"].to_distribution().mean_h == pytest.approx(120)
    icu = load_scenario(SCENARIOS / "examples" / "icu_to_ward.yaml")
    assert icu.routes["ICU"] == {"WARD": 0.8, "exit": 0.2}
    assert icu.arrivals[0].day_of_week[0] == 1.1


def test_load_good_text_round_trips_through_dump():
    """dump_scenario writes YAML that loads back to the same scenario."""
    scn = load_scenario_text(GOOD, "good.yaml")
    again = load_scenario_text(dump_scenario(scn), "again.yaml")
    assert again == scn


@pytest.mark.parametrize(
    ("replace", "by", "line", "field", "words"),
    [
        ("ICU: {beds: 4}", "ICU: {beds: -4}", 5, "units.ICU.beds", "greater than or equal to 0"),
        ("ICU: {beds: 4}", "ICU: {beds: four}", 5, "units.ICU.beds", "integer"),
        ("ICU: {beds: 4}", "ICU: {beds: 4, when_full: wait}", 5, "units.ICU.when_full", "'queue' or 'reject'"),
        ("ICU: {beds: 4}", "ICU: {bed: 4}", 5, "units.ICU.bed", "did you mean 'beds'"),
        ("unit: ICU", "unit: ICUU", 9, "arrivals[0].unit", "unknown unit 'ICUU'"),
        ("per_day: 3", "per_day: -3", 10, "arrivals[0].per_day", "greater than or equal to 0"),
        ("WARD: 0.7, exit: 0.3", "WARD: 0.7, exit: 0.2", 12, "routes.ICU", "sum to 0.9"),
        ("WARD: 0.7, exit: 0.3", "WAD: 0.7, exit: 0.3", 12, "routes.ICU.WAD", "did you mean 'WARD'"),
        ("mean_hours: 40}", "mean: 40}", 14, "length_of_stay.ICU.mean", "mean_hours"),
        ("gamma, mean_hours: 100, cv: 0.7", "gamma, mean_hours: 100", 15, "length_of_stay.WARD", "give cv"),
        ("gamma,", "gama,", 15, "length_of_stay.WARD.distribution", "'gamma'"),
        ("horizon_days: 10", "horizon_days: 0", 3, "horizon_days", "greater than 0"),
        ("start: 2025-01-06T00:00:00", "start: someday", 2, "start", "datetime"),
    ],
)
def test_load_bad_field_names_file_line_and_field(tmp_path, replace, by, line, field, words):
    """Each kind of bad value is reported with the file, the line and the field path."""
    assert replace in GOOD
    path = _write(tmp_path, GOOD.replace(replace, by, 1))
    issues = _issues(path)
    hit = [i for i in issues if i.field == field]
    assert hit, f"no issue for {field}: {issues}"
    assert hit[0].line == line and hit[0].file.endswith("s.yaml")
    assert words in hit[0].message
    assert f"s.yaml:{line}: {field}:" in str(hit[0])


def test_load_missing_required_field_points_at_parent(tmp_path):
    """A missing required key is reported against its parent's line."""
    path = _write(tmp_path, GOOD.replace("  ICU: {beds: 4}\n", "  ICU: {when_full: queue}\n"))
    issues = _issues(path)
    assert any(i.field == "units.ICU.beds" and i.line == 5 and "missing" in i.message for i in issues)


def test_load_reports_every_problem_at_once(tmp_path):
    """All field errors of a file come back together, not one at a time."""
    text = GOOD.replace("ICU: {beds: 4}", "ICU: {beds: -4}").replace("per_day: 3", "per_day: -3")
    assert len(_issues(_write(tmp_path, text))) == 2


def test_load_yaml_syntax_error_names_line(tmp_path):
    """Broken YAML syntax gives the line of the problem."""
    issues = _issues(_write(tmp_path, GOOD.replace("ICU: {beds: 4}", "ICU: {beds: 4")))
    assert issues[0].line in (5, 6) and "not valid YAML" in issues[0].message


def test_load_duplicate_key_is_an_error(tmp_path):
    """A key given twice is reported instead of silently keeping the last."""
    text = GOOD.replace("horizon_days: 10\n", "horizon_days: 10\nhorizon_days: 20\n")
    issues = _issues(_write(tmp_path, text))
    assert issues[0].field == "horizon_days" and issues[0].line == 4 and "first given on line 3" in issues[0].message


def test_load_closed_loop_is_an_error(tmp_path):
    """A route graph from which patients can never leave is refused."""
    text = GOOD.replace("ICU: {WARD: 0.7, exit: 0.3}", "ICU: {WARD: 1.0}\n  WARD: {ICU: 1.0}")
    issues = _issues(_write(tmp_path, text))
    assert any("never reach 'exit'" in i.message and i.line in (12, 13) for i in issues)


def test_load_missing_length_of_stay_is_an_error(tmp_path):
    """A unit that patients reach must have a length of stay."""
    text = GOOD.replace("  WARD: {distribution: gamma, mean_hours: 100, cv: 0.7}\n", "")
    issues = _issues(_write(tmp_path, text))
    assert any("no length of stay for unit 'WARD'" in i.message for i in issues)


def test_load_empty_and_non_mapping_files(tmp_path):
    """An empty file and a file that is not a mapping are refused with a reason."""
    assert "empty" in _issues(_write(tmp_path, ""))[0].message
    assert "mapping" in _issues(_write(tmp_path, "- a\n- b\n"))[0].message


def test_load_missing_file():
    """A path that does not exist is an input error, not a crash."""
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario("no/such/file.yaml")


def test_load_not_utf8(tmp_path):
    """Binary junk is reported as not UTF-8."""
    p = tmp_path / "s.yaml"
    p.write_bytes(b"\xff\xfe\x00name")
    assert "UTF-8" in _issues(p)[0].message


def test_load_extends_merges_units_key_by_key(tmp_path):
    """A what-if overrides only what it states; the rest comes from the base."""
    _write(tmp_path, GOOD, "base.yaml")
    child = _write(tmp_path, "extends: base.yaml\nname: more ICU\nunits:\n  ICU: {beds: 6}\n", "child.yaml")
    scn = load_scenario(child)
    assert scn.name == "more ICU" and scn.units["ICU"].beds == 6 and scn.units["WARD"].beds == 10
    assert scn.routes["ICU"] == {"WARD": 0.7, "exit": 0.3}


def test_load_extends_error_points_into_the_right_file(tmp_path):
    """An error introduced by the what-if names the what-if's file and line."""
    _write(tmp_path, GOOD, "base.yaml")
    child = _write(tmp_path, "extends: base.yaml\nname: x\nunits:\n  ICU: {beds: -1}\n", "child.yaml")
    issue = _issues(child)[0]
    assert issue.file.endswith("child.yaml") and issue.line == 4 and issue.field == "units.ICU.beds"


def test_load_extends_missing_base_and_cycle(tmp_path):
    """A missing base and a cycle of extends are both clear errors."""
    missing = _write(tmp_path, "extends: nowhere.yaml\nname: x\n", "m.yaml")
    assert "not found" in _issues(missing)[0].message
    _write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    b = _write(tmp_path, "extends: a.yaml\nname: b\n", "b.yaml")
    assert "loops back" in _issues(b)[0].message


def test_load_every_shipped_scenario_validates():
    """Every YAML file under scenarios/ is a valid scenario (scenarios/staff/ holds roster rules, tested apart)."""
    files = sorted(p for p in SCENARIOS.rglob("*.yaml") if p.relative_to(SCENARIOS).parts[0] not in NOT_SCENARIOS)
    assert len(files) >= 2
    for f in files:
        load_scenario(f)


def test_load_unsafe_yaml_tags_are_refused(tmp_path):
    """Python object tags are not constructed (safe loader)."""
    issues = _issues(_write(tmp_path, "name: !!python/object/apply:os.system ['echo hi']\n"))
    assert "not valid YAML" in issues[0].message
