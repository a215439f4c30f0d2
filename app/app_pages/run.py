"""Run: replications of the current scenario in a worker process; KPIs, charts, the results folder."""

from __future__ import annotations

import charts
import jobs
import streamlit as st
import ui
from job_specs import ReportJob, RunJob

from hospital_twin.reporting.charts import (
    census_week_chart,
    ed_four_hour_chart,
    escalation_level_chart,
    nctr_chart,
    wait_chart,
)
from hospital_twin.reporting.figures import (
    FOUR_HOUR_STANDARD,
    census_hour_of_week,
    ed_four_hours,
    escalation_level_hours,
    nctr_over_time,
    nctr_sentence,
    wait_ecdf,
)

st.title("Run")
ui.fit_layout()
scenario, text, label = ui.current_scenario()
st.markdown(f"Scenario: **{scenario.name}** (change it on the Scenario page)")
settings = ui.run_settings(scenario)
ui.show_date_warnings(text, settings)
targets = ui.target_settings()
run_yaml = ui.settled_yaml(text, settings)
args = (run_yaml, settings["seed"], settings["replications"])
key = jobs.job_key("run", *args, "")

if st.button(
    "Run the simulation",
    type="primary",
    key="run_btn",
    help="Runs in the background; the page stays usable and you can cancel.",
):
    st.session_state["run_args"] = args
    ui.save_session()
    if not jobs.cached(key):
        ui.launch(
            "run",
            RunJob(yaml=run_yaml, replications=settings["replications"], seed=settings["seed"]),
            key,
            label=f"Simulating {scenario.name}",
        )

status = ui.job_panel("run")
shown = st.session_state.get("run_args")
if status == "running" or not shown or not jobs.cached(jobs.job_key("run", *shown, "")):
    if not shown:
        st.info(
            f"Press **Run the simulation** to simulate {settings['horizon_days']} days after a "
            f"{settings['warmup_days']}-day warm-up, {settings['replications']} times."
        )
    st.stop()
if shown != args:
    st.warning("These results are from earlier settings; press Run the simulation to update them.")

result = ui.load_result("run", *shown)
s = result.scenario
st.subheader(f"Results: {s.name}")
st.caption(
    f"{result.provenance.get('replications')} replications of {s.horizon_days:g} days after a "
    f"{float(s.warmup_days):g}-day warm-up, seed {result.provenance.get('seed')}. Each figure is the mean over "
    "replications with its 95% interval."
)
ui.show_gridlock_alarm(result.summary, s)
ui.show_cards(ui.kpi_cards(result.summary, s, result.kpis, result.census, targets))
escalation = ui.escalation_cards(result.kpis, s)
if escalation:
    st.markdown("**Escalation levels**")
    ui.show_cards(escalation)
pathways = ui.pathway_cards(result.summary, s)
if pathways:
    st.markdown("**Discharge pathways: patients medically fit to leave who wait in a bed for care outside**")
    sentence = nctr_sentence(result.summary, s)
    if sentence:
        st.markdown(sentence + ".")
    ui.show_cards(pathways)
ui.show_points_to_note(result)
ui.show_bed_cost(result)  # what the beds cost a year, by kind (issue 15, money)
ui.costs_file_picker()
ui.show_months(result, targets)

run_key = jobs.job_key("run", *shown, "")
zip_data = ui.zip_bytes(run_key)
if zip_data:
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download the results folder (zip)",
        zip_data,
        file_name="hospital_twin_results.zip",
        mime="application/zip",
        key="dl_run_zip",
        help="summary.csv, kpis.csv, census.csv, adt_log.csv, scenario.yaml and run.json (CSV opens in Excel).",
    )
    report_key = jobs.job_key("report", run_key)
    rjob = ui.job_of("report")
    if rjob is not None:
        rjob.state()  # a finished job moves its result into the cache here
    if jobs.cached(report_key):
        c2.download_button(
            "Download the HTML report",
            jobs.load_cached(report_key)["html"],
            file_name="hospital_twin_report.html",
            mime="text/html",
            key="dl_run_report",
            help="One file that opens offline in any browser: KPIs, charts, the scenario in words.",
        )
    else:
        rjob = ui.job_of("report")
        busy = rjob is not None and rjob.key == report_key and rjob.state() == "running"
        if not busy and c2.button("Make the HTML report (about 15 s)", key="run_report_btn"):
            ui.launch(
                "report",
                ReportJob(zip=str(jobs.cached_path(run_key).parent / "results.zip")),
                report_key,
                label="Building the report",
            )
        rjob = ui.job_of("report")
        if rjob is not None and rjob.key == report_key:
            ui.job_panel("report")

