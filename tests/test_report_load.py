"""report.html shows the offered load beside each unit's simulated occupancy, and overloads among the points to note."""

from __future__ import annotations

import re

from hospital_twin.cli import main
from hospital_twin.reporting.results_report import build_report
from tests.cli.test_cli_load import DRAFT
from tests.conftest import SCENARIOS


def test_report_shows_offered_load_beside_occupancy_and_the_overload(tmp_path):
    """The load table has the simulated occupancy and Erlang columns; the overloaded AMU is a point to note."""
    (tmp_path / "draft.yaml").write_text(DRAFT)
    out = tmp_path / "res"
    assert main(["run", str(tmp_path / "draft.yaml"), "--out", str(out), "--no-report", "-q"]) == 0
    html = build_report(out)
    assert "<h4>Offered load and Erlang figures</h4>" in html
    table = html.split("<h4>Offered load and Erlang figures</h4>")[1].split("</table>")[0]
    for col in ("offered load", "simulated", "load/beds", "Erlang", "Erlang wait h"):
        assert f">{col}</th>" in table
    assert re.search(r">AMU</td><td[^>]*>32</td><td[^>]*>48\.0</td>.*?<td[^>]*>38\.0</td><td[^>]*>[\d.]+</td>", table)
    glance = html.split('<section id="glance">')[1].split("</section>")[0]
    assert "AMU: overloaded by 6.0 beds (load 38.0 for 32 beds)" in glance


def test_report_points_to_note_shared_with_the_terminal(tmp_path, capsys):
    """The points to note in report.html are the ones run prints (one function builds both)."""
    out = tmp_path / "res"
    icu = str(SCENARIOS / "examples" / "icu_to_ward.yaml")
    assert main(["run", icu, "--replications", "2", "--out", str(out), "--no-report", "--no-log"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    glance = build_report(out).split('<section id="glance">')[1].split("</section>")[0]
    notes = re.findall(r"<li>(.*?)</li>", glance)
    assert notes
    for n in notes:
        assert n.replace("&#x27;", "'") in printed


def test_report_shows_the_pathway_table_after_the_load_table(tmp_path):
    """With discharge pathways, report.html has their offered load (demand, capacity, use, wait, NCTR) with a
    simulated-delay column, and the overloaded pathway among the points to note."""
    from tests.cli.test_cli_load import PATHWAYS

    (tmp_path / "pathways.yaml").write_text(PATHWAYS)
    out = tmp_path / "res"
    assert main(["run", str(tmp_path / "pathways.yaml"), "--out", str(out), "--no-report", "-q"]) == 0
    html = build_report(out)
    assert "<h4>Discharge pathways: offered load</h4>" in html
    table = html.split("<h4>Discharge pathways: offered load</h4>")[1].split("</table>")[0]
    for col in ("demand/day", "capacity/day", "use", "wait h", "NCTR delay h", "simulated delay h", "NCTR beds"):
        assert f">{col}</th>" in table
    assert re.search(r">P2 \(community beds\)</td><td[^>]*>20 places, 6\.0 d each \(16\.2 in use\)</td>", table)
    assert re.search(r">P3 \(care home\)</td>.*?<td[^>]*>126%</td><td[^>]*>∞</td>", table)
    glance = html.split('<section id="glance">')[1].split("</section>")[0]
    assert "P3 is overloaded: 0.9 ready patients a day for 0.7 starts a day" in glance
