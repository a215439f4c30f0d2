"""INRC-II parsers and solution writer (hospital_twin.roster.inrc2.format), evaluator (.evaluate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hospital_twin.roster.inrc2.evaluate import evaluate
from hospital_twin.roster.inrc2.format import (
    Assignment,
    Inrc2FormatError,
    build_instance,
    parse_history,
    parse_scenario,
    parse_solution,
    parse_week_data,
    read_instance,
    read_solution_files,
    solution_file_name,
    solution_text,
)

DATA = Path("/work/shared/data/inrc2")
N005 = DATA / "n005w4"
PUBLISHED = N005 / "Solution_H_0-WD_1-2-3-3"
needs_data = pytest.mark.skipif(not N005.is_dir(), reason="INRC-II data not present")


def _validator_report() -> dict[str, int]:
    """Parse the 'Cost per constraint type' lines of the official validator.txt."""
    out = {}
    for line in (PUBLISHED / "validator.txt").read_text().splitlines():
        if ":" in line:
            key, _, val = line.rpartition(":")
            if val.strip().isdigit():
                out[key.strip()] = int(val)
    return out


@needs_data
def test_evaluator_reproduces_the_official_validator_on_the_published_n005w4_solution():
    """Every component and the total (1695) equal the official validator's report."""
    inst = read_instance(N005, 0, [1, 2, 3, 3])
    cost = evaluate(inst, read_solution_files(sorted(PUBLISHED.glob("Sol-*.txt")), inst))
    rep = _validator_report()
    assert rep["Total cost"] == 1695
    assert cost.total == rep["Total cost"]
    assert cost.s6 == rep["Total assignment constraints"]
    assert cost.s2 == rep["Consecutive constraints"]
    assert cost.s3 == rep["Non working days constraints"]
    assert cost.s4 == rep["Preferences"]
    assert cost.s7 == rep["Max working weekend"]
    assert cost.s5 == rep["Complete weekends"]
    assert cost.s1 == rep["Optimal coverage constraints"]
    assert cost.h2_under == rep["Minimal coverage constraints"]
    assert cost.h4_skill == rep["Required skill constraints"]
    assert cost.h3_succession == rep["Illegal shift type succession constraints"]
    assert cost.h1_single == rep["Single assignment per day"]


@needs_data
def test_parser_reads_exactly_the_announced_assignments():
    """The published week-1 file has Viol/Cost/Time lines after its 26 assignments: they are ignored."""
    sc = parse_scenario((N005 / "Sc-n005w4.txt").read_text())
    week, rows = parse_solution((PUBLISHED / "Sol-n005w4-2-1.txt").read_text(), sc)
    assert week == 1 and len(rows) == 26


@needs_data
def test_written_solution_files_read_back_to_the_same_cost(tmp_path):
    """solution_text + parse_solution round-trip the published roster and its cost."""
    inst = read_instance(N005, 0, [1, 2, 3, 3])
    roster = read_solution_files(sorted(PUBLISHED.glob("Sol-*.txt")), inst)
    paths = []
    for k in range(4):
        p = tmp_path / solution_file_name(inst, k)
        p.write_text(solution_text(inst, roster, k))
        paths.append(p)
    assert [p.name for p in paths] == [f"Sol-n005w4-{w}-{k}.txt" for k, w in enumerate([1, 2, 3, 3])]
    assert sorted(read_solution_files(paths, inst)) == sorted(roster)
    assert evaluate(inst, read_solution_files(paths, inst)) == evaluate(inst, roster)


