"""The app's worker process: ``python app/worker.py JOB_FOLDER``.

Reads ``spec.pkl`` (a job of :mod:`job_specs`), makes the one package call that answers it,
reports progress in ``progress.json`` and leaves ``result.pkl`` (and ``results.zip`` where
there is a results folder to take away) or ``error.json``. Every number comes from the
hospital_twin package; this file only moves inputs and outputs, and holds no simulation,
fitting or comparison of its own.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from job_specs import (
    CalibrateJob,
    CompareJob,
    ForecastJob,
    ReportJob,
    RosterJob,
    RunJob,
    StaffingJob,
)


class Progress:
    """Writes ``progress.json`` atomically; the page reads it."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __call__(self, done: int, total: int, stage: str = "") -> None:
        tmp = self.folder / "progress.tmp"
        tmp.write_text(json.dumps({"done": int(done), "total": int(total), "stage": stage}))
        os.replace(tmp, self.folder / "progress.json")


def _workers(n: int) -> int:
    return max(1, min(n, os.cpu_count() or 1))


def _zip_results(folder: Path, results, comparison=None) -> None:
    """The results folder (CSV tables, scenario YAML, run.json) as ``results.zip``.

    The HTML report is left out: it takes ten seconds or more (``hospital-twin report`` on the
    unzipped folder writes it).
    """
    from hospital_twin.experiment.resultsdir import write_results

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        out = write_results(
            results,
            Path(tmp) / "results",
            fmt="csv",
            comparison=comparison,
            extra_json={"written_by": "hospital_twin app"},
        )
        archive = shutil.make_archive(str(Path(tmp) / "results"), "zip", root_dir=out.parent, base_dir="results")
        os.replace(archive, folder / "results.zip")


def _scenario(text: str, name: str):
    from hospital_twin.scenario.io import load_scenario_text

    return load_scenario_text(text, name=name)


def run(job: RunJob, progress: Progress, folder: Path) -> Any:
    from hospital_twin.experiment.runner import run_scenario

    s = _scenario(job.yaml, job.file)
    progress(0, job.replications, "simulating")
    result = run_scenario(
        s,
        replications=job.replications,
        seed=job.seed,
        workers=_workers(job.replications),
        on_progress=lambda d, t: progress(d, t, "simulating"),
    )
    progress(job.replications, job.replications, "writing the results folder")
    _zip_results(folder, result)
    return result


def compare(job: CompareJob, progress: Progress, folder: Path) -> Any:
    from hospital_twin.experiment.whatif import compare_scenarios

    scenarios = [_scenario(y, f) for y, f in zip(job.yamls, job.files, strict=True)]
    n, k_all = job.replications, len(scenarios)
    total = n * k_all

    def on_progress(k: int, done: int, _n: int) -> None:
        progress(k * n + done, total, f"simulating {scenarios[k].name} ({k + 1} of {k_all})")

    study = compare_scenarios(
        scenarios,
        replications=n,
        seed=job.seed,
        workers=_workers(n),
        keep_log=True,  # the months against the 4-hour and 12-hour targets are counted from the event log
        on_warmup=lambda name: progress(0, total, f"{name}: choosing the warm-up"),
        on_progress=on_progress,
    )
    progress(total, total, "writing the results folder")
    _zip_results(folder, study.results, study.comparison)
    return {"results": study.results, "comparison": study.comparison}


def forecast(job: ForecastJob, progress: Progress, folder: Path) -> Any:
    from hospital_twin.live.forecast import forecast as forecast_census

    s = _scenario(job.yaml, "scenario")
    n = job.replications
    return forecast_census(
        s,
        job.census,
        job.now,
        job.hours,
        replications=n,
        seed=job.seed,
        workers=_workers(n),
        vacated=job.vacated,
        on_progress=lambda d, t: progress(d, t, "forecasting"),
    )


