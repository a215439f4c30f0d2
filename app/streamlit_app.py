"""hospital_twin app: the entry point and router (``make app``, or ``streamlit run streamlit_app.py`` in app/)."""

from __future__ import annotations

import streamlit as st
import ui  # app/ is on sys.path: streamlit adds the main script's folder

from hospital_twin.reporting.nhs import bed_summary

st.set_page_config(page_title="Hospital twin", page_icon=":material/local_hospital:", layout="wide")
ui.init_session()
ui.restore_session()  # after a refresh: the edits, run settings and jobs of this address's session

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/scenario.py", title="Scenario", icon=":material/tune:"),
    st.Page("app_pages/run.py", title="Run", icon=":material/play_circle:"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("app_pages/calibrate.py", title="Calibrate", icon=":material/query_stats:"),
    st.Page("app_pages/roster.py", title="Staffing & roster", icon=":material/badge:"),
    st.Page("app_pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
]
page = st.navigation(PAGES)
ui.apply_pending_levers(page)  # a lever changed as the user left the Scenario page reaches the scenario

with st.sidebar:
    scenario, _, label = ui.current_scenario()
    st.caption("Current scenario")
    st.markdown(f"**{scenario.name}**")
    st.caption(f"{bed_summary(scenario)}. Change it on the Scenario page.")
    for note in (st.session_state.pop("store_notice", None), st.session_state.get("store_error")):
        if note:
            st.info(note)
    if ui.any_job_running():
        ui.keep_jobs_alive()

page.run()
