"""scenarios/README.md documents every key of the discharge pathways, their metrics and their log columns."""

from __future__ import annotations

import re
from pathlib import Path

from hospital_twin.results import METRICS
from hospital_twin.scenario.schema import DischargePathwaySpec

README = Path(__file__).resolve().parents[1] / "scenarios" / "README.md"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end > 0 else None]


def test_readme_documents_every_discharge_pathway_key_metric_and_log_column():
    """Every field of DischargePathwaySpec, the two scenario keys, P0, the three kinds, every nctr_/pathway_ metric
    and the event-log columns appear (in backticks) in the README's section on discharge pathways."""
    text = README.read_text(encoding="utf-8")
    section = _section(text, "## Discharge pathways")
    keys = list(DischargePathwaySpec.model_fields) + ["discharge_pathways", "pathway_shares", "P0"]
    keys += ["ready_to_leave", "discharge_destination", "assessment_in: community", "priority", "community"]
    keys += [m for m in METRICS if m.startswith(("nctr_", "pathway_")) and m != "pathway_growing"]
    missing = [k for k in keys if f"`{k}" not in section]
    assert not missing, f"scenarios/README.md, section 'Discharge pathways', does not document: {missing}"
    for kind in ("daily", "pool", "unlimited"):
        assert re.search(rf"\*\*{kind}\*\*", section), kind
    assert "criteria to reside" in section and "0.26" in section
    assert "patient_classes.<class>.pathway_shares" in section