def staffing(job: StaffingJob, progress: Progress, folder: Path) -> Any:
    from hospital_twin.staffing.loop import PlanSettings, staffing_plan

    s = _scenario(job.yaml, "scenario")
    progress(0, 0, f"simulating {job.weeks} weeks of demand, then choosing nurse levels (CP-SAT)")
    settings = PlanSettings(
        weeks=job.weeks,
        start_date=job.start_date,
        replications=job.replications,
        seed=job.seed,
        service_level=job.service_level,
        min_level=job.min_level,
        workers=_workers(job.replications),
    )
    return staffing_plan(s, settings)


def roster(job: RosterJob, progress: Progress, folder: Path) -> Any:
    from hospital_twin.roster.io import read_leave, read_requests, read_rules, read_staff
    from hospital_twin.roster.model import RosterError
    from hospital_twin.roster.staff import RosterInputError
    from hospital_twin.staffing.levels import SkillMix
    from hospital_twin.staffing.loop import roster_for_plan

    progress(0, 0, "reading the staff file")
    table = read_staff(job.staff_path)
    shifts = {k: (v.start, v.end) for k, v in job.plan.scenario.shifts.items()}
    # a nurse in charge is one of the ratio nurses (as `hospital-twin staffing --in-charge NIC=1` counts it)
    mix = SkillMix(job.ratio_skill, in_charge={"NIC": 1} if job.nurse_in_charge else {})
    progress(0, 0, f"rostering over {7 * job.plan.weeks} days (up to {job.time_limit_s:g} s)")
    try:
        result, req = roster_for_plan(
            job.plan,
            table,
            units=list(job.units),
            skill_mix=mix,
            rules=read_rules(job.rules) if job.rules else None,
            leave=read_leave(job.leave, table) if job.leave else None,
            requests=read_requests(job.requests, table, shifts) if job.requests else None,
            time_limit_s=job.time_limit_s,
            workers=2,
            seed=0,
        )
    except RosterInputError as exc:
        raise ValueError(
            "the staff file or the requirements cannot be used:\n" + "\n".join(str(x) for x in exc.problems)
        ) from None
    except RosterError as exc:
        raise ValueError(str(exc)) from None
    return {"roster": result, "files": _roster_exports(result), "requirements": req}


def calibrate(job: CalibrateJob, progress: Progress, folder: Path) -> Any:
    """Fit a scenario to a log (or to the log of one simulated replication), as ``hospital-twin calibrate``."""
    from hospital_twin.calibration import pipeline, quality
    from hospital_twin.calibration.fit_pathways import parse_pathway_labels
    from hospital_twin.reporting import calibration_report as cal_report

    progress(0, 0, "reading the log")
    options = {
        "pathway_labels": parse_pathway_labels(job.pathway_labels),
        "dates_shifted": job.dates_shifted,
        "name": job.name or "Calibrated from an ADT log",
        "sources": [job.label],
        "horizon_days": job.horizon_days,
        "replications": job.replications,
        "on_read": lambda reads: progress(0, 0, f"fitting {sum(r.n_stays for r in reads):,} stays"),
    }
    if job.source == "simulated":
        s = _scenario(job.scenario_yaml or "", "scenario")
        progress(0, 0, f"simulating an event log of {s.name}")
        run = pipeline.calibrate_simulated(s, folder, **options)
    else:
        fmt = {"adt": "adt", "mimic": "mimic-iv", "xes": "xes"}[job.source]
        # an upload is stored under a name of our own: messages name the user's file instead
        names = [job.label] if job.source == "adt" else None
        try:
            run = pipeline.calibrate_logs(
                [(job.path, fmt)], group_units=False, rep=job.rep, scenario=job.scenario, names=names, **options
            )
        except pipeline.NoStaysError as exc:
            raise _RowsError(
                f"{exc.where}: no row could be used. Each row and why it was not used:",
                [
                    {"message": line}
                    for r in exc.reads
                    for line in quality.rejected_rows_text(r.rejects, r.source_format, limit=30)
                ],
            ) from None
    read, cal = run.reads[0], run.calibration
    grade = quality.fit_quality(cal)
    charts = {}
    for name, make in (
        ("survival", lambda: cal_report.survival_chart(cal_report.stay_curves(cal))),
        ("arrivals", lambda: cal_report.arrivals_chart(cal_report.arrivals_hour_of_week(cal))),
        ("routes", lambda: cal_report.route_chart(*cal_report.route_layout(cal))),
    ):
        chart = make()
        if chart is not None:
            charts[name] = chart.to_json()
    return {
        "read": read.summary(),
        "reasons": read.reason_counts(),
        "rejects": quality.rejects_in_words(read.rejects.head(200), read.source_format),
        "rows_counted_from_header": read.source_format in ("csv", "mimic-iv"),
        "quality": {
            "level": grade.level,
            "usable": grade.usable,
            "sentence": grade.sentence(),
            "reasons": grade.reasons,
            "table": grade.table(),
        },
        "detail_notes": dict(quality.DETAIL_NOTES),
        "stays": _stay_table(cal),
        "arrivals": _arrival_table(cal),
        "routes": cal.routes.transitions_.copy(),
        "beds": {u: int(b) for u, b in cal.capacity.beds_.items()},
        "flags": list(cal.flags) + list(cal.capacity.flags_),
        "dates": run.dates.sentence(),
        "yaml": run.yaml,
        "report_html": cal_report.build_calibration_report(cal, list(run.reads), run.dates, scenario_text=run.yaml),
        "charts": charts,
        "dates_shifted": run.dates.shifted,
        "pathways": cal_report.pathways_table(cal),
        "pathway_shares": cal_report.pathway_shares_table(cal),
        "pathway_notes": list(cal.pathways.notes_),
    }