# --------------------------------------------------------------------------- tiny hand-built instances
def _tiny(
    contract="C (2,5) (2,3) (2,3) 1 1",
    history="Ann 0 0 None 0 0 2",
    shifts=("Early (2,3)", "Night (1,2)"),
    req="(0,0) (0,0) (0,0) (0,0) (0,0) (0,0) (0,0)",
    requests=(),
    weeks=1,
    nurse_skills="1 Nurse",
):
    sc_text = "\n".join(
        [
            "SCENARIO = tiny",
            f"WEEKS = {weeks}",
            "SKILLS = 2",
            "Nurse",
            "Head",
            f"SHIFT_TYPES = {len(shifts)}",
            *shifts,
            "FORBIDDEN_SHIFT_TYPES_SUCCESSIONS",
            "Early 0",
            "Night 1 Early",
            "CONTRACTS = 1",
            contract,
            "NURSES = 1",
            f"Ann C {nurse_skills}",
        ]
    )
    sc = parse_scenario(sc_text, "Sc-tiny.txt")
    hist = parse_history(f"HISTORY\n0 tiny\nNURSE_HISTORY\n{history}\n", sc, "H0-tiny-0.txt")
    wd = "\n".join(
        ["WEEK_DATA", "tiny", "REQUIREMENTS", f"Early Nurse {req}", f"SHIFT_OFF_REQUESTS = {len(requests)}", *requests]
    )
    week = parse_week_data(wd, sc, "WD-tiny-0.txt")
    return build_instance(sc, hist, [week] * weeks)


def _roster(pattern: str) -> list[Assignment]:
    """'EE-N...' -> Early/off/Night per day for the one nurse, skill Nurse."""
    return [Assignment(0, d, "EN".index(c), 0) for d, c in enumerate(pattern) if c != "-"]


def test_consecutive_working_days_with_history_border():
    """History 2 working days (Night) + Mon..Wed worked = run of 5 > max 3: 2 days x 30.
    Then Thu-Sun off: 4 > max 3 off: 1 x 30 (S3). Shift runs: Night hist 2 + Mon = 3 > 2: 1 x 15;
    Early Tue-Wed = 2 ok. The off run is open at the end."""
    inst = _tiny(contract="C (0,9) (2,3) (1,3) 9 0", history="Ann 0 0 Night 2 2 0")
    c = evaluate(inst, _roster("NEE----"))
    # Night -> Early on Mon->Tue is forbidden (H3)
    assert c.h3_succession == 1
    assert c.s2 == 2 * 30 + 1 * 15
    assert c.s3 == 1 * 30


def test_too_short_runs_are_charged_when_they_end_not_at_the_horizon_end():
    """Off run of 1 (Mon, min 2 off) after a history working run of 1 (< min 2 work): both charged;
    the final working run Tue..Sun of 6 > max 5 costs 1 x 30; the Early run of 6 > 3 costs 3 x 15."""
    inst = _tiny(contract="C (0,9) (2,5) (2,3) 9 0", history="Ann 0 0 Early 1 1 0")
    c = evaluate(inst, _roster("-EEEEEE"))
    # history run: work 1 < 2 -> 1 x 30; Early run 1 < 2 -> 1 x 15; off Mon 1 < 2 -> 1 x 30
    # Tue..Sun: work run 6 > 5 -> 1 x 30; Early run 6 > 3 -> 3 x 15
    assert c.s2 == 30 + 15 + 30 + 3 * 15
    assert c.s3 == 30


def test_short_runs_open_at_the_end_of_the_horizon_cost_nothing():
    """A 1-day working run and 1-day Night run on Sunday (minimum 2) are not charged."""
    inst = _tiny(contract="C (0,9) (2,5) (1,9) 9 0", history="Ann 0 0 None 0 0 3")
    c = evaluate(inst, _roster("------N"))
    assert c.s2 == 0 and c.s3 == 0


def test_history_off_run_ending_at_day_zero_is_checked_against_the_minimum():
    """History off 1 day, min off 3, Mon worked: the off run of 1 costs 2 x 30."""
    inst = _tiny(
        contract="C (0,9) (1,9) (3,9) 9 0", history="Ann 0 0 None 0 0 1", shifts=("Early (1,9)", "Night (1,9)")
    )
    assert evaluate(inst, _roster("EEEEEEE")).s3 == 2 * 30