census = result.census.assign(scenario=s.name) if result.census is not None else None
log = result.adt_log.assign(scenario=s.name) if result.adt_log is not None else None
names = ["Census by hour of week", "Occupancy heat map", "Waits for a bed", "ED 4-hour performance"]
names += ["Escalation levels"] if s.escalation_levels else []
names += ["Discharge pathways"] if s.discharge_pathways else []
tabs = st.tabs([*names, "Offered load", "All measures"])
if census is not None:
    how = census_hour_of_week(census, [s])
    with tabs[0]:
        st.caption(
            "Occupied beds by hour of the week: line = mean, band = 5th to 95th percentile over replications "
            "and weeks (90% of hours fall inside), red dashed line = beds."
        )
        ui.show_chart(census_week_chart(how, [s]))
    with tabs[1]:
        st.caption("Average share of beds occupied at each hour of the week; darker is fuller.")
        heat = charts.heatmap_chart(how, s)
        if heat is not None:
            ui.show_chart(heat)
if log is not None:
    with tabs[2]:
        curve, stats = wait_ecdf(log, [s])
        if curve.empty:
            st.info("Nobody asked for a bed in the measured period.")
        else:
            st.caption("Share of admissions placed within x hours of asking for a bed (after the warm-up).")
            ui.show_chart(wait_chart(curve, stats, [s]))
    with tabs[3]:
        by_hour, by_week = ed_four_hours(log, [s])
        if by_hour.empty:
            st.info("This scenario has no emergency department.")
        else:
            st.caption(
                "Share of ED attendances leaving within 4 hours of arrival, by hour of arrival and by week; "
                "the band spans the lowest to the highest replication; dashed line: the "
                f"{FOUR_HOUR_STANDARD:.0%} standard (NHS England, 2025/26)."
            )
            if by_week["date"].nunique() < 2:
                st.caption(
                    "The weekly view on the right needs at least two measured weeks: raise 'Days measured' "
                    "to 14 or more to see it."
                )
            ui.show_chart(ed_four_hour_chart(by_hour, by_week, [s]))
if s.escalation_levels:
    with tabs[names.index("Escalation levels")]:
        levels = escalation_level_hours(result.summary, [s])
        if levels.empty:
            st.info("No time at any escalation level was measured.")
        else:
            st.caption(
                "Share of the measured time at each escalation level (OPEL 1 to 4), mean over replications: "
                "level 1 is the steady state."
            )
            ui.show_chart(escalation_level_chart(levels))
if s.discharge_pathways and log is not None:
    with tabs[names.index("Discharge pathways")]:
        nctr = nctr_over_time(log, [s])
        if nctr.empty or not (nctr["nctr_mean"] > 0).any():
            st.info("No patient waited in a bed for a discharge pathway in the measured period.")
        else:
            st.caption(
                "Patients medically fit to leave who are still in a hospital bed, waiting for a discharge pathway: "
                f"the average number each {'week' if int(nctr['days'].max()) > 1 else 'day'}, stacked by the "
                "pathway they wait for (mean over replications)."
            )
            ui.show_chart(nctr_chart(nctr, [s]))
with tabs[-2]:
    st.caption("Offered load from the traffic equations beside the simulated occupancy (mean occupied beds).")
    ui.show_offered_load(s, result.summary)
with tabs[-1]:
    table = charts.kpi_table(result.summary, s)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"metric": st.column_config.TextColumn("name in the files")},
    )