class _RowsError(ValueError):
    """A job error with the lines that explain it (shown under the message)."""

    def __init__(self, message: str, issues: list[dict]):
        super().__init__(message)
        self.issues = issues


def _stay_table(cal) -> Any:
    import pandas as pd

    rows = []
    items = list(cal.stays.units_.items()) + [(f"{u} [{c}]", e) for (u, c), e in cal.stays.classes_.items()]
    for key, est in items:
        b = est.best
        rows.append(
            {
                "unit": key,
                "distribution": est.chosen,
                "stays": est.n,
                "still in (censored)": est.n_censored,
                "mean h": None if b is None or est.chosen == "empirical" else round(b.mean_h, 1),
                "cv": None if b is None or est.chosen == "empirical" else round(b.cv, 2),
                "AIC": None if b is None else round(b.aic, 1),
                "Kaplan-Meier mean h": round(est.km_mean_h, 1),
                "fit distance D": round(est.ks_d, 3),
                "p-value": est.ks_p,
                "acceptable": bool(est.acceptable),
                "note": est.note or "",
            }
        )
    return pd.DataFrame(rows)


def _arrival_table(cal) -> Any:
    import pandas as pd

    rows = []
    for st in cal.arrivals.streams_:
        rows.append(
            {
                "stream": st.name,
                "unit": st.unit,
                "patients": st.n,
                "per day": round(st.per_day, 2) if st.per_day == st.per_day else None,
                "hour-of-day pattern": "kept" if st.hour_kept else "not significant",
                "day-of-week pattern": "kept" if st.dow_kept else "not significant",
                "elective list": bool(st.elective),
            }
        )
    return pd.DataFrame(rows)


def report(job: ReportJob, progress: Progress, folder: Path) -> Any:
    """The HTML report of a results zip (``hospital_twin.reporting.results_report``), as text."""
    import zipfile

    from hospital_twin.reporting.results_report import write_report

    progress(0, 0, "building the HTML report")
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        with zipfile.ZipFile(job.zip) as z:
            z.extractall(tmp)  # our own zip, written by _zip_results
        out = write_report(Path(tmp) / "results")
        return {"html": Path(out).read_text(encoding="utf-8")}


def _roster_exports(result) -> dict[str, bytes]:
    """CSV, Excel and a zip of iCalendar files, as bytes for the download buttons."""
    import io
    import zipfile

    from hospital_twin.roster import export

    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        export.write_roster_csv(result, t / "roster.csv")
        out["csv"] = (t / "roster.csv").read_bytes()
        export.write_workbook(result, t / "roster.xlsx")
        out["xlsx"] = (t / "roster.xlsx").read_bytes()
        paths = export.write_calendars(result, t / "ics")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path in paths:
                z.write(path, arcname=f"calendars/{Path(path).name}")
        out["ics_zip"] = buf.getvalue()
    return out


