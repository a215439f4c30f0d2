"""The app and the command line give the same staffing plan: one package function behind both."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hospital_twin.cli import main
from hospital_twin.scenario import load_scenario
from hospital_twin.staffing.loop import default_period_start

REPO = Path(__file__).resolve().parents[2]


class _Progress:
    def __call__(self, done: int, total: int, stage: str = "") -> None:
        self.last = (done, total, stage)


@pytest.mark.slow
def test_staffing_app_worker_and_cli_agree_for_a_cap_admissions_scenario(tmp_path):
    """With `policy: cap_admissions` (a bed cap hides demand) the app's worker and `hospital-twin staffing`
    plan the same levels: both plan under unconstrained demand through `staffing_plan`."""
    import worker  # app/worker.py (tests/app/conftest.py puts app/ on sys.path)
    from job_specs import StaffingJob

    text = (
        (REPO / "scenarios" / "baseline.yaml")
        .read_text()
        .replace("  policy: count_breaches", "  policy: cap_admissions")
    )
    assert "cap_admissions" in text
    path = tmp_path / "capped.yaml"
    path.write_text(text)
    scn = load_scenario(path)
    start = default_period_start(scn)
    out = tmp_path / "cli"
    assert (
        main(["staffing", str(path), "--weeks", "1", "--replications", "2", "--workers", "2", "--out", str(out)]) == 0
    )
    cli = pd.read_csv(out / "levels.csv")

    plan = worker.staffing(
        StaffingJob(yaml=text, start_date=start, weeks=1, replications=2, seed=scn.seed), _Progress(), tmp_path
    )
    app = plan.levels.levels
    cols = ["unit", "shift", "weekday", "min", "target"]
    pd.testing.assert_frame_equal(app[cols].reset_index(drop=True), cli[cols].reset_index(drop=True), check_dtype=False)
    assert plan.period.staffing.policy == "cap_admissions"  # the scenario itself is unchanged
    assert plan.levels.out_of_sample is not None  # and scored out of sample, as on the command line