def test_coverage_preferences_weekends_and_totals():
    """S1 per missing nurse below optimum, H2 below minimum, S4 per violated request,
    S5 for a half weekend, S6 against the horizon total, S7 weekends over the maximum."""
    inst = _tiny(
        contract="C (3,4) (1,9) (1,9) 0 1",
        history="Ann 2 0 None 0 0 1",
        shifts=("Early (1,9)", "Night (1,9)"),
        req="(1,2) (0,1) (0,0) (0,0) (0,0) (0,0) (1,1)",
        requests=("Ann Any Mon", "Ann Night Tue", "Ann Early Wed"),
    )
    c = evaluate(inst, _roster("EN----N"))
    # Mon: 1 Early of optimum 2 -> 1; Tue: 0 of optimum 1 -> 1; Sun: 0 Early of min 1 -> H2 1, S1 1
    assert c.h2_under == 1
    assert c.s1 == 3 * 30
    # Mon Any and Tue Night requests violated, Wed Early not
    assert c.s4 == 2 * 10
    # Sun without Sat, complete weekends required
    assert c.s5 == 30
    # history 2 + 3 worked = 5 > max 4
    assert c.s6 == 1 * 20
    # one working weekend > max 0
    assert c.s7 == 1 * 30
    assert c.h3_succession == 0 and c.total == c.s1 + c.s2 + c.s3 + c.s4 + c.s5 + c.s6 + c.s7


def test_hard_violations_single_assignment_skill_and_history_succession():
    """Two shifts on Mon (H1), a skill the nurse lacks (H4), Night in history then Early on Mon (H3)."""
    inst = _tiny(history="Ann 0 0 Night 1 1 0")
    roster = [Assignment(0, 0, 0, 0), Assignment(0, 0, 1, 0), Assignment(0, 2, 0, 1)]
    c = evaluate(inst, roster)
    assert (c.h1_single, c.h3_succession, c.h4_skill) == (1, 1, 1)
    assert not c.feasible


def test_malformed_files_name_the_file_and_line():
    """A bad requirement pair is reported with its file and line number."""
    sc = parse_scenario(
        "SCENARIO = x\nWEEKS = 1\nSKILLS = 1\nN\nSHIFT_TYPES = 1\nE (1,2)\n"
        "FORBIDDEN_SHIFT_TYPES_SUCCESSIONS\nE 0\nCONTRACTS = 1\nC (1,2) (1,2) (1,2) 1 0\n"
        "NURSES = 1\nA C 1 N\n"
    )
    with pytest.raises(Inrc2FormatError, match=r"WD-x-0.txt, line 4: .*Wed requirement: expected '\(a,b\)'"):
        parse_week_data(
            "WEEK_DATA\nx\nREQUIREMENTS\nE N (1,1) (1,1) (1;1) (1,1) (1,1) (1,1) (1,1)\nSHIFT_OFF_REQUESTS = 0\n",
            sc,
            "WD-x-0.txt",
        )
    with pytest.raises(Inrc2FormatError, match=r"Sc-bad.txt, line 10: unknown contract 'Z'"):
        parse_scenario(
            "SCENARIO = x\nWEEKS = 1\nSKILLS = 1\nN\nSHIFT_TYPES = 0\nFORBIDDEN_SHIFT_TYPES_SUCCESSIONS\n"
            "CONTRACTS = 0\nNURSES = 1\n\nA Z 1 N\n",
            "Sc-bad.txt",
        )


@pytest.mark.skipif(not N005.is_dir(), reason="needs ../shared/data/inrc2")
def test_inrc2_requests_cache_never_serves_a_freed_instances_requests():
    """The requests of an instance are its own even when a freed instance had the same id() (CPython reuses ids)."""
    import gc

    from hospital_twin.roster.inrc2.evaluate import inst_requests

    for _ in range(40):
        a = read_instance(N005, 0, [1])
        inst_requests(a)
        del a
        gc.collect()
        b = read_instance(N005, 0, [2])
        want = [[] for _ in range(b.n_nurses)]
        for n, s, d in b.requests:
            want[n].append((s, d))
        assert inst_requests(b) == want
        del b
        gc.collect()