HANDLERS: dict[type, Callable[[Any, Progress, Path], Any]] = {
    RunJob: run,
    CompareJob: compare,
    CalibrateJob: calibrate,
    ForecastJob: forecast,
    StaffingJob: staffing,
    RosterJob: roster,
    ReportJob: report,
}


def _error(folder: Path, message: str, issues: list | None = None) -> None:
    tmp = folder / "error.tmp"
    tmp.write_text(json.dumps({"message": message, "issues": issues or []}, default=str))
    os.replace(tmp, folder / "error.json")


ABANDON_S = 600.0
"""A job no page has asked about for this long (``$HOSPITAL_TWIN_APP_ABANDON_S`` seconds) is abandoned: its
browser tab was closed. Pages ask twice a second while they show it and every 20 s from any page of the app."""


def _abandoned(folder: Path, limit_s: float) -> bool:
    """True when the page's heartbeat file of ``folder`` is older than ``limit_s`` seconds (or gone)."""
    import time

    try:
        return time.time() - (folder / "heartbeat").stat().st_mtime > limit_s
    except OSError:
        return True


def _watch_parent(folder: Path | None = None) -> None:
    """End this job (its whole process group) if the app that started it goes away, or no page has asked about
    it for ``ABANDON_S`` seconds (it then says so in ``error.json``)."""
    import signal
    import threading
    import time

    parent = os.getppid()
    try:
        limit_s = float(os.environ.get("HOSPITAL_TWIN_APP_ABANDON_S") or ABANDON_S)
    except ValueError:
        limit_s = ABANDON_S

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.killpg(os.getpgrp(), signal.SIGTERM)
            if folder is not None and _abandoned(folder, limit_s):
                _error(
                    folder,
                    f"Stopped: no page of the app looked at this job for {limit_s / 60:.3g} minutes (the browser tab "
                    "was closed), so the worker ended itself. Start it again to see its results.",
                )
                os.killpg(os.getpgrp(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def main(folder: Path) -> int:
    _watch_parent(folder)
    with open(folder / "spec.pkl", "rb") as f:
        spec = pickle.load(f)  # written by jobs.start into the server's private 0700 folder, never uploaded
    progress = Progress(folder)
    try:
        from hospital_twin.scenario import ScenarioError

        try:
            result = HANDLERS[type(spec)](spec, progress, folder)
        except ScenarioError as exc:
            issues = [{"file": i.file, "line": i.line, "field": i.field, "message": i.message} for i in exc.issues]
            _error(folder, "The input has problems:", issues)
            return 2
        except _RowsError as exc:
            _error(folder, str(exc), exc.issues)
            return 2
        except (ValueError, OSError) as exc:
            _error(folder, str(exc) or type(exc).__name__)
            return 2
    except Exception as exc:
        traceback.print_exc()
        _error(folder, f"Unexpected failure ({type(exc).__name__}: {exc}). The details are in the server log.")
        return 1
    tmp = folder / "result.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / "result.pkl")
    return 0


def _preload() -> None:
    """Import what the run and compare jobs need (pandas, scipy.special, the runner), before any job is known."""
    import importlib

    for name in (
        "pandas",
        "scipy.special",
        "hospital_twin.scenario.io",
        "hospital_twin.experiment.runner",
        "hospital_twin.experiment.whatif",
        "hospital_twin.experiment.resultsdir",
    ):
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - the job itself will say what is missing
            pass


def wait_for_job() -> int:
    """``worker.py --wait``: import first, then read a job folder from stdin and run it as :func:`main` would.

    The output goes to the folder's ``worker.log``, as for a worker started on its folder. An empty
    stdin (the app went away before giving a job) ends the process.
    """
    _preload()
    line = sys.stdin.readline().strip()
    if not line:
        return 0
    folder = Path(line)
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(folder / "worker.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return main(folder)


if __name__ == "__main__":  # python app/worker.py FOLDER: app/ is sys.path[0], as for any script
    sys.exit(wait_for_job() if sys.argv[1:] == ["--wait"] else main(Path(sys.argv[1])))
