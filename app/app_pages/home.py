"""Home: what the twin does and where to start."""

import streamlit as st
import ui

from hospital_twin.reporting.nhs import bed_summary

st.title("Hospital twin")
ui.fit_layout()
st.markdown(
    "A simulation of your hospital's beds, patient flows and staff. Change a scenario, run it many times "
    "and see what would happen, with the uncertainty shown as 95% intervals. Nothing here changes the real "
    "hospital: try ideas freely."
)

st.subheader("Where to start")
c1, c2, c3 = st.columns(3)
with c1.container(border=True):
    st.markdown(
        f"**1. Pick a scenario**  \nStart from the shipped hospital ({bed_summary(ui.baseline_scenario())}) or "
        "upload your own file; change beds, demand, surge, discharge hours and staffing."
    )
    st.page_link("app_pages/scenario.py", label="Scenario", icon=":material/tune:")
with c2.container(border=True):
    st.markdown(
        "**2. Run it**  \nSimulate a few weeks, see G&A occupancy at midnight, waits for a bed and ED 4-hour "
        "performance against the NHS targets, and download the results."
    )
    st.page_link("app_pages/run.py", label="Run", icon=":material/play_circle:")
with c3.container(border=True):
    st.markdown(
        "**3. Compare what-ifs**  \nRun the baseline against changes such as more ICU beds or a "
        "winter surge, and read the difference in plain words."
    )
    st.page_link("app_pages/compare.py", label="Compare", icon=":material/compare_arrows:")

c4, c5, c6 = st.columns(3)
with c4.container(border=True):
    st.markdown("**Calibrate**  \nFit a scenario to your own admission-discharge-transfer (ADT) log.")
    st.page_link("app_pages/calibrate.py", label="Calibrate", icon=":material/query_stats:")
with c5.container(border=True):
    st.markdown(
        "**Staffing & roster**  \nNurses needed per shift, and a roster for your staff list "
        "to download as CSV, Excel or calendar."
    )
    st.page_link("app_pages/roster.py", label="Staffing & roster", icon=":material/badge:")
with c6.container(border=True):
    st.markdown("**Forecast**  \nFrom today's census, the next 72 hours per unit and the chance each unit is full.")
    st.page_link("app_pages/forecast.py", label="Forecast", icon=":material/trending_up:")

st.caption(
    "Numbers are simulated, not measured: each run uses the scenario's assumptions, which the Scenario "
    "page shows. A run measures the scenario's own length by default (a year for the baseline) so that its figures "
    "are not biased by a short window; a quick look answers in seconds but says by how much it is biased."
)
