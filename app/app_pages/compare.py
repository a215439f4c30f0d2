"""Compare: a baseline against what-ifs under common random numbers, with verdicts in words."""

from __future__ import annotations

import jobs
import pandas as pd
import state
import streamlit as st
import ui
import yaml
from job_specs import CompareJob, ReportJob

from hospital_twin.reporting.charts import verdict_forest_chart
from hospital_twin.reporting.figures import FOREST_METRICS, format_value
from hospital_twin.reporting.nhs import days
from hospital_twin.reporting.verdicts import gridlock_lines, verdict_table
from hospital_twin.results import METRIC_LABELS

st.title("Compare")
ui.fit_layout()
st.caption(
    "Each scenario is run with the same random numbers (the same patients arrive with the same needs), "
    "so the differences show the effect of the change, not luck."
)

shipped = ui.shipped()
current, current_text, current_label = ui.current_scenario()
options: dict[str, str] = {}
base_label = next((k for k, p in shipped.items() if p.endswith("scenarios/baseline.yaml")), next(iter(shipped)))
for k, p in shipped.items():
    options[k] = ui.shipped_yaml(p, state.Path(p).stat().st_mtime)
for k, p in ui.saved_options().items():  # the manager's saved scenarios (Scenario page)
    options[k] = ui.shipped_yaml(p, state.Path(p).stat().st_mtime)
mine = None
# the current scenario is offered as "My scenario" only when it is none of the listed ones in content (the
# Scenario page keeps an unchanged baseline as re-written YAML text, which must not be compared with itself)
listed = [yaml.safe_load(t) for t in options.values()]
if (
    st.session_state.get("scn_edited")
    and current_text not in options.values()
    and yaml.safe_load(current_text) not in listed
):
    mine = f"My scenario: {current.name}"
    options[mine] = current_text

if st.session_state.get("cmp_base") not in options:  # kept across a refresh, since deleted
    st.session_state.pop("cmp_base", None)
if "cmp_whatifs" in st.session_state:
    st.session_state["cmp_whatifs"] = [k for k in st.session_state["cmp_whatifs"] if k in options]
c1, c2 = st.columns([1, 2])
base_pick = c1.selectbox("Baseline", list(options), index=list(options).index(base_label), key="cmp_base")
default_whatifs = [mine] if mine else [k for k in options if "critical-care beds" in k][:1]
picks = c2.multiselect(
    "What-ifs to compare with it",
    [k for k in options if k != base_pick],
    default=[k for k in default_whatifs if k != base_pick],
    key="cmp_whatifs",
    help="Pick one or more. Your edited scenario from the Scenario page is offered too, and every scenario you "
    "saved there ('Saved: name').",
)
base_scn = state.scenario_from_text(options[base_pick], "baseline")
settings = ui.run_settings(base_scn, prefix="cmp_rs_")
targets = ui.target_settings(prefix="cmp_rs_", where="in the tables against the targets")

if not picks:
    st.info("Pick at least one what-if to compare with the baseline.")
    st.stop()

yamls, names = [], []
for k in [base_pick, *picks]:
    data = yaml.safe_load(options[k])
    name = data["name"]
    n = 2
    while name in names:  # the comparison pairs scenarios by name
        name = f"{data['name']} ({n})"
        n += 1
    data["name"] = name
    names.append(name)
    yamls.append(state.to_yaml(state.with_run_settings(data, **settings)))
    ui.show_date_warnings(options[k], settings, name=k)
joined = "\n---\n".join(yamls)
args = (joined, settings["seed"], settings["replications"])
key = jobs.job_key("compare", *args, "")

if st.button(f"Compare {len(yamls)} scenarios", type="primary", key="cmp_run_btn"):
    st.session_state["cmp_args"] = args
    ui.save_session()
    if not jobs.cached(key):
        files = ("baseline", *(f"what-if {i}" for i in range(1, len(yamls))))
        spec = CompareJob(yamls=tuple(yamls), files=files, replications=settings["replications"], seed=settings["seed"])
        ui.launch("compare", spec, key, label="Comparing")

status = ui.job_panel("compare")
shown = st.session_state.get("cmp_args")
if status == "running" or not shown or not jobs.cached(jobs.job_key("compare", *shown, "")):
    if not shown:
        st.info(
            f"Press **Compare** to run each scenario {settings['replications']} times for "
            f"{settings['horizon_days']} days after a {settings['warmup_days']}-day warm-up."
        )
    st.stop()
if shown != args:
    st.warning("These results are for an earlier choice; press Compare to update them.")

out = ui.load_result("compare", *shown)
results = out["results"]
comparison: pd.DataFrame = out["comparison"]
scenarios = [r.scenario for r in results]
n_var = len(scenarios) - 1
level = float(comparison["confidence"].iloc[0]) if len(comparison) else 0.95

