"""Staffing levels and rosters for the app's worker (``worker.py`` kind ``roster``).

Two steps, both calls into the package:

* ``staffing``: simulate the scenario (``run_scenario``), turn the hourly census into
  workload (``hospital_twin.staffing.levels.workload``) and find nurses per unit, shift and
  weekday (``staffing_levels``);
* ``roster``: spread those levels over dates (``requirements``), read the staff file
  (``hospital_twin.roster.io.read_staff``), solve (``build_roster``) and export CSV, the
  Excel workbook and one iCalendar file per member (``hospital_twin.roster.export``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any


def run(p: dict, progress, folder: Path) -> Any:
    if p["step"] == "staffing":
        return _staffing(p, progress)
    if p["step"] == "roster":
        return _roster(p, progress, folder)
    raise ValueError(f"unknown step {p['step']!r}")


def _staffing(p: dict, progress) -> dict:
    from hospital_twin import run_scenario
    from hospital_twin.scenario import load_scenario_text
    from hospital_twin.staffing.levels import staffing_levels, workload

    s = load_scenario_text(p["yaml"], name="scenario")
    if s.staffing is None or not s.staffing.units:
        raise ValueError("the scenario has no nurse staffing (a `staffing:` section with patients_per_nurse per unit); "
                         "choose a scenario that has one, such as the shipped baseline")
    n = p["replications"]
    needs_log = any(pc.acuity != 1.0 for pc in s.patient_classes.values())
    result = run_scenario(s, replications=n, seed=p["seed"], workers=max(1, min(n, os.cpu_count() or 1)),
                          keep_log=needs_log, on_progress=lambda d, t: progress(d, t, "simulating demand"))
    progress(n, n, "choosing nurse levels (CP-SAT)")
    load = workload(s, result.census, result.adt_log)
    load = load[load["unit"].isin(list(s.staffing.units))]
    levels = staffing_levels(s, load, service_level=p["service_level"], min_level=p["min_level"],
                             time_limit_s=p.get("time_limit_s", 10.0), workers=1)
    return {"levels": levels.levels, "coverage": levels.coverage, "cost_h": levels.cost_h,
            "service_level": levels.service_level, "min_level": levels.min_level,
            "shifts": {k: (v.start, v.end) for k, v in s.shifts.items()}, "scenario": s.name,
            "ratios": {u: st.patients_per_nurse for u, st in s.staffing.units.items()}}


def _roster(p: dict, progress, folder: Path) -> dict:
    import pandas as pd

    from hospital_twin.roster.io import read_leave, read_requests, read_rules, read_staff
    from hospital_twin.roster.model import RosterError, build_roster
    from hospital_twin.roster.rules import RosterRules
    from hospital_twin.roster.staff import RosterInputError
    from hospital_twin.staffing.levels import SkillMix, requirements

    progress(0, 0, "reading the staff file")
    table = read_staff(p["staff_path"])
    levels: pd.DataFrame = p["levels"]
    units = p["units"]
    levels = levels[levels["unit"].isin(units)]
    if levels.empty:
        raise ValueError("no staffing levels for the chosen units")
    start: dt.date = p["start_date"]
    # a nurse in charge is one of the ratio nurses (as `hospital-twin staffing --in-charge NIC=1` counts it)
    mix = SkillMix(p["skill"], in_charge={"NIC": 1} if p.get("nic") else {})
    req = requirements(levels, start, p["weeks"], mix)
    rules = read_rules(p["rules"]) if p.get("rules") else RosterRules()
    leave = read_leave(p["leave"], table) if p.get("leave") else None
    requests = read_requests(p["requests"], table, p["shifts"]) if p.get("requests") else None
    # only the staff of the units rostered (and the float pool): the others would show as hours short
    from hospital_twin.roster.staff import StaffTable

    table = StaffTable([m for m in table if m.home_unit in units or m.float_pool])
    if not len(table):
        raise ValueError(f"nobody in the staff file works on {', '.join(units)} (home_unit) or in the float pool")
    kept = {m.staff_id for m in table}
    if leave is not None:
        leave = leave[leave["staff_id"].isin(kept)].reset_index(drop=True)
    if requests is not None:
        requests = requests[requests["staff_id"].isin(kept)].reset_index(drop=True)
    progress(0, 0, f"rostering {len(table)} staff over {7 * p['weeks']} days (up to {p['time_limit_s']:g} s)")
    try:
        roster = build_roster(table, req, rules, start_date=start, days=7 * p["weeks"], shifts=p["shifts"],
                              leave=leave, requests=requests, time_limit_s=p["time_limit_s"], workers=2, seed=0)
    except RosterInputError as exc:
        raise ValueError("the staff file or the requirements cannot be used:\n" +
                         "\n".join(str(x) for x in exc.problems)) from None
    except RosterError as exc:
        raise ValueError(str(exc)) from None
    files = _exports(roster)
    return {"roster": roster, "files": files, "requirements": req, "staff": len(table)}


def _exports(roster) -> dict[str, bytes]:
    """CSV, Excel and a zip of iCalendar files, as bytes for the download buttons."""
    from hospital_twin.roster import export

    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        export.write_roster_csv(roster, t / "roster.csv")
        out["csv"] = (t / "roster.csv").read_bytes()
        export.write_workbook(roster, t / "roster.xlsx")
        out["xlsx"] = (t / "roster.xlsx").read_bytes()
        paths = export.write_calendars(roster, t / "ics")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path in paths:
                z.write(path, arcname=f"calendars/{Path(path).name}")
        out["ics_zip"] = buf.getvalue()
        if paths:
            out["ics_first"] = Path(paths[0]).read_bytes()
            out["ics_first_name"] = Path(paths[0]).name.encode()
    return out
