"""Staffing & roster: nurses needed per shift from simulated demand, then a roster for named staff."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import altair as alt
import jobs
import pandas as pd
import state
import streamlit as st
import ui
from job_specs import RosterJob, StaffingJob

from hospital_twin.staffing.loop import default_period_start

st.title("Staffing & roster")
ui.fit_layout()
st.caption(
    "Step 1 finds how many nurses each unit needs per shift and weekday so that the nurse-to-patient ratio "
    "holds in most hours of simulated demand. Step 2 turns those numbers into a roster for your staff list."
)

scenario, text, label = ui.current_scenario()
st.markdown(f"Scenario: **{scenario.name}** (change it on the Scenario page)")
if scenario.staffing is None or not scenario.shifts:
    st.warning(
        "This scenario has no nurse staffing section (patients per nurse per unit, and shifts), so staffing "
        "levels cannot be derived. The shipped baseline has one."
    )
    st.stop()

# --------------------------------------------------------------------------- step 1: levels
st.subheader("1. Nurses needed")
st.caption(
    "The same plan as `hospital-twin staffing`: the weeks to roster are simulated after the scenario's "
    "warm-up under unconstrained demand (a cap on admissions by nurses would hide demand), nurse levels are "
    "chosen with CP-SAT, then checked on as many fresh replications."
)
if scenario.warmup_is_auto:
    first_default = scenario.start.date() + dt.timedelta(days=28 + (7 - scenario.start.weekday()) % 7)
else:
    first_default = default_period_start(scenario)
c1, c2, c3 = st.columns(3)
start = c1.date_input(
    "First day of the roster",
    value=first_default,
    key="ro_start",
    format="YYYY-MM-DD",
    help="Usually a Monday. The simulation runs the scenario's warm-up before it.",
)
weeks = int(c2.number_input("Weeks", min_value=1, max_value=8, value=2, step=1, key="ro_weeks"))
reps = int(
    c3.number_input(
        "Replications",
        min_value=2,
        max_value=50,
        value=max(2, min(scenario.replications, 10)),
        step=1,
        key="ro_reps",
        help="Simulated runs the levels are chosen on; as many fresh ones check them.",
    )
)
c1, c2 = st.columns(2)
service = c1.slider(
    "Ratio met in this share of hours (target)",
    min_value=0.80,
    max_value=0.99,
    value=0.95,
    step=0.01,
    key="ro_service",
    format="%.2f",
)
minimum = c2.slider(
    "Ratio met in this share of hours (minimum, every shift and weekday)",
    min_value=0.50,
    max_value=0.95,
    value=0.80,
    step=0.05,
    key="ro_min",
    format="%.2f",
)
spec = StaffingJob(
    yaml=text,
    start_date=start,
    weeks=weeks,
    replications=reps,
    seed=int(scenario.seed),
    service_level=float(service),
    min_level=float(minimum),
)
args = (text, spec.seed, reps, json.dumps({"service": service, "min": minimum, "start": str(start), "weeks": weeks}))
key = jobs.job_key("staffing", *args)
if minimum > service:
    st.error("The minimum share must not be above the target share.")
elif st.button("Derive staffing levels", type="primary", key="ro_levels_btn"):
    st.session_state["ro_levels_args"] = args
    if not jobs.cached(key):
        ui.launch("staffing", spec, key, label="Deriving staffing levels")
status = ui.job_panel("staffing")
shown = st.session_state.get("ro_levels_args")
if status == "running" or not shown or not jobs.cached(jobs.job_key("staffing", *shown)):
    if not shown:
        st.info("Press **Derive staffing levels** (a short simulation, then an optimisation; about a minute).")
    st.stop()
plan = ui.load_result("staffing", *shown)
lev = plan.levels
levels: pd.DataFrame = lev.levels
weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
grid = levels.assign(
    day=[weekdays[int(w)] for w in levels["weekday"]],
    cell=[f"{t} (min {m})" for t, m in zip(levels["target"], levels["min"], strict=True)],
)
table = grid.pivot_table(index=["unit", "shift"], columns="day", values="cell", aggfunc="first")[weekdays]
st.markdown(
    f"Nurses per shift for {plan.start_date:%a %d %b %Y} + {plan.weeks} weeks: target meets the ratio in "
    f"{100 * lev.service_level:.0f}% of simulated hours of each unit and shift; the minimum in "
    f"{100 * lev.min_level:.0f}% of every shift and weekday."
)
st.dataframe(table.reset_index(), hide_index=True, width="stretch")
cost = lev.cost_h
same = (
    f" A quantile rule with the same promise would need {cost['rule_same_promise']:,.0f}."
    if "rule_same_promise" in cost
    else ""
)
fresh = lev.pooled_share("out")
checked = (
    f" On {lev.out_of_sample['replications']} fresh replications the target levels met the ratio in "
    f"{100 * fresh:.1f}% of hours (in sample: {100 * lev.pooled_share('in'):.1f}%)."
    if fresh == fresh
    else ""
)
st.caption(
    f"Nurse-hours per week: target {cost['target']:,.0f}, minimum {cost['min']:,.0f} "
    f"(a flat per-shift quantile rule would need {cost['rule_target']:,.0f}, but it promises the share in "
    f"every shift and weekday, while the target promises it over the week with at least "
    f"{100 * lev.min_level:.0f}% on every shift and weekday, so part of the difference is the weaker "
    f"promise).{same}{checked}"
)

# --------------------------------------------------------------------------- step 2: roster
st.subheader("2. Roster")
staff_dir = state.SCENARIO_DIR / "staff"
example = staff_dir / "staff.csv"
opts = ["Example staff of the baseline hospital (432 nurses, with leave and requests)"] if example.is_file() else []
opts.append("Upload my staff file")
pick = st.radio(
    "Staff file",
    opts,
    horizontal=True,
    key="ro_staff_src",
    help="Columns: staff_id, name, grade, skills (separated by ;), home_unit, float_pool, "
    "contract_hours_per_week, max_nights_per_4w, time_zone.",
)
staff_path = None
extras: dict[str, str] = {}
if pick.startswith("Example"):
    staff_path = example
    for name in ("leave", "requests"):
        if (staff_dir / f"{name}.csv").is_file():
            extras[name] = str(staff_dir / f"{name}.csv")
    if (staff_dir / "rules.yaml").is_file():
        extras["rules"] = str(staff_dir / "rules.yaml")
else:
    up = st.file_uploader("Staff file (CSV or YAML, at most 2 MB)", type=["csv", "yaml", "yml"], key="ro_staff_upload")
    if up is not None:
        raw = up.getvalue()
        shown_name = state.display_name(up.name, "staff.csv")
        ext = ".yaml" if shown_name.lower().endswith((".yaml", ".yml")) else ".csv"
        try:
            state.decode_text(raw, shown_name, limit=2 * 1024 * 1024)  # YAML is checked by the package's reader
        except state.UploadError as exc:
            st.error(str(exc))
        else:
            folder = jobs.cache_root() / "uploads"
            folder.mkdir(exist_ok=True)
            staff_path = folder / f"staff-{hashlib.sha256(raw).hexdigest()[:32]}{ext}"
            if not staff_path.exists():
                staff_path.write_bytes(raw)
if staff_path is None:
    st.info("Upload a staff file to build a roster.")
    st.stop()

from hospital_twin.roster.io import read_staff  # noqa: E402
from hospital_twin.scenario import ScenarioError  # noqa: E402

try:
    staff = read_staff(staff_path)
except ScenarioError as exc:
    st.error(f"The staff file has {len(exc.issues)} problem(s):")
    for issue in exc.issues[:50]:
        st.markdown(f"- {state.issue_text(issue)}")
    st.stop()
except (ValueError, OSError) as exc:
    st.error(f"The staff file cannot be read: {exc}")
    st.stop()
home_units = sorted({m.home_unit for m in staff})
skills = sorted({s for m in staff for s in m.skills})
level_units = sorted(set(levels["unit"]))
with_staff = [u for u in level_units if u in home_units]
default_units = (["ICU"] if "ICU" in with_staff else with_staff[:1]) or level_units[:1]
st.caption(f"{len(staff)} staff; home units {', '.join(home_units)}; skills {', '.join(skills)}.")
c3, c4 = st.columns(2)
skill = c3.selectbox(
    "Skill that carries the ratio", skills, index=skills.index("RN") if "RN" in skills else 0, key="ro_skill"
)
limit = c4.number_input("Solver time limit (s)", min_value=5, max_value=300, value=20, step=5, key="ro_limit")
units = st.multiselect(
    "Units to roster",
    level_units,
    default=default_units,
    key="ro_units",
    help="One unit rosters in seconds; all units of a large staff list take the full time limit.",
)
nic = False
if "NIC" in skills:
    nic = st.checkbox(
        "One of the nurses on every shift is a nurse in charge (NIC)",
        value=True,
        key="ro_nic",
        help="The nurse in charge counts towards the nurse-to-patient ratio, as in "
        "`hospital-twin staffing --in-charge NIC=1`.",
    )
if not units:
    st.info("Pick at least one unit.")
    st.stop()
staff_hash = hashlib.sha256(staff_path.read_bytes()).hexdigest()
extra = json.dumps(
    {
        "levels": jobs.job_key("staffing", *shown),
        "staff": staff_hash,
        "skill": skill,
        "limit": int(limit),
        "units": units,
        "nic": nic,
        "extras": extras,
    },
    sort_keys=True,
)
rargs = ("", 0, 0, extra)
rkey = jobs.job_key("roster", *rargs)
if st.button("Build the roster", type="primary", key="ro_build_btn"):
    st.session_state["ro_roster_args"] = rargs
    if not jobs.cached(rkey):
        rspec = RosterJob(
            plan=plan,
            staff_path=str(staff_path),
            units=tuple(units),
            ratio_skill=skill,
            nurse_in_charge=nic,
            time_limit_s=float(limit),
            **extras,
        )
        ui.launch("roster", rspec, rkey, label="Building the roster")
status = ui.job_panel("roster")
rshown = st.session_state.get("ro_roster_args")
if status == "running" or not rshown or not jobs.cached(jobs.job_key("roster", *rshown)):
    st.stop()
out = ui.load_result("roster", *rshown)
roster = out["roster"]
cover = roster.cover
short_min = int(cover["shortfall_min"].sum()) if len(cover) else 0
short_target = int(cover["shortfall_target"].sum()) if len(cover) else 0
c = st.columns(4)
c[0].metric("Shifts rostered", f"{len(roster.assignments):,}")
c[1].metric("People short of minimum", f"{short_min:,}", help="Summed over every unit, shift and day.")
c[2].metric("People short of target", f"{short_target:,}")
c[3].metric(
    "Rule penalty (points)",
    f"{roster.penalty:,.0f}",
    help=f"Solver status {roster.status}, {roster.solve_s:.1f} s; lower is better.",
)

# --------------------------------------------------------------------------- over- and under-staffing, WTE, money
from hospital_twin.roster.workforce import cover_by_shift, workforce_by_unit, workforce_totals  # noqa: E402
from hospital_twin.scenario.io import read_costs  # noqa: E402

costs_path = state.SCENARIO_DIR / "costs.yaml"
costs, costs_problem = None, ""
try:
    costs = read_costs(costs_path)
except ScenarioError as exc:
    costs_problem = "; ".join(state.issue_text(i) for i in exc.issues[:5])
staffing_units = plan.scenario.staffing.units if plan.scenario.staffing is not None else {}
establishment = {u: dict(spec.nurses) for u, spec in staffing_units.items()} or None
rostered_staff = [m for m in staff if m.home_unit in units or m.float_pool]
floats = {m.staff_id for m in rostered_staff if m.float_pool}
by_unit = workforce_by_unit(roster, rostered_staff, costs=costs, establishment=establishment)
totals = workforce_totals(by_unit, costs)
st.subheader("Is this roster over-staffed?")
{"error": st.error, "warning": st.warning}.get(totals["tone"], st.success)(totals["verdict"])
w = [*st.columns(2), *st.columns(2)]  # two by two: the values stay whole on a narrow screen
w[0].metric(
    "Shifts above target",
    f"{totals['surplus_shifts']:,}",
    help="People rostered beyond the target, summed over every unit, shift and day (higher is worse: paid "
    "hours not needed for the ratio).",
)
w[1].metric(
    "WTE needed / rostered",
    f"{totals['needed_wte']:.1f} / {totals['rostered_wte']:.1f}",
    help="Whole-time equivalents on duty: hours on shifts per week divided by 37.5 (1 WTE = 37.5 paid hours a "
    "week, NHS Agenda for Change), without the uplift for leave, study and sickness.",
)
w[2].metric(
    "Surplus WTE",
    f"{totals['surplus_wte']:.1f}",
    help="WTE on duty above the target (shifts above target x hours / weeks / 37.5); higher is worse.",
)
if costs is not None:
    w[3].metric(
        f"Cost of the surplus ({totals['weeks']:g} week{'s' if totals['weeks'] != 1 else ''})",
        f"£{totals['surplus_cost']:,.0f}",
        help=f"Surplus hours at the unit's average paid rate per nurse hour (scenarios/costs.yaml, "
        f"{costs.price_year} prices); the whole roster costs £{totals['roster_cost']:,.0f}. Higher is worse.",
    )
else:
    w[3].metric("Cost of the surplus", "no cost file", help="scenarios/costs.yaml is missing or cannot be read.")
if costs_problem:
    st.info(f"No money figures: the cost file cannot be used ({costs_problem}).")
if establishment is None:
    st.info(
        "No establishment to compare with: the scenario has no `staffing.units` (nurses per shift by unit) "
        "and no establishment file is given."
    )
shown_units = by_unit.assign(
    establishment=by_unit["establishment_wte"].round(1),
    need_vs_establishment=by_unit["need_minus_establishment_wte"].round(1),
    roster_cost=by_unit["roster_cost"].round(0),
    surplus_cost=by_unit["surplus_cost"].round(0),
)
st.dataframe(
    shown_units[
        [
            "unit",
            "needed_wte",
            "rostered_wte",
            "surplus_wte",
            "short_wte",
            "staff",
            "contracted_wte",
            "establishment",
            "need_vs_establishment",
            "roster_cost",
            "surplus_cost",
            "source",
            "action",
        ]
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "unit": "Unit",
        "needed_wte": st.column_config.NumberColumn("WTE needed", format="%.1f"),
        "rostered_wte": st.column_config.NumberColumn("WTE rostered", format="%.1f"),
        "surplus_wte": st.column_config.NumberColumn("Surplus WTE", format="%.1f"),
        "short_wte": st.column_config.NumberColumn("Short WTE", format="%.1f"),
        "staff": st.column_config.NumberColumn("Staff (home unit)"),
        "contracted_wte": st.column_config.NumberColumn("WTE contracted", format="%.1f"),
        "establishment": st.column_config.NumberColumn(
            "Establishment WTE", format="%.1f", help="Nurses per shift in the scenario's staffing, on duty"
        ),
        "need_vs_establishment": st.column_config.NumberColumn(
            "Need minus establishment (WTE)", format="%+.1f", help="Negative: the establishment is above the need"
        ),
        "roster_cost": st.column_config.NumberColumn("Roster cost (£)", format="localized"),
        "surplus_cost": st.column_config.NumberColumn("Surplus cost (£)", format="localized"),
        "source": st.column_config.TextColumn("Where the surplus comes from", width="large"),
        "action": st.column_config.TextColumn("What to do", width="large"),
    },
)
for a_ in by_unit["action"]:
    if a_:
        st.markdown(f"- {a_}")
st.caption(
    "WTE are on duty: hours on shifts in the period / weeks / 37.5 (1 WTE = 37.5 paid hours a week), with no uplift "
    "for leave, study or sickness; contracted WTE include that headroom, so compare the need with the WTE "
    "contracted after leave in the period (in 'Where the surplus comes from'). The establishment is the scenario's "
    "nurses per shift (`staffing.units`) on duty every day. Money: scenarios/costs.yaml (paid hour of a nurse by "
    "band, with on-costs; bank and agency rates for shifts left short)."
)
flagged = cover_by_shift(roster, floats)
flagged = flagged[flagged["surplus"] > 0].sort_values(["surplus", "date"], ascending=[False, True])
with st.expander(f"Shifts above target ({len(flagged)})", expanded=bool(len(flagged))):
    if len(flagged):
        st.dataframe(
            flagged[["date", "unit", "shift", "target", "rostered", "surplus", "float_rostered"]].rename(
                columns={
                    "date": "Date",
                    "unit": "Unit",
                    "shift": "Shift",
                    "target": "Target",
                    "rostered": "Rostered",
                    "surplus": "Above target",
                    "float_rostered": "Of them from the float pool",
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.markdown("No shift has more people than its target.")

files = out["files"]
d1, d2, d3 = st.columns(3)
d1.download_button("Download roster (CSV)", files["csv"], file_name="roster.csv", mime="text/csv", key="dl_ro_csv")
d2.download_button(
    "Download roster (Excel)",
    files["xlsx"],
    file_name="roster.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="dl_ro_xlsx",
)
d3.download_button(
    "Download calendars (.ics, zip)",
    files["ics_zip"],
    file_name="calendars.zip",
    mime="application/zip",
    key="dl_ro_ics",
    help="One iCalendar file per person, for Outlook, Google or Apple calendars.",
)
if roster.notes:
    with st.expander(f"Notes from the solver ({len(roster.notes)})"):
        for note in roster.notes[:50]:
            st.markdown(f"- {note}")

st.markdown("**Roster grid** (one row per person, one column per day; letters are shifts)")
a = roster.assignments.copy()
if len(a):
    from hospital_twin.roster.export import shift_codes

    codes = shift_codes(list(roster.shifts))
    a["code"] = [
        f"{codes.get(s, s)} {u}" if len(units) > 1 else codes.get(s, s)
        for s, u in zip(a["shift"], a["unit"], strict=True)
    ]
    a["day"] = pd.to_datetime(a["date"]).dt.strftime("%a %d")
    order = pd.to_datetime(a["date"]).sort_values().dt.strftime("%a %d").unique()
    g = a.pivot_table(index=["staff_id", "name"], columns="day", values="code", aggfunc="first")
    g = g.reindex(columns=list(order)).fillna("")
    st.dataframe(g.reset_index(), hide_index=True, width="stretch")
    st.caption(
        "Legend: " + ", ".join(f"{c} = {s} {roster.shifts[s][0]}-{roster.shifts[s][1]}" for s, c in codes.items())
    )

st.markdown("**Cover against requirement**")
if len(cover):
    cv = cover.copy()
    cv["date"] = pd.to_datetime(cv["date"])
    cv["row"] = cv["unit"].astype(str) + " " + cv["shift"].astype(str) + " " + cv["skill"].astype(str)
    base = alt.Chart(cv).encode(x=alt.X("date:T", title=None, axis=alt.Axis(format="%a %d", labelAngle=0)))
    chart = (
        alt.layer(
            base.mark_bar(color="#1f5fa8", opacity=0.7).encode(y=alt.Y("assigned:Q", title="people")),
            base.mark_tick(color="#c92a2a", thickness=2, size=14).encode(y="min:Q"),
            base.mark_tick(color="#2f9e44", thickness=2, size=14).encode(y="target:Q"),
        )
        .properties(width=420, height=120)
        .facet(facet=alt.Facet("row:N", title=None), columns=2)
    )
    ui.show_chart(chart)
    st.caption("Bars: people rostered; red tick: minimum; green tick: target.")
if len(roster.violations):
    with st.expander(f"Rule violations ({len(roster.violations)})"):
        st.dataframe(roster.violations, hide_index=True, width="stretch")
with st.expander("Hours per person"):
    st.dataframe(roster.hours_by_staff, hide_index=True, width="stretch")