st.subheader("In plain words")
st.caption(
    f"Paired differences (what-if minus baseline) over {results[0].provenance.get('replications')} "
    f"replications, {100 * level:.1f}% intervals"
    + (f" (widened for {n_var} what-ifs, so that all hold together at 95%)." if n_var > 1 else ".")
    + " Few replications give wide intervals: raise them for firmer answers."
)
for line in gridlock_lines(comparison, scenarios):  # a runaway bed queue is never averaged in silently
    st.warning(line, icon=":material/error:")
kpis = pd.concat([r.kpis for r in results], ignore_index=True)
table = verdict_table(comparison, scenarios, kpis)  # the words and the forest plot below both read it
for name in [s_.name for s_ in scenarios[1:]]:
    t = table[table["scenario"] == name]
    if n_var > 1:
        st.markdown(f"#### {name}")
    shown_rows = [
        ("What a board asks about", t[(t["group"] == "board") & t["lead"]]),
        (
            "Follows from the change in beds (arithmetic: the same patients in more or fewer beds)",
            t[(t["group"] == "beds") & t["lead"]],
        ),
        ("Other measures", t[(t["group"] == "other") & t["lead"]]),
    ]
    for title, rows_ in shown_rows:
        if len(rows_):
            st.markdown(f"**{title}**")
            for r in rows_.itertuples():
                mark = {"gridlock": ":warning: ", "clear": ":material/check_circle: "}.get(r.status, "")
                st.markdown(f"- {mark}{r.sentence}")
    rest = t[~t["lead"]]
    if len(rest):
        with st.expander(f"No clear difference, other units and measures ({len(rest)})"):
            for r in rest.itertuples():
                st.markdown(f"- {r.sentence}")
ui.show_cost_difference(results, comparison, table)  # what each what-if costs a year and buys (issue 15, money)

ui.show_targets_compare(results, targets)

cmp_key = jobs.job_key("compare", *shown, "")
zip_data = ui.zip_bytes(cmp_key)
if zip_data:
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download the comparison (zip)",
        zip_data,
        file_name="hospital_twin_comparison.zip",
        mime="application/zip",
        key="dl_cmp_zip",
        help="comparison.csv (paired differences), ranking.csv, summary.csv, kpis.csv, the census, "
        "the event logs and every scenario's YAML.",
    )
    report_key = jobs.job_key("report", cmp_key)
    rjob = ui.job_of("cmp_report")
    if rjob is not None:
        rjob.state()  # a finished job moves its result into the cache here
    if jobs.cached(report_key):
        c2.download_button(
            "Download the HTML report",
            jobs.load_cached(report_key)["html"],
            file_name="hospital_twin_comparison.html",
            mime="text/html",
            key="dl_cmp_report",
        )
    else:
        busy = rjob is not None and rjob.key == report_key and rjob.state() == "running"
        if not busy and c2.button("Make the HTML report (about 20 s)", key="cmp_report_btn"):
            ui.launch(
                "cmp_report",
                ReportJob(zip=str(jobs.cached_path(cmp_key).parent / "results.zip")),
                report_key,
                label="Building the report",
            )
        rjob = ui.job_of("cmp_report")
        if rjob is not None and rjob.key == report_key:
            ui.job_panel("cmp_report")

st.subheader("Differences with their intervals")
st.caption(
    "The measures of the words above, in their order: each dot is the mean difference (what-if minus baseline), "
    "the bar its interval; a filled dot is a difference the words call clear, a hollow diamond one that "
    "gridlocked replications drive. Shares are in percentage points."
)
forest = verdict_forest_chart(table)
if forest is None:
    st.info("No measure differs in any replication.")
else:
    ui.show_chart(forest)
    identical = sorted(set(table.loc[table["status"] == "same", "label"]))
    if identical:
        st.caption("Identical in every replication of both scenarios (not plotted): " + "; ".join(identical) + ".")

st.subheader("Side by side")
rows = []
summary = pd.concat([r.summary for r in results], ignore_index=True)
for metric in dict.fromkeys(["utilisation", "occupancy_mean", *FOREST_METRICS, "los_mean_h"]):
    label, kind = METRIC_LABELS.get(metric, (metric, ""))
    eds = [u for u, sp in scenarios[0].units.items() if sp.ed is not None]
    for unit in eds if metric.startswith("ed_") else ["ALL"]:
        vals = summary[(summary["metric"] == metric) & (summary["unit"] == unit)].set_index("scenario")["mean"]
        if vals.empty or vals.abs().max() == 0:
            continue
        row = {"measure": label, "unit": unit}
        for s in scenarios:
            v = vals.get(s.name, float("nan"))
            row[s.name] = days(v) if metric == "los_mean_h" else format_value(v, kind)  # a stay reads in days
        rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
with st.expander("The comparison table (comparison.csv)"):
    st.dataframe(comparison, hide_index=True, width="stretch")
