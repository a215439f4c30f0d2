"""``docs/schemas.md`` documents the files the package reads and writes: it cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from hospital_twin import results
from hospital_twin.live.census import SNAPSHOT_COLUMNS
from hospital_twin.live.forecast import FORECAST_COLUMNS

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "schemas.md"


def _documented(text: str) -> set[str]:
    return set(re.findall(r"`([A-Za-z_0-9]+)`", text))


def _metric_rows(text: str) -> dict[str, str]:
    table = text[text.index("### Metrics") :]
    return dict(re.findall(r"^\| `([A-Za-z_0-9]+)` \| (.*) \|$", table, flags=re.MULTILINE))


def test_schemas_doc_lists_every_metric_with_its_definition():
    """Every metric of ``results.METRICS`` (read now, so metrics added later count) has a row in the metric
    table carrying the catalogue's definition word for word; the failure message gives the table to paste."""
    rows = _metric_rows(DOC.read_text(encoding="utf-8"))
    assert rows == results.METRICS, "replace the metric rows of docs/schemas.md with:\n" + "\n".join(
        f"| `{m}` | {d} |" for m, d in results.METRICS.items()
    )


def test_schemas_doc_lists_every_column_of_the_log_requests_snapshot_and_forecast():
    """The event log's, the requests file's, the snapshot's and the forecast's columns are all named."""
    named = _documented(DOC.read_text(encoding="utf-8"))
    columns = results.ADT_COLUMNS + results.REQUEST_COLUMNS + SNAPSHOT_COLUMNS + FORECAST_COLUMNS + ["scenario"]
    assert not [c for c in columns if c not in named]


def test_docs_point_at_the_repository_not_outside_it():
    """No user-facing text points at a contracts file outside the repository."""
    texts = [REPO / "README.md", REPO / "scenarios" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    texts += sorted((REPO / "notebooks").glob("*.md")) + sorted((REPO / "notebooks").glob("*.ipynb"))
    assert not [str(p.relative_to(REPO)) for p in texts if p.is_file() and "CONTRACTS" in p.read_text("utf-8")]
