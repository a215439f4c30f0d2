"""``hospital-twin roster inrc2``: solution files, cost.json and invalid input (CONTRACTS section 7)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hospital_twin.cli import main
from hospital_twin.roster.inrc2.evaluate import evaluate
from hospital_twin.roster.inrc2.format import read_instance, read_solution_files

N005 = Path("/work/shared/data/inrc2/n005w4")
pytestmark = pytest.mark.skipif(not N005.is_dir(), reason="INRC-II data not present")


def test_cli_writes_one_solution_file_per_week_and_cost_json(tmp_path, capsys):
    """The files re-read by the parser give the cost written in cost.json, with no hard violation."""
    out = tmp_path / "sol"
    assert (
        main(
            [
                "roster",
                "inrc2",
                str(N005),
                "--history",
                "0",
                "--weeks",
                "1",
                "2",
                "3",
                "3",
                "--time-limit",
                "2",
                "--out",
                str(out),
                "--seed",
                "1",
            ]
        )
        == 0
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "Sol-n005w4-1-0.txt",
        "Sol-n005w4-2-1.txt",
        "Sol-n005w4-3-2.txt",
        "Sol-n005w4-3-3.txt",
        "cost.json",
    ]
    report = json.loads((out / "cost.json").read_text())
    inst = read_instance(N005, 0, [1, 2, 3, 3])
    cost = evaluate(inst, read_solution_files(sorted(out.glob("Sol-*.txt")), inst))
    assert cost.total == report["total"] and cost.to_dict()["soft"] == report["soft"]
    assert report["feasible"] and all(v == 0 for v in report["hard"].values())
    assert "total" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--history", "0", "--weeks", "1", "2", "3", "12"], "week data index 12 out of range"),
        (["--history", "0", "--weeks", "1", "2", "3"], "has 4 weeks; got 3"),
        (["--history", "7", "--weeks", "1", "2", "3", "3"], "H0-n005w4-7.txt not found"),
    ],
)
def test_cli_invalid_input_exits_two_with_a_message(args, message, tmp_path, capsys):
    """A week index out of range, a wrong number of weeks or a missing history: exit 2, no traceback."""
    assert main(["roster", "inrc2", str(N005), *args, "--time-limit", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_malformed_file_names_file_and_line(tmp_path, capsys):
    """A malformed week data file is reported with its path and line number."""
    ds = tmp_path / "n005w4"
    shutil.copytree(N005, ds, ignore=shutil.ignore_patterns("Solution_*"))
    wd = ds / "WD-n005w4-2.txt"
    wd.write_text(wd.read_text().replace("Late Nurse (1,1)", "Late Nurse (1;1)", 1))
    assert main(["roster", "inrc2", str(ds), "--history", "0", "--weeks", "1", "2", "3", "3", "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "WD-n005w4-2.txt, line" in err and "expected '(a,b)'" in err


def test_cli_deterministic_with_max_iterations_depends_on_the_seed_only(tmp_path):
    """--deterministic --max-iterations with a time limit that is not reached: two runs write the
    same solution files and cost.json, but for wall_s (one week of n005w4 is solved to optimality
    well within the limit, so no phase stops on the wall clock)."""
    ds = tmp_path / "n005w4"
    shutil.copytree(N005, ds, ignore=shutil.ignore_patterns("Solution_*"))
    sc = ds / "Sc-n005w4.txt"
    sc.write_text(sc.read_text().replace("WEEKS = 4", "WEEKS = 1", 1))
    runs = []
    for k in (1, 2):
        out = tmp_path / f"run{k}"
        assert (
            main(
                [
                    "roster",
                    "inrc2",
                    str(ds),
                    "--history",
                    "0",
                    "--weeks",
                    "1",
                    "--time-limit",
                    "60",
                    "--seed",
                    "3",
                    "--deterministic",
                    "--max-iterations",
                    "6",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        files = {p.name: p.read_text() for p in sorted(out.iterdir())}
        report = json.loads(files.pop("cost.json"))
        assert report["solver"].pop("wall_s") < 60
        assert report["solver"]["max_iterations"] == 6 and report["solver"]["neighbourhoods"] <= 6
        runs.append((files, report))
    assert list(runs[0][0]) == ["Sol-n005w4-1-0.txt"]
    assert runs[0] == runs[1]
