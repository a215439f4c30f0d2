"""The bad-input table (issue 12): every kind of broken scenario in ``bad_inputs/`` is refused by
``hospital-twin validate`` with exit 2, its file, line (where it has one), field and a fix, never a traceback;
``docs/bad_input.md`` is the table of exactly these messages."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from hospital_twin.cli import main

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bad_input_table", ROOT / "scripts" / "bad_input_table.py")
bad_input_table = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bad_input_table", bad_input_table)  # dataclasses look their module up
_spec.loader.exec_module(bad_input_table)

FIXTURES = bad_input_table.fixtures()


def test_bad_inputs_cover_at_least_40_distinct_kinds():
    assert len(FIXTURES) >= 40
    assert len({fx.kind for fx in FIXTURES}) == len(FIXTURES)


@pytest.mark.parametrize("fx", FIXTURES, ids=lambda fx: fx.path.stem)
def test_bad_input_exits_two_naming_file_line_field_and_fix(fx, capsys, monkeypatch):
    """`validate FILE` exits 2 (never 1) and prints `file:line: field: ...` with the fix the fixture names."""
    monkeypatch.chdir(fx.path.parent)
    assert main(["validate", fx.path.name]) == 2
    captured = capsys.readouterr()
    err = captured.err + captured.out
    assert "Traceback" not in err and "bug" not in err
    said = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    assert any(fx.matches(m) for m in said), (fx.prefix, fx.hint, said)


def test_bad_input_doc_is_generated_from_the_fixtures():
    """docs/bad_input.md is what scripts/bad_input_table.py writes now (rerun it after changing a message)."""
    assert (ROOT / "docs" / "bad_input.md").read_text(encoding="utf-8") == bad_input_table.table()
